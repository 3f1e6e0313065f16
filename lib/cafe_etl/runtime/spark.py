"""The local SparkSession, configured like Glue's, and the settings both share."""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping

from pyspark.sql import SparkSession

from cafe_etl.io import import_short_names
from cafe_etl.runtime import java

# Session settings both runtimes share. All are runtime SQL settings, so on Glue they are
# applied to the session Glue created.
SESSION_CONF: dict[str, str] = {
    # Till timestamps are UK wall-clock times without zone: keep them as written.
    "spark.sql.session.timeZone": "UTC",
    # Parse timestamps with the Java 8 parser only. Under the default (EXCEPTION) a value
    # the old parser would read differently raises even inside try_to_timestamp, and one
    # odd till row would fail the whole run.
    "spark.sql.legacy.timeParserPolicy": "CORRECTED",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    # Re-processing a day replaces that day's partitions and nothing else.
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
    "spark.sql.adaptive.enabled": "true",
    "spark.sql.adaptive.coalescePartitions.enabled": "true",
    # A file that vanishes or cannot be decoded yields no rows instead of failing the
    # run; the extract step notices and quarantines it as unreadable.
    "spark.sql.files.ignoreCorruptFiles": "true",
    "spark.sql.files.ignoreMissingFiles": "true",
    # The validation query is one wide projection of many CASE expressions and aliases,
    # where inferring constraints costs the optimizer more than it saves: Spark's flag
    # for such plans (SPARK-19846). Constraints only let the optimizer add or drop
    # filters, never change a result. Measured: a warm in-process run of the test corpus
    # 9.0 s -> 6.0 s (its Spark actions 7.0 s -> 4.6 s); a cold night-sized run unchanged.
    "spark.sql.constraintPropagation.enabled": "false",
}


def local_spark(app_name: str, extra_conf: Mapping[str, str] | None = None):
    """A local SparkSession configured like the Glue one (cores from CAFE_SPARK_MASTER)."""
    java_home = java.ensure_java()
    # A laptop run talks to nothing but itself: bind Spark to loopback.
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # A batch job wants throughput, not short pauses: the parallel collector saves ~2 s of
    # a nightly-sized run. The class archive, when built, saves ~2.5 s more of JVM start.
    java_options = ["-XX:+UseParallelGC", *java.archive_options(java_home)]
    # More JVM options for the driver, e.g. the tests' JIT setting (tests/conftest.py).
    java_options += shlex.split(os.environ.get("CAFE_SPARK_JAVA_OPTIONS", ""))

    builder = (
        SparkSession.builder.master(os.environ.get("CAFE_SPARK_MASTER", "local[2]"))
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        # The heap caps a local run's memory: with PostgreSQL and Python beside it, a 4 GB
        # heap peaked at 4.5-4.8 GB on 5M rows, 3 GB at 3.9 GB, its lake stages 4% slower
        # (one pair of runs, 2026-11-26); caches past it spill to disk. Glue sizes its own
        # driver by worker type.
        .config("spark.driver.memory", os.environ.get("CAFE_SPARK_DRIVER_MEMORY", "3g"))
        .config("spark.driver.extraJavaOptions", " ".join(java_options))
        .config("spark.sql.shuffle.partitions", os.environ.get("CAFE_SHUFFLE_PARTITIONS", "8"))
        # Local files, not S3 objects (Glue keeps Spark's defaults, which suit S3):
        # - listing a night's 150 file paths is 150 system calls; Spark's default above 32
        #   paths is a listing job of one task per path (~1.2 s of a nightly-sized run);
        # - opening a local file costs far less than reading Spark's default 4 MB, which
        #   packed a night's 8 MB into 5 scan tasks, three waves on 2 cores. At 1 MB it is
        #   2 tasks; 1M transactions get 4 and 5M about 8. Measured: a night 23 s -> 21 s.
        .config("spark.sql.sources.parallelPartitionDiscovery.threshold", "100000")
        .config("spark.sql.files.openCostInBytes", str(1 << 20))
        # Spark keeps the last 100 classes it generated for queries (a static setting,
        # SPARK-23563). One run of the pipeline generates 84 that every later run or
        # micro-batch generates again, byte for byte, and a run's other queries push them
        # out first: each micro-batch of a long-lived job (and each run of the tests'
        # shared session) compiled all 84 again. Measured on the test corpus, in-process:
        # 84 -> 0 compilations a run after the first, 7.3 s -> 6.2 s a run.
        .config("spark.sql.codegen.cache.maxEntries", "1000")
    )
    for key, value in {**SESSION_CONF, **(extra_conf or {})}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    import_short_names(spark)
    return spark
