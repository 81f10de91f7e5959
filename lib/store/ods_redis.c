/*
 * lib/store/ods_redis.c — hiredis contexts behind a per-process pool.
 *
 * hiredis contexts are not thread-safe, so each thread borrows one. A
 * failed connect or a timeout opens a circuit for ODS_REDIS_HOLD_MS:
 * meanwhile every call answers ODS_EUNAVAIL without touching the network.
 * hiredis objects never leave this file.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include <hiredis/hiredis.h>
#include <openssl/evp.h>

#include "core/ods_conf.h"
#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "store/ods_redis.h"
#include "core/ods_time.h"
#include "core/ods_util.h"

#define MAX_POOL	1024

struct rurl {
	int	 is_unix;
	char	*host;		/* or the socket path */
	int	 port;
	char	*user;		/* NULL: none */
	char	*password;	/* NULL: none */
	int	 db;
};

struct rconn {
	redisContext	*c;
	int		 busy;
};

struct ods_redis {
	pthread_mutex_t	 mtx;
	pthread_cond_t	 cond;
	struct rconn	*conns;
	unsigned	 size;
	double		 down_until;
	int		 down;		/* an outage was logged */
	struct rurl	 url;
	int		 timeout_ms;
};

/* ---- URL ---- */

static void
url_clear(struct rurl *u)
{
	if (u->password != NULL)
		explicit_bzero(u->password, strlen(u->password));
	free(u->host);
	free(u->user);
	free(u->password);
	memset(u, 0, sizeof(*u));
}

/* Percent-decode s[0..n) into a new string; NULL when malformed. */
static char *
pct_decode(const char *s, size_t n)
{
	char	*out = ods_xmalloc(n + 1);
	size_t	 i, o = 0;
	int	 hi, lo;

	for (i = 0; i < n; i++) {
		if (s[i] != '%') {
			out[o++] = s[i];
			continue;
		}
		if (i + 2 >= n) {
			free(out);
			return NULL;
		}
		hi = ods_hexval((unsigned char)s[i + 1]);
		lo = ods_hexval((unsigned char)s[i + 2]);
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
			free(out);
			return NULL;
		}
		out[o++] = (char)(hi * 16 + lo);
		i += 2;
	}
	out[o] = '\0';
	return out;
}

