/*
 * lib/store/ods_db.c — MariaDB Connector/C behind a per-process pool.
 *
 * One slot per worker thread, connections opened lazily and reopened when
 * the server went away (checked without a round trip: an idle connection
 * whose socket is readable was closed or killed by the server). Each
 * connection keeps a small cache of prepared statements keyed by the SQL
 * literal, and apart from it its last multi-row INSERT. Connector/C
 * objects never leave this file.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>

#define ODS_DB_TRUSTED_TEXT	/* this file defines it */
#include "core/ods_conf.h"
#include "store/ods_db.h"
#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "core/ods_time.h"

#define STMT_CACHE	32	/* prepared statements kept per connection */
#define DOWN_HOLD_S	0.5	/* after a failed connect, refuse new ones */
#define PING_IDLE_S	30.0	/* idle longer than this: ping before use */
#define MAX_POOL	1024
#define DEADLOCK_RUNS	3	/* more runs of a deadlock's autocommit victim */

struct stmt_slot {
	char		*sql;		/* a copy: misuse cannot dangle */
	MYSQL_STMT	*st;
	uint64_t	 used;		/* LRU tick */
};

struct ods_db_conn {
	struct ods_db		*db;
	MYSQL			*my;		/* NULL: not connected */
	struct stmt_slot	 cache[STMT_CACHE];
	struct stmt_slot	 bulk;		/* the last multi-row INSERT */
	uint64_t		 tick;
	double			 last_used;	/* monotonic seconds */
	int			 busy;
	int			 in_tx;
	int			 broken;	/* close at release */
	unsigned		 err;		/* errno of the last failure */
	/* Under db->mtx: the watchdog reads them. */
	int			 fd;		/* c->my's socket, or -1 */
	int64_t			 deadline;	/* ods_now_ms(); 0: none */
	int			 cut;		/* the watchdog shut fd */
};

struct ods_db {
	pthread_mutex_t		 mtx;
	pthread_cond_t		 cond;
	struct ods_db_conn	*conns;
	unsigned		 size;
	unsigned		 in_use;
	double			 down_until;
	int			 down;		/* an outage was logged */
	struct ods_db_observer	 obs;

	char			*host, *user, *password, *dbname, *socket;
	unsigned		 port;
	unsigned		 connect_timeout, read_timeout, write_timeout;
	int			 acquire_ms;
	int			 call_ms;	/* ODS_DB_TIMEOUT_MS */
	size_t			 max_res;	/* ODS_DB_MAX_RESULT_BYTES */

	/*
	 * The watchdog: a thread that shuts the socket of a connection held
	 * past its deadline, so that a frozen server costs a request at most
	 * call_ms (Connector/C's own timeouts count whole seconds, per read,
	 * and a statement does several reads). Started by the first
	 * acquire in this process (a pool survives no fork with it).
	 */
	pthread_cond_t		 wcond;
	pthread_t		 wthread;
	pid_t			 wpid;		/* 0: not started */
	int			 wstop;
	/*
	 * When the watchdog wakes next (monotonic ms; 0: only when
	 * signalled), under mtx. A deadline is signalled only when
	 * it comes before that: deadlines are call_ms after their acquire,
	 * so nearly every one is later than the watchdog's own, and waking
	 * it on each acquire cost a context switch per query.
	 */
	int64_t			 wnext;
	uint64_t		 wacq;		/* acquires, for the watchdog */

	/*
	 * The readiness check's own connection, outside the pool, with
	 * short timeouts: a frozen server or a pool busy with slow queries
	 * must not hold readiness. One thread checks at a time; the others
	 * answer with the last result (under mtx).
	 */
	pthread_mutex_t		 hmu;
	MYSQL			*hmy;
	unsigned		 htimeout;	/* seconds */
	enum ods_err		 hlast;
	double			 hlast_ms;
	int			 hdone;		/* a check has completed */
};

static pthread_once_t	lib_once = PTHREAD_ONCE_INIT;

static void
lib_init(void)
{
	if (mysql_library_init(0, NULL, NULL) != 0)
		ods_log(ODS_LOG_ERR, "db_library_init_failed");
}

static unsigned
positive(int v, unsigned dflt)
{
	return v > 0 ? (unsigned)v : dflt;
}

struct ods_db *
ods_db_new(const struct ods_conf *conf, unsigned pool_size)
{
	struct ods_db		*db;
	pthread_condattr_t	 ca;
	unsigned		 i;

	pthread_once(&lib_once, lib_init);
	db = ods_xcalloc(1, sizeof(*db));
	if (conf->db_pool_size > 0)
		pool_size = (unsigned)conf->db_pool_size;
	db->size = pool_size == 0 ? 1 : pool_size;
	if (db->size > MAX_POOL)
		db->size = MAX_POOL;
	db->conns = ods_xcalloc(db->size, sizeof(*db->conns));
	for (i = 0; i < db->size; i++) {
		db->conns[i].db = db;
		db->conns[i].fd = -1;
	}

	db->host = ods_xstrdup(conf->mysql_host);
	db->user = ods_xstrdup(conf->mysql_user);
	db->password = ods_xstrdup(conf->mysql_password);
	db->dbname = ods_xstrdup(conf->mysql_database);
	db->socket = ods_xstrdup(conf->mysql_socket);
	db->port = positive(conf->mysql_port, 3306);
	db->connect_timeout = positive(conf->db_connect_timeout, 3);
	db->read_timeout = positive(conf->db_read_timeout, 10);
	db->write_timeout = positive(conf->db_write_timeout, 10);
	db->acquire_ms = conf->db_acquire_timeout_ms > 0 ?
	    conf->db_acquire_timeout_ms : 2000;
	db->call_ms = conf->db_timeout_ms > 0 ? conf->db_timeout_ms : 5000;
	db->max_res = conf->db_max_result_bytes > 0 ?
	    (size_t)conf->db_max_result_bytes : ODS_DB_MAX_RES_BYTES;
	if (db->acquire_ms > db->call_ms)
		db->acquire_ms = db->call_ms;
	/* Connection setup counts whole seconds: round up. */
	if (db->connect_timeout > (unsigned)(db->call_ms + 999) / 1000)
		db->connect_timeout = (unsigned)(db->call_ms + 999) / 1000;
	/* The client library counts whole seconds: round up. */
	db->htimeout = conf->health_timeout_ms > 0 ?
	    (unsigned)(conf->health_timeout_ms + 999) / 1000 : 1;
	db->hlast = ODS_EUNAVAIL;
	pthread_mutex_init(&db->hmu, NULL);

	pthread_mutex_init(&db->mtx, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&db->cond, &ca);
	pthread_cond_init(&db->wcond, &ca);
	pthread_condattr_destroy(&ca);
	return db;
}

/* ---- the watchdog ---- */

