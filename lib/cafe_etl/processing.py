"""What both jobs do to raw rows: validate, de-duplicate, count, write the lake.

The nightly job (pipeline.py) and the streaming job (stream/) differ in where raw rows
come from and how a run is framed; from raw rows on they share this module, so a
transaction is treated the same whichever way it came.

Sits under pipeline and stream, over raw, transform, lake and warehouse.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass, field

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from cafe_etl import lake, reference, transform
from cafe_etl.errors import CountsNotConserved
from cafe_etl.schema import (
    LAKE_BASKET_ITEMS,
    LAKE_QUARANTINE,
    LAKE_TRANSACTIONS,
    QUARANTINE_REASONS,
    UNKNOWN_REGION,
)
from cafe_etl.warehouse import Warehouse

log = logging.getLogger("cafe_etl.processing")

# Valid rows per lake file of a day partition (~100 MB of Parquet for transactions).
ROWS_PER_LAKE_FILE = 3_000_000


@dataclass
class Processed:
    """Raw rows after the transforms: persisted frames and the figures of the run."""

    validated: DataFrame
    unique: DataFrame
    by_reason: dict[str | None, int]
    transactions: int
    basket_items: int
    revenue: str
    sale_dates: list[str]
    unknown_branches: list[str]
    cached: list[DataFrame] = field(default_factory=list)

    def counts(self, rows_read: int, unreadable: list[str], blank_rows: int = 0) -> dict:
        """Summary figures; rows_read is counted upstream, independently of the transforms.
        `blank_rows` (blank lines, spreadsheet padding: every field empty) are no rows, so
        they stand outside rows_read and its conservation."""
        quarantined = {k: v for k, v in self.by_reason.items() if k is not None}
        if unreadable:
            quarantined["unreadable_file"] = len(unreadable)
        valid_rows = self.by_reason.get(None, 0)
        return {
            "rows_read": rows_read + len(unreadable),
            "transactions": self.transactions,
            "basket_items": self.basket_items,
            "revenue": self.revenue,
            "quarantined": sum(quarantined.values()),
            "quarantined_by_reason": {
                r: quarantined[r] for r in QUARANTINE_REASONS if r in quarantined
            },
            "duplicates": valid_rows - self.transactions,
            "blank_rows": blank_rows,
            "failed_files": unreadable,
            "sale_dates": self.sale_dates,
            "unknown_branches": self.unknown_branches,
        }

    def unpersist(self) -> None:
        for frame in self.cached:
            frame.unpersist()


def no_rows() -> dict:
    """The figures of a run that reads no row, without a Spark job: Processed.counts over
    nothing (no frames to count), a fresh dict each call."""
    nothing = Processed(None, None, {}, 0, 0, "0.00", [], [])  # type: ignore[arg-type]
    return nothing.counts(rows_read=0, unreadable=[])


def process_rows(
    spark: SparkSession,
    raw_rows: DataFrame,
    salt: str,
    regions: reference.Regions | None = None,
    rows_read: int = 0,
) -> Processed:
    """Validate, de-duplicate and count raw rows (shared by the batch and stream jobs).

    `regions` is the branch → region table (reference.read_regions; shipped one if None).
    `rows_read`, the raw rows counted upstream, sizes the lake files: at most that many
    rows are valid, so a day gets one file per ROWS_PER_LAKE_FILE of them (0: one file).

    The validated rows and the unique transactions are persisted: the lake write reads
    them again. The run's figures come from both in one query; only figures reach the
    driver.
    """
    validated = raw_rows.transform(transform.validate(salt, regions or reference.towns()))
    validated = validated.persist(StorageLevel.MEMORY_AND_DISK_DESER)
    files_per_day = 1 + rows_read // ROWS_PER_LAKE_FILE
    unique = transform.unique_transactions(validated, files_per_day)
    unique = unique.persist(StorageLevel.MEMORY_AND_DISK_DESER)
    figures = _figures(validated, unique).collect()
    by_reason = {r["reason"]: r["n"] for r in figures if r["figure"] == "reason"}
    (facts,) = [r for r in figures if r["figure"] == "facts"]
    return Processed(
        validated=validated,
        unique=unique,
        by_reason=by_reason,
        transactions=int(facts["n"]),
        basket_items=int(facts["basket_items"]),
        revenue=str(facts["revenue"]),
        sale_dates=list(facts["days"]),
        unknown_branches=list(facts["unknown"]),
        cached=[validated, unique],
    )


def _figures(validated: DataFrame, unique: DataFrame) -> DataFrame:
    """Rows per reason (validated) and the unique transactions' totals, as one query:
    one plan and one action where two would each pay Spark's fixed cost per query."""
    none = {
        "basket_items": F.lit(None).cast("long"),
        "revenue": F.lit(None).cast("decimal(18,2)"),
        "days": F.lit(None).cast("array<string>"),
        "unknown": F.lit(None).cast("array<string>"),
    }
    by_reason = validated.groupBy("reason").agg(
        F.lit("reason").alias("figure"),
        F.count(F.lit(1)).alias("n"),
        *[column.alias(name) for name, column in none.items()],
    )
    unknown_branch = F.when(F.col("region") == UNKNOWN_REGION, F.col("branch_name"))
    facts = unique.agg(
        F.lit(None).cast("string").alias("reason"),
        F.lit("facts").alias("figure"),
        F.count(F.lit(1)).alias("n"),
        F.coalesce(F.sum("item_count"), F.lit(0)).cast("long").alias("basket_items"),
        F.coalesce(F.sum("total_amount"), F.lit(0)).cast("decimal(18,2)").alias("revenue"),
        F.array_sort(F.collect_set(F.date_format("sale_date", "yyyy-MM-dd"))).alias("days"),
        F.array_sort(F.collect_set(unknown_branch)).alias("unknown"),
    )
    return by_reason.unionByName(facts)


