/*
 * svc/data/query.h — SQL on a data source (reference-api §3.3 D18): one
 * read statement (svc/data/sql_lex.h) on a MySQL/MariaDB or PostgreSQL
 * source, never on the system database: the source's own connection
 * through the address policy, taken from the worker's pool for that
 * source, in a read-only session with a statement timeout. Rows reach the
 * caller's sink as the server sends them: a JSON answer caps them (the
 * row cap), a CSV export takes them all with flat memory.
 *
 * Every run, refused ones too, is kept in query_history
 * (sql/0009_query.sql) for the caller's GET /query/history.
 *
 * Thread-safe: the pool (in struct ods_ds_ctx) has its own lock.
 */
#ifndef SVC_QUERY_H
#define SVC_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "core/ods_err.h"

struct ods_db;
struct ods_ds_ctx;
struct ods_jw;
struct ods_why;
struct ods_etl_coltype;

#define ODS_QUERY_SQL_MAX	(256u * 1024)	/* bytes of one statement */
#define ODS_QUERY_LIMIT_MAX	100000		/* JSON rows, at most */

/* Where the rows go (the handler's JSON or CSV writer). */
struct ods_query_sink {
	/*
	 * The columns, once, before any row: names, type names (integer,
	 * float, decimal, string, text, date, datetime, json, ...), and
	 * whether the text of a cell is a number. Non-zero stops.
	 */
	int	(*columns)(void *arg, size_t n, const char *const *names,
		    const char *const *types, const int *numeric);
	/* One row; cells[i] NULL for SQL NULL. Non-zero stops. */
	int	(*row)(void *arg, size_t n, const char *const *cells,
		    const size_t *lens);
	void	*arg;
	/*
	 * Optional (NULL: not called): right after columns, each column's
	 * type in full (lengths, precision, unsigned: svc/data/etl.h), for
	 * a sink that makes a table of the result. Non-zero stops.
	 */
	int	(*coltypes)(void *arg, size_t n,
		    const struct ods_etl_coltype *);
};

struct ods_query_spec {
	const char	*source_id;
	const char	*sql;
	size_t		 sql_len;
	int64_t		 limit;		/* row cap; 0: ODS_QUERY_MAX_ROWS;
					   -1: none (CSV) */
	int		 timeout_ms;	/* 0 or more: ODS_QUERY_TIMEOUT_MS */
	const char	*format;	/* "json" | "csv", for the history */
	/*
	 * A check made on the caller's behalf (text to SQL's EXPLAIN), not
	 * a query they ran: kept out of their history.
	 */
	int		 no_history;
};

struct ods_query_result {
	char	 query_id[40];
	char	 kind[16];	/* select, explain, ... */
	char	 status[16];	/* success | refused | error | timeout */
	char	 slug[48];	/* on failure: multiple_statements, ... */
	char	 message[512];	/* on failure: the database's words */
	int64_t	 row_count;
	int	 truncated;	/* the row cap stopped it */
	int	 stopped;	/* the sink stopped it (not the cap) */
	double	 duration_ms;
};

/*
 * Run spec as user (owner: NULL for an admin, as ods_ds_get). Always
 * fills res. Returns ODS_OK; ODS_ENOTFOUND (no such source for owner);
 * ODS_EINVAL: refused before anything ran (status "refused", code 40003),
 * or the database refused it (status "error", slug database_error,
 * message its own words), or the source cannot run queries
 * (unsupported_type); ODS_ETIMEOUT (the statement timeout, or every
 * pooled connection busy: slug pool_busy); ODS_EUNAVAIL (cannot connect:
 * slug and message of the connect); or the errors of ods_db.
 */
enum ods_err	 ods_query_execute(struct ods_db *, const struct ods_ds_ctx *,
		    const struct ods_query_spec *, const char *owner,
		    const char *user, const struct ods_query_sink *,
		    struct ods_query_result *) ODS_MUSTCHECK;

/*
 * The caller's history, newest first, as a JSON array of {query_id,
 * source_id, sql, kind, status, error, row_count, truncated, duration_ms,
 * format, created_at}; source_id filters when non-NULL.
 */
enum ods_err	 ods_query_history(struct ods_db *, const char *user,
		    const char *source_id, size_t offset, size_t limit,
		    struct ods_jw *, int64_t *total) ODS_MUSTCHECK;

/* Connections of a source open in this process (idle and in use). */
unsigned	 ods_query_pool_open(const struct ods_ds_ctx *,
		    const char *source_id);

#endif /* SVC_QUERY_H */
