/*
 * fcgi/proxy/h_openai.c — what every /v1 handler shares: the service's
 * context (its LLM client, made by the init hook), OpenAI-shaped errors,
 * body parsing and limit checks, forwarding a call, and its accounting.
 *
 * Non-streaming answers are sent as the upstream wrote them. A stream is
 * committed to the client only when the first complete event arrived, so
 * a backend that fails before that is replaced by the next one without
 * the client noticing; after that, a broken upstream ends the stream with
 * an error event in OpenAI's convention.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h_proxy.h"

#define SERVICE	"openai-proxy"

enum ods_err
h_proxy_init(const struct ods_req_env *env, void **ctx)
{
	struct h_proxy	*px = ods_xcalloc(1, sizeof(*px));

	px->llm = ods_llm_new(env->conf);
	/* Usage rows need the database; without one they are not kept. */
	if (env->db != NULL)
		px->usage = ods_llm_usage_new(env->conf);
	*ctx = px;
	return ODS_OK;
}

void
h_proxy_fini(void *ctx)
{
	struct h_proxy	*px = ctx;

	/* Workers leave with _exit: write the last usage rows first. */
	ods_llm_usage_free(px->usage);
	ods_llm_free(px->llm);
	free(px);
}

struct h_proxy *
h_proxy(struct ods_req *r)
{
	return ods_req_ctx(r);
}

struct ods_llm *
h_llm(struct ods_req *r)
{
	return h_proxy(r)->llm;
}

enum ods_status
h_openai_forward_error(struct ods_resp *w, enum ods_err er,
    const struct ods_llm_result *res, const char *model)
{
	if (er == ODS_EUPSTREAM && res->auth_refused)
		return ods_resp_openai_error(w, ods_err_http(ODS_EUPSTREAM),
		    NULL, "upstream_auth_error", NULL, "The model backend "
		    "refused the proxy's credentials; tell the operator.");
	return h_openai_llm_error(w, er, model);
}

/*
 * An ods_llm error as an OpenAI error. The status is the one map's,
 * ods_err_http(); only the wording and the OpenAI code are chosen here.
 * ODS_EIO from the LLM client means the client went away mid-request:
 * nothing reaches it, and it is logged as a 400 (the caller's doing).
 */
enum ods_status
h_openai_llm_error(struct ods_resp *w, enum ods_err er, const char *model)
{
	char		 msg[512];
	const char	*code, *param = NULL, *type = NULL;

	switch (er) {
	case ODS_ENOTFOUND:
		snprintf(msg, sizeof(msg), "The model '%s' does not exist or "
		    "you do not have access to it.", model);
		code = "model_not_found";
		param = "model";
		type = "invalid_request_error";	/* as OpenAI's own */
		break;
	case ODS_ETIMEOUT:
		code = "upstream_timeout";
		snprintf(msg, sizeof(msg), "The model backend did not answer "
		    "in time.");
		break;
	case ODS_EUPSTREAM:
		code = "upstream_error";
		snprintf(msg, sizeof(msg), "The model backend failed.");
		break;
	case ODS_ETOOBIG:
		code = "request_too_large";
		snprintf(msg, sizeof(msg), "The request or the answer is too "
		    "large.");
		break;
	case ODS_EIO:
		return ods_resp_openai_error(w, ods_err_http(ODS_EINVAL),
		    NULL, "client_closed", NULL, "The client went away.");
	default:
		er = ODS_EUNAVAIL;
		code = "backend_unavailable";
		snprintf(msg, sizeof(msg), "No model backend is available for "
		    "this request; try again later.");
		break;
	}
	return ods_resp_openai_error(w, ods_err_http(er), type, code, param,
	    msg);
}

/* 403 or 429 from ods_llm_limits_check. */
static enum ods_status
limit_error(struct ods_resp *w, enum ods_err er, int retry_after, int quota,
    const char *why)
{
	char	ra[16];

	if (er == ODS_EFORBIDDEN)
		return ods_resp_openai_error(w, 403, "permission_error",
		    "model_not_allowed", "model", why);
	if (retry_after > 0) {
		snprintf(ra, sizeof(ra), "%d", retry_after);
		(void)ods_resp_header(w, "Retry-After", ra);
	}
	if (quota)
		return ods_resp_openai_error(w, 429, "insufficient_quota",
		    "insufficient_quota", NULL, why);
	return ods_resp_openai_error(w, 429, "tokens", "rate_limit_exceeded", NULL,
	    why);
}

