"""Raw rows → validated rows, unique transactions and quarantine; and the column helpers."""

from __future__ import annotations

from collections.abc import Callable

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from cafe_etl.reference import Regions, region_column
from cafe_etl.schema import PAYMENT_METHODS, RAW_FIELDS, TIMESTAMP_SHAPES

Transform = Callable[[DataFrame], DataFrame]

MONEY = "decimal(10,2)"
SUM_MONEY = "decimal(12,2)"
REDACTED = "[redacted]"
# Till timestamps, as the layouts declare them (schema.TIMESTAMP_SHAPES).
TIMESTAMP_FORMATS = tuple(fmt for _, fmt in TIMESTAMP_SHAPES)
# A total: digits with at most two decimals, an optional pound sign, never negative.
_TOTAL = r"^£?([0-9]{1,8}(\.[0-9]{1,2})?)$"
# One basket item, `[Size ]Product[ - Flavour] - Price` (the price is the last ` - ` part).
# The one definition of an item: validation (as ITEM_SHAPE), totals (by PRICE_SUFFIX) and
# basket_items all follow it; test_transform ties the two shorter patterns to it.
ITEM_PATTERN = r"^(?:(Regular|Large) )?(.+?)(?: - (.+?))? - £?([0-9]{1,6}(?:\.[0-9]{1,2})?)$"
# An item's price as written (its group: the amount without the pound sign), and the same
# at the end of an item. Extract reads a triples basket's prices with PRICE too.
PRICE = r"£?([0-9]{1,6}(?:\.[0-9]{1,2})?)"
PRICE_SUFFIX = r" - " + PRICE + "$"
# Whether text matches ITEM_PATTERN, without its groups: before the price suffix, the
# optional size, the product and the optional flavour together match any text of one
# character or more, so they reduce to `.+`. The same matches with no lazy groups to
# backtrack through: the basket check over 1M rows took 1.44 s with ITEM_PATTERN and
# 0.80 s with this (warm session, 2026-11-26). test_transform checks they agree.
ITEM_SHAPE = r"^.+" + PRICE_SUFFIX
_HEAD = r"^(?:(Regular|Large) )?(.+?)(?: - (.+))?$"
# Anything that could be a card number: 13-19 digits (single spaces or dashes between them
# allowed), or E notation. The same shape as scanner.CARD_PATTERN.
_CARD_LIKE = r"(?<![0-9A-Za-z])(?:[0-9][ -]?){12,18}[0-9](?![0-9A-Za-z])"
_E_NOTATION = r"[0-9](\.[0-9]+)?[eE][+]?[0-9]+"
# In a row with the wrong number of fields nobody knows which field is the name, so a field
# survives into quarantine only if it has the shape of a non-personal field.
_SAFE_FIELD = r"^(|[0-9/:T .-]+|£?[0-9]+(\.[0-9]+)?|(?i:cash|card)|.* - £?[0-9]+(\.[0-9]{1,2})?.*)$"
SEP = "\u001f"  # joins fields before hashing; never typed at a till


def named_fields(raw: DataFrame) -> DataFrame:
    """The seven raw fields as trimmed named columns (missing ones empty)."""
    fields = [
        F.trim(F.coalesce(F.try_element_at("fields", F.lit(i + 1)), F.lit(""))).alias(name)
        for i, name in enumerate(RAW_FIELDS)
    ]
    return raw.select("*", *fields)


def parse_timestamp(col: Column) -> Column:
    """The timestamp in the one format its shape allows (schema.TIMESTAMP_SHAPES), or null.

    Each format can match only text of its own shape ('/' for the UK form, 'T' or a space
    for the ISO forms), so the text's shape picks the one format worth trying: a failed
    parse costs an exception inside Spark, and most rows would pay for one or two.
    """
    chain = None
    for marker, fmt in TIMESTAMP_SHAPES:
        value = F.try_to_timestamp(col, F.lit(fmt))
        if not marker:  # the last shape: whatever the markers before did not catch
            return value if chain is None else chain.otherwise(value)
        test = col.contains(marker)
        chain = F.when(test, value) if chain is None else chain.when(test, value)
    return chain


def parse_total(col: Column) -> Column:
    """decimal(10,2), or null when the text is not a non-negative amount."""
    return F.when(col.rlike(_TOTAL), F.regexp_extract(col, _TOTAL, 1).cast(MONEY))


