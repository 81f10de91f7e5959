#!/usr/bin/env bash
# tests/bench/jobs/run.sh — the job queue, side by side in one run
# (issue 13 §3 benchmark):
#   wake   enqueue -> start latency with the Redis Stream wake-up: jobs
#          enqueued one at a time (odsctl) while the workers are idle;
#          started_at - created_at, both taken by MariaDB.   Goal p50 <= 5 ms
#   poll   the same with the workers' Redis unreachable (they poll the
#          table every ODS_JOB_POLL_MS): what the wake-up buys
#   noop   throughput of no-op jobs: BENCH_JOBS queued with the workers
#          stopped, then the workers started; jobs / (last finished_at -
#          first started_at).                                 Goal >= 1000/s
#          Also the CPU the queue spent per job (MariaDB + Redis + the
#          workers, from /proc): a box shared with other load slows the
#          rate, not the CPU per job, so 2 / cpu-per-job bounds what two
#          idle cores would do.
# For each of BENCH_REPS interleaved repetitions every row runs once; the
# medians are reported with the ratio to the goal (>= 1 meets it).
#
# Needs a build (ODS_BUILD_DIR, default ./var/build: ods-worker, odsctl) and
# the packages of scripts/test. Settings: BENCH_REPS (3), BENCH_LAT_JOBS
# (100), BENCH_JOBS (3000), ODS_WORKER_WORKERS (2), ODS_WORKER_CONCURRENCY
# (4). The machine's other load counts: run it on a quiet box.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../lib/stack.sh"

REPS=${BENCH_REPS:-3}
LAT=${BENCH_LAT_JOBS:-100}
N=${BENCH_JOBS:-3000}
export ODS_WORKER_WORKERS=${ODS_WORKER_WORKERS:-2}
export ODS_WORKER_CONCURRENCY=${ODS_WORKER_CONCURRENCY:-4}
export LOG_LEVEL=${LOG_LEVEL:-warn}

for c in mariadbd redis-server; do
	ods_have "$c" || ods_die "$c is not installed (scripts/test installs it)"
done
ods_stack_init
trap 'ods_stack_down' EXIT
ods_stack_backends
ctl=$(ods_bin odsctl)
sql() { ods_db_sql "$MYSQL_DATABASE" -e "$1"; }
out=$ODS_STACK_DIR/bench.txt
: >"$out"

idle() { [ "$(sql "SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'running')")" = 0 ]; }

# latency ROW: LAT jobs one at a time; p50 and p99 in ms.
latency() {
	local first i id
	first=$(sql "SELECT COALESCE(MAX(id), 0) FROM jobs")
	for i in $(seq 1 "$LAT"); do
		id=$("$ctl" jobs enqueue noop)
		"$ctl" jobs wait "$id" --timeout 10 >/dev/null
	done
	sql "SELECT TIMESTAMPDIFF(MICROSECOND, created_at, started_at) / 1000
	    FROM jobs WHERE id > $first ORDER BY 1" >"$ODS_STACK_DIR/lat"
	awk -v row="$1" '{ v[NR] = $1 } END {
	    printf "%s %.2f %.2f\n", row, v[int((NR + 1) / 2)], v[int(NR * 0.99 + 0.5)] }' \
	    "$ODS_STACK_DIR/lat" >>"$out"
}

# CPU ticks (utime + stime) of pids.
ticks() {
	local p t=0
	for p in "$@"; do
		t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
	done
	echo "$t"
}

# noop throughput, and the CPU the queue spent per job (MariaDB, Redis,
# the workers): on a shared box the rate says little, the CPU per job
# says what two idle cores would do.
throughput() {
	local first rate t0 t1 hz=$(getconf CLK_TCK)
	ods_pool_stop worker TERM 20
	first=$(sql "SELECT COALESCE(MAX(id), 0) FROM jobs")
	"$ctl" jobs enqueue noop --count "$N" >/dev/null
	t0=$(ticks "$ODS_DB_PID" "$ODS_REDIS_PID")
	ods_pool_start worker
	ods_wait_until 300 idle || ods_die "noop jobs still queued after 300 s"
	t1=$(ticks "$ODS_DB_PID" "$ODS_REDIS_PID" $(ods_pool_workers worker))
	rate=$(sql "SELECT COUNT(*) / (TIMESTAMPDIFF(MICROSECOND, MIN(started_at),
	    MAX(finished_at)) / 1e6) FROM jobs WHERE id > $first AND status = 'succeeded'")
	echo "noop $rate $(awk -v d=$((t1 - t0)) -v hz="$hz" -v n="$N" \
	    'BEGIN { printf "%.3f", d / hz * 1000 / n }')" >>"$out"
}

poll() {
	ods_pool_stop worker TERM 20
	REDIS_URL=redis://127.0.0.1:1/0 ods_pool_start worker
	sleep 1
	latency poll
	ods_pool_stop worker TERM 20
	ods_pool_start worker
	sleep 1
}

ods_pool_start worker
sleep 1
for r in $(seq 1 "$REPS"); do
	ods_say "repetition $r of $REPS"
	latency wake
	throughput
	poll
done

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
w50=$(awk '$1 == "wake" { print $2 }' "$out" | median)
w99=$(awk '$1 == "wake" { print $3 }' "$out" | median)
p50=$(awk '$1 == "poll" { print $2 }' "$out" | median)
p99=$(awk '$1 == "poll" { print $3 }' "$out" | median)
tput=$(awk '$1 == "noop" { print $2 }' "$out" | median)
cpu=$(awk '$1 == "noop" { print $3 }' "$out" | median)
cat <<EOT

jobs benchmark: $REPS repetitions, $(nproc) cores, workers $ODS_WORKER_WORKERS x concurrency $ODS_WORKER_CONCURRENCY
row    metric                       median       goal      ratio to goal
wake   enqueue->start p50 (ms)  $(printf '%10.2f' "$w50")   <= 5 ms   $(awk -v v="$w50" 'BEGIN { printf "%.2f", (v > 0 ? 5 / v : 99) }')  (p99 $w99 ms)
poll   enqueue->start p50 (ms)  $(printf '%10.2f' "$p50")   (no Redis: polling)  (p99 $p99 ms)
noop   throughput (jobs/s)      $(printf '%10.0f' "$tput")   >= 1000   $(awk -v v="$tput" 'BEGIN { printf "%.2f", v / 1000 }')
noop   CPU per job (ms: MariaDB, Redis, workers)  $cpu  -> on 2 idle cores at most $(awk -v c="$cpu" 'BEGIN { printf "%.0f", (c > 0 ? 2000 / c : 0) }') jobs/s ($(awk -v c="$cpu" 'BEGIN { printf "%.2f", (c > 0 ? 2 / c : 0) }') x goal)
load average during the run: $(cut -d' ' -f1-3 /proc/loadavg)
per repetition (row p50 p99 | row jobs/s cpu_ms_per_job):
$(sed 's/^/  /' "$out")
EOT
