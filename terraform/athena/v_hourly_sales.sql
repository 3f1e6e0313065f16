-- When customers come: day of week (0 = Sunday, as in the warehouse) by hour (as cafe.v_hourly_sales).
-- Trino's day_of_week is 1 = Monday .. 7 = Sunday, so % 7 gives the warehouse's numbering.
SELECT t.branch_name, t.region,
       CAST(day_of_week(t.sold_at) % 7 AS INTEGER) AS day_of_week,
       CAST(hour(t.sold_at) AS INTEGER) AS hour_of_day,
       COUNT(*) AS transactions,
       SUM(t.total_amount) AS revenue
FROM "${database}"."transactions" t
GROUP BY t.branch_name, t.region, day_of_week(t.sold_at) % 7, hour(t.sold_at)
ORDER BY t.branch_name, day_of_week, hour_of_day
