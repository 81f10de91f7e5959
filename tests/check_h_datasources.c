/*
 * tests/check_h_datasources.c — the data source handlers
 * (fcgi/data/h_datasources.c) on requests built in memory, against a
 * scratch database "<db>_d<pid>" (needs ODS_TEST_DB_DSN; exits 77 without
 * it): passwords stored sealed and never answered, no clear password
 * without ODS_SECRET_KEY, owner scoping, the address policy and
 * unsupported types answered as a 200 failure, bad bodies named,
 * references only to env:ODS_DS_* and ODS_DATASOURCE_SECRET_DIR.
 * The query handlers (fcgi/data/h_query.c) too, with the same fixture:
 * bodies named, an unknown or another user's private source a 404, a
 * refused statement a 400 code 40003 kept in the caller's history.
 * tests/integration/datasources.sh and query.sh connect to real servers.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ods.h"
#include "auth/ods_auth.h"
#include "ods_test.h"
#include "../fcgi/data/h_datasources.h"
#include "../fcgi/data/h_query.h"
#include "ods_check.h"
#include "ods_test_h.h"
#include "ods_test_db.h"

#define PW	"Sekrit-Pa55word-9"
#define KEY	"000102030405060708090a0b0c0d0e0f" \
		"101112131415161718191a1b1c1d1e1f"

static const char		*dsn;
static char			 scratch[128];
static struct ods_test_h	 th;

/* The pool's context with key (NULL: none). */
static void
context(const char *key)
{
	if (th.env.ctx != NULL)
		h_data_fini(th.env.ctx);
	th.env.ctx = NULL;
	free(th.conf->secret_key);
	th.conf->secret_key = ods_xstrdup(key != NULL ? key : "");
	ck_assert_int_eq(h_data_init(&th.env, &th.env.ctx), ODS_OK);
}

static void
setup(void)
{
	ods_test_h_init(&th, dsn, scratch, "data-api", "/api/v1/datasources");
	free(th.conf->datasource_secret_dir);
	th.conf->datasource_secret_dir = ods_xstrdup("/run/secrets/");
	context(KEY);
	ck_assert_int_eq(ods_test_sql(dsn, scratch,
	    "DELETE FROM datasources"), 0);
	ck_assert_int_eq(ods_test_sql(dsn, scratch,
	    "DELETE FROM query_history"), 0);
}

static void
teardown(void)
{
	h_data_fini(th.env.ctx);
	ods_test_h_fini(&th);
}

/* A request as p with a JSON body and an {id} (both may be NULL). */
static struct ods_req *
mkreq(const char *method, const struct ods_principal *p, const char *json,
    const char *id)
{
	return ods_test_h_req(&th, method, p, id, json);
}

#define run	ods_test_h_run

static const char *
body(void)
{
	return ods_test_h_body(&th);
}

static const char *
create_body(const char *id, const char *vis, const char *pw)
{
	return ods_arena_printf(th.arena, "{\"name\":\"n-%s\",\"source_id\":"
	    "\"%s\",\"type\":\"mysql\",\"visibility\":\"%s\",\"connection\":"
	    "{\"host\":\"db.example\",\"port\":3307,\"username\":\"u\","
	    "\"password\":\"%s\",\"database\":\"sales\"}}", id, id, vis, pw);
}

