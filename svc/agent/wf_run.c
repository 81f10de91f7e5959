/*
 * svc/agent/wf_run.c — a workflow run (wf.h): the DAG scheduled on a
 * bounded pool of threads, each node's outcome recorded in batches, the
 * run's end written conditionally, events to a Redis stream.
 *
 * The scheduler (the job's thread) owns the graph: it decides which
 * nodes are ready, skipped or failed, and writes the rows. The pool's
 * threads only run nodes and hand their outcome back under the run's
 * lock. A node is ready when every predecessor has ended; it runs when
 * at least one of its incoming edges is taken (an edge from a skipped
 * node, or a condition/switch edge not chosen, is not), else it is
 * skipped too.
 *
 * Persistence. Outcomes (workflow_node_runs, INSERT IGNORE: the first
 * outcome recorded wins) and events (execution_logs) are buffered and
 * written by the scheduler in multi-row INSERTs every ODS_WF_FLUSH_MS or
 * ODS_WF_FLUSH_ROWS rows, and always before the run's end is written.
 * A node whose outcome was not flushed before a crash simply runs again
 * when the job is resumed (the lease expires, another worker claims it):
 * nodes are expected to be safe to repeat, as a retried job is. Rows of
 * one flush go in one statement per table, in the order the nodes
 * ended, so a node is never recorded without its predecessors.
 */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/ods_conf.h"
#include "core/ods_json.h"
#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "core/ods_time.h"
#include "store/ods_db.h"
#include "store/ods_redis.h"
#include "tool.h"
#include "wf.h"
#include "wf_node.h"

enum nst { N_WAIT = 0, N_QUEUED, N_RUNNING, N_DONE, N_ERROR, N_SKIPPED };

static const char *const nst_names[] = { "pending", "pending", "running",
    "success", "error", "skipped" };

struct nstate {
	enum nst	 st;
	char		*output;	/* JSON object text (done, error) */
	size_t		 outlen;
	char		*error;
	int		 attempts;
	int64_t		 duration_ms;
	int		 cond;		/* a condition's result, -1 none */
	char		*branch;	/* a switch's */
	int		 recorded;	/* read from workflow_node_runs */
	int		 aborted;	/* stopped mid-way: not recorded */
	size_t		 waiting;	/* predecessors not ended */
	char		 started[64], completed[64];
};

struct logrow {
	long		 node;		/* -1: the run's own */
	const char	*level;
	char		*msg;
	const char	*event;
	int		 attempt;
	int64_t		 dur;		/* -1: NULL */
	int64_t		 bytes;		/* -1: NULL */
};

struct wf_run {
	const struct ods_wf_env	*env;
	struct ods_wf_def	*def;
	char			 exec[65];
	char			 owner[129];
	char			*inputs;
	struct nstate		*ns;
	pthread_mutex_t		 mu;
	pthread_cond_t		 work, done;
	size_t			*queue, qh, qt;		/* ring of nnodes */
	size_t			*fin, nfin;		/* ended, to handle */
	size_t			 running;
	int			 quit;
	volatile int		 stop;
	pthread_t		*th;
	int			 nth;
	struct logrow		*logs;
	size_t			 nlogs, caplogs;
	size_t			*nrows, nnrows;		/* outcomes to write */
	char			 evkey[96];
	int64_t			 last_flush;
	size_t			 ended;			/* nodes ended */
};

/* ---- events and rows ---- */

/* UTC "YYYY-MM-DD hh:mm:ss.mmm" (the sessions' time zone is UTC). */
static void
now_text(char *s, size_t n)
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

static void
event_status(struct wf_run *r, const char *type, const char *status,
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

static void
event_node(struct wf_run *r, const char *type, size_t i, const char *status,
    const char *error, int attempt, int64_t dur, int64_t bytes)
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

/* Queue a row of execution_logs; the caller holds the lock. */
static void
log_row(struct wf_run *r, long node, const char *level, const char *event,
    int attempt, int64_t dur, int64_t bytes, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));

