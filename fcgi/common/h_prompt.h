/*
 * fcgi/common/h_prompt.h — what the Agent API's /prompts and the proxy's
 * /api/v1/templates share: one answer for the errors of
 * svc/agent/prompt.h, so both services say the same thing.
 */
#ifndef H_PROMPT_H
#define H_PROMPT_H

#include <stdint.h>

#include "net/ods_req.h"

struct ods_jw;
struct ods_prompt;
struct ods_why;

/*
 * One page of the templates the caller sees (h_owner: its own and the
 * public ones, all for admin), ?page&page_size&category&search, in the
 * list envelope with the items under key, each written by item.
 */
enum ods_status	h_prompt_list(struct ods_req *, struct ods_resp *,
		    const char *key, int64_t page_size,
		    void (*item)(struct ods_jw *, const struct ods_prompt *));

/*
 * The error answer of a prompt template call: 400 40001 naming the field
 * (ODS_EINVAL), 404 40401 (ODS_ENOTFOUND), 409 40900 (ODS_ECONFLICT),
 * 413 (ODS_ETOOBIG), else the error's own.
 */
enum ods_status	h_prompt_fail(struct ods_resp *, enum ods_err,
		    const struct ods_why *);

#endif /* H_PROMPT_H */
