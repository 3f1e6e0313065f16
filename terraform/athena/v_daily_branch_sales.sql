-- How each branch did each day: revenue, footfall and basket value (as cafe.v_daily_branch_sales).
SELECT CAST(t.sale_date AS DATE) AS sale_date, t.branch_name, t.region,
       COUNT(*) AS transactions,
       SUM(t.total_amount) AS revenue,
       CAST(AVG(t.total_amount) AS DECIMAL(10, 2)) AS avg_basket_value
FROM "${database}"."transactions" t
GROUP BY CAST(t.sale_date AS DATE), t.branch_name, t.region
ORDER BY sale_date, t.branch_name
