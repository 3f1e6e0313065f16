"""Every till export layout (schema.LAYOUTS) → the same raw rows, transactions and items.

Table-driven: one frame of input and expected per family of cases (chispa), and one
extract of one raw folder that mixes every layout in one day's prefix.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from cafe_etl import raw, stream, transform
from cafe_etl.schema import LAYOUTS, RAW_FIELDS
from chispa import assert_column_equality, assert_df_equality
from conftest import TEST_SALT, write_raw
from helpers import jvm_frame
from pyspark.sql import functions as F

DAY = "2026/11/02"
EARLY = f"{DAY}/Derby_02-11-2026_18-00-00.csv"
EARLY_BROKEN = f"{DAY}/Derby_02-11-2026_19-00-00.csv"
SHEET = f"{DAY}/York_02-11-2026_18-00-00.csv"
SHEET_BROKEN = f"{DAY}/York_02-11-2026_19-00-00.csv"
OLD = f"{DAY}/Bath_02-11-2026_18-00-00.csv"
OLD_ITEMS = f"{DAY}/Bath_02-11-2026_19-00-00.csv"
MIXED_TRIPLES = f"{DAY}/Derby_02-11-2026_20-00-00.csv"
MIXED_ITEMS = f"{DAY}/York_02-11-2026_20-00-00.csv"
PADDED = f"{DAY}/Leeds_02-11-2026_19-00-00.csv"
WORDS = f"{DAY}/Hull_02-11-2026_18-00-00.csv"
CRLF = "\r\n"
BOM = "\ufeff"
SHEET_HEADER = "time, branch, name, basket, total, payment, card"
OLD_HEADER = "date,location,customer_name,basket,pay_amount,payment_method,ccn"
CARD = '"visa,4000000000000002"'


def ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def test_timestamps_with_or_without_leading_zeros(spark):
    cases = [  # (till text, expected); None: bad_timestamp
        ("8/8/2023 9:00", ts("2023-08-08 09:00")),
        ("08/08/2023 09:00", ts("2023-08-08 09:00")),
        ("2/11/2026 17:05", ts("2026-11-02 17:05")),
        ("1/12/2023 23:59:59", ts("2023-12-01 23:59:59")),
        ("2021-02-23 09:00:48", ts("2021-02-23 09:00:48")),
        ("2021-02-23 09:00", ts("2021-02-23 09:00")),
        ("2026-11-02T07:09:44", ts("2026-11-02 07:09:44")),
        ("2026-11-02T07:09", ts("2026-11-02 07:09")),
        ("31/02/2023 09:00", None),
        ("31/2/2023 9:00", None),
        ("8/8/2023 25:00", None),
        ("8/8/2023 9:60", None),
        ("2021-02-30 09:00:00", None),
        ("2021-02-23 25:00:00", None),
        ("8/8/23 9:00", None),
        ("2026/11/02 9am", None),
        ("yesterday", None),
        ("", None),
    ]
    frame = jvm_frame(spark, cases, "text string, expected timestamp")
    result = frame.withColumn("parsed", transform.parse_timestamp(F.col("text")))
    assert_column_equality(result, "parsed", "expected")


def test_triples_become_items(spark):
    cases = [  # (early-2021 basket, the same basket in the items grammar)
        ("Large,Latte,2.45", "Large Latte - 2.45"),
        (",Cortado,2.05,,Glass of milk,0.7", "Cortado - 2.05, Glass of milk - 0.7"),
        ("Regular,Frappes - Coffee,2.75", "Regular Frappes - Coffee - 2.75"),
        (" Large , Latte , 2.45 ", "Large Latte - 2.45"),
        ("", ""),  # empty: stays empty (empty_basket)
        ("Large,Latte", "Large,Latte"),  # not whole triples: stays, and fails as items
        ("Large,Latte,2.45,Muffin", "Large,Latte,2.45,Muffin"),
        ("Large,Latte,abc", "Large,Latte,abc"),  # a third part that is no price
        ("Large,Latte,£2.45", "Large Latte - £2.45"),
        # Items in a triples file: not its grammar, so an empty last item makes them fail
        # too, three parts (which are no triples: no part is a bare price) as well as one.
        ("Cortado - 2.05", "Cortado - 2.05,"),
        (
            "Latte - 2.15, Cortado - 2.05, Espresso - 1.50",
            "Latte - 2.15, Cortado - 2.05, Espresso - 1.50,",
        ),
    ]
    frame = jvm_frame(spark, cases, "basket string, expected string")
    result = frame.withColumn("items", raw.triples_to_items(F.col("basket")))
    assert_column_equality(result, "items", "expected")


def _example_files() -> dict[str, str]:
    """One file per declared layout, from its own example line (and header, if any)."""
    files = {}
    for layout in LAYOUTS:
        stamp = layout.example.split(",", 1)[0]
        for fmt in ("%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"):
            try:
                day = dt.datetime.strptime(stamp, fmt).date()
                break
            except ValueError:
                continue
        key = f"{day:%Y/%m/%d}/Leeds_{day:%d-%m-%Y}_{layout.name}.csv"
        header = ",".join(layout.header) + "\n" if layout.header else ""
        files[key] = header + layout.example + "\n"
    return files


FILES = {
    # early 2021: CRLF, ISO with seconds, triples, payment before total, network card
    EARLY: CRLF.join(
        [
            f'2026-11-02 09:00:48,Derby,Ann Example,"Large,Latte,2.45,,Cortado,2.05",CARD,4.50,{CARD}',
            '2026-11-02 09:05:00,Derby,Bob Example,"Regular,Frappes - Coffee,2.75",cash,2.75,None',
            "",
        ]
    ),
    # spreadsheet re-save: BOM, CRLF, spaced header in human words, no leading zeros
    SHEET: BOM
    + CRLF.join(
        [
            SHEET_HEADER,
            '2/11/2026 9:00,York,Ann Example,"Large Latte - 2.45, Cortado - 2.05",4.5,CARD,4.00E+15',
            "2/11/2026 13:07,York,Bob Example,Cortado - 2.05,2.05,CASH,",
            "",
        ]
    ),
    # the old system's field names as a header, its triples basket
    OLD: "date,location,customer_name,basket,pay_amount,payment_method,ccn\n"
    '2026-11-02 10:00:00,Bath,Cat Example,",Cortado,2.05,Large,Latte,2.45",4.50,CASH,None\n',
    # the old system's header over baskets in the items grammar with `£` prices, among them
    # baskets of 3, 6 and 9 parts (each a whole number of "triples" by its commas)
    OLD_ITEMS: "\n".join(
        [
            OLD_HEADER,
            '02/11/2026 09:00,Bath,Ann Example,"Regular Luxury hot chocolate - £2.40, '
            'Regular Flavoured hot chocolate - Hazelnut - £2.60",5.00,CARD,4000000000000002',
            '02/11/2026 09:01,Bath,Bob Example,"Large Latte - £2.45, Cortado - 2.05, '
            'Glass of milk - 0.70",5.20,CASH,',
            '02/11/2026 09:02,Bath,Cat Example,"Regular Latte - 2.15, Large Latte - 2.45, '
            "Cortado - 2.05, Espresso - 1.50, Smoothies - Berry Beautiful - 2.00, "
            'Glass of milk - 0.70",10.85,CASH,',
            '02/11/2026 09:03,Bath,Dan Example,"Espresso - 1.50, Espresso - 1.50, '
            "Espresso - 1.50, Regular Mocha - £2.30, Regular Mocha - £2.30, "
            "Regular Mocha - £2.30, Large Frappes - Coffee - 3.25, "
            'Large Frappes - Coffee - 3.25, Large Frappes - Coffee - 3.25",21.15,CARD,'
            "4000000000000002",
            "02/11/2026 09:04,Bath,Eve Example,Cortado - £2.05,2.05,CASH,",
            "",
        ]
    ),
    # An Excel save: 3 transactions (one with the sheet's empty columns after its card),
    # then 7 rows of empty fields.
    PADDED: BOM
    + CRLF.join(
        [
            SHEET_HEADER,
            '2/11/2026 9:00,Leeds,Ann Example,"Large Latte - 2.45, Cortado - 2.05",4.5,CARD,'
            "1E+15,,,,",
            "2/11/2026 9:05,Leeds,Bob Example,Cortado - 2.05,2.05,CASH,",
            '2/11/2026 9:10,Leeds,Cat Example,"Regular Latte - 2.15, Regular Latte - 2.15",4.3,'
            "CARD,5.49E+15",
            *[",,,,,,"] * 5,
            " , , , , , , ",
            ',"",,,,,',
            "",
        ]
    ),
    # Both grammars in one file: more whole triples (3) than items (2), so triples, and
    # its items baskets are bad items, three parts or one.
    MIXED_TRIPLES: CRLF.join(
        [
            '2026-11-02 10:00:00,Derby,Ann Example,"Large,Latte,2.45",CASH,2.45,None',
            '2026-11-02 10:01:00,Derby,Bob Example,"Regular,Frappes - Coffee,2.75,,Cortado,'
            f'2.05",CARD,4.80,{CARD}',
            '2026-11-02 10:02:00,Derby,Cat Example,",Espresso,1.50",CASH,1.50,None',
            '2026-11-02 10:03:00,Derby,Dan Example,"Cortado - 2.05",CASH,2.05,None',
            '2026-11-02 10:04:00,Derby,Eve Example,"Latte - 2.15, Cortado - 2.05, '
            'Espresso - 1.50",CASH,5.70,None',
            "",
        ]
    ),
    # ...and more items (2) than whole triples (1) under the old system's header: items.
    MIXED_ITEMS: "\n".join(
        [
            OLD_HEADER,
            "02/11/2026 10:00,York,Ann Example,Cortado - 2.05,2.05,CASH,None",
            '02/11/2026 10:01,York,Bob Example,"Latte - 2.15, Mocha - 2.30",4.45,CASH,None',
            '02/11/2026 10:02,York,Cat Example,"Large,Latte,2.45",2.45,CASH,None',
            "",
        ]
    ),
    # a header in words nobody declared, upper case, leading spaces
    WORDS: "  WHEN , SHOP , WHO , WHAT , HOW MUCH , PAID BY , CARD NO\n"
    "02/11/2026 11:00,Hull,Dan Example,Cortado - 2.05,2.05,CASH,\n",
    # broken rows of the early layout: the same reasons as every other layout
    EARLY_BROKEN: CRLF.join(
        [
            f'2026-11-02 09:00:00,Derby,Ann Example,"Large,Latte,2.45",CARD,2.45,{CARD}',
            '2026-11-02 09:01:00,Derby,Ann Example,"Large,Latte,2.45",CARD',
            '2026-02-31 09:00:00,Derby,Ann Example,"Large,Latte,2.45",CASH,2.45,None',
            '2026-11-02 25:00:00,Derby,Ann Example,"Large,Latte,2.45",CASH,2.45,None',
            '2026-11-02 09:02:00,,Ann Example,"Large,Latte,2.45",CASH,2.45,None',
            '2026-11-02 09:03:00,Derby,Ann Example,"Large,Latte,2.45",CASH,N/A,None',
            '2026-11-02 09:04:00,Derby,Ann Example,"Large,Latte,2.45",VOUCHER,2.45,None',
            "2026-11-02 09:05:00,Derby,Ann Example,,CASH,0.00,None",
            '2026-11-02 09:06:00,Derby,Ann Example,"Large,Latte,2.45,Muffin",CASH,2.45,None',
            '2026-11-02 09:07:00,Derby,Ann Example,"Large,Latte,abc",CASH,2.45,None',
            f'2026-11-02 09:08:00,Derby,Ann Example,"Large,Latte,2.45",CARD,3.45,{CARD}',
            "",
        ]
    ),
    SHEET_BROKEN: BOM
    + CRLF.join(
        [
            SHEET_HEADER,
            "2/11/2026 9:00,York,Ann Example,Cortado - 2.05,2.05,CASH,",
            "31/2/2026 9:00,York,Ann Example,Cortado - 2.05,2.05,CASH,",
            "2/11/2026 25:00,York,Ann Example,Cortado - 2.05,2.05,CASH,",
            "2/11/2026 9:05,York,Ann Example,Cortado - 2.05,3,CARD,4.00E+15",
            "",
        ]
    ),
}


@pytest.fixture(scope="module")
def loaded(spark, tmp_path_factory):
    """One extract and validation of a folder mixing every layout: (rows, validated, items)."""
    root = tmp_path_factory.mktemp("layouts")
    for key, text in {**FILES, **_example_files()}.items():
        write_raw(root, key, text)
    files = raw.list_raw_files(spark, str(root), "all")
    extracted = raw.extract(spark, files)
    towns = [(t, "Somewhere") for t in ("Leeds", "Derby", "York", "Bath", "Hull")]
    validated = extracted.rows.transform(transform.validate(TEST_SALT, towns)).cache()
    unique = transform.unique_transactions(validated)
    items = transform.basket_items(unique).join(
        validated.select("transaction_id", "source_file", F.col("line_number").alias("row")),
        "transaction_id",
    )
    yield extracted, validated, items
    validated.unpersist()
    extracted.lines.unpersist()


def test_every_layout_gives_the_same_transactions_and_items(spark, loaded):
    extracted, validated, items = loaded
    # (file, line, branch, sold_at, payment, total, item count): every row good
    expected = [
        (EARLY, 1, "Derby", ts("2026-11-02 09:00:48"), "CARD", Decimal("4.50"), 2),
        (EARLY, 2, "Derby", ts("2026-11-02 09:05:00"), "CASH", Decimal("2.75"), 1),
        (SHEET, 2, "York", ts("2026-11-02 09:00"), "CARD", Decimal("4.50"), 2),
        (SHEET, 3, "York", ts("2026-11-02 13:07"), "CASH", Decimal("2.05"), 1),
        (OLD, 2, "Bath", ts("2026-11-02 10:00"), "CASH", Decimal("4.50"), 2),
        (WORDS, 2, "Hull", ts("2026-11-02 11:00"), "CASH", Decimal("2.05"), 1),
    ]
    columns = "source_file string, line_number long, branch_name string, sold_at timestamp, "
    columns += "payment_method string, total_amount decimal(10,2), item_count int"
    got = validated.where(F.col("source_file").isin(EARLY, SHEET, OLD, WORDS))
    assert got.where(F.col("reason").isNotNull()).count() == 0
    assert_df_equality(
        got.select(*[c.split()[0] for c in columns.split(", ")]),
        jvm_frame(spark, expected, columns),
        ignore_row_order=True,
        ignore_nullable=True,
    )
    # (file, line, item line, product, size, flavour, price)
    expected_items = [
        (EARLY, 1, 1, "Latte", "Large", None, Decimal("2.45")),
        (EARLY, 1, 2, "Cortado", None, None, Decimal("2.05")),
        (EARLY, 2, 1, "Frappes", "Regular", "Coffee", Decimal("2.75")),
        (SHEET, 2, 1, "Latte", "Large", None, Decimal("2.45")),
        (SHEET, 2, 2, "Cortado", None, None, Decimal("2.05")),
        (SHEET, 3, 1, "Cortado", None, None, Decimal("2.05")),
        (OLD, 2, 1, "Cortado", None, None, Decimal("2.05")),
        (OLD, 2, 2, "Latte", "Large", None, Decimal("2.45")),
        (WORDS, 2, 1, "Cortado", None, None, Decimal("2.05")),
    ]
    item_columns = "source_file string, row long, line_number int, product_name string, "
    item_columns += "size string, flavour string, unit_price decimal(10,2)"
    assert_df_equality(
        items.where(F.col("source_file").isin(EARLY, SHEET, OLD, WORDS)).select(
            *[c.split()[0] for c in item_columns.split(", ")]
        ),
        jvm_frame(spark, expected_items, item_columns),
        ignore_row_order=True,
        ignore_nullable=True,
    )


def test_header_names_never_decide_the_basket_grammar_and_padding_is_no_row(spark, loaded):
    """The old system's header over item baskets (3, 6 and 9 parts among them) and an Excel
    save's padding: every transaction exact, nothing quarantined, the padding not rows."""
    extracted, validated, items = loaded
    files = (OLD_ITEMS, PADDED)
    # (file, line, total, items, their prices' sum), worked out by hand from FILES
    expected = [
        (OLD_ITEMS, 2, Decimal("5.00"), 2, Decimal("5.00")),  # 2.40 + 2.60
        (OLD_ITEMS, 3, Decimal("5.20"), 3, Decimal("5.20")),  # 2.45 + 2.05 + 0.70
        # 2.15 + 2.45 + 2.05 + 1.50 + 2.00 + 0.70
        (OLD_ITEMS, 4, Decimal("10.85"), 6, Decimal("10.85")),
        # 3 x 1.50 + 3 x 2.30 + 3 x 3.25 = 4.50 + 6.90 + 9.75
        (OLD_ITEMS, 5, Decimal("21.15"), 9, Decimal("21.15")),
        (OLD_ITEMS, 6, Decimal("2.05"), 1, Decimal("2.05")),
        (PADDED, 2, Decimal("4.50"), 2, Decimal("4.50")),  # 2.45 + 2.05, then `,,,,`
        (PADDED, 3, Decimal("2.05"), 1, Decimal("2.05")),
        (PADDED, 4, Decimal("4.30"), 2, Decimal("4.30")),  # 2.15 + 2.15
    ]
    got = validated.where(F.col("source_file").isin(*files))
    assert got.where(F.col("reason").isNotNull()).count() == 0
    prices = items.groupBy(F.col("source_file"), F.col("row").alias("line_number")).agg(
        F.sum("unit_price").alias("prices")
    )
    columns = "source_file string, line_number long, total_amount decimal(10,2), "
    columns += "item_count int, prices decimal(20,2)"
    assert_df_equality(
        got.join(prices, ["source_file", "line_number"]).select(
            *[c.split()[0] for c in columns.split(", ")]
        ),
        jvm_frame(spark, expected, columns),
        ignore_row_order=True,
        ignore_nullable=True,
    )
    # The 7 padding rows are the folder's only blank lines (the other files end in one
    # line end); the row with empty fields after its seventh is a seven-field row.
    assert extracted.blank_rows == 7
    assert got.where((F.col("source_file") == PADDED) & (F.col("field_count") == 7)).count() == 3


