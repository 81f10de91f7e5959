/*
 * fcgi/common/h_prompt.h — what the Agent API's /prompts and the proxy's
 * /api/v1/templates share: one answer for the errors of
 * svc/agent/prompt.h, so both services say the same thing.
 */
#ifndef H_PROMPT_H
#define H_PROMPT_H

#include "net/ods_req.h"

struct ods_why;

/*
 * The error answer of a prompt template call: 400 40001 naming the field
 * (ODS_EINVAL), 404 40401 (ODS_ENOTFOUND), 409 40900 (ODS_ECONFLICT),
 * 413 (ODS_ETOOBIG), else the error's own.
 */
enum ods_status	h_prompt_fail(struct ods_resp *, enum ods_err,
		    const struct ods_why *);

#endif /* H_PROMPT_H */
