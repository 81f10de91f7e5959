/*
 * svc/agent/text2sql.h — text to SQL (reference-api §4.3 G22): a
 * question about a data source answered with one read-only statement.
 *
 * The schema context is the source's metadata catalog (svc/data/catalog.h,
 * filled by a scan): its tables with their columns (type, primary key,
 * comment) and comments; with more than ODS_T2S_TABLES tables, the most
 * relevant by retrieval (BM25 of the question over a document per table:
 * its name, comment, and its columns' names and comments), or the
 * caller's selected tables. The model's SQL is stripped of code
 * fences and must pass the query gate (svc/data/sql_lex.h) as a SELECT or
 * WITH before it is returned; EXPLAIN on the source then validates it
 * (confidence 0.9 when it did, 0.5 when the source could not be asked,
 * 0.2 when the database refused it). execute runs it through the query
 * service (svc/data/query.h: row cap, timeout, history) as the caller.
 */
#ifndef SVC_TEXT2SQL_H
#define SVC_TEXT2SQL_H

#include <stddef.h>
#include <stdint.h>

#include "core/ods_err.h"
#include "core/ods_mem.h"

struct ods_agent_io;
struct ods_tool_ctx;
struct ods_why;

#define ODS_T2S_QUESTION_MAX	1000	/* bytes, as the reference */
#define ODS_T2S_TABLES		8	/* tables in the context, at most */
#define ODS_T2S_SELECTED_MAX	10

struct ods_t2s_spec {
	const char		*question;
	const char		*source_id;	/* or NULL: database names it */
	const char		*database;	/* a source's name or database */
	const char *const	*tables;	/* selected_tables, or NULL */
	size_t			 ntables;
	const char		*model;
	int			 execute;
	int64_t			 limit;		/* rows when executing */
};

struct ods_t2s_result {
	char		*sql;		/* malloc'ed; NULL when refused */
	char		 source_id[72];
	char		 database[136];
	char		 dialect[16];	/* mysql | postgresql */
	int		 validated;
	double		 confidence;
	char		 validation_error[512];
	struct ods_buf	 tables;	/* JSON array of the tables used */
	struct ods_buf	 rows;		/* with execute: {columns, rows,
					   row_count, truncated, query_id} */
	int64_t		 tokens;
	int		 retry_after;
};

/*
 * Generate (and with spec->execute run) the SQL. Always fills res
 * (ods_t2s_result_fini). ODS_OK; ODS_EINVAL (spec: why names the field;
 * or the model's SQL refused by the gate: why->field "sql"); ODS_ENOTFOUND
 * (no such source for the caller, or no scanned table: why says); the
 * errors of ods_agent_llm; when executing, those of ods_query_execute.
 */
enum ods_err	 ods_t2s_run(const struct ods_tool_ctx *,
		    const struct ods_agent_io *, const struct ods_t2s_spec *,
		    struct ods_t2s_result *, struct ods_why *) ODS_MUSTCHECK;
void		 ods_t2s_result_fini(struct ods_t2s_result *);

#endif /* SVC_TEXT2SQL_H */
