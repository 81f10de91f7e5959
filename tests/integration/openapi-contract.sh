#!/usr/bin/env bash
# tests/integration/openapi-contract.sh — every operation of
# openapi/openapi.yaml answered at least once through nginx, on the server
# that serves it, and every answer valid against the spec (status
# documented, body matching the operation's schema): successes, the usual
# errors (401, 400, 404, 405), an API key as the caller, a stream, both
# embedding encodings, /metrics on each server.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"
. "$here/../llm/lib.sh"

ods_t_begin openapi-contract
ods_stack_init
ods_stack_backends
ODS_T_CLEANUP='ods_llm_mocks_stop'
ods_llm_mock_start MOCK mock
export VLLM_CHAT_URL=$MOCK LLM_BACKEND=auto ODS_MODEL_ALIASES='gpt-4o-mini=mock-chat'
export JWT_SECRET_KEY=openapi-contract-secret-0123456789abcdef
export ODS_RATE_LIMIT_DEFAULT=1000/minute ODS_RATE_LIMIT_BURST=2000
ods_stack_pools
ods_stack_nginx_start
ods_stack_wait_live || ods_t_fail "the stack did not become live"

admin=$("$(ods_bin odsctl)" token --sub contract-admin --roles admin --ttl 600) ||
    ods_t_fail "odsctl token"
viewer=$("$(ods_bin odsctl)" token --sub contract-viewer --roles viewer --ttl 600) ||
    ods_t_fail "odsctl token"
A=(-H "Authorization: Bearer $admin")
V=(-H "Authorization: Bearer $viewer")
J=(-H 'Content-Type: application/json')

# pool SERVER_URL PREFIX: the routes every API pool serves, under PREFIX.
pool() {
	local u=$1$2 id
	ods_get "$u/health"
	ods_expect_code 200 "$u/health"
	ods_get "$u/healthz"
	ods_expect_code 200 "$u/healthz"
	ods_req POST "$u/healthz"
	ods_expect_code 405 "POST $u/healthz"
	ods_get "$u/auth/me" "${A[@]}"
	ods_expect_code 200 "$u/auth/me"
	ods_get "$u/auth/me"
	ods_expect_code 401 "$u/auth/me without a token"
	ods_get "$u/auth/permissions" "${A[@]}"
	ods_expect_code 200 "$u/auth/permissions"
	ods_expect_json '.data.permissions.document | index("delete") != null' true \
	    "$u/auth/permissions: admin may do everything"
	ods_req POST "$u/auth/refresh"
	ods_expect_code 400 "$u/auth/refresh without a refresh token"
	ods_req POST "$u/auth/refresh" "${J[@]}" -d '{"refresh_token":"r"}'
	ods_expect_code 503 "$u/auth/refresh without Keycloak"
	ods_req POST "$u/auth/logout" "${J[@]}" -H 'Cookie: refresh_token=r'
	ods_expect_code 200 "$u/auth/logout"
	ods_req POST "$u/auth/logout" -H 'Cookie: refresh_token=r'
	ods_expect_code 403 "$u/auth/logout by a cross-site form"
	if [ "$u" != "$ODS_DATA_URL/api/v1" ]; then
		ods_get "$u/stats/overview" "${A[@]}"
		ods_expect_code 200 "$u/stats/overview"
		ods_get "$u/stats/overview"
		ods_expect_code 401 "$u/stats/overview without a token"
	fi
	ods_req POST "$u/api-keys" "${A[@]}" "${J[@]}" \
	    -d '{"name":"contract","allowed_models":["mock-chat"],"rpm":100,"expires_in_days":1}'
	ods_expect_code 201 "POST $u/api-keys"
	id=$(ods_json '.data.key.key_id')
	ods_req POST "$u/api-keys" "${A[@]}" "${J[@]}" -d '{"name":'
	ods_expect_code 400 "POST $u/api-keys with bad JSON"
	ods_req POST "$u/api-keys" "${J[@]}" -d '{"name":"x"}' \
	    -H "Authorization: Bearer $viewer"
	ods_expect_code 403 "POST $u/api-keys as a viewer"
	ods_req POST "$u/api-keys" "${A[@]}" "${J[@]}" -d '{"name":"contract 2"}'
	ods_expect_code 201 "POST $u/api-keys (a second)"
	local id2; id2=$(ods_json '.data.key.key_id')
	ods_get "$u/api-keys?owner=contract-admin" "${A[@]}"
	ods_expect_code 200 "GET $u/api-keys"
	ods_get "$u/api-keys?owner=contract-admin&page=2&page_size=1" "${A[@]}"
	ods_expect_code 200 "GET $u/api-keys, page 2 of 1"
	ods_expect_json '[.data.items[0].key_id, .data.total >= 2, .data.page, .page_size] | tojson' \
	    "[\"$id\",true,2,1]" "the second newest key on page 2 of size 1"
	ods_req DELETE "$u/api-keys/$id2" "${A[@]}"
	ods_expect_code 200 "DELETE $u/api-keys/$id2"
	ods_req DELETE "$u/api-keys/$id" "${A[@]}"
	ods_expect_code 200 "DELETE $u/api-keys/$id"
	ods_req DELETE "$u/api-keys/ak_0000000000000000" "${A[@]}"
	ods_expect_code 404 "DELETE an unknown key"
	local q="key=a%20b&expires=4102444800&sig=$(printf '0%.0s' {1..64})"
	ods_get "$u/store/presigned?$q"
	ods_expect_code 403 "GET $u/store/presigned with a forged signature"
	ods_req PUT "$u/store/presigned?$q" -d x
	ods_expect_code 403 "PUT $u/store/presigned with a forged signature"
	ods_get "$u/store/presigned?key=a"
	ods_expect_code 400 "GET $u/store/presigned without a signature"
	# Jobs: delayed, so that it stays queued (ods-worker runs here).
	id=$("$(ods_bin odsctl)" jobs enqueue noop --created-by contract-admin --delay-ms 600000 \
	    --payload '{"sleep_ms":1}') || ods_t_fail "odsctl jobs enqueue"
	ods_get "$u/jobs?status=queued&page=1&page_size=5" "${A[@]}"
	ods_expect_code 200 "GET $u/jobs"
	ods_get "$u/jobs?status=bogus" "${A[@]}"
	ods_expect_code 400 "GET $u/jobs with a bad status"
	ods_get "$u/jobs/$id" "${A[@]}"
	ods_expect_code 200 "GET $u/jobs/$id"
	ods_get "$u/jobs/$id" -H "Authorization: Bearer $viewer"
	ods_expect_code 404 "GET $u/jobs/$id as another user"
	ods_req POST "$u/jobs/$id/cancel" "${A[@]}"
	ods_expect_code 200 "POST $u/jobs/$id/cancel"
	ods_req POST "$u/jobs/$id/cancel" "${A[@]}"
	ods_expect_code 409 "POST $u/jobs/$id/cancel again"
}

# datasources SERVER_URL PREFIX N: the data source routes of the data pool
# (tests/integration/datasources.sh covers their behaviour).
datasources() {
	local u=$1$2 n=$3 id
	ods_req POST "$u/datasources" "${A[@]}" "${J[@]}" \
	    -d "{\"name\":\"contract $n\",\"type\":\"mysql\",\"connection\":{\"host\":\"169.254.169.254\",\"username\":\"u\",\"password\":\"env:ODS_DS_CONTRACT_NONE\"}}"
	ods_expect_code 201 "POST $u/datasources"
	id=$(ods_json .data.source_id)
	ods_req POST "$u/datasources" "${A[@]}" "${J[@]}" -d '{"name":"x"}'
	ods_expect_code 400 "POST $u/datasources without a host"
	ods_get "$u/datasources?type=mysql&page=1&page_size=5" "${A[@]}"
	ods_expect_code 200 "GET $u/datasources"
	ods_get "$u/datasources/$id" "${A[@]}"
	ods_expect_code 200 "GET $u/datasources/$id"
	ods_get "$u/datasources/$id" -H "Authorization: Bearer $viewer"
	ods_expect_code 404 "GET $u/datasources/$id: another user's private source"
	ods_req PUT "$u/datasources/$id" "${A[@]}" "${J[@]}" -d '{"description":"d"}'
	ods_expect_code 200 "PUT $u/datasources/$id"
	ods_req POST "$u/datasources/test" "${A[@]}" "${J[@]}" \
	    -d '{"type":"mysql","connection":{"host":"169.254.169.254","username":"u"}}'
	ods_expect_code 200 "POST $u/datasources/test (a refused address)"
	ods_req POST "$u/datasources/test" "${A[@]}" "${J[@]}" -d '{"type":"mysql"}'
	ods_expect_code 400 "POST $u/datasources/test without a host"
	ods_req POST "$u/datasources/$id/test" "${A[@]}"
	ods_expect_code 200 "POST $u/datasources/$id/test"
	ods_req DELETE "$u/datasources/$id" "${A[@]}"
	ods_expect_code 200 "DELETE $u/datasources/$id"
	ods_req DELETE "$u/datasources/$id" "${A[@]}"
	ods_expect_code 404 "DELETE $u/datasources/$id again"
	ods_req POST "$u/datasources" -H "Authorization: Bearer $viewer" "${J[@]}" -d '{"name":"v"}'
	ods_expect_code 403 "POST $u/datasources as a viewer"
}

