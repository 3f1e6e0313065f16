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


def comparisons(
    branches, region_of, regions, daily, weekly, days, n_weeks, full_week, recent_days
) -> dict:
    """The average branch of each region in the file and of the chain, per day and week and
    over the last `recent_days`; and each branch's rank in its region, written into
    `branches` (the scope's). daily: (day, branch, region, transactions, pence); weekly:
    (branch, week index, pence, growth %), both for every branch."""
    shown = set(branches)
    day_at = {d: i for i, d in enumerate(days)}
    recent_start = len(days) - min(recent_days, len(days))
    recent: dict[str, int] = dict.fromkeys(region_of, 0)
    for day, name, _, _, revenue in daily:
        if day_at[day] >= recent_start:
            recent[name] += revenue
    growth = {name: None for name in region_of}
    growth.update({name: g for name, i, _, g in weekly if i == full_week and name in growth})

    def block(members: set[str]) -> dict:
        def avg(rows, size, digits):
            values = average(rows, size, members, shown)
            return [None if v is None else round(v, digits or None) for v in values]

        mean = average(((n, 0, recent[n]) for n in members), 1, members, shown)[0]
        return {
            "branches": len(members),
            "revenue": avg(((n, day_at[d], r) for d, n, _, _, r in daily), len(days), 0),
            "transactions": avg(((n, day_at[d], t) for d, n, _, t, _ in daily), len(days), 2),
            "weekly": avg(((n, i, r) for n, i, r, _ in weekly), n_weeks, 0),
            "recent": None if mean is None else round(mean),
        }

    for name, b in branches.items():
        peers = {n for n, r in region_of.items() if r == region_of[name]}
        b["rank"] = {
            "revenue": rank({n: recent[n] for n in peers}, name),
            "growth": rank({n: growth[n] for n in peers}, name),
        }
    return {
        "chain": block(set(region_of)),
        "regions": [block({n for n, r in region_of.items() if r == reg}) for reg in regions],
    }
