/*
 * svc/agent/rag.h — the indexes of the knowledge bases on this machine,
 * retrieval (vector, keyword, hybrid) and answers grounded in it.
 *
 * Indexes. Each KB has, under <root>/<kb number>/, a vector collection
 * (vec/, lib/vec/ods_vec.h) and a keyword index (kw/, ods_kw.h). They
 * follow the KB's chunk rows in MariaDB by seq (kb.h explains why no row
 * can be skipped). On a machine one process is the writer of a KB's
 * indexes (the flock of ods_vec's writer decides; whoever holds it
 * applies the changes and publishes them); the others open them read-only
 * and pick up new generations. A process that finds no writer becomes
 * it, so a writer that died is replaced at the next sync, and a machine
 * with an empty directory catches up from MariaDB.
 *
 * Searches hydrate hits from MariaDB (content, title, doc id) and keep
 * only live chunks of indexed documents: a deleted document is gone from
 * results from the moment its DELETE committed, whatever the indexes
 * still hold.
 *
 * Thread-safe: one struct ods_rag per process, shared by its threads.
 */
#ifndef SVC_RAG_H
#define SVC_RAG_H

#include <stddef.h>
#include <stdint.h>

#include "core/ods_err.h"

struct ods_db;
struct ods_jw;
struct ods_kb;
struct ods_llm;
struct ods_why;

struct ods_rag;

/* root: the directory of the indexes (created). Never NULL. */
struct ods_rag	*ods_rag_new(const char *root, struct ods_db *,
		    struct ods_llm *);
void		 ods_rag_free(struct ods_rag *);

/*
 * Bring kb's indexes up to the database: as the writer, apply every
 * change up to now; as a reader, take the newest generation, waiting up
 * to wait_ms for the writer to reach the database's last seq.
 */
enum ods_err	 ods_rag_sync(struct ods_rag *, const struct ods_kb *,
		    int wait_ms) ODS_MUSTCHECK;
/*
 * Every KB of the database, as the maintenance thread does once a
 * second: writers catch up, readers try to become writers.
 */
void		 ods_rag_sync_all(struct ods_rag *);
/*
 * For a shutdown: a vector graph being merged in the background gives up
 * (ods_vec_merge_cancel), and no other merge starts, so that the thread
 * running ods_rag_sync_all returns within moments.
 */
void		 ods_rag_stop(struct ods_rag *);
/* What this machine's indexes of a KB hold (after a sync without wait). */
struct ods_rag_stats {
	uint64_t	seq;		/* changes applied (the lower of two) */
	uint64_t	db_seq;		/* the database's last */
	size_t		vectors;	/* live items of the vector index */
	size_t		keywords;	/* items of the keyword index */
	size_t		graphs;		/* vector segments with a graph */
	size_t		exact;		/* vectors searched exactly */
	int		writer;		/* this process is the writer */
};
enum ods_err	 ods_rag_stats(struct ods_rag *, const struct ods_kb *,
		    struct ods_rag_stats *) ODS_MUSTCHECK;

/* Forget the local index of a KB and rebuild it from MariaDB. */
enum ods_err	 ods_rag_reindex(struct ods_rag *, const struct ods_kb *,
		    size_t *nchunks) ODS_MUSTCHECK;

enum ods_rag_mode {
	ODS_RAG_HYBRID = 0,
	ODS_RAG_VECTOR,
	ODS_RAG_KEYWORD
};
int		 ods_rag_mode_parse(const char *, enum ods_rag_mode *);
const char	*ods_rag_mode_name(enum ods_rag_mode);

#define ODS_RAG_MAX_K		100
#define ODS_RAG_MAX_QUERY	8192	/* bytes of a question */
#define ODS_RAG_MAX_META	4	/* metadata conditions */
#define ODS_RAG_MAX_META_DOCS	65536	/* documents a metadata filter keeps */

struct ods_rag_query {
	const char		*text;
	enum ods_rag_mode	 mode;
	size_t			 top_k;		/* 1..ODS_RAG_MAX_K */
	float			 threshold;	/* keep score >= it */
	const char *const	*doc_ids;	/* "doc-..." filter, or NULL */
	size_t			 ndoc_ids;
	/*
	 * Documents whose metadata has every meta_keys[i] equal to
	 * meta_values[i] (strings; keys of [A-Za-z0-9_.-], at most
	 * ODS_RAG_MAX_META pairs).
	 */
	const char *const	*meta_keys;
	const char *const	*meta_values;
	size_t			 nmeta;
	float			 w_vec, w_kw;	/* hybrid weights; -1: the
						   KB's model's defaults */
	int			 mmr;		/* re-rank for diversity */
	float			 mmr_lambda;
};
void		 ods_rag_query_init(struct ods_rag_query *);

