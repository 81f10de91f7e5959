/*
 * tests/check_ods_llm_usage.c — usage rows written behind into api_usage:
 * rows arrive (more than one batch, past a row the database refuses),
 * wait through an outage, and a full queue drops and counts them, in the
 * counters and in ods_write_behind_{dropped_total,queued}. Needs
 * ODS_TEST_DB_DSN; exits 77 without it. Works in a scratch database
 * "<db>_u<pid>", migrated from sql/ and dropped at the end. Each test
 * runs in its own process (Check's fork mode): the queue is per process.
 */
#include "config.h"

#define ODS_DB_TRUSTED_TEXT	/* CREATE/DROP DATABASE, RENAME TABLE */

#include <arpa/inet.h>
#include <check.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/ods_conf.h"
#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "llm/ods_llm_usage.h"
#include "metrics/ods_metrics.h"
#include "store/ods_db.h"
#include "store/ods_migrate.h"
#include "ods_check.h"
#include "ods_test_net.h"

static const char	*dsn;
static char		 scratch[128];
static struct ods_conf	*conf;
static struct ods_llm_usage_q	*uq;	/* reachable: never a leak */

/* Run one statement on the scratch database (or none); 0 or -1. */
static int
admin(const char *dbname, const char *sql)
{
	struct ods_conf		*c = ods_conf_new();
	struct ods_db		*p = NULL;
	struct ods_db_conn	*k = NULL;
	struct ods_why			 why = { .msg = "" };
	enum ods_err		 er = ODS_EINVAL;

	if (ods_conf_set_db_dsn(c, dsn) == ODS_OK) {
		if (dbname != NULL) {
			free(c->mysql_database);
			c->mysql_database = strdup(dbname);
		}
		p = ods_db_new(c, 1);
		if ((er = ods_db_acquire(p, &k)) == ODS_OK)
			er = ods_db_exec_trusted_text(k, sql, strlen(sql), &why);
		ods_db_release(k);
	}
	ods_db_free(p);
	ods_conf_free(c);
	if (er != ODS_OK)
		fprintf(stderr, "check_ods_llm_usage: %s: %s %s\n", sql,
		    ods_strerror(er), why.msg);
	return er == ODS_OK ? 0 : -1;
}

static void
setup(void)
{
	conf = ods_conf_new();
	ck_assert_int_eq(ods_conf_set_db_dsn(conf, dsn), ODS_OK);
	free(conf->mysql_database);
	conf->mysql_database = strdup(scratch);
}

static void
teardown(void)
{
	ods_conf_free(conf);
}

static int64_t
scalar(const char *sql_with_one_text_arg, const char *arg)
{
	struct ods_db		*db = ods_db_new(conf, 1);
	struct ods_db_conn	*c = NULL;
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[1];
	int64_t			 v = -1;

	a[0] = ods_db_text(arg);
	ck_assert_int_eq(ods_db_acquire(db, &c), ODS_OK);
	ck_assert_int_eq(ods_db_query_const(c, sql_with_one_text_arg, a, 1, 1,
	    &res), ODS_OK);
	if (ods_db_res_nrows(res) == 1 && !ods_db_res_isnull(res, 0, 0))
		ck_assert_int_eq(ods_db_res_int(res, 0, 0, &v), ODS_OK);
	ods_db_res_free(res);
	ods_db_release(c);
	ods_db_free(db);
	return v;
}

static struct ods_llm_usage_rec
rec(const char *prefix, int i)
{
	struct ods_llm_usage_rec	r;

	memset(&r, 0, sizeof(r));
	snprintf(r.request_id, sizeof(r.request_id), "%s-%ld-%d", prefix,
	    (long)getpid(), i);
	snprintf(r.key_id, sizeof(r.key_id), "%s", i % 2 == 0 ? "ak_even" :
	    "");
	snprintf(r.user_id, sizeof(r.user_id), "user-%d", i % 3);
	snprintf(r.endpoint, sizeof(r.endpoint), "/v1/chat/completions");
	snprintf(r.model, sizeof(r.model), "mock-chat");
	r.prompt_tokens = i;
	r.completion_tokens = 2 * i;
	r.latency_ms = 7;
	r.status = 200;
	return r;
}

static char *
render(struct ods_metrics *m)
{
	struct ods_buf	b;

	ods_buf_init(&b, 1 << 22);
	ck_assert_int_eq(ods_metrics_render(m, &b), ODS_OK);
	return ods_buf_take(&b, NULL);
}

