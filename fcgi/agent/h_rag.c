/*
 * fcgi/agent/h_rag.c — POST /rag/query, /retrieval/hybrid and
 * /knowledge-bases/{id}/test: retrieval from a knowledge base and an
 * answer grounded in it (svc/agent/rag.h).
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ods.h"
#include "../../svc/agent/kb.h"
#include "../../svc/agent/rag.h"
#include "../common/h_auth.h"
#include "h_agent.h"
#include "h_sse.h"

#define SOURCES_MAX	5

/* A parsed request body. */
struct rag_req {
	struct ods_rag_query	 q;
	const char		*kb_id;
	const char		*collection;
	const char		*model;
	const char		*doc_ids[100];
	const char		*meta_keys[ODS_RAG_MAX_META];
	const char		*meta_vals[ODS_RAG_MAX_META];
	int			 stream;
};

static enum ods_err
parse(struct ods_req *r, struct rag_req *rq, struct ods_why *why)
{
	struct json_object	*o = NULL, *ids = NULL, *meta = NULL;
	const char		*mode = NULL;
	int64_t			 top_k = 5;
	double			 thr = 0, wv = -1, wk = -1, lambda = -1;
	size_t			 i, n;
	enum ods_err		 er;

	memset(rq, 0, sizeof(*rq));
	ods_rag_query_init(&rq->q);
	if ((er = ods_req_json(r, &o, why)) != ODS_OK)
		return er;
#define OPT(e) if ((er = (e)) != ODS_OK && er != ODS_ENOTFOUND) return er
	OPT(ods_json_str(o, "question", 0, ODS_RAG_MAX_QUERY, &rq->q.text,
	    why));
	if (rq->q.text == NULL)
		OPT(ods_json_str(o, "query", 0, ODS_RAG_MAX_QUERY,
		    &rq->q.text, why));
	if (rq->q.text == NULL || *rq->q.text == '\0') {
		ods_why_set(why, "question", "question (or query) is "
		    "required");
		return ODS_EINVAL;
	}
	OPT(ods_json_str(o, "knowledge_base_id", 0, 64, &rq->kb_id, why));
	OPT(ods_json_str(o, "collection", 0, ODS_KB_COLLECTION_MAX,
	    &rq->collection, why));
	if (rq->collection == NULL)
		OPT(ods_json_str(o, "collection_name", 0,
		    ODS_KB_COLLECTION_MAX, &rq->collection, why));
	OPT(ods_json_int(o, "top_k", 0, 1, ODS_RAG_MAX_K, &top_k, why));
	OPT(ods_json_num(o, "score_threshold", 0, 0, 1, &thr, why));
	OPT(ods_json_num(o, "vector_weight", 0, 0, 1, &wv, why));
	OPT(ods_json_num(o, "keyword_weight", 0, 0, 1, &wk, why));
	OPT(ods_json_str(o, "mode", 0, 16, &mode, why));
	if (mode == NULL)
		OPT(ods_json_str(o, "search_type", 0, 16, &mode, why));
	OPT(ods_json_str(o, "model", 0, 128, &rq->model, why));
	OPT(ods_json_bool(o, "stream", 0, &rq->stream, why));
	OPT(ods_json_bool(o, "mmr", 0, &rq->q.mmr, why));
	OPT(ods_json_num(o, "mmr_lambda", 0, 0, 1, &lambda, why));
	OPT(ods_json_arr(o, "doc_ids", 0, &ids, why));
	OPT(ods_json_obj(o, "metadata", 0, &meta, why));
#undef OPT
	if (mode != NULL && ods_rag_mode_parse(mode, &rq->q.mode) != 0) {
		ods_why_set(why, "mode", "mode must be vector, keyword or "
		    "hybrid");
		return ODS_EINVAL;
	}
	if (ids != NULL) {
		if ((n = ods_json_arr_len(ids)) > 100) {
			ods_why_set(why, "doc_ids", "at most 100 doc_ids");
			return ODS_EINVAL;
		}
		for (i = 0; i < n; i++)
			if ((rq->doc_ids[i] = ods_json_arr_str(ids, i)) ==
			    NULL) {
				ods_why_set(why, "doc_ids", "doc_ids must be "
				    "strings");
				return ODS_EINVAL;
			}
		rq->q.doc_ids = rq->doc_ids;
		rq->q.ndoc_ids = n;
	}
	if (meta != NULL) {
		er = ods_json_obj_scalars(meta, ODS_RAG_MAX_META, rq->meta_keys,
		    rq->meta_vals, &rq->q.nmeta);
		if (er != ODS_OK) {
			ods_why_set(why, "metadata", "metadata is an object of "
			    "at most %d keys with string, number or boolean "
			    "values", ODS_RAG_MAX_META);
			return ODS_EINVAL;
		}
		rq->q.meta_keys = rq->meta_keys;
		rq->q.meta_values = rq->meta_vals;
	}
	if (wv >= 0)
		rq->q.w_vec = (float)wv;
	if (wk >= 0)
		rq->q.w_kw = (float)wk;
	if (lambda >= 0)
		rq->q.mmr_lambda = (float)lambda;
	if (rq->q.mode == ODS_RAG_HYBRID && wv >= 0 && wk >= 0 &&
	    wv + wk <= 0) {
		ods_why_set(why, "vector_weight", "the weights cannot both be "
		    "0");
		return ODS_EINVAL;
	}
	rq->q.top_k = (size_t)top_k;
	rq->q.threshold = (float)thr;
	return ODS_OK;
}

