/*
 * fcgi/proxy/h_templates.c — reference-api §5's prompt_template and
 * context of a chat completion: a stored template (svc/agent/prompt.h)
 * filled and sent as the system prompt. /api/v1/templates itself is
 * fcgi/common/h_prompt.c (the agent pool serves it too).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "h_proxy.h"
#include "../../svc/agent/prompt.h"
#include "../common/h_auth.h"
#include "../common/h_prompt.h"

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
