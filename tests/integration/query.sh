#!/usr/bin/env bash
# tests/integration/query.sh — SQL on data sources (issue 16, D18) through
# nginx, on the stack's real MariaDB (a schema and users of the source's
# own) and a real PostgreSQL 15 (tests/lib/pg.sh): results and column
# types, the row cap and truncated, EXPLAIN; the refusals (a second
# statement, INTO OUTFILE, LOAD_FILE, COPY ... PROGRAM, pg_read_file) as
# 400 code 40003 before anything runs, a write refused by the read-only
# session, a statement timeout (504), the database's own error message;
# a CSV export of 1 000 000 rows with the data workers' RSS measured;
# the pools (bounded, idle close, a changed password reaches them, a
# silent server does not hold the others); history; RBAC and another
# user's private source.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"
. "$here/../lib/rss.sh"
. "$here/../lib/pg.sh"

ods_t_begin query
ods_t_require socat
export JWT_SECRET_KEY=query-secret-0123456789abcdefghijklmn
export ODS_RATE_LIMIT_DEFAULT=1000/minute ODS_RATE_LIMIT_BURST=2000
export ODS_SECRET_KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
export ODS_DATASOURCE_ALLOW='127.0.0.1/32'
export ODS_DATASOURCE_CONNECT_TIMEOUT_MS=2000
export ODS_DATASOURCE_POOL_SIZE=2 ODS_DATASOURCE_IDLE_S=2
export ODS_QUERY_TIMEOUT_MS=60000
PW=Pw-$(ods_secret 20)
RW_PW=Rw-$(ods_secret 20)
PG_PW=Pg-$(ods_secret 20)
ods_stack_init
S=$ODS_STACK_DIR
ODS_T_CLEANUP='ods_pg_stop'
ods_pg_start
ods_t_ok "PostgreSQL on 127.0.0.1:$PG_PORT"
ods_pg_psql <<'EOF' || ods_t_fail "cannot fill PostgreSQL"
CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(10,2),
  score float8, created timestamp, note text);
INSERT INTO items SELECT g, 'item-' || g, g * 1.25, g / 4.0,
  timestamp '2026-01-01' + g * interval '1 hour', CASE WHEN g % 2 = 0 THEN NULL ELSE 'n,"' || g || '"' END
  FROM generate_series(1, 50) g;
EOF

ods_stack_up
ctl=$(ods_bin odsctl)
ods_db_sql <<EOF || ods_t_fail "cannot create the data source schema"
CREATE DATABASE IF NOT EXISTS ds_sales;
CREATE TABLE ds_sales.items (id INT PRIMARY KEY, name VARCHAR(64),
  price DECIMAL(10,2), score DOUBLE, created DATETIME, note TEXT NULL);
INSERT INTO ds_sales.items SELECT seq, CONCAT('item-', seq), seq * 1.25,
  seq / 4, '2026-01-01' + INTERVAL seq HOUR,
  IF(seq % 2 = 0, NULL, CONCAT('n,"', seq, '"')) FROM ds_sales.seq_1_to_50;
CREATE USER IF NOT EXISTS 'dsuser'@'127.0.0.1' IDENTIFIED BY '$PW';
GRANT SELECT ON ds_sales.* TO 'dsuser'@'127.0.0.1';
CREATE USER IF NOT EXISTS 'dsrw'@'127.0.0.1' IDENTIFIED BY '$RW_PW';
GRANT ALL ON ds_sales.* TO 'dsrw'@'127.0.0.1';
GRANT FILE ON *.* TO 'dsrw'@'127.0.0.1';
EOF

tok() { "$ctl" token --sub "$1" --roles "$2" --ttl 900 || ods_t_fail "odsctl token"; }
eng=(-H "Authorization: Bearer $(tok erin data_engineer)")
ana=(-H "Authorization: Bearer $(tok ana data_analyst)")
viewer=(-H "Authorization: Bearer $(tok vic viewer)")
J=(-H 'Content-Type: application/json')
U=$ODS_DATA_URL/api/v1
UD=$ODS_DATA_URL/api/v1/data

