/*
 * lib/auth/ods_auth_rate.c — rate limits in Redis, one Lua script per request.
 *
 * Fixed windows, as the reference's limiter: a caller (API key, user or
 * client IP) gets ODS_RATE_LIMIT_DEFAULT requests (100/minute) per route
 * class (read: GET/HEAD/OPTIONS, write: the others) per service, and at
 * most ODS_RATE_LIMIT_BURST (200) over all its classes in the same
 * window. The 101st read in a minute is refused whatever the timing; the
 * burst bounds the total when the per-class limit is raised or classes
 * are added. A window starts with the caller's first request and its
 * keys expire with it, so idle callers cost no memory. INCR, PEXPIRE and
 * PTTL run in one script: atomic, one round trip.
 *
 * The same script peeks at the address's refused credentials (below)
 * when the caller brings a JWT: its signature is checked before the
 * peek, which costs less than a second round trip on every good request.
 *
 * Refused credentials have a limit of their own, per client address
 * (REMOTE_ADDR as nginx passes it): every 401 counts one in a fixed
 * window of ODS_AUTH_FAIL_WINDOW seconds, and an address that reached
 * ODS_AUTH_FAIL_LIMIT is answered 429 before any token is looked at (no
 * signature check, no JWKS, no API key query, no audit row each). The
 * peek is one GET-like script; the count one INCR.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "auth/ods_auth_int.h"
#include "core/ods_conf.h"
#include "core/ods_log.h"
#include "core/ods_time.h"
#include "store/ods_redis.h"

static const char rate_lua[] =
    "if KEYS[3] then\n"
    "  local f = tonumber(redis.call('GET', KEYS[3]) or '0')\n"
    "  if f >= tonumber(ARGV[4]) then\n"
    "    local fttl = redis.call('PTTL', KEYS[3])\n"
    "    if fttl < 0 then fttl = 0 end\n"
    "    return {2, 0, fttl, fttl}\n"
    "  end\n"
    "end\n"
    "local win = tonumber(ARGV[3])\n"
    "local function hit(k)\n"
    "  local n = redis.call('INCR', k)\n"
    "  local ttl = redis.call('PTTL', k)\n"
    "  if ttl < 0 then redis.call('PEXPIRE', k, win); ttl = win end\n"
    "  return n, ttl\n"
    "end\n"
    "local c, cttl = hit(KEYS[1])\n"
    "local t, tttl = hit(KEYS[2])\n"
    "local limit = tonumber(ARGV[1])\n"
    "local burst = tonumber(ARGV[2])\n"
    "local left = math.min(limit - c, burst - t)\n"
    "if left < 0 then left = 0 end\n"
    "if c <= limit and t <= burst then return {1, left, 0, cttl} end\n"
    "local wait = cttl\n"
    "if t > burst and tttl > wait then wait = tttl end\n"
    "return {0, 0, wait, cttl}\n";

/* {count, ms left in the window} of one address; {0, 0} when none. */
static const char fail_peek_lua[] =
    "local n = tonumber(redis.call('GET', KEYS[1]) or '0')\n"
    "local ttl = redis.call('PTTL', KEYS[1])\n"
    "if ttl < 0 then ttl = 0 end\n"
    "return {n, ttl}\n";

static const char fail_hit_lua[] =
    "local n = redis.call('INCR', KEYS[1])\n"
    "local ttl = redis.call('PTTL', KEYS[1])\n"
    "if ttl < 0 then\n"
    "  ttl = tonumber(ARGV[1])\n"
    "  redis.call('PEXPIRE', KEYS[1], ttl)\n"
    "end\n"
    "return {n, ttl}\n";

void
odsi_rate_init(struct ods_auth *a)
{
	ods_redis_script_init(&a->rl_script, rate_lua);
	ods_redis_script_init(&a->fail_peek, fail_peek_lua);
	ods_redis_script_init(&a->fail_hit, fail_hit_lua);
}

static int
reply_int(const struct ods_redis_reply *r, size_t i, long long *v)
{
	if (r->type != ODS_REDIS_ARRAY || i >= r->nelem ||
	    r->elem[i].type != ODS_REDIS_INTEGER)
		return -1;
	*v = r->elem[i].integer;
	return 0;
}

enum ods_err
odsi_rate_take(struct ods_auth *a, const char *service, const char *klass,
    const char *who, int count, int window_s, int burst, const char *fail_who,
    struct rate_res *res)
{
	struct ods_redis_reply	*rep = NULL;
	const char		*argv[7];
	char			 k1[256], k2[256], k3[160], cnt[16], bst[16];
	char			 win[24], lim[16];
	long long		 allowed, left, wait, ttl;
	enum ods_err		 er;
	int			 nkeys = 2;

