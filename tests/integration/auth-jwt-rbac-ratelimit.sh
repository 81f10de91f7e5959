#!/usr/bin/env bash
# tests/integration/auth-jwt-rbac-ratelimit.sh — authentication through
# nginx: a JWKS fixture on loopback (tests/auth/jwt-fixture.js, keys made
# here), tokens minted by it; the JWT matrix on GET /api/v1/auth/me, what
# roles may do on GET /api/v1/auth/permissions, JWKS
# rotation with one refetch, HS256 key rotation by env file and SIGHUP
# (the previous key stays valid; deleting its line retires it), RBAC on the
# admin API-key routes (viewer 403, admin 201; tokens of other clients 401,
# another client's admin role 403, odsctl's dev token 200), an sk-ods- key
# on the proxy, the 101st request in a minute
# -> 429 with headers, and AUDIT lines free of secrets.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"

ods_t_begin auth-jwt-rbac-ratelimit
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
export JWT_ISSUERS="$iss,http://localhost:8080/realms/ods"
# Our client, and the default JWT_ALLOWED_AUDIENCES (no other client).
export KEYCLOAK_CLIENT_ID=web-frontend
unset JWT_ALLOWED_AUDIENCES
export ODS_JWKS_REFETCH_INTERVAL=10
# The HS256 key comes from an env file, as an operator keeps it: rotating it
# is editing the file and sending SIGHUP (the README's procedure).
hs_old=integration-hs256-secret-0123456789abcdef
hs_new=integration-hs256-rotated-9876543210fedcba
envf=$ODS_STACK_DIR/secrets/ods.env
printf 'JWT_SECRET_KEY=%s\n' "$hs_old" >"$envf"
ODS_POOL_ARGS=(--env-file "$envf")
ods_stack_up

now=$(date +%s)
claims() {	# ROLES [EXP_DELTA] [AUD_JSON] [ISS]
	printf '{"iss":"%s","aud":%s,"sub":"sub-%s","preferred_username":"%s","email":"%s@example.com","iat":%d,"exp":%d,"realm_access":{"roles":[%s]}}' \
	    "${4:-$iss}" "${3:-\"web-frontend\"}" "$1" "$1" "$1" "$((now - 5))" \
	    "$((now + ${2:-600}))" "\"$1\""
}
more() {	# CLAIMS MEMBERS: the claims with more members at the end
	printf '%s,%s}' "${1%\}}" "$2"
}
mint() { node "$js" mint "$@"; }
rs() { mint --alg RS256 --key "$fx/${2:-k1}.key.pem" --kid "${2:-k1}" --claims "$1" "${@:3}"; }

me=$ODS_DATA_URL/api/v1/auth/me
viewer=$(rs "$(claims viewer)")
admin=$(rs "$(claims admin)")

