/*
 * svc/agent/rag_search.c — retrieval from a knowledge base's indexes:
 * vector, keyword and their fusion, hydrated from MariaDB (rag.h).
 */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_err.h"
#include "core/ods_json.h"
#include "core/ods_mem.h"
#include "llm/ods_llm.h"
#include "store/ods_db.h"
#include "vec/ods_embed.h"
#include "vec/ods_fuse.h"
#include "vec/ods_kw.h"
#include "vec/ods_vec.h"
#include "kb.h"
#include "agent_int.h"
#include "rag.h"

#define SYNC_WAIT_MS	2000	/* a reader waits this long for its writer */
/*
 * Candidates asked of each index: hybrid fuses 2 x top_k of each list (at
 * least DEPTH_MIN, the reference's 20); one index alone gives top_k and a
 * margin for hits whose rows were deleted meanwhile.
 */
#define DEPTH_MIN	20
#define DEPTH_MARGIN	8
#define HYDRATE		32	/* ids per hydrating statement */
#define HYDRATE_FEW	8	/* ... or this many when few hits are missing */
#define MAX_DOC_IDS	100
#define MMR_POOL	4	/* candidates hydrated per hit for MMR */

struct cand {
	int64_t	id;
	int64_t	doc;
	float	score;
	float	vs;
	float	ks;
};

void
ods_rag_query_init(struct ods_rag_query *q)
{
	memset(q, 0, sizeof(*q));
	q->mode = ODS_RAG_HYBRID;
	q->top_k = 5;
	q->w_vec = -1;		/* the KB's model decides (fusion()) */
	q->w_kw = -1;
	q->mmr_lambda = ODS_FUSE_LAMBDA;
}

static const char *const mode_names[] = {
	[ODS_RAG_HYBRID] = "hybrid",
	[ODS_RAG_VECTOR] = "vector",
	[ODS_RAG_KEYWORD] = "keyword"
};

int
ods_rag_mode_parse(const char *s, enum ods_rag_mode *m)
{
	size_t	i;

	for (i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
		if (strcmp(s, mode_names[i]) == 0) {
			*m = (enum ods_rag_mode)i;
			return 0;
		}
	/* The reference's and common spellings. */
	if (strcmp(s, "bm25") == 0 || strcmp(s, "fulltext") == 0) {
		*m = ODS_RAG_KEYWORD;
		return 0;
	}
	if (strcmp(s, "semantic") == 0 || strcmp(s, "dense") == 0) {
		*m = ODS_RAG_VECTOR;
		return 0;
	}
	return -1;
}

const char *
ods_rag_mode_name(enum ods_rag_mode m)
{
	return (size_t)m < sizeof(mode_names) / sizeof(mode_names[0]) ?
	    mode_names[m] : "hybrid";
}

static void
hit_fini(struct ods_rag_hit *h)
{
	free(h->doc_id);
	free(h->title);
	free(h->file_name);
	free(h->content);
}

void
ods_rag_hits_free(struct ods_rag_hit *h, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		hit_fini(&h[i]);
	free(h);
}

/* The numbers of the documents named by public id in kb (unknown ones
 * are left out). */
static enum ods_err
doc_nums(struct ods_db *db, const struct ods_kb *kb,
    const struct ods_rag_query *q, int64_t *out, size_t *n)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[2];
	enum ods_err		 er;
	size_t			 i;

	*n = 0;
	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	for (i = 0; i < q->ndoc_ids && er == ODS_OK; i++) {
		a[0] = ods_db_int(kb->id);
		a[1] = ods_db_text(q->doc_ids[i]);
		er = ods_db_query(c, "SELECT id FROM indexed_documents WHERE "
		    "kb_num = ? AND doc_id = ? AND status <> 'deleted'", a, 2,
		    1, &res);
		if (er == ODS_OK && ods_db_res_nrows(res) == 1)
			out[(*n)++] = ods_db_res_int0(res, 0, 0);
		ods_db_res_free(res);
		res = NULL;
	}
	ods_db_release(c);
	return er;
}

