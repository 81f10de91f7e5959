#!/usr/bin/env bash
# tests/integration/catalog.sh — the metadata catalog (issue 16, D15–D17):
# scans run by ods-worker of a fixture schema with foreign keys, indexes,
# defaults and comments on the stack's MariaDB (a schema and user of its
# own) and on a real PostgreSQL 15; what D15–D17 read back; an ALTER then
# a re-scan reflects it, a dropped table and a dropped column are marked
# removed (still there with include_removed=1); search by name and by
# comment with paging; data_assets filled; RBAC (a viewer reads, cannot
# scan; another user's private source is a 404 to scan and invisible to
# read); the data assets the scans register (D25); bad input is a 400
# naming the field. Both prefixes.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"
. "$here/../lib/pg.sh"

ods_t_begin catalog
ods_pg_require
export JWT_SECRET_KEY=catalog-secret-0123456789abcdefghijklmn
export ODS_RATE_LIMIT_DEFAULT=1000/minute ODS_RATE_LIMIT_BURST=2000
export ODS_SECRET_KEY=$(head -c 32 /dev/urandom | base64)
export ODS_DATASOURCE_ALLOW='127.0.0.1/32, ::1'
export ODS_DATASOURCE_CONNECT_TIMEOUT_MS=3000
PW=Cat-$(ods_secret 20)
PG_PW=Pg-$(ods_secret 20)
ods_stack_init
S=$ODS_STACK_DIR
ODS_T_CLEANUP='ods_pg_stop'
ods_pg_start
ods_stack_up
ctl=$(ods_bin odsctl)

# ---- the fixtures: MariaDB schema cat_shop, PostgreSQL schema cat_pg.
ods_db_sql <<EOF || ods_t_fail "cannot make the MariaDB fixture"
CREATE DATABASE IF NOT EXISTS cat_shop;
CREATE USER IF NOT EXISTS 'catuser'@'127.0.0.1' IDENTIFIED BY '$PW';
GRANT SELECT ON cat_shop.* TO 'catuser'@'127.0.0.1';
CREATE TABLE cat_shop.customers (
  id INT NOT NULL AUTO_INCREMENT COMMENT 'customer key',
  email VARCHAR(255) NOT NULL COMMENT 'contact address',
  region VARCHAR(32) NULL DEFAULT 'north',
  PRIMARY KEY (id), UNIQUE KEY uk_email (email)
) ENGINE=InnoDB COMMENT='people who buy';
CREATE TABLE cat_shop.orders (
  id BIGINT NOT NULL, customer_id INT NOT NULL,
  total DECIMAL(10,2) NOT NULL DEFAULT 0.00 COMMENT 'gross amount',
  PRIMARY KEY (id), KEY idx_cust (customer_id),
  CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id)
    REFERENCES cat_shop.customers (id)
) ENGINE=InnoDB COMMENT='purchase orders';
CREATE TABLE cat_shop.scratch (x INT) ENGINE=InnoDB;
INSERT INTO cat_shop.customers (email) VALUES ('a@x'), ('b@x'), ('c@x');
ANALYZE TABLE cat_shop.customers, cat_shop.orders;
EOF
ods_pg_psql <<'EOF' || ods_t_fail "cannot make the PostgreSQL fixture"
CREATE SCHEMA cat_pg;
COMMENT ON SCHEMA cat_pg IS 'warehouse schema';
CREATE TABLE cat_pg.products (id serial PRIMARY KEY, sku text NOT NULL UNIQUE,
  price numeric(10,2) DEFAULT 1.50);
COMMENT ON TABLE cat_pg.products IS 'things for sale';
COMMENT ON COLUMN cat_pg.products.sku IS 'stock keeping unit';
CREATE TABLE cat_pg.lines (id int PRIMARY KEY,
  product_id int NOT NULL REFERENCES cat_pg.products (id),
  qty int DEFAULT 1, legacy text);
