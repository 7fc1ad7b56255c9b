-- Meter readings and the poller's per-meter state (docs/poller.md).
-- Times are UTC (DATETIME(3): readings are keyed to the millisecond).
-- Energy is integer milli-units: Wh for electricity, litres for water.

-- Every reading the poller took and judged, good or suspect. The key
-- (meter, read_at) makes storing idempotent: a replay after a crash finds
-- the row and bills nothing again (invariant 2). Partitioned by month on
-- read_at; the poller keeps the next months' partitions ahead of time
-- (pmax catches anything beyond, so an insert never fails). A partitioned
-- InnoDB table cannot have foreign keys: meter_id is checked by the poller,
-- which only reads meters it loaded from the meters table.
CREATE TABLE readings (
  meter_id BIGINT NOT NULL,
  read_at DATETIME(3) NOT NULL,
  register_milli BIGINT NOT NULL,	-- as the meter shows it (secondary side, before CT x PT)
  energy_milli BIGINT NOT NULL,		-- primary: register x CT x PT
  tou_sharp_milli BIGINT NULL,		-- TOU band registers (primary) where the meter has them
  tou_peak_milli BIGINT NULL,
  tou_flat_milli BIGINT NULL,
  tou_valley_milli BIGINT NULL,
  verdict ENUM('first','ok','rollover','rebased','replaced','quarantined') NOT NULL,
  suspect ENUM('','counter_drop','spike') NOT NULL DEFAULT '',
  billed_from DATETIME(3) NULL,		-- the interval billed ends at read_at
  billed_milli BIGINT NOT NULL DEFAULT 0,	-- primary energy billed with this reading
  serial VARCHAR(64) NOT NULL DEFAULT '',
  note VARCHAR(255) NOT NULL DEFAULT '',
  reviewed_by VARCHAR(64) NULL,		-- an operator looked at a quarantined reading
  PRIMARY KEY (meter_id, read_at),
  KEY readings_verdict (verdict, read_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
PARTITION BY RANGE COLUMNS (read_at) (
  PARTITION pmax VALUES LESS THAN (MAXVALUE)
);

-- What the operator reviews: readings that cost nobody anything yet.
CREATE VIEW quarantined_readings AS
  SELECT r.meter_id, m.code AS meter_code, m.site_id, r.read_at, r.register_milli, r.energy_milli,
         r.suspect, r.note, r.reviewed_by
  FROM readings r JOIN meters m ON m.id = r.meter_id
  WHERE r.verdict = 'quarantined';

-- One row per meter the poller has read: the validation baseline, the
-- candidate a suspect reading left, health, and the operator's hold.
CREATE TABLE meter_state (
  meter_id BIGINT NOT NULL PRIMARY KEY,
  good_at DATETIME(3) NULL,		-- baseline: the last accepted reading
  good_register_milli BIGINT NULL,
  good_energy_milli BIGINT NULL,	-- primary
  good_tou_sharp_milli BIGINT NULL,
  good_tou_peak_milli BIGINT NULL,
  good_tou_flat_milli BIGINT NULL,
  good_tou_valley_milli BIGINT NULL,
  cand_at DATETIME(3) NULL,		-- a quarantined reading waiting for confirmation
  cand_register_milli BIGINT NULL,
  serial VARCHAR(64) NOT NULL DEFAULT '',
  last_read_at DATETIME(3) NULL,	-- last answer of any kind
  last_fail_at DATETIME(3) NULL,
  fail_cycles INT NOT NULL DEFAULT 0,	-- failed read cycles in a row
  offline TINYINT(1) NOT NULL DEFAULT 0,
  offline_since DATETIME(3) NULL,
  last_error VARCHAR(255) NOT NULL DEFAULT '',
  quarantined INT NOT NULL DEFAULT 0,	-- quarantined readings so far
  readings INT NOT NULL DEFAULT 0,	-- stored readings so far
  relay_state ENUM('unknown','on','off') NOT NULL DEFAULT 'unknown',	-- supply as last read back
  relay_checked_at DATETIME(3) NULL,
  hold ENUM('none','off') NOT NULL DEFAULT 'none',	-- 'off': an operator cut it; stays until an operator restores
  hold_reason VARCHAR(255) NOT NULL DEFAULT '',
  hold_actor VARCHAR(64) NOT NULL DEFAULT '',
  hold_at DATETIME(6) NULL,
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  CONSTRAINT meter_state_meter FOREIGN KEY (meter_id) REFERENCES meters (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