# mk NAME TYPE PORT USER PASSWORD DATABASE VISIBILITY: sets ID (not in a
# $(...): the answers kept for the spec check are numbered in this shell).
mk() {
	ods_req POST "$U/datasources" "${eng[@]}" "${J[@]}" \
	    -d "{\"name\":\"$1\",\"type\":\"$2\",\"visibility\":\"$7\",\"connection\":{\"host\":\"127.0.0.1\",\"port\":$3,\"username\":\"$4\",\"password\":\"$5\",\"database\":\"$6\"}}"
	[ "$HTTP_CODE" = 201 ] || { _ods_t_show; ods_t_fail "create $1: HTTP $HTTP_CODE"; }
	ID=$(ods_json .data.source_id)
}
mk sales mariadb "$ODS_DB_PORT" dsuser "$PW" ds_sales public; MY=$ID
mk sales-rw mysql "$ODS_DB_PORT" dsrw "$RW_PW" ds_sales private; RW=$ID
mk warehouse postgresql "$PG_PORT" postgres "$PG_PW" postgres public; PG=$ID
ods_t_ok "sources: $MY (MariaDB), $RW (MariaDB, a user that may write), $PG (PostgreSQL)"

# q SOURCE SQL [EXTRA JSON MEMBERS] [AUTH...]: POST /query/execute.
q() {
	local src=$1 sql=$2 extra=${3:-}
	shift 3 2>/dev/null || shift $#
	local body
	body=$(jq -cn --arg s "$src" --arg q "$sql" '{source_id: $s, sql: $q}')
	[ -n "$extra" ] && body=$(printf '%s' "$body" | jq -c ". + $extra")
	if [ $# -eq 0 ]; then set -- "${eng[@]}"; fi
	ods_req POST "$U/query/execute" "$@" "${J[@]}" -d "$body"
}

# ---- results and types.
q "$MY" "SELECT id, name, price, score, created, note FROM items WHERE id <= 3 ORDER BY id"
ods_expect_code 200 "MariaDB: a SELECT"
ods_expect_json '[.data.columns[] | .name + ":" + .type] | join(" ")' \
    "id:integer name:string price:decimal score:float created:datetime note:text" \
    "MariaDB: columns with their types"
ods_expect_json '[.data.row_count, .data.truncated, .data.rows[0].id, .data.rows[0].name, .data.rows[0].price, .data.rows[1].note, .data.rows[0].note]' '[
  3,
  false,
  1,
  "item-1",
  "1.25",
  null,
  "n,\"1\""
]' "MariaDB: rows with numbers, strings, NULL"
ods_expect_json '(.data.duration_ms >= 0) and (.data.execution_time_ms == .data.duration_ms) and (.data.query_id | startswith("q-"))' true "duration_ms, execution_time_ms, query_id"
q "$PG" "SELECT id, name, price, score, created, note FROM items WHERE id <= 3 ORDER BY id"
ods_expect_code 200 "PostgreSQL: a SELECT"
ods_expect_json '[.data.columns[] | .name + ":" + .type] | join(" ")' \
    "id:integer name:text price:decimal score:float created:datetime note:text" \
    "PostgreSQL: columns with their types"
ods_expect_json '[.data.row_count, .data.rows[2].id, .data.rows[2].score, .data.rows[1].note]' '[
  3,
  3,
  0.75,
  null
]' "PostgreSQL: rows"
ods_req POST "$UD/query/execute" "${eng[@]}" "${J[@]}" \
    -d "{\"datasource_id\":\"$PG\",\"sql\":\"SELECT \$\$a;b\$\$ AS s; -- the end\"}"
ods_expect_json '[.data.rows[0].s, .data.kind]' '[
  "a;b",
  "select"
]' "a dollar-quoted ';' and a trailing comment (canonical prefix, datasource_id)"
q "$MY" "EXPLAIN SELECT * FROM items WHERE id = 1"
ods_expect_json '[.data.kind, (.data.row_count >= 1)]' '[
  "explain",
  true
]' "MariaDB: EXPLAIN through the same route"
q "$PG" "EXPLAIN SELECT * FROM items"
ods_expect_json '[.data.kind, (.data.rows[0]["QUERY PLAN"] | contains("Seq Scan"))]' '[
  "explain",
  true
]' "PostgreSQL: EXPLAIN"

# ---- the row cap.
q "$MY" "SELECT seq FROM seq_1_to_20000"
ods_expect_json '[.data.row_count, .data.truncated, (.data.rows | length)]' '[
  10000,
  true,
  10000
]' "MariaDB: the default cap of 10 000 rows, truncated"
q "$PG" "SELECT g FROM generate_series(1, 100) g" '{"limit":7}'
ods_expect_json '[.data.row_count, .data.truncated, .data.rows[6].g]' '[
  7,
  true,
  7
]' "PostgreSQL: limit 7, truncated"
q "$PG" "SELECT g FROM generate_series(1, 7) g" '{"limit":7}'
ods_expect_json '[.data.row_count, .data.truncated]' '[
  7,
  false
]' "exactly limit rows: not truncated"

