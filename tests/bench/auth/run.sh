#!/usr/bin/env bash
# tests/bench/auth/run.sh — what authentication costs per request, in one
# run against one stack (nginx -> ods-data-api):
#   open   GET /api/v1/healthz           no token looked at
#   rs256  GET /api/v1/auth/me           Bearer RS256, JWKS cached
#                                        (rate limits off: pure auth cost)
#   rs256+rl  the same with the Redis rate limiter on (limit set out of reach)
# Both handlers answer a small JSON body without I/O. Each row gets a
# warm-up and BENCH_REPS interleaved timed wrk runs; medians and the ratio
# rs256/open are printed. Target (issue 3): rs256 >= 0.8 x open.
#
# Settings: BENCH_CONNS (64), BENCH_WRK_THREADS (2), BENCH_DURATION (10),
# BENCH_WARMUP (3), BENCH_REPS (3), ODS_DATA_WORKERS, ODS_DATA_THREADS.
# The micro-figure (one verification, no HTTP) comes from
# tests/bench/auth/auth-verify-bench (built by make).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../lib/stack.sh"
. "$here/../../lib/assert.sh"

CONNS=${BENCH_CONNS:-64}
WT=${BENCH_WRK_THREADS:-2}
DUR=${BENCH_DURATION:-10}
WARM=${BENCH_WARMUP:-3}
REPS=${BENCH_REPS:-3}
js=$here/../../auth/jwt-fixture.js

ods_stack_init
fx=$ODS_STACK_DIR/jwt
mkdir -p "$fx"
node "$js" keygen "$fx" k1
node "$js" jwks "$fx" "$fx/kc.jwks.json" k1
setsid node "$js" serve "$fx" "$fx/port" </dev/null >/dev/null 2>&1 &
fxpid=$!
trap 'kill $fxpid 2>/dev/null; ods_stack_down' EXIT
ods_wait_until 10 test -s "$fx/port"
export KEYCLOAK_JWKS_URL=http://127.0.0.1:$(cat "$fx/port")/kc/certs
export JWT_ISSUERS=http://bench/realms/ods JWT_ALLOWED_AUDIENCES=web-frontend

now=$(date +%s)
tok=$(node "$js" mint --alg RS256 --key "$fx/k1.key.pem" --kid k1 --claims \
    "{\"iss\":\"http://bench/realms/ods\",\"aud\":\"web-frontend\",\"sub\":\"bench\",\"preferred_username\":\"bench\",\"exp\":$((now + 7200)),\"realm_access\":{\"roles\":[\"viewer\"]}}")

run() {	# NAME URL [wrk args...]
	local name=$1 url=$2
	shift 2
	wrk -t "$WT" -c "$CONNS" -d "${WARM}s" "$@" "$url" >/dev/null 2>&1 || true
	WRK_OUT=$(wrk -t "$WT" -c "$CONNS" -d "${DUR}s" --timeout 10s --latency \
	    "$@" "$url" 2>&1) || true
	_ods_wrk_parse
	[ "$WRK_NON2XX" = 0 ] && [ "$WRK_SOCKERR" = 0 ] ||
	    ods_die "$name: $WRK_NON2XX non-2xx, $WRK_SOCKERR socket errors"
	printf '%s %s %s %s\n' "$name" "$WRK_RPS" "$WRK_P50_MS" "$WRK_P99_MS" \
	    >>"$ODS_STACK_DIR/bench.txt"
}

# One MariaDB and Redis for both phases; each phase starts the pools and
# nginx with its own environment and stops them (the state directory, with
# bench.txt, stays until the EXIT trap).
phase() {	# LABEL: start the pools with the current env, run rows
	ods_stack_pools
	ods_stack_nginx_start
	ods_stack_wait_live || ods_die "the stack did not become live"
	for r in $(seq 1 "$REPS"); do
		run open "$ODS_DATA_URL/api/v1/healthz"
		run "$1" "$ODS_DATA_URL/api/v1/auth/me" -H "Authorization: Bearer $tok"
	done
	ods_stack_nginx_stop
	ods_stack_pools_stop
}

ods_stack_backends

: >"$ODS_STACK_DIR/bench.txt"
ODS_RATE_LIMIT_ENABLED=false phase rs256
ODS_RATE_LIMIT_ENABLED=true ODS_RATE_LIMIT_DEFAULT=1000000/second \
    ODS_RATE_LIMIT_BURST=1000000 phase rs256+rl

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
printf '%-10s %10s %8s %8s\n' row rps p50_ms p99_ms
for row in open rs256 rs256+rl; do
	rps=$(awk -v r="$row" '$1 == r { print $2 }' "$ODS_STACK_DIR/bench.txt" | median)
	p50=$(awk -v r="$row" '$1 == r { print $3 }' "$ODS_STACK_DIR/bench.txt" | median)
	p99=$(awk -v r="$row" '$1 == r { print $4 }' "$ODS_STACK_DIR/bench.txt" | median)
	printf '%-10s %10s %8s %8s\n' "$row" "$rps" "$p50" "$p99"
	eval "rps_${row//[^a-z0-9]/_}=$rps"
done
awk -v a="$rps_rs256" -v o="$rps_open" -v b="$rps_rs256_rl" 'BEGIN {
	printf "rs256/open = %.2f (target >= 0.80); rs256+rl/open = %.2f\n",
	    a / o, b / o }'