# --- the JWT matrix --------------------------------------------------------
ods_get "$me" -H "Authorization: Bearer $viewer"
ods_expect_code 200 "valid RS256"
ods_expect_json '.data.username' viewer "principal username"
ods_expect_json '.data.roles[0]' viewer "principal roles"
ods_get "$me"
ods_expect_error_envelope 401 unauthorized "no token"
ods_expect_json '.code' 40100 "no token code"
check401() {	# TOKEN MSG
	ods_get "$me" -H "Authorization: Bearer $1"
	ods_expect_code 401 "$2"
	ods_expect_json '.code' 40101 "$2: code"
	ods_expect_json '.message' "Invalid or expired token" "$2: generic body"
}
check401 "$(mint --alg none --kid k1 --claims "$(claims admin)")" "alg none"
check401 "$(mint --alg HS256 --secret-file "$fx/k1.pub.pem" --kid k1 --claims "$(claims admin)")" "HS256 with the RSA public key"
check401 "$(rs "$(claims viewer)" k1 --tamper)" "tampered payload"
check401 "$(rs "$(claims viewer)" k1 --badsig)" "bad signature"
check401 "$(rs "$(claims viewer -120)")" "expired beyond leeway"
ods_get "$me" -H "Authorization: Bearer $(rs "$(claims viewer -10)")"
ods_expect_code 200 "expired within leeway"
check401 "$(rs "$(claims viewer 600 '"web-frontend"' http://evil/realms/ods)")" "wrong iss"
check401 "$(rs "$(claims viewer 600 '"account"')")" "aud account only"
# Past ODS_AUTH_MAX_TOKEN (8 KB) the worker refuses it; past nginx's 16 KB
# header buffers nginx does, with JSON too.
check401 "$(head -c 9000 /dev/zero | tr '\0' 'A')" "9 KB token"
ods_get "$me" -H "Authorization: Bearer $(head -c 65536 /dev/zero | tr '\0' 'A')"
ods_expect_error_envelope 431 header_too_large "64 KB token"
check401 'e30*.e30.AAAA' "malformed base64"
nbf() {	# ROLES NBF_DELTA: claims with a not-before
	claims "$1" | sed "s/,\"exp\"/,\"nbf\":$((now + $2)),\"exp\"/"
}
check401 "$(rs "$(nbf viewer 120)")" "not yet valid beyond leeway"
ods_get "$me" -H "Authorization: Bearer $(rs "$(nbf viewer 10)")"
ods_expect_code 200 "not yet valid within leeway"
# RFC 7515 appendix A.1: a good HS256 signature over exp 1300819380 (2011).
check401 'eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk' \
    "RFC 7515 A.1 token (expired)"
ods_get "$me?access_token=$viewer"
ods_expect_code 401 "query token on a non-streaming route"
ods_get "$me" -H "Cookie: access_token=$viewer"
ods_expect_code 200 "cookie token"

# --- what a role may do: GET /auth/permissions ------------------------------
ods_get "$ODS_DATA_URL/api/v1/auth/permissions" -H "Authorization: Bearer $viewer"
ods_expect_code 200 "permissions of a viewer"
ods_expect_json '[.data.roles, .data.permissions.document, .data.permissions.chat]' '[
  [
    "viewer"
  ],
  [
    "read"
  ],
  [
    "read"
  ]
]' "a viewer reads documents and chats, nothing more"
ods_expect_json '.data.permissions | has("system") or has("model")' false "no system or model rights for a viewer"
ods_get "$ODS_AGENT_URL/api/v1/auth/permissions" -H "Authorization: Bearer $admin"
ods_expect_json '.data.permissions.system | length' 9 "admin: every operation of every resource"
ods_get "$ODS_AGENT_URL/api/v1/auth/permissions"
ods_expect_code 401 "permissions without a token"

# --- unknown kid and rotation ------------------------------------------------
base=$(curl -sf "http://127.0.0.1:$fxport/count/kc" | jq .certs)
k2tok=$(rs "$(claims viewer)" k2)
check401 "$k2tok" "unknown kid"
check401 "$k2tok" "unknown kid again (no refetch within the window)"
for i in 1 2 3 4 5; do
	check401 "$(rs "$(claims viewer)" k1 --kid "rnd$i$RANDOM")" "random kid $i"
done
n=$(curl -sf "http://127.0.0.1:$fxport/count/kc" | jq .certs)
ods_expect_le "$((n - base))" 1 "JWKS refetches under a random-kid flood"
node "$js" jwks "$fx" "$fx/kc.jwks.json" k1 k2
# The workers answer k2 from memory (unknown) for one interval; then one
# of them refetches.
sleep "$((ODS_JWKS_REFETCH_INTERVAL + 1))"
base=$(curl -sf "http://127.0.0.1:$fxport/count/kc" | jq .certs)
ods_get "$me" -H "Authorization: Bearer $k2tok"
ods_expect_code 200 "k2 token after rotation"
n=$(curl -sf "http://127.0.0.1:$fxport/count/kc" | jq .certs)
ods_expect_le "$((n - base))" 1 "one refetch for the new kid"

