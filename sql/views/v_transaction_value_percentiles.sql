-- The 95th and 99th percentiles of |amount| in EUR over all transactions (to bucket precision, ~5%): the lines
-- drawn on the value distribution. One row.
CREATE OR REPLACE VIEW v_transaction_value_percentiles AS
SELECT MIN(CASE WHEN c.cumulative >= 0.95 * c.total THEN c.upper_eur END) AS p95_eur,
       MIN(CASE WHEN c.cumulative >= 0.99 * c.total THEN c.upper_eur END) AS p99_eur,
       MAX(c.total) AS transactions
  FROM (SELECT b.bucket, ROUND(POWER(10, (b.bucket + 1) / 50), 2) AS upper_eur,
               SUM(b.n) OVER (ORDER BY b.bucket) AS cumulative, SUM(b.n) OVER () AS total
          FROM (SELECT bucket, SUM(n) AS n FROM analytics_amount_histogram GROUP BY bucket) b) c;
