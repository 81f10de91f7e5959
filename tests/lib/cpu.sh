# tests/lib/cpu.sh — CPU time per request of a stack's processes, from
# /proc/<pid>/stat (utime + stime), for the benchmarks: perf-anchors.md
# compares servers by CPU µs per request, which noisy neighbours disturb
# far less than requests per second.
#
# ods_cpu_snap DIR FILE: "pid comm ticks" of every process started for
# the stack in DIR (ODS_STACK_DIR in its environment or DIR on its
# command line) into FILE.
ods_cpu_snap() {
	local dir=$1 out=$2 p
	: >"$out"
	for p in /proc/[0-9]*; do
		{ tr '\0' '\n' <"$p/environ" | grep -qx "ODS_STACK_DIR=$dir" ||
		    tr '\0' ' ' <"$p/cmdline" | grep -qF "$dir"; } 2>/dev/null || continue
		awk -v pid="${p#/proc/}" '{
			i = index($0, "("); j = index($0, ")")
			comm = substr($0, i + 1, j - i - 1)
			split(substr($0, j + 2), f, " ")
			print pid, comm, f[12] + f[13]
		}' "$p/stat" 2>/dev/null >>"$out"
	done
}

# ods_cpu_add A B TOTALS: add the ticks each command used between the
# snapshots A and B to the "comm ticks" lines of TOTALS.
ods_cpu_add() {
	{ join <(sort "$1") <(sort "$2") | awk '{ print $2, $5 - $3 }'
	  cat "$3" 2>/dev/null || true; } |
	    awk '{ t[$1] += $2 } END { for (k in t) print k, t[k] }' >"$3.new"
	mv "$3.new" "$3"
}

# ods_cpu_per_req TOTALS REQUESTS COMM...: µs of CPU per request of each
# COMM (0 when absent), space-separated.
ods_cpu_per_req() {
	local f=$1 n=$2 c out=""
	shift 2
	local hz
	hz=$(getconf CLK_TCK)
	for c in "$@"; do
		out="$out $(awk -v c="$c" -v n="$n" -v hz="$hz" \
		    '$1 == c { v = $2 } END { printf "%.1f", n ? v * 1e6 / hz / n : 0 }' "$f")"
	done
	echo "${out# }"
}
