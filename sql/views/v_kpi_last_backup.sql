-- KPI: the latest backup run and whether its restore test passed. Always one row: backup_status = 'none' before the
-- first backup, so a card can say "no backup yet".
CREATE OR REPLACE VIEW v_kpi_last_backup AS
SELECT COALESCE(b.status, 'none') AS backup_status, b.id AS backup_run_id, b.started_at, b.finished_at,
       b.bytes_compressed, b.object_key, b.verify_status, b.verified_at,
       CASE WHEN b.verify_status = 'passed' THEN 1 ELSE 0 END AS verified
  FROM (SELECT 1 AS one) x
  LEFT JOIN backup_runs b ON b.id = (SELECT b2.id FROM backup_runs b2 ORDER BY b2.started_at DESC, b2.id DESC LIMIT 1);
