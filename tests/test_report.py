"""The trends report: its figures are the views', and it renders in headless Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess
from decimal import Decimal

import psycopg
import pytest
from cafe_etl.report import write_report
from test_views import built  # noqa: F401  (the hand-built warehouse fixture)


@pytest.fixture
def report(built, tmp_path):  # noqa: F811
    return write_report(built, tmp_path / "report.html"), built


def cells(html: str, section: int) -> list[list[str]]:
    body = html.split("<section>")[section + 1]
    table = body.split("<tbody>")[1].split("</tbody>")[0]
    return [re.findall(r"<td>(.*?)</td>", row) for row in table.split("<tr>")[1:]]


def test_report_figures_match_the_views(report):
    path, url = report
    html = path.read_text()
    assert html.count("<section>") == 5
    with psycopg.connect(url) as conn:
        region_day = conn.execute(
            "SELECT sale_date, region, SUM(revenue) FROM cafe.v_daily_branch_sales "
            "GROUP BY 1, 2 ORDER BY 1, 2"
        ).fetchall()
        mix = conn.execute(
            "SELECT region, payment_method, SUM(transactions), SUM(revenue) "
            "FROM cafe.v_payment_mix GROUP BY 1, 2 ORDER BY 1, 2"
        ).fetchall()
    assert cells(html, 0) == [[d.isoformat(), r, f"{v:,.2f}"] for d, r, v in region_day]
    assert cells(html, 3) == [[r, m, str(n), f"{v:,.2f}"] for r, m, n, v in mix]
    growth = cells(html, 4)
    assert growth == [["Leeds", "Yorkshire and The Humber", "2026-11-09", "4.90", "6.55", "-25.19"]]
    heat = cells(html, 2)
    assert ["Mon", "08:00", "3"] in heat
    assert Decimal(cells(html, 1)[0][3]) > 0


def test_report_is_self_contained_and_renders_in_chromium(report, tmp_path):
    path, _ = report
    html = path.read_text()
    assert "<script src=" not in html and "cdn" not in html.lower().split("<body>")[1]
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "headless Chromium is needed (make test installs Debian's chromium)"
    done = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=10000",
            "--dump-dom",
            path.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    dom = done.stdout
    assert done.returncode == 0, done.stderr[-2000:]
    # plotly draws each chart as an SVG inside its div once the page's JS has run.
    rendered = re.findall(r'id="chart-\d".*?class="main-svg"', dom, flags=re.S)
    assert len(set(re.findall(r'id="(chart-\d)"', dom))) == 5
    assert dom.count('class="main-svg"') >= 5, dom[:500]
    assert rendered
