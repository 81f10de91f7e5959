/*
 * svc/data/ds_exec.c — queries on a data source's server: Connector/C
 * (mysql_use_result: rows as the server sends them) and libpq (single-row
 * mode on the extended protocol, which takes one statement only). The
 * session is read-only from the connect on; the statement timeout is the
 * server's (max_statement_time / max_execution_time, statement_timeout),
 * set again only when a query asks for another one.
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
#include "etl.h"
#include "data_int.h"

/* ---- MySQL / MariaDB ---- */

static const char *
mysql_type(enum enum_field_types t, int *numeric)
{
	*numeric = 0;
	switch (t) {
	case MYSQL_TYPE_TINY: case MYSQL_TYPE_SHORT: case MYSQL_TYPE_LONG:
	case MYSQL_TYPE_INT24: case MYSQL_TYPE_LONGLONG:
	case MYSQL_TYPE_YEAR:
		*numeric = 1;
		return "integer";
	case MYSQL_TYPE_FLOAT: case MYSQL_TYPE_DOUBLE:
		*numeric = 1;
		return "float";
	case MYSQL_TYPE_DECIMAL: case MYSQL_TYPE_NEWDECIMAL:
		return "decimal";
	case MYSQL_TYPE_DATE: case MYSQL_TYPE_NEWDATE:
		return "date";
	case MYSQL_TYPE_TIME:
		return "time";
	case MYSQL_TYPE_DATETIME: case MYSQL_TYPE_TIMESTAMP:
		return "datetime";
	case MYSQL_TYPE_BIT:
		return "bit";
	case MYSQL_TYPE_JSON:
		return "json";
	case MYSQL_TYPE_TINY_BLOB: case MYSQL_TYPE_MEDIUM_BLOB:
	case MYSQL_TYPE_LONG_BLOB: case MYSQL_TYPE_BLOB:
		return "text";
	case MYSQL_TYPE_NULL:
		return "null";
	default:
		return "string";
	}
}

static enum ods_err
mysql_err(MYSQL *m, char *msg, size_t msglen)
{
	unsigned	e = mysql_errno(m);

	odsi_ds_msg(msg, msglen, mysql_error(m));
	switch (e) {
	case 1969:	/* ER_STATEMENT_TIMEOUT (MariaDB) */
	case 3024:	/* ER_QUERY_TIMEOUT (MySQL) */
		return ODS_ETIMEOUT;
	case 2006:	/* CR_SERVER_GONE_ERROR */
	case 2013:	/* CR_SERVER_LOST */
	case 2055:
		return ODS_EUNAVAIL;
	default:
		return ODS_EINVAL;
	}
}

static enum ods_err
mysql_timeout(struct odsi_ds_conn *c, int ms, char *msg, size_t msglen)
{
	char	q[96];

	if (c->timeout_ms == ms)
		return ODS_OK;
	if (c->mysql_var != 2) {
		snprintf(q, sizeof(q), "SET SESSION max_statement_time = "
		    "%d.%03d", ms / 1000, ms % 1000);
		if (mysql_query(c->my, q) == 0) {
			c->mysql_var = 1;
			c->timeout_ms = ms;
			return ODS_OK;
		}
		if (mysql_errno(c->my) != 1193)	/* unknown variable */
			return mysql_err(c->my, msg, msglen);
		c->mysql_var = 2;
	}
	snprintf(q, sizeof(q), "SET SESSION max_execution_time = %d", ms);
	if (mysql_query(c->my, q) != 0)
		return mysql_err(c->my, msg, msglen);
	c->timeout_ms = ms;
	return ODS_OK;
}

