/*
 * fcgi/common/h_prompt.c — what /prompts and the proxy's /api/v1/templates
 * share: the list and the errors.
 */
#include "config.h"

#include <string.h>

#include "ods.h"
#include "../../svc/agent/prompt.h"
#include "h_auth.h"
#include "h_prompt.h"

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
	if (ods_req_page(r, page_size, &pg) != ODS_OK)
		return ods_resp_error(w, ODS_EINVAL, "page, page_size and "
		    "limit must be integers");
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
