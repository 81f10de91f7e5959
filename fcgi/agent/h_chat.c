/*
 * fcgi/agent/h_chat.c — POST /chat and h_chat_call, the model call that
 * /chat and the apps' chat endpoints share (h_chat.h).
 */
#include "config.h"

#include <sys/types.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ods.h"
#include "../../svc/agent/conv.h"
#include "../../svc/agent/kb.h"
#include "../../svc/agent/rag.h"
#include "../common/h_auth.h"
#include "h_agent.h"
#include "h_chat.h"
#include "h_sse.h"

#define MESSAGE_MAX	10000		/* characters of a /chat message */
#define GROUND_K	5		/* passages a grounded answer gets */
#define ANSWER_KEEP	ODS_CONV_MSG_MAX	/* bytes of an answer stored */

/* One call's state. */
struct chat_run {
	struct ods_req			*r;
	struct ods_resp			*w;
	const struct h_chat_call	*c;
	const char			*msgs;	/* grounded or c's */
	char				*sources; /* JSON text or NULL */
	struct ods_llm_opts		 opts;
	struct ods_llm_usage		 u;
	struct ods_llm_hold		 hold;
	struct ods_buf			 answer;
	struct h_sse			 sse;
	char				 message_id[64];
	double				 t0;
	int				 status;
	int				 ready_done;
	enum ods_err			 ready_er;
};

/* c->ready, once. */
static enum ods_err
call_ready(struct chat_run *cr)
{
	if (!cr->ready_done) {
		cr->ready_done = 1;
		if (cr->c->ready != NULL)
			cr->ready_er = cr->c->ready(cr->c->ready_arg);
	}
	return cr->ready_er;
}

/* An error in the call's shape. */
static enum ods_status
fail(struct chat_run *cr, enum ods_err er, const char *code,
    const char *field, const char *msg)
{
	struct ods_error	e;

	if (cr->c->shape == H_CHAT_OPENAI)
		return ods_resp_openai_error(cr->w, ods_err_http(er), NULL,
		    code, field, msg);
	memset(&e, 0, sizeof(e));
	e.err = er;
	e.slug = code;
	e.msg = msg;
	if (field != NULL)
		snprintf(e.field, sizeof(e.field), "%s", field);
	if (er == ODS_EINVAL)
		e.code = ODS_C_INVALID_FIELD;
	return ods_resp_fail(cr->w, &e);
}

/* The model failed before any answer: 502, 503 or 504. */
static enum ods_status
model_error(struct chat_run *cr, enum ods_err er)
{
	if (er == ODS_EINVAL || er == ODS_ENOTFOUND || er == ODS_EIO)
		er = ODS_EUPSTREAM;
	if (cr->c->shape == H_CHAT_WEB)
		return h_llm_error(cr->w, er);
	return fail(cr, er, er == ODS_ETIMEOUT ? "upstream_timeout" :
	    er == ODS_EUPSTREAM ? "upstream_error" : "backend_unavailable",
	    NULL, "The chat model did not answer.");
}

/* What had to be durable before the answer is not: 5xx, nothing sent. */
static enum ods_status
not_ready(struct chat_run *cr)
{
	return fail(cr, cr->ready_er == ODS_EINVAL ? ODS_EUNAVAIL :
	    cr->ready_er, "not_stored", NULL, "the message could not be "
	    "stored; try again");
}

/*
 * The knowledge bases of the call into kbs: c->kb_id seen as the caller,
 * or c->kb_ids whoever owns them. Sends the error itself (-1).
 */
static ssize_t
ground_kbs(struct chat_run *cr, struct ods_kb **kbs, enum ods_status *hs)
{
	const struct h_chat_call	*c = cr->c;
	size_t				 i, n = 0;
	enum ods_err			 er;

	if (c->kb_id != NULL && *c->kb_id != '\0') {
		if ((kbs[0] = h_kb_of(cr->r, cr->w, c->kb_id, NULL, 0, hs)) ==
		    NULL)
			return -1;
		return 1;
	}
	for (i = 0; i < c->nkbs && n < H_CHAT_KB_MAX; i++) {
		er = ods_kb_get(ods_req_db(cr->r), c->kb_ids[i], NULL,
		    &kbs[n]);
		if (er == ODS_OK)
			n++;
		else if (er == ODS_ENOTFOUND)
			ods_log(ODS_LOG_WARN, "chat_kb_gone kb=%s",
			    c->kb_ids[i]);
		else {
			while (n > 0)
				ods_kb_free(kbs[--n]);
			*hs = fail(cr, er, "retrieval_failed", NULL,
			    "could not read the knowledge base");
			return -1;
		}
	}
	return (ssize_t)n;
}

