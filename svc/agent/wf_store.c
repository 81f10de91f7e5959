/*
 * svc/agent/wf_store.c — a workflow run's rows and events (wf_run.h):
 * the execution row read and marked running, the outcomes recorded by
 * earlier attempts, execution_logs and workflow_node_runs written in
 * batches (INSERT IGNORE: the first outcome recorded wins), the run's
 * end written conditionally, and its events XADDed to Redis.
 *
 * A node whose outcome was not flushed before a crash simply runs again
 * when the job is resumed (the lease expires, another worker claims it):
 * nodes are expected to be safe to repeat, as a retried job is. Rows of
 * one flush go in one statement per table, in the order the nodes
 * ended, so a node is never recorded without its predecessors.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/ods_json.h"
#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "core/ods_time.h"
#include "store/ods_db.h"
#include "store/ods_redis.h"
#include "wf.h"
#include "workflow.h"
#include "wf_node.h"
#include "wf_run.h"

static const char *const nst_names[] = { "pending", "pending", "running",
    "success", "error", "skipped" };

/* ---- events and rows ---- */

/* UTC "YYYY-MM-DD hh:mm:ss.mmm" (the sessions' time zone is UTC). */
void
odsi_wf_now_text(char *s, size_t n)
{
	struct timespec	ts;
	struct tm	tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(s, n, "%04d-%02d-%02d %02d:%02d:%02d.%03d",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(ts.tv_nsec / 1000000) % 1000);
}

void
odsi_wf_event(struct wf_run *r, const char *json, size_t len)
{
	const char		*argv[8];
	size_t			 lens[8];
	struct ods_redis_reply	*rep = NULL;
	enum ods_err		 er;

	if (r->env->redis == NULL)
		return;
	argv[0] = "XADD"; argv[1] = r->evkey; argv[2] = "MAXLEN";
	argv[3] = "~"; argv[4] = "10000"; argv[5] = "*"; argv[6] = "e";
	argv[7] = json;
	for (int i = 0; i < 7; i++)
		lens[i] = strlen(argv[i]);
	lens[7] = len;
	/* Best effort: the client's circuit makes an outage cost nothing. */
	er = ods_redis_command(r->env->redis, 8, argv, lens, &rep);
	ods_redis_reply_free(rep);
	(void)er;
}

void
odsi_wf_ev_status(struct wf_run *r, const char *type, const char *status,
    const char *error, int64_t dur)
{
	struct ods_buf	b;
	struct ods_jw	jw;

	ods_buf_init(&b, 4096);
	ods_jw_init(&jw, &b);
	ods_jw_obj(&jw);
	ods_jw_kstr(&jw, "type", type);
	ods_jw_kstr(&jw, "status", status);
	if (error != NULL && *error != '\0')
		ods_jw_kstr(&jw, "error", error);
	if (dur >= 0)
		ods_jw_kint(&jw, "duration_ms", dur);
	ods_jw_end(&jw);
	if (ods_jw_error(&jw) == ODS_OK)
		odsi_wf_event(r, b.data, b.len);
	ods_buf_free(&b);
}

void
odsi_wf_ev_node(struct wf_run *r, const char *type, size_t i,
    const char *status, const char *error, int attempt, int64_t dur,
    int64_t bytes)
{
	struct ods_buf	b;
	struct ods_jw	jw;

	ods_buf_init(&b, 4096);
	ods_jw_init(&jw, &b);
	ods_jw_obj(&jw);
	ods_jw_kstr(&jw, "type", type);
	ods_jw_kstr(&jw, "node_id", r->def->nodes[i].id);
	if (strcmp(type, "node_start") == 0)
		ods_jw_kstr(&jw, "node_type",
		    ods_wf_type_name(r->def->nodes[i].type));
	if (status != NULL)
		ods_jw_kstr(&jw, "status", status);
	if (error != NULL)
		ods_jw_kstr(&jw, "error", error);
	if (attempt > 0)
		ods_jw_kint(&jw, "attempt", attempt);
	if (dur >= 0)
		ods_jw_kint(&jw, "duration_ms", dur);
	if (bytes >= 0)
		ods_jw_kint(&jw, "output_bytes", bytes);
	ods_jw_end(&jw);
	if (ods_jw_error(&jw) == ODS_OK)
		odsi_wf_event(r, b.data, b.len);
	ods_buf_free(&b);
}

