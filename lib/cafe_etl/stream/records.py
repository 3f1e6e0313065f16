"""Kinesis records → raw rows: a record is a JSON array or object of one till row."""

from __future__ import annotations

from typing import NamedTuple

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from cafe_etl import raw
from cafe_etl.schema import EARLY_2021, LAYOUTS, RAW_FIELDS, STREAM_REASON_MALFORMED

RECORD_SCHEMA = "data string, shard_id string, sequence_number string, arrival_ms long"
# The same columns as (name, Spark SQL type) pairs.
RECORD_COLUMNS = tuple(tuple(column.split()) for column in RECORD_SCHEMA.split(", "))


def records_to_raw_rows(records: DataFrame, stream_name: str) -> tuple[DataFrame, DataFrame]:
    """Records (RECORD_SCHEMA) → (raw rows, quarantine rows of malformed records).

    A record is a JSON array of the seven fields in file order, or a JSON object with the
    field names of a layout that has a header (schema.LAYOUTS: 2020, 2022 or the old
    system's names), mapped like a file of that layout. Anything else is quarantined as
    malformed. A record is all there is of its "file", so an array's layout is told from
    its own shape, by the file rule: it ends in the early-2021 card field
    (`<network>,<number>` or `None`) or it is in the default order.
    """
    parsed = _parse_records(records, stream_name)
    named, object_layout = _object_fields(F.col("_object"))
    object_count = F.size("_object")  # an object with a missing or extra key is not 7
    good = parsed.where(~F.col("_malformed"))
    is_array = F.col("_array").isNotNull()
    # The record's fields and layout in one projection, mapped to RAW_FIELDS in the next:
    # to_canonical reads its input once per layout and field, and an input that is a
    # column (not an expression) keeps Spark from copying the parse into every read.
    shaped = good.select(
        "source_file",
        F.when(is_array, F.size("_array")).otherwise(object_count).cast("int").alias("_count"),
        F.when(is_array, F.transform("_array", lambda v: F.coalesce(v, F.lit(""))))
        .otherwise(F.array(*named))
        .alias("_fields"),
        F.when(
            is_array,
            F.when(
                F.trim(F.try_element_at("_array", F.lit(-1))).rlike(r"^(None|[A-Za-z]+ *,.*)$"),
                F.lit(EARLY_2021),
            ).otherwise(F.lit(0)),
        )
        .otherwise(object_layout)
        .alias("_layout"),
    )
    rows = shaped.select(
        F.lit("stream").alias("source"),
        "source_file",
        F.lit(None).cast("date").alias("file_date"),
        F.lit(1).cast("long").alias("line_number"),
        F.col("_count").alias("field_count"),
        raw.to_canonical(F.col("_fields"), F.col("_layout")).alias("fields"),
    )
    malformed = parsed.where(F.col("_malformed")).select(
        F.lit(STREAM_REASON_MALFORMED).alias("reason"),
        F.lit("stream").alias("source"),
        "source_file",
        F.lit(1).cast("long").alias("line_number"),
        F.lit(None).cast("int").alias("field_count"),
        F.lit(None).cast("string").alias("raw_row"),  # never stored: it may hold anything
        F.current_date().alias("file_date"),
    )
    return rows, malformed


def _object_fields(obj: Column) -> tuple[list[Column], Column]:
    """A JSON object's values in the field order of the first layout whose header names are
    all its keys, and that layout's index. An object that has no layout's whole set of keys
    takes each field from whichever layout's name for it is present (index -1: no mapping).
    """
    with_header = [(i, spec) for i, spec in enumerate(LAYOUTS) if spec.header]
    layout = F.lit(-1)
    for i, spec in reversed(with_header):
        has_all = F.forall(F.array(*[F.lit(k) for k in spec.header]), lambda k: obj[k].isNotNull())
        layout = F.when(has_all, F.lit(i)).otherwise(layout)
    named = []
    for pos in range(len(RAW_FIELDS)):
        value = F.coalesce(*[obj[spec.header[pos]] for _, spec in with_header], F.lit(""))
        for i, spec in reversed(with_header):
            value = F.when(layout == i, F.coalesce(obj[spec.header[pos]], F.lit(""))).otherwise(
                value
            )
        named.append(value)
    return named, layout


def _parse_records(records: DataFrame, stream_name: str) -> DataFrame:
    """Each record's data read as a JSON array and as a JSON object; malformed if neither."""
    return records.select(
        F.concat_ws("/", F.lit("kinesis"), F.lit(stream_name), "shard_id", "sequence_number").alias(
            "source_file"
        ),
        F.from_json("data", "array<string>").alias("_array"),
        F.from_json("data", "map<string,string>").alias("_object"),
        "arrival_ms",
    ).select("*", (F.col("_array").isNull() & F.col("_object").isNull()).alias("_malformed"))


class RecordCounts(NamedTuple):
    records: int
    malformed: int
    oldest_arrival_ms: int | None  # when the batch's first record reached Kinesis
    newest_arrival_ms: int | None


def record_counts(records: DataFrame) -> RecordCounts:
    """A batch's records, malformed records and arrival span, in one pass."""
    row = (
        _parse_records(records, "")
        .agg(
            F.count(F.lit(1)).alias("n"),
            F.count(F.when(F.col("_malformed"), 1)).alias("bad"),
            F.min("arrival_ms").alias("oldest"),
            F.max("arrival_ms").alias("newest"),
        )
        .first()
    )
    return RecordCounts(int(row["n"]), int(row["bad"]), row["oldest"], row["newest"])
