# scripts/lib/deps.sh — install the Debian packages the project needs (Debian
# bookworm, as root).  Needs scripts/lib/common.sh.  Quick when everything is
# installed already: dpkg-query first, apt only for what is missing.

# Build and run: compiler, autotools, the libraries, the servers.
ODS_DEBS_RUN='gcc make libc6-dev autoconf automake autoconf-archive libtool
pkg-config libfcgi-dev libfcgi-bin spawn-fcgi nginx libmariadb-dev
mariadb-server mariadb-client libhiredis-dev redis-server redis-tools
libjson-c-dev libcurl4-openssl-dev libjwt-dev libssl-dev libsqlite3-dev check
curl procps util-linux ca-certificates libxml2-dev libzip-dev
libpoppler-glib-dev libuchardet-dev libpq-dev libstemmer-dev'

# Tests only: JSON on the command line, load, the Prometheus rule and
# exposition checker (promtool), a black-hole upstream (socat), Node for the
# JWT/JWKS fixture of the auth tests (tests/auth/jwt-fixture.js), the fake
# LLM upstreams and the npm tools (the openai SDK, Redocly CLI, ajv); the
# cgi-fcgi client is in libfcgi-bin above; clang (with libFuzzer) for
# scripts/fuzz.  npm comes with NodeSource's nodejs package (which
# conflicts with Debian's npm), so it is asked for only when no npm
# command is there (Debian's nodejs); the openssl command (the store
# bench's SHA-256 floor row); PostgreSQL 15 for the data source tests
# (tests/integration/datasources.sh starts its own server).
ODS_DEBS_TEST='jq wrk prometheus socat nodejs clang openssl postgresql-15'

# ods_debs_missing PKG...: print the packages that are not installed.
ods_debs_missing() {
	local p st
	for p in "$@"; do
		st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) || st=
		case $st in
		*" installed") ;;
		*) printf '%s\n' "$p" ;;
		esac
	done
}

# ods_deps_install run|test: install what is missing (apt-get update first
# when the package lists are empty, and once more if the install fails).
ods_deps_install() {
	local want=$ODS_DEBS_RUN missing
	[ "${1:-run}" = test ] && want="$want $ODS_DEBS_TEST"
	if ! command -v dpkg-query >/dev/null 2>&1; then
		ods_say "not a Debian system: skipping package installation"
		return 0
	fi
	# shellcheck disable=SC2086
	missing=$(ods_debs_missing $want | tr '\n' ' ')
	if [ "${1:-run}" = test ] && ! ods_have npm; then
		missing="$missing npm"
	fi
	[ -n "${missing// /}" ] || return 0
	[ "$(id -u)" = 0 ] ||
	    ods_die "missing Debian packages (run as root to install): $missing"
	ods_say "installing Debian packages: $missing"
	export DEBIAN_FRONTEND=noninteractive
	if ! ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1; then
		apt-get update -q >&2 || ods_die "apt-get update failed"
	fi
	# shellcheck disable=SC2086
	if ! apt-get install -y -q --no-install-recommends $missing >&2; then
		apt-get update -q >&2 || ods_die "apt-get update failed"
		# shellcheck disable=SC2086
		apt-get install -y -q --no-install-recommends $missing >&2 ||
		    ods_die "apt-get install failed"
	fi
}
