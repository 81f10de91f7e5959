#!/usr/bin/env bash
# tests/integration/workflow-rag.sh — the built-in RAG workflow (input ->
# retriever -> llm -> output, svc/agent/wf.h) on a real knowledge base,
# run by the workflow_run job against a fake OpenAI upstream
# (tests/llm/mock-openai.js, paced): the retriever finds the passages of
# alice's knowledge base, the model gets them with the question, the
# answer is the run's output, and the model's pieces reach the run's
# event stream as llm_delta events while it writes (paced, not at the
# end). Then a retriever on bob's knowledge base as alice: not found
# (the run creator's identity), and an llm node whose upstream node
# failed fails too.
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
ods_t_end
