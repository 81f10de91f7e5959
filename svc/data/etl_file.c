/*
 * svc/data/etl_file.c — the runs that read or write dataset files
 * (data_int.h): file_import, a dataset version (CSV, TSV, JSON Lines) read
 * record by record (lib/text's ods_tab_rec) into the staging load of
 * etl_run.c, each value cast to its column's type and the rows that do
 * not cast rejected (counted, the first few kept with why); export, a
 * query's rows written as CSV to a temporary file, stored in the object
 * store and made the dataset's next version (svc/data/dataset.h).
 *
 * source_config of file_import: {dataset_id, version (0: the newest),
 * format (csv|tsv|jsonl; else the version's), header (CSV/TSV: the first
 * record names the columns; default true), columns: [{source, target,
 * type}] (source: a header name, a 1-based position or a JSON member;
 * type: string, integer, number, decimal, boolean, date, datetime; by
 * default every column of the header, as strings)}.
 * target_config of export: {dataset_id}.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/ods_json.h"
#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "core/ods_util.h"
#include "store/ods_db.h"
#include "store/ods_obj.h"
#include "text/ods_tab.h"
#include "dataset.h"
#include "datasource.h"
#include "data_int.h"
#include "sql_lex.h"

#define MAP_MAX		ODS_QUERY_COLS_MAX
#define CELL_MAX	64	/* bytes of a normalised value */

struct imp {
	struct odsi_etl_run	*r;
	struct json_object	*cfg;
	int			 jsonl;
	int			 header;	/* the first record names */
	int			 started;	/* columns sent */
	size_t			 ncols;
	int			 src[MAP_MAX];	/* field, -1: by name */
	char			*srcname[MAP_MAX];
	struct odsi_etl_col	 cols[MAP_MAX];
	size_t			 nfields;	/* of the header */
	uint64_t		 line;
	char			 why[512];
};

