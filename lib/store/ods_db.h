/* lib/store/ods_db.h — MariaDB pool: prepared statements only, typed values. */
#ifndef ODS_DB_H
#define ODS_DB_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/ods_err.h"

struct ods_conf;
struct ods_db;		/* per-process pool; thread-safe */
struct ods_db_conn;	/* one acquired connection; one thread at a time */
struct ods_db_res;	/* a fetched result set, owned by the caller */

#define ODS_DB_MAX_ARGS		64		/* bound parameters per statement */
#define ODS_DB_INSERT_MAX_PARAMS 65535		/* per multi-row INSERT */
#define ODS_DB_DEFAULT_ROWS	10000		/* max_rows 0 means this */
/* A result's cells past ODS_DB_MAX_RESULT_BYTES (this by default): ETOOBIG. */
#define ODS_DB_MAX_RES_BYTES	(64u << 20)

enum ods_db_type {
	ODS_DB_NULL = 0,
	ODS_DB_INT,		/* int64_t */
	ODS_DB_DOUBLE,
	ODS_DB_TEXT,		/* bytes + length, utf8mb4 */
	ODS_DB_BLOB		/* bytes + length, binary */
};

/* A bound parameter. Build with the ods_db_* helpers below; p is borrowed. */
struct ods_db_arg {
	enum ods_db_type	 type;
	int64_t			 i;
	double			 d;
	const void		*p;
	size_t			 len;
};

static inline struct ods_db_arg
ods_db_null(void)
{
	return (struct ods_db_arg){ .type = ODS_DB_NULL };
}
static inline struct ods_db_arg
ods_db_int(int64_t v)
{
	return (struct ods_db_arg){ .type = ODS_DB_INT, .i = v };
}
static inline struct ods_db_arg
ods_db_double(double v)
{
	return (struct ods_db_arg){ .type = ODS_DB_DOUBLE, .d = v };
}
/* A NULL string binds SQL NULL. */
static inline struct ods_db_arg
ods_db_textn(const char *s, size_t n)
{
	if (s == NULL)
		return ods_db_null();
	return (struct ods_db_arg){ .type = ODS_DB_TEXT, .p = s, .len = n };
}
static inline struct ods_db_arg
ods_db_text(const char *s)
{
	return ods_db_textn(s, s == NULL ? 0 : strlen(s));
}
static inline struct ods_db_arg
ods_db_blob(const void *p, size_t n)
{
	if (p == NULL)
		return ods_db_null();
	return (struct ods_db_arg){ .type = ODS_DB_BLOB, .p = p, .len = n };
}

/* Called from any thread, never with a lock held; all members optional. */
struct ods_db_observer {
	void	(*connect)(void *arg, int ok);		/* each connect attempt */
	void	(*acquire)(void *arg, double wait_seconds);
	void	(*in_use)(void *arg, unsigned n);	/* after each change */
	void	*arg;
};

/*
 * A pool of pool_size connections (conf->db_pool_size wins when > 0; at
 * least 1), opened lazily: it never fails because the database is down.
 * Create it in the process that uses it (after fork). conf is copied.
 * Never NULL. ods_db_free closes everything; every connection must have
 * been released. NULL is a no-op.
 */
struct ods_db	*ods_db_new(const struct ods_conf *, unsigned pool_size);
void		 ods_db_free(struct ods_db *);
unsigned	 ods_db_size(const struct ods_db *);
/* Set before the pool is used; the struct is copied. */
void		 ods_db_set_observer(struct ods_db *,
		    const struct ods_db_observer *);

/*
 * Take a connection, waiting at most conf->db_acquire_timeout_ms for a
 * free one, then open or check it (a connection the server closed is
 * reopened here). Returns ODS_OK, ODS_ETIMEOUT (pool exhausted) or
 * ODS_EUNAVAIL (database down; after a failed connect, new connects are
 * refused for 500 ms so an outage costs nothing per request).
 */
enum ods_err	 ods_db_acquire(struct ods_db *, struct ods_db_conn **)
		    ODS_MUSTCHECK;
/*
 * From acquire to release a connection is held at most ODS_DB_TIMEOUT_MS:
 * past it a statement does not start, and one in progress is cut (its
 * socket shut by the pool's watchdog); both fail with ODS_ETIMEOUT and the
 * connection is closed at release. ms resets the deadline from now for
 * work that may take longer (migrations); 0 removes it.
 */