/*
 * With knowledge bases: retrieve for the query and put the passages
 * before the messages; cr->sources lists them. Sends the error itself
 * (0).
 */
static int
ground(struct chat_run *cr, char **grounded, enum ods_status *hs)
{
	struct ods_rag_query	 q;
	struct ods_rag_hit	*hits = NULL;
	struct ods_kb		*kbs[H_CHAT_KB_MAX];
	struct ods_why		 why;
	struct ods_buf		 b;
	struct ods_jw		 jw;
	ssize_t			 nk;
	size_t			 n = 0;
	enum ods_err		 er;

	if ((nk = ground_kbs(cr, kbs, hs)) <= 0)
		return nk == 0;
	ods_rag_query_init(&q);
	q.text = cr->c->query != NULL ? cr->c->query : "";
	q.top_k = GROUND_K;
	memset(&why, 0, sizeof(why));
	er = ods_rag_retrieve_many(h_agent(cr->r)->rag, kbs, (size_t)nk, &q,
	    &hits, &n, &why);
	while (nk > 0)
		ods_kb_free(kbs[--nk]);
	if (er == ODS_OK)
		er = ods_rag_ground(cr->c->messages_json, hits, n, grounded);
	if (er == ODS_OK) {
		ods_buf_init(&b, (size_t)1 << 20);
		ods_jw_init(&jw, &b);
		ods_rag_sources_json(&jw, hits, n);
		if (ods_jw_error(&jw) == ODS_OK &&
		    ods_buf_add(&b, "", 1) == ODS_OK)
			cr->sources = ods_buf_take(&b, NULL);
		else
			ods_buf_free(&b);
	}
	ods_rag_hits_free(hits, n);
	if (er != ODS_OK) {
		*hs = er == ODS_EINVAL ? fail(cr, er, "invalid_field",
		    "messages", "the messages are not a JSON array") :
		    fail(cr, er, "retrieval_failed", NULL,
		    "retrieval from the knowledge base failed");
		return 0;
	}
	return 1;
}

/* Reserve the caller's limits for the call; sends 403/429 itself. */
static int
reserve(struct chat_run *cr, enum ods_status *hs)
{
	const struct ods_conf	*conf = ods_req_conf(cr->r);
	struct ods_why		 why;
	char			 ra[16];
	int64_t			 est;
	int			 retry = 0, quota = 0;
	enum ods_err		 er;

	memset(&why, 0, sizeof(why));
	est = (int64_t)(strlen(cr->msgs) / 4 + 1) + (cr->c->max_tokens > 0 ?
	    cr->c->max_tokens : conf->llm_estimate_tokens);
	er = ods_llm_limits_reserve(ods_req_redis(cr->r), ods_req_db(cr->r),
	    conf, ods_req_principal(cr->r), cr->c->model, est, &cr->hold,
	    &retry, &quota, &why);
	if (er == ODS_OK)
		return 1;
	if (retry > 0) {
		snprintf(ra, sizeof(ra), "%d", retry);
		(void)ods_resp_header(cr->w, "Retry-After", ra);
	}
	if (er == ODS_EFORBIDDEN)
		*hs = fail(cr, er, "model_not_allowed", "model", why.msg);
	else
		*hs = fail(cr, ODS_ELIMIT, quota ? "insufficient_quota" :
		    "rate_limit_exceeded", NULL, why.msg);
	return 0;
}

/* Keep the answer (content as produced) through the caller's store. */
static void
keep(struct chat_run *cr, const char *content, size_t len,
    const char *status)
{
	if (cr->c->store == NULL || call_ready(cr) != ODS_OK)
		return;
	if (len > ANSWER_KEEP)
		len = ANSWER_KEEP;
	if (cr->c->store(cr->c->store_arg, content, len, status, &cr->u,
	    cr->sources, cr->message_id) != ODS_OK) {
		ods_log(ODS_LOG_ERR, "chat_answer_not_stored status=%s",
		    status);
		*cr->message_id = '\0';
	}
}

static void
web_fields(struct chat_run *cr, struct ods_jw *jw)
{
	ods_jw_kstr(jw, "message_id", *cr->message_id != '\0' ?
	    cr->message_id : NULL);
	ods_jw_kstr(jw, "conversation_id", cr->c->conversation_id);
	ods_jw_kstr(jw, "model", cr->c->model);
	h_usage_json(jw, &cr->u);
	if (cr->sources != NULL) {
		ods_jw_key(jw, "sources");
		ods_jw_raw(jw, cr->sources, strlen(cr->sources));
	}
}

