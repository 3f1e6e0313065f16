"""Kill the nightly job mid-extract, mid-lake-write and mid-load, then run it again: the
warehouse ends as after one clean run, the lake has one file per partition and no
leftovers that readers would see, and the run log shows the killed run.

One real SIGKILL, where the kill of a process is the point: inside the warehouse load's
transaction (the server must roll back a load whose client died). The extract and
lake-write points are crashed in-process by an exception raised at the same point, on
the shared SparkSession: the rerun's recovery is the pipeline's own work either way.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from cafe_etl import lake
from cafe_etl import raw as raw_module
from cafe_etl.jobs import nightly_argv
from cafe_etl.warehouse.postgres import RUN_LOCK_KEY
from conftest import TEST_SALT
from corpus import write_bulk
from helpers import TABLE_ORDER, lake_files, lake_rows, run_nightly, warehouse_dump


def job_argv(raw: Path, lake: Path, url: str) -> list[str]:
    return nightly_argv(str(raw), str(lake), url, "crash", TEST_SALT)


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
    clean_run, killed_batch, spark
):
    """The job process SIGKILLed while its load transaction waits on the facts (the kill,
    under a lock the fixture holds, runs in the background: early_jobs.killed_batch)."""
    raw, reference, summary = clean_run
    killed = killed_batch.result()
    # Where the kill landed: nothing in the warehouse, the run still marked running, and
    # the whole lake written.
    assert killed.counts == dict.fromkeys(TABLE_ORDER, 0)
    assert killed.statuses == ["running"]
    assert killed.lake_transactions == summary["transactions"]

    # The next run, in-process: recovering from the killed run (marking it abandoned,
    # removing Spark's leftovers, rewriting the days) is the pipeline's own work, the same
    # on the shared session as in a job process of its own.
    assert_rerun_equals_one_clean_run(
        spark, raw, killed.lake, killed.url, reference, summary, "abandoned"
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
