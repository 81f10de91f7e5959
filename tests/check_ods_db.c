/*
 * tests/check_ods_db.c — the MariaDB pool against a real server.
 * Needs ODS_TEST_DB_DSN=mysql://user:pass@127.0.0.1:PORT/db; exits 77
 * (skipped) without it. Tables are TEMPORARY, so runs never collide.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/ods_conf.h"
#include "store/ods_db.h"
#include "core/ods_err.h"
#include "core/ods_log.h"
#include "ods_check.h"
#include "ods_test_net.h"

static const char	*dsn;
static struct ods_conf	*conf;
static struct ods_db	*db;
static struct ods_db_conn *conn;

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct ods_conf *
test_conf(void)
{
	struct ods_conf	*c = ods_conf_new();

	ck_assert_int_eq(ods_conf_set_db_dsn(c, dsn), ODS_OK);
	c->db_acquire_timeout_ms = 300;
	c->db_connect_timeout = 2;
	c->db_read_timeout = 5;
	/* setup() holds a connection for the whole of a test. */
	c->db_timeout_ms = 120000;
	return c;
}

/* A pool of 4 and one connection holding a temporary table t. */
static void
setup(void)
{
	conf = test_conf();
	db = ods_db_new(conf, 4);
	ck_assert_int_eq(ods_db_acquire(db, &conn), ODS_OK);
	ck_assert_int_eq(ods_db_exec(conn,
	    "CREATE TEMPORARY TABLE t ("
	    " id BIGINT AUTO_INCREMENT PRIMARY KEY,"
	    " k VARCHAR(64) NULL UNIQUE,"
	    " n BIGINT NULL, d DOUBLE NULL, s TEXT NULL, b BLOB NULL,"
	    " short VARCHAR(4) NULL"
	    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 "
	    "COLLATE=utf8mb4_unicode_ci", NULL, 0, NULL), ODS_OK);
}

static void
teardown(void)
{
	ods_db_release(conn);
	conn = NULL;
	ods_db_free(db);
	db = NULL;
	ods_conf_free(conf);
	conf = NULL;
}

static int64_t
count_rows(void)
{
	struct ods_db_res	*res;
	int64_t			 n = -1;

	ck_assert_int_eq(ods_db_query(conn, "SELECT COUNT(*) FROM t", NULL, 0,
	    1, &res), ODS_OK);
	ck_assert_int_eq(ods_db_res_int(res, 0, 0, &n), ODS_OK);
	ods_db_res_free(res);
	return n;
}

/* ---- core ---- */

START_TEST(test_db_round_trips_every_type)
{
	static const char	 emoji[] = "h\xc3\xa9llo \xf0\x9f\x8c\x8d "
	    "\xe4\xb8\xad\xe6\x96\x87 \xe2\x9c\x93";
	unsigned char		 blob[512];
	struct ods_db_res	*res;
	const char		*p;
	size_t			 i, len;
	int64_t			 v;
	double			 d;

	for (i = 0; i < sizeof(blob); i++)
		blob[i] = (unsigned char)(i * 7);
	blob[3] = 0;
	{
		struct ods_db_arg a[] = { ods_db_text("max"),
		    ods_db_int(INT64_MAX), ods_db_double(-1.5e300),
		    ods_db_text(emoji), ods_db_blob(blob, sizeof(blob)) };
		ck_assert_int_eq(ods_db_exec(conn, "INSERT INTO t (k, n, d, s, b)"
		    " VALUES (?, ?, ?, ?, ?)", a, 5, NULL), ODS_OK);
	}
	{
		struct ods_db_arg a[] = { ods_db_text("min"),
		    ods_db_int(INT64_MIN), ods_db_null(), ods_db_textn("", 0),
		    ods_db_blob("", 0) };
		ck_assert_int_eq(ods_db_exec(conn, "INSERT INTO t (k, n, d, s, b)"
		    " VALUES (?, ?, ?, ?, ?)", a, 5, NULL), ODS_OK);
	}
	ck_assert_int_eq(ods_db_query(conn, "SELECT k, n, d, s, b FROM t "
	    "ORDER BY id", NULL, 0, 0, &res), ODS_OK);
	ck_assert_uint_eq(ods_db_res_nrows(res), 2);
	ck_assert_uint_eq(ods_db_res_ncols(res), 5);
	ck_assert_str_eq(ods_db_res_colname(res, 3), "s");
	ck_assert_int_eq(ods_db_res_colidx(res, "b"), 4);
	ck_assert_int_eq(ods_db_res_int(res, 0, 1, &v), ODS_OK);
	ck_assert(v == INT64_MAX);
	ck_assert_int_eq(ods_db_res_int(res, 1, 1, &v), ODS_OK);
	ck_assert(v == INT64_MIN);
	ck_assert_int_eq(ods_db_res_double(res, 0, 2, &d), ODS_OK);
	ck_assert(d == -1.5e300);
	ck_assert(ods_db_res_isnull(res, 1, 2));
	ck_assert_int_eq(ods_db_res_double(res, 1, 2, &d), ODS_ENOTFOUND);
	p = ods_db_res_text(res, 0, 3, &len);
	ck_assert_uint_eq(len, strlen(emoji));
	ck_assert_str_eq(p, emoji);
	ck_assert_int_eq(ods_db_res_type(res, 0, 4), ODS_DB_BLOB);
	ck_assert_int_eq(ods_db_res_type(res, 0, 3), ODS_DB_TEXT);
	p = ods_db_res_text(res, 0, 4, &len);
	ck_assert_uint_eq(len, sizeof(blob));
	ck_assert(memcmp(p, blob, sizeof(blob)) == 0);
	p = ods_db_res_text(res, 1, 3, &len);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(len, 0);
	ck_assert_str_eq(ods_db_res_text(res, 0, 1, NULL),
	    "9223372036854775807");
	ods_db_res_free(res);
}
END_TEST

