#!/usr/bin/env bash
# tests/layering.sh — lib/ is built in layers, and a layer includes only
# itself and the layers below it:
#
#   core < net < store < metrics < vec < text < auth < llm < server
#
# Every `#include "<layer>/..."` in lib/<layer>/ is checked against that
# order, and so is the rest of the tree: lib/ never includes svc/ or
# fcgi/, svc/ never includes fcgi/ or the server layer (domain code has no
# HTTP in it). Each lib/ folder has one private header at most
# (ods_<layer>_int.h), included only from its own folder. An arrow back up
# fails the test, naming the file and the line.
set -u
src=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$src" || exit 99

order=(core net store metrics vec text auth llm server)
declare -A rank
for i in "${!order[@]}"; do
	rank[${order[$i]}]=$i
done
bad=0
fail() {
	echo "layering: $*" >&2
	bad=1
}

# Every folder of lib/ is a known layer.
for d in lib/*/; do
	d=${d#lib/}
	d=${d%/}
	[ -n "${rank[$d]+x}" ] || fail "lib/$d/ is not in the layer order"
done

# includes FILE: "LINE TARGET" for each quoted include.
includes() {
	grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$1" |
	    sed 's/^\([0-9]*\):[^"]*"\([^"]*\)".*/\1 \2/'
}

while IFS= read -r f; do
	layer=${f#lib/}
	layer=${layer%%/*}
	[ -n "${rank[$layer]+x}" ] || continue
	while read -r line inc; do
		case $inc in
		config.h | ods.h) continue ;;
		*_int.h)
			[ "${inc%%/*}" = "$layer" ] ||
			    fail "$f:$line includes another layer's private header $inc" ;;
		esac
		case $inc in
		svc/* | fcgi/* | ../*)
			fail "$f:$line includes $inc (lib/ is below svc/ and fcgi/)"
			continue ;;
		*/*) ;;
		*)	fail "$f:$line includes \"$inc\": name the layer (\"<layer>/$inc\")"
			continue ;;
		esac
		to=${inc%%/*}
		if [ -z "${rank[$to]+x}" ]; then
			fail "$f:$line includes $inc: unknown layer $to"
		elif [ "${rank[$to]}" -gt "${rank[$layer]}" ]; then
			fail "$f:$line: $layer includes $inc, a higher layer ($to)"
		fi
	done < <(includes "$f")
done < <(find lib -mindepth 2 -name '*.[ch]' | sort)

# At most one private header per folder.
for d in lib/*/; do
	n=$(find "$d" -maxdepth 1 -name '*_int.h' | wc -l)
	[ "$n" -le 1 ] || fail "$d has $n private headers (at most one)"
	while IFS= read -r h; do
		[ "$(basename "$h")" = "ods_$(basename "$d")_int.h" ] ||
		    fail "$h: a private header is named ods_<layer>_int.h"
	done < <(find "$d" -maxdepth 1 -name '*_int.h')
done

# lib/ods.h gathers the public headers only.
while read -r line inc; do
	case $inc in
	*_int.h) fail "lib/ods.h:$line includes a private header $inc" ;;
	esac
done < <(includes lib/ods.h)

# Domain code: no HTTP layer, no programs.
if [ -d svc ]; then
	while IFS= read -r f; do
		while read -r line inc; do
			case $inc in
			server/* | fcgi/* | ../*)
				fail "$f:$line includes $inc (svc/ has no HTTP in it)" ;;
			*/*_int.h)
				fail "$f:$line includes lib's private header $inc" ;;
			*_int.h)
				# Its folder's own: one, <folder>_int.h.
				[ "$inc" = "$(basename "$(dirname "$f")")_int.h" ] ||
				    fail "$f:$line: a private header of svc/<d> is <d>_int.h" ;;
			esac
		done < <(includes "$f")
	done < <(find svc -name '*.[ch]' | sort)
fi

# Programs use the public headers only.
while IFS= read -r f; do
	while read -r line inc; do
		case $inc in
		*_int.h) fail "$f:$line includes lib's private header $inc" ;;
		esac
	done < <(includes "$f")
done < <(find fcgi -name '*.[ch]' | sort)

# Every migration is installed (make install copies what sql.am lists).
for f in sql/*.sql; do
	grep -qx "dist_sql_DATA += $f" sql/sql.am ||
	    fail "$f is not listed in sql/sql.am: make install would leave it out"
done

if [ "$bad" = 0 ]; then
	echo "layering: ${#order[@]} layers, no arrow back up"
fi
exit "$bad"
