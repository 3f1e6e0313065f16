-- What sells where: items and revenue per product and size per region (as cafe.v_region_product_sales).
SELECT t.region, i.product_name, i.size,
       COUNT(*) AS items_sold,
       SUM(i.unit_price) AS revenue
FROM "${database}"."basket_items" i
JOIN "${database}"."transactions" t
  ON t.transaction_id = i.transaction_id AND t.sale_date = i.sale_date
GROUP BY t.region, i.product_name, i.size
ORDER BY revenue DESC