CREATE INDEX lines_product_idx ON cat_pg.lines (product_id);
INSERT INTO cat_pg.products (sku) SELECT 'sku-' || g FROM generate_series(1, 50) g;
ANALYZE;
EOF
ods_t_ok "fixtures: MariaDB cat_shop (3 tables), PostgreSQL cat_pg (2 tables)"

tok() { "$ctl" token --sub "$1" --roles "$2" --ttl 600 || ods_t_fail "odsctl token"; }
eng=(-H "Authorization: Bearer $(tok erin data_engineer)")
eng2=(-H "Authorization: Bearer $(tok eddy data_engineer)")
viewer=(-H "Authorization: Bearer $(tok vic viewer)")
J=(-H 'Content-Type: application/json')
U=$ODS_DATA_URL/api/v1
UD=$ODS_DATA_URL/api/v1/data

# The sources: MariaDB public, PostgreSQL private to erin.
ods_req POST "$U/datasources" "${eng[@]}" "${J[@]}" -d "{\"source_id\":\"cat-my\",\"name\":\"shop\",\"type\":\"mariadb\",\"visibility\":\"public\",\"connection\":{\"host\":\"127.0.0.1\",\"port\":$ODS_DB_PORT,\"username\":\"catuser\",\"password\":\"$PW\",\"database\":\"cat_shop\"}}"
ods_expect_code 201 "a MariaDB source"
ods_req POST "$U/datasources" "${eng[@]}" "${J[@]}" -d "{\"source_id\":\"cat-pg\",\"name\":\"warehouse\",\"type\":\"postgresql\",\"connection\":{\"host\":\"127.0.0.1\",\"port\":$PG_PORT,\"username\":\"postgres\",\"password\":\"$PG_PW\",\"database\":\"postgres\"}}"
ods_expect_code 201 "a PostgreSQL source"

# scan URL SOURCE MSG: queue a scan (202) and wait for its job to end;
# the job row ends up in HTTP_BODY.
scan() {
	local base=$1 src=$2 msg=$3 job i st
	ods_req POST "$base/metadata/scan" "${eng[@]}" "${J[@]}" -d "{\"source_id\":\"$src\"}"
	ods_expect_code 202 "$msg: queued"
	ods_expect_json '.data.status' queued "$msg: status"
	job=$(ods_json .data.job_id)
	[ "$(ods_json .data.task_id)" = "$job" ] || ods_t_fail "$msg: task_id is the job id"
	for i in $(seq 1 150); do
		ods_req GET "$base/metadata/scan/$job/result" "${eng[@]}"
		st=$(ods_json .data.status)
		case $st in succeeded|failed|cancelled) break ;; esac
		sleep 0.2
	done
	ods_expect_json '.data.status' succeeded "$msg: the job"
}
# res FILTER: jq over the job's result (an object, or its JSON text).
res() { ods_json ".data.result | if type == \"string\" then fromjson else . end | $1"; }

# ---- first scans.
scan "$U" cat-my "MariaDB scan"
[ "$(res .status)" = completed ] || ods_t_fail "MariaDB scan: $(res .)"
ods_expect_eq "$(res .tables)" 3 "MariaDB scan: tables"
ods_expect_eq "$(res .relations)" 1 "MariaDB scan: relations"
ods_t_ok "MariaDB scan: $(res tojson)"
scan "$UD" cat-pg "PostgreSQL scan"
[ "$(res .status)" = completed ] || ods_t_fail "PostgreSQL scan: $(res .)"
ods_t_ok "PostgreSQL scan: $(res tojson)"

# ---- D15: databases.
ods_req GET "$U/metadata/databases?source_id=cat-my" "${eng[@]}"
ods_expect_code 200 "D15"
ods_expect_json '[.data.databases[].name] | join(",")' cat_shop "D15: the source's database only"
ods_expect_json '.data.total' 1 "D15: total"
ods_expect_json '.total' 1 "D15: total at the top level"
ods_expect_json '.data.databases[0].table_count' 3 "D15: table_count"
ods_req GET "$UD/metadata/databases" "${eng[@]}"
ods_expect_json '[.data.databases[].name] | contains(["cat_pg","cat_shop","public"])' true "D15: both sources"
ods_expect_json '[.data.databases[].name] | index("one_data_studio")' null "D15: never the system database"
ods_expect_json '(.data.databases[] | select(.name == "cat_pg") | .description)' "warehouse schema" "D15: a schema's comment"

