/*
 * svc/data/query.c — POST /query/execute's work (query.h): the source as
 * the caller sees it, the gate (sql_lex.c), the address policy, a pooled
 * connection (ds_pool.c) or a new one (ds_exec.c), the run with the row
 * cap between the driver and the caller's sink, and the history row.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_json.h"
#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "core/ods_secret.h"
#include "core/ods_time.h"
#include "core/ods_util.h"
#include "net/ods_addr.h"
#include "store/ods_db.h"
#include "datasource.h"
#include "data_int.h"
#include "query.h"
#include "sql_lex.h"

/* Between the driver and the caller's sink: counts and caps the rows. */
struct cap {
	const struct ods_query_sink	*sink;
	struct ods_query_result		*res;
	int64_t				 limit;	/* -1: none */
	int				 seen;	/* columns were sent */
};

static int
cap_columns(void *arg, size_t n, const char *const *names,
    const char *const *types, const int *numeric)
{
	struct cap	*c = arg;

	c->seen = 1;
	return c->sink->columns(c->sink->arg, n, names, types, numeric);
}

static int
cap_row(void *arg, size_t n, const char *const *cells, const size_t *lens)
{
	struct cap	*c = arg;

	if (c->limit >= 0 && c->res->row_count >= c->limit) {
		c->res->truncated = 1;
		return 1;
	}
	if (c->sink->row(c->sink->arg, n, cells, lens) != 0)
		return 1;
	c->res->row_count++;
	return 0;
}

static void
fail(struct ods_query_result *res, const char *status, const char *slug,
    const char *msg)
{
	snprintf(res->status, sizeof(res->status), "%s", status);
	snprintf(res->slug, sizeof(res->slug), "%s", slug);
	if (msg != res->message)
		snprintf(res->message, sizeof(res->message), "%s", msg);
}

/* What a pooled connection was opened with: a change opens new ones. */
static char *
fingerprint(const struct ods_ds *d)
{
	char	*s = NULL;
	size_t	 n;

	n = (size_t)snprintf(NULL, 0, "%s|%s|%d|%s|%s|%s", d->type, d->host,
	    d->port, d->username != NULL ? d->username : "",
	    d->database != NULL ? d->database : "",
	    d->credential != NULL ? d->credential : "");
	s = ods_xmalloc(n + 1);
	snprintf(s, n + 1, "%s|%s|%d|%s|%s|%s", d->type, d->host, d->port,
	    d->username != NULL ? d->username : "",
	    d->database != NULL ? d->database : "",
	    d->credential != NULL ? d->credential : "");
	return s;
}

/* A new connection for d, through the policy. NULL with res failed. */
static struct odsi_ds_conn *
connect_to(const struct ods_ds_ctx *ctx, const struct ods_ds *d, int kind,
    int timeout_ms, struct ods_query_result *res)
{
	struct ods_addr	 addr;
	struct ods_ds_result	 r;
	struct odsi_ds_conn	*c;
	char			*pw = NULL;
	int			 port = d->port > 0 ? d->port :
				    odsi_ds_default_port(kind);

	memset(&r, 0, sizeof(r));
	if (odsi_ds_policy(ctx, d->host, port, kind, d->database,
	    d->username, &addr, &r) != 0) {
		fail(res, "error", r.error, r.message);
		return NULL;
	}
	if (odsi_ds_password(ctx, d, &pw) != ODS_OK) {
		fail(res, "error", "credential_unavailable", "the stored "
		    "password cannot be read");
		return NULL;
	}
	if (odsi_ds_open(kind, &addr, port, d->username, pw, d->database,
	    ctx->timeout_ms, timeout_ms + 10000, &c, &r) != 0) {
		c = NULL;
		fail(res, "error", r.error, r.message);
	}
	ods_secret_clear(pw);
	return c;
}

/*
 * Run on a pooled connection; the slot is given back here. A pooled
 * connection the server closed while it was idle fails before anything
 * was sent: then once more on a new one.
 */
