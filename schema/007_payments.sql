-- Payments (docs/payments.md): top-up orders for WeChat Pay v3 and Alipay,
-- extending the payments skeleton of 002; notifications that are genuine
-- but do not match their order, kept for finance; per-site amount limits.
-- A payment is credited once: the row is locked by out_trade_no, the ledger
-- key is "<provider>:<transaction_id>", and (provider, transaction_id) is unique.

ALTER TABLE payments
  ADD COLUMN channel VARCHAR(32) NOT NULL DEFAULT 'wechat_native' AFTER provider,
  ADD COLUMN appid VARCHAR(32) NOT NULL DEFAULT '' AFTER currency,
  ADD COLUMN mchid VARCHAR(32) NOT NULL DEFAULT '' AFTER appid,
  ADD COLUMN description VARCHAR(127) NOT NULL DEFAULT '' AFTER mchid,
  ADD COLUMN payer_openid VARCHAR(128) NULL AFTER description,
  ADD COLUMN prepay_id VARCHAR(64) NULL,
  ADD COLUMN code_url VARCHAR(255) NULL,
  ADD COLUMN provider_state VARCHAR(32) NULL,	-- the last trade_state we saw
  ADD COLUMN expires_at DATETIME(6) NULL,
  ADD COLUMN paid_at DATETIME(6) NULL,		-- success_time, in UTC
  ADD COLUMN credited_at DATETIME(6) NULL,
  ADD COLUMN credited_via ENUM('notify','query','manual') NULL,
  ADD COLUMN last_error VARCHAR(255) NULL,
  ADD COLUMN updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  ADD KEY payments_open (status, created_at),
  ADD CONSTRAINT payments_credited_whole CHECK ((status = 'credited') = (credited_entry_id IS NOT NULL));

-- A genuine notification (or query answer) we did not credit because it
-- disagrees with its order: wrong amount, mchid, appid, currency, an order
-- we never made, or a second payment for an order already credited.
-- Repeats of the same one count up instead of adding rows.
CREATE TABLE payment_reviews (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  provider VARCHAR(32) NOT NULL,
  out_trade_no VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  transaction_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  reason VARCHAR(32) NOT NULL,		-- amount, mchid, appid, currency, unknown_order, second_payment …
  payment_id BIGINT NULL,
  paid_fen BIGINT NULL,			-- what the provider says was paid
  detail TEXT NOT NULL,			-- the decrypted transaction as received
  seen INT NOT NULL DEFAULT 1,
  status ENUM('open','resolved') NOT NULL DEFAULT 'open',
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  UNIQUE KEY payment_reviews_once (provider, out_trade_no, transaction_id, reason),
  KEY payment_reviews_open (status, created_at),
  CONSTRAINT payment_reviews_payment FOREIGN KEY (payment_id) REFERENCES payments (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Top-up limits per site; a site without a row uses [wechatpay]
-- min_topup_fen / max_topup_fen.
CREATE TABLE payment_site_limits (
  site_id BIGINT NOT NULL PRIMARY KEY,
  min_topup_fen BIGINT NOT NULL,
  max_topup_fen BIGINT NOT NULL,
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  CONSTRAINT payment_limits_site FOREIGN KEY (site_id) REFERENCES sites (id),
  CONSTRAINT payment_limits_order CHECK (min_topup_fen > 0 AND max_topup_fen >= min_topup_fen)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