# ---- refusals before anything runs: 400 code 40003, naming why.
refused() { # SOURCE SQL SLUG MSG
	q "$1" "$2"
	ods_expect_error_envelope 400 "$3" "$4"
	ods_expect_json '.code' 40003 "$4: code 40003"
	ods_t_ok "$4: $(ods_json .message)"
}
refused "$MY" "SELECT 1; DELETE FROM items" multiple_statements "MariaDB: a second statement"
refused "$PG" "SELECT 1; DELETE FROM items" multiple_statements "PostgreSQL: a second statement"
refused "$RW" "SELECT * FROM items INTO OUTFILE '/tmp/ods-query-out'" forbidden_function "INTO OUTFILE"
refused "$RW" "SELECT LOAD_FILE('/etc/passwd')" forbidden_function "LOAD_FILE"
refused "$RW" "LOAD DATA INFILE '/etc/passwd' INTO TABLE items" forbidden_statement "LOAD DATA"
refused "$PG" "COPY items TO PROGRAM 'id'" forbidden_statement "COPY ... PROGRAM"
refused "$PG" "SELECT pg_read_file('/etc/passwd')" forbidden_function "pg_read_file"
refused "$PG" "SELECT set_config('default_transaction_read_only', 'off', false)" forbidden_function "set_config"
refused "$MY" "DROP TABLE items" forbidden_statement "DDL"
# A user variable set by one caller would be read by the next one on the
# same pooled connection.
refused "$MY" "SELECT @leak := name FROM items LIMIT 1" user_variable "a user variable"
q "$MY" "SELECT @@version_comment IS NOT NULL AS v"
ods_expect_code 200 "a system variable (@@) is read"
[ ! -e /tmp/ods-query-out ] || ods_t_fail "OUTFILE wrote a file"
ods_expect_eq "$(ods_db_sql -e 'SELECT COUNT(*) FROM ds_sales.items')" 50 "nothing was deleted"

# ---- a write reaches the session and is refused there (database message).
q "$RW" "DELETE FROM items WHERE id = 1"
ods_expect_error_envelope 400 database_error "MariaDB: a DELETE in the read-only session"
ods_expect_json '.message | test("READ ONLY"; "i")' true "MariaDB: the server's words ($(ods_json .message))"
q "$PG" "WITH d AS (DELETE FROM items WHERE id = 1 RETURNING id) SELECT * FROM d"
ods_expect_error_envelope 400 database_error "PostgreSQL: a DELETE in the read-only session"
ods_expect_json '.message | test("read-only transaction")' true "PostgreSQL: the server's words ($(ods_json .message))"
ods_expect_eq "$(ods_db_sql -e 'SELECT COUNT(*) FROM ds_sales.items')" 50 "MariaDB rows intact"
ods_expect_eq "$(ods_pg_psql -At -c 'SELECT count(*) FROM items')" 50 "PostgreSQL rows intact"

# ---- database errors and timeouts.
q "$MY" "SELECT * FROM nosuch_table"
ods_expect_error_envelope 400 database_error "MariaDB: an unknown table"
ods_expect_json '[.code, (.message | contains("nosuch_table"))]' '[
  40000,
  true
]' "MariaDB: its message"
q "$PG" "SELECT FROM WHERE"
ods_expect_error_envelope 400 database_error "PostgreSQL: a syntax error"
q "$PG" "SELECT * FROM nosuch_table"
ods_expect_json '[.error, (.message | contains("nosuch_table"))]' '[
  "database_error",
  true
]' "PostgreSQL: its message"
for s in "$MY:SELECT SLEEP(5)" "$PG:SELECT pg_sleep(5)"; do
	q "${s%%:*}" "${s#*:}" '{"timeout_ms":1000}'
	ods_expect_error_envelope 504 query_timeout "${s#*:} with a 1 s timeout"
	t=$(awk -v t="$HTTP_TIME" 'BEGIN { printf "%d", t * 1000 }')
	ods_expect_le "$t" 3500 "${s#*:}: stopped by the statement timeout (ms)"
done
q "$MY" "SELECT 1 AS one"
ods_expect_json '.data.rows[0].one' 1 "the source answers after a timeout"

