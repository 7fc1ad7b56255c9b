-- Alerts and the outbox executor (docs/alerts.md, docs/worker.md): who is
-- told (contacts, preferences), each site's quiet hours and channels, and
-- every delivery attempt prepay-worker makes. Times are UTC (DATETIME(6)).

-- Where a tenant (tenant_id set) or a site's operators (tenant_id NULL)
-- are told. address: an E.164 phone for sms, an openid for wechat, an
-- http(s) URL for webhook.
CREATE TABLE alert_contacts (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  site_id BIGINT NOT NULL,
  tenant_id BIGINT NULL,
  channel ENUM('sms','wechat','webhook') NOT NULL,
  address VARCHAR(512) NOT NULL,
  lang ENUM('zh','en') NOT NULL DEFAULT 'zh',
  name VARCHAR(64) NOT NULL DEFAULT '',
  -- message kinds this contact wants ("balance_low_1,supply_cut"); '*' = all
  kinds VARCHAR(512) NOT NULL DEFAULT '*',
  enabled TINYINT(1) NOT NULL DEFAULT 1,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  created_by VARCHAR(64) NOT NULL DEFAULT '',
  UNIQUE KEY alert_contacts_unique (site_id, tenant_id, channel, address(191)),
  KEY alert_contacts_tenant (tenant_id),
  CONSTRAINT alert_contacts_site FOREIGN KEY (site_id) REFERENCES sites (id),
  CONSTRAINT alert_contacts_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A site's alert rules. No row: quiet hours 22:00-08:00, every channel.
-- quiet_start_min = quiet_end_min turns quiet hours off.
CREATE TABLE alert_site_settings (
  site_id BIGINT NOT NULL PRIMARY KEY,
  quiet_start_min SMALLINT NOT NULL DEFAULT 1320,	-- local minutes after midnight
  quiet_end_min SMALLINT NOT NULL DEFAULT 480,
  channels SET('sms','wechat','webhook') NOT NULL DEFAULT 'sms,wechat,webhook',
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  updated_by VARCHAR(64) NOT NULL DEFAULT '',
  CONSTRAINT alert_site_settings_site FOREIGN KEY (site_id) REFERENCES sites (id),
  CONSTRAINT alert_site_quiet CHECK (quiet_start_min BETWEEN 0 AND 1439 AND quiet_end_min BETWEEN 0 AND 1439)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every attempt prepay-worker makes at an outbox row: written when the row
-- is claimed (finished_at NULL while it runs, or forever if the worker
-- died), completed with the provider's answer.
CREATE TABLE outbox_attempts (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  outbox_id BIGINT NOT NULL,
  attempt_no INT NOT NULL,
  worker VARCHAR(64) NOT NULL,			-- host:pid/thread
  started_at DATETIME(6) NOT NULL,
  finished_at DATETIME(6) NULL,
  outcome ENUM('done','retry','failed','dead') NULL,
  channel VARCHAR(32) NOT NULL DEFAULT '',	-- sms:tencent, wechat, webhook, fanout …
  http_status INT NULL,
  answer VARCHAR(1024) NOT NULL DEFAULT '',	-- what the provider said
  error VARCHAR(1024) NOT NULL DEFAULT '',
  UNIQUE KEY outbox_attempts_no (outbox_id, attempt_no),
  CONSTRAINT outbox_attempts_outbox FOREIGN KEY (outbox_id) REFERENCES outbox (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
