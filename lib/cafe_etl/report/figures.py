"""The report's figures, read from the warehouse once, as compact JSON.

One `query(sql) -> rows` function is all this needs, so the same code reads the embedded
PostgreSQL and Redshift (through the Data API, which returns dates and decimals as text:
every value is converted here). The SQL uses only what both dialects share; dates are
literals worked out in Python, so no dialect's date arithmetic is needed.

A report covers the last `weeks` whole weeks (Monday to Sunday) up to the warehouse's last
day with sales, so its size does not grow with the warehouse's history. It holds the
figures of the branches in its scope only (one branch, one region, or the chain): the
daily and weekly figures of every branch are read to work out the averages and ranks the
scope is compared with (compare.py), and only those comparisons are kept.

Money is carried in pence (integers), so the JSON stays small and sums stay exact in
JavaScript. Per-branch arrays are aligned on one list of days and one list of weeks, with
`null` where a branch has no figure.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from cafe_etl.errors import UsageError
from cafe_etl.report import compare
from cafe_etl.schema import UNKNOWN_REGION
from cafe_etl.warehouse.base import as_date
from cafe_etl.warehouse.model import (
    DIM_BRANCH,
    DIM_PRODUCT,
    FACT_BASKET_ITEM,
    FACT_TRANSACTION,
    SCHEMA,
)
from cafe_etl.warehouse.views import COVERAGE_VIEW, FACTS

WEEKS = 13  # a quarter: the report's default span
WINDOW_DAYS = 28  # products and ranks: the last 4 weeks (products: against the 4 before)


def _pence(value) -> int:
    return int((Decimal(str(value)) * 100).to_integral_value())


def _sql_date(day: dt.date) -> str:
    return f"CAST('{day.isoformat()}' AS DATE)"


def _between(first: dt.date, last: dt.date) -> str:
    return f"f.sale_date BETWEEN {_sql_date(first)} AND {_sql_date(last)}"


def coverage_view_exists(query) -> bool:
    # pg_class and pg_namespace are catalog tables that Redshift keeps from PostgreSQL
    # ("Catalog query examples", Amazon Redshift Database Developer Guide,
    # docs.aws.amazon.com/redshift/latest/dg/c_join_PG_examples.html).
    rows = query(
        "SELECT COUNT(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        f"WHERE n.nspname = '{SCHEMA}' AND c.relname = '{COVERAGE_VIEW}'"
    )
    return int(rows[0][0]) > 0


def report_days(first: dt.date, last: dt.date, weeks: int) -> list[dt.date]:
    """The days a report covers: `weeks` weeks from a Monday to `last`, or from `first`
    when the warehouse holds less."""
    start = max(first, last - dt.timedelta(last.weekday() + 7 * (weeks - 1)))
    return [start + dt.timedelta(n) for n in range((last - start).days + 1)]


def _empty(scope: dict) -> dict:
    return {"scope": scope, "days": [], "weeks": [], "hours": [0, 0], "regions": [],
            "products": [], "payments": [], "windows": {}, "coverage": "facts",
            "branches": [], "averages": {"chain": None, "regions": []},
            "headline": {"days": []}, "full_week": -1, "unplaced": []}  # fmt: skip


def _in_scope(region_of: dict[str, str], branch: str | None, region: str | None) -> set[str]:
    if branch is not None:
        if branch not in region_of:
            raise UsageError(f"no branch named {branch!r} has sales in the report's weeks")
        return {branch}
    if region is not None:
        names = {n for n, r in region_of.items() if r == region}
        if not names:
            raise UsageError(f"no region named {region!r} has sales in the report's weeks")
        return names
    return set(region_of)


def collect(
    query, *, branch: str | None = None, region: str | None = None, weeks: int = WEEKS
) -> dict:
    """Everything the page draws for one branch (`branch`), one region (`region`) or the
    chain (neither): see the module docstring."""
    scope = {"branch": branch, "region": region, "weeks": weeks}
    span = query(f"SELECT MIN(sale_date), MAX(sale_date) FROM {FACT_TRANSACTION.qualified}")
    if not span or span[0][1] is None:
        if branch is not None or region is not None:
            raise UsageError("the warehouse has no sales yet")
        return _empty(scope)
    days = report_days(as_date(span[0][0]), as_date(span[0][1]), weeks)
    last = days[-1]
    day_at = {d: i for i, d in enumerate(days)}
    weeks_ = sorted({d - dt.timedelta(d.weekday()) for d in days})
    week_at = {w: i for i, w in enumerate(weeks_)}

    daily = [
        (as_date(d), name, reg, int(tx), _pence(rev))
        for d, name, reg, tx, rev in query(
            f"SELECT sale_date, branch_name, region, transactions, revenue "
            f"FROM {SCHEMA}.v_daily_branch_sales f WHERE {_between(days[0], last)}"
        )
    ]
    region_of = {name: reg for _, name, reg, _, _ in daily}
    shown = _in_scope(region_of, branch, region)
    ids = sorted(
        int(i)
        for i, name in query(f"SELECT branch_id, branch_name FROM {DIM_BRANCH.qualified}")
        if name in shown
    )
    # Ids, not names, in the SQL: nothing typed on the command line reaches a statement.
    where = "" if shown == set(region_of) else f" AND f.branch_id IN ({','.join(map(str, ids))})"

    names = sorted((region_of[n], n) for n in shown)  # by region, then name
    regions = sorted({r for r, _ in names})
    branches = {
        name: {"name": name, "region": regions.index(reg),
               "revenue": [None] * len(days), "transactions": [None] * len(days),
               "weekly": [None] * len(weeks_), "growth": [None] * len(weeks_),
               "hours": [], "products": [], "payments": [], "missing": [], "late": []}
        for reg, name in names
    }  # fmt: skip
    for day, name, _, transactions, revenue in daily:
        if name in branches:
            branches[name]["transactions"][day_at[day]] = transactions
            branches[name]["revenue"][day_at[day]] = revenue

    weekly = [
        (name, week_at[as_date(week)], _pence(rev), None if g is None else float(Decimal(str(g))))
        for name, week, rev, g in query(
            f"SELECT branch_name, week_start, revenue, growth_pct"
            f" FROM {SCHEMA}.v_branch_weekly_growth"
            f" WHERE week_start BETWEEN {_sql_date(weeks_[0])} AND {_sql_date(weeks_[-1])}"
        )
    ]
    for name, i, revenue, growth in weekly:
        if name in branches:
            branches[name]["weekly"][i] = revenue
            branches[name]["growth"][i] = growth

    full_week = _full_week(days, weeks_)
    averages = compare.comparisons(
        branches, region_of, regions, daily, weekly, days, len(weeks_), full_week, WINDOW_DAYS
    )
    ranges = compare.headline_days(last)
    heads = compare.headline(
        (
            (name, as_date(d), int(tx), _pence(rev))
            for name, d, tx, rev in query(
                f"SELECT b.branch_name, f.sale_date, COUNT(*), SUM(f.total_amount) FROM {FACTS}"
                f" WHERE ({' OR '.join(_between(a, b) for a, b in ranges)}){where}"
                f" GROUP BY b.branch_name, f.sale_date"
            )
        ),
        ranges,
    )
    for name, b in branches.items():
        b["headline"] = heads.get(name, [None] * len(ranges))

    hours = _hours(query, branches, days, where)
    payments = _payments(query, branches, days, where)
    products, windows = _products(query, branches, last, where)
    coverage = _coverage(query, branches, days, day_at)
    return {
        "scope": scope,
        "days": [d.isoformat() for d in days],
        "weeks": [w.isoformat() for w in weeks_],
        "hours": hours,
        "regions": regions,
        "products": products,
        "payments": payments,
        "windows": windows,
        "coverage": coverage,
        "branches": list(branches.values()),
        "averages": averages,
        "headline": {"days": [[a.isoformat(), b.isoformat()] for a, b in ranges]},
        "full_week": full_week,
        # Branches the region table does not know: the completeness panel names them.
        "unplaced": [name for reg, name in names if reg == UNKNOWN_REGION],
    }


def _full_week(days: list[dt.date], weeks: list[dt.date]) -> int:
    """The latest week with all seven days in the report (the last one may be partial)."""
    for w in range(len(weeks) - 1, -1, -1):
        if weeks[w] >= days[0] and weeks[w] + dt.timedelta(6) <= days[-1]:
            return w
    return len(weeks) - 1


def _hours(query, branches: dict, days: list[dt.date], where: str) -> list[int]:
    """Transactions per weekday (0 = Sunday) and hour, in the report's days."""
    # Redshift's GROUP BY must list the select list's non-aggregate expressions ("GROUP BY
    # clause", Amazon Redshift Database Developer Guide): the casts too, by position.
    hourly = query(
        f"SELECT b.branch_name, CAST(EXTRACT(DOW FROM f.sold_at) AS INTEGER),"
        f" CAST(EXTRACT(HOUR FROM f.sold_at) AS INTEGER), COUNT(*) FROM {FACTS}"
        f" WHERE {_between(days[0], days[-1])}{where}"
        f" GROUP BY 1, 2, 3"
    )
    hours = [min(int(r[2]) for r in hourly), max(int(r[2]) for r in hourly)]
    width = hours[1] - hours[0] + 1
    for b in branches.values():
        b["hours"] = [0] * (7 * width)
    for name, weekday, hour, transactions in hourly:
        branches[name]["hours"][int(weekday) * width + int(hour) - hours[0]] = int(transactions)
    return hours


