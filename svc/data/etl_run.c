/*
 * svc/data/etl_run.c — one run of an ETL task (etl.h: ods_etl_run) for
 * the kinds that read a source with SQL: sql_transform and table_copy.
 *
 * The rows stream from the source (a read-only session) into a staging
 * table on the target named from the execution id (ods_stg_<hex>), by
 * multi-row INSERTs of about BATCH_BYTES, committed every few batches;
 * between batches the run checks whether it must stop. Then, in one
 * atomic step, the staging table becomes the target (RENAME TABLE on
 * MariaDB; ALTER TABLE ... RENAME in one transaction on PostgreSQL) or,
 * for an incremental copy, its rows are appended in one transaction.
 * Until that step the target is untouched: a killed worker leaves only
 * a staging table, which the next run on that target drops (a retry of
 * the same execution first of all). An incremental copy's watermark is
 * the target's own highest key, read at the start of every attempt, so a
 * retry after a crash between the append and our bookkeeping never
 * copies a row twice.
 */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_json.h"
#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "core/ods_time.h"
#include "store/ods_db.h"
#include "datasource.h"
#include "data_int.h"
#include "lineage.h"
#include "sql_lex.h"

#define BATCH_BYTES	(1u << 20)	/* one INSERT statement */
#define COMMIT_EVERY	8		/* batches per transaction */
#define PROGRESS_MS	1000

void
odsi_etl_rline(struct odsi_etl_run *r, const char *level, const char *step,
    const char *fmt, ...)
{
	char	msg[1536];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	odsi_etl_line(r->env->db, r->t->task_id, r->exec_id, r->env->attempt,
	    level, step, "%s", msg);
}

int
odsi_etl_fail(struct odsi_etl_run *r, enum ods_err er, const char *msg)
{
	r->er = er;
	snprintf(r->out->error, sizeof(r->out->error), "%s", msg);
	return 1;
}

static enum ods_err
exec(struct odsi_etl_run *r, const char *sql, int64_t *n)
{
	char		msg[1024];
	enum ods_err	er;

	er = odsi_etl_exec(r->dst, sql, strlen(sql), n, msg, sizeof(msg));
	if (er != ODS_OK && er != ODS_ENOTFOUND)
		odsi_etl_fail(r, er, msg);
	return er;
}

/* ---- names ---- */

/*
 * The target's quoted name and, in its schema, the staging and old
 * tables' names derived from the execution id ("exec_<hex>").
 */
static int
names(struct odsi_etl_run *r)
{
	const char	*tb = r->t->target_table, *dot;
	const char	*hex = strchr(r->exec_id, '_');
	char		 q[QID_MAX];

	hex = hex != NULL ? hex + 1 : r->exec_id;
	snprintf(r->stage_base, sizeof(r->stage_base), "ods_stg_%.24s", hex);
	snprintf(r->old_base, sizeof(r->old_base), "ods_old_%.24s", hex);
	if ((dot = strchr(tb, '.')) != NULL)
		snprintf(r->schema, sizeof(r->schema), "%.*s",
		    (int)(dot - tb), tb);
	if (ods_etl_quote_ident(tb, r->dst_pg, r->qtarget,
	    sizeof(r->qtarget)) != 0 || !ods_etl_ident_ok(r->stage_base, 1))
		return odsi_etl_fail(r, ODS_EINVAL, "bad target table name");
	snprintf(q, sizeof(q), "%s%s%s", r->schema, *r->schema ? "." : "",
	    r->stage_base);
	(void)ods_etl_quote_ident(q, r->dst_pg, r->qstage, sizeof(r->qstage));
	snprintf(q, sizeof(q), "%s%s%s", r->schema, *r->schema ? "." : "",
	    r->old_base);
	(void)ods_etl_quote_ident(q, r->dst_pg, r->qold, sizeof(r->qold));
	return 0;
}

/* ---- stale staging tables ---- */

struct stale {
	char	 names[64][40];
	size_t	 n;
};

static int
stale_row(void *arg, size_t n, const char *const *v, const size_t *l)
{
	struct stale	*s = arg;

	(void)l;
	if (n > 0 && v[0] != NULL && s->n < 64 && strlen(v[0]) < 40 &&
	    ods_etl_ident_ok(v[0], 1))
		snprintf(s->names[s->n++], 40, "%s", v[0]);
	return 0;
}

static int
stale_cols(void *arg, size_t n, const struct odsi_etl_col *c)
{
	(void)arg;
	(void)n;
	(void)c;
	return 0;
}

/* Whether the run of a staging table's execution may still use it. */
static int
live_exec(struct odsi_etl_run *r, const char *table)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[1];
	char			 id[48];
	int			 live = 1;

	snprintf(id, sizeof(id), "exec_%s", table + 8);
	if (strcmp(id, r->exec_id) == 0)
		return 0;	/* ours: a dead attempt's */
	a[0] = ods_db_text(id);
	if (ods_db_query_once(r->env->db, "SELECT 1 FROM etl_task_logs WHERE "
	    "log_id = ? AND status IN ('pending', 'running')", a, 1, 1,
	    &res) == ODS_OK)
		live = ods_db_res_nrows(res) > 0;
	ods_db_res_free(res);
	return live;
}

/*
 * Drop the staging and old tables of runs that are over (killed workers
 * leave them) in the target's schema.
 */