# metadata SERVER_URL PREFIX N: the catalog's routes under PREFIX (a scan
# of a source the address policy refuses: the job ends, failed).
metadata() {
	local u=$1$2 n=$3 id job
	ods_req POST "$u/datasources" "${A[@]}" "${J[@]}" \
	    -d "{\"name\":\"catalog contract $n\",\"type\":\"mysql\",\"connection\":{\"host\":\"169.254.169.254\",\"username\":\"u\",\"password\":\"env:ODS_DS_CONTRACT_NONE\"}}"
	ods_expect_code 201 "POST $u/datasources (for a scan)"
	id=$(ods_json .data.source_id)
	ods_req POST "$u/metadata/scan" "${A[@]}" "${J[@]}" -d "{\"source_id\":\"$id\"}"
	ods_expect_code 202 "POST $u/metadata/scan"
	job=$(ods_json .data.job_id)
	ods_req POST "$u/metadata/scan" "${A[@]}" "${J[@]}" -d '{}'
	ods_expect_code 400 "POST $u/metadata/scan without a source_id"
	ods_req POST "$u/metadata/scan" "${A[@]}" "${J[@]}" -d '{"source_id":"ds-none"}'
	ods_expect_code 404 "POST $u/metadata/scan of an unknown source"
	ods_get "$u/metadata/scan/$job/result" "${A[@]}"
	ods_expect_code 200 "GET $u/metadata/scan/$job/result"
	ods_get "$u/metadata/scan/999999999/result" "${A[@]}"
	ods_expect_code 404 "GET $u/metadata/scan/.../result of no scan"
	ods_get "$u/metadata/databases?page=1&page_size=5" "${A[@]}"
	ods_expect_code 200 "GET $u/metadata/databases"
	ods_get "$u/metadata/databases?page=x" "${A[@]}"
	ods_expect_code 400 "GET $u/metadata/databases?page=x"
	ods_get "$u/metadata/databases/none/tables" "${A[@]}"
	ods_expect_code 200 "GET $u/metadata/databases/none/tables"
	ods_get "$u/metadata/databases/none/tables/none" "${A[@]}"
	ods_expect_code 404 "GET $u/metadata/databases/none/tables/none"
	ods_get "$u/metadata/search?q=contract&type=table" "${A[@]}"
	ods_expect_code 200 "GET $u/metadata/search"
	ods_get "$u/metadata/search" "${A[@]}"
	ods_expect_code 400 "GET $u/metadata/search without q"
	ods_get "$u/assets?page=1&page_size=5&q=x" "${A[@]}"
	ods_expect_code 200 "GET $u/assets"
	ods_get "$u/assets?page=x" "${A[@]}"
	ods_expect_code 400 "GET $u/assets?page=x"
	ods_get "$u/assets/tbl-none" "${A[@]}"
	ods_expect_code 404 "GET $u/assets/tbl-none"
	ods_req POST "$u/metadata/scan" -H "Authorization: Bearer $viewer" "${J[@]}" -d "{\"source_id\":\"$id\"}"
	ods_expect_code 403 "POST $u/metadata/scan as a viewer"
}

# query SERVER_URL PREFIX N: /query/execute and /query/history under
# PREFIX (a source at a refused address: the statement gate answers 400,
# the policy 503; query.sh has the 200s on real servers).
query() {
	local u=$1$2 n=$3 id
	ods_req POST "$u/datasources" "${A[@]}" "${J[@]}" \
	    -d "{\"name\":\"contract query $n\",\"type\":\"mysql\",\"connection\":{\"host\":\"169.254.169.254\",\"username\":\"u\",\"password\":\"env:ODS_DS_CONTRACT_NONE\"}}"
	ods_expect_code 201 "POST $u/datasources (for queries)"
	id=$(ods_json .data.source_id)
	ods_req POST "$u/query/execute" "${A[@]}" "${J[@]}" \
	    -d "{\"source_id\":\"$id\",\"sql\":\"SELECT 1; SELECT 2\"}"
	ods_expect_code 400 "POST $u/query/execute: a second statement"
	ods_req POST "$u/query/execute" "${A[@]}" "${J[@]}" \
	    -d "{\"source_id\":\"$id\",\"sql\":\"SELECT 1\"}"
	ods_expect_code 503 "POST $u/query/execute: a refused address"
	ods_req POST "$u/query/execute" "${A[@]}" "${J[@]}" \
	    -d '{"source_id":"no-such","sql":"SELECT 1"}'
	ods_expect_code 404 "POST $u/query/execute: an unknown source"
	ods_req POST "$u/query/execute" "${A[@]}" "${J[@]}" -d '{"sql":"SELECT 1"}'
	ods_expect_code 400 "POST $u/query/execute without a source"
	ods_req POST "$u/query/execute" -H "Authorization: Bearer $viewer" "${J[@]}" \
	    -d "{\"source_id\":\"$id\",\"sql\":\"SELECT 1\"}"
	ods_expect_code 403 "POST $u/query/execute as a viewer"
	ods_get "$u/query/history?page=1&page_size=5" "${A[@]}"
	ods_expect_code 200 "GET $u/query/history"
	ods_get "$u/query/history?page=x" "${A[@]}"
	ods_expect_code 400 "GET $u/query/history?page=x"
}

