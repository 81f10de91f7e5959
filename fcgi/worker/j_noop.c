/* fcgi/worker/j_noop.c — the noop job type (w_jobs.h). */
#include "config.h"

#include <stdio.h>

#include "ods.h"
#include "w_jobs.h"

enum ods_err
j_noop(struct ods_job *j)
{
	struct ods_why	 e;
	const char	*fail = NULL;
	char		 res[64];
	int64_t		 ms = 0;
	enum ods_err	 er;

	er = ods_json_int(ods_job_json(j), "sleep_ms", 0, 0, 3600000, &ms, &e);
	if (er == ODS_OK || er == ODS_ENOTFOUND)
		er = ods_json_str(ods_job_json(j), "fail", 0, 1000, &fail, &e);
	if (er != ODS_OK && er != ODS_ENOTFOUND) {
		ods_job_set_error(j, "payload: %s", e.msg);
		return ODS_EINVAL;
	}
	if (ms > 0 && ods_job_sleep(j, (int)ms))
		return ODS_ETIMEOUT;	/* stopping: cancelled or shut down */
	if (fail != NULL) {
		ods_job_set_error(j, "%s", fail);
		return ODS_EINTERNAL;
	}
	snprintf(res, sizeof(res), "{\"slept_ms\":%lld}", (long long)ms);
	ods_job_set_result(j, res);
	return ODS_OK;
}
