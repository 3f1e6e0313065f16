"""Raw till files and stream records → one raw-row frame with provenance.

A raw row is one data row as the till wrote it: where it came from (source, source_file,
file_date, line_number) and its fields as strings (`fields`, `field_count`). Headers and
blank lines (every field empty: spreadsheet padding too) are not rows. Both the nightly
files and the Kinesis records end up in this shape, so everything downstream is shared.

Owns reading the raw zone (files.py: keys, days, listing; scan.py: one read of a run's
files) and mapping every export layout and basket grammar to one field order and one
grammar (layouts.py). May import io, schema, errors, and transform's definition of an item
(so that an items basket is told by the same rule that validates it).
"""

from cafe_etl.raw.files import (
    RawFile,
    day_of,
    day_prefixes,
    key_of,
    list_day_files,
    list_raw_files,
    parse_process_date,
    process_days,
)
from cafe_etl.raw.layouts import (
    CSV_OPTIONS,
    RAW_ROW_SCHEMA,
    field_count,
    parse_rows,
    to_canonical,
    triples_to_items,
)
from cafe_etl.raw.scan import Extracted, extract

__all__ = [
    "CSV_OPTIONS",
    "RAW_ROW_SCHEMA",
    "Extracted",
    "RawFile",
    "day_of",
    "day_prefixes",
    "extract",
    "field_count",
    "key_of",
    "list_day_files",
    "list_raw_files",
    "parse_process_date",
    "process_days",
    "parse_rows",
    "to_canonical",
    "triples_to_items",
]
