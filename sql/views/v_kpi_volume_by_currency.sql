-- KPI: total transaction volume (sum of |amount|) and count per currency, cancelled transactions excluded.
CREATE OR REPLACE VIEW v_kpi_volume_by_currency AS
SELECT d.currency, SUM(d.n) AS transactions, SUM(d.abs_sum) AS volume, SUM(d.amount_sum) AS net_amount
  FROM analytics_daily_transactions d
 WHERE d.status <> 'cancelled'
 GROUP BY d.currency;
