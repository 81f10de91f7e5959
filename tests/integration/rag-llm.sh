#!/usr/bin/env bash
# tests/integration/rag-llm.sh — /rag/query with a chat model, through
# nginx, against a fake OpenAI upstream (tests/llm/mock-openai.js) as
# VLLM_CHAT_URL and DEFAULT_CHAT_MODEL:
#   - without stream: the model's reply (answer_mode llm, model, usage);
#     the model was sent the passages numbered [1]..[n];
#   - stream:true: text/event-stream whose content frames arrive as the
#     model writes them (a measured gap between the first and the last),
#     each with content and choices[0].delta.content, then a frame with
#     the sources, results and usage, then [DONE]; the same on the flat
#     /api/v1/rag/query;
#   - a model failing before its first token: a 502/503 JSON envelope
#     (stream or not); breaking mid-stream: an error frame, then [DONE];
#     the model's server down: 503;
#   - a client leaving mid-stream: the model's connection is closed within
#     1 s;
#   - mmr:true: two near-duplicate passages do not both take the top 2;
#   - ai_requests_total{service="agent-api"} and api_usage rows;
#   - without a chat model, stream:true still streams the extractive answer;
# every JSON answer checked against openapi/openapi.yaml.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"
. "$here/../llm/lib.sh"

ods_t_begin rag-llm
ods_t_require node jq
export JWT_SECRET_KEY=rag-llm-secret-0123456789abcdefghijklmn
export ODS_RATE_LIMIT_DEFAULT=100000/minute ODS_RATE_LIMIT_BURST=100000
export ODS_WORKER_WORKERS=1 ODS_WORKER_CONCURRENCY=2
ods_stack_init
ODS_T_CLEANUP='ods_llm_mocks_stop'
ods_llm_mock_start MOCK mock --pace-ms 150 --chunks 8
# One upstream, no retry, a breaker that never opens: each failure below
# is the one being tested.
export VLLM_CHAT_URL=$MOCK LLM_BACKEND=vllm DEFAULT_CHAT_MODEL=mock-chat
export ODS_LLM_RETRIES=0 ODS_LLM_BREAKER_FAILURES=1000
ods_stack_up
ctl=$(ods_bin odsctl)
alice=(-H "Authorization: Bearer $("$ctl" token --sub alice --roles user --ttl 600)")
J=(-H 'Content-Type: application/json')
A=$ODS_AGENT_URL/api/v1
t=$ODS_STACK_DIR/t
mkdir -p "$t"
now_ms() { echo $((${EPOCHREALTIME/./} / 1000)); }
mock_stats() { curl -s -m 5 "$MOCK/_mock/stats"; }
upstream_error() {	# WHAT: a 502 bad_gateway or 503 unavailable envelope
	case $HTTP_CODE in
	502) ods_expect_error_envelope 502 bad_gateway "$1" ;;
	503)	# the reference's code for a dependency down (§11.2)
		ods_expect_header Content-Type '^application/json' "$1"
		ods_expect_json '[.code, .error]' "$(jq -n '[50003, "unavailable"]')" "$1" ;;
	*) ods_t_fail "$1: HTTP $HTTP_CODE: $HTTP_BODY" ;;
	esac
}

# ------------------------------------------------------------ documents
ods_req POST "$A/knowledge-bases" "${alice[@]}" "${J[@]}" -d '{"name":"Ops"}'
ods_expect_code 201 "create a knowledge base"
kb=$(ods_json .data.knowledge_base_id)
up() {	# CONTENT FILE -> doc id
	ods_req POST "$A/documents/upload" "${alice[@]}" "${J[@]}" -d "$(jq -n \
	    --arg c "$1" --arg f "$2" --arg kb "$kb" \
	    '{content:$c, file_name:$f, title:$f, knowledge_base_id:$kb}')"
	ods_expect_code 201 "upload $2"
}
up "Database backups are kept for thirty days in the object store, encrypted with the backup key." keep.txt
dup1=$(ods_json .data.doc_id)
up "Database backups are kept for thirty days in the object store, and encrypted with the backup key." keep2.txt
dup2=$(ods_json .data.doc_id)
up "A restore drill of the database backups runs on the first Monday of each month." drill.txt
drill=$(ods_json .data.doc_id)
up "When the error rate passes five percent, the on-call engineer is paged." alerts.txt