START_TEST(test_create_seals_the_password_and_never_answers_it)
{
	ck_assert_int_eq(run(h_datasources_create, mkreq("POST", &ods_test_erin,
	    create_body("s1", "private", PW), NULL)), 201);
	ck_assert_ptr_null(strstr(body(), PW));
	ck_assert_ptr_nonnull(strstr(body(), "\"has_password\":true"));
	ck_assert_ptr_nonnull(strstr(body(),
	    "\"password_storage\":\"encrypted\""));
	ck_assert_ptr_nonnull(strstr(body(), "\"port\":3307"));
	ck_assert_ptr_nonnull(strstr(body(), "\"status\":\"disconnected\""));
	ck_assert_int_eq(ods_test_scalar(th.db, "SELECT COUNT(*) FROM datasources "
	    "WHERE credential LIKE 'v1:%' AND INSTR(credential, ?) = 0", PW),
	    1);
	ck_assert_int_eq(run(h_datasources_get, mkreq("GET", &ods_test_erin, NULL,
	    "s1")), 200);
	ck_assert_ptr_null(strstr(body(), PW));
	/* A reference is kept as given, and shown: it is no secret. */
	ck_assert_int_eq(run(h_datasources_create, mkreq("POST", &ods_test_erin,
	    create_body("s2", "private", "file:/run/secrets/db"), NULL)),
	    201);
	ck_assert_ptr_nonnull(strstr(body(),
	    "\"password_ref\":\"file:/run/secrets/db\""));
	ck_assert_int_eq(run(h_datasources_create, mkreq("POST", &ods_test_erin,
	    create_body("s2", "private", "x"), NULL)), 409);
	ck_assert_ptr_nonnull(strstr(body(), "\"code\":40900"));
}
END_TEST

START_TEST(test_create_without_a_key_takes_only_references)
{
	context(NULL);
	ck_assert_int_eq(run(h_datasources_create, mkreq("POST", &ods_test_erin,
	    create_body("s3", "private", PW), NULL)), 400);
	ck_assert_ptr_nonnull(strstr(body(), "ODS_SECRET_KEY"));
	ck_assert_ptr_null(strstr(body(), PW));
	ck_assert_int_eq(run(h_datasources_create, mkreq("POST", &ods_test_erin,
	    create_body("s3", "private", "env:ODS_DS_DB_PW"), NULL)), 201);
}
END_TEST

START_TEST(test_another_users_private_source_is_404)
{
	ck_assert_int_eq(run(h_datasources_create, mkreq("POST", &ods_test_erin,
	    create_body("priv", "private", PW), NULL)), 201);
	ck_assert_int_eq(run(h_datasources_create, mkreq("POST", &ods_test_erin,
	    create_body("pub", "public", PW), NULL)), 201);
	ck_assert_int_eq(run(h_datasources_get, mkreq("GET", &ods_test_eddy, NULL,
	    "priv")), 404);
	ck_assert_ptr_nonnull(strstr(body(), "\"error\":\"not_found\""));
	ck_assert_int_eq(run(h_datasources_get, mkreq("GET", &ods_test_eddy, NULL,
	    "pub")), 200);
	ck_assert_int_eq(run(h_datasources_list, mkreq("GET", &ods_test_eddy, NULL,
	    NULL)), 200);
	ck_assert_ptr_nonnull(strstr(body(), "\"total\":1"));
	ck_assert_ptr_null(strstr(body(), "\"priv\""));
	ck_assert_int_eq(run(h_datasources_update, mkreq("PUT", &ods_test_eddy,
	    "{\"name\":\"mine\"}", "pub")), 403);
	ck_assert_int_eq(run(h_datasources_delete, mkreq("DELETE", &ods_test_eddy,
	    NULL, "pub")), 403);
	ck_assert_int_eq(run(h_datasources_list, mkreq("GET", &ods_test_root, NULL,
	    NULL)), 200);
	ck_assert_ptr_nonnull(strstr(body(), "\"total\":2"));
	ck_assert_int_eq(run(h_datasources_update, mkreq("PUT", &ods_test_erin,
	    "{\"description\":\"d\",\"connection\":{\"schema\":\"s\"}}",
	    "priv")), 200);
	ck_assert_ptr_nonnull(strstr(body(), "\"schema\":\"s\""));
	ck_assert_ptr_nonnull(strstr(body(), "\"database\":\"sales\""));
	ck_assert_int_eq(run(h_datasources_delete, mkreq("DELETE", &ods_test_root,
	    NULL, "priv")), 200);
	ck_assert_int_eq(run(h_datasources_get, mkreq("GET", &ods_test_root, NULL,
	    "priv")), 404);
}
END_TEST