# quality SERVER_URL PREFIX N: the /quality routes of the data pool (a
# rule on a source at a refused address: its run is an errored rule, a
# report and an alert; quality.sh has the real checks).
quality() {
	local u=$1$2 n=$3 id rule task job rep al i
	ods_req POST "$u/datasources" "${A[@]}" "${J[@]}" \
	    -d "{\"name\":\"contract quality $n\",\"type\":\"mysql\",\"connection\":{\"host\":\"169.254.169.254\",\"username\":\"u\",\"password\":\"env:ODS_DS_CONTRACT_NONE\"}}"
	id=$(ods_json .data.source_id)
	ods_req POST "$u/quality/rules" "${A[@]}" "${J[@]}" \
	    -d "{\"name\":\"c$n\",\"rule_type\":\"not_null\",\"source_id\":\"$id\",\"table\":\"t\",\"column\":\"c\"}"
	ods_expect_code 201 "POST $u/quality/rules"
	rule=$(ods_json .data.rule_id)
	ods_req POST "$u/quality/rules" "${A[@]}" "${J[@]}" -d '{"name":"x","rule_type":"nope"}'
	ods_expect_code 400 "POST $u/quality/rules with a bad type"
	ods_req POST "$u/quality/rules" -H "Authorization: Bearer $viewer" "${J[@]}" -d '{}'
	ods_expect_code 403 "POST $u/quality/rules as a viewer"
	ods_get "$u/quality/rules?page=1&page_size=5" "${A[@]}"
	ods_expect_code 200 "GET $u/quality/rules"
	ods_get "$u/quality/rules/$rule" "${A[@]}"
	ods_expect_code 200 "GET $u/quality/rules/$rule"
	ods_get "$u/quality/rules/qr_none" "${A[@]}"
	ods_expect_code 404 "GET an unknown rule"
	ods_req PUT "$u/quality/rules/$rule" "${A[@]}" "${J[@]}" -d '{"description":"d"}'
	ods_expect_code 200 "PUT $u/quality/rules/$rule"
	ods_req POST "$u/quality/tasks" "${A[@]}" "${J[@]}" -d "{\"name\":\"t$n\",\"rule_ids\":[\"$rule\"]}"
	ods_expect_code 201 "POST $u/quality/tasks"
	task=$(ods_json .data.task_id)
	ods_req POST "$u/quality/tasks" "${A[@]}" "${J[@]}" -d '{"name":"t"}'
	ods_expect_code 400 "POST $u/quality/tasks without rules"
	ods_get "$u/quality/tasks" "${A[@]}"
	ods_expect_code 200 "GET $u/quality/tasks"
	ods_get "$u/quality/tasks/$task" "${A[@]}"
	ods_expect_code 200 "GET $u/quality/tasks/$task"
	ods_req POST "$u/quality/tasks/$task/run" "${A[@]}"
	ods_expect_code 202 "POST $u/quality/tasks/$task/run"
	ods_req POST "$u/quality/rules/$rule/run" "${A[@]}"
	ods_expect_code 202 "POST $u/quality/rules/$rule/run"
	job=$(ods_json .data.job_id)
	for i in $(seq 1 100); do
		ods_get "$u/jobs/$job" "${A[@]}"
		[ "$(ods_json .data.status)" = succeeded ] && break
		sleep 0.2
	done
	ods_get "$u/quality/reports?rule_id=$rule" "${A[@]}"
	ods_expect_code 200 "GET $u/quality/reports"
	rep=$(ods_json '.data.reports[0].report_id')
	ods_get "$u/quality/reports/$rep" "${A[@]}"
	ods_expect_code 200 "GET $u/quality/reports/$rep"
	ods_get "$u/quality/reports/qrep_none" "${A[@]}"
	ods_expect_code 404 "GET an unknown report"
	ods_get "$u/quality/trends?period=weekly" "${A[@]}"
	ods_expect_code 200 "GET $u/quality/trends"
	ods_get "$u/quality/trends?period=x" "${A[@]}"
	ods_expect_code 400 "GET $u/quality/trends?period=x"
	ods_get "$u/quality/alerts?rule_id=$rule" "${A[@]}"
	ods_expect_code 200 "GET $u/quality/alerts"
	al=$(ods_json '.data.alerts[0].alert_id')
	ods_req POST "$u/quality/alerts/$al/acknowledge" "${A[@]}"
	ods_expect_code 200 "POST $u/quality/alerts/$al/acknowledge"
	ods_req PUT "$u/quality/alerts/$al/acknowledge" "${A[@]}"
	ods_expect_code 409 "PUT $u/quality/alerts/$al/acknowledge twice"
	ods_req POST "$u/quality/alerts/$al/resolve" "${A[@]}"
	ods_expect_code 200 "POST $u/quality/alerts/$al/resolve"
	ods_req POST "$u/quality/alerts/$al/resolve" "${A[@]}"
	ods_expect_code 409 "POST $u/quality/alerts/$al/resolve twice"
	ods_req DELETE "$u/quality/rules/$rule" "${A[@]}"
	ods_expect_code 200 "DELETE $u/quality/rules/$rule"
}

# datasets SERVER_URL PREFIX N: the /datasets routes of the data pool.
datasets() {
	local u=$1$2 n=$3 id up url f=$ODS_STACK_DIR/contract-ds-$3.csv
	printf 'id,name\n1,a\n2,b\n' >"$f"
	ods_req POST "$u/datasets" "${A[@]}" "${J[@]}" \
	    -d "{\"name\":\"contract $n\",\"tags\":[\"c\"]}"
	ods_expect_code 201 "POST $u/datasets"
	id=$(ods_json .data.dataset_id)
	ods_req POST "$u/datasets" "${A[@]}" "${J[@]}" -d '{"name":"a/b"}'
	ods_expect_code 400 "POST $u/datasets with a bad name"
	ods_req POST "$u/datasets" -H "Authorization: Bearer $viewer" "${J[@]}" -d '{"name":"v"}'
	ods_expect_code 403 "POST $u/datasets as a viewer"
	ods_get "$u/datasets?page=1&page_size=5&tags=c" "${A[@]}"
	ods_expect_code 200 "GET $u/datasets"
	ods_get "$u/datasets/$id" "${A[@]}"
	ods_expect_code 200 "GET $u/datasets/$id"
	ods_get "$u/datasets/no-such-dataset" "${A[@]}"
	ods_expect_code 404 "GET an unknown dataset"
	ods_req PUT "$u/datasets/$id" "${A[@]}" "${J[@]}" -d '{"description":"d"}'
	ods_expect_code 200 "PUT $u/datasets/$id"
	ods_get "$u/datasets/$id/preview" "${A[@]}"
	ods_expect_code 404 "GET $u/datasets/$id/preview before a file"
	ods_req POST "$u/datasets/$id/upload" "${A[@]}" -F "file=@$f;type=text/csv"
	ods_expect_code 201 "POST $u/datasets/$id/upload"
	ods_req POST "$u/datasets/$id/upload-url" "${A[@]}" "${J[@]}" -d '{"file_name":"b.csv"}'
	ods_expect_code 200 "POST $u/datasets/$id/upload-url"
	up=$(ods_json .data.upload_id)
	url=$(ods_json .data.upload_url)
	ods_req POST "$u/datasets/$id/uploads/$up/complete" "${A[@]}"
	ods_expect_code 409 "POST $u/datasets/$id/uploads/$up/complete before the PUT"
	ods_req PUT "$ODS_DATA_URL$url" -T "$f"
	ods_expect_code 201 "PUT to the upload URL"
	ods_req POST "$u/datasets/$id/uploads/$up/complete" "${A[@]}"
	ods_expect_code 201 "POST $u/datasets/$id/uploads/$up/complete"
	ods_req POST "$u/datasets/$id/versions" "${A[@]}" "${J[@]}" \
	    -d "{\"storage_path\":\"$(ods_json .data.storage_path)\"}"
	ods_expect_code 201 "POST $u/datasets/$id/versions"
	ods_req POST "$u/datasets/$id/versions" "${A[@]}" "${J[@]}" -d '{}'
	ods_expect_code 400 "POST $u/datasets/$id/versions without a file"
	ods_get "$u/datasets/$id/versions" "${A[@]}"
	ods_expect_code 200 "GET $u/datasets/$id/versions"
	ods_get "$u/datasets/$id/preview?limit=1" "${A[@]}"
	ods_expect_code 200 "GET $u/datasets/$id/preview"
	ods_req POST "$u/datasets/$id/access" "${A[@]}" "${J[@]}" -d '{"expires":60}'
	ods_expect_code 200 "POST $u/datasets/$id/access"
	printf 'a,b\n1,2,3\n' >"$f"
	ods_req POST "$u/datasets/$id/upload" "${A[@]}" -F "file=@$f;type=text/csv"
	ods_get "$u/datasets/$id/preview" "${A[@]}"
	ods_expect_code 422 "GET $u/datasets/$id/preview of a malformed file"
	printf 'PAR1' >"$f.parquet"
	ods_req POST "$u/datasets/$id/upload" "${A[@]}" -F "file=@$f.parquet"
	ods_get "$u/datasets/$id/preview" "${A[@]}"
	ods_expect_code 415 "GET $u/datasets/$id/preview of parquet"
	ods_req DELETE "$u/datasets/$id" "${A[@]}"
	ods_expect_code 200 "DELETE $u/datasets/$id"
	ods_req POST "$u/datasets/$id/upload-url" "${A[@]}" "${J[@]}" -d '{"file_name":"c.csv"}'
	ods_expect_code 409 "POST $u/datasets/$id/upload-url of a deleted dataset"
}