static enum ods_err
run(const struct ods_ds_ctx *ctx, const struct ods_ds *d, int kind,
    const char *sql, size_t len, int timeout_ms, struct cap *cap)
{
	struct ods_query_sink	 k = { cap_columns, cap_row, cap };
	struct ods_query_result	*res = cap->res;
	struct odsi_ds_conn	*c = NULL;
	char			*fp = fingerprint(d);
	enum ods_err		 er;
	int			 stopped = 0, pooled, tries = 0;

again:
	er = odsi_ds_pool_get(ctx->pool, d->source_id, fp, ctx->timeout_ms,
	    &c);
	if (er != ODS_OK) {
		fail(res, "error", "pool_busy", "every connection to this "
		    "data source is busy");
		free(fp);
		return er;
	}
	pooled = c != NULL;
	if (c == NULL &&
	    (c = connect_to(ctx, d, kind, timeout_ms, res)) == NULL) {
		odsi_ds_pool_put(ctx->pool, d->source_id, fp, NULL, 1);
		free(fp);
		return ODS_EUNAVAIL;
	}
	er = odsi_ds_run(c, sql, len, timeout_ms, &k, &stopped,
	    res->message, sizeof(res->message));
	odsi_ds_pool_put(ctx->pool, d->source_id, fp, c,
	    stopped || er != ODS_OK);
	c = NULL;
	if (er == ODS_EUNAVAIL && pooled && !cap->seen && tries++ == 0)
		goto again;
	res->stopped = stopped && !res->truncated;
	free(fp);
	if (er == ODS_OK)
		snprintf(res->status, sizeof(res->status), "success");
	else if (er == ODS_ETIMEOUT)
		fail(res, "timeout", "timeout", res->message);
	else if (er == ODS_EINVAL)
		fail(res, "error", "database_error", res->message);
	else
		fail(res, "error", "connection_lost", res->message);
	return er;
}

static void
record(struct ods_db *db, const struct ods_query_spec *sp, const char *user,
    const struct ods_query_result *res)
{
	struct ods_db_arg	a[12];
	enum ods_err		er;

	a[0] = ods_db_text(res->query_id);
	a[1] = ods_db_text(user);
	a[2] = ods_db_text(sp->source_id);
	a[3] = ods_db_textn(sp->sql, sp->sql_len);
	a[4] = ods_db_text(res->kind);
	a[5] = ods_db_text(res->status);
	a[6] = ods_db_text(res->message[0] != '\0' &&
	    strcmp(res->status, "success") != 0 ? res->message : NULL);
	a[7] = ods_db_int(res->row_count);
	a[8] = ods_db_int(res->truncated);
	a[9] = ods_db_double(res->duration_ms);
	a[10] = ods_db_text(sp->format != NULL ? sp->format : "json");
	er = ods_db_exec_once(db, "INSERT INTO query_history (query_id, "
	    "user_id, source_id, sql_text, kind, status, error, row_count, "
	    "truncated, duration_ms, format) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
	    "?, ?, ?)", a, 11, NULL);
	if (er != ODS_OK)
		ods_log(ODS_LOG_WARN, "query_history_insert err=%s",
		    ods_strerror(er));
}

enum ods_err
ods_query_execute(struct ods_db *db, const struct ods_ds_ctx *ctx,
    const struct ods_query_spec *sp, const char *owner, const char *user,
    const struct ods_query_sink *sink, struct ods_query_result *res)
{
	struct ods_sql_verdict	 v;
	struct ods_ds		*d = NULL;
	struct cap		 cap;
	unsigned char		 rnd[8];
	enum ods_err		 er;
	int64_t			 t0 = ods_now_ms();
	int			 kind, tmo;

	memset(res, 0, sizeof(res[0]));
	ods_random(rnd, sizeof(rnd));
	memcpy(res->query_id, "q-", 2);
	ods_hex(rnd, sizeof(rnd), res->query_id + 2);
	if ((er = ods_ds_get(db, sp->source_id, owner, &d)) != ODS_OK)
		return er;
	kind = odsi_ds_kind(d->type);
	if (kind <= ODSI_DS_NONE) {
		fail(res, "refused", "unsupported_type", "queries run on "
		    "mysql, mariadb and postgresql sources");
		er = ODS_EINVAL;
		goto out;
	}
	if (ods_sql_check(sp->sql, sp->sql_len, kind == ODSI_DS_PG ?
	    ODS_SQL_PG : ODS_SQL_MYSQL, &v) != ODS_OK) {
		fail(res, "refused", v.slug, v.why);
		er = ODS_EINVAL;
		goto out;
	}
	snprintf(res->kind, sizeof(res->kind), "%s", v.kind);
	tmo = ctx->query_timeout_ms;
	if (sp->timeout_ms > 0 && sp->timeout_ms < tmo)
		tmo = sp->timeout_ms;
	cap.sink = sink;
	cap.res = res;
	cap.limit = sp->limit < 0 ? -1 : sp->limit > 0 ? sp->limit :
	    ctx->query_max_rows;
	cap.seen = 0;
	er = run(ctx, d, kind, sp->sql, v.len, tmo, &cap);
out:
	res->duration_ms = (double)(ods_now_ms() - t0);
	if (!sp->no_history)
		record(db, sp, user, res);
	ods_ds_free(d);
	return er;
}

