#!/usr/bin/env bash
# tests/integration/proxy-streams-256.sh — 256 SSE streams at once through
# nginx and one proxy pool (2 workers x 160 threads): each stream of 64
# events paced 20 ms by the fake upstream arrives whole, in order, every
# event parsed on its own (none merged, none lost), with no gap between
# events over 500 ms, and every upstream stream finished and closed.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"
. "$here/../llm/lib.sh"

ods_t_begin proxy-streams-256
ods_t_require node jq
ods_stack_init
ods_stack_backends
ODS_T_CLEANUP='ods_llm_mocks_stop'
ods_llm_mock_start MOCK mock --pace-ms 20 --chunks 64
# Keys and limits have their own test (proxy-keys-limits.sh); here the
# load would trip the per-caller request limit.
export AUTH_MODE=false ODS_RATE_LIMIT_ENABLED=false
export VLLM_CHAT_URL=$MOCK LLM_BACKEND=vllm LOG_LEVEL=warn
ODS_PROXY_WORKERS=2 ODS_PROXY_THREADS=160 ods_pool_start proxy
ods_stack_nginx_start
ods_wait_http "$ODS_PROXY_URL/healthz" 200 20 || ods_t_fail "proxy not live"
URL=$ODS_PROXY_URL/v1/chat/completions

out=$(node "$ODS_LLM_DIR/streams.js" "$URL" 256 1 64)
printf '  %s\n' "$out"
ods_expect_eq "$(jq -r .ok <<<"$out")" 256 "streams complete and in order"
ods_expect_eq "$(jq -r '.merged + .lost + .errors' <<<"$out")" 0 \
    "merged, lost or failed streams"
ods_expect_le "$(jq -r '.gap_max_ms | floor' <<<"$out")" 500 \
    "longest gap between two events (ms)"

# Every stream was a request of its own upstream-side: 256 finished there.
st=$(curl -s "$MOCK/_mock/stats")
ods_expect_eq "$(jq -r .streams_done <<<"$st")" 256 "streams finished upstream"
ods_expect_eq "$(jq -r .streams_open <<<"$st")" 0 "upstream streams left open"
ods_t_end