START_TEST(test_db_stores_injection_strings_verbatim)
{
	static const char *const evil[] = {
		"x'); DROP TABLE t; --",
		"' OR '1'='1",
		"\\'; SELECT SLEEP(5); #",
		"\"quoted\" `tick` %_ \\0 \\n",
		"Robert'); DELETE FROM t WHERE ('1'='1",
	};
	struct ods_db_res	*res;
	size_t			 i;

	for (i = 0; i < ODS_NELEM(evil); i++) {
		struct ods_db_arg a[] = { ods_db_text(evil[i]) };

		ck_assert_int_eq(ods_db_exec(conn, "INSERT INTO t (s) VALUES (?)",
		    a, 1, NULL), ODS_OK);
	}
	ck_assert_int_eq(ods_db_query(conn, "SELECT s FROM t ORDER BY id",
	    NULL, 0, 0, &res), ODS_OK);
	ck_assert_uint_eq(ods_db_res_nrows(res), ODS_NELEM(evil));
	for (i = 0; i < ODS_NELEM(evil); i++)
		ck_assert_str_eq(ods_db_res_text(res, i, 0, NULL), evil[i]);
	ods_db_res_free(res);
	{
		struct ods_db_arg a[] = { ods_db_text("' OR '1'='1") };

		ck_assert_int_eq(ods_db_query(conn, "SELECT id FROM t WHERE "
		    "k = ?", a, 1, 0, &res), ODS_OK);
		ck_assert_uint_eq(ods_db_res_nrows(res), 0);
		ods_db_res_free(res);
	}
}
END_TEST

START_TEST(test_db_dates_and_decimals_come_back_as_text)
{
	struct ods_db_res	*res;
	double			 d;

	ck_assert_int_eq(ods_db_query(conn, "SELECT CAST('2024-01-02 "
	    "03:04:05.678' AS DATETIME(3)), CAST(12.50 AS DECIMAL(6,2)), "
	    "CAST('2024-02-29' AS DATE), JSON_OBJECT('a', 1)", NULL, 0, 0,
	    &res), ODS_OK);
	ck_assert_str_eq(ods_db_res_text(res, 0, 0, NULL),
	    "2024-01-02 03:04:05.678");
	ck_assert_str_eq(ods_db_res_text(res, 0, 1, NULL), "12.50");
	ck_assert_int_eq(ods_db_res_double(res, 0, 1, &d), ODS_OK);
	ck_assert(d == 12.5);
	ck_assert_str_eq(ods_db_res_text(res, 0, 2, NULL), "2024-02-29");
	ck_assert_str_eq(ods_db_res_text(res, 0, 3, NULL), "{\"a\": 1}");
	ods_db_res_free(res);
}
END_TEST

START_TEST(test_db_session_is_utf8mb4_unicode_and_utc)
{
	struct ods_db_res	*res;

	ck_assert_int_eq(ods_db_query(conn, "SELECT @@character_set_client, "
	    "@@character_set_results, @@collation_connection, @@time_zone",
	    NULL, 0, 0, &res), ODS_OK);
	ck_assert_str_eq(ods_db_res_text(res, 0, 0, NULL), "utf8mb4");
	ck_assert_str_eq(ods_db_res_text(res, 0, 1, NULL), "utf8mb4");
	ck_assert_str_eq(ods_db_res_text(res, 0, 2, NULL),
	    "utf8mb4_unicode_ci");
	ck_assert_str_eq(ods_db_res_text(res, 0, 3, NULL), "+00:00");
	ods_db_res_free(res);
}
END_TEST

START_TEST(test_db_update_counts_matched_rows_and_insert_ids)
{
	uint64_t	n = 99, id1, id2;

	{
		struct ods_db_arg a[] = { ods_db_text("a"), ods_db_int(1) };

		ck_assert_int_eq(ods_db_exec(conn, "INSERT INTO t (k, n) "
		    "VALUES (?, ?)", a, 2, &n), ODS_OK);
	}
	ck_assert_uint_eq(n, 1);
	id1 = ods_db_insert_id(conn);
	ck_assert_int_eq(ods_db_exec(conn, "INSERT INTO t (k) VALUES ('b')",
	    NULL, 0, NULL), ODS_OK);
	id2 = ods_db_insert_id(conn);
	ck_assert_uint_gt(id2, id1);
	{
		/* Same value: still one row matched (CLIENT_FOUND_ROWS). */
		struct ods_db_arg a[] = { ods_db_int(1), ods_db_text("a") };

		ck_assert_int_eq(ods_db_exec(conn, "UPDATE t SET n = ? WHERE "
		    "k = ?", a, 2, &n), ODS_OK);
		ck_assert_uint_eq(n, 1);
	}
	ck_assert_int_eq(ods_db_exec(conn, "DELETE FROM t WHERE k = 'zzz'",
	    NULL, 0, &n), ODS_OK);
	ck_assert_uint_eq(n, 0);
}
END_TEST

/* One statement on a connection of its own: the pool gets it back. */
START_TEST(test_db_once_runs_and_gives_the_connection_back)
{
	struct ods_conf		*c = test_conf();
	struct ods_db		*p = ods_db_new(c, 1);
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[] = { ods_db_int(7) };
	uint64_t		 n = 0;
	int64_t			 v = 0;
	int			 i;

	ck_assert_int_eq(ods_db_exec_once(p, "CREATE OR REPLACE TABLE "
	    "check_db_once (n BIGINT NOT NULL) ENGINE=InnoDB", NULL, 0, NULL),
	    ODS_OK);
	/* A pool of one: a connection not given back would starve the rest. */
	for (i = 0; i < 5; i++) {
		ck_assert_int_eq(ods_db_exec_once(p, "INSERT INTO check_db_once "
		    "(n) VALUES (?)", a, 1, &n), ODS_OK);
		ck_assert_uint_eq(n, 1);
	}
	ck_assert_int_eq(ods_db_query_once(p, "SELECT SUM(n) FROM "
	    "check_db_once", NULL, 0, 1, &res), ODS_OK);
	ck_assert_int_eq(ods_db_res_int(res, 0, 0, &v), ODS_OK);
	ck_assert_int_eq(v, 35);
	ods_db_res_free(res);
	/* A failed statement gives its connection back too. */
	ck_assert_int_eq(ods_db_exec_once(p, "INSERT INTO check_db_once (n) "
	    "VALUES (?)", a, 0, NULL), ODS_EINTERNAL);
	ck_assert_int_eq(ods_db_exec_once(p, "DROP TABLE check_db_once", NULL,
	    0, NULL), ODS_OK);
	ods_db_free(p);
	ods_conf_free(c);
}
END_TEST

