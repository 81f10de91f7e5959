#!/bin/sh
# tests/bench/vec/run.sh — ods_vec vs hnswlib vs FAISS, side by side on the
# same vectors, one thread, one query per call. Not part of `make check`.
#
#   tests/bench/vec/run.sh            (as root: installs what it needs)
#
# Each HNSW index is built once (build time and memory are compared from
# that build); then, for each of BENCH_REPS repetitions and each ef, ods and
# hnswlib search one after the other (who goes first alternates), so both
# sides of a ratio see the same moment of a busy box.  Reported: the median
# QPS, and the median of the per-repetition ratios with their min-max.
#
# Environment: BUILD (default /tmp/ods-vec-bench), MAN_PAGES (3000),
# M (16), EFC (100), EFS (the ef sweep), NQ (1000 queries per set),
# N (100000 vectors in the synthetic sets), SETS ("128 384 man"),
# BENCH_REPS (5).
set -eu

SRC=$(cd "$(dirname "$0")/../../.." && pwd)
BUILD=${BUILD:-/tmp/ods-vec-bench}
DATA=$BUILD/data
MAN_PAGES=${MAN_PAGES:-3000}
M=${M:-16}
EFC=${EFC:-100}
EFS=${EFS:-"10 16 24 32 48 64 96 128 192 256 384 512"}
NQ=${NQ:-1000}
N=${N:-100000}
SETS=${SETS:-"128 384 man"}
REPS=${BENCH_REPS:-5}
PY=/usr/bin/python3

need=""
for p in libhnswlib-dev python3-faiss python3-numpy man-db g++; do
	dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"
done
if [ -n "$need" ]; then
	echo "installing:$need"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q $need >/dev/null
fi

mkdir -p "$BUILD" "$DATA"
cd "$BUILD"
[ -f Makefile ] || "$SRC/configure" -q
make -s lib/libods.a
cc -O2 -std=gnu11 -pthread -I"$SRC/lib" -I"$BUILD" -o vec_bench \
    "$SRC/tests/bench/vec/vec_bench.c" lib/libods.a -lm
# hnswlib gets its best case: -O3 -march=native (AVX-512 distances).
g++ -O3 -march=native -o hnswlib_bench "$SRC/tests/bench/vec/hnswlib_bench.cpp"

echo "== machine: $(nproc) cpu, $(lscpu | sed -n 's/^Model name: *//p'), load $(cut -d' ' -f1-3 /proc/loadavg)"
BW=$(./vec_bench bw | awk '{print $2}')
echo "== single-thread read bandwidth (1 GiB, AVX2 loads, best of 5): $BW GB/s"

# Real text: man pages rendered as text, chunked like the reference.
case " $SETS " in
*" man "*) want_man=1 ;;
*) want_man=0 ;;
esac
if [ "$want_man" = 1 ] && [ ! -s "$DATA/man.chunks" ]; then
	mkdir -p "$DATA/man"
	find /usr/share/man/man1 /usr/share/man/man8 -name '*.gz' | sort |
	    head -n "$MAN_PAGES" | xargs -P 2 -I{} sh -c \
	    'MANWIDTH=80 man -P cat -l "$1" > "$2/$(basename "$1").txt" 2>/dev/null || true' \
	    _ {} "$DATA/man"
	$PY "$SRC/tests/bench/vec/chunk_man.py" "$DATA/man" "$DATA/man.chunks"
fi
if [ "$want_man" = 1 ]; then
	echo "== ods-hash-embed-384 on $(ls "$DATA/man" | wc -l) man pages ($(wc -l < "$DATA/man.chunks") chunks):"
	./vec_bench embed "$DATA/man.chunks" "$DATA/bman.f32" \
	    "$DATA/qman.f32" 50 | tee "$DATA/embed.out"
fi