static void *
watchdog(void *arg)
{
	struct ods_db		*db = arg;
	struct ods_db_conn	*c;
	struct timespec		 ts;
	int64_t			 now, next;
	uint64_t		 wseen = 0;
	unsigned		 i;

	pthread_mutex_lock(&db->mtx);
	while (!db->wstop) {
		now = ods_now_ms();
		next = 0;
		for (i = 0; i < db->size; i++) {
			c = &db->conns[i];
			if (c->deadline == 0 || c->cut)
				continue;
			if (now < c->deadline) {
				if (next == 0 || c->deadline < next)
					next = c->deadline;
			} else if (c->fd >= 0) {
				/* The owner's read or write fails now. */
				(void)shutdown(c->fd, SHUT_RDWR);
				c->cut = 1;
			} else if (next == 0 || now + 50 < next)
				next = now + 50;	/* still connecting */
		}
		/*
		 * No deadline now, but calls came since the last look: a
		 * short query is often released before the watchdog runs.
		 * Sleep a call's length then, past which no new deadline
		 * can fall; after a quiet one, until woken.
		 */
		if (next == 0 && db->wacq != wseen)
			next = now + db->call_ms;
		wseen = db->wacq;
		db->wnext = next;
		if (next == 0)
			pthread_cond_wait(&db->wcond, &db->mtx);
		else {
			ods_deadline(&ts, CLOCK_MONOTONIC, (long)(next - now));
			(void)pthread_cond_timedwait(&db->wcond, &db->mtx, &ts);
		}
	}
	pthread_mutex_unlock(&db->mtx);
	return NULL;
}

/* Tell the watchdog of a new deadline if it would sleep past it. Locked. */
static void
watchdog_poke(struct ods_db *db, int64_t deadline)
{
	if (db->wnext == 0 || deadline < db->wnext)
		pthread_cond_signal(&db->wcond);
}