# ---- D16: tables.
ods_req GET "$U/metadata/databases/cat_shop/tables" "${eng[@]}"
ods_expect_code 200 "D16"
ods_expect_json '[.data.tables[].name] | join(",")' customers,orders,scratch "D16: the tables"
ods_expect_json '(.data.tables[] | select(.name == "orders") | .description)' "purchase orders" "D16: a table's comment"
ods_expect_json '(.data.tables[] | select(.name == "customers") | .row_count)' 3 "D16: the row estimate"
ods_expect_json '(.data.tables[] | select(.name == "customers") | .size_bytes > 0)' true "D16: the size"
ods_req GET "$U/metadata/databases/no_such_db/tables" "${eng[@]}"
ods_expect_code 200 "D16: an unknown database"
ods_expect_json '.data.tables | length' 0 "D16: an unknown database has no tables"

# ---- D17: one table.
ods_req GET "$U/metadata/databases/cat_shop/tables/orders" "${eng[@]}"
ods_expect_code 200 "D17"
ods_expect_json '.data.table_name' orders "D17: table_name"
ods_expect_json '[.data.columns[].name] | join(",")' id,customer_id,total "D17: columns by position"
ods_expect_json '.data.columns[2].description' "gross amount" "D17: a column's comment"
ods_expect_json '.data.columns[2].type' "decimal(10,2)" "D17: a column's type"
ods_expect_json '.data.columns[2].default' "0.00" "D17: a column's default"
ods_expect_json '.data.columns[0].primary_key' true "D17: the primary key column"
ods_expect_json '.data.columns[1].nullable' false "D17: NOT NULL"
ods_expect_json '.data.primary_key | join(",")' id "D17: primary_key"
ods_expect_json '.data.relations[0] | "\(.from_column)->\(.to_table).\(.to_column)"' "customer_id->customers.id" "D17: the foreign key as a relation"
ods_expect_json '[.data.indexes[].name] | sort | join(",")' "PRIMARY,idx_cust" "D17: the indexes"
ods_req GET "$U/metadata/databases/cat_shop/tables/customers" "${eng[@]}"
ods_expect_json '(.data.columns[] | select(.name == "region") | .default) | contains("north")' true "D17: a string default"
ods_expect_json '(.data.indexes[] | select(.name == "uk_email") | .unique)' true "D17: a unique index"
ods_req GET "$UD/metadata/databases/cat_pg/tables/lines" "${eng[@]}"
ods_expect_code 200 "D17 on PostgreSQL"
ods_expect_json '.data.relations[0] | "\(.from_column)->\(.to_table).\(.to_column)"' "product_id->products.id" "PostgreSQL: the foreign key"
ods_expect_json '[.data.indexes[].name] | index("lines_product_idx") != null' true "PostgreSQL: the index"
ods_expect_json '(.data.columns[] | select(.name == "qty") | .default)' 1 "PostgreSQL: a default"
ods_req GET "$U/metadata/databases/cat_pg/tables/products" "${eng[@]}"
ods_expect_json '.data.description' "things for sale" "PostgreSQL: a table's comment"
ods_expect_json '.data.row_count' 50 "PostgreSQL: the row estimate"
ods_expect_json '(.data.columns[] | select(.name == "sku") | .description)' "stock keeping unit" "PostgreSQL: a column's comment"
ods_expect_json '(.data.columns[] | select(.name == "price") | .type)' "numeric(10,2)" "PostgreSQL: a type"
ods_req GET "$U/metadata/databases/cat_shop/tables/nope" "${eng[@]}"
ods_expect_code 404 "D17: an unknown table"
ods_expect_json '.code' 40402 "D17: code 40402"