static void
log_row(struct wf_run *r, long node, const char *level, const char *event,
    int attempt, int64_t dur, int64_t bytes, const char *fmt, ...)
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

/*
 * Write what is buffered: execution_logs rows, then the outcomes (and the
 * run's progress). The rows are taken under the lock and written outside
 * it, so the pool keeps running meanwhile. A failed write is logged and
 * dropped: the outcomes' nodes run again if the run is resumed.
 */
static void
flush(struct wf_run *r)
{
	struct logrow		*logs;
	struct ods_db_arg	*a = NULL;
	struct ods_db_conn	*c = NULL;
	size_t			*nr, nl, nn, i, k;
	struct nstate		*s;
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
	if ((er = ods_db_acquire(r->env->db, &c)) != ODS_OK)
		goto fail;
	a = ods_xcalloc((nl > nn ? nl : nn) * 11 + 1, sizeof(*a));
	for (i = 0, k = 0; i < nl; i++) {
		a[k++] = ods_db_text(r->exec);
		a[k++] = logs[i].node < 0 ? ods_db_null() :
		    ods_db_text(r->def->nodes[logs[i].node].id);
		a[k++] = ods_db_text(logs[i].level);
		a[k++] = ods_db_text(logs[i].msg);
		a[k++] = ods_db_text(logs[i].event);
		a[k++] = logs[i].attempt > 0 ? ods_db_int(logs[i].attempt) :
		    ods_db_null();
		a[k++] = logs[i].dur >= 0 ? ods_db_int(logs[i].dur) :
		    ods_db_null();
		a[k++] = logs[i].bytes >= 0 ? ods_db_int(logs[i].bytes) :
		    ods_db_null();
	}
	er = ods_db_insert_rows(c, "INSERT INTO execution_logs (execution_id, "
	    "node_id, level, message, event, attempt, duration_ms, "
	    "output_bytes)", 8, a, nl, NULL);
	if (er != ODS_OK)
		goto fail;
	/* The nodes' state is stable once ended: read without the lock. */
	for (i = 0, k = 0; i < nn; i++) {
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
	er = ods_db_insert_rows(c, "INSERT IGNORE INTO workflow_node_runs "
	    "(execution_id, node_id, node_type, status, attempts, output, "
	    "error, started_at, completed_at, duration_ms, output_bytes)", 11,
	    a, nn, NULL);
	if (er != ODS_OK)
		goto fail;
	{
		struct ods_db_arg	pa[2];

		pa[0] = ods_db_int((int64_t)(r->ended * 100 /
		    (r->def->nnodes ? r->def->nnodes : 1)));
		pa[1] = ods_db_text(r->exec);
		er = ods_db_exec(c, "UPDATE workflow_executions SET progress = "
		    "?, updated_at = NOW(3) WHERE execution_id = ? AND status "
		    "IN ('pending', 'running')", pa, 2, NULL);
	}
	if (er == ODS_OK)
		goto out;
fail:
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

/* ---- the pool ---- */

static void
sleep_stoppable(struct wf_task *t, int ms)
{
	int64_t	end = ods_now_ms() + ms, left;

	while (!t->run->stop && (left = end - ods_now_ms()) > 0)
		ods_sleep_ms(left > 20 ? 20 : (long)left);
}

static void
task_fini(struct wf_task *t)
{
	size_t	i;

	for (i = 0; i < t->nvals; i++)
		ods_json_put(t->vals[i].v);
	t->nvals = 0;
	ods_json_put(t->item);
	ods_json_put(t->index);
	t->item = t->index = NULL;
}

/*
 * The scope's names: a loop's item and index, "inputs", a node that has
 * ended (its output, or {"error": ...}). Parsed once per task.
 */
static struct json_object *
lookup(void *arg, const char *name, size_t len)
{
	struct wf_task		*t = arg;
	struct wf_run		*r = t->run;
	struct json_object	*v = NULL;
	struct ods_why		 why;
	const char		*text = NULL;
	size_t			 i, tl = 0;
	long			 k;

	if (t->item != NULL && len == 4 && memcmp(name, "item", 4) == 0)
		return t->item;
	if (t->index != NULL && len == 5 && memcmp(name, "index", 5) == 0)
		return t->index;
	if (len > ODS_WF_ID_MAX)
		return NULL;
	for (i = 0; i < t->nvals; i++)
		if (strncmp(t->vals[i].name, name, len) == 0 &&
		    t->vals[i].name[len] == '\0')
			return t->vals[i].v;
	if (len == 6 && memcmp(name, "inputs", 6) == 0) {
		text = r->inputs;
		tl = strlen(text);
	} else if ((k = ods_wf_def_find(t->def, name, len)) >= 0) {
		pthread_mutex_lock(&r->mu);
		if (r->ns[k].st == N_DONE || r->ns[k].st == N_ERROR) {
			text = r->ns[k].output;
			tl = r->ns[k].outlen;
		}
		pthread_mutex_unlock(&r->mu);
	}
	if (text == NULL || t->nvals == WF_VALS)
		return NULL;
	memset(&why, 0, sizeof(why));
	if (ods_json_parse(text, tl, 0, &v, &why) != ODS_OK)
		return NULL;
	memcpy(t->vals[t->nvals].name, name, len);
	t->vals[t->nvals].name[len] = '\0';
	t->vals[t->nvals++].v = v;
	return v;
}

int
odsi_wf_task_stopping(struct wf_task *t)
{
	return t->run->stop || ods_now_ms() >= t->deadline;
}

int
odsi_wf_task_stop_cb(void *t)
{
	return odsi_wf_task_stopping(t);
}

const struct ods_wf_env *
odsi_wf_env(const struct wf_task *t)
{
	return t->run->env;
}

const char *
odsi_wf_exec_id(const struct wf_task *t)
{
	return t->run->exec;
}

const char *
odsi_wf_owner(const struct wf_task *t)
{
	return t->run->owner;
}

int
odsi_wf_left_ms(const struct wf_task *t)
{
	int64_t	left = t->deadline - ods_now_ms();

	return left < 1 ? 1 : left > INT32_MAX ? INT32_MAX : (int)left;
}

const char *
odsi_wf_node_error(struct wf_task *t, const char *ref)
{
	const char	*dot = strchr(ref, '.');
	const char	*e = NULL;
	long		 k;

	k = ods_wf_def_find(t->def, ref, dot ? (size_t)(dot - ref) :
	    strlen(ref));
	if (k < 0)
		return NULL;
	pthread_mutex_lock(&t->run->mu);
	if (t->run->ns[k].st == N_ERROR)
		e = t->run->ns[k].error;
	pthread_mutex_unlock(&t->run->mu);
	return e;
}

void
odsi_wf_tool_ctx(struct wf_task *t, struct ods_tool_ctx *tc)
{
	const struct ods_wf_env	*env = t->run->env;

	memset(tc, 0, sizeof(*tc));
	tc->db = env->db;
	tc->conf = env->conf;
	tc->llm = env->llm;
	tc->rag = env->rag;
	tc->ds = env->ds;
	tc->user = t->run->owner;
	tc->owner = t->run->owner;
	tc->timeout_ms = odsi_wf_left_ms(t);
	tc->should_stop = odsi_wf_task_stop_cb;
	tc->stop_arg = t;
}

/* What one node's attempts produced, handed to the scheduler. */
struct result {
	enum nst	 st;
	char		*output;
	size_t		 outlen;
	char		*error;
	int		 attempts;
	int		 cond;
	char		*branch;
};

/* One attempt: the node's function into a fresh buffer. */
static enum ods_err
attempt(struct wf_task *t, struct result *res)
{
	wf_node_fn	 fn = odsi_wf_node_fn(t->node->type);
	struct ods_buf	 b;
	struct ods_jw	 jw;
	enum ods_err	 er;

	ods_buf_init(&b, ODS_WF_OUTPUT_MAX);
	ods_jw_init(&jw, &b);
	t->cond = -1;
	t->error[0] = '\0';
	er = fn != NULL ? fn(t, &jw) : odsi_wf_tfail(t, ODS_EINTERNAL,
	    "unknown node type");
	if (er == ODS_OK && (er = ods_jw_error(&jw)) != ODS_OK)
		(void)odsi_wf_tfail(t, er, "%s", er == ODS_ETOOBIG ?
		    "the output is larger than 4 MiB" : ods_strerror(er));
	if (er == ODS_OK && ods_now_ms() > t->deadline)
		er = ODS_ETIMEOUT;
	if (er == ODS_ETIMEOUT && !t->run->stop)
		(void)odsi_wf_tfail(t, er, "timed out after %d ms",
		    t->node->timeout_ms);
	if (er == ODS_OK) {
		res->output = ods_buf_take(&b, &res->outlen);
		res->cond = t->cond;
		res->branch = t->branch;
		t->branch = NULL;
	} else if (t->error[0] == '\0')
		(void)odsi_wf_tfail(t, er, "%s", ods_strerror(er));
	ods_buf_free(&b);
	free(t->branch);
	t->branch = NULL;
	task_fini(t);
	return er;
}

/* The error object a failed node's dependents see. */
static char *
error_output(const char *error, size_t *len)
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

/* Run node i with its delay, timeout and retries. */
static void
execute(struct wf_run *r, size_t i, struct result *res)
{
	const struct ods_wf_node	*n = &r->def->nodes[i];
	struct wf_task			 t;
	enum ods_err			 er = ODS_OK;
	int				 a;

	memset(&t, 0, sizeof(t));
	memset(res, 0, sizeof(*res));
	t.run = r;
	t.def = r->def;
	t.node = n;
	t.idx = i;
	t.scope.lookup = lookup;
	t.scope.arg = &t;
	if (n->delay_ms > 0)
		sleep_stoppable(&t, n->delay_ms);
	for (a = 1; a <= n->retries + 1 && !r->stop; a++) {
		t.attempt = a;
		t.deadline = ods_now_ms() + n->timeout_ms;
		event_node(r, "node_start", i, NULL, NULL, a, -1, -1);
		er = attempt(&t, res);
		res->attempts = a;
		if (er == ODS_OK || r->stop)
			break;
		event_node(r, "node_error", i, NULL, t.error, a, -1, -1);
		if (a <= n->retries) {
			pthread_mutex_lock(&r->mu);
			log_row(r, (long)i, "warn", "retry", a, -1, -1,
			    "attempt %d failed: %s", a, t.error);
			pthread_mutex_unlock(&r->mu);
			sleep_stoppable(&t, n->retry_delay_ms);
		}
	}
	if (er == ODS_OK && res->output != NULL) {
		res->st = N_DONE;
		return;
	}
	res->st = N_ERROR;
	res->error = ods_xstrdup(r->stop && er != ODS_OK && t.error[0] == 0 ?
	    "stopped" : t.error[0] ? t.error : "stopped");
}

static void *
pool_main(void *arg)
{
	struct wf_run	*r = arg;
	struct result	 res;
	struct nstate	*s;
	size_t		 i;
	int64_t		 t0;

	pthread_mutex_lock(&r->mu);
	for (;;) {
		while (r->qh == r->qt && !r->quit)
			pthread_cond_wait(&r->work, &r->mu);
		if (r->quit)
			break;
		i = r->queue[r->qh++ % r->def->nnodes];
		s = &r->ns[i];
		if (r->stop) {
			/* The run ends: what was queued never starts. */
			s->st = N_ERROR;
			s->aborted = 1;
			s->error = ods_xstrdup("stopped");
			s->output = error_output(s->error, &s->outlen);
			r->fin[r->nfin++] = i;
			pthread_cond_signal(&r->done);
			continue;
		}
		s->st = N_RUNNING;
		now_text(s->started, sizeof(s->started));
		log_row(r, (long)i, "info", "start", 1, -1, -1, "%s started",
		    ods_wf_type_name(r->def->nodes[i].type));
		r->running++;
		pthread_mutex_unlock(&r->mu);
		t0 = ods_now_ms();
		execute(r, i, &res);
		pthread_mutex_lock(&r->mu);
		s->st = res.st;
		s->attempts = res.attempts;
		s->duration_ms = ods_now_ms() - t0;
		s->cond = res.cond;
		s->branch = res.branch;
		s->error = res.error;
		s->aborted = res.st == N_ERROR && r->stop;
		if (res.st == N_DONE) {
			s->output = res.output;
			s->outlen = res.outlen;
		} else
			s->output = error_output(res.error, &s->outlen);
		now_text(s->completed, sizeof(s->completed));
		r->fin[r->nfin++] = i;
		r->running--;
		pthread_cond_signal(&r->done);
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

/* ---- the scheduler ---- */

static int
taken(const struct wf_run *r, size_t e)
{
	const struct ods_wf_edge	*x = &r->def->edges[e];
	const struct nstate		*s = &r->ns[x->src];

	if (s->st == N_SKIPPED)
		return 0;
	if (s->st == N_ERROR)
		return x->cond < 0 && x->branch == NULL;
	if (x->cond >= 0)
		return s->cond == x->cond;
	if (x->branch != NULL)
		return s->branch != NULL && strcmp(s->branch, x->branch) == 0;
	return 1;
}

static void ended(struct wf_run *, size_t, int *failed);

/* Every predecessor of i has ended: queue it, or skip it. */
static void
resolve(struct wf_run *r, size_t i, int *failed)
{
	const struct ods_wf_node	*n = &r->def->nodes[i];
	size_t				 k;
	int				 any = n->nin == 0;

	for (k = 0; k < n->nin && !any; k++)
		any = taken(r, n->in[k]);
	pthread_mutex_lock(&r->mu);
	if (any) {
		r->ns[i].st = N_QUEUED;
		r->queue[r->qt++ % r->def->nnodes] = i;
		pthread_cond_signal(&r->work);
		pthread_mutex_unlock(&r->mu);
		return;
	}
	r->ns[i].st = N_SKIPPED;
	r->ns[i].error = NULL;
	now_text(r->ns[i].completed, sizeof(r->ns[i].completed));
	log_row(r, (long)i, "info", "skip", 0, 0, -1,
	    "skipped: no incoming edge taken");
	r->nrows[r->nnrows++] = i;
	pthread_mutex_unlock(&r->mu);
	event_node(r, "node_end", i, "skipped", NULL, 0, 0, -1);
	ended(r, i, failed);
}

/* Node i ended (or was recorded so): its successors may be ready. */
static void
ended(struct wf_run *r, size_t i, int *failed)
{
	const struct ods_wf_node	*n = &r->def->nodes[i];
	size_t				 k, d;

	r->ended++;
	if (r->ns[i].st == N_ERROR && !n->continue_on_error) {
		*failed = 1;
		return;
	}
	for (k = 0; k < n->nout; k++) {
		d = r->def->edges[n->out[k]].dst;
		if (--r->ns[d].waiting == 0 && r->ns[d].st == N_WAIT &&
		    !*failed)
			resolve(r, d, failed);
	}
}

/* A node the pool finished: rows, events, then what it unblocks. */
static void
finished(struct wf_run *r, size_t i, int *failed, size_t *fail_node)
{
	struct nstate	*s = &r->ns[i];

	if (s->aborted)
		return;		/* stopped: not an outcome */
	pthread_mutex_lock(&r->mu);
	if (s->st == N_DONE)
		log_row(r, (long)i, "info", "end", s->attempts, s->duration_ms,
		    (int64_t)s->outlen, "%s ended", ods_wf_type_name(
		    r->def->nodes[i].type));
	else
		log_row(r, (long)i, "error", "error", s->attempts,
		    s->duration_ms, -1, "%s", s->error);
	r->nrows[r->nnrows++] = i;
	pthread_mutex_unlock(&r->mu);
	event_node(r, "node_end", i, s->st == N_DONE ? "success" : "error",
	    s->st == N_ERROR ? s->error : NULL, 0, s->duration_ms,
	    s->st == N_DONE ? (int64_t)s->outlen : -1);
	if (s->st == N_ERROR && !r->def->nodes[i].continue_on_error &&
	    !*failed)
		*fail_node = i;
	ended(r, i, failed);
}

/* ---- loading and ending ---- */

struct row {
	char	*workflow_id, *status, *definition, *inputs, *created_by;
	int64_t	 timeout_s;
	int64_t	 elapsed_ms;
};

static void
row_fini(struct row *w)
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

static enum ods_err
load_row(struct ods_db *db, const char *exec, struct row *w)
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
static enum ods_err
mark_running(struct wf_run *r, int *ours)
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
	return er;
}

/* The outcomes recorded by earlier attempts: those nodes have ended. */
static enum ods_err
load_recorded(struct wf_run *r)
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
			s->output = error_output(s->error, &s->outlen);
		}
	}
	ods_db_res_free(res);
	return ODS_OK;
}