void		 ods_db_conn_set_timeout(struct ods_db_conn *, int ms);
/* Give it back; an open transaction is rolled back. NULL is a no-op. */
void		 ods_db_release(struct ods_db_conn *);

/*
 * Readiness probe: acquire, COM_PING, release. *latency_ms (may be NULL)
 * is the whole time taken. Returns ODS_OK, ODS_EUNAVAIL or ODS_ETIMEOUT.
 */
enum ods_err	 ods_db_ping(struct ods_db *, double *latency_ms)
		    ODS_MUSTCHECK;

/*
 * Readiness check: COM_PING on a connection of its own, outside the
 * pool, whose connect, read and write timeouts are ODS_HEALTH_TIMEOUT_MS
 * (rounded up to whole seconds), so a frozen server or a pool busy with
 * slow queries answers within that bound. While one thread checks, the
 * others get the last completed result at once (or, before any, wait for
 * that check). *latency_ms (may be NULL) is the
 * check's time. Returns ODS_OK or ODS_EUNAVAIL.
 */
enum ods_err	 ods_db_check(struct ods_db *, double *latency_ms)
		    ODS_MUSTCHECK;

/*
 * Statements. SQL must be a string literal (the macros refuse anything
 * else at compile time), so SQL is never built from input: every value is
 * a bound ? parameter. Do not call the *_const functions directly.
 *
 * ods_db_exec(conn, SQL, args, nargs, &affected): affected (may be NULL)
 * counts matched rows for UPDATE (CLIENT_FOUND_ROWS).
 * ods_db_query(conn, SQL, args, nargs, max_rows, &res): *res is a new
 * result (free with ods_db_res_free) holding at most max_rows rows (0:
 * ODS_DB_DEFAULT_ROWS); further rows are discarded and flagged truncated.
 *
 * Both return ODS_OK; ODS_ECONFLICT (duplicate key, foreign key, or a
 * deadlock inside a transaction: retry the transaction; outside one, a
 * deadlock's victim is run again, up to 3 more times, before it is
 * returned); ODS_EINVAL (a value the column
 * refuses, or nargs > ODS_DB_MAX_ARGS); ODS_ETOOBIG (value or result too
 * large); ODS_ETIMEOUT (lock wait, statement or read timeout);
 * ODS_EUNAVAIL (connection lost: the statement is retried once on a new
 * connection only when nothing can have run and no transaction is open);
 * ODS_ENOMEM; ODS_EINTERNAL (bad SQL, wrong parameter count).
 */
#define ODS_DB_SQL(s)	("" s "")
#define ods_db_exec(c, sql, args, nargs, affected)			\
	ods_db_exec_const((c), ODS_DB_SQL(sql), (args), (nargs), (affected))
#define ods_db_query(c, sql, args, nargs, max_rows, res)		\
	ods_db_query_const((c), ODS_DB_SQL(sql), (args), (nargs),	\
	    (max_rows), (res))
enum ods_err	 ods_db_exec_const(struct ods_db_conn *, const char *sql,
		    const struct ods_db_arg *, size_t nargs,
		    uint64_t *affected) ODS_MUSTCHECK;
enum ods_err	 ods_db_query_const(struct ods_db_conn *, const char *sql,
		    const struct ods_db_arg *, size_t nargs, size_t max_rows,
		    struct ods_db_res **) ODS_MUSTCHECK;

/*
 * One statement on a connection of its own: acquire, run, release (for
 * callers with nothing else to do on it). Errors of ods_db_acquire and
 * of the statement.
 */
#define ods_db_exec_once(db, sql, args, nargs, affected)		\
	ods_db_exec_once_const((db), ODS_DB_SQL(sql), (args), (nargs),	\
	    (affected))
#define ods_db_query_once(db, sql, args, nargs, max_rows, res)		\
	ods_db_query_once_const((db), ODS_DB_SQL(sql), (args), (nargs),	\
	    (max_rows), (res))
enum ods_err	 ods_db_exec_once_const(struct ods_db *, const char *sql,
		    const struct ods_db_arg *, size_t nargs,
		    uint64_t *affected) ODS_MUSTCHECK;
enum ods_err	 ods_db_query_once_const(struct ods_db *, const char *sql,
		    const struct ods_db_arg *, size_t nargs, size_t max_rows,
		    struct ods_db_res **) ODS_MUSTCHECK;

