"""What the deployment costs a day and a month: `cafe-etl cost [--tfvars FILE] [--json]`.

The figures follow from the Terraform variables' values (defaults read from
terraform/variables.tf, overrides from a tfvars file), a few workload assumptions (named
below, each with its reason) and AWS list prices (each a named constant with its page,
the Region it was read for and the date). Every billable resource terraform/ creates has a
line, free ones included with the reason they cost nothing, so a new resource without a
line is visible in review.

Prices: AWS's pricing pages render their per-Region tables by script, so London (eu-west-2)
figures could not be read from them offline. Where a page's text gives a price, that figure
is used (the pages' worked examples quote US East (N. Virginia)); `region` says which
Region each constant is for. London list prices are equal or up to about 10 % higher, so
the budget and the usage limit keep a margin over the modelled figure.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

TERRAFORM_DIR = Path(__file__).resolve().parents[2] / "terraform"

# ---------------------------------------------------------------------------------------
# Prices (USD)
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Price:
    usd: float
    unit: str
    page: str
    region: str
    read: str


_US_EAST = "us-east-1 (the page's text; its London table is rendered by script)"
_READ = "2026-12-06"
_LONDON_TABLE = "eu-west-2 (the project's earlier cost table)"
_GLUE = "https://aws.amazon.com/glue/pricing/"
_REDSHIFT = "https://aws.amazon.com/redshift/pricing/"
_KINESIS = "https://aws.amazon.com/kinesis/data-streams/pricing/"
_S3 = "https://aws.amazon.com/s3/pricing/"
_KMS = "https://aws.amazon.com/kms/pricing/"
_SECRETS = "https://aws.amazon.com/secrets-manager/pricing/"
_CLOUDWATCH = "https://aws.amazon.com/cloudwatch/pricing/"
_ATHENA = "https://aws.amazon.com/athena/pricing/"

GLUE_DPU_HOUR = Price(
    0.44,
    "DPU-hour (jobs and crawlers, per second; job 1-minute and crawler 10-minute minimum)",
    _GLUE,
    _US_EAST,
    _READ,
)
GLUE_FLEX_DPU_HOUR = Price(0.29, "DPU-hour, Flex execution class", _GLUE, _US_EAST, _READ)
REDSHIFT_RPU_HOUR = Price(
    0.375, "RPU-hour (per second, 60-second minimum)", _REDSHIFT, _US_EAST, _READ
)
REDSHIFT_STORAGE_GB_MONTH = Price(
    0.024, "GB-month of Redshift Managed Storage", _REDSHIFT, _US_EAST, _READ
)
KINESIS_SHARD_HOUR = Price(0.015, "shard-hour (provisioned)", _KINESIS, _US_EAST, _READ)
KINESIS_EXTENDED_RETENTION_SHARD_HOUR = Price(
    0.02, "shard-hour of retention beyond 24 h (up to 7 days)", _KINESIS, _US_EAST, _READ
)
KINESIS_PUT_MILLION = Price(
    0.014, "million PUT payload units (25 KB each)", _KINESIS, _US_EAST, _READ
)
KINESIS_ON_DEMAND_STREAM_HOUR = Price(0.04, "stream-hour (on-demand)", _KINESIS, _US_EAST, _READ)
KINESIS_ON_DEMAND_GB_IN = Price(0.08, "GB written (on-demand)", _KINESIS, _US_EAST, _READ)
KINESIS_ON_DEMAND_GB_OUT = Price(0.04, "GB read (on-demand)", _KINESIS, _US_EAST, _READ)
S3_STANDARD_GB_MONTH = Price(0.024, "GB-month, S3 Standard", _S3, _LONDON_TABLE, _READ)
S3_PUT_THOUSAND = Price(0.005, "1,000 PUT, COPY, POST or LIST requests", _S3, _US_EAST, _READ)
S3_GET_THOUSAND = Price(0.0004, "1,000 GET requests", _S3, _US_EAST, _READ)
KMS_KEY_MONTH = Price(1.0, "customer managed key-month", _KMS, _US_EAST, _READ)
KMS_REQUESTS_TEN_THOUSAND = Price(0.03, "10,000 requests", _KMS, _US_EAST, _READ)
SECRET_MONTH = Price(0.40, "secret-month", _SECRETS, _US_EAST, _READ)
CLOUDWATCH_ALARM_MONTH = Price(
    0.10, "standard-resolution alarm-month", _CLOUDWATCH, _US_EAST, _READ
)
CLOUDWATCH_METRIC_MONTH = Price(0.30, "custom metric-month", _CLOUDWATCH, _US_EAST, _READ)
CLOUDWATCH_LOGS_INGEST_GB = Price(0.50, "GB of logs ingested", _CLOUDWATCH, _US_EAST, _READ)
CLOUDWATCH_LOGS_STORE_GB_MONTH = Price(
    0.03, "GB-month of logs stored", _CLOUDWATCH, _US_EAST, _READ
)
ATHENA_TB_SCANNED = Price(5.0, "TB scanned (10 MB minimum a query)", _ATHENA, _US_EAST, _READ)

# An assumed rate, not a quote: override with --usd-gbp.
USD_TO_GBP = 0.80
DAYS_PER_MONTH = 365 / 12

# ---------------------------------------------------------------------------------------
# Workload assumptions (not Terraform's to decide)
# ---------------------------------------------------------------------------------------

# 150 branches at about 400 transactions a day: the nightly-sized run the README measures.
RECORDS_PER_DAY = 60_000
RECORD_BYTES = 400
# The nightly job on 2 G.1X workers, Glue's start included (README "Performance").
NIGHTLY_MINUTES = 2.0
# What a nightly run keeps the warehouse busy (COPY, merge, summary) and the crawler runs.
NIGHTLY_LOAD_MINUTES = 5.0
CRAWLER_MINUTES = 10.0  # Glue bills a crawler run for at least 10 minutes
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
# Reading the Terraform
# ---------------------------------------------------------------------------------------


def _one(value: Any) -> Any:
    """The hcl2 parser checkov uses wraps attribute values in one-item lists."""
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def _parse(path: Path) -> dict:
    return _parse_text(Path(path).read_text(encoding="utf-8"))


@functools.cache
def _parse_text(text: str) -> dict:
    # checkov's own HCL parser (bc-python-hcl2), not a hand-rolled one; only the laptop's
    # `cost` command needs it, so it is imported when the command runs. Its grammar is pure
    # Python and slow, so each text is parsed once (callers only read the result).
    import hcl2  # noqa: PLC0415 - laptop-only dependency (the `local` extra)

    return hcl2.loads(text)


def terraform_defaults(tf_dir: Path = TERRAFORM_DIR) -> dict[str, Any]:
    defaults = {}
    for entry in _parse(Path(tf_dir) / "variables.tf").get("variable", []):
        for name, body in entry.items():
            if "default" in body:
                defaults[name] = _one(body["default"])
    return defaults


def tfvars(path: Path) -> dict[str, Any]:
    return {name: _one(value) for name, value in _parse(path).items()}


def alarm_count(values: Mapping[str, Any], tf_dir: Path = TERRAFORM_DIR) -> int:
    """CloudWatch alarms the Terraform creates with these values: a `for_each` over a local
    map counts its keys, a `count` behind an enable_* switch counts 1 when it is on."""
    resources, local_maps = [], {}
    for path in sorted(Path(tf_dir).glob("*.tf")):
        parsed = _parse(path)
        for entry in parsed.get("resource", []):
            resources += list(entry.get("aws_cloudwatch_metric_alarm", {}).values())
        for entry in parsed.get("locals", []):
            local_maps.update({k: _one(v) for k, v in entry.items() if isinstance(_one(v), dict)})
    total = 0
    for body in resources:
        for_each, count = str(_one(body.get("for_each", ""))), str(_one(body.get("count", "")))
        if for_each:
            name = re.search(r"local\.(\w+)", for_each)
            total += len(local_maps.get(name.group(1), {})) if name else 1
        elif count:
            switch = re.search(r"var\.(enable_\w+)", count)
            total += int(bool(values.get(switch.group(1)))) if switch else int(count)
        else:
            total += 1
    return total


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


def stream_hours(values: Mapping[str, Any]) -> float:
    """Hours the streaming job runs on a winter (GMT) day, the longer one: the start
    trigger's fixed UTC time is the lead before opening in summer and an hour earlier than
    needed in winter (triggers.tf); it stops at closing, London time."""
    if not values["enable_streaming"]:
        return 0.0
    trading = _minutes(values["trading_close"]) - _minutes(values["trading_open"])
    return (trading + 60 * BST_OFFSET_HOURS + START_LEAD_MINUTES) / 60


def stream_loads(values: Mapping[str, Any]) -> int:
    """Warehouse loads a day by the streaming job: one per load interval while records
    arrive (trading hours), every micro-batch when the interval is 0, plus the catch-up at
    start and the last load at the stop."""
    if not values["enable_streaming"]:
        return 0
    trading_s = (_minutes(values["trading_close"]) - _minutes(values["trading_open"])) * 60
    cadence = max(values["streaming_load_interval_seconds"], values["streaming_window_seconds"])
    return math.ceil(trading_s / cadence) + EXTRA_STREAM_LOADS


def redshift_busy_hours(values: Mapping[str, Any]) -> float:
    """Hours a day the workgroup is billed: each load at least the 60-second minimum
    ("Billing for Amazon Redshift Serverless"); loads closer together than that keep it
    busy without a break, so the streaming share is at most the hours the job runs."""
    per_load = max(STREAM_LOAD_SECONDS, 60)
    stream_s = min(stream_loads(values) * per_load, stream_hours(values) * 3600)
    nightly_s = runs_per_day(values["nightly_schedule"]) * NIGHTLY_LOAD_MINUTES * 60
    return (stream_s + nightly_s) / 3600


def warehouse_lag_minutes(values: Mapping[str, Any]) -> float:
    """How far the warehouse can be behind the tills in trading hours: a record waits for
    its micro-batch (the window) and then for the next load (the interval)."""
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

    dpu = 0.25 * values["streaming_workers"]
    add("Glue streaming job", f"{dpu:g} DPU x {hours:.2f} h", dpu * hours * GLUE_DPU_HOUR.usd)
    flex = values["nightly_execution_class"] == "FLEX"
    nightly_price = GLUE_FLEX_DPU_HOUR if flex else GLUE_DPU_HOUR
    nightly_dpu_h = nightly_runs * values["nightly_workers"] * max(NIGHTLY_MINUTES, 1) / 60
    add(
        "Glue nightly job" + (" (Flex)" if flex else ""),
        f"{nightly_runs} x {values['nightly_workers']} DPU x {NIGHTLY_MINUTES:g} min",
        nightly_dpu_h * nightly_price.usd,
    )
    crawler_dpu_h = 2 * nightly_runs * CRAWLER_DPUS * max(CRAWLER_MINUTES, 10) / 60
    add(
        "Glue crawlers (raw, lake)",
        f"2 x {nightly_runs} run x {CRAWLER_DPUS} DPU x {CRAWLER_MINUTES:g} min",
        crawler_dpu_h * GLUE_DPU_HOUR.usd,
    )
    busy = redshift_busy_hours(values)
    rpu_h = busy * values["redshift_base_capacity"]
    add(
        "Redshift Serverless compute",
        f"{stream_loads(values)} stream loads + nightly: {busy * 60:.0f} min x "
        f"{values['redshift_base_capacity']} RPU",
        rpu_h * REDSHIFT_RPU_HOUR.usd,
    )
    add(
        "Redshift managed storage",
        f"{WAREHOUSE_GB:g} GB",
        WAREHOUSE_GB * REDSHIFT_STORAGE_GB_MONTH.usd * month,
    )
    if streaming and values["kinesis_stream_mode"] == "PROVISIONED":
        shards = values["kinesis_shard_count"]
        extra = 24 * shards * KINESIS_EXTENDED_RETENTION_SHARD_HOUR.usd
        retention = extra if values["kinesis_retention_hours"] > 24 else 0.0
        add(
            "Kinesis stream (provisioned)",
            f"{shards} shard x 24 h, retention {values['kinesis_retention_hours']} h",
            24 * shards * KINESIS_SHARD_HOUR.usd + retention,
        )
        put_units = RECORDS_PER_DAY * math.ceil(RECORD_BYTES / 25_600)
        add(
            "Kinesis PUT payload units",
            f"{put_units:,} records",
            put_units / 1e6 * KINESIS_PUT_MILLION.usd,
        )
    elif streaming:
        gb = RECORDS_PER_DAY * max(RECORD_BYTES, 1024) / 1024**3
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
    metrics = 3  # completeness.tf: LateFiles, MissingBranchDays, BranchesWithoutRegion
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
    warehouse_lag_minutes: float
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
    rpu_h = redshift_busy_hours(picked) * picked["redshift_base_capacity"]
    return Estimate(
        lines=cost_lines(picked, alarm_count(values, tf_dir)),
        usd_to_gbp=usd_to_gbp,
        warehouse_lag_minutes=warehouse_lag_minutes(picked),
        redshift_rpu_hours_per_day=rpu_h,
        values=picked,
    )


def format_table(result: Estimate) -> str:
    rate = result.usd_to_gbp
    width = max(len(line.item) for line in result.lines)
    usage = max(len(line.usage) for line in result.lines)
    rows = [
        f"{'Item':<{width}}  {'Usage a day':<{usage}}  {'USD/day':>8}  {'£/day':>7}  {'£/month':>8}"
    ]
    for line in result.lines:
        gbp = line.usd_per_day * rate
        rows.append(
            f"{line.item:<{width}}  {line.usage:<{usage}}  {line.usd_per_day:>8.3f}  "
            f"{gbp:>7.2f}  {gbp * DAYS_PER_MONTH:>8.2f}"
        )
    rows.append(
        f"{'Total':<{width}}  {'':<{usage}}  {result.usd_per_day:>8.3f}  "
        f"{result.gbp_per_day:>7.2f}  {result.gbp_per_month:>8.2f}"
    )
    values = result.values
    rows += [
        "",
        f"Total: £{result.gbp_per_day:.2f} a day, £{result.gbp_per_month:.2f} a month "
        f"(1 USD = {rate} GBP, AWS list prices).",
        f"Trading {values['trading_open']}-{values['trading_close']} London; warehouse at most "
        f"{result.warehouse_lag_minutes:g} min behind in trading hours (window "
        f"{values['streaming_window_seconds']} s + load interval "
        f"{values['streaming_load_interval_seconds']} s); Redshift "
        f"{result.redshift_rpu_hours_per_day:.2f} RPU-hours a day.",
    ]
    return "\n".join(rows)


def as_json(result: Estimate) -> dict[str, Any]:
    return {
        "gbp_per_day": round(result.gbp_per_day, 2),
        "gbp_per_month": round(result.gbp_per_month, 2),
        "usd_per_day": round(result.usd_per_day, 4),
        "usd_to_gbp": result.usd_to_gbp,
        "warehouse_lag_minutes": result.warehouse_lag_minutes,
        "redshift_rpu_hours_per_day": round(result.redshift_rpu_hours_per_day, 3),
        "lines": [asdict(line) for line in result.lines],
        "variables": result.values,
    }


# ---------------------------------------------------------------------------------------
# The subcommand
# ---------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tfvars",
        type=Path,
        default=None,
        help="a .tfvars file whose values override the defaults",
    )
    parser.add_argument("--json", action="store_true", help="print the estimate as JSON")
    parser.add_argument(
        "--usd-gbp",
        "--usd_gbp",
        dest="usd_gbp",
        type=float,
        default=USD_TO_GBP,
        help=f"GBP per USD (default {USD_TO_GBP}, an assumed rate)",
    )
    parser.add_argument("--terraform-dir", type=Path, default=TERRAFORM_DIR, help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    values = terraform_defaults(args.terraform_dir)
    if args.tfvars is not None:
        values.update(tfvars(args.tfvars))
    result = estimate(values, args.usd_gbp, args.terraform_dir)
    print(json.dumps(as_json(result), indent=2) if args.json else format_table(result))
    return 0
