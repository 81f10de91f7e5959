/*
 * fcgi/data/h_query.c — POST /query/execute (JSON with the row cap, or
 * CSV streamed as the rows come) and GET /query/history.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ods.h"
#include "text/ods_tab.h"
#include "../../svc/data/datasource.h"
#include "../../svc/data/query.h"
#include "../common/h_auth.h"
#include "h_query.h"

#define JSON_MAX	(128u << 20)	/* the rows of one JSON answer */
#define CSV_CHUNK	(64u << 10)	/* bytes per write to the client */

struct out {
	struct ods_resp	*w;
	int		 csv;
	/* json */
	struct ods_buf	 cols, rows;
	struct ods_jw	 cj, rj;
	char		**names;
	int		*numeric;
	size_t		 ncols;
	/* csv */
	struct ods_buf	 chunk;
	int		 begun;
	int		 gone;
};

/* A cell of a numeric column that is a JSON number (not NaN, inf). */
static int
is_number(const char *s, size_t n)
{
	size_t	i = 0, d;

	if (i < n && s[i] == '-')
		i++;
	for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		;
	if (i == d || (s[d] == '0' && i - d > 1))
		return 0;
	if (i < n && s[i] == '.') {
		for (d = ++i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		if (++i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	return i == n;
}

static int
json_columns(struct out *o, size_t n, const char *const *names,
    const char *const *types, const int *numeric)
{
	size_t	i;

	o->names = calloc(n + 1, sizeof(*o->names));
	o->numeric = calloc(n + 1, sizeof(*o->numeric));
	if (o->names == NULL || o->numeric == NULL)
		return 1;
	o->ncols = n;
	ods_jw_arr(&o->cj);
	for (i = 0; i < n; i++) {
		o->names[i] = strdup(names[i]);
		o->numeric[i] = numeric[i];
		ods_jw_obj(&o->cj);
		ods_jw_kstr(&o->cj, "name", names[i]);
		ods_jw_kstr(&o->cj, "type", types[i]);
		ods_jw_end(&o->cj);
	}
	ods_jw_end(&o->cj);
	return 0;
}

static int
csv_flush(struct out *o)
{
	if (o->chunk.len == 0)
		return 0;
	if (ods_resp_stream_write(o->w, o->chunk.data, o->chunk.len) !=
	    ODS_OK) {
		o->gone = 1;
		return 1;
	}
	ods_buf_reset(&o->chunk);
	return 0;
}

static int
csv_line(struct out *o, size_t n, const char *const *cells,
    const size_t *lens)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if ((i > 0 && ods_buf_add(&o->chunk, ",", 1) != ODS_OK) ||
		    (cells[i] != NULL && ods_tab_csv_field(&o->chunk, cells[i],
		    lens != NULL ? lens[i] : strlen(cells[i]), ',') != ODS_OK))
			return 1;
	if (ods_buf_add(&o->chunk, "\r\n", 2) != ODS_OK)
		return 1;
	return o->chunk.len >= CSV_CHUNK ? csv_flush(o) : 0;
}

static int
on_columns(void *arg, size_t n, const char *const *names,
    const char *const *types, const int *numeric)
{
	struct out	*o = arg;

	if (!o->csv)
		return json_columns(o, n, names, types, numeric);
	if (ods_resp_header(o->w, "Content-Disposition",
	    "attachment; filename=\"query.csv\"") != ODS_OK ||
	    ods_resp_stream_begin(o->w, ODS_HTTP_200,
	    "text/csv; charset=utf-8") != ODS_OK) {
		o->gone = 1;
		return 1;
	}
	o->begun = 1;
	return csv_line(o, n, names, NULL);
}

static int
on_row(void *arg, size_t n, const char *const *cells, const size_t *lens)
{
	struct out	*o = arg;
	size_t		 i;

	if (o->csv)
		return csv_line(o, n, cells, lens);
	ods_jw_obj(&o->rj);
	for (i = 0; i < n && i < o->ncols; i++) {
		ods_jw_key(&o->rj, o->names[i]);
		if (cells[i] == NULL)
			ods_jw_null(&o->rj);
		else if (o->numeric[i] && is_number(cells[i], lens[i]))
			ods_jw_raw(&o->rj, cells[i], lens[i]);
		else
			ods_jw_strn(&o->rj, cells[i], lens[i]);
	}
	ods_jw_end(&o->rj);
	return ods_jw_error(&o->rj) != ODS_OK;
}

static void
out_free(struct out *o)
{
	size_t	i;

	for (i = 0; o->names != NULL && i < o->ncols; i++)
		free(o->names[i]);
	free(o->names);
	free(o->numeric);
	ods_buf_free(&o->cols);
	ods_buf_free(&o->rows);
	ods_buf_free(&o->chunk);
}

/* The request's fields into sp (strings borrowed from the body). */
static enum ods_err
spec_of(struct json_object *b, struct ods_query_spec *sp, int *csv,
    struct ods_why *why)
{
	enum ods_err	 er;
	int64_t		 t = 0;

	memset(sp, 0, sizeof(*sp));
	if ((er = ods_json_str(b, "source_id", 0, ODS_DS_ID_MAX,
	    &sp->source_id, why)) == ODS_ENOTFOUND &&
	    (er = ods_json_str(b, "datasource_id", 0, ODS_DS_ID_MAX,
	    &sp->source_id, why)) == ODS_ENOTFOUND)
		er = ods_json_str(b, "database", 0, ODS_DS_ID_MAX,
		    &sp->source_id, why);
	if (er == ODS_ENOTFOUND) {
		ods_why_set(why, "source_id", "field 'source_id' is required: "
		    "queries run on a data source");
		return ODS_EINVAL;
	}
	if (er != ODS_OK ||
	    (er = ods_json_str(b, "sql", 1, ODS_QUERY_SQL_MAX, &sp->sql,
	    why)) != ODS_OK)
		return er;
	sp->sql_len = strlen(sp->sql);
	sp->format = "json";
	if ((er = ods_json_str(b, "format", 0, 8, &sp->format, why)) !=
	    ODS_OK && er != ODS_ENOTFOUND)
		return er;
	*csv = strcmp(sp->format, "csv") == 0;
	if (!*csv && strcmp(sp->format, "json") != 0) {
		ods_why_set(why, "format", "format is json or csv");
		return ODS_EINVAL;
	}
	if ((er = ods_json_int(b, "limit", 0, 1, ODS_QUERY_LIMIT_MAX,
	    &sp->limit, why)) != ODS_OK && er != ODS_ENOTFOUND)
		return er;
	/* timeout_ms, or the web's timeout_seconds, the reference's timeout. */
	if ((er = ods_json_int(b, "timeout_ms", 0, 1, 3600000, &t, why)) ==
	    ODS_ENOTFOUND) {
		if ((er = ods_json_int(b, "timeout_seconds", 0, 1, 3600, &t,
		    why)) == ODS_ENOTFOUND)
			er = ods_json_int(b, "timeout", 0, 1, 3600, &t, why);
		t *= 1000;
	}
	if (er != ODS_OK && er != ODS_ENOTFOUND)
		return er;
	sp->timeout_ms = (int)t;
	if (*csv)
		sp->limit = sp->limit > 0 ? sp->limit : -1;
	return ODS_OK;
}

static enum ods_status
failed(struct ods_resp *w, enum ods_err er, const struct ods_query_result *q)
{
	if (er == ODS_ENOTFOUND)
		return ods_resp_error_ex(w, er, ODS_C_NOT_FOUND, "not_found",
		    "no such data source");
	if (strcmp(q->status, "refused") == 0)
		return ods_resp_error_ex(w, ODS_EINVAL, ODS_C_SQL_REJECTED,
		    q->slug, q->message);
	if (er == ODS_EINVAL)
		return ods_resp_error_ex(w, er, ODS_C_BAD_REQUEST, q->slug,
		    q->message);
	if (er == ODS_ETIMEOUT)
		return ods_resp_error_ex(w, er, ODS_C_GATEWAY_TIMEOUT,
		    strcmp(q->slug, "pool_busy") == 0 ? "pool_busy" :
		    "query_timeout", q->message[0] != '\0' ? q->message :
		    "the query ran past its time limit");
	if (er == ODS_EUNAVAIL)
		return ods_resp_error_ex(w, er, ODS_C_UNAVAILABLE, q->slug,
		    q->message);
	return ods_resp_error(w, er, "the query failed");
}

static enum ods_status
send_json(struct ods_resp *w, struct out *o, const struct ods_query_result *q)
{
	struct ods_jw	*jw;

	if (ods_jw_error(&o->rj) != ODS_OK)
		return ods_resp_error(w, ODS_ETOOBIG, "the result is too "
		    "large for JSON: lower limit or use format csv");
	jw = ods_resp_envelope(w, ODS_HTTP_200, NULL);
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "query_id", q->query_id);
	ods_jw_kstr(jw, "status", q->status);
	ods_jw_kstr(jw, "kind", q->kind);
	ods_jw_key(jw, "columns");
	if (o->cols.len > 0)
		ods_jw_raw(jw, o->cols.data, o->cols.len);
	else {
		ods_jw_arr(jw);
		ods_jw_end(jw);
	}
	ods_jw_key(jw, "rows");
	ods_jw_raw(jw, o->rows.data, o->rows.len);
	ods_jw_kint(jw, "row_count", q->row_count);
	ods_jw_kbool(jw, "truncated", q->truncated);
	ods_jw_knum(jw, "duration_ms", q->duration_ms);
	ods_jw_knum(jw, "execution_time_ms", q->duration_ms);
	ods_jw_end(jw);
	return ods_resp_send(w);
}

enum ods_status
h_query_execute(struct ods_req *r, struct ods_resp *w)
{
	struct json_object	*b = NULL;
	struct ods_query_sink	 k = { on_columns, on_row, NULL };
	struct ods_query_spec	 sp;
	struct ods_query_result	 q;
	struct ods_why		 why;
	struct out		 o;
	enum ods_status		 hs;
	enum ods_err		 er;
	int			 csv = 0;

	memset(&why, 0, sizeof(why));
	if ((er = ods_req_json(r, &b, &why)) != ODS_OK ||
	    (er = spec_of(b, &sp, &csv, &why)) != ODS_OK)
		return ods_resp_input_error(w, er, &why);
	memset(&o, 0, sizeof(o));
	o.w = w;
	o.csv = csv;
	ods_buf_init(&o.cols, 1u << 20);
	ods_buf_init(&o.rows, JSON_MAX);
	ods_buf_init(&o.chunk, 2 * CSV_CHUNK + ODS_QUERY_SQL_MAX);
	ods_jw_init(&o.cj, &o.cols);
	ods_jw_init(&o.rj, &o.rows);
	ods_jw_arr(&o.rj);
	k.arg = &o;
	er = ods_query_execute(ods_req_db(r), ods_req_ctx(r), &sp, h_owner(r),
	    h_user(r), &k, &q);
	/* status: success, refused, error or timeout (a bounded set). */
	ods_metrics_business("query_execute", q.status[0] != '\0' ? q.status :
	    er == ODS_OK ? "success" : "error", q.duration_ms / 1000.0);
	ods_jw_end(&o.rj);
	if (o.begun) {
		/* Headers are out: a failure can only cut the stream. */
		if (er == ODS_OK && !o.gone)
			(void)csv_flush(&o);
		else if (er != ODS_OK)
			ods_log(ODS_LOG_WARN, "query_csv_cut query_id=%s "
			    "status=%s", q.query_id, q.status);
		hs = ODS_HTTP_200;
	} else if (er != ODS_OK)
		hs = failed(w, er, &q);
	else if (csv) {
		hs = ods_resp_raw(w, ODS_HTTP_200, "text/csv; charset=utf-8",
		    "", 0);
	} else
		hs = send_json(w, &o, &q);
	out_free(&o);
	return hs;
}

enum ods_status
h_query_history(struct ods_req *r, struct ods_resp *w)
{
	struct ods_page	 pg;
	struct ods_jw	*jw;
	enum ods_err	 er;
	int64_t		 total = 0;

	if (ods_req_page(r, 20, &pg) != ODS_OK)
		return ods_resp_bad_page(w);
	jw = ods_resp_list_begin(w, "queries");
	er = ods_query_history(ods_req_db(r), h_user(r),
	    ods_req_query(r, "source_id"), (size_t)pg.offset,
	    (size_t)pg.page_size, jw, &total);
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not read the history");
	ods_jw_end(jw);
	ods_resp_list_end(jw, &pg, total);
	return ods_resp_send(w);
}
