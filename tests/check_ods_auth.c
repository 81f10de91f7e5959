/*
 * tests/check_ods_auth.c — the JWT matrix, JWKS caching and rotation,
 * RBAC, token sources, 401/403 bodies and audit lines, against a real
 * JWKS server on loopback (tests/auth/jwt-fixture.js, keys made at test
 * time). Needs Node; no database and no Redis (check_ods_auth_store
 * covers API keys, rate limits, audit rows and the shared JWKS cache).
 */
#include "config.h"

#include <check.h>
#include <stdarg.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ods.h"
#include "auth/ods_auth.h"
#include "ods_test.h"
#include "auth/fixture.h"
#include "ods_check.h"

#define ISS	"http://keycloak:8080/realms/test"
#define ISS_PUB	"http://localhost:8080/realms/test"
#define HS_CUR	"current-hs256-secret-0123456789abcdef"
#define HS_PREV	"previous-hs256-secret-0123456789abcdef"
#define AUD	"\"web-frontend\""

static struct ods_arena		*arena;
static struct ods_conf		*conf;
static struct ods_auth		*auth;
static const struct ods_principal *pr;
static const char		*why;
static struct fake_io		 fio;
static struct ods_req_io	 io = { fake_read, fake_write, fake_flush, &fio };
static struct ods_req_env	 env;
static char			 cbuf[4096];

static enum ods_status
h_none(struct ods_req *r, struct ods_resp *w)
{
	(void)r;
	return ods_resp_error(w, ODS_EINTERNAL, NULL);
}

static const struct ods_route r_read = { ODS_GET, "/datasets", h_none,
	ODS_AUTH_REQUIRED, "dataset:read" };
static const struct ods_route r_write = { ODS_POST, "/datasets", h_none,
	ODS_AUTH_REQUIRED, "dataset:create" };
static const struct ods_route r_opt = { ODS_GET, "/workflows", h_none,
	ODS_AUTH_OPTIONAL, NULL };
static const struct ods_route r_open = { ODS_GET, "/health", h_none,
	ODS_AUTH_OPEN, NULL };
static const struct ods_route r_admin = { ODS_GET, "/api-keys", h_none,
	ODS_AUTH_REQUIRED, "system:manage" };
static const struct ods_route r_v1 = { ODS_POST, "/v1/chat/completions",
	h_none, ODS_AUTH_REQUIRED, "system:manage" };

static struct ods_req	*mkreq(const char *, const char *, const char *,
			    const char *);
static char		*bearer(const char *);
static enum ods_err	 check(struct ods_req *, const struct ods_route *,
			    struct ods_resp **);

static void
set(const char *name, const char *value)
{
	ck_assert_int_eq(ods_conf_set(conf, name, value, NULL), ODS_OK);
}

static void
use_jwks(const char *setname)
{
	char	url[256];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/%s/protocol/"
	    "openid-connect/certs", fx_port, setname);
	set("KEYCLOAK_JWKS_URL", url);
	ods_auth_free(auth);
	auth = ods_auth_new(conf, NULL, NULL);
	ck_assert_ptr_nonnull(auth);
}

static void
setup(void)
{
	arena = ods_arena_new(8192);
	conf = ods_conf_new();
	set("JWT_ISSUERS", ISS "," ISS_PUB);
	set("JWT_ALLOWED_AUDIENCES", "web-frontend,data-api");
	set("JWT_SECRET_KEY", HS_CUR);
	set("JWT_PREVIOUS_KEYS", HS_PREV);
	set("ODS_RATE_LIMIT_ENABLED", "false");
	set("ODS_AUDIT_DB", "false");
	memset(&fio, 0, sizeof(fio));
	ods_buf_init(&fio.out, 1 << 20);
	memset(&env, 0, sizeof(env));
	env.conf = conf;
	env.service = "data-api";
	env.version = "test";
	fx_jwks("main", "k1");
	use_jwks("main");
}

static void
teardown(void)
{
	ods_auth_free(auth);
	auth = NULL;
	ods_arena_free(arena);
	ods_conf_free(conf);
	ods_buf_free(&fio.out);
}

/* Standard claims; exp is now + exp_in; extra members are appended. */
static const char *
claims(const char *iss, const char *aud, long exp_in, const char *extra)
{
	long	now = (long)time(NULL);

	snprintf(cbuf, sizeof(cbuf), "{\"iss\":\"%s\",\"aud\":%s,"
	    "\"sub\":\"u-1\",\"preferred_username\":\"alice\",\"email\":"
	    "\"alice@example.com\",\"name\":\"Alice A\",\"iat\":%ld,"
	    "\"exp\":%ld,\"realm_access\":{\"roles\":[\"viewer\","
	    "\"offline_access\"]},\"resource_access\":{\"web-frontend\":"
	    "{\"roles\":[\"data_analyst\",\"viewer\"]},\"account\":"
	    "{\"roles\":[\"manage-account\"]}}%s}", iss, aud, now - 5,
	    now + exp_in, extra != NULL ? extra : "");
	return cbuf;
}

static char *
rs(const char *kid, const char *c, const char *more)
{
	return fx_mint("--alg RS256 --key %s/%s.key.pem --kid %s --claims "
	    "'%s' %s", fx_dir, kid, kid, c, more != NULL ? more : "");
}

static enum ods_err
vfy(const char *tok)
{
	return ods_auth_verify(auth, tok, arena, &pr, &why);
}

#define ck_refused(tok, reason) do {					\
	ck_assert_int_eq(vfy(tok), ODS_EAUTH);				\
	ck_assert_ptr_null(pr);						\
	ck_assert_str_eq(why, (reason));				\
} while (0)

/* ---- the JWT matrix ---- */

START_TEST(test_jwt_accepts_valid_rs256_and_maps_claims)
{
	char	*t = rs("k1", claims(ISS, AUD, 300, NULL), NULL);

	ck_assert_int_eq(vfy(t), ODS_OK);
	ck_assert_str_eq(pr->user_id, "u-1");
	ck_assert_str_eq(pr->username, "alice");
	ck_assert_str_eq(pr->email, "alice@example.com");
	ck_assert_str_eq(pr->name, "Alice A");
	/* realm roles, then our clients', without duplicates */
	ck_assert_uint_eq(pr->nroles, 3);
	ck_assert(ods_principal_has_role(pr, "viewer"));
	ck_assert(ods_principal_has_role(pr, "offline_access"));
	ck_assert(ods_principal_has_role(pr, "data_analyst"));
	/* "account" is another client: its roles are not ours */
	ck_assert(!ods_principal_has_role(pr, "manage-account"));
	ck_assert_int_eq(pr->kind, ODS_PRINCIPAL_TOKEN);
	free(t);
}
END_TEST

START_TEST(test_jwt_username_falls_back_to_email_then_sub)
{
	long	 now = (long)time(NULL);
	char	*t;

	snprintf(cbuf, sizeof(cbuf), "{\"iss\":\"%s\",\"aud\":%s,\"sub\":"
	    "\"u-9\",\"email\":\"e@x.org\",\"exp\":%ld}", ISS, AUD, now + 60);
	t = rs("k1", cbuf, NULL);
	ck_assert_int_eq(vfy(t), ODS_OK);
	ck_assert_str_eq(pr->username, "e@x.org");
	ck_assert_str_eq(pr->name, "");
	ck_assert_uint_eq(pr->nroles, 0);
	free(t);
	snprintf(cbuf, sizeof(cbuf), "{\"iss\":\"%s\",\"aud\":%s,\"sub\":"
	    "\"u-9\",\"exp\":%ld}", ISS, AUD, now + 60);
	t = rs("k1", cbuf, NULL);
	ck_assert_int_eq(vfy(t), ODS_OK);
	ck_assert_str_eq(pr->username, "u-9");
	free(t);
}
END_TEST

