/*
 * tests/check_ods_auth_store.c — the parts of ods_auth that keep state:
 * API keys (MariaDB), rate limits and the shared JWKS cache (Redis), and
 * audit_logs rows. Needs ODS_TEST_DB_DSN, ODS_TEST_REDIS_URL and Node;
 * exits 77 without them. Works in a scratch database "<db>_a<pid>",
 * migrated from sql/ and dropped at the end.
 */
#include "config.h"


#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "ods.h"
#include "auth/ods_auth.h"
#include "ods_test.h"
#include "auth/fixture.h"
#include "../fcgi/common/h_auth.h"
#include "ods_check.h"
#include "ods_test_db.h"

#define HS_KEY	"store-test-hs256-secret-0123456789abcdef"

static const char	*dsn, *redis_url;
static char		 scratch[128];
static struct ods_arena	*arena;
static struct ods_conf	*conf;
static struct ods_db	*db;
static struct ods_redis	*redis;
static struct ods_auth	*auth;
static struct fake_io	 fio;
static struct ods_req_io io = { fake_read, fake_write, fake_flush, &fio };
static struct ods_req_env env;
static const char	*remote;	/* REMOTE_ADDR of mkreq */

static enum ods_status
h_none(struct ods_req *r, struct ods_resp *w)
{
	(void)r;
	return ods_resp_error(w, ODS_EINTERNAL, NULL);
}

static const struct ods_route r_me = { ODS_GET, "/auth/me", h_none,
	ODS_AUTH_REQUIRED, NULL };
static const struct ods_route r_write = { ODS_POST, "/datasets", h_none,
	ODS_AUTH_REQUIRED, "dataset:create" };

static void
set(const char *name, const char *value)
{
	ck_assert_int_eq(ods_conf_set(conf, name, value, NULL), ODS_OK);
}

static void
setup(void)
{
	arena = ods_arena_new(8192);
	conf = ods_conf_new();
	ck_assert_int_eq(ods_conf_set_db_dsn(conf, dsn), ODS_OK);
	free(conf->mysql_database);
	conf->mysql_database = strdup(scratch);
	set("REDIS_URL", redis_url);
	set("JWT_SECRET_KEY", HS_KEY);
	set("JWT_ALLOWED_AUDIENCES", "web-frontend");
	db = ods_db_new(conf, 2);
	redis = ods_redis_new(conf, 2);
	ck_assert_ptr_nonnull(redis);
	auth = ods_auth_new(conf, db, redis);
	ck_assert_ptr_nonnull(auth);
	/* Refused credentials of earlier tests count for 127.0.0.7. */
	remote = "127.0.0.7";
	ck_assert_int_eq(ods_redis_del(redis, "ods:af:ip:127.0.0.7", NULL),
	    ODS_OK);
	memset(&fio, 0, sizeof(fio));
	ods_buf_init(&fio.out, 1 << 20);
	memset(&env, 0, sizeof(env));
	env.conf = conf;
	env.service = "data-api";
	env.version = "test";
}

static void
teardown(void)
{
	ods_auth_free(auth);
	auth = NULL;
	ods_redis_free(redis);
	ods_db_free(db);
	ods_arena_free(arena);
	ods_conf_free(conf);
	ods_buf_free(&fio.out);
}

static int64_t
scalar(const char *sql, const char *arg)
{
	return ods_test_scalar(db, sql, arg);
}

static struct ods_req *
mkreq(const char *method, const char *uri, const char *h1)
{
	char		**p = ods_arena_alloc(arena, 6 * sizeof(char *));
	struct ods_req	*r;
	size_t		 n = 0;

	p[n++] = ods_arena_printf(arena, "REQUEST_METHOD=%s", method);
	p[n++] = ods_arena_printf(arena, "DOCUMENT_URI=%s", uri);
	p[n++] = ods_arena_printf(arena, "REMOTE_ADDR=%s", remote);
	p[n++] = ods_arena_printf(arena, "REQUEST_ID=rq-%ld-%ld",
	    (long)getpid(), random());
	if (h1 != NULL)
		p[n++] = (char *)h1;
	p[n] = NULL;
	fio.out.len = 0;
	fio.in = NULL;
	fio.inlen = fio.inoff = 0;
	r = ods_req_new(arena, p, &io, &env);
	ck_assert_ptr_nonnull(r);
	return r;
}

static enum ods_err
check(struct ods_req *r, const struct ods_route *rt, struct ods_resp **wp)
{
	*wp = ods_resp_new(r);
	ck_assert_ptr_nonnull(*wp);
	return ods_auth_check(auth, r, rt, *wp);
}

static char *
bearer(const char *tok)
{
	return ods_arena_printf(arena, "HTTP_AUTHORIZATION=Bearer %s", tok);
}

/* ---- API keys ---- */

static const char *const models[] = { "gpt-a", "gpt-b" };

