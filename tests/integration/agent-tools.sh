#!/usr/bin/env bash
# tests/integration/agent-tools.sh — tools, agents and text to SQL
# (issue 18, reference §4.3 G20–G22) through nginx, with MariaDB, Redis
# and the fake OpenAI upstream (tests/llm/mock-openai.js answers with
# tool_calls and in ReAct's format):
#   - GET /tools (category), /tools/schemas (names; unknown 404);
#   - POST /tools/{name}/execute: calculator, datetime, http_request to an
#     allowed address, refused for 127.0.0.1, 169.254.169.254 and [::1]
#     (403, even with 169.254/16 in ODS_HTTP_TOOL_ALLOW) and for a host
#     outside HTTP_TOOL_ALLOWED_DOMAINS; argument validation 400s naming
#     the argument; an unknown tool 404;
#   - /agent/run function_calling: the model calls calculator, then
#     answers with its result (also two calls in one answer); react and
#     plan_execute; the reference path /api/v1/agent/run;
#   - /agent/run-stream: events in order, flushed as they happen (the
#     model slowed down: timing asserted);
#   - text to SQL on a MariaDB fixture with a scanned catalog: the SQL
#     from the catalog's tables and columns (the relevant ones of 14),
#     validated by EXPLAIN (confidence), refused when not read-only,
#     executed on request; the sql_query and text_to_sql tools;
#   - RBAC: a viewer lists tools but cannot execute (403); no token 401;
# every JSON answer checked against openapi/openapi.yaml.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"
. "$here/../llm/lib.sh"

ods_t_begin agent-tools
ods_t_require node jq python3 curl
export JWT_SECRET_KEY=agent-tools-secret-0123456789abcdefghijkl
export ODS_RATE_LIMIT_DEFAULT=100000/minute ODS_RATE_LIMIT_BURST=100000
ods_stack_init
ods_pick_port WEBPORT
# A web server on 127.0.0.2: an address ODS_HTTP_TOOL_ALLOW opens.
mkdir -p "$ODS_STACK_DIR/www"
echo 'hello from the allowed host' >"$ODS_STACK_DIR/www/hello.txt"
setsid python3 -m http.server --bind 127.0.0.2 --directory \
    "$ODS_STACK_DIR/www" "$WEBPORT" >"$ODS_STACK_DIR/log/www.log" 2>&1 &
WEB_PID=$!
ODS_T_CLEANUP='ods_llm_mocks_stop; ods_stop_pid $WEB_PID TERM 5'
ods_llm_mock_start MOCK mock
export VLLM_CHAT_URL=$MOCK LLM_BACKEND=vllm DEFAULT_CHAT_MODEL=mock-chat
export ODS_LLM_RETRIES=0 ODS_LLM_BREAKER_FAILURES=1000
export ODS_HTTP_TOOL_ALLOW='127.0.0.2/32 169.254.0.0/16'
export HTTP_TOOL_ALLOWED_DOMAINS='127.0.0.2,127.0.0.1,169.254.169.254,::1,localhost'
export ODS_SECRET_KEY=$(head -c 32 /dev/urandom | base64)
export ODS_DATASOURCE_ALLOW='127.0.0.1/32'
PW=T2s-$(ods_secret 20)
ods_stack_up
ods_wait_http "http://127.0.0.2:$WEBPORT/hello.txt" 200 10 ||
    ods_t_fail "the web server on 127.0.0.2 did not start"
ctl=$(ods_bin odsctl)
tok() { "$ctl" token --sub "$1" --roles "$2" --ttl 600; }
alice=(-H "Authorization: Bearer $(tok alice user)")
viewer=(-H "Authorization: Bearer $(tok vera viewer)")
J=(-H 'Content-Type: application/json')
A=$ODS_AGENT_URL/api/v1
t=$ODS_STACK_DIR/t
mkdir -p "$t"
now_ms() { echo $((${EPOCHREALTIME/./} / 1000)); }
mock_mode() { curl -sf -m 5 -X POST -d "$1" "$MOCK/_mock/mode" >/dev/null; }
exec_tool() {	# NAME BODY [WHO-ARRAY-NAME]
	local -n who=${3:-alice}
	ods_req POST "$A/tools/$1/execute" "${who[@]}" "${J[@]}" -d "$2"
}

