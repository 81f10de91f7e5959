/* lib/auth/ods_auth_int.h — shared between the lib/ods_auth*.c files only. */
#ifndef ODS_AUTH_INT_H
#define ODS_AUTH_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ods_err.h"
#include "core/ods_mem.h"
#include "store/ods_redis.h"

struct ods_apikey;
struct ods_principal;

#define JWKS_MAX_BYTES		(256 * 1024)
#define JWKS_MAX_KEYS		32
#define KID_MAX			128
#define JWKS_NEG_SLOTS		256	/* unknown kids remembered */

/* One usable RSA signing key of the JWKS, as an SPKI PEM (libjwt). */
struct jwk {
	char	 kid[KID_MAX + 1];
	char	*pem;
	size_t	 pemlen;
};

struct jwks_set {
	struct jwk	*keys;
	size_t		 n;
	int64_t		 fetched_ms;	/* wall clock of the HTTP fetch */
	unsigned char	 digest[32];	/* SHA-256 of the document */
};

/* A kid found unknown: answered from memory until until_ms. */
struct jwks_neg {
	char	 kid[KID_MAX + 1];	/* "": a token without kid */
	int64_t	 until_ms;		/* monotonic; 0: free slot */
};

struct jwks {
	char			*url;		/* "" when not configured */
	char			 rk_doc[64], rk_lock[64], rk_fill[64];
	pthread_rwlock_t	 lock;		/* guards set */
	struct jwks_set		*set;
	pthread_mutex_t		 fetch_mu;	/* one refresh per process */
	atomic_int		 fetching;	/* fetch_mu is held */
	_Atomic int64_t		 unknown_ms;	/* last unknown-kid refetch */
	int64_t			 retry_ms;	/* no fetch before (failure) */
	pthread_mutex_t		 neg_mu;	/* guards neg */
	struct jwks_neg		*neg;		/* JWKS_NEG_SLOTS, by kid hash */
	atomic_uint		 fetches;	/* HTTP fetches */
	atomic_uint		 parses;	/* documents parsed */
	_Atomic uint64_t	 gen;		/* +1 per installed set */
	int			 ttl_ms, refetch_ms, timeout_ms;
	char			*mac_key;	/* ODS_JWKS_CACHE_KEY; NULL:
						   digests only in Redis */
	size_t			 mac_keylen;
	_Atomic int64_t		 refused_ms;	/* last ignored shared copy */
};

/*
 * Tokens verified lately (SHA-256 of the token): a browser sends the
 * same token for minutes, and libjwt parses the PEM on every call. An
 * entry holds for at most VCACHE_MAX_S, never past exp + leeway, and
 * only while the JWKS set it was checked against is still installed.
 */
#define VCACHE_SLOTS	4096
#define VCACHE_MAX_S	60
#define VCACHE_HS	UINT64_MAX	/* gen of HS256 entries */

struct vslot {
	unsigned char	 h[32];
	int64_t		 until_s;
	uint64_t	 gen;
};

struct vcache {
	pthread_mutex_t	 mu;
	struct vslot	*slots;
};

struct audit_q;

struct ods_auth {
	const struct ods_conf	*conf;
	struct ods_db		*db;
	struct ods_redis	*redis;
	char			**hs_keys;	/* current, then previous */
	size_t			*hs_lens;
	size_t			 nhs;
	char			**issuers;
	size_t			 nissuers;
	/*
	 * The clients whose tokens we take and whose resource_access roles
	 * count: KEYCLOAK_CLIENT_ID, then JWT_ALLOWED_AUDIENCES.
	 */
	char			**clients;
	size_t			 nclients;
	char			*token_url;	/* Keycloak token endpoint */
	char			*logout_url;	/* and its logout endpoint */
	struct jwks		 jwks;
	struct vcache		 vc;
	struct ods_redis_script	 rl_script;
	struct ods_redis_script	 fail_peek, fail_hit;	/* per address */
	_Atomic int64_t		 rl_fail_ms;	/* last Redis failure */
	_Atomic int64_t		 rl_warn_ms;
	struct audit_q		*audit;
};

