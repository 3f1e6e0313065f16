"""Data lines of any export layout → raw rows in one field order (RAW_ROW_SCHEMA)."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from cafe_etl.schema import BASKET_TRIPLES, LAYOUTS, RAW_FIELDS

# Enough parsed columns to see a row with too many fields; the count comes separately.
MAX_PARSED_FIELDS = 9
# Spark's CSV parser, as `from_csv`: the same univocity parser as spark.read.csv, applied
# to lines read by the text source so that every row keeps its file and line number.
CSV_OPTIONS = {
    "sep": ",",
    "quote": '"',
    "escape": '"',
    "ignoreLeadingWhiteSpace": "true",
    "ignoreTrailingWhiteSpace": "true",  # fixed-width 2021 exports pad every field
    "mode": "PERMISSIVE",
}
_PARSE_SCHEMA = ", ".join(f"c{i} STRING" for i in range(MAX_PARSED_FIELDS))
# Quoted fields collapse to one character so the commas left are the field separators
# (an escaped quote "" just splits a field into two quoted runs: the count is the same).
_QUOTED_FIELD = r'"[^"]*+"'
RAW_ROW_SCHEMA = T.StructType(
    [
        T.StructField("source", T.StringType(), False),
        T.StructField("source_file", T.StringType(), False),
        T.StructField("file_date", T.DateType(), True),
        T.StructField("line_number", T.LongType(), False),
        T.StructField("field_count", T.IntegerType(), False),
        T.StructField("fields", T.ArrayType(T.StringType(), False), False),
    ]
)


def field_count(line: Column) -> Column:
    """Fields in a CSV line: separators outside quoted fields, plus one."""
    return F.size(F.split(F.regexp_replace(line, _QUOTED_FIELD, "Q"), ",")).cast("int")


def triples_to_items(basket: Column) -> Column:
    """A TRIPLES basket (`Large,Latte,2.45,,Cortado,2.05`) in the ITEMS grammar
    (`Large Latte - 2.45, Cortado - 2.05`), so that one definition of an item (transform's
    ITEM_PATTERN) validates, totals and splits every layout's baskets. A basket that is not
    whole triples is left as it is: its parts then fail as items (`bad_item`), or it is
    empty (`empty_basket`), the same reasons as in every other layout.
    """
    parts = F.transform(F.split(basket, ","), F.trim)
    n = F.size(parts)

    def item(i: Column) -> Column:
        size = F.try_element_at(parts, i * 3 + 1)
        return F.concat(
            F.when(size != "", F.concat(size, F.lit(" "))).otherwise(F.lit("")),
            F.try_element_at(parts, i * 3 + 2),
            F.lit(" - "),
            F.try_element_at(parts, i * 3 + 3),
        )

    whole = (n % 3 == 0) & (F.trim(basket) != "")
    items = F.transform(F.sequence(F.lit(0), (n / 3).cast("int") - 1), item)
    return F.when(whole, F.array_join(items, ", ")).otherwise(basket)


def to_canonical(fields: Column, layout: Column) -> Column:
    """A row's fields as its layout (index in schema.LAYOUTS) wrote them → RAW_FIELDS order
    and the ITEMS basket grammar. Only a row with exactly the seven fields is mapped: with
    any other count nobody knows which field is which (it is `wrong_field_count`).
    """
    mapped = None
    for i, spec in enumerate(LAYOUTS):
        if spec.order == RAW_FIELDS and spec.basket != BASKET_TRIPLES:
            continue
        cols = [F.try_element_at(fields, F.lit(spec.order.index(name) + 1)) for name in RAW_FIELDS]
        if spec.basket == BASKET_TRIPLES:
            at = RAW_FIELDS.index("basket")
            cols[at] = triples_to_items(cols[at])
        test = layout == i
        mapped = (
            F.when(test, F.array(*cols)) if mapped is None else mapped.when(test, F.array(*cols))
        )
    if mapped is None:
        return fields
    return F.when(F.size(fields) != len(RAW_FIELDS), fields).otherwise(mapped.otherwise(fields))


def parse_rows(data: DataFrame) -> DataFrame:
    """Data lines (source_file, file_date, line_number, text[, layout]) → raw rows
    (RAW_ROW_SCHEMA), in RAW_FIELDS order whatever the file's layout (default: index 0).

    The CSV parse and the field count are computed once each in their own projection and
    only then read field by field (Spark keeps a projection apart rather than copy an
    expensive expression into each of its uses).
    """
    layout = F.col("layout") if "layout" in data.columns else F.lit(0)
    parsed = data.select(
        "source_file",
        "file_date",
        "line_number",
        layout.alias("_layout"),
        F.from_csv(F.col("text"), _PARSE_SCHEMA, CSV_OPTIONS).alias("_p"),
        field_count(F.col("text")).alias("_n"),
    )
    # A quoted field the regex could not close shows up as an extra parsed column.
    last = F.col(f"_p.c{MAX_PARSED_FIELDS - 1}")
    count = F.when(last.isNotNull(), F.greatest("_n", F.lit(MAX_PARSED_FIELDS))).otherwise(
        F.col("_n")
    )
    fields = F.array(*[F.coalesce(F.col(f"_p.c{i}"), F.lit("")) for i in range(MAX_PARSED_FIELDS)])
    counted = parsed.select("*", count.alias("_count"))
    # The row's fields in their own projection too: to_canonical reads them once per
    # layout and field, and a column (not an expression) is not copied into each read.
    sliced = counted.select(
        "source_file",
        "file_date",
        "line_number",
        "_layout",
        "_count",
        F.slice(fields, 1, F.least("_count", F.lit(MAX_PARSED_FIELDS))).alias("_fields"),
    )
    return sliced.select(
        F.lit("batch").alias("source"),
        "source_file",
        "file_date",
        F.col("line_number").cast("long").alias("line_number"),
        F.col("_count").alias("field_count"),
        to_canonical(F.col("_fields"), F.col("_layout")).alias("fields"),
    )
