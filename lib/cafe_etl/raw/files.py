"""The raw zone's files: their keys (`YYYY/MM/DD/<file>`), days, branches and listing."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from pyspark.sql import SparkSession

from cafe_etl.errors import UsageError
from cafe_etl.io import HadoopFs

_KEY_PATTERN = r"(\d{4}/\d{2}/\d{2}/[^/]+)$"


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
        return key_of(self.path)

    @property
    def day(self) -> dt.date | None:
        return day_of(self.key)

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
            f"--process_date {process_date!r} is not YYYY-MM-DD, FIRST..LAST, 'yesterday' or 'all'"
        ) from None


RANGE = ".."  # --process_date FIRST..LAST: both days included


def process_days(process_date: str | None, today: dt.date | None = None) -> list[dt.date] | None:
    """The days `--process_date` names, in order: one, or each of an inclusive
    FIRST..LAST range (a backfill in one run); None for all."""
    value = (process_date or "").strip()
    if RANGE not in value:
        day = parse_process_date(process_date, today)
        return None if day is None else [day]
    first_text, _, last_text = value.partition(RANGE)
    try:
        first, last = (dt.date.fromisoformat(t.strip()) for t in (first_text, last_text))
    except ValueError:
        raise UsageError(
            f"--process_date {process_date!r}: a range is FIRST..LAST, two YYYY-MM-DD dates "
            "(e.g. 2026-11-01..2026-11-07)"
        ) from None
    if last < first:
        raise UsageError(
            f"--process_date {process_date!r}: the range ends before it starts; "
            f"did you mean {last}..{first}?"
        )
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def day_prefixes(process_date: str | None, today: dt.date | None = None) -> list[str] | None:
    """`YYYY/MM/DD` prefixes to read; None means every day present."""
    days = process_days(process_date, today)
    return None if days is None else [day.strftime("%Y/%m/%d") for day in days]


def list_raw_files(
    spark: SparkSession, raw_uri: str, process_date: str | None, today: dt.date | None = None
) -> list[RawFile]:
    """The raw files of the chosen days, through Hadoop's FileSystem (S3 on Glue, disk here).

    Only file names, sizes and versions reach the driver, never their content.
    """
    return list_day_files(spark, raw_uri, day_prefixes(process_date, today))


def list_day_files(spark: SparkSession, raw_uri: str, prefixes: list[str] | None) -> list[RawFile]:
    """The raw files under these `YYYY/MM/DD` prefixes (None: every day present)."""
    fs = HadoopFs(spark)
    if not fs.exists(raw_uri):
        raise UsageError(f"raw path {raw_uri} does not exist: check --raw_uri")
    base = raw_uri.rstrip("/")
    patterns = [f"{base}/*/*/*/*"] if prefixes is None else [f"{base}/{p}/*" for p in prefixes]
    files = [
        RawFile(f.path, f.size, f.version)
        for pattern in patterns
        for f in fs.glob(pattern)
        if f.is_file and not f.name.startswith((".", "_"))
    ]
    files.sort(key=lambda f: f.path)
    return files


def day_of(key: str) -> dt.date | None:
    """The day of a `YYYY/MM/DD/<file>` key (the raw layout), else None."""
    match = re.match(r"^(\d{4})/(\d{2})/(\d{2})/", key)
    if not match:
        return None
    try:
        return dt.date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


def key_of(path: str) -> str:
    """`YYYY/MM/DD/<file>` of a raw file's path (its name alone if not under a day)."""
    match = re.search(_KEY_PATTERN, path)
    return match.group(1) if match else path.rsplit("/", 1)[-1]
