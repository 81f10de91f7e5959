/*
 * svc/agent/kb.c — knowledge base rows: create, read, list, update,
 * delete (kb.h).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_err.h"
#include "core/ods_json.h"
#include "core/ods_mem.h"
#include "core/ods_util.h"
#include "llm/ods_llm.h"
#include "store/ods_db.h"
#include "vec/ods_embed.h"
#include "kb.h"
#include "agent_int.h"

/* The columns of struct ods_kb, in row_to's order. */
#define COLS "k.id, k.kb_id, k.name, k.description, k.type, " \
	"k.collection_name, k.embedding_model, k.embedding_dim, k.chunk_size, " \
	"k.chunk_overlap, k.status, k.created_by, " KBI_TS("k.created_at") ", " \
	KBI_TS("k.updated_at") ", " KBI_TS("k.last_indexed_at") ", " \
	"k.document_count, k.vector_count, (SELECT COUNT(*) FROM " \
	"indexed_documents d WHERE d.kb_num = k.id AND d.status IN " \
	"('queued', 'indexing')), COALESCE((SELECT c.seq FROM " \
	"document_chunks c WHERE c.kb_num = k.id ORDER BY c.seq DESC " \
	"LIMIT 1), 0)"

/*
 * (The last seq is ORDER BY ... DESC LIMIT 1, one index entry: MariaDB
 * 10.11 reads every entry of the KB for a MAX() in a dependent subquery.)
 */

enum ods_err
kbi_lock(struct ods_db_conn *c, int64_t kb)
{
	struct ods_db_arg	 a[1] = { ods_db_int(kb) };
	struct ods_db_res	*res = NULL;
	enum ods_err		 er;

	er = ods_db_query(c, "SELECT id FROM knowledge_bases WHERE id = ? AND "
	    "deleted_at IS NULL FOR UPDATE", a, 1, 1, &res);
	if (er == ODS_OK && ods_db_res_nrows(res) == 0)
		er = ODS_ENOTFOUND;
	ods_db_res_free(res);
	return er;
}

enum ods_err
kbi_chunks_drop(struct ods_db_conn *c, int64_t kb)
{
	struct ods_db_arg	a[1] = { ods_db_int(kb) };

	return ods_db_exec(c, "UPDATE document_chunks SET deleted = 1, "
	    "deleted_at = NOW(3), seq = NEXT VALUE FOR vector_seq WHERE "
	    "kb_num = ? AND deleted = 0", a, 1, NULL);
}

/*
 * The KB's counts from its document rows alone: vector_count is the sum
 * of the indexed documents' chunk counts (the chunks a search can return:
 * it shows indexed documents only). Counting document_chunks instead read
 * every chunk row of the KB (kb_num's index lacks deleted) at the end of
 * each ingestion: 0.3 s of MariaDB for a KB of 110 000 chunks, and
 * quadratic over many small documents.
 */
enum ods_err
kbi_recount(struct ods_db_conn *c, int64_t kb)
{
	struct ods_db_arg	a[3] = { ods_db_int(kb), ods_db_int(kb),
	    ods_db_int(kb) };

	return ods_db_exec(c, "UPDATE knowledge_bases SET document_count = "
	    "(SELECT COUNT(*) FROM indexed_documents WHERE kb_num = ? AND "
	    "status <> 'deleted'), vector_count = (SELECT "
	    "COALESCE(SUM(chunk_count), 0) FROM indexed_documents WHERE "
	    "kb_num = ? AND status = 'indexed') WHERE id = ?", a, 3, NULL);
}

void
ods_kb_spec_init(struct ods_kb_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->chunk_size = -1;
	s->chunk_overlap = -1;
}

