-- The alerts HTTP API's access paths and the idempotency of analyst flags. Runs on MySQL 8.0+ and MariaDB 10.6+.
--
-- analyst_active_key: "<transaction_id>:<reason>" while an analyst alert is not closed, else NULL. Its unique index
-- makes POST /alerts idempotent even under concurrent retries: the same flag on the same transaction for the same
-- reason (case-insensitive) can be open only once; after it is closed the transaction may be flagged again.
-- Only flags raised through the API (created_by set) take part: analyst rows adopted from the original database
-- may repeat a transaction and reason, and every one of them is kept.
-- System alerts keep their own key, UNIQUE (transaction_id, rule_id).
ALTER TABLE alerts
  ADD COLUMN analyst_active_key VARCHAR(130)
    AS (CASE WHEN flagged_by = 'analyst' AND status <> 'closed' AND created_by IS NOT NULL
             THEN CONCAT(transaction_id, ':', reason) END) STORED
    COMMENT 'idempotency of POST /alerts: one active analyst flag per transaction and reason',
  ADD UNIQUE KEY uq_alerts_analyst_active (analyst_active_key),
  -- GET /alerts?reason=… and ?rule=…, newest first, with keyset pagination (alert_date, id).
  ADD KEY idx_alerts_reason_date (reason, alert_date, id),
  ADD KEY idx_alerts_rule_date (rule_id, alert_date, id);