static enum ods_status
answer_whole(struct chat_run *cr, const char *content)
{
	struct ods_jw	*jw;

	if (cr->c->shape == H_CHAT_WEB) {
		jw = ods_resp_envelope(cr->w, ODS_HTTP_200, NULL);
		ods_jw_obj(jw);
		ods_jw_kstr(jw, "reply", content);
		ods_jw_kstr(jw, "content", content);
		web_fields(cr, jw);
		ods_jw_end(jw);
		return ods_resp_send(cr->w);
	}
	jw = ods_resp_json(cr->w, ODS_HTTP_200);
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "id", cr->sse.id);
	ods_jw_kstr(jw, "object", "chat.completion");
	ods_jw_kint(jw, "created", (int64_t)time(NULL));
	ods_jw_kstr(jw, "model", cr->c->model);
	ods_jw_key(jw, "choices");
	ods_jw_arr(jw);
	ods_jw_obj(jw);
	ods_jw_kint(jw, "index", 0);
	ods_jw_key(jw, "message");
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "role", "assistant");
	ods_jw_kstr(jw, "content", content);
	ods_jw_end(jw);
	ods_jw_kstr(jw, "finish_reason", "stop");
	ods_jw_end(jw);
	ods_jw_end(jw);
	h_usage_json(jw, &cr->u);
	ods_jw_end(jw);
	return ods_resp_send(cr->w);
}

static enum ods_err
run_whole(struct chat_run *cr, enum ods_status *hs)
{
	char		*content = NULL;
	enum ods_err	 er;

	er = ods_llm_chat(h_agent(cr->r)->llm, cr->c->model, cr->msgs,
	    &cr->opts, &content, &cr->u);
	if (call_ready(cr) != ODS_OK) {
		free(content);
		*hs = not_ready(cr);
		return cr->ready_er;
	}
	if (er != ODS_OK) {
		*hs = model_error(cr, er);
		return er;
	}
	keep(cr, content, strlen(content), "complete");
	*hs = answer_whole(cr, content);
	free(content);
	return ODS_OK;
}

/* Each piece: kept for the store, then framed. */
static int
on_delta(void *arg, const char *text, size_t len, const char *chunk,
    size_t clen)
{
	struct chat_run	*cr = arg;

	/* Nothing goes out before what must be durable is. */
	if (!cr->sse.begun && call_ready(cr) != ODS_OK)
		return 1;

	/* Past the cap the rest is sent, not kept. */
	if (cr->answer.len + len <= ANSWER_KEEP &&
	    ods_buf_add(&cr->answer, text, len) != ODS_OK)
		ods_log(ODS_LOG_DEBUG, "chat_answer_not_kept");
	return h_sse_delta(&cr->sse, text, len, chunk, clen);
}

static int
on_gone(void *arg)
{
	struct chat_run	*cr = arg;

	return h_sse_gone(&cr->sse);
}

/* The last frame of a stream that ended well. */
static void
stream_done(struct chat_run *cr)
{
	struct ods_jw	*jw;

	if ((jw = h_sse_open(&cr->sse)) == NULL)
		return;
	if (cr->c->shape == H_CHAT_WEB)
		web_fields(cr, jw);
	else {
		ods_jw_kstr(jw, "id", cr->sse.id);
		ods_jw_kstr(jw, "object", "chat.completion.chunk");
		ods_jw_kint(jw, "created", cr->sse.created);
		ods_jw_kstr(jw, "model", cr->c->model);
		ods_jw_key(jw, "choices");
		ods_jw_arr(jw);
		ods_jw_end(jw);
		h_usage_json(jw, &cr->u);
	}
	(void)h_sse_close(&cr->sse);
}

