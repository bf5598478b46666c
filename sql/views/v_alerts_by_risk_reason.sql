-- Alerts per booking day of the alerted transaction, risk level, reason and workflow status.
CREATE OR REPLACE VIEW v_alerts_by_risk_reason AS
SELECT ac.day, ac.risk_level, ac.reason, ac.status, ac.alerts
  FROM analytics_alert_counts ac;