START_TEST(test_db_transactions_commit_and_roll_back)
{
	ck_assert_int_eq(ods_db_begin(conn), ODS_OK);
	ck_assert_int_eq(ods_db_exec(conn, "INSERT INTO t (k) VALUES ('c1')",
	    NULL, 0, NULL), ODS_OK);
	ck_assert_int_eq(ods_db_commit(conn), ODS_OK);
	ck_assert_int_eq(count_rows(), 1);

	ck_assert_int_eq(ods_db_begin(conn), ODS_OK);
	ck_assert_int_eq(ods_db_exec(conn, "INSERT INTO t (k) VALUES ('r1')",
	    NULL, 0, NULL), ODS_OK);
	ck_assert_int_eq(count_rows(), 2);
	ck_assert_int_eq(ods_db_rollback(conn), ODS_OK);
	ck_assert_int_eq(count_rows(), 1);
}
END_TEST

START_TEST(test_db_release_mid_transaction_rolls_back)
{
	struct ods_db_conn	*c2;
	unsigned long		 id = ods_db_conn_id(conn);

	ck_assert_int_eq(ods_db_begin(conn), ODS_OK);
	ck_assert_int_eq(ods_db_exec(conn, "INSERT INTO t (k) VALUES ('x')",
	    NULL, 0, NULL), ODS_OK);
	ods_db_release(conn);
	/* The pool hands the same (connected) slot back first. */
	ck_assert_int_eq(ods_db_acquire(db, &c2), ODS_OK);
	conn = c2;
	ck_assert_uint_eq(ods_db_conn_id(conn), id);
	ck_assert_int_eq(count_rows(), 0);
}
END_TEST

static int	obs_connects, obs_acquires;
static unsigned	obs_max_in_use;

static void
obs_connect(void *arg, int ok)
{
	if (ok)
		obs_connects++;
}
static void
obs_acquire(void *arg, double wait)
{
	ck_assert(wait >= 0 && wait < 1.0);
	obs_acquires++;
}
static void
obs_in_use(void *arg, unsigned n)
{
	if (n > obs_max_in_use)
		obs_max_in_use = n;
}

START_TEST(test_db_ping_and_observer_report)
{
	struct ods_db_observer	 o = { obs_connect, obs_acquire, obs_in_use,
	    NULL };
	struct ods_db		*p = ods_db_new(conf, 2);
	struct ods_db_conn	*a, *b;
	double			 ms = -1;

	ods_db_set_observer(p, &o);
	ck_assert_int_eq(ods_db_ping(p, &ms), ODS_OK);
	ck_assert(ms >= 0 && ms < 1000);
	ck_assert_int_eq(ods_db_acquire(p, &a), ODS_OK);
	ck_assert_int_eq(ods_db_acquire(p, &b), ODS_OK);
	ods_db_release(a);
	ods_db_release(b);
	ck_assert_int_eq(obs_connects, 2);
	ck_assert_int_eq(obs_acquires, 3);
	ck_assert_uint_eq(obs_max_in_use, 2);
	ck_assert_uint_eq(ods_db_size(p), 2);
	ods_db_free(p);
}
END_TEST

/* A session status counter ("Com_insert") of the test's connection. */
static int64_t
status_of(const char *name)
{
	struct ods_db_arg	 a[] = { ods_db_text(name) };
	struct ods_db_res	*res;
	int64_t			 v = -1;

	ck_assert_int_eq(ods_db_query(conn, "SELECT VARIABLE_VALUE FROM "
	    "information_schema.SESSION_STATUS WHERE VARIABLE_NAME = UPPER(?)",
	    a, 1, 1, &res), ODS_OK);
	ck_assert_int_eq(ods_db_res_int(res, 0, 0, &v), ODS_OK);
	ods_db_res_free(res);
	return v;
}

START_TEST(test_db_insert_rows_sends_the_rows_in_one_statement)
{
	struct ods_db_arg	 a[300 * 3];
	struct ods_db_res	*res;
	char			 k[300][16];
	int64_t			 before, v;
	size_t			 i, refused = 7;

	for (i = 0; i < 300; i++) {
		snprintf(k[i], sizeof(k[i]), "k%zu", i);
		a[i * 3] = ods_db_text(k[i]);
		a[i * 3 + 1] = ods_db_int((int64_t)i * 10);
		a[i * 3 + 2] = i % 2 == 0 ? ods_db_null() : ods_db_text("odd");
	}
	before = status_of("Com_insert");
	ck_assert_int_eq(ods_db_insert_rows(conn, "INSERT INTO t (k, n, s)", 3,
	    a, 300, &refused), ODS_OK);
	ck_assert_uint_eq(refused, 0);
	ck_assert_int_eq(status_of("Com_insert") - before, 1);
	ck_assert_int_eq(ods_db_query(conn, "SELECT k, n, s FROM t ORDER BY id",
	    NULL, 0, 0, &res), ODS_OK);
	ck_assert_uint_eq(ods_db_res_nrows(res), 300);
	for (i = 0; i < 300; i++) {
		ck_assert_str_eq(ods_db_res_text(res, i, 0, NULL), k[i]);
		ck_assert_int_eq(ods_db_res_int(res, i, 1, &v), ODS_OK);
		ck_assert_int_eq(v, (int64_t)i * 10);
		ck_assert_int_eq(ods_db_res_isnull(res, i, 2), i % 2 == 0);
	}
	ods_db_res_free(res);
	/* One row, and nothing at all. */
	ck_assert_int_eq(ods_db_insert_rows(conn, "INSERT INTO t (k, n, s)", 3,
	    a, 1, NULL), ODS_ECONFLICT);
	ck_assert_int_eq(ods_db_insert_rows(conn, "INSERT INTO t (n)", 1,
	    NULL, 0, NULL), ODS_OK);
	ck_assert_int_eq(count_rows(), 300);
}
END_TEST

