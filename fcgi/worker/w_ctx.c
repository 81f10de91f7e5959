/* fcgi/worker/w_ctx.c — the worker's context (w_jobs.h): its LLM client. */
#include "config.h"

#include <stdlib.h>

#include "ods.h"
#include "w_jobs.h"

enum ods_err
w_init(const struct ods_req_env *env, void **ctx)
{
	struct w_ctx	*wc = ods_xcalloc(1, sizeof(*wc));

	wc->llm = ods_llm_new(env->conf);
	*ctx = wc;
	return ODS_OK;
}

void
w_fini(void *ctx)
{
	struct w_ctx	*wc = ctx;

	if (wc == NULL)
		return;
	ods_llm_free(wc->llm);
	free(wc);
}
