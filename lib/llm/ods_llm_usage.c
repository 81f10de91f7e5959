/*
 * lib/llm/ods_llm_usage.c — usage rows written behind, tpm and budgets.
 *
 * Usage rows go through the process's write-behind queue (ods_batch):
 * a ring of ODS_LLM_USAGE_QUEUE fixed-size records, and one thread that
 * writes up to 256 of them per multi-row INSERT, at most one per 250 ms,
 * on a database connection of its own. A database outage keeps the rows
 * (new ones are dropped, counted in ods_write_behind_dropped_total
 * {queue="usage"} and logged once the ring is full) and the batch is
 * retried every 2 s. Workers leave with _exit(2); a draining handler
 * calls ods_llm_usage_flush() so the last rows are not lost.
 *
 * Limits: a call's estimate is added to its counters (requests and
 * tokens per minute, budget per day or month) by one Lua script before
 * the upstream is asked, so calls made together see each other, and is
 * replaced by what the call cost when it ends.
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/ods_auth.h"
#include "core/ods_batch.h"
#include "core/ods_conf.h"
#include "store/ods_db.h"
#include "core/ods_json.h"
#include "llm/ods_llm_usage.h"
#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "metrics/ods_metrics.h"
#include "store/ods_redis.h"
#include "core/ods_util.h"

#define BATCH		256
#define INTERVAL_MS	250
#define RETRY_MS	2000
#define FLUSH_MS	40000	/* a drain's wait, at most */
#define NCOLS		15
#define BUDGET_TTL_S	30
#define BUDGET_SLOTS	256

struct ods_llm_usage_q {
	struct ods_batch	*b;
	struct ods_db		*db;
	struct ods_db_arg	*args;		/* BATCH * NCOLS: writer's */
	_Atomic uint64_t	 refused;	/* rows the database refused */
};

/* The NCOLS values of a row, in the order of the INSERT below. */
static void
row_args(const struct ods_llm_usage_rec *r, struct ods_db_arg *a)
{
	a[0] = ods_db_text(r->request_id);
	a[1] = *r->key_id != '\0' ? ods_db_text(r->key_id) : ods_db_null();
	a[2] = *r->user_id != '\0' ? ods_db_text(r->user_id) : ods_db_null();
	a[3] = ods_db_text(*r->service != '\0' ? r->service :
	    "openai-proxy");
	a[4] = ods_db_text(r->endpoint);
	a[5] = ods_db_text(r->model);
	a[6] = *r->backend != '\0' ? ods_db_text(r->backend) : ods_db_null();
	a[7] = ods_db_int(r->stream);
	a[8] = ods_db_int(r->prompt_tokens);
	a[9] = ods_db_int(r->completion_tokens);
	a[10] = ods_db_int(r->prompt_tokens + r->completion_tokens);
	a[11] = ods_db_int(r->latency_ms);
	a[12] = ods_db_int(r->status);
	a[13] = *r->app_id != '\0' ? ods_db_text(r->app_id) : ods_db_null();
	a[14] = *r->end_user != '\0' ? ods_db_text(r->end_user) :
	    ods_db_null();
}

static void
gauge(struct ods_llm_usage_q *v, size_t written)
{
	struct ods_batch_stats	st;

	ods_batch_stats(v->b, &st);
	ods_metrics_write_behind_queued("usage", st.pending - written);
}

/*
 * One batch, one statement. A row the database refuses is skipped and
 * counted, not retried forever; any other failure keeps the batch.
 */
static enum ods_err
rows_write(void *arg, const void *recs, size_t n)
{
	struct ods_llm_usage_q			*v = arg;
	const struct ods_llm_usage_rec	*r = recs;
	struct ods_db_conn		*c = NULL;
	enum ods_err			 er;
	size_t				 i, refused = 0;

	for (i = 0; i < n; i++)
		row_args(&r[i], v->args + i * NCOLS);
	if ((er = ods_db_acquire(v->db, &c)) != ODS_OK)
		return er;
	er = ods_db_insert_rows(c, "INSERT INTO api_usage (request_id, "
	    "key_id, user_id, service, endpoint, model, backend, stream, "
	    "prompt_tokens, completion_tokens, total_tokens, latency_ms, "
	    "status, app_id, end_user)", NCOLS, v->args, n, &refused);
	ods_db_release(c);
	if (er != ODS_OK)
		return er;
	if (refused > 0) {
		atomic_fetch_add(&v->refused, refused);
		ods_log(ODS_LOG_WARN, "usage_rows_refused count=%zu", refused);
	}
	gauge(v, n);
	return ODS_OK;
}

