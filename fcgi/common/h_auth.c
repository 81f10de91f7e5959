/*
 * fcgi/common/h_auth.c — GET /auth/me and POST /auth/refresh. The gate
 * (ods_auth_check) has run before them: the principal is set.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ods.h"
#include "auth/ods_auth.h"
#include "h_auth.h"

enum ods_status
h_auth_me(struct ods_req *r, struct ods_resp *w)
{
	const struct ods_principal	*p = ods_req_principal(r);
	struct ods_jw			*jw;

	if (p == NULL)
		return ods_resp_error_ex(w, ODS_EAUTH, ODS_C_TOKEN_MISSING, "unauthorized",
		    "Authentication required");
	jw = ods_resp_envelope(w, ODS_HTTP_200, NULL);
	ods_principal_json(jw, p);
	return ods_resp_send(w);
}

/* ---- refresh ---- */

/* Tokens go into Set-Cookie as they are: refuse anything odd. */
static int
cookie_value_ok(const char *s)
{
	if (s == NULL || *s == '\0' || strlen(s) > 16384)
		return 0;
	for (; *s != '\0'; s++)
		if (*s <= ' ' || *s >= 0x7f || *s == ';' || *s == ',' ||
		    *s == '"' || *s == '\\')
			return 0;
	return 1;
}

static enum ods_err
set_cookie(struct ods_req *r, struct ods_resp *w, const char *name,
    const char *value, int64_t max_age)
{
	const struct ods_conf	*c = ods_req_conf(r);
	char			*v;

	v = ods_arena_printf(ods_req_arena(r), "%s=%s; Path=/; HttpOnly; "
	    "SameSite=%s%s%s%s; Max-Age=%lld", name, value,
	    c->auth_cookie_samesite, c->production ||
	    strcmp(c->auth_cookie_samesite, "None") == 0 ? "; Secure" : "",
	    *c->auth_cookie_domain != '\0' ? "; Domain=" : "",
	    c->auth_cookie_domain, (long long)(max_age > 0 ? max_age : 300));
	if (v == NULL)
		return ODS_ENOMEM;
	return ods_resp_header(w, "Set-Cookie", v);
}

/* The refresh token: cookie first, then {"refresh_token": ...}. */
static enum ods_status
refresh_token_of(struct ods_req *r, struct ods_resp *w, const char **out)
{
	struct json_object	*body;
	struct ods_why		 e;
	const char		*ct;
	enum ods_err		 er;

	if ((*out = ods_req_cookie(r, "refresh_token")) != NULL) {
		/* A cross-site form must not rotate the victim's cookies. */
		if (!ods_auth_csrf_ok(ods_req_env(r)->auth, r))
			return ods_resp_error_ex(w, ODS_EFORBIDDEN,
			    ODS_C_FORBIDDEN, "csrf", "Cross-site request "
			    "refused: send Content-Type: application/json "
			    "or a same-origin Origin header");
		return 0;
	}
	ct = ods_req_header(r, "Content-Type");
	if (ct == NULL || strstr(ct, "json") == NULL)
		return ods_resp_error_ex(w, ODS_EINVAL, ODS_C_INVALID_FIELD,
		    "invalid_field", "refresh_token is required");
	if ((er = ods_req_json(r, &body, &e)) != ODS_OK)
		return ods_resp_input_error(w, er, &e);
	if (ods_json_str(body, "refresh_token", 1, 16384, out, &e) != ODS_OK)
		return ods_resp_json_error(w, &e);
	return 0;
}

enum ods_status
h_auth_refresh(struct ods_req *r, struct ods_resp *w)
{
	struct ods_auth_tokens	 t;
	struct ods_auth		*a = ods_req_env(r)->auth;
	struct ods_jw		*jw;
	const char		*rt = NULL;
	enum ods_status		 st;
	enum ods_err		 er;

	if ((st = refresh_token_of(r, w, &rt)) != 0)
		return st;
	if (a == NULL)
		return ods_resp_error(w, ODS_EUNAVAIL, "authentication is off");
	er = ods_auth_refresh(a, rt, ods_req_arena(r), &t);
	if (er == ODS_EAUTH)
		return ods_resp_error_ex(w, ODS_EAUTH, ODS_C_TOKEN_INVALID, "invalid_token",
		    "Invalid or expired refresh token");
	if (er == ODS_EINVAL)
		return ods_resp_error(w, ODS_EUNAVAIL, "Keycloak is not "
		    "configured");
	if (er != ODS_OK)
		return ods_resp_error(w, er, "token refresh failed");
	if (!cookie_value_ok(t.access_token) || (t.refresh_token != NULL &&
	    !cookie_value_ok(t.refresh_token)))
		return ods_resp_error(w, ODS_EUPSTREAM, "token refresh failed");
	if (set_cookie(r, w, "access_token", t.access_token, t.expires_in) !=
	    ODS_OK || (t.refresh_token != NULL && set_cookie(r, w,
	    "refresh_token", t.refresh_token, t.refresh_expires_in) != ODS_OK))
		return ods_resp_error(w, ODS_EINTERNAL, NULL);
	jw = ods_resp_envelope(w, ODS_HTTP_200, NULL);
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "access_token", t.access_token);
	ods_jw_kstr(jw, "refresh_token", t.refresh_token);
	ods_jw_kint(jw, "expires_in", t.expires_in);
	ods_jw_kstr(jw, "token_type", t.token_type);
	ods_jw_end(jw);
	return ods_resp_send(w);
}

