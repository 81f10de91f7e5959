#!/usr/bin/env bash
# tests/integration/kb-ingest-crash.sh — ingestion and the indexes under
# crashes and concurrency, through nginx with two agent workers (one
# writer of the indexes, one reader) and two ods-worker processes:
#   - a large document answers 202 at once (ODS_INGEST_SYNC_MS=0) and shows
#     its progress; kill -9 of the ods-worker processes in the middle of its
#     ingestion: the job resumes after the lease and the document ends with
#     exactly its chunks (indexes 0..n-1, none twice);
#   - 24 documents ingested in parallel into one knowledge base (chunk seqs
#     commit out of order across knowledge bases meanwhile): both agent
#     workers' indexes end with every chunk of the database, and each
#     document is found;
#   - a transaction holding a knowledge base's row holds back an ingestion
#     batch into it (so its seqs commit in order);
#   - the agent pool restarted with an empty index directory catches up
#     from MariaDB and answers like before, with results capped below a
#     catch-up page (smaller pages then); `odsctl kb reindex` rebuilds;
#   - the keyword file alone removed (as a format upgrade empties it): the
#     keywords are refilled from MariaDB, the vectors left as they are.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"

ods_t_begin kb-ingest-crash
export JWT_SECRET_KEY=kb-crash-secret-0123456789abcdefghijklmn
export ODS_RATE_LIMIT_DEFAULT=100000/minute ODS_RATE_LIMIT_BURST=100000
export ODS_INGEST_SYNC_MS=0 ODS_JOB_LEASE_MS=2000 ODS_JOB_BACKOFF_MS=200
export ODS_WORKER_WORKERS=2 ODS_WORKER_CONCURRENCY=3 ODS_AGENT_WORKERS=2
ods_stack_init
ods_stack_up
ctl=$(ods_bin odsctl)
alice=(-H "Authorization: Bearer $("$ctl" token --sub alice --roles user --ttl 900)")
J=(-H 'Content-Type: application/json')
A=$ODS_AGENT_URL/api/v1
t=$ODS_STACK_DIR/t
mkdir -p "$t"

# A large text of made-up words: sentences, paragraphs, ~12 MB.
awk 'BEGIN {
	srand(7)
	for (i = 0; i < 3000; i++) {
		w = ""
		n = 3 + int(rand() * 6)
		for (j = 0; j < n; j++)
			w = w sprintf("%c", 97 + int(rand() * 26))
		v[i] = w
	}
	for (p = 0; p < 16000; p++) {
		s = ""
		for (k = 0; k < 12; k++) {
			m = 6 + int(rand() * 10)
			for (j = 0; j < m; j++)
				s = s v[int(rand() * 3000)] (j < m - 1 ? " " : "")
			s = s ". "
		}
		print s "\n"
	}
}' >"$t/big.txt"
ods_t_ok "a $(($(stat -c %s "$t/big.txt") / 1048576)) MB text"

ods_req POST "$A/knowledge-bases" "${alice[@]}" "${J[@]}" -d '{"name":"big","collection_name":"big"}'
ods_expect_code 201 "a knowledge base"
bigkb=$(ods_json .data.knowledge_base_id)
ods_req POST "$A/documents/upload" "${alice[@]}" -F "file=@$t/big.txt;type=text/plain" -F collection=big
ods_expect_code 202 "a large upload answers 202 while it is indexed"
big=$(ods_json .data.doc_id)
ods_expect_json '.data.status' indexing "status indexing"
ods_expect_json '.data.job_id > 0' true "with its job"

# kill -9 every ods-worker process once the ingestion is under way.
for i in $(seq 1 600); do
	ods_get "$A/documents/$big" "${alice[@]}"
	p=$(ods_json .data.progress)
	[ "${p:-0}" -ge 15 ] && break
	sleep 0.05
done
[ "${p:-0}" -ge 15 ] && [ "${p:-0}" -lt 95 ] ||
    ods_t_fail "progress $p: could not catch the ingestion in the middle"
before=$(ods_db_sql one_data_studio -e "SELECT COUNT(*) FROM document_chunks WHERE doc_id = '$big'")
kill -9 $(ods_pool_workers worker) 2>/dev/null
ods_t_ok "killed the ods-worker processes at $p % ($before chunks stored)"
for i in $(seq 1 1200); do
	ods_get "$A/documents/$big" "${alice[@]}"
	[ "$(ods_json .data.status)" = indexed ] && break
	sleep 0.1
