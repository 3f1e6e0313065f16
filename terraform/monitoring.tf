# Alerts: an EventBridge rule on Glue job FAILED/TIMEOUT/ERROR (and one on crawler
# failures) and a CloudWatch alarm on the stream's iterator age, all to one SNS topic.
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
      values   = concat([aws_cloudwatch_metric_alarm.stream_iterator_age.arn], [for a in aws_cloudwatch_metric_alarm.completeness : a.arn])
    }
  }

  statement {
    sid       = "NightlySuccessAlarmPublishes"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts.arn]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_metric_alarm.nightly_not_succeeded.arn]
    }
  }
}

resource "aws_cloudwatch_event_rule" "glue_job_failed" {
  name        = "${local.name_prefix}-glue-job-failed"
  description = "A Cafe Connect Glue job run ended FAILED, TIMEOUT or ERROR (not a refused start). Runbook: ${local.runbook}#glue-job-failed"

  # The streaming watchdog starts the running stream job every 15 minutes; each refused
  # start ends FAILED with "... exceeded its maximum allowed concurrent runs" (Glue's
  # "AWS Glue job run statuses"). Those are not failures: "anything-but" with a wildcard
  # (EventBridge "Comparison operators for use in event patterns") leaves them out.
  event_pattern = jsonencode({
    source        = ["aws.glue"]
    "detail-type" = ["Glue Job State Change"]
    detail = {
      jobName = [aws_glue_job.this["nightly_batch"].name, aws_glue_job.this["kinesis_stream"].name]
      state   = ["FAILED", "TIMEOUT", "ERROR"]
      message = [{ "anything-but" = { wildcard = "*concurrent runs*" } }]
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

# GetRecords.IteratorAgeMilliseconds is only published while something reads the stream,
# so missing data means the streaming job is not reading: treat it as breaching.
resource "aws_cloudwatch_metric_alarm" "stream_iterator_age" {
  alarm_name          = "${local.name_prefix}-stream-iterator-age"
  alarm_description   = "The streaming job is behind the till stream (or not reading it). Runbook: ${local.runbook}#stream-iterator-age"
  namespace           = "AWS/Kinesis"
  metric_name         = "GetRecords.IteratorAgeMilliseconds"
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 3
  threshold           = var.kinesis_iterator_age_alarm_ms
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "breaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
  ok_actions          = [aws_sns_topic.alerts.arn]

  dimensions = {
    StreamName = aws_kinesis_stream.transactions.name
  }
}
