/*
 * svc/agent/wf_node_io.c — the node types that reach out (wf_node.h):
 * llm (streamed, on the run creator's limits), retriever (the creator's
 * knowledge bases through rag.h), http and database (the http_request
 * and sql_query tools: one allow-list, one address policy, one read-only
 * gate for agents and workflows), tool_call and agent.
 *
 * Each call is bounded by the task's deadline and aborted when the run
 * stops: the tools' HTTP polls should_stop, the model's stream
 * client_gone.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_conf.h"
#include "core/ods_json.h"
#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "core/ods_time.h"
#include "auth/ods_auth.h"
#include "llm/ods_llm.h"
#include "agent.h"
#include "kb.h"
#include "rag.h"
#include "tool.h"
#include "wf_node.h"

static const char *
cfg(const struct wf_task *t, const char *key)
{
	const char	*s = ods_json_get_str(t->node->config, key);

	return s != NULL && *s != '\0' ? s : NULL;
}

/* The caller's limits: the run's creator as a token's user. */
static void
io_of(struct wf_task *t, struct ods_principal *p, struct ods_agent_io *io)
{
	memset(p, 0, sizeof(*p));
	memset(io, 0, sizeof(*io));
	p->kind = ODS_PRINCIPAL_TOKEN;
	p->user_id = odsi_wf_owner(t);
	p->username = p->user_id;
	io->redis = *p->user_id != '\0' ? odsi_wf_env(t)->redis : NULL;
	io->principal = p;
}

/*
 * A value as prompt text: documents (a retriever's list) concatenated,
 * a string as it is, anything else as JSON.
 */
static void
as_text(struct json_object *v, struct ods_buf *b)
{
	struct json_object	*d;
	const char		*c;
	size_t			 i;

	if (ods_json_kind(v) == ODS_JSON_ARRAY) {
		for (i = 0; i < ods_json_arr_len(v); i++) {
			d = ods_json_arr_get(v, i);
			c = ods_json_get_str(d, "content");
			if (ods_buf_addf(b, "%s%s", i ? "\n\n" : "",
			    c != NULL ? c : odsi_wf_value_text(d)) != ODS_OK)
				return;
		}
		return;
	}
	c = odsi_wf_value_text(v);
	if (ods_buf_add(b, c, strlen(c)) != ODS_OK)
		return;
}

/* ---- llm ---- */

struct llm_sink {
	struct wf_task	*t;
	struct ods_buf	 all;		/* the answer */
	struct ods_buf	 pend;		/* not sent as llm_delta yet */
	int64_t		 last;
};

static void
delta_flush(struct llm_sink *s)
{
	struct ods_buf	b;
	struct ods_jw	jw;

	if (s->pend.len == 0)
		return;
	ods_buf_init(&b, s->pend.len * 2 + 256);
	ods_jw_init(&jw, &b);
	ods_jw_obj(&jw);
	ods_jw_kstr(&jw, "type", "llm_delta");
	ods_jw_kstr(&jw, "node_id", s->t->node->id);
	ods_jw_key(&jw, "content");
	ods_jw_strn(&jw, s->pend.data, s->pend.len);
	ods_jw_end(&jw);
	if (ods_jw_error(&jw) == ODS_OK)
		odsi_wf_event(s->t->run, b.data, b.len);
	ods_buf_free(&b);
	ods_buf_reset(&s->pend);
	s->last = ods_now_ms();
}

/* Pieces coalesced: one llm_delta event per 50 ms at most. */
static int
on_delta(void *arg, const char *content, size_t len, const char *chunk,
    size_t clen)
{
	struct llm_sink	*s = arg;

	(void)chunk;
	(void)clen;
	if (ods_buf_add(&s->all, content, len) != ODS_OK ||
	    ods_buf_add(&s->pend, content, len) != ODS_OK)
		return 1;
	if (ods_now_ms() - s->last >= 50)
		delta_flush(s);
	return odsi_wf_task_stopping(s->t);
}

static int
gone(void *arg)
{
	return odsi_wf_task_stopping(((struct llm_sink *)arg)->t);
}

