"""`cafe-etl report --warehouse_url URL --out FILE.html`: the trends report for managers.

One self-contained HTML file (plotly's JavaScript inlined once: it opens with no
network), read from the trend views. Each chart has the figures behind it in a table.
"""

from __future__ import annotations

import datetime as dt
import html
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]


def _table(columns: list[str], rows: list[tuple], limit: int = 40) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in row) + "</tr>"
        for row in rows[:limit]
    )
    more = f"<p class='more'>… {len(rows) - limit} more rows</p>" if len(rows) > limit else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"


def _fmt(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def sections(query) -> list[tuple[str, str, object, list[str], list[tuple]]]:
    """(title, explanation, plotly figure, table columns, table rows) for each chart."""
    import plotly.graph_objects as go

    out = []

    cols = ["sale_date", "region", "revenue"]
    rows = query(
        "SELECT sale_date, region, SUM(revenue) AS revenue FROM cafe.v_daily_branch_sales "
        "GROUP BY sale_date, region ORDER BY sale_date, region"
    )
    fig = go.Figure()
    by_region: dict[str, list] = defaultdict(list)
    for day, region, revenue in rows:
        by_region[region].append((day, float(revenue)))
    for region, points in sorted(by_region.items()):
        fig.add_trace(
            go.Scatter(
                x=[p[0] for p in points],
                y=[p[1] for p in points],
                mode="lines+markers",
                name=region,
            )
        )
    fig.update_layout(yaxis_title="Revenue (£)", xaxis_title="Day")
    fig.update_xaxes(tickformat="%a %d %b", dtick=86_400_000)
    out.append(
        (
            "Revenue by region over time",
            "Daily revenue of every branch in each region.",
            fig,
            cols,
            rows,
        )
    )

    cols = ["region", "product", "items_sold", "revenue"]
    rows = query(
        "SELECT region, product, items_sold, revenue FROM ("
        " SELECT region, product_name AS product, CAST(SUM(items_sold) AS BIGINT) AS items_sold,"
        " SUM(revenue) AS revenue, ROW_NUMBER() OVER (PARTITION BY region"
        " ORDER BY SUM(revenue) DESC, product_name) AS rank"
        " FROM cafe.v_region_product_sales GROUP BY region, product_name) ranked"
        " WHERE rank <= 5 ORDER BY region, revenue DESC"
    )
    fig = go.Figure()
    products = sorted({r[1] for r in rows})
    for product in products:
        picked = [r for r in rows if r[1] == product]
        fig.add_trace(
            go.Bar(x=[r[0] for r in picked], y=[float(r[3]) for r in picked], name=product)
        )
    fig.update_layout(barmode="stack", yaxis_title="Revenue (£)")
    out.append(
        (
            "Top products per region",
            "The five best-selling products of each region, by revenue (all sizes together).",
            fig,
            cols,
            rows,
        )
    )

    cols = ["day_of_week", "hour_of_day", "transactions"]
    rows = query(
        "SELECT day_of_week, hour_of_day, CAST(SUM(transactions) AS BIGINT) AS transactions "
        "FROM cafe.v_hourly_sales GROUP BY day_of_week, hour_of_day ORDER BY 1, 2"
    )
    hours = sorted({r[1] for r in rows})
    grid = {(r[0], r[1]): r[2] for r in rows}
    fig = go.Figure(
        go.Heatmap(
            z=[[grid.get((d, h), 0) for h in hours] for d in range(7)],
            x=[f"{h:02d}:00" for h in hours],
            y=DAYS,
            colorscale="YlOrBr",
            colorbar={"title": "Transactions"},
        )
    )
    out.append(
        (
            "Footfall by hour and weekday",
            "Transactions in each hour of each weekday, all branches: when to staff up.",
            fig,
            cols,
            [(DAYS[r[0]], f"{r[1]:02d}:00", r[2]) for r in rows],
        )
    )

    cols = ["region", "payment_method", "transactions", "revenue"]
    rows = query(
        "SELECT region, payment_method, CAST(SUM(transactions) AS BIGINT) AS transactions, "
        "SUM(revenue) AS revenue FROM cafe.v_payment_mix GROUP BY region, payment_method "
        "ORDER BY region, payment_method"
    )
    fig = go.Figure()
    for method in sorted({r[1] for r in rows}):
        picked = [r for r in rows if r[1] == method]
        fig.add_trace(go.Bar(x=[r[0] for r in picked], y=[r[2] for r in picked], name=method))
    fig.update_layout(barmode="stack", yaxis_title="Transactions")
    out.append(("Payment mix", "Cash and card transactions per region.", fig, cols, rows))

    cols = ["branch_name", "region", "week_start", "revenue", "previous_week_revenue", "growth_pct"]
    rows = query(
        "SELECT branch_name, region, week_start, revenue, previous_week_revenue, growth_pct "
        "FROM cafe.v_branch_weekly_growth g WHERE growth_pct IS NOT NULL AND week_start = "
        "(SELECT MAX(week_start) FROM cafe.v_branch_weekly_growth WHERE growth_pct IS NOT NULL) "
        "ORDER BY growth_pct DESC, branch_name"
    )
    shown = rows[:10] + [r for r in rows[-10:] if r not in rows[:10]]
    fig = go.Figure(
        go.Bar(
            x=[float(r[5]) for r in shown],
            y=[r[0] for r in shown],
            orientation="h",
            marker_color=["#2a9d8f" if r[5] >= 0 else "#e76f51" for r in shown],
        )
    )
    fig.update_layout(
        xaxis_title="Revenue growth on the previous week (%)",
        yaxis={"autorange": "reversed"},
        height=max(400, 28 * len(shown)),
    )
    out.append(
        (
            "Branches growing and declining",
            "The ten fastest-growing and ten "
            "fastest-declining branches in the latest full week against the week before.",
            fig,
            cols,
            rows,
        )
    )
    return out


def render(query, title: str = "Cafe Connect — trends") -> str:
    import plotly.io as pio
    from plotly.offline import get_plotlyjs

    parts = []
    for i, (heading, text, fig, cols, rows) in enumerate(sections(query)):
        fig.update_layout(template="plotly_white", margin={"t": 30, "l": 60, "r": 20, "b": 50})
        chart = pio.to_html(fig, include_plotlyjs=False, full_html=False, div_id=f"chart-{i}")
        parts.append(
            f"<section><h2>{html.escape(heading)}</h2><p>{html.escape(text)}</p>{chart}"
            f"<details open><summary>Figures</summary>{_table(cols, rows)}</details></section>"
        )
    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    style = (
        "body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222}"
        "h1{margin-bottom:0}section{margin:2.5rem 0;border-top:1px solid #ddd}"
        "table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}"
        "td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:right}"
        "th{background:#f4f4f4}.more{color:#777;font-size:.8rem}"
    )
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{style}</style><script>{get_plotlyjs()}</script></head><body>"
        f"<h1>{html.escape(title)}</h1><p>Generated {generated} from the warehouse's trend "
        f"views.</p>{''.join(parts)}</body></html>"
    )


def write_report(warehouse_url: str, out: str | Path) -> Path:
    from cafe_etl.warehouse import open_warehouse

    warehouse = open_warehouse(warehouse_url)

    def query(statement: str) -> list[tuple]:
        return warehouse.query(statement)[1]

    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(query), encoding="utf-8")
    return path.resolve()
