/*
 * lib/auth/ods_auth_jwks.c — Keycloak's JWKS: fetched, converted to PEM,
 * cached per process and shared between the workers through Redis.
 *
 * Policy (see ods_auth.h): a set is fresh for ODS_JWKS_CACHE_TTL after
 * its HTTP fetch (the fetch time travels with the document in Redis). A
 * stale or missing set is taken from Redis first, fetched only when Redis
 * has nothing newer, by one worker at a time (SET NX "fill"). An unknown
 * kid in a fresh set refetches at most once per ODS_JWKS_REFETCH_INTERVAL
 * per pool (SET NX "lock") and per process. Failures keep the last good
 * set and hold further fetches off for a few seconds.
 *
 * Unknown kids are what an attacker controls, so they must stay cheap:
 * one found unknown is remembered for an interval (a small table per
 * process), and while the window is closed any other is answered at once
 * too, without fetch_mu, Redis or a parse; only a thread that opens a new
 * window takes the slow path, and the threads that come while it runs
 * wait for it (it may bring their key). A document (HTTP or Redis) is
 * compared by SHA-256 with the installed set before it is parsed: the
 * same keys only renew the fetch time, and keep the set's generation.
 *
 * Redis is not trusted with keys: whoever can write it must not be able
 * to plant a key set, nor keep a set alive with a time in the future.
 * With ODS_JWKS_CACHE_KEY (a secret from the environment, never stored
 * in Redis) the shared copy is "<t> h=<HMAC-SHA256 hex>\n<document>", the
 * MAC taken over the Redis key name, t and the document; a copy whose
 * MAC does not verify is ignored. Without it Redis holds only
 * "<t> d=<SHA-256 hex>\n": a worker renews the fetch time of a set it
 * fetched itself when the digests match, and fetches over HTTP when it
 * has none. Either way a time more than CLOCK_SKEW_MS ahead of our clock
 * is ignored, and a copy in the old format (no tag) is never read.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "auth/ods_auth.h"
#include "auth/ods_auth_int.h"
#include "core/ods_conf.h"
#include "core/ods_json.h"
#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "core/ods_time.h"
#include "core/ods_util.h"
#include "store/ods_redis.h"

#define RETRY_AFTER_FAIL_MS	5000
#define MIN_RSA_BITS		2048
#define MAX_RSA_BITS		8192
#define CLOCK_SKEW_MS		5000	/* shared fetch time ahead of ours */

enum kstate { K_FOUND, K_UNKNOWN, K_STALE, K_NOSET };

/* ---- JWK -> PEM ---- */

static BIGNUM *
b64_bn(const char *s)
{
	unsigned char	*raw;
	size_t		 len;
	BIGNUM		*bn;

	if (s == NULL || ods_b64url_decode(s, strlen(s), &raw, &len) !=
	    ODS_OK)
		return NULL;
	bn = len > 0 && len <= MAX_RSA_BITS / 8 ?
	    BN_bin2bn(raw, (int)len, NULL) : NULL;
	free(raw);
	return bn;
}

static EVP_PKEY *
rsa_from_ne(BIGNUM *n, BIGNUM *e)
{
	OSSL_PARAM_BLD	*bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM	*params = NULL;
	EVP_PKEY_CTX	*ctx = NULL;
	EVP_PKEY	*pk = NULL;

	if (bld != NULL && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N,
	    n) && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
		params = OSSL_PARAM_BLD_to_param(bld);
	if (params != NULL)
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pk = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return pk;
}

/* An SPKI "BEGIN PUBLIC KEY" PEM of the RSA key (n, e), or NULL. */
static char *
jwk_pem(const char *n64, const char *e64, size_t *len)
{
	BIGNUM		*n = b64_bn(n64), *e = b64_bn(e64);
	EVP_PKEY	*pk = NULL;
	BIO		*bio = NULL;
	char		*pem = NULL, *p;
	long		 l;

	if (n != NULL && e != NULL && BN_is_odd(e) && !BN_is_one(e))
		pk = rsa_from_ne(n, e);
	if (pk != NULL && EVP_PKEY_get_bits(pk) >= MIN_RSA_BITS &&
	    (bio = BIO_new(BIO_s_mem())) != NULL &&
	    PEM_write_bio_PUBKEY(bio, pk) == 1 &&
	    (l = BIO_get_mem_data(bio, &p)) > 0) {
		pem = ods_xstrndup(p, (size_t)l);
		*len = (size_t)l;
	}
	BIO_free(bio);
	EVP_PKEY_free(pk);
	BN_free(n);
	BN_free(e);
	return pem;
}

