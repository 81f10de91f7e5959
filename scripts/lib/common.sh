# scripts/lib/common.sh — small helpers shared by scripts/run, scripts/test,
# tests/lib/*.sh and the benchmarks.  Source it from bash; it sets no shell
# options and defines only ods_* names.

# The repository root (the directory holding configure.ac).
ODS_ROOT=${ODS_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}

ods_say() {
	printf '%s %s\n' "[$(date +%H:%M:%S)]" "$*" >&2
}

ods_die() {
	printf 'error: %s\n' "$*" >&2
	exit 1
}

# ods_have CMD: true when CMD is on PATH (sbin included: we run as root).
ods_have() {
	PATH=$PATH:/usr/sbin:/sbin command -v "$1" >/dev/null 2>&1
}

# ods_secret [N]: N (default 24) random alphanumeric characters.
ods_secret() {
	local n=${1:-24} s=
	while [ "${#s}" -lt "$n" ]; do
		s=$s$(head -c 64 /dev/urandom | tr -dc 'A-Za-z0-9')
	done
	printf '%s\n' "${s:0:$n}"
}

# ods_url_redact URL: URL without user:password@ (for the terminal and logs).
ods_url_redact() {
	printf '%s\n' "$1" | sed -E 's#^([a-z]+://)[^/@]*@#\1#'
}

# ods_port_busy PORT: true when something listens on 127.0.0.1:PORT or
# on a wildcard address with that port.
ods_port_busy() {
	local hex
	hex=$(printf '%04X' "$1")
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
	    awk -v h="$hex" '$4 == "0A" && substr($2, length($2) - 3) == h \
	    { f = 1 } END { exit !f }'
}

# ods_pick_port VAR: set VAR to a TCP port nobody listens on, never the same
# twice in one shell (so services picked in a row do not collide).  The
# range (ODS_PORT_MIN..ODS_PORT_MAX, default 20000..32000) stays below the
# ephemeral range (32768-60999) of outgoing sockets.
ods_pick_port() {
	local p lo=${ODS_PORT_MIN:-20000} hi=${ODS_PORT_MAX:-32000}
	for _ in $(seq 1 500); do
		p=$((lo + RANDOM % (hi - lo + 1)))
		case " ${ODS_PORTS_TAKEN:-} " in *" $p "*) continue ;; esac
		ods_port_busy "$p" && continue
		ODS_PORTS_TAKEN="${ODS_PORTS_TAKEN:-} $p"
		printf -v "$1" '%s' "$p"
		return 0
	done
	ods_die "no free TCP port found"
}

# ods_wait_until TIMEOUT_S CMD...: run CMD every 50 ms until it succeeds;
# false after TIMEOUT_S seconds.
ods_wait_until() {
	local t=$1 end
	shift
	end=$(($(date +%s%N) + t * 1000000000))
	until "$@"; do
		[ "$(date +%s%N)" -lt "$end" ] || return 1
		sleep 0.05
	done
}

# ods_pid_alive PID: true while PID exists and is not a zombie.
ods_pid_alive() {
	local st
	[ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
	st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$st" ] && [ "$st" != Z ]
}

# ods_stop_pid PID [SIGNAL] [TIMEOUT_S]: send SIGNAL (TERM), wait up to
# TIMEOUT_S (10) for the process to go, then SIGKILL it.
ods_stop_pid() {
	local pid=$1 sig=${2:-TERM} t=${3:-10}
	ods_pid_alive "$pid" || return 0
	kill -s "$sig" "$pid" 2>/dev/null || return 0
	if ! ods_wait_until "$t" eval "! ods_pid_alive $pid"; then
		ods_say "pid $pid ignored SIG$sig for ${t}s: SIGKILL"
		kill -KILL "$pid" 2>/dev/null
		ods_wait_until 5 eval "! ods_pid_alive $pid"
	fi
	# reap it when it is our child
	wait "$pid" 2>/dev/null || true
}

# ods_children PID: the pids of PID's direct children, one per line.
ods_children() {
	local f
	for f in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		ods_pid_alive "$f" && printf '%s\n' "$f"
	done
	return 0
}
