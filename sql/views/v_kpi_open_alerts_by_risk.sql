-- KPI: alerts not yet closed (open or investigating), per risk level.
CREATE OR REPLACE VIEW v_kpi_open_alerts_by_risk AS
SELECT ac.risk_level, SUM(ac.alerts) AS open_alerts
  FROM analytics_alert_counts ac
 WHERE ac.status IN ('open', 'investigating')
 GROUP BY ac.risk_level;