/* The messages: system (with input_from's text as context), user. */
static enum ods_err
llm_messages(struct wf_task *t, struct ods_buf *msgs)
{
	struct json_object	*v = NULL;
	const char		*from = cfg(t, "input_from");
	const char		*sys = cfg(t, "system_prompt");
	const char		*prompt = cfg(t, "prompt");
	const char		*e;
	struct ods_buf		 s, u, c;
	struct ods_jw		 jw;
	enum ods_err		 er = ODS_OK;

	ods_buf_init(&s, ODS_WF_TMPL_MAX);
	ods_buf_init(&u, ODS_WF_TMPL_MAX);
	ods_buf_init(&c, ODS_WF_TMPL_MAX);
	if (from != NULL && (e = odsi_wf_node_error(t, from)) != NULL)
		er = odsi_wf_tfail(t, ODS_EUPSTREAM, "%s failed: %s", from, e);
	if (er == ODS_OK && from != NULL &&
	    (er = odsi_wf_ref(t, from, &v)) == ODS_OK)
		as_text(v, &c);
	if (er == ODS_OK && sys != NULL)
		er = odsi_wf_render(t, sys, &s);
	if (er == ODS_OK && prompt != NULL)
		er = odsi_wf_render(t, prompt, &u);
	if (er == ODS_OK) {
		ods_jw_init(&jw, msgs);
		ods_jw_arr(&jw);
		if (s.len > 0 || (prompt != NULL && c.len > 0)) {
			ods_jw_obj(&jw);
			ods_jw_kstr(&jw, "role", "system");
			ods_jw_key(&jw, "content");
			if (prompt != NULL && c.len > 0 &&
			    ods_buf_addf(&s, "%sContext:\n%s", s.len ? "\n\n" :
			    "", c.data) != ODS_OK)
				er = ODS_ETOOBIG;
			ods_jw_strn(&jw, s.data ? s.data : "", s.len);
			ods_jw_end(&jw);
		}
		ods_jw_obj(&jw);
		ods_jw_kstr(&jw, "role", "user");
		ods_jw_key(&jw, "content");
		if (prompt != NULL)
			ods_jw_strn(&jw, u.data ? u.data : "", u.len);
		else
			ods_jw_strn(&jw, c.data ? c.data : "", c.len);
		ods_jw_end(&jw);
		ods_jw_end(&jw);
		if (er == ODS_OK)
			er = ods_jw_error(&jw);
		if (er != ODS_OK && t->error[0] == '\0')
			(void)odsi_wf_tfail(t, er, "the prompt is too large");
	}
	ods_json_put(v);
	ods_buf_free(&s);
	ods_buf_free(&u);
	ods_buf_free(&c);
	return er;
}

/*
 * llm: one streamed chat call as the run's creator (their limits), the
 * pieces as llm_delta events: {output, tokens, model}. An upstream node
 * that failed (input_from) fails this one.
 */
enum ods_err
odsi_wf_n_llm(struct wf_task *t, struct ods_jw *jw)
{
	const struct ods_wf_env		*env = odsi_wf_env(t);
	struct ods_llm_chat_sink	 sink;
	struct ods_llm_opts		 o;
	struct ods_agent_call		 call;
	struct ods_agent_io		 io;
	struct ods_principal		 p;
	struct ods_tool_ctx		 tc;
	struct llm_sink			 s;
	struct ods_buf			 msgs;
	const char			*model = cfg(t, "model");
	double				 temp = 0.7;
	int64_t				 max = 2000;
	enum ods_err			 er;

	if (model == NULL && env->conf != NULL)
		model = env->conf->default_chat_model;
	if (env->llm == NULL || model == NULL)
		return odsi_wf_tfail(t, ODS_EUNAVAIL, "no model configured");
	ods_buf_init(&msgs, (size_t)2 * ODS_WF_TMPL_MAX + 4096);
	if ((er = llm_messages(t, &msgs)) != ODS_OK) {
		ods_buf_free(&msgs);
		return er;
	}
	ods_llm_opts_init(&o);
	if (ods_json_num(t->node->config, "temperature", 0, 0, 2, &temp,
	    NULL) == ODS_OK)
		o.temperature = temp;
	if (ods_json_int(t->node->config, "max_tokens", 0, 1, 128000, &max,
	    NULL) != ODS_OK)
		max = 2000;
	o.max_tokens = max;
	memset(&s, 0, sizeof(s));
	s.t = t;
	s.last = ods_now_ms();
	ods_buf_init(&s.all, ODS_WF_OUTPUT_MAX / 2);
	ods_buf_init(&s.pend, ODS_WF_OUTPUT_MAX / 2);
	memset(&sink, 0, sizeof(sink));
	sink.delta = on_delta;
	sink.client_gone = gone;
	sink.arg = &s;
	memset(&call, 0, sizeof(call));
	odsi_wf_tool_ctx(t, &tc);
	io_of(t, &p, &io);
	er = ods_agent_llm_stream(&tc, &io, model, msgs.data, &o, &sink,
	    &call);
	delta_flush(&s);
	if (er == ODS_OK && odsi_wf_task_stopping(t))
		er = ODS_ETIMEOUT;
	if (er != ODS_OK)
		(void)odsi_wf_tfail(t, er, "%s", call.error[0] ? call.error :
		    ods_strerror(er));
	else {
		ods_jw_obj(jw);
		ods_jw_key(jw, "output");
		ods_jw_strn(jw, s.all.data ? s.all.data : "", s.all.len);
		ods_jw_kint(jw, "tokens", call.tokens);
		ods_jw_kstr(jw, "model", model);
		ods_jw_end(jw);
	}
	ods_buf_free(&s.all);
	ods_buf_free(&s.pend);
	ods_buf_free(&msgs);
	return er;
}

