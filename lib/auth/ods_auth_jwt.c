/*
 * lib/auth/ods_auth_jwt.c — JWT verification around libjwt 1.10.2.
 *
 * libjwt 1.10.2 checks a signature and nothing else: it accepts expired
 * tokens, any iss/aud, alg "none" with a NULL key and HS256 tokens MACed
 * with an RSA public key (reliability-checks A.2). So this file parses
 * the header and the claims itself (json-c), picks the key and its one
 * allowed algorithm before libjwt sees the token, never passes a NULL or
 * empty key, asserts jwt_get_alg() afterwards, and validates exp, nbf,
 * iat (with the configured leeway), iss, and azp or aud (our clients).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>
#include <jwt.h>
#include <openssl/sha.h>

#include "auth/ods_auth.h"
#include "auth/ods_auth_int.h"
#include "core/ods_conf.h"
#include "core/ods_json.h"
#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "core/ods_time.h"
#include "core/ods_util.h"

#define HDR_MAX_DEPTH	4
#define CLAIMS_MAX_DEPTH 8
#define MAX_ROLES	64
#define ROLE_MAX	64

/* ---- parsing ---- */

/* A base64url segment holding one JSON object, parsed with a depth cap. */
static enum ods_err
segment_json(const char *s, size_t n, int depth, struct json_object **out)
{
	struct json_tokener	*tok;
	struct json_object	*o = NULL;
	unsigned char		*raw;
	size_t			 len;

	*out = NULL;
	if (ods_b64url_decode(s, n, &raw, &len) != ODS_OK)
		return ODS_EINVAL;
	if ((tok = json_tokener_new_ex(depth)) != NULL) {
		o = json_tokener_parse_ex(tok, (const char *)raw, (int)len);
		if (json_tokener_get_error(tok) != json_tokener_success ||
		    json_tokener_get_parse_end(tok) != len ||
		    !json_object_is_type(o, json_type_object)) {
			json_object_put(o);
			o = NULL;
		}
		json_tokener_free(tok);
	}
	free(raw);
	*out = o;
	return o != NULL ? ODS_OK : ODS_EINVAL;
}

/* A NumericDate claim: 1 and *t when present, 0 absent, -1 bad. */
static int
jtime(struct json_object *o, const char *k, int64_t *t)
{
	struct json_object	*v;
	double			 d;

	if (!json_object_object_get_ex(o, k, &v))
		return 0;
	if (json_object_is_type(v, json_type_int)) {
		*t = json_object_get_int64(v);
		return 1;
	}
	if (json_object_is_type(v, json_type_double)) {
		d = json_object_get_double(v);
		if (!(d > -1e15 && d < 1e15))
			return -1;
		*t = (int64_t)d;
		return 1;
	}
	return -1;
}

/* ---- the header: algorithm and key selection ---- */

struct hdr {
	jwt_alg_t	 alg;
	char		 kid[KID_MAX + 1];
	int		 has_kid;
};

static const char *
header_check(struct json_object *h, struct hdr *out)
{
	static const char *const refused[] = { "jku", "x5u", "jwk", "crit" };
	const char		*alg, *kid;
	size_t			 i;

	for (i = 0; i < ODS_NELEM(refused); i++)
		if (json_object_object_get_ex(h, refused[i], NULL))
			return "refused_header";
	if ((alg = ods_json_get_str(h, "alg")) == NULL)
		return "no_alg";
	if (strcmp(alg, "RS256") == 0)
		out->alg = JWT_ALG_RS256;
	else if (strcmp(alg, "HS256") == 0)
		out->alg = JWT_ALG_HS256;
	else
		return "alg_not_allowed";
	out->has_kid = 0;
	if (json_object_object_get_ex(h, "kid", NULL)) {
		if ((kid = ods_json_get_str(h, "kid")) == NULL || *kid == '\0' ||
		    strlen(kid) > KID_MAX)
			return "bad_kid";
		snprintf(out->kid, sizeof(out->kid), "%s", kid);
		out->has_kid = 1;
	}
	return NULL;
}

