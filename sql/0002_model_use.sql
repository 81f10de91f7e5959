-- model:use, calling a model through /v1 (it spends tokens): the grants
-- of lib/auth/ods_auth_rbac.c as data, as 0001 seeds the §7.2 matrix.
-- Not viewer or guest.
INSERT IGNORE INTO permissions (resource, operation, description) VALUES
  ('model', 'use', 'call a model through /v1 (spends tokens)');

INSERT IGNORE INTO role_permissions (role_id, permission_id)
SELECT r.id, p.id FROM roles r CROSS JOIN permissions p
WHERE r.tenant_id = '' AND p.resource = 'model' AND p.operation = 'use'
  AND r.name IN ('admin', 'ai_developer', 'user', 'data_engineer',
                 'data_analyst');
