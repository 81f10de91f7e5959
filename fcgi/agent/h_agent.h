/*
 * fcgi/agent/h_agent.h — the Agent API's handlers: knowledge bases
 * (h_kb.c), documents and uploads (h_docs.c), retrieval and RAG
 * (h_rag.c), and the pool's context (h_agent.c).
 */
#ifndef H_AGENT_H
#define H_AGENT_H

#include "net/ods_req.h"
#include "server/ods_router.h"

struct ods_kb;
struct ods_llm;
struct ods_llm_usage_q;
struct ods_rag;
struct ods_ds_ctx;
struct ods_req_env;

/* Made by the init hook in every worker: the LLM client, the indexes. */
struct h_agent {
	struct ods_llm	*llm;
	struct ods_rag	*rag;
	struct ods_llm_usage_q *usage;	/* api_usage rows of our LLM calls */
	int		 sync_ms;	/* ODS_INGEST_SYNC_MS */
	struct ods_ds_ctx *ds;		/* data sources, for the SQL tools */
};

enum ods_err	 h_agent_init(const struct ods_req_env *, void **ctx);
void		 h_agent_fini(void *ctx);
struct h_agent	*h_agent(struct ods_req *);

/*
 * The KB a request names: {id} of the path ("kb-..." or a number), or
 * the body's knowledge_base_id, else its collection (created for the
 * caller when new and create is set). Sends the 400/404/5xx itself and
 * returns NULL.
 */
struct ods_kb	*h_kb_of(struct ods_req *, struct ods_resp *, const char *id,
		    const char *collection, int create, enum ods_status *);

/*
 * What an Agent API model call cost, for h_agent_account: ai_* metrics
 * (service "agent-api") and an api_usage row. status: what the client got
 * (200 for a stream that began).
 */
struct h_llm_call {
	const char			*endpoint;	/* "/chat" */
	const char			*model;
	const char			*app_id;	/* or NULL */
	const char			*end_user;	/* or NULL */
	enum ods_err			 er;
	int				 status;
	int				 stream;
	const struct ods_llm_usage	*usage;
	double				 seconds;
};
void		 h_agent_account(struct ods_req *, const struct h_llm_call *);

#define H_AGENT_ROUTES \
	{ ODS_GET, "/knowledge-bases", h_kb_list, ODS_AUTH_REQUIRED, \
	    "document:read" }, \
	{ ODS_POST, "/knowledge-bases", h_kb_create, ODS_AUTH_REQUIRED, \
	    "document:create" }, \
	{ ODS_GET, "/knowledge-bases/{id}", h_kb_get, ODS_AUTH_REQUIRED, \
	    "document:read" }, \
	{ ODS_PUT, "/knowledge-bases/{id}", h_kb_update, ODS_AUTH_REQUIRED, \
	    "document:update" }, \
	{ ODS_DELETE, "/knowledge-bases/{id}", h_kb_delete, \
	    ODS_AUTH_REQUIRED, "document:delete" }, \
	{ ODS_GET, "/knowledge-bases/{id}/documents", h_kb_documents, \
	    ODS_AUTH_REQUIRED, "document:read" }, \
	{ ODS_POST, "/knowledge-bases/{id}/upload", h_docs_upload, \
	    ODS_AUTH_REQUIRED, "document:create", ODS_BODY_UPLOAD }, \
	{ ODS_POST, "/knowledge-bases/{id}/rebuild", h_kb_rebuild, \
	    ODS_AUTH_REQUIRED, "document:update" }, \
	{ ODS_POST, "/knowledge-bases/{id}/test", h_rag_test, \
	    ODS_AUTH_REQUIRED, "document:read" }, \
	{ ODS_POST, "/documents/upload", h_docs_upload, ODS_AUTH_REQUIRED, \
	    "document:create", ODS_BODY_UPLOAD }, \
	{ ODS_GET, "/documents", h_docs_list, ODS_AUTH_REQUIRED, \
	    "document:read" }, \
	{ ODS_DELETE, "/documents/batch", h_docs_delete_batch, \
	    ODS_AUTH_REQUIRED, "document:delete" }, \
	{ ODS_GET, "/documents/{id}", h_docs_get, ODS_AUTH_REQUIRED, \
	    "document:read" }, \
	{ ODS_DELETE, "/documents/{id}", h_docs_delete, ODS_AUTH_REQUIRED, \
	    "document:delete" }, \
	{ ODS_POST, "/rag/query", h_rag_query, ODS_AUTH_REQUIRED, \
	    "chat:execute" }, \
	{ ODS_POST, "/retrieval/hybrid", h_rag_hybrid, ODS_AUTH_REQUIRED, \
	    "document:read" }

/* ?page&page_size: data:{knowledge_bases, total, page, page_size}. */
enum ods_status	h_kb_list(struct ods_req *, struct ods_resp *);
/*
 * {name, description?, type?, collection_name?, embedding_model?,
 * chunk_size?, chunk_overlap?}: 201 KnowledgeBase (+knowledge_base_id).
 */
enum ods_status	h_kb_create(struct ods_req *, struct ods_resp *);
enum ods_status	h_kb_get(struct ods_req *, struct ods_resp *);
/* The fields of a create but the collection; a new model or chunking
 * queues every document again (reindex:true in the answer). */
enum ods_status	h_kb_update(struct ods_req *, struct ods_resp *);
enum ods_status	h_kb_delete(struct ods_req *, struct ods_resp *);
enum ods_status	h_kb_documents(struct ods_req *, struct ods_resp *);
/* 202 {knowledge_base_id, documents, status:"indexing"}. */
enum ods_status	h_kb_rebuild(struct ods_req *, struct ods_resp *);

/*
 * Multipart (file, title, collection | knowledge_base_id, metadata) or
 * JSON {content, file_name, title, collection | knowledge_base_id,
 * metadata}: stored, queued as a kb_ingest job, and waited for up to
 * ODS_INGEST_SYNC_MS: 201 {doc_id, file_name, chunk_count, collection,
 * status:"indexed"}; 202 {doc_id, job_id, status:"indexing"} when it
 * takes longer; 415 for a format that is not text; 400 when the file
 * cannot be read; 200 with duplicate:true for content the KB holds.
 */
enum ods_status	h_docs_upload(struct ods_req *, struct ods_resp *);
/* ?collection|knowledge_base_id&status&search&page&page_size|limit. */
enum ods_status	h_docs_list(struct ods_req *, struct ods_resp *);
enum ods_status	h_docs_get(struct ods_req *, struct ods_resp *);
enum ods_status	h_docs_delete(struct ods_req *, struct ods_resp *);
/* {doc_ids:[...]}: data:{deleted:[...], not_found:[...]}. */
enum ods_status	h_docs_delete_batch(struct ods_req *, struct ods_resp *);

/*
 * {question|query, collection|knowledge_base_id, top_k, score_threshold,
 * mode, doc_ids?, model?, stream?}: data:{answer, answer_mode, sources,
 * retrieved_count, results}.
 */
enum ods_status	h_rag_query(struct ods_req *, struct ods_resp *);
/* The same body: data:{results, total, mode} without an answer. */
enum ods_status	h_rag_hybrid(struct ods_req *, struct ods_resp *);
/* {query, top_k?, mode?} on the path's KB. */
enum ods_status	h_rag_test(struct ods_req *, struct ods_resp *);

#endif /* H_AGENT_H */
