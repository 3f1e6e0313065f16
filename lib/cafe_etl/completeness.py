"""Which raw days a batch run reads, from the listing and the file ledger (cafe.etl_file).

Pure functions over file names, sizes and versions: no Spark, no warehouse. The pipeline
lists the raw zone, reads the ledger, and asks `plan_run` what to do:

- the day `--process_date` names (or every day, for `all`) is always processed;
- with `yesterday`, each earlier day within `--lookback_days` is processed too when it
  holds a file that is new (a late upload) or changed (a re-sent file) since it was
  loaded. A day is always processed whole: the batch load is the system of record for
  its days, and replaces their batch-loaded rows with what the day's files hold now;
- a day from which a file already loaded has disappeared (raw-zone expiry, a manual
  delete) is refused: reprocessing it would delete that file's rows from the lake and the
  warehouse. The run processes the other days and says which day it refused and why.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import boto3

from cafe_etl.raw import RawFile

log = logging.getLogger("cafe_etl.completeness")

# Branches that sent a file on any of this many previous days are expected every day,
# unless the reference CSV says they are closed that day (reference.Closures.closed).
MISSING_BRANCH_WINDOW_DAYS = 7
Closed = Callable[[str, dt.date], bool]
DEFAULT_LOOKBACK_DAYS = 7


@dataclass(frozen=True)
class LoadedFile:
    """One row of the file ledger: a raw file as it was when it was last loaded."""

    key: str
    day: dt.date | None
    branch: str
    size: int
    version: str
    late: bool


@dataclass
class Plan:
    files: list[RawFile]  # what the run reads: every file of each processed day
    days: list[str]  # processed days, ISO
    late_files: list[str]  # keys first seen after their day had been loaded
    resent_files: list[str]  # keys loaded before whose size or version changed
    refused_days: dict[str, str] = field(default_factory=dict)  # day → reason
    missing_branches: dict[str, list[str]] = field(default_factory=dict)  # day → branches


def ledger_window(listed: Iterable[RawFile], target: dt.date | None) -> tuple[dt.date, dt.date]:
    """The ledger days a plan needs: the listed days and the window before the first."""
    days = [f.day for f in listed if f.day is not None]
    if target is not None:
        days.append(target)
    if not days:
        today = dt.datetime.now(dt.UTC).date()
        return today, today
    return min(days) - dt.timedelta(days=MISSING_BRANCH_WINDOW_DAYS), max(days)


def plan_run(
    listed: list[RawFile],
    ledger: dict[str, LoadedFile],
    target: dt.date | None,
    catch_up: bool,
    closed: Closed | None = None,
) -> Plan:
    """What a run reads and reports.

    `listed` holds the files of the target day (every day when target is None) and, when
    `catch_up`, of the earlier days of the lookback window; `ledger` the loaded files of
    those days and of the MISSING_BRANCH_WINDOW_DAYS before them.
    """
    by_day: dict[dt.date | None, list[RawFile]] = {}
    for f in listed:
        by_day.setdefault(f.day, []).append(f)
    loaded_by_day: dict[dt.date | None, dict[str, LoadedFile]] = {}
    for entry in ledger.values():
        loaded_by_day.setdefault(entry.day, {})[entry.key] = entry

    files: list[RawFile] = []
    days: list[dt.date | None] = []
    late: list[str] = []
    resent: list[str] = []
    refused: dict[str, str] = {}
    for day in sorted(by_day, key=lambda d: d or dt.date.min):
        present = by_day[day]
        loaded = loaded_by_day.get(day, {})
        new = [f.key for f in present if f.key not in loaded]
        changed = [
            f.key
            for f in present
            if f.key in loaded
            and (f.size, f.version) != (loaded[f.key].size, loaded[f.key].version)
        ]
        wanted = target is None or day == target or (catch_up and (new or changed))
        if not wanted:
            continue
        gone = sorted(set(loaded) - {f.key for f in present})
        if gone and day is not None:
            shown = ", ".join(gone[:3]) + (f" and {len(gone) - 3} more" if len(gone) > 3 else "")
            refused[day.isoformat()] = (
                f"{len(gone)} file(s) loaded earlier are no longer in the raw zone ({shown}); "
                "reprocessing the day would delete their rows, so it keeps what is loaded. "
                "Put the files back to reprocess the day."
            )
            continue
        files += present
        days.append(day)
        if loaded:  # the day was loaded before: its new files arrived late
            late += new
        resent += changed
    processed = [d for d in days if d is not None]
    return Plan(
        files=sorted(files, key=lambda f: f.path),
        days=[d.isoformat() for d in processed],
        late_files=sorted(late),
        resent_files=sorted(resent),
        refused_days=refused,
        missing_branches=missing_branches(processed, listed, ledger, closed),
    )


def missing_branches(
    days: list[dt.date],
    listed: list[RawFile],
    ledger: dict[str, LoadedFile],
    closed: Closed | None = None,
) -> dict[str, list[str]]:
    """Per processed day, the branches that sent a file on any of the previous
    MISSING_BRANCH_WINDOW_DAYS days (listed now or loaded before) but none that day,
    leaving out those `closed` says do not trade that day."""
    seen: dict[dt.date, set[str]] = {}
    for day, branch in [(f.day, f.branch) for f in listed] + [
        (e.day, e.branch) for e in ledger.values()
    ]:
        if day is not None:
            seen.setdefault(day, set()).add(branch)
    sent_on = {day: {f.branch for f in listed if f.day == day} for day in days}
    result = {}
    for day in days:
        before: set[str] = set()
        for back in range(1, MISSING_BRANCH_WINDOW_DAYS + 1):
            before |= seen.get(day - dt.timedelta(days=back), set())
        expected = {b for b in before if closed is None or not closed(b, day)}
        result[day.isoformat()] = sorted(expected - sent_on[day])
    return result


def ledger_rows(
    plan: Plan, ledger: dict[str, LoadedFile], run_id: str, loaded_at: dt.datetime
) -> list[tuple]:
    """The ledger rows the run's load writes, in cafe.etl_file's column order.

    A re-sent file keeps the `late` flag of its first load.
    """
    late = set(plan.late_files)
    rows = []
    for f in plan.files:
        was_late = ledger[f.key].late if f.key in ledger else f.key in late
        day = f.day.isoformat() if f.day else None
        rows.append((f.key, day, f.branch, f.size, f.version, run_id, loaded_at, was_late))
    return rows


def ledger_from_rows(rows: Iterable[tuple]) -> dict[str, LoadedFile]:
    """Rows of warehouse.sql.ledger_query (PostgreSQL types, or the Data API's strings)."""
    ledger = {}
    for key, day, branch, size, version, late in rows:
        if isinstance(day, str):
            day = dt.date.fromisoformat(day[:10])
        if isinstance(late, str):
            late = late.lower() in ("t", "true", "1")
        ledger[key] = LoadedFile(key, day, branch, int(size), version, bool(late))
    return ledger


# CloudWatch metrics of a nightly run on Glue; terraform/completeness.tf alarms on them.
METRIC_NAMESPACE = "CafeConnect/Completeness"


# Metric name -> its figure from the run summary.
METRICS = {
    "LateFiles": lambda summary: summary.get("late_file_count", 0),
    "MissingBranchDays": lambda summary: summary.get("missing_branch_days", 0),
    # Branches the region table does not know (reference data, docs/warehouse.md): until the
    # reference CSV gains them they are region Unknown in every manager's trend.
    "BranchesWithoutRegion": lambda summary: len(summary.get("unknown_branches") or ()),
    # 1 for each run that succeeded: the alarm on its absence (terraform/completeness.tf)
    # pages when no nightly run has succeeded for a day and a bit.
    "NightlySucceeded": lambda summary: 1 if summary.get("status") == "succeeded" else 0,
}


def metric_data(summary: dict, job_name: str) -> list[dict]:
    """PutMetricData's MetricData for a run summary: late files, missing branch-days,
    branches without a region, and whether the run succeeded."""
    dimensions = [{"Name": "JobName", "Value": job_name}]
    return [
        {
            "MetricName": name,
            "Dimensions": dimensions,
            "Value": float(value(summary)),
            "Unit": "Count",
        }
        for name, value in METRICS.items()
    ]


def publish_metrics(summary: dict, job_name: str, region: str | None = None, client=None) -> None:
    """Publish the run's completeness figures (best effort: the summary line has them too)."""
    try:
        if client is None:
            client = boto3.client("cloudwatch", region_name=region)
        client.put_metric_data(
            Namespace=METRIC_NAMESPACE, MetricData=metric_data(summary, job_name)
        )
    except Exception as exc:  # the data is loaded; a lost metric must not fail the run
        log.error("could not publish the completeness metrics: %s", exc)
