/*
 * lib/server/ods_job.c — the job runner of a worker process: job threads
 * that claim and run jobs, and one maintenance thread (leases, cancel
 * requests, expired leases of dead workers, the queue gauge, the
 * service's tick). Contracts in ods_job.h and ods_server_int.h.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/ods_conf.h"
#include "core/ods_json.h"
#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "core/ods_time.h"
#include "core/ods_util.h"
#include "metrics/ods_metrics.h"
#include "net/ods_req.h"
#include "server/ods_fcgi.h"
#include "server/ods_job.h"
#include "server/ods_server_int.h"
#include "store/ods_jobs.h"
#include "store/ods_redis.h"

#define UNKNOWN_TYPE_DELAY_MS	10000	/* a type this worker lacks */
#define TICK_MS			1000	/* reap, tick hook */
#define GAUGE_MS		2000	/* task_queue_size */
#define HB_MAX			256	/* running jobs one heartbeat reports */
#define STEP_MS			50	/* ods_job_sleep's check period */

struct runner;

/* A succeeded run waiting to be recorded with others (record_done). */
struct fin {
	struct ods_jobs_done	d;
	int			done;
};

struct ods_job {
	struct runner		*r;
	const struct ods_job_type *type;
	struct ods_jobs_claim	 cl;
	struct json_object	*json;
	int64_t			 claimed_ms;
	atomic_int		 cancel;	/* a cancel was requested */
	atomic_int		 lost;		/* the lease may be gone */
	char			*result;
	char			*error;
};

struct jthread {
	struct runner	*r;
	pthread_t	 tid;
	int		 index;
	int		 started;
	char		 consumer[160];
	struct ods_job	*job;		/* running now; under r->mu */
};

struct runner {
	const struct ods_service	*svc;
	const struct ods_req_env	*env;
	const struct ods_conf		*conf;
	struct ods_redis		*wait_redis; /* XREADGROUP BLOCK */
	char				 owner[ODS_JOBS_KEY_MAX];
	atomic_int			 stopping;  /* no more claims */
	atomic_int			 abort;	    /* running jobs: stop */
	atomic_int			 mstop;	    /* maintenance: exit */
	atomic_llong			 abort_at;
	pthread_mutex_t			 mu;
	pthread_cond_t			 cv;
	/* Batch claims (next_job), under mu: one in flight at a time. */
	pthread_cond_t			 ready_cv;
	struct ods_job			*ready[ODS_JOBS_CLAIM_MAX];
	size_t				 nready;	/* claimed, to start */
	int				 claiming;
	int				 nwaiting;	/* for that claim */
	int				 nhandler;	/* threads in a handler */
	int				 nidle;		/* waiting for a wake-up */
	/* Succeeded runs recorded together (record_done), under mu. */
	pthread_cond_t			 fin_cv;
	struct fin			**fins;		/* nthreads slots */
	size_t				 nfins;
	int				 finishing;
	struct jthread			*threads;
	int				 nthreads;
	pthread_t			 mtid;
	int				 mstarted;
	int64_t				 hb_ok_ms;  /* last kept lease */
	int64_t				 scan_ms;   /* last heartbeat query */
	int64_t				 suspects[HB_MAX]; /* see orphans() */
	size_t				 nsuspects;
};

/* ---- metrics: registered in the master, before the registry ---- */

static const double dur_buckets[] = { .01, .05, .1, .5, 1, 5, 10, 30, 60,
    300, 900, 3600 };
static unsigned	fam_total, fam_duration;
static int	registered;

enum ods_err
odsi_job_register_metrics(void)
{
	const struct ods_metrics_def	total = {
		.name = "jobs_total",
		.help = "Job runs by type and outcome (succeeded, failed, "
		    "retried, cancelled, released, lost).",
		.type = ODS_METRICS_COUNTER,
		.labels = { "type", "status" },
		.max_series = 512,
	};
	const struct ods_metrics_def	duration = {
		.name = "job_duration_seconds",
		.help = "Time a job run took, claim to outcome.",
		.type = ODS_METRICS_HISTOGRAM,
		.labels = { "type" },
		.buckets = dur_buckets,
		.nbuckets = ODS_NELEM(dur_buckets),
		.max_series = 128,
	};
	enum ods_err	er;

	if (registered)
		return ODS_OK;
	if ((er = ods_metrics_register(&total, &fam_total)) != ODS_OK ||
	    (er = ods_metrics_register(&duration, &fam_duration)) != ODS_OK) {
		ods_log(ODS_LOG_ERR, "job_metrics_register err=%s",
		    ods_strerror(er));
		return er;
	}
	registered = 1;
	return ODS_OK;
}

