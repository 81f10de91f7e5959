/* lib/server/ods_fcgi.h — the process model: a prefork master and threaded workers. */
#ifndef ODS_FCGI_H
#define ODS_FCGI_H

#include "core/ods_err.h"

#include <stddef.h>

#include "server/ods_router.h"

struct ods_job_type;
struct ods_path_alias;

/*
 * What a FastCGI program is; main() passes one to ods_fcgi_main(). Write
 * it with designated initialisers (.name = "data-api", ...): every field
 * but name, version and routes may be left out.
 */
struct ods_service {
	const char		*name;		/* "data-api": logs, health */
	const char		*version;
	const struct ods_route	*routes;
	size_t			 nroutes;
	const char *const	*prefixes;	/* stripped, longest first */
	/* Tried before the prefixes (net/ods_req.h); NULL from ends it. */
	const struct ods_path_alias *aliases;
	int			 default_threads; /* without --threads */
	int			 openai_errors;	/* /v1/ errors in OpenAI shape */
	/*
	 * The pool serves objects: each worker opens the object store
	 * (env->obj, ods_obj_new) and readiness reports it (checks.storage).
	 */
	int			 object_store;
	/*
	 * Optional hooks. register_metrics runs once in the master before
	 * the pool's metric registry is made (the service's own families).
	 * init runs in each worker after the fork, once its database, Redis
	 * and auth exist (env), and before any request: it makes the
	 * service's own context (LLM client, vector readers, object store),
	 * which handlers reach as ods_req_ctx(); a failure stops the worker.
	 * fini runs after the worker's threads have stopped and before its
	 * connections close: flush queued writes, free the context.
	 */
	enum ods_err		(*register_metrics)(void);
	enum ods_err		(*init)(const struct ods_req_env *, void **ctx);
	void			(*fini)(void *ctx);
	/* Before each /metrics render (may be NULL): ods_req_env.scrape. */
	void			(*scrape)(const struct ods_req_env *,
				    void *ctx);
	/*
	 * Background jobs (ods-worker; server/ods_job.h): with job types,
	 * each worker also runs ODS_WORKER_CONCURRENCY job threads beside
	 * its FastCGI threads, which then serve only health and metrics.
	 * SIGTERM/SIGQUIT/SIGHUP let running jobs finish within the drain
	 * timeout, else give their leases back before it. tick (optional)
	 * runs about once a second in every worker, on the runner's
	 * maintenance thread: where due schedules are claimed and enqueued.
	 */
	const struct ods_job_type *job_types;
	size_t			 njob_types;
	void			(*tick)(const struct ods_req_env *, void *ctx);
};

/*
 * Parse the command line and the environment, then serve until told to
 * stop. Standalone (--listen) or with --workers, a master preforks the
 * workers and supervises them (respawn, SIGTERM/SIGQUIT drain, SIGHUP
 * reload, max-requests recycling, request deadline); under spawn-fcgi
 * (listening socket on fd 0, no --workers) the process serves itself.
 * Returns the process exit status.
 */
int	ods_fcgi_main(int argc, char *argv[], const struct ods_service *);

/*
 * The request deadline (--request-timeout) counts from the last sign of
 * progress, not from the start: the calling thread's request is alive.
 * Every flush to the client calls it, every piece of a request body read
 * and of a response written (a streamed upload or download), and so do
 * the streaming LLM calls on each piece from the upstream, so a long
 * stream that keeps moving is not killed as stuck. A no-op outside a
 * worker's request thread.
 */
void	ods_worker_progress(void);

/*
 * The calling thread's request will take long (a stream, a wait on an
 * upstream): it gives its accept slot to another thread of the worker,
 * so that short requests keep being accepted while it runs
 * (--short-threads). Requests still running after --long-request-ms are
 * moved the same way without asking; calling it when a stream is known
 * saves the wait. A no-op when the long budget is full, when there is
 * none, and outside a worker's request thread.
 */
void	ods_worker_long(void);

#endif /* ODS_FCGI_H */
