# scripts/lib/nginx.sh — generate, check, start and stop the nginx in front
# of the pools.  Needs scripts/lib/common.sh.
#
# The configuration comes from nginx/*.template, rendered by nginx/render.sh
# (as the build renders the installable ods-servers.conf) over an explicit
# list of ${ODS_...} names (nginx's own $variables are left alone), and
# includes the static snippets of nginx/ by absolute path.

# Names substituted in the templates, in this order.
ODS_NGINX_VARS='ODS_BIND ODS_DATA_PORT ODS_AGENT_PORT ODS_PROXY_PORT
ODS_WORKER_PORT ODS_DATA_SOCK ODS_AGENT_SOCK ODS_PROXY_SOCK ODS_WORKER_SOCK
ODS_MAX_BODY_BYTES ODS_MAX_UPLOAD_BYTES ODS_METRICS_ALLOW_RULES ODS_NGINX_SNIPPETS
ODS_NGINX_PREFIX
ODS_NGINX_USER_LINE ODS_NGINX_WORKERS ODS_NGINX_ACCESS_LOG'

# ods_metrics_allow_rules: "allow 127.0.0.1; allow ::1;" plus one allow per
# address or CIDR of ODS_METRICS_ALLOW (comma or space separated).
ods_metrics_allow_rules() {
	local out='allow 127.0.0.1; allow ::1;' a
	for a in $(printf '%s' "${ODS_METRICS_ALLOW:-}" | tr ',' ' '); do
		case $a in
		*[!0-9A-Fa-f.:/]* | '' | /* | */*/*)
			ods_die "ODS_METRICS_ALLOW: '$a' is not an address or CIDR" ;;
		esac
		out="$out allow $a;"
	done
	printf '%s\n' "$out"
}

# ods_nginx_check_vars: refuse values that would break or inject into the
# generated configuration.
ods_nginx_check_vars() {
	local v
	for v in ODS_DATA_PORT ODS_AGENT_PORT ODS_PROXY_PORT ODS_WORKER_PORT; do
		case ${!v} in
		'' | *[!0-9]*) ods_die "$v='${!v}' is not a port number" ;;
		esac
		[ "${!v}" -ge 1 ] && [ "${!v}" -le 65535 ] ||
		    ods_die "$v=${!v} is out of range 1..65535"
	done
	for v in ODS_MAX_BODY_BYTES ODS_MAX_UPLOAD_BYTES; do
		case ${!v} in
		'' | *[!0-9kKmMgG]* | [kKmMgG]* | *[kKmMgG]?*)
			ods_die "$v='${!v}' is not a size (bytes, optional k/m/g)" ;;
		esac
	done
	case $ODS_BIND in
	'' | *[!0-9A-Za-z.:\[\]*-]*) ods_die "ODS_BIND='$ODS_BIND' is not an address" ;;
	esac
	case $ODS_NGINX_WORKERS in
	auto) ;;
	'' | *[!0-9]*) ods_die "ODS_NGINX_WORKERS='$ODS_NGINX_WORKERS' is not a number or auto" ;;
	esac
	for v in ODS_DATA_SOCK ODS_AGENT_SOCK ODS_PROXY_SOCK ODS_WORKER_SOCK \
	    ODS_NGINX_SNIPPETS ODS_NGINX_PREFIX; do
		case ${!v} in
		/*) ;;
		*) ods_die "$v='${!v}' must be an absolute path" ;;
		esac
		case ${!v} in
		*[[:space:]\;\{\}\'\"\$\#\|\&\\]*)
			ods_die "$v='${!v}': spaces and ;{}'\"\$#|&\\ are not allowed" ;;
		esac
	done
}

# ods_nginx_render TEMPLATE OUT: substitute the ODS_NGINX_VARS into TEMPLATE
# (nginx/render.sh; it refuses a placeholder left unsubstituted).
ods_nginx_render() {
	local args=() v
	for v in $ODS_NGINX_VARS; do
		args+=("$v=${!v-}")
	done
	if ! sh "$ODS_ROOT/nginx/render.sh" "$1" "${args[@]}" >"$2.tmp"; then
		rm -f "$2.tmp"
		ods_die "$2: cannot render $1"
	fi
	mv "$2.tmp" "$2"
}

# ods_nginx_select FILE: keep only the servers named in ODS_NGINX_SERVERS
# (data, agent, proxy, worker; default all four), e.g. one pool per
# Kubernetes pod.
ods_nginx_select() {
	local want=${ODS_NGINX_SERVERS:-data agent proxy worker} w
	want=$(printf '%s' "$want" | tr ',' ' ')
	for w in $want; do
		case $w in
		data | agent | proxy | worker) ;;
		*) ods_die "ODS_NGINX_SERVERS: unknown server '$w' (data, agent, proxy, worker)" ;;
		esac
	done
	[ -n "${want// /}" ] || ods_die "ODS_NGINX_SERVERS names no server"
	awk -v want=" $want " '
	    /^# >>> server / { skip = index(want, " " $4 " ") == 0 }
	    !skip { print }
	    /^# <<< server / { skip = 0 }' "$1" >"$1.tmp" && mv "$1.tmp" "$1"
}

# ods_nginx_generate PREFIX: write PREFIX/nginx.conf and
# PREFIX/ods-servers.conf.  Reads ODS_BIND (127.0.0.1), ODS_DATA_PORT,
# ODS_AGENT_PORT, ODS_PROXY_PORT, ODS_WORKER_PORT, ODS_DATA_SOCK,
# ODS_AGENT_SOCK, ODS_PROXY_SOCK, ODS_WORKER_SOCK, ODS_MAX_BODY_BYTES
# (33554432), ODS_MAX_UPLOAD_BYTES (1073741824, the upload and store
# locations), ODS_METRICS_ALLOW,
# ODS_NGINX_WORKERS (auto), ODS_ACCESS_LOG (off or a path; default
# PREFIX/logs/access.log, JSON lines),
# ODS_NGINX_SNIPPETS (the source tree's nginx/), ODS_NGINX_SERVERS (which
# servers: "data agent proxy worker").
ods_nginx_generate() {
	local prefix=$1
	mkdir -p "$prefix/logs" "$prefix/tmp"
	ODS_NGINX_PREFIX=$prefix
	ODS_BIND=${ODS_BIND:-127.0.0.1}
	# ods-worker's server: its port and a socket beside the data pool's
	# unless named (callers from before it existed name neither).
	ODS_WORKER_PORT=${ODS_WORKER_PORT:-8082}
	ODS_WORKER_SOCK=${ODS_WORKER_SOCK:-$(dirname "${ODS_DATA_SOCK:-/run/ods/data.sock}")/worker.sock}
	ODS_MAX_BODY_BYTES=${ODS_MAX_BODY_BYTES:-33554432}
	ODS_MAX_UPLOAD_BYTES=${ODS_MAX_UPLOAD_BYTES:-1073741824}
	ODS_NGINX_WORKERS=${ODS_NGINX_WORKERS:-auto}
	ODS_NGINX_SNIPPETS=${ODS_NGINX_SNIPPETS:-$ODS_ROOT/nginx}
	ODS_NGINX_SNIPPETS=$(cd "$ODS_NGINX_SNIPPETS" && pwd) ||
	    ods_die "no nginx snippets directory"
	ods_nginx_check_vars
	ODS_METRICS_ALLOW_RULES=$(ods_metrics_allow_rules) || return 1
	case ${ODS_ACCESS_LOG:-} in
	'') ODS_NGINX_ACCESS_LOG="$prefix/logs/access.log ods_json" ;;
	off) ODS_NGINX_ACCESS_LOG=off ;;
	/*) ODS_NGINX_ACCESS_LOG="$ODS_ACCESS_LOG ods_json" ;;
	*) ods_die "ODS_ACCESS_LOG must be off or an absolute path" ;;
	esac
	ODS_NGINX_USER_LINE=$(ods_nginx_user_line "$prefix")
	ods_nginx_render "$ODS_NGINX_SNIPPETS/ods-servers.conf.template" \
	    "$prefix/ods-servers.conf" &&
	ods_nginx_select "$prefix/ods-servers.conf" &&
	ods_nginx_render "$ODS_NGINX_SNIPPETS/nginx.conf.template" \
	    "$prefix/nginx.conf"
}

# ods_nginx_user_line PREFIX: nginx's workers run as nobody when the master
# is root.  They must reach the unix sockets and the temp paths: when
# nobody cannot traverse to PREFIX, run the workers as root instead (a
# local development stack only; the installed snippets leave this to the
# host's nginx.conf).
ods_nginx_user_line() {
	if [ "$(id -u)" != 0 ]; then
		printf '# (not root: workers run as the invoking user)\n'
	elif runuser -u nobody -- test -x "$1" 2>/dev/null &&
	    runuser -u nobody -- test -x "$(dirname "$ODS_DATA_SOCK")" 2>/dev/null; then
		printf 'user nobody nogroup;\n'
	else
		printf 'user root root;  # nobody cannot reach %s\n' "$1"
	fi
}

# ods_nginx_test PREFIX: nginx -t on the generated configuration.
ods_nginx_test() {
	nginx -q -t -p "$1/" -e "$1/logs/error.log" -c "$1/nginx.conf"
}

# ods_nginx_start PREFIX: start nginx in the foreground of a background job
# (daemon off), wait until it writes its pid file.  Sets ODS_NGINX_PID.
ods_nginx_start() {
	local prefix=$1
	rm -f "$prefix/nginx.pid"
	setsid nginx -p "$prefix/" -e "$prefix/logs/error.log" \
	    -c "$prefix/nginx.conf" -g 'daemon off;' </dev/null >>"$prefix/logs/nginx.out" 2>&1 &
	ODS_NGINX_PID=$!
	if ! ods_wait_until 10 test -s "$prefix/nginx.pid"; then
		cat "$prefix/logs/error.log" "$prefix/logs/nginx.out" >&2 2>/dev/null
		ods_die "nginx did not start"
	fi
}

# ods_nginx_reload PREFIX: SIGHUP (re-read the configuration).
ods_nginx_reload() {
	kill -HUP "$(cat "$1/nginx.pid")"
}

# ods_nginx_stop PREFIX: graceful stop (SIGQUIT), SIGKILL after 10 s.
ods_nginx_stop() {
	local pid
	pid=${ODS_NGINX_PID:-$(cat "$1/nginx.pid" 2>/dev/null)}
	[ -n "$pid" ] && ods_stop_pid "$pid" QUIT 10
	ODS_NGINX_PID=
}
