/*
 * tests/check_h_etl.c — the ETL task handlers (fcgi/data/h_etl.c) on
 * requests built in memory, against a scratch database "<db>_e<pid>"
 * (needs ODS_TEST_DB_DSN; exits 77 without it): a task in the web's
 * nested shape reads back flat and nested; another user's private task
 * is a 404, a public one cannot be changed by another (403); a start is
 * an etl_run job (202) and a second start while it is pending a 400
 * (40002); stop cancels it; bad bodies are 400 naming the field.
 * tests/integration/etl.sh runs tasks on real servers.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ods.h"
#include "auth/ods_auth.h"
#include "ods_test.h"
#include "../fcgi/data/h_etl.h"
#include "ods_check.h"
#include "ods_test_h.h"
#include "ods_test_db.h"

static const char		*dsn;
static char			 scratch[128];
static struct ods_test_h	 th;

static const char *const fixture[] = {
	"DELETE FROM etl_tasks",
	"DELETE FROM jobs",
	"DELETE FROM datasources",
	"INSERT INTO datasources (source_id, name, type, connection_config, "
	"created_by, visibility) VALUES "
	"('pub', 'pub', 'mysql', '{\"host\":\"h\"}', 'erin', 'public'), "
	"('priv', 'priv', 'postgresql', '{\"host\":\"h\"}', 'erin', 'private')",
};

static void
setup(void)
{
	size_t	i;

	ods_test_h_init(&th, dsn, scratch, "data-api", "/api/v1/etl/tasks");
	for (i = 0; i < ODS_NELEM(fixture); i++)
		ck_assert_int_eq(ods_test_sql(dsn, scratch, fixture[i]), 0);
}

static void
teardown(void)
{
	ods_test_h_fini(&th);
}

static struct ods_req *
mkreq(const char *method, const struct ods_principal *p, const char *qs,
    const char *json, const char *p1)
{
	const char	*pp[2] = { p1, NULL };

	return ods_test_h_request(&th, method, p, qs, json, pp);
}

#define run	ods_test_h_run
#define HAS(s)	ck_assert_ptr_nonnull(strstr(ods_test_h_body(&th), (s)))

#define NESTED	"{\"name\":\"n\",\"task_type\":\"sql_transform\"," \
	"\"source\":{\"source_id\":\"pub\",\"query\":\"SELECT 1 AS one\"}," \
	"\"target\":{\"target_id\":\"pub\",\"table\":\"t1\"}}"

/* A task of erin's (visibility v) into id. */
static void
mktask(const char *v, char *id, size_t len)
{
	char	body[512];

	snprintf(body, sizeof(body), "{\"name\":\"n\",\"task_type\":"
	    "\"table_copy\",\"source_id\":\"priv\",\"source_config\":"
	    "{\"table\":\"a\"},\"target_id\":\"pub\",\"target_table\":\"b\","
	    "\"visibility\":\"%s\"}", v);
	ck_assert_int_eq(run(h_etl_create, mkreq("POST", &ods_test_erin, NULL,
	    body, NULL)), 201);
	ck_assert_ptr_nonnull(ods_test_h_field(&th, "task_id", id, len));
}

START_TEST(test_nested_task_reads_back_in_both_shapes)
{
	char	id[80], p[96];

	ck_assert_int_eq(run(h_etl_create, mkreq("POST", &ods_test_eddy, NULL,
	    NESTED, NULL)), 201);
	HAS("\"source_id\":\"pub\"");
	HAS("\"target_table\":\"t1\"");
	HAS("\"source\":{\"type\":\"datasource\",\"source_id\":\"pub\"");
	HAS("\"schedule_type\":\"manual\"");
	ck_assert_ptr_nonnull(ods_test_h_field(&th, "task_id", id, sizeof(id)));
	snprintf(p, sizeof(p), "id=%s", id);
	ck_assert_int_eq(run(h_etl_get, mkreq("GET", &ods_test_eddy, NULL, NULL,
	    p)), 200);
	HAS("\"query\":\"SELECT 1 AS one\"");
	ck_assert_int_eq(run(h_etl_list, mkreq("GET", &ods_test_eddy,
	    "task_type=sql_transform", NULL, NULL)), 200);
	HAS("\"total\":1");
}
END_TEST

START_TEST(test_owners_private_and_public)
{
	char	id[80], p[96];

	mktask("private", id, sizeof(id));
	snprintf(p, sizeof(p), "id=%s", id);
	ck_assert_int_eq(run(h_etl_get, mkreq("GET", &ods_test_eddy, NULL, NULL,
	    p)), 404);
	ck_assert_int_eq(run(h_etl_get, mkreq("GET", &ods_test_root, NULL, NULL,
	    p)), 200);
	mktask("public", id, sizeof(id));
	snprintf(p, sizeof(p), "id=%s", id);
	ck_assert_int_eq(run(h_etl_get, mkreq("GET", &ods_test_eddy, NULL, NULL,
	    p)), 200);
	ck_assert_int_eq(run(h_etl_update, mkreq("PUT", &ods_test_eddy, NULL,
	    "{\"description\":\"x\"}", p)), 403);
	ck_assert_int_eq(run(h_etl_update, mkreq("PUT", &ods_test_erin, NULL,
	    "{\"description\":\"x\"}", p)), 200);
	HAS("\"description\":\"x\"");
}
END_TEST