static void
drop_stale(struct odsi_etl_run *r)
{
	struct odsi_etl_reader	 rd = { stale_cols, stale_row, NULL };
	struct stale		 s;
	char			 sql[512], msg[256];
	char			 q[QID_MAX], qq[QID_MAX];
	size_t			 i;
	int			 stopped = 0;

	memset(&s, 0, sizeof(s));
	rd.arg = &s;
	if (r->dst_pg)
		snprintf(sql, sizeof(sql),
		    "SELECT tablename FROM pg_tables "
		    "WHERE schemaname = %s%s%s AND (tablename LIKE "
		    "'ods\\_stg\\_%%'"
		    " OR tablename LIKE 'ods\\_old\\_%%')",
		    *r->schema ? "'" : "current_schema()", r->schema,
		    *r->schema ? "'" : "");
	else
		snprintf(sql, sizeof(sql), "SELECT table_name FROM "
		    "information_schema.tables WHERE table_schema = %s%s%s AND "
		    "(table_name LIKE 'ods\\_stg\\_%%' OR table_name LIKE "
		    "'ods\\_old\\_%%')", *r->schema ? "'" : "DATABASE()",
		    r->schema, *r->schema ? "'" : "");
	if (odsi_etl_read(r->dst, sql, &rd, &stopped, msg, sizeof(msg)) !=
	    ODS_OK)
		return;
	for (i = 0; i < s.n; i++) {
		if (live_exec(r, s.names[i]))
			continue;
		snprintf(q, sizeof(q), "%s%s%s", r->schema, *r->schema ? "." :
		    "", s.names[i]);
		if (ods_etl_quote_ident(q, r->dst_pg, qq, sizeof(qq)) != 0)
			continue;
		snprintf(sql, sizeof(sql), "DROP TABLE IF EXISTS %s", qq);
		if (odsi_etl_exec(r->dst, sql, strlen(sql), NULL, msg,
		    sizeof(msg)) == ODS_OK)
			odsi_etl_rline(r, "info", "cleanup",
			    "dropped %s, left by a run "
			    "that is over",
			    s.names[i]);
	}
}

/* ---- staging ---- */

static int
create_stage(struct odsi_etl_run *r)
{
	struct ods_buf	b;
	char		q[QID_MAX], decl[64];
	size_t		i;
	int		rc = 0;

	ods_buf_init(&b, 1u << 20);
	if (r->target_exists)
		odsi_etl_ignore(ods_buf_addf(&b,
		    r->dst_pg
			? "CREATE TABLE %s (LIKE %s "
			  "INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING "
			  "INDEXES)"
			: "CREATE TABLE %s LIKE %s",
		    r->qstage, r->qtarget));
	else {
		odsi_etl_ignore(
		    ods_buf_addf(&b, "CREATE TABLE %s (", r->qstage));
		for (i = 0; i < r->ncols; i++) {
			(void)ods_etl_quote_ident(r->cols[i].name, r->dst_pg,
			    q, sizeof(q));
			ods_etl_type_decl(&r->cols[i].ct, r->dst_pg, decl,
			    sizeof(decl));
			odsi_etl_ignore(ods_buf_addf(
			    &b, "%s%s %s", i > 0 ? ", " : "", q, decl));
		}
		odsi_etl_ignore(ods_buf_addf(&b, ")%s", r->dst_pg ? "" :
		    " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"));
	}
	if (b.data == NULL || exec(r, b.data, NULL) != ODS_OK)
		rc = 1;
	ods_buf_free(&b);
	if (rc == 0)
		r->staged = 1;
	return rc;
}

/*
 * The writer: a thread of the run that sends the INSERTs to the target
 * while the run reads the next rows from the source and builds the next
 * statement (two buffers: the one being sent, the one being built), as
 * the two ends of `mariadb-dump | mariadb` overlap. It owns the target's
 * session from the staging table's creation to the end of the load and
 * the transaction of every COMMIT_EVERY batches.
 */
struct odsi_etl_writer {
	pthread_t		 th;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	struct odsi_ds_conn	*c;
	int			 pg;
	struct ods_buf		 job;	/* the statement handed over */
	int			 have;	/* job waits to be sent */
	int			 quit, commit;	/* end: commit or not */
	int			 in_tx, failed;
	size_t			 batches;
	int64_t			 written, bytes;
	enum ods_err		 er;
	char			 msg[1024];
};

/* One statement on the writer's session; 0, or -1 with the error kept. */
static int
wexec(struct odsi_etl_writer *w, const char *sql, size_t len, int64_t *n)
{
	char		msg[1024];
	enum ods_err	er;

	er = odsi_etl_exec(w->c, sql, len, n, msg, sizeof(msg));
	if (er == ODS_OK)
		return 0;
	pthread_mutex_lock(&w->mu);
	w->failed = 1;
	w->er = er == ODS_ENOTFOUND ? ODS_EINVAL : er;
	snprintf(w->msg, sizeof(w->msg), "%s", msg);
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return -1;
}

