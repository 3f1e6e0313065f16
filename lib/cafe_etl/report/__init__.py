"""`cafe-etl report --warehouse-url URL --out FILE.html [--branch NAME | --region NAME]`:
the report a manager opens first, and can send on.

One self-contained HTML file (opens offline, no server) over the last `--weeks` weeks:
headline tiles, then sales per day and week, ranks, busy hours, products, payments and
completeness, each chart with its figures in a table and as a CSV download. A branch's
file holds that branch's figures and the averages it is compared with, and no other
branch's; a region's file its branches'; the chain's file every branch's, with a region
and a branch selector (`report.html#branch=Leeds` opens on Leeds). The figures are
embedded once as compact JSON (`figures.collect`) and drawn by a small inline script
(`charts.js`, `report.js`) as SVG at the width of the screen.

Reads the warehouse's views only (through warehouse.Warehouse.query); may import
warehouse and schema, and nothing of the jobs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
from importlib import resources
from pathlib import Path

from cafe_etl.job_args import WAREHOUSE_URL_HELP, kebab_option
from cafe_etl.report.figures import WEEKS, collect
from cafe_etl.warehouse import open_warehouse

# The charts' sections, in page order: report.js fills each by its id.
SECTIONS = (
    ("daily", "Sales per day"),
    ("weekly", "Week on week"),
    ("ranking", "Ranking"),
    ("heatmap", "Busy hours"),
    ("products", "Products rising and falling"),
    ("payments", "Payment mix"),
    ("coverage", "Data completeness"),
)
_SECTION = (
    '<section id="{id}"><h2>{heading}</h2><p class="note"></p><div class="chart"></div>'
    '<details><summary>Figures</summary><div class="figures"></div></details>'
    '<p class="download"><a class="csv" href="#">Download the figures (CSV)</a></p></section>'
)


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def _day(iso: str) -> str:
    return dt.date.fromisoformat(iso).strftime("%a %d %b %Y")


def title_of(figures: dict) -> str:
    scope = figures.get("scope") or {}
    return "Cafe Connect — " + (scope.get("branch") or scope.get("region") or "the chain")


def render(figures: dict, title: str | None = None) -> str:
    title = title or title_of(figures)
    data = json.dumps(figures, separators=(",", ":"), ensure_ascii=False)
    # The JSON sits in a <script> element: "</" must not close it early.
    data = data.replace("</", "<\\/")
    days = figures["days"]
    period = f"{_day(days[0])} to {_day(days[-1])}." if days else "No sales in the warehouse yet."
    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    page = _asset("template.html")
    for key, value in (
        ("{{SECTIONS}}", "\n".join(_SECTION.format(id=i, heading=h) for i, h in SECTIONS)),
        ("{{TITLE}}", html.escape(title)),
        ("{{PERIOD}}", html.escape(period)),
        ("{{GENERATED}}", generated),
        ("{{CSS}}", _asset("report.css")),
        ("{{JS}}", _asset("charts.js") + "\n" + _asset("report.js")),
        ("{{DATA}}", data),
    ):
        page = page.replace(key, value)
    return page


def write_report(
    warehouse_url: str,
    out: str | Path,
    *,
    branch: str | None = None,
    region: str | None = None,
    weeks: int = WEEKS,
) -> Path:
    warehouse = open_warehouse(warehouse_url)

    def query(statement: str) -> list[tuple]:
        return warehouse.query(statement)[1]

    figures = collect(query, branch=branch, region=region, weeks=weeks)
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(figures), encoding="utf-8")
    return path.resolve()


def _weeks(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of weeks (1 or more)")
    return int(text)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `report` subcommand's options (cli.py registers the subcommand)."""
    kebab_option(parser, "--warehouse-url", required=True, metavar="URL", help=WAREHOUSE_URL_HELP)
    parser.add_argument("--out", required=True, metavar="FILE", help="the HTML file to write")
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument(
        "--branch",
        metavar="NAME",
        help="a file for this branch only: its figures and its region's and the chain's "
        "averages, no other branch's",
    )
    scope.add_argument(
        "--region",
        metavar="NAME",
        help="a file for this region only: its branches' figures and the chain's averages",
    )
    parser.add_argument(
        "--weeks",
        type=_weeks,
        default=WEEKS,
        metavar="N",
        help=f"weeks covered, up to the last day with sales (default {WEEKS})",
    )


def run(args: argparse.Namespace) -> int:
    path = write_report(
        args.warehouse_url, args.out, branch=args.branch, region=args.region, weeks=args.weeks
    )
    print(f"report written to {path}")
    return 0
