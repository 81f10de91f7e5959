/* lib/server/ods_fcgi.c — command line, listening socket and the prefork master. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/ods_conf.h"
#include "server/ods_fcgi.h"
#include "server/ods_job.h"
#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "metrics/ods_metrics.h"
#include "core/ods_time.h"
#include "server/ods_server_int.h"
#include "store/ods_redis.h"

#define TICK_MS			100	/* master's supervision period */
#define CRASH_WINDOW_MS		10000
#define CRASH_LIMIT		10	/* crashes in the window: throttle */
#define CRASH_BACKOFF_MAX_MS	16000

enum slot_state { SLOT_FREE = 0, SLOT_RUNNING, SLOT_DRAINING, SLOT_WAIT };

struct slot {
	enum slot_state	 state;
	pid_t		 pid;
	int		 gen;
	int64_t		 kill_at;	/* draining: SIGKILL after this */
	int64_t		 spawn_at;	/* waiting: respawn after this */
	int		 timed_out;	/* killed by the request deadline */
};

struct master {
	const struct ods_service	*svc;
	int				 want;	/* workers of this generation */
	int				 threads; /* per worker */
	pid_t				 pid;
	struct ods_conf			*conf;
	struct ods_scoreboard		*sb;
	struct ods_metrics		*metrics;
	int				 argc;
	char				**argv;
	const char			*env_file;
	int				 listen_fd;
	char				*unix_path;
	ino_t				 unix_ino;
	struct slot			*slots;
	int				 nslots;
	int				 gen;
	int				 shutting_down;
	int64_t				 stop_accepting_at;
	int64_t				 crashes[CRASH_LIMIT];
	int				 ncrash;
	int64_t				 backoff_ms;
};

static const struct option longopts[] = {
	{ "listen",		required_argument, NULL, 'l' },
	{ "workers",		required_argument, NULL, 'w' },
	{ "threads",		required_argument, NULL, 't' },
	{ "short-threads",	required_argument, NULL, 'S' },
	{ "long-request-ms",	required_argument, NULL, 'L' },
	{ "max-requests",	required_argument, NULL, 'm' },
	{ "request-timeout",	required_argument, NULL, 'T' },
	{ "drain-timeout",	required_argument, NULL, 'D' },
	{ "drain-delay",	required_argument, NULL, 'd' },
	{ "socket-mode",	required_argument, NULL, 'M' },
	{ "socket-group",	required_argument, NULL, 'G' },
	{ "pid-file",		required_argument, NULL, 'p' },
	{ "env-file",		required_argument, NULL, 'e' },
	{ "check-config",	no_argument,	   NULL, 'c' },
	{ "routes",		no_argument,	   NULL, 'R' },
	{ "version",		no_argument,	   NULL, 'V' },
	{ "help",		no_argument,	   NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/* Flag -> variable of the configuration table. */
static const char *
flag_var(int ch)
{
	switch (ch) {
	case 'l': return "ODS_LISTEN";
	case 'w': return "ODS_WORKERS";
	case 't': return "ODS_THREADS";
	case 'S': return "ODS_SHORT_THREADS";
	case 'L': return "ODS_LONG_REQUEST_MS";
	case 'm': return "ODS_MAX_REQUESTS";
	case 'T': return "ODS_REQUEST_TIMEOUT";
	case 'D': return "ODS_DRAIN_TIMEOUT";
	case 'd': return "ODS_DRAIN_DELAY";
	case 'M': return "ODS_SOCKET_MODE";
	case 'G': return "ODS_SOCKET_GROUP";
	case 'p': return "ODS_PID_FILE";
	default: return NULL;
	}
}

static const char *
flag_name(int ch)
{
	const struct option	*o;

	for (o = longopts; o->name != NULL; o++)
		if (o->val == ch)
			return o->name;
	return "?";
}

static void
usage(FILE *fp, const char *prog)
{
	fprintf(fp,
	    "usage: %s [--listen unix:PATH|HOST:PORT] [--workers N] "
	    "[--threads T]\n"
	    "       [--short-threads K] [--long-request-ms MS]\n"
	    "       [--max-requests M] [--request-timeout S] "
	    "[--drain-timeout S]\n"
	    "       [--drain-delay S] [--socket-mode MODE] "
	    "[--socket-group GROUP]\n"
	    "       [--pid-file PATH] [--env-file PATH] [--check-config] "
	    "[--routes] [--version]\n"
	    "Without --listen, fd 0 must be the listening socket "
	    "(spawn-fcgi).\n"
	    "Settings come from the environment (see README); flags win.\n",
	    prog);
}

/*
 * What the env file put into the environment, so that a reload can take
 * back what the file no longer says: each name it set, with the value the
 * real environment had before (NULL: none). Master-process state only; a
 * worker inherits the environment, not this list.
 */
struct envset {
	char	*name;
	char	*orig;
};
static struct envset	*envsets;
static size_t		 nenvsets;

static struct envset *
envset_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < nenvsets; i++)
		if (strcmp(envsets[i].name, name) == 0)
			return &envsets[i];
	return NULL;
}