static int
wsend(struct odsi_etl_writer *w)
{
	const char	*begin = w->pg ? "BEGIN" : "START TRANSACTION";
	int64_t		 n = 0;

	if (!w->in_tx && wexec(w, begin, strlen(begin), NULL) != 0)
		return -1;
	w->in_tx = 1;
	if (wexec(w, w->job.data, w->job.len, &n) != 0)
		return -1;
	pthread_mutex_lock(&w->mu);
	w->written += n;
	w->bytes += (int64_t)w->job.len;
	pthread_mutex_unlock(&w->mu);
	if (++w->batches % COMMIT_EVERY == 0) {
		if (wexec(w, "COMMIT", 6, NULL) != 0)
			return -1;
		w->in_tx = 0;
	}
	return 0;
}

static void *
wmain(void *arg)
{
	struct odsi_etl_writer	*w = arg;
	int			 quit, rc = 0;

	for (;;) {
		pthread_mutex_lock(&w->mu);
		while (!w->have && !w->quit)
			pthread_cond_wait(&w->cv, &w->mu);
		quit = w->quit && !w->have;
		pthread_mutex_unlock(&w->mu);
		if (quit)
			break;
		if (rc == 0 && !w->failed)
			rc = wsend(w);
		pthread_mutex_lock(&w->mu);
		w->have = 0;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
	}
	if (w->in_tx && !w->failed && w->commit &&
	    wexec(w, "COMMIT", 6, NULL) == 0)
		w->in_tx = 0;
	return NULL;
}

static int
writer_start(struct odsi_etl_run *r)
{
	struct odsi_etl_writer	*w;

	w = ods_xcalloc(1, sizeof(*w));
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->c = r->dst;
	w->pg = r->dst_pg;
	ods_buf_init(&w->job, r->ins.max);
	if (pthread_create(&w->th, NULL, wmain, w) != 0) {
		ods_buf_free(&w->job);
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
		free(w);
		return odsi_etl_fail(r, ODS_ENOMEM, "cannot start the writer");
	}
	r->w = w;
	return 0;
}

/*
 * Wait for the statements handed over, commit (commit non-zero) or
 * leave the transaction open for the caller's ROLLBACK, and end the
 * thread: the session is the run's again. 0, or 1 with the run failed.
 */
static int
writer_end(struct odsi_etl_run *r, int commit)
{
	struct odsi_etl_writer	*w = r->w;
	int			 failed;

	if (w == NULL)
		return 0;
	pthread_mutex_lock(&w->mu);
	w->quit = 1;
	w->commit = commit;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->th, NULL);
	r->out->rows_written = w->written;
	r->out->bytes_written = w->bytes;
	r->in_tx = w->in_tx;
	failed = w->failed;
	if (failed && r->er == ODS_OK)
		odsi_etl_fail(r, w->er, w->msg);
	ods_buf_free(&w->job);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
	r->w = NULL;
	return failed;
}

static int
begin_batch(struct odsi_etl_run *r)
{
	char	q[QID_MAX];
	size_t	i;

	ods_buf_reset(&r->ins);
	if (ods_buf_addf(&r->ins, "INSERT INTO %s (", r->qstage) != ODS_OK)
		return 1;
	for (i = 0; i < r->ncols; i++) {
		(void)ods_etl_quote_ident(r->cols[i].name, r->dst_pg, q,
		    sizeof(q));
		if (ods_buf_addf(&r->ins, "%s%s", i > 0 ? ", " : "", q) !=
		    ODS_OK)
			return 1;
	}
	if (ods_buf_add(&r->ins, ") VALUES ", 9) != ODS_OK)
		return 1;
	r->prefix_len = r->ins.len;
	r->batch_rows = 0;
	return 0;
}

static void
report(struct odsi_etl_run *r, int force)
{
	struct ods_db_arg	a[6];
	int64_t			now = ods_now_ms();
	char			msg[160];

	if (!force && now - r->last_ms < PROGRESS_MS)
		return;
	r->last_ms = now;
	snprintf(msg, sizeof(msg), "%lld rows read, %lld written",
	    (long long)r->out->rows_read, (long long)r->out->rows_written);
	if (r->env->progress != NULL)
		r->env->progress(r->env->arg, 50, msg);
	a[0] = ods_db_int(r->out->rows_read);
	a[1] = ods_db_int(r->out->rows_written);
	a[2] = ods_db_int(r->out->bytes_read);
	a[3] = ods_db_int(r->out->bytes_written);
	a[4] = ods_db_text(r->exec_id);
	odsi_etl_ignore(ods_db_exec_once(r->env->db, "UPDATE etl_task_logs SET "
	    "rows_read = ?, rows_written = ?, bytes_read = ?, bytes_written = "
	    "?, progress = 50, updated_at = NOW(3) WHERE log_id = ?", a, 5,
	    NULL));
}

static int
flush(struct odsi_etl_run *r)
{
	struct odsi_etl_writer	*w = r->w;
	struct ods_buf		 t;
	int			 failed;

	if (r->batch_rows == 0)
		return 0;
	pthread_mutex_lock(&w->mu);
	while (w->have && !w->failed)
		pthread_cond_wait(&w->cv, &w->mu);
	if (!(failed = w->failed)) {
		/* Hand the statement over; build the next in its buffer. */
		t = w->job;
		w->job = r->ins;
		r->ins = t;
		w->have = 1;
		pthread_cond_broadcast(&w->cv);
	}
	r->out->rows_written = w->written;
	r->out->bytes_written = w->bytes;
	pthread_mutex_unlock(&w->mu);
	if (failed)
		return odsi_etl_fail(r, w->er, w->msg);
	report(r, 0);
	if (r->env->stopping != NULL && r->env->stopping(r->env->arg)) {
		r->stop = 1;
		return 1;
	}
	return begin_batch(r);
}