/*
 * Multi-row INSERT: prefix is a literal "INSERT INTO t (a, b, c)" naming
 * ncols columns, args holds nrows * ncols values row after row, and the
 * rows go as "<prefix> VALUES (?,?,?),(?,?,?)..." in one statement, or in
 * several of at most ODS_DB_INSERT_MAX_PARAMS values each, then run in one
 * transaction (unless the caller has one open): all rows or none.
 *
 * refused NULL: any error fails the insert. refused non-NULL: a row the
 * server refuses (a value a column rejects, a duplicate key: ODS_EINVAL,
 * ODS_ETOOBIG, ODS_ECONFLICT but a deadlock) does not hold the others: the
 * rows are inserted again one by one in one transaction, those refused
 * skipped and counted in *refused. For write-behind writers, whose retry
 * must not stall on one bad row.
 *
 * Returns ODS_OK (every row stored, or skipped and counted), ODS_EINVAL
 * (ncols 0 or past the limit, args NULL), or the errors of ods_db_exec.
 * nrows 0 does nothing.
 */
#define ods_db_insert_rows(c, prefix, ncols, args, nrows, refused)	\
	ods_db_insert_rows_const((c), ODS_DB_SQL(prefix), (ncols), (args), \
	    (nrows), (refused))
enum ods_err	 ods_db_insert_rows_const(struct ods_db_conn *,
		    const char *prefix, size_t ncols, const struct ods_db_arg *,
		    size_t nrows, size_t *refused) ODS_MUSTCHECK;

/* AUTO_INCREMENT id of the last INSERT on this connection. */
uint64_t	 ods_db_insert_id(const struct ods_db_conn *);
/* Server thread id (for KILL and logs); 0 when not connected. */
unsigned long	 ods_db_conn_id(const struct ods_db_conn *);

/*
 * Transactions on an acquired connection. begin fails with ODS_EINVAL
 * when one is already open; commit/rollback with ODS_EINVAL when none is.
 * Errors as for statements; after a failed commit the transaction is gone.
 */
enum ods_err	 ods_db_begin(struct ods_db_conn *) ODS_MUSTCHECK;
enum ods_err	 ods_db_commit(struct ods_db_conn *) ODS_MUSTCHECK;
enum ods_err	 ods_db_rollback(struct ods_db_conn *);

/*
 * Results. Rows and columns count from 0; out-of-range indexes behave as
 * NULL cells. Pointers stay valid until ods_db_res_free (NULL is a no-op).
 * _text returns the cell as NUL-terminated bytes (numbers as decimal text,
 * DATETIME as "YYYY-MM-DD hh:mm:ss[.fff]", blobs raw) or NULL for NULL.
 * _int and _double return ODS_ENOTFOUND for NULL and ODS_EINVAL when the
 * cell is not a number in range.
 */
size_t		 ods_db_res_nrows(const struct ods_db_res *);
size_t		 ods_db_res_ncols(const struct ods_db_res *);
int		 ods_db_res_truncated(const struct ods_db_res *);
const char	*ods_db_res_colname(const struct ods_db_res *, size_t col);
int		 ods_db_res_colidx(const struct ods_db_res *, const char *name);
enum ods_db_type ods_db_res_type(const struct ods_db_res *, size_t row,
		    size_t col);
int		 ods_db_res_isnull(const struct ods_db_res *, size_t row,
		    size_t col);
const char	*ods_db_res_text(const struct ods_db_res *, size_t row,
		    size_t col, size_t *len);
enum ods_err	 ods_db_res_int(const struct ods_db_res *, size_t row,
		    size_t col, int64_t *) ODS_MUSTCHECK;
enum ods_err	 ods_db_res_double(const struct ods_db_res *, size_t row,
		    size_t col, double *) ODS_MUSTCHECK;
/*
 * The readers row structs are filled with: a copy of the cell's text
 * (NULL for SQL NULL; the caller frees it) and its integer (0 for NULL or
 * text that is not one).
 */
char		*ods_db_res_strdup(const struct ods_db_res *, size_t row,
		    size_t col);
int64_t		 ods_db_res_int0(const struct ods_db_res *, size_t row,
		    size_t col);
void		 ods_db_res_free(struct ods_db_res *);

#ifdef ODS_DB_TRUSTED_TEXT
/*
 * For lib/ods_migrate.c only: run one statement of a trusted SQL file
 * shipped with the product, as text, discarding any result. Never reached
 * from request handling. Errors as for ods_db_exec.
 */
enum ods_err	 ods_db_exec_trusted_text(struct ods_db_conn *,
		    const char *sql, size_t len, struct ods_why *why)
		    ODS_MUSTCHECK;
#endif

#endif /* ODS_DB_H */
