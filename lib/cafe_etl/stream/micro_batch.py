"""One micro-batch of records into the lake, idempotently; the warehouse loads follow at
their own cadence (loads.py)."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from cafe_etl import lake, processing, reference, transform
from cafe_etl.frames import local_frame
from cafe_etl.io import HadoopFs
from cafe_etl.schema import (
    LAKE_BASKET_ITEMS,
    LAKE_QUARANTINE,
    LAKE_TRANSACTIONS,
    STREAM_REASON_MALFORMED,
)
from cafe_etl.stream.loads import COUNTS, Unloaded, WarehouseLoads
from cafe_etl.stream.records import RECORD_COLUMNS, record_counts, records_to_raw_rows
from cafe_etl.stream.schedule import Clock
from cafe_etl.warehouse import open_warehouse

log = logging.getLogger("cafe_etl.stream")

STAGING = "_stream_staging"


@dataclass
class MicroBatch:
    """Processes one micro-batch of records into the lake; `loads` loads the warehouse."""

    spark: SparkSession
    job_name: str
    stream_name: str
    lake_uri: str
    warehouse_url: str
    salt: str
    copy_role_arn: str | None = None
    region: str | None = None
    reference_uri: str | None = None  # the operator's branch → region CSV (reference.py)
    totals: dict = field(default_factory=lambda: {"batches": 0, "records": 0})
    # The checkpoint's id (Checkpoint.epoch): part of every lake file name of a batch.
    epoch: str = ""
    # Load the warehouse at most this often (0: after every batch); see loads.py.
    load_interval_seconds: float = 0
    clock: Clock = field(default_factory=Clock)

    def __post_init__(self) -> None:
        self.lake_uri = lake.normalise_uri(self.lake_uri)
        self.warehouse = open_warehouse(self.warehouse_url, self.copy_role_arn, self.region)
        self.warehouse.ensure_schema()
        self.regions = reference.read_regions(self.spark, self.reference_uri)
        self.loads = WarehouseLoads(
            self.spark,
            self.warehouse,
            self.lake_uri,
            self.job_name,
            self.regions,
            self.load_interval_seconds,
            self.clock,
        )

    def process(self, records: DataFrame, batch_id: int) -> dict:
        """The batch into the lake, and its note there until a load takes it (loads.py).
        No warehouse query: the load comes when it is due (`loads.load_if_due`)."""
        started = time.monotonic()
        epoch = f"{self.epoch}-" if self.epoch else ""
        batch_key = f"{self.stream_name}-{epoch}{batch_id:010d}"
        summary: dict = {"batch_id": batch_id, "batch_key": batch_key, "source": "stream"}
        processed = None
        try:
            records = records.persist()
            processed, malformed, counts, arrivals = self._transform(records)
            summary.update(counts)
            processing.check_conservation(summary)
            transformed = time.monotonic()
            files = self._write_lake(processed, malformed, batch_key)
            self.loads.written(
                Unloaded(
                    batch_key,
                    files,
                    {k: summary[k] for k in (*COUNTS, "quarantined_by_reason")},
                    arrivals.oldest_arrival_ms,
                    arrivals.newest_arrival_ms,
                )
            )
            summary["stage_seconds"] = {
                "transform": round(transformed - started, 2),
                "lake_write": round(time.monotonic() - transformed, 2),
            }
        finally:
            records.unpersist()
            if processed is not None:
                processed.unpersist()
        summary["seconds"] = round(time.monotonic() - started, 3)
        self.totals["batches"] += 1
        self.totals["records"] += summary["rows_read"]
        for key in ("transactions", "quarantined", "duplicates"):
            self.totals[key] = self.totals.get(key, 0) + summary[key]
        log.info(
            "batch %d: %d records, %d transactions, %d quarantined, %d duplicates in %.1fs %s",
            batch_id,
            summary["rows_read"],
            summary["transactions"],
            summary["quarantined"],
            summary["duplicates"],
            summary["seconds"],
            summary["stage_seconds"],
        )
        return summary

    def _transform(self, records: DataFrame):
        """Records → (Processed, malformed quarantine rows, the batch's counts, its
        RecordCounts)."""
        rows, malformed = records_to_raw_rows(records, self.stream_name)
        arrivals = record_counts(records)
        n_records, n_malformed = arrivals.records, arrivals.malformed
        processed = processing.process_rows(
            self.spark, rows, self.salt, self.regions, rows_read=n_records - n_malformed
        )
        counts = processed.counts(rows_read=n_records - n_malformed, unreadable=[])
        if n_malformed:
            counts["quarantined"] += n_malformed
            counts["quarantined_by_reason"][STREAM_REASON_MALFORMED] = n_malformed
            counts["rows_read"] += n_malformed
        return processed, malformed, counts, arrivals

    @staticmethod
    def _lake_frames(processed, unique: DataFrame, malformed: DataFrame) -> dict:
        """The batch's three lake tables (stream quarantine is filed under today)."""
        quarantine = transform.quarantine(processed.validated).withColumn(
            "file_date", F.coalesce("file_date", F.current_date())
        )
        return {
            LAKE_TRANSACTIONS: transform.transactions(unique),
            LAKE_BASKET_ITEMS: transform.basket_items(unique),
            LAKE_QUARANTINE: quarantine.unionByName(malformed),
        }

    def warm_up(self) -> float:
        """Run one made-up record through the transforms and a scratch lake write.

        Spark compiles each query's code and the JVM its hot paths on first use: a few
        seconds that would otherwise land on the first real batch and on its latency.
        Nothing reaches the lake's tables or the warehouse; the scratch folder is removed.
        """
        started = time.monotonic()
        record = json.dumps(
            ["09/11/2026 09:00", "Leeds", "Warm Up", "Latte - 2.00", "2.00", "CARD", ""]
        )
        frame = local_frame(self.spark, RECORD_COLUMNS, [(record, "warm-up", "0", 0)])
        processed, malformed, _, _ = self._transform(frame)
        scratch = f"{self.lake_uri}{STAGING}/warm-up/"
        for table, lake_frame in self._lake_frames(processed, processed.unique, malformed).items():
            lake.write_table(lake_frame, scratch, table, "overwrite")
        HadoopFs(self.spark).delete(scratch)
        processed.unpersist()
        return round(time.monotonic() - started, 1)

    def _write_lake(self, processed, malformed: DataFrame, batch_key: str) -> dict:
        """Append the batch to the lake under names derived from batch_key (idempotent)."""
        fs = HadoopFs(self.spark)
        prefix = f"stream-{batch_key}-"
        for table in (LAKE_TRANSACTIONS, LAKE_BASKET_ITEMS, LAKE_QUARANTINE):
            fs.delete_named(lake.table_uri(self.lake_uri, table), prefix)
        unique = processed.unique
        present = self._lake_ids(processed.sale_dates)
        if present is not None:
            unique = unique.join(present, "transaction_id", "left_anti")
        staging = f"{self.lake_uri}{STAGING}/{batch_key}/"
        moved: dict[str, list[str]] = {}
        for table, frame in self._lake_frames(processed, unique, malformed).items():
            lake.write_table(frame, staging, table, "overwrite")
            moved[table] = fs.move_parquet(
                lake.table_uri(staging, table), lake.table_uri(self.lake_uri, table), prefix
            )
        fs.delete(staging)
        return {t: moved[t] for t in (LAKE_TRANSACTIONS, LAKE_BASKET_ITEMS)}

    def _lake_ids(self, sale_dates: list[str]) -> DataFrame | None:
        """Transaction ids already in the lake for these days, or None if there are none."""
        fs = HadoopFs(self.spark)
        files = [
            f
            for p in lake.partition_paths(self.lake_uri, LAKE_TRANSACTIONS, sale_dates)
            for f in fs.files(p)
            if f.endswith(".parquet")
        ]
        if not files:
            return None
        return self.spark.read.parquet(*files).select("transaction_id").distinct()