static void
row_to(const struct ods_db_res *res, size_t i, struct ods_kb *k)
{
	memset(k, 0, sizeof(*k));
	k->id = ods_db_res_int0(res, i, 0);
	k->kb_id = ods_db_res_strdup(res, i, 1);
	k->name = ods_db_res_strdup(res, i, 2);
	k->description = ods_db_res_strdup(res, i, 3);
	k->type = ods_db_res_strdup(res, i, 4);
	k->collection = ods_db_res_strdup(res, i, 5);
	k->embedding_model = ods_db_res_strdup(res, i, 6);
	k->dim = (int)ods_db_res_int0(res, i, 7);
	k->chunk_size = (int)ods_db_res_int0(res, i, 8);
	k->chunk_overlap = (int)ods_db_res_int0(res, i, 9);
	k->status = ods_db_res_strdup(res, i, 10);
	k->created_by = ods_db_res_strdup(res, i, 11);
	k->created_at = ods_db_res_strdup(res, i, 12);
	k->updated_at = ods_db_res_strdup(res, i, 13);
	k->last_indexed_at = ods_db_res_strdup(res, i, 14);
	k->document_count = ods_db_res_int0(res, i, 15);
	k->chunk_count = ods_db_res_int0(res, i, 16);
	k->indexing = ods_db_res_int0(res, i, 17);
	k->last_seq = ods_db_res_int0(res, i, 18);
}

static void
kb_fini(struct ods_kb *k)
{
	free(k->kb_id);
	free(k->name);
	free(k->description);
	free(k->type);
	free(k->collection);
	free(k->embedding_model);
	free(k->status);
	free(k->created_by);
	free(k->created_at);
	free(k->updated_at);
	free(k->last_indexed_at);
}

void
ods_kb_free(struct ods_kb *k)
{
	if (k == NULL)
		return;
	kb_fini(k);
	free(k);
}

void
ods_kb_list_free(struct ods_kb *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		kb_fini(&v[i]);
	free(v);
}

/* Rows of res into *out (one allocation per row set). */
static enum ods_err
rows_out(struct ods_db_res *res, struct ods_kb **out, size_t *n)
{
	size_t	i;

	*n = ods_db_res_nrows(res);
	*out = NULL;
	if (*n == 0)
		return ODS_OK;
	*out = ods_xcalloc(*n, sizeof(**out));
	for (i = 0; i < *n; i++)
		row_to(res, i, &(*out)[i]);
	return ODS_OK;
}

/* One KB from a query result; ODS_ENOTFOUND when empty. */
static enum ods_err
one_out(enum ods_err er, struct ods_db_res *res, struct ods_kb **out)
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

/*
 * The model's dimension: the built-in family by name, another by asking
 * it once. ODS_EINVAL when no backend serves it.
 */
static enum ods_err
model_dim(struct ods_llm *llm, const char *model, int *dim,
    struct ods_why *why)
{
	static const char *const probe[] = { "dimension probe" };
	struct ods_llm_usage	 u;
	float			*v = NULL;
	uint32_t		 d = 0;
	enum ods_err		 er;

	if (ods_embed_parse_model(model, &d) == ODS_OK) {
		*dim = (int)d;
		return ODS_OK;
	}
	if (llm == NULL || !ods_llm_model_known(llm, model)) {
		ods_why_set(why, "embedding_model", "no backend serves the "
		    "embedding model '%s'", model);
		return ODS_EINVAL;
	}
	memset(&u, 0, sizeof(u));
	er = ods_llm_embed(llm, model, probe, 1, &v, &d, &u);
	free(v);
	if (er == ODS_EINVAL || er == ODS_ENOTFOUND) {
		ods_why_set(why, "embedding_model", "the model '%s' does not "
		    "give embeddings", model);
		return ODS_EINVAL;
	}
	if (er == ODS_OK && (d < 1 || d > ODS_EMBED_DIM_MAX))
		er = ODS_EUPSTREAM;
	*dim = (int)d;
	return er;
}

int
ods_kb_vectors_derived(const struct ods_kb *kb)
{
	uint32_t	d;

	return kb->embedding_model != NULL &&
	    ods_embed_parse_model(kb->embedding_model, &d) == ODS_OK &&
	    (int)d == kb->dim;
}

