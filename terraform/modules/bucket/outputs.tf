output "id" {
  description = "Bucket name (id)."
  value       = aws_s3_bucket.this.id
}

output "bucket" {
  description = "Bucket name."
  value       = aws_s3_bucket.this.bucket
}

output "arn" {
  description = "Bucket ARN."
  value       = aws_s3_bucket.this.arn
}