	if (a->redis == NULL)
		return ODS_EUNAVAIL;
	snprintf(k1, sizeof(k1), "ods:rl:%s:%s:%s", service, klass, who);
	snprintf(k2, sizeof(k2), "ods:rl:%s:all:%s", service, who);
	snprintf(cnt, sizeof(cnt), "%d", count);
	snprintf(bst, sizeof(bst), "%d", burst > 0 ? burst : count);
	snprintf(win, sizeof(win), "%lld", (long long)window_s * 1000);
	argv[0] = k1;
	argv[1] = k2;
	if (fail_who != NULL) {
		snprintf(k3, sizeof(k3), "ods:af:%s", fail_who);
		argv[nkeys++] = k3;
	}
	argv[nkeys] = cnt;
	argv[nkeys + 1] = bst;
	argv[nkeys + 2] = win;
	snprintf(lim, sizeof(lim), "%d", a->conf->auth_fail_limit);
	argv[nkeys + 3] = lim;
	er = ods_redis_eval(a->redis, &a->rl_script, nkeys, nkeys + 4, argv,
	    NULL, &rep);
	if (er == ODS_OK && (reply_int(rep, 0, &allowed) < 0 ||
	    reply_int(rep, 1, &left) < 0 || reply_int(rep, 2, &wait) < 0 ||
	    reply_int(rep, 3, &ttl) < 0))
		er = ODS_EINTERNAL;
	ods_redis_reply_free(rep);
	if (er != ODS_OK)
		return er == ODS_EINTERNAL || er == ODS_EINVAL ?
		    ODS_EUNAVAIL : er;
	res->throttled = allowed == 2;
	res->allowed = allowed == 1;
	res->limit = res->throttled ? a->conf->auth_fail_limit : count;
	res->remaining = (int)left;
	res->retry_after = (int)((wait + 999) / 1000);
	if (!res->allowed && res->retry_after < 1)
		res->retry_after = 1;
	res->reset_s = (ods_wall_ms() + ttl + 999) / 1000;
	return ODS_OK;
}

enum ods_err
odsi_rate_fail_peek(struct ods_auth *a, const char *who, struct rate_res *res)
{
	struct ods_redis_reply	*rep = NULL;
	const char		*argv[1];
	char			 k[160];
	long long		 n, ttl;
	enum ods_err		 er;

	if (a->redis == NULL)
		return ODS_EUNAVAIL;
	snprintf(k, sizeof(k), "ods:af:%s", who);
	argv[0] = k;
	er = ods_redis_eval(a->redis, &a->fail_peek, 1, 1, argv, NULL, &rep);
	if (er == ODS_OK && (reply_int(rep, 0, &n) < 0 ||
	    reply_int(rep, 1, &ttl) < 0))
		er = ODS_EINTERNAL;
	ods_redis_reply_free(rep);
	if (er != ODS_OK)
		return er == ODS_EINTERNAL || er == ODS_EINVAL ?
		    ODS_EUNAVAIL : er;
	res->limit = a->conf->auth_fail_limit;
	res->allowed = n < res->limit;
	res->remaining = res->allowed ? (int)(res->limit - n) : 0;
	res->retry_after = (int)((ttl + 999) / 1000);
	if (res->retry_after < 1)
		res->retry_after = 1;
	res->reset_s = (ods_wall_ms() + ttl + 999) / 1000;
	return ODS_OK;
}

enum ods_err
odsi_rate_fail_hit(struct ods_auth *a, const char *who, struct rate_res *res)
{
	struct ods_redis_reply	*rep = NULL;
	const char		*argv[2];
	char			 k[160], win[24];
	long long		 n, ttl;
	enum ods_err		 er;

	memset(res, 0, sizeof(*res));
	res->allowed = 1;
	if (a->redis == NULL)
		return ODS_EUNAVAIL;
	snprintf(k, sizeof(k), "ods:af:%s", who);
	snprintf(win, sizeof(win), "%lld",
	    (long long)a->conf->auth_fail_window * 1000);
	argv[0] = k;
	argv[1] = win;
	er = ods_redis_eval(a->redis, &a->fail_hit, 1, 2, argv, NULL, &rep);
	if (er == ODS_OK && (reply_int(rep, 0, &n) < 0 ||
	    reply_int(rep, 1, &ttl) < 0))
		er = ODS_EINTERNAL;
	ods_redis_reply_free(rep);
	if (er != ODS_OK) {
		/* Redis down: the failure is not counted; the peek fails open. */
		atomic_store(&a->rl_fail_ms, ods_now_ms());
		return ODS_EUNAVAIL;
	}
	res->limit = a->conf->auth_fail_limit;
	res->allowed = n <= res->limit;
	res->remaining = res->allowed ? (int)(res->limit - n) : 0;
	res->retry_after = (int)((ttl + 999) / 1000);
	if (res->retry_after < 1)
		res->retry_after = 1;
	res->reset_s = (ods_wall_ms() + ttl + 999) / 1000;
	return ODS_OK;
}
