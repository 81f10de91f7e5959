#!/usr/bin/env bash
# tests/integration/drain-sigterm.sh — SIGTERM to a pool's master drains it:
# readiness answers 503 at once, a request in flight when the signal came
# still gets its whole answer from the worker (not nginx's 502), and the
# master exits 0 within the drain timeout.  The slow request is readiness
# itself while MariaDB is frozen (SIGSTOP): its database ping blocks until
# the pool's read timeout (ODS_DB_READ_TIMEOUT=2 here).  SIGQUIT drains the
# same way.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"

ods_t_begin drain-sigterm
ods_stack_init
ods_stack_backends
export ODS_DB_READ_TIMEOUT=2 ODS_DB_WRITE_TIMEOUT=2
ods_stack_pools
ods_stack_nginx_start
ods_stack_wait_live || ods_t_fail "stack not live"

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# drain POOL URL SIGNAL
drain() {
	local pool=$1 url=$2 sig=$3 master slow rc t0 dt code
	master=$(ods_pool_master "$pool")
	ods_get "$url/api/v1/health"
	ods_expect_code 200 "$pool readiness before SIG$sig"

	# The slow request: readiness with MariaDB frozen.
	ods_db_pause
	slow=$ODS_STACK_DIR/slow.$pool
	curl -s -m 60 -o "$slow.body" -w '%{http_code}' "$url/api/v1/health" \
	    >"$slow.code" 2>/dev/null &
	local curl_pid=$!
	sleep 0.5
	ods_pid_alive "$curl_pid" ||
	    ods_t_fail "the slow request finished before the signal: $(cat "$slow.code")"

	t0=$(now_ms)
	kill -s "$sig" "$master"
	# Readiness turns 503 at once (during the drain delay nginx can
	# still reach the pool, and the answer must not wait for MariaDB).
	ods_get "$url/api/v1/health" -m 5
	dt=$(($(now_ms) - t0))
	ods_expect_code 503 "$pool readiness right after SIG$sig"
	ods_expect_json '.message' draining "$pool readiness says draining"
	ods_expect_le "$dt" 1500 "$pool readiness answered (ms after SIG$sig)"

	# The slow request completes with the worker's own answer.
	wait "$curl_pid"
	code=$(cat "$slow.code")
	HTTP_BODY=$(cat "$slow.body")
	case $code in
	200 | 503) ;;
	*) ods_t_fail "the in-flight request got HTTP $code: $HTTP_BODY" ;;
	esac
	ods_expect_json '.service' "$(case $pool in data) echo data-api ;;
	    agent) echo agent-api ;; esac)" "in-flight request answered by the worker (HTTP $code)"
	ods_db_resume

	# The master exits 0 before the drain timeout (30 s).
	ods_wait_until 35 eval "! ods_pid_alive $master" ||
	    ods_t_fail "$pool master still alive 35 s after SIG$sig"
	wait "$master"
	rc=$?
	ods_expect_eq "$rc" 0 "$pool master exit status after SIG$sig"
	dt=$(($(now_ms) - t0))
	ods_t_ok "$pool drained in ${dt} ms"
	[ -z "$(ods_children "$master")" ] || ods_t_fail "workers outlived the master"
	local up
	up=$(printf '%s' "$pool" | tr a-z A-Z)
	unset "ODS_POOL_PID_$up"
}

drain data "$ODS_DATA_URL" TERM
# After the drain nobody listens: nginx answers 502 JSON.
ods_get "$ODS_DATA_URL/api/v1/health"
ods_expect_error_envelope 502 bad_gateway "after the drain nginx reports the pool gone"

drain agent "$ODS_AGENT_URL" QUIT

# A restarted pool serves again on the same socket.
ods_pool_start data
ods_wait_http "$ODS_DATA_URL/api/v1/health" 200 20 ||
    ods_t_fail "a restarted data pool does not serve"
ods_t_ok "a restarted data pool serves again"

ods_t_end
