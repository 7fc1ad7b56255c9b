-- Rated consumption, the persisted rating state and monthly statements
-- (docs/statements.md). Times are UTC; money is nano-yuan (*_nyuan, exact)
-- until a billing month is rounded once to fen (*_fen).

-- struct rate_state per account × energy × local billing month (yyyymm):
-- the newest period is the live state the next reading continues from;
-- older rows are what real time charged for their month. open_tier_* is
-- the tier position as the month opened, so a month can be re-rated alone.
CREATE TABLE rate_periods (
  account_id BIGINT NOT NULL,
  energy ENUM('electricity','water','gas') NOT NULL,
  period INT NOT NULL,
  open_tier_period INT NOT NULL DEFAULT 0,
  open_tier_milli BIGINT NOT NULL DEFAULT 0,
  tier_period INT NOT NULL DEFAULT 0,
  tier_milli BIGINT NOT NULL DEFAULT 0,
  energy_nyuan BIGINT NOT NULL DEFAULT 0,
  adjust_nyuan BIGINT NOT NULL DEFAULT 0,
  adjust_carry BIGINT NOT NULL DEFAULT 0,
  fee_nyuan BIGINT NOT NULL DEFAULT 0,
  fee_carry BIGINT NOT NULL DEFAULT 0,
  fixed_nyuan BIGINT NOT NULL DEFAULT 0,
  debited_fen BIGINT NOT NULL DEFAULT 0,	-- all fen charged for the month, corrections included
  rerate_fen BIGINT NOT NULL DEFAULT 0,		-- of which by `tariff rerate`
  fixed_through DATE NULL,			-- standing charges charged through this local day
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (account_id, energy, period),
  CONSTRAINT rate_periods_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per reading delta, per billing month it touches and per band
-- register (part). (meter_id, read_at) is the reading's idempotency key.
-- Narrow on purpose: a park writes ~3,000 rows per meter per month.
CREATE TABLE consumption (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  meter_id BIGINT NOT NULL,
  read_at DATETIME(3) NOT NULL,		-- the reading's time (the poller's key, to the ms)
  part TINYINT NOT NULL,
  account_id BIGINT NOT NULL,
  energy ENUM('electricity','water','gas') NOT NULL,
  period INT NOT NULL,			-- local billing month yyyymm
  start_at DATETIME NOT NULL,		-- [start_at, end_at)
  end_at DATETIME NOT NULL,
  band TINYINT NULL,			-- NULL: split by the schedule; else the register's band
  energy_milli BIGINT NOT NULL,
  rated_nyuan BIGINT NOT NULL,		-- what it added to the month (energy, adjustment, fee)
  debit_fen BIGINT NOT NULL,		-- posted with it (ledger reference consumption:<id>)
  UNIQUE KEY consumption_reading (meter_id, read_at, part),
  KEY consumption_period (period, account_id),
  CONSTRAINT consumption_meter FOREIGN KEY (meter_id) REFERENCES meters (id),
  CONSTRAINT consumption_account FOREIGN KEY (account_id) REFERENCES accounts (id),
  CONSTRAINT consumption_interval CHECK (end_at > start_at AND energy_milli >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Shared meters (public lighting, lifts): whose bill carries a share of
-- their rated cost, by area, fixed share or consumption share. The data
-- model only for now: statements do not apportion yet (docs/statements.md).
CREATE TABLE meter_shares (
  meter_id BIGINT NOT NULL,
  account_id BIGINT NOT NULL,
  rule ENUM('area','fixed','consumption') NOT NULL,
  weight BIGINT NOT NULL DEFAULT 0,	-- area in 0.01 m2, or basis points for fixed
  PRIMARY KEY (meter_id, account_id),
  CONSTRAINT meter_shares_meter FOREIGN KEY (meter_id) REFERENCES meters (id),
  CONSTRAINT meter_shares_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Monthly statements: derived from the ledger and the consumption rows,
-- regenerated identically by `prepayctl statement run` (sha256 of the
-- content tells an unchanged re-run).
CREATE TABLE statements (
  account_id BIGINT NOT NULL,
  period INT NOT NULL,
  site_id BIGINT NOT NULL,
  opening_fen BIGINT NOT NULL,
  credits_fen BIGINT NOT NULL,		-- top-ups, credits, adjustments listed on it
  debits_fen BIGINT NOT NULL,		-- refunds and other debits listed on it
  posted_fen BIGINT NOT NULL,		-- usage and standing charges posted in the month
  closing_fen BIGINT NOT NULL,
  usage_fen BIGINT NOT NULL,		-- the month's usage rated, rounded once
  debited_fen BIGINT NOT NULL,		-- real-time debits for the month's usage
  mismatch TINYINT(1) NOT NULL DEFAULT 0,	-- usage_fen <> debited_fen: look at it
  nlines INT NOT NULL,
  sha256 CHAR(64) CHARACTER SET ascii NOT NULL,
  generated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (account_id, period),
  KEY statements_period (period, site_id),
  CONSTRAINT statements_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE statement_lines (
  account_id BIGINT NOT NULL,
  period INT NOT NULL,
  line_no INT NOT NULL,
  section VARCHAR(16) CHARACTER SET ascii NOT NULL,	-- balance, ledger, usage, fixed, adjust, fee, rounding, total, check
  energy VARCHAR(16) CHARACTER SET ascii NOT NULL DEFAULT '',
  meter VARCHAR(32) NOT NULL DEFAULT '',
  label VARCHAR(255) NOT NULL,
  quantity_milli BIGINT NULL,
  unit VARCHAR(8) NOT NULL DEFAULT '',
  price_uyuan BIGINT NULL,
  amount_nyuan BIGINT NOT NULL,
  PRIMARY KEY (account_id, period, line_no)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Statements find an account's balance at a month boundary and the month's
-- top-ups, adjustments and refunds without reading every debit.
CREATE INDEX ledger_account_created ON ledger_entries (account_id, created_at);
CREATE INDEX ledger_kind_created ON ledger_entries (kind, created_at);