/* A metadata key: letters, digits, '_', '-', '.'; 1 to 64 of them. */
static int
meta_key_ok(const char *k)
{
	size_t	n = strlen(k);

	if (n == 0 || n > 64)
		return 0;
	for (; *k != '\0'; k++)
		if (!isalnum((unsigned char)*k) && *k != '_' && *k != '-' &&
		    *k != '.')
			return 0;
	return 1;
}

/*
 * The live documents of kb whose metadata matches every condition of q,
 * sorted, into *out (malloc'ed; at most ODS_RAG_MAX_META_DOCS).
 */
static enum ods_err
meta_nums(struct ods_db *db, const struct ods_kb *kb,
    const struct ods_rag_query *q, int64_t **out, size_t *n)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[1 + 3 * ODS_RAG_MAX_META];
	char			 path[ODS_RAG_MAX_META][80];
	size_t			 i;
	enum ods_err		 er;

	a[0] = ods_db_int(kb->id);
	for (i = 0; i < ODS_RAG_MAX_META; i++) {
		/* "$.\"key\"": the key quoted, so that '.' and '-' are its. */
		if (i < q->nmeta)
			snprintf(path[i], sizeof(path[i]), "$.\"%s\"",
			    q->meta_keys[i]);
		a[1 + 3 * i] = ods_db_int(i < q->nmeta);
		a[2 + 3 * i] = ods_db_text(i < q->nmeta ? path[i] : "$.x");
		a[3 + 3 * i] = ods_db_text(i < q->nmeta ? q->meta_values[i] :
		    "");
	}
#define META_COND " AND (? = 0 OR JSON_VALUE(metadata, ?) = ?)"
	er = ods_db_query_once(db, "SELECT id FROM indexed_documents WHERE "
	    "kb_num = ? AND status = 'indexed'" META_COND META_COND META_COND
	    META_COND " ORDER BY id", a, 1 + 3 * ODS_RAG_MAX_META,
	    ODS_RAG_MAX_META_DOCS, &res);
#undef META_COND
	*n = er == ODS_OK ? ods_db_res_nrows(res) : 0;
	*out = ods_xcalloc(*n + 1, sizeof(**out));
	for (i = 0; i < *n; i++)
		(*out)[i] = ods_db_res_int0(res, i, 0);
	ods_db_res_free(res);
	return er;
}