# ------------------------------------------------------------ listing
ods_req GET "$A/tools" "${alice[@]}"
ods_expect_code 200 "list tools"
ods_expect_json '[.data.tools[].name] | sort | join(",")' \
    'calculator,datetime,http_request,sql_query,text_to_sql,vector_search' "the built-in tools"
ods_expect_json '.data.tools[] | select(.name == "calculator") | .parameters.required[0]' \
    expression "a tool carries its JSON schema"
ods_req GET "$A/tools?category=utility" "${alice[@]}"
ods_expect_json '.data.total' 2 "category filters"
ods_req GET "$ODS_AGENT_URL/api/v1/agent/tools/schemas" "${alice[@]}"
ods_expect_code 200 "schemas under the canonical prefix"
ods_expect_json '.data.schemas[0].type' function "OpenAI function schemas"
ods_req GET "$A/tools/schemas?names=calculator,datetime" "${alice[@]}"
ods_expect_json '[.data.schemas[].function.name] | join(",")' calculator,datetime "schemas by name"
ods_req GET "$A/tools/schemas?names=calculator,nope" "${alice[@]}"
ods_expect_code 404 "an unknown name in the schemas"
ods_req GET "$ODS_DATA_URL/api/v1/tools" "${alice[@]}"
ods_expect_code 200 "the flat /api/v1/tools on the Data API server too"
ods_req GET "$A/tools" "${viewer[@]}"
ods_expect_code 200 "a viewer lists tools"
ods_req GET "$A/tools"
ods_expect_code 401 "no token"

# ------------------------------------------------------------ execute
exec_tool calculator '{"expression":"(2+3)*4 - 2^3"}'
ods_expect_code 200 "calculator"
ods_expect_json .data.result.result 12 "(2+3)*4 - 2^3 = 12"
exec_tool calculator '{"arguments":{"expression":"round(sqrt(2), 3)"}}'
ods_expect_json .data.result.result 1.414 "{arguments:{...}} is accepted too"
exec_tool calculator '{"expression":"1/0"}'
ods_expect_code 400 "division by zero"
ods_expect_json .field expression "the field is named"
exec_tool calculator '{"expression":"__import__(\"os\")"}'
ods_expect_code 400 "no eval"
exec_tool calculator '{}'
ods_expect_code 400 "a missing argument"
ods_expect_json .field expression "the missing argument is named"
exec_tool calculator '{"expression":42}'
ods_expect_code 400 "a mistyped argument"
ods_expect_json '.message | test("type string")' true "the type is said"
exec_tool datetime '{"operation":"add","date":"2024-02-28","days":2,"timezone":"Europe/Berlin"}'
ods_expect_code 200 "datetime add"
ods_expect_json .data.result.date 2024-03-01 "a leap year's 29 February is counted"
exec_tool datetime '{"operation":"now","timezone":"Asia/Tokyo"}'
ods_expect_json .data.result.utc_offset_seconds 32400 "now in Tokyo is UTC+9"
exec_tool datetime '{"operation":"yesterday"}'
ods_expect_code 400 "an operation outside the enum"
ods_expect_json .field operation "the enum's argument is named"
exec_tool datetime '{"operation":"add","date":"2024-02-28","days":"2"}'
ods_expect_code 400 "an integer as a string"
ods_expect_json .field days "days is named"
exec_tool nope '{}'
ods_expect_code 404 "an unknown tool"
exec_tool calculator '{"expression":"1+1"}' viewer
ods_expect_code 403 "a viewer cannot execute"

# http_request: the allowed host, and the refusals.
exec_tool http_request "{\"url\":\"http://127.0.0.2:$WEBPORT/hello.txt\"}"
ods_expect_code 200 "http_request to an allowed address"
ods_expect_json .data.result.status 200 "the status"
ods_expect_json '.data.result.body | startswith("hello from the allowed host")' true "the body"
for u in "http://127.0.0.1:$ODS_AGENT_PORT/api/v1/health" \
    "http://169.254.169.254/latest/meta-data/" "http://[::1]:$ODS_AGENT_PORT/" \
    "http://localhost:$ODS_AGENT_PORT/"; do
	exec_tool http_request "{\"url\":\"$u\"}"
	ods_expect_code 403 "http_request to $u is refused"
	ods_expect_json .error destination_refused "refused: $(ods_json .message)"
