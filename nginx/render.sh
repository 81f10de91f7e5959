#!/bin/sh
# nginx/render.sh — substitute ${NAME} placeholders of an nginx template.
#
#   sh nginx/render.sh TEMPLATE NAME=VALUE... >OUT
#
# Replaces each ${NAME} given (nginx's own $variables are left alone) and
# writes the result to stdout; fails, writing nothing, when a ${ODS_...}
# placeholder is left.  The one renderer of nginx/*.template: the build
# (nginx/nginx.am, the installable ods-servers.conf) and scripts/lib/nginx.sh
# (scripts/run, the tests) call it.  POSIX sh, so `make` does not need bash.
set -u

if [ $# -lt 1 ]; then
	echo "usage: $0 TEMPLATE NAME=VALUE..." >&2
	exit 2
fi
template=$1
shift
[ -r "$template" ] || { echo "$0: cannot read $template" >&2; exit 1; }

script=
for arg; do
	name=${arg%%=*}
	case $arg in
	*=*) ;;
	*) echo "$0: '$arg' is not NAME=VALUE" >&2; exit 2 ;;
	esac
	case $name in
	'' | [!A-Za-z_]* | *[!A-Za-z0-9_]*)
		echo "$0: '$name' is not a name" >&2; exit 2 ;;
	esac
	# The value as a sed replacement: \ | & escaped, no newline.
	value=$(printf '%s\n' "${arg#*=}" | sed 's/[\\|&]/\\&/g')
	case $value in
	*'
'*) echo "$0: the value of $name has a newline" >&2; exit 2 ;;
	esac
	script="${script}s|\${$name}|$value|g;"
done

# Check first, then write: OUT never gets a half-substituted file.
left=$(sed -e "$script" "$template" | grep -n '\${ODS_')
if [ -n "$left" ]; then
	printf '%s\n' "$left" | head -n 5 | while IFS= read -r line; do
		printf '%s:%s\n' "$template" "$line"
	done >&2
	echo "$template: unsubstituted placeholder" >&2
	exit 1
fi
exec sed -e "$script" "$template"
