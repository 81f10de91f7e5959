/*
 * svc/data/etl_drv.c — ETL's side of the drivers (data_int.h): streamed
 * reads with the columns' full types (lengths, precision, unsigned),
 * statements that write, and literals escaped for the session's dialect.
 * Beside ds_conn.c and ds_exec.c, the third file that includes
 * Connector/C's and libpq's headers.
 */
#include "config.h"

#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>
#include <libpq-fe.h>

#include "core/ods_mem.h"
#include "datasource.h"
#include "query.h"
#include "data_int.h"


int
odsi_etl_is_pg(const struct odsi_ds_conn *c)
{
	return c->kind == ODSI_DS_PG;
}

/* ---- MySQL / MariaDB ---- */

static enum ods_err
my_err(MYSQL *m, char *msg, size_t msglen)
{
	unsigned	e = mysql_errno(m);

	odsi_ds_msg(msg, msglen, mysql_error(m));
	if (e == 1146)		/* ER_NO_SUCH_TABLE */
		return ODS_ENOTFOUND;
	if (e == 2006 || e == 2013 || e == 2055)
		return ODS_EUNAVAIL;
	return ODS_EINVAL;
}

/* ---- PostgreSQL ---- */

static enum ods_err
pg_err(PGconn *pg, const PGresult *r, char *msg, size_t msglen)
{
	const char	*st = r != NULL ?
	    PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;

	odsi_ds_msg(msg, msglen, r != NULL ? PQresultErrorMessage(r) :
	    PQerrorMessage(pg));
	if (PQstatus(pg) != CONNECTION_OK)
		return ODS_EUNAVAIL;
	if (st != NULL && strcmp(st, "42P01") == 0)	/* undefined_table */
		return ODS_ENOTFOUND;
	return ODS_EINVAL;
}

/* Between odsi_ds_run's sink and a reader: the names, then the types. */
struct adapt {
	const struct odsi_etl_reader	*rd;
	const char *const		*names;
};

static int
ad_columns(void *arg, size_t n, const char *const *names,
    const char *const *types, const int *numeric)
{
	struct adapt	*a = arg;

	(void)n;
	(void)types;
	(void)numeric;
	a->names = names;
	return 0;
}

static int
ad_coltypes(void *arg, size_t n, const struct ods_etl_coltype *ct)
{
	struct adapt		*a = arg;
	struct odsi_etl_col	*cols;
	size_t			 i;
	int			 rc;

	cols = ods_xcalloc(n + 1, sizeof(*cols));
	for (i = 0; i < n; i++) {
		snprintf(cols[i].name, sizeof(cols[i].name), "%s",
		    a->names[i]);
		cols[i].ct = ct[i];
	}
	rc = a->rd->cols(a->rd->arg, n, cols);
	free(cols);
	return rc;
}

static int
ad_row(void *arg, size_t n, const char *const *v, const size_t *l)
{
	struct adapt	*a = arg;

	return a->rd->row(a->rd->arg, n, v, l);
}

enum ods_err
odsi_etl_read(struct odsi_ds_conn *c, const char *sql,
    const struct odsi_etl_reader *rd, int *stopped, char *msg, size_t msglen)
{
	struct adapt		a = { rd, NULL };
	struct ods_query_sink	k = { ad_columns, ad_row, &a, ad_coltypes };

	/*
	 * No statement timeout (0): a load takes as long as its rows do.
	 * The session's own (a read-only session's default) is set anew.
	 */
	c->timeout_ms = -1;
	return odsi_ds_run(c, sql, strlen(sql), 0, &k, stopped, msg, msglen);
}