def test_each_line_votes_for_its_files_basket_grammar_by_how_its_basket_ends(spark):
    cases = [  # (line, vote: 1 items, 2 triples, 0 neither)
        (f"{OLD_HEADER}", 0),
        ('02/11/2026 09:00,Bath,A B,"Regular Latte - £2.40, Mocha - £2.60",5.00,CARD,1', 1),
        ("02/11/2026 09:00,Bath,A B,Cortado - 2.05,2.05,CASH,", 1),
        ('01/03/2021 09:00  ,York ,A B ,"Large Latte - 2.45"      ,2.45  ,CARD ,1 ', 1),
        (f'2026-11-02 09:00:48,Derby,A B,"Large,Latte,2.45,,Cortado,2.05",CARD,4.50,{CARD}', 2),
        ('2026-11-02 09:00:48,Derby,A B,"Regular,Frappes - Coffee,2.75"  ,CASH,2.75,None', 2),
        ('2026-11-02 09:00:48,Derby,A B,",Cortado,£2.05",CASH,2.05,None', 2),
        ('2026-11-02 09:00:48,Derby,A B,"Cortado - 2.05",CASH,2.05,None', 1),
        ('2026-11-02 09:00:48,Derby,A B,"Large,Latte,abc",CASH,2.45,None', 0),
        ("2026-11-02 09:00:48,Derby,A B,,CASH,0.00,None", 0),
        ("02/11/2026 09:00,Bath,A B,,0.00,CASH,", 0),
        ('02/11/2026 09:00,Bath,A B,"Latte - 2.00, Mocha",2.00,CARD,1', 1),  # holds an item
    ]
    frame = jvm_frame(spark, cases, "line string, expected int")
    result = frame.withColumn("vote", raw.scan.basket_vote(F.col("line")))
    assert_column_equality(result, "vote", "expected")


