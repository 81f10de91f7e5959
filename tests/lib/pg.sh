# tests/lib/pg.sh — a real PostgreSQL 15 for the data source tests, in the
# stack's directory on a free port, run as nobody when the test is root
# (initdb refuses root).  Needs tests/lib/stack.sh (ods_stack_init first)
# and tests/lib/assert.sh.
#
#   PG_PW=secret; ods_pg_start      # sets PG_PORT; postgres's password PG_PW
#   ods_pg_psql -c 'SELECT 1'       # psql as postgres over the socket
#   ods_pg_stop                     # in ODS_T_CLEANUP

PGBIN=${ODS_PG_BIN:-/usr/lib/postgresql/15/bin}

ods_pg_as() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u nobody -- "$@"
	else
		"$@"
	fi
}

ods_pg_start() {
	local s=$ODS_STACK_DIR
	[ -x "$PGBIN/initdb" ] || ods_t_skip "PostgreSQL 15 is not installed ($PGBIN)"
	mkdir -p "$s/pg" "$s/pgsock" "$s/log"
	[ "$(id -u)" = 0 ] && chown nobody:nogroup "$s/pg" "$s/pgsock"
	printf '%s\n' "$PG_PW" >"$s/pg.pw"
	chmod 0644 "$s/pg.pw"
	ods_pg_as "$PGBIN/initdb" -D "$s/pg/data" -U postgres --auth=scram-sha-256 \
	    --pwfile="$s/pg.pw" -E UTF8 >"$s/log/pg-initdb.log" 2>&1 ||
	    { cat "$s/log/pg-initdb.log"; ods_t_fail "initdb failed"; }
	rm -f "$s/pg.pw"
	ods_pick_port PG_PORT
	ods_pg_as "$PGBIN/pg_ctl" -D "$s/pg/data" -l "$s/pg/pg.log" -w -t 30 \
	    -o "-p $PG_PORT -k $s/pgsock -c listen_addresses=127.0.0.1" start \
	    >/dev/null || { cat "$s/pg/pg.log"; ods_t_fail "PostgreSQL did not start"; }
	PG_STARTED=1
}

ods_pg_stop() {
	[ "${PG_STARTED:-0}" = 1 ] || return 0
	ods_pg_as "$PGBIN/pg_ctl" -D "$ODS_STACK_DIR/pg/data" -m fast -w stop \
	    >/dev/null 2>&1
	cp "$ODS_STACK_DIR/pg/pg.log" "$ODS_STACK_DIR/log/postgresql.log" 2>/dev/null
	PG_STARTED=0
}

# ods_pg_psql ARGS...: psql as postgres on the socket, quiet, no psqlrc.
ods_pg_psql() {
	PGPASSWORD=$PG_PW "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 \
	    -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres "$@"
}
