# ---------------------------------------------------------------------------------------
# Naming and placement
# ---------------------------------------------------------------------------------------

variable "project" {
  description = "Short project name, the first part of every resource name."
  type        = string
  default     = "cafe-connect"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,19}$", var.project))
    error_message = "project must be 2-20 characters of lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "Deployment environment; the second part of every resource name."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be one of dev, staging, prod."
  }
}

variable "aws_region" {
  description = "AWS Region to deploy into (the chain is in the UK, so London by default)."
  type        = string
  default     = "eu-west-2"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must look like an AWS Region code, for example eu-west-2."
  }
}

variable "tags" {
  description = "Extra tags added to every resource (Project, Environment and ManagedBy are always set)."
  type        = map(string)
  default     = {}

  # "The allowed characters are letters, numbers, spaces representable in UTF-8, and the
  # following characters: _ . : / = + - @" (Tagging AWS resources, "Tag naming limits and
  # requirements"). So an unfilled <placeholder> of envs/prod.tfvars.example fails here.
  validation {
    condition     = alltrue([for k, v in var.tags : can(regex("^[\\p{L}\\p{Z}\\p{N}_.:/=+@-]*$", v)) && can(regex("^[\\p{L}\\p{Z}\\p{N}_.:/=+@-]+$", k))])
    error_message = "tags keys and values may hold only letters, numbers, spaces and _ . : / = + - @ (replace any <placeholder>)."
  }
}

# ---------------------------------------------------------------------------------------
# S3 data zones
# ---------------------------------------------------------------------------------------

variable "raw_retention_days" {
  description = "Days a raw till export is kept. Raw files hold full names and card numbers, so keep this short."
  type        = number
  default     = 30

  validation {
    condition     = var.raw_retention_days >= 1 && var.raw_retention_days <= 365 && floor(var.raw_retention_days) == var.raw_retention_days
    error_message = "raw_retention_days must be a whole number of days between 1 and 365."
  }
}

variable "noncurrent_version_retention_days" {
  description = "Days an overwritten or deleted object version is kept in any bucket before it is expired."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_retention_days >= 1 && var.noncurrent_version_retention_days <= 365 && floor(var.noncurrent_version_retention_days) == var.noncurrent_version_retention_days
    error_message = "noncurrent_version_retention_days must be a whole number of days between 1 and 365."
  }
}

variable "access_log_retention_days" {
  description = "Days S3 server access logs are kept in the access-log bucket."
  type        = number
  default     = 365

  validation {
    condition     = var.access_log_retention_days >= 1 && floor(var.access_log_retention_days) == var.access_log_retention_days
    error_message = "access_log_retention_days must be a whole number of days, at least 1."
  }
}

variable "load_manifest_retention_days" {
  description = "Days the Redshift loader's COPY manifests (the lake's _redshift_manifests/, a folder per run and per stream micro-batch) are kept as the record of what each run loaded."
  type        = number
  default     = 90

  validation {
    condition     = var.load_manifest_retention_days >= 1 && floor(var.load_manifest_retention_days) == var.load_manifest_retention_days
    error_message = "load_manifest_retention_days must be a whole number of days, at least 1."
  }
}

variable "force_destroy_buckets" {
  description = "Let terraform destroy delete non-empty buckets. Only for throw-away environments."
  type        = bool
  default     = false
}

# ---------------------------------------------------------------------------------------
# Library and job scripts
# ---------------------------------------------------------------------------------------

variable "library_version" {
  description = "Roll back: the earlier release of the cafe_etl wheel the jobs run (its object stays in the artifacts bucket, libs/cafe_etl-<version>-py3-none-any.whl). Null runs the version in pyproject.toml, the release `make package` builds and apply uploads."
  type        = string
  default     = null

  validation {
    condition     = var.library_version == null || can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+([a-z0-9.+-]*)$", var.library_version))
    error_message = "library_version must be null or a PEP 440 style version such as 0.1.0."
  }
}

variable "library_wheel_path" {
  description = "Path of the cafe_etl wheel to upload. Null means <repo>/dist/cafe_etl-<pyproject.toml's version>-py3-none-any.whl, which `make package` writes."
  type        = string
  default     = null

  validation {
    condition     = var.library_wheel_path == null || can(regex("\\.whl$", var.library_wheel_path))
    error_message = "library_wheel_path must point at a .whl file."
  }
}

