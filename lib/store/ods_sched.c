/*
 * lib/store/ods_sched.c — the schedules table: definitions, and the claim
 * that makes each due run fire on exactly one worker.
 *
 * A claim is three short database visits, none held across the fire: read
 * the row, compare-and-set the lease (the row unchanged since read: same
 * next_due_at and trigger_seq, no live lease), and after the fire either
 * record the run (advancing next_due_at) or release the lease. Each visit
 * acquires and releases its own connection, so ODS_DB_TIMEOUT_MS bounds
 * each and a slow fire never holds a connection.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_cron.h"
#include "core/ods_json.h"
#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "core/ods_time.h"
#include "core/ods_tz.h"
#include "core/ods_util.h"
#include "store/ods_db.h"
#include "store/ods_jobs.h"
#include "store/ods_sched.h"

/* UTC seconds <-> DATETIME(3): the connection's time_zone is +00:00. */
#define SECS(col)	"TIMESTAMPDIFF(SECOND, '1970-01-01', " col ")"
#define AT		"TIMESTAMPADD(SECOND, ?, '1970-01-01')"

#define COLS	"id, name, kind, cron_expr, interval_seconds, time_zone, "   \
	"job_type, payload, enabled, " SECS("next_due_at") ", trigger_seq, " \
	"trigger_done, " SECS("last_due_at") ", " SECS("last_run_at") ", "   \
	"run_count, created_by, " SECS("created_at") ", "		      \
	SECS("updated_at") ", lease_owner, " SECS("lease_expires_at")
enum col {
	C_ID, C_NAME, C_KIND, C_CRON, C_INTERVAL, C_TZ, C_JOB, C_PAYLOAD,
	C_ENABLED, C_NEXT, C_TSEQ, C_TDONE, C_LAST_DUE, C_LAST_RUN, C_RUNS,
	C_BY, C_CREATED, C_UPDATED, C_OWNER, C_LEASE
};

static const char *
kind_name(enum ods_sched_kind k)
{
	return k == ODS_SCHED_CRON ? "cron" : "interval";
}

static int64_t
cell_int(const struct ods_db_res *res, size_t row, enum col c)
{
	int64_t	v = 0;

	if (ods_db_res_int(res, row, c, &v) != ODS_OK)
		v = 0;
	return v;
}

static void
cell_str(const struct ods_db_res *res, size_t row, enum col c, char *buf,
    size_t size)
{
	const char	*s = ods_db_res_text(res, row, c, NULL);

	snprintf(buf, size, "%s", s != NULL ? s : "");
}

static void
row_to(const struct ods_db_res *res, size_t row, struct ods_sched *s)
{
	const char	*p;

	memset(s, 0, sizeof(*s));
	s->id = cell_int(res, row, C_ID);
	cell_str(res, row, C_NAME, s->name, sizeof(s->name));
	p = ods_db_res_text(res, row, C_KIND, NULL);
	s->kind = p != NULL && strcmp(p, "cron") == 0 ? ODS_SCHED_CRON :
	    ODS_SCHED_INTERVAL;
	cell_str(res, row, C_CRON, s->cron, sizeof(s->cron));
	s->interval_s = cell_int(res, row, C_INTERVAL);
	cell_str(res, row, C_TZ, s->tz, sizeof(s->tz));
	cell_str(res, row, C_JOB, s->job_type, sizeof(s->job_type));
	p = ods_db_res_text(res, row, C_PAYLOAD, NULL);
	s->payload = p != NULL ? ods_xstrdup(p) : NULL;
	s->enabled = cell_int(res, row, C_ENABLED) != 0;
	s->next_due_at = cell_int(res, row, C_NEXT);
	s->trigger_seq = cell_int(res, row, C_TSEQ);
	s->trigger_done = cell_int(res, row, C_TDONE);
	s->last_due_at = cell_int(res, row, C_LAST_DUE);
	s->last_run_at = cell_int(res, row, C_LAST_RUN);
	s->run_count = cell_int(res, row, C_RUNS);
	cell_str(res, row, C_BY, s->created_by, sizeof(s->created_by));
	s->created_at = cell_int(res, row, C_CREATED);
	s->updated_at = cell_int(res, row, C_UPDATED);
}