static int
i64_cmp(const void *a, const void *b)
{
	int64_t	x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Keep the v[0..*n) that are in the sorted w[0..nw). */
static void
intersect(int64_t *v, size_t *n, const int64_t *w, size_t nw)
{
	size_t	i, k = 0;

	for (i = 0; i < *n; i++)
		if (bsearch(&v[i], w, nw, sizeof(*w), i64_cmp) != NULL)
			v[k++] = v[i];
	*n = k;
}

/* The question's vector with the KB's model. */
static enum ods_err
embed_query(struct ods_rag *rg, const struct ods_kb *kb, const char *text,
    float **qv)
{
	const char		*texts[1] = { text };
	struct ods_llm_usage	 u;
	uint32_t		 dim = 0;
	enum ods_err		 er;

	memset(&u, 0, sizeof(u));
	er = ods_llm_embed(rg->llm, kb->embedding_model, texts, 1, qv, &dim,
	    &u);
	if (er == ODS_OK && dim != (uint32_t)kb->dim) {
		free(*qv);
		*qv = NULL;
		er = ODS_EUPSTREAM;
	}
	return er;
}

/*
 * The fusion of a query on kb: the caller's weights, else the defaults of
 * the KB's model. The built-in embedder is lexical: fused 0.7/0.3 it pulls
 * BM25's ranking down (tests/bench/rag: R@1 0.41 against BM25's 0.63 on
 * Debian's package descriptions), so its KBs use the measured preset
 * (k 10, 0.1/0.9: R@5 0.825 against BM25's 0.823); a semantic model gets
 * the reference's 60 and 0.7/0.3.
 */
static void
fusion(const struct ods_kb *kb, const struct ods_rag_query *q,
    struct ods_fuse_params *fp, float *wv, float *wk)
{
	uint32_t	dim;
	int		lex;

	ods_fuse_params_init(fp);
	lex = ods_embed_parse_model(kb->embedding_model, &dim) == ODS_OK;
	if (lex)
		fp->k = ODS_FUSE_LEX_K;
	*wv = q->w_vec >= 0 ? q->w_vec : lex ? ODS_FUSE_LEX_W_VEC :
	    ODS_FUSE_W_VEC;
	*wk = q->w_kw >= 0 ? q->w_kw : lex ? ODS_FUSE_LEX_W_KW : ODS_FUSE_W_KW;
}

/* Candidates from the indexes, best first, in *cv (malloc'ed). */
static enum ods_err
candidates(struct ods_rag *rg, struct rag_ent *e, const struct ods_kb *kb,
    const struct ods_rag_query *q, const struct ods_vec_filter *f,
    size_t depth, struct cand **cv, size_t *nc)
{
	struct ods_vec_hit	*vh = NULL;
	struct ods_kw_hit	*kh = NULL;
	struct ods_fuse_result	*fr = NULL;
	struct ods_fuse_params	 fp;
	struct ods_vec_query	 vq;
	float			*qv = NULL, wv, wk;
	size_t			 nv = 0, nk = 0, nf = 0, i;
	enum ods_err		 er = ODS_OK;

	*cv = NULL;
	*nc = 0;
	vh = ods_xcalloc(depth, sizeof(*vh));
	kh = ods_xcalloc(depth, sizeof(*kh));
	if (q->mode != ODS_RAG_KEYWORD &&
	    (er = embed_query(rg, kb, q->text, &qv)) != ODS_OK)
		goto out;
	pthread_rwlock_rdlock(&e->rw);
	if (e->vec == NULL || e->kw == NULL) {
		/* No index yet on this machine: nothing was ever indexed. */
		pthread_rwlock_unlock(&e->rw);
		goto out;
	}
	if (qv != NULL) {
		memset(&vq, 0, sizeof(vq));
		vq.vec = qv;
		vq.k = depth;
		vq.filter = f;
		er = ods_vec_search(e->vec, &vq, vh, &nv);
		/* A question without a word of the model: no neighbours. */
		if (er == ODS_EINVAL) {
			er = ODS_OK;
			nv = 0;
		}
	}
	if (er == ODS_OK && q->mode != ODS_RAG_VECTOR)
		er = ods_kw_search(e->kw, q->text, strlen(q->text), depth, f,
		    0, kh, &nk);
	pthread_rwlock_unlock(&e->rw);
	if (er != ODS_OK)
		goto out;
	*cv = ods_xcalloc(depth * 2 + 1, sizeof(**cv));
	switch (q->mode) {
	case ODS_RAG_VECTOR:
		for (i = 0; i < nv; i++)
			(*cv)[i] = (struct cand){ vh[i].id, vh[i].doc_id,
			    vh[i].score, vh[i].score, -1 };
		*nc = nv;
		break;
	case ODS_RAG_KEYWORD:
		for (i = 0; i < nk; i++)
			(*cv)[i] = (struct cand){ kh[i].id, kh[i].doc_id,
			    kh[i].score, -1, kh[i].score };
		*nc = nk;
		break;
	default:
		fusion(kb, q, &fp, &wv, &wk);
		fp.depth = depth;
		fr = ods_xcalloc(depth * 2 + 1, sizeof(*fr));
		er = ods_fuse_hybrid(vh, nv, wv, kh, nk, wk, &fp, fr,
		    depth * 2, &nf);
		for (i = 0; er == ODS_OK && i < nf; i++)
			(*cv)[i] = (struct cand){ fr[i].id, fr[i].doc_id,
			    fr[i].score,
			    fr[i].rank[0] != 0 ? fr[i].src_score[0] : -1,
			    fr[i].rank[1] != 0 ? fr[i].src_score[1] : -1 };
		*nc = er == ODS_OK ? nf : 0;
		break;
	}
out:
	free(fr);
	free(qv);
	free(vh);
	free(kh);
	return er;
}

#define Q8	"?, ?, ?, ?, ?, ?, ?, ?"
#define Q32	Q8 ", " Q8 ", " Q8 ", " Q8
#define HYDRATE_SQL(ids)						\
	"SELECT c.id, c.doc_num, c.chunk_index, c.content, d.doc_id, "	\
	"d.title, d.file_name FROM document_chunks c JOIN "		\
	"indexed_documents d ON d.id = c.doc_num WHERE c.deleted = 0 "	\
	"AND d.status = 'indexed' AND c.kb_num = ? AND c.id IN (" ids ")"

/*
 * Fill hits from the candidates, in their order, with what MariaDB holds
 * of them now: deleted chunks and documents not indexed are left out.
 * A statement asks for the hits still missing and two more, in one of two
 * prepared sizes: MariaDB's range optimizer and join cost grow with the
 * IN list (32 ids cost about twice what 8 do), and a top_k of 5 is the
 * common query (tests/bench/kb).
 */
static enum ods_err
hydrate(struct ods_db *db, const struct ods_kb *kb, const struct cand *cv,
    size_t nc, size_t want, struct ods_rag_hit *hits, size_t *nh)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[HYDRATE + 1];
	enum ods_err		 er;
	size_t			 i, j, r, nrows, step;

	*nh = 0;
	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	for (i = 0; i < nc && *nh < want && er == ODS_OK; i += step) {
		step = want - *nh + 2 <= HYDRATE_FEW ? HYDRATE_FEW : HYDRATE;
		a[0] = ods_db_int(kb->id);
		for (j = 0; j < step; j++)
			a[j + 1] = ods_db_int(i + j < nc ? cv[i + j].id : 0);
		if (step == HYDRATE_FEW)
			er = ods_db_query(c, HYDRATE_SQL(Q8), a, step + 1, step,
			    &res);
		else
			er = ods_db_query(c, HYDRATE_SQL(Q32), a, step + 1, step,
			    &res);
		if (er != ODS_OK)
			break;
		nrows = ods_db_res_nrows(res);
		for (j = i; j < i + step && j < nc && *nh < want; j++) {
			for (r = 0; r < nrows; r++)
				if (ods_db_res_int0(res, r, 0) == cv[j].id)
					break;
			if (r == nrows)
				continue;
			hits[*nh].chunk_id = cv[j].id;
			hits[*nh].doc_num = ods_db_res_int0(res, r, 1);
			hits[*nh].chunk_index = (int)ods_db_res_int0(res, r, 2);
			hits[*nh].content = ods_db_res_strdup(res, r, 3);
			hits[*nh].doc_id = ods_db_res_strdup(res, r, 4);
			hits[*nh].title = ods_db_res_strdup(res, r, 5);
			hits[*nh].file_name = ods_db_res_strdup(res, r, 6);
			hits[*nh].score = cv[j].score;
			hits[*nh].vec_score = cv[j].vs;
			hits[*nh].kw_score = cv[j].ks;
			(*nh)++;
		}
		ods_db_res_free(res);
		res = NULL;
	}
	ods_db_release(c);
	return er;
}