/* The full type of a column, for sinks that make tables (ETL). */
static void
my_coltype(const MYSQL_FIELD *f, struct ods_etl_coltype *ct)
{
	int	uns = (f->flags & UNSIGNED_FLAG) != 0;

	memset(ct, 0, sizeof(*ct));
	switch (f->type) {
	case MYSQL_TYPE_TINY:
		ct->t = f->length == 1 ? ODS_ETL_T_BOOL : ODS_ETL_T_INT16;
		break;
	case MYSQL_TYPE_SHORT: case MYSQL_TYPE_YEAR:
		ct->t = uns ? ODS_ETL_T_INT32 : ODS_ETL_T_INT16;
		break;
	case MYSQL_TYPE_INT24: case MYSQL_TYPE_LONG:
		ct->t = uns ? ODS_ETL_T_INT64 : ODS_ETL_T_INT32;
		break;
	case MYSQL_TYPE_LONGLONG:
		ct->t = uns ? ODS_ETL_T_UINT64 : ODS_ETL_T_INT64;
		break;
	case MYSQL_TYPE_FLOAT:
		ct->t = ODS_ETL_T_FLOAT32;
		break;
	case MYSQL_TYPE_DOUBLE:
		ct->t = ODS_ETL_T_FLOAT64;
		break;
	case MYSQL_TYPE_DECIMAL: case MYSQL_TYPE_NEWDECIMAL:
		ct->t = ODS_ETL_T_DECIMAL;
		ct->scale = (int)f->decimals;
		/* length counts the sign and the point. */
		ct->prec = (int)f->length - (f->decimals > 0) - !uns;
		break;
	case MYSQL_TYPE_DATE: case MYSQL_TYPE_NEWDATE:
		ct->t = ODS_ETL_T_DATE;
		break;
	case MYSQL_TYPE_TIME:
		ct->t = ODS_ETL_T_TIME;
		ct->scale = (int)f->decimals;	/* fractional digits */
		break;
	case MYSQL_TYPE_DATETIME: case MYSQL_TYPE_TIMESTAMP:
		ct->t = ODS_ETL_T_DATETIME;
		ct->scale = (int)f->decimals;
		break;
	case MYSQL_TYPE_BIT:
		ct->t = f->length == 1 ? ODS_ETL_T_BOOL : ODS_ETL_T_INT64;
		break;
	case MYSQL_TYPE_JSON:
		ct->t = ODS_ETL_T_JSON;
		break;
	case MYSQL_TYPE_TINY_BLOB: case MYSQL_TYPE_MEDIUM_BLOB:
	case MYSQL_TYPE_LONG_BLOB: case MYSQL_TYPE_BLOB:
		ct->t = f->charsetnr == 63 ? ODS_ETL_T_BYTES : ODS_ETL_T_TEXT;
		break;
	case MYSQL_TYPE_VARCHAR: case MYSQL_TYPE_VAR_STRING:
	case MYSQL_TYPE_STRING:
		if (f->charsetnr == 63) {
			ct->t = ODS_ETL_T_BYTES;
			break;
		}
		ct->t = ODS_ETL_T_VARCHAR;
		/* utf8mb4: four bytes a character. */
		ct->len = (int)(f->length / 4);
		if (ct->len <= 0)
			ct->len = 1;
		break;
	default:
		ct->t = ODS_ETL_T_TEXT;
		break;
	}
}

static int
my_coltypes(MYSQL_FIELD *f, unsigned n, const struct ods_query_sink *k)
{
	struct ods_etl_coltype	ct[ODS_QUERY_COLS_MAX];
	unsigned		i;

	if (k->coltypes == NULL)
		return 0;
	for (i = 0; i < n; i++)
		my_coltype(&f[i], &ct[i]);
	return k->coltypes(k->arg, n, ct);
}

static enum ods_err
run_mysql(struct odsi_ds_conn *c, const char *sql, size_t len,
    int timeout_ms, const struct ods_query_sink *k, int *stopped, char *msg,
    size_t msglen)
{
	const char	*names[ODS_QUERY_COLS_MAX], *types[ODS_QUERY_COLS_MAX];
	int		 num[ODS_QUERY_COLS_MAX];
	MYSQL_RES	*res;
	MYSQL_FIELD	*f;
	MYSQL_ROW	 row;
	unsigned long	*lens;
	size_t		 slens[ODS_QUERY_COLS_MAX];
	unsigned	 n, i;
	enum ods_err	 er;

	if ((er = mysql_timeout(c, timeout_ms, msg, msglen)) != ODS_OK)
		return er;
	if (mysql_real_query(c->my, sql, (unsigned long)len) != 0)
		return mysql_err(c->my, msg, msglen);
	if ((res = mysql_use_result(c->my)) == NULL) {
		if (mysql_field_count(c->my) != 0)
			return mysql_err(c->my, msg, msglen);
		return k->columns(k->arg, 0, names, types, num) != 0 ?
		    (*stopped = 1, ODS_OK) : ODS_OK;
	}
	n = mysql_num_fields(res);
	if (n > ODS_QUERY_COLS_MAX) {
		snprintf(msg, msglen, "the result has %u columns, more than "
		    "%d", n, ODS_QUERY_COLS_MAX);
		*stopped = 1;
		er = ODS_EINVAL;
		goto stop;
	}
	f = mysql_fetch_fields(res);
	for (i = 0; i < n; i++) {
		names[i] = f[i].name;
		types[i] = mysql_type(f[i].type, &num[i]);
	}
	if (k->columns(k->arg, n, names, types, num) != 0 ||
	    my_coltypes(f, n, k) != 0) {
		*stopped = 1;
		er = ODS_OK;
		goto stop;
	}
	while ((row = mysql_fetch_row(res)) != NULL) {
		lens = mysql_fetch_lengths(res);
		for (i = 0; i < n; i++)
			slens[i] = lens[i];
		if (k->row(k->arg, n, (const char *const *)row, slens) != 0) {
			*stopped = 1;
			er = ODS_OK;
			goto stop;
		}
	}
	er = mysql_errno(c->my) != 0 ? mysql_err(c->my, msg, msglen) : ODS_OK;
	mysql_free_result(res);
	return er;
stop:
	/*
	 * Freeing an unbuffered result reads the rest of it; cut the
	 * socket first so that it fails at once (the connection is closed).
	 */
	shutdown((int)mysql_get_socket(c->my), SHUT_RDWR);
	mysql_free_result(res);
	return er;
}