/* ---- retriever ---- */

/* The question: query_from (default the first predecessor's value). */
static enum ods_err
retr_query(struct wf_task *t, struct ods_buf *q)
{
	struct json_object	*v = NULL, *o;
	const char		*from = cfg(t, "query_from");
	const char		*tmpl = cfg(t, "query");
	const char		*id;
	enum ods_err		 er = ODS_OK;

	if (tmpl != NULL)
		return odsi_wf_render(t, tmpl, q);
	if (from != NULL) {
		if ((er = odsi_wf_ref(t, from, &v)) != ODS_OK)
			return er;
		if (strchr(from, '.') == NULL && ods_json_is_obj(v) &&
		    (o = ods_json_get(v, "value")) != NULL)
			as_text(o, q);
		else
			as_text(v, q);
		ods_json_put(v);
		return ODS_OK;
	}
	if (t->node->nin > 0) {
		id = t->def->nodes[t->def->edges[t->node->in[0]].src].id;
		o = t->scope.lookup(t, id, strlen(id));
		v = ods_json_get(o, "value");
		as_text(v != NULL ? v : ods_json_get(o, "output"), q);
	}
	return er;
}

/*
 * The creator's knowledge base: knowledge_base_id (a template), or a
 * collection's.
 */
static enum ods_err
retr_kb(struct wf_task *t, struct ods_kb **kb)
{
	const struct ods_wf_env	*env = odsi_wf_env(t);
	const char		*kid = cfg(t, "knowledge_base_id");
	const char		*coll = cfg(t, "collection");
	const char		*owner = odsi_wf_owner(t);
	struct ods_buf		 id;
	enum ods_err		 er = ODS_OK;

	ods_buf_init(&id, 256);
	if (kid != NULL && (er = odsi_wf_render(t, kid, &id)) != ODS_OK) {
		ods_buf_free(&id);
		return er;
	}
	if (id.len > 0)
		er = ods_kb_get(env->db, id.data, *owner ? owner : NULL, kb);
	else if (coll != NULL)
		er = ods_kb_by_collection(env->db, env->llm, coll,
		    *owner ? owner : NULL, NULL, kb);
	else
		er = ODS_EINVAL;
	if (er != ODS_OK)
		er = odsi_wf_tfail(t, er, er == ODS_EINVAL ? "no knowledge "
		    "base given" : er == ODS_ENOTFOUND ? "no such knowledge "
		    "base: %s" : "the knowledge base cannot be read: %s",
		    id.len ? id.data : coll != NULL ? coll : "");
	ods_buf_free(&id);
	return er;
}

/*
 * retriever: the creator's knowledge base (knowledge_base_id, a
 * template, or collection) searched with the question; no fallback: an
 * index that cannot be read is the node's error. {query, documents:
 * [{content, score, doc_id, title}], count, text} (text: the passages
 * joined, for a prompt).
 */
