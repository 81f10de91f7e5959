/*
 * svc/agent/kb_ingest.c — ingestion of one document: object -> text ->
 * chunks -> embeddings -> chunk rows, resumable (kb.h).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/ods_err.h"
#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "llm/ods_llm.h"
#include "store/ods_db.h"
#include "store/ods_obj.h"
#include "text/ods_text.h"
#include "vec/ods_embed.h"
#include "kb.h"
#include "agent_int.h"

#define BATCH		512		/* chunks embedded and stored at once */
#define ODS_STR2(x)	#x
#define ODS_STR(x)	ODS_STR2(x)
#define MAX_TEXT	(256u * 1024 * 1024)	/* extracted bytes kept */

struct ingest {
	const struct ods_kb_ingest_env	*env;
	struct ods_kb			*kb;
	struct ods_doc			*doc;
	struct ods_text_result		 text;
	struct ods_text_chunk		*chunks;
	size_t				 nchunks;
	char				 path[4096];
	int				 fd;
	int				 pct;	/* last on the row */
};

static int
stopping(const struct ingest *in)
{
	return in->env->stopping != NULL && in->env->stopping(in->env->arg);
}

/* The document's row shows it (GET /documents/{id}), and the job's. */
static void
progress(struct ingest *in, int pct, const char *msg)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_arg	 a[2];

	if (pct != in->pct && ods_db_acquire(in->env->db, &c) == ODS_OK) {
		a[0] = ods_db_int(pct);
		a[1] = ods_db_int(in->doc->id);
		if (ods_db_exec(c, "UPDATE indexed_documents SET progress = ? "
		    "WHERE id = ?", a, 2, NULL) == ODS_OK)
			in->pct = pct;
		ods_db_release(c);
	}
	if (in->env->progress != NULL)
		in->env->progress(in->env->arg, pct, msg);
}

