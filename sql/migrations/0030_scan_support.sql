-- Anomaly scan support (issue 4).
-- 1. scan_runs may record a run that found another scan holding the lock and stepped aside.
-- 2. scan_amount_histogram: per currency, direction and booking month, how many |amounts| fall in each log-scale
--    bucket (FLOOR(LOG10(|amount|) * 100)). The high-amount rule reads its trailing-window percentiles from here,
--    so an incremental scan never re-reads months of history. It is maintained by the scan itself: an incremental
--    run adds the new transactions' counts and moves the `anomaly-scan:histogram` watermark in the same DB
--    transaction; a full run rebuilds it. Cancelled transactions and zero amounts are not counted.

ALTER TABLE scan_runs
  MODIFY status ENUM('running','succeeded','failed','skipped') NOT NULL DEFAULT 'running';

CREATE TABLE IF NOT EXISTS scan_amount_histogram (
  currency  CHAR(3)  NOT NULL,
  direction ENUM('credit','debit') NOT NULL,
  month     CHAR(7)  NOT NULL COMMENT 'YYYY-MM of the booking date',
  bucket    SMALLINT NOT NULL COMMENT 'FLOOR(LOG10(ABS(amount)) * 100)',
  n         INT UNSIGNED NOT NULL,
  PRIMARY KEY (currency, direction, month, bucket)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
