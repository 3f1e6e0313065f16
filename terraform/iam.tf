# Three least-privilege roles. Every statement names the exact bucket, stream, key, secret,
# workgroup or log group it needs. The only Resource "*" statements are for actions that
# support no resource-level permissions; each says so where it is written.
#
#   glue_job       both Glue jobs: read raw, read/write lake, read code + write scratch in
#                  artifacts, read the stream, read the salt secret, Data API on the one
#                  workgroup, use the key, write logs and metrics
#   glue_crawler   both crawlers: read raw and lake, maintain this database's tables
#   redshift_copy  assumed by Redshift for COPY: read the lake's loaded tables and manifests

locals {
  # Lake folders Redshift's COPY reads (cafe_etl.schema's LAKE_TRANSACTIONS and
  # LAKE_BASKET_ITEMS, redshift_s3.MANIFEST_FOLDER).
  redshift_copy_prefixes = ["transactions/", "basket_items/", "_redshift_manifests/"]
  # Artifact folders the Glue jobs read: scripts/ and libs/ (the code), tmp/ (--TempDir),
  # checkpoints/ (the stream's), spark-ui/ (event logs, rewritten when a run ends).
  glue_artifact_prefixes = ["scripts/", "libs/", "tmp/", "checkpoints/", "spark-ui/"]
}

# ---------------------------------------------------------------------------------------
# Glue jobs
# ---------------------------------------------------------------------------------------

data "aws_iam_policy_document" "glue_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["glue.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "glue_job" {
  name               = "${local.name_prefix}-glue-job"
  description        = "Cafe Connect Glue jobs (nightly batch and Kinesis streaming)."
  assume_role_policy = data.aws_iam_policy_document.glue_assume.json
}

resource "aws_iam_role_policy" "glue_job" {
  name   = "least-privilege"
  role   = aws_iam_role.glue_job.id
  policy = data.aws_iam_policy_document.glue_job.json
}

