/*
 * lib/auth/ods_auth.c — the gate in front of every handler: find the token,
 * verify it (ods_auth_jwt.c) or the API key (ods_auth_apikey.c), apply
 * the route's RBAC perm (ods_auth_rbac.c) and the rate limit
 * (ods_auth_rate.c), answer 401/403/429 and audit (ods_auth_audit.c).
 * The 401 bodies never say why; the reason goes to the AUDIT line.
 *
 * Order of the work, cheapest refusal first: the per-address limit of
 * refused credentials (before any token is read), then the token, then
 * the CSRF rule for cookies, RBAC, and the per-caller rate limit.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "auth/ods_auth.h"
#include "auth/ods_auth_int.h"
#include "net/ods_http.h"
#include "core/ods_conf.h"
#include "core/ods_json.h"
#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "core/ods_time.h"
#include "core/ods_util.h"
#include "net/ods_req.h"

#define RL_UNHEALTHY_MS	30000
#define REFRESH_MAX	16384
#define TOKEN_RESP_MAX	(1024 * 1024)

/* AUTH_MODE=false: everyone is this admin (refused in production). */
static const char *const dev_roles[] = { "admin" };
static const struct ods_principal dev_principal = {
	ODS_PRINCIPAL_DEV, "dev_user_001", "dev_user", "dev@example.com",
	"Development User", dev_roles, 1, NULL, NULL, 0, 0, 0, 0, NULL
};

/* ---- life cycle ---- */

static int
hs_keys_init(struct ods_auth *a, const struct ods_conf *c)
{
	char	**prev;
	size_t	  n, i;

	n = ods_strsplit(c->jwt_previous_keys, &prev);
	a->hs_keys = ods_xcalloc(n + 1, sizeof(char *));
	a->hs_lens = ods_xcalloc(n + 1, sizeof(size_t));
	if (*c->jwt_secret_key != '\0')
		a->hs_keys[a->nhs++] = ods_xstrdup(c->jwt_secret_key);
	for (i = 0; i < n; i++)
		a->hs_keys[a->nhs++] = prev[i];
	free(prev);
	for (i = 0; i < a->nhs; i++) {
		a->hs_lens[i] = strlen(a->hs_keys[i]);
		if (a->hs_lens[i] < 32) {
			ods_log(ODS_LOG_ERR, "auth_config_invalid reason=an "
			    "HS256 key (JWT_SECRET_KEY or JWT_PREVIOUS_KEYS) "
			    "is shorter than 32 bytes");
			return -1;
		}
	}
	return 0;
}

static void
names_init(struct ods_auth *a, const struct ods_conf *c)
{
	char	*list;

	a->nissuers = ods_strsplit(c->jwt_issuers, &a->issuers);
	if (a->nissuers == 0 && *c->keycloak_url != '\0') {
		a->issuers = ods_xcalloc(1, sizeof(char *));
		ods_xasprintf(&a->issuers[0], "%s/realms/%s", c->keycloak_url,
		    c->keycloak_realm);
		a->nissuers = 1;
	}
	/* Our client first, then the ones the operator allows besides. */
	ods_xasprintf(&list, "%s,%s", c->keycloak_client_id,
	    c->jwt_audiences);
	a->nclients = ods_strsplit(list, &a->clients);
	free(list);
	if (*c->keycloak_url != '\0') {
		ods_xasprintf(&a->token_url, "%s/realms/%s/protocol/"
		    "openid-connect/token", c->keycloak_url, c->keycloak_realm);
		ods_xasprintf(&a->logout_url, "%s/realms/%s/protocol/"
		    "openid-connect/logout", c->keycloak_url,
		    c->keycloak_realm);
	}
}

struct ods_auth *
ods_auth_new(const struct ods_conf *c, struct ods_db *db,
    struct ods_redis *redis)
{
	struct ods_auth	*a;