/* A condition's or switch's choice, from its recorded output. */
static void
recorded_choice(struct wf_run *r, size_t i)
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
static void
finish(struct wf_run *r, struct ods_wf_outcome *o)
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
	log_row(r, -1, strcmp(o->status, "completed") == 0 ? "info" :
	    "error", "end", 0, -1, -1, "run %s%s%s", o->status,
	    o->error[0] ? ": " : "", o->error);
	pthread_mutex_unlock(&r->mu);
	flush(r);
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
	event_status(r, "status", o->status, NULL, -1);
	event_status(r, "end", o->status, o->error, o->duration_ms);
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

/* ---- the run ---- */

static int
env_stopping(const struct ods_wf_env *env)
{
	return env->stopping != NULL && env->stopping(env->arg);
}

static void
run_free(struct wf_run *r)
{
	size_t	i;

	if (r->th != NULL) {
		pthread_mutex_lock(&r->mu);
		r->quit = 1;
		pthread_cond_broadcast(&r->work);
		pthread_mutex_unlock(&r->mu);
		for (int k = 0; k < r->nth; k++)
			pthread_join(r->th[k], NULL);
		free(r->th);
	}
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->work);
	pthread_cond_destroy(&r->done);
	for (i = 0; r->ns != NULL && i < r->def->nnodes; i++) {
		free(r->ns[i].output);
		free(r->ns[i].error);
		free(r->ns[i].branch);
	}
	for (i = 0; i < r->nlogs; i++)
		free(r->logs[i].msg);
	free(r->logs);
	free(r->nrows);
	free(r->ns);
	free(r->queue);
	free(r->fin);
	free(r->inputs);
	ods_wf_def_free(r->def);
}

