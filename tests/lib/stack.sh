# tests/lib/stack.sh — a whole ONE-DATA-STUDIO stack in one state directory:
# MariaDB, Redis, the three FastCGI pools, ods-worker (background jobs) and
# nginx, on free ports, with no systemd.  Used by the integration tests,
# scripts/test and scripts/run.
#
# Source it from bash.  Everything lives under ODS_STACK_DIR ($S below):
#   $S/db        MariaDB datadir        $S/redis  Redis working directory
#   $S/run       sockets and pid files  $S/log    every service's log
#   $S/nginx     nginx prefix           $S/data   ODS_DATA_DIR of the pools
#   $S/secrets   generated passwords (mode 0600)
#
# Inputs (all optional): ODS_BUILD_DIR (the build tree; default
# $top_builddir, else ./var/build), ODS_DATA_PORT, ODS_AGENT_PORT,
# ODS_PROXY_PORT, ODS_WORKER_PORT (free ports when unset), ODS_DB_PORT,
# ODS_REDIS_PORT (free ports when unset), ODS_POOL_WORKERS (2),
# ODS_<POOL>_WORKERS and
# ODS_<POOL>_THREADS (POOL = DATA, AGENT, PROXY or WORKER; ods-worker's
# concurrent jobs are ODS_WORKER_CONCURRENCY), ODS_POOL_ARGS (an array
# of extra arguments for every pool), ODS_DB_GRANT (the database pattern
# the application user may use; default the database).
#
# Every service runs in its own session (setsid), so a Ctrl-C on the
# terminal reaches only the calling script, which stops them in order.
#
# ods_s3_start adds s3rver (the tests' S3) on a free port.
#
# Outputs (exported): ODS_DATA_URL, ODS_AGENT_URL, ODS_PROXY_URL,
# ODS_WORKER_URL, ODS_TEST_DB_DSN, ODS_TEST_REDIS_URL, MYSQL_HOST/PORT/USER/PASSWORD/DATABASE,
# REDIS_URL, ODS_DATA_DIR; pid files $S/run/<pool>.pid, $S/run/mysqld.pid,
# $S/run/redis.pid, $S/nginx/nginx.pid.

_ods_stack_lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$_ods_stack_lib/../../scripts/lib/common.sh"
. "$_ods_stack_lib/../../scripts/lib/nginx.sh"

ODS_POOLS='data agent proxy worker'

# ods_stack_init [DIR]: use DIR (created if needed) or a new temporary
# directory as the state directory; sets and exports ODS_STACK_DIR.
ods_stack_init() {
	if [ -n "${1:-}" ]; then
		mkdir -p "$1" || ods_die "cannot create $1"
		ODS_STACK_DIR=$(cd "$1" && pwd)
		ODS_STACK_TEMP=0
	else
		ODS_STACK_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ods-stack.XXXXXX") ||
		    ods_die "mktemp failed"
		ODS_STACK_TEMP=1
	fi
	export ODS_STACK_DIR
	local d
	for d in run log redis nginx data; do
		mkdir -p "$ODS_STACK_DIR/$d"
	done
	mkdir -p "$ODS_STACK_DIR/secrets"
	chmod 0700 "$ODS_STACK_DIR/secrets"
	# nginx's workers (nobody) connect to the sockets under run/.
	chmod 0755 "$ODS_STACK_DIR" "$ODS_STACK_DIR/run"
	ODS_RUN_DIR=$ODS_STACK_DIR/run
	# sun_path holds 108 bytes: keep the sockets short.
	if [ "${#ODS_RUN_DIR}" -gt 90 ]; then
		ODS_RUN_DIR=$(mktemp -d /tmp/ods-run.XXXXXX)
		chmod 0755 "$ODS_RUN_DIR"
		ln -sfn "$ODS_RUN_DIR" "$ODS_STACK_DIR/run.sockets"
	fi
	export ODS_RUN_DIR
	ODS_BUILD_DIR=${ODS_BUILD_DIR:-${top_builddir:-$ODS_ROOT/var/build}}
	export ODS_BUILD_DIR
}

# ods_stack_secret NAME: a password kept in $S/secrets/NAME (made once).
ods_stack_secret() {
	local f=$ODS_STACK_DIR/secrets/$1
	if [ ! -s "$f" ]; then
		(umask 077 && ods_secret 24 >"$f")
	fi
	cat "$f"
}

