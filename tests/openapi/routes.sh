#!/usr/bin/env bash
# tests/openapi/routes.sh — openapi/openapi.yaml describes exactly the routes
# the programs serve: the union of `--routes` of ods-data-api, ods-agent-api
# and ods-openai-proxy equals the spec's paths and methods (differences are
# listed both ways), and Redocly CLI's recommended rules find no error in
# the spec.
set -u -o pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/var/build}
ODS_ROOT=$top_srcdir
. "$top_srcdir/scripts/lib/common.sh"
. "$top_srcdir/tests/openapi/lib.sh"

for c in node npm flock; do
	ods_have "$c" || { echo "SKIP: $c is not installed"; exit 77; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ods-routes.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
fail=0

# 1. The programs' routes, as clients send them through nginx.
for p in data/ods-data-api agent/ods-agent-api proxy/ods-openai-proxy; do
	bin=$top_builddir/fcgi/$p
	[ -x "$bin" ] || { echo "FAIL: $bin is not built"; exit 1; }
	if ! env -i PATH="$PATH" "$bin" --routes >"$tmp/one" 2>"$tmp/err"; then
		cat "$tmp/err"
		echo "FAIL: $(basename "$p") --routes exited non-zero"
		exit 1
	fi
	n=$(grep -c . "$tmp/one")
	[ "$n" -gt 0 ] || { echo "FAIL: $(basename "$p") printed no route"; exit 1; }
	echo "ok - $(basename "$p") --routes: $n routes"
	cat "$tmp/one" >>"$tmp/all"
done
sort -u "$tmp/all" >"$tmp/programs"

# 2. The spec's operations.
ods_openapi_operations >"$tmp/ops" || { echo "FAIL: cannot read the spec"; exit 1; }
sort -u "$tmp/ops" >"$tmp/spec"
[ "$(wc -l <"$tmp/ops")" = "$(wc -l <"$tmp/spec")" ] ||
    { echo "FAIL: the spec lists an operation twice"; fail=1; }

comm -23 "$tmp/programs" "$tmp/spec" >"$tmp/missing"
comm -13 "$tmp/programs" "$tmp/spec" >"$tmp/extra"
if [ -s "$tmp/missing" ]; then
	echo "FAIL: served but not in openapi/openapi.yaml:"
	sed 's/^/  /' "$tmp/missing"
	fail=1
fi
if [ -s "$tmp/extra" ]; then
	echo "FAIL: in openapi/openapi.yaml but served by no program:"
	sed 's/^/  /' "$tmp/extra"
	fail=1
fi
[ "$fail" = 0 ] &&
    echo "ok - $(wc -l <"$tmp/spec") routes: the programs and the spec agree"

# 3. Redocly CLI's lint: errors fail. Warnings accepted on purpose are
# listed in openapi/.redocly.lint-ignore.yaml.
if ods_openapi_lint >"$tmp/lint" 2>&1; then
	grep -E 'problems? (are|is) explicitly ignored|valid' "$tmp/lint" |
	    sed 's/^/  /'
	echo "ok - redocly lint: no error"
else
	grep -v '[║╔╚]' "$tmp/lint" | tail -60
	echo "FAIL: redocly lint reported errors"
	fail=1
fi
# Warnings do not fail the test, but say so.
grep -E 'You have [0-9]+ warnings?' "$tmp/lint" | sed 's/^/  note: /'
[ "$fail" = 0 ] && echo "PASS: openapi routes and lint"
exit "$fail"