/* An audit event; every string may be NULL. */
struct audit_ev {
	const char	*action;	/* api_call, login_failed, ... */
	const char	*outcome;	/* success, failure */
	int		 status;
	const char	*method, *route, *request_id, *ip, *user_agent;
	const char	*user_id, *username, *key_id;
	const char	*resource_type, *resource_id;
	const char	*reason;
	int		 sampled;	/* a refusal: repeats are capped */
};

/* ods_auth_jwks.c */
void		 odsi_jwks_init(struct jwks *, const struct ods_conf *);
void		 odsi_jwks_fini(struct jwks *);
/*
 * Call fn(arg, pem, len) with the key of kid (NULL: the only key of the
 * set) under the read lock, refreshing the set as the policy allows.
 * Returns fn's result, or ODS_ENOTFOUND (no such key) / ODS_EUNAVAIL (no
 * set could be obtained).
 */
enum ods_err	 odsi_jwks_with_key(struct ods_auth *, const char *kid,
		    enum ods_err (*fn)(void *, const char *, size_t),
		    void *arg);
/* Wall-clock ms until which the current set is fresh; 0: no set. */
int64_t		 odsi_jwks_fresh_until_ms(struct jwks *);
/* Parse a JWKS document into a new set (NULL: not a JWKS). */
struct jwks_set	*odsi_jwks_parse(const char *, size_t);
void		 odsi_jwks_set_free(struct jwks_set *);

/* ods_auth_http.c: over ods_http (TLS verified, no redirects, capped). */
enum ods_err	 odsi_auth_http(const char *url, const char *form, int timeout_ms,
		    size_t max, struct ods_buf *body, long *status);
/* Append key=value (URL-encoded) to an x-www-form-urlencoded body. */
enum ods_err	 odsi_auth_form_add(struct ods_buf *, const char *key,
		    const char *value) ODS_MUSTCHECK;

/* ods_auth_rate.c */
void		 odsi_rate_init(struct ods_auth *);
struct rate_res {
	int	allowed;
	int	throttled;	/* take: the address is over its failures */
	int	limit, remaining;
	int64_t	reset_s;	/* epoch seconds */
	int	retry_after;	/* seconds, when refused */
};
/*
 * ODS_OK (res filled) or ODS_EUNAVAIL (Redis down: caller decides). With
 * fail_who (the client's address), the same round trip first peeks at
 * its refused credentials: over ODS_AUTH_FAIL_LIMIT, res->throttled and
 * nothing is counted.
 */
enum ods_err	 odsi_rate_take(struct ods_auth *, const char *service,
		    const char *klass, const char *who, int count,
		    int window_s, int burst, const char *fail_who,
		    struct rate_res *);

/*
 * Refused credentials of one client ("ip:..."): peek says whether the
 * address is over ODS_AUTH_FAIL_LIMIT in its window (ODS_OK, res filled)
 * or ODS_EUNAVAIL; hit counts one more and says whether that one went
 * over (ODS_EUNAVAIL: Redis down, not counted).
 */
enum ods_err	 odsi_rate_fail_peek(struct ods_auth *, const char *who,
		    struct rate_res *);
enum ods_err	 odsi_rate_fail_hit(struct ods_auth *, const char *who,
		    struct rate_res *);

/* ods_auth_audit.c */
/*
 * to_db: rows too (db not NULL). Refusals (ev.sampled) of one kind are
 * written at most repeat_max times per repeat_window_s seconds.
 */
struct audit_q	*odsi_audit_start(struct ods_db *, int to_db, int repeat_max,
		    int repeat_window_s);
void		 odsi_audit_stop(struct audit_q *);
void		 odsi_audit_emit(struct audit_q *, const struct audit_ev *);

/* ods_auth_apikey.c: the principal of a verified key. */
struct ods_principal *odsi_apikey_principal(struct ods_arena *,
		    const struct ods_apikey *);

#endif /* ODS_AUTH_INT_H */