# ---------------------------------------------------------------------------------------
# Glue jobs and schedule
# ---------------------------------------------------------------------------------------

variable "nightly_schedule" {
  description = "Glue cron expression (UTC) of the scheduled trigger that starts the nightly batch job."
  type        = string
  default     = "cron(30 2 * * ? *)"

  validation {
    condition     = can(regex("^cron\\(\\S+ \\S+ \\S+ \\S+ \\S+ \\S+\\)$", var.nightly_schedule))
    error_message = "nightly_schedule must be a six-field Glue cron expression, for example cron(30 2 * * ? *)."
  }
}

variable "nightly_timeout_minutes" {
  description = "Minutes after which a nightly job run is stopped and marked TIMEOUT."
  type        = number
  default     = 60

  validation {
    condition     = var.nightly_timeout_minutes >= 5 && var.nightly_timeout_minutes <= 2880
    error_message = "nightly_timeout_minutes must be between 5 and 2880 (48 hours)."
  }
}

variable "nightly_process_date" {
  description = "Default --process_date of the nightly job: yesterday, all, or a YYYY-MM-DD date (override per run from the console)."
  type        = string
  default     = "yesterday"

  validation {
    condition     = can(regex("^(yesterday|all|[0-9]{4}-[0-9]{2}-[0-9]{2})$", var.nightly_process_date))
    error_message = "nightly_process_date must be yesterday, all or a YYYY-MM-DD date."
  }
}

variable "lookback_days" {
  description = "Days before yesterday the nightly job checks for late or re-sent till files (--lookback_days); a day holding one is processed again whole. Keep it below raw_retention_days."
  type        = number
  default     = 7

  validation {
    condition     = var.lookback_days >= 0 && var.lookback_days <= 28 && floor(var.lookback_days) == var.lookback_days
    error_message = "lookback_days must be a whole number of days between 0 and 28."
  }
}

variable "nightly_workers" {
  description = "G.1X workers of the nightly job (1 DPU each)."
  type        = number
  default     = 2

  validation {
    condition     = var.nightly_workers >= 2 && var.nightly_workers <= 50 && floor(var.nightly_workers) == var.nightly_workers
    error_message = "nightly_workers must be a whole number between 2 and 50."
  }
}

variable "nightly_execution_class" {
  description = "FLEX runs the nightly job on spare capacity at a lower DPU-hour price (start may be delayed); STANDARD starts at once."
  type        = string
  default     = "FLEX"

  validation {
    condition     = contains(["FLEX", "STANDARD"], var.nightly_execution_class)
    error_message = "nightly_execution_class must be FLEX or STANDARD."
  }
}

variable "streaming_glue_version" {
  description = "Glue version of the streaming job. The cafe_etl wheel needs Python 3.11, which only Glue 5.x has; see terraform/README.md before changing."
  type        = string
  default     = "5.1"

  validation {
    condition     = contains(["5.0", "5.1"], var.streaming_glue_version)
    error_message = "streaming_glue_version must be 5.0 or 5.1: the cafe_etl wheel needs Python 3.11, which Glue 4.0 and older do not have."
  }
}

variable "enable_streaming" {
  description = "Deploy the live feed: the Kinesis stream, the streaming Glue job, its start and restart triggers and its alarms. False gives a batch-only deployment (the nightly job stays the complete record)."
  type        = bool
  default     = true
}

variable "trading_open" {
  description = "Opening time of the tills, HH:MM Europe/London. The streaming job is started before it in both GMT and BST (triggers.tf)."
  type        = string
  default     = "07:00"

  # The start trigger's UTC cron is open - 1 h (BST) - a 10-minute lead, on the same day.
  validation {
    condition     = can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]$", var.trading_open)) && try(tonumber(substr(var.trading_open, 0, 2)) * 60 + tonumber(substr(var.trading_open, 3, 2)) >= 70, false)
    error_message = "trading_open must be HH:MM (24-hour, Europe/London), 01:10 or later."
  }
}

variable "trading_close" {
  description = "Closing time of the tills, HH:MM Europe/London: the streaming job's --stop_at (it finishes its last batch and load, then ends SUCCEEDED)."
  type        = string
  default     = "19:00"

  validation {
    condition     = can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]$", var.trading_close))
    error_message = "trading_close must be HH:MM (24-hour, Europe/London)."
  }

  # Zero-padded HH:MM strings order as the times they name.
  validation {
    condition     = try(tonumber(replace(var.trading_close, ":", "")) > tonumber(replace(var.trading_open, ":", "")), false)
    error_message = "trading_close must be later in the day than trading_open."
  }
}

