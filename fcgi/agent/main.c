/* fcgi/agent/main.c — ods-agent-api: knowledge bases, RAG, chat, workflows. */
#include "config.h"

#include <stddef.h>

#include "ods.h"
#include "../common/h_auth.h"
#include "../common/h_store.h"
#include "../common/h_jobs.h"
#include "../common/h_stats.h"
#include "h_agent.h"
#include "h_apps.h"
#include "h_prompts.h"
#include "../common/h_prompt.h"
#include "h_chat.h"
#include "h_tools.h"
#include "h_workflows.h"

static const char *const prefixes[] = {
	"/api/v1/agent", "/api/v1", "/api", NULL
};

/*
 * The reference's agent templates live at /api/v1/agent/templates, which
 * the /api/v1/agent prefix would turn into /templates (the prompt
 * templates, still at /api/v1/templates and /api/templates).
 */
static const struct ods_path_alias aliases[] = {
	{ "/api/v1/agent/templates", "/agent/templates" },
	{ NULL, NULL }
};

static const struct ods_route routes[] = {
	{ ODS_GET, "/health",  ods_health_ready, ODS_AUTH_OPEN, NULL },
	{ ODS_GET, "/healthz", ods_health_live,  ODS_AUTH_OPEN, NULL },
	H_AUTH_ROUTES,
	H_STORE_ROUTES,
	H_JOBS_ROUTES,
	H_STATS_ROUTES,
	H_AGENT_ROUTES,
	H_APP_ROUTES,
	H_PROMPT_ROUTES,
	H_TEMPLATE_ROUTES(""),
	H_CHAT_ROUTES,
	H_TOOLS_ROUTES,
	H_WORKFLOW_ROUTES,
};

static const struct ods_service service = {
	.name = "agent-api",
	.version = PACKAGE_VERSION,
	.routes = routes,
	.nroutes = ODS_NELEM(routes),
	.prefixes = prefixes,
	.aliases = aliases,
	.default_threads = 4,
	.object_store = 1,
	.init = h_agent_init,
	.fini = h_agent_fini,
};

int
main(int argc, char *argv[])
{
	return ods_fcgi_main(argc, argv, &service);
}