/* Remember name (and its value from before the file) once. */
static void
envset_add(const char *name)
{
	const char	*orig;

	if (envset_find(name) != NULL)
		return;
	envsets = ods_xrealloc(envsets,
	    (nenvsets + 1) * sizeof(*envsets));
	orig = getenv(name);
	envsets[nenvsets].name = ods_xstrdup(name);
	envsets[nenvsets].orig = orig != NULL ? ods_xstrdup(orig) : NULL;
	nenvsets++;
}

/*
 * A name the file set before and no longer sets gets its value from
 * the real environment back, or is unset: a retired JWT_PREVIOUS_KEYS
 * stops working at the reload, not at the next restart.
 */
static void
envset_retire(char **names, size_t n)
{
	size_t	 i, j;

	for (i = 0; i < nenvsets; ) {
		for (j = 0; j < n; j++)
			if (strcmp(envsets[i].name, names[j]) == 0)
				break;
		if (j < n) {
			i++;
			continue;
		}
		if (envsets[i].orig != NULL)
			setenv(envsets[i].name, envsets[i].orig, 1);
		else
			unsetenv(envsets[i].name);
		free(envsets[i].name);
		free(envsets[i].orig);
		envsets[i] = envsets[--nenvsets];
	}
}

/*
 * The env file (ods_env_file_read) put into the environment, so a SIGHUP
 * can pick up rotated secrets without a restart. Names set by an earlier
 * load and gone from the file are restored to the real environment's
 * value (or unset); that happens only when the whole file is valid.
 */
