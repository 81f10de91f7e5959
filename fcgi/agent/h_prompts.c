/*
 * fcgi/agent/h_prompts.c — /prompts: list, create, read, update (a new
 * version), delete, versions and render. Lookups go through h_owner():
 * another user's private template is a 404.
 */
#include "config.h"

#include <string.h>

#include "ods.h"
#include "../../svc/agent/prompt.h"
#include "../common/h_auth.h"
#include "../common/h_prompt.h"
#include "h_prompts.h"

static enum ods_status
send_prompt(struct ods_resp *w, enum ods_status st, const struct ods_prompt *p,
    const char *msg)
{
	ods_prompt_json(ods_resp_envelope(w, st, msg), p);
	return ods_resp_send(w);
}

enum ods_status
h_prompts_list(struct ods_req *r, struct ods_resp *w)
{
	return h_prompt_list(r, w, "prompts", 20, ods_prompt_json);
}

enum ods_status
h_prompts_create(struct ods_req *r, struct ods_resp *w)
{
	struct json_object	*o = NULL;
	struct ods_prompt_spec	 sp;
	struct ods_prompt	*p = NULL;
	struct ods_why		 why;
	enum ods_status		 hs;
	enum ods_err		 er;

	memset(&why, 0, sizeof(why));
	if ((er = ods_req_json(r, &o, &why)) != ODS_OK ||
	    (er = ods_prompt_spec_of(o, &sp, &why)) != ODS_OK)
		return ods_resp_input_error(w, er, &why);
	er = ods_prompt_create(ods_req_db(r), &sp, h_user(r), &p, &why);
	if (er != ODS_OK)
		return h_prompt_fail(w, er, &why);
	hs = send_prompt(w, ODS_HTTP_201, p, "template created");
	ods_prompt_free(p);
	return hs;
}

/* The path's template, for writing or reading; sends the 404 itself. */
static struct ods_prompt *
prompt_of(struct ods_req *r, struct ods_resp *w, int write,
    enum ods_status *hs)
{
	struct ods_prompt	*p = NULL;
	enum ods_err		 er;

	er = ods_prompt_get(ods_req_db(r), ods_req_param(r, "id"), h_owner(r),
	    write, &p);
	if (er != ODS_OK)
		*hs = h_prompt_fail(w, er, NULL);
	return p;
}

enum ods_status
h_prompts_get(struct ods_req *r, struct ods_resp *w)
{
	struct ods_prompt	*p;
	enum ods_status		 hs;

	if ((p = prompt_of(r, w, 0, &hs)) == NULL)
		return hs;
	hs = send_prompt(w, ODS_HTTP_200, p, NULL);
	ods_prompt_free(p);
	return hs;
}

enum ods_status
h_prompts_update(struct ods_req *r, struct ods_resp *w)
{
	struct json_object	*o = NULL;
	struct ods_prompt_spec	 sp;
	struct ods_prompt	*p;
	struct ods_why		 why;
	enum ods_status		 hs;
	enum ods_err		 er;

	memset(&why, 0, sizeof(why));
	if ((er = ods_req_json(r, &o, &why)) != ODS_OK ||
	    (er = ods_prompt_spec_of(o, &sp, &why)) != ODS_OK)
		return ods_resp_input_error(w, er, &why);
	if ((p = prompt_of(r, w, 1, &hs)) == NULL)
		return hs;
	er = ods_prompt_update(ods_req_db(r), p, &sp, &why);
	if (er != ODS_OK)
		hs = h_prompt_fail(w, er, &why);
	else
		hs = send_prompt(w, ODS_HTTP_200, p, "template updated");
	ods_prompt_free(p);
	return hs;
}

enum ods_status
h_prompts_delete(struct ods_req *r, struct ods_resp *w)
{
	struct ods_prompt	*p;
	struct ods_jw		*jw;
	enum ods_status		 hs;
	enum ods_err		 er;

	if ((p = prompt_of(r, w, 1, &hs)) == NULL)
		return hs;
	er = ods_prompt_delete(ods_req_db(r), p);
	if (er != ODS_OK)
		hs = h_prompt_fail(w, er, NULL);
	else {
		jw = ods_resp_envelope(w, ODS_HTTP_200, "template deleted");
		ods_jw_obj(jw);
		ods_jw_kstr(jw, "template_id", p->template_id);
		ods_jw_kbool(jw, "deleted", 1);
		ods_jw_end(jw);
		hs = ods_resp_send(w);
	}
	ods_prompt_free(p);
	return hs;
}

enum ods_status
h_prompts_versions(struct ods_req *r, struct ods_resp *w)
{
	struct ods_prompt	*p, *v = NULL;
	struct ods_page		 pg;
	struct ods_jw		*jw;
	enum ods_status		 hs;
	enum ods_err		 er;
	int64_t			 total = 0;
	size_t			 n = 0, i;

	if (h_prompt_page(r, 20, &pg) != ODS_OK)
		return ods_resp_bad_page(w);
	if ((p = prompt_of(r, w, 0, &hs)) == NULL)
		return hs;
	er = ods_prompt_versions(ods_req_db(r), p, (size_t)pg.offset,
	    (size_t)pg.page_size, &v, &n, &total);
	if (er != ODS_OK)
		hs = h_prompt_fail(w, er, NULL);
	else {
		jw = ods_resp_list_begin(w, "versions");
		for (i = 0; i < n; i++)
			ods_prompt_version_json(jw, &v[i]);
		ods_jw_end(jw);
		ods_jw_kstr(jw, "template_id", p->template_id);
		ods_resp_list_end(jw, &pg, total);
		hs = ods_resp_send(w);
	}
	ods_prompt_list_free(v, n);
	ods_prompt_free(p);
	return hs;
}

enum ods_status
h_prompts_render(struct ods_req *r, struct ods_resp *w)
{
	struct json_object	*o = NULL, *vars = NULL;
	struct ods_prompt_text	 t;
	struct ods_why		 why;
	struct ods_jw		*jw;
	enum ods_err		 er;
	int64_t			 ver = 0;

	memset(&why, 0, sizeof(why));
	memset(&t, 0, sizeof(t));
	if ((er = ods_req_json(r, &o, &why)) != ODS_OK ||
	    ((er = ods_json_obj(o, "variables", 0, &vars, &why)) != ODS_OK &&
	    er != ODS_ENOTFOUND) || ((er = ods_json_int(o, "version", 0, 1,
	    INT32_MAX, &ver, &why)) != ODS_OK && er != ODS_ENOTFOUND))
		return ods_resp_input_error(w, er, &why);
	er = ods_prompt_render(ods_req_db(r), ods_req_param(r, "id"),
	    h_owner(r), (int)ver, vars, &t, &why);
	if (er != ODS_OK)
		return h_prompt_fail(w, er, &why);
	jw = ods_resp_envelope(w, ODS_HTTP_200, NULL);
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "template_id", t.template_id);
	ods_jw_key(jw, "content");
	ods_jw_strn(jw, t.content, t.len);
	ods_jw_kint(jw, "version", t.version);
	ods_jw_key(jw, "variables_used");
	ods_jw_raw(jw, t.used, strlen(t.used));
	ods_jw_end(jw);
	ods_prompt_text_fini(&t);
	return ods_resp_send(w);
}
