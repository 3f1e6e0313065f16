"""Branches in their region, one product per product (issue #20).

The region rule lives in three places (Spark for the lake, Python, SQL for the warehouse's
refresh) and the product rule in two (Spark, SQL): each table of cases runs through all of
them. The end-to-end test loads a warehouse in the state the old rules left it in.
"""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest
from cafe_etl import pipeline, reference, transform
from cafe_etl.errors import UsageError
from cafe_etl.runtime import Runtime
from cafe_etl.warehouse import sql
from cafe_etl.warehouse.postgres import PostgresWarehouse
from chispa import assert_column_equality, assert_df_equality
from conftest import TEST_SALT, write_raw
from helpers import jvm_frame
from pyspark.sql import functions as F
from test_redshift import lake_s3  # noqa: F401 (a fixture)

# The shipped table plus an operator's rows: a whole branch name, and a town it lacks.
# A quote and a backslash: the Spark rule's map is one SQL literal, escaped.
REGIONS = reference.extend(
    [
        ("London Soho", "Soho Test Region"),
        ("Stornoway", "Scotland"),
        ("Bishop's Stortford", "East of England"),
        ("Back\\slash", "Test 'Quoted' \\ Region"),
    ]
)
# (branch name as the till writes it, region expected)
BRANCHES = [
    ("London Camden", "London"),
    ("London Brixton", "London"),
    ("london  piccadilly", "London"),  # case and a doubled space
    ("London", "London"),
    ("Camden", "London"),
    ("London Soho", "Soho Test Region"),  # the operator's row for the whole branch wins
    ("London Soho Square", "Soho Test Region"),  # the longest match wins
    ("Glasgow Merchant City", "Scotland"),
    ("Newcastle upon Tyne Jesmond", "North East"),  # a city of three words
    ("LEEDS Headingley", "Yorkshire and The Humber"),
    ("Stornoway Harbour", "Scotland"),
    ("Leedsfield", "Unknown"),  # a town's name must be a whole word of the branch
    ("Soho London", "Unknown"),  # the city comes first
    ("Tobermory", "Unknown"),
    ("Bishop's Stortford Market", "East of England"),
    ("back\\slash", "Test 'Quoted' \\ Region"),
]


def test_neighbourhood_branch_names_resolve_through_their_city(spark):
    frame = jvm_frame(spark, BRANCHES, "branch string, expected string").withColumn(
        "region", reference.region_column(F.trim("branch"), REGIONS)
    )
    assert_column_equality(frame, "region", "expected")
    python = [reference.region_of(b, REGIONS) or "Unknown" for b, _ in BRANCHES]
    assert python == [expected for _, expected in BRANCHES]


def test_the_warehouse_refresh_applies_the_same_rule(warehouse_url):
    PostgresWarehouse(warehouse_url).ensure_schema()
    with psycopg.connect(warehouse_url) as conn, conn.transaction():
        for i, (branch, _) in enumerate(BRANCHES):
            conn.execute(
                "INSERT INTO cafe.dim_branch VALUES (%s, %s, 'Stale')", (i, branch.strip())
            )
        conn.execute(sql.region_staging_ddl(sql.POSTGRES))
        with conn.cursor() as cur:
            cur.executemany(
                f"INSERT INTO {sql.STG_REGION} VALUES (%s, %s)", sql.region_rows(REGIONS)
            )
        for statement in sql.region_refresh_statements(sql.POSTGRES):
            conn.execute(statement)
        got = conn.execute("SELECT region FROM cafe.dim_branch ORDER BY branch_id").fetchall()
    assert [r for (r,) in got] == [expected for _, expected in BRANCHES]


