"""The Parquet lake: partitioned tables and run summaries, on S3 or a local folder."""

from __future__ import annotations

import json
import logging
import os
import uuid
from urllib.parse import urlparse

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from cafe_etl.errors import UsageError
from cafe_etl.io import HadoopFs, java_cause
from cafe_etl.schema import LAKE_PARTITION_COLUMN, LAKE_RUNS

log = logging.getLogger("cafe_etl.lake")

# A nightly day is ~60K transactions; one file per partition up to this many rows.
MAX_RECORDS_PER_FILE = 2_000_000


def normalise_uri(uri: str) -> str:
    """Absolute folder URI with a trailing slash; plain paths are local folders."""
    if not uri:
        raise UsageError("empty lake or raw URI")
    if urlparse(uri).scheme in ("", "file"):
        path = uri[len("file://") :] if uri.startswith("file://") else uri
        return "file://" + os.path.abspath(path).rstrip("/") + "/"
    return uri.rstrip("/") + "/"


def table_uri(lake_uri: str, table: str) -> str:
    return normalise_uri(lake_uri) + table + "/"


def check_writable(spark: SparkSession, lake_uri: str) -> None:
    """Fail early, with the path, when the lake cannot be written (before any work).

    Each call probes with its own file name: runs started together must not create and
    delete one another's probe (that failed about one probe in seven when shared).
    """
    probe = f"{normalise_uri(lake_uri)}{LAKE_RUNS}/.write_probe-{uuid.uuid4().hex}"
    fs = HadoopFs(spark)
    try:
        fs.write_text(probe, "")
        fs.delete(probe, recursive=False)
    except Exception as exc:  # py4j wraps the Java IOException
        raise UsageError(
            f"cannot write to the lake at {lake_uri}: {java_cause(exc)}. "
            "Check --lake_uri and the job's permissions on it."
        ) from None


def write_table(
    df: DataFrame, lake_uri: str, table: str, mode: str = "overwrite", clustered: bool = False
) -> str:
    """Write a lake table, Hive-partitioned; overwrite replaces only the partitions written.

    Each partition's rows go to one task, so a partition gets one file (more only past
    MAX_RECORDS_PER_FILE rows), not one file per shuffle partition. `clustered` frames
    (transform.unique_transactions and what derives from it) are grouped by day already.
    """
    partition = LAKE_PARTITION_COLUMN[table]
    target = table_uri(lake_uri, table)
    (
        (df if clustered else df.repartition(partition))
        .write.mode(mode)
        .option("maxRecordsPerFile", MAX_RECORDS_PER_FILE)
        .partitionBy(partition)
        .parquet(target)
    )
    return target


def remove_stale_staging(spark: SparkSession, lake_uri: str, tables: tuple[str, ...]) -> int:
    """Delete what a killed run's Spark writes left behind (`_temporary`, `.spark-staging-*`).

    Readers skip such hidden folders anyway; this keeps the lake tidy. Call it only while
    holding the run lock, when no other write can be under way.
    """
    fs = HadoopFs(spark)
    stale = [
        entry.path
        for table in tables
        for entry in fs.children(table_uri(lake_uri, table))
        if not entry.is_file
        and (entry.name == "_temporary" or entry.name.startswith(".spark-staging"))
    ]
    for path in stale:
        fs.delete(path)
    if stale:
        log.warning("removed %d folders left by an interrupted write", len(stale))
    return len(stale)


def partition_paths(lake_uri: str, table: str, values: list[str]) -> list[str]:
    column = LAKE_PARTITION_COLUMN[table]
    return [f"{table_uri(lake_uri, table)}{column}={v}/" for v in values]


def write_run_summary(spark: SparkSession, lake_uri: str, summary: dict) -> str:
    uri = f"{normalise_uri(lake_uri)}{LAKE_RUNS}/{summary['run_id']}.json"
    HadoopFs(spark).write_text(uri, json.dumps(summary, indent=2, sort_keys=True) + "\n")
    return uri


def with_partition_strings(df: DataFrame, column: str) -> DataFrame:
    return df.withColumn(column, F.date_format(column, "yyyy-MM-dd"))