# --- HS256 and its rotation by env file + SIGHUP -----------------------------
hs() { mint --alg HS256 --secret "$1" --claims "$(claims "${2:-viewer}")"; }
hs_old_tok=$(hs "$hs_old")
hs_new_tok=$(hs "$hs_new")
ods_get "$me" -H "Authorization: Bearer $hs_old_tok"
ods_expect_code 200 "HS256 with JWT_SECRET_KEY"
check401 "$hs_new_tok" "HS256 with a key not yet configured"
check401 "$(hs not-our-key-not-our-key-not-our-key-0000)" "HS256 with a foreign key"
printf 'JWT_SECRET_KEY=%s\nJWT_PREVIOUS_KEYS=%s\n' "$hs_new" "$hs_old" >"$envf"
before=$(ods_pool_workers data | sort)
kill -HUP "$(ods_pool_master data)"
ods_wait_until 10 eval '[ -z "$(comm -12 <(ods_pool_workers data | sort) <(printf "%s\n" "$before"))" ]' ||
    ods_t_fail "the data pool's workers were not replaced after SIGHUP"
ods_wait_http "$me" 401 10 || ods_t_fail "the data pool does not answer after SIGHUP"
ods_get "$me" -H "Authorization: Bearer $hs_new_tok"
ods_expect_code 200 "HS256 with the new key after SIGHUP, no restart"
ods_get "$me" -H "Authorization: Bearer $hs_old_tok"
ods_expect_code 200 "HS256 with the previous key still accepted"
hup_data() {	# WHAT: SIGHUP the data pool, wait for a new generation
	local before
	before=$(ods_pool_workers data | sort)
	kill -HUP "$(ods_pool_master data)"
	ods_wait_until 10 eval '[ -z "$(comm -12 <(ods_pool_workers data | sort) <(printf "%s\n" "$before"))" ]' ||
	    ods_t_fail "the data pool's workers were not replaced after SIGHUP ($1)"
	ods_wait_http "$me" 401 10 ||
	    ods_t_fail "the data pool does not answer after SIGHUP ($1)"
}
# Retiring the previous key is deleting its line: the reload must unset
# what the file no longer says (issue 12 item 5).
printf 'JWT_SECRET_KEY=%s\n' "$hs_new" >"$envf"
hup_data "JWT_PREVIOUS_KEYS deleted"
check401 "$hs_old_tok" "HS256 with the previous key after its line was deleted"
ods_get "$me" -H "Authorization: Bearer $hs_new_tok"
ods_expect_code 200 "HS256 with the current key after the previous one was retired"
# A line longer than the old reader's 8191-byte buffer, which it split
# into a bad line and so refused the reload (issue 12 item 13).
printf 'ODS_TEST_LONG_LINE=%s\nJWT_SECRET_KEY=%s\n' \
    "$(head -c 9000 /dev/zero | tr '\0' x)" "$hs_new" >"$envf"
hup_data "a 9000-byte line"
ods_t_ok "a reload with a 9000-byte line in the env file is accepted"
ods_get "$me" -H "Authorization: Bearer $hs_new_tok"
ods_expect_code 200 "HS256 with the current key after a reload with a long line"

# --- RBAC and API keys -------------------------------------------------------
keys=$ODS_DATA_URL/api/v1/api-keys
ods_req POST "$keys" -H "Authorization: Bearer $viewer" \
    -H 'Content-Type: application/json' -d '{"name":"x"}'
ods_expect_code 403 "viewer on an admin write"
ods_expect_json '.required' system:manage "403 names the permission"
ods_expect_json '.roles[0]' viewer "403 lists the roles"
ods_req POST "$keys" -H "Authorization: Bearer $admin" \
    -H 'Content-Type: application/json' -d '{"name":"it","allowed_models":["m1"]}'
