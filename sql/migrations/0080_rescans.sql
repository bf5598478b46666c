-- Partitioned full rescans (issue 18; lib/scan/rescan/). A rescan is prepared once, then its parts run anywhere
-- (Lambda invocations of a state machine, or local child processes), then it is finalized.
-- 1. scan_rescans: one row per rescan — the last transaction it covers, the rules it judges with, the scan run it
--    reports as, and its lease: who drives it (owner) and until when (lease_expires_at), renewed by every step. While
--    a lease is live, incremental and single-process scans step aside (a skipped run naming the rescan). A rescan
--    whose lease ran out is dead: the next prepare marks it failed and drops its staging rows.
-- 2. scan_rescan_parts: the plan — histogram slices (transaction id ranges), client partitions (client id ranges)
--    and the cross-client stage — with each part's status, attempts and the rows it read.
-- 3. scan_rescan_histogram / _alerts / _states / _network: what the parts found, kept apart from the live tables
--    until finalize moves it (a failed rescan leaves alerts, states, watermarks and cases as they were). A part's
--    re-run replaces its own rows.

CREATE TABLE IF NOT EXISTS scan_rescans (
  id                  BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  status              ENUM('running','finalizing','succeeded','failed') NOT NULL,
  owner               VARCHAR(200) NOT NULL COMMENT 'who drives it: a state machine execution, or host:pid of npm run scan',
  lease_expires_at    DATETIME(3) NOT NULL,
  lease_seconds       INT UNSIGNED NOT NULL COMMENT 'how long each renewal holds it',
  scan_run_id         BIGINT UNSIGNED NOT NULL COMMENT 'the scan_runs row (mode full) it reports as',
  max_transaction_id  BIGINT UNSIGNED NOT NULL,
  history_since       BIGINT NOT NULL COMMENT 'earliest booking time in transactions (ms), as the rules need it',
  rules               JSON NOT NULL,
  started_at          DATETIME(3) NOT NULL,
  finished_at         DATETIME(3) NULL,
  error               VARCHAR(2000) NULL,
  PRIMARY KEY (id),
  KEY idx_scan_rescans_status (status, lease_expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS scan_rescan_parts (
  rescan_id   BIGINT UNSIGNED NOT NULL,
  kind        ENUM('histogram','clients','network') NOT NULL,
  part        SMALLINT UNSIGNED NOT NULL,
  after_id    BIGINT UNSIGNED NOT NULL COMMENT 'the range (after_id, up_to_id]: transaction ids (histogram) or client ids',
  up_to_id    BIGINT UNSIGNED NOT NULL,
  status      ENUM('pending','running','succeeded','failed') NOT NULL DEFAULT 'pending',
  attempts    SMALLINT UNSIGNED NOT NULL DEFAULT 0,
  rows_read   BIGINT UNSIGNED NULL COMMENT 'rows the part read from transactions (its last attempt)',
  rows_examined BIGINT UNSIGNED NULL COMMENT 'index and table rows the server read for them (Handler_read_*)',
  finished_at DATETIME(3) NULL,
  error       VARCHAR(2000) NULL,
  PRIMARY KEY (rescan_id, kind, part),
  CONSTRAINT fk_scan_rescan_parts_rescan FOREIGN KEY (rescan_id) REFERENCES scan_rescans (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS scan_rescan_histogram (
  rescan_id  BIGINT UNSIGNED NOT NULL,
  part       SMALLINT UNSIGNED NOT NULL,
  currency   CHAR(3) NOT NULL,
  direction  ENUM('credit','debit') NOT NULL,
  month      CHAR(7) NOT NULL,
  bucket     SMALLINT NOT NULL,
  n          BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (rescan_id, part, currency, direction, month, bucket)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The columns of alerts a scan writes (lib/scan/alerts.ts ALERT_CELLS), staged per client partition; seq keeps the
-- order they were judged in (client by client), the order finalize moves them in.
CREATE TABLE IF NOT EXISTS scan_rescan_alerts (
  seq            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  rescan_id      BIGINT UNSIGNED NOT NULL,
  part           SMALLINT UNSIGNED NOT NULL,
  transaction_id BIGINT UNSIGNED NOT NULL,
  reason         VARCHAR(100) NOT NULL,
  risk_level     ENUM('Low','Medium','High') NOT NULL,
  flagged_by     ENUM('analyst','system') NOT NULL,
  rule_id        VARCHAR(64) NOT NULL,
  score          DECIMAL(6,2) NULL,
  evidence       JSON NULL,
  scan_run_id    BIGINT UNSIGNED NOT NULL,
  status         ENUM('open','suppressed') NOT NULL,
  suppression_id BIGINT UNSIGNED NULL,
  PRIMARY KEY (rescan_id, transaction_id, rule_id),
  KEY idx_scan_rescan_alerts_part (rescan_id, part, seq),
  KEY idx_scan_rescan_alerts_seq (seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS scan_rescan_states (
  rescan_id  BIGINT UNSIGNED NOT NULL,
  part       SMALLINT UNSIGNED NOT NULL,
  client_id  BIGINT UNSIGNED NOT NULL,
  state      MEDIUMBLOB NOT NULL COMMENT 'lib/rules/engine.ts ClientDetector.save',
  as_of_transaction_id BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (rescan_id, client_id),
  KEY idx_scan_rescan_states_part (rescan_id, part)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS scan_rescan_network (
  rescan_id      BIGINT UNSIGNED NOT NULL,
  transaction_id BIGINT UNSIGNED NOT NULL,
  findings       JSON NOT NULL COMMENT 'the network rules'' findings on the transaction (lib/rules/types.ts Finding[])',
  PRIMARY KEY (rescan_id, transaction_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
