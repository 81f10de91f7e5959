#!/usr/bin/env bash
# tests/integration/store-presigned.sh — the object store end to end, on
# the directory backend and then on S3 (s3rver), with one MariaDB, Redis
# and nginx and the pools restarted between the two (the same function
# runs on each):
#   - odsctl store presign PUT -> curl PUT through nginx's data and agent
#     ports (directory: our route; S3: s3rver itself) -> odsctl get and a
#     presigned GET return the same bytes and SHA-256;
#   - a Range request -> 206 with the right bytes (and odsctl --range);
#   - expired and forged URLs of our route -> 403 JSON (on S3 too, with
#     `presign --route`); expired S3 URLs -> s3rver's 403;
#   - keys with spaces, UTF-8, '%', '?', '#', '+' and '..' segments round
#     -trip, keys that climb out are refused, nothing lands outside the
#     store;
#   - odsctl store put (stdin, --sha256), head, ls with pages, rm;
#   - 413 JSON past the cap: the worker's own (ODS_MAX_UPLOAD_BYTES of the
#     pools) and nginx's client_max_body_size on the store locations, with
#     Content-Length and chunked;
#   - readiness: checks.storage healthy; on S3 with s3rver frozen or
#     stopped, 503 with checks.storage unhealthy within 2 s, healthy again
#     after the restart.
# Every answer of our route is checked against openapi/openapi.yaml.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"

ods_t_begin store-presigned
ods_t_require sha256sum cmp
ods_stack_init
ods_stack_backends
ctl=$(ods_bin odsctl)
[ -x "$ctl" ] || ods_t_fail "$ctl is not built"

# The pools cap uploads at 4 MiB and nginx at 8 MiB (in production both
# follow one ODS_MAX_UPLOAD_BYTES; apart, each 413 can be seen).
pool_cap=4194304
nginx_cap=8388608
unset MINIO_ENDPOINT
export ODS_MAX_UPLOAD_BYTES=$pool_cap
ods_stack_pools
ODS_MAX_UPLOAD_BYTES=$nginx_cap ods_stack_nginx_start
ods_stack_wait_live || ods_t_fail "stack not live"

t=$ODS_STACK_DIR/t
mkdir -p "$t"
f1=$t/f1.bin
head -c $((3 * 1048576 + 123)) /dev/urandom >"$f1"
f1_size=$(stat -c %s "$f1")
sha() { sha256sum "$1" | cut -d' ' -f1; }
f1_sha=$(sha "$f1")
mark=$t/mark
touch "$mark"

# ctl_ok WHAT ARGS...: odsctl succeeds; its stdout in CTL_OUT, stderr in
# CTL_ERR.
ctl_ok() {
	local what=$1
	shift
	"$ctl" "$@" >"$t/ctl.out" 2>"$t/ctl.err" || {
		cat "$t/ctl.err"
		ods_t_fail "$what: odsctl $* failed"
	}
	CTL_OUT=$(cat "$t/ctl.out")
	CTL_ERR=$(cat "$t/ctl.err")
}

# ctl_fails STATUS WHAT ARGS...: odsctl exits with STATUS.
ctl_fails() {
	local want=$1 what=$2 rc=0
	shift 2
	"$ctl" "$@" >"$t/ctl.out" 2>"$t/ctl.err" || rc=$?
	ods_expect_eq "$rc" "$want" "$what: odsctl exit status"
}

# s3_curl ARGS... URL: a request straight to s3rver; status in HTTP_CODE.
s3_curl() {
	HTTP_CODE=$(curl -s -o "$t/s3.body" -D "$t/s3.headers" -m 30 \
	    --path-as-is -w '%{http_code}' "$@") || HTTP_CODE=000
}

# presign METHOD KEY BASE [ARGS...]: a URL in URL.
presign() {
	local m=$1 k=$2 b=$3
	shift 3
	ctl_ok "presign $m" store presign "$m" "$k" --base "$b" "$@"
	URL=$CTL_OUT
}

