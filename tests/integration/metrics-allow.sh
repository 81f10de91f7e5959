#!/usr/bin/env bash
# tests/integration/metrics-allow.sh — /metrics on each server reaches the
# pool from the allowed addresses only (127.0.0.1 and ::1 by default, plus
# ODS_METRICS_ALLOW); others get a 403 JSON envelope from nginx.  The client
# address 127.0.0.2 (all of 127/8 is loopback) plays the outsider.  What
# passes is Prometheus text that promtool accepts.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"

ods_t_begin metrics-allow
ods_t_require promtool
ods_stack_init
ods_stack_up

for url in "$ODS_DATA_URL" "$ODS_AGENT_URL" "$ODS_PROXY_URL"; do
	pool=data
	[ "$url" = "$ODS_AGENT_URL" ] && pool=agent
	[ "$url" = "$ODS_PROXY_URL" ] && pool=proxy
	ods_get "$url/metrics"
	[ "$HTTP_CODE" != 403 ] && [ "$HTTP_CODE" != 000 ] ||
	    ods_t_fail "$pool /metrics from 127.0.0.1: HTTP $HTTP_CODE"
	[ "$(ods_last_upstream)" = "unix:$(ods_pool_sock "$pool")" ] ||
	    ods_t_fail "$pool /metrics from 127.0.0.1 did not reach the pool"
	ods_t_ok "$pool /metrics from 127.0.0.1 reaches the pool (HTTP $HTTP_CODE)"
	ods_expect_code 200 "$pool /metrics"
	ods_expect_header Content-Type '^text/plain' "$pool /metrics"
	out=$(printf '%s\n' "$HTTP_BODY" | promtool check metrics 2>&1) ||
	    ods_t_fail "$pool /metrics: promtool check metrics: $out"
	ods_t_ok "$pool /metrics through nginx passes promtool check metrics"
	ods_get "$url/metrics" --interface 127.0.0.2
	ods_expect_error_envelope 403 forbidden "$pool /metrics from 127.0.0.2"
done

# Allow 127.0.0.2/32 and reload nginx: now it passes.
ODS_METRICS_ALLOW=127.0.0.2/32
ods_nginx_generate "$ODS_STACK_DIR/nginx"
ods_nginx_test "$ODS_STACK_DIR/nginx" || ods_t_fail "nginx -t after adding ODS_METRICS_ALLOW"
ods_nginx_reload "$ODS_STACK_DIR/nginx"
ods_wait_until 10 eval '[ "$(curl -s -o /dev/null -w "%{http_code}" --interface 127.0.0.2 "$ODS_DATA_URL/metrics")" != 403 ]' ||
    ods_t_fail "127.0.0.2 still refused after ODS_METRICS_ALLOW=127.0.0.2/32"
ods_t_ok "ODS_METRICS_ALLOW=127.0.0.2/32 lets 127.0.0.2 scrape"
ods_get "$ODS_AGENT_URL/metrics" --interface 127.0.0.3
ods_expect_error_envelope 403 forbidden "127.0.0.3 is still refused"

ods_t_end
