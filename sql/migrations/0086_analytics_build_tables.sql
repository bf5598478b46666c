-- Build copies of the dashboard's summary tables (issue 18). A rebuild of the summaries (after a seed --reset, or
-- `npm run analytics:refresh -- --full`) fills these in id-range chunks, across as many invocations as it takes,
-- its progress in analytics_refresh_state_build; once it has caught up, one RENAME TABLE swaps every live table
-- with its build copy at once (lib/analytics/refresh.ts). The dashboard never sees a half-rebuilt figure: until
-- the swap it reads the previous summaries. After the swap these hold the previous summaries until the next
-- rebuild empties them.
CREATE TABLE IF NOT EXISTS analytics_daily_transactions_build LIKE analytics_daily_transactions;
CREATE TABLE IF NOT EXISTS analytics_client_totals_build LIKE analytics_client_totals;
CREATE TABLE IF NOT EXISTS analytics_amount_histogram_build LIKE analytics_amount_histogram;
CREATE TABLE IF NOT EXISTS analytics_client_locations_build LIKE analytics_client_locations;
CREATE TABLE IF NOT EXISTS analytics_alert_counts_build LIKE analytics_alert_counts;
CREATE TABLE IF NOT EXISTS analytics_alert_amounts_build LIKE analytics_alert_amounts;
CREATE TABLE IF NOT EXISTS analytics_refresh_state_build LIKE analytics_refresh_state;