static void
count(const char *type, const char *status, double seconds)
{
	const char	*lv[2] = { type, status };

	if (!registered)
		return;
	(void)ods_metrics_counter_add(fam_total, lv, 1);
	(void)ods_metrics_observe(fam_duration, lv, seconds);
}

/* ---- the handler's view ---- */

int64_t
ods_job_id(const struct ods_job *j)
{
	return j->cl.id;
}

const char *
ods_job_type(const struct ods_job *j)
{
	return j->cl.type;
}

int
ods_job_attempt(const struct ods_job *j)
{
	return j->cl.attempt;
}

const char *
ods_job_payload(const struct ods_job *j)
{
	return j->cl.payload != NULL ? j->cl.payload : "{}";
}

struct json_object *
ods_job_json(const struct ods_job *j)
{
	return j->json;
}

const char *
ods_job_created_by(const struct ods_job *j)
{
	return j->cl.created_by != NULL ? j->cl.created_by : "";
}

const struct ods_req_env *
ods_job_env(const struct ods_job *j)
{
	return j->r->env;
}

int
ods_job_stopping(const struct ods_job *j)
{
	return atomic_load(&j->cancel) || atomic_load(&j->lost) ||
	    atomic_load(&j->r->abort);
}

int
ods_job_cancelled(const struct ods_job *j)
{
	return atomic_load(&j->cancel);
}

int
ods_job_sleep(const struct ods_job *j, int ms)
{
	int64_t	end = ods_now_ms() + ms, left;

	while (!ods_job_stopping(j) && (left = end - ods_now_ms()) > 0)
		ods_sleep_ms(left > STEP_MS ? STEP_MS : (long)left);
	return ods_job_stopping(j);
}

enum ods_err
ods_job_progress(struct ods_job *j, int pct, const char *fmt, ...)
{
	char	msg[ODS_JOBS_MSG_MAX + 1];
	va_list	ap;

	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
	}
	return ods_jobs_progress(j->r->env->db, j->cl.id, j->r->owner,
	    j->cl.attempt, pct, fmt != NULL ? msg : NULL);
}

void
ods_job_set_result(struct ods_job *j, const char *json)
{
	free(j->result);
	j->result = json != NULL ? ods_xstrdup(json) : NULL;
}

void
ods_job_set_error(struct ods_job *j, const char *fmt, ...)
{
	char	msg[ODS_JOBS_ERROR_MAX + 1];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	free(j->error);
	j->error = ods_xstrdup(msg);
}

/* ---- running one job ---- */

static const struct ods_job_type *
type_find(const struct runner *r, const char *name)
{
	size_t	i;

	for (i = 0; name != NULL && i < r->svc->njob_types; i++)
		if (strcmp(r->svc->job_types[i].name, name) == 0)
			return &r->svc->job_types[i];
	return NULL;
}

/*
 * Record the outcome; the database may be briefly away, so try again
 * for up to a lease (the heartbeat keeps the lease meanwhile).
 */
static enum ods_err
record(struct runner *r, struct ods_job *j, enum ods_jobs_outcome how,
    int delay_ms, enum ods_jobs_status *st)
{
	int64_t		give_up = ods_now_ms() + r->conf->job_lease_ms;
	enum ods_err	er;

	for (;;) {
		er = ods_jobs_finish(r->env->db, j->cl.id, r->owner,
		    j->cl.attempt, how, how == ODS_JOBS_DONE ? j->result :
		    NULL, j->error, delay_ms, st);
		if (er != ODS_EUNAVAIL && er != ODS_ETIMEOUT &&
		    er != ODS_ECONFLICT)
			return er;
		if (ods_now_ms() >= give_up)
			return er;
		ods_sleep_ms(500);
	}
}

#define FIN_ROUND	(4 * ODS_JOBS_FINISH_MAX)	/* runs one round takes */

