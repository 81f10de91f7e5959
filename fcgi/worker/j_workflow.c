/*
 * fcgi/worker/j_workflow.c — the workflow_run job type (w_jobs.h): one
 * run of a workflow execution through svc/agent/wf.h, resumed after a
 * crash by the next attempt; a schedule's run first makes its execution
 * (svc/agent/workflow.h). Counts workflow_runs_total{status} and
 * workflow_run_duration_seconds, and business_operations_total
 * {operation="workflow_run"}.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ods.h"
#include "../../svc/agent/wf.h"
#include "../../svc/agent/workflow.h"
#include "w_jobs.h"

static const double dur_buckets[] = { .01, .05, .1, .5, 1, 5, 10, 30, 60,
    300, 900, 3600 };
static unsigned	fam_runs, fam_dur;
static int	registered;

enum ods_err
w_wf_register_metrics(void)
{
	const struct ods_metrics_def	runs = {
		.name = "workflow_runs_total",
		.help = "Workflow runs ended, by status (completed, failed, "
		    "stopped).",
		.type = ODS_METRICS_COUNTER,
		.labels = { "status" },
		.max_series = 8,
	};
	const struct ods_metrics_def	dur = {
		.name = "workflow_run_duration_seconds",
		.help = "Duration of workflow runs, by status.",
		.type = ODS_METRICS_HISTOGRAM,
		.labels = { "status" },
		.buckets = dur_buckets,
		.nbuckets = ODS_NELEM(dur_buckets),
		.max_series = 8,
	};
	enum ods_err	er;

	if ((er = ods_metrics_register(&runs, &fam_runs)) != ODS_OK ||
	    (er = ods_metrics_register(&dur, &fam_dur)) != ODS_OK)
		return er;
	registered = 1;
	return ODS_OK;
}

static void
count(const struct ods_wf_outcome *o)
{
	const char	*l[1] = { o->status };
	double		 s = (double)o->duration_ms / 1000.0;

	/* The dashboards' operation; a stop is neither. */
	if (strcmp(o->status, "stopped") != 0)
		ods_metrics_business("workflow_run", strcmp(o->status,
		    "completed") == 0 ? "success" : "failed", s);
	if (!registered)
		return;
	(void)ods_metrics_counter_add(fam_runs, l, 1);
	(void)ods_metrics_observe(fam_dur, l, s);
}

static int
cancelled(void *job)
{
	return ods_job_cancelled(job);
}

/*
 * A schedule's run: its execution, made once per job (a retried job
 * finds the one its first attempt made, by job id), with the schedule's
 * inputs and timeout.
 */
static enum ods_err
sched_exec(struct ods_job *j, const char *wf, const char *sid,
    char exec[40])
{
	const struct ods_req_env	*env = ods_job_env(j);
	struct ods_wf_sched		*s = NULL;
	struct ods_db_arg		 a[2];
	struct ods_db_res		*res = NULL;
	struct ods_why			 why;
	enum ods_err			 er;

	a[0] = ods_db_int(ods_job_id(j));
	a[1] = ods_db_text(sid);
	er = ods_db_query_once(env->db, "SELECT execution_id FROM "
	    "workflow_executions WHERE job_id = ? AND schedule_id = ?", a, 2,
	    1, &res);
	if (er != ODS_OK)
		return er;
	if (ods_db_res_nrows(res) == 1 &&
	    ods_db_res_text(res, 0, 0, NULL) != NULL) {
		snprintf(exec, 40, "%s", ods_db_res_text(res, 0, 0, NULL));
		ods_db_res_free(res);
		return ODS_OK;
	}
	ods_db_res_free(res);
	if ((er = ods_wf_sched_get(env->db, sid, NULL, &s)) != ODS_OK)
		return er;
	memset(&why, 0, sizeof(why));
	er = ods_wf_exec_create(env->db, wf, s->inputs, "schedule",
	    s->created_by, sid, (int)s->timeout_seconds, exec, &why);
	ods_wf_sched_free(s);
	if (er == ODS_OK)
		er = ods_wf_exec_set_job(env->db, exec, ods_job_id(j));
	return er;
}