done
exec_tool http_request '{"url":"http://example.org/"}'
ods_expect_code 403 "a host outside HTTP_TOOL_ALLOWED_DOMAINS"
exec_tool http_request '{"url":"ftp://127.0.0.2/"}'
ods_expect_code 400 "not http(s)"
exec_tool http_request "{\"url\":\"http://127.0.0.2:$WEBPORT/\",\"method\":\"DELETE\"}"
ods_expect_code 400 "a method outside the enum"

# User-defined HTTP tools: rows of the tools table.
ods_db_sql "$MYSQL_DATABASE" <<EOF || ods_t_fail "cannot store the user tools"
INSERT INTO tools (tool_id, name, description, category, tool_type, parameters, config) VALUES
 ('tool-hello', 'hello_page', 'the allowed host''s page', 'custom', 'http',
  '{"type":"object","properties":{"q":{"type":"string","maxLength":5}},"required":["q"]}',
  '{"url":"http://127.0.0.2:$WEBPORT/hello.txt","method":"GET"}'),
 ('tool-meta', 'metadata_peek', 'refused', 'custom', 'http', NULL,
  '{"url":"http://169.254.169.254/latest/meta-data/","method":"GET"}'),
 ('tool-off', 'disabled_one', 'off', 'custom', 'http', NULL, '{"url":"http://127.0.0.2/"}');
UPDATE tools SET enabled = 0 WHERE name = 'disabled_one';
EOF
ods_req GET "$A/tools?category=custom" "${alice[@]}"
ods_expect_json '[.data.tools[].name] | join(",")' hello_page,metadata_peek "stored tools are listed (the disabled one not)"
exec_tool hello_page '{"q":"hi"}'
ods_expect_code 200 "a stored HTTP tool"
ods_expect_json '.data.result.body | startswith("hello from the allowed host")' true "it called its URL"
exec_tool hello_page '{"q":"too long"}'
ods_expect_code 400 "a stored tool's schema is checked"
ods_expect_json .field q "the argument is named"
exec_tool metadata_peek '{}'
ods_expect_code 403 "a stored tool is held to the address policy"
exec_tool disabled_one '{}'
ods_expect_code 404 "a disabled tool"

# ------------------------------------------------------------- agents
run() {	# BODY [URL]
	ods_req POST "${2:-$A/agent/run}" "${alice[@]}" "${J[@]}" -d "$1"
}
run '{"query":"What is (2+3)*4?","agent_type":"function_calling"}'
ods_expect_code 200 "function calling"
ods_expect_json .data.success true "the run succeeded"
ods_expect_json .data.answer 'The answer is 20.' "the answer uses the tool's result"
ods_expect_json '[.data.steps[].type] | join(",")' action,observation,final "action, observation, final"
ods_expect_json '.data.steps[0].content' calculator "the model called calculator"
ods_expect_json '.data.steps[1].tool_output | fromjson | .result' 20 "the observation is the result"
ods_expect_json .data.iterations 2 "two model calls"
sent=$(curl -s "$MOCK/_mock/stats" | jq -r .last_body)
ods_expect_eq "$(jq -c '[.messages[-1].role, .messages[-1].tool_call_id, (.tools | length)]' <<<"$sent")" \
    '["tool","call_1",8]' "the tool's result went back as a tool message, tools offered (built-in and stored)"
run '{"query":"in parallel: 6*7","agent_type":"function_calling"}'
ods_expect_json .data.answer 'The answer is 42 and 84.' "two tool calls in one answer"
run '{"query":"What is 6*7?","agent_type":"react","max_iterations":3}'
ods_expect_code 200 "react"
ods_expect_json .data.answer 'The answer is 42.' "ReAct: action, observation, final answer"
ods_expect_json '[.data.steps[].type] | join(",")' thought,action,observation,thought,final "ReAct's steps"
run '{"query":"What is 9*9?","agent_type":"plan_execute"}' "$ODS_AGENT_URL/api/v1/agent/run"
ods_expect_code 200 "plan_execute on the reference path /api/v1/agent/run"
ods_expect_json '.data.steps[0].type' plan "a plan first"
ods_expect_json .data.answer 'The answer is 81.' "then executed"
run '{"query":"What is 2+2?","agent_type":"function_calling","max_iterations":1}'
ods_expect_json '[.data.success, .data.error]|tojson' '[false,"no answer within 1 iterations"]' \
    "max_iterations ends the run"
