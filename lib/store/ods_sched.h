/*
 * lib/store/ods_sched.h — schedules: cron expressions (core/ods_cron.h,
 * on a time zone's wall clock) or fixed intervals, stored in MariaDB
 * (sql/0003_schedules.sql), each naming a job type and payload to enqueue
 * when due.
 *
 * Any number of workers on any number of machines call ods_sched_run_due
 * in a loop. A due schedule is claimed by exactly one of them: a
 * compare-and-set UPDATE on (next_due_at, trigger_seq) while no live
 * lease holds the row takes a lease of ODS_SCHED_LEASE_S; the claimer
 * fires (the connection released meanwhile), then moves next_due_at to the
 * first due time strictly after now, so runs missed while every worker
 * was down coalesce into one. A failed fire releases the lease and
 * leaves next_due_at: the next call (on any worker) fires it again.
 *
 * Times are UTC seconds since the epoch; 0 means none. "now" is the
 * caller's clock (time(NULL) in ods-worker): workers are assumed to keep
 * their clocks in step (NTP) well within the lease.
 */
#ifndef ODS_SCHED_H
#define ODS_SCHED_H

#include <stddef.h>
#include <stdint.h>

#include "core/ods_err.h"

struct ods_db;

#define ODS_SCHED_NAME_MAX	128	/* bytes */
#define ODS_SCHED_JOB_TYPE_MAX	64	/* [a-z0-9_.:-] */
#define ODS_SCHED_PAYLOAD_MAX	65536	/* bytes of JSON */
#define ODS_SCHED_INTERVAL_MAX	31622400	/* 366 days, seconds */
#define ODS_SCHED_LEASE_S	60	/* a claim's lease */
#define ODS_SCHED_BATCH		32	/* claims per ods_sched_run_due */
#define ODS_SCHED_LIST_MAX	1000	/* rows per ods_sched_list */

enum ods_sched_kind {
	ODS_SCHED_CRON = 1,
	ODS_SCHED_INTERVAL
};

/* What a schedule is: the input of create and update (all borrowed). */
struct ods_sched_spec {
	const char		*name;		/* unique, 1-128 bytes */
	enum ods_sched_kind	 kind;
	const char		*cron;		/* kind CRON */
	int64_t			 interval_s;	/* kind INTERVAL */
	const char		*tz;		/* NULL or "": "UTC"; callers
						   pass conf->schedule_tz */
	const char		*job_type;
	const char		*payload;	/* JSON text or NULL */
	int			 paused;	/* create it paused */
	const char		*created_by;	/* NULL: none */
};

/* A stored schedule. */
struct ods_sched {
	int64_t			 id;
	char			 name[ODS_SCHED_NAME_MAX + 1];
	enum ods_sched_kind	 kind;
	char			 cron[257];
	int64_t			 interval_s;
	char			 tz[65];
	char			 job_type[ODS_SCHED_JOB_TYPE_MAX + 1];
	char			*payload;	/* JSON text or NULL; owned */
	int			 enabled;	/* 0: paused */
	int64_t			 next_due_at;
	int64_t			 trigger_seq, trigger_done;
	int64_t			 last_due_at, last_run_at;
	int64_t			 run_count;
	char			 created_by[129];
	int64_t			 created_at, updated_at;
};

/* One run handed to the fire callback of ods_sched_run_due. */
struct ods_sched_run {
	const struct ods_sched	*sched;
	int64_t			 due_at;   /* the regular due time, or now */
	int			 manual;   /* only a trigger made it due */
	/*
	 * Stable for this run across retries ("sched:<id>:<due_at>" or
	 * "sched:<id>:m<seq>"): enqueue with it as the job's idempotency
	 * key, so the rare fire repeated after a lost lease is one job.
	 */
	char			 idem_key[64];
};

/*
 * Claim the schedules due at now (at most ODS_SCHED_BATCH), fire each
 * once, and advance them. fire(arg, run) is called for each run claimed,
 * with no database connection held: it returns ODS_OK once the job is
 * enqueued; anything else releases the claim so the run is retried at
 * the next call. owner names the worker in the lease ("host:
 * pid"). *fired (may be NULL) counts runs fired and recorded. Returns
 * ODS_OK, or the first database error (ODS_EUNAVAIL, ODS_ETIMEOUT...):
 * nothing is lost, the next call goes on.
 */
enum ods_err	 ods_sched_run_due(struct ods_db *, const char *owner,
		    int64_t now,
		    enum ods_err (*fire)(void *arg, const struct ods_sched_run *),
		    void *arg, unsigned *fired) ODS_MUSTCHECK;

