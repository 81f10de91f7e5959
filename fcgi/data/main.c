/* fcgi/data/main.c — ods-data-api: datasets, metadata, ETL, quality. */
#include "config.h"

#include <stddef.h>

#include "ods.h"
#include "../common/h_auth.h"

static const char *const prefixes[] = { "/api/v1/data", "/api/v1", NULL };

static const struct ods_route routes[] = {
	{ ODS_GET, "/health",  ods_health_ready, ODS_AUTH_OPEN, NULL },
	{ ODS_GET, "/healthz", ods_health_live,  ODS_AUTH_OPEN, NULL },
	{ ODS_GET, "/auth/me", h_auth_me, ODS_AUTH_REQUIRED, NULL },
	{ ODS_POST, "/auth/refresh", h_auth_refresh, ODS_AUTH_OPEN, NULL },
	{ ODS_POST, "/api-keys", h_apikey_create, ODS_AUTH_REQUIRED,
	    "system:manage" },
	{ ODS_GET, "/api-keys", h_apikey_list, ODS_AUTH_REQUIRED,
	    "system:manage" },
	{ ODS_DELETE, "/api-keys/{id}", h_apikey_revoke, ODS_AUTH_REQUIRED,
	    "system:manage" },
};

static const struct ods_service service = {
	"data-api", PACKAGE_VERSION, routes, ODS_NELEM(routes), prefixes, 4, 0,
	NULL, NULL
};

int
main(int argc, char *argv[])
{
	return ods_fcgi_main(argc, argv, &service);
}
