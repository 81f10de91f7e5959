#!/usr/bin/env bash
# tests/bench/kb/run.sh — knowledge-base speed through nginx, side by side
# in one run (issue 14 "Quality and speed"):
#   ingest   BENCH_MB of text uploaded into one knowledge base with the
#            built-in embedder, end to end: the upload, ods-worker's
#            ingestion into MariaDB, and the agent's indexes (vector + BM25)
#            caught up (searchable). MB/s of wall time, and MB per
#            CPU-second of every process involved (ods-worker, MariaDB, the
#            agent pool, nginx, from /proc): "MB/s per core".
#                                                     Goal >= 5 MB/s per core
#   graph    then the agent's writer merges the new vectors into one HNSW
#            graph in the background: its time and CPU, printed apart, and
#            the retrieval rows start after it. The merge threads' CPU
#            during the ingestion (a graph started while it ran) counts
#            here, not in the ingestion's.
#   floor    GET /api/v1/agent/healthz: nginx -> FastCGI -> answer, no work
#   hybrid, vector, keyword
#            POST /api/v1/agent/retrieval/hybrid at BENCH_CONNS in flight
#            (wrk, 2 threads), queries drawn from the corpus' own words;
#            requests/s, p50, p99, and the ratio to the floor.
#                                    Goal >= 1000 req/s, p99 <= 20 ms at 8
# The retrieval rows are interleaved over BENCH_REPS repetitions; medians.
#
# Needs a build (ODS_BUILD_DIR, default ./var/build) and the packages of
# scripts/test (wrk, jq). Settings: BENCH_MB (27: about 100 000 chunks of
# the default 500/50 chunking), BENCH_REPS (3), BENCH_SECS (10),
# BENCH_CONNS (8), ODS_AGENT_WORKERS (2), BENCH_HOLD (0). Run it on a
# quiet box.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../lib/stack.sh"

MB=${BENCH_MB:-27}
REPS=${BENCH_REPS:-3}
SECS=${BENCH_SECS:-10}
CONNS=${BENCH_CONNS:-8}
export ODS_AGENT_WORKERS=${ODS_AGENT_WORKERS:-2}
export LOG_LEVEL=${LOG_LEVEL:-warn}
export JWT_SECRET_KEY=bench-kb-secret-0123456789abcdefghijklmn
export ODS_RATE_LIMIT_DEFAULT=1000000/minute ODS_RATE_LIMIT_BURST=1000000
export ODS_INGEST_SYNC_MS=0

for c in mariadbd redis-server nginx wrk jq; do
	ods_have "$c" || ods_die "$c is not installed (scripts/test installs it)"
done
ods_stack_init
trap 'ods_stack_down' EXIT
ods_stack_up
ctl=$(ods_bin odsctl)
tok=$("$ctl" token --sub bench --roles admin --ttl 7200)
H=(-H "Authorization: Bearer $tok")
A=$ODS_AGENT_URL/api/v1/agent
t=$ODS_STACK_DIR/bench
mkdir -p "$t"
out=$t/rows.txt
: >"$out"

# A text of made-up words (sentences, paragraphs), MB megabytes, and the
# words the queries are drawn from.
awk -v mb="$MB" 'BEGIN {
	srand(11)
	for (i = 0; i < 20000; i++) {
		w = ""
		n = 3 + int(rand() * 7)
		for (j = 0; j < n; j++)
			w = w sprintf("%c", 97 + int(rand() * 26))
		v[i] = w
	}
	while (bytes < mb * 1048576) {
		s = ""
		for (k = 0; k < 10; k++) {
			m = 6 + int(rand() * 12)
			for (j = 0; j < m; j++) {
				# Zipf-like: a few words often, most rarely.
				x = int(20000 * rand() ^ 3)
				s = s v[x] (j < m - 1 ? " " : "")
			}
			s = s ". "
		}
		print s "\n"
		bytes += length(s) + 2
	}
	for (q = 0; q < 200; q++)
		print v[int(20000 * rand() ^ 2)], v[int(20000 * rand())], \
		    v[int(20000 * rand())] >"/dev/stderr"
}' >"$t/corpus.txt" 2>"$t/queries.txt"
size=$(stat -c %s "$t/corpus.txt")

