/* fcgi/common/h_prompt.c — the errors of prompt template calls. */
#include "config.h"

#include "ods.h"
#include "h_prompt.h"

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