	if (c->production && !c->auth_mode) {
		ods_log(ODS_LOG_ERR, "auth_config_invalid "
		    "reason=auth_off_in_production");
		return NULL;
	}
	if (*c->jwks_cache_key != '\0' && strlen(c->jwks_cache_key) < 32) {
		ods_log(ODS_LOG_ERR, "auth_config_invalid reason="
		    "ODS_JWKS_CACHE_KEY is shorter than 32 bytes");
		return NULL;
	}
	a = ods_xcalloc(1, sizeof(*a));
	a->conf = c;
	a->db = db;
	a->redis = redis;
	odsi_jwks_init(&a->jwks, c);
	pthread_mutex_init(&a->vc.mu, NULL);
	a->vc.slots = ods_xcalloc(VCACHE_SLOTS, sizeof(*a->vc.slots));
	if (hs_keys_init(a, c) < 0) {
		ods_auth_free(a);
		return NULL;
	}
	names_init(a, c);
	ods_http_global_init();
	odsi_rate_init(a);
	a->audit = odsi_audit_start(db, c->audit_db, c->audit_repeat_max,
	    c->audit_repeat_window);
	if (c->auth_mode && a->jwks.url[0] == '\0' && a->nhs == 0)
		ods_log(ODS_LOG_WARN, "auth_no_keys reason=neither Keycloak "
		    "nor JWT_SECRET_KEY is set: every token is refused");
	ods_log(ODS_LOG_INFO, "auth_ready mode=%s jwks=%s hs256_keys=%zu "
	    "issuers=%zu clients=%zu", c->auth_mode ? "on" : "off",
	    a->jwks.url[0] != '\0' ? "yes" : "no", a->nhs, a->nissuers,
	    a->nclients);
	return a;
}

void
ods_auth_free(struct ods_auth *a)
{
	size_t	i;

	if (a == NULL)
		return;
	odsi_audit_stop(a->audit);
	for (i = 0; i < a->nhs; i++)
		explicit_bzero(a->hs_keys[i], a->hs_lens[i]);
	ods_strv_free(a->hs_keys, a->nhs);
	free(a->hs_lens);
	ods_strv_free(a->issuers, a->nissuers);
	ods_strv_free(a->clients, a->nclients);
	free(a->token_url);
	free(a->logout_url);
	odsi_jwks_fini(&a->jwks);
	pthread_mutex_destroy(&a->vc.mu);
	free(a->vc.slots);
	free(a);
}

int
ods_auth_ratelimit_healthy(const struct ods_auth *a)
{
	int64_t	t;

	if (a == NULL)
		return 1;
	t = atomic_load(&a->rl_fail_ms);
	return t == 0 || ods_now_ms() - t > RL_UNHEALTHY_MS;
}

/* ---- events ---- */

static void
ev_init(struct audit_ev *e, struct ods_req *r, const struct ods_route *rt,
    const struct ods_principal *p)
{
	memset(e, 0, sizeof(*e));
	e->method = ods_req_method_name(r);
	e->route = rt != NULL ? rt->pattern : ods_req_path(r);
	e->request_id = ods_req_id(r);
	e->ip = ods_req_remote_addr(r);
	e->user_agent = ods_req_header(r, "User-Agent");
	e->resource_id = ods_req_param(r, "id");
	if (p != NULL) {
		e->user_id = p->user_id;
		e->username = p->username;
		e->key_id = p->key_id;
	}
}

/* ---- refusals ---- */

static void	rate_who(struct ods_req *, const struct ods_principal *,
		    char *, size_t);

static enum ods_err	refuse_429(struct ods_req *, const struct ods_route *,
		    struct ods_resp *, const struct rate_res *, const char *,
		    const char *);

/* 429 for an address over ODS_AUTH_FAIL_LIMIT refused credentials. */
static enum ods_err
refuse_throttled(struct ods_auth *a, struct ods_req *r,
    const struct ods_route *rt, struct ods_resp *w, const struct rate_res *rr,
    const char *who)
{
	struct audit_ev	e;

	ev_init(&e, r, rt, NULL);
	e.action = "login_throttled";
	e.outcome = "failure";
	e.status = 429;
	e.reason = "too_many_failures";
	e.sampled = 1;
	odsi_audit_emit(a->audit, &e);
	return refuse_429(r, rt, w, rr, who, "auth_fail");
}

/*
 * One more refused credential for the client's address; 1 when that one
 * is over the limit (a JWT is checked before the address is, so this is
 * where an address that keeps sending bad ones is stopped: who and rr
 * then say for how long).
 */