/*
 * Retrieve for the request (the KB of the path, or the body's), with its
 * metrics. Sends the error itself and returns NULL kb.
 */
static struct ods_kb *
retrieve(struct ods_req *r, struct ods_resp *w, struct rag_req *rq,
    const char *path_id, struct ods_rag_hit **hits, size_t *n,
    enum ods_status *hs)
{
	struct ods_kb	*kb;
	struct ods_why	 why;
	const char	*lv[1];
	double		 t0, sum = 0;
	size_t		 i, nv = 0;
	enum ods_err	 er;

	memset(&why, 0, sizeof(why));
	if ((er = parse(r, rq, &why)) != ODS_OK) {
		*hs = ods_resp_input_error(w, er, &why);
		return NULL;
	}
	if ((kb = h_kb_of(r, w, path_id != NULL ? path_id : rq->kb_id,
	    rq->collection, 0, hs)) == NULL)
		return NULL;
	t0 = ods_now_sec();
	er = ods_rag_retrieve(h_agent(r)->rag, kb, &rq->q, hits, n, &why);
	lv[0] = ods_rag_mode_name(rq->q.mode);
	(void)ods_metrics_observe(ODS_M_RAG_DURATION, lv, ods_now_sec() - t0);
	if (er != ODS_OK) {
		*hs = er == ODS_EINVAL ? ods_resp_input_error(w, er, &why) :
		    ods_resp_error(w, er, "retrieval failed");
		ods_kb_free(kb);
		return NULL;
	}
	for (i = 0; i < *n; i++)
		if ((*hits)[i].vec_score >= 0) {
			sum += (*hits)[i].vec_score;
			nv++;
		}
	if (nv > 0) {
		lv[0] = kb->collection;
		(void)ods_metrics_gauge_set(ODS_M_VECTOR_SCORE, lv,
		    sum / (double)nv);
	}
	return kb;
}

static void
results_json(struct ods_jw *jw, const struct ods_rag_hit *h, size_t n,
    const struct ods_kb *kb)
{
	size_t	i;

	ods_jw_key(jw, "results");
	ods_jw_arr(jw);
	for (i = 0; i < n; i++)
		ods_rag_hit_json(jw, &h[i], kb->collection);
	ods_jw_end(jw);
}

