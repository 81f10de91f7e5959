#!/usr/bin/env bash
# tests/integration/nginx-config.sh — the generated nginx configuration passes
# `nginx -t`, keeps its promises (no upstream keepalive, JSON error pages,
# unbuffered streaming locations, the body caps, the upload locations), the
# documented envsubst command gives the same file, the configuration `make` generates for
# installation passes `nginx -t`, and bad settings are refused.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"

ods_t_begin nginx-config
ods_stack_init
ods_pick_port ODS_DATA_PORT
ods_pick_port ODS_AGENT_PORT
ods_pick_port ODS_PROXY_PORT
ods_pick_port ODS_WORKER_PORT
ODS_DATA_SOCK=$ODS_RUN_DIR/data.sock
ODS_AGENT_SOCK=$ODS_RUN_DIR/agent.sock
ODS_PROXY_SOCK=$ODS_RUN_DIR/proxy.sock
ODS_WORKER_SOCK=$ODS_RUN_DIR/worker.sock
ODS_MAX_BODY_BYTES=2m
ODS_MAX_UPLOAD_BYTES=5m
ODS_METRICS_ALLOW='10.0.0.0/8, 192.168.1.7 fd00::/8'
N=$ODS_STACK_DIR/nginx

ods_nginx_generate "$N"
out=$(ods_nginx_test "$N" 2>&1) || ods_t_fail "nginx -t: $out"
ods_t_ok "nginx -t passes on the generated configuration"

# Everything the servers use, with the snippets expanded.
all=$(cat "$N/nginx.conf" "$N/ods-servers.conf" "$ODS_ROOT"/nginx/*.conf \
    "$ODS_ROOT/nginx/fastcgi_params.ods" | sed 's/#.*//')

grep -Eq '^[[:space:]]*keepalive[[:space:]]' <<<"$all" &&
    ods_t_fail "an upstream keepalive is configured"
grep -Eq 'fastcgi_keep_conn[[:space:]]+on' <<<"$all" &&
    ods_t_fail "fastcgi_keep_conn on is configured"
ods_t_ok "no upstream keepalive, no fastcgi_keep_conn"

# httpoxy: the client's Proxy header never reaches a worker as HTTP_PROXY.
grep -Eq 'fastcgi_param[[:space:]]+HTTP_PROXY[[:space:]]+""' <<<"$all" ||
    ods_t_fail "HTTP_PROXY is not cleared for the workers (httpoxy)"
ods_t_ok "HTTP_PROXY cleared for the workers"

for st in 400 403 404 405 408 413 414 429 500 502 503 504; do
	grep -Eq "error_page $st @ods_$st;" <<<"$all" ||
	    ods_t_fail "no JSON error page for $st"
	# The reference's codes: HTTP x 100, but 50003 for a 503.
	code=${st}00
	[ "$st" = 503 ] && code=50003
	grep -Eq "return $st '\\{\"code\":$code," <<<"$all" ||
	    ods_t_fail "the $st page is not the JSON envelope"
	grep -Eq "error_page $st @ods_oai_$st;" <<<"$all" ||
	    ods_t_fail "no OpenAI-shaped error page for $st"
done
ods_t_ok "JSON error pages for every status nginx produces"

n=$(grep -c 'client_max_body_size 2m;' "$N/ods-servers.conf")
ods_expect_eq "$n" 3 "client_max_body_size follows ODS_MAX_BODY_BYTES on the 3 API servers"

# Upload locations: ODS_MAX_UPLOAD_BYTES and ods-upload.conf (buffered to a
# temp file, then streamed to the worker), two of each kind on each API
# server.
n=$(awk '/location (~ .*upload|\^~ .*\/store\/)/ { inloc = 1 }
    inloc && /client_max_body_size 5m;/ { cap++ }
    inloc && /include .*\/ods-upload.conf;/ { inc++ }
    inloc && /}/ { inloc = 0 }
    END { print cap + 0, inc + 0 }' "$N/ods-servers.conf")
ods_expect_eq "$n" "8 8" "upload and store locations take ODS_MAX_UPLOAD_BYTES and ods-upload.conf"
grep -Eq '^fastcgi_request_buffering on;' "$ODS_ROOT/nginx/ods-upload.conf" ||
    ods_t_fail "ods-upload.conf does not buffer the body to a temp file"
grep -Eq 'location \^~ /api/v1/(data|agent)/ \{' <<<"$all" &&
    ods_t_fail "a canonical prefix is ^~: upload regexes under it are never matched"
ods_t_ok "no ^~ on the canonical prefixes (upload locations match under them)"

n=$(grep -c 'allow 127.0.0.1; allow ::1; allow 10.0.0.0/8; allow 192.168.1.7; allow fd00::/8;' \
    "$N/ods-servers.conf")
ods_expect_eq "$n" 4 "/metrics allow-list on the 4 servers (with ods-worker's)"

# Streaming locations: fastcgi_buffering off right inside them.
for re in 'chat/completions|completions' 'run-stream|chat' 'rag/query' \
    '/api/(v1/)?(chat' 'apps/[^/]+/(chat|v1/chat/completions)'; do
	printf '%s\n' "$all" | awk -v re="$re" '
	    /location/ && index($0, re) { inloc = 1 }
	    inloc && /fastcgi_buffering off;/ { found = 1 }
	    inloc && /}/ { inloc = 0 }
	    END { exit !found }' ||
	    ods_t_fail "streaming location '$re' does not turn fastcgi_buffering off"
done
ods_t_ok "fastcgi_buffering off on the streaming locations"

