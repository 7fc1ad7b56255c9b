-- Tenant self-service (docs/tenant.md): sessions of tenant users and the
-- counters behind sign-in rate limits and lockout.

-- A signed-in session. The token itself is never stored: token_hash is
-- SHA-256 of the 128-bit random token (hex). kind 'cookie' (browser, CSRF
-- token required on writes) or 'bearer' (mini-program, Authorization header).
CREATE TABLE sessions (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  token_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  user_id BIGINT NOT NULL,
  kind ENUM('cookie','bearer') NOT NULL,
  csrf_token CHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  last_seen_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  idle_expires_at DATETIME(6) NOT NULL,	-- pushed forward as the session is used
  expires_at DATETIME(6) NOT NULL,	-- absolute end
  revoked_at DATETIME(6) NULL,		-- signed out
  remote_addr VARCHAR(64) NOT NULL DEFAULT '',
  user_agent VARCHAR(255) NOT NULL DEFAULT '',
  UNIQUE KEY sessions_token (token_hash),
  KEY sessions_user (user_id),
  CONSTRAINT sessions_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Failed sign-ins per key ("phone:138…", "ip:10.0.0.1") in a sliding
-- window; locked_until set when a phone has failed too often.
CREATE TABLE login_failures (
  k VARCHAR(96) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  failures INT NOT NULL DEFAULT 0,
  window_start DATETIME(6) NOT NULL,
  locked_until DATETIME(6) NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
-- Tenant users sign in by phone: their users.login is "phone:<number>"
-- (unique), so one phone is one tenant user.
