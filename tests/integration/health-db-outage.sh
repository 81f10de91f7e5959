#!/usr/bin/env bash
# tests/integration/health-db-outage.sh — readiness follows MariaDB: 200, then
# 503 (quickly, never a hang) while the database is stopped, then 200 again
# after it restarts; liveness answers 200 throughout.  Redis down keeps
# readiness at 200 with checks.redis unhealthy.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"

ods_t_begin health-db-outage
ods_stack_init
ods_stack_up

for url in "$ODS_DATA_URL" "$ODS_AGENT_URL"; do
	ods_get "$url/api/v1/health"
	ods_expect_code 200 "readiness before the outage"
	ods_expect_json '.checks.database.status' healthy "database healthy"
done

# Liveness probe in the background for the whole outage: every status seen.
live=$ODS_STACK_DIR/liveness.codes
stopf=$ODS_STACK_DIR/liveness.stop
(
	while [ ! -e "$stopf" ]; do
		for u in "$ODS_DATA_URL/api/v1/healthz" "$ODS_AGENT_URL/api/v1/healthz" \
		    "$ODS_PROXY_URL/healthz"; do
			curl -s -o /dev/null -m 5 -w '%{http_code}\n' "$u" >>"$live"
		done
		sleep 0.1
	done
) &
watcher=$!

ods_say "stopping MariaDB"
ods_db_stop
for url in "$ODS_DATA_URL" "$ODS_AGENT_URL"; do
	# Give the pool's connections a moment to notice, then expect a 503
	# every time, each within the connect timeout (3 s) plus slack.
	ods_wait_until 15 eval '[ "$(ods_http_code "$url/api/v1/health")" = 503 ]' ||
	    ods_t_fail "readiness of $url never turned 503 with MariaDB down"
	for i in 1 2 3; do
		ods_get "$url/api/v1/health"
		ods_expect_code 503 "readiness with MariaDB down ($i)"
		awk -v t="$HTTP_TIME" 'BEGIN { exit !(t < 5) }' ||
		    ods_t_fail "readiness took ${HTTP_TIME}s with MariaDB down"
	done
	ods_expect_header Content-Type '^application/json' "503 is JSON"
	ods_expect_json '.message' degraded "503 says degraded"
	[ "$(ods_json '.checks.database.status')" != healthy ] ||
	    ods_t_fail "checks.database.status is healthy with MariaDB down"
	ods_t_ok "checks.database.status: $(ods_json '.checks.database.status')"
	ods_get "$url/api/v1/healthz"
	ods_expect_code 200 "liveness with MariaDB down"
done

ods_say "starting MariaDB again"
ods_db_start
for url in "$ODS_DATA_URL" "$ODS_AGENT_URL"; do
	ods_wait_until 20 eval '[ "$(ods_http_code "$url/api/v1/health")" = 200 ]' ||
	    ods_t_fail "readiness of $url did not come back after MariaDB restarted"
	# Every worker and thread must have reconnected, not just one.
	for i in $(seq 1 20); do
		ods_get "$url/api/v1/health"
		[ "$HTTP_CODE" = 200 ] ||
		    ods_t_fail "readiness $HTTP_CODE on try $i after the restart: $HTTP_BODY"
	done
	ods_t_ok "readiness 200 (20 times) after MariaDB restarted"
done

touch "$stopf"
wait "$watcher"
total=$(wc -l <"$live")
bad=$(grep -vc '^200$' "$live")
[ "$total" -gt 10 ] || ods_t_fail "liveness probed only $total times"
ods_expect_eq "$bad" 0 "liveness non-200 answers in $total probes during the outage"

# Redis down: still ready, redis reported unhealthy.
ods_redis_stop
ods_wait_until 10 eval '[ "$(curl -s -m 5 "$ODS_DATA_URL/api/v1/health" | jq -r .checks.redis.status)" != healthy ]' ||
    ods_t_fail "checks.redis.status stays healthy with Redis down"
ods_get "$ODS_DATA_URL/api/v1/health"
ods_expect_code 200 "readiness with Redis down"
ods_expect_json '.checks.redis.status' unhealthy "Redis reported unhealthy"
ods_expect_json '.checks.rate_limit.status' degraded "rate limiter reported degraded"
ods_expect_json '.checks.rate_limit.when_redis_down' allow "rate limiter fails open"
ods_redis_start
ods_wait_until 10 eval '[ "$(curl -s -m 5 "$ODS_DATA_URL/api/v1/health" | jq -r .checks.redis.status)" = healthy ]' ||
    ods_t_fail "checks.redis.status did not recover after Redis restarted"
ods_t_ok "Redis healthy again after its restart"
ods_get "$ODS_DATA_URL/api/v1/health"
ods_expect_json '.checks.rate_limit.status' healthy "rate limiter healthy again"

ods_t_end
