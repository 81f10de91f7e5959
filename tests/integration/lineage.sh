#!/usr/bin/env bash
# tests/integration/lineage.sh — lineage (issue 17, D24 and the web's
# routes) through nginx: OpenLineage events emitted build A -> B -> C, a
# cycle C -> A, a second source E -> A and a column edge A.id -> B.id; the
# web's table graph at depth 1 and 2, the column graph, search, paths both
# ways, an ETL task's edges; the reference's upstream, downstream and
# impact (A reaches B and C); walks end on the cycle even at depth 10;
# emitting the same event again adds nothing; the export is OpenLineage
# (the fields Marquez requires); RBAC (a viewer reads and cannot emit);
# bad input is a 400 naming the field (depth out of 1..10 is refused, not
# clamped); an unknown table is an empty graph. Both prefixes.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"

ods_t_begin lineage
ods_t_require jq
export JWT_SECRET_KEY=lineage-secret-0123456789abcdefghijklmn
export ODS_RATE_LIMIT_DEFAULT=1000/minute ODS_RATE_LIMIT_BURST=2000
ods_stack_init
ods_stack_up
ctl=$(ods_bin odsctl)

tok() { "$ctl" token --sub "$1" --roles "$2" --ttl 600 || ods_t_fail "odsctl token"; }
eng=(-H "Authorization: Bearer $(tok erin data_engineer)")
viewer=(-H "Authorization: Bearer $(tok vic viewer)")
J=(-H 'Content-Type: application/json')
U=$ODS_DATA_URL/api/v1
UD=$ODS_DATA_URL/api/v1/data
NS=lin-test
A=shop.orders B=dw.orders_clean C=mart.revenue E=crm.customers

uuid() { cat /proc/sys/kernel/random/uuid; }
# ol TYPE JOB RUN IN OUT [COLUMN-FACET]: an OpenLineage RunEvent.
ol() {
	jq -cn --arg t "$1" --arg j "$2" --arg r "$3" --arg i "$4" \
	    --arg o "$5" --arg ns "$NS" --argjson f "${6:-{\}}" '{
	    eventType: $t, eventTime: "2026-01-02T03:04:05.678Z",
	    run: {runId: $r}, job: {namespace: "etl", name: $j},
	    inputs: [{namespace: $ns, name: $i, facets: {}}],
	    outputs: [{namespace: $ns, name: $o, facets: $f}],
	    producer: "https://example.com/lineage-test",
	    schemaURL: "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"}'
}
emit() {
	ods_req POST "$1/lineage/events/emit" "${eng[@]}" "${J[@]}" -d "$2"
	ods_expect_code 200 "$3"
	ods_expect_json .data.stored true "$3: stored"
}

# ---- the graph: A -> B (with a column edge), B -> C, C -> A, E -> A.
R1=$(uuid)
colf=$(jq -cn --arg ns "$NS" --arg a "$A" '{columnLineage: {_producer: "t",
    _schemaURL: "https://openlineage.io/spec/facets/1-0-1/ColumnLineageDatasetFacet.json",
    fields: {id: {inputFields: [{namespace: $ns, name: $a, field: "id"}],
    transformationDescription: "copy", transformationType: "IDENTITY"},
    amount: {inputFields: [{namespace: $ns, name: $a, field: "qty"},
    {namespace: $ns, name: $a, field: "price"}],
    transformationDescription: "qty * price", transformationType: "MASKED"}}}}')
