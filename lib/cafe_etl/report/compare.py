"""What a branch (or region) is compared with: the average branch of its region and of the
chain, its rank in its region, and the headline week against last week and last year.

Pure Python over rows the warehouse already returned (figures.collect reads them for every
branch), so a file for one branch can carry these comparisons without carrying any other
branch's figures.

An average over few branches gives their figures away (the average of two, less your own,
is the other's), so an average over fewer than MIN_PEERS branches is left out of any file
that does not also hold every branch it averages.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

MIN_PEERS = 3
# Same weekdays a year earlier: 52 weeks back, so Mondays are compared with Mondays.
YEAR_DAYS = 364


def average(
    rows: Iterable[tuple[str, int, int | None]], size: int, members: set[str], shown: set[str]
) -> list[float | None]:
    """Per slot (day or week), the mean of the values of the `members` that have one there.

    rows: (branch, slot index, value). A slot averaged over fewer than MIN_PEERS branches
    is None unless every member is in `shown` (the file holds them all anyway)."""
    total, count = [0] * size, [0] * size
    for name, i, value in rows:
        if name in members and value is not None:
            total[i] += value
            count[i] += 1
    whole = members <= shown
    return [
        total[i] / count[i] if count[i] and (whole or count[i] >= MIN_PEERS) else None
        for i in range(size)
    ]


def rank(values: dict[str, float | None], name: str) -> list[int] | None:
    """[position, out of] of `name` among `values`, highest first, ties by name; None
    when `name` has no value. Branches without a value rank last, as on the page."""
    if values.get(name) is None:
        return None
    order = sorted(values, key=lambda n: (values[n] is None, -(values[n] or 0), n))
    return [order.index(name) + 1, len(order)]


def headline_days(last: dt.date) -> list[list[dt.date]]:
    """This week so far (Monday to the last day with sales), the same weekdays of the week
    before, and of the same week a year before."""
    start = last - dt.timedelta(last.weekday())
    return [[start - dt.timedelta(back), last - dt.timedelta(back)] for back in (0, 7, YEAR_DAYS)]


def headline(rows, ranges: list[list[dt.date]]) -> dict[str, list[list[int] | None]]:
    """Per branch, [transactions, revenue pence] in each range of `headline_days`, or None
    for a range in which the branch sold nothing (no figure is not a zero week).

    rows: (branch, day, transactions, revenue pence)."""
    out: dict[str, list[list[int] | None]] = defaultdict(lambda: [None] * len(ranges))
    for name, day, transactions, revenue in rows:
        for k, (first, last) in enumerate(ranges):
            if first <= day <= last:
                got = out[name][k] or [0, 0]
                out[name][k] = [got[0] + transactions, got[1] + revenue]
    return dict(out)
