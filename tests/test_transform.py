"""Transforms on tiny hand-written frames (chispa)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from cafe_etl import transform
from cafe_etl.raw import RAW_ROW_SCHEMA
from cafe_etl.schema import ROW_REASONS
from chispa import assert_df_equality
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
    return spark.createDataFrame(data, RAW_ROW_SCHEMA)


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
    baskets = spark.createDataFrame(
        [
            (
                "Large Flavoured iced latte - Hazelnut - 3.25, Cortado - 2.05, "
                "Smoothies - Berry Beautiful - 2.00, Regular Latte - £2.15, Latte",
            )
        ],
        "basket string",
    )
    actual = (
        baskets.select(F.explode(F.split("basket", ",")).alias("item"))
        .select(transform.parse_item(F.col("item")).alias("i"))
        .select("i.*")
    )
    expected = spark.createDataFrame(
        [
            ("Large", "Flavoured iced latte", "Hazelnut", Decimal("3.25")),
            (None, "Cortado", None, Decimal("2.05")),
            (None, "Smoothies", "Berry Beautiful", Decimal("2.00")),
            ("Regular", "Latte", None, Decimal("2.15")),
            (None, None, None, None),
        ],
        "size string, product_name string, flavour string, unit_price decimal(10,2)",
    )
    assert_df_equality(actual, expected, ignore_nullable=True)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("4.50", Decimal("4.50")),
        ("5", Decimal("5.00")),
        ("5.2", Decimal("5.20")),
        ("£4.50", Decimal("4.50")),
        ("-1.00", None),
        ("abc", None),
        ("4.505", None),
        ("", None),
    ],
)
def test_totals_accept_only_non_negative_amounts(spark, text, expected):
    row = spark.createDataFrame([(text,)], "t string").select(transform.parse_total(F.col("t")))
    assert row.first()[0] == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("01/03/2021 09:00", dt.datetime(2021, 3, 1, 9, 0)),
        ("2021-03-01T09:00:42", dt.datetime(2021, 3, 1, 9, 0, 42)),
        ("2021-03-01 09:00:42", dt.datetime(2021, 3, 1, 9, 0, 42)),
        ("31/02/2021 09:00", None),
        # The old parser would read these: they must be null, not an exception.
        ("01/03/2021\ufffd09:00", None),
        ("1/3/2021 9:00", None),
        ("03/01/2021", None),
        ("yesterday", None),
    ],
)
def test_timestamps_uk_day_first_or_iso(spark, text, expected):
    row = spark.createDataFrame([(text,)], "t string").select(transform.parse_timestamp(F.col("t")))
    assert row.first()[0] == expected


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


def test_every_reason_is_covered():
    assert set(REASON_CASES) == set(ROW_REASONS)


@pytest.mark.parametrize("reason", ROW_REASONS)
def test_each_quarantine_reason(spark, reason):
    result = validated(spark, [REASON_CASES[reason], GOOD]).orderBy("line_number")
    assert [r["reason"] for r in result.collect()] == [reason, None]


def test_first_reason_wins(spark):
    # A bad timestamp, no branch and a bad total: the timestamp comes first.
    row = with_("timestamp", "never")
    row[1], row[4] = "", "x"
    assert validated(spark, [row]).first()["reason"] == "bad_timestamp"


def test_penny_tolerance_and_lower_case_payment(spark):
    within = with_("total", "4.51")
    within[5] = "card"
    result = validated(spark, [within]).first()
    assert result["reason"] is None
    assert result["payment_method"] == "CARD"


def test_row_from_another_day_than_its_file_is_bad_timestamp(spark):
    late = with_("timestamp", "02/03/2021 09:00")
    assert validated(spark, [late]).first()["reason"] == "bad_timestamp"
    # Stream records have no file day: the check does not apply.
    assert validated(spark, [late], file_date=None).first()["reason"] is None


def test_transaction_id_is_salted_hash_of_trimmed_fields(spark):
    padded = [f + "   " for f in GOOD]  # what a fixed-width export looks like once parsed
    a, b = validated(spark, [GOOD, padded]).select("transaction_id").collect()
    other_salt = validated(spark, [GOOD], salt="another").first()["transaction_id"]
    assert a[0] == b[0]
    assert len(a[0]) == 64 and int(a[0], 16) >= 0
    assert other_salt != a[0]


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


BASKETS = [
    "Latte - 2.00",
    "Large Latte - £2.45, Cortado - 2.05",
    "Smoothies - Berry Beautiful - 2.00,Regular Latte - 2.15",
    "  Latte - 2.00  ,  Mocha - 2.30 ",
    "Large - 2.00",
    "A - B - C - 1.50",
    "Latte",
    "Latte - ",
    " - 2.00",
    "Latte - 2.005",
    "Latte - 2.00,",
    "Latte - 2.00,, Mocha - 2.30",
    "Latte - two",
    "Tea - 2 - 1.50",
    "x - - 2.00",
    "Large  - 2.00",
    "Large Latte - Vanilla - Extra shot - 3.00",
    "Regular - Hazelnut - 1.00",
]


@pytest.mark.parametrize("basket", BASKETS)
def test_whole_basket_check_agrees_with_item_parser(spark, basket):
    frame = spark.createDataFrame([(basket,)], "basket string")
    whole = frame.select(transform.basket_is_valid(F.col("basket"))).first()[0]
    items = frame.select(F.explode(F.split("basket", ",")).alias("i")).select(
        transform.parse_item(F.col("i")).alias("p")
    )
    parsed = [r["p"] for r in items.collect()]
    prices = [p["unit_price"] for p in parsed]
    assert whole == all(p is not None for p in prices)
    # parse_item's groups are ITEM_PATTERN's groups.
    reference = frame.select(F.explode(F.split("basket", ",")).alias("i")).select(
        *[
            F.regexp_extract(F.trim("i"), transform.ITEM_PATTERN, g).alias(f"g{g}")
            for g in (1, 2, 3)
        ]
    )
    for p, ref in zip(parsed, reference.collect(), strict=True):
        if p["unit_price"] is not None:
            assert (p["size"] or "", p["product_name"], p["flavour"] or "") == tuple(ref)
    if whole:
        total = frame.select(transform.items_total(F.col("basket"))).first()[0]
        assert total == sum(prices)


def test_quarantine_keeps_iso_timestamps_readable(spark):
    row = with_("timestamp", "2021-03-01 09:00:00")
    row[4] = "bad"
    record = transform.quarantine(validated(spark, [row])).first()
    assert record["reason"] == "bad_total"
    assert "2021-03-01 09:00:00" in record["raw_row"]


def test_items_from_the_catalog_equal_items_parsed_one_by_one(spark):
    valid = [b for b in BASKETS if b.strip() and "two" not in b]
    unique = spark.createDataFrame(
        [(f"t{i}", DAY, b) for i, b in enumerate(valid)],
        "transaction_id string, sale_date date, basket string",
    )
    by_item = transform.basket_items(unique)
    from_catalog = transform.basket_items(unique, transform.item_catalog(unique))
    assert by_item.count() > len(valid)
    assert_df_equality(by_item, from_catalog, ignore_row_order=True, ignore_nullable=True)


def test_item_lookup_falls_back_to_parsing_item_by_item_past_its_limit(spark, monkeypatch):
    from cafe_etl import pipeline

    unique = spark.createDataFrame(
        [("t1", DAY, "Latte - 2.00, Large Mocha - 2.60")],
        "transaction_id string, sale_date date, basket string",
    )
    with pipeline.item_lookup(unique) as catalog:
        assert catalog is not None and catalog.count() == 2
    monkeypatch.setattr(pipeline, "MAX_CATALOG_ITEMS", 1)
    with pipeline.item_lookup(unique) as catalog:
        assert catalog is None
