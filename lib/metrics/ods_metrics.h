/*
 * lib/metrics/ods_metrics.h — Prometheus registry shared by the workers of a pool.
 *
 * Integration (lib/ods_fcgi.c):
 *  1. At start-up, before fork: optional ods_metrics_register() for
 *     program-specific families, then m = ods_metrics_new(service, N).
 *     The standard families (enum ods_metrics_family) always exist.
 *  2. In each worker, right after fork: ods_metrics_bind(m, slot), where
 *     slot is the worker index 0..N-1. From then on every update made by
 *     that process (any thread) lands in its own slot, lock-free.
 *  3. In the master, after waitpid() reaped the worker of a slot and
 *     before forking its replacement: ods_metrics_retire(m, slot). Its
 *     counters and histograms are folded into the retired slot (so totals
 *     never go backwards); its live gauges are dropped.
 *  4. GET /metrics in any worker: ods_metrics_render(m, &buf), sent with
 *     ODS_METRICS_CONTENT_TYPE.
 *  5. Request loop: ods_metrics_pool_accepted() after each accept,
 *     ods_metrics_http_begin() before the handler, ods_metrics_http_end()
 *     after the response; ods_metrics_pool_slow_request() past the slowlog
 *     threshold. The master calls ods_metrics_pool_restart() and
 *     ods_metrics_pool_max_children_reached(). ods_fcgi_workers{state} is
 *     computed at render time from the bound slots and their in-flight
 *     requests (http_begin/http_end), as php-fpm counts idle and active.
 *     Each worker passes its listening socket to
 *     ods_metrics_pool_listen_fd() so /metrics shows the accept queue.
 *  6. Call bind before starting the worker's threads: the binding is a
 *     process-wide variable read without locks. Without a master
 *     (spawn-fcgi -F N forks independent copies) every process has its
 *     own registry, and a scrape sees one process only.
 *
 * Update functions write to the registry bound in the calling process
 * (the last ods_metrics_new or ods_metrics_bind); with none they do
 * nothing and return ODS_OK. Updates never fail the request: a label set
 * that does not fit (table full, value too long or not UTF-8) is counted
 * in the family's overflow series, all labels "__overflow__", and in
 * ods_metrics_series_overflow_total{family}, and logged once per process.
 * Label value arrays hold exactly as many strings as the family has
 * labels (NULL is fine for a family without labels).
 */
#ifndef ODS_METRICS_H
#define ODS_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "core/ods_err.h"

struct ods_buf;
struct ods_metrics;

#define ODS_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define ODS_METRICS_LABELS_MAX	 4	/* label names per family */
#define ODS_METRICS_BUCKETS_MAX	 24	/* finite histogram bounds */
#define ODS_METRICS_VALUES_MAX	 240	/* bytes of one series' values + NULs */
#define ODS_METRICS_SLOTS_MAX	 4096
#define ODS_METRICS_OVERFLOW	 "__overflow__"

/* Families every registry has; the value is the family id. */
enum ods_metrics_family {
	ODS_M_HTTP_REQUESTS,	/* counter {method,endpoint,status} */
	ODS_M_HTTP_DURATION,	/* histogram {method,endpoint} */
	ODS_M_HTTP_IN_PROGRESS,	/* gauge {method,endpoint} */
	ODS_M_HTTP_RESPONSE_SIZE, /* histogram {method,endpoint} */
	ODS_M_HTTP_ERRORS,	/* counter {method,endpoint,status}; 5xx */
	ODS_M_DB_CONNECTIONS,	/* counter {database,state} */
	ODS_M_DB_IN_USE,	/* gauge {database} */
	ODS_M_DB_DURATION,	/* histogram {database,operation} */
	ODS_M_CACHE_HITS,	/* counter {cache} */
	ODS_M_CACHE_MISSES,	/* counter {cache} */
	ODS_M_TASK_QUEUE_SIZE,	/* gauge {queue}, most recent value */
	ODS_M_BUSINESS_OPS,	/* counter {operation,status} */
	ODS_M_BUSINESS_DURATION, /* histogram {operation} */
	ODS_M_AI_REQUESTS,	/* counter {service,model,status} */
	ODS_M_AI_DURATION,	/* histogram {service,model} */
	ODS_M_AI_TOKENS,	/* counter {service,model,type} */
	ODS_M_RAG_DURATION,	/* histogram {method} */
	ODS_M_VECTOR_SCORE,	/* gauge {collection}, most recent value */
	ODS_M_ETL_JOBS,		/* counter {pipeline,status} */
	ODS_M_DATA_QUALITY,	/* gauge {dataset}, most recent value */
	ODS_M_FCGI_WORKERS,	/* gauge {state}, computed at render */
	ODS_M_FCGI_ACCEPTED,	/* counter */
	ODS_M_FCGI_LISTEN_QUEUE, /* gauge, most recent value */
	ODS_M_FCGI_LISTEN_QUEUE_LEN, /* gauge (backlog), most recent value */
	ODS_M_FCGI_MAX_CHILDREN, /* counter */
	ODS_M_SLOW_REQUESTS,	/* counter */
	ODS_M_FCGI_RESTARTS,	/* counter {reason} */
	ODS_M_SERIES_OVERFLOW,	/* counter {family} */
	ODS_M_BUILD_INFO,	/* gauge {service,version} = 1 */
	ODS_M_WB_DROPPED,	/* counter {queue} */
	ODS_M_WB_QUEUED,	/* gauge {queue}, each worker's share */
	ODS_M__STD
};

