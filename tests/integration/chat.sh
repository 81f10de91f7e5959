#!/usr/bin/env bash
# tests/integration/chat.sh — conversations and /chat through nginx, with
# MariaDB, Redis and a fake OpenAI upstream (tests/llm/mock-openai.js):
#   - three chat turns: the model receives the whole history (system
#     prompt first), both messages of each turn are stored with their
#     usage, the title is the first message (trimmed, "…" when cut) until
#     a PUT renames it;
#   - stream:true: content frames spread over time as the model paces them
#     (timing asserted), a last {message_id, usage} frame, [DONE]; the
#     answer stored complete;
#   - a client leaving mid-stream, and leaving while the model is silent:
#     the model's connection is closed within 1 s and the partial answer
#     is stored with status partial;
#   - another user gets 404 on every conversation route (user_id ignored
#     for them); an admin reads;
#   - validation 400s naming the field; the model failing: 502/503 JSON
#     with the user's message kept; the model down: 503;
#   - knowledge_base_id: sources in the answer, the passages sent;
#   - POST messages and usage; business/ai metrics and api_usage rows;
# every JSON answer checked against openapi/openapi.yaml.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"
. "$here/../llm/lib.sh"

ods_t_begin chat
ods_t_require node jq python3
export JWT_SECRET_KEY=chat-test-secret-0123456789abcdefghijklmn
export ODS_RATE_LIMIT_DEFAULT=100000/minute ODS_RATE_LIMIT_BURST=100000
export ODS_WORKER_WORKERS=1 ODS_WORKER_CONCURRENCY=2
ods_stack_init
ODS_T_CLEANUP='ods_llm_mocks_stop'
ods_llm_mock_start MOCK mock --pace-ms 150 --chunks 8
export VLLM_CHAT_URL=$MOCK LLM_BACKEND=vllm DEFAULT_CHAT_MODEL=mock-chat
export ODS_LLM_RETRIES=0 ODS_LLM_BREAKER_FAILURES=1000
ods_stack_up
ctl=$(ods_bin odsctl)
tok() { "$ctl" token --sub "$1" --roles "$2" --ttl 600; }
alice=(-H "Authorization: Bearer $(tok alice user)")
bob=(-H "Authorization: Bearer $(tok bob user)")
admin=(-H "Authorization: Bearer $(tok root admin)")
J=(-H 'Content-Type: application/json')
A=$ODS_AGENT_URL/api/v1
t=$ODS_STACK_DIR/t
mkdir -p "$t"
now_ms() { echo $((${EPOCHREALTIME/./} / 1000)); }
mock_stats() { curl -s -m 5 "$MOCK/_mock/stats"; }
mock_mode() { curl -sf -m 5 -X POST -d "$1" "$MOCK/_mock/mode" >/dev/null; }
chat() {	# WHO-ARRAY-NAME BODY
	local -n who=$1
	ods_req POST "$A/chat" "${who[@]}" "${J[@]}" -d "$2"
}

# ------------------------------------------------------ three chat turns
chat alice '{"message":"  What   is the\nbackup policy?  ","system_prompt":"You are terse."}'
ods_expect_code 200 "first turn"
ods_expect_json .data.reply 'Hello from mock.' "the model's reply"
ods_expect_json .data.content 'Hello from mock.' "content is the reply too"
ods_expect_json .data.model mock-chat "the model is named"
ods_expect_json '.data.usage.completion_tokens == 4 and .data.usage.prompt_tokens > 0' true "usage"
ods_expect_json '.data.message_id | test("^msg-[0-9a-f]{12}$")' true "message_id"
conv=$(ods_json .data.conversation_id)
[[ $conv =~ ^conv-[0-9a-f]{12}$ ]] || ods_t_fail "conversation_id: $conv"
chat alice "{\"message\":\"And the retention?\",\"conversation_id\":\"$conv\",\"temperature\":0.3,\"max_tokens\":50}"
ods_expect_code 200 "second turn"
chat alice "{\"message\":\"Thanks, one more\",\"conversation_id\":\"$conv\"}"
ods_expect_code 200 "third turn"
sent=$(mock_stats | jq -c .last_body | jq -r .)
ods_expect_eq "$(jq -c '[.messages[] | [.role, .content]]' <<<"$sent")" \
    '[["system","You are terse."],["user","  What   is the\nbackup policy?  "],["assistant","Hello from mock."],["user","And the retention?"],["assistant","Hello from mock."],["user","Thanks, one more"]]' \
    "the third turn sent the system prompt and the whole history in order"
