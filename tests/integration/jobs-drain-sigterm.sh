#!/usr/bin/env bash
# tests/integration/jobs-drain-sigterm.sh — SIGTERM to ods-worker: a job
# that can finish within the drain timeout finishes (succeeded); one that
# cannot is told to stop and its lease is given back before the timeout
# (queued again, the attempt not counted, no lease), then the next worker
# runs it. The master exits within ODS_DRAIN_TIMEOUT.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"

ods_t_begin jobs-drain-sigterm
export ODS_WORKER_WORKERS=1 ODS_WORKER_CONCURRENCY=2 ODS_DRAIN_TIMEOUT=6
export ODS_DRAIN_DELAY=0
ods_stack_init
ods_stack_up
ctl=$(ods_bin odsctl)
sql() { ods_db_sql "$MYSQL_DATABASE" -e "$1"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
running() { [ "$(sql "SELECT status FROM jobs WHERE id = $1")" = running ]; }

# 1. A short job finishes during the drain.
a=$("$ctl" jobs enqueue noop --payload '{"sleep_ms":2000}') || ods_t_fail "enqueue"
ods_wait_until 10 running "$a" || ods_t_fail "job $a never ran"
t0=$(now_ms)
ods_pool_stop worker TERM 20
dt=$(($(now_ms) - t0))
ods_expect_eq "$(sql "SELECT status FROM jobs WHERE id = $a")" succeeded \
    "a job that fits the drain timeout finishes"
ods_expect_le "$dt" 6500 "the worker exited (ms after SIGTERM)"

# 2. A long job gives its lease back before the drain timeout.
ods_pool_start worker
b=$("$ctl" jobs enqueue noop --payload '{"sleep_ms":600000}') || ods_t_fail "enqueue"
ods_wait_until 10 running "$b" || ods_t_fail "job $b never ran"
t0=$(now_ms)
ods_pool_stop worker TERM 20
dt=$(($(now_ms) - t0))
ods_expect_le "$dt" 6500 "the worker exited within the drain timeout (ms)"
ods_expect_eq "$(sql "SELECT CONCAT(status, '/', attempts, '/', COALESCE(lease_owner, '-'))
    FROM jobs WHERE id = $b")" "queued/0/-" \
    "the long job is queued again, the attempt not counted, no lease"
grep -q '"msg":"job_end".*"job":"'"$b"'".*"outcome":"released"' "$ODS_STACK_DIR/log/worker.log" ||
    ods_t_fail "no released job_end line for $b"
ods_t_ok "the worker logged the release"

# 3. The next worker takes it at once (no lease to wait for).
ods_pool_start worker
ods_wait_until 5 running "$b" || ods_t_fail "job $b was not taken again"
ods_t_ok "the next worker runs it"
"$ctl" jobs cancel "$b" || ods_t_fail "cancel"
"$ctl" jobs wait "$b" --timeout 5 >/dev/null
ods_expect_eq "$(sql "SELECT status FROM jobs WHERE id = $b")" cancelled "and it can be cancelled"
ods_t_end
