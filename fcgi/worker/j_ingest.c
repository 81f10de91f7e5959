/*
 * fcgi/worker/j_ingest.c — the kb_ingest job type (w_jobs.h): one
 * document of a knowledge base through svc/agent's ingestion.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ods.h"
#include "../../svc/agent/kb.h"
#include "w_jobs.h"

static void
progress(void *arg, int pct, const char *msg)
{
	(void)ods_job_progress(arg, pct, "%s", msg);
}

enum ods_err
j_kb_ingest(struct ods_job *j)
{
	const struct ods_req_env	*env = ods_job_env(j);
	const struct w_ctx		*wc = env->ctx;
	struct ods_kb_ingest_env	 ie;
	struct ods_why			 why;
	char				 tmp[4096], res[512];
	int64_t				 doc = 0, n = 0;
	enum ods_err			 er;

	memset(&why, 0, sizeof(why));
	if (ods_json_int(ods_job_json(j), "doc", 1, 1, INT64_MAX, &doc,
	    &why) != ODS_OK) {
		ods_job_set_error(j, "payload: %s", why.msg);
		return ODS_EINVAL;
	}
	if (env->obj == NULL) {
		ods_job_set_error(j, "no object store");
		return ODS_EUNAVAIL;
	}
	snprintf(tmp, sizeof(tmp), "%s/tmp", env->conf->data_dir);
	(void)mkdir(tmp, 0700);
	memset(&ie, 0, sizeof(ie));
	ie.db = env->db;
	ie.obj = env->obj;
	ie.llm = wc->llm;
	ie.tmpdir = tmp;
	ie.stopping = w_stopping;
	ie.progress = progress;
	ie.arg = j;
	er = ods_kb_ingest(&ie, doc, &n, &why);
	if (er != ODS_OK && ods_kb_ingest_permanent(er)) {
		/*
		 * The file is unreadable: the document says so (failed, with
		 * the reason); another attempt would find the same bytes.
		 */
		snprintf(res, sizeof(res), "{\"doc\":%lld,\"status\":\"failed\","
		    "\"error\":\"%s\"}", (long long)doc, ods_err_slug(er));
		ods_job_set_result(j, res);
		return ODS_OK;
	}
	if (er != ODS_OK) {
		ods_job_set_error(j, "ingestion: %s", ods_err_slug(er));
		return er;
	}
	snprintf(res, sizeof(res), "{\"doc\":%lld,\"status\":\"indexed\","
	    "\"chunks\":%lld}", (long long)doc, (long long)n);
	ods_job_set_result(j, res);
	return ODS_OK;
}
