#!/usr/bin/env bash
# tests/integration/errors-404-405-413.sh — every error is JSON, whether the
# worker or nginx produces it: 404, 405 (with Allow), 413 (nginx's
# client_max_body_size and the worker's own cap), 504 when a pool does not
# answer in time, 502 when a pool is down;
# OpenAI-shaped errors on the proxy's /v1/ paths.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"
. "$here/../lib/rss.sh"

ods_t_begin errors-404-405-413
ods_t_require socat
ods_stack_init
ods_stack_backends
# The workers cap bodies at 64 KiB, nginx at 1 MiB: a 100 KiB body reaches
# the worker (its 413), a 2 MiB one stops at nginx (nginx's 413). nginx's
# upload locations take 3 MiB.
ODS_MAX_BODY_BYTES=65536 ods_stack_pools
ODS_MAX_BODY_BYTES=1m
ODS_MAX_UPLOAD_BYTES=3m
ods_stack_nginx_start
ods_stack_wait_live || ods_t_fail "stack not live"

body100k=$ODS_STACK_DIR/100k.bin
body2m=$ODS_STACK_DIR/2m.bin
head -c 102400 /dev/zero | tr '\0' 'a' >"$body100k"
head -c 2097152 /dev/zero | tr '\0' 'a' >"$body2m"
body4m=$ODS_STACK_DIR/4m.bin
head -c 4194304 /dev/zero | tr '\0' 'a' >"$body4m"

# --- 404 -------------------------------------------------------------------
ods_get "$ODS_DATA_URL/api/v1/data/no/such/route"
ods_expect_error_envelope 404 not_found "worker 404 (data)"
ods_expect_json '.code' 40400 "worker 404 code"
ods_get "$ODS_AGENT_URL/api/v1/no-such-area"
ods_expect_error_envelope 404 not_found "worker 404 (agent fallback)"
ods_get "$ODS_DATA_URL/index.html"
ods_expect_error_envelope 404 not_found "nginx 404 (not an API path)"
ods_expect_json '.code' 40400 "nginx 404 code"
ods_get "$ODS_PROXY_URL/v1/no-such-thing"
ods_expect_code 404 "proxy /v1 unknown path"
ods_expect_header Content-Type '^application/json' "proxy /v1 unknown path"

# --- 405 -------------------------------------------------------------------
for m in POST PUT DELETE PATCH; do
	ods_req "$m" "$ODS_DATA_URL/api/v1/health"
	ods_expect_error_envelope 405 method_not_allowed "worker 405 for $m /api/v1/health"
	ods_expect_json '.code' 40500 "worker 405 code"
	ods_expect_header Allow 'GET' "worker 405 names the allowed methods"
done
ods_req DELETE "$ODS_PROXY_URL/health"
ods_expect_error_envelope 405 method_not_allowed "proxy worker 405"
ods_req TRACE "$ODS_AGENT_URL/api/v1/health"
ods_expect_error_envelope 405 method_not_allowed "nginx 405 (TRACE)"

# --- 413 -------------------------------------------------------------------
ods_req GET "$ODS_DATA_URL/api/v1/health" --data-binary "@$body100k" \
    -H 'Content-Type: application/json'
ods_expect_error_envelope 413 payload_too_large "worker 413 past ODS_MAX_BODY_BYTES"
ods_expect_json '.code' 41300 "worker 413 code"
ods_req POST "$ODS_DATA_URL/api/v1/datasets" --data-binary "@$body2m" \
    -H 'Content-Type: application/json'
ods_expect_error_envelope 413 payload_too_large "nginx 413 past client_max_body_size (data)"
ods_req POST "$ODS_AGENT_URL/api/v1/agent/run" --data-binary "@$body2m" \
    -H 'Content-Type: application/json'
ods_expect_error_envelope 413 payload_too_large "nginx 413 (agent)"
ods_req POST "$ODS_PROXY_URL/v1/chat/completions" --data-binary "@$body2m" \
    -H 'Content-Type: application/json'
ods_expect_openai_error 413 "nginx 413 on /v1/chat/completions"
ods_expect_json '.error.code' payload_too_large "OpenAI-shaped 413 code"
# Chunked bodies are capped too.
ods_req POST "$ODS_DATA_URL/api/v1/datasets" --data-binary "@$body2m" \
    -H 'Transfer-Encoding: chunked'
ods_expect_error_envelope 413 payload_too_large "nginx 413 on a chunked body"

