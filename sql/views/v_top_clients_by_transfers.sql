-- Top 100 clients of all time by the sum of their outgoing transfers (EUR at indicative rates).
CREATE OR REPLACE VIEW v_top_clients_by_transfers AS
SELECT ct.client_id, c.first_name, c.last_name, c.country, ct.transfer_sum_eur, ct.transfers, ct.transactions,
       ct.volume_eur, ct.last_transaction_at
  FROM analytics_client_totals ct
  JOIN clients c ON c.id = ct.client_id
 ORDER BY ct.transfer_sum_eur DESC
 LIMIT 100;
