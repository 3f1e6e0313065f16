# The two Glue jobs, the security configuration every job and crawler uses, and the log
# group their continuous logs go to. Arguments not starting with a Glue special name
# (--enable-*, --job-*, --TempDir, ...) are the scripts' own: REQUIRED_ARGS/OPTIONAL_ARGS
# in glue_jobs/*.py. JOB_NAME is supplied by Glue itself. The salt is never passed
# (--hash_salt); the jobs read it from Secrets Manager (--hash_salt_secret_id).

resource "aws_glue_security_configuration" "main" {
  name = "${local.name_prefix}-security"

  encryption_configuration {
    cloudwatch_encryption {
      cloudwatch_encryption_mode = "SSE-KMS"
      kms_key_arn                = aws_kms_key.main.arn
    }

    job_bookmarks_encryption {
      job_bookmarks_encryption_mode = "CSE-KMS"
      kms_key_arn                   = aws_kms_key.main.arn
    }

    s3_encryption {
      s3_encryption_mode = "SSE-KMS"
      kms_key_arn        = aws_kms_key.main.arn
    }
  }
}

resource "aws_cloudwatch_log_group" "glue_jobs" {
  name              = "/aws-glue/jobs/${local.name_prefix}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.main.arn
}

# Nightly batch: one day of raw till CSVs -> lake -> warehouse.
resource "aws_glue_job" "nightly_batch" {
  name                    = "${local.name_prefix}-nightly-batch"
  description             = "Nightly batch: the day's raw till CSVs -> personal-data-free Parquet lake -> Redshift."
  role_arn                = aws_iam_role.glue_job.arn
  glue_version            = "5.1"
  worker_type             = "G.1X"
  number_of_workers       = 2
  execution_class         = "STANDARD"
  timeout                 = var.nightly_timeout_minutes
  max_retries             = 1
  job_run_queuing_enabled = true
  security_configuration  = aws_glue_security_configuration.main.name

  command {
    name            = "glueetl"
    script_location = "s3://${aws_s3_object.nightly_batch_script.bucket}/${aws_s3_object.nightly_batch_script.key}"
    python_version  = "3"
  }

  execution_property {
    max_concurrent_runs = 1
  }

  default_arguments = {
    # Glue special parameters
    "--job-language"                     = "python"
    "--job-bookmark-option"              = "job-bookmark-disable"
    "--TempDir"                          = local.temp_dir_uri
    "--enable-metrics"                   = "true"
    "--enable-observability-metrics"     = "true"
    "--enable-continuous-cloudwatch-log" = "true"
    "--enable-continuous-log-filter"     = "true"
    "--continuous-log-logGroup"          = aws_cloudwatch_log_group.glue_jobs.name
    "--enable-spark-ui"                  = "true"
    "--spark-event-logs-path"            = local.spark_ui_uri
    "--additional-python-modules"        = local.library_wheel_uri
    # The wheel's own dependencies (pyspark, the local stand-ins) must not replace Glue's.
    "--python-modules-installer-option" = "--no-deps"

    # nightly_batch.py arguments
    "--raw_uri"                = local.raw_uri
    "--lake_uri"               = local.lake_uri
    "--warehouse_url"          = local.warehouse_url
    "--process_date"           = var.nightly_process_date
    "--hash_salt_secret_id"    = aws_secretsmanager_secret.hash_salt.arn
    "--redshift_copy_role_arn" = aws_iam_role.redshift_copy.arn
    "--reference_uri"          = local.reference_uri
  }
}

# Streaming: Kinesis till records -> lake -> warehouse, one micro-batch at a time.
resource "aws_glue_job" "kinesis_stream" {
  name                    = "${local.name_prefix}-kinesis-stream"
  description             = "Streaming: Kinesis till records -> personal-data-free Parquet lake -> Redshift, per micro-batch."
  role_arn                = aws_iam_role.glue_job.arn
  glue_version            = var.streaming_glue_version
  worker_type             = "G.025X"
  number_of_workers       = 2
  max_retries             = 0
  job_run_queuing_enabled = false
  maintenance_window      = var.streaming_maintenance_window
  security_configuration  = aws_glue_security_configuration.main.name

  command {
    name            = "gluestreaming"
    script_location = "s3://${aws_s3_object.kinesis_stream_script.bucket}/${aws_s3_object.kinesis_stream_script.key}"
    python_version  = "3"
  }

  # One run at a time: the watchdog trigger's start attempts fail harmlessly while the
  # job is running and start it again once it has stopped.
  execution_property {
    max_concurrent_runs = 1
  }

  default_arguments = {
    # Glue special parameters
    "--job-language"                     = "python"
    "--TempDir"                          = local.temp_dir_uri
    "--enable-metrics"                   = "true"
    "--enable-observability-metrics"     = "true"
    "--enable-continuous-cloudwatch-log" = "true"
    "--enable-continuous-log-filter"     = "true"
    "--continuous-log-logGroup"          = aws_cloudwatch_log_group.glue_jobs.name
    "--additional-python-modules"        = local.library_wheel_uri
    "--python-modules-installer-option"  = "--no-deps"

    # kinesis_stream.py arguments
    "--stream_name"            = aws_kinesis_stream.transactions.name
    "--lake_uri"               = local.lake_uri
    "--warehouse_url"          = local.warehouse_url
    "--checkpoint_uri"         = local.checkpoint_uri
    "--window_seconds"         = tostring(var.streaming_window_seconds)
    "--starting_position"      = var.streaming_starting_position
    "--hash_salt_secret_id"    = aws_secretsmanager_secret.hash_salt.arn
    "--redshift_copy_role_arn" = aws_iam_role.redshift_copy.arn
    "--aws_region"             = var.aws_region
    "--reference_uri"          = local.reference_uri
  }
}