# lineage SERVER_URL PREFIX N: the lineage routes under PREFIX (an event
# emitted makes a -> b; lineage.sh has the graphs' behaviour).
lineage() {
	local u=$1$2 n=$3 ns=contract-$3
	ods_req POST "$u/lineage/events/emit" "${A[@]}" "${J[@]}" \
	    -d "{\"event_type\":\"JOB_COMPLETED\",\"job_name\":\"cj$n\",\"namespace\":\"$ns\",\"source_tables\":[\"db.a\"],\"target_tables\":[\"db.b\"]}"
	ods_expect_code 200 "POST $u/lineage/events/emit"
	ods_req POST "$u/lineage/events/emit" "${A[@]}" "${J[@]}" -d '{"event_type":"JOB_COMPLETED"}'
	ods_expect_code 400 "POST $u/lineage/events/emit without job_name"
	ods_req POST "$u/lineage/events/emit" -H "Authorization: Bearer $viewer" "${J[@]}" -d '{}'
	ods_expect_code 403 "POST $u/lineage/events/emit as a viewer"
	ods_get "$u/lineage/table?table_name=b&depth=2" "${A[@]}"
	ods_expect_code 200 "GET $u/lineage/table"
	ods_get "$u/lineage/table?table_name=b&depth=abc" "${A[@]}"
	ods_expect_code 400 "GET $u/lineage/table?depth=abc"
	ods_get "$u/lineage/column?table_name=b&column_name=x" "${A[@]}"
	ods_expect_code 200 "GET $u/lineage/column"
	ods_get "$u/lineage/search?query=db." "${A[@]}"
	ods_expect_code 200 "GET $u/lineage/search"
	ods_get "$u/lineage/path?source=a&target=b" "${A[@]}"
	ods_expect_code 200 "GET $u/lineage/path (web)"
	ods_get "$u/lineage/path?source_namespace=$ns&source_name=db.a&target_namespace=$ns&target_name=db.b" "${A[@]}"
	ods_expect_code 200 "GET $u/lineage/path (reference)"
	ods_get "$u/lineage/etl/cj$n" "${A[@]}"
	ods_expect_code 200 "GET $u/lineage/etl/cj$n"
	ods_get "$u/lineage/upstream?namespace=$ns&name=db.b" "${A[@]}"
	ods_expect_code 200 "GET $u/lineage/upstream"
	ods_get "$u/lineage/upstream" "${A[@]}"
	ods_expect_code 400 "GET $u/lineage/upstream without name"
	ods_get "$u/lineage/downstream?namespace=$ns&name=db.a" "${A[@]}"
	ods_expect_code 200 "GET $u/lineage/downstream"
	ods_get "$u/lineage/impact?namespace=$ns&name=db.a" "${A[@]}"
	ods_expect_code 200 "GET $u/lineage/impact"
	ods_get "$u/lineage/events?limit=5&job_name=cj$n" "${A[@]}"
	ods_expect_code 200 "GET $u/lineage/events"
	ods_get "$u/lineage/export?limit=5" "${A[@]}"
	ods_expect_code 200 "GET $u/lineage/export"
}

# agent SERVER_URL PREFIX: the knowledge-base, document and RAG routes of
# the agent pool under PREFIX (ods-worker ingests the uploads).
agent() {
	local u=$1$2 kb doc n=$3
	ods_req POST "$u/knowledge-bases" "${A[@]}" "${J[@]}" \
	    -d "{\"name\":\"contract $n\",\"collection_name\":\"contract-$n\"}"
	ods_expect_code 201 "POST $u/knowledge-bases"
	kb=$(ods_json .data.knowledge_base_id)
	ods_req POST "$u/knowledge-bases" "${A[@]}" "${J[@]}" -d '{}'
	ods_expect_code 400 "POST $u/knowledge-bases without a name"
	ods_get "$u/knowledge-bases?page=1&page_size=5" "${A[@]}"
	ods_expect_code 200 "GET $u/knowledge-bases"
	ods_get "$u/knowledge-bases/$kb" "${A[@]}"
	ods_expect_code 200 "GET $u/knowledge-bases/$kb"
	ods_get "$u/knowledge-bases/kb-000000000000" "${A[@]}"
	ods_expect_code 404 "GET an unknown knowledge base"
	ods_req PUT "$u/knowledge-bases/$kb" "${A[@]}" "${J[@]}" -d '{"description":"d"}'
	ods_expect_code 200 "PUT $u/knowledge-bases/$kb"
	ods_req POST "$u/documents/upload" "${A[@]}" "${J[@]}" \
	    -d "{\"content\":\"the contract of prefix $n\",\"knowledge_base_id\":\"$kb\"}"
	ods_expect_code 201 "POST $u/documents/upload"
	doc=$(ods_json .data.doc_id)
	printf 'a file for %s\n' "$n" >"$ODS_STACK_DIR/contract-$n.txt"
	ods_req POST "$u/knowledge-bases/$kb/upload" "${A[@]}" \
	    -F "file=@$ODS_STACK_DIR/contract-$n.txt;type=text/plain"
	ods_expect_code 201 "POST $u/knowledge-bases/$kb/upload"
	ods_req POST "$u/documents/upload" "${A[@]}" -F "file=@/dev/null;filename=x.png;type=image/png" \
	    -F "knowledge_base_id=$kb"
	ods_expect_code 415 "POST $u/documents/upload of an image"
	ods_get "$u/knowledge-bases/$kb/documents" "${A[@]}"
	ods_expect_code 200 "GET $u/knowledge-bases/$kb/documents"
	ods_get "$u/documents?knowledge_base_id=$kb" "${A[@]}"
	ods_expect_code 200 "GET $u/documents"
	ods_get "$u/documents/$doc" "${A[@]}"
	ods_expect_code 200 "GET $u/documents/$doc"
	ods_req POST "$u/rag/query" "${A[@]}" "${J[@]}" -d "{\"question\":\"contract\",\"knowledge_base_id\":\"$kb\"}"
	ods_expect_code 200 "POST $u/rag/query"
	ods_req POST "$u/rag/query" "${A[@]}" "${J[@]}" -d '{"top_k":3}'
	ods_expect_code 400 "POST $u/rag/query without a question"
	ods_req POST "$u/retrieval/hybrid" "${A[@]}" "${J[@]}" -d "{\"query\":\"contract\",\"knowledge_base_id\":\"$kb\"}"
	ods_expect_code 200 "POST $u/retrieval/hybrid"
	ods_req POST "$u/knowledge-bases/$kb/test" "${A[@]}" "${J[@]}" -d '{"query":"file"}'
	ods_expect_code 200 "POST $u/knowledge-bases/$kb/test"
	ods_req POST "$u/knowledge-bases/$kb/rebuild" "${A[@]}"
	ods_expect_code 202 "POST $u/knowledge-bases/$kb/rebuild"
	ods_req DELETE "$u/documents/$doc" "${A[@]}"
	ods_expect_code 200 "DELETE $u/documents/$doc"
	ods_req DELETE "$u/documents/batch" "${A[@]}" "${J[@]}" -d '{"doc_ids":["doc-000000000000"]}'
	ods_expect_code 200 "DELETE $u/documents/batch"
	ods_req DELETE "$u/knowledge-bases/$kb" "${A[@]}"
	ods_expect_code 200 "DELETE $u/knowledge-bases/$kb"
}

# prompts SERVER_URL PREFIX N: the prompt template routes under PREFIX.
prompts() {
	local u=$1$2 id n=$3
	ods_req POST "$u/prompts" "${A[@]}" "${J[@]}" \
	    -d "{\"name\":\"contract-$n\",\"content\":\"Hi {{who}}\",\"variables\":[{\"name\":\"who\",\"default\":\"you\"}]}"
	ods_expect_code 201 "POST $u/prompts"
	id=$(ods_json .data.template_id)
	ods_req POST "$u/prompts" "${A[@]}" "${J[@]}" -d '{"name":"x","content":"{{y}}","variables":[]}'
	ods_expect_code 400 "POST $u/prompts with an undeclared variable"
	ods_get "$u/prompts?page=1&page_size=5&category=none" "${A[@]}"
	ods_expect_code 200 "GET $u/prompts"
	ods_get "$u/prompts/$id" "${A[@]}"
	ods_expect_code 200 "GET $u/prompts/$id"
	ods_get "$u/prompts/tpl-000000000000" "${A[@]}"
	ods_expect_code 404 "GET an unknown template"
	ods_req PUT "$u/prompts/$id" "${A[@]}" "${J[@]}" -d '{"content":"Hello {{who}}"}'
	ods_expect_code 200 "PUT $u/prompts/$id"
	ods_get "$u/prompts/$id/versions" "${A[@]}"
	ods_expect_code 200 "GET $u/prompts/$id/versions"
	ods_req POST "$u/prompts/$id/render" "${A[@]}" "${J[@]}" -d '{"variables":{"who":"Bo"}}'
	ods_expect_code 200 "POST $u/prompts/$id/render"
	ods_req POST "$u/prompts/$id/render" "${A[@]}" "${J[@]}" -d '{"variables":{"who":1}}'
	ods_expect_code 400 "POST $u/prompts/$id/render with a wrong type"
	ods_req DELETE "$u/prompts/$id" "${A[@]}"
	ods_expect_code 200 "DELETE $u/prompts/$id"
	# /api/v1/agent/templates is the agent templates (agent_templates).
	[ "$2" = /api/v1/agent ] && return 0
	ods_req POST "$u/templates" "${A[@]}" "${J[@]}" -d "{\"name\":\"contract-t$n\",\"template\":\"Q: {{q}}\"}"
	ods_expect_code 201 "POST $u/templates"
	ods_get "$u/templates?page_size=5" "${A[@]}"
	ods_expect_code 200 "GET $u/templates"
	ods_get "$u/templates/contract-t$n" "${A[@]}"
	ods_expect_code 200 "GET $u/templates/contract-t$n"
}

