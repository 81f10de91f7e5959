/*
 * lib/store/ods_jobs.c — the durable job queue over the jobs table, and its
 * Redis Stream wake-up. Contracts in ods_jobs.h.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_json.h"
#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "core/ods_util.h"
#include "store/ods_db.h"
#include "store/ods_jobs.h"
#include "store/ods_redis.h"

#define BACKOFF_MAX_MS	3600000LL	/* one hour */
#define STREAM_MAXLEN	"10000"		/* wake-ups kept (approximate) */
#define ENQUEUE_TRIES	5		/* an INSERT losing a deadlock */

static const char *const status_names[] = {
	[ODS_JOBS_QUEUED] = "queued",
	[ODS_JOBS_RUNNING] = "running",
	[ODS_JOBS_SUCCEEDED] = "succeeded",
	[ODS_JOBS_FAILED] = "failed",
	[ODS_JOBS_CANCELLED] = "cancelled",
};

const char *
ods_jobs_status_name(enum ods_jobs_status s)
{
	if ((size_t)s >= ODS_NELEM(status_names))
		return "unknown";
	return status_names[s];
}

int
ods_jobs_status_parse(const char *name, enum ods_jobs_status *out)
{
	size_t	i;

	for (i = 0; name != NULL && i < ODS_NELEM(status_names); i++)
		if (strcmp(name, status_names[i]) == 0) {
			*out = (enum ods_jobs_status)i;
			return 0;
		}
	return -1;
}

/* ---- small helpers ---- */

static char *
dup_cell(const struct ods_db_res *res, size_t row, size_t col)
{
	const char	*s = ods_db_res_text(res, row, col, NULL);

	return s != NULL ? ods_xstrdup(s) : NULL;
}

static int
cell_int(const struct ods_db_res *res, size_t row, size_t col)
{
	int64_t	v = 0;

	if (ods_db_res_int(res, row, col, &v) != ODS_OK)
		return 0;
	return (int)v;
}

static int
type_valid(const char *t)
{
	size_t	n;

	if (t == NULL || (n = strlen(t)) == 0 || n > ODS_JOBS_TYPE_MAX)
		return 0;
	for (; *t != '\0'; t++)
		if (!islower((unsigned char)*t) &&
		    !isdigit((unsigned char)*t) && *t != '_' && *t != '.' &&
		    *t != '-')
			return 0;
	return 1;
}

/* A JSON document whose top level is an object (or NULL: "{}"). */
static int
object_valid(const char *json)
{
	struct json_object	*o = NULL;
	const char		*p;

	if (json == NULL)
		return 1;
	if (ods_json_parse(json, strlen(json), 0, &o, NULL) != ODS_OK)
		return 0;
	ods_json_put(o);
	for (p = json; isspace((unsigned char)*p); p++)
		;
	return *p == '{';
}

static int
json_valid(const char *json)
{
	struct json_object	*o = NULL;

	if (json == NULL)
		return 1;
	if (ods_json_parse(json, strlen(json), 0, &o, NULL) != ODS_OK)
		return 0;
	ods_json_put(o);
	return 1;
}