int
odsi_etl_load_cols(void *arg, size_t n, const struct odsi_etl_col *cols)
{
	struct odsi_etl_run	*r = arg;
	size_t		 i;
	char		 msg[256];

	if (n == 0)
		return odsi_etl_fail(
		    r, ODS_EINVAL, "the query returns no columns");
	for (i = 0; i < n; i++)
		if (!ods_etl_ident_ok(cols[i].name, 1)) {
			snprintf(msg, sizeof(msg), "column %zu (\"%.64s\") is "
			    "not a plain name: give it an alias", i + 1,
			    cols[i].name);
			return odsi_etl_fail(r, ODS_EINVAL, msg);
		}
	r->cols = ods_xcalloc(n, sizeof(*r->cols));
	memcpy(r->cols, cols, n * sizeof(*cols));
	r->ncols = n;
	if (create_stage(r) != 0 || begin_batch(r) != 0 ||
	    writer_start(r) != 0)
		return 1;
	odsi_etl_rline(r, "info", "load", "loading %zu columns into %s", n,
	    r->stage_base);
	return 0;
}

int
odsi_etl_load_row(void *arg, size_t n, const char *const *v, const size_t *lens)
{
	struct odsi_etl_run	*r = arg;
	size_t		 i;

	r->out->rows_read++;
	if (ods_buf_add(&r->ins, r->batch_rows > 0 ? ",(" : "(", 
	    r->batch_rows > 0 ? 2 : 1) != ODS_OK)
		return odsi_etl_fail(r, ODS_ENOMEM, "a row is too large");
	for (i = 0; i < n && i < r->ncols; i++) {
		r->out->bytes_read += (int64_t)lens[i];
		if ((i > 0 && ods_buf_add(&r->ins, ",", 1) != ODS_OK) ||
		    odsi_etl_lit(r->dst, &r->ins, v[i], lens[i],
		    r->cols[i].ct.t, r->src_pg) != ODS_OK)
			return odsi_etl_fail(
			    r, ODS_ENOMEM, "a row is too large");
	}
	if (ods_buf_add(&r->ins, ")", 1) != ODS_OK)
		return odsi_etl_fail(r, ODS_ENOMEM, "a row is too large");
	r->batch_rows++;
	/* A slow source fills a batch slowly: look for a stop meanwhile. */
	if ((r->out->rows_read & 255) == 0 && r->env->stopping != NULL &&
	    r->env->stopping(r->env->arg)) {
		r->stop = 1;
		return 1;
	}
	return r->ins.len >= BATCH_BYTES ? flush(r) : 0;
}

/* ---- the swap ---- */

static int
swap(struct odsi_etl_run *r)
{
	char		 sql[4 * QID_MAX + 128], q[QID_MAX];
	const char	*base;

	if (r->inc_key != NULL && r->target_exists) {
		/* Append in one transaction (rows above the watermark). */
		snprintf(sql, sizeof(sql), "INSERT INTO %s SELECT * FROM %s",
		    r->qtarget, r->qstage);
		if (exec(r, r->dst_pg ? "BEGIN" : "START TRANSACTION", NULL) !=
		    ODS_OK || exec(r, sql, NULL) != ODS_OK ||
		    exec(r, "COMMIT", NULL) != ODS_OK)
			return 1;
		snprintf(sql, sizeof(sql), "DROP TABLE IF EXISTS %s",
		    r->qstage);
		(void)exec(r, sql, NULL);
		return 0;
	}
	if (!r->dst_pg) {
		if (r->target_exists)
			snprintf(sql, sizeof(sql), "RENAME TABLE %s TO %s, %s "
			    "TO %s", r->qtarget, r->qold, r->qstage,
			    r->qtarget);
		else
			snprintf(sql, sizeof(sql), "RENAME TABLE %s TO %s",
			    r->qstage, r->qtarget);
		if (exec(r, sql, NULL) != ODS_OK)
			return 1;
		if (r->target_exists) {
			snprintf(sql, sizeof(sql), "DROP TABLE IF EXISTS %s",
			    r->qold);
			(void)exec(r, sql, NULL);
		}
		return 0;
	}
	/* PostgreSQL: DDL is transactional; RENAME TO takes a bare name. */
	base = strrchr(r->t->target_table, '.');
	base = base != NULL ? base + 1 : r->t->target_table;
	if (exec(r, "BEGIN", NULL) != ODS_OK)
		return 1;
	if (r->target_exists) {
		(void)ods_etl_quote_ident(r->old_base, 1, q, sizeof(q));
		snprintf(sql, sizeof(sql), "ALTER TABLE %s RENAME TO %s",
		    r->qtarget, q);
		if (exec(r, sql, NULL) != ODS_OK)
			goto rollback;
	}
	(void)ods_etl_quote_ident(base, 1, q, sizeof(q));
	snprintf(sql, sizeof(sql), "ALTER TABLE %s RENAME TO %s", r->qstage,
	    q);
	if (exec(r, sql, NULL) != ODS_OK)
		goto rollback;
	if (r->target_exists) {
		snprintf(sql, sizeof(sql), "DROP TABLE %s", r->qold);
		if (exec(r, sql, NULL) != ODS_OK)
			goto rollback;
	}
	return exec(r, "COMMIT", NULL) != ODS_OK;
rollback:
	(void)odsi_etl_exec(r->dst, "ROLLBACK", 8, NULL, q, sizeof(q));
	return 1;
}