# put_url BE URL FILE MSG: PUT FILE to a presigned URL; BE dir or s3 says
# whose URL it is (our route through nginx, or s3rver).
put_url() {
	if [ "$1" = s3 ] && [ "${2#"$ODS_TEST_S3_ENDPOINT"}" != "$2" ]; then
		# (not -T: curl appends the file's name to a URL ending in '/')
		s3_curl -X PUT --data-binary "@$3" \
		    -H 'Content-Type: application/x-ods-test' "$2"
		ods_expect_code 200 "$4 (s3rver)"
	else
		ods_req PUT "$2" -T "$3" -H 'Content-Type: application/x-ods-test'
		ods_expect_code 201 "$4"
		ods_expect_json '.data.sha256' "$(sha "$3")" "$4: sha256"
		ods_expect_json '.data.size' "$(stat -c %s "$3")" "$4: size"
	fi
}

# get_url BE URL OUT MSG [CURL ARGS]: GET a presigned URL into OUT.
get_url() {
	local be=$1 u=$2 out=$3 msg=$4
	shift 4
	if [ "$be" = s3 ] && [ "${u#"$ODS_TEST_S3_ENDPOINT"}" != "$u" ]; then
		s3_curl "$@" "$u"
		cp "$t/s3.body" "$out"
		HTTP_HEADERS=$t/s3.headers
	else
		ods_get "$u" "$@"
		cp "$HTTP_BODY_FILE" "$out"
	fi
}

# expect_forbidden URL MSG: our route's 403 JSON.
expect_forbidden() {
	ods_get "$1"
	ods_expect_error_envelope 403 invalid_signature "$2"
}

# route_suite BE BASE: our route on one server (expired, forged, range).
route_suite() {
	local be=$1 base=$2 key url
	key="route/$be/${base##*:}/obj.bin"
	presign PUT "$key" "$base" --route
	case $URL in
	"$base/api/v1/store/presigned?key="*) ods_t_ok "route URL on $base" ;;
	*) ods_t_fail "presign --route gave '$URL'" ;;
	esac
	put_url dir "$URL" "$f1" "route PUT ($be, $base)"
	# The same URL once more replaces the object (idempotent PUT).
	put_url dir "$URL" "$f1" "route PUT again ($be, $base)"
	presign GET "$key" "$base" --route
	get_url dir "$URL" "$t/got" "route GET"
	ods_expect_code 200 "route GET ($be, $base)"
	ods_expect_eq "$(sha "$t/got")" "$f1_sha" "route GET bytes ($be, $base)"
	ods_expect_header Content-Type '^application/x-ods-test$' "route GET type"
	ods_expect_header X-Content-SHA256 "^$f1_sha\$" "route GET X-Content-SHA256"
	ods_expect_header X-Content-Type-Options '^nosniff$' "route GET nosniff"
	get_url dir "$URL" "$t/got" "route range" -H 'Range: bytes=1000-1999'
	ods_expect_code 206 "route Range ($be, $base)"
	ods_expect_header Content-Range "^bytes 1000-1999/$f1_size\$" "route Content-Range"
	tail -c +1001 "$f1" | head -c 1000 >"$t/want"
	cmp -s "$t/got" "$t/want" || ods_t_fail "route range: wrong bytes"
	ods_t_ok "route range: the right 1000 bytes"
	get_url dir "$URL" "$t/got" "route open range" -H "Range: bytes=$((f1_size - 10))-"
	ods_expect_code 206 "route open Range"
	tail -c 10 "$f1" >"$t/want"
	cmp -s "$t/got" "$t/want" || ods_t_fail "route open range: wrong bytes"
	ods_get "$URL" -H "Range: bytes=$f1_size-"
	ods_expect_error_envelope 400 bad_request "route Range past the end"
	# Forged: another signature, another key, a later expiry.
	expect_forbidden "${URL%?}$(printf '%s' "${URL: -1}" | tr '0-9a-f' '1-9a-f0')" \
	    "forged signature ($be, $base)"
	expect_forbidden "${URL/obj.bin/other.bin}" "signature of another key ($be)"
	expect_forbidden "$(printf '%s' "$URL" | sed -E 's/expires=([0-9]+)/expires=\19/')" \
	    "a later expiry ($be)"
	ods_get "${URL%%&sig=*}"
	ods_expect_error_envelope 400 bad_request "no signature ($be)"
	# A GET signature does not allow a PUT.
	ods_req PUT "$URL" -T "$f1"
	ods_expect_error_envelope 403 invalid_signature "GET URL used to PUT ($be)"
	# Expired: made now, checked at the end of the suite.
	presign GET "$key" "$base" --route --expires 1
	expired_get+=("$URL")
	presign PUT "$key" "$base" --route --expires 1
	expired_put+=("$URL")
}

