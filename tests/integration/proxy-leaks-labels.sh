#!/usr/bin/env bash
# tests/integration/proxy-leaks-labels.sh — what the proxy shows without
# a login (issue 12 items 11 and 12), through nginx: GET /health names a
# backend whose URL holds user:pass@ without the credentials; an upstream
# that refuses the proxy's key (401 quoting part of it, as OpenAI does)
# becomes our own 502 upstream_auth_error, with no trace of the key; a
# passed-on 4xx has its key-shaped words redacted; 50 made-up model names
# leave one model="other" series in /metrics and no series of their own,
# while a served model keeps its name.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"
. "$here/../llm/lib.sh"

ods_t_begin proxy-leaks-labels
ods_t_require node jq
ods_stack_init
ods_stack_backends
ODS_T_CLEANUP='ods_llm_mocks_stop'
ods_llm_mock_start MOCK mock
export AUTH_MODE=false ODS_RATE_LIMIT_ENABLED=false
# libcurl sends the credentials as Basic auth; the mock ignores them.
export VLLM_CHAT_URL=http://ops:s3cr3t-pw@${MOCK#http://} LLM_BACKEND=vllm
ods_pool_start proxy
ods_stack_nginx_start
ods_wait_http "$ODS_PROXY_URL/healthz" 200 20 || ods_t_fail "proxy not live"
P=$ODS_PROXY_URL
URL=$P/v1/chat/completions
chat() {	# MODEL
	ods_req POST "$URL" -H 'Content-Type: application/json' \
	    -d "{\"model\":\"$1\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
}

# 1. /health: the URL without user:pass@.
ods_get "$P/health"
ods_expect_code 200 "/health"
ods_expect_json '.backends[0].url' "$MOCK/v1" "/health shows the URL without credentials"
grep -q 's3cr3t-pw\|ops:' <<<"$HTTP_BODY" &&
    ods_t_fail "/health shows the backend's credentials: $HTTP_BODY"
ods_t_ok "/health holds no credentials"

# 2. The upstream refuses the proxy's key.
chat mock-chat
ods_expect_code 200 "a chat call before the key is refused"
ods_llm_mock_mode "$MOCK" '{"mode":"401"}'
chat mock-chat
ods_expect_openai_error 502 "an upstream 401"
ods_expect_json '.error.code' upstream_auth_error "an upstream 401: our code"
grep -q 'sk-\|xyz9\|Incorrect API key' <<<"$HTTP_BODY" &&
    ods_t_fail "the upstream's 401 body reached the client: $HTTP_BODY"
ods_t_ok "no part of the proxy's key reaches the client"
ods_req POST "$P/v1/chat/completions" -H 'Content-Type: application/json' \
    -d '{"model":"mock-chat","stream":true,"messages":[{"role":"user","content":"hi"}]}'
ods_expect_openai_error 502 "an upstream 401 to a stream request"
grep -q 'sk-\|xyz9' <<<"$HTTP_BODY" &&
    ods_t_fail "the upstream's 401 body reached a stream client: $HTTP_BODY"

# 3. Another 4xx is passed on, its key-shaped words redacted.
ods_llm_mock_mode "$MOCK" '{"mode":"400key"}'
chat mock-chat
ods_expect_openai_error 400 "an upstream 400"
grep -q 'LEAKED\|sk-proj' <<<"$HTTP_BODY" &&
    ods_t_fail "a key in an upstream 400 reached the client: $HTTP_BODY"
ods_expect_json '.error.message' 'Bad request for key [redacted].' \
    "the upstream's 400 message, its key redacted"
ods_llm_mock_mode "$MOCK" '{"mode":"ok"}'

# 4. Made-up model names do not take series of their own.
for i in $(seq 1 50); do
	chat "made-up-model-$i-$RANDOM"
	[ "$HTTP_CODE" = 404 ] || ods_t_fail "made-up model $i: HTTP $HTTP_CODE"
done
chat mock-chat
ods_expect_code 200 "a served model after the made-up ones"
m=$(curl -s "$P/metrics")
ods_expect_eq "$(grep -c '^ai_requests_total{[^}]*model="made-up' <<<"$m")" 0 \
    "no ai_requests_total series of a made-up model"
ods_expect_le "$(grep -c '^ai_requests_total{[^}]*model="other"' <<<"$m")" 1 \
    "at most one model=\"other\" series of ai_requests_total"
grep -q '^ai_requests_total{service="openai-proxy",model="other",status="error"} 50' <<<"$m" ||
    ods_t_fail "the 50 made-up calls are not counted as other: $(grep '^ai_requests_total' <<<"$m")"
grep -q '^ai_requests_total{service="openai-proxy",model="mock-chat",status="success"}' <<<"$m" ||
    ods_t_fail "the served model lost its name: $(grep '^ai_requests_total' <<<"$m")"
ods_t_ok "50 made-up names counted as other; mock-chat keeps its name"

ods_t_end
