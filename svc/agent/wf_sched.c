/*
 * svc/agent/wf_sched.c — workflow schedules (workflow.h, reference-api
 * §4.3 G24): a row of workflow_schedules, the API's object, owning one
 * platform schedule (lib/store/ods_sched.h) that enqueues the runs, so
 * schedules survive restarts and fire once per due time across machines.
 * The row keeps what the platform schedule does not: inputs, retry
 * settings and counts, the timeout of a run.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/ods_err.h"
#include "core/ods_json.h"
#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "store/ods_db.h"
#include "store/ods_jobs.h"
#include "store/ods_sched.h"
#include "workflow.h"
#include "agent_int.h"

#define SCOLS "s.id, s.schedule_id, s.workflow_id, s.schedule_type, " \
	"s.cron_expression, s.time_zone, s.inputs, s.description, " \
	"s.created_by, " KBI_TS("s.created_at") ", " KBI_TS("s.updated_at") \
	", " KBI_TS("s.last_retry_at") ", s.interval_seconds, s.enabled, " \
	"s.paused, s.max_retries, s.retry_count, s.retry_delay_seconds, " \
	"s.retry_backoff_base, s.timeout_seconds, s.sched_id"

#define SOWNER "(? = 1 OR s.created_by = ? OR EXISTS (SELECT 1 FROM " \
	"workflows w WHERE w.workflow_id = s.workflow_id AND w.created_by = " \
	"?))"

#define RETRIES_MAX	10
#define DELAY_MAX_S	86400
#define TIMEOUT_MAX_S	86400
#define RETRY_DELAY_CAP_MS	(86400LL * 1000)

/* ---- the request's fields ---- */

static enum ods_err
opt(enum ods_err er)
{
	return er == ODS_ENOTFOUND ? ODS_OK : er;
}

enum ods_err
ods_wf_retry_parse(struct json_object *o, struct ods_wf_retry_spec *rs,
    struct ods_why *why)
{
	enum ods_err	er;

	rs->max_retries = rs->retry_delay_seconds = rs->timeout_seconds = -1;
	rs->retry_backoff_base = -1;
	if (!ods_json_is_obj(o)) {
		ods_why_set(why, NULL, "the body must be a JSON object");
		return ODS_EINVAL;
	}
	if ((er = opt(ods_json_int(o, "max_retries", 0, 0, RETRIES_MAX,
	    &rs->max_retries, why))) != ODS_OK ||
	    (er = opt(ods_json_int(o, "retry_delay_seconds", 0, 0, DELAY_MAX_S,
	    &rs->retry_delay_seconds, why))) != ODS_OK ||
	    (er = opt(ods_json_num(o, "retry_backoff_base", 0, 1, 10,
	    &rs->retry_backoff_base, why))) != ODS_OK ||
	    (er = opt(ods_json_int(o, "timeout_seconds", 0, 1, TIMEOUT_MAX_S,
	    &rs->timeout_seconds, why))) != ODS_OK)
		return er;
	return ODS_OK;
}

enum ods_err
ods_wf_sched_parse(struct json_object *o, struct ods_wf_sched_spec *sp,
    struct ods_why *why)
{
	struct ods_wf_retry_spec	rs;
	enum ods_err			er;
	const char			*t = NULL;