/* ---- the document ---- */

/* Keep RSA signing keys for RS256 only: enc keys and others are skipped. */
static int
jwk_take(struct json_object *k, struct jwk *out)
{
	const char	*kty, *use, *alg, *kid;

	if (!json_object_is_type(k, json_type_object))
		return 0;
	kty = ods_json_get_str(k, "kty");
	use = ods_json_get_str(k, "use");
	alg = ods_json_get_str(k, "alg");
	kid = ods_json_get_str(k, "kid");
	if (kty == NULL || strcmp(kty, "RSA") != 0)
		return 0;
	if (json_object_object_get_ex(k, "use", NULL) &&
	    (use == NULL || strcmp(use, "sig") != 0))
		return 0;
	if (json_object_object_get_ex(k, "alg", NULL) &&
	    (alg == NULL || strcmp(alg, "RS256") != 0))
		return 0;
	if (kid != NULL && strlen(kid) > KID_MAX)
		return 0;
	snprintf(out->kid, sizeof(out->kid), "%s", kid != NULL ? kid : "");
	out->pem = jwk_pem(ods_json_get_str(k, "n"), ods_json_get_str(k, "e"), &out->pemlen);
	return out->pem != NULL;
}

struct jwks_set *
odsi_jwks_parse(const char *doc, size_t len)
{
	struct json_tokener	*tok;
	struct json_object	*o = NULL, *keys;
	struct jwks_set		*s = NULL;
	size_t			 i, n;

	if (len > JWKS_MAX_BYTES || (tok = json_tokener_new_ex(8)) == NULL)
		return NULL;
	o = json_tokener_parse_ex(tok, doc, (int)len);
	if (json_tokener_get_error(tok) == json_tokener_success &&
	    json_object_is_type(o, json_type_object) &&
	    json_object_object_get_ex(o, "keys", &keys) &&
	    json_object_is_type(keys, json_type_array)) {
		s = ods_xcalloc(1, sizeof(*s));
		s->keys = ods_xcalloc(JWKS_MAX_KEYS, sizeof(*s->keys));
		n = json_object_array_length(keys);
		for (i = 0; i < n && s->n < JWKS_MAX_KEYS; i++)
			if (jwk_take(json_object_array_get_idx(keys, i),
			    &s->keys[s->n]))
				s->n++;
		SHA256((const unsigned char *)doc, len, s->digest);
	}
	json_tokener_free(tok);
	json_object_put(o);
	return s;
}

void
odsi_jwks_set_free(struct jwks_set *s)
{
	size_t	i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		free(s->keys[i].pem);
	free(s->keys);
	free(s);
}

/* ---- the in-process copy ---- */

void
odsi_jwks_init(struct jwks *j, const struct ods_conf *c)
{
	pthread_rwlockattr_t	 at;
	char			 h[65];

	memset(j, 0, sizeof(*j));
	if (*c->keycloak_jwks_url != '\0')
		j->url = ods_xstrdup(c->keycloak_jwks_url);
	else if (*c->keycloak_url != '\0')
		ods_xasprintf(&j->url, "%s/realms/%s/protocol/openid-connect/"
		    "certs", c->keycloak_url, c->keycloak_realm);
	else
		j->url = ods_xstrdup("");
	ods_sha256_hex(j->url, strlen(j->url), h);
	snprintf(j->rk_doc, sizeof(j->rk_doc), "ods:jwks:doc:%.16s", h);
	snprintf(j->rk_lock, sizeof(j->rk_lock), "ods:jwks:lock:%.16s", h);
	snprintf(j->rk_fill, sizeof(j->rk_fill), "ods:jwks:fill:%.16s", h);
	/* Writers (a new set) must not starve behind a stream of readers. */
	pthread_rwlockattr_init(&at);
	pthread_rwlockattr_setkind_np(&at,
	    PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&j->lock, &at);
	pthread_rwlockattr_destroy(&at);
	pthread_mutex_init(&j->fetch_mu, NULL);
	pthread_mutex_init(&j->neg_mu, NULL);
	j->neg = ods_xcalloc(JWKS_NEG_SLOTS, sizeof(*j->neg));
	j->ttl_ms = c->jwks_cache_ttl * 1000;
	j->refetch_ms = c->jwks_refetch_interval * 1000;
	j->timeout_ms = c->jwks_timeout_ms;
	if (*c->jwks_cache_key != '\0') {
		j->mac_key = ods_xstrdup(c->jwks_cache_key);
		j->mac_keylen = strlen(j->mac_key);
	}
}

