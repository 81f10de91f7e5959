/*
 * fcgi/agent/h_tools.c — /tools (h_tools.h): thin handlers over
 * svc/agent/tool.h.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ods.h"
#include "../common/h_auth.h"
#include "../../svc/agent/agent.h"
#include "../../svc/agent/tool.h"
#include "h_agent.h"
#include "h_tools.h"

#define NAMES_MAX	32

/* The caller's tool context: their principal, the pool's services. */
void
h_tool_ctx(struct ods_req *r, struct ods_tool_ctx *c)
{
	memset(c, 0, sizeof(*c));
	c->db = ods_req_db(r);
	c->conf = ods_req_conf(r);
	c->llm = h_agent(r)->llm;
	c->rag = h_agent(r)->rag;
	c->ds = h_agent(r)->ds;
	c->user = h_user(r);
	c->owner = h_owner(r);
}

void
h_tool_llm_done(void *arg, const char *model, enum ods_err er, int64_t pt,
    int64_t ct, double seconds)
{
	const struct h_tool_src	*src = arg;
	struct ods_llm_usage	 u;
	struct h_llm_call	 lc;

	memset(&u, 0, sizeof(u));
	u.prompt_tokens = pt;
	u.completion_tokens = ct;
	memset(&lc, 0, sizeof(lc));
	lc.endpoint = src->endpoint;
	lc.model = model;
	lc.er = er;
	lc.status = er == ODS_OK ? 200 : ods_err_http(er);
	lc.usage = &u;
	lc.seconds = seconds;
	h_agent_account(src->r, &lc);
}

void
h_tool_io(struct ods_req *r, struct h_tool_src *src, struct ods_agent_io *io)
{
	src->r = r;
	memset(io, 0, sizeof(*io));
	io->llm_done = h_tool_llm_done;
	io->arg = src;
	io->redis = ods_req_redis(r);
	io->principal = ods_req_principal(r);
}

/* A tool's failure: the status of its error, the argument named. */
enum ods_status
h_tool_fail(struct ods_resp *w, enum ods_err er, const struct ods_why *why)
{
	struct ods_error	e;

	if (er == ODS_EINVAL || er == ODS_ETOOBIG)
		return ods_resp_input_error(w, er, why);
	memset(&e, 0, sizeof(e));
	e.err = er;
	e.msg = why != NULL && why->msg[0] != '\0' ? why->msg : NULL;
	if (why != NULL)
		snprintf(e.field, sizeof(e.field), "%s", why->field);
	if (er == ODS_EFORBIDDEN)
		e.slug = "destination_refused";
	return ods_resp_fail(w, &e);
}

enum ods_status
h_tools_list(struct ods_req *r, struct ods_resp *w)
{
	const char	*cat = ods_req_query(r, "category");
	struct ods_jw	*jw;
	size_t		 n, nu = 0;
	enum ods_err	 er;

	if (cat != NULL && *cat == '\0')
		cat = NULL;
	jw = ods_resp_envelope(w, ODS_HTTP_200, NULL);
	ods_jw_obj(jw);
	ods_jw_key(jw, "tools");
	ods_jw_arr(jw);
	n = ods_tool_list_json(jw, cat);
	/* Stored tools after the built-ins; the database down: these. */
	if ((er = ods_tool_user_list(ods_req_db(r), cat, jw, &nu)) != ODS_OK)
		ods_log(ODS_LOG_WARN, "tools_stored_unread err=%s",
		    ods_strerror(er));
	n += nu;
	ods_jw_end(jw);
	ods_jw_kint(jw, "total", (int64_t)n);
	ods_jw_end(jw);
	return ods_resp_send(w);
}

/* "a,b" into names (pieces of a request copy); the count. */
static size_t
split_names(struct ods_req *r, const char *q, const char **names)
{
	char	*s, *p, *save = NULL;
	size_t	 n = 0;

	s = ods_req_strdup(r, q);
	for (p = strtok_r(s, ", ", &save); p != NULL && n < NAMES_MAX;
	    p = strtok_r(NULL, ", ", &save))
		names[n++] = p;
	return n;
}