static int
parse_num(const char *s, size_t n, long min, long max, int *out)
{
	long	v = 0;
	size_t	i;

	if (n == 0 || n > 10)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

#define BAD(msg) do { ods_why_set(why, NULL, "%s", (msg)); goto bad; } \
	while (0)

/* "db=N&password=P" (unix) or "db=N" (redis). */
static enum ods_err
parse_query(const char *q, struct rurl *u, int allow_pw, struct ods_why *why)
{
	const char	*p = q, *amp, *eq;
	size_t		 n;

	while (*p != '\0') {
		amp = strchr(p, '&');
		n = amp != NULL ? (size_t)(amp - p) : strlen(p);
		eq = memchr(p, '=', n);
		if (eq == NULL)
			BAD("query parameter without '='");
		if ((size_t)(eq - p) == 2 && strncmp(p, "db", 2) == 0) {
			if (parse_num(eq + 1, n - 3, 0, INT_MAX, &u->db) != 0)
				BAD("db must be a number");
		} else if (allow_pw && (size_t)(eq - p) == 8 &&
		    strncmp(p, "password", 8) == 0) {
			free(u->password);
			u->password = pct_decode(eq + 1, n - 9);
			if (u->password == NULL)
				BAD("bad percent-encoding in password");
		} else
			BAD("unknown query parameter (db and, for unix://, "
			    "password are known)");
		p += n + (amp != NULL ? 1 : 0);
	}
	return ODS_OK;
bad:
	return ODS_EINVAL;
}

static enum ods_err
parse_userinfo(const char *s, size_t n, struct rurl *u, struct ods_why *why)
{
	const char	*colon = memchr(s, ':', n);
	size_t		 ul = colon != NULL ? (size_t)(colon - s) : n;

	if (ul > 0 && (u->user = pct_decode(s, ul)) == NULL)
		BAD("bad percent-encoding in user");
	if (colon != NULL && (u->password = pct_decode(colon + 1,
	    n - ul - 1)) == NULL)
		BAD("bad percent-encoding in password");
	return ODS_OK;
bad:
	return ODS_EINVAL;
}

static enum ods_err
parse_hostport(const char *s, size_t n, struct rurl *u, struct ods_why *why)
{
	const char	*end = s + n, *hend, *colon = NULL;

	if (n > 0 && s[0] == '[') {
		if ((hend = memchr(s, ']', n)) == NULL)
			BAD("unterminated [IPv6] host");
		u->host = ods_xstrndup(s + 1, (size_t)(hend - s - 1));
		if (hend + 1 < end && hend[1] != ':')
			BAD("junk after [IPv6] host");
		if (hend + 1 < end)
			colon = hend + 1;
	} else {
		colon = memchr(s, ':', n);
		hend = colon != NULL ? colon : end;
		u->host = ods_xstrndup(s, (size_t)(hend - s));
	}
	if (u->host[0] == '\0')
		BAD("missing host");
	u->port = 6379;
	if (colon != NULL && parse_num(colon + 1, (size_t)(end - colon - 1),
	    1, 65535, &u->port) != 0)
		BAD("port must be 1..65535");
	return ODS_OK;
bad:
	return ODS_EINVAL;
}

static enum ods_err
parse_tcp(const char *rest, struct rurl *u, struct ods_why *why)
{
	const char	*q, *slash, *at, *auth_end, *p, *dend;
	char		*query = NULL;
	enum ods_err	 er = ODS_EINVAL;

	q = strchr(rest, '?');
	auth_end = q != NULL ? q : rest + strlen(rest);
	slash = memchr(rest, '/', (size_t)(auth_end - rest));
	if (slash != NULL)
		auth_end = slash;
	at = NULL;
	for (p = rest; p < auth_end; p++)
		if (*p == '@')
			at = p;
	if (at != NULL && parse_userinfo(rest, (size_t)(at - rest), u, why) != ODS_OK)
		return ODS_EINVAL;
	if (parse_hostport(at != NULL ? at + 1 : rest,
	    (size_t)(auth_end - (at != NULL ? at + 1 : rest)), u, why) != ODS_OK)
		return ODS_EINVAL;
	if (slash != NULL) {
		dend = q != NULL ? q : slash + strlen(slash);
		if (dend - slash > 1 && parse_num(slash + 1,
		    (size_t)(dend - slash - 1), 0, INT_MAX, &u->db) != 0) {
			ods_why_set(why, NULL, "database must be a number");
			return ODS_EINVAL;
		}
	}
	if (q == NULL)
		return ODS_OK;
	query = ods_xstrdup(q + 1);
	er = parse_query(query, u, 0, why);
	free(query);
	return er;
}

/*
 * unix://[user[:password]@]/path[?db=N&password=P], the form of
 * redis-py: a user of Redis' ACL (the local stack's "ods") reaches the
 * server over its socket too, which saves the TCP stack a round trip per
 * rate-limit check.
 */
static enum ods_err
parse_unix(const char *rest, struct rurl *u, struct ods_why *why)
{
	const char	*q, *at, *slash;
	size_t		 n;

	slash = strchr(rest, '/');
	at = memchr(rest, '@', slash != NULL ? (size_t)(slash - rest) : 0);
	if (at != NULL) {
		if (parse_userinfo(rest, (size_t)(at - rest), u, why) != ODS_OK)
			return ODS_EINVAL;
		rest = at + 1;
	}
	q = strchr(rest, '?');
	n = q != NULL ? (size_t)(q - rest) : strlen(rest);
	if (n == 0 || rest[0] != '/') {
		ods_why_set(why, NULL, "unix:// needs an absolute socket path");
		return ODS_EINVAL;
	}
	u->is_unix = 1;
	u->host = ods_xstrndup(rest, n);
	return q != NULL ? parse_query(q + 1, u, 1, why) : ODS_OK;
}

static enum ods_err
url_parse(const char *url, struct rurl *u, struct ods_why *why)
{
	enum ods_err	er;

	memset(u, 0, sizeof(*u));
	ods_why_set(why, NULL, "%s", "");
	if (url == NULL || url[0] == '\0') {
		ods_why_set(why, NULL, "empty");
		return ODS_EINVAL;
	}
	if (strncasecmp(url, "redis://", 8) == 0)
		er = parse_tcp(url + 8, u, why);
	else if (strncasecmp(url, "unix://", 7) == 0)
		er = parse_unix(url + 7, u, why);
	else if (strncasecmp(url, "rediss://", 9) == 0) {
		ods_why_set(why, NULL, "rediss:// (TLS) is not supported by "
		    "this build of hiredis");
		er = ODS_EINVAL;
	} else {
		ods_why_set(why, NULL, "must start with redis:// or unix://");
		er = ODS_EINVAL;
	}
	if (er != ODS_OK)
		url_clear(u);
	return er;
}

enum ods_err
ods_redis_url_check(const char *url, struct ods_why *why)
{
	struct rurl	u;
	struct ods_why	buf;
	enum ods_err	er;

	er = url_parse(url, &u, &buf);
	if (er == ODS_OK)
		ods_why_set(why, NULL, "%s", "");
	else if (why != NULL)
		*why = buf;
	url_clear(&u);
	return er;
}

/* ---- pool ---- */

struct ods_redis *
ods_redis_new(const struct ods_conf *conf, unsigned pool_size)
{
	struct ods_redis	*r;
	pthread_condattr_t	 ca;
	struct ods_why			 why;

	r = ods_xcalloc(1, sizeof(*r));
	if (url_parse(conf->redis_url, &r->url, &why) != ODS_OK) {
		if (conf->redis_url != NULL && conf->redis_url[0] != '\0')
			ods_log(ODS_LOG_ERR, "redis_bad_url reason=%s", why.msg);
		free(r);
		return NULL;
	}
	r->size = pool_size == 0 ? 1 : pool_size;
	if (r->size > MAX_POOL)
		r->size = MAX_POOL;
	r->conns = ods_xcalloc(r->size, sizeof(*r->conns));
	r->timeout_ms = conf->redis_timeout_ms > 0 ? conf->redis_timeout_ms :
	    500;
	pthread_mutex_init(&r->mtx, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->cond, &ca);
	pthread_condattr_destroy(&ca);
	return r;
}

void
ods_redis_free(struct ods_redis *r)
{
	unsigned	i;

	if (r == NULL)
		return;
	for (i = 0; i < r->size; i++)
		if (r->conns[i].c != NULL)
			redisFree(r->conns[i].c);
	pthread_mutex_destroy(&r->mtx);
	pthread_cond_destroy(&r->cond);
	url_clear(&r->url);
	free(r->conns);
	free(r);
}

static const char *
where(const struct ods_redis *r)
{
	return r->url.host;	/* host or socket path; never the password */
}

/* Record a failure (hold the circuit open) or a success. */
static void
note(struct ods_redis *r, int ok, const char *what, const char *err)
{
	int	was_down;

	pthread_mutex_lock(&r->mtx);
	was_down = r->down;
	r->down = !ok;
	if (!ok)
		r->down_until = ods_now_sec() + ODS_REDIS_HOLD_MS / 1000.0;
	pthread_mutex_unlock(&r->mtx);
	if (ok && was_down)
		ods_log(ODS_LOG_INFO, "redis_up at=%s", where(r));
	else if (!ok && !was_down)
		ods_log(ODS_LOG_WARN, "redis_down at=%s during=%s error=%s",
		    where(r), what, err);
}

static enum ods_err
auth_select(struct ods_redis *r, redisContext *c, const char **err)
{
	redisReply	*rep;
	char		 db[16];
	enum ods_err	 er = ODS_OK;

	if (r->url.password != NULL) {
		if (r->url.user != NULL)
			rep = redisCommand(c, "AUTH %s %s", r->url.user,
			    r->url.password);
		else
			rep = redisCommand(c, "AUTH %s", r->url.password);
		if (rep == NULL || rep->type == REDIS_REPLY_ERROR) {
			*err = rep == NULL ? c->errstr : "authentication refused";
			er = ODS_EUNAVAIL;
		}
		freeReplyObject(rep);
		if (er != ODS_OK)
			return er;
	}
	if (r->url.db != 0) {
		snprintf(db, sizeof(db), "%d", r->url.db);
		rep = redisCommand(c, "SELECT %s", db);
		if (rep == NULL || rep->type == REDIS_REPLY_ERROR) {
			*err = rep == NULL ? c->errstr : "SELECT refused";
			er = ODS_EUNAVAIL;
		}
		freeReplyObject(rep);
	}
	return er;
}

static enum ods_err
conn_open(struct ods_redis *r, struct rconn *k)
{
	struct timeval	 tv;
	redisContext	*c;
	const char	*err = NULL;

	tv.tv_sec = r->timeout_ms / 1000;
	tv.tv_usec = (r->timeout_ms % 1000) * 1000;
	if (r->url.is_unix)
		c = redisConnectUnixWithTimeout(r->url.host, tv);
	else
		c = redisConnectWithTimeout(r->url.host, r->url.port, tv);
	if (c == NULL || c->err != 0)
		err = c == NULL ? "out of memory" : c->errstr;
	else if (redisSetTimeout(c, tv) != REDIS_OK)
		err = "cannot set timeout";
	else if (!r->url.is_unix && redisEnableKeepAlive(c) != REDIS_OK)
		err = "cannot enable keepalive";
	else
		(void)auth_select(r, c, &err);
	if (err != NULL) {
		note(r, 0, "connect", err);
		if (c != NULL)
			redisFree(c);
		return ODS_EUNAVAIL;
	}
	note(r, 1, "connect", NULL);
	k->c = c;
	return ODS_OK;
}

/* An idle context has nothing to read: readable means closed by Redis. */
static int
conn_alive(const struct rconn *k)
{
	struct pollfd	pfd;

	pfd.fd = k->c->fd;
	pfd.events = POLLIN | POLLRDHUP;
	pfd.revents = 0;
	return pfd.fd >= 0 && poll(&pfd, 1, 0) == 0;
}

static struct rconn *
pick(struct ods_redis *r)
{
	struct rconn	*any = NULL;
	unsigned	 i;

	for (i = 0; i < r->size; i++) {
		if (r->conns[i].busy)
			continue;
		if (r->conns[i].c != NULL)
			return &r->conns[i];
		if (any == NULL)
			any = &r->conns[i];
	}
	return any;
}

static void
put_back(struct ods_redis *r, struct rconn *k)
{
	pthread_mutex_lock(&r->mtx);
	k->busy = 0;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->mtx);
}