# Temp paths inside the prefix.
for t in client_body fastcgi proxy uwsgi scgi; do
	grep -q "${t}_temp_path *$N/tmp/" "$N/nginx.conf" ||
	    ods_t_fail "${t}_temp_path is not inside the prefix"
done
ods_t_ok "every temp path inside the prefix"

# The documented envsubst command gives the same ods-servers.conf.
if ods_have envsubst; then
	export ODS_BIND ODS_DATA_PORT ODS_AGENT_PORT ODS_PROXY_PORT \
	    ODS_DATA_SOCK ODS_AGENT_SOCK ODS_PROXY_SOCK ODS_MAX_BODY_BYTES \
	    ODS_MAX_UPLOAD_BYTES ODS_METRICS_ALLOW_RULES ODS_NGINX_SNIPPETS \
	    ODS_WORKER_PORT ODS_WORKER_SOCK
	envsubst "$(printf '${%s} ' ODS_BIND ODS_DATA_PORT ODS_AGENT_PORT \
	    ODS_PROXY_PORT ODS_DATA_SOCK ODS_AGENT_SOCK ODS_PROXY_SOCK \
	    ODS_MAX_BODY_BYTES ODS_MAX_UPLOAD_BYTES ODS_METRICS_ALLOW_RULES \
	    ODS_NGINX_SNIPPETS ODS_WORKER_PORT ODS_WORKER_SOCK)" \
	    <"$ODS_ROOT/nginx/ods-servers.conf.template" >"$N/envsubst.conf"
	cmp -s "$N/envsubst.conf" "$N/ods-servers.conf" ||
	    ods_t_fail "envsubst and scripts/lib/nginx.sh disagree: $(diff "$N/envsubst.conf" "$N/ods-servers.conf" | head -5)"
	ods_t_ok "the documented envsubst command gives the same file"
fi

# The file `make` generates for installation (ops-manual ports, installed
# snippet directory): nginx -t with the snippets of the source tree.
built=${top_builddir:-$ODS_BUILD_DIR}/nginx/ods-servers.conf
if [ -f "$built" ]; then
	I=$ODS_STACK_DIR/installed
	mkdir -p "$I/logs"
	sed -e "s|include [^ ]*/\\([^/;]*\\);|include $ODS_ROOT/nginx/\\1;|" \
	    -e "s|listen \\*:\\([0-9]*\\)|listen 127.0.0.1:\\1|" "$built" \
	    >"$I/ods-servers.conf"
	cat >"$I/nginx.conf" <<EOT
pid $I/nginx.pid;
events { }
http {
	client_body_temp_path $I/body; fastcgi_temp_path $I/fastcgi;
	proxy_temp_path $I/proxy; uwsgi_temp_path $I/uwsgi; scgi_temp_path $I/scgi;
	include $I/ods-servers.conf;
}
EOT
	out=$(nginx -q -t -p "$I/" -e "$I/logs/error.log" -c "$I/nginx.conf" 2>&1) ||
	    ods_t_fail "nginx -t on the installable ods-servers.conf: $out"
	grep -q 'listen \*:8080 ' "$built" && grep -q 'listen \*:8081 ' "$built" &&
	    grep -q 'listen \*:8000 ' "$built" && grep -q 'listen \*:8082 ' "$built" ||
	    ods_t_fail "the installable configuration does not use 8080/8081/8000/8082"
	ods_t_ok "the installable ods-servers.conf passes nginx -t"
else
	ods_t_fail "$built was not generated by make"
fi

# One server only (a Kubernetes pod runs one pool): ODS_NGINX_SERVERS.
for one in data agent proxy worker; do
	(
		ODS_NGINX_SERVERS=$one
		ods_nginx_generate "$ODS_STACK_DIR/only-$one" &&
		    ods_nginx_test "$ODS_STACK_DIR/only-$one"
	) >"$ODS_STACK_DIR/only-$one.out" 2>&1 ||
	    ods_t_fail "ODS_NGINX_SERVERS=$one: $(cat "$ODS_STACK_DIR/only-$one.out")"
	n=$(grep -c '^[[:space:]]*listen ' "$ODS_STACK_DIR/only-$one/ods-servers.conf")
	ods_expect_eq "$n" 1 "ODS_NGINX_SERVERS=$one gives one server that passes nginx -t"
done
port=$(grep -o 'listen [^;]*' "$ODS_STACK_DIR/only-proxy/ods-servers.conf")
ods_expect_eq "$port" "listen 127.0.0.1:$ODS_PROXY_PORT backlog=4096" "the proxy-only server listens on ODS_PROXY_PORT"

# Bad settings are refused before nginx sees them.
refuse() { # VAR=VALUE description
	# shellcheck disable=SC2163
	if (export "$1"; ods_nginx_generate "$ODS_STACK_DIR/bad") 2>/dev/null; then
		ods_t_fail "accepted $2 ($1)"
	fi
	ods_t_ok "refuses $2"
}
refuse 'ODS_METRICS_ALLOW=1.2.3.4; deny all' "an allow-list entry with ';'"
refuse 'ODS_METRICS_ALLOW=10.0.0.0/8/8' "a malformed CIDR"
refuse 'ODS_DATA_PORT=99999' "a port out of range"
refuse 'ODS_AGENT_PORT=80a' "a port that is not a number"
refuse 'ODS_MAX_BODY_BYTES=12x' "a body size that is not a size"
refuse 'ODS_MAX_UPLOAD_BYTES=1g;' "an upload size that is not a size"
refuse 'ODS_DATA_SOCK=relative.sock' "a relative socket path"
refuse 'ODS_PROXY_SOCK=/tmp/a;b.sock' "a socket path with ';'"
refuse 'ODS_NGINX_SERVERS=data admin' "an unknown server name"

ods_t_end