# ---------------------------------------------------------------- MariaDB

# root over the unix socket (the clients would follow MYSQL_HOST and
# MYSQL_PORT from the environment otherwise).
_ods_db_admin() {
	env -u MYSQL_HOST -u MYSQL_TCP_PORT -u MYSQL_PWD mariadb-admin \
	    --no-defaults --protocol=socket \
	    --socket="$ODS_RUN_DIR/mysqld.sock" -uroot "$@"
}

# ods_db_sql [ARGS...]: the mariadb client as root over the socket.
ods_db_sql() {
	env -u MYSQL_HOST -u MYSQL_TCP_PORT -u MYSQL_PWD mariadb --no-defaults \
	    --protocol=socket --socket="$ODS_RUN_DIR/mysqld.sock" -uroot \
	    --batch --skip-column-names "$@"
}

# ods_db_init: create the MariaDB datadir once (no-op when it exists).
ods_db_init() {
	local db=$ODS_STACK_DIR/db
	[ -d "$db/mysql" ] && return 0
	ods_say "initialising MariaDB in $db"
	# A tmpdir of its own: a mariadbd starting elsewhere removes the
	# #sql-* files it finds in its tmpdir, a shared /tmp included, and a
	# bootstrap running beside it then fails.
	mkdir -p "$ODS_STACK_DIR/dbtmp"
	mariadb-install-db --no-defaults --datadir="$db" --user="$(id -un)" \
	    --tmpdir="$ODS_STACK_DIR/dbtmp" \
	    --skip-test-db --auth-root-authentication-method=socket \
	    >"$ODS_STACK_DIR/log/mariadb-install.log" 2>&1 || {
		cat "$ODS_STACK_DIR/log/mariadb-install.log" >&2
		ods_die "mariadb-install-db failed"
	}
}

# ods_db_start: start mariadbd on 127.0.0.1:ODS_DB_PORT (picked once and
# kept in $S/run/mysqld.port so that a restart reuses it), wait until it
# answers, create the database and the application user.
ods_db_start() {
	local pf=$ODS_STACK_DIR/run/mysqld.port
	if [ -z "${ODS_DB_PORT:-}" ]; then
		if [ -s "$pf" ] && ! ods_port_busy "$(cat "$pf")"; then
			ODS_DB_PORT=$(cat "$pf")
		else
			ods_pick_port ODS_DB_PORT
		fi
	fi
	echo "$ODS_DB_PORT" >"$pf"
	# shellcheck disable=SC2086
	mkdir -p "$ODS_STACK_DIR/dbtmp"
	setsid mariadbd --no-defaults --datadir="$ODS_STACK_DIR/db" \
	    --tmpdir="$ODS_STACK_DIR/dbtmp" \
	    --socket="$ODS_RUN_DIR/mysqld.sock" --port="$ODS_DB_PORT" \
	    --bind-address=127.0.0.1 --user="$(id -un)" --skip-name-resolve \
	    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
	    --max-connections=500 --pid-file="$ODS_STACK_DIR/run/mysqld.pid" \
	    --log-error="$ODS_STACK_DIR/log/mysqld.err" ${ODS_DB_EXTRA_ARGS:-} \
	    </dev/null >/dev/null 2>&1 &
	ODS_DB_PID=$!
	if ! ods_wait_until 60 _ods_db_ready; then
		tail -20 "$ODS_STACK_DIR/log/mysqld.err" >&2
		ods_die "MariaDB did not start"
	fi
	ods_db_setup
}

_ods_db_ready() {
	ods_pid_alive "$ODS_DB_PID" || ods_die "mariadbd exited: see $ODS_STACK_DIR/log/mysqld.err"
	_ods_db_admin ping >/dev/null 2>&1
}

