#!/usr/bin/env bash
# tests/integration/health-db-frozen.sh — readiness answers within 2 s
# while MariaDB is frozen (SIGSTOP: the TCP port still accepts, nothing
# answers, as with a stalled primary or a partition): 503 with the
# database check unhealthy and its latency, every time, on fresh and on
# pooled connections alike, and while other threads are checking too;
# liveness stays 200; a route that needs the database answers a JSON 503/504
# within ODS_DB_TIMEOUT_MS (on pooled and on new connections); after the
# thaw readiness is 200 again.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"

ods_t_begin health-db-frozen
ODS_T_CLEANUP='ods_db_resume 2>/dev/null || true'
ods_stack_init
export JWT_SECRET_KEY=health-db-frozen-secret-0123456789abcdef
export ODS_DB_TIMEOUT_MS=2000
ods_stack_up
admin=$("$(ods_bin odsctl)" token --sub frozen-admin --roles admin --ttl 600) ||
    ods_t_fail "odsctl token"
keys=$ODS_DATA_URL/api/v1/api-keys
# Pooled connections in the workers' threads, for the frozen calls to hit.
for i in 1 2 3 4 5 6; do
	ods_get "$keys" -H "Authorization: Bearer $admin"
	ods_expect_code 200 "GET /api-keys before the freeze ($i)"
done

for url in "$ODS_DATA_URL" "$ODS_AGENT_URL"; do
	ods_get "$url/api/v1/health"
	ods_expect_code 200 "readiness before the freeze"
done

ods_say "freezing MariaDB (SIGSTOP)"
ods_db_pause
for url in "$ODS_DATA_URL" "$ODS_AGENT_URL" "$ODS_PROXY_URL"; do
	want=503
	[ "$url" = "$ODS_PROXY_URL" ] && want=200	# the proxy only reports
	for i in 1 2 3 4; do
		ods_get "$url/api/v1/health" -m 10
		ods_expect_code "$want" "readiness with MariaDB frozen ($i)"
		awk -v t="$HTTP_TIME" 'BEGIN { exit !(t < 2.0) }' ||
		    ods_t_fail "readiness of $url took ${HTTP_TIME}s with MariaDB frozen"
		ods_expect_json '.checks.database.status' unhealthy \
		    "database unhealthy while frozen"
		[ -n "$(ods_json '.checks.database.latency_ms | numbers')" ] ||
		    ods_t_fail "no latency_ms in the database check"
	done
	ods_t_ok "$url: readiness $want in under 2 s, 4 times, MariaDB frozen"
done

# Eight at once: none waits behind another's check.
pids=()
for i in 1 2 3 4 5 6 7 8; do
	curl -s -o /dev/null -m 10 -w '%{http_code} %{time_total}\n' \
	    "$ODS_DATA_URL/api/v1/health" >"$ODS_STACK_DIR/par.$i" &
	pids+=($!)
done
wait "${pids[@]}"
for i in 1 2 3 4 5 6 7 8; do
	read -r code t <"$ODS_STACK_DIR/par.$i"
	[ "$code" = 503 ] || ods_t_fail "parallel readiness $i: HTTP $code"
	awk -v t="$t" 'BEGIN { exit !(t < 2.0) }' ||
	    ods_t_fail "parallel readiness $i took ${t}s"
done
ods_t_ok "8 readiness probes at once, each 503 in under 2 s"

ods_get "$ODS_DATA_URL/api/v1/healthz"
ods_expect_code 200 "liveness with MariaDB frozen"

# A database route: the call is cut at ODS_DB_TIMEOUT_MS (2 s), not at the
# 10 s read timeout; connection setup counts whole seconds (2 s too).
for i in 1 2 3 4 5 6; do
	ods_get "$keys" -H "Authorization: Bearer $admin" -m 15
	case $HTTP_CODE in
	503 | 504) ;;
	*) ods_t_fail "GET /api-keys with MariaDB frozen ($i): HTTP $HTTP_CODE" ;;
	esac
	[ -n "$(ods_json '.code | numbers')" ] ||
	    ods_t_fail "GET /api-keys with MariaDB frozen: no JSON error: $HTTP_BODY"
	awk -v t="$HTTP_TIME" 'BEGIN { exit !(t < 2.7) }' ||
	    ods_t_fail "GET /api-keys took ${HTTP_TIME}s with MariaDB frozen (ODS_DB_TIMEOUT_MS=2000)"
done
ods_t_ok "a database route answers 503/504 JSON within ODS_DB_TIMEOUT_MS, 6 times"

ods_say "thawing MariaDB"
ods_db_resume
for url in "$ODS_DATA_URL" "$ODS_AGENT_URL"; do
	ods_wait_until 15 eval '[ "$(ods_http_code "$url/api/v1/health")" = 200 ]' ||
	    ods_t_fail "readiness of $url did not come back after the thaw"
	ods_get "$url/api/v1/health"
	ods_expect_json '.checks.database.status' healthy "database healthy after the thaw"
done
ods_t_ok "readiness 200 again after the thaw"
keys_code() {
	curl -s -o /dev/null -m 5 -w '%{http_code}' \
	    -H "Authorization: Bearer $admin" "$keys" 2>/dev/null || true
}
ods_wait_until 10 eval '[ "$(keys_code)" = 200 ]' ||
    ods_t_fail "GET /api-keys did not come back after the thaw"
ods_t_ok "the database route works again after the thaw (cut connections replaced)"
ods_t_end
