#!/usr/bin/env bash
# tests/integration/workflows.sh — workflows, their runs and schedules
# (issue 18, reference-api §4.3 G2–G11, G24) through nginx:
#   - CRUD in both shapes (id and workflow_id, definition{nodes,edges} on
#     GET one), versions (a definition saved is a version; GET one
#     version; rollback makes a new version of the old definition);
#   - a definition with an unknown node type, a cycle and an edge to a
#     missing node is a 400 40002 "Invalid workflow definition" naming
#     each problem, on create, update and start;
#   - owner isolation: another user gets 404 on every route of a private
#     workflow, its runs and its schedules; a viewer cannot create;
#   - start: 202 with execution_id, the row pending (or further) with its
#     workflow_run job; stop: 200 stopped, the job cancelled, 409 once
#     ended, 400 40001 without execution_id, 404 40402 for an unknown one;
#     status, executions lists, logs;
#   - the SSE events route: events the engine appends to the run's Redis
#     stream arrive in order with id lines, Last-Event-ID resumes after
#     one, the stream ends after "end"; with no stream the run's log rows
#     and status tell it, and it ends;
#   - schedules: interval 1 s fires workflow_run jobs of the schedule,
#     pause stops them, trigger makes a run of the schedule at once,
#     retry settings, statistics, delete removes the platform schedule;
#   - with the engine in the tree (fcgi/worker/j_workflow.c): a 3-node
#     input -> transform -> output run completes with its output, a node
#     with delay_ms 10000 is stopped within 2 s and stays stopped, the SSE
#     stream of a run delivers node_start, node_end, end in order, and a
#     schedule's runs appear as executions triggered_by schedule;
# every answer checked against openapi/openapi.yaml.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"

ods_t_begin workflows
export JWT_SECRET_KEY=workflows-test-secret-0123456789abcdefgh
export ODS_RATE_LIMIT_DEFAULT=100000/minute ODS_RATE_LIMIT_BURST=100000
export ODS_JOB_LEASE_MS=1500
ods_stack_init
ods_stack_up
ctl=$(ods_bin odsctl)
tok() { "$ctl" token --sub "$1" --roles "$2" --ttl 1800 || ods_t_fail "odsctl token"; }
ALICE_TOK=$(tok alice user)
alice=(-H "Authorization: Bearer $ALICE_TOK")
bob=(-H "Authorization: Bearer $(tok bob user)")
viewer=(-H "Authorization: Bearer $(tok vic viewer)")
admin=(-H "Authorization: Bearer $(tok root admin)")
J=(-H 'Content-Type: application/json')
A=$ODS_AGENT_URL/api/v1
sql() { ods_db_sql "$MYSQL_DATABASE" -N -e "$1"; }
jeq() { ods_expect_json "($1) == ($2)" true "$3"; }
engine=0
[ -f "$here/../../fcgi/worker/j_workflow.c" ] && engine=1

DEF='{"version":"1.0","nodes":[{"id":"src","type":"input","config":{"key":"text"}},{"id":"up","type":"transform","config":{"template":"Hello {{ src.value }}"}},{"id":"out","type":"output","config":{"input_from":"up"}}],"edges":[{"source":"src","target":"up"},{"source":"up","target":"out"}]}'
DEF2='{"version":"1.0","nodes":[{"id":"src","type":"input","config":{"key":"text"}},{"id":"up","type":"transform","config":{"template":"Bye {{ src.value }}"}},{"id":"out","type":"output","config":{"input_from":"up"}}],"edges":[{"source":"src","target":"up"},{"source":"up","target":"out"}]}'
SLOW='{"version":"1.0","nodes":[{"id":"src","type":"input"},{"id":"wait","type":"transform","config":{"template":"late","delay_ms":10000}},{"id":"out","type":"output","config":{"input_from":"wait"}}],"edges":[{"source":"src","target":"wait"},{"source":"wait","target":"out"}]}'
BAD='{"version":"1.0","nodes":[{"id":"src","type":"input"},{"id":"x","type":"frobnicate"},{"id":"a","type":"transform","config":{"template":"a"}},{"id":"b","type":"transform","config":{"template":"b"}}],"edges":[{"source":"src","target":"x"},{"source":"a","target":"b"},{"source":"b","target":"a"},{"source":"src","target":"ghost"}]}'

# ---------------------------------------------------------------- CRUD
ods_req POST "$A/workflows" "${alice[@]}" "${J[@]}" \
    -d "{\"name\":\"Greeter\",\"description\":\"says hello\",\"type\":\"custom\",\"definition\":$DEF}"