def test_reference_csv_extends_the_shipped_table(spark, tmp_path):
    good = tmp_path / "branch_regions.csv"
    # A closure row may leave its region empty: it names a branch, not a town.
    good.write_text(
        "\ufefftown,region,closed\nTobermory , Scotland,\n,,\nLondon,Elsewhere,\n"
        "Leeds Kirkgate,,2026-12-25;Sun\n"
    )
    regions, closures = reference.read_reference(spark, str(good))
    assert closures.closed("leeds kirkgate ", dt.date(2026, 12, 25))
    assert closures.closed("Leeds Kirkgate", dt.date(2026, 11, 29))  # a Sunday
    assert not closures.closed("Leeds Kirkgate", dt.date(2026, 11, 30))
    assert not closures.closed("Tobermory", dt.date(2026, 12, 25))
    assert reference.region_of("Leeds Kirkgate", regions) == "Yorkshire and The Humber"
    assert reference.region_of("Tobermory Pier", regions) == "Scotland"
    assert reference.region_of("London Soho", regions) == "Elsewhere"
    assert reference.region_of("Leeds", regions) == "Yorkshire and The Humber"
    assert reference.read_regions(spark, None) == reference.towns()
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("name,area\nTobermory,Scotland\n")
    with pytest.raises(UsageError, match="expected a CSV with header town,region"):
        reference.read_regions(spark, str(wrong))
    with pytest.raises(UsageError, match="cannot read it"):
        reference.read_regions(spark, str(tmp_path / "missing.csv"))


@pytest.mark.parametrize(
    ("closed", "open_days", "closed_days"),
    [
        ("always", [], ["2020-01-01", "2026-12-25"]),
        ("2026-12-25", ["2026-12-24", "2026-12-26"], ["2026-12-25"]),
        ("2026-12-24..2026-12-26", ["2026-12-23", "2026-12-27"], ["2026-12-24", "2026-12-26"]),
        ("2027-01-10..", ["2027-01-09"], ["2027-01-10", "2030-06-01"]),  # closed for good
        ("Sun; Sat", ["2026-11-30"], ["2026-11-28", "2026-11-29"]),
        ("Monday;2026-12-25", ["2026-12-01"], ["2026-11-30", "2026-12-25"]),
    ],
)
def test_the_reference_csv_says_when_a_branch_is_closed(closed, open_days, closed_days):
    closures = reference.closures([("York Minster", closed), ("Leeds", "")])
    for day in open_days:
        assert not closures.closed("York Minster", dt.date.fromisoformat(day)), day
    for day in closed_days:
        assert closures.closed(" york minster", dt.date.fromisoformat(day)), day
        assert not closures.closed("Leeds", dt.date.fromisoformat(day))
        assert not closures.closed("York", dt.date.fromisoformat(day))  # whole names only


@pytest.mark.parametrize("closed", ["25/12/2026", "2026-12-26..2026-12-24", "weekends"])
def test_an_unreadable_closure_names_the_branch_and_the_forms(closed):
    with pytest.raises(UsageError, match=r"'York Minster' has closed=.*expected always"):
        reference.closures([("York Minster", closed)])


def _old_id(spark, name, size=None, flavour=None):
    """product_id as the rules before #20 computed it: the spelling as written."""
    return (
        spark.range(1)
        .select(transform.product_id(F.lit(name), F.lit(size), F.lit(flavour)))
        .first()[0]
    )


def test_case_variants_across_branches_are_one_product(spark):
    unique = jvm_frame(
        spark,
        [
            (
                "t1",
                dt.date(2026, 11, 2),
                "Hot chocolate - 1.40, Large Flavoured latte - vanilla - 2.85",
            ),
            (
                "t2",
                dt.date(2026, 11, 2),
                "Hot Chocolate - 1.40,Large Flavoured Latte - Vanilla - 2.85",
            ),
            ("t3", dt.date(2026, 11, 2), "Hot chocolate  - 1.40, Cortado - 2.05"),
        ],
        "transaction_id string, sale_date date, basket string",
    )
    hot = ("Hot Chocolate", None, None)
    latte = ("Flavoured Latte", "Large", "Vanilla")
    cortado = ("Cortado", None, None)
    rows = [
        ("t1", 1, *hot, "1.40"),
        ("t1", 2, *latte, "2.85"),
        ("t2", 1, *hot, "1.40"),
        ("t2", 2, *latte, "2.85"),
        ("t3", 1, *hot, "1.40"),
        ("t3", 2, *cortado, "2.05"),
    ]
    expected = jvm_frame(
        spark,
        [
            (t, n, _old_id(spark, p, s, f), p, s, f, price, dt.date(2026, 11, 2))
            for t, n, p, s, f, price in rows
        ],
        "transaction_id string, line_number int, product_id long, product_name string, "
        "size string, flavour string, unit_price string, sale_date date",
    ).withColumn("unit_price", F.col("unit_price").cast("decimal(10,2)"))
    for items in (
        transform.basket_items(unique),
        transform.basket_items(unique, transform.item_catalog(unique)),
    ):
        assert_df_equality(items, expected, ignore_row_order=True, ignore_nullable=True)


