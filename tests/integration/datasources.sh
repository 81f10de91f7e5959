#!/usr/bin/env bash
# tests/integration/datasources.sh — data sources (issue 16, D10–D14)
# through nginx, against the stack's real MariaDB (a second schema and user
# made here) and a real PostgreSQL 15 started here: create, list, read,
# update, delete on both prefixes; connection tests that succeed, that fail
# on a wrong password or a closed port (fast), that the address policy
# refuses (metadata, private, the system schema and user), an unsupported
# type; passwords kept encrypted (rotation with ODS_SECRET_KEY_PREVIOUS)
# or as env:/file: references; RBAC (a viewer reads but cannot create,
# another user's private source is a 404); and the test password never
# appears in a response, a log line, an audit row or /metrics.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"
. "$here/../lib/pg.sh"

ods_t_begin datasources
ods_t_require socat
export JWT_SECRET_KEY=datasources-secret-0123456789abcdefghij
export ODS_RATE_LIMIT_DEFAULT=1000/minute ODS_RATE_LIMIT_BURST=2000
# Two keys: OLD seals first; then NEW is current and OLD previous.
KEY_OLD=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
KEY_NEW=$(head -c 32 /dev/urandom | base64)
export ODS_SECRET_KEY=$KEY_OLD
export ODS_DATASOURCE_ALLOW='127.0.0.1/32, ::1'
export ODS_DATASOURCE_CONNECT_TIMEOUT_MS=3000
# Passwords that must never show: one per server, one by reference.
PW=Pw-$(ods_secret 20)
PG_PW=Pg-$(ods_secret 20)
REF_PW=Rf-$(ods_secret 20)
export ODS_DS_TEST_PW=$REF_PW
ods_stack_init
S=$ODS_STACK_DIR
export ODS_DATASOURCE_SECRET_DIR=$S/ds-secrets
mkdir -p "$ODS_DATASOURCE_SECRET_DIR"
(umask 077 && printf '%s\n' "$PG_PW" >"$ODS_DATASOURCE_SECRET_DIR/warehouse")

# ---- PostgreSQL 15 on a free port (tests/lib/pg.sh).
pg_stop() { ods_pg_stop; }
ODS_T_CLEANUP='pg_stop'
ods_pg_start
ods_t_ok "PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT"

ods_stack_up
ctl=$(ods_bin odsctl)
# A schema and a user of the data source's own on the system server.
ods_db_sql <<EOF || ods_t_fail "cannot create the data source schema"
CREATE DATABASE IF NOT EXISTS ds_sales;
CREATE USER IF NOT EXISTS 'dsuser'@'127.0.0.1' IDENTIFIED BY '$PW';
GRANT SELECT ON ds_sales.* TO 'dsuser'@'127.0.0.1';
CREATE USER IF NOT EXISTS 'dsref'@'127.0.0.1' IDENTIFIED BY '$REF_PW';
GRANT SELECT ON ds_sales.* TO 'dsref'@'127.0.0.1';
EOF
DBV=$(ods_db_sql -e 'SELECT VERSION()')

tok() { "$ctl" token --sub "$1" --roles "$2" --ttl 600 || ods_t_fail "odsctl token"; }
eng=(-H "Authorization: Bearer $(tok erin data_engineer)")
eng2=(-H "Authorization: Bearer $(tok eddy data_engineer)")
viewer=(-H "Authorization: Bearer $(tok vic viewer)")
admin=(-H "Authorization: Bearer $(tok root admin)")
J=(-H 'Content-Type: application/json')
BODIES=$S/bodies.txt
: >"$BODIES"
# req METHOD URL ARGS...: ods_req, every body kept for the leak check.
req() {
	ods_req "$@"
	printf '%s\n' "$HTTP_BODY" >>"$BODIES"
}

# ms: the last request's time in milliseconds.
ms() { awk -v t="$HTTP_TIME" 'BEGIN { printf "%d", t * 1000 }'; }

U=$ODS_DATA_URL/api/v1
UD=$ODS_DATA_URL/api/v1/data
my_conn() {
	printf '{"host":"127.0.0.1","port":%s,"username":"dsuser","password":"%s","database":"%s"}' \
	    "$ODS_DB_PORT" "$1" "${2:-ds_sales}"
}
pg_conn() {
	printf '{"host":"127.0.0.1","port":%s,"username":"postgres","password":"%s","database":"postgres"}' \
	    "$PG_PORT" "$1"
}

