"""The one place that names every raw field, lake table, warehouse table and quarantine reason."""

from __future__ import annotations

from dataclasses import dataclass

# The seven raw fields, in the order every till export writes them.
RAW_FIELDS: tuple[str, ...] = (
    "timestamp",
    "branch",
    "customer_name",
    "basket",
    "total",
    "payment_method",
    "card_number",
)
# Fields that hold personal data: never written past the raw zone.
PERSONAL_FIELDS: frozenset[str] = frozenset({"customer_name", "card_number"})

# ---- Layouts: every till export seen in the field, each declared once here ----------------
# A layout is the order of its fields, the header it may carry and its timestamp formats.
# Header names say which field is which, never how a basket is written: the same names come
# with either basket grammar, so extract reads a file's grammar from its baskets. Extract
# maps every row to RAW_FIELDS order and the ITEMS grammar, so that transform sees one
# shape. A new export variant is one more Layout here, plus a test.

# Timestamp formats, each with the text that marks its shape (tried in this order; the
# empty marker catches the rest). One letter (d, M, H) takes one or two digits, so UK dates
# with or without leading zeros (`8/8/2023 9:00`, `08/08/2023 09:00`) are one format;
# `[:ss]` makes the seconds optional. 31/02 or 25:00 do not parse.
TS_UK = "d/M/yyyy H:mm[:ss]"
TS_ISO_T = "yyyy-MM-dd'T'HH:mm[:ss]"
TS_ISO = "yyyy-MM-dd HH:mm[:ss]"
TIMESTAMP_SHAPES: tuple[tuple[str, str], ...] = (("/", TS_UK), ("T", TS_ISO_T), ("", TS_ISO))

# Basket grammars, one per file (raw.scan decides it from the file's baskets, whatever its
# layout). Items: `[Size ]Product[ - Flavour] - Price` items joined by `, `.
# Triples: flat `size,product,price` triples in one field, size may be empty
# (`Large,Latte,2.45,,Cortado,2.05`); the product part may carry ` - Flavour`.


@dataclass(frozen=True)
class Layout:
    name: str
    order: tuple[str, ...]  # the RAW_FIELDS name of each field, in the file's order
    header: tuple[str, ...] | None  # its header names (lower case), None if it has none
    timestamp_formats: tuple[str, ...]  # each one of TIMESTAMP_SHAPES
    example: str  # one data line, no real name or card number


_EARLY_ORDER = (
    "timestamp",
    "branch",
    "customer_name",
    "basket",
    "payment_method",
    "total",
    "card_number",
)
# Index 0 is the default: a file with no recognised header and no other shape.
LAYOUTS: tuple[Layout, ...] = (
    # 2020 (header, £ prices), 2021 (fixed width, no header), spreadsheet re-saves (BOM,
    # CRLF, E-notation cards, whole-pound totals, dates without leading zeros).
    Layout(
        "2020",
        RAW_FIELDS,
        RAW_FIELDS,
        (TS_UK, TS_ISO_T, TS_ISO),
        "8/8/2023 9:00,Leeds,Ann Example,"
        '"Large Latte - 2.45, Frappes - Coffee - 2.75",5.2,CARD,4.00E+15',
    ),
    Layout(
        "2022",
        RAW_FIELDS,
        (
            "timestamp",
            "store",
            "customer_name",
            "basket_items",
            "total_price",
            "cash_or_card",
            "card_number",
        ),
        (TS_ISO_T, TS_ISO, TS_UK),
        "2026-11-02T09:00:48,Leeds,Ann Example,Cortado - 2.05,2.05,CASH,",
    ),
    # Early 2021: no header, CRLF, payment before total, card `"<network>,<number>"` or
    # `None`, baskets as triples. Told from the others by its shape: its lines end in that
    # card field.
    Layout(
        "early_2021",
        _EARLY_ORDER,
        None,
        (TS_ISO,),
        '2021-02-23 09:00:48,Leeds,Ann Example,"Large,Latte,2.45,,Cortado,2.05",'
        'CARD,4.50,"visa,4000000000000000"',
    ),
    # The old system's own field names (the system that wrote the early-2021 exports),
    # as a CSV header or as the keys of a JSON-object stream record; seen over baskets in
    # either grammar (its example is in triples).
    Layout(
        "old_system",
        RAW_FIELDS,
        ("date", "location", "customer_name", "basket", "pay_amount", "payment_method", "ccn"),
        (TS_ISO, TS_UK, TS_ISO_T),
        '2021-02-23 09:00:48,Leeds,Ann Example,"Regular,Frappes - Coffee,2.75",2.75,CASH,None',
    ),
)
LAYOUT_INDEX: dict[str, int] = {layout.name: i for i, layout in enumerate(LAYOUTS)}
EARLY_2021 = LAYOUT_INDEX["early_2021"]
# Header names seen in the field, by layout (first row of a file, or a stream object's keys).
# A field that is a number, a time, a date or an amount (`5`, `2.45`, `9:00`, `8/8/2023`),
# standing alone rather than inside a word (`card_number_16` is a name). A first line with
# none is a header, whatever its words: no data row lacks a timestamp and an amount.
NUMBER_LIKE = r"(?:^|[^0-9A-Za-z_])[0-9]+(?:[.:/-][0-9]+)*(?:[^0-9A-Za-z_]|$)"

HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    layout.name: layout.header for layout in LAYOUTS if layout.header
}

# Lake tables (folders under the lake URI).
LAKE_TRANSACTIONS = "transactions"
LAKE_BASKET_ITEMS = "basket_items"
LAKE_QUARANTINE = "quarantine"
LAKE_RUNS = "_runs"
LAKE_TABLES: tuple[str, ...] = (LAKE_TRANSACTIONS, LAKE_BASKET_ITEMS, LAKE_QUARANTINE)
# Hive partition column of each lake table.
LAKE_PARTITION_COLUMN: dict[str, str] = {
    LAKE_TRANSACTIONS: "sale_date",
    LAKE_BASKET_ITEMS: "sale_date",
    LAKE_QUARANTINE: "file_date",
}

# Quarantine reasons, in the order they are tested: a row gets the first that applies.
ROW_REASONS: tuple[str, ...] = (
    "wrong_field_count",
    "bad_timestamp",
    "missing_branch",
    "bad_total",
    "bad_payment_method",
    "empty_basket",
    "bad_item",
    "total_mismatch",
)
FILE_REASON_UNREADABLE = "unreadable_file"
# A Kinesis record that is not JSON, or neither an array nor an object.
STREAM_REASON_MALFORMED = "malformed_record"
QUARANTINE_REASONS: tuple[str, ...] = ROW_REASONS + (
    FILE_REASON_UNREADABLE,
    STREAM_REASON_MALFORMED,
)

PAYMENT_METHODS: tuple[str, ...] = ("CASH", "CARD")
SIZES: tuple[str, ...] = ("Regular", "Large")
UNKNOWN_REGION = "Unknown"
