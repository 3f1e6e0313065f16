# Alerts: an EventBridge rule on Glue job FAILED/TIMEOUT (and one on crawler failures), a
# CloudWatch alarm on the stream's iterator age, the Redshift usage limit (cost.tf) and
# the budget (cost.tf), all to one SNS topic.
# None of these rules has a schedule or targets a job: the Glue triggers are the schedule.

resource "aws_sns_topic" "alerts" {
  name              = "${local.name_prefix}-alerts"
  kms_master_key_id = aws_kms_key.main.arn
}

resource "aws_sns_topic_subscription" "alerts_email" {
  count = var.alert_email == null ? 0 : 1

  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = var.alert_email
}

resource "aws_sns_topic_policy" "alerts" {
  arn    = aws_sns_topic.alerts.arn
  policy = data.aws_iam_policy_document.alerts_topic.json
}

data "aws_iam_policy_document" "alerts_topic" {
  statement {
    sid       = "EventBridgeRulesPublish"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts.arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.glue_job_failed.arn, aws_cloudwatch_event_rule.glue_crawler_failed.arn]
    }
  }

  statement {
    sid       = "CloudWatchAlarmsPublish"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts.arn]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = concat(aws_cloudwatch_metric_alarm.stream_iterator_age[*].arn, [for a in aws_cloudwatch_metric_alarm.completeness : a.arn], [aws_cloudwatch_metric_alarm.redshift_usage_limit.arn, aws_cloudwatch_metric_alarm.nightly_not_succeeded.arn])
    }
  }

  # AWS Budgets publishes the budget's alerts (cost.tf): "Creating an Amazon SNS topic for
  # budget notifications" (AWS Budgets User Guide) grants budgets.amazonaws.com
  # SNS:Publish, limited to this account's budgets.
  statement {
    sid       = "BudgetsPublish"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts.arn]

    principals {
      type        = "Service"
      identifiers = ["budgets.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:budgets::${local.account_id}:*"]
    }
  }
}

resource "aws_cloudwatch_event_rule" "glue_job_failed" {
  name        = "${local.name_prefix}-glue-job-failed"
  description = "A Cafe Connect Glue job run ended FAILED or TIMEOUT. Runbook: ${local.runbook}#glue-job-failed"

  # Every FAILED or TIMEOUT run pages and nothing else does: no trigger starts a job while
  # it runs (triggers.tf), so no run fails by design and no message needs filtering out.
  event_pattern = jsonencode({
    source        = ["aws.glue"]
    "detail-type" = ["Glue Job State Change"]
    detail = {
      jobName = [for job in aws_glue_job.this : job.name]
      state   = ["FAILED", "TIMEOUT"]
    }
  })
}

resource "aws_cloudwatch_event_target" "glue_job_failed" {
  rule      = aws_cloudwatch_event_rule.glue_job_failed.name
  target_id = "alerts-topic"
  arn       = aws_sns_topic.alerts.arn
}

resource "aws_cloudwatch_event_rule" "glue_crawler_failed" {
  name        = "${local.name_prefix}-glue-crawler-failed"
  description = "A Cafe Connect Glue crawler run failed. Runbook: ${local.runbook}#glue-crawler-failed"

  event_pattern = jsonencode({
    source        = ["aws.glue"]
    "detail-type" = ["Glue Crawler State Change"]
    detail = {
      crawlerName = [aws_glue_crawler.raw.name, aws_glue_crawler.lake.name]
      state       = ["Failed"]
    }
  })
}

resource "aws_cloudwatch_event_target" "glue_crawler_failed" {
  rule      = aws_cloudwatch_event_rule.glue_crawler_failed.name
  target_id = "alerts-topic"
  arn       = aws_sns_topic.alerts.arn
}

# GetRecords.IteratorAgeMilliseconds is only published while something reads the stream.
# The job reads only in trading hours, so missing data is the night, not a fault; a run
# that stops reading by failing pages through the job-state rule above.
resource "aws_cloudwatch_metric_alarm" "stream_iterator_age" {
  count = var.enable_streaming ? 1 : 0

  alarm_name          = "${local.name_prefix}-stream-iterator-age"
  alarm_description   = "The streaming job is behind the till stream. Runbook: ${local.runbook}#stream-iterator-age"
  namespace           = "AWS/Kinesis"
  metric_name         = "GetRecords.IteratorAgeMilliseconds"
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 3
  threshold           = var.kinesis_iterator_age_alarm_ms
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
  ok_actions          = [aws_sns_topic.alerts.arn]

  dimensions = {
    StreamName = aws_kinesis_stream.transactions[0].name
  }
}
