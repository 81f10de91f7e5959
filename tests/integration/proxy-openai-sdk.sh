#!/usr/bin/env bash
# tests/integration/proxy-openai-sdk.sh — the OpenAI-compatible proxy through
# nginx, with two fake upstreams (A as "vllm", B as "ollama") and the
# official openai npm package as the client: chat (stream and not),
# completions, embeddings (float and base64, built-in and upstream),
# models, error classes, fallback before the first byte, the circuit
# breaker, an upstream breaking mid-stream, a client leaving mid-stream
# (upstream closed within 1 s).  Then with curl: byte-for-byte passthrough
# against the mock called directly, bad input answered 4xx in OpenAI's
# shape, usage rows matching the upstream's usage, the ai_* metrics.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"
. "$here/../llm/lib.sh"

ODS_STACK_MIGRATE=1
ods_t_begin proxy-openai-sdk
ods_t_require node npm cmp
ods_stack_init
ods_stack_backends
ODS_T_CLEANUP='ods_llm_mocks_stop'
ods_llm_mock_start MOCK_A mock
ods_llm_mock_start MOCK_B mockB
# Keys and limits have their own test (proxy-keys-limits.sh); here the
# load would trip the per-caller request limit.
export AUTH_MODE=false ODS_RATE_LIMIT_ENABLED=false
export VLLM_CHAT_URL=$MOCK_A OLLAMA_URL=$MOCK_B/v1/ LLM_BACKEND=auto
export ODS_MODEL_ALIASES='gpt-4o-mini=mock-chat'
export ODS_LLM_BREAKER_FAILURES=3 ODS_LLM_BREAKER_COOLDOWN_MS=1500
export ODS_LLM_FIRST_BYTE_TIMEOUT_MS=1000
ODS_PROXY_WORKERS=2 ODS_PROXY_THREADS=16 ods_pool_start proxy
ods_stack_nginx_start
ods_wait_http "$ODS_PROXY_URL/healthz" 200 20 || ods_t_fail "proxy not live"
P=$ODS_PROXY_URL

