#!/usr/bin/env bash
# tests/integration/kb-rag.sh — knowledge bases and RAG end to end through
# nginx, with ods-worker ingesting:
#   - a knowledge base is created, read, listed, updated; another user's is
#     a 404 everywhere (read, upload, documents, query);
#   - uploads: JSON text, multipart Markdown and HTML (scripts and styles
#     not indexed), a Chinese text in GB18030 through a collection name that
#     creates its knowledge base; 201 with the chunk count once indexed;
#     the same bytes again are not indexed twice; a PNG is a 415, a corrupt
#     PDF a 400, never a 500;
#   - /rag/query (question or query, collection or knowledge_base_id) finds
#     the right document in vector, keyword and hybrid modes, with scores in
#     [0, 1], best first, score_threshold kept with >=, an extractive answer
#     (no chat model here) citing the passages; /retrieval/hybrid and
#     /knowledge-bases/{id}/test return the results;
#   - a deleted document never appears in a result again, from the moment
#     its DELETE answered (many queries right after it);
#   - metrics: rag_retrieval_duration_seconds, business_operations_total
#     {operation="rag_query"}, vector_search_score;
# every answer checked against openapi/openapi.yaml.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"

ods_t_begin kb-rag
ods_t_require iconv
export JWT_SECRET_KEY=kb-rag-secret-0123456789abcdefghijklmn
export ODS_RATE_LIMIT_DEFAULT=100000/minute ODS_RATE_LIMIT_BURST=100000
export ODS_WORKER_WORKERS=1 ODS_WORKER_CONCURRENCY=2
ods_stack_init
ods_stack_up
ctl=$(ods_bin odsctl)
tok() { "$ctl" token --sub "$1" --roles "$2" --ttl 600 || ods_t_fail "odsctl token"; }
alice=(-H "Authorization: Bearer $(tok alice user)")
bob=(-H "Authorization: Bearer $(tok bob user)")
viewer=(-H "Authorization: Bearer $(tok vic viewer)")
admin=(-H "Authorization: Bearer $(tok root admin)")
J=(-H 'Content-Type: application/json')
A=$ODS_AGENT_URL/api/v1
t=$ODS_STACK_DIR/t
mkdir -p "$t"

# ---------------------------------------------------------------- bases
ods_req POST "$A/knowledge-bases" "${alice[@]}" "${J[@]}" \
    -d '{"name":"Ops handbook","description":"how we run things","chunk_size":300,"chunk_overlap":30}'
ods_expect_code 201 "create a knowledge base"
kb=$(ods_json .data.knowledge_base_id)
coll=$(ods_json .data.collection_name)
ods_expect_json '.data.chunk_size' 300 "its chunk size is kept"
ods_expect_json '.data.embedding_model' ods-hash-embed-384 "the built-in model by default"
ods_req POST "$A/knowledge-bases" "${alice[@]}" "${J[@]}" -d '{"description":"x"}'
ods_expect_code 400 "a knowledge base needs a name"
ods_req POST "$A/knowledge-bases" "${alice[@]}" "${J[@]}" -d "{\"name\":\"dup\",\"collection_name\":\"$coll\"}"
ods_expect_code 409 "a collection name is taken once"
ods_req POST "$A/knowledge-bases" "${alice[@]}" "${J[@]}" -d '{"name":"x","embedding_model":"no-such-model"}'
ods_expect_code 400 "an embedding model nobody serves"
ods_req POST "$A/knowledge-bases" "${viewer[@]}" "${J[@]}" -d '{"name":"v"}'
ods_expect_code 403 "a viewer cannot create one"
ods_get "$A/knowledge-bases/$kb" "${alice[@]}"
ods_expect_code 200 "read it back"
ods_expect_json '.data.name' 'Ops handbook' "its name"
ods_get "$A/knowledge-bases/$kb" "${bob[@]}"
ods_expect_code 404 "another user's knowledge base is a 404"
ods_get "$A/knowledge-bases?page=1&page_size=10" "${alice[@]}"
ods_expect_json '[.data.knowledge_bases[].knowledge_base_id] | index("'"$kb"'") != null' true "listed"
ods_expect_json '.total >= 1 and .data.page_size == 10' true "paged"
ods_get "$A/knowledge-bases" "${bob[@]}"
ods_expect_json '.data.total' 0 "bob has none"

# -------------------------------------------------------------- uploads
cat >"$t/guide.md" <<'EOF'
# Backups

The database is backed up every night at 02:00 with mariabackup. Backups
are kept for thirty days in the object store, encrypted with the backup
key. A restore drill runs on the first Monday of each month.

# Scaling