static void
sched_after(struct ods_job *j, const char *exec)
{
	const struct ods_req_env	*env = ods_job_env(j);

	if (ods_wf_sched_after_run(env->db, env->redis, exec, NULL, NULL) !=
	    ODS_OK)
		ods_log(ODS_LOG_WARN, "wf_sched_after exec=%s", exec);
}

static void
result(struct ods_job *j, const char *exec, const struct ods_wf_outcome *o)
{
	struct ods_buf	b;
	struct ods_jw	jw;

	ods_buf_init(&b, 4096);
	ods_jw_init(&jw, &b);
	ods_jw_obj(&jw);
	ods_jw_kstr(&jw, "execution_id", exec);
	ods_jw_kstr(&jw, "status", o->status);
	ods_jw_kint(&jw, "duration_ms", o->duration_ms);
	ods_jw_kint(&jw, "nodes", (int64_t)o->nodes);
	ods_jw_kint(&jw, "resumed", (int64_t)o->resumed);
	if (o->error[0] != '\0')
		ods_jw_kstr(&jw, "error", o->error);
	ods_jw_end(&jw);
	if (ods_jw_error(&jw) == ODS_OK && b.data != NULL)
		ods_job_set_result(j, b.data);
	ods_buf_free(&b);
}

enum ods_err
j_workflow_run(struct ods_job *j)
{
	const struct ods_req_env	*env = ods_job_env(j);
	const struct w_ctx		*wc = env->ctx;
	struct ods_wf_outcome		 o;
	struct ods_wf_env		 we;
	struct ods_why			 why;
	const char			*exec = NULL, *wf = NULL, *sid = NULL;
	char				 own[40];
	enum ods_err			 er;

	memset(&why, 0, sizeof(why));
	if (((er = ods_json_str(ods_job_json(j), "execution_id", 0, 64,
	    &exec, &why)) != ODS_OK && er != ODS_ENOTFOUND) ||
	    ((er = ods_json_str(ods_job_json(j), "workflow_id", 0, 64, &wf,
	    &why)) != ODS_OK && er != ODS_ENOTFOUND) ||
	    ((er = ods_json_str(ods_job_json(j), "schedule_id", 0, 64, &sid,
	    &why)) != ODS_OK && er != ODS_ENOTFOUND) ||
	    (exec == NULL && (wf == NULL || sid == NULL))) {
		ods_job_set_error(j, "payload: %s", why.msg[0] ? why.msg :
		    "execution_id, or workflow_id and schedule_id, required");
		return ODS_EINVAL;
	}
	if (exec == NULL) {
		if ((er = sched_exec(j, wf, sid, own)) != ODS_OK) {
			ods_job_set_error(j, "schedule %s: %s", sid,
			    er == ODS_EUNSUPPORTED ? "this worker is built "
			    "without svc/agent/workflow.h" : ods_err_slug(er));
			return er;
		}
		exec = own;
	}
	memset(&we, 0, sizeof(we));
	we.db = env->db;
	we.redis = env->redis;
	we.conf = env->conf;
	we.llm = wc->llm;
	we.rag = wc->rag;
	we.ds = wc->ds;
	we.attempt = ods_job_attempt(j);
	we.stopping = w_stopping;
	we.cancelled = cancelled;
	we.arg = j;
	er = ods_wf_run(&we, exec, &o);
	if (er != ODS_OK) {
		ods_job_set_error(j, "execution %s: %s", exec,
		    ods_err_slug(er));
		return er;
	}
	count(&o);
	sched_after(j, exec);	/* a schedule's retry policy, if any */
	result(j, exec, &o);
	return ODS_OK;
}
