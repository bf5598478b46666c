-- The distribution of transaction values: per booking month and log-scale bucket (50 per power of ten) of |amount|
-- in EUR, how many transactions fall there and how many of them were alerted. lower_eur/upper_eur bound the bucket.
CREATE OR REPLACE VIEW v_transaction_value_distribution AS
SELECT h.month, h.bucket, ROUND(POWER(10, h.bucket / 50), 2) AS lower_eur,
       ROUND(POWER(10, (h.bucket + 1) / 50), 2) AS upper_eur, h.n AS transactions,
       COALESCE(aa.transactions, 0) AS alerted_transactions
  FROM analytics_amount_histogram h
  LEFT JOIN analytics_alert_amounts aa ON aa.month = h.month AND aa.bucket = h.bucket;
