/* tests/check_ods_router.c — matching, parameters, 404 and 405. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ods.h"
#include "ods_test.h"
#include "ods_check.h"

static enum ods_status
h_a(struct ods_req *r, struct ods_resp *w)
{
	return ods_resp_raw(w, ODS_HTTP_200, "text/plain", "a", 1);
}

static enum ods_status
h_b(struct ods_req *r, struct ods_resp *w)
{
	return ods_resp_raw(w, ODS_HTTP_200, "text/plain", "b", 1);
}

static const struct ods_route routes[] = {
	{ ODS_GET,    "/datasets",		h_a, ODS_AUTH_OPEN, NULL },
	{ ODS_POST,   "/datasets",		h_b, ODS_AUTH_REQUIRED, NULL },
	{ ODS_GET,    "/datasets/{id}",		h_a, ODS_AUTH_OPEN, NULL },
	{ ODS_GET,    "/datasets/search",	h_b, ODS_AUTH_OPEN, NULL },
	{ ODS_DELETE, "/datasets/{id}/versions/{v}", h_b, ODS_AUTH_OPEN,
	    NULL },
};

static struct ods_arena		*arena;
static struct ods_router	*rt;
static struct ods_req_env	 env;

static void
setup(void)
{
	arena = ods_arena_new(4096);
	rt = ods_router_new(routes, ODS_NELEM(routes));
	ck_assert_ptr_nonnull(rt);
	memset(&env, 0, sizeof(env));
}

static void
teardown(void)
{
	ods_router_free(rt);
	ods_arena_free(arena);
}

static struct ods_req *
mk(const char *method, const char *path)
{
	char	**p = ods_arena_alloc(arena, 3 * sizeof(char *));

	p[0] = ods_arena_printf(arena, "REQUEST_METHOD=%s", method);
	p[1] = ods_arena_printf(arena, "DOCUMENT_URI=%s", path);
	return ods_req_new(arena, p, NULL, &env);
}

START_TEST(test_router_matches_literal_before_param)
{
	const struct ods_route	*r;
	struct ods_req		*q = mk("GET", "/datasets/search");
	char			 allow[64];

	ck_assert_int_eq(ods_router_match(rt, q, &r, allow, sizeof(allow)),
	    ODS_OK);
	ck_assert_str_eq(ods_route_template(r), "/datasets/search");
	q = mk("GET", "/datasets/ds-9/");
	ck_assert_int_eq(ods_router_match(rt, q, &r, allow, sizeof(allow)),
	    ODS_OK);
	ck_assert_str_eq(ods_route_template(r), "/datasets/{id}");
	ck_assert_str_eq(ods_req_param(q, "id"), "ds-9");
}
END_TEST

START_TEST(test_router_captures_several_params)
{
	const struct ods_route	*r;
	struct ods_req		*q = mk("DELETE", "/datasets/a/versions/3");
	char			 allow[64];

	ck_assert_int_eq(ods_router_match(rt, q, &r, allow, sizeof(allow)),
	    ODS_OK);
	ck_assert_str_eq(ods_req_param(q, "id"), "a");
	ck_assert_str_eq(ods_req_param(q, "v"), "3");
}
END_TEST

START_TEST(test_router_head_uses_get)
{
	const struct ods_route	*r;
	char			 allow[64];

	ck_assert_int_eq(ods_router_match(rt, mk("HEAD", "/datasets"), &r,
	    allow, sizeof(allow)), ODS_OK);
	ck_assert_ptr_eq(r->handler, h_a);
}
END_TEST

START_TEST(test_router_unknown_path_is_not_found)
{
	const struct ods_route	*r;
	char			 allow[64];
	char			 longpath[3000];

	ck_assert_int_eq(ods_router_match(rt, mk("GET", "/nope"), &r, allow,
	    sizeof(allow)), ODS_ENOTFOUND);
	ck_assert_int_eq(ods_router_match(rt, mk("GET", "/datasets//x"), &r,
	    allow, sizeof(allow)), ODS_ENOTFOUND);
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	ck_assert_int_eq(ods_router_match(rt, mk("GET", longpath), &r, allow,
	    sizeof(allow)), ODS_ENOTFOUND);
	ck_assert_int_eq(ods_router_match(rt, mk("GET",
	    "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s"), &r, allow,
	    sizeof(allow)), ODS_ENOTFOUND);
}
END_TEST

START_TEST(test_router_wrong_method_lists_allowed)
{
	const struct ods_route	*r;
	char			 allow[64];

	ck_assert_int_eq(ods_router_match(rt, mk("PUT", "/datasets"), &r,
	    allow, sizeof(allow)), ODS_EMETHOD);
	ck_assert_str_eq(allow, "GET, HEAD, POST");
	ck_assert_int_eq(ods_router_match(rt, mk("BREW", "/datasets/x"), &r,
	    allow, sizeof(allow)), ODS_EMETHOD);
	ck_assert_str_eq(allow, "GET, HEAD");
}
END_TEST

START_TEST(test_router_refuses_bad_patterns)
{
	static const struct ods_route	bad1[] = {
		{ ODS_GET, "datasets", h_a, ODS_AUTH_OPEN, NULL } };
	static const struct ods_route	bad2[] = {
		{ ODS_GET, "/a/{id", h_a, ODS_AUTH_OPEN, NULL } };
	static const struct ods_route	bad3[] = {
		{ ODS_GET, "/a//b", h_a, ODS_AUTH_OPEN, NULL } };

	/* Permissions are checked against the RBAC table: a typo refuses. */
	static const struct ods_route	bad4[] = {
		{ ODS_GET, "/a", h_a, ODS_AUTH_REQUIRED, "datset:read" } };
	static const struct ods_route	bad5[] = {
		{ ODS_GET, "/a", h_a, ODS_AUTH_REQUIRED, "dataset:raed" } };
	static const struct ods_route	bad6[] = {
		{ ODS_GET, "/a", h_a, ODS_AUTH_REQUIRED, "dataset" } };
	static const struct ods_route	good[] = {
		{ ODS_GET, "/a", h_a, ODS_AUTH_REQUIRED, "dataset:read" },
		{ ODS_POST, "/b", h_a, ODS_AUTH_REQUIRED, "system:manage" },
		{ ODS_POST, "/c", h_a, ODS_AUTH_REQUIRED, "dataset:import_" },
		{ ODS_GET, "/d", h_a, ODS_AUTH_OPEN, NULL } };
	struct ods_router		*ok;

	ck_assert_ptr_null(ods_router_new(bad1, 1));
	ck_assert_ptr_null(ods_router_new(bad2, 1));
	ck_assert_ptr_null(ods_router_new(bad3, 1));
	ck_assert_ptr_null(ods_router_new(bad4, 1));
	ck_assert_ptr_null(ods_router_new(bad5, 1));
	ck_assert_ptr_null(ods_router_new(bad6, 1));
	ok = ods_router_new(good, ODS_NELEM(good));
	ck_assert_ptr_nonnull(ok);
	ods_router_free(ok);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("ods_router");
	TCase	*core = tcase_create("core");
	TCase	*limits = tcase_create("limits");
	TCase	*errors = tcase_create("errors");

	tcase_add_checked_fixture(core, setup, teardown);
	tcase_add_checked_fixture(limits, setup, teardown);
	tcase_add_checked_fixture(errors, setup, teardown);
	tcase_add_test(core, test_router_matches_literal_before_param);
	tcase_add_test(core, test_router_captures_several_params);
	tcase_add_test(core, test_router_head_uses_get);
	tcase_add_test(limits, test_router_unknown_path_is_not_found);
	tcase_add_test(errors, test_router_wrong_method_lists_allowed);
	tcase_add_test(errors, test_router_refuses_bad_patterns);
	suite_add_tcase(s, core);
	suite_add_tcase(s, limits);
	suite_add_tcase(s, errors);
	return s;
}

const struct ods_check ods_check_program = { .suite = suite };