def _payments(query, branches: dict, days: list[dt.date], where: str) -> list[str]:
    rows = query(
        f"SELECT b.branch_name, f.payment_method, COUNT(*), SUM(f.total_amount) FROM {FACTS}"
        f" WHERE {_between(days[0], days[-1])}{where}"
        f" GROUP BY b.branch_name, f.payment_method"
    )
    methods = sorted({r[1] for r in rows})
    for b in branches.values():
        b["payments"] = [[0, 0] for _ in methods]
    for name, method, transactions, revenue in rows:
        branches[name]["payments"][methods.index(method)] = [int(transactions), _pence(revenue)]
    return methods


def _products(query, branches: dict, last: dt.date, where: str) -> tuple[list[str], dict]:
    """Per branch and product (sizes together, flavours apart): items and revenue in the
    last 4 weeks and in the 4 before, as [product, last pence, before pence, last items,
    before items]. Both windows include their first and last days."""
    recent = last - dt.timedelta(WINDOW_DAYS - 1)
    before = recent - dt.timedelta(WINDOW_DAYS)
    in_recent = f"f.sale_date >= {_sql_date(recent)}"
    rows = query(
        f"SELECT b.branch_name, p.product_name, p.flavour,"
        f" SUM(CASE WHEN {in_recent} THEN i.unit_price ELSE 0 END),"
        f" SUM(CASE WHEN {in_recent} THEN 0 ELSE i.unit_price END),"
        f" SUM(CASE WHEN {in_recent} THEN 1 ELSE 0 END),"
        f" SUM(CASE WHEN {in_recent} THEN 0 ELSE 1 END)"
        f" FROM {FACT_BASKET_ITEM.qualified} i"
        f" JOIN {FACT_TRANSACTION.qualified} f ON f.transaction_id = i.transaction_id"
        f" JOIN {DIM_BRANCH.qualified} b ON b.branch_id = f.branch_id"
        f" JOIN {DIM_PRODUCT.qualified} p ON p.product_id = i.product_id"
        f" WHERE {_between(before, last)}{where}"
        f" GROUP BY b.branch_name, p.product_name, p.flavour"
    )
    labels = sorted({r[1] if r[2] is None else f"{r[1]} – {r[2]}" for r in rows})
    at = {label: i for i, label in enumerate(labels)}
    for name, product, flavour, rev, rev_before, items, items_before in rows:
        if name not in branches:  # sold in the 8 weeks, not in the report's (--weeks 1)
            continue
        label = product if flavour is None else f"{product} – {flavour}"
        branches[name]["products"].append(
            [at[label], _pence(rev), _pence(rev_before), int(items), int(items_before)]
        )
    for b in branches.values():
        b["products"].sort()
    windows = {
        "recent": [recent.isoformat(), last.isoformat()],
        "before": [before.isoformat(), (recent - dt.timedelta(1)).isoformat()],
    }
    return labels, windows