/* A collection name: letters, digits, _ - . and no more than the max. */
static int
collection_ok(const char *s)
{
	size_t	n = strlen(s);

	if (n == 0 || n > ODS_KB_COLLECTION_MAX)
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' &&
		    *s != '.')
			return 0;
	return 1;
}

/* Check spec (for a create when create is set); fills the defaults. */
static enum ods_err
spec_check(const struct ods_kb_spec *sp, int create, int cur_size,
    int cur_overlap, struct ods_why *why)
{
	int64_t	size, overlap;

	if (create && (sp->name == NULL || *sp->name == '\0')) {
		ods_why_set(why, "name", "name is required");
		return ODS_EINVAL;
	}
	if (sp->name != NULL && (*sp->name == '\0' ||
	    strlen(sp->name) > ODS_KB_NAME_MAX)) {
		ods_why_set(why, "name", "name must have 1 to %d bytes",
		    ODS_KB_NAME_MAX);
		return ODS_EINVAL;
	}
	if (sp->description != NULL && strlen(sp->description) >
	    ODS_KB_DESC_MAX) {
		ods_why_set(why, "description", "description is longer than "
		    "%d bytes", ODS_KB_DESC_MAX);
		return ODS_EINVAL;
	}
	if (sp->type != NULL && (strlen(sp->type) == 0 ||
	    strlen(sp->type) > 32)) {
		ods_why_set(why, "type", "type must have 1 to 32 bytes");
		return ODS_EINVAL;
	}
	if (sp->collection != NULL && !collection_ok(sp->collection)) {
		ods_why_set(why, "collection_name", "a collection name has 1 "
		    "to %d letters, digits, '_', '-' or '.'",
		    ODS_KB_COLLECTION_MAX);
		return ODS_EINVAL;
	}
	if (sp->embedding_model != NULL && (*sp->embedding_model == '\0' ||
	    strlen(sp->embedding_model) > ODS_KB_MODEL_MAX)) {
		ods_why_set(why, "embedding_model", "embedding_model must have "
		    "1 to %d bytes", ODS_KB_MODEL_MAX);
		return ODS_EINVAL;
	}
	size = sp->chunk_size >= 0 ? sp->chunk_size : cur_size;
	overlap = sp->chunk_overlap >= 0 ? sp->chunk_overlap : cur_overlap;
	if (size < ODS_KB_CHUNK_MIN || size > ODS_KB_CHUNK_MAX) {
		ods_why_set(why, "chunk_size", "chunk_size must be %d to %d "
		    "characters", ODS_KB_CHUNK_MIN, ODS_KB_CHUNK_MAX);
		return ODS_EINVAL;
	}
	if (overlap < 0 || overlap >= size) {
		ods_why_set(why, "chunk_overlap", "chunk_overlap must be at "
		    "least 0 and less than chunk_size");
		return ODS_EINVAL;
	}
	return ODS_OK;
}

/* A collection name from a KB name: its safe characters, else the id. */
static void
derive_collection(const char *name, const char *kb_id, char *out, size_t len)
{
	size_t	n = 0;

	for (; *name != '\0' && n + 1 < len && n < 64; name++) {
		if (isalnum((unsigned char)*name) || *name == '_' ||
		    *name == '-' || *name == '.')
			out[n++] = (char)tolower((unsigned char)*name);
		else if (n > 0 && out[n - 1] != '_')
			out[n++] = '_';
	}
	out[n] = '\0';
	if (n < 3)
		snprintf(out, len, "%s", kb_id);
	else
		snprintf(out + n, len - n, "_%s", kb_id + 3);
}

enum ods_err
ods_kb_create(struct ods_db *db, struct ods_llm *llm,
    const struct ods_kb_spec *sp, const char *owner, struct ods_kb **out,
    struct ods_why *why)
{
	struct ods_db_arg	 a[10];
	const char		*model;
	char			 kb_id[32], coll[ODS_KB_COLLECTION_MAX + 1];
	enum ods_err		 er;
	int			 dim = 0;

