-- 0018_chunk_embedding_null.sql — a chunk row may hold no vector (issue
-- 14): a knowledge base on the built-in model (ods-hash-embed-<dim>) gets
-- its vectors from the text alone, so its rows keep embedding NULL and
-- the index follower and MMR compute them from content, as a query's is
-- (svc/agent/kb.h, ods_kb_vectors_derived). At 384 dimensions a stored
-- vector was six times the bytes of its chunk's text for MariaDB to
-- write, log and send back (tests/bench/kb). Rows of other models keep
-- their vectors: those cost a model call to make again.
ALTER TABLE document_chunks MODIFY embedding BLOB NULL;
