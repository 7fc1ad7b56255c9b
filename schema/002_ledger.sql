-- The money ledger (docs/ledger.md): append-only entries, the outbox of side
-- effects written in the same transaction, and the payments skeleton.
-- Money is integer fen (BIGINT, *_fen); times are UTC DATETIME(6).

-- One row per posting leg. accounts.balance_fen / last_seq are caches of
-- these rows, updated in the same transaction (billing/ledger.c); a
-- correction is a new entry, never an edit.
CREATE TABLE ledger_entries (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  account_id BIGINT NOT NULL,
  seq BIGINT NOT NULL,			-- 1, 2, 3 … per account, no gaps
  kind ENUM('topup','consumption','fee','adjustment','refund',
            'emergency_credit','emergency_repay','transfer_in','transfer_out') NOT NULL,
  amount_fen BIGINT NOT NULL,		-- signed: + credits the tenant, - debits
  balance_after_fen BIGINT NOT NULL,
  counter_account VARCHAR(64) NOT NULL,	-- the other side: cash, payment:wechat, revenue:electricity …
  reference VARCHAR(128) NULL,		-- what caused it: payment:17, reading:991, a receipt number
  idem_key VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  payload_sha256 CHAR(64) CHARACTER SET ascii NOT NULL,	-- fingerprint of what was asked
  actor VARCHAR(64) NOT NULL,
  reason VARCHAR(255) NOT NULL DEFAULT '',
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY ledger_account_seq (account_id, seq),
  UNIQUE KEY ledger_idem (idem_key),
  KEY ledger_created (created_at),
  CONSTRAINT ledger_account FOREIGN KEY (account_id) REFERENCES accounts (id),
  CONSTRAINT ledger_nonzero CHECK (amount_fen <> 0),
  CONSTRAINT ledger_seq_positive CHECK (seq > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Append-only, enforced by the database too: corrections are new entries.
CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries FOR EACH ROW
  SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'ledger_entries is append-only: post a correcting entry instead';
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries FOR EACH ROW
  SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'ledger_entries is append-only: post a correcting entry instead';

-- Side effects (alerts, relay commands, messages) to carry out later: written
-- in the same transaction as the change that causes them (invariant 3), run
-- by an idempotent executor that records each attempt.
CREATE TABLE outbox (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  dedupe_key VARCHAR(191) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  kind VARCHAR(64) NOT NULL,		-- "alert.low_balance", "relay.restore", "sms" …
  account_id BIGINT NULL,
  payload JSON NOT NULL,
  status ENUM('pending','running','done','failed','dead') NOT NULL DEFAULT 'pending',
  attempts INT NOT NULL DEFAULT 0,
  next_attempt_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  last_error TEXT NULL,
  UNIQUE KEY outbox_dedupe (dedupe_key),
  KEY outbox_due (status, next_attempt_at),
  KEY outbox_account (account_id),
  CONSTRAINT outbox_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Payment orders (WeChat Pay, Alipay …); the payments work extends this.
-- A payment is credited once: status 'credited' and credited_entry_id are
-- set in the same transaction as its ledger entry (audit cross-checks them).
CREATE TABLE payments (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  provider VARCHAR(32) NOT NULL,		-- "wechat", "alipay"
  out_trade_no VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  transaction_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
  account_id BIGINT NOT NULL,
  amount_fen BIGINT NOT NULL,
  currency CHAR(3) NOT NULL DEFAULT 'CNY',
  status ENUM('created','paid','credited','closed','failed','refunded') NOT NULL DEFAULT 'created',
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  credited_entry_id BIGINT NULL,
  UNIQUE KEY payments_out_trade_no (out_trade_no),
  UNIQUE KEY payments_provider_txn (provider, transaction_id),
  UNIQUE KEY payments_credited_entry (credited_entry_id),
  KEY payments_account (account_id),
  CONSTRAINT payments_account FOREIGN KEY (account_id) REFERENCES accounts (id),
  CONSTRAINT payments_entry FOREIGN KEY (credited_entry_id) REFERENCES ledger_entries (id),
  CONSTRAINT payments_amount CHECK (amount_fen > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