/*
 * Record a succeeded run. The runs of this process that end while a
 * record is being written wait for it, then the first of them writes all
 * theirs in one statement (group commit): a busy worker records a few
 * runs per round trip and commit. A run whose write failed on the way
 * (database away) goes through record()'s retries on its own.
 */
static enum ods_err
record_done(struct runner *r, struct ods_job *j, enum ods_jobs_status *st)
{
	struct ods_jobs_done	 batch[FIN_ROUND];
	struct fin		 me, *take[FIN_ROUND];
	enum ods_err		 er;
	size_t			 n, k;

	memset(&me, 0, sizeof(me));
	me.d.id = j->cl.id;
	me.d.attempt = j->cl.attempt;
	me.d.result = j->result;
	pthread_mutex_lock(&r->mu);
	r->fins[r->nfins++] = &me;
	while (!me.done) {
		if (r->finishing) {
			pthread_cond_wait(&r->fin_cv, &r->mu);
			continue;
		}
		r->finishing = 1;
		n = r->nfins < FIN_ROUND ? r->nfins : FIN_ROUND;
		memcpy(take, r->fins, n * sizeof(take[0]));
		r->nfins -= n;
		memmove(&r->fins[0], &r->fins[n], r->nfins * sizeof(take[0]));
		pthread_mutex_unlock(&r->mu);
		for (k = 0; k < n; k++)
			batch[k] = take[k]->d;
		(void)ods_jobs_finish_done(r->env->db, r->owner, batch, n);
		pthread_mutex_lock(&r->mu);
		for (k = 0; k < n; k++) {
			take[k]->d.er = batch[k].er;
			take[k]->done = 1;
		}
		r->finishing = 0;
		pthread_cond_broadcast(&r->fin_cv);
	}
	pthread_mutex_unlock(&r->mu);
	er = me.d.er;
	if (er == ODS_EUNAVAIL || er == ODS_ETIMEOUT || er == ODS_ECONFLICT)
		er = record(r, j, ODS_JOBS_DONE, 0, NULL);
	if (er == ODS_OK)
		*st = ODS_JOBS_SUCCEEDED;
	return er;
}

/* What the run's end means, from the handler's answer and the flags. */
static enum ods_jobs_outcome
outcome_of(struct runner *r, struct ods_job *j, enum ods_err er)
{
	if (er == ODS_OK) {
		if (j->result != NULL && !(*j->result == '{' ||
		    *j->result == '[')) {
			ods_job_set_error(j, "the handler's result is not "
			    "JSON");
			return ODS_JOBS_ERROR;
		}
		return ODS_JOBS_DONE;
	}
	if (atomic_load(&j->cancel)) {
		if (j->error == NULL)
			ods_job_set_error(j, "cancelled on request");
		return ODS_JOBS_STOPPED;
	}
	if (atomic_load(&r->abort) && !atomic_load(&j->lost))
		return ODS_JOBS_RELEASE;
	if (j->error == NULL)
		ods_job_set_error(j, "%s", ods_strerror(er));
	return ODS_JOBS_ERROR;
}

static const char *
label_of(enum ods_jobs_outcome how, enum ods_jobs_status st, enum ods_err er)
{
	if (er == ODS_ENOTFOUND)
		return "lost";
	switch (how) {
	case ODS_JOBS_DONE:
		return "succeeded";
	case ODS_JOBS_STOPPED:
		return "cancelled";
	case ODS_JOBS_RELEASE:
		return "released";
	case ODS_JOBS_ERROR:
		break;
	}
	return st == ODS_JOBS_QUEUED ? "retried" : "failed";
}