def test_headers_in_any_words_are_not_rows(loaded):
    extracted, validated, _ = loaded
    first_lines = validated.where(
        (F.col("line_number") == 1) & F.col("source_file").isin(SHEET, SHEET_BROKEN, OLD, WORDS)
    )
    assert first_lines.count() == 0
    assert extracted.data_rows == validated.count()


def test_every_declared_layout_loads_its_example(loaded):
    _, validated, _ = loaded
    keys = sorted(_example_files())
    got = validated.where(F.col("source_file").isin(*keys)).select("source_file", "reason")
    assert sorted((r.source_file, r.reason) for r in got.collect()) == [(k, None) for k in keys]


def test_broken_rows_of_new_layouts_get_the_same_reasons(spark, loaded):
    _, validated, _ = loaded
    expected = [
        (EARLY_BROKEN, 1, None),
        (EARLY_BROKEN, 2, "wrong_field_count"),
        (EARLY_BROKEN, 3, "bad_timestamp"),  # 31 February
        (EARLY_BROKEN, 4, "bad_timestamp"),  # 25:00
        (EARLY_BROKEN, 5, "missing_branch"),
        (EARLY_BROKEN, 6, "bad_total"),
        (EARLY_BROKEN, 7, "bad_payment_method"),
        (EARLY_BROKEN, 8, "empty_basket"),
        (EARLY_BROKEN, 9, "bad_item"),  # not whole triples
        (EARLY_BROKEN, 10, "bad_item"),  # a price that is no amount
        (EARLY_BROKEN, 11, "total_mismatch"),
        (SHEET_BROKEN, 2, None),
        (SHEET_BROKEN, 3, "bad_timestamp"),
        (SHEET_BROKEN, 4, "bad_timestamp"),
        (SHEET_BROKEN, 5, "total_mismatch"),
        # one grammar per file, its majority's: the other grammar's baskets are bad items
        (MIXED_TRIPLES, 1, None),
        (MIXED_TRIPLES, 2, None),
        (MIXED_TRIPLES, 3, None),
        (MIXED_TRIPLES, 4, "bad_item"),
        (MIXED_TRIPLES, 5, "bad_item"),
        (MIXED_ITEMS, 2, None),
        (MIXED_ITEMS, 3, None),
        (MIXED_ITEMS, 4, "bad_item"),
    ]
    broken = (EARLY_BROKEN, SHEET_BROKEN, MIXED_TRIPLES, MIXED_ITEMS)
    got = validated.where(F.col("source_file").isin(*broken))
    assert_df_equality(
        got.select("source_file", "line_number", "reason"),
        jvm_frame(spark, expected, "source_file string, line_number long, reason string"),
        ignore_row_order=True,
        ignore_nullable=True,
    )
    # The card number of a quarantined early row is not in its quarantine copy.
    redacted = [r.raw_row for r in got.where(F.col("reason").isNotNull()).collect()]
    assert all("4000000000000002" not in r and "Ann Example" not in r for r in redacted)


