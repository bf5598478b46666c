-- Suspicious transactions: every alert with its transaction, account and client (drill-down rows). Not aggregated,
-- so BI filters on risk_level, status or transaction_date use the alerts' and transactions' indexes. Findings a
-- suppression kept from being raised (status 'suppressed') are not suspicious transactions: they are left out.
CREATE OR REPLACE VIEW v_suspicious_transactions AS
SELECT al.id AS alert_id, al.alert_date, al.reason, al.rule_id, al.risk_level, al.score, al.status, al.disposition,
       al.flagged_by, t.id AS transaction_id, t.date AS transaction_date, t.amount, t.currency, tt.type AS transaction_type,
       t.recipient_account, t.title, a.id AS account_id, a.account_number, a.account_type, c.id AS client_id,
       c.first_name, c.last_name, c.country
  FROM alerts al
  JOIN transactions t ON t.id = al.transaction_id
  JOIN transaction_types tt ON tt.id = t.transaction_type_id
  JOIN accounts a ON a.id = t.account_id
  JOIN clients c ON c.id = a.client_id
 WHERE al.status <> 'suppressed';