static int
sink_write(void *arg, const char *p, size_t n)
{
	struct ingest	*in = arg;
	ssize_t		 w;

	while (n > 0) {
		if ((w = write(in->fd, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The document's bytes into a temporary file (PDF and DOCX seek). */
static enum ods_err
fetch(struct ingest *in)
{
	struct ods_obj_sink	sink = { NULL, sink_write, in };
	enum ods_err		er;

	snprintf(in->path, sizeof(in->path), "%s/ods-ingest-XXXXXX",
	    in->env->tmpdir != NULL ? in->env->tmpdir : "/tmp");
	if ((in->fd = mkstemp(in->path)) < 0) {
		ods_log(ODS_LOG_ERR | ODS_LOG_ERRNO,
		    "ingest_tmp_failed path=%s", in->path);
		in->path[0] = '\0';
		return ODS_EIO;
	}
	er = ods_obj_get(in->env->obj, in->doc->object_key, 0, ODS_OBJ_ALL,
	    &sink);
	if (close(in->fd) != 0 && er == ODS_OK)
		er = ODS_EIO;
	in->fd = -1;
	return er;
}

/* Status and the columns of the parse, outside any transaction. */
static enum ods_err
set_status(struct ods_db *db, int64_t doc, const char *status,
    const char *error, const struct ods_text_result *t,
    enum ods_text_format fmt)
{
	struct ods_db_arg	 a[5];
	enum ods_err		 er;

	a[0] = ods_db_text(status);
	a[1] = error != NULL ? ods_db_text(error) : ods_db_null();
	a[2] = t != NULL ? ods_db_text(ods_text_format_name(fmt)) :
	    ods_db_null();
	a[3] = t != NULL ? ods_db_text(t->charset) : ods_db_null();
	a[4] = ods_db_int(doc);
	er = ods_db_exec_once(db, "UPDATE indexed_documents SET status = ?, error = "
	    "?, format = COALESCE(?, format), charset = COALESCE(?, charset) "
	    "WHERE id = ? AND status <> 'deleted'", a, 5, NULL);
	return er;
}

/* How many chunks of the document are stored (a prefix, see store()). */
static enum ods_err
stored(struct ods_db *db, int64_t doc, size_t *n)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[1] = { ods_db_int(doc) };
	enum ods_err		 er;
	int64_t			 v = 0;

	er = ods_db_query_once(db, "SELECT COUNT(*) FROM document_chunks WHERE "
	    "doc_num = ? AND deleted = 0", a, 1, 1, &res);
	if (er == ODS_OK)
		er = ods_db_res_int(res, 0, 0, &v);
	ods_db_res_free(res);
	*n = (size_t)v;
	return er;
}

/*
 * Store chunks [from, to) with their vectors (vecs NULL: none, they derive
 * from the text) in one transaction under the KB's lock: their seqs are
 * drawn after the lock and commit in order. A document deleted meanwhile
 * gets nothing (ODS_ENOTFOUND).
 */
static enum ods_err
store(struct ingest *in, size_t from, size_t to, const float *vecs)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_res	*res = NULL, *seqs = NULL;
	struct ods_db_arg	*a, st[1];
	const char		*status;
	size_t			 i, n = to - from, k = 0;
	size_t			 dim = (size_t)in->kb->dim;
	enum ods_err		 er;

	a = ods_xcalloc(n * 10, sizeof(*a));
	for (i = from; i < to; i++) {
		const struct ods_text_chunk *ch = &in->chunks[i];

		k++;			/* seq: drawn under the lock, below */
		a[k++] = ods_db_text(in->kb->collection);
		a[k++] = ods_db_int(in->kb->id);
		a[k++] = ods_db_text(in->doc->doc_id);
		a[k++] = ods_db_int(in->doc->id);
		a[k++] = ods_db_int((int64_t)i);
		a[k++] = ods_db_textn(in->text.text + ch->off, ch->len);
		a[k++] = ods_db_text(in->kb->embedding_model);
		a[k++] = ods_db_int(in->kb->dim);
		/* None when they derive from the text (kb.h). */
		a[k++] = vecs == NULL ? ods_db_null() :
		    ods_db_blob(vecs + (i - from) * dim, dim * sizeof(float));
	}
	if ((er = ods_db_acquire(in->env->db, &c)) != ODS_OK)
		goto out;
	if ((er = ods_db_begin(c)) != ODS_OK)
		goto rel;
	st[0] = ods_db_int(in->doc->id);
	if ((er = kbi_lock(c, in->kb->id)) == ODS_OK)
		er = ods_db_query(c, "SELECT status FROM indexed_documents "
		    "WHERE id = ?", st, 1, 1, &res);
	if (er == ODS_OK) {
		status = ods_db_res_text(res, 0, 0, NULL);
		if (status == NULL || strcmp(status, "deleted") == 0)
			er = ODS_ENOTFOUND;
	}
	/*
	 * The seqs are drawn here, after the lock, n in one round trip, and
	 * given as values: MariaDB 10.11 crashed (a segfault in
	 * TABLE::update_default_fields) filling the column's DEFAULT (NEXT
	 * VALUE FOR vector_seq) in this prepared multi-row INSERT while
	 * other sessions inserted too (kb-ingest-crash.sh, once).
	 */
	st[0] = ods_db_int((int64_t)n);
	if (er == ODS_OK && (er = ods_db_query(c, "SELECT NEXT VALUE FOR "
	    "vector_seq FROM seq_1_to_" ODS_STR(BATCH) " LIMIT ?", st, 1,
	    BATCH, &seqs)) == ODS_OK && ods_db_res_nrows(seqs) != n)
		er = ODS_EINTERNAL;
	for (i = 0; er == ODS_OK && i < n; i++)
		a[i * 10] = ods_db_int(ods_db_res_int0(seqs, i, 0));
	if (er == ODS_OK)
		er = ods_db_insert_rows(c, "INSERT INTO document_chunks "
		    "(seq, collection_name, kb_num, doc_id, doc_num, "
		    "chunk_index, content, embedding_model, embedding_dim, "
		    "embedding)", 10, a, n, NULL);
	if (er == ODS_OK)
		er = ods_db_commit(c);
	else
		(void)ods_db_rollback(c);
rel:
	ods_db_release(c);
out:
	ods_db_res_free(res);
	ods_db_res_free(seqs);
	free(a);
	return er;
}

/* Embed chunks [from, to) with the KB's model into *vecs. */
static enum ods_err
embed(struct ingest *in, size_t from, size_t to, float **vecs)
{
	struct ods_llm_usage	 u;
	const char		**texts;
	char			**own;
	uint32_t		 dim = 0;
	size_t			 i, n = to - from;
	enum ods_err		 er;

	texts = ods_xcalloc(n, sizeof(*texts));
	own = ods_xcalloc(n, sizeof(*own));
	for (i = 0; i < n; i++) {
		const struct ods_text_chunk *ch = &in->chunks[from + i];

		own[i] = ods_xmalloc(ch->len + 1);
		memcpy(own[i], in->text.text + ch->off, ch->len);
		own[i][ch->len] = '\0';
		texts[i] = own[i];
	}
	memset(&u, 0, sizeof(u));
	er = ods_llm_embed(in->env->llm, in->kb->embedding_model, texts, n,
	    vecs, &dim, &u);
	if (er == ODS_OK && dim != (uint32_t)in->kb->dim) {
		ods_log(ODS_LOG_ERR, "ingest_dim_mismatch model=%s dim=%u "
		    "kb_dim=%d", in->kb->embedding_model, dim,
		    in->kb->dim);
		free(*vecs);
		*vecs = NULL;
		er = ODS_EUPSTREAM;
	}
	for (i = 0; i < n; i++)
		free(own[i]);
	free(own);
	free(texts);
	return er;
}

/* The document is indexed: its count, status and a preview. */
static enum ods_err
finish(struct ingest *in)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_arg	 a[3];
	size_t			 keep = in->text.len;
	enum ods_err		 er;

	/* The first ODS_KB_CONTENT_KEEP bytes, cut on a character. */
	if (keep > ODS_KB_CONTENT_KEEP) {
		keep = ODS_KB_CONTENT_KEEP;
		while (keep > 0 &&
		    ((unsigned char)in->text.text[keep] & 0xC0) == 0x80)
			keep--;
	}
	a[0] = ods_db_int((int64_t)in->nchunks);
	a[1] = ods_db_textn(in->text.text, keep);
	a[2] = ods_db_int(in->doc->id);
	if ((er = ods_db_acquire(in->env->db, &c)) != ODS_OK)
		return er;
	if ((er = ods_db_begin(c)) != ODS_OK)
		goto out;
	if ((er = kbi_lock(c, in->kb->id)) == ODS_OK &&
	    (er = ods_db_exec(c, "UPDATE indexed_documents SET status = "
	    "'indexed', chunk_count = ?, content = ?, progress = 100, error = "
	    "NULL, indexed_at = NOW(3) WHERE id = ? AND status <> 'deleted'",
	    a, 3, NULL)) == ODS_OK &&
	    (er = kbi_recount(c, in->kb->id)) == ODS_OK) {
		a[0] = ods_db_int(in->kb->id);
		er = ods_db_exec(c, "UPDATE knowledge_bases SET "
		    "last_indexed_at = NOW(3) WHERE id = ?", a, 1, NULL);
	}
	if (er == ODS_OK)
		er = ods_db_commit(c);
	else
		(void)ods_db_rollback(c);
out:
	ods_db_release(c);
	return er;
}

int
ods_kb_ingest_permanent(enum ods_err er)
{
	return er == ODS_EUNSUPPORTED || er == ODS_EINVAL ||
	    er == ODS_ETOOBIG;
}

static const char *
parse_error(enum ods_err er)
{
	switch (er) {
	case ODS_EUNSUPPORTED:
		return "unsupported file format";
	case ODS_ETOOBIG:
		return "the file is too large to index";
	default:
		return "the file is corrupt or not readable as text";
	}
}

static enum ods_err
run(struct ingest *in, int64_t *nchunks, struct ods_why *why)
{
	const struct ods_kb_ingest_env	*env = in->env;
	enum ods_text_format		 fmt;
	float				*vecs = NULL;
	size_t				 from, to;
	enum ods_err			 er;
	char				 msg[96];

	if ((er = fetch(in)) != ODS_OK)
		return er;
	fmt = ods_text_detect(in->doc->file_name, in->doc->content_type,
	    NULL, 0);
	if (fmt == ODS_TEXT_UNKNOWN) {
		char	head[512];
		FILE	*f = fopen(in->path, "rb");
		size_t	 got = 0;

		if (f != NULL) {
			got = fread(head, 1, sizeof(head), f);
			fclose(f);
		}
		fmt = ods_text_detect(NULL, NULL, head, got);
	}
	er = fmt == ODS_TEXT_UNKNOWN ? ODS_EUNSUPPORTED :
	    ods_text_extract_file(in->path, fmt, MAX_TEXT, &in->text);
	if (er != ODS_OK) {
		if (ods_kb_ingest_permanent(er)) {
			ods_why_set(why, "file", "%s", parse_error(er));
			(void)set_status(env->db, in->doc->id, "failed",
			    parse_error(er), NULL, fmt);
		}
		return er;
	}
	progress(in, 10, "text extracted");
	er = ods_text_chunk(in->text.text, in->text.len,
	    (size_t)in->kb->chunk_size, (size_t)in->kb->chunk_overlap,
	    &in->chunks, &in->nchunks);
	if (er != ODS_OK)
		return er;
	if ((er = set_status(env->db, in->doc->id, "indexing", NULL,
	    &in->text, fmt)) != ODS_OK)
		return er;
	if ((er = stored(env->db, in->doc->id, &from)) != ODS_OK)
		return er;
	for (; from < in->nchunks; from = to) {
		if (stopping(in))
			return ODS_EUNAVAIL;
		to = from + BATCH < in->nchunks ? from + BATCH : in->nchunks;
		if (!ods_kb_vectors_derived(in->kb) &&
		    (er = embed(in, from, to, &vecs)) != ODS_OK)
			return er;
		er = store(in, from, to, vecs);
		free(vecs);
		vecs = NULL;
		if (er == ODS_ENOTFOUND)
			return ODS_OK;		/* deleted meanwhile */
		if (er != ODS_OK)
			return er;
		snprintf(msg, sizeof(msg), "%zu of %zu chunks", to,
		    in->nchunks);
		progress(in, 10 + (int)(89 * to / in->nchunks), msg);
	}
	if ((er = finish(in)) == ODS_OK)
		*nchunks = (int64_t)in->nchunks;
	return er;
}

enum ods_err
ods_kb_ingest(const struct ods_kb_ingest_env *env, int64_t doc,
    int64_t *nchunks, struct ods_why *why)
{
	struct ingest	in;
	enum ods_err	er;

	*nchunks = 0;
	memset(&in, 0, sizeof(in));
	in.env = env;
	in.fd = -1;
	if ((er = ods_doc_get_num(env->db, doc, &in.doc)) != ODS_OK)
		return er == ODS_ENOTFOUND ? ODS_OK : er;
	if (strcmp(in.doc->status, "deleted") == 0 ||
	    strcmp(in.doc->status, "indexed") == 0) {
		*nchunks = in.doc->chunk_count;
		ods_doc_free(in.doc);
		return ODS_OK;
	}
	if ((er = ods_kb_get_num(env->db, in.doc->kb_num, &in.kb)) ==
	    ODS_ENOTFOUND) {
		ods_doc_free(in.doc);
		return ODS_OK;		/* the KB went away */
	}
	if (er == ODS_OK)
		er = run(&in, nchunks, why);
	if (in.path[0] != '\0')
		(void)unlink(in.path);
	ods_text_result_fini(&in.text);
	free(in.chunks);
	ods_kb_free(in.kb);
	ods_doc_free(in.doc);
	return er;
}
