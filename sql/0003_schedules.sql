-- 0003_schedules.sql — schedules run by ods-worker (lib/store/ods_sched.c):
-- a cron expression on a time zone's wall clock, or a fixed interval, and
-- the job to enqueue when due. Rules for this file: sql/README.md.
--
--   * next_due_at is the one due time of the regular cadence; a worker
--     claims a due row with a lease (lease_owner, lease_expires_at) by a
--     compare-and-set on (next_due_at, trigger_seq), fires, and moves
--     next_due_at to the first due time after now: runs missed while no
--     worker ran coalesce into one.
--   * trigger_seq counts "run now" requests and trigger_done the last one
--     fired: trigger_seq > trigger_done fires at the next claim without
--     moving next_due_at, also while paused.
--   * enabled = 0 is paused: no regular runs until resumed.
--   * Times are DATETIME(3) in UTC (the connection's time_zone is +00:00);
--     time_zone is the IANA name cron_expr is read in.

CREATE TABLE IF NOT EXISTS schedules (
  id               BIGINT       NOT NULL AUTO_INCREMENT,
  name             VARCHAR(128) NOT NULL,
  kind             VARCHAR(16)  NOT NULL,
  cron_expr        VARCHAR(256) NULL,
  interval_seconds BIGINT       NULL,
  time_zone        VARCHAR(64)  NOT NULL DEFAULT 'UTC',
  job_type         VARCHAR(64)  NOT NULL,
  payload          JSON         NULL,
  enabled          TINYINT(1)   NOT NULL DEFAULT 1,
  next_due_at      DATETIME(3)  NULL,
  trigger_seq      BIGINT       NOT NULL DEFAULT 0,
  trigger_done     BIGINT       NOT NULL DEFAULT 0,
  last_due_at      DATETIME(3)  NULL,
  last_run_at      DATETIME(3)  NULL,
  run_count        BIGINT       NOT NULL DEFAULT 0,
  lease_owner      VARCHAR(128) NULL,
  lease_expires_at DATETIME(3)  NULL,
  created_by       VARCHAR(128) NULL,
  created_at       DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at       DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
                   ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_schedules_name (name),
  KEY idx_schedules_due (enabled, next_due_at),
  CONSTRAINT ck_schedules_kind CHECK (
    (kind = 'cron' AND cron_expr IS NOT NULL AND interval_seconds IS NULL) OR
    (kind = 'interval' AND interval_seconds > 0 AND cron_expr IS NULL)),
  CONSTRAINT ck_schedules_trigger CHECK (trigger_done <= trigger_seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
