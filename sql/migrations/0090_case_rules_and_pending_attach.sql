-- Attaching alerts to cases without re-reading them (issue 17, speed). Runs on MySQL 8.0+ and MariaDB 10.6+.
--
-- cases.rule_ids: the distinct rules of a case's alerts ('analyst' for analyst flags), sorted, comma-separated. With
-- it, the case's risk, amount, alert count and independent signals (rule_count, counted from these rules) follow
-- from the case row and the alerts that just joined: attaching no longer reads every alert a case holds.
-- cases.latest_booked_at: the booking time of its latest alerted transaction, so "a case of current activity" (the
-- notifications' test: an alert booked less than NOTIFY_OLD_TRANSACTION_HOURS before the case opened) is a look at
-- the case row instead of a read of all of its alerts and their transactions.
-- scan_runs.cases_pending_after: a full scan attaches its alerts to cases once its writes are done, not in each
-- write; while it has not, this is the alert id above which its alerts may still be outside their cases (NULL: none
-- pending). A run that stopped before attaching them leaves it set, and the next scan attaches them first.

ALTER TABLE cases
  ADD COLUMN rule_ids VARCHAR(1000) NOT NULL DEFAULT ''
    COMMENT 'distinct rules of its alerts (analyst for flags), sorted, comma-separated; rule_count is counted from these'
    AFTER rule_count,
  ADD COLUMN latest_booked_at DATETIME NULL
    COMMENT 'booking time of its latest alerted transaction (NULL: no alert yet)' AFTER alert_count;

UPDATE cases c
  JOIN (SELECT ca.case_id, GROUP_CONCAT(DISTINCT COALESCE(a.rule_id, 'analyst') ORDER BY COALESCE(a.rule_id, 'analyst')
                                        SEPARATOR ',') AS rule_ids, MAX(t.date) AS latest_booked_at
          FROM case_alerts ca JOIN alerts a ON a.id = ca.alert_id JOIN transactions t ON t.id = a.transaction_id
         GROUP BY ca.case_id) r ON r.case_id = c.id
   SET c.rule_ids = r.rule_ids, c.latest_booked_at = r.latest_booked_at;

ALTER TABLE scan_runs
  ADD COLUMN cases_pending_after BIGINT UNSIGNED NULL
    COMMENT 'a full scan whose alerts above this id may not be in their cases yet (NULL: none pending)',
  ADD KEY idx_scan_runs_cases_pending (cases_pending_after);
