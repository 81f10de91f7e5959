/*
 * tests/bench/rag/rag_bench.c — retrieval quality and keyword index speed
 * (tests/bench/rag/run.sh prepares the data and runs it). Not a test.
 *
 *	rag-bench eval CHUNKS QUERIES WORKDIR
 *	rag-bench perf CHUNKS QUERIES WORKDIR N [ZHCHUNKS ZHQUERIES]
 *	rag-bench search KWDIR QUERIES [ZHQUERIES]
 *
 * CHUNKS: chunk_id<TAB>doc_id<TAB>text lines; QUERIES: doc_id<TAB>query
 * (read as chunks without an id),
 * the doc_id being the document that answers it.
 *
 * eval indexes the chunks four ways: ods_vec (exact search of the
 * built-in embedder's vectors, ods-hash-embed-384), ods_kw, a plain
 * SQLite FTS5 table of the raw text (unicode61, bm25, the query's words
 * quoted and OR'ed), and hybrid = ods_fuse RRF of the vector and ods_kw
 * lists (50 chunks each; weight variants beside the default). A method's
 * chunk list becomes a document list (first chunk of each document
 * counts); printed per method: recall@1, @5, @10 and MRR (over the first
 * 50 chunks) of the expected document, and the mean time per query.
 *
 * perf indexes N chunks (the file repeated under new ids when shorter) in
 * ods_kw (batches of 1000, one transaction each) and in plain FTS5, and
 * prints indexing MB/s, single-item adds per second, index size, and the
 * search latency (k = 10) p50/p99 over the queries. With ZHCHUNKS and
 * ZHQUERIES a tenth of the N chunks are those (repeated under new ids)
 * and the Chinese queries are timed too. Then THREADS (8) threads share
 * the one handle for SECS (5) seconds: searches per second and their
 * latency with that many in flight. search times the queries (and the
 * threads) on an index perf left (WORKDIR/perf-kw), opened as a reader.
 * PLAIN (200): how many queries plain FTS5 is timed on (it is slow);
 * KW_ONLY makes eval index and ask ods_kw alone (the other rows are 0).
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "core/ods_err.h"
#include "vec/ods_embed.h"
#include "vec/ods_fuse.h"
#include "vec/ods_kw.h"
#include "vec/ods_vec.h"

#define DIM		384
#define DEPTH		50	/* chunks per method and query */
#define BATCH		1000

struct chunk {
	int64_t		 id, doc;
	const char	*text;
	size_t		 len;
};

static int	kw_only;	/* KW_ONLY set: ods_kw alone */

struct method {
	char		 name[32];
	float		 wv, wk;	/* hybrid weights */
	uint32_t	 k;		/* hybrid RRF k; 0: convex */
	double		 r1, r5, r10, mrr, secs;
};

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
die(const char *what)
{
	fprintf(stderr, "rag-bench: %s\n", what);
	exit(1);
}

static void
ok(enum ods_err er, const char *what)
{
	if (er != ODS_OK) {
		fprintf(stderr, "rag-bench: %s: %s\n", what, ods_strerror(er));
		exit(1);
	}
}

static char *
slurp(const char *path)
{
	FILE	*f = fopen(path, "r");
	char	*b;
	long	 n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0)
		die(path);
	rewind(f);
	if ((b = malloc((size_t)n + 1)) == NULL ||
	    fread(b, 1, (size_t)n, f) != (size_t)n)
		die(path);
	b[n] = '\0';
	fclose(f);
	return b;
}

/* Splits buf into lines of nf tab-separated fields (the last takes the rest). */
static size_t
lines(char *buf, int nf, char ***fields)
{
	size_t	 n = 0, cap = 1024;
	char	**v = malloc(cap * nf * sizeof(*v)), *p = buf, *e, *t;
	int	 i;

	while (*p != '\0') {
		if ((e = strchr(p, '\n')) != NULL)
			*e = '\0';
		if (n == cap)
			v = realloc(v, (cap *= 2) * nf * sizeof(*v));
		for (i = 0; i < nf; i++) {
			v[n * nf + i] = p;
			if (i < nf - 1) {
				if ((t = strchr(p, '\t')) == NULL)
					die("short line");
				*t = '\0';
				p = t + 1;
			}
		}
		n++;
		if (e == NULL)
			break;
		p = e + 1;
	}
	*fields = v;
	return n;
}

