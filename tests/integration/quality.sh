#!/usr/bin/env bash
# tests/integration/quality.sh — data quality (issue 17) through nginx on
# the stack's real MariaDB and a real PostgreSQL 15: every rule type
# against fixtures with known violation counts on both, a task whose
# score equals the hand computation, reports and trends from those runs,
# the alert lifecycle (acknowledge, resolve, the 409s, re-triggering),
# the webhook received by a local listener (and a metadata address
# refused without failing the run), data_quality_score in a scrape of
# the data pool and of the worker, a dataset rule, RBAC and bad input.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"
. "$here/../lib/pg.sh"

ods_t_begin quality
ods_t_require python3 promtool
export JWT_SECRET_KEY=quality-secret-0123456789abcdefghijklm
export ODS_RATE_LIMIT_DEFAULT=1000/minute ODS_RATE_LIMIT_BURST=2000
export ODS_SECRET_KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
export ODS_DATASOURCE_ALLOW='127.0.0.1/32'
PW=Pw-$(ods_secret 20)
PG_PW=Pg-$(ods_secret 20)
ods_stack_init
S=$ODS_STACK_DIR

# The webhook's listener: every POST body appended to a file.
ods_pick_port HOOK_PORT
cat >"$S/hook.py" <<'EOF'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get('Content-Length', 0))
        with open(sys.argv[2], 'ab') as f:
            f.write(self.rfile.read(n) + b'\n')
        self.send_response(204)
        self.end_headers()
    def log_message(self, *a):
        pass
http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
EOF
: >"$S/hook.log"
python3 "$S/hook.py" "$HOOK_PORT" "$S/hook.log" &
HOOK_PID=$!
ODS_T_CLEANUP='ods_pg_stop; kill $HOOK_PID 2>/dev/null'

# The fixture, the same on both databases: 10 customers (2 NULL emails;
# 5 rows in duplicate emails; 3 ages outside 0..120; 3 codes off the
# pattern; 2 countries not allowed; newest update 2 days ago) and 6
# orders (2 of unknown customers, 1 without one).
FIX="
CREATE TABLE customers (id INT PRIMARY KEY, email VARCHAR(64) NULL,
  age INT NULL, country VARCHAR(8), code VARCHAR(16), updated_at TIMESTAMP NULL);
CREATE TABLE orders (id INT PRIMARY KEY, customer_id INT NULL);
INSERT INTO customers VALUES
  (1, 'a@x', 10, 'CN', 'ABC-1', NULL), (2, 'a@x', 20, 'US', 'ABD-22', NULL),
  (3, 'b@x', -1, 'DE', 'x', NULL), (4, 'b@x', 130, 'CN', 'ABE-3', NULL),
  (5, 'b@x', 200, 'FR', '12-AB', NULL), (6, 'c@x', 30, 'US', 'AB-1', NULL),
  (7, 'd@x', 40, 'CN', 'QQQ-7', NULL), (8, 'e@x', 50, 'XX', 'RRR-8', NULL),
  (9, NULL, NULL, 'DE', 'SSS-9', NULL), (10, NULL, 60, 'CN', 'TTT-10', NULL);
INSERT INTO orders VALUES (1, 1), (2, 2), (3, 99), (4, 98), (5, NULL), (6, 3);
"
ods_pg_start
ods_pg_psql <<EOF || ods_t_fail "cannot fill PostgreSQL"
$FIX
UPDATE customers SET updated_at = now() - interval '2 days' - id * interval '1 minute';
EOF
ods_stack_up
ctl=$(ods_bin odsctl)
ods_db_sql <<EOF || ods_t_fail "cannot create the MariaDB fixture"
CREATE DATABASE IF NOT EXISTS q_shop;
USE q_shop;
$FIX
UPDATE customers SET updated_at = NOW() - INTERVAL 2 DAY - INTERVAL id MINUTE;
CREATE USER IF NOT EXISTS 'qa'@'127.0.0.1' IDENTIFIED BY '$PW';
GRANT SELECT ON q_shop.* TO 'qa'@'127.0.0.1';
EOF

