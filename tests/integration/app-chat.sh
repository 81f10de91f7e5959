#!/usr/bin/env bash
# tests/integration/app-chat.sh — a published app answering through nginx
# (MariaDB, Redis, the fake OpenAI upstream tests/llm/mock-openai.js):
#   - POST /apps/{id}/chat with a key of the app: the app's model, its
#     prompt template filled from "inputs" (a missing variable is a 400
#     naming it), its knowledge base's passages and its settings reach the
#     model, whatever the caller asks; the conversation continues with
#     its history; it is the app's (404 on /conversations and on /chat for
#     the app's owner, 404 for another caller of the app);
#   - stream:true: frames paced as the model sends them;
#   - the owner tries a draft with a token; its keys only once published;
#     a key works on its app only (403 on another app, on /chat, on the
#     proxy's /v1), the key's rpm is enforced (429);
#   - /apps/{id}/v1/chat/completions with the official openai SDK
#     (tests/llm/sdk-app.js) and with curl: OpenAI's shapes and errors;
#   - the app's statistics come from these calls (api_usage rows).
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"
. "$here/../llm/lib.sh"

ods_t_begin app-chat
ods_t_require node npm jq
export JWT_SECRET_KEY=app-chat-secret-0123456789abcdefghijklmn
export ODS_RATE_LIMIT_DEFAULT=100000/minute ODS_RATE_LIMIT_BURST=100000
export ODS_INGEST_SYNC_MS=20000
ods_stack_init
ODS_T_CLEANUP='ods_llm_mocks_stop'
pace=120
ods_llm_mock_start MOCK mock --pace-ms "$pace" --chunks 8
export VLLM_CHAT_URL=$MOCK LLM_BACKEND=vllm DEFAULT_CHAT_MODEL=mock-chat
export ODS_LLM_RETRIES=0 ODS_LLM_BREAKER_FAILURES=1000
ods_stack_up
ctl=$(ods_bin odsctl)
tok() { "$ctl" token --sub "$1" --roles "$2" --ttl 600; }
alice=(-H "Authorization: Bearer $(tok alice ai_developer)")
bob=(-H "Authorization: Bearer $(tok bob ai_developer)")
admin=(-H "Authorization: Bearer $(tok root admin)")
J=(-H 'Content-Type: application/json')
A=$ODS_AGENT_URL/api/v1
last_body() { curl -s -m 5 "$MOCK/_mock/stats" | jq -c .last_body | jq -r .; }
now_ms() { echo $((${EPOCHREALTIME/./} / 1000)); }

# --------------------------------------------- alice's app and its parts
ods_req POST "$A/knowledge-bases" "${alice[@]}" "${J[@]}" -d '{"name":"handbook"}'
ods_expect_code 201 "a knowledge base"
kb=$(ods_json .data.knowledge_base_id)
ods_req POST "$A/documents/upload" "${alice[@]}" "${J[@]}" -d "{\"content\":\"Backups run nightly at 02:00 and are kept for thirty-five days in the vault.\",\"file_name\":\"backup.txt\",\"knowledge_base_id\":\"$kb\"}"
ods_expect_code 201 "a document in it"
ods_req POST "$A/prompts" "${alice[@]}" "${J[@]}" -d '{"name":"support-voice","content":"You support {{product}}. Answer in a {{tone}} tone.","variables":[{"name":"product","type":"string","required":true},{"name":"tone","type":"string","default":"calm"}]}'
ods_expect_code 201 "a prompt template"
tpl=$(ods_json .data.template_id)
ods_req POST "$A/apps" "${alice[@]}" "${J[@]}" -d "{\"name\":\"Helpdesk\",\"model\":\"mock-chat\",\"prompt_template_id\":\"$tpl\",\"knowledge_base_ids\":[\"$kb\"],\"settings\":{\"temperature\":0.25,\"max_tokens\":300,\"rate_limit_rpm\":1000}}"
ods_expect_code 201 "the app"
app=$(ods_json .data.app_id)
ods_req POST "$A/apps" "${alice[@]}" "${J[@]}" -d '{"name":"Other","model":"mock-chat"}'
other=$(ods_json .data.app_id)
ods_req POST "$A/apps/$app/keys" "${alice[@]}" "${J[@]}" -d '{"name":"site"}'
ods_expect_code 201 "a key of the app"
key=$(ods_json .data.api_key)
K=(-H "Authorization: Bearer $key")
ods_req POST "$A/apps/$app/keys" "${alice[@]}" "${J[@]}" -d '{"name":"slow","rpm":2}'
slow=$(ods_json .data.api_key)
ods_req POST "$A/apps/$other/publish" "${alice[@]}"
ods_req POST "$A/apps/$other/keys" "${alice[@]}" "${J[@]}" -d '{"name":"o"}'
okey=$(ods_json .data.api_key)
ods_req POST "$A/api-keys" "${admin[@]}" "${J[@]}" -d '{"name":"plain"}'
plain=$(ods_json .data.api_key)