ods_expect_code 201 "create a workflow with a definition"
wf=$(ods_json .data.workflow_id)
[[ $wf =~ ^wf-[0-9a-f]{8}$ ]] || ods_t_fail "workflow id '$wf' is not wf-<8hex>"
jeq '[.data.id, .data.version, .data.type, .data.status, (.data.definition.nodes | length)]' \
    "[\"$wf\", 1, \"custom\", \"stopped\", 3]" "id = workflow_id, version 1, its 3 nodes"
ods_get "$A/workflows/$wf" "${alice[@]}"
ods_expect_code 200 "GET one"
jeq '[.data.workflow_id, (.data.definition.edges | length), .data.definition.nodes[1].type]' \
    "[\"$wf\", 2, \"transform\"]" "GET one has definition{nodes,edges}"
ods_req POST "$A/workflows" "${alice[@]}" "${J[@]}" -d '{"name":"Plain RAG"}'
ods_expect_code 201 "create one without a definition"
rag=$(ods_json .data.workflow_id)
jeq '[.data.type, .data.definition]' '["rag", null]' "defaults: rag, no definition"
ods_get "$A/workflows?page=1&page_size=1" "${alice[@]}"
ods_expect_code 200 "list, one per page"
jeq '[.data.total, (.data.workflows | length), .data.workflows[0].workflow_id, .total]' \
    "[2, 1, \"$rag\", 2]" "newest first, paged in both places"
ods_get "$A/workflows?type=custom" "${alice[@]}"
jeq '[.data.workflows[].workflow_id]' "[\"$wf\"]" "type filters"
ods_req PUT "$A/workflows/$wf" "${alice[@]}" "${J[@]}" -d "{\"definition\":$DEF2,\"comment\":\"bye\"}"
ods_expect_code 200 "PUT a definition"
jeq '[.data.version, .data.definition.nodes[1].config.template]' '[2, "Bye {{ src.value }}"]' \
    "a new definition is version 2"
ods_req PUT "$A/workflows/$wf" "${alice[@]}" "${J[@]}" -d '{"name":"Greeter 2"}'
ods_expect_code 200 "PUT a name"
jeq '[.data.name, .data.version]' '["Greeter 2", 2]' "a rename keeps the version"
ods_req PUT "$A/workflows/$wf" "${alice[@]}" "${J[@]}" -d '{}'
ods_expect_code 400 "PUT nothing"
ods_req POST "$A/workflows" "${alice[@]}" "${J[@]}" -d '{"description":"no name"}'
ods_expect_code 400 "create without a name"
ods_expect_json .code 40001 "without a name: 40001"
ods_req POST "$A/workflows" "${alice[@]}" "${J[@]}" -d '{"name":"<script>alert(1)</script>"}'
ods_expect_code 400 "a name with a script"
ods_req POST "$A/workflows" "${alice[@]}" "${J[@]}" -d '{"name":"x","type":"blender"}'
ods_expect_code 400 "an unknown type"
ods_req POST "$A/workflows" "${alice[@]}" "${J[@]}" -d '{"name":"x","definition":[1]}'
ods_expect_code 400 "a definition that is not an object"

# ------------------------------------------------------------ versions
ods_get "$A/workflows/$wf/versions" "${alice[@]}"
ods_expect_code 200 "versions"
jeq '[.data.versions[].version, .data.current_version]' '[2, 1, 2]' "versions 2 and 1, newest first"
ods_get "$A/workflows/$wf/versions/1" "${alice[@]}"
ods_expect_code 200 "version 1"
jeq '.data.definition.nodes[1].config.template' '"Hello {{ src.value }}"' "version 1 has the first definition"
ods_get "$A/workflows/$wf/versions/9" "${alice[@]}"
ods_expect_code 404 "an unknown version"
ods_req POST "$A/workflows/$wf/versions/1/rollback" "${alice[@]}"
ods_expect_code 200 "rollback to version 1"
jeq '[.data.version, .data.definition.nodes[1].config.template]' '[3, "Hello {{ src.value }}"]' \
    "the rollback is version 3 with version 1's definition"
ods_get "$A/workflows/$wf/versions" "${alice[@]}"
jeq '[.data.versions[0].version, .data.versions[0].comment]' '[3, "rollback to v1"]' "version 3 says so"

# ---------------------------------------------------------- validation
ods_req POST "$A/workflows" "${alice[@]}" "${J[@]}" -d "{\"name\":\"bad\",\"definition\":$BAD}"
ods_expect_code 400 "an invalid definition"
jeq '[.code, .message]' '[40002, "Invalid workflow definition"]' "40002 Invalid workflow definition"
errs=$(ods_json '.errors | join(" | ")')
for w in frobnicate cycle ghost; do
	case $errs in *"$w"*) ods_t_ok "the errors name $w" ;;
	*) ods_t_fail "the errors do not name $w: $errs" ;; esac