# hostile_suite BE: keys that round-trip, keys that are refused.
hostile_suite() {
	local be=$1 k key base=$ODS_AGENT_URL i=0
	local keys=("sp ace/ü nicode/100%/~x" "a/../b" "..x/.hidden" \
	    "%2E%2E/%2F" "q?x=1&y#z" "+plus+" "a/./../c" "trailing/" \
	    "日本語/ключ/ğ.txt")
	for k in "${keys[@]}"; do
		i=$((i + 1))
		key="hk/$be/$k"
		printf 'body of %s' "$key" >"$t/hk"
		presign PUT "$key" "$base"
		put_url "$be" "$URL" "$t/hk" "hostile key PUT '$k' ($be)"
		ctl_ok "get '$k'" store get "$key" "$t/got"
		cmp -s "$t/got" "$t/hk" || ods_t_fail "odsctl get '$key': wrong bytes"
		presign GET "$key" "$base"
		get_url "$be" "$URL" "$t/got" "hostile GET"
		cmp -s "$t/got" "$t/hk" ||
		    ods_t_fail "presigned GET '$key' ($be): HTTP $HTTP_CODE, wrong bytes"
		ods_t_ok "key '$k' round-trips ($be)"
		# s3rver keeps objects as files and fails the deletes of the
		# keys it resolved ("a/../b"; see check_ods_obj.c).
		"$ctl" store rm "$key" >/dev/null 2>&1 || [ "$be" = s3 ] ||
		    ods_t_fail "odsctl store rm '$key'"
	done
	for k in "../up" "a/../../b" "/abs" "x/../.."; do
		ctl_fails 1 "presign refuses '$k' ($be)" store presign PUT "$k"
		ctl_fails 1 "put refuses '$k' ($be)" store put "$k" "$t/hk"
	done
	ods_req PUT "$ODS_DATA_URL/api/v1/store/presigned?key=..%2Fup&expires=9999999999&sig=$(printf '%064d' 0)" \
	    -T "$t/hk"
	ods_expect_error_envelope 400 bad_request "route refuses a key that climbs out"
}