struct ods_llm_usage_q *
ods_llm_usage_new(const struct ods_conf *c)
{
	struct ods_llm_usage_q	*nq;
	struct ods_batch_conf	 bc;

	nq = ods_xcalloc(1, sizeof(*nq));
	nq->db = ods_db_new(c, 1);
	nq->args = ods_xcalloc(BATCH * NCOLS, sizeof(*nq->args));
	memset(&bc, 0, sizeof(bc));
	bc.name = "usage";
	bc.rec_size = sizeof(struct ods_llm_usage_rec);
	bc.cap = (size_t)c->llm_usage_queue;
	bc.max_batch = BATCH;
	bc.interval_ms = INTERVAL_MS;
	bc.retry_ms = RETRY_MS;
	bc.write = rows_write;
	bc.arg = nq;
	if ((nq->b = ods_batch_new(&bc)) == NULL) {
		ods_log(ODS_LOG_ERR, "usage_writer_start_failed");
		ods_db_free(nq->db);
		free(nq->args);
		free(nq);
		return NULL;
	}
	return nq;
}

void
ods_llm_usage_free(struct ods_llm_usage_q *v)
{
	if (v == NULL)
		return;
	ods_batch_free(v->b, FLUSH_MS);
	ods_db_free(v->db);
	free(v->args);
	free(v);
}

void
ods_llm_usage_record(struct ods_llm_usage_q *v,
    const struct ods_llm_usage_rec *r)
{
	struct ods_batch_stats	 st;

	if (v == NULL)
		return;
	if (ods_batch_put(v->b, r) == ODS_OK) {
		gauge(v, 0);
		return;
	}
	ods_metrics_write_behind_dropped("usage");
	ods_batch_stats(v->b, &st);
	if (st.dropped % 1000 == 1)
		ods_log(ODS_LOG_WARN, "usage_queue_full dropped=%llu",
		    (unsigned long long)st.dropped);
}

void
ods_llm_usage_flush(struct ods_llm_usage_q *v)
{
	/* Bounded: a database outage must not hold a drain forever. */
	if (v != NULL && ods_batch_flush(v->b, FLUSH_MS) != ODS_OK)
		ods_log(ODS_LOG_WARN, "usage_flush_timeout timeout_ms=%d",
		    FLUSH_MS);
}

uint64_t
ods_llm_usage_dropped(struct ods_llm_usage_q *v)
{
	struct ods_batch_stats	 st;

	if (v == NULL)
		return 0;
	ods_batch_stats(v->b, &st);
	return st.dropped;
}

uint64_t
ods_llm_usage_written(struct ods_llm_usage_q *v)
{
	struct ods_batch_stats	 st;
	uint64_t		 refused;

	if (v == NULL)
		return 0;
	refused = atomic_load(&v->refused);
	ods_batch_stats(v->b, &st);
	/* A batch's refused rows are counted just before it is written. */
	return st.written > refused ? st.written - refused : 0;
}

/* ---- limits ---- */

struct budget {
	char	key_id[33];
	int64_t	tokens;		/* 0: none */
	int	monthly;
	time_t	loaded;
};

static pthread_mutex_t	budget_mu = PTHREAD_MUTEX_INITIALIZER;
static struct budget	budgets[BUDGET_SLOTS];

static unsigned
slot_of(const char *key_id)
{
	unsigned	h = 2166136261u;

	for (; *key_id != '\0'; key_id++)
		h = (h ^ (unsigned char)*key_id) * 16777619u;
	return h % BUDGET_SLOTS;
}