static enum ods_err
acquire(struct ods_redis *r, struct rconn **out)
{
	struct rconn	*k = NULL;
	struct timespec	 dl;
	enum ods_err	 er;

	ods_deadline(&dl, CLOCK_MONOTONIC, r->timeout_ms);
	pthread_mutex_lock(&r->mtx);
	if (ods_now_sec() < r->down_until) {
		pthread_mutex_unlock(&r->mtx);
		return ODS_EUNAVAIL;
	}
	while ((k = pick(r)) == NULL)
		if (pthread_cond_timedwait(&r->cond, &r->mtx, &dl) ==
		    ETIMEDOUT && (k = pick(r)) == NULL)
			break;
	if (k != NULL)
		k->busy = 1;
	pthread_mutex_unlock(&r->mtx);
	if (k == NULL) {
		ods_log(ODS_LOG_WARN, "redis_pool_exhausted size=%u", r->size);
		return ODS_ETIMEOUT;
	}
	if (k->c != NULL && !conn_alive(k)) {
		ods_log(ODS_LOG_INFO, "redis_reconnect reason=closed_by_server");
		redisFree(k->c);
		k->c = NULL;
	}
	if (k->c == NULL && (er = conn_open(r, k)) != ODS_OK) {
		put_back(r, k);
		return er;
	}
	*out = k;
	return ODS_OK;
}