# ctl_suite BE: put from stdin with --sha256, head, ls in pages, rm.
ctl_suite() {
	local be=$1 i n want
	ctl_fails 1 "put with a wrong --sha256 ($be)" store put "c/$be/f1" "$f1" \
	    --sha256 "$(printf '%064d' 0)"
	ctl_fails 1 "nothing stored after a mismatch ($be)" store head "c/$be/f1"
	"$ctl" store put "c/$be/f1" --sha256 "$f1_sha" --content-type text/x-t \
	    <"$f1" >"$t/ctl.out" || ods_t_fail "put from stdin ($be)"
	ods_expect_eq "$(jq -r .sha256 "$t/ctl.out")" "$f1_sha" "put from stdin: sha256 ($be)"
	ods_expect_eq "$(jq -r .size "$t/ctl.out")" "$f1_size" "put from stdin: size ($be)"
	ods_expect_eq "$(jq -r .content_type "$t/ctl.out")" text/x-t "put: content type ($be)"
	ods_expect_eq "$(jq -r .backend "$t/ctl.out")" "$([ "$be" = dir ] && echo directory || echo s3)" \
	    "put: backend"
	ctl_ok "head" store head "c/$be/f1"
	ods_expect_eq "$(printf '%s' "$CTL_OUT" | jq -r .sha256)" "$f1_sha" "head: sha256 ($be)"
	"$ctl" store get "c/$be/f1" - >"$t/got" || ods_t_fail "get - ($be)"
	ods_expect_eq "$(sha "$t/got")" "$f1_sha" "get to stdout: bytes ($be)"
	ctl_ok "get --range" store get "c/$be/f1" "$t/got" --range 1000-1999
	tail -c +1001 "$f1" | head -c 1000 >"$t/want"
	cmp -s "$t/got" "$t/want" || ods_t_fail "get --range 1000-1999: wrong bytes"
	ods_t_ok "odsctl get --range 1000-1999 ($be)"
	ctl_ok "get --range -10" store get "c/$be/f1" "$t/got" --range -10
	tail -c 10 "$f1" >"$t/want"
	cmp -s "$t/got" "$t/want" || ods_t_fail "get --range -10: wrong bytes"
	ods_t_ok "odsctl get --range -10 ($be)"
	# A failed get leaves the file as it was.
	echo keep >"$t/keep"
	ctl_fails 1 "get of a missing key ($be)" store get "c/$be/none" "$t/keep"
	ods_expect_eq "$(cat "$t/keep")" keep "a failed get leaves the file"
	for i in 1 2 3 4 5; do
		printf 'object %d' "$i" | "$ctl" store put "ls/$be/k$i" >/dev/null ||
		    ods_t_fail "put ls/$be/k$i"
	done
	ctl_ok "ls" store ls "ls/$be/"
	ods_expect_eq "$(printf '%s\n' "$CTL_OUT" | grep -c .)" 5 "ls: every key ($be)"
	want=$(printf 'object 1' | sha256sum | cut -d' ' -f1)
	[ "$be" = s3 ] ||
	    ods_expect_eq "$(printf '%s\n' "$CTL_OUT" | awk '$NF == "ls/dir/k1" { print $3 }')" \
	    "$want" "ls: sha256 of k1"
	# Pages of 2, 2 and 1 (s3rver lists in an order of its own: the
	# union is checked, not the order).
	ctl_ok "ls --limit 2" store ls "ls/$be/" --limit 2
	printf '%s\n' "$CTL_OUT" | awk '{ print $NF }' >"$t/pages"
	ods_expect_eq "$(grep -c . "$t/pages")" 2 "ls page 1 has 2 keys ($be)"
	tok=$(printf '%s\n' "$CTL_ERR" | sed -n 's/.*--token //p')
	[ -n "$tok" ] || ods_t_fail "ls --limit 2: no next token ($CTL_ERR)"
	ctl_ok "ls --token" store ls "ls/$be/" --limit 2 --token "$tok"
	ods_expect_eq "$(printf '%s\n' "$CTL_OUT" | grep -c .)" 2 "ls page 2 has 2 keys ($be)"
	printf '%s\n' "$CTL_OUT" | awk '{ print $NF }' >>"$t/pages"
	tok=$(printf '%s\n' "$CTL_ERR" | sed -n 's/.*--token //p')
	[ -n "$tok" ] || ods_t_fail "ls page 2: no next token ($CTL_ERR)"
	ctl_ok "ls --token" store ls "ls/$be/" --token "$tok" --json
	jq -r .key <"$t/ctl.out" >>"$t/pages"
	ods_expect_eq "$(sort "$t/pages" | tr '\n' ' ')" \
	    "ls/$be/k1 ls/$be/k2 ls/$be/k3 ls/$be/k4 ls/$be/k5 " \
	    "ls pages cover every key once ($be)"
	[ -z "$CTL_ERR" ] || ods_t_fail "ls: a token after the last page"
	ctl_ok "rm" store rm "ls/$be/k1" "ls/$be/k2" "ls/$be/k3" "ls/$be/k4" \
	    "ls/$be/k5" "ls/$be/none"
	ctl_ok "ls after rm" store ls "ls/$be/"
	ods_expect_eq "$CTL_OUT" "" "ls after rm ($be)"
}

