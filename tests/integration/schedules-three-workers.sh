#!/usr/bin/env bash
# tests/integration/schedules-three-workers.sh — schedules through ods-worker
# (3 processes, each ticking once a second): a schedule every 2 s runs
# 10±1 times in 20 s, never twice for one due time (one job per run, each
# with its own idempotency key); pause stops the runs, trigger runs once at
# once, resume restarts them; a schedule whose due time passed while every
# worker was down runs once, not once per missed time (its due time set by
# hand, with a fraction of a second); the built-in daily audit_retention
# schedule exists; odsctl refuses a bad cron expression naming the field.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"

ods_t_begin schedules-three-workers
export ODS_WORKER_WORKERS=3 ODS_WORKER_CONCURRENCY=2
ods_stack_init
ods_stack_up
ctl=$(ods_bin odsctl)
sql() { ods_db_sql "$MYSQL_DATABASE" -e "$1"; }

ods_wait_until 10 eval '"$ctl" schedules show audit_retention >/dev/null 2>&1' ||
    ods_t_fail "the built-in audit_retention schedule was not made"
ods_expect_eq "$(sql "SELECT CONCAT(cron_expr, ' ', job_type) FROM schedules WHERE name = 'audit_retention'")" \
    "15 3 * * * audit_retention" "built-in: audit_retention daily at 03:15"

out=$("$ctl" schedules create bad --cron '61 * * * *' --job noop 2>&1) &&
    ods_t_fail "a bad cron expression was accepted"
grep -q minute <<<"$out" || ods_t_fail "the error does not name the field: $out"
ods_t_ok "a bad cron expression is refused, naming its field"

id=$("$ctl" schedules create every2 --interval 2 --job noop \
    --payload '{"sleep_ms":1}') || ods_t_fail "schedules create"
runs() { sql "SELECT COUNT(*) FROM jobs WHERE idempotency_key LIKE 'sched:$id:%'"; }
start=$(runs)
sleep 20
n=$(( $(runs) - start ))
[ "$n" -ge 9 ] && [ "$n" -le 11 ] ||
    ods_t_fail "every 2 s for 20 s with 3 workers: $n runs, want 10±1"
ods_t_ok "every 2 s for 20 s with 3 workers: $n runs"
ods_wait_until 10 eval '[ "$(sql "SELECT COUNT(*) FROM jobs WHERE idempotency_key LIKE '"'sched:$id:%'"' AND status <> '"'succeeded'"'")" = 0 ]' ||
    ods_t_fail "a scheduled job did not succeed"
ods_t_ok "every scheduled job succeeded"

"$ctl" schedules pause every2 || ods_t_fail "pause"
sleep 1
# Paused, so that no run is half recorded: a job per run, its key naming
# the due time; a due time claimed twice would count two runs for one job.
ods_expect_eq "$(sql "SELECT run_count FROM schedules WHERE id = $id")" \
    "$(runs)" "runs recorded = jobs: never two runs for one due time"
a=$(runs)
sleep 5
ods_expect_eq "$(runs)" "$a" "paused: no run in 5 s"
"$ctl" schedules trigger every2 || ods_t_fail "trigger"
ods_wait_until 5 eval '[ "$(runs)" = $((a + 1)) ]' ||
    ods_t_fail "trigger did not run it once within 5 s (runs $(runs), want $((a + 1)))"
sleep 3
ods_expect_eq "$(runs)" "$((a + 1))" "trigger ran it exactly once while paused"
"$ctl" schedules resume every2 || ods_t_fail "resume"
ods_wait_until 6 eval '[ "$(runs)" -gt $((a + 1)) ]' ||
    ods_t_fail "resumed, but no run in 6 s"
ods_t_ok "pause, trigger and resume"
"$ctl" schedules rm every2 || ods_t_fail "rm"

# Missed while everything was down: one run, then the regular cadence.
ods_pool_stop worker
id2=$("$ctl" schedules create missed --interval 60 --job noop) ||
    ods_t_fail "schedules create missed"
sql "UPDATE schedules SET next_due_at = UTC_TIMESTAMP(3) - INTERVAL 1 HOUR WHERE id = $id2" >/dev/null
ods_pool_start worker
ods_wait_until 10 eval '[ "$(sql "SELECT COUNT(*) FROM jobs WHERE idempotency_key LIKE '"'sched:$id2:%'"'")" = 1 ]' ||
    ods_t_fail "the missed schedule did not run after the restart"
sleep 3
ods_expect_eq "$(sql "SELECT COUNT(*) FROM jobs WHERE idempotency_key LIKE 'sched:$id2:%'")" \
    1 "60 missed runs coalesce into one"
[ "$(sql "SELECT next_due_at > UTC_TIMESTAMP(3) FROM schedules WHERE id = $id2")" = 1 ] ||
    ods_t_fail "next_due_at is not in the future after the catch-up run"
ods_t_ok "next due time is in the future again"
ods_t_end