# The CPU seconds of this stack's processes so far: the pools' masters
# and workers (ods-worker, agent), its MariaDB, its nginx; cpu PART: one
# of them (worker, agent, mariadb, nginx).
cpu() {
	local tick pids= p s=0 part=${1:-all}
	tick=$(getconf CLK_TCK)
	case $part in all | worker)
		pids="$pids $(ods_pool_master worker) $(ods_pool_workers worker)" ;;
	esac
	case $part in all | agent)
		pids="$pids $(ods_pool_master agent) $(ods_pool_workers agent)" ;;
	esac
	case $part in all | mariadb)
		pids="$pids $(cat "$ODS_STACK_DIR/run/mysqld.pid" 2>/dev/null || :)" ;;
	esac
	case $part in all | nginx)
		p=$(cat "$ODS_STACK_DIR/nginx/nginx.pid" 2>/dev/null || :)
		[ -n "$p" ] && pids="$pids $p $(ods_children "$p")" ;;
	esac
	for p in $pids; do
		[ -r "/proc/$p/stat" ] || continue
		s=$((s + $(awk '{ print $14 + $15 }' "/proc/$p/stat")))
	done
	awk -v s="$s" -v t="$tick" 'BEGIN { printf "%.3f\n", s / t }'
}

# The CPU seconds so far of the agents' graph merges: their threads named
# ods-merge (svc/agent/rag_index.c). A merge that starts during the
# ingestion (the writer seals 65 536 exact vectors into a graph even while
# busy) is counted with the graph, not the ingestion.
cpu_merge() {
	local tick p task s=0
	tick=$(getconf CLK_TCK)
	for p in $(ods_pool_workers agent); do
		for task in /proc/"$p"/task/*; do
			[ "$(cat "$task/comm" 2>/dev/null)" = ods-merge ] || continue
			s=$((s + $(awk '{ print $14 + $15 }' "$task/stat")))
		done
	done
	awk -v s="$s" -v t="$tick" 'BEGIN { printf "%.3f\n", s / t }'
}

# ---------------------------------------------------------------- ingest
curl -s "${H[@]}" -H 'Content-Type: application/json' \
    -d '{"name":"bench","collection_name":"bench"}' "$A/knowledge-bases" >"$t/kb.json"
kb=$(jq -r .data.knowledge_base_id "$t/kb.json")
c0=$(cpu)
g0=$(cpu_merge)
parts0="$(cpu worker) $(cpu agent) $(cpu mariadb) $(cpu nginx)"
t0=$(date +%s.%N)
curl -s "${H[@]}" -F "file=@$t/corpus.txt;type=text/plain" -F "knowledge_base_id=$kb" \
    "$A/documents/upload" >"$t/up.json"
doc=$(jq -r .data.doc_id "$t/up.json")
[ "$doc" != null ] || ods_die "upload failed: $(cat "$t/up.json")"
while :; do
	curl -s "${H[@]}" "$A/documents/$doc" >"$t/doc.json"
	st=$(jq -r .data.status "$t/doc.json")
	[ "$st" = indexed ] && break
	[ "$st" = failed ] && ods_die "ingestion failed: $(cat "$t/doc.json")"
	sleep 0.2
done
chunks=$(jq -r .data.chunk_count "$t/doc.json")
# ... and the agent's indexes hold them (any worker answers).
while :; do
	curl -s "${H[@]}" "$A/knowledge-bases/$kb" >"$t/kbs.json"
	[ "$(jq -r .data.index.vectors "$t/kbs.json")" = "$chunks" ] &&
	    [ "$(jq -r .data.index.keywords "$t/kbs.json")" = "$chunks" ] && break
	sleep 0.2
done
t1=$(date +%s.%N)
c1=$(cpu)
g1=$(cpu_merge)
parts1="$(cpu worker) $(cpu agent) $(cpu mariadb) $(cpu nginx)"
awk -v s="$size" -v a="$t0" -v b="$t1" -v c="$c0" -v d="$c1" -v n="$chunks" \
    -v p0="$parts0" -v p1="$parts1" -v g="$(awk -v x="$g0" -v y="$g1" \
    'BEGIN { print y - x }')" 'BEGIN {
	mb = s / 1048576
	printf "ingest: %.1f MB, %d chunks in %.1f s: %.2f MB/s wall, %.1f CPU-s: %.2f MB/s per core (goal 5: %.2fx)\n",
	    mb, n, b - a, mb / (b - a), d - c - g, mb / (d - c - g),
	    mb / (d - c - g) / 5
	split(p0, x, " "); split(p1, y, " ")
	printf "  CPU-s: ods-worker %.1f, agent %.1f, MariaDB %.1f, nginx %.1f; and a graph merge meanwhile %.1f (counted below)\n",
	    y[1] - x[1], y[2] - x[2] - g, y[3] - x[3], y[4] - x[4], g
}' | tee "$t/ingest.txt"

# The writer then merges the new vectors (searched exactly until then)
# into one graph, in the background, once the KB is quiet: its wall time
# and CPU, apart, and the whole (ingest and graph) per CPU-second.
m0=$(date +%s.%N)
for _ in $(seq 1 1500); do
	curl -s "${H[@]}" "$A/knowledge-bases/$kb" >"$t/kbs.json"
	[ "$(jq -r .data.index.exact "$t/kbs.json")" = 0 ] &&
	    [ "$(jq -r .data.index.graphs "$t/kbs.json")" = 1 ] && break
	sleep 0.2
done
m1=$(date +%s.%N)
c2=$(cpu)
awk -v s="$size" -v a="$m0" -v b="$m1" -v c="$c1" -v d="$c2" -v c0="$c0" \
    -v g="$(jq -r .data.index.graphs "$t/kbs.json")" \
    -v x="$(jq -r .data.index.exact "$t/kbs.json")" \
    -v gi="$(awk -v x="$g0" -v y="$g1" 'BEGIN { print y - x }')" 'BEGIN {
	mb = s / 1048576
	printf "graph (background, after 5 s quiet): %.1f s, %.1f CPU-s with the %.1f during the ingestion (%d graph, %d exact); ingest + graph: %.2f MB per CPU-s\n",
	    b - a, d - c + gi, gi, g, x, mb / (d - c0)
}' | tee -a "$t/ingest.txt"

# ------------------------------------------------------------- retrieval
# One wrk Lua script per mode: POSTs with the queries in turn.
for mode in hybrid vector keyword; do
	{
		printf 'local q = {\n'
		sed 's/.*/  "&",/' "$t/queries.txt"
		printf '}\nlocal i = 0\n'
		printf 'wrk.method = "POST"\n'
		printf 'wrk.headers["Content-Type"] = "application/json"\n'
		printf 'wrk.headers["Authorization"] = "Bearer %s"\n' "$tok"
		printf 'request = function()\n'
		printf '  i = i + 1\n'
		printf '  local body = string.format([[{"query":"%%s","knowledge_base_id":"%s","mode":"%s","top_k":5}]], q[(i %% #q) + 1])\n' "$kb" "$mode"
		printf '  return wrk.format(nil, nil, nil, body)\n'
		printf 'end\n'
	} >"$t/$mode.lua"
