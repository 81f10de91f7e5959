-- 0005_kb.sql — knowledge bases that really index (issue 14): documents
-- keep where their bytes are and how far ingestion got; chunk rows carry
-- the numeric ids the indexes use; duplicates are refused by the schema.
--
-- The order of changes (DESIGN §5): an index replica follows
-- document_chunks of one collection by seq. seq comes from the global
-- sequence vector_seq when a row is inserted or deleted, and such writes
-- of one knowledge base are serialised by a lock on its knowledge_bases
-- row taken before the first seq is drawn and held to the commit
-- (svc/agent/kb_doc.c). So within a collection, commit order is seq
-- order, and a follower reading "seq > last" never skips a row that
-- commits later with a smaller seq.

ALTER TABLE indexed_documents
  ADD COLUMN IF NOT EXISTS kb_num      BIGINT        NULL AFTER kb_id,
  ADD COLUMN IF NOT EXISTS object_key  VARCHAR(1024) NULL,
  ADD COLUMN IF NOT EXISTS format      VARCHAR(16)   NULL,
  ADD COLUMN IF NOT EXISTS charset     VARCHAR(32)   NULL,
  ADD COLUMN IF NOT EXISTS progress    TINYINT UNSIGNED NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS job_id      BIGINT        NULL,
  ADD COLUMN IF NOT EXISTS error       TEXT          NULL,
  ADD COLUMN IF NOT EXISTS indexed_at  DATETIME(3)   NULL,
  ADD COLUMN IF NOT EXISTS deleted_at  DATETIME(3)   NULL;

-- One live copy of a content per knowledge base: a checksum counts until
-- the document is deleted (deleted_at set: live NULL, and NULLs never
-- collide). A CHAR column cannot feed a generated one (its padding depends
-- on sql_mode), hence the flag.
ALTER TABLE indexed_documents
  ADD COLUMN IF NOT EXISTS live TINYINT
    AS (IF(deleted_at IS NULL, 1, NULL)) PERSISTENT;
CREATE UNIQUE INDEX IF NOT EXISTS uk_indexed_documents_live
  ON indexed_documents (kb_num, checksum, live);
CREATE INDEX IF NOT EXISTS idx_indexed_documents_kb_num
  ON indexed_documents (kb_num, status, id);

ALTER TABLE document_chunks
  ADD COLUMN IF NOT EXISTS kb_num  BIGINT NULL AFTER collection_name,
  ADD COLUMN IF NOT EXISTS doc_num BIGINT NULL AFTER doc_id;

-- A chunk index is stored once per live document: an ingestion that
-- resumes after a crash cannot add a chunk twice.
ALTER TABLE document_chunks
  ADD COLUMN IF NOT EXISTS live TINYINT
    AS (IF(deleted = 0, 1, NULL)) PERSISTENT;
CREATE UNIQUE INDEX IF NOT EXISTS uk_document_chunks_live
  ON document_chunks (doc_num, chunk_index, live);
CREATE INDEX IF NOT EXISTS idx_document_chunks_kb_seq
  ON document_chunks (kb_num, seq);

-- knowledge_bases: who may see one, and a rebuild's progress.
ALTER TABLE knowledge_bases
  ADD COLUMN IF NOT EXISTS last_indexed_at DATETIME(3) NULL,
  ADD COLUMN IF NOT EXISTS deleted_at      DATETIME(3) NULL;
CREATE INDEX IF NOT EXISTS idx_knowledge_bases_owner
  ON knowledge_bases (created_by, id);
