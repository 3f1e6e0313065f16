"""`cafe-etl status`: what an operator checks each morning, from the warehouse alone.

The last runs (the run ledger, cafe.etl_run, with each run's summary), the branch-day
coverage of the last days (the cafe.v_branch_day_coverage view: files, transactions and
late files per branch and day; the branches a run found missing, unless a file came
since), and the rows quarantined by reason in those runs. Local PostgreSQL and Redshift
alike (warehouse.Warehouse.query: the Data API gives every value as text).

Reads the warehouse only; may import warehouse and errors, and nothing of the jobs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections import Counter

from cafe_etl.job_args import WAREHOUSE_URL_HELP, kebab_option
from cafe_etl.warehouse import Warehouse, open_warehouse, views
from cafe_etl.warehouse.base import as_date
from cafe_etl.warehouse.model import ETL_RUN, SCHEMA

COVERAGE_VIEW = f"{SCHEMA}.{views.COVERAGE_VIEW}"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    kebab_option(parser, "--warehouse-url", required=True, help=WAREHOUSE_URL_HELP)
    parser.add_argument(
        "--days",
        type=_positive,
        default=7,
        help="coverage of this many days, up to --until (default: 7)",
    )
    parser.add_argument(
        "--until",
        type=_day_arg,
        default=None,
        metavar="YYYY-MM-DD",
        help="the coverage's last day (default: the latest day loaded)",
    )
    parser.add_argument(
        "--runs", type=_positive, default=10, help="how many of the last runs (default: 10)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")


def run(args: argparse.Namespace) -> int:
    report = collect(open_warehouse(args.warehouse_url), args.days, args.runs, args.until)
    print(json.dumps(report, indent=2) if args.json else render(report))
    return 0


def collect(
    warehouse: Warehouse, days: int = 7, runs: int = 10, until: dt.date | None = None
) -> dict:
    last = _runs(warehouse, runs)
    quarantine: Counter[str] = Counter()
    for entry in last:
        quarantine.update(entry["quarantined_by_reason"])
    return {
        "runs": last,
        "coverage": _coverage(warehouse, days, last, until),
        "quarantine_by_reason": dict(quarantine.most_common()),
    }


def _runs(warehouse: Warehouse, limit: int) -> list[dict]:
    _, rows = warehouse.query(
        f"SELECT run_id, job_name, started_at, finished_at, status, summary "
        f"FROM {ETL_RUN.qualified} ORDER BY started_at DESC LIMIT {int(limit)}"
    )
    result = []
    for run_id, job_name, started, finished, status, text in rows:
        summary = json.loads(text) if text else {}
        started_at, finished_at = _time(started), _time(finished)
        seconds = (finished_at - started_at).total_seconds() if finished_at else None
        result.append(
            {
                "run_id": run_id,
                "job_name": job_name,
                "status": status,
                "source": summary.get("source"),
                "started_at": started_at.isoformat(sep=" ", timespec="seconds"),
                "seconds": round(seconds, 1) if seconds is not None else None,
                "days_processed": summary.get("days_processed", summary.get("sale_dates", [])),
                "files_read": summary.get("files_read"),
                "rows_read": summary.get("rows_read"),
                "transactions": summary.get("transactions"),
                "quarantined": summary.get("quarantined"),
                "duplicates": summary.get("duplicates"),
                "late_files": summary.get("late_file_count", 0),
                "missing_branch_days": summary.get("missing_branch_days", 0),
                "quarantined_by_reason": summary.get("quarantined_by_reason") or {},
                "missing_branches": summary.get("missing_branches") or {},
                "error": summary.get("error"),
            }
        )
    return result


def _coverage(warehouse: Warehouse, days: int, runs: list[dict], until: dt.date | None) -> dict:
    if until is None:
        _, ((latest,),) = warehouse.query(f"SELECT MAX(sale_date) FROM {COVERAGE_VIEW}")
        if latest is None:
            return {"first_day": None, "last_day": None, "days": []}
        until = as_date(latest)
    last_day = until
    first_day = last_day - dt.timedelta(days=days - 1)
    _, rows = warehouse.query(
        f"SELECT sale_date, branch_name, files, transactions, late_files FROM {COVERAGE_VIEW} "
        f"WHERE sale_date BETWEEN '{first_day}' AND '{last_day}'"
    )
    by_day: dict[str, dict] = {
        (first_day + dt.timedelta(days=n)).isoformat(): {
            "present": set(),
            "files": 0,
            "transactions": 0,
            "late_files": 0,
            "late": [],
            "missing": set(),
        }
        for n in range(days)
    }
    for sale_date, branch, files, transactions, late_files in rows:
        day = by_day[as_date(sale_date).isoformat()]
        day["present"].add(branch)
        day["files"] += int(files)
        day["transactions"] += int(transactions)
        day["late_files"] += int(late_files)
        if int(late_files):
            day["late"].append(branch)
    # What a run found missing, unless a file of that branch and day came since.
    for entry in runs:
        for day, branches in entry["missing_branches"].items():
            if day in by_day:
                by_day[day]["missing"] |= set(branches) - by_day[day]["present"]
    return {
        "first_day": first_day.isoformat(),
        "last_day": last_day.isoformat(),
        "days": [
            {
                "day": day,
                "branches": len(f["present"]),
                "files": f["files"],
                "transactions": f["transactions"],
                "late_files": f["late_files"],
                "late": sorted(f["late"]),
                "missing": sorted(f["missing"]),
            }
            for day, f in by_day.items()
        ],
    }


def render(report: dict) -> str:
    runs = [
        (
            r["started_at"],
            r["status"],
            r["source"] or "",
            _show(r["seconds"]),
            _show(r["files_read"]),
            _show(r["transactions"]),
            _show(r["quarantined"]),
            r["late_files"],
            r["missing_branch_days"],
            r["run_id"],
        )
        for r in report["runs"]
    ]
    coverage = report["coverage"]
    days = [
        (
            d["day"],
            d["branches"],
            d["files"],
            d["transactions"],
            ", ".join(d["late"]) or "-",
            ", ".join(d["missing"]) or "-",
        )
        for d in coverage["days"]
    ]
    span = (
        f"{coverage['first_day']} to {coverage['last_day']}"
        if coverage["last_day"]
        else "no sales loaded yet"
    )
    quarantine = list(report["quarantine_by_reason"].items())
    return "\n\n".join(
        [
            "Last runs, newest first\n"
            + format_table(
                (
                    "started (UTC)",
                    "status",
                    "source",
                    "seconds",
                    "files",
                    "transactions",
                    "quarantined",
                    "late",
                    "missing",
                    "run",
                ),
                runs,
            ),
            f"Branch-day coverage, {span}\n"
            + format_table(("day", "branches", "files", "transactions", "late", "missing"), days),
            "Quarantined rows by reason, in the runs above\n"
            + format_table(("reason", "rows"), quarantine or [("(none)", 0)]),
        ]
    )


def format_table(columns, rows) -> str:
    cells = [[str(c) for c in columns]] + [[str(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _show(value) -> str:
    return "-" if value is None else str(value)


def _time(value) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


def _day_arg(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a YYYY-MM-DD date") from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return value
