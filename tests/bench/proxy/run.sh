#!/usr/bin/env bash
# tests/bench/proxy/run.sh — what the OpenAI proxy adds, side by side in one
# run, against the fake upstream (tests/llm/mock-openai.js):
#   direct  wrk -> the mock                      (POST /v1/chat/completions)
#   proxy   wrk -> nginx -> ods-openai-proxy -> the mock (same request)
# at 1 and BENCH_CONNS (64) requests in flight: p50, p99, RPS and the added
# latency (proxy - direct) per repetition, medians over BENCH_REPS.  Then
# streams (tests/llm/streams.js): added time to first token at 1 in
# flight, and BENCH_STREAMS (256) concurrent streams of 64 events paced
# 20 ms apart through the proxy with zero lost or merged events expected.
# Anchors (shared/reference/perf-anchors.md): LiteLLM adds 4.3 ms at 1 in
# flight; Bifrost 0.44-0.62 ms; targets here <= 0.3 ms p50, <= 1 ms p99.
#
# Settings: BENCH_REPS (3), BENCH_DURATION (8 s), BENCH_CONNS (64),
# BENCH_STREAMS (256), BENCH_PROXY_WORKERS (2), BENCH_PROXY_THREADS (160).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../lib/stack.sh"
. "$here/../../lib/assert.sh"
. "$here/../../llm/lib.sh"

REPS=${BENCH_REPS:-3}
DUR=${BENCH_DURATION:-8}
CONNS=${BENCH_CONNS:-64}
STREAMS=${BENCH_STREAMS:-256}
export ODS_NGINX_WORKERS=${ODS_NGINX_WORKERS:-2}
export ODS_ACCESS_LOG=off LOG_LEVEL=warn

for c in wrk nginx node mariadbd redis-server; do
	ods_have "$c" || ods_die "$c is not installed (scripts/test installs it)"
done
ods_stack_init
trap 'ods_llm_mocks_stop; ods_stack_down' EXIT
trap 'exit 130' INT TERM
ODS_STACK_MIGRATE=1
ods_stack_backends
ods_llm_mock_start MOCK mock --pace-ms 20
# Keys and limits have their own test (proxy-keys-limits.sh); here the
# load would trip the per-caller request limit.
export AUTH_MODE=false ODS_RATE_LIMIT_ENABLED=false
export VLLM_CHAT_URL=$MOCK LLM_BACKEND=vllm
ODS_PROXY_WORKERS=${BENCH_PROXY_WORKERS:-2} \
    ODS_PROXY_THREADS=${BENCH_PROXY_THREADS:-160} ods_pool_start proxy
ods_stack_nginx_start
ods_wait_http "$ODS_PROXY_URL/healthz" 200 20 || ods_die "proxy not live"

LUA=$here/chat.lua
DIRECT=$MOCK/v1/chat/completions
PROXY=$ODS_PROXY_URL/v1/chat/completions

run() {	# URL CONNS -> "p50 p99 rps"
	wrk -t 1 -c 1 -d 2s -s "$LUA" "$1" >/dev/null 2>&1 || true
	WRK_OUT=$(wrk -t "$([ "$2" -gt 1 ] && echo 2 || echo 1)" -c "$2" \
	    -d "${DUR}s" --timeout 10s --latency -s "$LUA" "$1" 2>&1) || true
	_ods_wrk_parse
	[ "$WRK_NON2XX" = 0 ] && [ "$WRK_SOCKERR" = 0 ] ||
	    ods_die "errors against $1: $WRK_OUT"
	echo "$WRK_P50_MS $WRK_P99_MS $WRK_RPS"
}

median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

declare -A col
for c in 1 "$CONNS"; do
	for r in $(seq 1 "$REPS"); do
		read -r dp50 dp99 drps <<<"$(run "$DIRECT" "$c")"
		read -r pp50 pp99 prps <<<"$(run "$PROXY" "$c")"
		col[$c,dp50]+="$dp50 "; col[$c,dp99]+="$dp99 "
		col[$c,pp50]+="$pp50 "; col[$c,pp99]+="$pp99 "
		col[$c,drps]+="$drps "; col[$c,prps]+="$prps "
		col[$c,a50]+="$(awk -v a="$pp50" -v b="$dp50" 'BEGIN{printf "%.3f", a-b}') "
		col[$c,a99]+="$(awk -v a="$pp99" -v b="$dp99" 'BEGIN{printf "%.3f", a-b}') "
		printf 'rep %d c=%-3s direct p50 %s p99 %s rps %s | proxy p50 %s p99 %s rps %s\n' \
		    "$r" "$c" "$dp50" "$dp99" "$drps" "$pp50" "$pp99" "$prps"
	done
done

m() { printf '%s\n' ${col[$1]} | median; }
echo
echo "non-streaming chat completion, medians of $REPS repetitions (ms, req/s)"
printf '%-6s %-10s %-10s %-10s %-10s %-12s %-12s %-9s %-9s\n' in-flight \
    direct-p50 direct-p99 proxy-p50 proxy-p99 added-p50 added-p99 \
    rps-direct rps-proxy
for c in 1 "$CONNS"; do
	printf '%-9s %-10s %-10s %-10s %-10s %-12s %-12s %-10s %-9s\n' "$c" \
	    "$(m "$c,dp50")" "$(m "$c,dp99")" "$(m "$c,pp50")" \
	    "$(m "$c,pp99")" "$(m "$c,a50")" "$(m "$c,a99")" \
	    "$(m "$c,drps")" "$(m "$c,prps")"
done

echo
echo "streams (64 events paced 20 ms unless noted)"
ods_llm_mock_mode "$MOCK" '{"pace_ms":1,"chunks":4}'
d=$(node "$ODS_LLM_DIR/streams.js" "$DIRECT" 1 200 4)
p=$(node "$ODS_LLM_DIR/streams.js" "$PROXY" 1 200 4)
echo "ttft c=1 direct: $d"
echo "ttft c=1 proxy:  $p"
awk -v d="$(jq -r .ttft_p50_ms <<<"$d")" -v p="$(jq -r .ttft_p50_ms <<<"$p")" \
    -v d9="$(jq -r .ttft_p99_ms <<<"$d")" -v p9="$(jq -r .ttft_p99_ms <<<"$p")" \
    'BEGIN { printf "added time to first token: p50 %.3f ms, p99 %.3f ms\n", p-d, p9-d9 }'
ods_llm_mock_mode "$MOCK" '{"pace_ms":20,"chunks":64}'
s=$(node "$ODS_LLM_DIR/streams.js" "$PROXY" "$STREAMS" 1 64)
echo "$STREAMS concurrent streams through the proxy: $s"
[ "$(jq -r .ok <<<"$s")" = "$STREAMS" ] ||
    ods_die "not every stream arrived whole: $s"
echo "all $STREAMS streams complete, in order, no merged or lost event"