void
odsi_wf_log_row(struct wf_run *r, long node, const char *level,
    const char *event, int attempt, int64_t dur, int64_t bytes,
    const char *fmt, ...)
{
	struct logrow	*l;
	char		 m[1024];
	va_list		 ap;

	if (r->nlogs == r->caplogs) {
		r->caplogs = r->caplogs ? r->caplogs * 2 : 256;
		r->logs = ods_xrealloc(r->logs, r->caplogs * sizeof(*r->logs));
	}
	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	l = &r->logs[r->nlogs++];
	l->node = node;
	l->level = level;
	l->msg = ods_xstrdup(m);
	l->event = event;
	l->attempt = attempt;
	l->dur = dur;
	l->bytes = bytes;
}

static enum ods_err
write_logs(struct ods_db_conn *c, struct wf_run *r, const struct logrow *l,
    size_t n, struct ods_db_arg *a)
{
	size_t	i, k;

	for (i = 0, k = 0; i < n; i++) {
		a[k++] = ods_db_text(r->exec);
		a[k++] = l[i].node < 0 ? ods_db_null() :
		    ods_db_text(r->def->nodes[l[i].node].id);
		a[k++] = ods_db_text(l[i].level);
		a[k++] = ods_db_text(l[i].msg);
		a[k++] = ods_db_text(l[i].event);
		a[k++] = l[i].attempt > 0 ? ods_db_int(l[i].attempt) :
		    ods_db_null();
		a[k++] = l[i].dur >= 0 ? ods_db_int(l[i].dur) : ods_db_null();
		a[k++] = l[i].bytes >= 0 ? ods_db_int(l[i].bytes) :
		    ods_db_null();
	}
	return ods_db_insert_rows(c, "INSERT INTO execution_logs "
	    "(execution_id, node_id, level, message, event, attempt, "
	    "duration_ms, output_bytes)", 8, a, n, NULL);
}

/*
 * The outcomes, INSERT IGNORE: the first recorded wins (a zombie worker
 * whose lease was taken over cannot record a node twice). A node's state
 * is stable once it ended: read without the lock.
 */
static enum ods_err
write_outcomes(struct ods_db_conn *c, struct wf_run *r, const size_t *nr,
    size_t n, struct ods_db_arg *a)
{
	const struct nstate	*s;
	size_t			 i, k;

	for (i = 0, k = 0; i < n; i++) {
		s = &r->ns[nr[i]];
		a[k++] = ods_db_text(r->exec);
		a[k++] = ods_db_text(r->def->nodes[nr[i]].id);
		a[k++] = ods_db_text(ods_wf_type_name(
		    r->def->nodes[nr[i]].type));
		a[k++] = ods_db_text(nst_names[s->st]);
		a[k++] = ods_db_int(s->attempts);
		a[k++] = s->st == N_DONE ? ods_db_textn(s->output, s->outlen) :
		    ods_db_null();
		a[k++] = ods_db_text(s->error);
		a[k++] = s->started[0] ? ods_db_text(s->started) :
		    ods_db_null();
		a[k++] = ods_db_text(s->completed);
		a[k++] = ods_db_int(s->duration_ms);
		a[k++] = ods_db_int(s->st == N_DONE ? (int64_t)s->outlen : 0);
	}
	return ods_db_insert_rows(c, "INSERT IGNORE INTO workflow_node_runs "
	    "(execution_id, node_id, node_type, status, attempts, output, "
	    "error, started_at, completed_at, duration_ms, output_bytes)", 11,
	    a, n, NULL);
}

static enum ods_err
write_progress(struct ods_db_conn *c, struct wf_run *r)
{
	struct ods_db_arg	a[2];

	a[0] = ods_db_int((int64_t)(r->ended * 100 /
	    (r->def->nnodes ? r->def->nnodes : 1)));
	a[1] = ods_db_text(r->exec);
	return ods_db_exec(c, "UPDATE workflow_executions SET progress = ?, "
	    "updated_at = NOW(3) WHERE execution_id = ? AND status IN "
	    "('pending', 'running')", a, 2, NULL);
}

/*
 * Write what is buffered: execution_logs rows, then the outcomes (and the
 * run's progress). The rows are taken under the lock and written outside
 * it, so the pool keeps running meanwhile. A failed write is logged and
 * dropped: the outcomes' nodes run again if the run is resumed.
 */
