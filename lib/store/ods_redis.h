/* lib/store/ods_redis.h — Redis over hiredis: pooled, timed out, degradable. */
#ifndef ODS_REDIS_H
#define ODS_REDIS_H

#include <stddef.h>

#include "core/ods_err.h"

struct ods_conf;
struct ods_redis;	/* per-process pool of connections; thread-safe */

#define ODS_REDIS_MAX_ARGS	1024	/* arguments of one command */
#define ODS_REDIS_HOLD_MS	1000	/* after a failure, no retry sooner */

/*
 * Every call below may return ODS_EUNAVAIL: Redis is down, refused the
 * connection or credentials, or failed within the last ODS_REDIS_HOLD_MS
 * (then no network is touched at all, so a dead Redis costs nothing per
 * request). Callers degrade on it. ODS_ETIMEOUT: no answer within
 * ODS_REDIS_TIMEOUT_MS (the connection is dropped and the pool holds off
 * as above). A connection closed by the server (restart, CLIENT KILL) is
 * noticed before use and reopened transparently. Keys are NUL-terminated;
 * values are bytes with a length (binary-safe).
 */

enum ods_redis_type {
	ODS_REDIS_NIL = 0,
	ODS_REDIS_STRING,	/* bulk string: str, len */
	ODS_REDIS_STATUS,	/* +OK: str, len */
	ODS_REDIS_ERROR,	/* -ERR ...: str, len */
	ODS_REDIS_INTEGER,	/* integer */
	ODS_REDIS_ARRAY		/* elem[nelem] */
};

/* A reply copied out of hiredis; owned by the caller. */
struct ods_redis_reply {
	enum ods_redis_type	 type;
	long long		 integer;
	char			*str;	/* NUL-terminated after len bytes */
	size_t			 len;
	struct ods_redis_reply	*elem;
	size_t			 nelem;
};

/* A Lua script: src is borrowed (a literal); sha is computed here. */
struct ods_redis_script {
	const char	*src;
	char		 sha[41];
};

/* flags of ods_redis_set */
#define ODS_REDIS_NX	0x1	/* only if the key does not exist */
#define ODS_REDIS_XX	0x2	/* only if it does */

/*
 * Check a REDIS_URL: redis://[[user]:password@]host[:port][/db] (host may
 * be [v6]; user and password percent-decoded) or
 * unix:///path.sock[?db=N][&password=P]. Returns ODS_OK or ODS_EINVAL
 * with the reason in why (never containing the password).
 */
enum ods_err	 ods_redis_url_check(const char *url, struct ods_why *why) ODS_MUSTCHECK;

/*
 * A pool of pool_size connections, opened lazily (Redis being down is not
 * an error here). conf->redis_url and conf->redis_timeout_ms are copied.
 * Returns NULL only when the URL is empty or invalid (logged unless
 * empty). ods_redis_free: every call must have returned; NULL is a no-op.
 */
struct ods_redis *ods_redis_new(const struct ods_conf *, unsigned pool_size);
void		 ods_redis_free(struct ods_redis *);

/* PING; *latency_ms (may be NULL) is the whole time taken. */
enum ods_err	 ods_redis_ping(struct ods_redis *, double *latency_ms)
		    ODS_MUSTCHECK;

/* *val: a copy (free(3)), NUL-terminated after *len bytes; ENOTFOUND. */
enum ods_err	 ods_redis_get(struct ods_redis *, const char *key,
		    char **val, size_t *len) ODS_MUSTCHECK;

/*
 * SET with ttl_ms > 0 as PX; flags 0 or ODS_REDIS_NX / ODS_REDIS_XX.
 * ODS_ECONFLICT when NX/XX prevented the write.
 */
enum ods_err	 ods_redis_set(struct ods_redis *, const char *key,
		    const void *val, size_t len, long long ttl_ms, int flags)
		    ODS_MUSTCHECK;

/* *deleted (may be NULL): 1 when the key existed. */
enum ods_err	 ods_redis_del(struct ods_redis *, const char *key,
		    int *deleted) ODS_MUSTCHECK;

/* INCRBY; ODS_EINVAL when the value is not an integer or would overflow. */
enum ods_err	 ods_redis_incr(struct ods_redis *, const char *key,
		    long long by, long long *value) ODS_MUSTCHECK;

/* PEXPIRE; *set (may be NULL): 1 when the key exists. */
enum ods_err	 ods_redis_expire(struct ods_redis *, const char *key,
		    long long ttl_ms, int *set) ODS_MUSTCHECK;

/*
 * Any command, argv[0] being its name; argvlen may be NULL (strlen). On
 * ODS_OK *out is the reply. An error reply sets *out too (type
 * ODS_REDIS_ERROR, caller frees) and returns ODS_EUNAVAIL (LOADING, BUSY,
 * READONLY, OOM, MASTERDOWN, ...), ODS_EINVAL (not an integer, syntax) or
 * ODS_EINTERNAL (anything else, e.g. WRONGTYPE). Otherwise *out is NULL.
 * ODS_EINVAL also for argc outside 1..ODS_REDIS_MAX_ARGS.
 */
enum ods_err	 ods_redis_command(struct ods_redis *, int argc,
		    const char *const *argv, const size_t *argvlen,
		    struct ods_redis_reply **out) ODS_MUSTCHECK;
void		 ods_redis_reply_free(struct ods_redis_reply *);

/*
 * EVALSHA with the script's SHA-1, falling back to EVAL (which loads it)
 * when the server does not know it. argv holds nkeys keys, then the other
 * arguments. Reply and errors as ods_redis_command.
 */
void		 ods_redis_script_init(struct ods_redis_script *,
		    const char *src);
enum ods_err	 ods_redis_eval(struct ods_redis *,
		    const struct ods_redis_script *, int nkeys, int argc,
		    const char *const *argv, const size_t *argvlen,
		    struct ods_redis_reply **out) ODS_MUSTCHECK;

#endif /* ODS_REDIS_H */
