-- Top 100 clients of all time by number of transactions (cancelled excluded).
CREATE OR REPLACE VIEW v_top_clients_by_transactions AS
SELECT ct.client_id, c.first_name, c.last_name, c.country, ct.transactions, ct.transfers, ct.transfer_sum_eur,
       ct.volume_eur, ct.last_transaction_at
  FROM analytics_client_totals ct
  JOIN clients c ON c.id = ct.client_id
 ORDER BY ct.transactions DESC
 LIMIT 100;
