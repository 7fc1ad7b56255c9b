-- Refunds and move-out settlement, stored reconciliation reports
-- (docs/payments.md). A refund takes the money off the tenant account when
-- it is requested (ledger kind refund, key "refund:<out_refund_no>"); a
-- refund the provider closes or abandons gives it back with a reversing
-- adjustment (key "refund-reversal:<out_refund_no>"), never an edit.

-- One move-out: the balance paid back, the refunds it made.
CREATE TABLE settlements (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  request_id VARCHAR(120) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  account_id BIGINT NOT NULL,
  balance_fen BIGINT NOT NULL,		-- the balance settled
  refunds INT NOT NULL,
  status ENUM('refunding','done','attention') NOT NULL,	-- attention: a refund failed, money is back on the account
  actor VARCHAR(64) NOT NULL,
  reason VARCHAR(255) NOT NULL DEFAULT '',
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  UNIQUE KEY settlements_request (request_id),
  KEY settlements_account (account_id),
  CONSTRAINT settlements_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One refund: to a payment through its provider, or in cash.
CREATE TABLE refunds (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  out_refund_no VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  account_id BIGINT NOT NULL,
  settlement_id BIGINT NULL,
  payment_id BIGINT NULL,		-- NULL for cash
  method ENUM('wechat','cash') NOT NULL,
  amount_fen BIGINT NOT NULL,
  status ENUM('requested','processing','success','closed','abnormal') NOT NULL,
  refund_id VARCHAR(64) NULL,		-- the provider's refund id
  provider_status VARCHAR(32) NULL,	-- the last status the provider gave
  entry_id BIGINT NOT NULL,		-- the refund ledger entry
  reversal_entry_id BIGINT NULL,	-- the adjustment that gave it back (closed, abnormal)
  completed_via ENUM('request','notify','query','manual') NULL,
  success_time DATETIME(6) NULL,	-- UTC
  request_id VARCHAR(120) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,	-- the operator's
  actor VARCHAR(64) NOT NULL,
  reason VARCHAR(255) NOT NULL DEFAULT '',
  last_error VARCHAR(255) NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  UNIQUE KEY refunds_out_refund_no (out_refund_no),
  UNIQUE KEY refunds_entry (entry_id),
  KEY refunds_payment (payment_id),
  KEY refunds_account (account_id),
  KEY refunds_settlement (settlement_id),
  KEY refunds_open (status, created_at),
  CONSTRAINT refunds_account FOREIGN KEY (account_id) REFERENCES accounts (id),
  CONSTRAINT refunds_payment FOREIGN KEY (payment_id) REFERENCES payments (id),
  CONSTRAINT refunds_settlement FOREIGN KEY (settlement_id) REFERENCES settlements (id),
  CONSTRAINT refunds_positive CHECK (amount_fen > 0),
  CONSTRAINT refunds_method CHECK ((method = 'cash') = (payment_id IS NULL))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The latest reconciliation of a day against the provider's bill, for the
-- admin console; a rerun replaces the day's lines.
CREATE TABLE recon_reports (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  provider VARCHAR(32) NOT NULL,
  mchid VARCHAR(32) NOT NULL,
  bill_date DATE NOT NULL,		-- Beijing day
  status ENUM('clean','mismatch','error') NOT NULL,
  matched INT NOT NULL DEFAULT 0,
  matched_fen BIGINT NOT NULL DEFAULT 0,
  issues INT NOT NULL DEFAULT 0,
  error VARCHAR(512) NULL,
  runs INT NOT NULL DEFAULT 1,
  actor VARCHAR(64) NOT NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  UNIQUE KEY recon_reports_day (provider, mchid, bill_date)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE recon_lines (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  report_id BIGINT NOT NULL,
  issue ENUM('missing_here','missing_there','amount','transaction') NOT NULL,
  out_trade_no VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  ours_fen BIGINT NULL,
  theirs_fen BIGINT NULL,
  action VARCHAR(255) NOT NULL DEFAULT '',	-- what was done: "credited via query", "finance: …"
  KEY recon_lines_report (report_id),
  CONSTRAINT recon_lines_report FOREIGN KEY (report_id) REFERENCES recon_reports (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The worker's periodic payment jobs: each run queues its successor
-- (payments/refund_jobs.c); these rows start the chains.
INSERT INTO outbox (dedupe_key, kind, payload) VALUES ('payment.sweep:start', 'payment.sweep', '{}')
  ON DUPLICATE KEY UPDATE id = id;
INSERT INTO outbox (dedupe_key, kind, payload) VALUES ('payment.recon:start', 'payment.recon', '{}')
  ON DUPLICATE KEY UPDATE id = id;