enum ods_metrics_type {
	ODS_METRICS_COUNTER,
	ODS_METRICS_GAUGE,
	ODS_METRICS_HISTOGRAM
};

/*
 * How a gauge combines over the slots. LIVESUM: each worker holds its
 * share, the exposition shows the sum of the live workers (a dead
 * worker's share is dropped). MOSTRECENT: the value last set by any
 * process of the pool, kept after its writer dies; a series never set
 * is not shown.
 */
enum ods_metrics_gauge_mode {
	ODS_METRICS_LIVESUM = 0,
	ODS_METRICS_MOSTRECENT
};

struct ods_metrics_def {
	const char			*name;	/* [a-zA-Z_:][a-zA-Z0-9_:]* */
	const char			*help;
	enum ods_metrics_type		 type;
	enum ods_metrics_gauge_mode	 mode;	/* gauges only */
	const char			*labels[ODS_METRICS_LABELS_MAX];
						/* NULL after the last */
	const double			*buckets;	/* ascending, finite */
	size_t				 nbuckets;
	unsigned			 max_series;	/* 1 .. 65536 */
};

/*
 * Add a family to the set every later ods_metrics_new() creates; the
 * definition is copied. Call before ods_metrics_new(), in the master,
 * once per family. *id receives the family id (>= ODS_M__STD).
 * Returns ODS_OK, ODS_EINVAL (bad name, label, bucket or size),
 * ODS_ECONFLICT (name taken) or ODS_ETOOBIG (too many families).
 */
enum ods_err	 ods_metrics_register(const struct ods_metrics_def *,
		    unsigned *id) ODS_MUSTCHECK;

/*
 * Create the shared mapping for a pool of nslots workers (1 ..
 * ODS_METRICS_SLOTS_MAX) plus the retired slot, which is also where the
 * creating process (the master) writes. Binds the caller to that slot.
 * Returns NULL (logged) on bad arguments or when mmap fails.
 * Owner: caller; ods_metrics_free() unmaps (children keep their mapping).
 */
struct ods_metrics *ods_metrics_new(const char *service, unsigned nslots);
void		 ods_metrics_free(struct ods_metrics *);	/* NULL ok */

/* Worker slots of the registry. */
unsigned	 ods_metrics_nslots(const struct ods_metrics *);

/*
 * In a freshly forked worker: make slot (0 .. nslots-1) the one this
 * process writes. Returns ODS_OK or ODS_EINVAL.
 */
enum ods_err	 ods_metrics_bind(struct ods_metrics *, unsigned slot)
		    ODS_MUSTCHECK;

/*
 * In the master, once the slot's worker is reaped: fold the slot into
 * the retired slot and zero it for the next worker. Safe while other
 * workers render (they retry). Returns ODS_OK or ODS_EINVAL.
 */
enum ods_err	 ods_metrics_retire(struct ods_metrics *, unsigned slot);

/*
 * Append the exposition (format 0.0.4) of the whole pool to buf.
 * Returns ODS_OK, ODS_ETOOBIG / ODS_ENOMEM (buf's cap or memory; buf
 * holds a truncated text the caller must not send) or ODS_EUNAVAIL
 * (retirements kept racing the snapshot; answer 503).
 */