static int
start_pool(struct wf_run *r)
{
	const struct ods_wf_env	*env = r->env;
	int			 n;

	n = env->parallel > 0 ? env->parallel : env->conf != NULL &&
	    env->conf->wf_parallel > 0 ? env->conf->wf_parallel : 4;
	if ((size_t)n > r->def->nnodes)
		n = (int)r->def->nnodes;
	r->th = ods_xcalloc((size_t)n, sizeof(*r->th));
	for (r->nth = 0; r->nth < n; r->nth++)
		if (pthread_create(&r->th[r->nth], NULL, pool_main, r) != 0)
			break;
	return r->nth > 0;
}

/*
 * The scheduler's loop: handle what the pool finished, flush rows when
 * due, watch for a stop (the job) and the run's deadline. It wakes at
 * least every 50 ms, so a cancel is seen within the job's heartbeat plus
 * that.
 */
static void
schedule(struct wf_run *r, int64_t deadline, struct ods_wf_outcome *o,
    int *cancel, int *timedout)
{
	size_t		*fin = ods_xcalloc(r->def->nnodes + 1, sizeof(size_t));
	size_t		 nfin, k, fail_node = (size_t)-1;
	int		 failed = 0;
	struct timespec	 ts;

	for (k = 0; k < r->def->nnodes; k++) {
		size_t i = r->def->order[k];

		if (r->ns[i].st == N_WAIT && r->ns[i].waiting == 0 && !failed)
			resolve(r, i, &failed);
	}
	for (;;) {
		pthread_mutex_lock(&r->mu);
		if (r->nfin == 0 && (r->running > 0 || r->qh != r->qt)) {
			ods_deadline(&ts, CLOCK_REALTIME, 50);
			pthread_cond_timedwait(&r->done, &r->mu, &ts);
		}
		nfin = r->nfin;
		memcpy(fin, r->fin, nfin * sizeof(*fin));
		r->nfin = 0;
		pthread_mutex_unlock(&r->mu);
		for (k = 0; k < nfin; k++)
			finished(r, fin[k], &failed, &fail_node);
		if (failed && !r->stop)
			r->stop = 1;	/* the others are aborted */
		if (env_stopping(r->env)) {
			r->stop = 1;
			*cancel = 1;
			break;
		}
		if (deadline > 0 && ods_now_ms() >= deadline) {
			r->stop = 1;
			*timedout = 1;
			break;
		}
		pthread_mutex_lock(&r->mu);
		k = r->running + (r->qt - r->qh) + r->nfin;
		pthread_mutex_unlock(&r->mu);
		if (k == 0 && (failed || r->ended >= r->def->nnodes))
			break;
		if (k == 0) {
			/* Nothing runs, nothing is ready: cannot happen. */
			snprintf(o->error, sizeof(o->error), "no node is "
			    "ready (%zu of %zu ended)", r->ended,
			    r->def->nnodes);
			failed = 1;
			break;
		}
		if (ods_now_ms() - r->last_flush >= ODS_WF_FLUSH_MS ||
		    r->nnrows + r->nlogs >= ODS_WF_FLUSH_ROWS)
			flush(r);
	}
	if (failed && o->error[0] == '\0' && fail_node != (size_t)-1)
		snprintf(o->error, sizeof(o->error), "node '%s' failed: %s",
		    r->def->nodes[fail_node].id,
		    r->ns[fail_node].error ? r->ns[fail_node].error : "");
	snprintf(o->status, sizeof(o->status), "%s", failed ? "failed" :
	    "completed");
	free(fin);
}