static enum ods_err
run_stream(struct chat_run *cr, enum ods_status *hs)
{
	struct ods_llm_chat_sink	cs;
	enum ods_err			er;
	int				started = 0;

	memset(&cs, 0, sizeof(cs));
	cs.delta = on_delta;
	cs.client_gone = on_gone;
	cs.arg = cr;
	cs.progress = ods_worker_progress;
	er = ods_llm_chat_stream(h_agent(cr->r)->llm, cr->c->model, cr->msgs,
	    &cr->opts, &cs, &started, &cr->u);
	if (!cr->sse.begun) {
		if (call_ready(cr) != ODS_OK) {
			*hs = not_ready(cr);
			return cr->ready_er;
		}
		if (er == ODS_OK)	/* an empty answer: still a stream */
			goto done;
		*hs = model_error(cr, er);
		return er;
	}
done:
	*hs = ODS_HTTP_200;
	keep(cr, cr->answer.data != NULL ? cr->answer.data : "",
	    cr->answer.len, er == ODS_OK ? "complete" : "partial");
	if (er == ODS_OK)
		stream_done(cr);
	else
		h_sse_error(&cr->sse, er);
	return er;
}

static void
account(struct chat_run *cr, enum ods_err er, enum ods_status hs)
{
	struct h_llm_call	c;
	double			dt = ods_now_sec() - cr->t0;

	ods_llm_limits_settle(ods_req_redis(cr->r), &cr->hold,
	    cr->u.prompt_tokens + cr->u.completion_tokens);
	memset(&c, 0, sizeof(c));
	c.endpoint = cr->c->app_id != NULL ? "/apps/chat" : "/chat";
	c.model = cr->c->model;
	c.app_id = cr->c->app_id;
	c.end_user = cr->c->end_user;
	c.er = er;
	c.status = cr->sse.begun ? 200 : (int)hs;
	c.stream = cr->c->stream;
	c.usage = &cr->u;
	c.seconds = dt;
	h_agent_account(cr->r, &c);
	ods_metrics_business("chat", er == ODS_OK ? "success" : "error", dt);
}

enum ods_status
h_chat_call(struct ods_req *r, struct ods_resp *w, const struct h_chat_call *c)
{
	struct chat_run	 cr;
	char		*grounded = NULL;
	enum ods_status	 hs = ODS_HTTP_200;
	enum ods_err	 er = ODS_EINVAL;

	memset(&cr, 0, sizeof(cr));
	cr.r = r;
	cr.w = w;
	cr.c = c;
	cr.t0 = ods_now_sec();
	cr.msgs = c->messages_json;
	ods_llm_opts_init(&cr.opts);
	cr.opts.temperature = c->temperature;
	cr.opts.max_tokens = c->max_tokens;
	cr.opts.user = c->end_user;
	ods_buf_init(&cr.answer, ANSWER_KEEP + 1);
	h_sse_init(&cr.sse, r, w, c->shape == H_CHAT_WEB ? H_SSE_WEB :
	    H_SSE_OPENAI, c->model);
	if (c->model == NULL || *c->model == '\0' || c->messages_json == NULL) {
		hs = fail(&cr, ODS_EINVAL, "invalid_field", "model",
		    "a model is required (or DEFAULT_CHAT_MODEL)");
		goto out;
	}
	if (!ods_llm_model_known(h_agent(r)->llm, c->model)) {
		hs = fail(&cr, ODS_EINVAL, "model_not_found", "model",
		    "no backend serves that model");
		goto out;
	}
	if ((c->kb_id != NULL && *c->kb_id != '\0') || c->nkbs > 0) {
		if (!ground(&cr, &grounded, &hs))
			goto out;
		if (grounded != NULL)
			cr.msgs = grounded;
	}
	if (!reserve(&cr, &hs))
		goto out;
	/* A model call holds its thread: not an accept slot. */
	ods_worker_long();
	er = c->stream ? run_stream(&cr, &hs) : run_whole(&cr, &hs);
	account(&cr, er, hs);
out:
	(void)call_ready(&cr);	/* at the latest */
	h_sse_fini(&cr.sse);
	ods_buf_free(&cr.answer);
	free(cr.sources);
	free(grounded);
	return hs;
}

/* ---- POST /chat ---- */

struct chat_req {
	const char	*message;
	const char	*conversation_id;
	const char	*model;
	const char	*system_prompt;
	const char	*kb_id;
	double		 temperature;
	int64_t		 max_tokens;
	int		 stream;
};

