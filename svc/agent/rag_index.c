/*
 * svc/agent/rag_index.c — the local indexes of the knowledge bases: open
 * as writer or reader, follow MariaDB by seq, rebuild (rag.h).
 */
#include "config.h"

#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/ods_err.h"
#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "core/ods_time.h"
#include "store/ods_db.h"
#include "vec/ods_embed.h"
#include "vec/ods_kw.h"
#include "vec/ods_vec.h"
#include "kb.h"
#include "agent_int.h"
#include "rag.h"

/*
 * Chunk rows read per round trip, and so added to the keyword index per
 * SQLite transaction: its commit (FTS5's flush, kw_df's upserts) costs
 * per distinct word, so large pages cost far less a row than small ones
 * (agent CPU per 27 MB ingested, tests/bench/kb: 256 rows 8.7-12 s, 1 024
 * rows 5.5-7.9 s; keyword indexing of 20 MB in transactions of 4 096 rows
 * 2.9 CPU-s, of 16 384 2.5). A page is about PAGE_BYTES of vectors and
 * text (the vectors are read, or computed into a buffer of that size),
 * PAGE_MAX rows at 384 dimensions. A page too big for a result
 * (ODS_DB_MAX_RESULT_BYTES, 64 MiB by default: chunks of 8 000
 * characters are 24 KB) is read again as a quarter, down to PAGE_MIN
 * (tests/integration/kb-ingest-crash.sh runs a catch-up under 4 MiB).
 */
#define PAGE_BYTES	(32u << 20)
#define PAGE_ROW_TEXT	512		/* bytes a row counts for its text */
#define PAGE_MAX	16384
#define PAGE_MIN	256
#define COMMIT_ROWS	8192	/* changes per published vector segment */
#define REFRESH_MS	100	/* a reader looks for a new generation */
#define COMPACT_IDLE_MS	5000	/* quiet time before a compaction */
#define COMPACT_MIN	4096	/* items below which exact search is cheap */
#define SEAL_FLATS	4	/* flat segments that are sealed into a graph */
#define FLAT_BUSY	65536	/* exact items sealed even while not quiet */
#define MAX_GRAPHS	3	/* graphs before they are merged into one */
#define KW_OPTIMIZE_CHANGES 20000	/* changes before the keyword index
					   is merged, when quiet */
/*
 * The graphs' build effort: the writer builds every chunk's node once when
 * its batch is sealed and again when the graphs are compacted, on the
 * agent's own CPU; 200 (hnswlib's and ods_vec's default) made that the
 * largest cost of an ingestion (tests/bench/kb), 100 halves it.
 */
#define EF_CONSTRUCTION	100
/*
 * The search effort: with a KB's items in one graph (rag_merge) rather
 * than many, 128 keeps recall@10 near what 64 gave over many graphs at a
 * fraction of the cost (tests/bench/kb).
 */
#define EF_SEARCH	128

struct ods_rag *
ods_rag_new(const char *root, struct ods_db *db, struct ods_llm *llm)
{
	struct ods_rag	*rg = ods_xcalloc(1, sizeof(*rg));

	rg->root = ods_xstrdup(root);
	rg->db = db;
	rg->llm = llm;
	pthread_mutex_init(&rg->mu, NULL);
	pthread_cond_init(&rg->mcv, NULL);
	return rg;
}

static void
ent_close(struct rag_ent *e)
{
	ods_vec_close(e->vec);
	ods_kw_close(e->kw);
	e->vec = NULL;
	e->kw = NULL;
	e->writer = 0;
}

void
ods_rag_free(struct ods_rag *rg)
{
	struct rag_ent	*e, *next;

	if (rg == NULL)
		return;
	ods_rag_stop(rg);
	if (rg->mrunning == 1)
		pthread_join(rg->mth, NULL);
	for (e = rg->ents; e != NULL; e = next) {
		next = e->next;
		ent_close(e);
		pthread_mutex_destroy(&e->mu);
		pthread_rwlock_destroy(&e->rw);
		free(e);
	}
	pthread_cond_destroy(&rg->mcv);
	pthread_mutex_destroy(&rg->mu);
	free(rg->root);
	free(rg);
}

/*
 * The directory of a KB's indexes: its number, dimension and model, so a
 * model change starts a new pair of indexes (the old one is left for
 * `odsctl reindex` or the operator to remove).
 */
