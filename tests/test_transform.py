"""Transforms on tiny hand-written frames (chispa).

Column families are table-driven: one frame holds every case's input and its expected
value, worked out by hand, and one chispa comparison checks them all in one Spark job.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

import pytest
from cafe_etl import processing, transform
from cafe_etl.raw import RAW_ROW_SCHEMA
from cafe_etl.schema import ROW_REASONS
from chispa import assert_column_equality, assert_df_equality
from helpers import jvm_frame
from pyspark.sql import functions as F

SALT = "unit-test-salt"
DAY = dt.date(2021, 3, 1)
GOOD = [
    "01/03/2021 09:00",
    "Leeds",
    "Joe Bloggs",
    "Large Latte - 2.45, Cortado - 2.05",
    "4.50",
    "CARD",
    "5494173772652516",
]


def raw_frame(spark, rows, file_date=DAY):
    data = [
        ("batch", "2021/03/01/Leeds_01-03-2021_18-00-00.csv", file_date, i + 1, len(f), f)
        for i, f in enumerate(rows)
    ]
    return jvm_frame(spark, data, RAW_ROW_SCHEMA)


def towns(spark):
    return [("Leeds", "Yorkshire and The Humber")]


def validated(spark, rows, salt=SALT, file_date=DAY):
    return raw_frame(spark, rows, file_date).transform(transform.validate(salt, towns(spark)))


def with_(field: str, value: str) -> list[str]:
    from cafe_etl.schema import RAW_FIELDS

    row = list(GOOD)
    row[RAW_FIELDS.index(field)] = value
    return row


def test_basket_items_parse_size_product_flavour_and_price(spark):
    # (item text, size, product, flavour, price), worked out by hand from the item grammar
    # `[Regular |Large ]Product[ - Flavour] - [£]Price` (the price is the last ` - ` part).
    cases = [
        (
            "Large Flavoured iced latte - Hazelnut - 3.25",
            "Large",
            "Flavoured iced latte",
            "Hazelnut",
            "3.25",
        ),
        (" Cortado - 2.05", None, "Cortado", None, "2.05"),
        ("Smoothies - Berry Beautiful - 2.00", None, "Smoothies", "Berry Beautiful", "2.00"),
        ("Regular Latte - £2.15", "Regular", "Latte", None, "2.15"),
        (
            "Large Latte - Vanilla - Extra shot - 3.00",
            "Large",
            "Latte",
            "Vanilla - Extra shot",
            "3.00",
        ),
        ("A - B - C - 1.50", None, "A", "B - C", "1.50"),
        ("Tea - 2 - 1.50", None, "Tea", "2", "1.50"),
        ("Large - 2.00", None, "Large", None, "2.00"),  # no product after the size: a product
        ("Regular - Hazelnut - 1.00", "Regular", "- Hazelnut", None, "1.00"),
        ("x - - 2.00", None, "x -", None, "2.00"),
        ("Latte - 7", None, "Latte", None, "7.00"),
        ("Latte", None, None, None, None),
        ("Latte - ", None, None, None, None),
        ("Latte - 2.005", None, None, None, None),
        ("Latte - two", None, None, None, None),
        ("Latte - -1.00", None, None, None, None),
        ("", None, None, None, None),
    ]
    frame = jvm_frame(
        spark,
        [(t, s, p, f, Decimal(v) if v else None) for t, s, p, f, v in cases],
        "item string, size string, product_name string, flavour string, unit_price decimal(10,2)",
    )
    actual = frame.select("item", transform.parse_item(F.col("item")).alias("i")).select(
        "item", "i.*"
    )
    assert_df_equality(actual, frame, ignore_nullable=True)


def test_totals_accept_only_non_negative_amounts(spark):
    cases = [
        ("4.50", "4.50"),
        ("5", "5.00"),
        ("5.2", "5.20"),
        ("£4.50", "4.50"),
        ("-1.00", None),
        ("abc", None),
        ("4.505", None),
        ("", None),
    ]
    frame = jvm_frame(
        spark,
        [(t, Decimal(e) if e else None) for t, e in cases],
        "t string, expected decimal(10,2)",
    ).withColumn("actual", transform.parse_total(F.col("t")))
    assert_column_equality(frame, "actual", "expected")


def test_timestamps_uk_day_first_or_iso(spark):
    cases = [
        ("01/03/2021 09:00", dt.datetime(2021, 3, 1, 9, 0)),
        ("2021-03-01T09:00:42", dt.datetime(2021, 3, 1, 9, 0, 42)),
        ("2021-03-01 09:00:42", dt.datetime(2021, 3, 1, 9, 0, 42)),
        ("31/02/2021 09:00", None),
        # The old parser would read these: they must be null, not an exception.
        ("01/03/2021\ufffd09:00", None),
        ("1/3/2021 9:00", dt.datetime(2021, 3, 1, 9, 0)),  # spreadsheet re-save (#19)
        ("03/01/2021", None),
        ("yesterday", None),
    ]
    frame = jvm_frame(spark, cases, "t string, expected timestamp").withColumn(
        "actual", transform.parse_timestamp(F.col("t"))
    )
    assert_column_equality(frame, "actual", "expected")


REASON_CASES = {
    "wrong_field_count": GOOD[:5],
    "bad_timestamp": with_("timestamp", "2021/03/01 9am"),
    "missing_branch": with_("branch", ""),
    "bad_total": with_("total", "four pounds"),
    "bad_payment_method": with_("payment_method", "CHEQUE"),
    "empty_basket": with_("basket", ""),
    "bad_item": with_("basket", "Large Latte - 2.45, Cortado"),
    "total_mismatch": with_("total", "4.52"),
}


# The documented order (docs/layouts.md, "Quarantine reasons"): a row gets the first reason
# it fails. Written out here, not read from schema.ROW_REASONS, so that the pairs below are
# an oracle of their own: reordering ROW_REASONS and the checks together breaks the
# documented order, and only a copy of it fails then.
DOCUMENTED_ORDER = (
    "wrong_field_count",
    "bad_timestamp",
    "missing_branch",
    "bad_total",
    "bad_payment_method",
    "empty_basket",
    "bad_item",
    "total_mismatch",
)
# How a row breaks one rule and only that one, as a change to GOOD: field -> new value
# (wrong_field_count adds an eighth field, leaving the seven as they are).
BREAK = {
    "wrong_field_count": {"extra": "extra"},
    "bad_timestamp": {"timestamp": "2021/03/01 9am"},
    "missing_branch": {"branch": ""},
    "bad_total": {"total": "four pounds"},
    "bad_payment_method": {"payment_method": "CHEQUE"},
    "empty_basket": {"basket": ""},
    "bad_item": {"basket": "Large Latte - 2.45, Cortado"},
    "total_mismatch": {"total": "4.52"},
}
# Pairs that share a field take a value breaking both, worked by hand. An empty basket has
# no items, so it has no bad item either ("" is one empty item); an item that is not an
# item but still ends in a price (`.` stops at a line break) makes the items add up to
# 4.50 against a total of 4.52.
BOTH = {
    ("empty_basket", "bad_item"): {"basket": ""},
    ("bad_item", "total_mismatch"): {
        "basket": "Large Latte - 2.45, Cortado\n - 2.05",
        "total": "4.52",
    },
}
# No row breaks both of these: the items can only mismatch a total that is one, and a
# basket that has items. Their order cannot change a row's reason.
UNBREAKABLE_TOGETHER = {("bad_total", "total_mismatch"), ("empty_basket", "total_mismatch")}


def broken(*changes: dict[str, str]) -> list[str]:
    from cafe_etl.schema import RAW_FIELDS

    row = list(GOOD)
    for change in changes:
        for field, value in change.items():
            if field == "extra":
                row.append(value)
            else:
                row[RAW_FIELDS.index(field)] = value
    return row


def two_rules_broken() -> list[tuple[list[str], str]]:
    """A row for every pair of rules, breaking both: the earlier rule is its reason."""
    cases = []
    for i, first in enumerate(DOCUMENTED_ORDER):
        for later in DOCUMENTED_ORDER[i + 1 :]:
            if (first, later) in UNBREAKABLE_TOGETHER:
                continue
            both = BOTH.get((first, later))
            row = broken(both) if both else broken(BREAK[first], BREAK[later])
            cases.append((row, first))
    return cases


def test_every_reason_is_covered():
    assert set(REASON_CASES) == set(ROW_REASONS) == set(BREAK)
    assert DOCUMENTED_ORDER == ROW_REASONS
    # Each pair a row breaks at once is in the reason-order table: 28 pairs less 2.
    assert len(two_rules_broken()) == 8 * 7 // 2 - len(UNBREAKABLE_TOGETHER)


def test_each_quarantine_reason_the_first_in_order_wins_and_penny_tolerance(spark):
    within = with_("total", "4.51")  # a penny off the items, lower-case payment: good
    within[5] = "card"
    # Another day than its file's: bad_timestamp (stream records, with no file day, below).
    late = with_("timestamp", "02/03/2021 09:00")
    cases = [(REASON_CASES[r], r) for r in ROW_REASONS] + [
        (broken(BREAK[r]), r) for r in ROW_REASONS
    ]
    cases += [(GOOD, None), (within, None), (late, "bad_timestamp")]
    cases += two_rules_broken()
    result = validated(spark, [row for row, _ in cases]).select(
        "line_number", "reason", "payment_method"
    )
    expected = jvm_frame(
        spark,
        [(i + 1, reason) for i, (_, reason) in enumerate(cases)],
        "line_number long, expected string",
    )
    joined = result.join(expected, "line_number").orderBy("line_number")
    assert_column_equality(joined, "reason", "expected")
    assert (
        joined.where(f"line_number = {cases.index((within, None)) + 1}").first()["payment_method"]
        == "CARD"
    )
    # Stream records have no file day: the day check does not apply.
    assert validated(spark, [late], file_date=None).first()["reason"] is None


def sha256_hex(*parts: str) -> str:
    """The id recipe written out independently: SHA-256 of the parts joined by U+001F."""
    return hashlib.sha256("\u001f".join(parts).encode("utf-8")).hexdigest()


def test_transaction_id_and_customer_key_are_pinned_salted_hashes_of_trimmed_fields(spark):
    # Pinned outside Spark: a change in how ids are built (field order, separator,
    # trimming, salt position) would load every re-sent sale a second time.
    expected_id = sha256_hex(SALT, *GOOD)
    assert expected_id == "e1bf330ebd7d898a01b154d2c8330c633ce4ab7081951c29256a9ad2cd2ac705"
    padded = [f + "   " for f in GOOD]  # what a fixed-width export looks like once parsed
    rows = validated(spark, [GOOD, padded]).orderBy("line_number").collect()
    assert [r["transaction_id"] for r in rows] == [expected_id, expected_id]
    assert rows[0]["customer_key"] == sha256_hex(SALT, "customer", "joe bloggs")
    other_salt = validated(spark, [GOOD], salt="another").first()["transaction_id"]
    assert other_salt == sha256_hex("another", *GOOD) != expected_id


def test_identical_rows_are_loaded_once_first_row_wins(spark):
    other = with_("customer_name", "Ann Other")
    frame = validated(spark, [GOOD, other, GOOD, GOOD])
    unique = transform.unique_transactions(frame)
    rows = {r["line_number"] for r in unique.collect()}
    assert unique.count() == 2
    assert rows == {1, 2}


def test_transactions_and_items_hold_no_personal_data(spark):
    unique = transform.unique_transactions(validated(spark, [GOOD]))
    txn = transform.transactions(unique)
    items = transform.basket_items(unique)
    assert "customer_name" not in txn.columns and "card_number" not in txn.columns
    values = [str(v) for frame in (txn, items) for row in frame.collect() for v in row]
    assert not any("Joe Bloggs" in v or "5494173772652516" in v for v in values)
    first = txn.first()
    assert first["region"] == "Yorkshire and The Humber"
    assert first["total_amount"] == Decimal("4.50") and first["item_count"] == 2
    assert first["customer_key"] is not None and len(first["customer_key"]) == 64


def test_basket_items_line_numbers_and_product_ids(spark):
    unique = transform.unique_transactions(validated(spark, [GOOD]))
    items = transform.basket_items(unique).orderBy("line_number").collect()
    assert [(i["line_number"], i["product_name"], i["size"], i["unit_price"]) for i in items] == [
        (1, "Latte", "Large", Decimal("2.45")),
        (2, "Cortado", None, Decimal("2.05")),
    ]
    again = transform.basket_items(unique).orderBy("line_number").collect()
    assert [i["product_id"] for i in items] == [i["product_id"] for i in again]
    assert items[0]["product_id"] != items[1]["product_id"]


def test_quarantine_row_drops_name_and_card(spark):
    shifted = [
        "01/03/2021 09:00",
        "Joe Bloggs",
        "Leeds",
        "Latte - 2.45",
        "2.45",
        "CARD",
        "5494 1737 7265 2516",
        "extra",
    ]
    e_notation = with_("total", "x")
    e_notation[6] = "5.49E+15"
    frame = validated(spark, [shifted, e_notation])
    quarantine = transform.quarantine(frame).orderBy("line_number").collect()
    assert [q["reason"] for q in quarantine] == ["wrong_field_count", "bad_total"]
    text = " ".join(q["raw_row"] for q in quarantine)
    for secret in ("Joe Bloggs", "5494", "5.49E+15"):
        assert secret not in text
    assert "Latte - 2.45" in text and "01/03/2021 09:00" in text


def test_unknown_town_gets_unknown_region(spark):
    row = with_("branch", "Atlantis")
    assert validated(spark, [row]).first()["region"] == "Unknown"


# (basket, valid, items total), worked out by hand: a basket is valid when every
# comma-separated item, trimmed, has the item shape; its total is the sum of the prices.
BASKET_CASES = [
    ("Latte - 2.00", True, "2.00"),
    ("Large Latte - £2.45, Cortado - 2.05", True, "4.50"),
    ("Smoothies - Berry Beautiful - 2.00,Regular Latte - 2.15", True, "4.15"),
    ("  Latte - 2.00  ,  Mocha - 2.30 ", True, "4.30"),
    ("Large - 2.00", True, "2.00"),
    ("A - B - C - 1.50", True, "1.50"),
    ("Latte", False, None),
    ("Latte - ", False, None),
    (" - 2.00", False, None),
    ("Latte - 2.005", False, None),
    ("Latte - 2.00,", False, None),
    ("Latte - 2.00,, Mocha - 2.30", False, None),
    ("Latte - two", False, None),
    ("Tea - 2 - 1.50", True, "1.50"),
    ("x - - 2.00", True, "2.00"),
    ("Large  - 2.00", True, "2.00"),
    ("Large Latte - Vanilla - Extra shot - 3.00", True, "3.00"),
    ("Regular - Hazelnut - 1.00", True, "1.00"),
    ("Latte - 1, Mocha - 2.5, Tea - £0.05", True, "3.55"),
]
BASKETS = [b for b, _, _ in BASKET_CASES]


def test_whole_basket_check_and_items_total(spark):
    frame = jvm_frame(
        spark,
        [(b, valid, Decimal(total) if total else None) for b, valid, total in BASKET_CASES],
        "basket string, expected_valid boolean, expected_total decimal(12,2)",
    )
    valid = transform.basket_is_valid(F.col("basket"))
    actual = frame.select(
        "basket",
        "expected_valid",
        "expected_total",
        valid.alias("valid"),
        F.when(valid, transform.items_total(F.col("basket"))).alias("total"),
    )
    assert_column_equality(actual, "valid", "expected_valid")
    assert_column_equality(actual, "total", "expected_total")


# Texts at ITEM_PATTERN's edges: line breaks (`.` stops at them), a bare or doubled
# suffix, spaces around it, prices one digit too long, a size with nothing after it.
EDGE_ITEMS = [
    "Latte - 2.00\n",
    "Latte\n - 2.00",
    "\u2028 - 1",
    "- 2.00",
    "x - 2.00",
    "Large  - 2.00",
    "Large - £",
    "£ - 1",
    "Latte - 1234567",
    "Latte - 123456.78",
    "Latte - 12345.678",
    "a - 1 - 2 - 3",
    "Latte -  2.00",
    "Latte - 2.00 ",
    " - - 1",
]


def test_the_item_shape_and_price_suffix_agree_with_the_item_grammar(spark):
    """ITEM_SHAPE (the validity test) matches exactly the items ITEM_PATTERN matches, and
    for those PRICE_SUFFIX (the totals' price) takes ITEM_PATTERN's price group."""
    items = {i.strip(" ") for b in BASKETS for i in b.split(",")} | set(EDGE_ITEMS)
    frame = jvm_frame(spark, [(i,) for i in sorted(items)], "item string")
    grammar = F.col("item").rlike(transform.ITEM_PATTERN)
    actual = frame.select(
        grammar.alias("grammar"),
        F.col("item").rlike(transform.ITEM_SHAPE).alias("shape"),
        F.when(grammar, F.regexp_extract("item", transform.ITEM_PATTERN, 4)).alias("price"),
        F.when(grammar, F.regexp_extract("item", transform.PRICE_SUFFIX, 1)).alias("suffix"),
    )
    assert_column_equality(actual, "grammar", "shape")
    assert_column_equality(actual, "price", "suffix")
    assert {r.grammar for r in actual.select("grammar").collect()} == {True, False}


def test_quarantine_keeps_iso_timestamps_readable(spark):
    row = with_("timestamp", "2021-03-01 09:00:00")
    row[4] = "bad"
    record = transform.quarantine(validated(spark, [row])).first()
    assert record["reason"] == "bad_total"
    assert "2021-03-01 09:00:00" in record["raw_row"]


def test_items_from_the_catalog_equal_items_parsed_one_by_one(spark):
    valid = [b for b in BASKETS if b.strip() and "two" not in b]
    unique = jvm_frame(
        spark,
        [(f"t{i}", DAY, b) for i, b in enumerate(valid)],
        "transaction_id string, sale_date date, basket string",
    )
    by_item = transform.basket_items(unique)
    from_catalog = transform.basket_items(unique, transform.item_catalog(unique))
    assert by_item.count() > len(valid)
    assert_df_equality(by_item, from_catalog, ignore_row_order=True, ignore_nullable=True)


@pytest.mark.parametrize(
    ("in_place", "max_texts", "items", "expected"),
    [
        # (PARSE_IN_PLACE_ITEMS, MAX_CATALOG_ITEMS, the run's items) -> (catalog, counted)
        (3, 50_000, 3, (None, False)),  # few items: parsed in place, no catalog
        (2, 50_000, 3, (2, False)),  # 3 items are at most 3 texts: within the limit
        (2, 50_000, None, (2, True)),  # unknown: counted
        (2, 2, 3, (2, True)),  # 3 items could be 3 texts: counted, and 2 fit
        (2, 1, 3, (None, True)),  # counted, 2 texts past the limit: parsed in place
        (2, 1, None, (None, True)),
    ],
)
def test_item_lookup_builds_a_catalog_only_for_many_items_and_counts_it_only_when_needed(
    spark, monkeypatch, in_place, max_texts, items, expected
):
    """The run's item figure bounds the catalog (distinct texts <= items). Building the
    catalog and counting it are Spark jobs of their own: each happens only where it pays."""
    unique = jvm_frame(
        spark,
        [("t1", DAY, "Latte - 2.00, Large Mocha - 2.60"), ("t2", DAY, "Latte - 2.00")],
        "transaction_id string, sale_date date, basket string",
    )
    monkeypatch.setattr(processing, "PARSE_IN_PLACE_ITEMS", in_place)
    monkeypatch.setattr(processing, "MAX_CATALOG_ITEMS", max_texts)
    tracker = spark.sparkContext.statusTracker()
    before = set(tracker.getJobIdsForGroup(None))
    with processing.item_lookup(unique, items) as catalog:
        counted = set(tracker.getJobIdsForGroup(None)) != before
        size = catalog.count() if catalog is not None else None
    assert (size, counted) == expected
