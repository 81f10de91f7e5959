/*
 * tests/check_h_apps.c — the app route handlers (fcgi/agent/h_apps.c) on
 * requests built in memory, against a scratch database "<db>_h<pid>"
 * (needs ODS_TEST_DB_DSN; exits 77 without it): owner scope (another
 * user's app is a 404), admin's view, a key holder's view following the
 * app's publication, bad input naming the field, statistics from
 * api_usage rows.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ods.h"
#include "auth/ods_auth.h"
#include "ods_test.h"
#include "../fcgi/agent/h_apps.h"
#include "ods_check.h"
#include "ods_test_h.h"
#include "ods_test_db.h"

static const char		*dsn;
static char			 scratch[128];
static struct ods_test_h	 th;

static void
setup(void)
{
	ods_test_h_init(&th, dsn, scratch, "agent-api", "/api/v1/apps");
	ck_assert_int_eq(ods_test_sql(dsn, scratch, "DELETE FROM apps"), 0);
}

static void
teardown(void)
{
	ods_test_h_fini(&th);
}

/* A request as p with a JSON body and an {id} (both may be NULL). */
static struct ods_req *
mkreq(const char *method, const struct ods_principal *p, const char *id,
    const char *json)
{
	return ods_test_h_req(&th, method, p, id, json);
}

#define run	ods_test_h_run

/* The string value of "key" in the last body, into out. */
static const char *
field(const char *key, char *out, size_t len)
{
	ck_assert_ptr_nonnull(ods_test_h_field(&th, key, out, len));
	return out;
}

static const char *
body(void)
{
	return ods_test_h_body(&th);
}

static const char *
new_app(const struct ods_principal *p, const char *json, char *id,
    size_t len)
{
	ck_assert_int_eq(run(h_apps_create, mkreq("POST", p, NULL, json)),
	    201);
	return field("app_id", id, len);
}

START_TEST(test_apps_belong_to_their_owner)
{
	char	id[64];

	new_app(&ods_test_alice, "{\"name\":\"Helpdesk\",\"tags\":[\"a\"]}", id,
	    sizeof(id));
	ck_assert_ptr_nonnull(strstr(body(), "\"status\":\"draft\""));
	ck_assert_ptr_nonnull(strstr(body(), "\"version\":\"1.0.0\""));
	ck_assert_ptr_nonnull(strstr(body(), "\"type\":\"chat\""));
	ck_assert_int_eq(run(h_apps_get, mkreq("GET", &ods_test_alice, id, NULL)), 200);
	ck_assert_ptr_nonnull(strstr(body(), "\"statistics\":{"));
	ck_assert_int_eq(run(h_apps_get, mkreq("GET", &ods_test_bob, id, NULL)), 404);
	ck_assert_int_eq(run(h_apps_update, mkreq("PUT", &ods_test_bob, id,
	    "{\"name\":\"mine\"}")), 404);
	ck_assert_int_eq(run(h_apps_publish, mkreq("POST", &ods_test_bob, id, NULL)),
	    404);
	ck_assert_int_eq(run(h_apps_delete, mkreq("DELETE", &ods_test_bob, id, NULL)),
	    404);
	ck_assert_int_eq(run(h_apps_list, mkreq("GET", &ods_test_bob, NULL, NULL)),
	    200);
	ck_assert_ptr_nonnull(strstr(body(), "\"total\":0"));
	ck_assert_int_eq(run(h_apps_get, mkreq("GET", &ods_test_root, id, NULL)), 200);
	ck_assert_int_eq(run(h_apps_update, mkreq("PUT", &ods_test_alice, id,
	    "{\"description\":\"d\"}")), 200);
	ck_assert_ptr_nonnull(strstr(body(), "\"name\":\"Helpdesk\""));
	ck_assert_ptr_nonnull(strstr(body(), "\"tags\":[\"a\"]"));
	ck_assert_int_eq(run(h_apps_delete, mkreq("DELETE", &ods_test_alice, id,
	    NULL)), 200);
	ck_assert_int_eq(run(h_apps_get, mkreq("GET", &ods_test_alice, id, NULL)), 404);
	ck_assert_int_eq(run(h_apps_get, mkreq("GET", &ods_test_alice,
	    "app-000000000000", NULL)), 404);
}
END_TEST

START_TEST(test_app_key_holder_sees_only_a_published_app)
{
	struct ods_principal	 k = { .kind = ODS_PRINCIPAL_APIKEY,
	    .user_id = "alice", .username = "alice", .name = "k" };
	char			 id[64], kid[40];

	new_app(&ods_test_alice, "{\"name\":\"Bot\",\"model\":\"m1\",\"settings\":"
	    "{\"rate_limit_rpm\":7}}", id, sizeof(id));
	ck_assert_int_eq(run(h_apps_key_create, mkreq("POST", &ods_test_alice, id,
	    "{\"name\":\"widget\"}")), 201);
	ck_assert_ptr_nonnull(strstr(body(), "\"api_key\":\"sk-ods-"));
	ck_assert_ptr_nonnull(strstr(body(), "\"rpm\":7"));
	k.key_id = field("key_id", kid, sizeof(kid));
	k.app_id = id;
	ck_assert_int_eq(run(h_apps_info, mkreq("GET", &k, id, NULL)), 403);
	ck_assert_ptr_nonnull(strstr(body(), "\"error\":\"app_not_published\""));
	ck_assert_int_eq(run(h_apps_info, mkreq("GET", &ods_test_alice, id, NULL)),
	    200);
	ck_assert_int_eq(run(h_apps_publish, mkreq("POST", &ods_test_alice, id, NULL)),
	    200);
	ck_assert_ptr_nonnull(strstr(body(), "\"endpoint\":\"/api/v1/apps/"));
	ck_assert_int_eq(run(h_apps_info, mkreq("GET", &k, id, NULL)), 200);
	ck_assert_ptr_nonnull(strstr(body(), "\"model\":\"m1\""));
	ck_assert_ptr_null(strstr(body(), "rate_limit_rpm"));
	ck_assert_int_eq(run(h_apps_get, mkreq("GET", &ods_test_alice, id, NULL)), 200);
	ck_assert_ptr_nonnull(strstr(body(), "\"access_count\":2"));
	ck_assert_ptr_nonnull(strstr(body(), "\"api_key_count\":1"));
	ck_assert_int_eq(run(h_apps_key_list, mkreq("GET", &ods_test_alice, id, NULL)),
	    200);
	ck_assert_ptr_nonnull(strstr(body(), kid));
	ck_assert_int_eq(run(h_apps_unpublish, mkreq("POST", &ods_test_alice, id,
	    NULL)), 200);
	ck_assert_int_eq(run(h_apps_info, mkreq("GET", &k, id, NULL)), 403);
}
END_TEST

