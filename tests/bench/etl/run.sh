#!/usr/bin/env bash
# tests/bench/etl/run.sh — a table_copy ETL run (MariaDB -> MariaDB, an
# etl_run job of ods-worker started through nginx) against `mariadb-dump |
# mariadb` of the same table on the same server, side by side in one run:
#   dump   mariadb-dump bench_src t | mariadb bench_dump   (extended
#          INSERTs, two processes in a pipe)
#   etl    POST /etl/tasks/{id}/start, polled until the execution ends
#          (rows streamed with mysql_use_result into a staging table by
#          multi-row INSERTs, then RENAME TABLE)
# The table has BENCH_ROWS rows of four columns (a BIGINT key, a VARCHAR,
# a DECIMAL, a DATETIME). For each of BENCH_REPS interleaved repetitions
# both run once; the medians of the times and rows/s are printed with the
# median of the per-repetition ratios (etl rows/s / dump rows/s). Goal
# (issue 17): >= 1 x; the verdict is printed (a bench: the exit status
# says only that it ran). ods-worker's peak RSS (VmHWM) is printed too.
#
# Needs a build (ODS_BUILD_DIR, default ./var/build) and the packages of
# scripts/test. Settings: BENCH_ROWS (10000000), BENCH_REPS (3).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../lib/stack.sh"

ROWS=${BENCH_ROWS:-10000000}
REPS=${BENCH_REPS:-3}
export LOG_LEVEL=warn
export ODS_SECRET_KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
export ODS_DATASOURCE_ALLOW=127.0.0.1/32
export ODS_WORKER_WORKERS=1 ODS_WORKER_CONCURRENCY=1
export JWT_SECRET_KEY=bench-etl-secret-0123456789abcdefghijkl
# The run is polled four times a second: above the default rate limit.
export ODS_RATE_LIMIT_DEFAULT=100000/minute ODS_RATE_LIMIT_BURST=100000
PW=Bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')

for c in nginx mariadbd mariadb mariadb-dump redis-server curl jq; do
	ods_have "$c" || ods_die "$c is not installed (scripts/test installs it)"
done

ods_stack_init
trap 'ods_stack_down' EXIT
trap 'exit 130' INT TERM
ods_stack_backends
export ODS_DATA_WORKERS=1 ODS_AGENT_WORKERS=1 ODS_PROXY_WORKERS=1
ods_stack_pools
ods_stack_nginx_start
ods_stack_wait_live || ods_die "the stack did not become live"
ctl=$(ods_bin odsctl)

ods_say "filling bench_src.t with $ROWS rows"
ods_db_sql <<EOF
CREATE DATABASE IF NOT EXISTS bench_src;
CREATE DATABASE IF NOT EXISTS bench_dst;
CREATE DATABASE IF NOT EXISTS bench_dump;
CREATE TABLE bench_src.t (id BIGINT PRIMARY KEY, name VARCHAR(32),
  v DECIMAL(12,2), ts DATETIME) ENGINE=InnoDB;
INSERT INTO bench_src.t SELECT seq, CONCAT('row-', seq), seq * 1.5,
  '2026-01-01' + INTERVAL (seq % 1000000) SECOND FROM bench_src.seq_1_to_$ROWS;
-- The ETL target has the source's keys, as the dump's table has.
CREATE TABLE bench_dst.t LIKE bench_src.t;
CREATE USER IF NOT EXISTS 'bench'@'127.0.0.1' IDENTIFIED BY '$PW';
GRANT ALL ON bench_src.* TO 'bench'@'127.0.0.1';
GRANT ALL ON bench_dst.* TO 'bench'@'127.0.0.1';
GRANT ALL ON bench_dump.* TO 'bench'@'127.0.0.1';
EOF
tok=$("$ctl" token --sub bench --roles data_engineer --ttl 36000)
auth=(-H "Authorization: Bearer $tok" -H 'Content-Type: application/json')
U=$ODS_DATA_URL/api/v1
mk() {
	curl -sS "${auth[@]}" "$U/datasources" -d "{\"name\":\"$1\",\"type\":\"mariadb\",\"connection\":{\"host\":\"127.0.0.1\",\"port\":$ODS_DB_PORT,\"username\":\"bench\",\"password\":\"$PW\",\"database\":\"$1\"}}" |
	    jq -r .data.source_id
}
src=$(mk bench_src)
dst=$(mk bench_dst)
task=$(curl -sS "${auth[@]}" "$U/etl/tasks" -d "{\"name\":\"bench\",\"task_type\":\"table_copy\",\"source_id\":\"$src\",\"source_config\":{\"table\":\"t\"},\"target_id\":\"$dst\",\"target_table\":\"t\"}" |
    jq -r .data.task_id)
