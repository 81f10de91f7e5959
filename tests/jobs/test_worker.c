/*
 * tests/jobs/test_worker.c — ods-test-worker: ods-worker's job types plus
 * "counter", for the integration tests and the benchmark (tests/
 * integration/jobs-*.sh, tests/bench/jobs). A separate program rather
 * than a type in production: counter writes a table of its own
 * (test_job_runs, made by the init hook), which has no place in a real
 * deployment.
 *
 * counter: payload {"sleep_ms": n (optional, cancellable)}; then adds 1 to
 * the row of test_job_runs keyed by the job's id. A job that ran twice
 * shows n = 2; one that never ran has no row.
 */
#include "config.h"

#include <stddef.h>

#include "ods.h"
#include "../../fcgi/worker/w_jobs.h"

static enum ods_err
j_counter(struct ods_job *j)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_arg	 a[1];
	struct ods_why		 e;
	int64_t			 ms = 0;
	enum ods_err		 er;

	er = ods_json_int(ods_job_json(j), "sleep_ms", 0, 0, 3600000, &ms, &e);
	if (er != ODS_OK && er != ODS_ENOTFOUND)
		return ODS_EINVAL;
	if (ms > 0 && ods_job_sleep(j, (int)ms))
		return ODS_ETIMEOUT;
	if ((er = ods_db_acquire(ods_job_env(j)->db, &c)) != ODS_OK)
		return er;
	a[0] = ods_db_int(ods_job_id(j));
	er = ods_db_exec(c, "INSERT INTO test_job_runs (job_id, n, pid) VALUES "
	    "(?, 1, CONNECTION_ID()) ON DUPLICATE KEY UPDATE n = n + 1", a, 1,
	    NULL);
	ods_db_release(c);
	if (er == ODS_OK)
		ods_job_set_result(j, "{\"counted\":true}");
	return er;
}

static enum ods_err
init(const struct ods_req_env *env, void **ctx)
{
	struct ods_db_conn	*c = NULL;
	enum ods_err		 er;

	*ctx = NULL;
	if ((er = ods_db_acquire(env->db, &c)) != ODS_OK)
		return er;
	er = ods_db_exec(c, "CREATE TABLE IF NOT EXISTS test_job_runs (job_id "
	    "BIGINT NOT NULL PRIMARY KEY, n INT NOT NULL, pid BIGINT NULL) "
	    "ENGINE=InnoDB", NULL, 0, NULL);
	ods_db_release(c);
	if (er != ODS_OK)
		return er;
	return w_init(env, ctx);	/* the job types of ods-worker */
}

static const struct ods_route routes[] = {
	{ ODS_GET, "/health",  ods_health_ready, ODS_AUTH_OPEN, NULL },
	{ ODS_GET, "/healthz", ods_health_live,  ODS_AUTH_OPEN, NULL },
};

static const struct ods_job_type job_types[] = {
	W_JOB_TYPES,
	{ "counter", j_counter },
};

static const struct ods_service service = {
	.name = "worker",
	.version = PACKAGE_VERSION,
	.routes = routes,
	.nroutes = ODS_NELEM(routes),
	.default_threads = 1,
	.init = init,
	.job_types = job_types,
	.njob_types = ODS_NELEM(job_types),
	.tick = w_tick,
	.fini = w_fini,
	.object_store = 1,
};

int
main(int argc, char *argv[])
{
	return ods_fcgi_main(argc, argv, &service);
}