/* Start the watchdog in this process if it is not running. Locked. */
static void
watchdog_start(struct ods_db *db)
{
	sigset_t	all, old;

	if (db->wpid == getpid())
		return;
	/* Signals are the worker's main thread's business. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	db->wstop = 0;
	db->wnext = 0;		/* a forked copy's value was the parent's */
	if (pthread_create(&db->wthread, NULL, watchdog, db) == 0) {
		db->wpid = getpid();
		/* Named for top -H and for its test. */
		(void)pthread_setname_np(db->wthread, "ods-db-watch");
	}
	else
		ods_log(ODS_LOG_ERR, "db_watchdog_start_failed");
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Past its deadline a call does not start (nor retry). */
static int
expired(const struct ods_db_conn *c)
{
	int	gone;

	pthread_mutex_lock(&c->db->mtx);
	gone = c->cut || (c->deadline != 0 && ods_now_ms() >= c->deadline);
	pthread_mutex_unlock(&c->db->mtx);
	return gone;
}

void
ods_db_conn_set_timeout(struct ods_db_conn *c, int ms)
{
	pthread_mutex_lock(&c->db->mtx);
	c->deadline = ms > 0 ? ods_now_ms() + ms : 0;
	if (c->deadline != 0)
		watchdog_poke(c->db, c->deadline);
	pthread_mutex_unlock(&c->db->mtx);
}

static void
slot_clear(struct stmt_slot *s)
{
	if (s->st != NULL)
		mysql_stmt_close(s->st);
	free(s->sql);
	s->st = NULL;
	s->sql = NULL;
}

static void
stmt_cache_clear(struct ods_db_conn *c)
{
	size_t	i;

	for (i = 0; i < STMT_CACHE; i++)
		slot_clear(&c->cache[i]);
	slot_clear(&c->bulk);
}

static void
conn_close(struct ods_db_conn *c)
{
	/* The watchdog must never shut a number that is reused. */
	pthread_mutex_lock(&c->db->mtx);
	c->fd = -1;
	pthread_mutex_unlock(&c->db->mtx);
	stmt_cache_clear(c);
	if (c->my != NULL)
		mysql_close(c->my);
	c->my = NULL;
	c->broken = 0;
}

void
ods_db_free(struct ods_db *db)
{
	unsigned	i;

	if (db == NULL)
		return;
	if (db->wpid == getpid()) {
		pthread_mutex_lock(&db->mtx);
		db->wstop = 1;
		pthread_cond_signal(&db->wcond);
		pthread_mutex_unlock(&db->mtx);
		pthread_join(db->wthread, NULL);
	}
	for (i = 0; i < db->size; i++)
		conn_close(&db->conns[i]);
	if (db->hmy != NULL)
		mysql_close(db->hmy);
	pthread_mutex_destroy(&db->hmu);
	pthread_mutex_destroy(&db->mtx);
	pthread_cond_destroy(&db->cond);
	pthread_cond_destroy(&db->wcond);
	explicit_bzero(db->password, strlen(db->password));
	free(db->host);
	free(db->user);
	free(db->password);
	free(db->dbname);
	free(db->socket);
	free(db->conns);
	free(db);
}

unsigned
ods_db_size(const struct ods_db *db)
{
	return db->size;
}

void
ods_db_set_observer(struct ods_db *db, const struct ods_db_observer *obs)
{
	if (obs == NULL)
		memset(&db->obs, 0, sizeof(db->obs));
	else
		db->obs = *obs;
}

/* ---- errors ---- */

static int
is_conn_error(unsigned e)
{
	return e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST ||
	    e == CR_CONNECTION_ERROR || e == CR_CONN_HOST_ERROR ||
	    e == CR_UNKNOWN_HOST || e == CR_SERVER_LOST_EXTENDED ||
	    e == CR_ERR_NET_READ || e == CR_ERR_NET_WRITE ||
	    e == ER_CONNECTION_KILLED || e == ER_SERVER_SHUTDOWN ||
	    e == CR_COMMANDS_OUT_OF_SYNC;
}

static enum ods_err
map_error(unsigned e)
{
	switch (e) {
	case ER_DUP_ENTRY:
	case ER_DUP_KEY:
	case ER_DUP_ENTRY_WITH_KEY_NAME:
	case ER_ROW_IS_REFERENCED_2:
	case ER_NO_REFERENCED_ROW_2:
	case ER_LOCK_DEADLOCK:
		return ODS_ECONFLICT;
	case ER_BAD_NULL_ERROR:
	case ER_TRUNCATED_WRONG_VALUE:
	case ER_TRUNCATED_WRONG_VALUE_FOR_FIELD:
	case ER_WARN_DATA_OUT_OF_RANGE:
	case ER_CONSTRAINT_FAILED:
		return ODS_EINVAL;
	case ER_DATA_TOO_LONG:
	case ER_NET_PACKET_TOO_LARGE:
		return ODS_ETOOBIG;
	case ER_LOCK_WAIT_TIMEOUT:
	case ER_QUERY_INTERRUPTED:
	case ER_STATEMENT_TIMEOUT:
		return ODS_ETIMEOUT;
	case ER_DISK_FULL:
	case ER_RECORD_FILE_FULL:
		return ODS_ENOSPC;
	case ER_CON_COUNT_ERROR:
	case ER_OUT_OF_RESOURCES:
	case ER_READ_ONLY_MODE:
	case ER_OPTION_PREVENTS_STATEMENT:
		return ODS_EUNAVAIL;
	case CR_OUT_OF_MEMORY:
		return ODS_ENOMEM;
	default:
		return is_conn_error(e) ? ODS_EUNAVAIL : ODS_EINTERNAL;
	}
}

/*
 * Turn a Connector/C error into an ods_err, log it once, and mark the
 * connection for closing when it is the connection that failed. A read
 * that lasted the whole read timeout is reported as a timeout.
 */
static enum ods_err
fail(struct ods_db_conn *c, const char *op, unsigned e, const char *state,
    const char *msg, double started)
{
	enum ods_err	er = map_error(e);
	int		lvl;

	c->err = e;
	if (is_conn_error(e)) {
		c->broken = 1;
		if (ods_now_sec() - started >= (double)c->db->read_timeout - 0.05 ||
		    expired(c))
			er = ODS_ETIMEOUT;
	}
	if (er == ODS_ECONFLICT || er == ODS_EINVAL || er == ODS_ETOOBIG)
		lvl = ODS_LOG_DEBUG;
	else if (er == ODS_EINTERNAL || er == ODS_ENOSPC)
		lvl = ODS_LOG_ERR;
	else
		lvl = ODS_LOG_WARN;
	ods_log(lvl, "db_error op=%s errno=%u sqlstate=%s result=%s error=%s",
	    op, e, state == NULL ? "" : state, ods_err_slug(er),
	    msg == NULL ? "" : msg);
	return er;
}

static enum ods_err
fail_my(struct ods_db_conn *c, const char *op, double started)
{
	return fail(c, op, mysql_errno(c->my), mysql_sqlstate(c->my),
	    mysql_error(c->my), started);
}

static enum ods_err
fail_stmt(struct ods_db_conn *c, MYSQL_STMT *st, const char *op,
    double started)
{
	return fail(c, op, mysql_stmt_errno(st), mysql_stmt_sqlstate(st),
	    mysql_stmt_error(st), started);
}

/* ---- connections ---- */

static void
set_options(struct ods_db *db, MYSQL *my, unsigned timeout)
{
	unsigned int	ct = db->connect_timeout, rt = db->read_timeout;
	unsigned int	wt = db->write_timeout, proto = MYSQL_PROTOCOL_TCP;
	my_bool		off = 0;

	if (timeout > 0)
		ct = rt = wt = timeout;

	mysql_options(my, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
	mysql_options(my, MYSQL_OPT_READ_TIMEOUT, &rt);
	mysql_options(my, MYSQL_OPT_WRITE_TIMEOUT, &wt);
	mysql_options(my, MYSQL_OPT_RECONNECT, &off);
	mysql_options(my, MYSQL_OPT_LOCAL_INFILE, &off);
	mysql_options(my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	/* Collation for literals and comparisons; DATETIME columns in UTC. */
	mysql_options(my, MYSQL_INIT_COMMAND,
	    "SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci");
	mysql_options(my, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'");
	if (db->socket[0] == '\0')
		mysql_options(my, MYSQL_OPT_PROTOCOL, &proto);
}

static void
note_connect(struct ods_db *db, int ok, unsigned e, const char *msg)
{
	int	was_down, lvl;

	pthread_mutex_lock(&db->mtx);
	was_down = db->down;
	db->down = !ok;
	if (!ok)
		db->down_until = ods_now_sec() + DOWN_HOLD_S;
	pthread_mutex_unlock(&db->mtx);
	if (db->obs.connect != NULL)
		db->obs.connect(db->obs.arg, ok);
	if (ok && was_down)
		ods_log(ODS_LOG_INFO, "db_up host=%s port=%u", db->host,
		    db->port);
	else if (!ok && !was_down) {
		/* Wrong credentials or database will not fix themselves. */
		lvl = (e == ER_ACCESS_DENIED_ERROR || e == ER_BAD_DB_ERROR ||
		    e == ER_DBACCESS_DENIED_ERROR) ? ODS_LOG_ERR : ODS_LOG_WARN;
		ods_log(lvl, "db_down host=%s port=%u errno=%u error=%s",
		    db->host, db->port, e, msg);
	}
}

static enum ods_err
conn_open(struct ods_db_conn *c)
{
	struct ods_db	*db = c->db;
	MYSQL		*my;
	const char	*host, *sock;
	int		 held;

	pthread_mutex_lock(&db->mtx);
	held = ods_now_sec() < db->down_until;
	pthread_mutex_unlock(&db->mtx);
	if (held)
		return ODS_EUNAVAIL;
	if ((my = mysql_init(NULL)) == NULL)
		return ODS_ENOMEM;
	set_options(db, my, 0);
	sock = db->socket[0] != '\0' ? db->socket : NULL;
	host = sock != NULL ? "localhost" : db->host;
	if (mysql_real_connect(my, host, db->user, db->password,
	    db->dbname[0] != '\0' ? db->dbname : NULL, db->port, sock,
	    CLIENT_FOUND_ROWS) == NULL) {
		note_connect(db, 0, mysql_errno(my), mysql_error(my));
		mysql_close(my);
		return ODS_EUNAVAIL;
	}
	note_connect(db, 1, 0, NULL);
	c->my = my;
	c->broken = 0;
	pthread_mutex_lock(&db->mtx);
	c->fd = (int)mysql_get_socket(my);
	pthread_mutex_unlock(&db->mtx);
	c->last_used = ods_now_sec();
	return ODS_OK;
}

/*
 * An idle connection has nothing to read: if its socket is readable, the
 * server closed it (restart, KILL, wait_timeout). Long-idle connections
 * also get a real ping, for middleboxes that drop them silently.
 */
static int
conn_alive(struct ods_db_conn *c)
{
	struct pollfd	pfd;

	pfd.fd = (int)mysql_get_socket(c->my);
	pfd.events = POLLIN | POLLRDHUP;
	pfd.revents = 0;
	if (pfd.fd < 0 || poll(&pfd, 1, 0) != 0)
		return 0;
	if (ods_now_sec() - c->last_used > PING_IDLE_S && mysql_ping(c->my) != 0)
		return 0;
	return 1;
}

static enum ods_err
conn_ready(struct ods_db_conn *c)
{
	if (c->my != NULL && !conn_alive(c)) {
		ods_log(ODS_LOG_INFO, "db_reconnect reason=closed_by_server");
		conn_close(c);
	}
	if (c->my == NULL)
		return conn_open(c);
	return ODS_OK;
}

/* A free slot, preferring one already connected. Called locked. */
static struct ods_db_conn *
pick(struct ods_db *db)
{
	struct ods_db_conn	*any = NULL;
	unsigned		 i;

	for (i = 0; i < db->size; i++) {
		if (db->conns[i].busy)
			continue;
		if (db->conns[i].my != NULL)
			return &db->conns[i];
		if (any == NULL)
			any = &db->conns[i];
	}
	return any;
}

static void
put_back(struct ods_db_conn *c)
{
	struct ods_db	*db = c->db;
	unsigned	 n;

	c->last_used = ods_now_sec();
	pthread_mutex_lock(&db->mtx);
	c->busy = 0;
	n = --db->in_use;
	pthread_cond_signal(&db->cond);
	pthread_mutex_unlock(&db->mtx);
	if (db->obs.in_use != NULL)
		db->obs.in_use(db->obs.arg, n);
}

enum ods_err
ods_db_acquire(struct ods_db *db, struct ods_db_conn **out)
{
	struct ods_db_conn	*c;
	struct timespec		 deadline;
	enum ods_err		 er;
	double			 t0 = ods_now_sec();
	int64_t			 t0_ms = ods_now_ms();
	unsigned		 n = 0;

	*out = NULL;
	ods_deadline(&deadline, CLOCK_MONOTONIC, db->acquire_ms);
	pthread_mutex_lock(&db->mtx);
	watchdog_start(db);
	while ((c = pick(db)) == NULL)
		if (pthread_cond_timedwait(&db->cond, &db->mtx,
		    &deadline) == ETIMEDOUT) {
			c = pick(db);
			break;
		}
	if (c != NULL) {
		c->busy = 1;
		n = ++db->in_use;
		/* The wait counts: acquire to release within call_ms. */
		c->deadline = t0_ms + db->call_ms;
		c->cut = 0;
		db->wacq++;
		watchdog_poke(db, c->deadline);
	}
	pthread_mutex_unlock(&db->mtx);
	if (c == NULL) {
		ods_log(ODS_LOG_WARN, "db_pool_exhausted size=%u wait_ms=%d",
		    db->size, db->acquire_ms);
		return ODS_ETIMEOUT;
	}
	if (db->obs.acquire != NULL)
		db->obs.acquire(db->obs.arg, ods_now_sec() - t0);
	if (db->obs.in_use != NULL)
		db->obs.in_use(db->obs.arg, n);
	if ((er = conn_ready(c)) != ODS_OK) {
		put_back(c);
		return er;
	}
	*out = c;
	return ODS_OK;
}

void
ods_db_release(struct ods_db_conn *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->db->mtx);
	c->deadline = 0;
	if (c->cut)
		c->broken = 1;	/* its socket is shut */
	c->cut = 0;
	pthread_mutex_unlock(&c->db->mtx);
	if (c->in_tx) {
		if (c->my != NULL && !c->broken && mysql_rollback(c->my) != 0)
			c->broken = 1;
		c->in_tx = 0;
	}
	if (c->broken)
		conn_close(c);
	put_back(c);
}

uint64_t
ods_db_insert_id(const struct ods_db_conn *c)
{
	return c->my == NULL ? 0 : (uint64_t)mysql_insert_id(c->my);
}

unsigned long
ods_db_conn_id(const struct ods_db_conn *c)
{
	return c->my == NULL ? 0 : mysql_thread_id(c->my);
}

enum ods_err
ods_db_ping(struct ods_db *db, double *latency_ms)
{
	struct ods_db_conn	*c = NULL;
	enum ods_err		 er;
	double			 t0 = ods_now_sec();
	int			 attempt;

	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		goto out;
	for (attempt = 0; attempt < 2; attempt++) {
		if (c->my == NULL && (er = conn_open(c)) != ODS_OK)
			break;
		if (mysql_ping(c->my) == 0) {
			er = ODS_OK;
			break;
		}
		er = fail_my(c, "ping", t0);
		conn_close(c);
	}
	ods_db_release(c);
out:
	if (latency_ms != NULL)
		*latency_ms = (ods_now_sec() - t0) * 1000.0;
	return er;
}

/* Open the readiness connection; under hmu. */
static enum ods_err
health_open(struct ods_db *db)
{
	const char	*host, *sock;

	if ((db->hmy = mysql_init(NULL)) == NULL)
		return ODS_ENOMEM;
	set_options(db, db->hmy, db->htimeout);
	sock = db->socket[0] != '\0' ? db->socket : NULL;
	host = sock != NULL ? "localhost" : db->host;
	if (mysql_real_connect(db->hmy, host, db->user, db->password,
	    db->dbname[0] != '\0' ? db->dbname : NULL, db->port, sock, 0) ==
	    NULL) {
		mysql_close(db->hmy);
		db->hmy = NULL;
		return ODS_EUNAVAIL;
	}
	return ODS_OK;
}

/* The last completed check's result; 0 when none has completed yet. */
static int
health_last(struct ods_db *db, enum ods_err *er, double *ms)
{
	int	done;

	pthread_mutex_lock(&db->mtx);
	*er = db->hlast;
	*ms = db->hlast_ms;
	done = db->hdone;
	pthread_mutex_unlock(&db->mtx);
	return done;
}

enum ods_err
ods_db_check(struct ods_db *db, double *latency_ms)
{
	enum ods_err	er;
	double		t0 = ods_now_sec(), ms;

	if (pthread_mutex_trylock(&db->hmu) != 0) {
		/*
		 * Another thread is checking: the last answer stands. With
		 * none yet (a new worker), wait for that check instead: it
		 * ends within the timeout.
		 */
		if (!health_last(db, &er, &ms)) {
			pthread_mutex_lock(&db->hmu);
			if (!health_last(db, &er, &ms))
				goto check;
			pthread_mutex_unlock(&db->hmu);
		}
		if (latency_ms != NULL)
			*latency_ms = ms;
		return er;
	}
check:
	er = ODS_OK;
	if (db->hmy == NULL)
		er = health_open(db);
	if (er == ODS_OK && mysql_ping(db->hmy) != 0) {
		mysql_close(db->hmy);
		db->hmy = NULL;
		er = ODS_EUNAVAIL;
	}
	ms = (ods_now_sec() - t0) * 1000.0;
	pthread_mutex_lock(&db->mtx);
	db->hlast = er;
	db->hlast_ms = ms;
	db->hdone = 1;
	pthread_mutex_unlock(&db->mtx);
	pthread_mutex_unlock(&db->hmu);
	if (latency_ms != NULL)
		*latency_ms = ms;
	return er;
}

/* ---- transactions ---- */

/* Run a constant statement of this file as text. */
static enum ods_err
simple(struct ods_db_conn *c, const char *sql, const char *op)
{
	double	t0 = ods_now_sec();

	if (c->my == NULL)
		return ODS_EUNAVAIL;
	if (expired(c))
		return ODS_ETIMEOUT;
	if (mysql_real_query(c->my, sql, strlen(sql)) != 0)
		return fail_my(c, op, t0);
	return ODS_OK;
}

enum ods_err
ods_db_begin(struct ods_db_conn *c)
{
	enum ods_err	er;

	if (c->in_tx)
		return ODS_EINVAL;
	if (c->broken)
		conn_close(c);
	if (c->my == NULL && (er = conn_open(c)) != ODS_OK)
		return er;
	er = simple(c, "START TRANSACTION", "begin");
	if (er == ODS_EUNAVAIL) {
		/* Nothing has run yet: one try on a fresh connection. */
		conn_close(c);
		if ((er = conn_open(c)) == ODS_OK)
			er = simple(c, "START TRANSACTION", "begin");
	}
	if (er == ODS_OK)
		c->in_tx = 1;
	return er;
}

enum ods_err
ods_db_commit(struct ods_db_conn *c)
{
	enum ods_err	er;

	if (!c->in_tx)
		return ODS_EINVAL;
	c->in_tx = 0;
	if (c->my == NULL || c->broken)
		return ODS_EUNAVAIL;
	er = simple(c, "COMMIT", "commit");
	if (er != ODS_OK && c->my != NULL && !c->broken &&
	    mysql_rollback(c->my) != 0)
		c->broken = 1;
	return er;
}

enum ods_err
ods_db_rollback(struct ods_db_conn *c)
{
	if (!c->in_tx)
		return ODS_EINVAL;
	c->in_tx = 0;
	/* A lost connection took its transaction with it. */
	if (c->my == NULL || c->broken)
		return ODS_OK;
	return simple(c, "ROLLBACK", "rollback");
}

/* ---- statements ---- */

/* A new prepared statement, not cached: the caller closes it. */
static MYSQL_STMT *
stmt_prepare(struct ods_db_conn *c, const char *sql, enum ods_err *er,
    double t0)
{
	MYSQL_STMT	*st;

	if ((st = mysql_stmt_init(c->my)) == NULL) {
		*er = ODS_ENOMEM;
		return NULL;
	}
	if (mysql_stmt_prepare(st, sql, strlen(sql)) != 0) {
		*er = fail_stmt(c, st, "prepare", t0);
		mysql_stmt_close(st);
		return NULL;
	}
	return st;
}

/* s holds a new prepared statement of sql, or is left empty. */
static MYSQL_STMT *
slot_prepare(struct ods_db_conn *c, struct stmt_slot *s, const char *sql,
    enum ods_err *er, double t0)
{
	slot_clear(s);
	if ((s->st = stmt_prepare(c, sql, er, t0)) != NULL)
		s->sql = ods_xstrdup(sql);
	return s->st;
}

static MYSQL_STMT *
stmt_get(struct ods_db_conn *c, const char *sql, enum ods_err *er,
    double t0)
{
	struct stmt_slot	*victim = NULL;
	size_t			 i;

	for (i = 0; i < STMT_CACHE; i++) {
		if (c->cache[i].st == NULL) {
			if (victim == NULL || victim->st != NULL)
				victim = &c->cache[i];
			continue;
		}
		if (strcmp(c->cache[i].sql, sql) == 0) {
			c->cache[i].used = ++c->tick;
			return c->cache[i].st;
		}
		if (victim == NULL ||
		    (victim->st != NULL && c->cache[i].used < victim->used))
			victim = &c->cache[i];
	}
	victim->used = ++c->tick;
	return slot_prepare(c, victim, sql, er, t0);
}

/*
 * The connection's multi-row INSERT: the same statement again (the full
 * batches of one load), or a new one in place of the last. Kept out of
 * the cache, whose request-path statements it would push out; and
 * prepared once a load, not once a batch: a batch of 512 rows of 10
 * columns is a statement of 5 120 parameters, whose parse and parameter
 * metadata were a tenth of MariaDB's CPU in a knowledge base's
 * ingestion (tests/bench/kb).
 */
static MYSQL_STMT *
stmt_bulk(struct ods_db_conn *c, const char *sql, enum ods_err *er,
    double t0)
{
	if (c->bulk.st != NULL && strcmp(c->bulk.sql, sql) == 0)
		return c->bulk.st;
	return slot_prepare(c, &c->bulk, sql, er, t0);
}

static void
bind_params(MYSQL_BIND *b, unsigned long *lens, const struct ods_db_arg *a,
    size_t n)
{
	size_t	i;

	memset(b, 0, n * sizeof(*b));
	for (i = 0; i < n; i++) {
		switch (a[i].type) {
		case ODS_DB_INT:
			b[i].buffer_type = MYSQL_TYPE_LONGLONG;
			b[i].buffer = (void *)&a[i].i;
			break;
		case ODS_DB_DOUBLE:
			b[i].buffer_type = MYSQL_TYPE_DOUBLE;
			b[i].buffer = (void *)&a[i].d;
			break;
		case ODS_DB_TEXT:
		case ODS_DB_BLOB:
			b[i].buffer_type = a[i].type == ODS_DB_TEXT ?
			    MYSQL_TYPE_STRING : MYSQL_TYPE_BLOB;
			b[i].buffer = (void *)(a[i].p == NULL ? "" : a[i].p);
			lens[i] = (unsigned long)a[i].len;
			b[i].buffer_length = lens[i];
			b[i].length = &lens[i];
			break;
		default:
			b[i].buffer_type = MYSQL_TYPE_NULL;
			break;
		}
	}
}

/* Read and drop whatever rows are left, so the connection is clean. */
static void
drain(MYSQL_STMT *st)
{
	int	rc;

	if (mysql_stmt_field_count(st) > 0) {
		do {
			rc = mysql_stmt_fetch(st);
		} while (rc == 0 || rc == MYSQL_DATA_TRUNCATED);
	}
	mysql_stmt_free_result(st);
}

/*
 * Prepare (from the cache, or the bulk slot: stmt_bulk) and execute, with
 * the caller's bind arrays of n entries; the statement stays the
 * connection's. A connection found
 * broken before anything ran is replaced and the statement tried once
 * more: at prepare time always (prepare changes nothing), at execute time
 * only when the client could not send (CR_SERVER_GONE_ERROR). A statement
 * outside a transaction that InnoDB chose as a deadlock's victim was rolled
 * back whole, so it runs again, up to DEADLOCK_RUNS more times: its caller
 * would have to, and callers that take any ODS_ECONFLICT for a duplicate
 * key would answer wrongly (a parallel upload answered 404 so). Never
 * inside a transaction: there the whole transaction is the caller's to
 * run again.
 */
static enum ods_err
stmt_try(struct ods_db_conn *c, const char *sql, const struct ods_db_arg *a,
    size_t n, int bulk, MYSQL_BIND *b, unsigned long *lens, MYSQL_STMT **out)
{
	MYSQL_STMT	*st;
	enum ods_err	 er = ODS_EUNAVAIL;
	double		 t0 = ods_now_sec();
	int		 attempt, deadlocks = 0;
	unsigned	 e;

	for (attempt = 0; attempt < 2; attempt++) {
		e = 0;
		if (expired(c))
			return ODS_ETIMEOUT;
		if (c->broken)
			conn_close(c);
		if (c->my == NULL && (c->in_tx || (er = conn_open(c)) != ODS_OK))
			return c->in_tx ? ODS_EUNAVAIL : er;
		st = bulk ? stmt_bulk(c, sql, &er, t0) :
		    stmt_get(c, sql, &er, t0);
		if (st == NULL) {
			if (c->broken && !c->in_tx)
				continue;
			return er;
		}
		if (mysql_stmt_param_count(st) != n) {
			ods_log(ODS_LOG_ERR, "db_param_count want=%lu got=%zu",
			    mysql_stmt_param_count(st), n);
			er = ODS_EINTERNAL;
		} else {
			bind_params(b, lens, a, n);
			if (n > 0 && mysql_stmt_bind_param(st, b) != 0)
				er = fail_stmt(c, st, "bind", t0);
			else if (mysql_stmt_execute(st) == 0) {
				*out = st;
				return ODS_OK;
			} else {
				e = mysql_stmt_errno(st);
				er = fail_stmt(c, st, "execute", t0);
			}
		}
		if (e == ER_LOCK_DEADLOCK && !c->in_tx &&
		    deadlocks++ < DEADLOCK_RUNS) {
			attempt--;	/* not a connection's retry */
			continue;
		}
		if (e != CR_SERVER_GONE_ERROR || c->in_tx)
			return er;
	}
	return er;
}

/*
 * Up to ODS_DB_MAX_ARGS parameters (a cached statement) or, bulk, up to
 * ODS_DB_INSERT_MAX_PARAMS; the bind arrays of the latter are allocated.
 */
static enum ods_err
stmt_run(struct ods_db_conn *c, const char *sql, const struct ods_db_arg *a,
    size_t n, int bulk, MYSQL_STMT **out)
{
	MYSQL_BIND	 sb[ODS_DB_MAX_ARGS], *b = sb;
	unsigned long	 slens[ODS_DB_MAX_ARGS], *lens = slens;
	enum ods_err	 er;

	if (n > (bulk ? ODS_DB_INSERT_MAX_PARAMS : ODS_DB_MAX_ARGS) ||
	    (n > 0 && a == NULL))
		return ODS_EINVAL;
	if (n > ODS_DB_MAX_ARGS) {
		b = ods_xcalloc(n, sizeof(*b));
		lens = ods_xcalloc(n, sizeof(*lens));
	}
	er = stmt_try(c, sql, a, n, bulk, b, lens, out);
	if (b != sb) {
		free(b);
		free(lens);
	}
	return er;
}

enum ods_err
ods_db_exec_const(struct ods_db_conn *c, const char *sql,
    const struct ods_db_arg *args, size_t nargs, uint64_t *affected)
{
	MYSQL_STMT	*st;
	enum ods_err	 er;
	my_ulonglong	 n;

	if (affected != NULL)
		*affected = 0;
	if ((er = stmt_run(c, sql, args, nargs, 0, &st)) != ODS_OK)
		return er;
	n = mysql_stmt_affected_rows(st);
	if (affected != NULL && n != (my_ulonglong)-1)
		*affected = (uint64_t)n;
	drain(st);
	return ODS_OK;
}

/* ---- multi-row inserts ---- */

/* "<prefix> VALUES (?,?),(?,?)" for rows rows of ncols; caller frees. */
static char *
values_sql(const char *prefix, size_t ncols, size_t rows)
{
	size_t	plen = strlen(prefix), i, j;
	char	*s, *p;

	s = ods_xmalloc(plen + sizeof(" VALUES ") + rows * (2 * ncols + 2));
	memcpy(s, prefix, plen);
	memcpy(s + plen, " VALUES ", 8);
	p = s + plen + 8;
	for (i = 0; i < rows; i++) {
		if (i > 0)
			*p++ = ',';
		*p++ = '(';
		for (j = 0; j < ncols; j++) {
			if (j > 0)
				*p++ = ',';
			*p++ = '?';
		}
		*p++ = ')';
	}
	*p = '\0';
	return s;
}

/*
 * One statement of rows rows. Its SQL changes with the row count, so a
 * multi-row statement goes to the connection's bulk slot (stmt_bulk).
 */
static enum ods_err
insert_chunk(struct ods_db_conn *c, const char *prefix, size_t ncols,
    const struct ods_db_arg *a, size_t rows)
{
	MYSQL_STMT	*st;
	char		*sql = values_sql(prefix, ncols, rows);
	enum ods_err	 er;
	int		 bulk = rows > 1 || ncols > ODS_DB_MAX_ARGS;

	er = stmt_run(c, sql, a, ncols * rows, bulk, &st);
	free(sql);
	if (er != ODS_OK)
		return er;
	drain(st);
	return ODS_OK;
}

/* The row's own fault (a value, a duplicate key), not the server's state. */
static int
refusal(const struct ods_db_conn *c, enum ods_err er)
{
	return (er == ODS_EINVAL || er == ODS_ETOOBIG || er == ODS_ECONFLICT) &&
	    c->err != ER_LOCK_DEADLOCK;
}

/* End a transaction of our own: commit after er == ODS_OK, else roll back. */
static enum ods_err
tx_end(struct ods_db_conn *c, enum ods_err er)
{
	if (er == ODS_OK)
		return ods_db_commit(c);
	(void)ods_db_rollback(c);
	return er;
}

/*
 * One row per statement in one transaction, skipping the rows the server
 * refuses: InnoDB rolls back the failed statement alone.
 */
static enum ods_err
insert_each(struct ods_db_conn *c, const char *prefix, size_t ncols,
    const struct ods_db_arg *a, size_t nrows, size_t *refused)
{
	enum ods_err	er = ODS_OK;
	size_t		i, bad = 0;
	int		own = !c->in_tx;

	if (own && (er = ods_db_begin(c)) != ODS_OK)
		return er;
	for (i = 0; i < nrows; i++) {
		er = insert_chunk(c, prefix, ncols, a + i * ncols, 1);
		if (er != ODS_OK && !refusal(c, er))
			break;
		if (er != ODS_OK)
			bad++;
		er = ODS_OK;
	}
	if (own)
		er = tx_end(c, er);
	if (er == ODS_OK)
		*refused = bad;
	return er;
}

enum ods_err
ods_db_insert_rows_const(struct ods_db_conn *c, const char *prefix,
    size_t ncols, const struct ods_db_arg *args, size_t nrows,
    size_t *refused)
{
	enum ods_err	er = ODS_OK;
	size_t		per, i, k;
	int		own;

	if (refused != NULL)
		*refused = 0;
	if (ncols == 0 || ncols > ODS_DB_INSERT_MAX_PARAMS ||
	    (nrows > 0 && args == NULL))
		return ODS_EINVAL;
	if (nrows == 0)
		return ODS_OK;
	per = ODS_DB_INSERT_MAX_PARAMS / ncols;
	own = nrows > per && !c->in_tx;
	if (own && (er = ods_db_begin(c)) != ODS_OK)
		return er;
	for (i = 0; er == ODS_OK && i < nrows; i += k) {
		k = nrows - i < per ? nrows - i : per;
		er = insert_chunk(c, prefix, ncols, args + i * ncols, k);
	}
	if (own)
		er = tx_end(c, er);
	if (er != ODS_OK && refused != NULL && refusal(c, er))
		return insert_each(c, prefix, ncols, args, nrows, refused);
	return er;
}

/* ---- results ---- */

struct cell {
	enum ods_db_type	 type;		/* ODS_DB_NULL for NULL */
	int64_t			 i;
	double			 d;
	const char		*p;		/* NUL-terminated */
	size_t			 len;
};

struct ods_db_res {
	struct ods_arena	*arena;
	char			**names;
	struct cell		*cells;		/* nrows * ncols */
	size_t			 ncols, nrows, cap;
	size_t			 bytes, max_bytes;
	int			 truncated;
};

/* How a column is fetched. */
struct colbuf {
	MYSQL_BIND	*b;
	unsigned long	*len;
	my_bool		*null;
	int64_t		*ival;
	double		*dval;
	enum ods_db_type *kind;
};

static enum ods_db_type
col_kind(const MYSQL_FIELD *f)
{
	switch (f->type) {
	case MYSQL_TYPE_TINY:
	case MYSQL_TYPE_SHORT:
	case MYSQL_TYPE_LONG:
	case MYSQL_TYPE_INT24:
	case MYSQL_TYPE_LONGLONG:
	case MYSQL_TYPE_YEAR:
		return ODS_DB_INT;
	case MYSQL_TYPE_FLOAT:
	case MYSQL_TYPE_DOUBLE:
		return ODS_DB_DOUBLE;
	case MYSQL_TYPE_TINY_BLOB:
	case MYSQL_TYPE_BLOB:
	case MYSQL_TYPE_MEDIUM_BLOB:
	case MYSQL_TYPE_LONG_BLOB:
	case MYSQL_TYPE_STRING:
	case MYSQL_TYPE_VAR_STRING:
	case MYSQL_TYPE_BIT:
		return f->charsetnr == 63 ? ODS_DB_BLOB : ODS_DB_TEXT;
	default:
		return ODS_DB_TEXT;
	}
}

/* Per-column fetch state, allocated in the result's arena. */
static struct colbuf *
colbuf_new(struct ods_arena *ar, size_t n)
{
	struct colbuf	*cb;

	if ((cb = ods_arena_alloc(ar, sizeof(*cb))) == NULL ||
	    (cb->b = ods_arena_alloc(ar, n * sizeof(*cb->b))) == NULL ||
	    (cb->len = ods_arena_alloc(ar, n * sizeof(*cb->len))) == NULL ||
	    (cb->null = ods_arena_alloc(ar, n * sizeof(*cb->null))) == NULL ||
	    (cb->ival = ods_arena_alloc(ar, n * sizeof(*cb->ival))) == NULL ||
	    (cb->dval = ods_arena_alloc(ar, n * sizeof(*cb->dval))) == NULL ||
	    (cb->kind = ods_arena_alloc(ar, n * sizeof(*cb->kind))) == NULL)
		return NULL;
	return cb;
}

/* Bind every column: numbers natively, the rest fetched by length. */
static enum ods_err
bind_result(MYSQL_STMT *st, MYSQL_RES *meta, struct ods_db_res *r,
    struct colbuf **out)
{
	MYSQL_FIELD	*f = mysql_fetch_fields(meta);
	struct colbuf	*cb;
	size_t		 i;

	r->ncols = mysql_num_fields(meta);
	if ((cb = colbuf_new(r->arena, r->ncols)) == NULL ||
	    (r->names = ods_arena_alloc(r->arena,
	    r->ncols * sizeof(char *))) == NULL)
		return ODS_ENOMEM;
	for (i = 0; i < r->ncols; i++) {
		if ((r->names[i] = ods_arena_strdup(r->arena, f[i].name)) ==
		    NULL)
			return ODS_ENOMEM;
		cb->kind[i] = col_kind(&f[i]);
		cb->b[i].length = &cb->len[i];
		cb->b[i].is_null = &cb->null[i];
		if (cb->kind[i] == ODS_DB_INT) {
			cb->b[i].buffer_type = MYSQL_TYPE_LONGLONG;
			cb->b[i].buffer = &cb->ival[i];
			cb->b[i].is_unsigned = (f[i].flags & UNSIGNED_FLAG) != 0;
		} else if (cb->kind[i] == ODS_DB_DOUBLE) {
			cb->b[i].buffer_type = MYSQL_TYPE_DOUBLE;
			cb->b[i].buffer = &cb->dval[i];
		} else
			cb->b[i].buffer_type = MYSQL_TYPE_STRING;
	}
	*out = cb;
	return mysql_stmt_bind_result(st, cb->b) == 0 ? ODS_OK : ODS_EINTERNAL;
}

static enum ods_err
cell_number(struct ods_db_res *r, struct cell *x, const struct colbuf *cb,
    size_t i)
{
	char	buf[32];

	if (cb->kind[i] == ODS_DB_DOUBLE) {
		x->type = ODS_DB_DOUBLE;
		x->d = cb->dval[i];
		snprintf(buf, sizeof(buf), "%.17g", x->d);
	} else if (cb->b[i].is_unsigned && cb->ival[i] < 0) {
		/* Past INT64_MAX: kept as text, _int reports EINVAL. */
		x->type = ODS_DB_TEXT;
		snprintf(buf, sizeof(buf), "%llu",
		    (unsigned long long)(uint64_t)cb->ival[i]);
	} else {
		x->type = ODS_DB_INT;
		x->i = cb->ival[i];
		x->d = (double)x->i;
		snprintf(buf, sizeof(buf), "%lld", (long long)x->i);
	}
	x->len = strlen(buf);
	x->p = ods_arena_strndup(r->arena, buf, x->len);
	return x->p == NULL ? ODS_ENOMEM : ODS_OK;
}

static enum ods_err
cell_bytes(MYSQL_STMT *st, struct ods_db_res *r, struct cell *x,
    const struct colbuf *cb, size_t i)
{
	MYSQL_BIND	 b;
	unsigned long	 len = cb->len[i];
	char		*p;

	if ((r->bytes += len) > r->max_bytes)
		return ODS_ETOOBIG;
	if ((p = ods_arena_alloc(r->arena, (size_t)len + 1)) == NULL)
		return ODS_ENOMEM;
	if (len > 0) {
		memset(&b, 0, sizeof(b));
		b.buffer_type = MYSQL_TYPE_STRING;
		b.buffer = p;
		b.buffer_length = len + 1;
		b.length = &len;
		if (mysql_stmt_fetch_column(st, &b, (unsigned)i, 0) != 0)
			return ODS_EINTERNAL;
		p[cb->len[i]] = '\0';
	}
	x->type = cb->kind[i];
	x->p = p;
	x->len = cb->len[i];
	return ODS_OK;
}

static enum ods_err
store_row(MYSQL_STMT *st, struct ods_db_res *r, const struct colbuf *cb)
{
	struct cell	*row, *nc;
	enum ods_err	 er;
	size_t		 i, ncap;

	if (r->nrows == r->cap) {
		ncap = r->cap == 0 ? 16 : r->cap * 2;
		nc = realloc(r->cells, ncap * r->ncols * sizeof(*nc));
		if (nc == NULL)
			return ODS_ENOMEM;
		r->cells = nc;
		r->cap = ncap;
	}
	row = &r->cells[r->nrows * r->ncols];
	memset(row, 0, r->ncols * sizeof(*row));
	for (i = 0; i < r->ncols; i++) {
		if (cb->null[i])
			row[i].type = ODS_DB_NULL;
		else if (cb->kind[i] == ODS_DB_INT ||
		    cb->kind[i] == ODS_DB_DOUBLE) {
			if ((er = cell_number(r, &row[i], cb, i)) != ODS_OK)
				return er;
		} else if ((er = cell_bytes(st, r, &row[i], cb, i)) != ODS_OK)
			return er;
	}
	r->nrows++;
	return ODS_OK;
}

static enum ods_err
fetch_rows(struct ods_db_conn *c, MYSQL_STMT *st, struct ods_db_res *r,
    size_t max_rows)
{
	MYSQL_RES	*meta;
	struct colbuf	*cb = NULL;
	enum ods_err	 er;
	double		 t0 = ods_now_sec();
	int		 rc;

	if ((meta = mysql_stmt_result_metadata(st)) == NULL)
		return ODS_OK;			/* not a SELECT */
	er = bind_result(st, meta, r, &cb);
	mysql_free_result(meta);
	while (er == ODS_OK) {
		rc = mysql_stmt_fetch(st);
		if (rc == MYSQL_NO_DATA)
			break;
		if (rc == 1) {
			er = fail_stmt(c, st, "fetch", t0);
			c->broken = 1;	/* the stream is in an unknown state */
			return er;
		}
		if (r->nrows >= max_rows)
			r->truncated = 1;
		else
			er = store_row(st, r, cb);
	}
	drain(st);
	return er;
}

enum ods_err
ods_db_query_const(struct ods_db_conn *c, const char *sql,
    const struct ods_db_arg *args, size_t nargs, size_t max_rows,
    struct ods_db_res **out)
{
	struct ods_db_res	*r;
	MYSQL_STMT		*st;
	enum ods_err		 er;

	*out = NULL;
	if ((er = stmt_run(c, sql, args, nargs, 0, &st)) != ODS_OK)
		return er;
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->arena = ods_arena_new(16384)) == NULL) {
		free(r);
		drain(st);
		return ODS_ENOMEM;
	}
	r->max_bytes = c->db->max_res;
	er = fetch_rows(c, st, r, max_rows == 0 ? ODS_DB_DEFAULT_ROWS :
	    max_rows);
	if (er != ODS_OK) {
		if (er == ODS_ETOOBIG)
			ods_log(ODS_LOG_WARN, "db_result_too_big max=%zu",
			    c->db->max_res);
		ods_db_res_free(r);
		return er;
	}
	*out = r;
	return ODS_OK;
}

enum ods_err
ods_db_exec_trusted_text(struct ods_db_conn *c, const char *sql, size_t len,
    struct ods_why *why)
{
	MYSQL_RES	*res;
	enum ods_err	 er;
	double		 t0 = ods_now_sec();

	ods_why_set(why, NULL, "%s", "");
	if (c->my == NULL)
		return ODS_EUNAVAIL;
	if (mysql_real_query(c->my, sql, (unsigned long)len) != 0) {
		ods_why_set(why, NULL, "%u %s", mysql_errno(c->my),
		    mysql_error(c->my));
		return fail_my(c, "exec_text", t0);
	}
	do {
		if ((res = mysql_store_result(c->my)) != NULL)
			mysql_free_result(res);
		else if (mysql_field_count(c->my) != 0) {
			er = fail_my(c, "exec_text_result", t0);
			c->broken = 1;
			return er;
		}
	} while (mysql_next_result(c->my) == 0);
	return ODS_OK;
}

char *
ods_db_res_strdup(const struct ods_db_res *r, size_t row, size_t col)
{
	const char	*p = ods_db_res_text(r, row, col, NULL);

	return p != NULL ? ods_xstrdup(p) : NULL;
}

int64_t
ods_db_res_int0(const struct ods_db_res *r, size_t row, size_t col)
{
	int64_t	v = 0;

	if (ods_db_res_int(r, row, col, &v) != ODS_OK)
		v = 0;
	return v;
}

void
ods_db_res_free(struct ods_db_res *r)
{
	if (r == NULL)
		return;
	ods_arena_free(r->arena);
	free(r->cells);
	free(r);
}

size_t
ods_db_res_nrows(const struct ods_db_res *r)
{
	return r->nrows;
}

size_t
ods_db_res_ncols(const struct ods_db_res *r)
{
	return r->ncols;
}

int
ods_db_res_truncated(const struct ods_db_res *r)
{
	return r->truncated;
}

const char *
ods_db_res_colname(const struct ods_db_res *r, size_t col)
{
	return col < r->ncols ? r->names[col] : NULL;
}

int
ods_db_res_colidx(const struct ods_db_res *r, const char *name)
{
	size_t	i;

	for (i = 0; i < r->ncols; i++)
		if (strcasecmp(r->names[i], name) == 0)
			return (int)i;
	return -1;
}

static const struct cell *
cell_at(const struct ods_db_res *r, size_t row, size_t col)
{
	if (row >= r->nrows || col >= r->ncols)
		return NULL;
	return &r->cells[row * r->ncols + col];
}

enum ods_db_type
ods_db_res_type(const struct ods_db_res *r, size_t row, size_t col)
{
	const struct cell	*x = cell_at(r, row, col);

	return x == NULL ? ODS_DB_NULL : x->type;
}

int
ods_db_res_isnull(const struct ods_db_res *r, size_t row, size_t col)
{
	return ods_db_res_type(r, row, col) == ODS_DB_NULL;
}

const char *
ods_db_res_text(const struct ods_db_res *r, size_t row, size_t col,
    size_t *len)
{
	const struct cell	*x = cell_at(r, row, col);

	if (x == NULL || x->type == ODS_DB_NULL) {
		if (len != NULL)
			*len = 0;
		return NULL;
	}
	if (len != NULL)
		*len = x->len;
	return x->p;
}

enum ods_err
ods_db_res_int(const struct ods_db_res *r, size_t row, size_t col,
    int64_t *v)
{
	const struct cell	*x = cell_at(r, row, col);
	char			*end;
	long long		 n;

	*v = 0;
	if (x == NULL || x->type == ODS_DB_NULL)
		return ODS_ENOTFOUND;
	if (x->type == ODS_DB_INT) {
		*v = x->i;
		return ODS_OK;
	}
	if (x->type != ODS_DB_TEXT || x->len == 0)
		return ODS_EINVAL;
	errno = 0;
	n = strtoll(x->p, &end, 10);
	if (errno != 0 || *end != '\0' || end != x->p + x->len)
		return ODS_EINVAL;
	*v = (int64_t)n;
	return ODS_OK;
}

enum ods_err
ods_db_res_double(const struct ods_db_res *r, size_t row, size_t col,
    double *v)
{
	const struct cell	*x = cell_at(r, row, col);
	char			*end;
	double			 d;

	*v = 0;
	if (x == NULL || x->type == ODS_DB_NULL)
		return ODS_ENOTFOUND;
	if (x->type == ODS_DB_INT || x->type == ODS_DB_DOUBLE) {
		*v = x->d;
		return ODS_OK;
	}
	if (x->type != ODS_DB_TEXT || x->len == 0)
		return ODS_EINVAL;
	errno = 0;
	d = strtod(x->p, &end);
	if (errno != 0 || *end != '\0' || end != x->p + x->len)
		return ODS_EINVAL;
	*v = d;
	return ODS_OK;
}

enum ods_err
ods_db_exec_once_const(struct ods_db *db, const char *sql,
    const struct ods_db_arg *args, size_t nargs, uint64_t *affected)
{
	struct ods_db_conn	*c = NULL;
	enum ods_err		 er;

	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	er = ods_db_exec_const(c, sql, args, nargs, affected);
	ods_db_release(c);
	return er;
}

enum ods_err
ods_db_query_once_const(struct ods_db *db, const char *sql,
    const struct ods_db_arg *args, size_t nargs, size_t max_rows,
    struct ods_db_res **res)
{
	struct ods_db_conn	*c = NULL;
	enum ods_err		 er;

	*res = NULL;
	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	er = ods_db_query_const(c, sql, args, nargs, max_rows, res);
	ods_db_release(c);
	return er;
}