# ------------------------------------------------------- not streamed
Q='how long are database backups kept in the object store'
curl -sf -X POST "$MOCK/_mock/reset-stats" >/dev/null
ods_req POST "$A/rag/query" "${alice[@]}" "${J[@]}" \
    -d "{\"question\":\"$Q\",\"knowledge_base_id\":\"$kb\",\"top_k\":3}"
ods_expect_code 200 "rag/query with a chat model"
ods_expect_json .data.answer 'Hello from mock.' "the answer is the model's"
ods_expect_json .data.answer_mode llm "answer_mode llm"
ods_expect_json .data.model mock-chat "the model is named"
ods_expect_json '.data.usage | .prompt_tokens > 0 and .completion_tokens == 4 and .total_tokens == .prompt_tokens + 4' \
    true "the model's usage"
ods_expect_json '.data.sources | length > 0' true "with sources"
sent=$(mock_stats | jq -r .last_body)
ods_expect_eq "$(jq -r '.stream' <<<"$sent")" false "a call without stream"
ods_expect_eq "$(jq -r '.model' <<<"$sent")" mock-chat "DEFAULT_CHAT_MODEL was asked"
sys=$(jq -r '.messages[0].content' <<<"$sent")
for i in 1 2 3; do
	grep -q "^\[$i\] " <<<"$sys" || ods_t_fail "passage [$i] is not numbered in: $sys"
done
grep -q '\[4\]' <<<"$sys" && ods_t_fail "four passages numbered for top_k 3"
grep -q 'thirty days' <<<"$sys" || ods_t_fail "the passages' text was not sent"
ods_expect_eq "$(jq -r '.messages[1].content' <<<"$sent")" "$Q" "the question is the user's message"
ods_t_ok "the model got the passages numbered [1]..[3] and the question"

# ------------------------------------------------------------- streamed
stream() {	# URL BODY -> $t/sse ("MS LINE" per line), $t/hdr
	curl -sN -m 30 -D "$t/hdr" "${alice[@]}" "${J[@]}" -d "$2" "$1" |
	    while IFS= read -r line; do
		[ -n "$line" ] && printf '%s %s\n' "$(now_ms)" "$line"
	    done >"$t/sse"
}
frames() { sed -n 's/^[0-9]* data: \({"content".*\)$/\1/p' "$t/sse"; }
check_stream() {	# WHAT
	local n first last
	grep -qi '^content-type: text/event-stream' "$t/hdr" ||
	    ods_t_fail "$1: not text/event-stream: $(cat "$t/hdr")"
	n=$(frames | wc -l)
	[ "$n" -ge 7 ] || ods_t_fail "$1: $n content frames: $(cat "$t/sse")"
	frames | jq -e 'select(.content != .choices[0].delta.content)' >/dev/null &&
	    ods_t_fail "$1: a frame whose content is not choices[0].delta.content"
	ods_expect_eq "$(frames | jq -j .content)" "tok1 tok2 tok3 tok4 tok5 tok6 tok7 " \
	    "$1: the frames carry the model's tokens in order"
	first=$(grep -m1 ' data: {"content"' "$t/sse" | cut -d' ' -f1)
	last=$(grep ' data: {"content"' "$t/sse" | tail -n1 | cut -d' ' -f1)
	[ $((last - first)) -ge 600 ] ||
	    ods_t_fail "$1: frames came $((last - first)) ms apart: buffered"
	ods_t_ok "$1: $n frames over $((last - first)) ms, as the model wrote them"
	ods_expect_eq "$(tail -n1 "$t/sse" | cut -d' ' -f2-)" 'data: [DONE]' "$1: ends with [DONE]"
	tail -n3 "$t/sse" | sed -n 's/^[0-9]* data: \({"answer_mode".*\)$/\1/p' >"$t/final"
	jq -e '.answer_mode == "llm" and .model == "mock-chat" and
	    (.sources | index("keep.txt") != null) and .retrieved_count == 3 and
	    (.results | length) == 3 and .usage.completion_tokens == 8 and
	    .usage.prompt_tokens > 0' "$t/final" >/dev/null ||
	    ods_t_fail "$1: the last frame: $(cat "$t/final")"
	ods_t_ok "$1: a last frame with the sources, results and usage"
}
body="{\"question\":\"$Q\",\"knowledge_base_id\":\"$kb\",\"top_k\":3,\"stream\":true}"
curl -sf -X POST "$MOCK/_mock/reset-stats" >/dev/null
stream "$A/rag/query" "$body"
check_stream "stream (flat path)"
sent=$(mock_stats | jq -r .last_body)
ods_expect_eq "$(jq -c '[.stream, .stream_options.include_usage]' <<<"$sent")" '[true,true]' \
    "the model was asked for a stream with its usage"