START_TEST(test_app_statistics_come_from_api_usage)
{
	char	id[64], sql[1024];

	new_app(&ods_test_alice, "{\"name\":\"Stats\"}", id, sizeof(id));
	snprintf(sql, sizeof(sql), "INSERT INTO api_usage (request_id, "
	    "key_id, user_id, endpoint, model, status, latency_ms, app_id, "
	    "end_user) VALUES ('s1', 'ak_1', 'alice', 'e', 'm', 200, 10, '%s', "
	    "NULL), ('s2', 'ak_1', 'alice', 'e', 'm', 500, 30, '%s', NULL), "
	    "('s3', NULL, 'bob', 'e', 'm', 200, 20, '%s', 'eu'), ('s4', NULL, "
	    "'bob', 'e', 'm', 200, 20, 'app-other', NULL)", id, id, id);
	ck_assert_int_eq(ods_test_sql(dsn, scratch, sql), 0);
	ck_assert_int_eq(run(h_apps_get, mkreq("GET", &ods_test_alice, id, NULL)), 200);
	ck_assert_ptr_nonnull(strstr(body(), "\"statistics\":{"
	    "\"total_calls\":3,\"total_users\":2,\"avg_response_time_ms\":20"));
	ck_assert_ptr_nonnull(strstr(body(), "\"success_rate\":0.66"));
}
END_TEST

START_TEST(test_apps_bad_input_names_the_field)
{
	char	id[64];

	ck_assert_int_eq(run(h_apps_create, mkreq("POST", &ods_test_alice, NULL,
	    "{\"description\":\"x\"}")), 400);
	ck_assert_ptr_nonnull(strstr(body(), "\"field\":\"name\""));
	ck_assert_int_eq(run(h_apps_create, mkreq("POST", &ods_test_alice, NULL,
	    "{\"name\":\"x\",\"settings\":{\"temperature\":3}}")), 400);
	ck_assert_ptr_nonnull(strstr(body(),
	    "\"field\":\"settings.temperature\""));
	ck_assert_int_eq(run(h_apps_create, mkreq("POST", &ods_test_alice, NULL,
	    "{\"name\":\"x\",\"knowledge_base_ids\":[\"kb-1\",\"kb-2\","
	    "\"kb-3\",\"kb-4\",\"kb-5\",\"kb-6\",\"kb-7\",\"kb-8\","
	    "\"kb-9\"]}")), 400);
	ck_assert_ptr_nonnull(strstr(body(),
	    "\"field\":\"knowledge_base_ids\""));
	ck_assert_int_eq(run(h_apps_create, mkreq("POST", &ods_test_alice, NULL,
	    "{\"name\":\"x\",\"knowledge_base_ids\":[\"kb-000000000000\"]}")),
	    400);
	ck_assert_ptr_nonnull(strstr(body(), "kb-000000000000"));
	ck_assert_int_eq(run(h_apps_create, mkreq("POST", &ods_test_alice, NULL,
	    "[1]")), 400);
	ck_assert_int_eq(run(h_apps_list, mkreq("GET", &ods_test_alice, NULL, NULL)),
	    200);
	ck_assert_ptr_nonnull(strstr(body(), "\"total\":0"));
	new_app(&ods_test_alice, "{\"name\":\"ok\"}", id, sizeof(id));
	ck_assert_int_eq(run(h_apps_update, mkreq("PUT", &ods_test_alice, id,
	    "{\"name\":\"\"}")), 400);
	ck_assert_int_eq(run(h_apps_key_create, mkreq("POST", &ods_test_alice, id,
	    "{\"rpm\":1}")), 400);
	ck_assert_ptr_nonnull(strstr(body(), "\"field\":\"name\""));
	ck_assert_int_eq(run(h_apps_key_revoke, mkreq("DELETE", &ods_test_alice, id,
	    NULL)), 404);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("h_apps");
	TCase	*tc;

	tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_apps_belong_to_their_owner);
	tcase_add_test(tc, test_app_key_holder_sees_only_a_published_app);
	tcase_add_test(tc, test_app_statistics_come_from_api_usage);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_apps_bad_input_names_the_field);
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
	ods_check_log("check_h_apps");
	if (ods_test_scratch_create(dsn, 'p', scratch, sizeof(scratch)) < 0) {
		fprintf(stderr, "check_h_apps: no scratch database\n");
		return 1;
	}
	return 0;
}

const struct ods_check ods_check_program = {
	.suite = suite, .setup = start, .teardown = stop,
};