tok() { "$ctl" token --sub "$1" --roles "$2" --ttl 900 || ods_t_fail "odsctl token"; }
eng=(-H "Authorization: Bearer $(tok erin data_engineer)")
viewer=(-H "Authorization: Bearer $(tok vic viewer)")
admin=(-H "Authorization: Bearer $(tok root admin)")
J=(-H 'Content-Type: application/json')
U=$ODS_DATA_URL/api/v1
UD=$ODS_DATA_URL/api/v1/data

mksrc() {
	ods_req POST "$U/datasources" "${eng[@]}" "${J[@]}" -d "$1"
	[ "$HTTP_CODE" = 201 ] || { _ods_t_show; ods_t_fail "data source: HTTP $HTTP_CODE"; }
	ID=$(ods_json .data.source_id)
}
mksrc "{\"name\":\"shop\",\"type\":\"mariadb\",\"connection\":{\"host\":\"127.0.0.1\",\"port\":$ODS_DB_PORT,\"username\":\"qa\",\"password\":\"$PW\",\"database\":\"q_shop\"}}"
MY=$ID
mksrc "{\"name\":\"shop-pg\",\"type\":\"postgresql\",\"connection\":{\"host\":\"127.0.0.1\",\"port\":$PG_PORT,\"username\":\"postgres\",\"password\":\"$PG_PW\",\"database\":\"postgres\"}}"
PG=$ID
ods_t_ok "sources: $MY (MariaDB), $PG (PostgreSQL)"

# rule BASE JSON [AUTH...]: POST /quality/rules; RID = its id.
rule() {
	local base=$1 body=$2
	shift 2
	if [ $# -eq 0 ]; then set -- "${eng[@]}"; fi
	ods_req POST "$base/quality/rules" "$@" "${J[@]}" -d "$body"
	RID=$(ods_json .data.rule_id)
}
# wait_job ID MSG: the job ends succeeded; its row in HTTP_BODY.
wait_job() {
	local i
	for i in $(seq 1 150); do
		ods_req GET "$U/jobs/$1" "${eng[@]}"
		case $(ods_json .data.status) in succeeded|failed|cancelled) break ;; esac
		sleep 0.2
	done
	ods_expect_json .data.status succeeded "$2: the job"
}
res() { ods_json ".data.result | if type == \"string\" then fromjson else . end | $1"; }
# run KIND ID MSG: queue a run, wait for it; REP = the report's id.
run() {
	ods_req POST "$U/quality/$1s/$2/run" "${eng[@]}"
	ods_expect_code 202 "$3: queued"
	wait_job "$(ods_json .data.job_id)" "$3"
	REP=$(res .report_id)
	ods_req GET "$U/quality/reports/$REP" "${eng[@]}"
	ods_expect_code 200 "$3: the report"
}

