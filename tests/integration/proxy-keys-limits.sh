#!/usr/bin/env bash
# tests/integration/proxy-keys-limits.sh — sk-ods- API keys on the proxy:
# 401 for unknown keys, 403 for a model the key may not use, 429
# insufficient_quota once the key's daily token budget is spent, 429 with
# Retry-After at its tokens-per-minute, 429 at its requests-per-minute (the
# auth module's limiter), all as the official openai package sees them;
# usage rows carry the key and the upstream's token counts, and the admin
# report sums them per key, model and day. Issue 12: calls made together
# hold their estimate before the upstream is asked, so 8 parallel calls
# against a tpm that fits 2 let 2 through (for a key and for a JWT user's
# per-user default); a stream cut by the client is billed its estimate;
# max_tokens, n and a NUL inside model are refused with 400; a guest's
# token gets 403 on the model routes (model:use).
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"
. "$here/../llm/lib.sh"

ODS_STACK_MIGRATE=1
ods_t_begin proxy-keys-limits
ods_t_require node npm sha256sum
ods_stack_init
ods_stack_backends
ODS_T_CLEANUP='ods_llm_mocks_stop'
ods_llm_mock_start MOCK mock
export VLLM_CHAT_URL=$MOCK LLM_BACKEND=vllm AUTH_MODE=true
export ODS_MODEL_ALIASES='gpt-4o-mini=mock-chat'
export JWT_SECRET_KEY=proxy-keys-test-secret-0123456789abcdef
export ODS_RATE_LIMIT_DEFAULT=1000/minute ODS_RATE_LIMIT_BURST=2000
# JWT users: 100 tokens a minute each (fits two holds of ~63 below).
export ODS_LLM_USER_TPM=100
ods_pool_start proxy
ods_stack_nginx_start
ods_wait_http "$ODS_PROXY_URL/healthz" 200 20 || ods_t_fail "proxy not live"
P=$ODS_PROXY_URL

# newkey ID MODELS_JSON RPM TPM BUDGET: a key row; prints the secret.
newkey() {
	local s hash
	s=sk-ods-$(head -c 64 /dev/urandom | base64 -w0 | tr '+/' '-_' |
	    tr -d '=' | head -c 43)
	hash=$(printf '%s' "$s" | sha256sum | cut -d' ' -f1)
	ods_db_sql "$MYSQL_DATABASE" -e "INSERT INTO api_keys (key_id,
	    key_prefix, key_hash, owner, name, allowed_models, rpm, tpm,
	    token_budget, budget_period) VALUES ('$1', '${s:0:12}', '$hash',
	    'tester', '$1', $2, $3, $4, $5, 'day')" ||
	    ods_t_fail "cannot insert key $1"
	printf '%s\n' "$s"
}
KEY_MODELS=$(newkey ak_models "'[\"mock-chat\"]'" NULL NULL 20)
KEY_TPM=$(newkey ak_tpm NULL NULL 10 NULL)
KEY_RPM=$(newkey ak_rpm NULL 3 NULL NULL)
KEY_PAR=$(newkey ak_par NULL NULL 100 NULL)
KEY_CUT=$(newkey ak_cut NULL NULL NULL 100000)

ods_get "$P/v1/models"
ods_expect_openai_error 401 "no key"