/* The distinct sources of the hits, best first, at most SOURCES_MAX. */
static void
sources_json(struct ods_jw *jw, const struct ods_rag_hit *h, size_t n)
{
	const char	*seen[SOURCES_MAX];
	size_t		 i, j, k = 0;

	ods_jw_key(jw, "sources");
	ods_jw_arr(jw);
	for (i = 0; i < n && k < SOURCES_MAX; i++) {
		const char *s = h[i].file_name != NULL ? h[i].file_name :
		    h[i].title;

		if (s == NULL)
			continue;
		for (j = 0; j < k; j++)
			if (strcmp(seen[j], s) == 0)
				break;
		if (j < k)
			continue;
		seen[k++] = s;
		ods_jw_str(jw, s);
	}
	ods_jw_end(jw);
}

/* The agent's own model call: ai_* metrics and an api_usage row. */
static void
account(struct ods_req *r, const char *model, enum ods_err er, int status,
    int stream, const struct ods_llm_usage *u, double seconds)
{
	struct h_llm_call	c;

	memset(&c, 0, sizeof(c));
	c.endpoint = "/rag/query";
	c.model = model;
	c.er = er;
	c.status = status;
	c.stream = stream;
	c.usage = u;
	c.seconds = seconds;
	h_agent_account(r, &c);
}

/* The end of a stream that began: an error event or the sources. */
static void
stream_end(struct h_sse *s, enum ods_err er, const char *mode,
    const struct ods_rag_hit *h, size_t n, const struct ods_kb *kb,
    const struct ods_llm_usage *u)
{
	struct ods_jw	*jw;

	if (er != ODS_OK) {
		h_sse_error(s, er);
		return;
	}
	if ((jw = h_sse_open(s)) == NULL)
		return;
	ods_jw_kstr(jw, "answer_mode", mode);
	if (strcmp(mode, "llm") == 0)
		ods_jw_kstr(jw, "model", s->model);
	ods_jw_kint(jw, "retrieved_count", (int64_t)n);
	sources_json(jw, h, n);
	results_json(jw, h, n, kb);
	if (strcmp(mode, "llm") == 0)
		h_usage_json(jw, u);
	(void)h_sse_close(s);
}

/*
 * stream:true: each piece of the answer as it comes (the chat model's
 * tokens, or the extractive answer in pieces), then the sources and
 * [DONE]. A model failing before its first piece is a JSON error.
 */
static enum ods_status
stream_answer(struct ods_req *r, struct ods_resp *w, const char *model,
    const char *question, const struct ods_rag_hit *h, size_t n,
    const struct ods_kb *kb, double t0)
{
	struct h_sse		 s;
	struct ods_llm_chat_sink cs;
	struct ods_llm_usage	 u;
	const char		*mode = "extractive";
	enum ods_status		 hs = ODS_HTTP_200;
	enum ods_err		 er;
	int			 started = 0;

	h_sse_init(&s, r, w, H_SSE_WEB, model);
	s.mode = &mode;
	memset(&cs, 0, sizeof(cs));
	cs.delta = h_sse_delta;
	cs.client_gone = h_sse_gone;
	cs.arg = &s;
	cs.progress = ods_worker_progress;
	er = ods_rag_answer_stream(h_agent(r)->llm, model, question, h, n,
	    &cs, &mode, &started, &u);
	if (er != ODS_OK && !s.begun)
		hs = h_llm_error(w, er);
	else
		stream_end(&s, er, mode, h, n, kb, &u);
	if (strcmp(mode, "llm") == 0)
		account(r, model, er, s.begun ? 200 : (int)hs, 1, &u,
		    ods_now_sec() - t0);
	ods_metrics_business("rag_query", er == ODS_OK ? "success" : "error",
	    ods_now_sec() - t0);
	h_sse_fini(&s);
	return hs;
}