START_TEST(test_start_is_a_job_once_and_stop_cancels_it)
{
	char	id[80], p[96];

	mktask("private", id, sizeof(id));
	snprintf(p, sizeof(p), "id=%s", id);
	ck_assert_int_eq(run(h_etl_start, mkreq("POST", &ods_test_erin, NULL,
	    NULL, p)), 202);
	HAS("\"status\":\"pending\"");
	ck_assert_int_eq(ods_test_scalar(th.db, "SELECT COUNT(*) FROM jobs WHERE "
	    "type = 'etl_run' AND JSON_VALUE(payload, '$.task_id') = ?", id), 1);
	ck_assert_int_eq(run(h_etl_start, mkreq("POST", &ods_test_erin, NULL,
	    NULL, p)), 400);
	HAS("\"code\":40002");
	ck_assert_int_eq(run(h_etl_stop, mkreq("POST", &ods_test_erin, NULL,
	    NULL, p)), 200);
	HAS("\"status\":\"stopped\"");
	ck_assert_int_eq(ods_test_scalar(th.db, "SELECT COUNT(*) FROM jobs WHERE "
	    "type = 'etl_run' AND status = 'cancelled' AND "
	    "JSON_VALUE(payload, '$.task_id') = ?", id), 1);
	ck_assert_int_eq(run(h_etl_stop, mkreq("POST", &ods_test_erin, NULL,
	    NULL, p)), 404);
	ck_assert_int_eq(run(h_etl_executions, mkreq("GET", &ods_test_erin,
	    NULL, NULL, p)), 200);
	HAS("\"status\":\"stopped\"");
	ck_assert_int_eq(run(h_etl_logs, mkreq("GET", &ods_test_erin, NULL,
	    NULL, p)), 200);
	HAS("\"step\":\"stop\"");
}
END_TEST

static const struct {
	const char	*body;
	const char	*field;
} bad[] = {
	{ "{\"task_type\":\"export\"}", "\"field\":\"name\"" },
	{ "{\"name\":\"x\",\"task_type\":\"nope\"}", "\"field\":\"task_type\"" },
	{ "{\"name\":\"x\",\"task_type\":\"table_copy\",\"source_id\":\"pub\","
	  "\"target_id\":\"pub\",\"target_table\":\"b\"}",
	  "\"field\":\"source_config.table\"" },
	{ "{\"name\":\"x\",\"task_type\":\"sql_transform\",\"source_id\":"
	  "\"pub\",\"source_query\":\"SELECT 1; DROP TABLE t\",\"target_id\":"
	  "\"pub\",\"target_table\":\"t\"}", "\"field\":\"source_query\"" },
	{ "{\"name\":\"x\",\"task_type\":\"sql_transform\",\"source_id\":"
	  "\"priv\",\"source_query\":\"SELECT 1\",\"target_id\":\"pub\","
	  "\"target_table\":\"t\"}", "\"field\":\"source_id\"" },
	{ "{\"name\":\"x\",\"task_type\":\"file_import\",\"target_id\":\"pub\","
	  "\"target_table\":\"t`x\"}", "\"field\":\"target_table\"" },
	{ "{\"name\":\"x\",\"task_type\":\"export\",\"source_id\":\"pub\","
	  "\"source_query\":\"SELECT 1\"}", "\"field\":\"target_config."
	  "dataset_id\"" },
	{ "{\"name\":\"x\",\"task_type\":\"export\",\"source_id\":\"pub\","
	  "\"source_query\":\"SELECT 1\",\"target_config\":{\"dataset_id\":"
	  "\"d\"},\"schedule_type\":\"interval\"}",
	  "\"field\":\"schedule_interval\"" },
	{ "[1]", "\"code\":40001" },
};

START_TEST(test_bad_input_is_400)
{
	/* eddy: erin's private source "priv" is no source of his. */
	ck_assert_int_eq(run(h_etl_create, mkreq("POST", &ods_test_eddy, NULL,
	    bad[_i].body, NULL)), 400);
	HAS(bad[_i].field);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("h_etl");
	TCase	*tc;

	tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_nested_task_reads_back_in_both_shapes);
	tcase_add_test(tc, test_owners_private_and_public);
	tcase_add_test(tc, test_start_is_a_job_once_and_stop_cancels_it);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_bad_input_is_400, 0, (int)ODS_NELEM(bad));
	suite_add_tcase(s, tc);
	return s;
}

static int
stop(void)
{
	return ods_test_scratch_drop(dsn, scratch) < 0;
}

static int
start(void)
{
	if ((dsn = ods_check_env("ODS_TEST_DB_DSN")) == NULL)
		return ODS_CHECK_SKIP;
	ods_check_log("check_h_etl");
	if (ods_test_scratch_create(dsn, 'e', scratch, sizeof(scratch)) < 0) {
		fprintf(stderr, "check_h_etl: no scratch database\n");
		return 1;
	}
	return 0;
}

const struct ods_check ods_check_program = {
	.suite = suite, .setup = start, .teardown = stop,
};
