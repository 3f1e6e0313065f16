variable "name" {
  description = "Bucket name (global: include the account id)."
  type        = string
}

variable "force_destroy" {
  description = "Let terraform destroy delete a non-empty bucket."
  type        = bool
  default     = false
}

variable "kms_key_arn" {
  description = "Customer-managed key for SSE-KMS default encryption. Null means SSE-S3 (AES256), which only the access-log target bucket may use."
  type        = string
  default     = null
}

variable "access_log_bucket" {
  description = "Bucket that receives this bucket's S3 server access logs. Null means no access logging (only for the log target itself)."
  type        = string
  default     = null
}

variable "access_log_prefix" {
  description = "Key prefix of this bucket's access logs in access_log_bucket."
  type        = string
  default     = null
}

variable "expiration_days" {
  description = "Days after which every current object expires. Null keeps objects."
  type        = number
  default     = null
}

variable "noncurrent_version_expiration_days" {
  description = "Days an overwritten or deleted object version is kept."
  type        = number
}

variable "prefix_expiration_days" {
  description = "Extra expiry rules: key prefix => days (for example scratch files under tmp/)."
  type        = map(number)
  default     = {}
}

variable "policy_documents" {
  description = "Extra bucket policy documents (JSON) merged with the TLS-only statements."
  type        = list(string)
  default     = []
}
