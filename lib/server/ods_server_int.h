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