/*
 * The stored vectors of the n hits (vecs[i] NULL for a hit without one),
 * into vbuf.
 */
static enum ods_err
stored_vecs(struct ods_db *db, const struct ods_kb *kb,
    const struct ods_rag_hit *hits, size_t n, const float **vecs,
    float *vbuf)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[HYDRATE + 1];
	const char		*blob;
	size_t			 dim = (size_t)kb->dim, i, j, r, blen;
	enum ods_err		 er;

	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	for (i = 0; i < n && er == ODS_OK; i += HYDRATE) {
		a[0] = ods_db_int(kb->id);
		for (j = 0; j < HYDRATE; j++)
			a[j + 1] = ods_db_int(i + j < n ?
			    hits[i + j].chunk_id : 0);
		er = ods_db_query(c, "SELECT id, embedding_dim, embedding FROM "
		    "document_chunks WHERE kb_num = ? AND id IN (" Q32 ")", a,
		    HYDRATE + 1, HYDRATE, &res);
		for (r = 0; er == ODS_OK && r < ods_db_res_nrows(res); r++) {
			for (j = i; j < i + HYDRATE && j < n; j++)
				if (hits[j].chunk_id == ods_db_res_int0(res, r, 0))
					break;
			blob = ods_db_res_text(res, r, 2, &blen);
			/* float32 little-endian, as rag_index.c reads them */
			if (j == i + HYDRATE || j == n || blob == NULL ||
			    ods_db_res_int0(res, r, 1) != kb->dim ||
			    blen != dim * sizeof(float))
				continue;
			memcpy(vbuf + j * dim, blob, blen);
			vecs[j] = vbuf + j * dim;
		}
		ods_db_res_free(res);
		res = NULL;
	}
	ods_db_release(c);
	return er;
}

