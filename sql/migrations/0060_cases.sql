-- Cases (issue 17): alerts grouped per client (and per network finding) for the security team's workflow, with an
-- assignee, a due time, a status, a disposition, notes and a full history. Runs on MySQL 8.0+ and MariaDB 10.6+.
--
-- open_client_key: the client's id while its client case is not closed, else NULL. Its unique index is what makes
-- "one open case per client" a fact of the database rather than of the code: two scans attaching alerts of the same
-- client at once cannot both open a case (the second one's INSERT IGNORE finds the first one's row).
-- network_key: the identity of a network finding (a hash of its rule and transactions), so attaching the same finding
-- again finds its case instead of opening another.
-- version: optimistic concurrency for the API (the ETag); bumped by every change, attachments and notes included.

CREATE TABLE IF NOT EXISTS cases (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  kind            ENUM('client','network') NOT NULL,
  client_id       BIGINT UNSIGNED NULL COMMENT 'the client of a client case; NULL for a network case',
  network_key     CHAR(64) NULL COMMENT 'SHA-256 of a network finding (rule and transactions); NULL for client cases',
  status          ENUM('open','investigating','escalated','closed') NOT NULL DEFAULT 'open',
  disposition     ENUM('confirmed','false_positive','not_suspicious') NULL,
  risk_level      ENUM('Low','Medium','High') NOT NULL COMMENT 'the highest risk of its alerts',
  priority        SMALLINT UNSIGNED NOT NULL COMMENT 'see lib/cases/priority.ts and docs/cases.md',
  amount          DECIMAL(17,2) NOT NULL DEFAULT 0.00 COMMENT 'sum of |amount| of its alerted transactions, as booked',
  rule_count      SMALLINT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'independent signals among its alerts',
  alert_count     INT UNSIGNED NOT NULL DEFAULT 0,
  due_at          DATETIME NOT NULL,
  assignee        VARCHAR(100) NULL COMMENT 'the name of the person (API key) working it',
  version         INT UNSIGNED NOT NULL DEFAULT 1 COMMENT 'the ETag: bumped by every change',
  opened_at       DATETIME(3) NOT NULL,
  closed_at       DATETIME(3) NULL,
  updated_at      DATETIME(3) NOT NULL,
  open_client_key BIGINT UNSIGNED
    AS (CASE WHEN kind = 'client' AND status <> 'closed' THEN client_id END) STORED
    COMMENT 'one open client case per client',
  PRIMARY KEY (id),
  UNIQUE KEY uq_cases_open_client (open_client_key),
  UNIQUE KEY uq_cases_network (network_key),
  -- The queue's keyset order (due_at, priority DESC, id), whole and by status or assignee.
  KEY idx_cases_queue (due_at, priority, id),
  KEY idx_cases_status_queue (status, due_at, priority, id),
  KEY idx_cases_assignee_queue (assignee, due_at, priority, id),
  KEY idx_cases_client (client_id, closed_at),
  CONSTRAINT ck_cases_kind CHECK ((kind = 'client') = (client_id IS NOT NULL) AND (kind = 'network') = (network_key IS NOT NULL)),
  CONSTRAINT ck_cases_disposition CHECK ((disposition IS NULL) = (status <> 'closed')),
  CONSTRAINT fk_cases_client FOREIGN KEY (client_id) REFERENCES clients (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Which alerts a case holds. An alert is in at most one client case and at most one network case.
CREATE TABLE IF NOT EXISTS case_alerts (
  case_id     BIGINT UNSIGNED NOT NULL,
  alert_id    BIGINT UNSIGNED NOT NULL,
  case_kind   ENUM('client','network') NOT NULL,
  attached_at DATETIME(3) NOT NULL,
  PRIMARY KEY (case_id, alert_id),
  UNIQUE KEY uq_case_alerts_alert_kind (alert_id, case_kind),
  CONSTRAINT fk_case_alerts_case FOREIGN KEY (case_id) REFERENCES cases (id),
  CONSTRAINT fk_case_alerts_alert FOREIGN KEY (alert_id) REFERENCES alerts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The clients a network case names; each of their client cases links to it through this table.
CREATE TABLE IF NOT EXISTS case_clients (
  case_id   BIGINT UNSIGNED NOT NULL,
  client_id BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (case_id, client_id),
  KEY idx_case_clients_client (client_id),
  CONSTRAINT fk_case_clients_case FOREIGN KEY (case_id) REFERENCES cases (id),
  CONSTRAINT fk_case_clients_client FOREIGN KEY (client_id) REFERENCES clients (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every change of a case, one row per field: who, when, what, old → new (values as text).
CREATE TABLE IF NOT EXISTS case_history (
  id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  case_id    BIGINT UNSIGNED NOT NULL,
  changed_at DATETIME(3) NOT NULL,
  changed_by VARCHAR(100) NOT NULL COMMENT 'the person (API key name) or the job that changed it',
  field      VARCHAR(32) NOT NULL COMMENT 'opened, status, disposition, assignee, risk_level, priority, due_at, alert, note',
  old_value  VARCHAR(255) NULL,
  new_value  VARCHAR(255) NULL,
  PRIMARY KEY (id),
  KEY idx_case_history_case (case_id, changed_at, id),
  CONSTRAINT fk_case_history_case FOREIGN KEY (case_id) REFERENCES cases (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS case_notes (
  id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  case_id    BIGINT UNSIGNED NOT NULL,
  created_at DATETIME(3) NOT NULL,
  author     VARCHAR(100) NOT NULL,
  body       TEXT NOT NULL,
  PRIMARY KEY (id),
  KEY idx_case_notes_case (case_id, created_at, id),
  CONSTRAINT fk_case_notes_case FOREIGN KEY (case_id) REFERENCES cases (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- `not_suspicious` (looked at, nothing to report) joins the alert dispositions, for alerts closed with their case.
ALTER TABLE alerts
  MODIFY disposition ENUM('confirmed','false_positive','not_suspicious') NULL;
ALTER TABLE alert_history
  MODIFY disposition ENUM('confirmed','false_positive','not_suspicious') NULL;
