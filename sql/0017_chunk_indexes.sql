-- 0017_chunk_indexes.sql — two secondary indexes of document_chunks that
-- nothing reads any more (issue 14): since 0005 every statement on the
-- table goes by kb_num, doc_num, seq or id, and the indexes on the text
-- columns (collection_name, seq) and (doc_id, chunk_index) only cost each
-- ingested row two more B-tree inserts with string keys
-- (tests/bench/kb: MariaDB's share of ingestion).
ALTER TABLE document_chunks
  DROP INDEX IF EXISTS idx_document_chunks_collection_seq,
  DROP INDEX IF EXISTS idx_document_chunks_doc;
