/*
 * fcgi/agent/h_docs.c — /documents: upload (multipart or JSON), list,
 * read, delete. An upload is stored in the object store, queued as a
 * kb_ingest job for ods-worker, and waited for up to ODS_INGEST_SYNC_MS.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ods.h"
#include "text/ods_text.h"
#include "../../svc/agent/kb.h"
#include "../common/h_auth.h"
#include "h_agent.h"

#define POLL_MS		50
#define META_MAX	(16u * 1024)

/* Remove a document's object; a failure leaves an orphan, logged. */
static void
drop_object(struct ods_req *r, const char *key)
{
	enum ods_err	er;

	if (key == NULL || ods_req_obj(r) == NULL)
		return;
	if ((er = ods_obj_delete(ods_req_obj(r), key)) != ODS_OK)
		ods_log(ODS_LOG_WARN, "kb_object_delete_failed key=%s err=%s",
		    key, ods_err_slug(er));
}

/* What an upload is, whichever way it came. */
struct upload {
	const char	*kb_id;
	const char	*collection;
	const char	*title;
	const char	*file_name;
	const char	*ctype;
	const char	*metadata;
	const char	*content;	/* JSON uploads */
	size_t		 content_len;
	struct ods_multipart_spool sp;	/* multipart uploads */
};

static const char *
field(const struct ods_multipart_form *f, const char *name)
{
	const struct ods_multipart_field	*v;

	v = ods_multipart_field(f, name);
	return v != NULL && strlen(v->value) == v->len ? v->value : NULL;
}

/* Whether s is the text of a JSON object (depth at most 32). */
static int
json_object_text(const char *s)
{
	struct json_object	*o = NULL;
	int			 ok;

	if (ods_json_parse(s, strlen(s), 32, &o, NULL) != ODS_OK)
		return 0;
	ok = ods_json_is_obj(o);
	ods_json_put(o);
	return ok;
}

static enum ods_err
read_multipart(struct ods_req *r, struct upload *u, struct ods_why *why)
{
	struct ods_multipart_sink	 sink = ods_multipart_spool_sink(&u->sp);
	struct ods_multipart_form	 form;
	enum ods_err			 er;

	er = ods_multipart_read(r, &sink, NULL, &form, why);
	if (er != ODS_OK)
		return er;
	if (u->sp.nfiles == 0 || u->sp.fd < 0) {
		ods_why_set(why, "file", "the field 'file' is required");
		return ODS_EINVAL;
	}
	u->title = field(&form, "title");
	u->collection = field(&form, "collection");
	if (u->collection == NULL)
		u->collection = field(&form, "collection_name");
	u->kb_id = field(&form, "knowledge_base_id");
	u->metadata = field(&form, "metadata");
	if (u->metadata != NULL && !json_object_text(u->metadata)) {
		ods_why_set(why, "metadata", "metadata must be a JSON object");
		return ODS_EINVAL;
	}
	u->file_name = u->sp.name;
	u->ctype = u->sp.ctype;
	return ODS_OK;
}

static enum ods_err
read_json(struct ods_req *r, struct upload *u, struct ods_why *why)
{
	struct json_object	*o = NULL, *meta = NULL;
	enum ods_err		 er;

	if ((er = ods_req_json(r, &o, why)) != ODS_OK)
		return er;
	if ((er = ods_json_str(o, "content", 1, 0, &u->content, why)) !=
	    ODS_OK)
		return er;
	u->content_len = strlen(u->content);
	if (u->content_len == 0) {
		ods_why_set(why, "content", "content is empty");
		return ODS_EINVAL;
	}
#define OPT(f, dst, max)						\
	if ((er = ods_json_str(o, f, 0, max, &u->dst, why)) != ODS_OK &&	\
	    er != ODS_ENOTFOUND)						\
		return er;
	OPT("file_name", file_name, 255)
	OPT("title", title, 512)
	OPT("collection", collection, ODS_KB_COLLECTION_MAX)
	if (u->collection == NULL) {
		OPT("collection_name", collection, ODS_KB_COLLECTION_MAX)
	}
	OPT("knowledge_base_id", kb_id, 64)
#undef OPT
	if ((er = ods_json_obj(o, "metadata", 0, &meta, why)) == ODS_OK)
		u->metadata = ods_json_text(meta);
	else if (er != ODS_ENOTFOUND)
		return er;
	if (u->file_name == NULL)
		u->file_name = "untitled.txt";
	u->ctype = "text/plain; charset=utf-8";
	return ODS_OK;
}

