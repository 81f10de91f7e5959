#!/usr/bin/env bash
# tests/bench/chat/run.sh — what /chat adds over calling the model through
# /v1 yourself, side by side in one run, 1 call in flight, against the same
# fake upstream (tests/llm/mock-openai.js) through the same nginx:
#   direct  POST /v1/chat/completions (nginx -> ods-openai-proxy -> mock)
#   chat    POST /api/v1/chat (nginx -> ods-agent-api -> mock), which also
#           creates the conversation, stores the user's message, loads the
#           history and stores the answer (MariaDB)
# Whole answers: the added latency, p50 and p90 (goal: <= 2 ms p50).
# Streams (stream:true): the added time to the first SSE frame (goal:
# <= 1 ms p50). Rows interleaved (direct, chat, direct, chat...) in every
# repetition; per-repetition p50s, then the medians and the differences.
# Settings: BENCH_REPS (5), BENCH_CALLS (200 per row).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../lib/stack.sh"
. "$here/../../lib/assert.sh"
. "$here/../../llm/lib.sh"

REPS=${BENCH_REPS:-5}
CALLS=${BENCH_CALLS:-200}
export ODS_ACCESS_LOG=off LOG_LEVEL=warn

for c in nginx node mariadbd redis-server; do
	ods_have "$c" || ods_die "$c is not installed (scripts/test installs it)"
done
ods_stack_init
trap 'ods_llm_mocks_stop; ods_stack_down' EXIT
trap 'exit 130' INT TERM
ods_llm_mock_start MOCK mock --pace-ms 20 --chunks 8
# Auth and limits are the same for both rows (none): what is measured is
# the conversation work, not a token check.
export AUTH_MODE=false ODS_RATE_LIMIT_ENABLED=false
export VLLM_CHAT_URL=$MOCK LLM_BACKEND=vllm DEFAULT_CHAT_MODEL=mock-chat
ods_stack_up

CLIENT=$here/client.js
DIRECT=$ODS_PROXY_URL/v1/chat/completions
CHAT=$ODS_AGENT_URL/api/v1/chat
MSG='What is the backup policy of the object store?'
direct_body() {
	jq -nc --arg m "$MSG" --argjson s "$1" \
	    '{model:"mock-chat", stream:$s, messages:[{role:"user", content:$m}]}' |
	    jq -c 'if .stream then . + {stream_options:{include_usage:true}} else . end'
}
chat_body() { jq -nc --arg m "$MSG" --argjson s "$1" '{message:$m, stream:$s}'; }

pct() {	# P: the P-th percentile of stdin
	sort -g | awk -v p="$1" '{ a[NR] = $1 } END { i = int(NR * p / 100 + 0.5); if (i < 1) i = 1; print a[i] }'
}
median() { pct 50; }

row() {	# URL BODY [stream] -> "p50 p90"
	local f=$ODS_STACK_DIR/bench.row
	node "$CLIENT" "$1" "$2" "$CALLS" "${3:-}" >"$f" ||
	    ods_die "calls to $1 failed"
	echo "$(pct 50 <"$f") $(pct 90 <"$f")"
}

# Warm both paths (connections, model lists, the pools' statements).
node "$CLIENT" "$DIRECT" "$(direct_body false)" 50 >/dev/null
node "$CLIENT" "$CHAT" "$(chat_body false)" 50 >/dev/null
node "$CLIENT" "$DIRECT" "$(direct_body true)" 20 stream >/dev/null
node "$CLIENT" "$CHAT" "$(chat_body true)" 20 stream >/dev/null

declare -A col
printf '%-4s %-7s %10s %10s\n' rep row p50_ms p90_ms
for rep in $(seq 1 "$REPS"); do
	for kind in whole stream; do
		s=false
		[ "$kind" = stream ] && s=true
		for r in direct chat; do
			if [ "$r" = direct ]; then
				read -r p50 p90 < <(row "$DIRECT" "$(direct_body $s)" \
				    "$([ $s = true ] && echo stream)")
			else
				read -r p50 p90 < <(row "$CHAT" "$(chat_body $s)" \
				    "$([ $s = true ] && echo stream)")
			fi
			col[$kind.$r.p50]+="$p50 "
			col[$kind.$r.p90]+="$p90 "
			col[$kind.add]+=""
			printf '%-4s %-7s %10s %10s\n' "$rep" "$kind.$r" "$p50" "$p90"
		done
		d=$(awk -v a="$p50" -v b="$(echo "${col[$kind.direct.p50]}" | awk '{ print $NF }')" \
		    'BEGIN { printf "%.3f", a - b }')
		col[$kind.diff]+="$d "
	done
done

m() { printf '%s\n' ${col[$1]} | median; }
echo
printf '%-7s %12s %12s %12s %12s %10s\n' kind direct_p50 chat_p50 added_p50 \
    added_p90 ratio
for kind in whole stream; do
	dp=$(m "$kind.direct.p50")
	cp=$(m "$kind.chat.p50")
	dq=$(m "$kind.direct.p90")
	cq=$(m "$kind.chat.p90")
	printf '%-7s %12s %12s %12s %12s %10s\n' "$kind" "$dp" "$cp" \
	    "$(m "$kind.diff")" "$(awk -v a="$cq" -v b="$dq" 'BEGIN { printf "%.3f", a - b }')" \
	    "$(awk -v a="$cp" -v b="$dp" 'BEGIN { printf "%.2f", a / b }')"
done
echo "(whole: time to the end of the answer; stream: time to the first" \
    "SSE frame; added = median over repetitions of chat p50 - direct p50;" \
    "goals: whole <= 2 ms, stream <= 1 ms)"