ods_llm_sdk_install
out=$(PROXY_URL=$P KEY_MODELS=$KEY_MODELS KEY_TPM=$KEY_TPM \
    KEY_RPM=$KEY_RPM node "$ODS_LLM_DIR/sdk-keys.js" 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/  sdk: /'
[ "$rc" = 0 ] || ods_t_fail "keys and limits through the SDK"
ods_t_ok "keys and limits through the SDK ($(printf '%s\n' "$out" | grep -c '^ok'))"

q() { ods_db_sql "$MYSQL_DATABASE" -e "$1" 2>/dev/null; }
ods_wait_until 5 eval '[ "$(q "SELECT COUNT(*) FROM api_usage WHERE key_id = '"'ak_models'"' AND status = 200")" = 3 ]' ||
    ods_t_fail "usage rows of ak_models: $(q "SELECT status, COUNT(*) FROM api_usage WHERE key_id = 'ak_models' GROUP BY status")"
ods_expect_eq "$(q "SELECT SUM(total_tokens) FROM api_usage WHERE key_id = 'ak_models' AND status = 200")" 21 \
    "tokens recorded for ak_models (3 calls x 7)"
ods_expect_eq "$(q "SELECT user_id FROM api_usage WHERE key_id = 'ak_tpm' LIMIT 1")" \
    tester "usage row names the key's owner"

# The admin report: per key, model and day (an HS256 admin token).
now=$(date +%s)
tok=$(node "$here/../auth/jwt-fixture.js" mint --alg HS256 \
    --secret "$JWT_SECRET_KEY" --claims "{\"sub\":\"ops\",\"iss\":
    \"urn:one-data-studio:odsctl\",\"aud\":\"web-frontend\",\"iat\":$now,\"exp\":$((now + 300)),
    \"realm_access\":{\"roles\":[\"admin\"]}}") || ods_t_fail "mint"
ods_get "$P/api/v1/usage?key_id=ak_models" -H "Authorization: Bearer $tok"
ods_expect_code 200 "usage report"
ods_expect_json '.data[0].total_tokens' 21 "report total_tokens of ak_models"
ods_expect_json '.data[0].requests' 3 "report requests of ak_models"
ods_get "$P/api/v1/usage" -H "Authorization: Bearer $tok"
all=$(ods_json '.total')
[ "$all" -ge 2 ] && [ "$(ods_json '.data | length')" -eq "$all" ] ||
    ods_t_fail "the report's total $all against its rows: $HTTP_BODY"
ods_get "$P/api/v1/usage?page=2&page_size=1" -H "Authorization: Bearer $tok"
ods_expect_json '[(.data | length), .total, .page, .page_size] | tojson' "[1,$all,2,1]" \
    "usage report paged: page 2 of size 1"
ods_get "$P/api/v1/usage" -H "Authorization: Bearer $KEY_TPM"
ods_expect_code 403 "usage report with a plain API key"
ods_get "$P/api/v1/usage?from=yesterday" -H "Authorization: Bearer $tok"
ods_expect_code 400 "usage report with a bad date"

# The same report from odsctl, for operators without a token.
out=$("$(ods_bin odsctl)" usage --key ak_models) || ods_t_fail "odsctl usage"
ods_expect_eq "$(printf '%s' "$out" | jq '.[0].total_tokens')" 21 \
    "odsctl usage total_tokens of ak_models"
"$(ods_bin odsctl)" usage --from yesterday 2>/dev/null &&
    ods_t_fail "odsctl usage accepted a bad date"
ods_t_ok "odsctl usage refuses a bad date"

# ---- issue 12: holds, bounds, model:use, cut streams ----

# mint SUB ROLES_JSON: an HS256 token of ours, for five minutes.
mint() {
	local now
	now=$(date +%s)
	node "$here/../auth/jwt-fixture.js" mint --alg HS256 \
	    --secret "$JWT_SECRET_KEY" --claims "{\"sub\":\"$1\",\"iss\":
	    \"urn:one-data-studio:odsctl\",\"aud\":\"web-frontend\",
	    \"iat\":$now,\"exp\":$((now + 300)),
	    \"realm_access\":{\"roles\":$2}}" || ods_t_fail "mint $1"
}
# post PATH TOKEN BODY
post() {
	ods_req POST "$P$1" -H "Authorization: Bearer $2" \
	    -H 'Content-Type: application/json' -d "$3"
}
HI='"messages":[{"role":"user","content":"hi"}]'

TOK_GUEST=$(mint guest-1 '["guest"]')
TOK_VIEWER=$(mint viewer-1 '["viewer"]')
TOK_USER=$(mint user-1 '["user"]')
post /v1/chat/completions "$TOK_GUEST" "{\"model\":\"mock-chat\",$HI}"
ods_expect_openai_error 403 "guest on /v1/chat/completions"
ods_expect_json '.error.code' permission_denied "guest lacks model:use"
post /v1/embeddings "$TOK_GUEST" '{"model":"mock-embed","input":"x"}'
ods_expect_openai_error 403 "guest on /v1/embeddings"
post /v1/completions "$TOK_VIEWER" '{"model":"mock-chat","prompt":"x"}'
ods_expect_openai_error 403 "viewer on /v1/completions"
ods_get "$P/v1/models" -H "Authorization: Bearer $TOK_GUEST"
ods_expect_code 200 "guest may still list the models"
post /v1/chat/completions "$TOK_USER" "{\"model\":\"mock-chat\",$HI}"
ods_expect_code 200 "role user on /v1/chat/completions"

for bad in '"max_tokens":1000000000' '"max_completion_tokens":1000000000' \
    '"n":100' '"max_tokens":0' '"max_tokens":"5"'; do
	post /v1/chat/completions "$TOK_USER" \
	    "{\"model\":\"mock-chat\",$HI,$bad}"
	ods_expect_openai_error 400 "$bad"
	ods_expect_json '.error.param' "$(printf '%s' "$bad" |
	    sed 's/^"\([a-z_]*\)".*/\1/')" "$bad names its field"
