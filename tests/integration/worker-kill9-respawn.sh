#!/usr/bin/env bash
# tests/integration/worker-kill9-respawn.sh — kill -9 a worker while wrk loads
# the pool through nginx: only the requests that worker had in flight may
# fail (at most one per thread), and the master is back to N workers, with
# a new pid, within 1 s.  Done three times, on the data pool and the proxy.
# The pool's counters (/metrics) never go backwards across the kills.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"

ods_t_begin worker-kill9-respawn
ods_t_require wrk
WORKERS=3
THREADS=2
export ODS_DATA_WORKERS=$WORKERS ODS_DATA_THREADS=$THREADS
export ODS_PROXY_WORKERS=$WORKERS ODS_PROXY_THREADS=$THREADS
ods_stack_init
ods_stack_up

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# kill_one POOL: SIGKILL one worker, then time the master's respawn.
kill_one() {
	local pool=$1 before victim t0 dt n after
	before=$(ods_pool_workers "$pool" | sort)
	n=$(printf '%s\n' "$before" | grep -c .)
	ods_expect_eq "$n" "$WORKERS" "$pool pool has $WORKERS workers before the kill"
	victim=$(printf '%s\n' "$before" | head -n 1)
	t0=$(now_ms)
	kill -KILL "$victim"
	respawned() {
		local cur
		cur=$(ods_pool_workers "$pool")
		[ "$(printf '%s\n' "$cur" | grep -c .)" = "$WORKERS" ] &&
		    ! grep -qx "$victim" <<<"$cur"
	}
	ods_wait_until 5 respawned ||
	    ods_t_fail "$pool: pool not back to $WORKERS workers 5 s after kill -9 of $victim"
	dt=$(($(now_ms) - t0))
	after=$(ods_pool_workers "$pool" | sort | tr '\n' ' ')
	ods_expect_le "$dt" 1000 "$pool: back to $WORKERS workers (ms after kill -9 of $victim; now $after)"
}

for round in 1 2 3; do
	ods_wrk_bg "$ODS_DATA_URL/api/v1/healthz" 4 16
	sleep 1.3
	ods_metrics_counters "$ODS_DATA_URL/metrics" "$ODS_STACK_DIR/m.before"
	kill_one data
	ods_metrics_counters "$ODS_DATA_URL/metrics" "$ODS_STACK_DIR/m.after"
	ods_expect_monotonic "$ODS_STACK_DIR/m.before" "$ODS_STACK_DIR/m.after" \
	    "round $round: /metrics across kill -9"
	ods_wrk_wait
	printf '%s\n' "$WRK_OUT" | sed 's/^/  wrk| /'
	[ "$WRK_REQUESTS" -gt 100 ] || ods_t_fail "wrk made only $WRK_REQUESTS requests"
	ods_expect_le "$WRK_NON2XX" "$THREADS" "round $round: failed requests (only the killed worker's in-flight ones)"
	ods_expect_eq "$WRK_SOCKERR" 0 "round $round: socket errors"
done

# The OpenAI proxy's pool, with readiness (which reaches MariaDB and Redis).
ods_wrk_bg "$ODS_PROXY_URL/health" 4 16
sleep 1.5
kill_one proxy
ods_wrk_wait
printf '%s\n' "$WRK_OUT" | sed 's/^/  wrk| /'
ods_expect_le "$WRK_NON2XX" "$THREADS" "proxy: failed requests"
ods_expect_eq "$WRK_SOCKERR" 0 "proxy: socket errors"

# Everything still serves.
ods_get "$ODS_DATA_URL/api/v1/health"
ods_expect_code 200 "data readiness after the kills"
ods_get "$ODS_PROXY_URL/health"
ods_expect_code 200 "proxy health after the kill"
grep -q '"worker_died"' "$ODS_STACK_DIR/log/data.log" ||
    ods_t_fail "the master did not log worker_died"
ods_t_ok "the master logged worker_died"

ods_t_end