# ---- every rule type on both databases, one run each.
types=(not_null unique range regex allowed_values row_count freshness referential custom_sql)
want_v=(2 5 3 3 2 1 1 2 2)
want_rows=(10 10 10 10 10 1 1 6 10)
defs() {
	local src=$1 db=$2
	printf '%s\n' \
	  "{\"name\":\"email set\",\"rule_type\":\"not_null\",\"source_id\":\"$src\"$db,\"table\":\"customers\",\"column\":\"email\",\"threshold_type\":\"ratio\",\"threshold_warning\":0.1,\"threshold_critical\":0.5}" \
	  "{\"name\":\"email unique\",\"rule_type\":\"unique\",\"source_id\":\"$src\"$db,\"table_name\":\"customers\",\"column\":\"email\"}" \
	  "{\"name\":\"age range\",\"rule_type\":\"range\",\"source_id\":\"$src\"$db,\"table\":\"customers\",\"rule_config\":{\"column\":\"age\",\"min\":0,\"max\":120},\"threshold_warning\":5}" \
	  "{\"name\":\"code form\",\"rule_type\":\"regex\",\"source_id\":\"$src\"$db,\"table\":\"customers\",\"column\":\"code\",\"pattern\":\"^[A-Z]{3}-[0-9]+\$\"}" \
	  "{\"name\":\"country\",\"rule_type\":\"allowed_values\",\"source_id\":\"$src\"$db,\"table\":\"customers\",\"column\":\"country\",\"allowed_values\":[\"CN\",\"US\",\"DE\"]}" \
	  "{\"name\":\"size\",\"rule_type\":\"row_count\",\"source_id\":\"$src\"$db,\"table\":\"customers\",\"min\":5,\"max\":8}" \
	  "{\"name\":\"fresh\",\"rule_type\":\"freshness\",\"source_id\":\"$src\"$db,\"table\":\"customers\",\"column\":\"updated_at\",\"max_age_seconds\":86400}" \
	  "{\"name\":\"orders have customers\",\"rule_type\":\"referential\",\"source_id\":\"$src\"$db,\"table\":\"orders\",\"column\":\"customer_id\",\"ref_table\":\"customers\",\"ref_column\":\"id\"}" \
	  "{\"name\":\"old people\",\"rule_type\":\"custom_sql\",\"source_id\":\"$src\"$db,\"table\":\"customers\",\"sql\":\"SELECT COUNT(*), (SELECT COUNT(*) FROM customers) FROM customers WHERE age > 100\"}"
}
for be in my pg; do
	if [ $be = my ]; then src=$MY db=',"database":"q_shop"'; else src=$PG db=''; fi
	ids=()
	i=0
	while read -r body; do
		rule "$U" "$body"
		ods_expect_code 201 "$be: create ${types[$i]}"
		ods_expect_json .data.rule_type "${types[$i]}" "$be: its type"
		ids+=("$RID")
		run rule "$RID" "$be ${types[$i]}"
		r0='.data.rule_results[0]'
		[ "$(ods_json "$r0.error")" = null ] || ods_t_fail "$be ${types[$i]}: $(ods_json "$r0.error")"
		ods_expect_json "$r0.violations" "${want_v[$i]}" "$be ${types[$i]}: violations"
		ods_expect_json "$r0.rows_checked" "${want_rows[$i]}" "$be ${types[$i]}: rows checked"
		i=$((i + 1))
	done < <(defs "$src" "$db")
	eval "ids_$be=(\"\${ids[@]}\")"
done
# The samples: the violating rows themselves.
ods_req GET "$U/quality/rules/${ids_pg[0]}" "${eng[@]}"
ods_expect_json .data.last_status warning "not_null at 20% with warning 0.1, critical 0.5: warning"
ods_req GET "$U/quality/reports/$(ods_json .data.last_report_id)" "${eng[@]}"
ods_expect_json '[.data.rule_results[0].sample[].id] | sort | join(",")' "10,9" "not_null: the sample holds rows 9 and 10"
ods_req GET "$U/quality/rules/${ids_my[2]}" "${eng[@]}"
ods_expect_json .data.last_status passed "range: 3 violations under warning 5 (count): passed"
ods_req GET "$U/quality/rules/${ids_my[1]}" "${eng[@]}"
ods_expect_json '[.data.last_status, .data.check_count, .data.violation_count]' "$(jq -n '["failed",1,5]')" "unique: failed, counters"
ods_req GET "$U/quality/reports/$(ods_json .data.last_report_id)" "${eng[@]}"
ods_expect_json '[.data.rule_results[0].sample[] | .email + "=" + (.occurrences|tostring)] | sort | join(",")' "a@x=2,b@x=3" "unique: the duplicated values"

# ---- a task of the nine MariaDB rules: its score by hand.
# 1-2/10, 1-5/10, 1-3/10, 1-3/10, 1-2/10, 0 (row_count), 0 (freshness),
# 1-2/6, 1-2/10; mean of nine.
want=$(python3 -c 'print("%.4f" % ((0.8+0.5+0.7+0.7+0.8+0+0+(1-2/6)+0.8)/9))')
body=$(jq -cn --argjson ids "$(printf '%s\n' "${ids_my[@]}" | jq -R . | jq -s .)" \
    --arg hook "http://127.0.0.1:$HOOK_PORT/hook" \
    '{name:"shop nightly", rule_ids:$ids, schedule_type:"manual", webhook_url:$hook}')
ods_req POST "$U/quality/tasks" "${eng[@]}" "${J[@]}" -d "$body"
ods_expect_code 201 "a task"
TASK=$(ods_json .data.task_id)
run task "$TASK" "the task"
TREP=$REP
ods_expect_json '.data.quality_score * 10000 | round / 10000 | tostring' "$want" "the score is the hand computation ($want)"
ods_expect_json '[.data.total_checks, .data.passed_checks, .data.warning_checks, .data.failed_checks, .data.error_checks]' \
    "$(jq -cn '[9,1,1,7,0]' | jq .)" "checks: 1 passed, 1 warning, 7 failed"