static void
ent_dir(const struct ods_rag *rg, const struct rag_ent *e, const char *sub,
    char *out, size_t len)
{
	snprintf(out, len, "%s/%" PRId64 "-%u-%08x%s%s", rg->root, e->kb,
	    e->dim, e->model_hash, sub != NULL ? "/" : "", sub != NULL ? sub :
	    "");
}

static uint32_t
fnv(const char *s)
{
	uint32_t	h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

struct rag_ent *
rag_ent(struct ods_rag *rg, const struct ods_kb *kb)
{
	struct rag_ent	*e;
	uint32_t	 mh = fnv(kb->embedding_model);

	pthread_mutex_lock(&rg->mu);
	for (e = rg->ents; e != NULL; e = e->next)
		if (e->kb == kb->id && e->dim == (uint32_t)kb->dim &&
		    e->model_hash == mh)
			break;
	if (e == NULL) {
		e = ods_xcalloc(1, sizeof(*e));
		e->kb = kb->id;
		e->dim = (uint32_t)kb->dim;
		e->model_hash = mh;
		e->derived = ods_kb_vectors_derived(kb);
		pthread_mutex_init(&e->mu, NULL);
		pthread_rwlock_init(&e->rw, NULL);
		e->next = rg->ents;
		rg->ents = e;
	}
	pthread_mutex_unlock(&rg->mu);
	return e;
}

static int
mkdirs(const char *path)
{
	char	buf[4096], *p;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -1;
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0750) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, 0750) < 0 && errno != EEXIST ? -1 : 0;
}

/*
 * Open e's indexes as the writer when nobody on the machine is (the
 * flock of ods_vec's writer); *got says whether it did. e->mu held.
 */
static enum ods_err
try_writer(struct ods_rag *rg, struct rag_ent *e, int *got)
{
	struct ods_vec_params	 p;
	struct ods_vec		*vec = NULL;
	struct ods_kw		*kw = NULL;
	char			 dir[4096];
	enum ods_err		 er;

	*got = 0;
	ent_dir(rg, e, "kw", dir, sizeof(dir));
	if (mkdirs(dir) < 0) {
		ods_log(ODS_LOG_ERR | ODS_LOG_ERRNO, "rag_index_mkdir dir=%s",
		    dir);
		return ODS_EIO;
	}
	ods_vec_params_init(&p, e->dim, ODS_VEC_COSINE);
	p.ef_construction = EF_CONSTRUCTION;
	p.ef_search = EF_SEARCH;
	/*
	 * Commits never build a graph on the catch-up path: maybe_merge
	 * does, beside it (ods_vec_merge).
	 */
	p.seal_threshold = UINT32_MAX;
	ent_dir(rg, e, "vec", dir, sizeof(dir));
	if ((er = ods_vec_open_writer(dir, &p, &vec)) == ODS_ECONFLICT)
		return ODS_OK;		/* another process is the writer */
	if (er != ODS_OK)
		return er;
	ent_dir(rg, e, "kw", dir, sizeof(dir));
	if ((er = ods_kw_open_writer(dir, &kw)) != ODS_OK) {
		ods_vec_close(vec);
		return er;
	}
	pthread_rwlock_wrlock(&e->rw);
	ent_close(e);
	e->vec = vec;
	e->kw = kw;
	e->writer = 1;
	pthread_rwlock_unlock(&e->rw);
	*got = 1;
	return ODS_OK;
}

/*
 * Make sure e is open (e->mu held): as the writer if possible, else
 * read-only. A reader whose writer has not made the files yet stays
 * closed (ODS_ENOTFOUND) until it has.
 */
static enum ods_err
ent_open(struct ods_rag *rg, struct rag_ent *e)
{
	struct ods_vec	*vec = NULL;
	struct ods_kw	*kw = NULL;
	char		 dir[4096];
	enum ods_err	 er;
	int		 got;

	if (e->vec != NULL)
		return ODS_OK;
	if ((er = try_writer(rg, e, &got)) != ODS_OK || got)
		return er;
	ent_dir(rg, e, "vec", dir, sizeof(dir));
	if ((er = ods_vec_open_reader(dir, &vec)) != ODS_OK)
		return er;
	ent_dir(rg, e, "kw", dir, sizeof(dir));
	if ((er = ods_kw_open_reader(dir, &kw)) != ODS_OK) {
		ods_vec_close(vec);
		return er;
	}
	pthread_rwlock_wrlock(&e->rw);
	e->vec = vec;
	e->kw = kw;
	e->writer = 0;
	e->refreshed_ms = ods_now_ms();
	pthread_rwlock_unlock(&e->rw);
	return ODS_OK;
}

