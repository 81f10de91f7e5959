/*
 * tests/check_h_jobs.c — the job route handlers (fcgi/common/h_jobs.c) on
 * requests built in memory, against a scratch database "<db>_h<pid>"
 * (needs ODS_TEST_DB_DSN; exits 77 without it): owner check (another
 * user's job is a 404), admin's view, paging numbers, bad input, cancel.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ods.h"
#include "auth/ods_auth.h"
#include "ods_test.h"
#include "../fcgi/common/h_jobs.h"
#include "ods_check.h"
#include "ods_test_db.h"

static const char		*dsn;
static char			 scratch[128];
static struct ods_arena		*arena;
static struct ods_conf		*conf;
static struct ods_db		*db;
static struct fake_io		 fio;
static struct ods_req_io	 io = { fake_read, fake_write, fake_flush, &fio };
static struct ods_req_env	 env;
static int64_t			 a1, a2, b1;

static const char *const user_roles[] = { "user" };
static const char *const admin_roles[] = { "admin" };
static const struct ods_principal alice = {
	.kind = ODS_PRINCIPAL_TOKEN, .user_id = "alice", .username = "alice",
	.roles = user_roles, .nroles = 1,
};
static const struct ods_principal bob = {
	.kind = ODS_PRINCIPAL_TOKEN, .user_id = "bob", .username = "bob",
	.roles = user_roles, .nroles = 1,
};
static const struct ods_principal root = {
	.kind = ODS_PRINCIPAL_TOKEN, .user_id = "root", .username = "root",
	.roles = admin_roles, .nroles = 1,
};

static int64_t
enqueue(const char *by, int64_t delay_ms)
{
	struct ods_jobs_spec	s = { .type = "noop", .created_by = by,
				    .delay_ms = delay_ms };
	int64_t			id = 0;

	ck_assert_int_eq(ods_jobs_enqueue(db, NULL, &s, &id, NULL), ODS_OK);
	return id;
}

static void
setup(void)
{
	arena = ods_arena_new(8192);
	conf = ods_test_conf(dsn, scratch);
	db = ods_db_new(conf, 2);
	memset(&fio, 0, sizeof(fio));
	ods_buf_init(&fio.out, 1 << 20);
	memset(&env, 0, sizeof(env));
	env.conf = conf;
	env.db = db;
	env.service = "data-api";
	env.version = "test";
	ck_assert_int_eq(ods_test_sql(dsn, scratch, "DELETE FROM jobs"), 0);
	a1 = enqueue("alice", 600000);
	a2 = enqueue("alice", 600000);
	b1 = enqueue("bob", 600000);
}

static void
teardown(void)
{
	ods_db_free(db);
	ods_conf_free(conf);
	ods_arena_free(arena);
	ods_buf_free(&fio.out);
}

/* A request as p, with a query string and an {id} (both may be NULL). */
static struct ods_req *
mkreq(const char *method, const struct ods_principal *p, const char *query,
    int64_t id)
{
	char		**env_p = ods_arena_alloc(arena, 4 * sizeof(char *));
	struct ods_req	 *r;

	env_p[0] = ods_arena_printf(arena, "REQUEST_METHOD=%s", method);
	env_p[1] = (char *)"DOCUMENT_URI=/api/v1/jobs";
	env_p[2] = ods_arena_printf(arena, "QUERY_STRING=%s",
	    query != NULL ? query : "");
	env_p[3] = NULL;
	fio.out.len = 0;
	r = ods_req_new(arena, env_p, &io, &env);
	ck_assert_ptr_nonnull(r);
	ods_req_set_principal(r, p);
	/* The value is borrowed: it lives in the arena, like the router's. */
	if (id != 0)
		ck_assert_int_eq(ods_req_param_set(r, "id",
		    ods_arena_printf(arena, "%lld", (long long)id)), ODS_OK);
	return r;
}

static int
run(enum ods_status (*h)(struct ods_req *, struct ods_resp *),
    struct ods_req *r)
{
	return (int)h(r, ods_resp_new(r));
}

static const char *
body(void)
{
	return fake_body(&fio);
}

