# Completeness alarms: the nightly job publishes, after each run, how many files arrived
# late (after their day had been loaded) and how many branch-days are missing (a branch
# that sent a file on any of the previous 7 days sent none). Either above zero alarms on
# the failure topic (monitoring.tf), so a missing till or a late upload is seen the same
# morning. So is a branch the region table does not know (BranchesWithoutRegion). Namespace and metric names: cafe_etl/completeness.py (METRIC_NAMESPACE).

locals {
  completeness_namespace = "CafeConnect/Completeness"
  # Every alarm's description ends with its entry in the runbook (docs/operations.md):
  # what it means, the first three checks, the fix.
  runbook = "docs/operations.md"
  completeness_metrics = {
    late_files              = { metric = "LateFiles", runbook = "late-files", what = "A till file arrived after its day had been loaded (the nightly catch-up loaded it; see late_files in the run summary)." }
    missing_branch_days     = { metric = "MissingBranchDays", runbook = "missing-branch-days", what = "A branch expected to trade (it sent a till file on one of the previous 7 days and the reference CSV does not mark it closed) sent none for a day the nightly job processed (see missing_branches in the run summary)." }
    branches_without_region = { metric = "BranchesWithoutRegion", runbook = "branches-without-region", what = "A branch is not in the region table: add it to reference/branch_regions.csv (see unknown_branches in the run summary and cafe.v_reference_gaps)." }
  }
  # Published 1 by each nightly run that succeeded (cafe_etl.completeness.METRICS).
  nightly_success = { metric = "NightlySucceeded", runbook = "nightly-not-succeeded" }
}

resource "aws_cloudwatch_metric_alarm" "completeness" {
  for_each = local.completeness_metrics

  alarm_name          = "${local.name_prefix}-${replace(each.key, "_", "-")}"
  alarm_description   = "${each.value.what} Runbook: ${local.runbook}#${each.value.runbook}"
  namespace           = local.completeness_namespace
  metric_name         = each.value.metric
  statistic           = "Sum"
  period              = 3600
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  # One data point per nightly run: hours without a run are not a problem.
  treat_missing_data = "notBreaching"
  alarm_actions      = [aws_sns_topic.alerts.arn]

  dimensions = {
    JobName = aws_glue_job.this["nightly_batch"].name
  }
}

# No nightly run has succeeded for nightly_success_alarm_hours: the job did not start
# (schedule, trigger, a stuck queue), failed both attempts, or is still running. It is
# watched by the absence of its success metric. Missing hours count as 0 (FILL), so the
# alarm fires once every hour of the window is without a success; a missing-data alarm on
# a one-day period alone would wait several periods before it fires ("How alarm state is
# evaluated when data is missing", "Using Amazon CloudWatch alarms"). A period of an hour
# allows a window of up to 168 of them: Period x EvaluationPeriods at most 604,800 s
# (PutMetricAlarm, Amazon CloudWatch API Reference). Before the first success ever, no
# data at all: treat_missing_data = breaching makes that an alarm too.
resource "aws_cloudwatch_metric_alarm" "nightly_not_succeeded" {
  alarm_name          = "${local.name_prefix}-nightly-not-succeeded"
  alarm_description   = "No nightly run has succeeded for ${var.nightly_success_alarm_hours} hours. Runbook: ${local.runbook}#${local.nightly_success.runbook}"
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  evaluation_periods  = var.nightly_success_alarm_hours
  datapoints_to_alarm = var.nightly_success_alarm_hours
  treat_missing_data  = "breaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
  ok_actions          = [aws_sns_topic.alerts.arn]

  metric_query {
    id          = "succeeded"
    expression  = "FILL(runs, 0)"
    label       = "Nightly runs succeeded per hour (none: 0)"
    return_data = true
  }

  metric_query {
    id = "runs"

    metric {
      namespace   = local.completeness_namespace
      metric_name = local.nightly_success.metric
      period      = 3600
      stat        = "Sum"

      dimensions = {
        JobName = aws_glue_job.this["nightly_batch"].name
      }
    }
  }
}

resource "aws_iam_role_policy" "glue_job_completeness_metrics" {
  name   = "completeness-metrics"
  role   = aws_iam_role.glue_job.id
  policy = data.aws_iam_policy_document.glue_job_completeness_metrics.json
}

data "aws_iam_policy_document" "glue_job_completeness_metrics" {
  # AWS requires "*": cloudwatch:PutMetricData supports no resource-level permissions.
  # The condition limits it to the completeness namespace.
  statement {
    sid       = "PublishGlueMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = [local.completeness_namespace]
    }
  }
}