	memset(sp, 0, sizeof(*sp));
	sp->enabled = 1;
	sp->retry_delay_seconds = 60;
	sp->retry_backoff_base = 2;
	sp->timeout_seconds = 3600;
	if ((er = ods_wf_retry_parse(o, &rs, why)) != ODS_OK)
		return er;
	if (rs.max_retries >= 0)
		sp->max_retries = rs.max_retries;
	if (rs.retry_delay_seconds >= 0)
		sp->retry_delay_seconds = rs.retry_delay_seconds;
	if (rs.retry_backoff_base >= 0)
		sp->retry_backoff_base = rs.retry_backoff_base;
	if (rs.timeout_seconds >= 0)
		sp->timeout_seconds = rs.timeout_seconds;
	/* The reference's schedule_type, or type. */
	if ((er = opt(ods_json_str(o, "schedule_type", 0, 16, &t, why))) !=
	    ODS_OK || (t == NULL && (er = opt(ods_json_str(o, "type", 0, 16,
	    &t, why))) != ODS_OK))
		return er;
	if (t == NULL) {
		ods_why_set(why, "schedule_type", "schedule_type (cron or "
		    "interval) is required");
		return ODS_EINVAL;
	}
	if (strcmp(t, "event") == 0) {
		ods_why_set(why, "schedule_type", "event schedules are "
		    "unsupported: use cron or interval");
		return ODS_EINVAL;
	}
	if (strcmp(t, "cron") != 0 && strcmp(t, "interval") != 0) {
		ods_why_set(why, "schedule_type", "schedule_type must be cron "
		    "or interval");
		return ODS_EINVAL;
	}
	sp->schedule_type = t;
	if ((er = opt(ods_json_str(o, "cron_expression", 0, 128,
	    &sp->cron_expression, why))) != ODS_OK ||
	    (er = opt(ods_json_int(o, "interval_seconds", 0, 1,
	    ODS_SCHED_INTERVAL_MAX, &sp->interval_seconds, why))) != ODS_OK ||
	    (er = opt(ods_json_str(o, "time_zone", 0, 64, &sp->time_zone,
	    why))) != ODS_OK ||
	    (er = opt(ods_json_str(o, "description", 0, ODS_WF_DESC_MAX,
	    &sp->description, why))) != ODS_OK ||
	    (er = opt(ods_json_bool(o, "enabled", 0, &sp->enabled, why))) !=
	    ODS_OK ||
	    (er = opt(ods_json_bool(o, "paused", 0, &sp->paused, why))) !=
	    ODS_OK ||
	    (er = wfi_json_field(o, "inputs", ODS_WF_INPUTS_MAX, &sp->inputs,
	    why)) != ODS_OK)
		return er;
	if (strcmp(t, "cron") == 0 && (sp->cron_expression == NULL ||
	    *sp->cron_expression == '\0')) {
		ods_why_set(why, "cron_expression", "a cron schedule needs "
		    "cron_expression");
		return ODS_EINVAL;
	}
	if (strcmp(t, "interval") == 0 && sp->interval_seconds <= 0) {
		ods_why_set(why, "interval_seconds", "an interval schedule "
		    "needs interval_seconds");
		return ODS_EINVAL;
	}
	return ODS_OK;
}

/* ---- rows ---- */

static void
row_to(const struct ods_db_res *res, size_t i, struct ods_wf_sched *s)
{
	memset(s, 0, sizeof(*s));
	s->id = ods_db_res_int0(res, i, 0);
	s->schedule_id = ods_db_res_strdup(res, i, 1);
	s->workflow_id = ods_db_res_strdup(res, i, 2);
	s->schedule_type = ods_db_res_strdup(res, i, 3);
	s->cron_expression = ods_db_res_strdup(res, i, 4);
	s->time_zone = ods_db_res_strdup(res, i, 5);
	s->inputs = ods_db_res_strdup(res, i, 6);
	s->description = ods_db_res_strdup(res, i, 7);
	s->created_by = ods_db_res_strdup(res, i, 8);
	s->created_at = ods_db_res_strdup(res, i, 9);
	s->updated_at = ods_db_res_strdup(res, i, 10);
	s->last_retry_at = ods_db_res_strdup(res, i, 11);
	s->interval_seconds = ods_db_res_int0(res, i, 12);
	s->enabled = ods_db_res_int0(res, i, 13) != 0;
	s->paused = ods_db_res_int0(res, i, 14) != 0;
	s->max_retries = ods_db_res_int0(res, i, 15);
	s->retry_count = ods_db_res_int0(res, i, 16);
	s->retry_delay_seconds = ods_db_res_int0(res, i, 17);
	if (ods_db_res_double(res, i, 18, &s->retry_backoff_base) != ODS_OK)
		s->retry_backoff_base = 2;
	s->timeout_seconds = ods_db_res_int0(res, i, 19);
	s->sched_id = ods_db_res_int0(res, i, 20);
}

/* next_run_at and last_run_at, from the platform schedule. */
static enum ods_err
timing(struct ods_db *db, struct ods_wf_sched *s)
{
	struct ods_sched	*p = NULL;
	enum ods_err		 er;

	if (s->sched_id <= 0)
		return ODS_OK;
	if ((er = ods_sched_get(db, s->sched_id, &p)) == ODS_ENOTFOUND)
		return ODS_OK;
	if (er != ODS_OK)
		return er;
	s->next_run_at = p->enabled ? p->next_due_at : 0;
	s->last_run_at = p->last_run_at;
	ods_sched_free(p);
	return ODS_OK;
}