# ---- POST /datasources/test: a config, nothing saved.
req POST "$U/datasources/test" "${eng[@]}" "${J[@]}" \
    -d "{\"type\":\"mysql\",\"connection\":$(my_conn "$PW")}"
ods_expect_code 200 "test a MariaDB config"
ods_expect_json '.data.success' true "MariaDB: success"
ods_expect_json ".data.version | contains(\"${DBV%%-*}\")" true "MariaDB: the server's version"
ods_expect_json '.data.latency_ms >= 0' true "MariaDB: latency_ms"
ods_t_ok "MariaDB: latency_ms $(ods_json .data.latency_ms), the request $(ms) ms through nginx"
req POST "$UD/datasources/test" "${eng[@]}" "${J[@]}" \
    -d "{\"type\":\"postgresql\",\"connection\":$(pg_conn "$PG_PW")}"
ods_expect_json '.data.success' true "PostgreSQL: success (canonical prefix)"
ods_expect_json '.data.version | startswith("PostgreSQL 15")' true "PostgreSQL: its version"
ods_t_ok "PostgreSQL: latency_ms $(ods_json .data.latency_ms), the request $(ms) ms through nginx"
req POST "$U/datasources/test" "${eng[@]}" "${J[@]}" \
    -d "{\"type\":\"mysql\",\"connection\":$(my_conn "wrong-$PW")}"
ods_expect_code 200 "a failed test is a 200"
ods_expect_json '[.code, .data.success, .data.error]' '[
  0,
  false,
  "auth_failed"
]' "MariaDB: a wrong password"
req POST "$U/datasources/test" "${eng[@]}" "${J[@]}" \
    -d "{\"type\":\"postgresql\",\"connection\":$(pg_conn "wrong-$PG_PW")}"
ods_expect_json '[.data.success, .data.error]' '[
  false,
  "auth_failed"
]' "PostgreSQL: a wrong password"
ods_pick_port CLOSED
for t in mysql postgresql; do
	req POST "$U/datasources/test" "${eng[@]}" "${J[@]}" \
	    -d "{\"type\":\"$t\",\"connection\":{\"host\":\"127.0.0.1\",\"port\":$CLOSED,\"username\":\"u\",\"password\":\"p\"}}"
	ods_expect_json '[.data.success, .data.error]' '[
  false,
  "connection_refused"
]' "$t: a closed port"
	ods_expect_le "$(ms)" 1500 "$t: a closed port fails fast (ms)"
done
# A server that accepts and never says a word (socat -u): the test gives up
# within ODS_DATASOURCE_CONNECT_TIMEOUT_MS (3 s here; whole seconds for
# the drivers), never hangs.
ods_pick_port HOLE
setsid socat -u TCP-LISTEN:"$HOLE",bind=127.0.0.1,fork,reuseaddr OPEN:/dev/null \
    </dev/null >/dev/null 2>&1 &
HOLE_PID=$!
ODS_T_CLEANUP='pg_stop; kill -- -$HOLE_PID 2>/dev/null'
ods_wait_until 5 ods_port_busy "$HOLE" || ods_t_fail "socat did not listen"
for t in mysql postgresql; do
	req POST "$U/datasources/test" "${eng[@]}" "${J[@]}" \
	    -d "{\"type\":\"$t\",\"connection\":{\"host\":\"127.0.0.1\",\"port\":$HOLE,\"username\":\"u\",\"password\":\"p\"}}"
	ods_expect_json '.data.success' false "$t: a silent server fails"
	ods_t_ok "$t: a silent server: error $(ods_json .data.error) after $(ms) ms"
	ods_expect_le "$(ms)" 4500 "$t: within the connect timeout (3 s, ms)"
done

