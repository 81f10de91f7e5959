#!/usr/bin/env bash
# tests/integration/apps.sh — apps and the keys scoped to them, through
# nginx:
#   - an app is created (defaults: chat, draft, 1.0.0), read with its
#     config, listed (filters type and status, paging), updated; bad input
#     is a 400 naming the field (a knowledge base of somebody else or that
#     does not exist, more than 8, a temperature out of 0..2, ...);
#     another user gets 404 on every app route; a viewer cannot create;
#   - publish sets status, published_at and the endpoint; unpublish goes
#     back to draft;
#   - a key created under the app (the secret shown once, rpm/tpm from the
#     app's settings) works on its app's ODS_AUTH_APP route
#     (/apps/{id}/info) and is refused (403) on another app's, on /v1/models
#     and /v1/chat/completions of the proxy (OpenAI-shaped), on
#     /knowledge-bases, /api-keys and /apps; a plain /v1 key is refused on
#     the app route; while the app is unpublished its key gets 403; a
#     revoked key gets 401; deleting the app revokes its keys;
#   - statistics come from api_usage rows with the app's id (written here
#     in SQL: the app's chat routes are not built yet), access_count and
#     api_key_count follow the calls and the keys;
# every answer checked against openapi/openapi.yaml.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"

ods_t_begin apps
export JWT_SECRET_KEY=apps-test-secret-0123456789abcdefghijklmn
export ODS_RATE_LIMIT_DEFAULT=100000/minute ODS_RATE_LIMIT_BURST=100000
ods_stack_init
ods_stack_up
ctl=$(ods_bin odsctl)
tok() { "$ctl" token --sub "$1" --roles "$2" --ttl 600 || ods_t_fail "odsctl token"; }
alice=(-H "Authorization: Bearer $(tok alice user)")
bob=(-H "Authorization: Bearer $(tok bob user)")
viewer=(-H "Authorization: Bearer $(tok vic viewer)")
admin=(-H "Authorization: Bearer $(tok root admin)")
J=(-H 'Content-Type: application/json')
A=$ODS_AGENT_URL/api/v1
P=$ODS_PROXY_URL
sql() { ods_db_sql "$MYSQL_DATABASE" -e "$1"; }
# jeq FILTER WANT MSG: jq FILTER of the last body equals the JSON WANT.
jeq() { ods_expect_json "($1) == ($2)" true "$3"; }

# ------------------------------------------------------------ knowledge
ods_req POST "$A/knowledge-bases" "${alice[@]}" "${J[@]}" -d '{"name":"Alice docs"}'
ods_expect_code 201 "alice's knowledge base"
kb=$(ods_json .data.knowledge_base_id)
ods_req POST "$A/knowledge-bases" "${bob[@]}" "${J[@]}" -d '{"name":"Bob docs"}'
ods_expect_code 201 "bob's knowledge base"
bobkb=$(ods_json .data.knowledge_base_id)

# ----------------------------------------------------------------- CRUD
ods_req POST "$A/apps" "${alice[@]}" "${J[@]}" -d '{"name":"Helpdesk","description":"answers tickets","tags":["support","faq"],"model":"mock-chat","knowledge_base_ids":["'"$kb"'"],"settings":{"temperature":0.3,"max_tokens":512,"system_prompt":"Be brief.","rate_limit_rpm":50,"rate_limit_tpm":9000},"workflow_id":"wf-later"}'
ods_expect_code 201 "create an app"
app=$(ods_json .data.app_id)
[[ $app =~ ^app-[0-9a-f]{12}$ ]] || ods_t_fail "app id '$app' is not app-<12hex>"
jeq '[.data.type, .data.status, .data.version]' '["chat","draft","1.0.0"]' "defaults: chat, draft, 1.0.0"
jeq '.data.config.knowledge_base_ids' '["'"$kb"'"]' "its knowledge base"
ods_expect_json '.data.config.settings.rate_limit_rpm' 50 "its settings"
ods_expect_json '.data.config.workflow_id' wf-later "the workflow id is kept"
jeq '.data.tags' '["support","faq"]' "its tags"

