#!/usr/bin/env bash
# tests/integration/datasets.sh — datasets (reference §3.3 D2–D9) end to
# end through nginx, on the directory backend and then on S3 (s3rver),
# with one MariaDB, Redis and nginx and the pools restarted between the
# two (the same function runs on each):
#   - CRUD with D3's validation (400 naming the field, 409 code 40901 for
#     a taken id), tags, search, paging, soft delete;
#   - RBAC (§7.2): viewer reads, engineer writes, admin deletes; another
#     engineer may read a public dataset but not change it (403), never
#     sees a private one (404); admin sees all;
#   - a 200 MB CSV uploaded both ways: multipart through our route, and a
#     presigned PUT (our signed route, or s3rver itself) then the
#     completion; each makes a version whose sha256 is the file's and
#     whose row_count is its records; the presigned download gives the
#     same bytes; the preview answers from the head (timed) with typed
#     columns and total_rows;
#   - concurrent uploads get distinct, consecutive version numbers;
#   - previews of TSV, JSON, JSON Lines and a GBK CSV; a malformed CSV is
#     a 422 naming its line; parquet is a 415; no version yet is a 404.
# Every answer is checked against openapi/openapi.yaml.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"

ods_t_begin datasets
ods_t_require sha256sum jq awk iconv
ods_stack_init
ods_stack_backends
ctl=$(ods_bin odsctl)
[ -x "$ctl" ] || ods_t_fail "$ctl is not built"
unset MINIO_ENDPOINT
export JWT_SECRET_KEY=datasets-secret-0123456789abcdefghijklmn
export ODS_MAX_UPLOAD_BYTES=$((512 * 1048576))
ods_stack_pools
ods_stack_nginx_start
ods_stack_wait_live || ods_t_fail "stack not live"

t=$ODS_STACK_DIR/t
mkdir -p "$t"
sha() { sha256sum "$1" | cut -d' ' -f1; }
ms() { awk -v t="$HTTP_TIME" 'BEGIN { printf "%d", t * 1000 }'; }

tok() { "$ctl" token --sub "$1" --roles "$2" --ttl 3600 || ods_t_fail "odsctl token"; }
eng=(-H "Authorization: Bearer $(tok erin data_engineer)")
eng2=(-H "Authorization: Bearer $(tok eddy data_engineer)")
viewer=(-H "Authorization: Bearer $(tok vic viewer)")
admin=(-H "Authorization: Bearer $(tok root admin)")
J=(-H 'Content-Type: application/json')
U=$ODS_DATA_URL/api/v1
UD=$ODS_DATA_URL/api/v1/data

# The 200 MB CSV: id, name (some quoted with a comma), amount, day.
big=$t/big.csv
awk 'BEGIN {
	print "id,name,amount,day"
	for (i = 1; i <= 5100000; i++)
		printf "%d,%s,%d.%02d,2024-%02d-%02d\n", i,
		    (i % 7 == 0) ? "\"Smith, J" i "\"" : "name" i,
		    i % 100000, i % 100, i % 12 + 1, i % 28 + 1
}' >"$big"
big_rows=5100000
big_size=$(stat -c %s "$big")
big_sha=$(sha "$big")
[ "$big_size" -ge 200000000 ] || ods_t_fail "the CSV is $big_size bytes"
ods_t_ok "a CSV of $big_size bytes, $big_rows rows"

printf 'a\tb\n1\tx\n2\ty\n' >"$t/small.tsv"
printf '[{"k":1,"v":"a"},{"k":2,"v":null,"w":true}]' >"$t/small.json"
printf '{"k":1,"t":"2024-01-01"}\n{"k":2.5,"t":"2024-01-02T10:00:00Z"}\n' \
    >"$t/small.jsonl"
printf '城市,人口\n北京,2154\n上海,2428\n' | iconv -f UTF-8 -t GBK >"$t/gbk.csv"
printf 'a,b\n1,2\n3,4\n5,6,7\n' >"$t/bad.csv"

