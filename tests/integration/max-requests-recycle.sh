#!/usr/bin/env bash
# tests/integration/max-requests-recycle.sh — with --max-requests M a worker
# exits after its M-th response and the master replaces it: under wrk load
# (far more than M x workers requests) there is no failed request and no
# socket error, and the worker pids change.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"

ods_t_begin max-requests-recycle
ods_t_require wrk
ods_stack_init
ods_stack_backends
ODS_DATA_WORKERS=2 ODS_DATA_THREADS=4 ods_pool_start data --max-requests 300
ODS_AGENT_WORKERS=2 ODS_AGENT_THREADS=1 ods_pool_start agent --max-requests 100
ods_pool_start proxy
ods_stack_nginx_start
ods_stack_wait_live || ods_t_fail "stack not live"

for pool in data agent; do
	url=$ODS_DATA_URL
	[ "$pool" = agent ] && url=$ODS_AGENT_URL
	before=$(ods_pool_workers "$pool" | sort)
	ods_wrk "$url/api/v1/healthz" 5 16
	ods_wrk_expect_clean "$pool pool recycling under load"
	max=300
	[ "$pool" = agent ] && max=100
	[ "$WRK_REQUESTS" -gt $((max * 4)) ] ||
	    ods_t_fail "$pool: only $WRK_REQUESTS requests: not enough to recycle"
	# A worker that just served its last request may be between its
	# exit and its replacement's fork: the pool is back at 2 at once.
	for _ in $(seq 50); do
		after=$(ods_pool_workers "$pool" | sort)
		[ "$(printf '%s\n' "$after" | grep -c .)" = 2 ] && break
		sleep 0.1
	done
	ods_expect_eq "$(printf '%s\n' "$after" | grep -c .)" 2 "$pool pool still has 2 workers"
	common=$(comm -12 <(printf '%s\n' "$before") <(printf '%s\n' "$after") | grep -c .)
	ods_expect_eq "$common" 0 "$pool: workers replaced ($(echo $before) -> $(echo $after))"
	n=$(grep -c '"worker_exited"' "$ODS_STACK_DIR/log/$pool.log")
	[ "$n" -ge $((WRK_REQUESTS / max / 2)) ] ||
	    ods_t_fail "$pool: $n worker_exited lines for $WRK_REQUESTS requests at max $max"
	ods_t_ok "$pool: $n workers recycled for $WRK_REQUESTS requests"
done

ods_t_end
