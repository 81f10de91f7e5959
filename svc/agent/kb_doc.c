/*
 * svc/agent/kb_doc.c — document rows: create (one live copy of a content
 * per KB), read, list, delete (kb.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_err.h"
#include "core/ods_json.h"
#include "core/ods_mem.h"
#include "core/ods_util.h"
#include "store/ods_db.h"
#include "store/ods_jobs.h"
#include "kb.h"
#include "agent_int.h"

#define COLS "d.id, d.doc_id, d.kb_num, d.kb_id, d.collection_name, " \
	"d.file_name, d.title, d.content_type, d.format, d.charset, " \
	"d.checksum, d.object_key, d.status, d.error, d.metadata, " \
	"d.created_by, " KBI_TS("d.created_at") ", " KBI_TS("d.indexed_at") \
	", d.size_bytes, d.chunk_count, d.job_id, d.progress"

#define DOC_LIST_MAX	1000

static void
row_to(const struct ods_db_res *res, size_t i, struct ods_doc *d)
{
	memset(d, 0, sizeof(*d));
	d->id = ods_db_res_int0(res, i, 0);
	d->doc_id = ods_db_res_strdup(res, i, 1);
	d->kb_num = ods_db_res_int0(res, i, 2);
	d->kb_id = ods_db_res_strdup(res, i, 3);
	d->collection = ods_db_res_strdup(res, i, 4);
	d->file_name = ods_db_res_strdup(res, i, 5);
	d->title = ods_db_res_strdup(res, i, 6);
	d->content_type = ods_db_res_strdup(res, i, 7);
	d->format = ods_db_res_strdup(res, i, 8);
	d->charset = ods_db_res_strdup(res, i, 9);
	d->checksum = ods_db_res_strdup(res, i, 10);
	d->object_key = ods_db_res_strdup(res, i, 11);
	d->status = ods_db_res_strdup(res, i, 12);
	d->error = ods_db_res_strdup(res, i, 13);
	d->metadata = ods_db_res_strdup(res, i, 14);
	d->created_by = ods_db_res_strdup(res, i, 15);
	d->created_at = ods_db_res_strdup(res, i, 16);
	d->indexed_at = ods_db_res_strdup(res, i, 17);
	d->size = ods_db_res_int0(res, i, 18);
	d->chunk_count = ods_db_res_int0(res, i, 19);
	d->job_id = ods_db_res_int0(res, i, 20);
	d->progress = (int)ods_db_res_int0(res, i, 21);
}

static void
doc_fini(struct ods_doc *d)
{
	free(d->doc_id);
	free(d->kb_id);
	free(d->collection);
	free(d->file_name);
	free(d->title);
	free(d->content_type);
	free(d->format);
	free(d->charset);
	free(d->checksum);
	free(d->object_key);
	free(d->status);
	free(d->error);
	free(d->metadata);
	free(d->created_by);
	free(d->created_at);
	free(d->indexed_at);
}

void
ods_doc_free(struct ods_doc *d)
{
	if (d == NULL)
		return;
	doc_fini(d);
	free(d);
}

void
ods_doc_list_free(struct ods_doc *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		doc_fini(&v[i]);
	free(v);
}

static enum ods_err
one_out(enum ods_err er, struct ods_db_res *res, struct ods_doc **out)
{
	*out = NULL;
	if (er == ODS_OK && ods_db_res_nrows(res) == 0)
		er = ODS_ENOTFOUND;
	if (er == ODS_OK) {
		*out = ods_xcalloc(1, sizeof(**out));
		row_to(res, 0, *out);
	}
	ods_db_res_free(res);
	return er;
}

void
ods_doc_new_id(char out[17])
{
	kbi_new_id("doc", out, 17);
}

/* The live document of kb with that checksum. */
static enum ods_err
by_checksum(struct ods_db *db, int64_t kb, const char *sum,
    struct ods_doc **out)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[2] = { ods_db_int(kb), ods_db_text(sum) };
	enum ods_err		 er;

	er = ods_db_query_once(db, "SELECT " COLS " FROM indexed_documents d WHERE "
	    "d.kb_num = ? AND d.checksum = ? AND d.live = 1", a, 2, 1, &res);
	return one_out(er, res, out);
}

