"""Personal-data scanner: looks for card numbers and customer names past the raw zone.

    cafe-etl scan-pii --lake_uri URI [--warehouse_url URL] [--raw_uri DIR] [--log FILE ...]

It reads every lake file (Parquet tables, quarantine, run summaries), every text column
of the warehouse and any log files given, and reports each value that looks like a card
number (13–19 digits, also with spaces or dashes, or in E notation) or that contains a
full name found in the raw input. It exits non-zero on a hit, naming where it is.

This is an audit tool, not the pipeline: it reads the raw files with Python's csv module
to learn the names to look for.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from cafe_etl.errors import CARD_PATTERN
from cafe_etl.io import arrow_filesystem
from cafe_etl.warehouse.postgres import connect

E_NOTATION_CARD = re.compile(r"(?<![0-9A-Za-z.])\d\.\d+[eE]\+?1[2-8](?![0-9])")
_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*")
# Spark names its output files itself: part-<task>-<write uuid>[-c<n>][.codec].parquet. The
# uuid is random, and one that begins with eight decimal digits joined to the task number
# reads as a 13-digit card number, so these names are machine-made, never personal data.
SPARK_PART_FILE = re.compile(
    r"\.?part-\d{5}-[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}(?:-c\d{3})?(?:\.[A-Za-z0-9]+)*"
)


def luhn_valid(digits: str) -> bool:
    total, double = 0, False
    for ch in reversed(digits):
        d = int(ch)
        if double:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
        double = not double
    return total % 10 == 0


@dataclass(frozen=True)
class Hit:
    where: str
    kind: str
    value: str  # masked: enough to find it, not enough to leak it

    def __str__(self) -> str:
        return f"{self.where}: {self.kind} {self.value}"


def _mask(text: str) -> str:
    return text[:2] + "…" + text[-2:] if len(text) > 6 else "…"


def card_numbers(text: str) -> list[str]:
    found = []
    for match in CARD_PATTERN.finditer(text):
        digits = re.sub(r"[ -]", "", match.group(0))
        if 13 <= len(digits) <= 19:
            found.append(digits + (" (Luhn-valid)" if luhn_valid(digits) else ""))
    found += [m.group(0) for m in E_NOTATION_CARD.finditer(text)]
    return found


class NameIndex:
    """Full names (two or three words) looked up by word windows: fast on big scans."""

    def __init__(self, names: Iterable[str]):
        self.names = {" ".join(n.lower().split()) for n in names if len(n.split()) >= 2}

    def find(self, text: str) -> list[str]:
        words = [w.lower() for w in _WORD.findall(text)]
        hits = []
        for size in (2, 3, 4):
            for i in range(len(words) - size + 1):
                window = " ".join(words[i : i + size])
                if window in self.names:
                    hits.append(window)
        return hits


def names_from_raw(raw_dir: str | Path) -> set[str]:
    """Customer names in the raw files (third field), trimmed; BOM and padding handled."""
    names: set[str] = set()
    for path in sorted(Path(raw_dir).rglob("*")):
        if not path.is_file():
            continue
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError:
            continue
        for row in csv.reader(io.StringIO(text)):
            if len(row) >= 3 and row[0].strip().lower() != "timestamp":
                name = row[2].strip()
                if name:
                    names.add(name)
    return names


class Scanner:
    def __init__(self, names: Iterable[str] = ()):
        self.index = NameIndex(names)
        self.hits: list[Hit] = []
        self.values_scanned = 0

    def check(self, where: str, value: str) -> None:
        self.values_scanned += 1
        for card in card_numbers(value):
            self.hits.append(Hit(where, "card number", _mask(card)))
        for name in self.index.find(value):
            self.hits.append(Hit(where, "full name", _mask(name)))

    def scan_texts(self, where: str, values: Iterable[str]) -> None:
        for value in values:
            if value:
                self.check(where, value)

    def scan_lake(self, lake_uri: str) -> None:
        fs, root = arrow_filesystem(lake_uri)
        for entry in fs.get_file_info(pafs.FileSelector(root, recursive=True)):
            if entry.type != pafs.FileType.File:
                continue
            where = entry.path[len(root) :].lstrip("/")
            # Directory names (partition values) and file names a person chose are values too.
            self.check(f"lake path {where}", chosen_path(where))
            if entry.path.endswith(".parquet"):
                with fs.open_input_file(entry.path) as handle:
                    parquet = pq.ParquetFile(handle)
                    for batch in parquet.iter_batches(batch_size=65_536):
                        for name, column in zip(batch.schema.names, batch.columns, strict=True):
                            if pa.types.is_string(column.type) or pa.types.is_large_string(
                                column.type
                            ):
                                values = set(column.to_pylist())
                                values.discard(None)
                                self.scan_texts(f"lake {where} column {name}", values)
            elif entry.path.endswith((".json", ".txt", ".csv")):
                with fs.open_input_stream(entry.path) as handle:
                    self.scan_texts(f"lake {where}", _strings(handle.read().decode("utf-8")))

    def scan_warehouse(self, url: str) -> None:
        with connect(url) as conn:
            columns = conn.execute(
                "SELECT table_schema, table_name, column_name FROM information_schema.columns "
                "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') "
                "AND data_type IN ('text', 'character varying', 'character')"
            ).fetchall()
            for schema, table, column in columns:
                rows = conn.execute(
                    f'SELECT DISTINCT "{column}" FROM "{schema}"."{table}"'
                ).fetchall()
                self.scan_texts(f"warehouse {schema}.{table}.{column}", (r[0] for r in rows))

    def scan_log(self, path: str | Path) -> None:
        for number, line in enumerate(Path(path).read_text("utf-8", "replace").splitlines(), 1):
            self.check(f"log {path}:{number}", line)


def chosen_path(where: str) -> str:
    """The lake path with Spark's own part-file name taken out; the rest was chosen."""
    folder, _, name = where.rpartition("/")
    return folder if SPARK_PART_FILE.fullmatch(name) else where


def _strings(text: str) -> Iterator[str]:
    """Every string in a JSON document (or the text itself if it is not JSON)."""
    try:
        doc = json.loads(text)
    except ValueError:
        yield text
        return
    stack = [doc]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            yield item