ods_expect_eq "$(jq -c '[.stream, has("temperature"), has("max_tokens")]' <<<"$sent")" '[false,false,false]' \
    "options only when given"
ods_req GET "$A/conversations/$conv" "${alice[@]}"
ods_expect_code 200 "GET the conversation"
ods_expect_json .data.title 'What is the backup policy?' "the title is the first message, trimmed"
ods_expect_json .data.message_count 6 "message_count counts both sides of three turns"
ods_expect_json '[.data.messages[].role] | join(",")' user,assistant,user,assistant,user,assistant "messages in order"
ods_expect_json '[.data.messages[] | select(.role == "assistant") | .status] | unique | tojson' '["complete"]' "answers stored complete"
ods_expect_json '.data.total_tokens > 0 and .data.total_tokens == ([.data.messages[].total_tokens] | add)' true \
    "total_tokens is the messages' sum"
ods_expect_json .data.system_prompt 'You are terse.' "the system prompt is kept"

# Titles: cut on a character at 50, with "…"; a rename sticks.
long=$(printf 'é%.0s' $(seq 1 60))
chat alice "{\"message\":\"$long\"}"
ods_expect_code 200 "a long first message"
c2=$(ods_json .data.conversation_id)
ods_req GET "$A/conversations/$c2" "${alice[@]}"
ods_expect_json .data.title "$(printf 'é%.0s' $(seq 1 50))…" "a long title: 50 characters and …"
ods_req PUT "$A/conversations/$c2" "${alice[@]}" "${J[@]}" -d '{"title":"Renamed"}'
ods_expect_code 200 "rename"
ods_expect_json '[.data.title, .data.title_custom] | tojson' '["Renamed",true]' "renamed"
ods_req PUT "$A/conversations/$c2" "${alice[@]}" "${J[@]}" -d '{"title":""}'
ods_expect_code 400 "an empty title"

# The list: newest updated first, the list envelope.
ods_req GET "$A/conversations?page=1&page_size=10" "${alice[@]}"
ods_expect_code 200 "list"
ods_expect_json '[.data.conversations[].conversation_id] | tojson' "$(jq -nc --arg a "$c2" --arg b "$conv" '[$a,$b]')" \
    "newest updated first"
ods_expect_json '[.data.total, .total, .data.page_size] | tojson' '[2,2,10]' "page numbers"

# ----------------------------------------------------- messages, usage
ods_req POST "$A/conversations/$conv/messages" "${alice[@]}" "${J[@]}" \
    -d '{"role":"assistant","content":"saved by the web","model":"mock-chat","usage":{"prompt_tokens":7,"completion_tokens":5,"total_tokens":12}}'
ods_expect_code 201 "the web saves a message"
ods_expect_json '.data.message_id | test("^msg-")' true "its id"
ods_req POST "$A/conversations/$conv/messages" "${alice[@]}" "${J[@]}" -d '{"role":"robot","content":"x"}'
ods_expect_code 400 "a bad role"
ods_expect_json .field role "the field is named"
ods_req GET "$A/conversations/$conv/usage" "${alice[@]}"
ods_expect_code 200 "usage"
ods_expect_json .data.message_count 7 "usage counts the messages"
ods_req GET "$A/conversations/$conv/messages?limit=2" "${alice[@]}"
ods_expect_json '[(.data.messages | length), .data.total] | tojson' '[2,7]' "messages paged"