START_TEST(test_tests_refused_or_unsupported_are_200_failures)
{
	ck_assert_int_eq(run(h_datasources_test, mkreq("POST", &ods_test_erin,
	    "{\"type\":\"mongodb\",\"connection\":{\"host\":\"h\"}}", NULL)),
	    200);
	ck_assert_ptr_nonnull(strstr(body(), "\"success\":false"));
	ck_assert_ptr_nonnull(strstr(body(), "\"error\":\"unsupported_type\""));
	ck_assert_int_eq(run(h_datasources_test, mkreq("POST", &ods_test_erin,
	    "{\"type\":\"mysql\",\"host\":\"169.254.169.254\"}", NULL)), 200);
	ck_assert_ptr_nonnull(strstr(body(), "\"error\":\"address_refused\""));
	ck_assert_int_eq(run(h_datasources_test, mkreq("POST", &ods_test_erin,
	    "{\"type\":\"postgresql\",\"host\":\"10.0.0.1\"}", NULL)), 200);
	ck_assert_ptr_nonnull(strstr(body(), "\"error\":\"address_refused\""));
	/* A saved source: the refusal is recorded on the row. */
	ck_assert_int_eq(run(h_datasources_create, mkreq("POST", &ods_test_erin,
	    "{\"name\":\"m\",\"source_id\":\"meta\",\"host\":"
	    "\"169.254.169.254\"}", NULL)), 201);
	ck_assert_int_eq(run(h_datasources_test_saved, mkreq("POST", &ods_test_erin,
	    NULL, "meta")), 200);
	ck_assert_ptr_nonnull(strstr(body(), "\"error\":\"address_refused\""));
	ck_assert_int_eq(run(h_datasources_get, mkreq("GET", &ods_test_erin, NULL,
	    "meta")), 200);
	ck_assert_ptr_nonnull(strstr(body(), "\"status\":\"error\""));
}
END_TEST

static const char *const bad[] = {
	"{\"name\":\"x\"}",					/* no host */
	"{\"name\":\"x\",\"host\":\"h\",\"port\":70000}",
	"{\"name\":\"x\",\"host\":\"h\",\"type\":\"nosql\"}",
	"{\"name\":\"x\",\"host\":\"h\",\"tags\":[1]}",
	"{\"name\":\"x\",\"host\":\"h\",\"visibility\":\"all\"}",
	"{\"name\":\"x\",\"host\":\"h\",\"source_id\":\"a b\"}",
	"{\"name\":\"x\",\"host\":\"h\",\"password\":\"env:\"}",
	"{\"name\":\"x\",\"connection\":[]}",
	"{\"host\":\"h\"}",					/* no name */
	/* References only to what is set aside for data sources. */
	"{\"name\":\"x\",\"host\":\"h\",\"password\":\"env:MYSQL_PASSWORD\"}",
	"{\"name\":\"x\",\"host\":\"h\",\"password\":\"env:ODS_DS_\"}",
	"{\"name\":\"x\",\"host\":\"h\",\"password\":\"file:/etc/passwd\"}",
	"{\"name\":\"x\",\"host\":\"h\",\"password\":\"file:/run/secrets/../x\"}",
	"{\"name\":\"x\",\"host\":\"h\",\"password\":\"file:/run/secrets/a/b\"}",
	"[]",
	"{",
};

START_TEST(test_create_names_what_is_wrong)
{
	ck_assert_int_eq(run(h_datasources_create, mkreq("POST", &ods_test_erin,
	    bad[_i], NULL)), 400);
	ck_assert_ptr_nonnull(strstr(body(), "\"code\":400"));
}
END_TEST

static const char *
query_body(const char *id, const char *sql, const char *extra)
{
	return ods_arena_printf(th.arena, "{\"source_id\":\"%s\",\"sql\":"
	    "\"%s\"%s}", id, sql, extra);
}