variable "streaming_load_interval_seconds" {
  description = "The streaming job loads the warehouse at most this often (--load_interval_seconds); 0 loads after every micro-batch. Each load bills Redshift Serverless for at least 60 seconds, so this is the main cost lever. A record waits up to one window for its micro-batch and then up to this interval: the default, with the 30-second window, keeps the warehouse at most 15 minutes behind the tills."
  type        = number
  default     = 870

  validation {
    condition     = var.streaming_load_interval_seconds >= 0 && var.streaming_load_interval_seconds <= 3600 && floor(var.streaming_load_interval_seconds) == var.streaming_load_interval_seconds
    error_message = "streaming_load_interval_seconds must be a whole number of seconds between 0 and 3600."
  }
}

variable "streaming_workers" {
  description = "G.025X workers of the streaming job (0.25 DPU each)."
  type        = number
  default     = 2

  validation {
    condition     = var.streaming_workers >= 2 && var.streaming_workers <= 10 && floor(var.streaming_workers) == var.streaming_workers
    error_message = "streaming_workers must be a whole number between 2 and 10."
  }
}

variable "streaming_window_seconds" {
  description = "Micro-batch window of the streaming job, in seconds (--window_seconds)."
  type        = number
  default     = 30

  validation {
    condition     = var.streaming_window_seconds >= 5 && var.streaming_window_seconds <= 900
    error_message = "streaming_window_seconds must be between 5 and 900."
  }
}

variable "streaming_starting_position" {
  description = "Where the streaming job starts reading when it has no checkpoint (--starting_position)."
  type        = string
  default     = "TRIM_HORIZON"

  validation {
    condition     = contains(["TRIM_HORIZON", "LATEST"], var.streaming_starting_position)
    error_message = "streaming_starting_position must be TRIM_HORIZON or LATEST."
  }
}

variable "streaming_maintenance_window" {
  description = "Weekly window (UTC, Day:Hour) in which Glue may restart the streaming job for maintenance."
  type        = string
  default     = "Sun:3"

  validation {
    condition     = can(regex("^(Mon|Tue|Wed|Thu|Fri|Sat|Sun):([0-9]|1[0-9]|2[0-3])$", var.streaming_maintenance_window))
    error_message = "streaming_maintenance_window must look like Sun:3 (day and hour 0-23, UTC)."
  }
}

variable "log_retention_days" {
  description = "Days every log group of the deployment keeps its events (Glue jobs and crawlers, Redshift Serverless's exported logs)."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, ..., 365, ..., 3653)."
  }
}

# ---------------------------------------------------------------------------------------
# Kinesis
# ---------------------------------------------------------------------------------------

variable "kinesis_stream_mode" {
  description = "PROVISIONED (pay per shard-hour; cheapest at till volumes) or ON_DEMAND (pay per stream-hour and per GB)."
  type        = string
  default     = "PROVISIONED"

  validation {
    condition     = contains(["PROVISIONED", "ON_DEMAND"], var.kinesis_stream_mode)
    error_message = "kinesis_stream_mode must be PROVISIONED or ON_DEMAND."
  }
}

variable "kinesis_shard_count" {
  description = "Shards of the stream in PROVISIONED mode (one shard takes 1 MB/s or 1,000 records/s)."
  type        = number
  default     = 1

  validation {
    condition     = var.kinesis_shard_count >= 1 && var.kinesis_shard_count <= 64 && floor(var.kinesis_shard_count) == var.kinesis_shard_count
    error_message = "kinesis_shard_count must be a whole number between 1 and 64."
  }
}

variable "kinesis_retention_hours" {
  description = "Hours records stay readable on the stream (24 is included in the base price). Records sent outside trading hours wait here for the next start, so at least 24."
  type        = number
  default     = 24

  validation {
    condition     = var.kinesis_retention_hours >= 24 && var.kinesis_retention_hours <= 8760
    error_message = "kinesis_retention_hours must be between 24 and 8760: records sent after closing are read at the next morning's start."
  }
}

variable "kinesis_iterator_age_alarm_ms" {
  description = "Alarm when the streaming job is this many milliseconds behind the newest record."
  type        = number
  default     = 600000

  validation {
    condition     = var.kinesis_iterator_age_alarm_ms >= 60000
    error_message = "kinesis_iterator_age_alarm_ms must be at least 60000 (one minute)."
  }
}

