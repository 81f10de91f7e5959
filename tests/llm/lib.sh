# tests/llm/lib.sh — fake upstreams and the openai SDK for the proxy's
# integration tests and benchmark.  Source after tests/lib/stack.sh.

ODS_LLM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ODS_OPENAI_SDK_VERSION=${ODS_OPENAI_SDK_VERSION:-6.49.0}

# ods_llm_mock_start VAR NAME [ARGS...]: start a fake upstream on a free
# port; VAR gets its base URL (http://127.0.0.1:P), VAR_PID its pid.
ods_llm_mock_start() {
	local var=$1 name=$2 port pid
	shift 2
	ods_pick_port port
	setsid node "$ODS_LLM_DIR/mock-openai.js" --port "$port" \
	    --name "$name" "$@" </dev/null \
	    >>"$ODS_STACK_DIR/log/mock-$name.log" 2>&1 &
	pid=$!
	printf -v "$var" 'http://127.0.0.1:%s' "$port"
	printf -v "${var}_PID" '%s' "$pid"
	ODS_LLM_MOCK_PIDS="${ODS_LLM_MOCK_PIDS:-} $pid"
	ods_wait_http "http://127.0.0.1:$port/_mock/stats" 200 10 ||
	    ods_die "mock $name did not start"
}

# ods_llm_mocks_stop: stop every mock this shell started (by pid).
ods_llm_mocks_stop() {
	local p
	for p in ${ODS_LLM_MOCK_PIDS:-}; do
		ods_stop_pid "$p" TERM 5
	done
	ODS_LLM_MOCK_PIDS=
}

# ods_llm_mock_mode URL JSON: set a mock's behaviour.
ods_llm_mock_mode() {
	curl -s -m 5 -o /dev/null -X POST -d "$2" "$1/_mock/mode"
}

# ods_llm_sdk_install: openai@$ODS_OPENAI_SDK_VERSION in a scratch
# directory (never in the tree); exports NODE_PATH.
ods_llm_sdk_install() {
	local d=$ODS_STACK_DIR/npm
	mkdir -p "$d"
	if [ ! -d "$d/node_modules/openai" ]; then
		(cd "$d" && npm init -y >/dev/null 2>&1 &&
		    npm install --no-audit --no-fund --prefer-offline \
		    "openai@$ODS_OPENAI_SDK_VERSION" >"$ODS_STACK_DIR/log/npm.log" 2>&1) ||
		    ods_die "npm install openai@$ODS_OPENAI_SDK_VERSION failed"
	fi
	export NODE_PATH=$d/node_modules
}