static size_t
cut_len(const char *s, size_t max)
{
	size_t	n = strlen(s);

	if (n <= max)
		return n;
	/* Never split a UTF-8 sequence. */
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

/* ---- the wake-up stream ---- */

void
ods_jobs_wake(struct ods_redis *redis, int64_t id)
{
	struct ods_redis_reply	*rep = NULL;
	char			 num[24];
	const char		*argv[] = { "XADD", ODS_JOBS_STREAM, "MAXLEN",
				    "~", STREAM_MAXLEN, "*", "job", num };
	enum ods_err		 er;

	if (redis == NULL)
		return;
	snprintf(num, sizeof(num), "%lld", (long long)id);
	er = ods_redis_command(redis, (int)ODS_NELEM(argv), argv, NULL, &rep);
	if (er != ODS_OK)
		ods_log(ODS_LOG_DEBUG, "jobs_wake_failed job=%lld err=%s",
		    (long long)id, ods_strerror(er));
	ods_redis_reply_free(rep);
}

static enum ods_err
group_create(struct ods_redis *redis)
{
	struct ods_redis_reply	*rep = NULL;
	const char		*argv[] = { "XGROUP", "CREATE", ODS_JOBS_STREAM,
				    ODS_JOBS_GROUP, "$", "MKSTREAM" };
	enum ods_err		 er;

	er = ods_redis_command(redis, (int)ODS_NELEM(argv), argv, NULL, &rep);
	/* BUSYGROUP: another worker made it first. */
	if (er != ODS_OK && rep != NULL && rep->type == ODS_REDIS_ERROR &&
	    strncmp(rep->str, "BUSYGROUP", 9) == 0)
		er = ODS_OK;
	ods_redis_reply_free(rep);
	return er;
}

enum ods_err
ods_jobs_wait(struct ods_redis *redis, const char *consumer, int block_ms)
{
	struct ods_redis_reply	*rep = NULL;
	char			 ms[16];
	const char		*argv[] = { "XREADGROUP", "GROUP",
				    ODS_JOBS_GROUP, consumer, "COUNT", "1",
				    "BLOCK", ms, "NOACK", "STREAMS",
				    ODS_JOBS_STREAM, ">" };
	enum ods_err		 er;
	int			 tries;

	if (redis == NULL)
		return ODS_EUNAVAIL;
	snprintf(ms, sizeof(ms), "%d", block_ms > 0 ? block_ms : 1);
	for (tries = 0; tries < 2; tries++) {
		er = ods_redis_command(redis, (int)ODS_NELEM(argv), argv,
		    NULL, &rep);
		if (er == ODS_OK)
			break;
		/* NOGROUP: the stream or the group is new (or was flushed). */
		if (rep == NULL || rep->type != ODS_REDIS_ERROR ||
		    strncmp(rep->str, "NOGROUP", 7) != 0 || tries > 0)
			break;
		ods_redis_reply_free(rep);
		rep = NULL;
		if ((er = group_create(redis)) != ODS_OK)
			break;
	}
	if (er == ODS_OK)
		er = rep == NULL || rep->type == ODS_REDIS_NIL ? ODS_ETIMEOUT :
		    ODS_OK;
	else if (er != ODS_EUNAVAIL && er != ODS_ETIMEOUT) {
		ods_log(ODS_LOG_WARN, "jobs_wait_failed err=%s reply=%s",
		    ods_strerror(er), rep != NULL && rep->str != NULL ?
		    rep->str : "");
		er = ODS_EUNAVAIL;
	} else
		er = ODS_EUNAVAIL;
	ods_redis_reply_free(rep);
	return er;
}

/* ---- enqueue ---- */

static enum ods_err
find_by_key(struct ods_db_conn *c, const struct ods_jobs_spec *s,
    int64_t *id)
{
	struct ods_db_arg	 a[3];
	struct ods_db_res	*res = NULL;
	enum ods_err		 er;

	a[0] = ods_db_text(s->created_by != NULL ? s->created_by : "");
	a[1] = ods_db_text(s->type);
	a[2] = ods_db_text(s->idempotency_key);
	er = ods_db_query(c, "SELECT id FROM jobs WHERE created_by = ? AND "
	    "type = ? AND idempotency_key = ?", a, 3, 1, &res);
	if (er == ODS_OK && ods_db_res_nrows(res) == 0)
		er = ODS_ENOTFOUND;
	if (er == ODS_OK)
		er = ods_db_res_int(res, 0, 0, id);
	ods_db_res_free(res);
	return er;
}

static enum ods_err
spec_check(const struct ods_jobs_spec *s)
{
	if (!type_valid(s->type) || !object_valid(s->payload) ||
	    (s->created_by != NULL &&
	    strlen(s->created_by) > ODS_JOBS_KEY_MAX) ||
	    (s->idempotency_key != NULL &&
	    (*s->idempotency_key == '\0' ||
	    strlen(s->idempotency_key) > ODS_JOBS_KEY_MAX)) ||
	    s->max_attempts < 0 || s->max_attempts > ODS_JOBS_ATTEMPTS_MAX ||
	    s->delay_ms < 0 || s->delay_ms > 366LL * 86400 * 1000)
		return ODS_EINVAL;
	return ODS_OK;
}

enum ods_err
ods_jobs_enqueue(struct ods_db *db, struct ods_redis *redis,
    const struct ods_jobs_spec *s, int64_t *id, int *existed)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_arg	 a[6];
	enum ods_err		 er;
	int			 tries;

	*id = 0;
	if (existed != NULL)
		*existed = 0;
	if ((er = spec_check(s)) != ODS_OK)
		return er;
	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	a[0] = ods_db_text(s->type);
	a[1] = ods_db_text(s->payload != NULL ? s->payload : "{}");
	a[2] = ods_db_int(s->max_attempts > 0 ? s->max_attempts : 3);
	a[3] = ods_db_text(s->created_by != NULL ? s->created_by : "");
	a[4] = ods_db_text(s->idempotency_key);
	a[5] = ods_db_int(s->delay_ms * 1000);
	/*
	 * A conflict is the idempotency key's duplicate, or a deadlock with
	 * the workers' claims (the INSERT's gap lock against their locking
	 * reads): the statement was rolled back, so it is sent again.
	 */
	for (tries = 0; tries < ENQUEUE_TRIES; tries++) {
		er = ods_db_exec(c, "INSERT INTO jobs (type, payload, "
		    "max_attempts, created_by, idempotency_key, run_after) "
		    "VALUES (?, ?, ?, ?, ?, NOW(3) + INTERVAL ? MICROSECOND)",
		    a, 6, NULL);
		if (er == ODS_OK)
			*id = (int64_t)ods_db_insert_id(c);
		else if (er == ODS_ECONFLICT && s->idempotency_key != NULL &&
		    (er = find_by_key(c, s, id)) == ODS_OK && existed != NULL)
			*existed = 1;
		if (er == ODS_ENOTFOUND)	/* no duplicate: a deadlock */
			er = ODS_ECONFLICT;
		if (er != ODS_ECONFLICT)
			break;
	}
	ods_db_release(c);
	/* Woken after the commit (autocommit), so the row is visible. */
	if (er == ODS_OK && (existed == NULL || !*existed) && s->delay_ms == 0)
		ods_jobs_wake(redis, *id);
	return er;
}