done
ods_expect_json '.errors | length >= 3' true "one message per problem"
ods_req PUT "$A/workflows/$wf" "${alice[@]}" "${J[@]}" -d "{\"definition\":$BAD}"
ods_expect_code 400 "an invalid definition on update"
ods_expect_json .code 40002 "update: 40002"
ods_get "$A/workflows/$wf" "${alice[@]}"
ods_expect_json .data.version 3 "the invalid update changed nothing"
ods_req POST "$A/workflows" "${alice[@]}" "${J[@]}" \
    -d "{\"name\":\"bad as text\",\"definition\":$(jq -Rs . <<<"$BAD")}"
ods_expect_code 400 "an invalid definition sent as a string"

# -------------------------------------------------------------- owners
for r in "GET $A/workflows/$wf" "PUT $A/workflows/$wf" "DELETE $A/workflows/$wf" \
    "GET $A/workflows/$wf/versions" "GET $A/workflows/$wf/versions/1" \
    "POST $A/workflows/$wf/versions/1/rollback" "POST $A/workflows/$wf/start" \
    "POST $A/workflows/$wf/stop" "GET $A/workflows/$wf/status" \
    "GET $A/workflows/$wf/executions" "GET $A/workflows/$wf/schedules" \
    "POST $A/workflows/$wf/schedules"; do
	ods_req ${r%% *} "${r#* }" "${bob[@]}" "${J[@]}" -d '{"name":"x","execution_id":"exec-000000000000","schedule_type":"interval","interval_seconds":60}'
	ods_expect_code 404 "bob: $r"
done
ods_get "$A/workflows" "${bob[@]}"
ods_expect_json .data.total 0 "bob lists none of alice's"
ods_req POST "$A/workflows" "${viewer[@]}" "${J[@]}" -d '{"name":"v"}'
ods_expect_code 403 "a viewer cannot create"
ods_get "$A/workflows/$wf" "${admin[@]}"
ods_expect_code 200 "an admin reads any"
# A public workflow: others read it, never change or run it.
ods_req PUT "$A/workflows/$rag" "${alice[@]}" "${J[@]}" -d '{"visibility":"public"}'
ods_expect_code 200 "alice makes one public"
ods_get "$A/workflows/$rag" "${bob[@]}"
ods_expect_code 200 "bob reads the public one"
ods_req PUT "$A/workflows/$rag" "${bob[@]}" "${J[@]}" -d '{"name":"mine"}'
ods_expect_code 403 "bob cannot change it"
ods_req POST "$A/workflows/$rag/start" "${bob[@]}"
ods_expect_code 403 "bob cannot run it"

# ---------------------------------------------------------- start/stop
ods_req POST "$A/workflows/$wf/start" "${alice[@]}" "${J[@]}" -d '{"inputs":{"text":"world"}}'
ods_expect_code 202 "start"
ex=$(ods_json .data.execution_id)
[[ $ex =~ ^exec-[0-9a-f]{12}$ ]] || ods_t_fail "execution id '$ex' is not exec-<12hex>"
jeq "[.data.workflow_id, .data.status, .message]" "[\"$wf\", \"pending\", \"Workflow started\"]" "202 {execution_id, workflow_id, status}"
row=$(sql "SELECT e.status, e.version, e.job_id IS NOT NULL, j.type, JSON_VALUE(j.payload, '\$.execution_id'), e.definition LIKE '%Hello%' FROM workflow_executions e JOIN jobs j ON j.id = e.job_id WHERE e.execution_id = '$ex'")
case $row in
[pr][eu]*|completed*) ;;
*) ods_t_fail "the execution row: '$row'" ;;
esac
ods_expect_eq "$(cut -f2- <<<"$row" | tr '\t' ' ')" "3 1 workflow_run $ex 1" \
    "the row holds version 3, its definition and its workflow_run job"
ods_req POST "$A/workflows/$rag/start" "${alice[@]}"
ods_expect_code 202 "start with no body and no definition (the built-in RAG)"
ragex=$(ods_json .data.execution_id)
ods_expect_eq "$(sql "SELECT definition LIKE '%retriever%' FROM workflow_executions WHERE execution_id = '$ragex'")" 1 \
    "the run copies the built-in RAG graph"
ods_req POST "$A/workflows/$rag/stop" "${alice[@]}" "${J[@]}" -d "{\"execution_id\":\"$ragex\"}"

