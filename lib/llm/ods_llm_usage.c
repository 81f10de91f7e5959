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

#define BATCH		256
#define INTERVAL_MS	250
#define RETRY_MS	2000
#define FLUSH_MS	40000	/* a drain's wait, at most */
#define NCOLS		13
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
	a[3] = ods_db_text("openai-proxy");
	a[4] = ods_db_text(r->endpoint);
	a[5] = ods_db_text(r->model);
	a[6] = *r->backend != '\0' ? ods_db_text(r->backend) : ods_db_null();
	a[7] = ods_db_int(r->stream);
	a[8] = ods_db_int(r->prompt_tokens);
	a[9] = ods_db_int(r->completion_tokens);
	a[10] = ods_db_int(r->prompt_tokens + r->completion_tokens);
	a[11] = ods_db_int(r->latency_ms);
	a[12] = ods_db_int(r->status);
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
	    "status)", NCOLS, v->args, n, &refused);
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

static void
budget_key(const struct budget *b, char *k, size_t n)
{
	struct tm	tm;
	time_t		now = time(NULL);

	gmtime_r(&now, &tm);
	if (b->monthly)
		snprintf(k, n, "ods:budget:%s:%04d%02d", b->key_id,
		    tm.tm_year + 1900, tm.tm_mon + 1);
	else
		snprintf(k, n, "ods:budget:%s:%04d%02d%02d", b->key_id,
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

static const char *
who(const struct ods_principal *p)
{
	return p->key_id != NULL && *p->key_id != '\0' ? p->key_id :
	    p->user_id;
}

static int64_t
counter(struct ods_redis *r, const char *key, int *ok)
{
	char		*v = NULL;
	size_t		 len;
	int64_t		 n = 0;
	enum ods_err	 er;

	er = ods_redis_get(r, key, &v, &len);
	*ok = er == ODS_OK || er == ODS_ENOTFOUND;
	if (er == ODS_OK)
		n = strtoll(v, NULL, 10);
	free(v);
	return n;
}

static enum ods_err
check_tpm(struct ods_redis *r, const struct ods_principal *p,
    int *retry_after, struct ods_why *why)
{
	char	key[200];
	time_t	now = time(NULL);
	int	ok;

	if (p->tpm <= 0 || r == NULL)
		return ODS_OK;
	snprintf(key, sizeof(key), "ods:tpm:%s:%lld", who(p),
	    (long long)(now / 60));
	if (counter(r, key, &ok) < p->tpm)
		return ODS_OK;
	*retry_after = (int)(60 - now % 60);
	ods_why_set(why, NULL, "Rate limit reached: %d tokens per minute",
	    p->tpm);
	return ODS_ELIMIT;
}

static enum ods_err
check_budget(struct ods_redis *r, struct ods_db *db,
    const struct ods_principal *p, int *quota, struct ods_why *why)
{
	struct budget	b;
	char		key[200];
	int		ok;

	if (p->key_id == NULL || *p->key_id == '\0' || r == NULL ||
	    budget_get(db, p->key_id, &b) != ODS_OK || b.tokens <= 0)
		return ODS_OK;
	budget_key(&b, key, sizeof(key));
	if (counter(r, key, &ok) < b.tokens)
		return ODS_OK;
	*quota = 1;
	ods_why_set(why, NULL, "You exceeded your token budget of %lld tokens "
	    "per %s", (long long)b.tokens, b.monthly ? "month" : "day");
	return ODS_ELIMIT;
}

enum ods_err
ods_llm_limits_check(struct ods_redis *r, struct ods_db *db,
    const struct ods_principal *p, const char *model, int *retry_after,
    int *quota, struct ods_why *why)
{
	enum ods_err	er;

	*retry_after = 0;
	*quota = 0;
	if (p == NULL)
		return ODS_OK;
	if (!ods_principal_model_allowed(p, model)) {
		ods_why_set(why, NULL, "This API key may not use the model '%s'",
		    model);
		return ODS_EFORBIDDEN;
	}
	if ((er = check_budget(r, db, p, quota, why)) != ODS_OK)
		return er;
	return check_tpm(r, p, retry_after, why);
}

static void
add(struct ods_redis *r, const char *key, int64_t n, long long ttl_ms)
{
	long long	v;
	int		set;

	if (ods_redis_incr(r, key, n, &v) == ODS_OK && v == n &&
	    ods_redis_expire(r, key, ttl_ms, &set) != ODS_OK)
		ods_log(ODS_LOG_WARN, "usage_counter_expire_failed key=%s", key);
}

void
ods_llm_limits_account(struct ods_redis *r, struct ods_db *db,
    const struct ods_principal *p, int64_t tokens)
{
	struct budget	b;
	char		key[200];

	if (p == NULL || r == NULL || tokens <= 0)
		return;
	if (p->tpm > 0) {
		snprintf(key, sizeof(key), "ods:tpm:%s:%lld", who(p),
		    (long long)(time(NULL) / 60));
		add(r, key, tokens, 120000);
	}
	if (p->key_id != NULL && *p->key_id != '\0' &&
	    budget_get(db, p->key_id, &b) == ODS_OK && b.tokens > 0) {
		budget_key(&b, key, sizeof(key));
		add(r, key, tokens, 32LL * 86400 * 1000);
	}
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
    const char *to, struct ods_jw *jw)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[4];
	enum ods_err		 er;
	size_t			 i;

	if ((from != NULL && !date_ok(from)) || (to != NULL && !date_ok(to)))
		return ODS_EINVAL;
	a[0] = from != NULL ? ods_db_text(from) : ods_db_null();
	a[1] = to != NULL ? ods_db_text(to) : ods_db_null();
	a[2] = key_id != NULL ? ods_db_text(key_id) : ods_db_null();
	a[3] = a[2];
	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	er = ods_db_query(c, "SELECT DATE_FORMAT(created_at, '%Y-%m-%d') AS d, "
	    "key_id, user_id, model, COUNT(*), SUM(prompt_tokens), "
	    "SUM(completion_tokens), SUM(total_tokens), SUM(status >= 400), "
	    "AVG(latency_ms) FROM api_usage WHERE created_at >= "
	    "COALESCE(?, CURRENT_DATE - INTERVAL 30 DAY) AND created_at < "
	    "COALESCE(?, CURRENT_DATE) + INTERVAL 1 DAY AND (? IS NULL OR "
	    "key_id = ?) GROUP BY d, key_id, user_id, model "
	    "ORDER BY d, key_id, model", a, 4, 0, &res);
	ods_db_release(c);
	if (er != ODS_OK)
		return er;
	ods_jw_arr(jw);
	for (i = 0; i < ods_db_res_nrows(res); i++)
		report_row(jw, res, i);
	ods_jw_end(jw);
	ods_db_res_free(res);
	return ODS_OK;
}