/* ---- claim, heartbeat, progress, finish ---- */

void
ods_jobs_claim_fini(struct ods_jobs_claim *cl)
{
	if (cl == NULL)
		return;
	free(cl->type);
	free(cl->payload);
	free(cl->created_by);
	memset(cl, 0, sizeof(*cl));
}

/*
 * One statement takes the oldest due jobs, up to max: the derived table
 * locks them with SKIP LOCKED, so concurrent claims pass over each
 * other's rows instead of waiting, and the rows are marked ours (a random
 * token) in the same autocommit statement. (The derived table is joined,
 * not used in "id IN (...)": MariaDB 10.11 turns the latter into a
 * semi-join that waits for the locked rows instead of skipping them.) A
 * second statement reads them back by the token. One scan of the claim
 * index, one commit and two round trips serve the whole batch.
 */
enum ods_err
ods_jobs_claim_batch(struct ods_db *db, const char *owner, int lease_ms,
    struct ods_jobs_claim *cl, size_t max, size_t *n)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[4];
	enum ods_err		 er;
	uint64_t		 got = 0;
	int64_t			 token;
	size_t			 i;

	*n = 0;
	if (max == 0 || max > ODS_JOBS_CLAIM_MAX)
		return ODS_EINVAL;
	memset(cl, 0, max * sizeof(*cl));
	ods_random(&token, sizeof(token));
	token &= INT64_MAX;
	a[0] = ods_db_int((int64_t)max);
	a[1] = ods_db_text(owner);
	a[2] = ods_db_int((int64_t)lease_ms * 1000);
	a[3] = ods_db_int(token);
	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	er = ods_db_exec(c, "UPDATE jobs j JOIN (SELECT id FROM jobs WHERE "
	    "status = 'queued' AND run_after <= NOW(3) ORDER BY run_after, id "
	    "LIMIT ? FOR UPDATE SKIP LOCKED) t ON j.id = t.id SET j.status = "
	    "'running', j.lease_owner = ?, j.lease_expires_at = NOW(3) + "
	    "INTERVAL ? MICROSECOND, j.lease_token = ?, j.attempts = "
	    "j.attempts + 1, j.cancel_requested = 0, j.started_at = "
	    "COALESCE(j.started_at, NOW(3))", a, 4, &got);
	if (er == ODS_OK && got == 0)
		er = ODS_ENOTFOUND;
	if (er == ODS_OK) {
		a[0] = a[1];
		a[1] = a[3];
		er = ods_db_query(c, "SELECT id, type, payload, created_by, "
		    "attempts, max_attempts FROM jobs WHERE lease_owner = ? "
		    "AND status = 'running' AND lease_token = ? ORDER BY "
		    "run_after, id", a, 2, max, &res);
	}
	ods_db_release(c);
	/* A row missing here is given back by the heartbeat (orphans). */
	for (i = 0; er == ODS_OK && i < ods_db_res_nrows(res) && i < max;
	    i++) {
		if (ods_db_res_int(res, i, 0, &cl[*n].id) != ODS_OK)
			continue;
		cl[*n].type = dup_cell(res, i, 1);
		cl[*n].payload = dup_cell(res, i, 2);
		cl[*n].created_by = dup_cell(res, i, 3);
		cl[*n].attempt = cell_int(res, i, 4);
		cl[*n].max_attempts = cell_int(res, i, 5);
		(*n)++;
	}
	if (er == ODS_OK && *n == 0)
		er = ODS_EINTERNAL;
	ods_db_res_free(res);
	return er;
}

enum ods_err
ods_jobs_claim(struct ods_db *db, const char *owner, int lease_ms,
    struct ods_jobs_claim *cl)
{
	size_t	n;

	return ods_jobs_claim_batch(db, owner, lease_ms, cl, 1, &n);
}

