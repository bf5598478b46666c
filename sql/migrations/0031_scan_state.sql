-- Incremental scans from a saved state (issue 4, speed).
-- 1. scan_client_state: what the detection rules remember of each client after the last scanned transaction —
--    recent debits per account, last activity, recipient countries, open burst / series / structuring windows and
--    dormant episodes — as compact JSON (times in seconds, recipients as hashes: no IBAN, no PII). An incremental
--    run reads the rows of the clients its new transactions touch, by primary key, instead of a year of their
--    history, and writes them back in the DB transaction that moves the watermark (`anomaly-scan:state` follows
--    `anomaly-scan`). A full scan rebuilds the table.
-- 2. idx_alerts_reason (reason) is a prefix of idx_alerts_reason_date (reason, alert_date, id), which serves every
--    query it served; one index fewer to maintain on each alert the scan writes.

CREATE TABLE IF NOT EXISTS scan_client_state (
  client_id  BIGINT UNSIGNED NOT NULL,
  state      MEDIUMTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL COMMENT 'lib/rules/engine.ts SavedClient',
  as_of_transaction_id BIGINT UNSIGNED NOT NULL COMMENT 'the last transaction the state has seen',
  PRIMARY KEY (client_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

ALTER TABLE alerts DROP INDEX idx_alerts_reason;
