/*
 * fcgi/agent/h_agents.c — POST /agent/run and /agent/run-stream
 * (h_tools.h): the body read into an agent spec, the caller's tools and
 * limits handed to svc/agent/agent.h, the result as one envelope or as
 * server-sent events flushed one by one.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ods.h"
#include "../common/h_auth.h"
#include "../../svc/agent/agent.h"
#include "../../svc/agent/agent_tpl.h"
#include "../../svc/agent/tool.h"
#include "h_agent.h"
#include "h_sse.h"
#include "h_tools.h"

struct agent_call {
	struct h_tool_src	 src;	/* first: io->arg for the accounting */
	struct ods_req		*r;
	struct ods_resp		*w;
	int			 stream;
	int			 begun;
	const char		*names[ODS_AGENT_TOOLS_MAX];
	struct ods_agent_spec	 spec;
	struct ods_agent_tpl	 tpl;	/* template_id's, or zeroes */
	int			 no_tpl;	/* template_id names none */
};

#define OPT(e)	do { if ((er = (e)) != ODS_OK && er != ODS_ENOTFOUND) \
	return er; } while (0)

static enum ods_err
tools_of(struct json_object *o, struct agent_call *c, struct ods_why *why)
{
	size_t		n;
	enum ods_err	er;

	er = ods_json_strs(o, "tools", ODS_AGENT_TOOLS_MAX, 64, c->names, &n,
	    why);
	if (er == ODS_OK) {
		c->spec.tools = c->names;
		c->spec.ntools = n;
	}
	return er == ODS_ENOTFOUND ? ODS_OK : er;
}

/*
 * template_id's settings as the spec's defaults (a template the caller
 * cannot see: no_tpl set, ODS_ENOTFOUND).
 */
static enum ods_err
tpl_defaults(struct agent_call *c, struct json_object *o, const char **type,
    int64_t *iter, int64_t *maxtok, struct ods_why *why)
{
	const char	*id = NULL;
	enum ods_err	 er;

	er = ods_json_str(o, "template_id", 0, ODS_ATPL_ID_MAX, &id, why);
	if (er == ODS_ENOTFOUND)
		return ODS_OK;
	if (er != ODS_OK)
		return er;
	er = ods_agent_tpl_load(ods_req_db(c->r), id, h_owner(c->r), &c->tpl);
	if (er == ODS_ENOTFOUND)
		c->no_tpl = 1;
	if (er != ODS_OK)
		return er;
	*type = ods_agent_type_name(c->tpl.type);
	if (c->tpl.model != NULL)
		c->spec.model = c->tpl.model;
	*iter = c->tpl.max_iterations;
	/* The server's cap may have come down since the template was saved. */
	if (c->tpl.max_tokens > 0 && c->tpl.max_tokens < *maxtok)
		*maxtok = c->tpl.max_tokens;
	c->spec.system = c->tpl.system_prompt;
	if (c->tpl.tools != NULL) {
		c->spec.tools = (const char *const *)c->tpl.tools;
		c->spec.ntools = c->tpl.ntools;
	}
	return ODS_OK;
}

static enum ods_err
spec_of(struct agent_call *c, struct ods_why *why)
{
	struct json_object	*o = NULL;
	const char		*type = "react";
	int64_t			 iter = 10, maxtok, cap;
	enum ods_err		 er;

	if ((er = ods_req_json(c->r, &o, why)) != ODS_OK)
		return er;
	c->spec.model = ods_req_conf(c->r)->default_chat_model;
	if ((er = ods_json_str(o, "query", 1, ODS_AGENT_QUERY_MAX,
	    &c->spec.query, why)) != ODS_OK)
		return er;
	/* The caller may ask for less than the server's cap, not more. */
	maxtok = cap = ods_req_conf(c->r)->agent_max_tokens;
	if ((er = tpl_defaults(c, o, &type, &iter, &maxtok, why)) != ODS_OK)
		return er;
	OPT(ods_json_str(o, "agent_type", 0, 32, &type, why));
	OPT(ods_json_str(o, "model", 0, 256, &c->spec.model, why));
	OPT(ods_json_int(o, "max_iterations", 0, 1, ODS_AGENT_ITER_MAX,
	    &iter, why));
	if (ods_agent_type_parse(type) < 0) {
		ods_why_set(why, "agent_type", "agent_type must be "
		    "function_calling, react or plan_execute");
		return ODS_EINVAL;
	}
	c->spec.type = (enum ods_agent_type)ods_agent_type_parse(type);
	c->spec.max_iterations = (int)iter;
	OPT(ods_json_int(o, "max_tokens", 0, 1, cap, &maxtok, why));
	c->spec.max_tokens = maxtok;
	if (c->spec.model == NULL || *c->spec.model == '\0' ||
	    !ods_llm_model_known(h_agent(c->r)->llm, c->spec.model)) {
		ods_why_set(why, "model", "no backend serves that model (or "
		    "DEFAULT_CHAT_MODEL)");
		return ODS_EINVAL;
	}
	return tools_of(o, c, why);
}