done
# Warm up each mode once.
for mode in hybrid vector keyword; do
	wrk -t 2 -c "$CONNS" -d 2s -s "$t/$mode.lua" "$A/retrieval/hybrid" >/dev/null 2>&1 || true
done

ms() {
	awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000;
	    else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'
}
row() {
	local name=$1 o rps p50 p99 non2xx
	shift
	o=$(wrk -t 2 -c "$CONNS" -d "${SECS}s" --latency "$@" 2>&1)
	rps=$(printf '%s\n' "$o" | awk '/^Requests\/sec/ { print $2 }')
	p50=$(ms "$(printf '%s\n' "$o" | awk '$1 == "50%" { print $2 }')")
	p99=$(ms "$(printf '%s\n' "$o" | awk '$1 == "99%" { print $2 }')")
	non2xx=$(printf '%s\n' "$o" | awk '/Non-2xx/ { print $NF }')
	printf '%s %s %s %s %s\n' "$name" "$rps" "$p50" "$p99" "${non2xx:-0}" >>"$out"
}
for r in $(seq 1 "$REPS"); do
	row floor "$ODS_AGENT_URL/api/v1/agent/healthz"
	for mode in hybrid vector keyword; do
		row "$mode" -s "$t/$mode.lua" "$A/retrieval/hybrid"
	done
done

printf '\n%d chunks, %d in flight, %d x %d s, medians:\n' "$chunks" "$CONNS" "$REPS" "$SECS"
printf '%-8s %10s %9s %9s %8s %10s %12s\n' row req/s p50_ms p99_ms non2xx vs_floor vs_goal_1000
for name in floor hybrid vector keyword; do
	awk -v n="$name" '$1 == n' "$out" | sort -k2 -n | awk -v n="$name" '
	    { r[NR] = $2; a[NR] = $3; b[NR] = $4; e += $5 }
	    END { m = int((NR + 1) / 2); printf "%s %s %s %s %d\n", n, r[m], a[m], b[m], e }'
done >"$t/med.txt"
floor=$(awk '$1 == "floor" { print $2 }' "$t/med.txt")
awk -v f="$floor" '{
	printf "%-8s %10.0f %9.2f %9.2f %8d %9.2fx %11.2fx\n", $1, $2, $3, $4, $5,
	    $2 / f, $2 / 1000 }' "$t/med.txt"
cat "$t/ingest.txt"
# BENCH_HOLD=SECONDS keeps the stack up afterwards, for a profiler: the
# URL, the token and the KB are in $ODS_STACK_DIR/bench/hold.env.
if [ "${BENCH_HOLD:-0}" -gt 0 ]; then
	printf 'A=%s\nTOK=%s\nKB=%s\n' "$A" "$tok" "$kb" >"$t/hold.env"
	echo "holding for $BENCH_HOLD s: $t/hold.env"
	sleep "$BENCH_HOLD"
fi
