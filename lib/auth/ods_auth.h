/* lib/auth/ods_auth.h — who is calling: JWT, API keys, RBAC, rate limits, audit. */
#ifndef ODS_AUTH_H
#define ODS_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "core/ods_err.h"

struct ods_arena;
struct ods_conf;
struct ods_db;
struct ods_jw;
struct ods_redis;
struct ods_req;
struct ods_resp;
struct ods_route;
struct ods_auth;	/* per worker process; thread-safe */

#define ODS_AUTH_MAX_TOKEN	8192	/* longer bearer tokens: 401 */
#define ODS_APIKEY_PREFIX	"sk-ods-"
/* Issuer of the HS256 tokens `odsctl token` mints (HS256 only). */
#define ODS_JWT_LOCAL_ISSUER	"urn:one-data-studio:odsctl"

enum ods_principal_kind {
	ODS_PRINCIPAL_TOKEN = 1,	/* a verified JWT (RS256 or HS256) */
	ODS_PRINCIPAL_APIKEY,		/* an sk-ods- key */
	ODS_PRINCIPAL_DEV		/* AUTH_MODE=false: dev_user, admin */
};

/*
 * The caller, in the request arena. Strings are never NULL ("" when the
 * token had no such claim). roles = realm_access.roles ∪ every
 * resource_access.*.roles, without duplicates; an API key has none (it
 * passes routes without a perm, and those of ODS_PERM_MODEL_USE). models/nmodels: the models an API
 * key may use (models NULL: any).
 */
struct ods_principal {
	enum ods_principal_kind	 kind;
	const char		*user_id;	/* sub, or the key's owner */
	const char		*username;	/* preferred_username|email|sub */
	const char		*email;
	const char		*name;
	const char *const	*roles;
	size_t			 nroles;
	const char		*key_id;	/* API key id, else NULL */
	const char *const	*models;
	size_t			 nmodels;
	int			 rpm, tpm;	/* API key limits; 0: default */
	int64_t			 expires_at;	/* epoch s; 0: none */
	const char		*app_id;	/* an app's key: its app; else NULL */
};

/*
 * One per worker process, made after fork (it starts the audit writer
 * thread), from the conf of that worker: a SIGHUP reload starts new
 * workers, so a new JWT_SECRET_KEY / JWT_PREVIOUS_KEYS set needs no
 * restart. conf, db and redis are borrowed and must outlive it; db and
 * redis may be NULL (no API keys and no audit rows; no shared JWKS cache
 * and no rate limits). Returns NULL (logged) when ENVIRONMENT=production
 * and AUTH_MODE=false, or when an HS256 key is shorter than 32 bytes.
 *
 * JWKS cache across workers: the document fetched from KEYCLOAK_JWKS_URL
 * (else KEYCLOAK_URL/realms/REALM/protocol/openid-connect/certs) is kept
 * in Redis ("ods:jwks:doc:<hash of url>", stamped with its fetch time,
 * expiring after ODS_JWKS_CACHE_TTL) and parsed into an in-process copy
 * per worker. A worker whose copy is older than the TTL reads Redis first
 * and fetches only when Redis has nothing, under a SET NX "fill" lock so
 * one worker fetches while the others keep their stale copy. A token with
 * an unknown kid makes one refetch per ODS_JWKS_REFETCH_INTERVAL for the
 * whole pool (SET NX PX "lock" key, plus a per-process window that also
 * holds when Redis is down). While that window is closed, and for one
 * interval after a kid was found unknown, an unknown kid is answered from
 * memory: no lock held across I/O, no Redis, no parse. A document whose
 * SHA-256 is that of the installed set only renews its fetch time. A
 * failed fetch keeps the last good set.
 */
struct ods_auth	*ods_auth_new(const struct ods_conf *, struct ods_db *,
		    struct ods_redis *);
/* Flushes queued audit rows, stops the writer. NULL is a no-op. */
void		 ods_auth_free(struct ods_auth *);