/* ---- signature ---- */

struct sig {
	const char	*token;
	jwt_alg_t	 alg;
};

/* libjwt checks the signature; the key is never NULL or empty. */
static enum ods_err
sig_check(void *arg, const char *key, size_t len)
{
	struct sig	*s = arg;
	jwt_t		*jwt = NULL;
	int		 rc;

	if (key == NULL || len == 0 || len > INT32_MAX)
		return ODS_EAUTH;
	rc = jwt_decode(&jwt, s->token, (const unsigned char *)key, (int)len);
	if (rc != 0 || jwt == NULL) {
		jwt_free(jwt);
		return ODS_EAUTH;
	}
	rc = jwt_get_alg(jwt) == s->alg;
	jwt_free(jwt);
	return rc ? ODS_OK : ODS_EAUTH;
}

static const char *
verify_sig(struct ods_auth *a, const char *token, const struct hdr *h)
{
	struct sig	s = { token, h->alg };
	enum ods_err	er;
	size_t		i;

	if (h->alg == JWT_ALG_HS256) {
		if (a->nhs == 0)
			return "alg_not_allowed";
		for (i = 0; i < a->nhs; i++)
			if (sig_check(&s, a->hs_keys[i], a->hs_lens[i]) ==
			    ODS_OK)
				return NULL;
		return "bad_signature";
	}
	er = odsi_jwks_with_key(a, h->has_kid ? h->kid : NULL, sig_check, &s);
	switch (er) {
	case ODS_OK:
		return NULL;
	case ODS_ENOTFOUND:
		return "unknown_kid";
	case ODS_EUNAVAIL:
		return "no_jwks";
	default:
		return "bad_signature";
	}
}

/* ---- claims ---- */

static int
in_list(char *const *v, size_t n, const char *s)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

static int
aud_ok(struct ods_auth *a, struct json_object *c)
{
	struct json_object	*v, *e;
	size_t			 i, n;

	if (!json_object_object_get_ex(c, "aud", &v))
		return 0;
	if (json_object_is_type(v, json_type_string))
		return in_list(a->clients, a->nclients,
		    json_object_get_string(v));
	if (!json_object_is_type(v, json_type_array))
		return 0;
	n = json_object_array_length(v);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(v, i);
		if (json_object_is_type(e, json_type_string) &&
		    in_list(a->clients, a->nclients,
		    json_object_get_string(e)))
			return 1;
	}
	return 0;
}

/*
 * The token must have been issued to one of our clients: azp names the
 * client that asked for it (Keycloak's access tokens all carry one), so
 * when present it alone decides; aud would let in the tokens of every
 * client of the realm, since Keycloak puts "account" in almost all of
 * them. Only a token without azp is judged by its aud.
 */
static const char *
client_check(struct ods_auth *a, struct json_object *c)
{
	struct json_object	*v;

	if (json_object_object_get_ex(c, "azp", &v)) {
		if (!json_object_is_type(v, json_type_string) ||
		    !in_list(a->clients, a->nclients,
		    json_object_get_string(v)))
			return "bad_azp";
		return NULL;
	}
	return aud_ok(a, c) ? NULL : "bad_aud";
}

static const char *
claims_check(struct ods_auth *a, struct json_object *c, jwt_alg_t alg,
    int64_t *exp)
{
	int64_t		 now = ods_wall_ms() / 1000, t;
	int64_t		 leeway = a->conf->jwt_leeway;
	const char	*iss, *sub, *why;
	int		 r;

	if ((r = jtime(c, "exp", exp)) <= 0)
		return r == 0 ? "no_exp" : "bad_exp";
	/* exp comes from the token: exp + leeway could overflow. */
	if (*exp < now - leeway)
		return "expired";
	if ((r = jtime(c, "nbf", &t)) < 0 || (r == 1 && t > now + leeway))
		return "not_yet_valid";
	if ((r = jtime(c, "iat", &t)) < 0 || (r == 1 && t > now + leeway))
		return "issued_in_future";
	if ((iss = ods_json_get_str(c, "iss")) == NULL)
		return "no_iss";
	if (!in_list(a->issuers, a->nissuers, iss) &&
	    !(alg == JWT_ALG_HS256 && strcmp(iss, ODS_JWT_LOCAL_ISSUER) == 0))
		return "bad_iss";
	if ((why = client_check(a, c)) != NULL)
		return why;
	if ((sub = ods_json_get_str(c, "sub")) == NULL || *sub == '\0' ||
	    strlen(sub) > 255)
		return "no_sub";
	return NULL;
}