run '{"agent_type":"react"}'
ods_expect_code 400 "no query"
ods_expect_json .field query "query is named"
run '{"query":"x","agent_type":"magic"}'
ods_expect_json .field agent_type "agent_type is named"
run '{"query":"x","max_iterations":99}'
ods_expect_json .field max_iterations "max_iterations is named"
run '{"query":"x","tools":["calculator","nope"]}'
ods_expect_code 400 "an unknown tool offered"
run '{"query":"x","model":"no-such-model"}'
ods_expect_json .field model "an unknown model"
ods_req POST "$A/agent/run" "${viewer[@]}" "${J[@]}" -d '{"query":"x"}'
ods_expect_code 403 "a viewer cannot run agents"

# The caller's limits: "broke" has used up this minute's requests.
broke=(-H "Authorization: Bearer $(tok broke user)")
min=$(($(date +%s) / 60))
for m in $min $((min + 1)); do
	ods_redis_cli SET "ods:rpm:u:broke:$m" 1000 EX 180 >/dev/null ||
	    ods_t_fail "cannot fill broke's counter"
done
ods_req POST "$A/agent/run" "${broke[@]}" "${J[@]}" -d '{"query":"What is 1+1?","agent_type":"function_calling"}'
ods_expect_code 429 "an agent run over the caller's rate limit"
[ -n "$(ods_header Retry-After)" ] || ods_t_fail "no Retry-After on the 429"
curl -sN -m 30 "${broke[@]}" "${J[@]}" -d '{"query":"What is 1+1?"}' \
    "$ODS_AGENT_URL/api/v1/agent/run-stream" | sed -n 's/^data: //p' >"$t/broke"
ods_expect_eq "$(jq -r .type "$t/broke" | paste -sd, -)" start,iteration,status,error,end \
    "run-stream over the limit: an error event, then end"
ods_expect_eq "$(tail -n1 "$t/broke" | jq -c '[.success, (.error | test("limit|[Rr]ate"))]')" \
    '[false,true]' "the end says why"

# ------------------------------------------------------------- stream
mock_mode '{"mode":"slow","delay_ms":400}'
t0=$(now_ms)
curl -sN -m 30 -D "$t/hdr" "${alice[@]}" "${J[@]}" \
    -d '{"query":"What is (1+2)*3?","agent_type":"function_calling"}' \
    "$ODS_AGENT_URL/api/v1/agent/run-stream" |
    while IFS= read -r line; do
	[ -n "$line" ] && printf '%s %s\n' "$(now_ms)" "$line"
    done >"$t/sse"
mock_mode '{"mode":"ok","delay_ms":0}'
grep -qi '^content-type: text/event-stream' "$t/hdr" || ods_t_fail "not text/event-stream: $(cat "$t/hdr")"
types=$(sed 's/^[0-9]* data: //' "$t/sse" | jq -r '.type + (if .type == "step" then ":" + .data.type else "" end)' | paste -sd, -)
ods_expect_eq "$types" \
    start,iteration,status,step:action,tool_start,tool_end,step:observation,iteration,status,step:final,end \
    "the events in order"
at() { grep -m1 " data: {\"type\":\"$1\"" "$t/sse" | cut -d' ' -f1; }
first=$(at start); tool=$(at tool_start); last=$(at end)
[ $((first - t0)) -lt 300 ] || ods_t_fail "start came $((first - t0)) ms after the request: buffered"
[ $((tool - first)) -ge 350 ] || ods_t_fail "tool_start came $((tool - first)) ms after start: not after the model's 400 ms"
[ $((last - tool)) -ge 350 ] || ods_t_fail "end came $((last - tool)) ms after tool_start"
ods_t_ok "start at +$((first - t0)) ms, tool_start at +$((tool - t0)) ms, end at +$((last - t0)) ms: each flushed as it happened"
tail -n1 "$t/sse" | cut -d' ' -f2- | sed 's/^data: //' | jq -e '.success == true and .answer == "The answer is 9." and .iterations == 2' >/dev/null ||
    ods_t_fail "the end event: $(tail -n1 "$t/sse")"
