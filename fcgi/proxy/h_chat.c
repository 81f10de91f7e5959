/*
 * fcgi/proxy/h_chat.c — POST /v1/chat/completions and /v1/completions.
 *
 * Non-streaming answers are sent as the upstream wrote them. A stream is
 * committed to the client only when the first complete event arrived, so
 * a backend that fails before that is replaced by the next one without
 * the client noticing; after that, a broken upstream ends the stream with
 * an error event in OpenAI's convention.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "h_proxy.h"

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

static enum ods_status
call(struct ods_req *r, struct ods_resp *w, enum ods_llm_op op,
    const char *endpoint)
{
	struct ods_llm		*llm = ods_llm_process(ods_req_conf(r));
	struct ods_llm_sink	 sink = { .start = sink_start,
				     .event = sink_event, .arg = w,
				     .progress = ods_worker_progress };
	struct json_object	*o = NULL;
	struct ods_llm_prep	 p;
	struct ods_llm_result	 res;
	struct h_call		 c;
	enum ods_status		 st;
	enum ods_err		 er;
	int			 ok;

	st = h_begin(r, w, op, &o, &p, &ok);
	if (!ok)
		return st;
	er = ods_llm_forward(llm, &p, p.stream ? &sink : NULL, &res);
	memset(&c, 0, sizeof(c));
	c.endpoint = endpoint;
	c.model = p.model;
	c.backend = res.backend;
	c.stream = p.stream;
	c.prompt_tokens = res.usage.prompt_tokens;
	c.completion_tokens = res.usage.completion_tokens;
	c.seconds = res.total_s;
	if (er == ODS_OK)
		st = answer(w, &res, &c);
	else {
		st = h_openai_llm_error(w, er, p.model);
		c.status = (int)st;
		c.outcome = er == ODS_ETIMEOUT ? "timeout" : "error";
	}
	h_account(r, &c);
	ods_llm_result_fini(&res);
	ods_llm_prep_fini(&p);
	return st;
}

enum ods_status
h_chat_completions(struct ods_req *r, struct ods_resp *w)
{
	return call(r, w, ODS_LLM_CHAT, "/v1/chat/completions");
}

enum ods_status
h_completions(struct ods_req *r, struct ods_resp *w)
{
	return call(r, w, ODS_LLM_COMPLETIONS, "/v1/completions");
}