ods_t_ok "task score $(ods_json .data.quality_score)"

# ---- the gauge: the customers table's rules (eight) in both scrapes.
label="$MY.q_shop.customers"
gwant=$(python3 -c 'print("%.4f" % ((0.8+0.5+0.7+0.7+0.8+0+0+0.8)/8))')
gauge() {
	curl -s -m 10 "$1/metrics" | awk -v l="data_quality_score{dataset=\"$label\"}" '$1 == l { print $2 }'
}
sleep 1.1
for url in "$ODS_DATA_URL" "$ODS_WORKER_URL"; do
	g=$(gauge "$url")
	[ -n "$g" ] || ods_t_fail "no data_quality_score{dataset=\"$label\"} at $url/metrics"
	ods_expect_eq "$(printf '%.4f' "$g")" "$gwant" "data_quality_score at $url/metrics"
done

# The manual's DataQualityScoreLow (k8s/monitoring/alert-rules.yml) on
# this scrape held for 15 minutes: it fires for every target under 0.7,
# the customers table among them.
curl -s -m 10 "$ODS_DATA_URL/metrics" >"$S/data.prom"
out=$(promtool check metrics <"$S/data.prom" 2>&1) || { printf '%s\n' "$out"; ods_t_fail "promtool check metrics of the data pool's scrape"; }
grep '^data_quality_score{' "$S/data.prom" >"$S/scores.prom"
{
	printf 'rule_files:\n  - %s\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n' \
	    "$here/../../k8s/monitoring/alert-rules.yml"
	awk '{ l = $1; sub(/^data_quality_score\{/, "", l); sub(/\}$/, "", l);
	    printf "      - series: '"'"'data_quality_score{job=\"data-api\",%s}'"'"'\n        values: '"'"'%sx20'"'"'\n", l, $2 }' "$S/scores.prom"
	printf '    alert_rule_test:\n      - eval_time: 15m\n        alertname: DataQualityScoreLow\n        exp_alerts:\n'
	awk '$2 < 0.7 { l = $1; sub(/^.*dataset="/, "", l); sub(/".*$/, "", l);
	    printf "          - exp_labels: {severity: warning, job: data-api, dataset: \"%s\"}\n            exp_annotations:\n              summary: \"数据质量分数低于 0.7\"\n              description: \"The data quality score of dataset %s has been below 0.7 for 10 minutes.\"\n", l, l }' "$S/scores.prom"
} >"$S/alert.test.yml"
grep -q "dataset: \"$label\"" "$S/alert.test.yml" || ods_t_fail "the customers table is not under 0.7 in the scrape"
out=$(promtool test rules "$S/alert.test.yml" 2>&1) || { printf '%s\n' "$out"; ods_t_fail "DataQualityScoreLow on the scraped scores"; }
ods_t_ok "DataQualityScoreLow fires for the $(grep -c exp_labels "$S/alert.test.yml") scraped targets under 0.7"

runs=$(curl -s -m 10 "$ODS_WORKER_URL/metrics" | awk '$1 == "business_operations_total{operation=\"quality_run\",status=\"success\"}" { print $2 }')
ods_expect_eq "$runs" 19 "the worker counts its quality runs (18 rules, 1 task)"

# ---- the webhook: one POST per alerting rule of the task.
for i in $(seq 1 50); do [ "$(wc -l <"$S/hook.log")" -ge 8 ] && break; sleep 0.1; done
ods_expect_eq "$(wc -l <"$S/hook.log")" 8 "the webhook got one POST per rule over its threshold"
ods_expect_eq "$(jq -r 'select(.rule_id == "'"${ids_my[1]}"'") | [.event, .severity, .violations] | join(",")' "$S/hook.log")" \
    "quality_alert,critical,5" "the unique rule's notification"

# ---- alerts: lifecycle and 409s.
ods_req GET "$U/quality/alerts?status=open&severity=critical&rule_id=${ids_my[1]}" "${viewer[@]}"
ods_expect_code 200 "alerts (viewer)"
ods_expect_json '[.data.total, .data.alerts[0].triggered_count, (.data.alerts[0].webhook_status | startswith("delivered"))]' \
    "$(jq -n '[1,2,true]')" "the unique rule's alert: open, triggered twice (rule run, task run), delivered"
