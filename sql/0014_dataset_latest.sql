-- 0014_dataset_latest.sql — a dataset's newest version number kept on its
-- row (issue 16): GET /datasets/{id} reads one row instead of running a
-- MAX() subquery over dataset_versions on every call. The version code
-- sets it in the transaction that inserts the version, under the
-- dataset's row lock (svc/data/dataset.c add_once).
ALTER TABLE datasets
  ADD COLUMN IF NOT EXISTS latest_version INT NOT NULL DEFAULT 0;

UPDATE datasets d
   SET latest_version = (SELECT COALESCE(MAX(v.version_number), 0)
                           FROM dataset_versions v
                          WHERE v.dataset_id = d.dataset_id);
