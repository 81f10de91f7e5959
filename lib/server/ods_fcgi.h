/* lib/server/ods_fcgi.h — the process model: a prefork master and threaded workers. */
#ifndef ODS_FCGI_H
#define ODS_FCGI_H

#include "core/ods_err.h"

#include <stddef.h>

#include "server/ods_router.h"

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

#endif /* ODS_FCGI_H */