[ -n "$task" ] && [ "$task" != null ] || ods_die "could not create the task"

b=$ODS_STACK_DIR/bench
mkdir -p "$b"
: >"$b/dump.times"
: >"$b/etl.times"
my() { env -u MYSQL_HOST -u MYSQL_TCP_PORT MYSQL_PWD="$PW" "$@"; }
now() { date +%s%N; }
etl_run() {
	local ex st
	ex=$(curl -sS -X POST "${auth[@]}" "$U/etl/tasks/$task/start" | jq -r .data.execution_id)
	while :; do
		st=$(curl -sS "${auth[@]}" "$U/etl/tasks/$task/executions?page_size=1" |
		    jq -r ".data.executions[]? | select(.execution_id == \"$ex\") | .status") || st=
		case $st in success) return 0 ;; failed|stopped) ods_die "the ETL run $ex: $st" ;; esac
		sleep 0.25
	done
}
for i in $(seq 1 "$REPS"); do
	t0=$(now)
	my mariadb-dump --no-defaults -h 127.0.0.1 -P "$ODS_DB_PORT" -u bench \
	    --single-transaction bench_src t |
	    my mariadb --no-defaults -h 127.0.0.1 -P "$ODS_DB_PORT" -u bench bench_dump
	t1=$(now)
	etl_run
	t2=$(now)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", (b - a) / 1e9 }' >>"$b/dump.times"
	awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.4f\n", (b - a) / 1e9 }' >>"$b/etl.times"
	ods_say "repetition $i: dump $(tail -1 "$b/dump.times") s, etl $(tail -1 "$b/etl.times") s"
done

# Both copies hold the source: the same rows, value for value.
sum() { ods_db_sql -e "SELECT CONCAT(COUNT(*), ' ', SUM(CRC32(CONCAT_WS('|', id, name, v, ts)))) FROM $1"; }
[ "$(sum bench_src.t)" = "$(sum bench_dst.t)" ] || ods_die "the ETL copy differs from the source"
[ "$(sum bench_src.t)" = "$(sum bench_dump.t)" ] || ods_die "the dump copy differs from the source"
ods_say "both copies have the source's checksum"

median() {
	sort -g "$1" | awk '{ v[NR] = $1 } END {
		if (NR % 2) print v[(NR + 1) / 2]
		else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
paste "$b/dump.times" "$b/etl.times" | awk '{ printf "%.3f\n", $1 / $2 }' >"$b/ratio"
ratio=$(median "$b/ratio")
printf '%-6s %9s %12s\n' row 'median s' 'rows/s'
for r in dump etl; do
	s=$(median "$b/$r.times")
	printf '%-6s %9s %12.0f\n' "$r" "$s" "$(awk -v n="$ROWS" -v s="$s" 'BEGIN { print n / s }')"
done
printf 'etl / mariadb-dump|mariadb (rows/s, median of %s ratios): %s x (goal >= 1: %s)\n' \
    "$REPS" "$ratio" "$(awk -v r="$ratio" 'BEGIN { print (r >= 1) ? "met" : "NOT met" }')"
hwm=0
for p in $(ods_pool_workers worker); do
	k=$(awk '/^VmHWM:/ { print $2 }' "/proc/$p/status" 2>/dev/null || echo 0)
	[ "${k:-0}" -gt "$hwm" ] && hwm=$k
done
printf 'ods-worker: peak RSS (VmHWM) %s KiB\n' "$hwm"
