#!/usr/bin/env bash
# tests/integration/agent-templates.sh — agent templates (issue 18, the
# reference agent-api's /agent/templates) through nginx, with MariaDB,
# Redis and the fake OpenAI upstream (tests/llm/mock-openai.js, which
# keeps the last request's body):
#   - /api/v1/agent/templates reaches the agent templates (the pool's path
#     alias), not the prompt templates its /api/v1/agent prefix would
#     give; /api/v1/templates and /api/templates still do, and
#     /api/v1/agent/templatesX is neither;
#   - CRUD, validation (400 naming the field: agent_type, an unknown
#     tool, max_iterations, an unknown field; 413 over 64 KiB), RBAC (a
#     viewer reads, may not save: 403);
#   - the owner check: another user's private template is 404 to read,
#     run, change or delete; a public one is read and run by anyone and
#     changed or deleted only by its creator (403) or an admin; lists hold
#     one's own and the public ones;
#   - a run with template_id: the template's system prompt and tools
#     (a built-in and a stored tool) reach the model, its agent_type and
#     max_iterations are the defaults, the body overrides them.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"
. "$here/../llm/lib.sh"

ods_t_begin agent-templates
ods_t_require node jq curl
export JWT_SECRET_KEY=agent-templates-secret-0123456789abcdefgh
export ODS_RATE_LIMIT_DEFAULT=100000/minute ODS_RATE_LIMIT_BURST=100000
ods_stack_init
ODS_T_CLEANUP='ods_llm_mocks_stop'
ods_llm_mock_start MOCK mock
export VLLM_CHAT_URL=$MOCK LLM_BACKEND=vllm DEFAULT_CHAT_MODEL=mock-chat
export ODS_LLM_RETRIES=0 ODS_LLM_BREAKER_FAILURES=1000
export HTTP_TOOL_ALLOWED_DOMAINS='example.org'
ods_stack_up
ctl=$(ods_bin odsctl)
tok() { "$ctl" token --sub "$1" --roles "$2" --ttl 600; }
alice=(-H "Authorization: Bearer $(tok alice user)")
bob=(-H "Authorization: Bearer $(tok bob user)")
admin=(-H "Authorization: Bearer $(tok root admin)")
viewer=(-H "Authorization: Bearer $(tok vera viewer)")
J=(-H 'Content-Type: application/json')
T=$ODS_AGENT_URL/api/v1/agent/templates
A=$ODS_AGENT_URL/api/v1/agent
last() { curl -s -m 5 "$MOCK/_mock/stats" | jq -r '.last_body | fromjson | '"$1"; }

# A stored tool for the templates to name.
ods_req POST "$A/tools" "${alice[@]}" "${J[@]}" \
    -d '{"name":"tpl_echo","description":"echoes","parameters":{"type":"object","properties":{"x":{"type":"string"}}},"config":{"url":"https://example.org/echo"}}'
ods_expect_code 201 "a stored tool"

# ------------------------------------------------------------- CRUD
tpl='{"name":"calc helper","description":"sums","agent_type":"function_calling","system_prompt":"You are TPL-SYSTEM-7, terse.","tools":["calculator","tpl_echo"],"max_iterations":4}'
ods_req POST "$T" "${alice[@]}" "${J[@]}" -d "$tpl"
ods_expect_code 201 "POST /api/v1/agent/templates"
id=$(ods_json .data.template_id)
[[ $id =~ ^atpl-[0-9a-f]{8}$ ]] || ods_t_fail "template_id: $id"
ods_t_ok "template_id $id"
ods_expect_json '[.data.name, .data.agent_type, (.data.tools | join(",")), .data.max_iterations, .data.visibility, .data.created_by] | @json' \
    '["calc helper","function_calling","calculator,tpl_echo",4,"private","alice"]' "its fields as saved"
ods_get "$T/$id" "${alice[@]}"
ods_expect_code 200 "GET /api/v1/agent/templates/{id}"
ods_expect_json .data.system_prompt 'You are TPL-SYSTEM-7, terse.' "its system prompt"
ods_req PUT "$T/$id" "${alice[@]}" "${J[@]}" -d '{"description":"sums things","max_tokens":5000}'
ods_expect_code 200 "PUT by its owner"
ods_expect_json '[.data.description, .data.max_tokens, .data.name] | @json' '["sums things",5000,"calc helper"]' "the fields given changed, the others kept"
ods_get "$T?page=1&page_size=10" "${alice[@]}"
ods_expect_code 200 "GET /api/v1/agent/templates"
ods_expect_json "[.data.templates[].template_id] | index(\"$id\") != null" true "the list holds it"
ods_expect_json '.data.total >= 1 and .data.page == 1 and .data.page_size == 10' true "paged"