static void
sched_fini(struct ods_wf_sched *s)
{
	free(s->schedule_id);
	free(s->workflow_id);
	free(s->schedule_type);
	free(s->cron_expression);
	free(s->time_zone);
	free(s->inputs);
	free(s->description);
	free(s->created_by);
	free(s->created_at);
	free(s->updated_at);
	free(s->last_retry_at);
	memset(s, 0, sizeof(*s));
}

void
ods_wf_sched_free(struct ods_wf_sched *s)
{
	if (s == NULL)
		return;
	sched_fini(s);
	free(s);
}

void
ods_wf_sched_list_free(struct ods_wf_sched *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		sched_fini(&v[i]);
	free(v);
}

enum ods_err
ods_wf_sched_get(struct ods_db *db, const char *schedule_id,
    const char *owner, struct ods_wf_sched **out)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[4];
	enum ods_err		 er;

	*out = NULL;
	if (schedule_id == NULL || *schedule_id == '\0' ||
	    strlen(schedule_id) > 64)
		return ODS_ENOTFOUND;
	a[0] = ods_db_text(schedule_id);
	a[1] = ods_db_int(owner == NULL);
	a[2] = ods_db_text(owner != NULL ? owner : "");
	a[3] = ods_db_text(owner != NULL ? owner : "");
	er = ods_db_query_once(db, "SELECT " SCOLS " FROM workflow_schedules s "
	    "WHERE s.schedule_id = ? AND " SOWNER, a, 4, 1, &res);
	if (er == ODS_OK && ods_db_res_nrows(res) == 0)
		er = ODS_ENOTFOUND;
	if (er == ODS_OK) {
		*out = ods_xcalloc(1, sizeof(**out));
		row_to(res, 0, *out);
		if ((er = timing(db, *out)) != ODS_OK) {
			ods_wf_sched_free(*out);
			*out = NULL;
		}
	}
	ods_db_res_free(res);
	return er;
}

enum ods_err
ods_wf_sched_create(struct ods_db *db, const struct ods_wf *wf,
    const struct ods_wf_sched_spec *sp, const char *tz, const char *owner,
    struct ods_wf_sched **out, struct ods_why *why)
{
	struct ods_sched_spec	 ss;
	struct ods_db_arg	 a[16];
	char			 id[40], name[ODS_SCHED_NAME_MAX + 1];
	char			 payload[192];
	int64_t			 sid = 0;
	int			 cron;
	enum ods_err		 er;