# ods_db_setup: the database (utf8mb4) and the application user, over TCP
# from 127.0.0.1 and over the socket; idempotent, and (re)sets the password.
ods_db_setup() {
	local db=${MYSQL_DATABASE:-one_data_studio} user=${MYSQL_USER:-ods}
	local pw grant h
	pw=${MYSQL_PASSWORD:-$(ods_stack_secret mysql)}
	grant=${ODS_DB_GRANT:-$db}
	pw=${pw//\\/\\\\}
	pw=${pw//\'/\\\'}
	{
		printf 'CREATE DATABASE IF NOT EXISTS `%s` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;\n' "$db"
		for h in 127.0.0.1 localhost; do
			printf "CREATE USER IF NOT EXISTS '%s'@'%s' IDENTIFIED BY '%s';\n" "$user" "$h" "$pw"
			printf "ALTER USER '%s'@'%s' IDENTIFIED BY '%s';\n" "$user" "$h" "$pw"
			printf "GRANT ALL PRIVILEGES ON \`%s\`.* TO '%s'@'%s';\n" "$grant" "$user" "$h"
		done
	} | ods_db_sql || ods_die "cannot create the database and user"
}

# ods_db_stop: clean shutdown (SIGTERM), waiting for mariadbd to exit.
ods_db_stop() {
	local pid=${ODS_DB_PID:-$(cat "$ODS_STACK_DIR/run/mysqld.pid" 2>/dev/null)}
	[ -n "$pid" ] && ods_stop_pid "$pid" TERM 60
	ODS_DB_PID=
}

# ods_db_pause / ods_db_resume: freeze mariadbd (SIGSTOP) so that queries
# hang until the client's read timeout, then thaw it.
ods_db_pause() {
	kill -STOP "${ODS_DB_PID:-$(cat "$ODS_STACK_DIR/run/mysqld.pid")}"
}
ods_db_resume() {
	kill -CONT "${ODS_DB_PID:-$(cat "$ODS_STACK_DIR/run/mysqld.pid")}"
}

# ------------------------------------------------------------------ Redis

# ods_redis_start: redis-server on 127.0.0.1:ODS_REDIS_PORT, no persistence,
# as production runs it: the default user is off and the services log in as
# the ACL user "ods" with the password in $S/secrets/redis (REDIS_URL
# redis://ods:PASSWORD@...).  Redis holds rate limits and JWKS digests:
# nobody without the password may write them.
ods_redis_start() {
	local pw
	pw=$(ods_stack_secret redis)
	local pf=$ODS_STACK_DIR/run/redis.port
	if [ -z "${ODS_REDIS_PORT:-}" ]; then
		if [ -s "$pf" ] && ! ods_port_busy "$(cat "$pf")"; then
			ODS_REDIS_PORT=$(cat "$pf")
		else
			ods_pick_port ODS_REDIS_PORT
		fi
	fi
	echo "$ODS_REDIS_PORT" >"$pf"
	setsid redis-server --bind 127.0.0.1 --port "$ODS_REDIS_PORT" --save '' \
	    --unixsocket "$ODS_RUN_DIR/redis.sock" --unixsocketperm 700 \
	    --appendonly no --dir "$ODS_STACK_DIR/redis" --daemonize no \
	    --pidfile "$ODS_STACK_DIR/run/redis.pid" \
	    --logfile "$ODS_STACK_DIR/log/redis.log" \
	    --user default off --user ods on ">$pw" '~*' '&*' '+@all' \
	    </dev/null >/dev/null 2>&1 &
	ODS_REDIS_PID=$!
	ods_wait_until 20 _ods_redis_ready || ods_die "Redis did not start"
}

_ods_redis_ready() {
	ods_pid_alive "$ODS_REDIS_PID" || ods_die "redis-server exited: see $ODS_STACK_DIR/log/redis.log"
	[ "$(ods_redis_cli ping 2>/dev/null)" = PONG ]
}

# ods_redis_cli ARGS...: redis-cli on the stack's Redis, logged in (the
# password goes through the environment, not the command line).
ods_redis_cli() {
	REDISCLI_AUTH=$(ods_stack_secret redis) redis-cli -h 127.0.0.1 \
	    -p "$ODS_REDIS_PORT" --user ods "$@"
}

ods_redis_stop() {
	local pid=${ODS_REDIS_PID:-$(cat "$ODS_STACK_DIR/run/redis.pid" 2>/dev/null)}
	[ -n "$pid" ] && ods_stop_pid "$pid" TERM 20
	ODS_REDIS_PID=
}

# ------------------------------------------------------------ S3 (s3rver)

# s3rver (npm, a real S3 API on a directory) stands in for MinIO/S3 in the
# tests: its default credentials are S3RVER/S3RVER, and it checks SigV4.
ODS_S3RVER_PKG='s3rver@3.7.1'
ODS_S3_TEST_BUCKET=ods-test

# ods_s3_start: s3rver on 127.0.0.1:ODS_S3_PORT (free when unset) with the
# bucket ODS_S3_TEST_BUCKET, data in $S/s3; exports ODS_TEST_S3_ENDPOINT
# (http://127.0.0.1:PORT) and ODS_TEST_S3_BUCKET.
ods_s3_start() {
	. "$_ods_stack_lib/../openapi/lib.sh"
	ods_npm_tools s3rver "$ODS_S3RVER_PKG" || ods_die "cannot install s3rver"
	[ -n "${ODS_S3_PORT:-}" ] || ods_pick_port ODS_S3_PORT
	mkdir -p "$ODS_STACK_DIR/s3"
	# Its ListObjectsV2 tokens use DES: OpenSSL 3 has it in the legacy
	# provider only (a 500 on every truncated page without it).
	setsid node --openssl-legacy-provider "$ODS_NPM_MODULES/.bin/s3rver" -d "$ODS_STACK_DIR/s3" \
	    -a 127.0.0.1 -p "$ODS_S3_PORT" --silent --no-vhost-buckets \
	    --configure-bucket "$ODS_S3_TEST_BUCKET" \
	    </dev/null >>"$ODS_STACK_DIR/log/s3rver.log" 2>&1 &
	ODS_S3_PID=$!
	echo "$ODS_S3_PID" >"$ODS_STACK_DIR/run/s3rver.pid"
	ods_wait_until 30 _ods_s3_ready || {
		tail -20 "$ODS_STACK_DIR/log/s3rver.log" >&2
		ods_die "s3rver did not start"
	}
	export ODS_TEST_S3_ENDPOINT=http://127.0.0.1:$ODS_S3_PORT
	export ODS_TEST_S3_BUCKET=$ODS_S3_TEST_BUCKET
}

_ods_s3_ready() {
	ods_pid_alive "$ODS_S3_PID" || ods_die "s3rver exited: see $ODS_STACK_DIR/log/s3rver.log"
	[ "$(ods_http_code "http://127.0.0.1:$ODS_S3_PORT/")" != 000 ]
}

# ods_s3_env: point the programs at the test s3rver (MINIO_* variables).
ods_s3_env() {
	export MINIO_ENDPOINT=$ODS_TEST_S3_ENDPOINT MINIO_ACCESS_KEY=S3RVER \
	    MINIO_SECRET_KEY=S3RVER MINIO_BUCKET=$ODS_TEST_S3_BUCKET
}

ods_s3_stop() {
	local pid=${ODS_S3_PID:-$(cat "$ODS_STACK_DIR/run/s3rver.pid" 2>/dev/null)}
	[ -n "$pid" ] && ods_stop_pid "$pid" TERM 20
	ODS_S3_PID=
}

# ods_stack_env: export what the services and the tests read.  External
# servers named by the caller (MYSQL_HOST, REDIS_URL) are kept as given.
ods_stack_env() {
	export MYSQL_HOST=${MYSQL_HOST:-127.0.0.1}
	export MYSQL_PORT=${MYSQL_PORT:-$ODS_DB_PORT}
	export MYSQL_USER=${MYSQL_USER:-ods}
	export MYSQL_PASSWORD=${MYSQL_PASSWORD:-$(ods_stack_secret mysql)}
	export MYSQL_DATABASE=${MYSQL_DATABASE:-one_data_studio}
	export REDIS_URL=${REDIS_URL:-redis://ods:$(ods_stack_secret redis)@127.0.0.1:$ODS_REDIS_PORT/0}
	export ODS_DATA_DIR=${ODS_DATA_DIR:-$ODS_STACK_DIR/data}
	export ODS_TEST_DB_DSN="mysql://$MYSQL_USER:$MYSQL_PASSWORD@$MYSQL_HOST:$MYSQL_PORT/$MYSQL_DATABASE"
	export ODS_TEST_REDIS_URL=$REDIS_URL
}

# ---------------------------------------------------------------- programs

# ods_bin NAME: path of a built program (data, agent, proxy, worker,
# odsctl); ODS_BIN_<NAME> (e.g. ODS_BIN_WORKER) names another one.
ods_bin() {
	local b v
	v=ODS_BIN_$(printf '%s' "$1" | tr a-z A-Z)
	if [ -n "${!v:-}" ]; then
		printf '%s\n' "${!v}"
		return 0
	fi
	case $1 in
	data) b=fcgi/data/ods-data-api ;;
	agent) b=fcgi/agent/ods-agent-api ;;
	proxy) b=fcgi/proxy/ods-openai-proxy ;;
	worker) b=fcgi/worker/ods-worker ;;
	odsctl) b=fcgi/odsctl/odsctl ;;
	*) ods_die "unknown program $1" ;;
	esac
	if [ -n "${ODS_SBIN_DIR:-}" ]; then
		printf '%s\n' "$ODS_SBIN_DIR/$(basename "$b")"
	else
		printf '%s\n' "$ODS_BUILD_DIR/$b"
	fi
}

