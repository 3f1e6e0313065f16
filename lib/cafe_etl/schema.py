"""The one place that names every raw field, lake table, warehouse table and quarantine reason."""

from __future__ import annotations

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

# Header names seen in the field, by export generation (first row of a file).
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "2020": RAW_FIELDS,
    "2022": (
        "timestamp",
        "store",
        "customer_name",
        "basket_items",
        "total_price",
        "cash_or_card",
        "card_number",
    ),
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
