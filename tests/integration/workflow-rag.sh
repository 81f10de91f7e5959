#!/usr/bin/env bash
# tests/integration/workflow-rag.sh — the built-in RAG workflow (input ->
# retriever -> llm -> output, svc/agent/wf.h) on a real knowledge base,
# run by the workflow_run job against a fake OpenAI upstream
# (tests/llm/mock-openai.js, paced): the retriever finds the passages of
# alice's knowledge base, the model gets them with the question, the
# answer is the run's output, and the model's pieces reach the run's
# event stream as llm_delta events while it writes (paced, not at the
# end). Then a retriever on bob's knowledge base as alice: not found
# (the run creator's identity), an llm node whose upstream node failed
# fails too; with 127.0.0.1 allowed (ODS_HTTP_TOOL_ALLOW) an http node
# reaches the mock, and against a model that never answers the node's
# timeout_ms and retries hold (two attempts of 500 ms), and a stop during
# a streaming llm node ends the job within 2 s with the row stopped; a
# database node reads a data source alice may read (the SQL rendered),
# and a write is refused; an agent node calls the calculator through the
# model's tool_calls and answers.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"
. "$here/../llm/lib.sh"

ods_t_begin workflow-rag
ods_t_require node jq
export JWT_SECRET_KEY=wf-rag-secret-0123456789abcdefghijklmnop
export ODS_RATE_LIMIT_DEFAULT=100000/minute ODS_RATE_LIMIT_BURST=100000
export ODS_WORKER_WORKERS=1 ODS_WORKER_CONCURRENCY=2
ods_stack_init
ODS_T_CLEANUP='ods_llm_mocks_stop'
ods_llm_mock_start MOCK mock --pace-ms 150 --chunks 8
export VLLM_CHAT_URL=$MOCK LLM_BACKEND=vllm DEFAULT_CHAT_MODEL=mock-chat
export ODS_LLM_RETRIES=0 ODS_LLM_BREAKER_FAILURES=1000
export ODS_HTTP_TOOL_ALLOW=127.0.0.1/32 ODS_DATASOURCE_ALLOW=127.0.0.1/32
export ODS_SECRET_KEY=$(head -c 32 /dev/urandom | base64)
ods_stack_up
ctl=$(ods_bin odsctl)
alice=(-H "Authorization: Bearer $("$ctl" token --sub alice --roles user --ttl 600)")
bob=(-H "Authorization: Bearer $("$ctl" token --sub bob --roles user --ttl 600)")
J=(-H 'Content-Type: application/json')
A=$ODS_AGENT_URL/api/v1
sql() { ods_db_sql "$MYSQL_DATABASE" -e "$1"; }
status() { sql "SELECT status FROM workflow_executions WHERE execution_id = '$1'"; }
ended() { case $(status "$1") in completed | failed | stopped) return 0 ;; esac; return 1; }
mock_stats() { curl -s -m 5 "$MOCK/_mock/stats"; }

# mkexec ID OWNER INPUTS [DEFINITION]: no definition: the built-in graph.
mkexec() {
	local d=NULL
	[ -n "${4:-}" ] && d="'$4'"
	sql "INSERT INTO workflow_executions (execution_id, workflow_id,
	    status, inputs, definition, created_by, triggered_by) VALUES
	    ('$1', 'wf-rag00001', 'pending', '$3', $d, '$2', 'test')" ||
	    ods_t_fail "insert $1"
	"$ctl" jobs enqueue workflow_run --created-by "$2" --key "$1" \
	    --payload "{\"execution_id\":\"$1\"}" >/dev/null || ods_t_fail "enqueue $1"
}

ods_req POST "$A/knowledge-bases" "${alice[@]}" "${J[@]}" -d '{"name":"Ops"}'
ods_expect_code 201 "alice's knowledge base"
kb=$(ods_json .data.knowledge_base_id)
up() {	# WHO KB CONTENT FILE
	local who=$1
	shift
	if [ "$who" = alice ]; then h=("${alice[@]}"); else h=("${bob[@]}"); fi
	ods_req POST "$A/documents/upload" "${h[@]}" "${J[@]}" -d "$(jq -n \
	    --arg c "$2" --arg f "$3" --arg kb "$1" \
	    '{content:$c, file_name:$f, title:$f, knowledge_base_id:$kb}')"
	ods_expect_code 201 "upload $3"
}
up alice "$kb" "Database backups are kept for thirty days in the object store, encrypted with the backup key." keep.txt
up alice "$kb" "When the error rate passes five percent, the on-call engineer is paged." alerts.txt
ods_req POST "$A/knowledge-bases" "${bob[@]}" "${J[@]}" -d '{"name":"Bob"}'
ods_expect_code 201 "bob's knowledge base"
bkb=$(ods_json .data.knowledge_base_id)
up bob "$bkb" "Bob's secret: the vault code is 1234." secret.txt
indexed() { [ "$(sql "SELECT COUNT(*) FROM indexed_documents WHERE status = 'indexed'")" -ge 3 ]; }
ods_wait_until 30 indexed || ods_t_fail "the documents were not indexed"

