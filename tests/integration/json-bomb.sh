#!/usr/bin/env bash
# tests/integration/json-bomb.sh — a JSON route reads at most its own
# body cap (ODS_MAX_JSON_BYTES, 1 MiB), refused by Content-Length before
# anything is read, and no document of more than ODS_JSON_MAX_VALUES values
# is parsed: "[{},{},...]" costs json-c ~260 bytes per byte, so without
# these an open route (POST /api/v1/auth/refresh) lets 2 MB of body cost
# ~0.5 GB of a worker. The peak RSS of the workers is measured around the
# bombs. The proxy's /v1 routes keep their large cap for real bodies.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"

ods_t_begin json-bomb
ods_t_require python3
ods_stack_init
ods_stack_backends
export JWT_SECRET_KEY=json-bomb-secret-0123456789abcdef-xyz
export ODS_RATE_LIMIT_DEFAULT=1000/minute ODS_RATE_LIMIT_BURST=2000
ods_stack_pools
ods_stack_nginx_start
ods_stack_wait_live || ods_t_fail "the stack did not become live"

B=$ODS_STACK_DIR/bombs
mkdir -p "$B"
bomb() {	# FILE BYTES: "[{},{},...]" of about BYTES bytes
	python3 -c 'import sys; n = int(sys.argv[1]) // 3
sys.stdout.write("[" + ",".join(["{}"] * n) + "]")' "$2" >"$1"
}
bomb "$B/2m" 2000000
bomb "$B/900k" 900000
python3 -c 'import json; print(json.dumps({"refresh_token": "x" * 2000,
"pad": ["a" * 100] * 5000}))' >"$B/ok-600k"

# peak_kb POOL: the largest VmHWM (peak RSS, kB) among the pool's workers.
peak_kb() {
	local p m=0 v
	for p in $(ods_pool_workers "$1"); do
		v=$(awk '/^VmHWM:/ { print $2 }' "/proc/$p/status" 2>/dev/null)
		[ -n "$v" ] && [ "$v" -gt "$m" ] && m=$v
	done
	echo "$m"
}
before=$(peak_kb data)
[ "$before" -gt 0 ] || ods_t_fail "no data pool worker to measure"

J=(-H 'Content-Type: application/json')
for i in 1 2 3; do
	ods_req POST "$ODS_DATA_URL/api/v1/auth/refresh" "${J[@]}" \
	    --data-binary "@$B/2m"
	ods_expect_error_envelope 413 payload_too_large "2 MB body on an open JSON route ($i)"
	ods_req POST "$ODS_DATA_URL/api/v1/auth/refresh" "${J[@]}" \
	    --data-binary "@$B/900k"
	ods_expect_error_envelope 413 payload_too_large "900 kB of 300 000 values ($i)"
done
ods_expect_json '.message' 'the JSON document has more than 100000 values' \
    "the value limit is named"
# Eight at once, on every thread of both workers.
pids=()
for i in 1 2 3 4 5 6 7 8; do
	curl -s -o /dev/null -m 30 -X POST "${J[@]}" --data-binary "@$B/900k" \
	    "$ODS_DATA_URL/api/v1/auth/refresh" &
	pids+=($!)
done
wait "${pids[@]}"
# A real body under the cap is still read and parsed (Keycloak is not
# configured here: 503 after the parse, not 413).
ods_req POST "$ODS_DATA_URL/api/v1/auth/refresh" "${J[@]}" \
    --data-binary "@$B/ok-600k"
ods_expect_code 503 "a 600 kB JSON body under the cap is parsed"

after=$(peak_kb data)
grow=$(((after - before) / 1024))
ods_say "data workers' peak RSS: $((before / 1024)) MB before, $((after / 1024)) MB after the bombs"
[ "$grow" -lt 64 ] ||
    ods_t_fail "a worker's peak RSS grew by $grow MB under JSON bombs"
ods_t_ok "peak RSS grew by $grow MB (< 64) under 14 bombs"

# The proxy's /v1 routes keep the large cap for long conversations, and
# the value limit bounds their parse too.
admin=$("$(ods_bin odsctl)" token --sub bomb-admin --roles admin --ttl 600) ||
    ods_t_fail "odsctl token"
pbefore=$(peak_kb proxy)
ods_req POST "$ODS_PROXY_URL/v1/embeddings" "${J[@]}" \
    -H "Authorization: Bearer $admin" --data-binary "@$B/2m"
ods_expect_openai_error 413 "2 MB of values on /v1/embeddings"
python3 -c 'import json; print(json.dumps({"model": "ods-hash-embed-384",
"input": ["word " * 100000] * 3}))' >"$B/embed-1500k"
ods_req POST "$ODS_PROXY_URL/v1/embeddings" "${J[@]}" \
    -H "Authorization: Bearer $admin" --data-binary "@$B/embed-1500k"
ods_expect_code 200 "a 1.5 MB embedding input passes the proxy's cap"
pgrow=$((($(peak_kb proxy) - pbefore) / 1024))
[ "$pgrow" -lt 96 ] ||
    ods_t_fail "a proxy worker's peak RSS grew by $pgrow MB"
ods_t_ok "proxy peak RSS grew by $pgrow MB"
ods_t_end
