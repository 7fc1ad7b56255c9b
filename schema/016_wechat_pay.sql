-- Mini-program payments with the bound openid (docs/tenant.md, "Paying in
-- the mini-program"). An openid is one WeChat user *of one appid*, so a
-- binding records the mini-program's appid it came from ('' for rows bound
-- before this migration: taken as the [wechat] appid configured now), and
-- when it last signed in or paid. A session started by wx.login remembers
-- its openid: a JSAPI order is paid by the WeChat user holding the phone
-- (two WeChat accounts may be bound to one tenant user), and removing a
-- binding ends exactly the sessions it started.
ALTER TABLE wechat_bindings
  ADD COLUMN appid VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '' AFTER openid,
  ADD COLUMN last_used_at DATETIME(6) NULL;

ALTER TABLE sessions
  ADD COLUMN wechat_openid VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
  ADD KEY sessions_wechat_openid (wechat_openid);
