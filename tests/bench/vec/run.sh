#!/bin/sh
# tests/bench/vec/run.sh — ods_vec vs hnswlib vs FAISS, side by side on the
# same vectors, one thread, one query per call. Not part of `make check`.
#
#   tests/bench/vec/run.sh            (as root: installs what it needs)
#
# Environment: BUILD (default /tmp/ods-vec-bench), MAN_PAGES (3000),
# M (16), EFC (100), EFS (the ef sweep), NQ (1000 queries per set),
# SETS ("128 384 man").
set -eu

SRC=$(cd "$(dirname "$0")/../../.." && pwd)
BUILD=${BUILD:-/tmp/ods-vec-bench}
DATA=$BUILD/data
MAN_PAGES=${MAN_PAGES:-3000}
M=${M:-16}
EFC=${EFC:-100}
EFS=${EFS:-"10 16 24 32 48 64 96 128 192 256 384 512"}
NQ=${NQ:-1000}
SETS=${SETS:-"128 384 man"}
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
if [ ! -s "$DATA/man.chunks" ]; then
	mkdir -p "$DATA/man"
	find /usr/share/man/man1 /usr/share/man/man8 -name '*.gz' | sort |
	    head -n "$MAN_PAGES" | xargs -P 2 -I{} sh -c \
	    'MANWIDTH=80 man -P cat -l "$1" > "$2/$(basename "$1").txt" 2>/dev/null || true' \
	    _ {} "$DATA/man"
	$PY "$SRC/tests/bench/vec/chunk_man.py" "$DATA/man" "$DATA/man.chunks"
fi
echo "== ods-hash-embed-384 on $(ls "$DATA/man" | wc -l) man pages ($(wc -l < "$DATA/man.chunks") chunks):"
./vec_bench embed "$DATA/man.chunks" "$DATA/bman.f32" "$DATA/qman.f32" 50 |
    tee "$DATA/embed.out"

[ -s "$DATA/b128.f32" ] || ./vec_bench gen 100000 128 "$NQ" 1.0 42 \
    "$DATA/b128.f32" "$DATA/q128.f32"
[ -s "$DATA/b384.f32" ] || ./vec_bench gen 100000 384 "$NQ" 1.0 43 \
    "$DATA/b384.f32" "$DATA/q384.f32"

for set in $SETS; do
	b=$DATA/b$set.f32 q=$DATA/q$set.f32 gt=$DATA/gt$set.i32
	echo
	echo "== dataset $set"
	./vec_bench exact "$b" "$q" 10 "$gt" | tee "$DATA/$set.exact"
	$PY "$SRC/tests/bench/vec/faiss_bench.py" "$b" "$q" 10 |
	    tee "$DATA/$set.faiss"
	./vec_bench hnsw "$b" "$q" "$gt" "$M" "$EFC" $EFS | tee "$DATA/$set.ods"
	./hnswlib_bench "$b" "$q" "$gt" "$M" "$EFC" $EFS |
	    tee "$DATA/$set.hnswlib"
	$PY - "$DATA" "$set" "$BW" <<'EOF'
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
def sweep(path):
    rows, head = [], None
    for line in open(path):
        w = line.split()
        if w[0] == "build_s":
            head = (float(w[1]), float(w[3]))
        elif w[0] == "ef":
            rows.append((int(w[1]), float(w[3]), float(w[5])))
    return head, rows
(ob, om), orows = sweep(f"{data}/{s}.ods")
(hb, hm), hrows = sweep(f"{data}/{s}.hnswlib")
print(f"-- build: ods {ob:.1f} s vs hnswlib {hb:.1f} s -> {ob / hb:.2f} x (target <= 1.5); "
      f"memory: ods {om:.0f} MB vs {hm:.0f} MB -> {om / hm:.2f} x (target <= 1.3)")
print("   ef   ods recall   ods QPS   hnswlib recall  hnswlib QPS")
for (e, r, q), (_, hr, hq) in zip(orows, hrows):
    print(f"  {e:4d}   {r:.4f}   {q:9.0f}   {hr:.4f}   {hq:9.0f}")
for t in (0.90, 0.95, 0.99):
    o = next(((e, q) for e, r, q in orows if r >= t), None)
    h = next(((e, q) for e, r, q in hrows if r >= t), None)
    if o and h:
        print(f"-- recall@10 >= {t:.2f}: ods {o[1]:.0f} QPS (ef {o[0]}) vs hnswlib "
              f"{h[1]:.0f} QPS (ef {h[0]}) -> {o[1] / h[1]:.2f} x (target 1.0)")
    else:
        print(f"-- recall@10 >= {t:.2f}: not reached by {'ods' if not o else 'hnswlib'} in the sweep")
EOF
done