START_TEST(test_apikey_is_shown_once_and_stored_hashed)
{
	struct ods_apikey_spec	 s = { "owner-1", "ci key", models, 2, 60, 0,
	    0, "admin" };
	struct ods_apikey	 k, *list;
	unsigned char		 md[SHA256_DIGEST_LENGTH];
	char			*secret, hex[65], prefix[32];
	struct ods_buf		 b;
	struct ods_jw		 jw;
	size_t			 n, i;

	ck_assert_int_eq(ods_apikey_create(db, &s, &secret, &k), ODS_OK);
	ck_assert_int_eq(strncmp(secret, "sk-ods-", 7), 0);
	ck_assert_uint_eq(strlen(secret), 50);
	SHA256((const unsigned char *)secret, strlen(secret), md);
	for (i = 0; i < sizeof(md); i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	ck_assert_int_eq(scalar("SELECT COUNT(*) FROM api_keys WHERE "
	    "key_hash = ?", hex), 1);
	/* the secret itself is nowhere in the table */
	ck_assert_int_eq(scalar("SELECT COUNT(*) FROM api_keys WHERE "
	    "CONCAT_WS('|', key_id, key_prefix, key_hash, owner, name) LIKE "
	    "CONCAT('%', ?, '%')", secret + 7), 0);
	snprintf(prefix, sizeof(prefix), "%.15s", secret);
	ck_assert_str_eq(k.prefix, prefix);
	ck_assert_int_eq(ods_apikey_list(db, "owner-1", &list, &n), ODS_OK);
	ck_assert_uint_ge(n, 1);
	ods_buf_init(&b, 1 << 20);
	ods_jw_init(&jw, &b);
	ods_jw_arr(&jw);
	for (i = 0; i < n; i++)
		ods_apikey_json(&jw, &list[i]);
	ods_jw_end(&jw);
	ck_assert_ptr_nonnull(strstr(b.data, k.key_id));
	ck_assert_ptr_null(strstr(b.data, secret + 7));
	ck_assert_ptr_null(strstr(b.data, hex));
	ck_assert_ptr_nonnull(strstr(b.data, "\"allowed_models\":[\"gpt-a\","));
	ods_buf_free(&b);
	ods_apikey_list_free(list, n);
	ods_apikey_fini(&k);
	free(secret);
}
END_TEST

START_TEST(test_apikey_verify_revoke_expiry_and_models)
{
	struct ods_apikey_spec	 s = { "owner-2", "proxy", models, 2, 0, 0,
	    0, NULL };
	struct ods_apikey	 k, v;
	struct ods_req		*r;
	struct ods_resp		*w;
	const struct ods_principal *p;
	char			*secret;

	ck_assert_int_eq(ods_apikey_create(db, &s, &secret, &k), ODS_OK);
	ck_assert_int_eq(ods_apikey_verify(db, secret, &v), ODS_OK);
	ck_assert_str_eq(v.owner, "owner-2");
	ck_assert_uint_eq(v.nmodels, 2);
	ods_apikey_fini(&v);
	r = mkreq("GET", "/v1/models", bearer(secret));
	ck_assert_int_eq(check(r, &r_me, &w), ODS_OK);
	p = ods_req_principal(r);
	ck_assert_int_eq(p->kind, ODS_PRINCIPAL_APIKEY);
	ck_assert_str_eq(p->key_id, k.key_id);
	ck_assert(ods_principal_model_allowed(p, "gpt-b"));
	ck_assert(!ods_principal_model_allowed(p, "gpt-x"));
	/* a key has no role: RBAC routes refuse it */
	r = mkreq("POST", "/datasets", bearer(secret));
	ck_assert_int_eq(check(r, &r_write, &w), ODS_EFORBIDDEN);
	ck_assert_int_eq(ods_apikey_revoke(db, k.key_id, "admin"), ODS_OK);
	ck_assert_int_eq(ods_apikey_revoke(db, k.key_id, "admin"), ODS_OK);
	ck_assert_int_eq(ods_apikey_revoke(db, "ak_nope", "admin"),
	    ODS_ENOTFOUND);
	ck_assert_int_eq(ods_apikey_verify(db, secret, &v), ODS_EAUTH);
	r = mkreq("GET", "/v1/models", bearer(secret));
	ck_assert_int_eq(check(r, &r_me, &w), ODS_EAUTH);
	ck_assert_int_eq(ods_apikey_verify(db, "sk-ods-short", &v), ODS_EAUTH);
	ods_apikey_fini(&k);
	free(secret);

	s.models = NULL;
	s.nmodels = 0;
	s.expires_at = time(NULL) + 3600;
	ck_assert_int_eq(ods_apikey_create(db, &s, &secret, &k), ODS_OK);
	ck_assert_int_eq(ods_apikey_verify(db, secret, &v), ODS_OK);
	ck_assert_ptr_null(v.models);
	ods_apikey_fini(&v);
	ck_assert_int_eq(scalar("SELECT COUNT(*) FROM api_keys WHERE key_id = "
	    "? AND expires_at > NOW()", k.key_id), 1);
	{
		struct ods_db_conn	*c = NULL;
		struct ods_db_arg	 a[1] = { ods_db_text(k.key_id) };

		ck_assert_int_eq(ods_db_acquire(db, &c), ODS_OK);
		ck_assert_int_eq(ods_db_exec(c, "UPDATE api_keys SET expires_at "
		    "= NOW(3) - INTERVAL 1 SECOND WHERE key_id = ?", a, 1,
		    NULL), ODS_OK);
		ods_db_release(c);
	}
	ck_assert_int_eq(ods_apikey_verify(db, secret, &v), ODS_EAUTH);
	free(secret);
	s.expires_at = time(NULL) - 10;
	ck_assert_int_eq(ods_apikey_create(db, &s, &secret, NULL), ODS_EINVAL);
	s.expires_at = 0;
	s.owner = "";
	ck_assert_int_eq(ods_apikey_create(db, &s, &secret, NULL), ODS_EINVAL);
	ck_assert_ptr_null(secret);
	ods_apikey_fini(&k);
}
END_TEST

/* ---- the admin routes (fcgi/common/h_auth.c) ---- */

START_TEST(test_apikey_routes_create_list_revoke)
{
	static const char *const roles[] = { "admin" };
	static const struct ods_principal adm = { ODS_PRINCIPAL_TOKEN, "u-adm",
	    "root", "", "", roles, 1, NULL, NULL, 0, 0, 0, 0 };
	struct ods_req	*r;
	struct ods_resp	*w;
	char		 id[40], secret[64], *p, *body;

	env.db = db;
	r = mkreq("POST", "/api-keys", "CONTENT_TYPE=application/json");
	body = "{\"name\":\"ci\",\"allowed_models\":[\"m1\"],\"rpm\":10,"
	    "\"expires_in_days\":30}";
	fio.in = body;
	fio.inlen = strlen(body);
	ods_req_set_principal(r, &adm);
	w = ods_resp_new(r);
	ck_assert_int_eq(h_apikeys_create(r, w), 201);
	ck_assert_ptr_nonnull(strstr(fake_body(&fio), "\"api_key\":\"sk-ods-"));
	ck_assert_ptr_nonnull(strstr(fake_body(&fio), "\"owner\":\"u-adm\""));
	p = strstr(fake_body(&fio), "\"api_key\":\"") + 11;
	snprintf(secret, sizeof(secret), "%.*s", (int)strcspn(p, "\""), p);
	ck_assert_uint_eq(strlen(secret), 50);
	p = strstr(fake_body(&fio), "\"key_id\":\"") + 10;
	snprintf(id, sizeof(id), "%.*s", (int)strcspn(p, "\""), p);
	r = mkreq("GET", "/api-keys", NULL);
	w = ods_resp_new(r);
	ck_assert_int_eq(h_apikeys_list(r, w), 200);
	ck_assert_ptr_nonnull(strstr(fake_body(&fio), id));
	ck_assert_ptr_null(strstr(fake_body(&fio), secret + 15));
	r = mkreq("DELETE", "/api-keys/x", NULL);
	ck_assert_int_eq(ods_req_param_set(r, "id", id), ODS_OK);
	ods_req_set_principal(r, &adm);
	w = ods_resp_new(r);
	ck_assert_int_eq(h_apikeys_revoke(r, w), 200);
	r = mkreq("DELETE", "/api-keys/x", NULL);
	ck_assert_int_eq(ods_req_param_set(r, "id", "ak_missing"), ODS_OK);
	w = ods_resp_new(r);
	ck_assert_int_eq(h_apikeys_revoke(r, w), 404);
	r = mkreq("POST", "/api-keys", "CONTENT_TYPE=application/json");
	fio.in = "{\"name\":\"x\",\"allowed_models\":\"m1\"}";
	fio.inlen = strlen(fio.in);
	w = ods_resp_new(r);
	ck_assert_int_eq(h_apikeys_create(r, w), 400);
}
END_TEST

/* ---- rate limits ---- */

static char *
user_token(const char *roles)
{
	char	sub[64], *t = NULL;

	snprintf(sub, sizeof(sub), "rl-%ld-%ld", (long)getpid(), random());
	ck_assert_int_eq(ods_auth_mint_hs256(conf, sub, NULL, roles, 600, &t),
	    ODS_OK);
	return t;
}

START_TEST(test_rate_limit_101st_request_is_429_with_headers)
{
	char		*t = user_token("admin"), h[64], *auth_h;
	struct ods_req	*r;
	struct ods_resp	*w;
	int		 i;

	auth_h = bearer(t);
	for (i = 1; i <= 100; i++) {
		r = mkreq("GET", "/auth/me", auth_h);
		ck_assert_int_eq(check(r, &r_me, &w), ODS_OK);
	}
	r = mkreq("GET", "/auth/me", auth_h);
	ck_assert_int_eq(check(r, &r_me, &w), ODS_ELIMIT);
	ck_assert_int_eq(ods_resp_status(w), 429);
	ck_assert_ptr_nonnull(strstr(fake_body(&fio), "\"code\":42900"));
	ck_assert_ptr_nonnull(fake_header(&fio, "Retry-After", h, sizeof(h)));
	ck_assert_int_ge(atoi(h), 1);
	ck_assert_int_le(atoi(h), 60);
	ck_assert_str_eq(fake_header(&fio, "X-RateLimit-Limit", h, sizeof(h)),
	    "100");
	ck_assert_str_eq(fake_header(&fio, "X-RateLimit-Remaining", h,
	    sizeof(h)), "0");
	ck_assert_ptr_nonnull(fake_header(&fio, "X-RateLimit-Reset", h,
	    sizeof(h)));
	ck_assert_int_ge(atoll(h), (long long)time(NULL));
	/* writes are another class: still allowed */
	r = mkreq("POST", "/datasets", auth_h);
	ck_assert_int_eq(check(r, &r_write, &w), ODS_OK);
	free(t);
}
END_TEST

START_TEST(test_rate_limit_remaining_counts_down_and_burst_caps_classes)
{
	char		*t = user_token("admin"), h[64], *auth_h;
	struct ods_req	*r;
	struct ods_resp	*w;
	int		 i;

	set("ODS_RATE_LIMIT_BURST", "5");
	ods_auth_free(auth);
	auth = ods_auth_new(conf, db, redis);
	auth_h = bearer(t);
	for (i = 0; i < 3; i++) {
		r = mkreq("GET", "/auth/me", auth_h);
		ck_assert_int_eq(check(r, &r_me, &w), ODS_OK);
		/* the headers go out with whatever the handler answers */
		ods_resp_raw(w, ODS_HTTP_200, "text/plain", "ok", 2);
		ck_assert_str_eq(fake_header(&fio, "X-RateLimit-Limit", h,
		    sizeof(h)), "100");
		ck_assert_int_eq(atoi(fake_header(&fio,
		    "X-RateLimit-Remaining", h, sizeof(h))), 4 - i);
	}
	for (i = 0; i < 2; i++) {
		r = mkreq("POST", "/datasets", auth_h);
		ck_assert_int_eq(check(r, &r_write, &w), ODS_OK);
	}
	r = mkreq("POST", "/datasets", auth_h);
	ck_assert_int_eq(check(r, &r_write, &w), ODS_ELIMIT);
	free(t);
}
END_TEST

START_TEST(test_rate_limit_redis_down_fails_open_or_closed)
{
	struct ods_redis	*dead;
	struct ods_auth		*a;
	struct ods_req		*r;
	struct ods_resp		*w;
	char			*t = user_token("viewer");

	set("REDIS_URL", "redis://127.0.0.1:1/0");
	dead = ods_redis_new(conf, 1);
	a = ods_auth_new(conf, db, dead);
	r = mkreq("GET", "/auth/me", bearer(t));
	w = ods_resp_new(r);
	ck_assert_int_eq(ods_auth_check(a, r, &r_me, w), ODS_OK);
	ck_assert_int_eq(ods_auth_ratelimit_healthy(a), 0);
	ods_auth_free(a);
	set("ODS_RATE_LIMIT_FAIL_OPEN", "false");
	a = ods_auth_new(conf, db, dead);
	r = mkreq("GET", "/auth/me", bearer(t));
	w = ods_resp_new(r);
	ck_assert_int_eq(ods_auth_check(a, r, &r_me, w), ODS_EUNAVAIL);
	ck_assert_int_eq(ods_resp_status(w), 503);
	ods_auth_free(a);
	ods_redis_free(dead);
	ck_assert_int_eq(ods_auth_ratelimit_healthy(auth), 1);
	free(t);
}
END_TEST

START_TEST(test_rate_limit_uses_the_api_key_rpm)
{
	struct ods_apikey_spec	 s = { "owner-3", "rpm", NULL, 0, 3, 0, 0,
	    NULL };
	struct ods_req		*r;
	struct ods_resp		*w;
	char			*secret, h[32];
	int			 i;

	ck_assert_int_eq(ods_apikey_create(db, &s, &secret, NULL), ODS_OK);
	for (i = 0; i < 3; i++) {
		r = mkreq("GET", "/v1/models", bearer(secret));
		ck_assert_int_eq(check(r, &r_me, &w), ODS_OK);
	}
	r = mkreq("GET", "/v1/models", bearer(secret));
	ck_assert_int_eq(check(r, &r_me, &w), ODS_ELIMIT);
	ck_assert_str_eq(fake_header(&fio, "X-RateLimit-Limit", h, sizeof(h)),
	    "3");
	free(secret);
}
END_TEST

/* ---- app keys (ODS_AUTH_APP) ---- */

static const struct ods_route r_app = { ODS_GET, "/apps/{id}/info", h_none,
	ODS_AUTH_APP, "agent:read" };
static const struct ods_route r_v1 = { ODS_POST, "/v1/chat/completions",
	h_none, ODS_AUTH_REQUIRED, ODS_PERM_MODEL_USE };

/* A request of route rt for app id with credential h1. */
static enum ods_err
app_call(const struct ods_route *rt, const char *id, const char *h1)
{
	struct ods_req	*r;
	struct ods_resp	*w;

	r = mkreq(rt->method == ODS_GET ? "GET" : "POST", rt->pattern, h1);
	if (id != NULL)
		ck_assert_int_eq(ods_req_param_set(r, "id", id), ODS_OK);
	return check(r, rt, &w);
}

START_TEST(test_app_key_is_valid_only_on_its_app_routes)
{
	struct ods_apikey_spec	 s = { "owner-app", "app key", NULL, 0, 0, 0,
	    0, NULL, "app-aaaaaaaaaaaa" };
	struct ods_apikey	 k, *list;
	const struct ods_principal *p;
	struct ods_req		*r;
	struct ods_resp		*w;
	char			*app, *plain, *tok;
	size_t			 n;

	ck_assert_int_eq(ods_apikey_create(db, &s, &app, &k), ODS_OK);
	ck_assert_str_eq(k.app_id, "app-aaaaaaaaaaaa");
	s.app_id = NULL;
	ck_assert_int_eq(ods_apikey_create(db, &s, &plain, NULL), ODS_OK);
	/* Its own app's route: accepted without any role, app_id set. */
	r = mkreq("GET", "/apps/app-aaaaaaaaaaaa/info", bearer(app));
	ck_assert_int_eq(ods_req_param_set(r, "id", "app-aaaaaaaaaaaa"),
	    ODS_OK);
	ck_assert_int_eq(check(r, &r_app, &w), ODS_OK);
	p = ods_req_principal(r);
	ck_assert_str_eq(p->app_id, "app-aaaaaaaaaaaa");
	ck_assert_str_eq(p->key_id, k.key_id);
	/* Another app, a route of no app, /v1, a route with no perm. */
	ck_assert_int_eq(app_call(&r_app, "app-bbbbbbbbbbbb", bearer(app)),
	    ODS_EFORBIDDEN);
	ck_assert_ptr_nonnull(strstr(fake_body(&fio), "\"app_key_scope\""));
	ck_assert_int_eq(app_call(&r_v1, NULL, bearer(app)), ODS_EFORBIDDEN);
	ck_assert_int_eq(app_call(&r_me, NULL, bearer(app)), ODS_EFORBIDDEN);
	ck_assert_int_eq(app_call(&r_write, NULL, bearer(app)),
	    ODS_EFORBIDDEN);
	/* A /v1 key is not an app's: refused on the app route, not on /v1. */
	ck_assert_int_eq(app_call(&r_app, "app-aaaaaaaaaaaa", bearer(plain)),
	    ODS_EFORBIDDEN);
	ck_assert_int_eq(app_call(&r_v1, NULL, bearer(plain)), ODS_OK);
	r = mkreq("GET", "/v1/models", bearer(plain));
	ck_assert_int_eq(check(r, &r_me, &w), ODS_OK);
	ck_assert_ptr_null(ods_req_principal(r)->app_id);
	/* A JWT passes by the route's perm; no credential is a 401. */
	tok = user_token("user");
	ck_assert_int_eq(app_call(&r_app, "app-aaaaaaaaaaaa", bearer(tok)),
	    ODS_OK);
	free(tok);
	tok = user_token("guest");
	ck_assert_int_eq(app_call(&r_app, "app-aaaaaaaaaaaa", bearer(tok)),
	    ODS_EFORBIDDEN);
	free(tok);
	ck_assert_int_eq(app_call(&r_app, "app-aaaaaaaaaaaa", NULL), ODS_EAUTH);
	/* Listed under its app; revoked only through it; then refused. */
	ck_assert_int_eq(ods_apikey_list_app(db, "app-aaaaaaaaaaaa", &list,
	    &n), ODS_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(list[0].key_id, k.key_id);
	ods_apikey_list_free(list, n);
	ck_assert_int_eq(ods_apikey_revoke_app(db, "app-bbbbbbbbbbbb",
	    k.key_id, "u"), ODS_ENOTFOUND);
	ck_assert_int_eq(ods_apikey_revoke_app(db, "app-aaaaaaaaaaaa",
	    k.key_id, "u"), ODS_OK);
	ck_assert_int_eq(app_call(&r_app, "app-aaaaaaaaaaaa", bearer(app)),
	    ODS_EAUTH);
	s.app_id = "";
	ck_assert_int_eq(ods_apikey_create(db, &s, &tok, NULL), ODS_EINVAL);
	ods_apikey_fini(&k);
	free(app);
	free(plain);
}
END_TEST

/* ---- refused credentials per client address ---- */

START_TEST(test_refused_credentials_past_the_limit_get_429_before_auth)
{
	char		*good = user_token("admin"), ip[32], h[32];
	struct ods_req	*r;
	struct ods_resp	*w;
	int		 i;

	set("ODS_AUTH_FAIL_LIMIT", "3");
	ods_auth_free(auth);
	auth = ods_auth_new(conf, db, redis);
	snprintf(ip, sizeof(ip), "10.%ld.%ld.%ld", random() % 250,
	    random() % 250, random() % 250 + 1);
	remote = ip;
	for (i = 0; i < 3; i++) {
		r = mkreq("GET", "/auth/me", i == 1 ? NULL :
		    bearer("bad.token.x"));
		ck_assert_int_eq(check(r, &r_me, &w), ODS_EAUTH);
	}
	/* Past the limit nothing is looked at, not even a good token. */
	r = mkreq("GET", "/auth/me", bearer(good));
	ck_assert_int_eq(check(r, &r_me, &w), ODS_ELIMIT);
	ck_assert_int_eq(ods_resp_status(w), 429);
	ck_assert_ptr_nonnull(strstr(fake_body(&fio), "\"code\":42900"));
	ck_assert_ptr_nonnull(fake_header(&fio, "Retry-After", h, sizeof(h)));
	ck_assert_int_ge(atoi(h), 1);
	ck_assert_int_le(atoi(h), 60);
	r = mkreq("POST", "/datasets", bearer("bad.token.x"));
	ck_assert_int_eq(check(r, &r_write, &w), ODS_ELIMIT);
	/* Another address is not concerned. */
	remote = "127.0.0.7";
	r = mkreq("GET", "/auth/me", bearer(good));
	ck_assert_int_eq(check(r, &r_me, &w), ODS_OK);
	free(good);
}
END_TEST

static char *
capture_stderr(void (*fn)(void))
{
	char	 path[] = "/tmp/ods-auth-store.XXXXXX", *buf;
	int	 fd, saved;
	FILE	*fp;
	long	 n;

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	saved = dup(2);
	dup2(fd, 2);
	fn();
	dup2(saved, 2);
	close(saved);
	fp = fdopen(fd, "r");
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = calloc(1, (size_t)n + 1);
	ck_assert_int_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	unlink(path);
	return buf;
}

static char	*limited_tok;

static void
limited_request(void)
{
	struct ods_req	*r;
	struct ods_resp	*w;

	r = mkreq("GET", "/auth/me who=forged method=FORGED", bearer(
	    limited_tok));
	ck_assert_int_eq(check(r, &r_me, &w), ODS_ELIMIT);
}

START_TEST(test_rate_limited_line_names_the_route_not_the_path)
{
	struct ods_req	*r;
	struct ods_resp	*w;
	char		*log;

	set("ODS_RATE_LIMIT_DEFAULT", "1/minute");
	conf->rate_limit_count = 1;	/* derived when the conf is checked */
	ods_auth_free(auth);
	auth = ods_auth_new(conf, db, redis);
	limited_tok = user_token("admin");
	r = mkreq("GET", "/auth/me", bearer(limited_tok));
	ck_assert_int_eq(check(r, &r_me, &w), ODS_OK);
	ods_log_min = ODS_LOG_INFO;
	log = capture_stderr(limited_request);
	ck_assert_ptr_nonnull(strstr(log, "\"msg\":\"rate_limited\""));
	ck_assert_ptr_nonnull(strstr(log, "\"route\":\"/auth/me\""));
	ck_assert_ptr_nonnull(strstr(log, "\"method\":\"GET\""));
	ck_assert_ptr_null(strstr(log, "forged"));
	ck_assert_ptr_null(strstr(log, "FORGED"));
	free(log);
	free(limited_tok);
}
END_TEST

/* ---- audit rows ---- */

START_TEST(test_audit_rows_for_writes_and_auth_failures)
{
	char		*t = user_token("admin"), rid[64], rid2[64];
	struct ods_req	*r;
	struct ods_resp	*w;

	r = mkreq("POST", "/datasets", bearer(t));
	ck_assert_int_eq(check(r, &r_write, &w), ODS_OK);
	snprintf(rid, sizeof(rid), "%s", ods_req_id(r));
	ods_auth_after(auth, r, &r_write, 201);
	r = mkreq("POST", "/datasets", bearer("not.a.token"));
	ck_assert_int_eq(check(r, &r_write, &w), ODS_EAUTH);
	snprintf(rid2, sizeof(rid2), "%s", ods_req_id(r));
	ods_auth_free(auth);		/* flushes the writer */
	auth = NULL;
	ck_assert_int_eq(scalar("SELECT COUNT(*) FROM audit_logs WHERE "
	    "request_id = ? AND action = 'api_call' AND status = 'success' AND "
	    "http_status = 201 AND route = '/datasets' AND http_method = "
	    "'POST' AND resource_type = 'dataset' AND user_id LIKE 'rl-%'",
	    rid), 1);
	ck_assert_int_eq(scalar("SELECT COUNT(*) FROM audit_logs WHERE "
	    "request_id = ? AND action = 'login_failed' AND status = 'failure'"
	    " AND http_status = 401 AND error_code = 'malformed' AND "
	    "ip_address = '127.0.0.7'", rid2), 1);
	ck_assert_int_eq(scalar("SELECT COUNT(*) FROM audit_logs WHERE "
	    "CONCAT_WS('|', user_id, username, error_message, user_agent, "
	    "route) LIKE CONCAT('%', ?, '%')", strrchr(t, '.') + 1), 0);
	free(t);
}
END_TEST

START_TEST(test_audit_rows_arrive_in_batches_past_a_refused_row)
{
	struct ods_req	*r;
	struct ods_resp	*w;
	char		 ua[64], bad_rid[64];
	int		 i;

	snprintf(ua, sizeof(ua), "HTTP_USER_AGENT=batch-%ld", (long)getpid());
	/*
	 * 600 rows: more than one batch, and faster than the interval. Writes
	 * (refusals would be capped as repeats).
	 */
	(void)w;
	for (i = 0; i < 600; i++) {
		r = mkreq("POST", "/datasets", ua);
		ods_auth_after(auth, r, &r_write, 201);
		if (i == 300) {
			/* A user agent MariaDB refuses: not UTF-8. */
			r = mkreq("POST", "/datasets",
			    "HTTP_USER_AGENT=bad \xff\xfe agent");
			ods_auth_after(auth, r, &r_write, 201);
			snprintf(bad_rid, sizeof(bad_rid), "%s", ods_req_id(r));
		}
	}
	ods_auth_free(auth);		/* flushes the writer */
	auth = NULL;
	ck_assert_int_eq(scalar("SELECT COUNT(*) FROM audit_logs WHERE "
	    "user_agent = ? AND action = 'api_call'", ua + 16), 600);
	ck_assert_int_eq(scalar("SELECT COUNT(*) FROM audit_logs WHERE "
	    "request_id = ?", bad_rid), 0);
}
END_TEST

START_TEST(test_audit_rows_of_repeated_refusals_are_capped_and_short)
{
	struct ods_req	*r;
	struct ods_resp	*w;
	char		 ua[700], ip[32];
	int		 i;

	snprintf(ip, sizeof(ip), "10.%ld.%ld.%ld", random() % 250,
	    random() % 250, random() % 250 + 1);
	remote = ip;
	memcpy(ua, "HTTP_USER_AGENT=", 16);
	memset(ua + 16, 'u', 600);
	ua[616] = '\0';
	/* 50 identical bad tokens: 5 rows (ODS_AUDIT_REPEAT_MAX) */
	for (i = 0; i < 50; i++) {
		r = mkreq("POST", "/datasets", ods_arena_printf(arena,
		    "HTTP_AUTHORIZATION=Bearer bad.%d.x", i));
		ck_assert_int_eq(check(r, &r_write, &w), ODS_EAUTH);
	}
	r = mkreq("POST", "/datasets", ua);
	ck_assert_int_eq(check(r, &r_write, &w), ODS_EAUTH);
	ods_auth_free(auth);		/* flushes the writer */
	auth = NULL;
	ck_assert_int_eq(scalar("SELECT COUNT(*) FROM audit_logs WHERE "
	    "ip_address = ? AND error_code = 'malformed'", ip), 5);
	ck_assert_int_eq(scalar("SELECT MAX(LENGTH(user_agent)) FROM "
	    "audit_logs WHERE ip_address = ?", ip), 200);
}
END_TEST

/* ---- JWKS shared through Redis ---- */

START_TEST(test_jwks_is_shared_between_workers_through_redis)
{
	struct ods_auth		*w1, *w2;
	const struct ods_principal *p;
	const char		*why;
	char			 set_name[64], url[256], c[512], *t;
	long			 now = (long)time(NULL);

	snprintf(set_name, sizeof(set_name), "shared%ld", (long)getpid());
	fx_jwks(set_name, "k1");
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/%s/certs", fx_port,
	    set_name);
	set("KEYCLOAK_JWKS_URL", url);
	set("JWT_ISSUERS", "http://kc/realms/r");
	snprintf(c, sizeof(c), "{\"iss\":\"http://kc/realms/r\",\"aud\":"
	    "\"web-frontend\",\"sub\":\"s\",\"exp\":%ld}", now + 300);
	t = fx_mint("--alg RS256 --key %s/k1.key.pem --kid k1 --claims '%s'",
	    fx_dir, c);
	set("ODS_JWKS_CACHE_KEY", "jwks-cache-key-0123456789abcdef-0123");
	w1 = ods_auth_new(conf, db, redis);
	w2 = ods_auth_new(conf, db, redis);
	ck_assert_int_eq(ods_auth_verify(w1, t, arena, &p, &why), ODS_OK);
	ck_assert_int_eq(ods_auth_verify(w2, t, arena, &p, &why), ODS_OK);
	ck_assert_uint_eq(ods_auth_jwks_fetches(w1), 1);
	ck_assert_uint_eq(ods_auth_jwks_fetches(w2), 0);
	ck_assert_int_eq(fx_count(set_name), 1);
	ods_auth_free(w1);
	ods_auth_free(w2);
	free(t);
}
END_TEST

/* Write value as the shared JWKS copy of url. */
static void
plant(const char *url, const char *value, size_t len)
{
	char	h[65], key[64];

	ods_sha256_hex(url, strlen(url), h);
	snprintf(key, sizeof(key), "ods:jwks:doc:%.16s", h);
	ck_assert_int_eq(ods_redis_set(redis, key, value, len, 600000, 0),
	    ODS_OK);
}

static char *
slurp(const char *path, size_t *len)
{
	FILE	*fp = fopen(path, "r");
	char	*buf = calloc(1, 1 << 20);

	ck_assert_ptr_nonnull(fp);
	*len = fread(buf, 1, (1 << 20) - 1, fp);
	fclose(fp);
	return buf;
}

/* A fresh worker verifies tok; returns what it says. */
static enum ods_err
fresh_verify(const char *tok, const char **why)
{
	const struct ods_principal	*p;
	struct ods_auth			*w = ods_auth_new(conf, db, redis);
	enum ods_err			 er;

	ck_assert_ptr_nonnull(w);
	er = ods_auth_verify(w, tok, arena, &p, why);
	ods_auth_free(w);
	return er;
}

START_TEST(test_jwks_planted_in_redis_does_not_validate_a_forged_token)
{
	const char	*why;
	char		 legit[64], evil[64], url[256], path[256], c[512];
	char		 mac[80], *doc, *v, *forged, *good;
	size_t		 len;
	long		 now = (long)time(NULL);
	int		 k;

	snprintf(legit, sizeof(legit), "legit%ld", (long)getpid());
	snprintf(evil, sizeof(evil), "evil%ld", (long)getpid());
	fx_jwks(legit, "k1");
	fx_jwks(evil, "k2");
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/%s/certs", fx_port,
	    legit);
	set("KEYCLOAK_JWKS_URL", url);
	set("JWT_ISSUERS", "http://kc/realms/r");
	/* a worker waits for another's fill at most this + 500 ms */
	set("ODS_JWKS_TIMEOUT_MS", "500");
	snprintf(c, sizeof(c), "{\"iss\":\"http://kc/realms/r\",\"aud\":"
	    "\"web-frontend\",\"sub\":\"mallory\",\"exp\":%ld,"
	    "\"realm_access\":{\"roles\":[\"admin\"]}}", now + 300);
	/* The attacker's key, under the kid of the real one. */
	snprintf(path, sizeof(path), "%s/%s.jwks.json", fx_dir, evil);
	doc = slurp(path, &len);
	ck_assert_ptr_nonnull(strstr(doc, "\"kid\":\"k2\""));
	memcpy(strstr(doc, "\"kid\":\"k2\"") + 7, "k1", 2);
	forged = fx_mint("--alg RS256 --key %s/k2.key.pem --kid k1 "
	    "--claims '%s'", fx_dir, c);
	good = fx_mint("--alg RS256 --key %s/k1.key.pem --kid k1 --claims "
	    "'%s'", fx_dir, c);
	v = malloc(len + 256);
	for (k = 0; k < 2; k++) {
		/* without, then with ODS_JWKS_CACHE_KEY */
		if (k == 1)
			set("ODS_JWKS_CACHE_KEY",
			    "jwks-cache-key-0123456789abcdef-0123");
		/* the old format: a time (far ahead) and a document */
		snprintf(v, len + 256, "%ld\n%.*s", (now + 86400 * 365) * 1000,
		    (int)len, doc);
		plant(url, v, strlen(v));
		ck_assert_int_eq(fresh_verify(forged, &why), ODS_EAUTH);
		ck_assert_int_eq(fresh_verify(good, &why), ODS_OK);
		/* the new format with a MAC the attacker cannot make */
		memset(mac, 'a', 64);
		mac[64] = '\0';
		snprintf(v, len + 256, "%ld h=%s\n%.*s", now * 1000, mac,
		    (int)len, doc);
		plant(url, v, strlen(v));
		ck_assert_int_eq(fresh_verify(forged, &why), ODS_EAUTH);
		ck_assert_int_eq(fresh_verify(good, &why), ODS_OK);
	}
	free(v);
	free(doc);
	free(forged);
	free(good);
}
END_TEST

