-- Tariffs in the database (docs/statements.md, docs/tariffs.md): each
-- tariff is a site's price list for one energy type; every import that
-- changes it stores the whole validated JSON document as a new row (never
-- updated), so what any reading was rated with can be shown later.

CREATE TABLE tariffs (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  site_id BIGINT NOT NULL,
  code VARCHAR(64) NOT NULL,
  energy ENUM('electricity','water','gas') NOT NULL,
  name VARCHAR(128) NOT NULL DEFAULT '',
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY tariffs_site_code (site_id, code),
  CONSTRAINT tariffs_site FOREIGN KEY (site_id) REFERENCES sites (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The highest seq of a tariff is its current document. past_edit marks a
-- document that changed versions already in effect (imported with
-- --correct): stored consumption needs `prepayctl tariff rerate`.
CREATE TABLE tariff_documents (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tariff_id BIGINT NOT NULL,
  seq INT NOT NULL,
  document MEDIUMTEXT NOT NULL,
  sha256 CHAR(64) CHARACTER SET ascii NOT NULL,
  nversions INT NOT NULL,
  past_edit TINYINT(1) NOT NULL DEFAULT 0,
  actor VARCHAR(64) NOT NULL,
  reason VARCHAR(255) NOT NULL DEFAULT '',
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY tariff_documents_seq (tariff_id, seq),
  CONSTRAINT tariff_documents_tariff FOREIGN KEY (tariff_id) REFERENCES tariffs (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Which tariff an account pays for an energy type, with its per-tenant
-- terms: a personal unit price (NULL: the tariff's), a discount (< 0) or
-- markup in basis points, and the contracted capacity for capacity charges.
CREATE TABLE account_tariffs (
  account_id BIGINT NOT NULL,
  energy ENUM('electricity','water','gas') NOT NULL,
  tariff_id BIGINT NOT NULL,
  unit_price_uyuan BIGINT NULL,
  adjust_bp INT NOT NULL DEFAULT 0,
  capacity_milli_kva BIGINT NOT NULL DEFAULT 0,
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  updated_by VARCHAR(64) NOT NULL DEFAULT '',
  PRIMARY KEY (account_id, energy),
  KEY account_tariffs_tariff (tariff_id),
  CONSTRAINT account_tariffs_account FOREIGN KEY (account_id) REFERENCES accounts (id),
  CONSTRAINT account_tariffs_tariff FOREIGN KEY (tariff_id) REFERENCES tariffs (id),
  CONSTRAINT account_tariffs_terms CHECK (adjust_bp BETWEEN -10000 AND 10000
    AND capacity_milli_kva >= 0 AND (unit_price_uyuan IS NULL OR unit_price_uyuan >= 0))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