AL=$(ods_json '.data.alerts[0].alert_id')
ods_req POST "$U/quality/alerts/$AL/acknowledge" "${viewer[@]}"
ods_expect_code 403 "a viewer cannot acknowledge"
ods_req POST "$U/quality/alerts/$AL/acknowledge" "${eng[@]}"
ods_expect_code 200 "acknowledge"
ods_expect_json '[.data.status, .data.acknowledged_by]' "$(jq -n '["acknowledged","erin"]')" "acknowledged by erin"
ods_req PUT "$U/quality/alerts/$AL/acknowledge" "${eng[@]}"
ods_expect_code 409 "acknowledge twice"
ods_expect_json .code 40900 "409's code"
ods_req POST "$UD/quality/alerts/$AL/resolve" "${eng[@]}"
ods_expect_code 200 "resolve"
ods_expect_json .data.status resolved "resolved"
ods_req POST "$U/quality/alerts/$AL/acknowledge" "${eng[@]}"
ods_expect_code 409 "resolved -> acknowledge"
ods_req POST "$U/quality/alerts/$AL/resolve" "${eng[@]}"
ods_expect_code 409 "resolved -> resolve"
ods_req POST "$U/quality/alerts/qa_nope/resolve" "${eng[@]}"
ods_expect_code 404 "an unknown alert"
run rule "${ids_my[1]}" "unique again"
ods_req GET "$U/quality/alerts?rule_id=${ids_my[1]}" "${eng[@]}"
ods_expect_json '[.data.total, ([.data.alerts[].status] | sort | join(","))]' "$(jq -n '[2,"open,resolved"]')" "a resolved alert stays; the breach opens a new one"
ods_req GET "$U/quality/alerts?status=inactive&rule_id=${ids_my[1]}" "${eng[@]}"
ods_expect_json '[.data.total, .data.alerts[0].status]' "$(jq -n '[1,"resolved"]')" "the reference's status=inactive: the resolved one"

# ---- a webhook to a metadata address: refused, recorded, the run fine.
ods_req PUT "$U/quality/rules/${ids_my[4]}" "${eng[@]}" "${J[@]}" -d '{"webhook_url":"http://169.254.169.254/latest"}'
ods_expect_code 200 "a rule's webhook_url"
run rule "${ids_my[4]}" "allowed_values with a refused webhook"
ods_req GET "$U/quality/alerts?rule_id=${ids_my[4]}" "${eng[@]}"
ods_expect_json '.data.alerts[0].webhook_status | startswith("refused")' true "the metadata address is refused"

# ---- reports, trends, tasks.
ods_req GET "$U/quality/reports?task_id=$TASK" "${viewer[@]}"
ods_expect_json '[.data.total, .data.reports[0].report_id]' "$(jq -n --arg r "$TREP" '[1,$r]')" "reports of the task"
ods_req GET "$U/quality/reports?page=1&page_size=5" "${viewer[@]}"
ods_expect_code 200 "reports"
ods_expect_json '[(.data.reports | length), .data.total >= 20, .page_size]' "$(jq -n '[5,true,5]')" "reports: a page of 5 of the 21 runs"
for p in daily weekly monthly; do
	ods_req GET "$U/quality/trends?period=$p" "${viewer[@]}"
	ods_expect_code 200 "trends $p"
	ods_expect_json '[.data.period, (.data.dates | length), .data.validation_counts[0] > 20, (.data.quality_scores[0] > 0 and .data.quality_scores[0] < 1)]' \
	    "$(jq -n --arg p $p '[$p,1,true,true]')" "trends $p from the real runs"
