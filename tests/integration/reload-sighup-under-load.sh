#!/usr/bin/env bash
# tests/integration/reload-sighup-under-load.sh — SIGHUP to a pool's master
# while wrk loads it through nginx: zero failed requests (no non-2xx, no
# socket error: the listening socket is kept), every worker replaced, the
# master the same, no counter of /metrics going backwards.  Twice in one
# run, on readiness (MariaDB + Redis) and on liveness.  The reload also
# re-reads --env-file.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"

ods_t_begin reload-sighup-under-load
ods_t_require wrk
export ODS_DATA_WORKERS=2 ODS_DATA_THREADS=4
ods_stack_init
envf=$ODS_STACK_DIR/data.env
printf 'LOG_LEVEL=info\n' >"$envf"
ods_stack_backends
ods_pool_start data --env-file "$envf"
ods_pool_start agent
ods_pool_start proxy
ods_stack_nginx_start
ods_stack_wait_live || ods_t_fail "stack not live"

master=$(ods_pool_master data)

# reload_under_load PATH: wrk on PATH, SIGHUP in the middle, all clean.
reload_under_load() {
	local path=$1 before after left
	before=$(ods_pool_workers data | sort)
	ods_wrk_bg "$ODS_DATA_URL$path" 6 32
	sleep 2
	ods_metrics_counters "$ODS_DATA_URL/metrics" "$ODS_STACK_DIR/m.before"
	kill -HUP "$master"
	replaced() {
		local cur
		cur=$(ods_pool_workers data)
		[ "$(printf '%s\n' "$cur" | grep -c .)" = 2 ] || return 1
		! grep -qxF "$before" <<<"$cur"
	}
	ods_wait_until 10 replaced ||
	    ods_t_fail "workers not replaced 10 s after SIGHUP (before: $before, now: $(ods_pool_workers data | tr '\n' ' '))"
	after=$(ods_pool_workers data | sort)
	ods_t_ok "SIGHUP replaced the workers: $(echo $before) -> $(echo $after)"
	ods_metrics_counters "$ODS_DATA_URL/metrics" "$ODS_STACK_DIR/m.after"
	ods_expect_monotonic "$ODS_STACK_DIR/m.before" "$ODS_STACK_DIR/m.after" \
	    "/metrics across the reload"
	ods_wrk_wait
	ods_wrk_expect_clean "SIGHUP under load on $path"
	ods_pid_alive "$master" || ods_t_fail "the master died on SIGHUP"
	ods_expect_eq "$(ods_pool_master data)" "$master" "the master stays"
}

reload_under_load /api/v1/health
# The next reload reads the changed env file (the pool's --env-file).
printf 'LOG_LEVEL=warn\n' >"$envf"
reload_under_load /api/v1/healthz

ods_get "$ODS_DATA_URL/api/v1/health"
ods_expect_code 200 "readiness after two reloads"
grep -q '"reload"' "$ODS_STACK_DIR/log/data.log" ||
    ods_t_fail "the master did not log the reload"
ods_t_ok "the master logged the reload"

ods_t_end