/* ---- PostgreSQL ---- */

static const char *
pg_type(Oid t, int *numeric)
{
	*numeric = 0;
	switch (t) {
	case 20: case 21: case 23: case 26:
		*numeric = 1;
		return "integer";
	case 700: case 701:
		*numeric = 1;
		return "float";
	case 1700: return "decimal";
	case 16: return "boolean";
	case 1082: return "date";
	case 1083: case 1266: return "time";
	case 1114: case 1184: return "datetime";
	case 114: case 3802: return "json";
	case 17: return "bytes";
	case 2950: return "uuid";
	case 25: return "text";
	default: return "string";
	}
}

static enum ods_err
pg_err(PGconn *pg, const PGresult *r, char *msg, size_t msglen)
{
	const char	*state = r != NULL ?
	    PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;

	odsi_ds_msg(msg, msglen, r != NULL ? PQresultErrorMessage(r) :
	    PQerrorMessage(pg));
	if (PQstatus(pg) != CONNECTION_OK)
		return ODS_EUNAVAIL;
	if (state != NULL && strcmp(state, "57014") == 0)	/* canceled */
		return ODS_ETIMEOUT;
	return ODS_EINVAL;
}

static enum ods_err
pg_timeout(struct odsi_ds_conn *c, int ms, char *msg, size_t msglen)
{
	PGresult	*r;
	char		 q[64];
	enum ods_err	 er = ODS_OK;

	if (c->timeout_ms == ms)
		return ODS_OK;
	snprintf(q, sizeof(q), "SET statement_timeout = %d", ms);
	r = PQexec(c->pg, q);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		er = pg_err(c->pg, r, msg, msglen);
	else
		c->timeout_ms = ms;
	PQclear(r);
	return er;
}

static void
pg_coltype(Oid t, int mod, struct ods_etl_coltype *ct)
{
	memset(ct, 0, sizeof(*ct));
	switch (t) {
	case 16: ct->t = ODS_ETL_T_BOOL; break;
	case 21: ct->t = ODS_ETL_T_INT16; break;
	case 23: case 26: ct->t = ODS_ETL_T_INT32; break;
	case 20: ct->t = ODS_ETL_T_INT64; break;
	case 700: ct->t = ODS_ETL_T_FLOAT32; break;
	case 701: ct->t = ODS_ETL_T_FLOAT64; break;
	case 1700:
		ct->t = ODS_ETL_T_DECIMAL;
		if (mod >= 4) {
			ct->prec = ((mod - 4) >> 16) & 0xffff;
			ct->scale = (mod - 4) & 0xffff;
		}
		break;
	case 1082: ct->t = ODS_ETL_T_DATE; break;
	case 1083: case 1266: case 1114: case 1184:
		ct->t = t == 1114 ? ODS_ETL_T_DATETIME : t == 1184 ?
		    ODS_ETL_T_TIMESTAMPTZ : ODS_ETL_T_TIME;
		/* The fractional digits; -1: PostgreSQL's default, 6. */
		ct->scale = mod >= 0 ? mod : 6;
		break;
	case 1043: case 1042:
		ct->t = ODS_ETL_T_VARCHAR;
		ct->len = mod >= 4 ? mod - 4 : 255;
		if (mod < 4)
			ct->t = ODS_ETL_T_TEXT;
		break;
	case 114: case 3802: ct->t = ODS_ETL_T_JSON; break;
	case 17: ct->t = ODS_ETL_T_BYTES; break;
	case 2950: ct->t = ODS_ETL_T_UUID; break;
	default: ct->t = ODS_ETL_T_TEXT; break;
	}
}

