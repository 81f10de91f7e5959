/* fcgi/proxy/main.c — ods-openai-proxy: the OpenAI-compatible /v1 API. */
#include "config.h"

#include <stddef.h>

#include "h_proxy.h"

static const char *const prefixes[] = { NULL };

static const struct ods_route routes[] = {
	{ ODS_GET, "/health",         h_health,          ODS_AUTH_OPEN, NULL },
	{ ODS_GET, "/healthz",        ods_health_live,   ODS_AUTH_OPEN, NULL },
	{ ODS_GET, "/api/v1/health",  ods_health_report, ODS_AUTH_OPEN, NULL },
	{ ODS_GET, "/api/v1/healthz", ods_health_live,   ODS_AUTH_OPEN, NULL },
	{ ODS_GET, "/api/v1/usage",   h_usage,       ODS_AUTH_REQUIRED,
	    "usage:read" },
	{ ODS_GET, "/v1/models",      h_models,      ODS_AUTH_REQUIRED, NULL },
	{ ODS_GET, "/v1/models/{id}", h_model_get,   ODS_AUTH_REQUIRED, NULL },
	{ ODS_POST, "/v1/chat/completions", h_chat_completions,
	    ODS_AUTH_REQUIRED, NULL },
	{ ODS_POST, "/v1/completions", h_completions, ODS_AUTH_REQUIRED, NULL },
	{ ODS_POST, "/v1/embeddings", h_embeddings,  ODS_AUTH_REQUIRED, NULL },
};

static const struct ods_service service = {
	"openai-proxy", PACKAGE_VERSION, routes, ODS_NELEM(routes), prefixes,
	32, 1, ods_llm_metrics_register, ods_llm_usage_flush
};

int
main(int argc, char *argv[])
{
	return ods_fcgi_main(argc, argv, &service);
}