struct ods_redis;

/*
 * ods_sched_run_due with the job queue as fire: each due run becomes a
 * job of the schedule's type and payload (ods_jobs_enqueue), created by
 * the schedule's creator, with the run's idem_key as its idempotency key,
 * so a run fired twice after a lost lease is still one job. redis (may
 * be NULL) only wakes the workers.
 */
enum ods_err	 ods_sched_enqueue_due(struct ods_db *, struct ods_redis *,
		    const char *owner, int64_t now, unsigned *fired)
		    ODS_MUSTCHECK;

/*
 * Create the schedule spec names unless one of that name exists (an
 * operator's changes to it, a pause included, are kept): for the
 * built-in schedules a worker makes at start. ODS_OK either way.
 */
enum ods_err	 ods_sched_ensure(struct ods_db *, const struct ods_sched_spec *,
		    int64_t now, struct ods_why *) ODS_MUSTCHECK;

/*
 * Validate spec and store it, due first at its first due time after now
 * (an interval: now + interval). *id (may be NULL) is the new id.
 * Returns ODS_OK, ODS_EINVAL (why names the field: name, kind, cron_expr,
 * interval_seconds, time_zone, job_type, payload, created_by),
 * ODS_ECONFLICT (the name is taken) or a database error.
 */
enum ods_err	 ods_sched_create(struct ods_db *, const struct ods_sched_spec *,
		    int64_t now, int64_t *id, struct ods_why *) ODS_MUSTCHECK;
/*
 * Replace the definition of schedule id (spec.paused and created_by are
 * ignored). When its timing (kind, cron, interval, zone) changes, it is
 * next due at its first due time after now; otherwise its cadence holds.
 * Returns as create, or ODS_ENOTFOUND.
 */
enum ods_err	 ods_sched_update(struct ods_db *, int64_t id,
		    const struct ods_sched_spec *, int64_t now,
		    struct ods_why *) ODS_MUSTCHECK;
/* *out is new (ods_sched_free). ODS_OK, ODS_ENOTFOUND or a DB error. */
enum ods_err	 ods_sched_get(struct ods_db *, int64_t id,
		    struct ods_sched **out) ODS_MUSTCHECK;
enum ods_err	 ods_sched_get_by_name(struct ods_db *, const char *name,
		    struct ods_sched **out) ODS_MUSTCHECK;
/*
 * Schedules ordered by id from offset (limit at most ODS_SCHED_LIST_MAX):
 * *out is a new array of *n (ods_sched_list_free), *total (may be NULL)
 * all of them.
 */
enum ods_err	 ods_sched_list(struct ods_db *, size_t offset, size_t limit,
		    struct ods_sched **out, size_t *n, int64_t *total)
		    ODS_MUSTCHECK;
void		 ods_sched_free(struct ods_sched *);	/* NULL is a no-op */
void		 ods_sched_list_free(struct ods_sched *, size_t n);

/* ODS_OK or ODS_ENOTFOUND (or a DB error) for the four below. */
enum ods_err	 ods_sched_delete(struct ods_db *, int64_t id) ODS_MUSTCHECK;
/* No regular runs until resumed (a run in progress completes). */
enum ods_err	 ods_sched_pause(struct ods_db *, int64_t id) ODS_MUSTCHECK;
/*
 * Regular runs again, next at the first due time after now: what fell
 * due while paused is skipped, not coalesced. Resuming a running
 * schedule changes nothing.
 */
enum ods_err	 ods_sched_resume(struct ods_db *, int64_t id, int64_t now)
		    ODS_MUSTCHECK;
/*
 * Run once at the next ods_sched_run_due, paused or not, without moving
 * the regular cadence. Requests made before that run coalesce into it.
 */
enum ods_err	 ods_sched_trigger(struct ods_db *, int64_t id) ODS_MUSTCHECK;

/*
 * The first due time of s's timing strictly after t: cron on its zone's
 * wall clock; an interval, from, the due time it counts from (next =
 * from + k * interval > t, k >= 1; from 0: t + interval). Returns ODS_OK,
 * ODS_EINVAL (bad expression or zone; why says which) or ODS_ENOTFOUND.
 */
enum ods_err	 ods_sched_next(const struct ods_sched *, int64_t from,
		    int64_t t, int64_t *next, struct ods_why *) ODS_MUSTCHECK;

#endif /* ODS_SCHED_H */