done
ods_req GET "$U/quality/trends?period=hourly" "${viewer[@]}"
ods_expect_code 400 "trends: an unknown period"
ods_req GET "$U/quality/tasks" "${viewer[@]}"
ods_expect_json '[.data.total, .data.tasks[0].task_id, .data.tasks[0].last_report_id != null]' "$(jq -n --arg t "$TASK" '[1,$t,true]')" "tasks"
ods_req GET "$U/quality/tasks/$TASK" "${viewer[@]}"
ods_expect_code 200 "a task"
ods_req POST "$U/quality/tasks" "${eng[@]}" "${J[@]}" -d "{\"name\":\"every hour\",\"rule_ids\":[\"${ids_pg[0]}\"],\"schedule_type\":\"interval\",\"schedule_interval\":3600}"
ods_expect_code 201 "an interval task"
ods_expect_json '.data.next_run_at != null' true "its schedule is due"

# ---- a dataset rule.
printf 'id,amount,status\n1,10,ok\n2,,ok\n3,500,bad\n4,20,ok\n5,,ok\n' >"$S/pay.csv"
ods_req POST "$U/datasets" "${eng[@]}" "${J[@]}" -d '{"name":"payments","format":"csv"}'
ods_expect_code 201 "a dataset"
DS=$(ods_json .data.dataset_id)
ods_req POST "$U/datasets/$DS/upload" "${eng[@]}" -F "file=@$S/pay.csv"
ods_expect_code 201 "its file"
rule "$U" "{\"name\":\"amount set\",\"rule_type\":\"not_null\",\"dataset_id\":\"$DS\",\"column\":\"amount\"}"
ods_expect_code 201 "a dataset rule"
run rule "$RID" "dataset not_null"
ods_expect_json '[.data.rule_results[0].violations, .data.rule_results[0].rows_checked, .data.quality_score]' \
    "$(jq -n '[2,5,0.6]')" "dataset not_null: 2 of 5, score 0.6"
rule "$U" "{\"name\":\"status ok\",\"rule_type\":\"allowed_values\",\"dataset_id\":\"$DS\",\"column\":\"status\",\"values\":[\"ok\"]}"
run rule "$RID" "dataset allowed_values"
ods_expect_json '[.data.rule_results[0].violations, .data.rule_results[0].sample[0].id]' "$(jq -n '[1,"3"]')" "dataset allowed_values: row 3"
rule "$U" "{\"name\":\"status form\",\"rule_type\":\"regex\",\"dataset_id\":\"$DS\",\"column\":\"status\",\"pattern\":\"^o[a-z]\$\"}"
ods_expect_code 201 "a dataset regex rule"
run rule "$RID" "dataset regex"
ods_expect_json '[.data.rule_results[0].violations, .data.rule_results[0].sample[0].status]' "$(jq -n '[1,"bad"]')" "dataset regex: the one status off the pattern"
rule "$U" "{\"name\":\"x\",\"rule_type\":\"regex\",\"dataset_id\":\"$DS\",\"column\":\"status\",\"pattern\":\"(\"}"
ods_expect_code 400 "a dataset regex that does not compile"
ods_expect_json .field pattern "the field"
# A dataset longer than the head that is read: the first 1 000 rows.
{ echo 'id,v'; seq 1 1500 | awk '{ print $1 "," ($1 % 3 == 0 ? "" : $1) }'; } >"$S/long.csv"
ods_req POST "$U/datasets" "${eng[@]}" "${J[@]}" -d '{"name":"long","format":"csv"}'
LONG=$(ods_json .data.dataset_id)
ods_req POST "$U/datasets/$LONG/upload" "${eng[@]}" -F "file=@$S/long.csv"
ods_expect_code 201 "a file of 1 500 rows"
rule "$U" "{\"name\":\"v set\",\"rule_type\":\"not_null\",\"dataset_id\":\"$LONG\",\"column\":\"v\"}"
run rule "$RID" "dataset head"
ods_expect_json '[.data.rule_results[0].rows_checked, .data.rule_results[0].violations, .data.rule_results[0].partial]' \
    "$(jq -n '[1000,333,true]')" "the head's 1 000 rows, 333 empty, marked partial"
rule "$U" "{\"name\":\"size\",\"rule_type\":\"row_count\",\"dataset_id\":\"$LONG\",\"max\":1000}"
run rule "$RID" "dataset row_count"
ods_expect_json '[.data.rule_results[0].table_rows, .data.rule_results[0].violations]' "$(jq -n '[1500,1]')" "row_count takes the version's exact count"
sleep 1.1
ods_expect_eq "$(label=$DS; printf '%.4f' "$(gauge "$ODS_DATA_URL")")" 0.8000 "data_quality_score{dataset=\"$DS\"}"