START_TEST(test_query_names_what_is_wrong)
{
	ck_assert_int_eq(run(h_query_execute, mkreq("POST", &ods_test_erin,
	    "{\"sql\":\"SELECT 1\"}", NULL)), 400);
	ck_assert_ptr_nonnull(strstr(body(), "\"field\":\"source_id\""));
	ck_assert_int_eq(run(h_query_execute, mkreq("POST", &ods_test_erin,
	    "{\"source_id\":\"q1\"}", NULL)), 400);
	ck_assert_ptr_nonnull(strstr(body(), "\"field\":\"sql\""));
	ck_assert_int_eq(run(h_query_execute, mkreq("POST", &ods_test_erin,
	    query_body("q1", "SELECT 1", ",\"format\":\"xml\""), NULL)), 400);
	ck_assert_ptr_nonnull(strstr(body(), "\"field\":\"format\""));
	ck_assert_int_eq(run(h_query_execute, mkreq("POST", &ods_test_erin,
	    query_body("q1", "SELECT 1", ",\"limit\":0"), NULL)), 400);
	ck_assert_ptr_nonnull(strstr(body(), "\"field\":\"limit\""));
	ck_assert_int_eq(run(h_query_execute, mkreq("POST", &ods_test_erin,
	    query_body("nosuch", "SELECT 1", ""), NULL)), 404);
}
END_TEST

START_TEST(test_query_refusals_are_40003_and_kept)
{
	ck_assert_int_eq(run(h_datasources_create, mkreq("POST", &ods_test_erin,
	    create_body("q1", "private", PW), NULL)), 201);
	ck_assert_int_eq(run(h_query_execute, mkreq("POST", &ods_test_erin,
	    query_body("q1", "SELECT 1; DROP TABLE t", ""), NULL)), 400);
	ck_assert_ptr_nonnull(strstr(body(), "\"code\":40003"));
	ck_assert_ptr_nonnull(strstr(body(),
	    "\"error\":\"multiple_statements\""));
	ck_assert_int_eq(run(h_query_execute, mkreq("POST", &ods_test_erin,
	    query_body("q1", "SELECT LOAD_FILE('/etc/passwd')", ""), NULL)),
	    400);
	ck_assert_ptr_nonnull(strstr(body(), "LOAD_FILE reads a file"));
	/* Another user: the private source is not there. */
	ck_assert_int_eq(run(h_query_execute, mkreq("POST", &ods_test_eddy,
	    query_body("q1", "SELECT 1", ""), NULL)), 404);
	ck_assert_int_eq(run(h_query_history, mkreq("GET", &ods_test_erin, NULL,
	    NULL)), 200);
	ck_assert_ptr_nonnull(strstr(body(), "\"total\":2"));
	ck_assert_ptr_nonnull(strstr(body(), "\"status\":\"refused\""));
	ck_assert_ptr_nonnull(strstr(body(), "\"sql\":\"SELECT 1; DROP TABLE t\""));
	ck_assert_int_eq(run(h_query_history, mkreq("GET", &ods_test_eddy, NULL,
	    NULL)), 200);
	ck_assert_ptr_nonnull(strstr(body(), "\"total\":0"));
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("h_datasources");
	TCase	*tc;

	tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc,
	    test_create_seals_the_password_and_never_answers_it);
	tcase_add_test(tc, test_create_without_a_key_takes_only_references);
	tcase_add_test(tc, test_another_users_private_source_is_404);
	tcase_add_test(tc, test_tests_refused_or_unsupported_are_200_failures);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_create_names_what_is_wrong, 0,
	    (int)ODS_NELEM(bad));
	suite_add_tcase(s, tc);

	tc = tcase_create("query");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_query_names_what_is_wrong);
	tcase_add_test(tc, test_query_refusals_are_40003_and_kept);
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
	ods_check_log("check_h_datasources");
	if (ods_test_scratch_create(dsn, 'd', scratch, sizeof(scratch)) < 0) {
		fprintf(stderr, "check_h_datasources: no scratch database\n");
		return 1;
	}
	return 0;
}

const struct ods_check ods_check_program = {
	.suite = suite, .setup = start, .teardown = stop,
};
