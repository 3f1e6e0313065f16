output "raw_bucket" {
  description = "Bucket the tills upload their daily CSV exports to (YYYY/MM/DD/<branch>_DD-MM-YYYY_HH-MM-SS.csv)."
  value       = module.bucket["raw"].bucket
}

output "lake_bucket" {
  description = "Bucket of the Parquet lake."
  value       = module.bucket["lake"].bucket
}

output "artifacts_bucket" {
  description = "Bucket of job scripts, the library wheel, Glue temp files and stream checkpoints."
  value       = module.bucket["artifacts"].bucket
}

output "kms_key_arn" {
  description = "Customer-managed key; till producers need kms:GenerateDataKey on it to put records on the stream."
  value       = aws_kms_key.main.arn
}

output "kinesis_stream_name" {
  description = "Stream the tills put live transactions on (null when enable_streaming is false)."
  value       = one(aws_kinesis_stream.transactions[*].name)
}

output "nightly_job_name" {
  description = "Glue job of the nightly batch."
  value       = aws_glue_job.this["nightly_batch"].name
}

output "streaming_job_name" {
  description = "Glue job of the Kinesis stream (null when enable_streaming is false)."
  value       = try(aws_glue_job.this["kinesis_stream"].name, null)
}

output "nightly_workflow_name" {
  description = "Glue workflow: nightly job, then the crawlers."
  value       = aws_glue_workflow.nightly.name
}

output "glue_database_name" {
  description = "Glue Data Catalog database of the raw_ and lake tables."
  value       = aws_glue_catalog_database.main.name
}

output "warehouse_url" {
  description = "--warehouse_url of the jobs (Redshift Serverless through the Data API)."
  value       = local.warehouse_url
}

output "redshift_admin_secret_arn" {
  description = "Secrets Manager secret with the Redshift admin credentials (managed by Redshift)."
  value       = aws_redshiftserverless_namespace.main.admin_password_secret_arn
}

output "redshift_copy_role_arn" {
  description = "IAM role Redshift assumes for COPY from the lake (--redshift_copy_role_arn)."
  value       = aws_iam_role.redshift_copy.arn
}

output "glue_job_role_name" {
  description = "IAM role of the Glue jobs; the Data API maps it to the database user IAMR:<name>."
  value       = aws_iam_role.glue_job.name
}

output "hash_salt_secret_arn" {
  description = "Secret holding the customer-hash salt (--hash_salt_secret_id)."
  value       = aws_secretsmanager_secret.hash_salt.arn
}

output "alerts_topic_arn" {
  description = "SNS topic of job-failure and stream-lag alerts."
  value       = aws_sns_topic.alerts.arn
}
