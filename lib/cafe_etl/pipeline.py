"""extract → transform → lake → warehouse, returning the run summary.

Data moves one way: raw files become raw rows (raw.py), raw rows become transactions,
items and quarantine (transform.py), those are written to the lake (lake.py), and the
warehouse loads what the lake holds (warehouse/).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
import uuid
from contextlib import contextmanager
from urllib.parse import urlparse

from pyspark.sql import DataFrame, SparkSession

from cafe_etl import completeness, lake, processing, raw, reference
from cafe_etl.errors import UsageError
from cafe_etl.runtime import Runtime, redact_in_plans, resolve_salt
from cafe_etl.schema import LAKE_TABLES
from cafe_etl.warehouse import Warehouse, open_warehouse, sql
from cafe_etl.warehouse.model import ETL_FILE, SCHEMA

log = logging.getLogger("cafe_etl.pipeline")


def new_run_id(now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]


class Stopwatch:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str):
        log.info("stage %s: started", name)
        start = time.monotonic()
        try:
            yield
        finally:
            self.seconds[name] = round(time.monotonic() - start, 3)
            log.info("stage %s: %.1fs", name, self.seconds[name])


def run_batch(runtime: Runtime, args: dict) -> dict:
    """The nightly job: the raw files of a day (or all days) into the lake and warehouse."""
    spark = runtime.spark
    started_at = dt.datetime.now(dt.UTC)
    watch = Stopwatch()
    salt = resolve_salt(args, runtime.on_glue)
    redact_in_plans(spark, salt)

    warehouse = open_warehouse(
        args["warehouse_url"], args.get("redshift_copy_role_arn"), args.get("aws_region")
    )
    lake_uri = lake.normalise_uri(args["lake_uri"])
    with watch.stage("preflight"):
        warehouse.ensure_schema()
        lake.check_writable(spark, lake_uri)
        listed, target, catch_up = list_candidates(spark, args)
        regions, closures = reference.read_reference(spark, args.get("reference_uri"))
    summary: dict = {
        "run_id": new_run_id(started_at),
        "job_name": runtime.job_name,
        "source": "batch",
        "process_date": args.get("process_date") or "yesterday",
        "raw_uri": args["raw_uri"],
        "lake_uri": lake_uri,
        "started_at": started_at.isoformat(timespec="seconds"),
        "status": "running",
    }
    # On Glue the job's max concurrent runs (1) already serialises runs; the warehouse
    # lock covers laptops and manual runs.
    with warehouse.run_lock(runtime.job_name):
        lake.remove_stale_staging(spark, lake_uri, LAKE_TABLES)
        warehouse.start_run(summary["run_id"], runtime.job_name, started_at.replace(tzinfo=None))
        try:
            # Read under the run lock: no other run changes the ledger meanwhile.
            ledger = read_ledger(warehouse, completeness.ledger_window(listed, target))
            plan = completeness.plan_run(listed, ledger, target, catch_up, closures.closed)
            files = plan.files
            summary.update(plan_summary(plan))
            rows = completeness.ledger_rows(
                plan, ledger, summary["run_id"], dt.datetime.now(dt.UTC).replace(tzinfo=None)
            )
            log.info(
                "run %s: %d raw files of %d days under %s",
                summary["run_id"],
                len(files),
                len(plan.days),
                args["raw_uri"],
            )
            for day, reason in plan.refused_days.items():
                log.warning("day %s not processed: %s", day, reason)
            _extract_transform_load(spark, files, salt, warehouse, summary, watch, rows, regions)
        except BaseException as exc:
            summary.update(status="failed", error=type(exc).__name__, seconds=watch.seconds)
            processing.record_failure(warehouse, summary["run_id"], summary)
            _write_summary(spark, lake_uri, summary)
            raise
    summary["status"] = "succeeded"
    summary["finished_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    summary["seconds"] = {**watch.seconds, "total": round(sum(watch.seconds.values()), 3)}
    summary["run_summary_uri"] = lake.write_run_summary(spark, lake_uri, summary)
    if runtime.on_glue:
        completeness.publish_metrics(summary, runtime.job_name, args.get("aws_region"))
    return summary


def list_candidates(spark: SparkSession, args: dict):
    """The raw files a run may read: (files, the day --process_date names, catch-up?).

    `yesterday` (the schedule) lists yesterday and the --lookback_days before it; which of
    the earlier days are processed depends on the file ledger (completeness.plan_run).
    A range FIRST..LAST lists its days and, like `all`, processes each listed day (no
    single target day: None).
    """
    process_date = args.get("process_date") or "yesterday"
    days = raw.process_days(process_date, parse_today(args.get("today")))
    catch_up = process_date.strip().lower() == "yesterday"
    if days is None:
        return raw.list_day_files(spark, args["raw_uri"], None), None, catch_up
    back = parse_lookback(args.get("lookback_days")) if catch_up else 0
    first = days[0] - dt.timedelta(days=back)
    prefixes = [
        (first + dt.timedelta(days=n)).strftime("%Y/%m/%d")
        for n in range((days[-1] - first).days + 1)
    ]
    target = days[0] if len(days) == 1 else None
    return raw.list_day_files(spark, args["raw_uri"], prefixes), target, catch_up


def plan_batch(runtime: Runtime, args: dict) -> dict:
    """--dry_run true: what the run would read, from the listing and the file ledger, as
    its summary; it writes nothing: no lake probe, no schema, no run row, no ledger row.

    The ledger is read only where it already exists: a warehouse never loaded (an
    embedded folder not made yet, a database without the ledger table) has loaded nothing.
    """
    listed, target, catch_up = list_candidates(runtime.spark, args)
    ledger = read_existing_ledger(args, completeness.ledger_window(listed, target))
    # The same closures as the run, so the missing branches it lists are the run's.
    _, closures = reference.read_reference(runtime.spark, args.get("reference_uri"))
    plan = completeness.plan_run(listed, ledger, target, catch_up, closures.closed)
    late, resent = set(plan.late_files), set(plan.resent_files)

    def state(f: raw.RawFile) -> str:
        if f.key in late:
            return "late"
        if f.key in resent:
            return "resent"
        return "unchanged" if f.key in ledger else "new"

    files = [
        {
            "key": f.key,
            "day": f.day.isoformat() if f.day else None,
            "size": f.size,
            "state": state(f),
        }
        for f in plan.files
    ]
    for day in plan.days:
        states = [f["state"] for f in files if f["day"] == day]
        log.info(
            "dry run: %s: %d files (%s)",
            day,
            len(states),
            ", ".join(f"{states.count(s)} {s}" for s in DRY_RUN_STATES if s in states),
        )
    return {
        "job_name": runtime.job_name,
        "source": "batch",
        "status": "dry_run",
        "process_date": args.get("process_date") or "yesterday",
        "raw_uri": args["raw_uri"],
        "lake_uri": args["lake_uri"],
        **plan_summary(plan),
        "files": files,
        "files_to_read": len(files),
        "bytes_to_read": sum(f.size for f in plan.files),
        "files_by_state": {s: sum(f["state"] == s for f in files) for s in DRY_RUN_STATES},
    }


DRY_RUN_STATES = ("new", "late", "resent", "unchanged")


def read_existing_ledger(args: dict, window: tuple[dt.date, dt.date]) -> dict:
    url = args["warehouse_url"]
    parsed = urlparse(url)
    if parsed.scheme == "embedded" and not os.path.isdir(parsed.netloc + parsed.path):
        return {}
    warehouse = open_warehouse(url, args.get("redshift_copy_role_arn"), args.get("aws_region"))
    _, found = warehouse.query(LEDGER_EXISTS)
    return read_ledger(warehouse, window) if found else {}


# The system catalog, which every user may read on Redshift as on PostgreSQL (the same
# look-up the Redshift job makes for the bootstrap's objects, warehouse/bootstrap.py): a
# dry run needs no privilege beyond the job's own.
LEDGER_EXISTS = (
    "SELECT c.relname FROM pg_catalog.pg_class c "
    "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    f"WHERE n.nspname = '{SCHEMA}' AND c.relname = '{ETL_FILE.name}'"
)


def parse_today(value: str | None) -> dt.date | None:
    """--today YYYY-MM-DD (what `yesterday` is relative to); None: the UTC date."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(f"--today {value!r} is not a YYYY-MM-DD date") from None