# create BE NAME [JSON MEMBERS] [AUTH...]: POST /datasets; DS = its id.
create() {
	local name=$1 extra=${2:-}
	shift 2
	ods_req POST "$U/datasets" "$@" "${J[@]}" \
	    -d "{\"name\":\"$name\"${extra:+,$extra}}"
	DS=$(ods_json .data.dataset_id)
}

# upload DS FILE [FIELD...]: multipart upload as erin.
upload() {
	local ds=$1 f=$2
	shift 2
	ODS_T_CURL_TIMEOUT=300 ods_req POST "$U/datasets/$ds/upload" \
	    "${eng[@]}" -F "file=@$f" "$@"
}

suite() {
	local be=$1 ds up url vn i n pids
	ods_t_ok "--- $be backend"

	# ---- CRUD and validation.
	create "" "" "${eng[@]}"
	ods_expect_code 400 "empty name ($be)"
	ods_expect_json .field name "the empty name is named"
	ods_req POST "$U/datasets" "${eng[@]}" "${J[@]}" -d '{"description":"x"}'
	ods_expect_code 400 "name missing ($be)"
	ods_expect_json .field name "the field is named"
	create "bad/name" "" "${eng[@]}"
	ods_expect_json .field name "a '/' in the name ($be)"
	create "ok" '"format":"xml"' "${eng[@]}"
	ods_expect_json .field format "an unknown format ($be)"
	create "ok" '"storage_type":"ftp"' "${eng[@]}"
	ods_expect_json .field storage_type "an unknown storage_type ($be)"
	create "ok" "\"tags\":[$(seq -s, 1 21 | sed 's/[0-9]*/"t&"/g')]" "${eng[@]}"
	ods_expect_json .field tags "21 tags ($be)"
	create "ok" "\"description\":\"$(head -c 501 /dev/zero | tr '\0' x)\"" "${eng[@]}"
	ods_expect_json .field description "a description of 501 ($be)"
	ods_req POST "$U/datasets" "${eng[@]}" "${J[@]}" -d '{"name":'
	ods_expect_code 400 "broken JSON ($be)"

	create "销售 数据_$be" "\"dataset_id\":\"sales-$be\",\"description\":\"monthly sales\",\"tags\":[\"finance\",\"$be\"],\"format\":\"csv\",\"schema\":{\"columns\":[{\"name\":\"id\",\"type\":\"integer\",\"nullable\":false}]}" "${eng[@]}"
	ods_expect_code 201 "create ($be)"
	ods_expect_json .data.dataset_id "sales-$be" "the client's id"
	ods_expect_json .data.status active "active"
	ods_expect_json '.data.schema.columns[0].name' id "the schema given"
	ods_expect_json '.data.tags | length' 2 "tags"
	create "again" "\"dataset_id\":\"sales-$be\"" "${eng[@]}"
	ods_expect_error_envelope 409 conflict "a taken dataset_id ($be)"
	ods_expect_json .code 40901 "code 40901"

	# ---- RBAC: viewer reads, engineer writes, admin deletes.
	create "viewer_made" "" "${viewer[@]}"
	ods_expect_error_envelope 403 forbidden "viewer cannot create ($be)"
	ods_expect_json .required dataset:create "the permission named"
	ods_req GET "$UD/datasets/sales-$be" "${viewer[@]}"
	ods_expect_code 200 "viewer reads ($be, canonical prefix)"
	ods_expect_json .data.name "销售 数据_$be" "a CJK name"
	ods_req PUT "$U/datasets/sales-$be" "${viewer[@]}" "${J[@]}" -d '{"description":"v"}'
	ods_expect_code 403 "viewer cannot update ($be)"
	ods_req PUT "$U/datasets/sales-$be" "${eng2[@]}" "${J[@]}" -d '{"description":"e2"}'
	ods_expect_error_envelope 403 forbidden "another engineer cannot change it ($be)"
	ods_req PUT "$U/datasets/sales-$be" "${eng[@]}" "${J[@]}" \
	    -d "{\"description\":\"monthly sales, EUR\",\"tags\":[\"finance\",\"eur-$be\"]}"
	ods_expect_code 200 "its creator updates ($be)"
	ods_expect_json .data.description "monthly sales, EUR" "updated"
	ods_req PUT "$U/datasets/sales-$be" "${eng[@]}" "${J[@]}" -d '{"dataset_id":"other"}'
	ods_expect_json .field dataset_id "dataset_id cannot change ($be)"
	ods_req DELETE "$U/datasets/sales-$be" "${eng[@]}"
	ods_expect_error_envelope 403 forbidden "engineer cannot delete ($be)"
	create "secret_$be" "\"dataset_id\":\"private-$be\",\"visibility\":\"private\"" "${eng[@]}"
	ods_expect_code 201 "a private dataset ($be)"
	ods_req GET "$U/datasets/private-$be" "${eng2[@]}"
	ods_expect_error_envelope 404 not_found "another engineer never sees it ($be)"
	ods_expect_json .code 40401 "code 40401"
	ods_req GET "$U/datasets/private-$be" "${viewer[@]}"
	ods_expect_code 404 "nor does a viewer ($be)"
	ods_req GET "$U/datasets/private-$be" "${admin[@]}"
	ods_expect_code 200 "admin sees it ($be)"
	ods_req GET "$U/datasets?q=secret_$be" "${eng2[@]}"
	ods_expect_json .data.total 0 "not in another's list ($be)"
	ods_req GET "$U/datasets?q=secret_$be" "${eng[@]}"
	ods_expect_json .data.total 1 "in its creator's list ($be)"
	ods_req GET "$U/datasets" -H 'Authorization: Bearer nope'
	ods_expect_code 401 "a bad token ($be)"

	# ---- list: search, tags, paging.
	ods_req GET "$U/datasets?tags=eur-$be&page_size=1" "${viewer[@]}"
	ods_expect_code 200 "list by tag ($be)"
	ods_expect_json '[.data.datasets[0].dataset_id, .data.total, .total, .page_size]' \
	    "$(jq -c -n --arg d "sales-$be" '[$d,1,1,1]' | jq .)" "one match, both page shapes"
	ods_req GET "$U/datasets?q=monthly&page=1&page_size=1" "${viewer[@]}"
	ods_expect_json '.data.datasets | length' 1 "search, one per page ($be)"
	ods_req GET "$U/datasets?page=x" "${viewer[@]}"
	ods_expect_code 400 "a bad page ($be)"

	# ---- no version yet.
	ods_req GET "$U/datasets/sales-$be/preview" "${viewer[@]}"
	ods_expect_error_envelope 404 not_found "a preview before any file ($be)"

	# ---- the 200 MB CSV, multipart.
	upload "sales-$be" "$big" -F "description=first load"
	ods_expect_code 201 "multipart upload of $big_size bytes ($be)"
	ods_t_ok "multipart upload: $(ms) ms ($be)"
	ods_expect_json .data.version_number 1 "version 1"
	ods_expect_json .data.checksum "$big_sha" "the stored sha256 is the file's ($be)"
	ods_expect_json .data.size_bytes "$big_size" "size"
	ods_expect_json .data.row_count "$big_rows" "row count ($be)"
	ods_expect_json '[.data.columns[].type] | join(",")' "integer,string,number,date" \
	    "the columns' types"
	key1=$(ods_json .data.storage_path)
	"$ctl" store head "$key1" >"$t/head.out" 2>&1 || ods_t_fail "odsctl store head $key1"
	grep -q "$big_sha" "$t/head.out" || [ "$be" = s3 ] ||
	    ods_t_fail "the store's own sha256 of $key1: $(cat "$t/head.out")"

	ods_req GET "$U/datasets/sales-$be" "${viewer[@]}"
	ods_expect_json '[.data.version, .data.row_count, .data.size_bytes]' \
	    "$(jq -n "[1,$big_rows,$big_size]")" "the dataset follows its newest version"
	ods_expect_json '[.data.schema.columns[].name] | join(",")' "id,name,amount,day" \
	    "the schema is the file's"

	# ---- preview (a ranged read of the head).
	ods_req GET "$U/datasets/sales-$be/preview?limit=5" "${viewer[@]}"
	ods_expect_code 200 "preview ($be)"
	ods_t_ok "preview of a 200 MB file: $(ms) ms ($be)"
	[ "$(ms)" -lt 3000 ] || ods_t_fail "the preview took $(ms) ms"
	ods_expect_json '.data.rows | length' 5 "5 rows"
	ods_expect_json .data.total_rows "$big_rows" "total_rows"
	ods_expect_json '.data.rows[1]' "$(jq -n '{id:2,name:"name2",amount:2.02,day:"2024-03-03"}')" \
	    "typed values"
	ods_expect_json '.data.rows[4].name' "name5" "row 5"
	ods_expect_json '[.data.delimiter, .data.has_header, .data.charset]' \
	    "$(jq -n '[",",true,"UTF-8"]')" "dialect"
	ods_req GET "$U/datasets/sales-$be/preview?limit=7&version=1" "${viewer[@]}"
	ods_expect_json '.data.rows[6].name' "Smith, J7" "a quoted field with a comma"
	ods_req GET "$U/datasets/sales-$be/preview?limit=0" "${viewer[@]}"
	ods_expect_json .field limit "limit 0 ($be)"

	# ---- the same file, presigned.
	ods_req POST "$U/datasets/sales-$be/upload-url" "${viewer[@]}" "${J[@]}" \
	    -d '{"file_name":"big.csv"}'
	ods_expect_code 403 "viewer gets no upload URL ($be)"
	ods_req POST "$U/datasets/sales-$be/upload-url" "${eng[@]}" "${J[@]}" -d '{}'
	ods_expect_json .field file_name "file_name missing ($be)"
	ods_req POST "$U/datasets/sales-$be/upload-url" "${eng[@]}" "${J[@]}" \
	    -d '{"file_name":"big.csv","expires":600}'
	ods_expect_code 200 "upload-url ($be)"
	ods_expect_json '[.data.method, .data.expires_in]' "$(jq -n '["PUT",600]')" "PUT, 600 s"
	up=$(ods_json .data.upload_id)
	url=$(ods_json .data.upload_url)
	[ "$(ods_json .data.file_id)" = "$up" ] || ods_t_fail "file_id is not upload_id"
	case $url in /*) url=$ODS_DATA_URL$url ;; esac
	ods_req POST "$U/datasets/sales-$be/uploads/$up/complete" "${eng[@]}"
	ods_expect_error_envelope 409 conflict "complete before the PUT ($be)"
	HTTP_CODE=$(curl -s -o "$t/put.body" -w '%{http_code}' -m 300 -X PUT \
	    -T "$big" -H 'Content-Type: text/csv' "$url")
	case $HTTP_CODE in 200 | 201) ;; *) cat "$t/put.body"; ods_t_fail "PUT to the presigned URL: $HTTP_CODE" ;; esac
	ods_t_ok "presigned PUT of $big_size bytes ($be): HTTP $HTTP_CODE"
	ODS_T_CURL_TIMEOUT=300 ods_req POST "$U/datasets/sales-$be/uploads/$up/complete" \
	    "${eng[@]}" "${J[@]}" -d "{\"sha256\":\"$big_sha\"}"
	ods_expect_code 201 "complete ($be)"
	ods_t_ok "completion (the object read through): $(ms) ms ($be)"
	ods_expect_json .data.version_number 2 "version 2"
	ods_expect_json .data.checksum "$big_sha" "the presigned file's sha256 ($be)"
	ods_expect_json .data.row_count "$big_rows" "its rows"
	ods_expect_json .data.upload_id "$up" "its upload"
	ods_req POST "$U/datasets/sales-$be/uploads/$up/complete" "${eng[@]}"
	ods_expect_error_envelope 409 conflict "a second completion ($be)"

	# ---- an upload never completed: its bytes and row cleared by the
	# hourly uploads_expire job once it is past its expiry.
	ods_req POST "$U/datasets/sales-$be/upload-url" "${eng[@]}" "${J[@]}" \
	    -d '{"file_name":"abandoned.csv","expires":1}'
	ods_expect_code 200 "a short-lived upload-url ($be)"
	gone=$(ods_json .data.upload_id)
	url=$(ods_json .data.upload_url)
	case $url in /*) url=$ODS_DATA_URL$url ;; esac
	printf 'a,b\n1,2\n' >"$t/abandoned.csv"
	curl -s -f -o /dev/null -m 30 -X PUT -T "$t/abandoned.csv" "$url" ||
	    ods_t_fail "PUT of the abandoned upload ($be)"
	gkey=$(ods_db_sql "$MYSQL_DATABASE" -e "SELECT storage_path FROM file_uploads WHERE upload_id = '$gone'")
	"$ctl" store head "$gkey" >/dev/null 2>&1 || ods_t_fail "the abandoned upload's object is there ($be)"
	sleep 1.5
	jid=$("$ctl" jobs enqueue uploads_expire --payload '{"grace_s":0}') ||
	    ods_t_fail "enqueue uploads_expire"
	"$ctl" jobs wait "$jid" --timeout 30 >/dev/null || ods_t_fail "uploads_expire did not succeed ($be)"
	ods_expect_eq "$(ods_db_sql "$MYSQL_DATABASE" -e "SELECT status FROM file_uploads WHERE upload_id = '$gone'")" \
	    expired "the abandoned upload is marked expired ($be)"
	if "$ctl" store head "$gkey" >/dev/null 2>&1; then
		ods_t_fail "the abandoned upload's object is still there ($be)"
	fi
	ods_expect_eq "$(ods_db_sql "$MYSQL_DATABASE" -e "SELECT status FROM file_uploads WHERE upload_id = '$up'")" \
	    completed "a completed upload is left alone ($be)"
	ods_t_ok "an abandoned presigned upload is cleared ($be)"

	# ---- presigned download of the newest version.
	ods_req POST "$U/datasets/sales-$be/access" "${viewer[@]}" "${J[@]}" \
	    -d '{"operation":"download","expires":300}'
	ods_expect_code 200 "access: download ($be)"
	ods_expect_json '[.data.method, .data.operation, .data.version_number]' \
	    "$(jq -n '["GET","download",2]')" "a GET of version 2"
	url=$(ods_json .data.presigned_url)
	case $url in /*) url=$ODS_DATA_URL$url ;; esac
	curl -s -f -m 300 -o "$t/down.csv" "$url" || ods_t_fail "the presigned GET"
	ods_expect_eq "$(sha "$t/down.csv")" "$big_sha" "the download is the file ($be)"
	rm -f "$t/down.csv"
	ods_req POST "$U/datasets/sales-$be/access" "${viewer[@]}" "${J[@]}" -d '{"operation":"delete"}'
	ods_expect_json .field operation "a bad operation ($be)"

	# ---- concurrent uploads: distinct, consecutive numbers.
	n=6
	pids=()
	for i in $(seq 1 $n); do
		printf 'x,y\n%d,%d\n' "$i" "$i" >"$t/c$i.csv"
		curl -s -m 60 -o "$t/c$i.out" "${eng[@]}" -F "file=@$t/c$i.csv" \
		    "$U/datasets/sales-$be/upload" &
		pids+=($!)
	done
	wait "${pids[@]}"
	vn=$(for i in $(seq 1 $n); do jq -r .data.version_number "$t/c$i.out"; done | sort -n | tr '\n' ' ')
	ods_expect_eq "$vn" "3 4 5 6 7 8 " "$n concurrent uploads get $n numbers ($be)"
	ods_req GET "$U/datasets/sales-$be/versions?page_size=3" "${viewer[@]}"
	ods_expect_json '[.data.total, (.data.versions | map(.version_number) | join(","))]' \
	    "$(jq -n '[8,"8,7,6"]')" "versions, newest first ($be)"
	ods_req POST "$U/datasets/sales-$be/versions" "${eng[@]}" "${J[@]}" \
	    -d "{\"storage_path\":\"$key1\",\"checksum\":\"$big_sha\",\"description\":\"back to the first\"}"
	ods_expect_code 201 "a version from an object of the dataset ($be)"
	ods_expect_json '[.data.version_number, .data.checksum]' \
	    "$(jq -n --arg s "$big_sha" '[9,$s]')" "version 9 is the first file"
	ods_req POST "$U/datasets/sales-$be/versions" "${eng[@]}" "${J[@]}" \
	    -d '{"storage_path":"datasets/other/x.csv"}'
	ods_expect_json .field storage_path "another dataset's object ($be)"

	# ---- formats, charsets, malformed files.
	create "formats_$be" "\"dataset_id\":\"fmt-$be\"" "${eng[@]}"
	upload "fmt-$be" "$t/small.tsv"
	ods_req GET "$U/datasets/fmt-$be/preview" "${viewer[@]}"
	ods_expect_json '[.data.format, .data.delimiter, .data.rows[1].b]' \
	    "$(jq -n '["tsv","\t","y"]')" "TSV ($be)"
	upload "fmt-$be" "$t/small.json"
	ods_req GET "$U/datasets/fmt-$be/preview" "${viewer[@]}"
	ods_expect_json '[.data.format, .data.total_rows, ([.data.columns[].type] | join(","))]' \
	    "$(jq -n '["json",2,"integer,string,boolean"]')" "JSON ($be)"
	upload "fmt-$be" "$t/small.jsonl"
	ods_req GET "$U/datasets/fmt-$be/preview" "${viewer[@]}"
	ods_expect_json '[.data.format, ([.data.columns[].type] | join(",")), .data.rows[1].k]' \
	    "$(jq -n '["jsonl","number,datetime",2.5]')" "JSON Lines ($be)"
	upload "fmt-$be" "$t/gbk.csv"
	ods_req GET "$U/datasets/fmt-$be/preview?encoding=GBK" "${viewer[@]}"
	ods_expect_json '[.data.columns[0].name, .data.rows[1]["城市"], .data.rows[1]["人口"]]' \
	    "$(jq -n '["城市","上海",2428]')" "GBK converted ($be)"
	upload "fmt-$be" "$t/bad.csv"
	ods_expect_code 201 "a malformed file is still a version ($be)"
	ods_req GET "$U/datasets/fmt-$be/preview" "${viewer[@]}"
	ods_expect_error_envelope 422 malformed_file "a malformed CSV ($be)"
	ods_expect_json .line 4 "the line is named"
	ods_expect_json .code 42200 "code 42200"
	printf 'PAR1\0\0' >"$t/x.parquet"
	upload "fmt-$be" "$t/x.parquet"
	ods_req GET "$U/datasets/fmt-$be/preview" "${viewer[@]}"
	ods_expect_code 415 "parquet has no reader ($be)"

	# ---- soft delete.
	ods_req DELETE "$U/datasets/fmt-$be" "${admin[@]}"
	ods_expect_code 200 "admin deletes ($be)"
	ods_req GET "$U/datasets/fmt-$be" "${viewer[@]}"
	ods_expect_json .data.status deleted "kept, as deleted ($be)"
	ods_req GET "$U/datasets?q=formats_$be" "${viewer[@]}"
	ods_expect_json .data.total 0 "not listed ($be)"
	ods_req GET "$U/datasets?q=formats_$be&status=deleted" "${viewer[@]}"
	ods_expect_json .data.total 1 "listed with status=deleted ($be)"
	upload "fmt-$be" "$t/small.tsv"
	ods_expect_code 409 "no upload into a deleted dataset ($be)"
	ods_req DELETE "$U/datasets/nope-$be" "${admin[@]}"
	ods_expect_code 404 "delete an unknown dataset ($be)"
}

suite dir

# --- S3 (s3rver) ----------------------------------------------------------
ods_stack_pools_stop
ods_s3_start
ods_s3_env
ods_stack_pools
ods_stack_wait_live || ods_t_fail "stack not live on S3"
suite s3

rm -f "$big"
ods_t_end
