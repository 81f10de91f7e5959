/*
 * fcgi/agent/h_prompts.h — /prompts: prompt templates with variables,
 * versions and rendering (svc/agent/prompt.h). The creator changes a
 * template; others see it only when it is public (read and render), an
 * admin sees all; anyone else gets 404.
 */
#ifndef H_PROMPTS_H
#define H_PROMPTS_H

#include "net/ods_req.h"
#include "server/ods_router.h"

/* Content may be ODS_PROMPT_CONTENT_MAX (1 MiB), plus the JSON around. */
#define H_PROMPT_BODY	((size_t)2 << 20)

#define H_PROMPT_ROUTES \
	{ ODS_GET, "/prompts", h_prompts_list, ODS_AUTH_REQUIRED, \
	    "prompt_template:read" }, \
	{ ODS_POST, "/prompts", h_prompts_create, ODS_AUTH_REQUIRED, \
	    "prompt_template:create", H_PROMPT_BODY }, \
	{ ODS_GET, "/prompts/{id}", h_prompts_get, ODS_AUTH_REQUIRED, \
	    "prompt_template:read" }, \
	{ ODS_PUT, "/prompts/{id}", h_prompts_update, ODS_AUTH_REQUIRED, \
	    "prompt_template:update", H_PROMPT_BODY }, \
	{ ODS_DELETE, "/prompts/{id}", h_prompts_delete, ODS_AUTH_REQUIRED, \
	    "prompt_template:delete" }, \
	{ ODS_GET, "/prompts/{id}/versions", h_prompts_versions, \
	    ODS_AUTH_REQUIRED, "prompt_template:read" }, \
	{ ODS_POST, "/prompts/{id}/render", h_prompts_render, \
	    ODS_AUTH_REQUIRED, "prompt_template:read" }

/* ?page&page_size&category&search: data:{prompts, total, page, page_size}. */
enum ods_status	h_prompts_list(struct ods_req *, struct ods_resp *);
/*
 * {name, content, variables?, description?, category?, model?, tags?,
 * is_public?}: 201 the template; 400 naming the field (undeclared
 * variables listed), 409 when a live template has the name.
 */
enum ods_status	h_prompts_create(struct ods_req *, struct ods_resp *);
/* By "tpl-..." id or by name. */
enum ods_status	h_prompts_get(struct ods_req *, struct ods_resp *);
/* The fields of a create, each optional: 200 the template (new version). */
enum ods_status	h_prompts_update(struct ods_req *, struct ods_resp *);
enum ods_status	h_prompts_delete(struct ods_req *, struct ods_resp *);
/* data:{versions:[...], total}: newest first, the current one included. */
enum ods_status	h_prompts_versions(struct ods_req *, struct ods_resp *);
/*
 * {variables?: {...}, version?}: data:{content, version, template_id,
 * variables_used}; 400 naming missing or mistyped variables, 413 past
 * ODS_PROMPT_RENDER_MAX.
 */
enum ods_status	h_prompts_render(struct ods_req *, struct ods_resp *);

#endif /* H_PROMPTS_H */
