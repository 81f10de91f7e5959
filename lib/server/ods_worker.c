/* lib/server/ods_worker.c — one worker process: T threads, each accepting requests. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "auth/ods_auth.h"
#include "core/ods_conf.h"
#include "store/ods_db.h"
#include "server/ods_fcgi.h"
#include "server/ods_health.h"
#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "metrics/ods_metrics.h"
#include "server/ods_server_int.h"
#include "store/ods_obj.h"
#include "store/ods_redis.h"
#include "net/ods_req.h"
#include "server/ods_router.h"
#include "core/ods_time.h"

struct worker;

struct wthread {
	struct worker	*w;
	pthread_t	 tid;
	int		 index;
	int		 ep;		/* epoll: listen (exclusive) + stop */
	struct odsi_seat *seat;		/* &w->seats[index] */
};

struct worker {
	const struct ods_service	*svc;
	const struct ods_conf		*conf;
	struct ods_router		*router;
	struct ods_scoreboard		*sb;
	struct ods_metrics		*metrics;
	struct ods_req_env		 env;
	int				 slot;
	int				 listen_fd;
	int				 stop_pipe[2];
	atomic_int			 stopping;
	atomic_uint_fast64_t		 served;
	struct wthread			*threads;
	int				 nthreads;
	struct odsi_budget		*budget;	/* short and long */
	struct odsi_seat		*seats;		/* one per thread */
	int				 nshort;	/* accept slots */
	int				 inited;	/* svc->init ran */
	struct runner			*runner;	/* job threads */
};

/* ---- the clock and the scoreboard ---- */

static size_t
sb_size(int nslots, int nthreads)
{
	return sizeof(struct ods_scoreboard) +
	    (size_t)nslots * sizeof(struct ods_sb_slot) +
	    (size_t)nslots * (size_t)nthreads * sizeof(_Atomic int64_t);
}