static int
fail_count(struct ods_auth *a, struct ods_req *r, char *who, size_t len,
    struct rate_res *rr)
{
	if (a->conf->auth_fail_limit <= 0 || a->redis == NULL)
		return 0;
	rate_who(r, NULL, who, len);
	return odsi_rate_fail_hit(a, who, rr) == ODS_OK && !rr->allowed;
}

static enum ods_err
refuse_401(struct ods_auth *a, struct ods_req *r, const struct ods_route *rt,
    struct ods_resp *w, int missing, const char *why)
{
	struct audit_ev	e;
	struct rate_res	rr;
	char		who[128];

	ev_init(&e, r, rt, NULL);
	e.action = "login_failed";
	e.outcome = "failure";
	e.status = 401;
	e.reason = why;
	e.sampled = 1;
	odsi_audit_emit(a->audit, &e);
	if (fail_count(a, r, who, sizeof(who), &rr))
		return refuse_throttled(a, r, rt, w, &rr, who);
	(void)ods_resp_header(w, "WWW-Authenticate", missing ?
	    "Bearer realm=\"one-data-studio\"" :
	    "Bearer realm=\"one-data-studio\", error=\"invalid_token\"");
	ods_resp_fail(w, &(struct ods_error){ .err = ODS_EAUTH,
	    .code = missing ? ODS_C_TOKEN_MISSING : ODS_C_TOKEN_INVALID,
	    .slug = missing ? "unauthorized" : "invalid_token",
	    .openai_code = "invalid_api_key",
	    .msg = missing ? (rt->perm != NULL &&
	    rt->auth == ODS_AUTH_OPTIONAL ? "Authentication required" :
	    "Missing authentication token") : "Invalid or expired token" });
	return ODS_EAUTH;
}

struct forbidden {
	const char			*perm;
	const struct ods_principal	*p;
};

static void
forbidden_extra(struct ods_jw *jw, const void *arg)
{
	const struct forbidden	*f = arg;
	size_t			 i;

	ods_jw_kstr(jw, "required", f->perm);
	ods_jw_key(jw, "roles");
	ods_jw_arr(jw);
	for (i = 0; i < f->p->nroles; i++)
		ods_jw_str(jw, f->p->roles[i]);
	ods_jw_end(jw);
}

static enum ods_err
refuse_403(struct ods_auth *a, struct ods_req *r, const struct ods_route *rt,
    struct ods_resp *w, const struct ods_principal *p)
{
	struct audit_ev	e;
	char		rtype[64];

	snprintf(rtype, sizeof(rtype), "%.*s", (int)strcspn(rt->perm, ":"),
	    rt->perm);
	ev_init(&e, r, rt, p);
	e.action = "permission_denied";
	e.outcome = "failure";
	e.status = 403;
	e.resource_type = rtype;
	e.reason = rt->perm;
	e.sampled = 1;
	odsi_audit_emit(a->audit, &e);
	/* OpenAI shape: code "permission_denied"; envelope: required, roles. */
	ods_resp_fail(w, &(struct ods_error){ .err = ODS_EFORBIDDEN,
	    .code = ODS_C_FORBIDDEN, .slug = "forbidden",
	    .openai_code = "permission_denied",
	    .msg = "Insufficient permissions", .extra = forbidden_extra,
	    .extra_arg = &(struct forbidden){ rt->perm, p } });
	return ODS_EFORBIDDEN;
}

static enum ods_err
refuse_backend(struct ods_auth *a, struct ods_req *r,
    const struct ods_route *rt, struct ods_resp *w, enum ods_err er)
{
	struct audit_ev	e;

	ev_init(&e, r, rt, NULL);
	e.action = "login_failed";
	e.outcome = "failure";
	e.status = ods_err_http(er);
	e.reason = "auth_backend_unavailable";
	e.sampled = 1;
	odsi_audit_emit(a->audit, &e);
	ods_resp_error(w, er, "authentication backend unavailable");
	return er;
}

/*
 * An app's key outside its app, or an API key of no app on a route that
 * takes app keys: 403 in the shape of the service (OpenAI's on /v1).
 */
static enum ods_err
refuse_scope(struct ods_auth *a, struct ods_req *r, const struct ods_route *rt,
    struct ods_resp *w, const struct ods_principal *p, const char *why)
{
	struct audit_ev	e;