if [ "$engine" = 1 ]; then
	for i in $(seq 1 100); do
		st=$(sql "SELECT status FROM workflow_executions WHERE execution_id = '$ex'")
		case $st in completed|failed|stopped) break ;; esac
		sleep 0.1
	done
	ods_get "$A/executions/$ex" "${alice[@]}"
	ods_expect_json .data.status completed "the 3-node run completes"
	ods_expect_json '.data.outputs | tostring | contains("Hello world")' true "its output is the transform's"
	ods_expect_json '.data.node_results | keys | sort | join(",")' out,src,up "node_results of the 3 nodes"
	ods_get "$A/executions/$ex/logs" "${alice[@]}"
	ods_expect_json '[.data.logs[] | select(.node_id == "up") | .event] | index("end") != null' true \
	    "a log row for the transform's end"
	ods_get "$A/workflows/$wf" "${alice[@]}"
	ods_expect_json .data.status stopped "the workflow is stopped again once its run ended"
fi

ods_req POST "$A/workflows/$wf" "${alice[@]}"
ods_expect_code 405 "POST on a workflow"
ods_req PUT "$A/workflows/$wf" "${alice[@]}" "${J[@]}" -d "{\"definition\":$SLOW}"
ods_expect_code 200 "a slow definition (delay_ms 10000)"
ods_req POST "$A/workflows/$wf/start" "${alice[@]}" "${J[@]}" -d '{"inputs":{}}'
ods_expect_code 202 "start the slow one"
slow=$(ods_json .data.execution_id)
if [ "$engine" = 1 ]; then
	for i in $(seq 1 50); do
		[ "$(sql "SELECT status FROM workflow_executions WHERE execution_id = '$slow'")" = running ] && break
		sleep 0.1
	done
	ods_get "$A/workflows/$wf" "${alice[@]}"
	ods_expect_json .data.status running "the workflow is running while its run is"
fi
ods_req POST "$A/workflows/$wf/stop" "${alice[@]}" "${J[@]}" -d '{}'
ods_expect_code 400 "stop without execution_id"
ods_expect_json .code 40001 "stop without execution_id: 40001"
ods_req POST "$A/workflows/$wf/stop" "${alice[@]}" "${J[@]}" -d '{"execution_id":"exec-000000000000"}'
ods_expect_code 404 "stop an unknown execution"
ods_expect_json .code 40402 "unknown execution: 40402"
ods_req POST "$A/workflows/$rag/stop" "${alice[@]}" "${J[@]}" -d "{\"execution_id\":\"$slow\"}"
ods_expect_code 404 "stop a run of another workflow"
t0=$(date +%s%N)
ods_req POST "$A/workflows/$wf/stop" "${alice[@]}" "${J[@]}" -d "{\"execution_id\":\"$slow\"}"
ods_expect_code 200 "stop"
jeq '[.data.execution_id, .data.status]' "[\"$slow\", \"stopped\"]" "stop answers {execution_id, status:stopped}"
ods_expect_eq "$(sql "SELECT e.status, j.status IN ('cancelled', 'running') AND (j.status = 'cancelled' OR j.cancel_requested = 1) FROM workflow_executions e JOIN jobs j ON j.id = e.job_id WHERE e.execution_id = '$slow'" | tr '\t' ' ')" \
    "stopped 1" "the row is stopped and its job cancelled"
if [ "$engine" = 1 ]; then
	# The job ends (the worker's run saw the cancel and returned) long
	# before the node's 10 s.
	jst=
	for i in $(seq 1 200); do
		jst=$(sql "SELECT j.status FROM jobs j JOIN workflow_executions e ON j.id = e.job_id WHERE e.execution_id = '$slow'")
		case $jst in
		succeeded|failed|cancelled) break ;;
		*) sleep 0.02 ;;
		esac
	done
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	case $jst in
	succeeded|failed|cancelled) ;;
	*) ods_t_fail "the stopped run's job is still $jst" ;;
	esac
	ods_expect_le "$ms" 2000 "the worker gave the run up within 2 s ($ms ms)"
	ods_expect_eq "$(sql "SELECT COUNT(*) FROM workflow_node_runs WHERE execution_id = '$slow' AND node_id = 'wait' AND status = 'success'")" 0 \
	    "the slow node never completed"
