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
 * Persistence (wf_store.c). Outcomes (workflow_node_runs) and events
 * (execution_logs) are buffered and written by the scheduler in
 * multi-row INSERTs every ODS_WF_FLUSH_MS or ODS_WF_FLUSH_ROWS rows, and
 * always before the run's end is written. A node whose outcome was not
 * flushed before a crash simply runs again when the job is resumed.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_conf.h"
#include "core/ods_json.h"
#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "core/ods_time.h"
#include "store/ods_db.h"
#include "tool.h"
#include "wf.h"
#include "wf_node.h"
#include "wf_run.h"

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
		odsi_wf_ev_node(r, "node_start", i, NULL, NULL, a, -1, -1);
		er = attempt(&t, res);
		res->attempts = a;
		if (er == ODS_OK || r->stop)
			break;
		odsi_wf_ev_node(r, "node_error", i, NULL, t.error, a, -1, -1);
		if (a <= n->retries) {
			pthread_mutex_lock(&r->mu);
			odsi_wf_log_row(r, (long)i, "warn", "retry", a, -1, -1,
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
			s->output = odsi_wf_error_output(s->error, &s->outlen);
			r->fin[r->nfin++] = i;
			pthread_cond_signal(&r->done);
			continue;
		}
		s->st = N_RUNNING;
		odsi_wf_now_text(s->started, sizeof(s->started));
		odsi_wf_log_row(r, (long)i, "info", "start", 1, -1, -1,
		    "%s started", ods_wf_type_name(r->def->nodes[i].type));
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
			s->output = odsi_wf_error_output(res.error, &s->outlen);
		odsi_wf_now_text(s->completed, sizeof(s->completed));
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
	odsi_wf_now_text(r->ns[i].completed, sizeof(r->ns[i].completed));
	odsi_wf_log_row(r, (long)i, "info", "skip", 0, 0, -1,
	    "skipped: no incoming edge taken");
	r->nrows[r->nnrows++] = i;
	pthread_mutex_unlock(&r->mu);
	odsi_wf_ev_node(r, "node_end", i, "skipped", NULL, 0, 0, -1);
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
		odsi_wf_log_row(r, (long)i, "info", "end", s->attempts,
		    s->duration_ms, (int64_t)s->outlen, "%s ended",
		    ods_wf_type_name(r->def->nodes[i].type));
	else
		odsi_wf_log_row(r, (long)i, "error", "error", s->attempts,
		    s->duration_ms, -1, "%s", s->error);
	r->nrows[r->nnrows++] = i;
	pthread_mutex_unlock(&r->mu);
	odsi_wf_ev_node(r, "node_end", i, s->st == N_DONE ? "success" : "error",
	    s->st == N_ERROR ? s->error : NULL, 0, s->duration_ms,
	    s->st == N_DONE ? (int64_t)s->outlen : -1);
	if (s->st == N_ERROR && !r->def->nodes[i].continue_on_error &&
	    !*failed)
		*fail_node = i;
	ended(r, i, failed);
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
			odsi_wf_flush(r);
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
prepare(struct wf_run *r, const struct wf_row *w, struct ods_wf_outcome *o)
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
	if ((er = odsi_wf_load_recorded(r)) != ODS_OK)
		return er;
	for (i = 0; i < r->def->nnodes; i++) {
		if (r->ns[i].recorded) {
			o->resumed++;
			odsi_wf_recorded_choice(r, i);
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

enum ods_err
ods_wf_run(const struct ods_wf_env *env, const char *exec,
    struct ods_wf_outcome *o)
{
	struct wf_run	 r;
	struct wf_row	 w;
	int64_t		 deadline = 0, t0 = ods_now_ms();
	int		 ours = 0, cancel = 0, timedout = 0;
	enum ods_err	 er;

	memset(o, 0, sizeof(*o));
	memset(&r, 0, sizeof(r));
	if ((er = odsi_wf_load_row(env->db, exec, &w)) != ODS_OK)
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
	if ((er = odsi_wf_mark_running(&r, &ours)) != ODS_OK)
		goto out;
	if (!ours) {
		snprintf(o->status, sizeof(o->status), "stopped");
		goto out;
	}
	odsi_wf_ev_status(&r, "status", "running", NULL, -1);
	if (w.timeout_s > 0)
		deadline = t0 + w.timeout_s * 1000 - w.elapsed_ms;
	if ((er = prepare(&r, &w, o)) != ODS_OK) {
		if (er != ODS_EINVAL && er != ODS_ETOOBIG)
			goto out;	/* the database: retried */
		snprintf(o->status, sizeof(o->status), "failed");
		er = odsi_wf_fail_row(env->db, exec, o);
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
		odsi_wf_flush(&r);
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
	odsi_wf_finish(&r, o);
out:
	odsi_wf_row_fini(&w);
	run_free(&r);
	return er;
}