# ---------------------------------------------------------------------------------------
# Redshift Serverless
# ---------------------------------------------------------------------------------------

variable "vpc_id" {
  description = "VPC of the Redshift Serverless workgroup."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]{8,17}$", var.vpc_id))
    error_message = "vpc_id must be a VPC id such as vpc-0123456789abcdef0."
  }
}

variable "redshift_subnet_ids" {
  description = "Private subnets of the workgroup: at least three, in three Availability Zones (a Redshift Serverless rule)."
  type        = list(string)

  validation {
    condition     = length(var.redshift_subnet_ids) >= 3 && alltrue([for id in var.redshift_subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", id))])
    error_message = "redshift_subnet_ids must list at least three subnet ids (subnet-...)."
  }
}

variable "redshift_client_cidr_blocks" {
  description = "CIDR blocks inside the VPC allowed to connect to the workgroup on 5439 (BI tools). Jobs use the Data API and need none."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.redshift_client_cidr_blocks : can(cidrhost(c, 0)) && c != "0.0.0.0/0"])
    error_message = "redshift_client_cidr_blocks must be valid CIDR blocks and must not include 0.0.0.0/0."
  }
}

variable "redshift_database_name" {
  description = "Name of the warehouse database created in the namespace."
  type        = string
  default     = "cafe"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_]{0,63}$", var.redshift_database_name))
    error_message = "redshift_database_name must be lower-case letters, digits and underscores, starting with a letter or underscore."
  }
}

variable "redshift_admin_username" {
  description = "Admin user of the namespace; its password is generated and kept by Redshift in Secrets Manager."
  type        = string
  default     = "cafe_admin"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,126}$", var.redshift_admin_username)) && !contains(["admin", "rdsadmin", "root", "public"], var.redshift_admin_username)
    error_message = "redshift_admin_username must start with a letter, use lower-case letters, digits and underscores, and not be a reserved name."
  }
}

variable "redshift_base_capacity" {
  description = "Base capacity of the workgroup in RPUs, billed only while queries run (per second, 60-second minimum). 4 suits warehouses under 32 TB."
  type        = number
  default     = 4

  # "Compute capacity for Amazon Redshift Serverless": 4 RPU, or 8 to 512 in steps of 8,
  # or 512 to 1024 in steps of 32.
  validation {
    condition     = var.redshift_base_capacity == 4 || (var.redshift_base_capacity >= 8 && var.redshift_base_capacity <= 512 && var.redshift_base_capacity % 8 == 0) || (var.redshift_base_capacity > 512 && var.redshift_base_capacity <= 1024 && var.redshift_base_capacity % 32 == 0)
    error_message = "redshift_base_capacity must be 4, a multiple of 8 from 8 to 512, or a multiple of 32 up to 1024."
  }
}

variable "redshift_max_capacity" {
  description = "Upper bound in RPUs the workgroup may scale to; caps the cost of a runaway query."
  type        = number
  default     = 32

  validation {
    condition     = var.redshift_max_capacity == 4 || (var.redshift_max_capacity >= 8 && var.redshift_max_capacity <= 1024 && var.redshift_max_capacity % 8 == 0)
    error_message = "redshift_max_capacity must be 4 or a multiple of 8 between 8 and 1024."
  }

  validation {
    condition     = var.redshift_max_capacity >= var.redshift_base_capacity
    error_message = "redshift_max_capacity must not be below redshift_base_capacity."
  }
}

variable "redshift_usage_limit_rpu_hours" {
  description = "RPU-hours a day the workgroup may use before the usage limit alerts (cost.tf). The default is `cafe-etl cost`'s figure at the defaults with a margin for re-runs and ad-hoc queries."
  type        = number
  default     = 8

  validation {
    condition     = var.redshift_usage_limit_rpu_hours >= 1 && floor(var.redshift_usage_limit_rpu_hours) == var.redshift_usage_limit_rpu_hours
    error_message = "redshift_usage_limit_rpu_hours must be a whole number, at least 1 (the API takes a positive whole amount)."
  }
}