# ods_migrate [ARGS...]: odsctl migrate --dir <sql>, with the stack's env.
ods_migrate() {
	local ctl
	ctl=$(ods_bin odsctl)
	[ -x "$ctl" ] || ods_die "$ctl is not built"
	"$ctl" migrate --dir "${ODS_SQL_DIR:-$ODS_ROOT/sql}" "$@"
}

# ods_pool_sock NAME / ods_pool_pidfile NAME
ods_pool_sock() { printf '%s\n' "$ODS_RUN_DIR/$1.sock"; }
ods_pool_pidfile() { printf '%s\n' "$ODS_STACK_DIR/run/$1.pid"; }

# ods_pool_start NAME [EXTRA ARGS...]: start a pool's master on a unix
# socket, logging to $S/log/NAME.log; waits until the master has written
# its pid file and the socket exists.
ods_pool_start() {
	local name=$1 bin up w t pidv
	shift
	bin=$(ods_bin "$name")
	[ -x "$bin" ] || ods_die "$bin is not built"
	up=$(printf '%s' "$name" | tr a-z A-Z)
	w=ODS_${up}_WORKERS
	t=ODS_${up}_THREADS
	local args=(--listen "unix:$(ods_pool_sock "$name")"
	    --workers "${!w:-${ODS_POOL_WORKERS:-2}}"
	    --pid-file "$(ods_pool_pidfile "$name")")
	[ -n "${!t:-}" ] && args+=(--threads "${!t}")
	# The socket is 0660: as root, nginx's workers (nobody:nogroup, see
	# ods_nginx_user_line) connect through the group.
	if [ "$(id -u)" = 0 ] && getent group nogroup >/dev/null; then
		args+=(--socket-group nogroup)
	fi
	rm -f "$(ods_pool_pidfile "$name")"
	setsid "$bin" "${args[@]}" ${ODS_POOL_ARGS[@]+"${ODS_POOL_ARGS[@]}"} \
	    "$@" </dev/null >>"$ODS_STACK_DIR/log/$name.log" 2>&1 &
	pidv=ODS_POOL_PID_$up
	printf -v "$pidv" '%s' "$!"
	if ! ods_wait_until 20 _ods_pool_ready "$name" "${!pidv}"; then
		tail -20 "$ODS_STACK_DIR/log/$name.log" >&2
		ods_die "pool $name did not start"
	fi
}

