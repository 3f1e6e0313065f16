"""The report's figures: every branch's numbers, read from the warehouse once, as compact JSON.

One `query(sql) -> rows` function is all this needs, so the same code reads the embedded
PostgreSQL and Redshift (through the Data API, which returns dates and decimals as text:
every value is converted here). The SQL uses only what both dialects share; dates are
literals worked out in Python, so no dialect's date arithmetic is needed.

Money is carried in pence (integers), so the JSON stays small and sums stay exact in
JavaScript. Per-branch arrays are aligned on one list of days and one list of weeks, with
`null` where a branch has no figure.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from cafe_etl.schema import UNKNOWN_REGION
from cafe_etl.warehouse.model import (
    DIM_BRANCH,
    DIM_PRODUCT,
    FACT_BASKET_ITEM,
    FACT_TRANSACTION,
    SCHEMA,
)

COVERAGE_VIEW = "v_branch_day_coverage"
WINDOW_DAYS = 28  # products: the last 4 weeks against the 4 before


def _date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _pence(value) -> int:
    return int((Decimal(str(value)) * 100).to_integral_value())


def _sql_date(day: dt.date) -> str:
    return f"CAST('{day.isoformat()}' AS DATE)"


def coverage_view_exists(query) -> bool:
    # pg_class and pg_namespace are catalog tables that Redshift keeps from PostgreSQL
    # ("Catalog query examples", Amazon Redshift Database Developer Guide,
    # docs.aws.amazon.com/redshift/latest/dg/c_join_PG_examples.html).
    rows = query(
        "SELECT COUNT(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        f"WHERE n.nspname = '{SCHEMA}' AND c.relname = '{COVERAGE_VIEW}'"
    )
    return int(rows[0][0]) > 0


def collect(query) -> dict:
    """Everything the page draws, for every branch: see the module docstring for the shape."""
    daily = query(
        f"SELECT sale_date, branch_name, region, transactions, revenue "
        f"FROM {SCHEMA}.v_daily_branch_sales"
    )
    if not daily:
        return {"days": [], "weeks": [], "hours": [0, 0], "regions": [], "products": [],
                "payments": [], "windows": {}, "coverage": "facts", "branches": [],
                "unplaced": []}  # fmt: skip
    first = min(_date(r[0]) for r in daily)
    last = max(_date(r[0]) for r in daily)
    days = [first + dt.timedelta(n) for n in range((last - first).days + 1)]
    day_at = {d: i for i, d in enumerate(days)}
    weeks = sorted({d - dt.timedelta(d.weekday()) for d in days})
    week_at = {w: i for i, w in enumerate(weeks)}

    names = sorted({(r[2], r[1]) for r in daily})  # by region, then name
    regions = sorted({region for region, _ in names})
    branches = {
        name: {
            "name": name,
            "region": regions.index(region),
            "revenue": [None] * len(days),
            "transactions": [None] * len(days),
            "weekly": [None] * len(weeks),
            "growth": [None] * len(weeks),
            "hours": [],
            "products": [],
            "payments": [],
            "missing": [],
            "late": [],
        }
        for region, name in names
    }
    for day, name, _, transactions, revenue in daily:
        b, i = branches[name], day_at[_date(day)]
        b["transactions"][i] = int(transactions)
        b["revenue"][i] = _pence(revenue)

    for name, week, revenue, growth in query(
        f"SELECT branch_name, week_start, revenue, growth_pct FROM {SCHEMA}.v_branch_weekly_growth"
    ):
        i = week_at[_date(week)]
        branches[name]["weekly"][i] = _pence(revenue)
        branches[name]["growth"][i] = None if growth is None else float(Decimal(str(growth)))

    hourly = query(
        f"SELECT branch_name, day_of_week, hour_of_day, transactions FROM {SCHEMA}.v_hourly_sales"
    )
    hours = [min(int(r[2]) for r in hourly), max(int(r[2]) for r in hourly)]
    width = hours[1] - hours[0] + 1
    for b in branches.values():
        b["hours"] = [0] * (7 * width)
    for name, weekday, hour, transactions in hourly:
        branches[name]["hours"][int(weekday) * width + int(hour) - hours[0]] = int(transactions)

    payments = _payments(query, branches)
    products, windows = _products(query, branches, last)
    coverage = _coverage(query, branches, days, day_at)
    return {
        "days": [d.isoformat() for d in days],
        "weeks": [w.isoformat() for w in weeks],
        "hours": hours,
        "regions": regions,
        "products": products,
        "payments": payments,
        "windows": windows,
        "coverage": coverage,
        "branches": list(branches.values()),
        # Branches the region table does not know: the completeness panel names them.
        "unplaced": [name for region, name in names if region == UNKNOWN_REGION],
    }


def _payments(query, branches: dict) -> list[str]:
    rows = query(
        f"SELECT b.branch_name, f.payment_method, COUNT(*), SUM(f.total_amount) "
        f"FROM {FACT_TRANSACTION.qualified} f "
        f"JOIN {DIM_BRANCH.qualified} b ON b.branch_id = f.branch_id "
        f"GROUP BY b.branch_name, f.payment_method"
    )
    methods = sorted({r[1] for r in rows})
    for b in branches.values():
        b["payments"] = [[0, 0] for _ in methods]
    for name, method, transactions, revenue in rows:
        branches[name]["payments"][methods.index(method)] = [int(transactions), _pence(revenue)]
    return methods


def _products(query, branches: dict, last: dt.date) -> tuple[list[str], dict]:
    """Per branch and product (sizes together, flavours apart): items and revenue in the
    last 4 weeks and in the 4 before, as [product, last pence, before pence, last items,
    before items]."""
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
        f" WHERE f.sale_date >= {_sql_date(before)}"
        f" GROUP BY b.branch_name, p.product_name, p.flavour"
    )
    labels = sorted({r[1] if r[2] is None else f"{r[1]} – {r[2]}" for r in rows})
    at = {label: i for i, label in enumerate(labels)}
    for name, product, flavour, rev, rev_before, items, items_before in rows:
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
            i = day_at[_date(day)]
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
