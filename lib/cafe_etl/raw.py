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
from urllib.parse import unquote

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from cafe_etl.runtime import UsageError
from cafe_etl.schema import BASKET_TRIPLES, EARLY_2021, LAYOUTS, NUMBER_LIKE, RAW_FIELDS

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
# Quoted fields collapse to one character so the commas left are the field separators
# (an escaped quote "" just splits a field into two quoted runs: the count is the same).
_QUOTED_FIELD = r'"[^"]*+"'
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
    # The storage's version of the file: its ETag where the file system gives one (S3),
    # else its modification time. A file re-sent under the same key changes it.
    version: str = ""

    @property
    def key(self) -> str:
        """`YYYY/MM/DD/<file>`: the file's key in the raw zone, as the ledger records it."""
        return _key_of(self.path)

    @property
    def day(self) -> dt.date | None:
        return _day_of(self.key)

    @property
    def branch(self) -> str:
        """The branch a till file names (`<branch>_DD-MM-YYYY_HH-MM-SS.csv`)."""
        name = self.key.rsplit("/", 1)[-1]
        match = re.match(r"^(.+?)_\d{2}-\d{2}-\d{4}(_[\d-]+)?\.[^.]*$", name)
        return match.group(1) if match else name.rsplit(".", 1)[0]


def parse_process_date(process_date: str | None, today: dt.date | None = None) -> dt.date | None:
    """The day `--process_date` names (`yesterday` is the day before `today`); None for all."""
    value = (process_date or "yesterday").strip().lower()
    if value == "all":
        return None
    if value == "yesterday":
        return (today or dt.datetime.now(dt.UTC).date()) - dt.timedelta(days=1)
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"--process_date {process_date!r} is not YYYY-MM-DD, 'yesterday' or 'all'"
        ) from None


def day_prefixes(process_date: str | None, today: dt.date | None = None) -> list[str] | None:
    """`YYYY/MM/DD` prefixes to read; None means every day present."""
    day = parse_process_date(process_date, today)
    return None if day is None else [day.strftime("%Y/%m/%d")]


def list_raw_files(
    spark: SparkSession, raw_uri: str, process_date: str | None, today: dt.date | None = None
) -> list[RawFile]:
    """The raw files of the chosen days, through Hadoop's FileSystem (S3 on Glue, disk here).

    Only file names, sizes and versions reach the driver, never their content.
    """
    return list_day_files(spark, raw_uri, day_prefixes(process_date, today))


def list_day_files(spark: SparkSession, raw_uri: str, prefixes: list[str] | None) -> list[RawFile]:
    """The raw files under these `YYYY/MM/DD` prefixes (None: every day present)."""
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    root = jvm.org.apache.hadoop.fs.Path(raw_uri)
    fs = root.getFileSystem(conf)
    if not fs.exists(root):
        raise UsageError(f"raw path {raw_uri} does not exist: check --raw_uri")
    base = raw_uri.rstrip("/")
    patterns = [f"{base}/*/*/*/*"] if prefixes is None else [f"{base}/{p}/*" for p in prefixes]
    files: list[RawFile] = []
    for pattern in patterns:
        statuses = fs.globStatus(jvm.org.apache.hadoop.fs.Path(pattern)) or []
        for status in statuses:
            name = status.getPath().getName()
            if status.isFile() and not name.startswith((".", "_")):
                files.append(
                    RawFile(status.getPath().toString(), int(status.getLen()), _version(status))
                )
    files.sort(key=lambda f: f.path)
    return files


def _version(status) -> str:
    """S3A's FileStatus carries the object's ETag (Hadoop's EtagSource); others do not."""
    try:
        etag = status.getEtag()
    except Exception:  # py4j: no such method on this FileStatus class
        etag = None
    if etag:
        return f"etag:{etag}"
    # ISO, not epoch milliseconds: a 13-digit number in the warehouse reads as a card
    # number to the personal-data scan (scanner.py), and people read this column too.
    modified = dt.datetime.fromtimestamp(status.getModificationTime() / 1000, dt.UTC)
    return "mtime:" + modified.isoformat(timespec="milliseconds")