/* ---- logout ---- */

/* An expired cookie of the same attributes: the browser drops it. */
static enum ods_err
clear_cookie(struct ods_req *r, struct ods_resp *w, const char *name)
{
	const struct ods_conf	*c = ods_req_conf(r);
	char			*v;

	v = ods_arena_printf(ods_req_arena(r), "%s=; Path=/; HttpOnly; "
	    "SameSite=%s%s%s%s; Max-Age=0", name, c->auth_cookie_samesite,
	    c->production || strcmp(c->auth_cookie_samesite, "None") == 0 ?
	    "; Secure" : "", *c->auth_cookie_domain != '\0' ? "; Domain=" :
	    "", c->auth_cookie_domain);
	if (v == NULL)
		return ODS_ENOMEM;
	return ods_resp_header(w, "Set-Cookie", v);
}

enum ods_status
h_auth_logout(struct ods_req *r, struct ods_resp *w)
{
	struct ods_auth		*a = ods_req_env(r)->auth;
	struct json_object	*body;
	struct ods_why		 e;
	struct ods_jw		*jw;
	const char		*rt, *ct, *outcome;
	enum ods_err		 er = ODS_EINVAL;

	/* The refresh token: the cookie, else {"refresh_token"}, else none. */
	if ((rt = ods_req_cookie(r, "refresh_token")) != NULL) {
		if (!ods_auth_csrf_ok(a, r))
			return ods_resp_error_ex(w, ODS_EFORBIDDEN,
			    ODS_C_FORBIDDEN, "csrf", "Cross-site request "
			    "refused: send Content-Type: application/json "
			    "or a same-origin Origin header");
	} else if ((ct = ods_req_header(r, "Content-Type")) != NULL &&
	    strstr(ct, "json") != NULL && ods_req_content_length(r) > 0) {
		if ((er = ods_req_json(r, &body, &e)) != ODS_OK)
			return ods_resp_input_error(w, er, &e);
		if ((er = ods_json_str(body, "refresh_token", 0, 16384, &rt,
		    &e)) != ODS_OK && er != ODS_ENOTFOUND)
			return ods_resp_json_error(w, &e);
	}
	/* The cookies go whatever Keycloak says: this browser is out. */
	if (clear_cookie(r, w, "access_token") != ODS_OK ||
	    clear_cookie(r, w, "refresh_token") != ODS_OK)
		return ods_resp_error(w, ODS_EINTERNAL, NULL);
	if (rt == NULL || *rt == '\0')
		outcome = "no_refresh_token";
	else if (a == NULL ||
	    (er = ods_auth_logout(a, rt)) == ODS_EINVAL)
		outcome = "keycloak_not_configured";
	else if (er == ODS_EAUTH)
		outcome = "refresh_token_invalid";	/* nothing to end */
	else if (er == ODS_OK)
		outcome = "revoked";
	else
		/* The session lives on at Keycloak: say so, retryable. */
		return ods_resp_error(w, er, "Keycloak did not end the "
		    "session; the cookies were cleared, try again to revoke "
		    "the refresh token");
	jw = ods_resp_envelope(w, ODS_HTTP_200, "Logged out successfully");
	ods_jw_obj(jw);
	ods_jw_kbool(jw, "revoked", strcmp(outcome, "revoked") == 0);
	ods_jw_kstr(jw, "session", outcome);
	ods_jw_end(jw);
	return ods_resp_send(w);
}

/* ---- API keys ---- */

/* "allowed_models": an array of plain strings (no escapes), or absent. */

enum ods_status
h_not_owner(struct ods_resp *w, const char *what)
{
	char	msg[128];

	snprintf(msg, sizeof(msg), "only its creator or an admin may change "
	    "%s", what);
	return ods_resp_error_ex(w, ODS_EFORBIDDEN, ODS_C_FORBIDDEN,
	    "forbidden", msg);
}

const char *
h_owner(struct ods_req *r)
{
	const struct ods_principal	*p = ods_req_principal(r);

	if (p == NULL)
		return "";
	if (ods_principal_has_role(p, "admin"))
		return NULL;
	return p->user_id != NULL ? p->user_id : "";
}

const char *
h_user(struct ods_req *r)
{
	const struct ods_principal	*p = ods_req_principal(r);

	return p != NULL && p->user_id != NULL ? p->user_id : "";
}

enum ods_status
h_auth_permissions(struct ods_req *r, struct ods_resp *w)
{
	struct ods_jw	*jw = ods_resp_envelope(w, ODS_HTTP_200, NULL);

	ods_principal_permissions_json(jw, ods_req_principal(r));
	return ods_resp_send(w);
}