# ------------------------------------------------------------- streamed
stream() {	# BODY -> $t/sse ("MS LINE" per line), $t/hdr
	curl -sN -m 30 -D "$t/hdr" "${alice[@]}" "${J[@]}" -d "$1" "$A/chat" |
	    while IFS= read -r line; do
		[ -n "$line" ] && printf '%s %s\n' "$(now_ms)" "$line"
	    done >"$t/sse"
}
frames() { sed -n 's/^[0-9]* data: \({"content".*\)$/\1/p' "$t/sse"; }
stream "{\"message\":\"stream it\",\"conversation_id\":\"$conv\",\"stream\":true}"
grep -qi '^content-type: text/event-stream' "$t/hdr" || ods_t_fail "not text/event-stream: $(cat "$t/hdr")"
ods_expect_eq "$(frames | jq -j .content)" "tok1 tok2 tok3 tok4 tok5 tok6 tok7 " "the frames carry the tokens in order"
frames | jq -e 'select(.content != .choices[0].delta.content)' >/dev/null &&
    ods_t_fail "a frame whose content is not choices[0].delta.content"
first=$(grep -m1 ' data: {"content"' "$t/sse" | cut -d' ' -f1)
last=$(grep ' data: {"content"' "$t/sse" | tail -n1 | cut -d' ' -f1)
[ $((last - first)) -ge 700 ] || ods_t_fail "frames came $((last - first)) ms apart: buffered"
ods_t_ok "$(frames | wc -l) frames over $((last - first)) ms, as the model paced them"
ods_expect_eq "$(tail -n1 "$t/sse" | cut -d' ' -f2-)" 'data: [DONE]' "ends with [DONE]"
tail -n2 "$t/sse" | head -n1 | cut -d' ' -f2- | sed 's/^data: //' >"$t/final"
jq -e --arg c "$conv" '(.message_id | test("^msg-")) and .conversation_id == $c and
    .usage.completion_tokens == 8' "$t/final" >/dev/null || ods_t_fail "the last frame: $(cat "$t/final")"
mid=$(jq -r .message_id "$t/final")
ods_req GET "$A/conversations/$conv/messages?limit=1000" "${alice[@]}"
ods_expect_json "[.data.messages[] | select(.message_id == \"$mid\") | [.content, .status]][0] | tojson" \
    '["tok1 tok2 tok3 tok4 tok5 tok6 tok7 ","complete"]' "the streamed answer is stored complete"

# A client leaving mid-stream (the model writing, then silent).
leave() {	# WHAT MODE: the client leaves after 1.5 s
	local before cut_ms dt
	mock_mode "$2"
	before=$(mock_stats | jq .streams_aborted)
	curl -sN -m 1.5 "${alice[@]}" "${J[@]}" -d "{\"message\":\"$1\",\"conversation_id\":\"$conv\",\"stream\":true}" \
	    "$A/chat" >"$t/cut" 2>/dev/null
	cut_ms=$(now_ms)
	[ "$(grep -c '^data: {"content"' "$t/cut")" -ge 2 ] || ods_t_fail "$1: the client left before two frames: $(cat "$t/cut")"
	ods_wait_until 5 eval '[ "$(mock_stats | jq .streams_aborted)" -gt "$before" ]' ||
	    ods_t_fail "$1: the model's stream was never closed after the client left"
	dt=$(($(mock_stats | jq .last_closed_at) - cut_ms))
	[ "$dt" -lt 1000 ] || ods_t_fail "$1: the model's stream was closed $dt ms after the client left"
	ods_t_ok "$1: the model's stream closed $dt ms after the client left"
	ods_wait_until 5 eval "[ \"\$(curl -s ${alice[*]@Q} '$A/conversations/$conv/messages?limit=1000' |
	    jq -r '.data.messages[-1] | .role + \":\" + .status')\" = assistant:partial ]" ||
	    ods_t_fail "$1: no partial answer stored"
	ods_req GET "$A/conversations/$conv/messages?limit=1000" "${alice[@]}"
	ods_expect_json '.data.messages[-1].content | startswith("tok1 tok2 ")' true "$1: the partial answer holds what was sent"
}
leave "leave while it writes" '{"mode":"ok","pace_ms":200,"chunks":100}'
leave "leave while it is silent" '{"mode":"stall","pace_ms":100,"chunks":100}'
mock_mode '{"mode":"ok","pace_ms":150,"chunks":8}'

