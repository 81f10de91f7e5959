#!/usr/bin/env bash
# tests/integration/agent-runs.sh — what an agent run may do and spend
# (issue 18, G20–G21) through nginx, with MariaDB, Redis, the fake OpenAI
# upstream (tests/llm/mock-openai.js: "call NAME {json}; ..." in the
# query makes it call those tools; usage_tokens makes each answer cost
# that much) and a slow web server on 127.0.0.2:
#   - parallel tool calls: one answer with three http_request calls
#     (1.2 s, 1.2 s, 0.1 s) costs the slowest, not the sum; every
#     tool_start comes before the first tool_end, the fast call's
#     tool_end first; the tool messages stay in the calls' order; six
#     calls of 0.6 s take two rounds of the four threads;
#   - stored HTTP tools: POST/GET/PUT/DELETE /tools[/{name}] with their
#     validation (400 naming the field, 409, 413), RBAC (a viewer 403),
#     the owner check (another user reads it, header values hidden, and
#     may not change or delete it: 403), then listed, in /tools/schemas,
#     executed, and called by a function-calling agent;
#   - the token cap: max_tokens and ODS_AGENT_MAX_TOKENS end a run whose
#     model calls spent more (success false, the error says so); the
#     caller's own token budget (ODS_LLM_USER_BUDGET) refuses the first
#     model call (429) and a later one (the run ends, the error says so);
#   - the reference paths /api/v1/agent/run, /run-stream (unbuffered) and
#     /templates (agent templates, through the pool's path alias) reach
#     their handlers despite the /api/v1/agent prefix.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"
. "$here/../llm/lib.sh"

ods_t_begin agent-runs
ods_t_require node jq python3 curl
export JWT_SECRET_KEY=agent-runs-secret-0123456789abcdefghijklmn
export ODS_RATE_LIMIT_DEFAULT=100000/minute ODS_RATE_LIMIT_BURST=100000
ods_stack_init
ods_pick_port SLOWPORT
# A threaded web server on 127.0.0.2: GET ?ms=N answers "slept N" after N
# ms; POST echoes the body and the X-Tool-Key header.
cat >"$ODS_STACK_DIR/slow.py" <<'EOF'
import sys, time, urllib.parse
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def reply(self, text):
        b = text.encode()
        self.send_response(200)
        self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    def do_GET(self):
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        ms = int(q.get('ms', ['0'])[0])
        time.sleep(ms / 1000.0)
        self.reply('slept %d' % ms)
    def do_POST(self):
        n = int(self.headers.get('Content-Length', '0'))
        body = self.rfile.read(n).decode()
        self.reply('posted %s key=%s' % (body, self.headers.get('X-Tool-Key', '')))
ThreadingHTTPServer(('127.0.0.2', int(sys.argv[1])), H).serve_forever()
EOF
setsid python3 "$ODS_STACK_DIR/slow.py" "$SLOWPORT" >"$ODS_STACK_DIR/log/slow.log" 2>&1 &
SLOW_PID=$!
ODS_T_CLEANUP='ods_llm_mocks_stop; ods_stop_pid $SLOW_PID TERM 5'
ods_llm_mock_start MOCK mock
export VLLM_CHAT_URL=$MOCK LLM_BACKEND=vllm DEFAULT_CHAT_MODEL=mock-chat
export ODS_LLM_RETRIES=0 ODS_LLM_BREAKER_FAILURES=1000
export ODS_HTTP_TOOL_ALLOW='127.0.0.2/32'
export HTTP_TOOL_ALLOWED_DOMAINS='127.0.0.2,example.org'
export ODS_AGENT_MAX_TOKENS=15000 ODS_LLM_USER_BUDGET=40000
ods_stack_up
SLOW=http://127.0.0.2:$SLOWPORT
ods_wait_http "$SLOW/?ms=0" 200 10 || ods_t_fail "the slow server did not start"
ctl=$(ods_bin odsctl)
tok() { "$ctl" token --sub "$1" --roles "$2" --ttl 600; }
alice=(-H "Authorization: Bearer $(tok alice user)")
bob=(-H "Authorization: Bearer $(tok bob user)")
admin=(-H "Authorization: Bearer $(tok root admin)")
viewer=(-H "Authorization: Bearer $(tok vera viewer)")
J=(-H 'Content-Type: application/json')
A=$ODS_AGENT_URL/api/v1/agent
F=$ODS_AGENT_URL/api/v1
t=$ODS_STACK_DIR/t
mkdir -p "$t"
now_ms() { echo $((${EPOCHREALTIME/./} / 1000)); }
mock_mode() { curl -sf -m 5 -X POST -d "$1" "$MOCK/_mock/mode" >/dev/null; }
body() {	# QUERY [JQ-EXTRA]: an agent run's body
	jq -nc --arg q "$1" "{query:\$q, agent_type:\"function_calling\"} ${2:-}"
}
run() {	# WHO-ARRAY-NAME BODY [URL]
	local -n who=$1
	ods_req POST "${3:-$A/run}" "${who[@]}" "${J[@]}" -d "$2"
}
# stream WHO-ARRAY-NAME BODY OUT: run-stream, each frame with its arrival ms.
stream() {
	local -n who=$1
	curl -sN -m 30 -D "$3.hdr" "${who[@]}" "${J[@]}" -d "$2" "$A/run-stream" |
	    while IFS= read -r line; do
		[ -n "$line" ] && printf '%s %s\n' "$(now_ms)" "${line#data: }"
	    done >"$3"
}
ev() {	# FILE JQ: the events (JSON, one a line) through jq -r
	cut -d' ' -f2- "$1" | jq -r "$2"
}