static int
env_file_load(const char *path, FILE *report)
{
	FILE			*fp;
	struct ods_env_line	*lines = NULL;
	char			**names;
	size_t			 n = 0, i;
	int			 bad;

	if ((fp = fopen(path, "r")) == NULL) {
		fprintf(report, "config error: --env-file %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	bad = ods_env_file_read(fp, path, report, &lines, &n);
	fclose(fp);
	if (bad == 0) {
		names = ods_xcalloc(n + 1, sizeof(*names));
		for (i = 0; i < n; i++)
			names[i] = lines[i].key;
		envset_retire(names, n);
		free(names);
		for (i = 0; i < n; i++) {
			envset_add(lines[i].key);
			setenv(lines[i].key, lines[i].val, 1);
		}
	}
	ods_env_lines_free(lines, n);
	return bad > 0 ? -1 : 0;
}

struct opts {
	const char	*env_file;
	int		 check_only;
	int		 routes;	/* --routes: print them, nothing else */
	int		 workers_set;	/* --workers or ODS_WORKERS given */
};

/*
 * Defaults, then the environment (and --env-file over it), then flags.
 * Every bad key is reported; returns NULL when any was bad, or when the
 * command line asked only for help or the version (*exit_ok set).
 */
static struct ods_conf *
conf_build(int argc, char *argv[], struct opts *o, FILE *report,
    int *exit_ok)
{
	struct ods_conf	*c = ods_conf_new();
	struct ods_why		 why;
	const char	*var;
	int		 ch, bad = 0;

	*exit_ok = 0;
	memset(o, 0, sizeof(*o));
	optind = 0;	/* glibc: rescan from the start (SIGHUP reload) */
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch == 'e')
			o->env_file = optarg;
		else if (ch == 'c')
			o->check_only = 1;
		else if (ch == 'R')
			o->routes = 1;
		else if (ch == 'V' || ch == 'h') {
			if (ch == 'V')
				printf("%s %s\n", argv[0], PACKAGE_VERSION);
			else
				usage(stdout, argv[0]);
			*exit_ok = 1;
			goto fail;
		} else if (ch == 'w')
			o->workers_set = 1;
		else if (flag_var(ch) == NULL) {
			usage(report, argv[0]);
			goto fail;
		}
	}
	if (optind < argc) {
		fprintf(report, "config error: unexpected argument '%s'\n",
		    argv[optind]);
		goto fail;
	}
	/* The route table needs no configuration: read none. */
	if (o->routes) {
		*exit_ok = 1;
		goto fail;
	}
	if (o->env_file != NULL && env_file_load(o->env_file, report) < 0)
		bad++;
	if (getenv("ODS_WORKERS") != NULL)
		o->workers_set = 1;
	if (ods_conf_load_env(c, report) != ODS_OK)
		bad++;
	if (*c->redis_url != '\0' &&
	    ods_redis_url_check(c->redis_url, &why) != ODS_OK) {
		/* The URL may hold a password: say why, not what. */
		fprintf(report, "config error: REDIS_URL: %s\n", why.msg);
		bad++;
	}
	optind = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if ((var = flag_var(ch)) == NULL)
			continue;
		if (ods_conf_set(c, var, optarg, &why) != ODS_OK) {
			fprintf(report, "config error: --%s: %s\n",
			    flag_name(ch), why.msg);
			bad++;
		}
	}
	if (bad == 0)
		return c;
fail:
	ods_conf_free(c);
	return NULL;
}

/* ---- the listening socket ---- */

/*
 * The socket is 0660 by default: only its owner and a group (the one
 * nginx's workers run in, ODS_SOCKET_GROUP, by name or number) may
 * connect; a local user outside both cannot bypass nginx.
 */
static int
socket_chgrp(const char *path, const char *group)
{
	struct group	*gr;
	char		*end;
	unsigned long	 gid;

	if (*group == '\0')
		return 0;
	errno = 0;
	gid = strtoul(group, &end, 10);
	if (*end != '\0' || end == group || errno != 0) {
		if ((gr = getgrnam(group)) == NULL) {
			ods_log(ODS_LOG_ERR, "socket_group_unknown group=%s",
			    group);
			errno = ENOENT;
			return -1;
		}
		gid = gr->gr_gid;
	}
	return chown(path, (uid_t)-1, (gid_t)gid);
}

static int
unix_alive(const struct sockaddr_un *sun)
{
	int	fd, ok;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return 0;
	ok = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0;
	close(fd);
	return ok;
}

