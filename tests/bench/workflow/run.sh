#!/usr/bin/env bash
# tests/bench/workflow/run.sh — the workflow engine's overhead per node
# (issue 18), side by side in one run:
#   chain  a BENCH_NODES-node chain of transform nodes (each renders its
#          predecessor's result), run by one workflow_run job: the run's
#          duration_ms (started_at -> completed_at, taken by MariaDB,
#          including every workflow_node_runs and execution_logs row
#          written) / nodes.                          Goal <= 1 ms per node
#          Also the CPU spent per node (MariaDB, Redis, the worker).
#   noop   the baseline: as many no-op jobs through the job queue
#          (enqueued at once, then run by the same worker): the queue's own
#          cost per unit of work, (last finished_at - first started_at) /
#          jobs, and its CPU per job.
# For each of BENCH_REPS interleaved repetitions both rows run once; the
# medians are reported with the ratio to the goal (>= 1 meets it).
#
# Needs a build (ODS_BUILD_DIR, default ./var/build: ods-worker, odsctl)
# and the packages of scripts/test. Settings: BENCH_REPS (3), BENCH_NODES
# (1000), ODS_WORKER_WORKERS (1), ODS_WORKER_CONCURRENCY (2). The
# machine's other load counts: run it on a quiet box.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../lib/stack.sh"

REPS=${BENCH_REPS:-3}
N=${BENCH_NODES:-1000}
export ODS_WORKER_WORKERS=${ODS_WORKER_WORKERS:-1}
export ODS_WORKER_CONCURRENCY=${ODS_WORKER_CONCURRENCY:-2}
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

# The chain's definition, once: src -> n1 -> ... -> nN.
def=$ODS_STACK_DIR/chain.json
{
	printf '{"version":"1.0","nodes":[{"id":"src","type":"input"}'
	for i in $(seq 1 "$N"); do
		if [ "$i" = 1 ]; then r='src.value'; else r="n$((i - 1)).result"; fi
		printf ',{"id":"n%d","type":"transform","config":{"template":"{{ %s }}"}}' "$i" "$r"
	done
	printf '],"edges":[{"source":"src","target":"n1"}'
	for i in $(seq 2 "$N"); do
		printf ',{"source":"n%d","target":"n%d"}' $((i - 1)) "$i"
	done
	printf ']}'
} >"$def"

ticks() {
	local p t=0
	for p in "$@"; do
		t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
	done
	echo "$t"
}
idle() { [ "$(sql "SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'running')")" = 0 ]; }
hz=$(getconf CLK_TCK)

chain() {
	local e=exec-bench$(printf '%06d' "$1") t0 t1 ms
	# Through stdin: the definition is larger than one argument may be.
	{
		printf "INSERT INTO workflow_executions (execution_id, "
		printf "workflow_id, status, inputs, definition, created_by, "
		printf "triggered_by) VALUES ('%s', 'wf-bench0001', 'pending', " "$e"
		printf "'{\"input\":\"x\"}', '%s', 'bench', 'bench');\n" "$(cat "$def")"
	} | ods_db_sql "$MYSQL_DATABASE" || ods_die "insert $e"
	t0=$(ticks "$ODS_DB_PID" "$ODS_REDIS_PID" $(ods_pool_workers worker))
	"$ctl" jobs enqueue workflow_run --payload "{\"execution_id\":\"$e\"}" >/dev/null
	ods_wait_until 300 idle || ods_die "the chain did not end in 300 s"
	t1=$(ticks "$ODS_DB_PID" "$ODS_REDIS_PID" $(ods_pool_workers worker))
	[ "$(sql "SELECT status FROM workflow_executions WHERE execution_id = '$e'")" = completed ] ||
	    ods_die "run $e: $(sql "SELECT CONCAT(status, ' ', COALESCE(error, '')) FROM workflow_executions WHERE execution_id = '$e'")"
	[ "$(sql "SELECT COUNT(*) FROM workflow_node_runs WHERE execution_id = '$e'")" = $((N + 1)) ] ||
	    ods_die "run $e: not every node has its outcome row"
	ms=$(sql "SELECT duration_ms FROM workflow_executions WHERE execution_id = '$e'")
	echo "chain $(awk -v m="$ms" -v n="$N" 'BEGIN { printf "%.3f", m / n }') $(awk -v d=$((t1 - t0)) -v hz="$hz" -v n="$N" \
	    'BEGIN { printf "%.3f", d / hz * 1000 / n }') $(sql "SELECT COUNT(*) FROM execution_logs WHERE execution_id = '$e'")" >>"$out"
}

noop() {
	local first t0 t1
	first=$(sql "SELECT COALESCE(MAX(id), 0) FROM jobs")
	t0=$(ticks "$ODS_DB_PID" "$ODS_REDIS_PID" $(ods_pool_workers worker))
	"$ctl" jobs enqueue noop --count "$N" >/dev/null
	ods_wait_until 300 idle || ods_die "noop jobs still queued after 300 s"
	t1=$(ticks "$ODS_DB_PID" "$ODS_REDIS_PID" $(ods_pool_workers worker))
	echo "noop $(sql "SELECT ROUND(TIMESTAMPDIFF(MICROSECOND, MIN(started_at),
	    MAX(finished_at)) / 1000 / COUNT(*), 3) FROM jobs WHERE id > $first
	    AND status = 'succeeded'") $(awk -v d=$((t1 - t0)) -v hz="$hz" -v n="$N" \
	    'BEGIN { printf "%.3f", d / hz * 1000 / n }')" >>"$out"
}

ods_pool_start worker
sleep 1
for r in $(seq 1 "$REPS"); do
	ods_say "repetition $r of $REPS"
	chain "$r"
	noop
done

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
c=$(awk '$1 == "chain" { print $2 }' "$out" | median)
ccpu=$(awk '$1 == "chain" { print $3 }' "$out" | median)
n=$(awk '$1 == "noop" { print $2 }' "$out" | median)
ncpu=$(awk '$1 == "noop" { print $3 }' "$out" | median)
cat <<EOT

workflow benchmark: $REPS repetitions, $N-node chain, $(nproc) cores, workers $ODS_WORKER_WORKERS x concurrency $ODS_WORKER_CONCURRENCY
row    metric                                median     goal       ratio to goal
chain  engine time per node (ms, with rows) $(printf '%8.3f' "$c")   <= 1 ms    $(awk -v v="$c" 'BEGIN { printf "%.2f", (v > 0 ? 1 / v : 99) }')
chain  CPU per node (ms: MariaDB, Redis, worker) $ccpu
noop   job queue time per job (ms)          $(printf '%8.3f' "$n")   (baseline: the same count of noop jobs)
noop   CPU per job (ms)                          $ncpu
a node costs $(awk -v c="$c" -v n="$n" 'BEGIN { printf "%.2f", (n > 0 ? c / n : 0) }') x a noop job
load average during the run: $(cut -d' ' -f1-3 /proc/loadavg)
per repetition (row ms_per_unit cpu_ms_per_unit [log rows]):
$(sed 's/^/  /' "$out")
EOT
