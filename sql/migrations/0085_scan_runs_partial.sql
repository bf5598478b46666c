-- A scan that stops at its deadline (issue 18): it commits what it finished and records the run as `partial`; the
-- next run goes on from the watermark. A partial run is a completed run for the "no scan in an hour" check.
ALTER TABLE scan_runs
  MODIFY status ENUM('running','succeeded','partial','failed','skipped') NOT NULL DEFAULT 'running';