static enum ods_status
body_error(struct ods_resp *w, enum ods_err er, const struct ods_why *e)
{
	char	msg[320];

	if (er == ODS_ETOOBIG)
		return ods_resp_openai_error(w, 413, "invalid_request_error",
		    "request_too_large", NULL, "The request body is too large.");
	if (er == ODS_EIO)
		return h_openai_llm_error(w, ODS_EIO, NULL);
	snprintf(msg, sizeof(msg), "We could not parse the JSON body of your "
	    "request: %s", e->msg);
	return ods_resp_openai_error(w, 400, "invalid_request_error", "invalid_json",
	    NULL, msg);
}

enum ods_status
h_begin(struct ods_req *r, struct ods_resp *w, enum ods_llm_op op,
    struct json_object **o, struct ods_llm_prep *p,
    struct ods_llm_hold *hold, int *ok)
{
	struct ods_llm		*llm = h_llm(r);
	struct ods_why		 e, why;
	const char		*body;
	size_t			 len;
	enum ods_status		 st;
	enum ods_err		 er;
	int			 ra, quota;

	*ok = 0;
	memset(hold, 0, sizeof(*hold));
	memset(&e, 0, sizeof(e));
	if ((er = ods_req_json(r, o, &e)) != ODS_OK ||
	    (er = ods_req_body(r, &body, &len)) != ODS_OK)
		return body_error(w, er, &e);
	if (op == ODS_LLM_CHAT && ods_json_is_obj(*o) &&
	    !h_templates_apply(r, w, *o, &body, &len, &st))
		return st;
	if (ods_llm_prepare(llm, op, *o, body, len, p, &why) != ODS_OK)
		return ods_resp_openai_error(w, 400, "invalid_request_error",
		    "invalid_request", *why.field != '\0' ? why.field : NULL,
		    why.msg);
	/* Held before the call, so parallel calls see each other. */
	er = ods_llm_limits_reserve(ods_req_redis(r), ods_req_db(r),
	    ods_req_env(r)->conf, ods_req_principal(r), p->model,
	    p->prompt_estimate + p->completion_estimate, hold, &ra, &quota,
	    &why);
	if (er != ODS_OK) {
		ods_llm_prep_fini(p);
		return limit_error(w, er, ra, quota, why.msg);
	}
	*ok = 1;
	return ODS_HTTP_200;
}

static void
copy(char *dst, size_t n, const char *s)
{
	snprintf(dst, n, "%s", s != NULL ? s : "");
}

void
h_account(struct ods_req *r, const struct h_call *c)
{
	const struct ods_principal	*p = ods_req_principal(r);
	const struct ods_req_env	*env = ods_req_env(r);
	struct ods_llm_usage_rec	 u;

	/* A made-up model name is "other": the label space is capped. */
	ods_metrics_ai(SERVICE, ods_llm_metric_model(h_llm(r), c->model),
	    c->outcome, c->seconds, (uint64_t)c->prompt_tokens,
	    (uint64_t)c->completion_tokens);
	ods_llm_limits_settle(ods_req_redis(r), c->hold,
	    c->prompt_tokens + c->completion_tokens);
	memset(&u, 0, sizeof(u));
	copy(u.request_id, sizeof(u.request_id), ods_req_id(r));
	if (p != NULL) {
		copy(u.key_id, sizeof(u.key_id), p->key_id);
		copy(u.user_id, sizeof(u.user_id), p->user_id);
	}
	copy(u.endpoint, sizeof(u.endpoint), c->endpoint);
	copy(u.model, sizeof(u.model), c->model);
	copy(u.backend, sizeof(u.backend), c->backend);
	u.stream = c->stream;
	u.prompt_tokens = c->prompt_tokens;
	u.completion_tokens = c->completion_tokens;
	u.latency_ms = (int)(c->seconds * 1000.0 + 0.5);
	u.status = c->status;
	if (ods_req_db(r) == NULL)
		return;
	ods_llm_usage_record(h_proxy(r)->usage, &u);
	/* Workers leave with _exit: write the last rows while draining. */
	if (env->draining != NULL && *env->draining)
		ods_llm_usage_flush(h_proxy(r)->usage);
}