static void
reject(struct imp *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
reject(struct imp *m, const char *fmt, ...)
{
	struct odsi_etl_run	*r = m->r;
	struct ods_jw		 jw;
	char			 msg[400];
	va_list			 ap;

	r->out->rows_rejected++;
	r->out->rows_read++;
	if (r->nrejects >= ODSI_ETL_SAMPLE)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ods_jw_init(&jw, &r->rejects);
	odsi_etl_ignore(ods_buf_add(&r->rejects, r->nrejects++ ? "," : "[",
	    1));
	/* One object appended to the array text by hand: the writer's
	 * state starts fresh for each. */
	ods_jw_obj(&jw);
	ods_jw_kint(&jw, "line", (int64_t)m->line);
	ods_jw_kstr(&jw, "reason", msg);
	ods_jw_end(&jw);
}

static enum ods_etl_ctype
type_of(const char *s)
{
	struct ods_etl_coltype	ct;

	if (s == NULL || strcmp(s, "string") == 0)
		return ODS_ETL_T_TEXT;
	if (strcmp(s, "number") == 0)
		return ODS_ETL_T_FLOAT64;
	if (strcmp(s, "integer") == 0)
		return ODS_ETL_T_INT64;
	ods_etl_type_parse(s, &ct);
	return ct.t;
}

/* The columns from the mapping, or every field of the header. */
static int
columns(struct imp *m, const char **f, const size_t *l, size_t n)
{
	struct json_object	*a = ods_json_get(m->cfg, "columns"), *e;
	const char		*s, *tg;
	size_t			 i, k;
	char			 msg[300];

	m->nfields = n;
	k = a != NULL ? ods_json_arr_len(a) : n;
	if (k == 0 || k > MAP_MAX)
		return odsi_etl_fail(m->r, ODS_EINVAL, "no columns to import");
	for (i = 0; i < k; i++) {
		e = a != NULL ? ods_json_arr_get(a, i) : NULL;
		s = e != NULL ? ods_json_get_str(e, "source") : NULL;
		tg = e != NULL ? ods_json_get_str(e, "target") : NULL;
		m->src[i] = -1;
		if (a == NULL) {
			m->src[i] = (int)i;
			m->srcname[i] = !m->header ? NULL : l != NULL ?
			    ods_xstrndup(f[i], l[i]) : ods_xstrdup(f[i]);
		} else if (s != NULL || tg != NULL)
			m->srcname[i] = ods_xstrdup(s != NULL ? s : tg);
		if (tg == NULL)
			tg = m->srcname[i];
		if (tg == NULL || !ods_etl_ident_ok(tg, 1)) {
			snprintf(msg, sizeof(msg),
			    "column %zu: \"%.64s\" is no "
			    "plain column name: map it with columns[].target",
			    i + 1, tg != NULL ? tg : "");
			return odsi_etl_fail(m->r, ODS_EINVAL, msg);
		}
		snprintf(m->cols[i].name, sizeof(m->cols[i].name), "%s", tg);
		m->cols[i].ct.t = type_of(e != NULL ? ods_json_get_str(e,
		    "type") : NULL);
		if (m->cols[i].ct.t == ODS_ETL_T_DECIMAL) {
			m->cols[i].ct.prec = 38;
			m->cols[i].ct.scale = 10;
		}
	}
	m->ncols = k;
	/* Sources named in the mapping: their place in the header. */
	for (i = 0; i < k && !m->jsonl; i++) {
		size_t	j;

		if (m->src[i] >= 0 || m->srcname[i] == NULL)
			continue;
		for (j = 0; j < n && m->header; j++)
			if (strlen(m->srcname[i]) == l[j] &&
			    memcmp(m->srcname[i], f[j], l[j]) == 0)
				m->src[i] = (int)j;
		if (m->src[i] < 0 && (j = (size_t)atoi(m->srcname[i])) >= 1 &&
		    j <= n)
			m->src[i] = (int)j - 1;
		if (m->src[i] < 0) {
			snprintf(msg, sizeof(msg), "the file has no column "
			    "\"%.64s\"", m->srcname[i]);
			return odsi_etl_fail(m->r, ODS_EINVAL, msg);
		}
	}
	m->started = 1;
	return odsi_etl_load_cols(m->r, m->ncols, m->cols);
}

/* One row's values cast; 1 when a value does not (rejected). */
static int
cast_row(struct imp *m, const char **v, size_t *vl, char (*bufs)[CELL_MAX])
{
	const char	*why, *o;
	size_t		 i, on;

	for (i = 0; i < m->ncols; i++) {
		if (v[i] == NULL)
			continue;
		if (vl[i] == 0) {
			v[i] = NULL;	/* an empty cell is NULL */
			continue;
		}
		why = odsi_etl_cast(m->cols[i].ct.t, v[i], vl[i], bufs[i],
		    CELL_MAX, &o, &on);
		if (why != NULL) {
			reject(m, "column %s: \"%.*s\" %s", m->cols[i].name,
			    (int)(vl[i] > 40 ? 40 : vl[i]), v[i], why);
			return 1;
		}
		v[i] = o;
		vl[i] = on;
	}
	return 0;
}

static int
load(struct imp *m, const char **v, size_t *vl)
{
	static __thread char	 bufs[MAP_MAX][CELL_MAX];

	if (cast_row(m, v, vl, bufs) != 0)
		return 0;
	return odsi_etl_load_row(m->r, m->ncols, v, vl);
}

static int
csv_rec(struct imp *m, const char **f, const size_t *l, size_t n,
    const char *bad)
{
	const char	*v[MAP_MAX];
	size_t		 vl[MAP_MAX], i;

	if (!m->started) {
		if (columns(m, f, l, n) != 0)
			return 1;
		if (m->header)
			return 0;
	}
	if (bad != NULL) {
		reject(m, "%s", bad);
		return 0;
	}
	if (n != m->nfields) {
		reject(m, "%zu fields where the first record has %zu", n,
		    m->nfields);
		return 0;
	}
	for (i = 0; i < m->ncols; i++) {
		v[i] = f[m->src[i]];
		vl[i] = l[m->src[i]];
	}
	return load(m, v, vl);
}

/* Member name of a JSON Lines record as a cell: its text. */
static int
jsonl_rec(struct imp *m, const char *p, size_t n)
{
	struct json_object	*o = NULL, *x;
	struct ods_why		 why;
	const char		*v[MAP_MAX], *keys[MAP_MAX], *vals[MAP_MAX];
	size_t			 vl[MAP_MAX], i, k;
	int			 rc;

	if (ods_json_parse(p, n, 16, &o, &why) != ODS_OK ||
	    !ods_json_is_obj(o)) {
		reject(m, "not a JSON object: %s", o == NULL ? why.msg : "");
		ods_json_put(o);
		return 0;
	}
	if (!m->started) {
		/* Without a mapping: the first object's members. */
		if (ods_json_get(m->cfg, "columns") == NULL &&
		    ods_json_obj_scalars(o, MAP_MAX, keys, vals, &k) == ODS_OK)
			m->header = 1;
		else
			k = 0;
		if ((rc = columns(m, keys, NULL, k)) != 0) {
			ods_json_put(o);
			return rc;
		}
	}
	for (i = 0; i < m->ncols; i++) {
		x = m->srcname[i] != NULL ? ods_json_get(o, m->srcname[i]) :
		    NULL;
		v[i] = x == NULL || ods_json_kind(x) == ODS_JSON_NULL ? NULL :
		    ods_json_kind(x) == ODS_JSON_STRING ? ods_json_string(x) :
		    ods_json_text(x);
		vl[i] = v[i] != NULL ? strlen(v[i]) : 0;
	}
	rc = load(m, v, vl);
	ods_json_put(o);
	return rc;
}

static int
on_rec(void *arg, const char **f, const size_t *l, size_t n, const char *bad)
{
	struct imp	*m = arg;

	m->line++;
	if (m->jsonl)
		return n == 1 && bad == NULL ? jsonl_rec(m, f[0], l[0]) :
		    (reject(m, "%s", bad != NULL ? bad : "not one line"), 0);
	return csv_rec(m, f, l, n, bad);
}

static int
sink_write(void *arg, const char *p, size_t n)
{
	struct ods_tab_rec	*rec = arg;

	return ods_tab_rec_feed(rec, p, n) != 0;
}

int
odsi_etl_read_file(struct odsi_etl_run *r)
{
	struct ods_dset		*d = NULL;
	struct ods_dsver	*v = NULL;
	struct ods_tab_rec	 rec;
	struct ods_obj_sink	 sk;
	struct ods_why		 why;
	struct imp		 m;
	const char		*id, *fs, *dl;
	int64_t			 ver = 0;
	int			 fmt, hdr = 1, rc = 1;
	enum ods_err		 er;
	size_t			 i;

	memset(&m, 0, sizeof(m));
	m.r = r;
	if (r->t->source_config == NULL || ods_json_parse(r->t->source_config,
	    strlen(r->t->source_config), 8, &m.cfg, &why) != ODS_OK ||
	    (id = ods_json_get_str(m.cfg, "dataset_id")) == NULL) {
		ods_json_put(m.cfg);
		return odsi_etl_fail(r, ODS_EINVAL, "source_config.dataset_id "
		    "is required");
	}
	(void)ods_json_int(m.cfg, "version", 0, 0, INT64_MAX, &ver, &why);
	(void)ods_json_bool(m.cfg, "header", 0, &hdr, &why);
	if (r->env->obj == NULL) {
		rc = odsi_etl_fail(r, ODS_EUNAVAIL, "no object store");
		goto out;
	}
	er = ods_dset_get(r->env->db, id, NULL, &d);
	if (er == ODS_OK)
		er = ods_dsver_get(r->env->db, id, ver, &v);
	if (er != ODS_OK) {
		rc = odsi_etl_fail(r, er == ODS_ENOTFOUND ? ODS_EINVAL : er,
		    er == ODS_ENOTFOUND ? "the dataset or its version does not "
		    "exist" : "cannot read the dataset");
		goto out;
	}
	fs = ods_json_get_str(m.cfg, "format");
	fmt = fs != NULL ? (int)ods_tab_format_of(fs) :
	    ods_dset_tab_format(d, v);
	if (fmt != ODS_TAB_CSV && fmt != ODS_TAB_TSV && fmt != ODS_TAB_JSONL) {
		rc = odsi_etl_fail(r, ODS_EINVAL, "the version is not CSV, TSV "
		    "or JSON Lines");
		goto out;
	}
	m.jsonl = fmt == ODS_TAB_JSONL;
	m.header = hdr;
	dl = ods_json_get_str(m.cfg, "delimiter");
	ods_tab_rec_init(&rec, m.jsonl ? '\0' : dl != NULL && strlen(dl) == 1 ?
	    dl[0] : fmt == ODS_TAB_TSV ? '\t' : ',', 16u << 20, on_rec, &m);
	odsi_etl_rline(r, "info", "read", "importing %s version %lld (%s)",
	    id, (long long)v->number, ods_tab_format_name(fmt));
	memset(&sk, 0, sizeof(sk));
	sk.write = sink_write;
	sk.arg = &rec;
	er = ods_obj_get(r->env->obj, v->storage_path, 0, ODS_OBJ_ALL, &sk);
	if (er == ODS_OK && ods_tab_rec_end(&rec) == 0)
		rc = r->er != ODS_OK || r->stop;
	else {
		(void)ods_tab_rec_end(&rec);
		if (r->er == ODS_OK && !r->stop)
			odsi_etl_fail(r, er == ODS_OK ? ODS_ENOMEM : er,
			    "cannot read the dataset's file");
	}
	r->out->bytes_read = (int64_t)v->size_bytes;
	if (rc == 0 && r->out->rows_rejected > 0)
		odsi_etl_rline(r, "warn", "reject", "%lld rows rejected",
		    (long long)r->out->rows_rejected);
out:
	for (i = 0; i < MAP_MAX; i++)
		free(m.srcname[i]);
	ods_json_put(m.cfg);
	ods_dset_free(d);
	ods_dsver_free(v);
	return rc;
}

/* ---- export ---- */

struct exp {
	struct odsi_etl_run	*r;
	FILE			*f;
	struct ods_buf		 b;
	int64_t			 rows;
	int			 err;
};

static int
exp_flush(struct exp *x)
{
	if (x->b.len > 0 && fwrite(x->b.data, 1, x->b.len, x->f) != x->b.len)
		x->err = errno;
	ods_buf_reset(&x->b);
	return x->err != 0;
}

static int
exp_line(struct exp *x, size_t n, const char *const *v, const size_t *l)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if ((i > 0 && ods_buf_add(&x->b, ",", 1) != ODS_OK) ||
		    (v[i] != NULL && ods_tab_csv_field(&x->b, v[i], l != NULL ?
		    l[i] : strlen(v[i]), ',') != ODS_OK))
			return 1;
	if (ods_buf_add(&x->b, "\r\n", 2) != ODS_OK)
		return 1;
	return x->b.len >= (1u << 20) ? exp_flush(x) : 0;
}

