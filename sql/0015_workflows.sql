-- 0015_workflows.sql — the workflow engine (issue 18, reference-api §4.3
-- G2–G11, G24 and §4.5). Rules for this file: sql/README.md.
--
--   * workflows.definition is the current definition and workflows.version
--     its number; every saved definition is also a row of
--     workflow_versions (GET /workflows/{id}/versions, rollback).
--   * A run is a row of workflow_executions and a job of type
--     workflow_run (job_id). The run follows the definition copied into
--     the row at start (definition, version), never a later edit, so a
--     run resumed by another worker after a crash runs the same graph.
--     status: pending -> running -> completed | failed | stopped; the
--     writes of a run are conditional on the status it expects, so a run
--     stopped by POST …/stop is never overwritten by a late write.
--   * workflow_node_runs holds each node's outcome (output JSON) as it
--     completes: a resumed run skips the nodes recorded there as success,
--     error (continue_on_error) or skipped.
--   * execution_logs gets one row per node event (start, end, error,
--     retry, skip) with duration and output size, and the run's own
--     events (node_id NULL).
--   * A workflow schedule (workflow_schedules, the API's object) owns one
--     platform schedule (schedules.id, lib/store/ods_sched) that enqueues
--     workflow_run jobs.

CREATE TABLE IF NOT EXISTS workflow_versions (
  id           BIGINT       NOT NULL AUTO_INCREMENT,
  workflow_id  VARCHAR(64)  NOT NULL,
  version      INT          NOT NULL,
  name         VARCHAR(255) NOT NULL,
  description  TEXT         NULL,
  definition   MEDIUMTEXT   NULL,
  comment      VARCHAR(500) NULL,
  created_by   VARCHAR(128) NULL,
  created_at   DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_workflow_versions (workflow_id, version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

ALTER TABLE workflows
  ADD COLUMN IF NOT EXISTS visibility VARCHAR(16) NOT NULL DEFAULT 'private';

ALTER TABLE workflow_executions
  ADD COLUMN IF NOT EXISTS version      INT          NULL,
  ADD COLUMN IF NOT EXISTS definition   MEDIUMTEXT   NULL,
  ADD COLUMN IF NOT EXISTS job_id       BIGINT       NULL,
  ADD COLUMN IF NOT EXISTS schedule_id  VARCHAR(64)  NULL,
  ADD COLUMN IF NOT EXISTS timeout_s    INT          NULL,
  ADD COLUMN IF NOT EXISTS progress     INT          NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS attempt      INT          NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS created_by   VARCHAR(128) NULL,
  ADD COLUMN IF NOT EXISTS updated_at   DATETIME(3)  NULL;

CREATE INDEX IF NOT EXISTS idx_workflow_executions_job
  ON workflow_executions (job_id);
CREATE INDEX IF NOT EXISTS idx_workflow_executions_owner
  ON workflow_executions (created_by, id);

CREATE TABLE IF NOT EXISTS workflow_node_runs (
  id            BIGINT       NOT NULL AUTO_INCREMENT,
  execution_id  VARCHAR(64)  NOT NULL,
  node_id       VARCHAR(64)  NOT NULL,
  node_type     VARCHAR(32)  NOT NULL,
  status        VARCHAR(16)  NOT NULL,
  attempts      INT          NOT NULL DEFAULT 0,
  output        MEDIUMTEXT   NULL,
  error         TEXT         NULL,
  started_at    DATETIME(3)  NULL,
  completed_at  DATETIME(3)  NULL,
  duration_ms   INT          NULL,
  output_bytes  INT          NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_workflow_node_runs (execution_id, node_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

ALTER TABLE execution_logs
  ADD COLUMN IF NOT EXISTS event         VARCHAR(16)  NULL,
  ADD COLUMN IF NOT EXISTS attempt       INT          NULL,
  ADD COLUMN IF NOT EXISTS duration_ms   INT          NULL,
  ADD COLUMN IF NOT EXISTS output_bytes  INT          NULL;

ALTER TABLE workflow_schedules
  ADD COLUMN IF NOT EXISTS sched_id   BIGINT      NULL,
  ADD COLUMN IF NOT EXISTS time_zone  VARCHAR(64) NULL;