START_TEST(test_jobs_list_shows_only_the_callers_jobs_with_paging)
{
	ck_assert_int_eq(run(h_jobs_list, mkreq("GET", &alice,
	    "page=1&page_size=1", 0)), 200);
	ck_assert_ptr_nonnull(strstr(body(), "\"created_by\":\"alice\""));
	ck_assert_ptr_null(strstr(body(), "\"created_by\":\"bob\""));
	ck_assert_ptr_nonnull(strstr(body(), "\"total\":2,\"page\":1,"
	    "\"page_size\":1},\"total\":2,\"page\":1,\"page_size\":1"));
	/* created_by is admin's filter only. */
	ck_assert_int_eq(run(h_jobs_list, mkreq("GET", &alice,
	    "created_by=bob", 0)), 200);
	ck_assert_ptr_null(strstr(body(), "\"created_by\":\"bob\""));
	ck_assert_int_eq(run(h_jobs_list, mkreq("GET", &root, NULL, 0)), 200);
	ck_assert_ptr_nonnull(strstr(body(), "\"total\":3"));
	ck_assert_int_eq(run(h_jobs_list, mkreq("GET", &root,
	    "created_by=bob&status=queued&type=noop", 0)), 200);
	ck_assert_ptr_nonnull(strstr(body(), "\"total\":1"));
}
END_TEST

START_TEST(test_jobs_get_is_404_for_another_users_job)
{
	char	want[64];

	snprintf(want, sizeof(want), "\"id\":%lld", (long long)b1);
	ck_assert_int_eq(run(h_jobs_get, mkreq("GET", &alice, NULL, b1)), 404);
	ck_assert_ptr_nonnull(strstr(body(), "\"code\":40401"));
	ck_assert_int_eq(run(h_jobs_get, mkreq("GET", &bob, NULL, b1)), 200);
	ck_assert_ptr_nonnull(strstr(body(), want));
	ck_assert_int_eq(run(h_jobs_get, mkreq("GET", &root, NULL, b1)), 200);
	ck_assert_int_eq(run(h_jobs_get, mkreq("GET", &root, NULL, 0)), 404);
}
END_TEST

START_TEST(test_jobs_cancel_queued_then_conflict)
{
	ck_assert_int_eq(run(h_jobs_cancel, mkreq("POST", &bob, NULL, a1)),
	    404);
	ck_assert_int_eq(run(h_jobs_cancel, mkreq("POST", &alice, NULL, a1)),
	    200);
	ck_assert_ptr_nonnull(strstr(body(), "\"status\":\"cancelled\""));
	ck_assert_ptr_nonnull(strstr(body(), "\"message\":\"job cancelled\""));
	ck_assert_int_eq(run(h_jobs_cancel, mkreq("POST", &alice, NULL, a1)),
	    409);
	ck_assert_int_eq(run(h_jobs_cancel, mkreq("POST", &root, NULL, a2)),
	    200);
}
END_TEST

START_TEST(test_jobs_list_refuses_bad_status_and_paging)
{
	ck_assert_int_eq(run(h_jobs_list, mkreq("GET", &alice, "status=done",
	    0)), 400);
	ck_assert_ptr_nonnull(strstr(body(), "\"code\":40001"));
	ck_assert_int_eq(run(h_jobs_list, mkreq("GET", &alice, "page=x", 0)),
	    400);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("h_jobs");
	TCase	*tc;

	tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc,
	    test_jobs_list_shows_only_the_callers_jobs_with_paging);
	tcase_add_test(tc, test_jobs_get_is_404_for_another_users_job);
	tcase_add_test(tc, test_jobs_cancel_queued_then_conflict);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_jobs_list_refuses_bad_status_and_paging);
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
	ods_check_log("check_h_jobs");
	if (ods_test_scratch_create(dsn, 'h', scratch, sizeof(scratch)) < 0) {
		fprintf(stderr, "check_h_jobs: no scratch database\n");
		return 1;
	}
	return 0;
}

const struct ods_check ods_check_program = {
	.suite = suite, .setup = start, .teardown = stop,
};
