#!/usr/bin/env bash
# tests/integration/proxy-stalled-reader.sh — a client that stops reading
# a stream costs only its own request: the worker's blocked write gives up
# after half the request timeout (SO_SNDTIMEO on the FastCGI connection),
# before the master's deadline would SIGKILL the whole worker and cut every
# other request it serves. The other requests of that same worker keep
# being answered, the worker is not replaced, and no request_timeout kill
# is logged.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"
. "$here/../llm/lib.sh"

ods_t_begin proxy-stalled-reader
ods_t_require node jq python3
ods_stack_init
ods_stack_backends
ODS_T_CLEANUP='ods_llm_mocks_stop; [ -n "${reader:-}" ] && kill "$reader" 2>/dev/null'
ods_llm_mock_start MOCK mock
export AUTH_MODE=false ODS_RATE_LIMIT_ENABLED=false
export VLLM_CHAT_URL=$MOCK LLM_BACKEND=vllm
ODS_PROXY_WORKERS=1 ODS_PROXY_THREADS=4 ods_pool_start proxy --request-timeout 4
ods_stack_nginx_start
ods_wait_http "$ODS_PROXY_URL/healthz" 200 20 || ods_t_fail "proxy not live"
worker=$(ods_pool_workers proxy)
[ "$(wc -w <<<"$worker")" = 1 ] || ods_t_fail "want one proxy worker, got: $worker"

# A stream of ~40 MB sent as fast as the mock can, to a client with a tiny
# receive window that reads nothing: nginx stops reading the worker, and
# the worker's write blocks.
curl -sf -X POST -d '{"chunks":200000,"pace_ms":0}' "$MOCK/_mock/mode" >/dev/null
python3 - "${ODS_PROXY_URL#http://}" >/dev/null 2>&1 <<'PY' &
import socket, sys, time
host, port = sys.argv[1].split(':')
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect((host, int(port)))
body = b'{"model":"mock-chat","stream":true,"messages":[{"role":"user","content":"hi"}]}'
s.sendall(b'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n'
    b'Content-Type: application/json\r\nContent-Length: %d\r\n\r\n' % len(body) + body)
time.sleep(14)
PY
reader=$!
sleep 1

# Meanwhile the same (only) worker keeps answering other requests, for
# longer than --request-timeout.
ok=0
for i in $(seq 1 20); do
	code=$(curl -s -o /dev/null -m 5 -w '%{http_code}' "$ODS_PROXY_URL/v1/models")
	[ "$code" = 200 ] && ok=$((ok + 1))
	sleep 0.5
done
ods_expect_eq "$ok" 20 "requests answered while a stream's reader is stalled"
ods_expect_eq "$(ods_pool_workers proxy)" "$worker" "the worker was not replaced"
grep -q '"request_timeout"' "$ODS_STACK_DIR/log/proxy.log" &&
    ods_t_fail "the master killed the worker for request_timeout"
ods_t_ok "no request_timeout kill while a reader was stalled"
kill "$reader" 2>/dev/null
wait "$reader" 2>/dev/null
reader=
curl -sf -X POST -d '{"chunks":8,"pace_ms":20}' "$MOCK/_mock/mode" >/dev/null
ods_get "$ODS_PROXY_URL/v1/models"
ods_expect_code 200 "the worker serves after the stalled stream"
ods_t_end
