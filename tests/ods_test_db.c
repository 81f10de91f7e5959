/* tests/ods_test_db.c — the scratch database of the Check programs. */
#include "config.h"

#define ODS_DB_TRUSTED_TEXT	/* CREATE/DROP DATABASE of the scratch db */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/ods_conf.h"
#include "core/ods_err.h"
#include "store/ods_db.h"
#include "store/ods_migrate.h"
#include "ods_check.h"
#include "ods_test_db.h"

struct ods_conf *
ods_test_conf(const char *dsn, const char *dbname)
{
	struct ods_conf	*c = ods_conf_new();

	if (ods_conf_set_db_dsn(c, dsn) != ODS_OK) {
		ods_conf_free(c);
		return NULL;
	}
	if (dbname != NULL) {
		free(c->mysql_database);
		c->mysql_database = strdup(dbname);
	}
	return c;
}

int
ods_test_sql(const char *dsn, const char *dbname, const char *sql)
{
	struct ods_conf		*c = ods_test_conf(dsn, dbname);
	struct ods_db		*p = NULL;
	struct ods_db_conn	*k = NULL;
	struct ods_why		 why = { .msg = "" };
	enum ods_err		 er = ODS_EINVAL;

	if (c != NULL) {
		p = ods_db_new(c, 1);
		if ((er = ods_db_acquire(p, &k)) == ODS_OK)
			er = ods_db_exec_trusted_text(k, sql, strlen(sql),
			    &why);
		ods_db_release(k);
	}
	ods_db_free(p);
	ods_conf_free(c);
	if (er != ODS_OK)
		fprintf(stderr, "scratch database: %s: %s %s\n", sql,
		    ods_strerror(er), why.msg);
	return er == ODS_OK ? 0 : -1;
}

static int
migrate(const char *dsn, const char *name)
{
	struct ods_migrate_opts	 o = { ODS_TEST_SQLDIR, NULL, 0 };
	struct ods_conf		*c = ods_test_conf(dsn, name);
	struct ods_db		*d;
	unsigned		 n = 0;
	enum ods_err		 er;

	if (c == NULL || (o.out = fopen("/dev/null", "w")) == NULL) {
		ods_conf_free(c);
		return -1;
	}
	d = ods_db_new(c, 1);
	er = ods_migrate_run(d, &o, &n);
	ods_db_free(d);
	ods_conf_free(c);
	fclose(o.out);
	return er == ODS_OK ? 0 : -1;
}

int
ods_test_scratch_create(const char *dsn, char tag, char *name,
    size_t namelen)
{
	struct ods_conf	*c = ods_test_conf(dsn, NULL);
	char		 sql[256];

	if (c == NULL)
		return -1;
	snprintf(name, namelen, "%.40s_%c%ld", c->mysql_database, tag,
	    (long)getpid());
	ods_conf_free(c);
	snprintf(sql, sizeof(sql), "CREATE DATABASE `%s` CHARACTER SET "
	    "utf8mb4 COLLATE utf8mb4_unicode_ci", name);
	if (ods_test_sql(dsn, NULL, sql) < 0)
		return -1;
	if (migrate(dsn, name) < 0) {
		fprintf(stderr, "scratch database %s: migrations failed\n",
		    name);
		(void)ods_test_scratch_drop(dsn, name);
		return -1;
	}
	return 0;
}

int
ods_test_scratch_drop(const char *dsn, const char *name)
{
	char	sql[256];

	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS `%s`", name);
	return ods_test_sql(dsn, NULL, sql);
}

int64_t
ods_test_scalar(struct ods_db *db, const char *sql, const char *arg)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[1];
	int64_t			 v = -1;

	a[0] = ods_db_text(arg);
	ck_assert_int_eq(ods_db_acquire(db, &c), ODS_OK);
	ck_assert_int_eq(ods_db_query_const(c, sql, a, 1, 1, &res), ODS_OK);
	if (ods_db_res_nrows(res) == 1 && !ods_db_res_isnull(res, 0, 0))
		ck_assert_int_eq(ods_db_res_int(res, 0, 0, &v), ODS_OK);
	ods_db_res_free(res);
	ods_db_release(c);
	return v;
}
