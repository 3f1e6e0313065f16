# The two Glue jobs, the security configuration every job and crawler uses, and the log
# groups their logs go to. Arguments not starting with a Glue special name
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

# Glue 5 logs every job in real time to <prefix>/error (driver, executors, Spark) and
# <prefix>/output (stdout, stderr), the prefix set by --custom-logGroup-prefix
# ("Logging for AWS Glue jobs"); the Glue 4 arguments --enable-continuous-cloudwatch-log
# and --continuous-log-logGroup no longer choose the group.
locals {
  glue_log_group_prefix = "/aws-glue/jobs/${local.name_prefix}"
}

resource "aws_cloudwatch_log_group" "glue_jobs" {
  #checkov:skip=CKV_AWS_338:Retention is the log_retention_days variable (30 by default): job logs are operational, the run summaries in the lake keep the record, and longer retention is paid for every day.
  name              = "${local.glue_log_group_prefix}/error"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.main.arn
}

resource "aws_cloudwatch_log_group" "glue_jobs_output" {
  #checkov:skip=CKV_AWS_338:Retention is the log_retention_days variable (30 by default): job logs are operational, the run summaries in the lake keep the record, and longer retention is paid for every day.
  name              = "${local.glue_log_group_prefix}/output"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.main.arn
}

# Arguments both jobs get: Glue's own parameters, then the script arguments the two
# scripts share. Each job merges its own on top (a job's value wins on a clash).
locals {
  glue_common_arguments = {
    # Glue special parameters
    "--job-language"                 = "python"
    "--TempDir"                      = local.temp_dir_uri
    "--enable-metrics"               = "true"
    "--enable-observability-metrics" = "true"
    "--custom-logGroup-prefix"       = local.glue_log_group_prefix
    "--additional-python-modules"    = local.library_wheel_uri
    # The wheel declares only boto3 and pyarrow, which Glue has; --no-deps keeps pip from
    # replacing Glue's own copies in any case.
    "--python-modules-installer-option" = "--no-deps"

    # Script arguments of both nightly_batch.py and kinesis_stream.py
    "--lake_uri"               = local.lake_uri
    "--warehouse_url"          = local.warehouse_url
    "--hash_salt_secret_id"    = aws_secretsmanager_secret.hash_salt.arn
    "--redshift_copy_role_arn" = aws_iam_role.redshift_copy.arn
    "--reference_uri"          = local.reference_uri
  }
}

# The two jobs, one definition each in local.glue_jobs, made by one resource:
#   nightly_batch   one day of raw till CSVs -> personal-data-free Parquet lake -> Redshift
#   kinesis_stream  Kinesis till records -> lake -> Redshift, one micro-batch at a time
# Both run one at a time (max_concurrent_runs = 1). The streaming job runs in trading
# hours: a scheduled trigger starts it before opening, it stops itself at closing
# (--stop_at), and a conditional trigger starts it again if a run fails (triggers.tf).
#
# The nightly job may run as FLEX: "Only jobs with Glue version 3.0 and above and command
# type glueetl will be allowed to set ExecutionClass to FLEX" (Glue API, Job structure,
# ExecutionClass), on G.1X or G.2X workers ("Flex execution class", AWS Glue Developer
# Guide): glueetl on 5.1 with G.1X qualifies. Streaming jobs cannot (gluestreaming).
locals {
  glue_jobs = {
    nightly_batch = {
      description        = "Nightly batch: the day's raw till CSVs -> personal-data-free Parquet lake -> Redshift."
      command            = "glueetl"
      glue_version       = "5.1"
      worker_type        = "G.1X"
      workers            = var.nightly_workers
      execution_class    = var.nightly_execution_class
      timeout            = var.nightly_timeout_minutes
      max_retries        = 1
      queuing            = true
      maintenance_window = null
      arguments = {
        "--job-bookmark-option"   = "job-bookmark-disable"
        "--enable-spark-ui"       = "true"
        "--spark-event-logs-path" = local.spark_ui_uri

        # nightly_batch.py arguments
        "--raw_uri"       = local.raw_uri
        "--process_date"  = var.nightly_process_date
        "--lookback_days" = tostring(var.lookback_days)
      }
    }
    kinesis_stream = {
      description        = "Streaming: Kinesis till records -> personal-data-free Parquet lake -> Redshift, per micro-batch."
      command            = "gluestreaming"
      glue_version       = var.streaming_glue_version
      worker_type        = "G.025X"
      workers            = var.streaming_workers
      execution_class    = null
      timeout            = null
      max_retries        = 0
      queuing            = false
      maintenance_window = var.streaming_maintenance_window
      arguments = {
        # kinesis_stream.py arguments
        "--stream_name"           = one(aws_kinesis_stream.transactions[*].name)
        "--stream_arn"            = one(aws_kinesis_stream.transactions[*].arn)
        "--checkpoint_uri"        = local.checkpoint_uri
        "--window_seconds"        = tostring(var.streaming_window_seconds)
        "--load_interval_seconds" = tostring(var.streaming_load_interval_seconds)
        "--stop_at"               = var.trading_close
        "--starting_position"     = var.streaming_starting_position
        "--aws_region"            = var.aws_region
      }
    }
  }
}

# A batch-only deployment (enable_streaming = false) has no streaming job. (A conditional
# between two maps rather than a filtering `for`, so checkov renders each job.)
locals {
  deployed_glue_jobs = var.enable_streaming ? local.glue_jobs : { nightly_batch = local.glue_jobs.nightly_batch }
}

resource "aws_glue_job" "this" {
  for_each = local.deployed_glue_jobs

  name                    = "${local.name_prefix}-${replace(each.key, "_", "-")}"
  description             = each.value.description
  role_arn                = aws_iam_role.glue_job.arn
  glue_version            = each.value.glue_version
  worker_type             = each.value.worker_type
  number_of_workers       = each.value.workers
  execution_class         = each.value.execution_class
  timeout                 = each.value.timeout
  max_retries             = each.value.max_retries
  job_run_queuing_enabled = each.value.queuing
  maintenance_window      = each.value.maintenance_window
  security_configuration  = aws_glue_security_configuration.main.name

  command {
    name            = each.value.command
    script_location = "s3://${aws_s3_object.job_script[each.key].bucket}/${aws_s3_object.job_script[each.key].key}"
    python_version  = "3"
  }

  execution_property {
    max_concurrent_runs = 1
  }

  default_arguments = merge(local.glue_common_arguments, each.value.arguments)
}
