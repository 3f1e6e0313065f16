"""Every till file is loaded exactly once, whenever it arrives (the file ledger and catch-up).

Each test runs scheduled nights (`--process_date yesterday` with `--today`) in-process on
generated files, then compares the warehouse with a fresh `--process_date all` run over
the same final raw files.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal

import psycopg
import pytest
from cafe_etl import completeness
from cafe_etl.raw import RawFile
from conftest import new_database, write_raw
from helpers import lake_rows, run_nightly, warehouse_dump
from test_redshift import lake_s3  # noqa: F401 (a fixture)

D1, D2, D3 = dt.date(2026, 11, 1), dt.date(2026, 11, 2), dt.date(2026, 11, 3)


def key(branch: str, day: dt.date) -> str:
    return f"{day:%Y/%m/%d}/{branch}_{day:%d-%m-%Y}_18-00-00.csv"


def till_file(branch: str, day: dt.date, n: int = 3, first: int = 0) -> str:
    """A 2021-style export (no header) of n cash sales."""
    return "".join(
        f"{day:%d/%m/%Y} 09:{first + i:02d},{branch},Person {first + i},Latte - 2.15,2.15,CASH,\n"
        for i in range(n)
    )


def send(raw, branch: str, day: dt.date, content: str | None = None) -> str:
    write_raw(raw, key(branch, day), content if content is not None else till_file(branch, day))
    return key(branch, day)


def night(spark, raw, lake, url, today: dt.date) -> dict:
    """The scheduled nightly run on the morning of `today`."""
    from cafe_etl import pipeline
    from cafe_etl.runtime import Runtime
    from conftest import TEST_SALT

    args = {
        "JOB_NAME": "test",
        "raw_uri": str(raw),
        "lake_uri": str(lake),
        "warehouse_url": url,
        "process_date": "yesterday",
        "today": today.isoformat(),
        "hash_salt": TEST_SALT,
    }
    summary = pipeline.run_batch(Runtime(spark=spark, on_glue=False, job_name="test"), args)
    assert summary["rows_read"] == (
        summary["transactions"] + summary["quarantined"] + summary["duplicates"]
    )
    return summary


def fresh_all(spark, raw, tmp_path, pg_server) -> dict:
    url = new_database(pg_server)
    run_nightly(spark, raw, tmp_path / "fresh-lake", url, "all")
    return warehouse_dump(url)


def query(url: str, statement: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(statement).fetchall()


def figures(url: str) -> dict[tuple[dt.date, str], tuple[int, Decimal]]:
    """(day, branch) -> (transactions, revenue) in the warehouse."""
    rows = query(
        url,
        "SELECT f.sale_date, b.branch_name, count(*), sum(f.total_amount) "
        "FROM cafe.fact_transaction f JOIN cafe.dim_branch b USING (branch_id) "
        "GROUP BY 1, 2",
    )
    return {(day, branch): (n, total) for day, branch, n, total in rows}


def test_late_resent_and_deleted_files_and_a_failed_load_across_nights_load_each_file_once(
    spark, tmp_path, warehouse_url, pg_server, monkeypatch
):
    """Scheduled nights over two branches' files, one scenario a night (each night a run):
    1. two files of day 1;
    2. day 2 with one branch missing, and the load failing at its last statement (the
       ledger's, after every merge): the whole warehouse stays as it was, ledger included,
       and the run is recorded failed; the same night run again loads the day;
    3. the missing file arrives late, another is re-sent corrected, day 3 arrives: the
       three days are processed whole, hold the figures worked by hand, and equal one run
       over everything;
    4. a file re-sent corrected to the same byte length: its day is processed again;
    5. nothing new: nothing changes;
    6. a loaded file is deleted and a late one lands on its day: the day is refused, by
       the scheduled night and by a run for that day alike, and no row is deleted."""
    from cafe_etl.warehouse import sql

    raw, lake = tmp_path / "raw", tmp_path / "lake"
    leeds = send(raw, "Leeds", D1)
    send(raw, "York", D1)
    night(spark, raw, lake, warehouse_url, today=D2)
    assert query(warehouse_url, "SELECT count(*) FROM cafe.fact_transaction") == [(6,)]

    send(raw, "Leeds", D2)  # York's till is offline on day 2
    before = warehouse_dump(warehouse_url)
    ledger = query(warehouse_url, "SELECT * FROM cafe.etl_file ORDER BY 1")
    statements = sql.ledger_statements
    monkeypatch.setattr(sql, "ledger_statements", lambda: [*statements(), "SELECT 1/0"])
    with pytest.raises(psycopg.errors.DivisionByZero):
        night(spark, raw, lake, warehouse_url, today=D3)
    monkeypatch.undo()
    assert warehouse_dump(warehouse_url) == before
    assert query(warehouse_url, "SELECT * FROM cafe.etl_file ORDER BY 1") == ledger
    assert len(ledger) == 2
    assert query(warehouse_url, "SELECT status FROM cafe.etl_run ORDER BY started_at") == [
        ("succeeded",),
        ("failed",),
    ]
    second = night(spark, raw, lake, warehouse_url, today=D3)  # the retry loads the day
    assert second["days_processed"] == ["2026-11-02"]
    assert second["missing_branches"] == {"2026-11-02": ["York"]}
    assert second["late_files"] == [] and second["missing_branch_days"] == 1
    assert query(warehouse_url, "SELECT count(*) FROM cafe.etl_file") == [(3,)]

    late = send(raw, "York", D2)  # uploaded late, into its own day's prefix
    # The manager re-sends Leeds's day 1: the first sale removed, the second corrected.
    rows = till_file("Leeds", D1).splitlines(keepends=True)
    changed = rows[1].replace("Latte - 2.15,2.15", '"Latte - 2.15, Cortado - 2.05",4.20')
    send(raw, "Leeds", D1, changed + rows[2])
    for branch in ("Leeds", "York"):
        send(raw, branch, D3)
    third = night(spark, raw, lake, warehouse_url, today=D3 + dt.timedelta(days=1))
    assert third["days_processed"] == ["2026-11-01", "2026-11-02", "2026-11-03"]
    assert third["late_files"] == [late] and third["late_file_count"] == 1
    assert third["resent_files"] == [leeds] and third["missing_branches"] == {}
    assert third["transactions"] == 5 + 6 + 6  # the three days, processed whole
    totals = query(
        warehouse_url,
        "SELECT b.branch_name, f.total_amount FROM cafe.fact_transaction f "
        "JOIN cafe.dim_branch b USING (branch_id) WHERE f.sale_date = '2026-11-01' ORDER BY 1, 2",
    )
    assert [float(t) for b, t in totals if b == "Leeds"] == [2.15, 4.20]
    assert len(lake_rows(lake, "transactions")) == 17
    # Worked by hand from the files: three 2.15 lattes a file, but Leeds's corrected day 1
    # (2.15, and 2.15 + 2.05); one item a sale, two in the corrected sale.
    three = (3, Decimal("6.45"))
    assert figures(warehouse_url) == {
        (D1, "Leeds"): (2, Decimal("6.35")),
        (D1, "York"): three,
        (D2, "Leeds"): three,
        (D2, "York"): three,
        (D3, "Leeds"): three,
        (D3, "York"): three,
    }
    assert query(warehouse_url, "SELECT count(*) FROM cafe.fact_basket_item") == [(18,)]
    assert warehouse_dump(warehouse_url) == fresh_all(spark, raw, tmp_path, pg_server)
    coverage = query(
        warehouse_url,
        "SELECT sale_date, branch_name, region, files, transactions, late_files "
        "FROM cafe.v_branch_day_coverage ORDER BY 1, 2",
    )
    assert coverage == [
        (
            day,
            branch,
            region,
            1,
            2 if (day, branch) == (D1, "Leeds") else 3,
            int(day == D2 and branch == "York"),
        )
        for day in (D1, D2, D3)
        for branch, region in (
            ("Leeds", "Yorkshire and The Humber"),
            ("York", "Yorkshire and The Humber"),
        )
    ]
    assert query(warehouse_url, "SELECT count(*) FROM cafe.etl_file") == [(6,)]

    # York's till re-sends day 3 corrected, to the same byte length: one price 2.15 -> 2.25.
    # Only its version (the ETag on S3, the modification time here) tells it changed.
    york = raw / key("York", D3)
    corrected = till_file("York", D3).replace("Latte - 2.15,2.15", "Latte - 2.25,2.25", 1)
    assert len(corrected) == york.stat().st_size and corrected != york.read_text()
    loaded_at = york.stat().st_mtime
    york.write_text(corrected)
    os.utime(york, (loaded_at + 60, loaded_at + 60))  # a minute later, whatever the clock
    resent = night(spark, raw, lake, warehouse_url, today=D3 + dt.timedelta(days=2))
    assert resent["days_processed"] == ["2026-11-03"] and resent["resent_files"] == [
        key("York", D3)
    ]
    assert resent["transactions"] == 6 and resent["late_files"] == []
    assert figures(warehouse_url)[(D3, "York")] == (3, Decimal("6.55"))  # 2.25 + 2 x 2.15

    before = warehouse_dump(warehouse_url)
    ledger = query(warehouse_url, "SELECT * FROM cafe.etl_file ORDER BY 1")
    lake_before = sorted(str(p) for p in lake.rglob("*.parquet"))
    quiet = night(spark, raw, lake, warehouse_url, today=D3 + dt.timedelta(days=3))
    assert quiet["days_processed"] == [] and quiet["files_read"] == 0
    assert quiet["late_files"] == [] and quiet["resent_files"] == []
    assert warehouse_dump(warehouse_url) == before
    assert query(warehouse_url, "SELECT * FROM cafe.etl_file ORDER BY 1") == ledger
    assert sorted(str(p) for p in lake.rglob("*.parquet")) == lake_before

    lake_facts = sorted(
        (r["transaction_id"], r["source_file"]) for r in lake_rows(lake, "transactions")
    )
    (raw / key("York", D1)).unlink()  # expired, or deleted by hand
    send(raw, "Hull", D1)  # and a late file for the same day
    for summary in (
        night(spark, raw, lake, warehouse_url, today=D3 + dt.timedelta(days=4)),
        run_nightly(spark, raw, lake, warehouse_url, "2026-11-01"),
    ):
        assert summary["days_processed"] == []
        assert list(summary["refused_days"]) == ["2026-11-01"]
        assert key("York", D1) in summary["refused_days"]["2026-11-01"]
    assert warehouse_dump(warehouse_url) == before  # York's rows kept, no Hull
    after = sorted((r["transaction_id"], r["source_file"]) for r in lake_rows(lake, "transactions"))
    assert after == lake_facts and len(after) == 17


def test_a_night_with_nothing_to_read_runs_no_spark_job_and_counts_no_rows(
    spark, tmp_path, warehouse_url
):
    """No file for the night: the run reads nothing, so it starts no Spark job; its
    figures are the transforms' own over no rows, and the load records the run."""
    from cafe_etl import processing
    from cafe_etl import raw as raw_module

    nothing = raw_module.extract(spark, [])
    zero = processing.process_rows(spark, nothing.rows, "salt").counts(0, nothing.unreadable_keys)
    assert processing.no_rows() == zero
    tracker = spark.sparkContext.statusTracker()
    jobs = set(tracker.getJobIdsForGroup(None))
    (tmp_path / "raw").mkdir()
    quiet = night(spark, tmp_path / "raw", tmp_path / "lake", warehouse_url, today=D2)
    assert set(tracker.getJobIdsForGroup(None)) == jobs  # no Spark job ran
    assert {k: quiet[k] for k in zero} == zero
    assert quiet["files_read"] == 0 and quiet["days_processed"] == []
    assert query(warehouse_url, "SELECT status FROM cafe.etl_run") == [("succeeded",)]
    assert query(warehouse_url, "SELECT count(*) FROM cafe.fact_transaction") == [(0,)]


def listed_file(branch: str, day: dt.date, size: int = 10, version: str = "mtime:1") -> RawFile:
    """A till file as the raw zone lists it, for the planning tests."""
    return RawFile(f"file:///raw/{key(branch, day)}", size, version)


def ledger_entry(
    branch: str, day: dt.date, size: int = 10, version: str = "mtime:1", late: bool = False
) -> completeness.LoadedFile:
    """A file as the ledger says it was loaded, for the planning tests."""
    return completeness.LoadedFile(key(branch, day), day, branch, size, version, late)


def test_plan_processes_only_days_with_new_or_changed_files_within_the_lookback():
    listed = [
        listed_file("Leeds", D1),
        listed_file("York", D1),
        listed_file("Leeds", D2, 11, "mtime:2"),
        listed_file("Leeds", D3),
    ]
    ledger = {
        e.key: e
        for e in (
            ledger_entry("Leeds", D1),
            ledger_entry("York", D1),
            ledger_entry("Leeds", D2),
            ledger_entry("York", D2),
        )
    }
    plan = completeness.plan_run(listed, ledger, D3, catch_up=True)
    # Day 1 is unchanged; day 2 lost York's file (refused), day 3 is yesterday.
    assert plan.days == ["2026-11-03"]
    assert list(plan.refused_days) == ["2026-11-02"]
    assert plan.missing_branches == {"2026-11-03": ["York"]}
    del ledger[key("York", D2)]
    plan = completeness.plan_run(listed, ledger, D3, catch_up=True)
    assert plan.days == ["2026-11-02", "2026-11-03"]
    assert plan.resent_files == [key("Leeds", D2)] and plan.late_files == []
    assert completeness.plan_run(listed, ledger, D3, catch_up=False).days == ["2026-11-03"]
    assert completeness.plan_run(listed, ledger, None, catch_up=False).days == [
        "2026-11-01",
        "2026-11-02",
        "2026-11-03",
    ]


def test_a_branch_closed_on_purpose_is_not_missing():
    """MissingBranchDays counts only branches expected to trade: the reference CSV's
    `closed` column (reference.closures) takes out a holiday, a weekly closing day and a
    shop closed for good; a branch closed on other days is still missed."""
    from cafe_etl import reference

    branches = ("Leeds", "York", "Hull", "Ripon")
    listed = [listed_file(b, D1) for b in branches] + [
        listed_file("Leeds", D2),
        listed_file("Leeds", D3),
        listed_file("Ripon", D3),
    ]
    closures = reference.closures(
        [("York", "2026-11-02..2026-11-03"), ("Hull", "2026-11-03.."), ("Ripon", "Mon")]
    )
    plan = completeness.plan_run(listed, {}, None, catch_up=False, closed=closures.closed)
    # 2 November is a Monday: York on holiday, Ripon closes on Mondays; Hull was expected.
    assert plan.missing_branches["2026-11-02"] == ["Hull"]
    # 3 November: York still on holiday, Hull closed for good, Ripon traded.
    assert plan.missing_branches["2026-11-03"] == []
    without = completeness.plan_run(listed, {}, None, catch_up=False)
    assert without.missing_branches["2026-11-02"] == ["Hull", "Ripon", "York"]


def test_a_file_re_sent_to_the_same_size_is_changed_by_its_version_alone():
    """A till re-sends a corrected file of the same byte length (a price 2.45 -> 2.55): only
    its version (S3's ETag) differs from the ledger's, and that is enough."""
    loaded = {
        key(b, D1): completeness.LoadedFile(key(b, D1), D1, b, 120, f"etag:{b}-1", False)
        for b in ("Leeds", "York")
    }
    listed = [
        RawFile(f"s3://raw/{key('Leeds', D1)}", 120, "etag:Leeds-2"),  # same size, new ETag
        RawFile(f"s3://raw/{key('York', D1)}", 120, "etag:York-1"),  # untouched
    ]
    plan = completeness.plan_run(listed, loaded, D2, catch_up=True)
    assert plan.days == ["2026-11-01"] and plan.resent_files == [key("Leeds", D1)]
    assert [f.key for f in plan.files] == [key("Leeds", D1), key("York", D1)]  # the day whole
    assert plan.late_files == []
    untouched = [RawFile(f"s3://raw/{key(b, D1)}", 120, f"etag:{b}-1") for b in ("Leeds", "York")]
    assert completeness.plan_run(untouched, loaded, D2, catch_up=True).days == []


def test_plan_over_several_days_refusals_and_the_missing_branch_window():
    """Worked by hand: every processed day's files are read, every day's late files
    named; a refusal names three gone files and counts the rest; a branch is missing when
    it sent a file on any of the 7 days before, not on the 8th."""

    listed = [
        listed_file("Leeds", D1),
        listed_file("York", D1),
        listed_file("Hull", D1),
        listed_file("Leeds", D2),
        listed_file("York", D2),
    ]
    listed.append(listed_file("Leeds", D3))
    ledger = {
        e.key: e
        for e in (ledger_entry("Leeds", D1), ledger_entry("York", D1), ledger_entry("Leeds", D2))
    }
    plan = completeness.plan_run(listed, ledger, D3, catch_up=True)
    assert plan.days == ["2026-11-01", "2026-11-02", "2026-11-03"]
    assert [f.key for f in plan.files] == sorted(f.key for f in listed)
    assert plan.late_files == [key("Hull", D1), key("York", D2)] and plan.resent_files == []

    five = ("Bath", "Derby", "Hull", "Leeds", "York")
    ledger = {key(b, D1): ledger_entry(b, D1) for b in five}
    plan = completeness.plan_run([listed_file("York", D1)], ledger, D1, catch_up=False)
    assert plan.days == [] and plan.files == []
    assert plan.refused_days == {
        "2026-11-01": "4 file(s) loaded earlier are no longer in the raw zone ("
        f"{key('Bath', D1)}, {key('Derby', D1)}, {key('Hull', D1)} and 1 more); "
        "reprocessing the day would delete their rows, so it keeps what is loaded. "
        "Put the files back to reprocess the day."
    }
    three_gone = completeness.plan_run(
        [listed_file("Leeds", D1), listed_file("York", D1)], ledger, D1, False
    )
    assert (
        f"({key('Bath', D1)}, {key('Derby', D1)}, {key('Hull', D1)}); "
        in (three_gone.refused_days["2026-11-01"])
    )

    day = dt.date(2026, 11, 10)
    ledger = {
        e.key: e
        for e in (
            ledger_entry("Here", day - dt.timedelta(1)),
            ledger_entry("Near", day - dt.timedelta(1)),
            ledger_entry("Edge", day - dt.timedelta(7)),
            ledger_entry("Far", day - dt.timedelta(8)),
        )
    }
    plan = completeness.plan_run([listed_file("Here", day)], ledger, day, catch_up=True)
    assert plan.missing_branches == {"2026-11-10": ["Edge", "Near"]}
    # A file outside the day folders is read with `all`; it has no day to report.
    stray = RawFile("file:///raw/notes.csv", 5, "mtime:1")
    plan = completeness.plan_run([listed_file("Leeds", D1), stray], {}, None, catch_up=False)
    assert plan.days == ["2026-11-01"] and len(plan.files) == 2


def test_ledger_rows_keep_the_first_late_flag_and_read_back_from_either_driver():
    when = dt.datetime(2026, 11, 3, 3, 0)
    resent = RawFile(f"s3://raw/{key('Leeds', D1)}", 120, "etag:2")
    late = RawFile(f"s3://raw/{key('York', D2)}", 90, "etag:1")
    fresh = RawFile(f"s3://raw/{key('Leeds', D2)}", 80, "etag:1")
    first = completeness.LoadedFile(key("Leeds", D1), D1, "Leeds", 100, "etag:1", True)
    plan = completeness.Plan([resent, late, fresh], ["2026-11-01"], [key("York", D2)], [])
    assert completeness.ledger_rows(plan, {first.key: first}, "r2", when) == [
        (key("Leeds", D1), "2026-11-01", "Leeds", 120, "etag:2", "r2", when, True),
        (key("York", D2), "2026-11-02", "York", 90, "etag:1", "r2", when, True),
        (key("Leeds", D2), "2026-11-02", "Leeds", 80, "etag:1", "r2", when, False),
    ]
    # PostgreSQL's types, and the Redshift Data API's strings, give the same ledger.
    native = [
        (key("Leeds", D1), D1, "Leeds", 120, "etag:2", True),
        ("x.csv", None, "x", 5, "", False),
    ]
    data_api = [
        (key("Leeds", D1), "2026-11-01 00:00:00", "Leeds", "120", "etag:2", "True"),
        ("x.csv", None, "x", "5", "", "f"),
    ]
    expected = {
        key("Leeds", D1): completeness.LoadedFile(
            key("Leeds", D1), D1, "Leeds", 120, "etag:2", True
        ),
        "x.csv": completeness.LoadedFile("x.csv", None, "x", 5, "", False),
    }
    assert completeness.ledger_from_rows(native) == expected
    assert completeness.ledger_from_rows(data_api) == expected
    # The ledger a plan reads: its days and the missing-branch window before the first.
    assert completeness.ledger_window([late, resent], D3) == (dt.date(2026, 10, 25), D3)


def test_redshift_load_writes_the_ledger_in_the_same_batch_and_every_statement_parses(
    lake_s3,  # noqa: F811 (the fixture imported above)
):
    import json

    import sqlglot
    from cafe_etl.warehouse import sql
    from test_redshift import DAYS, LAKE, parses_as_redshift, warehouse

    when = dt.datetime(2026, 11, 2, 3, 0)
    ledger = [
        (key(b, D1), "2026-11-01", b, 120, "etag:ab'c", "r1", when, b == "York")
        for b in ("Leeds", "York", "Milton Keynes")
    ] * 400  # 1,200 rows: still one COPY, however many files a backfill loads
    statements = warehouse().load_statements(LAKE, DAYS, "batch", run_id="r1", ledger=ledger)
    body = lake_s3.get_object(Bucket="cafe-lake", Key=f"_redshift_manifests/r1/{sql.STG_FILE}.json")
    rows = [json.loads(line) for line in body["Body"].read().decode().splitlines()]
    copies = [s for s in statements if s.startswith(f"COPY {sql.STG_FILE} ")]
    assert len(copies) == 1 and "FORMAT AS JSON 'auto'" in copies[0]
    assert len(rows) == 1200 and rows[1] == {
        "file_key": key("York", D1),
        "file_day": "2026-11-01",
        "branch_name": "York",
        "size_bytes": 120,
        "version": "etag:ab'c",
        "run_id": "r1",
        "loaded_at": "2026-11-02 03:00:00",
        "late": True,
    }
    assert statements[-2:] == sql.ledger_statements()
    for statement in statements + [sql.ledger_query("2026-10-25", "2026-11-01")]:
        assert parses_as_redshift(statement), statement[:200]
    view = next(s for s in sql.schema_ddl(sql.REDSHIFT) if "v_branch_day_coverage" in s)
    select = sqlglot.parse_one(view, read="redshift").expression
    assert select.named_selects == [
        "sale_date",
        "branch_name",
        "region",
        "files",
        "transactions",
        "late_files",
    ]


def test_completeness_metrics_match_put_metric_data_and_the_terraform_alarms():
    """PutMetricData's request shape (the Stubber validates it against botocore's model of
    the CloudWatch API: "PutMetricData", Amazon CloudWatch API Reference), and the alarms
    in terraform/completeness.tf watch the same namespace and metric names."""
    import re

    import boto3
    from botocore.stub import Stubber
    from conftest import REPO

    summary = {
        "late_file_count": 2,
        "missing_branch_days": 1,
        "unknown_branches": ["Tobermory"],
        "status": "succeeded",
    }
    client = boto3.client(
        "cloudwatch", region_name="eu-west-2", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(client) as stub:
        stub.add_response(
            "put_metric_data",
            {},
            {
                "Namespace": completeness.METRIC_NAMESPACE,
                "MetricData": completeness.metric_data(summary, "cafe-nightly"),
            },
        )
        completeness.publish_metrics(summary, "cafe-nightly", client=client)
        stub.assert_no_pending_responses()
    values = {m["MetricName"]: m["Value"] for m in completeness.metric_data(summary, "j")}
    assert values == {
        "LateFiles": 2.0,
        "MissingBranchDays": 1.0,
        "BranchesWithoutRegion": 1.0,
        "NightlySucceeded": 1.0,
    }
    failed = {m["MetricName"]: m["Value"] for m in completeness.metric_data({}, "j")}
    assert failed["NightlySucceeded"] == 0.0
    # "AWS/" starts the namespaces AWS reserves for its own services (PutMetricData).
    assert not completeness.METRIC_NAMESPACE.startswith("AWS/")
    terraform = (REPO / "terraform" / "completeness.tf").read_text()
    assert f'completeness_namespace = "{completeness.METRIC_NAMESPACE}"' in terraform
    assert set(re.findall(r'metric = "(\w+)"', terraform)) == set(values)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"today": "25/11/2026"}, "--today"),
        ({"lookback_days": "-1"}, "--lookback_days"),
        ({"lookback_days": "a week"}, "--lookback_days"),
    ],
)
def test_bad_today_or_lookback_is_a_usage_error(extra, message):
    from cafe_etl import jobs
    from cafe_etl.errors import UsageError

    args = {"warehouse_url": "embedded://x", "process_date": "yesterday", **extra}
    with pytest.raises(UsageError, match=message):
        jobs.check_nightly_args(args)
