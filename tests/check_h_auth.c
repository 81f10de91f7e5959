/*
 * tests/check_h_auth.c — the auth route handlers (fcgi/common/h_auth.c)
 * on requests built in memory: /auth/me, /auth/refresh against the
 * fixture's token endpoint (Node). The API-key routes need a database:
 * check_ods_auth_store runs them.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ods.h"
#include "auth/ods_auth.h"
#include "ods_test.h"
#include "auth/fixture.h"
#include "../fcgi/common/h_auth.h"
#include "ods_check.h"

static struct ods_arena		*arena;
static struct ods_conf		*conf;
static struct ods_auth		*auth;
static struct fake_io		 fio;
static struct ods_req_io	 io = { fake_read, fake_write, fake_flush, &fio };
static struct ods_req_env	 env;

static const char *const admin_roles[] = { "admin" };
static const struct ods_principal admin_p = {
	ODS_PRINCIPAL_TOKEN, "u-admin", "root", "root@example.com", "Root",
	admin_roles, 1, NULL, NULL, 0, 0, 0, 0
};

static void
setup(void)
{
	char	url[128];

	arena = ods_arena_new(8192);
	conf = ods_conf_new();
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", fx_port);
	ck_assert_int_eq(ods_conf_set(conf, "KEYCLOAK_URL", url, NULL),
	    ODS_OK);
	ck_assert_int_eq(ods_conf_set(conf, "ODS_AUDIT_DB", "false", NULL),
	    ODS_OK);
	auth = ods_auth_new(conf, NULL, NULL);
	ck_assert_ptr_nonnull(auth);
	memset(&fio, 0, sizeof(fio));
	ods_buf_init(&fio.out, 1 << 20);
	memset(&env, 0, sizeof(env));
	env.conf = conf;
	env.auth = auth;
	env.service = "agent-api";
	env.version = "test";
}

static void
teardown(void)
{
	ods_auth_free(auth);
	ods_arena_free(arena);
	ods_conf_free(conf);
	ods_buf_free(&fio.out);
}

static struct ods_req *
mkreq(const char *method, const char *h1, const char *body)
{
	char		**p = ods_arena_alloc(arena, 6 * sizeof(char *));
	struct ods_req	*r;
	size_t		 n = 0;

	p[n++] = ods_arena_printf(arena, "REQUEST_METHOD=%s", method);
	p[n++] = (char *)"DOCUMENT_URI=/api/v1/auth/x";
	if (body != NULL) {
		p[n++] = (char *)"CONTENT_TYPE=application/json";
		p[n++] = ods_arena_printf(arena, "CONTENT_LENGTH=%zu",
		    strlen(body));
	}
	if (h1 != NULL)
		p[n++] = (char *)h1;
	p[n] = NULL;
	fio.in = body;
	fio.inlen = body != NULL ? strlen(body) : 0;
	fio.inoff = 0;
	fio.out.len = 0;
	r = ods_req_new(arena, p, &io, &env);
	ck_assert_ptr_nonnull(r);
	return r;
}

START_TEST(test_me_returns_the_principal)
{
	struct ods_req	*r = mkreq("GET", NULL, NULL);
	struct ods_resp	*w = ods_resp_new(r);

	ods_req_set_principal(r, &admin_p);
	ck_assert_int_eq(h_auth_me(r, w), 200);
	ck_assert_ptr_nonnull(strstr(fake_body(&fio), "\"data\":{\"user_id\":"
	    "\"u-admin\",\"username\":\"root\",\"email\":\"root@example.com\","
	    "\"name\":\"Root\",\"roles\":[\"admin\"]}"));
	r = mkreq("GET", NULL, NULL);
	w = ods_resp_new(r);
	ck_assert_int_eq(h_auth_me(r, w), 401);
}
END_TEST

START_TEST(test_refresh_sets_httponly_cookies)
{
	struct ods_req	*r;
	struct ods_resp	*w;

	/* The cookie of a cross-site form (no JSON, no Origin): refused. */
	r = mkreq("POST", "HTTP_COOKIE=refresh_token=good-refresh", NULL);
	w = ods_resp_new(r);
	ck_assert_int_eq(h_auth_refresh(r, w), 403);
	ck_assert_ptr_nonnull(strstr(fake_body(&fio), "\"error\":\"csrf\""));
	ck_assert_ptr_null(strstr(fio.out.data, "Set-Cookie"));
	/* The same cookie with a JSON request (the web client's). */
	r = mkreq("POST", "HTTP_COOKIE=refresh_token=good-refresh", "{}");
	w = ods_resp_new(r);
	ck_assert_int_eq(h_auth_refresh(r, w), 200);
	ck_assert_ptr_nonnull(strstr(fake_body(&fio),
	    "\"access_token\":\"new-access\""));
	ck_assert_ptr_nonnull(strstr(fio.out.data, "Set-Cookie: access_token="
	    "new-access; Path=/; HttpOnly; SameSite=Lax; Max-Age=300"));
	ck_assert_ptr_nonnull(strstr(fio.out.data, "Set-Cookie: refresh_token="
	    "new-refresh; Path=/; HttpOnly; SameSite=Lax; Max-Age=1800"));
	r = mkreq("POST", NULL, "{\"refresh_token\":\"good-refresh\"}");
	w = ods_resp_new(r);
	ck_assert_int_eq(h_auth_refresh(r, w), 200);
	r = mkreq("POST", NULL, "{\"refresh_token\":\"stale\"}");
	w = ods_resp_new(r);
	ck_assert_int_eq(h_auth_refresh(r, w), 401);
	ck_assert_ptr_nonnull(strstr(fake_body(&fio), "\"code\":40101"));
	r = mkreq("POST", NULL, "{}");
	w = ods_resp_new(r);
	ck_assert_int_eq(h_auth_refresh(r, w), 400);
}
END_TEST