# ------------------------------------------------------------- validation
bad() {	# BODY FIELD WHAT
	ods_req POST "$T" "${alice[@]}" "${J[@]}" -d "$1"
	ods_expect_code 400 "$3"
	ods_expect_json .field "$2" "$3: the field is named"
}
bad '{"name":"x","agent_type":"nope"}' agent_type "an unknown agent_type"
bad '{"name":"x","tools":["calculator","no_such_tool"]}' tools "an unknown tool"
bad '{"name":"x","tools":"calculator"}' tools "tools not an array"
bad '{"name":"x","max_iterations":0}' max_iterations "max_iterations 0"
bad '{"name":"x","max_iterations":21}' max_iterations "max_iterations 21"
bad '{"name":"x","max_iterations":"5"}' max_iterations "max_iterations a string"
bad '{"name":"x","visibility":"everyone"}' visibility "a bad visibility"
bad '{"name":"x","model":"no-such-model"}' model "a model nobody serves"
bad '{"name":"x","owner":"bob"}' owner "an unknown field"
bad '{"description":"no name"}' name "no name"
ods_req PUT "$T/$id" "${alice[@]}" "${J[@]}" -d '{"tools":["nope_tool"]}'
ods_expect_code 400 "PUT with an unknown tool"
ods_req POST "$T" "${alice[@]}" "${J[@]}" -d "{\"name\":\"big\",\"system_prompt\":\"$(head -c 70000 /dev/zero | tr '\0' x)\"}"
ods_expect_code 413 "a body over 64 KiB"
ods_req POST "$T" "${alice[@]}" "${J[@]}" -d '[1'
ods_expect_code 400 "a body that is not JSON"

# ------------------------------------------------------------- RBAC, owners
ods_req POST "$T" "${viewer[@]}" "${J[@]}" -d '{"name":"v"}'
ods_expect_code 403 "a viewer may not save one"
ods_get "$T" "${viewer[@]}"
ods_expect_code 200 "a viewer may list"
ods_get "$T/$id" "${bob[@]}"
ods_expect_code 404 "another user's private template: 404"
ods_req PUT "$T/$id" "${bob[@]}" "${J[@]}" -d '{"description":"mine now"}'
ods_expect_code 404 "and 404 to change"
ods_req DELETE "$T/$id" "${bob[@]}"
ods_expect_code 404 "and 404 to delete"
ods_req POST "$A/run" "${bob[@]}" "${J[@]}" -d "{\"query\":\"What is 2+2?\",\"template_id\":\"$id\"}"
ods_expect_code 404 "and 404 to run"
ods_get "$T" "${bob[@]}"
ods_expect_json "[.data.templates[].template_id] | index(\"$id\")" null "and not in their list"
ods_req PUT "$T/$id" "${alice[@]}" "${J[@]}" -d '{"visibility":"public"}'
ods_expect_code 200 "made public"
ods_get "$T/$id" "${bob[@]}"
ods_expect_code 200 "another user reads a public one"
ods_get "$T" "${bob[@]}"
ods_expect_json "[.data.templates[].template_id] | index(\"$id\") != null" true "and lists it"
ods_req PUT "$T/$id" "${bob[@]}" "${J[@]}" -d '{"description":"mine now"}'
ods_expect_code 403 "but may not change it"
ods_req DELETE "$T/$id" "${bob[@]}"
ods_expect_code 403 "nor delete it"
ods_req PUT "$T/$id" "${admin[@]}" "${J[@]}" -d '{"description":"by admin"}'
ods_expect_code 200 "an admin may change it"

# ------------------------------------------------------------- runs
curl -s -m 5 -X POST "$MOCK/_mock/reset-stats" >/dev/null
ods_req POST "$A/run" "${bob[@]}" "${J[@]}" -d "{\"query\":\"What is 6*7?\",\"template_id\":\"$id\"}"
ods_expect_code 200 "another user runs the public template"
ods_expect_json '[.data.success, .data.answer, .data.agent_type, .data.template_id] | @json' \
    "[true,\"The answer is 42.\",\"function_calling\",\"$id\"]" "its agent_type, the calculator's answer"