_ods_pool_ready() {
	ods_pid_alive "$2" || {
		tail -20 "$ODS_STACK_DIR/log/$1.log" >&2
		ods_die "pool $1 exited at start"
	}
	[ -S "$(ods_pool_sock "$1")" ] && [ -s "$(ods_pool_pidfile "$1")" ]
}

# ods_pool_master NAME: the master's pid (started by this shell).
ods_pool_master() {
	local up v
	up=$(printf '%s' "$1" | tr a-z A-Z)
	v=ODS_POOL_PID_$up
	[ -n "${!v:-}" ] || return 1
	printf '%s\n' "${!v}"
}

# ods_pool_workers NAME: the worker pids (children of the master).
ods_pool_workers() {
	ods_children "$(ods_pool_master "$1")"
}

# ods_proc_kb PID FIELD: a size field of /proc/PID/status in kB (VmRSS,
# VmHWM: the peak resident set since the process started); empty when
# PID is gone.
ods_proc_kb() {
	awk -v f="$2:" '$1 == f { print $2; exit }' "/proc/$1/status" 2>/dev/null || :
}

# ods_rss_watch_start FILE PID...: sample VmRSS of the PIDs every 50 ms in
# the background and keep the highest (kB, over all of them) in FILE;
# ods_rss_watch_stop ends it and sets ODS_RSS_PEAK to that peak (call it
# in this shell, not in a $(...): it clears the sampler's pid).
ods_rss_watch_start() {
	local f=$1
	shift
	echo 0 >"$f"
	(
		max=0
		while :; do
			for p in "$@"; do
				v=$(ods_proc_kb "$p" VmRSS)
				[ -n "$v" ] && [ "$v" -gt "$max" ] && max=$v
			done
			echo "$max" >"$f.new" && mv -f "$f.new" "$f"
			sleep 0.05
		done
	) &
	ODS_RSS_WATCH_PID=$!
	ODS_RSS_WATCH_FILE=$f
}