# A draft: its owner may try it, its keys may not.
ods_req POST "$A/apps/$app/chat" "${alice[@]}" "${J[@]}" -d '{"message":"hi","inputs":{"product":"ODS"}}'
ods_expect_code 200 "the owner tries the draft with a token"
ods_req POST "$A/apps/$app/chat" "${K[@]}" "${J[@]}" -d '{"message":"hi","inputs":{"product":"ODS"}}'
ods_expect_error_envelope 403 app_not_published "a key of a draft"
ods_req POST "$A/apps/$app/chat" "${bob[@]}" "${J[@]}" -d '{"message":"hi"}'
ods_expect_code 404 "another user's app"
ods_req POST "$A/apps/$app/publish" "${alice[@]}"
ods_expect_code 200 "publish"

# --------------------------------------------- the web shape with a key
ods_req POST "$A/apps/$app/chat" "${K[@]}" "${J[@]}" \
    -d '{"message":"How long are backups kept?","inputs":{"product":"ODS"},"user":"carol","model":"gpt-4o","temperature":1.9}'
ods_expect_code 200 "the app answers its key"
ods_expect_json .data.reply 'Hello from mock.' "the model's reply"
ods_expect_json .data.model mock-chat "the app's model, not the caller's"
ods_expect_json '.data.sources | length >= 1' true "grounded in the app's knowledge base"
conv=$(ods_json .data.conversation_id)
sent=$(last_body)
ods_expect_eq "$(jq -r .model <<<"$sent")" mock-chat "the model the upstream was asked for"
ods_expect_eq "$(jq -r .temperature <<<"$sent")" 0.25 "the app's temperature"
ods_expect_eq "$(jq -r .max_tokens <<<"$sent")" 300 "the app's max_tokens"
sys=$(jq -r '[.messages[] | select(.role == "system") | .content] | join("\n")' <<<"$sent")
grep -q 'You support ODS. Answer in a calm tone.' <<<"$sys" ||
    ods_t_fail "the template was not filled into the system prompt: $sys"
grep -q 'thirty-five days' <<<"$(jq -r '[.messages[].content] | join("\n")' <<<"$sent")" ||
    ods_t_fail "the knowledge base's passage did not reach the model"
ods_t_ok "template filled, passage sent"

ods_req POST "$A/apps/$app/chat" "${K[@]}" "${J[@]}" \
    -d "{\"message\":\"And where?\",\"conversation_id\":\"$conv\",\"inputs\":{\"product\":\"ODS\"},\"user\":\"carol\"}"
ods_expect_code 200 "a second turn"
ods_expect_eq "$(last_body | jq -c '[.messages[] | select(.role != "system") | .content]' | jq -c '.[0:1] + .[-2:]')" \
    '["How long are backups kept?","Hello from mock.","And where?"]' "the history reaches the model"
ods_req POST "$A/apps/$app/chat" "${K[@]}" "${J[@]}" \
    -d "{\"message\":\"x\",\"conversation_id\":\"$conv\",\"inputs\":{\"product\":\"ODS\"},\"user\":\"dave\"}"
ods_expect_code 404 "another caller of the app cannot continue carol's conversation"
ods_get "$A/conversations/$conv" "${alice[@]}"
ods_expect_code 404 "the app's conversations are not the owner's own"
ods_req POST "$A/chat" "${alice[@]}" "${J[@]}" -d "{\"message\":\"x\",\"conversation_id\":\"$conv\"}"
ods_expect_code 404 "nor continued on /chat"
ods_req POST "$A/apps/$app/chat" "${K[@]}" "${J[@]}" -d '{"message":"hi","inputs":{"tone":"dry"}}'
ods_expect_code 400 "a required variable missing"
ods_expect_json '.message | test("product")' true "the 400 names it"
ods_req POST "$A/apps/$app/chat" "${K[@]}" "${J[@]}" -d '{"message":"hi","inputs":"ODS"}'
ods_expect_code 400 "inputs not an object"
ods_req POST "$A/apps/$app/chat" "${K[@]}" "${J[@]}" -d '{"inputs":{"product":"ODS"}}'
ods_expect_code 400 "no message"

# Paced frames through nginx.
t0=$(now_ms)
curl -sN -m 20 -X POST "$A/apps/$app/chat" "${K[@]}" "${J[@]}" \
    -d '{"message":"stream it","stream":true,"inputs":{"product":"ODS"}}' |
    while IFS= read -r line; do
	    [ -n "$line" ] && printf '%s %s\n' "$(now_ms)" "$line"
    done >"$ODS_STACK_DIR/frames"
first=$(grep -m1 '"content":"[^"]' "$ODS_STACK_DIR/frames" | cut -d' ' -f1)
last=$(grep '"content":"[^"]' "$ODS_STACK_DIR/frames" | tail -1 | cut -d' ' -f1)
n=$(grep -c '"content":"[^"]' "$ODS_STACK_DIR/frames")
[ "$n" -ge 4 ] || ods_t_fail "$n content frames"
[ $((last - first)) -ge $(((n - 2) * pace)) ] ||
    ods_t_fail "frames not paced: $n over $((last - first)) ms"
