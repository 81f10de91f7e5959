#!/bin/sh
# k8s/monitoring/check.sh — offline checks of the monitoring assets.
#
#   k8s/monitoring/check.sh           check everything (a `make check` test)
#   k8s/monitoring/check.sh --write   regenerate prometheusrule.yaml
#
# 1. promtool check rules / test rules on alert-rules.yml, and promtool check
#    config on prometheus.yml;
# 2. prometheusrule.yaml is exactly alert-rules.yml wrapped in a manifest;
# 3. every alert of the ops manual exists and has a firing and a non-firing
#    unit test;
# 4. the names of our own metrics used by rules and dashboards are families
#    that lib/metrics/ods_metrics_std.c registers;
# 5. dashboards: jq structure checks (unique uid, schemaVersion, datasource
#    variable, no hard-coded datasource uid, every panel has a query), and
#    every query, with Grafana's variables substituted, parse-checked by
#    promtool as a recording rule (reliability-checks.md B.2).
# Exits 77 (skipped) when promtool or jq is not installed.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
rules=$here/alert-rules.yml
manifest=$here/prometheusrule.yaml

manual_alerts="ServiceDown HighLatency HighErrorRate RAGRetrievalLatencyHigh
VectorSearchLowScore ETLJobFailureRateHigh DataQualityScoreLow
TrainingJobFailed LowGPUUtilization"

gen_manifest() {
	cat <<'EOF'
# k8s/monitoring/prometheusrule.yaml — GENERATED from alert-rules.yml by
# k8s/monitoring/check.sh --write; edit alert-rules.yml instead.
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: one-data-studio-alerts
  namespace: one-data-system
  labels:
    app.kubernetes.io/name: one-data-studio
    app.kubernetes.io/component: monitoring
    role: alert-rules
spec:
EOF
	sed -n '/^groups:/,$p' "$rules" | sed 's/^/  /'
}

if [ "${1:-}" = "--write" ]; then
	gen_manifest >"$manifest"
	echo "wrote $manifest"
	exit 0
fi

for tool in promtool jq; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "SKIP: $tool is not installed (Debian: prometheus, jq)"
		exit 77
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ods-monitoring.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0
bad() {
	printf 'FAIL: %s\n' "$*" >&2
	fail=1
}
step() {
	printf '== %s\n' "$*"
}

step "promtool check rules, test rules, check config"
promtool check rules "$rules" || bad "promtool check rules"
(cd "$here" && promtool test rules alert-rules.test.yml) ||
    bad "promtool test rules"
promtool check config "$here/prometheus.yml" || bad "promtool check config"

step "prometheusrule.yaml matches alert-rules.yml"
if gen_manifest | diff -u "$manifest" - >"$tmp/manifest.diff"; then
	echo "identical"
else
	cat "$tmp/manifest.diff" >&2
	bad "prometheusrule.yaml is stale: run k8s/monitoring/check.sh --write"
fi
sed -n '/^spec:$/,$p' "$manifest" | sed '1d; s/^  //' >"$tmp/spec.yml"
promtool check rules "$tmp/spec.yml" >/dev/null ||
    bad "the manifest's spec is not a valid rules file"

step "manual alerts present, each with firing and non-firing tests"
for a in $manual_alerts; do
	grep -q "^      - alert: $a\$" "$rules" || bad "alert $a missing"
done
alerts=$(sed -n 's/^      - alert: //p' "$rules")
awk -v alerts="$alerts" '
	/alertname:/ { name = $2 }
	/exp_alerts: \[\]/ { quiet[name] = 1; next }
	/exp_alerts:[ \t]*$/ { firing[name] = 1 }
	END {
		n = split(alerts, a, /[ \n]+/)
		for (i = 1; i <= n; i++) {
			if (a[i] == "") continue
			if (!(a[i] in firing)) { print "no firing test: " a[i]; bad = 1 }
			if (!(a[i] in quiet)) { print "no quiet test: " a[i]; bad = 1 }
		}
		exit bad
	}' "$here/alert-rules.test.yml" || bad "alert unit tests incomplete"
