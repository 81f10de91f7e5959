#!/usr/bin/env bash
# tests/integration/stats-logout.sh — GET /stats/overview counts what the
# tables hold, scoped to the caller (an admin sees the platform, a user
# only what they own, so another user's work is invisible), on both pools;
# POST /auth/logout clears both auth cookies and refuses a cross-site form.
# (Revocation at Keycloak: tests/check_h_auth.c, against the fixture's
# logout endpoint.)
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/stack.sh"
. "$here/../lib/assert.sh"

ods_t_begin stats-logout
export JWT_SECRET_KEY=stats-logout-secret-0123456789abcdefghij
export ODS_RATE_LIMIT_DEFAULT=1000/minute ODS_RATE_LIMIT_BURST=2000
export ODS_INGEST_SYNC_MS=20000
ods_stack_init
ods_stack_up
ctl=$(ods_bin odsctl)

tok() { "$ctl" token --sub "$1" --roles "$2" --ttl 600 || ods_t_fail "odsctl token"; }
alice=(-H "Authorization: Bearer $(tok alice user)")
bob=(-H "Authorization: Bearer $(tok bob user)")
admin=(-H "Authorization: Bearer $(tok root admin)")
J=(-H 'Content-Type: application/json')
A=$ODS_AGENT_URL/api/v1/agent

# alice: one knowledge base with one indexed document.
ods_req POST "$A/knowledge-bases" "${alice[@]}" "${J[@]}" -d '{"name":"stats kb"}'
ods_expect_code 201 "alice creates a knowledge base"
kb=$(ods_json '.data.knowledge_base_id')
body='Backups run every night at two and are kept for thirty days.'
ods_req POST "$A/documents/upload" "${alice[@]}" "${J[@]}" \
    -d "{\"content\":\"$body\",\"file_name\":\"b.txt\",\"knowledge_base_id\":\"$kb\"}"
ods_expect_code 201 "alice uploads a document"

for u in "$ODS_AGENT_URL/api/v1/stats/overview" "$A/stats/overview" \
    "$ODS_DATA_URL/api/v1/data/stats/overview"; do
	ods_get "$u" "${alice[@]}"
	ods_expect_code 200 "$u as alice"
	ods_expect_json '.data.scope' user "$u: a user's own scope"
	ods_expect_json '.data.knowledge_bases.total' 1 "$u: alice's knowledge base"
	ods_expect_json '.data.documents.total' 1 "$u: alice's document"
	ods_expect_json '.data.documents.indexed' 1 "$u: indexed"
	ods_expect_json '.data.users.total' 1 "$u: alice herself"
	ods_expect_json '.data.storage.used_bytes' "${#body}" "$u: the document's bytes"
	ods_expect_json '.data.compute' null "$u: nothing records compute: null, not 0"
	ods_get "$u" "${bob[@]}"
	ods_expect_code 200 "$u as bob"
	ods_expect_json '.data.knowledge_bases.total' 0 "$u: bob sees none of alice's"
	ods_expect_json '.data.storage.used_bytes' 0 "$u: nor her bytes"
	ods_get "$u" "${admin[@]}"
	ods_expect_json '.data.scope' all "$u: admin sees the platform"
	ods_expect_json '.data.knowledge_bases.total' 1 "$u: every knowledge base"
	ods_expect_json '.data.users.total >= 1' true "$u: the users seen"
	ods_get "$u"
	ods_expect_error_envelope 401 unauthorized "$u without a token"
done

L=$ODS_AGENT_URL/api/v1/auth/logout
ods_req POST "$L" "${J[@]}" -H 'Cookie: refresh_token=rt-1; access_token=at-1'
ods_expect_code 200 "logout"
ods_expect_json '.message' 'Logged out successfully' "logout message"
ods_expect_json '.data.session' keycloak_not_configured "no Keycloak here"
grep -qi '^Set-Cookie: access_token=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0' \
    "$ODS_STACK_DIR/last.headers" || ods_t_fail "logout did not clear access_token"
grep -qi '^Set-Cookie: refresh_token=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0' \
    "$ODS_STACK_DIR/last.headers" || ods_t_fail "logout did not clear refresh_token"
ods_req POST "$L" -H 'Cookie: refresh_token=rt-1' \
    -H 'Content-Type: application/x-www-form-urlencoded' -d 'a=b'
ods_expect_error_envelope 403 csrf "a cross-site form cannot log the user out"
ods_req POST "$ODS_DATA_URL/api/v1/data/auth/logout" "${J[@]}" -d '{"refresh_token":7}'
ods_expect_code 400 "a refresh token that is not a string"
ods_req POST "$ODS_DATA_URL/api/v1/data/auth/logout"
ods_expect_json '.data.session' no_refresh_token "a bearer-only client logs out"

ods_t_end