	*out = NULL;
	cron = strcmp(sp->schedule_type, "cron") == 0;
	wfi_new_id("schedule", 4, id, sizeof(id));
	snprintf(name, sizeof(name), "workflow:%s", id);
	snprintf(payload, sizeof(payload), "{\"workflow_id\":\"%s\","
	    "\"schedule_id\":\"%s\"}", wf->workflow_id, id);
	memset(&ss, 0, sizeof(ss));
	ss.name = name;
	ss.kind = cron ? ODS_SCHED_CRON : ODS_SCHED_INTERVAL;
	ss.cron = cron ? sp->cron_expression : NULL;
	ss.interval_s = cron ? 0 : sp->interval_seconds;
	ss.tz = sp->time_zone != NULL && *sp->time_zone != '\0' ?
	    sp->time_zone : tz;
	ss.job_type = ODS_WF_JOB_TYPE;
	ss.payload = payload;
	ss.paused = !sp->enabled || sp->paused;
	ss.created_by = owner;
	/* The platform schedule checks the expression and the zone. */
	if ((er = ods_sched_create(db, &ss, (int64_t)time(NULL), &sid, why)) !=
	    ODS_OK) {
		if (er == ODS_EINVAL && why != NULL) {
			if (strcmp(why->field, "cron_expr") == 0)
				snprintf(why->field, sizeof(why->field),
				    "cron_expression");
			else if (strcmp(why->field, "created_by") == 0)
				snprintf(why->field, sizeof(why->field), "%s",
				    "");
		}
		return er;
	}
	a[0] = ods_db_text(id);
	a[1] = ods_db_text(wf->workflow_id);
	a[2] = ods_db_text(sp->schedule_type);
	a[3] = ods_db_text(cron ? sp->cron_expression : NULL);
	a[4] = cron ? ods_db_null() : ods_db_int(sp->interval_seconds);
	a[5] = ods_db_text(sp->inputs);
	a[6] = ods_db_int(sp->enabled);
	a[7] = ods_db_int(sp->paused);
	a[8] = ods_db_int(sp->max_retries);
	a[9] = ods_db_int(sp->retry_delay_seconds);
	a[10] = ods_db_double(sp->retry_backoff_base);
	a[11] = ods_db_int(sp->timeout_seconds);
	a[12] = ods_db_text(sp->description);
	a[13] = ods_db_text(owner != NULL ? owner : "");
	a[14] = ods_db_int(sid);
	a[15] = ods_db_text(ss.tz);
	er = ods_db_exec_once(db, "INSERT INTO workflow_schedules ("
	    "schedule_id, workflow_id, schedule_type, cron_expression, interval_seconds, "
	    "inputs, enabled, paused, max_retries, retry_delay_seconds, "
	    "retry_backoff_base, timeout_seconds, description, created_by, "
	    "sched_id, time_zone) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
	    "?, ?, ?, ?)", a, 16, NULL);
	if (er != ODS_OK) {
		/* No row owns it: it must not fire. */
		if (ods_sched_delete(db, sid) != ODS_OK)
			ods_log(ODS_LOG_WARN, "wf_sched_orphan sched=%lld",
			    (long long)sid);
		return er;
	}
	return ods_wf_sched_get(db, id, NULL, out);
}

enum ods_err
ods_wf_sched_list(struct ods_db *db, const struct ods_wf_sched_filter *f,
    size_t offset, size_t limit, struct ods_wf_sched **out, size_t *n,
    int64_t *total)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_res	*res = NULL, *cnt = NULL;
	struct ods_db_arg	 a[9];
	enum ods_err		 er;
	size_t			 i;

	*out = NULL;
	*n = 0;
	*total = 0;
	if (limit == 0 || limit > ODS_WF_LIST_MAX)
		limit = ODS_WF_LIST_MAX;
	a[0] = ods_db_int(f->owner == NULL);
	a[1] = ods_db_text(f->owner != NULL ? f->owner : "");
	a[2] = ods_db_text(f->owner != NULL ? f->owner : "");
	a[3] = ods_db_text(f->workflow_id);
	a[4] = ods_db_text(f->workflow_id);
	a[5] = ods_db_int(f->enabled);
	a[6] = ods_db_int(f->enabled);
	a[7] = ods_db_int((int64_t)limit);
	a[8] = ods_db_int((int64_t)offset);
	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
#define WHERE " FROM workflow_schedules s WHERE " SOWNER " AND (? IS NULL " \
	"OR s.workflow_id = ?) AND (? < 0 OR s.enabled = ?)"
	er = ods_db_query(c, "SELECT " SCOLS WHERE " ORDER BY s.id DESC LIMIT "
	    "? OFFSET ?", a, 9, limit, &res);
	if (er == ODS_OK)
		er = ods_db_query(c, "SELECT COUNT(*)" WHERE, a, 7, 1, &cnt);
#undef WHERE
	ods_db_release(c);
	if (er == ODS_OK)
		er = ods_db_res_int(cnt, 0, 0, total);
	if (er == ODS_OK && (*n = ods_db_res_nrows(res)) > 0) {
		*out = ods_xcalloc(*n, sizeof(**out));
		for (i = 0; i < *n; i++) {
			row_to(res, i, &(*out)[i]);
			if (er == ODS_OK)
				er = timing(db, &(*out)[i]);
		}
	}
	ods_db_res_free(res);
	ods_db_res_free(cnt);
	if (er != ODS_OK) {
		ods_wf_sched_list_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return er;
}