def parse_lookback(value) -> int:
    if value is None or value == "":
        return completeness.DEFAULT_LOOKBACK_DAYS
    try:
        days = int(str(value).strip())
    except ValueError:
        days = -1
    if not 0 <= days <= 366:
        raise UsageError(f"--lookback_days {value!r} must be a whole number from 0 to 366")
    return days


def read_ledger(warehouse: Warehouse, window: tuple[dt.date, dt.date]) -> dict:
    _, rows = warehouse.query(sql.ledger_query(window[0].isoformat(), window[1].isoformat()))
    return completeness.ledger_from_rows(rows)


def plan_summary(plan: completeness.Plan) -> dict:
    """The run summary's completeness keys (and the counts the AWS alarm reads)."""
    missing = {day: b for day, b in plan.missing_branches.items() if b}
    return {
        "days_processed": plan.days,
        "late_files": plan.late_files,
        "resent_files": plan.resent_files,
        "missing_branches": missing,
        "refused_days": plan.refused_days,
        "late_file_count": len(plan.late_files),
        "missing_branch_days": sum(len(b) for b in missing.values()),
    }


def _extract_transform_load(
    spark: SparkSession,
    files: list[raw.RawFile],
    salt: str,
    warehouse: Warehouse,
    summary: dict,
    watch: Stopwatch,
    ledger: list[tuple] | None = None,
    regions: reference.Regions | None = None,
) -> None:
    lake_uri = summary["lake_uri"]
    cached: list[DataFrame] = []
    try:
        if files:
            _extract_transform_write(spark, files, salt, summary, watch, regions, cached)
        else:
            # Nothing to read (a quiet night, or every day refused): no Spark job at all.
            # The figures are those of no rows; the load still runs, and records the run.
            for stage in ("extract", "transform", "lake_write"):
                watch.seconds[stage] = 0.0
            summary.update(files_read=0, files_failed=0, files_empty=0, **processing.no_rows())
        days = sorted(set(summary["sale_dates"]) | _file_days(files))
        with watch.stage("warehouse_load"):
            summary["seconds"] = watch.seconds
            summary["warehouse"] = warehouse.load(
                lake_uri, days, "batch", summary["run_id"], summary, ledger=ledger, regions=regions
            )
    finally:
        for frame in cached:
            frame.unpersist()