# suite BE: everything but the caps and the outage.
suite() {
	local be=$1 base side key n
	expired_get=()
	expired_put=()
	for side in data agent; do
		[ "$side" = data ] && base=$ODS_DATA_URL || base=$ODS_AGENT_URL
		key="up/$be/$side/file one.bin"
		presign PUT "$key" "$base"
		if [ "$be" = dir ]; then
			case $URL in
			"$base/api/v1/store/presigned?key=up%2Fdir%2F$side%2Ffile%20one.bin&expires="*) ;;
			*) ods_t_fail "presign gave '$URL'" ;;
			esac
		else
			case $URL in
			"$ODS_TEST_S3_ENDPOINT/$ODS_TEST_S3_BUCKET/up/s3/$side/file%20one.bin?X-Amz-Algorithm="*) ;;
			*) ods_t_fail "presign gave '$URL'" ;;
			esac
		fi
		put_url "$be" "$URL" "$f1" "presigned PUT ($be, $side)"
		ctl_ok "get" store get "$key" "$t/got"
		ods_expect_eq "$(sha "$t/got")" "$f1_sha" "odsctl get: same bytes ($be, $side)"
		printf '%s\n' "$CTL_ERR" | grep -q "$f1_size bytes" ||
		    ods_t_fail "odsctl get did not report the size: $CTL_ERR"
		ctl_ok "head" store head "$key"
		ods_expect_eq "$(printf '%s' "$CTL_OUT" | jq -r .size)" "$f1_size" "head: size"
		ods_expect_eq "$(printf '%s' "$CTL_OUT" | jq -r .content_type)" \
		    application/x-ods-test "head: content type ($be, $side)"
		presign GET "$key" "$base"
		get_url "$be" "$URL" "$t/got" "presigned GET"
		ods_expect_code 200 "presigned GET ($be, $side)"
		ods_expect_eq "$(sha "$t/got")" "$f1_sha" "presigned GET: same sha256 ($be, $side)"
		get_url "$be" "$URL" "$t/got" "presigned Range" -H 'Range: bytes=4096-8191'
		ods_expect_code 206 "presigned Range ($be, $side)"
		tail -c +4097 "$f1" | head -c 4096 >"$t/want"
		cmp -s "$t/got" "$t/want" || ods_t_fail "Range ($be, $side): wrong bytes"
		ods_t_ok "Range ($be, $side): the right 4096 bytes"
		route_suite "$be" "$base"
	done
	if [ "$be" = dir ]; then
		# Without ODS_STORE_PUBLIC_URL nor --base: a relative URL.
		ctl_ok "relative presign" store presign GET "up/dir/data/file one.bin"
		case $CTL_OUT in
		/api/v1/store/presigned\?key=*) ods_t_ok "a relative URL without a base" ;;
		*) ods_t_fail "presign without --base gave '$CTL_OUT'" ;;
		esac
	else
		presign GET "up/s3/data/file one.bin" "$ODS_DATA_URL" --expires 1
		expired_s3=$URL
	fi
	hostile_suite "$be"
	ctl_suite "$be"
	# The URLs made with --expires 1 are past their expiry now (or soon).
	sleep 1.1
	for URL in "${expired_get[@]}"; do
		expect_forbidden "$URL" "expired GET URL ($be)"
	done
	for URL in "${expired_put[@]}"; do
		ods_req PUT "$URL" -T "$f1"
		ods_expect_error_envelope 403 invalid_signature "expired PUT URL ($be)"
	done
	if [ "$be" = s3 ]; then
		s3_curl "$expired_s3"
		ods_expect_code 403 "expired S3 URL (s3rver)"
	fi
	# Nothing but the store's own files (and the logs) appeared.
	n=$(find "$ODS_STACK_DIR" -newer "$mark" -type f \
	    ! -path "$ODS_DATA_DIR/objects/*" ! -path "$ODS_STACK_DIR/s3/*" \
	    ! -path "$ODS_STACK_DIR/log/*" ! -path "$ODS_STACK_DIR/nginx/*" \
	    ! -path "$ODS_STACK_DIR/db/*" ! -path "$ODS_STACK_DIR/redis/*" \
	    ! -path "$ODS_STACK_DIR/run/*" ! -path "$t/*" \
	    ! -name 'last.*' -print | tee "$t/stray" | grep -c .)
	[ "$n" = 0 ] || { cat "$t/stray"; ods_t_fail "files outside the store ($be)"; }
	ods_t_ok "no file outside the store ($be)"
}