# ------------------------------------------------- parallel tool calls
q="call http_request {\"url\":\"$SLOW/a?ms=1200\"}; call http_request {\"url\":\"$SLOW/b?ms=1200\"}; call http_request {\"url\":\"$SLOW/c?ms=100\"}"
t0=$(now_ms)
stream alice "$(body "$q")" "$t/par"
t1=$(now_ms)
[ "$(tail -n1 "$t/par" | cut -d' ' -f2- | jq -r '.success')" = true ] ||
    ods_t_fail "the parallel run: $(tail -n3 "$t/par")"
took=$((t1 - t0))
[ "$took" -ge 1150 ] || ods_t_fail "the run took $took ms: the 1.2 s calls did not run"
[ "$took" -lt 2200 ] || ods_t_fail "the run took $took ms: the calls ran one after another (2.5 s)"
ods_t_ok "three calls of 1.2, 1.2 and 0.1 s in one answer: the run took $took ms"
order=$(ev "$t/par" 'select(.type == "tool_start" or .type == "tool_end") | .type + ":" + .tool_call_id' | paste -sd, -)
case $order in
tool_start:*,tool_start:*,tool_start:*,tool_end:call_3,tool_end:*,tool_end:*) ;;
*) ods_t_fail "tool events: $order (want the three starts, then call_3's end first)" ;;
esac
ods_t_ok "the events as they happened: $order"
sent=$(curl -s "$MOCK/_mock/stats" | jq -r .last_body)
ods_expect_eq "$(jq -c '[.messages[] | select(.role == "tool") | [.tool_call_id, (.content | fromjson | .body)]]' <<<"$sent")" \
    '[["call_1","slept 1200"],["call_2","slept 1200"],["call_3","slept 100"]]' \
    "the tool messages in the calls' order"
ods_expect_eq "$(ev "$t/par" 'select(.type == "step") | .data.type' | paste -sd, -)" \
    action,action,action,observation,observation,observation,final "the steps: actions, observations in order, final"
q=
for i in 1 2 3 4 5 6; do
	q="$q${q:+; }call http_request {\"url\":\"$SLOW/$i?ms=600\"}"
done
t0=$(now_ms)
run alice "$(body "$q")"
t1=$(now_ms)
ods_expect_json .data.success true "six parallel calls"
took=$((t1 - t0))
[ "$took" -ge 1150 ] || ods_t_fail "six calls of 0.6 s took $took ms: more than four threads at once"
[ "$took" -lt 3000 ] || ods_t_fail "six calls of 0.6 s took $took ms: not four at a time"
ods_t_ok "six calls of 0.6 s on at most four threads: $took ms (two rounds)"

