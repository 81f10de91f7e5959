/*
 * svc/agent/kb.h — knowledge bases and their documents: the rows in
 * MariaDB (the source of truth), ingestion, and the order of changes the
 * indexes follow.
 *
 * A knowledge base (KB) has a public id "kb-<12 hex>", a unique
 * collection name (the reference's upload "collection"), an embedding
 * model with its dimension, and its chunk size and overlap. It belongs to
 * its creator: every lookup takes the caller's user id as owner, and a KB
 * of somebody else is ODS_ENOTFOUND (owner NULL: an admin, who sees all).
 *
 * A document ("doc-<12 hex>") belongs to one KB; its bytes are an object
 * in the store (ODS_KB_OBJ_PREFIX/<kb_id>/<doc_id>), its status goes
 * queued -> indexing -> indexed | failed, or deleted. One live copy of a
 * content (sha256) per KB: a second upload of the same bytes gives the
 * first document back.
 *
 * Ordering (sql/0005_kb.sql): chunk rows take a seq from the global
 * sequence when inserted or deleted, and every such write of a KB holds
 * the lock of its knowledge_bases row from before its first seq to its
 * commit, so within a KB commit order is seq order.
 *
 * Thread-safe: every function takes its database pool and holds no
 * state of its own.
 */
#ifndef SVC_KB_H
#define SVC_KB_H

#include <stddef.h>
#include <stdint.h>

#include "core/ods_err.h"

struct ods_db;
struct ods_jw;
struct ods_llm;
struct ods_obj;
struct ods_redis;
struct ods_why;

#define ODS_KB_NAME_MAX		255
#define ODS_KB_COLLECTION_MAX	128
#define ODS_KB_DESC_MAX		4000
#define ODS_KB_MODEL_MAX	128
#define ODS_KB_CHUNK_MIN	50
#define ODS_KB_CHUNK_MAX	8000
#define ODS_KB_LIST_MAX		1000
#define ODS_KB_OBJ_PREFIX	"kb"
#define ODS_KB_DEFAULT_MODEL	"ods-hash-embed-384"
#define ODS_KB_CONTENT_KEEP	10000	/* text kept on the document row */

struct ods_kb {
	int64_t	 id;		/* numeric, the indexes' kb_id */
	char	*kb_id;		/* "kb-..." */
	char	*name;
	char	*description;
	char	*type;
	char	*collection;
	char	*embedding_model;
	int	 dim;
	int	 chunk_size;
	int	 chunk_overlap;
	char	*status;
	char	*created_by;
	char	*created_at;	/* ISO-8601 UTC */
	char	*updated_at;
	char	*last_indexed_at;	/* NULL: never */
	int64_t	 document_count;
	int64_t	 chunk_count;
	int64_t	 indexing;	/* documents queued or indexing */
	int64_t	 last_seq;	/* its chunks' last change, when read */
};

/* Fields of a create or an update: NULL / -1 leave them as they are. */
struct ods_kb_spec {
	const char	*name;
	const char	*description;
	const char	*type;
	const char	*collection;
	const char	*embedding_model;
	int64_t		 chunk_size;
	int64_t		 chunk_overlap;
};
void		 ods_kb_spec_init(struct ods_kb_spec *);

/*
 * Create a KB owned by owner. name is required; collection defaults to
 * a name-derived one; the model must be the built-in one or one llm
 * serves (its dimension is asked once). Returns ODS_OK, ODS_EINVAL (why
 * names the field), ODS_ECONFLICT (the collection name is taken), or the
 * errors of ods_db and ods_llm_embed.
 */
enum ods_err	 ods_kb_create(struct ods_db *, struct ods_llm *,
		    const struct ods_kb_spec *, const char *owner,
		    struct ods_kb **out, struct ods_why *) ODS_MUSTCHECK;
/* By "kb-..." id or by number; ODS_ENOTFOUND. */
enum ods_err	 ods_kb_get(struct ods_db *, const char *id, const char *owner,
		    struct ods_kb **out) ODS_MUSTCHECK;