static void
run(struct jthread *t, struct ods_job *j)
{
	struct runner		*r = t->r;
	enum ods_jobs_outcome	 how;
	enum ods_jobs_status	 st = ODS_JOBS_FAILED;
	enum ods_err		 er, fer;
	double			 t0 = ods_now_sec();

	if ((j->type = type_find(r, j->cl.type)) == NULL) {
		ods_log(ODS_LOG_WARN, "job_type_unknown job=%lld type=%s "
		    "action=release delay_ms=%d", (long long)j->cl.id,
		    j->cl.type, UNKNOWN_TYPE_DELAY_MS);
		(void)record(r, j, ODS_JOBS_RELEASE, UNKNOWN_TYPE_DELAY_MS,
		    NULL);
		return;
	}
	if (ods_json_parse(ods_job_payload(j), strlen(ods_job_payload(j)), 0,
	    &j->json, NULL) != ODS_OK) {
		ods_job_set_error(j, "the payload is not JSON");
		er = ODS_EINVAL;
	} else {
		ods_log(ODS_LOG_INFO, "job_start job=%lld type=%s attempt=%d",
		    (long long)j->cl.id, j->cl.type, j->cl.attempt);
		pthread_mutex_lock(&r->mu);
		r->nhandler++;
		pthread_mutex_unlock(&r->mu);
		er = j->type->handler(j);
		pthread_mutex_lock(&r->mu);
		r->nhandler--;
		pthread_mutex_unlock(&r->mu);
	}
	how = outcome_of(r, j, er);
	if (how == ODS_JOBS_DONE)
		fer = record_done(r, j, &st);
	else
		fer = record(r, j, how, 0, &st);
	ods_log(fer == ODS_OK ? ODS_LOG_INFO : ODS_LOG_WARN, "job_end job=%lld "
	    "type=%s attempt=%d outcome=%s elapsed_ms=%.0f%s%s",
	    (long long)j->cl.id, j->cl.type, j->cl.attempt,
	    label_of(how, st, fer), (ods_now_sec() - t0) * 1000,
	    j->error != NULL ? " error=" : "", j->error != NULL ? j->error :
	    "");
	count(j->cl.type, label_of(how, st, fer), ods_now_sec() - t0);
}

static void
job_free(struct ods_job *j)
{
	ods_jobs_claim_fini(&j->cl);
	ods_json_put(j->json);
	free(j->result);
	free(j->error);
	free(j);
}

/* Sleep ms or until told to stop. */
static void
idle(struct runner *r, int ms)
{
	struct timespec	ts;

	ods_deadline(&ts, CLOCK_REALTIME, ms);
	pthread_mutex_lock(&r->mu);
	if (!atomic_load(&r->stopping))
		pthread_cond_timedwait(&r->cv, &r->mu, &ts);
	pthread_mutex_unlock(&r->mu);
}

static struct ods_job *
job_new(struct runner *r)
{
	struct ods_job	*j;

	j = ods_xcalloc(1, sizeof(*j));
	j->r = r;
	return j;
}

/*
 * The next job for a thread: one another thread's batch claim handed
 * over, or a batch claimed here for every thread of the process that is
 * free or about to be (a process runs one claim at a time, so a busy
 * queue is claimed several jobs per statement, and never for a thread in
 * a handler or waiting for a wake-up). NULL with *er ODS_ENOTFOUND
 * (nothing due) or the claim's error, the thread then counted idle until
 * it calls idle_end(); or ODS_EUNAVAIL when stopping.
 */
static struct ods_job *
next_job(struct runner *r, enum ods_err *er)
{
	struct ods_jobs_claim	 cl[ODS_JOBS_CLAIM_MAX];
	struct ods_job		*j = NULL, *k;
	size_t			 want, n = 0, i;

	pthread_mutex_lock(&r->mu);
	while (r->nready == 0 && r->claiming && !atomic_load(&r->stopping)) {
		r->nwaiting++;
		pthread_cond_wait(&r->ready_cv, &r->mu);
		r->nwaiting--;
	}
	if (atomic_load(&r->stopping) || r->nready > 0) {
		if (!atomic_load(&r->stopping)) {
			j = r->ready[0];
			memmove(&r->ready[0], &r->ready[1],
			    --r->nready * sizeof(r->ready[0]));
		}
		pthread_mutex_unlock(&r->mu);
		*er = j != NULL ? ODS_OK : ODS_EUNAVAIL;
		return j;
	}
	/*
	 * For every thread neither in a handler nor waiting for a wake-up:
	 * this one, those waiting for this claim, and those recording a run
	 * (they come back for a job within a round trip).
	 */
	r->claiming = 1;
	want = (size_t)(r->nthreads - r->nhandler - r->nidle);
	if (want < 1)
		want = 1;
	if (want > ODS_JOBS_CLAIM_MAX)
		want = ODS_JOBS_CLAIM_MAX;
	pthread_mutex_unlock(&r->mu);
	*er = ods_jobs_claim_batch(r->env->db, r->owner, r->conf->job_lease_ms,
	    cl, want, &n);
	pthread_mutex_lock(&r->mu);
	for (i = 0; i < n; i++) {
		k = job_new(r);
		k->cl = cl[i];
		k->claimed_ms = ods_now_ms();
		if (i == 0)
			j = k;
		else
			r->ready[r->nready++] = k;
	}
	r->claiming = 0;
	if (j == NULL)
		r->nidle++;	/* no claim counts it until idle_end() */
	pthread_cond_broadcast(&r->ready_cv);
	pthread_mutex_unlock(&r->mu);
	return j;
}

