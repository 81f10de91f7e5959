/*
 * fcgi/worker/w_ctx.c — the worker's context (w_jobs.h): its LLM client,
 * the data sources' context and the knowledge bases' indexes (workflows'
 * retriever nodes: searched as a reader, catching up before each search).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ods.h"
#include "../../svc/agent/rag.h"
#include "../../svc/data/datasource.h"
#include "w_jobs.h"

enum ods_err
w_init(const struct ods_req_env *env, void **ctx)
{
	struct w_ctx	*wc = ods_xcalloc(1, sizeof(*wc));
	struct ods_why	 why;
	char		 root[4096];
	enum ods_err	 er;

	wc->llm = ods_llm_new(env->conf);
	snprintf(root, sizeof(root), "%s/index", env->conf->data_dir);
	wc->rag = ods_rag_new(root, env->db, wc->llm);
	memset(&why, 0, sizeof(why));
	if ((er = ods_ds_ctx_new(env->conf, &wc->ds, &why)) != ODS_OK) {
		ods_log(ODS_LOG_ERR, "datasources_init field=%s why=%s",
		    why.field, why.msg);
		w_fini(wc);
		return er;
	}
	*ctx = wc;
	return ODS_OK;
}

void
w_fini(void *ctx)
{
	struct w_ctx	*wc = ctx;

	if (wc == NULL)
		return;
	ods_rag_free(wc->rag);
	ods_llm_free(wc->llm);
	ods_ds_ctx_free(wc->ds);
	free(wc);
}

int
w_stopping(void *job)
{
	return ods_job_stopping(job);
}
