#!/usr/bin/env bash
# tests/bench/http/run.sh — the nginx -> FastCGI hop, side by side in one run:
#   S     nginx `return 200` with a JSON body (the box's ceiling)
#   F0    nginx -> a bare libfcgi responder (f0.c), the hop floor
#   live  nginx -> ods-data-api liveness  (/api/v1/healthz: no I/O)
#   ready nginx -> ods-data-api readiness (/api/v1/health: MariaDB + Redis ping)
# F0 and the data pool have the same shape (BENCH_PROCS processes x
# BENCH_THREADS threads on a unix socket), sit behind the same nginx with the
# same FastCGI parameters and settings (fastcgi_params.ods, ods-fastcgi.conf,
# the X-Request-ID header), no access log.  For each of BENCH_REPS
# interleaved repetitions every row gets a warm-up and a timed wrk run with
# the same threads and connections; the medians are reported with p50, p99,
# the server CPU per request (nginx + the pool, from /proc) and the ratio
# to F0 (the median of the per-repetition ratios).  Target: live >= 0.95 x F0.
#
# Needs a build (ODS_BUILD_DIR, default ./var/build) and the packages of
# scripts/test.  Settings: BENCH_PROCS (2), BENCH_THREADS (4), BENCH_CONNS
# (64), BENCH_WRK_THREADS (2), BENCH_DURATION (10 s), BENCH_WARMUP (3 s),
# BENCH_REPS (3), ODS_NGINX_WORKERS (2).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../lib/stack.sh"
. "$here/../../lib/assert.sh"

PROCS=${BENCH_PROCS:-2}
THREADS=${BENCH_THREADS:-4}
CONNS=${BENCH_CONNS:-64}
WT=${BENCH_WRK_THREADS:-2}
DUR=${BENCH_DURATION:-10}
WARM=${BENCH_WARMUP:-3}
REPS=${BENCH_REPS:-3}
export ODS_NGINX_WORKERS=${ODS_NGINX_WORKERS:-2}
export ODS_ACCESS_LOG=off

for c in wrk nginx cc mariadbd redis-server; do
	ods_have "$c" || ods_die "$c is not installed (scripts/test installs it)"
done

ods_stack_init
trap 'ods_stack_down' EXIT
trap 'exit 130' INT TERM

F0=$ODS_STACK_DIR/f0
cc -O2 -o "$F0" "$here/f0.c" -lfcgi -lpthread || ods_die "cannot build f0"

ODS_STACK_MIGRATE=0
ods_stack_backends
export ODS_DATA_WORKERS=$PROCS ODS_DATA_THREADS=$THREADS
export ODS_AGENT_WORKERS=1 ODS_PROXY_WORKERS=1 ODS_PROXY_THREADS=2
export LOG_LEVEL=warn
ods_stack_pools

F0_SOCK=$ODS_RUN_DIR/f0.sock
setsid "$F0" "$F0_SOCK" "$PROCS" "$THREADS" </dev/null \
    >"$ODS_STACK_DIR/log/f0.log" 2>&1 &
F0_PID=$!
ods_wait_until 10 test -S "$F0_SOCK" || ods_die "f0 did not start"

# The product's configuration plus a bench server (S and F0) built from
# the same snippets.
ods_pick_port BENCH_PORT
ods_stack_nginx_start
ods_stack_nginx_stop
body='{"code":0,"message":"alive","request_id":"00000000000000000000000000000000","data":{"status":"alive","service":"S","pid":1}}'
cat >>"$ODS_STACK_DIR/nginx/ods-servers.conf" <<EOT

# Benchmark baselines (tests/bench/http/run.sh)
server {
	listen 127.0.0.1:$BENCH_PORT backlog=4096;
	types { }
	default_type application/json;
	add_header X-Request-ID \$ods_request_id always;
	include $ODS_ROOT/nginx/fastcgi_params.ods;
	include $ODS_ROOT/nginx/ods-fastcgi.conf;
	location = /static {
		return 200 '$body';
	}
	location = /f0 {
		fastcgi_pass unix:$F0_SOCK;
	}
}
EOT
ods_nginx_test "$ODS_STACK_DIR/nginx" || ods_die "nginx -t failed"
ods_nginx_start "$ODS_STACK_DIR/nginx"
ods_stack_wait_live || ods_die "the pools are not live"

