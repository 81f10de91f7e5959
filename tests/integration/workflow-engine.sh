#!/usr/bin/env bash
# tests/integration/workflow-engine.sh — the workflow engine (issue 18,
# svc/agent/wf.h) through its job type workflow_run, on executions
# inserted directly in MariaDB (the routes are tested elsewhere):
#
#   * a 20-node DAG of transform nodes in four parallel branches, each
#     node waiting 300 ms (config.delay_ms), ends in about its longest
#     path (5 nodes deep), not the sum of its nodes (16 x 300 ms); every
#     node has its outcome row and its start/end log rows, the run its
#     Redis event stream;
#   * a condition takes one branch and skips the other;
#   * a stop (the row set stopped + the job cancelled, as the stop route
#     does) during a slow node: the job ends within 2 s and the row stays
#     stopped;
#   * kill -9 of the worker running a chain: the run completes on another
#     worker (attempt 2), each node's outcome recorded exactly once;
#   * http nodes to 127.0.0.1 and 169.254.169.254 fail with a policy
#     error (and continue_on_error lets the run complete);
#   * a run past its timeout_s fails with "timeout".
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"

ods_t_begin workflow-engine
export ODS_WORKER_WORKERS=2 ODS_WORKER_CONCURRENCY=2 ODS_JOB_LEASE_MS=2000
export ODS_WF_PARALLEL=4
ods_stack_init
ods_stack_up
ctl=$(ods_bin odsctl)
sql() { ods_db_sql "$MYSQL_DATABASE" -e "$1"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# mkexec ID DEFINITION [TIMEOUT_S]: a pending execution of alice's (the
# definition has no single quote).
mkexec() {
	local d=${2//\\/\\\\}
	d=${d//\'/\'\'}
	sql "INSERT INTO workflow_executions (execution_id, workflow_id,
	    status, inputs, definition, created_by, timeout_s, triggered_by)
	    VALUES ('$1', 'wf-test0001', 'pending', '{\"query\":\"yes\"}',
	    '$d', 'alice', ${3:-NULL}, 'test')" || ods_t_fail "insert $1"
}
# start ID: its workflow_run job (id printed).
start() {
	"$ctl" jobs enqueue workflow_run --created-by alice --key "$1" \
	    --payload "{\"execution_id\":\"$1\"}" || ods_t_fail "enqueue $1"
}
status() { sql "SELECT status FROM workflow_executions WHERE execution_id = '$1'"; }
ended() { case $(status "$1") in completed | failed | stopped) return 0 ;; esac; return 1; }

# ---- a 20-node DAG: longest path, not the sum ----------------------------
# src -> 4 branches (b1..b4) of 4 nodes, 300 ms each -> m (merge) -> t -> out
nodes='{"id":"src","type":"input","config":{"key":"query"}}'
edges=''
for b in 1 2 3 4; do
	prev=src
	for k in 1 2 3 4; do
		id="b${b}n$k"
		if [ "$prev" = src ]; then ref='{{ src.value }}'; else ref="{{ $prev.result }}"; fi
		nodes="$nodes,{\"id\":\"$id\",\"type\":\"transform\",\"config\":{\"template\":\"$ref/$id\",\"delay_ms\":300}}"
		edges="$edges${edges:+,}{\"source\":\"$prev\",\"target\":\"$id\"}"
		prev=$id
	done
	edges="$edges,{\"source\":\"$prev\",\"target\":\"m\"}"
done
nodes="$nodes,{\"id\":\"m\",\"type\":\"merge\"},{\"id\":\"t\",\"type\":\"transform\",\"config\":{\"mapping\":{\"n\":\"{{ len(keys(m.merged)) }}\",\"b1\":\"{{ m.merged.b1n4.result }}\"}}},{\"id\":\"out\",\"type\":\"output\",\"config\":{\"input_from\":\"t.result\"}}"
edges="$edges,{\"source\":\"m\",\"target\":\"t\"},{\"source\":\"t\",\"target\":\"out\"}"
def="{\"version\":\"1.0\",\"nodes\":[$nodes],\"edges\":[$edges]}"
mkexec exec-dag000000001 "$def"
job=$(start exec-dag000000001)
ods_wait_until 30 ended exec-dag000000001 || ods_t_fail "the DAG did not end"
ods_expect_eq "$(status exec-dag000000001)" completed "the 20-node DAG"
ms=$(sql "SELECT duration_ms FROM workflow_executions WHERE execution_id = 'exec-dag000000001'")
# Longest path: 4 x 300 ms; the sum would be 16 x 300 = 4800 ms.
[ "$ms" -ge 1200 ] || ods_t_fail "ran in $ms ms: the delays were not honoured"
ods_expect_le "$ms" 2600 "the DAG ran in about its longest path (1200 ms), not the sum (4800 ms)"
ods_expect_eq "$(sql "SELECT COUNT(*) FROM workflow_node_runs WHERE execution_id = 'exec-dag000000001' AND status = 'success'")" 20 \
    "an outcome row per node"
ods_expect_eq "$(sql "SELECT COUNT(DISTINCT node_id) FROM execution_logs WHERE execution_id = 'exec-dag000000001' AND event = 'start'")" 20 \
    "a start log row per node"
ods_expect_eq "$(sql "SELECT COUNT(DISTINCT node_id) FROM execution_logs WHERE execution_id = 'exec-dag000000001' AND event = 'end' AND duration_ms IS NOT NULL AND output_bytes > 0")" 20 \
    "an end log row per node, with its duration and output size"
out=$(sql "SELECT outputs FROM workflow_executions WHERE execution_id = 'exec-dag000000001'")
ods_expect_eq "$(printf '%s' "$out" | jq -c '.out.output')" '{"n":4,"b1":"yes/b1n1/b1n2/b1n3/b1n4"}' \
    "outputs: references passed along each branch and through the merge"
ods_expect_eq "$(sql "SELECT JSON_VALUE(node_results, '$.b3n2.result.result') FROM workflow_executions WHERE execution_id = 'exec-dag000000001'")" \
    yes/b3n1/b3n2 "node_results hold each node's result"
n=$(ods_redis_cli XLEN ods:wf:ev:exec-dag000000001)
[ "${n:-0}" -ge 40 ] || ods_t_fail "the event stream has $n entries"
ods_redis_cli XRANGE ods:wf:ev:exec-dag000000001 - + | grep -q '"type":"end"' ||
    ods_t_fail "no end event in the stream"
ods_t_ok "the run's events are in its Redis stream ($n entries)"
"$ctl" jobs wait "$job" --timeout 10 >/dev/null || ods_t_fail "job $job did not succeed"

# ---- a condition: one branch taken, the other skipped --------------------
def='{"version":"1.0","nodes":[{"id":"src","type":"input","config":{"key":"query"}},
{"id":"c","type":"condition","config":{"expression":"src.value == \"yes\""}},
{"id":"y","type":"transform","config":{"template":"took yes"}},
{"id":"n","type":"transform","config":{"template":"took no"}},
{"id":"n2","type":"transform","config":{"template":"after no"}},
{"id":"out","type":"output","config":{"template":"{{ default(y.result, \"\") }}{{ default(n.result, \"\") }}"}}],
"edges":[{"source":"src","target":"c"},{"source":"c","target":"y","condition":"true"},
{"source":"c","target":"n","condition":"false"},{"source":"n","target":"n2"},
{"source":"y","target":"out"},{"source":"n2","target":"out"}]}'
mkexec exec-cond00000001 "$def"
start exec-cond00000001 >/dev/null
ods_wait_until 20 ended exec-cond00000001 || ods_t_fail "the condition run did not end"
ods_expect_eq "$(status exec-cond00000001)" completed "the condition run"
ods_expect_eq "$(sql "SELECT GROUP_CONCAT(node_id, ':', status ORDER BY node_id) FROM workflow_node_runs WHERE execution_id = 'exec-cond00000001'")" \
    "c:success,n:skipped,n2:skipped,out:success,src:success,y:success" \
    "the false branch and what only it leads to are skipped"