/*
 * Called by the worker before every handler. Per route->auth: OPEN does
 * nothing; OPTIONAL and REQUIRED read the token from Authorization:
 * Bearer, else cookie access_token, else query access_token (only for
 * Accept: text/event-stream requests; elsewhere a query token is a 401).
 * Before any of that, a client address with ODS_AUTH_FAIL_LIMIT refused
 * credentials (401s) in the last ODS_AUTH_FAIL_WINDOW seconds gets 429;
 * a write authenticated by cookie must pass ods_auth_csrf_ok (else 403,
 * error "csrf").
 * An sk-ods- token is an API key. Then RBAC for route->perm
 * ("resource:operation"), then the rate limit (X-RateLimit-* headers are
 * added to the response). Sets the principal of the request. On refusal
 * it writes the 401 (40100/40101), 403 (40300 with required and roles),
 * 429 (Retry-After) or 503 response itself (OpenAI-shaped on /v1/ when
 * the service has openai_errors), writes the AUDIT line of an auth
 * failure, and returns ODS_EAUTH, ODS_EFORBIDDEN, ODS_ELIMIT or
 * ODS_EUNAVAIL. a NULL: every route is open (returns ODS_OK).
 *
 * App keys (ods_apikey.app_id set): accepted on ODS_AUTH_APP routes whose
 * {id} is their app, and refused with 403 (error "app_key_scope") on
 * every other route, /v1 included; an ODS_AUTH_APP route refuses an API
 * key of another app or of no app the same way (403, not 404: the key
 * holder learns nothing about the app but that the key is not for it).
 * Whether the app is published is the handler's to check.
 */
enum ods_err	 ods_auth_check(struct ods_auth *, struct ods_req *,
		    const struct ods_route *, struct ods_resp *);

/*
 * CSRF rule for requests whose credential is a cookie (ods_auth_check
 * applies it to the access_token cookie; h_auth to the refresh_token
 * cookie): GET, HEAD and OPTIONS pass; any other method must send
 * Content-Type application/json (or application/...+json), which no
 * cross-site form can send without a CORS preflight, or an Origin equal
 * to the request's Host or listed in ODS_CSRF_TRUSTED_ORIGINS. 1: ok.
 * Bearer tokens and API keys are not sent by browsers on their own and
 * are not subject to it. a may be NULL (no trusted list).
 */
int		 ods_auth_csrf_ok(const struct ods_auth *, struct ods_req *);

/*
 * Called by the worker after the handler of a request that passed
 * ods_auth_check: writes the AUDIT line (and audit_logs row) of every
 * POST, PUT, PATCH and DELETE with status as its outcome. a NULL: no-op.
 */
void		 ods_auth_after(struct ods_auth *, struct ods_req *,
		    const struct ods_route *, int status);

/*
 * Verify one JWT as ods_auth_check does; the principal lives in arena.
 * Returns ODS_OK, ODS_EAUTH (*reason, a fixed string for logs such as
 * "expired" or "bad_signature": never for the client) or ODS_ENOMEM.
 */
enum ods_err	 ods_auth_verify(struct ods_auth *, const char *token,
		    struct ods_arena *, const struct ods_principal **,
		    const char **reason) ODS_MUSTCHECK;

/*
 * Audit retention (the audit_retention job): delete at most batch
 * audit_logs rows whose timestamp is before cutoff ("YYYY-MM-DD
 * hh:mm:ss", UTC), in one statement; *deleted is how many. count tells
 * how many such rows there are. Return ODS_OK, ODS_EINVAL (batch outside
 * 1..100000), or the errors of ods_db.
 */
enum ods_err	 ods_auth_audit_purge(struct ods_db *, const char *cutoff,
		    int batch, uint64_t *deleted) ODS_MUSTCHECK;
enum ods_err	 ods_auth_audit_count(struct ods_db *, const char *cutoff,
		    int64_t *n) ODS_MUSTCHECK;