enum ods_err
odsi_wf_n_retriever(struct wf_task *t, struct ods_jw *jw)
{
	const struct ods_wf_env	*env = odsi_wf_env(t);
	struct ods_rag_query	 q;
	struct ods_rag_hit	*hits = NULL;
	struct ods_kb		*kb = NULL;
	struct ods_buf		 qt, text;
	struct ods_why		 why;
	double			 th = 0;
	int64_t			 k = 5;
	size_t			 n = 0, i;
	enum ods_err		 er;

	if (env->rag == NULL)
		return odsi_wf_tfail(t, ODS_EUNAVAIL, "retrieval is not "
		    "available on this worker");
	ods_buf_init(&qt, ODS_RAG_MAX_QUERY);
	ods_buf_init(&text, ODS_WF_OUTPUT_MAX / 2);
	memset(&why, 0, sizeof(why));
	if ((er = retr_query(t, &qt)) != ODS_OK)
		goto out;
	if (qt.len == 0) {
		er = odsi_wf_tfail(t, ODS_EINVAL, "the query is empty");
		goto out;
	}
	if ((er = retr_kb(t, &kb)) != ODS_OK)
		goto out;
	if (ods_json_int(t->node->config, "top_k", 0, 1, 50, &k, NULL) !=
	    ODS_OK)
		k = 5;
	if (ods_json_num(t->node->config, "score_threshold", 0, 0, 1, &th,
	    NULL) != ODS_OK)
		th = 0;
	/* A stale index still answers; retrieve says when there is none. */
	if (ods_rag_sync(env->rag, kb, 2000) != ODS_OK)
		ods_log(ODS_LOG_DEBUG, "wf_retriever_sync kb=%s", kb->kb_id);
	ods_rag_query_init(&q);
	q.text = qt.data;
	q.top_k = (size_t)k;
	q.threshold = (float)th;
	if ((er = ods_rag_retrieve(env->rag, kb, &q, &hits, &n, &why)) !=
	    ODS_OK) {
		er = odsi_wf_tfail(t, er, "retrieval failed: %s", why.msg[0] ?
		    why.msg : ods_strerror(er));
		goto out;
	}
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "query", qt.data);
	ods_jw_key(jw, "documents");
	ods_jw_arr(jw);
	for (i = 0; i < n; i++) {
		ods_jw_obj(jw);
		ods_jw_kstr(jw, "content", hits[i].content);
		ods_jw_knum(jw, "score", hits[i].score);
		ods_jw_kstr(jw, "doc_id", hits[i].doc_id);
		ods_jw_kstr(jw, "title", hits[i].title);
		ods_jw_end(jw);
		if (ods_buf_addf(&text, "%s[%zu] %s", i ? "\n\n" : "", i + 1,
		    hits[i].content ? hits[i].content : "") != ODS_OK)
			break;
	}
	ods_jw_end(jw);
	ods_jw_kint(jw, "count", (int64_t)n);
	ods_jw_key(jw, "text");
	ods_jw_strn(jw, text.data ? text.data : "", text.len);
	ods_jw_end(jw);
out:
	ods_rag_hits_free(hits, n);
	ods_kb_free(kb);
	ods_buf_free(&qt);
	ods_buf_free(&text);
	return er;
}

/* ---- through the tools ---- */

/* Run a tool on rendered args into jw; the tool's refusal is the node's. */
static enum ods_err
tool(struct wf_task *t, const char *name, struct json_object *args,
    struct ods_jw *jw)
{
	const struct ods_tool	*tl = ods_tool_find(name);
	struct ods_tool_ctx	 tc;
	struct ods_why		 why;
	enum ods_err		 er;

	memset(&why, 0, sizeof(why));
	odsi_wf_tool_ctx(t, &tc);
	if (tl != NULL)
		er = ods_tool_run(&tc, tl, args, jw, &why);
	else
		er = ods_tool_user_run(&tc, name, args, jw, &why);
	if (er == ODS_OK)
		return ODS_OK;
	if (odsi_wf_task_stopping(t) && er != ODS_EFORBIDDEN)
		return odsi_wf_tfail(t, ODS_ETIMEOUT, "%s: stopped or timed "
		    "out", name);
	return odsi_wf_tfail(t, er, "%s%s: %s", er == ODS_EFORBIDDEN ?
	    "refused by policy: " : "", name, why.msg[0] ? why.msg :
	    ods_strerror(er));
}

