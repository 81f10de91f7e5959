/*
 * fcgi/data/h_query.h — SQL on data sources (reference-api §3.3 D18):
 * POST /query/execute and GET /query/history. The domain is
 * svc/data/query.h; the pool's context is h_data_init's.
 *
 * Permission: datasource:execute (sql/0009_query.sql): running SQL reads
 * a source's data with the source's own credentials, which reading its
 * settings (datasource:read, viewers too) must not imply. data_engineer,
 * data_analyst and admin have it. Another user's private source is a 404.
 */
#ifndef H_QUERY_H
#define H_QUERY_H

#include "net/ods_req.h"
#include "server/ods_router.h"

#define H_QUERY_ROUTES \
	{ ODS_POST, "/query/execute", h_query_execute, ODS_AUTH_REQUIRED, \
	    "datasource:execute" }, \
	{ ODS_GET, "/query/history", h_query_history, ODS_AUTH_REQUIRED, \
	    "datasource:execute" }

/*
 * {source_id (or datasource_id, or the web's database), sql, limit,
 * format: json|csv, timeout_ms (or timeout_seconds, timeout)}.
 * json: 200 data:{query_id, status, columns:[{name,type}], rows:[{col:
 * val}], row_count, truncated, duration_ms, execution_time_ms}, at most
 * limit rows (ODS_QUERY_MAX_ROWS by default, ODS_QUERY_LIMIT_MAX at
 * most). csv: 200 text/csv, every row, streamed. 400 code 40003 for a
 * refused statement (error names why: multiple_statements,
 * forbidden_function, ...), 400 code 40000 error database_error with the
 * database's message, 504 error query_timeout, 503 when the source
 * cannot be reached, 404 for an unknown source.
 */
enum ods_status	h_query_execute(struct ods_req *, struct ods_resp *);
/* ?source_id=&page=&page_size=: the caller's queries, newest first. */
enum ods_status	h_query_history(struct ods_req *, struct ods_resp *);

#endif /* H_QUERY_H */