#define STREAM_ERROR	"data: {\"error\":{\"message\":\"The model backend " \
			"failed during the stream.\",\"type\":\"api_error\"," \
			"\"param\":null,\"code\":\"upstream_error\"}}\n\n"
#define STREAM_TIMEOUT	"data: {\"error\":{\"message\":\"The model backend " \
			"stopped sending during the stream.\",\"type\":" \
			"\"api_error\",\"param\":null,\"code\":" \
			"\"upstream_timeout\"}}\n\n"

static int
sink_start(void *arg, int status, const char *ctype)
{
	return ods_resp_stream_begin(arg, (enum ods_status)status, ctype) !=
	    ODS_OK;
}

static int
sink_event(void *arg, const char *ev, size_t len)
{
	return ods_resp_stream_write(arg, ev, len) != ODS_OK;
}

/* The answer of a call that returned ODS_OK. */
static enum ods_status
answer(struct ods_resp *w, const struct ods_llm_result *res,
    struct h_call *c)
{
	const char	*ev;

	if (res->started) {
		c->status = 200;
		if (res->err == ODS_OK || res->err == ODS_EIO) {
			c->outcome = res->err == ODS_OK ? "success" : "error";
			return ODS_HTTP_200;
		}
		c->outcome = res->err == ODS_ETIMEOUT ? "timeout" : "error";
		ev = res->err == ODS_ETIMEOUT ? STREAM_TIMEOUT : STREAM_ERROR;
		if (ods_resp_stream_write(w, ev, strlen(ev)) != ODS_OK)
			c->outcome = "error";	/* the client left too */
		return ODS_HTTP_200;
	}
	c->status = res->status;
	c->outcome = res->status < 400 ? "success" : "error";
	return ods_resp_raw(w, (enum ods_status)res->status,
	    *res->ctype != '\0' ? res->ctype : "application/json",
	    res->body.data != NULL ? res->body.data : "", res->body.len);
}

enum ods_status
h_forward(struct ods_req *r, struct ods_resp *w, enum ods_llm_op op,
    const char *endpoint)
{
	struct ods_llm		*llm = h_llm(r);
	struct ods_llm_sink	 sink = { .start = sink_start,
				     .event = sink_event, .arg = w,
				     .progress = ods_worker_progress };
	struct json_object	*o = NULL;
	struct ods_llm_prep	 p;
	struct ods_llm_result	 res;
	struct ods_llm_usage	 cost;
	struct ods_llm_hold	 hold;
	struct h_call		 c;
	enum ods_status		 st;
	enum ods_err		 er;
	int			 ok;

	st = h_begin(r, w, op, &o, &p, &hold, &ok);
	if (!ok)
		return st;
	/* A stream holds its thread for its whole life: not an accept slot. */
	if (p.stream)
		ods_worker_long();
	er = ods_llm_forward(llm, &p, p.stream ? &sink : NULL, &res);
	ods_llm_billed(&p, er, &res, &cost);
	memset(&c, 0, sizeof(c));
	c.endpoint = endpoint;
	c.model = p.model;
	c.backend = res.backend;
	c.stream = p.stream;
	c.prompt_tokens = cost.prompt_tokens;
	c.completion_tokens = cost.completion_tokens;
	c.seconds = res.total_s;
	c.hold = &hold;
	if (er == ODS_OK)
		st = answer(w, &res, &c);
	else {
		st = h_openai_forward_error(w, er, &res, p.model);
		c.status = (int)st;
		c.outcome = er == ODS_ETIMEOUT ? "timeout" : "error";
	}
	h_account(r, &c);
	ods_llm_result_fini(&res);
	ods_llm_prep_fini(&p);
	return st;
}