# ---- the built-in RAG graph ----------------------------------------------
Q='how long are database backups kept'
curl -sf -X POST "$MOCK/_mock/reset-stats" >/dev/null
mkexec exec-rag000000001 alice "{\"query\":\"$Q\",\"knowledge_base_id\":\"$kb\"}"
ods_wait_until 30 ended exec-rag000000001 || ods_t_fail "the RAG run did not end"
ods_expect_eq "$(status exec-rag000000001)" completed \
    "the RAG run ($(sql "SELECT error FROM workflow_executions WHERE execution_id = 'exec-rag000000001'"))"
out=$(sql "SELECT outputs FROM workflow_executions WHERE execution_id = 'exec-rag000000001'")
ods_expect_eq "$(jq -r '.output.final_result' <<<"$out")" "tok1 tok2 tok3 tok4 tok5 tok6 tok7 " \
    "the model's streamed answer is the run's output"
docs=$(sql "SELECT output FROM workflow_node_runs WHERE execution_id = 'exec-rag000000001' AND node_id = 'retriever'")
ods_expect_eq "$(jq -r '.documents[0].content' <<<"$docs" | grep -c 'thirty days')" 1 \
    "the retriever's best passage is the backups one"
ods_expect_eq "$(jq -r '.query' <<<"$docs")" "$Q" "it searched the question"
sent=$(mock_stats | jq -r .last_body)
ods_expect_eq "$(jq -r '.stream' <<<"$sent")" true "the llm node streams"
grep -q 'thirty days' <<<"$(jq -r '.messages[0].content' <<<"$sent")" ||
    ods_t_fail "the passages were not in the system prompt: $sent"
ods_expect_eq "$(jq -r '.messages[1].content' <<<"$sent")" "$Q" "the question is the user's message"
ods_t_ok "the model got the passages and the question"
# llm_delta events while the model writes: the stream's ids are ms.
ods_redis_cli XRANGE ods:wf:ev:exec-rag000000001 - + >"$ODS_STACK_DIR/ev"
deltas=$(grep -c '"type":"llm_delta"' "$ODS_STACK_DIR/ev")
[ "$deltas" -ge 3 ] || ods_t_fail "$deltas llm_delta events: $(cat "$ODS_STACK_DIR/ev")"
first=$(grep -n '"type":"llm_delta"' "$ODS_STACK_DIR/ev" | head -1 | cut -d: -f1)
last=$(grep -n '"type":"llm_delta"' "$ODS_STACK_DIR/ev" | tail -1 | cut -d: -f1)
# In XRANGE's raw output an entry is: id, field, value; so the id is
# two lines above its value.
t1=$(sed -n "$((first - 2))p" "$ODS_STACK_DIR/ev" | cut -d- -f1)
t2=$(sed -n "$((last - 2))p" "$ODS_STACK_DIR/ev" | cut -d- -f1)
[ $((t2 - t1)) -ge 500 ] || ods_t_fail "llm_delta events $((t2 - t1)) ms apart: not paced"
ods_t_ok "$deltas llm_delta events over $((t2 - t1)) ms, as the model wrote"
ods_expect_eq "$(grep '"type":"llm_delta"' "$ODS_STACK_DIR/ev" | jq -j .content)" \
    "tok1 tok2 tok3 tok4 tok5 tok6 tok7 " "the deltas carry the answer in order"

# ---- the creator's identity ------------------------------------------------
mkexec exec-rag000000002 alice "{\"query\":\"vault code\",\"knowledge_base_id\":\"$bkb\"}"
ods_wait_until 30 ended exec-rag000000002 || ods_t_fail "the second run did not end"
ods_expect_eq "$(status exec-rag000000002)" failed "alice's run on bob's knowledge base"
case $(sql "SELECT error FROM workflow_executions WHERE execution_id = 'exec-rag000000002'") in
"node 'retriever' failed: no such knowledge base"*) ods_t_ok "the retriever does not see bob's knowledge base" ;;
*) ods_t_fail "error: $(sql "SELECT error FROM workflow_executions WHERE execution_id = 'exec-rag000000002'")" ;;
esac