/* A vector worth indexing: finite and not zero (cosine refuses those). */
static int
vec_ok(const float *v, uint32_t dim)
{
	double		s = 0;
	uint32_t	i;

	for (i = 0; i < dim; i++) {
		if (!isfinite(v[i]))
			return 0;
		s += (double)v[i] * v[i];
	}
	return s > 0;
}

/*
 * A row's vector into v: the one stored, or for a KB whose vectors derive
 * from the text (no vector stored) the one computed from it. 1 when v is
 * worth indexing.
 */
static int
row_vec(const struct rag_ent *e, const char *blob, size_t blen,
    const char *text, size_t tlen, float *v)
{
	size_t	ntok;

	if (blob != NULL && blen == e->dim * sizeof(float))
		memcpy(v, blob, blen);
	else if (blob == NULL && e->derived && text != NULL) {
		if (ods_embed(text, tlen, e->dim, v, &ntok) != ODS_OK ||
		    ntok == 0)
			return 0;
	} else
		return 0;
	return vec_ok(v, e->dim);
}

/*
 * A catch-up's buffers, grown to its largest page and kept across pages:
 * a page's vectors are 25 MB at 16 384 rows of 384 floats, and fresh
 * memory for each costs the kernel's page faults and zeroing again.
 */
struct page_buf {
	struct ods_vec_item	*vi;
	struct ods_kw_item	*ki;
	float			*vbuf;
	size_t			 cap;		/* rows */
};

static void
page_buf_fit(struct page_buf *pb, size_t rows, uint32_t dim)
{
	if (rows <= pb->cap)
		return;
	free(pb->vi);
	free(pb->ki);
	free(pb->vbuf);
	pb->vi = ods_xcalloc(rows, sizeof(*pb->vi));
	pb->ki = ods_xcalloc(rows, sizeof(*pb->ki));
	/* Each vector is written whole before it is used. */
	pb->vbuf = ods_xmalloc(rows * dim * sizeof(float));
	pb->cap = rows;
}

static void
page_buf_fini(struct page_buf *pb)
{
	free(pb->vi);
	free(pb->ki);
	free(pb->vbuf);
}