ods_expect_eq "$(last '.messages[0] | .role + ":" + .content')" 'system:You are TPL-SYSTEM-7, terse.' \
    "the template's system prompt reached the model"
ods_expect_eq "$(last '[.tools[].function.name] | join(",")')" 'calculator,tpl_echo' \
    "its tools (a built-in and a stored one) and only those reached the model"
ods_req POST "$A/run" "${alice[@]}" "${J[@]}" -d "{\"query\":\"What is 6*7?\",\"template_id\":\"$id\",\"agent_type\":\"react\",\"max_iterations\":3}"
ods_expect_code 200 "a run overriding agent_type"
ods_expect_json '[.data.success, .data.agent_type] | @json' '[true,"react"]' "the body's agent_type wins"
ods_expect_eq "$(last '.messages[0].content | startswith("You are TPL-SYSTEM-7, terse.") and contains("Action Input:")')" true \
    "react: the template's system prompt, then the tools and the format"
ods_expect_eq "$(last 'has("tools")')" false "react sends no tools array"
stream=$(curl -sN -m 30 "${alice[@]}" "${J[@]}" -d "{\"query\":\"What is 5*5?\",\"template_id\":\"$id\"}" "$A/run-stream")
ods_expect_eq "$(printf '%s\n' "$stream" | grep '^data: ' | tail -n1 | sed 's/^data: //' | jq -r '[.type, .answer] | join(",")')" \
    'end,The answer is 25.' "run-stream takes template_id too"
ods_expect_eq "$(last '.messages[0].content')" 'You are TPL-SYSTEM-7, terse.' "and its system prompt"
ods_req POST "$A/run" "${alice[@]}" "${J[@]}" -d '{"query":"x","template_id":"atpl-00000000"}'
ods_expect_code 404 "an unknown template_id"
ods_req POST "$A/run" "${alice[@]}" "${J[@]}" -d "{\"template_id\":\"$id\"}"
ods_expect_code 400 "a template does not make the query optional"
ods_req POST "$ODS_AGENT_URL/api/agent/run" "${alice[@]}" "${J[@]}" -d "{\"query\":\"What is 1+2?\",\"template_id\":\"$id\"}"
ods_expect_json .data.answer 'The answer is 3.' "/api/agent/run too"

# ------------------------------------------------------------- routing
ods_get "$ODS_AGENT_URL/api/agent/templates/$id" "${alice[@]}"
ods_expect_json .data.template_id "$id" "/api/agent/templates/{id}: the same template"
ods_get "$ODS_AGENT_URL/api/v1/agent/agent/templates/$id" "${alice[@]}"
ods_expect_json .data.template_id "$id" "/api/v1/agent/agent/templates/{id}: the same"
ods_req POST "$ODS_AGENT_URL/api/v1/templates" "${admin[@]}" "${J[@]}" -d '{"name":"atpl_prompt_one","template":"Hello {{ who }}"}'
ods_expect_code 201 "POST /api/v1/templates: a prompt template"
for u in /api/v1/templates /api/templates; do
	ods_get "$ODS_AGENT_URL$u" "${admin[@]}"
	ods_expect_json '[.data.templates[].name] | index("atpl_prompt_one") != null' true "GET $u: the prompt templates"
	ods_get "$ODS_AGENT_URL$u/atpl_prompt_one" "${admin[@]}"
	ods_expect_json .data.template 'Hello {{ who }}' "GET $u/{name}: one prompt template"
done
ods_get "$T" "${admin[@]}"
ods_expect_json '[.data.templates[].name] | index("atpl_prompt_one")' null "GET /api/v1/agent/templates: not the prompt templates"
ods_get "${T}X" "${admin[@]}"
ods_expect_code 404 "/api/v1/agent/templatesX is no alias"

# ------------------------------------------------------------- delete
ods_req DELETE "$T/$id" "${alice[@]}"
ods_expect_code 200 "DELETE by its owner"
ods_get "$T/$id" "${alice[@]}"
ods_expect_code 404 "gone"
ods_req DELETE "$T/$id" "${alice[@]}"
ods_expect_code 404 "DELETE twice"

ods_t_end
