#!/usr/bin/env bash
# tests/integration/auth-failures-csrf-redis.sh — issue 12 items 7, 8, 13
# through nginx: Redis wants a password (and the services log in with the
# REDIS_URL's user and password, which no log shows); a JWKS planted in
# Redis, with a time far ahead, does not make a forged admin token valid;
# refused credentials from one address past ODS_AUTH_FAIL_LIMIT get 429
# before any token is read, and their AUDIT lines are capped; a write
# authenticated by cookie needs JSON or a same-origin Origin (CSRF); the
# rate_limited log line names the route, not the client's path.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"

ods_t_begin auth-failures-csrf-redis
ods_t_require node
ods_stack_init
fx=$ODS_STACK_DIR/jwt
js=$here/../auth/jwt-fixture.js
mkdir -p "$fx"
node "$js" keygen "$fx" k1 && node "$js" keygen "$fx" k2 ||
    ods_t_fail "keygen"
node "$js" jwks "$fx" "$fx/kc.jwks.json" k1
setsid node "$js" serve "$fx" "$fx/port" </dev/null >"$ODS_STACK_DIR/log/jwks.log" 2>&1 &
fxpid=$!
ODS_T_CLEANUP='kill $fxpid 2>/dev/null'
ods_wait_until 10 test -s "$fx/port" || ods_t_fail "JWKS fixture did not start"
fxport=$(cat "$fx/port")

iss=http://keycloak.internal:8080/realms/ods
export KEYCLOAK_JWKS_URL=http://127.0.0.1:$fxport/kc/protocol/openid-connect/certs
export JWT_ISSUERS=$iss
export KEYCLOAK_CLIENT_ID=web-frontend
export ODS_AUTH_FAIL_LIMIT=8
export ODS_AUDIT_REPEAT_MAX=2
export ODS_RATE_LIMIT_DEFAULT=3/minute
ods_stack_up

now=$(date +%s)
claims() {	# ROLE [NAME]
	printf '{"iss":"%s","aud":"web-frontend","sub":"sub-%s","preferred_username":"%s","iat":%d,"exp":%d,"realm_access":{"roles":["%s"]}}' \
	    "$iss" "${2:-$1}" "${2:-$1}" "$((now - 5))" "$((now + 600))" "$1"
}
mint() { node "$js" mint "$@"; }
me=$ODS_DATA_URL/api/v1/auth/me
keys=$ODS_DATA_URL/api/v1/api-keys

# --- Redis: a password, never logged -----------------------------------------
case $(redis-cli -h 127.0.0.1 -p "$ODS_REDIS_PORT" ping 2>&1) in
PONG) ods_t_fail "Redis answers without a password" ;;
*) ods_t_ok "Redis refuses a client without credentials" ;;
esac
ods_expect_eq "$(ods_redis_cli ping 2>/dev/null)" PONG "Redis with the ACL user"
case $REDIS_URL in
redis://ods:*@*) ods_t_ok "REDIS_URL carries a user and a password" ;;
*) ods_t_fail "REDIS_URL has no credentials" ;;
esac

# --- a JWKS planted in Redis --------------------------------------------------
# Before any token: the workers have no keys yet and look in Redis first.
# The attacker's key (k2) under the real kid, with a time a year ahead.
h=$(printf '%s' "$KEYCLOAK_JWKS_URL" | sha256sum | cut -c1-16)
node "$js" jwks "$fx" "$fx/evil.jwks.json" k2
evil=$(sed 's/"kid":"k2"/"kid":"k1"/' "$fx/evil.jwks.json")
ahead=$(((now + 365 * 86400) * 1000))
ods_redis_cli SET "ods:jwks:doc:$h" "$ahead
$evil" PX 600000 >/dev/null || ods_t_fail "cannot write Redis"
forged=$(mint --alg RS256 --key "$fx/k2.key.pem" --kid k1 --claims "$(claims admin)")
for i in 1 2 3; do	# reach both workers of the pool
	ods_get "$keys" -H "Authorization: Bearer $forged"
	ods_expect_code 401 "forged admin token with a planted JWKS ($i)"
done
admin=$(mint --alg RS256 --key "$fx/k1.key.pem" --kid k1 --claims "$(claims admin)")
ods_get "$keys" -H "Authorization: Bearer $admin"
ods_expect_code 200 "the real admin token"
v=$(ods_redis_cli GET "ods:jwks:doc:$h")
case $v in
*'"kty"'*) ods_t_fail "Redis holds a key set" ;;
*' d='*) ods_t_ok "Redis holds a fetch time and a digest only" ;;
*) ods_t_fail "unexpected shared JWKS value: ${v:0:80}" ;;
esac

# --- CSRF: cookies on writes ----------------------------------------------------
ods_req POST "$keys" -H "Cookie: access_token=$admin" \
    -H 'Content-Type: application/x-www-form-urlencoded' \
    -H 'Origin: https://evil.example' -d 'name=x'