ods_req POST "$A/apps" "${alice[@]}" "${J[@]}" -d '{"description":"no name"}'
ods_expect_error_envelope 400 validation_error "an app needs a name"
ods_expect_json '.field' name "the field is named"
ods_req POST "$A/apps" "${alice[@]}" "${J[@]}" -d '{"name":"x","knowledge_base_ids":["'"$bobkb"'"]}'
ods_expect_code 400 "another user's knowledge base"
ods_expect_json '.field' knowledge_base_ids "the field is named"
ods_expect_json '.message | contains("'"$bobkb"'")' true "and the bad one"
ods_req POST "$A/apps" "${alice[@]}" "${J[@]}" -d '{"name":"x","knowledge_base_ids":["kb-000000000000"]}'
ods_expect_code 400 "a knowledge base that does not exist"
ods_req POST "$A/apps" "${alice[@]}" "${J[@]}" -d '{"name":"x","knowledge_base_ids":["a","b","c","d","e","f","g","h","i"]}'
ods_expect_code 400 "more than 8 knowledge bases"
ods_req POST "$A/apps" "${alice[@]}" "${J[@]}" -d '{"name":"x","settings":{"temperature":2.5}}'
ods_expect_code 400 "temperature above 2"
ods_expect_json '.field' settings.temperature "named settings.temperature"
ods_req POST "$A/apps" "${alice[@]}" "${J[@]}" -d '{"name":"x","settings":{"max_tokens":0}}'
ods_expect_code 400 "max_tokens below 1"
ods_req POST "$A/apps" "${alice[@]}" "${J[@]}" -d '{"name":"x","type":"spaceship"}'
ods_expect_code 400 "an unknown type"
ods_req POST "$A/apps" "${alice[@]}" "${J[@]}" -d '{"name":"x","prompt_template_id":"tpl-nope"}'
ods_expect_code 400 "a prompt template that does not exist"
ods_req POST "$A/apps" "${alice[@]}" "${J[@]}" -d '{"name":'
ods_expect_code 400 "broken JSON"
ods_req POST "$A/apps" "${alice[@]}" "${J[@]}" -d "{\"name\":\"$(head -c 70000 /dev/zero | tr '\0' a)\"}"
ods_expect_code 413 "a body over the route's cap"
ods_req POST "$A/apps" "${viewer[@]}" "${J[@]}" -d '{"name":"v"}'
ods_expect_code 403 "a viewer cannot create one"

ods_req POST "$A/apps" "${alice[@]}" "${J[@]}" -d '{"name":"Second","type":"agent"}'
ods_expect_code 201 "a second app"
app2=$(ods_json .data.app_id)
ods_get "$A/apps/$app" "${alice[@]}"
ods_expect_code 200 "read it back"
ods_expect_json '.data.config.settings.system_prompt' 'Be brief.' "with its config"
ods_expect_json '.data.statistics.total_calls' 0 "no calls yet"
ods_get "$A/apps?page=1&page_size=1" "${alice[@]}"
jeq '[.data.total, (.data.apps | length), .data.page_size]' '[2,1,1]' "paged"
ods_get "$A/apps?type=agent" "${alice[@]}"
jeq '[.data.apps[].app_id]' '["'"$app2"'"]' "filtered by type"
ods_get "$A/apps?status=bogus" "${alice[@]}"
ods_expect_code 400 "status must be draft or published"
ods_req PUT "$A/apps/$app" "${alice[@]}" "${J[@]}" -d '{"description":"answers tickets fast","settings":{"temperature":1.5},"tags":["support"]}'
ods_expect_code 200 "update"
jeq '[.data.description, .data.config.settings.temperature, .data.config.settings.max_tokens, .data.tags]' '["answers tickets fast",1.5,512,["support"]]' "merged: what is not sent stays"
ods_req PUT "$A/apps/$app" "${alice[@]}" "${J[@]}" -d '{"knowledge_base_ids":["'"$bobkb"'"]}'
ods_expect_code 400 "an update is checked as a create"

# Another user: 404 on every route; admin sees it.
for r in "GET $A/apps/$app" "PUT $A/apps/$app" "DELETE $A/apps/$app" \
    "POST $A/apps/$app/publish" "POST $A/apps/$app/unpublish" \
    "POST $A/apps/$app/keys" "GET $A/apps/$app/keys" \
    "DELETE $A/apps/$app/keys/ak_0000000000000000" "GET $A/apps/$app/info"; do
	ods_req ${r% *} "${r#* }" "${bob[@]}" "${J[@]}" -d '{"name":"k"}'
	ods_expect_code 404 "bob: $r"
