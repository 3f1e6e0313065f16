"""The trend views on a small hand-built warehouse, and as Redshift SQL."""

from __future__ import annotations

from decimal import Decimal

import psycopg
import pytest
import sqlglot
from cafe_etl.warehouse.postgres import PostgresWarehouse
from cafe_etl.warehouse.views import VIEWS, view_ddl

D = Decimal


@pytest.fixture
def built(warehouse_url):
    PostgresWarehouse(warehouse_url).ensure_schema()
    with psycopg.connect(warehouse_url) as conn:
        conn.execute(
            "INSERT INTO cafe.dim_branch VALUES (1, 'Leeds', 'Yorkshire and The Humber'),"
            " (2, 'York', 'Yorkshire and The Humber'), (3, 'Bath', 'South West')"
        )
        conn.execute(
            "INSERT INTO cafe.dim_product VALUES (10, 'Latte', 'Large', NULL),"
            " (11, 'Cortado', NULL, NULL)"
        )
        # (id, branch, sold_at, payment, total, items): Mon 2 Nov and Mon 9 Nov 2026
        facts = [
            ("a", 1, "2026-11-02 08:10", "CARD", "4.50", [(10, "2.45"), (11, "2.05")]),
            ("b", 1, "2026-11-02 08:40", "CASH", "2.05", [(11, "2.05")]),
            ("c", 2, "2026-11-02 12:05", "CARD", "2.45", [(10, "2.45")]),
            ("d", 1, "2026-11-09 08:15", "CARD", "4.90", [(10, "2.45"), (10, "2.45")]),
            ("e", 3, "2026-11-09 13:00", "CASH", "2.05", [(11, "2.05")]),
        ]
        for tid, branch, at, pay, total, items in facts:
            conn.execute(
                "INSERT INTO cafe.fact_transaction VALUES (%s, %s, %s, CAST(%s AS DATE),"
                " %s, %s, %s, NULL, 'batch')",
                (tid * 64, branch, at, at[:10], pay, total, len(items)),
            )
            for n, (product, price) in enumerate(items, 1):
                conn.execute(
                    "INSERT INTO cafe.fact_basket_item VALUES (%s, %s, %s, %s)",
                    (tid * 64, n, product, price),
                )
    return warehouse_url


def rows(url, sql):
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()


def test_daily_branch_sales(built):
    got = rows(built, "SELECT * FROM cafe.v_daily_branch_sales ORDER BY sale_date, branch_name")
    assert [(str(r[0]), r[1], r[3], r[4], r[5]) for r in got] == [
        ("2026-11-02", "Leeds", 2, D("6.55"), D("3.28")),
        ("2026-11-02", "York", 1, D("2.45"), D("2.45")),
        ("2026-11-09", "Bath", 1, D("2.05"), D("2.05")),
        ("2026-11-09", "Leeds", 1, D("4.90"), D("4.90")),
    ]


def test_region_product_sales(built):
    got = rows(built, "SELECT * FROM cafe.v_region_product_sales ORDER BY region, product_name")
    assert got == [
        ("South West", "Cortado", None, 1, D("2.05")),
        ("Yorkshire and The Humber", "Cortado", None, 2, D("4.10")),
        ("Yorkshire and The Humber", "Latte", "Large", 4, D("9.80")),
    ]


def test_hourly_sales(built):
    got = rows(
        built,
        "SELECT branch_name, day_of_week, hour_of_day, transactions, revenue "
        "FROM cafe.v_hourly_sales ORDER BY 1, 2, 3",
    )
    assert got == [
        ("Bath", 1, 13, 1, D("2.05")),
        ("Leeds", 1, 8, 3, D("11.45")),
        ("York", 1, 12, 1, D("2.45")),
    ]


def test_payment_mix(built):
    got = rows(
        built,
        "SELECT region, payment_method, SUM(transactions), SUM(revenue) "
        "FROM cafe.v_payment_mix GROUP BY 1, 2 ORDER BY 1, 2",
    )
    assert got == [
        ("South West", "CASH", 1, D("2.05")),
        ("Yorkshire and The Humber", "CARD", 3, D("11.85")),
        ("Yorkshire and The Humber", "CASH", 1, D("2.05")),
    ]


def test_branch_weekly_growth(built):
    got = rows(
        built,
        "SELECT branch_name, CAST(week_start AS TEXT), revenue, "
        "previous_week_revenue, growth_pct FROM cafe.v_branch_weekly_growth "
        "WHERE branch_name = 'Leeds' ORDER BY week_start",
    )
    assert got == [
        ("Leeds", "2026-11-02", D("6.55"), None, None),
        ("Leeds", "2026-11-09", D("4.90"), D("6.55"), D("-25.19")),
    ]


def test_branch_day_coverage_shows_stream_only_days_and_files_without_sales(built):
    """Per branch-day, files from the ledger and transactions from the facts, whichever
    side has the day: sales with no file (the stream's only) show files = 0, a file
    whose rows were all quarantined shows transactions = 0."""
    with psycopg.connect(built) as conn:
        ledger = [  # (key, day, branch, late)
            ("2026/11/02/Leeds_02-11-2026_18-00-00.csv", "2026-11-02", "Leeds", False),
            ("2026/11/02/York_02-11-2026_18-00-00.csv", "2026-11-02", "York", False),
            ("2026/11/02/York_02-11-2026_20-00-00.csv", "2026-11-02", "York", True),
            ("2026/11/09/York_09-11-2026_18-00-00.csv", "2026-11-09", "York", False),
            ("misplaced.csv", None, "Leeds", False),  # no day: no branch-day
        ]
        for file_key, day, branch, late in ledger:
            conn.execute(
                "INSERT INTO cafe.etl_file VALUES (%s, %s, %s, 100, 'etag:x', 'r1',"
                " '2026-11-10 03:00', %s)",
                (file_key, day, branch, late),
            )
    got = rows(
        built,
        "SELECT CAST(sale_date AS TEXT), branch_name, region, files, transactions, late_files"
        " FROM cafe.v_branch_day_coverage ORDER BY 1, 2",
    )
    yorks = "Yorkshire and The Humber"
    assert got == [
        ("2026-11-02", "Leeds", yorks, 1, 2, 0),
        ("2026-11-02", "York", yorks, 2, 1, 1),
        ("2026-11-09", "Bath", "South West", 0, 1, 0),  # stream only
        ("2026-11-09", "Leeds", yorks, 0, 1, 0),  # stream only
        ("2026-11-09", "York", yorks, 1, 0, 0),  # every row quarantined
    ]


@pytest.mark.parametrize("statement", view_ddl())
def test_views_parse_as_redshift(statement):
    assert sqlglot.parse_one(statement, read="redshift") is not None


def test_five_views():
    assert set(VIEWS) == {
        "v_daily_branch_sales",
        "v_region_product_sales",
        "v_hourly_sales",
        "v_payment_mix",
        "v_branch_weekly_growth",
        "v_branch_day_coverage",
        "v_reference_gaps",
    }
