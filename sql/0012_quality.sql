-- 0012_quality.sql — data quality that really runs (issue 17): rules on a
-- data source's table or a dataset, tasks with schedules, reports from
-- real runs, alerts with a lifecycle, the scores behind the
-- data_quality_score gauge. The tables of 0001 stay; this adds what the
-- runs need.

-- A rule's definition is its rule_config (svc/data/quality.h); dataset_id
-- for a dataset rule; visibility as datasets (public: every reader).
ALTER TABLE quality_rules
  ADD COLUMN IF NOT EXISTS dataset_id  VARCHAR(128) NULL,
  ADD COLUMN IF NOT EXISTS visibility  VARCHAR(16)  NOT NULL DEFAULT 'public',
  ADD COLUMN IF NOT EXISTS last_status VARCHAR(16)  NULL,
  ADD COLUMN IF NOT EXISTS last_report_id VARCHAR(64) NULL;

-- A task's schedule lives in schedules (lib/store/ods_sched): its id.
ALTER TABLE quality_tasks
  ADD COLUMN IF NOT EXISTS schedule_interval INT           NULL,
  ADD COLUMN IF NOT EXISTS schedule_id       BIGINT        NULL,
  ADD COLUMN IF NOT EXISTS webhook_url       VARCHAR(2048) NULL,
  ADD COLUMN IF NOT EXISTS visibility        VARCHAR(16)   NOT NULL DEFAULT 'public';

-- A report is one run: of a task or of one rule, by a job.
ALTER TABLE quality_reports
  ADD COLUMN IF NOT EXISTS rule_id      VARCHAR(64) NULL,
  ADD COLUMN IF NOT EXISTS job_id       BIGINT      NULL,
  ADD COLUMN IF NOT EXISTS rows_checked BIGINT      NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS error_checks INT         NOT NULL DEFAULT 0;

CREATE INDEX IF NOT EXISTS idx_quality_reports_rule
  ON quality_reports (rule_id, created_at);
-- One report per job: a job retried after a crash finds its report.
CREATE UNIQUE INDEX IF NOT EXISTS uk_quality_reports_job
  ON quality_reports (job_id);

-- An alert: the report that last triggered it, its figures, and what
-- became of its webhook notification.
ALTER TABLE quality_alerts
  ADD COLUMN IF NOT EXISTS report_id      VARCHAR(64)  NULL,
  ADD COLUMN IF NOT EXISTS violations     BIGINT       NULL,
  ADD COLUMN IF NOT EXISTS ratio          DOUBLE       NULL,
  ADD COLUMN IF NOT EXISTS webhook_status VARCHAR(255) NULL;

-- The latest score per label (a dataset id or source.db.table): at most
-- 200 labels (svc/data/quality.h ODS_QR_LABELS_MAX), the rest folded into
-- "__other__", so the gauge's series stay bounded. Any pool reads it on a
-- scrape.
CREATE TABLE IF NOT EXISTS quality_scores (
  label       VARCHAR(255) NOT NULL,
  score       DOUBLE       NOT NULL,
  report_id   VARCHAR(64)  NULL,
  updated_at  DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
              ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (label)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