def test_stream_objects_with_the_old_system_names(spark):
    old = dict(
        zip(
            LAYOUTS[3].header,
            [
                "2026-11-02 10:00:00",
                "Bath",
                "Cat Example",
                ",Cortado,2.05,Large,Latte,2.45",
                "4.50",
                "CASH",
                "None",
            ],
            strict=True,
        )
    )
    till = ["02/11/2026 11:00", "Hull", "Dan Example", "Cortado - 2.05", "2.05", "CASH", ""]
    cases = [  # (record, expected fields in RAW_FIELDS order)
        (
            old,
            [
                "2026-11-02 10:00:00",
                "Bath",
                "Cat Example",
                "Cortado - 2.05, Large Latte - 2.45",
                "4.50",
                "CASH",
                "None",
            ],
        ),
        (  # the old names over an items basket of three parts: no triples
            {**old, "basket": "Latte - 2.15, Cortado - 2.05, Mocha - 2.30", "pay_amount": "6.50"},
            [
                "2026-11-02 10:00:00",
                "Bath",
                "Cat Example",
                "Latte - 2.15, Cortado - 2.05, Mocha - 2.30",
                "6.50",
                "CASH",
                "None",
            ],
        ),
        (dict(zip(LAYOUTS[1].header, till, strict=True)), till),
        (dict(zip(RAW_FIELDS, till, strict=True)), till),
        (till, till),
        (  # an array in the early-2021 order, told by its own last field
            [
                "2026-11-02 10:00:00",
                "Bath",
                "Cat Example",
                "Large,Latte,2.45",
                "CARD",
                "2.45",
                "visa,4000000000000002",
            ],
            [
                "2026-11-02 10:00:00",
                "Bath",
                "Cat Example",
                "Large Latte - 2.45",
                "2.45",
                "CARD",
                "visa,4000000000000002",
            ],
        ),
    ]
    records = jvm_frame(
        spark,
        [(json.dumps(r), "shard-0", str(i), 0) for i, (r, _) in enumerate(cases)],
        stream.RECORD_SCHEMA,
    )
    rows, malformed = stream.records_to_raw_rows(records, "s")
    assert malformed.count() == 0
    got = rows.select(
        F.element_at(F.split("source_file", "/"), -1).cast("int").alias("i"), "fields"
    )
    assert_df_equality(
        got,
        jvm_frame(
            spark,
            [(i, fields) for i, (_, fields) in enumerate(cases)],
            "i int, fields array<string>",
        ),
        ignore_row_order=True,
        ignore_nullable=True,
    )


def test_the_replay_skips_headers_in_any_words_as_the_extract_does(tmp_path):
    from cafe_etl.devtools import replay

    row = "8/8/2023 9:00,Leeds,Jo Bloggs,Latte - 2.45,2.45,CASH,"
    write_raw(
        tmp_path, "2023/08/08/a.csv", f" time, branch, name, basket, total, pay, card\n{row}\n"
    )
    write_raw(tmp_path, "2023/08/08/b.csv", f"{row}\n{row}\n")  # no header: both lines are rows
    rows = list(replay.read_raw_rows(tmp_path))
    assert [r[0] for r in rows] == ["8/8/2023 9:00"] * 3
