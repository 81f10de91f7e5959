/*
 * fcgi/worker/w_sched.c — ods-worker's tick (w_jobs.h): the schedules'
 * due runs become jobs, and the built-in schedules exist.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ods.h"
#include "w_jobs.h"

/*
 * The built-in schedules, made by the first worker that starts (an
 * operator may change or pause them: `odsctl schedules`). Audit logs are
 * kept ODS_AUDIT_RETENTION_DAYS (ops manual: 90 days): the retention job
 * runs daily at 03:15 in ODS_SCHEDULE_TZ, off-peak and after the 02:00
 * backups of the manual. Abandoned dataset uploads are cleared hourly.
 */
static const struct {
	const char	*name, *cron;
} builtin[] = {
	{ "audit_retention", "15 3 * * *" },
	{ "uploads_expire", "25 * * * *" },
};

static int
ensure_schedules(const struct ods_req_env *env)
{
	struct ods_sched_spec	spec;
	struct ods_why		why;
	size_t			i;
	int			rc = 0;

	for (i = 0; i < ODS_NELEM(builtin); i++) {
		memset(&spec, 0, sizeof(spec));
		spec.name = builtin[i].name;
		spec.kind = ODS_SCHED_CRON;
		spec.cron = builtin[i].cron;
		spec.tz = env->conf->schedule_tz;
		spec.job_type = builtin[i].name;
		memset(&why, 0, sizeof(why));
		if (ods_sched_ensure(env->db, &spec, (int64_t)time(NULL),
		    &why) != ODS_OK) {
			ods_log(ODS_LOG_WARN, "schedule_ensure_failed "
			    "name=%s why=%s", spec.name, why.msg);
			rc = -1;
		}
	}
	return rc;
}

void
w_tick(const struct ods_req_env *env, void *ctx)
{
	static int	ensured;	/* the tick runs on one thread */
	char		owner[300], host[256];
	unsigned	n = 0;

	(void)ctx;
	if (env->db == NULL)
		return;
	if (!ensured && ensure_schedules(env) == 0)
		ensured = 1;	/* else again at the next tick */
	if (gethostname(host, sizeof(host)) != 0)
		(void)snprintf(host, sizeof(host), "?");
	host[sizeof(host) - 1] = '\0';
	(void)snprintf(owner, sizeof(owner), "%s:%ld", host, (long)getpid());
	if (ods_sched_enqueue_due(env->db, env->redis, owner,
	    (int64_t)time(NULL), &n) == ODS_OK && n > 0)
		ods_log(ODS_LOG_DEBUG, "schedules_fired n=%u", n);
}
