-- 0004_jobs.sql — the durable job queue (issue 13 §3): the jobs table is
-- the source of truth; a Redis Stream only wakes the workers.
--
-- A job's life: queued -> running (claimed: a lease owner and an expiry
-- the owner keeps extending) -> succeeded | failed | cancelled. A failed
-- attempt with attempts left goes back to queued with run_after in the
-- future (exponential backoff); a lease that expires (its worker died) is
-- taken back the same way. cancel_requested asks a running job's handler
-- to stop at its next step; a queued job is cancelled at once.

CREATE TABLE IF NOT EXISTS jobs (
  id                BIGINT       NOT NULL AUTO_INCREMENT,
  type              VARCHAR(64)  NOT NULL,
  payload           LONGTEXT     NOT NULL DEFAULT '{}',
  status            VARCHAR(16)  NOT NULL DEFAULT 'queued',
  attempts          INT          NOT NULL DEFAULT 0,
  max_attempts      INT          NOT NULL DEFAULT 3,
  run_after         DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  lease_owner       VARCHAR(128) NULL,
  lease_expires_at  DATETIME(3)  NULL,
  lease_token       BIGINT       NULL,  -- one claim: finds its row
  cancel_requested  TINYINT(1)   NOT NULL DEFAULT 0,
  progress          TINYINT UNSIGNED NOT NULL DEFAULT 0,
  progress_message  VARCHAR(255) NULL,
  result            LONGTEXT     NULL,
  error             TEXT         NULL,
  created_by        VARCHAR(128) NOT NULL DEFAULT '',
  idempotency_key   VARCHAR(128) NULL,
  created_at        DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at        DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
                    ON UPDATE CURRENT_TIMESTAMP(3),
  started_at        DATETIME(3)  NULL,
  finished_at       DATETIME(3)  NULL,
  PRIMARY KEY (id),
  -- One job per creator, type and key; NULL keys never collide.
  UNIQUE KEY uk_jobs_idempotency (created_by, type, idempotency_key),
  -- The claim: one UPDATE ... WHERE id = (SELECT id ... WHERE status =
  -- 'queued' AND run_after <= NOW(3) ORDER BY run_after, id LIMIT 1 FOR
  -- UPDATE SKIP LOCKED).
  KEY idx_jobs_claim (status, run_after, id),
  -- Taking over expired leases: status = 'running' AND lease_expires_at <.
  KEY idx_jobs_lease (status, lease_expires_at),
  -- A worker's heartbeat: lease_owner = ? AND status = 'running'.
  KEY idx_jobs_owner (lease_owner, status),
  -- Listings: a user's jobs, newest first; by type and status.
  KEY idx_jobs_creator (created_by, id),
  KEY idx_jobs_type_status (type, status, id),
  CONSTRAINT ck_jobs_status CHECK (status IN
    ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  CONSTRAINT ck_jobs_progress CHECK (progress <= 100),
  CONSTRAINT ck_jobs_payload CHECK (JSON_VALID(payload)),
  CONSTRAINT ck_jobs_result CHECK (result IS NULL OR JSON_VALID(result))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- RBAC (lib/auth/ods_auth_rbac.c holds the same matrix): "job" is a new
-- resource. Every role but guest may read and cancel (update) its own
-- jobs; admin passes everything and sees every job.
INSERT IGNORE INTO permissions (resource, operation)
SELECT 'job', o.name
FROM (SELECT 'create' AS name UNION ALL SELECT 'read' UNION ALL
      SELECT 'update' UNION ALL SELECT 'delete' UNION ALL
      SELECT 'execute' UNION ALL SELECT 'manage' UNION ALL
      SELECT 'export' UNION ALL SELECT 'import') AS o;

INSERT IGNORE INTO role_permissions (role_id, permission_id)
SELECT r.id, p.id FROM roles r CROSS JOIN permissions p
WHERE r.tenant_id = '' AND r.name = 'admin' AND p.resource = 'job';

INSERT IGNORE INTO role_permissions (role_id, permission_id)
SELECT r.id, p.id FROM roles r CROSS JOIN permissions p
WHERE r.tenant_id = '' AND r.name IN ('data_engineer', 'data_analyst',
  'ai_developer', 'user', 'viewer') AND p.resource = 'job'
  AND p.operation IN ('read', 'update');