void
odsi_jwks_fini(struct jwks *j)
{
	odsi_jwks_set_free(j->set);
	pthread_rwlock_destroy(&j->lock);
	pthread_mutex_destroy(&j->fetch_mu);
	pthread_mutex_destroy(&j->neg_mu);
	free(j->neg);
	free(j->url);
	if (j->mac_key != NULL)
		explicit_bzero(j->mac_key, j->mac_keylen);
	free(j->mac_key);
}

static const struct jwk *
find(const struct jwks_set *s, const char *kid)
{
	size_t	i;

	if (kid == NULL)	/* no kid: only an unambiguous set will do */
		return s->n == 1 ? &s->keys[0] : NULL;
	for (i = 0; i < s->n; i++)
		if (strcmp(s->keys[i].kid, kid) == 0)
			return &s->keys[i];
	return NULL;
}

/* Look kid up under the read lock; call fn when found (and fresh). */
static enum kstate
try_key(struct jwks *j, const char *kid, int stale_ok,
    enum ods_err (*fn)(void *, const char *, size_t), void *arg,
    enum ods_err *er)
{
	const struct jwk	*k;
	enum kstate		 st;
	int			 fresh;

	pthread_rwlock_rdlock(&j->lock);
	if (j->set == NULL) {
		pthread_rwlock_unlock(&j->lock);
		return K_NOSET;
	}
	fresh = ods_wall_ms() - j->set->fetched_ms < j->ttl_ms;
	k = find(j->set, kid);
	if (k != NULL && (fresh || stale_ok)) {
		if (fn != NULL)
			*er = fn(arg, k->pem, k->pemlen);
		st = K_FOUND;
	} else
		st = !fresh ? K_STALE : K_UNKNOWN;
	pthread_rwlock_unlock(&j->lock);
	return st;
}

static void
install(struct jwks *j, struct jwks_set *s)
{
	struct jwks_set	*old;

	pthread_rwlock_wrlock(&j->lock);
	old = j->set;
	j->set = s;
	atomic_fetch_add(&j->gen, 1);
	pthread_rwlock_unlock(&j->lock);
	odsi_jwks_set_free(old);
}

/*
 * A document whose digest md is that of the installed set: only its fetch
 * time t moves forward, and the set keeps its generation (the tokens
 * verified against it stay cached). 1: renewed, 0: same and not newer,
 * -1: another document (or no set), to be parsed.
 */
static int
renew(struct jwks *j, const unsigned char md[32], int64_t t)
{
	int	r = -1;

	pthread_rwlock_wrlock(&j->lock);
	if (j->set != NULL && memcmp(j->set->digest, md, 32) == 0) {
		r = j->set->fetched_ms < t;
		if (r)
			j->set->fetched_ms = t;
	}
	pthread_rwlock_unlock(&j->lock);
	return r;
}

static struct jwks_set *
parse(struct jwks *j, const char *doc, size_t len)
{
	atomic_fetch_add(&j->parses, 1);
	return odsi_jwks_parse(doc, len);
}

/* ---- Redis: the copy shared by the workers ---- */

/* HMAC-SHA256 of (Redis key, t, document) as hex; 0 on success. */
static int
doc_mac(const struct jwks *j, long long t, const char *doc, size_t len,
    char hex[65])
{
	unsigned char	 md[32];
	struct ods_buf	 b;
	int		 rc = -1;

	ods_buf_init(&b, JWKS_MAX_BYTES + 128);
	if (ods_buf_addf(&b, "%s\n%lld\n", j->rk_doc, t) == ODS_OK &&
	    ods_buf_add(&b, doc, len) == ODS_OK) {
		ods_hmac_sha256(j->mac_key, j->mac_keylen, b.data, b.len, md);
		ods_hex(md, 32, hex);
		rc = 0;
	}
	ods_buf_free(&b);
	return rc;
}