START_TEST(test_db_insert_rows_skips_only_the_refused_rows)
{
	struct ods_db_arg	a[] = {
	    ods_db_text("a"), ods_db_text("ok"),
	    ods_db_text("a"), ods_db_text("ok"),	/* duplicate key */
	    ods_db_text("b"), ods_db_text("too long"),	/* short is 4 */
	    ods_db_text("c"), ods_db_text("ok"),
	    ods_db_text("d"), ods_db_textn("\xff\xfe", 2) };	/* not UTF-8 */
	struct ods_db_arg	more[] = {
	    ods_db_text("e"), ods_db_text("ok"),
	    ods_db_text("f"), ods_db_text("too long") };
	size_t			refused = 0;

	/* All or nothing without refused. */
	ck_assert_int_eq(ods_db_insert_rows(conn, "INSERT INTO t (k, short)", 2,
	    a, 5, NULL), ODS_ECONFLICT);
	ck_assert_int_eq(count_rows(), 0);
	ck_assert_int_eq(ods_db_insert_rows(conn, "INSERT INTO t (k, short)", 2,
	    a, 5, &refused), ODS_OK);
	ck_assert_uint_eq(refused, 3);
	ck_assert_int_eq(count_rows(), 2);
	/* Inside the caller's transaction, which keeps its say. */
	ck_assert_int_eq(ods_db_begin(conn), ODS_OK);
	ck_assert_int_eq(ods_db_insert_rows(conn, "INSERT INTO t (k, short)", 2,
	    more, 2, &refused), ODS_OK);
	ck_assert_uint_eq(refused, 1);
	ck_assert_int_eq(count_rows(), 3);
	ck_assert_int_eq(ods_db_rollback(conn), ODS_OK);
	ck_assert_int_eq(count_rows(), 2);
}
END_TEST

/*
 * A load of many batches of one size prepares its statement once (a
 * statement of thousands of parameters costs MariaDB a millisecond to
 * prepare); a batch of another size takes its place; the cached
 * statements of the request path stay prepared.
 */
START_TEST(test_db_insert_rows_prepares_a_load_once)
{
	struct ods_db_arg	a[100 * 2];
	int64_t			before, ran;
	size_t			i;

	for (i = 0; i < 100; i++) {
		a[i * 2] = ods_db_null();
		a[i * 2 + 1] = ods_db_int((int64_t)i);
	}
	(void)status_of("Com_stmt_prepare");	/* its own, now cached */
	ran = status_of("Com_stmt_execute");
	before = status_of("Com_stmt_prepare");
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(ods_db_insert_rows(conn, "INSERT INTO t (k, n)",
		    2, a, 100, NULL), ODS_OK);
	ck_assert_int_eq(status_of("Com_stmt_prepare") - before, 1);
	/* Ten batches run, and the two reads of the counters. */
	ck_assert_int_ge(status_of("Com_stmt_execute") - ran, 10);
	ck_assert_int_eq(ods_db_insert_rows(conn, "INSERT INTO t (k, n)", 2,
	    a, 50, NULL), ODS_OK);
	ck_assert_int_eq(ods_db_insert_rows(conn, "INSERT INTO t (k, n)", 2,
	    a, 100, NULL), ODS_OK);
	ck_assert_int_eq(status_of("Com_stmt_prepare") - before, 3);
	ck_assert_int_eq(count_rows(), 1150);
}
END_TEST

/* Locks row b, then waits for row a, which the test holds. */
struct dl_arg {
	struct ods_db	*db;
	enum ods_err	 er;
};

static void *
deadlock_victim(void *p)
{
	struct dl_arg	*a = p;

	a->er = ods_db_exec_once(a->db, "UPDATE dl_t SET n = n + 1 WHERE k IN "
	    "('a', 'b') ORDER BY k DESC", NULL, 0, NULL);
	return NULL;
}

/*
 * A statement outside a transaction that InnoDB picks as a deadlock's
 * victim is rolled back whole and runs again: its caller sees ODS_OK,
 * not ODS_ECONFLICT, which callers read as a duplicate key. (The other
 * transaction changed more rows, so InnoDB rolls back the statement.)
 */
START_TEST(test_db_autocommit_deadlock_victim_runs_again)
{
	struct dl_arg		 a = { NULL, ODS_EINTERNAL };
	struct ods_db_res	*res = NULL;
	pthread_t		 th;
	int64_t			 v;
	int			 i;

	ck_assert_int_eq(ods_db_exec(conn, "CREATE TABLE IF NOT EXISTS dl_t "
	    "(k VARCHAR(8) PRIMARY KEY, n BIGINT NOT NULL) ENGINE=InnoDB",
	    NULL, 0, NULL), ODS_OK);
	ck_assert_int_eq(ods_db_exec(conn, "DELETE FROM dl_t", NULL, 0, NULL),
	    ODS_OK);
	ck_assert_int_eq(ods_db_exec(conn, "INSERT INTO dl_t VALUES ('a', 0), "
	    "('b', 0), ('c0', 0), ('c1', 0), ('c2', 0), ('c3', 0), ('c4', 0), "
	    "('c5', 0), ('c6', 0), ('c7', 0)", NULL, 0, NULL), ODS_OK);
	ck_assert_int_eq(ods_db_begin(conn), ODS_OK);
	ck_assert_int_eq(ods_db_exec(conn, "UPDATE dl_t SET n = n + 1 WHERE k "
	    "LIKE 'c%'", NULL, 0, NULL), ODS_OK);
	ck_assert_int_eq(ods_db_exec(conn, "UPDATE dl_t SET n = n + 1 WHERE k "
	    "= 'a'", NULL, 0, NULL), ODS_OK);
	a.db = db;
	ck_assert_int_eq(pthread_create(&th, NULL, deadlock_victim, &a), 0);
	/* Until it holds b and waits for a. */
	for (i = 0, v = 0; i < 500 && v == 0; i++) {
		usleep(10000);
		ck_assert_int_eq(ods_db_query(conn, "SELECT VARIABLE_VALUE "
		    "FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME "
		    "= 'INNODB_ROW_LOCK_CURRENT_WAITS'", NULL, 0, 1, &res),
		    ODS_OK);
		ck_assert_int_eq(ods_db_res_int(res, 0, 0, &v), ODS_OK);
		ods_db_res_free(res);
	}
	ck_assert_int_eq(v, 1);
	ck_assert_int_eq(ods_db_exec(conn, "UPDATE dl_t SET n = n + 1 WHERE k "
	    "= 'b'", NULL, 0, NULL), ODS_OK);
	ck_assert_int_eq(ods_db_commit(conn), ODS_OK);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_int_eq(a.er, ODS_OK);
	ck_assert_int_eq(ods_db_query(conn, "SELECT SUM(n) FROM dl_t WHERE k IN "
	    "('a', 'b')", NULL, 0, 1, &res), ODS_OK);
	ck_assert_int_eq(ods_db_res_int(res, 0, 0, &v), ODS_OK);
	ods_db_res_free(res);
	ck_assert_int_eq(v, 4);		/* each row once by each */
	ck_assert_int_eq(ods_db_exec(conn, "DROP TABLE dl_t", NULL, 0, NULL),
	    ODS_OK);
}
END_TEST

