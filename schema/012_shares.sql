-- Shared meters, line loss and the month-end jobs (docs/statements.md,
-- "Shared meters and line loss").

-- A meter whose cost is apportioned to tenants. 'shared': a shared meter
-- (public lighting, lifts) on the site's common account, rated in real
-- time into that account; at month end its rated cost is charged to the
-- sharing tenants and credited back to the common account. 'loss': a
-- master meter (no account) whose line loss — master minus its
-- sub-meters — is reported each month and, unless the rule is 'none',
-- charged to the sharing tenants. Who shares: meter_shares (004).
CREATE TABLE meter_apportion (
  meter_id BIGINT NOT NULL PRIMARY KEY,
  source ENUM('shared','loss') NOT NULL,
  rule ENUM('area','fixed','consumption','none') NOT NULL,
  updated_by VARCHAR(64) NOT NULL,
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  CONSTRAINT meter_apportion_meter FOREIGN KEY (meter_id) REFERENCES meters (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The sub-meters a master meter feeds (line loss = master - their sum).
CREATE TABLE meter_submeters (
  meter_id BIGINT NOT NULL PRIMARY KEY,
  master_id BIGINT NOT NULL,
  KEY meter_submeters_master (master_id),
  CONSTRAINT meter_submeters_meter FOREIGN KEY (meter_id) REFERENCES meters (id),
  CONSTRAINT meter_submeters_master FOREIGN KEY (master_id) REFERENCES meters (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- What a month's apportionment charged each tenant (the statement shows
-- these rows; the ledger entries carry reference share:<meter>:<yyyymm>).
-- Rewritten when a re-run finds a different split (late readings), the
-- ledger then posts the difference.
CREATE TABLE share_allocations (
  meter_id BIGINT NOT NULL,
  period INT NOT NULL,
  account_id BIGINT NOT NULL,
  rule ENUM('area','fixed','consumption') NOT NULL,
  weight BIGINT NOT NULL,		-- 0.01 m2, basis points, or milli-units used
  total_weight BIGINT NOT NULL,
  source_fen BIGINT NOT NULL,		-- the source's cost for the month
  share_fen BIGINT NOT NULL,		-- this account's part (parts add up to source_fen);
					-- the common account's row is -source_fen (credited back)
  posted_fen BIGINT NOT NULL DEFAULT 0,	-- what the ledger carries for it so far
  PRIMARY KEY (meter_id, period, account_id),
  KEY share_allocations_account (account_id, period),
  CONSTRAINT share_allocations_meter FOREIGN KEY (meter_id) REFERENCES meters (id),
  CONSTRAINT share_allocations_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The site's month report of line loss, one row per master meter.
CREATE TABLE line_losses (
  master_id BIGINT NOT NULL,
  period INT NOT NULL,
  site_id BIGINT NOT NULL,
  master_milli BIGINT NULL,		-- NULL: could not be measured (note says why)
  sub_milli BIGINT NOT NULL,
  loss_milli BIGINT NULL,
  loss_fen BIGINT NOT NULL DEFAULT 0,	-- priced at the sub-meters' average rated price
  note VARCHAR(255) NOT NULL DEFAULT '',
  computed_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (master_id, period),
  KEY line_losses_site (site_id, period),
  CONSTRAINT line_losses_master FOREIGN KEY (master_id) REFERENCES meters (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Month-end statement runs the worker made, one per site and month.
CREATE TABLE statement_runs (
  site_id BIGINT NOT NULL,
  period INT NOT NULL,
  accounts INT NOT NULL,
  mismatches INT NOT NULL,
  ran_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (site_id, period),
  CONSTRAINT statement_runs_site FOREIGN KEY (site_id) REFERENCES sites (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The worker's periodic billing jobs (worker/job_billing.c): each run
-- queues its successor; these rows start the chains.
INSERT INTO outbox (dedupe_key, kind, payload) VALUES ('billing.fixed:start', 'billing.fixed', '{}')
  ON DUPLICATE KEY UPDATE id = id;
INSERT INTO outbox (dedupe_key, kind, payload) VALUES ('billing.month:start', 'billing.month', '{}')
  ON DUPLICATE KEY UPDATE id = id;