	ev_init(&e, r, rt, p);
	e.action = "permission_denied";
	e.outcome = "failure";
	e.status = 403;
	e.resource_type = "app";
	e.reason = why;
	e.sampled = 1;
	odsi_audit_emit(a->audit, &e);
	ods_resp_fail(w, &(struct ods_error){ .err = ODS_EFORBIDDEN,
	    .code = ODS_C_FORBIDDEN, .slug = "app_key_scope",
	    .openai_code = "permission_denied",
	    .msg = p->app_id != NULL ? "This API key belongs to an app and "
	    "is valid only on that app's routes" : "This route takes a JWT "
	    "or an API key created under this app" });
	return ODS_EFORBIDDEN;
}

/*
 * The app scope of ODS_AUTH_APP: 1 when p is an API key that route and
 * path accept for the app, 0 when p is not an API key (the route's perm
 * applies), -1 when refused (why set).
 */
static int
app_scope(struct ods_req *r, const struct ods_route *rt,
    const struct ods_principal *p, const char **why)
{
	const char	*id;

	if (p == NULL || p->kind != ODS_PRINCIPAL_APIKEY)
		return 0;
	if (rt->auth != ODS_AUTH_APP) {
		*why = "app_key_outside_app";
		return p->app_id != NULL ? -1 : 0;
	}
	if (p->app_id == NULL) {
		*why = "key_of_no_app";
		return -1;
	}
	id = ods_req_param(r, "id");
	if (id == NULL || strcmp(id, p->app_id) != 0) {
		*why = "key_of_another_app";
		return -1;
	}
	return 1;
}

/* ---- rate limit ---- */