def _extract_transform_write(
    spark: SparkSession,
    files: list[raw.RawFile],
    salt: str,
    summary: dict,
    watch: Stopwatch,
    regions: reference.Regions | None,
    cached: list[DataFrame],
) -> None:
    """The run's Spark work: its figures go into `summary`, the frames it persists into
    `cached` (the caller unpersists them once the load is done, or the run failed)."""
    with watch.stage("extract"):
        extracted = raw.extract(spark, files)
        cached.append(extracted.lines)
        bad_keys = extracted.unreadable_keys
    with watch.stage("transform"):
        processed = processing.process_rows(
            spark, extracted.rows, salt, regions, rows_read=extracted.data_rows
        )
        cached += processed.cached
    summary.update(
        files_read=len(files) - len(bad_keys),
        files_failed=len(bad_keys),
        files_empty=sum(1 for f in files if f.size == 0),
        **processed.counts(
            rows_read=extracted.data_rows, unreadable=bad_keys, blank_rows=extracted.blank_rows
        ),
    )
    processing.check_conservation(summary)
    with watch.stage("lake_write"):
        processing.write_lake(processed, extracted.unreadable, summary["lake_uri"], "overwrite")


def _write_summary(spark: SparkSession, lake_uri: str, summary: dict) -> None:
    """Best effort for a failed run: the warehouse's etl_run row is the record."""
    try:
        lake.write_run_summary(spark, lake_uri, summary)
    except Exception as exc:
        log.warning("could not write the failed run's summary to the lake: %s", exc)


def _file_days(files: list[raw.RawFile]) -> set[str]:
    return {f.day.isoformat() for f in files if f.day is not None}