void
ods_sched_free(struct ods_sched *s)
{
	if (s == NULL)
		return;
	free(s->payload);
	free(s);
}

void
ods_sched_list_free(struct ods_sched *v, size_t n)
{
	size_t	i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i].payload);
	free(v);
}

/* --- timing ---------------------------------------------------------- */

enum ods_err
ods_sched_next(const struct ods_sched *s, int64_t from, int64_t t,
    int64_t *next, struct ods_why *why)
{
	struct ods_cron	 c;
	struct ods_tz	*tz = NULL;
	enum ods_err	 er;

	if (s->kind == ODS_SCHED_INTERVAL) {
		if (s->interval_s < 1 || s->interval_s > ODS_SCHED_INTERVAL_MAX) {
			ods_why_set(why, "interval_seconds", "must be from 1 "
			    "to %d", ODS_SCHED_INTERVAL_MAX);
			return ODS_EINVAL;
		}
		if (from == 0 || from > t)
			*next = (from == 0 ? t : from) + s->interval_s;
		else
			*next = from + ((t - from) / s->interval_s + 1) *
			    s->interval_s;
		return ODS_OK;
	}
	if (ods_cron_parse(s->cron, &c, why) != ODS_OK) {
		if (why != NULL)
			snprintf(why->field, sizeof(why->field), "cron_expr");
		return ODS_EINVAL;
	}
	if (ods_tz_load(s->tz, &tz, why) != ODS_OK) {
		if (why != NULL)
			snprintf(why->field, sizeof(why->field), "time_zone");
		return ODS_EINVAL;	/* the client named it */
	}
	er = ods_cron_next(&c, tz, t, next);
	ods_tz_free(tz);
	if (er == ODS_ENOTFOUND)
		ods_why_set(why, "cron_expr", "no due time within %d years",
		    ODS_CRON_SEARCH_YEARS);
	return er;
}

/* --- definitions ----------------------------------------------------- */

static int
text_ok(const char *s, size_t max)
{
	size_t	n;

	if (s == NULL || (n = strlen(s)) == 0 || n > max)
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

static int
job_type_ok(const char *s)
{
	if (!text_ok(s, ODS_SCHED_JOB_TYPE_MAX))
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '_' || *s == '.' || *s == ':' || *s == '-'))
			return 0;
	return 1;
}

/*
 * Check spec and fill s from it (name, timing, job); the first due time
 * after now into *next.
 */
static enum ods_err
validate(const struct ods_sched_spec *sp, int64_t now, struct ods_sched *s,
    int64_t *next, struct ods_why *why)
{
	struct json_object	*o = NULL;
	const char		*tz = sp->tz != NULL && *sp->tz != '\0' ?
	    sp->tz : "UTC";

	memset(s, 0, sizeof(*s));
	if (!text_ok(sp->name, ODS_SCHED_NAME_MAX)) {
		ods_why_set(why, "name", "must be 1 to %d bytes of text",
		    ODS_SCHED_NAME_MAX);
		return ODS_EINVAL;
	}
	if (sp->kind != ODS_SCHED_CRON && sp->kind != ODS_SCHED_INTERVAL) {
		ods_why_set(why, "kind", "must be cron or interval");
		return ODS_EINVAL;
	}
	if (!job_type_ok(sp->job_type)) {
		ods_why_set(why, "job_type", "must be 1 to %d bytes of a-z, "
		    "0-9, '_', '.', ':' or '-'", ODS_SCHED_JOB_TYPE_MAX);
		return ODS_EINVAL;
	}
	if (sp->payload != NULL) {
		if (strlen(sp->payload) > ODS_SCHED_PAYLOAD_MAX ||
		    ods_json_parse(sp->payload, strlen(sp->payload), 0, &o,
		    why) != ODS_OK) {
			ods_why_set(why, "payload", "must be a JSON document "
			    "of at most %d bytes", ODS_SCHED_PAYLOAD_MAX);
			return ODS_EINVAL;
		}
		ods_json_put(o);
	}
	if (sp->created_by != NULL && strlen(sp->created_by) > 128) {
		ods_why_set(why, "created_by", "at most 128 bytes");
		return ODS_EINVAL;
	}
	if (sp->kind == ODS_SCHED_CRON && (sp->cron == NULL ||
	    strlen(sp->cron) >= sizeof(s->cron))) {
		ods_why_set(why, "cron_expr", "a cron expression has 1 to %d "
		    "bytes", ODS_CRON_EXPR_MAX);
		return ODS_EINVAL;
	}
	s->kind = sp->kind;
	snprintf(s->name, sizeof(s->name), "%s", sp->name);
	snprintf(s->cron, sizeof(s->cron), "%s",
	    sp->kind == ODS_SCHED_CRON ? sp->cron : "");
	s->interval_s = sp->kind == ODS_SCHED_INTERVAL ? sp->interval_s : 0;
	snprintf(s->tz, sizeof(s->tz), "%.64s", tz);
	snprintf(s->job_type, sizeof(s->job_type), "%s", sp->job_type);
	return ods_sched_next(s, 0, now, next, why);
}