static enum ods_status
answer_json(struct ods_req *r, struct ods_resp *w, const struct rag_req *rq,
    const char *answer, const char *mode, const char *model,
    const struct ods_rag_hit *h, size_t n, const struct ods_kb *kb,
    const struct ods_llm_usage *u)
{
	struct ods_jw	*jw;
	int		 llm = strcmp(mode, "llm") == 0;

	jw = ods_resp_envelope(w, ODS_HTTP_200, NULL);
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "answer", answer);
	ods_jw_kstr(jw, "answer_mode", mode);
	ods_jw_kstr(jw, "model", llm ? model : NULL);
	ods_jw_kstr(jw, "question", rq->q.text);
	ods_jw_kstr(jw, "collection", kb->collection);
	ods_jw_kstr(jw, "knowledge_base_id", kb->kb_id);
	ods_jw_kstr(jw, "mode", ods_rag_mode_name(rq->q.mode));
	ods_jw_kint(jw, "retrieved_count", (int64_t)n);
	sources_json(jw, h, n);
	results_json(jw, h, n, kb);
	if (llm)
		h_usage_json(jw, u);
	ods_jw_kstr(jw, "user", h_user(r));
	ods_jw_end(jw);
	return ods_resp_send(w);
}

enum ods_status
h_rag_query(struct ods_req *r, struct ods_resp *w)
{
	struct rag_req		 rq;
	struct ods_rag_hit	*hits = NULL;
	struct ods_llm_usage	 u;
	struct ods_kb		*kb;
	const char		*model, *mode = "extractive";
	char			*answer = NULL;
	double			 t0;
	size_t			 n = 0;
	enum ods_status		 hs;
	enum ods_err		 er;

	t0 = ods_now_sec();
	if ((kb = retrieve(r, w, &rq, NULL, &hits, &n, &hs)) == NULL) {
		ods_metrics_business("rag_query", "error", ods_now_sec() - t0);
		return hs;
	}
	model = rq.model != NULL ? rq.model :
	    ods_req_conf(r)->default_chat_model;
	if (rq.model != NULL && !ods_llm_model_known(h_agent(r)->llm,
	    rq.model)) {
		hs = ods_resp_error_ex(w, ODS_EINVAL, ODS_C_INVALID_FIELD,
		    "invalid_field", "no backend serves that model");
		goto out;
	}
	/* A stream or a model call holds its thread: not an accept slot. */
	ods_worker_long();
	if (rq.stream) {
		hs = stream_answer(r, w, model, rq.q.text, hits, n, kb, t0);
		goto out;
	}
	er = ods_rag_answer(h_agent(r)->llm, model, rq.q.text, hits, n,
	    &answer, &mode, &u);
	ods_metrics_business("rag_query", er == ODS_OK ? "success" : "error",
	    ods_now_sec() - t0);
	if (er != ODS_OK)
		hs = h_llm_error(w, er);
	else
		hs = answer_json(r, w, &rq, answer, mode, model, hits, n, kb,
		    &u);
	if (strcmp(mode, "llm") == 0)
		account(r, model, er, (int)hs, 0, &u, ods_now_sec() - t0);
out:
	free(answer);
	ods_rag_hits_free(hits, n);
	ods_kb_free(kb);
	return hs;
}

static enum ods_status
send_results(struct ods_req *r, struct ods_resp *w, const char *path_id)
{
	struct rag_req		 rq;
	struct ods_rag_hit	*hits = NULL;
	struct ods_kb		*kb;
	struct ods_jw		*jw;
	size_t			 n = 0;
	enum ods_status		 hs;

	if ((kb = retrieve(r, w, &rq, path_id, &hits, &n, &hs)) == NULL)
		return hs;
	jw = ods_resp_envelope(w, ODS_HTTP_200, NULL);
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "query", rq.q.text);
	ods_jw_kstr(jw, "mode", ods_rag_mode_name(rq.q.mode));
	ods_jw_kstr(jw, "collection", kb->collection);
	ods_jw_kstr(jw, "knowledge_base_id", kb->kb_id);
	ods_jw_kint(jw, "total", (int64_t)n);
	results_json(jw, hits, n, kb);
	ods_jw_end(jw);
	hs = ods_resp_send(w);
	ods_rag_hits_free(hits, n);
	ods_kb_free(kb);
	return hs;
}

enum ods_status
h_rag_hybrid(struct ods_req *r, struct ods_resp *w)
{
	return send_results(r, w, NULL);
}

enum ods_status
h_rag_test(struct ods_req *r, struct ods_resp *w)
{
	return send_results(r, w, ods_req_param(r, "id"));
}