done
ods_get "$A/apps" "${bob[@]}"
ods_expect_json '.data.total' 0 "bob has none"
ods_get "$A/apps/$app" "${admin[@]}"
ods_expect_code 200 "admin reads alice's app"

# --------------------------------------------------------------- publish
ods_req POST "$A/apps/$app/publish" "${alice[@]}"
ods_expect_code 200 "publish"
jeq '[.data.status, .data.endpoint, (.data.published_at != null)]' '["published","/api/v1/apps/'"$app"'/chat",true]' "published, with its endpoint"
ods_get "$A/apps?status=published" "${alice[@]}"
jeq '[.data.apps[].app_id]' '["'"$app"'"]' "filtered by status"

# ------------------------------------------------------------------ keys
ods_req POST "$A/apps/$app/keys" "${alice[@]}" "${J[@]}" -d '{"name":"widget"}'
ods_expect_code 201 "a key of the app"
key=$(ods_json .data.api_key)
kid=$(ods_json .data.key.key_id)
[[ $key =~ ^sk-ods- ]] || ods_t_fail "not an sk-ods- secret"
jeq '[.data.key.app_id, .data.key.rpm, .data.key.tpm]' '["'"$app"'",50,9000]' "scoped, limits from the app's settings"
ods_req POST "$A/apps/$app/keys" "${alice[@]}" "${J[@]}" -d '{"name":"fast","rpm":1000,"tpm":50000,"expires_in_days":30}'
jeq '[.data.key.rpm, .data.key.tpm, (.data.key.expires_at != null)]' '[1000,50000,true]' "its own limits and expiry"
key2=$(ods_json .data.api_key)
kid2=$(ods_json .data.key.key_id)
ods_req POST "$A/apps/$app/keys" "${alice[@]}" "${J[@]}" -d '{"rpm":3}'
ods_expect_code 400 "a key needs a name"
ods_req POST "$A/apps/$app/keys" "${alice[@]}" "${J[@]}" -d '{"name":"old","expires_at":1000}'
ods_expect_code 400 "expires_at in the past"
ods_get "$A/apps/$app/keys" "${alice[@]}"
jeq '[.data.total, ([.data.keys[].key_id] | sort)]' "[2,$(jq -cn --arg a "$kid" --arg b "$kid2" '[$a,$b] | sort')]" "the app's keys"
grep -qF "${key#sk-ods-}" "$HTTP_BODY_FILE" && ods_t_fail "a listing shows a secret"
ods_req POST "$A/apps/$app2/keys" "${alice[@]}" "${J[@]}" -d '{"name":"other"}'
key_other=$(ods_json .data.api_key)
ods_req POST "$A/api-keys" "${admin[@]}" "${J[@]}" -d '{"name":"plain v1"}'
ods_expect_code 201 "a plain /v1 key"
plain=$(ods_json .data.api_key)
K=(-H "Authorization: Bearer $key")

ods_get "$A/apps/$app/info" "${K[@]}"
ods_expect_code 200 "the app's key on its app's route"
jeq '[.data.app_id, .data.name, .data.status, .data.model]' '["'"$app"'","Helpdesk","published","mock-chat"]' "the public description"
ods_get "$ODS_AGENT_URL/api/v1/agent/apps/$app/info" "${K[@]}"
ods_expect_code 200 "also under /api/v1/agent"
ods_get "$A/apps/$app/info" "${alice[@]}"
ods_expect_code 200 "the owner's JWT too"
ods_get "$A/apps/$app2/info" "${K[@]}"
ods_expect_error_envelope 403 app_key_scope "refused on another app"
ods_get "$A/apps/$app/info" -H "Authorization: Bearer $key_other"
ods_expect_code 403 "another app's key refused on this one"
ods_get "$A/apps/$app/info" -H "Authorization: Bearer $plain"
ods_expect_code 403 "a plain /v1 key refused on the app route"
ods_get "$A/apps/$app" "${K[@]}"
ods_expect_code 403 "refused on /apps/{id}"
ods_get "$A/apps" "${K[@]}"
ods_expect_code 403 "refused on /apps"
ods_get "$A/knowledge-bases" "${K[@]}"
ods_expect_code 403 "refused on /knowledge-bases"
ods_get "$A/api-keys" "${K[@]}"
ods_expect_code 403 "refused on /api-keys"
ods_get "$P/v1/models" "${K[@]}"
ods_expect_openai_error 403 "refused on /v1/models"
ods_expect_json '.error.code' permission_denied "code permission_denied"
ods_req POST "$P/v1/chat/completions" "${K[@]}" "${J[@]}" -d '{"model":"mock-chat","messages":[{"role":"user","content":"hi"}]}'
ods_expect_openai_error 403 "refused on /v1/chat/completions"
ods_get "$P/v1/models" -H "Authorization: Bearer $plain"
ods_expect_code 200 "while a plain key lists models"