/* The document's row now. */
static struct ods_doc *
reload(struct ods_req *r, int64_t id)
{
	struct ods_doc	*d = NULL;

	if (ods_doc_get_num(ods_req_db(r), id, &d) != ODS_OK)
		return NULL;
	return d;
}

/* Wait for the ingestion of d (up to the configured time); the row then. */
static struct ods_doc *
wait_indexed(struct ods_req *r, struct ods_doc *d)
{
	int64_t		 deadline = ods_now_ms() + h_agent(r)->sync_ms;
	struct ods_doc	*now;

	if (h_agent(r)->sync_ms > 0)
		ods_worker_long();
	for (;;) {
		if (strcmp(d->status, "indexed") == 0 ||
		    strcmp(d->status, "failed") == 0 ||
		    strcmp(d->status, "deleted") == 0 ||
		    ods_now_ms() >= deadline)
			return d;
		usleep(POLL_MS * 1000);
		ods_worker_progress();
		if ((now = reload(r, d->id)) != NULL) {
			ods_doc_free(d);
			d = now;
		}
	}
}

static enum ods_status
send_upload(struct ods_resp *w, const struct ods_doc *d, int duplicate)
{
	struct ods_jw	*jw;
	enum ods_status	 st;
	const char	*msg;

	if (strcmp(d->status, "failed") == 0)
		return ods_resp_error_ex(w, d->error != NULL &&
		    strncmp(d->error, "unsupported", 11) == 0 ?
		    ODS_EUNSUPPORTED : ODS_EINVAL, ODS_C_BAD_REQUEST,
		    "unreadable_document", d->error != NULL ? d->error :
		    "the document could not be indexed");
	if (duplicate) {
		st = ODS_HTTP_200;
		msg = "the knowledge base holds this content already";
	} else if (strcmp(d->status, "indexed") == 0) {
		st = ODS_HTTP_201;
		msg = "Document uploaded and indexed";
	} else {
		st = ODS_HTTP_202;
		msg = "Document uploaded; indexing";
	}
	jw = ods_resp_envelope(w, st, msg);
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "doc_id", d->doc_id);
	ods_jw_kstr(jw, "file_name", d->file_name);
	ods_jw_kstr(jw, "title", d->title);
	ods_jw_kint(jw, "chunk_count", d->chunk_count);
	ods_jw_kstr(jw, "collection", d->collection);
	ods_jw_kstr(jw, "knowledge_base_id", d->kb_id);
	ods_jw_kstr(jw, "status", strcmp(d->status, "indexed") == 0 ?
	    "indexed" : "indexing");
	ods_jw_kint(jw, "progress", d->progress);
	ods_jw_kint(jw, "size_bytes", d->size);
	ods_jw_kstr(jw, "checksum", d->checksum);
	ods_jw_kbool(jw, "duplicate", duplicate);
	if (d->job_id > 0)
		ods_jw_kint(jw, "job_id", d->job_id);
	ods_jw_end(jw);
	return ods_resp_send(w);
}

/* Store the bytes, make the row, queue the job. */
static enum ods_status
ingest(struct ods_req *r, struct ods_resp *w, struct upload *u,
    struct ods_kb *kb)
{
	struct ods_doc_spec	 ds;
	struct ods_obj_info	 info;
	struct ods_doc		*d = NULL;
	char			 key[ODS_OBJ_KEY_MAX], doc_id[17], sum[65];
	enum ods_err		 er;
	int			 existed = 0;

