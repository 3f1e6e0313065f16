"""Raw rows → transactions, basket items and quarantine. Pure DataFrame functions.

Native Spark SQL functions only (higher-order functions for the basket, no Python UDFs).
Functions that need a parameter (the salt, the region table) return the DataFrame ->
DataFrame function, so every step composes with `DataFrame.transform`.

Modules: rows.py (validation, de-duplication, quarantine and the column helpers they use)
and items.py (basket items and products). Imports only reference and schema: a transform
reads no file and writes nothing.
"""

from cafe_etl.transform.items import (
    basket_items,
    exploded_items,
    item_catalog,
    product_id,
    product_key,
    product_spellings,
)
from cafe_etl.transform.rows import (
    ITEM_PATTERN,
    ITEM_SHAPE,
    MONEY,
    PRICE,
    PRICE_SUFFIX,
    QUARANTINE_COLUMNS,
    REDACTED,
    SEP,
    SUM_MONEY,
    TIMESTAMP_FORMATS,
    TRANSACTION_COLUMNS,
    Transform,
    basket_is_valid,
    items_total,
    named_fields,
    parse_item,
    parse_timestamp,
    parse_total,
    quarantine,
    quarantine_reason,
    redacted_row,
    salted_hash,
    transactions,
    unique_transactions,
    unreadable_quarantine,
    validate,
)

__all__ = [
    "ITEM_PATTERN",
    "ITEM_SHAPE",
    "MONEY",
    "PRICE",
    "PRICE_SUFFIX",
    "QUARANTINE_COLUMNS",
    "REDACTED",
    "SEP",
    "SUM_MONEY",
    "TIMESTAMP_FORMATS",
    "TRANSACTION_COLUMNS",
    "Transform",
    "basket_is_valid",
    "basket_items",
    "exploded_items",
    "item_catalog",
    "items_total",
    "named_fields",
    "parse_item",
    "parse_timestamp",
    "parse_total",
    "product_id",
    "product_key",
    "product_spellings",
    "quarantine",
    "quarantine_reason",
    "redacted_row",
    "salted_hash",
    "transactions",
    "unique_transactions",
    "unreadable_quarantine",
    "validate",
]