# data_assets: one per table.
n=$(ods_db_sql one_data_studio -N -e "SELECT COUNT(*) FROM data_assets WHERE source_id IN ('cat-my','cat-pg') AND asset_type = 'table' AND removed_at IS NULL")
ods_expect_eq "$n" 5 "data_assets: one per scanned table"
# D25: the assets the scans registered.
ods_req GET "$U/assets?source_id=cat-my" "${eng[@]}"
ods_expect_code 200 "D25: GET /assets"
ods_expect_json '[.data.assets[].table_name] | join(",")' customers,orders,scratch "D25: one asset per table"
ods_expect_json '.data.total' 3 "D25: total"
ods_expect_json '(.data.assets[] | select(.table_name == "orders") | [.columns[].name] | join(","))' id,customer_id,total "D25: the asset's columns"
ods_expect_json '(.data.assets[] | select(.table_name == "orders") | .path)' cat-my/cat_shop/orders "D25: the asset's path"
SCRATCH_ASSET=$(ods_json '.data.assets[] | select(.table_name == "scratch") | .id')
ods_req GET "$UD/assets?q=sale&page_size=1" "${eng[@]}"
ods_expect_json '.data.assets[0].table_name' products "D25: search by description"
ods_expect_json '.page_size' 1 "D25: paging"
ods_req GET "$UD/assets/$SCRATCH_ASSET" "${eng[@]}"
ods_expect_code 200 "D25: GET /assets/{asset_id}"
ods_expect_json '.data.source_type' mariadb "D25: the source's type"
ods_req GET "$U/assets/tbl-none" "${eng[@]}"
ods_expect_code 404 "D25: an unknown asset"

# ---- ALTER, DROP, re-scan.
ods_db_sql <<'EOF' || ods_t_fail "ALTER on MariaDB"
ALTER TABLE cat_shop.orders ADD COLUMN note VARCHAR(100) NULL COMMENT 'free text',
  MODIFY total DECIMAL(12,2) NOT NULL DEFAULT 0.00 COMMENT 'gross amount incl. tax';
DROP TABLE cat_shop.scratch;
EOF
ods_pg_psql <<'EOF' || ods_t_fail "ALTER on PostgreSQL"
ALTER TABLE cat_pg.lines DROP COLUMN legacy;
COMMENT ON TABLE cat_pg.lines IS 'order lines';
EOF
scan "$U" cat-my "MariaDB re-scan"
ods_expect_eq "$(res .removed)" 2 "MariaDB re-scan: the table and its column marked removed"
scan "$U" cat-pg "PostgreSQL re-scan"
ods_req GET "$U/metadata/databases/cat_shop/tables/orders" "${eng[@]}"
ods_expect_json '[.data.columns[].name] | join(",")' id,customer_id,total,note "re-scan: the new column"
ods_expect_json '.data.columns[2].type' "decimal(12,2)" "re-scan: the changed type"
ods_expect_json '.data.columns[2].description' "gross amount incl. tax" "re-scan: the changed comment"
ods_req GET "$U/metadata/databases/cat_shop/tables" "${eng[@]}"
ods_expect_json '[.data.tables[].name] | join(",")' customers,orders "re-scan: the dropped table is gone from the list"
ods_req GET "$U/metadata/databases/cat_shop/tables?include_removed=1" "${eng[@]}"
ods_expect_json '(.data.tables[] | select(.name == "scratch") | .removed)' true "re-scan: the dropped table is marked removed"
ods_req GET "$U/metadata/databases/cat_shop/tables/scratch" "${eng[@]}"
ods_expect_code 404 "re-scan: a removed table is not served as present"
ods_req GET "$U/metadata/databases/cat_shop/tables/scratch?include_removed=1" "${eng[@]}"
ods_expect_code 200 "re-scan: a removed table with include_removed=1"
ods_expect_json '.data.removed_at != null' true "re-scan: removed_at"
ods_req GET "$U/metadata/databases/cat_pg/tables/lines" "${eng[@]}"
ods_expect_json '[.data.columns[].name] | index("legacy")' null "PostgreSQL re-scan: the dropped column is gone"
ods_expect_json '.data.description' "order lines" "PostgreSQL re-scan: the new comment"
ods_req GET "$U/metadata/databases/cat_pg/tables/lines?include_removed=1" "${eng[@]}"
ods_expect_json '(.data.columns[] | select(.name == "legacy") | .removed_at != null)' true "PostgreSQL re-scan: the dropped column is marked removed"
st=$(ods_db_sql one_data_studio -N -e "SELECT status FROM data_assets WHERE source_id = 'cat-my' AND table_name = 'scratch'")
ods_expect_eq "$st" removed "data_assets: the dropped table's asset is marked removed"
ods_req GET "$U/assets?source_id=cat-my" "${eng[@]}"
ods_expect_json '[.data.assets[].table_name] | join(",")' customers,orders "D25: the dropped table's asset is left out"
ods_req GET "$U/assets/$SCRATCH_ASSET" "${eng[@]}"
ods_expect_json '[.data.status, (.data.removed_at != null)] | map(tostring) | join(",")' removed,true "D25: the asset by id says removed"

