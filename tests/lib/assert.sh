# tests/lib/assert.sh — HTTP and assertion helpers for the integration tests
# (tests/integration/*.sh).  Source after tests/lib/stack.sh.
#
# A test script: sources this file, calls ods_t_begin, brings up what it
# needs, asserts, and ends with ods_t_end.  Any failed assertion prints what
# was expected and what came, the tail of every log, and exits 1.  Exit
# codes follow automake: 0 pass, 1 fail, 77 skip (refused by CI), 99 error.
#
# Every answer that ods_req gets from the stack's nginx is also kept and,
# at ods_t_end, checked against openapi/openapi.yaml (status documented,
# body valid against the operation's schema; see tests/openapi/validate.js),
# with one node process per test.

. "$(dirname "${BASH_SOURCE[0]}")/../openapi/lib.sh"

_ods_t_fails=0
_ods_t_checks=0

# ods_t_begin NAME: start a test; stops the stack on any exit (after
# running the shell code in ODS_T_CLEANUP, for what the test started
# itself).
ods_t_begin() {
	ODS_T_NAME=$1
	# The schema, as in production (audit rows, API keys, usage); a
	# test may set ODS_STACK_MIGRATE=0 to start from an empty database.
	ODS_STACK_MIGRATE=${ODS_STACK_MIGRATE:-1}
	ods_t_require curl jq nginx mariadbd mariadb-install-db redis-server \
	    node npm flock
	trap '_ods_t_exit' EXIT
	trap 'exit 1' INT TERM
	ODS_T_SPEC_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ods-spec.XXXXXX") ||
	    ods_t_fail "mktemp failed"
	: >"$ODS_T_SPEC_DIR/index"
	_ods_t_spec_n=0
	ods_say "=== $ODS_T_NAME"
}

_ods_t_exit() {
	local rc=$?
	trap - EXIT
	# A script that stops early with status 0 (a stray `exit 0`, the end
	# of input) has not passed: only ods_t_end passes.
	if [ "$rc" = 0 ] && [ "${ODS_T_ENDED:-0}" != 1 ]; then
		printf 'FAIL: %s stopped before ods_t_end\n' "${ODS_T_NAME:-test}"
		rc=1
	fi
	if [ "$rc" != 0 ] && [ "$rc" != 77 ] && [ -n "${ODS_STACK_DIR:-}" ]; then
		ods_stack_logs 40
	fi
	[ -n "${ODS_T_CLEANUP:-}" ] && eval "$ODS_T_CLEANUP"
	ods_stack_down
	[ -n "${ODS_T_SPEC_DIR:-}" ] && rm -rf "$ODS_T_SPEC_DIR"
	exit "$rc"
}

# ods_t_require CMD...: skip (77) when a tool is missing.
ods_t_require() {
	local c
	for c in "$@"; do
		ods_have "$c" || ods_t_skip "$c is not installed"
	done
}

ods_t_skip() {
	printf 'SKIP: %s\n' "$*"
	exit 77
}

# ods_t_fail MSG: fail the test now.
ods_t_fail() {
	printf 'FAIL: %s: %s\n' "${ODS_T_NAME:-test}" "$*"
	exit 1
}

ods_t_ok() {
	_ods_t_checks=$((_ods_t_checks + 1))
	printf 'ok %d - %s\n' "$_ods_t_checks" "$*"
}

