#!/usr/bin/env bash
# tests/integration/prompts.sh — prompt templates end to end through nginx:
#   - /prompts on the Agent API: create (variables declared, or derived from
#     the content), read by id and by name, list with category and search,
#     a name taken twice is a 409, undeclared {{names}} a 400 naming them;
#   - every PUT that changes the content keeps the previous version
#     (GET versions shows the old content) and bumps version;
#   - render: defaults filled in, missing required variables all named in
#     one 400, a value of the wrong type a 400, an old version on demand,
#     output past 1 MiB a 413, usage_count counted;
#   - owners: another user gets 404 on a private template (read, render,
#     change, delete), reads and renders a public one but cannot change
#     it; a plain "user" has no prompt_template permission (403);
#   - the proxy's /api/v1/templates (port 8000) reads and writes the same
#     rows: made on the Agent API, seen by name on the proxy and the other
#     way round, also after both pools were restarted; 404 40401, 400 40001;
#   - /v1/chat/completions with prompt_template + context (§5): the filled
#     template replaces the first system message or goes in front, the
#     two fields are not sent upstream (the mock upstream's last body);
#   - soft delete frees the name;
# every answer checked against openapi/openapi.yaml.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"
. "$here/../llm/lib.sh"

ods_t_begin prompts
export JWT_SECRET_KEY=prompts-secret-0123456789abcdefghijklmn
export ODS_RATE_LIMIT_DEFAULT=100000/minute ODS_RATE_LIMIT_BURST=100000
ods_stack_init
ods_stack_backends
ODS_T_CLEANUP='ods_llm_mocks_stop'
ods_llm_mock_start MOCK mock
export VLLM_CHAT_URL=$MOCK LLM_BACKEND=auto
ods_stack_pools
ods_stack_nginx_start
ods_stack_wait_live || ods_t_fail "the stack did not become live"
ctl=$(ods_bin odsctl)
tok() { "$ctl" token --sub "$1" --roles "$2" --ttl 600 || ods_t_fail "odsctl token"; }
alice=(-H "Authorization: Bearer $(tok alice ai_developer)")
bob=(-H "Authorization: Bearer $(tok bob ai_developer)")
plain=(-H "Authorization: Bearer $(tok carol user)")
admin=(-H "Authorization: Bearer $(tok root admin)")
J=(-H 'Content-Type: application/json')
A=$ODS_AGENT_URL/api/v1
P=$ODS_PROXY_URL/api/v1

# --------------------------------------------------------------- create
ods_req POST "$A/prompts" "${alice[@]}" "${J[@]}" -d '{
  "name": "support-answer", "category": "support",
  "description": "answer a customer",
  "content": "You answer as {{ persona }} in {{lang}}.\nQuestion: {{question}}\nMax {{ max_words }} words. Literal: \\{{not_a_var}}",
  "variables": [
    {"name": "persona", "type": "string", "default": "a helpful agent"},
    {"name": "lang", "type": "string", "default": "English"},
    {"name": "question", "type": "string", "description": "what they asked"},
    {"name": "max_words", "type": "number", "default": 100}
  ]}'
ods_expect_code 201 "create a template with typed variables"
id=$(ods_json .data.template_id)
[[ $id =~ ^tpl-[0-9a-f]{12}$ ]] || ods_t_fail "template id '$id'"
ods_expect_json '.data.version' 1 "version 1"
ods_expect_json '[.data.variables[] | select(.name == "question") | .required] | .[0]' true "no default: required"
ods_expect_json '[.data.variables[] | select(.name == "lang") | .required] | .[0]' false "a default: optional"

ods_req POST "$A/prompts" "${alice[@]}" "${J[@]}" -d '{"name":"derived","content":"Summarise {{text}} for {{ audience }}"}'
ods_expect_code 201 "without variables they come from the content"
ods_expect_json '[.data.variables[] | "\(.name):\(.type):\(.required)"] | join(",")' \
    "text:string:true,audience:string:true" "required strings, in order"
derived=$(ods_json .data.template_id)