ods_expect_eq "$(sql "SELECT JSON_VALUE(outputs, '$.out.output') FROM workflow_executions WHERE execution_id = 'exec-cond00000001'")" \
    "took yes" "the output saw the branch taken"

# ---- stop during a slow node ---------------------------------------------
def='{"version":"1.0","nodes":[{"id":"src","type":"input"},
{"id":"slow","type":"transform","config":{"template":"late","delay_ms":30000}},
{"id":"out","type":"output","config":{"input_from":"slow.result"}}],
"edges":[{"source":"src","target":"slow"},{"source":"slow","target":"out"}]}'
mkexec exec-stop00000001 "$def"
job=$(start exec-stop00000001)
in_slow() { [ "$(sql "SELECT COUNT(*) FROM execution_logs WHERE execution_id = 'exec-stop00000001' AND node_id = 'slow' AND event = 'start'")" = 1 ]; }
ods_wait_until 15 in_slow || ods_t_fail "the slow node never started"
t0=$(now_ms)
sql "UPDATE workflow_executions SET status = 'stopped', completed_at = NOW(3),
    error = 'stopped by alice' WHERE execution_id = 'exec-stop00000001'
    AND status IN ('pending', 'running')"
"$ctl" jobs cancel "$job" >/dev/null || ods_t_fail "cancel job $job"
job_over() { [ "$(sql "SELECT status FROM jobs WHERE id = $job")" != running ]; }
ods_wait_until 10 job_over || ods_t_fail "job $job still running"
ods_expect_le "$(($(now_ms) - t0))" 2000 "the run let go of its slow node (ms after the stop)"
sleep 2
ods_expect_eq "$(status exec-stop00000001)" stopped "the run stays stopped"
ods_expect_eq "$(sql "SELECT error FROM workflow_executions WHERE execution_id = 'exec-stop00000001'")" \
    "stopped by alice" "and keeps the stop's error"
