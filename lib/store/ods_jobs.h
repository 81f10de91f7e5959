/*
 * lib/store/ods_jobs.h — the durable job queue: the jobs table
 * (sql/0004_jobs.sql) is the truth, a Redis Stream only wakes workers.
 *
 * Producers call ods_jobs_enqueue (idempotent by key per creator and
 * type). Workers claim with ods_jobs_claim or, several at once,
 * ods_jobs_claim_batch (SELECT ... FOR UPDATE SKIP LOCKED, then a lease:
 * owner + expiry), keep the lease with
 * ods_jobs_heartbeat, and end with ods_jobs_finish. A lease that expires
 * (the worker died) is taken back by ods_jobs_reap. Every call takes a
 * pooled connection for one short statement or transaction and gives it
 * back: nothing holds a connection across a job's run.
 *
 * The claim of a job is identified by (id, owner, attempt): every write a
 * worker makes about a claimed job names all three, so a worker whose
 * lease was taken over can no longer change the row.
 */
#ifndef ODS_JOBS_H
#define ODS_JOBS_H

#include <stddef.h>
#include <stdint.h>

#include "core/ods_err.h"

struct ods_db;
struct ods_jw;
struct ods_redis;

#define ODS_JOBS_TYPE_MAX	64	/* bytes of a type name */
#define ODS_JOBS_KEY_MAX	128	/* idempotency key, created_by, owner */
#define ODS_JOBS_MSG_MAX	255	/* progress message */
#define ODS_JOBS_ERROR_MAX	4000	/* error text kept */
#define ODS_JOBS_ATTEMPTS_MAX	100
#define ODS_JOBS_STREAM		"ods:jobs:wake"	/* Redis Stream key */
#define ODS_JOBS_GROUP		"ods-worker"	/* its consumer group */

enum ods_jobs_status {
	ODS_JOBS_QUEUED = 0,
	ODS_JOBS_RUNNING,
	ODS_JOBS_SUCCEEDED,
	ODS_JOBS_FAILED,
	ODS_JOBS_CANCELLED
};

/* "queued", ...; ods_jobs_status_parse: 0, or -1 for an unknown name. */
const char	*ods_jobs_status_name(enum ods_jobs_status);
int		 ods_jobs_status_parse(const char *, enum ods_jobs_status *);

/* What to enqueue; strings borrowed. */
struct ods_jobs_spec {
	const char	*type;		/* required, [a-z0-9_.-], <= 64 */
	const char	*payload;	/* a JSON object; NULL: {} */
	const char	*created_by;	/* user id; NULL: "" (system) */
	const char	*idempotency_key; /* NULL: none */
	int		 max_attempts;	/* 0: 3 */
	int64_t		 delay_ms;	/* run no sooner than now + delay */
};

/*
 * Insert a queued job, then XADD its id to the wake-up stream (best
 * effort: with Redis down or redis NULL the workers find it by polling).
 * With an idempotency key already used by the same creator for the same
 * type, nothing is inserted: *id is that job and *existed 1. Returns
 * ODS_OK, ODS_EINVAL (bad type, payload not a JSON object, sizes), or the
 * errors of ods_db.
 */
enum ods_err	 ods_jobs_enqueue(struct ods_db *, struct ods_redis *,
		    const struct ods_jobs_spec *, int64_t *id, int *existed)
		    ODS_MUSTCHECK;

/* A claimed job; strings malloc'ed, freed by ods_jobs_claim_fini. */
struct ods_jobs_claim {
	int64_t	 id;
	char	*type;
	char	*payload;
	char	*created_by;
	int	 attempt;		/* 1 for the first run */
	int	 max_attempts;
};
void		 ods_jobs_claim_fini(struct ods_jobs_claim *);

/*
 * Take the oldest due queued job: status running, owner, lease until now
 * + lease_ms, attempts + 1, started_at set on the first run. Jobs locked
 * by another claim in progress are skipped, never waited for. One
 * statement when nothing is due, two otherwise. Returns ODS_OK,
 * ODS_ENOTFOUND (nothing due), or the errors of ods_db.
 */
enum ods_err	 ods_jobs_claim(struct ods_db *, const char *owner,
		    int lease_ms, struct ods_jobs_claim *) ODS_MUSTCHECK;

#define ODS_JOBS_CLAIM_MAX	64	/* jobs one batch claim takes */