fi
sleep 3
ods_get "$A/workflows/$wf/status?execution_id=$slow" "${alice[@]}"
ods_expect_code 200 "status of one run"
jeq '[.data.status, .data.error]' '["stopped", "stopped by alice"]' "still stopped 3 s later"
ods_req POST "$A/workflows/$wf/stop" "${alice[@]}" "${J[@]}" -d "{\"execution_id\":\"$slow\"}"
ods_expect_code 409 "stop an ended run"
ods_get "$A/workflows/$wf/status" "${alice[@]}"
ods_expect_code 200 "status: the last runs"
ods_expect_json '[.data.executions[].execution_id] | index("'"$slow"'") != null' true "the last runs include it"
ods_get "$A/workflows/$wf/executions?limit=1" "${alice[@]}"
ods_expect_code 200 "a workflow's executions, limit 1"
jeq '[(.data.executions | length), .data.executions[0].execution_id, .data.total]' "[1, \"$slow\", 2]" "newest first"
ods_get "$A/executions?workflow_id=$wf&status=stopped" "${alice[@]}"
ods_expect_code 200 "/executions filtered"
jeq '[.data.executions[].execution_id]' "[\"$slow\"]" "workflow_id and status filter"
ods_get "$A/executions?status=sleeping" "${alice[@]}"
ods_expect_code 400 "an unknown status"
ods_get "$A/executions/$slow" "${alice[@]}"
ods_expect_code 200 "one execution"
ods_expect_json '.data | has("node_results")' true "with node_results"
ods_get "$A/executions/$slow/logs" "${alice[@]}"
ods_expect_code 200 "its logs"
ods_expect_json '[.data.logs[] | select(.event == "stop") | .message] | .[0]' "stopped by alice" "a log row of the stop"
lid=$(ods_json '.data.logs[-1].id')
ods_get "$A/executions/$slow/logs?after_id=$lid" "${alice[@]}"
jeq '[(.data.logs | length), .data.has_more]' '[0, false]' "after the last row: none"
for r in "$A/executions/$slow" "$A/executions/$slow/logs" "$A/executions/$slow/events"; do
	ods_get "$r" "${bob[@]}"
	ods_expect_code 404 "bob: $r"
done
ods_get "$A/executions" "${bob[@]}"
ods_expect_json .data.total 0 "bob lists none of alice's runs"

# ---------------------------------------------------------------- SSE
# sse URL [CURL ARGS]: the event stream into SSE (ends by itself).
sse() {
	local u=$1
	shift
	SSE=$(curl -s -N -m 20 -D "$ODS_STACK_DIR/sse.h" "$@" "$u")
}
# With no stream in Redis (as when Redis was down during the run): the
# rows and the status.
ods_redis_cli DEL "ods:wf:ev:$slow" >/dev/null
t0=$(date +%s)
sse "$A/executions/$slow/events" "${alice[@]}"
grep -qi '^content-type: text/event-stream' "$ODS_STACK_DIR/sse.h" || ods_t_fail "events: not text/event-stream"
ods_expect_eq "$(grep '^event: ' <<<"$SSE" | tail -1)" "event: end" "the stream of an ended run ends with end"
grep -q '^id: log-' <<<"$SSE" || ods_t_fail "the log rows have log-<id> ids: $SSE"
ods_t_ok "the rows' events carry log-<id> ids"
ods_expect_le $(( $(date +%s) - t0 )) 5 "it ended by itself"
# Redis: the engine's events, in order, then end.
# (a row with no job, so that only this test appends to its stream)
fake=exec-0000000000f1
sql "INSERT INTO workflow_executions (execution_id, workflow_id, status, created_by, started_at) VALUES ('$fake', '$wf', 'running', 'alice', NOW(3))"
key="ods:wf:ev:$fake"
id1=$(ods_redis_cli XADD "$key" '*' e '{"type":"status","status":"running"}')
ods_redis_cli XADD "$key" '*' e '{"type":"node_start","node_id":"in","node_type":"input","attempt":1}' >/dev/null
( sleep 1
  ods_redis_cli XADD "$key" '*' e '{"type":"node_end","node_id":"in","status":"success","duration_ms":1,"output_bytes":2}' >/dev/null
  ods_redis_cli XADD "$key" '*' e '{"type":"end","status":"completed","duration_ms":5}' >/dev/null ) &
appender=$!
t0=$(date +%s%N)
sse "$A/executions/$fake/events?access_token=$ALICE_TOK" -H 'Accept: text/event-stream'
wait "$appender"
ods_expect_eq "$(grep '^event: ' <<<"$SSE" | cut -d' ' -f2 | tr '\n' ' ')" "status node_start node_end end " \
    "the Redis stream's events in order (token in the query for EventSource)"
ods_expect_eq "$(grep -c '^id: [0-9]*-[0-9]*$' <<<"$SSE")" 4 "each with its stream id"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ods_expect_le 900 "$ms" "live: the last events came when appended ($ms ms)"
sse "$A/executions/$fake/events" "${alice[@]}" -H "Last-Event-ID: $id1"
ods_expect_eq "$(grep '^event: ' <<<"$SSE" | cut -d' ' -f2 | tr '\n' ' ')" "node_start node_end end " \
    "Last-Event-ID resumes after that event"