done
ods_expect_json '.data.status' indexed "the job resumed on a new worker and finished"
n=$(ods_json .data.chunk_count)
row=$(ods_db_sql one_data_studio -e "SELECT COUNT(*), COUNT(DISTINCT chunk_index), MIN(chunk_index), MAX(chunk_index) FROM document_chunks WHERE doc_id = '$big' AND deleted = 0" | tr '\t' ' ')
ods_expect_eq "$row" "$n $n 0 $((n - 1))" "exactly its $n chunks, none twice"
attempts=$(ods_db_sql one_data_studio -e "SELECT attempts FROM jobs WHERE id = (SELECT job_id FROM indexed_documents WHERE doc_id = '$big')")
[ "$attempts" -ge 2 ] || ods_t_fail "the job ran $attempts time(s); the kill missed it"
ods_t_ok "the job took $attempts attempts"

# 24 documents at once into one knowledge base, while another one grows.
ods_req POST "$A/knowledge-bases" "${alice[@]}" "${J[@]}" -d '{"name":"many","collection_name":"many","chunk_size":60,"chunk_overlap":0}'
kb=$(ods_json .data.knowledge_base_id)
pids=()
for i in $(seq 1 24); do
	awk -v i="$i" 'BEGIN { for (k = 0; k < 40; k++) printf "Document %d token doc%dword line %d of the parallel set.\n", i, i, k }' >"$t/d$i.txt"
	curl -s -o "$t/d$i.out" "${alice[@]}" -F "file=@$t/d$i.txt;type=text/plain" \
	    -F "knowledge_base_id=$kb" "$A/documents/upload" &
	pids+=($!)
	(curl -s -o /dev/null "${alice[@]}" "${J[@]}" -d "{\"content\":\"side $i $RANDOM\",\"collection\":\"side\"}" \
	    "$A/documents/upload" &)
done
wait "${pids[@]}"
for i in $(seq 1 24); do
	[ "$(jq -r '.data.doc_id // empty' "$t/d$i.out" 2>/dev/null)" != "" ] ||
	    ods_t_fail "parallel upload $i was not taken: $(head -c 300 "$t/d$i.out")"
done
ods_t_ok "the 24 parallel uploads were taken"
for i in $(seq 1 600); do
	left=$(ods_db_sql one_data_studio -e "SELECT COUNT(*) FROM indexed_documents WHERE kb_id = '$kb' AND status <> 'indexed'")
	[ "$left" = 0 ] && break
	sleep 0.1
done
ods_expect_eq "$left" 0 "the 24 documents are indexed"
want=$(ods_db_sql one_data_studio -e "SELECT COUNT(*) FROM document_chunks c JOIN knowledge_bases k ON k.id = c.kb_num WHERE k.kb_id = '$kb' AND c.deleted = 0")
# Both agent workers (the writer and the reader) hold every chunk. Which
# process answers is the kernel's choice (one may take every request), so
# once the writer has published them all it is stopped (SIGSTOP) and the
# reader must answer; it is found by the flock(2) on its KB's vec/LOCK.
kbnum=$(ods_db_sql one_data_studio -e "SELECT id FROM knowledge_bases WHERE kb_id = '$kb'")
seen_w=0 seen_r=0
for i in $(seq 1 100); do
	seq 1 16 | xargs -P 8 -I{} curl -s "${alice[@]}" "$A/knowledge-bases/$kb" |
	    jq -r '.data.index | "\(.writer) \(.vectors) \(.keywords)"' >"$t/idx"
	grep -q "^true $want $want\$" "$t/idx" && seen_w=1
	grep -q "^false $want $want\$" "$t/idx" && seen_r=1
	[ $seen_w = 1 ] || [ $seen_r = 1 ] && break
	sleep 0.1
done
[ $seen_w = 1 ] || [ $seen_r = 1 ] ||
    ods_t_fail "no agent worker reached $want chunks: $(sort "$t/idx" | uniq -c)"
