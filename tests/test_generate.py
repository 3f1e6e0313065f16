"""The sample data generator: deterministic, in the raw layout, every variant and fault."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from cafe_etl.devtools import generate
from cafe_etl.reference import region_of
from cafe_etl.schema import ROW_REASONS

KEY = re.compile(r"^\d{4}/\d{2}/\d{2}/[^/]+_\d{2}-\d{2}-\d{4}_\d{2}-\d{2}-\d{2}\.csv$")


def tree_digest(root) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode() + path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    root = tmp_path_factory.mktemp("gen")
    stats = generate.generate(root / "raw", 15, 2, dt.date(2026, 11, 2), 7, 200)
    return root / "raw", stats


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    a = generate.generate(tmp_path / "a", 6, 2, dt.date(2026, 11, 2), 3, 40)
    b = generate.generate(tmp_path / "b", 6, 2, dt.date(2026, 11, 2), 3, 40)
    c = generate.generate(tmp_path / "c", 6, 2, dt.date(2026, 11, 2), 4, 40)
    assert tree_digest(tmp_path / "a") == tree_digest(tmp_path / "b")
    assert tree_digest(tmp_path / "a") != tree_digest(tmp_path / "c")
    assert a["rows"] == b["rows"]
    assert c["files"] == 12


def test_layout_and_every_region(sample):
    root, stats = sample
    keys = [str(p.relative_to(root)) for p in root.rglob("*.csv")]
    assert len(keys) == stats["files"] == 30
    assert all(KEY.match(k) for k in keys), keys[:3]
    assert all(k.split("/")[3].startswith(k.split("/")[3].split("_")[0]) for k in keys)
    regions = {region_of(b) for b in stats["branches"]}
    assert len(regions) == 12 and None not in regions


def test_every_variant_and_fault_is_present(sample):
    root, stats = sample
    contents = [p.read_bytes() for p in sorted(root.rglob("*.csv"))]
    assert any(c.startswith(b"\xef\xbb\xbf") and b"\r\n" in c and b"E+15" in c for c in contents)
    assert any(c.startswith(b"timestamp,branch,") and "£".encode() in c for c in contents)
    assert any(
        c.startswith(b"timestamp,store,") and re.search(rb"\d{4}-\d{2}-\d{2}T\d{2}:", c)
        for c in contents
    )
    assert any(re.search(rb'" +,', c) for c in contents)  # fixed-width padding after quotes
    assert any(re.match(rb"\d{2}/\d{2}/\d{4} ", c) for c in contents)  # no header
    # spreadsheet re-save: spaced header in human words, UK dates without leading zeros
    assert any(
        c.startswith(b"\xef\xbb\xbftime, branch, name,")
        and re.search(rb"\r\n[1-9]/11/2026 [1-9]:\d{2},", c)
        and b"E+15" in c
        for c in contents
    )
    # early 2021: CRLF, ISO with seconds, triples, payment before total, network card
    early = rb'^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},[^,]+,[^,]+,"?(Large|Regular)?,[A-Z][^"]*,'
    early += rb'\d+(\.\d+)?"?,(?i:cash|card),\d+\.\d{2},("[a-z]+,\d{16}"|None)\r$'
    assert any(re.search(early, c, re.M) and b'"visa,' in c for c in contents)
    # the old system's header names over baskets of items with `£` prices, some of three
    old_items = rb'^\d{2}/\d{2}/\d{4} \d{2}:\d{2},[^,]+,[^,]+,"[^,"]+ - [^,"]+, [^,"]+ - '
    old_items += rb'[^,"]+, [^,"]+ - [^,"]+",'
    assert any(
        c.startswith(b"date,location,customer_name,basket,pay_amount,payment_method,ccn\n")
        and "£".encode() in c
        and re.search(old_items, c, re.M)
        for c in contents
    )
    # spreadsheet saves end in rows of empty fields
    assert any(c.startswith(b"\xef\xbb\xbf") and c.endswith(b"\r\n,,,,,,\r\n") for c in contents)
    assert sum(c == b"" for c in contents) == stats["files_empty"] == 1
    assert sum(b"\x00" in c for c in contents) == stats["files_unreadable"] == 1
    assert set(stats["quarantined_by_reason"]) == set(ROW_REASONS)
    assert all(n > 0 for n in stats["quarantined_by_reason"].values())
    assert stats["duplicates"] > 0


def test_truth_counts_every_data_line(sample):
    root, stats = sample
    lines = blank = 0
    for path in root.rglob("*.csv"):
        data = path.read_bytes()
        if b"\x00" in data:
            continue
        for line in data.decode("utf-8-sig").splitlines():
            if line.strip(" ,") and not line.startswith(("timestamp,", "time, ", "date,")):
                lines += 1
            elif not line.strip(" ,"):
                blank += 1
    assert lines == stats["rows"]
    assert blank == stats["blank_rows"] > 0
    assert stats["rows"] == (
        stats["valid_transactions"]
        + stats["duplicates"]
        + sum(stats["quarantined_by_reason"].values())
    )


def test_good_rows_totals_equal_their_items(sample):
    root, _ = sample
    import csv

    checked = 0
    for path in sorted(root.rglob("*.csv"))[:6]:
        data = path.read_bytes()
        if not data or b"\x00" in data:
            continue
        for row in csv.reader(data.decode("utf-8-sig").splitlines()):
            if len(row) != 7 or row[0].startswith("timestamp"):
                continue
            prices = re.findall(r" - £?(\d+\.\d{2})(?:,|$)", row[3].strip())
            total = row[4].strip()
            if prices and re.fullmatch(r"\d+(\.\d+)?", total):
                diff = abs(sum(float(p) for p in prices) - float(total))
                checked += diff < 0.005
    assert checked > 500
