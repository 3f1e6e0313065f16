"""`cafe-etl`'s conventions: --help everywhere, --version, help text on every option, one
flag style for the laptop's commands, and the Glue jobs' own --help; in-process, no JVM."""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import re
import subprocess
import sys
from decimal import Decimal

import pytest
from cafe_etl import cli, job_args
from conftest import REPO


def subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


COMMANDS = sorted(subparsers(cli.build_parser()))
JOBS = {"batch": job_args.NIGHTLY, "stream": job_args.STREAM}


def test_the_laptop_and_operator_commands_are_all_listed():
    assert set(COMMANDS) >= {
        "batch",
        "stream",
        "generate",
        "replay",
        "stream-demo",
        "bench",
        "query",
        "scan-pii",
        "report",
        "trends",
        "status",
    }


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_answers_help(command, capsys):
    try:
        code = cli.main([command, "--help"])
    except SystemExit as exit_:  # argparse's own --help
        code = exit_.code
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith(f"usage: cafe-etl {command}")


@pytest.mark.parametrize("command", sorted(JOBS))
def test_the_jobs_help_lists_each_of_their_arguments_with_its_help(command, capsys):
    assert cli.main([command, "-h"]) == 0
    out = " ".join(capsys.readouterr().out.split())  # argparse wraps long lines
    for name, arg in JOBS[command].args.items():
        assert f"--{name}" in out and arg.help.strip(), name
        assert " ".join(arg.help.split()) in out, name
    assert "exit status:" in out


def test_the_nightly_script_answers_help_as_glue_would_start_it():
    done = subprocess.run(
        [sys.executable, str(REPO / "glue_jobs" / "nightly_batch.py"), "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: nightly_batch.py")
    for name in job_args.NIGHTLY.args:
        assert f"--{name}" in done.stdout


def test_version_is_the_installed_package_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"cafe-etl {importlib.metadata.version('cafe-etl')}"


def options(command: str):
    parser = subparsers(cli.build_parser())[command]
    return parser._actions


@pytest.mark.parametrize("command", sorted(set(COMMANDS) - set(JOBS)))
def test_every_option_has_help_text_and_a_kebab_case_name(command, capsys):
    for action in options(command):
        assert action.help and action.help != argparse.SUPPRESS, (command, action.dest)
    with pytest.raises(SystemExit):
        cli.main([command, "--help"])
    shown = capsys.readouterr().out
    # snake_case spellings are old aliases: accepted, never shown
    assert re.findall(r"--[a-z0-9]+_[a-z0-9_]*", shown) == []


@pytest.mark.parametrize(
    ("argv", "dest", "value"),
    [
        (["query", "--warehouse_url", "embedded://w", "SELECT 1"], "warehouse_url", "embedded://w"),
        (["query", "--warehouse-url", "embedded://w", "SELECT 1"], "warehouse_url", "embedded://w"),
        (["scan-pii", "--lake_uri", "lake"], "lake_uri", "lake"),
        (["bench", "--one_file_gb", "2"], "one_file_gb", 2.0),
        (["bench", "--one-file-gb", "2"], "one_file_gb", 2.0),
        (
            ["replay", "--raw", "r", "--stream", "s", "--endpoint_url", "http://x"],
            "endpoint_url",
            "http://x",
        ),
        (["status", "--warehouse_url", "embedded://w", "--days", "3"], "days", 3),
    ],
)
def test_old_snake_case_spellings_still_work(argv, dest, value):
    assert getattr(cli.build_parser().parse_args(argv), dest) == value


def test_exit_statuses_are_written_once_and_shown_by_the_cli_and_the_jobs(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert job_args.EXIT_STATUS in capsys.readouterr().out
    assert job_args.EXIT_STATUS in job_args.NIGHTLY.help_text("x")


def test_generate_to_s3_writes_the_same_files_as_to_a_folder(tmp_path, monkeypatch, capsys):
    """`generate --out s3://…` puts the sample in the bucket in the raw layout, byte for
    byte what `--out FOLDER` writes (moto's in-process S3)."""
    import boto3
    from moto import mock_aws

    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    sample = ["--branches", "3", "--days", "2", "--start", "2026-11-01", "--seed", "5"]
    assert cli.main(["generate", "--out", str(tmp_path / "raw"), *sample]) == 0
    local = {
        str(p.relative_to(tmp_path / "raw")): p.read_bytes()
        for p in (tmp_path / "raw").rglob("*")
        if p.is_file()
    }
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(
            Bucket="cafe-raw", CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
        )
        assert cli.main(["generate", "--out", "s3://cafe-raw/raw/", *sample]) == 0
        listed = s3.list_objects_v2(Bucket="cafe-raw")["Contents"]
        uploaded = {
            o["Key"]: s3.get_object(Bucket="cafe-raw", Key=o["Key"])["Body"].read() for o in listed
        }
    assert len(local) == 6
    assert all(re.fullmatch(r"2026/11/0[12]/[^/]+_\d\d-11-2026_[\d-]+\.csv", k) for k in local)
    assert uploaded == {f"raw/{k}": v for k, v in local.items()}
    assert "uploaded 6 files to s3://cafe-raw/raw/" in capsys.readouterr().err


def test_query_and_trends_print_json_with_the_same_figures_as_their_tables(corpus_run, capsys):
    _, _, url, summary = corpus_run  # read only
    sql = (
        "SELECT b.branch_name, f.sale_date, sum(f.total_amount) AS revenue, count(*) AS n "
        "FROM cafe.fact_transaction f JOIN cafe.dim_branch b USING (branch_id) "
        "GROUP BY 1, 2 ORDER BY 1, 2"
    )
    assert cli.main(["query", "--warehouse-url", url, sql]) == 0
    header, *rows = [line.split(",") for line in capsys.readouterr().out.splitlines()]
    assert cli.main(["query", "--warehouse-url", url, "--json", sql]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert header == ["branch_name", "sale_date", "revenue", "n"]
    assert [
        [r["branch_name"], r["sale_date"], Decimal(str(r["revenue"])), r["n"]] for r in shown
    ] == [[branch, day, Decimal(revenue), int(n)] for branch, day, revenue, n in rows]
    assert all(isinstance(r["revenue"], float | int) and isinstance(r["n"], int) for r in shown)
    assert sum(r["n"] for r in shown) == summary["transactions"]

    assert cli.main(["trends", "--warehouse_url", url, "--json"]) == 0
    trends = json.loads(capsys.readouterr().out)
    assert list(trends) == list(cli.TRENDS)
    regions = trends["Revenue by region"]
    assert sum(r["transactions"] for r in regions) == summary["transactions"]
    assert f"{sum(r['revenue'] for r in regions):.2f}" == summary["revenue"]
    assert cli.main(["trends", "--warehouse-url", url]) == 0
    text = capsys.readouterr().out
    assert all(r["region"] in text for r in regions) and "Revenue by region" in text
