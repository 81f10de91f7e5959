#!/usr/bin/env bash
# tests/bench/data/csv.sh — CSV export of a query (POST /query/execute
# format csv, through nginx) against the mariadb client's --batch output of
# the same query on the same server, side by side in one run:
#   mariadb   mariadb --batch -e SQL       (tab-separated, to /dev/null)
#   export    curl POST /query/execute     (CSV through the data pool and
#             {"format":"csv"}              nginx, to /dev/null)
# The query reads BENCH_ROWS rows of three columns (an integer, a string,
# a decimal) from MariaDB's sequence engine, so no table is read from disk
# and both sides pay the same server work. For each of BENCH_REPS
# interleaved repetitions both rows run once; the medians of the times and
# rows/s are printed with the median of the per-repetition ratios
# (export rows/s / mariadb rows/s). Goal (issue 16): >= 0.8 x; the verdict
# is printed (a bench: the exit status says only that it ran). The data
# workers' peak RSS during the exports is printed too.
#
# Needs a build (ODS_BUILD_DIR, default ./var/build) and the packages of
# scripts/test. Settings: BENCH_ROWS (1000000), BENCH_REPS (5).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../lib/stack.sh"
. "$here/../../lib/rss.sh"

ROWS=${BENCH_ROWS:-1000000}
REPS=${BENCH_REPS:-5}
export LOG_LEVEL=warn
export ODS_SECRET_KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
export ODS_DATASOURCE_ALLOW=127.0.0.1/32
export ODS_QUERY_TIMEOUT_MS=600000
export JWT_SECRET_KEY=bench-csv-secret-0123456789abcdefghijkl
PW=Bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')

for c in nginx mariadbd mariadb redis-server curl jq; do
	ods_have "$c" || ods_die "$c is not installed (scripts/test installs it)"
done

ods_stack_init
trap 'ods_stack_down' EXIT
trap 'exit 130' INT TERM
ods_stack_backends
export ODS_DATA_WORKERS=2 ODS_AGENT_WORKERS=1 ODS_PROXY_WORKERS=1
ods_stack_pools
ods_stack_nginx_start
ods_stack_wait_live || ods_die "the stack did not become live"
ctl=$(ods_bin odsctl)

ods_db_sql <<EOF
CREATE DATABASE IF NOT EXISTS bench_src;
CREATE USER IF NOT EXISTS 'bench'@'127.0.0.1' IDENTIFIED BY '$PW';
GRANT SELECT ON bench_src.* TO 'bench'@'127.0.0.1';
EOF
tok=$("$ctl" token --sub bench --roles data_engineer --ttl 3600)
auth=(-H "Authorization: Bearer $tok" -H 'Content-Type: application/json')
U=$ODS_DATA_URL/api/v1
src=$(curl -sS "${auth[@]}" "$U/datasources" -d "{\"name\":\"bench\",\"type\":\"mariadb\",\"connection\":{\"host\":\"127.0.0.1\",\"port\":$ODS_DB_PORT,\"username\":\"bench\",\"password\":\"$PW\",\"database\":\"bench_src\"}}" |
    jq -r .data.source_id)
[ -n "$src" ] && [ "$src" != null ] || ods_die "could not create the data source"

SQL="SELECT seq AS id, CONCAT('row-', seq) AS name, seq * 1.5 AS v FROM seq_1_to_$ROWS"
body=$(jq -cn --arg s "$src" --arg q "$SQL" '{source_id: $s, sql: $q, format: "csv"}')
b=$ODS_STACK_DIR/bench
mkdir -p "$b"
: >"$b/mariadb.times"
: >"$b/export.times"
workers=$(ods_pool_workers data | tr '\n' ' ')

# Check both outputs once: the same number of lines (rows + header).
n1=$(env -u MYSQL_HOST -u MYSQL_TCP_PORT MYSQL_PWD="$PW" mariadb --no-defaults \
    -h 127.0.0.1 -P "$ODS_DB_PORT" -u bench bench_src --batch -e "$SQL" | wc -l)
n2=$(curl -sS "${auth[@]}" -d "$body" "$U/query/execute" | wc -l)
[ "$n1" = "$n2" ] || ods_die "mariadb gave $n1 lines, the export $n2"
ods_say "both give $n1 lines ($ROWS rows and a header); $REPS repetitions"

now() { date +%s%N; }
peak=0
for i in $(seq 1 "$REPS"); do
	t0=$(now)
	env -u MYSQL_HOST -u MYSQL_TCP_PORT MYSQL_PWD="$PW" mariadb --no-defaults \
	    -h 127.0.0.1 -P "$ODS_DB_PORT" -u bench bench_src --batch -e "$SQL" \
	    >/dev/null
	t1=$(now)
	r=$(ods_peak_rss_during "$workers" curl -sS -o /dev/null "${auth[@]}" \
	    -d "$body" "$U/query/execute")
	t2=$(now)
	k=$(printf '%s\n' "$r" | sed -n 's/^peak_kb=\([0-9]*\).*/\1/p')
	[ "${k:-0}" -gt "$peak" ] && peak=$k
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", (b - a) / 1e9 }' >>"$b/mariadb.times"
	awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.4f\n", (b - a) / 1e9 }' >>"$b/export.times"
done

median() {
	sort -g "$1" | awk '{ v[NR] = $1 } END {
		if (NR % 2) print v[(NR + 1) / 2]
		else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# export rows/s over mariadb rows/s = mariadb time / export time.
paste "$b/mariadb.times" "$b/export.times" | awk '{ printf "%.3f\n", $1 / $2 }' >"$b/ratio"
ratio=$(median "$b/ratio")
printf '%-8s %9s %12s\n' row 'median s' 'rows/s'
for r in mariadb export; do
	s=$(median "$b/$r.times")
	printf '%-8s %9s %12.0f\n' "$r" "$s" "$(awk -v n="$ROWS" -v s="$s" 'BEGIN { print n / s }')"
done
printf 'export / mariadb --batch (rows/s, median of %s ratios): %s x (goal >= 0.8: %s)\n' \
    "$REPS" "$ratio" "$(awk -v r="$ratio" 'BEGIN { print (r >= 0.8) ? "met" : "NOT met" }')"
printf 'data workers: peak RSS during the exports %s KiB\n' "$peak"