/* An event: begins the stream on the first one, one flushed frame. */
static int
on_event(void *arg, const char *json, size_t len)
{
	struct agent_call	*c = arg;
	struct ods_buf		 b;
	enum ods_err		 er;

	ods_worker_progress();
	if (!c->stream)
		return 0;
	if (!c->begun) {
		if (ods_resp_stream_begin(c->w, ODS_HTTP_200,
		    "text/event-stream") != ODS_OK)
			return 1;
		c->begun = 1;
	}
	ods_buf_init(&b, len + 16);
	if (ods_buf_addf(&b, "data: %.*s\n\n", (int)len, json) != ODS_OK) {
		ods_buf_free(&b);
		return 1;
	}
	er = ods_resp_stream_write(c->w, b.data, b.len);
	ods_buf_free(&b);
	return er != ODS_OK;
}

/* A run that failed before anything happened: its own status. */
static enum ods_status
run_error(struct ods_resp *w, enum ods_err er,
    const struct ods_agent_result *res, struct ods_why *why)
{
	char	ra[16];

	if (er == ODS_ELIMIT) {
		if (res->retry_after > 0) {
			snprintf(ra, sizeof(ra), "%d", res->retry_after);
			(void)ods_resp_header(w, "Retry-After", ra);
		}
		return ods_resp_error_ex(w, er, ODS_C_RATE_LIMITED,
		    "rate_limit_exceeded", why->msg);
	}
	if (er == ODS_EINVAL || er == ODS_ETOOBIG || er == ODS_EFORBIDDEN)
		return h_tool_fail(w, er, why);
	return h_llm_error(w, er);
}

static void
result_json(struct ods_jw *jw, const struct agent_call *c,
    const struct ods_agent_result *res)
{
	ods_jw_obj(jw);
	ods_jw_kbool(jw, "success", res->success);
	if (res->success)
		ods_jw_kstr(jw, "answer", res->answer);
	else
		ods_jw_kstr(jw, "error", res->error);
	ods_jw_kint(jw, "iterations", res->iterations);
	ods_jw_key(jw, "steps");
	ods_jw_raw(jw, res->steps.data, res->steps.len);
	ods_jw_kstr(jw, "agent_type", ods_agent_type_name(c->spec.type));
	ods_jw_kstr(jw, "model", c->spec.model);
	ods_jw_kint(jw, "total_tokens", res->tokens);
	if (c->tpl.template_id != NULL)
		ods_jw_kstr(jw, "template_id", c->tpl.template_id);
	ods_jw_end(jw);
}

static enum ods_status
agent_call(struct ods_req *r, struct ods_resp *w, int stream)
{
	struct agent_call	 c;
	struct ods_agent_io	 io;
	struct ods_agent_result	 res;
	struct ods_tool_ctx	 tc;
	struct ods_why		 why;
	enum ods_status		 hs;
	enum ods_err		 er;

	memset(&c, 0, sizeof(c));
	memset(&why, 0, sizeof(why));
	c.r = r;
	c.w = w;
	c.stream = stream;
	if ((er = spec_of(&c, &why)) != ODS_OK) {
		ods_agent_tpl_fini(&c.tpl);
		if (c.no_tpl)
			return ods_resp_error_ex(w, ODS_ENOTFOUND,
			    ODS_C_ENTITY_NOT_FOUND, "agent_template_not_found",
			    "no such agent template");
		return ods_resp_input_error(w, er, &why);
	}
	h_tool_ctx(r, &tc);
	c.src.endpoint = stream ? "/agent/run-stream" : "/agent/run";
	h_tool_io(r, &c.src, &io);
	io.event = on_event;
	er = ods_agent_run(&tc, &c.spec, &io, &res, &why);
	if (c.begun)
		hs = ODS_HTTP_200;	/* the stream said the rest */
	else if (er != ODS_OK)
		hs = run_error(w, er, &res, &why);
	else {
		result_json(ods_resp_envelope(w, ODS_HTTP_200, NULL), &c,
		    &res);
		hs = ods_resp_send(w);
	}
	ods_metrics_business("agent", res.success ? "success" : "error", 0);
	ods_agent_result_fini(&res);
	ods_agent_tpl_fini(&c.tpl);
	return hs;
}

enum ods_status
h_agent_run(struct ods_req *r, struct ods_resp *w)
{
	return agent_call(r, w, 0);
}

enum ods_status
h_agent_run_stream(struct ods_req *r, struct ods_resp *w)
{
	return agent_call(r, w, 1);
}