/* One page of changes after seq: apply it; *more when it was full. */
static enum ods_err
apply_page(struct ods_rag *rg, struct rag_ent *e, struct page_buf *pb,
    size_t page, uint64_t vseq, uint64_t kseq, uint64_t *last, size_t *nrows,
    int *more)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[3];
	struct ods_vec_item	*vi;
	struct ods_kw_item	*ki;
	float			*vbuf;
	size_t			 n, i, nv = 0, nk = 0;
	uint64_t		 from = vseq < kseq ? vseq : kseq, vlast = 0;
	uint64_t		 klast = 0;
	enum ods_err		 er;

	a[0] = ods_db_int(e->kb);
	a[1] = ods_db_int((int64_t)from);
	a[2] = ods_db_int((int64_t)page);
	er = ods_db_query_once(rg->db, "SELECT id, doc_num, seq, deleted, "
	    "embedding_dim, content, embedding FROM document_chunks WHERE "
	    "kb_num = ? AND seq > ? ORDER BY seq LIMIT ?", a, 3, page, &res);
	if (er != ODS_OK)
		return er;
	n = ods_db_res_nrows(res);
	*nrows = n;
	*more = n == page;
	page_buf_fit(pb, n + 1, e->dim);
	vi = pb->vi;
	ki = pb->ki;
	vbuf = pb->vbuf;
	for (i = 0; i < n && er == ODS_OK; i++) {
		int64_t		 id = ods_db_res_int0(res, i, 0);
		uint64_t	 seq = (uint64_t)ods_db_res_int0(res, i, 2);
		int		 deleted = ods_db_res_int0(res, i, 3) != 0;
		size_t		 blen = 0, tlen = 0;
		const char	*blob, *text;

		*last = seq;
		if (deleted) {
			/* Flush the adds before it: seqs must increase. */
			if (nv > 0 && (er = ods_vec_add(e->vec, vlast, vi,
			    nv)) != ODS_OK)
				break;
			if (nk > 0 && (er = ods_kw_add(e->kw, klast, ki,
			    nk)) != ODS_OK)
				break;
			nv = nk = 0;
			if (seq > vseq && (er = ods_vec_delete(e->vec, seq, id,
			    NULL)) != ODS_OK)
				break;
			if (seq > kseq && (er = ods_kw_delete(e->kw, seq, id,
			    NULL)) != ODS_OK)
				break;
			continue;
		}
		blob = ods_db_res_text(res, i, 6, &blen);
		text = ods_db_res_text(res, i, 5, &tlen);
		if (seq > vseq && ods_db_res_int0(res, i, 4) == (int64_t)e->dim &&
		    row_vec(e, blob, blen, text, tlen, vbuf + nv * e->dim)) {
			vi[nv].id = id;
			vi[nv].doc_id = ods_db_res_int0(res, i, 1);
			vi[nv].kb_id = e->kb;
			vi[nv].vec = vbuf + nv * e->dim;
			nv++;
			vlast = seq;
			goto kw;
		}
		/*
		 * No vector to index (a chunk without a word the model knows,
		 * another model's row): recorded as a deletion of the id, so
		 * that the index's seq still reaches this change (readers wait
		 * for it) and no older vector of the id survives.
		 */
		if (seq > vseq) {
			if (nv > 0 && (er = ods_vec_add(e->vec, vlast, vi,
			    nv)) != ODS_OK)
				break;
			nv = 0;
			if ((er = ods_vec_delete(e->vec, seq, id, NULL)) !=
			    ODS_OK)
				break;
		}
kw:
		if (seq > kseq && text != NULL) {
			ki[nk].id = id;
			ki[nk].doc_id = ods_db_res_int0(res, i, 1);
			ki[nk].kb_id = e->kb;
			ki[nk].text = text;
			ki[nk].len = tlen;
			nk++;
			klast = seq;
		}
	}
	if (er == ODS_OK && nv > 0)
		er = ods_vec_add(e->vec, vlast, vi, nv);
	if (er == ODS_OK && nk > 0)
		er = ods_kw_add(e->kw, klast, ki, nk);
	ods_db_res_free(res);
	return er;
}

/* The last seq of a KB's chunk rows (0 for none). */
static enum ods_err
rag_db_seq(struct ods_rag *rg, int64_t kb, uint64_t *seq)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[1] = { ods_db_int(kb) };
	enum ods_err		 er;

	*seq = 0;
	er = ods_db_query_once(rg->db, "SELECT COALESCE(MAX(seq), 0) FROM "
	    "document_chunks WHERE kb_num = ?", a, 1, 1, &res);
	if (er == ODS_OK)
		*seq = (uint64_t)ods_db_res_int0(res, 0, 0);
	ods_db_res_free(res);
	return er;
}

/* Seq the index has published (the lower of the two). */
static uint64_t
ent_seq(struct rag_ent *e)
{
	uint64_t	v = ods_vec_seq(e->vec), k = ods_kw_seq(e->kw);

	return v < k ? v : k;
}

/* Rows a catch-up page asks for (see PAGE_BYTES). */
static size_t
page_rows(const struct rag_ent *e)
{
	size_t	n = PAGE_BYTES / (e->dim * sizeof(float) + PAGE_ROW_TEXT);

	return n > PAGE_MAX ? PAGE_MAX : n < PAGE_MIN ? PAGE_MIN : n;
}

/* The writer's catch-up (e->mu held, handles open). */
static enum ods_err
catch_up(struct ods_rag *rg, struct rag_ent *e)
{
	struct page_buf	pb = { NULL, NULL, NULL, 0 };
	uint64_t	last = 0, before = ent_seq(e);
	enum ods_err	er;
	size_t		page = page_rows(e), n, since = 0;
	int		more = 1, rounds = 0;

	/*
	 * Published (a flat segment file) every COMMIT_ROWS changes and at
	 * the end: few, larger segments, and a bounded growing one.
	 */
	while (more && rounds++ < 100000) {
		n = 0;
		er = apply_page(rg, e, &pb, page, ods_vec_seq(e->vec),
		    ods_kw_seq(e->kw), &last, &n, &more);
		if (er == ODS_ETOOBIG && page > PAGE_MIN) {
			page = page / 4 > PAGE_MIN ? page / 4 : PAGE_MIN;
			continue;
		}
		since += n;
		if (er == ODS_OK && (!more || since >= COMMIT_ROWS)) {
			er = ods_vec_commit(e->vec);
			since = 0;
		}
		if (er != ODS_OK) {
			ods_log(ODS_LOG_WARN, "rag_index_apply_failed kb=%lld "
			    "err=%s", (long long)e->kb, ods_err_slug(er));
			page_buf_fini(&pb);
			return er;
		}
	}
	page_buf_fini(&pb);
	if (ent_seq(e) != before) {
		e->changed_ms = ods_now_ms();
		e->kw_changes += ent_seq(e) - before;
	}
	return ODS_OK;
}