# ---- an llm node after a failed node -------------------------------------
def='{"version":"1.0","nodes":[{"id":"src","type":"input"},
{"id":"r","type":"retriever","config":{"knowledge_base_id":"kb-none","continue_on_error":true}},
{"id":"l","type":"llm","config":{"input_from":"r.documents"}}],
"edges":[{"source":"src","target":"r"},{"source":"r","target":"l"}]}'
mkexec exec-rag000000003 alice '{"input":"q"}' "$def"
ods_wait_until 30 ended exec-rag000000003 || ods_t_fail "the third run did not end"
ods_expect_eq "$(status exec-rag000000003)" failed "an llm node on a failed retriever"
case $(sql "SELECT error FROM workflow_node_runs WHERE execution_id = 'exec-rag000000003' AND node_id = 'l'") in
"r.documents failed: no such knowledge base"*) ods_t_ok "the upstream error is the llm node's" ;;
*) ods_t_fail "l: $(sql "SELECT error FROM workflow_node_runs WHERE execution_id = 'exec-rag000000003' AND node_id = 'l'")" ;;
esac
# ---- http allowed; a node's timeout and retries; a stop in an llm node ----
now_ms() { echo $(($(date +%s%N) / 1000000)); }
def="{\"version\":\"1.0\",\"nodes\":[{\"id\":\"src\",\"type\":\"input\"},
{\"id\":\"h\",\"type\":\"http\",\"config\":{\"url\":\"$MOCK/v1/models\"}}],
\"edges\":[{\"source\":\"src\",\"target\":\"h\"}]}"
mkexec exec-rag000000004 alice '{"input":"q"}' "$def"
ods_wait_until 30 ended exec-rag000000004 || ods_t_fail "the http run did not end"
ods_expect_eq "$(status exec-rag000000004)" completed "an http node to an allowed address"
ods_expect_eq "$(sql "SELECT JSON_VALUE(output, '$.status') FROM workflow_node_runs WHERE execution_id = 'exec-rag000000004' AND node_id = 'h'")" \
    200 "its output has the answer's status"

curl -sf -X POST "$MOCK/_mock/mode" -d '{"mode":"hang"}' >/dev/null
def="{\"version\":\"1.0\",\"nodes\":[{\"id\":\"src\",\"type\":\"input\"},
{\"id\":\"h\",\"type\":\"http\",\"config\":{\"url\":\"$MOCK/v1/chat/completions\",
\"method\":\"POST\",\"body\":\"{}\",\"timeout_ms\":500,\"retries\":1,\"retry_delay_ms\":100}}],
\"edges\":[{\"source\":\"src\",\"target\":\"h\"}]}"
t0=$(now_ms)
mkexec exec-rag000000005 alice '{"input":"q"}' "$def"
ods_wait_until 30 ended exec-rag000000005 || ods_t_fail "the hanging http run did not end"
ods_expect_eq "$(status exec-rag000000005)" failed "an http node past its timeout"
ods_expect_eq "$(sql "SELECT CONCAT(attempts, ' ', error) FROM workflow_node_runs WHERE execution_id = 'exec-rag000000005' AND node_id = 'h'")" \
    "2 timed out after 500 ms" "two attempts of 500 ms each"
ods_expect_le "$(($(now_ms) - t0))" 3000 "the run ended in about the two attempts (ms)"

def='{"version":"1.0","nodes":[{"id":"src","type":"input"},
{"id":"l","type":"llm","config":{"prompt":"{{ src.value }}"}}],
"edges":[{"source":"src","target":"l"}]}'
mkexec exec-rag000000006 alice '{"input":"q"}' "$def"
job=$(sql "SELECT id FROM jobs WHERE idempotency_key = 'exec-rag000000006'")
in_llm() { [ "$(sql "SELECT COUNT(*) FROM execution_logs WHERE execution_id = 'exec-rag000000006' AND node_id = 'l' AND event = 'start'")" = 1 ]; }
ods_wait_until 15 in_llm || ods_t_fail "the llm node never started"
sleep 0.5
t0=$(now_ms)
sql "UPDATE workflow_executions SET status = 'stopped', completed_at = NOW(3),
    error = 'stopped by alice' WHERE execution_id = 'exec-rag000000006'
    AND status IN ('pending', 'running')"