done
ods_expect_json '.error.type' invalid_request_error "400 type"
post /v1/chat/completions "$KEY_CUT" '{"model":"mock-chat\u0000x",'"$HI}"
ods_expect_openai_error 400 "a NUL inside model"
ods_expect_json '.error.param' model "the NUL names model"

# 8 calls at once, the upstream slow: each holds ~63 tokens (the body's
# bytes / 4 + max_tokens 40) of a 100-token minute, so 2 get through
# where all 8 did when limits were checked before and counted after.
s=$(date +%S)
[ "${s#0}" -lt 52 ] || sleep $((61 - ${s#0}))	# one minute for all 8
ods_llm_mock_mode "$MOCK" '{"mode":"slow","delay_ms":1500}'
parallel() {
	local i
	for i in 1 2 3 4 5 6 7 8; do
		curl -s -o /dev/null -w '%{http_code}\n' -m 20 \
		    -H "Authorization: Bearer $1" \
		    -H 'Content-Type: application/json' -d \
		    "{\"model\":\"mock-chat\",$HI,\"max_tokens\":40}" \
		    "$P/v1/chat/completions" &
	done
	wait
}
out=$(parallel "$KEY_PAR" | sort | uniq -c | tr -s ' \n' ' ')
ods_expect_eq "$out" " 2 200 6 429 " "8 parallel calls of a key with tpm 100"
out=$(parallel "$(mint par-user '["user"]')" | sort | uniq -c |
    tr -s ' \n' ' ')
ods_expect_eq "$out" " 2 200 6 429 " \
    "8 parallel calls of a JWT user (ODS_LLM_USER_TPM=100)"
ods_llm_mock_mode "$MOCK" '{"mode":"ok"}'

# A stream the client cuts before usage came is billed its estimate:
# the body's bytes / 4 + 1 for the prompt, max_tokens for the answer.
ods_llm_mock_mode "$MOCK" '{"mode":"ok","pace_ms":300,"chunks":30}'
body='{"model":"mock-chat",'"$HI"',"stream":true,"max_tokens":100}'
curl -s -N -o /dev/null -m 1 -H "Authorization: Bearer $KEY_CUT" \
    -H 'Content-Type: application/json' -d "$body" \
    "$P/v1/chat/completions"
ods_wait_until 15 eval '[ -n "$(q "SELECT 1 FROM api_usage WHERE key_id = '"'ak_cut'"' AND stream = 1")" ]' ||
    ods_t_fail "no usage row for the cut stream"
ods_llm_mock_mode "$MOCK" '{"mode":"ok","pace_ms":20,"chunks":8}'
ods_expect_eq "$(q "SELECT CONCAT(prompt_tokens, ' ', completion_tokens) FROM api_usage WHERE key_id = 'ak_cut' AND stream = 1")" \
    "$(( ${#body} / 4 + 1 )) 100" "a cut stream's usage row holds the estimate"
ods_expect_eq "$(ods_redis_cli GET \
    "ods:budget:ak_cut:$(date -u +%Y%m%d)")" "$(( ${#body} / 4 + 1 + 100 ))" \
    "a cut stream's estimate is billed against the key's budget"
ods_t_end