def _run(spark, raw, lake, url, day, reference_uri):
    args = {
        "JOB_NAME": "test",
        "raw_uri": str(raw),
        "lake_uri": str(lake),
        "warehouse_url": url,
        "process_date": day,
        "hash_salt": TEST_SALT,
        "reference_uri": str(reference_uri),
    }
    return pipeline.run_batch(Runtime(spark=spark, on_glue=False, job_name="test"), args)


def _row(day: str, branch: str, basket: str, total: str, minute: int) -> str:
    d = dt.date.fromisoformat(day)
    return f'{d:%d/%m/%Y} 09:{minute:02d},{branch},Ann Example,"{basket}",{total},CASH,\n'


def _file(raw, day: str, branch: str, rows: list[str]) -> None:
    d = dt.date.fromisoformat(day)
    write_raw(raw, f"{d:%Y/%m/%d}/{branch}_{d:%d-%m-%Y}_18-00-00.csv", "".join(rows))


def test_an_old_warehouse_converges_and_a_new_branch_region_needs_no_fact_reload(
    spark, tmp_path, warehouse_url
):
    raw, lake, regions_csv = tmp_path / "raw", tmp_path / "lake", tmp_path / "regions.csv"
    day1, day2 = "2026-11-02", "2026-11-03"
    _file(raw, day1, "Tobermory", [_row(day1, "Tobermory", "Cortado - 2.05", "2.05", 1)])
    _file(raw, day1, "Leeds", [_row(day1, "Leeds", "Hot chocolate - 1.40", "1.40", 2)])
    _file(raw, day2, "Leeds", [_row(day2, "Leeds", "Hot Chocolate - 1.40", "1.40", 3)])
    regions_csv.write_text("town,region\n")

    # A warehouse loaded by the old rules: one product under two spellings, a basket
    # item under each (an earlier day's, not reloaded by these runs).
    PostgresWarehouse(warehouse_url).ensure_schema()
    lower, upper = _old_id(spark, "Hot chocolate"), _old_id(spark, "Hot Chocolate")
    old = [("o1", lower), ("o2", upper)]
    with psycopg.connect(warehouse_url) as conn:
        conn.execute("INSERT INTO cafe.dim_branch VALUES (1, 'York', 'Yorkshire and The Humber')")
        conn.execute(
            "INSERT INTO cafe.dim_product VALUES (%s, 'Hot chocolate', NULL, NULL), "
            "(%s, 'Hot Chocolate', NULL, NULL)",
            (lower, upper),
        )
        for t, product in old:
            conn.execute(
                "INSERT INTO cafe.fact_transaction VALUES "
                "(%s, 1, '2026-10-01 09:00', '2026-10-01', 'CASH', 1.40, 1, NULL, 'batch')",
                (t,),
            )
            conn.execute("INSERT INTO cafe.fact_basket_item VALUES (%s, 1, %s, 1.40)", (t, product))
        gaps = conn.execute("SELECT gap, name FROM cafe.v_reference_gaps ORDER BY name").fetchall()
    assert gaps == [("product_spelling", "Hot Chocolate"), ("product_spelling", "Hot chocolate")]

    first = _run(spark, raw, lake, warehouse_url, day1, regions_csv)
    assert first["unknown_branches"] == ["Tobermory"]
    with psycopg.connect(warehouse_url) as conn:
        products = conn.execute(
            "SELECT product_id, product_name FROM cafe.dim_product WHERE product_name ILIKE 'hot%'"
        ).fetchall()
        items = conn.execute(
            "SELECT i.transaction_id, i.product_id FROM cafe.fact_basket_item i "
            "JOIN cafe.fact_transaction f USING (transaction_id) ORDER BY f.sale_date, 1"
        ).fetchall()
        orphans = conn.execute(
            "SELECT count(*) FROM cafe.fact_basket_item i WHERE NOT EXISTS "
            "(SELECT 1 FROM cafe.dim_product p WHERE p.product_id = i.product_id)"
        ).fetchone()[0]
        gaps = conn.execute("SELECT gap, name, transactions FROM cafe.v_reference_gaps").fetchall()
        facts = conn.execute("SELECT * FROM cafe.fact_transaction ORDER BY 1").fetchall()
    # One product, under the kept id of its first spelling in binary order; the old
    # items re-pointed, the new lower-case item loaded under it: no orphan, no duplicate.
    assert products == [(upper, "Hot Chocolate")]
    old_items = {t.strip(): p for t, p in items if t.strip() in ("o1", "o2")}  # CHAR(64)
    assert old_items == {"o1": upper, "o2": upper}
    assert {p for _, p in items} == {upper, _old_id(spark, "Cortado")}
    assert orphans == 0
    assert gaps == [("branch_without_region", "Tobermory", 1)]

    # The operator adds the town; the next night has no Tobermory file at all.
    regions_csv.write_text("town,region\nTobermory,Scotland\n")
    second = _run(spark, raw, lake, warehouse_url, day2, regions_csv)
    assert second["unknown_branches"] == [] and second["transactions"] == 1
    assert second["warehouse"]["staged_transactions"] == 1  # day 2 only: nothing reloaded
    with psycopg.connect(warehouse_url) as conn:
        region = conn.execute(
            "SELECT region FROM cafe.dim_branch WHERE branch_name = 'Tobermory'"
        ).fetchone()[0]
        gaps = conn.execute("SELECT * FROM cafe.v_reference_gaps").fetchall()
        facts_after = conn.execute(
            "SELECT * FROM cafe.fact_transaction WHERE sale_date <> %s ORDER BY 1", (day2,)
        ).fetchall()
        hot = conn.execute(
            "SELECT count(*) FROM cafe.dim_product WHERE LOWER(product_name) = 'hot chocolate'"
        ).fetchone()[0]
    assert region == "Scotland"
    assert gaps == []
    assert facts_after == facts  # the same rows: ids, branch ids, amounts
    assert hot == 1


def test_reference_statements_parse_as_redshift_and_fit_the_data_api(lake_s3):  # noqa: F811
    from test_redshift import DAYS, LAKE, parses_as_redshift, warehouse

    statements = warehouse().load_statements(LAKE, DAYS, "batch", regions=reference.towns())
    merge_at = next(
        i for i, s in enumerate(statements) if s.startswith("MERGE INTO cafe.dim_branch")
    )
    product_at = next(i for i, s in enumerate(statements) if sql.STG_PRODUCT_MERGE in s)
    refresh_at = next(i for i, s in enumerate(statements) if s.startswith("UPDATE cafe.dim_branch"))
    assert product_at < merge_at < refresh_at  # products merged before items are inserted
    for statement in statements:
        assert parses_as_redshift(statement), statement[:200]
    # "The maximum query statement size is 100 KB" (Amazon Redshift Management Guide,
    # "Considerations when calling the Amazon Redshift Data API"); PostgreSQL has no such
    # limit, so the inlined reference table is checked here.
    inserts = [s for s in statements if s.startswith(f"INSERT INTO {sql.STG_REGION}")]
    assert len(inserts) == 1 and len(inserts[0].encode()) < 100_000