/*
 * What the writer merges in e's vector index now (e->mu held): -1
 * nothing, 0 the flat segments into a graph, 1 everything into one graph.
 * A search scans flat items exactly and visits every graph (about 0.2 ms
 * each at 100 000 items here), so:
 * - flat items are sealed into a graph once the KB has been quiet for
 *   COMPACT_IDLE_MS, or at FLAT_BUSY items whatever the load (a cost of
 *   the new items only);
 * - graphs are merged into one past MAX_GRAPHS, or when a quarter of the
 *   items are tombstones, when quiet (a cost of every item: 40 s of CPU
 *   for 110 000 chunks of 384 dimensions here).
 * Commits never seal (try_writer), so an ingestion's catch-up never waits
 * for a graph, and a merge runs beside it (rag_merge).
 */
static int
merge_due(struct rag_ent *e)
{
	struct ods_vec_stats	st;
	enum ods_err		er;
	int			quiet;

	if (!e->writer || e->vec == NULL)
		return -1;
	quiet = ods_now_ms() - e->changed_ms >= COMPACT_IDLE_MS;
	/* After a bulk load, the keyword index merged once (ods_kw.h). */
	if (quiet && e->kw_changes >= KW_OPTIMIZE_CHANGES) {
		if ((er = ods_kw_optimize(e->kw)) != ODS_OK)
			ods_log(ODS_LOG_WARN, "rag_kw_optimize_failed kb=%lld "
			    "err=%s", (long long)e->kb, ods_err_slug(er));
		e->kw_changes = 0;
	}
	ods_vec_stats(e->vec, &st);
	if (st.live + st.dead < COMPACT_MIN)
		return -1;
	if (quiet && (st.segments_hnsw > MAX_GRAPHS || st.dead * 4 >=
	    st.live + st.dead))
		return 1;
	if (st.live_flat - st.growing >= FLAT_BUSY ||
	    (quiet && (st.live_flat - st.growing >= COMPACT_MIN ||
	    st.segments_flat >= SEAL_FLATS)))
		return st.segments_hnsw == 0 ? 1 : 0;
	return -1;
}

/*
 * Merge e's vector index (merge_due), without e->mu: catch-up and
 * searches go on while the graph is built (ods_vec_merge); the handle
 * stays open meanwhile (closing it takes e->rw for writing).
 */
static void
rag_merge(struct rag_ent *e, int all)
{
	struct ods_vec_stats	st;
	enum ods_err		er;
	int64_t			t0 = ods_now_ms();
	int			merged = 0;

	pthread_rwlock_rdlock(&e->rw);
	if (e->vec == NULL || !e->writer) {
		pthread_rwlock_unlock(&e->rw);
		return;
	}
	/* ODS_EUNAVAIL: stopped for a shutdown (ods_rag_stop). */
	if ((er = ods_vec_merge(e->vec, all, &merged)) != ODS_OK &&
	    er != ODS_EUNAVAIL)
		ods_log(ODS_LOG_WARN, "rag_index_merge_failed kb=%lld err=%s",
		    (long long)e->kb, ods_err_slug(er));
	ods_vec_stats(e->vec, &st);
	pthread_rwlock_unlock(&e->rw);
	if (merged)
		ods_log(ODS_LOG_INFO, "rag_index_merged kb=%lld all=%d "
		    "live=%zu graphs=%zu flat=%zu ms=%lld", (long long)e->kb,
		    all, st.live, st.segments_hnsw, st.segments_flat,
		    (long long)(ods_now_ms() - t0));
}

/*
 * The merge thread: one merge at a time, asked for by merge_post. Its own
 * thread, so that the maintenance thread goes on catching up every KB
 * while a graph of a large one is built (a minute of CPU), and so that
 * the graphs' CPU shows apart (its name, ods-merge, in /proc's task
 * list: tests/bench/kb counts it with the graph, not the ingestion).
 */