/* ---- the select ---- */

/*
 * The statement that reads the source: the task's query (through the
 * read gate again), or for table_copy the table, above the target's
 * highest key when incremental.
 */
static char *
select_sql(struct odsi_etl_run *r, struct json_object *cfg)
{
	struct ods_sql_verdict	 v;
	struct ods_buf		 b;
	const char		*tb, *key;
	char			 q[QID_MAX], k[QID_MAX];
	char			 sql[QID_MAX * 2 + 64];
	char			*wm = NULL, msg[512];

	if (r->t->kind == ODS_ETL_SQL_TRANSFORM) {
		if (ods_sql_check(r->t->source_query,
			strlen(r->t->source_query),
			r->src_pg ? ODS_SQL_PG : ODS_SQL_MYSQL, &v) != ODS_OK) {
			odsi_etl_fail(r, ODS_EINVAL, v.why);
			return NULL;
		}
		return ods_xstrndup(r->t->source_query, v.len);
	}
	tb = ods_json_get_str(cfg, "table");
	key = ods_json_get_str(cfg, "incremental_key");
	if (ods_etl_quote_ident(tb, r->src_pg, q, sizeof(q)) != 0 ||
	    (key != NULL && ods_etl_quote_ident(key, r->src_pg, k,
	    sizeof(k)) != 0)) {
		odsi_etl_fail(
		    r, ODS_EINVAL, "bad source table or incremental key");
		return NULL;
	}
	ods_buf_init(&b, 1u << 16);
	odsi_etl_ignore(ods_buf_addf(&b, "SELECT * FROM %s", q));
	if (key != NULL) {
		r->inc_key = ods_xstrdup(key);
		if (r->target_exists) {
			(void)ods_etl_quote_ident(key, r->dst_pg, k, sizeof(k));
			snprintf(sql, sizeof(sql), "SELECT MAX(%s) FROM %s", k,
			    r->qtarget);
			if (odsi_etl_scalar(r->dst, sql, &wm, msg, sizeof(msg))
			    != ODS_OK) {
				odsi_etl_fail(r, ODS_EINVAL, msg);
				ods_buf_free(&b);
				return NULL;
			}
		}
		(void)ods_etl_quote_ident(key, r->src_pg, k, sizeof(k));
		if (wm != NULL) {
			odsi_etl_ignore(ods_buf_addf(&b, " WHERE %s > ", k));
			(void)odsi_etl_lit(r->src, &b, wm, strlen(wm),
			    ODS_ETL_T_TEXT, 0);
			odsi_etl_rline(r, "info", "read",
			    "incremental: rows with %s > "
			    "%s",
			    key, wm);
		}
		odsi_etl_ignore(ods_buf_addf(&b, " ORDER BY %s", k));
		free(wm);
	}
	return ods_buf_take(&b, NULL);
}

/* ---- connections ---- */

int
odsi_etl_connect(
    struct odsi_etl_run *r, const char *id, int rw, struct odsi_ds_conn **c)
{
	struct ods_ds_result	 res;
	struct ods_ds		*d = NULL;
	enum ods_err		 er;
	char			 msg[600];

	er = ods_ds_get(r->env->db, id, NULL, &d);
	if (er == ODS_ENOTFOUND)
		return odsi_etl_fail(r, ODS_ENOTFOUND,
		    "the data source no longer "
		    "exists");
	if (er != ODS_OK)
		return odsi_etl_fail(r, er, "cannot read the data source");
	if (odsi_ds_connect_saved_rw(r->env->ds, d, rw, c, &res) != 0) {
		snprintf(msg, sizeof(msg), "%s: %s", res.error, res.message);
		ods_ds_free(d);
		/* A refused address or credential will not heal by itself. */
		return odsi_etl_fail(r,
		    strcmp(res.error, "connect_failed") == 0 ||
			    strcmp(res.error, "connection_refused") == 0 ||
			    strcmp(res.error, "timeout") == 0
			? ODS_EUNAVAIL
			: ODS_EINVAL,
		    msg);
	}
	ods_ds_free(d);
	return 0;
}

static int
table_exists(struct odsi_etl_run *r)
{
	char		sql[QID_MAX + 48], msg[512];
	enum ods_err	er;

	snprintf(sql, sizeof(sql), "SELECT 1 FROM %s WHERE 1 = 0", r->qtarget);
	er = odsi_etl_exec(r->dst, sql, strlen(sql), NULL, msg, sizeof(msg));
	if (er == ODS_OK)
		r->target_exists = 1;
	else if (er != ODS_ENOTFOUND)
		return odsi_etl_fail(r, er, msg);
	return 0;
}

/* ---- lineage ---- */

/*
 * A table as the lineage graph names it: "db.table" on MySQL, and
 * "db.schema.table" on PostgreSQL (the source's schema, else public).
 */
