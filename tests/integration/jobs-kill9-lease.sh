#!/usr/bin/env bash
# tests/integration/jobs-kill9-lease.sh — kill -9 of the ods-worker process
# in the middle of a job: once the lease (2 s here) has expired the job is
# taken back and completes on another worker, exactly once (its counter
# row is 1; the killed run never counted), on its second attempt. Done
# twice; the master replaces the killed process.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"

ods_t_begin jobs-kill9-lease
export ODS_WORKER_WORKERS=3 ODS_WORKER_CONCURRENCY=2 ODS_JOB_LEASE_MS=2000
ods_stack_init
export ODS_BIN_WORKER=$ODS_BUILD_DIR/tests/jobs/ods-test-worker
ods_stack_up
ctl=$(ods_bin odsctl)
sql() { ods_db_sql "$MYSQL_DATABASE" -e "$1"; }

for round in 1 2; do
	id=$("$ctl" jobs enqueue counter --payload '{"sleep_ms":3000}') ||
	    ods_t_fail "enqueue"
	running() {
		owner=$(sql "SELECT lease_owner FROM jobs WHERE id = $id AND status = 'running'")
		[ -n "$owner" ] && [ "$owner" != NULL ]
	}
	ods_wait_until 10 running || ods_t_fail "round $round: job $id never ran"
	victim=$(printf '%s' "$owner" | cut -d: -f2)
	# A here-string: under pipefail, grep -q's early exit could fail a pipe.
	grep -qx "$victim" <<<"$(ods_pool_workers worker)" ||
	    ods_t_fail "round $round: lease owner $owner is not a worker of the pool"
	sleep 0.5
	t0=$(date +%s%N)
	kill -KILL "$victim"
	ods_t_ok "round $round: killed worker $victim in the middle of job $id"
	"$ctl" jobs wait "$id" --timeout 30 >/dev/null ||
	    ods_t_fail "round $round: job $id did not succeed after the kill"
	dt=$((($(date +%s%N) - t0) / 1000000))
	# Lease 2 s, then a whole new run of 3 s.
	[ "$dt" -ge 4000 ] || ods_t_fail "round $round: done after $dt ms: too soon to be a takeover"
	ods_t_ok "round $round: completed elsewhere $dt ms after the kill"
	ods_expect_eq "$(sql "SELECT attempts FROM jobs WHERE id = $id")" 2 \
	    "round $round: the second attempt completed it"
	ods_expect_eq "$(sql "SELECT n FROM test_job_runs WHERE job_id = $id")" 1 \
	    "round $round: it ran to the end once"
	grep "\"job\":\"$id\"" "$ODS_STACK_DIR/log/worker.log" | grep -q '"msg":"job_end"' ||
	    ods_t_fail "round $round: no job_end line"
	last=$(grep "\"job\":\"$id\"" "$ODS_STACK_DIR/log/worker.log" |
	    grep '"msg":"job_end"' | sed -n 's/.*"pid":\([0-9]*\).*/\1/p')
	[ "$last" != "$victim" ] || ods_t_fail "round $round: the killed pid ended the job"
	ods_t_ok "round $round: job_end by pid $last"
	n=$(ods_pool_workers worker | grep -c .)
	ods_expect_eq "$n" 3 "round $round: the master is back to 3 workers"
done
ods_t_end
