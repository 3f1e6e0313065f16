"""A backfill of a range of days, its dry run, and `cafe-etl status` after it.

On the session's clean corpus run (conftest's corpus_copy: the first run), the raw zone
gains a late file, a re-sent file and a new day; a dry run of the range lists them and
writes nothing; the real run of the same range (the second run) does what it listed;
`status` then shows both runs, the late file, the missing branches and the quarantine.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
from collections import Counter
from decimal import Decimal

import psycopg
import pytest
from cafe_etl import cli, status
from cafe_etl.errors import UsageError
from cafe_etl.pipeline import LEDGER_EXISTS
from cafe_etl.raw import day_prefixes, process_days
from conftest import TEST_SALT, write_raw
from helpers import warehouse_dump
from test_redshift import parses_as_redshift

RANGE = "2021-03-01..2021-03-02"
LATE = "2021/03/01/Hull_01-03-2021_18-00-00.csv"
RESENT = "2021/03/01/York_01-03-2021_18-00-00.csv"
NEW = "2021/03/02/Leeds_02-03-2021_18-00-00.csv"


def ledger_and_runs(url: str) -> tuple[list, list]:
    with psycopg.connect(url) as conn:
        return (
            conn.execute("SELECT * FROM cafe.etl_file ORDER BY 1").fetchall(),
            conn.execute("SELECT * FROM cafe.etl_run ORDER BY 1").fetchall(),
        )


def lake_state(lake) -> list[tuple]:
    return sorted((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in lake.rglob("*"))


def test_a_range_dry_run_writes_nothing_the_run_does_what_it_listed_and_status_shows_it(
    corpus_copy, job_in_process, tmp_path, capsys, caplog
):
    caplog.set_level(logging.INFO, logger="cafe_etl")
    shared_raw, lake, url, first = corpus_copy
    raw = tmp_path / "raw"
    shutil.copytree(shared_raw, raw)  # copy2 keeps the times: the ledger's versions hold
    write_raw(raw, LATE, "01/03/2021 12:00,Hull,Late Larry,Latte - 2.15,2.15,CASH,\n")
    york = (raw / RESENT).read_text()
    write_raw(raw, RESENT, york + "01/03/2021 10:30,York,Re Sent,Mocha - 2.30,2.30,CASH,\n")
    write_raw(raw, NEW, "02/03/2021 09:00,Leeds,New Day,Latte - 2.15,2.15,CARD,\n")
    argv = [
        "--JOB_NAME",
        "test",
        "--raw_uri",
        str(raw),
        "--lake_uri",
        str(lake),
        "--warehouse_url",
        url,
    ]
    argv += ["--process_date", RANGE, "--hash_salt", TEST_SALT]
    before = (warehouse_dump(url), ledger_and_runs(url), lake_state(lake))

    code, err = job_in_process([*argv, "--dry_run", "true"])
    assert code == 0, err
    plan = json.loads(job_in_process.stdout.splitlines()[-1])
    assert (warehouse_dump(url), ledger_and_runs(url), lake_state(lake)) == before
    assert plan["status"] == "dry_run"
    assert plan["days_processed"] == ["2021-03-01", "2021-03-02"]  # not 2022-01-05
    states = {f["key"]: f["state"] for f in plan["files"]}
    assert {k: s for k, s in states.items() if s != "unchanged"} == {
        LATE: "late",
        RESENT: "resent",
        NEW: "new",
    }
    assert len(states) == 7 and plan["files_by_state"]["unchanged"] == 4
    assert "dry run: 2021-03-01: 6 files (1 late, 1 resent, 4 unchanged)" in caplog.messages

    code, err = job_in_process(argv)  # the same range, for real: one run, two days
    assert code == 0, err
    second = json.loads(job_in_process.stdout.splitlines()[-1])
    for key in ("days_processed", "late_files", "resent_files", "missing_branches"):
        assert second[key] == plan[key], key

    assert cli.main(["status", "--warehouse-url", url, "--json", "--until", "2021-03-02"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [r["run_id"] for r in shown["runs"]] == [second["run_id"], first["run_id"]]
    assert [(r["status"], r["source"]) for r in shown["runs"]] == [("succeeded", "batch")] * 2
    assert shown["runs"][0]["late_files"] == 1
    assert shown["runs"][0]["transactions"] == second["transactions"]
    assert shown["runs"][0]["seconds"] > 0
    days = {d["day"]: d for d in shown["coverage"]["days"]}
    assert list(days) == [
        (dt.date(2021, 2, 24) + dt.timedelta(days=n)).isoformat() for n in range(7)
    ]
    assert days["2021-03-01"]["late"] == ["Hull"]
    assert days["2021-03-02"] == {
        "day": "2021-03-02",
        "branches": 1,
        "files": 1,
        "transactions": 1,
        "late_files": 0,
        "late": [],
        "missing": second["missing_branches"]["2021-03-02"],
    }
    assert "York" in days["2021-03-02"]["missing"]
    total = Counter(first["quarantined_by_reason"]) + Counter(second["quarantined_by_reason"])
    assert shown["quarantine_by_reason"] == dict(total) and sum(total.values()) > 0

    # Redshift's Data API gives dates, times and decimals as text: the same status.
    warehouse = status.open_warehouse(url)

    sent = [LEDGER_EXISTS]

    class DataApiLike:
        def query(self, statement):
            sent.append(statement)
            columns, rows = warehouse.query(statement)
            return columns, [tuple(_as_text(v) for v in row) for row in rows]

    until = dt.date(2021, 3, 2)
    assert status.collect(DataApiLike(), until=until) == status.collect(warehouse, until=until)
    status.collect(DataApiLike())  # and up to the latest day loaded
    assert len(sent) == 1 + 2 + 3 and all(parses_as_redshift(s) for s in sent), sent

    assert cli.main(["status", "--warehouse_url", url, "--until", "2021-03-02", "--days", "2"]) == 0
    text = capsys.readouterr().out
    assert "Last runs, newest first" in text and second["run_id"] in text
    assert "Branch-day coverage, 2021-03-01 to 2021-03-02" in text
    assert any(line.startswith("2021-03-01") and "Hull" in line for line in text.splitlines())
    reason, rows = next(iter(total.most_common()))
    assert any(line.split() == [reason, str(rows)] for line in text.splitlines())


def _as_text(value):
    if isinstance(value, dt.date | dt.datetime | Decimal):
        return str(value)
    return value


def test_a_date_range_lists_each_of_its_days_and_bad_ranges_are_usage_errors():
    assert process_days("2026-11-01..2026-11-03") == [
        dt.date(2026, 11, 1),
        dt.date(2026, 11, 2),
        dt.date(2026, 11, 3),
    ]
    assert day_prefixes(" 2026-12-31..2027-01-01 ") == ["2026/12/31", "2027/01/01"]
    assert day_prefixes("2026-11-05..2026-11-05") == ["2026/11/05"]
    assert process_days("2026-11-05") == [dt.date(2026, 11, 5)]
    assert process_days("all") is None
    for value, message in [
        ("2026-11-07..2026-11-01", "ends before it starts; did you mean 2026-11-01..2026-11-07"),
        ("2026-11-01..", "a range is FIRST..LAST"),
        ("2026-11-01..yesterday", "a range is FIRST..LAST"),
        ("01/11/2026..07/11/2026", "a range is FIRST..LAST"),
        ("2026-11-01...2026-11-07", "a range is FIRST..LAST"),
    ]:
        with pytest.raises(UsageError, match=message):
            day_prefixes(value)


def test_a_bad_range_or_dry_run_value_stops_the_job_before_spark(job_in_process):
    argv = [
        "--JOB_NAME",
        "t",
        "--raw_uri",
        "r",
        "--lake_uri",
        "l",
        "--warehouse_url",
        "embedded://w",
    ]
    code, err = job_in_process([*argv, "--process_date", "2026-11-07..2026-11-01"])
    assert code == 2 and "ends before it starts" in err
    code, err = job_in_process([*argv, "--dry_run", "yes"])
    assert code == 2 and "--dry_run 'yes' must be true or false" in err


def test_a_dry_run_leaves_out_the_branches_the_reference_marks_closed(job_in_process, tmp_path):
    # Hand-made: Leeds and York trade on 1 March, only Leeds on 2 March; the reference
    # closes York on 2 March. The dry run must list the missing branches the run would.
    raw = tmp_path / "raw"
    line = "{d}/03/2021 09:00,{b},A Name,Latte - 2.15,2.15,CASH,\n"
    for day, branch in (("01", "Leeds"), ("01", "York"), ("02", "Leeds")):
        write_raw(
            raw, f"2021/03/{day}/{branch}_{day}-03-2021_18-00-00.csv", line.format(d=day, b=branch)
        )
    reference = tmp_path / "branches.csv"
    reference.write_text("town,region,closed\nYork,Yorkshire and The Humber,2021-03-02\n")
    argv = ["--JOB_NAME", "t", "--raw_uri", str(raw), "--lake_uri", str(tmp_path / "lake")]
    argv += ["--warehouse_url", f"embedded://{tmp_path / 'none'}", "--hash_salt", TEST_SALT]
    argv += ["--process_date", "2021-03-01..2021-03-02", "--dry_run", "true"]

    def missing(*extra: str) -> dict:
        code, err = job_in_process([*argv, *extra])
        assert code == 0, err
        return json.loads(job_in_process.stdout.splitlines()[-1])["missing_branches"]

    assert missing() == {"2021-03-02": ["York"]}
    assert missing("--reference_uri", str(reference)) == {}
    assert not (tmp_path / "lake").exists() and not (tmp_path / "none").exists()