/* ---- limits ---- */

START_TEST(test_db_insert_rows_chunks_past_the_placeholder_limit)
{
	size_t			 n = 40000, i;
	struct ods_db_arg	*a = calloc(n * 2, sizeof(*a));
	int64_t			 before;

	/* 80000 values: two statements, one transaction. */
	for (i = 0; i < n; i++) {
		a[i * 2] = ods_db_null();
		a[i * 2 + 1] = ods_db_int((int64_t)i);
	}
	before = status_of("Com_insert");
	ck_assert_int_eq(ods_db_insert_rows(conn, "INSERT INTO t (k, n)", 2, a,
	    n, NULL), ODS_OK);
	ck_assert_int_eq(status_of("Com_insert") - before, 2);
	ck_assert_int_eq(count_rows(), (int64_t)n);
	/* A duplicate in the second statement takes the first back too. */
	a[0] = ods_db_text("same");
	a[(n - 1) * 2] = ods_db_text("same");
	ck_assert_int_eq(ods_db_insert_rows(conn, "INSERT INTO t (k, n)", 2, a,
	    n, NULL), ODS_ECONFLICT);
	ck_assert_int_eq(count_rows(), (int64_t)n);
	ck_assert_int_eq(ods_db_insert_rows(conn, "INSERT INTO t (k, n)", 0, a,
	    1, NULL), ODS_EINVAL);
	free(a);
}
END_TEST


#define Q(n)	"SELECT " #n " + ?"
START_TEST(test_db_more_statements_than_the_cache_holds_still_work)
{
	/* Called through _const only because these are table entries. */
	static const char *const q[] = { Q(0), Q(1), Q(2), Q(3), Q(4), Q(5),
	    Q(6), Q(7), Q(8), Q(9), Q(10), Q(11), Q(12), Q(13), Q(14), Q(15),
	    Q(16), Q(17), Q(18), Q(19), Q(20), Q(21), Q(22), Q(23), Q(24),
	    Q(25), Q(26), Q(27), Q(28), Q(29), Q(30), Q(31), Q(32), Q(33),
	    Q(34), Q(35), Q(36), Q(37), Q(38), Q(39) };
	struct ods_db_res	*res;
	size_t			 i, round;
	int64_t			 v;

	for (round = 0; round < 3; round++)
		for (i = 0; i < ODS_NELEM(q); i++) {
			struct ods_db_arg a[] = { ods_db_int(1000) };

			ck_assert_int_eq(ods_db_query_const(conn, q[i], a, 1, 0,
			    &res), ODS_OK);
			ck_assert_int_eq(ods_db_res_int(res, 0, 0, &v), ODS_OK);
			ck_assert_int_eq(v, (int64_t)i + 1000);
			ods_db_res_free(res);
		}
}
END_TEST
#undef Q

START_TEST(test_db_row_cap_truncates_and_keeps_the_connection_usable)
{
	struct ods_db_res	*res;
	int64_t			 v;

	ck_assert_int_eq(ods_db_query(conn, "SELECT seq FROM seq_1_to_5000",
	    NULL, 0, 10, &res), ODS_OK);
	ck_assert_uint_eq(ods_db_res_nrows(res), 10);
	ck_assert(ods_db_res_truncated(res));
	ck_assert_int_eq(ods_db_res_int(res, 9, 0, &v), ODS_OK);
	ck_assert_int_eq(v, 10);
	ods_db_res_free(res);
	ck_assert_int_eq(ods_db_query(conn, "SELECT 42", NULL, 0, 0, &res),
	    ODS_OK);
	ck_assert(!ods_db_res_truncated(res));
	ck_assert_int_eq(ods_db_res_int(res, 0, 0, &v), ODS_OK);
	ck_assert_int_eq(v, 42);
	ods_db_res_free(res);
}
END_TEST

START_TEST(test_db_refuses_too_many_args)
{
	struct ods_db_arg	a[ODS_DB_MAX_ARGS + 1];
	size_t			i;

	for (i = 0; i < ODS_NELEM(a); i++)
		a[i] = ods_db_int((int64_t)i);
	ck_assert_int_eq(ods_db_exec(conn, "SELECT ?", a, ODS_NELEM(a), NULL),
	    ODS_EINVAL);
}
END_TEST

START_TEST(test_db_value_too_long_is_too_big)
{
	struct ods_db_arg	a[] = { ods_db_text("abcdefgh") };

	ck_assert_int_eq(ods_db_exec(conn, "INSERT INTO t (short) VALUES (?)",
	    a, 1, NULL), ODS_ETOOBIG);
	ck_assert_int_eq(count_rows(), 0);
}
END_TEST

START_TEST(test_db_accessors_refuse_bad_cells)
{
	struct ods_db_res	*res;
	int64_t			 v;
	double			 d;

	ck_assert_int_eq(ods_db_query(conn, "SELECT 'abc', NULL, '12x', "
	    "CAST(18446744073709551615 AS UNSIGNED), ' 5'", NULL, 0, 0, &res),
	    ODS_OK);
	ck_assert_int_eq(ods_db_res_int(res, 0, 0, &v), ODS_EINVAL);
	ck_assert_int_eq(ods_db_res_double(res, 0, 0, &d), ODS_EINVAL);
	ck_assert_int_eq(ods_db_res_int(res, 0, 1, &v), ODS_ENOTFOUND);
	ck_assert_int_eq(ods_db_res_int(res, 0, 2, &v), ODS_EINVAL);
	ck_assert_int_eq(ods_db_res_int(res, 0, 3, &v), ODS_EINVAL);
	ck_assert_str_eq(ods_db_res_text(res, 0, 3, NULL),
	    "18446744073709551615");
	ck_assert_int_eq(ods_db_res_int(res, 0, 4, &v), ODS_OK);
	ck_assert_int_eq(v, 5);
	ck_assert_ptr_null(ods_db_res_text(res, 1, 0, NULL));
	ck_assert_ptr_null(ods_db_res_text(res, 0, 99, NULL));
	ck_assert_ptr_null(ods_db_res_colname(res, 99));
	ck_assert_int_eq(ods_db_res_colidx(res, "nope"), -1);
	ck_assert_int_eq(ods_db_res_int(res, 5, 0, &v), ODS_ENOTFOUND);
	ods_db_res_free(res);
	ods_db_res_free(NULL);
}
END_TEST

