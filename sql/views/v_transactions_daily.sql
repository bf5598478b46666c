-- Transactions over time: per booking day, currency, type and status, with the volume also in EUR (indicative
-- rates, analytics_fx_rates). No aggregation in the view, so a BI date filter reaches the summary table's key.
CREATE OR REPLACE VIEW v_transactions_daily AS
SELECT d.day, d.currency, tt.type AS transaction_type, d.status, d.n AS transactions, d.abs_sum AS volume,
       d.amount_sum AS net_amount, d.abs_max AS largest_amount,
       ROUND(d.abs_sum * COALESCE(fx.eur_rate, 1), 2) AS volume_eur
  FROM analytics_daily_transactions d
  JOIN transaction_types tt ON tt.id = d.transaction_type_id
  LEFT JOIN analytics_fx_rates fx ON fx.currency = d.currency;