	ods_doc_new_id(doc_id);
	snprintf(key, sizeof(key), ODS_KB_OBJ_PREFIX "/%s/%s", kb->kb_id,
	    doc_id);
	if (u->content != NULL) {
		er = ods_obj_put_mem(ods_req_obj(r), key, u->ctype, u->content,
		    u->content_len, &info);
		ods_sha256_hex(u->content, u->content_len, sum);
	} else {
		if (ods_multipart_spool_rewind(&u->sp) != ODS_OK)
			return ods_resp_error(w, ODS_EIO, "could not read the "
			    "upload back");
		er = ods_obj_put(ods_req_obj(r), key, u->ctype, u->sp.sum, 0,
		    ods_multipart_spool_read, &u->sp, &info);
		memcpy(sum, u->sp.sum, sizeof(sum));
	}
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not store the document");
	memset(&ds, 0, sizeof(ds));
	ds.file_name = u->file_name;
	ds.title = u->title;
	ds.content_type = u->ctype;
	ds.checksum = sum;
	ds.object_key = key;
	ds.metadata = u->metadata;
	ds.size = (int64_t)info.size;
	er = ods_doc_create(ods_req_db(r), kb, &ds, h_user(r), &d, &existed);
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not record the document");
	if (existed) {
		drop_object(r, key);
		if (strcmp(d->status, "failed") != 0) {
			enum ods_status	hs = send_upload(w, d, 1);

			ods_doc_free(d);
			return hs;
		}
	}
	er = ods_doc_enqueue(ods_req_db(r), ods_req_redis(r), d->id,
	    h_user(r), &d->job_id);
	if (er != ODS_OK) {
		ods_doc_free(d);
		return ods_resp_error(w, er, "could not queue the ingestion");
	}
	d = wait_indexed(r, d);
	/*
	 * Refused within the wait: the client gets the error and nothing is
	 * kept. (Found later, the document stays, failed with the reason.)
	 */
	if (strcmp(d->status, "failed") == 0 &&
	    ods_doc_delete(ods_req_db(r), d, NULL) == ODS_OK)
		drop_object(r, d->object_key);
	{
		enum ods_status	hs = send_upload(w, d, 0);

		ods_doc_free(d);
		return hs;
	}
}

enum ods_status
h_docs_upload(struct ods_req *r, struct ods_resp *w)
{
	struct upload	 u;
	struct ods_why	 why;
	struct ods_kb	*kb;
	const char	*ct = ods_req_header(r, "Content-Type");
	const char	*path_id = ods_req_param(r, "id");
	char		 dir[3000];
	enum ods_text_format fmt;
	enum ods_status	 hs;
	enum ods_err	 er;

	if (ods_req_obj(r) == NULL)
		return ods_resp_error(w, ODS_EUNAVAIL, "no object store");
	memset(&u, 0, sizeof(u));
	memset(&why, 0, sizeof(why));
	snprintf(dir, sizeof(dir), "%s/tmp", ods_req_conf(r)->data_dir);
	ods_multipart_spool_init(&u.sp, dir, "upload", "upload", 1);
	if (ct != NULL && strncasecmp(ct, "multipart/", 10) == 0)
		er = read_multipart(r, &u, &why);
	else
		er = read_json(r, &u, &why);
	if (er != ODS_OK) {
		ods_multipart_spool_drop(&u.sp);
		return ods_resp_input_error(w, er, &why);
	}
	/* A format we cannot read is refused before anything is stored. */
	fmt = ods_text_detect(u.file_name, u.ctype, u.content != NULL ?
	    u.content : u.sp.head, u.content != NULL ? (u.content_len <
	    ODS_SPOOL_HEAD ? u.content_len : ODS_SPOOL_HEAD) : u.sp.headlen);
	if (fmt == ODS_TEXT_UNKNOWN) {
		ods_multipart_spool_drop(&u.sp);
		return ods_resp_error_ex(w, ODS_EUNSUPPORTED,
		    ODS_C_UNSUPPORTED_MEDIA, "unsupported_media_type",
		    "the file is not a format that can be indexed (text, "
		    "Markdown, HTML, PDF, DOCX, CSV, JSON)");
	}
	if ((kb = h_kb_of(r, w, path_id != NULL ? path_id : u.kb_id,
	    u.collection, 1, &hs)) == NULL) {
		ods_multipart_spool_drop(&u.sp);
		return hs;
	}
	hs = ingest(r, w, &u, kb);
	ods_kb_free(kb);
	ods_multipart_spool_drop(&u.sp);
	return hs;
}