static int
exp_cols(void *arg, size_t n, const struct odsi_etl_col *c)
{
	struct exp	*x = arg;
	const char	*v[MAP_MAX];
	size_t		 i;

	for (i = 0; i < n && i < MAP_MAX; i++)
		v[i] = c[i].name;
	return exp_line(x, i, v, NULL);
}

static int
exp_row(void *arg, size_t n, const char *const *v, const size_t *l)
{
	struct exp	*x = arg;
	size_t		 i;

	x->rows++;
	x->r->out->rows_read++;
	for (i = 0; i < n; i++)
		x->r->out->bytes_read += (int64_t)l[i];
	if ((x->rows & 1023) == 0 && x->r->env->stopping != NULL &&
	    x->r->env->stopping(x->r->env->arg)) {
		x->r->stop = 1;
		return 1;
	}
	return exp_line(x, n, v, l);
}

static long
file_reader(void *arg, char *buf, size_t n)
{
	size_t	k = fread(buf, 1, n, arg);

	return k == 0 && ferror((FILE *)arg) ? -1 : (long)k;
}

/* The version: stored, then numbered (once: a retry finds it). */
static int
exp_store(struct odsi_etl_run *r, struct exp *x, const char *dsid)
{
	struct ods_dsver_spec	 vs;
	struct ods_obj_info	 info;
	struct ods_dset		*d = NULL;
	struct ods_dsver	*v = NULL;
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[2];
	char			 up[40], key[ODS_DSET_PATH_MAX], fn[80];
	enum ods_err		 er;
	int			 rc = 1;

	/* The execution names the upload: a retry sees it was made. */
	snprintf(up, sizeof(up), "upload-%.16s", strchr(r->exec_id, '_') +
	    1);
	a[0] = ods_db_text(dsid);
	a[1] = ods_db_text(up);
	if (ods_db_query_once(r->env->db, "SELECT 1 FROM dataset_versions "
	    "WHERE dataset_id = ? AND upload_id = ?", a, 2, 1, &res) ==
	    ODS_OK && ods_db_res_nrows(res) > 0) {
		ods_db_res_free(res);
		return 0;
	}
	ods_db_res_free(res);
	snprintf(fn, sizeof(fn), "export-%s.csv", r->exec_id);
	ods_dset_obj_key(dsid, up, fn, key, sizeof(key));
	rewind(x->f);
	if ((er = ods_obj_put(r->env->obj, key, "text/csv", NULL, 0,
	    file_reader, x->f, &info)) != ODS_OK)
		return odsi_etl_fail(r, er, "cannot store the file");
	if ((er = ods_dset_get(r->env->db, dsid, NULL, &d)) != ODS_OK)
		return odsi_etl_fail(r, er == ODS_ENOTFOUND ? ODS_EINVAL : er,
		    "the dataset does not exist");
	memset(&vs, 0, sizeof(vs));
	vs.storage_path = key;
	vs.description = r->t->name;
	vs.row_count = x->rows;
	vs.size_bytes = (int64_t)info.size;
	vs.checksum = info.sha256;
	vs.file_name = fn;
	vs.content_type = "text/csv";
	vs.format = "csv";
	vs.has_header = 1;
	vs.charset = "utf-8";
	vs.upload_id = up;
	er = ods_dsver_add(r->env->db, d, &vs, r->t->created_by, &v);
	if (er == ODS_EFORBIDDEN || er == ODS_ECONFLICT)
		odsi_etl_fail(r, ODS_EINVAL, er == ODS_EFORBIDDEN ? "the "
		    "task's creator may not add versions to this dataset" :
		    "the dataset is deleted");
	else if (er != ODS_OK)
		odsi_etl_fail(r, er, "cannot add the version");
	else {
		r->out->rows_written = x->rows;
		r->out->bytes_written = (int64_t)info.size;
		odsi_etl_rline(r, "info", "done", "version %lld of %s: %lld "
		    "rows", (long long)v->number, dsid, (long long)x->rows);
		rc = 0;
	}
	ods_dset_free(d);
	ods_dsver_free(v);
	return rc;
}