static struct ods_db_arg
cron_arg(const struct ods_sched *s)
{
	return s->kind == ODS_SCHED_CRON ? ods_db_text(s->cron) :
	    ods_db_null();
}

static struct ods_db_arg
interval_arg(const struct ods_sched *s)
{
	return s->kind == ODS_SCHED_INTERVAL ? ods_db_int(s->interval_s) :
	    ods_db_null();
}

enum ods_err
ods_sched_create(struct ods_db *db, const struct ods_sched_spec *sp,
    int64_t now, int64_t *id, struct ods_why *why)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_arg	 a[10];
	struct ods_sched	 s;
	int64_t			 next;
	enum ods_err		 er;

	if ((er = validate(sp, now, &s, &next, why)) != ODS_OK)
		return er;
	a[0] = ods_db_text(s.name);
	a[1] = ods_db_text(kind_name(s.kind));
	a[2] = cron_arg(&s);
	a[3] = interval_arg(&s);
	a[4] = ods_db_text(s.tz);
	a[5] = ods_db_text(s.job_type);
	a[6] = ods_db_text(sp->payload);
	a[7] = ods_db_int(!sp->paused);
	a[8] = ods_db_int(next);
	a[9] = ods_db_text(sp->created_by);
	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	er = ods_db_exec(c, "INSERT INTO schedules (name, kind, cron_expr, "
	    "interval_seconds, time_zone, job_type, payload, enabled, "
	    "next_due_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, " AT
	    ", ?)", a, 10, NULL);
	if (er == ODS_OK && id != NULL)
		*id = (int64_t)ods_db_insert_id(c);
	ods_db_release(c);
	if (er == ODS_ECONFLICT)
		ods_why_set(why, "name", "a schedule named '%s' exists",
		    s.name);
	return er;
}

static enum ods_err
get_where(struct ods_db *db, int by_name, int64_t id, const char *name,
    struct ods_sched **out)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[1];
	enum ods_err		 er;

	*out = NULL;
	a[0] = by_name ? ods_db_text(name) : ods_db_int(id);
	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	if (by_name)
		er = ods_db_query(c, "SELECT " COLS " FROM schedules WHERE "
		    "name = ?", a, 1, 1, &res);
	else
		er = ods_db_query(c, "SELECT " COLS " FROM schedules WHERE "
		    "id = ?", a, 1, 1, &res);
	ods_db_release(c);
	if (er == ODS_OK && ods_db_res_nrows(res) == 0)
		er = ODS_ENOTFOUND;
	if (er == ODS_OK) {
		*out = ods_xmalloc(sizeof(**out));
		row_to(res, 0, *out);
	}
	ods_db_res_free(res);
	return er;
}

enum ods_err
ods_sched_get(struct ods_db *db, int64_t id, struct ods_sched **out)
{
	return get_where(db, 0, id, NULL, out);
}

enum ods_err
ods_sched_get_by_name(struct ods_db *db, const char *name,
    struct ods_sched **out)
{
	return get_where(db, 1, 0, name, out);
}