static void *
merge_main(void *arg)
{
	struct ods_rag	*rg = arg;
	struct rag_ent	*e;
	int		 all;

	pthread_mutex_lock(&rg->mu);
	for (;;) {
		while (rg->mnext == NULL && !rg->mstop)
			pthread_cond_wait(&rg->mcv, &rg->mu);
		if (rg->mstop)
			break;
		e = rg->mnext;
		all = rg->mall;
		rg->mnext = NULL;
		pthread_mutex_unlock(&rg->mu);
		rag_merge(e, all);
		pthread_mutex_lock(&rg->mu);
		rg->mbusy = 0;
	}
	pthread_mutex_unlock(&rg->mu);
	return NULL;
}

/*
 * Ask the merge thread for e's merge; nothing while it is busy (the next
 * round asks again). Without the thread (it could not be made) the merge
 * runs here. The thread inherits the caller's signal mask: call it from
 * a thread that blocks them all (the maintenance thread does).
 */
static void
merge_post(struct ods_rag *rg, struct rag_ent *e, int all)
{
	int	inline_ = 0, rc;

	pthread_mutex_lock(&rg->mu);
	if (rg->mrunning == 0 && !rg->mstop) {
		if ((rc = pthread_create(&rg->mth, NULL, merge_main, rg)) == 0) {
			rg->mrunning = 1;
			(void)pthread_setname_np(rg->mth, "ods-merge");
		} else {
			rg->mrunning = -1;	/* merges run inline */
			errno = rc;
			ods_log(ODS_LOG_WARN | ODS_LOG_ERRNO,
			    "rag_merge_thread_failed");
		}
	}
	if (rg->mrunning == 1 && !rg->mbusy && !rg->mstop) {
		rg->mnext = e;
		rg->mall = all;
		rg->mbusy = 1;
		pthread_cond_signal(&rg->mcv);
	} else
		inline_ = rg->mrunning == -1 && !rg->mstop;
	pthread_mutex_unlock(&rg->mu);
	if (inline_)
		rag_merge(e, all);
}

enum ods_err
rag_ent_sync(struct ods_rag *rg, struct rag_ent *e, int wait_ms)
{
	uint64_t	want = 0;
	enum ods_err	er;

	if (wait_ms > 0 && (er = rag_db_seq(rg, e->kb, &want)) != ODS_OK)
		return er;
	return rag_ent_sync_to(rg, e, wait_ms, want);
}

enum ods_err
rag_ent_sync_to(struct ods_rag *rg, struct rag_ent *e, int wait_ms,
    uint64_t want)
{
	int64_t		deadline = ods_now_ms() + wait_ms;
	enum ods_err	er;
	int		changed, fresh;

	/*
	 * The common case, a query on an index that is up to date: no lock
	 * beyond the handles' own, no round trip but the one above.
	 */
	if (wait_ms > 0 && want > 0) {
		pthread_rwlock_rdlock(&e->rw);
		fresh = e->vec != NULL && e->kw != NULL && ent_seq(e) >= want;
		pthread_rwlock_unlock(&e->rw);
		if (fresh)
			return ODS_OK;
	}
	for (;;) {
		pthread_mutex_lock(&e->mu);
		er = ent_open(rg, e);
		if (er == ODS_OK && e->writer)
			er = catch_up(rg, e);
		else if (er == ODS_OK && (wait_ms > 0 ||
		    ods_now_ms() - e->refreshed_ms >= REFRESH_MS)) {
			er = ods_vec_refresh(e->vec, &changed);
			e->refreshed_ms = ods_now_ms();
		}
		if (er == ODS_OK && (e->writer || ent_seq(e) >= want)) {
			pthread_mutex_unlock(&e->mu);
			return ODS_OK;
		}
		pthread_mutex_unlock(&e->mu);
		if (ods_now_ms() >= deadline)
			return e->vec != NULL ? ODS_OK : ODS_EUNAVAIL;
		usleep(20 * 1000);
	}
}

enum ods_err
ods_rag_sync(struct ods_rag *rg, const struct ods_kb *kb, int wait_ms)
{
	return rag_ent_sync(rg, rag_ent(rg, kb), wait_ms);
}

