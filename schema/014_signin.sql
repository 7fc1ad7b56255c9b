-- Tenant sign-in by SMS code (docs/tenant.md). One row per code sent (or
-- pretended: a phone no tenant has gets a row and no message, so the limits
-- and answers are the same and the route cannot probe who is a tenant).
-- The code is kept only as SHA-256(salt || code).
CREATE TABLE sms_codes (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  phone VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  user_id BIGINT NULL,			-- NULL: no tenant user has this phone
  salt CHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  code_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  expires_at DATETIME(6) NOT NULL,
  tries INT NOT NULL DEFAULT 0,		-- wrong codes entered; 5 ends the code
  used_at DATETIME(6) NULL,		-- signed in (or bound) with it: spent
  remote_addr VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  KEY sms_codes_phone (phone, created_at),
  KEY sms_codes_addr (remote_addr, created_at),
  CONSTRAINT sms_codes_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A WeChat mini-program user (openid of our appid, from jscode2session)
-- bound to a tenant user after a check of the user's phone by SMS code.
-- An openid is bound once: a second bind is refused, not moved.
CREATE TABLE wechat_bindings (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  openid VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  user_id BIGINT NOT NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  remote_addr VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  UNIQUE KEY wechat_bindings_openid (openid),
  KEY wechat_bindings_user (user_id),
  CONSTRAINT wechat_bindings_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