# ---- search.
ods_req GET "$U/metadata/search?q=keeping" "${eng[@]}"
ods_expect_code 200 "search by comment"
ods_expect_json '.data.results[0] | "\(.type) \(.table).\(.column) \(.matched)"' "column products.sku description" "search: a column by its comment"
ods_req GET "$UD/metadata/search?q=ORDERS&type=table" "${eng[@]}"
ods_expect_json '[.data.results[] | "\(.database).\(.name) \(.matched)"] | join(",")' "cat_shop.orders name" "search: a table by name (any case)"
ods_req GET "$U/metadata/search?q=id&page=1&page_size=2" "${eng[@]}"
ods_expect_json '.data.results | length' 2 "search: a page"
ods_expect_json '.data.total > 2' true "search: the total beyond the page"
ods_expect_json '.page_size' 2 "search: page_size at the top level"
first=$(ods_json '.data.results[0] | "\(.source_id)/\(.database)/\(.table)/\(.column)"')
ods_req GET "$U/metadata/search?q=id&page=2&page_size=2" "${eng[@]}"
[ "$(ods_json '.data.results[0] | "\(.source_id)/\(.database)/\(.table)/\(.column)"')" != "$first" ] ||
    ods_t_fail "search: page 2 repeats page 1"
ods_t_ok "search: page 2 is another page"
ods_req GET "$U/metadata/search?q=scratch" "${eng[@]}"
ods_expect_json '.data.total' 0 "search: a removed table is not found"
ods_req GET "$U/metadata/search?q=100%25" "${eng[@]}"
ods_expect_json '.data.total' 0 "search: % is taken literally"

# ---- RBAC and owners.
ods_req GET "$U/metadata/databases" "${viewer[@]}"
ods_expect_code 200 "viewer: reads the catalog"
ods_expect_json '[.data.databases[].source_id] | unique | join(",")' cat-my "viewer: sees the public source only"
ods_req GET "$U/metadata/databases/cat_pg/tables/lines" "${viewer[@]}"
ods_expect_code 404 "viewer: another user's private source's table is a 404"
ods_req GET "$U/metadata/search?q=keeping" "${viewer[@]}"
ods_expect_json '.data.total' 0 "viewer: search does not reach a private source"
ods_req GET "$U/assets" "${viewer[@]}"
ods_expect_json '[.data.assets[].source_id] | unique | join(",")' cat-my "viewer: the assets of the public source only"
ods_req POST "$U/metadata/scan" "${viewer[@]}" "${J[@]}" -d '{"source_id":"cat-my"}'
ods_expect_code 403 "viewer: cannot scan"
ods_expect_json '.required' metadata:create "viewer: the permission named"
ods_req POST "$U/metadata/scan" "${eng2[@]}" "${J[@]}" -d '{"source_id":"cat-pg"}'
ods_expect_code 404 "another engineer: erin's private source cannot be scanned"
ods_req POST "$U/metadata/scan" "${eng2[@]}" "${J[@]}" -d '{"source_id":"cat-my"}'
ods_expect_code 202 "another engineer: a public source can be scanned"
ods_req GET "$U/metadata/scan/$(ods_json .data.job_id)/result" "${eng[@]}"
ods_expect_code 404 "a scan's result is its creator's"