void
ods_rag_sync_all(struct ods_rag *rg)
{
	struct ods_kb	*kbs = NULL;
	size_t		 n = 0, i;
	int64_t		 total = 0;
	struct rag_ent	*e;
	int		 got, all;

	if (ods_kb_list(rg->db, NULL, 0, ODS_KB_LIST_MAX, &kbs, &n, &total) !=
	    ODS_OK)
		return;
	for (i = 0; i < n; i++) {
		e = rag_ent(rg, &kbs[i]);
		/* A reader tries again to be the writer: it may have died. */
		pthread_mutex_lock(&e->mu);
		if (e->vec != NULL && !e->writer)
			(void)try_writer(rg, e, &got);
		pthread_mutex_unlock(&e->mu);
		if (rag_ent_sync(rg, e, 0) != ODS_OK)
			continue;	/* logged; the next round retries */
		pthread_mutex_lock(&e->mu);
		all = merge_due(e);
		pthread_mutex_unlock(&e->mu);
		if (all >= 0)
			merge_post(rg, e, all);
	}
	ods_kb_list_free(kbs, n);
}

void
ods_rag_stop(struct ods_rag *rg)
{
	struct rag_ent	*e;

	pthread_mutex_lock(&rg->mu);
	rg->mstop = 1;
	pthread_cond_signal(&rg->mcv);
	for (e = rg->ents; e != NULL; e = e->next) {
		pthread_rwlock_rdlock(&e->rw);
		if (e->vec != NULL && e->writer)
			ods_vec_merge_cancel(e->vec);
		pthread_rwlock_unlock(&e->rw);
	}
	pthread_mutex_unlock(&rg->mu);
}

static int
rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	if (remove(path) != 0 && errno != ENOENT)
		ods_log(ODS_LOG_WARN | ODS_LOG_ERRNO, "rag_index_rm path=%s",
		    path);
	return 0;
}

enum ods_err
ods_rag_reindex(struct ods_rag *rg, const struct ods_kb *kb, size_t *nchunks)
{
	struct rag_ent	*e = rag_ent(rg, kb);
	char		 dir[4096];
	enum ods_err	 er;
	int		 got = 0;

	pthread_mutex_lock(&e->mu);
	/* Only the writer may remove the files: hold its lock first. */
	if (!e->writer)
		er = try_writer(rg, e, &got);
	else
		er = ODS_OK;
	if (er == ODS_OK && !e->writer)
		er = ODS_ECONFLICT;	/* another process of the machine */
	if (er == ODS_OK) {
		ent_dir(rg, e, NULL, dir, sizeof(dir));
		pthread_rwlock_wrlock(&e->rw);
		ent_close(e);
		(void)nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
		pthread_rwlock_unlock(&e->rw);
		er = try_writer(rg, e, &got);
		if (er == ODS_OK && !got)
			er = ODS_ECONFLICT;
	}
	if (er == ODS_OK)
		er = catch_up(rg, e);
	/* A rebuilt index is searched through one graph at once. */
	if (er == ODS_OK)
		er = ods_vec_merge(e->vec, 1, NULL);
	if (er == ODS_OK && nchunks != NULL) {
		struct ods_vec_stats	st;

		ods_vec_stats(e->vec, &st);
		*nchunks = st.live;
	}
	pthread_mutex_unlock(&e->mu);
	return er;
}

enum ods_err
ods_rag_stats(struct ods_rag *rg, const struct ods_kb *kb,
    struct ods_rag_stats *st)
{
	struct rag_ent		*e = rag_ent(rg, kb);
	struct ods_vec_stats	 vs;
	struct ods_kw_stats	 ks;
	enum ods_err		 er;

	memset(st, 0, sizeof(*st));
	if ((er = rag_ent_sync(rg, e, 0)) != ODS_OK && er != ODS_ENOTFOUND)
		return er;
	if ((er = rag_db_seq(rg, e->kb, &st->db_seq)) != ODS_OK)
		return er;
	pthread_rwlock_rdlock(&e->rw);
	if (e->vec != NULL && e->kw != NULL) {
		ods_vec_stats(e->vec, &vs);
		st->vectors = vs.live;
		st->graphs = vs.segments_hnsw;
		st->exact = vs.live_flat;
		if (ods_kw_stats(e->kw, &ks) == ODS_OK)
			st->keywords = ks.items;
		st->seq = ent_seq(e);
		st->writer = e->writer;
	}
	pthread_rwlock_unlock(&e->rw);
	return ODS_OK;
}