START_TEST(test_db_exhausted_pool_waits_then_times_out)
{
	struct ods_db		*p = ods_db_new(conf, 1);
	struct ods_db_conn	*a, *b = NULL;
	double			 t0, el;

	ck_assert_int_eq(ods_db_acquire(p, &a), ODS_OK);
	t0 = now();
	ck_assert_int_eq(ods_db_acquire(p, &b), ODS_ETIMEOUT);
	el = now() - t0;
	ck_assert_ptr_null(b);
	ck_assert_msg(el >= 0.28 && el < 1.0, "waited %.3f s", el);
	ck_assert_int_eq(ods_db_ping(p, NULL), ODS_ETIMEOUT);
	/* Readiness has a connection of its own: a busy pool is no outage. */
	t0 = now();
	ck_assert_int_eq(ods_db_check(p, NULL), ODS_OK);
	ck_assert_msg(now() - t0 < 1.0, "check took %.3f s", now() - t0);
	ods_db_release(a);
	ck_assert_int_eq(ods_db_ping(p, NULL), ODS_OK);
	ods_db_free(p);
}
END_TEST

static void *
release_later(void *arg)
{
	usleep(100 * 1000);
	ods_db_release(arg);
	return NULL;
}

START_TEST(test_db_waiter_gets_a_released_connection)
{
	struct ods_db		*p = ods_db_new(conf, 1);
	struct ods_db_conn	*a, *b;
	pthread_t		 th;
	double			 t0, el;

	ck_assert_int_eq(ods_db_acquire(p, &a), ODS_OK);
	ck_assert_int_eq(pthread_create(&th, NULL, release_later, a), 0);
	t0 = now();
	ck_assert_int_eq(ods_db_acquire(p, &b), ODS_OK);
	el = now() - t0;
	ck_assert_msg(el >= 0.05 && el < 0.3, "waited %.3f s", el);
	pthread_join(th, NULL);
	ods_db_release(b);
	ods_db_free(p);
}
END_TEST

static void *
hammer(void *arg)
{
	struct ods_db		*p = arg;
	struct ods_db_conn	*c;
	struct ods_db_res	*res;
	int			 i, ok = 0;
	int64_t			 v;

	for (i = 0; i < 200; i++) {
		struct ods_db_arg a[] = { ods_db_int(i) };

		if (ods_db_acquire(p, &c) != ODS_OK)
			continue;
		if (ods_db_query(c, "SELECT ? + 1", a, 1, 0, &res) == ODS_OK) {
			if (ods_db_res_int(res, 0, 0, &v) == ODS_OK &&
			    v == i + 1)
				ok++;
			ods_db_res_free(res);
		}
		ods_db_release(c);
	}
	return (void *)(intptr_t)ok;
}

START_TEST(test_db_threads_share_a_smaller_pool)
{
	struct ods_conf	*c = test_conf();
	struct ods_db	*p;
	pthread_t	 th[8];
	void		*ret;
	size_t		 i;

	c->db_acquire_timeout_ms = 5000;
	p = ods_db_new(c, 3);
	for (i = 0; i < ODS_NELEM(th); i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, hammer, p), 0);
	for (i = 0; i < ODS_NELEM(th); i++) {
		pthread_join(th[i], &ret);
		ck_assert_int_eq((int)(intptr_t)ret, 200);
	}
	ods_db_free(p);
	ods_conf_free(c);
}
END_TEST

/* ---- errors ---- */

START_TEST(test_db_duplicate_key_is_a_conflict)
{
	struct ods_db_arg	a[] = { ods_db_text("dup") };

	ck_assert_int_eq(ods_db_exec(conn, "INSERT INTO t (k) VALUES (?)", a, 1,
	    NULL), ODS_OK);
	ck_assert_int_eq(ods_db_exec(conn, "INSERT INTO t (k) VALUES (?)", a, 1,
	    NULL), ODS_ECONFLICT);
	/* The connection is still good. */
	ck_assert_int_eq(count_rows(), 1);
}
END_TEST

START_TEST(test_db_bad_sql_and_wrong_arity_are_internal_errors)
{
	struct ods_db_arg	a[] = { ods_db_int(1), ods_db_int(2) };
	struct ods_db_res	*res = NULL;

	ck_assert_int_eq(ods_db_exec(conn, "SELEC 1", NULL, 0, NULL),
	    ODS_EINTERNAL);
	ck_assert_int_eq(ods_db_query(conn, "SELECT ?", a, 2, 0, &res),
	    ODS_EINTERNAL);
	ck_assert_ptr_null(res);
	ck_assert_int_eq(ods_db_query(conn, "SELECT ? + ?", a, 1, 0, &res),
	    ODS_EINTERNAL);
	ck_assert_int_eq(count_rows(), 0);
}
END_TEST

START_TEST(test_db_transaction_misuse_is_refused)
{
	ck_assert_int_eq(ods_db_commit(conn), ODS_EINVAL);
	ck_assert_int_eq(ods_db_rollback(conn), ODS_EINVAL);
	ck_assert_int_eq(ods_db_begin(conn), ODS_OK);
	ck_assert_int_eq(ods_db_begin(conn), ODS_EINVAL);
	ck_assert_int_eq(ods_db_rollback(conn), ODS_OK);
}
END_TEST

