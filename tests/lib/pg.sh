# tests/lib/pg.sh — a real PostgreSQL 15 for the tests of data sources:
# started on a free port of 127.0.0.1 in the stack's directory, as
# `nobody` when the tests run as root (initdb refuses root), with the
# password of user postgres in $PG_PW (scram-sha-256). Source after
# stack.sh and assert.sh, call ods_pg_start after ods_stack_init (it sets
# PG_PORT) and put ods_pg_stop in ODS_T_CLEANUP; ods_pg_psql runs SQL as
# postgres over the unix socket.
PGBIN=${ODS_PG_BIN:-/usr/lib/postgresql/15/bin}

# ods_pg_require: skip the test when PostgreSQL 15 is not installed.
ods_pg_require() {
	[ -x "$PGBIN/initdb" ] || ods_t_skip "PostgreSQL 15 is not installed ($PGBIN)"
}

ods_pg_as() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u nobody -- "$@"
	else
		"$@"
	fi
}

ods_pg_start() {
	local S=$ODS_STACK_DIR
	ods_pg_require
	mkdir -p "$S/pg" "$S/pgsock" "$S/log"
	[ "$(id -u)" = 0 ] && chown nobody:nogroup "$S/pg" "$S/pgsock"
	printf '%s\n' "$PG_PW" >"$S/pg.pw"
	chmod 0644 "$S/pg.pw"
	ods_pg_as "$PGBIN/initdb" -D "$S/pg/data" -U postgres --auth=scram-sha-256 \
	    --pwfile="$S/pg.pw" -E UTF8 >"$S/log/pg-initdb.log" 2>&1 ||
	    { cat "$S/log/pg-initdb.log"; ods_t_fail "initdb failed"; }
	rm -f "$S/pg.pw"
	ods_pick_port PG_PORT
	ods_pg_as "$PGBIN/pg_ctl" -D "$S/pg/data" -l "$S/pg/pg.log" -w -t 30 \
	    -o "-p $PG_PORT -k $S/pgsock -c listen_addresses=127.0.0.1" start \
	    >/dev/null || { cat "$S/pg/pg.log"; ods_t_fail "PostgreSQL did not start"; }
	PG_STARTED=1
}

ods_pg_stop() {
	[ "${PG_STARTED:-0}" = 1 ] || return 0
	ods_pg_as "$PGBIN/pg_ctl" -D "$ODS_STACK_DIR/pg/data" -m fast -w stop >/dev/null 2>&1
	cp "$ODS_STACK_DIR/pg/pg.log" "$ODS_STACK_DIR/log/postgresql.log" 2>/dev/null
	PG_STARTED=0
}

# ods_pg_psql [PSQL ARGS...] [< SQL]: psql as postgres on database
# postgres (stops at the first error), quiet, no psqlrc.
ods_pg_psql() {
	PGPASSWORD=$PG_PW "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 \
	    -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres "$@"
}