void
odsi_wf_flush(struct wf_run *r)
{
	struct logrow		*logs;
	struct ods_db_arg	*a = NULL;
	struct ods_db_conn	*c = NULL;
	size_t			*nr, nl, nn, i;
	enum ods_err		 er;

	pthread_mutex_lock(&r->mu);
	logs = r->logs;
	nl = r->nlogs;
	nr = r->nrows;
	nn = r->nnrows;
	r->logs = NULL;
	r->nlogs = r->caplogs = 0;
	r->nrows = ods_xcalloc(r->def->nnodes + 1, sizeof(size_t));
	r->nnrows = 0;
	pthread_mutex_unlock(&r->mu);
	r->last_flush = ods_now_ms();
	if (nl == 0 && nn == 0)
		goto out;
	a = ods_xcalloc((nl > nn ? nl : nn) * 11 + 1, sizeof(*a));
	if ((er = ods_db_acquire(r->env->db, &c)) != ODS_OK ||
	    (er = write_logs(c, r, logs, nl, a)) != ODS_OK ||
	    (er = write_outcomes(c, r, nr, nn, a)) != ODS_OK ||
	    (er = write_progress(c, r)) != ODS_OK)
		ods_log(ODS_LOG_WARN, "wf_flush exec=%s logs=%zu outcomes=%zu "
		    "error=%s", r->exec, nl, nn, ods_err_slug(er));
out:
	ods_db_release(c);
	for (i = 0; i < nl; i++)
		free(logs[i].msg);
	free(logs);
	free(nr);
	free(a);
}

/* The error object a failed node's dependents see. */
char *
odsi_wf_error_output(const char *error, size_t *len)
{
	struct ods_buf	b;
	struct ods_jw	jw;

	ods_buf_init(&b, 8192);
	ods_jw_init(&jw, &b);
	ods_jw_obj(&jw);
	ods_jw_kstr(&jw, "status", "error");
	ods_jw_kstr(&jw, "error", error);
	ods_jw_end(&jw);
	return ods_buf_take(&b, len);
}

/* ---- loading and ending ---- */

void
odsi_wf_row_fini(struct wf_row *w)
{
	free(w->workflow_id);
	free(w->status);
	free(w->definition);
	free(w->inputs);
	free(w->created_by);
}

static char *
dup_cell(struct ods_db_res *res, size_t col)
{
	const char	*s = ods_db_res_text(res, 0, col, NULL);

	return s != NULL ? ods_xstrdup(s) : NULL;
}

enum ods_err
odsi_wf_load_row(struct ods_db *db, const char *exec, struct wf_row *w)
{
	struct ods_db_arg	 a = ods_db_text(exec);
	struct ods_db_res	*res = NULL;
	enum ods_err		 er;

	memset(w, 0, sizeof(*w));
	er = ods_db_query_once(db, "SELECT workflow_id, status, definition, "
	    "inputs, created_by, COALESCE(timeout_s, 0), "
	    "COALESCE(TIMESTAMPDIFF(MICROSECOND, started_at, NOW(3)) DIV "
	    "1000, 0) FROM workflow_executions WHERE execution_id = ?", &a, 1,
	    1, &res);
	if (er != ODS_OK)
		return er;
	if (ods_db_res_nrows(res) == 0) {
		ods_db_res_free(res);
		return ODS_ENOTFOUND;
	}
	w->workflow_id = dup_cell(res, 0);
	w->status = dup_cell(res, 1);
	w->definition = dup_cell(res, 2);
	w->inputs = dup_cell(res, 3);
	w->created_by = dup_cell(res, 4);
	if (ods_db_res_int(res, 0, 5, &w->timeout_s) != ODS_OK)
		w->timeout_s = 0;
	if (ods_db_res_int(res, 0, 6, &w->elapsed_ms) != ODS_OK)
		w->elapsed_ms = 0;
	ods_db_res_free(res);
	return ODS_OK;
}

/* running, attempt; 0 rows matched: no longer ours (stopped). */
enum ods_err
odsi_wf_mark_running(struct wf_run *r, int *ours)
{
	struct ods_db_arg	a[2];
	uint64_t		n = 0;
	enum ods_err		er;

	a[0] = ods_db_int(r->env->attempt > 0 ? r->env->attempt : 1);
	a[1] = ods_db_text(r->exec);
	er = ods_db_exec_once(r->env->db, "UPDATE workflow_executions SET "
	    "status = 'running', started_at = COALESCE(started_at, NOW(3)), "
	    "attempt = ?, updated_at = NOW(3) WHERE execution_id = ? AND "
	    "status IN ('pending', 'running')", a, 2, &n);
	*ours = n > 0;
	if (*ours)
		ods_wf_status_sync(r->env->db, r->exec);
	return er;
}

