-- 0011_etl.sql — ETL tasks that run (issue 17, reference-api §3.3
-- D19–D21): a task names its source and target data sources, its kind
-- (task_kind: sql_transform | table_copy | file_import | export; the
-- reference's task_type batch|streaming is kept as given), its options
-- (transform_rules JSON), the watermark of an incremental copy, its
-- visibility and the schedule it owns (schedules.id, lib/store/ods_sched).
ALTER TABLE etl_tasks
  ADD COLUMN IF NOT EXISTS task_kind    VARCHAR(32)  NOT NULL DEFAULT 'sql_transform',
  ADD COLUMN IF NOT EXISTS watermark    VARCHAR(255) NULL,
  ADD COLUMN IF NOT EXISTS schedule_id  BIGINT       NULL,
  ADD COLUMN IF NOT EXISTS visibility   VARCHAR(16)  NOT NULL DEFAULT 'private';

CREATE INDEX IF NOT EXISTS idx_etl_tasks_owner ON etl_tasks (created_by, id);

-- A run (an execution) is a row of etl_task_logs (log_id = the execution
-- id "exec_<16 hex>") and a job of type etl_run (jobs.id): progress, the
-- rows rejected with a sample of them and why, the lines of its steps.
ALTER TABLE etl_task_logs
  ADD COLUMN IF NOT EXISTS job_id        BIGINT       NULL,
  ADD COLUMN IF NOT EXISTS progress      INT          NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS rows_rejected BIGINT       NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS reject_sample JSON         NULL,
  ADD COLUMN IF NOT EXISTS result        JSON         NULL,
  ADD COLUMN IF NOT EXISTS attempt       INT          NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS updated_at    DATETIME(3)  NULL;

-- One line per step of a run (GET /etl/tasks/{id}/logs).
CREATE TABLE IF NOT EXISTS etl_run_lines (
  id          BIGINT       NOT NULL AUTO_INCREMENT,
  log_id      VARCHAR(64)  NOT NULL,
  task_id     VARCHAR(64)  NOT NULL,
  attempt     INT          NOT NULL DEFAULT 1,
  level       VARCHAR(8)   NOT NULL DEFAULT 'info',
  step        VARCHAR(32)  NOT NULL,
  message     TEXT         NOT NULL,
  created_at  DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  KEY idx_etl_run_lines_task (task_id, id),
  KEY idx_etl_run_lines_log (log_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- RBAC (lib/auth/ods_auth_rbac.c holds the same grants): the resource
-- "etl". Viewers and analysts read tasks and their runs; data engineers
-- create, change and run them (execute: start, stop); deleting a task is
-- admin's. The reference asked dataset.manage (admin only) for creating
-- and running, which left data engineers unable to do their work.
INSERT IGNORE INTO permissions (resource, operation)
SELECT 'etl', o.name
FROM (SELECT 'create' AS name UNION ALL SELECT 'read' UNION ALL
      SELECT 'update' UNION ALL SELECT 'delete' UNION ALL
      SELECT 'execute' UNION ALL SELECT 'manage' UNION ALL
      SELECT 'export' UNION ALL SELECT 'import') AS o;

INSERT IGNORE INTO role_permissions (role_id, permission_id)
SELECT r.id, p.id FROM roles r CROSS JOIN permissions p
WHERE r.tenant_id = '' AND r.name = 'admin' AND p.resource = 'etl';

INSERT IGNORE INTO role_permissions (role_id, permission_id)
SELECT r.id, p.id FROM roles r CROSS JOIN permissions p
WHERE r.tenant_id = '' AND r.name = 'data_engineer' AND p.resource = 'etl'
  AND p.operation IN ('create', 'read', 'update', 'execute');

INSERT IGNORE INTO role_permissions (role_id, permission_id)
SELECT r.id, p.id FROM roles r CROSS JOIN permissions p
WHERE r.tenant_id = '' AND r.name IN ('data_analyst', 'viewer')
  AND p.resource = 'etl' AND p.operation = 'read';