# 1. The official SDK.
ods_llm_sdk_install
out=$(PROXY_URL=$P MOCK_A=$MOCK_A MOCK_B=$MOCK_B API_KEY=test \
    COOLDOWN_MS=1500 node "$ODS_LLM_DIR/sdk-acceptance.js" 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/  sdk: /'
[ "$rc" = 0 ] || ods_t_fail "openai SDK acceptance failed"
ods_t_ok "openai@$ODS_OPENAI_SDK_VERSION acceptance ($(printf '%s\n' "$out" | grep -c '^ok'))"

# 2. Byte for byte: the same request to the mock directly and through the
# proxy gives the same bytes (non-stream, stream, stream with events split
# across TCP writes, stream with usage asked by the client).
ods_llm_mock_mode "$MOCK_A" '{"mode":"ok","pace_ms":5,"chunks":12}'
ods_llm_mock_mode "$MOCK_B" '{"mode":"ok","pace_ms":5,"chunks":12}'
d=$ODS_STACK_DIR
same() {
	local got
	curl -s -N -m 20 -d "$2" "$MOCK_A/v1/$1" >"$d/direct" || true
	got=$(curl -s -N -m 20 -o "$d/proxied" -w '%{http_code}\t%{content_type}' \
	    -d "$2" "$P/v1/$1") || true
	ods_t_spec_check POST "/v1/$1" "${got%%$'\t'*}" "$d/proxied" proxy \
	    "${got#*$'\t'}"
	cmp -s "$d/direct" "$d/proxied" || {
		diff <(head -c 2000 "$d/direct") <(head -c 2000 "$d/proxied") | head -20
		ods_t_fail "$3: bytes differ"
	}
	[ -s "$d/direct" ] || ods_t_fail "$3: empty answer"
	ods_t_ok "$3: byte-identical ($(wc -c <"$d/direct") bytes)"
}
msg='"messages":[{"role":"user","content":"a b c"}]'
same chat/completions "{\"model\":\"mock-chat\",$msg,\"temperature\":0.7}" \
    "chat non-stream"
same chat/completions "{\"model\":\"mock-chat\",$msg,\"stream\":true}" \
    "chat stream (usage event of the proxy dropped)"
same chat/completions "{\"model\":\"mock-chat\",$msg,\"stream\":true,\"stream_options\":{\"include_usage\":true}}" \
    "chat stream, usage asked by the client"
same completions '{"model":"mock-chat","prompt":"x y","stream":true}' \
    "completions stream"
ods_llm_mock_mode "$MOCK_A" '{"mode":"ok","pace_ms":5,"chunks":12,"split":true}'
same chat/completions "{\"model\":\"mock-chat\",$msg,\"stream\":true}" \
    "chat stream, events split across TCP writes"
same embeddings '{"model":"mock-embed","input":["a","b"]}' \
    "embeddings (upstream B)"
ods_llm_mock_mode "$MOCK_A" '{"mode":"ok","pace_ms":5,"chunks":12}'

# 3. Bad input: 4xx in OpenAI's shape, never a 500.
bad() {
	ods_req POST "$P/v1/$1" -H 'Content-Type: application/json' \
	    --data-binary "$2"
	ods_expect_openai_error "$3" "$4"
}
bad chat/completions 'not json' 400 "body not JSON"
bad chat/completions '[1,2]' 400 "body an array"
bad chat/completions '{"model":5,"messages":[]}' 400 "model a number"
bad chat/completions '{"model":"mock-chat"}' 400 "messages missing"
bad chat/completions '{"model":"mock-chat","messages":[],"stream":"x"}' 400 \
    "stream not a boolean"
bad chat/completions "{\"model\":\"$(printf 'm%.0s' $(seq 300))\",\"messages\":[]}" \
    400 "model too long"
bad chat/completions '{"model":"nope","messages":[]}' 404 "unknown model"
bad completions '{"model":"mock-chat"}' 400 "prompt missing"
bad embeddings '{"model":"ods-hash-embed-384"}' 400 "input missing"
bad embeddings '{"model":"ods-hash-embed-384","input":"x","encoding_format":"hex"}' \
    400 "bad encoding_format"
bad embeddings "{\"model\":\"ods-hash-embed-384\",\"input\":\"$(printf '\xff\xfe')\"}" \
    400 "invalid UTF-8"
bad chat/completions '' 400 "empty body"

# 4. Usage rows match what the upstream reported.
rid=usage-$$-$RANDOM
curl -s -m 10 -H "X-Request-ID: $rid" -d "{\"model\":\"mock-chat\",$msg,\"stream\":true}" \
    "$P/v1/chat/completions" >/dev/null
curl -s -m 10 -H "X-Request-ID: $rid-n" -d "{\"model\":\"gpt-4o-mini\",$msg}" \
    "$P/v1/chat/completions" >/dev/null
row() {
	ods_db_sql "$MYSQL_DATABASE" -e "SELECT CONCAT_WS(' ', model, backend,
	    stream, prompt_tokens, completion_tokens, total_tokens, status)
	    FROM api_usage WHERE request_id = '$1'" 2>/dev/null
}
ods_wait_until 5 eval '[ -n "$(row "$rid-n")" ] && [ -n "$(row "$rid")" ]' ||
    ods_t_fail "usage rows not written"
ods_expect_eq "$(row "$rid")" "mock-chat vllm 1 3 12 15 200" \
    "usage row of a stream (tokens from the upstream's usage event)"
ods_expect_eq "$(row "$rid-n")" "gpt-4o-mini vllm 0 3 4 7 200" \
    "usage row of a non-stream call (model as the client named it)"

# 5. Metrics.
m=$(curl -s "$P/metrics")
grep -q '^ai_requests_total{service="openai-proxy",model="mock-chat",status="success"}' <<<"$m" ||
    ods_t_fail "ai_requests_total missing"
grep -q '^ai_request_tokens_total{service="openai-proxy",model="mock-chat",type="completion"}' <<<"$m" ||
    ods_t_fail "ai_request_tokens_total missing"
ods_t_ok "ai_requests_total and ai_request_tokens_total exported"
# Registered by ods_llm_metrics_register() in the master.
grep -q '^ai_time_to_first_token_seconds_count{service="openai-proxy",model="mock-chat"}' <<<"$m" ||
    ods_t_fail "ai_time_to_first_token_seconds missing"
grep -q '^ai_backend_circuit_state{backend="vllm"} 0' <<<"$m" ||
    ods_t_fail "ai_backend_circuit_state of vllm missing or not closed"
grep -q '^ai_backend_failures_total{backend="vllm",reason="status_5xx"}' <<<"$m" ||
    ods_t_fail "ai_backend_failures_total missing"
ods_t_ok "time to first token, circuit state and backend failures exported"

# 6. /health reports each backend.
ods_get "$P/health"
ods_expect_code 200 "/health"
ods_expect_json '[.backends[].name] | join(",")' "vllm,ollama" "/health backends"

ods_t_end