/* Characters (not bytes) of UTF-8 text. */
static size_t
chars(const char *s)
{
	size_t	n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

static enum ods_err
chat_parse(struct ods_req *r, struct chat_req *q, struct ods_why *why)
{
	struct json_object	*o = NULL;
	enum ods_err		 er;

	memset(q, 0, sizeof(*q));
	q->temperature = -1;
	if ((er = ods_req_json(r, &o, why)) != ODS_OK)
		return er;
#define OPT(e) if ((er = (e)) != ODS_OK && er != ODS_ENOTFOUND) return er
	OPT(ods_json_str(o, "message", 0, 4 * MESSAGE_MAX, &q->message, why));
	OPT(ods_json_str(o, "conversation_id", 0, 64, &q->conversation_id,
	    why));
	OPT(ods_json_str(o, "model", 0, ODS_CONV_MODEL_MAX, &q->model, why));
	OPT(ods_json_str(o, "system_prompt", 0, ODS_CONV_SYSTEM_MAX,
	    &q->system_prompt, why));
	OPT(ods_json_str(o, "knowledge_base_id", 0, 64, &q->kb_id, why));
	OPT(ods_json_num(o, "temperature", 0, 0, 2, &q->temperature, why));
	OPT(ods_json_int(o, "max_tokens", 0, 1, 32000, &q->max_tokens, why));
	OPT(ods_json_bool(o, "stream", 0, &q->stream, why));
#undef OPT
	if (q->message == NULL || *q->message == '\0') {
		ods_why_set(why, "message", "message is required");
		return ODS_EINVAL;
	}
	if (chars(q->message) > MESSAGE_MAX) {
		ods_why_set(why, "message", "message has at most %d "
		    "characters", MESSAGE_MAX);
		return ODS_EINVAL;
	}
	return ODS_OK;
}

/*
 * One /chat's conversation and the writes of its two messages. The
 * user's message (with the conversation, when it is new) is written by a
 * thread of its own while the model starts on the prompt, which is built
 * without it; h_chat_call's ready hook waits for that commit before the
 * first byte of the answer leaves, so an acknowledged message is durable
 * and the commit's flush is not added to the time to the first token.
 */
struct chat_store {
	struct ods_db		*db;
	struct ods_conv		*conv;	/* NULL until a new one is made */
	const char		*model;
	double			 t0;
	/* The user's message, and its writer. */
	const char		*owner;
	struct ods_conv_spec	 spec;	/* create: spec.id set */
	struct ods_msg_spec	 m;
	char			 msg_id[64];
	pthread_t		 th;
	int			 running;
	enum ods_err		 er;
};

static void
store_user_now(struct chat_store *st)
{
	if (st->conv == NULL)
		st->er = ods_conv_create(st->db, &st->spec, st->owner, &st->m,
		    st->msg_id, &st->conv);
	else
		st->er = ods_msg_add(st->db, st->conv, &st->m, st->msg_id);
	if (st->er != ODS_OK)
		ods_log(ODS_LOG_ERR, "chat_message_not_stored err=%s",
		    ods_strerror(st->er));
}

static void *
store_user_main(void *arg)
{
	store_user_now(arg);
	return NULL;
}

/* Start the user's message on its way (in this thread if none starts). */
static void
store_user(struct chat_store *st)
{
	st->running = pthread_create(&st->th, NULL, store_user_main, st) == 0;
	if (!st->running)
		store_user_now(st);
}

/* h_chat_call's ready hook: the user's message is stored. */
static enum ods_err
user_stored(void *arg)
{
	struct chat_store	*st = arg;

	if (st->running) {
		(void)pthread_join(st->th, NULL);
		st->running = 0;
	}
	return st->er;
}

/* The store of h_chat_call: the assistant's message. */
static enum ods_err
store_answer(void *arg, const char *content, size_t len, const char *status,
    const struct ods_llm_usage *u, const char *sources, char message_id[64])
{
	struct chat_store	*cs = arg;
	struct ods_msg_spec	 m;

	memset(&m, 0, sizeof(m));
	m.role = "assistant";
	m.content = content;
	m.len = len;
	m.model = cs->model;
	m.status = status;
	m.sources = sources;
	m.prompt_tokens = u->prompt_tokens;
	m.completion_tokens = u->completion_tokens;
	m.latency_ms = (int64_t)((ods_now_sec() - cs->t0) * 1000);
	return ods_msg_add(cs->db, cs->conv, &m, message_id);
}

/*
 * The request's conversation when it names one: the caller's own (even
 * for an admin), or an app's, owned by app->owner and of that app. Sends
 * the error itself (NULL).
 */
static struct ods_conv *
chat_conv(struct ods_req *r, struct ods_resp *w, const struct chat_req *q,
    const struct h_chat_app *app, enum ods_status *hs)
{
	struct ods_conv		*c = NULL;
	const char		*owner = app != NULL ? app->owner : h_user(r);
	enum ods_err		 er;

	er = ods_conv_get(ods_req_db(r), q->conversation_id, owner, &c);
	/* An app's conversations are its own; /chat's are no app's. */
	if (er == ODS_OK && (app != NULL ? c->app_id == NULL ||
	    strcmp(c->app_id, app->app_id) != 0 : c->app_id != NULL)) {
		ods_conv_free(c);
		c = NULL;
		er = ODS_ENOTFOUND;
	}
	if (er == ODS_ENOTFOUND)
		*hs = ods_resp_error_ex(w, er, ODS_C_ENTITY_NOT_FOUND,
		    "not_found", "no such conversation");
	else if (er != ODS_OK)
		*hs = ods_resp_error(w, er, "could not read the conversation");
	return c;
}

enum ods_status
h_chat_conv(struct ods_req *r, struct ods_resp *w, const struct h_chat_app *app)
{
	struct chat_req		 q;
	struct h_chat_call	 call;
	struct chat_store	 st;
	struct ods_why		 why;
	const char		*system;
	char			*msgs = NULL, conv_id[32];
	int64_t			 budget;
	enum ods_status		 hs = ODS_HTTP_500;
	enum ods_err		 er;

	memset(&why, 0, sizeof(why));
	if ((er = chat_parse(r, &q, &why)) != ODS_OK)
		return ods_resp_input_error(w, er, &why);
	if (app != NULL) {	/* the app's settings, not the caller's */
		q.model = app->model;
		q.system_prompt = NULL;
		q.kb_id = NULL;
		if (app->temperature >= 0)
			q.temperature = app->temperature;
		if (app->max_tokens > 0 && (q.max_tokens == 0 ||
		    q.max_tokens > app->max_tokens))
			q.max_tokens = app->max_tokens;
	}
	memset(&st, 0, sizeof(st));
	st.t0 = ods_now_sec();
	st.db = ods_req_db(r);
	st.owner = app != NULL ? app->owner : h_user(r);
	/* The user's message is kept whatever the model does. */
	st.m.role = "user";
	st.m.content = q.message;
	st.m.len = strlen(q.message);
	st.m.latency_ms = -1;
	if (q.conversation_id != NULL && *q.conversation_id != '\0') {
		if ((st.conv = chat_conv(r, w, &q, app, &hs)) == NULL)
			return hs;
		snprintf(conv_id, sizeof(conv_id), "%s",
		    st.conv->conversation_id);
	} else {
		ods_conv_new_id(conv_id);
		st.spec.id = conv_id;
		st.spec.model = q.model;
		st.spec.system_prompt = q.system_prompt;
		st.spec.knowledge_base_id = q.kb_id;
		st.spec.app_id = app != NULL ? app->app_id : NULL;
	}
	memset(&call, 0, sizeof(call));
	call.shape = H_CHAT_WEB;
	call.model = q.model != NULL ? q.model : st.conv != NULL &&
	    st.conv->model != NULL ? st.conv->model :
	    ods_req_conf(r)->default_chat_model;
	system = app != NULL ? app->system_prompt : q.system_prompt != NULL ?
	    q.system_prompt : st.conv != NULL ? st.conv->system_prompt : NULL;
	budget = ods_req_conf(r)->chat_history_tokens - q.max_tokens;
	/* The history as it was, then this message (not stored yet). */
	er = ods_conv_prompt(st.db, st.conv != NULL ?
	    st.conv->conversation_id : NULL, system, q.message,
	    budget > 0 ? budget : 1, &msgs, NULL);
	if (er != ODS_OK) {
		hs = ods_resp_error(w, er, "could not read the conversation");
		goto out;
	}
	call.messages_json = msgs;
	call.temperature = q.temperature;
	call.max_tokens = (int)q.max_tokens;
	call.stream = q.stream;
	if (app != NULL) {
		call.kb_ids = app->kb_ids;
		call.nkbs = app->nkbs;
		call.app_id = app->app_id;
		call.end_user = app->end_user;
	} else
		call.kb_id = q.kb_id != NULL ? q.kb_id : st.conv != NULL ?
		    st.conv->knowledge_base_id : NULL;
	call.query = q.message;
	call.conversation_id = conv_id;
	st.model = call.model;
	call.store = store_answer;
	call.store_arg = &st;
	call.ready = user_stored;
	call.ready_arg = &st;
	store_user(&st);
	hs = h_chat_call(r, w, &call);
out:
	(void)user_stored(&st);
	free(msgs);
	ods_conv_free(st.conv);
	return hs;
}

enum ods_status
h_chat(struct ods_req *r, struct ods_resp *w)
{
	return h_chat_conv(r, w, NULL);
}