	*out = NULL;
	if ((er = spec_check(sp, 1, 500, 50, why)) != ODS_OK)
		return er;
	model = sp->embedding_model != NULL ? sp->embedding_model :
	    ODS_KB_DEFAULT_MODEL;
	if ((er = model_dim(llm, model, &dim, why)) != ODS_OK)
		return er;
	kbi_new_id("kb", kb_id, sizeof(kb_id));
	if (sp->collection != NULL)
		snprintf(coll, sizeof(coll), "%s", sp->collection);
	else
		derive_collection(sp->name, kb_id, coll, sizeof(coll));
	a[0] = ods_db_text(kb_id);
	a[1] = ods_db_text(sp->name);
	a[2] = sp->description != NULL ? ods_db_text(sp->description) :
	    ods_db_text("");
	a[3] = ods_db_text(sp->type != NULL ? sp->type : "document");
	a[4] = ods_db_text(coll);
	a[5] = ods_db_text(model);
	a[6] = ods_db_int(dim);
	a[7] = ods_db_int(sp->chunk_size >= 0 ? sp->chunk_size : 500);
	a[8] = ods_db_int(sp->chunk_overlap >= 0 ? sp->chunk_overlap : 50);
	a[9] = ods_db_text(owner != NULL ? owner : "");
	er = ods_db_exec_once(db, "INSERT INTO knowledge_bases (kb_id, name, "
	    "description, type, collection_name, embedding_model, "
	    "embedding_dim, chunk_size, chunk_overlap, created_by) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", a, 10, NULL);
	if (er == ODS_ECONFLICT) {
		ods_why_set(why, "collection_name", "the collection '%s' "
		    "exists", coll);
		return er;
	}
	if (er != ODS_OK)
		return er;
	return ods_kb_get(db, kb_id, NULL, out);
}

enum ods_err
ods_kb_get(struct ods_db *db, const char *id, const char *owner,
    struct ods_kb **out)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[4];
	char			*end;
	long long		 num = 0;
	enum ods_err		 er;

	*out = NULL;
	if (id == NULL || *id == '\0' || strlen(id) > 64)
		return ODS_ENOTFOUND;
	if (*id >= '0' && *id <= '9') {
		num = strtoll(id, &end, 10);
		if (*end != '\0')
			return ODS_ENOTFOUND;
	}
	a[0] = ods_db_text(id);
	a[1] = ods_db_int(num);
	a[2] = owner != NULL ? ods_db_int(0) : ods_db_int(1);
	a[3] = ods_db_text(owner != NULL ? owner : "");
	er = ods_db_query_once(db, "SELECT " COLS " FROM knowledge_bases k WHERE "
	    "(k.kb_id = ? OR k.id = ?) AND k.deleted_at IS NULL AND "
	    "(? = 1 OR k.created_by = ?)", a, 4, 1, &res);
	return one_out(er, res, out);
}

enum ods_err
ods_kb_get_num(struct ods_db *db, int64_t id, struct ods_kb **out)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[1] = { ods_db_int(id) };
	enum ods_err		 er;

	er = ods_db_query_once(db, "SELECT " COLS " FROM knowledge_bases k WHERE "
	    "k.id = ? AND k.deleted_at IS NULL", a, 1, 1, &res);
	return one_out(er, res, out);
}

