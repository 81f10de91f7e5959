/*
 * fcgi/worker/j_etl.c — the etl_run job type (w_jobs.h): one execution of
 * an ETL task through svc/data/etl.h, and its metrics (etl_jobs_total,
 * etl_rows_total, etl_run_duration_seconds) in the worker's registry,
 * which its /metrics serves.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ods.h"
#include "../../svc/data/etl.h"
#include "w_jobs.h"

static const double dur_buckets[] = { .1, .5, 1, 5, 10, 30, 60, 300, 900,
    3600, 14400 };
static unsigned	fam_rows, fam_dur;
static int	registered;

enum ods_err
w_register_metrics(void)
{
	const struct ods_metrics_def	rows = {
		.name = "etl_rows_total",
		.help = "Rows of ETL runs by task and direction (read, "
		    "written, rejected).",
		.type = ODS_METRICS_COUNTER,
		.labels = { "pipeline", "direction" },
		.max_series = 1536,
	};
	const struct ods_metrics_def	dur = {
		.name = "etl_run_duration_seconds",
		.help = "Duration of ETL runs by task.",
		.type = ODS_METRICS_HISTOGRAM,
		.labels = { "pipeline" },
		.buckets = dur_buckets,
		.nbuckets = ODS_NELEM(dur_buckets),
		.max_series = 512,
	};
	enum ods_err	er;

	if ((er = ods_metrics_register(&rows, &fam_rows)) != ODS_OK ||
	    (er = ods_metrics_register(&dur, &fam_dur)) != ODS_OK)
		return er;
	registered = 1;
	return w_wf_register_metrics();
}

/*
 * pipeline is the task id: its series are bounded by the families'
 * max_series (past it, the overflow series counts them).
 */
static void
count(const char *task, const struct ods_etl_outcome *o)
{
	const char	*jl[2] = { task, o->status };
	const char	*rl[2] = { task, "read" };

	(void)ods_metrics_counter_add(ODS_M_ETL_JOBS, jl, 1);
	if (!registered)
		return;
	(void)ods_metrics_counter_add(fam_rows, rl, (double)o->rows_read);
	rl[1] = "written";
	(void)ods_metrics_counter_add(fam_rows, rl, (double)o->rows_written);
	rl[1] = "rejected";
	(void)ods_metrics_counter_add(fam_rows, rl, (double)o->rows_rejected);
	(void)ods_metrics_observe(fam_dur, jl, o->seconds);
}

static void
progress(void *arg, int pct, const char *msg)
{
	(void)ods_job_progress(arg, pct, "%s", msg);
}

static void
result(struct ods_job *j, const char *task, const char *exec,
    const struct ods_etl_outcome *o)
{
	struct ods_buf	b;
	struct ods_jw	jw;

	ods_buf_init(&b, 8192);
	ods_jw_init(&jw, &b);
	ods_jw_obj(&jw);
	ods_jw_kstr(&jw, "task_id", task);
	ods_jw_kstr(&jw, "execution_id", exec);
	ods_jw_kstr(&jw, "status", o->status);
	ods_jw_kint(&jw, "rows_read", o->rows_read);
	ods_jw_kint(&jw, "rows_written", o->rows_written);
	ods_jw_kint(&jw, "rows_rejected", o->rows_rejected);
	ods_jw_kint(&jw, "bytes_read", o->bytes_read);
	ods_jw_kint(&jw, "bytes_written", o->bytes_written);
	ods_jw_knum(&jw, "duration_seconds", o->seconds);
	if (*o->error != '\0')
		ods_jw_kstr(&jw, "error", o->error);
	ods_jw_end(&jw);
	if (ods_jw_error(&jw) == ODS_OK && b.data != NULL)
		ods_job_set_result(j, b.data);
	ods_buf_free(&b);
}

enum ods_err
j_etl_run(struct ods_job *j)
{
	const struct ods_req_env	*env = ods_job_env(j);
	const struct w_ctx		*wc = env->ctx;
	struct ods_etl_outcome		 o;
	struct ods_etl_env		 ee;
	struct ods_why			 why;
	const char			*task = NULL, *exec = NULL;
	char				 tmp[4096], own[40];
	enum ods_err			 er;

	memset(&why, 0, sizeof(why));
	if (ods_json_str(ods_job_json(j), "task_id", 1, ODS_ETL_ID_MAX, &task,
	    &why) != ODS_OK || ((er = ods_json_str(ods_job_json(j),
	    "execution_id", 0, 39, &exec, &why)) != ODS_OK &&
	    er != ODS_ENOTFOUND)) {
		ods_job_set_error(j, "payload: %s", why.msg);
		return ODS_EINVAL;
	}
	if (exec == NULL) {
		/* A schedule's run: its execution named after the job. */
		snprintf(own, sizeof(own), "exec_%016llx",
		    (unsigned long long)ods_job_id(j));
		if ((er = ods_etl_exec_ensure(env->db, task, own,
		    ods_job_id(j), "schedule")) != ODS_OK) {
			ods_job_set_error(j, "execution: %s", ods_err_slug(er));
			return er == ODS_ECONFLICT ? ODS_OK : er;
		}
		exec = own;
	}
	snprintf(tmp, sizeof(tmp), "%s/tmp", env->conf->data_dir);
	(void)mkdir(tmp, 0700);
	memset(&ee, 0, sizeof(ee));
	ee.db = env->db;
	ee.ds = wc->ds;
	ee.obj = env->obj;
	ee.tmpdir = tmp;
	ee.attempt = ods_job_attempt(j);
	ee.job_id = ods_job_id(j);
	ee.stopping = w_stopping;
	ee.progress = progress;
	ee.arg = j;
	er = ods_etl_run(&ee, task, exec, &o);
	if (er == ODS_OK || er == ODS_ETIMEOUT)
		count(task, &o);
	if (er != ODS_OK) {
		ods_job_set_error(j, "%s", *o.error ? o.error :
		    ods_err_slug(er));
		return er;
	}
	result(j, task, exec, &o);
	return ODS_OK;
}