/*
 * Calling a model through /v1 (chat, completions, embeddings). Granted to
 * admin, ai_developer, user, data_engineer and data_analyst (not viewer
 * or guest: a call spends tokens), and to every API key, whose scope it
 * is (and its only permission; its allowed models narrow it further).
 */
#define ODS_PERM_MODEL_USE	"model:use"

/* RBAC of reference-api §7.2: admin passes; any role granting passes. */
int		 ods_auth_role_allows(const char *role, const char *resource,
		    const char *operation);
/*
 * Whether perm names a known resource and operation of the RBAC table
 * ("dataset:read"; NULL or "" is valid: no permission needed). Route
 * tables are checked with it at start-up, so a typo refuses to start
 * instead of silently making a route admin-only.
 */
int		 ods_auth_perm_valid(const char *perm);
/*
 * perm is "resource:operation"; NULL or "" passes. p NULL fails. An API
 * key passes ODS_PERM_MODEL_USE only.
 */
int		 ods_auth_allows(const struct ods_principal *, const char *perm);
int		 ods_principal_has_role(const struct ods_principal *,
		    const char *role);
int		 ods_principal_model_allowed(const struct ods_principal *,
		    const char *model);
/*
 * {"roles":[...], "permissions":{"<resource>":["<operation>", ...]}}:
 * what the principal's roles grant in the RBAC table (every operation of
 * every resource for admin; an API key: model use only), for GET
 * /auth/permissions.
 */
void		 ods_principal_permissions_json(struct ods_jw *,
		    const struct ods_principal *);
/* The principal as the "data" of GET /auth/me. */
void		 ods_principal_json(struct ods_jw *,
		    const struct ods_principal *);

/* 0 when the rate limiter could not reach Redis in the last 30 s. */
int		 ods_auth_ratelimit_healthy(const struct ods_auth *);
/* JWKS documents this process fetched over HTTP (for tests, metrics). */
unsigned	 ods_auth_jwks_fetches(const struct ods_auth *);
/*
 * JWKS documents this process parsed (HTTP or Redis): a document whose
 * SHA-256 is that of the installed set is not parsed again.
 */
unsigned	 ods_auth_jwks_parses(const struct ods_auth *);

/* Keycloak refresh grant: strings in arena. */
struct ods_auth_tokens {
	const char	*access_token;
	const char	*refresh_token;
	const char	*token_type;
	int64_t		 expires_in;
	int64_t		 refresh_expires_in;
};
/*
 * POST the token endpoint of KEYCLOAK_URL/realms/REALM with grant
 * refresh_token, client KEYCLOAK_CLIENT_ID (and its secret when set).
 * Returns ODS_OK, ODS_EAUTH (Keycloak refused the refresh token),
 * ODS_EINVAL (no Keycloak configured), ODS_EUPSTREAM, ODS_ETIMEOUT,
 * ODS_EUNAVAIL or ODS_ENOMEM.
 */
enum ods_err	 ods_auth_refresh(struct ods_auth *, const char *refresh,
		    struct ods_arena *, struct ods_auth_tokens *)
		    ODS_MUSTCHECK;
/*
 * End the Keycloak session of a refresh token: POST it to the logout
 * endpoint of KEYCLOAK_URL/realms/REALM as our client (the refresh
 * token, never the access token, is what that endpoint takes). Returns
 * ODS_OK (revoked), ODS_EAUTH (Keycloak refused it: unknown, expired or
 * already revoked), ODS_EINVAL (no Keycloak configured), ODS_EUPSTREAM,
 * ODS_ETIMEOUT, ODS_EUNAVAIL or ODS_ENOMEM.
 */
enum ods_err	 ods_auth_logout(struct ods_auth *, const char *refresh)
		    ODS_MUSTCHECK;

/*
 * A development HS256 token signed with conf->jwt_secret_key: iss is
 * the first JWT_ISSUERS entry (else ODS_JWT_LOCAL_ISSUER), azp and aud
 * KEYCLOAK_CLIENT_ID (else the first JWT_ALLOWED_AUDIENCES entry), roles
 * as realm_access.roles (comma list). *out is
 * malloc'ed. ODS_EINVAL without a secret key or with bad arguments.
 */
