-- KPI cards: the bank's size and the summaries' freshness (one row). Power BI: Card visuals.
CREATE OR REPLACE VIEW v_kpi_totals AS
SELECT st.clients, st.active_clients, st.accounts, st.active_accounts,
       (SELECT COALESCE(SUM(d.n), 0) FROM analytics_daily_transactions d WHERE d.status <> 'cancelled') AS transactions,
       (SELECT COALESCE(SUM(ac.alerts), 0) FROM analytics_alert_counts ac WHERE ac.status <> 'closed') AS open_alerts,
       st.last_transaction_id AS summarised_to_transaction_id,
       st.refreshed_at AS summaries_refreshed_at
  FROM analytics_refresh_state st
 WHERE st.name = 'transactions';
