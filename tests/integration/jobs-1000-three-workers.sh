#!/usr/bin/env bash
# tests/integration/jobs-1000-three-workers.sh — 1000 jobs on 3 ods-worker
# processes (4 jobs at a time each), every job adding 1 to a row keyed by
# its id (the test worker's counter type): every row ends at exactly 1,
# every job succeeded on its first attempt, and all three processes ran
# some of them.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"

ods_t_begin jobs-1000-three-workers
export ODS_WORKER_WORKERS=3 ODS_WORKER_CONCURRENCY=4
ods_stack_init
export ODS_BIN_WORKER=$ODS_BUILD_DIR/tests/jobs/ods-test-worker
ods_stack_up
ctl=$(ods_bin odsctl)
sql() { ods_db_sql "$MYSQL_DATABASE" -e "$1"; }

t0=$(date +%s%N)
"$ctl" jobs enqueue counter --count 1000 >"$ODS_STACK_DIR/ids" ||
    ods_t_fail "enqueue 1000 jobs"
ods_expect_eq "$(wc -l <"$ODS_STACK_DIR/ids")" 1000 "1000 jobs enqueued"
done_all() {
	[ "$(sql "SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'running')")" = 0 ]
}
ods_wait_until 120 done_all || ods_t_fail "jobs still queued or running after 120 s"
dt=$((($(date +%s%N) - t0) / 1000000))
ods_t_ok "1000 jobs done in $dt ms"

ods_expect_eq "$(sql "SELECT COUNT(*) FROM jobs WHERE status = 'succeeded' AND attempts = 1")" \
    1000 "every job succeeded on its first attempt"
ods_expect_eq "$(sql "SELECT COUNT(*) FROM test_job_runs")" 1000 "a row for every job"
ods_expect_eq "$(sql "SELECT COUNT(*) FROM test_job_runs WHERE n <> 1")" 0 \
    "no row counted other than once"
ods_expect_eq "$(sql "SELECT COUNT(*) FROM jobs j LEFT JOIN test_job_runs r ON r.job_id = j.id WHERE r.job_id IS NULL")" \
    0 "no job without its row"
# Which processes ran them (job_end lines of the worker log, by pid).
pids=$(grep '"msg":"job_end"' "$ODS_STACK_DIR/log/worker.log" |
    sed -n 's/.*"pid":\([0-9]*\).*/\1/p' | sort | uniq -c)
printf '%s\n' "$pids" | sed 's/^/  jobs per pid: /'
ods_expect_eq "$(printf '%s\n' "$pids" | grep -c .)" 3 "all three worker processes ran jobs"
ods_t_end
