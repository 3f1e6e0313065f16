CREATE OR REPLACE PROCEDURE cafe.create_warehouse() AS $$
BEGIN
  CREATE TABLE IF NOT EXISTS cafe.dim_branch (
      branch_id BIGINT NOT NULL,
      branch_name VARCHAR(100) NOT NULL,
      region VARCHAR(40) NOT NULL,
      PRIMARY KEY (branch_id)
  )
  DISTSTYLE ALL
  SORTKEY (branch_id);
  CREATE TABLE IF NOT EXISTS cafe.dim_product (
      product_id BIGINT NOT NULL,
      product_name VARCHAR(100) NOT NULL,
      size VARCHAR(10),
      flavour VARCHAR(60),
      PRIMARY KEY (product_id)
  )
  DISTSTYLE ALL
  SORTKEY (product_id);
  CREATE TABLE IF NOT EXISTS cafe.fact_transaction (
      transaction_id CHAR(64) NOT NULL,
      branch_id BIGINT NOT NULL,
      sold_at TIMESTAMP NOT NULL,
      sale_date DATE NOT NULL,
      payment_method VARCHAR(4) NOT NULL,
      total_amount DECIMAL(10,2) NOT NULL,
      item_count SMALLINT NOT NULL,
      customer_key CHAR(64),
      source VARCHAR(10) NOT NULL,
      PRIMARY KEY (transaction_id),
      FOREIGN KEY (branch_id) REFERENCES cafe.dim_branch (branch_id)
  )
  DISTSTYLE KEY
  DISTKEY (transaction_id)
  SORTKEY (sale_date);
  CREATE TABLE IF NOT EXISTS cafe.fact_basket_item (
      transaction_id CHAR(64) NOT NULL,
      line_number SMALLINT NOT NULL,
      product_id BIGINT NOT NULL,
      unit_price DECIMAL(10,2) NOT NULL,
      PRIMARY KEY (transaction_id, line_number),
      FOREIGN KEY (transaction_id) REFERENCES cafe.fact_transaction (transaction_id),
      FOREIGN KEY (product_id) REFERENCES cafe.dim_product (product_id)
  )
  DISTSTYLE KEY
  DISTKEY (transaction_id)
  SORTKEY (transaction_id);
  CREATE TABLE IF NOT EXISTS cafe.etl_run (
      run_id VARCHAR(64) NOT NULL,
      job_name VARCHAR(200) NOT NULL,
      started_at TIMESTAMP NOT NULL,
      finished_at TIMESTAMP,
      status VARCHAR(16) NOT NULL,
      summary VARCHAR(65535),
      PRIMARY KEY (run_id)
  )
  DISTSTYLE ALL
  SORTKEY (started_at);
  CREATE TABLE IF NOT EXISTS cafe.etl_file (
      file_key VARCHAR(1024) NOT NULL,
      file_day DATE,
      branch_name VARCHAR(200) NOT NULL,
      size_bytes BIGINT NOT NULL,
      version VARCHAR(300) NOT NULL,
      run_id VARCHAR(64) NOT NULL,
      loaded_at TIMESTAMP NOT NULL,
      late BOOLEAN NOT NULL,
      PRIMARY KEY (file_key)
  )
  DISTSTYLE ALL
  SORTKEY (file_day);
  CREATE OR REPLACE VIEW cafe.v_daily_branch_sales AS
  SELECT f.sale_date, b.branch_name, b.region,
         COUNT(*) AS transactions,
         SUM(f.total_amount) AS revenue,
         CAST(AVG(f.total_amount) AS DECIMAL(10,2)) AS avg_basket_value
  FROM cafe.fact_transaction f JOIN cafe.dim_branch b ON b.branch_id = f.branch_id
  GROUP BY f.sale_date, b.branch_name, b.region;
  CREATE OR REPLACE VIEW cafe.v_region_product_sales AS
  SELECT b.region, p.product_name, p.size,
         COUNT(*) AS items_sold,
         SUM(i.unit_price) AS revenue
  FROM cafe.fact_basket_item i
  JOIN cafe.fact_transaction f ON f.transaction_id = i.transaction_id
  JOIN cafe.dim_branch b ON b.branch_id = f.branch_id
  JOIN cafe.dim_product p ON p.product_id = i.product_id
  GROUP BY b.region, p.product_name, p.size;
  CREATE OR REPLACE VIEW cafe.v_hourly_sales AS
  SELECT b.branch_name, b.region,
         CAST(EXTRACT(DOW FROM f.sold_at) AS INTEGER) AS day_of_week,
         CAST(EXTRACT(HOUR FROM f.sold_at) AS INTEGER) AS hour_of_day,
         COUNT(*) AS transactions,
         SUM(f.total_amount) AS revenue
  FROM cafe.fact_transaction f JOIN cafe.dim_branch b ON b.branch_id = f.branch_id
  GROUP BY b.branch_name, b.region,
           CAST(EXTRACT(DOW FROM f.sold_at) AS INTEGER),
           CAST(EXTRACT(HOUR FROM f.sold_at) AS INTEGER);
  CREATE OR REPLACE VIEW cafe.v_payment_mix AS
  SELECT f.sale_date, b.region, f.payment_method,
         COUNT(*) AS transactions,
         SUM(f.total_amount) AS revenue
  FROM cafe.fact_transaction f JOIN cafe.dim_branch b ON b.branch_id = f.branch_id
  GROUP BY f.sale_date, b.region, f.payment_method;
  CREATE OR REPLACE VIEW cafe.v_branch_weekly_growth AS
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
      FROM cafe.fact_transaction f JOIN cafe.dim_branch b ON b.branch_id = f.branch_id
      GROUP BY b.branch_name, b.region, CAST(DATE_TRUNC('week', f.sale_date) AS DATE)
  ) weekly;
  CREATE OR REPLACE VIEW cafe.v_reference_gaps AS
  SELECT 'branch_without_region' AS gap, b.branch_name AS name,
         CAST(NULL AS VARCHAR(10)) AS size, CAST(NULL AS VARCHAR(60)) AS flavour,
         COUNT(f.transaction_id) AS transactions
  FROM cafe.dim_branch b
  LEFT JOIN cafe.fact_transaction f ON f.branch_id = b.branch_id
  WHERE b.region = 'Unknown'
  GROUP BY b.branch_name
  UNION ALL
  SELECT 'product_spelling' AS gap, product_name AS name, size, flavour,
         CAST(NULL AS BIGINT) AS transactions
  FROM (
      SELECT product_name, size, flavour,
             COUNT(*) OVER (
                 PARTITION BY LOWER(TRIM(product_name)), size, LOWER(TRIM(flavour))
             ) AS spellings
      FROM cafe.dim_product
  ) p
  WHERE spellings > 1;
  CREATE OR REPLACE VIEW cafe.v_branch_day_coverage AS
  SELECT COALESCE(l.sale_date, t.sale_date) AS sale_date,
         COALESCE(l.branch_name, t.branch_name) AS branch_name,
         b.region,
         COALESCE(l.files, 0) AS files,
         COALESCE(t.transactions, 0) AS transactions,
         COALESCE(l.late_files, 0) AS late_files
  FROM (
      SELECT file_day AS sale_date, branch_name, COUNT(*) AS files,
             SUM(CASE WHEN late THEN 1 ELSE 0 END) AS late_files
      FROM cafe.etl_file
      WHERE file_day IS NOT NULL
      GROUP BY file_day, branch_name
  ) l
  FULL OUTER JOIN (
      SELECT f.sale_date, b.branch_name, COUNT(*) AS transactions
      FROM cafe.fact_transaction f JOIN cafe.dim_branch b ON b.branch_id = f.branch_id
      GROUP BY f.sale_date, b.branch_name
  ) t ON t.sale_date = l.sale_date AND t.branch_name = l.branch_name
  LEFT JOIN cafe.dim_branch b ON b.branch_name = COALESCE(l.branch_name, t.branch_name);
END;
$$ LANGUAGE plpgsql
