# tests/lib/rss.sh — how much memory processes hold while something runs:
# for the streamed-upload checks (issue 13: a 1 GB upload through nginx
# keeps the worker's RSS under 64 MB) and the benchmarks.  Plain bash and
# /proc; needs scripts/lib/common.sh (ods_die) only for ods_upload_rss.

# ods_rss_kb PID: the resident set of PID in KiB (VmRSS), 0 when it is gone.
ods_rss_kb() {
	local v
	v=$(awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null)
	printf '%s\n' "${v:-0}"
}

# ods_peak_rss_during "PIDS" CMD...: run CMD (in the foreground) while
# sampling the RSS of each of PIDS every 50 ms; prints the largest sample of
# any one process in KiB ("peak_kb=N pid=P") on stdout, after CMD's own
# output, and returns CMD's status.  PIDS may be "self": the command itself
# (its first process) is sampled then.
ods_peak_rss_during() {
	local pids=$1 peak=0 ppid= rc s p
	shift
	"$@" &
	local cmd=$!
	[ "$pids" = self ] && pids=$cmd
	while kill -0 "$cmd" 2>/dev/null; do
		for p in $pids; do
			s=$(ods_rss_kb "$p")
			if [ "$s" -gt "$peak" ]; then
				peak=$s
				ppid=$p
			fi
		done
		sleep 0.05
	done
	wait "$cmd"
	rc=$?
	printf 'peak_kb=%s pid=%s\n' "$peak" "$ppid"
	return "$rc"
}

# ods_upload_rss "PIDS" URL FILE [FIELD] [CURL_ARGS...]: POST FILE as
# multipart/form-data (field FIELD, default "file") to URL with curl, while
# sampling PIDS (e.g. "$(ods_pool_workers data)"); prints
# "status=HTTP peak_kb=N pid=P".  The upload routes of issues 14/16 point
# it at themselves, e.g. with a 1 GB sparse file (truncate -s 1G):
#   r=$(ods_upload_rss "$(ods_pool_workers agent)" \
#       "$ODS_AGENT_URL/api/v1/documents/upload" "$big" file \
#       -H "Authorization: Bearer $tok")
#   peak=${r#*peak_kb=}; peak=${peak%% *}; [ "$peak" -lt 65536 ]
ods_upload_rss() {
	local pids=$1 url=$2 file=$3 field=${4:-file} code r
	shift 3
	[ $# -gt 0 ] && shift
	[ -r "$file" ] || ods_die "ods_upload_rss: cannot read $file"
	code=$(mktemp)
	r=$(ods_peak_rss_during "$pids" sh -c 'curl -sS -o /dev/null \
	    -w "%{http_code}" "$@" >"$0"' "$code" -F "$field=@$file" "$@" "$url")
	printf 'status=%s %s\n' "$(cat "$code")" "$r"
	rm -f "$code"
}
