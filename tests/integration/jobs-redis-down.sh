#!/usr/bin/env bash
# tests/integration/jobs-redis-down.sh — Redis is only the wake-up: with it
# stopped, jobs enqueued are still run (the workers poll the table every
# ODS_JOB_POLL_MS), none lost and none run twice; with it up, a job
# starts without waiting for a poll.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"

ods_t_begin jobs-redis-down
export ODS_WORKER_WORKERS=2 ODS_WORKER_CONCURRENCY=4 ODS_JOB_POLL_MS=500
ods_stack_init
export ODS_BIN_WORKER=$ODS_BUILD_DIR/tests/jobs/ods-test-worker
ods_stack_up
ctl=$(ods_bin odsctl)
sql() { ods_db_sql "$MYSQL_DATABASE" -e "$1"; }
done_all() {
	[ "$(sql "SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'running')")" = 0 ]
}

# Redis up: woken at once (well under the 500 ms poll), several times.
sleep 1
for i in 1 2 3 4 5; do
	id=$("$ctl" jobs enqueue counter) || ods_t_fail "enqueue"
	"$ctl" jobs wait "$id" --timeout 10 >/dev/null || ods_t_fail "job $id"
	ms=$(sql "SELECT TIMESTAMPDIFF(MICROSECOND, created_at, started_at) DIV 1000 FROM jobs WHERE id = $id")
	printf '  enqueue -> start: %s ms\n' "$ms"
	[ "$ms" -lt 300 ] && fast=$((${fast:-0} + 1))
done
[ "${fast:-0}" -ge 3 ] || ods_t_fail "with Redis up, only ${fast:-0} of 5 jobs started within 300 ms"
ods_t_ok "with Redis up, ${fast} of 5 jobs started within 300 ms (a wake-up, not a poll)"

ods_redis_stop
redis-cli -u "$REDIS_URL" ping >/dev/null 2>&1 && ods_t_fail "Redis still answers"
ods_t_ok "Redis stopped"
"$ctl" jobs enqueue counter --count 300 >"$ODS_STACK_DIR/ids" ||
    ods_t_fail "enqueue with Redis down"
ods_expect_eq "$(wc -l <"$ODS_STACK_DIR/ids")" 300 "300 jobs enqueued with Redis down"
ods_wait_until 60 done_all || ods_t_fail "jobs left queued with Redis down"
ods_expect_eq "$(sql "SELECT COUNT(*) FROM jobs WHERE status = 'succeeded'")" 305 \
    "every job succeeded"
ods_expect_eq "$(sql "SELECT COUNT(*) FROM test_job_runs WHERE n = 1")" 305 \
    "each ran exactly once"
ods_get "$ODS_WORKER_URL/healthz"
ods_expect_code 200 "the worker stays live without Redis"
ods_t_end