def _coverage(query, branches: dict, days: list[dt.date], day_at: dict) -> str:
    """Days a branch sent no file, and days whose files came late (as indexes into days).

    From the warehouse's coverage view when it exists; otherwise a day with no sales
    between the branch's first day and the last day of the report counts as sent no file,
    and lateness is unknown."""
    if coverage_view_exists(query):
        sent: dict[str, set[int]] = {name: set() for name in branches}
        for day, name, files, late_files in query(
            f"SELECT sale_date, branch_name, files, late_files FROM {SCHEMA}.{COVERAGE_VIEW} "
            f"WHERE sale_date BETWEEN {_sql_date(days[0])} AND {_sql_date(days[-1])}"
        ):
            if name not in branches:
                continue
            i = day_at[as_date(day)]
            if int(files or 0) > 0:
                sent[name].add(i)
            if int(late_files or 0) > 0:
                branches[name]["late"].append(i)
        source = "view"
    else:
        sent = {
            name: {i for i, v in enumerate(b["transactions"]) if v is not None}
            for name, b in branches.items()
        }
        source = "facts"
    for name, b in branches.items():
        known = [i for i, v in enumerate(b["transactions"]) if v is not None] + sorted(sent[name])
        start = min(known) if known else 0
        b["missing"] = [i for i in range(start, len(days)) if i not in sent[name]]
        b["late"].sort()
    return source
