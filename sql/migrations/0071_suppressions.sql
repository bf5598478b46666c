-- Suppressions (issue 17, feedback): closing a case or an alert as a false positive can tell the scan to stop raising
-- the same finding for a while — a rule, a client, optionally one counterparty account or one counterparty country,
-- until a date. The scan keeps a covered finding as an alert with status `suppressed` naming the suppression, so it
-- never joins a case nor counts as raised. Runs on MySQL 8.0+ and MariaDB 10.6+.
--
-- A suppression is active while revoked_at IS NULL AND expires_at > NOW(); it is never deleted (revoking keeps the
-- row), and suppression_history records who created and who revoked it, when and why.

CREATE TABLE IF NOT EXISTS suppressions (
  id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  rule_id      VARCHAR(64) NOT NULL COMMENT 'the rule whose findings it suppresses (high-amount …)',
  client_id    BIGINT UNSIGNED NOT NULL,
  counterparty VARCHAR(34) NULL COMMENT 'only transactions with this counterparty IBAN (normalised); NULL: any',
  country      CHAR(2) NULL COMMENT 'only transactions whose counterparty IBAN is of this country; NULL: any',
  expires_at   DATETIME NOT NULL COMMENT 'suppresses findings scanned before this time (the day after `until`)',
  reason       VARCHAR(2000) NOT NULL COMMENT 'why: the closing note unless one was given',
  created_by   VARCHAR(100) NOT NULL COMMENT 'the person (API key name) who closed as false positive',
  created_at   DATETIME(3) NOT NULL,
  case_id      BIGINT UNSIGNED NULL COMMENT 'the case whose closing created it',
  alert_id     BIGINT UNSIGNED NULL COMMENT 'the alert whose closing created it',
  revoked_at   DATETIME(3) NULL,
  revoked_by   VARCHAR(100) NULL,
  PRIMARY KEY (id),
  -- The scan's load of the active ones, and GET /suppressions by client or rule (newest first: id keyset).
  KEY idx_suppressions_active (revoked_at, expires_at),
  KEY idx_suppressions_client (client_id, id),
  KEY idx_suppressions_rule (rule_id, id),
  CONSTRAINT ck_suppressions_narrowing CHECK (counterparty IS NULL OR country IS NULL),
  CONSTRAINT ck_suppressions_revoked CHECK ((revoked_at IS NULL) = (revoked_by IS NULL)),
  CONSTRAINT fk_suppressions_client FOREIGN KEY (client_id) REFERENCES clients (id),
  -- alert_id has no foreign key: alerts already reference suppressions (suppression_id), and a cycle would stop the
  -- resets that empty the scan's alerts (tests, benches) from deleting them.
  KEY idx_suppressions_alert (alert_id),
  CONSTRAINT fk_suppressions_case FOREIGN KEY (case_id) REFERENCES cases (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Who created or revoked a suppression, when and why.
CREATE TABLE IF NOT EXISTS suppression_history (
  id             BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  suppression_id BIGINT UNSIGNED NOT NULL,
  changed_at     DATETIME(3) NOT NULL,
  changed_by     VARCHAR(100) NOT NULL,
  action         ENUM('created','revoked') NOT NULL,
  note           VARCHAR(255) NULL,
  PRIMARY KEY (id),
  KEY idx_suppression_history (suppression_id, changed_at, id),
  CONSTRAINT fk_suppression_history FOREIGN KEY (suppression_id) REFERENCES suppressions (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A suppressed finding: kept as an alert (status `suppressed`, the suppression's id), never raised.
ALTER TABLE alerts
  MODIFY status ENUM('open','investigating','closed','suppressed') NOT NULL DEFAULT 'open',
  ADD COLUMN suppression_id BIGINT UNSIGNED NULL COMMENT 'the suppression that kept this finding from being raised',
  ADD CONSTRAINT fk_alerts_suppression FOREIGN KEY (suppression_id) REFERENCES suppressions (id);

-- How many findings a scan run kept as suppressed (alerts_created counts only the raised ones).
ALTER TABLE scan_runs
  ADD COLUMN findings_suppressed INT UNSIGNED NOT NULL DEFAULT 0 AFTER alerts_created;

-- The case queue's order is due_at, then priority DESCENDING, then id: an ascending (due_at, priority, id) index
-- cannot give that order, so every GET /cases sorted all the matching cases (at 100 000 cases a page took 60–400
-- ms). With priority descending in the index, a page reads its 51 rows in order and stops (bench/cases.ts).
-- Descending index parts need MySQL 8.0+ or MariaDB 10.8+ (10.6 accepts them as ascending: right, just slower).
ALTER TABLE cases
  DROP KEY idx_cases_queue,
  DROP KEY idx_cases_status_queue,
  DROP KEY idx_cases_assignee_queue,
  ADD KEY idx_cases_queue (due_at, priority DESC, id),
  ADD KEY idx_cases_status_queue (status, due_at, priority DESC, id),
  ADD KEY idx_cases_assignee_queue (assignee, due_at, priority DESC, id),
  -- A person's (or nobody's) cases in one state: "unassigned and open" is what an analyst picks work from.
  ADD KEY idx_cases_status_assignee_queue (status, assignee, due_at, priority DESC, id);