for set in $SETS; do
	case $set in
	man) tag=man ;;
	128) tag=128-$N seed=42 ;;
	384) tag=384-$N seed=43 ;;
	*) echo "unknown set $set (128, 384, man)" >&2; exit 2 ;;
	esac
	b=$DATA/b$tag.f32 q=$DATA/q$tag.f32 gt=$DATA/gt$tag.i32
	[ "$set" = man ] || [ -s "$b" ] || ./vec_bench gen "$N" "$set" "$NQ" \
	    1.0 "$seed" "$b" "$q"
	echo
	echo "== dataset $set ($tag)"
	./vec_bench exact "$b" "$q" 10 "$gt" | tee "$DATA/$tag.exact"
	$PY "$SRC/tests/bench/vec/faiss_bench.py" "$b" "$q" 10 |
	    tee "$DATA/$tag.faiss"
	rm -rf "$BUILD/idx-ods-$tag"
	./vec_bench hnsw-build "$b" "$BUILD/idx-ods-$tag" "$M" "$EFC" |
	    sed 's/^/ods /' | tee "$DATA/$tag.build"
	./hnswlib_bench build "$b" "$BUILD/idx-hnswlib-$tag.bin" "$M" "$EFC" |
	    sed 's/^/hnswlib /' | tee -a "$DATA/$tag.build"
	: >"$DATA/$tag.search"
	for rep in $(seq 1 "$REPS"); do
		for ef in $EFS; do
			if [ $((rep % 2)) = 1 ]; then
				order="ods hnswlib"
			else
				order="hnswlib ods"
			fi
			for side in $order; do
				if [ "$side" = ods ]; then
					./vec_bench hnsw-search "$BUILD/idx-ods-$tag" \
					    "$q" "$gt" "$ef" >"$DATA/one.out"
				else
					./hnswlib_bench search \
					    "$BUILD/idx-hnswlib-$tag.bin" "$q" "$gt" \
					    "$ef" >"$DATA/one.out"
				fi
				sed "s/^/$side rep $rep /" "$DATA/one.out" \
				    >>"$DATA/$tag.search"
			done
		done
		echo "   repetition $rep of $REPS done"
	done
	$PY - "$DATA" "$tag" "$BW" <<'EOF'
import sys
data, s, bw = sys.argv[1], sys.argv[2], float(sys.argv[3])
def kv(path):
    return open(path).read().split()
ex = kv(f"{data}/{s}.exact")
qps, n, dim = float(ex[1]), int(ex[3]), int(ex[5])
fa = float(kv(f"{data}/{s}.faiss")[1])
bound = bw * 1e9 / (4.0 * n * dim)
print(f"-- exact top-10: ods {qps:.1f} QPS = {qps * 4 * n * dim / 1e9:.1f} GB/s; "
      f"bound {bound:.1f} QPS -> {qps / bound:.2f} x bound (target 0.8); "
      f"FAISS IndexFlatIP {fa:.1f} QPS -> {qps / fa:.2f} x FAISS (target 1.0)")
def med(v):
    v = sorted(v)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2
build = {}
for line in open(f"{data}/{s}.build"):
    w = line.split()
    build[w[0]] = (float(w[2]), float(w[4]))
# side -> ef -> (recall, {rep: qps})
runs = {"ods": {}, "hnswlib": {}}
for line in open(f"{data}/{s}.search"):
    w = line.split()    # side rep R ef E recall X qps Q
    side, rep, ef, rec, qps = w[0], int(w[2]), int(w[4]), float(w[6]), float(w[8])
    runs[side].setdefault(ef, (rec, {}))[1][rep] = qps
efs = sorted(runs["ods"])
reps = sorted(runs["ods"][efs[0]][1])
def ratios(eo, eh):
    o, h = runs["ods"][eo][1], runs["hnswlib"][eh][1]
    return [o[r] / h[r] for r in reps if r in o and r in h]
def spread(v):
    return f"{med(v):.2f} x ({min(v):.2f}-{max(v):.2f})"
(ob, om), (hb, hm) = build["ods"], build["hnswlib"]
print(f"-- build (once): ods {ob:.1f} s vs hnswlib {hb:.1f} s -> {ob / hb:.2f} x (target <= 1.5); "
      f"memory: ods {om:.0f} MB vs {hm:.0f} MB -> {om / hm:.2f} x (target <= 1.3)")
print(f"-- search: median of {len(reps)} interleaved repetitions; ratio = median (min-max) of ods/hnswlib per repetition")
print("   ef   ods recall   ods QPS   hnswlib recall  hnswlib QPS   ods/hnswlib")
for e in efs:
    (r, oq), (hr, hq) = runs["ods"][e], runs["hnswlib"][e]
    print(f"  {e:4d}   {r:.4f}   {med(oq.values()):9.0f}   {hr:.4f}   "
          f"{med(hq.values()):9.0f}   {spread(ratios(e, e))}")
for t in (0.90, 0.95, 0.99):
    o = next((e for e in efs if runs["ods"][e][0] >= t), None)
    h = next((e for e in efs if runs["hnswlib"][e][0] >= t), None)
    if o is not None and h is not None:
        print(f"-- recall@10 >= {t:.2f}: ods {med(runs['ods'][o][1].values()):.0f} QPS (ef {o}) vs hnswlib "
              f"{med(runs['hnswlib'][h][1].values()):.0f} QPS (ef {h}) -> {spread(ratios(o, h))} (target 1.0)")
    else:
        print(f"-- recall@10 >= {t:.2f}: not reached by {'ods' if o is None else 'hnswlib'} in the sweep")
EOF
done