/*
 * The same for up to max (1..ODS_JOBS_CLAIM_MAX) jobs at once, oldest
 * first, in the same two statements: cl[0..*n) are filled (each released
 * with ods_jobs_claim_fini). Every job claimed is leased from now, so the
 * caller claims only what it can start at once. Returns as ods_jobs_claim,
 * or ODS_EINVAL for a bad max.
 */
enum ods_err	 ods_jobs_claim_batch(struct ods_db *, const char *owner,
		    int lease_ms, struct ods_jobs_claim *cl, size_t max,
		    size_t *n) ODS_MUSTCHECK;

/*
 * Extend the lease of every running job of owner to now + lease_ms, and
 * report them: ids[i] with cancel[i] non-zero when a cancel was asked.
 * At most max are reported (*n); a job of ours missing from the list has
 * been taken over (its lease expired) or ended. Returns ODS_OK or the
 * errors of ods_db.
 */
enum ods_err	 ods_jobs_heartbeat(struct ods_db *, const char *owner,
		    int lease_ms, int64_t *ids, int *cancel, size_t max,
		    size_t *n) ODS_MUSTCHECK;

/*
 * Give back a running job of owner that no thread of the owner runs (its
 * claim's read-back failed): queued again at once, the attempt not
 * counted. Returns ODS_OK, ODS_ENOTFOUND, or the errors of ods_db.
 */
enum ods_err	 ods_jobs_abandon(struct ods_db *, int64_t id,
		    const char *owner) ODS_MUSTCHECK;

/* pct clamped to 0..100, msg (may be NULL) cut to ODS_JOBS_MSG_MAX. */
enum ods_err	 ods_jobs_progress(struct ods_db *, int64_t id,
		    const char *owner, int attempt, int pct, const char *msg)
		    ODS_MUSTCHECK;

/* How a claimed run ended. */
enum ods_jobs_outcome {
	ODS_JOBS_DONE,		/* succeeded: result (JSON or NULL) */
	ODS_JOBS_ERROR,		/* failed: again after a backoff while
				   attempts remain, else failed */
	ODS_JOBS_STOPPED,	/* cancelled on request */
	ODS_JOBS_RELEASE	/* not run (shutting down, unknown type): back
				   to queued after delay, attempt not counted */
};

/*
 * Record the end of a claimed run. ODS_JOBS_ERROR: with attempts left
 * the job is queued again with run_after = now + backoff_ms * 2^(attempt
 * - 1) (at most 1 hour), else it is failed; error (may be NULL) is kept
 * either way. ODS_JOBS_RELEASE: backoff_ms is the delay. *status (may be
 * NULL) is the status written. Returns ODS_OK, ODS_ENOTFOUND (the claim
 * is no longer ours: the lease was taken over), ODS_EINVAL (result not
 * JSON), or the errors of ods_db.
 */
enum ods_err	 ods_jobs_finish(struct ods_db *, int64_t id,
		    const char *owner, int attempt, enum ods_jobs_outcome,
		    const char *result, const char *error, int backoff_ms,
		    enum ods_jobs_status *status) ODS_MUSTCHECK;

/* One succeeded run of a batch (ods_jobs_finish_done). */
struct ods_jobs_done {
	int64_t		 id;
	int		 attempt;
	const char	*result;	/* JSON text or NULL; borrowed */
	enum ods_err	 er;		/* out: ODS_OK, ODS_ENOTFOUND, ... */
};

#define ODS_JOBS_FINISH_MAX	8	/* runs one statement records */

/*
 * ods_jobs_finish(..., ODS_JOBS_DONE, ...) for n runs of owner at once,
 * one statement for up to ODS_JOBS_FINISH_MAX of them (so the runs that
 * end together cost one round trip and one commit). Each done[i].er says
 * how that run went: ODS_OK, ODS_ENOTFOUND (no longer ours), ODS_EINVAL
 * (its result is not JSON: not written), or the statement's error.
 * Returns ODS_OK when every run is ODS_OK, else the first other er (the
 * caller reads done[].er either way).
 */
enum ods_err	 ods_jobs_finish_done(struct ods_db *, const char *owner,
		    struct ods_jobs_done *done, size_t n);

/*
 * Take back running jobs whose lease expired: queued again when attempts
 * remain, failed ("lease expired") otherwise. *requeued and *failed (may
 * be NULL) count them. Returns ODS_OK or the errors of ods_db.
 */