enum ods_err
ods_wf_sched_delete(struct ods_db *db, const struct ods_wf_sched *s)
{
	struct ods_db_arg	a[1];
	enum ods_err		er;

	if (s->sched_id > 0 && (er = ods_sched_delete(db, s->sched_id)) !=
	    ODS_OK && er != ODS_ENOTFOUND)
		return er;
	a[0] = ods_db_text(s->schedule_id);
	return ods_db_exec_once(db, "DELETE FROM workflow_schedules WHERE "
	    "schedule_id = ?", a, 1, NULL);
}

enum ods_err
wfi_sched_delete_all(struct ods_db *db, const char *workflow_id)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[1];
	enum ods_err		 er;
	size_t			 i, n;
	int64_t			 sid;

	a[0] = ods_db_text(workflow_id);
	if ((er = ods_db_query_once(db, "SELECT sched_id FROM "
	    "workflow_schedules WHERE workflow_id = ?", a, 1, 0, &res)) !=
	    ODS_OK)
		return er;
	n = ods_db_res_nrows(res);
	for (i = 0; i < n; i++) {
		sid = ods_db_res_int0(res, i, 0);
		if (sid > 0 && (er = ods_sched_delete(db, sid)) != ODS_OK &&
		    er != ODS_ENOTFOUND) {
			ods_db_res_free(res);
			return er;
		}
	}
	ods_db_res_free(res);
	return ods_db_exec_once(db, "DELETE FROM workflow_schedules WHERE "
	    "workflow_id = ?", a, 1, NULL);
}

enum ods_err
ods_wf_sched_pause(struct ods_db *db, struct ods_wf_sched *s, int paused)
{
	struct ods_db_arg	a[2];
	enum ods_err		er;

	a[0] = ods_db_int(paused != 0);
	a[1] = ods_db_text(s->schedule_id);
	if ((er = ods_db_exec_once(db, "UPDATE workflow_schedules SET paused = "
	    "?, updated_at = NOW(3) WHERE schedule_id = ?", a, 2, NULL)) !=
	    ODS_OK)
		return er;
	s->paused = paused != 0;
	if (s->sched_id > 0) {
		/* The platform schedule runs while enabled and not paused. */
		if (s->paused || !s->enabled)
			er = ods_sched_pause(db, s->sched_id);
		else
			er = ods_sched_resume(db, s->sched_id,
			    (int64_t)time(NULL));
		if (er != ODS_OK && er != ODS_ENOTFOUND)
			return er;
	}
	return timing(db, s);
}

enum ods_err
ods_wf_sched_retry_set(struct ods_db *db, struct ods_wf_sched *s,
    const struct ods_wf_retry_spec *rs)
{
	struct ods_db_arg	a[5];

	if (rs->max_retries >= 0)
		s->max_retries = rs->max_retries;
	if (rs->retry_delay_seconds >= 0)
		s->retry_delay_seconds = rs->retry_delay_seconds;
	if (rs->retry_backoff_base >= 0)
		s->retry_backoff_base = rs->retry_backoff_base;
	if (rs->timeout_seconds >= 0)
		s->timeout_seconds = rs->timeout_seconds;
	a[0] = ods_db_int(s->max_retries);
	a[1] = ods_db_int(s->retry_delay_seconds);
	a[2] = ods_db_double(s->retry_backoff_base);
	a[3] = ods_db_int(s->timeout_seconds);
	a[4] = ods_db_text(s->schedule_id);
	return ods_db_exec_once(db, "UPDATE workflow_schedules SET max_retries "
	    "= ?, retry_delay_seconds = ?, retry_backoff_base = ?, "
	    "timeout_seconds = ?, updated_at = NOW(3) WHERE schedule_id = ?",
	    a, 5, NULL);
}

