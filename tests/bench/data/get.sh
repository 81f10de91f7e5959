#!/usr/bin/env bash
# tests/bench/data/get.sh — GET /api/v1/datasets/{id} with a bearer token
# (JWT verified, RBAC, a MariaDB primary-key read of the dataset and its
# schema, the JSON envelope) through nginx and the data pool, against F0
# of tests/bench/http (nginx -> a bare libfcgi responder, the hop floor)
# in the same run: BENCH_REPS interleaved repetitions, each a warm-up and
# a timed wrk run per row with the same threads and connections; prints
# the medians and the median of the per-repetition ratios. Goal:
# get >= 0.5 x F0 (issue 16).
#
# Needs a build (ODS_BUILD_DIR, default ./var/build) and the packages of
# scripts/test. Settings: BENCH_PROCS (2), BENCH_THREADS (4), BENCH_CONNS
# (64), BENCH_WRK_THREADS (2), BENCH_DURATION (10 s), BENCH_WARMUP (3 s),
# BENCH_REPS (3), ODS_NGINX_WORKERS (2), BENCH_UNIX (1: MariaDB and Redis
# over their unix sockets; 0: loopback TCP), BENCH_HOLD (0: seconds to
# keep the stack up afterwards for a profiler; the URL and the token are
# in $ODS_STACK_DIR/hold.env).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../lib/stack.sh"
. "$here/../../lib/assert.sh"
. "$here/../../lib/cpu.sh"

PROCS=${BENCH_PROCS:-2}
THREADS=${BENCH_THREADS:-4}
CONNS=${BENCH_CONNS:-64}
WT=${BENCH_WRK_THREADS:-2}
DUR=${BENCH_DURATION:-10}
WARM=${BENCH_WARMUP:-3}
REPS=${BENCH_REPS:-3}
export ODS_NGINX_WORKERS=${ODS_NGINX_WORKERS:-2}
export ODS_ACCESS_LOG=off
export JWT_SECRET_KEY=${JWT_SECRET_KEY:-bench-data-get-0123456789abcdefghijkl}
# The rate limiter stays in the path (a Redis call per request, as in
# production) with a limit the bench cannot reach: every answer is a 200.
export ODS_RATE_LIMIT_DEFAULT=1000000/second ODS_RATE_LIMIT_BURST=1000000

for c in wrk nginx cc jq mariadbd redis-server; do
	ods_have "$c" || ods_die "$c is not installed (scripts/test installs it)"
done

ods_stack_init
trap 'ods_stack_down' EXIT
trap 'exit 130' INT TERM

F0=$ODS_STACK_DIR/f0
cc -O2 -o "$F0" "$here/../http/f0.c" -lfcgi -lpthread || ods_die "cannot build f0"

ods_stack_backends
# The pools reach the local MariaDB and Redis over their unix sockets, as
# a VM install with both on the same machine would (README, "Local
# servers"); BENCH_UNIX=0 measures the loopback TCP path instead.
if [ "${BENCH_UNIX:-1}" = 1 ]; then
	export ODS_MYSQL_SOCKET=$ODS_RUN_DIR/mysqld.sock
	export REDIS_URL="unix://ods:$(ods_stack_secret redis)@$ODS_RUN_DIR/redis.sock?db=0"
fi
export ODS_DATA_WORKERS=$PROCS ODS_DATA_THREADS=$THREADS
export ODS_AGENT_WORKERS=1 ODS_PROXY_WORKERS=1 ODS_PROXY_THREADS=2
export LOG_LEVEL=warn
ods_stack_pools

F0_SOCK=$ODS_RUN_DIR/f0.sock
setsid "$F0" "$F0_SOCK" "$PROCS" "$THREADS" </dev/null \
    >"$ODS_STACK_DIR/log/f0.log" 2>&1 &
F0_PID=$!
ods_wait_until 10 test -S "$F0_SOCK" || ods_die "f0 did not start"

# F0 behind a server of the product's nginx, with the same snippets.
ods_pick_port BENCH_PORT
ods_stack_nginx_start
ods_stack_nginx_stop
cat >>"$ODS_STACK_DIR/nginx/ods-servers.conf" <<EOT

# Benchmark baseline (tests/bench/data/get.sh)
server {
	listen 127.0.0.1:$BENCH_PORT backlog=4096;
	add_header X-Request-ID \$ods_request_id always;
	include $ODS_ROOT/nginx/fastcgi_params.ods;
	include $ODS_ROOT/nginx/ods-fastcgi.conf;
	location = /f0 {
		fastcgi_pass unix:$F0_SOCK;
	}
}
EOT
ods_nginx_test "$ODS_STACK_DIR/nginx" || ods_die "nginx -t failed"
ods_nginx_start "$ODS_STACK_DIR/nginx"
ods_stack_wait_live || ods_die "the pools are not live"

