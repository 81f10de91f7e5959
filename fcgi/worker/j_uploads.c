/*
 * fcgi/worker/j_uploads.c — the uploads_expire job type (w_jobs.h):
 * presigned uploads that were never completed (the client gave up, or
 * PUT the bytes and never called complete) leave a row and maybe an
 * object; an hourly schedule clears both.
 */
#include "config.h"

#include <stdio.h>

#include "ods.h"
#include "../../svc/data/dataset.h"
#include "w_jobs.h"

#define GRACE_DEFAULT	3600
#define BATCH_DEFAULT	500

enum ods_err
j_uploads_expire(struct ods_job *j)
{
	const struct ods_req_env *env = ods_job_env(j);
	struct ods_why		 e;
	int64_t			 grace = GRACE_DEFAULT, batch = BATCH_DEFAULT;
	size_t			 n, total = 0;
	enum ods_err		 er;
	char			 res[96];

	er = ods_json_int(ods_job_json(j), "grace_s", 0, 0, 30 * 86400,
	    &grace, &e);
	if (er == ODS_OK || er == ODS_ENOTFOUND)
		er = ods_json_int(ods_job_json(j), "batch", 0, 1, 10000,
		    &batch, &e);
	if (er != ODS_OK && er != ODS_ENOTFOUND) {
		ods_job_set_error(j, "payload: %s", e.msg);
		return ODS_EINVAL;
	}
	do {
		if (ods_job_stopping(j))
			return ODS_ETIMEOUT;
		er = ods_dsup_expire(env->db, env->obj, (int)grace,
		    (size_t)batch, &n);
		if (er != ODS_OK)
			return er;
		total += n;
		(void)ods_job_progress(j, 50, "%zu uploads expired", total);
	} while (n == (size_t)batch);
	snprintf(res, sizeof(res), "{\"expired\":%zu,\"grace_s\":%lld}",
	    total, (long long)grace);
	ods_job_set_result(j, res);
	return ODS_OK;
}