enum ods_err	 ods_kb_get_num(struct ods_db *, int64_t id, struct ods_kb **out)
		    ODS_MUSTCHECK;
/*
 * The KB of a collection name, seen as owner; with creator non-NULL, one
 * is made for creator when the name is free (the reference made
 * collections on first upload). Another user's collection is
 * ODS_ENOTFOUND; a name that is not one is ODS_EINVAL.
 */
enum ods_err	 ods_kb_by_collection(struct ods_db *, struct ods_llm *,
		    const char *name, const char *owner, const char *creator,
		    struct ods_kb **out) ODS_MUSTCHECK;
enum ods_err	 ods_kb_list(struct ods_db *, const char *owner, size_t offset,
		    size_t limit, struct ods_kb **out, size_t *n, int64_t *total)
		    ODS_MUSTCHECK;
/* Update kb's row from spec (the collection name stays). */
enum ods_err	 ods_kb_update(struct ods_db *, struct ods_llm *,
		    struct ods_kb *, const struct ods_kb_spec *, int *reindex,
		    struct ods_why *) ODS_MUSTCHECK;
/* Mark the KB and its documents deleted, every chunk with a new seq. */
enum ods_err	 ods_kb_delete(struct ods_db *, const struct ods_kb *)
		    ODS_MUSTCHECK;
void		 ods_kb_free(struct ods_kb *);
/*
 * Whether kb's vectors are a function of its chunks' text alone (the
 * built-in model, ods-hash-embed-<dim>, at the KB's dim): its chunk rows
 * then hold no vector (embedding NULL) and what needs one (the index
 * follower, MMR) computes it from the content, as a query's is. At 384
 * dimensions a vector is six times the bytes of a 500-character chunk's
 * text, for MariaDB to write, log twice and send back.
 */
int		 ods_kb_vectors_derived(const struct ods_kb *);
void		 ods_kb_list_free(struct ods_kb *, size_t n);
/* The KnowledgeBase object of reference-api §4.3 (+ our fields). */
void		 ods_kb_json(struct ods_jw *, const struct ods_kb *);
/* The same members, into the object the caller has open. */
void		 ods_kb_json_fields(struct ods_jw *, const struct ods_kb *);

/* Documents. */
struct ods_doc {
	int64_t	 id;		/* numeric, the indexes' doc_id */
	char	*doc_id;	/* "doc-..." */
	int64_t	 kb_num;
	char	*kb_id;
	char	*collection;
	char	*file_name;
	char	*title;
	char	*content_type;
	char	*format;	/* "text", "pdf", ... once parsed */
	char	*charset;
	char	*checksum;	/* sha256 hex of the bytes */
	char	*object_key;
	char	*status;	/* queued indexing indexed failed deleted */
	char	*error;
	char	*metadata;	/* JSON object text, or NULL */
	char	*created_by;
	char	*created_at;
	char	*indexed_at;
	int64_t	 size;
	int64_t	 chunk_count;
	int64_t	 job_id;	/* 0: none */
	int	 progress;
};

struct ods_doc_spec {
	const char	*file_name;
	const char	*title;
	const char	*content_type;
	const char	*checksum;	/* sha256 hex, required */
	const char	*object_key;	/* where the bytes are, required */
	const char	*metadata;	/* JSON object text or NULL */
	int64_t		 size;
};

/*
 * A queued document of kb. When the KB already holds a live document with
 * the same checksum, nothing is inserted: *out is that one and *existed 1.
 */
enum ods_err	 ods_doc_create(struct ods_db *, const struct ods_kb *,
		    const struct ods_doc_spec *, const char *owner,
		    struct ods_doc **out, int *existed) ODS_MUSTCHECK;
/* A new public id for a document about to be stored ("doc-<12 hex>"). */
void		 ods_doc_new_id(char out[17]);
enum ods_err	 ods_doc_set_job(struct ods_db *, int64_t id, int64_t job)
		    ODS_MUSTCHECK;
