"""The day's usage of every billable resource, from the Terraform variables' values, priced."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cafe_etl.cost.prices import (
    ATHENA_TB_SCANNED,
    CLOUDWATCH_ALARM_MONTH,
    CLOUDWATCH_LOGS_INGEST_GB,
    CLOUDWATCH_LOGS_STORE_GB_MONTH,
    CLOUDWATCH_METRIC_MONTH,
    DAYS_PER_MONTH,
    GLUE_CRAWLER_MINIMUM_MINUTES,
    GLUE_DPU_HOUR,
    GLUE_FLEX_DPU_HOUR,
    GLUE_G025X_DPU,
    GLUE_JOB_MINIMUM_MINUTES,
    KINESIS_EXTENDED_RETENTION_SHARD_HOUR,
    KINESIS_ON_DEMAND_GB_IN,
    KINESIS_ON_DEMAND_GB_OUT,
    KINESIS_ON_DEMAND_MINIMUM_RECORD_BYTES,
    KINESIS_ON_DEMAND_STREAM_HOUR,
    KINESIS_PUT_MILLION,
    KINESIS_PUT_UNIT_BYTES,
    KINESIS_SHARD_HOUR,
    KMS_KEY_MONTH,
    KMS_REQUESTS_TEN_THOUSAND,
    REDSHIFT_MINIMUM_SECONDS,
    REDSHIFT_RPU_HOUR,
    REDSHIFT_STORAGE_GB_MONTH,
    S3_GET_THOUSAND,
    S3_PUT_THOUSAND,
    S3_STANDARD_GB_MONTH,
    SECRET_MONTH,
    USD_TO_GBP,
)
from cafe_etl.cost.terraform import TERRAFORM_DIR, alarm_count

# ---------------------------------------------------------------------------------------
# Workload assumptions (not Terraform's to decide)
# ---------------------------------------------------------------------------------------

# 150 branches at about 400 transactions a day: the nightly-sized run docs/performance.md measures.
RECORDS_PER_DAY = 60_000
RECORD_BYTES = 400
# The nightly job on 2 G.1X workers, Glue's start included (docs/performance.md).
NIGHTLY_MINUTES = 2.0
# What a nightly run keeps the warehouse busy (COPY, merge, summary) and the crawler runs.
NIGHTLY_LOAD_MINUTES = 5.0
CRAWLER_MINUTES = 10.0
CRAWLER_DPUS = 2  # Glue picks a crawler's DPUs; 2 as in AWS's pricing example
# A stream load (COPY of a few hundred rows and the merge) fits the 60-second minimum.
STREAM_LOAD_SECONDS = 60
# Extra warehouse loads a streaming day makes beyond its cadence: the catch-up at start
# (lake files not yet loaded) and the last load when it stops.
EXTRA_STREAM_LOADS = 2
# Spark's checkpoint (offsets, commits) and the lake writes of a micro-batch, and reads.
S3_PUTS_PER_BATCH = 20
S3_GETS_PER_BATCH = 50
S3_NIGHTLY_REQUESTS = 2_000
S3_STORED_GB = 5.0
WAREHOUSE_GB = 1.0
# S3 uses bucket keys, so KMS is called per data key, not per object.
KMS_REQUESTS_PER_DAY = 5_000
STREAM_LOG_MB_PER_HOUR = 5.0
NIGHTLY_LOG_MB = 5.0
REDSHIFT_LOG_MB_PER_DAY = 5.0
ATHENA_QUERIES_PER_DAY = 20
ATHENA_MIN_BYTES = 10 * 1024**2
# Two of the deployment's secrets are always there: the hash salt and the Redshift admin
# secret Redshift manages; the QuickSight reader's comes with enable_quicksight.
ALWAYS_SECRETS = 2
BST_OFFSET_HOURS = 1
# terraform/triggers.tf: local.streaming_start_lead_minutes.
START_LEAD_MINUTES = 10

# The Terraform variables the model reads.
MODEL_VARIABLES = (
    "enable_streaming",
    "trading_open",
    "trading_close",
    "streaming_window_seconds",
    "streaming_load_interval_seconds",
    "streaming_workers",
    "nightly_workers",
    "nightly_execution_class",
    "nightly_schedule",
    "redshift_base_capacity",
    "kinesis_stream_mode",
    "kinesis_shard_count",
    "kinesis_retention_hours",
    "log_retention_days",
    "enable_quicksight",
)

# ---------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    item: str
    usage: str
    usd_per_day: float


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def runs_per_day(cron: str) -> int:
    """Runs a day of a daily Glue cron(minutes hours ...): the product of the values its
    minute and hour fields list (`*`, `a,b`, `a-b`, `a/n`)."""
    fields = cron.removeprefix("cron(").removesuffix(")").split()

    def count(field: str, size: int) -> int:
        total = 0
        for part in field.split(","):
            base, _, step = part.partition("/")
            if base == "*":
                first, last = 0, size - 1
            elif "-" in base:
                first, last = (int(x) for x in base.split("-"))
            else:
                first = int(base)
                last = size - 1 if step else first
            total += len(range(first, last + 1, int(step or 1)))
        return total

    return count(fields[0], 60) * count(fields[1], 24)


def _trading_minutes(values: Mapping[str, Any]) -> int:
    return _minutes(values["trading_close"]) - _minutes(values["trading_open"])


def stream_hours(values: Mapping[str, Any]) -> float:
    """Hours the streaming job runs on a winter (GMT) day, the longer one: the start
    trigger's fixed UTC time is the lead before opening in summer and an hour earlier than
    needed in winter (triggers.tf); it stops at closing, London time."""
    if not values["enable_streaming"]:
        return 0.0
    return (_trading_minutes(values) + 60 * BST_OFFSET_HOURS + START_LEAD_MINUTES) / 60


def stream_loads(values: Mapping[str, Any]) -> int:
    """Warehouse loads a day by the streaming job: one per load interval while records
    arrive (trading hours), every micro-batch when the interval is 0, plus the catch-up at
    start and the last load at the stop."""
    if not values["enable_streaming"]:
        return 0
    trading_s = _trading_minutes(values) * 60
    cadence = max(values["streaming_load_interval_seconds"], values["streaming_window_seconds"])
    return math.ceil(trading_s / cadence) + EXTRA_STREAM_LOADS


def redshift_busy_hours(values: Mapping[str, Any]) -> float:
    """Hours a day the workgroup is billed: each load at least the 60-second minimum
    ("Billing for Amazon Redshift Serverless"); loads closer together than that keep it
    busy without a break, so the streaming share is at most the hours the job runs."""
    per_load = max(STREAM_LOAD_SECONDS, REDSHIFT_MINIMUM_SECONDS)
    stream_s = min(stream_loads(values) * per_load, stream_hours(values) * 3600)
    nightly_s = runs_per_day(values["nightly_schedule"]) * NIGHTLY_LOAD_MINUTES * 60
    return (stream_s + nightly_s) / 3600


def redshift_rpu_hours(values: Mapping[str, Any]) -> float:
    return redshift_busy_hours(values) * values["redshift_base_capacity"]


def warehouse_lag_minutes(values: Mapping[str, Any]) -> float | None:
    """How far the warehouse can be behind the tills in trading hours: a record waits for
    its micro-batch (the window) and then for the next load (the interval). Without the
    stream it is a day behind (the nightly batch): None."""
    if not values["enable_streaming"]:
        return None
    interval = values["streaming_load_interval_seconds"]
    return (values["streaming_window_seconds"] + interval) / 60


def cost_lines(values: Mapping[str, Any], alarms: int) -> list[Line]:
    streaming = bool(values["enable_streaming"])
    hours = stream_hours(values)
    nightly_runs = runs_per_day(values["nightly_schedule"])
    month = 1 / DAYS_PER_MONTH
    lines = []

    def add(item: str, usage: str, usd: float) -> None:
        lines.append(Line(item, usage, usd))

    dpu = GLUE_G025X_DPU * values["streaming_workers"]
    add("Glue streaming job", f"{dpu:g} DPU x {hours:.2f} h", dpu * hours * GLUE_DPU_HOUR.usd)
    flex = values["nightly_execution_class"] == "FLEX"
    nightly_price = GLUE_FLEX_DPU_HOUR if flex else GLUE_DPU_HOUR
    nightly_minutes = max(NIGHTLY_MINUTES, GLUE_JOB_MINIMUM_MINUTES)
    nightly_dpu_h = nightly_runs * values["nightly_workers"] * nightly_minutes / 60
    add(
        "Glue nightly job" + (" (Flex)" if flex else ""),
        f"{nightly_runs} x {values['nightly_workers']} DPU x {NIGHTLY_MINUTES:g} min",
        nightly_dpu_h * nightly_price.usd,
    )
    crawler_minutes = max(CRAWLER_MINUTES, GLUE_CRAWLER_MINIMUM_MINUTES)
    crawler_dpu_h = 2 * nightly_runs * CRAWLER_DPUS * crawler_minutes / 60
    add(
        "Glue crawlers (raw, lake)",
        f"2 x {nightly_runs} run x {CRAWLER_DPUS} DPU x {CRAWLER_MINUTES:g} min",
        crawler_dpu_h * GLUE_DPU_HOUR.usd,
    )
    add(
        "Redshift Serverless compute",
        f"{stream_loads(values)} stream loads + nightly: "
        f"{redshift_busy_hours(values) * 60:.0f} min x {values['redshift_base_capacity']} RPU",
        redshift_rpu_hours(values) * REDSHIFT_RPU_HOUR.usd,
    )
    add(
        "Redshift managed storage",
        f"{WAREHOUSE_GB:g} GB",
        WAREHOUSE_GB * REDSHIFT_STORAGE_GB_MONTH.usd * month,
    )
    if streaming and values["kinesis_stream_mode"] == "PROVISIONED":
        shards = values["kinesis_shard_count"]
        shard_hours = 24 * shards
        extended = values["kinesis_retention_hours"] > 24
        retention = shard_hours * KINESIS_EXTENDED_RETENTION_SHARD_HOUR.usd if extended else 0.0
        add(
            "Kinesis stream (provisioned)",
            f"{shards} shard x 24 h, retention {values['kinesis_retention_hours']} h",
            shard_hours * KINESIS_SHARD_HOUR.usd + retention,
        )
        put_units = RECORDS_PER_DAY * math.ceil(RECORD_BYTES / KINESIS_PUT_UNIT_BYTES)
        add(
            "Kinesis PUT payload units",
            f"{put_units:,} records",
            put_units / 1e6 * KINESIS_PUT_MILLION.usd,
        )
    elif streaming:
        gb = RECORDS_PER_DAY * max(RECORD_BYTES, KINESIS_ON_DEMAND_MINIMUM_RECORD_BYTES) / 1024**3
        add(
            "Kinesis stream (on-demand)",
            f"24 stream-hours, {gb:.3f} GB in and out",
            24 * KINESIS_ON_DEMAND_STREAM_HOUR.usd
            + gb * (KINESIS_ON_DEMAND_GB_IN.usd + KINESIS_ON_DEMAND_GB_OUT.usd),
        )
    batches = hours * 3600 / values["streaming_window_seconds"]
    puts = batches * S3_PUTS_PER_BATCH + S3_NIGHTLY_REQUESTS * nightly_runs
    gets = batches * S3_GETS_PER_BATCH + S3_NIGHTLY_REQUESTS * nightly_runs
    add(
        "S3 requests",
        f"{puts:,.0f} PUT/LIST, {gets:,.0f} GET ({batches:,.0f} micro-batches)",
        puts / 1000 * S3_PUT_THOUSAND.usd + gets / 1000 * S3_GET_THOUSAND.usd,
    )
    add("S3 storage", f"{S3_STORED_GB:g} GB", S3_STORED_GB * S3_STANDARD_GB_MONTH.usd * month)
    add(
        "KMS",
        f"1 key, {KMS_REQUESTS_PER_DAY:,} requests",
        KMS_KEY_MONTH.usd * month + KMS_REQUESTS_PER_DAY / 10_000 * KMS_REQUESTS_TEN_THOUSAND.usd,
    )
    secrets = ALWAYS_SECRETS + int(bool(values.get("enable_quicksight")))
    add("Secrets Manager", f"{secrets} secrets", secrets * SECRET_MONTH.usd * month)
    add("CloudWatch alarms", f"{alarms} alarms", alarms * CLOUDWATCH_ALARM_MONTH.usd * month)
    # completeness.tf: LateFiles, MissingBranchDays, BranchesWithoutRegion, NightlySucceeded
    metrics = 4
    add(
        "CloudWatch custom metrics",
        f"{metrics} metrics",
        metrics * CLOUDWATCH_METRIC_MONTH.usd * month,
    )
    log_gb = (
        hours * STREAM_LOG_MB_PER_HOUR + nightly_runs * NIGHTLY_LOG_MB + REDSHIFT_LOG_MB_PER_DAY
    ) / 1024
    stored = log_gb * values["log_retention_days"]
    add(
        "CloudWatch Logs",
        f"{log_gb * 1024:.0f} MB a day, {values['log_retention_days']} days kept",
        log_gb * CLOUDWATCH_LOGS_INGEST_GB.usd
        + stored * CLOUDWATCH_LOGS_STORE_GB_MONTH.usd * month,
    )
    athena_tb = ATHENA_QUERIES_PER_DAY * ATHENA_MIN_BYTES / 1024**4
    add(
        "Athena",
        f"{ATHENA_QUERIES_PER_DAY} queries at the 10 MB minimum",
        athena_tb * ATHENA_TB_SCANNED.usd,
    )
    for item, why in (
        ("AWS Budgets", "1 budget: the first two are free"),
        ("EventBridge rules", "AWS service events on the default bus are free"),
        ("SNS alert topic", "within the free tier (1M publishes, 1,000 e-mails a month)"),
        ("Glue Data Catalog", "within the free first million objects and requests"),
        ("Redshift Data API", "no charge beyond the workgroup's compute"),
    ):
        add(item, why, 0.0)
    return lines


@dataclass(frozen=True)
class Estimate:
    lines: list[Line]
    usd_to_gbp: float
    warehouse_lag_minutes: float | None
    redshift_rpu_hours_per_day: float
    values: dict[str, Any]

    @property
    def usd_per_day(self) -> float:
        return sum(line.usd_per_day for line in self.lines)

    @property
    def gbp_per_day(self) -> float:
        return self.usd_per_day * self.usd_to_gbp

    @property
    def gbp_per_month(self) -> float:
        return self.gbp_per_day * DAYS_PER_MONTH


def estimate(
    values: Mapping[str, Any], usd_to_gbp: float = USD_TO_GBP, tf_dir: Path = TERRAFORM_DIR
) -> Estimate:
    picked = {name: values.get(name) for name in MODEL_VARIABLES}
    return Estimate(
        lines=cost_lines(picked, alarm_count(values, tf_dir)),
        usd_to_gbp=usd_to_gbp,
        warehouse_lag_minutes=warehouse_lag_minutes(picked),
        redshift_rpu_hours_per_day=redshift_rpu_hours(picked),
        values=picked,
    )
