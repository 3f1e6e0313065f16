"""The branch report: figures worked by hand on a hand-built warehouse, then the page driven
in real headless Chromium (Debian's `chromium`, through Playwright: no browser download).

The expected figures below are worked out by hand from the facts inserted here, not by
the report's SQL; the browser tests compare the page with the trend views.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shutil
import time
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import unquote

import psycopg
import pytest
import sqlglot
from cafe_etl.cli import main
from cafe_etl.errors import UsageError
from cafe_etl.report import render, write_report
from cafe_etl.report.figures import collect
from cafe_etl.warehouse.postgres import PostgresWarehouse
from test_aws_contracts import groups_by_its_select_list

YORKS = "Yorkshire and The Humber"
FIRST = dt.date(2026, 9, 1)  # a Tuesday; 2026-11-09 is a Monday


@pytest.fixture
def shop(warehouse_url):
    """Three branches over 70 days (1 Sep to 9 Nov 2026), sales on a few of them."""
    PostgresWarehouse(warehouse_url).ensure_schema()
    with psycopg.connect(warehouse_url) as conn:
        # A warehouse from before the file ledger: the report derives the gaps from the
        # facts (the view's own path has its test below).
        conn.execute("DROP VIEW cafe.v_branch_day_coverage")
        conn.execute(
            f"INSERT INTO cafe.dim_branch VALUES (1, 'Leeds', '{YORKS}'),"
            f" (2, 'York', '{YORKS}'), (3, 'Bath', 'South West')"
        )
        conn.execute(
            "INSERT INTO cafe.dim_product VALUES (10, 'Latte', 'Large', NULL),"
            " (11, 'Latte', 'Regular', NULL), (12, 'Smoothies', NULL, 'Berry Beautiful'),"
            " (13, 'Smoothies', NULL, 'Carrot Kick'), (14, 'Cortado', NULL, NULL)"
        )
        facts = [  # (id, branch, sold_at, payment, total, [(product, price)])
            ("a", 1, "2026-11-09 08:10", "CARD", "4.50", [(10, "2.45"), (14, "2.05")]),
            ("b", 1, "2026-11-08 08:40", "CASH", "2.15", [(11, "2.15")]),
            ("c", 1, "2026-10-05 09:05", "CARD", "2.45", [(10, "2.45")]),
            ("d", 1, "2026-10-05 09:30", "CARD", "4.00", [(12, "2.00"), (13, "2.00")]),
            ("e", 1, "2026-11-07 10:00", "CARD", "2.00", [(12, "2.00")]),
            ("f", 2, "2026-11-09 12:05", "CARD", "2.45", [(10, "2.45")]),
            ("g", 3, "2026-11-09 13:00", "CASH", "2.05", [(14, "2.05")]),
            ("h", 2, "2026-09-01 12:00", "CASH", "2.05", [(14, "2.05")]),
        ]
        for tid, branch, at, pay, total, items in facts:
            conn.execute(
                "INSERT INTO cafe.fact_transaction VALUES (%s, %s, %s, CAST(%s AS DATE),"
                " %s, %s, %s, NULL, 'batch')",
                (tid * 64, branch, at, at[:10], pay, total, len(items)),
            )
            for n, (product, price) in enumerate(items, 1):
                conn.execute(
                    "INSERT INTO cafe.fact_basket_item VALUES (%s, %s, %s, %s)",
                    (tid * 64, n, product, price),
                )
    return warehouse_url


def query_of(url):
    def query(sql):
        with psycopg.connect(url) as conn:
            return conn.execute(sql).fetchall()

    return query


def at(day: str) -> int:
    return (dt.date.fromisoformat(day) - FIRST).days


def test_figures_worked_by_hand(shop):
    f = collect(query_of(shop))
    assert len(f["days"]) == 70 and f["days"][0] == "2026-09-01" and f["days"][-1] == "2026-11-09"
    assert (
        f["weeks"][0] == "2026-08-31" and f["weeks"][-1] == "2026-11-09" and len(f["weeks"]) == 11
    )
    assert f["regions"] == ["South West", YORKS]
    assert f["hours"] == [8, 13]
    assert f["payments"] == ["CARD", "CASH"]
    # The last 4 weeks end on the last day with sales; the 4 before end the day before them.
    assert f["windows"] == {
        "recent": ["2026-10-13", "2026-11-09"],
        "before": ["2026-09-15", "2026-10-12"],
    }
    # Sizes together (two lattes, one product), flavours apart (two smoothies).
    assert f["products"] == [
        "Cortado",
        "Latte",
        "Smoothies – Berry Beautiful",
        "Smoothies – Carrot Kick",
    ]
    b = {x["name"]: x for x in f["branches"]}
    assert [x["name"] for x in f["branches"]] == ["Bath", "Leeds", "York"]  # by region
    leeds = b["Leeds"]
    assert leeds["region"] == 1
    revenue = {i: v for i, v in enumerate(leeds["revenue"]) if v is not None}
    assert revenue == {at("2026-10-05"): 645, at("2026-11-07"): 200, at("2026-11-08"): 215,
                       at("2026-11-09"): 450}  # fmt: skip
    assert leeds["transactions"][at("2026-10-05")] == 2
    # [product, pence last 4 weeks, pence 4 before, items last 4 weeks, items 4 before]
    assert leeds["products"] == [
        [0, 205, 0, 1, 0],  # Cortado: new
        [1, 460, 245, 2, 1],  # Latte: 2.45 + 2.15 against 2.45
        [2, 200, 200, 1, 1],  # Berry Beautiful: level
        [3, 0, 200, 0, 1],  # Carrot Kick: gone
    ]
    assert b["York"]["products"] == [[1, 245, 0, 1, 0]]  # 1 Sep is before both windows
    assert leeds["payments"] == [[4, 1295], [1, 215]]
    assert b["Bath"]["payments"] == [[0, 0], [1, 205]]
    # weekday 0 = Sunday; hour columns 08..13
    hours = {i: v for i, v in enumerate(leeds["hours"]) if v}
    assert hours == {0 * 6 + 0: 1, 1 * 6 + 0: 1, 1 * 6 + 1: 2, 6 * 6 + 2: 1}
    # Weekly revenue and the view's growth: 6.45 (w/c 5 Oct), 4.15 (2 Nov), 4.50 (9 Nov).
    weeks = f["weeks"]
    assert leeds["weekly"][weeks.index("2026-11-02")] == 415
    assert leeds["growth"][weeks.index("2026-11-09")] == 8.43  # 4.50 on 4.15
    # No coverage view: a day without sales from the branch's first day on has no file.
    assert f["coverage"] == "facts"
    sold = {at(d) for d in ("2026-10-05", "2026-11-07", "2026-11-08", "2026-11-09")}
    assert leeds["missing"] == [i for i in range(at("2026-10-05"), 70) if i not in sold]
    assert len(leeds["missing"]) == 32 and leeds["late"] == []
    assert b["Bath"]["missing"] == []
    assert len(b["York"]["missing"]) == 68


def test_coverage_comes_from_the_view_when_the_warehouse_has_it(shop):
    with psycopg.connect(shop) as conn:
        # The columns helper D's view gives: sale_date, branch_name, region, files,
        # transactions, late_files.
        conn.execute(
            "CREATE VIEW cafe.v_branch_day_coverage AS SELECT * FROM (VALUES"
            f" (DATE '2026-11-09', 'Leeds', '{YORKS}', 1, 1, 1),"
            f" (DATE '2026-11-08', 'Leeds', '{YORKS}', 1, 1, 0),"
            f" (DATE '2026-11-07', 'Leeds', '{YORKS}', 0, 1, 0)"
            ") v(sale_date, branch_name, region, files, transactions, late_files)"
        )
    f = collect(query_of(shop))
    leeds = next(x for x in f["branches"] if x["name"] == "Leeds")
    assert f["coverage"] == "view"
    assert f["unplaced"] == []
    assert leeds["late"] == [at("2026-11-09")]
    # 7 Nov had sales (from the stream, say) but no file: the view says so.
    assert at("2026-11-07") in leeds["missing"] and at("2026-11-08") not in leeds["missing"]


def test_branches_without_a_region_are_named_for_the_completeness_panel(shop):
    with psycopg.connect(shop) as conn:
        conn.execute("UPDATE cafe.dim_branch SET region = 'Unknown' WHERE branch_name = 'Bath'")
    f = collect(query_of(shop))
    assert f["unplaced"] == ["Bath"]
    assert '"unplaced":["Bath"]' in render(f)  # embedded for the panel (report.js drawCoverage)


def test_same_figures_from_redshift_data_api_values(shop):
    """Redshift's Data API returns each value as one member of its `Field` union: whole
    numbers as longValue, DECIMAL and DATE as stringValue ("Field", Amazon Redshift Data
    API Reference, docs.aws.amazon.com/redshift-data/latest/APIReference/API_Field.html).
    PostgreSQL gives Decimal and date objects, so only this test sees the text forms. Each
    statement the report sends must also parse as Redshift SQL."""

    native = query_of(shop)
    sent: list[str] = []

    def as_data_api(sql):
        sent.append(sql)
        return [
            tuple(v if v is None or isinstance(v, int) else str(v) for v in row)
            for row in native(sql)
        ]

    assert collect(as_data_api) == collect(native)
    # span, days, branch ids, weeks, headline, hours, payments, products, coverage view?
    assert len(sent) == 9
    for sql in sent:
        assert sqlglot.parse_one(sql, read="redshift") is not None
        assert groups_by_its_select_list(sql), sql


def test_branch_names_cannot_break_out_of_the_embedded_json():
    page = render({"days": [], "weeks": [], "hours": [0, 0], "regions": ["</script><b>x"],
                   "products": [], "payments": [], "windows": {}, "coverage": "facts",
                   "branches": []})  # fmt: skip
    assert "</script><b>" not in page and "<\\/script><b>x" in page


# ---- in the browser ------------------------------------------------------------------------


def gbp(value) -> str:
    return f"£{Decimal(value):,.2f}"


def day(d) -> str:
    return d.strftime("%a %d %b")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "headless Chromium is needed (make test installs Debian's chromium)"
    with sync_playwright() as p:
        # The system browser: Playwright's own browser download is neither needed nor made.
        b = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield b
        b.close()


def open_page(browser, path, width=1280, fragment=""):
    page = browser.new_page(viewport={"width": width, "height": 900}, accept_downloads=True)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri() + fragment)
    page.wait_for_selector("body[data-ready='1']")
    return page, errors


def table(page, name) -> list[list[str]]:
    return page.eval_on_selector_all(
        f"table[data-figures='{name}'] tbody tr",
        "rows => rows.map(r => [...r.cells].map(c => c.textContent))",
    )


def daily_rows(rows, days) -> list[list[str]]:
    """The page's daily table for the view's rows; days without sales show dashes."""
    got = {d: (rev, tx) for d, rev, tx in rows}
    out = []
    for d in days:
        if d in got:
            rev, tx = got[d]
            out.append(
                [
                    day(d),
                    gbp(rev),
                    f"{tx:,}",
                    gbp((Decimal(rev) / tx).quantize(Decimal("0.01"), ROUND_HALF_UP)),
                ]
            )
        else:
            out.append([day(d), "–", "–", "–"])
    return out


def test_picking_a_region_then_a_branch_redraws_every_chart(shop, tmp_path, browser):
    path = write_report(shop, tmp_path / "report.html")
    page, errors = open_page(browser, path)
    q = query_of(shop)
    days = [FIRST + dt.timedelta(n) for n in range(70)]
    # The chain, by default: the view's figures summed over every branch.
    chain = q(
        "SELECT sale_date, SUM(revenue), SUM(transactions) FROM cafe.v_daily_branch_sales "
        "GROUP BY 1 ORDER BY 1"
    )
    assert page.text_content("#showing") == "The whole chain · 3 branches"
    assert table(page, "daily") == daily_rows(chain, days)

    page.select_option("#region", label=YORKS)
    assert page.eval_on_selector_all("#branch option", "o => o.map(x => x.text)") == [
        "All branches",
        "Leeds",
        "York",
    ]
    region = q(
        "SELECT sale_date, SUM(revenue), SUM(transactions) FROM cafe.v_daily_branch_sales "
        f"WHERE region = '{YORKS}' GROUP BY 1 ORDER BY 1"
    )
    assert page.evaluate("location.hash") == "#region=Yorkshire+and+The+Humber"
    assert [r[:4] for r in table(page, "daily")] == daily_rows(region, days)
    mix = q(
        "SELECT payment_method, SUM(transactions), SUM(revenue) FROM cafe.v_payment_mix "
        f"WHERE region = '{YORKS}' GROUP BY 1 ORDER BY 1"
    )
    assert [[r[0], r[1], r[3]] for r in table(page, "payments")] == [
        [m, str(n), gbp(v)] for m, n, v in mix
    ]
    # Region page: its branches ranked by revenue over the last 4 weeks, with sparklines.
    assert [r[:3] for r in table(page, "ranking")] == [
        ["1", "Leeds", "£8.65"],  # 2.00 + 2.15 + 4.50 (5 Oct is before the window)
        ["2", "York", "£2.45"],
    ]
    assert page.locator("#ranking svg.spark").count() == 2

    page.select_option("#branch", label="Leeds")
    assert page.get_attribute("body", "data-page") == "branch"
    leeds = q(
        "SELECT sale_date, revenue, transactions, avg_basket_value "
        "FROM cafe.v_daily_branch_sales WHERE branch_name = 'Leeds' ORDER BY 1"
    )
    rows = table(page, "daily")
    assert [r[:4] for r in rows] == daily_rows([r[:3] for r in leeds], days)
    assert {r[0]: r[3] for r in rows if r[3] != "–"} == {day(d): gbp(a) for d, _, _, a in leeds}
    # Overlays: the region's per-branch average (Leeds and York both sold on 9 Nov).
    assert rows[-1][4:] == ["£3.48", "£3.00"]  # (4.50 + 2.45) / 2, (4.50 + 2.45 + 2.05) / 3
    growth = q(
        "SELECT week_start, revenue, growth_pct FROM cafe.v_branch_weekly_growth "
        "WHERE branch_name = 'Leeds' AND growth_pct IS NOT NULL"
    )
    weekly = {r[0]: r[1:] for r in table(page, "weekly")}
    for week, revenue, pct in growth:
        label = day(week) + ("*" if week == dt.date(2026, 11, 9) else "")
        assert weekly[label][:2] == [gbp(revenue), f"{pct:+.2f}%"]
    assert page.text_content("#rank") == (
        f"Leeds is 1 of 2 by revenue and 1 of 2 by growth in {YORKS}."
    )
    products = table(page, "products")
    assert [r[1:] for r in products] == [
        ["Latte", "£4.60", "£2.45", "2", "1", "+87.76%"],
        ["Cortado", "£2.05", "£0.00", "1", "0", "new"],
        ["Smoothies – Berry Beautiful", "£2.00", "£2.00", "1", "1", "0.00%"],
        ["Smoothies – Carrot Kick", "£0.00", "£2.00", "0", "1", "-100.00%"],
    ]
    # Top and bottom lists: with four products, the better two are the top.
    tops = page.locator("#products svg").nth(0).locator("text.ylab").all_text_contents()
    bottoms = page.locator("#products svg").nth(1).locator("text.ylab").all_text_contents()
    assert tops == ["Latte", "Cortado"]
    assert bottoms == ["Smoothies – Carrot Kick", "Smoothies – Berry Beautiful"]
    heat = {r[0]: r[1:] for r in table(page, "heatmap")}
    assert heat["Mon"] == ["1", "2", "0", "0", "0", "0"] and heat["Sat"][2] == "1"
    coverage = table(page, "coverage")
    assert len(coverage) == 32 and ["Leeds", "Mon 12 Oct", "no file"] in coverage
    # York sold nothing in the week of 2 Nov: no growth rank is made up for it.
    page.select_option("#branch", label="York")
    assert page.text_content("#rank") == f"York is 2 of 2 by revenue in {YORKS}."
    # Printed, the page is A4 landscape (842 x 595 points).
    assert b"/MediaBox [0 0 841.9" in page.pdf(prefer_css_page_size=True)
    assert errors == []


def embedded(page_html: str) -> dict:
    return json.loads(re.search(r'id="figures">(.*?)</script>', page_html, re.S)[1])


def numbers(value) -> set:
    """Every number anywhere in `value` (the figures embedded in a report, or part of them)."""
    if isinstance(value, dict):
        return set().union(*map(numbers, value.values()))
    if isinstance(value, list):
        return set().union(*map(numbers, value))
    return {value} if isinstance(value, (int, float)) and not isinstance(value, bool) else set()


def test_branch_file_holds_that_branch_and_the_averages_only(shop, tmp_path, browser):
    with psycopg.connect(shop) as conn:
        for tid, branch, at_, total in (
            ("y", 2, "2026-11-03 09:00", "7.77"),  # York alone that day
            ("p", 1, "2026-11-02 09:00", "3.00"),  # Leeds, last week's Monday
            ("q", 1, "2025-11-10 09:00", "9.00"),  # Leeds, a year before (52 weeks)
        ):
            conn.execute(
                "INSERT INTO cafe.fact_transaction VALUES (%s, %s, %s, CAST(%s AS DATE),"
                " 'CARD', %s, 1, NULL, 'batch')",
                (tid * 64, branch, at_, at_[:10], total),
            )
    out = tmp_path / "leeds.html"
    # As a user types it, with the old spelling of the warehouse flag.
    assert main(["report", "--warehouse_url", shop, "--out", str(out), "--branch", "Leeds"]) == 0
    text = out.read_text()
    assert "Leeds" in text and not re.search(r"\b(York|Bath)\b", text)
    # No other branch's figure: their daily and weekly revenues (in pence), less those
    # Leeds happens to share, appear nowhere in the file. Without the rule that an average
    # over fewer than three branches stays out, 3 Nov's chain average would be York's 7.77.
    others = {
        int(v * 100)
        for (v,) in query_of(shop)(
            "SELECT revenue FROM cafe.v_daily_branch_sales WHERE branch_name <> 'Leeds' "
            "UNION SELECT revenue FROM cafe.v_branch_weekly_growth WHERE branch_name <> 'Leeds'"
        )
    }
    figures = embedded(text)
    assert [b["name"] for b in figures["branches"]] == ["Leeds"]
    others -= numbers(figures["branches"])
    assert 777 in others and not others & numbers(figures)

    page, errors = open_page(browser, out, fragment="#branch=Leeds")
    assert page.get_attribute("body", "data-page") == "branch"
    assert not re.search(r"\b(York|Bath)\b", page.inner_text("body"))
    # Headline: Mon 9 Nov against Mon 2 Nov and Mon 10 Nov 2025, worked by hand.
    tiles = {
        m: [
            page.inner_text(f"#headline [data-measure={m}] {c}")
            for c in (".now", ".vs-week", ".vs-year")
        ]
        for m in ("revenue", "transactions", "basket")
    }
    assert tiles == {
        "revenue": ["£4.50", "▲ +50.0% on last week (£3.00)", "▼ -50.0% on last year (£9.00)"],
        "transactions": ["1", "0.0% on last week (1)", "0.0% on last year (1)"],
        "basket": ["£4.50", "▲ +50.0% on last week (£3.00)", "▼ -50.0% on last year (£9.00)"],
    }
    # The region (two branches) has no average in this file; the chain's (three) has, on
    # the one day all three sold: (4.50 + 2.45 + 2.05) / 3.
    rows = table(page, "daily")
    assert page.locator("#daily .legend span").all_text_contents() == ["Leeds", "Chain, per branch"]
    assert [r[4] for r in rows if r[4] != "–"] == ["£3.00"] and rows[-1][4] == "£3.00"
    # Its rank, without the others: in the week of 2 Nov York grew 279 % (7.77 on 2.05),
    # Leeds 10.85 % (7.15 on 6.45).
    assert page.text_content("#rank") == (
        f"Leeds is 1 of 2 by revenue and 2 of 2 by growth in {YORKS}."
    )
    # The daily figures as CSV, downloaded by the browser from the link the page built.
    with page.expect_download() as got:
        page.click("#daily a.csv")
    download = got.value
    assert download.suggested_filename == "leeds-daily.csv"
    body = download.path().read_bytes().decode("utf-8-sig")
    assert body == unquote(page.get_attribute("#daily a.csv", "href").split(",", 1)[1])[1:]
    parsed = list(csv.reader(io.StringIO(body)))
    assert parsed[0] == ["Day", "Revenue", "Transactions", "Average basket",
                         "Chain revenue per branch"]  # fmt: skip
    assert parsed[-1] == ["2026-11-09", "4.50", "1", "4.50", "3.00"]
    assert len(parsed) == 1 + len(rows)
    assert errors == []


def test_region_file_and_unknown_names(shop):
    f = collect(query_of(shop), region=YORKS)
    assert [b["name"] for b in f["branches"]] == ["Leeds", "York"] and f["regions"] == [YORKS]
    assert "Bath" not in render(f)
    with pytest.raises(UsageError, match="Nowhere"):
        collect(query_of(shop), branch="Nowhere")


def test_the_address_opens_on_a_branch_and_follows_the_selection(shop, tmp_path, browser):
    path = write_report(shop, tmp_path / "report.html")
    page, errors = open_page(browser, path, fragment="#branch=York")
    assert page.text_content("#showing") == f"York · {YORKS}"
    page.select_option("#branch", label="Leeds")
    assert page.evaluate("location.hash") == "#branch=Leeds"
    assert errors == []


def test_empty_warehouse_still_writes_a_page(warehouse_url, tmp_path, browser):
    PostgresWarehouse(warehouse_url).ensure_schema()
    path = write_report(warehouse_url, tmp_path / "r.html")
    assert "No sales in the warehouse yet." in path.read_text()
    page, errors = open_page(browser, path)
    assert page.inner_text("#headline") == "No sales in the warehouse yet."
    assert errors == []


PHONE = """() => {
  document.querySelectorAll("details").forEach((d) => { d.open = true; });
  const sizes = [...document.querySelectorAll("svg text")].filter((t) => t.textContent.trim())
    .map((t) => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a);
  return { scroll: document.documentElement.scrollWidth, view: window.innerWidth,
           texts: sizes.length, smallest: Math.min(...sizes) };
}"""


def test_readable_on_a_phone(shop, tmp_path, browser):
    """At 390 px (a phone held upright) the page does not scroll sideways and no chart
    label is drawn under 11 px, on the chain's page, a region's and a branch's."""
    path = write_report(shop, tmp_path / "report.html")
    page, errors = open_page(browser, path, width=390)
    for pick in (None, ("#region", YORKS), ("#branch", "Leeds")):
        if pick:
            page.select_option(pick[0], label=pick[1])
        got = page.evaluate(PHONE)
        assert got["view"] == 390 and got["scroll"] <= 390, (pick, got)
        assert got["texts"] > 50 and got["smallest"] >= 11, (pick, got)
    assert errors == []


