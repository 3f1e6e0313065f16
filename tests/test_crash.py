"""Kill the nightly job (SIGKILL) mid-extract, mid-lake-write and mid-load, then run it
again: the warehouse ends as after one clean run, the lake has one file per partition
and no leftovers that readers would see, and the run log shows the killed run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import psycopg
import pytest
from cafe_etl.jobs import nightly_argv
from conftest import TEST_SALT
from corpus import write_bulk
from helpers import lake_files, lake_rows, warehouse_dump


def job_argv(raw: Path, lake: Path, url: str) -> list[str]:
    return nightly_argv(str(raw), str(lake), url, "crash", TEST_SALT)


def run_and_kill(argv: list[str], marker: str, timeout: float = 240) -> str:
    """Start the job, SIGKILL it (and its JVM) as soon as `marker` shows in its log."""
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    deadline = time.monotonic() + timeout
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if marker in line:
            os.killpg(proc.pid, signal.SIGKILL)
            break
        if time.monotonic() > deadline:
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "".join(seen[-20:])
    return "".join(seen)


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory, pg_server):
    """One clean run into its own database: what every crash-and-rerun must equal."""
    root = tmp_path_factory.mktemp("crash")
    raw = write_bulk(root / "raw")
    with psycopg.connect(pg_server.get_uri(), autocommit=True) as conn:
        conn.execute("CREATE DATABASE crash_reference")
    url = pg_server.get_uri("crash_reference")
    done = subprocess.run(
        job_argv(raw, root / "lake", url), capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return raw, warehouse_dump(url), json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "marker",
    ["stage extract: started", "stage lake_write: started", "stage warehouse_load: started"],
)
def test_killed_run_then_rerun_equals_one_clean_run(clean_run, marker, tmp_path, warehouse_url):
    raw, reference, summary = clean_run
    lake = tmp_path / "lake"
    argv = job_argv(raw, lake, warehouse_url)
    run_and_kill(argv, marker)

    rerun = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
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


def test_two_runs_at_once_one_refuses_and_result_is_one_clean_run(
    clean_run, tmp_path, warehouse_url
):
    raw, reference, _ = clean_run
    argv = job_argv(raw, tmp_path / "lake", warehouse_url)
    procs = [
        subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes in ([0, 0], [0, 2]), results
    for code, err in results:
        if code == 2:
            assert "did not start" in err and "Wait for it to finish" in err
            assert "Traceback" not in err
    assert warehouse_dump(warehouse_url) == reference