START_TEST(test_jwt_rejects_alg_none)
{
	char	*t = fx_mint("--alg none --kid k1 --claims '%s'",
	    claims(ISS, AUD, 300, NULL));
	char	 padded[8192];

	ck_refused(t, "malformed");
	/* alg none with some signature bytes: the algorithm is refused */
	snprintf(padded, sizeof(padded), "%sAAAA", t);
	ck_refused(padded, "alg_not_allowed");
	free(t);
}
END_TEST

START_TEST(test_jwt_rejects_hs256_signed_with_the_rsa_public_key)
{
	char	*t;

	t = fx_mint("--alg HS256 --secret-file %s/k1.pub.pem --kid k1 "
	    "--claims '%s'", fx_dir, claims(ISS, AUD, 300, NULL));
	ck_refused(t, "bad_signature");
	/* without HS256 keys configured the algorithm is not allowed */
	set("JWT_SECRET_KEY", "");
	set("JWT_PREVIOUS_KEYS", "");
	use_jwks("main");
	ck_refused(t, "alg_not_allowed");
	free(t);
}
END_TEST

START_TEST(test_jwt_rejects_tampered_payload_and_bad_signature)
{
	char	*t1 = rs("k1", claims(ISS, AUD, 300, NULL), "--tamper");
	char	*t2 = rs("k1", claims(ISS, AUD, 300, NULL), "--badsig");
	char	*t3 = rs("k2", claims(ISS, AUD, 300, NULL), "--kid k1");

	ck_refused(t1, "bad_signature");
	ck_refused(t2, "bad_signature");
	/* signed by k2 but claiming kid k1 */
	ck_refused(t3, "bad_signature");
	free(t1);
	free(t2);
	free(t3);
}
END_TEST

START_TEST(test_jwt_checks_exp_nbf_iat_with_leeway)
{
	long	 now = (long)time(NULL);
	char	 extra[128];
	char	*t;

	t = rs("k1", claims(ISS, AUD, -120, NULL), NULL);
	ck_refused(t, "expired");
	free(t);
	/* 10 s past exp is within the 30 s leeway */
	t = rs("k1", claims(ISS, AUD, -10, NULL), NULL);
	ck_assert_int_eq(vfy(t), ODS_OK);
	free(t);
	snprintf(extra, sizeof(extra), ",\"nbf\":%ld", now + 120);
	t = rs("k1", claims(ISS, AUD, 300, extra), NULL);
	ck_refused(t, "not_yet_valid");
	free(t);
	snprintf(extra, sizeof(extra), ",\"nbf\":%ld", now + 10);
	t = rs("k1", claims(ISS, AUD, 300, extra), NULL);
	ck_assert_int_eq(vfy(t), ODS_OK);
	free(t);
	/* a duplicate "iat" member: json-c keeps the last one */
	snprintf(extra, sizeof(extra), ",\"iat\":%ld", now + 600);
	t = rs("k1", claims(ISS, AUD, 900, extra), NULL);
	ck_refused(t, "issued_in_future");
	free(t);
	snprintf(cbuf, sizeof(cbuf), "{\"iss\":\"%s\",\"aud\":%s,\"sub\":"
	    "\"u\"}", ISS, AUD);
	t = rs("k1", cbuf, NULL);
	ck_refused(t, "no_exp");
	free(t);
}
END_TEST

START_TEST(test_jwt_exp_far_in_the_future_does_not_overflow)
{
	char	*t;

	/* exp + leeway overflowed int64: the token was "expired" (UB). */
	snprintf(cbuf, sizeof(cbuf), "{\"iss\":\"%s\",\"aud\":%s,\"sub\":"
	    "\"u\",\"exp\":9223372036854775807}", ISS, AUD);
	t = fx_mint("--alg RS256 --key %s/k1.key.pem --kid k1 --claims-raw "
	    "'%s'", fx_dir, cbuf);
	ck_assert_msg(vfy(t) == ODS_OK, "refused: %s", why);
	ck_assert_int_eq(vfy(t), ODS_OK);	/* from the verify cache */
	free(t);
	snprintf(cbuf, sizeof(cbuf), "{\"iss\":\"%s\",\"aud\":%s,\"sub\":"
	    "\"u\",\"exp\":-9223372036854775807}", ISS, AUD);
	t = fx_mint("--alg RS256 --key %s/k1.key.pem --kid k1 --claims-raw "
	    "'%s'", fx_dir, cbuf);
	ck_refused(t, "expired");
	free(t);
}
END_TEST

START_TEST(test_jwt_checks_iss_against_the_list)
{
	char	*t1 = rs("k1", claims(ISS_PUB, AUD, 300, NULL), NULL);
	char	*t2 = rs("k1", claims("http://evil/realms/test", AUD, 300,
	    NULL), NULL);

	ck_assert_int_eq(vfy(t1), ODS_OK);
	ck_refused(t2, "bad_iss");
	free(t1);
	free(t2);
}
END_TEST

START_TEST(test_jwt_refuses_aud_account_only)
{
	char	*t1 = rs("k1", claims(ISS, "\"account\"", 300, NULL), NULL);
	char	*t2 = rs("k1", claims(ISS, "[\"account\",\"data-api\"]", 300,
	    NULL), NULL);
	char	*t3 = rs("k1", claims(ISS, "[]", 300, NULL), NULL);

	ck_refused(t1, "bad_aud");
	ck_assert_int_eq(vfy(t2), ODS_OK);
	ck_refused(t3, "bad_aud");
	free(t1);
	free(t2);
	free(t3);
}
END_TEST

/* JWT_ALLOWED_AUDIENCES as the programs default it. */
static void
default_audiences(void)
{
	struct ods_conf	*d = ods_conf_new();

	set("KEYCLOAK_CLIENT_ID", "web-frontend");
	set("JWT_ALLOWED_AUDIENCES", d->jwt_audiences);
	ods_conf_free(d);
	use_jwks("main");
}

START_TEST(test_jwt_default_audiences_do_not_include_account)
{
	struct ods_conf	*d = ods_conf_new();
	char		*t;

	ck_assert_ptr_null(strstr(d->jwt_audiences, "account"));
	ods_conf_free(d);
	default_audiences();
	t = rs("k1", claims(ISS, "[\"account\"]", 300, NULL), NULL);
	ck_refused(t, "bad_aud");
	free(t);
	/* KEYCLOAK_CLIENT_ID is always one of ours */
	t = rs("k1", claims(ISS, "[\"account\"]", 300,
	    ",\"azp\":\"web-frontend\""), NULL);
	ck_assert_int_eq(vfy(t), ODS_OK);
	free(t);
}
END_TEST

