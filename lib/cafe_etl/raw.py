"""Raw till files and stream records → one raw-row frame with provenance.

A raw row is one data row as the till wrote it: where it came from (source, source_file,
file_date, line_number) and its fields as strings (`fields`, `field_count`). Headers and
blank lines are not rows. Both the nightly files and the Kinesis records end up in this
shape, so everything downstream is shared.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from cafe_etl.runtime import UsageError

log = logging.getLogger("cafe_etl.raw")

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
# Quoted fields collapse to one character so the commas left are the field separators.
_QUOTED_FIELD = r'"(?:[^"]|"")*"'
_KEY_PATTERN = r"(\d{4}/\d{2}/\d{2}/[^/]+)$"
BOM = "\ufeff"
REPLACEMENT_CHAR = "\ufffd"

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


@dataclass(frozen=True)
class RawFile:
    path: str
    size: int


def day_prefixes(process_date: str | None, today: dt.date | None = None) -> list[str] | None:
    """`YYYY/MM/DD` prefixes to read; None means every day present."""
    value = (process_date or "yesterday").strip().lower()
    if value == "all":
        return None
    if value == "yesterday":
        day = (today or dt.datetime.now(dt.UTC).date()) - dt.timedelta(days=1)
    else:
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            raise UsageError(
                f"--process_date {process_date!r} is not YYYY-MM-DD, 'yesterday' or 'all'"
            ) from None
    return [day.strftime("%Y/%m/%d")]


def list_raw_files(spark: SparkSession, raw_uri: str, process_date: str | None) -> list[RawFile]:
    """The raw files of the chosen days, through Hadoop's FileSystem (S3 on Glue, disk here).

    Only file names and sizes reach the driver, never their content.
    """
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    root = jvm.org.apache.hadoop.fs.Path(raw_uri)
    fs = root.getFileSystem(conf)
    if not fs.exists(root):
        raise UsageError(f"raw path {raw_uri} does not exist: check --raw_uri")
    base = raw_uri.rstrip("/")
    prefixes = day_prefixes(process_date)
    patterns = [f"{base}/*/*/*/*"] if prefixes is None else [f"{base}/{p}/*" for p in prefixes]
    files: list[RawFile] = []
    for pattern in patterns:
        statuses = fs.globStatus(jvm.org.apache.hadoop.fs.Path(pattern)) or []
        for status in statuses:
            name = status.getPath().getName()
            if status.isFile() and not name.startswith((".", "_")):
                files.append(RawFile(status.getPath().toString(), int(status.getLen())))
    files.sort(key=lambda f: f.path)
    return files


def source_key(path_col: Column) -> Column:
    """`YYYY/MM/DD/<file>` when the path follows the raw layout, else the file name."""
    key = F.regexp_extract(path_col, _KEY_PATTERN, 1)
    return F.when(key != "", key).otherwise(F.regexp_extract(path_col, r"([^/]+)$", 1))


def file_date_of(key_col: Column) -> Column:
    return F.to_date(F.regexp_extract(key_col, r"^(\d{4}/\d{2}/\d{2})/", 1), "yyyy/MM/dd")


def read_lines(spark: SparkSession, files: list[RawFile]) -> DataFrame:
    """Every line of every file with its source key and 1-based line number (persisted).

    Line numbers: the text source reads each file split in order, so within a split a
    row's position is its monotonically_increasing_id minus the split's smallest id; the
    lines of earlier splits of the same file are added from a tiny per-split count. No
    window over the data, and the files are read once (the lines are persisted).
    """
    if not files:
        return spark.createDataFrame([], "source_file string, line_number long, value string")
    lines = (
        spark.read.text([f.path for f in files])
        .select(
            source_key(_decoded_path(F.col("_metadata.file_path"))).alias("source_file"),
            F.col("_metadata.file_block_start").alias("block_start"),
            F.monotonically_increasing_id().alias("row_id"),
            F.col("value"),
        )
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    blocks = lines.groupBy("source_file", "block_start").agg(
        F.min("row_id").alias("first_row_id"), F.count(F.lit(1)).alias("block_lines")
    )
    offsets = blocks.select(
        "source_file",
        "block_start",
        "first_row_id",
        F.coalesce(F.sum("block_lines").over(_earlier_splits()), F.lit(0)).alias("lines_before"),
    )
    numbered = lines.join(F.broadcast(offsets), ["source_file", "block_start"]).select(
        "source_file",
        (F.col("lines_before") + F.col("row_id") - F.col("first_row_id") + 1).alias("line_number"),
        "value",
    )
    return numbered


def _decoded_path(uri: Column) -> Column:
    """_metadata.file_path is a URI (`Milton%20Keynes_…`); keys are plain text. url_decode
    reads '+' as a space, so a literal '+' is escaped first."""
    return F.url_decode(F.replace(uri, F.lit("+"), F.lit("%2B")))


def _earlier_splits():
    """The splits of the same file that start before this one."""
    from pyspark.sql import Window

    return (
        Window.partitionBy("source_file")
        .orderBy("block_start")
        .rowsBetween(Window.unboundedPreceding, -1)
    )


def field_count(line: Column) -> Column:
    """Fields in a CSV line: separators outside quoted fields, plus one."""
    return F.size(F.split(F.regexp_replace(line, _QUOTED_FIELD, "Q"), ",")).cast("int")


def classify_lines(lines: DataFrame) -> DataFrame:
    """Mark each line as blank, header or data, with the BOM removed."""
    text = F.regexp_replace(F.col("value"), "^" + BOM, "")
    first_field = F.lower(F.trim(F.regexp_extract(text, r'^\s*"?([^,"]*)', 1)))
    return lines.select(
        "source_file",
        "line_number",
        text.alias("text"),
        (F.trim(text) == "").alias("is_blank"),
        ((F.col("line_number") == 1) & (first_field == "timestamp")).alias("is_header"),
        F.col("value").contains("\u0000").alias("has_nul"),
        F.col("value").contains(REPLACEMENT_CHAR).alias("has_bad_bytes"),
    )


def file_health(classified: DataFrame) -> DataFrame:
    """One row per file that produced lines: its line counts and whether it is text.

    A file is unreadable when it holds NUL bytes (binary) or when most of its non-blank
    lines are not valid UTF-8: that is not a till export with a few bad rows.
    """
    return (
        classified.groupBy("source_file")
        .agg(
            F.count(F.lit(1)).alias("lines"),
            F.sum(F.when(~F.col("is_blank") & ~F.col("is_header"), 1).otherwise(0)).alias(
                "data_lines"
            ),
            F.max(F.col("has_nul").cast("int")).alias("has_nul"),
            F.sum(F.when(~F.col("is_blank") & F.col("has_bad_bytes"), 1).otherwise(0)).alias(
                "bad_lines"
            ),
            F.sum(F.when(~F.col("is_blank"), 1).otherwise(0)).alias("non_blank"),
        )
        .select(
            "source_file",
            "lines",
            "data_lines",
            ((F.col("has_nul") == 1) | (F.col("bad_lines") * 2 > F.col("non_blank"))).alias(
                "unreadable"
            ),
        )
    )


def parse_rows(classified: DataFrame, unreadable_files: DataFrame) -> DataFrame:
    """Data lines of readable files → raw rows (RAW_ROW_SCHEMA)."""
    data = classified.where(~F.col("is_blank") & ~F.col("is_header")).join(
        F.broadcast(unreadable_files.select("source_file")), "source_file", "left_anti"
    )
    parsed = F.from_csv(F.col("text"), _PARSE_SCHEMA, CSV_OPTIONS)
    count = field_count(F.col("text"))
    # A quoted field the regex could not close shows up as an extra parsed column.
    count = F.when(parsed[f"c{MAX_PARSED_FIELDS - 1}"].isNotNull(), F.greatest(count, F.lit(9)))
    count = count.otherwise(field_count(F.col("text")))
    fields = F.array(*[F.coalesce(parsed[f"c{i}"], F.lit("")) for i in range(MAX_PARSED_FIELDS)])
    return data.select(
        F.lit("batch").alias("source"),
        "source_file",
        file_date_of(F.col("source_file")).alias("file_date"),
        F.col("line_number").cast("long").alias("line_number"),
        count.alias("field_count"),
        F.slice(fields, 1, F.least(count, F.lit(MAX_PARSED_FIELDS))).alias("fields"),
    )


def unreadable_records(
    spark: SparkSession, files: list[RawFile], health: DataFrame
) -> tuple[DataFrame, list[str]]:
    """Files that cannot be read as text: one record each, as raw-row-shaped provenance.

    A file is unreadable when its content is binary or not UTF-8 (see file_health), or
    when it has bytes on storage but Spark read no line from it (corrupt, vanished,
    permission denied: Spark skips such files under ignoreCorruptFiles).
    """
    seen = {
        r["source_file"]: r["unreadable"]
        for r in health.select("source_file", "unreadable").collect()  # one row per file
    }
    bad: list[str] = []
    for f in files:
        key = _key_of(f.path)
        if seen.get(key) or (key not in seen and f.size > 0):
            bad.append(key)
    frame = spark.createDataFrame([(k,) for k in bad], "source_file string").select(
        "source_file", file_date_of(F.col("source_file")).alias("file_date")
    )
    return frame, bad


def _key_of(path: str) -> str:
    match = re.search(_KEY_PATTERN, path)
    return match.group(1) if match else path.rsplit("/", 1)[-1]