enum ods_err
ods_jobs_heartbeat(struct ods_db *db, const char *owner, int lease_ms,
    int64_t *ids, int *cancel, size_t max, size_t *n)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[2];
	enum ods_err		 er;
	size_t			 i;

	*n = 0;
	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	a[0] = ods_db_int((int64_t)lease_ms * 1000);
	a[1] = ods_db_text(owner);
	er = ods_db_exec(c, "UPDATE jobs SET lease_expires_at = NOW(3) + "
	    "INTERVAL ? MICROSECOND WHERE lease_owner = ? AND status = "
	    "'running'", a, 2, NULL);
	if (er == ODS_OK)
		er = ods_db_query(c, "SELECT id, cancel_requested FROM jobs "
		    "WHERE lease_owner = ? AND status = 'running'", &a[1], 1,
		    max > 0 ? max : 1, &res);
	ods_db_release(c);
	for (i = 0; er == ODS_OK && i < ods_db_res_nrows(res) && i < max;
	    i++) {
		if (ods_db_res_int(res, i, 0, &ids[i]) != ODS_OK)
			continue;
		cancel[i] = cell_int(res, i, 1);
		(*n)++;
	}
	ods_db_res_free(res);
	return er;
}

enum ods_err
ods_jobs_abandon(struct ods_db *db, int64_t id, const char *owner)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_arg	 a[2];
	enum ods_err		 er;
	uint64_t		 n = 0;

	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	a[0] = ods_db_int(id);
	a[1] = ods_db_text(owner);
	er = ods_db_exec(c, "UPDATE jobs SET status = 'queued', run_after = "
	    "NOW(3), attempts = attempts - 1, lease_owner = NULL, "
	    "lease_expires_at = NULL WHERE id = ? AND lease_owner = ? AND "
	    "status = 'running'", a, 2, &n);
	ods_db_release(c);
	if (er == ODS_OK && n == 0)
		er = ODS_ENOTFOUND;
	return er;
}

enum ods_err
ods_jobs_progress(struct ods_db *db, int64_t id, const char *owner,
    int attempt, int pct, const char *msg)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_arg	 a[5];
	enum ods_err		 er;

	if (pct < 0)
		pct = 0;
	if (pct > 100)
		pct = 100;
	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	a[0] = ods_db_int(pct);
	a[1] = msg != NULL ? ods_db_textn(msg, cut_len(msg, ODS_JOBS_MSG_MAX)) :
	    ods_db_null();
	a[2] = ods_db_int(id);
	a[3] = ods_db_text(owner);
	a[4] = ods_db_int(attempt);
	er = ods_db_exec(c, "UPDATE jobs SET progress = ?, progress_message = "
	    "? WHERE id = ? AND lease_owner = ? AND attempts = ? AND status = "
	    "'running'", a, 5, NULL);
	ods_db_release(c);
	return er;
}

static int64_t
backoff(int base_ms, int attempt)
{
	int64_t	ms = base_ms > 0 ? base_ms : 1000;
	int	i;

	for (i = 1; i < attempt && ms < BACKOFF_MAX_MS; i++)
		ms *= 2;
	return ms < BACKOFF_MAX_MS ? ms : BACKOFF_MAX_MS;
}

/* ODS_JOBS_ERROR with attempts left: queued again after the backoff. */
static enum ods_err
finish_retry(struct ods_db_conn *c, const struct ods_db_arg *who,
    const char *error, int64_t delay_ms, uint64_t *n)
{
	struct ods_db_arg	a[5];

	a[0] = error != NULL ? ods_db_textn(error, cut_len(error,
	    ODS_JOBS_ERROR_MAX)) : ods_db_null();
	a[1] = ods_db_int(delay_ms * 1000);
	a[2] = who[0];
	a[3] = who[1];
	a[4] = who[2];
	return ods_db_exec(c, "UPDATE jobs SET status = 'queued', error = ?, "
	    "run_after = NOW(3) + INTERVAL ? MICROSECOND, lease_owner = NULL, "
	    "lease_expires_at = NULL WHERE id = ? AND lease_owner = ? AND "
	    "attempts = ? AND status = 'running' AND attempts < max_attempts",
	    a, 5, n);
}

static enum ods_err
finish_end(struct ods_db_conn *c, const struct ods_db_arg *who,
    const char *status, const char *result, const char *error,
    uint64_t *n)
{
	struct ods_db_arg	a[7];

	a[0] = ods_db_text(status);
	a[1] = ods_db_text(result);
	a[2] = error != NULL ? ods_db_textn(error, cut_len(error,
	    ODS_JOBS_ERROR_MAX)) : ods_db_null();
	a[3] = a[0];
	a[4] = who[0];
	a[5] = who[1];
	a[6] = who[2];
	return ods_db_exec(c, "UPDATE jobs SET status = ?, result = ?, error = "
	    "?, progress = IF(? = 'succeeded', 100, progress), finished_at = "
	    "NOW(3), lease_owner = NULL, lease_expires_at = NULL WHERE id = ? "
	    "AND lease_owner = ? AND attempts = ? AND status = 'running'",
	    a, 7, n);
}