enum ods_err
ods_doc_create(struct ods_db *db, const struct ods_kb *kb,
    const struct ods_doc_spec *sp, const char *owner, struct ods_doc **out,
    int *existed)
{
	struct ods_db_arg	 a[12];
	char			 doc_id[17];
	enum ods_err		 er;

	*out = NULL;
	*existed = 0;
	if (sp->checksum == NULL || strlen(sp->checksum) != 64 ||
	    sp->object_key == NULL)
		return ODS_EINVAL;
	if ((er = by_checksum(db, kb->id, sp->checksum, out)) !=
	    ODS_ENOTFOUND) {
		*existed = er == ODS_OK;
		return er;
	}
	/* The object key names the document: take its id from there. */
	if (sscanf(sp->object_key, ODS_KB_OBJ_PREFIX "/%*[^/]/%16[^/]",
	    doc_id) != 1 || strncmp(doc_id, "doc-", 4) != 0)
		ods_doc_new_id(doc_id);
	a[0] = ods_db_text(doc_id);
	a[1] = ods_db_text(kb->collection);
	a[2] = ods_db_text(kb->kb_id);
	a[3] = ods_db_int(kb->id);
	a[4] = ods_db_text(sp->file_name != NULL ? sp->file_name :
	    "untitled.txt");
	a[5] = sp->title != NULL ? ods_db_text(sp->title) :
	    ods_db_text(sp->file_name != NULL ? sp->file_name : "untitled");
	a[6] = sp->content_type != NULL ? ods_db_text(sp->content_type) :
	    ods_db_null();
	a[7] = ods_db_int(sp->size);
	a[8] = ods_db_text(sp->checksum);
	a[9] = sp->metadata != NULL ? ods_db_text(sp->metadata) :
	    ods_db_null();
	a[10] = ods_db_text(sp->object_key);
	a[11] = ods_db_text(owner != NULL ? owner : "");
	er = ods_db_exec_once(db, "INSERT INTO indexed_documents (doc_id, "
	    "collection_name, kb_id, kb_num, file_name, title, content_type, "
	    "size_bytes, checksum, metadata, object_key, created_by, status) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued')", a, 12,
	    NULL);
	if (er == ODS_ECONFLICT) {
		/*
		 * The same content won a race; or, with no such document,
		 * the INSERT lost deadlocks again and again (ods_db runs a
		 * victim again): busy, not "no such knowledge base".
		 */
		if ((er = by_checksum(db, kb->id, sp->checksum, out)) ==
		    ODS_OK)
			*existed = 1;
		return er == ODS_ENOTFOUND ? ODS_EUNAVAIL : er;
	}
	if (er != ODS_OK)
		return er;
	return ods_doc_get(db, doc_id, NULL, out);
}

enum ods_err
ods_doc_set_job(struct ods_db *db, int64_t id, int64_t job)
{
	struct ods_db_arg	 a[2] = { ods_db_int(job), ods_db_int(id) };
	enum ods_err		 er;

	er = ods_db_exec_once(db, "UPDATE indexed_documents SET job_id = ? WHERE "
	    "id = ?", a, 2, NULL);
	return er;
}

enum ods_err
ods_doc_get(struct ods_db *db, const char *doc_id, const char *owner,
    struct ods_doc **out)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[3];
	enum ods_err		 er;

	*out = NULL;
	if (doc_id == NULL || strlen(doc_id) > 64)
		return ODS_ENOTFOUND;
	a[0] = ods_db_text(doc_id);
	a[1] = owner != NULL ? ods_db_int(0) : ods_db_int(1);
	a[2] = ods_db_text(owner != NULL ? owner : "");
	er = ods_db_query_once(db, "SELECT " COLS " FROM indexed_documents d WHERE "
	    "d.doc_id = ? AND d.status <> 'deleted' AND (? = 1 OR "
	    "d.created_by = ?)", a, 3, 1, &res);
	return one_out(er, res, out);
}

enum ods_err
ods_doc_get_num(struct ods_db *db, int64_t id, struct ods_doc **out)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[1] = { ods_db_int(id) };
	enum ods_err		 er;

	er = ods_db_query_once(db, "SELECT " COLS " FROM indexed_documents d WHERE "
	    "d.id = ?", a, 1, 1, &res);
	return one_out(er, res, out);
}

