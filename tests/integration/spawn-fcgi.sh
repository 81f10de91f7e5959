#!/usr/bin/env bash
# tests/integration/spawn-fcgi.sh — the same program under spawn-fcgi (the
# listening socket on fd 0): one self-serving process, -F 2 copies, and
# --workers 2 (the built-in master on the inherited socket, which respawns a
# killed worker); each serves liveness and readiness through nginx and to
# cgi-fcgi directly, and stops cleanly on SIGTERM.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"

ods_t_begin spawn-fcgi
ods_t_require spawn-fcgi cgi-fcgi
ods_stack_init
ods_stack_backends
# The agent and proxy pools as usual; the data socket comes from spawn-fcgi.
ods_pool_start agent
ods_pool_start proxy
sock=$(ods_pool_sock data)
bin=$(ods_bin data)
# Whatever spawn-fcgi started goes on any exit.
ODS_T_CLEANUP='for p in $(cat "$ODS_STACK_DIR/run/sf.pid" 2>/dev/null); do
	ods_stop_pid "$p" TERM 10; done'
ods_stack_nginx_start

# The built-in master's socket: 0660 with nginx's group, so a local user
# outside it cannot talk FastCGI past nginx (and its auth and limits).
asock=$(ods_pool_sock agent)
ods_expect_eq "$(stat -c %a:%G "$asock")" 660:nogroup \
    "the pool's socket is 0660, group nogroup"
if env -i PATH="$PATH" REQUEST_METHOD=GET REQUEST_URI=/api/v1/healthz \
    runuser -u daemon -- timeout 10 cgi-fcgi -bind -connect "$asock" \
    </dev/null >/dev/null 2>&1; then
	ods_t_fail "user daemon (not in nogroup) reached the pool's socket"
fi
ods_t_ok "a user outside the socket's group cannot connect"

# cgi GET PATH: one FastCGI request with cgi-fcgi; sets CGI_OUT.
cgi() {
	CGI_OUT=$(env -i PATH="$PATH" REQUEST_METHOD="$1" REQUEST_URI="$2" \
	    DOCUMENT_URI="$2" SCRIPT_NAME="$2" QUERY_STRING= SERVER_PROTOCOL=HTTP/1.1 \
	    GATEWAY_INTERFACE=CGI/1.1 REMOTE_ADDR=127.0.0.1 \
	    timeout 20 cgi-fcgi -bind -connect "$sock" </dev/null 2>&1)
}

# serves LABEL: liveness and readiness through nginx and with cgi-fcgi.
serves() {
	ods_wait_http "$ODS_DATA_URL/api/v1/healthz" 200 20 ||
	    ods_t_fail "$1: liveness through nginx never answered 200"
	ods_get "$ODS_DATA_URL/api/v1/health"
	ods_expect_code 200 "$1: readiness through nginx"
	ods_expect_json '.service' data-api "$1: readiness body"
	ods_expect_json '.checks.database.status' healthy "$1: database checked"
	cgi GET /api/v1/healthz
	grep -q '"alive"' <<<"$CGI_OUT" ||
	    ods_t_fail "$1: cgi-fcgi liveness: $CGI_OUT"
	ods_t_ok "$1: cgi-fcgi liveness"
	cgi GET /api/v1/health
	grep -q '"healthy"' <<<"$CGI_OUT" ||
	    ods_t_fail "$1: cgi-fcgi readiness: $CGI_OUT"
	ods_t_ok "$1: cgi-fcgi readiness"
	cgi GET /api/v1/nope
	grep -qi '^Status: 404' <<<"$CGI_OUT" ||
	    ods_t_fail "$1: cgi-fcgi unknown path: $CGI_OUT"
	ods_t_ok "$1: cgi-fcgi unknown path gives Status: 404"
}

# stop_all PIDS...: SIGTERM, each must exit 0 within 40 s.
stop_all() {
	local p
	for p in "$@"; do
		kill -TERM "$p"
	done
	for p in "$@"; do
		ods_wait_until 40 eval "! ods_pid_alive $p" ||
		    ods_t_fail "pid $p still alive 40 s after SIGTERM"
	done
	ods_t_ok "SIGTERM stopped $*"
	rm -f "$sock"
}

# 1. One process serving itself (the spawn-fcgi default).
rm -f "$sock"
spawn-fcgi -s "$sock" -M 0660 -G nogroup -P "$ODS_STACK_DIR/run/sf.pid" -- "$bin" \
    >>"$ODS_STACK_DIR/log/data.log" 2>&1 || ods_t_fail "spawn-fcgi failed"
pid=$(cat "$ODS_STACK_DIR/run/sf.pid")
ods_expect_eq "$(stat -c %a:%G "$sock")" 660:nogroup "spawn-fcgi socket 0660, group nogroup"
serves "spawn-fcgi single process"
stop_all "$pid"

# 2. spawn-fcgi -F 2: two copies on the same socket.
spawn-fcgi -s "$sock" -M 0660 -G nogroup -F 2 -P "$ODS_STACK_DIR/run/sf.pid" -- "$bin" \
    >>"$ODS_STACK_DIR/log/data.log" 2>&1 || ods_t_fail "spawn-fcgi -F 2 failed"
pids=$(tr '\n' ' ' <"$ODS_STACK_DIR/run/sf.pid")
ods_expect_eq "$(echo $pids | wc -w)" 2 "spawn-fcgi -F 2 started two processes"
serves "spawn-fcgi -F 2"
ods_wrk "$ODS_DATA_URL/api/v1/healthz" 2 8 1
ods_wrk_expect_clean "spawn-fcgi -F 2 under load"
# shellcheck disable=SC2086
stop_all $pids

# 3. The built-in master on spawn-fcgi's socket: --workers 2.
spawn-fcgi -s "$sock" -M 0660 -G nogroup -P "$ODS_STACK_DIR/run/sf.pid" -- "$bin" \
    --workers 2 --threads 2 >>"$ODS_STACK_DIR/log/data.log" 2>&1 ||
    ods_t_fail "spawn-fcgi (master) failed"
master=$(cat "$ODS_STACK_DIR/run/sf.pid")
ods_wait_until 5 eval '[ "$(ods_children "$master" | grep -c .)" = 2 ]' ||
    ods_t_fail "the master under spawn-fcgi did not start 2 workers"
ods_t_ok "the master under spawn-fcgi runs 2 workers"
serves "spawn-fcgi + --workers 2"
victim=$(ods_children "$master" | head -n 1)
kill -KILL "$victim"
ods_wait_until 1 eval '[ "$(ods_children "$master" | grep -c .)" = 2 ] && ! ods_children "$master" | grep -qx "$victim"' ||
    ods_t_fail "worker $victim not replaced within 1 s under spawn-fcgi"
ods_t_ok "a killed worker is replaced within 1 s under spawn-fcgi"
serves "spawn-fcgi + --workers 2 after a respawn"
stop_all "$master"

ods_t_end