ods_expect_error_envelope 403 csrf "a cross-site form with the cookie"
ods_req POST "$keys" -H "Cookie: access_token=$admin" \
    -H 'Content-Type: text/plain' -d '{"name":"x"}'
ods_expect_error_envelope 403 csrf "text/plain with the cookie"
ods_req POST "$keys" -H "Cookie: access_token=$admin" \
    -H 'Content-Type: application/json' -d '{"name":"csrf-json"}'
ods_expect_code 201 "JSON with the cookie"
ods_req POST "$ODS_DATA_URL/api/v1/auth/refresh" \
    -H "Cookie: refresh_token=rt-value" \
    -H 'Content-Type: application/x-www-form-urlencoded' -d 'x=1'
ods_expect_error_envelope 403 csrf "refresh by a cross-site form"
ods_req POST "$keys" -H "Authorization: Bearer $admin" \
    -H 'Content-Type: text/plain' -d 'not json'
[ "$HTTP_CODE" != 403 ] || ods_t_fail "a bearer token is refused as CSRF"
ods_t_ok "a bearer token is not concerned: HTTP $HTTP_CODE"

# --- the rate_limited line: the route, not the path --------------------------
# ODS_RATE_LIMIT_DEFAULT=3/minute; the id is decoded by nginx (spaces).
rl=$(mint --alg RS256 --key "$fx/k1.key.pem" --kid k1 --claims "$(claims admin rl-admin)")
for i in 1 2 3 4; do
	ods_req DELETE "$keys/x%20who=forged%20route=forged" \
	    -H "Authorization: Bearer $rl"
done
ods_expect_error_envelope 429 rate_limited "the 4th write in a minute"
ods_wait_until 5 grep -q '"msg":"rate_limited"' "$ODS_STACK_DIR/log/data.log" ||
    ods_t_fail "no rate_limited line"
grep '"msg":"rate_limited"' "$ODS_STACK_DIR/log/data.log" | grep -q forged &&
    ods_t_fail "the rate_limited line carries the client's path"
grep -q '"msg":"rate_limited".*"route":"/api-keys/{id}"' "$ODS_STACK_DIR/log/data.log" ||
    ods_t_fail "the rate_limited line does not name the route"
ods_t_ok "rate_limited names the route template"

# --- one Redis call per request with a JWT ---------------------------------------
# The address's refused credentials are read in the rate limiter's own
# script: a good (or rate-limited) request is one script, not two.
scripts() {
	ods_redis_cli INFO commandstats | tr -d '\r' |
	    awk -F'[:=,]' '/^cmdstat_eval(sha)?:/ { n += $3 } END { print n + 0 }'
}
s0=$(scripts)
for i in 1 2 3 4 5 6; do
	ods_get "$me" -H "Authorization: Bearer $admin"
done
ods_expect_eq "$(( $(scripts) - s0 ))" 6 "6 requests with a JWT, 6 Redis scripts"
# (those used the admin's reads of this minute: a new window for the rest)
for k in $(ods_redis_cli --scan --pattern 'ods:rl:*'); do
	ods_redis_cli DEL "$k" >/dev/null
done

# --- refused credentials per address --------------------------------------------
ods_redis_cli DEL ods:af:ip:127.0.0.1 >/dev/null
for i in 1 2 3 4 5 6 7 8; do
	ods_get "$me" -H "Authorization: Bearer bad.token.$i"
	ods_expect_code 401 "bad token $i"
done
ods_get "$me" -H "Authorization: Bearer $admin"
ods_expect_error_envelope 429 rate_limited "a good token from an address past the limit"
ods_expect_header Retry-After '^[0-9]+$' "429 Retry-After"
ods_expect_json '.code' 42900 "429 code"
ods_get "$me" -H "Authorization: Bearer bad.token.9"
ods_expect_error_envelope 429 rate_limited "a bad token from an address past the limit"
ods_get "$ODS_PROXY_URL/v1/models" -H "Authorization: Bearer sk-ods-bogus"
ods_expect_openai_error 429 "the proxy shares the count (one Redis)"
ods_get "$ODS_DATA_URL/api/v1/health"
[ "$HTTP_CODE" != 429 ] || ods_t_fail "open routes are throttled"
ods_t_ok "open routes are not throttled: HTTP $HTTP_CODE"
n=$(grep -c '"msg":"AUDIT".*"reason":"malformed"' "$ODS_STACK_DIR/log/data.log")
ods_expect_le "$n" 4 "AUDIT lines for 8 identical refusals (2 per worker)"
ods_redis_cli DEL ods:af:ip:127.0.0.1 >/dev/null
ods_get "$me" -H "Authorization: Bearer $admin"
ods_expect_code 200 "the address after its window"

# --- nothing secret in the logs --------------------------------------------------
pw=$(ods_stack_secret redis)
if grep -rqF -- "$pw" "$ODS_STACK_DIR/log" "$ODS_STACK_DIR/nginx/logs"; then
	ods_t_fail "the Redis password is in a log"
fi
ods_t_ok "the Redis password is in no log"
kill $fxpid 2>/dev/null
ods_t_end