data "aws_iam_policy_document" "glue_job" {
  statement {
    sid       = "ListDataBuckets"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [module.bucket["raw"].arn, module.bucket["lake"].arn, module.bucket["artifacts"].arn]
  }

  statement {
    sid       = "ReadRawExports"
    actions   = ["s3:GetObject"]
    resources = ["${module.bucket["raw"].arn}/*"]
  }

  statement {
    sid       = "ReadWriteLake"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${module.bucket["lake"].arn}/*"]
  }

  # Only the folders the jobs use: their scripts and wheel (Glue fetches them as this
  # role), Glue's temp dir, the stream's checkpoints and the Spark UI logs; never the
  # Athena query results that share the bucket.
  statement {
    sid       = "ReadCodeAndScratch"
    actions   = ["s3:GetObject"]
    resources = [for prefix in local.glue_artifact_prefixes : "${module.bucket["artifacts"].arn}/${prefix}*"]
  }

  statement {
    sid     = "WriteScratchCheckpointsSparkUi"
    actions = ["s3:PutObject", "s3:DeleteObject"]
    resources = [
      "${module.bucket["artifacts"].arn}/tmp/*",
      "${module.bucket["artifacts"].arn}/checkpoints/*",
      "${module.bucket["artifacts"].arn}/spark-ui/*",
    ]
  }

  # Only when the stream exists (enable_streaming). one(...[*]) reads the stream's ARN
  # whether or not the stream resource has a count.
  dynamic "statement" {
    for_each = var.enable_streaming ? [1] : []
    content {
      sid = "ReadTillStream"
      actions = [
        "kinesis:DescribeStream",
        "kinesis:DescribeStreamSummary",
        "kinesis:GetRecords",
        "kinesis:GetShardIterator",
        "kinesis:ListShards",
      ]
      resources = [one(aws_kinesis_stream.transactions[*].arn)]
    }
  }

  statement {
    sid       = "ReadHashSalt"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = [aws_secretsmanager_secret.hash_salt.arn]
  }

  statement {
    sid       = "UseDataKey"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.main.arn]
  }

  statement {
    sid       = "RunStatementsOnWorkgroup"
    actions   = ["redshift-data:ExecuteStatement", "redshift-data:BatchExecuteStatement", "redshift-serverless:GetCredentials"]
    resources = [aws_redshiftserverless_workgroup.main.arn]
  }

  # AWS requires "*": DescribeStatement, GetStatementResult and CancelStatement support no
  # resource-level permissions. The condition limits them to statements this role ran.
  statement {
    sid       = "ReadOwnStatementResults"
    actions   = ["redshift-data:DescribeStatement", "redshift-data:GetStatementResult", "redshift-data:CancelStatement"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "redshift-data:statement-owner-iam-userid"
      values   = ["$${aws:userid}"]
    }
  }

  statement {
    sid     = "WriteJobLogs"
    actions = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"]
    resources = [
      aws_cloudwatch_log_group.glue_jobs.arn,
      "${aws_cloudwatch_log_group.glue_jobs.arn}:*",
      local.glue_jobs_log_arn_prefix,
      "${local.glue_jobs_log_arn_prefix}:*",
    ]
  }

  # AWS requires "*": cloudwatch:PutMetricData supports no resource-level permissions.
  # The condition limits it to the Glue metrics namespace.
  statement {
    sid       = "PublishGlueMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = ["Glue"]
    }
  }
}

# ---------------------------------------------------------------------------------------
# Glue crawlers
# ---------------------------------------------------------------------------------------

resource "aws_iam_role" "glue_crawler" {
  name               = "${local.name_prefix}-glue-crawler"
  description        = "Cafe Connect Glue crawlers (raw exports and lake)."
  assume_role_policy = data.aws_iam_policy_document.glue_assume.json
}

resource "aws_iam_role_policy" "glue_crawler" {
  name   = "least-privilege"
  role   = aws_iam_role.glue_crawler.id
  policy = data.aws_iam_policy_document.glue_crawler.json
}

data "aws_iam_policy_document" "glue_crawler" {
  statement {
    sid       = "ListCrawledBuckets"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [module.bucket["raw"].arn, module.bucket["lake"].arn]
  }

  statement {
    sid       = "ReadCrawledObjects"
    actions   = ["s3:GetObject"]
    resources = ["${module.bucket["raw"].arn}/*", "${module.bucket["lake"].arn}/*"]
  }

  statement {
    sid       = "DecryptCrawledObjects"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.main.arn]
  }

  statement {
    sid = "MaintainCatalogTables"
    actions = [
      "glue:GetDatabase",
      "glue:GetTable",
      "glue:GetTables",
      "glue:CreateTable",
      "glue:UpdateTable",
      "glue:GetPartition",
      "glue:GetPartitions",
      "glue:CreatePartition",
      "glue:UpdatePartition",
      "glue:BatchGetPartition",
      "glue:BatchCreatePartition",
      "glue:BatchUpdatePartition",
      "glue:CreatePartitionIndex",
      "glue:GetPartitionIndexes",
    ]
    resources = [local.glue_catalog_arn, local.glue_database_arn, local.glue_tables_arn]
  }

  statement {
    sid       = "WriteCrawlerLogs"
    actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"]
    resources = [local.glue_crawlers_log_arn_prefix, "${local.glue_crawlers_log_arn_prefix}:*"]
  }
}

# ---------------------------------------------------------------------------------------
# Redshift COPY from the lake
# ---------------------------------------------------------------------------------------

data "aws_iam_policy_document" "redshift_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["redshift.amazonaws.com", "redshift-serverless.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "redshift_copy" {
  name               = "${local.name_prefix}-redshift-copy"
  description        = "Assumed by Redshift Serverless to COPY Parquet from the Cafe Connect lake."
  assume_role_policy = data.aws_iam_policy_document.redshift_assume.json
}

resource "aws_iam_role_policy" "redshift_copy" {
  name   = "read-lake"
  role   = aws_iam_role.redshift_copy.id
  policy = data.aws_iam_policy_document.redshift_copy.json
}

data "aws_iam_policy_document" "redshift_copy" {
  statement {
    sid       = "LocateLake"
    actions   = ["s3:GetBucketLocation"]
    resources = [module.bucket["lake"].arn]
  }

  # COPY lists a prefix when it is given one; the loader gives it manifests, but a
  # listing is still kept to the folders it may read.
  statement {
    sid       = "ListLoadedFolders"
    actions   = ["s3:ListBucket"]
    resources = [module.bucket["lake"].arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = [for prefix in local.redshift_copy_prefixes : "${prefix}*"]
    }
  }

  # The two tables a load copies and the loader's manifests and ledger files; never the
  # quarantine, the run summaries or the reference data.
  statement {
    sid       = "ReadLoadedFolders"
    actions   = ["s3:GetObject"]
    resources = [for prefix in local.redshift_copy_prefixes : "${module.bucket["lake"].arn}/${prefix}*"]
  }

  statement {
    sid       = "DecryptLake"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.main.arn]
  }
}
