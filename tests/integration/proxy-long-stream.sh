#!/usr/bin/env bash
# tests/integration/proxy-long-stream.sh — --request-timeout counts from
# the last progress, not from the start (ods_worker_progress): with a
# 3 s deadline a 4 s stream that keeps moving arrives whole and its worker
# is not killed; an upstream that never answers gets a 504 OpenAI error
# before the deadline, and one that falls silent mid-stream gets an error
# event in OpenAI's stream convention, and a stream request answered with
# JSON that trickles in gets a 502/504 in time -- no worker is killed; a
# stream sent to the path with a trailing slash is not buffered by nginx.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"
. "$here/../llm/lib.sh"

ods_t_begin proxy-long-stream
ods_t_require node jq
ods_stack_init
ods_stack_backends
ODS_T_CLEANUP='ods_llm_mocks_stop'
ods_llm_mock_start MOCK mock --pace-ms 100 --chunks 40
export AUTH_MODE=false ODS_RATE_LIMIT_ENABLED=false
export VLLM_CHAT_URL=$MOCK LLM_BACKEND=vllm
ODS_PROXY_WORKERS=2 ODS_PROXY_THREADS=4 ods_pool_start proxy --request-timeout 3
ods_stack_nginx_start
ods_wait_http "$ODS_PROXY_URL/healthz" 200 20 || ods_t_fail "proxy not live"
URL=$ODS_PROXY_URL/v1/chat/completions
workers=$(ods_pool_workers proxy | sort)
now_ms() { echo $(($(date +%s%N) / 1000000)); }
body='{"model":"mock-chat","stream":true,"messages":[{"role":"user","content":"hi"}]}'
stream() {	# -> OUT (the SSE body), DT (ms)
	local t0
	t0=$(now_ms)
	OUT=$(curl -sN -m 30 -H 'Content-Type: application/json' -d "$body" "$URL")
	DT=$(($(now_ms) - t0))
}
not_killed() {	# MSG
	grep -q '"request_timeout"' "$ODS_STACK_DIR/log/proxy.log" &&
	    ods_t_fail "$1: the master killed a worker for request_timeout"
	ods_expect_eq "$(ods_pool_workers proxy | sort)" "$workers" "$1: same workers"
}

# 1. A stream twice as long as the deadline, moving all the time.
stream
ods_expect_eq "$(grep -c '^data: {' <<<"$OUT")" 40 "40 events of a 4 s stream"
ods_expect_eq "$(grep -c '^data: \[DONE\]' <<<"$OUT")" 1 "the stream ends with [DONE]"
grep -q '"error"' <<<"$OUT" && ods_t_fail "an error event in a moving stream"
[ "$DT" -ge 3500 ] || ods_t_fail "the stream took $DT ms, want about 4000"
ods_t_ok "the stream lasted $DT ms with --request-timeout 3"
not_killed "long stream"

# 2. An upstream that never answers: a clean 504 before the deadline.
curl -sf -X POST -d '{"mode":"hang"}' "$MOCK/_mock/mode" >/dev/null
t0=$(now_ms)
ods_req POST "$URL" -m 30 -H 'Content-Type: application/json' -d "$body"
dt=$(($(now_ms) - t0))
ods_expect_openai_error 504 "an upstream that never answers"
[ "$dt" -lt 3000 ] || ods_t_fail "the 504 came after $dt ms, past the deadline"
ods_t_ok "the 504 came after $dt ms, before the 3 s deadline"
not_killed "hung upstream"

# 3. An upstream that falls silent after three events: an error event.
curl -sf -X POST -d '{"mode":"stall"}' "$MOCK/_mock/mode" >/dev/null
stream
ods_expect_eq "$(grep -c '^data: {"id"' <<<"$OUT")" 3 "the three events before the silence"
grep -q '^data: {"error":{' <<<"$OUT" ||
    ods_t_fail "no error event after the silence: $OUT"
ods_t_ok "an error event after the silence ($DT ms)"
[ "$DT" -lt 5000 ] || ods_t_fail "the stalled stream ended after $DT ms"
not_killed "stalled stream"
# 4. A stream request answered with JSON that trickles in (no progress for
#    our client): an OpenAI error before the deadline, not a kill.
curl -sf -X POST -d '{"mode":"dribble","pace_ms":200}' "$MOCK/_mock/mode" >/dev/null
t0=$(now_ms)
ods_req POST "$URL" -m 30 -H 'Content-Type: application/json' -d "$body"
dt=$(($(now_ms) - t0))
case $HTTP_CODE in 502 | 504) ;; *) ods_t_fail "a trickling JSON answer gave HTTP $HTTP_CODE" ;; esac
ods_expect_openai_error "$HTTP_CODE" "a trickling JSON answer to a stream request"
[ "$dt" -lt 3000 ] || ods_t_fail "the error came after $dt ms, past the deadline"
ods_t_ok "the error came after $dt ms, before the 3 s deadline"
not_killed "trickling JSON answer"
curl -sf -X POST -d '{"mode":"ok"}' "$MOCK/_mock/mode" >/dev/null

# 5. The same stream with a trailing slash (the router accepts it): nginx
#    must not buffer it either, so the first event comes at once.
for path in /v1/chat/completions /v1/chat/completions/ /v1/completions/; do
	b=$body
	[ "$path" = /v1/completions/ ] &&
	    b='{"model":"mock-chat","stream":true,"prompt":"hi"}'
	t0=$(now_ms)
	ms=$(curl -sN -m 30 -H 'Content-Type: application/json' -d "$b" \
	    "$ODS_PROXY_URL$path" | {
		while IFS= read -r line; do
			case $line in data:*) break ;; esac
		done
		echo $(($(now_ms) - t0))
		cat >/dev/null
	})
	[ "$ms" -lt 1500 ] ||
	    ods_t_fail "$path: the first event of a 4 s stream came after $ms ms (buffered)"
	ods_t_ok "$path: first event after $ms ms (not buffered)"
done
ods_t_end
