"""Read a run's raw files once: numbered data lines, each file's layout and health."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from cafe_etl.frames import local_frame
from cafe_etl.raw.files import RawFile, day_of, key_of
from cafe_etl.raw.layouts import RAW_ROW_SCHEMA, parse_rows
from cafe_etl.schema import EARLY_2021, LAYOUTS, NUMBER_LIKE
from cafe_etl.transform.rows import PRICE

BOM = "\ufeff"
# The small tables the driver builds (frames.local_frame): (name, Spark SQL type) pairs.
RAW_ROW_COLUMNS = [(f.name, f.dataType.simpleString()) for f in RAW_ROW_SCHEMA.fields]
UNREADABLE_COLUMNS = [("source_file", "string"), ("file_date", "date")]
OFFSET_COLUMNS = [
    ("path", "string"),
    ("block_start", "bigint"),
    ("first_row_id", "bigint"),
    ("lines_before", "bigint"),
    ("source_file", "string"),
    ("file_date", "date"),
    ("layout", "int"),
    ("triples", "boolean"),
]
REPLACEMENT_CHAR = "\ufffd"
# A line whose every field is empty (`,,,,,,`, ` , ,""`): a spreadsheet's padding rows, or
# a blank line. Not a row.
BLANK_LINE = r'^\s*+(?:""\s*+)?(?:,\s*+(?:""\s*+)?)*+$'
# A basket's form, as the line shows it: an item (`… - 2.45`) before a comma (the next
# item's or the next field's: a field follows the basket in every layout), or a quoted field
# ending in a bare price after a comma (`"…,2.45"`): whole triples always end so and are
# always quoted (they hold commas); no item does. Searched in the line as it is: cutting
# the basket out of each line first (a regex per field) made the scan several times slower.
_ENDS_AS_ITEM = r" - " + PRICE + r'\s*+"?\s*+,'
_ENDS_AS_TRIPLE = r",\s*+" + PRICE + r'\s*+"\s*+,'


@dataclass
class Extracted:
    """The raw files of a run, read once: rows to transform and what could not be read."""

    lines: DataFrame  # the persisted scan; unpersist when the run is done
    rows: DataFrame  # raw rows (RAW_ROW_SCHEMA) of the readable files
    unreadable: DataFrame  # (source_file, file_date), one row per unreadable file
    unreadable_keys: list[str]
    data_rows: int  # data rows in the readable files (headers and blank lines excluded)
    blank_rows: int  # blank lines (all fields empty) in the readable files: not rows


def extract(spark: SparkSession, files: list[RawFile]) -> Extracted:
    """Read the files once and turn their lines into raw rows with provenance.

    Line numbers: the text source reads each file split in order, so within a split a
    line's position is its monotonically_increasing_id minus the split's smallest id; the
    lines of the file's earlier splits come from one small per-split aggregate, which also
    gives each file's health (blank, header, binary, undecodable lines) and its lines' votes
    on its layout and basket grammar. That aggregate (one row per split, no data) is the
    only thing collected to the driver.
    """
    if not files:
        empty = local_frame(spark, RAW_ROW_COLUMNS, [])
        return Extracted(empty, empty, local_frame(spark, UNREADABLE_COLUMNS, []), [], 0, 0)
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
            F.sum((F.col("grammar") == 1).cast("int")).alias("items_baskets"),
            F.sum((F.col("grammar") == 2).cast("int")).alias("triples_baskets"),
        )
        .collect()
    )
    keys = {s.path: key_of(_uri_to_path(s.path)) for s in splits}
    health = _file_health(splits, keys, files)
    offsets = local_frame(
        spark,
        OFFSET_COLUMNS,
        [
            (
                s.path,
                s.block_start,
                s.first_row_id,
                health.lines_before[(s.path, s.block_start)],
                keys[s.path],
                day_of(keys[s.path]),
                health.layouts[keys[s.path]],
                keys[s.path] in health.triples,
            )
            for s in splits
            if keys[s.path] not in health.unreadable
        ],
    )
    numbered = flagged.join(F.broadcast(offsets), ["path", "block_start"]).select(
        "source_file",
        "file_date",
        (F.col("lines_before") + F.col("row_id") - F.col("first_row_id") + 1).alias("line_number"),
        "text",
        "is_blank",
        "header_layout",
        "layout",
        "triples",
    )
    data = numbered.where(
        ~F.col("is_blank") & ~((F.col("line_number") == 1) & F.col("header_layout").isNotNull())
    )
    unreadable = local_frame(spark, UNREADABLE_COLUMNS, [(k, day_of(k)) for k in health.unreadable])
    return Extracted(
        lines=lines,
        rows=parse_rows(data),
        unreadable=unreadable,
        unreadable_keys=health.unreadable,
        data_rows=health.data_rows,
        blank_rows=health.blank_rows,
    )


def _line_flags(text: Column) -> list[Column]:
    # Cheap tests first: a data row starts with a digit (its timestamp); the regexes run
    # only for the other lines.
    starts_with_digit = F.substring(text, 1, 1).between("0", "9")
    is_blank = (
        F.when(starts_with_digit, False).when(text == "", True).otherwise(text.rlike(BLANK_LINE))
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
        F.when(is_blank, 0).otherwise(basket_vote(text)).alias("grammar"),
        text.contains("\u0000").alias("has_nul"),
        text.contains(REPLACEMENT_CHAR).alias("has_bad_bytes"),
    ]


def basket_vote(line: Column) -> Column:
    """A data line's vote on its file's basket grammar, by its basket's form: 1 items (it
    holds an item, `Cortado - 2.05`), 2 triples (it ends in a bare price, `"Large,Latte,2.45"`),
    0 neither (no basket, a header). A basket that parses as items votes items, whole
    triples vote triples; a broken one votes as its form says (it is quarantined in either
    grammar)."""
    return F.when(line.rlike(_ENDS_AS_ITEM), 1).when(line.rlike(_ENDS_AS_TRIPLE), 2).otherwise(0)


@dataclass
class _Health:
    lines_before: dict[tuple[str, int], int]
    unreadable: list[str]
    data_rows: int
    blank_rows: int
    layouts: dict[str, int]  # file key -> index in schema.LAYOUTS
    triples: set[str]  # keys of the files whose baskets are triples


def _file_health(splits: list, keys: dict[str, str], files: list[RawFile]) -> _Health:
    """Per file, from its splits: line offsets, data and blank rows, layout, basket grammar,
    and whether it is text at all.

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
    data_rows = blank_rows = 0
    layouts: dict[str, int] = {}
    triples: set[str] = set()
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
        blank_rows += sum(p.blank for p in parts)
        layouts[key] = _layout_of(header_layout, sum(p.early_shaped for p in parts), non_blank)
        # The basket grammar too is the file's, whatever its header or shape: triples when
        # more of its baskets are whole triples than are items (its majority, whenever one
        # grammar has it), else items, the grammar of most exports.
        if sum(p.triples_baskets for p in parts) > sum(p.items_baskets for p in parts):
            triples.add(key)
    for f in files:
        key = key_of(f.path)
        if key not in by_file and f.size > 0:
            unreadable.append(key)
    return _Health(lines_before, sorted(unreadable), data_rows, blank_rows, layouts, triples)


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