enum ods_err
ods_wf_sched_stats(struct ods_db *db, const char *schedule_id,
    struct ods_wf_sched_stats *st)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[1];
	enum ods_err		 er;
	const char		*s;
	int64_t			 k;
	size_t			 i, n;

	memset(st, 0, sizeof(*st));
	a[0] = ods_db_text(schedule_id);
	if ((er = ods_db_query_once(db, "SELECT status, COUNT(*), "
	    "AVG(duration_ms) FROM workflow_executions WHERE schedule_id = ? "
	    "GROUP BY status", a, 1, 16, &res)) != ODS_OK)
		return er;
	n = ods_db_res_nrows(res);
	for (i = 0; i < n; i++) {
		if ((s = ods_db_res_text(res, i, 0, NULL)) == NULL)
			continue;
		k = ods_db_res_int0(res, i, 1);
		st->total += k;
		if (strcmp(s, "pending") == 0)
			st->pending = k;
		else if (strcmp(s, "running") == 0)
			st->running = k;
		else if (strcmp(s, "completed") == 0) {
			st->completed = k;
			if (ods_db_res_double(res, i, 2, &st->avg_duration_ms)
			    != ODS_OK)
				st->avg_duration_ms = 0;
		} else if (strcmp(s, "failed") == 0)
			st->failed = k;
		else if (strcmp(s, "stopped") == 0)
			st->stopped = k;
	}
	ods_db_res_free(res);
	res = NULL;
	if ((er = ods_db_query_once(db, "SELECT status, "
	    KBI_TS("created_at") " FROM workflow_executions WHERE schedule_id "
	    "= ? ORDER BY id DESC LIMIT 1", a, 1, 1, &res)) != ODS_OK)
		return er;
	if (ods_db_res_nrows(res) == 1) {
		snprintf(st->last_status, sizeof(st->last_status), "%s",
		    ods_db_res_text(res, 0, 0, NULL) != NULL ?
		    ods_db_res_text(res, 0, 0, NULL) : "");
		snprintf(st->last_run_at, sizeof(st->last_run_at), "%s",
		    ods_db_res_text(res, 0, 1, NULL) != NULL ?
		    ods_db_res_text(res, 0, 1, NULL) : "");
	}
	ods_db_res_free(res);
	return ODS_OK;
}

/* ---- retries of scheduled runs ---- */

int64_t
ods_wf_retry_delay_ms(int64_t delay_s, double backoff, int64_t n)
{
	double	ms;

	if (delay_s <= 0)
		return 0;
	if (backoff < 1)
		backoff = 1;
	if (n < 0)
		n = 0;
	ms = (double)delay_s * 1000.0;
	/* At most 64 factors: past the cap long before for any base > 1. */
	while (n-- > 0 && ms < (double)RETRY_DELAY_CAP_MS)
		ms *= backoff;
	if (!(ms < (double)RETRY_DELAY_CAP_MS))
		return RETRY_DELAY_CAP_MS;
	return (int64_t)ms;
}

enum ods_err
ods_wf_sched_after_run(struct ods_db *db, struct ods_redis *redis,
    const char *exec_id, int *retried, int64_t *delay_ms)
{
	struct ods_db_res	*res = NULL;
	struct ods_jobs_spec	 js;
	struct ods_db_arg	 a[2];
	char			 payload[256], key[96];
	char			*sid = NULL, *wid = NULL, *st = NULL;
	char			*by = NULL;
	int64_t			 count, max, dly, job = 0;
	double			 base = 2;
	int			 existed = 0;
	enum ods_err		 er;

	if (retried != NULL)
		*retried = 0;
	if (delay_ms != NULL)
		*delay_ms = 0;
	a[0] = ods_db_text(exec_id);
	if ((er = ods_db_query_once(db, "SELECT e.status, e.schedule_id, "
	    "e.workflow_id, s.max_retries, s.retry_count, "
	    "s.retry_delay_seconds, s.retry_backoff_base, s.created_by FROM "
	    "workflow_executions e JOIN workflow_schedules s ON s.schedule_id "
	    "= e.schedule_id WHERE e.execution_id = ?", a, 1, 1, &res)) !=
	    ODS_OK)
		return er;
	if (ods_db_res_nrows(res) == 0) {
		/* Not a scheduled run, or its schedule is gone. */
		ods_db_res_free(res);
		return ODS_OK;
	}
	st = ods_db_res_strdup(res, 0, 0);
	sid = ods_db_res_strdup(res, 0, 1);
	wid = ods_db_res_strdup(res, 0, 2);
	max = ods_db_res_int0(res, 0, 3);
	count = ods_db_res_int0(res, 0, 4);
	dly = ods_db_res_int0(res, 0, 5);
	if (ods_db_res_double(res, 0, 6, &base) != ODS_OK)
		base = 2;
	by = ods_db_res_strdup(res, 0, 7);
	ods_db_res_free(res);
	a[0] = ods_db_text(sid);
	if (st != NULL && strcmp(st, "completed") == 0) {
		er = ods_db_exec_once(db, "UPDATE workflow_schedules SET "
		    "retry_count = 0 WHERE schedule_id = ? AND retry_count > 0",
		    a, 1, NULL);
		goto out;
	}
	if (st == NULL || strcmp(st, "failed") != 0)
		goto out;
	if (count >= max) {
		/* Retries spent: the next regular run starts afresh. */
		er = ods_db_exec_once(db, "UPDATE workflow_schedules SET "
		    "retry_count = 0 WHERE schedule_id = ? AND retry_count > 0",
		    a, 1, NULL);
		goto out;
	}
	dly = ods_wf_retry_delay_ms(dly, base, count);
	snprintf(payload, sizeof(payload), "{\"workflow_id\":\"%s\","
	    "\"schedule_id\":\"%s\",\"retry_of\":\"%s\"}", wid, sid, exec_id);
	snprintf(key, sizeof(key), "wf-retry:%s", exec_id);
	memset(&js, 0, sizeof(js));
	js.type = ODS_WF_JOB_TYPE;
	js.payload = payload;
	js.created_by = by;
	js.idempotency_key = key;
	js.max_attempts = ODS_WF_JOB_ATTEMPTS;
	js.delay_ms = dly;
	if ((er = ods_jobs_enqueue(db, redis, &js, &job, &existed)) != ODS_OK)
		goto out;
	if (!existed) {
		a[1] = ods_db_int(count);
		er = ods_db_exec_once(db, "UPDATE workflow_schedules SET "
		    "retry_count = retry_count + 1, last_retry_at = NOW(3) "
		    "WHERE schedule_id = ? AND retry_count = ?", a, 2, NULL);
		if (retried != NULL)
			*retried = 1;
		if (delay_ms != NULL)
			*delay_ms = dly;
	}
out:
	free(st);
	free(sid);
	free(wid);
	free(by);
	return er;
}

