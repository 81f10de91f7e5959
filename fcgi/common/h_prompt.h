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
struct ods_page;
struct ods_prompt;
struct ods_why;

/*
 * ?page&page_size|limit as ods_req_page, page_size clamped to
 * ODS_PROMPT_LIST_MAX (a template may be large). ODS_EINVAL.
 */
enum ods_err	h_prompt_page(struct ods_req *, int64_t page_size,
		    struct ods_page *) ODS_MUSTCHECK;

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

/*
 * /templates of reference-api §5 (prompt templates by name): rows for a
 * route table. The proxy has no prefixes and lists its own with
 * /api/v1 in front; the agent pool serves these under its prefixes.
 */
#define H_TEMPLATE_BODY	((size_t)2 << 20)
#define H_TEMPLATE_ROUTES(pre) \
	{ ODS_GET, pre "/templates", h_templates_list, ODS_AUTH_REQUIRED, \
	    "prompt_template:read" }, \
	{ ODS_GET, pre "/templates/{name}", h_templates_get, \
	    ODS_AUTH_REQUIRED, "prompt_template:read" }, \
	{ ODS_POST, pre "/templates", h_templates_create, ODS_AUTH_REQUIRED, \
	    "prompt_template:create", H_TEMPLATE_BODY }

/* ?page&page_size&category&search: data:{templates, total, ...}. */
enum ods_status	h_templates_list(struct ods_req *, struct ods_resp *);
/* By name (or "tpl-..." id): data:{name, template, ...}. */
enum ods_status	h_templates_get(struct ods_req *, struct ods_resp *);
/*
 * {name, template, description?, variables?}: a new template (201), or a
 * new version of the caller's template of that name (200); another
 * user's name is a 409.
 */
enum ods_status	h_templates_create(struct ods_req *, struct ods_resp *);

#endif /* H_PROMPT_H */
