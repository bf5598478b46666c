-- Ground truth for the seeded bank: every transaction of an injected anomaly or decoy episode, labelled.
-- The detector never reads this table; the scan benchmarks score precision and recall against it.
-- seed_runs records each successful seed (options, seed, counts, timings), written in the seed's own transaction.
-- Runs on MySQL 8.0+ and MariaDB 10.6+.

CREATE TABLE IF NOT EXISTS anomaly_labels (
  id             BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  transaction_id BIGINT UNSIGNED NOT NULL,
  episode_id     INT UNSIGNED    NOT NULL COMMENT 'groups the transactions of one injected episode',
  kind           VARCHAR(32)     NOT NULL COMMENT 'ANOMALY_KINDS or DECOY_KINDS in lib/domain/bank.ts',
  suspicious     TINYINT(1)      NOT NULL COMMENT '1 for anomalies, 0 for decoys (unusual but legitimate)',
  note           VARCHAR(255)    NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_anomaly_labels_transaction_kind (transaction_id, kind),
  KEY idx_anomaly_labels_kind (kind),
  KEY idx_anomaly_labels_episode (episode_id),
  CONSTRAINT ck_anomaly_labels_suspicious CHECK (suspicious IN (0, 1)),
  CONSTRAINT fk_anomaly_labels_transaction FOREIGN KEY (transaction_id) REFERENCES transactions (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS seed_runs (
  id                   BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  started_at           DATETIME(3)     NOT NULL,
  finished_at          DATETIME(3)     NOT NULL,
  mode                 ENUM('fresh','reset','append') NOT NULL,
  method               ENUM('load-data','insert') NOT NULL COMMENT 'LOAD DATA LOCAL INFILE, or the multi-row INSERT fallback',
  seed                 INT UNSIGNED    NOT NULL,
  options              JSON            NOT NULL,
  counts               JSON            NOT NULL COMMENT 'rows written per table and labelled episodes per kind',
  first_transaction_id BIGINT UNSIGNED NULL,
  last_transaction_id  BIGINT UNSIGNED NULL,
  elapsed_ms           INT UNSIGNED    NOT NULL,
  PRIMARY KEY (id),
  KEY idx_seed_runs_started (started_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