enum ods_err
ods_sched_list(struct ods_db *db, size_t offset, size_t limit,
    struct ods_sched **out, size_t *n, int64_t *total)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_res	*res = NULL, *cnt = NULL;
	struct ods_db_arg	 a[2];
	enum ods_err		 er;
	size_t			 i;

	*out = NULL;
	*n = 0;
	if (limit == 0 || limit > ODS_SCHED_LIST_MAX)
		limit = ODS_SCHED_LIST_MAX;
	a[0] = ods_db_int((int64_t)limit);
	a[1] = ods_db_int((int64_t)(offset > INT64_MAX ? INT64_MAX : offset));
	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	er = ods_db_query(c, "SELECT " COLS " FROM schedules ORDER BY id "
	    "LIMIT ? OFFSET ?", a, 2, limit, &res);
	if (er == ODS_OK && total != NULL &&
	    (er = ods_db_query(c, "SELECT COUNT(*) FROM schedules", NULL, 0,
	    1, &cnt)) == ODS_OK)
		er = ods_db_res_int(cnt, 0, 0, total);
	ods_db_release(c);
	if (er == ODS_OK && (*n = ods_db_res_nrows(res)) > 0) {
		*out = ods_xcalloc(*n, sizeof(**out));
		for (i = 0; i < *n; i++)
			row_to(res, i, &(*out)[i]);
	}
	ods_db_res_free(res);
	ods_db_res_free(cnt);
	return er;
}

enum ods_err
ods_sched_update(struct ods_db *db, int64_t id,
    const struct ods_sched_spec *sp, int64_t now, struct ods_why *why)
{
	struct ods_db_conn	*c = NULL;
	struct ods_sched	*old = NULL, s;
	struct ods_db_arg	 a[9];
	int64_t			 next;
	uint64_t		 n = 0;
	enum ods_err		 er;

	if ((er = validate(sp, now, &s, &next, why)) != ODS_OK)
		return er;
	if ((er = ods_sched_get(db, id, &old)) != ODS_OK)
		return er;
	/* The same timing keeps its cadence. */
	if (old->kind == s.kind && strcmp(old->cron, s.cron) == 0 &&
	    old->interval_s == s.interval_s && strcmp(old->tz, s.tz) == 0)
		next = old->next_due_at;
	ods_sched_free(old);
	a[0] = ods_db_text(s.name);
	a[1] = ods_db_text(kind_name(s.kind));
	a[2] = cron_arg(&s);
	a[3] = interval_arg(&s);
	a[4] = ods_db_text(s.tz);
	a[5] = ods_db_text(s.job_type);
	a[6] = ods_db_text(sp->payload);
	a[7] = next != 0 ? ods_db_int(next) : ods_db_null();
	a[8] = ods_db_int(id);
	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	er = ods_db_exec(c, "UPDATE schedules SET name = ?, kind = ?, "
	    "cron_expr = ?, interval_seconds = ?, time_zone = ?, job_type = ?, "
	    "payload = ?, next_due_at = " AT " WHERE id = ?", a, 9, &n);
	ods_db_release(c);
	if (er == ODS_ECONFLICT)
		ods_why_set(why, "name", "a schedule named '%s' exists",
		    s.name);
	if (er == ODS_OK && n == 0)
		er = ODS_ENOTFOUND;
	return er;
}

/*
 * One statement on the row id (sql a literal, through ODS_DB_SQL, whose
 * one parameter is the id): ODS_ENOTFOUND when it matched no row.
 */
static enum ods_err
on_row(struct ods_db *db, const char *sql, int64_t id)
{
	struct ods_db_arg	 a[1] = { ods_db_int(id) };
	uint64_t		 n = 0;
	enum ods_err		 er;

	er = ods_db_exec_once_const(db, sql, a, 1, &n);
	return er == ODS_OK && n == 0 ? ODS_ENOTFOUND : er;
}

enum ods_err
ods_sched_delete(struct ods_db *db, int64_t id)
{
	return on_row(db, ODS_DB_SQL("DELETE FROM schedules WHERE id = ?"), id);
}

