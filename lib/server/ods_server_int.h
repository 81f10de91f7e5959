/* lib/server/ods_server_int.h — helpers shared inside lib/ only (kcgi extern.h). */
#ifndef ODS_PRIVATE_H
#define ODS_PRIVATE_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

struct ods_conf;
struct ods_service;
struct ods_metrics;
struct ods_route;

/* GET /metrics, built into every pool (ods_worker.c matches it). */
extern const struct ods_route	 odsi_metrics_route;

/*
 * The scoreboard: one shared mapping per pool, created before fork. The
 * master reads it to enforce the request deadline and to report the pool;
 * each worker writes only its own slot.
 */
struct ods_sb_slot {
	_Atomic pid_t		 pid;		/* 0: free */
	_Atomic int		 gen;		/* reload generation */
	_Atomic uint64_t	 requests;	/* served by this worker */
};

struct ods_scoreboard {
	volatile int		 draining;	/* readiness answers 503 */
	int			 nslots;
	int			 nthreads;
	_Atomic uint64_t	 accepted;
	/* nslots slots, then nslots * nthreads request start times (ms) */
	struct ods_sb_slot	 slots[];
};

struct ods_scoreboard	*odsi_sb_new(int nslots, int nthreads, int shared);
void			 odsi_sb_free(struct ods_scoreboard *);
_Atomic int64_t		*odsi_sb_thread(struct ods_scoreboard *, int slot,
			    int thread);

/*
 * A worker's thread budgets (ods_budget.c): `slots` of its threads may
 * accept and serve short requests; a request that turns long (a stream,
 * or still running after --long-request-ms) gives its slot to another
 * thread, up to threads - slots long requests at once. slots >= threads
 * (or < 1): every thread accepts, nothing is ever moved.
 *
 * Each thread owns one seat. The seat's fields other than held are read
 * by the sweep from another thread.
 */
enum {
	ODSI_SEAT_IDLE = 0,
	ODSI_SEAT_SHORT,	/* serving, holds its slot */
	ODSI_SEAT_LONG		/* serving, its slot given away */
};

struct odsi_seat {
	_Atomic int		 state;
	_Atomic int64_t		 since;		/* the request's start, ms */
	int			 held;		/* holds a slot; owner only */
};

struct odsi_budget;

struct odsi_budget	*odsi_budget_new(int threads, int slots);
void			 odsi_budget_free(struct odsi_budget *);
/* 1 when the budget is split (some threads only serve long requests). */
int			 odsi_budget_split(const struct odsi_budget *);
/*
 * Before accepting: wait until the seat holds a slot (at once when it
 * kept its own). Returns 1, or 0 once odsi_budget_stop() was called.
 */
int			 odsi_budget_enter(struct odsi_budget *,
			    struct odsi_seat *);
/* A thread that exits gives back the slot it holds. */
void			 odsi_budget_leave(struct odsi_budget *,
			    struct odsi_seat *);
/* A request was accepted at now_ms (the seat holds a slot). */
void			 odsi_budget_begin(struct odsi_seat *, int64_t now_ms);
/*
 * The seat's request will take long: give its slot to another thread.
 * Returns 1 when it is in the long budget (now or before), 0 when that is
 * full or there is none (it keeps its slot).
 */
int			 odsi_budget_long(struct odsi_budget *,
			    struct odsi_seat *);
/* The request is done; the seat keeps its slot if it still had it. */
void			 odsi_budget_end(struct odsi_budget *,
			    struct odsi_seat *);
/*
 * Move every request of seats[0..n) that began after_ms or more before
 * now_ms to the long budget, while there is room. Returns how many moved.
 */
int			 odsi_budget_sweep(struct odsi_budget *,
			    struct odsi_seat *seats, int n, int64_t now_ms,
			    int after_ms);
/* Wake every thread waiting in odsi_budget_enter(), for good. */
void			 odsi_budget_stop(struct odsi_budget *);
/* The slots nobody holds and the requests in the long budget, now. */
void			 odsi_budget_counts(struct odsi_budget *,
			    int *free_slots, int *nlong);

/*
 * Run one worker: T threads accepting on listen_fd until SIGTERM,
 * SIGQUIT, SIGHUP or SIGINT, or max_requests served; in-flight requests
 * finish first. standalone: no master (spawn-fcgi), so the worker itself
 * keeps serving with readiness 503 for the drain delay. Returns the exit
 * status.
 */
int			 odsi_worker_run(const struct ods_service *,
			    const struct ods_conf *, int listen_fd,
			    struct ods_scoreboard *, int slot,
			    struct ods_metrics *, int standalone);

/*
 * The job runner of a worker process (ods_job.c), for a service with job
 * types. register_metrics: in the master, before the registry is made
 * (jobs_total, job_duration_seconds). start: after the worker's env
 * exists (db, redis, ctx; borrowed until stop); NULL when a thread could
 * not start. stop: no more claims; running jobs may finish within
 * budget_ms less a margin, then are told to stop and their leases are
 * given back; returns when every job thread has ended, and frees.
 */
struct runner;
struct ods_req_env;
enum ods_err		 odsi_job_register_metrics(void);
struct runner		*odsi_runner_start(const struct ods_service *,
			    const struct ods_req_env *, int slot);
void			 odsi_runner_stop(struct runner *, int budget_ms);

#endif /* ODS_PRIVATE_H */
