/* fcgi/proxy/main.c — ods-openai-proxy: the OpenAI-compatible /v1 API. */
#include "config.h"

#include <stddef.h>

#include "ods.h"

static const char *const prefixes[] = { NULL };

static const struct ods_route routes[] = {
	{ ODS_GET, "/health",         ods_health_report, ODS_AUTH_OPEN, NULL },
	{ ODS_GET, "/healthz",        ods_health_live,   ODS_AUTH_OPEN, NULL },
	{ ODS_GET, "/api/v1/health",  ods_health_report, ODS_AUTH_OPEN, NULL },
	{ ODS_GET, "/api/v1/healthz", ods_health_live,   ODS_AUTH_OPEN, NULL },
};

static const struct ods_service service = {
	"openai-proxy", PACKAGE_VERSION, routes, ODS_NELEM(routes), prefixes,
	32, 1
};

int
main(int argc, char *argv[])
{
	return ods_fcgi_main(argc, argv, &service);
}
