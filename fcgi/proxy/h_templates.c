/*
 * fcgi/proxy/h_templates.c — /api/v1/templates of reference-api §5: the
 * prompt templates of the Agent API's /prompts (the same rows, through
 * svc/agent/prompt.h), by name, in the {code,message,data} envelope:
 * 404 40401, 400 40001.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "h_proxy.h"
#include "../../svc/agent/prompt.h"
#include "../common/h_auth.h"
#include "../common/h_prompt.h"

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

int
h_templates_apply(struct ods_req *r, struct ods_resp *w, struct json_object *o,
    const char **body, size_t *len, enum ods_status *hs)
{
	static const char *const drop[] = { "prompt_template", "context",
	    NULL };
	struct json_object	*ctx = NULL;
	struct ods_prompt_text	 t;
	struct ods_why		 why;
	const char		*name = NULL;
	enum ods_err		 er;

	memset(&why, 0, sizeof(why));
	er = ods_json_str(o, "prompt_template", 0, ODS_PROMPT_TNAME_MAX, &name,
	    &why);
	if (er == ODS_ENOTFOUND)
		return 1;
	if (er == ODS_OK && ((er = ods_json_obj(o, "context", 0, &ctx,
	    &why)) == ODS_ENOTFOUND))
		er = ODS_OK;
	if (er == ODS_OK && ods_req_db(r) == NULL)
		er = ODS_EUNAVAIL;
	if (er == ODS_OK)
		er = ods_prompt_render(ods_req_db(r), name, h_owner(r), 0, ctx,
		    &t, &why);
	if (er != ODS_OK) {
		*hs = h_prompt_fail(w, er, &why);
		return 0;
	}
	er = ods_llm_chat_system(o, t.content, t.len, drop);
	ods_prompt_text_fini(&t);
	if (er == ODS_OK)
		*body = ods_req_strdup(r, ods_json_text(o));
	if (er != ODS_OK || *body == NULL) {
		*hs = ods_resp_error(w, er != ODS_OK ? er : ODS_ENOMEM, NULL);
		return 0;
	}
	*len = strlen(*body);
	return 1;
}