/* ---- the principal ---- */

static const char *
adup(struct ods_arena *ar, const char *s)
{
	return ods_arena_strdup(ar, s != NULL ? s : "");
}

static void
roles_add(struct ods_arena *ar, const char **v, size_t *n,
    struct json_object *holder)
{
	struct json_object	*arr, *e;
	const char		*s;
	size_t			 i, j, len;

	if (holder == NULL ||
	    !json_object_object_get_ex(holder, "roles", &arr) ||
	    !json_object_is_type(arr, json_type_array))
		return;
	len = json_object_array_length(arr);
	for (i = 0; i < len && *n < MAX_ROLES; i++) {
		e = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(e, json_type_string))
			continue;
		s = json_object_get_string(e);
		if (*s == '\0' || strlen(s) > ROLE_MAX)
			continue;
		for (j = 0; j < *n && strcmp(v[j], s) != 0; j++)
			;
		if (j == *n && (v[*n] = ods_arena_strdup(ar, s)) != NULL)
			(*n)++;
	}
}

/*
 * Roles are the realm's and those our clients define (resource_access
 * of a->clients): another client's "admin" is not ours.
 */
static void
client_roles_add(struct ods_auth *a, struct ods_arena *ar, const char **v,
    size_t *n, struct json_object *c)
{
	struct json_object	*res, *cl;
	size_t			 i;

	if (!json_object_object_get_ex(c, "resource_access", &res) ||
	    !json_object_is_type(res, json_type_object))
		return;
	for (i = 0; i < a->nclients; i++)
		if (json_object_object_get_ex(res, a->clients[i], &cl) &&
		    json_object_is_type(cl, json_type_object))
			roles_add(ar, v, n, cl);
}

static struct ods_principal *
principal_build(struct ods_auth *a, struct ods_arena *ar,
    struct json_object *c, int64_t exp)
{
	struct ods_principal	*p;
	struct json_object	*ra = NULL;
	const char		**roles;
	const char		*user;
	size_t			 n = 0;

	p = ods_arena_alloc(ar, sizeof(*p));
	roles = ods_arena_alloc(ar, MAX_ROLES * sizeof(*roles));
	if (p == NULL || roles == NULL)
		return NULL;
	p->kind = ODS_PRINCIPAL_TOKEN;
	p->user_id = adup(ar, ods_json_get_str(c, "sub"));
	if ((user = ods_json_get_str(c, "preferred_username")) == NULL || *user == '\0')
		if ((user = ods_json_get_str(c, "email")) == NULL || *user == '\0')
			user = ods_json_get_str(c, "sub");
	p->username = adup(ar, user);
	p->email = adup(ar, ods_json_get_str(c, "email"));
	p->name = adup(ar, ods_json_get_str(c, "name"));
	if (json_object_object_get_ex(c, "realm_access", &ra) &&
	    json_object_is_type(ra, json_type_object))
		roles_add(ar, roles, &n, ra);
	client_roles_add(a, ar, roles, &n, c);
	p->roles = roles;
	p->nroles = n;
	p->expires_at = exp;
	if (p->user_id == NULL || p->username == NULL || p->email == NULL ||
	    p->name == NULL)
		return NULL;
	return p;
}

/* ---- verification ---- */