enum ods_err	 ods_auth_mint_hs256(const struct ods_conf *, const char *sub,
		    const char *username, const char *roles, int ttl_seconds,
		    char **out) ODS_MUSTCHECK;

/* ---- API keys (table api_keys; the secret is stored as SHA-256) ---- */

struct ods_apikey {
	char	 key_id[33];		/* public id "ak_..." */
	char	 prefix[17];		/* first characters, for listings */
	char	*owner;
	char	*name;
	char	**models;		/* NULL: every model */
	size_t	 nmodels;
	int	 rpm, tpm;		/* 0: no limit of its own */
	int64_t	 expires_at;		/* epoch s; 0: never */
	int64_t	 created_at;
	int64_t	 last_used_at;		/* 0: never */
	int	 revoked;
	char	*app_id;		/* NULL: a /v1 key */
};

struct ods_apikey_spec {
	const char		*owner;		/* required, <= 128 bytes */
	const char		*name;		/* required, <= 255 bytes */
	const char *const	*models;	/* NULL: every model */
	size_t			 nmodels;	/* <= 64 */
	int			 rpm, tpm;	/* 0: none */
	int64_t			 expires_at;	/* epoch s; 0: never */
	const char		*created_by;	/* may be NULL */
	const char		*app_id;	/* <= 64 bytes; NULL: a /v1 key */
};

/*
 * Create a key. *secret ("sk-ods-" + 43 base64url characters) is
 * malloc'ed and shown once: only its hash is stored. out (may be NULL)
 * receives the stored record (free with ods_apikey_fini). Returns ODS_OK,
 * ODS_EINVAL (bad spec), or the errors of ods_db_exec.
 */
enum ods_err	 ods_apikey_create(struct ods_db *,
		    const struct ods_apikey_spec *, char **secret,
		    struct ods_apikey *out) ODS_MUSTCHECK;
/*
 * Look a presented secret up. ODS_OK fills out; ODS_EAUTH for unknown,
 * revoked or expired keys; ODS_EUNAVAIL/ODS_ETIMEOUT for the database.
 */
enum ods_err	 ods_apikey_verify(struct ods_db *, const char *secret,
		    struct ods_apikey *out) ODS_MUSTCHECK;
/* Every key (owner NULL) or one owner's, newest first, at most 1000. */
enum ods_err	 ods_apikey_list(struct ods_db *, const char *owner,
		    struct ods_apikey **keys, size_t *n) ODS_MUSTCHECK;
/*
 * One page of them: limit (1..1000) keys from offset, and the count of
 * all in *total (may be NULL). ODS_EINVAL for a limit or offset out of
 * range.
 */
enum ods_err	 ods_apikey_page(struct ods_db *, const char *owner,
		    int64_t offset, int64_t limit, struct ods_apikey **keys,
		    size_t *n, int64_t *total) ODS_MUSTCHECK;
/* The keys of one app (revoked ones too), newest first, at most 1000. */
enum ods_err	 ods_apikey_list_app(struct ods_db *, const char *app_id,
		    struct ods_apikey **keys, size_t *n) ODS_MUSTCHECK;
/* ODS_OK (also when already revoked) or ODS_ENOTFOUND. */
enum ods_err	 ods_apikey_revoke(struct ods_db *, const char *key_id,
		    const char *by) ODS_MUSTCHECK;
/* The same for a key of app_id: another app's key is ODS_ENOTFOUND. */
enum ods_err	 ods_apikey_revoke_app(struct ods_db *, const char *app_id,
		    const char *key_id, const char *by) ODS_MUSTCHECK;
void		 ods_apikey_fini(struct ods_apikey *);
void		 ods_apikey_list_free(struct ods_apikey *, size_t n);
/* One key as a JSON object (never the secret or its hash). */
void		 ods_apikey_json(struct ods_jw *, const struct ods_apikey *);

#endif /* ODS_AUTH_H */