ods_t_ok "the end event carries the answer"
ods_req POST "$ODS_AGENT_URL/api/v1/agent/agent/run-stream" "${alice[@]}" "${J[@]}" -d '{"agent_type":"react"}'
ods_expect_code 400 "run-stream: bad input before the stream"

# -------------------------------------------------------- text to SQL
{
	cat <<EOF
CREATE DATABASE IF NOT EXISTS t2s_shop;
CREATE USER IF NOT EXISTS 't2suser'@'127.0.0.1' IDENTIFIED BY '$PW';
GRANT SELECT ON t2s_shop.* TO 't2suser'@'127.0.0.1';
CREATE TABLE t2s_shop.customers (
  id INT NOT NULL AUTO_INCREMENT COMMENT 'customer key',
  email VARCHAR(255) NOT NULL COMMENT 'contact address',
  PRIMARY KEY (id)) COMMENT='people who buy';
CREATE TABLE t2s_shop.invoices (id INT PRIMARY KEY,
  customer_id INT NOT NULL COMMENT 'who pays', amount DECIMAL(10,2))
  COMMENT='bills sent';
INSERT INTO t2s_shop.customers (email) VALUES ('a@x'), ('b@x'), ('c@x');
EOF
	for i in $(seq 1 12); do
		echo "CREATE TABLE t2s_shop.misc_$i (id INT PRIMARY KEY, note TEXT);"
	done
} | ods_db_sql || ods_t_fail "cannot make the MariaDB fixture"
eng=(-H "Authorization: Bearer $(tok erin data_engineer)")
D=$ODS_DATA_URL/api/v1
ods_req POST "$D/datasources" "${eng[@]}" "${J[@]}" -d "{\"source_id\":\"t2s-my\",\"name\":\"shop\",\"type\":\"mariadb\",\"visibility\":\"public\",\"connection\":{\"host\":\"127.0.0.1\",\"port\":$ODS_DB_PORT,\"username\":\"t2suser\",\"password\":\"$PW\",\"database\":\"t2s_shop\"}}"
ods_expect_code 201 "a MariaDB source"
ods_req POST "$A/text2sql" "${alice[@]}" "${J[@]}" -d '{"natural_language":"How many customers?","source_id":"t2s-my"}'
ods_expect_code 404 "text2sql before the catalog was scanned"
ods_expect_json '.message | test("scan")' true "it says to scan first"
ods_req POST "$D/metadata/scan" "${eng[@]}" "${J[@]}" -d '{"source_id":"t2s-my"}'
ods_expect_code 202 "scan queued"
job=$(ods_json .data.job_id)
ods_wait_until 30 eval 'ods_req GET "$D/metadata/scan/$job/result" "${eng[@]}"; [ "$(ods_json .data.status)" = succeeded ]' ||
    ods_t_fail "the scan did not succeed: $HTTP_BODY"
ods_t_ok "the catalog is scanned"

t2s() {	# URL BODY
	ods_req POST "$1" "${alice[@]}" "${J[@]}" -d "$2"
}
t2s "$A/text2sql" '{"natural_language":"How many customers are there?","source_id":"t2s-my"}'
ods_expect_code 200 "text2sql"
ods_expect_json .data.sql 'SELECT COUNT(*) AS n FROM customers' "the SQL, code fences and ';' stripped"
ods_expect_json '[.data.validated, .data.confidence] | tojson' '[true,0.9]' "validated by EXPLAIN"
ods_expect_json '.data.tables_used | index("customers") != null' true "the tables used"
ods_expect_json .data.dialect mysql "the dialect"
sys=$(curl -s "$MOCK/_mock/stats" | jq -r '.last_body | fromjson | .messages[0].content')
grep -q 'email varchar(255) -- contact address' <<<"$sys" || ods_t_fail "the column and its comment are not in the context: $sys"
grep -Eq 'id int(\(11\))? PRIMARY KEY' <<<"$sys" || ods_t_fail "the primary key is not in the context: $sys"
n=$(grep -c '^Table: ' <<<"$sys")
[ "$n" -le 8 ] || ods_t_fail "$n tables in the context: not the relevant ones"
ods_t_ok "the context: $n of 14 tables, columns with types, keys and comments"
t2s "$A/sql/generate" '{"question":"list the invoices","database":"t2s_shop","execute":true}'
ods_expect_code 200 "/sql/generate by database, executed"
ods_expect_json .data.sql 'SELECT * FROM invoices' "the relevant table of 14"
ods_expect_json '.data.result.columns | join(",")' id,customer_id,amount "the columns of the run"
# A question that names no table, only a column (invoices.amount): the
# retrieval over each table's columns puts invoices first in the context
# (the mock model answers from the first table when none is named).
t2s "$A/text2sql" '{"natural_language":"the total amount billed","source_id":"t2s-my"}'
ods_expect_code 200 "text2sql by a column's name"
ods_expect_json '[.data.sql, .data.tables_used[0]] | tojson' '["SELECT * FROM invoices","invoices"]' \
    "the table whose column the question names comes first"