struct ods_scoreboard *
odsi_sb_new(int nslots, int nthreads, int shared)
{
	struct ods_scoreboard	*sb;
	size_t			 n = sb_size(nslots, nthreads);

	sb = mmap(NULL, n, PROT_READ | PROT_WRITE,
	    (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS, -1, 0);
	if (sb == MAP_FAILED) {
		ods_log(ODS_LOG_ERR | ODS_LOG_ERRNO, "scoreboard_mmap bytes=%zu",
		    n);
		return NULL;
	}
	sb->nslots = nslots;
	sb->nthreads = nthreads;
	return sb;
}

void
odsi_sb_free(struct ods_scoreboard *sb)
{
	if (sb != NULL)
		munmap(sb, sb_size(sb->nslots, sb->nthreads));
}

_Atomic int64_t *
odsi_sb_thread(struct ods_scoreboard *sb, int slot, int thread)
{
	_Atomic int64_t	*base;

	base = (_Atomic int64_t *)(void *)&sb->slots[sb->nslots];
	return &base[slot * sb->nthreads + thread];
}

/* This thread's scoreboard cell while it serves a request, else NULL. */
static _Thread_local _Atomic int64_t *tl_busy;
/* This thread, while it serves a request, else NULL. */
static _Thread_local struct wthread *tl_thread;

void
ods_worker_progress(void)
{
	if (tl_busy != NULL)
		atomic_store(tl_busy, ods_now_ms());
}

void
ods_worker_long(void)
{
	struct wthread	*t = tl_thread;

	if (t != NULL)
		(void)odsi_budget_long(t->w->budget, t->seat);
}

/* ---- FastCGI I/O for ods_req ---- */

static long
io_read(void *ctx, char *buf, size_t n)
{
	FCGX_Request	*fr = ctx;
	int		 got;

	got = FCGX_GetStr(buf, n > INT32_MAX ? INT32_MAX : (int)n, fr->in);
	if (got == 0 && FCGX_GetError(fr->in) != 0)
		return -1;
	/* A streamed upload that keeps arriving is not stuck. */
	if (got > 0)
		ods_worker_progress();
	return got;
}

/*
 * A write failed (the client is gone, or it timed out: send_timeout
 * below): shut the connection so that whatever else this request writes,
 * FCGX_Finish_r's records included, fails at once instead of blocking
 * for another send timeout.
 */
static int
io_fail(FCGX_Request *fr)
{
	if (fr->ipcFd >= 0)
		(void)shutdown(fr->ipcFd, SHUT_RDWR);
	return -1;
}

static int
io_write(void *ctx, const char *buf, size_t n)
{
	FCGX_Request	*fr = ctx;
	size_t		 off;
	int		 chunk;

	for (off = 0; off < n; off += (size_t)chunk) {
		chunk = n - off > INT32_MAX ? INT32_MAX : (int)(n - off);
		if (FCGX_PutStr(buf + off, chunk, fr->out) != chunk)
			return io_fail(fr);
	}
	/*
	 * Nor is a download that keeps leaving (a write that blocks has its
	 * own send timeout, below).
	 */
	ods_worker_progress();
	return 0;
}

static int
io_flush(void *ctx)
{
	FCGX_Request	*fr = ctx;

	if (FCGX_FFlush(fr->out) < 0 || FCGX_GetError(fr->out) != 0)
		return io_fail(fr);
	ods_worker_progress();
	return 0;
}

/*
 * nginx sends nothing more on a request's connection once its body is
 * in: a hang-up, or end of file, means it closed it (its client left).
 */
static int
io_gone(void *ctx)
{
	FCGX_Request	*fr = ctx;
	struct pollfd	 p;
	char		 c;

	if (fr->ipcFd < 0)
		return 1;
	p.fd = fr->ipcFd;
	p.events = POLLIN | POLLRDHUP;
	p.revents = 0;
	if (poll(&p, 1, 0) <= 0)
		return 0;
	if (p.revents & (POLLHUP | POLLERR | POLLRDHUP | POLLNVAL))
		return 1;
	return recv(fr->ipcFd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

/*
 * A write to nginx that blocks (its client stopped reading a stream)
 * records no progress, and at --request-timeout the master would SIGKILL
 * the whole worker, cutting every other request it serves. The FastCGI
 * connection gets a send timeout of half that deadline instead: the
 * blocked write fails, only its request ends (as a client gone). It is
 * set per accepted connection: set once on the listening unix socket,
 * the accepted ones did not inherit it (tried: proxy-stalled-reader
 * failed).
 */
static void
send_timeout(const struct worker *w, int fd)
{
	struct timeval	tv;
	int		s = w->conf->request_timeout / 2;

	tv.tv_sec = s > 0 ? s : 1;
	tv.tv_usec = 0;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		ods_log(ODS_LOG_WARN | ODS_LOG_ERRNO, "fcgi_send_timeout");
}

/* ---- one request ---- */

const struct ods_route odsi_metrics_route = {
	ODS_GET, "/metrics", ods_health_metrics, ODS_AUTH_OPEN, NULL
};

/* Everything between matching the route and the handler's answer. */
static enum ods_status
dispatch(struct worker *w, struct ods_req *r, struct ods_resp *resp,
    const struct ods_route *rt, enum ods_err er, const char *allow)
{
	char		 msg[160];
	const char	*cl;
	size_t		 max;
	enum ods_status	 st;

	if (er == ODS_EMETHOD) {
		if (ods_resp_header(resp, "Allow", allow) != ODS_OK)
			return ods_resp_error(resp, ODS_EINTERNAL, NULL);
		snprintf(msg, sizeof(msg), "method %s not allowed; allowed: "
		    "%s", ods_req_method_name(r), allow);
		return ods_resp_error(resp, ODS_EMETHOD, msg);
	}
	if (er != ODS_OK)
		return ods_resp_error(resp, ODS_ENOTFOUND, "no such route");
	/*
	 * The route's body cap (JSON routes a small one, uploads their own),
	 * checked on Content-Length before anything is read; a body without
	 * one is cut at the same cap while it is read.
	 */
	if (rt->max_body == ODS_BODY_UPLOAD)
		max = w->conf->max_upload_bytes;
	else if ((max = rt->max_body > 0 ? rt->max_body :
	    w->conf->max_json_bytes) > w->conf->max_body_bytes)
		max = w->conf->max_body_bytes;
	ods_req_set_body_max(r, max);
	cl = ods_req_header(r, "Content-Length");
	if (cl != NULL && strtoull(cl, NULL, 10) > max) {
		snprintf(msg, sizeof(msg), "request body is larger than %zu "
		    "bytes", max);
		return ods_resp_error(resp, ODS_ETOOBIG, msg);
	}
	/* Who is calling, RBAC, rate limits; the refusal is written. */
	if (ods_auth_check(w->env.auth, r, rt, resp) != ODS_OK)
		return (enum ods_status)ods_resp_status(resp);
	st = rt->handler(r, resp);
	ods_auth_after(w->env.auth, r, rt, (int)st);
	return st;
}

static void
handle(struct worker *w, FCGX_Request *fr, struct ods_arena *a)
{
	static const char	 oom[] = "Status: 500 Internal Server Error\r\n"
	    "Content-Type: application/json\r\n\r\n{\"code\":50000,"
	    "\"message\":\"out of memory\",\"error\":\"internal_error\"}";
	const struct ods_route	*rt = NULL;
	struct ods_req_io	 io = { io_read, io_write, io_flush, fr,
				     io_gone };
	struct ods_req		*r;
	struct ods_resp		*resp;
	enum ods_status		 st;
	enum ods_err		 er = ODS_OK;
	const char		*endpoint, *method;
	char			 allow[96];
	double			 t0 = ods_now_sec(), dt;

	if ((r = ods_req_new(a, fr->envp, &io, &w->env)) == NULL ||
	    (resp = ods_resp_new(r)) == NULL) {
		FCGX_PutStr(oom, sizeof(oom) - 1, fr->out);
		return;
	}
	ods_log_set_request_id(ods_req_id(r));
	/*
	 * /metrics is built in and matched on the path nginx sent, so that
	 * /api/v1/metrics (a Data API area) never reaches it; nginx keeps
	 * an allow-list on its location.
	 */
	if (strcmp(ods_req_raw_path(r), "/metrics") == 0 &&
	    (ods_req_method(r) == ODS_GET || ods_req_method(r) == ODS_HEAD))
		rt = &odsi_metrics_route;
	else
		er = ods_router_match(w->router, r, &rt, allow, sizeof(allow));
	/* Bounded labels: the route template, never the raw path. */
	endpoint = er == ODS_OK ? ods_route_template(rt) : "unknown";
	method = ods_method_name(ods_req_method(r));
	ods_metrics_http_begin(method, endpoint);
	st = dispatch(w, r, resp, rt, er, allow);
	if (!ods_resp_committed(resp)) {
		ods_log(ODS_LOG_ERR, "handler_no_response route=%s", endpoint);
		st = ods_resp_error(resp, ODS_EINTERNAL, NULL);
	}
	dt = ods_now_sec() - t0;
	ods_metrics_http_end(method, endpoint, (int)st, dt,
	    ods_resp_bytes(resp));
	if (w->conf->slow_request_ms > 0 &&
	    dt * 1000 >= w->conf->slow_request_ms) {
		ods_metrics_pool_slow_request();
		ods_log(ODS_LOG_WARN, "slow_request method=%s route=%s "
		    "status=%d elapsed_ms=%.0f", method, endpoint, (int)st,
		    dt * 1000);
	}
	ods_log_set_request_id(NULL);
}

/* ---- threads ---- */

static void
request_stop(struct worker *w)
{
	int	expected = 0;

	if (atomic_compare_exchange_strong(&w->stopping, &expected, 1)) {
		/* Readable from now on: every epoll_wait returns. */
		if (write(w->stop_pipe[1], "x", 1) < 0)
			ods_log(ODS_LOG_ERR | ODS_LOG_ERRNO, "stop_pipe_write");
		/* Threads waiting for an accept slot leave too. */
		if (w->budget != NULL)
			odsi_budget_stop(w->budget);
		/* Wake the main thread's sigwait. */
		kill(getpid(), SIGUSR1);
	}
}

static int
thread_epoll(struct worker *w)
{
	struct epoll_event	ev;
	int			ep;

	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		return -1;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	ev.data.fd = w->listen_fd;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, w->listen_fd, &ev) < 0)
		goto fail;
	ev.events = EPOLLIN;
	ev.data.fd = w->stop_pipe[0];
	if (epoll_ctl(ep, EPOLL_CTL_ADD, w->stop_pipe[0], &ev) < 0)
		goto fail;
	return ep;
fail:
	close(ep);
	return -1;
}

/* Wait until a connection may be there; 0 when told to stop. */
static int
wait_ready(struct wthread *t)
{
	struct epoll_event	evs[2];
	int			n, i;

	for (;;) {
		if (atomic_load(&t->w->stopping))
			return 0;
		n = epoll_wait(t->ep, evs, 2, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ods_log(ODS_LOG_ERR | ODS_LOG_ERRNO, "epoll_wait");
			return 0;
		}
		for (i = 0; i < n; i++)
			if (evs[i].data.fd == t->w->stop_pipe[0])
				return 0;
		if (n > 0)
			return 1;
	}
}

static void *
thread_main(void *arg)
{
	struct wthread		*t = arg;
	struct worker		*w = t->w;
	struct ods_arena	*a;
	FCGX_Request		 fr;
	_Atomic int64_t		*busy;
	uint64_t		 n;

	busy = odsi_sb_thread(w->sb, w->slot, t->index);
	if ((a = ods_arena_new(32 * 1024)) == NULL ||
	    FCGX_InitRequest(&fr, w->listen_fd, 0) != 0) {
		ods_log(ODS_LOG_ERR, "thread_init_failed");
		request_stop(w);
		return NULL;
	}
	while (!atomic_load(&w->stopping)) {
		/* Only a thread holding an accept slot accepts. */
		if (!odsi_budget_enter(w->budget, t->seat))
			break;
		/*
		 * The listener is non-blocking: try to accept first (under
		 * load the queue is rarely empty), and sleep in epoll only
		 * when it is, so an idle thread still hears "stop".
		 */
		if (FCGX_Accept_r(&fr) < 0) {
			if (!wait_ready(t))
				break;
			continue;
		}
		atomic_store(busy, ods_now_ms());
		odsi_budget_begin(t->seat, atomic_load(busy));
		tl_busy = busy;
		tl_thread = t;
		send_timeout(w, fr.ipcFd);
		atomic_fetch_add(&w->sb->accepted, 1);
		ods_metrics_pool_accepted();
		handle(w, &fr, a);
		/*
		 * libfcgi's close lingers: it reads until nginx has closed
		 * its side. Closing at once instead (FCGX_Detach when the
		 * request was read to its end) was tried on 2026-12-03:
		 * 5-15 % more requests/s, but p99 at 64 in flight went from
		 * 16-26 to 40-51 ms (tests/bench/proxy tail rows, back to
		 * back): the wait is nginx's backpressure, a thread takes no
		 * new connection before nginx has dealt with its answer.
		 */
		FCGX_Finish_r(&fr);
		ods_arena_reset(a);
		tl_busy = NULL;
		tl_thread = NULL;
		atomic_store(busy, 0);
		odsi_budget_end(w->budget, t->seat);
		n = atomic_fetch_add(&w->served, 1) + 1;
		atomic_store(&w->sb->slots[w->slot].requests, n);
		if (w->conf->max_requests > 0 &&
		    n >= (uint64_t)w->conf->max_requests)
			request_stop(w);
	}
	odsi_budget_leave(w->budget, t->seat);
	FCGX_Free(&fr, 1);
	ods_arena_free(a);
	return NULL;
}

/* ---- the worker process ---- */

/*
 * Signals: SIGTERM, SIGQUIT, SIGINT and SIGHUP all mean "finish what is
 * in flight and exit" for a worker (on SIGHUP the master has already
 * started the replacements). They are blocked in every thread and taken
 * by sigwait() in the main thread only: libfcgi's own handler would set a
 * flag that threads blocked in accept never see.
 */
static void
signals_block(sigset_t *set)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGQUIT);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGUSR1);
	pthread_sigmask(SIG_SETMASK, set, NULL);
}

