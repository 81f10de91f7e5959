#!/usr/bin/env bash
# tests/integration/routes-request-id.sh — nginx sends the canonical prefixes
# and the reference's flat paths to the right pool, each server answers its
# own health and liveness, and the request id goes through (X-Request-ID
# when it is a safe token, else nginx's $request_id) into the worker's body
# and back in the X-Request-ID header.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"

ods_t_begin routes-request-id
ods_stack_init
ods_stack_up

# route SERVER_URL PATH POOL: GET PATH reaches POOL's socket ("-": nginx
# answers itself with a 404 envelope).
route() {
	ods_get "$1$2"
	local up
	up=$(ods_last_upstream)
	if [ "$3" = - ]; then
		[ "$up" = "" ] || [ "$up" = - ] ||
		    ods_t_fail "$2 on $1 went to $up, want nginx itself"
		ods_expect_error_envelope 404 not_found "$2 on $1 answered by nginx"
	else
		[ "$up" = "unix:$(ods_pool_sock "$3")" ] ||
		    ods_t_fail "$2 on $1 went to '$up', want the $3 pool"
		ods_t_ok "$2 on ${1##*:} -> $3 pool (HTTP $HTTP_CODE)"
	fi
}

# Readiness and liveness of each server's own pool.
for s in "data $ODS_DATA_URL /api/v1" "agent $ODS_AGENT_URL /api/v1" \
    "proxy $ODS_PROXY_URL /api/v1"; do
	set -- $s
	pool=$1 url=$2 pre=${3:-}
	ods_get "$url$pre/health"
	ods_expect_code 200 "$pool$pre/health"
	ods_expect_header Content-Type '^application/json' "$pool$pre/health"
	ods_expect_json '.code' 0 "$pool$pre/health"
	ods_expect_json '.checks.database.status' healthy "$pool$pre/health"
	case $pool in
	data) ods_expect_json '.service' data-api "$pool/health" ;;
	agent) ods_expect_json '.service' agent-api "$pool/health" ;;
	proxy) ods_expect_json '.service' openai-proxy "$pool/health" ;;
	esac
	ods_get "$url$pre/healthz"
	ods_expect_code 200 "$pool$pre/healthz (liveness)"
	ods_expect_json '.code' 0 "$pool$pre/healthz"
done

# The proxy's own /health: always 200, the reference's shape (no envelope),
# each backend's state.
ods_get "$ODS_PROXY_URL/health"
ods_expect_code 200 "proxy/health"
ods_expect_header Content-Type '^application/json' "proxy/health"
ods_expect_json '.service' openai-proxy "proxy/health"
ods_expect_json '.backends | type' array "proxy/health backends"
ods_expect_json '.embedding_fallback' ods-hash-embed-384 "proxy/health"

# Canonical prefixes, on both API servers.
for url in "$ODS_DATA_URL" "$ODS_AGENT_URL"; do
	route "$url" /api/v1/data/health data
	ods_expect_json '.service' data-api "/api/v1/data/health"
	route "$url" /api/v1/agent/health agent
	ods_expect_json '.service' agent-api "/api/v1/agent/health"
	route "$url" /api/v1/data/datasets/42 data
	route "$url" /api/v1/agent/workflows agent
	# Flat paths of the reference (regexes 5 and 7).
	route "$url" /api/v1/datasets data
	route "$url" /api/v1/datasources/7/test data
	route "$url" /api/v1/feature-groups data
	route "$url" /api/v1/quality/rules data
	route "$url" /api/v1/workflows/3 agent
	route "$url" /api/workflows agent
	route "$url" /api/v1/rag/query agent
	route "$url" /api/v1/conversations agent
	route "$url" /api/v1/chat agent
	route "$url" /api/v1/agent/run-stream agent
	route "$url" /nothing-here -
done
# /api/v1/auth/: the data API's on 8080 (regex 5), the agent's on 8081 (the
# ops manual checks tokens with :8081/api/v1/auth/me).
route "$ODS_DATA_URL" /api/v1/auth/me data
route "$ODS_AGENT_URL" /api/v1/auth/me agent
# The /api/ fallback is the agent's, on the agent server only.
route "$ODS_AGENT_URL" /api/v1/knowledge-bases agent
route "$ODS_AGENT_URL" /api/v1/apps/1 agent
route "$ODS_DATA_URL" /api/v1/knowledge-bases -
route "$ODS_DATA_URL" /api/v2/anything -