t2s "$A/text2sql" '{"natural_language":"how many customers","source_id":"t2s-my","execute":true}'
ods_expect_json '.data.result.rows[0][0]' 3 "executed: the count"
t2s "$A/text2sql" '{"natural_language":"the bogus customers","source_id":"t2s-my"}'
ods_expect_code 200 "SQL the database refuses"
ods_expect_json '[.data.validated, .data.confidence] | tojson' '[false,0.2]' "not validated: low confidence"
ods_expect_json '.data.validation_error | test("bogus_column")' true "the database's words"
kinds=$(ods_db_sql "$MYSQL_DATABASE" -e "SELECT GROUP_CONCAT(kind ORDER BY kind) FROM query_history WHERE user_id = 'alice'") ||
    ods_t_fail "query_history"
[ "$kinds" = select,select ] ||
    ods_t_fail "alice's query history holds '$kinds', not only her two runs"
ods_t_ok "her query history holds the two runs she asked for, not the EXPLAINs made to validate"
t2s "$A/text2sql" '{"natural_language":"drop the customers","source_id":"t2s-my"}'
ods_expect_code 400 "a statement that is not read-only"
ods_expect_json .code 40003 "refused by the query gate"
t2s "$A/text2sql" '{"source_id":"t2s-my"}'
ods_expect_json .field natural_language "no question"
t2s "$A/text2sql" '{"natural_language":"x"}'
ods_expect_json .field source_id "no source"
t2s "$A/text2sql" '{"natural_language":"x","source_id":"ds-000000000000"}'
ods_expect_code 404 "an unknown source"
t2s "$A/text2sql" '{"natural_language":"x","source_id":"t2s-my","selected_tables":["nope"]}'
ods_expect_json .field selected_tables "selected tables that do not exist"
ods_req POST "$A/text2sql" "${viewer[@]}" "${J[@]}" -d '{"natural_language":"x","source_id":"t2s-my"}'
ods_expect_code 403 "a viewer cannot generate SQL"
exec_tool sql_query '{"source_id":"t2s-my","sql":"SELECT email FROM customers ORDER BY id","limit":2}'
ods_expect_code 200 "sql_query"
ods_expect_json '[.data.result.rows[][0]] | join(",")' 'a@x,b@x' "the rows, capped"
ods_expect_json .data.result.truncated true "truncated at the limit"
exec_tool sql_query '{"source_id":"t2s-my","sql":"DELETE FROM customers"}'
ods_expect_code 400 "sql_query refuses a write"
exec_tool text_to_sql '{"question":"how many customers","source_id":"t2s-my","execute":true}'
ods_expect_code 200 "the text_to_sql tool"
ods_expect_json .data.result.result.rows[0][0] 3 "its rows"

# -------------------------------------------------------------- usage
sql() { ods_db_sql "$MYSQL_DATABASE" -e "$1"; }
usage() { sql "SELECT COUNT(*) FROM api_usage WHERE service = 'agent-api' AND endpoint LIKE '/agent/run%' AND user_id = 'alice'"; }
ods_wait_until 10 eval '[ "$(usage)" -ge 8 ]' ||
    ods_t_fail "agent model calls in api_usage: $(usage)"
ods_t_ok "every agent model call is an api_usage row ($(usage))"

ods_t_end