enum ods_err	 ods_jobs_reap(struct ods_db *, size_t *requeued,
		    size_t *failed) ODS_MUSTCHECK;

/*
 * Cancel job id, of created_by only unless created_by is NULL (admin,
 * operator): a queued job is cancelled at once, a running one is asked to
 * stop (its handler sees it within a heartbeat). *status (may be NULL) is
 * the status after the call. Returns ODS_OK, ODS_ENOTFOUND (no such job
 * of that creator), ODS_ECONFLICT (already succeeded, failed or
 * cancelled), or the errors of ods_db.
 */
enum ods_err	 ods_jobs_cancel(struct ods_db *, int64_t id,
		    const char *created_by, enum ods_jobs_status *status)
		    ODS_MUSTCHECK;

/*
 * Queue a failed or cancelled job again with a fresh set of attempts,
 * and wake a worker. Returns ODS_OK, ODS_ENOTFOUND, ODS_ECONFLICT (it is
 * queued, running or succeeded), or the errors of ods_db.
 */
enum ods_err	 ods_jobs_retry(struct ods_db *, struct ods_redis *,
		    int64_t id) ODS_MUSTCHECK;

/* One row as read; strings malloc'ed (NULL for SQL NULL). */
struct ods_jobs_row {
	int64_t			 id;
	char			*type;
	char			*payload;	/* JSON text */
	enum ods_jobs_status	 status;
	int			 attempts;
	int			 max_attempts;
	int			 progress;
	char			*progress_message;
	char			*result;	/* JSON text or NULL */
	char			*error;
	char			*created_by;
	char			*idempotency_key;
	char			*lease_owner;
	int			 cancel_requested;
	/* "YYYY-MM-DD hh:mm:ss.fff" UTC, or NULL */
	char			*created_at, *updated_at, *started_at;
	char			*finished_at, *run_after, *lease_expires_at;
};
void		 ods_jobs_row_fini(struct ods_jobs_row *);
/*
 * The row as the API shows it: {id, job_id, type, status, payload,
 * attempts, max_attempts, progress, progress_message, result, error,
 * created_by, idempotency_key, cancel_requested, lease_owner, created_at,
 * updated_at, started_at, finished_at, run_after, lease_expires_at},
 * times as ISO-8601 UTC ("...Z") or null.
 */
void		 ods_jobs_row_json(struct ods_jw *,
		    const struct ods_jobs_row *);
void		 ods_jobs_rows_free(struct ods_jobs_row *, size_t n);

/*
 * Job id, of created_by only unless created_by is NULL. Returns ODS_OK,
 * ODS_ENOTFOUND (also for another creator's job), or the errors of
 * ods_db.
 */
enum ods_err	 ods_jobs_get(struct ods_db *, int64_t id,
		    const char *created_by, struct ods_jobs_row *)
		    ODS_MUSTCHECK;

/* Filters of a listing; NULL members do not filter. */
struct ods_jobs_filter {
	const char	*created_by;
	const char	*type;
	const char	*status;	/* a status name */
};

/*
 * Newest first, limit rows from offset: *rows (ods_jobs_rows_free) and
 * *n of them, *total (may be NULL) matching in all. Returns ODS_OK,
 * ODS_EINVAL (unknown status), or the errors of ods_db.
 */
enum ods_err	 ods_jobs_list(struct ods_db *, const struct ods_jobs_filter *,
		    int64_t limit, int64_t offset, struct ods_jobs_row **rows,
		    size_t *n, int64_t *total) ODS_MUSTCHECK;

/* Queued jobs that are due now (the task_queue_size gauge). */
enum ods_err	 ods_jobs_queued(struct ods_db *, int64_t *n) ODS_MUSTCHECK;

/*
 * Wait at most block_ms for a wake-up on the stream (XREADGROUP of group
 * ODS_JOBS_GROUP as consumer, NOACK: each wake-up reaches one waiter of
 * all workers), creating the group when missing. redis's timeout must
 * exceed block_ms. Returns ODS_OK (woken), ODS_ETIMEOUT (nothing came),
 * ODS_EUNAVAIL (Redis down: poll instead).
 */
enum ods_err	 ods_jobs_wait(struct ods_redis *, const char *consumer,
		    int block_ms);

/* XADD a wake-up for job id (best effort; errors are only logged). */
void		 ods_jobs_wake(struct ods_redis *, int64_t id);

#endif /* ODS_JOBS_H */