# ---- RBAC and owners.
rule "$U" "{\"name\":\"v\",\"rule_type\":\"not_null\",\"source_id\":\"$MY\",\"table\":\"customers\",\"column\":\"email\"}" "${viewer[@]}"
ods_expect_code 403 "a viewer cannot create a rule"
ods_req GET "$U/quality/rules?rule_type=unique&source_id=$MY" "${viewer[@]}"
ods_expect_json '[.data.total, .data.rules[0].rule_id]' "$(jq -n --arg r "${ids_my[1]}" '[1,$r]')" "a viewer reads the rules, filtered"
ods_req POST "$U/quality/rules/${ids_my[1]}/run" "${viewer[@]}"
ods_expect_code 403 "a viewer cannot run a rule"
ods_req DELETE "$U/quality/rules/${ids_my[1]}" "${eng[@]}"
ods_expect_code 403 "deleting is an admin's"
rule "$U" "{\"name\":\"private\",\"visibility\":\"private\",\"rule_type\":\"not_null\",\"source_id\":\"$MY\",\"table\":\"customers\",\"column\":\"email\"}"
PRIV=$RID
ods_req GET "$U/quality/rules/$PRIV" "${viewer[@]}"
ods_expect_code 404 "another user's private rule"
ods_req POST "$U/quality/tasks" "${eng[@]}" "${J[@]}" -d "{\"name\":\"with a rule to go\",\"rule_ids\":[\"$PRIV\"]}"
GONE=$(ods_json .data.task_id)
ods_req DELETE "$U/quality/rules/$PRIV" "${admin[@]}"
ods_expect_code 200 "an admin deletes"
ods_req GET "$U/quality/rules/$PRIV" "${eng[@]}"
ods_expect_code 404 "deleted"
run task "$GONE" "a task whose rule was deleted"
ods_expect_json '[.data.error_checks, .data.rule_results[0].error]' "$(jq -n '[1,"the rule no longer exists"]')" "its rule is an errored one"
ods_req GET "$U/quality/alerts?rule_id=$PRIV" "${admin[@]}"
ods_expect_json .data.total 0 "no alert for a rule that is gone"