enum ods_status
h_tools_schemas(struct ods_req *r, struct ods_resp *w)
{
	const char		*names[NAMES_MAX], *q = ods_req_query(r, "names");
	struct ods_toolset	*set = NULL;
	struct ods_jw		*jw;
	struct ods_why		 why;
	size_t			 n = 0;
	enum ods_err		 er;

	memset(&why, 0, sizeof(why));
	if (q != NULL && *q != '\0')
		n = split_names(r, q, names);
	/* Built-ins and stored tools; an unknown name is a 404. */
	er = ods_toolset_load(ods_req_db(r), n > 0 ? names : NULL, n, &set,
	    &why);
	if (er != ODS_OK)
		return h_tool_fail(w, er, &why);
	jw = ods_resp_envelope(w, ODS_HTTP_200, NULL);
	ods_jw_obj(jw);
	ods_jw_key(jw, "schemas");
	ods_jw_arr(jw);
	ods_toolset_schemas_json(set, jw);
	ods_jw_end(jw);
	ods_jw_kint(jw, "total", (int64_t)ods_toolset_count(set));
	ods_jw_end(jw);
	ods_toolset_free(set);
	return ods_resp_send(w);
}

enum ods_status
h_tools_execute(struct ods_req *r, struct ods_resp *w)
{
	const struct ods_tool	*t;
	struct ods_tool_ctx	 c;
	struct ods_agent_io	 io;
	struct h_tool_src	 src;
	struct json_object	*o = NULL, *args;
	struct ods_buf		 b;
	struct ods_jw		 res, *jw;
	struct ods_why		 why;
	double			 t0 = ods_now_sec();
	enum ods_err		 er;

	memset(&why, 0, sizeof(why));
	t = ods_tool_find(ods_req_param(r, "name"));
	if (ods_req_content_length(r) != 0 &&
	    (er = ods_req_json(r, &o, &why)) != ODS_OK)
		return ods_resp_input_error(w, er, &why);
	args = ods_json_get(o, "arguments");
	if (args == NULL || !ods_json_is_obj(args))
		args = o;
	h_tool_ctx(r, &c);
	src.endpoint = "/tools/execute";
	h_tool_io(r, &src, &io);
	c.io = &io;
	ods_buf_init(&b, ODS_TOOL_RESULT_MAX);
	ods_jw_init(&res, &b);
	if (t != NULL)
		er = ods_tool_run(&c, t, args, &res, &why);
	else
		er = ods_tool_user_run(&c, ods_req_param(r, "name"), args,
		    &res, &why);
	if (er == ODS_ENOTFOUND && why.field[0] == '\0') {
		ods_buf_free(&b);
		return ods_resp_error_ex(w, ODS_ENOTFOUND,
		    ODS_C_ENTITY_NOT_FOUND, "tool_not_found", "no such tool");
	}
	if (er == ODS_OK && (er = ods_jw_error(&res)) == ODS_ETOOBIG)
		ods_why_set(&why, NULL, "the tool's result is too large");
	if (er != ODS_OK) {
		ods_buf_free(&b);
		return h_tool_fail(w, er, &why);
	}
	jw = ods_resp_envelope(w, ODS_HTTP_200, NULL);
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "tool", ods_req_param(r, "name"));
	ods_jw_key(jw, "result");
	ods_jw_raw(jw, b.data, b.len);
	ods_jw_knum(jw, "duration_ms", (ods_now_sec() - t0) * 1000.0);
	ods_jw_end(jw);
	ods_buf_free(&b);
	return ods_resp_send(w);
}

/* ---- stored tools ---- */

/* A stored tool's error: 404, 403 (not its owner), 409, 400, 503. */
static enum ods_status
stored_fail(struct ods_resp *w, enum ods_err er, const struct ods_why *why)
{
	if (er == ODS_ENOTFOUND)
		return ods_resp_error_ex(w, ODS_ENOTFOUND,
		    ODS_C_ENTITY_NOT_FOUND, "tool_not_found",
		    "no such stored tool");
	if (er == ODS_EFORBIDDEN)
		return h_not_owner(w, "a tool");
	if (er == ODS_ECONFLICT)
		return ods_resp_error(w, er, why->msg[0] != '\0' ? why->msg :
		    NULL);
	return h_tool_fail(w, er, why);
}

