/*
 * fcgi/worker/j_audit.c — the audit_retention job type (w_jobs.h): the
 * ops manual keeps audit logs 90 days (ODS_AUDIT_RETENTION_DAYS).
 */
#include "config.h"

#include <stdio.h>
#include <time.h>

#include "ods.h"
#include "w_jobs.h"

#define BATCH_DEFAULT	1000

struct retention {
	int64_t		days;
	int64_t		batch;
	char		cutoff[32];	/* fixed at the start of the run */
};

static enum ods_err
params(struct ods_job *j, struct retention *p)
{
	const struct ods_conf	*conf = ods_job_env(j)->conf;
	struct ods_why		 e;
	enum ods_err		 er;
	time_t			 t;
	struct tm		 tm;

	p->days = conf->audit_retention_days;
	p->batch = BATCH_DEFAULT;
	er = ods_json_int(ods_job_json(j), "days", 0, 1, 36500, &p->days, &e);
	if (er == ODS_OK || er == ODS_ENOTFOUND)
		er = ods_json_int(ods_job_json(j), "batch", 0, 1, 10000,
		    &p->batch, &e);
	if (er != ODS_OK && er != ODS_ENOTFOUND) {
		ods_job_set_error(j, "payload: %s", e.msg);
		return ODS_EINVAL;
	}
	t = (time_t)(ods_wall_ms() / 1000) - (time_t)p->days * 86400;
	gmtime_r(&t, &tm);
	strftime(p->cutoff, sizeof(p->cutoff), "%Y-%m-%d %H:%M:%S", &tm);
	return ODS_OK;
}

/* Rows written meanwhile may push deleted past the first count. */
static int
pct(uint64_t deleted, int64_t total)
{
	if (total <= 0 || deleted >= (uint64_t)total)
		return 100;
	return (int)(deleted * 100 / (uint64_t)total);
}

enum ods_err
j_audit_retention(struct ods_job *j)
{
	struct ods_db	*db = ods_job_env(j)->db;
	struct retention p;
	uint64_t	 n, deleted = 0, batches = 0;
	int64_t		 total = 0;
	enum ods_err	 er;
	char		 res[160];

	if ((er = params(j, &p)) != ODS_OK)
		return er;
	if ((er = ods_auth_audit_count(db, p.cutoff, &total)) != ODS_OK)
		return er;
	(void)ods_job_progress(j, 0, "%lld rows before %s",
	    (long long)total, p.cutoff);
	do {
		if (ods_job_stopping(j))
			return ODS_ETIMEOUT;
		er = ods_auth_audit_purge(db, p.cutoff, (int)p.batch, &n);
		if (er != ODS_OK)
			return er;
		deleted += n;
		batches++;
		(void)ods_job_progress(j, pct(deleted, total), "deleted %llu "
		    "of %lld rows before %s", (unsigned long long)deleted,
		    (long long)total, p.cutoff);
	} while (n == (uint64_t)p.batch);
	snprintf(res, sizeof(res), "{\"deleted\":%llu,\"cutoff\":\"%s\","
	    "\"days\":%lld,\"batches\":%llu}", (unsigned long long)deleted,
	    p.cutoff, (long long)p.days, (unsigned long long)batches);
	ods_job_set_result(j, res);
	return ODS_OK;
}