enum ods_err	 ods_metrics_render(struct ods_metrics *, struct ods_buf *)
		    ODS_MUSTCHECK;

/*
 * Generic updates (bound registry). Return ODS_OK; ODS_EINVAL for an
 * unknown family, a wrong type, a negative or NaN counter increment, or
 * a NaN observation (nothing recorded); ODS_ENOSPC or ODS_EINVAL for a
 * label set that went to the overflow series (recorded there).
 */
enum ods_err	 ods_metrics_counter_add(unsigned fam, const char *const *lv,
		    double v);
enum ods_err	 ods_metrics_gauge_set(unsigned fam, const char *const *lv,
		    double v);
/* LIVESUM gauges only. */
enum ods_err	 ods_metrics_gauge_add(unsigned fam, const char *const *lv,
		    double v);
enum ods_err	 ods_metrics_observe(unsigned fam, const char *const *lv,
		    double v);

/*
 * Resolve a label set once (interning it in the shared table) and
 * update through the id: the id is valid in every process of the pool,
 * so it may be resolved in the master before fork. Returns as above;
 * on ODS_ENOSPC/ODS_EINVAL *sid is the overflow series. The _id
 * functions ignore an id or family out of range.
 */
enum ods_err	 ods_metrics_series(unsigned fam, const char *const *lv,
		    uint32_t *sid);
void		 ods_metrics_counter_add_id(unsigned fam, uint32_t sid, double);
void		 ods_metrics_gauge_set_id(unsigned fam, uint32_t sid, double);
void		 ods_metrics_gauge_add_id(unsigned fam, uint32_t sid, double);
void		 ods_metrics_observe_id(unsigned fam, uint32_t sid, double);

/*
 * Request path. endpoint is the route template ("/datasets/{id}"), or
 * "unknown" when no route matched; never the raw path. http_end counts
 * the request, its duration and response size, and 5xx statuses in
 * http_request_errors_total.
 */
void	 ods_metrics_http_begin(const char *method, const char *endpoint);
void	 ods_metrics_http_end(const char *method, const char *endpoint,
	    int status, double seconds, uint64_t response_bytes);

/*
 * Label values the dashboards and alert rules (k8s/monitoring) expect:
 * status "success" or "failed" for business operations and ETL jobs
 * (etl_jobs_total is fed with ods_metrics_counter_add), "success",
 * "error" or "timeout" for AI calls; operations "user_login" and
 * "workflow_run"; restart reasons "crash" (signal or non-zero exit),
 * "timeout" (killed past the request deadline), "max_requests", "reload".
 */

/* Observers for lib/ods_db (connected != 0: opened, 0: closed). */
void	 ods_metrics_db_connection(const char *database, int connected);
void	 ods_metrics_db_in_use(const char *database, int delta);
void	 ods_metrics_db_observe(const char *database, const char *operation,
	    double seconds);

void	 ods_metrics_cache(const char *cache, int hit);
void	 ods_metrics_business(const char *operation, const char *status,
	    double seconds);
/* One finished upstream AI call; tokens may be 0. */
void	 ods_metrics_ai(const char *service, const char *model,
	    const char *status, double seconds, uint64_t prompt_tokens,
	    uint64_t completion_tokens);

/*
 * Write-behind queues (lib/core/ods_batch; queue "audit", "usage"): a
 * record dropped because the ring was full, and the records waiting in
 * this process's ring.
 */
void	 ods_metrics_write_behind_dropped(const char *queue);
void	 ods_metrics_write_behind_queued(const char *queue, size_t n);

/* Pool state, from a worker (bound registry). */
void	 ods_metrics_pool_accepted(void);
void	 ods_metrics_pool_slow_request(void);
/*
 * The listening socket this worker accepts on (-1: none). At render the
 * current accept queue and backlog of a TCP or UNIX listener are read
 * from the kernel into ods_fcgi_listen_queue{,_length}.
 */
void	 ods_metrics_pool_listen_fd(int fd);

/* Pool state, from the master. reason: "crash", "max_requests", ... */
void	 ods_metrics_pool_restart(struct ods_metrics *, const char *reason);
void	 ods_metrics_pool_max_children_reached(struct ods_metrics *);
void	 ods_metrics_pool_listen_queue(struct ods_metrics *, unsigned queued,
	    unsigned backlog);

#endif /* ODS_METRICS_H */