# --------------------------------------------------- stored HTTP tools
def() {	# NAME [JQ-EXTRA]: a definition of an echoing POST tool
	jq -nc --arg n "$1" --arg u "$SLOW/echo" "{name:\$n, description:\"echo the arguments\",
	    parameters:{type:\"object\", properties:{q:{type:\"string\", maxLength:20}}, required:[\"q\"]},
	    config:{url:\$u, method:\"POST\", headers:{\"X-Tool-Key\":\"s3cret\"}}} ${2:-}"
}
ods_req POST "$A/tools" "${alice[@]}" "${J[@]}" -d "$(def echo_it)"
ods_expect_code 201 "a stored tool"
ods_expect_json '[.data.name, .data.tool_type, .data.created_by, .data.category, .data.config.headers["X-Tool-Key"]] | tojson' \
    '["echo_it","http","alice","custom","s3cret"]' "its fields, and its owner's view of config"
ods_req POST "$F/tools" "${alice[@]}" "${J[@]}" -d "$(def echo_it)"
ods_expect_code 409 "a name taken (on the flat path too)"
bad() {	# BODY FIELD MSG [METHOD URL]
	ods_req "${4:-POST}" "${5:-$A/tools}" "${alice[@]}" "${J[@]}" -d "$1"
	ods_expect_code 400 "$3"
	ods_expect_json .field "$2" "$3: the field is named"
}
bad "$(def Echo)" name "a name outside [a-z][a-z0-9_]*"
bad "$(def calculator)" name "a built-in's name"
bad "$(def schemas)" name "the name schemas"
bad "$(def x '| del(.parameters)')" parameters "no parameters"
bad "$(def x '| .parameters.properties.q.type = "strnig"')" parameters.properties.q.type "an unknown type"
bad "$(def x '| .parameters.properties.q.pattern = "^a"')" parameters.properties.q.pattern "a keyword the check does not know"
bad "$(def x '| .config.url = "ftp://127.0.0.2/"')" config.url "not http(s)"
bad "$(def x '| .config.url = "http://169.254.169.254.nip.io/"')" config.url "a host outside HTTP_TOOL_ALLOWED_DOMAINS"
bad "$(def x '| .config.method = "DELETE"')" config.method "a method outside GET, POST"
bad "$(def x '| .config.headers = {"X-A": "a\r\nEvil: 1"}')" config.headers "a header with a line break"
bad "$(def x '| .owner = "bob"')" owner "an unknown field"
ods_req POST "$A/tools" "${alice[@]}" "${J[@]}" -d "$(def big "| .description = \"$(head -c 70000 /dev/zero | tr '\0' x)\"")"
ods_expect_code 413 "a body over 64 KiB"
ods_req POST "$A/tools" "${viewer[@]}" "${J[@]}" -d "$(def viewers)"
ods_expect_code 403 "a viewer cannot store tools"
ods_req POST "$A/tools" "${J[@]}" -d "$(def anon)"
ods_expect_code 401 "no token"

ods_req GET "$A/tools?category=custom" "${bob[@]}"
ods_expect_json '[.data.tools[].name] | join(",")' echo_it "listed, for another user too"
ods_req GET "$A/tools/schemas" "${bob[@]}"
ods_expect_json '[.data.schemas[].function.name] | index("echo_it") != null' true "in /tools/schemas"
ods_expect_json '.data.total' 7 "six built-ins and the stored one"
ods_req GET "$A/tools/schemas?names=echo_it,calculator" "${alice[@]}"
ods_expect_json '[.data.schemas[].function.name] | join(",")' echo_it,calculator "by name"
ods_expect_json '.data.schemas[0].function.parameters.required[0]' q "with its schema"
ods_req GET "$A/tools/echo_it" "${bob[@]}"
ods_expect_code 200 "another user reads it"
ods_expect_json '.data.config.headers["X-Tool-Key"]' '***' "without the header values"
ods_req GET "$F/tools/calculator" "${bob[@]}"
ods_expect_json '[.data.name, .data.tool_type] | join(",")' calculator,builtin "a built-in by name"
ods_req GET "$A/tools/no_such_tool" "${bob[@]}"
ods_expect_code 404 "an unknown tool"
ods_req PUT "$A/tools/echo_it" "${bob[@]}" "${J[@]}" -d '{"description":"mine now"}'
ods_expect_code 403 "another user may not change it"
ods_req DELETE "$A/tools/echo_it" "${bob[@]}"
ods_expect_code 403 "another user may not delete it"

ods_req POST "$A/tools/echo_it/execute" "${bob[@]}" "${J[@]}" -d '{"q":"hi there"}'
ods_expect_code 200 "a stored tool runs (for another user too)"
ods_expect_json .data.result.body 'posted {"q":"hi there"} key=s3cret' "POSTed the arguments with its headers"
ods_req POST "$A/tools/echo_it/execute" "${bob[@]}" "${J[@]}" -d '{"q":"far too long for the schema"}'
ods_expect_code 400 "its schema is checked"
ods_expect_json .field q "the argument is named"

run alice "$(body 'call echo_it {"q":"from the agent"}' '| .tools = ["echo_it"]')"
ods_expect_code 200 "an agent offered the stored tool"
ods_expect_json .data.success true "the run succeeded"
ods_expect_json '.data.steps[0].content' echo_it "the model called it"
ods_expect_json '.data.steps[1].tool_output | fromjson | .body' 'posted {"q":"from the agent"} key=s3cret' "its result came back"
ods_expect_eq "$(curl -s "$MOCK/_mock/stats" | jq -r '.last_body | fromjson | [.tools[].function.name] | join(",")')" \
    echo_it "only the tools named are offered"
run alice "$(body 'What is 2+3?')"
ods_expect_eq "$(curl -s "$MOCK/_mock/stats" | jq -r '.last_body | fromjson | [.tools[].function.name] | index("echo_it") != null')" \
    true "by default the stored tools are offered with the built-ins"
run alice "$(body 'x' '| .tools = ["no_such_tool"]')"
ods_expect_code 400 "an unknown tool offered"
ods_expect_json .field tools "tools is named"

bad '{"description":"echoes","name":"other"}' name "a rename" PUT "$A/tools/echo_it"
bad '{"config":{"url":"http://example.com/"}}' config.url "an update is checked too" PUT "$F/tools/echo_it"
ods_req PUT "$A/tools/echo_it" "${alice[@]}" "${J[@]}" -d '{"description":"echoes","enabled":false}'
ods_expect_code 200 "its owner changes it"
ods_expect_json '[.data.description, .data.enabled, .data.config.url] | tojson' "[\"echoes\",false,\"$SLOW/echo\"]" \
    "the fields given replaced, the others kept"
ods_req GET "$A/tools/echo_it" "${bob[@]}"
ods_expect_code 404 "a disabled tool is its owner's"
ods_req POST "$A/tools/echo_it/execute" "${alice[@]}" "${J[@]}" -d '{"q":"x"}'
ods_expect_code 404 "a disabled tool does not run"
ods_req PUT "$F/tools/echo_it" "${admin[@]}" "${J[@]}" -d '{"enabled":true}'
ods_expect_code 200 "an admin changes anyone's"
ods_req PUT "$A/tools/nope_nope" "${alice[@]}" "${J[@]}" -d '{"enabled":true}'
ods_expect_code 404 "no such stored tool to change"
ods_req DELETE "$ODS_AGENT_URL/api/tools/echo_it" "${alice[@]}"
ods_expect_code 200 "its owner deletes it"
ods_req GET "$A/tools/echo_it" "${alice[@]}"
ods_expect_code 404 "gone"
ods_req DELETE "$A/tools/echo_it" "${alice[@]}"
ods_expect_code 404 "deleted once"

# ----------------------------------------------------------- token cap
mock_mode '{"mode":"ok","usage_tokens":5000}'
carol=(-H "Authorization: Bearer $(tok carol user)")
run carol "$(body 'What is 2+3?' '| .max_tokens = 4000')"
ods_expect_code 200 "a run over its max_tokens"
ods_expect_json '[.data.success, .data.iterations, .data.total_tokens] | tojson' '[false,1,5012]' \
    "it stopped after the model call that spent 5012 tokens"
ods_expect_json .data.error 'token limit reached (5012 of 4000)' "the error says so"
run carol "$(body 'x' '| .max_tokens = 20000')"
ods_expect_code 400 "max_tokens over ODS_AGENT_MAX_TOKENS"
ods_expect_json .field max_tokens "max_tokens is named"
mock_mode '{"mode":"ok","usage_tokens":16000}'
dave=(-H "Authorization: Bearer $(tok dave user)")
run dave "$(body 'What is 2+3?')"
ods_expect_json '[.data.success, .data.total_tokens, .data.error] | tojson' \
    '[false,16012,"token limit reached (16012 of 15000)"]' "ODS_AGENT_MAX_TOKENS is the default cap"

# The caller's own budget (ODS_LLM_USER_BUDGET=40000 a day).
day=$(date -u +%Y%m%d)
eve=(-H "Authorization: Bearer $(tok eve user)")
ods_redis_cli SET "ods:budget:u:eve:$day" 40000 EX 90000 >/dev/null || ods_t_fail "cannot spend eve's budget"
mock_mode '{"mode":"ok","usage_tokens":0}'
run eve "$(body 'What is 2+3?')"
ods_expect_code 429 "the first model call over the caller's budget"
ods_expect_json '.message | test("token budget")' true "it says which limit"
frank=(-H "Authorization: Bearer $(tok frank user)")
ods_redis_cli SET "ods:budget:u:frank:$day" 38000 EX 90000 >/dev/null || ods_t_fail "cannot spend frank's budget"
mock_mode '{"mode":"ok","usage_tokens":3000}'
run frank "$(body 'What is 2+3?')"
mock_mode '{"mode":"ok","usage_tokens":0}'
ods_expect_code 200 "a later model call over the caller's budget ends the run"
ods_expect_json '[.data.success, .data.iterations] | tojson' '[false,2]' "the second call was refused"
ods_expect_json '.data.error | test("token budget of 40000 tokens per day")' true "the error says which limit"
ods_expect_eq "$(ods_redis_cli GET "ods:budget:u:frank:$day")" 41012 "the budget holds what the first call cost, nothing of the refused one"

# ----------------------------------------------------- reference paths
run alice '{"query":"What is 6*7?","agent_type":"function_calling"}' "$ODS_AGENT_URL/api/v1/agent/run"
ods_expect_code 200 "POST /api/v1/agent/run"
ods_expect_json '[.data.answer, .data.agent_type] | join("|")' 'The answer is 42.|function_calling' "reaches the agent's run"
mock_mode '{"mode":"slow","delay_ms":500}'
t0=$(now_ms)
curl -sN -m 30 -D "$t/ref.hdr" "${alice[@]}" "${J[@]}" -d '{"query":"What is 6*7?","agent_type":"function_calling"}' \
    "$ODS_AGENT_URL/api/v1/agent/run-stream" | while IFS= read -r line; do
	[ -n "$line" ] && printf '%s %s\n' "$(now_ms)" "${line#data: }"
    done >"$t/ref"
mock_mode '{"mode":"ok","delay_ms":0}'
grep -qi '^content-type: text/event-stream' "$t/ref.hdr" || ods_t_fail "run-stream: $(cat "$t/ref.hdr")"
first=$(head -n1 "$t/ref" | cut -d' ' -f1)
last=$(tail -n1 "$t/ref" | cut -d' ' -f1)
ods_expect_eq "$(head -n1 "$t/ref" | cut -d' ' -f2- | jq -r .type),$(tail -n1 "$t/ref" | cut -d' ' -f2- | jq -r .answer)" \
    'start,The answer is 42.' "POST /api/v1/agent/run-stream reaches the agent's stream"
[ $((first - t0)) -lt 400 ] && [ $((last - first)) -ge 900 ] ||
    ods_t_fail "run-stream buffered: start at +$((first - t0)) ms, end $((last - first)) ms later"
ods_t_ok "its start came at +$((first - t0)) ms, its end $((last - first)) ms later: not buffered by nginx"
# /templates: the reference's /api/v1/agent/templates is agent-api's
# agent templates, which the pool's path alias reaches
# (agent-templates.sh tests them); the prompt templates of reference §5
# stay at /api/v1/templates.
ods_req POST "$ODS_AGENT_URL/api/v1/templates" "${admin[@]}" "${J[@]}" -d '{"name":"runs_tpl","template":"Hello {{ who }}"}'
ods_expect_code 201 "a prompt template"
ods_req GET "$ODS_AGENT_URL/api/v1/templates/runs_tpl" "${admin[@]}"
ods_expect_json .data.template 'Hello {{ who }}' "GET /api/v1/templates/{name}: the prompt template"
ods_req POST "$ODS_AGENT_URL/api/v1/agent/templates" "${alice[@]}" "${J[@]}" -d '{"name":"runs agent","tools":["calculator"]}'
ods_expect_code 201 "POST /api/v1/agent/templates: an agent template"
ods_expect_json '.data.template_id | startswith("atpl-")' true "reaches the agent templates"

ods_t_end
