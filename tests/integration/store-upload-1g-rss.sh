#!/usr/bin/env bash
# tests/integration/store-upload-1g-rss.sh — issue 13's memory bound: a
# 1 GiB upload through nginx (a presigned PUT on the directory backend)
# keeps the pool worker's RSS under 64 MB, and so does the 1 GiB download
# that follows; the object stored, and the bytes downloaded, have the size
# and SHA-256 of the bytes sent. The body is generated on the fly (AES-CTR keystream, or
# /dev/urandom without openssl) and piped to curl, its SHA-256 taken on the
# way; nothing of it is kept but the object and nginx's buffer file.
#
# nginx keeps request buffering on for /api/v1/store/ (a slow client fills
# nginx's temporary file, not a pool thread), so the worker reads the body
# at local speed once nginx has it all; client_max_body_size there is
# ODS_MAX_UPLOAD_BYTES (1 GiB by default): exactly 1 GiB passes, one byte
# more is 413 JSON before any byte is read.
#
# The pools run with --request-timeout 8 s: the worker's part of each
# transfer takes 2 to 40 s here (the more, the busier the machine): it
# is not killed as stuck while its bytes move (ods_worker_progress on
# every body read and response write; before, this test saw the SIGKILL).
#
# RSS: VmRSS of the data pool's workers sampled every 50 ms during each
# transfer, and their VmHWM (the peak since the worker started, startup
# included) at the end. ODS_T_UPLOAD_BYTES sizes the body (default 1 GiB).
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"

ods_t_begin store-upload-1g-rss
ods_t_require sha256sum
ods_stack_init
ods_stack_backends
unset MINIO_ENDPOINT
export ODS_MAX_UPLOAD_BYTES=1073741824 ODS_REQUEST_TIMEOUT=8
ods_stack_pools
ods_stack_nginx_start
ods_stack_wait_live || ods_t_fail "stack not live"
ctl=$(ods_bin odsctl)
t=$ODS_STACK_DIR/t
mkdir -p "$t"
size=${ODS_T_UPLOAD_BYTES:-1073741824}
limit_kb=65536
key="big/upload 1g.bin"
ODS_T_CLEANUP='ods_rss_watch_stop'

# gen BYTES: BYTES of incompressible, deterministic bytes on stdout.
gen() {
	# (the generator dies of SIGPIPE at the end: not a failure)
	if ods_have openssl; then
		{ openssl enc -aes-128-ctr -nosalt -pass pass:ods-1g -pbkdf2 \
		    </dev/zero 2>/dev/null || :; } | head -c "$1"
	else
		head -c "$1" /dev/urandom
	fi
}

workers=$(ods_pool_workers data | tr '\n' ' ')
[ -n "$workers" ] || ods_t_fail "no data pool worker"
for w in $workers; do
	printf '  worker %s at start: VmRSS %s kB, VmHWM %s kB\n' "$w" \
	    "$(ods_proc_kb "$w" VmRSS)" "$(ods_proc_kb "$w" VmHWM)"
done

# --- upload ----------------------------------------------------------------
url=$("$ctl" store presign PUT "$key" --base "$ODS_DATA_URL") ||
    ods_t_fail "presign PUT"
ods_rss_watch_start "$t/rss.up" $workers
t0=$(date +%s%N)
# curl -T - sends it chunked: nginx counts the bytes against
# client_max_body_size as they come, then hands the worker the whole body.
gen "$size" | tee >(sha256sum | cut -d' ' -f1 >"$t/sent.sha") |
    curl -s -S -m 600 -X PUT -T - -H 'Content-Type: application/x-ods-big' \
    -o "$t/put.json" -w '%{http_code}' "$url" >"$t/put.code" ||
    ods_t_fail "curl PUT failed"
t1=$(date +%s%N)
ods_rss_watch_stop
up_peak=$ODS_RSS_PEAK
for _ in 1 2 3 4 5 6 7 8 9 10; do
	[ -s "$t/sent.sha" ] && break
	sleep 0.2
done
sent_sha=$(cat "$t/sent.sha")
ods_expect_eq "$(cat "$t/put.code")" 201 "1 GiB presigned PUT through nginx"
ods_t_spec_check PUT "${url#"$ODS_DATA_URL"}" 201 "$t/put.json" data
ods_expect_eq "$(jq -r .data.size "$t/put.json")" "$size" "stored size"
ods_expect_eq "$(jq -r .data.sha256 "$t/put.json")" "$sent_sha" "stored sha256 = sha256 of the bytes sent"
printf '  upload: %d bytes in %s s (%s MB/s end to end)\n' "$size" \
    "$(awk -v n=$((t1 - t0)) 'BEGIN { printf "%.2f", n / 1e9 }')" \
    "$(awk -v n=$((t1 - t0)) -v b="$size" 'BEGIN { printf "%.0f", b / 1048576 / (n / 1e9) }')"
ods_expect_le "$up_peak" "$limit_kb" "worker VmRSS sampled during the upload (kB)"

# --- download --------------------------------------------------------------
url=$("$ctl" store presign GET "$key" --base "$ODS_DATA_URL") ||
    ods_t_fail "presign GET"
ods_rss_watch_start "$t/rss.down" $workers
curl -s -S -m 600 -o >(sha256sum | cut -d' ' -f1 >"$t/down.sha") \
    -w '%{http_code}' "$url" >"$t/get.code" || ods_t_fail "curl GET failed"
ods_rss_watch_stop
down_peak=$ODS_RSS_PEAK
ods_expect_eq "$(cat "$t/get.code")" 200 "1 GiB presigned GET through nginx"
ods_wait_until 10 test -s "$t/down.sha" || ods_t_fail "no sha256 of the download"
ods_expect_eq "$(cat "$t/down.sha")" "$sent_sha" "the download's sha256"
ods_expect_le "$down_peak" "$limit_kb" "worker VmRSS sampled during the download (kB)"
# nginx's view: the whole request, and the pool's part of it (after nginx
# had the body: request buffering).
ods_wait_until 5 eval '[ "$(grep -c presigned "$ODS_STACK_DIR/nginx/logs/access.log")" -ge 2 ]'
grep presigned "$ODS_STACK_DIR/nginx/logs/access.log" | tail -n 2 |
    jq -r '"  nginx: \(.method) \(.status) in \(.duration_s) s, upstream \(.upstream_s) s"'
if grep -q request_timeout "$ODS_STACK_DIR/log/data.log"; then
	ods_t_fail "the master killed a worker that was moving bytes"
fi
ods_t_ok "no worker killed by --request-timeout (8 s)"

hwm=0
for w in $workers; do
	v=$(ods_proc_kb "$w" VmHWM)
	[ -n "$v" ] || ods_t_fail "worker $w died"
	printf '  worker %s: VmHWM %s kB\n' "$w" "$v"
	[ "$v" -gt "$hwm" ] && hwm=$v
done
ods_expect_le "$hwm" "$limit_kb" "the workers' peak RSS, VmHWM (kB)"

# --- one byte over the cap -------------------------------------------------
url=$("$ctl" store presign PUT "big/over" --base "$ODS_DATA_URL") ||
    ods_t_fail "presign PUT"
ods_req PUT "$url" -H "Content-Length: $((1073741824 + 1))" --data-binary x
ods_expect_error_envelope 413 payload_too_large "1 GiB + 1 byte: nginx's 413"
"$ctl" store head big/over >/dev/null 2>&1 &&
    ods_t_fail "an object was stored past the cap"
ods_t_ok "nothing stored past the cap"
"$ctl" store rm "$key" || ods_t_fail "rm"

ods_t_end
