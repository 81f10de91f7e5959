-- 0009_query.sql — SQL queries on data sources (issue 16, D18): every run
-- of POST /query/execute, refused ones too, for GET /query/history (the
-- caller's own). sql_text is the statement as sent (at most 256 KiB);
-- error the database's message or the reason it was refused.
CREATE TABLE IF NOT EXISTS query_history (
  id           BIGINT AUTO_INCREMENT PRIMARY KEY,
  query_id     VARCHAR(40)  NOT NULL,
  user_id      VARCHAR(255) NOT NULL,
  source_id    VARCHAR(64)  NOT NULL,
  sql_text     MEDIUMTEXT   NOT NULL,
  kind         VARCHAR(16)  NOT NULL DEFAULT '',
  status       VARCHAR(16)  NOT NULL,
  error        TEXT         NULL,
  row_count    BIGINT       NOT NULL DEFAULT 0,
  truncated    TINYINT(1)   NOT NULL DEFAULT 0,
  duration_ms  DOUBLE       NOT NULL DEFAULT 0,
  format       VARCHAR(8)   NOT NULL DEFAULT 'json',
  created_at   DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  UNIQUE KEY uq_query_history_query_id (query_id),
  KEY idx_query_history_user (user_id, id),
  KEY idx_query_history_source (source_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- RBAC (lib/auth/ods_auth_rbac.c holds the same grants): running SQL on a
-- data source is datasource:execute — the data source is what is reached,
-- with its own credentials, and reading a source's settings (datasource:
-- read, viewers too) must not mean reading all of its data. Granted to
-- data_engineer and data_analyst (their work), admin has all; viewer and
-- the others do not run SQL. The history needs the same permission.
INSERT IGNORE INTO role_permissions (role_id, permission_id)
SELECT r.id, p.id FROM roles r CROSS JOIN permissions p
WHERE r.tenant_id = '' AND r.name IN ('data_engineer', 'data_analyst')
  AND p.resource = 'datasource' AND p.operation = 'execute';