/*
 * Send one command on a pooled context. The context is dropped on any
 * I/O error (hiredis leaves it unusable); a timeout also opens the circuit.
 */
static enum ods_err
run(struct ods_redis *r, int argc, const char **argv, const size_t *argvlen,
    redisReply **out)
{
	struct rconn	*k;
	redisReply	*rep;
	enum ods_err	 er;
	double		 t0 = ods_now_sec();

	*out = NULL;
	if (argc < 1 || argc > ODS_REDIS_MAX_ARGS + 3)
		return ODS_EINVAL;
	if ((er = acquire(r, &k)) != ODS_OK)
		return er;
	rep = redisCommandArgv(k->c, argc, argv, argvlen);
	if (rep == NULL) {
		if (ods_now_sec() - t0 >= r->timeout_ms / 1000.0 - 0.005) {
			er = ODS_ETIMEOUT;
			note(r, 0, "command_timeout", k->c->errstr);
		} else {
			er = ODS_EUNAVAIL;
			ods_log(ODS_LOG_WARN, "redis_io_error at=%s error=%s",
			    where(r), k->c->errstr);
		}
		redisFree(k->c);
		k->c = NULL;
	}
	put_back(r, k);
	*out = rep;
	return er;
}

/* An error reply as an ods_err. */
static enum ods_err
reply_err(const char *s)
{
	static const char *const unavail[] = { "LOADING", "BUSY", "READONLY",
	    "OOM", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN", "MISCONF",
	    "NOREPLICAS", "NOAUTH", "WRONGPASS", "NOPERM" };
	size_t	i, n;

	for (i = 0; i < ODS_NELEM(unavail); i++) {
		n = strlen(unavail[i]);
		if (strncmp(s, unavail[i], n) == 0 && (s[n] == ' ' ||
		    s[n] == '\0'))
			return ODS_EUNAVAIL;
	}
	if (strncmp(s, "ERR value is not", 16) == 0 ||
	    strncmp(s, "ERR increment or decrement", 26) == 0 ||
	    strncmp(s, "ERR syntax", 10) == 0 ||
	    strncmp(s, "ERR invalid expire", 18) == 0)
		return ODS_EINVAL;
	return ODS_EINTERNAL;
}