# agent_templates URL: the agent template routes at URL (.../templates).
agent_templates() {
	local u=$1 id
	ods_req POST "$u" "${A[@]}" "${J[@]}" \
	    -d '{"name":"contract","agent_type":"function_calling","tools":["calculator"],"system_prompt":"Be brief.","max_iterations":3}'
	ods_expect_code 201 "POST $u"
	id=$(ods_json .data.template_id)
	ods_req POST "$u" "${A[@]}" "${J[@]}" -d '{"name":"x","agent_type":"nope"}'
	ods_expect_code 400 "POST $u with a bad agent_type"
	ods_req POST "$u" "${V[@]}" "${J[@]}" -d '{"name":"by_viewer"}'
	ods_expect_code 403 "POST $u by a viewer"
	ods_get "$u?page=1&page_size=5" "${V[@]}"
	ods_expect_code 200 "GET $u"
	ods_get "$u/$id" "${A[@]}"
	ods_expect_code 200 "GET $u/{template_id}"
	ods_get "$u/atpl-00000000" "${A[@]}"
	ods_expect_code 404 "GET $u/{template_id} unknown"
	ods_req PUT "$u/$id" "${A[@]}" "${J[@]}" -d '{"description":"changed","visibility":"public"}'
	ods_expect_code 200 "PUT $u/{template_id}"
	ods_req PUT "$u/$id" "${A[@]}" "${J[@]}" -d '{"tools":["no_such_tool"]}'
	ods_expect_code 400 "PUT $u/{template_id} with an unknown tool"
	ods_req PUT "$u/atpl-00000000" "${A[@]}" "${J[@]}" -d '{}'
	ods_expect_code 404 "PUT $u/{template_id} unknown"
	ods_req DELETE "$u/$id" "${V[@]}"
	ods_expect_code 403 "DELETE $u/{template_id} by a viewer"
	ods_req DELETE "$u/$id" "${A[@]}"
	ods_expect_code 200 "DELETE $u/{template_id}"
	ods_req DELETE "$u/$id" "${A[@]}"
	ods_expect_code 404 "DELETE $u/{template_id} twice"
}

# apps SERVER_URL PREFIX: the app routes under PREFIX, with a key of the
# app as the caller of its info route (and refused on another app's).
apps() {
	local u=$1$2 app app2 key kid
	ods_req POST "$u/apps" "${A[@]}" "${J[@]}" \
	    -d '{"name":"contract app","tags":["t"],"model":"gpt-4o-mini","settings":{"temperature":0.5,"rate_limit_rpm":100}}'
	ods_expect_code 201 "POST $u/apps"
	app=$(ods_json .data.app_id)
	ods_req POST "$u/apps" "${A[@]}" "${J[@]}" -d '{"name":"other"}'
	app2=$(ods_json .data.app_id)
	ods_req POST "$u/apps" "${A[@]}" "${J[@]}" -d '{"name":"x","settings":{"max_tokens":0}}'
	ods_expect_code 400 "POST $u/apps with max_tokens 0"
	ods_get "$u/apps?page=1&page_size=5&status=draft" "${A[@]}"
	ods_expect_code 200 "GET $u/apps"
	ods_req PUT "$u/apps/$app" "${A[@]}" "${J[@]}" -d '{"description":"d"}'
	ods_expect_code 200 "PUT $u/apps/$app"
	ods_req POST "$u/apps/$app/publish" "${A[@]}"
	ods_expect_code 200 "POST $u/apps/$app/publish"
	ods_req POST "$u/apps/$app/keys" "${A[@]}" "${J[@]}" -d '{"name":"k"}'
	ods_expect_code 201 "POST $u/apps/$app/keys"
	key=$(ods_json .data.api_key)
	kid=$(ods_json .data.key.key_id)
	ods_get "$u/apps/$app/keys" "${A[@]}"
	ods_expect_code 200 "GET $u/apps/$app/keys"
	ods_get "$u/apps/$app/info" -H "Authorization: Bearer $key"
	ods_expect_code 200 "GET $u/apps/$app/info with the app's key"
	ods_get "$u/apps/$app2/info" -H "Authorization: Bearer $key"
	ods_expect_code 403 "GET $u/apps/$app2/info with another app's key"
	ods_req POST "$u/apps/$app/chat" -H "Authorization: Bearer $key" "${J[@]}" \
	    -d '{"message":"contract","user":"c"}'
	ods_expect_code 200 "POST $u/apps/$app/chat with the app's key"
	ods_req POST "$u/apps/$app/chat" -H "Authorization: Bearer $key" "${J[@]}" -d '{}'
	ods_expect_code 400 "POST $u/apps/$app/chat without a message"
	ods_req POST "$u/apps/$app/v1/chat/completions" -H "Authorization: Bearer $key" \
	    "${J[@]}" -d '{"model":"x","messages":[{"role":"user","content":"hi"}]}'
	ods_expect_code 200 "POST $u/apps/$app/v1/chat/completions"
	ods_req POST "$u/apps/$app/v1/chat/completions" -H "Authorization: Bearer $key" \
	    "${J[@]}" -d '{"model":"x","messages":[]}'
	ods_expect_code 400 "POST $u/apps/$app/v1/chat/completions without messages"
	ods_req POST "$u/apps/$app2/v1/chat/completions" -H "Authorization: Bearer $key" \
	    "${J[@]}" -d '{"model":"x","messages":[{"role":"user","content":"hi"}]}'
	ods_expect_code 403 "POST $u/apps/$app2/v1/chat/completions with another app's key"
	ods_get "$u/apps/$app" "${A[@]}"
	ods_expect_code 200 "GET $u/apps/$app"
	ods_req POST "$u/apps/$app/unpublish" "${A[@]}"
	ods_expect_code 200 "POST $u/apps/$app/unpublish"
	ods_get "$u/apps/$app/info" -H "Authorization: Bearer $key"
	ods_expect_code 403 "GET $u/apps/$app/info while unpublished"
	ods_req DELETE "$u/apps/$app/keys/$kid" "${A[@]}"
	ods_expect_code 200 "DELETE $u/apps/$app/keys/$kid"
	ods_req DELETE "$u/apps/$app/keys/$kid" "${A[@]}"
	ods_req DELETE "$u/apps/$app/keys/ak_0000000000000000" "${A[@]}"
	ods_expect_code 404 "DELETE an unknown key of $u/apps/$app"
	ods_get "$u/apps/app-000000000000" "${A[@]}"
	ods_expect_code 404 "GET $u/apps/app-000000000000"
	ods_req DELETE "$u/apps/$app" "${A[@]}"
	ods_expect_code 200 "DELETE $u/apps/$app"
	ods_req DELETE "$u/apps/$app2" "${A[@]}"
}

# conv SERVER_URL PREFIX: the conversation and chat routes under PREFIX.
conv() {
	local u=$1$2 c
	ods_req POST "$u/chat" "${A[@]}" "${J[@]}" -d '{"message":"contract","model":"mock-chat"}'
	ods_expect_code 200 "POST $u/chat"
	c=$(ods_json .data.conversation_id)
	ods_req POST "$u/chat" "${A[@]}" "${J[@]}" -d '{"message":"x","temperature":3}'
	ods_expect_code 400 "POST $u/chat with temperature 3"
	ods_req POST "$u/chat" "${A[@]}" "${J[@]}" -d '{"message":"x","conversation_id":"conv-000000000000"}'
	ods_expect_code 404 "POST $u/chat in no conversation"
	ods_req POST "$u/conversations" "${A[@]}" "${J[@]}" -d '{"title":"t"}'
	ods_expect_code 201 "POST $u/conversations"
	ods_get "$u/conversations?page=1&page_size=5" "${A[@]}"
	ods_expect_code 200 "GET $u/conversations"
	ods_get "$u/conversations/$c" "${A[@]}"
	ods_expect_code 200 "GET $u/conversations/$c"
	ods_get "$u/conversations/conv-000000000000" "${A[@]}"
	ods_expect_code 404 "GET $u/conversations/conv-000000000000"
	ods_req PUT "$u/conversations/$c" "${A[@]}" "${J[@]}" -d '{"title":"renamed"}'
	ods_expect_code 200 "PUT $u/conversations/$c"
	ods_req POST "$u/conversations/$c/messages" "${A[@]}" "${J[@]}" \
	    -d '{"role":"assistant","content":"saved","usage":{"prompt_tokens":1,"completion_tokens":2}}'
	ods_expect_code 201 "POST $u/conversations/$c/messages"
	ods_req POST "$u/conversations/$c/messages" "${A[@]}" "${J[@]}" -d '{"role":"user"}'
	ods_expect_code 400 "POST $u/conversations/$c/messages without content"
	ods_get "$u/conversations/$c/messages" "${A[@]}"
	ods_expect_code 200 "GET $u/conversations/$c/messages"
	ods_get "$u/conversations/$c/usage" "${A[@]}"
	ods_expect_code 200 "GET $u/conversations/$c/usage"
	ods_req DELETE "$u/conversations/$c" "${A[@]}"
	ods_expect_code 200 "DELETE $u/conversations/$c"
}

