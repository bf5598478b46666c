-- The brief's six tables, with the brief's table and column names and improved types.
-- Applied by 0001_brief_tables.ts: as is on an empty database, or by copy-and-swap when the original
-- Financial Monitor's older tables are already there (see that file). Keep one CREATE TABLE per table,
-- foreign keys as `CONSTRAINT fk_... FOREIGN KEY` lines: the adoption path reads this file.
-- Runs on MySQL 8.0+ and MariaDB 10.6+.

CREATE TABLE clients (
  id                BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  first_name        VARCHAR(100) NOT NULL,
  last_name         VARCHAR(100) NOT NULL,
  identifier        VARCHAR(32)  NOT NULL COMMENT 'national id: PESEL, NINO, DNI ...',
  birth_date        DATE         NOT NULL,
  email             VARCHAR(254) NULL,
  phone             VARCHAR(32)  NULL,
  gender            ENUM('M','F') NOT NULL,
  registration_date DATE         NOT NULL,
  is_active         ENUM('Yes','No') NOT NULL DEFAULT 'Yes',
  country           VARCHAR(56)  NOT NULL COMMENT 'ISO 3166-1 alpha-2 for seeded data',
  locale            VARCHAR(10)  NOT NULL,
  PRIMARY KEY (id),
  KEY idx_clients_country (country),
  KEY idx_clients_identifier (identifier),
  KEY idx_clients_registration (registration_date)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE locations (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  client_id       BIGINT UNSIGNED NOT NULL,
  city            VARCHAR(100) NOT NULL,
  region          VARCHAR(100) NULL,
  country         VARCHAR(56)  NOT NULL,
  postal_code     VARCHAR(16)  NULL,
  street          VARCHAR(150) NULL,
  building_number VARCHAR(20)  NULL,
  PRIMARY KEY (id),
  KEY idx_locations_client (client_id),
  KEY idx_locations_country_city (country, city),
  CONSTRAINT fk_locations_client FOREIGN KEY (client_id) REFERENCES clients (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE accounts (
  id             BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  client_id      BIGINT UNSIGNED NOT NULL,
  account_number VARCHAR(34)   NOT NULL COMMENT 'IBAN, electronic format (no spaces)',
  account_type   ENUM('personal','savings','business') NOT NULL,
  opening_date   DATE          NOT NULL,
  balance        DECIMAL(15,2) NOT NULL DEFAULT 0.00,
  currency       CHAR(3)       NOT NULL,
  is_active      TINYINT(1)    NOT NULL DEFAULT 1,
  PRIMARY KEY (id),
  UNIQUE KEY uq_accounts_number (account_number),
  KEY idx_accounts_client (client_id),
  KEY idx_accounts_currency (currency),
  CONSTRAINT ck_accounts_currency CHECK (currency REGEXP '^[A-Z]{3}$'),
  CONSTRAINT ck_accounts_active CHECK (is_active IN (0, 1)),
  CONSTRAINT fk_accounts_client FOREIGN KEY (client_id) REFERENCES clients (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE transaction_types (
  id          INT UNSIGNED NOT NULL AUTO_INCREMENT,
  type        VARCHAR(40)  NOT NULL,
  description VARCHAR(255) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_transaction_types_type (type)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE transactions (
  id                  BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  account_id          BIGINT UNSIGNED NOT NULL,
  transaction_type_id INT UNSIGNED    NOT NULL,
  date                DATETIME        NOT NULL COMMENT 'booking time; never rewritten by updates',
  amount              DECIMAL(15,2)   NOT NULL COMMENT 'signed: credits positive, debits negative',
  currency            CHAR(3)         NOT NULL,
  balance_after       DECIMAL(15,2)   NULL,
  recipient_account   VARCHAR(34)     NULL COMMENT 'IBAN; the original data used empty strings for none',
  status              ENUM('completed','pending','cancelled') NOT NULL DEFAULT 'completed',
  title               VARCHAR(255)    NULL,
  PRIMARY KEY (id),
  KEY idx_transactions_account_date (account_id, date, id),
  KEY idx_transactions_date (date, id),
  KEY idx_transactions_amount (amount),
  KEY idx_transactions_type (transaction_type_id),
  CONSTRAINT ck_transactions_currency CHECK (currency REGEXP '^[A-Z]{3}$'),
  CONSTRAINT fk_transactions_account FOREIGN KEY (account_id) REFERENCES accounts (id),
  CONSTRAINT fk_transactions_type FOREIGN KEY (transaction_type_id) REFERENCES transaction_types (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE alerts (
  id             BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  transaction_id BIGINT UNSIGNED NOT NULL,
  reason         VARCHAR(100)    NOT NULL COMMENT 'the brief''s words: high amount, unusual location, rapid transfers ...',
  risk_level     ENUM('Low','Medium','High') NOT NULL,
  alert_date     DATETIME        NOT NULL DEFAULT CURRENT_TIMESTAMP,
  flagged_by     ENUM('analyst','system') NOT NULL,
  rule_id        VARCHAR(64)     NULL COMMENT 'stable rule id for system alerts (high-amount ...); NULL for analyst and legacy rows',
  score          DECIMAL(6,2)    NULL,
  evidence       JSON            NULL,
  status         ENUM('open','investigating','closed') NOT NULL DEFAULT 'open',
  disposition    ENUM('confirmed','false_positive') NULL,
  note           TEXT            NULL,
  created_by     VARCHAR(100)    NULL,
  scan_run_id    BIGINT UNSIGNED NULL,
  updated_at     DATETIME        NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  UNIQUE KEY uq_alerts_transaction_rule (transaction_id, rule_id),
  KEY idx_alerts_date (alert_date, id),
  KEY idx_alerts_risk_date (risk_level, alert_date, id),
  KEY idx_alerts_status_date (status, alert_date, id),
  KEY idx_alerts_flagged_date (flagged_by, alert_date, id),
  KEY idx_alerts_reason (reason),
  CONSTRAINT ck_alerts_disposition CHECK (disposition IS NULL OR status = 'closed'),
  CONSTRAINT fk_alerts_transaction FOREIGN KEY (transaction_id) REFERENCES transactions (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