static enum ods_err
finish_release(struct ods_db_conn *c, const struct ods_db_arg *who,
    int64_t delay_ms, uint64_t *n)
{
	struct ods_db_arg	a[4];

	a[0] = ods_db_int(delay_ms * 1000);
	a[1] = who[0];
	a[2] = who[1];
	a[3] = who[2];
	return ods_db_exec(c, "UPDATE jobs SET status = 'queued', run_after = "
	    "NOW(3) + INTERVAL ? MICROSECOND, attempts = attempts - 1, "
	    "lease_owner = NULL, lease_expires_at = NULL WHERE id = ? AND "
	    "lease_owner = ? AND attempts = ? AND status = 'running'", a, 4, n);
}

enum ods_err
ods_jobs_finish(struct ods_db *db, int64_t id, const char *owner,
    int attempt, enum ods_jobs_outcome how, const char *result,
    const char *error, int backoff_ms, enum ods_jobs_status *status)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_arg	 who[3];
	enum ods_jobs_status	 st = ODS_JOBS_FAILED;
	enum ods_err		 er;
	uint64_t		 n = 0;

	if (how == ODS_JOBS_DONE && !json_valid(result))
		return ODS_EINVAL;
	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	who[0] = ods_db_int(id);
	who[1] = ods_db_text(owner);
	who[2] = ods_db_int(attempt);
	switch (how) {
	case ODS_JOBS_DONE:
		st = ODS_JOBS_SUCCEEDED;
		er = finish_end(c, who, "succeeded", result, NULL, &n);
		break;
	case ODS_JOBS_STOPPED:
		st = ODS_JOBS_CANCELLED;
		er = finish_end(c, who, "cancelled", NULL, error, &n);
		break;
	case ODS_JOBS_RELEASE:
		st = ODS_JOBS_QUEUED;
		er = finish_release(c, who, backoff_ms, &n);
		break;
	case ODS_JOBS_ERROR:
		st = ODS_JOBS_QUEUED;
		er = finish_retry(c, who, error, backoff(backoff_ms, attempt),
		    &n);
		if (er == ODS_OK && n == 0) {
			st = ODS_JOBS_FAILED;
			er = finish_end(c, who, "failed", NULL, error, &n);
		}
		break;
	}
	ods_db_release(c);
	if (er == ODS_OK && n == 0)
		er = ODS_ENOTFOUND;
	if (er == ODS_OK && status != NULL)
		*status = st;
	return er;
}

/*
 * Up to ODS_JOBS_FINISH_MAX runs in one statement: their results by id in
 * a CASE, the runs named by (id, attempts) pairs; unused slots repeat the
 * last run. The rows written are marked with a fresh token, so when fewer
 * matched than were sent, one query tells which were no longer ours.
 */
static enum ods_err
finish_some(struct ods_db_conn *c, const char *owner,
    struct ods_jobs_done **d, size_t n)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[4 * ODS_JOBS_FINISH_MAX + 2];
	enum ods_err		 er;
	uint64_t		 got = 0;
	int64_t			 token, id;
	size_t			 i, k;

	ods_random(&token, sizeof(token));
	token &= INT64_MAX;
	for (i = 0; i < ODS_JOBS_FINISH_MAX; i++) {
		k = i < n ? i : n - 1;
		a[2 * i] = ods_db_int(d[k]->id);
		a[2 * i + 1] = ods_db_text(d[k]->result);
		a[2 * ODS_JOBS_FINISH_MAX + 2 + 2 * i] = ods_db_int(d[k]->id);
		a[2 * ODS_JOBS_FINISH_MAX + 3 + 2 * i] =
		    ods_db_int(d[k]->attempt);
	}
	a[2 * ODS_JOBS_FINISH_MAX] = ods_db_int(token);
	a[2 * ODS_JOBS_FINISH_MAX + 1] = ods_db_text(owner);
	er = ods_db_exec(c, "UPDATE jobs SET status = 'succeeded', result = "
	    "CASE id WHEN ? THEN ? WHEN ? THEN ? WHEN ? THEN ? WHEN ? THEN ? "
	    "WHEN ? THEN ? WHEN ? THEN ? WHEN ? THEN ? WHEN ? THEN ? END, "
	    "error = NULL, progress = 100, finished_at = NOW(3), lease_token "
	    "= ?, lease_owner = NULL, lease_expires_at = NULL WHERE "
	    "lease_owner = ? AND status = 'running' AND ((id = ? AND attempts "
	    "= ?) OR (id = ? AND attempts = ?) OR (id = ? AND attempts = ?) OR "
	    "(id = ? AND attempts = ?) OR (id = ? AND attempts = ?) OR (id = ? "
	    "AND attempts = ?) OR (id = ? AND attempts = ?) OR (id = ? AND "
	    "attempts = ?))", a, 4 * ODS_JOBS_FINISH_MAX + 2, &got);
	for (i = 0; i < n; i++)
		d[i]->er = er;
	if (er != ODS_OK || got == n)
		return er;
	/* Some were taken over meanwhile: those not marked. */
	for (i = 0; i < n; i++)
		d[i]->er = ODS_ENOTFOUND;
	a[0] = ods_db_int(token);
	er = ods_db_query(c, "SELECT id FROM jobs WHERE lease_token = ? AND "
	    "status = 'succeeded'", a, 1, ODS_JOBS_FINISH_MAX, &res);
	for (i = 0; er != ODS_OK && i < n; i++)
		d[i]->er = er;
	for (k = 0; er == ODS_OK && k < ods_db_res_nrows(res); k++) {
		if (ods_db_res_int(res, k, 0, &id) != ODS_OK)
			continue;
		for (i = 0; i < n; i++)
			if (d[i]->id == id)
				d[i]->er = ODS_OK;
	}
	ods_db_res_free(res);
	return er;
}