static int
listen_unix(struct master *m, const char *path)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		ods_log(ODS_LOG_ERR, "listen_path_too_long path=%s", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	/*
	 * A socket left by a crashed run is replaced; one that a live
	 * server answers on is not (that would steal its traffic).
	 */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
		if (unix_alive(&sun)) {
			ods_log(ODS_LOG_ERR, "listen_in_use path=%s", path);
			return -1;
		}
		unlink(path);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    chmod(path, (mode_t)m->conf->socket_mode) < 0 ||
	    socket_chgrp(path, m->conf->socket_group) < 0 ||
	    listen(fd, m->conf->listen_backlog) < 0 ||
	    lstat(path, &st) < 0) {
		ods_log(ODS_LOG_ERR | ODS_LOG_ERRNO, "listen path=%s", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	m->unix_path = ods_xstrdup(path);
	m->unix_ino = st.st_ino;
	return fd;
}

static int
listen_tcp(struct master *m, const char *spec)
{
	struct addrinfo	 hints, *res = NULL;
	char		*host, *port;
	int		 fd = -1, one = 1, rc;

	host = ods_xstrdup(spec);
	if ((port = strrchr(host, ':')) == NULL || port[1] == '\0') {
		ods_log(ODS_LOG_ERR, "listen_invalid value=%s", spec);
		free(host);
		return -1;
	}
	*port++ = '\0';
	if (host[0] == '[' && port - host >= 3 && port[-2] == ']') {
		port[-2] = '\0';
		memmove(host, host + 1, strlen(host));
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(*host ? host : NULL, port, &hints, &res)) != 0)
		ods_log(ODS_LOG_ERR, "listen_resolve value=%s error=%s", spec,
		    gai_strerror(rc));
	else if ((fd = socket(res->ai_family, res->ai_socktype |
	    SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) < 0 ||
	    listen(fd, m->conf->listen_backlog) < 0) {
		ods_log(ODS_LOG_ERR | ODS_LOG_ERRNO, "listen value=%s", spec);
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	if (res != NULL)
		freeaddrinfo(res);
	free(host);
	return fd;
}

/*
 * The socket from --listen, else fd 0 from spawn-fcgi. Workers poll it
 * and accept without blocking, so a worker told to stop never sits in
 * accept(2): set O_NONBLOCK (accepted connections do not inherit it).
 */
static int
listen_open(struct master *m)
{
	const char	*l = m->conf->listen;
	int		 fd, yes = 0;
	socklen_t	 len = sizeof(yes);

	if (strncmp(l, "unix:", 5) == 0)
		fd = listen_unix(m, l + 5);
	else if (l[0] == '/')
		fd = listen_unix(m, l);
	else if (l[0] != '\0')
		fd = listen_tcp(m, l);
	else if (getsockopt(0, SOL_SOCKET, SO_ACCEPTCONN, &yes, &len) < 0 ||
	    !yes) {
		ods_log(ODS_LOG_ERR, "no_listen_socket hint=%s",
		    "give --listen, or run under spawn-fcgi (socket on fd 0)");
		return -1;
	} else
		fd = 0;
	if (fd >= 0 && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
		ods_log(ODS_LOG_ERR | ODS_LOG_ERRNO, "listen_nonblock");
	return fd;
}

/* ---- the master ---- */

static void
slot_spawn(struct master *m, int i)
{
	struct slot	*s = &m->slots[i];
	pid_t		 pid;
	int		 status, t;

	/* A killed worker may have left request start times behind. */
	for (t = 0; t < m->sb->nthreads; t++)
		atomic_store(odsi_sb_thread(m->sb, i, t), 0);
	m->sb->slots[i].requests = 0;
	if ((pid = fork()) < 0) {
		ods_log(ODS_LOG_ERR | ODS_LOG_ERRNO, "fork slot=%d", i);
		s->state = SLOT_WAIT;
		s->spawn_at = ods_now_ms() + 1000;
		return;
	}
	if (pid == 0) {
		/* A worker never outlives its master. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		m->sb->slots[i].pid = getpid();
		m->sb->slots[i].gen = m->gen;
		if (getppid() != m->pid)
			_exit(0);
		status = odsi_worker_run(m->svc, m->conf, m->listen_fd, m->sb,
		    i, m->metrics, 0);
		_exit(status);
	}
	s->state = SLOT_RUNNING;
	s->pid = pid;
	s->gen = m->gen;
	s->timed_out = 0;
	s->kill_at = s->spawn_at = 0;
}

/* Index of a slot that is free (no process, not reserved), or -1. */
static int
slot_free(struct master *m)
{
	int	i;

	for (i = 0; i < m->nslots; i++)
		if (m->slots[i].state == SLOT_FREE)
			return i;
	return -1;
}

static int
slots_alive(struct master *m)
{
	int	i, n = 0;

	for (i = 0; i < m->nslots; i++)
		n += m->slots[i].state == SLOT_RUNNING ||
		    m->slots[i].state == SLOT_DRAINING;
	return n;
}

/* Crash-loop throttle: after CRASH_LIMIT crashes in the window, wait. */
static int64_t
crash_delay(struct master *m, int64_t now)
{
	int	i, recent = 0;

	m->crashes[m->ncrash++ % CRASH_LIMIT] = now;
	for (i = 0; i < CRASH_LIMIT; i++)
		recent += m->crashes[i] != 0 &&
		    now - m->crashes[i] < CRASH_WINDOW_MS;
	if (recent < CRASH_LIMIT) {
		m->backoff_ms = 0;
		return 0;
	}
	m->backoff_ms = m->backoff_ms == 0 ? 1000 :
	    m->backoff_ms * 2 > CRASH_BACKOFF_MAX_MS ? CRASH_BACKOFF_MAX_MS :
	    m->backoff_ms * 2;
	ods_log(ODS_LOG_ERR, "crash_loop crashes=%d window_ms=%d "
	    "respawn_delay_ms=%lld", recent, CRASH_WINDOW_MS,
	    (long long)m->backoff_ms);
	return m->backoff_ms;
}

static void
slot_reaped(struct master *m, struct slot *s, int i, int status)
{
	int64_t	now = ods_now_ms(), delay = 0;
	int	crashed, current = s->gen == m->gen;

	crashed = !s->timed_out && s->state != SLOT_DRAINING &&
	    (WIFSIGNALED(status) || WEXITSTATUS(status) != 0);
	if (WIFSIGNALED(status))
		ods_log(crashed ? ODS_LOG_ERR : ODS_LOG_INFO,
		    "worker_died slot=%d pid=%ld signal=%s", i, (long)s->pid,
		    strsignal(WTERMSIG(status)));
	else
		ods_log(crashed ? ODS_LOG_ERR : ODS_LOG_INFO,
		    "worker_exited slot=%d pid=%ld status=%d", i,
		    (long)s->pid, WEXITSTATUS(status));
	/* Fold its counters into the retired slot before the index is
	 * reused: totals never go backwards. */
	if (ods_metrics_retire(m->metrics, (unsigned)i) != ODS_OK)
		ods_log(ODS_LOG_ERR, "metrics_retire_failed slot=%d", i);
	ods_metrics_pool_restart(m->metrics, s->timed_out ? "timeout" :
	    crashed ? "crash" : s->state == SLOT_DRAINING ? "drain" :
	    "max_requests");
	m->sb->slots[i].pid = 0;
	s->pid = 0;
	s->state = SLOT_FREE;
	if (m->shutting_down || !current)
		return;
	/* fill() respawns at once, unless the crash loop asks to wait. */
	if (crashed && (delay = crash_delay(m, now)) > 0) {
		s->state = SLOT_WAIT;
		s->spawn_at = now + delay;
	}
}

static void
reap(struct master *m)
{
	pid_t	pid;
	int	status, i;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < m->nslots; i++)
			if (m->slots[i].pid == pid)
				break;
		if (i < m->nslots)
			slot_reaped(m, &m->slots[i], i, status);
	}
}

/* Ask one worker to finish in-flight requests and exit. */
static void
slot_drain(struct master *m, struct slot *s, int64_t now)
{
	if (s->state != SLOT_RUNNING)
		return;
	s->state = SLOT_DRAINING;
	s->kill_at = now + (int64_t)m->conf->drain_timeout * 1000;
	kill(s->pid, SIGQUIT);
}

/* Start workers of the current generation until there are m->want. */
static void
fill(struct master *m)
{
	int64_t	now = ods_now_ms();
	int	i, have = 0;

	for (i = 0; i < m->nslots; i++) {
		if (m->slots[i].gen != m->gen)
			continue;
		if (m->slots[i].state == SLOT_RUNNING)
			have++;
		else if (m->slots[i].state == SLOT_WAIT) {
			if (now < m->slots[i].spawn_at) {
				have++;
				continue;
			}
			m->slots[i].state = SLOT_FREE;
		}
	}
	while (have < m->want && (i = slot_free(m)) >= 0) {
		slot_spawn(m, i);
		have++;
	}
}

/*
 * php-fpm's "max children reached": every thread of every running worker
 * is inside a request, so new connections wait in the listen queue.
 */
static int
pool_saturated(struct master *m)
{
	int	i, t, running = 0;

	for (i = 0; i < m->nslots; i++) {
		if (m->slots[i].state != SLOT_RUNNING)
			continue;
		running++;
		for (t = 0; t < m->threads && t < m->sb->nthreads; t++)
			if (atomic_load(odsi_sb_thread(m->sb, i, t)) == 0)
				return 0;
	}
	return running > 0;
}

/* The request deadline and the drain deadline. */
static void
supervise(struct master *m, int64_t now)
{
	struct slot	*s;
	int64_t		 start, limit;
	int		 i, t;

	limit = (int64_t)m->conf->request_timeout * 1000;
	if (pool_saturated(m))
		ods_metrics_pool_max_children_reached(m->metrics);
	for (i = 0; i < m->nslots; i++) {
		s = &m->slots[i];
		if (s->state != SLOT_RUNNING && s->state != SLOT_DRAINING)
			continue;
		if (s->state == SLOT_DRAINING && now >= s->kill_at &&
		    !s->timed_out) {
			ods_log(ODS_LOG_WARN, "drain_timeout slot=%d pid=%ld "
			    "action=SIGKILL", i, (long)s->pid);
			s->timed_out = 1;
			kill(s->pid, SIGKILL);
			continue;
		}
		for (t = 0; t < m->sb->nthreads && !s->timed_out; t++) {
			start = atomic_load(odsi_sb_thread(m->sb, i, t));
			if (start == 0 || now - start <= limit)
				continue;
			ods_log(ODS_LOG_ERR, "request_timeout slot=%d pid=%ld "
			    "elapsed_ms=%lld action=SIGKILL", i, (long)s->pid,
			    (long long)(now - start));
			s->timed_out = 1;
			kill(s->pid, SIGKILL);
		}
	}
}

static void
shutdown_begin(struct master *m, int sig)
{
	if (m->shutting_down)
		return;
	ods_log(ODS_LOG_INFO, "shutdown signal=%s drain_delay_s=%d "
	    "drain_timeout_s=%d", strsignal(sig), m->conf->drain_delay,
	    m->conf->drain_timeout);
	m->shutting_down = 1;
	m->sb->draining = 1;		/* readiness: 503 from now on */
	m->stop_accepting_at = ods_now_ms() +
	    (int64_t)m->conf->drain_delay * 1000;
}

static void
shutdown_progress(struct master *m, int64_t now)
{
	int	i;

	if (!m->shutting_down || now < m->stop_accepting_at)
		return;
	for (i = 0; i < m->nslots; i++) {
		if (m->slots[i].state == SLOT_WAIT)
			m->slots[i].state = SLOT_FREE;
		slot_drain(m, &m->slots[i], now);
	}
}

/*
 * SIGHUP: read the configuration again; if it is valid, start a new
 * generation of workers, then drain the old one. The listening socket
 * stays open throughout, so no connection is refused.
 */
static void
reload(struct master *m)
{
	struct ods_conf	*c;
	struct opts	 o;
	int		 exit_ok, i;
	int64_t		 now = ods_now_ms();

	if ((c = conf_build(m->argc, m->argv, &o, stderr, &exit_ok)) == NULL) {
		ods_log(ODS_LOG_ERR, "reload_refused reason=%s",
		    "invalid configuration; the running one stays");
		return;
	}
	if (strcmp(c->listen, m->conf->listen) != 0)
		ods_log(ODS_LOG_WARN, "reload_listen_unchanged reason=%s",
		    "the listening socket needs a restart to change");
	if (c->workers > m->nslots / 3) {
		ods_log(ODS_LOG_WARN, "reload_workers_capped workers=%d max=%d",
		    c->workers, m->nslots / 3);
		c->workers = m->nslots / 3;
	}
	ods_log_init(m->svc->name, c->log_level);
	ods_conf_free(m->conf);
	m->conf = c;
	m->want = c->workers;
	m->threads = c->threads > 0 ? c->threads : m->svc->default_threads;
	m->gen++;
	ods_log(ODS_LOG_INFO, "reload generation=%d workers=%d", m->gen,
	    m->want);
	fill(m);
	for (i = 0; i < m->nslots; i++) {
		if (m->slots[i].gen == m->gen)
			continue;
		if (m->slots[i].state == SLOT_WAIT)
			m->slots[i].state = SLOT_FREE;
		slot_drain(m, &m->slots[i], now);
	}
}

static int
master_run(struct master *m)
{
	struct timespec	 tick = { 0, TICK_MS * 1000000L };
	sigset_t	 set;
	int		 sig;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	ods_log(ODS_LOG_INFO, "master_start pid=%ld workers=%d listen=%s",
	    (long)getpid(), m->want, *m->conf->listen ? m->conf->listen :
	    "fd:0");
	fill(m);
	for (;;) {
		sig = sigtimedwait(&set, NULL, &tick);
		if (sig == SIGTERM || sig == SIGQUIT || sig == SIGINT)
			shutdown_begin(m, sig);
		else if (sig == SIGHUP && !m->shutting_down)
			reload(m);
		reap(m);
		if (!m->shutting_down)
			fill(m);
		supervise(m, ods_now_ms());
		shutdown_progress(m, ods_now_ms());
		if (m->shutting_down && ods_now_ms() >= m->stop_accepting_at &&
		    slots_alive(m) == 0)
			break;
	}
	ods_log(ODS_LOG_INFO, "master_exit pid=%ld", (long)getpid());
	return 0;
}

/* Remove our socket file, unless another server has bound the path since. */
static void
unix_unlink(struct master *m)
{
	struct stat	st;

	if (m->unix_path == NULL || lstat(m->unix_path, &st) < 0 ||
	    st.st_ino != m->unix_ino)
		return;
	if (unlink(m->unix_path) < 0)
		ods_log(ODS_LOG_WARN | ODS_LOG_ERRNO, "unlink path=%s",
		    m->unix_path);
}

static void
pid_file_write(const char *path)
{
	FILE	*fp;

	if (*path == '\0')
		return;
	if ((fp = fopen(path, "w")) == NULL) {
		ods_log(ODS_LOG_WARN | ODS_LOG_ERRNO, "pid_file path=%s", path);
		return;
	}
	fprintf(fp, "%ld\n", (long)getpid());
	fclose(fp);
}

/*
 * --routes: "METHOD PATH" per route, under each prefix the service strips
 * (the paths clients send through nginx) but those an alias takes, then
 * under each alias the routes it reaches, then the built-in /metrics,
 * which is matched on the unstripped path.
 */
static int
routes_print(const struct ods_service *svc)
{
	static const char *const	 none[] = { "", NULL };
	const char *const		*pre = none;
	const struct ods_path_alias	*al;
	const struct ods_route		*rt;
	char				 path[1024];
	size_t				 i, n;

	if (svc->prefixes != NULL && svc->prefixes[0] != NULL)
		pre = svc->prefixes;
	for (; *pre != NULL; pre++)
		for (i = 0; i < svc->nroutes; i++) {
			rt = &svc->routes[i];
			snprintf(path, sizeof(path), "%s%s", *pre,
			    rt->pattern);
			/* Shadowed: that path reaches the alias's route. */
			if (ods_path_alias_find(svc->aliases, path) == NULL)
				printf("%s %s\n", ods_method_name(rt->method),
				    path);
		}
	for (al = svc->aliases; al != NULL && al->from != NULL; al++) {
		n = strlen(al->to);
		for (i = 0; i < svc->nroutes; i++) {
			rt = &svc->routes[i];
			if (strncmp(rt->pattern, al->to, n) == 0 &&
			    (rt->pattern[n] == '/' || rt->pattern[n] == '\0'))
				printf("%s %s%s\n", ods_method_name(rt->method),
				    al->from, rt->pattern + n);
		}
	}
	rt = &odsi_metrics_route;
	printf("%s %s\n", ods_method_name(rt->method), rt->pattern);
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}

/* The job-type table: names unique and non-empty, every handler set. */
static int
job_types_valid(const struct ods_service *svc)
{
	size_t	i, k;

	for (i = 0; i < svc->njob_types; i++) {
		if (svc->job_types[i].name == NULL ||
		    *svc->job_types[i].name == '\0' ||
		    strlen(svc->job_types[i].name) > 64 ||
		    svc->job_types[i].handler == NULL) {
			ods_log(ODS_LOG_ERR, "job_type_invalid index=%zu", i);
			return 0;
		}
		for (k = 0; k < i; k++)
			if (strcmp(svc->job_types[k].name,
			    svc->job_types[i].name) == 0) {
				ods_log(ODS_LOG_ERR, "job_type_duplicate "
				    "name=%s", svc->job_types[i].name);
				return 0;
			}
	}
	return 1;
}

static int
check_config(const struct ods_conf *c, const struct ods_service *svc)
{
	printf("%s: configuration ok\n", svc->name);
	ods_conf_dump(c, stdout);
	return 0;
}

int
ods_fcgi_main(int argc, char *argv[], const struct ods_service *svc)
{
	struct master		 m;
	struct opts		 o;
	struct ods_router	*rt;
	int			 exit_ok, status, threads;

	memset(&m, 0, sizeof(m));
	m.svc = svc;
	m.argc = argc;
	m.argv = argv;
	m.pid = getpid();
	ods_log_init(svc->name, ODS_LOG_INFO);
	if ((m.conf = conf_build(argc, argv, &o, stderr, &exit_ok)) == NULL)
		return !exit_ok ? 1 : o.routes ? routes_print(svc) : 0;
	ods_log_init(svc->name, m.conf->log_level);
	/* A bad route row (pattern, permission) refuses to start, here. */
	if ((rt = ods_router_new(svc->routes, svc->nroutes)) == NULL) {
		ods_conf_free(m.conf);
		return 1;
	}
	ods_router_free(rt);
	if (!job_types_valid(svc)) {
		ods_conf_free(m.conf);
		return 1;
	}
	if (o.check_only) {
		status = check_config(m.conf, svc);
		ods_conf_free(m.conf);
		return status;
	}
	threads = m.conf->threads > 0 ? m.conf->threads : svc->default_threads;
	if ((m.listen_fd = listen_open(&m)) < 0)
		return 1;
	m.want = m.conf->workers;
	m.nslots = 3 * m.want;
	/* Room for any thread count a reload may ask for. */
	if ((m.sb = odsi_sb_new(m.nslots, threads > 256 ? threads : 256, 1))
	    == NULL)
		return 1;
	m.threads = threads;
	if (svc->register_metrics != NULL && svc->register_metrics() !=
	    ODS_OK)
		return 1;
	if (svc->njob_types > 0 && odsi_job_register_metrics() != ODS_OK)
		return 1;
	if ((m.metrics = ods_metrics_new(svc->name, (unsigned)m.nslots)) ==
	    NULL)
		return 1;
	pid_file_write(m.conf->pid_file);
	if (*m.conf->listen == '\0' && !o.workers_set) {
		/* spawn-fcgi: this process is the only worker. */
		status = odsi_worker_run(svc, m.conf, m.listen_fd, m.sb, 0,
		    m.metrics, 1);
	} else {
		m.slots = ods_xcalloc((size_t)m.nslots, sizeof(*m.slots));
		status = master_run(&m);
		free(m.slots);
	}
	unix_unlink(&m);
	if (*m.conf->pid_file != '\0')
		unlink(m.conf->pid_file);
	free(m.unix_path);
	odsi_sb_free(m.sb);
	ods_metrics_free(m.metrics);
	ods_conf_free(m.conf);
	return status;
}
