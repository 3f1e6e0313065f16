"""Kill the nightly job mid-extract, mid-lake-write and mid-load, then run it again: the
warehouse ends as after one clean run, the lake has one file per partition and no
leftovers that readers would see, and the run log shows the killed run.

One real SIGKILL, where the kill of a process is the point: inside the warehouse load's
transaction (the server must roll back a load whose client died). The extract and
lake-write points are crashed in-process by an exception raised at the same point, on
the shared SparkSession: the rerun's recovery is the pipeline's own work either way.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from cafe_etl import lake
from cafe_etl import raw as raw_module
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


# Two days of four towns: enough for a run to refuse (it refuses before reading any).
BULK = {"files": 8, "rows": 60}


@pytest.fixture(scope="module")
def clean_run(corpus_run):
    """One clean run of the test corpus: what every crash-and-rerun must equal.

    The session's own (`corpus_run`, in-process on the shared session, with the job
    script's salt): two days, several files and lake partitions per table, and an
    unreadable and an empty file, which the crash points need.
    """
    raw, _, url, summary = corpus_run
    return raw, warehouse_dump(url), summary


def assert_rerun_equals_one_clean_run(spark, raw, lake_dir, url, reference, summary, killed):
    """The next run after a killed one: the warehouse equals one clean run, one lake file
    per partition, no Spark leftovers, and the run log shows the killed run as `killed`."""
    rerun = run_nightly(spark, raw, lake_dir, url)
    assert rerun["status"] == "succeeded"
    assert warehouse_dump(url) == reference

    files = lake_files(lake_dir)
    for table in ("transactions", "basket_items"):
        partitions = [f.split("/")[1] for f in files if f.startswith(table + "/")]
        assert sorted(partitions) == sorted(set(partitions)), f"{table}: {files}"
        assert len(partitions) == len(summary["sale_dates"])
    assert len(lake_rows(lake_dir, "transactions")) == summary["transactions"]
    assert not [
        p for p in lake_dir.rglob("*") if p.name.startswith((".spark-staging", "_temporary"))
    ]

    with psycopg.connect(url) as conn:
        statuses = [
            s for (s,) in conn.execute("SELECT status FROM cafe.etl_run ORDER BY started_at")
        ]
    assert statuses == [killed, "succeeded"], statuses


@pytest.mark.own_jvm
def test_sigkilled_inside_the_load_transaction_then_rerun_equals_one_clean_run(
    clean_run, tmp_path, warehouse_url, spark
):
    """The job process SIGKILLed while its load transaction waits on the facts."""
    raw, reference, summary = clean_run
    lake_dir = tmp_path / "lake"
    argv = job_argv(raw, lake_dir, warehouse_url)

    # The test holds a SHARE lock on the facts for the whole killed run: the job's schema
    # check and run log are not blocked by it, but no load can write a fact, so the kill
    # cannot land after a load committed. The kill waits until the load is blocked on the
    # facts, i.e. inside its transaction.
    PostgresWarehouse(warehouse_url).ensure_schema()
    with psycopg.connect(warehouse_url) as holder:
        holder.execute("LOCK TABLE cafe.fact_transaction IN SHARE MODE")
        wait = lambda: wait_for_lock_waiter(holder, "cafe.fact_transaction")  # noqa: E731
        run_and_kill(argv, "warehouse load started", before_kill=wait)

        # Where the kill landed: nothing in the warehouse, the run still marked running,
        # and the whole lake written.
        counts = {
            t: holder.execute(f"SELECT count(*) FROM cafe.{t}").fetchone()[0] for t in TABLE_ORDER
        }
        assert counts == dict.fromkeys(TABLE_ORDER, 0)
        statuses = [s for (s,) in holder.execute("SELECT status FROM cafe.etl_run")]
        assert statuses == ["running"]
        assert len(lake_rows(lake_dir, "transactions")) == summary["transactions"]
        holder.rollback()  # releases the lock: the killed session's load rolls back

    # The next run, in-process: recovering from the killed run (marking it abandoned,
    # removing Spark's leftovers, rewriting the days) is the pipeline's own work, the same
    # on the shared session as in a job process of its own.
    assert_rerun_equals_one_clean_run(
        spark, raw, lake_dir, warehouse_url, reference, summary, "abandoned"
    )


class Killed(Exception):
    """The crash a test injects (and expects back, and nothing else)."""


@pytest.mark.parametrize("point", ["extract", "lake_write"])
def test_crashed_mid_extract_or_mid_lake_write_then_rerun_equals_one_clean_run(
    clean_run, point, tmp_path, warehouse_url, spark, monkeypatch
):
    """In-process crashes: mid-extract (reading the raw files), and mid-lake-write (after
    the transactions were written, before the basket items), where a process killed
    mid-write also leaves Spark's hidden folders behind: planted here, as Spark names them."""
    raw, reference, summary = clean_run
    lake_dir = tmp_path / "lake"
    if point == "extract":

        def crash(*args, **kwargs):
            raise Killed("mid-extract")

        monkeypatch.setattr(raw_module, "extract", crash)
    else:
        real_write, written = lake.write_table, []

        def crash(df, lake_uri, table, *args, **kwargs):
            if written:
                raise Killed(f"mid-lake-write, before {table}")
            written.append(real_write(df, lake_uri, table, *args, **kwargs))

        monkeypatch.setattr(lake, "write_table", crash)
    with pytest.raises(Killed):
        run_nightly(spark, raw, lake_dir, warehouse_url)
    monkeypatch.undo()

    # Where the crash landed: nothing in the warehouse, the run marked failed, and the
    # lake as far as the crashed stage got.
    with psycopg.connect(warehouse_url) as conn:
        counts = {
            t: conn.execute(f"SELECT count(*) FROM cafe.{t}").fetchone()[0] for t in TABLE_ORDER
        }
        statuses = [s for (s,) in conn.execute("SELECT status FROM cafe.etl_run")]
    assert counts == dict.fromkeys(TABLE_ORDER, 0)
    assert statuses == ["failed"]
    if point == "extract":
        assert lake_files(lake_dir) == []
    else:
        assert len(lake_rows(lake_dir, "transactions")) == summary["transactions"]
        assert lake_rows(lake_dir, "basket_items") == []
        for table in ("transactions", "basket_items"):
            (lake_dir / table / "_temporary" / "0").mkdir(parents=True)
            (lake_dir / table / ".spark-staging-0123").mkdir()
            (lake_dir / table / ".spark-staging-0123" / "part-00000.parquet").write_bytes(b"x")

    assert_rerun_equals_one_clean_run(
        spark, raw, lake_dir, warehouse_url, reference, summary, "failed"
    )


def test_second_run_exits_2_with_one_line_while_another_holds_the_warehouse(
    tmp_path, warehouse_url, job_in_process
):
    """Two runs at once, made deterministic: the test holds the run lock a first run
    would hold, and the job's command line must refuse with exit status 2 and one line
    (test_pipeline::test_second_run_refuses_while_one_holds_the_warehouse proves the
    warehouse is untouched). In-process: the refusal comes before any Spark work."""
    raw = write_bulk(tmp_path / "raw", **BULK)
    args = job_argv(raw, tmp_path / "lake", warehouse_url)[2:]  # after python and the script
    with psycopg.connect(warehouse_url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (RUN_LOCK_KEY,))
        code, err = job_in_process(args)
    assert code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "did not start" in err and "Wait for it to finish" in err
    assert lake_files(tmp_path / "lake") == []
