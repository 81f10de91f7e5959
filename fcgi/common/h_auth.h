/*
 * fcgi/common/h_auth.h — the auth and API-key routes, shared by the data
 * and agent pools (h_auth.c, h_apikeys.c).
 */
#ifndef H_AUTH_H
#define H_AUTH_H

#include "net/ods_req.h"
#include "server/ods_router.h"

/*
 * The auth routes, as rows for a pool's route table (inner paths; the data
 * and agent pools strip /api/v1).
 */
#define H_AUTH_ROUTES \
	{ ODS_GET, "/auth/me", h_auth_me, ODS_AUTH_REQUIRED, NULL }, \
	{ ODS_GET, "/auth/permissions", h_auth_permissions, \
	    ODS_AUTH_REQUIRED, NULL }, \
	{ ODS_POST, "/auth/refresh", h_auth_refresh, ODS_AUTH_OPEN, NULL }, \
	{ ODS_POST, "/auth/logout", h_auth_logout, ODS_AUTH_OPEN, NULL, \
	    16384 }, \
	{ ODS_POST, "/api-keys", h_apikeys_create, ODS_AUTH_REQUIRED, \
	    "system:manage" }, \
	{ ODS_GET, "/api-keys", h_apikeys_list, ODS_AUTH_REQUIRED, \
	    "system:manage" }, \
	{ ODS_DELETE, "/api-keys/{id}", h_apikeys_revoke, ODS_AUTH_REQUIRED, \
	    "system:manage" }

/*
 * The owner a caller's reads and writes are limited to: its user id (""
 * when anonymous), or NULL for admin, who sees everything. Resources
 * (jobs, knowledge bases, documents) are looked up with it, so another
 * user's object is a 404 and ids reveal nothing.
 */
const char	*h_owner(struct ods_req *);

/*
 * 403 for a change to a shared object by someone who may read it but is
 * neither its creator nor an admin; what names it ("a dataset").
 */
enum ods_status	 h_not_owner(struct ods_resp *, const char *what);

/* The caller's user id ("" when anonymous): the creator of new rows. */
const char	*h_user(struct ods_req *);

/*
 * data:{roles, permissions:{resource:[operation...]}} of the caller, from
 * the RBAC table (reference-api §4.3 G25's intended shape).
 */
enum ods_status	h_auth_permissions(struct ods_req *, struct ods_resp *);
/* data:{user_id,username,email,name,roles} of the caller. */
enum ods_status	h_auth_me(struct ods_req *, struct ods_resp *);
/*
 * Refresh token from cookie refresh_token, else body {"refresh_token"};
 * Keycloak refresh grant; data:{access_token,refresh_token,expires_in,
 * token_type} plus HttpOnly SameSite cookies. 401 40101 when Keycloak
 * refuses it, 503 when no Keycloak is configured.
 */
enum ods_status	h_auth_refresh(struct ods_req *, struct ods_resp *);
/*
 * Open (an expired access token must still be able to log out): the
 * refresh token from cookie refresh_token (CSRF rule applies) or body
 * {"refresh_token"}, or none. Both auth cookies are cleared; the refresh
 * token is revoked at Keycloak when one is configured: data:{revoked,
 * session: revoked|no_refresh_token|keycloak_not_configured|
 * refresh_token_invalid}. Keycloak unreachable: 502/503/504 (the cookies
 * are cleared all the same).
 */
enum ods_status	h_auth_logout(struct ods_req *, struct ods_resp *);
/*
 * Body {"name", "owner"?, "allowed_models"?, "rpm"?, "tpm"?,
 * "expires_in_days"?}: 201 data:{api_key, key:{...}}; api_key, the
 * secret, is shown this once.
 */
enum ods_status	h_apikeys_create(struct ods_req *, struct ods_resp *);
/*
 * The 201 {api_key, key} of a key just made (here and for an app's keys):
 * the secret is shown this once, then wiped and freed; k is finished.
 */
struct ods_apikey;
enum ods_status	h_apikey_created(struct ods_resp *, const char *msg,
		    char *secret, struct ods_apikey *k);
/*
 * data:{<key>:[...], total} of a list of keys (never a secret or a hash),
 * which it frees.
 */
enum ods_status	h_apikeys_send(struct ods_resp *, const char *key,
		    struct ods_apikey *keys, size_t n);
/* ?owner=: data:{items:[...], total}; never a secret or a hash. */
enum ods_status	h_apikeys_list(struct ods_req *, struct ods_resp *);
/* 200 data:{key_id, revoked:true}, or 404. */
enum ods_status	h_apikeys_revoke(struct ods_req *, struct ods_resp *);

#endif /* H_AUTH_H */