static void
qualify(char *dst, size_t len, const struct ods_ds *d, const char *tb)
{
	const char	*db = d->database != NULL && *d->database != '\0' ?
	    d->database : (odsi_ds_kind(d->type) == ODSI_DS_PG ? "postgres" :
	    "");
	int		 dots = 0;
	const char	*p;

	for (p = tb; *p != '\0'; p++)
		dots += *p == '.';
	if (odsi_ds_kind(d->type) == ODSI_DS_PG && dots == 0)
		snprintf(dst, len, "%s.%s.%s", db, d->schema != NULL &&
		    *d->schema != '\0' ? d->schema : "public", tb);
	else if ((odsi_ds_kind(d->type) == ODSI_DS_PG && dots == 1) ||
	    (dots == 0 && *db != '\0'))
		snprintf(dst, len, "%s.%s", db, tb);
	else
		snprintf(dst, len, "%s", tb);
}

static void
lineage(struct odsi_etl_run *r, const char *status)
{
	struct ods_lineage_ref	 in[16], out[1];
	struct ods_lineage_col	 cols[64];
	struct ods_lineage_sql	 ps;
	struct ods_lineage_run	 lr;
	struct json_object	*cfg = NULL;
	struct ods_why		 why;
	char			 names[16][200], dbq[200];
	size_t			 i, nin = 0, nc = 0;
	struct ods_ds		*sd = NULL, *td = NULL;

	memset(&ps, 0, sizeof(ps));
	memset(&lr, 0, sizeof(lr));
	if (ods_ds_get(r->env->db, r->t->source_id, NULL, &sd) != ODS_OK ||
	    ods_ds_get(r->env->db, r->t->target_id, NULL, &td) != ODS_OK)
		goto out;
	if (r->t->kind == ODS_ETL_SQL_TRANSFORM) {
		if (ods_lineage_parse_sql(r->t->source_query,
		    strlen(r->t->source_query), &ps) != ODS_OK)
			goto out;
		for (i = 0; i < ps.ntables && nin < 16; i++, nin++)
			qualify(
			    names[nin], sizeof(names[nin]), sd, ps.tables[i]);
	} else {
		if (r->t->source_config != NULL &&
		    ods_json_parse(r->t->source_config,
		    strlen(r->t->source_config), 8, &cfg, &why) == ODS_OK &&
		    ods_json_get_str(cfg, "table") != NULL)
			qualify(names[nin++], sizeof(names[0]), sd,
			    ods_json_get_str(cfg, "table"));
	}
	for (i = 0; i < nin; i++) {
		in[i].ns = sd->source_id;
		in[i].name = names[i];
		in[i].type = "table";
	}
	qualify(dbq, sizeof(dbq), td, r->t->target_table);
	out[0].ns = td->source_id;
	out[0].name = dbq;
	out[0].type = "table";
	for (i = 0; ps.column_level && i < ps.ncols && nc < 64; i++) {
		if (ps.cols[i].src_table == NULL)
			continue;
		cols[nc].src_ns = sd->source_id;
		cols[nc].src_table = names[0];
		/* The table as qualified among the inputs. */
		for (size_t k = 0; k < nin; k++)
			if (strcmp(strrchr(names[k], '.') != NULL ?
			    strrchr(names[k], '.') + 1 : names[k],
			    strrchr(ps.cols[i].src_table, '.') != NULL ?
			    strrchr(ps.cols[i].src_table, '.') + 1 :
			    ps.cols[i].src_table) == 0)
				cols[nc].src_table = names[k];
		cols[nc].src_col = ps.cols[i].src_col;
		cols[nc].dst_col = ps.cols[i].dst;
		cols[nc].expr = ps.cols[i].expr;
		nc++;
	}
	lr.job_name = r->t->task_id;
	lr.run_id = r->exec_id;
	lr.event_type = status;
	lr.transformation = r->t->kind == ODS_ETL_SQL_TRANSFORM ?
	    r->t->source_query : "table_copy";
	lr.inputs = in;
	lr.ninputs = nin;
	lr.outputs = out;
	lr.noutputs = 1;
	lr.cols = cols;
	lr.ncols = nc;
	if (ods_lineage_record(r->env->db, &lr) != ODS_OK)
		ods_log(ODS_LOG_WARN, "etl_lineage_failed task=%s exec=%s",
		    r->t->task_id, r->exec_id);
out:
	ods_lineage_sql_fini(&ps);
	ods_json_put(cfg);
	ods_ds_free(sd);
	ods_ds_free(td);
}

/* ---- the run ---- */

static void
cleanup(struct odsi_etl_run *r)
{
	char	sql[QID_MAX + 32], msg[256];

	(void)writer_end(r, 0);
	if (r->dst == NULL || !r->staged)
		return;
	if (r->in_tx)
		(void)odsi_etl_exec(r->dst, "ROLLBACK", 8, NULL, msg,
		    sizeof(msg));
	snprintf(sql, sizeof(sql), "DROP TABLE IF EXISTS %s", r->qstage);
	(void)odsi_etl_exec(r->dst, sql, strlen(sql), NULL, msg, sizeof(msg));
}