enum ods_err
ods_jobs_finish_done(struct ods_db *db, const char *owner,
    struct ods_jobs_done *done, size_t n)
{
	struct ods_db_conn	*c = NULL;
	struct ods_jobs_done	*d[ODS_JOBS_FINISH_MAX];
	enum ods_err		 er = ODS_OK;
	size_t			 i, m = 0;

	for (i = 0; i < n; i++)
		done[i].er = json_valid(done[i].result) ? ODS_OK : ODS_EINVAL;
	if ((er = ods_db_acquire(db, &c)) != ODS_OK) {
		for (i = 0; i < n; i++)
			if (done[i].er == ODS_OK)
				done[i].er = er;
		return er;
	}
	for (i = 0; i < n; i++) {
		if (done[i].er != ODS_OK)
			continue;
		d[m++] = &done[i];
		if (m == ODS_JOBS_FINISH_MAX) {
			(void)finish_some(c, owner, d, m);
			m = 0;
		}
	}
	if (m > 0)
		(void)finish_some(c, owner, d, m);
	ods_db_release(c);
	er = ODS_OK;
	for (i = 0; i < n && er == ODS_OK; i++)
		er = done[i].er;
	return er;
}

enum ods_err
ods_jobs_reap(struct ods_db *db, size_t *requeued, size_t *failed)
{
	struct ods_db_conn	*c = NULL;
	enum ods_err		 er;
	uint64_t		 nf = 0, nq = 0;

	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	er = ods_db_exec(c, "UPDATE jobs SET status = 'failed', error = "
	    "CONCAT('lease expired (worker ', COALESCE(lease_owner, '?'), "
	    "') on the last attempt'), finished_at = NOW(3), lease_owner = "
	    "NULL, lease_expires_at = NULL WHERE status = 'running' AND "
	    "lease_expires_at < NOW(3) AND attempts >= max_attempts", NULL, 0,
	    &nf);
	if (er == ODS_OK)
		er = ods_db_exec(c, "UPDATE jobs SET status = IF("
		    "cancel_requested, 'cancelled', 'queued'), finished_at = "
		    "IF(cancel_requested, NOW(3), NULL), error = CONCAT('lease "
		    "expired (worker ', COALESCE(lease_owner, '?'), ')'), "
		    "run_after = NOW(3), lease_owner = NULL, "
		    "lease_expires_at = NULL WHERE status = 'running' AND "
		    "lease_expires_at < NOW(3)", NULL, 0, &nq);
	ods_db_release(c);
	if (nf + nq > 0)
		ods_log(ODS_LOG_WARN, "jobs_lease_expired requeued=%llu "
		    "failed=%llu", (unsigned long long)nq,
		    (unsigned long long)nf);
	if (requeued != NULL)
		*requeued = (size_t)nq;
	if (failed != NULL)
		*failed = (size_t)nf;
	return er;
}

/* ---- operator and API calls ---- */

static enum ods_err
status_of(struct ods_db_conn *c, int64_t id, const char *created_by,
    enum ods_jobs_status *st)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[3];
	enum ods_err		 er;

	a[0] = ods_db_int(id);
	a[1] = ods_db_text(created_by);
	a[2] = a[1];
	er = ods_db_query(c, "SELECT status FROM jobs WHERE id = ? AND (? IS "
	    "NULL OR created_by = ?)", a, 3, 1, &res);
	if (er == ODS_OK && (ods_db_res_nrows(res) == 0 ||
	    ods_jobs_status_parse(ods_db_res_text(res, 0, 0, NULL), st) < 0))
		er = ODS_ENOTFOUND;
	ods_db_res_free(res);
	return er;
}

enum ods_err
ods_jobs_cancel(struct ods_db *db, int64_t id, const char *created_by,
    enum ods_jobs_status *status)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_arg	 a[3];
	enum ods_jobs_status	 st = ODS_JOBS_QUEUED;
	enum ods_err		 er;
	uint64_t		 n = 0;

	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	a[0] = ods_db_int(id);
	a[1] = ods_db_text(created_by);
	a[2] = a[1];
	/* Queued: cancelled now. Running: asked to stop. One statement. */
	er = ods_db_exec(c, "UPDATE jobs SET cancel_requested = 1, status = "
	    "IF(status = 'queued', 'cancelled', status), finished_at = "
	    "IF(status = 'cancelled', NOW(3), finished_at) WHERE id = ? AND "
	    "(? IS NULL OR created_by = ?) AND status IN ('queued', "
	    "'running')", a, 3, &n);
	if (er == ODS_OK) {
		er = status_of(c, id, created_by, &st);
		if (er == ODS_OK && n == 0)
			er = ODS_ECONFLICT;
	}
	ods_db_release(c);
	if (status != NULL)
		*status = st;
	return er;
}

