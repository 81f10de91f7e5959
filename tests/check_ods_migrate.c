/*
 * tests/check_ods_migrate.c — the migration runner against a real server.
 * Needs ODS_TEST_DB_DSN; exits 77 (skipped) without it. Each test works
 * in its own scratch database "<db>_m<pid>" (the DSN's user needs CREATE
 * and DROP on it), dropped afterwards.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ODS_DB_TRUSTED_TEXT	/* the scratch database is named at run time */
#include "core/ods_conf.h"
#include "store/ods_db.h"
#include "core/ods_err.h"
#include "core/ods_log.h"
#include "store/ods_migrate.h"
#include "ods_check.h"

static const char	*dsn;
static struct ods_conf	*conf;		/* points at the scratch database */
static struct ods_db	*db;
static char		 dir[64];	/* migration files of the test */
static char		 scratch[128];
static FILE		*out;		/* the runner's report */

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run text on a pool of the DSN's own database. */
static void
admin(const char *sql)
{
	struct ods_conf		*c = ods_conf_new();
	struct ods_db		*p;
	struct ods_db_conn	*k;
	struct ods_why			 why;

	ck_assert_int_eq(ods_conf_set_db_dsn(c, dsn), ODS_OK);
	p = ods_db_new(c, 1);
	ck_assert_int_eq(ods_db_acquire(p, &k), ODS_OK);
	ck_assert_msg(ods_db_exec_trusted_text(k, sql, strlen(sql), &why) == ODS_OK, "%s: %s", sql, why.msg);
	ods_db_release(k);
	ods_db_free(p);
	ods_conf_free(c);
}