/* Steps of a SQL-reading run; 0 or non-zero with r->er (or r->stop). */
static int
steps(struct odsi_etl_run *r)
{
	struct odsi_etl_reader	 rd = { odsi_etl_load_cols,
				    odsi_etl_load_row, r };
	struct json_object	*cfg = NULL;
	struct ods_why		 why;
	char			*sql = NULL, msg[1024];
	char			 wsql[QID_MAX * 2 + 64];
	char			*wm = NULL, k[QID_MAX];
	int			 stopped = 0, rc = 1;
	enum ods_err		 er;

	if (r->t->kind == ODS_ETL_EXPORT)
		return odsi_etl_export(r);
	if ((r->t->kind != ODS_ETL_FILE_IMPORT &&
	    odsi_etl_connect(r, r->t->source_id, 0, &r->src) != 0) ||
	    odsi_etl_connect(r, r->t->target_id, 1, &r->dst) != 0)
		return 1;
	r->src_pg = r->src != NULL && odsi_etl_is_pg(r->src);
	r->dst_pg = odsi_etl_is_pg(r->dst);
	if (names(r) != 0)
		return 1;
	drop_stale(r);
	if (table_exists(r) != 0)
		return 1;
	odsi_etl_rline(r, "info", "read", "reading the source%s",
	    r->target_exists ? "" : " (the target table will be created)");
	ods_buf_init(&r->ins, BATCH_BYTES * 2 + (64u << 20));
	if (r->t->kind == ODS_ETL_FILE_IMPORT) {
		if (odsi_etl_read_file(r) != 0)
			goto out;
	} else {
		if (r->t->source_config != NULL &&
		    ods_json_parse(r->t->source_config,
		    strlen(r->t->source_config), 8, &cfg, &why) != ODS_OK)
			cfg = NULL;
		if ((sql = select_sql(r, cfg)) == NULL)
			goto out;
		er = odsi_etl_read(r->src, sql, &rd, &stopped, msg,
		    sizeof(msg));
		if (r->stop || r->er != ODS_OK)
			goto out;
		if (er != ODS_OK) {
			odsi_etl_fail(r, er, msg);
			goto out;
		}
	}
	if (r->ncols == 0 && odsi_etl_load_cols(r, 0, NULL) != 0)
		goto out;
	if (flush(r) != 0 || writer_end(r, 1) != 0)
		goto out;
	r->in_tx = 0;
	/*
	 * Every row is staged: say so before the swap, which may wait for
	 * a lock (a load shorter than PROGRESS_MS has only reported its
	 * first batch, before anything was written).
	 */
	report(r, 1);
	if (r->env->stopping != NULL && r->env->stopping(r->env->arg)) {
		r->stop = 1;
		goto out;
	}
	odsi_etl_rline(r, "info", "swap", "%lld rows loaded; %s", (long long)
	    r->out->rows_written, r->inc_key != NULL && r->target_exists ?
	    "appending them to the target" : "swapping the target in");
	if (swap(r) != 0)
		goto out;
	r->staged = 0;
	if (r->inc_key != NULL) {
		(void)ods_etl_quote_ident(r->inc_key, r->dst_pg, k, sizeof(k));
		snprintf(wsql, sizeof(wsql), "SELECT MAX(%s) FROM %s", k,
		    r->qtarget);
		if (odsi_etl_scalar(r->dst, wsql, &wm, msg, sizeof(msg)) ==
		    ODS_OK && wm != NULL) {
			struct ods_db_arg a[2] = { ods_db_text(wm),
			    ods_db_text(r->t->task_id) };

			odsi_etl_ignore(ods_db_exec_once(r->env->db,
			    "UPDATE etl_tasks "
			    "SET watermark = ? WHERE task_id = ?",
			    a, 2, NULL));
		}
		free(wm);
	}
	rc = 0;
out:
	free(sql);
	ods_json_put(cfg);
	return rc;
}

/* Mark the execution running; 0 when it was stopped meanwhile. */
static int
claim_exec(struct odsi_etl_run *r)
{
	struct ods_db_arg	a[3];
	uint64_t		n = 0;

	a[0] = ods_db_int(r->env->attempt);
	a[1] = ods_db_int(r->env->job_id);
	a[2] = ods_db_text(r->exec_id);
	if (ods_db_exec_once(r->env->db, "UPDATE etl_task_logs SET status = "
	    "'running', started_at = COALESCE(started_at, NOW(3)), attempt = "
	    "?, job_id = ?, rows_read = 0, rows_written = 0, rows_rejected = "
	    "0, bytes_read = 0, bytes_written = 0, error_message = NULL, "
	    "updated_at = NOW(3) WHERE log_id = ? AND status IN ('pending', "
	    "'running')", a, 3, &n) != ODS_OK)
		return -1;
	if (n > 0) {
		a[0] = ods_db_text(r->t->task_id);
		odsi_etl_ignore(ods_db_exec_once(r->env->db,
		    "UPDATE etl_tasks SET "
		    "status = 'running' WHERE task_id = ?",
		    a, 1, NULL));
	}
	return n > 0;
}

