/*
 * svc/agent/tool_sql.c — the tools that read data sources (tool.h):
 * sql_query (one read-only statement through the query service of
 * svc/data: its gate, address policy, read-only session, timeout, row cap
 * and history) and text_to_sql (text2sql.h). Both run as the caller: a
 * source they cannot read is not found.
 */
#include "config.h"

#include <string.h>

#include "core/ods_conf.h"
#include "core/ods_err.h"
#include "core/ods_json.h"
#include "svc/data/query.h"
#include "agent.h"
#include "agent_int.h"
#include "text2sql.h"
#include "tool.h"

#define TOOL_ROWS	100	/* rows a tool hands a model, at most */

struct rows {
	struct ods_jw	*jw;
	int		 cols;	/* the columns (and "rows": [) written */
};

static int
put_columns(void *arg, size_t n, const char *const *names,
    const char *const *types, const int *numeric)
{
	struct rows	*r = arg;
	struct ods_jw	*jw = r->jw;
	size_t		 i;

	(void)types, (void)numeric;
	r->cols = 1;
	ods_jw_key(jw, "columns");
	ods_jw_arr(jw);
	for (i = 0; i < n; i++)
		ods_jw_str(jw, names[i]);
	ods_jw_end(jw);
	ods_jw_key(jw, "rows");
	ods_jw_arr(jw);
	return 0;
}

static int
put_row(void *arg, size_t n, const char *const *cells, const size_t *lens)
{
	struct ods_jw	*jw = ((struct rows *)arg)->jw;
	size_t		 i;

	ods_jw_arr(jw);
	for (i = 0; i < n; i++)
		if (cells[i] == NULL)
			ods_jw_null(jw);
		else
			ods_jw_strn(jw, cells[i], lens[i]);
	ods_jw_end(jw);
	return ods_jw_error(jw) != ODS_OK;
}

enum ods_err
odsi_sql_rows(const struct ods_tool_ctx *tc, const char *source_id,
    const char *sql, int64_t limit, struct ods_jw *jw, struct ods_why *why)
{
	struct ods_query_spec	 qs;
	struct ods_query_sink	 sink = { put_columns, put_row, NULL };
	struct ods_query_result	 qr;
	struct rows		 r;
	enum ods_err		 er;

	if (tc->ds == NULL)
		return ODS_EUNAVAIL;
	ods_jw_obj(jw);
	r.jw = jw;
	r.cols = 0;
	sink.arg = &r;
	memset(&qs, 0, sizeof(qs));
	qs.source_id = source_id;
	qs.sql = sql;
	qs.sql_len = strlen(sql);
	qs.limit = limit;
	qs.timeout_ms = tc->timeout_ms;
	qs.format = "json";
	memset(&qr, 0, sizeof(qr));
	er = ods_query_execute(tc->db, tc->ds, &qs, tc->owner, tc->user,
	    &sink, &qr);
	if (er != ODS_OK) {
		ods_why_set(why, er == ODS_ENOTFOUND ? "source_id" : "sql",
		    "%s", qr.message[0] != '\0' ? qr.message :
		    er == ODS_ENOTFOUND ? "no such data source" :
		    ods_strerror(er));
		return er;
	}
	if (!r.cols)
		(void)put_columns(&r, 0, NULL, NULL, NULL);
	ods_jw_end(jw);		/* rows */
	ods_jw_kint(jw, "row_count", qr.row_count);
	ods_jw_kbool(jw, "truncated", qr.truncated);
	ods_jw_kstr(jw, "query_id", qr.query_id);
	ods_jw_end(jw);
	return ods_jw_error(jw);
}

enum ods_err
odsi_tool_sql(const struct ods_tool_ctx *tc, struct json_object *args,
    struct ods_jw *jw, struct ods_why *why)
{
	int64_t	limit = 20;

	(void)ods_json_int(args, "limit", 0, 1, TOOL_ROWS, &limit, NULL);
	return odsi_sql_rows(tc, ods_json_get_str(args, "source_id"),
	    ods_json_get_str(args, "sql"), limit, jw, why);
}

enum ods_err
odsi_tool_t2s(const struct ods_tool_ctx *tc, struct json_object *args,
    struct ods_jw *jw, struct ods_why *why)
{
	struct ods_t2s_spec	 s;
	struct ods_t2s_result	 res;
	int			 ex = 0;
	enum ods_err		 er;

	memset(&s, 0, sizeof(s));
	s.question = ods_json_get_str(args, "question");
	s.source_id = ods_json_get_str(args, "source_id");
	s.model = ods_json_get_str(args, "model");
	if (s.model == NULL && tc->conf != NULL)
		s.model = tc->conf->default_chat_model;
	(void)ods_json_bool(args, "execute", 0, &ex, NULL);
	s.execute = ex;
	s.limit = TOOL_ROWS;
	er = ods_t2s_run(tc, tc->io, &s, &res, why);
	if (er == ODS_OK) {
		ods_jw_obj(jw);
		ods_jw_kstr(jw, "sql", res.sql);
		ods_jw_kbool(jw, "validated", res.validated);
		ods_jw_knum(jw, "confidence", res.confidence);
		if (res.rows.len > 0) {
			ods_jw_key(jw, "result");
			ods_jw_raw(jw, res.rows.data, res.rows.len);
		}
		ods_jw_end(jw);
	}
	ods_t2s_result_fini(&res);
	return er;
}