/* Render a string config into an args object under key. */
static enum ods_err
put_rendered(struct wf_task *t, struct ods_jw *a, const char *key,
    const char *tmpl)
{
	struct ods_buf	b;
	enum ods_err	er;

	if (tmpl == NULL)
		return ODS_OK;
	ods_buf_init(&b, ODS_WF_TMPL_MAX);
	if ((er = odsi_wf_render(t, tmpl, &b)) == ODS_OK) {
		ods_jw_key(a, key);
		ods_jw_strn(a, b.data ? b.data : "", b.len);
	}
	ods_buf_free(&b);
	return er;
}

static enum ods_err
args_parse(struct wf_task *t, struct ods_buf *b, struct json_object **out)
{
	struct ods_why	why;

	memset(&why, 0, sizeof(why));
	if (b->data == NULL || ods_json_parse(b->data, b->len, 0, out,
	    &why) != ODS_OK)
		return odsi_wf_tfail(t, ODS_EINVAL, "arguments: %s",
		    why.msg[0] ? why.msg : "too large");
	return ODS_OK;
}

/*
 * http: config {url, method, body, headers} rendered, then the
 * http_request tool (HTTP_TOOL_ALLOWED_DOMAINS, the address policy:
 * loopback, private and link-local addresses refused unless
 * ODS_HTTP_TOOL_ALLOW lists them): {status, content_type, body, ...}.
 */
enum ods_err
odsi_wf_n_http(struct wf_task *t, struct ods_jw *jw)
{
	struct json_object	*hdr = ods_json_get(t->node->config, "headers");
	struct json_object	*h = NULL, *args = NULL;
	struct ods_buf		 b;
	struct ods_jw		 a;
	struct ods_why		 why;
	enum ods_err		 er;

	memset(&why, 0, sizeof(why));
	ods_buf_init(&b, 2 * ODS_WF_TMPL_MAX);
	ods_jw_init(&a, &b);
	ods_jw_obj(&a);
	er = put_rendered(t, &a, "url", cfg(t, "url"));
	if (er == ODS_OK)
		er = put_rendered(t, &a, "body", cfg(t, "body"));
	ods_jw_kstr(&a, "method", cfg(t, "method") ? cfg(t, "method") :
	    "GET");
	if (er == ODS_OK && hdr != NULL) {
		if ((er = ods_wf_render_json(hdr, &t->scope, &h, &why)) !=
		    ODS_OK)
			(void)odsi_wf_tfail(t, er, "headers: %s", why.msg);
		else {
			ods_jw_key(&a, "headers");
			ods_jw_raw(&a, ods_json_text(h),
			    strlen(ods_json_text(h)));
		}
	}
	ods_jw_end(&a);
	if (er == ODS_OK && (er = args_parse(t, &b, &args)) == ODS_OK)
		er = tool(t, "http_request", args, jw);
	ods_json_put(h);
	ods_json_put(args);
	ods_buf_free(&b);
	return er;
}

/*
 * database: one read-only statement (config.sql, rendered) on
 * config.source_id, which the creator must be able to read, through the
 * sql_query tool (its gate and limits): {columns, rows, ...}.
 */
enum ods_err
odsi_wf_n_database(struct wf_task *t, struct ods_jw *jw)
{
	struct json_object	*args = NULL;
	struct ods_buf		 b;
	struct ods_jw		 a;
	int64_t			 lim = 100;
	enum ods_err		 er;

	ods_buf_init(&b, 2 * ODS_WF_TMPL_MAX);
	ods_jw_init(&a, &b);
	ods_jw_obj(&a);
	ods_jw_kstr(&a, "source_id", cfg(t, "source_id"));
	er = put_rendered(t, &a, "sql", cfg(t, "sql"));
	if (ods_json_int(t->node->config, "limit", 0, 1, 100, &lim, NULL) !=
	    ODS_OK)
		lim = 100;
	ods_jw_kint(&a, "limit", lim);
	ods_jw_end(&a);
	if (er == ODS_OK && (er = args_parse(t, &b, &args)) == ODS_OK)
		er = tool(t, "sql_query", args, jw);
	ods_json_put(args);
	ods_buf_free(&b);
	return er;
}

