#!/usr/bin/env bash
# tests/integration/jobs-cancel-running.sh — POST /api/v1/jobs/{id}/cancel
# on a running job (a noop sleeping 60 s in steps that watch for it): the
# job is cancelled within 2 s, keeps its error "cancelled on request",
# and the worker goes on with the next job. Three times, on both APIs.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"

ods_t_begin jobs-cancel-running
export JWT_SECRET_KEY=jobs-cancel-secret-0123456789abcdefghijk
export ODS_WORKER_WORKERS=2 ODS_WORKER_CONCURRENCY=2
ods_stack_init
ods_stack_up
ctl=$(ods_bin odsctl)
alice=(-H "Authorization: Bearer $("$ctl" token --sub alice --roles user --ttl 600)")
sql() { ods_db_sql "$MYSQL_DATABASE" -e "$1"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

for u in "$ODS_DATA_URL/api/v1" "$ODS_AGENT_URL/api/v1/agent" "$ODS_DATA_URL/api/v1/data"; do
	id=$("$ctl" jobs enqueue noop --created-by alice --payload '{"sleep_ms":60000}') ||
	    ods_t_fail "enqueue"
	running() { [ "$(sql "SELECT status FROM jobs WHERE id = $id")" = running ]; }
	ods_wait_until 10 running || ods_t_fail "job $id never ran"
	sleep 0.3
	t0=$(now_ms)
	ods_req POST "$u/jobs/$id/cancel" "${alice[@]}"
	ods_expect_code 200 "$u: cancel of running job $id"
	ods_expect_json '.data.cancel_requested' true "$u: the cancel is recorded"
	cancelled() {
		ods_get "$u/jobs/$id" "${alice[@]}"
		[ "$(ods_json .data.status)" = cancelled ]
	}
	ods_wait_until 10 cancelled || ods_t_fail "$u: job $id not cancelled"
	dt=$(($(now_ms) - t0))
	ods_expect_le "$dt" 2000 "$u: job $id cancelled (ms after the request)"
	ods_expect_json '.data.error' 'cancelled on request' "$u: its error"
	ods_expect_json '.data.finished_at != null' true "$u: it has ended"
done
id=$("$ctl" jobs enqueue noop --created-by alice) || ods_t_fail "enqueue"
"$ctl" jobs wait "$id" --timeout 10 >/dev/null || ods_t_fail "the next job did not run"
ods_t_ok "the worker goes on after cancellations"
ods_t_end
