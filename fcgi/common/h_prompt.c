/*
 * fcgi/common/h_prompt.c — what /prompts and /api/v1/templates share: the
 * list and the errors; and /api/v1/templates of reference-api §5, the
 * same rows by name in the {code,message,data} envelope (404 40401, 400
 * 40001), served by the proxy and by the agent pool (where nginx sends
 * /api/v1/templates on the Data and Agent API servers).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ods.h"
#include "../../svc/agent/prompt.h"
#include "h_auth.h"
#include "h_prompt.h"

enum ods_err
h_prompt_page(struct ods_req *r, int64_t page_size, struct ods_page *pg)
{
	enum ods_err	er;

	if ((er = ods_req_page(r, page_size, pg)) != ODS_OK)
		return er;
	if (pg->page_size > ODS_PROMPT_LIST_MAX) {
		pg->page_size = ODS_PROMPT_LIST_MAX;
		pg->offset = (pg->page - 1) * pg->page_size;
	}
	return ODS_OK;
}

enum ods_status
h_prompt_list(struct ods_req *r, struct ods_resp *w, const char *key,
    int64_t page_size,
    void (*item)(struct ods_jw *, const struct ods_prompt *))
{
	struct ods_prompt_filter f;
	struct ods_prompt	*v = NULL;
	struct ods_page		 pg;
	struct ods_jw		*jw;
	enum ods_status		 hs;
	enum ods_err		 er;
	int64_t			 total = 0;
	size_t			 n = 0, i;

	if (ods_req_db(r) == NULL)
		return ods_resp_error(w, ODS_EUNAVAIL, "no database");
	if (h_prompt_page(r, page_size, &pg) != ODS_OK)
		return ods_resp_bad_page(w);
	memset(&f, 0, sizeof(f));
	f.owner = h_owner(r);
	f.category = ods_req_query(r, "category");
	f.search = ods_req_query(r, "search");
	er = ods_prompt_list(ods_req_db(r), &f, (size_t)pg.offset,
	    (size_t)pg.page_size, &v, &n, &total);
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not list the templates");
	jw = ods_resp_list_begin(w, key);
	for (i = 0; i < n; i++)
		item(jw, &v[i]);
	ods_jw_end(jw);
	ods_resp_list_end(jw, &pg, total);
	hs = ods_resp_send(w);
	ods_prompt_list_free(v, n);
	return hs;
}

enum ods_status
h_prompt_fail(struct ods_resp *w, enum ods_err er, const struct ods_why *why)
{
	const char	*msg = why != NULL && why->msg[0] != '\0' ? why->msg :
			    NULL;

	switch (er) {
	case ODS_EINVAL:
		return ods_resp_input_error(w, er, why);
	case ODS_ENOTFOUND:
		return ods_resp_error_ex(w, er, ODS_C_ENTITY_NOT_FOUND,
		    "not_found", msg != NULL ? msg : "template not found");
	case ODS_ECONFLICT:
		return ods_resp_error_ex(w, er, ODS_C_CONFLICT, "conflict",
		    msg != NULL ? msg : "a template has that name");
	case ODS_ETOOBIG:
		return ods_resp_error(w, er, msg);
	default:
		return ods_resp_error(w, er, "could not use the template");
	}
}

/* §5's template: name and template, with what /prompts adds. */
static void
tpl_json(struct ods_jw *jw, const struct ods_prompt *p)
{
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "name", p->name);
	ods_jw_kstr(jw, "template", p->content);
	ods_jw_kstr(jw, "description", p->description);
	ods_jw_key(jw, "variables");
	if (p->variables != NULL)
		ods_jw_raw(jw, p->variables, strlen(p->variables));
	else
		ods_jw_null(jw);
	ods_jw_kstr(jw, "template_id", p->template_id);
	ods_jw_kint(jw, "version", p->version);
	ods_jw_kbool(jw, "is_public", p->is_public);
	ods_jw_kstr(jw, "created_by", p->created_by);
	ods_jw_kstr(jw, "updated_at", p->updated_at);
	ods_jw_end(jw);
}

enum ods_status
h_templates_list(struct ods_req *r, struct ods_resp *w)
{
	return h_prompt_list(r, w, "templates", 100, tpl_json);
}

enum ods_status
h_templates_get(struct ods_req *r, struct ods_resp *w)
{
	struct ods_prompt	*p = NULL;
	enum ods_status		 hs;
	enum ods_err		 er;

	if (ods_req_db(r) == NULL)
		return ods_resp_error(w, ODS_EUNAVAIL, "no database");
	er = ods_prompt_get(ods_req_db(r), ods_req_param(r, "name"),
	    h_owner(r), 0, &p);
	if (er != ODS_OK)
		return h_prompt_fail(w, er, NULL);
	tpl_json(ods_resp_envelope(w, ODS_HTTP_200, NULL), p);
	hs = ods_resp_send(w);
	ods_prompt_free(p);
	return hs;
}

/*
 * {name, template, description?, variables?}: a new template (201), or a
 * new version of the caller's template of that name (200), as the
 * reference's POST replaced one; another user's name is a 409.
 */
enum ods_status
h_templates_create(struct ods_req *r, struct ods_resp *w)
{
	struct json_object	*o = NULL;
	struct ods_prompt_spec	 sp;
	struct ods_prompt	*p = NULL;
	struct ods_why		 why;
	enum ods_status		 hs = ODS_HTTP_201;
	enum ods_err		 er;

	memset(&why, 0, sizeof(why));
	if (ods_req_db(r) == NULL)
		return ods_resp_error(w, ODS_EUNAVAIL, "no database");
	if ((er = ods_req_json(r, &o, &why)) != ODS_OK ||
	    (er = ods_prompt_spec_of(o, &sp, &why)) != ODS_OK)
		return ods_resp_input_error(w, er, &why);
	if (sp.content == NULL) {
		ods_why_set(&why, "template", "template is required");
		return ods_resp_input_error(w, ODS_EINVAL, &why);
	}
	er = ods_prompt_create(ods_req_db(r), &sp, h_user(r), &p, &why);
	if (er == ODS_ECONFLICT && ods_prompt_get(ods_req_db(r), sp.name,
	    h_owner(r), 1, &p) == ODS_OK) {
		memset(&why, 0, sizeof(why));
		sp.name = NULL;
		/* A replacement: without variables they follow the content. */
		if (sp.variables == NULL) {
			free(p->variables);
			p->variables = NULL;
		}
		er = ods_prompt_update(ods_req_db(r), p, &sp, &why);
		hs = ODS_HTTP_200;
	}
	if (er != ODS_OK) {
		ods_prompt_free(p);
		return h_prompt_fail(w, er, &why);
	}
	tpl_json(ods_resp_envelope(w, hs, hs == ODS_HTTP_201 ?
	    "template created" : "template updated"), p);
	hs = ods_resp_send(w);
	ods_prompt_free(p);
	return hs;
}