static enum ods_err
prepare(struct wf_run *r, const struct row *w, struct ods_wf_outcome *o)
{
	struct ods_buf	errs;
	const char	*def = w->definition;
	size_t		i, k;
	enum ods_err	er;

	if (def == NULL || *def == '\0')
		def = ods_wf_builtin_rag();
	ods_buf_init(&errs, 4096);
	er = ods_wf_def_parse(def, strlen(def), &r->def, &errs);
	if (er != ODS_OK) {
		snprintf(o->error, sizeof(o->error), "invalid definition: %s",
		    errs.data != NULL ? errs.data : ods_strerror(er));
		ods_buf_free(&errs);
		return er;
	}
	ods_buf_free(&errs);
	r->ns = ods_xcalloc(r->def->nnodes + 1, sizeof(*r->ns));
	r->queue = ods_xcalloc(r->def->nnodes + 1, sizeof(size_t));
	r->fin = ods_xcalloc(r->def->nnodes + 1, sizeof(size_t));
	r->nrows = ods_xcalloc(r->def->nnodes + 1, sizeof(size_t));
	r->inputs = ods_xstrdup(w->inputs != NULL && *w->inputs ? w->inputs :
	    "{}");
	for (i = 0; i < r->def->nnodes; i++)
		r->ns[i].cond = -1;
	if ((er = load_recorded(r)) != ODS_OK)
		return er;
	for (i = 0; i < r->def->nnodes; i++) {
		if (r->ns[i].recorded) {
			o->resumed++;
			recorded_choice(r, i);
			continue;
		}
		for (k = 0; k < r->def->nodes[i].nin; k++) {
			size_t s = r->def->edges[r->def->nodes[i].in[k]].src;

			if (!r->ns[s].recorded)
				r->ns[i].waiting++;
		}
	}
	r->ended = o->resumed;
	return ODS_OK;
}