The agent API scales horizontally: add replicas behind nginx. Each
replica keeps its own copy of the vector index and follows MariaDB.
EOF
ods_req POST "$A/documents/upload" "${alice[@]}" -F "file=@$t/guide.md;type=text/markdown" \
    -F "title=Operations guide" -F "knowledge_base_id=$kb"
ods_expect_code 201 "a Markdown upload is indexed within the wait"
md=$(ods_json .data.doc_id)
ods_expect_json '.data.chunk_count > 0 and .data.status == "indexed"' true "with its chunks"
ods_expect_json '.data.collection' "$coll" "into the knowledge base's collection"

ods_req POST "$A/documents/upload" "${alice[@]}" "${J[@]}" -d "{\"content\":\"Password rotation: the Keycloak client secret is rotated every ninety days by the platform team. Tokens signed with the previous key stay valid until they expire.\",\"file_name\":\"rotation.txt\",\"title\":\"Key rotation\",\"knowledge_base_id\":\"$kb\"}"
ods_expect_code 201 "a JSON upload"
rot=$(ods_json .data.doc_id)

cat >"$t/page.html" <<'EOF'
<!doctype html><html><head><title>Alerts</title><style>.x{color:red}</style>
<script>var secretToken = "zebraquokka";</script></head>
<body><h1>Alerting</h1><p>When the error rate passes five percent for ten
minutes, the on-call engineer is paged through the alert manager.</p></body></html>
EOF
ods_req POST "$A/knowledge-bases/$kb/upload" "${alice[@]}" -F "file=@$t/page.html;type=text/html"
ods_expect_code 201 "an HTML upload through the knowledge base's route"
html=$(ods_json .data.doc_id)
ods_get "$A/documents/$html" "${alice[@]}"
ods_expect_json '.data.format' html "parsed as HTML"

ods_req POST "$A/documents/upload" "${alice[@]}" -F "file=@$t/guide.md;type=text/markdown" \
    -F "knowledge_base_id=$kb"
ods_expect_code 200 "the same bytes again"
ods_expect_json '.data.duplicate and .data.doc_id == "'"$md"'"' true "give the first document back"

printf '\x89PNG\r\n\x1a\n\0\0\0\rIHDR' >"$t/img.png"
ods_req POST "$A/documents/upload" "${alice[@]}" -F "file=@$t/img.png;type=image/png" -F "knowledge_base_id=$kb"
ods_expect_code 415 "an image is not a document"
ods_expect_error_envelope 415 unsupported_media_type "415 JSON"
printf '%%PDF-1.4\n1 0 obj garbage garbage\n%%%%EOF\n' >"$t/bad.pdf"
ods_req POST "$A/documents/upload" "${alice[@]}" -F "file=@$t/bad.pdf;type=application/pdf" -F "knowledge_base_id=$kb"
ods_expect_code 400 "a corrupt PDF"
ods_req POST "$A/documents/upload" "${alice[@]}" "${J[@]}" -d '{"content":""}'
ods_expect_code 400 "empty content"
ods_req POST "$A/documents/upload" "${alice[@]}" -F "file=@$t/guide.md;type=text/markdown" \
    -F "knowledge_base_id=$kb" -F 'metadata=[1,2'
ods_expect_code 400 "multipart metadata that is not a JSON object"
ods_req POST "$A/documents/upload" "${bob[@]}" "${J[@]}" -d "{\"content\":\"hello\",\"knowledge_base_id\":\"$kb\"}"
ods_expect_code 404 "bob cannot upload into alice's knowledge base"
ods_req POST "$A/documents/upload" "${viewer[@]}" "${J[@]}" -d '{"content":"hello"}'
ods_expect_code 403 "a viewer cannot upload"

# Chinese, in GB18030, into a collection that does not exist yet.
printf '%s\n' '# 值班制度' '' '告警发生后，值班工程师必须在十五分钟内响应，并在事故频道中同步进展。' '' '# 数据库备份' '' '数据库每天凌晨两点进行全量备份，备份文件保留三十天。' |
    iconv -f UTF-8 -t GB18030 >"$t/zh.txt"
ods_req POST "$A/documents/upload" "${alice[@]}" -F "file=@$t/zh.txt;type=text/plain" -F "collection=zh-ops"
ods_expect_code 201 "a GB18030 text into a new collection"
zh=$(ods_json .data.doc_id)
ods_get "$A/documents/$zh" "${alice[@]}"
ods_expect_json '.data.charset | test("GB")' true "its charset was detected"
ods_get "$A/documents?collection=zh-ops" "${alice[@]}"
ods_expect_json '[.data.documents[].doc_id]' "[
  \"$zh\"
]" "listed in its collection"
ods_expect_json '.data.collections | index("zh-ops") != null' true "the collections"
ods_expect_json '.data.total_collections >= 2' true "and their count"

