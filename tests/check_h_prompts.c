/*
 * tests/check_h_prompts.c — the /prompts handlers (fcgi/agent/h_prompts.c)
 * on requests built in memory, against a scratch database "<db>_p<pid>"
 * (needs ODS_TEST_DB_DSN; exits 77 without it): create and render with
 * defaults, errors naming the variables, owners (private 404, public read
 * but not changed, admin all), versions on update, soft delete.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ods.h"
#include "auth/ods_auth.h"
#include "ods_test.h"
#include "../fcgi/agent/h_prompts.h"
#include "../svc/agent/prompt.h"
#include "ods_check.h"
#include "ods_test_h.h"
#include "ods_test_db.h"

static const char		*dsn;
static char			 scratch[128];
static struct ods_test_h	 th;

static void
setup(void)
{
	ods_test_h_init(&th, dsn, scratch, "agent-api", "/api/v1/prompts");
	th.body_max = H_PROMPT_BODY;
	ck_assert_int_eq(ods_test_sql(dsn, scratch,
	    "DELETE FROM prompt_template_versions"), 0);
	ck_assert_int_eq(ods_test_sql(dsn, scratch,
	    "DELETE FROM prompt_templates"), 0);
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

static const char *
body(void)
{
	return ods_test_h_body(&th);
}

#define HAS(s)	ck_assert_msg(strstr(body(), (s)) != NULL, "no %s in %s", \
	    (s), body())

static const char greet[] = "{\"name\":\"greet\",\"content\":\"Hi {{who}}, "
    "{{ n }} times\",\"variables\":[{\"name\":\"who\"},{\"name\":\"n\","
    "\"type\":\"number\",\"default\":2}]}";

START_TEST(test_create_then_render_fills_defaults)
{
	ck_assert_int_eq(run(h_prompts_create, mkreq("POST", &ods_test_alice, NULL,
	    greet)), 201);
	HAS("\"template_id\":\"tpl-");
	HAS("\"version\":1");
	ck_assert_int_eq(run(h_prompts_render, mkreq("POST", &ods_test_alice, "greet",
	    "{\"variables\":{\"who\":\"Ann\"}}")), 200);
	HAS("\"content\":\"Hi Ann, 2 times\"");
	HAS("\"variables_used\":{\"who\":\"Ann\",\"n\":2}");
}
END_TEST

START_TEST(test_render_errors_name_the_variables)
{
	ck_assert_int_eq(run(h_prompts_create, mkreq("POST", &ods_test_alice, NULL,
	    "{\"name\":\"t\",\"content\":\"{{a}}{{b}}{{c}}\"}")), 201);
	ck_assert_int_eq(run(h_prompts_render, mkreq("POST", &ods_test_alice, "t",
	    "{\"variables\":{\"b\":\"x\"}}")), 400);
	HAS("\"code\":40001");
	HAS("missing required variables: a, c");
	ck_assert_int_eq(run(h_prompts_render, mkreq("POST", &ods_test_alice, "t",
	    "{\"variables\":{\"a\":1,\"b\":\"x\",\"c\":\"y\"}}")), 400);
	HAS("'a' must be a string");
	ck_assert_int_eq(run(h_prompts_render, mkreq("POST", &ods_test_alice, "t",
	    "{\"version\":\"1\"}")), 400);
	ck_assert_int_eq(run(h_prompts_render, mkreq("POST", &ods_test_alice, "t",
	    "not json")), 400);
	ck_assert_int_eq(run(h_prompts_render, mkreq("POST", &ods_test_alice, "nope",
	    "{}")), 404);
	HAS("\"code\":40401");
}
END_TEST

START_TEST(test_bad_creates_are_400_naming_the_field)
{
	char	*big;
	size_t	 n;

	ck_assert_int_eq(run(h_prompts_create, mkreq("POST", &ods_test_alice, NULL,
	    "{\"name\":\"x\",\"content\":\"{{a}} {{b}}\",\"variables\":[]}")),
	    400);
	HAS("\"field\":\"variables\"");
	HAS("undeclared variables: a, b");
	ck_assert_int_eq(run(h_prompts_create, mkreq("POST", &ods_test_alice, NULL,
	    "{\"name\":\"x\",\"content\":[1]}")), 400);
	HAS("\"field\":\"content\"");
	ck_assert_int_eq(run(h_prompts_create, mkreq("POST", &ods_test_alice, NULL,
	    "{\"name\":\"x\",\"content\":\"{{}}\"}")), 400);
	HAS("empty variable name");
	ck_assert_int_eq(run(h_prompts_create, mkreq("POST", &ods_test_alice, NULL,
	    "{\"name\":\"\",\"content\":\"x\"}")), 400);
	HAS("\"field\":\"name\"");
	ck_assert_int_eq(run(h_prompts_create, mkreq("POST", &ods_test_alice, NULL,
	    greet)), 201);
	ck_assert_int_eq(run(h_prompts_create, mkreq("POST", &ods_test_bob, NULL,
	    greet)), 409);
	big = malloc(ODS_PROMPT_CONTENT_MAX + 64);
	n = (size_t)snprintf(big, 64, "{\"name\":\"big\",\"content\":\"");
	memset(big + n, 'x', ODS_PROMPT_CONTENT_MAX + 1);
	memcpy(big + n + ODS_PROMPT_CONTENT_MAX + 1, "\"}", 3);
	ck_assert_int_eq(run(h_prompts_create, mkreq("POST", &ods_test_alice, NULL,
	    big)), 400);
	HAS("\"field\":\"content\"");
	free(big);
}
END_TEST

START_TEST(test_owners_public_and_admin)
{
	ck_assert_int_eq(run(h_prompts_create, mkreq("POST", &ods_test_alice, NULL,
	    greet)), 201);
	ck_assert_int_eq(run(h_prompts_get, mkreq("GET", &ods_test_bob, "greet",
	    NULL)), 404);
	ck_assert_int_eq(run(h_prompts_render, mkreq("POST", &ods_test_bob, "greet",
	    "{\"variables\":{\"who\":\"b\"}}")), 404);
	ck_assert_int_eq(run(h_prompts_list, mkreq("GET", &ods_test_bob, NULL, NULL)),
	    200);
	HAS("\"total\":0");
	ck_assert_int_eq(run(h_prompts_get, mkreq("GET", &ods_test_root, "greet",
	    NULL)), 200);
	ck_assert_int_eq(run(h_prompts_update, mkreq("PUT", &ods_test_alice, "greet",
	    "{\"is_public\":true}")), 200);
	ck_assert_int_eq(run(h_prompts_get, mkreq("GET", &ods_test_bob, "greet",
	    NULL)), 200);
	ck_assert_int_eq(run(h_prompts_render, mkreq("POST", &ods_test_bob, "greet",
	    "{\"variables\":{\"who\":\"Bo\"}}")), 200);
	ck_assert_int_eq(run(h_prompts_update, mkreq("PUT", &ods_test_bob, "greet",
	    "{\"content\":\"x\"}")), 404);
	ck_assert_int_eq(run(h_prompts_delete, mkreq("DELETE", &ods_test_bob, "greet",
	    NULL)), 404);
	ck_assert_int_eq(run(h_prompts_get, mkreq("GET", &ods_test_alice, "greet",
	    NULL)), 200);
	HAS("\"usage_count\":1");
}
END_TEST

START_TEST(test_update_keeps_versions_and_delete_frees_the_name)
{
	ck_assert_int_eq(run(h_prompts_create, mkreq("POST", &ods_test_alice, NULL,
	    greet)), 201);
	ck_assert_int_eq(run(h_prompts_update, mkreq("PUT", &ods_test_alice, "greet",
	    "{\"content\":\"Bye {{who}}\"}")), 200);
	HAS("\"version\":2");
	ck_assert_int_eq(run(h_prompts_update, mkreq("PUT", &ods_test_alice, "greet",
	    "{\"category\":\"x\"}")), 200);
	HAS("\"version\":2");
	ck_assert_int_eq(run(h_prompts_update, mkreq("PUT", &ods_test_alice, "greet",
	    "{\"content\":\"{{other}}\"}")), 400);
	ck_assert_int_eq(run(h_prompts_versions, mkreq("GET", &ods_test_alice, "greet",
	    NULL)), 200);
	HAS("\"version\":2,\"content\":\"Bye {{who}}\"");
	HAS("\"version\":1,\"content\":\"Hi {{who}}, {{ n }} times\"");
	HAS("\"total\":2");
	ck_assert_int_eq(run(h_prompts_render, mkreq("POST", &ods_test_alice, "greet",
	    "{\"variables\":{\"who\":\"A\"},\"version\":1}")), 200);
	HAS("\"content\":\"Hi A, 2 times\"");
	ck_assert_int_eq(run(h_prompts_delete, mkreq("DELETE", &ods_test_alice,
	    "greet", NULL)), 200);
	ck_assert_int_eq(run(h_prompts_get, mkreq("GET", &ods_test_alice, "greet",
	    NULL)), 404);
	ck_assert_int_eq(run(h_prompts_create, mkreq("POST", &ods_test_bob, NULL,
	    greet)), 201);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("h_prompts");
	TCase	*tc;

	tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_create_then_render_fills_defaults);
	tcase_add_test(tc, test_owners_public_and_admin);
	tcase_add_test(tc,
	    test_update_keeps_versions_and_delete_frees_the_name);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_render_errors_name_the_variables);
	tcase_add_test(tc, test_bad_creates_are_400_naming_the_field);
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
	ods_check_log("check_h_prompts");
	if (ods_test_scratch_create(dsn, 'p', scratch, sizeof(scratch)) < 0) {
		fprintf(stderr, "check_h_prompts: no scratch database\n");
		return 1;
	}
	return 0;
}

const struct ods_check ods_check_program = {
	.suite = suite, .setup = start, .teardown = stop,
};
