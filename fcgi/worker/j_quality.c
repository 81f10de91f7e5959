/*
 * fcgi/worker/j_quality.c — the quality_run job type (w_jobs.h): the
 * rules of a task or one rule through svc/data/quality.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ods.h"
#include "../../svc/data/quality.h"
#include "w_jobs.h"

enum ods_err
j_quality_run(struct ods_job *j)
{
	const struct ods_req_env	*env = ods_job_env(j);
	const struct w_ctx		*wc = env->ctx;
	struct ods_quality_env		 qe;
	const char			*task = NULL, *rule = NULL;
	char				 report[48], res[160];
	double				 score = 0, t0 = ods_now_sec();
	enum ods_err			 er;

	(void)ods_json_str(ods_job_json(j), "task_id", 0, 64, &task, NULL);
	(void)ods_json_str(ods_job_json(j), "rule_id", 0, 64, &rule, NULL);
	if ((task == NULL) == (rule == NULL)) {
		ods_job_set_error(j, "payload: task_id or rule_id");
		return ODS_EINVAL;
	}
	memset(&qe, 0, sizeof(qe));
	qe.db = env->db;
	qe.ds = wc->ds;
	qe.obj = env->obj;
	qe.webhook_default = env->conf->quality_webhook_url;
	qe.stopping = w_stopping;
	qe.arg = j;
	qe.job_id = ods_job_id(j);
	(void)ods_job_progress(j, 5, "checking %s", task != NULL ? task :
	    rule);
	er = ods_quality_run(&qe, task, rule, ods_job_created_by(j), report,
	    &score);
	/* business_operations_total{operation="quality_run"}, its duration. */
	ods_metrics_business("quality_run", er == ODS_OK ? "success" :
	    "failed", ods_now_sec() - t0);
	if (er == ODS_ENOTFOUND) {
		/* Deleted since it was queued: done, nothing to retry. */
		ods_job_set_result(j, "{\"status\":\"failed\",\"error\":"
		    "\"not_found\"}");
		return ODS_OK;
	}
	if (er != ODS_OK) {
		ods_job_set_error(j, "quality run: %s", ods_err_slug(er));
		return er;
	}
	snprintf(res, sizeof(res), "{\"status\":\"completed\",\"report_id\":"
	    "\"%s\",\"quality_score\":%.6f}", report, score);
	ods_job_set_result(j, res);
	return ODS_OK;
}