enum ods_status
h_docs_list(struct ods_req *r, struct ods_resp *w)
{
	struct ods_doc_filter	 f;
	struct ods_doc		*v = NULL;
	struct ods_kb		*kb = NULL;
	struct ods_page		 pg;
	struct ods_jw		*jw;
	const char		*coll, *kid;
	char			**names = NULL;
	enum ods_status		 hs;
	enum ods_err		 er;
	int64_t			 total = 0;
	size_t			 n = 0, nn = 0, i;

	if (ods_req_page(r, 50, &pg) != ODS_OK)
		return ods_resp_bad_page(w);
	memset(&f, 0, sizeof(f));
	f.owner = h_owner(r);
	f.status = ods_req_query(r, "status");
	f.search = ods_req_query(r, "search");
	coll = ods_req_query(r, "collection");
	kid = ods_req_query(r, "knowledge_base_id");
	if ((coll != NULL && *coll != '\0') || (kid != NULL && *kid != '\0')) {
		if ((kb = h_kb_of(r, w, kid, coll, 0, &hs)) == NULL)
			return hs;
		f.kb_num = kb->id;
	}
	er = ods_doc_list(ods_req_db(r), &f, (size_t)pg.offset,
	    (size_t)pg.page_size, &v, &n, &total);
	if (er == ODS_OK)
		er = ods_doc_collections(ods_req_db(r), h_owner(r), &names,
		    &nn);
	ods_kb_free(kb);
	if (er != ODS_OK) {
		ods_doc_list_free(v, n);
		return ods_resp_error(w, er, "could not list the documents");
	}
	jw = ods_resp_list_begin(w, "documents");
	for (i = 0; i < n; i++)
		ods_doc_json(jw, &v[i]);
	ods_jw_end(jw);
	ods_jw_key(jw, "collections");
	ods_jw_arr(jw);
	for (i = 0; i < nn; i++)
		ods_jw_str(jw, names[i]);
	ods_jw_end(jw);
	ods_jw_kint(jw, "total_collections", (int64_t)nn);
	ods_resp_list_end(jw, &pg, total);
	hs = ods_resp_send(w);
	ods_doc_list_free(v, n);
	ods_strv_free(names, nn);
	return hs;
}

static enum ods_status
no_doc(struct ods_resp *w)
{
	return ods_resp_error_ex(w, ODS_ENOTFOUND, ODS_C_ENTITY_NOT_FOUND,
	    "not_found", "no such document");
}

enum ods_status
h_docs_get(struct ods_req *r, struct ods_resp *w)
{
	struct ods_doc	*d = NULL;
	struct ods_jw	*jw;
	enum ods_status	 hs;
	enum ods_err	 er;

	er = ods_doc_get(ods_req_db(r), ods_req_param(r, "id"), h_owner(r),
	    &d);
	if (er == ODS_ENOTFOUND)
		return no_doc(w);
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not read the document");
	jw = ods_resp_envelope(w, ODS_HTTP_200, NULL);
	ods_doc_json(jw, d);
	hs = ods_resp_send(w);
	ods_doc_free(d);
	return hs;
}

