/*
 * svc/data/ds_conn.c — the drivers of the data sources: Connector/C for
 * mysql/mariadb, libpq for postgresql. The one file that includes their
 * headers; their objects are made and freed here. A probe connects to an
 * address the policy checked (never a name), reads the version, closes.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>
#include <libpq-fe.h>

#include "core/ods_mem.h"
#include "core/ods_time.h"
#include "net/ods_addr.h"
#include "datasource.h"
#include "data_int.h"

/* Driver messages end with a newline (libpq) or carry one: one line. */
void
odsi_ds_msg(char *msg, size_t len, const char *s)
{
	char	*p;

	if (s != msg)
		snprintf(msg, len, "%s", s != NULL ? s : "");
	for (p = msg; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	while (p > msg && p[-1] == ' ')
		*--p = '\0';
}

static const char *
mysql_slug(unsigned e)
{
	switch (e) {
	case 1045:	/* ER_ACCESS_DENIED_ERROR */
	case 1698:	/* ER_ACCESS_DENIED_NO_PASSWORD_ERROR */
		return "auth_failed";
	case 1044:	/* ER_DBACCESS_DENIED_ERROR */
	case 1049:	/* ER_BAD_DB_ERROR */
		return "database_error";
	case 2003:	/* CR_CONN_HOST_ERROR */
	case 2002:	/* CR_CONNECTION_ERROR */
		return "connection_refused";
	case 2013:	/* CR_SERVER_LOST */
		return "timeout";
	default:
		return "connect_failed";
	}
}

/*
 * A Connector/C session on a checked address (never a name), or NULL with
 * res set; rw_secs bounds each read and write.
 */
static MYSQL *
my_connect(const struct ods_addr *a, int port, const char *user,
    const char *password, const char *database, int timeout_ms,
    unsigned rw_secs, struct ods_ds_result *res)
{
	MYSQL		*m;
	unsigned	 secs = (unsigned)((timeout_ms + 999) / 1000);
	unsigned	 proto = MYSQL_PROTOCOL_TCP;
	my_bool		 off = 0;

	if ((m = mysql_init(NULL)) == NULL) {
		odsi_ds_fail(res, "connect_failed", "out of memory");
		return NULL;
	}
	mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &secs);
	mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &rw_secs);
	mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &rw_secs);
	mysql_options(m, MYSQL_OPT_PROTOCOL, &proto);
	mysql_options(m, MYSQL_OPT_LOCAL_INFILE, &off);
	mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	/* No option files: nothing of the worker's own configuration. */
	if (mysql_real_connect(m, a->text, user, password,
	    database != NULL && *database != '\0' ? database : NULL,
	    (unsigned)port, NULL, 0) == NULL) {
		odsi_ds_fail(res, mysql_slug(mysql_errno(m)), "%s",
		    mysql_error(m));
		odsi_ds_msg(res->message, sizeof(res->message), res->message);
		mysql_close(m);
		return NULL;
	}
	return m;
}

static void
probe_mysql(const struct ods_addr *a, int port, const char *user,
    const char *password, const char *database, int timeout_ms,
    struct ods_ds_result *res)
{
	MYSQL		*m;
	const char	*v;

	m = my_connect(a, port, user, password, database, timeout_ms,
	    (unsigned)((timeout_ms + 999) / 1000), res);
	if (m == NULL)
		return;
	v = mysql_get_server_info(m);
	if (v == NULL)
		v = "";
	snprintf(res->version, sizeof(res->version), "%s %s",
	    strstr(v, "MariaDB") != NULL ? "MariaDB" : "MySQL", v);
	res->success = 1;
	mysql_close(m);
}

/* libpq has no error numbers for a failed connect: its messages. */
static const char *
pg_slug(const char *msg)
{
	if (strstr(msg, "password authentication failed") != NULL ||
	    strstr(msg, "no password supplied") != NULL ||
	    strstr(msg, "no pg_hba.conf entry") != NULL)
		return "auth_failed";
	if (strstr(msg, "timeout expired") != NULL)
		return "timeout";
	if (strstr(msg, "Connection refused") != NULL)
		return "connection_refused";
	if (strstr(msg, "does not exist") != NULL)
		return "database_error";
	return "connect_failed";
}

/*
 * A libpq session on a checked address, or NULL with res set; options
 * (may be NULL) are server settings ("-c name=value ...").
 */