/* The outcomes recorded by earlier attempts: those nodes have ended. */
enum ods_err
odsi_wf_load_recorded(struct wf_run *r)
{
	struct ods_db_arg	 a = ods_db_text(r->exec);
	struct ods_db_res	*res = NULL;
	struct nstate		*s;
	const char		*id, *st, *out, *err;
	size_t			 i, len = 0;
	long			 k;
	enum ods_err		 er;

	er = ods_db_query_once(r->env->db, "SELECT node_id, status, output, "
	    "error, attempts, duration_ms FROM workflow_node_runs WHERE "
	    "execution_id = ?", &a, 1, ODS_WF_MAX_NODES, &res);
	if (er != ODS_OK)
		return er;
	for (i = 0; i < ods_db_res_nrows(res); i++) {
		id = ods_db_res_text(res, i, 0, NULL);
		st = ods_db_res_text(res, i, 1, NULL);
		out = ods_db_res_text(res, i, 2, &len);
		err = ods_db_res_text(res, i, 3, NULL);
		if (id == NULL || st == NULL ||
		    (k = ods_wf_def_find(r->def, id, strlen(id))) < 0)
			continue;
		s = &r->ns[k];
		s->recorded = 1;
		if (strcmp(st, "success") == 0 && out != NULL) {
			s->st = N_DONE;
			s->output = ods_xstrndup(out, len);
			s->outlen = len;
		} else if (strcmp(st, "skipped") == 0)
			s->st = N_SKIPPED;
		else {
			s->st = N_ERROR;
			s->error = ods_xstrdup(err != NULL ? err : "error");
			s->output = odsi_wf_error_output(s->error, &s->outlen);
		}
	}
	ods_db_res_free(res);
	return ODS_OK;
}

/* A condition's or switch's choice, from its recorded output. */
void
odsi_wf_recorded_choice(struct wf_run *r, size_t i)
{
	struct json_object	*o = NULL;
	struct nstate		*s = &r->ns[i];
	const char		*b;

	s->cond = -1;
	if (s->st != N_DONE || ods_json_parse(s->output, s->outlen, 0, &o,
	    NULL) != ODS_OK)
		return;
	if (r->def->nodes[i].type == ODS_WF_CONDITION)
		s->cond = strcmp(ods_json_text(ods_json_get(o, "result")),
		    "true") == 0;
	else if (r->def->nodes[i].type == ODS_WF_SWITCH &&
	    (b = ods_json_get_str(o, "branch")) != NULL)
		s->branch = ods_xstrdup(b);
	ods_json_put(o);
}

/* outputs: {output node id: its output}; node_results by node. */
static void
results_json(struct wf_run *r, struct ods_buf *outs, struct ods_buf *nres)
{
	struct ods_jw	jw;
	struct nstate	*s;
	size_t		i;

	ods_jw_init(&jw, outs);
	ods_jw_obj(&jw);
	for (i = 0; i < r->def->nnodes; i++)
		if (r->def->nodes[i].type == ODS_WF_OUTPUT &&
		    r->ns[i].st == N_DONE) {
			ods_jw_key(&jw, r->def->nodes[i].id);
			ods_jw_raw(&jw, r->ns[i].output, r->ns[i].outlen);
		}
	ods_jw_end(&jw);
	ods_jw_init(&jw, nres);
	ods_jw_obj(&jw);
	for (i = 0; i < r->def->nnodes; i++) {
		s = &r->ns[i];
		ods_jw_key(&jw, r->def->nodes[i].id);
		ods_jw_obj(&jw);
		ods_jw_kstr(&jw, "status", s->aborted ? "stopped" :
		    nst_names[s->st]);
		if (s->st == N_DONE) {
			ods_jw_key(&jw, "result");
			ods_jw_raw(&jw, s->output, s->outlen);
		} else if (s->st == N_ERROR)
			ods_jw_kstr(&jw, "error", s->error);
		ods_jw_end(&jw);
	}
	ods_jw_end(&jw);
	if (ods_jw_error(&jw) != ODS_OK) {
		/* Too big with the results: the statuses alone. */
		ods_buf_reset(nres);
		ods_jw_init(&jw, nres);
		ods_jw_obj(&jw);
		for (i = 0; i < r->def->nnodes; i++) {
			ods_jw_key(&jw, r->def->nodes[i].id);
			ods_jw_obj(&jw);
			ods_jw_kstr(&jw, "status", nst_names[r->ns[i].st]);
			ods_jw_end(&jw);
		}
		ods_jw_end(&jw);
	}
}