ods_req POST "$A/prompts" "${alice[@]}" "${J[@]}" -d '{"name":"bad","content":"{{a}} {{b}} {{c}}","variables":[{"name":"a"}]}'
ods_expect_error_envelope 400 validation_error "undeclared variables"
ods_expect_json '.field' variables "the field is named"
ods_expect_json '.message | test("b, c")' true "both undeclared names are listed"
ods_req POST "$A/prompts" "${alice[@]}" "${J[@]}" -d '{"name":"bad","content":"open {{name"}'
ods_expect_code 400 "unterminated braces"
ods_expect_json '.message | test("unterminated")' true "said so"
ods_req POST "$A/prompts" "${alice[@]}" "${J[@]}" -d '{"name":"bad","content":"x","variables":[{"name":"x","type":"date"}]}'
ods_expect_code 400 "an unknown variable type"
ods_req POST "$A/prompts" "${alice[@]}" "${J[@]}" -d '{"content":"x"}'
ods_expect_code 400 "a name is required"
ods_expect_json '.field' name "named"
ods_req POST "$A/prompts" "${alice[@]}" "${J[@]}" -d '{"name":"x","content":42}'
ods_expect_code 400 "content must be a string"
ods_req POST "$A/prompts" "${bob[@]}" "${J[@]}" -d '{"name":"support-answer","content":"mine"}'
ods_expect_code 409 "a live name is taken once, across users"
ods_req POST "$A/prompts" "${plain[@]}" "${J[@]}" -d '{"name":"p","content":"x"}'
ods_expect_code 403 "a plain user has no prompt_template:create"
ods_get "$A/prompts" "${plain[@]}"
ods_expect_code 403 "nor prompt_template:read"

# ----------------------------------------------------------------- read
ods_get "$A/prompts/$id" "${alice[@]}"
ods_expect_code 200 "read by id"
ods_expect_json '.data.name' support-answer "its name"
ods_get "$ODS_AGENT_URL/api/v1/agent/prompts/support-answer" "${alice[@]}"
ods_expect_json '.data.template_id' "$id" "read by name, canonical prefix"
ods_get "$ODS_AGENT_URL/api/prompts/$id" "${alice[@]}"
ods_expect_code 200 "the short prefix"
ods_get "$A/prompts?category=support&page=1&page_size=5" "${alice[@]}"
ods_expect_json '[.data.prompts[].template_id] == ["'"$id"'"] and .data.page_size == 5' true "category filter, paged"
ods_get "$A/prompts?search=Summ" "${alice[@]}"
ods_expect_json '.data.total' 0 "search looks at name and description only"
ods_get "$A/prompts?search=deriv" "${alice[@]}"
ods_expect_json '[.data.prompts[].template_id] | join(",")' "$derived" "search by a part of the name"
ods_get "$A/prompts" "${bob[@]}"
ods_expect_json '.data.total' 0 "bob sees none of alice's private templates"
for path in "prompts/$id" "prompts/support-answer" "prompts/$id/versions"; do
	ods_get "$A/$path" "${bob[@]}"
	ods_expect_error_envelope 404 not_found "another user: GET $path"
done
ods_req POST "$A/prompts/$id/render" "${bob[@]}" "${J[@]}" -d '{"variables":{"question":"q"}}'
ods_expect_code 404 "another user cannot render a private template"
ods_req PUT "$A/prompts/$id" "${bob[@]}" "${J[@]}" -d '{"content":"stolen"}'
ods_expect_code 404 "nor change it"
ods_get "$A/prompts/$id" "${admin[@]}"
ods_expect_code 200 "admin sees every template"

