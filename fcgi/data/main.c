/* fcgi/data/main.c — ods-data-api: data sources, datasets, metadata. */
#include "config.h"

#include <stddef.h>

#include "ods.h"
#include "../common/h_auth.h"
#include "../common/h_store.h"
#include "../common/h_jobs.h"
#include "../common/h_stats.h"
#include "h_datasources.h"
#include "h_metadata.h"
#include "h_query.h"
#include "h_datasets.h"
#include "h_lineage.h"
#include "h_quality.h"
#include "h_etl.h"

static const char *const prefixes[] = { "/api/v1/data", "/api/v1", NULL };

static const struct ods_route routes[] = {
	{ ODS_GET, "/health",  ods_health_ready, ODS_AUTH_OPEN, NULL },
	{ ODS_GET, "/healthz", ods_health_live,  ODS_AUTH_OPEN, NULL },
	H_AUTH_ROUTES,
	H_STORE_ROUTES,
	H_JOBS_ROUTES,
	H_STATS_ROUTES,
	H_DATASOURCES_ROUTES,
	H_METADATA_ROUTES,
	H_QUERY_ROUTES,
	H_DATASETS_ROUTES,
	H_LINEAGE_ROUTES,
	H_QUALITY_ROUTES,
	H_ETL_ROUTES,
};

static const struct ods_service service = {
	.name = "data-api",
	.version = PACKAGE_VERSION,
	.routes = routes,
	.nroutes = ODS_NELEM(routes),
	.prefixes = prefixes,
	.default_threads = 4,
	.object_store = 1,
	.init = h_data_init,
	.fini = h_data_fini,
	.scrape = h_quality_scrape,
};

int
main(int argc, char *argv[])
{
	return ods_fcgi_main(argc, argv, &service);
}