/* The pool's db_* metrics, fed by ods_db. */
static void
db_connect(void *arg, int ok)
{
	ods_metrics_db_connection(arg, ok);
}

static void
db_acquire(void *arg, double wait)
{
	ods_metrics_db_observe(arg, "acquire", wait);
}

static void
db_in_use(void *arg, unsigned n)
{
	const char	*lv[1] = { arg };

	(void)ods_metrics_gauge_set(ODS_M_DB_IN_USE, lv, (double)n);
}

/*
 * How many threads accept (--short-threads): by default four per CPU, at
 * least 8, so that a pool of a few threads (the data and agent APIs)
 * keeps them all accepting, and one of many (the proxy's streams) serves
 * short requests on a few threads per CPU: enough to overlap the wait on
 * an upstream (measured on 2 CPUs: 8 slots served 4 000 req/s at 64 in
 * flight where 4 served 3 400, at the same p99/p50 of 2.1).
 */
static int
short_slots(const struct ods_conf *conf, int nthreads)
{
	long	ncpu;
	int	n = conf->short_threads;

	if (n <= 0) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		n = ncpu > 2 ? (int)(4 * ncpu) : 8;
	}
	return n < nthreads ? n : nthreads;
}

static int
worker_init(struct worker *w, const struct ods_service *svc,
    const struct ods_conf *conf, int listen_fd, struct ods_scoreboard *sb,
    int slot)
{
	struct ods_db_observer	db_observer = { db_connect, db_acquire,
				    db_in_use, NULL };
	unsigned		pool;

	memset(w, 0, sizeof(*w));
	w->svc = svc;
	w->conf = conf;
	w->sb = sb;
	w->slot = slot;
	w->listen_fd = listen_fd;
	w->nthreads = conf->threads > 0 ? conf->threads : svc->default_threads;
	if (w->nthreads < 1)
		w->nthreads = 1;
	if (w->nthreads > sb->nthreads)
		w->nthreads = sb->nthreads;
	w->nshort = short_slots(conf, w->nthreads);
	w->budget = odsi_budget_new(w->nthreads, w->nshort);
	w->seats = ods_xcalloc((size_t)w->nthreads, sizeof(*w->seats));
	if ((w->router = ods_router_new(svc->routes, svc->nroutes)) == NULL)
		return -1;
	if (pipe2(w->stop_pipe, O_CLOEXEC) < 0) {
		ods_log(ODS_LOG_ERR | ODS_LOG_ERRNO, "pipe");
		return -1;
	}
	w->env.conf = conf;
	w->env.service = svc->name;
	w->env.version = svc->version;
	w->env.prefixes = svc->prefixes;
	w->env.aliases = svc->aliases;
	w->env.draining = &sb->draining;
	w->env.openai_errors = svc->openai_errors;
	w->env.scrape = svc->scrape;
	/* Connections are per process, opened lazily after the fork. */
	db_observer.arg = conf->mysql_database;
	pool = (unsigned)w->nthreads;
	/* Job threads and the runner's maintenance thread take their own. */
	if (svc->njob_types > 0)
		pool += (unsigned)conf->worker_concurrency + 1;
	w->env.db = ods_db_new(conf, pool);
	ods_db_set_observer(w->env.db, &db_observer);
	w->env.redis = ods_redis_new(conf, (unsigned)w->nthreads);
	if (svc->object_store && (w->env.obj = ods_obj_new(conf)) == NULL)
		return -1;
	/* Refuses production without auth and short HS256 keys. */
	if ((w->env.auth = ods_auth_new(conf, w->env.db, w->env.redis)) ==
	    NULL)
		return -1;
	if (svc->init != NULL && svc->init(&w->env, &w->env.ctx) != ODS_OK) {
		ods_log(ODS_LOG_ERR, "service_init_failed service=%s",
		    svc->name);
		return -1;
	}
	w->inited = 1;
	return 0;
}