static void
idle_end(struct runner *r)
{
	pthread_mutex_lock(&r->mu);
	r->nidle--;
	pthread_mutex_unlock(&r->mu);
}

static void *
jthread_main(void *arg)
{
	struct jthread	*t = arg;
	struct runner	*r = t->r;
	struct ods_job	*j;
	enum ods_err	 er;

	while (!atomic_load(&r->stopping)) {
		if ((j = next_job(r, &er)) != NULL) {
			pthread_mutex_lock(&r->mu);
			t->job = j;
			pthread_mutex_unlock(&r->mu);
			run(t, j);
			pthread_mutex_lock(&r->mu);
			t->job = NULL;
			pthread_mutex_unlock(&r->mu);
			job_free(j);
			continue;
		}
		if (er == ODS_EUNAVAIL && atomic_load(&r->stopping))
			break;
		if (er != ODS_ENOTFOUND) {
			ods_log(ODS_LOG_WARN, "job_claim_failed err=%s",
			    ods_strerror(er));
			idle(r, r->conf->job_poll_ms);
			idle_end(r);
			continue;
		}
		/* Nothing due: a wake-up, or poll when Redis is away. */
		er = ods_jobs_wait(r->wait_redis, t->consumer,
		    r->conf->job_poll_ms);
		if (er == ODS_EUNAVAIL)
			idle(r, r->conf->job_poll_ms);
		idle_end(r);
	}
	return NULL;
}

/* ---- the maintenance thread ---- */

static int
running_here(struct runner *r, int64_t id)
{
	size_t	k;
	int	i;

	for (i = 0; i < r->nthreads; i++)
		if (r->threads[i].job != NULL && r->threads[i].job->cl.id == id)
			return 1;
	/* Claimed, about to start. */
	for (k = 0; k < r->nready; k++)
		if (r->ready[k]->cl.id == id)
			return 1;
	return 0;
}

/*
 * Rows leased to us that no thread runs: a claim whose read-back failed
 * (the connection broke between the two statements). The heartbeat would
 * keep them leased forever, so they are given back; only when seen twice
 * in a row, as a thread registers its job just after its claim returns.
 * Called with r->mu held.
 */
static void
orphans(struct runner *r, const int64_t *ids, size_t n, int64_t *gone,
    size_t *ngone)
{
	int64_t	now[HB_MAX];
	size_t	k, i, m = 0;

	*ngone = 0;
	for (k = 0; k < n; k++) {
		if (running_here(r, ids[k]))
			continue;
		for (i = 0; i < r->nsuspects && r->suspects[i] != ids[k]; i++)
			;
		if (i < r->nsuspects)
			gone[(*ngone)++] = ids[k];
		else
			now[m++] = ids[k];
	}
	memcpy(r->suspects, now, m * sizeof(now[0]));
	r->nsuspects = m;
}

/*
 * Keep the leases of the running jobs and learn of cancel requests. A
 * job of ours missing from the answer was taken over; when the lease
 * could not be renewed for most of its length, every job is told to stop
 * (another worker may take it once it expires: never twice at once).
 */