# ---------------------------------------------------------------- query
q() { ods_req POST "$1" "${alice[@]}" "${J[@]}" -d "$2"; }
for mode in vector keyword hybrid; do
	q "$A/rag/query" "{\"question\":\"how long are database backups kept\",\"knowledge_base_id\":\"$kb\",\"mode\":\"$mode\",\"top_k\":3}"
	ods_expect_code 200 "rag/query ($mode)"
	ods_expect_json '.data.results[0].doc_id' "$md" "the backup passage comes first ($mode)"
	ods_expect_json '[.data.results[].score] | (all(. >= 0 and . <= 1)) and (. == (sort | reverse))' true \
	    "scores in [0,1], best first ($mode)"
done
# The built-in model's vectors derive from the text: the chunk rows hold
# none (the vector mode above found the passage from vectors computed by
# the index follower).
n=$(ods_db_sql "$MYSQL_DATABASE" -e "SELECT COUNT(*), COUNT(embedding) FROM document_chunks WHERE doc_id = '$md'")
ods_expect_eq "$(printf '%s' "$n" | awk '{print ($1 > 0), $2}')" "1 0" "the built-in model's chunks are stored without a vector"
ods_expect_json '.data.answer_mode' extractive "no chat model: an extractive answer"
ods_expect_json '.data.answer | test("\\[1\\]")' true "citing its passages"
ods_expect_json '.data.sources | index("guide.md") != null' true "sources name the file"
ods_expect_json '.data.answer | test("zebraquokka") | not' true "scripts of the HTML are not indexed"
q "$A/rag/query" "{\"query\":\"zebraquokka\",\"collection\":\"$coll\",\"mode\":\"keyword\"}"
ods_expect_json '.data.retrieved_count' 0 "the script's words are not in the keyword index"
q "$A/rag/query" "{\"query\":\"who gets paged when the error rate is high\",\"collection\":\"$coll\"}"
ods_expect_json '.data.results[0].doc_id' "$html" "the web's names (query, collection)"
q "$A/rag/query" "{\"question\":\"数据库备份保留多久\",\"collection\":\"zh-ops\"}"
ods_expect_code 200 "a Chinese question"
ods_expect_json '.data.results[0].content | test("三十天")' true "finds the Chinese passage"
q "$A/rag/query" "{\"question\":\"backups\",\"knowledge_base_id\":\"$kb\",\"score_threshold\":0.99999}"
ods_expect_json '[.data.results[].score] | all(. >= 0.99999)' true "score_threshold keeps score >= t"
q "$A/rag/query" "{\"knowledge_base_id\":\"$kb\"}"
ods_expect_code 400 "no question"
q "$A/rag/query" "{\"question\":\"x\",\"knowledge_base_id\":\"$kb\",\"mode\":\"psychic\"}"
ods_expect_code 400 "an unknown mode"
q "$A/rag/query" "{\"question\":\"x\",\"knowledge_base_id\":\"$kb\",\"top_k\":0}"
ods_expect_code 400 "top_k 0"
ods_req POST "$A/rag/query" "${bob[@]}" "${J[@]}" -d "{\"question\":\"backups\",\"knowledge_base_id\":\"$kb\"}"
ods_expect_code 404 "bob cannot query alice's knowledge base"
q "$A/retrieval/hybrid" "{\"query\":\"key rotation secret\",\"knowledge_base_id\":\"$kb\",\"top_k\":2}"
ods_expect_code 200 "retrieval/hybrid"
ods_expect_json '.data.results[0].doc_id' "$rot" "finds the rotation note"
ods_expect_json '.data.answer' null "without an answer"
q "$A/knowledge-bases/$kb/test" '{"query":"restore drill"}'
ods_expect_json '.data.results[0].doc_id' "$md" "the knowledge base's test probe"
q "$A/rag/query" "{\"question\":\"backups\",\"knowledge_base_id\":\"$kb\",\"doc_ids\":[\"$rot\"]}"
ods_expect_json '[.data.results[].doc_id] | unique' "[
  \"$rot\"
]" "a doc_ids filter"

# Metadata filters: the uploads' metadata, matched key by key.
for team in sre dev; do
	q "$A/documents/upload" "{\"content\":\"Runbook of the $team team: restart the ingestion workers with care.\",\"file_name\":\"$team.txt\",\"knowledge_base_id\":\"$kb\",\"metadata\":{\"team\":\"$team\",\"level\":2}}"
	ods_expect_code 201 "a document with metadata team=$team"
