/*
 * fcgi/agent/h_agent_tpl.c — /agent/templates (h_tools.h): agent
 * templates, thin handlers over svc/agent/agent_tpl.h. The reference's
 * /api/v1/agent/templates reaches these through the pool's path alias
 * (main.c), not the prompt templates of /templates.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ods.h"
#include "../common/h_auth.h"
#include "../../svc/agent/agent_tpl.h"
#include "h_agent.h"
#include "h_tools.h"

#define ANSWER_MAX	((size_t)256 * 1024)

/* 404 (not there, or another's private one), 403 (not its owner). */
static enum ods_status
tpl_fail(struct ods_resp *w, enum ods_err er, const struct ods_why *why)
{
	if (er == ODS_ENOTFOUND)
		return ods_resp_error_ex(w, ODS_ENOTFOUND,
		    ODS_C_ENTITY_NOT_FOUND, "agent_template_not_found",
		    "no such agent template");
	if (er == ODS_EFORBIDDEN)
		return h_not_owner(w, "an agent template");
	return h_tool_fail(w, er, why);
}

/* The body checked (create: whole), or the 4xx sent and NULL. */
static struct json_object *
tpl_body(struct ods_req *r, struct ods_resp *w, int create,
    enum ods_status *hs)
{
	struct json_object	*o = NULL;
	struct ods_why		 why;
	enum ods_err		 er;

	memset(&why, 0, sizeof(why));
	if ((er = ods_req_json(r, &o, &why)) != ODS_OK) {
		*hs = ods_resp_input_error(w, er, &why);
		return NULL;
	}
	er = ods_agent_tpl_check(ods_req_db(r), h_agent(r)->llm, o, create,
	    &why);
	if (er != ODS_OK) {
		*hs = er == ODS_EINVAL || er == ODS_ETOOBIG ?
		    ods_resp_input_error(w, er, &why) : tpl_fail(w, er, &why);
		return NULL;
	}
	return o;
}

enum ods_status
h_agent_tpl_list(struct ods_req *r, struct ods_resp *w)
{
	struct ods_page	 pg;
	struct ods_buf	 b;
	struct ods_jw	 items, *jw;
	int64_t		 total = 0;
	enum ods_err	 er;

	if (ods_req_page(r, 20, &pg) != ODS_OK)
		return ods_resp_bad_page(w);
	/* Aside first: a database failure is then a clean 503. */
	ods_buf_init(&b, (size_t)4 << 20);
	ods_jw_init(&items, &b);
	ods_jw_arr(&items);
	er = ods_agent_tpl_list(ods_req_db(r), h_owner(r), (size_t)pg.offset,
	    (size_t)pg.page_size, &items, &total);
	ods_jw_end(&items);
	if (er == ODS_OK)
		er = ods_jw_error(&items);
	if (er != ODS_OK) {
		ods_buf_free(&b);
		return ods_resp_error(w, er, "could not list the agent "
		    "templates");
	}
	/* ods_resp_list_begin's shape, the array written aside. */
	jw = ods_resp_envelope(w, ODS_HTTP_200, NULL);
	ods_jw_obj(jw);
	ods_jw_key(jw, "templates");
	ods_jw_raw(jw, b.data, b.len);
	ods_buf_free(&b);
	ods_resp_list_end(jw, &pg, total);
	return ods_resp_send(w);
}

enum ods_status
h_agent_tpl_create(struct ods_req *r, struct ods_resp *w)
{
	struct json_object	*o;
	struct ods_buf		 b;
	struct ods_jw		 jw;
	struct ods_why		 why;
	enum ods_status		 hs;
	enum ods_err		 er;

	if ((o = tpl_body(r, w, 1, &hs)) == NULL)
		return hs;
	memset(&why, 0, sizeof(why));
	ods_buf_init(&b, ANSWER_MAX);
	ods_jw_init(&jw, &b);
	er = ods_agent_tpl_create(ods_req_db(r), o, h_user(r), &jw, &why);
	if (er != ODS_OK) {
		ods_buf_free(&b);
		return tpl_fail(w, er, &why);
	}
	return h_send_aside(w, ODS_HTTP_201, &b, "agent template created");
}

enum ods_status
h_agent_tpl_get(struct ods_req *r, struct ods_resp *w)
{
	struct ods_buf	b;
	struct ods_jw	jw;
	enum ods_err	er;

	ods_buf_init(&b, ANSWER_MAX);
	ods_jw_init(&jw, &b);
	er = ods_agent_tpl_get(ods_req_db(r), ods_req_param(r, "template_id"),
	    h_owner(r), &jw);
	if (er != ODS_OK) {
		ods_buf_free(&b);
		return tpl_fail(w, er, NULL);
	}
	return h_send_aside(w, ODS_HTTP_200, &b, NULL);
}

enum ods_status
h_agent_tpl_update(struct ods_req *r, struct ods_resp *w)
{
	struct json_object	*o;
	struct ods_buf		 b;
	struct ods_jw		 jw;
	struct ods_why		 why;
	enum ods_status		 hs;
	enum ods_err		 er;

	if ((o = tpl_body(r, w, 0, &hs)) == NULL)
		return hs;
	memset(&why, 0, sizeof(why));
	ods_buf_init(&b, ANSWER_MAX);
	ods_jw_init(&jw, &b);
	er = ods_agent_tpl_update(ods_req_db(r), ods_req_param(r,
	    "template_id"), o, h_owner(r), &jw, &why);
	if (er != ODS_OK) {
		ods_buf_free(&b);
		return tpl_fail(w, er, &why);
	}
	return h_send_aside(w, ODS_HTTP_200, &b, "agent template updated");
}

enum ods_status
h_agent_tpl_delete(struct ods_req *r, struct ods_resp *w)
{
	const char	*id = ods_req_param(r, "template_id");
	struct ods_jw	*jw;
	enum ods_err	 er;

	if ((er = ods_agent_tpl_delete(ods_req_db(r), id, h_owner(r))) !=
	    ODS_OK)
		return tpl_fail(w, er, NULL);
	jw = ods_resp_envelope(w, ODS_HTTP_200, "agent template deleted");
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "template_id", id);
	ods_jw_kbool(jw, "deleted", 1);
	ods_jw_end(jw);
	return ods_resp_send(w);
}