# --------------------------------------------------------------- render
ods_req POST "$A/prompts/$id/render" "${alice[@]}" "${J[@]}" -d '{"variables":{"question":"Where is my order?"}}'
ods_expect_code 200 "render with defaults"
ods_expect_json '.data.content' "You answer as a helpful agent in English.
Question: Where is my order?
Max 100 words. Literal: {{not_a_var}}" "defaults filled in, the escape kept literal"
ods_expect_json '.data.version' 1 "rendered version"
ods_expect_json '.data.variables_used.max_words' 100 "the values used"
ods_req POST "$A/prompts/$id/render" "${alice[@]}" "${J[@]}" -d '{"variables":{"question":"Hi","lang":"中文","max_words":20}}'
ods_expect_json '.data.content | split("\n")[0]' "You answer as a helpful agent in 中文." "UTF-8 values"
ods_req POST "$A/prompts/$derived/render" "${alice[@]}" "${J[@]}" -d '{"variables":{}}'
ods_expect_error_envelope 400 validation_error "missing required variables"
ods_expect_json '.message | test("text, audience")' true "all of them are named"
ods_req POST "$A/prompts/$id/render" "${alice[@]}" "${J[@]}" -d '{"variables":{"question":"q","max_words":"many"}}'
ods_expect_code 400 "a string for a number"
ods_expect_json '.message | test("max_words")' true "the variable is named"
ods_req POST "$A/prompts/$id/render" "${alice[@]}" "${J[@]}" -d '{"variables":"nope"}'
ods_expect_code 400 "variables must be an object"
ods_req POST "$A/prompts/$id/render" "${alice[@]}" "${J[@]}" -d '{"variables":{"question":"q"},"version":7}'
ods_expect_code 404 "no such version"
ods_req POST "$A/prompts" "${alice[@]}" "${J[@]}" -d '{"name":"triple","content":"{{x}}{{x}}{{x}}"}'
triple=$(ods_json .data.template_id)
big=$(head -c 400000 /dev/zero | tr '\0' 'x')
printf '{"variables":{"x":"%s"}}' "$big" >"$ODS_STACK_DIR/big.json"
ods_req POST "$A/prompts/$triple/render" "${alice[@]}" "${J[@]}" --data-binary @"$ODS_STACK_DIR/big.json"
ods_expect_error_envelope 413 payload_too_large "a rendering past 1 MiB (a 400 kB body)"
ods_get "$A/prompts/$id" "${alice[@]}"
ods_expect_json '.data.usage_count' 2 "two renderings counted"

# ------------------------------------------------------------- versions
ods_req PUT "$A/prompts/$id" "${alice[@]}" "${J[@]}" -d '{"content":"v2: {{question}} in {{lang}}"}'
ods_expect_code 200 "new content"
ods_expect_json '.data.version' 2 "version 2"
ods_expect_json '[.data.variables[].name] | length' 4 "the declaration is kept"
ods_req PUT "$A/prompts/$id" "${alice[@]}" "${J[@]}" -d '{"content":"v3 {{ nobody }}"}'
ods_expect_code 400 "new content must be declared too"
ods_req PUT "$A/prompts/$id" "${alice[@]}" "${J[@]}" -d '{"is_public":true,"category":"shared"}'
ods_expect_code 200 "made public"
ods_expect_json '.data.version' 2 "no new version for the visibility"
ods_req PUT "$A/prompts/$id" "${alice[@]}" "${J[@]}" -d '{"content":"v3: {{q}}","variables":[{"name":"q","type":"string","default":"?"}]}'
ods_expect_json '.data.version' 3 "content and variables: version 3"
ods_get "$A/prompts/$id/versions" "${alice[@]}"
ods_expect_code 200 "versions"
ods_expect_json '[.data.versions[].version] | join(",")' "3,2,1" "newest first, current included"
ods_expect_json '.data.versions[2].content | startswith("You answer as {{ persona }}")' true "the first content is kept"
ods_expect_json '.data.versions[1].content' 'v2: {{question}} in {{lang}}' "and the second"
ods_get "$A/prompts/$id/versions?page=2&page_size=1" "${alice[@]}"
ods_expect_json '[.data.total, .total, (.data.versions | map(.version) | join(","))] | map(tostring) | join(" ")' "3 3 2" "versions are paged"
ods_req POST "$A/prompts/$id/render" "${alice[@]}" "${J[@]}" -d '{"variables":{"question":"old?"},"version":2}'
ods_expect_json '.data.content' 'v2: old? in English' "an old version renders with its own declaration"

# Concurrent updates of one template: each keeps its predecessor.
pids=()
for i in 1 2 3 4 5 6 7 8; do
	curl -s -m 20 -o /dev/null -w '%{http_code}\n' -X PUT "${alice[@]}" "${J[@]}" \
	    -d "{\"content\":\"take $i: {{text}} {{audience}}\"}" \
	    "$A/prompts/$derived" >>"$ODS_STACK_DIR/puts" 2>&1 &
	pids+=($!)