ods_expect_eq "$(sql "SELECT COUNT(*) FROM workflow_node_runs WHERE execution_id = 'exec-stop00000001' AND node_id <> 'src'")" 0 \
    "the aborted node has no outcome"

# ---- kill -9 of the worker in the middle of a chain ----------------------
nodes='{"id":"src","type":"input"}'
edges=''
prev=src
for k in $(seq 1 10); do
	f=result
	[ "$prev" = src ] && f=value
	nodes="$nodes,{\"id\":\"c$k\",\"type\":\"transform\",\"config\":{\"template\":\"{{ $prev.$f }}.$k\",\"delay_ms\":400}}"
	edges="$edges${edges:+,}{\"source\":\"$prev\",\"target\":\"c$k\"}"
	prev=c$k
done
def="{\"version\":\"1.0\",\"nodes\":[$nodes],\"edges\":[$edges]}"
mkexec exec-kill00000001 "$def"
job=$(start exec-kill00000001)
some_done() { [ "$(sql "SELECT COUNT(*) FROM workflow_node_runs WHERE execution_id = 'exec-kill00000001'")" -ge 4 ]; }
ods_wait_until 20 some_done || ods_t_fail "the chain made no progress"
owner=$(sql "SELECT lease_owner FROM jobs WHERE id = $job")
victim=$(printf '%s' "$owner" | cut -d: -f2)
grep -qx "$victim" <<<"$(ods_pool_workers worker)" ||
    ods_t_fail "lease owner $owner is not a worker of the pool"
kill -KILL "$victim"
ods_t_ok "killed worker $victim in the middle of the chain"
ods_wait_until 40 ended exec-kill00000001 || ods_t_fail "the chain never ended after the kill"
ods_expect_eq "$(status exec-kill00000001)" completed "the chain completed on another worker"
ods_expect_eq "$(sql "SELECT attempt FROM workflow_executions WHERE execution_id = 'exec-kill00000001'")" 2 \
    "on the job's second attempt"
ods_expect_eq "$(sql "SELECT COUNT(*), COUNT(DISTINCT node_id) FROM workflow_node_runs WHERE execution_id = 'exec-kill00000001'")" \
    "$(printf '11\t11')" "each node's outcome recorded exactly once"
ods_expect_eq "$(sql "SELECT JSON_VALUE(output, '$.result') FROM workflow_node_runs WHERE execution_id = 'exec-kill00000001' AND node_id = 'c10'")" \
    "yes.1.2.3.4.5.6.7.8.9.10" "the resumed run read the recorded outputs"