# ods_t_end: fail if an answer did not match the spec or a sanitizer (an
# --enable-asan build) reported anything in the services' logs, else
# report and exit 0.
ods_t_end() {
	local f
	ods_t_spec_validate
	for f in "$ODS_STACK_DIR"/log/*.log; do
		[ -f "$f" ] || continue
		if grep -Eq 'ERROR: (Address|Leak|Thread|Undefined)Sanitizer|runtime error:' "$f"; then
			grep -E -A20 'Sanitizer|runtime error:' "$f" | head -40
			ods_t_fail "sanitizer report in $f"
		fi
	done
	printf 'PASS: %s (%d checks)\n' "$ODS_T_NAME" "$_ods_t_checks"
	ODS_T_ENDED=1
	exit 0
}

# ----------------------------------------------------------------- HTTP

# ods_req METHOD URL [CURL ARGS...]: one request; sets HTTP_CODE, HTTP_BODY
# (the body text), HTTP_HEADERS (a file), HTTP_TIME (seconds).
ods_req() {
	local m=$1 u=$2 out
	shift 2
	HTTP_HEADERS=${ODS_STACK_DIR:-/tmp}/last.headers
	HTTP_BODY_FILE=${ODS_STACK_DIR:-/tmp}/last.body
	_ods_log_lines=$(wc -l 2>/dev/null <"${ODS_STACK_DIR:-/tmp}/nginx/logs/access.log" || echo 0)
	out=$(curl -s -S -X "$m" -m "${ODS_T_CURL_TIMEOUT:-30}" \
	    -D "$HTTP_HEADERS" -o "$HTTP_BODY_FILE" \
	    -w '%{http_code} %{time_total}' "$@" "$u" 2>&1) || true
	HTTP_CODE=${out%% *}
	HTTP_TIME=${out##* }
	case $HTTP_CODE in [0-9][0-9][0-9]) ;; *) HTTP_CODE=000 ;; esac
	# (NUL bytes of a binary body dropped: the shell cannot hold them)
	HTTP_BODY=$(tr -d '\000' <"$HTTP_BODY_FILE" 2>/dev/null)
	_ods_t_spec_record "$m" "$u"
}

ods_get() { ods_req GET "$@"; }

# ods_header NAME: the value of response header NAME of the last request.
ods_header() {
	tr -d '\r' <"$HTTP_HEADERS" | awk -v n="$1" -F': ' \
	    'tolower($1) == tolower(n) { sub(/^[^:]*: /, ""); v = $0 } END { print v }'
}

# ods_json FILTER: jq FILTER over the last body (empty when not JSON).
ods_json() {
	printf '%s' "$HTTP_BODY" | jq -r "$1" 2>/dev/null
}

# -------------------------------------------------------------- asserts

_ods_t_show() {
	printf '  request body: %s\n' "$(printf '%s' "$HTTP_BODY" | head -c 600)"
}

# ods_expect_code WANT MSG: the last status is WANT.
ods_expect_code() {
	if [ "$HTTP_CODE" != "$1" ]; then
		_ods_t_show
		ods_t_fail "$2: HTTP $HTTP_CODE, want $1"
	fi
	ods_t_ok "$2: HTTP $1"
}

# ods_expect_json FILTER WANT MSG: jq FILTER of the last body equals WANT.
ods_expect_json() {
	local got
	got=$(ods_json "$1")
	if [ "$got" != "$2" ]; then
		_ods_t_show
		ods_t_fail "$3: $1 is '$got', want '$2'"
	fi
	ods_t_ok "$3: $1 = $2"
}

# ods_expect_header NAME PATTERN MSG: header NAME matches the ERE PATTERN.
ods_expect_header() {
	local got
	got=$(ods_header "$1")
	if ! printf '%s' "$got" | grep -Eq "$2"; then
		ods_t_fail "$3: header $1 is '$got', want /$2/"
	fi
	ods_t_ok "$3: $1: $got"
}

# ods_expect_eq GOT WANT MSG
ods_expect_eq() {
	[ "$1" = "$2" ] || ods_t_fail "$3: got '$1', want '$2'"
	ods_t_ok "$3: $2"
}

# ods_expect_le GOT MAX MSG (integers)
ods_expect_le() {
	[ "$1" -le "$2" ] || ods_t_fail "$3: got $1, want <= $2"
	ods_t_ok "$3: $1 <= $2"
}

# ods_expect_error_envelope STATUS SLUG MSG: the last response is STATUS with
# Content-Type application/json and {"code":STATUS*100(+n),"error":SLUG,...}.
ods_expect_error_envelope() {
	ods_expect_code "$1" "$3"
	ods_expect_header Content-Type '^application/json' "$3"
	local code
	code=$(ods_json '.code')
	case $code in
	"$1"[0-9][0-9]) ;;
	*) _ods_t_show; ods_t_fail "$3: code '$code' is not $1xx" ;;
	esac
	ods_expect_json '.error' "$2" "$3"
	[ -n "$(ods_json '.message // empty')" ] ||
	    ods_t_fail "$3: no message in the envelope"
}

# ods_expect_openai_error STATUS MSG: {"error":{"message","type",...}}.
ods_expect_openai_error() {
	ods_expect_code "$1" "$2"
	ods_expect_header Content-Type '^application/json' "$2"
	[ -n "$(ods_json '.error.message // empty')" ] &&
	    [ -n "$(ods_json '.error.type // empty')" ] || {
		_ods_t_show
		ods_t_fail "$2: not an OpenAI error object"
	}
	ods_t_ok "$2: OpenAI-shaped error"
}

# ods_last_upstream: the upstream address ("" when nginx answered itself)
# of the last request, from nginx's JSON access log (which nginx writes
# after the response: wait for the line).
ods_last_upstream() {
	local log=$ODS_STACK_DIR/nginx/logs/access.log
	ods_wait_until 3 eval '[ "$(wc -l <"$log")" -gt "${_ods_log_lines:-0}" ]' ||
	    ods_t_fail "no access log line for the last request"
	tail -n 1 "$log" | jq -r '.upstream'
}

# ----------------------------------------------------------------- spec

# _ods_t_spec_record METHOD URL: keep the last answer of ods_req for
# ods_t_end when the stack's nginx gave it (not a mock's, not a HEAD, not
# a failed connection).
_ods_t_spec_record() {
	local s base
	[ -n "${ODS_T_SPEC_DIR:-}" ] && [ "$HTTP_CODE" != 000 ] &&
	    [ "$1" != HEAD ] || return 0
	for s in data agent proxy; do
		case $s in
		data) base=${ODS_DATA_URL:-} ;;
		agent) base=${ODS_AGENT_URL:-} ;;
		proxy) base=${ODS_PROXY_URL:-} ;;
		esac
		[ -n "$base" ] || continue
		case $2 in
		"$base"/*)
			ods_t_spec_check "$1" "${2#"$base"}" "$HTTP_CODE" \
			    "$HTTP_BODY_FILE" "$s" "$(ods_header Content-Type)"
			return 0 ;;
		esac
	done
}

# ods_t_spec_check METHOD PATH STATUS BODYFILE [SERVER [CONTENT-TYPE]]: keep
# an answer (SERVER data, agent or proxy, default data; CONTENT-TYPE default
# application/json) to be checked against the spec by ods_t_end.
ods_t_spec_check() {
	local n body=-
	[ -n "${ODS_T_SPEC_DIR:-}" ] || ods_t_fail "ods_t_spec_check before ods_t_begin"
	_ods_t_spec_n=$((_ods_t_spec_n + 1))
	n=$_ods_t_spec_n
	case ${6:-application/json} in
	*json*)
		body=$n.body
		cp "$4" "$ODS_T_SPEC_DIR/$body" 2>/dev/null ||
		    : >"$ODS_T_SPEC_DIR/$body" ;;
	esac
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "${5:-data}" "$1" "$2" "$3" \
	    "${6:-application/json}" "$body" >>"$ODS_T_SPEC_DIR/index"
}

# ods_t_spec_validate [--cover]: check the answers kept so far against
# openapi/openapi.yaml (tests/openapi/validate.js), then forget them; with
# --cover every operation of the spec must have been answered.  Fails the
# test on any mismatch.
ods_t_spec_validate() {
	local out rc
	[ -n "${ODS_T_SPEC_DIR:-}" ] || return 0
	[ -s "$ODS_T_SPEC_DIR/index" ] || [ "${1:-}" = --cover ] || return 0
	out=$(ods_openapi_validate "$ODS_T_SPEC_DIR/index" "$@" 2>&1)
	rc=$?
	if [ "$rc" != 0 ]; then
		printf '%s\n' "$out" | head -n 60
		ods_t_fail "answers that do not match openapi/openapi.yaml"
	fi
	ods_t_ok "$(printf '%s\n' "$out" | tail -n 1)"
	rm -f "$ODS_T_SPEC_DIR"/*.body
	: >"$ODS_T_SPEC_DIR/index"
}

# ------------------------------------------------------------------ wrk

# ods_wrk URL DURATION_S CONNECTIONS [THREADS]: run wrk and parse its
# report into WRK_REQUESTS, WRK_RPS, WRK_NON2XX, WRK_SOCKERR (connect +
# read + write + timeout), WRK_P50_MS, WRK_P99_MS; WRK_OUT is the raw text.
ods_wrk() {
	WRK_OUT=$(wrk -t "${4:-2}" -c "$3" -d "${2}s" --timeout 10s --latency \
	    "$1" 2>&1) || true
	_ods_wrk_parse
}

_ods_wrk_ms() {
	# wrk prints 812.00us, 1.20ms, 2.01s
	awk -v v="$1" 'BEGIN {
		n = v + 0
		if (v ~ /us$/) n /= 1000
		else if (v ~ /ms$/) n = n
		else if (v ~ /m$/) n *= 60000
		else if (v ~ /s$/) n *= 1000
		printf "%.3f\n", n
	}'
}

_ods_wrk_parse() {
	WRK_REQUESTS=$(printf '%s\n' "$WRK_OUT" |
	    awk '/requests in/ { print $1; exit }')
	WRK_RPS=$(printf '%s\n' "$WRK_OUT" | awk '/^Requests\/sec:/ { print $2 }')
	WRK_NON2XX=$(printf '%s\n' "$WRK_OUT" |
	    awk '/Non-2xx or 3xx responses:/ { print $NF }')
	WRK_SOCKERR=$(printf '%s\n' "$WRK_OUT" | awk '/Socket errors:/ {
		gsub(/,/, ""); print $4 + $6 + $8 + $10 }')
	WRK_P50_MS=$(_ods_wrk_ms "$(printf '%s\n' "$WRK_OUT" |
	    awk '$1 == "50%" { print $2 }')")
	WRK_P99_MS=$(_ods_wrk_ms "$(printf '%s\n' "$WRK_OUT" |
	    awk '$1 == "99%" { print $2 }')")
	WRK_REQUESTS=${WRK_REQUESTS:-0}
	WRK_RPS=${WRK_RPS:-0}
	WRK_NON2XX=${WRK_NON2XX:-0}
	WRK_SOCKERR=${WRK_SOCKERR:-0}
}

# ods_wrk_bg URL DURATION_S CONNECTIONS [THREADS]: start wrk in the
# background; ods_wrk_wait then waits for it and parses as ods_wrk does.
ods_wrk_bg() {
	WRK_FILE=$ODS_STACK_DIR/wrk.out
	wrk -t "${4:-2}" -c "$3" -d "${2}s" --timeout 10s --latency "$1" \
	    >"$WRK_FILE" 2>&1 &
	WRK_PID=$!
}

ods_wrk_wait() {
	wait "$WRK_PID" || true
	WRK_OUT=$(cat "$WRK_FILE")
	_ods_wrk_parse
}

# ods_wrk_expect_clean MSG: the last wrk run had requests, no non-2xx
# response and no socket error.
ods_wrk_expect_clean() {
	printf '%s\n' "$WRK_OUT" | sed 's/^/  wrk| /'
	[ "$WRK_REQUESTS" -gt 0 ] || ods_t_fail "$1: wrk made no request"
	ods_expect_eq "$WRK_NON2XX" 0 "$1: non-2xx responses"
	ods_expect_eq "$WRK_SOCKERR" 0 "$1: socket errors"
}

# ----------------------------------------------------------- metrics

# ods_metrics_counters URL FILE: the counter series (_total, _count) of a
# /metrics scrape, one "series value" per line.
ods_metrics_counters() {
	curl -s -m 10 "$1" | awk '!/^#/ && NF == 2 && $1 ~ /(_total|_count)(\{|$)/' >"$2"
}

# ods_expect_monotonic BEFORE AFTER MSG: no counter of BEFORE is missing
# from AFTER or smaller there (a dead worker's counts must not vanish).
ods_expect_monotonic() {
	local bad n
	n=$(grep -c . "$1")
	[ "$n" -gt 0 ] || ods_t_fail "$3: no counter in the first scrape"
	bad=$(awk 'NR == FNR { a[$1] = $2; next } { b[$1] = $2 }
	    END { for (k in a) if (!(k in b) || b[k] + 0 < a[k] + 0)
		printf "%s %s -> %s\n", k, a[k], (k in b) ? b[k] : "missing" }' \
	    "$1" "$2")
	[ -z "$bad" ] || ods_t_fail "$3: counters went backwards: $bad"
	ods_t_ok "$3: $n counters, none went backwards"
}