enum ods_err
odsi_etl_exec(struct odsi_ds_conn *c, const char *sql, size_t len,
    int64_t *affected, char *msg, size_t msglen)
{
	PGresult	*r;
	MYSQL_RES	*res;
	enum ods_err	 er = ODS_OK;
	const char	*t;

	msg[0] = '\0';
	if (c->kind == ODSI_DS_MYSQL) {
		if (mysql_real_query(c->my, sql, (unsigned long)len) != 0)
			return my_err(c->my, msg, msglen);
		if ((res = mysql_store_result(c->my)) != NULL)
			mysql_free_result(res);
		if (affected != NULL)
			*affected = (int64_t)mysql_affected_rows(c->my);
		return ODS_OK;
	}
	/* Simple protocol: the statement text as it is (one statement). */
	(void)len;
	r = PQexec(c->pg, sql);
	if (r == NULL)
		return pg_err(c->pg, NULL, msg, msglen);
	if (PQresultStatus(r) != PGRES_COMMAND_OK &&
	    PQresultStatus(r) != PGRES_TUPLES_OK)
		er = pg_err(c->pg, r, msg, msglen);
	else if (affected != NULL) {
		t = PQcmdTuples(r);
		*affected = t != NULL && *t != '\0' ? strtoll(t, NULL, 10) : 0;
	}
	PQclear(r);
	return er;
}

static int
scalar_fn(void *arg, size_t n, const char *const *v, const size_t *lens)
{
	char	**out = arg;

	(void)lens;
	if (*out == NULL && n > 0 && v[0] != NULL)
		*out = ods_xstrdup(v[0]);
	return 0;
}

static int
scalar_cols(void *arg, size_t n, const struct odsi_etl_col *c)
{
	(void)arg;
	(void)n;
	(void)c;
	return 0;
}

enum ods_err
odsi_etl_scalar(struct odsi_ds_conn *c, const char *sql, char **out,
    char *msg, size_t msglen)
{
	struct odsi_etl_reader	rd = { scalar_cols, scalar_fn, out };
	int			stopped = 0;

	*out = NULL;
	return odsi_etl_read(c, sql, &rd, &stopped, msg, msglen);
}

/* ---- literals ---- */

static enum ods_err
add_hex(struct ods_buf *b, const unsigned char *p, size_t n)
{
	static const char	 hx[] = "0123456789abcdef";
	char			 chunk[512];
	size_t			 i, o = 0;
	enum ods_err		 er;

	for (i = 0; i < n; i++) {
		chunk[o++] = hx[p[i] >> 4];
		chunk[o++] = hx[p[i] & 15];
		if (o == sizeof(chunk)) {
			if ((er = ods_buf_add(b, chunk, o)) != ODS_OK)
				return er;
			o = 0;
		}
	}
	return ods_buf_add(b, chunk, o);
}

/*
 * s quoted: runs of plain bytes added at once, the special ones escaped.
 * bs: backslashes are escapes (MySQL without NO_BACKSLASH_ESCAPES, a
 * PostgreSQL E'' string); otherwise only quotes are doubled.
 */
static enum ods_err
add_quoted(struct ods_buf *b, const char *s, size_t n, int bs)
{
	const char	*set = bs ? "'\\\n\r\032\"" : "'";
	enum ods_err	 er;
	size_t		 i = 0, run;
	char		 e[2];

	if ((er = ods_buf_add(b, "'", 1)) != ODS_OK)
		return er;
	while (i < n) {
		for (run = i; run < n && s[run] != '\0' &&
		    strchr(set, s[run]) == NULL; run++)
			;
		if (run > i && (er = ods_buf_add(b, s + i, run - i)) != ODS_OK)
			return er;
		if ((i = run) >= n)
			break;
		e[0] = bs ? '\\' : '\'';
		switch (s[i]) {
		case '\0': e[1] = '0'; break;
		case '\n': e[1] = 'n'; break;
		case '\r': e[1] = 'r'; break;
		case '\032': e[1] = 'Z'; break;
		default: e[1] = s[i]; break;
		}
		if (!bs && s[i] == '\0') {
			i++;	/* PostgreSQL text holds no NUL */
			continue;
		}
		if ((er = ods_buf_add(b, e, 2)) != ODS_OK)
			return er;
		i++;
	}
	return ods_buf_add(b, "'", 1);
}

