/*
 * fcgi/agent/h_kb.c — /knowledge-bases: list, create, read, update,
 * delete, their documents and a rebuild. Lookups go through h_owner():
 * another user's knowledge base is a 404.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ods.h"
#include "../../svc/agent/kb.h"
#include "../../svc/agent/rag.h"
#include "../common/h_auth.h"
#include "h_agent.h"

/* The body's fields into spec (borrowed from o). */
static enum ods_err
spec_of(struct json_object *o, struct ods_kb_spec *sp, struct ods_why *why)
{
	enum ods_err	er;

	ods_kb_spec_init(sp);
#define STR(f, dst, max)						\
	if ((er = ods_json_str(o, f, 0, max, &sp->dst, why)) != ODS_OK &&	\
	    er != ODS_ENOTFOUND)						\
		return er;
	STR("name", name, ODS_KB_NAME_MAX)
	STR("description", description, ODS_KB_DESC_MAX)
	STR("type", type, 32)
	STR("collection_name", collection, ODS_KB_COLLECTION_MAX)
	if (sp->collection == NULL) {
		STR("collection", collection, ODS_KB_COLLECTION_MAX)
	}
	STR("embedding_model", embedding_model, ODS_KB_MODEL_MAX)
#undef STR
	if ((er = ods_json_int(o, "chunk_size", 0, ODS_KB_CHUNK_MIN,
	    ODS_KB_CHUNK_MAX, &sp->chunk_size, why)) != ODS_OK &&
	    er != ODS_ENOTFOUND)
		return er;
	if ((er = ods_json_int(o, "chunk_overlap", 0, 0, ODS_KB_CHUNK_MAX - 1,
	    &sp->chunk_overlap, why)) != ODS_OK && er != ODS_ENOTFOUND)
		return er;
	return ODS_OK;
}

static enum ods_status
send_kb(struct ods_resp *w, enum ods_status st, const struct ods_kb *kb,
    const char *msg)
{
	struct ods_jw	*jw = ods_resp_envelope(w, st, msg);

	ods_kb_json(jw, kb);
	return ods_resp_send(w);
}

enum ods_status
h_kb_list(struct ods_req *r, struct ods_resp *w)
{
	struct ods_kb	*v = NULL;
	struct ods_page	 pg;
	struct ods_jw	*jw;
	enum ods_status	 hs;
	enum ods_err	 er;
	int64_t		 total = 0;
	size_t		 n = 0, i;

	if (ods_req_page(r, 20, &pg) != ODS_OK)
		return ods_resp_bad_page(w);
	er = ods_kb_list(ods_req_db(r), h_owner(r), (size_t)pg.offset,
	    (size_t)pg.page_size, &v, &n, &total);
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not list the knowledge "
		    "bases");
	jw = ods_resp_list_begin(w, "knowledge_bases");
	for (i = 0; i < n; i++)
		ods_kb_json(jw, &v[i]);
	ods_jw_end(jw);
	ods_resp_list_end(jw, &pg, total);
	hs = ods_resp_send(w);
	ods_kb_list_free(v, n);
	return hs;
}

enum ods_status
h_kb_create(struct ods_req *r, struct ods_resp *w)
{
	struct json_object	*o = NULL;
	struct ods_kb_spec	 sp;
	struct ods_kb		*kb = NULL;
	struct ods_why		 why;
	enum ods_status		 hs;
	enum ods_err		 er;

	memset(&why, 0, sizeof(why));
	if ((er = ods_req_json(r, &o, &why)) != ODS_OK ||
	    (er = spec_of(o, &sp, &why)) != ODS_OK)
		return ods_resp_input_error(w, er, &why);
	er = ods_kb_create(ods_req_db(r), h_agent(r)->llm, &sp, h_user(r), &kb,
	    &why);
	if (er == ODS_ECONFLICT)
		return ods_resp_error_ex(w, er, ODS_C_CONFLICT, "conflict",
		    why.msg[0] != '\0' ? why.msg : "the collection exists");
	if (er == ODS_EINVAL)
		return ods_resp_input_error(w, er, &why);
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not create the knowledge "
		    "base");
	hs = send_kb(w, ODS_HTTP_201, kb, "knowledge base created");
	ods_kb_free(kb);
	return hs;
}

enum ods_status
h_kb_get(struct ods_req *r, struct ods_resp *w)
{
	struct ods_kb	*kb;
	enum ods_status	 hs;

	struct ods_rag_stats	 st;
	struct ods_jw		*jw;

	if ((kb = h_kb_of(r, w, ods_req_param(r, "id"), NULL, 0, &hs)) ==
	    NULL)
		return hs;
	if (ods_rag_stats(h_agent(r)->rag, kb, &st) != ODS_OK)
		memset(&st, 0, sizeof(st));
	jw = ods_resp_envelope(w, ODS_HTTP_200, NULL);
	ods_jw_obj(jw);
	ods_kb_json_fields(jw, kb);
	/* What the answering worker's machine holds (operators, tests). */
	ods_jw_key(jw, "index");
	ods_jw_obj(jw);
	ods_jw_kint(jw, "seq", (int64_t)st.seq);
	ods_jw_kint(jw, "db_seq", (int64_t)st.db_seq);
	ods_jw_kint(jw, "vectors", (int64_t)st.vectors);
	ods_jw_kint(jw, "keywords", (int64_t)st.keywords);
	ods_jw_kint(jw, "graphs", (int64_t)st.graphs);
	ods_jw_kint(jw, "exact", (int64_t)st.exact);
	ods_jw_kbool(jw, "writer", st.writer);
	ods_jw_end(jw);
	ods_jw_end(jw);
	hs = ods_resp_send(w);
	ods_kb_free(kb);
	return hs;
}

