/*
 * fcgi/worker/main.c — ods-worker: runs background jobs (the jobs table,
 * woken by a Redis Stream) in the pools' process model, and serves its
 * health and metrics over FastCGI (nginx, ODS_WORKER_PORT).
 */
#include "config.h"

#include <stddef.h>

#include "ods.h"
#include "w_jobs.h"

static const struct ods_route routes[] = {
	{ ODS_GET, "/health",  ods_health_ready, ODS_AUTH_OPEN, NULL },
	{ ODS_GET, "/healthz", ods_health_live,  ODS_AUTH_OPEN, NULL },
};

static const struct ods_job_type job_types[] = {
	W_JOB_TYPES,
};

static const struct ods_service service = {
	.name = "worker",
	.version = PACKAGE_VERSION,
	.routes = routes,
	.nroutes = ODS_NELEM(routes),
	.default_threads = 1,
	.job_types = job_types,
	.njob_types = ODS_NELEM(job_types),
	.tick = w_tick,
	.register_metrics = w_register_metrics,
	.init = w_init,
	.fini = w_fini,
	.object_store = 1,
};

int
main(int argc, char *argv[])
{
	return ods_fcgi_main(argc, argv, &service);
}