enum ods_err
ods_sched_pause(struct ods_db *db, int64_t id)
{
	return on_row(db, ODS_DB_SQL("UPDATE schedules SET enabled = 0 "
	    "WHERE id = ?"), id);
}

enum ods_err
ods_sched_resume(struct ods_db *db, int64_t id, int64_t now)
{
	struct ods_db_conn	*c = NULL;
	struct ods_sched	*s = NULL;
	struct ods_db_arg	 a[2];
	int64_t			 next;
	enum ods_err		 er;

	if ((er = ods_sched_get(db, id, &s)) != ODS_OK)
		return er;
	if (s->enabled) {
		ods_sched_free(s);
		return ODS_OK;
	}
	er = ods_sched_next(s, 0, now, &next, NULL);
	ods_sched_free(s);
	if (er != ODS_OK)
		return er;
	a[0] = ods_db_int(next);
	a[1] = ods_db_int(id);
	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	/* enabled = 0 in the WHERE: a concurrent resume does not move it twice */
	er = ods_db_exec(c, "UPDATE schedules SET enabled = 1, next_due_at = "
	    AT " WHERE id = ? AND enabled = 0", a, 2, NULL);
	ods_db_release(c);
	return er;
}

enum ods_err
ods_sched_trigger(struct ods_db *db, int64_t id)
{
	return on_row(db, ODS_DB_SQL("UPDATE schedules SET trigger_seq = "
	    "trigger_seq + 1 WHERE id = ?"), id);
}

/* --- the claim -------------------------------------------------------- */

/* A row as read for a claim, with what it needs. */
struct claim {
	struct ods_sched	 s;
	int64_t			 lease;		/* 0: none */
	int			 regular, manual;
	int64_t			 new_next;	/* 0: NULL (stop) */
	char			 token[160];	/* lease_owner while held */
};

static enum ods_err
claim_read(struct ods_db *db, int64_t id, struct claim *k)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[1] = { ods_db_int(id) };
	enum ods_err		 er;

	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	er = ods_db_query(c, "SELECT " COLS " FROM schedules WHERE id = ?", a,
	    1, 1, &res);
	ods_db_release(c);
	if (er == ODS_OK && ods_db_res_nrows(res) == 0)
		er = ODS_ENOTFOUND;
	if (er == ODS_OK) {
		row_to(res, 0, &k->s);
		k->lease = cell_int(res, 0, C_LEASE);
	}
	ods_db_res_free(res);
	return er;
}

/* Take the lease if the row is as read and free. 1 taken, 0 lost, -1. */
static int
claim_take(struct ods_db *db, struct claim *k, int64_t now, enum ods_err *er)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_arg	 a[6];
	uint64_t		 n = 0;

	a[0] = ods_db_text(k->token);
	a[1] = ods_db_int(now + ODS_SCHED_LEASE_S);
	a[2] = ods_db_int(k->s.id);
	a[3] = k->s.next_due_at != 0 ? ods_db_int(k->s.next_due_at) :
	    ods_db_null();
	a[4] = ods_db_int(k->s.trigger_seq);
	a[5] = ods_db_int(now);
	if ((*er = ods_db_acquire(db, &c)) != ODS_OK)
		return -1;
	*er = ods_db_exec(c, "UPDATE schedules SET lease_owner = ?, "
	    "lease_expires_at = " AT " WHERE id = ? AND "
	    /* In seconds, as read: a fraction an operator's UPDATE left must
	     * not make the row unclaimable forever. */
	    SECS("next_due_at") " <=> ? AND trigger_seq = ? AND (lease_expires_at IS NULL OR "
	    "lease_expires_at <= " AT ")", a, 6, &n);
	ods_db_release(c);
	if (*er != ODS_OK)
		return -1;
	return n == 1;
}

