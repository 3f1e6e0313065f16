"""The nightly pipeline end to end, in-process on the shared SparkSession."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import psycopg
import pytest
from cafe_etl import processing
from cafe_etl.warehouse.postgres import PostgresWarehouse
from conftest import TEST_SALT
from corpus import CARDS, EXPECTED, NAMES, write_corpus
from helpers import (
    lake_files,
    lake_rows,
    personal_data_hits,
    run_nightly,
    warehouse_dump,
    warehouse_text,
)

run = run_nightly
FACT_INDEXES = [
    ("fact_basket_item", "fact_basket_item_pkey"),
    ("fact_transaction", "fact_transaction_pkey"),
    ("fact_transaction", "fact_transaction_sale_date"),
]


def fact_indexes(url: str) -> list[tuple]:
    _, rows = PostgresWarehouse(url).query(
        "SELECT tablename, indexname FROM pg_indexes WHERE schemaname = 'cafe' "
        "AND tablename LIKE 'fact%' ORDER BY 1, 2"
    )
    return rows


@pytest.fixture
def corpus(tmp_path):
    return write_corpus(tmp_path / "raw"), tmp_path / "lake"


def test_corpus_with_every_variant_loads_exactly_the_valid_rows(corpus_run):
    _, lake, warehouse_url, summary = corpus_run  # one clean run, shared (conftest.py)

    for key in (
        "rows_read",
        "transactions",
        "basket_items",
        "duplicates",
        "blank_rows",
        "quarantined",
        "files_failed",
        "files_read",
        "quarantined_by_reason",
    ):
        assert summary[key] == EXPECTED[key], key
    assert summary["rows_read"] == (
        summary["transactions"] + summary["quarantined"] + summary["duplicates"]
    )
    assert Decimal(summary["revenue"]) == EXPECTED["revenue"]

    with psycopg.connect(warehouse_url) as conn:
        n, revenue = conn.execute(
            "SELECT count(*), sum(total_amount) FROM cafe.fact_transaction"
        ).fetchone()
        items, item_revenue = conn.execute(
            "SELECT count(*), sum(unit_price) FROM cafe.fact_basket_item"
        ).fetchone()
        regions = dict(conn.execute("SELECT branch_name, region FROM cafe.dim_branch").fetchall())
        status = conn.execute("SELECT status FROM cafe.etl_run").fetchall()
        view_revenue = conn.execute(
            "SELECT sum(revenue) FROM cafe.v_daily_branch_sales"
        ).fetchone()[0]
    assert (n, revenue) == (EXPECTED["transactions"], EXPECTED["revenue"])
    assert (items, item_revenue) == (EXPECTED["basket_items"], EXPECTED["revenue"])
    assert regions == EXPECTED["regions"]
    assert status == [("succeeded",)]
    assert view_revenue == revenue  # the trend view adds up to the facts, to the penny

    quarantine = lake_rows(lake, "quarantine")
    assert sorted(q["reason"] for q in quarantine) == sorted(
        r for r, n in EXPECTED["quarantined_by_reason"].items() for _ in range(n)
    )
    assert all(q["source_file"] for q in quarantine)
    assert len(lake_rows(lake, "transactions")) == EXPECTED["transactions"]
    assert (lake / "_runs" / f"{summary['run_id']}.json").exists()


def test_no_personal_data_in_lake_quarantine_or_warehouse_and_customer_keys_salted(corpus_run):
    _, lake, warehouse_url, _ = corpus_run
    texts = [
        str(v)
        for t in ("transactions", "basket_items", "quarantine")
        for row in lake_rows(lake, t)
        for v in row.values()
        if v is not None
    ]
    texts += warehouse_text(warehouse_url)
    assert len(texts) > 50
    assert personal_data_hits(texts, NAMES, CARDS) == []
    # The scan itself can fail: a planted name is found.
    assert personal_data_hits(texts + ["x Joe Bloggs"], NAMES, CARDS)
    # A customer is only a salted hash: no text scan sees an unsalted one (a dictionary of
    # names would undo it), so each key must be the salted recipe, written out with hashlib,
    # for the names of the corpus's six good rows, worked out by hand (corpus.py).
    customers = ["Joe Bloggs", "Ann Other", "Padded Person", "Wide Walter", "Sheet User"]
    expected = {salted_customer_key(name) for name in [*customers, "Iso Isobel"]}
    in_lake = {r["customer_key"] for r in lake_rows(lake, "transactions")}
    with psycopg.connect(warehouse_url) as conn:
        in_warehouse = {
            k for (k,) in conn.execute("SELECT customer_key FROM cafe.fact_transaction")
        }
    assert in_lake == in_warehouse == expected
    unsalted = {
        getattr(hashlib, algorithm)(text.encode()).hexdigest()
        for algorithm in ("md5", "sha1", "sha256", "sha512")
        for secret in (*NAMES, *CARDS)
        for text in (secret, secret.lower())
    }
    assert not unsalted & set(texts)


def salted_customer_key(name: str) -> str:
    """SHA-256 of the salt, `customer` and the lower-case name, joined by U+001F."""
    return hashlib.sha256("\u001f".join([TEST_SALT, "customer", name.lower()]).encode()).hexdigest()


def test_rerun_changes_nothing_even_with_several_lake_files_a_day(spark, corpus_copy, monkeypatch):
    raw, lake, warehouse_url, first = corpus_copy  # after one clean run, into empty facts
    before = warehouse_dump(warehouse_url)
    assert (len(before["fact_transaction"]), len(before["fact_basket_item"])) == (
        EXPECTED["transactions"],
        EXPECTED["basket_items"],
    )
    assert sum(row[5] for row in before["fact_transaction"]) == EXPECTED["revenue"]
    assert fact_indexes(warehouse_url) == FACT_INDEXES  # rebuilt by the load into empty facts
    # One lake file per valid row read: each day's partition now gets several files.
    monkeypatch.setattr(processing, "ROWS_PER_LAKE_FILE", 1)
    second = run(spark, raw, lake, warehouse_url)  # as many rows as present: keeps them
    files = lake_files(lake)
    days = [f.split("/")[1] for f in files if f.startswith("transactions/")]
    assert len(days) > len(set(days)), files
    assert warehouse_dump(warehouse_url) == before
    assert fact_indexes(warehouse_url) == FACT_INDEXES
    # The days' files were replaced, not added to: the lake holds each row once.
    assert len(lake_rows(lake, "transactions")) == EXPECTED["transactions"]
    assert len(lake_rows(lake, "quarantine")) == EXPECTED["quarantined"]
    for key in ("rows_read", "transactions", "quarantined", "duplicates"):
        assert first[key] == second[key]


def test_counts_not_conserved_stops_the_run_before_the_lake_and_warehouse(
    spark, corpus, warehouse_url, monkeypatch
):
    from cafe_etl import errors, processing

    counts = processing.Processed.counts

    def one_row_lost(self, *args, **kwargs):
        return {**counts(self, *args, **kwargs), "transactions": EXPECTED["transactions"] - 1}

    monkeypatch.setattr(processing.Processed, "counts", one_row_lost)
    raw, lake = corpus
    with pytest.raises(errors.CountsNotConserved, match="rows_read 16 != transactions 5"):
        run(spark, raw, lake, warehouse_url)
    assert lake_files(lake) == []
    assert all(rows == [] for rows in warehouse_dump(warehouse_url).values())
    with psycopg.connect(warehouse_url) as conn:
        assert conn.execute("SELECT status FROM cafe.etl_run").fetchall() == [("failed",)]


def test_second_run_refuses_while_one_holds_the_warehouse_then_a_one_day_rerun_runs_alone(
    spark, corpus_copy
):
    """A run refused by the run lock changes nothing; once the holder's session ends the
    next run goes ahead, and a rerun of one day leaves the other days alone."""
    from cafe_etl.errors import ConcurrentRunError
    from cafe_etl.warehouse.postgres import RUN_LOCK_KEY

    raw, lake, warehouse_url, _ = corpus_copy  # after one clean run
    before = warehouse_dump(warehouse_url)
    with psycopg.connect(warehouse_url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (RUN_LOCK_KEY,))
        with pytest.raises(ConcurrentRunError, match="did not start"):
            run(spark, raw, lake, warehouse_url)
    assert warehouse_dump(warehouse_url) == before
    # The lock is gone with its session: the next run, of one day, goes ahead.
    summary = run(spark, raw, lake, warehouse_url, process_date="2022-01-05")
    assert summary["status"] == "succeeded"
    assert summary["transactions"] == 1 and summary["files_read"] == 1
    assert warehouse_dump(warehouse_url) == before
    assert len(lake_rows(lake, "transactions")) == EXPECTED["transactions"]


def test_the_next_run_marks_a_run_left_running_abandoned_and_only_that_one(warehouse_url):
    """A run whose process was killed stays `running`; the next run's lock, once held,
    knows no other run lives and marks it `abandoned` (the SIGKILL test in test_crash
    sees it on a real kill; this checks the rule on its own, without a JVM)."""
    import datetime as dt

    w = PostgresWarehouse(warehouse_url)
    w.ensure_schema()
    w.start_run("killed", "cafe-nightly", dt.datetime(2026, 11, 2, 3, 0))
    w.start_run("done", "cafe-nightly", dt.datetime(2026, 11, 1, 3, 0))
    w.finish_run("done", "succeeded", {})
    with w.run_lock("cafe-nightly"):
        pass
    with psycopg.connect(warehouse_url) as conn:
        runs = conn.execute("SELECT run_id, status FROM cafe.etl_run ORDER BY 1").fetchall()
    assert runs == [("done", "succeeded"), ("killed", "abandoned")]
