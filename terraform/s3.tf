# Four buckets, all from modules/bucket (private, versioned, TLS-only, lifecycle rules):
#   raw         till CSV exports (personal data: full names, card numbers); expire quickly
#   lake        personal-data-free Parquet (transactions, basket_items, quarantine, _runs)
#   artifacts   job scripts, the cafe_etl wheel, Glue temp files, Spark UI logs, stream checkpoints
#   access-logs S3 server access logs of the three above
# The three data buckets are one module call with for_each: SSE-KMS with the customer key
# and access logging into the access-log bucket. The access-log bucket is its own call,
# because the others name it as their log target.

locals {
  data_buckets = {
    raw = {
      name = local.raw_bucket_name
      # Raw files hold personal data: they expire after raw_retention_days.
      expiration_days        = var.raw_retention_days
      prefix_expiration_days = {}
    }
    lake = {
      name            = local.lake_bucket_name
      expiration_days = null
      # The Redshift loader's COPY manifests and ledger files, one folder a run (a stream
      # writes one every micro-batch): the record of what each run loaded, for a while.
      prefix_expiration_days = { "_redshift_manifests/" = var.load_manifest_retention_days }
    }
    artifacts = {
      name            = local.artifacts_bucket_name
      expiration_days = null
      # Glue temp files and Athena query results are disposable after a week.
      prefix_expiration_days = { "tmp/" = 7, "athena-results/" = 7 }
    }
  }
}

module "bucket" {
  source   = "./modules/bucket"
  for_each = local.data_buckets

  name                               = each.value.name
  force_destroy                      = var.force_destroy_buckets
  kms_key_arn                        = aws_kms_key.main.arn
  access_log_bucket                  = module.access_logs.id
  access_log_prefix                  = "${each.key}/"
  expiration_days                    = each.value.expiration_days
  noncurrent_version_expiration_days = var.noncurrent_version_retention_days
  prefix_expiration_days             = each.value.prefix_expiration_days
}

# S3 server access log delivery supports only SSE-S3 on the target bucket, so this one
# has no KMS key, and it is not logged into itself.
module "access_logs" {
  source = "./modules/bucket"

  name                               = local.access_logs_bucket_name
  force_destroy                      = var.force_destroy_buckets
  expiration_days                    = var.access_log_retention_days
  noncurrent_version_expiration_days = var.noncurrent_version_retention_days
  policy_documents                   = [data.aws_iam_policy_document.access_log_delivery.json]
}

# The source buckets are named by ARN built from their names (not module.bucket
# references), so the log target does not depend on the buckets that depend on it.
data "aws_iam_policy_document" "access_log_delivery" {
  statement {
    sid       = "S3ServerAccessLogDelivery"
    actions   = ["s3:PutObject"]
    resources = ["arn:${local.partition}:s3:::${local.access_logs_bucket_name}/*"]

    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [for b in local.data_buckets : "arn:${local.partition}:s3:::${b.name}"]
    }
  }
}

# ---------------------------------------------------------------------------------------
# Code shipped to Glue. source_hash (not etag: SSE-KMS objects have no MD5 etag) makes a
# changed script a changed object, so editing a script redeploys it.
# ---------------------------------------------------------------------------------------

# One script per deployed job: a batch-only deployment ships no streaming script. (The
# jobs' own map, which checkov expands, so that it checks each object.)
resource "aws_s3_object" "job_script" {
  for_each = local.deployed_glue_jobs

  bucket      = module.bucket["artifacts"].id
  key         = "scripts/${each.key}.py"
  source      = "${local.glue_jobs_dir}/${each.key}.py"
  source_hash = filemd5("${local.glue_jobs_dir}/${each.key}.py")
  kms_key_id  = aws_kms_key.main.arn
}

# The library wheel: one object per release, libs/cafe_etl-<version>-py3-none-any.whl,
# the version read from pyproject.toml (local.project_version). A release is uploaded once
# and never deleted by Terraform: an aws_s3_object whose key changes is destroyed, which
# would take the previous release with it, and rolling back is pointing the jobs at the
# previous release's object (var.library_version). So the upload is a one-way step, run
# when the version or the wheel changes; the jobs read the key of local.library_version
# through this resource's output, so they change only after the upload.
resource "terraform_data" "library_release" {
  triggers_replace = [local.project_version, filemd5(local.library_wheel_path)]
  input            = "s3://${module.bucket["artifacts"].bucket}/${local.library_wheel_key}"

  provisioner "local-exec" {
    command = "aws s3 cp '${local.library_wheel_path}' 's3://${module.bucket["artifacts"].bucket}/libs/cafe_etl-${local.project_version}-py3-none-any.whl' --sse aws:kms --sse-kms-key-id '${aws_kms_key.main.arn}' --only-show-errors"
  }
}

# The wheel object of earlier versions of this configuration stays in the bucket (it is a
# release); Terraform forgets it instead of deleting it.
removed {
  from = aws_s3_object.library_wheel

  lifecycle {
    destroy = false
  }
}