enum ods_err
ods_doc_list(struct ods_db *db, const struct ods_doc_filter *f, size_t offset,
    size_t limit, struct ods_doc **out, size_t *n, int64_t *total)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_res	*res = NULL, *cnt = NULL;
	struct ods_db_arg	 a[11];
	char			*like = NULL;
	enum ods_err		 er;
	size_t			 i;

	*out = NULL;
	*n = 0;
	if (limit == 0 || limit > DOC_LIST_MAX)
		limit = DOC_LIST_MAX;
	if (f->search != NULL && *f->search != '\0') {
		/* A substring, with LIKE's own characters taken literally. */
		like = ods_xmalloc(strlen(f->search) * 2 + 3);
		i = 0;
		like[i++] = '%';
		for (const char *p = f->search; *p != '\0'; p++) {
			if (*p == '%' || *p == '_' || *p == '\\')
				like[i++] = '\\';
			like[i++] = *p;
		}
		like[i++] = '%';
		like[i] = '\0';
	}
	a[0] = f->owner != NULL ? ods_db_int(0) : ods_db_int(1);
	a[1] = ods_db_text(f->owner != NULL ? f->owner : "");
	a[2] = ods_db_int(f->kb_num);
	a[3] = ods_db_int(f->kb_num);
	a[4] = f->status != NULL ? ods_db_int(0) : ods_db_int(1);
	a[5] = ods_db_text(f->status != NULL ? f->status : "");
	a[6] = like != NULL ? ods_db_int(0) : ods_db_int(1);
	a[7] = ods_db_text(like != NULL ? like : "");
	a[8] = ods_db_text(like != NULL ? like : "");
	a[9] = ods_db_int((int64_t)limit);
	a[10] = ods_db_int((int64_t)offset);
	if ((er = ods_db_acquire(db, &c)) != ODS_OK) {
		free(like);
		return er;
	}
#define WHERE " FROM indexed_documents d WHERE d.status <> 'deleted' AND " \
	"(? = 1 OR d.created_by = ?) AND (? = 0 OR d.kb_num = ?) AND " \
	"(? = 1 OR d.status = ?) AND (? = 1 OR d.title LIKE ? OR " \
	"d.file_name LIKE ?)"
	er = ods_db_query(c, "SELECT " COLS WHERE " ORDER BY d.id DESC "
	    "LIMIT ? OFFSET ?", a, 11, limit, &res);
	if (er == ODS_OK)
		er = ods_db_query(c, "SELECT COUNT(*)" WHERE, a, 9, 1, &cnt);
#undef WHERE
	ods_db_release(c);
	free(like);
	if (er == ODS_OK)
		er = ods_db_res_int(cnt, 0, 0, total);
	if (er == ODS_OK && (*n = ods_db_res_nrows(res)) > 0) {
		*out = ods_xcalloc(*n, sizeof(**out));
		for (i = 0; i < *n; i++)
			row_to(res, i, &(*out)[i]);
	}
	ods_db_res_free(res);
	ods_db_res_free(cnt);
	return er;
}

enum ods_err
ods_doc_collections(struct ods_db *db, const char *owner, char ***names,
    size_t *n)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[2];
	enum ods_err		 er;
	size_t			 i;

	*names = NULL;
	*n = 0;
	a[0] = owner != NULL ? ods_db_int(0) : ods_db_int(1);
	a[1] = ods_db_text(owner != NULL ? owner : "");
	er = ods_db_query_once(db, "SELECT collection_name FROM knowledge_bases "
	    "WHERE deleted_at IS NULL AND (? = 1 OR created_by = ?) ORDER BY "
	    "collection_name", a, 2, ODS_KB_LIST_MAX, &res);
	if (er == ODS_OK && (*n = ods_db_res_nrows(res)) > 0) {
		*names = ods_xcalloc(*n, sizeof(char *));
		for (i = 0; i < *n; i++)
			(*names)[i] = ods_db_res_strdup(res, i, 0);
	}
	ods_db_res_free(res);
	return er;
}

enum ods_err
ods_doc_delete(struct ods_db *db, const struct ods_doc *d, int64_t *chunks)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_arg	 a[1] = { ods_db_int(d->id) };
	uint64_t		 n = 0;
	enum ods_err		 er;

	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	if ((er = ods_db_begin(c)) != ODS_OK)
		goto out;
	er = kbi_lock(c, d->kb_num);
	if (er == ODS_OK)
		er = ods_db_exec(c, "UPDATE document_chunks SET deleted = 1, "
		    "deleted_at = NOW(3), seq = NEXT VALUE FOR vector_seq WHERE "
		    "doc_num = ? AND deleted = 0", a, 1, &n);
	if (er == ODS_OK)
		er = ods_db_exec(c, "UPDATE indexed_documents SET status = "
		    "'deleted', deleted_at = NOW(3) WHERE id = ?", a, 1, NULL);
	if (er == ODS_OK)
		er = kbi_recount(c, d->kb_num);
	if (er == ODS_OK)
		er = ods_db_commit(c);
	else
		(void)ods_db_rollback(c);
out:
	ods_db_release(c);
	if (er == ODS_OK && chunks != NULL)
		*chunks = (int64_t)n;
	return er;
}

