#!/usr/bin/env bash
# tests/integration/jobs-routes.sh — the job routes through nginx, with
# ods-worker running: a user sees and cancels only their own jobs (another
# user's job is a 404, never a 403), admin sees every job and may filter by
# creator, the list pages in the reference's union shape, and a job's
# progress, result and timings come back. The audit_retention job deletes
# exactly the audit_logs rows older than the retention, in batches, and
# reports it. ods-worker answers /health, /healthz and /metrics on its own
# port (task_queue_size, jobs_total, job_duration_seconds), /metrics only
# from the allow-list.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"

ods_t_begin jobs-routes
export JWT_SECRET_KEY=jobs-routes-secret-0123456789abcdefghij
export ODS_RATE_LIMIT_DEFAULT=1000/minute ODS_RATE_LIMIT_BURST=2000
export ODS_WORKER_WORKERS=2 ODS_WORKER_CONCURRENCY=2
ods_stack_init
ods_stack_up
ctl=$(ods_bin odsctl)

tok() { "$ctl" token --sub "$1" --roles "$2" --ttl 600 || ods_t_fail "odsctl token"; }
alice=(-H "Authorization: Bearer $(tok alice user)")
bob=(-H "Authorization: Bearer $(tok bob viewer)")
admin=(-H "Authorization: Bearer $(tok root admin)")
guest=(-H "Authorization: Bearer $(tok gus guest)")

enq() { "$ctl" jobs enqueue "$@" || ods_t_fail "odsctl jobs enqueue $*"; }

# Jobs of alice and bob; the worker runs them.
a1=$(enq noop --created-by alice --payload '{"sleep_ms":50}')
a2=$(enq noop --created-by alice --payload '{"fail":"on purpose"}' --max-attempts 1)
b1=$(enq noop --created-by bob)
for id in $a1 $a2 $b1; do
	"$ctl" jobs wait "$id" --timeout 20 >/dev/null
done

for base in "$ODS_DATA_URL/api/v1" "$ODS_DATA_URL/api/v1/data" \
    "$ODS_AGENT_URL/api/v1" "$ODS_AGENT_URL/api/v1/agent" "$ODS_AGENT_URL/api"; do
	ods_get "$base/jobs" "${alice[@]}"
	ods_expect_code 200 "$base/jobs as alice"
	ods_expect_json '[.data.jobs[].created_by] | unique' '[
  "alice"
]' "$base/jobs: alice sees only her jobs"
	ods_expect_json '.data.total' 2 "$base/jobs: alice has 2"
	ods_expect_json '.total' 2 "$base/jobs: total at the top level too"
	ods_get "$base/jobs/$b1" "${alice[@]}"
	ods_expect_code 404 "$base/jobs/$b1 (bob's) as alice"
	ods_expect_error_envelope 404 not_found "another user's job"
done

U=$ODS_DATA_URL/api/v1
ods_get "$U/jobs/$a1" "${alice[@]}"
ods_expect_code 200 "alice's job"
ods_expect_json '.data.status' succeeded "a noop job succeeded"
ods_expect_json '.data.progress' 100 "a finished job is at 100 %"
ods_expect_json '.data.result.slept_ms' 50 "its result"
ods_expect_json '.data.started_at != null and .data.finished_at != null' true "its timings"
ods_get "$U/jobs/$a2" "${alice[@]}"
ods_expect_json '.data.status' failed "a job that fails with max_attempts 1"
ods_expect_json '.data.error' 'on purpose' "its error"
ods_get "$U/jobs?status=failed" "${alice[@]}"
ods_expect_json '[.data.jobs[].id]' "[
  $a2
]" "filter by status"
ods_get "$U/jobs?type=audit_retention" "${alice[@]}"
ods_expect_json '.data.total' 0 "filter by type"
ods_get "$U/jobs?page=2&page_size=1" "${alice[@]}"
ods_expect_json '[.data.page, .data.page_size, .page, .page_size, (.data.jobs | length)]' '[
  2,
  1,
  2,
  1,
  1
]' "paging numbers in data and at the top level"
ods_get "$U/jobs?status=nope" "${alice[@]}"
ods_expect_code 400 "an unknown status"

# Admin sees every job, and filters by creator.
ods_get "$U/jobs" "${admin[@]}"
ods_expect_json '.data.total' 3 "admin sees every job"
ods_get "$U/jobs?created_by=bob" "${admin[@]}"
ods_expect_json '[.data.jobs[].id]' "[
  $b1
]" "admin filters by creator"
ods_get "$U/jobs/$a1" "${admin[@]}"
ods_expect_code 200 "admin reads alice's job"
ods_get "$U/jobs?created_by=alice" "${bob[@]}"
ods_expect_json '.data.total' 1 "created_by is ignored for others (bob still sees his own)"