/* Why a shared copy is not taken (logged once a minute at most). */
static void
refuse_shared(struct jwks *j, const char *why)
{
	int64_t	now = ods_now_ms(), last = atomic_load(&j->refused_ms);

	if (now - last > 60000 &&
	    atomic_compare_exchange_strong(&j->refused_ms, &last, now))
		ods_log(ODS_LOG_WARN, "jwks_shared_copy_ignored reason=%s",
		    why);
}

/*
 * Take the shared copy when it differs from ours; 1 when it did. The
 * value is "<t> h=<mac>\n<doc>" or "<t> d=<digest>\n" (see the top).
 */
static int
from_redis(struct ods_auth *a)
{
	struct jwks	*j = &a->jwks;
	struct jwks_set	*s;
	unsigned char	 md[SHA256_DIGEST_LENGTH];
	char		*v = NULL, *nl, *end, hex[65];
	const char	*doc;
	size_t		 len, dlen;
	long long	 t;
	int		 changed = 0;

	if (a->redis == NULL ||
	    ods_redis_get(a->redis, j->rk_doc, &v, &len) != ODS_OK)
		return 0;
	t = strtoll(v, &end, 10);
	nl = memchr(v, '\n', len);
	if (nl == NULL || t <= 0 || nl - end != 67 || end[0] != ' ' ||
	    (end[1] != 'h' && end[1] != 'd') || end[2] != '=') {
		refuse_shared(j, "format");
		goto out;
	}
	if (t > ods_wall_ms() + CLOCK_SKEW_MS) {
		refuse_shared(j, "time_in_future");
		goto out;
	}
	doc = nl + 1;
	dlen = len - (size_t)(nl + 1 - v);
	if (end[1] == 'd') {
		/* A digest only: it can renew our own set, never install. */
		if (ods_unhex(end + 3, 64, md, sizeof(md)) != 32)
			goto out;
		changed = renew(j, md, t) > 0;
		goto out;
	}
	if (j->mac_key == NULL || doc_mac(j, t, doc, dlen, hex) < 0 ||
	    CRYPTO_memcmp(hex, end + 3, 64) != 0) {
		refuse_shared(j, j->mac_key == NULL ? "no_cache_key" :
		    "bad_mac");
		goto out;
	}
	SHA256((const unsigned char *)doc, dlen, md);
	if ((changed = renew(j, md, t)) >= 0)
		goto out;
	changed = 0;
	if ((s = parse(j, doc, dlen)) == NULL)
		goto out;
	s->fetched_ms = t;
	install(j, s);
	changed = 1;
out:
	free(v);
	return changed;
}

/* ODS_OK: go ahead (also when Redis is down); ODS_ECONFLICT: someone is. */
static enum ods_err
pool_lock(struct ods_auth *a, const char *key, int ms)
{
	if (a->redis == NULL)
		return ODS_OK;
	if (ods_redis_set(a->redis, key, "1", 1, ms, ODS_REDIS_NX) ==
	    ODS_ECONFLICT)
		return ODS_ECONFLICT;
	return ODS_OK;
}

static void
to_redis(struct ods_auth *a, int64_t t, const char *doc, size_t len,
    const unsigned char md[32])
{
	struct jwks	*j = &a->jwks;
	struct ods_buf	 b;
	char		 hex[65];
	enum ods_err	 er;

	if (a->redis == NULL)
		return;
	ods_buf_init(&b, JWKS_MAX_BYTES + 96);
	if (j->mac_key != NULL) {
		if (doc_mac(j, t, doc, len, hex) < 0)
			return;
		er = ods_buf_addf(&b, "%lld h=%s\n", (long long)t, hex);
		if (er == ODS_OK)
			er = ods_buf_add(&b, doc, len);
	} else {
		ods_hex(md, 32, hex);
		er = ods_buf_addf(&b, "%lld d=%s\n", (long long)t, hex);
	}
	if (er == ODS_OK && ods_redis_set(a->redis, j->rk_doc, b.data, b.len,
	    j->ttl_ms, 0) != ODS_OK)
		ods_log(ODS_LOG_WARN, "jwks_share_failed");
	ods_buf_free(&b);
}