stream "$A/agent/rag/query" "$body"
check_stream "stream (canonical path)"

# -------------------------------------------------------------- failures
curl -sf -X POST -d '{"mode":"500"}' "$MOCK/_mock/mode" >/dev/null
ods_req POST "$A/rag/query" "${alice[@]}" "${J[@]}" -d "$body"
upstream_error "stream: the model fails before its first token"
ods_req POST "$A/rag/query" "${alice[@]}" "${J[@]}" -d "${body/true/false}"
upstream_error "no stream: the model fails"

curl -sf -X POST -d '{"mode":"midreset"}' "$MOCK/_mock/mode" >/dev/null
stream "$A/rag/query" "$body"
[ "$(frames | wc -l)" -ge 2 ] || ods_t_fail "no frame before the break: $(cat "$t/sse")"
tail -n2 "$t/sse" | head -n1 | grep -q ' data: {"error":{' ||
    ods_t_fail "no error frame after the break: $(cat "$t/sse")"
ods_expect_eq "$(tail -n1 "$t/sse" | cut -d' ' -f2-)" 'data: [DONE]' "the broken stream still ends with [DONE]"
grep -q '"answer_mode"' "$t/sse" && ods_t_fail "a broken stream sent the final frame"
ods_t_ok "the model breaking mid-stream: $(frames | wc -l) frames, an error frame, [DONE]"

# A client leaving mid-stream closes the model's connection.
curl -sf -X POST -d '{"mode":"ok","pace_ms":200,"chunks":100}' "$MOCK/_mock/mode" >/dev/null
before=$(mock_stats | jq .streams_aborted)
curl -sN -m 1.5 "${alice[@]}" "${J[@]}" -d "$body" "$A/rag/query" >"$t/cut" 2>/dev/null
cut_ms=$(now_ms)
[ "$(grep -c '^data: {"content"' "$t/cut")" -ge 2 ] ||
    ods_t_fail "the client left before two frames: $(cat "$t/cut")"
ods_wait_until 5 eval '[ "$(mock_stats | jq .streams_aborted)" -gt "$before" ]' ||
    ods_t_fail "the model's stream was never closed after the client left"
dt=$(($(mock_stats | jq .last_closed_at) - cut_ms))
[ "$dt" -lt 1000 ] || ods_t_fail "the model's stream was closed $dt ms after the client left"
ods_t_ok "the client left: the model's stream closed after $dt ms"
curl -sf -X POST -d '{"mode":"ok","pace_ms":150,"chunks":8}' "$MOCK/_mock/mode" >/dev/null

# ------------------------------------------------------------------ MMR
mq="{\"question\":\"$Q\",\"knowledge_base_id\":\"$kb\",\"top_k\":2,\"mode\":\"vector\""
ods_req POST "$A/retrieval/hybrid" "${alice[@]}" "${J[@]}" -d "$mq}"
ods_expect_json '[.data.results[].doc_id] | sort' "$(jq -n --arg a "$dup1" --arg b "$dup2" '[$a,$b] | sort')" \
    "without MMR the two near-duplicates take the top 2"
