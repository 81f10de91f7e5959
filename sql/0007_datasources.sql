-- 0007_datasources.sql — data sources keep their credentials (issue 16):
-- sealed with ODS_SECRET_KEY ("v1:..." AES-256-GCM, lib/core/ods_secret.h)
-- or a reference ("env:NAME", "file:/path") resolved by the worker when
-- it connects. Never the password itself, never in connection_config.

-- credential: the sealed password or the reference; NULL: none given.
-- visibility: private (its creator and admins) or public (every role
-- that may read data sources); another user's private source is a 404.
ALTER TABLE datasources
  ADD COLUMN IF NOT EXISTS credential  TEXT        NULL,
  ADD COLUMN IF NOT EXISTS visibility  VARCHAR(16) NOT NULL DEFAULT 'private';

CREATE INDEX IF NOT EXISTS idx_datasources_owner
  ON datasources (created_by, visibility);

-- RBAC (lib/auth/ods_auth_rbac.c holds the same matrix): "datasource" is
-- a new resource, as reference-api §7.2 intends for the data sources
-- (datasource:*): viewer and data_analyst read, data_engineer creates,
-- reads and updates (and tests: a test writes the status), admin all
-- (delete is admin's alone).
INSERT IGNORE INTO permissions (resource, operation)
SELECT 'datasource', o.name
FROM (SELECT 'create' AS name UNION ALL SELECT 'read' UNION ALL
      SELECT 'update' UNION ALL SELECT 'delete' UNION ALL
      SELECT 'execute' UNION ALL SELECT 'manage' UNION ALL
      SELECT 'export' UNION ALL SELECT 'import') AS o;

INSERT IGNORE INTO role_permissions (role_id, permission_id)
SELECT r.id, p.id FROM roles r CROSS JOIN permissions p
WHERE r.tenant_id = '' AND r.name = 'admin' AND p.resource = 'datasource';

INSERT IGNORE INTO role_permissions (role_id, permission_id)
SELECT r.id, p.id FROM roles r CROSS JOIN permissions p
WHERE r.tenant_id = '' AND r.name = 'data_engineer'
  AND p.resource = 'datasource'
  AND p.operation IN ('create', 'read', 'update');

INSERT IGNORE INTO role_permissions (role_id, permission_id)
SELECT r.id, p.id FROM roles r CROSS JOIN permissions p
WHERE r.tenant_id = '' AND r.name IN ('data_analyst', 'viewer')
  AND p.resource = 'datasource' AND p.operation = 'read';
