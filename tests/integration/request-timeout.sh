#!/usr/bin/env bash
# tests/integration/request-timeout.sh — the master's deadlines, php-fpm's
# request_terminate_timeout and process_control_timeout: a worker stuck in a
# request past --request-timeout is killed and replaced (the client gets
# nginx's 502 JSON soon after the deadline, the pool is back to N), and a
# worker that does not finish its request within --drain-timeout after
# SIGTERM (or SIGHUP) is SIGKILLed so that the master still exits (or the
# reload completes, serving meanwhile).  The stuck request is
# readiness while MariaDB is frozen (SIGSTOP) with a 30 s read timeout.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"

ods_t_begin request-timeout
ods_stack_init
ods_stack_backends
export ODS_DB_READ_TIMEOUT=30 ODS_DB_WRITE_TIMEOUT=30
# Readiness is the stuck request below: let its own database check wait
# longer than the deadline (by default it gives up after 1 s).
export ODS_HEALTH_TIMEOUT_MS=10000
ODS_DATA_WORKERS=2 ods_pool_start data --request-timeout 2
ODS_AGENT_WORKERS=2 ods_pool_start agent --drain-timeout 2 --drain-delay 0
ODS_PROXY_WORKERS=2 ODS_PROXY_THREADS=4 ods_pool_start proxy --drain-timeout 2
ods_stack_nginx_start
ods_stack_wait_live || ods_t_fail "stack not live"
ODS_T_CLEANUP='ods_db_resume 2>/dev/null'

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# 1. Request deadline.
before=$(ods_pool_workers data | sort)
ods_db_pause
t0=$(now_ms)
ods_get "$ODS_DATA_URL/api/v1/health" -m 20
dt=$(($(now_ms) - t0))
ods_expect_error_envelope 502 bad_gateway "a request stuck past --request-timeout 2"
[ "$dt" -ge 1500 ] && [ "$dt" -le 5000 ] ||
    ods_t_fail "the stuck request ended after $dt ms, want about 2000"
ods_t_ok "the stuck request ended after $dt ms (deadline 2 s)"
grep -q '"request_timeout"' "$ODS_STACK_DIR/log/data.log" ||
    ods_t_fail "the master did not log request_timeout"
ods_t_ok "the master logged request_timeout"
back() {
	local cur
	cur=$(ods_pool_workers data | sort)
	[ "$(printf '%s\n' "$cur" | grep -c .)" = 2 ] && [ "$cur" != "$before" ]
}
ods_wait_until 3 back || ods_t_fail "the pool is not back to 2 workers"
ods_t_ok "the stuck worker was replaced: $(echo $before) -> $(ods_pool_workers data | sort | tr '\n' ' ')"
ods_get "$ODS_DATA_URL/api/v1/healthz"
ods_expect_code 200 "liveness served meanwhile"
ods_db_resume
ods_wait_http "$ODS_DATA_URL/api/v1/health" 200 15 ||
    ods_t_fail "readiness did not come back after MariaDB resumed"
ods_t_ok "readiness 200 again after MariaDB resumed"

# 2. Drain deadline: SIGTERM with a request that will not finish in time.
master=$(ods_pool_master agent)
ods_db_pause
curl -s -m 60 -o /dev/null -w '%{http_code}' "$ODS_AGENT_URL/api/v1/health" \
    >"$ODS_STACK_DIR/stuck.code" 2>/dev/null &
stuck=$!
sleep 0.5
t0=$(now_ms)
kill -TERM "$master"
ods_wait_until 10 eval "! ods_pid_alive $master" ||
    ods_t_fail "the agent master still runs 10 s after SIGTERM (--drain-timeout 2)"
dt=$(($(now_ms) - t0))
wait "$master"
rc=$?
ods_t_ok "the master exited $dt ms after SIGTERM (status $rc)"
[ "$dt" -le 5000 ] || ods_t_fail "drain deadline 2 s, the master took $dt ms"
grep -q '"drain_timeout"' "$ODS_STACK_DIR/log/agent.log" ||
    ods_t_fail "the master did not log drain_timeout"
ods_t_ok "the master logged drain_timeout"
[ -z "$(ods_children "$master")" ] || ods_t_fail "workers outlived the master"
unset ODS_POOL_PID_AGENT
wait "$stuck"
ods_t_ok "the stuck client got HTTP $(cat "$ODS_STACK_DIR/stuck.code")"
ods_db_resume

# 3. Reload deadline: SIGHUP with a request that will not finish in time;
# the new workers serve at once, the stuck old one is SIGKILLed at 2 s.
ods_wait_http "$ODS_PROXY_URL/health" 200 15 || ods_t_fail "proxy not ready"
master=$(ods_pool_master proxy)
before=$(ods_pool_workers proxy | sort)
ods_db_pause
# (/api/v1/health pings MariaDB; the proxy's /health reports backends.)
curl -s -m 60 -o /dev/null "$ODS_PROXY_URL/api/v1/health" 2>/dev/null &
stuck=$!
sleep 0.5
t0=$(now_ms)
kill -HUP "$master"
ods_get "$ODS_PROXY_URL/healthz" -m 5
ods_expect_code 200 "liveness during a reload with a stuck worker"
replaced() {
	local cur
	cur=$(ods_pool_workers proxy)
	[ "$(printf '%s\n' "$cur" | grep -c .)" = 2 ] &&
	    ! grep -qxF "$before" <<<"$cur"
}
ods_wait_until 10 replaced ||
    ods_t_fail "old proxy workers still there 10 s after SIGHUP (--drain-timeout 2)"
dt=$(($(now_ms) - t0))
[ "$dt" -le 5000 ] || ods_t_fail "reload deadline 2 s, took $dt ms"
ods_t_ok "reload completed $dt ms after SIGHUP despite the stuck worker"
grep -q '"drain_timeout"' "$ODS_STACK_DIR/log/proxy.log" ||
    ods_t_fail "the proxy master did not log drain_timeout"
ods_t_ok "the proxy master logged drain_timeout"
ods_pid_alive "$master" || ods_t_fail "the proxy master died"
wait "$stuck"
ods_db_resume
ods_wait_http "$ODS_PROXY_URL/api/v1/health" 200 15 ||
    ods_t_fail "proxy readiness did not come back"
ods_t_ok "proxy readiness 200 after the reload"

ods_t_end
