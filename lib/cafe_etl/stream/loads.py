"""The stream's warehouse loads: every batch reaches the lake, the warehouse at a cadence.

Redshift Serverless bills a query burst for at least 60 seconds ("Billing for Amazon
Redshift Serverless"), so a load after every 30-second batch keeps it billed all day.
The stream loads at most once every `--load_interval_seconds` (0: after every batch),
once more when it stops, and first of all, when it starts, whatever an earlier run wrote
to the lake and never loaded.

What the lake holds that the warehouse does not is known from the lake and the warehouse,
never from the memory of a run (which a crash loses):
- after a batch's lake write, a note `_stream_unloaded/<batch key>.json` beside the lake's
  tables names its files; a load removes the notes of the batches it loaded, after its
  commit;
- the load's row in the warehouse's run log (cafe.etl_run) names the batches it loaded,
  committed with the facts, so a run stopped between a load's commit and the removal of
  its notes does not load them twice.
A load of a note's files is idempotent anyway (stream loads are insert-only by
transaction_id); the run log spares the warehouse a query it does not need.

A note's file may be gone: the nightly job rewrites whole days of the lake, the stream's
files of those days included, and loads those days itself. Such files are left out.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field

from pyspark.sql import SparkSession

from cafe_etl import lake, processing
from cafe_etl.io import HadoopFs
from cafe_etl.schema import LAKE_BASKET_ITEMS, LAKE_PARTITION_COLUMN, LAKE_TRANSACTIONS
from cafe_etl.stream.schedule import Clock
from cafe_etl.warehouse import Warehouse, sql

log = logging.getLogger("cafe_etl.stream")

# Beside the lake's tables, like _redshift_manifests: never crawled (the lake crawler
# targets the table folders).
UNLOADED_FOLDER = "_stream_unloaded"
LOADED_TABLES = (LAKE_TRANSACTIONS, LAKE_BASKET_ITEMS)
COUNTS = ("rows_read", "transactions", "quarantined", "duplicates")


@dataclass
class Unloaded:
    """A batch written to the lake and not yet loaded: what its note says."""

    key: str  # the batch key: <stream>-<epoch>-<batch id, 10 digits>
    files: dict[str, list[str]]  # lake table -> the batch's Parquet files
    counts: dict  # the batch's rows_read, transactions, quarantined, duplicates, reasons
    oldest_arrival_ms: int | None = None
    newest_arrival_ms: int | None = None


@dataclass
class WarehouseLoads:
    spark: SparkSession
    warehouse: Warehouse
    lake_uri: str
    job_name: str
    regions: object = None  # reference.Regions of the run
    interval_seconds: float = 0
    clock: Clock = field(default_factory=Clock)
    pending: list[Unloaded] = field(default_factory=list)
    loads: int = 0
    # Per lake write and per load: seconds from the oldest and from the newest record's
    # arrival at Kinesis to the moment it was in the lake / committed in the warehouse.
    lake_lags: list[tuple[float, float]] = field(default_factory=list)
    warehouse_lags: list[tuple[float, float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lake_uri = lake.normalise_uri(self.lake_uri)
        self.last_load = self.clock.monotonic()

    @property
    def folder(self) -> str:
        return f"{self.lake_uri}{UNLOADED_FOLDER}/"

    # -- after each batch ----------------------------------------------------------------

    def written(self, batch: Unloaded) -> None:
        """A batch is in the lake: leave its note there, then count it as pending."""
        # A batch written again (its rerun after a restart) replaces itself.
        self.pending = [b for b in self.pending if b.key != batch.key]
        HadoopFs(self.spark).write_text(
            f"{self.folder}{batch.key}.json", json.dumps(asdict(batch), sort_keys=True)
        )
        self.pending.append(batch)
        lag = _lag(self.clock.time(), [batch])
        if lag is not None:
            self.lake_lags.append(lag)

    def due(self) -> bool:
        if not self.pending:
            return False
        waited = self.clock.monotonic() - self.last_load
        return self.interval_seconds <= 0 or waited >= self.interval_seconds

    def load_if_due(self) -> dict | None:
        if not self.due():
            return None
        return self.load("interval" if self.interval_seconds > 0 else "every batch")

    # -- the load --------------------------------------------------------------------------

    def load(self, reason: str) -> dict | None:
        """Load every pending batch's files in one warehouse transaction, then drop their
        notes. Nothing pending: no query at all (the warehouse may sleep)."""
        if not self.pending:
            return None
        batches = list(self.pending)
        listed = {t: [f for b in batches for f in b.files.get(t, [])] for t in LOADED_TABLES}
        files = self._existing(listed)
        if any(listed.values()) and not any(files.values()):
            # Every file rewritten by the nightly job, which loaded those days itself.
            for batch in batches:
                self._forget_key(batch.key)
            return None
        summary = self._summary(batches, reason)
        run_id = f"{self.job_name}-load-{uuid.uuid4().hex[:8]}"
        summary["run_id"] = run_id
        started = dt.datetime.fromtimestamp(self.clock.time(), dt.UTC).replace(tzinfo=None)
        self.warehouse.start_run(run_id, self.job_name, started)
        try:
            processing.check_conservation(summary)
            summary["warehouse"] = self.warehouse.load(
                self.lake_uri,
                _sale_dates(files),
                "stream",
                run_id,
                summary,
                files=files,
                regions=self.regions,
            )
        except BaseException as exc:
            summary.update(status="failed", error=type(exc).__name__)
            processing.record_failure(self.warehouse, run_id, summary)
            raise
        self.pending = self.pending[len(batches) :]
        self.last_load = self.clock.monotonic()
        self.loads += 1
        lag = _lag(self.clock.time(), batches)
        if lag is not None:
            self.warehouse_lags.append(lag)
        for batch in batches:
            self._forget_key(batch.key)
        log.info(
            "warehouse load %d (%s): %d batches, %d transactions",
            self.loads,
            reason,
            len(batches),
            summary["transactions"],
        )
        return summary

    def _summary(self, batches: list[Unloaded], reason: str) -> dict:
        summary: dict = {"source": "stream", "reason": reason, "batches": len(batches)}
        for key in COUNTS:
            summary[key] = sum(b.counts.get(key, 0) for b in batches)
        reasons: Counter = Counter()
        for b in batches:
            reasons.update(b.counts.get("quarantined_by_reason", {}))  # keeps zero counts
        summary["quarantined_by_reason"] = dict(reasons)
        summary["loaded_batches"] = batch_ranges([b.key for b in batches])
        return summary

    def _existing(self, files: dict[str, list[str]]) -> dict[str, list[str]]:
        fs = HadoopFs(self.spark)
        kept = {t: [f for f in names if fs.exists(f)] for t, names in files.items()}
        gone = sum(len(v) for v in files.values()) - sum(len(v) for v in kept.values())
        if gone:
            log.info("%d lake files of the stream were rewritten by the nightly job since", gone)
        return kept

    def _forget_key(self, key: str) -> None:
        HadoopFs(self.spark).delete(f"{self.folder}{key}.json", recursive=False)
        self.pending = [b for b in self.pending if b.key != key]

    # -- when the stream starts ---------------------------------------------------------------

    def recover(self) -> dict | None:
        """Load what an earlier run wrote to the lake and never loaded (its notes), leaving
        out the batches the warehouse's run log says its last load committed."""
        fs = HadoopFs(self.spark)
        notes = sorted(
            (e for e in fs.children(self.folder) if e.is_file and e.name.endswith(".json")),
            key=lambda e: e.name,
        )
        if not notes:
            return None
        loaded = self.last_loaded_batches()
        for note in notes:
            text = fs.read_text(note.path)
            batch = Unloaded(**json.loads(text)) if text else None
            if batch is None or in_ranges(batch.key, loaded):
                fs.delete(note.path, recursive=False)  # committed, only its note was left
            elif all(b.key != batch.key for b in self.pending):
                self.pending.append(batch)
        if not self.pending:
            return None
        log.info("%d batches in the lake were never loaded: loading them first", len(self.pending))
        return self.load("recovery")

    def last_loaded_batches(self) -> dict[str, list[list[int]]]:
        """The batches the job's last committed load names in the run log."""
        _, rows = self.warehouse.query(last_load_query(self.job_name))
        if not rows or not rows[0][0]:
            return {}
        try:
            return json.loads(rows[0][0]).get("loaded_batches") or {}
        except ValueError:  # a summary cut short: load again, which is idempotent
            return {}

    # -- the figures -----------------------------------------------------------------------

    def figures(self) -> dict:
        """Lake and warehouse freshness, apart, and the number of warehouse loads."""

        def worst(lags: list[tuple[float, float]], i: int) -> float | None:
            return round(max(lag[i] for lag in lags), 1) if lags else None

        def median(lags: list[tuple[float, float]], i: int) -> float | None:
            values = sorted(lag[i] for lag in lags)
            return round(values[len(values) // 2], 1) if values else None

        return {
            "warehouse_loads": self.loads,
            "load_interval_seconds": self.interval_seconds,
            # The longest any record waited to be in the lake / in the warehouse.
            "lake_freshness_max_seconds": worst(self.lake_lags, 0),
            "warehouse_freshness_max_seconds": worst(self.warehouse_lags, 0),
            # How far behind its newest record each write / load left the store, typically.
            "lake_freshness_newest_median_seconds": median(self.lake_lags, 1),
            "warehouse_freshness_newest_median_seconds": median(self.warehouse_lags, 1),
        }


def _lag(now: float, batches: list[Unloaded]) -> tuple[float, float] | None:
    oldest = [b.oldest_arrival_ms for b in batches if b.oldest_arrival_ms is not None]
    newest = [b.newest_arrival_ms for b in batches if b.newest_arrival_ms is not None]
    if not oldest or not newest:
        return None
    return (now - min(oldest) / 1000, now - max(newest) / 1000)


def _sale_dates(files: dict[str, list[str]]) -> list[str]:
    """The days of the files to load, from their partition folders (`sale_date=...`)."""
    days = set()
    for table, names in files.items():
        column = LAKE_PARTITION_COLUMN[table] + "="
        for name in names:
            days.update(p[len(column) :] for p in name.split("/") if p.startswith(column))
    return sorted(days)


def batch_ranges(keys: list[str]) -> dict[str, list[list[int]]]:
    """Batch keys as runs of batch ids per stream and epoch: a day of 30-second batches
    stays a few bytes in the run log (Redshift keeps 65,535 characters of a summary)."""
    ids: dict[str, list[int]] = {}
    for key in keys:
        ids.setdefault(key[:-10], []).append(int(key[-10:]))
    ranges: dict[str, list[list[int]]] = {}
    for prefix, numbers in ids.items():
        runs: list[list[int]] = []
        for n in sorted(set(numbers)):
            if runs and n == runs[-1][1] + 1:
                runs[-1][1] = n
            else:
                runs.append([n, n])
        ranges[prefix] = runs
    return ranges


def in_ranges(key: str, ranges: dict[str, list[list[int]]]) -> bool:
    n = int(key[-10:])
    return any(first <= n <= last for first, last in ranges.get(key[:-10], []))


def last_load_query(job_name: str) -> str:
    """The run-log row of the job's last committed load (its summary names the batches)."""
    job = job_name.replace("'", "''")
    return (
        f"SELECT summary FROM {sql.ETL_RUN_TABLE} WHERE job_name = '{job}' "
        "AND status = 'succeeded' ORDER BY finished_at DESC LIMIT 1"
    )