ods_expect_code 201 "admin creates an API key"
sk=$(ods_json '.data.api_key')
case $sk in sk-ods-*) ods_t_ok "key shown once: ${sk:0:10}..." ;; *) ods_t_fail "no key" ;; esac
ods_get "$keys" -H "Authorization: Bearer $admin"
ods_expect_code 200 "admin lists keys"
case $HTTP_BODY in *"$sk"*) ods_t_fail "the listing shows the secret" ;; esac
# Issue 12: aud "account" is in almost every token of the realm; azp says
# which client a token was issued to, and only our clients' roles count.
other=$(rs "$(more "$(claims guest 600 '["account"]')" \
    '"azp":"other-app","resource_access":{"other-app":{"roles":["admin"]}}')")
ods_get "$keys" -H "Authorization: Bearer $other"
ods_expect_code 401 "another client's token (aud account) with its admin role"
ours=$(rs "$(more "$(claims viewer 600 '["account"]')" \
    '"azp":"web-frontend","resource_access":{"other-app":{"roles":["admin"]},"account":{"roles":["admin"]}}')")
ods_get "$keys" -H "Authorization: Bearer $ours"
ods_expect_code 403 "our client's token with admin under other clients only"
ours=$(rs "$(more "$(claims admin 600 '["account"]')" '"azp":"web-frontend"')")
ods_get "$keys" -H "Authorization: Bearer $ours"
ods_expect_code 200 "our client's token with the realm's admin role"
ours=$(rs "$(more "$(claims viewer 600 '["account"]')" \
    '"azp":"web-frontend","resource_access":{"web-frontend":{"roles":["admin"]}}')")
ods_get "$keys" -H "Authorization: Bearer $ours"
ods_expect_code 200 "our client's token with our client's admin role"
dev=$(JWT_SECRET_KEY=$hs_new "$(ods_bin odsctl)" token --sub it-dev \
    --roles admin --ttl 600) || ods_t_fail "odsctl token"
ods_get "$keys" -H "Authorization: Bearer $dev"
ods_expect_code 200 "an odsctl dev token (HS256) on the admin route"
ods_get "$ODS_PROXY_URL/v1/models" -H "Authorization: Bearer $sk"
ods_expect_code 200 "API key on /v1"
ods_get "$ODS_PROXY_URL/v1/models" -H "Authorization: Bearer sk-ods-bogus"
ods_expect_openai_error 401 "bad API key on /v1"

# --- rate limit: 100 per minute ----------------------------------------------
rl=$(rs "$(claims ratelimited)")
codes=$(for i in $(seq 1 100); do
	curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $rl" "$me"
done | sort | uniq -c | tr -s ' ')
ods_expect_eq "$codes" " 100 200" "100 requests in the minute"
ods_get "$me" -H "Authorization: Bearer $rl"
ods_expect_code 429 "the 101st request"
ods_expect_header Retry-After '^[0-9]+$' "429 Retry-After"
ods_expect_header X-RateLimit-Limit '^100$' "429 X-RateLimit-Limit"
ods_expect_header X-RateLimit-Remaining '^0$' "429 X-RateLimit-Remaining"
ods_expect_header X-RateLimit-Reset '^[0-9]+$' "429 X-RateLimit-Reset"

# --- audit ---------------------------------------------------------------------
logs=$(cat "$ODS_STACK_DIR"/log/data.log "$ODS_STACK_DIR"/log/proxy.log)
grep -q '"msg":"AUDIT".*"action":"login_failed"' <<<"$logs" ||
    ods_t_fail "no AUDIT line for the auth failures"
grep -q '"msg":"AUDIT".*"action":"api_call".*"route":"/api-keys"' <<<"$logs" ||
    ods_t_fail "no AUDIT line for the key creation"
for secret in "${viewer##*.}" "${admin##*.}" "${sk#sk-ods-}" "$hs_old" "$hs_new"; do
	grep -qF -- "$secret" <<<"$logs" && ods_t_fail "a secret is in the logs"
done
ods_t_ok "AUDIT lines present and free of secrets"
kill $fxpid 2>/dev/null
ods_t_end
