-- 0001_init.sql — the one schema of ONE-DATA-STUDIO: the Data API, the
-- Agent API, the OpenAI proxy, and what they share. Applied by
-- `odsctl migrate` (rules for these files: sql/README.md).
--
-- Conventions
--   * InnoDB, utf8mb4 / utf8mb4_unicode_ci everywhere.
--   * `id` BIGINT AUTO_INCREMENT is the internal key; the public string id
--     (dataset_id, workflow_id, ...) is UNIQUE and is what the API shows.
--   * Times are DATETIME(3) in UTC: every connection of libods sets
--     time_zone = '+00:00', so CURRENT_TIMESTAMP is UTC.
--   * JSON columns hold JSON documents (MariaDB checks JSON_VALID).
--   * Every statement is idempotent (IF NOT EXISTS, INSERT IGNORE), so a
--     run interrupted half-way can simply be run again.

-- ===================================================================
-- Data API: datasets and the metadata catalog
-- ===================================================================

CREATE TABLE IF NOT EXISTS datasets (
  id            BIGINT       NOT NULL AUTO_INCREMENT,
  dataset_id    VARCHAR(64)  NOT NULL,
  name          VARCHAR(255) NOT NULL,
  description   TEXT         NULL,
  storage_type  VARCHAR(32)  NOT NULL DEFAULT 's3',
  storage_path  VARCHAR(512) NOT NULL DEFAULT '',
  format        VARCHAR(32)  NOT NULL DEFAULT 'csv',
  status        VARCHAR(32)  NOT NULL DEFAULT 'active',
  row_count     BIGINT       NOT NULL DEFAULT 0,
  size_bytes    BIGINT       NOT NULL DEFAULT 0,
  tags          JSON         NULL,
  created_by    VARCHAR(128) NULL,
  tenant_id     VARCHAR(64)  NULL,
  created_at    DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at    DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
                ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_datasets_dataset_id (dataset_id),
  KEY idx_datasets_name (name),
  KEY idx_datasets_status_created (status, created_at),
  KEY idx_datasets_created (created_at),
  KEY idx_datasets_tenant (tenant_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- version_number is unique per dataset: two concurrent "new version"
-- requests cannot both get the same number (the second one conflicts).
CREATE TABLE IF NOT EXISTS dataset_versions (
  id             BIGINT       NOT NULL AUTO_INCREMENT,
  version_id     VARCHAR(128) NOT NULL,
  dataset_id     VARCHAR(64)  NOT NULL,
  version_number INT          NOT NULL,
  storage_path   VARCHAR(512) NOT NULL,
  description    TEXT         NULL,
  row_count      BIGINT       NOT NULL DEFAULT 0,
  size_bytes     BIGINT       NOT NULL DEFAULT 0,
  checksum       VARCHAR(64)  NULL,
  created_by     VARCHAR(128) NULL,
  created_at     DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_dataset_versions_version_id (version_id),
  UNIQUE KEY uk_dataset_versions_number (dataset_id, version_number),
  CONSTRAINT fk_dataset_versions_dataset FOREIGN KEY (dataset_id)
    REFERENCES datasets (dataset_id) ON DELETE CASCADE ON UPDATE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS dataset_columns (
  id            BIGINT       NOT NULL AUTO_INCREMENT,
  dataset_id    VARCHAR(64)  NOT NULL,
  column_name   VARCHAR(128) NOT NULL,
  column_type   VARCHAR(64)  NOT NULL DEFAULT 'string',
  is_nullable   TINYINT(1)   NOT NULL DEFAULT 1,
  description   TEXT         NULL,
  position      INT          NOT NULL DEFAULT 0,
  PRIMARY KEY (id),
  UNIQUE KEY uk_dataset_columns_name (dataset_id, column_name),
  KEY idx_dataset_columns_position (dataset_id, position),
  CONSTRAINT fk_dataset_columns_dataset FOREIGN KEY (dataset_id)
    REFERENCES datasets (dataset_id) ON DELETE CASCADE ON UPDATE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS file_uploads (
  id            BIGINT        NOT NULL AUTO_INCREMENT,
  upload_id     VARCHAR(64)   NOT NULL,
  dataset_id    VARCHAR(64)   NULL,
  file_name     VARCHAR(512)  NOT NULL,
  file_size     BIGINT        NULL,
  content_type  VARCHAR(255)  NULL,
  storage_path  VARCHAR(1024) NOT NULL,
  status        VARCHAR(32)   NOT NULL DEFAULT 'pending',
  created_by    VARCHAR(128)  NULL,
  created_at    DATETIME(3)   NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  expires_at    DATETIME(3)   NULL,
  completed_at  DATETIME(3)   NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_file_uploads_upload_id (upload_id),
  KEY idx_file_uploads_dataset (dataset_id),
  KEY idx_file_uploads_status (status, created_at),
  CONSTRAINT fk_file_uploads_dataset FOREIGN KEY (dataset_id)
    REFERENCES datasets (dataset_id) ON DELETE SET NULL ON UPDATE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The catalog is a registry (filled by scans or by hand), not live
-- introspection.
CREATE TABLE IF NOT EXISTS metadata_databases (
  id             BIGINT       NOT NULL AUTO_INCREMENT,
  database_name  VARCHAR(128) NOT NULL,
  description    TEXT         NULL,
  owner          VARCHAR(128) NULL,
  created_at     DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at     DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
                 ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_metadata_databases_name (database_name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- primary_key and relations feed Text-to-SQL prompts:
-- primary_key ["col", ...], relations
-- [{"from_table","from_column","to_table","to_column"}, ...].
CREATE TABLE IF NOT EXISTS metadata_tables (
  id             BIGINT       NOT NULL AUTO_INCREMENT,
  database_name  VARCHAR(128) NOT NULL,
  table_name     VARCHAR(128) NOT NULL,
  description    TEXT         NULL,
  row_count      BIGINT       NOT NULL DEFAULT 0,
  primary_key    JSON         NULL,
  relations      JSON         NULL,
  created_at     DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at     DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
                 ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_metadata_tables_name (database_name, table_name),
  CONSTRAINT fk_metadata_tables_database FOREIGN KEY (database_name)
    REFERENCES metadata_databases (database_name)
    ON DELETE CASCADE ON UPDATE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS metadata_columns (
  id             BIGINT       NOT NULL AUTO_INCREMENT,
  database_name  VARCHAR(128) NOT NULL,
  table_name     VARCHAR(128) NOT NULL,
  column_name    VARCHAR(128) NOT NULL,
  column_type    VARCHAR(64)  NOT NULL,
  is_nullable    TINYINT(1)   NOT NULL DEFAULT 1,
  description    TEXT         NULL,
  position       INT          NOT NULL DEFAULT 0,
  PRIMARY KEY (id),
  UNIQUE KEY uk_metadata_columns_name (database_name, table_name, column_name),
  KEY idx_metadata_columns_position (database_name, table_name, position),
  CONSTRAINT fk_metadata_columns_table FOREIGN KEY (database_name, table_name)
    REFERENCES metadata_tables (database_name, table_name)
    ON DELETE CASCADE ON UPDATE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS data_assets (
  id             BIGINT        NOT NULL AUTO_INCREMENT,
  asset_id       VARCHAR(64)   NOT NULL,
  name           VARCHAR(255)  NOT NULL,
  description    TEXT          NULL,
  asset_type     VARCHAR(32)   NOT NULL DEFAULT 'table',
  category_id    VARCHAR(64)   NULL,
  category_name  VARCHAR(128)  NULL,
  source_type    VARCHAR(32)   NULL,
  source_id      VARCHAR(64)   NULL,
  source_name    VARCHAR(255)  NULL,
  path           VARCHAR(1024) NULL,
  database_name  VARCHAR(128)  NULL,
  schema_name    VARCHAR(128)  NULL,
  table_name     VARCHAR(128)  NULL,
  `columns`      JSON          NULL,
  row_count      BIGINT        NOT NULL DEFAULT 0,
  size_bytes     BIGINT        NOT NULL DEFAULT 0,
  tags           JSON          NULL,
  owner          VARCHAR(128)  NULL,
  owner_name     VARCHAR(255)  NULL,
  data_level     VARCHAR(32)   NULL,
  quality_score  DOUBLE        NULL,
  view_count     INT           NOT NULL DEFAULT 0,
  collect_count  INT           NOT NULL DEFAULT 0,
  usage_count    INT           NOT NULL DEFAULT 0,
  status         VARCHAR(32)   NOT NULL DEFAULT 'active',
  last_sync_at   DATETIME(3)   NULL,
  created_at     DATETIME(3)   NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at     DATETIME(3)   NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
                 ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_data_assets_asset_id (asset_id),
  KEY idx_data_assets_category (category_id),
  KEY idx_data_assets_type_status (asset_type, status),
  KEY idx_data_assets_table (database_name, table_name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- ===================================================================
-- Data API: datasources, ETL, quality, lineage
-- ===================================================================

-- connection_config is {host, port, username, database, schema, params}:
-- passwords are never stored; tests take the password per request.
CREATE TABLE IF NOT EXISTS datasources (
  id                 BIGINT       NOT NULL AUTO_INCREMENT,
  source_id          VARCHAR(64)  NOT NULL,
  name               VARCHAR(255) NOT NULL,
  description        TEXT         NULL,
  type               VARCHAR(32)  NOT NULL DEFAULT 'mysql',
  connection_config  JSON         NOT NULL,
  status             VARCHAR(32)  NOT NULL DEFAULT 'disconnected',
  last_connected     DATETIME(3)  NULL,
  last_error         TEXT         NULL,
  source_metadata    JSON         NULL,
  tags               JSON         NULL,
  created_by         VARCHAR(128) NOT NULL DEFAULT '',
  tenant_id          VARCHAR(64)  NULL,
  created_at         DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at         DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
                     ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_datasources_source_id (source_id),
  KEY idx_datasources_type_status (type, status),
  KEY idx_datasources_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS etl_tasks (
  id                 BIGINT       NOT NULL AUTO_INCREMENT,
  task_id            VARCHAR(64)  NOT NULL,
  name               VARCHAR(255) NOT NULL,
  description        TEXT         NULL,
  task_type          VARCHAR(32)  NOT NULL DEFAULT 'batch',
  engine_type        VARCHAR(32)  NULL,
  source_type        VARCHAR(32)  NULL,
  source_id          VARCHAR(64)  NULL,
  source_config      JSON         NULL,
  source_query       MEDIUMTEXT   NULL,
  target_type        VARCHAR(32)  NULL,
  target_id          VARCHAR(64)  NULL,
  target_config      JSON         NULL,
  target_table       VARCHAR(255) NULL,
  transform_rules    JSON         NULL,
  sql_script         MEDIUMTEXT   NULL,
  schedule_type      VARCHAR(32)  NOT NULL DEFAULT 'manual',
  schedule_cron      VARCHAR(128) NULL,
  schedule_interval  INT          NULL,
  schedule_config    JSON         NULL,
  status             VARCHAR(32)  NOT NULL DEFAULT 'draft',
  last_run_at        DATETIME(3)  NULL,
  last_run_status    VARCHAR(32)  NULL,
  total_runs         INT          NOT NULL DEFAULT 0,
  success_runs       INT          NOT NULL DEFAULT 0,
  failed_runs        INT          NOT NULL DEFAULT 0,
  tags               JSON         NULL,
  created_by         VARCHAR(128) NULL,
  tenant_id          VARCHAR(64)  NULL,
  created_at         DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at         DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
                     ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_etl_tasks_task_id (task_id),
  KEY idx_etl_tasks_status (status),
  KEY idx_etl_tasks_type (task_type),
  KEY idx_etl_tasks_name (name),
  KEY idx_etl_tasks_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per run; log_id is the execution_id the API returns.
CREATE TABLE IF NOT EXISTS etl_task_logs (
  id                BIGINT       NOT NULL AUTO_INCREMENT,
  log_id            VARCHAR(64)  NOT NULL,
  task_id           VARCHAR(64)  NOT NULL,
  status            VARCHAR(32)  NOT NULL DEFAULT 'pending',
  trigger_type      VARCHAR(32)  NOT NULL DEFAULT 'manual',
  triggered_by      VARCHAR(128) NULL,
  started_at        DATETIME(3)  NULL,
  finished_at       DATETIME(3)  NULL,
  duration_seconds  DOUBLE       NULL,
  rows_read         BIGINT       NOT NULL DEFAULT 0,
  rows_written      BIGINT       NOT NULL DEFAULT 0,
  rows_failed       BIGINT       NOT NULL DEFAULT 0,
  bytes_read        BIGINT       NOT NULL DEFAULT 0,
  bytes_written     BIGINT       NOT NULL DEFAULT 0,
  error_message     TEXT         NULL,
  log_content       MEDIUMTEXT   NULL,
  created_at        DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_etl_task_logs_log_id (log_id),
  KEY idx_etl_task_logs_task (task_id, created_at),
  KEY idx_etl_task_logs_status (status),
  CONSTRAINT fk_etl_task_logs_task FOREIGN KEY (task_id)
    REFERENCES etl_tasks (task_id) ON DELETE CASCADE ON UPDATE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The union of the reference's two rule models (src/ and app.py).
CREATE TABLE IF NOT EXISTS quality_rules (
  id                  BIGINT       NOT NULL AUTO_INCREMENT,
  rule_id             VARCHAR(64)  NOT NULL,
  name                VARCHAR(255) NOT NULL,
  description         TEXT         NULL,
  source_id           VARCHAR(64)  NULL,
  table_name          VARCHAR(255) NULL,
  target_database     VARCHAR(128) NULL,
  target_table        VARCHAR(128) NULL,
  target_column       VARCHAR(128) NULL,
  rule_type           VARCHAR(64)  NOT NULL,
  rule_config         JSON         NULL,
  rule_expression     TEXT         NULL,
  threshold           DOUBLE       NULL,
  threshold_warning   INT          NULL,
  threshold_critical  INT          NULL,
  severity            VARCHAR(32)  NOT NULL DEFAULT 'medium',
  status              VARCHAR(32)  NOT NULL DEFAULT 'active',
  check_count         INT          NOT NULL DEFAULT 0,
  violation_count     INT          NOT NULL DEFAULT 0,
  last_checked_at     DATETIME(3)  NULL,
  tags                JSON         NULL,
  created_by          VARCHAR(128) NULL,
  tenant_id           VARCHAR(64)  NULL,
  created_at          DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at          DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
                      ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_quality_rules_rule_id (rule_id),
  KEY idx_quality_rules_status (status),
  KEY idx_quality_rules_type (rule_type),
  KEY idx_quality_rules_source (source_id),
  KEY idx_quality_rules_severity (severity)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- status: open -> acknowledged -> resolved; is_enabled switches the alert.
CREATE TABLE IF NOT EXISTS quality_alerts (
  id                     BIGINT       NOT NULL AUTO_INCREMENT,
  alert_id               VARCHAR(64)  NOT NULL,
  rule_id                VARCHAR(64)  NULL,
  rule_name              VARCHAR(255) NULL,
  alert_type             VARCHAR(64)  NOT NULL DEFAULT 'threshold',
  severity               VARCHAR(32)  NOT NULL DEFAULT 'warning',
  title                  VARCHAR(255) NOT NULL DEFAULT '',
  message                TEXT         NULL,
  alert_config           JSON         NULL,
  notification_channels  JSON         NULL,
  status                 VARCHAR(32)  NOT NULL DEFAULT 'open',
  is_enabled             TINYINT(1)   NOT NULL DEFAULT 1,
  triggered_count        INT          NOT NULL DEFAULT 0,
  last_triggered_at      DATETIME(3)  NULL,
  acknowledged_by        VARCHAR(128) NULL,
  acknowledged_at        DATETIME(3)  NULL,
  resolved_by            VARCHAR(128) NULL,
  resolved_at            DATETIME(3)  NULL,
  created_by             VARCHAR(128) NULL,
  created_at             DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at             DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
                         ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_quality_alerts_alert_id (alert_id),
  KEY idx_quality_alerts_rule (rule_id),
  KEY idx_quality_alerts_status (status, created_at),
  KEY idx_quality_alerts_severity (severity)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS quality_tasks (
  id              BIGINT       NOT NULL AUTO_INCREMENT,
  task_id         VARCHAR(64)  NOT NULL,
  name            VARCHAR(255) NOT NULL,
  description     TEXT         NULL,
  source_id       VARCHAR(64)  NULL,
  rule_ids        JSON         NULL,
  schedule_type   VARCHAR(32)  NOT NULL DEFAULT 'manual',
  schedule_cron   VARCHAR(128) NULL,
  status          VARCHAR(32)  NOT NULL DEFAULT 'pending',
  last_run_at     DATETIME(3)  NULL,
  next_run_at     DATETIME(3)  NULL,
  last_report_id  VARCHAR(64)  NULL,
  created_by      VARCHAR(128) NULL,
  created_at      DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at      DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
                  ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_quality_tasks_task_id (task_id),
  KEY idx_quality_tasks_status (status),
  KEY idx_quality_tasks_next_run (next_run_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS quality_reports (
  id              BIGINT       NOT NULL AUTO_INCREMENT,
  report_id       VARCHAR(64)  NOT NULL,
  task_id         VARCHAR(64)  NULL,
  name            VARCHAR(255) NOT NULL,
  description     TEXT         NULL,
  source_id       VARCHAR(64)  NULL,
  status          VARCHAR(32)  NOT NULL DEFAULT 'completed',
  quality_score   DOUBLE       NULL,
  total_checks    INT          NOT NULL DEFAULT 0,
  passed_checks   INT          NOT NULL DEFAULT 0,
  failed_checks   INT          NOT NULL DEFAULT 0,
  warning_checks  INT          NOT NULL DEFAULT 0,
  rule_results    JSON         NULL,
  started_at      DATETIME(3)  NULL,
  finished_at     DATETIME(3)  NULL,
  created_by      VARCHAR(128) NULL,
  created_at      DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_quality_reports_report_id (report_id),
  KEY idx_quality_reports_task (task_id, created_at),
  KEY idx_quality_reports_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per (source, target, edge type); edge_hash makes that unique
-- without an index wider than InnoDB allows.
CREATE TABLE IF NOT EXISTS lineage_edges (
  id                BIGINT       NOT NULL AUTO_INCREMENT,
  source_namespace  VARCHAR(128) NOT NULL,
  source_name       VARCHAR(255) NOT NULL,
  source_type       VARCHAR(32)  NOT NULL DEFAULT 'table',
  target_namespace  VARCHAR(128) NOT NULL,
  target_name       VARCHAR(255) NOT NULL,
  target_type       VARCHAR(32)  NOT NULL DEFAULT 'table',
  edge_type         VARCHAR(32)  NOT NULL DEFAULT 'data_flow',
  transformation    TEXT         NULL,
  description       TEXT         NULL,
  metadata          JSON         NULL,
  access_count      INT          NOT NULL DEFAULT 0,
  last_accessed     DATETIME(3)  NULL,
  created_at        DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at        DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
                    ON UPDATE CURRENT_TIMESTAMP(3),
  edge_hash         BINARY(32) AS (UNHEX(SHA2(CONCAT_WS(CHAR(31),
                    source_namespace, source_name, target_namespace,
                    target_name, edge_type), 256))) PERSISTENT,
  PRIMARY KEY (id),
  UNIQUE KEY uk_lineage_edges_hash (edge_hash),
  KEY idx_lineage_edges_source (source_namespace, source_name),
  KEY idx_lineage_edges_target (target_namespace, target_name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- OpenLineage-style events; payload keeps the whole event for export.
CREATE TABLE IF NOT EXISTS lineage_events (
  id              BIGINT       NOT NULL AUTO_INCREMENT,
  event_id        VARCHAR(64)  NOT NULL,
  event_type      VARCHAR(32)  NOT NULL,
  job_namespace   VARCHAR(128) NOT NULL DEFAULT 'data-service',
  job_name        VARCHAR(255) NOT NULL,
  run_id          VARCHAR(64)  NULL,
  source_tables   JSON         NULL,
  target_tables   JSON         NULL,
  transformation  TEXT         NULL,
  payload         JSON         NULL,
  event_time      DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  created_at      DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_lineage_events_event_id (event_id),
  KEY idx_lineage_events_type (event_type, event_time),
  KEY idx_lineage_events_job (job_name, event_time),
  KEY idx_lineage_events_time (event_time)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- ===================================================================
-- Agent API: workflows and their runs
-- ===================================================================

-- definition: {"version":"1.0","nodes":[...],"edges":[...]} as JSON text.
CREATE TABLE IF NOT EXISTS workflows (
  id           BIGINT       NOT NULL AUTO_INCREMENT,
  workflow_id  VARCHAR(64)  NOT NULL,
  name         VARCHAR(255) NOT NULL,
  description  TEXT         NULL,
  type         VARCHAR(32)  NOT NULL DEFAULT 'rag',
  status       VARCHAR(32)  NOT NULL DEFAULT 'stopped',
  definition   MEDIUMTEXT   NULL,
  version      INT          NOT NULL DEFAULT 1,
  created_by   VARCHAR(128) NULL,
  tenant_id    VARCHAR(64)  NULL,
  created_at   DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at   DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
               ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_workflows_workflow_id (workflow_id),
  KEY idx_workflows_type (type),
  KEY idx_workflows_status (status),
  KEY idx_workflows_created (created_at),
  KEY idx_workflows_owner (created_by),
  KEY idx_workflows_tenant (tenant_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- status: pending -> running -> completed | failed | stopped.
CREATE TABLE IF NOT EXISTS workflow_executions (
  id            BIGINT       NOT NULL AUTO_INCREMENT,
  execution_id  VARCHAR(64)  NOT NULL,
  workflow_id   VARCHAR(64)  NOT NULL,
  status        VARCHAR(32)  NOT NULL DEFAULT 'pending',
  inputs        MEDIUMTEXT   NULL,
  outputs       MEDIUMTEXT   NULL,
  node_results  MEDIUMTEXT   NULL,
  error         TEXT         NULL,
  triggered_by  VARCHAR(128) NULL,
  started_at    DATETIME(3)  NULL,
  completed_at  DATETIME(3)  NULL,
  duration_ms   INT          NULL,
  tenant_id     VARCHAR(64)  NULL,
  created_at    DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_workflow_executions_execution_id (execution_id),
  KEY idx_workflow_executions_workflow (workflow_id, created_at),
  KEY idx_workflow_executions_workflow_status (workflow_id, status),
  KEY idx_workflow_executions_status (status),
  KEY idx_workflow_executions_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS execution_logs (
  id            BIGINT       NOT NULL AUTO_INCREMENT,
  execution_id  VARCHAR(64)  NOT NULL,
  node_id       VARCHAR(64)  NULL,
  level         VARCHAR(16)  NOT NULL DEFAULT 'info',
  message       TEXT         NULL,
  `timestamp`   DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  KEY idx_execution_logs_execution (execution_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Due schedules are claimed by whichever pod takes the lease first
-- (lease_owner, lease_until), so schedules survive restarts and run once.
CREATE TABLE IF NOT EXISTS workflow_schedules (
  id                   BIGINT       NOT NULL AUTO_INCREMENT,
  schedule_id          VARCHAR(64)  NOT NULL,
  workflow_id          VARCHAR(64)  NOT NULL,
  schedule_type        VARCHAR(16)  NOT NULL DEFAULT 'cron',
  cron_expression      VARCHAR(128) NULL,
  interval_seconds     INT          NULL,
  event_trigger        VARCHAR(255) NULL,
  inputs               JSON         NULL,
  enabled              TINYINT(1)   NOT NULL DEFAULT 1,
  paused               TINYINT(1)   NOT NULL DEFAULT 0,
  next_run_at          DATETIME(3)  NULL,
  last_run_at          DATETIME(3)  NULL,
  max_retries          INT          NOT NULL DEFAULT 0,
  retry_count          INT          NOT NULL DEFAULT 0,
  retry_delay_seconds  INT          NOT NULL DEFAULT 60,
  retry_backoff_base   DOUBLE       NOT NULL DEFAULT 2,
  last_retry_at        DATETIME(3)  NULL,
  timeout_seconds      INT          NOT NULL DEFAULT 3600,
  description          TEXT         NULL,
  lease_owner          VARCHAR(128) NULL,
  lease_until          DATETIME(3)  NULL,
  created_by           VARCHAR(128) NULL,
  tenant_id            VARCHAR(64)  NULL,
  created_at           DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at           DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
                       ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_workflow_schedules_schedule_id (schedule_id),
  KEY idx_workflow_schedules_workflow (workflow_id),
  KEY idx_workflow_schedules_due (enabled, paused, next_run_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- ===================================================================
-- Agent API: conversations
-- ===================================================================

CREATE TABLE IF NOT EXISTS conversations (
  id               BIGINT       NOT NULL AUTO_INCREMENT,
  conversation_id  VARCHAR(64)  NOT NULL,
  user_id          VARCHAR(128) NULL,
  title            VARCHAR(255) NULL,
  model            VARCHAR(128) NULL,
  message_count    INT          NOT NULL DEFAULT 0,
  tenant_id        VARCHAR(64)  NULL,
  created_at       DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at       DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
                   ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_conversations_conversation_id (conversation_id),
  KEY idx_conversations_user (user_id, updated_at),
  KEY idx_conversations_updated (updated_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- With the token columns of the reference's 005 migration.
CREATE TABLE IF NOT EXISTS messages (
  id                 BIGINT       NOT NULL AUTO_INCREMENT,
  message_id         VARCHAR(64)  NULL,
  conversation_id    VARCHAR(64)  NOT NULL,
  role               VARCHAR(32)  NOT NULL,
  content            MEDIUMTEXT   NOT NULL,
  model              VARCHAR(128) NULL,
  tokens             INT          NULL,
  prompt_tokens      INT          NOT NULL DEFAULT 0,
  completion_tokens  INT          NOT NULL DEFAULT 0,
  total_tokens       INT          NOT NULL DEFAULT 0,
  created_at         DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_messages_message_id (message_id),
  KEY idx_messages_conversation (conversation_id, created_at, id),
  CONSTRAINT fk_messages_conversation FOREIGN KEY (conversation_id)
    REFERENCES conversations (conversation_id)
    ON DELETE CASCADE ON UPDATE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- ===================================================================
-- Agent API: knowledge bases, documents, chunks and their vectors
-- ===================================================================

CREATE TABLE IF NOT EXISTS knowledge_bases (
  id               BIGINT       NOT NULL AUTO_INCREMENT,
  kb_id            VARCHAR(64)  NOT NULL,
  name             VARCHAR(255) NOT NULL,
  description      TEXT         NULL,
  type             VARCHAR(32)  NOT NULL DEFAULT 'document',
  collection_name  VARCHAR(128) NOT NULL,
  embedding_model  VARCHAR(128) NOT NULL DEFAULT 'ods-hash-embed-384',
  embedding_dim    INT          NOT NULL DEFAULT 384,
  metric           VARCHAR(16)  NOT NULL DEFAULT 'cosine',
  chunk_size       INT          NOT NULL DEFAULT 500,
  chunk_overlap    INT          NOT NULL DEFAULT 50,
  document_count   INT          NOT NULL DEFAULT 0,
  vector_count     BIGINT       NOT NULL DEFAULT 0,
  status           VARCHAR(32)  NOT NULL DEFAULT 'active',
  created_by       VARCHAR(128) NULL,
  tenant_id        VARCHAR(64)  NULL,
  created_at       DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at       DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
                   ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_knowledge_bases_kb_id (kb_id),
  UNIQUE KEY uk_knowledge_bases_collection (collection_name),
  KEY idx_knowledge_bases_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- content holds the first 10,000 characters; chunks hold all of it.
CREATE TABLE IF NOT EXISTS indexed_documents (
  id               BIGINT       NOT NULL AUTO_INCREMENT,
  doc_id           VARCHAR(64)  NOT NULL,
  collection_name  VARCHAR(128) NOT NULL,
  kb_id            VARCHAR(64)  NULL,
  file_name        VARCHAR(512) NULL,
  title            VARCHAR(512) NULL,
  content          TEXT         NULL,
  content_type     VARCHAR(128) NULL,
  size_bytes       BIGINT       NOT NULL DEFAULT 0,
  checksum         CHAR(64)     NULL,
  chunk_count      INT          NOT NULL DEFAULT 0,
  metadata         JSON         NULL,
  status           VARCHAR(32)  NOT NULL DEFAULT 'indexed',
  created_by       VARCHAR(128) NULL,
  tenant_id        VARCHAR(64)  NULL,
  created_at       DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at       DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
                   ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_indexed_documents_doc_id (doc_id),
  KEY idx_indexed_documents_collection (collection_name, created_at),
  KEY idx_indexed_documents_kb (kb_id),
  KEY idx_indexed_documents_checksum (collection_name, checksum)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Change numbers for the vector index (DESIGN §5). Every insert of a chunk
-- and every deletion takes the next value, so an index replica catches up
-- with "WHERE collection_name = ? AND seq > ? ORDER BY seq". Values follow
-- allocation order; with one writer per collection that is commit order.
CREATE SEQUENCE IF NOT EXISTS vector_seq START WITH 1 INCREMENT BY 1
  MINVALUE 1 NOCACHE NOCYCLE;

-- The source of truth for vectors: id is the vector id used by the index,
-- embedding is embedding_dim float32 values, little-endian. A deletion sets
-- deleted = 1 and a new seq (the row stays as the record of the delete).
CREATE TABLE IF NOT EXISTS document_chunks (
  id               BIGINT       NOT NULL AUTO_INCREMENT,
  collection_name  VARCHAR(128) NOT NULL,
  doc_id           VARCHAR(64)  NOT NULL,
  chunk_index      INT          NOT NULL,
  content          TEXT         NOT NULL,
  metadata         JSON         NULL,
  token_count      INT          NULL,
  embedding_model  VARCHAR(128) NOT NULL,
  embedding_dim    SMALLINT UNSIGNED NOT NULL,
  embedding        BLOB         NOT NULL,
  seq              BIGINT       NOT NULL DEFAULT (NEXT VALUE FOR vector_seq),
  deleted          TINYINT(1)   NOT NULL DEFAULT 0,
  deleted_at       DATETIME(3)  NULL,
  created_at       DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_document_chunks_seq (seq),
  KEY idx_document_chunks_collection_seq (collection_name, seq),
  KEY idx_document_chunks_doc (doc_id, chunk_index)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- ===================================================================
-- Agent API: apps, tools, prompt templates
-- ===================================================================

CREATE TABLE IF NOT EXISTS apps (
  id              BIGINT       NOT NULL AUTO_INCREMENT,
  app_id          VARCHAR(64)  NOT NULL,
  name            VARCHAR(255) NOT NULL,
  description     TEXT         NULL,
  type            VARCHAR(32)  NOT NULL DEFAULT 'chat',
  workflow_id     VARCHAR(64)  NULL,
  status          VARCHAR(32)  NOT NULL DEFAULT 'draft',
  icon            VARCHAR(255) NULL,
  version         VARCHAR(32)  NOT NULL DEFAULT '1.0.0',
  config          JSON         NULL,
  endpoint        VARCHAR(255) NULL,
  access_count    BIGINT       NOT NULL DEFAULT 0,
  api_key_count   INT          NOT NULL DEFAULT 0,
  last_accessed   DATETIME(3)  NULL,
  tags            JSON         NULL,
  published_at    DATETIME(3)  NULL,
  created_by      VARCHAR(128) NULL,
  tenant_id       VARCHAR(64)  NULL,
  created_at      DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at      DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
                  ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_apps_app_id (app_id),
  KEY idx_apps_type_status (type, status),
  KEY idx_apps_workflow (workflow_id),
  KEY idx_apps_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- parameters is the tool's JSON Schema (OpenAI "function" parameters).
CREATE TABLE IF NOT EXISTS tools (
  id            BIGINT       NOT NULL AUTO_INCREMENT,
  tool_id       VARCHAR(64)  NOT NULL,
  name          VARCHAR(128) NOT NULL,
  display_name  VARCHAR(255) NULL,
  description   TEXT         NULL,
  category      VARCHAR(64)  NULL,
  tool_type     VARCHAR(32)  NOT NULL DEFAULT 'builtin',
  parameters    JSON         NULL,
  config        JSON         NULL,
  enabled       TINYINT(1)   NOT NULL DEFAULT 1,
  created_by    VARCHAR(128) NULL,
  created_at    DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at    DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
                ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_tools_tool_id (tool_id),
  UNIQUE KEY uk_tools_name (name),
  KEY idx_tools_category (category)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS prompt_templates (
  id            BIGINT       NOT NULL AUTO_INCREMENT,
  template_id   VARCHAR(64)  NOT NULL,
  name          VARCHAR(255) NOT NULL,
  description   TEXT         NULL,
  category      VARCHAR(64)  NULL,
  content       MEDIUMTEXT   NOT NULL,
  variables     JSON         NULL,
  model         VARCHAR(128) NULL,
  version       INT          NOT NULL DEFAULT 1,
  is_public     TINYINT(1)   NOT NULL DEFAULT 0,
  tags          JSON         NULL,
  usage_count   INT          NOT NULL DEFAULT 0,
  created_by    VARCHAR(128) NULL,
  tenant_id     VARCHAR(64)  NULL,
  created_at    DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at    DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
                ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_prompt_templates_template_id (template_id),
  KEY idx_prompt_templates_category (category),
  KEY idx_prompt_templates_owner (created_by)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- ===================================================================
-- OpenAI proxy: API keys and usage
-- ===================================================================

-- The secret (sk-ods-...) is shown once and stored only as key_hash
-- (hex SHA-256); key_prefix is what listings show. allowed_models NULL
-- means every model; rpm/tpm/token_budget NULL means no limit.
CREATE TABLE IF NOT EXISTS api_keys (
  id              BIGINT       NOT NULL AUTO_INCREMENT,
  key_id          VARCHAR(32)  NOT NULL,
  key_prefix      VARCHAR(16)  NOT NULL,
  key_hash        CHAR(64)     NOT NULL,
  owner           VARCHAR(128) NOT NULL,
  name            VARCHAR(255) NOT NULL,
  allowed_models  JSON         NULL,
  rpm             INT          NULL,
  tpm             INT          NULL,
  token_budget    BIGINT       NULL,
  budget_period   VARCHAR(16)  NULL,
  expires_at      DATETIME(3)  NULL,
  revoked         TINYINT(1)   NOT NULL DEFAULT 0,
  revoked_at      DATETIME(3)  NULL,
  revoked_by      VARCHAR(128) NULL,
  last_used_at    DATETIME(3)  NULL,
  created_by      VARCHAR(128) NULL,
  created_at      DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at      DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
                  ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_api_keys_key_id (key_id),
  UNIQUE KEY uk_api_keys_key_hash (key_hash),
  KEY idx_api_keys_owner (owner),
  KEY idx_api_keys_active (revoked, expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per proxied request (written in batches); status is HTTP.
CREATE TABLE IF NOT EXISTS api_usage (
  id                 BIGINT       NOT NULL AUTO_INCREMENT,
  request_id         VARCHAR(64)  NULL,
  key_id             VARCHAR(32)  NULL,
  user_id            VARCHAR(128) NULL,
  service            VARCHAR(32)  NOT NULL DEFAULT 'openai-proxy',
  endpoint           VARCHAR(64)  NOT NULL,
  model              VARCHAR(128) NOT NULL,
  backend            VARCHAR(32)  NULL,
  stream             TINYINT(1)   NOT NULL DEFAULT 0,
  prompt_tokens      INT          NOT NULL DEFAULT 0,
  completion_tokens  INT          NOT NULL DEFAULT 0,
  total_tokens       INT          NOT NULL DEFAULT 0,
  latency_ms         INT          NULL,
  status             SMALLINT     NOT NULL,
  created_at         DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  KEY idx_api_usage_key (key_id, created_at),
  KEY idx_api_usage_user (user_id, created_at),
  KEY idx_api_usage_model (model, created_at),
  KEY idx_api_usage_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- ===================================================================
-- Shared: audit trail and RBAC
-- ===================================================================

-- One row per write request and per authentication or authorisation
-- failure. Never a token, key or password.
CREATE TABLE IF NOT EXISTS audit_logs (
  id              BIGINT       NOT NULL AUTO_INCREMENT,
  event_id        CHAR(36)     NOT NULL,
  action          VARCHAR(50)  NOT NULL,
  severity        VARCHAR(20)  NOT NULL DEFAULT 'info',
  status          VARCHAR(20)  NOT NULL DEFAULT 'success',
  user_id         VARCHAR(64)  NULL,
  username        VARCHAR(128) NULL,
  tenant_id       VARCHAR(64)  NULL,
  api_key_id      VARCHAR(32)  NULL,
  ip_address      VARCHAR(45)  NULL,
  user_agent      VARCHAR(500) NULL,
  request_id      VARCHAR(64)  NULL,
  http_method     VARCHAR(10)  NULL,
  route           VARCHAR(255) NULL,
  http_status     SMALLINT     NULL,
  resource_type   VARCHAR(50)  NULL,
  resource_id     VARCHAR(128) NULL,
  error_code      VARCHAR(50)  NULL,
  error_message   TEXT         NULL,
  extra_metadata  JSON         NULL,
  `timestamp`     DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  created_at      DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_audit_logs_event_id (event_id),
  KEY idx_audit_logs_user_action (user_id, action),
  KEY idx_audit_logs_tenant_time (tenant_id, `timestamp`),
  KEY idx_audit_logs_resource (resource_type, resource_id),
  KEY idx_audit_logs_time (`timestamp`),
  KEY idx_audit_logs_request (request_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- tenant_id '' is the global scope (NOT NULL so the unique key holds).
CREATE TABLE IF NOT EXISTS roles (
  id            INT          NOT NULL AUTO_INCREMENT,
  tenant_id     VARCHAR(64)  NOT NULL DEFAULT '',
  name          VARCHAR(64)  NOT NULL,
  display_name  VARCHAR(128) NULL,
  description   VARCHAR(255) NULL,
  parent_id     INT          NULL,
  is_system     TINYINT(1)   NOT NULL DEFAULT 0,
  created_at    DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at    DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
                ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_roles_name (tenant_id, name),
  KEY idx_roles_parent (parent_id),
  CONSTRAINT fk_roles_parent FOREIGN KEY (parent_id)
    REFERENCES roles (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS permissions (
  id           INT          NOT NULL AUTO_INCREMENT,
  resource     VARCHAR(64)  NOT NULL,
  operation    VARCHAR(32)  NOT NULL,
  description  VARCHAR(255) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_permissions_pair (resource, operation)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS role_permissions (
  role_id        INT          NOT NULL,
  permission_id  INT          NOT NULL,
  created_at     DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (role_id, permission_id),
  KEY idx_role_permissions_permission (permission_id),
  CONSTRAINT fk_role_permissions_role FOREIGN KEY (role_id)
    REFERENCES roles (id) ON DELETE CASCADE,
  CONSTRAINT fk_role_permissions_permission FOREIGN KEY (permission_id)
    REFERENCES permissions (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The static RBAC matrix (reference-api.md §7.2) as data: the roles, every
-- (resource, operation) pair, and what each role grants. admin passes
-- every check in code as well.
INSERT IGNORE INTO roles (tenant_id, name, display_name, is_system) VALUES
  ('', 'admin', 'Administrator', 1),
  ('', 'data_engineer', 'Data engineer', 1),
  ('', 'data_analyst', 'Data analyst', 1),
  ('', 'ai_developer', 'AI developer', 1),
  ('', 'user', 'User', 1),
  ('', 'viewer', 'Viewer', 1),
  ('', 'guest', 'Guest', 1);

INSERT IGNORE INTO permissions (resource, operation)
SELECT r.name, o.name
FROM (SELECT 'user' AS name UNION ALL SELECT 'system' UNION ALL
      SELECT 'dataset' UNION ALL SELECT 'metadata' UNION ALL
      SELECT 'database' UNION ALL SELECT 'table' UNION ALL
      SELECT 'column' UNION ALL SELECT 'storage' UNION ALL
      SELECT 'workflow' UNION ALL SELECT 'chat' UNION ALL
      SELECT 'agent' UNION ALL SELECT 'schedule' UNION ALL
      SELECT 'document' UNION ALL SELECT 'execution' UNION ALL
      SELECT 'template' UNION ALL SELECT 'model' UNION ALL
      SELECT 'prompt_template') AS r
CROSS JOIN
     (SELECT 'create' AS name UNION ALL SELECT 'read' UNION ALL
      SELECT 'update' UNION ALL SELECT 'delete' UNION ALL
      SELECT 'execute' UNION ALL SELECT 'manage' UNION ALL
      SELECT 'export' UNION ALL SELECT 'import') AS o;

INSERT IGNORE INTO role_permissions (role_id, permission_id)
SELECT r.id, p.id FROM roles r CROSS JOIN permissions p
WHERE r.tenant_id = '' AND r.name = 'admin';

INSERT IGNORE INTO role_permissions (role_id, permission_id)
SELECT r.id, p.id FROM roles r CROSS JOIN permissions p
WHERE r.tenant_id = '' AND r.name = 'data_engineer' AND (
  (p.resource = 'dataset'
   AND p.operation IN ('create', 'read', 'update', 'export')) OR
  (p.resource = 'metadata' AND p.operation IN ('create', 'read', 'update')) OR
  (p.resource IN ('database', 'table', 'column', 'storage')
   AND p.operation = 'read'));

INSERT IGNORE INTO role_permissions (role_id, permission_id)
SELECT r.id, p.id FROM roles r CROSS JOIN permissions p
WHERE r.tenant_id = '' AND r.name = 'data_analyst' AND (
  (p.resource = 'dataset' AND p.operation IN ('read', 'export')) OR
  (p.resource IN ('metadata', 'database', 'table', 'column', 'storage',
                  'workflow') AND p.operation = 'read'));

INSERT IGNORE INTO role_permissions (role_id, permission_id)
SELECT r.id, p.id FROM roles r CROSS JOIN permissions p
WHERE r.tenant_id = '' AND r.name = 'ai_developer' AND (
  (p.resource = 'workflow'
   AND p.operation IN ('create', 'read', 'update', 'execute')) OR
  (p.resource IN ('chat', 'agent')
   AND p.operation IN ('create', 'read', 'execute')) OR
  (p.resource = 'document' AND p.operation IN ('create', 'read')) OR
  (p.resource IN ('execution', 'template', 'model')
   AND p.operation = 'read') OR
  (p.resource = 'prompt_template'
   AND p.operation IN ('create', 'read', 'update')));

INSERT IGNORE INTO role_permissions (role_id, permission_id)
SELECT r.id, p.id FROM roles r CROSS JOIN permissions p
WHERE r.tenant_id = '' AND r.name = 'user' AND (
  (p.resource = 'workflow'
   AND p.operation IN ('create', 'read', 'update', 'execute')) OR
  (p.resource IN ('chat', 'agent')
   AND p.operation IN ('create', 'read', 'execute')) OR
  (p.resource = 'document' AND p.operation IN ('create', 'read')) OR
  (p.resource IN ('dataset', 'schedule', 'execution', 'template')
   AND p.operation = 'read'));

INSERT IGNORE INTO role_permissions (role_id, permission_id)
SELECT r.id, p.id FROM roles r CROSS JOIN permissions p
WHERE r.tenant_id = '' AND r.name = 'viewer' AND p.operation = 'read'
  AND p.resource IN ('dataset', 'metadata', 'database', 'table', 'column',
                     'storage', 'workflow', 'chat', 'agent', 'schedule',
                     'document', 'execution', 'template');

INSERT IGNORE INTO role_permissions (role_id, permission_id)
SELECT r.id, p.id FROM roles r CROSS JOIN permissions p
WHERE r.tenant_id = '' AND r.name = 'guest' AND p.operation = 'read'
  AND p.resource IN ('dataset', 'metadata');
