/*
 * lib/auth/ods_auth_audit.c — the audit trail: one JSON log line with msg
 * "AUDIT" per event, written at once whatever LOG_LEVEL says, and one
 * audit_logs row written behind by the worker's write-behind queue
 * (ods_batch): at most one multi-row INSERT per 250 ms, so a flood of bad
 * tokens costs the database four statements a second and never blocks a
 * request. Rows wait in the ring through a database outage; a full ring
 * drops rows (the log line stays), counts them in
 * ods_write_behind_dropped_total{queue="audit"} and says so. Never a
 * token, key, cookie or password: events carry only identities, the
 * route template and fixed reason words.
 *
 * Refusals (401, 403, 429 of the gate) are what a flood is made of, and
 * a flood of identical ones says nothing new after the first few: per
 * process, the first ODS_AUDIT_REPEAT_MAX refusals with the same action,
 * reason, status, route and client address in ODS_AUDIT_REPEAT_WINDOW
 * seconds are written (line and
 * row); later ones are only counted, and the first one written after the
 * window says "suppressed=K". The user agent is cut to UA_MAX bytes.
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/ods_auth.h"
#include "auth/ods_auth_int.h"
#include "core/ods_batch.h"
#include "store/ods_db.h"
#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "core/ods_time.h"
#include "core/ods_util.h"
#include "metrics/ods_metrics.h"

#define QMAX		2048	/* queued rows per worker (~1.4 KB each) */
#define BATCH		256	/* rows per INSERT */
#define INTERVAL_MS	250
#define RETRY_MS	1000
#define STOP_MS		3000	/* flush at worker exit, at most */
#define NCOLS		17
#define UA_MAX		200	/* bytes of user agent kept */
#define SAMPLE_SLOTS	1024

/* Columns that may be NULL: bit numbers of row.set. */
enum { C_ACTION, C_OUTCOME, C_USER_ID, C_USERNAME, C_KEY_ID, C_IP, C_UA,
	C_REQUEST_ID, C_METHOD, C_ROUTE, C_RTYPE, C_RID, C_REASON };

/* One row, fixed size: the ring copies it. Sizes of audit_logs + 1. */
struct row {
	char		event_id[37];
	char		action[51], outcome[21], user_id[65], username[129];
	char		key_id[33], ip[46], ua[UA_MAX + 1], request_id[65];
	char		method[11], route[256], rtype[51], rid[129], reason[51];
	char		note[48];	/* "suppressed=K", else "" */
	int		status;
	unsigned	set;		/* 1 << C_*: the string is not NULL */
};

/* Refusals of one kind lately (hash of the fields that make it alike). */
struct sample {
	uint64_t	h;
	int64_t		start_ms;	/* window start, monotonic; 0: free */
	unsigned	n;		/* in this window */
	uint64_t	suppressed;	/* not written since the last written */
};

struct audit_q {
	pthread_mutex_t		 smu;	/* guards samples */
	struct sample		*samples;
	unsigned		 sample_max;
	int64_t			 sample_ms;
	struct ods_db		*db;
	struct ods_batch	*b;
	struct ods_db_arg	*args;	/* BATCH * NCOLS, the writer's */
};