done
wait "${pids[@]}"	# only these: the stack's servers are children too
[ "$(sort -u "$ODS_STACK_DIR/puts")" = 200 ] || ods_t_fail "concurrent PUTs: $(sort "$ODS_STACK_DIR/puts" | uniq -c)"
ods_get "$A/prompts/$derived/versions?page_size=50" "${alice[@]}"
ods_expect_json '[.data.versions[].version] | join(",")' "9,8,7,6,5,4,3,2,1" "8 concurrent PUTs: 8 versions kept, in order"
ods_expect_json '[.data.versions[:8][].content] | unique | length' 8 "each with its own content"

# ------------------------------------------------------------ public
ods_get "$A/prompts/$id" "${bob[@]}"
ods_expect_code 200 "a public template is read by others"
ods_req POST "$A/prompts/$id/render" "${bob[@]}" "${J[@]}" -d '{}'
ods_expect_json '.data.content' 'v3: ?' "and rendered"
ods_req PUT "$A/prompts/$id" "${bob[@]}" "${J[@]}" -d '{"content":"mine now"}'
ods_expect_code 404 "but not changed"
ods_req DELETE "$A/prompts/$id" "${bob[@]}"
ods_expect_code 403 "ai_developer has no prompt_template:delete"

# -------------------------------------------------------------- proxy
ods_get "$P/templates/support-answer" "${alice[@]}"
ods_expect_code 200 "the Agent API's template, by name on the proxy"
ods_expect_json '.data.template' 'v3: {{q}}' "same content"
ods_expect_json '.data.template_id' "$id" "same row"
ods_get "$P/templates/derived" "${bob[@]}"
ods_expect_error_envelope 404 not_found "private on the proxy too"
ods_expect_json '.code' 40401 "the reference's code"
ods_req POST "$P/templates" "${bob[@]}" "${J[@]}" -d '{"name":"sql","template":"Write SQL for {{ question }} on {{table}}","description":"text to SQL"}'
ods_expect_code 201 "save a template on the proxy"
ods_req POST "$P/templates" "${bob[@]}" "${J[@]}" -d '{"name":"sql"}'
ods_expect_error_envelope 400 validation_error "a template without a template"
ods_expect_json '.code' 40001 "40001"
ods_expect_json '.field' template "named"
ods_req POST "$P/templates" "${bob[@]}" "${J[@]}" -d '{"name":"sql","template":"{{ oops"}'
ods_expect_code 400 "a bad template on the proxy"
ods_req POST "$P/templates" "${alice[@]}" "${J[@]}" -d '{"name":"sql","template":"hijack"}'
ods_expect_code 409 "another user's name"
ods_req POST "$P/templates" "${bob[@]}" "${J[@]}" -d '{"name":"sql","template":"Write SQL for {{ question }} on {{table}} in {{dialect}}"}'
ods_expect_code 200 "the owner's POST of a name is a new version"
ods_expect_json '.data.version' 2 "version 2"
ods_get "$P/templates" "${bob[@]}"
ods_expect_json '[.data.templates[].name] | sort | join(",")' "sql,support-answer" "bob's and the public one"
ods_get "$A/prompts/sql/versions" "${bob[@]}"
ods_expect_json '[.data.versions[].version] | join(",")' "2,1" "the proxy's versions on the Agent API"
ods_req POST "$A/prompts/sql/render" "${bob[@]}" "${J[@]}" -d '{"variables":{"question":"top users","table":"users","dialect":"MariaDB"}}'
ods_expect_json '.data.content' 'Write SQL for top users on users in MariaDB' "rendered on the Agent API"
ods_get "$P/templates/sql" "${plain[@]}"
ods_expect_code 403 "a plain user: no prompt_template:read on the proxy either"

# ---------------------------------------------- chat completions (§5)
last_upstream_body() { curl -s "$MOCK/_mock/stats" | jq -c '.last_body | fromjson'; }
ods_req POST "$ODS_PROXY_URL/v1/chat/completions" "${bob[@]}" "${J[@]}" -d '{
  "model":"mock-chat","messages":[{"role":"user","content":"go"}],
  "prompt_template":"sql","context":{"question":"top users","table":"users","dialect":"SQLite"}}'
