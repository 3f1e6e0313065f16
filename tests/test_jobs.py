"""The job script as Glue would start it, and its arguments."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from cafe_etl import errors, jobs
from cafe_etl.errors import UsageError
from cafe_etl.runtime import parse_job_args
from helpers import env_without_java

SCRIPT = jobs.NIGHTLY_SCRIPT


def test_arguments_resolved_like_glue_with_defaults():
    argv = [
        "x",
        "--JOB_NAME",
        "j",
        "--raw_uri",
        "r",
        "--lake_uri",
        "l",
        "--warehouse_url",
        "w",
        "--job-bookmark-option",
        "job-bookmark-disable",
        "--TempDir",
        "s3://t/",
    ]
    args = parse_job_args(argv, jobs.NIGHTLY.required, jobs.NIGHTLY.optional)
    assert args["raw_uri"] == "r" and args["process_date"] == "yesterday"
    args = parse_job_args(
        argv + ["--process_date", "all"], jobs.NIGHTLY.required, jobs.NIGHTLY.optional
    )
    assert args["process_date"] == "all"


def test_missing_and_misspelt_arguments_are_usage_errors():
    with pytest.raises(UsageError, match="lake_uri"):
        parse_job_args(
            ["x", "--JOB_NAME", "j", "--raw_uri", "r", "--warehouse_url", "w"],
            jobs.NIGHTLY.required,
            jobs.NIGHTLY.optional,
        )
    with pytest.raises(UsageError, match="did you mean --process_date"):
        parse_job_args(
            [
                "x",
                "--JOB_NAME",
                "j",
                "--raw_uri",
                "r",
                "--lake_uri",
                "l",
                "--warehouse_url",
                "w",
                "--proces_date",
                "all",
            ],
            jobs.NIGHTLY.required,
            jobs.NIGHTLY.optional,
        )


def test_env_without_java_survives_dangling_links_and_names_in_two_folders(tmp_path):
    usr, bin_ = tmp_path / "usr-bin", tmp_path / "bin-alias"
    usr.mkdir()
    (usr / "sh").write_text("#!/bin/sh\n")
    (usr / "java").write_text("#!/bin/sh\n")
    (usr / "jshell").symlink_to(tmp_path / "removed-jdk" / "bin" / "jshell")  # dangling
    bin_.symlink_to(usr)  # merged /usr: the same names a second time
    shell = tmp_path / "shell"
    shell.mkdir()
    env = env_without_java(shell, (str(usr), str(bin_)))
    shadow = shell / "bin"
    assert sorted(p.name for p in shadow.iterdir()) == ["sh"]
    assert os.readlink(shadow / "sh") == str(usr / "sh")
    assert env["PATH"].endswith(f":{shadow}") and "JAVA_HOME" not in env


def test_the_pg_folders_of_killed_sessions_are_removed_and_their_servers_stopped(tmp_path):
    """conftest.remove_stale_pg_folders: the folders whose pytest is gone go, and a server
    one left (a process naming the folder) is stopped; a live session's folder, a starting
    one's (no owner yet), and a process that only reuses a stale server's PID stay."""
    from conftest import OWNER, PG_PREFIX, remove_stale_pg_folders

    # A pytest that is gone: a process that has ended. Its PID could only come back after
    # Linux had handed out every other one (pid_max, 32,768 here), not within this test.
    ended = subprocess.Popen(["true"])
    ended.wait()
    folders = [tmp_path / f"{PG_PREFIX}{n}" for n in ("a", "b", "live", "starting")]
    stale, reused, live, starting = folders
    for folder in folders:
        (folder / "data").mkdir(parents=True)
    for folder in (stale, reused):
        (folder / OWNER).write_text(str(ended.pid))
    (live / OWNER).write_text(str(os.getpid()))
    server = stand_in(str(stale / "data"))
    unrelated = stand_in()
    (stale / "data" / "postmaster.pid").write_text(f"{server.pid}\n{stale / 'data'}\n")
    (reused / "data" / "postmaster.pid").write_text(f"{unrelated.pid}\n{reused / 'data'}\n")
    try:
        assert remove_stale_pg_folders(tmp_path) == [stale, reused]
        assert [f.exists() for f in folders] == [False, False, True, True]
        assert server.wait(timeout=10) == -signal.SIGQUIT
        assert unrelated.poll() is None
    finally:
        for process in (server, unrelated):
            process.kill()
            process.wait()


# A stand-in for a server a killed session left: it dies of SIGQUIT as PostgreSQL stops
# on it, even when started from a process that ignores SIGQUIT (a shell's background job
# does, and the ignoring is inherited), and it says when it is ready for the signal.
STAND_IN = (
    "import signal, time; signal.signal(signal.SIGQUIT, signal.SIG_DFL); "
    "print('ready', flush=True); time.sleep(60)"
)


def stand_in(*args: str) -> subprocess.Popen:
    """A STAND_IN process with `args` on its command line, once it is ready."""
    process = subprocess.Popen(
        [sys.executable, "-c", STAND_IN, *args], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout.readline() == "ready\n"
    return process


def run_script(args: list[str], env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,  # a guard against a hung job, not a timing check (loaded machines)
        check=False,
    )


def test_user_errors_are_one_line_and_exit_2(tmp_path):
    missing = run_script(["--JOB_NAME", "j", "--raw_uri", str(tmp_path)])
    assert missing.returncode == 2
    assert "error:" in missing.stderr and "Traceback" not in missing.stderr
    bad_url = run_script(
        [
            "--JOB_NAME",
            "j",
            "--raw_uri",
            str(tmp_path),
            "--lake_uri",
            str(tmp_path / "lake"),
            "--warehouse_url",
            "mysql://x",
        ]
    )
    assert bad_url.returncode == 2 and "--warehouse_url" in bad_url.stderr
    assert "Traceback" not in bad_url.stderr


def test_error_messages_are_scrubbed_of_card_numbers_but_keep_times():
    text = errors.scrub(
        "started 2026-11-24 20:42:05, row had 4111 1111 1111 1111 / 5494173772652516"
    )
    assert "2026-11-24 20:42:05" in text
    assert "4111" not in text and "5494173772652516" not in text


def test_both_runtimes_import_pysparks_short_names_and_each_class_exists(spark, monkeypatch):
    """py4j finds `functions` & co. by full name, not by searching Spark's class path
    under each star import (io.hadoop.SHORT_NAMES): both the local session and the
    session Glue hands over get the imports, and every name is a real class (a misspelt
    one would silently fall back to the search)."""
    from cafe_etl import io
    from cafe_etl.runtime import glue
    from cafe_etl.runtime import spark as local

    imported = []
    monkeypatch.setattr(io.hadoop, "java_import", lambda view, name: imported.append(name))
    assert local.local_spark("cafe-etl-tests") is spark  # the running session, imports made
    glue._apply_session_conf(spark)  # what the Glue branch does to Glue's session
    assert imported == [*io.SHORT_NAMES, *io.SHORT_NAMES]
    lang = spark.sparkContext._jvm.java.lang  # noqa: SLF001 - the check needs the JVM
    assert [lang.Class.forName(n).getName() for n in io.SHORT_NAMES] == list(io.SHORT_NAMES)