enum ods_err
ods_jobs_retry(struct ods_db *db, struct ods_redis *redis, int64_t id)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_arg	 a[1];
	enum ods_jobs_status	 st;
	enum ods_err		 er;
	uint64_t		 n = 0;

	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	a[0] = ods_db_int(id);
	er = ods_db_exec(c, "UPDATE jobs SET status = 'queued', attempts = 0, "
	    "cancel_requested = 0, run_after = NOW(3), progress = 0, "
	    "progress_message = NULL, error = NULL, result = NULL, "
	    "finished_at = NULL WHERE id = ? AND status IN ('failed', "
	    "'cancelled')", a, 1, &n);
	if (er == ODS_OK && n == 0)
		er = status_of(c, id, NULL, &st) == ODS_OK ? ODS_ECONFLICT :
		    ODS_ENOTFOUND;
	ods_db_release(c);
	if (er == ODS_OK)
		ods_jobs_wake(redis, id);
	return er;
}

/* ---- reading ---- */

#define ROW_COLS "id, type, payload, status, attempts, max_attempts, " \
	"progress, progress_message, result, error, created_by, " \
	"idempotency_key, lease_owner, cancel_requested, created_at, " \
	"updated_at, started_at, finished_at, run_after, lease_expires_at"

static void
row_read(const struct ods_db_res *res, size_t i, struct ods_jobs_row *r)
{
	memset(r, 0, sizeof(*r));
	if (ods_db_res_int(res, i, 0, &r->id) != ODS_OK)
		r->id = 0;
	r->type = dup_cell(res, i, 1);
	r->payload = dup_cell(res, i, 2);
	if (ods_jobs_status_parse(ods_db_res_text(res, i, 3, NULL),
	    &r->status) < 0)
		r->status = ODS_JOBS_FAILED;
	r->attempts = cell_int(res, i, 4);
	r->max_attempts = cell_int(res, i, 5);
	r->progress = cell_int(res, i, 6);
	r->progress_message = dup_cell(res, i, 7);
	r->result = dup_cell(res, i, 8);
	r->error = dup_cell(res, i, 9);
	r->created_by = dup_cell(res, i, 10);
	r->idempotency_key = dup_cell(res, i, 11);
	r->lease_owner = dup_cell(res, i, 12);
	r->cancel_requested = cell_int(res, i, 13);
	r->created_at = dup_cell(res, i, 14);
	r->updated_at = dup_cell(res, i, 15);
	r->started_at = dup_cell(res, i, 16);
	r->finished_at = dup_cell(res, i, 17);
	r->run_after = dup_cell(res, i, 18);
	r->lease_expires_at = dup_cell(res, i, 19);
}

void
ods_jobs_row_fini(struct ods_jobs_row *r)
{
	if (r == NULL)
		return;
	free(r->type);
	free(r->payload);
	free(r->progress_message);
	free(r->result);
	free(r->error);
	free(r->created_by);
	free(r->idempotency_key);
	free(r->lease_owner);
	free(r->created_at);
	free(r->updated_at);
	free(r->started_at);
	free(r->finished_at);
	free(r->run_after);
	free(r->lease_expires_at);
	memset(r, 0, sizeof(*r));
}

void
ods_jobs_rows_free(struct ods_jobs_row *rows, size_t n)
{
	size_t	i;

	for (i = 0; rows != NULL && i < n; i++)
		ods_jobs_row_fini(&rows[i]);
	free(rows);
}

/* "YYYY-MM-DD hh:mm:ss[.fff]" -> "YYYY-MM-DDThh:mm:ss[.fff]Z" */
static void
kstamp(struct ods_jw *jw, const char *key, const char *t)
{
	char	iso[40];

	ods_jw_key(jw, key);
	if (t == NULL || strlen(t) < 19 || strlen(t) > sizeof(iso) - 2) {
		ods_jw_str(jw, t);
		return;
	}
	snprintf(iso, sizeof(iso), "%sZ", t);
	iso[10] = 'T';
	ods_jw_str(jw, iso);
}

static void
kraw(struct ods_jw *jw, const char *key, const char *json)
{
	ods_jw_key(jw, key);
	if (json == NULL || *json == '\0')
		ods_jw_null(jw);
	else
		ods_jw_raw(jw, json, strlen(json));
}