refused() { # TYPE HOST DB USER SLUG MSG
	req POST "$U/datasources/test" "${eng[@]}" "${J[@]}" \
	    -d "{\"type\":\"$1\",\"connection\":{\"host\":\"$2\",\"port\":$ODS_DB_PORT,\"username\":\"$4\",\"password\":\"$PW\",\"database\":\"$3\"}}"
	ods_expect_code 200 "$6"
	ods_expect_json '[.data.success, .data.error]' "[
  false,
  \"$5\"
]" "$6"
	ods_expect_le "$(ms)" 1000 "$6: refused before connecting (ms)"
}
refused mysql 169.254.169.254 x u address_refused "the metadata address"
refused postgresql 169.254.10.1 x u address_refused "a link-local address"
refused mysql fe80::1 x u address_refused "an IPv6 link-local address"
refused mysql fd00:ec2::254 x u address_refused "the IPv6 metadata address"
refused mysql 10.11.12.13 x u address_refused "a private address ALLOW does not list"
refused mysql 192.168.7.7 x u address_refused "another private address"
refused mysql 0.0.0.0 x u address_refused "the unspecified address"
refused mysql 127.0.0.1 one_data_studio dsuser system_database "the system schema"
refused mysql 127.0.0.1 "" dsuser system_database "no schema on the system server"
refused mariadb 127.0.0.1 ds_sales ods system_database "the system user on the system server"
refused mysql no-such-host.invalid x u resolve_failed "a name that does not resolve"
req POST "$U/datasources/test" "${eng[@]}" "${J[@]}" \
    -d '{"type":"oracle","connection":{"host":"127.0.0.1","port":1521,"username":"u","password":"p"}}'
ods_expect_json '[.code, .data.success, .data.error]' '[
  0,
  false,
  "unsupported_type"
]' "an unsupported type (never a mocked success)"
req POST "$U/datasources/test" "${eng[@]}" "${J[@]}" -d '{"type":"mysql","connection":{}}'
ods_expect_error_envelope 400 validation_error "a test without a host"
req POST "$U/datasources/test" "${viewer[@]}" "${J[@]}" \
    -d "{\"type\":\"mysql\",\"connection\":$(my_conn "$PW")}"
ods_expect_code 403 "a viewer cannot test a config"

# ---- POST /datasources: create (an encrypted password, a reference).
req POST "$U/datasources" "${eng[@]}" "${J[@]}" \
    -d "{\"name\":\"sales\",\"type\":\"mariadb\",\"description\":\"d\",\"tags\":[\"prod\"],\"connection\":$(my_conn "$PW")}"
ods_expect_code 201 "create a MariaDB source"
MY=$(ods_json '.data.source_id')
ods_expect_json '[.data.status, .data.has_password, .data.password_storage, .data.connection.port, .data.connection.database, .data.tags[0], .data.visibility]' "[
  \"disconnected\",
  true,
  \"encrypted\",
  $ODS_DB_PORT,
  \"ds_sales\",
  \"prod\",
  \"private\"
]" "the new source"
stored=$(ods_db_sql one_data_studio -e "SELECT credential FROM datasources WHERE source_id = '$MY'")
case $stored in v1:*) ods_t_ok "the password is stored sealed (v1:...)" ;;
*) ods_t_fail "stored credential is not sealed" ;; esac
req POST "$UD/datasources" "${eng[@]}" "${J[@]}" \
    -d "{\"name\":\"warehouse\",\"type\":\"postgresql\",\"visibility\":\"public\",\"host\":\"127.0.0.1\",\"port\":$PG_PORT,\"username\":\"postgres\",\"password\":\"$PG_PW\",\"database\":\"postgres\"}"
ods_expect_code 201 "create a PostgreSQL source with flat keys (canonical prefix)"
PG=$(ods_json '.data.source_id')
req POST "$U/datasources" "${eng[@]}" "${J[@]}" \
    -d "{\"name\":\"by-ref\",\"type\":\"mysql\",\"source_id\":\"ref-src\",\"connection\":{\"host\":\"127.0.0.1\",\"port\":$ODS_DB_PORT,\"username\":\"dsref\",\"password\":\"env:ODS_DS_TEST_PW\",\"database\":\"ds_sales\"}}"
ods_expect_code 201 "create a source whose password is a reference"
ods_expect_json '[.data.source_id, .data.password_storage, .data.password_ref]' '[
  "ref-src",
  "env",
  "env:ODS_DS_TEST_PW"
]' "the reference is kept as such"
req POST "$U/datasources" "${eng[@]}" "${J[@]}" \
    -d "{\"name\":\"dup\",\"source_id\":\"ref-src\",\"connection\":$(my_conn x)}"