static enum ods_err
budget_load(struct ods_db *db, const char *key_id, struct budget *b)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a = ods_db_text(key_id);
	const char		*per;
	enum ods_err		 er;

	memset(b, 0, sizeof(*b));
	snprintf(b->key_id, sizeof(b->key_id), "%s", key_id);
	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	er = ods_db_query(c, "SELECT token_budget, budget_period FROM api_keys "
	    "WHERE key_id = ?", &a, 1, 1, &res);
	ods_db_release(c);
	if (er == ODS_OK && ods_db_res_nrows(res) == 1) {
		if (ods_db_res_int(res, 0, 0, &b->tokens) != ODS_OK)
			b->tokens = 0;
		per = ods_db_res_text(res, 0, 1, NULL);
		b->monthly = per != NULL && strcmp(per, "month") == 0;
	}
	ods_db_res_free(res);
	b->loaded = time(NULL);
	return er;
}

/* The key's budget, from a 30 s cache. */
static enum ods_err
budget_get(struct ods_db *db, const char *key_id, struct budget *out)
{
	struct budget	*s = &budgets[slot_of(key_id)];
	enum ods_err	 er;

	pthread_mutex_lock(&budget_mu);
	if (strcmp(s->key_id, key_id) == 0 &&
	    time(NULL) - s->loaded < BUDGET_TTL_S) {
		*out = *s;
		pthread_mutex_unlock(&budget_mu);
		return ODS_OK;
	}
	pthread_mutex_unlock(&budget_mu);
	if (db == NULL)
		return ODS_EUNAVAIL;
	if ((er = budget_load(db, key_id, out)) != ODS_OK)
		return er;
	pthread_mutex_lock(&budget_mu);
	*s = *out;
	pthread_mutex_unlock(&budget_mu);
	return ODS_OK;
}

/*
 * Reserve: every counter of the call is below its limit, or none moves.
 * KEYS: counters; ARGV: limit, amount and ttl_ms of each, in turn. A
 * call is let in while what was used and held in the window is below the
 * limit, and then holds its amount: parallel calls see each other's
 * holds, so a limit is overrun by one call's estimate at most, and a
 * limit smaller than one estimate still lets one call a window through.
 * Returns {1} or {0, index of the full counter}.
 */
static const char reserve_lua[] =
    "for i = 1, #KEYS do\n"
    "  local cur = tonumber(redis.call('GET', KEYS[i]) or '0')\n"
    "  if cur >= tonumber(ARGV[3 * i - 2]) then return {0, i} end\n"
    "end\n"
    "for i = 1, #KEYS do\n"
    "  redis.call('INCRBY', KEYS[i], ARGV[3 * i - 1])\n"
    "  if redis.call('PTTL', KEYS[i]) < 0 then\n"
    "    redis.call('PEXPIRE', KEYS[i], ARGV[3 * i])\n"
    "  end\n"
    "end\n"
    "return {1, 0}\n";

/*
 * Settle: add ARGV[1] (the real cost minus the hold) to each counter
 * that still exists; one whose window ended has nothing to correct.
 */
static const char settle_lua[] =
    "for i = 1, #KEYS do\n"
    "  if redis.call('EXISTS', KEYS[i]) == 1 then\n"
    "    redis.call('INCRBY', KEYS[i], ARGV[1])\n"
    "  end\n"
    "end\n"
    "return 1\n";

static pthread_once_t		 script_once = PTHREAD_ONCE_INIT;
static struct ods_redis_script	 reserve_script, settle_script;

static void
scripts_init(void)
{
	ods_redis_script_init(&reserve_script, reserve_lua);
	ods_redis_script_init(&settle_script, settle_lua);
}

#define TPM_TTL_MS	120000LL
#define BUDGET_TTL_MS	(32LL * 86400 * 1000)

/* One counter a call is checked against. */
struct lim {
	const char	*what;		/* "rpm", "tpm", "budget" */
	char		 key[200];
	int64_t		 limit;
	int64_t		 amount;
	long long	 ttl_ms;
	int		 monthly;	/* a budget's period */
};

/*
 * The caller in counter keys: an API key by its id (the budget keys of
 * keys predate users and keep their names), a user as "u:" and its sub,
 * hashed when long or odd (a sub is the issuer's string, not ours).
 */