/* The issue 12 token: aud account, azp other-app, other-app's admin. */
START_TEST(test_jwt_refuses_tokens_issued_to_other_clients)
{
	const char	*other = ",\"azp\":\"other-app\",\"resource_access\":"
	    "{\"other-app\":{\"roles\":[\"admin\"]}}";
	char		*t1, *t2, *t3, *t4, *t5;
	struct ods_req	*r;
	struct ods_resp	*w;

	default_audiences();
	t1 = rs("k1", claims(ISS, "[\"account\"]", 300, other), NULL);
	ck_refused(t1, "bad_azp");
	r = mkreq("GET", "/api/v1/api-keys", bearer(t1), NULL);
	ck_assert_int_eq(check(r, &r_admin, &w), ODS_EAUTH);
	ck_assert_int_eq(ods_resp_status(w), 401);
	/* azp decides even when aud names us */
	t2 = rs("k1", claims(ISS, "[\"web-frontend\"]", 300, other), NULL);
	ck_refused(t2, "bad_azp");
	t3 = rs("k1", claims(ISS, AUD, 300, ",\"azp\":7"), NULL);
	ck_refused(t3, "bad_azp");
	t4 = rs("k1", claims(ISS, AUD, 300, ",\"azp\":\"\""), NULL);
	ck_refused(t4, "bad_azp");
	/* a client the operator allows is taken */
	set("JWT_ALLOWED_AUDIENCES", "data-api");
	use_jwks("main");
	t5 = rs("k1", claims(ISS, "[\"account\"]", 300,
	    ",\"azp\":\"data-api\""), NULL);
	ck_assert_int_eq(vfy(t5), ODS_OK);
	ck_refused(t1, "bad_azp");
	free(t1);
	free(t2);
	free(t3);
	free(t4);
	free(t5);
}
END_TEST

/* Our client's token with admin under another client: no admin. */
START_TEST(test_jwt_roles_come_from_the_realm_and_our_clients_only)
{
	char		*t, *adm;
	struct ods_req	*r;
	struct ods_resp	*w;

	default_audiences();
	t = rs("k1", claims(ISS, "[\"account\"]", 300, ",\"azp\":"
	    "\"web-frontend\",\"resource_access\":{\"other-app\":"
	    "{\"roles\":[\"admin\"]},\"account\":{\"roles\":[\"admin\"]},"
	    "\"web-frontend\":{\"roles\":[\"data_analyst\"]}}"), NULL);
	ck_assert_int_eq(vfy(t), ODS_OK);
	ck_assert(!ods_principal_has_role(pr, "admin"));
	ck_assert(ods_principal_has_role(pr, "viewer"));
	ck_assert(ods_principal_has_role(pr, "data_analyst"));
	r = mkreq("GET", "/api/v1/api-keys", bearer(t), NULL);
	ck_assert_int_eq(check(r, &r_admin, &w), ODS_EFORBIDDEN);
	ck_assert_int_eq(ods_resp_status(w), 403);
	/* again from the cache of verified tokens: still no admin */
	r = mkreq("GET", "/api/v1/api-keys", bearer(t), NULL);
	ck_assert_int_eq(check(r, &r_admin, &w), ODS_EFORBIDDEN);
	/* admin of the realm, or of our own client, is admin */
	adm = rs("k1", claims(ISS, "[\"account\"]", 300, ",\"azp\":"
	    "\"web-frontend\",\"resource_access\":{\"web-frontend\":"
	    "{\"roles\":[\"admin\"]}}"), NULL);
	r = mkreq("GET", "/api/v1/api-keys", bearer(adm), NULL);
	ck_assert_int_eq(check(r, &r_admin, &w), ODS_OK);
	free(adm);
	adm = rs("k1", claims(ISS, "[\"account\"]", 300, ",\"azp\":"
	    "\"web-frontend\",\"realm_access\":{\"roles\":[\"admin\"]}"),
	    NULL);
	r = mkreq("GET", "/api/v1/api-keys", bearer(adm), NULL);
	ck_assert_int_eq(check(r, &r_admin, &w), ODS_OK);
	free(adm);
	free(t);
}
END_TEST

START_TEST(test_jwt_unknown_kid_refetches_once_then_401)
{
	char	*t = rs("k2", claims(ISS, AUD, 300, NULL), NULL);
	char	*ok = rs("k1", claims(ISS, AUD, 300, NULL), NULL);
	int	 before;

	fx_jwks("unk", "k1");
	use_jwks("unk");
	before = fx_count("unk");
	ck_assert_int_eq(vfy(ok), ODS_OK);		/* first fetch */
	ck_refused(t, "unknown_kid");			/* one refetch */
	ck_refused(t, "unknown_kid");			/* none: window */
	ck_assert_int_eq(fx_count("unk") - before, 2);
	ck_assert_uint_eq(ods_auth_jwks_fetches(auth), 2);
	free(t);
	free(ok);
}
END_TEST

static char *
b64u(const char *s)
{
	static const char	 tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t			 n = strlen(s), i, k = 0;
	char			*o = calloc(1, n * 2 + 4);
	unsigned		 acc = 0;
	int			 bits = 0;

	for (i = 0; i < n; i++) {
		acc = acc << 8 | (unsigned char)s[i];
		for (bits += 8; bits >= 6; bits -= 6)
			o[k++] = tab[(acc >> (bits - 6)) & 63];
	}
	if (bits > 0)
		o[k++] = tab[(acc << (6 - bits)) & 63];
	return o;
}

/* 100 tokens with random kids: at most one refetch in the window. */
START_TEST(test_jwt_random_kid_flood_does_not_flood_the_jwks)
{
	char	*ok = rs("k1", claims(ISS, AUD, 300, NULL), NULL);
	char	*payload = strchr(ok, '.'), tok[8192], hdr[128], *h;
	int	 i, before;

	fx_jwks("flood", "k1");
	use_jwks("flood");
	before = fx_count("flood");
	ck_assert_int_eq(vfy(ok), ODS_OK);
	for (i = 0; i < 100; i++) {
		snprintf(hdr, sizeof(hdr), "{\"alg\":\"RS256\",\"kid\":"
		    "\"r%d-%ld\"}", i, random());
		h = b64u(hdr);
		snprintf(tok, sizeof(tok), "%s%s", h, payload);
		free(h);
		ck_refused(tok, "unknown_kid");
	}
	ck_assert_int_le(fx_count("flood") - before, 2);
	free(ok);
}
END_TEST

/* A copy of tok (k1's payload and signature) with another kid. */
static char *
with_kid(const char *tok, const char *kid)
{
	char	 hdr[256], *h, *t;

	snprintf(hdr, sizeof(hdr), "{\"alg\":\"RS256\",\"kid\":\"%s\"}",
	    kid);
	h = b64u(hdr);
	t = calloc(1, strlen(h) + strlen(tok) + 1);
	sprintf(t, "%s%s", h, strchr(tok, '.'));
	free(h);
	return t;
}

static int64_t
mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_until_ms(int64_t t)
{
	int64_t	now = mono_ms();

	if (t > now)
		usleep((useconds_t)(t - now) * 1000);
}

/*
 * Issue 12: a kid found unknown is answered from memory for one interval,
 * even once the refetch window has opened again; a new kid then refetches.
 */