ods_rss_watch_stop() {
	ODS_RSS_PEAK=
	[ -n "${ODS_RSS_WATCH_PID:-}" ] || return 0
	kill "$ODS_RSS_WATCH_PID" 2>/dev/null || :
	wait "$ODS_RSS_WATCH_PID" 2>/dev/null || :
	ODS_RSS_WATCH_PID=
	ODS_RSS_PEAK=$(cat "$ODS_RSS_WATCH_FILE")
}

# ods_pool_stop NAME [SIGNAL] [TIMEOUT_S]: stop the master (SIGTERM: drain),
# then make sure none of its workers outlives it.
ods_pool_stop() {
	local m kids
	m=$(ods_pool_master "$1" 2>/dev/null) || return 0
	[ -n "$m" ] || return 0
	kids=$(ods_children "$m")
	ods_stop_pid "$m" "${2:-TERM}" "${3:-40}"
	for m in $kids; do
		ods_pid_alive "$m" && kill -KILL "$m" 2>/dev/null
	done
	local up
	up=$(printf '%s' "$1" | tr a-z A-Z)
	unset "ODS_POOL_PID_$up"
	rm -f "$(ods_pool_sock "$1")"
	return 0
}

# ----------------------------------------------------------------- nginx

# ods_stack_nginx_start: generate the configuration for the stack's ports and
# sockets, check it with nginx -t, start nginx.
ods_stack_nginx_start() {
	[ -n "${ODS_DATA_PORT:-}" ] || ods_pick_port ODS_DATA_PORT
	[ -n "${ODS_AGENT_PORT:-}" ] || ods_pick_port ODS_AGENT_PORT
	[ -n "${ODS_PROXY_PORT:-}" ] || ods_pick_port ODS_PROXY_PORT
	[ -n "${ODS_WORKER_PORT:-}" ] || ods_pick_port ODS_WORKER_PORT
	local p
	for p in "$ODS_DATA_PORT" "$ODS_AGENT_PORT" "$ODS_PROXY_PORT" \
	    "$ODS_WORKER_PORT"; do
		ods_port_busy "$p" && ods_die "port $p is already in use"
	done
	ODS_DATA_SOCK=$(ods_pool_sock data)
	ODS_AGENT_SOCK=$(ods_pool_sock agent)
	ODS_PROXY_SOCK=$(ods_pool_sock proxy)
	ODS_WORKER_SOCK=$(ods_pool_sock worker)
	ods_nginx_generate "$ODS_STACK_DIR/nginx"
	ods_nginx_test "$ODS_STACK_DIR/nginx" || ods_die "nginx -t failed"
	ods_nginx_start "$ODS_STACK_DIR/nginx"
	local host=$ODS_BIND
	case $host in 0.0.0.0 | '*' | '[::]') host=127.0.0.1 ;; esac
	export ODS_DATA_PORT ODS_AGENT_PORT ODS_PROXY_PORT ODS_WORKER_PORT
	export ODS_DATA_URL=http://$host:$ODS_DATA_PORT
	export ODS_AGENT_URL=http://$host:$ODS_AGENT_PORT
	export ODS_PROXY_URL=http://$host:$ODS_PROXY_PORT
	export ODS_WORKER_URL=http://$host:$ODS_WORKER_PORT
}

ods_stack_nginx_stop() {
	ods_nginx_stop "$ODS_STACK_DIR/nginx"
}

# ods_http_code URL: the HTTP status of GET URL (000 when no answer).
ods_http_code() {
	curl -s -o /dev/null -m 5 -w '%{http_code}' "$1" 2>/dev/null || true
}

_ods_http_is() {
	[ "$(ods_http_code "$1")" = "$2" ]
}