/* ---- fetching ---- */

static void
fetch(struct ods_auth *a)
{
	struct jwks	*j = &a->jwks;
	struct jwks_set	*s = NULL;
	struct ods_buf	 body;
	unsigned char	 md[SHA256_DIGEST_LENGTH];
	const char	*doc;
	enum ods_err	 er;
	long		 status;
	int64_t		 now;

	atomic_fetch_add(&j->fetches, 1);
	er = odsi_auth_http(j->url, NULL, j->timeout_ms, JWKS_MAX_BYTES, &body,
	    &status);
	doc = body.data != NULL ? body.data : "";
	if (er == ODS_OK && status == 200) {
		now = ods_wall_ms();
		SHA256((const unsigned char *)doc, body.len, md);
		if (renew(j, md, now) >= 0) {
			ods_log(ODS_LOG_INFO, "jwks_fetched unchanged=1");
			to_redis(a, now, doc, body.len, md);
			goto out;
		}
		s = parse(j, doc, body.len);
	}
	if (s == NULL) {
		ods_log(ODS_LOG_WARN, "jwks_fetch_failed status=%ld err=%s "
		    "kept=%s", status, ods_strerror(er),
		    j->set != NULL ? "last_good_set" : "none");
		j->retry_ms = ods_now_ms() + (j->refetch_ms <
		    RETRY_AFTER_FAIL_MS ? j->refetch_ms : RETRY_AFTER_FAIL_MS);
	} else {
		s->fetched_ms = now;
		ods_log(ODS_LOG_INFO, "jwks_fetched keys=%zu", s->n);
		to_redis(a, now, doc, body.len, s->digest);
		install(j, s);
	}
out:
	ods_buf_free(&body);
}

/* Another worker holds the fill lock and we have nothing: wait for it. */
static void
wait_shared(struct ods_auth *a)
{
	struct timespec	ts = { 0, 50 * 1000000L };
	int64_t		end = ods_now_ms() + a->jwks.timeout_ms + 500;

	while (ods_now_ms() < end) {
		nanosleep(&ts, NULL);
		if (from_redis(a))
			return;
	}
}

static enum kstate
state_of(struct jwks *j, const char *kid)
{
	enum ods_err	er;

	return try_key(j, kid, 0, NULL, NULL, &er);
}

/* ---- unknown kids ---- */

static struct jwks_neg *
neg_slot(struct jwks *j, const char *kid)
{
	uint32_t	h = 2166136261u;	/* FNV-1a */

	for (; *kid != '\0'; kid++)
		h = (h ^ (unsigned char)*kid) * 16777619u;
	return &j->neg[h % JWKS_NEG_SLOTS];
}

static int
neg_hit(struct jwks *j, const char *kid, int64_t now)
{
	struct jwks_neg	*n = neg_slot(j, kid);
	int		 hit;

	pthread_mutex_lock(&j->neg_mu);
	hit = now < n->until_ms && strcmp(n->kid, kid) == 0;
	pthread_mutex_unlock(&j->neg_mu);
	return hit;
}

/*
 * Remember kid as unknown for one interval from now (a hit does not
 * extend it); a collision evicts. A key published meanwhile is found
 * before this table is read, once a refresh has brought it.
 */
static void
neg_add(struct jwks *j, const char *kid, int64_t now)
{
	struct jwks_neg	*n = neg_slot(j, kid);

	pthread_mutex_lock(&j->neg_mu);
	snprintf(n->kid, sizeof(n->kid), "%s", kid);
	n->until_ms = now + j->refetch_ms;
	pthread_mutex_unlock(&j->neg_mu);
}

/* Open a new unknown-kid window at now; 0 while the last one is open. */
static int
window_take(struct jwks *j, int64_t now)
{
	int64_t	last = atomic_load(&j->unknown_ms);

	if (last != 0 && now - last < j->refetch_ms)
		return 0;
	atomic_store(&j->unknown_ms, now);
	return 1;
}