struct ods_rag_hit {
	int64_t	 chunk_id;
	int64_t	 doc_num;
	char	*doc_id;
	char	*title;
	char	*file_name;
	char	*content;
	int	 chunk_index;
	float	 score;		/* the mode's, [0,1], higher is better */
	float	 vec_score;	/* cosine similarity, or -1 when not ranked */
	float	 kw_score;	/* BM25 mapped to [0,1], or -1 */
};

/*
 * Retrieve from kb. *hits (malloc'ed, ods_rag_hits_free) holds at most
 * top_k, best first. Returns ODS_OK, ODS_EINVAL (why), ODS_EUNAVAIL (an
 * index cannot be opened), or the errors of ods_db and the embedding
 * model.
 */
enum ods_err	 ods_rag_retrieve(struct ods_rag *, const struct ods_kb *,
		    const struct ods_rag_query *, struct ods_rag_hit **hits,
		    size_t *n, struct ods_why *) ODS_MUSTCHECK;
/*
 * The same over several knowledge bases (an app's): each is searched for
 * top_k and the best top_k of all, by score, are kept. The scores of one
 * mode are on one scale ([0,1]) whatever the KB; a KB's own fusion
 * defaults (its embedding model) still apply to it.
 */
enum ods_err	 ods_rag_retrieve_many(struct ods_rag *,
		    struct ods_kb *const *kbs, size_t nkbs,
		    const struct ods_rag_query *, struct ods_rag_hit **hits,
		    size_t *n, struct ods_why *) ODS_MUSTCHECK;
void		 ods_rag_hits_free(struct ods_rag_hit *, size_t n);
/* {content, source, score, doc_id, chunk_index, title, ...} */
void		 ods_rag_hit_json(struct ods_jw *, const struct ods_rag_hit *,
		    const char *collection);

/*
 * The answer to question from hits: through model (llm's chat) with the
 * passages numbered [1]..[n] and an instruction to cite them, or, with
 * model NULL or "" or no backend serving it, the extractive answer made
 * of the best passages. *answer is malloc'ed; *mode is "llm" or
 * "extractive". Returns ODS_OK or the errors of ods_llm_chat (then no
 * answer: the caller answers 502/503).
 */
struct ods_llm_usage;
enum ods_err	 ods_rag_answer(struct ods_llm *, const char *model,
		    const char *question, const struct ods_rag_hit *, size_t n,
		    char **answer, const char **mode, struct ods_llm_usage *)
		    ODS_MUSTCHECK;
/*
 * The same answer streamed to cs (lib/llm/ods_llm.h): the chat model's
 * pieces as they arrive (ods_llm_chat_stream), or the extractive answer
 * in pieces of about 64 bytes cut after a character (chunk NULL).
 * *started: cs's delta ran (an error after it is the stream's, not an
 * HTTP status). Returns as ods_llm_chat_stream.
 */
struct ods_llm_chat_sink;
enum ods_err	 ods_rag_answer_stream(struct ods_llm *, const char *model,
		    const char *question, const struct ods_rag_hit *, size_t n,
		    const struct ods_llm_chat_sink *, const char **mode,
		    int *started, struct ods_llm_usage *) ODS_MUSTCHECK;

/*
 * Ground a chat in hits: the system message of ods_rag_answer (the
 * instruction to cite and the passages numbered [1]..[n]) put before the
 * messages of msgs (a JSON array text). *out is malloc'ed. ODS_EINVAL
 * when msgs is not an array.
 */
enum ods_err	 ods_rag_ground(const char *msgs, const struct ods_rag_hit *,
		    size_t n, char **out) ODS_MUSTCHECK;
/* [{index, doc_id, title, file_name, chunk_index, score}]: what [i] cites. */
void		 ods_rag_sources_json(struct ods_jw *,
		    const struct ods_rag_hit *, size_t n);

#endif /* SVC_RAG_H */
