/* fcgi/proxy/h_proxy.h — the handlers of ods-openai-proxy. */
#ifndef H_PROXY_H
#define H_PROXY_H

#include "ods.h"
#include "auth/ods_auth.h"
#include "llm/ods_llm.h"
#include "llm/ods_llm_usage.h"

struct json_object;

/*
 * One file per resource: h_<resource>.c holds h_<resource>_<verb>, the
 * handlers of the route rows in main.c.
 */
enum ods_status	h_chat_create(struct ods_req *, struct ods_resp *);
enum ods_status	h_completions_create(struct ods_req *, struct ods_resp *);
enum ods_status	h_embeddings_create(struct ods_req *, struct ods_resp *);
enum ods_status	h_models_list(struct ods_req *, struct ods_resp *);
enum ods_status	h_models_get(struct ods_req *, struct ods_resp *);
enum ods_status	h_health_get(struct ods_req *, struct ods_resp *);
enum ods_status	h_usage_get(struct ods_req *, struct ods_resp *);
/*
 * h_templates.c: a chat body's prompt_template (a name) filled from its context object
 * becomes the system prompt (ods_llm_chat_system), both fields dropped:
 * *body and *len then hold the rewritten body. Returns 1 to go on, 0
 * after sending the error (404 unknown template, 400 naming missing or
 * mistyped variables).
 */
int		h_templates_apply(struct ods_req *, struct ods_resp *,
		    struct json_object *, const char **body, size_t *len,
		    enum ods_status *);

/*
 * h_openai.c: the service's hooks. Its context, one per worker: the LLM
 * client and the usage writer (NULL without a database).
 */
struct h_proxy {
	struct ods_llm		*llm;
	struct ods_llm_usage_q	*usage;
};
enum ods_err	h_proxy_init(const struct ods_req_env *, void **ctx);
void		h_proxy_fini(void *ctx);
struct h_proxy	*h_proxy(struct ods_req *);
struct ods_llm	*h_llm(struct ods_req *);
/* Forward a chat or completion call and account for it. */
enum ods_status	h_forward(struct ods_req *, struct ods_resp *,
		    enum ods_llm_op, const char *endpoint);

/* The error for an ods_llm / ods_llm_usage failure. */
enum ods_status	h_openai_llm_error(struct ods_resp *, enum ods_err,
		    const char *model);
/*
 * The error for a failed ods_llm_forward: as h_openai_llm_error, but a
 * backend that refused the proxy's own key (res->auth_refused) is a 502
 * "upstream_auth_error" of ours, never the upstream's body.
 */
enum ods_status	h_openai_forward_error(struct ods_resp *, enum ods_err,
		    const struct ods_llm_result *, const char *model);

/* What one call cost, for metrics, limits and the usage table. */
struct h_call {
	const char	*endpoint;	/* "/v1/chat/completions" */
	const char	*model;
	const char	*backend;
	int		 stream;
	int		 status;	/* HTTP status sent */
	const char	*outcome;	/* "success", "error", "timeout" */
	int64_t		 prompt_tokens;
	int64_t		 completion_tokens;
	double		 seconds;
	struct ods_llm_hold *hold;	/* settled with the tokens above */
};
/*
 * Metrics, the usage row of one call, and its limit hold settled with
 * prompt_tokens + completion_tokens (what it is billed).
 */
void		h_account(struct ods_req *, const struct h_call *);
/*
 * Parse the body, prepare it, check the caller's limits and hold its
 * estimate (*ok 1: the caller must pass the hold to h_account).
 */
enum ods_status	h_begin(struct ods_req *, struct ods_resp *, enum ods_llm_op,
		    struct json_object **, struct ods_llm_prep *,
		    struct ods_llm_hold *, int *ok);

#endif /* H_PROXY_H */