# tools SERVER_URL PREFIX: the tools and agent routes under PREFIX (the
# agent's /run and /agent/run both: /api/v1 + /agent/run is the canonical
# /api/v1/agent/run).
tools() {
	local u=$1$2 r
	ods_get "$u/tools?category=utility" "${A[@]}"
	ods_expect_code 200 "GET $u/tools"
	ods_get "$u/tools/schemas?names=calculator" "${A[@]}"
	ods_expect_code 200 "GET $u/tools/schemas"
	ods_get "$u/tools/schemas?names=nope" "${A[@]}"
	ods_expect_code 404 "GET $u/tools/schemas with an unknown name"
	ods_req POST "$u/tools/calculator/execute" "${A[@]}" "${J[@]}" -d '{"expression":"2*21"}'
	ods_expect_code 200 "POST $u/tools/calculator/execute"
	ods_req POST "$u/tools/calculator/execute" "${A[@]}" "${J[@]}" -d '{}'
	ods_expect_code 400 "POST $u/tools/calculator/execute without an expression"
	ods_req POST "$u/tools/http_request/execute" "${A[@]}" "${J[@]}" \
	    -d '{"url":"http://169.254.169.254/"}'
	ods_expect_code 403 "POST $u/tools/http_request/execute to the metadata address"
	# Stored HTTP tools: one per prefix (the names are global).
	r=contract_$(printf '%s' "$2" | tr -dc a-z)
	ods_req POST "$u/tools" "${A[@]}" "${J[@]}" \
	    -d "{\"name\":\"$r\",\"parameters\":{\"type\":\"object\"},\"config\":{\"url\":\"https://example.org/x\",\"headers\":{\"X-Key\":\"k\"}}}"
	ods_expect_code 201 "POST $u/tools"
	ods_req POST "$u/tools" "${A[@]}" "${J[@]}" \
	    -d "{\"name\":\"$r\",\"parameters\":{\"type\":\"object\"},\"config\":{\"url\":\"https://example.org/x\"}}"
	ods_expect_code 409 "POST $u/tools with a name taken"
	ods_req POST "$u/tools" "${A[@]}" "${J[@]}" -d '{"name":"Bad"}'
	ods_expect_code 400 "POST $u/tools with a bad name"
	ods_req POST "$u/tools" "${V[@]}" "${J[@]}" -d '{"name":"by_viewer"}'
	ods_expect_code 403 "POST $u/tools by a viewer"
	ods_get "$u/tools/$r" "${V[@]}"
	ods_expect_code 200 "GET $u/tools/{name}"
	ods_get "$u/tools/calculator" "${A[@]}"
	ods_expect_code 200 "GET $u/tools/{name} of a built-in"
	ods_get "$u/tools/no_such_tool" "${A[@]}"
	ods_expect_code 404 "GET $u/tools/{name} unknown"
	ods_req PUT "$u/tools/$r" "${A[@]}" "${J[@]}" -d '{"description":"changed"}'
	ods_expect_code 200 "PUT $u/tools/{name}"
	ods_req PUT "$u/tools/$r" "${A[@]}" "${J[@]}" -d '{"config":{"url":"ftp://x/"}}'
	ods_expect_code 400 "PUT $u/tools/{name} with a bad URL"
	ods_req PUT "$u/tools/no_such_tool" "${A[@]}" "${J[@]}" -d '{}'
	ods_expect_code 404 "PUT $u/tools/{name} unknown"
	ods_req DELETE "$u/tools/$r" "${V[@]}"
	ods_expect_code 403 "DELETE $u/tools/{name} by a viewer"
	ods_req DELETE "$u/tools/$r" "${A[@]}"
	ods_expect_code 200 "DELETE $u/tools/{name}"
	ods_req DELETE "$u/tools/$r" "${A[@]}"
	ods_expect_code 404 "DELETE $u/tools/{name} twice"
	for r in run agent/run; do
		ods_req POST "$u/$r" "${A[@]}" "${J[@]}" \
		    -d '{"query":"What is 2*3?","agent_type":"function_calling","model":"mock-chat"}'
		ods_expect_code 200 "POST $u/$r"
		ods_req POST "$u/$r" "${A[@]}" "${J[@]}" -d '{"agent_type":"react"}'
		ods_expect_code 400 "POST $u/$r without a query"
		ods_req POST "$u/$r-stream" "${A[@]}" "${J[@]}" \
		    -d '{"query":"What is 2*3?","agent_type":"react","model":"mock-chat"}'
		ods_expect_code 200 "POST $u/$r-stream"
		ods_req POST "$u/$r-stream" "${A[@]}" "${J[@]}" -d '{"query":"x","max_iterations":0}'
		ods_expect_code 400 "POST $u/$r-stream with max_iterations 0"
	done
	# Text to SQL: no source scanned here, so its input errors.
	for r in text2sql sql/generate; do
		ods_req POST "$u/$r" "${A[@]}" "${J[@]}" -d '{"source_id":"x"}'
		ods_expect_code 400 "POST $u/$r without a question"
		ods_req POST "$u/$r" "${A[@]}" "${J[@]}" \
		    -d '{"question":"how many?","source_id":"ds-000000000000","model":"mock-chat"}'
		ods_expect_code 404 "POST $u/$r on an unknown source"
	done
}

