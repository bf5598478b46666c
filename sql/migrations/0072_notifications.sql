-- Notifications (issue 17): an outbox. A new High case, an escalation and a missed due time each write one row here
-- in the same DB transaction as the case change (or, for a missed due time, in the check's own statement); the
-- publisher (lib/notify/publisher.ts) delivers the rows and marks them sent. Runs on MySQL 8.0+ and MariaDB 10.6+.
--
-- uq_notifications_event: one notification per (case, kind, occurrence), a fact of the database — a re-run of the
-- scan, a retried request or two checks at once find the row already there and write nothing. occurrence tells
-- repeated events of one kind apart: '' for case_high (once per case), the case's version for an escalation, the
-- missed due time for case_overdue.
-- claimed_by / claimed_until: a publisher's lease on a row it is delivering; an expired lease (a publisher that
-- died) lets another one take the row again. Delivery is at least once; receivers keep the ids.

CREATE TABLE IF NOT EXISTS notifications (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  case_id         BIGINT UNSIGNED NOT NULL,
  kind            ENUM('case_high','case_escalated','case_overdue') NOT NULL,
  occurrence      VARCHAR(32) NOT NULL DEFAULT '' COMMENT 'which event of its kind: see above',
  status          ENUM('pending','sent','failed') NOT NULL DEFAULT 'pending',
  payload         JSON NOT NULL COMMENT 'the case as it was when the event happened (no personal data)',
  attempts        SMALLINT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'delivery rounds tried so far',
  next_attempt_at DATETIME(3) NOT NULL,
  claimed_by      VARCHAR(64) NULL COMMENT 'the publisher delivering it now',
  claimed_until   DATETIME(3) NULL,
  last_error      VARCHAR(255) NULL COMMENT 'why the last round failed (no URLs, no secrets)',
  created_at      DATETIME(3) NOT NULL,
  sent_at         DATETIME(3) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_notifications_event (case_id, kind, occurrence),
  KEY idx_notifications_due (status, next_attempt_at, id),
  KEY idx_notifications_status (status, id),
  CONSTRAINT fk_notifications_case FOREIGN KEY (case_id) REFERENCES cases (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Each destination's outcome (the SNS topic, each webhook by name): a destination that took a notification is not
-- sent it again when another one failed and the round is retried.
CREATE TABLE IF NOT EXISTS notification_deliveries (
  notification_id BIGINT UNSIGNED NOT NULL,
  destination     VARCHAR(80) NOT NULL COMMENT 'sns, or webhook:<name>',
  status          ENUM('sent','failed') NOT NULL,
  attempts        SMALLINT UNSIGNED NOT NULL DEFAULT 0,
  last_error      VARCHAR(255) NULL,
  updated_at      DATETIME(3) NOT NULL,
  PRIMARY KEY (notification_id, destination),
  CONSTRAINT fk_notification_deliveries_notification FOREIGN KEY (notification_id) REFERENCES notifications (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