static void
who_of(const struct ods_principal *p, char *buf, size_t len)
{
	const char	*s = p->user_id;
	char		 h[65];
	size_t		 i;

	if (p->key_id != NULL && *p->key_id != '\0') {
		snprintf(buf, len, "%s", p->key_id);
		return;
	}
	for (i = 0; s[i] != '\0' && i <= 64; i++)
		if (!(s[i] == '-' || s[i] == '_' || s[i] == '.' ||
		    s[i] == '@' || (s[i] >= '0' && s[i] <= '9') ||
		    ((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z')))
			break;
	if (s[i] == '\0' && i > 0 && i <= 64) {
		snprintf(buf, len, "u:%s", s);
		return;
	}
	ods_sha256_hex(s, strlen(s), h);
	snprintf(buf, len, "u#%.32s", h);
}

static void
budget_key(const char *who, int monthly, char *k, size_t n)
{
	struct tm	tm;
	time_t		now = time(NULL);

	gmtime_r(&now, &tm);
	if (monthly)
		snprintf(k, n, "ods:budget:%s:%04d%02d", who,
		    tm.tm_year + 1900, tm.tm_mon + 1);
	else
		snprintf(k, n, "ods:budget:%s:%04d%02d%02d", who,
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

/*
 * The counters of p's call: an API key's own tpm and budget (its rpm is
 * the auth module's); a JWT user's ODS_LLM_USER_* defaults. Returns how
 * many, at most 3.
 */
static size_t
lims_of(struct ods_db *db, const struct ods_conf *c,
    const struct ods_principal *p, int64_t estimate, struct lim *l)
{
	struct budget	b;
	char		who[80];
	long long	min = (long long)(time(NULL) / 60);
	int64_t		rpm = 0, tpm = p->tpm, budget = 0;
	int		monthly = 0;
	size_t		n = 0;

	who_of(p, who, sizeof(who));
	if (p->key_id != NULL && *p->key_id != '\0') {
		if (budget_get(db, p->key_id, &b) == ODS_OK) {
			budget = b.tokens;
			monthly = b.monthly;
		}
	} else if (p->kind == ODS_PRINCIPAL_TOKEN && c != NULL) {
		rpm = c->llm_user_rpm;
		tpm = c->llm_user_tpm;
		budget = c->llm_user_budget;
		monthly = strcmp(c->llm_user_budget_period, "month") == 0;
	}
	if (rpm > 0) {
		l[n] = (struct lim){ .what = "rpm", .limit = rpm, .amount = 1,
		    .ttl_ms = TPM_TTL_MS };
		snprintf(l[n++].key, sizeof(l->key), "ods:rpm:%s:%lld", who,
		    min);
	}
	if (tpm > 0) {
		l[n] = (struct lim){ .what = "tpm", .limit = tpm,
		    .amount = estimate, .ttl_ms = TPM_TTL_MS };
		snprintf(l[n++].key, sizeof(l->key), "ods:tpm:%s:%lld", who,
		    min);
	}
	if (budget > 0) {
		l[n] = (struct lim){ .what = "budget", .limit = budget,
		    .amount = estimate, .ttl_ms = BUDGET_TTL_MS,
		    .monthly = monthly };
		budget_key(who, monthly, l[n++].key, sizeof(l->key));
	}
	return n;
}

static void
refused(const struct lim *l, int *retry_after, int *quota,
    struct ods_why *why)
{
	time_t	now = time(NULL);

	if (strcmp(l->what, "budget") == 0) {
		*quota = 1;
		ods_why_set(why, NULL, "You exceeded your token budget of "
		    "%lld tokens per %s", (long long)l->limit,
		    l->monthly ? "month" : "day");
		return;
	}
	*retry_after = (int)(60 - now % 60);
	ods_why_set(why, NULL, "Rate limit reached: %lld %s per minute",
	    (long long)l->limit, strcmp(l->what, "rpm") == 0 ? "requests" :
	    "tokens");
}

/* One round trip: all counters move, or the first full one is named. */
static enum ods_err
reserve(struct ods_redis *r, const struct lim *l, size_t n, size_t *full)
{
	struct ods_redis_reply	*rep = NULL;
	const char		*argv[12];
	char			 num[3][3][24];
	enum ods_err		 er;
	size_t			 i;

	for (i = 0; i < n; i++) {
		argv[i] = l[i].key;
		snprintf(num[i][0], sizeof(num[i][0]), "%lld",
		    (long long)l[i].limit);
		snprintf(num[i][1], sizeof(num[i][1]), "%lld",
		    (long long)l[i].amount);
		snprintf(num[i][2], sizeof(num[i][2]), "%lld", l[i].ttl_ms);
		argv[n + 3 * i] = num[i][0];
		argv[n + 3 * i + 1] = num[i][1];
		argv[n + 3 * i + 2] = num[i][2];
	}
	er = ods_redis_eval(r, &reserve_script, (int)n, (int)(4 * n), argv,
	    NULL, &rep);
	if (er == ODS_OK && (rep->type != ODS_REDIS_ARRAY || rep->nelem != 2 ||
	    rep->elem[0].type != ODS_REDIS_INTEGER ||
	    rep->elem[1].type != ODS_REDIS_INTEGER))
		er = ODS_EUNAVAIL;
	if (er == ODS_OK && rep->elem[0].integer == 0) {
		*full = (size_t)rep->elem[1].integer - 1;
		er = *full < n ? ODS_ELIMIT : ODS_EUNAVAIL;
	}
	ods_redis_reply_free(rep);
	return er;
}

enum ods_err
ods_llm_limits_reserve(struct ods_redis *r, struct ods_db *db,
    const struct ods_conf *c, const struct ods_principal *p,
    const char *model, int64_t estimate, struct ods_llm_hold *h,
    int *retry_after, int *quota, struct ods_why *why)
{
	struct lim	l[3];
	enum ods_err	er;
	size_t		n, i, full = 0;

	memset(h, 0, sizeof(*h));
	*retry_after = 0;
	*quota = 0;
	if (p == NULL)
		return ODS_OK;
	if (!ods_principal_model_allowed(p, model)) {
		ods_why_set(why, NULL, "This API key may not use the model '%s'",
		    model);
		return ODS_EFORBIDDEN;
	}
	if (estimate < 1)
		estimate = 1;
	if (r == NULL || (n = lims_of(db, c, p, estimate, l)) == 0)
		return ODS_OK;
	pthread_once(&script_once, scripts_init);
	er = reserve(r, l, n, &full);
	if (er == ODS_ELIMIT) {
		refused(&l[full], retry_after, quota, why);
		return ODS_ELIMIT;
	}
	if (er != ODS_OK) {
		/* Limits are a guard, not a dependency: let the call be. */
		ods_log(ODS_LOG_WARN, "llm_limits_unavailable err=%s",
		    ods_strerror(er));
		return ODS_OK;
	}
	for (i = 0; i < n; i++)
		if (strcmp(l[i].what, "rpm") != 0)
			snprintf(h->keys[h->nkeys++], sizeof(h->keys[0]), "%s",
			    l[i].key);
	h->tokens = estimate;
	return ODS_OK;
}

void
ods_llm_limits_settle(struct ods_redis *r, struct ods_llm_hold *h,
    int64_t tokens)
{
	struct ods_redis_reply	*rep = NULL;
	const char		*argv[3];
	char			 delta[24];
	size_t			 i;

	if (r == NULL || h == NULL || h->nkeys == 0)
		return;
	if (tokens < 0)
		tokens = 0;
	if (tokens != h->tokens) {
		snprintf(delta, sizeof(delta), "%lld",
		    (long long)(tokens - h->tokens));
		for (i = 0; i < h->nkeys; i++)
			argv[i] = h->keys[i];
		argv[h->nkeys] = delta;
		if (ods_redis_eval(r, &settle_script, (int)h->nkeys,
		    (int)h->nkeys + 1, argv, NULL, &rep) != ODS_OK)
			ods_log(ODS_LOG_WARN, "llm_limits_settle_failed "
			    "held=%lld used=%lld", (long long)h->tokens,
			    (long long)tokens);
		ods_redis_reply_free(rep);
	}
	h->nkeys = 0;	/* settled once */
}

/* ---- report ---- */

static int
date_ok(const char *s)
{
	int	i;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	return 1;
}

static void
report_row(struct ods_jw *jw, const struct ods_db_res *res, size_t i)
{
	static const char *const	ints[] = { "requests", "prompt_tokens",
	    "completion_tokens", "total_tokens", "errors" };
	int64_t				v;
	double				d;
	size_t				k;

	ods_jw_obj(jw);
	ods_jw_kstr(jw, "day", ods_db_res_text(res, i, 0, NULL));
	ods_jw_kstr(jw, "key_id", ods_db_res_text(res, i, 1, NULL));
	ods_jw_kstr(jw, "user_id", ods_db_res_text(res, i, 2, NULL));
	ods_jw_kstr(jw, "model", ods_db_res_text(res, i, 3, NULL));
	for (k = 0; k < ODS_NELEM(ints); k++)
		ods_jw_kint(jw, ints[k], ods_db_res_int(res, i, 4 + k, &v) ==
		    ODS_OK ? v : 0);
	ods_jw_knum(jw, "avg_latency_ms", ods_db_res_double(res, i, 9, &d) ==
	    ODS_OK ? d : 0.0);
	ods_jw_end(jw);
}

enum ods_err
ods_llm_usage_report(struct ods_db *db, const char *key_id, const char *from,
    const char *to, int64_t offset, int64_t limit, struct ods_jw *jw,
    int64_t *total)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_res	*res = NULL, *cnt = NULL;
	struct ods_db_arg	 a[6];
	enum ods_err		 er;
	size_t			 i;

	if ((from != NULL && !date_ok(from)) || (to != NULL && !date_ok(to)) ||
	    offset < 0 || limit < 1)
		return ODS_EINVAL;
	a[0] = from != NULL ? ods_db_text(from) : ods_db_null();
	a[1] = to != NULL ? ods_db_text(to) : ods_db_null();
	a[2] = key_id != NULL ? ods_db_text(key_id) : ods_db_null();
	a[3] = a[2];
	a[4] = ods_db_int(limit);
	a[5] = ods_db_int(offset);
	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	er = ods_db_query(c, "SELECT DATE_FORMAT(created_at, '%Y-%m-%d') AS d, "
	    "key_id, user_id, model, COUNT(*), SUM(prompt_tokens), "
	    "SUM(completion_tokens), SUM(total_tokens), SUM(status >= 400), "
	    "AVG(latency_ms) FROM api_usage WHERE created_at >= "
	    "COALESCE(?, CURRENT_DATE - INTERVAL 30 DAY) AND created_at < "
	    "COALESCE(?, CURRENT_DATE) + INTERVAL 1 DAY AND (? IS NULL OR "
	    "key_id = ?) GROUP BY d, key_id, user_id, model "
	    "ORDER BY d, key_id, model, user_id LIMIT ? OFFSET ?", a, 6, 0,
	    &res);
	/* The groups in all, for the page numbers. */
	if (er == ODS_OK && total != NULL) {
		er = ods_db_query(c, "SELECT COUNT(*) FROM (SELECT 1 FROM "
		    "api_usage WHERE created_at >= COALESCE(?, CURRENT_DATE - "
		    "INTERVAL 30 DAY) AND created_at < COALESCE(?, "
		    "CURRENT_DATE) + INTERVAL 1 DAY AND (? IS NULL OR key_id "
		    "= ?) GROUP BY DATE(created_at), key_id, user_id, model) g",
		    a, 4, 1, &cnt);
		if (er == ODS_OK)
			*total = ods_db_res_int0(cnt, 0, 0);
		ods_db_res_free(cnt);
	}
	ods_db_release(c);
	if (er != ODS_OK) {
		ods_db_res_free(res);
		return er;
	}
	ods_jw_arr(jw);
	for (i = 0; i < ods_db_res_nrows(res); i++)
		report_row(jw, res, i);
	ods_jw_end(jw);
	ods_db_res_free(res);
	return ODS_OK;
}