static const char *
token_shape(const char *t, const char **d1, const char **d2)
{
	size_t	len = strlen(t);

	if (len == 0)
		return "empty";
	if (len > ODS_AUTH_MAX_TOKEN)
		return "too_long";
	if ((*d1 = strchr(t, '.')) == NULL ||
	    (*d2 = strchr(*d1 + 1, '.')) == NULL || strchr(*d2 + 1, '.'))
		return "malformed";
	/* Empty header, payload or signature (alg none) is refused. */
	if (*d1 == t || *d2 == *d1 + 1 || (*d2)[1] == '\0')
		return "malformed";
	return NULL;
}

/* The signature segment must be strict base64url as well. */
static int
sig_segment_ok(const char *s)
{
	unsigned char	*raw;
	size_t		 len;

	if (ods_b64url_decode(s, strlen(s), &raw, &len) != ODS_OK)
		return 0;
	free(raw);
	return len > 0;
}

/* ---- the cache of verified tokens ---- */

static struct vslot *
vc_slot(struct ods_auth *a, const unsigned char h[32])
{
	return &a->vc.slots[(h[0] | h[1] << 8) % VCACHE_SLOTS];
}

static int
vc_hit(struct ods_auth *a, const unsigned char h[32])
{
	struct vslot	*s = vc_slot(a, h);
	int64_t		 now = ods_wall_ms() / 1000;
	uint64_t	 gen = atomic_load(&a->jwks.gen);
	int		 hit;

	pthread_mutex_lock(&a->vc.mu);
	hit = memcmp(s->h, h, 32) == 0 && now <= s->until_s &&
	    (s->gen == VCACHE_HS || s->gen == gen);
	pthread_mutex_unlock(&a->vc.mu);
	return hit;
}

static void
vc_put(struct ods_auth *a, const unsigned char h[32], jwt_alg_t alg,
    uint64_t gen, int64_t exp)
{
	struct vslot	*s = vc_slot(a, h);
	int64_t		 until = ods_wall_ms() / 1000 + VCACHE_MAX_S, fresh;

	if (exp < until - a->conf->jwt_leeway)
		until = exp + a->conf->jwt_leeway;
	/* An RS256 entry ends with the freshness of its JWKS set too. */
	if (alg != JWT_ALG_HS256 &&
	    (fresh = odsi_jwks_fresh_until_ms(&a->jwks) / 1000) < until)
		until = fresh;
	pthread_mutex_lock(&a->vc.mu);
	memcpy(s->h, h, 32);
	s->until_s = until;
	s->gen = alg == JWT_ALG_HS256 ? VCACHE_HS : gen;
	pthread_mutex_unlock(&a->vc.mu);
}

/* A token verified lately: only its claims are read again. */
static enum ods_err
verify_cached(struct ods_auth *a, const char *d1, const char *d2,
    struct ods_arena *ar, const struct ods_principal **out)
{
	struct json_object	*c = NULL;
	int64_t			 exp = 0;
	enum ods_err		 er = ODS_EAUTH;

	if (segment_json(d1 + 1, (size_t)(d2 - d1 - 1), CLAIMS_MAX_DEPTH,
	    &c) == ODS_OK && jtime(c, "exp", &exp) == 1) {
		*out = principal_build(a, ar, c, exp);
		er = *out != NULL ? ODS_OK : ODS_ENOMEM;
	}
	json_object_put(c);
	return er;
}