/* After the fire: record the run, or give the lease back. */
static enum ods_err
claim_finish(struct ods_db *db, struct claim *k, int64_t now, int fired)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_arg	 a[6];
	uint64_t		 n = 0;
	enum ods_err		 er;

	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	if (fired && k->regular) {
		a[0] = k->new_next != 0 ? ods_db_int(k->new_next) :
		    ods_db_null();
		a[1] = ods_db_int(k->s.next_due_at);
		a[2] = ods_db_int(now);
		a[3] = ods_db_int(k->s.trigger_seq);
		a[4] = ods_db_int(k->s.id);
		a[5] = ods_db_text(k->token);
		er = ods_db_exec(c, "UPDATE schedules SET next_due_at = " AT
		    ", last_due_at = " AT ", last_run_at = " AT ", run_count = "
		    "run_count + 1, trigger_done = GREATEST(trigger_done, ?), "
		    "lease_owner = NULL, lease_expires_at = NULL WHERE id = ? "
		    "AND lease_owner = ?", a, 6, &n);
	} else if (fired) {
		/* A trigger alone: the regular cadence is not touched. */
		a[0] = ods_db_int(now);
		a[1] = ods_db_int(now);
		a[2] = ods_db_int(k->s.trigger_seq);
		a[3] = ods_db_int(k->s.id);
		a[4] = ods_db_text(k->token);
		er = ods_db_exec(c, "UPDATE schedules SET last_due_at = " AT
		    ", last_run_at = " AT ", run_count = run_count + 1, "
		    "trigger_done = GREATEST(trigger_done, ?), lease_owner = "
		    "NULL, lease_expires_at = NULL WHERE id = ? AND "
		    "lease_owner = ?", a, 5, &n);
	} else {
		a[0] = ods_db_int(k->s.id);
		a[1] = ods_db_text(k->token);
		er = ods_db_exec(c, "UPDATE schedules SET lease_owner = NULL, "
		    "lease_expires_at = NULL WHERE id = ? AND lease_owner = ?",
		    a, 2, &n);
	}
	ods_db_release(c);
	if (er == ODS_OK && n == 0)
		ods_log(ODS_LOG_WARN, "sched_lease_lost id=%" PRId64 " name=%s "
		    "fired=%d", k->s.id, k->s.name, fired);
	else if (er != ODS_OK)
		ods_log(ODS_LOG_ERR, "sched_finish id=%" PRId64 " fired=%d "
		    "err=%s (the lease expires in %d s)", k->s.id, fired,
		    ods_strerror(er), ODS_SCHED_LEASE_S);
	return er;
}

static void
run_init(struct ods_sched_run *r, const struct claim *k, int64_t now)
{
	memset(r, 0, sizeof(*r));
	r->sched = &k->s;
	r->manual = !k->regular;
	r->due_at = k->regular ? k->s.next_due_at : now;
	if (k->regular)
		snprintf(r->idem_key, sizeof(r->idem_key), "sched:%" PRId64
		    ":%" PRId64, k->s.id, k->s.next_due_at);
	else
		snprintf(r->idem_key, sizeof(r->idem_key), "sched:%" PRId64
		    ":m%" PRId64, k->s.id, k->s.trigger_seq);
}

/* One candidate: claim, fire, finish. 1 fired, 0 not, -1 with *er. */
static int
run_one(struct ods_db *db, int64_t id, const char *owner, int64_t now,
    enum ods_err (*fire)(void *, const struct ods_sched_run *), void *arg,
    enum ods_err *er)
{
	struct claim		 k;
	struct ods_sched_run	 r;
	struct ods_why		 why = { .msg = "" };
	uint64_t		 nonce;
	int			 rc = 0, taken;