/* By "doc-..." id, the owner's (NULL: any); deleted ones are ENOTFOUND. */
enum ods_err	 ods_doc_get(struct ods_db *, const char *doc_id,
		    const char *owner, struct ods_doc **out) ODS_MUSTCHECK;
enum ods_err	 ods_doc_get_num(struct ods_db *, int64_t id,
		    struct ods_doc **out) ODS_MUSTCHECK;

struct ods_doc_filter {
	const char	*owner;		/* NULL: any */
	int64_t		 kb_num;	/* 0: any */
	const char	*status;	/* NULL: any but deleted */
	const char	*search;	/* substring of title or file name */
};
enum ods_err	 ods_doc_list(struct ods_db *, const struct ods_doc_filter *,
		    size_t offset, size_t limit, struct ods_doc **out,
		    size_t *n, int64_t *total) ODS_MUSTCHECK;
/*
 * The collections an owner (NULL: all) has, as a malloc'ed vector of
 * names; free with ods_strv_free.
 */
enum ods_err	 ods_doc_collections(struct ods_db *, const char *owner,
		    char ***names, size_t *n) ODS_MUSTCHECK;
/*
 * Delete: the row is marked deleted and every chunk gets a new seq with
 * deleted = 1, in one transaction under the KB's lock. From its return no
 * search anywhere returns the document (searches read chunk rows).
 * *chunks (may be NULL) counts the chunks removed.
 */
enum ods_err	 ods_doc_delete(struct ods_db *, const struct ods_doc *,
		    int64_t *chunks) ODS_MUSTCHECK;
void		 ods_doc_free(struct ods_doc *);
void		 ods_doc_list_free(struct ods_doc *, size_t n);
/* IndexedDocument of reference-api §4.3 plus status and progress. */
void		 ods_doc_json(struct ods_jw *, const struct ods_doc *);

/*
 * Ingestion, the kb_ingest job's body (also run in-process by tests):
 * read the document's object, extract its text, chunk it with the KB's
 * size and overlap, embed the chunks in batches with the KB's model and
 * store them, batch by batch, each in a transaction under the KB's lock.
 * A run that died part way resumes after the chunks already stored, so
 * the document ends with exactly its chunks. stopping (may be NULL) is
 * asked between batches; progress (may be NULL) gets 0..100.
 * Returns ODS_OK (also for a document deleted meanwhile: nothing to do),
 * ODS_EUNSUPPORTED / ODS_EINVAL (the file: the document is failed with
 * the reason and the caller should not retry), or the errors of the
 * store, the database and the embedding model (retry).
 */
struct ods_kb_ingest_env {
	struct ods_db	*db;
	struct ods_obj	*obj;
	struct ods_llm	*llm;
	const char	*tmpdir;
	int		(*stopping)(void *arg);
	void		(*progress)(void *arg, int pct, const char *msg);
	void		*arg;
};
enum ods_err	 ods_kb_ingest(const struct ods_kb_ingest_env *, int64_t doc,
		    int64_t *nchunks, struct ods_why *) ODS_MUSTCHECK;
/* Whether an ingestion error is the file's (not worth a retry). */
int		 ods_kb_ingest_permanent(enum ods_err);

/*
 * Queue every live document of kb again (after a model change): their
 * chunks are deleted (new seqs) and each gets a kb_ingest job; documents
 * whose file could not be read stay failed. *ndocs (may be NULL) counts
 * them.
 */
enum ods_err	 ods_kb_requeue_all(struct ods_db *, struct ods_redis *,
		    const struct ods_kb *, int64_t *ndocs) ODS_MUSTCHECK;
/*
 * Queue the kb_ingest job of a document (for its creator) and record its
 * id on the row. *job (may be NULL) receives it.
 */
enum ods_err	 ods_doc_enqueue(struct ods_db *, struct ods_redis *,
		    int64_t doc, const char *created_by, int64_t *job)
		    ODS_MUSTCHECK;

/* The job type of ingestion and its payload {"doc": <number>}. */
#define ODS_KB_INGEST_JOB	"kb_ingest"

#endif /* SVC_KB_H */
