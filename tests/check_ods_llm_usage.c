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
#include "ods_test_metrics.h"
#include "ods_test_db.h"
#include "ods_test_net.h"

static const char	*dsn;
static char		 scratch[128];
static struct ods_conf	*conf;
static struct ods_llm_usage_q	*uq;	/* reachable: never a leak */

static void
setup(void)
{
	conf = ods_test_conf(dsn, scratch);
	ck_assert_ptr_nonnull(conf);
}

static void
teardown(void)
{
	ods_conf_free(conf);
}

static int64_t
scalar(const char *sql, const char *arg)
{
	struct ods_db	*db = ods_db_new(conf, 1);
	int64_t		 v = ods_test_scalar(db, sql, arg);

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
	if (i % 5 == 0) {
		snprintf(r.app_id, sizeof(r.app_id), "app-000000000005");
		snprintf(r.end_user, sizeof(r.end_user), "eu-%d", i % 3);
	}
	return r;
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
	/* An app's call keeps its app and end user; others have none. */
	snprintf(like, sizeof(like), "ok-%ld-10", (long)getpid());
	ck_assert_int_eq(scalar("SELECT COUNT(*) FROM api_usage WHERE "
	    "request_id = ? AND app_id = 'app-000000000005' AND "
	    "end_user = 'eu-1'", like), 1);
	snprintf(like, sizeof(like), "ok-%ld-7", (long)getpid());
	ck_assert_int_eq(scalar("SELECT COUNT(*) FROM api_usage WHERE "
	    "request_id = ? AND app_id IS NULL AND end_user IS NULL", like), 1);
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
	ck_assert_int_eq(ods_test_sql(dsn, scratch, sql), 0);
	for (i = 0; i < 50; i++) {
		r = rec("outage", i);
		ods_llm_usage_record(uq, &r);
	}
	sleep(1);
	ck_assert_uint_eq(ods_llm_usage_written(uq), 0);
	snprintf(sql, sizeof(sql), "RENAME TABLE api_usage_away TO api_usage");
	ck_assert_int_eq(ods_test_sql(dsn, scratch, sql), 0);
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
	t = ods_test_metrics_text(m);
	ck_assert_double_eq(ods_test_metrics_value(t,
	    "ods_write_behind_dropped_total{queue=\"usage\"}"), 4);
	ck_assert_double_eq(ods_test_metrics_value(t,
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

/* A scratch database with the schema, dropped by stop(). */
static int
start(void)
{
	if ((dsn = ods_check_env("ODS_TEST_DB_DSN")) == NULL)
		return ODS_CHECK_SKIP;
	ods_check_log("check_ods_llm_usage");
	return ods_test_scratch_create(dsn, 'u', scratch, sizeof(scratch)) <
	    0 ? 1 : 0;
}

static int
stop(void)
{
	return ods_test_scratch_drop(dsn, scratch) < 0 ? 1 : 0;
}

const struct ods_check ods_check_program = {
	.suite = suite, .setup = start, .teardown = stop,
};