/* The run's end, conditional on it still being ours. */
void
odsi_wf_finish(struct wf_run *r, struct ods_wf_outcome *o)
{
	struct ods_db_arg	 a[5];
	struct ods_buf		 outs, nres;
	struct ods_db_res	*res = NULL;
	uint64_t		 n = 0;
	int64_t			 d = -1;
	enum ods_err		 er;

	ods_buf_init(&outs, (size_t)8 << 20);
	ods_buf_init(&nres, (size_t)12 << 20);
	pthread_mutex_lock(&r->mu);
	odsi_wf_log_row(r, -1, strcmp(o->status, "completed") == 0 ? "info" :
	    "error", "end", 0, -1, -1, "run %s%s%s", o->status,
	    o->error[0] ? ": " : "", o->error);
	pthread_mutex_unlock(&r->mu);
	odsi_wf_flush(r);
	pthread_mutex_lock(&r->mu);
	results_json(r, &outs, &nres);
	pthread_mutex_unlock(&r->mu);
	a[0] = ods_db_text(o->status);
	a[1] = ods_db_textn(outs.data, outs.len);
	a[2] = ods_db_textn(nres.data, nres.len);
	a[3] = o->error[0] ? ods_db_text(o->error) : ods_db_null();
	a[4] = ods_db_text(r->exec);
	er = ods_db_exec_once(r->env->db, "UPDATE workflow_executions SET "
	    "status = ?, outputs = ?, node_results = ?, error = ?, "
	    "completed_at = NOW(3), duration_ms = TIMESTAMPDIFF(MICROSECOND, "
	    "COALESCE(started_at, created_at), NOW(3)) DIV 1000, progress = "
	    "100, updated_at = NOW(3) WHERE execution_id = ? AND status IN "
	    "('pending', 'running')", a, 5, &n);
	if (er != ODS_OK)
		ods_log(ODS_LOG_ERR, "wf_finish exec=%s error=%s", r->exec,
		    ods_err_slug(er));
	o->written = er == ODS_OK && n > 0;
	ods_wf_status_sync(r->env->db, r->exec);
	if (ods_db_query_once(r->env->db, "SELECT status, COALESCE("
	    "duration_ms, 0) FROM workflow_executions WHERE execution_id = ?",
	    &a[4], 1, 1, &res) == ODS_OK && ods_db_res_nrows(res) == 1) {
		if (!o->written && ods_db_res_text(res, 0, 0, NULL) != NULL)
			snprintf(o->status, sizeof(o->status), "%s",
			    ods_db_res_text(res, 0, 0, NULL));
		if (ods_db_res_int(res, 0, 1, &d) == ODS_OK)
			o->duration_ms = d;
	}
	ods_db_res_free(res);
	odsi_wf_ev_status(r, "status", o->status, NULL, -1);
	odsi_wf_ev_status(r, "end", o->status, o->error, o->duration_ms);
	if (r->env->redis != NULL) {
		const char		*argv[3] = { "EXPIRE", NULL, "86400" };
		struct ods_redis_reply	*rep = NULL;

		argv[1] = r->evkey;

		if (ods_redis_command(r->env->redis, 3, argv, NULL, &rep) ==
		    ODS_OK || rep != NULL)
			ods_redis_reply_free(rep);
	}
	ods_buf_free(&outs);
	ods_buf_free(&nres);
}

/* A definition that cannot run: no graph to record, the row alone. */
enum ods_err
odsi_wf_fail_row(struct ods_db *db, const char *exec,
    struct ods_wf_outcome *o)
{
	struct ods_db_arg	a[2];
	uint64_t		n = 0;
	enum ods_err		er;

	a[0] = ods_db_text(o->error);
	a[1] = ods_db_text(exec);
	er = ods_db_exec_once(db, "UPDATE workflow_executions SET status = "
	    "'failed', error = ?, completed_at = NOW(3), updated_at = NOW(3) "
	    "WHERE execution_id = ? AND status IN ('pending', 'running')", a,
	    2, &n);
	o->written = er == ODS_OK && n > 0;
	ods_wf_status_sync(db, exec);
	return er;
}
