# TEMPORARY, for the merge: tfcost declares enable_streaming in variables.tf; iam.tf
# references it. Delete this file when that declaration is merged (two declarations of one
# variable are an error).
variable "enable_streaming" {
  description = "Deploy the Kinesis stream and the streaming job. False: a batch-only deployment."
  type        = bool
  default     = true
}
