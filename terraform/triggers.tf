# The Glue triggers are the whole schedule: no EventBridge/CloudWatch rule starts a job.
#
#   nightly workflow:  [SCHEDULED nightly_schedule] -> nightly job
#                        -> (SUCCEEDED)             -> lake crawler
#                        -> (any end state)         -> raw crawler
#   streaming watchdog: [SCHEDULED every 15 min] -> streaming job (refused while it runs;
#                       monitoring.tf leaves the refusals out of the alerts)

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

resource "aws_glue_trigger" "streaming_watchdog" {
  name              = "${local.name_prefix}-streaming-watchdog"
  description       = "Starts the streaming job if it is not running (max_concurrent_runs = 1 makes this a no-op while it runs)."
  type              = "SCHEDULED"
  schedule          = var.streaming_watchdog_schedule
  start_on_creation = true

  actions {
    job_name = aws_glue_job.this["kinesis_stream"].name
  }

  # No job runs before the warehouse bootstrap has granted the job's database user its
  # rights: a first apply would otherwise fail the first runs (warehouse_bootstrap.tf).
  depends_on = [aws_redshiftdata_statement.default_privileges]
}