static int
threads_start(struct worker *w)
{
	int	i;

	w->threads = ods_xcalloc((size_t)w->nthreads, sizeof(*w->threads));
	for (i = 0; i < w->nthreads; i++) {
		w->threads[i].w = w;
		w->threads[i].index = i;
		w->threads[i].seat = &w->seats[i];
		if ((w->threads[i].ep = thread_epoll(w)) < 0 ||
		    pthread_create(&w->threads[i].tid, NULL, thread_main,
		    &w->threads[i]) != 0) {
			ods_log(ODS_LOG_ERR | ODS_LOG_ERRNO, "thread_start "
			    "index=%d", i);
			w->nthreads = i;
			return -1;
		}
	}
	return 0;
}

static void
worker_fini(struct worker *w)
{
	int	i;

	/* Running jobs finish (or give their leases back) in the budget. */
	odsi_runner_stop(w->runner, w->conf->drain_timeout * 1000);
	w->runner = NULL;
	for (i = 0; i < w->nthreads; i++) {
		pthread_join(w->threads[i].tid, NULL);
		close(w->threads[i].ep);
	}
	free(w->threads);
	free(w->seats);
	odsi_budget_free(w->budget);
	if (w->inited && w->svc->fini != NULL)
		w->svc->fini(w->env.ctx);
	ods_auth_free(w->env.auth);
	ods_db_free(w->env.db);
	ods_redis_free(w->env.redis);
	ods_obj_free(w->env.obj);
	ods_router_free(w->router);
	close(w->stop_pipe[0]);
	close(w->stop_pipe[1]);
}

