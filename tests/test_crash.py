"""Kill the nightly job (SIGKILL) mid-extract, mid-lake-write and mid-load, then run it
again: the warehouse ends as after one clean run, the lake has one file per partition
and no leftovers that readers would see, and the run log shows the killed run."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from cafe_etl.jobs import nightly_argv
from cafe_etl.warehouse.postgres import RUN_LOCK_KEY, PostgresWarehouse
from conftest import TEST_SALT
from corpus import write_bulk
from helpers import TABLE_ORDER, lake_files, lake_rows, run_nightly, warehouse_dump


def job_argv(raw: Path, lake: Path, url: str) -> list[str]:
    return nightly_argv(str(raw), str(lake), url, "crash", TEST_SALT)


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


def wait_for_lock_waiter(conn: psycopg.Connection, table: str, timeout: float = 300) -> None:
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


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory, pg_server, spark):
    """One clean run into its own database: what every crash-and-rerun must equal.

    Built in-process on the shared session: the same pipeline with the same salt as the
    job script (test_jobs runs the script itself end to end), without a JVM of its own.
    """
    root = tmp_path_factory.mktemp("crash")
    raw = write_bulk(root / "raw")
    with psycopg.connect(pg_server.get_uri(), autocommit=True) as conn:
        conn.execute("CREATE DATABASE crash_reference")
    url = pg_server.get_uri("crash_reference")
    summary = run_nightly(spark, raw, root / "lake", url)
    return raw, warehouse_dump(url), summary


@pytest.mark.own_jvm
@pytest.mark.parametrize(
    "marker",
    ["stage extract: started", "stage lake_write: started", "warehouse load started"],
)
def test_killed_run_then_rerun_equals_one_clean_run(
    clean_run, marker, tmp_path, warehouse_url, spark
):
    raw, reference, summary = clean_run
    lake = tmp_path / "lake"
    argv = job_argv(raw, lake, warehouse_url)

    # The test holds a SHARE lock on the facts for the whole killed run: the job's schema
    # check and run log are not blocked by it, but no load can write a fact, so no kill
    # can land after a load committed. For the load marker, the kill waits until the
    # load is blocked on the facts, i.e. inside its transaction.
    PostgresWarehouse(warehouse_url).ensure_schema()
    with psycopg.connect(warehouse_url) as holder:
        holder.execute("LOCK TABLE cafe.fact_transaction IN SHARE MODE")
        in_load = marker == "warehouse load started"
        wait = (lambda: wait_for_lock_waiter(holder, "cafe.fact_transaction")) if in_load else None
        run_and_kill(argv, marker, before_kill=wait)

        # Where the kill landed: nothing in the warehouse, the run still marked running,
        # and the lake as far as the killed stage got.
        counts = {
            t: holder.execute(f"SELECT count(*) FROM cafe.{t}").fetchone()[0] for t in TABLE_ORDER
        }
        assert counts == dict.fromkeys(TABLE_ORDER, 0)
        statuses = [s for (s,) in holder.execute("SELECT status FROM cafe.etl_run")]
        assert statuses == ["running"]
        if marker == "stage extract: started":
            assert lake_files(lake) == []
        if in_load:
            assert len(lake_rows(lake, "transactions")) == summary["transactions"]
        holder.rollback()  # releases the lock: the killed session's load rolls back

    # The next run, in-process: recovering from the killed run (marking it abandoned,
    # removing Spark's leftovers, rewriting the days) is the pipeline's own work, the same
    # on the shared session as in a job process of its own.
    rerun = run_nightly(spark, raw, lake, warehouse_url)
    assert rerun["status"] == "succeeded"
    assert warehouse_dump(warehouse_url) == reference

    files = lake_files(lake)
    for table in ("transactions", "basket_items"):
        partitions = [f.split("/")[1] for f in files if f.startswith(table + "/")]
        assert sorted(partitions) == sorted(set(partitions)), f"{table}: {files}"
        assert len(partitions) == len(summary["sale_dates"])
    assert len(lake_rows(lake, "transactions")) == summary["transactions"]
    assert not [p for p in lake.rglob("*") if p.name.startswith((".spark-staging", "_temporary"))]

    with psycopg.connect(warehouse_url) as conn:
        statuses = [
            s for (s,) in conn.execute("SELECT status FROM cafe.etl_run ORDER BY started_at")
        ]
    assert statuses == ["abandoned", "succeeded"], statuses


def test_second_run_exits_2_with_one_line_while_another_holds_the_warehouse(
    tmp_path, warehouse_url, job_in_process
):
    """Two runs at once, made deterministic: the test holds the run lock a first run
    would hold, and the job's command line must refuse with exit status 2 and one line
    (test_pipeline::test_second_run_refuses_while_one_holds_the_warehouse proves the
    warehouse is untouched). In-process: the refusal comes before any Spark work."""
    raw = write_bulk(tmp_path / "raw")
    args = job_argv(raw, tmp_path / "lake", warehouse_url)[2:]  # after python and the script
    with psycopg.connect(warehouse_url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (RUN_LOCK_KEY,))
        code, err = job_in_process(args)
    assert code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "did not start" in err and "Wait for it to finish" in err
    assert lake_files(tmp_path / "lake") == []