# Permissions: guest has no job:read; no token is 401.
ods_get "$U/jobs" "${guest[@]}"
ods_expect_code 403 "a guest may not list jobs"
ods_get "$U/jobs"
ods_expect_code 401 "no token"

# Cancel: only one's own; a queued job at once; an ended one is 409.
q=$(enq noop --created-by alice --delay-ms 600000)
ods_req POST "$U/jobs/$q/cancel" "${bob[@]}"
ods_expect_code 404 "bob cancels alice's job"
ods_req POST "$U/jobs/$q/cancel" "${alice[@]}"
ods_expect_code 200 "alice cancels her queued job"
ods_expect_json '.data.status' cancelled "a queued job is cancelled at once"
ods_req POST "$U/jobs/$q/cancel" "${alice[@]}"
ods_expect_code 409 "cancelling a cancelled job"
ods_req POST "$U/jobs/$a1/cancel" "${admin[@]}"
ods_expect_code 409 "cancelling a succeeded job"
ods_get "$U/jobs/123456789" "${admin[@]}"
ods_expect_code 404 "no such job"
ods_get "$U/jobs/abc" "${admin[@]}"
ods_expect_code 404 "a job id that is not a number"

# Audit retention: 2500 rows older than 90 days, 7 recent ones.
sql() { ods_db_sql "$MYSQL_DATABASE" -e "$1"; }
sql "INSERT INTO audit_logs (event_id, action, \`timestamp\`)
    SELECT UUID(), 'old', NOW(3) - INTERVAL 100 DAY FROM seq_1_to_2500" ||
    ods_t_fail "insert old audit rows"
sql "INSERT INTO audit_logs (event_id, action)
    SELECT UUID(), 'new' FROM seq_1_to_7" || ods_t_fail "insert new rows"
r=$(enq audit_retention --created-by root)
"$ctl" jobs wait "$r" --timeout 30 >/dev/null || ods_t_fail "audit_retention did not succeed"
ods_get "$U/jobs/$r" "${admin[@]}"
ods_expect_json '.data.result | [.deleted, .days, .batches]' '[
  2500,
  90,
  3
]' "audit_retention deleted the old rows in 3 batches of 1000"
ods_expect_json '.data.progress_message | startswith("deleted 2500 of 2500")' true "its progress message"
old=$(sql "SELECT COUNT(*) FROM audit_logs WHERE action = 'old'")
new=$(sql "SELECT COUNT(*) FROM audit_logs WHERE action = 'new'")
ods_expect_eq "$old/$new" "0/7" "old rows gone, recent rows kept"

# ods-worker's own server.
W=$ODS_WORKER_URL
ods_get "$W/health"
ods_expect_code 200 "worker readiness"
ods_expect_json '.status' healthy "worker readiness body"
ods_get "$W/healthz"
ods_expect_code 200 "worker liveness"
ods_get "$W/api/v1/jobs" "${admin[@]}"
ods_expect_code 404 "no API on the worker's port"
ods_get "$W/metrics"
ods_expect_code 200 "worker /metrics from loopback"
for m in 'jobs_total{type="noop",status="succeeded"} 2' \
    'jobs_total{type="noop",status="failed"} 1' \
    'jobs_total{type="audit_retention",status="succeeded"} 1' \
    'task_queue_size{queue="jobs"}' \
    'job_duration_seconds_bucket{type="noop",le="+Inf"} 3'; do
	grep -qF "$m" <<<"$HTTP_BODY" || ods_t_fail "worker /metrics lacks '$m'"
	ods_t_ok "worker /metrics has $m"
done
ods_get "$W/metrics" --interface 127.0.0.2
ods_expect_error_envelope 403 forbidden "worker /metrics from 127.0.0.2"
# The wake-up group's consumers are named by slot and thread, not host:
# pods of new deployments reuse them instead of piling up new ones.
names=$(ods_redis_cli XINFO CONSUMERS ods:jobs:wake ods-worker |
    grep -E '^w:[0-9]+:[0-9]+$' | sort -u | tr '\n' ' ')
others=$(ods_redis_cli XINFO CONSUMERS ods:jobs:wake ods-worker |
    grep -c "$(hostname)" || true)
[ -n "$names" ] && [ "$others" -eq 0 ] ||
    ods_t_fail "consumers '$names', $others named after the host"
ods_t_ok "the wake-up group's consumers are per slot and thread: $names"
ods_t_end