def test_120_branches_by_2_years_is_under_5_mb_and_renders(warehouse_url, tmp_path, browser):
    """Two years of a 120-branch chain, built with SQL (the nightly job would take minutes):
    the default file covers 13 weeks whatever the history; even all 104 weeks fit in 5 MB.
    Every branch sells every day (but some) at an hour, in a product and for an amount
    that vary: the file's size is in its days and branches, not its transactions."""
    PostgresWarehouse(warehouse_url).ensure_schema()
    with psycopg.connect(warehouse_url) as conn:
        conn.execute(
            "INSERT INTO cafe.dim_branch SELECT b, 'Branch ' || b, 'Region ' || (b % 12) "
            "FROM generate_series(1, 120) b"
        )
        conn.execute(
            "INSERT INTO cafe.dim_product SELECT p, 'Product ' || (p / 3), NULL,"
            " 'Flavour ' || (p % 3) FROM generate_series(0, 29) p"
        )
        conn.execute(
            "INSERT INTO cafe.fact_transaction SELECT md5(b || '-' || d), b,"
            " DATE '2024-11-01' + d + make_interval(hours => 8 + (b + d) % 12),"
            " DATE '2024-11-01' + d, CASE WHEN (b + d) % 3 = 0 THEN 'CASH' ELSE 'CARD' END,"
            " 10.00 + ((b * 7 + d * 3) % 400) / 10.0, 1, NULL, 'batch'"
            " FROM generate_series(1, 120) b, generate_series(0, 729) d WHERE (b + d) % 37 <> 0"
        )
        conn.execute(
            "INSERT INTO cafe.fact_basket_item SELECT transaction_id, 1,"
            " (branch_id + EXTRACT(DOY FROM sold_at)::int + EXTRACT(HOUR FROM sold_at)::int) % 30,"
            " total_amount FROM cafe.fact_transaction"
        )
    default = write_report(warehouse_url, tmp_path / "quarter.html")
    native, results = query_of(warehouse_url), []

    def measured(sql):
        rows = native(sql)
        results.append(len(repr(rows)))
        return rows

    started = time.perf_counter()
    path = tmp_path / "two-years.html"
    path.write_text(render(collect(measured, weeks=104)), encoding="utf-8")
    written = time.perf_counter() - started
    # On Redshift each statement's result set must stay under the Data API's limit, 100 MB
    # in the localised pages, 500 MB in the English one ("Troubleshooting issues for Amazon
    # Redshift Data API", "Database response exceeded size limit"): the largest of the
    # report's statements, at two years of 120 branches, is far below either.
    assert max(results) < 10_000_000
    size, quarter = path.stat().st_size, default.stat().st_size
    started = time.perf_counter()
    page, errors = open_page(browser, default)
    rendered = time.perf_counter() - started
    print(
        f"\n120 x 2-year chain: {quarter / 1e6:.2f} MB for 13 weeks, {size / 1e6:.2f} MB for 104,"
        f" written in {written:.1f} s; 13 weeks rendered in Chromium in {rendered:.2f} s"
    )
    assert size < 5_000_000 and quarter < size / 4
    last = dt.date(2024, 11, 1) + dt.timedelta(729)  # a Friday
    first = last - dt.timedelta(last.weekday() + 7 * 12)
    daily = table(page, "daily")
    assert len(daily) == (last - first).days + 1 and daily[0][0] == day(first)
    with psycopg.connect(warehouse_url) as conn:
        revenue, transactions = conn.execute(
            "SELECT SUM(revenue), SUM(transactions) FROM cafe.v_daily_branch_sales "
            "WHERE sale_date = %s",
            (first,),
        ).fetchone()
    # Figures people read, with thousands separators.
    assert daily[0][1:3] == [gbp(revenue), f"{transactions:,}"]
    assert re.fullmatch(r"£\d{1,3}(,\d{3})+\.\d{2}", daily[0][1])
    page.select_option("#region", label="Region 5")
    page.select_option("#branch", label="Branch 17")
    assert table(page, "coverage")  # (b + d) % 37 == 0 left days without sales
    # Self-contained: no script, style or image is fetched from anywhere.
    for written_file in (default, path):
        text = written_file.read_text()
        assert not re.search(r"<(script|link|img)[^>]+(src|href)=", text) and "http" not in text
    page.close()
    page, errors2 = open_page(browser, path)
    assert len(table(page, "daily")) == 7 * 104 - (6 - last.weekday())
    assert errors == [] and errors2 == []