static void
setup(void)
{
	char	sql[256];

	conf = ods_conf_new();
	ck_assert_int_eq(ods_conf_set_db_dsn(conf, dsn), ODS_OK);
	snprintf(scratch, sizeof(scratch), "%.40s_m%ld", conf->mysql_database,
	    (long)getpid());
	snprintf(sql, sizeof(sql), "CREATE DATABASE `%s` CHARACTER SET "
	    "utf8mb4 COLLATE utf8mb4_unicode_ci", scratch);
	admin(sql);
	free(conf->mysql_database);
	conf->mysql_database = strdup(scratch);
	conf->db_acquire_timeout_ms = 5000;
	db = ods_db_new(conf, 2);
	snprintf(dir, sizeof(dir), "/tmp/ods_migrate_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	out = tmpfile();
	ck_assert_ptr_nonnull(out);
}

static void
teardown(void)
{
	char	sql[256];

	ods_db_free(db);
	db = NULL;
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS `%s`", scratch);
	admin(sql);
	snprintf(sql, sizeof(sql), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(sql), 0);
	fclose(out);
	ods_conf_free(conf);
	conf = NULL;
}

static void
put(const char *name, const char *text)
{
	char	 path[256];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(fputs(text, fp) >= 0, 1);
	ck_assert_int_eq(fclose(fp), 0);
}

static enum ods_err
run(const char *d, unsigned *applied)
{
	struct ods_migrate_opts	o = { d, out, 0 };

	return ods_migrate_run(db, &o, applied);
}

static int64_t
scalar(const char *what)
{
	struct ods_db_conn	*c;
	struct ods_db_res	*res;
	struct ods_db_arg	 a[] = { ods_db_text(what) };
	int64_t			 v = -1;
	enum ods_err		 er;

	ck_assert_int_eq(ods_db_acquire(db, &c), ODS_OK);
	if (strcmp(what, "migrations") == 0)
		er = ods_db_query(c, "SELECT COUNT(*) FROM schema_migrations",
		    NULL, 0, 1, &res);
	else if (strcmp(what, "rows") == 0)
		er = ods_db_query(c, "SELECT COUNT(*) FROM t", NULL, 0, 1,
		    &res);
	else
		er = ods_db_query(c, "SELECT COUNT(*) FROM information_schema."
		    "tables WHERE table_schema = DATABASE() AND table_name = ?",
		    a, 1, 1, &res);
	ck_assert_int_eq(er, ODS_OK);
	ck_assert_int_eq(ods_db_res_int(res, 0, 0, &v), ODS_OK);
	ods_db_res_free(res);
	ods_db_release(c);
	return v;
}

/* The runner's report so far. */
static const char *
report(void)
{
	static char	buf[8192];
	size_t		n;

	fflush(out);
	rewind(out);
	n = fread(buf, 1, sizeof(buf) - 1, out);
	buf[n] = '\0';
	return buf;
}

/* ---- core ---- */

START_TEST(test_migrate_applies_the_shipped_schema_then_does_nothing)
{
	static const char *const tables[] = { "datasets", "datasources",
	    "etl_tasks", "etl_task_logs", "quality_rules", "quality_alerts",
	    "quality_tasks", "quality_reports", "lineage_edges",
	    "lineage_events", "workflows", "workflow_executions",
	    "execution_logs", "conversations", "messages",
	    "indexed_documents", "knowledge_bases", "document_chunks", "apps",
	    "tools", "workflow_schedules", "prompt_templates", "audit_logs",
	    "roles", "permissions", "role_permissions", "api_keys",
	    "api_usage", "metadata_databases", "metadata_tables",
	    "metadata_columns", "dataset_versions", "dataset_columns",
	    "file_uploads", "schedules", "schema_migrations" };
	struct ods_migrate_opts	 o = { ODS_TEST_SQLDIR, out, 0 };
	unsigned		 n = 99, pending = 99;
	size_t			 i;

	ck_assert_int_eq(ods_migrate_status(db, &o, &pending), ODS_OK);
	ck_assert_uint_ge(pending, 1);
	ck_assert_int_eq(run(ODS_TEST_SQLDIR, &n), ODS_OK);
	ck_assert_uint_eq(n, pending);
	for (i = 0; i < ODS_NELEM(tables); i++)
		ck_assert_msg(scalar(tables[i]) == 1, "no table %s", tables[i]);
	ck_assert_int_eq(run(ODS_TEST_SQLDIR, &n), ODS_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(ods_migrate_status(db, &o, &pending), ODS_OK);
	ck_assert_uint_eq(pending, 0);
	ck_assert(strstr(report(), "up to date") != NULL);
}
END_TEST

START_TEST(test_migrate_applies_only_pending_files_in_order)
{
	struct ods_db_conn	*c;
	struct ods_db_res	*res;
	unsigned		 n = 0;

	put("0001_t.sql", "CREATE TABLE t (id INT PRIMARY KEY, s TEXT);\n");
	put("notes.txt", "not a migration; ignored\n");
	ck_assert_int_eq(run(dir, &n), ODS_OK);
	ck_assert_uint_eq(n, 1);
	put("0010_rows.sql",
	    "-- semicolons inside strings and comments do not split;\n"
	    "INSERT INTO t (id, s) VALUES (1, 'a;\nb'), /* ; */\n"
	    "  (2, \"it''s; \\\";\");\n"
	    "# another comment;\n"
	    "INSERT INTO t (id, s) SELECT 3, 'c' AS `x;\ny` ; \n"
	    "\n"
	    "INSERT INTO t (id, s) VALUES (4, 'last, no semicolon')\n");
	put("0002_col.sql", "ALTER TABLE t ADD COLUMN x TEXT NULL;\n");
	ck_assert_int_eq(run(dir, &n), ODS_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(scalar("rows"), 4);
	ck_assert_int_eq(scalar("migrations"), 3);
	ck_assert_int_eq(ods_db_acquire(db, &c), ODS_OK);
	ck_assert_int_eq(ods_db_query(c, "SELECT s FROM t ORDER BY id", NULL,
	    0, 0, &res), ODS_OK);
	ck_assert_str_eq(ods_db_res_text(res, 0, 0, NULL), "a;\nb");
	ck_assert_str_eq(ods_db_res_text(res, 1, 0, NULL), "it''s; \";");
	ods_db_res_free(res);
	ck_assert_int_eq(ods_db_query(c, "SELECT version, statements FROM "
	    "schema_migrations ORDER BY applied_at, version", NULL, 0, 0,
	    &res), ODS_OK);
	ck_assert_str_eq(ods_db_res_text(res, 1, 0, NULL), "2");
	ck_assert_str_eq(ods_db_res_text(res, 2, 0, NULL), "10");
	ck_assert_str_eq(ods_db_res_text(res, 2, 1, NULL), "3");
	ods_db_res_free(res);
	ods_db_release(c);
}
END_TEST

START_TEST(test_migrate_three_processes_at_once_apply_each_file_once)
{
	pid_t		pid[3];
	int		st, total = 0;
	size_t		i;

	put("0001_t.sql", "CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY,"
	    " f INT);\nDO SLEEP(0.3);\nINSERT INTO t (f) VALUES (1);\n");
	put("0002_a.sql", "INSERT INTO t (f) VALUES (2);\n");
	put("0003_b.sql", "INSERT INTO t (f) VALUES (3);\nDO SLEEP(0.1);\n");
	for (i = 0; i < ODS_NELEM(pid); i++) {
		pid[i] = fork();
		ck_assert_int_ge(pid[i], 0);
		if (pid[i] == 0) {
			struct ods_db		*p = ods_db_new(conf, 1);
			struct ods_migrate_opts	 o = { dir, NULL, 30 };
			unsigned		 n = 0;

			if (ods_migrate_run(p, &o, &n) != ODS_OK)
				_exit(100);
			ods_db_free(p);
			_exit((int)n);
		}
	}
	for (i = 0; i < ODS_NELEM(pid); i++) {
		ck_assert_int_eq(waitpid(pid[i], &st, 0), pid[i]);
		ck_assert(WIFEXITED(st));
		ck_assert_int_lt(WEXITSTATUS(st), 100);
		total += WEXITSTATUS(st);
	}
	ck_assert_int_eq(total, 3);
	ck_assert_int_eq(scalar("migrations"), 3);
	ck_assert_int_eq(scalar("rows"), 3);	/* no file ran twice */
}
END_TEST

/* ---- limits: the splitter ---- */

struct seen {
	unsigned	n;
	unsigned	line[8];
	char		text[8][128];
};

static enum ods_err
collect(void *arg, const char *s, size_t len, unsigned line)
{
	struct seen	*x = arg;

	if (x->n < 8) {
		snprintf(x->text[x->n], sizeof(x->text[0]), "%.*s", (int)len,
		    s);
		x->line[x->n] = line;
	}
	x->n++;
	return ODS_OK;
}

static enum ods_err
split(const char *t, struct seen *x, unsigned *bad, struct ods_why *why)
{
	memset(x, 0, sizeof(*x));
	return ods_migrate_split(t, strlen(t), collect, x, bad, why);
}

START_TEST(test_migrate_split_knows_quotes_and_comments)
{
	struct seen	x;
	unsigned	bad = 0;
	struct ods_why		why;

	ck_assert_int_eq(split("-- only; a comment\n/* and; \n this; */\n"
	    "# and this;\n   \n/*!40101 SET x = 1 */;\n", &x, &bad, &why),
	    ODS_OK);
	ck_assert_uint_eq(x.n, 0);
	ck_assert_int_eq(split("SELECT 'a;\n', \"b\\\";\n\", `c;`;\n"
	    "  /* lead */ SELECT 'it''s';\r\n"
	    "SELECT 1 /* ; */ + 2;\t \n"
	    "SELECT 3", &x, &bad, &why), ODS_OK);
	ck_assert_uint_eq(x.n, 4);
	ck_assert_str_eq(x.text[0], "SELECT 'a;\n', \"b\\\";\n\", `c;`");
	ck_assert_uint_eq(x.line[1], 4);
	ck_assert_str_eq(x.text[1], "SELECT 'it''s'");
	ck_assert_str_eq(x.text[2], "SELECT 1 /* ; */ + 2");
	ck_assert_str_eq(x.text[3], "SELECT 3");
	ck_assert_uint_eq(x.line[3], 6);
}
END_TEST

START_TEST(test_migrate_split_refuses_what_it_cannot_split)
{
	struct seen	x;
	unsigned	bad = 0;
	struct ods_why		why;

	ck_assert_int_eq(split("SELECT 1;\nSELECT 2; SELECT 3;\n", &x, &bad,
	    &why), ODS_EINVAL);
	ck_assert_uint_eq(bad, 2);
	ck_assert(strstr(why.msg, "last thing") != NULL);
	ck_assert_int_eq(split("SELECT 1;\n\nSELECT 'open;\n", &x, &bad, &why),
	    ODS_EINVAL);
	ck_assert_uint_eq(bad, 3);
	ck_assert(strstr(why.msg, "quote") != NULL);
	ck_assert_int_eq(split("SELECT 1; /* open\n", &x, &bad, &why),
	    ODS_EINVAL);
	ck_assert_int_eq(split("/* open\n;\n", &x, &bad, &why), ODS_EINVAL);
	ck_assert_uint_eq(bad, 1);
	ck_assert_int_eq(split("DELIMITER //\nSELECT 1//\n", &x, &bad, &why),
	    ODS_EINVAL);
	ck_assert(strstr(why.msg, "DELIMITER") != NULL);
	ck_assert_int_eq(split("SELECT `x;\n", &x, &bad, &why), ODS_EINVAL);
}
END_TEST

START_TEST(test_migrate_refuses_an_oversized_file)
{
	char	 path[256], line[65];
	FILE	*fp;
	size_t	 i;

	snprintf(path, sizeof(path), "%s/0001_big.sql", dir);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	/* a comment line of 64 bytes, one line past the cap */
	memset(line, 'x', sizeof(line) - 1);
	memcpy(line, "-- ", 3);
	line[sizeof(line) - 2] = '\n';
	line[sizeof(line) - 1] = '\0';
	for (i = 0; i <= ODS_MIGRATE_MAX_FILE / 64; i++)
		fputs(line, fp);
	fclose(fp);
	ck_assert_int_eq(run(dir, NULL), ODS_ETOOBIG);
	ck_assert_int_eq(scalar("schema_migrations"), 0);
}
END_TEST

/* ---- errors ---- */

START_TEST(test_migrate_refuses_a_changed_checksum)
{
	unsigned	n = 9;

	put("0001_t.sql", "CREATE TABLE t (id INT PRIMARY KEY);\n");
	ck_assert_int_eq(run(dir, &n), ODS_OK);
	put("0001_t.sql", "CREATE TABLE t (id INT PRIMARY KEY);  \n");
	put("0002_u.sql", "CREATE TABLE u (id INT PRIMARY KEY);\n");
	ck_assert_int_eq(run(dir, &n), ODS_ECORRUPT);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(scalar("u"), 0);	/* nothing else was applied */
	ck_assert(strstr(report(), "changed") != NULL);
	{
		struct ods_migrate_opts	o = { dir, out, 0 };

		ck_assert_int_eq(ods_migrate_status(db, &o, &n), ODS_ECORRUPT);
		ck_assert_uint_eq(n, 1);
	}
}
END_TEST

START_TEST(test_migrate_refuses_bad_files_before_applying_any)
{
	char		path[256];
	unsigned	n = 9;

	put("0001_t.sql", "CREATE TABLE t (id INT PRIMARY KEY);\n");
	put("0002_u.sql", "CREATE TABLE u (s TEXT DEFAULT 'open);\n");
	ck_assert_int_eq(run(dir, &n), ODS_EINVAL);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(scalar("t"), 0);
	ck_assert(strstr(report(), "0002_u.sql:1") != NULL);
	put("0002_u.sql", "CREATE TABLE u (id INT);\n");
	put("init.sql", "SELECT 1;\n");
	ck_assert_int_eq(run(dir, &n), ODS_EINVAL);
	ck_assert_int_eq(scalar("t"), 0);
	snprintf(path, sizeof(path), "%s/init.sql", dir);
	ck_assert_int_eq(unlink(path), 0);
	put("2_dup.sql", "SELECT 1;\n");
	ck_assert_int_eq(run(dir, &n), ODS_EINVAL);
	ck_assert(strstr(report(), "same version") != NULL);
	ck_assert_int_eq(scalar("t"), 0);
}
END_TEST

START_TEST(test_migrate_failed_statement_is_not_recorded)
{
	unsigned	n = 9;

	put("0001_t.sql", "CREATE TABLE IF NOT EXISTS t (id INT PRIMARY KEY);\n"
	    "INSERT INTO no_such_table VALUES (1);\n");
	ck_assert_int_ne(run(dir, &n), ODS_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(scalar("migrations"), 0);
	ck_assert(strstr(report(), "0001_t.sql:2: statement 2 failed") !=
	    NULL);
	/* Fixed file: the idempotent part runs again, then it is recorded. */
	put("0001_t.sql", "CREATE TABLE IF NOT EXISTS t (id INT PRIMARY KEY);\n"
	    "INSERT INTO t VALUES (1);\n");
	ck_assert_int_eq(run(dir, &n), ODS_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(scalar("rows"), 1);
}
END_TEST

START_TEST(test_migrate_only_goes_forward)
{
	unsigned	n;

	put("0005_t.sql", "CREATE TABLE t (id INT PRIMARY KEY);\n");
	ck_assert_int_eq(run(dir, &n), ODS_OK);
	put("0003_late.sql", "CREATE TABLE late (id INT);\n");
	ck_assert_int_eq(run(dir, &n), ODS_EINVAL);
	ck_assert_int_eq(scalar("late"), 0);
	ck_assert(strstr(report(), "only go forward") != NULL);
}
END_TEST

START_TEST(test_migrate_missing_directory_is_an_io_error)
{
	ck_assert_int_eq(run("/nonexistent/ods/sql", NULL), ODS_EIO);
}
END_TEST

START_TEST(test_migrate_gives_up_when_the_lock_is_held)
{
	struct ods_migrate_opts	 o = { dir, out, 1 };
	struct ods_db		*p = ods_db_new(conf, 1);
	struct ods_db_conn	*c;
	struct ods_db_res	*res;
	double			 t0, el;
	unsigned		 n = 9;

	put("0001_t.sql", "CREATE TABLE t (id INT PRIMARY KEY);\n");
	ck_assert_int_eq(ods_db_acquire(p, &c), ODS_OK);
	ck_assert_int_eq(ods_db_query(c, "SELECT GET_LOCK(CONCAT("
	    "'ods_migrate:', LEFT(SHA2(COALESCE(DATABASE(), ''), 256), 40)), 0)",
	    NULL, 0, 1, &res), ODS_OK);
	ck_assert_str_eq(ods_db_res_text(res, 0, 0, NULL), "1");
	ods_db_res_free(res);
	t0 = now();
	ck_assert_int_eq(ods_migrate_run(db, &o, &n), ODS_ETIMEOUT);
	el = now() - t0;
	ck_assert_msg(el >= 0.9 && el < 3.0, "gave up after %.2f s", el);
	ck_assert_int_eq(scalar("t"), 0);
	ods_db_release(c);	/* back in its pool, the session keeps the lock */
	ods_db_free(p);		/* closing the session frees it */
	ck_assert_int_eq(ods_migrate_run(db, &o, &n), ODS_OK);
	ck_assert_uint_eq(n, 1);
}
END_TEST

static Suite *
migrate_suite(void)
{
	Suite	*s = suite_create("ods_migrate");
	TCase	*tc;

	tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc,
	    test_migrate_applies_the_shipped_schema_then_does_nothing);
	tcase_add_test(tc, test_migrate_applies_only_pending_files_in_order);
	tcase_add_test(tc,
	    test_migrate_three_processes_at_once_apply_each_file_once);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_migrate_split_knows_quotes_and_comments);
	tcase_add_test(tc, test_migrate_split_refuses_what_it_cannot_split);
	tcase_add_test(tc, test_migrate_refuses_an_oversized_file);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_migrate_refuses_a_changed_checksum);
	tcase_add_test(tc, test_migrate_refuses_bad_files_before_applying_any);
	tcase_add_test(tc, test_migrate_failed_statement_is_not_recorded);
	tcase_add_test(tc, test_migrate_only_goes_forward);
	tcase_add_test(tc, test_migrate_missing_directory_is_an_io_error);
	tcase_add_test(tc, test_migrate_gives_up_when_the_lock_is_held);
	suite_add_tcase(s, tc);
	return s;
}

static int
start(void)
{
	if ((dsn = ods_check_env("ODS_TEST_DB_DSN")) == NULL)
		return ODS_CHECK_SKIP;
	ods_check_log("check_ods_migrate");
	return 0;
}

const struct ods_check ods_check_program = {
	.suite = migrate_suite, .setup = start,
};