static PGconn *
pg_connect(const struct ods_addr *a, int port, const char *user,
    const char *password, const char *database, int timeout_ms,
    const char *options, struct ods_ds_result *res)
{
	const char	*keys[16], *vals[16];
	char		 portbuf[16], tmo[16];
	const char	*msg;
	PGconn		*c;
	int		 n = 0;

	snprintf(portbuf, sizeof(portbuf), "%d", port);
	/* libpq counts in whole seconds and treats 1 as 2. */
	snprintf(tmo, sizeof(tmo), "%d", timeout_ms < 2000 ? 2 :
	    (timeout_ms + 999) / 1000);
	keys[n] = "hostaddr"; vals[n++] = a->text;
	keys[n] = "port"; vals[n++] = portbuf;
	keys[n] = "user"; vals[n++] = user != NULL ? user : "";
	keys[n] = "password"; vals[n++] = password != NULL ? password : "";
	keys[n] = "dbname"; vals[n++] = database != NULL && *database != '\0' ?
	    database : "postgres";
	keys[n] = "connect_timeout"; vals[n++] = tmo;
	/* Nothing of the worker's own: no ~/.pgpass, no service file. */
	keys[n] = "passfile"; vals[n++] = "/dev/null";
	keys[n] = "application_name"; vals[n++] = "one-data-studio";
	keys[n] = "client_encoding"; vals[n++] = "UTF8";
	if (options != NULL) {
		keys[n] = "options"; vals[n++] = options;
	}
	/* A server gone silent is noticed by keepalives, not never. */
	keys[n] = "keepalives_idle"; vals[n++] = "10";
	keys[n] = "keepalives_interval"; vals[n++] = "5";
	keys[n] = "keepalives_count"; vals[n++] = "3";
	keys[n] = NULL; vals[n] = NULL;
	c = PQconnectdbParams(keys, vals, 0);
	if (c == NULL) {
		odsi_ds_fail(res, "connect_failed", "out of memory");
		return NULL;
	}
	if (PQstatus(c) != CONNECTION_OK) {
		msg = PQerrorMessage(c);
		odsi_ds_fail(res, pg_slug(msg), "%s", msg);
		odsi_ds_msg(res->message, sizeof(res->message), res->message);
		PQfinish(c);
		return NULL;
	}
	return c;
}

static void
probe_pg(const struct ods_addr *a, int port, const char *user,
    const char *password, const char *database, int timeout_ms,
    struct ods_ds_result *res)
{
	const char	*v;
	PGconn		*c;

	c = pg_connect(a, port, user, password, database, timeout_ms, NULL,
	    res);
	if (c == NULL)
		return;
	v = PQparameterStatus(c, "server_version");
	snprintf(res->version, sizeof(res->version), "PostgreSQL %s",
	    v != NULL ? v : "");
	res->success = 1;
	PQfinish(c);
}

void
odsi_ds_probe(int kind, const struct ods_addr *a, int port,
    const char *user, const char *password, const char *database,
    int timeout_ms, struct ods_ds_result *res)
{
	int64_t	t0 = ods_now_ms();

	if (kind == ODSI_DS_MYSQL)
		probe_mysql(a, port, user, password, database, timeout_ms, res);
	else if (kind == ODSI_DS_PG)
		probe_pg(a, port, user, password, database, timeout_ms, res);
	else
		odsi_ds_fail(res, "unsupported_type", "this type cannot "
		    "connect");
	res->latency_ms = (double)(ods_now_ms() - t0);
	/* The driver said why it failed; make sure it never echoes it. */
	if (password != NULL && *password != '\0' &&
	    strstr(res->message, password) != NULL)
		snprintf(res->message, sizeof(res->message), "connection "
		    "failed (%s)", res->error);
}

/*
 * Sessions (data_int.h): the connection settings of the probes, kept open
 * for a sequence of reads, read-only from the connect on.
 */
int
odsi_ds_open(int kind, const struct ods_addr *a, int port,
    const char *user, const char *password, const char *database,
    int connect_ms, int io_ms, struct odsi_ds_conn **out,
    struct ods_ds_result *res)
{
	return odsi_ds_open_mode(kind, a, port, user, password, database,
	    connect_ms, io_ms, 0, out, res);
}

/*
 * rw non-zero: a session that may write (ETL's target), with no
 * statement timeout (a load takes as long as it takes; io_ms still bounds
 * each read and write on MySQL). Otherwise read-only as above.
 */
int
odsi_ds_open_mode(int kind, const struct ods_addr *a, int port,
    const char *user, const char *password, const char *database,
    int connect_ms, int io_ms, int rw, struct odsi_ds_conn **out,
    struct ods_ds_result *res)
{
	struct odsi_ds_conn	*c;
	char			 opts[96];
	int			 rc;

