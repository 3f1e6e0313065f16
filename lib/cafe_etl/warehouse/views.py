"""Trend views in schema `cafe`, one SQL text each, valid in PostgreSQL and Redshift.

Only functions both dialects share are used (EXTRACT(DOW|HOUR), DATE_TRUNC('week'), LAG),
so one definition serves both; tests run them on PostgreSQL and parse them as Redshift.
"""

from __future__ import annotations

from cafe_etl.schema import UNKNOWN_REGION
from cafe_etl.warehouse.model import (
    DIM_BRANCH,
    DIM_PRODUCT,
    ETL_FILE,
    FACT_BASKET_ITEM,
    FACT_TRANSACTION,
    SCHEMA,
)

# Facts as `f` with their branch as `b`: the views below, and the report's statements
# over a range of days (report/figures.py), which a view cannot take.
FACTS = f"{FACT_TRANSACTION.qualified} f JOIN {DIM_BRANCH.qualified} b ON b.branch_id = f.branch_id"

# The five trend questions managers ask; Athena's saved queries and QuickSight's data sets
# answer the same ones (terraform/athena, terraform/quicksight.tf).
TREND_VIEWS: dict[str, str] = {
    # Revenue, footfall and basket value per branch per day.
    "v_daily_branch_sales": f"""
SELECT f.sale_date, b.branch_name, b.region,
       COUNT(*) AS transactions,
       SUM(f.total_amount) AS revenue,
       CAST(AVG(f.total_amount) AS DECIMAL(10,2)) AS avg_basket_value
FROM {FACTS}
GROUP BY f.sale_date, b.branch_name, b.region""",
    # What sells where: items and revenue per product and size per region.
    "v_region_product_sales": f"""
SELECT b.region, p.product_name, p.size,
       COUNT(*) AS items_sold,
       SUM(i.unit_price) AS revenue
FROM {FACT_BASKET_ITEM.qualified} i
JOIN {FACT_TRANSACTION.qualified} f ON f.transaction_id = i.transaction_id
JOIN {DIM_BRANCH.qualified} b ON b.branch_id = f.branch_id
JOIN {DIM_PRODUCT.qualified} p ON p.product_id = i.product_id
GROUP BY b.region, p.product_name, p.size""",
    # When customers come: day of week (0 = Sunday) by hour.
    "v_hourly_sales": f"""
SELECT b.branch_name, b.region,
       CAST(EXTRACT(DOW FROM f.sold_at) AS INTEGER) AS day_of_week,
       CAST(EXTRACT(HOUR FROM f.sold_at) AS INTEGER) AS hour_of_day,
       COUNT(*) AS transactions,
       SUM(f.total_amount) AS revenue
FROM {FACTS}
GROUP BY b.branch_name, b.region,
         CAST(EXTRACT(DOW FROM f.sold_at) AS INTEGER),
         CAST(EXTRACT(HOUR FROM f.sold_at) AS INTEGER)""",
    # Cash or card, per region per day.
    "v_payment_mix": f"""
SELECT f.sale_date, b.region, f.payment_method,
       COUNT(*) AS transactions,
       SUM(f.total_amount) AS revenue
FROM {FACTS}
GROUP BY f.sale_date, b.region, f.payment_method""",
    # Growing or declining: each branch's weekly revenue against the week before.
    "v_branch_weekly_growth": f"""
SELECT branch_name, region, week_start, revenue,
       LAG(revenue) OVER (PARTITION BY branch_name, region ORDER BY week_start)
           AS previous_week_revenue,
       CASE WHEN LAG(revenue) OVER (PARTITION BY branch_name, region ORDER BY week_start) > 0
            THEN CAST(ROUND(100.0 * (revenue - LAG(revenue) OVER (
                     PARTITION BY branch_name, region ORDER BY week_start))
                 / LAG(revenue) OVER (PARTITION BY branch_name, region ORDER BY week_start), 2)
                 AS DECIMAL(10,2))
       END AS growth_pct
FROM (
    SELECT b.branch_name, b.region,
           CAST(DATE_TRUNC('week', f.sale_date) AS DATE) AS week_start,
           SUM(f.total_amount) AS revenue
    FROM {FACTS}
    GROUP BY b.branch_name, b.region, CAST(DATE_TRUNC('week', f.sale_date) AS DATE)
) weekly""",
}

# Read by `cafe-etl status` and the report's completeness panel.
COVERAGE_VIEW = "v_branch_day_coverage"

# Data-quality views for operators, over the pipeline's own bookkeeping (the file ledger
# is in the warehouse only) and its reference data; Athena and QuickSight have no copy.
QUALITY_VIEWS: dict[str, str] = {
    # Data quality for operators (docs/warehouse.md, reference data): branches without a region, and
    # products whose names differ only in case or surrounding spaces (a load merges
    # those; any left here were loaded before that rule and go on the next load).
    "v_reference_gaps": f"""
SELECT 'branch_without_region' AS gap, b.branch_name AS name,
       CAST(NULL AS VARCHAR(10)) AS size, CAST(NULL AS VARCHAR(60)) AS flavour,
       COUNT(f.transaction_id) AS transactions
FROM {DIM_BRANCH.qualified} b
LEFT JOIN {FACT_TRANSACTION.qualified} f ON f.branch_id = b.branch_id
WHERE b.region = '{UNKNOWN_REGION}'
GROUP BY b.branch_name
UNION ALL
SELECT 'product_spelling' AS gap, product_name AS name, size, flavour,
       CAST(NULL AS BIGINT) AS transactions
FROM (
    SELECT product_name, size, flavour,
           COUNT(*) OVER (
               PARTITION BY LOWER(TRIM(product_name)), size, LOWER(TRIM(flavour))
           ) AS spellings
    FROM {DIM_PRODUCT.qualified}
) p
WHERE spellings > 1""",
    # Completeness: per branch and day, the till files loaded (from the file ledger), the
    # transactions, and the files that arrived after their day was first loaded. A
    # branch-day with transactions but no file (stream only) shows files = 0.
    COVERAGE_VIEW: f"""
SELECT COALESCE(l.sale_date, t.sale_date) AS sale_date,
       COALESCE(l.branch_name, t.branch_name) AS branch_name,
       b.region,
       COALESCE(l.files, 0) AS files,
       COALESCE(t.transactions, 0) AS transactions,
       COALESCE(l.late_files, 0) AS late_files
FROM (
    SELECT file_day AS sale_date, branch_name, COUNT(*) AS files,
           SUM(CASE WHEN late THEN 1 ELSE 0 END) AS late_files
    FROM {ETL_FILE.qualified}
    WHERE file_day IS NOT NULL
    GROUP BY file_day, branch_name
) l
FULL OUTER JOIN (
    SELECT f.sale_date, b.branch_name, COUNT(*) AS transactions
    FROM {FACTS}
    GROUP BY f.sale_date, b.branch_name
) t ON t.sale_date = l.sale_date AND t.branch_name = l.branch_name
LEFT JOIN {DIM_BRANCH.qualified} b ON b.branch_name = COALESCE(l.branch_name, t.branch_name)""",
}

VIEWS: dict[str, str] = {**TREND_VIEWS, **QUALITY_VIEWS}


def view_ddl() -> list[str]:
    return [f"CREATE OR REPLACE VIEW {SCHEMA}.{name} AS{body}" for name, body in VIEWS.items()]