/* Value of the sample name{labels} exactly; NAN if none. */
static double
value_of(const char *text, const char *series)
{
	const char	*p = text;
	size_t		 n = strlen(series);

	while ((p = strstr(p, series)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return strtod(p + n + 1, NULL);
		p += n;
	}
	return NAN;
}

START_TEST(test_usage_rows_arrive_past_a_refused_row)
{
	struct ods_llm_usage_rec	r;
	char				like[64];
	int				i;

	uq = ods_llm_usage_new(conf);
	ck_assert_ptr_nonnull(uq);
	/* 600 rows: three batches, queued faster than the interval. */
	for (i = 0; i < 600; i++) {
		r = rec("ok", i);
		ods_llm_usage_record(uq, &r);
		if (i == 100) {
			/* A model name MariaDB refuses: not UTF-8. */
			r = rec("bad", i);
			snprintf(r.model, sizeof(r.model), "m\xff\xfe");
			ods_llm_usage_record(uq, &r);
		}
	}
	ods_llm_usage_flush(uq);
	snprintf(like, sizeof(like), "ok-%ld-%%", (long)getpid());
	ck_assert_int_eq(scalar("SELECT COUNT(*) FROM api_usage WHERE "
	    "request_id LIKE ?", like), 600);
	ck_assert_uint_eq(ods_llm_usage_written(uq), 600);
	ck_assert_uint_eq(ods_llm_usage_dropped(uq), 0);
	snprintf(like, sizeof(like), "ok-%ld-7", (long)getpid());
	ck_assert_int_eq(scalar("SELECT total_tokens FROM api_usage WHERE "
	    "request_id = ? AND key_id IS NULL AND backend IS NULL AND "
	    "service = 'openai-proxy' AND status = 200", like), 21);
	snprintf(like, sizeof(like), "bad-%ld-%%", (long)getpid());
	ck_assert_int_eq(scalar("SELECT COUNT(*) FROM api_usage WHERE "
	    "request_id LIKE ?", like), 0);
	ods_llm_usage_free(uq);
}
END_TEST

START_TEST(test_usage_rows_wait_through_an_outage)
{
	struct ods_llm_usage_rec	r;
	char				like[64], sql[256];
	int				i;

	uq = ods_llm_usage_new(conf);
	ck_assert_ptr_nonnull(uq);
	/* The table goes away: writes fail and the rows stay queued. */
	snprintf(sql, sizeof(sql), "RENAME TABLE api_usage TO api_usage_away");
	ck_assert_int_eq(admin(scratch, sql), 0);
	for (i = 0; i < 50; i++) {
		r = rec("outage", i);
		ods_llm_usage_record(uq, &r);
	}
	sleep(1);
	ck_assert_uint_eq(ods_llm_usage_written(uq), 0);
	snprintf(sql, sizeof(sql), "RENAME TABLE api_usage_away TO api_usage");
	ck_assert_int_eq(admin(scratch, sql), 0);
	/* Back: the next retry (2 s) writes them all. */
	ods_llm_usage_flush(uq);
	ck_assert_uint_eq(ods_llm_usage_written(uq), 50);
	snprintf(like, sizeof(like), "outage-%ld-%%", (long)getpid());
	ck_assert_int_eq(scalar("SELECT COUNT(*) FROM api_usage WHERE "
	    "request_id LIKE ?", like), 50);
	ods_llm_usage_free(uq);
}
END_TEST

START_TEST(test_usage_full_queue_drops_and_counts_in_metrics)
{
	struct ods_llm_usage_rec	 r;
	struct ods_metrics		*m;
	char				*t;
	int				 i;

	m = ods_metrics_new("openai-proxy", 1);
	ck_assert_ptr_nonnull(m);
	conf->mysql_port = closed_port();		/* the DSN's host is local */
	ck_assert_int_eq(ods_conf_set(conf, "ODS_LLM_USAGE_QUEUE", "16",
	    NULL), ODS_OK);
	/* Not freed: the writer would wait for the dead database. */
	uq = ods_llm_usage_new(conf);
	ck_assert_ptr_nonnull(uq);
	for (i = 0; i < 20; i++) {
		r = rec("full", i);
		ods_llm_usage_record(uq, &r);
	}
	ck_assert_uint_eq(ods_llm_usage_dropped(uq), 4);
	ck_assert_uint_eq(ods_llm_usage_written(uq), 0);
	t = render(m);
	ck_assert_double_eq(value_of(t,
	    "ods_write_behind_dropped_total{queue=\"usage\"}"), 4);
	ck_assert_double_eq(value_of(t,
	    "ods_write_behind_queued{queue=\"usage\"}"), 16);
	free(t);
	ods_metrics_free(m);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("ods_llm_usage");
	TCase	*tc;

	tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_usage_rows_arrive_past_a_refused_row);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_usage_full_queue_drops_and_counts_in_metrics);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_usage_rows_wait_through_an_outage);
	suite_add_tcase(s, tc);
	return s;
}

static int
migrate(void)
{
	struct ods_migrate_opts	 o = { ODS_TEST_SQLDIR, NULL, 0 };
	struct ods_conf		*c = ods_conf_new();
	struct ods_db		*d;
	unsigned		 n = 0;
	enum ods_err		 er;

	o.out = fopen("/dev/null", "w");
	if (ods_conf_set_db_dsn(c, dsn) != ODS_OK)
		return -1;
	free(c->mysql_database);
	c->mysql_database = strdup(scratch);
	d = ods_db_new(c, 1);
	er = ods_migrate_run(d, &o, &n);
	ods_db_free(d);
	ods_conf_free(c);
	fclose(o.out);
	return er == ODS_OK ? 0 : -1;
}

/* A scratch database with the schema, dropped by stop(). */
static int
start(void)
{
	struct ods_conf	*c;
	char		 sql[256];

	if ((dsn = ods_check_env("ODS_TEST_DB_DSN")) == NULL)
		return ODS_CHECK_SKIP;
	ods_check_log("check_ods_llm_usage");
	c = ods_conf_new();
	if (ods_conf_set_db_dsn(c, dsn) != ODS_OK) {
		ods_conf_free(c);
		return 1;
	}
	snprintf(scratch, sizeof(scratch), "%.40s_u%ld", c->mysql_database,
	    (long)getpid());
	ods_conf_free(c);
	snprintf(sql, sizeof(sql), "CREATE DATABASE `%s` CHARACTER SET "
	    "utf8mb4 COLLATE utf8mb4_unicode_ci", scratch);
	if (admin(NULL, sql) < 0 || migrate() < 0) {
		fprintf(stderr, "check_ods_llm_usage: no scratch database\n");
		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS `%s`",
		    scratch);
		(void)admin(NULL, sql);
		return 1;
	}
	return 0;
}

static int
stop(void)
{
	char	sql[256];

	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS `%s`", scratch);
	return admin(NULL, sql) < 0 ? 1 : 0;
}

const struct ods_check ods_check_program = {
	.suite = suite, .setup = start, .teardown = stop,
};
