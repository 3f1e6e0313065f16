"""`cafe-etl report --warehouse_url URL --out FILE.html`: the report a manager opens first.

One self-contained HTML file (opens offline, no server): a region and a branch selector
over every branch's figures, embedded once as compact JSON (`figures.collect`), drawn by a
small inline script (`charts.js`, `report.js`) as SVG. Each chart has its figures in a table.

Reads the warehouse's views only (through warehouse.Warehouse.query); may import
warehouse and schema, and nothing of the jobs.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from importlib import resources
from pathlib import Path

from cafe_etl.report.figures import collect
from cafe_etl.warehouse import open_warehouse


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def _day(iso: str) -> str:
    return dt.date.fromisoformat(iso).strftime("%a %d %b %Y")


def render(figures: dict, title: str = "Cafe Connect — branch report") -> str:
    data = json.dumps(figures, separators=(",", ":"), ensure_ascii=False)
    # The JSON sits in a <script> element: "</" must not close it early.
    data = data.replace("</", "<\\/")
    days = figures["days"]
    period = f"{_day(days[0])} to {_day(days[-1])}." if days else "No sales in the warehouse yet."
    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    page = _asset("template.html")
    for key, value in (
        ("{{TITLE}}", html.escape(title)),
        ("{{PERIOD}}", html.escape(period)),
        ("{{GENERATED}}", generated),
        ("{{CSS}}", _asset("report.css")),
        ("{{JS}}", _asset("charts.js") + "\n" + _asset("report.js")),
        ("{{DATA}}", data),
    ):
        page = page.replace(key, value)
    return page


def write_report(warehouse_url: str, out: str | Path) -> Path:
    warehouse = open_warehouse(warehouse_url)

    def query(statement: str) -> list[tuple]:
        return warehouse.query(statement)[1]

    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(collect(query)), encoding="utf-8")
    return path.resolve()