# The proxy: /v1 and its own /health and /api/.
route "$ODS_PROXY_URL" /v1/models proxy
route "$ODS_PROXY_URL" /v1/chat/completions proxy
route "$ODS_PROXY_URL" /health proxy
route "$ODS_PROXY_URL" /api/v1/templates proxy
route "$ODS_PROXY_URL" /api/v1/datasets proxy
route "$ODS_PROXY_URL" /nothing -

# The worker sees the original URI and strips its own prefix.
ods_get "$ODS_DATA_URL/api/v1/data/healthz"
ods_expect_code 200 "canonical /api/v1/data/healthz reaches the liveness route"
ods_get "$ODS_AGENT_URL/api/v1/agent/healthz"
ods_expect_code 200 "canonical /api/v1/agent/healthz reaches the liveness route"

# Request id: a safe client id goes through unchanged.
ods_get "$ODS_DATA_URL/api/v1/health" -H 'X-Request-ID: client-id.42:a_b'
ods_expect_header X-Request-ID '^client-id\.42:a_b$' "safe X-Request-ID echoed"
ods_expect_json '.request_id' 'client-id.42:a_b' "safe X-Request-ID in the body"
[ "$(grep -ci '^x-request-id:' "$HTTP_HEADERS")" = 1 ] ||
    ods_t_fail "X-Request-ID sent more than once"
ods_t_ok "exactly one X-Request-ID header"

# No id: nginx's $request_id, the same in the header and the body.
ods_get "$ODS_AGENT_URL/api/v1/health"
ods_expect_header X-Request-ID '^[0-9a-f]{32}$' "generated request id"
ods_expect_json '.request_id' "$(ods_header X-Request-ID)" "generated id in the body"

# An unsafe id (quotes, spaces, too long) is replaced, not reflected.
for bad in 'a"b' 'a b' "$(printf 'x%.0s' $(seq 1 80))" '<script>'; do
	ods_get "$ODS_DATA_URL/api/v1/healthz" -H "X-Request-ID: $bad"
	ods_expect_header X-Request-ID '^[0-9a-f]{32}$' "unsafe X-Request-ID replaced"
	ods_expect_json '.request_id' "$(ods_header X-Request-ID)" "replacement id in the body"
done

# A credential in the query (EventSource clients send ?access_token=)
# never reaches the access log: the query is redacted, the path kept.
secret=tok-$$-ZZSECRETZZ
for q in "access_token=$secret" "a=1&token=$secret" "x=y&api_key=$secret" \
    "access%5Ftoken=$secret"; do
	ods_get "$ODS_AGENT_URL/api/v1/auth/me?$q" \
	    -H 'Accept: text/event-stream' -H 'X-Request-ID: redact-1'
	ods_expect_code 401 "bad token in the query"
	ods_last_upstream >/dev/null
	line=$(tail -n 1 "$ODS_STACK_DIR/nginx/logs/access.log")
	case $line in
	*ZZSECRETZZ*) ods_t_fail "the query's credential is in the access log: $line" ;;
	esac
	[ "$(jq -r .uri <<<"$line")" = "/api/v1/auth/me?[redacted]" ] ||
	    ods_t_fail "access log uri for ?$q: $(jq -r .uri <<<"$line")"
	ods_t_ok "?${q%%=*}=... redacted in the access log"
done
! grep -q ZZSECRETZZ "$ODS_STACK_DIR"/nginx/logs/*.log "$ODS_STACK_DIR"/log/* ||
    ods_t_fail "a query credential reached a log: $(grep -l ZZSECRETZZ \
    "$ODS_STACK_DIR"/nginx/logs/*.log "$ODS_STACK_DIR"/log/*)"
# A query without one is logged as sent.
ods_get "$ODS_DATA_URL/api/v1/healthz?probe=1"
ods_last_upstream >/dev/null
[ "$(tail -n 1 "$ODS_STACK_DIR/nginx/logs/access.log" | jq -r .uri)" = \
    "/api/v1/healthz?probe=1" ] || ods_t_fail "a plain query is not logged as sent"
ods_t_ok "a query without a credential is logged as sent"

# nginx's own errors carry the id too.
ods_get "$ODS_DATA_URL/nothing" -H 'X-Request-ID: err-1'
ods_expect_json '.request_id' err-1 "request id in nginx's 404"
ods_expect_header X-Request-ID '^err-1$' "request id header on nginx's 404"

ods_t_end