# ---- bad input.
ods_req POST "$U/metadata/scan" "${eng[@]}" "${J[@]}" -d '{}'
ods_expect_code 400 "scan: no source_id"
ods_expect_json '.field' source_id "scan: the field named"
ods_req POST "$U/metadata/scan" "${eng[@]}" "${J[@]}" -d '{"source_id":7}'
ods_expect_code 400 "scan: a source_id that is no string"
ods_req POST "$U/metadata/scan" "${eng[@]}" "${J[@]}" -d '{"source_id":'
ods_expect_code 400 "scan: broken JSON"
ods_req POST "$U/metadata/scan" "${eng[@]}" "${J[@]}" -d '{"source_id":"no-such"}'
ods_expect_code 404 "scan: an unknown source"
ods_req POST "$U/datasources" "${eng[@]}" "${J[@]}" -d '{"source_id":"cat-ora","name":"ora","type":"oracle","connection":{"host":"127.0.0.1"}}'
ods_req POST "$U/metadata/scan" "${eng[@]}" "${J[@]}" -d '{"source_id":"cat-ora"}'
ods_expect_code 400 "scan: a type that cannot connect"
ods_req GET "$U/metadata/search" "${eng[@]}"
ods_expect_code 400 "search: no q"
ods_expect_json '.field' q "search: the field named"
ods_req GET "$U/metadata/search?q=a&type=view" "${eng[@]}"
ods_expect_code 400 "search: a bad type"
ods_req GET "$U/metadata/databases?page=x" "${eng[@]}"
ods_expect_code 400 "D15: a bad page"
ods_req GET "$U/metadata/databases?include_removed=7" "${eng[@]}"
ods_expect_code 400 "D15: a bad include_removed"
ods_req GET "$U/metadata/scan/abc/result" "${eng[@]}"
ods_expect_code 400 "scan result: a bad task_id"

# A source whose password is wrong: the scan ends, failed, with the reason;
# the catalog it had is left as it was.
ods_req PUT "$U/datasources/cat-my" "${eng[@]}" "${J[@]}" -d '{"connection":{"password":"wrong"}}'
ods_expect_code 200 "the MariaDB source's password changed to a wrong one"
scan "$U" cat-my "a scan that cannot connect"
ods_expect_eq "$(res .status)" failed "a scan that cannot connect: failed"
ods_expect_eq "$(res .error)" auth_failed "a scan that cannot connect: why"
ods_req GET "$U/metadata/databases/cat_shop/tables" "${eng[@]}"
ods_expect_json '.data.tables | length' 2 "a failed scan marks nothing removed"
# Deleting a source takes its catalog with it: marked removed, not left
# as tables of a source that no longer exists.
ods_req DELETE "$U/datasources/cat-my" -H "Authorization: Bearer $(tok ada admin)"
ods_expect_code 200 "the MariaDB source deleted"
n=$(ods_db_sql "$MYSQL_DATABASE" -N -e "SELECT (SELECT COUNT(*) FROM metadata_tables WHERE source_id = 'cat-my' AND removed_at IS NULL) + (SELECT COUNT(*) FROM metadata_columns WHERE source_id = 'cat-my' AND removed_at IS NULL) + (SELECT COUNT(*) FROM data_assets WHERE source_id = 'cat-my' AND removed_at IS NULL)")
ods_expect_eq "$n" 0 "no live catalog row of the deleted source"
ods_req GET "$U/metadata/search?q=cat_shop" "${eng[@]}"
ods_expect_code 200 "search after the delete"
ods_expect_json '[.. | objects | select(.source_id? == "cat-my")] | length' 0 "search finds nothing of the deleted source"
ods_t_end