/* Typed helpers: run, then check the reply's type. */
static enum ods_err
run_expect(struct ods_redis *r, int argc, const char **argv,
    const size_t *argvlen, int type, redisReply **out)
{
	redisReply	*rep;
	enum ods_err	 er;

	*out = NULL;
	if ((er = run(r, argc, argv, argvlen, &rep)) != ODS_OK)
		return er;
	if (rep->type == REDIS_REPLY_ERROR) {
		er = reply_err(rep->str);
		ods_log(er == ODS_EINVAL ? ODS_LOG_DEBUG : ODS_LOG_WARN,
		    "redis_error_reply command=%s error=%s", argv[0], rep->str);
	} else if (rep->type != type && rep->type != REDIS_REPLY_NIL)
		er = ODS_EINTERNAL;
	if (er != ODS_OK) {
		freeReplyObject(rep);
		return er;
	}
	*out = rep;
	return ODS_OK;
}

enum ods_err
ods_redis_ping(struct ods_redis *r, double *latency_ms)
{
	const char	*argv[] = { "PING" };
	redisReply	*rep;
	enum ods_err	 er;
	double		 t0 = ods_now_sec();

	er = run_expect(r, 1, argv, NULL, REDIS_REPLY_STATUS, &rep);
	if (er == ODS_OK && rep->type != REDIS_REPLY_STATUS)
		er = ODS_EINTERNAL;
	freeReplyObject(rep);
	if (latency_ms != NULL)
		*latency_ms = (ods_now_sec() - t0) * 1000.0;
	return er;
}

enum ods_err
ods_redis_get(struct ods_redis *r, const char *key, char **val, size_t *len)
{
	const char	*argv[] = { "GET", key };
	redisReply	*rep;
	enum ods_err	 er;

	*val = NULL;
	if (len != NULL)
		*len = 0;
	if ((er = run_expect(r, 2, argv, NULL, REDIS_REPLY_STRING, &rep)) !=
	    ODS_OK)
		return er;
	if (rep->type == REDIS_REPLY_NIL)
		er = ODS_ENOTFOUND;
	else if ((*val = malloc(rep->len + 1)) == NULL)
		er = ODS_ENOMEM;
	else {
		memcpy(*val, rep->str, rep->len);
		(*val)[rep->len] = '\0';
		if (len != NULL)
			*len = rep->len;
	}
	freeReplyObject(rep);
	return er;
}

