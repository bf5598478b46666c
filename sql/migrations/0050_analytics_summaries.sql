-- The dashboard's summary tables (issue 7). Aggregating 1M transactions on every request is far over the 300 ms
-- budget, so lib/analytics/refresh.ts keeps these small tables current incrementally: it adds the transactions
-- above the `transactions` watermark in id-range chunks, each chunk and the watermark moved in one DB transaction,
-- and rebuilds everything after a seed --reset. The views in sql/views/ read them; so do the dashboard endpoints.
-- Runs on MySQL 8.0+ and MariaDB 10.6+.

-- Reference rates to express mixed-currency figures (top clients, value distribution) in one unit, EUR.
-- Indicative and fixed: analytics, not accounting. Edit a rate with UPDATE and run `npm run analytics:refresh -- --full`.
CREATE TABLE IF NOT EXISTS analytics_fx_rates (
  currency CHAR(3)       NOT NULL,
  eur_rate DECIMAL(12,6) NOT NULL COMMENT 'value of 1 unit of currency in EUR',
  PRIMARY KEY (currency)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT IGNORE INTO analytics_fx_rates (currency, eur_rate) VALUES
  ('EUR', 1.000000), ('PLN', 0.230000), ('GBP', 1.170000), ('SEK', 0.088000), ('USD', 0.920000);

-- Per booking day, currency, transaction type and status: count and sums. A year of a 9-locale bank is ~40k rows.
CREATE TABLE IF NOT EXISTS analytics_daily_transactions (
  day                 DATE          NOT NULL,
  currency            CHAR(3)       NOT NULL,
  transaction_type_id INT UNSIGNED  NOT NULL,
  status              ENUM('completed','pending','cancelled') NOT NULL,
  n                   INT UNSIGNED  NOT NULL,
  amount_sum          DECIMAL(20,2) NOT NULL COMMENT 'signed: credits minus debits',
  abs_sum             DECIMAL(20,2) NOT NULL COMMENT 'volume: sum of |amount|',
  abs_max             DECIMAL(15,2) NOT NULL,
  PRIMARY KEY (day, currency, transaction_type_id, status)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Per client, over all time (cancelled transactions excluded): what "top clients" ranks.
CREATE TABLE IF NOT EXISTS analytics_client_totals (
  client_id           BIGINT UNSIGNED NOT NULL,
  transactions        INT UNSIGNED    NOT NULL,
  transfers           INT UNSIGNED    NOT NULL COMMENT 'outgoing transfers, standing orders, express transfers',
  transfer_sum_eur    DECIMAL(20,2)   NOT NULL COMMENT 'sum of |amount| of those transfers, in EUR',
  volume_eur          DECIMAL(20,2)   NOT NULL,
  last_transaction_at DATETIME        NULL,
  PRIMARY KEY (client_id),
  KEY idx_analytics_client_transfer_sum (transfer_sum_eur),
  KEY idx_analytics_client_transactions (transactions)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Per booking month, how many |amount| in EUR fall in each log-scale bucket: FLOOR(LOG10(|amount in EUR|) * 50),
-- i.e. 50 buckets per power of ten (each ~4.7% wide). Cancelled and zero amounts are not counted.
CREATE TABLE IF NOT EXISTS analytics_amount_histogram (
  month  CHAR(7)      NOT NULL COMMENT 'YYYY-MM of the booking date',
  bucket SMALLINT     NOT NULL,
  n      INT UNSIGNED NOT NULL,
  PRIMARY KEY (month, bucket)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Clients per country and city (from locations): the map. Rebuilt whenever clients change (MAX(clients.id) moves).
CREATE TABLE IF NOT EXISTS analytics_client_locations (
  country VARCHAR(56)  NOT NULL,
  city    VARCHAR(100) NOT NULL,
  clients INT UNSIGNED NOT NULL,
  PRIMARY KEY (country, city)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Alerts per day of their transaction, risk, reason and status (alert_date is when a scan ran, not when the money
-- moved): the "alerts by risk and reason" figures and the open-alerts KPI. New alerts are added above the alert id
-- watermark; a workflow change is applied from alert_history (from_status -1, to_status +1) above its watermark.
CREATE TABLE IF NOT EXISTS analytics_alert_counts (
  day        DATE         NOT NULL COMMENT 'booking day of the alerted transaction',
  risk_level ENUM('Low','Medium','High') NOT NULL,
  reason     VARCHAR(100) NOT NULL,
  status     ENUM('open','investigating','closed') NOT NULL,
  alerts     INT UNSIGNED NOT NULL,
  PRIMARY KEY (day, risk_level, reason, status)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Alerted transactions (each counted once, with its first alert) per booking month and amount bucket, as in
-- analytics_amount_histogram: the anomalies marked on the value distribution.
CREATE TABLE IF NOT EXISTS analytics_alert_amounts (
  month        CHAR(7)      NOT NULL,
  bucket       SMALLINT     NOT NULL,
  transactions INT UNSIGNED NOT NULL,
  PRIMARY KEY (month, bucket)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Watermarks of the refresh: everything with id <= last_transaction_id is in the summaries.
CREATE TABLE IF NOT EXISTS analytics_refresh_state (
  name                VARCHAR(64)     NOT NULL,
  last_transaction_id BIGINT UNSIGNED NOT NULL DEFAULT 0,
  last_client_id      BIGINT UNSIGNED NOT NULL DEFAULT 0,
  last_seed_run_id    BIGINT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'seed_runs.id seen; a later non-append seed forces a rebuild',
  last_alert_id       BIGINT UNSIGNED NOT NULL DEFAULT 0,
  last_history_id     BIGINT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'alert_history rows applied to analytics_alert_counts',
  clients             INT UNSIGNED    NOT NULL DEFAULT 0 COMMENT 'KPIs, counted with the client locations',
  active_clients      INT UNSIGNED    NOT NULL DEFAULT 0,
  accounts            INT UNSIGNED    NOT NULL DEFAULT 0,
  active_accounts     INT UNSIGNED    NOT NULL DEFAULT 0,
  refreshed_at        DATETIME(3)     NOT NULL,
  PRIMARY KEY (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
