"""Reference data: which ONS region each branch is in.

The shipped table (data/uk_towns.csv, inside the wheel) is the default. An operator's CSV
(`--reference_uri`, same columns `town,region`) extends it without a release: its rows add
towns, or name whole branches, and win over shipped rows for the same name.

A branch resolves through the longest name in the table that is the branch's whole name
or its first words: `London Soho` → `London`, `Newcastle upon Tyne Jesmond` → `Newcastle
upon Tyne` (chains name branches after a neighbourhood of a city). Case and surrounding
spaces are ignored. The same rule is written three times, for the three places that apply
it: `region_column` (Spark, the lake), `region_of` (Python) and the warehouse's refresh of
`dim_branch.region` (warehouse/sql.py); tests/test_reference.py holds them equal.

The operator's CSV may also say when a branch does not trade (optional column `closed`),
so that a closed shop is not reported missing: a row naming the whole branch, its
`closed` a `;`-separated list of `always` (closed for good), a day `2026-12-25`, a span
`2026-12-24..2026-12-26`, an open-ended span `2027-01-10..` (closed from that day on), or
a weekday `Sun` (closed every Sunday). Its region may be left empty.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources

from pyspark.sql import Column, SparkSession
from pyspark.sql import functions as F

from cafe_etl.errors import UsageError
from cafe_etl.frames import sql_string
from cafe_etl.schema import UNKNOWN_REGION

Regions = Sequence[tuple[str, str]]
COLUMNS = ("town", "region")


def _clean(rows: Iterable[tuple[str | None, str | None]]) -> dict[str, tuple[str, str]]:
    """Lower-cased name → (name, region); blank rows skipped, the first row of a name kept."""
    seen: dict[str, tuple[str, str]] = {}
    for town, region in rows:
        town, region = (town or "").strip(), (region or "").strip()
        if town and region:
            seen.setdefault(town.lower(), (town, region))
    return seen


@functools.cache
def towns() -> tuple[tuple[str, str], ...]:
    """(town, region) pairs, one per town (case-insensitive), as shipped in data/uk_towns.csv."""
    text = resources.files("cafe_etl").joinpath("data/uk_towns.csv").read_text("utf-8")
    rows = ((r["town"], r["region"]) for r in csv.DictReader(io.StringIO(text)))
    return tuple(_clean(rows).values())


def extend(extra: Iterable[tuple[str | None, str | None]], base: Regions | None = None) -> Regions:
    """`base` (the shipped table by default) with `extra`'s rows added; extra wins."""
    merged = _clean(base if base is not None else towns())
    merged.update(_clean(extra))
    return tuple(merged.values())


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CLOSED_COLUMN = "closed"


@dataclass(frozen=True)
class Closures:
    """When branches do not trade, from the reference CSV's `closed` column."""

    # lower-cased branch name -> (first day, last day or None for open-ended) spans
    spans: dict[str, tuple[tuple[dt.date, dt.date | None], ...]] = field(default_factory=dict)
    # lower-cased branch name -> weekdays (0 = Monday) it never trades
    weekdays: dict[str, frozenset[int]] = field(default_factory=dict)

    def closed(self, branch: str, day: dt.date) -> bool:
        """Whether `branch` is closed on `day` (a branch the CSV does not name never is)."""
        name = branch.strip().lower()
        if day.weekday() in self.weekdays.get(name, ()):
            return True
        spans = self.spans.get(name, ())
        return any(first <= day and (last is None or day <= last) for first, last in spans)


def _span(token: str) -> tuple[dt.date, dt.date | None]:
    if token == "always":
        return dt.date.min, None
    first, sep, last = token.partition("..")
    start = dt.date.fromisoformat(first)
    if not sep:
        return start, start
    end = dt.date.fromisoformat(last) if last else None
    if end is not None and end < start:
        raise ValueError(token)
    return start, end