#define CLEARED(n)	"Set-Cookie: " n "=; Path=/; HttpOnly; SameSite=Lax; " \
			"Max-Age=0"

START_TEST(test_logout_revokes_and_clears_cookies)
{
	struct ods_req	*r;
	struct ods_resp	*w;

	/* The web client: cookie and JSON; Keycloak ends the session. */
	r = mkreq("POST", "HTTP_COOKIE=refresh_token=good-refresh", "{}");
	w = ods_resp_new(r);
	ck_assert_int_eq(h_auth_logout(r, w), 200);
	ck_assert_ptr_nonnull(strstr(fio.out.data, CLEARED("access_token")));
	ck_assert_ptr_nonnull(strstr(fio.out.data, CLEARED("refresh_token")));
	ck_assert_ptr_nonnull(strstr(fake_body(&fio), "\"message\":\"Logged "
	    "out successfully\""));
	ck_assert_ptr_nonnull(strstr(fake_body(&fio), "\"data\":{\"revoked\":"
	    "true,\"session\":\"revoked\"}"));
	/* A cross-site form must not log the victim out. */
	r = mkreq("POST", "HTTP_COOKIE=refresh_token=good-refresh", NULL);
	w = ods_resp_new(r);
	ck_assert_int_eq(h_auth_logout(r, w), 403);
	ck_assert_ptr_null(strstr(fio.out.data, "Set-Cookie"));
	/* A token Keycloak no longer knows: nothing to end, still 200. */
	r = mkreq("POST", NULL, "{\"refresh_token\":\"stale\"}");
	w = ods_resp_new(r);
	ck_assert_int_eq(h_auth_logout(r, w), 200);
	ck_assert_ptr_nonnull(strstr(fake_body(&fio), "\"revoked\":false,"
	    "\"session\":\"refresh_token_invalid\""));
	/* No refresh token at all (a bearer-only client). */
	r = mkreq("POST", NULL, NULL);
	w = ods_resp_new(r);
	ck_assert_int_eq(h_auth_logout(r, w), 200);
	ck_assert_ptr_nonnull(strstr(fake_body(&fio),
	    "\"session\":\"no_refresh_token\""));
	ck_assert_ptr_nonnull(strstr(fio.out.data, CLEARED("access_token")));
	/* Keycloak failing: a 502 the client can retry, cookies cleared. */
	r = mkreq("POST", NULL, "{\"refresh_token\":\"down-refresh\"}");
	w = ods_resp_new(r);
	ck_assert_int_eq(h_auth_logout(r, w), 502);
	ck_assert_ptr_nonnull(strstr(fio.out.data, CLEARED("refresh_token")));
	/* A refresh token that is not a string. */
	r = mkreq("POST", NULL, "{\"refresh_token\":5}");
	w = ods_resp_new(r);
	ck_assert_int_eq(h_auth_logout(r, w), 400);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("h_auth");
	TCase	*tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_me_returns_the_principal);
	tcase_add_test(tc, test_refresh_sets_httponly_cookies);
	tcase_add_test(tc, test_logout_revokes_and_clears_cookies);
	suite_add_tcase(s, tc);
	return s;
}

/* The Node fixture (JWKS and token endpoint) for the whole run. */
static int
start(void)
{
	ods_check_log("check_h_auth");
	if (fx_start(ods_check_srcdir()) < 0) {
		fx_stop();
		return ODS_CHECK_SKIP;
	}
	return 0;
}

static int
stop(void)
{
	fx_stop();
	return 0;
}

const struct ods_check ods_check_program = {
	.suite = suite, .setup = start, .teardown = stop,
};