# ---- bad input: 400 naming the field.
bad() {
	rule "$U" "$1"
	ods_expect_code 400 "$3"
	ods_expect_json .field "$2" "$3: the field"
}
bad '{"rule_type":"not_null"}' name "no name"
bad '{"name":"x","rule_type":"fuzzy","source_id":"s"}' rule_type "an unknown type"
bad "{\"name\":\"x\",\"rule_type\":\"not_null\",\"source_id\":\"$MY\",\"table\":\"customers\"}" column "no column"
bad "{\"name\":\"x\",\"rule_type\":\"range\",\"source_id\":\"$MY\",\"table\":\"t\",\"column\":\"c\",\"min\":5,\"max\":1}" max "max below min"
bad "{\"name\":\"x\",\"rule_type\":\"range\",\"source_id\":\"$MY\",\"table\":\"t\",\"column\":\"c\",\"min\":\"a\"}" min "a string min"
bad "{\"name\":\"x\",\"rule_type\":\"regex\",\"source_id\":\"$MY\",\"table\":\"t\",\"column\":\"c\"}" pattern "no pattern"
bad "{\"name\":\"x\",\"rule_type\":\"not_null\",\"source_id\":\"$MY\",\"table\":\"a\u0001b\",\"column\":\"c\"}" table "a control character in a table"
bad "{\"name\":\"x\",\"rule_type\":\"not_null\",\"source_id\":\"nope\",\"table\":\"t\",\"column\":\"c\"}" source_id "an unknown source"
bad "{\"name\":\"x\",\"rule_type\":\"not_null\",\"table\":\"t\",\"column\":\"c\"}" source_id "no target"
bad "{\"name\":\"x\",\"rule_type\":\"not_null\",\"source_id\":\"$MY\",\"table\":\"t\",\"column\":\"c\",\"threshold_type\":\"ratio\",\"threshold_critical\":3}" threshold_critical "a ratio above 1"
bad "{\"name\":\"x\",\"rule_type\":\"freshness\",\"source_id\":\"$MY\",\"table\":\"t\",\"column\":\"c\"}" max_age_seconds "freshness without max_age_seconds"
bad "{\"name\":\"x\",\"rule_type\":\"not_null\",\"source_id\":\"$MY\",\"table\":\"t\",\"column\":\"c\",\"webhook_url\":\"ftp://h/\"}" webhook_url "a webhook that is not http"
# Once the source is scanned, its catalog checks the names at once.
ods_req POST "$U/metadata/scan" "${eng[@]}" "${J[@]}" -d "{\"source_id\":\"$MY\"}"
ods_expect_code 202 "a scan of the MariaDB source"
wait_job "$(ods_json .data.job_id)" "the scan"
bad "{\"name\":\"x\",\"rule_type\":\"not_null\",\"source_id\":\"$MY\",\"table\":\"customers\",\"column\":\"nope\"}" column "a column the catalog does not know"
bad "{\"name\":\"x\",\"rule_type\":\"not_null\",\"source_id\":\"$MY\",\"database\":\"q_shop\",\"table\":\"nope\",\"column\":\"c\"}" table "a table the catalog does not know"
bad "{\"name\":\"x\",\"rule_type\":\"referential\",\"source_id\":\"$MY\",\"table\":\"orders\",\"column\":\"customer_id\",\"ref_table\":\"customers\",\"ref_column\":\"nope\"}" ref_table "a referenced column the catalog does not know"
rule "$U" "{\"name\":\"known\",\"rule_type\":\"not_null\",\"source_id\":\"$MY\",\"database\":\"q_shop\",\"table\":\"customers\",\"column\":\"email\"}"
ods_expect_code 201 "names the catalog knows"
ods_req POST "$U/quality/tasks" "${eng[@]}" "${J[@]}" -d '{"name":"t","rule_ids":["qr_nope"]}'
ods_expect_code 400 "a task of an unknown rule"
ods_expect_json .field rule_ids "the field"
ods_req POST "$U/quality/tasks" "${eng[@]}" "${J[@]}" -d "{\"name\":\"t\",\"rule_ids\":[\"${ids_my[0]}\"],\"schedule_type\":\"cron\",\"schedule_cron\":\"not a cron\"}"
ods_expect_code 400 "a task with a bad cron"

# ---- a rule on a table that is not there (on the unscanned source): an
# errored rule, score 0.
rule "$U" "{\"name\":\"ghost\",\"rule_type\":\"not_null\",\"source_id\":\"$PG\",\"table\":\"ghost\",\"column\":\"c\"}"
run rule "$RID" "a missing table"
ods_expect_json '[.data.error_checks, .data.quality_score, (.data.rule_results[0].error | test("ghost"))]' "$(jq -n '[1,0,true]')" "errored, with the database's words"
# An identifier with quotes in it is quoted, never pasted.
rule "$U" "{\"name\":\"inject\",\"rule_type\":\"not_null\",\"source_id\":\"$PG\",\"table\":\"customers\\\"; DROP TABLE customers; --\",\"column\":\"email\"}"
ods_expect_code 201 "a strange table name is accepted as a name"
run rule "$RID" "a quoted identifier"
ods_expect_json '.data.rule_results[0].error | test("does not exist")' true "it names a table that does not exist"

# ---- a schedule runs a task: every second here.
ods_req POST "$U/quality/tasks" "${eng[@]}" "${J[@]}" -d "{\"name\":\"every second\",\"rule_ids\":[\"${ids_pg[5]}\"],\"schedule_type\":\"interval\",\"schedule_interval\":1}"
ods_expect_code 201 "a task every second"
ST=$(ods_json .data.task_id)
for i in $(seq 1 100); do
	ods_req GET "$U/quality/reports?task_id=$ST" "${eng[@]}"
	[ "$(ods_json .data.total)" -ge 2 ] 2>/dev/null && break
	sleep 0.2
done
ods_expect_json '.data.total >= 2 and .data.reports[0].total_checks == 1' true "the schedule ran the task (twice within 20 s)"
ods_req GET "$U/quality/reports/$(ods_json '.data.reports[0].report_id')" "${eng[@]}"
ods_expect_json '.data.rule_results[0].table_rows' 10 "PostgreSQL's customers are all there after the quoted name"

ods_t_end