# ods_wait_http URL [STATUS] [TIMEOUT_S]: until GET URL answers STATUS (200).
ods_wait_http() {
	ods_wait_until "${3:-20}" _ods_http_is "$1" "${2:-200}"
}

# ----------------------------------------------------------- whole stack

# ods_stack_backends: MariaDB and Redis (unless MYSQL_HOST / REDIS_URL name
# servers of the caller's), the environment, and the migrations (unless
# ODS_STACK_MIGRATE=0).  Call ods_stack_init first.
ods_stack_backends() {
	if [ -z "${MYSQL_HOST:-}" ]; then
		ods_db_init
		ods_db_start
	fi
	[ -n "${REDIS_URL:-}" ] || ods_redis_start
	ods_stack_env
	if [ "${ODS_STACK_MIGRATE:-1}" != 0 ]; then
		ods_migrate >>"$ODS_STACK_DIR/log/migrate.log" 2>&1 || {
			cat "$ODS_STACK_DIR/log/migrate.log" >&2
			ods_die "migrations failed"
		}
	fi
}

# ods_stack_pools: the three pools and ods-worker.
ods_stack_pools() {
	local p
	for p in $ODS_POOLS; do
		ods_pool_start "$p"
	done
}

# ods_stack_pools_stop: drain and stop the pools (SIGTERM, 40 s).
ods_stack_pools_stop() {
	local p
	for p in $ODS_POOLS; do
		ods_pool_stop "$p" TERM 40
	done
}

# ods_stack_up: backends, pools and nginx; returns when every server's
# liveness answers 200 through nginx.
ods_stack_up() {
	ods_stack_backends
	ods_stack_pools
	ods_stack_nginx_start
	ods_stack_wait_live || ods_die "the stack did not become live"
}

# ods_stack_wait_live [TIMEOUT_S]: liveness 200 on every server nginx runs
# (ods-worker's when this shell started it).
ods_stack_wait_live() {
	local s
	for s in $(printf '%s' "${ODS_NGINX_SERVERS:-data agent proxy worker}" | tr ',' ' '); do
		case $s in
		# Only when this shell started it: tests that start their
		# pools one by one may leave ods-worker out.
		worker) ! ods_pool_master worker >/dev/null ||
		    ods_wait_http "$ODS_WORKER_URL/healthz" 200 "${1:-20}" ;;
		data) ods_wait_http "$ODS_DATA_URL/api/v1/healthz" 200 "${1:-20}" ;;
		agent) ods_wait_http "$ODS_AGENT_URL/api/v1/healthz" 200 "${1:-20}" ;;
		proxy) ods_wait_http "$ODS_PROXY_URL/healthz" 200 "${1:-20}" ;;
		esac || return 1
	done
}

# ods_stack_down: stop whatever this shell started (nginx, pools, worker, Redis,
# MariaDB) and remove a temporary state directory unless ODS_KEEP_STATE=1.
ods_stack_down() {
	[ -n "${ODS_STACK_DIR:-}" ] || return 0
	[ -n "${ODS_NGINX_PID:-}" ] && ods_stack_nginx_stop
	ods_stack_pools_stop
	[ -n "${ODS_REDIS_PID:-}" ] && ods_redis_stop
	[ -n "${ODS_S3_PID:-}" ] && ods_s3_stop
	if [ -n "${ODS_DB_PID:-}" ]; then
		ods_db_resume 2>/dev/null
		ods_db_stop
	fi
	if [ "${ODS_STACK_TEMP:-0}" = 1 ] && [ "${ODS_KEEP_STATE:-0}" != 1 ]; then
		[ "$ODS_RUN_DIR" != "$ODS_STACK_DIR/run" ] && rm -rf "$ODS_RUN_DIR"
		rm -rf "$ODS_STACK_DIR"
	fi
	ODS_STACK_DIR=
	return 0
}

# ods_stack_logs [N]: the last N (30) lines of every log, for a failure report.
ods_stack_logs() {
	local f
	for f in "$ODS_STACK_DIR"/log/*.log "$ODS_STACK_DIR"/log/*.err \
	    "$ODS_STACK_DIR"/nginx/logs/error.log; do
		[ -s "$f" ] || continue
		printf '==> %s <==\n' "$f" >&2
		tail -n "${1:-30}" "$f" >&2
	done
}