static void
finish_exec(struct odsi_etl_run *r)
{
	struct ods_db_arg	a[12];
	const char		*st = r->out->status;
	int			ok = strcmp(st, "success") == 0;
	enum ods_err		er;

	a[0] = ods_db_text(st);
	a[1] = ods_db_double(r->out->seconds);
	a[2] = ods_db_int(r->out->rows_read);
	a[3] = ods_db_int(r->out->rows_written);
	a[4] = ods_db_int(r->out->rows_rejected);
	a[5] = ods_db_int(r->out->bytes_read);
	a[6] = ods_db_int(r->out->bytes_written);
	a[7] = ods_db_text(*r->out->error ? r->out->error : NULL);
	a[8] = r->nrejects > 0 && ods_buf_add(&r->rejects, "]", 1) == ODS_OK ?
	    ods_db_text(r->rejects.data) : ods_db_null();
	a[9] = ods_db_text(r->exec_id);
	er = ods_db_exec_once(r->env->db, "UPDATE etl_task_logs "
	    "SET status = ?, finished_at = NOW(3), duration_seconds = ?, "
	    "rows_read = ?, rows_written = ?, rows_rejected = ?, bytes_read = "
	    "?, bytes_written = ?, error_message = ?, reject_sample = ?, "
	    "progress = 100, updated_at = NOW(3) WHERE log_id = ? AND status = "
	    "'running'", a, 10, NULL);
	if (er != ODS_OK)
		ods_log(ODS_LOG_WARN, "etl_finish_failed exec=%s err=%s",
		    r->exec_id, ods_err_slug(er));
	a[0] = ods_db_text(st);
	a[1] = ods_db_text(st);
	a[2] = ods_db_int(ok);
	a[3] = ods_db_int(!ok);
	a[4] = ods_db_text(r->t->task_id);
	odsi_etl_ignore(ods_db_exec_once(r->env->db,
	    "UPDATE etl_tasks SET status = ?, "
	    "last_run_status = ?, last_run_at = NOW(3), total_runs = "
	    "total_runs + 1, success_runs = success_runs + ?, failed_runs = "
	    "failed_runs + ? WHERE task_id = ?",
	    a, 5, NULL));
}

/* Back to pending for the retry (shutdown or a transient failure). */
static void
release_exec(struct odsi_etl_run *r, const char *why)
{
	struct ods_db_arg	a[2];

	a[0] = ods_db_text(why);
	a[1] = ods_db_text(r->exec_id);
	odsi_etl_ignore(ods_db_exec_once(r->env->db,
	    "UPDATE etl_task_logs SET status = "
	    "'pending', error_message = ?, updated_at = NOW(3) WHERE log_id = "
	    "? AND status = 'running'",
	    a, 2, NULL));
}

enum ods_err
ods_etl_run(const struct ods_etl_env *env, const char *task_id,
    const char *exec_id, struct ods_etl_outcome *out)
{
	struct ods_etl_task	*t = NULL;
	struct odsi_etl_run		 r;
	enum ods_err		 er;
	int64_t			 t0 = ods_now_ms();
	int			 c, rc;

	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	ods_buf_init(&r.rejects, 64u << 10);
	if ((er = ods_etl_get(env->db, task_id, NULL, &t)) == ODS_ENOTFOUND) {
		snprintf(out->status, sizeof(out->status), "failed");
		snprintf(out->error, sizeof(out->error), "the task no longer "
		    "exists");
		return ODS_OK;
	}
	if (er != ODS_OK)
		return er;
	r.env = env;
	r.t = t;
	r.exec_id = exec_id;
	r.out = out;
	if ((c = claim_exec(&r)) <= 0) {
		ods_etl_free(t);
		ods_buf_free(&r.rejects);
		if (c < 0)
			return ODS_EUNAVAIL;
		snprintf(out->status, sizeof(out->status), "stopped");
		return ODS_OK;
	}
	odsi_etl_rline(&r, "info", "start", "%s run, attempt %d",
	    ods_etl_kind_name(t->kind), env->attempt);
	rc = steps(&r);
	cleanup(&r);
	odsi_ds_close(r.src);
	odsi_ds_close(r.dst);
	ods_buf_free(&r.ins);
	free(r.cols);
	free(r.inc_key);
	out->seconds = (double)(ods_now_ms() - t0) / 1000.0;
	if (rc != 0 && (r.stop || (env->stopping != NULL &&
	    env->stopping(env->arg)))) {
		odsi_etl_rline(&r, "warn", "stop",
		    "stopped after %lld rows; the target "
		    "is unchanged",
		    (long long)out->rows_written);
		release_exec(&r, "interrupted");
		snprintf(out->status, sizeof(out->status), "stopped");
		ods_etl_free(t);
		ods_buf_free(&r.rejects);
		return ODS_ETIMEOUT;
	}
	if (rc != 0 && (r.er == ODS_EUNAVAIL || r.er == ODS_ETIMEOUT) &&
	    env->attempt < 3) {
		odsi_etl_rline(
		    &r, "warn", "retry", "%s (will retry)", out->error);
		release_exec(&r, out->error);
		ods_etl_free(t);
		ods_buf_free(&r.rejects);
		return ODS_EUNAVAIL;
	}
	snprintf(out->status, sizeof(out->status), "%s", rc == 0 ?
	    "success" : "failed");
	if (rc == 0)
		odsi_etl_rline(&r, "info", "done",
		    "%lld rows read, %lld written, %lld "
		    "rejected in %.3f s",
		    (long long)out->rows_read, (long long)out->rows_written,
		    (long long)out->rows_rejected, out->seconds);
	else
		odsi_etl_rline(&r, "error", "failed", "%s", out->error);
	finish_exec(&r);
	if (rc == 0 && t->kind != ODS_ETL_FILE_IMPORT &&
	    t->kind != ODS_ETL_EXPORT)
		lineage(&r, "COMPLETE");
	ods_etl_free(t);
	ods_buf_free(&r.rejects);
	return ODS_OK;
}
