-- Additive tables the product needs beyond the brief: scan bookkeeping and the alert workflow's history.
-- The brief's columns are never renamed or dropped.

CREATE TABLE IF NOT EXISTS scan_runs (
  id                   BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  mode                 ENUM('incremental','full') NOT NULL,
  status               ENUM('running','succeeded','failed') NOT NULL DEFAULT 'running',
  started_at           DATETIME(3) NOT NULL,
  finished_at          DATETIME(3) NULL,
  from_transaction_id  BIGINT UNSIGNED NULL COMMENT 'first transaction id scanned (exclusive watermark + 1)',
  to_transaction_id    BIGINT UNSIGNED NULL COMMENT 'last transaction id scanned',
  transactions_scanned INT UNSIGNED NOT NULL DEFAULT 0,
  alerts_created       INT UNSIGNED NOT NULL DEFAULT 0,
  alerts_by_risk       JSON NULL,
  alerts_by_reason     JSON NULL,
  thresholds           JSON NULL COMMENT 'the rule configuration in force for this run',
  error                TEXT NULL,
  PRIMARY KEY (id),
  KEY idx_scan_runs_started (started_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per scanner: every transaction with id <= last_transaction_id has been scanned.
-- Moved in the same DB transaction that writes the alerts it covers.
CREATE TABLE IF NOT EXISTS scan_watermarks (
  name                VARCHAR(64) NOT NULL,
  last_transaction_id BIGINT UNSIGNED NOT NULL DEFAULT 0,
  last_run_id         BIGINT UNSIGNED NULL,
  updated_at          DATETIME(3) NOT NULL,
  PRIMARY KEY (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every change of an alert's workflow state: who, when, from, to, and why.
CREATE TABLE IF NOT EXISTS alert_history (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  alert_id    BIGINT UNSIGNED NOT NULL,
  changed_at  DATETIME(3) NOT NULL,
  changed_by  VARCHAR(100) NOT NULL,
  from_status ENUM('open','investigating','closed') NULL,
  to_status   ENUM('open','investigating','closed') NOT NULL,
  disposition ENUM('confirmed','false_positive') NULL,
  note        TEXT NULL,
  PRIMARY KEY (id),
  KEY idx_alert_history_alert (alert_id, changed_at),
  CONSTRAINT fk_alert_history_alert FOREIGN KEY (alert_id) REFERENCES alerts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