done
q "$A/retrieval/hybrid" "{\"query\":\"restart the ingestion workers\",\"knowledge_base_id\":\"$kb\",\"metadata\":{\"team\":\"dev\",\"level\":2}}"
ods_expect_json '[.data.results[].file_name] | unique' '[
  "dev.txt"
]' "a metadata filter keeps the documents that match"
q "$A/retrieval/hybrid" "{\"query\":\"restart\",\"knowledge_base_id\":\"$kb\",\"metadata\":{\"team\":\"ops\"}}"
ods_expect_json '.data.total' 0 "and none when none matches"
q "$A/retrieval/hybrid" "{\"query\":\"restart\",\"knowledge_base_id\":\"$kb\",\"metadata\":{\"a b\":\"x\"}}"
ods_expect_code 400 "a metadata key that is not a name"

# ----------------------------------------------------------- deletion
ods_req DELETE "$A/documents/$md" "${alice[@]}"
ods_expect_code 403 "a user may not delete documents (RBAC §7.2: admin)"
ods_req DELETE "$A/documents/$md" "${admin[@]}"
ods_expect_code 200 "admin deletes the backup guide"
for i in $(seq 1 20); do
	q "$A/rag/query" "{\"question\":\"how long are database backups kept\",\"knowledge_base_id\":\"$kb\",\"top_k\":10}"
	[ "$(ods_json "[.data.results[].doc_id] | index(\"$md\")")" = null ] ||
	    ods_t_fail "the deleted document came back in query $i"
done
ods_t_ok "a deleted document never comes back (20 queries right after)"
ods_get "$A/documents/$md" "${alice[@]}"
ods_expect_code 404 "the deleted document is gone"
ods_req DELETE "$A/documents/batch" "${admin[@]}" "${J[@]}" -d "{\"doc_ids\":[\"$rot\",\"doc-nope\"]}"
ods_expect_code 200 "batch delete"
ods_expect_json '[.data.deleted, .data.not_found]' "[
  [
    \"$rot\"
  ],
  [
    \"doc-nope\"
  ]
]" "what was deleted and what was not there"
ods_req DELETE "$A/documents/batch" "${admin[@]}" "${J[@]}" -d '{"doc_ids":"x"}'
ods_expect_code 400 "doc_ids must be a list"
ods_expect_json '.code' 40002 "with the reference's code"

# -------------------------------------------------------------- update
ods_req PUT "$A/knowledge-bases/$kb" "${admin[@]}" "${J[@]}" -d '{"description":"new words"}'
ods_expect_code 200 "update"
ods_expect_json '.data.description' 'new words' "saved"
ods_req POST "$A/knowledge-bases/$kb/rebuild" "${admin[@]}"
ods_expect_code 202 "rebuild queued"
ods_expect_json '.data.documents' 3 "the live documents are queued again"
for i in $(seq 1 100); do
	ods_get "$A/knowledge-bases/$kb/documents" "${alice[@]}"
	[ "$(ods_json '[.data.documents[].status] | all(. == "indexed")')" = true ] && break
	sleep 0.1
done
ods_expect_json '[.data.documents[].status] | all(. == "indexed")' true "indexed again after the rebuild"
n=$(ods_json '[.data.documents[].chunk_count] | add')
ods_get "$A/knowledge-bases/$kb" "${alice[@]}"
ods_expect_json "[.data.document_count, .data.vector_count]" "[
  3,
  $n
]" "the KB counts its live documents and their chunks"
q "$A/rag/query" '{"question":"who gets paged","knowledge_base_id":"'"$kb"'"}'
ods_expect_json '.data.results[0].doc_id' "$html" "and found again"

# -------------------------------------------------------------- metrics
m=$(curl -s "$ODS_AGENT_URL/metrics")
for name in 'rag_retrieval_duration_seconds_count{method="hybrid"}' \
    'rag_retrieval_duration_seconds_count{method="keyword"}' \
    'business_operations_total{operation="rag_query",status="success"}' \
    'vector_search_score{collection="'"$coll"'"}'; do
	if ! printf '%s\n' "$m" | grep -qF "$name"; then
		# What the scrape held instead (a failure seen once in many
		# runs, cause not found): the family's lines and the size.
		printf '%s\n' "$m" | grep -F "${name%%\{*}" | head -20 >&2
		echo "scrape: $(printf '%s' "$m" | wc -c) bytes" >&2
		ods_t_fail "/metrics lacks $name"
	fi
done
ods_t_ok "RAG metrics"

ods_req DELETE "$A/knowledge-bases/$kb" "${admin[@]}"
ods_expect_code 200 "delete the knowledge base"
ods_get "$A/knowledge-bases/$kb" "${admin[@]}"
ods_expect_code 404 "gone"
q "$A/rag/query" "{\"question\":\"paged\",\"knowledge_base_id\":\"$kb\"}"
ods_expect_code 404 "no query on a deleted knowledge base"

ods_t_spec_validate
ods_t_end