def closures(rows: Iterable[tuple[str | None, str | None]]) -> Closures:
    """(branch, closed) rows -> Closures; a value it cannot read is a UsageError naming it."""
    spans: dict[str, list[tuple[dt.date, dt.date | None]]] = {}
    weekdays: dict[str, set[int]] = {}
    for branch, closed in rows:
        name = (branch or "").strip().lower()
        for token in (t.strip().lower() for t in (closed or "").split(";")):
            if not token or not name:
                continue
            if token[:3] in WEEKDAYS and token.isalpha():
                weekdays.setdefault(name, set()).add(WEEKDAYS.index(token[:3]))
                continue
            try:
                spans.setdefault(name, []).append(_span(token))
            except ValueError:
                raise UsageError(
                    f"reference CSV: branch {branch.strip()!r} has closed={closed!r}; expected "
                    "always, YYYY-MM-DD, YYYY-MM-DD..[YYYY-MM-DD] or a weekday such as Sun, "
                    "separated by ;"
                ) from None
    return Closures(
        {k: tuple(v) for k, v in spans.items()}, {k: frozenset(v) for k, v in weekdays.items()}
    )


def read_regions(spark: SparkSession, uri: str | None) -> Regions:
    """The shipped table, extended by the operator's CSV at `uri` (none: shipped only)."""
    return read_reference(spark, uri)[0]


def read_reference(spark: SparkSession, uri: str | None) -> tuple[Regions, Closures]:
    """The region table (the shipped one, extended by the operator's CSV at `uri`) and the
    branches' closures the CSV names (none: shipped table only, nothing closed).

    Read with Spark's CSV reader (S3 on Glue, a path locally); the table is a few hundred
    rows, so it is collected and travels with the query as a literal map.
    """
    if not uri:
        return towns(), Closures()
    try:
        frame = spark.read.csv(uri, header=True, encoding="UTF-8")
        columns = [c.strip().lstrip("\ufeff").lower() for c in frame.columns]
    except Exception as exc:  # AnalysisException: path not found, unreadable
        raise UsageError(f"--reference_uri {uri}: cannot read it ({type(exc).__name__})") from None
    if not set(COLUMNS) <= set(columns):
        raise UsageError(
            f"--reference_uri {uri}: expected a CSV with header {','.join(COLUMNS)}, "
            f"found {','.join(columns) or 'no columns'}"
        )
    frame = frame.toDF(*columns)
    wanted = [*COLUMNS, CLOSED_COLUMN] if CLOSED_COLUMN in columns else list(COLUMNS)
    rows = frame.select(*wanted).collect()
    closed = closures((r["town"], r[CLOSED_COLUMN]) for r in rows if CLOSED_COLUMN in wanted)
    return extend((r["town"], r["region"]) for r in rows), closed


def _lookup(regions: Regions) -> dict[str, str]:
    return {town.strip().lower(): region for town, region in regions}


def _depth(lookup: dict[str, str]) -> int:
    return max((len(key.split(" ")) for key in lookup), default=0)


def region_of(name: str, regions: Regions | None = None) -> str | None:
    """The region of a branch or town name, or None when nothing in the table matches."""
    lookup = _lookup(towns() if regions is None else regions)
    text = name.strip().lower()
    words = text.split(" ")
    candidates = [text] + [" ".join(words[:k]) for k in range(_depth(lookup), 0, -1)]
    return next((lookup[c] for c in candidates if c in lookup), None)


def region_column(branch: Column, regions: Regions) -> Column:
    """Spark: the region of a (trimmed) branch name column, or UNKNOWN_REGION.

    A literal map looked up with the whole name, then with its first k words (longest
    first), no join. `substring_index(s, ' ', k)` is the text before the k-th space, the
    same candidates as `region_of`. Spark compares a map's keys in turn on each lookup
    (`GetMapValueUtil`), not by hash: measured, the shipped table's ~250 towns cost about
    0.7 CPU-microseconds a row (6M rows 0.5 -> 2.7 s on 2 cores, 2026-11-26).
    """
    lookup = _lookup(regions)
    if not lookup:
        return F.lit(UNKNOWN_REGION)
    # One SQL literal, not a `lit` per key and value: a few hundred py4j calls fewer on
    # every run and micro-batch (about 0.3 s each).
    table = F.expr(
        "map(" + ", ".join(sql_string(x) for p in sorted(lookup.items()) for x in p) + ")"
    )
    name = F.lower(branch)
    candidates = [name] + [F.substring_index(name, " ", k) for k in range(_depth(lookup), 0, -1)]
    return F.coalesce(*[F.try_element_at(table, c) for c in candidates], F.lit(UNKNOWN_REGION))