/*
 * A worker without a master (spawn-fcgi) drains like the master does:
 * readiness turns 503, requests are still served for the drain delay,
 * then accepting stops and in-flight requests finish.
 */
static void
standalone_drain(struct worker *w)
{
	struct timespec	ts;

	w->sb->draining = 1;
	ts.tv_sec = w->conf->drain_delay;
	ts.tv_nsec = 0;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * The main thread waits for a signal; with a split budget it also wakes
 * every SWEEP_MS to move requests running past --long-request-ms to the
 * long budget. Returns the signal, or -1 (nothing yet).
 */
#define SWEEP_MS	10

static int
wait_signal(struct worker *w, sigset_t *set)
{
	struct timespec	tick = { 0, SWEEP_MS * 1000000L };
	int		sig;

	if (!odsi_budget_split(w->budget) || w->conf->long_request_ms <= 0)
		return sigwait(set, &sig) == 0 ? sig : -1;
	if ((sig = sigtimedwait(set, NULL, &tick)) >= 0)
		return sig;
	(void)odsi_budget_sweep(w->budget, w->seats, w->nthreads,
	    ods_now_ms(), w->conf->long_request_ms);
	return -1;
}

int
odsi_worker_run(const struct ods_service *svc, const struct ods_conf *conf,
    int listen_fd, struct ods_scoreboard *sb, int slot,
    struct ods_metrics *metrics, int standalone)
{
	struct worker	w;
	sigset_t	set;
	int		sig, status = 0;

	signals_block(&set);
	/* Bound before any thread starts: the binding is process-wide. */
	if (metrics != NULL && ods_metrics_bind(metrics, (unsigned)slot) !=
	    ODS_OK)
		return 1;
	ods_metrics_pool_listen_fd(listen_fd);
	if (worker_init(&w, svc, conf, listen_fd, sb, slot) < 0)
		return 1;
	w.metrics = metrics;
	w.env.metrics = metrics;
	if (FCGX_Init() != 0 || threads_start(&w) < 0 ||
	    (svc->njob_types > 0 && (w.runner = odsi_runner_start(svc, &w.env,
	    slot)) == NULL)) {
		request_stop(&w);
		worker_fini(&w);
		return 1;
	}
	ods_log(ODS_LOG_INFO, "worker_start slot=%d pid=%ld threads=%d "
	    "short_threads=%d", slot, (long)getpid(), w.nthreads, w.nshort);
	while (!atomic_load(&w.stopping)) {
		if ((sig = wait_signal(&w, &set)) < 0)
			continue;
		if (sig != SIGUSR1)
			ods_log(ODS_LOG_INFO, "worker_stop signal=%s",
			    strsignal(sig));
		if (sig != SIGUSR1 && standalone)
			standalone_drain(&w);
		request_stop(&w);
	}
	worker_fini(&w);
	ods_log(ODS_LOG_INFO, "worker_exit slot=%d served=%llu", slot,
	    (unsigned long long)atomic_load(&w.served));
	return status;
}