static void
heartbeat(struct runner *r)
{
	int64_t		 ids[HB_MAX], gone[HB_MAX], start = ods_now_ms();
	int		 cancel[HB_MAX], running = 0, i;
	size_t		 n = 0, k, ngone = 0;
	enum ods_err	 er;
	struct ods_job	*j;

	pthread_mutex_lock(&r->mu);
	for (i = 0; i < r->nthreads; i++)
		running += r->threads[i].job != NULL;
	pthread_mutex_unlock(&r->mu);
	if (running == 0 && r->nsuspects == 0 && start - r->scan_ms < 5000) {
		/* Nothing to keep; look for orphans now and then only. */
		r->hb_ok_ms = start;
		return;
	}
	r->scan_ms = start;
	er = ods_jobs_heartbeat(r->env->db, r->owner, r->conf->job_lease_ms,
	    ids, cancel, HB_MAX, &n);
	pthread_mutex_lock(&r->mu);
	for (i = 0; i < r->nthreads; i++) {
		if ((j = r->threads[i].job) == NULL)
			continue;
		if (er != ODS_OK) {
			if (start - r->hb_ok_ms > r->conf->job_lease_ms * 2 / 3)
				atomic_store(&j->lost, 1);
			continue;
		}
		for (k = 0; k < n && ids[k] != j->cl.id; k++)
			;
		if (k < n && cancel[k])
			atomic_store(&j->cancel, 1);
		else if (k == n && j->claimed_ms < start)
			atomic_store(&j->lost, 1);
	}
	if (er == ODS_OK)
		orphans(r, ids, n, gone, &ngone);
	pthread_mutex_unlock(&r->mu);
	if (er == ODS_OK)
		r->hb_ok_ms = start;
	else
		ods_log(ODS_LOG_WARN, "job_heartbeat_failed err=%s",
		    ods_strerror(er));
	for (k = 0; k < ngone; k++) {
		er = ods_jobs_abandon(r->env->db, gone[k], r->owner);
		ods_log(ODS_LOG_WARN, "job_orphan_released job=%lld err=%s",
		    (long long)gone[k], ods_strerror(er));
	}
}

static void
housekeeping(struct runner *r, int64_t now, int64_t *next_tick,
    int64_t *next_gauge)
{
	const char	*lv[1] = { "jobs" };
	int64_t		 queued;
	enum ods_err	 er;

	if (now >= *next_tick) {
		*next_tick = now + TICK_MS;
		if ((er = ods_jobs_reap(r->env->db, NULL, NULL)) != ODS_OK)
			ods_log(ODS_LOG_WARN, "job_reap_failed err=%s",
			    ods_strerror(er));
		/*
		 * The service's tick: due schedules (issue 13 §4) are
		 * claimed and enqueued here, once a second in every worker.
		 */
		if (r->svc->tick != NULL)
			r->svc->tick(r->env, r->env->ctx);
	}
	if (now >= *next_gauge) {
		*next_gauge = now + GAUGE_MS;
		if (ods_jobs_queued(r->env->db, &queued) == ODS_OK)
			(void)ods_metrics_gauge_set(ODS_M_TASK_QUEUE_SIZE, lv,
			    (double)queued);
	}
}

static void *
mthread_main(void *arg)
{
	struct runner	*r = arg;
	int64_t		 now, next_tick = 0, next_gauge = 0;
	int		 hb_ms;

	hb_ms = r->conf->job_lease_ms / 3;
	if (hb_ms > 500)
		hb_ms = 500;
	while (!atomic_load(&r->mstop)) {
		heartbeat(r);
		now = ods_now_ms();
		if (!atomic_load(&r->stopping))
			housekeeping(r, now, &next_tick, &next_gauge);
		else if (!atomic_load(&r->abort) &&
		    now >= atomic_load(&r->abort_at)) {
			ods_log(ODS_LOG_WARN, "jobs_drain_budget_spent "
			    "action=stop_running_jobs");
			atomic_store(&r->abort, 1);
		}
		pthread_mutex_lock(&r->mu);
		if (!atomic_load(&r->mstop)) {
			struct timespec	ts;

			ods_deadline(&ts, CLOCK_REALTIME, hb_ms);
			pthread_cond_timedwait(&r->cv, &r->mu, &ts);
		}
		pthread_mutex_unlock(&r->mu);
	}
	return NULL;
}

/* ---- start and stop ---- */

static void
owner_make(struct runner *r)
{
	char		host[64];
	unsigned char	rnd[4];

	if (gethostname(host, sizeof(host)) < 0)
		strcpy(host, "host");
	host[sizeof(host) - 1] = '\0';
	ods_random(rnd, sizeof(rnd));
	snprintf(r->owner, sizeof(r->owner), "%s:%ld:%02x%02x%02x%02x", host,
	    (long)getpid(), rnd[0], rnd[1], rnd[2], rnd[3]);
}

