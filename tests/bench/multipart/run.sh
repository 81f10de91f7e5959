#!/usr/bin/env bash
# tests/bench/multipart/run.sh [BUILDDIR] [MiB] — the multipart parser's
# throughput and memory on a generated stream (default 1024 MiB per row):
# multipart-bench prints MB/s beside a bare memchr scan of the same chunks
# and its own peak RSS (getrusage); the RSS is also sampled from outside
# with tests/lib/rss.sh, the sampler the upload routes' tests use.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../lib/rss.sh"
build=${1:-$here/../../../var/build}
bin=$build/tests/bench/multipart/multipart-bench
[ -x "$bin" ] || { echo "$bin: not built (make in $build)" >&2; exit 1; }
ods_peak_rss_during self "$bin" "${2:-1024}"
