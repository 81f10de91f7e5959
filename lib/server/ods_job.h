/*
 * lib/server/ods_job.h — background jobs as a service runs them (ods-worker).
 *
 * A service with job types (struct ods_service .job_types) runs, in each
 * worker process beside its FastCGI threads, ODS_WORKER_CONCURRENCY job
 * threads and one maintenance thread. A job thread claims a due job from
 * the queue (lib/store/ods_jobs.h), runs its type's handler, and records
 * the outcome. A process runs one claim at a time, for every job thread
 * that is neither in a handler nor waiting for a wake-up (a batch, one
 * statement), and records the runs that succeed together in one statement
 * (group commit). When nothing is due a thread waits for a Redis Stream
 * wake-up,
 * or polls every ODS_JOB_POLL_MS while Redis is down. The maintenance
 * thread keeps the leases of the running jobs (and learns of cancel
 * requests), takes back expired leases of dead workers, sets
 * task_queue_size{queue="jobs"}, and calls the service's tick hook (due
 * schedules).
 *
 * A handler runs on its job thread and may take as long as it needs; it
 * holds no pooled connection between steps (ods_db's per-call deadline),
 * and calls ods_job_stopping() between steps: cancellation is
 * cooperative. It returns ODS_OK (succeeded, with ods_job_set_result),
 * or an error: when the job is stopping the run ends cancelled (a cancel
 * request) or is given back to the queue (shutdown), otherwise it is
 * retried with exponential backoff until max_attempts, then failed with
 * the message of ods_job_set_error (or the error's name).
 */
#ifndef ODS_JOB_H
#define ODS_JOB_H

#include <stdint.h>

#include "core/ods_err.h"

struct json_object;
struct ods_req_env;
struct ods_job;		/* one claimed run; used by its own thread only */

typedef enum ods_err (*ods_job_handler)(struct ods_job *);

/* One row of a service's job-type table, like a route row. */
struct ods_job_type {
	const char	*name;		/* the jobs.type value */
	ods_job_handler	 handler;
};

int64_t		 ods_job_id(const struct ods_job *);
const char	*ods_job_type(const struct ods_job *);
/* 1 for the first run. */
int		 ods_job_attempt(const struct ods_job *);
/* The payload, a JSON object, as text and parsed (borrowed for the run). */
const char	*ods_job_payload(const struct ods_job *);
struct json_object *ods_job_json(const struct ods_job *);
/* Who enqueued it ("" for the system). */
const char	*ods_job_created_by(const struct ods_job *);
/* The worker's database, Redis, configuration and service context. */
const struct ods_req_env *ods_job_env(const struct ods_job *);

/*
 * Non-zero when the handler should stop at its next step and return an
 * error: a cancel was requested (seen within a heartbeat, 500 ms), the
 * lease could not be kept (another worker may take the job), or the
 * worker is shutting down and the drain budget is nearly spent.
 */
int		 ods_job_stopping(const struct ods_job *);
/*
 * Non-zero when the stop is a cancel request (ods_job_stopping is also
 * true for a shutdown and a lost lease, after which the job runs again).
 */
int		 ods_job_cancelled(const struct ods_job *);
/* Sleep up to ms; returns early, non-zero, when the job is stopping. */
int		 ods_job_sleep(const struct ods_job *, int ms);

/* Record progress 0..100 and a message (printf format; may be NULL). */
enum ods_err	 ods_job_progress(struct ods_job *, int pct,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The result kept on success: JSON text, copied. */
void		 ods_job_set_result(struct ods_job *, const char *json);
/* The error kept on failure (printf format). */
void		 ods_job_set_error(struct ods_job *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

#endif /* ODS_JOB_H */