int
odsi_etl_export(struct odsi_etl_run *r)
{
	struct odsi_etl_reader	 rd = { exp_cols, exp_row, NULL };
	struct ods_sql_verdict	 sv;
	struct json_object	*cfg = NULL;
	struct ods_why		 why;
	struct exp		 x;
	const char		*dsid;
	char			 path[4200], msg[1024], *sql = NULL;
	int			 stopped = 0, rc = 1, fd;
	enum ods_err		 er;

	memset(&x, 0, sizeof(x));
	x.r = r;
	rd.arg = &x;
	if (r->t->target_config == NULL || ods_json_parse(r->t->target_config,
	    strlen(r->t->target_config), 8, &cfg, &why) != ODS_OK ||
	    (dsid = ods_json_get_str(cfg, "dataset_id")) == NULL) {
		ods_json_put(cfg);
		return odsi_etl_fail(r, ODS_EINVAL, "target_config.dataset_id "
		    "is required");
	}
	if (r->env->obj == NULL) {
		rc = odsi_etl_fail(r, ODS_EUNAVAIL, "no object store");
		goto out;
	}
	if (odsi_etl_connect(r, r->t->source_id, 0, &r->src) != 0)
		goto out;
	if (ods_sql_check(r->t->source_query, strlen(r->t->source_query),
	    odsi_etl_is_pg(r->src) ? ODS_SQL_PG : ODS_SQL_MYSQL, &sv) !=
	    ODS_OK) {
		odsi_etl_fail(r, ODS_EINVAL, sv.why);
		goto out;
	}
	sql = ods_xstrndup(r->t->source_query, sv.len);
	snprintf(path, sizeof(path), "%s/etl-XXXXXX", r->env->tmpdir);
	if ((fd = mkstemp(path)) < 0 || (x.f = fdopen(fd, "w+")) == NULL) {
		odsi_etl_fail(r, ODS_EUNAVAIL, "cannot make a temporary file");
		goto out;
	}
	(void)unlink(path); /* gone with the descriptor, even on a kill */
	ods_buf_init(&x.b, 64u << 20);
	odsi_etl_rline(r, "info", "read", "exporting the query to %s", dsid);
	er = odsi_etl_read(r->src, sql, &rd, &stopped, msg, sizeof(msg));
	if (r->stop)
		goto out;
	if (er != ODS_OK) {
		odsi_etl_fail(r, er, msg);
		goto out;
	}
	if (exp_flush(&x) != 0 || fflush(x.f) != 0) {
		odsi_etl_fail(r, ODS_EUNAVAIL, "cannot write the temporary "
		    "file");
		goto out;
	}
	rc = exp_store(r, &x, dsid);
out:
	if (x.f != NULL)
		fclose(x.f);
	ods_buf_free(&x.b);
	free(sql);
	ods_json_put(cfg);
	return rc;
}