emit "$U" "$(ol START job_ab "$R1" "$A" "$B")" "emit START A->B"
emit "$U" "$(ol COMPLETE job_ab "$R1" "$A" "$B" "$colf")" "emit COMPLETE A->B with columns"
emit "$UD" "$(ol COMPLETE job_bc "$(uuid)" "$B" "$C")" "emit B->C (data prefix)"
emit "$U" "$(ol COMPLETE job_ca "$(uuid)" "$C" "$A")" "emit C->A (a cycle)"
# The reference's shape.
emit "$U" "{\"event_type\":\"JOB_COMPLETED\",\"job_name\":\"job_ea\",\"namespace\":\"$NS\",\"source_tables\":[\"$E\"],\"target_tables\":[\"$A\"],\"transformation\":\"INSERT INTO shop.orders SELECT ...\",\"run_id\":\"exec-1\"}" "emit E->A (reference shape)"
ods_expect_json .data.run_id exec-1 "reference shape: its run id"

ods_req GET "$U/lineage/events?limit=1000" "${viewer[@]}"
ods_expect_code 200 "events"
ev_total=$(ods_json .data.total)
edges=$(ods_json .data.stats.edges)
ods_expect_eq "$ev_total" 5 "events: five recorded"
ods_expect_eq "$edges" 7 "stats: four table edges and three column edges"

# Emitting the same events again (a retry) adds no event and no edge.
emit "$U" "$(ol COMPLETE job_ab "$R1" "$A" "$B" "$colf")" "emit A->B again"
ods_req GET "$U/lineage/events?job_name=job_ab" "${viewer[@]}"
ods_expect_json .data.total 2 "events of job_ab: START and COMPLETE, once each"
ods_expect_json .data.stats.edges 7 "no edge twice"
ods_req GET "$U/lineage/events?event_type=JOB_COMPLETED&limit=2" "${viewer[@]}"
ods_expect_json .data.total 4 "the reference's event type filter"
ods_expect_json '.data.events | length' 2 "limit"
ods_expect_json '.data.stats.by_type.START' 1 "stats by type"

# ---- the web's table graph.
ods_req GET "$U/lineage/table?table_name=orders_clean&depth=1" "${viewer[@]}"
ods_expect_code 200 "table graph of B, depth 1"
ods_expect_json '[.data.nodes[].name] | sort | join(",")' "$B,$C,$A" "depth 1: B, its source A, its target C"
ods_expect_json '.data.edges | length' 2 "depth 1: two edges"
ods_expect_json "[.data.edges[] | select(.source == \"$NS:$A\" and .target == \"$NS:$B\")] | length" 1 "the edge A->B"
ods_expect_json "(.data.nodes[] | select(.name == \"$B\") | .database)" dw "a node's database"
ods_req GET "$UD/lineage/table?table_name=$B&depth=2" "${viewer[@]}"
ods_expect_code 200 "table graph of dw.orders_clean, depth 2"
ods_expect_json '[.data.nodes[].name] | sort | join(",")' "$E,$B,$C,$A" "depth 2: E upstream of A too"
ods_expect_json '.data.edges | length' 4 "depth 2: four edges (the cycle's C->A once)"
ods_expect_json '.data.truncated' false "not truncated"
ods_req GET "$U/lineage/table?table_name=no_such_table" "${viewer[@]}"
ods_expect_code 200 "an unknown table"
ods_expect_json '.data.nodes | length' 0 "an unknown table: no nodes"
ods_req GET "$U/lineage/table?table_name=other.orders_clean" "${viewer[@]}"
ods_expect_json '.data.nodes | length' 0 "a qualified name matches exactly"

# ---- columns, search, the ETL task.
ods_req GET "$U/lineage/column?table_name=orders_clean&column_name=amount" "${viewer[@]}"
ods_expect_code 200 "column graph"
ods_expect_json '[.data.nodes[].name] | sort | join(",")' "$B.amount,$A.price,$A.qty" "B.amount comes from A.qty and A.price"
ods_expect_json '[.data.edges[].properties.transformation] | unique | join(",")' "qty * price" "the expression"
ods_req GET "$U/lineage/search?query=orders&type=table" "${viewer[@]}"
ods_expect_code 200 "search"
ods_expect_json '[.data.results[].name] | join(",")' "$A,$B" "search: tables whose name holds orders"
ods_req GET "$U/lineage/search?query=%25" "${viewer[@]}"
ods_expect_json '.data.total' 0 "search: % is a literal"
ods_req GET "$U/lineage/etl/job_ab" "${viewer[@]}"
ods_expect_code 200 "an ETL task's lineage"
ods_expect_json '[.data.nodes[] | select(.type == "etl_task") | .name] | join(",")' job_ab "the task is a node"
ods_expect_json '[.data.edges[].type] | sort | join(",")' output,transform "read and written"
ods_expect_json ".data.runs[0].run_id" "$R1" "its run"