/*
 * MMR (q->mmr): reorder the n hydrated hits so that the first top_k are
 * the relevant and diverse picks of ods_fuse_mmr over the chunks'
 * embeddings (a chunk without one is unlike every other), keep those and
 * free the rest. A KB whose vectors derive from the text has none stored:
 * they are computed from the hits' content.
 */
static enum ods_err
mmr_rerank(struct ods_db *db, const struct ods_kb *kb,
    const struct ods_rag_query *q, struct ods_rag_hit *hits, size_t *n)
{
	struct ods_fuse_result	*fr;
	struct ods_rag_hit	*tmp;
	const float		**vecs;
	float			*vbuf;
	size_t			 dim = (size_t)kb->dim, i, ntok;
	enum ods_err		 er = ODS_OK;

	if (*n <= 1 || dim == 0)
		return ODS_OK;
	vecs = ods_xcalloc(*n, sizeof(*vecs));
	vbuf = ods_xcalloc(*n * dim, sizeof(float));
	if (!ods_kb_vectors_derived(kb))
		er = stored_vecs(db, kb, hits, *n, vecs, vbuf);
	else
		for (i = 0; i < *n; i++)
			if (hits[i].content != NULL && ods_embed(hits[i].content,
			    strlen(hits[i].content), (uint32_t)dim, vbuf + i * dim,
			    &ntok) == ODS_OK && ntok > 0)
				vecs[i] = vbuf + i * dim;
	fr = ods_xcalloc(*n, sizeof(*fr));
	for (i = 0; i < *n; i++) {
		fr[i].id = (int64_t)i;
		fr[i].score = hits[i].score;
	}
	if (er == ODS_OK)
		er = ods_fuse_mmr(fr, *n, vecs, (uint32_t)dim, q->mmr_lambda,
		    q->top_k);
	if (er == ODS_OK) {
		tmp = ods_xcalloc(*n, sizeof(*tmp));
		for (i = 0; i < *n; i++)
			tmp[i] = hits[fr[i].id];
		memcpy(hits, tmp, *n * sizeof(*hits));
		free(tmp);
		for (i = q->top_k; i < *n; i++) {
			free(hits[i].doc_id);
			free(hits[i].title);
			free(hits[i].file_name);
			free(hits[i].content);
		}
		if (*n > q->top_k)
			*n = q->top_k;
	}
	free(fr);
	free(vbuf);
	free(vecs);
	return er;
}