enum ods_err
ods_redis_set(struct ods_redis *r, const char *key, const void *val,
    size_t len, long long ttl_ms, int flags)
{
	const char	*argv[6] = { "SET", key, val };
	size_t		 lens[6] = { 3, strlen(key), len };
	char		 ttl[24];
	redisReply	*rep;
	enum ods_err	 er;
	int		 argc = 3;

	if ((flags & ODS_REDIS_NX) && (flags & ODS_REDIS_XX))
		return ODS_EINVAL;
	if (ttl_ms > 0) {
		snprintf(ttl, sizeof(ttl), "%lld", ttl_ms);
		argv[argc] = "PX", lens[argc++] = 2;
		argv[argc] = ttl, lens[argc++] = strlen(ttl);
	}
	if (flags & (ODS_REDIS_NX | ODS_REDIS_XX)) {
		argv[argc] = (flags & ODS_REDIS_NX) ? "NX" : "XX";
		lens[argc++] = 2;
	}
	if ((er = run_expect(r, argc, argv, lens, REDIS_REPLY_STATUS, &rep)) !=
	    ODS_OK)
		return er;
	if (rep->type == REDIS_REPLY_NIL)
		er = ODS_ECONFLICT;
	freeReplyObject(rep);
	return er;
}

static enum ods_err
run_int(struct ods_redis *r, int argc, const char **argv, long long *v)
{
	redisReply	*rep;
	enum ods_err	 er;

	if ((er = run_expect(r, argc, argv, NULL, REDIS_REPLY_INTEGER, &rep)) !=
	    ODS_OK)
		return er;
	if (rep->type != REDIS_REPLY_INTEGER)
		er = ODS_EINTERNAL;
	else
		*v = rep->integer;
	freeReplyObject(rep);
	return er;
}

enum ods_err
ods_redis_del(struct ods_redis *r, const char *key, int *deleted)
{
	const char	*argv[] = { "DEL", key };
	long long	 n = 0;
	enum ods_err	 er;

	er = run_int(r, 2, argv, &n);
	if (deleted != NULL)
		*deleted = n > 0;
	return er;
}

enum ods_err
ods_redis_incr(struct ods_redis *r, const char *key, long long by,
    long long *value)
{
	char		 num[24];
	const char	*argv[] = { "INCRBY", key, num };
	long long	 n = 0;
	enum ods_err	 er;

	snprintf(num, sizeof(num), "%lld", by);
	er = run_int(r, 3, argv, &n);
	if (value != NULL)
		*value = n;
	return er;
}

enum ods_err
ods_redis_expire(struct ods_redis *r, const char *key, long long ttl_ms,
    int *set)
{
	char		 num[24];
	const char	*argv[] = { "PEXPIRE", key, num };
	long long	 n = 0;
	enum ods_err	 er;

	if (ttl_ms <= 0)
		return ODS_EINVAL;
	snprintf(num, sizeof(num), "%lld", ttl_ms);
	er = run_int(r, 3, argv, &n);
	if (set != NULL)
		*set = n == 1;
	return er;
}

/* ---- generic replies ---- */

static enum ods_err
copy_reply(const redisReply *in, struct ods_redis_reply *out)
{
	size_t	i;

	memset(out, 0, sizeof(*out));
	switch (in->type) {
	case REDIS_REPLY_STRING:
	case REDIS_REPLY_STATUS:
	case REDIS_REPLY_ERROR:
		out->type = in->type == REDIS_REPLY_STRING ? ODS_REDIS_STRING :
		    in->type == REDIS_REPLY_STATUS ? ODS_REDIS_STATUS :
		    ODS_REDIS_ERROR;
		if ((out->str = malloc(in->len + 1)) == NULL)
			return ODS_ENOMEM;
		memcpy(out->str, in->str, in->len);
		out->str[in->len] = '\0';
		out->len = in->len;
		return ODS_OK;
	case REDIS_REPLY_INTEGER:
		out->type = ODS_REDIS_INTEGER;
		out->integer = in->integer;
		return ODS_OK;
	case REDIS_REPLY_ARRAY:
		out->type = ODS_REDIS_ARRAY;
		if (in->elements == 0)
			return ODS_OK;
		out->elem = calloc(in->elements, sizeof(*out->elem));
		if (out->elem == NULL)
			return ODS_ENOMEM;
		out->nelem = in->elements;
		for (i = 0; i < in->elements; i++)
			if (copy_reply(in->element[i], &out->elem[i]) != ODS_OK)
				return ODS_ENOMEM;
		return ODS_OK;
	default:
		out->type = ODS_REDIS_NIL;
		return ODS_OK;
	}
}