struct runner *
odsi_runner_start(const struct ods_service *svc,
    const struct ods_req_env *env, int slot)
{
	struct runner	*r;
	struct ods_conf	 wc;
	char		 host[64];
	int		 i;

	r = ods_xcalloc(1, sizeof(*r));
	r->svc = svc;
	r->env = env;
	r->conf = env->conf;
	r->nthreads = r->conf->worker_concurrency;
	owner_make(r);
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	pthread_cond_init(&r->ready_cv, NULL);
	pthread_cond_init(&r->fin_cv, NULL);
	/* Its own connections: a blocked XREADGROUP must not time out. */
	wc = *r->conf;
	wc.redis_timeout_ms = r->conf->job_poll_ms + r->conf->redis_timeout_ms;
	r->wait_redis = ods_redis_new(&wc, (unsigned)r->nthreads);
	if (gethostname(host, sizeof(host)) < 0)
		strcpy(host, "host");
	host[sizeof(host) - 1] = '\0';
	r->threads = ods_xcalloc((size_t)r->nthreads, sizeof(*r->threads));
	r->fins = ods_xcalloc((size_t)r->nthreads, sizeof(*r->fins));
	r->hb_ok_ms = ods_now_ms();
	if (pthread_create(&r->mtid, NULL, mthread_main, r) != 0) {
		ods_log(ODS_LOG_ERR | ODS_LOG_ERRNO, "job_thread_start");
		odsi_runner_stop(r, 0);
		return NULL;
	}
	r->mstarted = 1;
	for (i = 0; i < r->nthreads; i++) {
		r->threads[i].r = r;
		r->threads[i].index = i;
		/* Stable per slot: respawned workers reuse the names. */
		snprintf(r->threads[i].consumer, sizeof(r->threads[i].consumer),
		    "%s:%d:%d", host, slot, i);
		if (pthread_create(&r->threads[i].tid, NULL, jthread_main,
		    &r->threads[i]) != 0) {
			ods_log(ODS_LOG_ERR | ODS_LOG_ERRNO,
			    "job_thread_start");
			odsi_runner_stop(r, 0);
			return NULL;
		}
		r->threads[i].started = 1;
	}
	ods_log(ODS_LOG_INFO, "jobs_start owner=%s concurrency=%d lease_ms=%d "
	    "poll_ms=%d types=%zu", r->owner, r->nthreads,
	    r->conf->job_lease_ms, r->conf->job_poll_ms, svc->njob_types);
	return r;
}

void
odsi_runner_stop(struct runner *r, int budget_ms)
{
	struct ods_job	*j;
	int		 i, margin;

	if (r == NULL)
		return;
	/*
	 * Running jobs may finish within the budget less a margin; past it
	 * they are told to stop, and their leases go back to the queue
	 * before the master's SIGKILL.
	 */
	margin = budget_ms / 4 < 3000 ? budget_ms / 4 : 3000;
	atomic_store(&r->abort_at, ods_now_ms() + budget_ms - margin);
	pthread_mutex_lock(&r->mu);
	atomic_store(&r->stopping, 1);
	if (budget_ms <= 0)
		atomic_store(&r->abort, 1);
	pthread_cond_broadcast(&r->cv);
	pthread_cond_broadcast(&r->ready_cv);
	pthread_mutex_unlock(&r->mu);
	for (i = 0; i < r->nthreads; i++)
		if (r->threads[i].started)
			pthread_join(r->threads[i].tid, NULL);
	/* Claimed for a thread that stopped first: back to the queue. */
	for (;;) {
		pthread_mutex_lock(&r->mu);
		j = r->nready > 0 ? r->ready[--r->nready] : NULL;
		pthread_mutex_unlock(&r->mu);
		if (j == NULL)
			break;
		(void)record(r, j, ODS_JOBS_RELEASE, 0, NULL);
		job_free(j);
	}
	pthread_mutex_lock(&r->mu);
	atomic_store(&r->mstop, 1);
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	if (r->mstarted)
		pthread_join(r->mtid, NULL);
	ods_redis_free(r->wait_redis);
	pthread_cond_destroy(&r->cv);
	pthread_cond_destroy(&r->ready_cv);
	pthread_cond_destroy(&r->fin_cv);
	free(r->fins);
	pthread_mutex_destroy(&r->mu);
	free(r->threads);
	ods_log(ODS_LOG_INFO, "jobs_stop owner=%s", r->owner);
	free(r);
}
