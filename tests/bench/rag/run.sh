#!/bin/sh
# tests/bench/rag/run.sh [BUILDDIR] — retrieval quality of vector, keyword
# (ods_kw), hybrid (ods_fuse) and plain SQLite FTS5 search side by side,
# and the keyword index's speed. Not part of `make check`.
#
# English: Debian's package descriptions (short description = query, long
# description = document; see prep.py for what is kept), from apt's
# Translation-en files; when apt keeps none (Docker images set
# Acquire::Languages "none") they are fetched once, as root, with
# apt-get update -o Acquire::Languages=en. Chinese: questions written
# for the operations manual (zh_questions.tsv) against its sections.
#
# Environment: MANUAL (the manual, /work/shared/reference/ops-manual.zh.md
# on the project's machines), DATA (/tmp/ods-rag: the TSV files and the indexes),
# NDOCS (6000), NQUERIES (1500), N (100000 chunks for the speed figures),
# RAG_GRID=1 adds a grid of RRF k and weights (and convex fusion),
# THREADS (8) and SECS (5) the keyword index's throughput run.
set -eu

SRC=$(cd "$(dirname "$0")/../../.." && pwd)
BUILD=${1:-$SRC/var/build}
DATA=${DATA:-/tmp/ods-rag}
N=${N:-100000}
MANUAL=${MANUAL:-/work/shared/reference/ops-manual.zh.md}

if ! ls /var/lib/apt/lists/*Translation-en* >/dev/null 2>&1; then
	[ "$(id -u)" = 0 ] ||
	    { echo "no Translation-en in apt's lists: run as root" >&2; exit 1; }
	apt-get update -q -o Acquire::Languages=en >/dev/null
fi
command -v lz4cat >/dev/null || { echo "lz4cat is needed (lz4)" >&2; exit 1; }
make -s -C "$BUILD" tests/bench/rag/rag-bench
bench=$BUILD/tests/bench/rag/rag-bench

mkdir -p "$DATA"
[ -f "$MANUAL" ] || { echo "no manual at $MANUAL (set MANUAL)" >&2; exit 1; }
python3 "$SRC/tests/bench/rag/prep.py" "$DATA" "$MANUAL" \
    "$SRC/tests/bench/rag/zh_questions.tsv" /var/lib/apt/lists/*Translation-en*
echo "== machine: $(nproc) cpu, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== English: Debian package descriptions"
rm -rf "$DATA/w-en" "$DATA/w-zh" "$DATA/w-perf" "$DATA/w-scale"
"$bench" eval "$DATA/eval_chunks.tsv" "$DATA/eval_queries.tsv" "$DATA/w-en"
echo "== Chinese: the operations manual"
"$bench" eval "$DATA/zh_chunks.tsv" "$DATA/zh_queries.tsv" "$DATA/w-zh"
echo "== English among $N chunks: the keyword index alone"
KW_ONLY=1 "$bench" eval "$DATA/scale_chunks.tsv" "$DATA/eval_queries.tsv" \
    "$DATA/w-scale" | grep -E '^index|^queries|method|keyword'
echo "== keyword index speed"
"$bench" perf "$DATA/perf_chunks.tsv" "$DATA/eval_queries.tsv" \
    "$DATA/w-perf" "$N" "$DATA/zh_chunks.tsv" "$DATA/zh_queries.tsv"