"$ctl" jobs cancel "$job" >/dev/null || ods_t_fail "cancel job $job"
job_over() { [ "$(sql "SELECT status FROM jobs WHERE id = $job")" != running ]; }
ods_wait_until 10 job_over || ods_t_fail "job $job still running"
ods_expect_le "$(($(now_ms) - t0))" 2000 "the llm node let go of the model (ms after the stop)"
sleep 1
ods_expect_eq "$(status exec-rag000000006)" stopped "the run stays stopped"
curl -sf -X POST "$MOCK/_mock/mode" -d '{"mode":"ok"}' >/dev/null
# ---- database nodes -------------------------------------------------------
PW=Wf-$(ods_secret 20)
ods_db_sql <<EOF || ods_t_fail "cannot make the MariaDB fixture"
CREATE DATABASE IF NOT EXISTS wf_shop;
CREATE USER IF NOT EXISTS 'wfuser'@'127.0.0.1' IDENTIFIED BY '$PW';
GRANT SELECT ON wf_shop.* TO 'wfuser'@'127.0.0.1';
CREATE TABLE wf_shop.customers (id INT PRIMARY KEY, email VARCHAR(64));
INSERT INTO wf_shop.customers VALUES (1, 'a@x'), (2, 'b@x'), (3, 'c@x');
EOF
eng=(-H "Authorization: Bearer $("$ctl" token --sub erin --roles data_engineer --ttl 600)")
ods_req POST "$ODS_DATA_URL/api/v1/datasources" "${eng[@]}" "${J[@]}" -d "{\"source_id\":\"wf-my\",\"name\":\"shop\",\"type\":\"mariadb\",\"visibility\":\"public\",\"connection\":{\"host\":\"127.0.0.1\",\"port\":$ODS_DB_PORT,\"username\":\"wfuser\",\"password\":\"$PW\",\"database\":\"wf_shop\"}}"
ods_expect_code 201 "a MariaDB source"
def='{"version":"1.0","nodes":[{"id":"src","type":"input"},
{"id":"q","type":"database","config":{"source_id":"wf-my","sql":"SELECT email FROM customers WHERE id <= {{ src.value }} ORDER BY id","limit":10}},
{"id":"w","type":"database","config":{"source_id":"wf-my","sql":"DELETE FROM customers","continue_on_error":true}}],
"edges":[{"source":"src","target":"q"},{"source":"src","target":"w"}]}'
mkexec exec-rag000000007 alice '{"input":"2"}' "$def"
ods_wait_until 30 ended exec-rag000000007 || ods_t_fail "the database run did not end"
ods_expect_eq "$(status exec-rag000000007)" completed \
    "a database node ($(sql "SELECT error FROM workflow_node_runs WHERE execution_id = 'exec-rag000000007' AND node_id = 'q'"))"
ods_expect_eq "$(sql "SELECT output FROM workflow_node_runs WHERE execution_id = 'exec-rag000000007' AND node_id = 'q'" | jq -c '[.rows[][0]]')" \
    '["a@x","b@x"]' "it read the rows the rendered SQL selects"
ods_expect_eq "$(sql "SELECT status FROM workflow_node_runs WHERE execution_id = 'exec-rag000000007' AND node_id = 'w'")" \
    error "a write is refused ($(sql "SELECT error FROM workflow_node_runs WHERE execution_id = 'exec-rag000000007' AND node_id = 'w'"))"
ods_expect_eq "$(ods_db_sql -e 'SELECT COUNT(*) FROM wf_shop.customers')" 3 "and nothing was deleted"
# ---- an agent node --------------------------------------------------------
def='{"version":"1.0","nodes":[{"id":"src","type":"input"},
{"id":"a","type":"agent","config":{"query":"What is {{ src.value }}?","tools":["calculator"],"max_iterations":3}},
{"id":"out","type":"output","config":{"input_from":"a.output"}}],
"edges":[{"source":"src","target":"a"},{"source":"a","target":"out"}]}'
mkexec exec-rag000000008 alice '{"input":"6*7"}' "$def"
ods_wait_until 30 ended exec-rag000000008 || ods_t_fail "the agent run did not end"
ods_expect_eq "$(status exec-rag000000008)" completed \
    "an agent node ($(sql "SELECT error FROM workflow_executions WHERE execution_id = 'exec-rag000000008'"))"
ods_expect_eq "$(sql "SELECT JSON_VALUE(outputs, '$.out.output') FROM workflow_executions WHERE execution_id = 'exec-rag000000008'")" \
    "The answer is 42." "the agent called the calculator and answered"
ods_t_end
