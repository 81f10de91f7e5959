/*
 * lib/auth/ods_auth_audit.c — the audit trail: one JSON log line with msg
 * "AUDIT" per event, written at once whatever LOG_LEVEL says, and one
 * audit_logs row written by a thread of the worker in batches, so that a
 * flood of bad tokens costs the database one insert batch per second at
 * most and never blocks a request. A full queue drops rows (the log line
 * stays) and says so. Never a token, key, cookie or password: events
 * carry only identities, the route template and fixed reason words.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/ods_auth_int.h"
#include "store/ods_db.h"
#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "core/ods_time.h"
#include "core/ods_util.h"

#define QMAX		4096	/* queued rows per worker */
#define BATCH		100

/* One row, with its own copies of the strings. */
struct row {
	char	 event_id[37];
	char	*action, *outcome, *user_id, *username, *key_id, *ip, *ua;
	char	*request_id, *method, *route, *rtype, *rid, *reason;
	int	 status;
};

struct audit_q {
	struct ods_db	*db;
	pthread_t	 tid;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	struct row	*ring;
	size_t		 head, n;
	unsigned long	 dropped;
	int		 stop, started;
};

/* Column sizes of audit_logs; cut on a UTF-8 character boundary. */
static char *
cut(const char *s, size_t max)
{
	size_t	n;

	if (s == NULL)
		return NULL;
	if ((n = strlen(s)) > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	return ods_xstrndup(s, n);
}

static void
row_free(struct row *r)
{
	free(r->action);
	free(r->outcome);
	free(r->user_id);
	free(r->username);
	free(r->key_id);
	free(r->ip);
	free(r->ua);
	free(r->request_id);
	free(r->method);
	free(r->route);
	free(r->rtype);
	free(r->rid);
	free(r->reason);
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
	r->action = cut(e->action, 50);
	r->outcome = cut(e->outcome, 20);
	r->user_id = cut(e->user_id, 64);
	r->username = cut(e->username, 128);
	r->key_id = cut(e->key_id, 32);
	r->ip = cut(e->ip, 45);
	r->ua = cut(e->user_agent, 500);
	r->request_id = cut(e->request_id, 64);
	r->method = cut(e->method, 10);
	r->route = cut(e->route, 255);
	r->rtype = cut(e->resource_type, 50);
	r->rid = cut(e->resource_id, 128);
	r->reason = cut(e->reason, 50);
	r->status = e->status;
}

static enum ods_err
row_insert(struct ods_db_conn *c, const struct row *r)
{
	struct ods_db_arg	a[17];
	int			fail = strcmp(r->outcome, "success") != 0;

	a[0] = ods_db_text(r->event_id);
	a[1] = ods_db_text(r->action);
	a[2] = ods_db_text(fail ? "warning" : "info");
	a[3] = ods_db_text(r->outcome);
	a[4] = ods_db_text(r->user_id);
	a[5] = ods_db_text(r->username);
	a[6] = ods_db_text(r->key_id);
	a[7] = ods_db_text(r->ip);
	a[8] = ods_db_text(r->ua);
	a[9] = ods_db_text(r->request_id);
	a[10] = ods_db_text(r->method);
	a[11] = ods_db_text(r->route);
	a[12] = r->status > 0 ? ods_db_int(r->status) : ods_db_null();
	a[13] = ods_db_text(r->rtype);
	a[14] = ods_db_text(r->rid);
	a[15] = ods_db_text(r->reason);
	a[16] = ods_db_text(r->reason);
	return ods_db_exec(c, "INSERT INTO audit_logs (event_id, action, "
	    "severity, status, user_id, username, api_key_id, ip_address, "
	    "user_agent, request_id, http_method, route, http_status, "
	    "resource_type, resource_id, error_code, error_message) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", a, 17,
	    NULL);
}

/* Write a batch; rows that could not be written are logged and dropped. */
static void
batch_write(struct ods_db *db, struct row *rows, size_t n)
{
	struct ods_db_conn	*c = NULL;
	enum ods_err		 er;
	size_t			 i, bad = 0;

	er = ods_db_acquire(db, &c);
	for (i = 0; i < n; i++) {
		if (er == ODS_OK && row_insert(c, &rows[i]) != ODS_OK)
			bad++;
		row_free(&rows[i]);
	}
	ods_db_release(c);
	if (er != ODS_OK || bad > 0)
		ods_log(ODS_LOG_WARN, "audit_rows_lost count=%zu err=%s",
		    er != ODS_OK ? n : bad, ods_strerror(er != ODS_OK ? er :
		    ODS_EUNAVAIL));
}

static void *
writer(void *arg)
{
	struct audit_q	*q = arg;
	struct row	 rows[BATCH];
	size_t		 n;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		while (q->n == 0 && !q->stop)
			pthread_cond_wait(&q->cv, &q->mu);
		if (q->n == 0 && q->stop)
			break;
		for (n = 0; n < BATCH && q->n > 0; n++) {
			rows[n] = q->ring[q->head];
			q->head = (q->head + 1) % QMAX;
			q->n--;
		}
		pthread_mutex_unlock(&q->mu);
		batch_write(q->db, rows, n);
		pthread_mutex_lock(&q->mu);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

struct audit_q *
audit_start(struct ods_db *db, int to_db)
{
	struct audit_q	*q = ods_xcalloc(1, sizeof(*q));

	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	if (db == NULL || !to_db)
		return q;
	q->db = db;
	q->ring = ods_xcalloc(QMAX, sizeof(*q->ring));
	if (pthread_create(&q->tid, NULL, writer, q) != 0) {
		ods_log(ODS_LOG_ERR, "audit_writer_start_failed");
		q->db = NULL;
		return q;
	}
	q->started = 1;
	return q;
}

void
audit_stop(struct audit_q *q)
{
	if (q == NULL)
		return;
	if (q->started) {
		pthread_mutex_lock(&q->mu);
		q->stop = 1;
		pthread_cond_signal(&q->cv);
		pthread_mutex_unlock(&q->mu);
		pthread_join(q->tid, NULL);
	}
	if (q->dropped > 0)
		ods_log(ODS_LOG_WARN, "audit_rows_dropped count=%lu",
		    q->dropped);
	free(q->ring);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
	free(q);
}

static void
enqueue(struct audit_q *q, const struct audit_ev *e)
{
	struct row	r;
	unsigned long	d = 0;

	row_fill(&r, e);
	pthread_mutex_lock(&q->mu);
	if (q->n < QMAX && !q->stop) {
		q->ring[(q->head + q->n) % QMAX] = r;
		q->n++;
		pthread_cond_signal(&q->cv);
	} else
		d = ++q->dropped;
	pthread_mutex_unlock(&q->mu);
	if (d == 0)
		return;
	row_free(&r);
	if (d % 1000 == 1)
		ods_log(ODS_LOG_WARN, "audit_queue_full dropped=%lu", d);
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

void
audit_emit(struct audit_q *q, const struct audit_ev *e)
{
	char	b[9][160];

	ods_log_emit(ODS_LOG_INFO, __func__, "AUDIT action=%s outcome=%s "
	    "status=%d method=%s route=%s user_id=%s username=%s key_id=%s "
	    "client_ip=%s resource_type=%s resource_id=%s reason=%s "
	    "request_id=%s", e->action, e->outcome, e->status,
	    fv(b[0], sizeof(b[0]), e->method), fv(b[1], sizeof(b[1]), e->route),
	    fv(b[2], sizeof(b[2]), e->user_id),
	    fv(b[3], sizeof(b[3]), e->username),
	    fv(b[4], sizeof(b[4]), e->key_id), fv(b[5], sizeof(b[5]), e->ip),
	    e->resource_type != NULL ? e->resource_type : "-",
	    fv(b[6], sizeof(b[6]), e->resource_id),
	    e->reason != NULL ? e->reason : "-",
	    fv(b[7], sizeof(b[7]), e->request_id));
	if (q != NULL && q->db != NULL)
		enqueue(q, e);
}
