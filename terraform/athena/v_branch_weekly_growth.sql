-- Growing or declining: each branch's weekly revenue against the week before
-- (as cafe.v_branch_weekly_growth; weeks start on Monday in Trino and Redshift alike).
SELECT branch_name, region, week_start, revenue,
       LAG(revenue) OVER (PARTITION BY branch_name, region ORDER BY week_start)
           AS previous_week_revenue,
       CASE WHEN LAG(revenue) OVER (PARTITION BY branch_name, region ORDER BY week_start) > 0
            THEN CAST(ROUND(100.0 * (revenue - LAG(revenue) OVER (
                     PARTITION BY branch_name, region ORDER BY week_start))
                 / LAG(revenue) OVER (PARTITION BY branch_name, region ORDER BY week_start), 2)
                 AS DECIMAL(10, 2))
       END AS growth_pct
FROM (
    SELECT t.branch_name, t.region,
           date_trunc('week', CAST(t.sale_date AS DATE)) AS week_start,
           SUM(t.total_amount) AS revenue
    FROM "${database}"."transactions" t
    GROUP BY t.branch_name, t.region, date_trunc('week', CAST(t.sale_date AS DATE))
) weekly
ORDER BY branch_name, week_start
