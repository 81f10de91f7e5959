-- 0013_lineage.sql — lineage recorded by ETL runs and emitted events
-- (issue 17, reference-api §3.3 D24; svc/data/lineage.h).

-- An edge names the job that made it and its latest run. Its key holds
-- the job too: two jobs writing A -> B are two edges (each listed under
-- its job's /lineage/etl/{task_id}), a rerun of one job updates its own.
-- The types are in the key as well: a table and a column may share a
-- name. base_* are the names' last parts ("B" of "db.B"), so that
-- /lineage/table?table_name=B finds db.B of any namespace on an index.
ALTER TABLE lineage_edges
  ADD COLUMN IF NOT EXISTS job_name VARCHAR(255) NOT NULL DEFAULT '',
  ADD COLUMN IF NOT EXISTS run_id   VARCHAR(64)  NULL;

ALTER TABLE lineage_edges DROP INDEX IF EXISTS uk_lineage_edges_hash;

ALTER TABLE lineage_edges DROP COLUMN IF EXISTS edge_hash;

ALTER TABLE lineage_edges
  ADD COLUMN IF NOT EXISTS edge_hash BINARY(32) AS (UNHEX(SHA2(CONCAT_WS(
      CHAR(31), source_namespace, source_name, source_type,
      target_namespace, target_name, target_type, edge_type, job_name),
      256))) PERSISTENT,
  ADD COLUMN IF NOT EXISTS source_base VARCHAR(255) AS
      (SUBSTRING_INDEX(source_name, '.', -1)) PERSISTENT,
  ADD COLUMN IF NOT EXISTS target_base VARCHAR(255) AS
      (SUBSTRING_INDEX(target_name, '.', -1)) PERSISTENT;

CREATE UNIQUE INDEX IF NOT EXISTS uk_lineage_edges_hash
  ON lineage_edges (edge_hash);
CREATE INDEX IF NOT EXISTS idx_lineage_edges_source_base
  ON lineage_edges (source_base);
CREATE INDEX IF NOT EXISTS idx_lineage_edges_target_base
  ON lineage_edges (target_base);
CREATE INDEX IF NOT EXISTS idx_lineage_edges_job
  ON lineage_edges (job_name);
CREATE INDEX IF NOT EXISTS idx_lineage_events_run
  ON lineage_events (run_id);