enum ods_status
h_kb_update(struct ods_req *r, struct ods_resp *w)
{
	struct json_object	*o = NULL;
	struct ods_kb_spec	 sp;
	struct ods_kb		*kb, *now = NULL;
	struct ods_why		 why;
	struct ods_jw		*jw;
	enum ods_status		 hs;
	enum ods_err		 er;
	int64_t			 ndocs = 0;
	int			 reindex = 0;

	memset(&why, 0, sizeof(why));
	if ((er = ods_req_json(r, &o, &why)) != ODS_OK ||
	    (er = spec_of(o, &sp, &why)) != ODS_OK)
		return ods_resp_input_error(w, er, &why);
	if ((kb = h_kb_of(r, w, ods_req_param(r, "id"), NULL, 0, &hs)) ==
	    NULL)
		return hs;
	er = ods_kb_update(ods_req_db(r), h_agent(r)->llm, kb, &sp, &reindex,
	    &why);
	if (er == ODS_OK)
		er = ods_kb_get_num(ods_req_db(r), kb->id, &now);
	if (er == ODS_OK && reindex)
		er = ods_kb_requeue_all(ods_req_db(r), ods_req_redis(r), now,
		    &ndocs);
	ods_kb_free(kb);
	if (er == ODS_EINVAL) {
		ods_kb_free(now);
		return ods_resp_input_error(w, er, &why);
	}
	if (er != ODS_OK) {
		ods_kb_free(now);
		return ods_resp_error(w, er, "could not update the knowledge "
		    "base");
	}
	jw = ods_resp_envelope(w, ODS_HTTP_200, reindex ? "knowledge base "
	    "updated; its documents are indexed again" :
	    "knowledge base updated");
	ods_kb_json(jw, now);
	hs = ods_resp_send(w);
	ods_kb_free(now);
	return hs;
}

enum ods_status
h_kb_delete(struct ods_req *r, struct ods_resp *w)
{
	struct ods_kb	*kb;
	struct ods_jw	*jw;
	enum ods_status	 hs;
	enum ods_err	 er;

	if ((kb = h_kb_of(r, w, ods_req_param(r, "id"), NULL, 0, &hs)) ==
	    NULL)
		return hs;
	if ((er = ods_kb_delete(ods_req_db(r), kb)) != ODS_OK) {
		ods_kb_free(kb);
		return ods_resp_error(w, er, "could not delete the knowledge "
		    "base");
	}
	jw = ods_resp_envelope(w, ODS_HTTP_200, "knowledge base deleted");
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "knowledge_base_id", kb->kb_id);
	ods_jw_kbool(jw, "deleted", 1);
	ods_jw_end(jw);
	ods_kb_free(kb);
	return ods_resp_send(w);
}

enum ods_status
h_kb_documents(struct ods_req *r, struct ods_resp *w)
{
	struct ods_doc_filter	 f;
	struct ods_doc		*v = NULL;
	struct ods_kb		*kb;
	struct ods_page		 pg;
	struct ods_jw		*jw;
	enum ods_status		 hs;
	enum ods_err		 er;
	int64_t			 total = 0;
	size_t			 n = 0, i;

	if (ods_req_page(r, 20, &pg) != ODS_OK)
		return ods_resp_bad_page(w);
	if ((kb = h_kb_of(r, w, ods_req_param(r, "id"), NULL, 0, &hs)) ==
	    NULL)
		return hs;
	memset(&f, 0, sizeof(f));
	f.kb_num = kb->id;
	f.status = ods_req_query(r, "status");
	f.search = ods_req_query(r, "search");
	er = ods_doc_list(ods_req_db(r), &f, (size_t)pg.offset,
	    (size_t)pg.page_size, &v, &n, &total);
	if (er != ODS_OK) {
		ods_kb_free(kb);
		return ods_resp_error(w, er, "could not list the documents");
	}
	jw = ods_resp_list_begin(w, "documents");
	for (i = 0; i < n; i++)
		ods_doc_json(jw, &v[i]);
	ods_jw_end(jw);
	ods_jw_kstr(jw, "knowledge_base_id", kb->kb_id);
	ods_resp_list_end(jw, &pg, total);
	hs = ods_resp_send(w);
	ods_doc_list_free(v, n);
	ods_kb_free(kb);
	return hs;
}

enum ods_status
h_kb_rebuild(struct ods_req *r, struct ods_resp *w)
{
	struct ods_kb	*kb;
	struct ods_jw	*jw;
	enum ods_status	 hs;
	enum ods_err	 er;
	int64_t		 ndocs = 0;

	if ((kb = h_kb_of(r, w, ods_req_param(r, "id"), NULL, 0, &hs)) ==
	    NULL)
		return hs;
	er = ods_kb_requeue_all(ods_req_db(r), ods_req_redis(r), kb, &ndocs);
	if (er != ODS_OK) {
		ods_kb_free(kb);
		return ods_resp_error(w, er, "could not queue the rebuild");
	}
	jw = ods_resp_envelope(w, ODS_HTTP_202, "rebuild queued");
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "knowledge_base_id", kb->kb_id);
	ods_jw_kint(jw, "documents", ndocs);
	ods_jw_kstr(jw, "status", ndocs > 0 ? "indexing" : "ready");
	ods_jw_end(jw);
	ods_kb_free(kb);
	return ods_resp_send(w);
}
