#!/usr/bin/env bash
# tests/symbols.sh — every global symbol libods.a (and lib/text's
# libods_text.a) defines is named ods_*
# (public, declared in a header that lib/ods.h gathers) or odsi_*
# (library-internal, declared in a layer's ods_<layer>_int.h). Anything
# else could collide with a program's or a dependency's names; the test
# lists each offender with the object file that defines it.
set -u
lib=${top_builddir:-.}/lib/libods.a
[ -f "$lib" ] || { echo "symbols: $lib not built" >&2; exit 99; }
text=${top_builddir:-.}/lib/text/libods_text.a
[ -f "$text" ] || { echo "symbols: $text not built" >&2; exit 99; }
command -v nm >/dev/null || { echo "symbols: nm is missing" >&2; exit 99; }

# nm prints "member.o:" before each member's symbols.  An --enable-asan
# build adds an ODR indicator "__odr_asan.NAME" beside each global
# variable NAME: it is judged by NAME.
bad=$(nm -g --defined-only "$lib" "$text" |
    awk '/^[^ ]+\.o:$/ { obj = $1; sub(/:$/, "", obj); next }
	NF == 3 && $2 ~ /^[TDBRCGSVWi]$/ {
		name = $3
		sub(/^__odr_asan\./, "", name)
		if (name !~ /^odsi?_/)
			print obj ": " $3
	}' | sort -u)
if [ -n "$bad" ]; then
	echo "symbols: global names outside ods_/odsi_:" >&2
	printf '%s\n' "$bad" | sed 's/^/  /' >&2
	exit 1
fi
n=$(nm -g --defined-only "$lib" "$text" | awk 'NF == 3 && $2 ~ /^[TDBRCGSVWi]$/' |
    wc -l)
echo "symbols: $n global symbols, all ods_ or odsi_"