void
ods_jobs_row_json(struct ods_jw *jw, const struct ods_jobs_row *r)
{
	ods_jw_obj(jw);
	ods_jw_kint(jw, "id", r->id);
	ods_jw_kint(jw, "job_id", r->id);
	ods_jw_kstr(jw, "type", r->type);
	ods_jw_kstr(jw, "status", ods_jobs_status_name(r->status));
	kraw(jw, "payload", r->payload);
	ods_jw_kint(jw, "attempts", r->attempts);
	ods_jw_kint(jw, "max_attempts", r->max_attempts);
	ods_jw_kint(jw, "progress", r->progress);
	ods_jw_kstr(jw, "progress_message", r->progress_message);
	kraw(jw, "result", r->result);
	ods_jw_kstr(jw, "error", r->error);
	ods_jw_kstr(jw, "created_by", r->created_by);
	ods_jw_kstr(jw, "idempotency_key", r->idempotency_key);
	ods_jw_kbool(jw, "cancel_requested", r->cancel_requested);
	ods_jw_kstr(jw, "lease_owner", r->lease_owner);
	kstamp(jw, "created_at", r->created_at);
	kstamp(jw, "updated_at", r->updated_at);
	kstamp(jw, "started_at", r->started_at);
	kstamp(jw, "finished_at", r->finished_at);
	kstamp(jw, "run_after", r->run_after);
	kstamp(jw, "lease_expires_at", r->lease_expires_at);
	ods_jw_end(jw);
}

enum ods_err
ods_jobs_get(struct ods_db *db, int64_t id, const char *created_by,
    struct ods_jobs_row *row)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[3];
	enum ods_err		 er;

	memset(row, 0, sizeof(*row));
	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	a[0] = ods_db_int(id);
	a[1] = ods_db_text(created_by);
	a[2] = a[1];
	er = ods_db_query(c, "SELECT " ROW_COLS " FROM jobs WHERE id = ? AND "
	    "(? IS NULL OR created_by = ?)", a, 3, 1, &res);
	ods_db_release(c);
	if (er == ODS_OK && ods_db_res_nrows(res) == 0)
		er = ODS_ENOTFOUND;
	if (er == ODS_OK)
		row_read(res, 0, row);
	ods_db_res_free(res);
	return er;
}

enum ods_err
ods_jobs_list(struct ods_db *db, const struct ods_jobs_filter *f,
    int64_t limit, int64_t offset, struct ods_jobs_row **rows, size_t *n,
    int64_t *total)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[8];
	enum ods_jobs_status	 st;
	enum ods_err		 er;
	size_t			 i;

	*rows = NULL;
	*n = 0;
	if (f->status != NULL && ods_jobs_status_parse(f->status, &st) < 0)
		return ODS_EINVAL;
	if (limit < 1 || offset < 0)
		return ODS_EINVAL;
	a[0] = a[1] = ods_db_text(f->created_by);
	a[2] = a[3] = ods_db_text(f->type);
	a[4] = a[5] = ods_db_text(f->status);
	a[6] = ods_db_int(limit);
	a[7] = ods_db_int(offset);
	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	er = ods_db_query(c, "SELECT " ROW_COLS " FROM jobs WHERE (? IS NULL "
	    "OR created_by = ?) AND (? IS NULL OR type = ?) AND (? IS NULL OR "
	    "status = ?) ORDER BY id DESC LIMIT ? OFFSET ?", a, 8,
	    (size_t)limit, &res);
	if (er == ODS_OK && ods_db_res_nrows(res) > 0) {
		*rows = ods_xcalloc(ods_db_res_nrows(res), sizeof(**rows));
		for (i = 0; i < ods_db_res_nrows(res); i++)
			row_read(res, i, &(*rows)[i]);
		*n = ods_db_res_nrows(res);
	}
	ods_db_res_free(res);
	res = NULL;
	if (er == ODS_OK && total != NULL) {
		er = ods_db_query(c, "SELECT COUNT(*) FROM jobs WHERE (? IS "
		    "NULL OR created_by = ?) AND (? IS NULL OR type = ?) AND "
		    "(? IS NULL OR status = ?)", a, 6, 1, &res);
		if (er == ODS_OK &&
		    ods_db_res_int(res, 0, 0, total) != ODS_OK)
			er = ODS_EINTERNAL;
		ods_db_res_free(res);
	}
	ods_db_release(c);
	if (er != ODS_OK) {
		ods_jobs_rows_free(*rows, *n);
		*rows = NULL;
		*n = 0;
	}
	return er;
}

enum ods_err
ods_jobs_queued(struct ods_db *db, int64_t *n)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_res	*res = NULL;
	enum ods_err		 er;

	*n = 0;
	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	er = ods_db_query(c, "SELECT COUNT(*) FROM jobs WHERE status = "
	    "'queued' AND run_after <= NOW(3)", NULL, 0, 1, &res);
	ods_db_release(c);
	if (er == ODS_OK && ods_db_res_int(res, 0, 0, n) != ODS_OK)
		er = ODS_EINTERNAL;
	ods_db_res_free(res);
	return er;
}