START_TEST(test_jwt_unknown_kid_is_answered_from_memory)
{
	char	*ok = rs("k1", claims(ISS, AUD, 300, NULL), NULL);
	char	*ta = with_kid(ok, "unk-a"), *tx = with_kid(ok, "unk-x");
	char	*ty = with_kid(ok, "unk-y");
	int64_t	 t0;
	int	 base;

	set("ODS_JWKS_REFETCH_INTERVAL", "2");
	fx_jwks("neg", "k1");
	use_jwks("neg");
	base = fx_count("neg");
	ck_assert_int_eq(vfy(ok), ODS_OK);		/* first fetch */
	t0 = mono_ms();
	ck_refused(ta, "unknown_kid");			/* refetch: window */
	ck_assert_int_eq(fx_count("neg") - base, 2);
	sleep_until_ms(t0 + 1000);
	ck_refused(tx, "unknown_kid");			/* window closed */
	ck_assert_int_eq(fx_count("neg") - base, 2);
	/* the window is open again, unk-x is still remembered */
	sleep_until_ms(t0 + 2500);
	ck_assert_int_lt(mono_ms(), t0 + 2950);
	ck_refused(tx, "unknown_kid");
	ck_assert_int_eq(fx_count("neg") - base, 2);
	ck_refused(ty, "unknown_kid");			/* a new kid: refetch */
	ck_assert_int_eq(fx_count("neg") - base, 3);
	/* three fetches of one document: parsed once (same SHA-256) */
	ck_assert_uint_eq(ods_auth_jwks_fetches(auth), 3);
	ck_assert_uint_eq(ods_auth_jwks_parses(auth), 1);
	ck_assert_int_eq(vfy(ok), ODS_OK);
	free(ok);
	free(ta);
	free(tx);
	free(ty);
}
END_TEST

struct flood {
	const char	*ok;
	int64_t		 until_ms;
	int		 n;
	int		 bad;
};

static void *
flood_run(void *arg)
{
	struct flood			*f = arg;
	struct ods_arena		*ar = ods_arena_new(4096);
	const struct ods_principal	*p;
	const char			*w;
	char				 kid[64], *t;

	while (mono_ms() < f->until_ms) {
		snprintf(kid, sizeof(kid), "r%d-%ld", f->n, random());
		t = with_kid(f->ok, kid);
		if (ods_auth_verify(auth, t, ar, &p, &w) != ODS_EAUTH ||
		    strcmp(w, "unknown_kid") != 0)
			f->bad++;
		free(t);
		f->n++;
	}
	ods_arena_free(ar);
	return NULL;
}