@dataclass
class Extracted:
    """The raw files of a run, read once: rows to transform and what could not be read."""

    lines: DataFrame  # the persisted scan; unpersist when the run is done
    rows: DataFrame  # raw rows (RAW_ROW_SCHEMA) of the readable files
    unreadable: DataFrame  # (source_file, file_date), one row per unreadable file
    unreadable_keys: list[str]
    data_rows: int  # data rows in the readable files (headers and blank lines excluded)


def extract(spark: SparkSession, files: list[RawFile]) -> Extracted:
    """Read the files once and turn their lines into raw rows with provenance.

    Line numbers: the text source reads each file split in order, so within a split a
    line's position is its monotonically_increasing_id minus the split's smallest id; the
    lines of the file's earlier splits come from one small per-split aggregate, which also
    gives each file's health (blank, header, binary, undecodable lines). That aggregate
    (one row per split, no data) is the only thing collected to the driver.
    """
    if not files:
        empty = spark.createDataFrame([], RAW_ROW_SCHEMA)
        none = spark.createDataFrame([], "source_file string, file_date date")
        return Extracted(empty, empty, none, [], 0)
    # Per row only cheap columns: the file's path as Spark gives it, the split, an id and
    # the text. The path's key and day are worked out once per file, on the driver.
    # The text source hands over the file's bytes as they are; decoding them turns bytes
    # that are not UTF-8 into U+FFFD, which the file health check counts below.
    value = F.decode(F.col("value").cast("binary"), "UTF-8")
    lines = (
        spark.read.text([f.path for f in files])
        .select(
            F.col("_metadata.file_path").alias("path"),
            F.col("_metadata.file_block_start").alias("block_start"),
            F.monotonically_increasing_id().alias("row_id"),
            F.when(value.startswith(BOM), F.substring(value, 2, 2**31 - 1))
            .otherwise(value)
            .alias("text"),
        )
        .persist(StorageLevel.MEMORY_AND_DISK_DESER)
    )
    flagged = lines.select("*", *_line_flags(F.col("text")))
    splits = (
        flagged.groupBy("path", "block_start")
        .agg(
            F.min("row_id").alias("first_row_id"),
            F.count(F.lit(1)).alias("lines"),
            F.sum(F.col("is_blank").cast("int")).alias("blank"),
            F.max(F.col("has_nul").cast("int")).alias("has_nul"),
            F.sum((F.col("has_bad_bytes") & ~F.col("is_blank")).cast("int")).alias("bad"),
            F.min_by("header_layout", "row_id").alias("first_header_layout"),
            F.sum(F.col("early_shape").cast("int")).alias("early_shaped"),
        )
        .collect()
    )
    keys = {s.path: _key_of(_uri_to_path(s.path)) for s in splits}
    health = _file_health(splits, keys, files)
    offsets = spark.createDataFrame(
        [
            (
                s.path,
                s.block_start,
                s.first_row_id,
                health.lines_before[(s.path, s.block_start)],
                keys[s.path],
                _day_of(keys[s.path]),
                health.layouts[keys[s.path]],
            )
            for s in splits
            if keys[s.path] not in health.unreadable
        ],
        "path string, block_start long, first_row_id long, lines_before long, "
        "source_file string, file_date date, layout int",
    )
    numbered = flagged.join(F.broadcast(offsets), ["path", "block_start"]).select(
        "source_file",
        "file_date",
        (F.col("lines_before") + F.col("row_id") - F.col("first_row_id") + 1).alias("line_number"),
        "text",
        "is_blank",
        "header_layout",
        "layout",
    )
    data = numbered.where(
        ~F.col("is_blank") & ~((F.col("line_number") == 1) & F.col("header_layout").isNotNull())
    )
    unreadable = spark.createDataFrame(
        [(k, _day_of(k)) for k in health.unreadable], "source_file string, file_date date"
    )
    return Extracted(
        lines=lines,
        rows=parse_rows(data),
        unreadable=unreadable,
        unreadable_keys=health.unreadable,
        data_rows=health.data_rows,
    )


