-- 0008_catalog.sql — the metadata catalog filled by scans of data sources
-- (issue 16, D15–D17): every row belongs to one data source (source_id),
-- so two sources may both have a schema "sales". A scan upserts what it
-- finds and stamps removed_at on what it no longer finds (a re-scan that
-- finds it again clears the stamp): nothing is deleted, nothing stale is
-- shown as present.

-- The unique keys of 0001 had no source: drop the foreign keys that hang
-- on them, then the keys, then make the keys per source.
ALTER TABLE metadata_columns DROP FOREIGN KEY IF EXISTS fk_metadata_columns_table;
ALTER TABLE metadata_tables DROP FOREIGN KEY IF EXISTS fk_metadata_tables_database;

ALTER TABLE metadata_databases
  ADD COLUMN IF NOT EXISTS source_id    VARCHAR(64) NOT NULL DEFAULT '' FIRST,
  ADD COLUMN IF NOT EXISTS scanned_at   DATETIME(3) NULL,
  ADD COLUMN IF NOT EXISTS removed_at   DATETIME(3) NULL,
  DROP INDEX IF EXISTS uk_metadata_databases_name,
  ADD UNIQUE KEY IF NOT EXISTS uk_metadata_databases_source (source_id, database_name);

-- table_type: table | view; size_bytes: data + index; indexes:
-- [{"name","columns":[...],"unique":bool,"primary":bool}]; primary_key and
-- relations as 0001 describes them (relations: this table's foreign keys).
ALTER TABLE metadata_tables
  ADD COLUMN IF NOT EXISTS source_id    VARCHAR(64) NOT NULL DEFAULT '' FIRST,
  ADD COLUMN IF NOT EXISTS table_type   VARCHAR(16) NOT NULL DEFAULT 'table',
  ADD COLUMN IF NOT EXISTS size_bytes   BIGINT      NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS indexes      JSON        NULL,
  ADD COLUMN IF NOT EXISTS scanned_at   DATETIME(3) NULL,
  ADD COLUMN IF NOT EXISTS removed_at   DATETIME(3) NULL,
  DROP INDEX IF EXISTS uk_metadata_tables_name,
  ADD UNIQUE KEY IF NOT EXISTS uk_metadata_tables_source (source_id, database_name, table_name);

-- column_type: the full type ("varchar(64)", "enum('a','b')", "numeric(10,2)").
ALTER TABLE metadata_columns
  ADD COLUMN IF NOT EXISTS source_id      VARCHAR(64) NOT NULL DEFAULT '' FIRST,
  ADD COLUMN IF NOT EXISTS default_value  TEXT        NULL,
  ADD COLUMN IF NOT EXISTS is_primary_key TINYINT(1)  NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS scanned_at     DATETIME(3) NULL,
  ADD COLUMN IF NOT EXISTS removed_at     DATETIME(3) NULL,
  MODIFY COLUMN column_type VARCHAR(255) NOT NULL,
  DROP INDEX IF EXISTS uk_metadata_columns_name,
  DROP INDEX IF EXISTS idx_metadata_columns_position,
  ADD UNIQUE KEY IF NOT EXISTS uk_metadata_columns_source (source_id, database_name, table_name, column_name),
  ADD KEY IF NOT EXISTS idx_metadata_columns_pos (source_id, database_name, table_name, position);

-- A scanned table is an asset of type "table": asset_id "tbl-" + the
-- first 24 hex of sha256(source_id/database/table), removed_at as above.
ALTER TABLE data_assets
  ADD COLUMN IF NOT EXISTS removed_at   DATETIME(3) NULL;
CREATE INDEX IF NOT EXISTS idx_data_assets_source ON data_assets (source_id);
