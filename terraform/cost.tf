# What keeps the bill to the figure `cafe-etl cost` models (lib/cafe_etl/cost.py reads the
# variables these use): a daily cap on Redshift Serverless RPU-hours, a monthly budget on
# the deployment's tagged resources, and a retention on every log group it causes.

# ---------------------------------------------------------------------------------------
# Redshift Serverless: RPU-hours a day
# ---------------------------------------------------------------------------------------

# "CreateUsageLimit" (Redshift Serverless API): usageType serverless-compute, period
# daily, amount in RPU-hours, breachAction log | emit-metric | deactivate.
resource "aws_redshiftserverless_usage_limit" "daily_rpu_hours" {
  resource_arn  = aws_redshiftserverless_workgroup.main.arn
  usage_type    = "serverless-compute"
  period        = "daily"
  amount        = var.redshift_usage_limit_rpu_hours
  breach_action = var.redshift_usage_limit_breach_action
}

# Redshift Serverless publishes UsageLimitConsumed (RPU-hours used in the limit's period)
# with the dimensions UsageLimitId, UsageType (SERVERLESS_COMPUTE for this limit) and
# Workgroup ("Audit logging for Amazon Redshift Serverless", CloudWatch metrics); the
# alarm pages the alert topic when the day's use reaches the limit. That page does not
# name the namespace: AWS/Redshift-Serverless is where Serverless metrics such as
# ComputeSeconds are read from, an AWS page saying so was not found (see it in CloudWatch's
# metric list after the first apply). The provider sets the limit's id to its usageLimitId.
resource "aws_cloudwatch_metric_alarm" "redshift_usage_limit" {
  alarm_name          = "${local.name_prefix}-redshift-daily-rpu-hours"
  alarm_description   = "Redshift Serverless used its daily RPU-hours (redshift_usage_limit_rpu_hours): something loads or queries far more often than the cost model says. Runbook: ${local.runbook}#redshift-usage-limit"
  namespace           = "AWS/Redshift-Serverless"
  metric_name         = "UsageLimitConsumed"
  statistic           = "Maximum"
  period              = 3600
  evaluation_periods  = 1
  threshold           = var.redshift_usage_limit_rpu_hours
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]

  dimensions = {
    UsageLimitId = aws_redshiftserverless_usage_limit.daily_rpu_hours.id
    UsageType    = "SERVERLESS_COMPUTE"
    Workgroup    = aws_redshiftserverless_workgroup.main.workgroup_name
  }
}

# ---------------------------------------------------------------------------------------
# The month's bill
# ---------------------------------------------------------------------------------------

# Every resource carries Deployment = <project>-<environment> (locals.tf, default_tags).
# A budget filters on a user tag only once the tag is activated as a cost allocation tag
# (Billing console, Cost allocation tags: activate "Deployment"); costs count from then on.
resource "aws_budgets_budget" "monthly" {
  name         = "${local.name_prefix}-monthly"
  budget_type  = "COST"
  limit_amount = tostring(var.monthly_budget_usd)
  limit_unit   = "USD"
  time_unit    = "MONTHLY"

  cost_filter {
    name   = "TagKeyValue"
    values = [format("user:Deployment$%s", local.name_prefix)]
  }

  notification {
    comparison_operator       = "GREATER_THAN"
    threshold                 = 80
    threshold_type            = "PERCENTAGE"
    notification_type         = "FORECASTED"
    subscriber_sns_topic_arns = [aws_sns_topic.alerts.arn]
  }

  notification {
    comparison_operator       = "GREATER_THAN"
    threshold                 = 100
    threshold_type            = "PERCENTAGE"
    notification_type         = "ACTUAL"
    subscriber_sns_topic_arns = [aws_sns_topic.alerts.arn]
  }

  # Budgets checks that it may publish when the notification is created.
  depends_on = [aws_sns_topic_policy.alerts]
}

# ---------------------------------------------------------------------------------------
# Log groups the services create by name: declared here first, so they get a retention
# (a group a service creates itself never expires) and the customer key.
# ---------------------------------------------------------------------------------------

locals {
  # Redshift Serverless exports each log type to /aws/redshift/<namespace>/<log_type> and
  # "exports log data using the existing log group" when one of that name exists ("Audit
  # logging for Amazon Redshift Serverless"). The crawlers run under the security
  # configuration, so Glue logs them to /aws-glue/crawlers-role/<role>-<configuration>
  # (as jobs to /aws-glue/jobs-<role>-<configuration>, Glue API JobRun.LogGroupName)
  # instead of /aws-glue/crawlers. A role with a path has it before the name
  # (crawlers-role/service-role/<role>-<configuration>, GetCrawler's LastCrawl.LogGroup);
  # glue_crawler has none.
  service_log_groups = merge(
    { for log in local.redshift_log_exports : "redshift_${log}" => "/aws/redshift/${local.redshift_namespace_name}/${log}" },
    { crawlers = "/aws-glue/crawlers-role/${aws_iam_role.glue_crawler.name}-${aws_glue_security_configuration.main.name}" },
  )
}

resource "aws_cloudwatch_log_group" "service" {
  #checkov:skip=CKV_AWS_338:Retention is the log_retention_days variable (30 by default): these logs are operational, the warehouse and the lake keep the record, and a year of statement logs is paid for every day.
  for_each = local.service_log_groups

  name              = each.value
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.main.arn
}