def parse_item(text: Column) -> Column:
    """One item's text → struct<size, product_name, flavour, unit_price> (nulls if bad).

    Whether an item is good is ITEM_PATTERN's match (tested as ITEM_SHAPE). The groups are
    taken in two short steps (the price suffix, then size/product/flavour from what precedes
    it), which gives the same groups for a matching item with far less backtracking than one
    regex.
    """
    text = F.trim(text)
    valid = text.rlike(ITEM_SHAPE)
    head = F.regexp_replace(text, PRICE_SUFFIX, "")

    def part(i: int) -> Column:
        value = F.regexp_extract(head, _HEAD, i)
        return F.when(valid & (value != ""), value)

    return F.struct(
        part(1).alias("size"),
        part(2).alias("product_name"),
        part(3).alias("flavour"),
        F.when(valid, F.regexp_extract(text, PRICE_SUFFIX, 1).cast(MONEY)).alias("unit_price"),
    )


def _items(basket: Column) -> Column:
    return F.split(basket, ",")


def basket_is_valid(basket: Column) -> Column:
    """Every comma-separated item has the item shape: the same test parse_item applies."""
    return F.forall(_items(basket), lambda item: F.trim(item).rlike(ITEM_SHAPE))


def items_total(basket: Column) -> Column:
    """Sum of the item prices of a valid basket: each item's price suffix, as parse_item
    takes it (for a valid item, ITEM_PATTERN's price group; 1.52 s against 0.98 s over 1M
    rows with ITEM_PATTERN's own group, warm session, 2026-11-26)."""
    return F.aggregate(
        _items(basket),
        F.lit(0).cast(SUM_MONEY),
        lambda acc, item: (acc + F.regexp_extract(F.trim(item), PRICE_SUFFIX, 1).cast(MONEY)).cast(
            SUM_MONEY
        ),
    )


def salted_hash(salt: str, *cols: Column) -> Column:
    return F.sha2(F.concat_ws(SEP, F.lit(salt), *cols), 256)


def quarantine_reason(row: dict[str, Column]) -> Column:
    """The first rule a row breaks (schema.ROW_REASONS order), or null for a good row."""
    off_day = row["file_date"].isNotNull() & (F.to_date(row["sold_at"]) != row["file_date"])
    return (
        F.when(row["field_count"] != len(RAW_FIELDS), "wrong_field_count")
        .when(row["sold_at"].isNull() | off_day, "bad_timestamp")
        .when(row["branch"] == "", "missing_branch")
        .when(row["total_amount"].isNull(), "bad_total")
        .when(~row["payment_method"].isin(*PAYMENT_METHODS), "bad_payment_method")
        .when(row["basket"] == "", "empty_basket")
        .when(~basket_is_valid(row["basket"]), "bad_item")
        .when(F.abs(items_total(row["basket"]) - row["total_amount"]) > 0.01, "total_mismatch")
    )


def redacted_row(fields: Column, field_count: Column) -> Column:
    """The raw row for quarantine, without the name and the card number.

    Seven fields: the name and card positions are blanked. Any other count: only fields
    shaped like a timestamp, amount, payment method or basket survive. Card-like digit
    runs are masked everywhere.
    """
    name_pos, card_pos = RAW_FIELDS.index("customer_name"), RAW_FIELDS.index("card_number")

    def one(value: Column, pos: Column) -> Column:
        masked = F.regexp_replace(
            F.regexp_replace(value, _CARD_LIKE, REDACTED), _E_NOTATION, REDACTED
        )
        personal_slot = (field_count == len(RAW_FIELDS)) & pos.isin(name_pos, card_pos)
        unknown_shape = (field_count != len(RAW_FIELDS)) & ~F.trim(value).rlike(_SAFE_FIELD)
        return F.when(personal_slot | unknown_shape, F.lit(REDACTED)).otherwise(masked)

    return F.to_json(F.transform(fields, one))