	memset(&k, 0, sizeof(k));
	if ((*er = claim_read(db, id, &k)) != ODS_OK)
		return *er == ODS_ENOTFOUND ? (*er = ODS_OK, 0) : -1;
	k.regular = k.s.enabled && k.s.next_due_at != 0 &&
	    k.s.next_due_at <= now;
	k.manual = k.s.trigger_seq > k.s.trigger_done;
	if ((!k.regular && !k.manual) || (k.lease != 0 && k.lease > now))
		goto out;
	if (k.regular && ods_sched_next(&k.s, k.s.next_due_at, now,
	    &k.new_next, &why) != ODS_OK) {
		/* The zone went away or the expression never matches again:
		 * this run fires, then the schedule stops (next_due_at NULL). */
		ods_log(ODS_LOG_ERR, "sched_no_next id=%" PRId64 " name=%s "
		    "reason=%s", k.s.id, k.s.name, why.msg);
		k.new_next = 0;
	}
	ods_random(&nonce, sizeof(nonce));
	snprintf(k.token, sizeof(k.token), "%.128s#%016" PRIx64, owner, nonce);
	if ((taken = claim_take(db, &k, now, er)) <= 0) {
		rc = taken;
		goto out;
	}
	run_init(&r, &k, now);
	if (fire(arg, &r) != ODS_OK) {
		ods_log(ODS_LOG_WARN, "sched_fire_failed id=%" PRId64 " name=%s "
		    "due=%" PRId64 " (released for a retry)", k.s.id, k.s.name,
		    r.due_at);
		(void)claim_finish(db, &k, now, 0);
		goto out;
	}
	if ((*er = claim_finish(db, &k, now, 1)) != ODS_OK)
		rc = -1;
	else
		rc = 1;
out:
	free(k.s.payload);
	return rc;
}

enum ods_err
ods_sched_run_due(struct ods_db *db, const char *owner, int64_t now,
    enum ods_err (*fire)(void *, const struct ods_sched_run *), void *arg,
    unsigned *fired)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[3];
	enum ods_err		 er, first = ODS_OK;
	unsigned		 nf = 0;
	size_t			 i, n;
	int64_t			 id;

	if (fired != NULL)
		*fired = 0;
	if (owner == NULL || *owner == '\0' || fire == NULL)
		return ODS_EINVAL;
	a[0] = ods_db_int(now);
	a[1] = ods_db_int(now);
	a[2] = ods_db_int(ODS_SCHED_BATCH);
	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	er = ods_db_query(c, "SELECT id FROM schedules WHERE ((enabled = 1 "
	    "AND next_due_at <= " AT ") OR trigger_seq > trigger_done) AND "
	    "(lease_expires_at IS NULL OR lease_expires_at <= " AT ") ORDER "
	    "BY next_due_at, id LIMIT ?", a, 3, ODS_SCHED_BATCH, &res);
	ods_db_release(c);
	n = er == ODS_OK ? ods_db_res_nrows(res) : 0;
	for (i = 0; i < n; i++) {
		if (ods_db_res_int(res, i, 0, &id) != ODS_OK)
			continue;
		switch (run_one(db, id, owner, now, fire, arg, &er)) {
		case 1:
			nf++;
			break;
		case -1:
			if (first == ODS_OK)
				first = er;
			break;
		default:
			break;
		}
	}
	ods_db_res_free(res);
	if (fired != NULL)
		*fired = nf;
	return er != ODS_OK && first == ODS_OK && n == 0 ? er : first;
}

struct enqueue_arg {
	struct ods_db		*db;
	struct ods_redis	*redis;
};

static enum ods_err
enqueue_run(void *arg, const struct ods_sched_run *run)
{
	const struct enqueue_arg	*ea = arg;
	struct ods_jobs_spec		 js;
	int64_t				 id;
	int				 existed;

	memset(&js, 0, sizeof(js));
	js.type = run->sched->job_type;
	js.payload = run->sched->payload;
	js.created_by = run->sched->created_by;
	js.idempotency_key = run->idem_key;
	return ods_jobs_enqueue(ea->db, ea->redis, &js, &id, &existed);
}

enum ods_err
ods_sched_enqueue_due(struct ods_db *db, struct ods_redis *redis,
    const char *owner, int64_t now, unsigned *fired)
{
	struct enqueue_arg	ea = { db, redis };

	return ods_sched_run_due(db, owner, now, enqueue_run, &ea, fired);
}

enum ods_err
ods_sched_ensure(struct ods_db *db, const struct ods_sched_spec *spec,
    int64_t now, struct ods_why *why)
{
	enum ods_err	er;

	er = ods_sched_create(db, spec, now, NULL, why);
	return er == ODS_ECONFLICT ? ODS_OK : er;
}