enum ods_err
ods_kb_by_collection(struct ods_db *db, struct ods_llm *llm,
    const char *name, const char *owner, const char *creator,
    struct ods_kb **out)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[1];
	struct ods_kb_spec	 sp;
	struct ods_why		 why;
	enum ods_err		 er;
	int			 tries;

	*out = NULL;
	if (!collection_ok(name))
		return ODS_EINVAL;
	for (tries = 0; tries < 2; tries++) {
		a[0] = ods_db_text(name);
		if ((er = ods_db_acquire(db, &c)) != ODS_OK)
			return er;
		er = ods_db_query(c, "SELECT " COLS " FROM knowledge_bases k "
		    "WHERE k.collection_name = ? AND k.deleted_at IS NULL",
		    a, 1, 1, &res);
		ods_db_release(c);
		if ((er = one_out(er, res, out)) != ODS_ENOTFOUND) {
			if (er == ODS_OK && owner != NULL &&
			    strcmp((*out)->created_by, owner) != 0) {
				ods_kb_free(*out);
				*out = NULL;
				return ODS_ENOTFOUND;
			}
			return er;
		}
		if (creator == NULL)
			return er;
		ods_kb_spec_init(&sp);
		sp.name = name;
		sp.collection = name;
		memset(&why, 0, sizeof(why));
		er = ods_kb_create(db, llm, &sp, creator, out, &why);
		/* Lost a race for the name, or a deleted KB holds it. */
		if (er != ODS_ECONFLICT)
			return er;
	}
	return ODS_ECONFLICT;
}

enum ods_err
ods_kb_list(struct ods_db *db, const char *owner, size_t offset, size_t limit,
    struct ods_kb **out, size_t *n, int64_t *total)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_res	*res = NULL, *cnt = NULL;
	struct ods_db_arg	 a[4];
	enum ods_err		 er;

	*out = NULL;
	*n = 0;
	if (limit == 0 || limit > ODS_KB_LIST_MAX)
		limit = ODS_KB_LIST_MAX;
	a[0] = owner != NULL ? ods_db_int(0) : ods_db_int(1);
	a[1] = ods_db_text(owner != NULL ? owner : "");
	a[2] = ods_db_int((int64_t)limit);
	a[3] = ods_db_int((int64_t)offset);
	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	er = ods_db_query(c, "SELECT " COLS " FROM knowledge_bases k WHERE "
	    "k.deleted_at IS NULL AND (? = 1 OR k.created_by = ?) ORDER BY "
	    "k.id DESC LIMIT ? OFFSET ?", a, 4, limit, &res);
	if (er == ODS_OK)
		er = ods_db_query(c, "SELECT COUNT(*) FROM knowledge_bases k "
		    "WHERE k.deleted_at IS NULL AND (? = 1 OR k.created_by = "
		    "?)", a, 2, 1, &cnt);
	ods_db_release(c);
	if (er == ODS_OK)
		er = ods_db_res_int(cnt, 0, 0, total);
	if (er == ODS_OK)
		er = rows_out(res, out, n);
	ods_db_res_free(res);
	ods_db_res_free(cnt);
	return er;
}

enum ods_err
ods_kb_update(struct ods_db *db, struct ods_llm *llm, struct ods_kb *k,
    const struct ods_kb_spec *sp, int *reindex, struct ods_why *why)
{
	struct ods_db_arg	 a[9];
	enum ods_err		 er;
	int			 dim = k->dim;

	*reindex = 0;
	if (sp->collection != NULL && strcmp(sp->collection,
	    k->collection) != 0) {
		ods_why_set(why, "collection_name", "a knowledge base keeps "
		    "its collection name");
		return ODS_EINVAL;
	}
	if ((er = spec_check(sp, 0, k->chunk_size, k->chunk_overlap, why)) !=
	    ODS_OK)
		return er;
	if (sp->embedding_model != NULL &&
	    strcmp(sp->embedding_model, k->embedding_model) != 0) {
		if ((er = model_dim(llm, sp->embedding_model, &dim, why)) !=
		    ODS_OK)
			return er;
		*reindex = 1;
	}
	if ((sp->chunk_size >= 0 && sp->chunk_size != k->chunk_size) ||
	    (sp->chunk_overlap >= 0 && sp->chunk_overlap != k->chunk_overlap))
		*reindex = 1;
	a[0] = ods_db_text(sp->name != NULL ? sp->name : k->name);
	a[1] = ods_db_text(sp->description != NULL ? sp->description :
	    (k->description != NULL ? k->description : ""));
	a[2] = ods_db_text(sp->type != NULL ? sp->type : k->type);
	a[3] = ods_db_text(sp->embedding_model != NULL ? sp->embedding_model :
	    k->embedding_model);
	a[4] = ods_db_int(dim);
	a[5] = ods_db_int(sp->chunk_size >= 0 ? sp->chunk_size :
	    k->chunk_size);
	a[6] = ods_db_int(sp->chunk_overlap >= 0 ? sp->chunk_overlap :
	    k->chunk_overlap);
	a[7] = ods_db_int(k->id);
	er = ods_db_exec_once(db, "UPDATE knowledge_bases SET name = ?, description "
	    "= ?, type = ?, embedding_model = ?, embedding_dim = ?, chunk_size "
	    "= ?, chunk_overlap = ? WHERE id = ? AND deleted_at IS NULL", a,
	    8, NULL);
	return er;
}