static void
reply_fini(struct ods_redis_reply *x)
{
	size_t	i;

	for (i = 0; i < x->nelem; i++)
		reply_fini(&x->elem[i]);
	free(x->elem);
	free(x->str);
}

void
ods_redis_reply_free(struct ods_redis_reply *x)
{
	if (x == NULL)
		return;
	reply_fini(x);
	free(x);
}

/* Copy rep (consumed) into *out; an error reply maps to an ods_err. */
static enum ods_err
hand_out(redisReply *rep, struct ods_redis_reply **out)
{
	struct ods_redis_reply	*x;
	enum ods_err		 er;

	if ((x = calloc(1, sizeof(*x))) == NULL) {
		freeReplyObject(rep);
		return ODS_ENOMEM;
	}
	if (copy_reply(rep, x) != ODS_OK) {
		freeReplyObject(rep);
		ods_redis_reply_free(x);
		return ODS_ENOMEM;
	}
	er = rep->type == REDIS_REPLY_ERROR ? reply_err(rep->str) : ODS_OK;
	freeReplyObject(rep);
	*out = x;
	return er;
}

enum ods_err
ods_redis_command(struct ods_redis *r, int argc, const char *const *argv,
    const size_t *argvlen, struct ods_redis_reply **out)
{
	redisReply	*rep;
	enum ods_err	 er;

	*out = NULL;
	if (argc < 1 || argc > ODS_REDIS_MAX_ARGS || argv == NULL)
		return ODS_EINVAL;
	if ((er = run(r, argc, (const char **)argv, argvlen, &rep)) != ODS_OK)
		return er;
	return hand_out(rep, out);
}

void
ods_redis_script_init(struct ods_redis_script *s, const char *src)
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	mdlen = 0, i;

	s->src = src;
	s->sha[0] = '\0';
	if (EVP_Digest(src, strlen(src), md, &mdlen, EVP_sha1(), NULL) != 1 ||
	    mdlen != 20)
		return;		/* EVALSHA then fails over to EVAL */
	for (i = 0; i < mdlen; i++)
		snprintf(s->sha + 2 * i, 3, "%02x", md[i]);
}

enum ods_err
ods_redis_eval(struct ods_redis *r, const struct ods_redis_script *s,
    int nkeys, int argc, const char *const *argv, const size_t *argvlen,
    struct ods_redis_reply **out)
{
	const char	*av[ODS_REDIS_MAX_ARGS + 3];
	size_t		 al[ODS_REDIS_MAX_ARGS + 3];
	char		 nk[16];
	redisReply	*rep;
	enum ods_err	 er;
	int		 i;

	*out = NULL;
	if (argc < 0 || argc > ODS_REDIS_MAX_ARGS || nkeys < 0 ||
	    nkeys > argc || (argc > 0 && argv == NULL))
		return ODS_EINVAL;
	snprintf(nk, sizeof(nk), "%d", nkeys);
	av[0] = "EVALSHA", al[0] = 7;
	av[1] = s->sha, al[1] = strlen(s->sha);
	av[2] = nk, al[2] = strlen(nk);
	for (i = 0; i < argc; i++) {
		av[i + 3] = argv[i];
		al[i + 3] = argvlen != NULL ? argvlen[i] : strlen(argv[i]);
	}
	if ((er = run(r, argc + 3, av, al, &rep)) != ODS_OK)
		return er;
	if (rep->type == REDIS_REPLY_ERROR &&
	    strncmp(rep->str, "NOSCRIPT", 8) == 0) {
		freeReplyObject(rep);
		av[0] = "EVAL", al[0] = 4;
		av[1] = s->src, al[1] = strlen(s->src);
		if ((er = run(r, argc + 3, av, al, &rep)) != ODS_OK)
			return er;
	}
	return hand_out(rep, out);
}
