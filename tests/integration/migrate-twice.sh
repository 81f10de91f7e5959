#!/usr/bin/env bash
# tests/integration/migrate-twice.sh — `odsctl migrate` against a real
# MariaDB: the first run applies every file of sql/, a second run applies
# nothing and changes nothing, --status shows 0 pending; then, on an empty
# database, three runs started at once (with a migration that holds the lock
# for a second) all succeed and each file is applied exactly once.  The
# pools serve readiness on the migrated schema.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"

ods_t_begin migrate-twice
ODS_STACK_MIGRATE=0
ods_stack_init
ods_stack_backends
sqldir=${ODS_SQL_DIR:-$ODS_ROOT/sql}
nfiles=$(ls "$sqldir"/[0-9]*.sql | wc -l)
[ "$nfiles" -ge 1 ] || ods_t_fail "no migration in $sqldir"

db=$MYSQL_DATABASE
rows() {
	ods_db_sql "$db" -e 'SELECT version, checksum, applied_at FROM schema_migrations ORDER BY version'
}
ntables() {
	ods_db_sql -e "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '$db'"
}

# 1. First run applies everything.
out=$(ods_migrate 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/  odsctl| /'
ods_expect_eq "$rc" 0 "first odsctl migrate exit status"
ods_expect_eq "$(rows | wc -l)" "$nfiles" "schema_migrations rows after the first run"
first=$(rows)
tables=$(ntables)
[ "$tables" -gt "$nfiles" ] || ods_t_fail "only $tables tables after migrating"
ods_t_ok "$tables tables created"

# 2. Second run: a no-op.
out=$(ods_migrate 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/  odsctl| /'
ods_expect_eq "$rc" 0 "second odsctl migrate exit status"
grep -q '^applied ' <<<"$out" &&
    ods_t_fail "the second run applied something: $out"
ods_expect_eq "$(rows)" "$first" "schema_migrations unchanged by the second run"
ods_expect_eq "$(ntables)" "$tables" "no table added by the second run"
out=$(ods_migrate --status 2>&1)
ods_expect_eq "$?" 0 "odsctl migrate --status exit status"
grep -q '^0 pending' <<<"$out" ||
    ods_t_fail "--status does not report 0 pending: $out"
ods_t_ok "--status: 0 pending"

# 3. The services are ready on this schema.
ods_stack_pools
ods_stack_nginx_start
ods_wait_http "$ODS_DATA_URL/api/v1/health" 200 20 ||
    ods_t_fail "data readiness not 200 on the migrated schema"
ods_t_ok "data readiness 200 on the migrated schema"

# 4. Three at once on an empty database; one extra migration sleeps 1 s
# while holding the lock, so the others must wait for it.
ods_db_sql -e "DROP DATABASE \`$db\`; CREATE DATABASE \`$db\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
scratch=$ODS_STACK_DIR/sql
mkdir -p "$scratch"
cp "$sqldir"/[0-9]*.sql "$scratch/"
printf -- '-- holds the migration lock for a second\nDO SLEEP(1);\n' \
    >"$scratch/9000_hold_lock.sql"
for i in 1 2 3; do
	ODS_SQL_DIR=$scratch ods_migrate >"$ODS_STACK_DIR/mig.$i" 2>&1 &
	eval "mig$i=\$!"
done
for i in 1 2 3; do
	eval "wait \$mig$i"
	rc=$?
	sed 's/^/  odsctl '"$i"'| /' "$ODS_STACK_DIR/mig.$i"
	ods_expect_eq "$rc" 0 "concurrent run $i exit status"
done
want=$((nfiles + 1))
ods_expect_eq "$(rows | wc -l)" "$want" "schema_migrations rows after three concurrent runs"
dups=$(ods_db_sql "$db" -e 'SELECT COUNT(*) - COUNT(DISTINCT version) FROM schema_migrations')
ods_expect_eq "$dups" 0 "no version recorded twice"
n=$(cat "$ODS_STACK_DIR"/mig.[123] | grep -c '^applied ')
ods_expect_eq "$n" "$want" "files applied in total by the three runs (each once)"
ods_expect_eq "$(ntables)" "$tables" "same tables as the serial run"

ods_t_end