ROWS='S F0 live ready'
declare -A URL=(
	[S]=http://127.0.0.1:$BENCH_PORT/static
	[F0]=http://127.0.0.1:$BENCH_PORT/f0
	[live]=$ODS_DATA_URL/api/v1/healthz
	[ready]=$ODS_DATA_URL/api/v1/health
)
for r in $ROWS; do
	code=$(ods_http_code "${URL[$r]}")
	[ "$code" = 200 ] || ods_die "$r: ${URL[$r]} answers $code"
done

# tree_ticks PID...: utime+stime (clock ticks) of the PIDs and their children.
tree_ticks() {
	local p k t=0
	for p in "$@"; do
		for k in "$p" $(ods_children "$p"); do
			[ -r "/proc/$k/stat" ] || continue
			t=$((t + $(sed 's/^.*) //' "/proc/$k/stat" | awk '{ print $12 + $13 }')))
		done
	done
	echo "$t"
}

server_pids() {
	case $1 in
	S) echo "$ODS_NGINX_PID" ;;
	F0) echo "$ODS_NGINX_PID $F0_PID" ;;
	*) echo "$ODS_NGINX_PID $(ods_pool_master data)" ;;
	esac
}

HZ=$(getconf CLK_TCK)
declare -A RPS P50 P99 CPU
for rep in $(seq 1 "$REPS"); do
	for r in $ROWS; do
		wrk -t "$WT" -c "$CONNS" -d "${WARM}s" "${URL[$r]}" >/dev/null 2>&1 || true
		# shellcheck disable=SC2046
		t0=$(tree_ticks $(server_pids "$r"))
		ods_wrk "${URL[$r]}" "$DUR" "$CONNS" "$WT"
		# shellcheck disable=SC2046
		t1=$(tree_ticks $(server_pids "$r"))
		if [ "$WRK_NON2XX" != 0 ] || [ "$WRK_SOCKERR" != 0 ]; then
			ods_say "$r: $WRK_NON2XX non-2xx, $WRK_SOCKERR socket errors"
		fi
		cpu=$(awk -v t=$((t1 - t0)) -v hz="$HZ" -v n="$WRK_REQUESTS" \
		    'BEGIN { printf "%.1f", n ? t / hz * 1e6 / n : 0 }')
		RPS[$r]="${RPS[$r]:-} $WRK_RPS"
		P50[$r]="${P50[$r]:-} $WRK_P50_MS"
		P99[$r]="${P99[$r]:-} $WRK_P99_MS"
		CPU[$r]="${CPU[$r]:-} $cpu"
		ods_say "rep $rep $r: $WRK_RPS req/s p50 ${WRK_P50_MS} ms p99 ${WRK_P99_MS} ms ${cpu} us/req"
	done
done

median() {
	printf '%s\n' $1 | sort -g | awk '{ v[NR] = $1 } END {
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# ratio ROW: the median over repetitions of ROW/F0 within each repetition
# (neighbours in time share the box's conditions).
ratio() {
	local a b i out=""
	read -ra a <<<"${RPS[$1]}"
	read -ra b <<<"${RPS[F0]}"
	for i in "${!a[@]}"; do
		out="$out $(awk -v x="${a[$i]}" -v y="${b[$i]}" 'BEGIN { print y ? x / y : 0 }')"
	done
	median "$out"
}
printf '\nnginx -> FastCGI, %d nginx workers, pools %d processes x %d threads (unix socket),\n' \
    "$ODS_NGINX_WORKERS" "$PROCS" "$THREADS"
printf 'wrk -t%d -c%d -d%ds after a %ds warm-up, median of %d interleaved runs, %d CPUs\n\n' \
    "$WT" "$CONNS" "$DUR" "$WARM" "$REPS" "$(nproc)"
printf '%-6s %12s %10s %10s %12s %8s\n' row req/s p50_ms p99_ms cpu_us/req x_F0
for r in $ROWS; do
	m=$(median "${RPS[$r]}")
	printf '%-6s %12.0f %10.3f %10.3f %12.1f %8.3f\n' "$r" "$m" \
	    "$(median "${P50[$r]}")" "$(median "${P99[$r]}")" \
	    "$(median "${CPU[$r]}")" "$(ratio "$r")"
done
live=$(ratio live)
if awk -v a="$live" 'BEGIN { exit !(a >= 0.95) }'; then
	printf '\ntarget live >= 0.95 x F0: met (%s)\n' "$live"
else
	printf '\ntarget live >= 0.95 x F0: MISSED (%s)\n' "$live"
fi
kill -TERM "$F0_PID" 2>/dev/null || true