# health_is URL STATUS STORAGE: readiness answered STATUS within 2 s with
# checks.storage.status STORAGE.
health_is() {
	ods_get "$1/api/v1/health"
	[ "$HTTP_CODE" = "$2" ] &&
	    [ "$(ods_json .checks.storage.status)" = "$3" ] &&
	    awk -v t="$HTTP_TIME" 'BEGIN { exit !(t < 2) }'
}

expect_health() {
	local u
	for u in "$ODS_DATA_URL" "$ODS_AGENT_URL"; do
		health_is "$u" "$1" "$2" || {
			_ods_t_show
			ods_t_fail "$3 ($u): HTTP $HTTP_CODE in ${HTTP_TIME}s, storage '$(ods_json .checks.storage.status)'"
		}
		ods_t_ok "$3 ($u): $1, storage $2 in ${HTTP_TIME}s"
	done
}

# --- the directory --------------------------------------------------------
expect_health 200 healthy "readiness (directory)"
ods_expect_json '.checks.storage.backend' directory "storage backend"
suite dir

# The caps: the pools' (4 MiB), then nginx's on the store locations (8 MiB).
n=$(awk -v cap="client_max_body_size $nginx_cap;" '
    /location \^~ .*\/store\/ / { inloc = 1 }
    inloc && index($0, cap) { n++ }
    inloc && /}/ { inloc = 0 }
    END { print n + 0 }' "$ODS_STACK_DIR/nginx/ods-servers.conf")
ods_expect_eq "$n" 4 "client_max_body_size follows ODS_MAX_UPLOAD_BYTES on the 4 store locations"
head -c $((6 * 1048576)) /dev/zero >"$t/6m"
head -c $((9 * 1048576)) /dev/zero >"$t/9m"
for base in "$ODS_DATA_URL" "$ODS_AGENT_URL"; do
	presign PUT "cap/6m" "$base"
	ods_req PUT "$URL" -T "$t/6m"
	ods_expect_error_envelope 413 payload_too_large "the pool's cap ($base)"
	ods_req PUT "$URL" -T - <"$t/6m"
	ods_expect_error_envelope 413 payload_too_large "the pool's cap, chunked ($base)"
	ods_req PUT "$URL" -T "$t/9m"
	ods_expect_error_envelope 413 payload_too_large "nginx's cap ($base)"
	ods_expect_eq "$(ods_last_upstream)" "" "nginx answered the 413 itself"
	ods_req PUT "$URL" -T - <"$t/9m"
	ods_expect_error_envelope 413 payload_too_large "nginx's cap, chunked ($base)"
done
ctl_fails 1 "nothing stored past a cap" store head cap/6m

# --- S3 (s3rver) ----------------------------------------------------------
ods_stack_pools_stop
ods_s3_start
ods_s3_env
ods_stack_pools
ods_stack_wait_live || ods_t_fail "stack not live on S3"
expect_health 200 healthy "readiness (s3)"
ods_expect_json '.checks.storage.backend' s3 "storage backend"
suite s3

# s3rver frozen: the check times out (800 ms), readiness 503 within 2 s.
kill -STOP "$ODS_S3_PID"
expect_health 503 unhealthy "readiness with s3rver frozen"
kill -CONT "$ODS_S3_PID"
ods_wait_until 10 health_is "$ODS_DATA_URL" 200 healthy ||
    ods_t_fail "readiness did not recover after SIGCONT"
# s3rver stopped, then started again on its port.
ods_s3_stop
expect_health 503 unhealthy "readiness with s3rver stopped"
[ -n "$(ods_json '.checks.storage.error // empty')" ] ||
    ods_t_fail "readiness does not name the storage error"
ods_s3_start
ods_wait_until 10 health_is "$ODS_DATA_URL" 200 healthy ||
    ods_t_fail "readiness did not recover after the restart"
expect_health 200 healthy "readiness after s3rver's restart"
ctl_ok "get after the restart" store get "up/s3/data/file one.bin" "$t/got"
ods_expect_eq "$(sha "$t/got")" "$f1_sha" "the object survived s3rver's restart"

ods_t_end