ods_expect_code 200 "a chat completion with a prompt template"
ub=$(last_upstream_body)
[ "$(jq -r '.messages[0].role + ": " + .messages[0].content' <<<"$ub")" = \
    "system: Write SQL for top users on users in SQLite" ] || ods_t_fail "upstream got $ub"
[ "$(jq -c '[.messages[1].content, has("prompt_template"), has("context")]' <<<"$ub")" = '["go",false,false]' ] ||
    ods_t_fail "upstream got $ub"
ods_t_ok "the filled template went in front as the system message; prompt_template and context were not forwarded"
ods_req POST "$ODS_PROXY_URL/v1/chat/completions" "${bob[@]}" "${J[@]}" -d '{
  "model":"mock-chat","messages":[{"role":"system","content":"old"},{"role":"user","content":"go"}],
  "prompt_template":"support-answer"}'
ods_expect_code 200 "a public template, its defaults"
[ "$(last_upstream_body | jq -c '[.messages[] | .content]')" = '["v3: ?","go"]' ] ||
    ods_t_fail "upstream got $(last_upstream_body)"
ods_t_ok "the first system message is replaced"
ods_req POST "$ODS_PROXY_URL/v1/chat/completions" "${bob[@]}" "${J[@]}" -d '{
  "model":"mock-chat","messages":[{"role":"user","content":"go"}],"prompt_template":"sql","context":{"table":"t"}}'
ods_expect_openai_error 400 "missing template variables on /v1"
ods_expect_json '.error.message | test("question, dialect")' true "named"
ods_req POST "$ODS_PROXY_URL/v1/chat/completions" "${bob[@]}" "${J[@]}" -d '{
  "model":"mock-chat","messages":[{"role":"user","content":"go"}],"prompt_template":"derived"}'
ods_expect_openai_error 404 "another user's private template on /v1"

# nginx sends /api/v1/templates on the Agent (and Data) API servers to the
# agent pool: the same answer as the proxy's.
ods_get "$P/templates/sql" "${bob[@]}"
want=$(ods_json '.data | del(.updated_at)')
ods_get "$ODS_AGENT_URL/api/v1/templates/sql" "${bob[@]}"
ods_expect_json '.data | del(.updated_at)' "$want" "/api/v1/templates on the agent server agrees with the proxy"
ods_get "$ODS_DATA_URL/api/v1/templates/sql" "${bob[@]}"
ods_expect_json '.data.template' 'Write SQL for {{ question }} on {{table}} in {{dialect}}' "and on the data server"

# ------------------------------------------------------------ restart
ods_t_spec_validate
ods_pool_stop agent
ods_pool_stop proxy
ods_pool_start agent
ods_pool_start proxy
ods_stack_wait_live || ods_t_fail "the pools did not come back"
ods_get "$P/templates/support-answer" "${alice[@]}"
ods_expect_json '.data.version' 3 "after a restart: the proxy still sees it"
ods_get "$A/prompts/sql" "${bob[@]}"
ods_expect_json '.data.template' null "(the Agent API's shape)"
ods_expect_json '.data.content' 'Write SQL for {{ question }} on {{table}} in {{dialect}}' "and the Agent API the proxy's"

# ------------------------------------------------------------- delete
ods_req DELETE "$A/prompts/$id" "${admin[@]}"
ods_expect_code 200 "admin deletes"
ods_expect_json '.data.deleted' true "deleted"
ods_get "$A/prompts/$id" "${alice[@]}"
ods_expect_code 404 "gone"
ods_get "$P/templates/support-answer" "${alice[@]}"
ods_expect_code 404 "gone on the proxy too"
ods_req POST "$A/prompts" "${bob[@]}" "${J[@]}" -d '{"name":"support-answer","content":"reused"}'
ods_expect_code 201 "the name is free again"
n=$(ods_db_sql "$MYSQL_DATABASE" -e "SELECT COUNT(*) FROM prompt_template_versions WHERE template_id = '$id'")
[ "$n" = 2 ] || ods_t_fail "the deleted template's versions are kept ($n)"
ods_t_ok "a deleted template keeps its versions"

ods_t_spec_validate
ods_t_end