/*
 * An unknown kid (kid "": a token without one) that cannot make us fetch:
 * one found unknown lately, or any while the window is closed. 1: answer
 * ODS_ENOTFOUND now. A refresh under way may bring the key: wait for it.
 */
static int
unknown_quick(struct jwks *j, const char *kid)
{
	int64_t	now = ods_now_ms(), last;
	int	found;

	if (neg_hit(j, kid, now))
		return 1;
	last = atomic_load(&j->unknown_ms);
	if (last == 0 || now - last >= j->refetch_ms)
		return 0;
	if (atomic_load(&j->fetching)) {
		pthread_mutex_lock(&j->fetch_mu);
		pthread_mutex_unlock(&j->fetch_mu);
		found = state_of(j, *kid != '\0' ? kid : NULL) == K_FOUND;
		if (found)
			return 0;
	}
	neg_add(j, kid, now);
	return 1;
}

/* Get a newer set as the policy allows; the caller looks kid up again. */
static void
refresh(struct ods_auth *a, const char *kid)
{
	struct jwks	*j = &a->jwks;
	enum kstate	 st;
	int64_t		 now;
	int		 took = 0;

	pthread_mutex_lock(&j->fetch_mu);
	atomic_store(&j->fetching, 1);
	now = ods_now_ms();
	/* Another thread may have brought the key while we waited. */
	if ((st = state_of(j, kid)) == K_FOUND)
		goto out;
	/* An unknown kid gets one try per window, Redis included. */
	if (st == K_UNKNOWN && !(took = window_take(j, now)))
		goto out;
	if (from_redis(a) && (st = state_of(j, kid)) == K_FOUND)
		goto out;
	if (now < j->retry_ms)
		goto out;
	if (st == K_UNKNOWN) {
		if (!took && !window_take(j, now))
			goto out;
		if (pool_lock(a, j->rk_lock, j->refetch_ms) != ODS_OK)
			goto out;
	} else if (st == K_NOSET && j->mac_key == NULL) {
		/* Redis would give us no keys: fetch our own. */
	} else if (pool_lock(a, j->rk_fill, j->timeout_ms + 1000) != ODS_OK) {
		/*
		 * Another worker fetches: keep a stale set meanwhile; with no
		 * set wait for its copy, and fetch ours when none comes (the
		 * lock or the copy may be what someone planted in Redis).
		 */
		if (st != K_NOSET)
			goto out;
		wait_shared(a);
		if (state_of(j, kid) != K_NOSET)
			goto out;
	}
	fetch(a);
out:
	atomic_store(&j->fetching, 0);
	pthread_mutex_unlock(&j->fetch_mu);
}

enum ods_err
odsi_jwks_with_key(struct ods_auth *a, const char *kid,
    enum ods_err (*fn)(void *, const char *, size_t), void *arg)
{
	struct jwks	*j = &a->jwks;
	enum ods_err	 er = ODS_ENOTFOUND;
	enum kstate	 st;

	if (j->url[0] == '\0')
		return ODS_EUNAVAIL;
	st = try_key(j, kid, 0, fn, arg, &er);
	if (st == K_FOUND)
		return er;
	if (st == K_UNKNOWN && unknown_quick(j, kid != NULL ? kid : ""))
		return ODS_ENOTFOUND;
	refresh(a, kid);
	switch (try_key(j, kid, 1, fn, arg, &er)) {
	case K_FOUND:
		return er;
	case K_NOSET:
		return ODS_EUNAVAIL;
	default:
		neg_add(j, kid != NULL ? kid : "", ods_now_ms());
		return ODS_ENOTFOUND;
	}
}

int64_t
odsi_jwks_fresh_until_ms(struct jwks *j)
{
	int64_t	t = 0;

	pthread_rwlock_rdlock(&j->lock);
	if (j->set != NULL)
		t = j->set->fetched_ms + j->ttl_ms;
	pthread_rwlock_unlock(&j->lock);
	return t;
}

unsigned
ods_auth_jwks_fetches(const struct ods_auth *a)
{
	return a != NULL ? atomic_load(&a->jwks.fetches) : 0;
}

unsigned
ods_auth_jwks_parses(const struct ods_auth *a)
{
	return a != NULL ? atomic_load(&a->jwks.parses) : 0;
}