START_TEST(test_db_down_is_unavailable_quickly)
{
	struct ods_conf		*c = test_conf();
	struct ods_db		*p;
	struct ods_db_conn	*x = NULL;
	double			 t0, el, ms;

	c->mysql_port = closed_port();
	p = ods_db_new(c, 2);		/* a pool is created while down */
	t0 = now();
	ck_assert_int_eq(ods_db_acquire(p, &x), ODS_EUNAVAIL);
	el = now() - t0;
	ck_assert_ptr_null(x);
	ck_assert_msg(el < 0.5, "first failure took %.3f s", el);
	/* Within the hold time no connect is even attempted. */
	t0 = now();
	ck_assert_int_eq(ods_db_ping(p, &ms), ODS_EUNAVAIL);
	el = now() - t0;
	ck_assert_msg(el < 0.01, "held failure took %.3f s", el);
	ck_assert(ms >= 0 && ms < 10);
	ods_db_free(p);
	ods_conf_free(c);
}
END_TEST

static void
kill_conn(unsigned long id)
{
	struct ods_db		*p = ods_db_new(conf, 1);
	struct ods_db_conn	*k;
	struct ods_db_arg	 a[] = { ods_db_int((int64_t)id) };

	ck_assert_int_eq(ods_db_acquire(p, &k), ODS_OK);
	ck_assert_int_eq(ods_db_exec(k, "KILL CONNECTION ?", a, 1, NULL),
	    ODS_OK);
	ods_db_release(k);
	ods_db_free(p);
	usleep(50 * 1000);	/* let the server close the victim's socket */
}

START_TEST(test_db_reconnects_transparently_after_kill)
{
	struct ods_db		*p = ods_db_new(conf, 1);
	struct ods_db_conn	*c;
	struct ods_db_res	*res;
	unsigned long		 id;
	int64_t			 v;

	ck_assert_int_eq(ods_db_acquire(p, &c), ODS_OK);
	ck_assert_int_eq(ods_db_query(c, "SELECT 1", NULL, 0, 0, &res),
	    ODS_OK);
	ods_db_res_free(res);
	id = ods_db_conn_id(c);
	ck_assert_uint_ne(id, 0);
	ods_db_release(c);

	kill_conn(id);

	ck_assert_int_eq(ods_db_acquire(p, &c), ODS_OK);
	ck_assert_int_eq(ods_db_query(c, "SELECT 7", NULL, 0, 0, &res),
	    ODS_OK);
	ck_assert_int_eq(ods_db_res_int(res, 0, 0, &v), ODS_OK);
	ck_assert_int_eq(v, 7);
	ods_db_res_free(res);
	ck_assert_uint_ne(ods_db_conn_id(c), id);
	ods_db_release(c);
	ck_assert_int_eq(ods_db_ping(p, NULL), ODS_OK);
	ods_db_free(p);
}
END_TEST

START_TEST(test_db_lost_transaction_is_reported_not_hidden)
{
	struct ods_db		*p = ods_db_new(conf, 1);
	struct ods_db_conn	*c;

	ck_assert_int_eq(ods_db_acquire(p, &c), ODS_OK);
	ck_assert_int_eq(ods_db_begin(c), ODS_OK);
	kill_conn(ods_db_conn_id(c));
	ck_assert_int_eq(ods_db_exec(c, "SELECT 1", NULL, 0, NULL),
	    ODS_EUNAVAIL);
	/* Still inside the (lost) transaction: no silent reconnect. */
	ck_assert_int_eq(ods_db_exec(c, "SELECT 1", NULL, 0, NULL),
	    ODS_EUNAVAIL);
	ck_assert_int_eq(ods_db_commit(c), ODS_EUNAVAIL);
	ods_db_release(c);
	ck_assert_int_eq(ods_db_ping(p, NULL), ODS_OK);
	ods_db_free(p);
}
END_TEST

/* A call started at t0 ended in er: ODS_ETIMEOUT, after lo to hi seconds. */
static void
timed_out(double t0, enum ods_err er, double lo, double hi)
{
	double	el = now() - t0;

	ck_assert_int_eq(er, ODS_ETIMEOUT);
	ck_assert_msg(el >= lo && el < hi, "timed out after %.3f s", el);
}

START_TEST(test_db_read_timeout_is_a_bounded_timeout)
{
	struct ods_conf		*c = test_conf();
	struct ods_db		*p;
	struct ods_db_conn	*x;
	double			 t0;

	c->db_read_timeout = 1;
	p = ods_db_new(c, 1);
	ck_assert_int_eq(ods_db_acquire(p, &x), ODS_OK);
	t0 = now();
	timed_out(t0, ods_db_exec(x, "SELECT SLEEP(4)", NULL, 0, NULL), 0.9,
	    3.5);
	ods_db_release(x);
	ck_assert_int_eq(ods_db_ping(p, NULL), ODS_OK);
	ods_db_free(p);
	ods_conf_free(c);
}
END_TEST

/*
 * A frozen server (here: a statement that does not answer) costs a call
 * ODS_DB_TIMEOUT_MS, whatever the per-read timeout; past the deadline
 * nothing starts; the next holder gets a working connection; a holder
 * that removed its deadline (migrations) is never cut.
 */
START_TEST(test_db_call_deadline_cuts_a_stalled_statement)
{
	struct ods_conf		*c = test_conf();
	struct ods_db		*p;
	struct ods_db_conn	*x;
	double			 t0;

	c->db_read_timeout = 30;
	c->db_timeout_ms = 700;
	p = ods_db_new(c, 1);
	ck_assert_int_eq(ods_db_acquire(p, &x), ODS_OK);
	t0 = now();
	timed_out(t0, ods_db_exec(x, "SELECT SLEEP(5)", NULL, 0, NULL), 0.6,
	    1.5);
	ods_db_release(x);

	ck_assert_int_eq(ods_db_acquire(p, &x), ODS_OK);
	usleep(800 * 1000);
	t0 = now();
	ck_assert_int_eq(ods_db_exec(x, "SELECT 1", NULL, 0, NULL),
	    ODS_ETIMEOUT);
	ck_assert_msg(now() - t0 < 0.2, "an expired call started");
	ods_db_release(x);

	ck_assert_int_eq(ods_db_acquire(p, &x), ODS_OK);
	ods_db_conn_set_timeout(x, 0);
	ck_assert_int_eq(ods_db_exec(x, "SELECT SLEEP(1.2)", NULL, 0, NULL),
	    ODS_OK);
	ods_db_release(x);
	ck_assert_int_eq(ods_db_ping(p, NULL), ODS_OK);
	ods_db_free(p);
	ods_conf_free(c);
}
END_TEST