/* The body checked as a definition (create: whole), or the answer sent. */
static struct json_object *
def_body(struct ods_req *r, struct ods_resp *w, int create,
    enum ods_status *hs)
{
	struct json_object	*o = NULL;
	struct ods_why		 why;
	enum ods_err		 er;

	memset(&why, 0, sizeof(why));
	if ((er = ods_req_json(r, &o, &why)) != ODS_OK ||
	    (er = ods_tool_def_check(ods_req_conf(r), o, create, &why)) !=
	    ODS_OK) {
		*hs = ods_resp_input_error(w, er, &why);
		return NULL;
	}
	return o;
}

enum ods_status
h_send_aside(struct ods_resp *w, enum ods_status st, struct ods_buf *b,
    const char *msg)
{
	struct ods_jw	*jw = ods_resp_envelope(w, st, msg);

	ods_jw_raw(jw, b->data, b->len);
	ods_buf_free(b);
	return ods_resp_send(w);
}

enum ods_status
h_tools_create(struct ods_req *r, struct ods_resp *w)
{
	struct json_object	*o;
	struct ods_buf		 b;
	struct ods_jw		 jw;
	struct ods_why		 why;
	enum ods_status		 hs;
	enum ods_err		 er;

	if ((o = def_body(r, w, 1, &hs)) == NULL)
		return hs;
	memset(&why, 0, sizeof(why));
	ods_buf_init(&b, ODS_TOOL_RESULT_MAX);
	ods_jw_init(&jw, &b);
	er = ods_tool_user_create(ods_req_db(r), o, h_user(r), &jw, &why);
	if (er != ODS_OK) {
		ods_buf_free(&b);
		return stored_fail(w, er, &why);
	}
	return h_send_aside(w, ODS_HTTP_201, &b, "tool created");
}

enum ods_status
h_tools_get(struct ods_req *r, struct ods_resp *w)
{
	const char		*name = ods_req_param(r, "name");
	const struct ods_tool	*t = ods_tool_find(name);
	struct ods_buf		 b;
	struct ods_jw		 jw;
	struct ods_why		 why;
	enum ods_err		 er;

	memset(&why, 0, sizeof(why));
	ods_buf_init(&b, ODS_TOOL_RESULT_MAX);
	ods_jw_init(&jw, &b);
	if (t != NULL) {
		/* A built-in: its descriptor, as in the list. */
		ods_tool_json(&jw, t);
	} else if ((er = ods_tool_user_get(ods_req_db(r), name, h_user(r),
	    h_owner(r) == NULL, &jw)) != ODS_OK) {
		ods_buf_free(&b);
		return stored_fail(w, er, &why);
	}
	return h_send_aside(w, ODS_HTTP_200, &b, NULL);
}

enum ods_status
h_tools_update(struct ods_req *r, struct ods_resp *w)
{
	struct json_object	*o;
	struct ods_buf		 b;
	struct ods_jw		 jw;
	struct ods_why		 why;
	enum ods_status		 hs;
	enum ods_err		 er;

	if ((o = def_body(r, w, 0, &hs)) == NULL)
		return hs;
	memset(&why, 0, sizeof(why));
	ods_buf_init(&b, ODS_TOOL_RESULT_MAX);
	ods_jw_init(&jw, &b);
	er = ods_tool_user_update(ods_req_db(r), ods_req_param(r, "name"), o,
	    h_owner(r), &jw, &why);
	if (er != ODS_OK) {
		ods_buf_free(&b);
		return stored_fail(w, er, &why);
	}
	return h_send_aside(w, ODS_HTTP_200, &b, "tool updated");
}

enum ods_status
h_tools_delete(struct ods_req *r, struct ods_resp *w)
{
	const char	*name = ods_req_param(r, "name");
	struct ods_jw	*jw;
	struct ods_why	 why;
	enum ods_err	 er;

	memset(&why, 0, sizeof(why));
	if ((er = ods_tool_user_delete(ods_req_db(r), name, h_owner(r))) !=
	    ODS_OK)
		return stored_fail(w, er, &why);
	jw = ods_resp_envelope(w, ODS_HTTP_200, "tool deleted");
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "name", name);
	ods_jw_kbool(jw, "deleted", 1);
	ods_jw_end(jw);
	return ods_resp_send(w);
}