echo "$(echo "$alerts" | wc -l) alerts checked"

step "dashboards: structure"
set -- "$here"/dashboards/*.json
for f in "$@"; do
	jq -e '
	    (.uid | type == "string" and length > 0) and
	    (.title | type == "string" and length > 0) and
	    (.schemaVersion | type == "number") and
	    ([.templating.list[] | select(.type == "datasource")] | length > 0) and
	    ([.. | objects | select(has("datasource")) | .datasource |
	      objects | .uid | select(. != "${datasource}")] | length == 0) and
	    ([.panels[] | .id] | length == (unique | length)) and
	    all(.panels[] | select(.type != "row");
	        has("gridPos") and (.targets | length > 0) and
	        all(.targets[]; (.expr | type == "string" and length > 0)))
	' "$f" >/dev/null || bad "$(basename "$f"): structure"
done
uids=$(jq -r .uid "$@" | sort)
[ "$(echo "$uids" | uniq -d)" = "" ] || bad "dashboard uids not unique"
for d in api-performance system-resources business-metrics ai-services; do
	[ -f "$here/dashboards/$d.json" ] || bad "dashboard $d missing"
done

step "dashboards: PromQL through promtool as recording rules"
# Panel queries and the selectors inside label_values() of query variables;
# $__rate_interval -> 5m, $__interval -> 1m, $__range -> 1d, $var -> .*
for f in "$@"; do
	jq --arg name "$(basename "$f" .json)" '
	    def subst: gsub("\\$__rate_interval"; "5m") |
		gsub("\\$__interval"; "1m") | gsub("\\$__range"; "1d") |
		gsub("\\$\\{[A-Za-z_][A-Za-z0-9_]*\\}"; ".*") |
		gsub("\\$[A-Za-z_][A-Za-z0-9_]*"; ".*");
	    [ (.panels[] | select(.type != "row") | .targets[].expr),
	      (.templating.list[] | select(.type == "query") |
	       (.query.query // .query) |
	       capture("^label_values\\((?<s>.*),\\s*[A-Za-z_][A-Za-z0-9_]*\\)$").s)
	    ] | map(subst) | to_entries |
	    { groups: [ { name: ("dashboard-" + $name),
		rules: map({ record: ("dashboard:q" + (.key | tostring)),
		    expr: .value }) } ] }
	' "$f" >"$tmp/$(basename "$f" .json).rules.yml"
	if promtool check rules "$tmp/$(basename "$f" .json).rules.yml" \
	    >"$tmp/out" 2>&1; then
		echo "$(basename "$f"): $(grep -o '[0-9]* rules found' "$tmp/out")"
	else
		cat "$tmp/out" >&2
		bad "$(basename "$f"): PromQL"
	fi
done

step "our metric names in rules and dashboards are registered families"
families=$(sed -n 's/^	\[ODS_M_[A-Z_]*\] = { "\([a-zA-Z_:]*\)".*/\1/p' \
    "$src/lib/metrics/ods_metrics_std.c")
[ -n "$families" ] || bad "no families found in lib/metrics/ods_metrics_std.c"
{
	sed -n 's/^ *expr: //p' "$rules"
	jq -r '.panels[] | select(.type != "row") | .targets[].expr' "$@"
} | grep -oE '(^|[^A-Za-z0-9_:"])(http|db|cache|task|business|ai|rag|vector|etl|data_quality|ods)_[A-Za-z0-9_:]*' |
    sed 's/^[^A-Za-z]//' | sort -u >"$tmp/used"
while read -r name; do
	base=$(echo "$name" | sed -E 's/_(bucket|sum|count)$//')
	if ! echo "$families" | grep -qx "$name" &&
	    ! echo "$families" | grep -qx "$base"; then
		bad "metric $name is used but no family registers it"
	fi
done <"$tmp/used"
echo "$(wc -l <"$tmp/used") of our metric names used, all registered"

if [ "$fail" -ne 0 ]; then
	echo "k8s/monitoring: FAILED" >&2
	exit 1
fi
echo "k8s/monitoring: all checks passed"