/* ---- output ---- */

static void
kts(struct ods_jw *jw, const char *k, int64_t t)
{
	struct tm	tm;
	time_t		tt = (time_t)t;
	char		buf[32];

	ods_jw_key(jw, k);
	if (t <= 0 || gmtime_r(&tt, &tm) == NULL) {
		ods_jw_null(jw);
		return;
	}
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	ods_jw_str(jw, buf);
}

void
ods_wf_sched_json(struct ods_jw *jw, const struct ods_wf_sched *s)
{
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "id", s->schedule_id);
	ods_jw_kstr(jw, "schedule_id", s->schedule_id);
	ods_jw_kstr(jw, "workflow_id", s->workflow_id);
	ods_jw_kstr(jw, "schedule_type", s->schedule_type);
	ods_jw_kstr(jw, "type", s->schedule_type);
	ods_jw_kstr(jw, "cron_expression", s->cron_expression);
	ods_jw_key(jw, "interval_seconds");
	if (s->interval_seconds > 0)
		ods_jw_int(jw, s->interval_seconds);
	else
		ods_jw_null(jw);
	ods_jw_key(jw, "event_trigger");
	ods_jw_null(jw);
	ods_jw_kstr(jw, "time_zone", s->time_zone);
	ods_jw_key(jw, "inputs");
	wfi_raw_json(jw, s->inputs);
	ods_jw_kbool(jw, "enabled", s->enabled);
	ods_jw_kbool(jw, "paused", s->paused);
	kts(jw, "next_run_at", s->next_run_at);
	kts(jw, "last_run_at", s->last_run_at);
	ods_jw_kint(jw, "max_retries", s->max_retries);
	ods_jw_kint(jw, "retry_count", s->retry_count);
	ods_jw_kint(jw, "retry_delay_seconds", s->retry_delay_seconds);
	ods_jw_knum(jw, "retry_backoff_base", s->retry_backoff_base);
	ods_jw_kstr(jw, "last_retry_at", s->last_retry_at);
	ods_jw_kint(jw, "timeout_seconds", s->timeout_seconds);
	ods_jw_kstr(jw, "description", s->description);
	ods_jw_kstr(jw, "created_by", s->created_by);
	ods_jw_kstr(jw, "created_at", s->created_at);
	ods_jw_kstr(jw, "updated_at", s->updated_at);
	ods_jw_end(jw);
}