# workflows SERVER_URL PREFIX: the workflow, execution and schedule routes
# of the agent pool (tests/integration/workflows.sh covers their
# behaviour). The run waits in a node (delay_ms), so it is stopped while
# it runs.
workflows() {
	local u=$1$2 wf ex sid def
	def='{"version":"1.0","nodes":[{"id":"in","type":"input"},{"id":"up","type":"transform","config":{"template":"hi","delay_ms":10000}},{"id":"out","type":"output","config":{"input_from":"up"}}],"edges":[{"source":"in","target":"up"},{"source":"up","target":"out"}]}'
	ods_req POST "$u/workflows" "${A[@]}" "${J[@]}" -d "{\"name\":\"contract wf\",\"type\":\"custom\",\"definition\":$def}"
	ods_expect_code 201 "POST $u/workflows"
	wf=$(ods_json .data.workflow_id)
	ods_req POST "$u/workflows" "${A[@]}" "${J[@]}" \
	    -d '{"name":"bad","definition":{"version":"1.0","nodes":[{"id":"a","type":"nope"}],"edges":[]}}'
	ods_expect_code 400 "POST $u/workflows with an invalid definition"
	ods_get "$u/workflows?page=1&page_size=5" "${A[@]}"
	ods_expect_code 200 "GET $u/workflows"
	ods_get "$u/workflows/$wf" "${A[@]}"
	ods_expect_code 200 "GET $u/workflows/$wf"
	ods_get "$u/workflows/wf-00000000" "${A[@]}"
	ods_expect_code 404 "GET an unknown workflow"
	ods_req PUT "$u/workflows/$wf" "${A[@]}" "${J[@]}" -d "{\"definition\":$def,\"comment\":\"again\"}"
	ods_expect_code 200 "PUT $u/workflows/$wf"
	ods_req PUT "$u/workflows/$wf" "${A[@]}" "${J[@]}" -d '{}'
	ods_expect_code 400 "PUT $u/workflows/$wf with nothing"
	ods_get "$u/workflows/$wf/versions" "${A[@]}"
	ods_expect_code 200 "GET $u/workflows/$wf/versions"
	ods_get "$u/workflows/$wf/versions/1" "${A[@]}"
	ods_expect_code 200 "GET $u/workflows/$wf/versions/1"
	ods_get "$u/workflows/$wf/versions/99" "${A[@]}"
	ods_expect_code 404 "GET an unknown version"
	ods_req POST "$u/workflows/$wf/versions/1/rollback" "${A[@]}"
	ods_expect_code 200 "POST $u/workflows/$wf/versions/1/rollback"
	ods_req POST "$u/workflows/$wf/start" "${J[@]}" -H "Authorization: Bearer $viewer" -d '{}'
	ods_expect_code 403 "POST $u/workflows/$wf/start as a viewer"
	ods_req POST "$u/workflows/$wf/start" "${A[@]}" "${J[@]}" -d '{"inputs":{"q":"x"}}'
	ods_expect_code 202 "POST $u/workflows/$wf/start"
	ex=$(ods_json .data.execution_id)
	ods_get "$u/workflows/$wf/status" "${A[@]}"
	ods_expect_code 200 "GET $u/workflows/$wf/status"
	ods_get "$u/workflows/$wf/status?execution_id=$ex" "${A[@]}"
	ods_expect_code 200 "GET $u/workflows/$wf/status of one run"
	ods_get "$u/workflows/$wf/executions?limit=5" "${A[@]}"
	ods_expect_code 200 "GET $u/workflows/$wf/executions"
	ods_get "$u/executions?workflow_id=$wf" "${A[@]}"
	ods_expect_code 200 "GET $u/executions"
	ods_get "$u/executions?status=bogus" "${A[@]}"
	ods_expect_code 400 "GET $u/executions with a bad status"
	ods_get "$u/executions/$ex" "${A[@]}"
	ods_expect_code 200 "GET $u/executions/$ex"
	ods_get "$u/executions/exec-000000000000" "${A[@]}"
	ods_expect_code 404 "GET an unknown execution"
	ods_req POST "$u/workflows/$wf/stop" "${A[@]}" "${J[@]}" -d '{}'
	ods_expect_code 400 "POST $u/workflows/$wf/stop without execution_id"
	ods_req POST "$u/workflows/$wf/stop" "${A[@]}" "${J[@]}" -d "{\"execution_id\":\"$ex\"}"
	ods_expect_code 200 "POST $u/workflows/$wf/stop"
	ods_req POST "$u/workflows/$wf/stop" "${A[@]}" "${J[@]}" -d "{\"execution_id\":\"$ex\"}"
	ods_expect_code 409 "POST $u/workflows/$wf/stop again"
	ods_get "$u/executions/$ex/logs?after_id=0&limit=10" "${A[@]}"
	ods_expect_code 200 "GET $u/executions/$ex/logs"
	ods_get "$u/executions/$ex/events" "${A[@]}"
	ods_expect_code 200 "GET $u/executions/$ex/events"
	ods_expect_header Content-Type '^text/event-stream' "GET $u/executions/$ex/events"
	ods_req POST "$u/workflows/$wf/schedules" "${A[@]}" "${J[@]}" -d '{"type":"event"}'
	ods_expect_code 400 "POST $u/workflows/$wf/schedules of type event"
	ods_req POST "$u/workflows/$wf/schedules" "${A[@]}" "${J[@]}" \
	    -d '{"schedule_type":"interval","interval_seconds":3600,"max_retries":1}'
	ods_expect_code 201 "POST $u/workflows/$wf/schedules"
	sid=$(ods_json .data.schedule_id)
	ods_get "$u/workflows/$wf/schedules" "${A[@]}"
	ods_expect_code 200 "GET $u/workflows/$wf/schedules"
	ods_get "$u/schedules?workflow_id=$wf&enabled=true" "${A[@]}"
	ods_expect_code 200 "GET $u/schedules"
	ods_get "$u/schedules?enabled=maybe" "${A[@]}"
	ods_expect_code 400 "GET $u/schedules with a bad enabled"
	ods_get "$u/schedules/$sid" "${A[@]}"
	ods_expect_code 200 "GET $u/schedules/$sid"
	ods_req POST "$u/schedules/$sid/pause" "${A[@]}"
	ods_expect_code 200 "POST $u/schedules/$sid/pause"
	ods_req POST "$u/schedules/$sid/resume" "${A[@]}"
	ods_expect_code 200 "POST $u/schedules/$sid/resume"
	ods_req PUT "$u/schedules/$sid/retry-config" "${A[@]}" "${J[@]}" -d '{"max_retries":2,"retry_backoff_base":3}'
	ods_expect_code 200 "PUT $u/schedules/$sid/retry-config"
	ods_req PUT "$u/schedules/$sid/retry-config" "${A[@]}" "${J[@]}" -d '{}'
	ods_expect_code 400 "PUT $u/schedules/$sid/retry-config with nothing"
	ods_req POST "$u/schedules/$sid/trigger" "${A[@]}"
	ods_expect_code 202 "POST $u/schedules/$sid/trigger"
	ods_get "$u/schedules/$sid/statistics" "${A[@]}"
	ods_expect_code 200 "GET $u/schedules/$sid/statistics"
	ods_req DELETE "$u/schedules/$sid" "${A[@]}"
	ods_expect_code 200 "DELETE $u/schedules/$sid"
	ods_get "$u/schedules/$sid" "${A[@]}"
	ods_expect_code 404 "GET a deleted schedule"
	ods_req DELETE "$u/workflows/$wf" "${A[@]}"
	ods_expect_code 200 "DELETE $u/workflows/$wf"
	ods_req DELETE "$u/workflows/$wf" "${A[@]}"
	ods_expect_code 404 "DELETE $u/workflows/$wf again"
}

# etl SERVER_URL PREFIX N: the /etl/tasks routes of the data pool (a source
# at a refused address: runs fail in ods-worker; etl.sh has real runs).
etl() {
	local u=$1$2 n=$3 ds id
	ods_req POST "$u/datasources" "${A[@]}" "${J[@]}" \
	    -d "{\"name\":\"contract etl $n\",\"type\":\"mysql\",\"connection\":{\"host\":\"169.254.169.254\",\"username\":\"u\",\"password\":\"env:ODS_DS_CONTRACT_NONE\"}}"
	ods_expect_code 201 "POST $u/datasources (for ETL)"
	ds=$(ods_json .data.source_id)
	ods_req POST "$u/etl/tasks" "${A[@]}" "${J[@]}" \
	    -d "{\"name\":\"contract $n\",\"task_type\":\"sql_transform\",\"source_id\":\"$ds\",\"source_query\":\"SELECT 1 AS one\",\"target_id\":\"$ds\",\"target_table\":\"t$n\"}"
	ods_expect_code 201 "POST $u/etl/tasks"
	id=$(ods_json .data.task_id)
	ods_req POST "$u/etl/tasks" "${A[@]}" "${J[@]}" -d '{"task_type":"export"}'
	ods_expect_code 400 "POST $u/etl/tasks without a name"
	ods_req POST "$u/etl/tasks" -H "Authorization: Bearer $viewer" "${J[@]}" -d '{"name":"v"}'
	ods_expect_code 403 "POST $u/etl/tasks as a viewer"
	ods_get "$u/etl/tasks?page=1&page_size=5&task_type=sql_transform" "${A[@]}"
	ods_expect_code 200 "GET $u/etl/tasks"
	ods_get "$u/etl/tasks/$id" "${A[@]}"
	ods_expect_code 200 "GET $u/etl/tasks/$id"
	ods_get "$u/etl/tasks/no-such-task" "${A[@]}"
	ods_expect_code 404 "GET $u/etl/tasks/no-such-task"
	ods_req PUT "$u/etl/tasks/$id" "${A[@]}" "${J[@]}" -d '{"description":"d"}'
	ods_expect_code 200 "PUT $u/etl/tasks/$id"
	ods_req POST "$u/etl/tasks/$id/start" "${A[@]}"
	ods_expect_code 202 "POST $u/etl/tasks/$id/start"
	# The run fails at once (a refused address): a second start may be
	# refused (one pending) or accepted (the first over).
	ods_req POST "$u/etl/tasks/$id/execute" "${A[@]}"
	case $HTTP_CODE in
	202|400) ods_t_ok "POST $u/etl/tasks/$id/execute: HTTP $HTTP_CODE" ;;
	*) ods_t_fail "POST $u/etl/tasks/$id/execute: HTTP $HTTP_CODE" ;;
	esac
	ods_req POST "$u/etl/tasks/$id/stop" "${A[@]}"
	case $HTTP_CODE in
	200|404) ods_t_ok "POST $u/etl/tasks/$id/stop: HTTP $HTTP_CODE" ;;
	*) ods_t_fail "POST $u/etl/tasks/$id/stop: HTTP $HTTP_CODE" ;;
	esac
	ods_get "$u/etl/tasks/$id/executions?page_size=5" "${A[@]}"
	ods_expect_code 200 "GET $u/etl/tasks/$id/executions"
	ods_get "$u/etl/tasks/$id/logs" "${A[@]}"
	ods_expect_code 200 "GET $u/etl/tasks/$id/logs"
	ods_req DELETE "$u/etl/tasks/$id" "${A[@]}"
	ods_expect_code 200 "DELETE $u/etl/tasks/$id"
}