	*out = NULL;
	memset(res, 0, sizeof(*res));
	if (kind != ODSI_DS_MYSQL && kind != ODSI_DS_PG) {
		odsi_ds_fail(res, "unsupported_type", "this type cannot "
		    "connect");
		return -1;
	}
	c = ods_xcalloc(1, sizeof(*c));
	c->kind = kind;
	if (kind == ODSI_DS_MYSQL) {
		c->my = my_connect(a, port, user, password, database,
		    connect_ms, (unsigned)((io_ms + 999) / 1000), res);
		if (c->my != NULL && !rw && mysql_query(c->my, "SET SESSION "
		    "TRANSACTION READ ONLY") != 0) {
			odsi_ds_fail(res, "connect_failed", "%s",
			    mysql_error(c->my));
			odsi_ds_msg(res->message, sizeof(res->message),
			    res->message);
			mysql_close(c->my);
			c->my = NULL;
		}
	} else {
		/* Until a query sets its own, io_ms stops a statement. */
		if (rw)
			snprintf(opts, sizeof(opts), "-c statement_timeout=0");
		else
			snprintf(opts, sizeof(opts), "-c default_transaction_"
			    "read_only=on -c statement_timeout=%d", io_ms);
		c->pg = pg_connect(a, port, user, password, database,
		    connect_ms, opts, res);
	}
	rc = c->my != NULL || c->pg != NULL ? 0 : -1;
	if (password != NULL && *password != '\0' &&
	    strstr(res->message, password) != NULL)
		snprintf(res->message, sizeof(res->message), "connection "
		    "failed (%s)", res->error);
	if (rc != 0) {
		odsi_ds_close(c);
		return -1;
	}
	*out = c;
	return 0;
}

int
odsi_ds_conn_kind(const struct odsi_ds_conn *c)
{
	return c->kind;
}

void
odsi_ds_close(struct odsi_ds_conn *c)
{
	if (c == NULL)
		return;
	if (c->my != NULL)
		mysql_close(c->my);
	if (c->pg != NULL)
		PQfinish(c->pg);
	free(c);
}

static int
select_mysql(struct odsi_ds_conn *c, const char *sql, const char *param,
    odsi_ds_row_fn fn, void *arg, char *err, size_t errlen)
{
	MYSQL_RES	*res;
	MYSQL_ROW	 row;
	char		*set, *p;
	size_t		 n, len;
	int		 rc = 0;

	/* The parameter travels as a hex literal: no quoting to get wrong. */
	len = param != NULL ? strlen(param) : 0;
	set = ods_xmalloc(64 + 2 * len);
	p = set + snprintf(set, 64, "SET @ods_p = CONVERT(X'");
	for (n = 0; n < len; n++)
		p += snprintf(p, 3, "%02x", (unsigned char)param[n]);
	p += snprintf(p, 24, "' USING utf8mb4)");
	if (mysql_real_query(c->my, set, (unsigned long)(p - set)) != 0 ||
	    mysql_real_query(c->my, sql, strlen(sql)) != 0) {
		free(set);
		snprintf(err, errlen, "%s", mysql_error(c->my));
		return -1;
	}
	free(set);
	if ((res = mysql_use_result(c->my)) == NULL) {
		snprintf(err, errlen, "%s", mysql_error(c->my));
		return -1;
	}
	n = mysql_num_fields(res);
	while ((row = mysql_fetch_row(res)) != NULL)
		if (fn(arg, (const char *const *)row, n) != 0) {
			rc = 1;
			break;
		}
	if (rc == 0 && mysql_errno(c->my) != 0) {
		snprintf(err, errlen, "%s", mysql_error(c->my));
		rc = -1;
	}
	mysql_free_result(res);
	return rc;
}

static int
select_pg(struct odsi_ds_conn *c, const char *sql, const char *param,
    odsi_ds_row_fn fn, void *arg, char *err, size_t errlen)
{
	PGresult	*res;
	const char	*v[64], *pv[1];
	int		 i, j, nr, nf, rc = 0;

	pv[0] = param != NULL ? param : "";
	res = PQexecParams(c->pg, sql, 1, NULL, pv, NULL, NULL, 0);
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "%s", PQerrorMessage(c->pg));
		PQclear(res);
		return -1;
	}
	nr = PQntuples(res);
	nf = PQnfields(res);
	if (nf > (int)ODS_NELEM(v))
		nf = (int)ODS_NELEM(v);
	for (i = 0; i < nr && rc == 0; i++) {
		for (j = 0; j < nf; j++)
			v[j] = PQgetisnull(res, i, j) ? NULL :
			    PQgetvalue(res, i, j);
		if (fn(arg, v, (size_t)nf) != 0)
			rc = 1;
	}
	PQclear(res);
	return rc;
}

int
odsi_ds_select(struct odsi_ds_conn *c, const char *sql, const char *param,
    odsi_ds_row_fn fn, void *arg, char *err, size_t errlen)
{
	int	rc;

	*err = '\0';
	rc = c->kind == ODSI_DS_MYSQL ? select_mysql(c, sql, param, fn, arg,
	    err, errlen) : select_pg(c, sql, param, fn, arg, err, errlen);
	odsi_ds_msg(err, errlen, err);
	return rc;
}
