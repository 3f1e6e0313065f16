-- Cash or card, per region per day (as cafe.v_payment_mix).
SELECT CAST(t.sale_date AS DATE) AS sale_date, t.region, t.payment_method,
       COUNT(*) AS transactions,
       SUM(t.total_amount) AS revenue
FROM "${database}"."transactions" t
GROUP BY CAST(t.sale_date AS DATE), t.region, t.payment_method
ORDER BY sale_date, t.region, t.payment_method
