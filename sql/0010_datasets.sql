-- 0010_datasets.sql — datasets with owners, versions of uploaded files
-- and uploads by presigned URL (issue 16, reference-api §3.3 D2–D9).

-- visibility: public (every role that may read datasets; the default,
-- as the reference's datasets were shared) or private (its creator and
-- admins; another user's private dataset is a 404). Changes are its
-- creator's or an admin's; deletion needs dataset:delete (admin).
ALTER TABLE datasets
  ADD COLUMN IF NOT EXISTS visibility VARCHAR(16) NOT NULL DEFAULT 'public';

CREATE INDEX IF NOT EXISTS idx_datasets_owner
  ON datasets (created_by, visibility);

-- A version is one stored file: its object key (storage_path), what the
-- client called it, its format and whether its first record is a header
-- (detected when the version is made), and where it came from (the
-- upload, when there was one).
ALTER TABLE dataset_versions
  ADD COLUMN IF NOT EXISTS file_name    VARCHAR(512) NULL,
  ADD COLUMN IF NOT EXISTS content_type VARCHAR(255) NULL,
  ADD COLUMN IF NOT EXISTS format       VARCHAR(32)  NULL,
  ADD COLUMN IF NOT EXISTS has_header   TINYINT(1)   NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS charset      VARCHAR(32)  NULL,
  ADD COLUMN IF NOT EXISTS upload_id    VARCHAR(64)  NULL;

-- An upload by presigned URL: the key it may write, its expiry, and once
-- completed the SHA-256 of what arrived and the version it made.
ALTER TABLE file_uploads
  ADD COLUMN IF NOT EXISTS sha256     CHAR(64)     NULL,
  ADD COLUMN IF NOT EXISTS version_id VARCHAR(128) NULL;