unsigned
ods_query_pool_open(const struct ods_ds_ctx *ctx, const char *source_id)
{
	return odsi_ds_pool_open(ctx->pool, source_id);
}

enum ods_err
ods_query_history(struct ods_db *db, const char *user, const char *source_id,
    size_t offset, size_t limit, struct ods_jw *jw, int64_t *total)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[5];
	enum ods_err		 er;
	size_t			 i, n;
	int64_t			 v;
	double			 dv;

	a[0] = ods_db_text(user);
	a[1] = ods_db_int(source_id == NULL);
	a[2] = ods_db_text(source_id != NULL ? source_id : "");
	er = ods_db_query_once(db, "SELECT COUNT(*) FROM query_history WHERE "
	    "user_id = ? AND (? = 1 OR source_id = ?)", a, 3, 1, &res);
	if (er != ODS_OK)
		return er;
	if (ods_db_res_int(res, 0, 0, total) != ODS_OK)
		*total = 0;
	ods_db_res_free(res);
	res = NULL;
	a[3] = ods_db_int((int64_t)limit);
	a[4] = ods_db_int((int64_t)offset);
	er = ods_db_query_once(db, "SELECT query_id, source_id, sql_text, "
	    "kind, status, error, row_count, truncated, duration_ms, format, "
	    "DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%s.%fZ') FROM "
	    "query_history WHERE user_id = ? AND (? = 1 OR source_id = ?) "
	    "ORDER BY id DESC LIMIT ? OFFSET ?", a, 5, limit, &res);
	if (er != ODS_OK)
		return er;
	n = ods_db_res_nrows(res);
	for (i = 0; i < n; i++) {
		ods_jw_obj(jw);
		ods_jw_kstr(jw, "query_id", ods_db_res_text(res, i, 0, NULL));
		ods_jw_kstr(jw, "source_id", ods_db_res_text(res, i, 1, NULL));
		ods_jw_kstr(jw, "sql", ods_db_res_text(res, i, 2, NULL));
		ods_jw_kstr(jw, "kind", ods_db_res_text(res, i, 3, NULL));
		ods_jw_kstr(jw, "status", ods_db_res_text(res, i, 4, NULL));
		ods_jw_kstr(jw, "error", ods_db_res_text(res, i, 5, NULL));
		ods_jw_kint(jw, "row_count", ods_db_res_int(res, i, 6, &v) ==
		    ODS_OK ? v : 0);
		ods_jw_kbool(jw, "truncated", ods_db_res_int(res, i, 7, &v) ==
		    ODS_OK && v != 0);
		if (ods_db_res_double(res, i, 8, &dv) != ODS_OK)
			dv = 0;
		ods_jw_knum(jw, "duration_ms", dv);
		ods_jw_knum(jw, "execution_time_ms", dv);
		ods_jw_kstr(jw, "format", ods_db_res_text(res, i, 9, NULL));
		ods_jw_kstr(jw, "created_at", ods_db_res_text(res, i, 10,
		    NULL));
		ods_jw_end(jw);
	}
	ods_db_res_free(res);
	return ODS_OK;
}