ods_req POST "$A/workflows/$wf/stop" "${alice[@]}" "${J[@]}" -d "{\"execution_id\":\"$fake\"}"
ods_get "$A/executions/$fake/events?access_token=$ALICE_TOK"
ods_expect_code 401 "a token in the query of a non-EventSource request"

if [ "$engine" = 1 ]; then
	ods_req PUT "$A/workflows/$wf" "${alice[@]}" "${J[@]}" -d "{\"definition\":$DEF}"
	ods_req POST "$A/workflows/$wf/start" "${alice[@]}" "${J[@]}" -d '{"inputs":{"text":"sse"}}'
	live=$(ods_json .data.execution_id)
	sse "$A/executions/$live/events" "${alice[@]}"
	got=$(grep '^event: ' <<<"$SSE" | cut -d' ' -f2 | grep -E '^(node_start|node_end|end)$' | tr '\n' ' ')
	ods_expect_eq "$got" "node_start node_end node_start node_end node_start node_end end " \
	    "a real run's events: node_start, node_end of each node, then end"
fi

# ----------------------------------------------------------- schedules
ods_req PUT "$A/workflows/$wf" "${alice[@]}" "${J[@]}" -d "{\"definition\":$DEF}"
ods_req POST "$A/workflows/$wf/schedules" "${alice[@]}" "${J[@]}" -d '{"schedule_type":"event"}'
ods_expect_code 400 "an event schedule is unsupported"
ods_req POST "$A/workflows/$wf/schedules" "${alice[@]}" "${J[@]}" -d '{"type":"cron","cron_expression":"61 * * * *"}'
ods_expect_code 400 "a bad cron expression"
ods_expect_json .field cron_expression "it names cron_expression"
ods_req POST "$A/workflows/$wf/schedules" "${alice[@]}" "${J[@]}" -d '{"type":"interval"}'
ods_expect_code 400 "an interval without interval_seconds"
ods_req POST "$A/workflows/$wf/schedules" "${viewer[@]}" "${J[@]}" -d '{"type":"interval","interval_seconds":1}'
ods_expect_code 403 "a viewer cannot schedule"
ods_req POST "$A/workflows/$wf/schedules" "${alice[@]}" "${J[@]}" \
    -d '{"schedule_type":"interval","interval_seconds":1,"inputs":{"text":"tick"},"max_retries":2,"retry_delay_seconds":5,"timeout_seconds":60,"description":"every second"}'
ods_expect_code 201 "an interval schedule of 1 s"
sid=$(ods_json .data.schedule_id)
[[ $sid =~ ^schedule-[0-9a-f]{8}$ ]] || ods_t_fail "schedule id '$sid' is not schedule-<8hex>"
jeq "[.data.id, .data.workflow_id, .data.schedule_type, .data.interval_seconds, .data.enabled, .data.paused, .data.max_retries, .data.inputs.text, (.data.next_run_at != null)]" \
    "[\"$sid\", \"$wf\", \"interval\", 1, true, false, 2, \"tick\", true]" "the Schedule object, next_run_at from the platform schedule"
ods_expect_eq "$(sql "SELECT job_type, JSON_VALUE(payload, '\$.schedule_id') FROM schedules WHERE name = 'workflow:$sid'" | tr '\t' ' ')" \
    "workflow_run $sid" "its platform schedule enqueues workflow_run"
fired() { sql "SELECT COUNT(*) FROM jobs WHERE type = 'workflow_run' AND JSON_VALUE(payload, '\$.schedule_id') = '$sid'"; }
for i in $(seq 1 60); do [ "$(fired)" -ge 2 ] && break; sleep 0.1; done
ods_expect_le 2 "$(fired)" "it fires (workflow_run jobs of the schedule)"
if [ "$engine" = 1 ]; then
	for i in $(seq 1 50); do
		[ "$(sql "SELECT COUNT(*) FROM workflow_executions WHERE schedule_id = '$sid' AND triggered_by = 'schedule'")" -ge 1 ] && break
		sleep 0.1
	done
	ods_get "$A/executions?schedule_id=$sid" "${alice[@]}"
	ods_expect_json '[.data.executions[].triggered_by] | index("schedule") != null' true \
	    "the schedule's runs are executions triggered_by schedule"