# Upload locations (ODS_MAX_UPLOAD_BYTES, 3 MiB): 2 MiB passes nginx and
# reaches the worker (the upload routes want a token: its 401 JSON), 4 MiB
# is nginx's 413; canonical and flat paths alike.
mp='Content-Type: multipart/form-data; boundary=x'
for u in "$ODS_DATA_URL/api/v1/data/datasets/ds-1/upload" \
    "$ODS_DATA_URL/api/v1/datasets/ds-1/upload" \
    "$ODS_AGENT_URL/api/v1/agent/documents/upload" \
    "$ODS_AGENT_URL/api/v1/documents/upload" \
    "$ODS_AGENT_URL/api/v1/knowledge-bases/kb-1/upload"; do
	ods_req POST "$u" --data-binary "@$body2m" -H "$mp"
	ods_expect_error_envelope 401 unauthorized "2 MiB through the upload location ${u#http://*/}"
	ods_req POST "$u" --data-binary "@$body4m" -H "$mp"
	ods_expect_error_envelope 413 payload_too_large "nginx 413 past ODS_MAX_UPLOAD_BYTES on ${u#http://*/}"
done
# The RSS sampler the upload routes' tests will use (tests/lib/rss.sh),
# here on the data workers while curl -F sends 2 MiB to the 401.
r=$(ods_upload_rss "$(ods_pool_workers data)" \
    "$ODS_DATA_URL/api/v1/data/datasets/ds-1/upload" "$body2m")
case $r in
status=401\ peak_kb=[1-9]*) ods_t_ok "ods_upload_rss samples the workers: $r" ;;
*) ods_t_fail "ods_upload_rss: $r" ;;
esac
# Only the upload paths: the rest of the area keeps the small cap.
ods_req POST "$ODS_DATA_URL/api/v1/data/datasets/ds-1/uploads" \
    --data-binary "@$body2m" -H "$mp"
ods_expect_error_envelope 413 payload_too_large "nginx 413 next to an upload location"

# --- 504: an upstream that accepts and never answers ------------------------
# A black hole (socat -u reads the request and never answers) behind an extra
# server made of the same snippets, with a 1 s read timeout.
if ods_have socat; then
	hole=$ODS_RUN_DIR/hole.sock
	setsid socat -u UNIX-LISTEN:"$hole",fork,mode=0666 OPEN:/dev/null \
	    </dev/null >/dev/null 2>&1 &
	hole_pid=$!
	# socat forks a child per connection: stop its whole process group.
	ODS_T_CLEANUP="kill -- -$hole_pid 2>/dev/null"
	ods_wait_until 5 test -S "$hole" || ods_t_fail "socat did not listen"
	ods_pick_port hole_port
	cat >>"$ODS_STACK_DIR/nginx/ods-servers.conf" <<EOT
server {
	listen 127.0.0.1:$hole_port;
	types { }
	default_type application/json;
	add_header X-Request-ID \$ods_request_id always;
	include $ODS_ROOT/nginx/fastcgi_params.ods;
	include $ODS_ROOT/nginx/ods-fastcgi.conf;
	include $ODS_ROOT/nginx/ods-errors.conf;
	include $ODS_ROOT/nginx/ods-errors-openai.conf;
	location /api/ {
		fastcgi_read_timeout 1s;
		fastcgi_pass unix:$hole;
	}
	location /v1/ {
		include $ODS_ROOT/nginx/ods-errors-openai-pages.conf;
		fastcgi_read_timeout 1s;
		fastcgi_pass unix:$hole;
	}
}
EOT
	ods_nginx_test "$ODS_STACK_DIR/nginx" || ods_t_fail "nginx -t with the black-hole server"
	ods_nginx_reload "$ODS_STACK_DIR/nginx"
	ods_wait_until 10 eval '[ "$(ods_http_code "http://127.0.0.1:$hole_port/api/x")" = 504 ]' ||
	    ods_t_fail "no 504 from the black-hole server"
	ods_get "http://127.0.0.1:$hole_port/api/v1/anything"
	ods_expect_error_envelope 504 gateway_timeout "nginx 504 when the pool does not answer"
	ods_expect_json '.code' 50400 "504 code"
	ods_get "http://127.0.0.1:$hole_port/v1/models"
	ods_expect_openai_error 504 "nginx 504 on /v1"
	kill -- -"$hole_pid" 2>/dev/null
fi

# --- 502: a pool that is down ----------------------------------------------
ods_pool_stop data
ods_get "$ODS_DATA_URL/api/v1/health"
ods_expect_error_envelope 502 bad_gateway "nginx 502 when the data pool is down"
ods_expect_json '.code' 50200 "502 code"
ods_pool_stop proxy
ods_get "$ODS_PROXY_URL/v1/models"
ods_expect_openai_error 502 "nginx 502 on /v1 when the proxy pool is down"
ods_get "$ODS_PROXY_URL/health"
ods_expect_error_envelope 502 bad_gateway "nginx 502 on the proxy's /health"

# The other pool is unaffected.
ods_get "$ODS_AGENT_URL/api/v1/healthz"
ods_expect_code 200 "agent pool still serves"

ods_t_end