static int
pg_cols(PGresult *r, const struct ods_query_sink *k)
{
	struct ods_etl_coltype	 ct[ODS_QUERY_COLS_MAX];
	const char	*names[ODS_QUERY_COLS_MAX], *types[ODS_QUERY_COLS_MAX];
	int		 num[ODS_QUERY_COLS_MAX];
	int		 n = PQnfields(r), i;

	if (n > ODS_QUERY_COLS_MAX)
		n = ODS_QUERY_COLS_MAX;
	for (i = 0; i < n; i++) {
		names[i] = PQfname(r, i);
		types[i] = pg_type(PQftype(r, i), &num[i]);
	}
	if (k->columns(k->arg, (size_t)n, names, types, num) != 0)
		return 1;
	if (k->coltypes == NULL)
		return 0;
	for (i = 0; i < n; i++)
		pg_coltype(PQftype(r, i), PQfmod(r, i), &ct[i]);
	return k->coltypes(k->arg, (size_t)n, ct);
}

static int
pg_row(PGresult *r, const struct ods_query_sink *k)
{
	const char	*cells[ODS_QUERY_COLS_MAX];
	size_t		 lens[ODS_QUERY_COLS_MAX];
	int		 n = PQnfields(r), i;

	if (n > ODS_QUERY_COLS_MAX)
		n = ODS_QUERY_COLS_MAX;
	for (i = 0; i < n; i++) {
		cells[i] = PQgetisnull(r, 0, i) ? NULL : PQgetvalue(r, 0, i);
		lens[i] = (size_t)PQgetlength(r, 0, i);
	}
	return k->row(k->arg, (size_t)n, cells, lens);
}

static enum ods_err
run_pg(struct odsi_ds_conn *c, const char *sql, size_t len, int timeout_ms,
    const struct ods_query_sink *k, int *stopped, char *msg, size_t msglen)
{
	PGcancel	*cn;
	PGresult	*r;
	char		*q, buf[64];
	enum ods_err	 er = ODS_OK;
	int		 cols = 0, done = 0;

	if ((er = pg_timeout(c, timeout_ms, msg, msglen)) != ODS_OK)
		return er;
	q = ods_xmalloc(len + 1);
	memcpy(q, sql, len);
	q[len] = '\0';
	/* The extended protocol: one statement, or the server refuses. */
	if (!PQsendQueryParams(c->pg, q, 0, NULL, NULL, NULL, NULL, 0)) {
		free(q);
		return pg_err(c->pg, NULL, msg, msglen);
	}
	free(q);
	PQsetSingleRowMode(c->pg);
	while ((r = PQgetResult(c->pg)) != NULL) {
		if (done || er != ODS_OK) {
			PQclear(r);
			continue;
		}
		switch (PQresultStatus(r)) {
		case PGRES_SINGLE_TUPLE:
			if ((!cols++ && pg_cols(r, k) != 0) ||
			    pg_row(r, k) != 0) {
				*stopped = done = 1;
				if ((cn = PQgetCancel(c->pg)) != NULL) {
					PQcancel(cn, buf, sizeof(buf));
					PQfreeCancel(cn);
				}
			}
			break;
		case PGRES_TUPLES_OK:
		case PGRES_COMMAND_OK:
			if (!cols++ && pg_cols(r, k) != 0)
				*stopped = 1;
			break;
		default:
			er = pg_err(c->pg, r, msg, msglen);
			break;
		}
		PQclear(r);
	}
	return er;
}

enum ods_err
odsi_ds_run(struct odsi_ds_conn *c, const char *sql, size_t len,
    int timeout_ms, const struct ods_query_sink *k, int *stopped, char *msg,
    size_t msglen)
{
	*stopped = 0;
	msg[0] = '\0';
	if (c->kind == ODSI_DS_MYSQL)
		return run_mysql(c, sql, len, timeout_ms, k, stopped, msg,
		    msglen);
	return run_pg(c, sql, len, timeout_ms, k, stopped, msg, msglen);
}
