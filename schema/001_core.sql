-- Core of the park: sites, units, tenants, accounts, users, gateways, meters,
-- and the audit log. InnoDB, utf8mb4, a primary key on every table (Galera).
-- Times are UTC (DATETIME(6)); money is integer fen (BIGINT, *_fen).

CREATE TABLE sites (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  code VARCHAR(32) NOT NULL,
  name VARCHAR(128) NOT NULL,
  timezone VARCHAR(64) NOT NULL DEFAULT 'Asia/Shanghai',
  currency CHAR(3) NOT NULL DEFAULT 'CNY',
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY sites_code (code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The site calendar: public holidays, and weekend days worked in exchange
-- (调休) that count as working days.
CREATE TABLE site_calendar_days (
  site_id BIGINT NOT NULL,
  day DATE NOT NULL,
  kind ENUM('holiday','workday') NOT NULL,
  name VARCHAR(64) NOT NULL DEFAULT '',
  PRIMARY KEY (site_id, day),
  CONSTRAINT calendar_site FOREIGN KEY (site_id) REFERENCES sites (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE units (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  site_id BIGINT NOT NULL,
  code VARCHAR(32) NOT NULL,
  name VARCHAR(128) NOT NULL,
  area_m2_e2 BIGINT NOT NULL DEFAULT 0,	-- floor area in 0.01 m², for apportioning
  UNIQUE KEY units_site_code (site_id, code),
  CONSTRAINT units_site FOREIGN KEY (site_id) REFERENCES sites (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE tenants (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  site_id BIGINT NOT NULL,
  code VARCHAR(32) NOT NULL,
  name VARCHAR(128) NOT NULL,
  contact_name VARCHAR(64) NOT NULL DEFAULT '',
  contact_phone VARCHAR(32) NOT NULL DEFAULT '',
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY tenants_site_code (site_id, code),
  CONSTRAINT tenants_site FOREIGN KEY (site_id) REFERENCES sites (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One wallet per tenant (per energy type where the park wants it).
-- balance_fen and last_seq are caches of the ledger, updated in the same
-- transaction as each entry; `prepayctl audit` re-derives them.
CREATE TABLE accounts (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  site_id BIGINT NOT NULL,
  tenant_id BIGINT NOT NULL,
  code VARCHAR(32) NOT NULL,
  energy ENUM('all','electricity','water','gas') NOT NULL DEFAULT 'all',
  balance_fen BIGINT NOT NULL DEFAULT 0,
  last_seq BIGINT NOT NULL DEFAULT 0,
  overdraft_fen BIGINT NOT NULL DEFAULT 0,	-- the floor is -overdraft_fen
  keep_power TINYINT(1) NOT NULL DEFAULT 0,	-- 保电: never cut
  status ENUM('open','closed') NOT NULL DEFAULT 'open',
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  UNIQUE KEY accounts_site_code (site_id, code),
  KEY accounts_tenant (tenant_id),
  CONSTRAINT accounts_site FOREIGN KEY (site_id) REFERENCES sites (id),
  CONSTRAINT accounts_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id),
  CONSTRAINT accounts_overdraft CHECK (overdraft_fen >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE users (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  login VARCHAR(64) NOT NULL,
  display_name VARCHAR(128) NOT NULL DEFAULT '',
  role ENUM('admin','operator','finance','tenant') NOT NULL,
  site_id BIGINT NULL,		-- staff of one site; NULL for all sites
  tenant_id BIGINT NULL,		-- set for tenant users
  phone VARCHAR(32) NOT NULL DEFAULT '',
  password_hash VARCHAR(255) NOT NULL DEFAULT '',
  disabled TINYINT(1) NOT NULL DEFAULT 0,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY users_login (login),
  CONSTRAINT users_site FOREIGN KEY (site_id) REFERENCES sites (id),
  CONSTRAINT users_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Which accounts a tenant user may see (a company with several shops).
CREATE TABLE user_accounts (
  user_id BIGINT NOT NULL,
  account_id BIGINT NOT NULL,
  PRIMARY KEY (user_id, account_id),
  CONSTRAINT user_accounts_user FOREIGN KEY (user_id) REFERENCES users (id),
  CONSTRAINT user_accounts_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE gateways (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  site_id BIGINT NOT NULL,
  code VARCHAR(32) NOT NULL,
  name VARCHAR(128) NOT NULL DEFAULT '',
  transport ENUM('tcp','rtu') NOT NULL DEFAULT 'tcp',
  host VARCHAR(255) NULL,		-- tcp
  port INT NULL,
  device VARCHAR(255) NULL,		-- rtu: serial device
  baud INT NULL,
  parity CHAR(1) NULL,
  timeout_ms INT NOT NULL DEFAULT 500,
  gap_ms INT NOT NULL DEFAULT 20,	-- quiet time between requests on the bus
  enabled TINYINT(1) NOT NULL DEFAULT 1,
  UNIQUE KEY gateways_site_code (site_id, code),
  CONSTRAINT gateways_site FOREIGN KEY (site_id) REFERENCES sites (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE meters (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  site_id BIGINT NOT NULL,
  code VARCHAR(32) NOT NULL,
  serial VARCHAR(64) NOT NULL DEFAULT '',
  energy ENUM('electricity','water','gas') NOT NULL DEFAULT 'electricity',
  profile VARCHAR(64) NOT NULL,		-- register map name (meters/profiles/)
  gateway_id BIGINT NULL,
  modbus_unit INT NULL,
  unit_id BIGINT NULL,			-- the room/shop it measures
  account_id BIGINT NULL,		-- who pays for it
  ct_ratio INT NOT NULL DEFAULT 1,
  pt_ratio INT NOT NULL DEFAULT 1,
  relay_capable TINYINT(1) NOT NULL DEFAULT 0,
  enabled TINYINT(1) NOT NULL DEFAULT 1,
  UNIQUE KEY meters_site_code (site_id, code),
  UNIQUE KEY meters_bus_address (gateway_id, modbus_unit),
  KEY meters_account (account_id),
  CONSTRAINT meters_site FOREIGN KEY (site_id) REFERENCES sites (id),
  CONSTRAINT meters_gateway FOREIGN KEY (gateway_id) REFERENCES gateways (id),
  CONSTRAINT meters_unit FOREIGN KEY (unit_id) REFERENCES units (id),
  CONSTRAINT meters_account FOREIGN KEY (account_id) REFERENCES accounts (id),
  CONSTRAINT meters_ratios CHECK (ct_ratio > 0 AND pt_ratio > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Who did what, when and why: every operator action and every cut/restore.
CREATE TABLE audit_log (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  actor VARCHAR(64) NOT NULL,		-- "operator:alice", "poller", "wechatpay"
  action VARCHAR(64) NOT NULL,		-- "account.topup", "meter.cut", "park.import"
  object_type VARCHAR(32) NOT NULL,
  object_id BIGINT NULL,
  request_id VARCHAR(128) NULL,
  detail TEXT NOT NULL,			-- JSON
  KEY audit_object (object_type, object_id),
  KEY audit_at (at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