START_TEST(test_jwks_time_in_the_future_in_redis_is_ignored)
{
	const struct ods_principal *p;
	struct ods_auth		*w;
	/* past the freshness, and past the second the verify cache rounds to */
	struct timespec		 ts = { 2, 100 * 1000000L };
	const char		*why;
	char			 name[64], url[256], c[512], v[256], hex[65];
	char			*t, *doc, *vdoc;
	size_t			 len;
	long			 now = (long)time(NULL);

	snprintf(name, sizeof(name), "future%ld", (long)getpid());
	fx_jwks(name, "k1");
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/%s/certs", fx_port,
	    name);
	set("KEYCLOAK_JWKS_URL", url);
	set("JWT_ISSUERS", "http://kc/realms/r");
	set("ODS_JWKS_CACHE_TTL", "1");
	snprintf(c, sizeof(c), "{\"iss\":\"http://kc/realms/r\",\"aud\":"
	    "\"web-frontend\",\"sub\":\"s\",\"exp\":%ld}", now + 300);
	t = fx_mint("--alg RS256 --key %s/k1.key.pem --kid k1 --claims '%s'",
	    fx_dir, c);
	w = ods_auth_new(conf, db, redis);
	ck_assert_int_eq(ods_auth_verify(w, t, arena, &p, &why), ODS_OK);
	ck_assert_uint_eq(ods_auth_jwks_fetches(w), 1);
	/* the digest of the real document, with a time a year ahead */
	snprintf(c, sizeof(c), "%s/%s.jwks.json", fx_dir, name);
	doc = slurp(c, &len);
	/* the real document with a time a year ahead (the old format) */
	vdoc = malloc(len + 64);
	snprintf(vdoc, len + 64, "%ld\n%.*s", (now + 86400 * 365) * 1000,
	    (int)len, doc);
	plant(url, vdoc, strlen(vdoc));
	nanosleep(&ts, NULL);
	/* stale after 1 s: the set is fetched again, not kept alive */
	ck_assert_int_eq(ods_auth_verify(w, t, arena, &p, &why), ODS_OK);
	ck_assert_uint_eq(ods_auth_jwks_fetches(w), 2);
	/* the same with the digest of the document */
	ods_sha256_hex(doc, len, hex);
	snprintf(v, sizeof(v), "%ld d=%s\n", (now + 86400 * 365) * 1000, hex);
	plant(url, v, strlen(v));
	/* the last fetch's fill lock holds for ODS_JWKS_TIMEOUT_MS + 1 s */
	ods_sha256_hex(url, strlen(url), hex);
	snprintf(c, sizeof(c), "ods:jwks:fill:%.16s", hex);
	ck_assert_int_eq(ods_redis_del(redis, c, NULL), ODS_OK);
	nanosleep(&ts, NULL);
	ck_assert_int_eq(ods_auth_verify(w, t, arena, &p, &why), ODS_OK);
	ck_assert_uint_eq(ods_auth_jwks_fetches(w), 3);
	free(vdoc);
	ods_auth_free(w);
	free(doc);
	free(t);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("ods_auth_store");
	TCase	*tc;

	tc = tcase_create("apikey");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_apikey_is_shown_once_and_stored_hashed);
	tcase_add_test(tc, test_apikey_verify_revoke_expiry_and_models);
	tcase_add_test(tc, test_apikey_routes_create_list_revoke);
	tcase_add_test(tc, test_app_key_is_valid_only_on_its_app_routes);
	suite_add_tcase(s, tc);

	tc = tcase_create("ratelimit");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_rate_limit_101st_request_is_429_with_headers);
	tcase_add_test(tc,
	    test_rate_limit_remaining_counts_down_and_burst_caps_classes);
	tcase_add_test(tc, test_rate_limit_redis_down_fails_open_or_closed);
	tcase_add_test(tc, test_rate_limit_uses_the_api_key_rpm);
	tcase_add_test(tc,
	    test_refused_credentials_past_the_limit_get_429_before_auth);
	tcase_add_test(tc, test_rate_limited_line_names_the_route_not_the_path);
	suite_add_tcase(s, tc);

	tc = tcase_create("audit");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_audit_rows_for_writes_and_auth_failures);
	tcase_add_test(tc,
	    test_audit_rows_arrive_in_batches_past_a_refused_row);
	tcase_add_test(tc,
	    test_audit_rows_of_repeated_refusals_are_capped_and_short);
	tcase_add_test(tc, test_jwks_is_shared_between_workers_through_redis);
	tcase_add_test(tc,
	    test_jwks_planted_in_redis_does_not_validate_a_forged_token);
	tcase_add_test(tc, test_jwks_time_in_the_future_in_redis_is_ignored);
	suite_add_tcase(s, tc);
	return s;
}

/* Drops the scratch database, stops the fixture; 1 if the drop failed. */
static int
stop(void)
{
	int	failed = 0;

	if (ods_test_scratch_drop(dsn, scratch) < 0)
		failed++;
	fx_stop();
	return failed;
}

/* The Node fixture and a migrated scratch database for the whole run. */
static int
start(void)
{
	dsn = ods_check_env("ODS_TEST_DB_DSN");
	redis_url = ods_check_env("ODS_TEST_REDIS_URL");
	if (dsn == NULL || redis_url == NULL)
		return ODS_CHECK_SKIP;
	ods_check_log("check_ods_auth_store");
	if (fx_start(ods_check_srcdir()) < 0) {
		fx_stop();
		return ODS_CHECK_SKIP;
	}
	srandom((unsigned)getpid() ^ (unsigned)time(NULL));
	if (ods_test_scratch_create(dsn, 'a', scratch, sizeof(scratch)) < 0) {
		fprintf(stderr, "check_ods_auth_store: no scratch database\n");
		stop();
		return 1;
	}
	return 0;
}

const struct ods_check ods_check_program = {
	.suite = suite, .setup = start, .teardown = stop,
};
