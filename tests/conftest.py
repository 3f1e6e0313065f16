"""Shared fixtures: one local SparkSession per test session, one embedded PostgreSQL."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import uuid
from pathlib import Path

import psutil
import pytest

os.environ.setdefault("CAFE_SHUFFLE_PARTITIONS", "2")
os.environ.setdefault("CAFE_SPARK_DRIVER_MEMORY", "2g")

REPO = Path(__file__).resolve().parent.parent
TEST_SALT = "test-salt-not-secret"


# The job scripts started in the background as the session begins (early_jobs.py).
pytest_plugins = ["early_jobs"]

# Fixtures that start a server of their own: every test using one is marked own_server,
# so that `-m "not own_server"` deselects exactly those (pyproject.toml's markers).
SERVER_FIXTURES = ("kinesis",)


def pytest_collection_modifyitems(items):
    from early_jobs import uses_early_job

    for item in items:
        if set(SERVER_FIXTURES) & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.own_server)
    # Tests whose job script or checkov run is in the background go last: the suite runs
    # meanwhile.
    items.sort(key=uses_early_job)  # stable: every other test keeps its place


@pytest.fixture(scope="session")
def spark():
    from cafe_etl.runtime import local_spark

    session = local_spark("cafe-etl-tests", {"spark.sql.shuffle.partitions": "2"})
    yield session
    session.stop()


@pytest.fixture
def job_in_process(spark, monkeypatch, capsys):
    """The nightly job's command line (arguments, exit status, one-line errors) run by
    jobs.nightly on the shared session: what a job script does, without a JVM of its
    own. Returns run(args) -> (exit status, stderr); run.stdout is the last run's stdout."""
    from cafe_etl import jobs
    from cafe_etl.runtime import Runtime

    monkeypatch.setattr(jobs, "setup_logging", lambda: None)  # no handler on capsys's stream
    monkeypatch.setattr(
        jobs,
        "build_runtime",
        lambda name, args, conf=None: Runtime(spark=spark, on_glue=False, job_name=name, args=args),
    )

    def run(args: list[str]) -> tuple[int, str]:
        code = jobs.nightly(["nightly_batch.py", *args])
        captured = capsys.readouterr()
        run.stdout = captured.out
        return code, captured.err

    return run


# The session's PostgreSQL keeps its files in memory when the machine has room there: the
# suite's data are thrown away at its end, so the disk's durability buys it nothing, and
# on disk every CREATE DATABASE, commit and the stop's checkpoint wait for fsync. Measured
# with 60 databases (2026-11-26, this machine): creating them 7.5 -> 2.0 s, stopping the
# server 6.1 -> 0.4 s, removing its folder 5.4 -> 0.5 s. Elsewhere (no /dev/shm, or a
# container's small one) it uses pytest's temporary folder, as before.
SHM = Path("/dev/shm")
SHM_ROOM = 2 << 30  # the suite's ~60 databases take ~0.5 GB


PG_PREFIX = "cafe-tests-pg-"
OWNER = "owner.pid"  # the pytest process whose server the folder holds


def _pg_parent(tmp_path_factory) -> Path:
    if SHM.is_dir() and os.access(SHM, os.W_OK):
        remove_stale_pg_folders(SHM)
        if shutil.disk_usage(SHM).free > SHM_ROOM:
            parent = Path(tempfile.mkdtemp(prefix=PG_PREFIX, dir=SHM))
            (parent / OWNER).write_text(str(os.getpid()))
            return parent
    return tmp_path_factory.mktemp("pg")


def remove_stale_pg_folders(root: Path) -> list[Path]:
    """Remove the PostgreSQL folders of sessions killed before their clean-up (a SIGKILL,
    a closed terminal): their pytest (OWNER) is gone, and they would hold memory until the
    machine restarts. A server such a session left running is stopped first (SIGQUIT,
    PostgreSQL's immediate shutdown), but only a process whose command line names that
    folder. A folder with no owner yet (a session starting) is left alone."""
    removed = []
    for folder in sorted(root.glob(PG_PREFIX + "*")):
        try:
            owner = int((folder / OWNER).read_text())
        except (OSError, ValueError):
            continue
        if psutil.pid_exists(owner):
            continue
        try:
            server = psutil.Process(
                int((folder / "data" / "postmaster.pid").read_text().split()[0])
            )
            if str(folder) in " ".join(server.cmdline()):
                server.send_signal(signal.SIGQUIT)
        except (OSError, ValueError, IndexError, psutil.Error):
            pass
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory):
    """The embedded PostgreSQL (pgserver), started once for the whole session."""
    import pgserver

    parent = _pg_parent(tmp_path_factory)
    try:
        server = pgserver.get_server(str(parent / "data"))
        yield server
        server.cleanup()
    finally:
        shutil.rmtree(parent, ignore_errors=True)


@pytest.fixture
def warehouse_url(pg_server) -> str:
    """A fresh, empty database on the session's server, as a postgresql:// URL."""
    return new_database(pg_server)


def new_database(pg_server, template: str | None = None) -> str:
    """A new database; with `template`, a copy of that database (PostgreSQL's CREATE
    DATABASE ... TEMPLATE: a file copy, no SQL replayed)."""
    import psycopg

    # A random name, tolerated by design: it only has to differ from every other test's
    # (48 random bits), and no test reads it back except through the returned URL.
    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(pg_server.get_uri(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
    return pg_server.get_uri(name)


CORPUS_REFERENCE_DB = "corpus_reference"


@pytest.fixture(scope="session")
def corpus_raw(tmp_path_factory) -> Path:
    """The hand-written test corpus's raw files (corpus.py), written once: read them only."""
    from corpus import write_corpus

    return write_corpus(tmp_path_factory.mktemp("corpus-raw") / "raw")


@pytest.fixture(scope="session")
def corpus_run(spark, pg_server, corpus_raw, tmp_path_factory):
    """One clean nightly run (`all`) of the hand-written corpus, for the whole session:
    (raw, lake, warehouse URL, summary). Read it only; a test that changes the lake or
    the warehouse takes `corpus_copy`."""
    import psycopg
    from helpers import run_nightly

    root = tmp_path_factory.mktemp("corpus")
    raw = corpus_raw
    with psycopg.connect(pg_server.get_uri(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {CORPUS_REFERENCE_DB}")
    url = pg_server.get_uri(CORPUS_REFERENCE_DB)
    summary = run_nightly(spark, raw, root / "lake", url)
    return raw, root / "lake", url, summary


@pytest.fixture
def corpus_copy(corpus_run, pg_server, tmp_path):
    """The clean corpus run's own copy: (raw, lake, warehouse URL, summary), the lake
    copied under tmp_path and the warehouse a copy of the reference database. The raw
    files are shared: no test changes them (their versions are the ledger's)."""
    raw, lake, _, summary = corpus_run
    shutil.copytree(lake, tmp_path / "lake")
    return raw, tmp_path / "lake", new_database(pg_server, CORPUS_REFERENCE_DB), summary


def write_raw(root: Path, key: str, content: bytes | str) -> Path:
    """Write one raw file under the S3 key layout (bytes are written as they are)."""
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path