# ---- http nodes and the address policy -----------------------------------
def='{"version":"1.0","nodes":[{"id":"src","type":"input"},
{"id":"lo","type":"http","config":{"url":"http://127.0.0.1:9/x","continue_on_error":true}},
{"id":"md","type":"http","config":{"url":"http://169.254.169.254/latest/meta-data/","continue_on_error":true}},
{"id":"m","type":"merge"}],
"edges":[{"source":"src","target":"lo"},{"source":"src","target":"md"},
{"source":"lo","target":"m"},{"source":"md","target":"m"}]}'
mkexec exec-http00000001 "$def"
start exec-http00000001 >/dev/null
ods_wait_until 20 ended exec-http00000001 || ods_t_fail "the http run did not end"
ods_expect_eq "$(status exec-http00000001)" completed "continue_on_error: the run goes on"
for n in lo md; do
	e=$(sql "SELECT CONCAT(status, ' ', error) FROM workflow_node_runs WHERE execution_id = 'exec-http00000001' AND node_id = '$n'")
	case $e in
	"error refused by policy"*) ods_t_ok "http node $n: $e" ;;
	*) ods_t_fail "http node $n: $e" ;;
	esac
done
def='{"version":"1.0","nodes":[{"id":"src","type":"input"},
{"id":"md","type":"http","config":{"url":"http://169.254.169.254/"}},
{"id":"after","type":"transform","config":{"template":"x"}}],
"edges":[{"source":"src","target":"md"},{"source":"md","target":"after"}]}'
mkexec exec-http00000002 "$def"
start exec-http00000002 >/dev/null
ods_wait_until 20 ended exec-http00000002 || ods_t_fail "the second http run did not end"
ods_expect_eq "$(status exec-http00000002)" failed "without continue_on_error the run fails"
case $(sql "SELECT error FROM workflow_executions WHERE execution_id = 'exec-http00000002'") in
"node 'md' failed: refused by policy"*) ods_t_ok "its error names the node and the policy" ;;
*) ods_t_fail "error: $(sql "SELECT error FROM workflow_executions WHERE execution_id = 'exec-http00000002'")" ;;
esac

# ---- the run's timeout ----------------------------------------------------
def='{"version":"1.0","nodes":[{"id":"src","type":"input"},
{"id":"slow","type":"transform","config":{"template":"x","delay_ms":20000}}],
"edges":[{"source":"src","target":"slow"}]}'
mkexec exec-time00000001 "$def" 1
start exec-time00000001 >/dev/null
ods_wait_until 10 ended exec-time00000001 || ods_t_fail "the run outlived its timeout"
ods_expect_eq "$(sql "SELECT CONCAT(status, ':', error) FROM workflow_executions WHERE execution_id = 'exec-time00000001'")" \
    failed:timeout "timeout_s 1: failed with timeout"

# ---- a schedule's run: {workflow_id, schedule_id} ------------------------
# Needs the storage side (svc/agent/workflow.h, branch wf-api): without it
# the job refuses the payload and this part says so.
def='{"version":"1.0","nodes":[{"id":"src","type":"input"},{"id":"t","type":"transform","config":{"template":"got {{ src.value }}"}},{"id":"out","type":"output","config":{"input_from":"t.result"}}],"edges":[{"source":"src","target":"t"},{"source":"t","target":"out"}]}'
sql "INSERT INTO workflows (workflow_id, name, definition, version, created_by)
    VALUES ('wf-0000abcd', 'S', '$def', 1, 'alice')"
sql "INSERT INTO workflow_schedules (schedule_id, workflow_id, schedule_type,
    interval_seconds, inputs, timeout_seconds, created_by) VALUES
    ('schedule-0000abcd', 'wf-0000abcd', 'interval', 3600,
    '{\"input\":\"tick\"}', 60, 'alice')"
job=$("$ctl" jobs enqueue workflow_run --max-attempts 1 --payload \
    '{"workflow_id":"wf-0000abcd","schedule_id":"schedule-0000abcd"}') ||
    ods_t_fail "enqueue the schedule's run"
job_over() { case $(sql "SELECT status FROM jobs WHERE id = $job") in queued | running) return 1 ;; esac; }
ods_wait_until 20 job_over || ods_t_fail "the schedule's job did not end"
if [ "$(sql "SELECT status FROM jobs WHERE id = $job")" = succeeded ]; then
	ods_expect_eq "$(sql "SELECT CONCAT_WS(' ', status, triggered_by,
	    created_by, timeout_s, job_id = $job, JSON_VALUE(outputs,
	    '$.out.output')) FROM workflow_executions WHERE schedule_id =
	    'schedule-0000abcd'")" "completed schedule alice 60 1 got tick" \
	    "a schedule's run made its execution (inputs, timeout, creator) and ran it"
else
	ods_t_ok "a schedule's run: not built without svc/agent/workflow.h ($(sql "SELECT error FROM jobs WHERE id = $job"))"
fi

ods_t_end