fi
ods_get "$A/workflows/$wf/schedules" "${alice[@]}"
ods_expect_code 200 "the workflow's schedules"
jeq '[.data.schedules[].schedule_id]' "[\"$sid\"]" "it is listed"
ods_get "$A/schedules?workflow_id=$wf&enabled=true" "${alice[@]}"
jeq '[.data.total, (.data.schedules[0].last_run_at != null)]' '[1, true]' "/schedules filters, last_run_at is kept"
ods_get "$A/schedules?enabled=perhaps" "${alice[@]}"
ods_expect_code 400 "enabled must be a boolean"
ods_get "$A/schedules" "${bob[@]}"
ods_expect_json .data.total 0 "bob lists none of alice's schedules"
for r in "GET $A/schedules/$sid" "DELETE $A/schedules/$sid" "POST $A/schedules/$sid/pause" \
    "POST $A/schedules/$sid/resume" "POST $A/schedules/$sid/trigger" \
    "PUT $A/schedules/$sid/retry-config" "GET $A/schedules/$sid/statistics"; do
	ods_req ${r%% *} "${r#* }" "${bob[@]}" "${J[@]}" -d '{"max_retries":1}'
	ods_expect_code 404 "bob: $r"
done
ods_req POST "$A/schedules/$sid/pause" "${alice[@]}"
ods_expect_code 200 "pause"
jeq '[.data.paused, .data.next_run_at]' '[true, null]' "paused: no next run"
sleep 1.5
n1=$(fired)
sleep 3
ods_expect_eq "$(fired)" "$n1" "paused: no new runs in 3 s"
ods_req POST "$A/schedules/$sid/trigger" "${alice[@]}"
ods_expect_code 202 "trigger the paused schedule"
tex=$(ods_json .data.execution_id)
ods_expect_eq "$(sql "SELECT schedule_id, triggered_by, timeout_s, JSON_VALUE(inputs, '\$.text') FROM workflow_executions WHERE execution_id = '$tex'" | tr '\t' ' ')" \
    "$sid trigger 60 tick" "the trigger makes a run of the schedule (its inputs and timeout)"
ods_req PUT "$A/schedules/$sid/retry-config" "${alice[@]}" "${J[@]}" -d '{"max_retries":3,"retry_backoff_base":1.5}'
ods_expect_code 200 "retry settings"
jeq '[.data.max_retries, .data.retry_backoff_base, .data.retry_delay_seconds, .data.timeout_seconds]' '[3, 1.5, 5, 60]' \
    "the settings given change, the others stay"
ods_req PUT "$A/schedules/$sid/retry-config" "${alice[@]}" "${J[@]}" -d '{"max_retries":99}'
ods_expect_code 400 "max_retries past 10"
ods_get "$A/schedules/$sid/statistics" "${alice[@]}"
ods_expect_code 200 "statistics"
ods_expect_json '.data.total_runs >= 1' true "the triggered run is counted"
ods_req POST "$A/schedules/$sid/resume" "${alice[@]}"
ods_expect_code 200 "resume"
jeq '[.data.paused, (.data.next_run_at != null)]' '[false, true]' "resumed: a next run"
for i in $(seq 1 40); do [ "$(fired)" -gt "$n1" ] && break; sleep 0.1; done
ods_expect_le "$((n1 + 1))" "$(fired)" "resumed: it fires again"
ods_req DELETE "$A/schedules/$sid" "${alice[@]}"
ods_expect_code 200 "delete the schedule"
ods_expect_eq "$(sql "SELECT COUNT(*) FROM schedules WHERE name = 'workflow:$sid'")" 0 "its platform schedule is gone"
ods_get "$A/schedules/$sid" "${alice[@]}"
ods_expect_code 404 "a deleted schedule"
# Retries of a failed scheduled run: a run that fails (an http node to a
# refused address), a schedule with one retry 1 s later.
if [ "$engine" = 1 ]; then
	FAILING='{"version":"1.0","nodes":[{"id":"src","type":"input"},{"id":"call","type":"http","config":{"url":"http://127.0.0.1:9/"}},{"id":"out","type":"output","config":{"input_from":"call"}}],"edges":[{"source":"src","target":"call"},{"source":"call","target":"out"}]}'
	ods_req POST "$A/workflows" "${alice[@]}" "${J[@]}" -d "{\"name\":\"fails\",\"type\":\"custom\",\"definition\":$FAILING}"
	ods_expect_code 201 "a workflow that fails"
	fwf=$(ods_json .data.workflow_id)
	ods_req POST "$A/workflows/$fwf/schedules" "${alice[@]}" "${J[@]}" \
	    -d '{"type":"cron","cron_expression":"0 0 1 1 *","max_retries":1,"retry_delay_seconds":1,"retry_backoff_base":2}'
	fsid=$(ods_json .data.schedule_id)
	ods_req POST "$A/schedules/$fsid/trigger" "${alice[@]}"
	ods_expect_code 202 "trigger it"
	first=$(ods_json .data.execution_id)
	for i in $(seq 1 100); do
		[ "$(sql "SELECT COUNT(*) FROM workflow_executions WHERE schedule_id = '$fsid' AND status = 'failed'")" -ge 2 ] && break
		sleep 0.1
	done
	ods_expect_eq "$(sql "SELECT status FROM workflow_executions WHERE execution_id = '$first'")" failed "the triggered run failed"
	ods_expect_eq "$(sql "SELECT COUNT(*), MIN(run_after >= created_at + INTERVAL 900000 MICROSECOND) FROM jobs WHERE JSON_VALUE(payload, '\$.retry_of') = '$first'" | tr '\t' ' ')" \
	    "1 1" "one retry job, 1 s later"
	ods_expect_eq "$(sql "SELECT COUNT(*) FROM workflow_executions WHERE schedule_id = '$fsid' AND triggered_by = 'schedule' AND status = 'failed'")" 1 \
	    "the retry ran as a run of the schedule (and failed too)"
	sleep 1.5
	ods_expect_eq "$(sql "SELECT COUNT(*) FROM jobs WHERE JSON_VALUE(payload, '\$.schedule_id') = '$fsid'")" 1 \
	    "no second retry: max_retries 1"
	ods_get "$A/schedules/$fsid/statistics" "${alice[@]}"
	jeq '[.data.failed, .data.retry_count]' '[2, 0]' "statistics: 2 failed runs, the retries spent and reset"
	ods_get "$A/workflows/$fwf" "${alice[@]}"
	ods_expect_json .data.status error "a workflow whose last run failed is in error"