/* Issue 12: four threads of random kids, at most one refetch a window. */
START_TEST(test_jwt_random_kid_flood_refetches_once_per_window)
{
	char		*ok = rs("k1", claims(ISS, AUD, 300, NULL), NULL);
	struct flood	 f[4];
	pthread_t	 th[4];
	int64_t		 start, elapsed;
	int		 i, base, refetches, total = 0;

	set("ODS_JWKS_REFETCH_INTERVAL", "1");
	fx_jwks("flood4", "k1");
	use_jwks("flood4");
	base = fx_count("flood4");
	ck_assert_int_eq(vfy(ok), ODS_OK);
	start = mono_ms();
	for (i = 0; i < 4; i++) {
		f[i] = (struct flood){ .ok = ok, .until_ms = start + 2200 };
		ck_assert_int_eq(pthread_create(&th[i], NULL, flood_run,
		    &f[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(f[i].bad, 0);
		total += f[i].n;
	}
	elapsed = mono_ms() - start;
	refetches = fx_count("flood4") - base - 1;
	ck_assert_int_ge(refetches, 1);
	ck_assert_int_le(refetches, (int)(elapsed / 1000) + 1);
	ck_assert_int_ge(total, 100);
	ck_assert_uint_eq(ods_auth_jwks_parses(auth), 1);
	ck_assert_int_eq(vfy(ok), ODS_OK);
	free(ok);
}
END_TEST

/* A refetch of the same document renews the set without parsing it. */
START_TEST(test_jwt_same_document_is_not_parsed_again)
{
	char	*t1 = rs("k1", claims(ISS, AUD, 300, NULL), NULL);
	char	*t2 = rs("k2", claims(ISS, AUD, 300, NULL), NULL);

	set("ODS_JWKS_CACHE_TTL", "1");
	fx_jwks("same", "k1");
	use_jwks("same");
	ck_assert_int_eq(vfy(t1), ODS_OK);
	usleep(1200 * 1000);				/* stale */
	ck_assert_int_eq(vfy(t1), ODS_OK);
	ck_assert_uint_eq(ods_auth_jwks_fetches(auth), 2);
	ck_assert_uint_eq(ods_auth_jwks_parses(auth), 1);
	fx_jwks("same", "k1 k2");			/* another document */
	usleep(1200 * 1000);
	ck_assert_int_eq(vfy(t2), ODS_OK);
	ck_assert_uint_eq(ods_auth_jwks_fetches(auth), 3);
	ck_assert_uint_eq(ods_auth_jwks_parses(auth), 2);
	free(t1);
	free(t2);
}
END_TEST

START_TEST(test_jwt_rotation_needs_exactly_one_refetch)
{
	char	*t1 = rs("k1", claims(ISS, AUD, 300, NULL), NULL);
	char	*t2 = rs("k2", claims(ISS, AUD, 300, NULL), NULL);
	int	 base;

	set("ODS_JWKS_CACHE_TTL", "2");
	fx_jwks("rot", "k1");
	use_jwks("rot");
	base = fx_count("rot");
	ck_assert_int_eq(vfy(t1), ODS_OK);
	ck_assert_int_eq(fx_count("rot") - base, 1);
	fx_jwks("rot", "k1 k2");
	ck_assert_int_eq(vfy(t2), ODS_OK);
	ck_assert_int_eq(fx_count("rot") - base, 2);
	ck_assert_int_eq(vfy(t1), ODS_OK);		/* both from cache */
	ck_assert_int_eq(vfy(t2), ODS_OK);
	ck_assert_int_eq(fx_count("rot") - base, 2);
	/* k1 retired: once the TTL has passed, a k1 token fails */
	fx_jwks("rot", "k2");
	sleep(3);
	ck_refused(t1, "unknown_kid");
	ck_assert_int_eq(vfy(t2), ODS_OK);
	free(t1);
	free(t2);
}
END_TEST

START_TEST(test_jwt_failed_fetch_keeps_the_last_good_set)
{
	char	*t = rs("k1", claims(ISS, AUD, 300, NULL), NULL);

	set("ODS_JWKS_CACHE_TTL", "1");
	fx_jwks("fail", "k1");
	fx_status("fail", 0);
	use_jwks("fail");
	ck_assert_int_eq(vfy(t), ODS_OK);
	fx_status("fail", 500);
	sleep(2);
	ck_assert_int_eq(vfy(t), ODS_OK);		/* stale set used */
	ck_assert_uint_eq(ods_auth_jwks_fetches(auth), 2);
	fx_status("fail", 0);
	free(t);
}
END_TEST

START_TEST(test_jwt_enc_only_jwks_and_short_keys_give_no_key)
{
	char	*t1 = rs("k1", claims(ISS, AUD, 300, NULL), NULL);
	char	*t3 = rs("k3", claims(ISS, AUD, 300, NULL), NULL);

	fx_jwks("enc", "enc:k1");
	use_jwks("enc");
	ck_refused(t1, "unknown_kid");
	/* a 1024-bit RSA key is below the 2048-bit floor: skipped */
	fx_jwks("short", "k3");
	use_jwks("short");
	ck_refused(t3, "unknown_kid");
	free(t1);
	free(t3);
}
END_TEST

START_TEST(test_jwt_rejects_malformed_and_oversized_tokens)
{
	char	*t = rs("k1", claims(ISS, AUD, 300, NULL), NULL);
	char	*big, bad[8192];
	size_t	 n;

	ck_refused("", "empty");
	ck_refused("abc", "malformed");
	ck_refused("a.b", "malformed");
	ck_refused("a.b.c.d", "malformed");
	ck_refused("..", "malformed");
	snprintf(bad, sizeof(bad), "%s", t);
	bad[3] = '*';				/* not base64url */
	ck_refused(bad, "malformed");
	snprintf(bad, sizeof(bad), "%s", t);
	strchr(bad, '.')[1] = '=';		/* padding is refused */
	ck_refused(bad, "malformed");
	/* header that is JSON but not an object */
	ck_refused("WzFd.e30.AAAA", "malformed");
	n = 64 * 1024;
	big = malloc(n + 1);
	memset(big, 'A', n);
	memcpy(big, t, strlen(t));
	big[n] = '\0';
	ck_refused(big, "too_long");
	free(big);
	free(t);
}
END_TEST

START_TEST(test_jwt_refuses_jku_x5u_jwk_and_crit_headers)
{
	static const char *const hdrs[] = {
		"{\"jku\":\"http://127.0.0.1:1/evil\"}",
		"{\"x5u\":\"http://127.0.0.1:1/evil\"}",
		"{\"jwk\":{\"kty\":\"RSA\"}}", "{\"crit\":[\"exp\"]}",
	};
	char	*t;
	size_t	 i;

	for (i = 0; i < ODS_NELEM(hdrs); i++) {
		t = fx_mint("--alg RS256 --key %s/k1.key.pem --kid k1 "
		    "--header '%s' --claims '%s'", fx_dir, hdrs[i],
		    claims(ISS, AUD, 300, NULL));
		ck_refused(t, "refused_header");
		free(t);
	}
}
END_TEST

START_TEST(test_jwt_hs256_current_and_previous_keys)
{
	const char	*c = claims(ISS, AUD, 300, NULL);
	char		*cur = fx_mint("--alg HS256 --secret %s --claims '%s'",
	    HS_CUR, c);
	char		*prev = fx_mint("--alg HS256 --secret %s --claims '%s'",
	    HS_PREV, c);
	char		*other = fx_mint("--alg HS256 --secret "
	    "some-other-secret-0123456789abcdef --claims '%s'", c);

	ck_assert_int_eq(vfy(cur), ODS_OK);
	ck_assert_int_eq(vfy(prev), ODS_OK);
	ck_refused(other, "bad_signature");
	/* after rotation (SIGHUP: new workers, new conf) prev still works */
	set("JWT_SECRET_KEY", "rotated-hs256-secret-0123456789abcdef");
	set("JWT_PREVIOUS_KEYS", HS_CUR "," HS_PREV);
	use_jwks("main");
	ck_assert_int_eq(vfy(cur), ODS_OK);
	ck_assert_int_eq(vfy(prev), ODS_OK);
	free(cur);
	free(prev);
	free(other);
}
END_TEST

START_TEST(test_jwt_minted_dev_token_verifies)
{
	char	*t = NULL;

	ck_assert_int_eq(ods_auth_mint_hs256(conf, "svc-1", "ci", "user,viewer",
	    600, &t), ODS_OK);
	ck_assert_int_eq(vfy(t), ODS_OK);
	ck_assert_str_eq(pr->username, "ci");
	ck_assert_uint_eq(pr->nroles, 2);
	free(t);
	/* issued to our client (azp), so valid with the default audiences */
	default_audiences();
	ck_assert_int_eq(ods_auth_mint_hs256(conf, "svc-1", "ci", "admin",
	    600, &t), ODS_OK);
	ck_assert_int_eq(vfy(t), ODS_OK);
	ck_assert(ods_principal_has_role(pr, "admin"));
	free(t);
	set("JWT_SECRET_KEY", "");
	ck_assert_int_eq(ods_auth_mint_hs256(conf, "svc-1", NULL, NULL, 600,
	    &t), ODS_EINVAL);
}
END_TEST

START_TEST(test_jwt_rfc7515_a1_token_is_rejected_as_expired)
{
	static const char	 tok[] =
	    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
	    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt"
	    "cGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
	    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
	static const char	 key[] = "\x03\x23\x35\x4b\x2b\x0f\xa5\xbc"
	    "\x83\x7e\x06\x65\x77\x7b\xa6\x8f\x5a\xb3\x28\xe6\xf0\x54\xc9\x28"
	    "\xa9\x0f\x84\xb2\xd2\x50\x2e\xbf\xd3\xfb\x5a\x92\xd2\x06\x47\xef"
	    "\x96\x8a\xb4\xc3\x77\x62\x3d\x22\x3d\x2e\x21\x72\x05\x2e\x4f\x08"
	    "\xc0\xcd\x9a\xf5\x67\xd0\x80\xa3";

	set("JWT_SECRET_KEY", key);
	set("JWT_ISSUERS", "joe");
	use_jwks("main");
	/* the signature is good (libjwt accepts it); exp is in 2011 */
	ck_refused(tok, "expired");
}
END_TEST

START_TEST(test_auth_new_refuses_short_keys_and_prod_without_auth)
{
	struct ods_auth	*a;

	set("JWT_PREVIOUS_KEYS", "too-short");
	ck_assert_ptr_null(ods_auth_new(conf, NULL, NULL));
	set("JWT_PREVIOUS_KEYS", "");
	conf->production = 1;
	conf->auth_mode = 0;
	ck_assert_ptr_null(ods_auth_new(conf, NULL, NULL));
	conf->production = 0;
	a = ods_auth_new(conf, NULL, NULL);
	ck_assert_ptr_nonnull(a);
	ods_auth_free(a);
}
END_TEST

/* ---- RBAC ---- */

START_TEST(test_rbac_matrix_spot_checks)
{
	ck_assert(ods_auth_role_allows("admin", "system", "manage"));
	ck_assert(ods_auth_role_allows("admin", "anything", "at_all"));
	ck_assert(ods_auth_role_allows("viewer", "dataset", "read"));
	ck_assert(!ods_auth_role_allows("viewer", "dataset", "create"));
	ck_assert(!ods_auth_role_allows("viewer", "model", "read"));
	ck_assert(ods_auth_role_allows("data_engineer", "dataset", "export"));
	ck_assert(!ods_auth_role_allows("data_engineer", "dataset", "delete"));
	ck_assert(!ods_auth_role_allows("data_engineer", "dataset", "manage"));
	ck_assert(ods_auth_role_allows("data_analyst", "workflow", "read"));
	ck_assert(ods_auth_role_allows("ai_developer", "prompt_template",
	    "update"));
	ck_assert(!ods_auth_role_allows("ai_developer", "dataset", "read"));
	ck_assert(ods_auth_role_allows("user", "workflow", "execute"));
	ck_assert(!ods_auth_role_allows("user", "storage", "create"));
	ck_assert(ods_auth_role_allows("guest", "metadata", "read"));
	ck_assert(!ods_auth_role_allows("guest", "workflow", "read"));
	ck_assert(!ods_auth_role_allows("offline_access", "dataset", "read"));
	ck_assert(!ods_auth_role_allows("viewer", "dataset", "import_"));
	ck_assert(!ods_auth_role_allows(NULL, "dataset", "read"));
}
END_TEST

/* Issue 12: guest could call any model through /v1. */
START_TEST(test_rbac_model_use_is_for_working_roles_and_api_keys)
{
	static const char *const	guest[] = { "guest" };
	static const char *const	user[] = { "offline_access", "user" };
	struct ods_principal		p;

	ck_assert(ods_auth_perm_valid(ODS_PERM_MODEL_USE));
	ck_assert(ods_auth_role_allows("user", "model", "use"));
	ck_assert(ods_auth_role_allows("ai_developer", "model", "use"));
	ck_assert(ods_auth_role_allows("data_engineer", "model", "use"));
	ck_assert(ods_auth_role_allows("data_analyst", "model", "use"));
	ck_assert(!ods_auth_role_allows("viewer", "model", "use"));
	ck_assert(!ods_auth_role_allows("guest", "model", "use"));
	ck_assert(!ods_auth_role_allows("user", "model", "read"));
	memset(&p, 0, sizeof(p));
	p.kind = ODS_PRINCIPAL_TOKEN;
	p.roles = guest;
	p.nroles = 1;
	ck_assert(!ods_auth_allows(&p, ODS_PERM_MODEL_USE));
	p.roles = user;
	p.nroles = 2;
	ck_assert(ods_auth_allows(&p, ODS_PERM_MODEL_USE));
	/* A key: model:use is its scope, and nothing else. */
	memset(&p, 0, sizeof(p));
	p.kind = ODS_PRINCIPAL_APIKEY;
	p.key_id = "ak_x";
	ck_assert(ods_auth_allows(&p, ODS_PERM_MODEL_USE));
	ck_assert(ods_auth_allows(&p, NULL));
	ck_assert(!ods_auth_allows(&p, "usage:read"));
	ck_assert(!ods_auth_allows(&p, "dataset:read"));
	ck_assert(!ods_auth_allows(&p, "admin"));
}
END_TEST

static struct ods_req *
mkreq(const char *method, const char *uri, const char *h1, const char *h2)
{
	/* The request keeps the parameter vector: it lives in the arena. */
	char		**p = ods_arena_alloc(arena, 8 * sizeof(char *));
	size_t		 n = 0;
	struct ods_req	*r;

	p[n++] = ods_arena_printf(arena, "REQUEST_METHOD=%s", method);
	p[n++] = ods_arena_printf(arena, "DOCUMENT_URI=%.*s",
	    (int)strcspn(uri, "?"), uri);
	p[n++] = (char *)"REMOTE_ADDR=127.0.0.9";
	if (strchr(uri, '?') != NULL)
		p[n++] = ods_arena_printf(arena, "QUERY_STRING=%s",
		    strchr(uri, '?') + 1);
	if (h1 != NULL)
		p[n++] = (char *)h1;
	if (h2 != NULL)
		p[n++] = (char *)h2;
	p[n] = NULL;
	fio.out.len = 0;
	r = ods_req_new(arena, p, &io, &env);
	ck_assert_ptr_nonnull(r);
	return r;
}

static char *
bearer(const char *tok)
{
	return ods_arena_printf(arena, "HTTP_AUTHORIZATION=Bearer %s", tok);
}

static enum ods_err
check(struct ods_req *r, const struct ods_route *rt, struct ods_resp **wp)
{
	struct ods_resp	*w = ods_resp_new(r);

	ck_assert_ptr_nonnull(w);
	*wp = w;
	return ods_auth_check(auth, r, rt, w);
}

START_TEST(test_check_viewer_gets_403_on_a_write_and_admin_passes)
{
	char		*viewer = rs("k1", claims(ISS, AUD, 300, NULL), NULL);
	char		*admin = rs("k1", claims(ISS, AUD, 300,
	    ",\"realm_access\":{\"roles\":[\"admin\"]}"), NULL);
	struct ods_req	*r;
	struct ods_resp	*w;
	const char	*b;

	r = mkreq("GET", "/api/v1/datasets", bearer(viewer), NULL);
	ck_assert_int_eq(check(r, &r_read, &w), ODS_OK);
	ck_assert_str_eq(ods_req_principal(r)->user_id, "u-1");
	r = mkreq("POST", "/api/v1/datasets", bearer(viewer), NULL);
	ck_assert_int_eq(check(r, &r_write, &w), ODS_EFORBIDDEN);
	ck_assert_int_eq(ods_resp_status(w), 403);
	b = fake_body(&fio);
	ck_assert_ptr_nonnull(strstr(b, "\"code\":40300"));
	ck_assert_ptr_nonnull(strstr(b, "\"error\":\"forbidden\""));
	ck_assert_ptr_nonnull(strstr(b, "\"required\":\"dataset:create\""));
	ck_assert_ptr_nonnull(strstr(b, "\"roles\":[\"viewer\","));
	r = mkreq("POST", "/api/v1/datasets", bearer(admin), NULL);
	ck_assert_int_eq(check(r, &r_write, &w), ODS_OK);
	ck_assert_int_eq(ods_resp_committed(w), 0);
	free(viewer);
	free(admin);
}
END_TEST

START_TEST(test_check_401_bodies_are_generic)
{
	char		*exp = rs("k1", claims(ISS, AUD, -300, NULL), NULL);
	struct ods_req	*r;
	struct ods_resp	*w;
	char		 h[128];

	r = mkreq("GET", "/api/v1/datasets", NULL, NULL);
	ck_assert_int_eq(check(r, &r_read, &w), ODS_EAUTH);
	ck_assert_ptr_nonnull(strstr(fake_body(&fio), "\"code\":40100"));
	ck_assert_ptr_nonnull(strstr(fake_body(&fio),
	    "Missing authentication token"));
	ck_assert_ptr_nonnull(fake_header(&fio, "WWW-Authenticate", h,
	    sizeof(h)));
	r = mkreq("GET", "/api/v1/datasets", bearer(exp), NULL);
	ck_assert_int_eq(check(r, &r_read, &w), ODS_EAUTH);
	ck_assert_int_eq(ods_resp_status(w), 401);
	ck_assert_ptr_nonnull(strstr(fake_body(&fio), "\"code\":40101"));
	ck_assert_ptr_nonnull(strstr(fake_body(&fio),
	    "\"error\":\"invalid_token\""));
	ck_assert_ptr_null(strstr(fake_body(&fio), "expired\""));
	r = mkreq("GET", "/api/v1/datasets", "HTTP_AUTHORIZATION=Basic eDp5",
	    NULL);
	ck_assert_int_eq(check(r, &r_read, &w), ODS_EAUTH);
	free(exp);
}
END_TEST

START_TEST(test_check_openai_shape_on_v1)
{
	char		*viewer = rs("k1", claims(ISS, AUD, 300, NULL), NULL);
	struct ods_req	*r;
	struct ods_resp	*w;

	env.openai_errors = 1;
	r = mkreq("POST", "/v1/chat/completions", NULL, NULL);
	ck_assert_int_eq(check(r, &r_v1, &w), ODS_EAUTH);
	ck_assert_ptr_nonnull(strstr(fake_body(&fio),
	    "\"type\":\"authentication_error\""));
	r = mkreq("POST", "/v1/chat/completions", bearer(viewer), NULL);
	ck_assert_int_eq(check(r, &r_v1, &w), ODS_EFORBIDDEN);
	ck_assert_ptr_nonnull(strstr(fake_body(&fio),
	    "\"type\":\"permission_error\""));
	free(viewer);
}
END_TEST

START_TEST(test_check_token_sources_and_query_only_for_sse)
{
	char		*t = rs("k1", claims(ISS, AUD, 300, NULL), NULL);
	char		 uri[8192];
	struct ods_req	*r;
	struct ods_resp	*w;

	r = mkreq("GET", "/api/v1/datasets", ods_arena_printf(arena,
	    "HTTP_COOKIE=theme=x; access_token=%s", t), NULL);
	ck_assert_int_eq(check(r, &r_read, &w), ODS_OK);
	snprintf(uri, sizeof(uri), "/api/v1/datasets?access_token=%s", t);
	r = mkreq("GET", uri, NULL, NULL);
	ck_assert_int_eq(check(r, &r_read, &w), ODS_EAUTH);
	r = mkreq("GET", uri, "HTTP_ACCEPT=text/event-stream", NULL);
	ck_assert_int_eq(check(r, &r_read, &w), ODS_OK);
	/* the header wins over the cookie */
	r = mkreq("GET", "/api/v1/datasets", bearer("x.y.z"),
	    ods_arena_printf(arena, "HTTP_COOKIE=access_token=%s", t));
	ck_assert_int_eq(check(r, &r_read, &w), ODS_EAUTH);
	free(t);
}
END_TEST

/* A request with any number of NULL-terminated extra parameters. */
static struct ods_req *
mkreq_v(const char *method, const char *uri, ...)
{
	char		**p = ods_arena_alloc(arena, 16 * sizeof(char *));
	const char	*h;
	size_t		 n = 0;
	struct ods_req	*r;
	va_list		 ap;

	p[n++] = ods_arena_printf(arena, "REQUEST_METHOD=%s", method);
	p[n++] = ods_arena_printf(arena, "DOCUMENT_URI=%s", uri);
	p[n++] = (char *)"REMOTE_ADDR=127.0.0.9";
	p[n++] = (char *)"HTTP_HOST=studio.example.com";
	va_start(ap, uri);
	while (n < 15 && (h = va_arg(ap, const char *)) != NULL)
		p[n++] = (char *)h;
	va_end(ap);
	p[n] = NULL;
	fio.out.len = 0;
	r = ods_req_new(arena, p, &io, &env);
	ck_assert_ptr_nonnull(r);
	return r;
}

START_TEST(test_check_cookie_writes_need_json_or_same_origin)
{
	char		*admin = rs("k1", claims(ISS, AUD, 300,
	    ",\"realm_access\":{\"roles\":[\"admin\"]}"), NULL);
	char		*ck = ods_arena_printf(arena,
	    "HTTP_COOKIE=access_token=%s", admin);
	struct ods_req	*r;
	struct ods_resp	*w;

	/* What a cross-site form sends: the cookie, a form type, no JSON. */
	r = mkreq_v("POST", "/datasets", ck, "CONTENT_TYPE="
	    "application/x-www-form-urlencoded", "HTTP_ORIGIN="
	    "https://evil.example", NULL);
	ck_assert_int_eq(check(r, &r_write, &w), ODS_EFORBIDDEN);
	ck_assert_int_eq(ods_resp_status(w), 403);
	ck_assert_ptr_nonnull(strstr(fake_body(&fio), "\"error\":\"csrf\""));
	ck_assert_ptr_nonnull(strstr(fake_body(&fio), "\"code\":40300"));
	r = mkreq_v("POST", "/datasets", ck, "CONTENT_TYPE=text/plain", NULL);
	ck_assert_int_eq(check(r, &r_write, &w), ODS_EFORBIDDEN);
	r = mkreq_v("DELETE", "/datasets", ck, NULL);
	ck_assert_int_eq(check(r, &r_write, &w), ODS_EFORBIDDEN);
	/* "application/jsonp" is not JSON */
	r = mkreq_v("POST", "/datasets", ck, "CONTENT_TYPE=application/jsonp",
	    NULL);
	ck_assert_int_eq(check(r, &r_write, &w), ODS_EFORBIDDEN);
	/* JSON, or our own origin, or a trusted one */
	r = mkreq_v("POST", "/datasets", ck, "CONTENT_TYPE=application/json; "
	    "charset=utf-8", NULL);
	ck_assert_int_eq(check(r, &r_write, &w), ODS_OK);
	r = mkreq_v("POST", "/datasets", ck, "CONTENT_TYPE="
	    "application/merge-patch+json", NULL);
	ck_assert_int_eq(check(r, &r_write, &w), ODS_OK);
	r = mkreq_v("DELETE", "/datasets", ck, "HTTP_ORIGIN="
	    "https://studio.example.com", NULL);
	ck_assert_int_eq(check(r, &r_write, &w), ODS_OK);
	r = mkreq_v("DELETE", "/datasets", ck, "HTTP_ORIGIN="
	    "https://app.example.com", NULL);
	ck_assert_int_eq(check(r, &r_write, &w), ODS_EFORBIDDEN);
	set("ODS_CSRF_TRUSTED_ORIGINS", "https://x.example, "
	    "https://app.example.com");
	use_jwks("main");
	r = mkreq_v("DELETE", "/datasets", ck, "HTTP_ORIGIN="
	    "https://app.example.com", NULL);
	ck_assert_int_eq(check(r, &r_write, &w), ODS_OK);
	/* reads, and bearer tokens, are not concerned */
	r = mkreq_v("GET", "/datasets", ck, NULL);
	ck_assert_int_eq(check(r, &r_read, &w), ODS_OK);
	r = mkreq_v("POST", "/datasets", bearer(admin), "CONTENT_TYPE="
	    "text/plain", NULL);
	ck_assert_int_eq(check(r, &r_write, &w), ODS_OK);
	free(admin);
}
END_TEST

START_TEST(test_check_optional_and_open_routes)
{
	struct ods_req	*r;
	struct ods_resp	*w;

	r = mkreq("GET", "/api/v1/workflows", NULL, NULL);
	ck_assert_int_eq(check(r, &r_opt, &w), ODS_OK);
	ck_assert_ptr_null(ods_req_principal(r));
	r = mkreq("GET", "/api/v1/workflows", bearer("bad.token.x"), NULL);
	ck_assert_int_eq(check(r, &r_opt, &w), ODS_EAUTH);
	r = mkreq("GET", "/api/v1/health", bearer("bad.token.x"), NULL);
	ck_assert_int_eq(check(r, &r_open, &w), ODS_OK);
	ck_assert_int_eq(ods_auth_check(NULL, r, &r_read, w), ODS_OK);
}
END_TEST

START_TEST(test_check_dev_mode_is_admin_dev_user)
{
	struct ods_req	*r;
	struct ods_resp	*w;

	set("AUTH_MODE", "false");
	use_jwks("main");
	r = mkreq("POST", "/api/v1/datasets", NULL, NULL);
	ck_assert_int_eq(check(r, &r_write, &w), ODS_OK);
	ck_assert_str_eq(ods_req_principal(r)->username, "dev_user");
	ck_assert_str_eq(ods_req_principal(r)->user_id, "dev_user_001");
	ck_assert(ods_principal_has_role(ods_req_principal(r), "admin"));
}
END_TEST

/* ---- audit lines ---- */

static char *
capture_stderr(void (*fn)(void))
{
	char	 path[] = "/tmp/ods-auth-err.XXXXXX", *buf;
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

static char	*audit_tok;

static void
audit_traffic(void)
{
	struct ods_req	*r;
	struct ods_resp	*w;

	r = mkreq("GET", "/api/v1/datasets", bearer(audit_tok),
	    "HTTP_USER_AGENT=agent with spaces user_id=forged");
	(void)check(r, &r_read, &w);
	r = mkreq("POST", "/api/v1/datasets", bearer(audit_tok), NULL);
	(void)check(r, &r_write, &w);
	r = mkreq("DELETE", "/api/v1/datasets/ds-7", ods_arena_printf(arena,
	    "HTTP_COOKIE=access_token=%s", audit_tok), NULL);
	ck_assert_int_eq(ods_req_param_set(r, "id", "ds-7"), ODS_OK);
	ods_auth_after(auth, r, &r_write, 204);
}

START_TEST(test_audit_lines_present_and_free_of_secrets)
{
	char	*viewer = rs("k1", claims(ISS, AUD, -300, NULL), NULL);
	char	*log, *sig;

	audit_tok = viewer;
	log = capture_stderr(audit_traffic);
	ck_assert_ptr_nonnull(strstr(log, "\"msg\":\"AUDIT\""));
	ck_assert_ptr_nonnull(strstr(log, "\"action\":\"login_failed\""));
	ck_assert_ptr_nonnull(strstr(log, "\"reason\":\"expired\""));
	ck_assert_ptr_nonnull(strstr(log, "\"route\":\"/datasets\""));
	ck_assert_ptr_nonnull(strstr(log, "\"client_ip\":\"127.0.0.9\""));
	ck_assert_ptr_nonnull(strstr(log, "\"action\":\"api_call\""));
	ck_assert_ptr_nonnull(strstr(log, "\"resource_id\":\"ds-7\""));
	ck_assert_ptr_nonnull(strstr(log, "\"method\":\"DELETE\""));
	/* no token, nor any part of it */
	sig = strrchr(viewer, '.') + 1;
	ck_assert_ptr_null(strstr(log, sig));
	*strchr(viewer, '.') = '\0';
	ck_assert_ptr_null(strstr(log, viewer));
	free(log);
	free(viewer);
}
END_TEST

static int
count_of(const char *hay, const char *needle)
{
	int	n = 0;

	for (; (hay = strstr(hay, needle)) != NULL; hay++)
		n++;
	return n;
}

static void
refusal_flood(void)
{
	struct ods_req	*r;
	struct ods_resp	*w;
	int		 i;

	for (i = 0; i < 20; i++) {
		r = mkreq("GET", "/api/v1/datasets", bearer("bad.token.x"),
		    NULL);
		(void)check(r, &r_read, &w);
	}
	/* another kind of refusal is not held back by the first */
	r = mkreq("GET", "/api/v1/datasets", NULL, NULL);
	(void)check(r, &r_read, &w);
}

static void
refusal_after_window(void)
{
	struct ods_req	*r;
	struct ods_resp	*w;

	r = mkreq("GET", "/api/v1/datasets", bearer("bad.token.x"), NULL);
	(void)check(r, &r_read, &w);
}

START_TEST(test_audit_repeated_refusals_are_capped_then_counted)
{
	struct timespec	 ts = { 1, 200 * 1000000L };
	char		*log;

	set("ODS_AUDIT_REPEAT_MAX", "3");
	set("ODS_AUDIT_REPEAT_WINDOW", "1");
	use_jwks("main");
	log = capture_stderr(refusal_flood);
	ck_assert_int_eq(count_of(log, "\"reason\":\"malformed\""), 3);
	ck_assert_int_eq(count_of(log, "\"reason\":\"missing_token\""), 1);
	ck_assert_ptr_null(strstr(log, "suppressed"));
	free(log);
	nanosleep(&ts, NULL);
	log = capture_stderr(refusal_after_window);
	ck_assert_int_eq(count_of(log, "\"reason\":\"malformed\""), 1);
	ck_assert_ptr_nonnull(strstr(log, "\"suppressed\":\"17\""));
	free(log);
}
END_TEST

/* ---- helpers for the tests above ---- */

static Suite *
suite(void)
{
	Suite	*s = suite_create("ods_auth");
	TCase	*tc;

	tc = tcase_create("jwt");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_jwt_accepts_valid_rs256_and_maps_claims);
	tcase_add_test(tc, test_jwt_username_falls_back_to_email_then_sub);
	tcase_add_test(tc, test_jwt_rejects_alg_none);
	tcase_add_test(tc,
	    test_jwt_rejects_hs256_signed_with_the_rsa_public_key);
	tcase_add_test(tc, test_jwt_rejects_tampered_payload_and_bad_signature);
	tcase_add_test(tc, test_jwt_checks_exp_nbf_iat_with_leeway);
	tcase_add_test(tc, test_jwt_exp_far_in_the_future_does_not_overflow);
	tcase_add_test(tc, test_jwt_checks_iss_against_the_list);
	tcase_add_test(tc, test_jwt_refuses_aud_account_only);
	tcase_add_test(tc, test_jwt_default_audiences_do_not_include_account);
	tcase_add_test(tc, test_jwt_refuses_tokens_issued_to_other_clients);
	tcase_add_test(tc,
	    test_jwt_roles_come_from_the_realm_and_our_clients_only);
	tcase_add_test(tc, test_jwt_unknown_kid_refetches_once_then_401);
	tcase_add_test(tc, test_jwt_random_kid_flood_does_not_flood_the_jwks);
	tcase_add_test(tc, test_jwt_unknown_kid_is_answered_from_memory);
	tcase_add_test(tc, test_jwt_random_kid_flood_refetches_once_per_window);
	tcase_add_test(tc, test_jwt_same_document_is_not_parsed_again);
	tcase_add_test(tc, test_jwt_rotation_needs_exactly_one_refetch);
	tcase_add_test(tc, test_jwt_failed_fetch_keeps_the_last_good_set);
	tcase_add_test(tc, test_jwt_enc_only_jwks_and_short_keys_give_no_key);
	tcase_add_test(tc, test_jwt_rejects_malformed_and_oversized_tokens);
	tcase_add_test(tc, test_jwt_refuses_jku_x5u_jwk_and_crit_headers);
	tcase_add_test(tc, test_jwt_hs256_current_and_previous_keys);
	tcase_add_test(tc, test_jwt_minted_dev_token_verifies);
	tcase_add_test(tc, test_jwt_rfc7515_a1_token_is_rejected_as_expired);
	tcase_add_test(tc,
	    test_auth_new_refuses_short_keys_and_prod_without_auth);
	suite_add_tcase(s, tc);

	tc = tcase_create("rbac");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_rbac_matrix_spot_checks);
	tcase_add_test(tc, test_rbac_model_use_is_for_working_roles_and_api_keys);
	tcase_add_test(tc,
	    test_check_viewer_gets_403_on_a_write_and_admin_passes);
	tcase_add_test(tc, test_check_401_bodies_are_generic);
	tcase_add_test(tc, test_check_openai_shape_on_v1);
	tcase_add_test(tc, test_check_token_sources_and_query_only_for_sse);
	tcase_add_test(tc, test_check_optional_and_open_routes);
	tcase_add_test(tc, test_check_cookie_writes_need_json_or_same_origin);
	tcase_add_test(tc, test_check_dev_mode_is_admin_dev_user);
	suite_add_tcase(s, tc);

	tc = tcase_create("audit");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_audit_lines_present_and_free_of_secrets);
	tcase_add_test(tc,
	    test_audit_repeated_refusals_are_capped_then_counted);
	suite_add_tcase(s, tc);
	return s;
}

/* The Node fixture (JWKS and token endpoint) for the whole run. */
static int
start(void)
{
	ods_check_log("check_ods_auth");
	if (fx_start(ods_check_srcdir()) < 0) {
		fprintf(stderr, "check_ods_auth: node or the fixture is "
		    "missing\n");
		fx_stop();
		return ODS_CHECK_SKIP;
	}
	srandom((unsigned)getpid());
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