/*
 * tool_call: a built-in tool or a stored user tool (config.tool) with
 * config.args rendered as JSON: {tool, result}.
 */
enum ods_err
odsi_wf_n_tool_call(struct wf_task *t, struct ods_jw *jw)
{
	struct json_object	*tmpl = ods_json_get(t->node->config, "args");
	struct json_object	*args = NULL;
	const char		*name = cfg(t, "tool");
	struct ods_why		 why;
	enum ods_err		 er;

	if (name == NULL)
		name = cfg(t, "tool_name");
	memset(&why, 0, sizeof(why));
	if (tmpl != NULL &&
	    (er = ods_wf_render_json(tmpl, &t->scope, &args, &why)) != ODS_OK)
		return odsi_wf_tfail(t, er, "args: %s", why.msg);
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "tool", name);
	ods_jw_key(jw, "result");
	er = tool(t, name, args, jw);
	ods_jw_end(jw);
	ods_json_put(args);
	return er;
}

/*
 * agent: an agent run (agent.h) on config.query (a template) or
 * input_from's text, as the creator, with config.agent_type, model,
 * max_iterations (default 5) and tools: {output, success, iterations,
 * tokens}.
 */
enum ods_err
odsi_wf_n_agent(struct wf_task *t, struct ods_jw *jw)
{
	const struct ods_wf_env	*env = odsi_wf_env(t);
	struct ods_agent_spec	 sp;
	struct ods_agent_result	 res;
	struct ods_agent_io	 io;
	struct ods_principal	 p;
	struct ods_tool_ctx	 tc;
	struct json_object	*v = NULL;
	struct ods_buf		 q;
	struct ods_why		 why;
	const char		*tools[ODS_AGENT_TOOLS_MAX];
	const char		*from = cfg(t, "input_from");
	const char		*type = cfg(t, "agent_type");
	size_t			 nt = 0;
	int64_t			 it = 5;
	enum ods_err		 er = ODS_OK;

	memset(&why, 0, sizeof(why));
	ods_buf_init(&q, ODS_AGENT_QUERY_MAX);
	if (cfg(t, "query") != NULL)
		er = odsi_wf_render(t, cfg(t, "query"), &q);
	else if ((er = odsi_wf_ref(t, from, &v)) == ODS_OK)
		as_text(v, &q);
	ods_json_put(v);
	if (er != ODS_OK) {
		ods_buf_free(&q);
		return er;
	}
	memset(&sp, 0, sizeof(sp));
	sp.query = q.data != NULL ? q.data : "";
	sp.type = type != NULL ? (enum ods_agent_type)ods_agent_type_parse(
	    type) : ODS_AGENT_FUNCTION_CALLING;
	sp.model = cfg(t, "model") ? cfg(t, "model") : env->conf != NULL ?
	    env->conf->default_chat_model : NULL;
	if (ods_json_int(t->node->config, "max_iterations", 0, 1,
	    ODS_AGENT_ITER_MAX, &it, NULL) != ODS_OK)
		it = 5;
	sp.max_iterations = (int)it;
	if (ods_json_strs(t->node->config, "tools", ODS_AGENT_TOOLS_MAX, 64,
	    tools, &nt, &why) == ODS_OK && nt > 0) {
		sp.tools = tools;
		sp.ntools = nt;
	}
	sp.max_tokens = env->conf != NULL ? env->conf->agent_max_tokens : 0;
	odsi_wf_tool_ctx(t, &tc);
	io_of(t, &p, &io);
	er = ods_agent_run(&tc, &sp, &io, &res, &why);
	if (er != ODS_OK)
		(void)odsi_wf_tfail(t, er, "agent: %s", res.error[0] ?
		    res.error : why.msg[0] ? why.msg : ods_strerror(er));
	else if (!res.success)
		er = odsi_wf_tfail(t, ODS_EUPSTREAM, "agent: %s", res.error);
	else {
		ods_jw_obj(jw);
		ods_jw_kstr(jw, "output", res.answer);
		ods_jw_kbool(jw, "success", res.success);
		ods_jw_kint(jw, "iterations", res.iterations);
		ods_jw_kint(jw, "tokens", res.tokens);
		ods_jw_end(jw);
	}
	ods_agent_result_fini(&res);
	ods_buf_free(&q);
	return er;
}