static int
is_pg_true(const char *v, size_t n)
{
	return n == 1 && v[0] == 't';
}

/*
 * A number as both dialects write it: sent bare, as mariadb-dump does,
 * so the server does not convert a string. Anything else is quoted.
 */
static size_t
digits_at(const char *v, size_t n, size_t i)
{
	while (i < n && v[i] >= '0' && v[i] <= '9')
		i++;
	return i;
}

static int
bare_number(const char *v, size_t n, enum ods_etl_ctype t)
{
	size_t	i, j;

	if (t != ODS_ETL_T_INT16 && t != ODS_ETL_T_INT32 &&
	    t != ODS_ETL_T_INT64 && t != ODS_ETL_T_UINT64 &&
	    t != ODS_ETL_T_DECIMAL && t != ODS_ETL_T_FLOAT64 &&
	    t != ODS_ETL_T_FLOAT32)
		return 0;
	/* -?D+(.D+)?([eE][+-]?D+)? exactly: nothing the server could
	 * read as an expression. */
	if (n == 0 || n > 80)
		return 0;
	i = v[0] == '-';
	if ((j = digits_at(v, n, i)) == i)
		return 0;
	i = j;
	if (i < n && v[i] == '.') {
		if ((j = digits_at(v, n, i + 1)) == i + 1)
			return 0;
		i = j;
	}
	if (i < n && (v[i] == 'e' || v[i] == 'E')) {
		i++;
		if (i < n && (v[i] == '+' || v[i] == '-'))
			i++;
		if ((j = digits_at(v, n, i)) == i)
			return 0;
		i = j;
	}
	return i == n;
}

enum ods_err
odsi_etl_lit(struct odsi_ds_conn *c, struct ods_buf *b, const char *v,
    size_t n, enum ods_etl_ctype t, int from_pg)
{
	enum ods_err	 er;
	const char	*scs;

	if (v == NULL)
		return ods_buf_add(b, "NULL", 4);
	if (bare_number(v, n, t))
		return ods_buf_add(b, v, n);
	if (c->kind == ODSI_DS_MYSQL) {
		if (t == ODS_ETL_T_BOOL && from_pg)
			return ods_buf_add(b, is_pg_true(v, n) ? "1" : "0", 1);
		if (t == ODS_ETL_T_BYTES) {
			if (from_pg && n >= 2 && v[0] == '\\' && v[1] == 'x') {
				if ((er = ods_buf_add(b, "X'", 2)) != ODS_OK ||
				    (er = ods_buf_add(b, v + 2, n - 2)) !=
				    ODS_OK)
					return er;
				return ods_buf_add(b, "'", 1);
			}
			if ((er = ods_buf_add(b, "X'", 2)) != ODS_OK ||
			    (er = add_hex(b, (const unsigned char *)v, n)) !=
			    ODS_OK)
				return er;
			return ods_buf_add(b, "'", 1);
		}
		return add_quoted(b, v, n, !(c->my->server_status &
		    SERVER_STATUS_NO_BACKSLASH_ESCAPES));
	}
	if (t == ODS_ETL_T_BYTES && !from_pg) {
		if ((er = ods_buf_add(b, "'\\x", 3)) != ODS_OK ||
		    (er = add_hex(b, (const unsigned char *)v, n)) != ODS_OK)
			return er;
		return ods_buf_add(b, "'", 1);
	}
	scs = PQparameterStatus(c->pg, "standard_conforming_strings");
	if (scs != NULL && strcmp(scs, "on") == 0)
		return add_quoted(b, v, n, 0);
	if ((er = ods_buf_add(b, "E", 1)) != ODS_OK)
		return er;
	return add_quoted(b, v, n, 1);
}