void
ods_doc_json(struct ods_jw *jw, const struct ods_doc *d)
{
	struct json_object	*meta = NULL;

	ods_jw_obj(jw);
	ods_jw_kstr(jw, "id", d->doc_id);
	ods_jw_kstr(jw, "doc_id", d->doc_id);
	ods_jw_kstr(jw, "collection_name", d->collection);
	ods_jw_kstr(jw, "collection", d->collection);
	ods_jw_kstr(jw, "knowledge_base_id", d->kb_id);
	ods_jw_kstr(jw, "file_name", d->file_name);
	ods_jw_kstr(jw, "title", d->title);
	ods_jw_kstr(jw, "content_type", d->content_type);
	ods_jw_kstr(jw, "format", d->format);
	ods_jw_kstr(jw, "charset", d->charset);
	ods_jw_kint(jw, "size_bytes", d->size);
	ods_jw_kstr(jw, "checksum", d->checksum);
	ods_jw_kint(jw, "chunk_count", d->chunk_count);
	ods_jw_kstr(jw, "status", d->status);
	ods_jw_kint(jw, "progress", d->progress);
	ods_jw_kstr(jw, "error", d->error);
	if (d->job_id > 0)
		ods_jw_kint(jw, "job_id", d->job_id);
	else {
		ods_jw_key(jw, "job_id");
		ods_jw_null(jw);
	}
	ods_jw_key(jw, "metadata");
	if (d->metadata != NULL && ods_json_parse(d->metadata,
	    strlen(d->metadata), 32, &meta, NULL) == ODS_OK)
		ods_jw_raw(jw, d->metadata, strlen(d->metadata));
	else {
		ods_jw_obj(jw);
		ods_jw_end(jw);
	}
	ods_json_put(meta);
	ods_jw_kstr(jw, "created_by", d->created_by);
	ods_jw_kstr(jw, "created_at", d->created_at);
	ods_jw_kstr(jw, "indexed_at", d->indexed_at);
	ods_jw_end(jw);
}

enum ods_err
ods_doc_enqueue(struct ods_db *db, struct ods_redis *redis, int64_t doc,
    const char *created_by, int64_t *job)
{
	struct ods_jobs_spec	sp;
	char			payload[64];
	int64_t			id = 0;
	int			existed = 0;
	enum ods_err		er;

	snprintf(payload, sizeof(payload), "{\"doc\":%lld}", (long long)doc);
	memset(&sp, 0, sizeof(sp));
	sp.type = ODS_KB_INGEST_JOB;
	sp.payload = payload;
	sp.created_by = created_by;
	sp.max_attempts = 5;
	if ((er = ods_jobs_enqueue(db, redis, &sp, &id, &existed)) != ODS_OK)
		return er;
	if (job != NULL)
		*job = id;
	return ods_doc_set_job(db, doc, id);
}

enum ods_err
ods_kb_requeue_all(struct ods_db *db, struct ods_redis *redis,
    const struct ods_kb *kb, int64_t *ndocs)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[1] = { ods_db_int(kb->id) };
	enum ods_err		 er;
	size_t			 i, n;

	if (ndocs != NULL)
		*ndocs = 0;
	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	if ((er = ods_db_begin(c)) != ODS_OK)
		goto out;
	if ((er = kbi_lock(c, kb->id)) == ODS_OK &&
	    (er = kbi_chunks_drop(c, kb->id)) == ODS_OK &&
	    (er = ods_db_exec(c, "UPDATE indexed_documents SET status = "
	    "'queued', progress = 0, chunk_count = 0, error = NULL WHERE "
	    "kb_num = ? AND status NOT IN ('deleted', 'failed')", a, 1,
	    NULL)) == ODS_OK &&
	    (er = kbi_recount(c, kb->id)) == ODS_OK)
		er = ods_db_commit(c);
	else
		(void)ods_db_rollback(c);
	if (er == ODS_OK)
		er = ods_db_query(c, "SELECT id, created_by FROM "
		    "indexed_documents WHERE kb_num = ? AND status = 'queued' "
		    "ORDER BY id", a, 1, 1000000, &res);
out:
	ods_db_release(c);
	n = er == ODS_OK ? ods_db_res_nrows(res) : 0;
	for (i = 0; i < n && er == ODS_OK; i++)
		er = ods_doc_enqueue(db, redis, ods_db_res_int0(res, i, 0),
		    ods_db_res_text(res, i, 1, NULL), NULL);
	if (ndocs != NULL)
		*ndocs = (int64_t)i;
	ods_db_res_free(res);
	return er;
}
