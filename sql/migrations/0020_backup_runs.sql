-- One row per backup run (scheduled or by hand), and the result of the latest restore test of that backup:
-- what the dashboard shows under "Backups". Written by lib/backup/runs.ts.

CREATE TABLE IF NOT EXISTS backup_runs (
  id                BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  object_key        VARCHAR(512) NOT NULL COMMENT 'S3 key of the dump (the manifest is <key>.manifest.json)',
  bucket            VARCHAR(63)  NOT NULL,
  database_name     VARCHAR(64)  NOT NULL,
  trigger_source    ENUM('schedule','manual','verify') NOT NULL DEFAULT 'manual',
  status            ENUM('running','succeeded','failed') NOT NULL DEFAULT 'running',
  started_at        DATETIME(3)  NOT NULL,
  finished_at       DATETIME(3)  NULL,
  duration_ms       INT UNSIGNED NULL,
  bytes_compressed  BIGINT UNSIGNED NULL COMMENT 'size of the stored .sql.gz object',
  bytes_dump        BIGINT UNSIGNED NULL COMMENT 'size of the uncompressed dump',
  sha256            CHAR(64)     NULL COMMENT 'of the stored object',
  server_version    VARCHAR(100) NULL,
  verified_at       DATETIME(3)  NULL,
  verify_status     ENUM('passed','failed') NULL,
  details           JSON         NULL COMMENT 'row counts, checksums, verify differences',
  error             TEXT         NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_backup_runs_key (object_key),
  KEY idx_backup_runs_started (started_at),
  KEY idx_backup_runs_status (status, started_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