/* Rows of [id,] doc_id, text: nf 3 for chunks, 2 for queries (id 0). */
static size_t
load(const char *path, int nf, struct chunk **out)
{
	struct chunk	*c;
	char		**f, **r;
	size_t		 n, i;

	n = lines(slurp(path), nf, &f);
	c = calloc(n, sizeof(*c));
	for (i = 0; i < n; i++) {
		r = f + (size_t)nf * i;
		c[i].id = nf == 3 ? strtoll(r[0], NULL, 10) : 0;
		c[i].doc = strtoll(r[nf - 2], NULL, 10);
		c[i].text = r[nf - 1];
		c[i].len = strlen(c[i].text);
	}
	free(f);
	*out = c;
	return n;
}

/* --- plain FTS5: raw text, unicode61, the query's words OR'ed ---------- */

static sqlite3 *
plain_open(const char *dir)
{
	sqlite3	*db;
	char	 path[4096];

	snprintf(path, sizeof(path), "%s/plain.sqlite", dir);
	remove(path);
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA journal_mode = WAL;"
	    "PRAGMA synchronous = FULL;"
	    "CREATE VIRTUAL TABLE p USING fts5(text, doc UNINDEXED);"
	    "CREATE VIRTUAL TABLE pp USING fts5(text, doc UNINDEXED, "
	    "tokenize = 'porter unicode61');",
	    NULL, NULL, NULL) != SQLITE_OK)
		die(sqlite3_errmsg(db));
	return db;
}

