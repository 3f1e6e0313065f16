"""The report's product comparison windows include both of their end days.

The last 4 weeks end on the last day with sales; the 4 weeks before end the day before
them. One branch sells one product on each window's first and last days and on the day
before both windows, each sale at its own price (1, 2, 4, 8 and 16 pounds), so every sum
below tells which days it holds. Worked by hand: last day 9 Nov 2026, so the last 4 weeks
are 13 Oct to 9 Nov and the 4 before 15 Sep to 12 Oct.
"""

from __future__ import annotations

import psycopg
from cafe_etl.report.figures import collect
from cafe_etl.warehouse.postgres import PostgresWarehouse

SALES = [  # (day, price): the price tells the day
    ("2026-09-14", "1.00"),  # the day before the 4 weeks before: in neither window
    ("2026-09-15", "2.00"),  # first day of the 4 weeks before
    ("2026-10-12", "4.00"),  # last day of the 4 weeks before
    ("2026-10-13", "8.00"),  # first day of the last 4 weeks
    ("2026-11-09", "16.00"),  # last day of the last 4 weeks (the last day with sales)
]


def test_both_windows_hold_their_first_and_last_days(warehouse_url):
    PostgresWarehouse(warehouse_url).ensure_schema()
    with psycopg.connect(warehouse_url) as conn:
        conn.execute("INSERT INTO cafe.dim_branch VALUES (1, 'Leeds', 'Yorkshire and The Humber')")
        conn.execute("INSERT INTO cafe.dim_product VALUES (14, 'Cortado', NULL, NULL)")
        for n, (day, price) in enumerate(SALES):
            tid = f"{n}" * 64
            conn.execute(
                "INSERT INTO cafe.fact_transaction VALUES (%s, 1, %s, CAST(%s AS DATE),"
                " 'CASH', %s, 1, NULL, 'batch')",
                (tid, f"{day} 09:00", day, price),
            )
            conn.execute("INSERT INTO cafe.fact_basket_item VALUES (%s, 1, 14, %s)", (tid, price))

    def query(sql):
        with psycopg.connect(warehouse_url) as conn:
            return conn.execute(sql).fetchall()

    figures = collect(query)
    assert figures["windows"] == {
        "recent": ["2026-10-13", "2026-11-09"],
        "before": ["2026-09-15", "2026-10-12"],
    }
    assert figures["products"] == ["Cortado"]
    (leeds,) = figures["branches"]
    # [product, pence last 4 weeks, pence 4 before, items last 4 weeks, items 4 before]
    assert leeds["products"] == [[0, 800 + 1600, 200 + 400, 2, 2]]