def validate(salt: str, regions: Regions) -> Transform:
    """Raw rows → one row per raw row, parsed, with `reason` null when it is good.

    Personal fields leave here only as a salted customer key; the quarantine's copy of
    the row is redacted. `regions` is (town or branch, region) reference data
    (reference.read_regions); a branch resolves through its city (reference.py).
    """

    def _validate(raw: DataFrame) -> DataFrame:
        # Parse each field once; the rules below read the parsed columns.
        parsed = named_fields(raw).select(
            "source",
            "source_file",
            "file_date",
            "line_number",
            "field_count",
            "fields",
            "basket",
            F.col("branch").alias("branch_name"),
            parse_timestamp(F.col("timestamp")).alias("sold_at"),
            F.upper(F.col("payment_method")).alias("payment_method"),
            parse_total(F.col("total")).alias("total_amount"),
            salted_hash(salt, *[F.col(name) for name in RAW_FIELDS]).alias("transaction_id"),
            F.when(
                F.col("customer_name") != "",
                salted_hash(salt, F.lit("customer"), F.lower(F.col("customer_name"))),
            ).alias("customer_key"),
        )
        rules = {
            name: F.col(name)
            for name in (
                "field_count",
                "file_date",
                "sold_at",
                "total_amount",
                "payment_method",
                "basket",
            )
        }
        rules["branch"] = F.col("branch_name")
        parsed = parsed.withColumn("reason", quarantine_reason(rules))
        return parsed.select(
            "source",
            "source_file",
            "file_date",
            "line_number",
            "field_count",
            "reason",
            F.when(
                F.col("reason").isNotNull(), redacted_row(F.col("fields"), F.col("field_count"))
            ).alias("raw_row"),
            "transaction_id",
            F.xxhash64("branch_name").alias("branch_id"),
            "branch_name",
            region_column(F.col("branch_name"), regions).alias("region"),
            "sold_at",
            F.to_date("sold_at").alias("sale_date"),
            "payment_method",
            "total_amount",
            F.size(F.split("basket", ",")).alias("item_count"),
            "customer_key",
            "basket",
        )

    return _validate


TRANSACTION_COLUMNS = (
    "transaction_id",
    "branch_id",
    "branch_name",
    "region",
    "sold_at",
    "payment_method",
    "total_amount",
    "item_count",
    "customer_key",
    "source",
    "source_file",
    "line_number",
    "sale_date",
)


def unique_transactions(validated: DataFrame, files_per_day: int = 1) -> DataFrame:
    """Good rows, one per transaction_id; provenance is the first (source_file, line_number).

    Identical seven fields give the same id, so the other rows are the duplicates. Every
    column but the provenance is a function of those fields, so any copy's value is the
    value; the provenance is the smallest.

    The rows are shuffled once, by (sale_date, bucket of the id): copies of a transaction
    share both, so the de-duplication needs no second shuffle, and the lake writer finds
    the rows already grouped by day (`files_per_day` files per day partition). Keeps the
    basket for `basket_items`.
    """
    bucket = F.pmod(F.xxhash64("transaction_id"), F.lit(max(1, files_per_day))).alias("_bucket")
    clustered = (
        validated.where(F.col("reason").isNull())
        .select(*TRANSACTION_COLUMNS, "basket", bucket)
        .repartition("sale_date", "_bucket")
    )
    # The window's partitioning is met by the shuffle above: no second exchange. A
    # row_number over a sort is about three times faster here than grouping with first()
    # of every column, which Spark can only run as a sort-based aggregate.
    copies = Window.partitionBy("sale_date", "_bucket", "transaction_id").orderBy(
        "source_file", "line_number"
    )
    return (
        clustered.select("*", F.row_number().over(copies).alias("_copy"))
        .where(F.col("_copy") == 1)
        .drop("_copy", "_bucket")
    )


def transactions(unique: DataFrame) -> DataFrame:
    """The lake's transactions table."""
    return unique.select(
        *[
            F.col(c).alias("source_line") if c == "line_number" else F.col(c)
            for c in TRANSACTION_COLUMNS
        ]
    )


QUARANTINE_COLUMNS = (
    "reason",
    "source",
    "source_file",
    "line_number",
    "field_count",
    "raw_row",
    "file_date",
)


def quarantine(validated: DataFrame) -> DataFrame:
    """Rows that broke a rule, with reason, provenance and the redacted raw row."""
    return validated.where(F.col("reason").isNotNull()).select(*QUARANTINE_COLUMNS)


def unreadable_quarantine(files: DataFrame, source: str = "batch") -> DataFrame:
    """One quarantine record per unreadable file (source_file, file_date)."""
    return files.select(
        F.lit("unreadable_file").alias("reason"),
        F.lit(source).alias("source"),
        "source_file",
        F.lit(None).cast("long").alias("line_number"),
        F.lit(None).cast("int").alias("field_count"),
        F.lit(None).cast("string").alias("raw_row"),
        "file_date",
    )