# ---- the reference's walks.
ods_req GET "$U/lineage/downstream?namespace=$NS&name=$A" "${viewer[@]}"
ods_expect_code 200 "downstream of A"
ods_expect_json '[.data.downstream[] | "\(.name)@\(.depth)"] | join(",")' "$B@1,$C@2" "downstream of A: B then C"
ods_expect_json '.data.dataset' "$NS.$A" "dataset"
ods_req GET "$UD/lineage/upstream?namespace=$NS&name=$A&max_depth=2" "${viewer[@]}"
ods_expect_code 200 "upstream of A"
ods_expect_json '[.data.upstream[] | "\(.name)@\(.depth)"] | sort | join(",")' "$E@1,$B@2,$C@1" "upstream of A: C and E, then B"
ods_expect_json "(.data.upstream[] | select(.name == \"$E\") | .transformation)" "INSERT INTO shop.orders SELECT ..." "the transformation"
ods_req GET "$U/lineage/impact?namespace=$NS&name=$A" "${viewer[@]}"
ods_expect_code 200 "impact of A"
ods_expect_json '[.data.all_downstream[].name] | sort | join(",")' "$B,$C" "impact of A: B and C"
ods_expect_json '.data.total_downstream' 2 "total_downstream"
ods_expect_json '.data.by_depth | tojson' '{"1":1,"2":1}' "by_depth"
ods_expect_json '[.data.direct_downstream[].name] | join(",")' "$B" "direct_downstream"
t0=$(date +%s%N)
ods_req GET "$U/lineage/downstream?namespace=$NS&name=$A&max_depth=10" "${viewer[@]}"
ods_expect_code 200 "downstream of A at depth 10 (a cycle)"
ods_expect_json '.data.total' 2 "the cycle ends: each node once"
ods_expect_le $(( ($(date +%s%N) - t0) / 1000000 )) 2000 "the cycle's walk in ms"

# ---- paths.
ods_req GET "$U/lineage/path?source_namespace=$NS&source_name=$A&target_namespace=$NS&target_name=$C" "${viewer[@]}"
ods_expect_code 200 "path A->C"
ods_expect_json '.data.path | join(",")' "$NS.$A,$NS.$B,$NS.$C" "path A->B->C"
ods_expect_json '.data.path_length' 2 "path_length"
ods_expect_json '.data.exists' true "exists"
ods_req GET "$UD/lineage/path?source_namespace=$NS&source_name=$C&target_namespace=$NS&target_name=$E" "${viewer[@]}"
ods_expect_json '.data.exists' false "nothing flows from C to E"
ods_expect_json '.data.path | length' 0 "no path"
ods_req GET "$U/lineage/path?source=revenue&target=orders_clean" "${viewer[@]}"
ods_expect_code 200 "the web's path C->B"
ods_expect_json '[.data.path[].name] | join(",")' "$C,$A,$B" "the web's path: C, A, B"
ods_expect_json '.data.path[0].id' "$NS:$C" "the web's path: ids"