ods_expect_error_envelope 409 conflict "a taken source_id"
ods_expect_json '.code' 40900 "409 code 40900"
req POST "$U/datasources" "${eng[@]}" "${J[@]}" -d '{"name":"x","type":"nosuch","connection":{"host":"h"}}'
ods_expect_error_envelope 400 validation_error "an unknown type"
req POST "$U/datasources" "${eng[@]}" "${J[@]}" -d '{"connection":{"host":"h"}}'
ods_expect_error_envelope 400 validation_error "no name"
for ref in env:MYSQL_PASSWORD file:/etc/passwd; do
	req POST "$U/datasources/test" "${eng[@]}" "${J[@]}" \
	    -d "{\"type\":\"mysql\",\"connection\":{\"host\":\"127.0.0.1\",\"port\":$ODS_DB_PORT,\"username\":\"dsuser\",\"password\":\"$ref\",\"database\":\"ds_sales\"}}"
	ods_expect_error_envelope 400 validation_error "a reference to the worker's own secret ($ref) is refused"
done
req POST "$U/datasources" "${eng[@]}" "${J[@]}" -d '{"name":"x","connection":{"host":"h","port":70000}}'
ods_expect_error_envelope 400 validation_error "a port out of range"
req POST "$U/datasources" "${viewer[@]}" "${J[@]}" -d "{\"name\":\"v\",\"connection\":$(my_conn x)}"
ods_expect_code 403 "a viewer cannot create"

# ---- /{id}/test with the stored credentials.
req POST "$U/datasources/$MY/test" "${eng[@]}"
ods_expect_json '.data.success' true "the saved MariaDB source connects with its stored password"
req POST "$UD/datasources/$PG/test" "${eng[@]}" "${J[@]}" -d '{}'
ods_expect_json '.data.success' true "the saved PostgreSQL source connects"
req POST "$U/datasources/ref-src/test" "${eng[@]}"
ods_expect_json '.data.success' true "the source with an env: reference connects"
req POST "$U/datasources/test" "${eng[@]}" "${J[@]}" \
    -d "{\"type\":\"postgresql\",\"connection\":$(pg_conn "file:$ODS_DATASOURCE_SECRET_DIR/warehouse")}"
ods_expect_json '.data.success' true "a file: reference in ODS_DATASOURCE_SECRET_DIR connects"
req POST "$U/datasources/$MY/test" "${eng[@]}" "${J[@]}" -d '{"password":"not-it"}'
ods_expect_json '[.data.success, .data.error]' '[
  false,
  "auth_failed"
]' "a password in the body is tried instead (D14)"
req GET "$U/datasources/$MY" "${eng[@]}"
ods_expect_json '[.data.status, (.data.last_error | length > 0)]' '[
  "error",
  true
]' "the failed test is recorded"
req POST "$U/datasources/$MY/test" "${eng[@]}"
req GET "$U/datasources/$MY" "${eng[@]}"
ods_expect_json '[.data.status, .data.last_error, (.data.metadata.version | length > 0), .data.last_connected != null]' '[
  "connected",
  null,
  true,
  true
]' "the successful test is recorded"

# ---- list, read, RBAC and owner scoping.
req GET "$U/datasources" "${eng[@]}"
ods_expect_code 200 "list"
ods_expect_json '[.data.total, .total, (.data.sources | length), .page_size]' '[
  3,
  3,
  3,
  50
]' "erin's three sources, page fields in data and at the top level"
req GET "$UD/datasources?type=postgresql&page=1&page_size=1" "${eng[@]}"
ods_expect_json '[.data.total, .data.sources[0].source_id]' "[
  1,
  \"$PG\"
]" "filter by type"
req GET "$U/datasources" "${eng2[@]}"
ods_expect_json "[.data.sources[].source_id]" "[
  \"$PG\"
]" "another engineer sees only the public source"
req GET "$U/datasources/$MY" "${eng2[@]}"
ods_expect_error_envelope 404 not_found "another user's private source is a 404"
req POST "$U/datasources/$MY/test" "${eng2[@]}"
ods_expect_code 404 "and cannot be tested"
req PUT "$U/datasources/$PG" "${eng2[@]}" "${J[@]}" -d '{"name":"mine"}'
ods_expect_code 403 "another user's public source cannot be changed"
req GET "$U/datasources/$PG" "${viewer[@]}"
ods_expect_code 200 "a viewer reads a public source"
req GET "$U/datasources/$MY" "${viewer[@]}"
ods_expect_code 404 "but not a private one"
req DELETE "$U/datasources/$PG" "${eng[@]}"
ods_expect_code 403 "an engineer cannot delete (datasource:delete is admin's)"
req GET "$U/datasources" "${admin[@]}"
ods_expect_json '.data.total' 3 "admin sees every source"
req GET "$U/datasources"
ods_expect_code 401 "no token"

