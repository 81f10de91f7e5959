#!/usr/bin/env bash
# tests/conf-example.sh — the example environment file an operator copies
# (nginx/ods.env.example, installed as $(sysconfdir)/ods/ods.env.example)
# names every setting the programs read, with the programs' own default,
# and nothing they do not know.
set -u -o pipefail
src=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
example=$src/nginx/ods.env.example
fail=0

for prog in fcgi/data/ods-data-api fcgi/agent/ods-agent-api \
    fcgi/proxy/ods-openai-proxy; do
	[ -x "$prog" ] || { echo "FAIL: $prog is not built"; exit 99; }
done
# The defaults, as --check-config prints them (no environment of ours).
defaults=$(env -i PATH="$PATH" fcgi/data/ods-data-api --check-config 2>&1 |
    sed -n 's/^\([A-Z][A-Z0-9_]*\)=\(.*\)$/\1=\2/p')
[ -n "$defaults" ] || { echo "FAIL: --check-config printed no settings"; exit 1; }
n=0
while IFS='=' read -r key val; do
	n=$((n + 1))
	line=$(grep -E "^# $key=" "$example" | head -n 1)
	if [ -z "$line" ]; then
		echo "FAIL: $key is missing from ods.env.example"
		fail=1
		continue
	fi
	# Secrets print as "(set)"/"" and paths are resolved; compare the rest.
	case $val in *'*'* | '(set'* | /*) continue ;; esac
	if [ "${line#"# $key="}" != "$val" ]; then
		echo "FAIL: ods.env.example says '${line#"# "}', the default is '$val'"
		fail=1
	fi
done <<<"$defaults"
# Every KEY the example shows is one the programs or scripts read.
for key in $(sed -n 's/^# \([A-Z][A-Z0-9_]*\)=.*/\1/p' "$example"); do
	# A here-string, not printf | grep -q: under pipefail, grep's early
	# exit can kill printf with SIGPIPE and fail a key that is there.
	grep -q "^$key=" <<<"$defaults" && continue
	grep -rqw "$key" "$src/scripts" "$src/tests/lib" && continue
	# Per-pool settings, read as ODS_${POOL}_WORKERS / _THREADS.
	case $key in
	ODS_DATA_* | ODS_AGENT_* | ODS_PROXY_* | ODS_WORKER_*)
		grep -rqF "ODS_\${up}_${key#ODS_*_}" "$src/tests/lib" "$src/scripts" &&
		    continue ;;
	esac
	echo "FAIL: ods.env.example names $key, which nothing reads"
	fail=1
done
[ "$fail" = 0 ] && echo "PASS: $n settings, all in ods.env.example with their defaults"
exit "$fail"
