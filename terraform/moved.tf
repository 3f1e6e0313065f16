# State moves from the per-bucket resources of s3.tf (before modules/bucket) and the two
# per-script objects, so an existing deployment keeps its buckets and objects:
# terraform plan shows moves, not replacements.

moved {
  from = aws_s3_bucket.raw
  to   = module.bucket["raw"].aws_s3_bucket.this
}

moved {
  from = aws_s3_bucket_ownership_controls.raw
  to   = module.bucket["raw"].aws_s3_bucket_ownership_controls.this
}

moved {
  from = aws_s3_bucket_public_access_block.raw
  to   = module.bucket["raw"].aws_s3_bucket_public_access_block.this
}

moved {
  from = aws_s3_bucket_versioning.raw
  to   = module.bucket["raw"].aws_s3_bucket_versioning.this
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.raw
  to   = module.bucket["raw"].aws_s3_bucket_server_side_encryption_configuration.this
}

moved {
  from = aws_s3_bucket_lifecycle_configuration.raw
  to   = module.bucket["raw"].aws_s3_bucket_lifecycle_configuration.this
}

moved {
  from = aws_s3_bucket_logging.raw
  to   = module.bucket["raw"].aws_s3_bucket_logging.this[0]
}

moved {
  from = aws_s3_bucket_policy.raw
  to   = module.bucket["raw"].aws_s3_bucket_policy.this
}

moved {
  from = aws_s3_bucket.lake
  to   = module.bucket["lake"].aws_s3_bucket.this
}

moved {
  from = aws_s3_bucket_ownership_controls.lake
  to   = module.bucket["lake"].aws_s3_bucket_ownership_controls.this
}

moved {
  from = aws_s3_bucket_public_access_block.lake
  to   = module.bucket["lake"].aws_s3_bucket_public_access_block.this
}

moved {
  from = aws_s3_bucket_versioning.lake
  to   = module.bucket["lake"].aws_s3_bucket_versioning.this
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.lake
  to   = module.bucket["lake"].aws_s3_bucket_server_side_encryption_configuration.this
}

moved {
  from = aws_s3_bucket_lifecycle_configuration.lake
  to   = module.bucket["lake"].aws_s3_bucket_lifecycle_configuration.this
}

moved {
  from = aws_s3_bucket_logging.lake
  to   = module.bucket["lake"].aws_s3_bucket_logging.this[0]
}

moved {
  from = aws_s3_bucket_policy.lake
  to   = module.bucket["lake"].aws_s3_bucket_policy.this
}

moved {
  from = aws_s3_bucket.artifacts
  to   = module.bucket["artifacts"].aws_s3_bucket.this
}

moved {
  from = aws_s3_bucket_ownership_controls.artifacts
  to   = module.bucket["artifacts"].aws_s3_bucket_ownership_controls.this
}

moved {
  from = aws_s3_bucket_public_access_block.artifacts
  to   = module.bucket["artifacts"].aws_s3_bucket_public_access_block.this
}

moved {
  from = aws_s3_bucket_versioning.artifacts
  to   = module.bucket["artifacts"].aws_s3_bucket_versioning.this
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.artifacts
  to   = module.bucket["artifacts"].aws_s3_bucket_server_side_encryption_configuration.this
}

moved {
  from = aws_s3_bucket_lifecycle_configuration.artifacts
  to   = module.bucket["artifacts"].aws_s3_bucket_lifecycle_configuration.this
}

moved {
  from = aws_s3_bucket_logging.artifacts
  to   = module.bucket["artifacts"].aws_s3_bucket_logging.this[0]
}

moved {
  from = aws_s3_bucket_policy.artifacts
  to   = module.bucket["artifacts"].aws_s3_bucket_policy.this
}

moved {
  from = aws_s3_bucket.access_logs
  to   = module.access_logs.aws_s3_bucket.this
}

moved {
  from = aws_s3_bucket_ownership_controls.access_logs
  to   = module.access_logs.aws_s3_bucket_ownership_controls.this
}

moved {
  from = aws_s3_bucket_public_access_block.access_logs
  to   = module.access_logs.aws_s3_bucket_public_access_block.this
}

moved {
  from = aws_s3_bucket_versioning.access_logs
  to   = module.access_logs.aws_s3_bucket_versioning.this
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.access_logs
  to   = module.access_logs.aws_s3_bucket_server_side_encryption_configuration.this
}

moved {
  from = aws_s3_bucket_lifecycle_configuration.access_logs
  to   = module.access_logs.aws_s3_bucket_lifecycle_configuration.this
}

moved {
  from = aws_s3_bucket_policy.access_logs
  to   = module.access_logs.aws_s3_bucket_policy.this
}

moved {
  from = aws_s3_object.nightly_batch_script
  to   = aws_s3_object.job_script["nightly_batch"]
}

moved {
  from = aws_s3_object.kinesis_stream_script
  to   = aws_s3_object.job_script["kinesis_stream"]
}

moved {
  from = aws_glue_job.nightly_batch
  to   = aws_glue_job.this["nightly_batch"]
}

moved {
  from = aws_glue_job.kinesis_stream
  to   = aws_glue_job.this["kinesis_stream"]
}

# The stream sits behind enable_streaming (count): the existing stream keeps its records.
moved {
  from = aws_kinesis_stream.transactions
  to   = aws_kinesis_stream.transactions[0]
}