/* A definition that cannot run: no graph to record, the row alone. */
static enum ods_err
fail_row(struct ods_db *db, const char *exec, struct ods_wf_outcome *o)
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
	return er;
}

enum ods_err
ods_wf_run(const struct ods_wf_env *env, const char *exec,
    struct ods_wf_outcome *o)
{
	struct wf_run	 r;
	struct row	 w;
	int64_t		 deadline = 0, t0 = ods_now_ms();
	int		 ours = 0, cancel = 0, timedout = 0;
	enum ods_err	 er;

	memset(o, 0, sizeof(*o));
	memset(&r, 0, sizeof(r));
	if ((er = load_row(env->db, exec, &w)) != ODS_OK)
		return er;
	r.env = env;
	snprintf(r.exec, sizeof(r.exec), "%s", exec);
	snprintf(r.owner, sizeof(r.owner), "%s", w.created_by ?
	    w.created_by : "");
	snprintf(r.evkey, sizeof(r.evkey), "ods:wf:ev:%s", exec);
	pthread_mutex_init(&r.mu, NULL);
	pthread_cond_init(&r.work, NULL);
	pthread_cond_init(&r.done, NULL);
	r.last_flush = ods_now_ms();
	if (w.status != NULL && strcmp(w.status, "pending") != 0 &&
	    strcmp(w.status, "running") != 0) {
		snprintf(o->status, sizeof(o->status), "%s", w.status);
		goto out;	/* already ended (stopped before it began) */
	}
	if ((er = mark_running(&r, &ours)) != ODS_OK)
		goto out;
	if (!ours) {
		snprintf(o->status, sizeof(o->status), "stopped");
		goto out;
	}
	event_status(&r, "status", "running", NULL, -1);
	if (w.timeout_s > 0)
		deadline = t0 + w.timeout_s * 1000 - w.elapsed_ms;
	if ((er = prepare(&r, &w, o)) != ODS_OK) {
		if (er != ODS_EINVAL && er != ODS_ETOOBIG)
			goto out;	/* the database: retried */
		snprintf(o->status, sizeof(o->status), "failed");
		er = fail_row(env->db, exec, o);
		goto out;
	}
	if (!start_pool(&r)) {
		er = ODS_ENOMEM;
		goto out;
	}
	schedule(&r, deadline, o, &cancel, &timedout);
	o->nodes = r.ended - o->resumed;
	if (cancel && env->cancelled != NULL && !env->cancelled(env->arg)) {
		/* A shutdown or a lost lease: the next attempt resumes. */
		flush(&r);
		er = ODS_ETIMEOUT;
		snprintf(o->status, sizeof(o->status), "running");
		goto out;
	}
	if (cancel) {
		snprintf(o->status, sizeof(o->status), "stopped");
		snprintf(o->error, sizeof(o->error), "stopped");
	} else if (timedout) {
		snprintf(o->status, sizeof(o->status), "failed");
		snprintf(o->error, sizeof(o->error), "timeout");
	}
	finish(&r, o);
out:
	row_fini(&w);
	run_free(&r);
	return er;
}