grep -q '"message_id"' "$ODS_STACK_DIR/frames" || ods_t_fail "no final frame"
tail -1 "$ODS_STACK_DIR/frames" | grep -q 'data: \[DONE\]' || ods_t_fail "no [DONE]"
ods_t_ok "app stream: $n frames over $((last - first)) ms, first after $((first - t0)) ms"

# The key's scope and rate.
ods_req POST "$A/apps/$other/chat" "${K[@]}" "${J[@]}" -d '{"message":"hi"}'
ods_expect_error_envelope 403 app_key_scope "the key on another app"
ods_req POST "$A/chat" "${K[@]}" "${J[@]}" -d '{"message":"hi"}'
ods_expect_code 403 "the key on /chat"
ods_req POST "$ODS_PROXY_URL/v1/chat/completions" "${K[@]}" "${J[@]}" \
    -d '{"model":"mock-chat","messages":[{"role":"user","content":"hi"}]}'
ods_expect_code 403 "the key on the proxy's /v1"
ods_req POST "$A/apps/$app/chat" -H "Authorization: Bearer $plain" "${J[@]}" -d '{"message":"hi"}'
ods_expect_code 403 "a /v1 key on the app"
for i in 1 2; do
	ods_req POST "$A/apps/$app/chat" -H "Authorization: Bearer $slow" "${J[@]}" \
	    -d '{"message":"hi","inputs":{"product":"ODS"}}'
	ods_expect_code 200 "the slow key, call $i"
done
ods_req POST "$A/apps/$app/chat" -H "Authorization: Bearer $slow" "${J[@]}" \
    -d '{"message":"hi","inputs":{"product":"ODS"}}'
ods_expect_code 429 "the slow key's rpm 2 reached"

# --------------------------------------------- OpenAI's shape
O=$A/apps/$app/v1/chat/completions
ods_req POST "$O" "${K[@]}" "${J[@]}" -d '{"model":"x","messages":[{"role":"user","content":"hi"}],"inputs":{"product":"ODS"}}'
ods_expect_code 200 "OpenAI-shaped call"
ods_expect_json '[.object, .model, .choices[0].message.content]' \
    "$(jq -n '["chat.completion","mock-chat","Hello from mock."]')" "a chat.completion"
ods_req POST "$O" "${K[@]}" "${J[@]}" -d '{"model":"x","messages":[]}'
ods_expect_code 400 "no messages"
ods_expect_json '.error.type' invalid_request_error "OpenAI's error shape"
ods_req POST "$O" "${K[@]}" "${J[@]}" -d '{"model":"x","messages":[{"role":"user","content":"hi"}],"max_tokens":0,"inputs":{"product":"ODS"}}'
ods_expect_json '.error.param' max_tokens "max_tokens 0 named"
ods_req POST "$ODS_AGENT_URL/api/apps/$app/v1/chat/completions" "${K[@]}" "${J[@]}" \
    -d '{"model":"x","messages":[{"role":"user","content":"hi"}],"inputs":{"product":"ODS"}}'
ods_expect_code 200 "the flat /api prefix"

ods_llm_sdk_install
out=$(AGENT_URL=$ODS_AGENT_URL APP_ID=$app APP_KEY=$key OTHER_APP_KEY=$okey \
    PLAIN_KEY=$plain PACE_MS=$pace node "$ODS_LLM_DIR/sdk-app.js" 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/  sdk: /'
[ "$rc" = 0 ] || ods_t_fail "the openai SDK could not use the app"
ods_t_ok "openai@$ODS_OPENAI_SDK_VERSION calls the app ($(grep -c '^ok' <<<"$out") checks)"

# --------------------------------------------- statistics from the calls
ok=0
for _ in $(seq 50); do
	ods_get "$A/apps/$app" "${alice[@]}"
	if [ "$(ods_json '.data.statistics.total_calls')" = 10 ]; then
		ok=1
		break
	fi
	sleep 0.2
done
[ "$ok" = 1 ] || ods_t_fail "statistics: $(ods_json .data.statistics)"
# The calls that reached the model: the draft, carol's two, the stream,
# the slow key's two, two curl and two SDK calls of OpenAI's shape
# (refusals by the auth gate and 400s before the model are not calls).
ods_expect_json '.data.statistics.total_users' 5 "callers: alice, carol, each key, sdk-user"
ods_expect_json '.data.statistics.success_rate' 1 "every call answered"
ods_expect_json '.data.statistics.avg_response_time_ms >= 0' true "mean latency"
n=$(ods_db_sql "$MYSQL_DATABASE" -N -e "SELECT COUNT(*) FROM api_usage WHERE app_id = '$app' AND endpoint = '/apps/chat' AND end_user = 'carol' AND status = 200")
ods_expect_eq "$n" 2 "carol's two calls in api_usage, with the app and her name"

ods_t_end