/* The bucket's caller: key id, user id (hashed when odd), or client IP. */
static void
rate_who(struct ods_req *r, const struct ods_principal *p, char *buf,
    size_t len)
{
	const char	*s;
	char		 h[65];
	size_t		 i;

	if (p != NULL && p->key_id != NULL) {
		snprintf(buf, len, "k:%s", p->key_id);
		return;
	}
	s = p != NULL ? p->user_id : ods_req_remote_addr(r);
	for (i = 0; s[i] != '\0' && i <= 64; i++)
		if (!(s[i] == '-' || s[i] == '_' || s[i] == '.' ||
		    s[i] == '@' || s[i] == ':' || (s[i] >= '0' && s[i] <= '9') ||
		    ((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z')))
			break;
	if (s[i] == '\0' && i > 0 && i <= 64) {
		snprintf(buf, len, "%s:%s", p != NULL ? "u" : "ip", s);
		return;
	}
	ods_sha256_hex(s, strlen(s), h);
	snprintf(buf, len, "%s#%.32s", p != NULL ? "u" : "ip", h);
}

static void
rate_headers(struct ods_resp *w, const struct rate_res *rr)
{
	char	b[32];

	snprintf(b, sizeof(b), "%d", rr->limit);
	(void)ods_resp_header(w, "X-RateLimit-Limit", b);
	snprintf(b, sizeof(b), "%d", rr->remaining);
	(void)ods_resp_header(w, "X-RateLimit-Remaining", b);
	snprintf(b, sizeof(b), "%lld", (long long)rr->reset_s);
	(void)ods_resp_header(w, "X-RateLimit-Reset", b);
}

static void
retry_extra(struct ods_jw *jw, const void *arg)
{
	const struct rate_res	*rr = arg;

	ods_jw_key(jw, "details");
	ods_jw_obj(jw);
	ods_jw_kint(jw, "retry_after", rr->retry_after);
	ods_jw_end(jw);
}

/*
 * The log line names the route template, never the decoded path: a path
 * is the client's to choose and could carry " who=..." to forge fields.
 */
static enum ods_err
refuse_429(struct ods_req *r, const struct ods_route *rt, struct ods_resp *w,
    const struct rate_res *rr, const char *who, const char *klass)
{
	char	b[32];

	snprintf(b, sizeof(b), "%d", rr->retry_after);
	(void)ods_resp_header(w, "Retry-After", b);
	ods_log(ODS_LOG_INFO, "rate_limited who=%s class=%s method=%s "
	    "route=%s retry_after=%d", who, klass, ods_req_method_name(r),
	    rt->pattern, rr->retry_after);
	ods_resp_fail(w, &(struct ods_error){ .err = ODS_ELIMIT,
	    .code = ODS_C_RATE_LIMITED, .slug = "rate_limited",
	    .openai_code = "rate_limit_exceeded", .msg = "Rate limit exceeded",
	    .extra = retry_extra, .extra_arg = rr });
	return ODS_ELIMIT;
}

/* Redis down: allow (default) and say so, or refuse with 503. */
static enum ods_err
rate_unavailable(struct ods_auth *a, struct ods_resp *w, enum ods_err er)
{
	int64_t	now = ods_now_ms(), last;

	atomic_store(&a->rl_fail_ms, now);
	last = atomic_load(&a->rl_warn_ms);
	if (now - last > RL_UNHEALTHY_MS &&
	    atomic_compare_exchange_strong(&a->rl_warn_ms, &last, now))
		ods_log(ODS_LOG_WARN, "rate_limit_unavailable err=%s "
		    "policy=%s", ods_strerror(er),
		    a->conf->rate_limit_fail_open ? "allow" : "refuse");
	if (a->conf->rate_limit_fail_open)
		return ODS_OK;
	ods_resp_error(w, ODS_EUNAVAIL, "rate limiter unavailable");
	return ODS_EUNAVAIL;
}

static enum ods_err	fail_gate(struct ods_auth *, struct ods_req *,
		    const struct ods_route *, struct ods_resp *);

/*
 * The caller's limit; with gate, the address's refused credentials too
 * (in the same round trip when both are on): the caller brought a JWT,
 * which was checked before the address was.
 */
static enum ods_err
rate_limit(struct ods_auth *a, struct ods_req *r, const struct ods_route *rt,
    struct ods_resp *w, const struct ods_principal *p, int gate)
{
	const struct ods_conf		*c = a->conf;
	const struct ods_req_env	*env = ods_req_env(r);
	struct rate_res			 rr;
	enum ods_method			 m = ods_req_method(r);
	enum ods_err			 er;
	char				 who[128], addr[128];
	int				 keyed = p != NULL && p->rpm > 0;

	gate = gate && c->auth_mode && c->auth_fail_limit > 0;
	if (!c->rate_limit_enabled)
		return gate ? fail_gate(a, r, rt, w) : ODS_OK;
	if (gate)
		rate_who(r, NULL, addr, sizeof(addr));
	rate_who(r, p, who, sizeof(who));
	er = odsi_rate_take(a, env != NULL && env->service != NULL ? env->service :
	    "ods", m == ODS_GET || m == ODS_HEAD || m == ODS_OPTIONS ?
	    "read" : "write", who, keyed ? p->rpm : c->rate_limit_count,
	    keyed ? 60 : c->rate_limit_window, keyed ? p->rpm :
	    c->rate_limit_burst, gate ? addr : NULL, &rr);
	if (er != ODS_OK)
		return rate_unavailable(a, w, er);
	if (rr.throttled)
		return refuse_throttled(a, r, rt, w, &rr, addr);
	rate_headers(w, &rr);
	return rr.allowed ? ODS_OK : refuse_429(r, rt, w, &rr, who,
	    m == ODS_GET || m == ODS_HEAD || m == ODS_OPTIONS ? "read" :
	    "write");
}

/*
 * Before any token is looked at: an address with ODS_AUTH_FAIL_LIMIT
 * refused credentials in its window gets 429 at the cost of one Redis
 * round trip. Redis down: let the request through (the per-caller
 * limiter applies ODS_RATE_LIMIT_FAIL_OPEN); an unreachable limiter
 * must not lock every client out.
 */
static enum ods_err
fail_gate(struct ods_auth *a, struct ods_req *r, const struct ods_route *rt,
    struct ods_resp *w)
{
	struct rate_res	rr;
	char		who[128];

	if (!a->conf->auth_mode || a->conf->auth_fail_limit <= 0 ||
	    a->redis == NULL)
		return ODS_OK;
	rate_who(r, NULL, who, sizeof(who));
	if (odsi_rate_fail_peek(a, who, &rr) != ODS_OK) {
		atomic_store(&a->rl_fail_ms, ods_now_ms());
		return ODS_OK;
	}
	if (rr.allowed)
		return ODS_OK;
	return refuse_throttled(a, r, rt, w, &rr, who);
}

/* ---- cross-site requests ---- */

/* The media type of s is application/json or some application/...+json. */
static int
json_media(const char *s)
{
	size_t	n;

	if (s == NULL)
		return 0;
	while (*s == ' ')
		s++;
	n = strcspn(s, "; ");
	if (n == 16 && strncasecmp(s, "application/json", 16) == 0)
		return 1;
	return n > 17 && strncasecmp(s, "application/", 12) == 0 &&
	    strncasecmp(s + n - 5, "+json", 5) == 0;
}

/* origin is one of the comma list (exact, as the browser sends it). */
static int
origin_listed(const char *list, const char *origin)
{
	size_t	olen = strlen(origin), n;

	while (*list != '\0') {
		list += strspn(list, " ,");
		n = strcspn(list, ",");
		while (n > 0 && list[n - 1] == ' ')
			n--;
		if (n > 0 && n == olen && strncasecmp(list, origin, n) == 0)
			return 1;
		list += strcspn(list, ",");
	}
	return 0;
}

int
ods_auth_csrf_ok(const struct ods_auth *a, struct ods_req *r)
{
	enum ods_method	 m = ods_req_method(r);
	const char	*origin, *host, *p;

	if (m == ODS_GET || m == ODS_HEAD || m == ODS_OPTIONS)
		return 1;
	/* A cross-site form cannot send it without a CORS preflight. */
	if (json_media(ods_req_header(r, "Content-Type")))
		return 1;
	origin = ods_req_header(r, "Origin");
	if (origin == NULL || *origin == '\0')
		return 0;
	if (a != NULL && origin_listed(a->conf->csrf_trusted_origins, origin))
		return 1;
	host = ods_req_header(r, "Host");
	if (host == NULL || (p = strstr(origin, "://")) == NULL)
		return 0;
	return strcasecmp(p + 3, host) == 0;
}

static enum ods_err
refuse_csrf(struct ods_auth *a, struct ods_req *r, const struct ods_route *rt,
    struct ods_resp *w, const struct ods_principal *p)
{
	struct audit_ev	e;

	ev_init(&e, r, rt, p);
	e.action = "csrf_refused";
	e.outcome = "failure";
	e.status = 403;
	e.reason = "cookie_without_json_or_origin";
	e.sampled = 1;
	odsi_audit_emit(a->audit, &e);
	ods_resp_fail(w, &(struct ods_error){ .err = ODS_EFORBIDDEN,
	    .code = ODS_C_FORBIDDEN, .slug = "csrf",
	    .openai_code = "permission_denied",
	    .msg = "Cross-site request refused: a request authenticated by "
	    "cookie must send Content-Type: application/json or a "
	    "same-origin Origin header" });
	return ODS_EFORBIDDEN;
}

/* ---- the check ---- */

static int
wants_sse(const struct ods_req *r)
{
	const char	*acc = ods_req_header(r, "Accept");

	return acc != NULL && strstr(acc, "text/event-stream") != NULL;
}

/*
 * ODS_ENOTFOUND: no token at all; ODS_EAUTH: why says what is wrong.
 * *cookie: the token came from the access_token cookie.
 */
static enum ods_err
find_token(struct ods_req *r, const char **tok, const char **why,
    int *cookie)
{
	const char	*h = ods_req_header(r, "Authorization");

	*tok = NULL;
	*cookie = 0;
	if (h != NULL) {
		if (strncasecmp(h, "Bearer ", 7) != 0) {
			*why = "bad_scheme";
			return ODS_EAUTH;
		}
		for (h += 7; *h == ' '; h++)
			;
		*tok = h;
	} else if ((*tok = ods_req_cookie(r, "access_token")) != NULL)
		*cookie = 1;
	else if ((*tok = ods_req_query(r, "access_token")) != NULL &&
	    !wants_sse(r)) {
		/* Tokens in URLs end up in logs: only EventSource may. */
		*why = "query_token";
		return ODS_EAUTH;
	}
	if (*tok == NULL)
		return ODS_ENOTFOUND;
	if (**tok == '\0') {
		*why = "empty";
		return ODS_EAUTH;
	}
	return ODS_OK;
}

/* The request carries a token that is not an API key (a JWT, or junk). */
static int
bears_jwt(struct ods_req *r)
{
	const char	*tok, *why;
	int		 cookie;

	return find_token(r, &tok, &why, &cookie) == ODS_OK &&
	    strncmp(tok, ODS_APIKEY_PREFIX, strlen(ODS_APIKEY_PREFIX)) != 0;
}

static enum ods_err
authenticate(struct ods_auth *a, struct ods_req *r,
    const struct ods_principal **p, const char **why, int *cookie)
{
	struct ods_apikey	 k;
	const char		*tok;
	enum ods_err		 er;

	*p = NULL;
	*cookie = 0;
	if (!a->conf->auth_mode) {
		*p = &dev_principal;
		return ODS_OK;
	}
	if ((er = find_token(r, &tok, why, cookie)) != ODS_OK)
		return er;
	if (strncmp(tok, ODS_APIKEY_PREFIX, strlen(ODS_APIKEY_PREFIX)) != 0)
		return ods_auth_verify(a, tok, ods_req_arena(r), p, why);
	er = ods_apikey_verify(a->db, tok, &k);
	if (er == ODS_EAUTH)
		*why = "bad_api_key";
	if (er != ODS_OK)
		return er;
	if ((*p = odsi_apikey_principal(ods_req_arena(r), &k)) == NULL)
		er = ODS_ENOMEM;
	ods_apikey_fini(&k);
	return er;
}

enum ods_err
ods_auth_check(struct ods_auth *a, struct ods_req *r,
    const struct ods_route *rt, struct ods_resp *w)
{
	const struct ods_principal	*p = NULL;
	const char			*why = NULL;
	enum ods_err			 er;
	int				 cookie, scoped, jwt;

	if (a == NULL || rt == NULL || rt->auth == ODS_AUTH_OPEN)
		return ODS_OK;
	/*
	 * An address over its refused credentials is stopped before an API
	 * key (a database query) or no token is looked at; a JWT costs a
	 * signature check, less than the round trip a gate of its own would
	 * add to every good request: its gate is rate_limit's (a bad one's,
	 * refuse_401's count).
	 */
	if (!(jwt = bears_jwt(r)) && (er = fail_gate(a, r, rt, w)) != ODS_OK)
		return er;
	er = authenticate(a, r, &p, &why, &cookie);
	if (er == ODS_ENOTFOUND && (rt->auth == ODS_AUTH_REQUIRED ||
	    rt->auth == ODS_AUTH_APP))
		return refuse_401(a, r, rt, w, 1, "missing_token");
	if (er == ODS_EAUTH)
		return refuse_401(a, r, rt, w, 0, why);
	if (er != ODS_OK && er != ODS_ENOTFOUND)
		return refuse_backend(a, r, rt, w, er);
	if (cookie && !ods_auth_csrf_ok(a, r))
		return refuse_csrf(a, r, rt, w, p);
	if ((scoped = app_scope(r, rt, p, &why)) < 0)
		return refuse_scope(a, r, rt, w, p, why);
	ods_req_set_principal(r, p);
	if (!scoped && rt->perm != NULL && *rt->perm != '\0') {
		if (p == NULL)
			return refuse_401(a, r, rt, w, 1, "missing_token");
		if (!ods_auth_allows(p, rt->perm))
			return refuse_403(a, r, rt, w, p);
	}
	return rate_limit(a, r, rt, w, p, jwt);
}

void
ods_auth_after(struct ods_auth *a, struct ods_req *r,
    const struct ods_route *rt, int status)
{
	struct audit_ev	e;
	enum ods_method	m;
	char		rtype[64];

	if (a == NULL || r == NULL)
		return;
	m = ods_req_method(r);
	if (m != ODS_POST && m != ODS_PUT && m != ODS_PATCH && m != ODS_DELETE)
		return;
	ev_init(&e, r, rt, ods_req_principal(r));
	e.action = "api_call";
	e.outcome = status >= 200 && status < 400 ? "success" : "failure";
	e.status = status;
	if (rt != NULL && rt->perm != NULL) {
		snprintf(rtype, sizeof(rtype), "%.*s",
		    (int)strcspn(rt->perm, ":"), rt->perm);
		e.resource_type = rtype;
	}
	odsi_audit_emit(a->audit, &e);
}

/* ---- Keycloak refresh grant ---- */

static const char *
tok_str(struct ods_arena *ar, struct json_object *o, const char *k)
{
	const char	*v = ods_json_get_str(o, k);

	return v != NULL ? ods_arena_strdup(ar, v) : NULL;
}

static enum ods_err
tokens_parse(const struct ods_buf *b, struct ods_arena *ar,
    struct ods_auth_tokens *t)
{
	struct json_object	*o = NULL, *v;
	struct ods_why	 je;

	if (b->data == NULL || ods_json_parse(b->data, b->len, 8, &o, &je) !=
	    ODS_OK)
		return ODS_EUPSTREAM;
	t->access_token = tok_str(ar, o, "access_token");
	t->refresh_token = tok_str(ar, o, "refresh_token");
	t->token_type = tok_str(ar, o, "token_type");
	if (t->token_type == NULL)
		t->token_type = "Bearer";
	if (json_object_object_get_ex(o, "expires_in", &v))
		t->expires_in = json_object_get_int64(v);
	if (json_object_object_get_ex(o, "refresh_expires_in", &v))
		t->refresh_expires_in = json_object_get_int64(v);
	ods_json_put(o);
	return t->access_token != NULL ? ODS_OK : ODS_EUPSTREAM;
}

/*
 * POST a refresh token to one of Keycloak's OIDC endpoints (url) as our
 * client: the form of the refresh grant (grant set) or of the logout
 * endpoint (grant NULL). *status is Keycloak's answer; body gets it.
 */
static enum ods_err
keycloak_post(struct ods_auth *a, const char *url, const char *grant,
    const char *refresh, struct ods_buf *body, long *status)
{
	const struct ods_conf	*c = a->conf;
	struct ods_buf		 form;
	enum ods_err		 er = ODS_OK;

	*status = 0;
	ods_buf_init(&form, 64 * 1024);
	if (grant != NULL)
		er = odsi_auth_form_add(&form, "grant_type", grant);
	if (er == ODS_OK)
		er = odsi_auth_form_add(&form, "client_id",
		    c->keycloak_client_id);
	if (er == ODS_OK && *c->keycloak_client_secret != '\0')
		er = odsi_auth_form_add(&form, "client_secret",
		    c->keycloak_client_secret);
	if (er == ODS_OK)
		er = odsi_auth_form_add(&form, "refresh_token", refresh);
	if (er == ODS_OK)
		er = odsi_auth_http(url, form.data, c->jwks_timeout_ms,
		    TOKEN_RESP_MAX, body, status);
	else
		ods_buf_init(body, 0);
	if (form.data != NULL)
		explicit_bzero(form.data, form.len);
	ods_buf_free(&form);
	return er;
}

enum ods_err
ods_auth_refresh(struct ods_auth *a, const char *refresh,
    struct ods_arena *ar, struct ods_auth_tokens *t)
{
	struct ods_buf		 body;
	enum ods_err		 er;
	long			 status = 0;

	memset(t, 0, sizeof(*t));
	if (a->token_url == NULL)
		return ODS_EINVAL;
	if (refresh == NULL || *refresh == '\0' ||
	    strlen(refresh) > REFRESH_MAX)
		return ODS_EAUTH;
	er = keycloak_post(a, a->token_url, "refresh_token", refresh, &body,
	    &status);
	if (er == ODS_OK && (status == 400 || status == 401))
		er = ODS_EAUTH;
	else if (er == ODS_OK && status != 200)
		er = ODS_EUPSTREAM;
	if (er == ODS_OK)
		er = tokens_parse(&body, ar, t);
	if (body.data != NULL)
		explicit_bzero(body.data, body.len);
	ods_buf_free(&body);
	return er;
}

enum ods_err
ods_auth_logout(struct ods_auth *a, const char *refresh)
{
	struct ods_buf	body;
	enum ods_err	er;
	long		status = 0;

	if (a->logout_url == NULL)
		return ODS_EINVAL;
	if (refresh == NULL || *refresh == '\0' ||
	    strlen(refresh) > REFRESH_MAX)
		return ODS_EAUTH;
	er = keycloak_post(a, a->logout_url, NULL, refresh, &body, &status);
	if (er == ODS_OK && (status == 400 || status == 401))
		er = ODS_EAUTH;
	else if (er == ODS_OK && status != 204 && status != 200)
		er = ODS_EUPSTREAM;
	if (body.data != NULL)
		explicit_bzero(body.data, body.len);
	ods_buf_free(&body);
	return er;
}
