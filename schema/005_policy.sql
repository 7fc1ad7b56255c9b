-- The account policy (docs/policy.md): each site's rules, per-account
-- overrides, each account's policy state, and the relay commands the
-- poller carries out. Times are UTC (DATETIME(6)); money is integer fen.

-- A site's rules. No row: the built-in defaults (the column defaults).
CREATE TABLE site_policies (
  site_id BIGINT NOT NULL PRIMARY KEY,
  level1_fen BIGINT NOT NULL DEFAULT 10000,	-- alert when the balance falls below
  level2_fen BIGINT NOT NULL DEFAULT 3000,
  restore_fen BIGINT NOT NULL DEFAULT 0,	-- supply back once the balance reaches this
  grace_s INT NOT NULL DEFAULT 1800,		-- below the cut line this long before a cut
  emergency_credit_fen BIGINT NOT NULL DEFAULT 0,	-- 0: not offered
  no_cut_night TINYINT(1) NOT NULL DEFAULT 1,
  night_start_min SMALLINT NOT NULL DEFAULT 1320,	-- local minutes after midnight: 22:00
  night_end_min SMALLINT NOT NULL DEFAULT 480,		-- 08:00
  no_cut_weekends TINYINT(1) NOT NULL DEFAULT 1,
  no_cut_holidays TINYINT(1) NOT NULL DEFAULT 1,
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  updated_by VARCHAR(64) NOT NULL DEFAULT '',
  CONSTRAINT site_policies_site FOREIGN KEY (site_id) REFERENCES sites (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One account's exceptions to its site's rules: NULL inherits.
CREATE TABLE account_policy_overrides (
  account_id BIGINT NOT NULL PRIMARY KEY,
  level1_fen BIGINT NULL,
  level2_fen BIGINT NULL,
  restore_fen BIGINT NULL,
  grace_s INT NULL,
  emergency_credit_fen BIGINT NULL,
  no_cut_night TINYINT(1) NULL,
  night_start_min SMALLINT NULL,
  night_end_min SMALLINT NULL,
  no_cut_weekends TINYINT(1) NULL,
  no_cut_holidays TINYINT(1) NULL,
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  updated_by VARCHAR(64) NOT NULL DEFAULT '',
  CONSTRAINT policy_overrides_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- What the policy last decided for an account and what it remembers
-- between evaluations (billing/policy_apply.c, under the account row lock).
CREATE TABLE account_policy_state (
  account_id BIGINT NOT NULL PRIMARY KEY,
  supply ENUM('on','off') NOT NULL DEFAULT 'on',	-- the desired supply state
  supply_reason VARCHAR(255) NOT NULL DEFAULT '',
  supply_actor VARCHAR(64) NOT NULL DEFAULT '',
  supply_changed_at DATETIME(6) NULL,
  below_since DATETIME(6) NULL,		-- below the cut line since (the grace runs from here)
  cut_at DATETIME(6) NULL,		-- a pending cut falls due (the sweep looks here)
  level TINYINT NOT NULL DEFAULT 0,	-- 0 none, 1, 2, 3 cut pending, 4 cut
  notified_level TINYINT NOT NULL DEFAULT 0,	-- low-balance level already told (0..2)
  ec_taken TINYINT(1) NOT NULL DEFAULT 0,	-- emergency credit taken since the last top-up
  ec_outstanding_fen BIGINT NOT NULL DEFAULT 0,	-- not yet repaid
  seen_seq BIGINT NOT NULL DEFAULT 0,	-- ledger entries up to here were looked at
  alert_seq BIGINT NOT NULL DEFAULT 0,	-- messages queued so far (outbox dedupe keys)
  evaluated_at DATETIME(6) NULL,
  KEY policy_state_cut_at (cut_at),
  CONSTRAINT policy_state_account FOREIGN KEY (account_id) REFERENCES accounts (id),
  CONSTRAINT policy_state_ec CHECK (ec_outstanding_fen >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Relay (or valve) switching: written in the same transaction as the
-- decision (invariant 3), carried out by the poller, which records each
-- attempt and the read-back. 'open' opens the breaker: supply OFF;
-- 'close' closes it: supply ON. A newer command supersedes an older
-- pending one for the same meter.
CREATE TABLE relay_commands (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  meter_id BIGINT NOT NULL,
  account_id BIGINT NULL,
  action ENUM('open','close') NOT NULL,
  reason VARCHAR(255) NOT NULL,
  actor VARCHAR(64) NOT NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  status ENUM('pending','sent','confirmed','failed','superseded') NOT NULL DEFAULT 'pending',
  attempts INT NOT NULL DEFAULT 0,
  last_attempt_at DATETIME(6) NULL,
  readback VARCHAR(64) NULL,		-- what the meter reported after the write
  completed_at DATETIME(6) NULL,
  KEY relay_due (status, created_at),
  KEY relay_meter (meter_id, status),
  KEY relay_account (account_id),
  CONSTRAINT relay_meter FOREIGN KEY (meter_id) REFERENCES meters (id),
  CONSTRAINT relay_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