# A dataset with a schema, read by a viewer. MariaDB's general log is on
# meanwhile: the statement the pool prepares for GET /datasets/{id} is
# measured on its own below, as the server received it.
ods_db_sql -e "SET GLOBAL log_output = 'TABLE'; TRUNCATE mysql.general_log; SET GLOBAL general_log = 1"
ctl=$(ods_bin odsctl)
ENG=$("$ctl" token --sub bench-eng --roles data_engineer --ttl 7200)
VIEW=$("$ctl" token --sub bench-viewer --roles viewer --ttl 7200)
curl -s -f -o /dev/null -H "Authorization: Bearer $ENG" \
    -H 'Content-Type: application/json' -X POST \
    -d '{"dataset_id":"bench-1","name":"bench","tags":["a","b"],"schema":{"columns":[{"name":"id","type":"integer"},{"name":"name","type":"string"},{"name":"amount","type":"number"}]}}' \
    "$ODS_DATA_URL/api/v1/datasets" || ods_die "cannot create the dataset"

# me: the same token, RBAC and rate limit without the dataset's reads
# (GET /auth/me), to tell the auth path's cost from the read's.
ROWS='F0 me get'
declare -A URL=(
	[F0]=http://127.0.0.1:$BENCH_PORT/f0
	[me]=$ODS_DATA_URL/api/v1/auth/me
	[get]=$ODS_DATA_URL/api/v1/datasets/bench-1
)
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $VIEW" "${URL[get]}")
[ "$code" = 200 ] || ods_die "GET ${URL[get]} answers $code"
ods_db_sql -e "SET GLOBAL general_log = 0"
GET_SQL=$(ods_db_sql --raw -e "SELECT argument FROM mysql.general_log WHERE command_type = 'Prepare' AND argument LIKE '%FROM datasets d LEFT JOIN dataset_columns%' LIMIT 1")
[ -n "$GET_SQL" ] || ods_die "the pool prepared no statement reading datasets"

declare -A RPS P50 P99 NREQ
for rep in $(seq 1 "$REPS"); do
	for r in $ROWS; do
		wrk -t "$WT" -c "$CONNS" -d "${WARM}s" \
		    -H "Authorization: Bearer $VIEW" "${URL[$r]}" >/dev/null 2>&1 || true
		ods_cpu_snap "$ODS_STACK_DIR" "$ODS_STACK_DIR/cpu.a"
		WRK_OUT=$(wrk -t "$WT" -c "$CONNS" -d "${DUR}s" --timeout 10s \
		    --latency -H "Authorization: Bearer $VIEW" "${URL[$r]}" 2>&1) || true
		_ods_wrk_parse
		ods_cpu_snap "$ODS_STACK_DIR" "$ODS_STACK_DIR/cpu.b"
		ods_cpu_add "$ODS_STACK_DIR/cpu.a" "$ODS_STACK_DIR/cpu.b" "$ODS_STACK_DIR/cpu.$r"
		NREQ[$r]=$(( ${NREQ[$r]:-0} + $(awk -v x="$WRK_RPS" -v d="$DUR" 'BEGIN { printf "%d", x * d }') ))
		if [ "$WRK_NON2XX" != 0 ] || [ "$WRK_SOCKERR" != 0 ]; then
			ods_die "$r: $WRK_NON2XX non-2xx, $WRK_SOCKERR socket errors: not a measure"
		fi
		RPS[$r]="${RPS[$r]:-} $WRK_RPS"
		P50[$r]="${P50[$r]:-} $WRK_P50_MS"
		P99[$r]="${P99[$r]:-} $WRK_P99_MS"
		ods_say "rep $rep $r: $WRK_RPS req/s p50 ${WRK_P50_MS} ms p99 ${WRK_P99_MS} ms"
	done
done