ods_req POST "$A/retrieval/hybrid" "${alice[@]}" "${J[@]}" -d "$mq,\"mmr\":true}"
ods_expect_code 200 "mmr:true"
ods_expect_json '.data.results | length' 2 "mmr: still top_k results"
ods_expect_json "[.data.results[].doc_id] | (index(\"$dup1\") != null and index(\"$dup2\") != null)" false \
    "mmr: the near-duplicates do not both take the top 2"
ods_expect_json ".data.results[0].doc_id == \"$dup1\" or .data.results[0].doc_id == \"$dup2\"" true \
    "mmr: the best passage stays first"
ods_req POST "$A/rag/query" "${alice[@]}" "${J[@]}" -d "$mq,\"mmr\":true,\"mmr_lambda\":1}"
ods_expect_json '[.data.results[].doc_id] | sort' "$(jq -n --arg a "$dup1" --arg b "$dup2" '[$a,$b] | sort')" \
    "mmr_lambda 1 is the relevance order"
ods_req POST "$A/rag/query" "${alice[@]}" "${J[@]}" -d "$mq,\"mmr\":true,\"mmr_lambda\":2}"
ods_expect_code 400 "mmr_lambda outside [0,1]"

# -------------------------------------------------------------- metrics
m=$(curl -s "$ODS_AGENT_URL/metrics")
grep -q '^ai_requests_total{service="agent-api",model="mock-chat",status="success"} ' <<<"$m" ||
    ods_t_fail "/metrics lacks ai_requests_total{service=\"agent-api\"...}: $(grep ai_requests <<<"$m")"
grep -q '^ai_requests_total{service="agent-api",model="mock-chat",status="error"} ' <<<"$m" ||
    ods_t_fail "/metrics lacks the agent's failed model calls"
ods_t_ok "ai_requests_total{service=\"agent-api\"} counts the agent's model calls"
sql() { ods_db_sql "$MYSQL_DATABASE" -e "$1"; }
rows() { sql "SELECT CONCAT(stream, ':', status) FROM api_usage WHERE service = 'agent-api' AND endpoint = '/rag/query' AND model = 'mock-chat' AND user_id = 'alice' AND completion_tokens > 0 ORDER BY id"; }
ods_wait_until 10 eval '[ "$(rows | grep -c "^1:200")" -ge 2 ]' ||
    ods_t_fail "api_usage: $(sql 'SELECT * FROM api_usage')"
rows | grep -q '^0:200$' || ods_t_fail "no api_usage row of the call without stream: $(rows)"
ods_t_ok "api_usage rows of the agent's model calls (stream and not): $(rows | wc -l)"

# ----------------------------------------------------- the model is down
ods_stop_pid "$MOCK_PID" TERM 5
ods_req POST "$A/rag/query" "${alice[@]}" "${J[@]}" -d "$body"
upstream_error "stream: the model's server is down"

# ------------------------------------------- no chat model: extractive
ods_pool_stop agent
unset VLLM_CHAT_URL DEFAULT_CHAT_MODEL
ods_pool_start agent
ods_wait_http "$ODS_AGENT_URL/api/v1/healthz" 200 20 || ods_t_fail "agent pool not back"
stream "$A/rag/query" "$body"
grep -qi '^content-type: text/event-stream' "$t/hdr" || ods_t_fail "extractive: not a stream"
ods_expect_eq "$(frames | jq -j .content | head -c 20)" "No chat model is con" "extractive: the answer in frames"
frames | jq -e 'select(.model != "extractive" or .content != .choices[0].delta.content)' >/dev/null &&
    ods_t_fail "extractive: a frame not shaped as a chunk"
grep -q '"answer_mode":"extractive"' "$t/sse" || ods_t_fail "extractive: no final frame"
ods_expect_eq "$(tail -n1 "$t/sse" | cut -d' ' -f2-)" 'data: [DONE]' "extractive: ends with [DONE]"

ods_t_spec_validate
ods_t_end