if [ $seen_r = 0 ]; then
	ino=$(stat -c %i "$ODS_DATA_DIR"/index/"$kbnum"-*/vec/LOCK | head -1)
	wpid=$(awk -v ino="$ino" '$2 == "FLOCK" { split($6, f, ":"); if (f[3] == ino) print $5 }' /proc/locks | head -1)
	[ -n "$wpid" ] || ods_t_fail "no process holds the writer's lock of KB $kbnum"
	# Nothing in between may exit: the writer must not stay stopped.
	kill -STOP "$wpid"
	for i in $(seq 1 50); do
		{ curl -s -m 5 "${alice[@]}" "$A/knowledge-bases/$kb" |
		    jq -r '.data.index | "\(.writer) \(.vectors) \(.keywords)"' \
		    >"$t/idx"; } 2>/dev/null || true
		grep -q "^false $want $want\$" "$t/idx" && { seen_r=1; break; }
		sleep 0.1
	done
	kill -CONT "$wpid"
fi
[ $seen_r = 1 ] ||
    ods_t_fail "the reader did not reach $want chunks: $(cat "$t/idx")"
ods_t_ok "a reader's index, published by the writer, holds all $want chunks"
for i in $(seq 1 24); do
	ods_req POST "$A/retrieval/hybrid" "${alice[@]}" "${J[@]}" \
	    -d "{\"query\":\"doc${i}word\",\"knowledge_base_id\":\"$kb\",\"mode\":\"keyword\",\"top_k\":1}"
	# (Checked quietly, but a miss says what was answered: seen once.)
	[ "$(ods_json ".data.results[0].content | test(\"doc${i}word\")")" = true ] ||
	    ods_t_fail "document $i is not found by its word: HTTP $HTTP_CODE $HTTP_BODY"
done
ods_t_ok "each of the 24 documents is found"

# The ordering itself: a transaction holding the knowledge base's row
# (as an ingestion batch or a deletion does from before its first seq to
# its commit) holds back every other write of chunks to it, so seqs of one
# knowledge base commit in order.
ods_db_sql one_data_studio -e "BEGIN; SELECT id FROM knowledge_bases WHERE kb_id = '$kb' FOR UPDATE; SELECT SLEEP(3); COMMIT;" >/dev/null &
lockpid=$!
sleep 0.5
t0=$(date +%s%N)
ods_req POST "$A/documents/upload" "${alice[@]}" "${J[@]}" \
    -d "{\"content\":\"held back by the lock\",\"knowledge_base_id\":\"$kb\"}"
held=$(ods_json .data.doc_id)
for i in $(seq 1 100); do
	ods_get "$A/documents/$held" "${alice[@]}"
	[ "$(ods_json .data.status)" = indexed ] && break
	sleep 0.1
done
waited=$((($(date +%s%N) - t0) / 1000000))
wait "$lockpid"
ods_expect_json '.data.status' indexed "indexed once the lock was released"
[ "$waited" -ge 2000 ] || ods_t_fail "the batch did not wait for the knowledge base's lock ($waited ms)"
maxseq=$(ods_db_sql one_data_studio -e "SELECT MAX(seq) FROM document_chunks WHERE doc_id <> '$held' AND kb_num = (SELECT id FROM knowledge_bases WHERE kb_id = '$kb')")
minseq=$(ods_db_sql one_data_studio -e "SELECT MIN(seq) FROM document_chunks WHERE doc_id = '$held'")
[ "$minseq" -gt "$maxseq" ] || ods_t_fail "seq $minseq drawn before the lock, below $maxseq"
ods_t_ok "an ingestion batch waited $waited ms for the knowledge base's lock, its seqs after the others"
want=$(ods_db_sql one_data_studio -e "SELECT COUNT(*) FROM document_chunks c JOIN knowledge_bases k ON k.id = c.kb_num WHERE k.kb_id = '$kb' AND c.deleted = 0")

# An empty index directory: the agent pool catches up from MariaDB. Its
# results are capped at 4 MiB meanwhile (ODS_DB_MAX_RESULT_BYTES), below
# a full catch-up page of the big document's chunks: the page that is
# refused is read again in smaller ones, and nothing is missed.
ods_pool_stop agent TERM 20
rm -rf "$ODS_DATA_DIR/index"
big0=$(grep -c db_result_too_big "$ODS_STACK_DIR/log/agent.log")
ODS_DB_MAX_RESULT_BYTES=4194304 ods_pool_start agent
ods_wait_http "$ODS_AGENT_URL/api/v1/healthz" 200 20 || ods_t_fail "agent pool not back"
ods_req POST "$A/retrieval/hybrid" "${alice[@]}" "${J[@]}" \
    -d "{\"query\":\"doc7word\",\"knowledge_base_id\":\"$kb\",\"top_k\":1}"
ods_expect_json '.data.results[0].content | test("doc7word")' true "found again after the index was wiped"
ods_get "$A/knowledge-bases/$kb" "${alice[@]}"
ods_expect_json '.data.index.vectors' "$want" "the new index caught up"
# The big document's knowledge base was caught up into exact segments;
# once it is quiet the writer merges them into one graph in the
# background, and a vector search finds a chunk by its own text.
for _ in $(seq 1 900); do
	ods_get "$A/knowledge-bases/$bigkb" "${alice[@]}"
	[ "$(ods_json .data.index.vectors)" = "$n" ] &&
	    [ "$(ods_json .data.index.exact)" = 0 ] &&
	    [ "$(ods_json .data.index.graphs)" = 1 ] && break
	sleep 0.2
done
ods_expect_json '[.data.index.graphs, .data.index.exact, .data.index.vectors] == [1, 0, '"$n"']' true \
    "the writer merged the $n vectors into one graph"
big1=$(grep -c db_result_too_big "$ODS_STACK_DIR/log/agent.log")
[ "$big1" -gt "$big0" ] ||
    ods_t_fail "no catch-up page was refused under a 4 MiB result cap"
ods_t_ok "$((big1 - big0)) catch-up pages over 4 MiB were read again in smaller ones"
# ... on a thread of its own, so that catch-ups go on meanwhile.
named=0
for p in $(ods_pool_workers agent); do
	grep -qx ods-merge /proc/"$p"/task/*/comm 2>/dev/null && named=1
done
ods_expect_eq "$named" 1 "the graph was built on an agent's ods-merge thread"
ods_db_sql one_data_studio --raw -e "SELECT content FROM document_chunks WHERE doc_id = '$big' AND chunk_index = 7 AND deleted = 0" >"$t/c7.txt"
jq -n --rawfile q "$t/c7.txt" --arg kb "$bigkb" \
    '{query: ($q | rtrimstr("\n")), knowledge_base_id: $kb, top_k: 1, mode: "vector"}' >"$t/c7.json"
ods_req POST "$A/retrieval/hybrid" "${alice[@]}" "${J[@]}" -d "@$t/c7.json"
ods_expect_json '"\(.data.results[0].chunk_index) \(.data.results[0].score > 0.98)"' '7 true' \
    "a vector search through the graph finds the chunk by its text"

# odsctl kb reindex: with the pools stopped, rebuild one knowledge base.
ods_pool_stop agent TERM 20
"$ctl" kb reindex "$kb" >"$t/reindex.out" 2>&1 || { cat "$t/reindex.out"; ods_t_fail "odsctl kb reindex"; }
grep -q "$want chunks" "$t/reindex.out" || ods_t_fail "reindex said: $(cat "$t/reindex.out")"
ods_t_ok "odsctl kb reindex rebuilt $want chunks"

# The keyword file alone gone, as after an upgrade of its format (its
# writer empties it and its seq starts again at 0) while the vectors stay
# at the newest seq: the follower refills the keywords from MariaDB, the
# vectors keep their count.
rm -rf "$ODS_DATA_DIR"/index/"$kbnum"-*/kw
ods_pool_start agent
ods_wait_http "$ODS_AGENT_URL/api/v1/healthz" 200 20 || ods_t_fail "agent pool not back"
ods_req POST "$A/retrieval/hybrid" "${alice[@]}" "${J[@]}" \
    -d "{\"query\":\"doc7word\",\"knowledge_base_id\":\"$kb\",\"top_k\":1,\"mode\":\"keyword\"}"
ods_expect_json '.data.results[0].content | test("doc7word")' true "keyword search finds again without its file"
ods_get "$A/knowledge-bases/$kb" "${alice[@]}"
ods_expect_json '[.data.index.keywords, .data.index.vectors]' "[
  $want,
  $want
]" "the keywords refilled, the vectors as they were"

ods_t_end