# ---- update and key rotation.
req PUT "$U/datasources/$MY" "${eng[@]}" "${J[@]}" -d '{"description":"changed","connection":{"schema":"s1"}}'
ods_expect_code 200 "update"
ods_expect_json '[.data.description, .data.connection.schema, .data.connection.database, .data.has_password]' '[
  "changed",
  "s1",
  "ds_sales",
  true
]' "update merges"
old_cred=$(ods_db_sql one_data_studio -e "SELECT credential FROM datasources WHERE source_id = '$MY'")
# Rotate: NEW is the key, OLD the previous one; reload the data pool.
export ODS_SECRET_KEY=$KEY_NEW ODS_SECRET_KEY_PREVIOUS=$KEY_OLD
ods_pool_stop data
ods_pool_start data
ods_stack_wait_live || ods_t_fail "the data pool did not come back"
req POST "$U/datasources/$MY/test" "${eng[@]}"
ods_expect_json '.data.success' true "after rotation the old value still opens (previous key)"
req PUT "$U/datasources/$MY" "${eng[@]}" "${J[@]}" -d '{"description":"rotated"}'
ods_expect_code 200 "update after rotation"
new_cred=$(ods_db_sql one_data_studio -e "SELECT credential FROM datasources WHERE source_id = '$MY'")
[ "$new_cred" != "$old_cred" ] && [ "${new_cred#v1:}" != "$new_cred" ] ||
    ods_t_fail "the update did not seal the password again"
ods_t_ok "the update sealed the password again under the new key"
export ODS_SECRET_KEY_PREVIOUS=
ods_pool_stop data
ods_pool_start data
ods_stack_wait_live || ods_t_fail "the data pool did not come back"
req POST "$U/datasources/$MY/test" "${eng[@]}"
ods_expect_json '.data.success' true "without the previous key the re-sealed value opens"
# Without any key, a clear password is refused with the reason.
export ODS_SECRET_KEY=
ods_pool_stop data
ods_pool_start data
ods_stack_wait_live || ods_t_fail "the data pool did not come back"
req POST "$U/datasources" "${eng[@]}" "${J[@]}" -d "{\"name\":\"nokey\",\"connection\":$(my_conn "$PW")}"
ods_expect_error_envelope 400 validation_error "a clear password without ODS_SECRET_KEY"
ods_expect_json '.message | contains("ODS_SECRET_KEY")' true "the message names the setting"
req POST "$U/datasources" "${eng[@]}" "${J[@]}" \
    -d "{\"name\":\"nokey-ref\",\"connection\":{\"host\":\"127.0.0.1\",\"port\":$ODS_DB_PORT,\"username\":\"dsref\",\"password\":\"env:ODS_DS_TEST_PW\",\"database\":\"ds_sales\"}}"
ods_expect_code 201 "a reference needs no key"
req POST "$U/datasources/$MY/test" "${eng[@]}"
ods_expect_json '[.data.success, .data.error]' '[
  false,
  "credential_unavailable"
]' "a sealed password without its key cannot be read"

# ---- delete.
req DELETE "$U/datasources/ref-src" "${admin[@]}"
ods_expect_code 200 "admin deletes"
ods_expect_json '.message' "DataSource deleted successfully" "the reference's message"
req GET "$U/datasources/ref-src" "${admin[@]}"
ods_expect_code 404 "gone"

# ---- the passwords never leak.
ods_get "$ODS_DATA_URL/metrics"
printf '%s\n' "$HTTP_BODY" >>"$BODIES"
ods_db_sql one_data_studio -e 'SELECT * FROM audit_logs' >"$S/audit.txt" ||
    ods_t_fail "cannot read audit_logs"
ods_db_sql one_data_studio -e 'SELECT id, source_id, name, description, type, connection_config, status, last_error, source_metadata, tags FROM datasources' >"$S/rows.txt"
for p in "$PW" "$PG_PW" "$REF_PW"; do
	for f in "$BODIES" "$S"/log/*.log "$S/nginx/logs/"*.log "$S/audit.txt" "$S/rows.txt"; do
		[ -f "$f" ] || continue
		if grep -qF -- "$p" "$f"; then
			ods_t_fail "a test password appears in $f"
		fi
	done
done
ods_t_ok "no password in $(wc -l <"$BODIES") response bodies, the logs, $(wc -l <"$S/audit.txt") audit rows, the rows or /metrics"
ods_t_end
