/* fcgi/proxy/main.c — ods-openai-proxy: the OpenAI-compatible /v1 API. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "h_proxy.h"
#include "../common/h_prompt.h"

static const char *const prefixes[] = { NULL };

/*
 * Chat and embedding bodies carry whole conversations and documents: up
 * to ODS_MAX_BODY_BYTES (the JSON value limit still bounds a parse).
 */
#define V1_BODY	SIZE_MAX

static const struct ods_route routes[] = {
	{ ODS_GET, "/health",         h_health_get,      ODS_AUTH_OPEN, NULL },
	{ ODS_GET, "/healthz",        ods_health_live,   ODS_AUTH_OPEN, NULL },
	{ ODS_GET, "/api/v1/health",  ods_health_report, ODS_AUTH_OPEN, NULL },
	{ ODS_GET, "/api/v1/healthz", ods_health_live,   ODS_AUTH_OPEN, NULL },
	{ ODS_GET, "/api/v1/usage",   h_usage_get,   ODS_AUTH_REQUIRED,
	    "usage:read" },
	/* The Agent API's /prompts rows, by name (its permissions too). */
	H_TEMPLATE_ROUTES("/api/v1"),
	/*
	 * Listing needs a caller, no permission: it spends nothing, names
	 * only what is served, and SDKs list models before anything else
	 * (the §7.2 matrix's "model:read" is ai_developer's alone, which
	 * would shut out users and API keys). Calls spend tokens.
	 */
	{ ODS_GET, "/v1/models",      h_models_list, ODS_AUTH_REQUIRED, NULL },
	{ ODS_GET, "/v1/models/{id}", h_models_get,  ODS_AUTH_REQUIRED, NULL },
	{ ODS_POST, "/v1/chat/completions", h_chat_create,
	    ODS_AUTH_REQUIRED, ODS_PERM_MODEL_USE, V1_BODY },
	{ ODS_POST, "/v1/completions", h_completions_create,
	    ODS_AUTH_REQUIRED, ODS_PERM_MODEL_USE, V1_BODY },
	{ ODS_POST, "/v1/embeddings", h_embeddings_create,
	    ODS_AUTH_REQUIRED, ODS_PERM_MODEL_USE, V1_BODY },
};

static const struct ods_service service = {
	.name = "openai-proxy",
	.version = PACKAGE_VERSION,
	.routes = routes,
	.nroutes = ODS_NELEM(routes),
	.prefixes = prefixes,
	.default_threads = 32,		/* long SSE streams */
	.openai_errors = 1,
	.register_metrics = ods_llm_metrics_register,
	.init = h_proxy_init,
	.fini = h_proxy_fini,
};

int
main(int argc, char *argv[])
{
	return ods_fcgi_main(argc, argv, &service);
}