def write_lake(
    processed: Processed, bad_files: DataFrame, lake_uri: str, mode: str = "overwrite"
) -> None:
    """Transactions, basket items and quarantine into the lake.

    `overwrite` (batch) replaces the partitions written; `append` (stream) adds files.
    """
    transactions = transform.transactions(processed.unique)
    lake.write_table(transactions, lake_uri, LAKE_TRANSACTIONS, mode, clustered=True)
    with item_lookup(processed.unique, processed.basket_items) as catalog:
        items = transform.basket_items(processed.unique, catalog)
        lake.write_table(items, lake_uri, LAKE_BASKET_ITEMS, mode, clustered=True)
    quarantine = transform.quarantine(processed.validated).unionByName(
        transform.unreadable_quarantine(bad_files)
    )
    # Stream records have no file day: their quarantine partition is the day they arrived.
    quarantine = quarantine.withColumn("file_date", F.coalesce("file_date", F.current_date()))
    lake.write_table(quarantine, lake_uri, LAKE_QUARANTINE, mode)


# Distinct item texts up to which the parsed catalog is broadcast (a few MB at most).
MAX_CATALOG_ITEMS = 50_000
# Basket items up to which each item is parsed where it stands, with no catalog at all.
# The catalog's own jobs (its distinct texts, their broadcast) cost a fixed ~0.7 s, about a
# sixth of a tiny run (a test's, a micro-batch's), while parsing an item costs ~8 us: a
# night's 128,000 items were as fast or faster through the catalog (lake write 4.0-4.4 s
# against 4.4-6.1 s parsed in place, in one session, 2026-11-26).
PARSE_IN_PLACE_ITEMS = 20_000


@contextmanager
def item_lookup(unique: DataFrame, items: int | None = None):
    """The parsed item catalog of `unique`, or None: its items are parsed where they stand.

    `items` is the number of basket items in `unique` (the run's figure), when known:
    - up to PARSE_IN_PLACE_ITEMS: None, no catalog (parsing so few costs less than its jobs);
    - up to MAX_CATALOG_ITEMS: the catalog, uncounted (it holds at most `items` texts);
    - more, or unknown: the catalog is counted (one small job), and past MAX_CATALOG_ITEMS
      texts (odd data: every item text different) items are parsed where they stand
      instead, with memory that does not grow with the data.
    """
    if items is not None and items <= PARSE_IN_PLACE_ITEMS:
        yield None
        return
    catalog = transform.item_catalog(unique).persist(StorageLevel.MEMORY_AND_DISK_DESER)
    try:
        small = items is not None and items <= MAX_CATALOG_ITEMS
        if not small:
            size = catalog.count()
            log.info("item catalog: %d distinct item texts", size)
            small = size <= MAX_CATALOG_ITEMS
        yield catalog if small else None
    finally:
        catalog.unpersist()


def check_conservation(summary: dict) -> None:
    total = summary["transactions"] + summary["quarantined"] + summary["duplicates"]
    if summary["rows_read"] != total:
        raise CountsNotConserved(
            f"rows_read {summary['rows_read']} != transactions {summary['transactions']} + "
            f"quarantined {summary['quarantined']} + duplicates {summary['duplicates']}"
        )


def record_failure(warehouse: Warehouse, run_id: str, summary: dict) -> None:
    """Mark a run failed in the warehouse, as best it can: the original error matters more."""
    try:
        warehouse.finish_run(run_id, "failed", summary)
    except Exception as exc:  # the original error matters more than this one
        log.warning("could not mark run %s failed in the warehouse: %s", run_id, exc)
