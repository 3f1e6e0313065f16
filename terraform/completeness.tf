# Completeness alarms: the nightly job publishes, after each run, how many files arrived
# late (after their day had been loaded) and how many branch-days are missing (a branch
# that sent a file on any of the previous 7 days sent none). Either above zero alarms on
# the failure topic (monitoring.tf), so a missing till or a late upload is seen the same
# morning. So is a branch the region table does not know (BranchesWithoutRegion). Namespace and metric names: cafe_etl/completeness.py (METRIC_NAMESPACE).

locals {
  completeness_namespace = "CafeConnect/Completeness"
  completeness_metrics = {
    late_files              = { metric = "LateFiles", what = "A till file arrived after its day had been loaded (the nightly catch-up loaded it; see late_files in the run summary)." }
    missing_branch_days     = { metric = "MissingBranchDays", what = "A branch that sent a till file on one of the previous 7 days sent none for a day the nightly job processed (see missing_branches in the run summary)." }
    branches_without_region = { metric = "BranchesWithoutRegion", what = "A branch is not in the region table: add it to reference/branch_regions.csv (see unknown_branches in the run summary and cafe.v_reference_gaps)." }
  }
}

resource "aws_cloudwatch_metric_alarm" "completeness" {
  for_each = local.completeness_metrics

  alarm_name          = "${local.name_prefix}-${replace(each.key, "_", "-")}"
  alarm_description   = each.value.what
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
