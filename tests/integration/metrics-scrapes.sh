#!/usr/bin/env bash
# tests/integration/metrics-scrapes.sh — what Prometheus sees through nginx
# while a pool is busy: 50 scrapes of each server's /metrics under load,
# every one accepted by `promtool check metrics`, no counter ever lower
# than in the scrape before, one worker killed with SIGKILL half way (its
# counts are folded into the retired slot, not lost).  The load's requests
# are all counted: http_requests_total of the liveness route grows by at
# least what wrk reports.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"

ods_t_begin metrics-scrapes
ods_t_require promtool wrk
ods_stack_init
ods_stack_up

m=$ODS_STACK_DIR/scrape
series='http_requests_total{method="GET",endpoint="/healthz",status="200"}'

# count FILE: the liveness route's request counter in a scrape.
count() {
	awk -v s="$series" '$1 == s { print $2; f = 1 } END { if (!f) print 0 }' "$1"
}

for pool in data agent proxy; do
	case $pool in
	data) url=$ODS_DATA_URL live=/api/v1/healthz ;;
	agent) url=$ODS_AGENT_URL live=/api/v1/healthz ;;
	proxy) url=$ODS_PROXY_URL live=/healthz ;;
	esac
	curl -s -m 10 -o "$m.0" "$url/metrics" || ods_t_fail "$pool: first scrape"
	start=$(count "$m.0")
	ods_wrk_bg "$url$live" 8 8 2
	sleep 0.5
	prev=$m.0
	for i in $(seq 1 50); do
		cur=$m.$i
		code=$(curl -s -m 10 -o "$cur" -w '%{http_code}' "$url/metrics")
		[ "$code" = 200 ] || ods_t_fail "$pool scrape $i: HTTP $code"
		out=$(promtool check metrics <"$cur" 2>&1) ||
		    ods_t_fail "$pool scrape $i refused by promtool: $out"
		awk '!/^#/ && NF == 2 && $1 ~ /(_total|_count|_sum)(\{|$)/' "$prev" >"$m.a"
		awk '!/^#/ && NF == 2 && $1 ~ /(_total|_count|_sum)(\{|$)/' "$cur" >"$m.b"
		bad=$(awk 'NR == FNR { a[$1] = $2; next } { b[$1] = $2 }
		    END { for (k in a) if (!(k in b) || b[k] + 0 < a[k] + 0)
			printf "%s %s -> %s; ", k, a[k], (k in b) ? b[k] : "missing" }' \
		    "$m.a" "$m.b")
		[ -z "$bad" ] || ods_t_fail "$pool scrape $i: counters went backwards: $bad"
		if [ "$i" = 25 ]; then
			victim=$(ods_pool_workers "$pool" | head -n 1)
			kill -KILL "$victim"
		fi
		[ "$prev" = "$m.0" ] || rm -f "$prev"
		prev=$cur
		sleep 0.05
	done
	ods_t_ok "$pool: 50 scrapes under load accepted by promtool, counters monotonic across a kill -9"
	ods_wrk_wait
	[ "$WRK_REQUESTS" -gt 100 ] || ods_t_fail "$pool: wrk made only $WRK_REQUESTS requests"
	curl -s -m 10 -o "$m.end" "$url/metrics"
	end=$(count "$m.end")
	got=$(( ${end%%.*} - ${start%%.*} ))
	# All but the killed worker's in-flight requests (at most its threads).
	ods_expect_le "$((WRK_REQUESTS - 64))" "$got" \
	    "$pool: liveness requests counted vs $WRK_REQUESTS sent by wrk"
	rm -f "$prev" "$m".*
	pools_done=$((${pools_done:-0} + 1))
done
# A shell error inside the loop must not pass for success.
ods_expect_eq "${pools_done:-0}" 3 "pools scraped"
ods_t_end
