-- The hourly usage rollup the tenant usage and insights endpoints read
-- (docs/tenant.md "Usage"): one row per account × energy × UTC hour ×
-- meter, the sum of the consumption rows whose start_at falls in that
-- hour. Written in the same transaction as each consumption row
-- (billing/consume.c), with the band split the rating produced;
-- `prepayctl usage rebuild` recomputes it from consumption.
--
-- The key is the query: one account's hours of one energy, in order.
-- UTC hours bucket exactly into local days and months in whole-hour zones.
CREATE TABLE usage_hours (
  account_id BIGINT NOT NULL,
  energy ENUM('electricity','water','gas') NOT NULL,
  hour_at DATETIME NOT NULL,		-- UTC hour start
  meter_id BIGINT NOT NULL,
  sharp_milli BIGINT NOT NULL DEFAULT 0,	-- energy by TOU band, as rated
  peak_milli BIGINT NOT NULL DEFAULT 0,
  flat_milli BIGINT NOT NULL DEFAULT 0,
  valley_milli BIGINT NOT NULL DEFAULT 0,
  unsplit_milli BIGINT NOT NULL DEFAULT 0,	-- no rating split (rebuild without a tariff)
  rated_nyuan BIGINT NOT NULL DEFAULT 0,	-- Σ consumption.rated_nyuan: energy, adjustment, fee
  sharp_nyuan BIGINT NOT NULL DEFAULT 0,	-- list price × energy by band (tiers applied)
  peak_nyuan BIGINT NOT NULL DEFAULT 0,
  flat_nyuan BIGINT NOT NULL DEFAULT 0,
  valley_nyuan BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (account_id, energy, hour_at, meter_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