enum ods_err
ods_rag_retrieve(struct ods_rag *rg, const struct ods_kb *kb,
    const struct ods_rag_query *q, struct ods_rag_hit **hits, size_t *n,
    struct ods_why *why)
{
	struct ods_vec_filter	 f, *fp = NULL;
	struct rag_ent		*e;
	struct cand		*cv = NULL;
	int64_t			*nums = NULL, *meta = NULL;
	size_t			 nnums = 0, nmeta = 0, nc = 0, i, k, depth, want;
	enum ods_err		 er;

	*hits = NULL;
	*n = 0;
	if (q->text == NULL || *q->text == '\0' ||
	    strlen(q->text) > ODS_RAG_MAX_QUERY) {
		ods_why_set(why, "query", "the question must have 1 to %d "
		    "bytes", ODS_RAG_MAX_QUERY);
		return ODS_EINVAL;
	}
	if (q->top_k < 1 || q->top_k > ODS_RAG_MAX_K) {
		ods_why_set(why, "top_k", "top_k must be 1 to %d",
		    ODS_RAG_MAX_K);
		return ODS_EINVAL;
	}
	if (!(q->threshold >= 0 && q->threshold <= 1)) {
		ods_why_set(why, "score_threshold", "score_threshold must be "
		    "0 to 1");
		return ODS_EINVAL;
	}
	if (q->ndoc_ids > MAX_DOC_IDS) {
		ods_why_set(why, "doc_ids", "at most %d doc_ids",
		    MAX_DOC_IDS);
		return ODS_EINVAL;
	}
	if (q->nmeta > ODS_RAG_MAX_META) {
		ods_why_set(why, "metadata", "at most %d metadata conditions",
		    ODS_RAG_MAX_META);
		return ODS_EINVAL;
	}
	for (i = 0; i < q->nmeta; i++)
		if (!meta_key_ok(q->meta_keys[i])) {
			ods_why_set(why, "metadata", "a metadata key has 1 to "
			    "64 letters, digits, '_', '-' or '.'");
			return ODS_EINVAL;
		}
	/*
	 * A KB's indexes hold that KB only: without doc_ids or metadata no
	 * filter, which spares the indexes a check of every item.
	 */
	memset(&f, 0, sizeof(f));
	f.has_kb = 1;
	f.kb_id = kb->id;
	if (q->ndoc_ids > 0 || q->nmeta > 0) {
		er = ODS_OK;
		if (q->ndoc_ids > 0) {
			nums = ods_xcalloc(q->ndoc_ids, sizeof(*nums));
			er = doc_nums(rg->db, kb, q, nums, &nnums);
		}
		if (er == ODS_OK && q->nmeta > 0) {
			er = meta_nums(rg->db, kb, q, &meta, &nmeta);
			if (er == ODS_OK && nums != NULL)
				intersect(nums, &nnums, meta, nmeta);
			else if (er == ODS_OK) {
				nums = meta;
				nnums = nmeta;
				meta = NULL;
			}
		}
		free(meta);
		if (er != ODS_OK || nnums == 0) {
			free(nums);
			return er;	/* none of them is here */
		}
		f.doc_ids = nums;
		f.ndoc_ids = nnums;
		fp = &f;
	}
	e = rag_ent(rg, kb);
	/* kb's row came with its chunks' last seq (kb.c): no second query. */
	if ((er = rag_ent_sync_to(rg, e, SYNC_WAIT_MS,
	    (uint64_t)kb->last_seq)) != ODS_OK &&
	    er != ODS_ENOTFOUND) {
		free(nums);
		return er;
	}
	if (q->mmr)
		depth = q->top_k * MMR_POOL < DEPTH_MIN ? DEPTH_MIN :
		    q->top_k * MMR_POOL;
	else if (q->mode == ODS_RAG_HYBRID)
		depth = q->top_k * 2 < DEPTH_MIN ? DEPTH_MIN : q->top_k * 2;
	else
		depth = q->top_k + DEPTH_MARGIN;
	er = candidates(rg, e, kb, q, fp, depth, &cv, &nc);
	free(nums);
	if (er != ODS_OK)
		return er;
	/* The threshold on the mode's score; hits stay best first. */
	for (i = k = 0; i < nc; i++)
		if (cv[i].score >= q->threshold)
			cv[k++] = cv[i];
	nc = k;
	/* MMR picks top_k of more: MMR_POOL times as many. */
	want = q->mmr ? q->top_k * MMR_POOL : q->top_k;
	*hits = ods_xcalloc(want + 1, sizeof(**hits));
	er = hydrate(rg->db, kb, cv, nc, want, *hits, n);
	free(cv);
	if (er == ODS_OK && q->mmr)
		er = mmr_rerank(rg->db, kb, q, *hits, n);
	if (er != ODS_OK) {
		ods_rag_hits_free(*hits, *n);
		*hits = NULL;
		*n = 0;
	}
	return er;
}