fi

# A second schedule, for the delete below.
ods_req POST "$A/workflows/$wf/schedules" "${alice[@]}" "${J[@]}" -d '{"type":"cron","cron_expression":"0 0 1 1 *","max_retries":1}'
ods_expect_code 201 "a yearly schedule"
sid2=$(ods_json .data.schedule_id)

# ------------------------------------------------------------- delete
ods_req PUT "$A/workflows/$wf" "${alice[@]}" "${J[@]}" -d "{\"definition\":$SLOW}"
ods_req POST "$A/workflows/$wf/start" "${alice[@]}" "${J[@]}" -d "{\"inputs\":{}}"
running=$(ods_json .data.execution_id)
ods_req DELETE "$A/workflows/$wf" "${alice[@]}"
ods_expect_code 200 "delete the workflow"
ods_expect_json '.data.deleted' true "deleted"
ods_expect_eq "$(sql "SELECT status FROM workflow_executions WHERE execution_id = '$running'")" stopped \
    "its unfinished run was stopped, not left running"
ods_expect_eq "$(sql "SELECT COUNT(*) FROM workflow_schedules WHERE workflow_id = '$wf'") $(sql "SELECT COUNT(*) FROM schedules WHERE name = 'workflow:$sid2'") $(sql "SELECT COUNT(*) FROM workflow_versions WHERE workflow_id = '$wf'")" \
    "0 0 0" "its schedules, their platform schedules and its versions are gone"
ods_get "$A/workflows/$wf" "${alice[@]}"
ods_expect_code 404 "a deleted workflow"
ods_expect_json .code 40401 "Workflow not found: 40401"

# Redis down: a run completes (the worker polls) and its events come from
# its log rows, each node's start and end, then end.
if [ "$engine" = 1 ]; then
	ods_redis_stop
	ods_req POST "$A/workflows" "${alice[@]}" "${J[@]}" -d "{\"name\":\"no redis\",\"definition\":$DEF}"
	ods_expect_code 201 "a workflow, Redis down"
	nwf=$(ods_json .data.workflow_id)
	ods_req POST "$A/workflows/$nwf/start" "${alice[@]}" "${J[@]}" -d '{"inputs":{"text":"rows"}}'
	ods_expect_code 202 "start it, Redis down"
	nex=$(ods_json .data.execution_id)
	sse "$A/executions/$nex/events" "${alice[@]}"
	got=$(grep '^event: ' <<<"$SSE" | cut -d' ' -f2 | grep -v '^log$' | tr '\n' ' ')
	ods_expect_eq "$got" "status node_start node_end node_start node_end node_start node_end end " \
	    "Redis down: the rows' node events in order, then end"
	ods_expect_eq "$(grep '^data: ' <<<"$SSE" | tail -1 | cut -c7- | jq -r .status)" completed "the end says completed"
fi

ods_t_spec_validate
ods_t_end
