# The Glue triggers are the whole schedule: no EventBridge/CloudWatch rule starts a job.
#
#   nightly workflow:  [SCHEDULED nightly_schedule] -> nightly job
#                        -> (SUCCEEDED)             -> lake crawler
#                        -> (any end state)         -> raw crawler
#   streaming (enable_streaming):
#                       [SCHEDULED before trading_open] -> streaming job (stops itself at
#                                                          trading_close: --stop_at)
#                       streaming job -> (FAILED or TIMEOUT) -> streaming job (a restart)

resource "aws_glue_workflow" "nightly" {
  name                = "${local.name_prefix}-nightly"
  description         = "Nightly batch job, then the lake and raw crawlers."
  max_concurrent_runs = 1
}

resource "aws_glue_trigger" "nightly_start" {
  name              = "${local.name_prefix}-nightly-start"
  description       = "Starts the nightly batch job on the nightly schedule."
  workflow_name     = aws_glue_workflow.nightly.name
  type              = "SCHEDULED"
  schedule          = var.nightly_schedule
  start_on_creation = true

  actions {
    job_name = aws_glue_job.this["nightly_batch"].name
  }

  # No job runs before the warehouse bootstrap has granted the job's database user its
  # rights: a first apply would otherwise fail the first runs (warehouse_bootstrap.tf).
  depends_on = [aws_redshiftdata_statement.default_privileges]
}

resource "aws_glue_trigger" "crawl_lake" {
  name              = "${local.name_prefix}-crawl-lake"
  description       = "Catalogues the lake once the nightly job has succeeded."
  workflow_name     = aws_glue_workflow.nightly.name
  type              = "CONDITIONAL"
  start_on_creation = true

  predicate {
    conditions {
      job_name         = aws_glue_job.this["nightly_batch"].name
      state            = "SUCCEEDED"
      logical_operator = "EQUALS"
    }
  }

  actions {
    crawler_name = aws_glue_crawler.lake.name
  }
}

resource "aws_glue_trigger" "crawl_raw" {
  name              = "${local.name_prefix}-crawl-raw"
  description       = "Catalogues the raw exports after the nightly job, whatever its outcome."
  workflow_name     = aws_glue_workflow.nightly.name
  type              = "CONDITIONAL"
  start_on_creation = true

  # Every end state a trigger can listen for: "the only job states that a trigger can
  # listen for are SUCCEEDED, STOPPED, FAILED, and TIMEOUT" (Glue API, Condition.State).
  # A run that ends ERROR (it never started) cannot be listened for.
  predicate {
    logical = "ANY"

    conditions {
      job_name         = aws_glue_job.this["nightly_batch"].name
      state            = "SUCCEEDED"
      logical_operator = "EQUALS"
    }

    conditions {
      job_name         = aws_glue_job.this["nightly_batch"].name
      state            = "FAILED"
      logical_operator = "EQUALS"
    }

    conditions {
      job_name         = aws_glue_job.this["nightly_batch"].name
      state            = "TIMEOUT"
      logical_operator = "EQUALS"
    }

    conditions {
      job_name         = aws_glue_job.this["nightly_batch"].name
      state            = "STOPPED"
      logical_operator = "EQUALS"
    }
  }

  actions {
    crawler_name = aws_glue_crawler.raw.name
  }
}

# Glue's cron is UTC; the tills keep London time. 07:00 in London is 06:00 UTC in summer
# (BST) and 07:00 UTC in winter (GMT), so a start at trading_open - 1 h - the lead in UTC
# is the lead before opening in summer and an hour and the lead before it in winter: before
# opening in both seasons, for at most an hour of idle streaming in winter. The job stops
# itself at trading_close London time (--stop_at), so the close needs no UTC arithmetic.
locals {
  streaming_start_lead_minutes = 10
  trading_open_minutes         = tonumber(substr(var.trading_open, 0, 2)) * 60 + tonumber(substr(var.trading_open, 3, 2))
  streaming_start_utc_minutes  = local.trading_open_minutes - 60 - local.streaming_start_lead_minutes
  streaming_start_schedule     = "cron(${local.streaming_start_utc_minutes % 60} ${floor(local.streaming_start_utc_minutes / 60)} * * ? *)"
}

resource "aws_glue_trigger" "streaming_start" {
  count = var.enable_streaming ? 1 : 0

  name              = "${local.name_prefix}-streaming-start"
  description       = "Starts the streaming job before the tills open (it stops itself at closing, --stop_at)."
  type              = "SCHEDULED"
  schedule          = local.streaming_start_schedule
  start_on_creation = true

  actions {
    job_name = aws_glue_job.this["kinesis_stream"].name
  }

  # No job runs before the warehouse bootstrap has granted the job's database user its
  # rights: a first apply would otherwise fail the first runs (warehouse_bootstrap.tf).
  depends_on = [aws_redshiftdata_statement.default_privileges]
}

# A failed or timed-out streaming run is started again at once: a conditional trigger "fires
# when a previous job or crawler or multiple jobs or crawlers satisfy a list of conditions"
# ("AWS Glue triggers", AWS Glue Developer Guide), and FAILED and TIMEOUT are states a
# trigger can listen for (Glue API, Condition.State). The run that failed has paged
# (monitoring.tf); the new one resumes from the checkpoint and loads what the lake holds
# but the warehouse does not. A run started after closing stops at once (--stop_at), so a
# failure at night costs a minute, not a night. No run is started while one is running, so
# no run ends FAILED by design.
resource "aws_glue_trigger" "streaming_restart" {
  count = var.enable_streaming ? 1 : 0

  name              = "${local.name_prefix}-streaming-restart"
  description       = "Starts the streaming job again when a run of it ends FAILED or TIMEOUT."
  type              = "CONDITIONAL"
  start_on_creation = true

  predicate {
    logical = "ANY"

    conditions {
      job_name         = aws_glue_job.this["kinesis_stream"].name
      state            = "FAILED"
      logical_operator = "EQUALS"
    }

    conditions {
      job_name         = aws_glue_job.this["kinesis_stream"].name
      state            = "TIMEOUT"
      logical_operator = "EQUALS"
    }
  }

  actions {
    job_name = aws_glue_job.this["kinesis_stream"].name
  }

  depends_on = [aws_redshiftdata_statement.default_privileges]
}