variable "redshift_usage_limit_breach_action" {
  description = "What Redshift Serverless does when the daily RPU-hours are used: emit-metric (alarm, queries go on) or deactivate (queries refused until the next day; loads fail and page)."
  type        = string
  default     = "emit-metric"

  validation {
    condition     = contains(["emit-metric", "deactivate"], var.redshift_usage_limit_breach_action)
    error_message = "redshift_usage_limit_breach_action must be emit-metric or deactivate."
  }
}

# ---------------------------------------------------------------------------------------
# Cost guard rails
# ---------------------------------------------------------------------------------------

variable "monthly_budget_usd" {
  description = "Monthly AWS Budgets limit in USD for the resources tagged Deployment = <project>-<environment> (activate that tag as a cost allocation tag first); alerts at 80 % forecast and 100 % actual. The default is `cafe-etl cost`'s monthly figure at the defaults with a margin."
  type        = number
  default     = 220

  validation {
    condition     = var.monthly_budget_usd >= 1
    error_message = "monthly_budget_usd must be at least 1."
  }
}

# ---------------------------------------------------------------------------------------
# Secrets and alerts
# ---------------------------------------------------------------------------------------

variable "hash_salt_version" {
  description = "Bump to generate a new customer-hash salt. Every customer hash changes with it, so only do it deliberately."
  type        = number
  default     = 1

  validation {
    condition     = var.hash_salt_version >= 1 && floor(var.hash_salt_version) == var.hash_salt_version
    error_message = "hash_salt_version must be a whole number, at least 1."
  }
}

variable "secret_recovery_window_days" {
  description = "Days a deleted secret can still be restored."
  type        = number
  default     = 30

  validation {
    condition     = var.secret_recovery_window_days == 0 || (var.secret_recovery_window_days >= 7 && var.secret_recovery_window_days <= 30)
    error_message = "secret_recovery_window_days must be 0 (delete at once) or between 7 and 30."
  }
}

variable "nightly_success_alarm_hours" {
  description = "Hours without a succeeded nightly run before the nightly-not-succeeded alarm fires: a day between scheduled runs plus the time a run may take. 26 with the 02:30 schedule: an alarm by about 05:00 when the night's run has not succeeded."
  type        = number
  default     = 26

  validation {
    condition     = var.nightly_success_alarm_hours >= 25 && var.nightly_success_alarm_hours <= 168 && floor(var.nightly_success_alarm_hours) == var.nightly_success_alarm_hours
    error_message = "nightly_success_alarm_hours must be a whole number from 25 (more than the day between runs) to 168 (CloudWatch evaluates at most 7 days of hourly periods)."
  }
}

variable "alert_email" {
  description = "E-mail address subscribed to job-failure and stream-lag alerts. Null creates the topic without a subscription."
  type        = string
  default     = null

  validation {
    condition     = var.alert_email == null || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alert_email))
    error_message = "alert_email must be an e-mail address (or null)."
  }
}

# ---------------------------------------------------------------------------------------
# Analytics: Athena over the lake, QuickSight over the warehouse
# ---------------------------------------------------------------------------------------

variable "athena_bytes_scanned_cutoff" {
  description = "Bytes one Athena query in the lake workgroup may scan before Athena cancels it (at least 10485760, 10 MiB)."
  type        = number
  default     = 10737418240

  validation {
    condition     = var.athena_bytes_scanned_cutoff >= 10485760 && floor(var.athena_bytes_scanned_cutoff) == var.athena_bytes_scanned_cutoff
    error_message = "athena_bytes_scanned_cutoff must be a whole number of bytes, at least 10485760 (the AWS provider's minimum; Athena's own is 10000000)."
  }
}

variable "enable_quicksight" {
  description = "Create the QuickSight VPC connection, Redshift data source and trend data sets. Needs a QuickSight subscription in the account first."
  type        = bool
  default     = false
}

variable "quicksight_principal_arn" {
  description = "QuickSight user or group ARN (arn:aws:quicksight:REGION:ACCOUNT:group/default/NAME) that may use the data source and data sets."
  type        = string
  default     = null

  validation {
    condition     = var.quicksight_principal_arn == null || can(regex("^arn:aws[a-z-]*:quicksight:[a-z0-9-]+:[0-9]{12}:(user|group)/", var.quicksight_principal_arn))
    error_message = "quicksight_principal_arn must be a QuickSight user or group ARN."
  }

  validation {
    condition     = !var.enable_quicksight || var.quicksight_principal_arn != null
    error_message = "quicksight_principal_arn is required when enable_quicksight is true."
  }
}
