#!/bin/sh
# tests/bench/metrics/run.sh — build and run the ods_metrics benchmark.
#
#   tests/bench/metrics/run.sh [BUILDDIR] [bench options]
#
# BUILDDIR is a configured and built tree (default: $top_builddir, else the
# current directory); it must hold lib/libods.a and config.h. Options go to
# bench_metrics (-w workers, -s routes, -r restarts, -n updates, -d dump).
# Targets: one update <= 100 ns; render of 16 workers x 500 series <= 5 ms;
# after 1,000 restarts, render no slower than 1.2x (compared on the best of
# 201 renders, which other load on the machine disturbs least; the median
# is printed too). Exit 1 when a target is missed.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../../.." && pwd)
build=${top_builddir:-.}
if [ $# -gt 0 ] && [ -d "$1" ]; then
	build=$1
	shift
fi
build=$(cd "$build" && pwd)
if [ ! -f "$build/lib/libods.a" ] || [ ! -f "$build/config.h" ]; then
	echo "run.sh: $build has no lib/libods.a; build first (make)" >&2
	exit 2
fi

out=$(mktemp -d "${TMPDIR:-/tmp}/ods-bench-metrics.XXXXXX")
trap 'rm -rf "$out"' EXIT INT TERM
${CC:-cc} -std=gnu11 -O2 -pthread -I"$build" -I"$src/lib" \
	-o "$out/bench_metrics" "$here/bench_metrics.c" \
	"$build/lib/libods.a" -lm

case " $* " in
*" -d "*) exec "$out/bench_metrics" "$@" ;;
esac

"$out/bench_metrics" "$@" | tee "$out/result"
awk '
$1 == "update" { if ($(NF - 1) > 100) { bad = 1; print "MISSED: " $0 } }
$1 == "render" && / routes / { if ($(NF - 5) > 5) { bad = 1;
	print "MISSED: " $0 } }
$1 == "ratio" { if ($NF > 1.2) { bad = 1; print "MISSED: " $0 } }
END { exit bad }' "$out/result"