/* Copy s cut to the column on a UTF-8 boundary; NULL stays unset. */
static void
keep(struct row *r, int col, char *dst, size_t size, const char *s)
{
	size_t	n;

	if (s == NULL)
		return;
	if ((n = strlen(s)) >= size) {
		n = size - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
	r->set |= 1u << col;
}

static struct ods_db_arg
txt(const struct row *r, int col, const char *s)
{
	return (r->set & (1u << col)) != 0 ? ods_db_text(s) : ods_db_null();
}

static void
uuid4(char out[37])
{
	unsigned char	b[16];

	ods_random(b, sizeof(b));
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
	    b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

static void
row_fill(struct row *r, const struct audit_ev *e)
{
	memset(r, 0, sizeof(*r));
	uuid4(r->event_id);
	keep(r, C_ACTION, r->action, sizeof(r->action), e->action);
	keep(r, C_OUTCOME, r->outcome, sizeof(r->outcome), e->outcome);
	keep(r, C_USER_ID, r->user_id, sizeof(r->user_id), e->user_id);
	keep(r, C_USERNAME, r->username, sizeof(r->username), e->username);
	keep(r, C_KEY_ID, r->key_id, sizeof(r->key_id), e->key_id);
	keep(r, C_IP, r->ip, sizeof(r->ip), e->ip);
	keep(r, C_UA, r->ua, sizeof(r->ua), e->user_agent);
	keep(r, C_REQUEST_ID, r->request_id, sizeof(r->request_id),
	    e->request_id);
	keep(r, C_METHOD, r->method, sizeof(r->method), e->method);
	keep(r, C_ROUTE, r->route, sizeof(r->route), e->route);
	keep(r, C_RTYPE, r->rtype, sizeof(r->rtype), e->resource_type);
	keep(r, C_RID, r->rid, sizeof(r->rid), e->resource_id);
	keep(r, C_REASON, r->reason, sizeof(r->reason), e->reason);
	r->status = e->status;
}

/* The NCOLS values of a row, in the order of the INSERT below. */
static void
row_args(const struct row *r, struct ods_db_arg *a)
{
	int	fail = strcmp(r->outcome, "success") != 0;

	a[0] = ods_db_text(r->event_id);
	a[1] = txt(r, C_ACTION, r->action);
	a[2] = ods_db_text(fail ? "warning" : "info");
	a[3] = txt(r, C_OUTCOME, r->outcome);
	a[4] = txt(r, C_USER_ID, r->user_id);
	a[5] = txt(r, C_USERNAME, r->username);
	a[6] = txt(r, C_KEY_ID, r->key_id);
	a[7] = txt(r, C_IP, r->ip);
	a[8] = txt(r, C_UA, r->ua);
	a[9] = txt(r, C_REQUEST_ID, r->request_id);
	a[10] = txt(r, C_METHOD, r->method);
	a[11] = txt(r, C_ROUTE, r->route);
	a[12] = r->status > 0 ? ods_db_int(r->status) : ods_db_null();
	a[13] = txt(r, C_RTYPE, r->rtype);
	a[14] = txt(r, C_RID, r->rid);
	a[15] = txt(r, C_REASON, r->reason);
	a[16] = r->note[0] != '\0' ? ods_db_text(r->note) : a[15];
}

static void
gauge(struct audit_q *q, size_t written)
{
	struct ods_batch_stats	st;

	ods_batch_stats(q->b, &st);
	ods_metrics_write_behind_queued("audit", st.pending - written);
}

/*
 * One batch, one statement. A row the database refuses (a user agent
 * that is not UTF-8, say) is skipped and counted, not retried forever;
 * any other failure keeps the batch for the next try.
 */
static enum ods_err
rows_write(void *arg, const void *recs, size_t n)
{
	struct audit_q		*q = arg;
	const struct row	*r = recs;
	struct ods_db_conn	*c = NULL;
	enum ods_err		 er;
	size_t			 i, refused = 0;

	for (i = 0; i < n; i++)
		row_args(&r[i], q->args + i * NCOLS);
	if ((er = ods_db_acquire(q->db, &c)) != ODS_OK)
		return er;
	er = ods_db_insert_rows(c, "INSERT INTO audit_logs (event_id, "
	    "action, severity, status, user_id, username, api_key_id, "
	    "ip_address, user_agent, request_id, http_method, route, "
	    "http_status, resource_type, resource_id, error_code, "
	    "error_message)", NCOLS, q->args, n, &refused);
	ods_db_release(c);
	if (er != ODS_OK)
		return er;
	if (refused > 0)
		ods_log(ODS_LOG_WARN, "audit_rows_refused count=%zu", refused);
	gauge(q, n);
	return ODS_OK;
}

struct audit_q *
odsi_audit_start(struct ods_db *db, int to_db, int repeat_max,
    int repeat_window_s)
{
	struct audit_q		*q = ods_xcalloc(1, sizeof(*q));
	struct ods_batch_conf	 bc;

	pthread_mutex_init(&q->smu, NULL);
	q->samples = ods_xcalloc(SAMPLE_SLOTS, sizeof(*q->samples));
	q->sample_max = repeat_max > 0 ? (unsigned)repeat_max : 1;
	q->sample_ms = (int64_t)(repeat_window_s > 0 ? repeat_window_s : 1) *
	    1000;
	if (db == NULL || !to_db)
		return q;
	memset(&bc, 0, sizeof(bc));
	bc.name = "audit";
	bc.rec_size = sizeof(struct row);
	bc.cap = QMAX;
	bc.max_batch = BATCH;
	bc.interval_ms = INTERVAL_MS;
	bc.retry_ms = RETRY_MS;
	bc.write = rows_write;
	bc.arg = q;
	q->args = ods_xcalloc(BATCH * NCOLS, sizeof(*q->args));
	q->db = db;
	if ((q->b = ods_batch_new(&bc)) == NULL) {
		ods_log(ODS_LOG_ERR, "audit_writer_start_failed");
		q->db = NULL;
	}
	return q;
}

void
odsi_audit_stop(struct audit_q *q)
{
	struct ods_batch_stats	st;

	if (q == NULL)
		return;
	if (q->b != NULL) {
		ods_batch_stats(q->b, &st);
		ods_batch_free(q->b, STOP_MS);
		if (st.dropped > 0)
			ods_log(ODS_LOG_WARN, "audit_rows_dropped count=%llu",
			    (unsigned long long)st.dropped);
	}
	free(q->args);
	free(q->samples);
	pthread_mutex_destroy(&q->smu);
	free(q);
}

static void
enqueue(struct audit_q *q, const struct audit_ev *e, uint64_t suppressed)
{
	struct ods_batch_stats	st;
	struct row		r;

	row_fill(&r, e);
	if (suppressed > 0)
		snprintf(r.note, sizeof(r.note), "suppressed=%llu",
		    (unsigned long long)suppressed);
	if (ods_batch_put(q->b, &r) == ODS_OK) {
		gauge(q, 0);
		return;
	}
	ods_metrics_write_behind_dropped("audit");
	ods_batch_stats(q->b, &st);
	if (st.dropped % 1000 == 1)
		ods_log(ODS_LOG_WARN, "audit_queue_full dropped=%llu",
		    (unsigned long long)st.dropped);
}

/*
 * A value for a "key=value" log field: spaces would let a crafted user
 * name forge further fields, so they become '+' (the row keeps the
 * original). Truncated to fit.
 */
static const char *
fv(char *buf, size_t len, const char *s)
{
	size_t	i;

	if (s == NULL || *s == '\0')
		return "-";
	snprintf(buf, len, "%s", s);
	for (i = 0; buf[i] != '\0'; i++)
		if (buf[i] == ' ' || buf[i] == '\t')
			buf[i] = '+';
	return buf;
}

static uint64_t
fnv(uint64_t h, const char *s)
{
	if (s != NULL)
		for (; *s != '\0'; s++)
			h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (h ^ 0xff) * 1099511628211ull;	/* field separator */
}

/*
 * Whether to write this refusal; *suppressed: the refusals of its kind
 * not written since the last one that was (to report with this one).
 */
static int
sample_take(struct audit_q *q, const struct audit_ev *e, uint64_t *suppressed)
{
	struct sample	*s;
	uint64_t	 h = 14695981039346656037ull;
	int64_t		 now = ods_now_ms();
	char		 st[16];
	int		 take;

	snprintf(st, sizeof(st), "%d", e->status);
	h = fnv(fnv(fnv(fnv(fnv(h, e->action), e->reason), st), e->route),
	    e->ip);
	*suppressed = 0;
	pthread_mutex_lock(&q->smu);
	s = &q->samples[h % SAMPLE_SLOTS];
	if (s->start_ms == 0 || s->h != h ||
	    now - s->start_ms >= q->sample_ms) {
		/* A new window (or another kind evicting this slot). */
		if (s->h == h)
			*suppressed = s->suppressed;
		s->h = h;
		s->start_ms = now;
		s->n = 0;
		s->suppressed = 0;
	}
	take = s->n < q->sample_max;
	if (take) {
		s->n++;
		if (*suppressed == 0)
			*suppressed = s->suppressed;
		s->suppressed = 0;
	} else
		s->suppressed++;
	pthread_mutex_unlock(&q->smu);
	return take;
}

void
odsi_audit_emit(struct audit_q *q, const struct audit_ev *e)
{
	char		b[9][160], note[48] = "";
	uint64_t	suppressed = 0;

	if (q != NULL && e->sampled && !sample_take(q, e, &suppressed))
		return;
	if (suppressed > 0)
		snprintf(note, sizeof(note), " suppressed=%llu",
		    (unsigned long long)suppressed);
	ods_log_emit(ODS_LOG_INFO, __func__, "AUDIT action=%s outcome=%s "
	    "status=%d method=%s route=%s user_id=%s username=%s key_id=%s "
	    "client_ip=%s resource_type=%s resource_id=%s reason=%s "
	    "request_id=%s%s", e->action, e->outcome, e->status,
	    fv(b[0], sizeof(b[0]), e->method), fv(b[1], sizeof(b[1]), e->route),
	    fv(b[2], sizeof(b[2]), e->user_id),
	    fv(b[3], sizeof(b[3]), e->username),
	    fv(b[4], sizeof(b[4]), e->key_id), fv(b[5], sizeof(b[5]), e->ip),
	    e->resource_type != NULL ? e->resource_type : "-",
	    fv(b[6], sizeof(b[6]), e->resource_id),
	    e->reason != NULL ? e->reason : "-",
	    fv(b[7], sizeof(b[7]), e->request_id), note);
	if (q != NULL && q->b != NULL)
		enqueue(q, e, suppressed);
}

/* ---- retention ---- */

enum ods_err
ods_auth_audit_purge(struct ods_db *db, const char *cutoff, int batch,
    uint64_t *deleted)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_arg	 a[2];
	enum ods_err		 er;

	*deleted = 0;
	if (batch < 1 || batch > 100000 || cutoff == NULL)
		return ODS_EINVAL;
	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	a[0] = ods_db_text(cutoff);
	a[1] = ods_db_int(batch);
	/* Bounded: one short transaction per batch (idx_audit_logs_time). */
	er = ods_db_exec(c, "DELETE FROM audit_logs WHERE `timestamp` < ? "
	    "LIMIT ?", a, 2, deleted);
	ods_db_release(c);
	return er;
}

enum ods_err
ods_auth_audit_count(struct ods_db *db, const char *cutoff, int64_t *n)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[1];
	enum ods_err		 er;

	*n = 0;
	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	a[0] = ods_db_text(cutoff);
	er = ods_db_query(c, "SELECT COUNT(*) FROM audit_logs WHERE "
	    "`timestamp` < ?", a, 1, 1, &res);
	ods_db_release(c);
	if (er == ODS_OK && ods_db_res_int(res, 0, 0, n) != ODS_OK)
		er = ODS_EINTERNAL;
	ods_db_res_free(res);
	return er;
}