enum ods_err
ods_kb_delete(struct ods_db *db, const struct ods_kb *k)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_arg	 a[1] = { ods_db_int(k->id) };
	enum ods_err		 er;

	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	if ((er = ods_db_begin(c)) != ODS_OK)
		goto out;
	if ((er = kbi_lock(c, k->id)) == ODS_OK &&
	    (er = kbi_chunks_drop(c, k->id)) == ODS_OK &&
	    (er = ods_db_exec(c, "UPDATE indexed_documents SET status = "
	    "'deleted', deleted_at = NOW(3) WHERE kb_num = ? AND status <> "
	    "'deleted'", a, 1, NULL)) == ODS_OK &&
	    (er = ods_db_exec(c, "UPDATE knowledge_bases SET deleted_at = "
	    "NOW(3), status = 'deleted', document_count = 0, vector_count = 0, "
	    "collection_name = CONCAT('~', kb_id) WHERE id = ?", a, 1,
	    NULL)) == ODS_OK)
		er = ods_db_commit(c);
	if (er != ODS_OK)
		(void)ods_db_rollback(c);
out:
	ods_db_release(c);
	return er;
}

void
ods_kb_json(struct ods_jw *jw, const struct ods_kb *k)
{
	ods_jw_obj(jw);
	ods_kb_json_fields(jw, k);
	ods_jw_end(jw);
}

void
ods_kb_json_fields(struct ods_jw *jw, const struct ods_kb *k)
{
	ods_jw_kint(jw, "id", k->id);
	ods_jw_kstr(jw, "knowledge_base_id", k->kb_id);
	ods_jw_kstr(jw, "kb_id", k->kb_id);
	ods_jw_kstr(jw, "name", k->name);
	ods_jw_kstr(jw, "description", k->description != NULL ?
	    k->description : "");
	ods_jw_kstr(jw, "type", k->type);
	ods_jw_kstr(jw, "collection_name", k->collection);
	ods_jw_kstr(jw, "collection", k->collection);
	ods_jw_kstr(jw, "embedding_model", k->embedding_model);
	ods_jw_kint(jw, "embedding_dim", k->dim);
	ods_jw_kint(jw, "chunk_size", k->chunk_size);
	ods_jw_kint(jw, "chunk_overlap", k->chunk_overlap);
	ods_jw_kint(jw, "document_count", k->document_count);
	ods_jw_kint(jw, "vector_count", k->chunk_count);
	ods_jw_kstr(jw, "status", k->status);
	ods_jw_kstr(jw, "created_by", k->created_by);
	ods_jw_kstr(jw, "created_at", k->created_at);
	ods_jw_kstr(jw, "updated_at", k->updated_at);
	ods_jw_key(jw, "metadata");
	ods_jw_obj(jw);
	ods_jw_kint(jw, "total_chunks", k->chunk_count);
	ods_jw_kstr(jw, "last_indexed", k->last_indexed_at);
	ods_jw_kstr(jw, "indexing_status", k->indexing > 0 ? "indexing" :
	    "ready");
	ods_jw_kint(jw, "documents_indexing", k->indexing);
	ods_jw_end(jw);
}