pool "$ODS_DATA_URL" /api/v1/data
pool "$ODS_DATA_URL" /api/v1
datasources "$ODS_DATA_URL" /api/v1/data 1
datasources "$ODS_DATA_URL" /api/v1 2
metadata "$ODS_DATA_URL" /api/v1/data 1
metadata "$ODS_DATA_URL" /api/v1 2
query "$ODS_DATA_URL" /api/v1/data 1
query "$ODS_DATA_URL" /api/v1 2
datasets "$ODS_DATA_URL" /api/v1/data 1
datasets "$ODS_DATA_URL" /api/v1 2
lineage "$ODS_DATA_URL" /api/v1/data 1
lineage "$ODS_DATA_URL" /api/v1 2
quality "$ODS_DATA_URL" /api/v1/data 1
quality "$ODS_DATA_URL" /api/v1 2
etl "$ODS_DATA_URL" /api/v1/data 1
etl "$ODS_DATA_URL" /api/v1 2
pool "$ODS_AGENT_URL" /api/v1/agent
pool "$ODS_AGENT_URL" /api/v1
pool "$ODS_AGENT_URL" /api
agent "$ODS_AGENT_URL" /api/v1/agent 1
agent "$ODS_AGENT_URL" /api/v1 2
agent "$ODS_AGENT_URL" /api 3
apps "$ODS_AGENT_URL" /api/v1/agent
apps "$ODS_AGENT_URL" /api/v1
apps "$ODS_AGENT_URL" /api
prompts "$ODS_AGENT_URL" /api/v1/agent 1
prompts "$ODS_AGENT_URL" /api/v1 2
prompts "$ODS_AGENT_URL" /api 3
conv "$ODS_AGENT_URL" /api/v1/agent
conv "$ODS_AGENT_URL" /api/v1
conv "$ODS_AGENT_URL" /api
tools "$ODS_AGENT_URL" /api/v1/agent
tools "$ODS_AGENT_URL" /api/v1
tools "$ODS_AGENT_URL" /api
# The reference path (the pool's alias), and /agent/templates under the
# canonical and short prefixes.
agent_templates "$ODS_AGENT_URL/api/v1/agent/templates"
agent_templates "$ODS_AGENT_URL/api/v1/agent/agent/templates"
agent_templates "$ODS_AGENT_URL/api/agent/templates"
workflows "$ODS_AGENT_URL" /api/v1/agent
workflows "$ODS_AGENT_URL" /api/v1
workflows "$ODS_AGENT_URL" /api

# The proxy's own routes.
P=$ODS_PROXY_URL
for p in /health /healthz /api/v1/health /api/v1/healthz; do
	ods_get "$P$p"
	ods_expect_code 200 "proxy $p"
done
ods_get "$P/api/v1/usage" "${A[@]}"
ods_expect_code 200 "usage report"
ods_get "$P/api/v1/usage?from=yesterday" "${A[@]}"
ods_expect_code 400 "usage report with a bad date"
ods_get "$P/api/v1/usage" -H "Authorization: Bearer $viewer"
ods_expect_code 403 "usage report as a viewer"
ods_req POST "$P/api/v1/templates" "${A[@]}" "${J[@]}" -d '{"name":"contract-proxy","template":"Q: {{q}}"}'
ods_expect_code 201 "POST /api/v1/templates"
ods_req POST "$P/api/v1/templates" "${A[@]}" "${J[@]}" -d '{"name":"contract-proxy","template":"Q: {{q}}!"}'
ods_expect_code 200 "POST /api/v1/templates again: a new version"
ods_req POST "$P/api/v1/templates" "${A[@]}" "${J[@]}" -d '{"name":"contract-proxy"}'
ods_expect_code 400 "POST /api/v1/templates without a template"
ods_get "$P/api/v1/templates" "${A[@]}"
ods_expect_code 200 "GET /api/v1/templates"
ods_get "$P/api/v1/templates/contract-proxy" "${A[@]}"
ods_expect_code 200 "GET /api/v1/templates/contract-proxy"
ods_get "$P/api/v1/templates/no-such-template" "${A[@]}"
ods_expect_code 404 "GET /api/v1/templates/no-such-template"
ods_get "$P/v1/models" "${A[@]}"
ods_expect_code 200 "/v1/models"
ods_get "$P/v1/models"
ods_expect_code 401 "/v1/models without a token"
ods_get "$P/v1/models/mock-chat" "${A[@]}"
ods_expect_code 200 "/v1/models/mock-chat"
ods_get "$P/v1/models/no-such-model" "${A[@]}"
ods_expect_code 404 "/v1/models/no-such-model"
chat='{"model":"mock-chat","messages":[{"role":"user","content":"hi"}]}'
ods_req POST "$P/v1/chat/completions" "${A[@]}" "${J[@]}" -d "$chat"
ods_expect_code 200 "chat completion"
ods_req POST "$P/v1/chat/completions" "${A[@]}" "${J[@]}" \
    -d '{"model":"mock-chat","stream":true,"messages":[{"role":"user","content":"hi"}]}'
ods_expect_code 200 "chat completion stream"
ods_expect_header Content-Type '^text/event-stream' "chat completion stream"
ods_req POST "$P/v1/chat/completions" "${A[@]}" "${J[@]}" -d '{"model":"mock-chat"}'
ods_expect_code 400 "chat completion without messages"
ods_req POST "$P/v1/chat/completions" "${A[@]}" "${J[@]}" -d 'not json'
ods_expect_code 400 "chat completion with a bad body"
ods_req POST "$P/v1/completions" "${A[@]}" "${J[@]}" \
    -d '{"model":"mock-chat","prompt":"hi"}'
ods_expect_code 200 "completion"
ods_req POST "$P/v1/embeddings" "${A[@]}" "${J[@]}" \
    -d '{"model":"ods-hash-embed-384","input":["a b","c"]}'
ods_expect_code 200 "embeddings (float)"
ods_req POST "$P/v1/embeddings" "${A[@]}" "${J[@]}" \
    -d '{"model":"ods-hash-embed-384","input":"a b","encoding_format":"base64"}'
ods_expect_code 200 "embeddings (base64)"
ods_req POST "$P/v1/embeddings" "${A[@]}" "${J[@]}" \
    -d '{"model":"ods-hash-embed-384","input":"a","encoding_format":"hex"}'
ods_expect_code 400 "embeddings with a bad encoding"
ods_req PUT "$P/v1/models" "${A[@]}"
ods_expect_code 405 "PUT /v1/models"

# An API key as the caller: its id in /auth/me, accepted on /v1.
ods_req POST "$ODS_DATA_URL/api/v1/api-keys" "${A[@]}" "${J[@]}" \
    -d '{"name":"contract-key","owner":"contract-admin"}'
ods_expect_code 201 "API key for the caller tests"
key=$(ods_json '.data.api_key')
ods_get "$P/v1/models" -H "Authorization: Bearer $key"
ods_expect_code 200 "/v1/models with an API key"
ods_get "$ODS_DATA_URL/api/v1/auth/me" -H "Authorization: Bearer $key"
ods_expect_code 200 "/auth/me with an API key"
ods_expect_json '.data | has("api_key_id")' true "/auth/me names the key"

# /metrics of each pool.
for u in "$ODS_DATA_URL" "$ODS_AGENT_URL" "$P"; do
	ods_get "$u/metrics"
	ods_expect_code 200 "$u/metrics"
done

# Every operation answered, every answer valid.
ods_t_spec_validate --cover
ods_t_end