enum ods_err
ods_auth_verify(struct ods_auth *a, const char *token, struct ods_arena *ar,
    const struct ods_principal **out, const char **reason)
{
	struct json_object	*h = NULL, *c = NULL;
	const char		*d1, *d2, *why;
	struct hdr		 hd;
	unsigned char		 th[SHA256_DIGEST_LENGTH];
	uint64_t		 gen;
	int64_t			 exp = 0;
	enum ods_err		 er = ODS_EAUTH;

	*out = NULL;
	if ((why = token_shape(token, &d1, &d2)) != NULL)
		goto out;
	SHA256((const unsigned char *)token, strlen(token), th);
	if (vc_hit(a, th) && verify_cached(a, d1, d2, ar, out) == ODS_OK) {
		er = ODS_OK;
		goto out;
	}
	/* The set checked against must be the one we record. */
	gen = atomic_load(&a->jwks.gen);
	why = "malformed";
	if (segment_json(token, (size_t)(d1 - token), HDR_MAX_DEPTH, &h) !=
	    ODS_OK || segment_json(d1 + 1, (size_t)(d2 - d1 - 1),
	    CLAIMS_MAX_DEPTH, &c) != ODS_OK)
		goto out;
	if (!sig_segment_ok(d2 + 1))
		goto out;
	if ((why = header_check(h, &hd)) != NULL)
		goto out;
	if ((why = verify_sig(a, token, &hd)) != NULL)
		goto out;
	if ((why = claims_check(a, c, hd.alg, &exp)) != NULL)
		goto out;
	if ((*out = principal_build(a, ar, c, exp)) == NULL) {
		why = "out_of_memory";
		er = ODS_ENOMEM;
		goto out;
	}
	vc_put(a, th, hd.alg, gen, exp);
	er = ODS_OK;
out:
	json_object_put(h);
	json_object_put(c);
	if (reason != NULL)
		*reason = er == ODS_OK ? NULL : why;
	return er;
}

/* ---- minting (odsctl token) ---- */

static struct json_object *
mint_claims(const struct ods_conf *conf, const char *sub,
    const char *username, const char *roles, int ttl)
{
	struct json_object	*c = json_object_new_object(), *ra, *arr;
	char			**iss, **aud, **rv;
	const char		*cid;
	size_t			 ni, na, nr, i;
	int64_t			 now = ods_wall_ms() / 1000;

	ni = ods_strsplit(conf->jwt_issuers, &iss);
	na = ods_strsplit(conf->jwt_audiences, &aud);
	nr = ods_strsplit(roles != NULL ? roles : "", &rv);
	json_object_object_add(c, "iss", json_object_new_string(ni > 0 ?
	    iss[0] : ODS_JWT_LOCAL_ISSUER));
	/* Issued to our client, as Keycloak would: azp and aud name it. */
	cid = conf->keycloak_client_id;
	if (*cid == '\0')
		cid = na > 0 ? aud[0] : "web-frontend";
	json_object_object_add(c, "aud", json_object_new_string(cid));
	json_object_object_add(c, "azp", json_object_new_string(cid));
	json_object_object_add(c, "sub", json_object_new_string(sub));
	json_object_object_add(c, "preferred_username",
	    json_object_new_string(username != NULL ? username : sub));
	json_object_object_add(c, "iat", json_object_new_int64(now));
	json_object_object_add(c, "exp", json_object_new_int64(now + ttl));
	ra = json_object_new_object();
	arr = json_object_new_array();
	for (i = 0; i < nr; i++)
		json_object_array_add(arr, json_object_new_string(rv[i]));
	json_object_object_add(ra, "roles", arr);
	json_object_object_add(c, "realm_access", ra);
	ods_strv_free(iss, ni);
	ods_strv_free(aud, na);
	ods_strv_free(rv, nr);
	return c;
}

enum ods_err
ods_auth_mint_hs256(const struct ods_conf *conf, const char *sub,
    const char *username, const char *roles, int ttl, char **out)
{
	struct json_object	*c;
	jwt_t			*jwt = NULL;
	char			*s = NULL;
	size_t			 klen = strlen(conf->jwt_secret_key);

	*out = NULL;
	if (klen < 32 || sub == NULL || *sub == '\0' || ttl < 1 ||
	    ttl > 366 * 86400)
		return ODS_EINVAL;
	c = mint_claims(conf, sub, username, roles, ttl);
	if (jwt_new(&jwt) == 0 &&
	    jwt_add_grants_json(jwt, json_object_to_json_string(c)) == 0 &&
	    jwt_set_alg(jwt, JWT_ALG_HS256,
	    (const unsigned char *)conf->jwt_secret_key, (int)klen) == 0)
		s = jwt_encode_str(jwt);
	jwt_free(jwt);
	json_object_put(c);
	if (s == NULL)
		return ODS_ENOMEM;
	*out = ods_xstrdup(s);
	free(s);
	return ODS_OK;
}
