# tests/openapi/lib.sh — the npm tools that check openapi/openapi.yaml:
# Redocly CLI (lint) and yaml + ajv + ajv-formats for validate.js.  Source
# after scripts/lib/common.sh.
#
# The packages are installed once, with npm --prefer-offline, into
# ODS_NPM_DIR: var/npm of the source tree (ignored by git), or a scratch
# folder under TMPDIR when the tree is read-only (make distcheck); never
# into the tree's sources.

ODS_OPENAPI_TESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ODS_OPENAPI_SPEC=${ODS_OPENAPI_SPEC:-$ODS_OPENAPI_TESTS/../../openapi/openapi.yaml}
ODS_REDOCLY_PKGS='@redocly/cli@2.77.0'
ODS_VALIDATE_PKGS='yaml@2.9.1 ajv@8.20.0 ajv-formats@3.0.1'

# ods_npm_dir: print (and create) the folder the npm tools live in.
ods_npm_dir() {
	local d=${ODS_NPM_DIR:-$ODS_ROOT/var/npm}
	if ! mkdir -p "$d" 2>/dev/null || [ ! -w "$d" ]; then
		d=${TMPDIR:-/tmp}/ods-npm-$(id -u)
		mkdir -p "$d" || return 1
	fi
	printf '%s\n' "$d"
}

# ods_npm_tools NAME PKG@VERSION...: the packages in $(ods_npm_dir)/NAME,
# installed unless a stamp says they are; sets ODS_NPM_MODULES to its
# node_modules.  One install at a time (flock), so parallel tests share it.
ods_npm_tools() {
	local name=$1 top d log
	shift
	top=$(ods_npm_dir) || return 1
	d=$top/$name
	log=$top/$name.log
	mkdir -p "$d"
	(
		flock 9
		[ "$(cat "$d/.ods-stamp" 2>/dev/null)" = "$*" ] && exit 0
		rm -f "$d/.ods-stamp"
		{ [ -f "$d/package.json" ] || (cd "$d" && npm init -y); } \
		    >"$log" 2>&1 &&
		(cd "$d" && npm install --no-audit --no-fund --prefer-offline \
		    "$@") >>"$log" 2>&1 || {
			tail -20 "$log" >&2
			exit 1
		}
		printf '%s' "$*" >"$d/.ods-stamp"
	) 9>"$d.lock" || {
		printf 'npm install %s failed (see %s)\n' "$*" "$log" >&2
		return 1
	}
	ODS_NPM_MODULES=$d/node_modules
}

# ods_openapi_validate INDEX [--cover]: tests/openapi/validate.js over the
# answers listed in INDEX (see there); prints its report.
ods_openapi_validate() {
	ods_npm_tools openapi-validate $ODS_VALIDATE_PKGS || return 1
	NODE_PATH=$ODS_NPM_MODULES node "$ODS_OPENAPI_TESTS/validate.js" \
	    "$ODS_OPENAPI_SPEC" "$@"
}

# ods_openapi_operations: the spec's operations, "METHOD PATH" a line.
ods_openapi_operations() {
	ods_npm_tools openapi-validate $ODS_VALIDATE_PKGS || return 1
	NODE_PATH=$ODS_NPM_MODULES node "$ODS_OPENAPI_TESTS/validate.js" \
	    --list "$ODS_OPENAPI_SPEC"
}

# ods_openapi_lint: Redocly CLI's recommended rules over the spec
# (openapi/redocly.yaml); prints its report.
ods_openapi_lint() {
	local spec_dir
	ods_npm_tools redocly $ODS_REDOCLY_PKGS || return 1
	spec_dir=$(dirname "$ODS_OPENAPI_SPEC")
	REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
	    "$ODS_NPM_MODULES/.bin/redocly" lint --format=stylish \
	    --config "$spec_dir/redocly.yaml" "$ODS_OPENAPI_SPEC"
}