# ---- RBAC and owner scoping.
q "$MY" "SELECT 1" "" "${viewer[@]}"
ods_expect_code 403 "a viewer may not run SQL (datasource:execute)"
q "$MY" "SELECT 1 AS one" "" "${ana[@]}"
ods_expect_code 200 "an analyst runs SQL on a public source"
q "$RW" "SELECT 1" "" "${ana[@]}"
ods_expect_error_envelope 404 not_found "another user's private source is a 404"
q "no-such-source" "SELECT 1"
ods_expect_code 404 "an unknown source"
ods_req POST "$U/query/execute" "${eng[@]}" "${J[@]}" -d '{"sql":"SELECT 1"}'
ods_expect_error_envelope 400 validation_error "no source_id"
ods_expect_json '.field' source_id "names the field"
ods_req POST "$U/query/execute" "${eng[@]}" "${J[@]}" -d "{\"source_id\":\"$MY\",\"sql\":\"SELECT 1\",\"format\":\"xml\"}"
ods_expect_json '[.code, .field]' '[
  40001,
  "format"
]' "a bad format names the field"
ods_req POST "$U/query/execute" "${eng[@]}" "${J[@]}" -d '{"source_id":'
ods_expect_code 400 "broken JSON"
ods_req POST "$U/query/execute" "${J[@]}" -d '{}'
ods_expect_code 401 "no token"

# ---- CSV export: a whole result streamed with flat memory.
q "$PG" "SELECT id, name, note FROM items WHERE id <= 3 ORDER BY id" '{"format":"csv"}'
ods_expect_code 200 "PostgreSQL: CSV"
ods_expect_header Content-Type '^text/csv' "CSV content type"
exp=$(printf 'id,name,note\r\n1,item-1,"n,""1"""\r\n2,item-2,\r\n3,item-3,"n,""3"""\r\n')
ods_expect_eq "$(cat "$HTTP_BODY_FILE")" "$exp" "CSV: header, quoting, NULL as empty"
workers=$(ods_pool_workers data | tr '\n' ' ')
base=0
for p in $workers; do
	k=$(ods_rss_kb "$p")
	[ "$k" -gt "$base" ] && base=$k
done
body=$(jq -cn --arg s "$MY" '{source_id: $s, format: "csv", sql: "SELECT seq AS id, CONCAT(\"row-\", seq) AS name, seq * 1.5 AS v FROM seq_1_to_1000000"}')
r=$(ods_peak_rss_during "$workers" curl -sS -m 120 -o "$S/export.csv" \
    -w '%{http_code} %{time_total}\n' "${eng[@]}" "${J[@]}" -d "$body" \
    "$U/query/execute")
ods_t_ok "CSV export: $(printf '%s' "$r" | head -1)"
peak=$(printf '%s\n' "$r" | sed -n 's/^peak_kb=\([0-9]*\).*/\1/p')
lines=$(wc -l <"$S/export.csv")
ods_expect_eq "$lines" 1000001 "CSV: 1 000 000 rows and the header"
ods_expect_eq "$(tail -1 "$S/export.csv" | tr -d '\r')" "1000000,row-1000000,1500000.0" "CSV: the last row"
ods_t_ok "CSV: $(du -k "$S/export.csv" | cut -f1) KiB; data worker RSS before ${base} KiB, peak ${peak} KiB"
ods_expect_le "$((peak - base))" 32768 "CSV of 1 000 000 rows: worker RSS grows by under 32 MiB (KiB)"

# bgq SOURCE SQL: a query in the background (plain curl: the answers of
# ods_req are kept in files this shell numbers).
bgq() {
	curl -sS -m 30 -o /dev/null "${eng[@]}" "${J[@]}" \
	    -d "$(jq -cn --arg s "$1" --arg q "$2" '{source_id: $s, sql: $q}')" \
	    "$U/query/execute"
}

# ---- pools: bounded, idle close, a changed password, a silent server.
dsconns() { ods_db_sql -e "SELECT COUNT(*) FROM information_schema.processlist WHERE user = 'dsuser'"; }
bg=()
t0=$(date +%s%N)
for i in 1 2 3 4 5 6 7 8; do bgq "$MY" "SELECT SLEEP(0.5)" & bg+=($!); done
sleep 0.3
busy=$(dsconns)
wait "${bg[@]}"
t1=$(date +%s%N)
nw=$(printf '%s\n' $workers | wc -l)
ods_expect_le "$busy" "$((2 * nw))" "8 queries at once: at most ODS_DATASOURCE_POOL_SIZE (2) connections per worker ($nw workers)"
ods_t_ok "8 sleeps of 0.5 s took $(( (t1 - t0) / 1000000 )) ms on $busy connections"
no_dsconns() { [ "$(dsconns)" = 0 ]; }
ods_wait_until 8 no_dsconns ||
    ods_t_fail "idle connections not closed after ODS_DATASOURCE_IDLE_S"