void
ods_rag_hit_json(struct ods_jw *jw, const struct ods_rag_hit *h,
    const char *collection)
{
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "content", h->content);
	ods_jw_kstr(jw, "text", h->content);
	ods_jw_kstr(jw, "source", h->file_name != NULL ? h->file_name :
	    h->title);
	ods_jw_knum(jw, "score", h->score);
	ods_jw_kstr(jw, "doc_id", h->doc_id);
	ods_jw_kint(jw, "chunk_index", h->chunk_index);
	ods_jw_kint(jw, "chunk_id", h->chunk_id);
	ods_jw_kstr(jw, "title", h->title);
	ods_jw_kstr(jw, "file_name", h->file_name);
	ods_jw_kstr(jw, "collection", collection);
	if (h->vec_score >= 0)
		ods_jw_knum(jw, "vector_score", h->vec_score);
	if (h->kw_score >= 0)
		ods_jw_knum(jw, "keyword_score", h->kw_score);
	ods_jw_key(jw, "metadata");
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "source", h->file_name);
	ods_jw_kstr(jw, "doc_id", h->doc_id);
	ods_jw_kint(jw, "chunk_index", h->chunk_index);
	ods_jw_kstr(jw, "title", h->title);
	ods_jw_end(jw);
	ods_jw_end(jw);
}

static int
hit_cmp(const void *a, const void *b)
{
	const struct ods_rag_hit	*x = a, *y = b;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return x->chunk_id < y->chunk_id ? -1 : x->chunk_id > y->chunk_id;
}

enum ods_err
ods_rag_retrieve_many(struct ods_rag *rg, struct ods_kb *const *kbs,
    size_t nkbs, const struct ods_rag_query *q, struct ods_rag_hit **hits,
    size_t *n, struct ods_why *why)
{
	struct ods_rag_hit	*all = NULL, *one, *grown;
	size_t			 i, m, total = 0, k;
	enum ods_err		 er;

	*hits = NULL;
	*n = 0;
	for (i = 0; i < nkbs; i++) {
		if ((er = ods_rag_retrieve(rg, kbs[i], q, &one, &m, why)) !=
		    ODS_OK) {
			ods_rag_hits_free(all, total);
			return er;
		}
		if (m > 0) {
			if ((grown = reallocarray(all, total + m,
			    sizeof(*all))) == NULL) {
				ods_rag_hits_free(one, m);
				ods_rag_hits_free(all, total);
				return ODS_ENOMEM;
			}
			all = grown;
			memcpy(all + total, one, m * sizeof(*one));
			total += m;
		}
		free(one);	/* its strings moved to all */
	}
	if (total > 1)
		qsort(all, total, sizeof(*all), hit_cmp);
	k = q->top_k > 0 && q->top_k < total ? q->top_k : total;
	for (i = k; i < total; i++)	/* the strings of the rest */
		hit_fini(&all[i]);
	*hits = all;
	*n = k;
	return ODS_OK;
}