/*
 * The voluntary context switches of the watchdogs (threads named
 * ods-db-watch: the fixture's pool has one too), from /proc; -1 when
 * none runs.
 */
static long
watchdog_switches(void)
{
	char		 path[300], comm[32], line[128];
	DIR		*d;
	struct dirent	*e;
	FILE		*fp;
	long		 n = -1, v;

	if ((d = opendir("/proc/self/task")) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm",
		    e->d_name);
		if ((fp = fopen(path, "r")) == NULL)
			continue;
		if (fgets(comm, sizeof(comm), fp) == NULL ||
		    strcmp(comm, "ods-db-watch\n") != 0) {
			fclose(fp);
			continue;
		}
		fclose(fp);
		snprintf(path, sizeof(path), "/proc/self/task/%s/status",
		    e->d_name);
		if ((fp = fopen(path, "r")) == NULL)
			break;
		while (fgets(line, sizeof(line), fp) != NULL)
			if (sscanf(line, "voluntary_ctxt_switches: %ld",
			    &v) == 1) {
				n = (n < 0 ? 0 : n) + v;
				break;
			}
		fclose(fp);
	}
	closedir(d);
	return n;
}

/*
 * The watchdog sleeps until the earliest deadline and is woken only by
 * an earlier one: a query does not cost a wakeup of it (it did, on
 * every acquire), and a shorter deadline set while it sleeps on a longer
 * one still cuts in time.
 */
START_TEST(test_db_watchdog_sleeps_through_queries)
{
	struct ods_conf		*c = test_conf();
	struct ods_db		*p;
	struct ods_db_conn	*x, *y;
	long			 before, after;
	double			 t0;
	int			 i;

	c->db_read_timeout = 30;
	c->db_timeout_ms = 20000;
	p = ods_db_new(c, 2);
	ck_assert_int_eq(ods_db_acquire(p, &x), ODS_OK);
	ods_db_release(x);
	usleep(50 * 1000);
	before = watchdog_switches();
	ck_assert_msg(before >= 0, "no ods-db-watch thread");
	for (i = 0; i < 300; i++) {
		ck_assert_int_eq(ods_db_acquire(p, &x), ODS_OK);
		ck_assert_int_eq(ods_db_exec(x, "SELECT 1", NULL, 0, NULL),
		    ODS_OK);
		ods_db_release(x);
	}
	after = watchdog_switches();
	ck_assert_msg(after - before < 10,
	    "the watchdog woke %ld times for 300 queries", after - before);

	/* x holds a 20 s deadline; y's 600 ms one comes first. */
	ck_assert_int_eq(ods_db_acquire(p, &x), ODS_OK);
	ck_assert_int_eq(ods_db_acquire(p, &y), ODS_OK);
	ods_db_conn_set_timeout(y, 600);
	t0 = now();
	timed_out(t0, ods_db_exec(y, "SELECT SLEEP(5)", NULL, 0, NULL), 0.5,
	    1.5);
	ods_db_release(y);
	ods_db_release(x);
	ck_assert_int_eq(ods_db_ping(p, NULL), ODS_OK);
	ods_db_free(p);
	ods_conf_free(c);
}
END_TEST

static Suite *
db_suite(void)
{
	Suite	*s = suite_create("ods_db");
	TCase	*tc;

	tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_db_round_trips_every_type);
	tcase_add_test(tc, test_db_stores_injection_strings_verbatim);
	tcase_add_test(tc, test_db_dates_and_decimals_come_back_as_text);
	tcase_add_test(tc, test_db_session_is_utf8mb4_unicode_and_utc);
	tcase_add_test(tc, test_db_update_counts_matched_rows_and_insert_ids);
	tcase_add_test(tc, test_db_once_runs_and_gives_the_connection_back);
	tcase_add_test(tc, test_db_transactions_commit_and_roll_back);
	tcase_add_test(tc, test_db_release_mid_transaction_rolls_back);
	tcase_add_test(tc, test_db_ping_and_observer_report);
	tcase_add_test(tc, test_db_insert_rows_sends_the_rows_in_one_statement);
	tcase_add_test(tc, test_db_insert_rows_skips_only_the_refused_rows);
	tcase_add_test(tc, test_db_insert_rows_prepares_a_load_once);
	tcase_add_test(tc, test_db_autocommit_deadlock_victim_runs_again);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc,
	    test_db_row_cap_truncates_and_keeps_the_connection_usable);
	tcase_add_test(tc, test_db_refuses_too_many_args);
	tcase_add_test(tc,
	    test_db_more_statements_than_the_cache_holds_still_work);
	tcase_add_test(tc, test_db_value_too_long_is_too_big);
	tcase_add_test(tc, test_db_accessors_refuse_bad_cells);
	tcase_add_test(tc, test_db_exhausted_pool_waits_then_times_out);
	tcase_add_test(tc, test_db_waiter_gets_a_released_connection);
	tcase_add_test(tc, test_db_threads_share_a_smaller_pool);
	tcase_add_test(tc,
	    test_db_insert_rows_chunks_past_the_placeholder_limit);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_db_duplicate_key_is_a_conflict);
	tcase_add_test(tc, test_db_bad_sql_and_wrong_arity_are_internal_errors);
	tcase_add_test(tc, test_db_transaction_misuse_is_refused);
	tcase_add_test(tc, test_db_down_is_unavailable_quickly);
	tcase_add_test(tc, test_db_reconnects_transparently_after_kill);
	tcase_add_test(tc, test_db_lost_transaction_is_reported_not_hidden);
	tcase_add_test(tc, test_db_read_timeout_is_a_bounded_timeout);
	tcase_add_test(tc, test_db_call_deadline_cuts_a_stalled_statement);
	tcase_add_test(tc, test_db_watchdog_sleeps_through_queries);
	suite_add_tcase(s, tc);
	return s;
}

static int
start(void)
{
	if ((dsn = ods_check_env("ODS_TEST_DB_DSN")) == NULL)
		return ODS_CHECK_SKIP;
	ods_check_log("check_ods_db");
	return 0;
}

const struct ods_check ods_check_program = {
	.suite = db_suite, .setup = start,
};