ods_t_ok "idle connections closed after ODS_DATASOURCE_IDLE_S (2 s)"
q "$MY" "SELECT 1 AS one"
ods_req PUT "$U/datasources/$MY" "${eng[@]}" "${J[@]}" -d '{"connection":{"password":"wrong-one"}}'
ods_expect_code 200 "change the source's password"
q "$MY" "SELECT 1 AS one"
ods_expect_code 503 "the pooled connection is not used after a PUT: the new (wrong) password is"
ods_req PUT "$U/datasources/$MY" "${eng[@]}" "${J[@]}" -d "{\"connection\":{\"password\":\"$PW\"}}"
q "$MY" "SELECT 1 AS one"
ods_expect_code 200 "and the right one again"
# The server closes the pooled connections (KILL): the next query opens
# a new one rather than failing.
ods_db_sql -e "SELECT CONCAT('KILL ', id, ';') FROM information_schema.processlist WHERE user = 'dsuser'" |
    ods_db_sql || ods_t_fail "cannot kill the pooled connections"
q "$MY" "SELECT 2 AS two"
ods_expect_json '.data.rows[0].two' 2 "a pooled connection the server closed is replaced"
ods_pick_port HOLE
setsid socat -u TCP-LISTEN:"$HOLE",bind=127.0.0.1,fork,reuseaddr OPEN:/dev/null \
    </dev/null >/dev/null 2>&1 &
HOLE_PID=$!
ODS_T_CLEANUP='ods_pg_stop; kill -- -$HOLE_PID 2>/dev/null'
ods_wait_until 5 ods_port_busy "$HOLE" || ods_t_fail "socat did not listen"
mk silent mysql "$HOLE" u p x public; HOLE_ID=$ID
bg=()
for i in 1 2 3; do bgq "$HOLE_ID" "SELECT 1" & bg+=($!); done
sleep 0.3
q "$MY" "SELECT 1 AS one"
ods_expect_code 200 "a silent source does not hold the others"
t=$(awk -v t="$HTTP_TIME" 'BEGIN { printf "%d", t * 1000 }')
ods_expect_le "$t" 500 "the other source answers at once (ms)"
wait "${bg[@]}"
q "$HOLE_ID" "SELECT 1"
ods_expect_code 503 "the silent source: 503 within the connect timeout"

# ---- history.
ods_req GET "$U/query/history?page_size=5" "${eng[@]}"
ods_expect_code 200 "history"
ods_expect_json '[(.data.total > 20), (.data.queries | length), .page_size, (.data.queries[0] | has("sql") and has("duration_ms") and has("row_count") and has("status") and has("source_id"))]' '[
  true,
  5,
  5,
  true
]' "the caller's queries, paged, with sql, duration, row_count, status"
ods_req GET "$UD/query/history?source_id=$PG&page_size=100" "${eng[@]}"
ods_expect_json '[.data.queries[] | select(.sql | startswith("SELECT pg_read_file")) | .status, (.error | contains("pg_read_file"))] | .[0:2]' '[
  "refused",
  true
]' "a refused query is kept, with why"
ods_expect_json '[.data.queries[].source_id] | unique' "[
  \"$PG\"
]" "filtered by source"
ods_expect_json '[.data.queries[] | select(.status == "timeout")] | length' 1 "the timeout is kept"
ods_req GET "$U/query/history" "${ana[@]}"
ods_expect_json '[.data.total, .data.queries[0].sql]' '[
  1,
  "SELECT 1 AS one"
]' "another user sees only their own"
ods_req GET "$U/query/history" "${viewer[@]}"
ods_expect_code 403 "a viewer has no history to read"

# ---- metrics: every execution counted by outcome (refusals included).
m=$(curl -s "$ODS_DATA_URL/metrics")
for st in success refused error; do
	n=$(awk -v k="business_operations_total{operation=\"query_execute\",status=\"$st\"}" \
	    '$1 == k { print $2 }' <<<"$m")
	[ -n "$n" ] && [ "${n%.*}" -ge 1 ] ||
	    ods_t_fail "no query_execute $st in the scrape: $(grep query_execute <<<"$m")"
done
grep -q '^business_operation_duration_seconds_count{operation="query_execute"} ' <<<"$m" ||
    ods_t_fail "no query_execute duration histogram"
ods_t_ok "query executions in business_operations_total by status"

# ---- nothing leaks.
for p in "$PW" "$RW_PW" "$PG_PW"; do
	if grep -rqF -- "$p" "$S"/log/*.log "$S/nginx/logs/"*.log 2>/dev/null; then
		ods_t_fail "a test password appears in the logs"
	fi
done
ods_t_ok "no password in the logs"
ods_t_end