# ------------------------------------------------------------ isolation
for r in "GET $A/conversations/$conv" "PUT $A/conversations/$conv" "DELETE $A/conversations/$conv" \
    "GET $A/conversations/$conv/messages" "POST $A/conversations/$conv/messages" \
    "GET $A/conversations/$conv/usage" "GET $A/agent/conversations/$conv"; do
	ods_req ${r%% *} "${r#* }" "${bob[@]}" "${J[@]}" -d '{"title":"mine","role":"user","content":"x"}'
	ods_expect_code 404 "bob: $r"
done
chat bob "{\"message\":\"hi\",\"conversation_id\":\"$conv\"}"
ods_expect_code 404 "bob: /chat in alice's conversation"
ods_req POST "$A/conversations" "${bob[@]}" "${J[@]}" -d '{"title":"Bob'"'"'s"}'
ods_expect_code 201 "bob creates a conversation"
ods_expect_json '[.data.title, .data.title_custom, .data.message_count] | tojson' '["Bob'"'"'s",true,0]' "a titled conversation"
ods_req GET "$A/conversations?user_id=alice" "${bob[@]}"
ods_expect_json '[.data.total, (.data.conversations[].user_id)] | tojson' '[1,"bob"]' "user_id is ignored for bob"
ods_req GET "$A/conversations/$conv" "${admin[@]}"
ods_expect_code 200 "an admin reads alice's conversation"
ods_req GET "$A/conversations?user_id=alice" "${admin[@]}"
ods_expect_json '.data.total' 2 "an admin lists alice's with user_id"
ods_req DELETE "$A/conversations/$conv" "${admin[@]}"
ods_expect_code 404 "an admin does not delete alice's conversation"

# ------------------------------------------------------------ validation
bad() {	# BODY FIELD WHAT
	chat alice "$1"
	ods_expect_code 400 "$3"
	ods_expect_json .field "$2" "$3: names $2"
}
bad '{"model":"mock-chat"}' message "no message"
bad '{"message":""}' message "an empty message"
bad "{\"message\":\"$(head -c 10001 /dev/zero | tr '\0' x)\"}" message "a message of 10001 characters"
bad '{"message":"x","temperature":2.5}' temperature "temperature above 2"
bad '{"message":"x","temperature":-0.1}' temperature "temperature below 0"
bad '{"message":"x","max_tokens":0}' max_tokens "max_tokens 0"
bad '{"message":"x","max_tokens":32001}' max_tokens "max_tokens 32001"
bad '{"message":"x","stream":"yes"}' stream "stream not a boolean"
chat alice "{\"message\":\"$(head -c 10000 /dev/zero | tr '\0' x)\"}"
ods_expect_code 200 "a message of 10000 characters"
chat alice '{"message":"x","model":"no-such-model"}'
ods_expect_code 400 "a model no backend serves"

# ---------------------------------------------------------- grounded
ods_req POST "$A/knowledge-bases" "${alice[@]}" "${J[@]}" -d '{"name":"Ops"}'
ods_expect_code 201 "a knowledge base"
kb=$(ods_json .data.knowledge_base_id)
ods_req POST "$A/documents/upload" "${alice[@]}" "${J[@]}" -d "$(jq -nc --arg kb "$kb" \
    '{content:"Database backups are kept for thirty days in the object store.", file_name:"keep.txt", title:"keep.txt", knowledge_base_id:$kb}')"
ods_expect_code 201 "a document"
chat alice "{\"message\":\"how long are database backups kept\",\"knowledge_base_id\":\"$kb\"}"
ods_expect_code 200 "/chat with knowledge_base_id"
ods_expect_json '.data.sources[0] | [.index, .file_name] | tojson' '[1,"keep.txt"]' "the sources of the answer"
gc=$(ods_json .data.conversation_id)
sent=$(mock_stats | jq -r .last_body)
jq -r '.messages[0].content' <<<"$sent" | grep -q '^\[1\] .*thirty days' ||
    ods_t_fail "the passages were not sent numbered: $sent"