# ---- the export: OpenLineage 1.x that Marquez accepts.
ods_req GET "$U/lineage/export?limit=100" "${viewer[@]}"
ods_expect_code 200 "export"
ods_expect_json .data.format openlineage "format"
ods_expect_json .data.total 5 "export: every event"
ol_ok='.data.events | map(. as $e | select((.eventType | IN("START","RUNNING","COMPLETE","ABORT","FAIL","OTHER")) and (.eventTime | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T")) and (.run.runId | test("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")) and (.job.namespace | length > 0) and (.job.name | length > 0) and (.producer | test("^https?://")) and (.schemaURL | test("^https?://")) and (([$e.inputs[], $e.outputs[]] | map(select((.namespace | length > 0) and (.name | length > 0))) | length) == (($e.inputs | length) + ($e.outputs | length))))) | length'
ods_expect_json "$ol_ok" 5 "export: every event has OpenLineage's required fields"
ods_expect_json "[.data.events[] | select(.job.name == \"job_ea\") | .outputs[0].name] | join(\",\")" "$A" "the reference's event, written as OpenLineage"
ods_expect_json '[.data.events[] | .outputs[0].facets.columnLineage.fields.amount.inputFields | select(. != null) | length] | join(",")' 2 "the column facet kept"

# ---- RBAC and bad input.
ods_req POST "$U/lineage/events/emit" "${viewer[@]}" "${J[@]}" -d "$(ol COMPLETE v "$(uuid)" x.a x.b)"
ods_expect_error_envelope 403 forbidden "a viewer cannot emit"
ods_req GET "$U/lineage/table?table_name=orders_clean"
ods_expect_code 401 "no token"
ods_req GET "$U/lineage/table" "${viewer[@]}"
ods_expect_code 400 "table_name is required"
ods_expect_json .field table_name "the field"
for d in abc 0 11 1000; do
	ods_req GET "$U/lineage/table?table_name=b&depth=$d" "${viewer[@]}"
	ods_expect_code 400 "depth=$d"
	ods_expect_json .field depth "depth=$d: the field"
done
ods_req GET "$U/lineage/upstream?namespace=$NS" "${viewer[@]}"
ods_expect_code 400 "upstream without name"
ods_expect_json .code 40000 "code 40000"
ods_req GET "$U/lineage/impact?name=$A&max_depth=x" "${viewer[@]}"
ods_expect_json .field max_depth "max_depth=x"
ods_req GET "$U/lineage/search?query=a&type=planet" "${viewer[@]}"
ods_expect_json .field type "search: a bad type"
ods_req GET "$U/lineage/events?event_type=DONE" "${viewer[@]}"
ods_expect_json .field event_type "events: a bad type"
ods_req GET "$U/lineage/export?limit=0" "${viewer[@]}"
ods_expect_json .field limit "export: limit 0"
ods_req GET "$U/lineage/path?source=a" "${viewer[@]}"
ods_expect_json .field target "path: no target"
bad() {
	ods_req POST "$U/lineage/events/emit" "${eng[@]}" "${J[@]}" -d "$1"
	ods_expect_code 400 "emit: $3"
	ods_expect_json .field "$2" "emit: $3: the field"
}
bad "$(ol COMPLETE j not-a-uuid x.a x.b)" run.runId "a runId that is no UUID"
bad "$(ol COMPLETE j "$(uuid)" x.a x.b | jq -c 'del(.job.name)')" name "no job name"
bad "$(ol DONE j "$(uuid)" x.a x.b)" event_type "an unknown eventType"
bad "$(ol COMPLETE j "$(uuid)" x.a x.b | jq -c '.eventTime = "yesterday"')" event_time "a bad eventTime"
bad "$(ol COMPLETE j "$(uuid)" x.a x.b | jq -c '.inputs = [{"namespace":"n"}]')" inputs "an input without a name"
bad '{"event_type":"JOB_COMPLETED","source_tables":["a"]}' job_name "the reference's shape without job_name"
ods_req POST "$U/lineage/events/emit" "${eng[@]}" "${J[@]}" -d '{"eventType":'
ods_expect_code 400 "emit: broken JSON"
ods_req GET "$U/lineage/events" "${viewer[@]}"
ods_expect_json .data.total 5 "nothing refused was stored"

ods_t_end