/* Into table p, or pp (the porter stemmer's) when porter is set. */
static void
plain_add(sqlite3 *db, const struct chunk *c, size_t n, int porter)
{
	sqlite3_stmt	*s;
	size_t		 i;

	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	sqlite3_prepare_v2(db, porter ? "INSERT INTO pp(rowid, text, doc) "
	    "VALUES (?, ?, ?)" : "INSERT INTO p(rowid, text, doc) "
	    "VALUES (?, ?, ?)", -1, &s, NULL);
	for (i = 0; i < n; i++) {
		sqlite3_bind_int64(s, 1, c[i].id);
		sqlite3_bind_text(s, 2, c[i].text, (int)c[i].len,
		    SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, c[i].doc);
		if (sqlite3_step(s) != SQLITE_DONE)
			die(sqlite3_errmsg(db));
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		die(sqlite3_errmsg(db));
}

/* Words: runs of bytes other than ASCII punctuation and space. */
static char *
plain_expr(const char *q)
{
	char	*o = malloc(3 * strlen(q) + 8 * strlen(q) + 1), *p = o;
	int	 in = 0;

	for (; *q != '\0'; q++) {
		unsigned char	c = (unsigned char)*q;
		int		w = c >= 0x80 || (c >= '0' && c <= '9') ||
		    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

		if (w && !in) {
			if (p != o)
				p += sprintf(p, " OR ");
			*p++ = '"';
		} else if (!w && in)
			*p++ = '"';
		if (w)
			*p++ = (char)c;
		in = w;
	}
	if (in)
		*p++ = '"';
	*p = '\0';
	return o;
}

static size_t
plain_search(sqlite3 *db, sqlite3_stmt *s, const char *q, size_t k,
    struct ods_fuse_hit *h)
{
	char	*e = plain_expr(q);
	size_t	 n = 0;

	if (*e != '\0') {
		sqlite3_bind_text(s, 1, e, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, (int64_t)k);
		while (sqlite3_step(s) == SQLITE_ROW && n < k) {
			h[n].id = sqlite3_column_int64(s, 0);
			h[n].doc_id = sqlite3_column_int64(s, 1);
			n++;
		}
		sqlite3_reset(s);
	}
	free(e);
	(void)db;
	return n;
}

/* --- eval -------------------------------------------------------------- */

/*
 * Convex combination of min-max normalised scores (vector cosine, -bm25),
 * an absent hit counting 0: the candidates' doc ids into docs, best first.
 */
static size_t
convex(const struct ods_vec_hit *vh, size_t nv, const struct ods_kw_hit *kh,
    size_t nk, float wv, int64_t *docs)
{
	struct { int64_t id, doc; double s; } c[2 * DEPTH], t;
	double	vmin = 0, vmax = 0, kmin = 0, kmax = 0, x;
	size_t	i, j, n = 0;

	for (i = 0; i < nv; i++) {
		vmax = i == 0 || vh[i].score > vmax ? vh[i].score : vmax;
		vmin = i == 0 || vh[i].score < vmin ? vh[i].score : vmin;
	}
	for (i = 0; i < nk; i++) {
		kmax = i == 0 || -kh[i].bm25 > kmax ? -kh[i].bm25 : kmax;
		kmin = i == 0 || -kh[i].bm25 < kmin ? -kh[i].bm25 : kmin;
	}
	for (i = 0; i < nv; i++) {
		c[n].id = vh[i].id;
		c[n].doc = vh[i].doc_id;
		c[n++].s = wv * (vmax > vmin ? (vh[i].score - vmin) /
		    (vmax - vmin) : 1);
	}
	for (i = 0; i < nk; i++) {
		x = (1 - wv) * (kmax > kmin ? (-kh[i].bm25 - kmin) /
		    (kmax - kmin) : 1);
		for (j = 0; j < nv && c[j].id != kh[i].id; j++)
			;
		if (j < nv)
			c[j].s += x;
		else {
			c[n].id = kh[i].id;
			c[n].doc = kh[i].doc_id;
			c[n++].s = x;
		}
	}
	for (i = 1; i < n; i++)		/* insertion sort, best first */
		for (j = i; j > 0 && c[j].s > c[j - 1].s; j--) {
			t = c[j];
			c[j] = c[j - 1];
			c[j - 1] = t;
		}
	for (i = 0; i < n; i++)
		docs[i] = c[i].doc;
	return n;
}

/* The 1-based rank of doc in the document order of a chunk list, or 0. */
static size_t
doc_rank(const int64_t *docs, size_t n, int64_t doc)
{
	size_t	i, j, r = 0;

	for (i = 0; i < n; i++) {
		for (j = 0; j < i && docs[j] != docs[i]; j++)
			;
		if (j < i)
			continue;	/* an earlier chunk of the same doc */
		r++;
		if (docs[i] == doc)
			return r;
	}
	return 0;
}

static void
score(struct method *m, size_t r)
{
	if (r == 0)
		return;
	m->r1 += r <= 1;
	m->r5 += r <= 5;
	m->r10 += r <= 10;
	m->mrr += 1.0 / (double)r;
}

static struct ods_kw_item
kw_item(const struct chunk *c)
{
	struct ods_kw_item	it;

	it.id = c->id;
	it.doc_id = c->doc;
	it.kb_id = 1;
	it.text = c->text;
	it.len = c->len;
	return it;
}

/* Adds the chunks to k in batches of BATCH; returns the seconds taken. */
static double
kw_index(struct ods_kw *k, const struct chunk *c, size_t n)
{
	struct ods_kw_item	*ki = calloc(n, sizeof(*ki));
	size_t			 i;
	double			 t0;

	for (i = 0; i < n; i++)
		ki[i] = kw_item(&c[i]);
	t0 = now();
	for (i = 0; i < n; i += BATCH)
		ok(ods_kw_add(k, ods_kw_seq(k) + 1, ki + i,
		    n - i < BATCH ? n - i : BATCH), "kw add");
	t0 = now() - t0;
	free(ki);
	return t0;
}

static void
index_all(const char *dir, const struct chunk *c, size_t n,
    struct ods_vec **vp, struct ods_kw **kp, sqlite3 **pp)
{
	struct ods_vec_params	 vpar;
	struct ods_vec_item	*vi = calloc(n, sizeof(*vi));
	float			*vecs = malloc(n * DIM * sizeof(float));
	char			 d[4096];
	size_t			 i, nv = 0, ntok;
	double			 t0;

	snprintf(d, sizeof(d), "%s/vec", dir);
	ods_vec_params_init(&vpar, DIM, ODS_VEC_COSINE);
	ok(ods_vec_open_writer(d, &vpar, vp), "vec open");
	snprintf(d, sizeof(d), "%s/kw", dir);
	ok(ods_kw_open_writer(d, kp), "kw open");
	t0 = now();
	for (i = 0; i < n && !kw_only; i++) {
		ok(ods_embed(c[i].text, c[i].len, DIM, vecs + nv * DIM, &ntok),
		    "embed");
		if (ntok == 0)
			continue;	/* the zero vector: no tokens */
		vi[nv].id = c[i].id;
		vi[nv].doc_id = c[i].doc;
		vi[nv].kb_id = 1;
		vi[nv].vec = vecs + nv * DIM;
		nv++;
	}
	ok(ods_vec_add(*vp, ods_vec_seq(*vp) + 1, vi, nv), "vec add");
	ok(ods_vec_commit(*vp), "vec commit");
	printf("index: %zu chunks; vector %.2f s (embed + add)", n, now() - t0);
	printf(", ods_kw %.2f s", kw_index(*kp, c, n));
	t0 = now();
	*pp = plain_open(dir);
	if (!kw_only) {
		plain_add(*pp, c, n, 0);
		plain_add(*pp, c, n, 1);
	}
	printf(", plain FTS5 %.2f s\n", now() - t0);
	free(vi);
	free(vecs);		/* ods_vec_add copied them */
}

static void
print_row(const struct method *m, size_t nq)
{
	printf("  %-22s %7.3f %7.3f %7.3f %7.3f %9.2f\n", m->name,
	    m->r1 / nq, m->r5 / nq, m->r10 / nq, m->mrr / nq,
	    1e3 * m->secs / nq);
}

enum { M_VEC, M_KW, M_PLAIN, M_PORTER, M_HYB, M__FIXED };

#define MAXM	64
static struct method	methods[MAXM];
static size_t		nmethods;

static void
add_method(const char *name, float wv, uint32_t k)
{
	struct method	*m = &methods[nmethods++];

	if (name != NULL)
		snprintf(m->name, sizeof(m->name), "%s", name);
	else
		snprintf(m->name, sizeof(m->name), "hybrid k=%u %.2f/%.2f", k,
		    wv, 1 - wv);
	m->wv = wv;
	m->wk = 1 - wv;
	m->k = k;
}

/*
 * The fixed methods, the default hybrid, and with RAG_GRID set a grid of
 * RRF k and vector weights.
 */
static void
methods_init(void)
{
	static const uint32_t	ks[] = { 60, 20, 10, 5, 2 };
	static const float	ws[] = { 0.7f, 0.5f, 0.3f, 0.2f, 0.1f };
	size_t			i, j;

	add_method("vector (ods_vec)", 0, 0);
	add_method("keyword (ods_kw)", 0, 0);
	add_method("plain FTS5 bm25", 0, 0);
	add_method("FTS5 bm25 porter", 0, 0);
	add_method(NULL, ODS_FUSE_W_VEC, ODS_FUSE_K);
	add_method(NULL, ODS_FUSE_LEX_W_VEC, ODS_FUSE_LEX_K);
	snprintf(methods[nmethods - 1].name, sizeof(methods[0].name),
	    "hybrid LEX k=%d %.1f/%.1f", ODS_FUSE_LEX_K, ODS_FUSE_LEX_W_VEC,
	    ODS_FUSE_LEX_W_KW);
	if (getenv("RAG_GRID") == NULL)
		return;
	for (j = 0; j < ODS_NELEM(ws); j++) {
		add_method(NULL, ws[j], 0);
		snprintf(methods[nmethods - 1].name, sizeof(methods[0].name),
		    "convex %.2f/%.2f", ws[j], 1 - ws[j]);
	}
	for (i = 0; i < ODS_NELEM(ks); i++)
		for (j = 0; j < ODS_NELEM(ws); j++)
			if ((ks[i] != ODS_FUSE_K || ws[j] != ODS_FUSE_W_VEC) &&
			    (ks[i] != ODS_FUSE_LEX_K ||
			    ws[j] != ODS_FUSE_LEX_W_VEC))
				add_method(NULL, ws[j], ks[i]);
}

/* A plain FTS5 method's row: q searched with statement s, timed, scored. */
static void
plain_row(sqlite3 *pdb, sqlite3_stmt *s, const struct chunk *q,
    struct method *m)
{
	struct ods_fuse_hit	ph[DEPTH];
	int64_t			docs[DEPTH];
	size_t			np, i;
	double			t0 = now();

	np = kw_only ? 0 : plain_search(pdb, s, q->text, DEPTH, ph);
	m->secs += now() - t0;
	for (i = 0; i < np; i++)
		docs[i] = ph[i].doc_id;
	score(m, doc_rank(docs, np, q->doc));
}

static void
eval_query(struct ods_vec *v, struct ods_kw *k, sqlite3 *pdb,
    sqlite3_stmt *ps, sqlite3_stmt *pps, const struct chunk *q)
{
	struct ods_vec_hit	vh[DEPTH];
	struct ods_kw_hit	kh[DEPTH];
	struct ods_fuse_result	fr[2 * DEPTH];
	struct ods_vec_query	vq;
	struct ods_fuse_params	fp;
	float			qv[DIM];
	int64_t			docs[2 * DEPTH];
	size_t			nv = 0, nk, nf, i, m, ntok;
	double			t0, tv, tk;

	t0 = now();
	ok(ods_embed(q->text, strlen(q->text), DIM, qv, &ntok), "embed");
	if (ntok > 0 && !kw_only) {
		memset(&vq, 0, sizeof(vq));
		vq.vec = qv;
		vq.k = DEPTH;
		vq.flags = ODS_VEC_EXACT;
		ok(ods_vec_search(v, &vq, vh, &nv), "vec search");
	}
	tv = now() - t0;
	methods[M_VEC].secs += tv;
	for (i = 0; i < nv; i++)
		docs[i] = vh[i].doc_id;
	score(&methods[M_VEC], doc_rank(docs, nv, q->doc));
	t0 = now();
	ok(ods_kw_search(k, q->text, strlen(q->text), DEPTH, NULL, 0, kh, &nk),
	    "kw search");
	tk = now() - t0;
	methods[M_KW].secs += tk;
	for (i = 0; i < nk; i++)
		docs[i] = kh[i].doc_id;
	score(&methods[M_KW], doc_rank(docs, nk, q->doc));
	plain_row(pdb, ps, q, &methods[M_PLAIN]);
	plain_row(pdb, pps, q, &methods[M_PORTER]);
	for (m = M_HYB; m < nmethods; m++) {
		if (methods[m].k == 0) {
			t0 = now();
			nf = convex(vh, nv, kh, nk, methods[m].wv, docs);
			methods[m].secs += now() - t0 + tv + tk;
			score(&methods[m], doc_rank(docs, nf < DEPTH ? nf :
			    DEPTH, q->doc));
			continue;
		}
		ods_fuse_params_init(&fp);
		fp.k = methods[m].k;
		t0 = now();
		ok(ods_fuse_hybrid(vh, nv, methods[m].wv, kh, nk, methods[m].wk,
		    &fp, fr, ODS_NELEM(fr), &nf), "fuse");
		/* Its time: both searches and the fusion. */
		methods[m].secs += now() - t0 + tv + tk;
		for (i = 0; i < nf && i < DEPTH; i++)
			docs[i] = fr[i].doc_id;
		score(&methods[m], doc_rank(docs, nf < DEPTH ? nf : DEPTH,
		    q->doc));
	}
}

static int
eval(const char *cpath, const char *qpath, const char *dir)
{
	struct chunk	*c;
	struct chunk	*q;
	struct ods_vec	*v;
	struct ods_kw	*k;
	sqlite3		*pdb;
	sqlite3_stmt	*ps, *pps;
	size_t		 nc, nq, i;

	methods_init();
	kw_only = getenv("KW_ONLY") != NULL;
	nc = load(cpath, 3, &c);
	nq = load(qpath, 2, &q);
	mkdir(dir, 0755);
	index_all(dir, c, nc, &v, &k, &pdb);
	sqlite3_prepare_v2(pdb, "SELECT rowid, doc FROM p WHERE p MATCH ? "
	    "ORDER BY rank LIMIT ?", -1, &ps, NULL);
	sqlite3_prepare_v2(pdb, "SELECT rowid, doc FROM pp WHERE pp MATCH ? "
	    "ORDER BY rank LIMIT ?", -1, &pps, NULL);
	for (i = 0; i < nq; i++)
		eval_query(v, k, pdb, ps, pps, &q[i]);
	printf("queries: %zu over %zu chunks (documents ranked by their best "
	    "chunk, %d chunks per list)\n", nq, nc, DEPTH);
	printf("  %-22s %7s %7s %7s %7s %9s\n", "method", "R@1", "R@5",
	    "R@10", "MRR", "ms/query");
	for (i = 0; i < nmethods; i++)
		print_row(&methods[i], nq);
	sqlite3_finalize(ps);
	sqlite3_finalize(pps);
	sqlite3_close(pdb);
	ods_kw_close(k);
	ods_vec_close(v);
	return 0;
}

/* --- perf -------------------------------------------------------------- */

static int
dcmp(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
latency(const char *name, double *t, size_t n)
{
	qsort(t, n, sizeof(*t), dcmp);
	printf("  %-18s p50 %.3f ms  p99 %.3f ms  max %.3f ms\n", name,
	    1e3 * t[n / 2], 1e3 * t[(size_t)(n * 0.99)], 1e3 * t[n - 1]);
}

static uint64_t
dir_bytes(const char *dir, const char *a, const char *b)
{
	struct stat	sb;
	char		p[4096];
	uint64_t	n = 0;

	snprintf(p, sizeof(p), "%s/%s", dir, a);
	if (stat(p, &sb) == 0)
		n += (uint64_t)sb.st_size;
	snprintf(p, sizeof(p), "%s/%s", dir, b);
	if (stat(p, &sb) == 0)
		n += (uint64_t)sb.st_size;
	return n;
}

struct runner {
	struct ods_kw		*k;
	const struct chunk	*q;
	size_t			 nq, start, done;
	double			 until, *lat;
	size_t			 nlat;
};

static void *
runner(void *arg)
{
	struct runner		*r = arg;
	struct ods_kw_hit	 kh[10];
	const struct chunk	*q;
	size_t			 n, i = r->start;
	double			 t0;

	while ((t0 = now()) < r->until) {
		q = &r->q[i++ % r->nq];
		ok(ods_kw_search(r->k, q->text, q->len, 10, NULL, 0, kh, &n),
		    "kw search");
		if (r->done < r->nlat)
			r->lat[r->done] = now() - t0;
		r->done++;
	}
	return NULL;
}

/* nt threads searching k together for secs: searches/s and latency. */
static void
throughput(struct ods_kw *k, const struct chunk *q, size_t nq, int nt,
    double secs)
{
	struct runner	r[64];
	pthread_t	t[64];
	double		*all, t0;
	size_t		 i, n = 0, tot = 0;

	for (i = 0; i < (size_t)nt; i++) {
		r[i].k = k;
		r[i].q = q;
		r[i].nq = nq;
		r[i].start = i * nq / nt;
		r[i].done = 0;
		r[i].nlat = 200000;
		r[i].lat = calloc(r[i].nlat, sizeof(double));
	}
	t0 = now();
	for (i = 0; i < (size_t)nt; i++) {
		r[i].until = t0 + secs;
		if (pthread_create(&t[i], NULL, runner, &r[i]) != 0)
			die("pthread_create");
	}
	for (i = 0; i < (size_t)nt; i++) {
		pthread_join(t[i], NULL);
		tot += r[i].done;
	}
	t0 = now() - t0;
	all = calloc(tot, sizeof(*all));
	for (i = 0; i < (size_t)nt; i++) {
		memcpy(all + n, r[i].lat, (r[i].done < r[i].nlat ? r[i].done :
		    r[i].nlat) * sizeof(double));
		n += r[i].done < r[i].nlat ? r[i].done : r[i].nlat;
		free(r[i].lat);
	}
	printf("  %d thread(s), one handle: %.0f searches/s;", nt, tot / t0);
	latency("", all, n);
	free(all);
}

static void
timed(struct ods_kw *k, const char *name, const struct chunk *q, size_t nq)
{
	struct ods_kw_hit	 kh[10];
	double			*lat = calloc(nq, sizeof(*lat)), t0;
	size_t			 i, n;

	for (i = 0; i < nq; i++) {
		t0 = now();
		ok(ods_kw_search(k, q[i].text, strlen(q[i].text), 10, NULL, 0,
		    kh, &n), "kw search");
		lat[i] = now() - t0;
	}
	latency(name, lat, nq);
	free(lat);
}

static int
perf(const char *cpath, const char *qpath, const char *dir, size_t want,
    const char *zcpath, const char *zqpath)
{
	struct chunk		*c, *all, *zc = NULL, *zq = NULL;
	struct chunk		*q;
	struct ods_kw		*k;
	struct ods_kw_item	 ki;
	struct ods_fuse_hit	 ph[10];
	struct ods_kw_stats	 st;
	sqlite3			*pdb;
	sqlite3_stmt		*ps;
	char			 d[4096];
	size_t			 nc, nq, nzc = 0, nzq = 0, nz = 0, i, np;
	size_t			 single = 300;
	double			 t0, secs, mb = 0, *lat;
	int			 nt = getenv("THREADS") ? atoi(getenv("THREADS")) : 8;
	double			 tsecs = getenv("SECS") ? atof(getenv("SECS")) : 5;

	nc = load(cpath, 3, &c);
	nq = load(qpath, 2, &q);
	if (zcpath != NULL) {
		nzc = load(zcpath, 3, &zc);
		nzq = load(zqpath, 2, &zq);
		nz = want / 10;
	}
	all = calloc(want, sizeof(*all));
	for (i = 0; i < want; i++) {
		all[i] = i < nz ? zc[i % nzc] : c[(i - nz) % nc];
		all[i].id = (int64_t)i + 1;
		mb += all[i].len / 1e6;
	}
	mkdir(dir, 0755);
	snprintf(d, sizeof(d), "%s/perf-kw", dir);
	ok(ods_kw_open_writer(d, &k), "kw open");
	printf("perf: %zu chunks, %.1f MB of text (%zu distinct English "
	    "chunks, %zu Chinese ones repeated to %zu)\n", want, mb,
	    nc < want - nz ? nc : want - nz, nzc, nz);
	secs = kw_index(k, all, want);
	printf("  ods_kw index: %.2f s, %.2f MB/s (batches of %d, one "
	    "synchronous=FULL commit each)\n", secs, mb / secs, BATCH);
	t0 = now();
	ok(ods_kw_optimize(k), "optimize");
	ok(ods_kw_stats(k, &st), "stats");
	printf("  ods_kw optimize: %.2f s; file %.1f MB\n", now() - t0,
	    st.bytes / 1e6);
	t0 = now();
	for (i = 0; i < single; i++) {
		ki = kw_item(&all[nz + i]);
		ki.id = (int64_t)(want + i + 1);
		ok(ods_kw_add(k, ods_kw_seq(k) + 1, &ki, 1), "kw add 1");
	}
	secs = now() - t0;
	printf("  ods_kw single-item adds: %.0f/s (one fsync'ed commit "
	    "each)\n", single / secs);
	t0 = now();
	pdb = plain_open(dir);
	plain_add(pdb, all, want, 0);
	secs = now() - t0;
	printf("  plain FTS5 index (raw text, one transaction): %.2f s, "
	    "%.2f MB/s; file %.1f MB\n", secs, mb / secs,
	    dir_bytes(dir, "plain.sqlite", "plain.sqlite-wal") / 1e6);
	printf("search latency, k = 10, %zu queries (%zu Chinese):\n", nq, nzq);
	timed(k, "ods_kw", q, nq);
	if (nzq > 0)
		timed(k, "ods_kw Chinese", zq, nzq);
	lat = calloc(nq, sizeof(*lat));
	sqlite3_prepare_v2(pdb, "SELECT rowid, doc FROM p WHERE p MATCH ? "
	    "ORDER BY rank LIMIT ?", -1, &ps, NULL);
	np = getenv("PLAIN") ? strtoul(getenv("PLAIN"), NULL, 10) : 200;
	np = np < nq ? np : nq;
	for (i = 0; i < np; i++) {
		t0 = now();
		(void)plain_search(pdb, ps, q[i].text, 10, ph);
		lat[i] = now() - t0;
	}
	if (np > 0)
		latency("plain FTS5", lat, np);
	sqlite3_finalize(ps);
	sqlite3_close(pdb);
	free(lat);
	if (nt > 0) {
		printf("ods_kw throughput (English queries), %.0f s each:\n",
		    tsecs);
		throughput(k, q, nq, 1, tsecs);
		throughput(k, q, nq, nt > 64 ? 64 : nt, tsecs);
	}
	ods_kw_close(k);
	return 0;
}

static int
search_only(const char *kdir, const char *qpath, const char *zqpath)
{
	struct chunk	*q, *zq;
	struct ods_kw	*k;
	size_t		 nq, nzq;
	int		 nt = getenv("THREADS") ? atoi(getenv("THREADS")) : 8;
	double		 tsecs = getenv("SECS") ? atof(getenv("SECS")) : 5;

	nq = load(qpath, 2, &q);
	ok(ods_kw_open_reader(kdir, &k), "kw open");
	printf("search latency, k = 10:\n");
	timed(k, "ods_kw", q, nq);
	if (zqpath != NULL) {
		nzq = load(zqpath, 2, &zq);
		timed(k, "ods_kw Chinese", zq, nzq);
	}
	if (nt > 0) {
		throughput(k, q, nq, 1, tsecs);
		throughput(k, q, nq, nt > 64 ? 64 : nt, tsecs);
	}
	ods_kw_close(k);
	return 0;
}

int
main(int argc, char *argv[])
{
	if ((argc == 4 || argc == 5) && strcmp(argv[1], "search") == 0)
		return search_only(argv[2], argv[3], argc == 5 ? argv[4] :
		    NULL);
	if (argc == 5 && strcmp(argv[1], "eval") == 0)
		return eval(argv[2], argv[3], argv[4]);
	if ((argc == 6 || argc == 8) && strcmp(argv[1], "perf") == 0)
		return perf(argv[2], argv[3], argv[4],
		    (size_t)strtoull(argv[5], NULL, 10),
		    argc == 8 ? argv[6] : NULL, argc == 8 ? argv[7] : NULL);
	fprintf(stderr, "usage: rag-bench eval CHUNKS QUERIES WORKDIR\n"
	    "       rag-bench perf CHUNKS QUERIES WORKDIR N "
	    "[ZHCHUNKS ZHQUERIES]\n"
	    "       rag-bench search KWDIR QUERIES [ZHQUERIES]\n");
	return 2;
}