enum ods_status
h_docs_delete(struct ods_req *r, struct ods_resp *w)
{
	struct ods_doc	*d = NULL;
	struct ods_jw	*jw;
	enum ods_err	 er;
	int64_t		 chunks = 0;

	er = ods_doc_get(ods_req_db(r), ods_req_param(r, "id"), h_owner(r),
	    &d);
	if (er == ODS_ENOTFOUND)
		return no_doc(w);
	if (er == ODS_OK)
		er = ods_doc_delete(ods_req_db(r), d, &chunks);
	if (er != ODS_OK) {
		ods_doc_free(d);
		return ods_resp_error(w, er, "could not delete the document");
	}
	/* The bytes go too; the rows are the record of the deletion. */
	drop_object(r, d->object_key);
	jw = ods_resp_envelope(w, ODS_HTTP_200, "document deleted");
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "doc_id", d->doc_id);
	ods_jw_kstr(jw, "collection", d->collection);
	ods_jw_kbool(jw, "vectors_deleted", 1);
	ods_jw_kint(jw, "chunks_deleted", chunks);
	ods_jw_end(jw);
	ods_doc_free(d);
	return ods_resp_send(w);
}

#define BATCH_MAX	1000

enum ods_status
h_docs_delete_batch(struct ods_req *r, struct ods_resp *w)
{
	struct json_object	*o = NULL, *ids = NULL;
	struct ods_doc		*d;
	struct ods_why		 why;
	struct ods_jw		*jw;
	const char		*id;
	enum ods_err		 er;
	size_t			 n, i;
	char			*done;

	memset(&why, 0, sizeof(why));
	if ((er = ods_req_json(r, &o, &why)) != ODS_OK)
		return ods_resp_input_error(w, er, &why);
	er = ods_json_arr(o, "doc_ids", 0, &ids, &why);
	if (er == ODS_ENOTFOUND)
		return ods_resp_error_ex(w, ODS_EINVAL, ODS_C_INVALID_FIELD,
		    "invalid_field", "doc_ids is required");
	if (er != ODS_OK)
		return ods_resp_error_ex(w, ODS_EINVAL, ODS_C_INVALID_STATE,
		    "invalid_field", "doc_ids must be a list");
	if ((n = ods_json_arr_len(ids)) > BATCH_MAX)
		return ods_resp_error_ex(w, ODS_EINVAL, ODS_C_INVALID_FIELD,
		    "invalid_field", "at most 1000 doc_ids");
	for (i = 0; i < n; i++)
		if (ods_json_arr_str(ids, i) == NULL)
			return ods_resp_error_ex(w, ODS_EINVAL,
			    ODS_C_INVALID_STATE, "invalid_field",
			    "doc_ids must be a list of strings");
	done = ods_req_alloc(r, n + 1);
	for (i = 0; i < n; i++) {
		id = ods_json_arr_str(ids, i);
		d = NULL;
		er = ods_doc_get(ods_req_db(r), id, h_owner(r), &d);
		if (er == ODS_OK)
			er = ods_doc_delete(ods_req_db(r), d, NULL);
		if (er == ODS_OK) {
			done[i] = 1;
			drop_object(r, d->object_key);
		}
		ods_doc_free(d);
		if (er != ODS_OK && er != ODS_ENOTFOUND)
			return ods_resp_error(w, er, "could not delete the "
			    "documents");
	}
	jw = ods_resp_envelope(w, ODS_HTTP_200, "documents deleted");
	ods_jw_obj(jw);
	ods_jw_key(jw, "deleted");
	ods_jw_arr(jw);
	for (i = 0; i < n; i++)
		if (done[i])
			ods_jw_str(jw, ods_json_arr_str(ids, i));
	ods_jw_end(jw);
	ods_jw_key(jw, "not_found");
	ods_jw_arr(jw);
	for (i = 0; i < n; i++)
		if (!done[i])
			ods_jw_str(jw, ods_json_arr_str(ids, i));
	ods_jw_end(jw);
	ods_jw_end(jw);
	return ods_resp_send(w);
}