ods_expect_eq "$(jq -r '.messages[-1].content' <<<"$sent")" "how long are database backups kept" "the question is last"
ods_req GET "$A/conversations/$gc" "${alice[@]}"
ods_expect_json '[.data.knowledge_base_id, .data.messages[1].sources[0].file_name] | tojson' "$(jq -nc --arg kb "$kb" '[$kb,"keep.txt"]')" \
    "the conversation keeps its KB and the answer its sources"
chat bob "{\"message\":\"x\",\"knowledge_base_id\":\"$kb\"}"
ods_expect_code 404 "bob cannot ground in alice's KB"

# -------------------------------------------------------------- failures
mock_mode '{"mode":"500"}'
chat alice "{\"message\":\"will fail\",\"conversation_id\":\"$c2\"}"
case $HTTP_CODE in 502|503) ;; *) ods_t_fail "the model failing: HTTP $HTTP_CODE $HTTP_BODY" ;; esac
ods_expect_header Content-Type '^application/json' "the failure is JSON"
chat alice "{\"message\":\"will fail\",\"conversation_id\":\"$c2\",\"stream\":true}"
case $HTTP_CODE in 502|503) ;; *) ods_t_fail "stream: the model failing: HTTP $HTTP_CODE $HTTP_BODY" ;; esac
ods_req GET "$A/conversations/$c2" "${alice[@]}"
ods_expect_json '[.data.messages[-2:][] | [.role, .content]] | tojson' '[["user","will fail"],["user","will fail"]]' \
    "the user's messages are kept when the model fails"
mock_mode '{"mode":"midreset"}'
stream "{\"message\":\"break\",\"conversation_id\":\"$c2\",\"stream\":true}"
tail -n2 "$t/sse" | head -n1 | grep -q ' data: {"error":{' || ods_t_fail "no error frame after a break: $(cat "$t/sse")"
ods_expect_eq "$(tail -n1 "$t/sse" | cut -d' ' -f2-)" 'data: [DONE]' "a broken stream ends with [DONE]"
mock_mode '{"mode":"ok"}'

# ----------------------------------------------------- metrics, usage rows
m=$(curl -s "$ODS_AGENT_URL/metrics")
grep -q '^business_operations_total{operation="chat",status="success"} ' <<<"$m" ||
    ods_t_fail "no business_operations_total{operation=\"chat\"}: $(grep business_operations <<<"$m")"
grep -q '^ai_requests_total{service="agent-api",model="mock-chat",status="success"} ' <<<"$m" ||
    ods_t_fail "no ai_requests_total{service=\"agent-api\"}"
ods_t_ok "business and ai metrics of /chat"
sql() { ods_db_sql "$MYSQL_DATABASE" -e "$1"; }
rows() { sql "SELECT CONCAT(stream, ':', status) FROM api_usage WHERE service = 'agent-api' AND endpoint = '/chat' AND user_id = 'alice'"; }
ods_wait_until 10 eval '[ "$(rows | grep -c "^0:200")" -ge 4 ] && [ "$(rows | grep -c "^1:200")" -ge 1 ]' ||
    ods_t_fail "api_usage: $(rows | sort | uniq -c)"
ods_t_ok "api_usage rows of /chat: $(rows | wc -l)"

# ----------------------------------------------------------- delete, down
ods_req DELETE "$A/conversations/$c2" "${alice[@]}"
ods_expect_code 200 "delete"
ods_req GET "$A/conversations/$c2" "${alice[@]}"
ods_expect_code 404 "deleted"
ods_stop_pid "$MOCK_PID" TERM 5
chat alice '{"message":"anyone there"}'
ods_expect_code 503 "the model's server down"

ods_t_spec_validate
ods_t_end