# Unpublished: the key is refused until the app is published again.
ods_req POST "$A/apps/$app/unpublish" "${alice[@]}"
ods_expect_code 200 "unpublish"
jeq '[.data.status, .data.endpoint]' '["draft",null]' "back to draft"
ods_get "$A/apps/$app/info" "${K[@]}"
ods_expect_error_envelope 403 app_not_published "an unpublished app refuses its keys"
ods_get "$A/apps/$app/info" "${alice[@]}"
ods_expect_code 200 "its owner can still try the draft"
ods_req POST "$A/apps/$app/publish" "${alice[@]}"
ods_get "$A/apps/$app/info" "${K[@]}"
ods_expect_code 200 "published again: the key works"

# Revoke: the key is refused; another app's key id is a 404 here.
ods_req DELETE "$A/apps/$app2/keys/$kid2" "${alice[@]}"
ods_expect_code 404 "a key is revoked only through its app"
ods_req DELETE "$A/apps/$app/keys/$kid2" "${alice[@]}"
ods_expect_code 200 "revoke"
ods_expect_json '.data.revoked' true "revoked"
ods_get "$A/apps/$app/info" -H "Authorization: Bearer $key2"
ods_expect_code 401 "a revoked key is refused"

# ------------------------------------------------------------ statistics
# Four calls of the app (one failed) by three callers, one of another app.
sql "INSERT INTO api_usage (request_id, key_id, user_id, service, endpoint,
	model, status, latency_ms, app_id, end_user) VALUES
	('apps-1', '$kid', 'alice', 'agent-api', '/apps/{id}/chat', 'mock-chat', 200, 100, '$app', 'eu-1'),
	('apps-2', '$kid', 'alice', 'agent-api', '/apps/{id}/chat', 'mock-chat', 200, 200, '$app', 'eu-1'),
	('apps-3', '$kid', 'alice', 'agent-api', '/apps/{id}/chat', 'mock-chat', 502, 300, '$app', NULL),
	('apps-4', NULL, 'carol', 'agent-api', '/apps/{id}/chat', 'mock-chat', 200, 400, '$app', NULL),
	('apps-5', NULL, 'carol', 'agent-api', '/apps/{id}/chat', 'mock-chat', 200, 999, '$app2', NULL)" ||
    ods_t_fail "insert usage rows"
ods_get "$A/apps/$app" "${alice[@]}"
jeq '.data.statistics' '{"total_calls":4,"total_users":3,"avg_response_time_ms":250,"success_rate":0.75}' "statistics from the app's api_usage rows"
ods_expect_json '.data.access_count' 5 "five accesses through /info"
ods_expect_json '(.data.last_accessed != null)' true "last_accessed set"
ods_expect_json '.data.api_key_count' 1 "one live key"

# --------------------------------------------------------------- delete
ods_req DELETE "$A/apps/$app" "${alice[@]}"
ods_expect_code 200 "delete"
ods_get "$A/apps/$app" "${alice[@]}"
ods_expect_code 404 "gone"
ods_get "$A/apps/$app/info" "${K[@]}"
ods_expect_code 401 "its keys were revoked with it"
[ "$(sql "SELECT deleted_at IS NOT NULL FROM apps WHERE app_id = '$app'")" = 1 ] ||
    ods_t_fail "the row is kept, deleted softly"
ods_t_ok "soft delete"

ods_t_spec_validate
ods_t_end