def _line_flags(text: Column) -> list[Column]:
    # Cheap tests first: a data row starts with a digit (its timestamp), a blank line is
    # empty or starts with a space; the regexes run only for the other lines.
    starts_with_digit = F.substring(text, 1, 1).between("0", "9")
    is_blank = (
        F.when(text == "", True).when(text.startswith(" "), F.trim(text) == "").otherwise(False)
    )
    # A header (it counts only on line 1): no field holds a number. Its value is the index
    # of the layout whose header names it carries (case, spaces and quotes aside), else -1.
    names = F.regexp_replace(F.lower(text), r'[\s"]', "")
    known = F.lit(-1)
    for i, layout in reversed(list(enumerate(LAYOUTS))):
        if layout.header:
            known = F.when(names == ",".join(layout.header), i).otherwise(known)
    header_layout = (
        F.when(starts_with_digit | is_blank, None)
        .when(text.rlike(NUMBER_LIKE), None)
        .otherwise(known)
    )
    # The early-2021 layout ends every row with its card field: `"<network>,<number>"` or
    # `None`; no other layout ends a row with a quote or a word.
    tail = F.rtrim(text)
    return [
        is_blank.alias("is_blank"),
        header_layout.cast("int").alias("header_layout"),
        (tail.endswith('"') | tail.endswith("None")).alias("early_shape"),
        text.contains("\u0000").alias("has_nul"),
        text.contains(REPLACEMENT_CHAR).alias("has_bad_bytes"),
    ]


@dataclass
class _Health:
    lines_before: dict[tuple[str, int], int]
    unreadable: list[str]
    data_rows: int
    layouts: dict[str, int]  # file key -> index in schema.LAYOUTS


def _file_health(splits: list, keys: dict[str, str], files: list[RawFile]) -> _Health:
    """Per file, from its splits: line offsets, data rows, and whether it is text at all.

    A file is unreadable when it holds NUL bytes (binary), when most of its non-blank
    lines are not valid UTF-8 (not a till export with a few bad rows), or when it has
    bytes on storage but Spark read no line from it (corrupt, vanished, permission
    denied: Spark skips such files under ignoreCorruptFiles).
    """
    by_file: dict[str, list] = {}
    for split in splits:
        by_file.setdefault(keys[split.path], []).append(split)
    lines_before: dict[tuple[str, int], int] = {}
    unreadable: list[str] = []
    data_rows = 0
    layouts: dict[str, int] = {}
    for key, parts in by_file.items():
        parts.sort(key=lambda p: p.block_start)
        seen = 0
        for part in parts:
            lines_before[(part.path, part.block_start)] = seen
            seen += part.lines
        non_blank = sum(p.lines - p.blank for p in parts)
        bad = sum(p.bad for p in parts)
        if any(p.has_nul for p in parts) or bad * 2 > non_blank:
            unreadable.append(key)
            continue
        header_layout = parts[0].first_header_layout
        header = 0 if header_layout is None else 1
        data_rows += non_blank - header
        layouts[key] = _layout_of(header_layout, sum(p.early_shaped for p in parts), non_blank)
    for f in files:
        key = _key_of(f.path)
        if key not in by_file and f.size > 0:
            unreadable.append(key)
    return _Health(lines_before, sorted(unreadable), data_rows, layouts)


def _layout_of(header_layout: int | None, early_shaped: int, non_blank: int) -> int:
    """A file's layout, from the file as a whole: its header names if they are a layout's,
    else its body's shape (most of its lines end the early-2021 way), else the default.
    One file, one layout: a broken row is a broken row of its file's layout.
    """
    if header_layout is not None and header_layout >= 0:
        return header_layout
    return EARLY_2021 if early_shaped * 2 > non_blank else 0


def _uri_to_path(uri: str) -> str:
    """_metadata.file_path is a URI (`Milton%20Keynes_…`); keys are plain text."""
    return unquote(uri)


def _day_of(key: str) -> dt.date | None:
    """The day of a `YYYY/MM/DD/<file>` key (the raw layout), else None."""
    match = re.match(r"^(\d{4})/(\d{2})/(\d{2})/", key)
    if not match:
        return None
    try:
        return dt.date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


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


def _key_of(path: str) -> str:
    match = re.search(_KEY_PATTERN, path)
    return match.group(1) if match else path.rsplit("/", 1)[-1]