median() {
	printf '%s\n' $1 | sort -g | awk '{ v[NR] = $1 } END {
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# The median over repetitions of ROW/F0 within each repetition.
ratio() {
	local a b i out=""
	read -ra a <<<"${RPS[$1]}"
	read -ra b <<<"${RPS[F0]}"
	for i in "${!a[@]}"; do
		out="$out $(awk -v x="${a[$i]}" -v y="${b[$i]}" 'BEGIN { print y ? x / y : 0 }')"
	done
	median "$out"
}
printf '\nGET /datasets/{id} with a token vs F0, %d nginx workers, pools %d x %d threads,\n' \
    "$ODS_NGINX_WORKERS" "$PROCS" "$THREADS"
printf 'wrk -t%d -c%d -d%ds after a %ds warm-up, median of %d interleaved runs, %d CPUs\n\n' \
    "$WT" "$CONNS" "$DUR" "$WARM" "$REPS" "$(nproc)"
printf '%-6s %12s %10s %10s %8s\n' row req/s p50_ms p99_ms x_F0
for r in $ROWS; do
	printf '%-6s %12.0f %10.3f %10.3f %8.3f\n' "$r" "$(median "${RPS[$r]}")" \
	    "$(median "${P50[$r]}")" "$(median "${P99[$r]}")" "$(ratio "$r")"
done
# Where the CPU goes: µs per request of the responder (f0 or the data
# pool) and of MariaDB, summed over the repetitions (/proc stat ticks).
printf '\nCPU per request (us): %-6s %12s %10s\n' row responder mariadbd
for r in $ROWS; do
	read -r f0u dau dbu <<<"$(ods_cpu_per_req "$ODS_STACK_DIR/cpu.$r" "${NREQ[$r]}" f0 ods-data-api mariadbd)"
	printf '                      %-6s %12s %10s\n' "$r" \
	    "$(awk -v a="$f0u" -v b="$dau" 'BEGIN { printf "%.1f", a + b }')" "$dbu"
done
# The floor under any request that reads MariaDB: the server's own CPU
# per statement, one connection executing a prepared statement in a loop
# over the unix socket (stmt.c): SELECT 1, and the statement the pool
# prepared for the GET (GET_SQL, from the general log above) as the
# viewer runs it. Set beside the budget the goal leaves a read: at 0.5 x
# F0 a request may take twice F0's CPU of the whole machine, so the read
# may add at most that less what `me` (the same token, RBAC and rate
# limit, no read) takes.
STMT=$ODS_STACK_DIR/stmt
# shellcheck disable=SC2046
if cc -O2 -o "$STMT" "$here/stmt.c" $(mariadb_config --cflags --libs) 2>"$ODS_STACK_DIR/log/stmt.cc"; then
	for rep in $(seq 1 "$REPS"); do
		out=$("$STMT" "$ODS_RUN_DIR/mysqld.sock" "$MYSQL_USER" \
		    "$MYSQL_DATABASE" "$(cat "$ODS_RUN_DIR/mysqld.pid")" 20000 \
		    bench-1,0,bench-viewer "SELECT 1" "$GET_SQL") || ods_die "stmt failed"
		SEL1="${SEL1:-} $(printf '%s\n' "$out" | awk '$2 == 1 { print $4 }')"
		GETQ="${GETQ:-} $(printf '%s\n' "$out" | awk '$2 == 2 { print $4 }')"
		GETROWS=$(printf '%s\n' "$out" | awk '$2 == 2 { print $8 }')
	done
	# CPU of the whole machine per request (all CPUs / req/s).
	whole() { awk -v x="$1" -v c="$(nproc)" 'BEGIN { printf "%.1f", c * 1e6 / x }'; }
	half=$(whole "$(awk -v f="$(median "${RPS[F0]}")" 'BEGIN { print f / 2 }')")
	mew=$(whole "$(median "${RPS[me]}")")
	printf '\nMariaDB CPU per statement, one connection, %d x 20 000 executions (us):\n' "$REPS"
	printf '  SELECT 1                          %8s\n' "$(median "$SEL1")"
	printf '  the GET statement (%s rows)      %8s\n' "$GETROWS" "$(median "$GETQ")"
	printf 'budget for the read at 0.5 x F0: %s us (machine CPU per request at 0.5 x F0) - %s (me) = %s us\n' \
	    "$half" "$mew" "$(awk -v a="$half" -v b="$mew" 'BEGIN { printf "%.1f", a - b }')"
else
	echo "stmt.c did not build (mariadb_config): no statement floor" >&2
fi
got=$(ratio get)
if awk -v a="$got" 'BEGIN { exit !(a >= 0.5) }'; then
	printf '\ngoal get >= 0.5 x F0: met (%s)\n' "$got"
else
	printf '\ngoal get >= 0.5 x F0: MISSED (%s)\n' "$got"
fi
if [ "${BENCH_HOLD:-0}" -gt 0 ]; then
	printf 'URL=%s\nTOK=%s\n' "${URL[get]}" "$VIEW" >"$ODS_STACK_DIR/hold.env"
	echo "holding for $BENCH_HOLD s: $ODS_STACK_DIR/hold.env"
	sleep "$BENCH_HOLD"
fi
kill -TERM "$F0_PID" 2>/dev/null || true
