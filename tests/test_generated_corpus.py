"""End to end over a generated corpus, checked against the generator's own ground truth."""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal

import psycopg
from cafe_etl import cli, processing, transform
from cafe_etl.devtools import generate
from cafe_etl.scanner import Scanner, names_from_raw
from helpers import lake_rows, run_nightly


def test_generated_corpus_matches_generator_truth(spark, tmp_path, warehouse_url, monkeypatch):
    """The basket items go through the item catalog, as a night's many items do (a run
    this small would parse them in place: processing.item_lookup)."""
    monkeypatch.setattr(processing, "PARSE_IN_PLACE_ITEMS", 0)
    catalogs = []
    basket_items = transform.basket_items

    def spy(unique, catalog=None):
        catalogs.append(catalog is not None)
        return basket_items(unique, catalog)

    monkeypatch.setattr(transform, "basket_items", spy)
    raw, lake, truth_path = tmp_path / "raw", tmp_path / "lake", tmp_path / "truth.json"
    assert (
        cli.main(
            [
                "generate",
                "--out",
                str(raw),
                "--branches",
                "14",
                "--days",
                "3",
                "--start",
                "2026-11-02",
                "--seed",
                "7",
                "--transactions-per-branch-day",
                "60",
                "--truth",
                str(truth_path),
            ]
        )
        == 0
    )
    truth = json.loads(truth_path.read_text())
    summary = run_nightly(spark, raw, lake, warehouse_url)
    assert catalogs == [True]

    assert summary["rows_read"] == truth["rows"] + truth["files_unreadable"]
    assert summary["transactions"] == truth["valid_transactions"]
    assert summary["duplicates"] == truth["duplicates"]
    # blank lines and the spreadsheet saves' padding rows: no rows, and counted
    assert summary["blank_rows"] == truth["blank_rows"] > 0
    assert summary["basket_items"] == truth["basket_items"]
    assert summary["files_failed"] == truth["files_unreadable"]
    expected_reasons = {k: v for k, v in truth["quarantined_by_reason"].items() if v}
    if truth["files_unreadable"]:
        expected_reasons["unreadable_file"] = truth["files_unreadable"]
    assert summary["quarantined_by_reason"] == expected_reasons
    assert summary["unknown_branches"] == []

    with psycopg.connect(warehouse_url) as conn:
        n, revenue = conn.execute(
            "SELECT count(*), sum(total_amount) FROM cafe.fact_transaction"
        ).fetchone()
        by_branch = dict(
            conn.execute(
                "SELECT b.branch_name, sum(f.total_amount) FROM cafe.fact_transaction f "
                "JOIN cafe.dim_branch b USING (branch_id) GROUP BY b.branch_name"
            ).fetchall()
        )
        regions = {r for (r,) in conn.execute("SELECT DISTINCT region FROM cafe.dim_branch")}
        products = conn.execute(
            "SELECT product_name, size, flavour FROM cafe.dim_product ORDER BY 1, 2, 3"
        ).fetchall()
    assert n == truth["valid_transactions"]
    assert revenue == Decimal(truth["revenue"])
    assert by_branch == {k: Decimal(v) for k, v in truth["revenue_by_branch"].items()}
    assert "Unknown" not in regions and len(regions) == 12
    # Neighbourhood branches (`London Soho`) are in their city's region; products the
    # tills spell differently (`Hot chocolate`, `Hot Chocolate`) are one product each.
    neighbourhoods = {f"{c} {a}" for c, areas in generate.NEIGHBOURHOODS.items() for a in areas}
    assert len(set(by_branch) & neighbourhoods) >= 3
    assert truth["product_spellings"] > len(truth["products"])
    assert sorted(products, key=repr) == sorted(map(tuple, truth["products"]), key=repr)

    scanner = Scanner(names_from_raw(raw))
    scanner.scan_lake(str(lake))
    scanner.scan_warehouse(warehouse_url)
    assert scanner.values_scanned > 1000
    assert [str(h) for h in scanner.hits] == []

    # Per file, so per export kind: exact transactions, items and revenue, and no
    # quarantine but the generator's planted faults. Every day's prefix mixes every kind.
    loaded: dict[str, list] = defaultdict(lambda: [0, 0, Decimal(0), 0])
    for t in lake_rows(lake, "transactions"):
        figures = loaded[t["source_file"]]
        figures[0] += 1
        figures[1] += t["item_count"]
        figures[2] += t["total_amount"]
    for q in lake_rows(lake, "quarantine"):
        loaded[q["source_file"]][3] += 1
    by_file = truth["by_file"]
    kinds_by_day: dict[str, set[str]] = defaultdict(set)
    for key, want in by_file.items():
        kinds_by_day[key[:10]].add(want["variant"])
        expected = [
            want["transactions"],
            want["basket_items"],
            Decimal(want["revenue"]),
            want["quarantined"],
        ]
        assert loaded.get(key, [0, 0, Decimal(0), 0]) == expected, (want["variant"], key)
    assert {k for k in loaded if k not in by_file} <= set(truth_unreadable_or_empty(raw, by_file))
    assert all(kinds == set(generate.VARIANTS) for kinds in kinds_by_day.values())


def truth_unreadable_or_empty(raw, by_file) -> list[str]:
    """Keys of the generated files the truth has no figures for (empty or unreadable)."""
    keys = ["/".join(p.relative_to(raw).parts) for p in raw.rglob("*.csv")]
    return [k for k in keys if k not in by_file]
