"""Data lines of any export layout → raw rows in one field order (RAW_ROW_SCHEMA)."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from cafe_etl.schema import LAYOUTS, RAW_FIELDS
from cafe_etl.transform.rows import PRICE, basket_is_valid

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
_BARE_PRICE = "^" + PRICE + "$"
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


def whole_triples(basket: Column) -> Column:
    """Whether a basket is whole TRIPLES (`Large,Latte,2.45,,Cortado,2.05`): not empty, its
    comma-separated parts a multiple of three, every third part a price (transform.PRICE).
    No basket in the ITEMS grammar is whole triples: none of its parts is a bare price.
    """
    parts = F.split(basket, ",")
    n = F.size(parts)
    prices = F.sequence(F.lit(3), F.greatest(n, F.lit(3)), F.lit(3))
    return (
        (F.trim(basket) != "")
        & (n % 3 == 0)
        & F.forall(prices, lambda i: F.trim(F.try_element_at(parts, i)).rlike(_BARE_PRICE))
    )


def triples_to_items(basket: Column) -> Column:
    """A basket of a TRIPLES file in the ITEMS grammar: whole triples
    (`Large,Latte,2.45,,Cortado,2.05`) become items (`Large Latte - 2.45, Cortado - 2.05`),
    so that one definition of an item (transform's ITEM_PATTERN) validates, totals and
    splits every file's baskets. Any other basket is not in its file's grammar: it is left
    as written, so it fails as an item (`bad_item`) or is empty (`empty_basket`), the same
    reasons as in an items file; one that would pass as items gets an empty last item
    (`Cortado - 2.05,`), so that it fails too: a file has one grammar, never one per row.
    """
    return (
        F.when(whole_triples(basket), _joined_items(basket))
        .when(basket_is_valid(basket), F.concat(basket, F.lit(",")))
        .otherwise(basket)
    )


def _joined_items(basket: Column) -> Column:
    """Whole triples (whole_triples) as items: `size,product,price` → `[Size ]Product -
    Price`, joined by `, `."""
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

    items = F.transform(F.sequence(F.lit(0), (n / 3).cast("int") - 1), item)
    return F.array_join(items, ", ")


def to_canonical(fields: Column, layout: Column, triples: Column | None = None) -> Column:
    """A row's fields as its layout (index in schema.LAYOUTS) wrote them → RAW_FIELDS order
    and the ITEMS basket grammar. `triples`: whether the row's file writes its baskets as
    triples (scan decides it per file, from the baskets); None: the row's own basket decides
    (a stream record is the whole of its "file"). Only a row with exactly the seven fields is
    mapped: with any other count nobody knows which field is which (`wrong_field_count`).
    """
    cols = []
    for name in RAW_FIELDS:
        position = None
        for i, spec in enumerate(LAYOUTS):
            if spec.order.index(name) == RAW_FIELDS.index(name):
                continue
            test, at = layout == i, F.lit(spec.order.index(name) + 1)
            position = F.when(test, at) if position is None else position.when(test, at)
        default = F.lit(RAW_FIELDS.index(name) + 1)
        cols.append(
            F.try_element_at(fields, default if position is None else position.otherwise(default))
        )
    at = RAW_FIELDS.index("basket")
    basket = cols[at]
    if triples is None:
        # Not triples_to_items: it would test whole_triples again, on every stream record.
        cols[at] = F.when(whole_triples(basket), _joined_items(basket)).otherwise(basket)
    else:
        cols[at] = F.when(triples, triples_to_items(basket)).otherwise(basket)
    return F.when(F.size(fields) != len(RAW_FIELDS), fields).otherwise(F.array(*cols))


def parse_rows(data: DataFrame) -> DataFrame:
    """Data lines (source_file, file_date, line_number, text, and their file's layout and
    triples, as scan decides them) → raw rows (RAW_ROW_SCHEMA), in RAW_FIELDS order and
    the ITEMS basket grammar whatever the file's layout and basket grammar.

    The CSV parse and the field count are computed once each in their own projection and
    only then read field by field (Spark keeps a projection apart rather than copy an
    expensive expression into each of its uses).
    """
    parsed = data.select(
        "source_file",
        "file_date",
        "line_number",
        F.col("layout").alias("_layout"),
        F.col("triples").alias("_triples"),
        F.from_csv(F.col("text"), _PARSE_SCHEMA, CSV_OPTIONS).alias("_p"),
        field_count(F.col("text")).alias("_n"),
        F.col("text").alias("_text"),
    )
    # A quoted field the regex could not close shows up as an extra parsed column.
    last = F.col(f"_p.c{MAX_PARSED_FIELDS - 1}")
    count = F.when(last.isNotNull(), F.greatest("_n", F.lit(MAX_PARSED_FIELDS))).otherwise(
        F.col("_n")
    )
    # A spreadsheet pads a row to the sheet's widest row (`…,CARD,1E+15,,,,`): empty fields
    # after the seventh are not fields. Counted only on the rare rows of more than seven.
    seven = F.lit(len(RAW_FIELDS))
    count = F.when(
        count > seven, F.greatest(count - trailing_empty_fields(F.col("_text")), seven)
    ).otherwise(count)
    fields = F.array(*[F.coalesce(F.col(f"_p.c{i}"), F.lit("")) for i in range(MAX_PARSED_FIELDS)])
    counted = parsed.select("*", count.alias("_count"))
    # The row's fields in their own projection too: to_canonical reads them once per
    # layout and field, and a column (not an expression) is not copied into each read.
    sliced = counted.select(
        "source_file",
        "file_date",
        "line_number",
        "_layout",
        "_triples",
        "_count",
        F.slice(fields, 1, F.least("_count", F.lit(MAX_PARSED_FIELDS))).alias("_fields"),
    )
    return sliced.select(
        F.lit("batch").alias("source"),
        "source_file",
        "file_date",
        F.col("line_number").cast("long").alias("line_number"),
        F.col("_count").alias("field_count"),
        to_canonical(F.col("_fields"), F.col("_layout"), F.col("_triples")).alias("fields"),
    )


def trailing_empty_fields(line: Column) -> Column:
    """Empty fields (commas and spaces) at the end of a line. Read from the reversed line,
    so the pattern is anchored: at the end of the line it would be retried at every comma
    of a long run of them."""
    tail = F.regexp_extract(F.reverse(line), r"^[\s,]*+", 0)
    return (F.length(tail) - F.length(F.replace(tail, F.lit(","), F.lit("")))).cast("int")
