"""`cafe-etl bench --compare` on a tiny dataset: every figure is there, every ratio is of the
figures it names, and the references did their work on the same files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


@pytest.mark.own_jvm
def test_bench_compare_reports_every_figure_and_ratio(tmp_path):
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [
            str(BIN / "cafe-etl"),
            "bench",
            "--transactions",
            "2000",
            "--branches",
            "20",
            "--days",
            "2",
            "--work",
            str(tmp_path),
            "--compare",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(out.read_text())

    stages = report["stages"]
    for stage in ("extract", "transform", "lake_write", "warehouse_load"):
        assert stages[stage] > 0
    lake_stages = stages["extract"] + stages["transform"] + stages["lake_write"]
    assert report["lake_stages_seconds"] == pytest.approx(lake_stages, abs=0.01)
    assert report["wall_seconds"] > lake_stages + stages["warehouse_load"]
    assert report["peak_memory_mb"] > 100  # a JVM at least

    # The references, each with its ratio computed from the figures it names.
    floor = report["spark_floor"]
    assert floor["master"] == report["spark_master"]
    assert floor["wall_seconds"] > floor["session_seconds"] > 0 and floor["work_seconds"] > 0
    assert report["ratio_lake_stages_to_spark_floor"] == pytest.approx(
        report["lake_stages_seconds"] / floor["wall_seconds"], abs=0.006
    )
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
    # Plain Spark wrote both datasets, partitioned by day, from the same two days of files.
    for table in ("transactions", "basket_items"):
        days = sorted(p.name for p in (tmp_path / "spark-floor-lake" / table).glob("sale_date=*"))
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
