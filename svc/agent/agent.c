/*
 * svc/agent/agent.c — the agents of agent.h: one run's state, the model
 * calls made on the caller's behalf (limits reserved and settled around
 * each), the events, and the function-calling loop. ReAct and the plan
 * are in agent_react.c.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_conf.h"
#include "core/ods_err.h"
#include "core/ods_json.h"
#include "core/ods_mem.h"
#include "core/ods_time.h"
#include "llm/ods_llm.h"
#include "llm/ods_llm_usage.h"
#include "agent.h"
#include "agent_int.h"
#include "tool.h"

#define MSGS_MAX	((size_t)8 << 20)	/* the conversation, bytes */
#define OUTPUT_KEEP	4096			/* of a tool's result, in a step */

static const char *const type_names[] = {
	"function_calling", "react", "plan_execute"
};

int
ods_agent_type_parse(const char *s)
{
	size_t	i;

	for (i = 0; s != NULL && i < 3; i++)
		if (strcmp(s, type_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *
ods_agent_type_name(enum ods_agent_type t)
{
	return type_names[t];
}

/* ---- buffers ---- */

/*
 * Append to b. Past its cap b keeps what it had: a prompt or a step cut
 * short is still a prompt or a step, and the conversation's own cap is
 * watched by agent_msg_raw.
 */
void
agent_add(struct ods_buf *b, const char *s, size_t n)
{
	enum ods_err	er;

	er = ods_buf_add(b, s, n);
	(void)er;
}

void
agent_addf(struct ods_buf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	agent_add(b, s, (size_t)n);
	free(s);
}

/* ---- events and steps ---- */

int
agent_emit(struct agent_run *a, struct ods_buf *b)
{
	int	rc = 0;

	if (a->io != NULL && a->io->event != NULL && !a->gone)
		rc = a->io->event(a->io->arg, b->data, b->len);
	ods_buf_free(b);
	if (rc != 0)
		a->gone = 1;
	return a->gone;
}

/* An event with one string member besides its type (key NULL: none). */
int
agent_event(struct agent_run *a, const char *type, const char *key,
    const char *val)
{
	struct ods_buf	b;
	struct ods_jw	jw;

	ods_buf_init(&b, 64 * 1024);
	ods_jw_init(&jw, &b);
	ods_jw_obj(&jw);
	ods_jw_kstr(&jw, "type", type);
	if (key != NULL)
		ods_jw_kstr(&jw, key, val);
	ods_jw_end(&jw);
	return agent_emit(a, &b);
}

/* One step: kept in the result and sent as {type:"step", data:step}. */
int
agent_step(struct agent_run *a, const char *type, const char *content,
    size_t len, const char *output, size_t olen)
{
	struct ods_buf	b, s;
	struct ods_jw	jw;
	char		ts[40];

	ods_buf_init(&s, 256 * 1024);
	ods_jw_init(&jw, &s);
	ods_jw_obj(&jw);
	ods_jw_kstr(&jw, "type", type);
	ods_jw_key(&jw, "content");
	ods_jw_strn(&jw, content, len);
	ods_jw_key(&jw, "tool_output");
	if (output != NULL)
		ods_jw_strn(&jw, output, olen < OUTPUT_KEEP ? olen :
		    OUTPUT_KEEP);
	else
		ods_jw_null(&jw);
	snprintf(ts, sizeof(ts), "%.3f", (double)ods_wall_ms() / 1000.0);
	ods_jw_key(&jw, "timestamp");
	ods_jw_raw(&jw, ts, strlen(ts));
	ods_jw_end(&jw);
	if (a->res->steps.len > 1)
		agent_add(&a->res->steps, ",", 1);
	agent_add(&a->res->steps, s.data, s.len);
	ods_buf_init(&b, s.len + 64);
	agent_addf(&b, "{\"type\":\"step\",\"data\":%.*s}",
	    (int)s.len, s.data);
	ods_buf_free(&s);
	return agent_emit(a, &b);
}

/* ---- the conversation ---- */

void
agent_msg(struct agent_run *a, const char *role, const char *content,
    size_t len, const char *tool_call_id)
{
	struct ods_buf	b;
	struct ods_jw	jw;

	ods_buf_init(&b, MSGS_MAX);
	ods_jw_init(&jw, &b);
	ods_jw_obj(&jw);
	ods_jw_kstr(&jw, "role", role);
	ods_jw_key(&jw, "content");
	ods_jw_strn(&jw, content, len);
	if (tool_call_id != NULL)
		ods_jw_kstr(&jw, "tool_call_id", tool_call_id);
	ods_jw_end(&jw);
	agent_msg_raw(a, b.data, b.len);
	ods_buf_free(&b);
}

void
agent_msg_raw(struct agent_run *a, const char *json, size_t len)
{
	if (a->msgs.len > 1)
		agent_add(&a->msgs, ",", 1);
	if (ods_buf_add(&a->msgs, json, len) != ODS_OK)
		a->msgs_full = 1;
}

/* ---- model calls on the caller's behalf ---- */

/*
 * Reserve est tokens of the caller's limits (none without io->redis);
 * on a refusal err gets the reason and *retry_after the seconds.
 */
static enum ods_err
reserve(const struct ods_tool_ctx *tc, const struct ods_agent_io *io,
    const char *model, int64_t est, struct ods_llm_hold *h,
    struct ods_agent_call *c)
{
	struct ods_why	why;
	int		quota = 0;
	enum ods_err	er;

	memset(h, 0, sizeof(*h));
	if (io == NULL || io->redis == NULL)
		return ODS_OK;
	memset(&why, 0, sizeof(why));
	er = ods_llm_limits_reserve(io->redis, tc->db, tc->conf,
	    io->principal, model, est, h, &c->retry_after, &quota, &why);
	if (er != ODS_OK)
		snprintf(c->error, sizeof(c->error), "%s",
		    why.msg[0] != '\0' ? why.msg : ods_strerror(er));
	return er;
}

enum ods_err
ods_agent_llm(const struct ods_tool_ctx *tc, const struct ods_agent_io *io,
    const char *model, const char *msgs, const char *tools_json,
    struct ods_agent_call *c, char **out)
{
	struct ods_llm_opts	 o;
	struct ods_llm_usage	 u;
	struct ods_llm_hold	 h;
	double			 t0 = ods_now_sec();
	int64_t			 est;
	enum ods_err		 er;

	*out = NULL;
	est = (int64_t)(strlen(msgs) / 4 + 1) +
	    (tc->conf != NULL ? tc->conf->llm_estimate_tokens : 1024);
	if ((er = reserve(tc, io, model, est, &h, c)) != ODS_OK)
		return er;
	ods_llm_opts_init(&o);
	o.tools_json = tools_json;
	o.user = tc->user;
	memset(&u, 0, sizeof(u));
	if (tools_json != NULL)
		er = ods_llm_chat_message(tc->llm, model, msgs, &o, out, &u);
	else
		er = ods_llm_chat(tc->llm, model, msgs, &o, out, &u);
	if (!u.known && er == ODS_OK)
		u.prompt_tokens = est;
	if (io != NULL && io->redis != NULL)
		ods_llm_limits_settle(io->redis, &h, u.prompt_tokens +
		    u.completion_tokens);
	if (io != NULL && io->llm_done != NULL)
		io->llm_done(io->arg, model, er, u.prompt_tokens,
		    u.completion_tokens, ods_now_sec() - t0);
	c->tokens += u.prompt_tokens + u.completion_tokens;
	if (er != ODS_OK && c->error[0] == '\0')
		snprintf(c->error, sizeof(c->error), "the model failed: %s",
		    ods_strerror(er));
	return er;
}

enum ods_err
ods_agent_llm_stream(const struct ods_tool_ctx *tc,
    const struct ods_agent_io *io, const char *model, const char *msgs,
    const struct ods_llm_opts *opts, const struct ods_llm_chat_sink *sink,
    struct ods_agent_call *c)
{
	struct ods_llm_opts	 o;
	struct ods_llm_usage	 u;
	struct ods_llm_hold	 h;
	double			 t0 = ods_now_sec();
	int64_t			 est;
	int			 started = 0;
	enum ods_err		 er;

	est = (int64_t)(strlen(msgs) / 4 + 1) +
	    (tc->conf != NULL ? tc->conf->llm_estimate_tokens : 1024);
	if ((er = reserve(tc, io, model, est, &h, c)) != ODS_OK)
		return er;
	if (opts != NULL)
		o = *opts;
	else
		ods_llm_opts_init(&o);
	o.user = tc->user;
	memset(&u, 0, sizeof(u));
	er = ods_llm_chat_stream(tc->llm, model, msgs, &o, sink, &started, &u);
	if (!u.known && er == ODS_OK)
		u.prompt_tokens = est;
	if (io != NULL && io->redis != NULL)
		ods_llm_limits_settle(io->redis, &h, u.prompt_tokens +
		    u.completion_tokens);
	if (io != NULL && io->llm_done != NULL)
		io->llm_done(io->arg, model, er, u.prompt_tokens,
		    u.completion_tokens, ods_now_sec() - t0);
	c->tokens += u.prompt_tokens + u.completion_tokens;
	if (er != ODS_OK && c->error[0] == '\0')
		snprintf(c->error, sizeof(c->error), "the model failed: %s",
		    ods_strerror(er));
	return er;
}

/* A model call of the run: the messages so far. */
enum ods_err
agent_llm(struct agent_run *a, const char *tools_json, char **out)
{
	struct ods_agent_call	 c;
	char			*msgs;
	enum ods_err		 er;

	*out = NULL;
	if (a->msgs_full)
		return ODS_ETOOBIG;
	memset(&c, 0, sizeof(c));
	if (agent_event(a, "status", "message", "waiting for the model"))
		return ODS_EIO;
	ods_xasprintf(&msgs, "%.*s]", (int)a->msgs.len, a->msgs.data);
	er = ods_agent_llm(a->tc, a->io, a->spec->model, msgs, tools_json,
	    &c, out);
	free(msgs);
	a->res->tokens += c.tokens;
	a->res->retry_after = c.retry_after;
	if (er != ODS_OK)
		snprintf(a->res->error, sizeof(a->res->error), "%s", c.error);
	a->calls++;
	return er;
}

/* ---- tools ---- */

/* The tool offered by name (the spec's list, or every tool). */
int
agent_tool_allowed(const struct agent_run *a, const char *name)
{
	size_t	i;

	if (ods_tool_find(name) == NULL)
		return 0;
	if (a->spec->tools == NULL)
		return 1;
	for (i = 0; i < a->spec->ntools; i++)
		if (strcmp(a->spec->tools[i], name) == 0)
			return 1;
	return 0;
}

/* Run one tool: tool_start, the result (or {"error":...}) in out, tool_end. */
void
agent_tool(struct agent_run *a, const char *name, const char *args,
    size_t len, struct ods_buf *out)
{
	struct ods_jw	jw;
	struct ods_why	why;
	enum ods_err	er;

	(void)agent_event(a, "tool_start", "tool", name);
	ods_buf_init(out, ODS_TOOL_RESULT_MAX);
	ods_jw_init(&jw, out);
	memset(&why, 0, sizeof(why));
	if (!agent_tool_allowed(a, name)) {
		er = ODS_ENOTFOUND;
		ods_why_set(&why, "name", "no tool named '%.64s' is offered",
		    name);
	} else
		er = ods_tool_run_text(a->tc, name, args, len, &jw, &why);
	if (er == ODS_OK && ods_jw_error(&jw) != ODS_OK) {
		er = ODS_ETOOBIG;
		ods_why_set(&why, NULL, "the tool's result is too large");
	}
	if (er != ODS_OK) {
		ods_buf_reset(out);
		ods_jw_init(&jw, out);
		ods_jw_obj(&jw);
		ods_jw_kstr(&jw, "error", why.msg[0] != '\0' ? why.msg :
		    ods_strerror(er));
		ods_jw_end(&jw);
	}
	(void)agent_event(a, "tool_end", "tool", name);
}

/* ---- function calling ---- */

/* The tools offered, as OpenAI schemas (malloc'ed JSON array). */
static char *
schemas(const struct agent_run *a)
{
	struct ods_buf	 b;
	struct ods_jw	 jw;
	size_t		 len;
	enum ods_err	 er;

	ods_buf_init(&b, 1 << 20);
	ods_jw_init(&jw, &b);
	ods_jw_arr(&jw);
	/* The names were checked with the spec: nothing to refuse here. */
	er = ods_tool_schemas_json(&jw, a->spec->tools, a->spec->ntools,
	    NULL);
	(void)er;
	ods_jw_end(&jw);
	return ods_buf_take(&b, &len);
}

/* Each call of the answer's tool_calls, in order; their results kept. */
static void
run_calls(struct agent_run *a, struct json_object *calls)
{
	struct json_object	*c, *fn;
	struct ods_buf		 out;
	const char		*name, *args, *id;
	size_t			 i, n = ods_json_arr_len(calls);

	for (i = 0; i < n && !a->gone; i++) {
		c = ods_json_arr_get(calls, i);
		fn = ods_json_get(c, "function");
		name = ods_json_get_str(fn, "name");
		args = ods_json_get_str(fn, "arguments");
		id = ods_json_get_str(c, "id");
		if (name == NULL)
			name = "";
		if (args == NULL)
			args = "";
		(void)agent_step(a, "action", name, strlen(name), args,
		    strlen(args));
		agent_tool(a, name, args, strlen(args), &out);
		(void)agent_step(a, "observation", name, strlen(name),
		    out.data, out.len);
		agent_msg(a, "tool", out.data, out.len, id != NULL ? id : "");
		ods_buf_free(&out);
	}
}

/* One answer: 1 when it is final (the answer set), 0 to go on. */
static int
fc_answer(struct agent_run *a, const char *msg)
{
	struct json_object	*m = NULL, *calls;
	const char		*content;
	int			 final = 0;

	if (ods_json_parse(msg, strlen(msg), 0, &m, NULL) != ODS_OK) {
		agent_fail(a, "the model's answer is not JSON");
		return 1;
	}
	content = ods_json_get_str(m, "content");
	calls = ods_json_get(m, "tool_calls");
	if (ods_json_arr_len(calls) > 0) {
		if (content != NULL && *content != '\0')
			(void)agent_step(a, "thought", content,
			    strlen(content), NULL, 0);
		agent_msg_raw(a, msg, strlen(msg));
		run_calls(a, calls);
	} else {
		agent_final(a, content != NULL ? content : "");
		final = 1;
	}
	ods_json_put(m);
	return final;
}

static enum ods_err
function_calling(struct agent_run *a)
{
	char		*tools = schemas(a);
	enum ods_err	 er;

	agent_msg(a, "system", AGENT_SYSTEM, strlen(AGENT_SYSTEM), NULL);
	agent_msg(a, "user", a->spec->query, strlen(a->spec->query), NULL);
	er = agent_loop(a, tools, fc_answer);
	free(tools);
	return er;
}

/* ---- the run ---- */

enum ods_err
agent_loop(struct agent_run *a, const char *tools_json,
    int (*answer)(struct agent_run *, const char *))
{
	char		*out = NULL;
	enum ods_err	 er = ODS_OK;
	int		 final;

	while (agent_next(a)) {
		if ((er = agent_llm(a, tools_json, &out)) != ODS_OK)
			break;
		final = answer(a, out);
		free(out);
		out = NULL;
		if (final)
			break;
	}
	return er;
}

void
agent_final(struct agent_run *a, const char *answer)
{
	(void)agent_step(a, "final", answer, strlen(answer), NULL, 0);
	free(a->res->answer);
	a->res->answer = ods_xstrdup(answer);
	a->res->success = 1;
	a->done = 1;
}

void
agent_fail(struct agent_run *a, const char *msg)
{
	snprintf(a->res->error, sizeof(a->res->error), "%s", msg);
	(void)agent_step(a, "error", msg, strlen(msg), NULL, 0);
	(void)agent_event(a, "error", "message", msg);
	a->done = 1;
}

/* Whether another iteration may start (the event sent when it does). */
int
agent_next(struct agent_run *a)
{
	struct ods_buf	b;
	char		msg[128];

	if (a->done || a->gone)
		return 0;
	if (a->spec->max_tokens > 0 && a->res->tokens >= a->spec->max_tokens) {
		snprintf(msg, sizeof(msg), "token limit reached (%lld of "
		    "%lld)", (long long)a->res->tokens,
		    (long long)a->spec->max_tokens);
		agent_fail(a, msg);
		return 0;
	}
	if (a->res->iterations >= a->spec->max_iterations) {
		snprintf(msg, sizeof(msg), "no answer within %d iterations",
		    a->spec->max_iterations);
		agent_fail(a, msg);
		return 0;
	}
	a->res->iterations++;
	ods_buf_init(&b, 256);
	agent_addf(&b, "{\"type\":\"iteration\",\"iteration\":%d,"
	    "\"max_iterations\":%d}", a->res->iterations,
	    a->spec->max_iterations);
	return !agent_emit(a, &b);
}

static enum ods_err
check_spec(const struct ods_agent_spec *s, struct ods_why *why)
{
	size_t	i;

	if (s->query == NULL || *s->query == '\0') {
		ods_why_set(why, "query", "field 'query' is required");
		return ODS_EINVAL;
	}
	if (s->max_iterations < 1 || s->max_iterations > ODS_AGENT_ITER_MAX) {
		ods_why_set(why, "max_iterations", "field 'max_iterations' "
		    "must be 1..%d", ODS_AGENT_ITER_MAX);
		return ODS_EINVAL;
	}
	for (i = 0; s->tools != NULL && i < s->ntools; i++)
		if (ods_tool_find(s->tools[i]) == NULL) {
			ods_why_set(why, "tools", "no tool named '%.64s'",
			    s->tools[i]);
			return ODS_EINVAL;
		}
	return ODS_OK;
}

static void
send_end(struct agent_run *a)
{
	struct ods_buf	b;
	struct ods_jw	jw;

	ods_buf_init(&b, 1 << 20);
	ods_jw_init(&jw, &b);
	ods_jw_obj(&jw);
	ods_jw_kstr(&jw, "type", "end");
	ods_jw_kbool(&jw, "success", a->res->success);
	if (a->res->success)
		ods_jw_kstr(&jw, "answer", a->res->answer);
	else
		ods_jw_kstr(&jw, "error", a->res->error);
	ods_jw_kint(&jw, "iterations", a->res->iterations);
	ods_jw_end(&jw);
	(void)agent_emit(a, &b);
}

enum ods_err
ods_agent_run(const struct ods_tool_ctx *tc, const struct ods_agent_spec *s,
    const struct ods_agent_io *io, struct ods_agent_result *res,
    struct ods_why *why)
{
	struct agent_run	a;
	struct ods_tool_ctx	c = *tc;
	struct ods_buf		b;
	enum ods_err		er;

	memset(res, 0, sizeof(*res));
	ods_buf_init(&res->steps, (size_t)16 << 20);
	agent_add(&res->steps, "[", 1);
	if ((er = check_spec(s, why)) != ODS_OK)
		return er;
	memset(&a, 0, sizeof(a));
	c.io = io;	/* the tools' model calls are the caller's too */
	a.tc = &c;
	a.spec = s;
	a.io = io;
	a.res = res;
	ods_buf_init(&a.msgs, MSGS_MAX);
	agent_add(&a.msgs, "[", 1);
	ods_buf_init(&b, 256);
	agent_addf(&b, "{\"type\":\"start\",\"message\":\"agent "
	    "started\",\"agent_type\":\"%s\"}", ods_agent_type_name(s->type));
	(void)agent_emit(&a, &b);
	er = s->type == ODS_AGENT_FUNCTION_CALLING ? function_calling(&a) :
	    agent_react(&a);
	ods_buf_free(&a.msgs);
	agent_add(&res->steps, "]", 1);
	if (er != ODS_OK && !a.done) {
		if (res->error[0] == '\0')
			snprintf(res->error, sizeof(res->error), "%s",
			    ods_strerror(er));
		(void)agent_event(&a, "error", "message", res->error);
	}
	send_end(&a);
	if (er != ODS_OK && a.calls <= 1 && res->steps.len <= 2) {
		/* The first call failed: an error answer, not a run. */
		res->first_err = er;
		ods_why_set(why, NULL, "%s", res->error);
		return er;
	}
	return a.gone ? ODS_EIO : ODS_OK;
}

void
ods_agent_result_fini(struct ods_agent_result *r)
{
	if (r == NULL)
		return;
	free(r->answer);
	r->answer = NULL;
	ods_buf_free(&r->steps);
}
