/* tests/check_ods_vec.c — vector collections: search, files, concurrency. */
#include "config.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/ods_log.h"
#include "vec/ods_vec.h"
#include "vec/ods_vec_int.h"
#include "vec/vec_testutil.h"
#include "ods_check.h"

static char	*dir;

static void
setup(void)
{
	ods_log_init("check_ods_vec", ODS_LOG_ERR);
	ods_log_min = ODS_LOG_ERR + 1;	/* the errors below are expected */
	dir = tu_tmpdir();
	ck_assert_ptr_nonnull(dir);
}

static void
teardown(void)
{
	tu_rmdir(dir);
	free(dir);
	odsi_vfile_test_budget = -1;
}

static struct ods_vec *
writer(uint32_t dim, enum ods_vec_metric m, uint32_t seal)
{
	struct ods_vec_params	p;
	struct ods_vec		*v;

	ods_vec_params_init(&p, dim, m);
	if (seal)
		p.seal_threshold = seal;
	ck_assert_int_eq(ods_vec_open_writer(dir, &p, &v), ODS_OK);
	return v;
}

/* Add items id first..first+n-1 with vectors x (row i for id first+i). */
static void
add_rows(struct ods_vec *v, uint64_t seq, int64_t first, const float *x,
    size_t n, size_t dim)
{
	struct ods_vec_item	*it = calloc(n, sizeof(*it));
	size_t			 i;

	for (i = 0; i < n; i++) {
		it[i].id = first + (int64_t)i;
		it[i].doc_id = (first + (int64_t)i) / 10;
		it[i].kb_id = (first + (int64_t)i) % 3;
		it[i].vec = x + i * dim;
	}
	ck_assert_int_eq(ods_vec_add(v, seq, it, n), ODS_OK);
	free(it);
}

static double
ref_score(enum ods_vec_metric m, const float *a, const float *b, size_t d)
{
	double	s = 0, na = 0, nb = 0, t;
	size_t	i;

	for (i = 0; i < d; i++) {
		if (m == ODS_VEC_L2) {
			t = (double)a[i] - b[i];
			s -= t * t;
		} else
			s += (double)a[i] * b[i];
		na += (double)a[i] * a[i];
		nb += (double)b[i] * b[i];
	}
	return m == ODS_VEC_COSINE ? s / sqrt(na * nb) : s;
}

/* Brute-force top-k ids of q over x[n] (by reference score). */
static void
ref_topk(enum ods_vec_metric m, const float *x, size_t n, size_t d,
    const float *q, size_t k, int64_t *ids, double *sc)
{
	size_t	i, j;
	double	s;

	for (j = 0; j < k; j++)
		sc[j] = -INFINITY, ids[j] = -1;
	for (i = 0; i < n; i++) {
		s = ref_score(m, q, x + i * d, d);
		if (s <= sc[k - 1])
			continue;
		for (j = k - 1; j > 0 && sc[j - 1] < s; j--) {
			sc[j] = sc[j - 1];
			ids[j] = ids[j - 1];
		}
		sc[j] = s;
		ids[j] = (int64_t)i;
	}
}

static void
check_exact(struct ods_vec *v, enum ods_vec_metric m, const float *x,
    size_t n, size_t d, const float *q, size_t nq)
{
	struct ods_vec_query	qq;
	struct ods_vec_hit	hits[10];
	int64_t			ids[10];
	double			sc[10];
	size_t			i, j, nh;

	memset(&qq, 0, sizeof(qq));
	qq.k = 10;
	qq.flags = ODS_VEC_EXACT;
	for (i = 0; i < nq; i++) {
		qq.vec = q + i * d;
		ck_assert_int_eq(ods_vec_search(v, &qq, hits, &nh), ODS_OK);
		ck_assert_uint_eq(nh, 10);
		ref_topk(m, x, n, d, qq.vec, 10, ids, sc);
		for (j = 0; j < 10; j++) {
			/* Same id, or a tie within float rounding. */
			if (hits[j].id != ids[j])
				ck_assert_double_lt(fabs(sc[j] - ref_score(m,
				    qq.vec, x + hits[j].id * d, d)), 1e-4);
			ck_assert_double_lt(fabs((m == ODS_VEC_L2 ?
			    -hits[j].raw : hits[j].raw) - sc[j]),
			    1e-3 * (1 + fabs(sc[j])));
		}
	}
}

START_TEST(test_exact_search_equals_brute_force)
{
	static const enum ods_vec_metric ms[] = { ODS_VEC_COSINE, ODS_VEC_IP,
	    ODS_VEC_L2 };
	static const char *isas[] = { "generic", "avx2", NULL };
	size_t		 n = 2000, d = 37, mi, ii;
	float		*x = tu_clustered(n, d, 20, 1.0, 1, 2);
	float		*q = tu_clustered(20, d, 20, 1.0, 1, 3);
	struct ods_vec	*v;

	for (mi = 0; mi < 3; mi++) {
		v = writer((uint32_t)d, ms[mi], 0);
		add_rows(v, 1, 0, x, n / 2, d);
		ck_assert_int_eq(ods_vec_commit(v), ODS_OK);	/* flat */
		add_rows(v, 2, (int64_t)n / 2, x + n / 2 * d, n / 2, d);
		for (ii = 0; ii < 3; ii++) {	/* growing + flat */
			odsi_vk_force_isa(isas[ii]);
			check_exact(v, ms[mi], x, n, d, q, 20);
		}
		ck_assert_int_eq(ods_vec_seal(v), ODS_OK);	/* hnsw */
		check_exact(v, ms[mi], x, n, d, q, 20);
		ods_vec_close(v);
		tu_rmdir(dir);
		ck_assert_int_eq(mkdir(dir, 0700), 0);
	}
	free(x);
	free(q);
}
END_TEST

/* recall@10 of approximate search against exact, over nq queries. */
static double
recall_at_10(struct ods_vec *v, const float *q, size_t nq, size_t d,
    uint32_t ef)
{
	struct ods_vec_query	qq;
	struct ods_vec_hit	a[10], e[10];
	size_t			i, j, l, na, ne, hit = 0;

	memset(&qq, 0, sizeof(qq));
	qq.k = 10;
	qq.ef = ef;
	for (i = 0; i < nq; i++) {
		qq.vec = q + i * d;
		qq.flags = ODS_VEC_EXACT;
		ck_assert_int_eq(ods_vec_search(v, &qq, e, &ne), ODS_OK);
		qq.flags = 0;
		ck_assert_int_eq(ods_vec_search(v, &qq, a, &na), ODS_OK);
		for (j = 0; j < na; j++)
			for (l = 0; l < ne; l++)
				hit += a[j].id == e[l].id;
	}
	return (double)hit / (double)(nq * 10);
}

START_TEST(test_hnsw_recall_at_10_is_at_least_095_at_defaults)
{
	size_t			 n = 20000, d = 48, nq = 200;
	float			*x = tu_clustered(n, d, 200, 1.2, 7, 8);
	float			*q = tu_clustered(nq, d, 200, 1.2, 7, 9);
	struct ods_vec		*v = writer((uint32_t)d, ODS_VEC_COSINE, 0);
	struct ods_vec_stats	 st;
	double			 r, low;

	add_rows(v, 1, 0, x, n, d);
	ck_assert_int_eq(ods_vec_seal(v), ODS_OK);
	ods_vec_stats(v, &st);
	ck_assert_uint_eq(st.segments_hnsw, 1);
	ck_assert_uint_eq(st.segments_flat, 0);
	r = recall_at_10(v, q, nq, d, 0);
	low = recall_at_10(v, q, nq, d, 10);
	fprintf(stderr, "hnsw recall@10 default ef=%u: %.4f, ef=10: %.4f\n",
	    st.params.ef_search, r, low);
	ck_assert_double_ge(r, 0.95);
	/* The set is not trivial: a narrow beam misses neighbours. */
	ck_assert_double_lt(low, 0.97);
	ods_vec_close(v);
	free(x);
	free(q);
}
END_TEST

/*
 * Clustered vectors where a share frac are exact copies of nbase "boiler-
 * plate" vectors, picked with a heavy skew (base u^3 * nbase: the first
 * base gets ~17% of the copies), like repeated chunks of real text. Every
 * fourth query is a copy of a base too.
 */
static float *
dup_set(size_t n, size_t d, size_t nbase, double frac, float **qp, size_t nq)
{
	float		*x = tu_clustered(n, d, 200, 1.2, 21, 22);
	float		*base = tu_clustered(nbase, d, 200, 1.2, 23, 24);
	uint64_t	 s = 25;
	size_t		 i, b;

	*qp = tu_clustered(nq, d, 200, 1.2, 21, 26);
	for (i = 0; i < n; i++) {
		if (tu_unif(&s) >= frac)
			continue;
		b = (size_t)((double)nbase * pow(tu_unif(&s), 3.0));
		memcpy(x + i * d, base + b * d, d * sizeof(float));
	}
	for (i = 0; i < nq; i += 4) {
		b = (size_t)((double)nbase * pow(tu_unif(&s), 3.0));
		memcpy(*qp + i * d, base + b * d, d * sizeof(float));
	}
	free(base);
	return x;
}

/*
 * recall@10 where a hit counts when its score reaches the 10th exact
 * score: with copies, which of several equal items is returned is free.
 */
static double
recall_by_score(struct ods_vec *v, const float *q, size_t nq, size_t d)
{
	struct ods_vec_query	qq;
	struct ods_vec_hit	a[10], e[10];
	size_t			i, j, na, ne, hit = 0;

	memset(&qq, 0, sizeof(qq));
	qq.k = 10;
	for (i = 0; i < nq; i++) {
		qq.vec = q + i * d;
		qq.flags = ODS_VEC_EXACT;
		ck_assert_int_eq(ods_vec_search(v, &qq, e, &ne), ODS_OK);
		ck_assert_uint_eq(ne, 10);
		qq.flags = 0;
		ck_assert_int_eq(ods_vec_search(v, &qq, a, &na), ODS_OK);
		for (j = 0; j < na; j++)
			hit += a[j].raw >= e[9].raw - 1e-5f;
	}
	return (double)hit / (double)(nq * 10);
}

START_TEST(test_hnsw_recall_stays_at_least_095_with_many_exact_duplicates)
{
	size_t			 n = 10000, d = 48, nq = 200;
	float			*q, *x = dup_set(n, d, 200, 0.3, &q, nq);
	struct ods_vec		*v = writer((uint32_t)d, ODS_VEC_COSINE, 0);
	double			 r;

	add_rows(v, 1, 0, x, n, d);
	ck_assert_int_eq(ods_vec_seal(v), ODS_OK);
	r = recall_by_score(v, q, nq, d);
	fprintf(stderr, "hnsw recall@10 with 30%% duplicates: %.4f\n", r);
	ck_assert_double_ge(r, 0.95);
	ods_vec_close(v);
	free(x);
	free(q);
}
END_TEST

/* Nodes reachable from the entry point over level-0 links. */
static size_t
reachable_at_level0(const struct odsi_vhnsw_build *b)
{
	uint8_t		*seen = calloc(b->n, 1);
	uint32_t	*stack = malloc(b->n * sizeof(uint32_t));
	const uint32_t	*l;
	size_t		 sp = 0, nr = 0, j;
	uint32_t	 cur;

	ck_assert(seen != NULL && stack != NULL);
	seen[b->entry] = 1;
	stack[sp++] = b->entry;
	while (sp > 0) {
		cur = stack[--sp];
		nr++;
		l = b->l0 + (size_t)cur * (1 + b->m0);
		for (j = 1; j <= l[0]; j++)
			if (!seen[l[j]]) {
				seen[l[j]] = 1;
				stack[sp++] = l[j];
			}
	}
	free(seen);
	free(stack);
	return nr;
}

/*
 * A copy nothing links to is invisible to every search, filtered ones
 * included (another document's copy of the same chunk).
 */
START_TEST(test_hnsw_graph_reaches_every_exact_duplicate)
{
	size_t			 n = 10000, d = 48, nr;
	float			*q, *x = dup_set(n, d, 200, 0.3, &q, 4);
	struct odsi_vhnsw_build	 b;

	memset(&b, 0, sizeof(b));
	b.n = (uint32_t)n;
	b.dim = (uint32_t)d;
	b.metric = ODS_VEC_IP;
	b.m = 16;
	b.efc = 200;
	b.vecs = x;
	ck_assert_int_eq(odsi_vhnsw_build(&b, 1), ODS_OK);
	nr = reachable_at_level0(&b);
	fprintf(stderr, "hnsw level-0 reachable with 30%% duplicates: "
	    "%zu of %zu\n", nr, n);
	ck_assert_uint_eq(nr, n);
	odsi_vhnsw_build_free(&b);
	free(x);
	free(q);
}
END_TEST

static size_t
search_ids(struct ods_vec *v, const float *q, size_t k,
    const struct ods_vec_filter *f, int flags, float t,
    struct ods_vec_hit *hits)
{
	struct ods_vec_query	qq;
	size_t			nh;

	memset(&qq, 0, sizeof(qq));
	qq.vec = q;
	qq.k = k;
	qq.filter = f;
	qq.flags = flags;
	qq.score_threshold = t;
	ck_assert_int_eq(ods_vec_search(v, &qq, hits, &nh), ODS_OK);
	return nh;
}

START_TEST(test_filters_keep_only_matching_items)
{
	size_t			 n = 3000, d = 16, i, nh, pass;
	float			*x = tu_clustered(n, d, 30, 1.0, 3, 4);
	struct ods_vec		*v = writer((uint32_t)d, ODS_VEC_COSINE, 0);
	struct ods_vec_filter	 f;
	struct ods_vec_hit	 hits[50];
	int64_t			 docs[] = { 7, 150, 299 };

	add_rows(v, 1, 0, x, 2000, d);
	ck_assert_int_eq(ods_vec_seal(v), ODS_OK);
	add_rows(v, 2, 2000, x + 2000 * d, 1000, d);
	for (pass = 0; pass < 2; pass++) {
		memset(&f, 0, sizeof(f));
		f.has_kb = 1;
		f.kb_id = 2;
		nh = search_ids(v, x, 50, &f, 0, 0, hits);
		ck_assert_uint_eq(nh, 50);
		for (i = 0; i < nh; i++)
			ck_assert_int_eq(hits[i].kb_id, 2);
		f.doc_ids = docs;
		f.ndoc_ids = 3;
		f.has_kb = 0;
		nh = search_ids(v, x + 1500 * d, 50, &f, pass ? ODS_VEC_EXACT :
		    0, 0, hits);
		ck_assert_uint_eq(nh, 30);	/* ten items per doc */
		for (i = 0; i < nh; i++)
			ck_assert(hits[i].doc_id == 7 || hits[i].doc_id == 150 ||
			    hits[i].doc_id == 299);
		f.has_kb = 1;
		f.kb_id = 0;	/* and: 72 75 78, 1500 .. 1509, 2991 .. */
		nh = search_ids(v, x, 50, &f, 0, 0, hits);
		for (i = 0; i < nh; i++)
			ck_assert(hits[i].kb_id == 0 && hits[i].id % 3 == 0);
		ck_assert_uint_eq(nh, 10);
		ck_assert_int_eq(ods_vec_commit(v), ODS_OK);
	}
	ods_vec_close(v);
	free(x);
}
END_TEST

START_TEST(test_score_threshold_keeps_scores_at_or_above_it)
{
	size_t			 n = 1000, d = 24, i, nh, all;
	float			*x = tu_clustered(n, d, 10, 1.0, 5, 6);
	struct ods_vec		*v = writer((uint32_t)d, ODS_VEC_COSINE, 0);
	struct ods_vec_hit	 hits[200];

	add_rows(v, 1, 0, x, n, d);
	all = search_ids(v, x, 200, NULL, ODS_VEC_EXACT, 0, hits);
	ck_assert_uint_eq(all, 200);
	for (i = 1; i < all; i++)
		ck_assert(hits[i - 1].score >= hits[i].score);
	ck_assert_float_eq_tol(hits[0].score, 1.0f, 1e-5f);
	nh = search_ids(v, x, 200, NULL, ODS_VEC_EXACT | ODS_VEC_THRESHOLD,
	    hits[99].score, hits);
	ck_assert_uint_ge(nh, 100);
	ck_assert_uint_lt(nh, 200);
	for (i = 0; i < nh; i++) {
		ck_assert(hits[i].score >= hits[nh - 1].score);
		ck_assert(hits[i].score >= 0 && hits[i].score <= 1);
	}
	nh = search_ids(v, x, 10, NULL, ODS_VEC_THRESHOLD, 1.01f, hits);
	ck_assert_uint_eq(nh, 0);
	ods_vec_close(v);
	free(x);
}
END_TEST

static int
contains(const struct ods_vec_hit *h, size_t n, int64_t id)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (h[i].id == id)
			return 1;
	return 0;
}

START_TEST(test_deleted_items_are_never_returned)
{
	size_t			 n = 4000, d = 16, i, nh, nd;
	float			*x = tu_clustered(n, d, 40, 1.0, 11, 12);
	struct ods_vec		*v = writer((uint32_t)d, ODS_VEC_COSINE, 1500);
	struct ods_vec		*r;
	struct ods_vec_filter	 f;
	struct ods_vec_hit	 hits[100];
	struct ods_vec_stats	 st;
	int64_t			 doc = 250;

	add_rows(v, 1, 0, x, 2000, d);
	ck_assert_int_eq(ods_vec_commit(v), ODS_OK);	/* seals: >= 1500 */
	add_rows(v, 2, 2000, x + 2000 * d, 1000, d);
	ck_assert_int_eq(ods_vec_commit(v), ODS_OK);	/* flat */
	add_rows(v, 3, 3000, x + 3000 * d, 1000, d);	/* growing */
	for (i = 0; i < n; i += 7) {
		ck_assert_int_eq(ods_vec_delete(v, 10 + i, (int64_t)i, &nd),
		    ODS_OK);
		ck_assert_uint_eq(nd, 1);
	}
	memset(&f, 0, sizeof(f));
	f.doc_ids = &doc;
	f.ndoc_ids = 1;
	ck_assert_int_eq(ods_vec_delete_where(v, 10000, &f, &nd), ODS_OK);
	ck_assert_uint_eq(nd, 9);	/* 2500..2509 less 2506 = 7 * 358 */
	ck_assert_int_eq(ods_vec_delete(v, 10001, 14, &nd), ODS_OK);
	ck_assert_uint_eq(nd, 0);	/* already gone */
	ck_assert_int_eq(ods_vec_commit(v), ODS_OK);
	ck_assert_int_eq(ods_vec_open_reader(dir, &r), ODS_OK);
	for (i = 0; i < n; i += 7 * 13) {
		nh = search_ids(v, x + i * d, 100, NULL, 0, 0, hits);
		ck_assert(!contains(hits, nh, (int64_t)i));
		nh = search_ids(r, x + i * d, 100, NULL, ODS_VEC_EXACT, 0, hits);
		ck_assert(!contains(hits, nh, (int64_t)i));
		nh = search_ids(r, x + (i + 1) * d, 1, NULL, 0, 0, hits);
		ck_assert_int_eq(hits[0].id, (int64_t)i + 1);
	}
	nh = search_ids(r, x + 2505 * d, 100, NULL, 0, 0, hits);
	for (i = 0; i < nh; i++)
		ck_assert_int_ne(hits[i].doc_id, 250);
	ods_vec_stats(r, &st);
	ck_assert_uint_eq(st.live, n - (n + 6) / 7 - 9);
	ck_assert_int_eq(ods_vec_compact(v), ODS_OK);
	ods_vec_stats(v, &st);
	ck_assert_uint_eq(st.dead, 0);
	ck_assert_uint_eq(st.segments_hnsw, 1);
	ck_assert_uint_eq(st.live, n - (n + 6) / 7 - 9);
	nh = search_ids(v, x + 14 * d, 100, NULL, 0, 0, hits);
	ck_assert(!contains(hits, nh, 14));
	ods_vec_close(r);
	ods_vec_close(v);
	free(x);
}
END_TEST

struct mthread {
	struct ods_vec	*v;
	int		 all, merged;
	enum ods_err	 er;
};

static void *
merge_main(void *arg)
{
	struct mthread	*t = arg;

	t->er = ods_vec_merge(t->v, t->all, &t->merged);
	return NULL;
}

/* Starts a merge of everything in v on *th; returns once it builds. */
static void
merge_start(struct ods_vec *v, struct mthread *t, pthread_t *th)
{
	size_t	i;

	t->v = v;
	t->all = 1;
	t->merged = 0;
	ck_assert_int_eq(pthread_create(th, NULL, merge_main, t), 0);
	for (i = 0; i < 2000 && !__atomic_load_n(&v->merging,
	    __ATOMIC_ACQUIRE); i++)
		usleep(1000);
	ck_assert(__atomic_load_n(&v->merging, __ATOMIC_ACQUIRE));
}

/*
 * A merge builds its graph while changes go on: items deleted or replaced
 * meanwhile stay dead in the merged segment, items added meanwhile stay
 * where they are, and the result is what a reader opening the directory
 * afresh sees too.
 */
START_TEST(test_merge_beside_changes_keeps_every_change)
{
	size_t			 n = 12000, d = 16, i, nh, live;
	float			*x = tu_clustered(n + 2000, d, 60, 1.0, 21, 22);
	struct ods_vec		*v = writer((uint32_t)d, ODS_VEC_COSINE, 100000);
	struct ods_vec		*r;
	struct ods_vec_stats	 st;
	struct ods_vec_hit	 hits[20];
	struct mthread		 t;
	pthread_t		 th;
	uint64_t		 seq = 1;
	int			 merged;

	/* Four flat segments, some tombstones. */
	for (i = 0; i < 4; i++) {
		add_rows(v, seq++, (int64_t)(i * n / 4), x + i * n / 4 * d,
		    n / 4, d);
		ck_assert_int_eq(ods_vec_commit(v), ODS_OK);
	}
	for (i = 0; i < n; i += 10)
		ck_assert_int_eq(ods_vec_delete(v, seq++, (int64_t)i, NULL),
		    ODS_OK);
	ck_assert_int_eq(ods_vec_commit(v), ODS_OK);
	ods_vec_stats(v, &st);
	ck_assert_uint_eq(st.segments_flat, 4);
	merge_start(v, &t, &th);
	/* While it builds: deletes, replacements, additions, commits. */
	for (i = 5; i < n; i += 10)
		ck_assert_int_eq(ods_vec_delete(v, seq++, (int64_t)i, NULL),
		    ODS_OK);
	ck_assert_int_eq(ods_vec_commit(v), ODS_OK);
	add_rows(v, seq++, (int64_t)n, x + n * d, 2000, d);
	ck_assert_int_eq(ods_vec_commit(v), ODS_OK);
	/* id 3 gets id 3001's vector */
	add_rows(v, seq++, 3, x + 3001 * d, 1, d);
	ck_assert_int_eq(ods_vec_seal(v), ODS_OK);	/* waits: a commit */
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_int_eq(t.er, ODS_OK);
	ck_assert_int_eq(t.merged, 1);
	live = n - n / 10 - n / 10 + 2000;
	ods_vec_stats(v, &st);
	ck_assert_uint_eq(st.live, live);
	ck_assert_uint_ge(st.segments_hnsw, 1);
	/* A second merge takes everything into one graph. */
	ck_assert_int_eq(ods_vec_merge(v, 1, &merged), ODS_OK);
	ck_assert_int_eq(merged, 1);
	ck_assert_int_eq(ods_vec_open_reader(dir, &r), ODS_OK);
	ods_vec_stats(r, &st);
	ck_assert_uint_eq(st.live, live);
	ck_assert_uint_eq(st.dead, 0);
	ck_assert_uint_eq(st.segments_hnsw, 1);
	ck_assert_uint_eq(st.segments_flat, 0);
	for (i = 0; i < n; i += 5) {
		nh = search_ids(r, x + i * d, 20, NULL, ODS_VEC_EXACT, 0, hits);
		ck_assert(!contains(hits, nh, (int64_t)i));
		nh = search_ids(v, x + (i + 1) * d, 1, NULL, ODS_VEC_EXACT, 0,
		    hits);
		ck_assert_int_eq(hits[0].id, (int64_t)i + 1);
	}
	for (i = n; i < n + 2000; i += 97) {
		nh = search_ids(r, x + i * d, 1, NULL, ODS_VEC_EXACT, 0, hits);
		ck_assert_int_eq(hits[0].id, (int64_t)i);
	}
	/* id 3 is the replacement only: 3001's vector finds 3001 and 3. */
	nh = search_ids(r, x + 3001 * d, 2, NULL, ODS_VEC_EXACT, 0, hits);
	ck_assert(contains(hits, nh, 3) && contains(hits, nh, 3001));
	/* Nothing merged twice: a merge of one clean graph is a no-op. */
	ck_assert_int_eq(ods_vec_merge(v, 1, &merged), ODS_OK);
	ck_assert_int_eq(merged, 0);
	ods_vec_close(r);
	ods_vec_close(v);
	free(x);
}
END_TEST

/* A cancelled merge publishes nothing and later ones return at once. */
START_TEST(test_cancelled_merge_publishes_nothing)
{
	size_t			 n = 16000, d = 16, i;
	float			*x = tu_clustered(n, d, 60, 1.0, 31, 32);
	struct ods_vec		*v = writer((uint32_t)d, ODS_VEC_COSINE, 100000);
	struct ods_vec_stats	 st;
	struct ods_vec_hit	 hits[1];
	struct mthread		 t;
	pthread_t		 th;
	int			 merged = 1;

	for (i = 0; i < 2; i++) {
		add_rows(v, i + 1, (int64_t)(i * n / 2), x + i * n / 2 * d,
		    n / 2, d);
		ck_assert_int_eq(ods_vec_commit(v), ODS_OK);
	}
	merge_start(v, &t, &th);
	ods_vec_merge_cancel(v);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_int_eq(t.er, ODS_EUNAVAIL);
	ck_assert_int_eq(t.merged, 0);
	ods_vec_stats(v, &st);
	ck_assert_uint_eq(st.segments_flat, 2);
	ck_assert_uint_eq(st.segments_hnsw, 0);
	ck_assert_uint_eq(st.live, n);
	ck_assert_int_eq(ods_vec_merge(v, 1, &merged), ODS_EUNAVAIL);
	ck_assert_int_eq(merged, 0);
	/* The handle works on: changes and searches. */
	add_rows(v, 3, (int64_t)n, x, 1, d);
	ck_assert_int_eq(ods_vec_commit(v), ODS_OK);
	ck_assert_uint_eq(search_ids(v, x + 5 * d, 1, NULL, 0, 0, hits), 1);
	ck_assert_int_eq(hits[0].id, 5);
	ods_vec_close(v);
	free(x);
}
END_TEST

START_TEST(test_add_with_existing_id_replaces_the_item)
{
	float			 a[8] = { 1, 0, 0, 0, 0, 0, 0, 0 };
	float			 b[8] = { 0, 1, 0, 0, 0, 0, 0, 0 };
	struct ods_vec		*v = writer(8, ODS_VEC_COSINE, 0);
	struct ods_vec_item	 it = { 42, 1, 1, a };
	struct ods_vec_hit	 hits[4];
	struct ods_vec_stats	 st;
	size_t			 nh;

	ck_assert_int_eq(ods_vec_add(v, 1, &it, 1), ODS_OK);
	ck_assert_int_eq(ods_vec_seal(v), ODS_OK);
	it.vec = b;
	ck_assert_int_eq(ods_vec_add(v, 2, &it, 1), ODS_OK);
	nh = search_ids(v, a, 4, NULL, 0, 0, hits);
	ck_assert_uint_eq(nh, 1);
	ck_assert_float_eq_tol(hits[0].score, 0.0f, 1e-6f);	/* is b now */
	ods_vec_stats(v, &st);
	ck_assert_uint_eq(st.live, 1);
	ck_assert_uint_eq(st.dead, 1);
	ods_vec_close(v);
}
END_TEST

START_TEST(test_high_water_seq_persists_across_reopen)
{
	float			 a[4] = { 1, 2, 3, 4 };
	struct ods_vec		*v = writer(4, ODS_VEC_IP, 0), *r;
	struct ods_vec_item	 it = { 1, 1, 1, a };
	struct ods_vec_stats	 st;

	ck_assert_int_eq(ods_vec_add(v, 100, &it, 1), ODS_OK);
	ck_assert_int_eq(ods_vec_commit(v), ODS_OK);
	ck_assert_int_eq(ods_vec_delete(v, 250, 77, NULL), ODS_OK);
	ck_assert_uint_eq(ods_vec_seq(v), 250);
	ods_vec_stats(v, &st);
	ck_assert_uint_eq(st.seq_committed, 100);
	ods_vec_close(v);	/* the delete was not committed */
	ck_assert_int_eq(ods_vec_open_writer(dir, NULL, &v), ODS_OK);
	ck_assert_uint_eq(ods_vec_seq(v), 100);
	ck_assert_int_eq(ods_vec_add(v, 100, &it, 1), ODS_EINVAL);
	ck_assert_int_eq(ods_vec_delete(v, 101, 77, NULL), ODS_OK);
	ck_assert_int_eq(ods_vec_commit(v), ODS_OK);
	ck_assert_int_eq(ods_vec_open_reader(dir, &r), ODS_OK);
	ck_assert_uint_eq(ods_vec_seq(r), 101);
	ods_vec_close(r);
	ods_vec_close(v);
}
END_TEST

START_TEST(test_reader_switches_to_new_generation_on_refresh)
{
	float			 a[4] = { 1, 0, 0, 0 };
	struct ods_vec		*v = writer(4, ODS_VEC_COSINE, 0), *r;
	struct ods_vec_item	 it = { 1, 1, 1, a };
	struct ods_vec_hit	 hits[4];
	int			 changed;

	ck_assert_int_eq(ods_vec_open_reader(dir, &r), ODS_OK);
	ck_assert_uint_eq(search_ids(r, a, 4, NULL, 0, 0, hits), 0);
	ck_assert_int_eq(ods_vec_add(v, 1, &it, 1), ODS_OK);
	ck_assert_int_eq(ods_vec_refresh(r, &changed), ODS_OK);
	ck_assert_int_eq(changed, 0);	/* not committed yet */
	ck_assert_int_eq(ods_vec_commit(v), ODS_OK);
	ck_assert_int_eq(ods_vec_refresh(r, &changed), ODS_OK);
	ck_assert_int_eq(changed, 1);
	ck_assert_uint_eq(search_ids(r, a, 4, NULL, 0, 0, hits), 1);
	ck_assert_int_eq(ods_vec_delete(v, 2, 1, NULL), ODS_OK);
	ck_assert_int_eq(ods_vec_seal(v), ODS_OK);
	ck_assert_int_eq(ods_vec_refresh(r, &changed), ODS_OK);
	ck_assert_int_eq(changed, 1);
	ck_assert_uint_eq(search_ids(r, a, 4, NULL, 0, 0, hits), 0);
	ods_vec_close(r);
	ods_vec_close(v);
}
END_TEST

/*
 * Concurrency. The writer adds batches of BATCH items (ids seq*BATCH..),
 * with vectors tu_vec_for(id), and commits each one, so every generation
 * holds exactly BATCH * seq items. A reader checks that invariant and
 * that an item it can see is found by its own vector.
 */
#define CDIM	16
#define BATCH	40

static void
add_batch(struct ods_vec *v, uint64_t seq)
{
	struct ods_vec_item	it[BATCH];
	static __thread float	vecs[BATCH][CDIM];
	size_t			i;

	for (i = 0; i < BATCH; i++) {
		it[i].id = (int64_t)((seq - 1) * BATCH + i);
		it[i].doc_id = it[i].id / 4;
		it[i].kb_id = 1;
		tu_vec_for(it[i].id, vecs[i], CDIM);
		it[i].vec = vecs[i];
	}
	ck_assert_int_eq(ods_vec_add(v, seq, it, BATCH), ODS_OK);
}

/* 0 when the handle's generation is whole; -1 otherwise. */
static int
reader_check(struct ods_vec *r, uint64_t *rng)
{
	struct ods_vec_stats	st;
	struct ods_vec_query	qq;
	struct ods_vec_hit	hits[3];
	float			q[CDIM];
	size_t			nh;
	int64_t			id;

	ods_vec_stats(r, &st);
	if (st.live != BATCH * st.seq_committed)
		return -1;
	if (st.live == 0)
		return 0;
	id = (int64_t)(tu_rand(rng) % st.live);
	tu_vec_for(id, q, CDIM);
	memset(&qq, 0, sizeof(qq));
	qq.vec = q;
	qq.k = 3;
	qq.flags = (tu_rand(rng) & 1) ? ODS_VEC_EXACT : 0;
	if (ods_vec_search(r, &qq, hits, &nh) != ODS_OK || nh == 0)
		return -1;
	return hits[0].id == id && hits[0].score > 0.999f ? 0 : -1;
}

struct rthread {
	struct ods_vec	*r;
	volatile int	*stop;
	int		 bad, checks;
	uint64_t	 rng;
};

static void *
reader_main(void *arg)
{
	struct rthread	*t = arg;

	while (!*t->stop) {
		if (ods_vec_refresh(t->r, NULL) != ODS_OK ||
		    reader_check(t->r, &t->rng) != 0)
			t->bad++;
		t->checks++;
	}
	return NULL;
}

START_TEST(test_reader_threads_never_see_torn_generations)
{
	struct ods_vec_params	 p;
	struct ods_vec		*v, *r;
	struct rthread		 t[3];
	pthread_t		 th[3];
	volatile int		 stop = 0;
	uint64_t		 seq;
	size_t			 i;

	ods_vec_params_init(&p, CDIM, ODS_VEC_COSINE);
	p.seal_threshold = 400;
	ck_assert_int_eq(ods_vec_open_writer(dir, &p, &v), ODS_OK);
	ck_assert_int_eq(ods_vec_open_reader(dir, &r), ODS_OK);
	for (i = 0; i < 3; i++) {
		t[i].r = r;
		t[i].stop = &stop;
		t[i].bad = t[i].checks = 0;
		t[i].rng = i + 1;
		ck_assert_int_eq(pthread_create(&th[i], NULL, reader_main,
		    &t[i]), 0);
	}
	for (seq = 1; seq <= 150; seq++) {
		add_batch(v, seq);
		ck_assert_int_eq(ods_vec_commit(v), ODS_OK);
		if (seq % 50 == 0)
			ck_assert_int_eq(ods_vec_compact(v), ODS_OK);
	}
	stop = 1;
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
		ck_assert_int_eq(t[i].bad, 0);
		ck_assert_int_gt(t[i].checks, 0);
	}
	ods_vec_close(r);
	ods_vec_close(v);
}
END_TEST

static void
forked_reader(const char *d, double secs)
{
	struct ods_vec	*r;
	struct timespec	 t0, t1;
	uint64_t	 rng = (uint64_t)getpid();
	int		 n = 0;

	if (ods_vec_open_reader(d, &r) != ODS_OK)
		_exit(2);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		if (ods_vec_refresh(r, NULL) != ODS_OK ||
		    reader_check(r, &rng) != 0)
			_exit(1);
		n++;
		clock_gettime(CLOCK_MONOTONIC, &t1);
	} while (t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9 <
	    secs);
	ods_vec_close(r);
	_exit(n > 0 ? 0 : 3);
}

START_TEST(test_forked_readers_never_see_torn_generations)
{
	struct ods_vec	*v = writer(CDIM, ODS_VEC_COSINE, 300);
	pid_t		 pid[3];
	uint64_t	 seq;
	int		 i, st;

	add_batch(v, 1);
	ck_assert_int_eq(ods_vec_commit(v), ODS_OK);
	for (i = 0; i < 3; i++) {
		pid[i] = fork();
		ck_assert_int_ne(pid[i], -1);
		if (pid[i] == 0)
			forked_reader(dir, 1.5);
	}
	for (seq = 2; seq <= 200; seq++) {
		add_batch(v, seq);
		ck_assert_int_eq(ods_vec_commit(v), ODS_OK);
		if (seq % 60 == 0)
			ck_assert_int_eq(ods_vec_compact(v), ODS_OK);
	}
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(waitpid(pid[i], &st, 0), pid[i]);
		ck_assert(WIFEXITED(st));
		ck_assert_int_eq(WEXITSTATUS(st), 0);
	}
	ods_vec_close(v);
}
END_TEST

/* A writer that never stops: batches, commits, now and then a seal. */
static void
endless_writer(const char *d)
{
	struct ods_vec_params	 p;
	struct ods_vec		*v;
	uint64_t		 seq;

	ods_vec_params_init(&p, CDIM, ODS_VEC_COSINE);
	p.seal_threshold = 200;
	p.ef_construction = 40;
	if (ods_vec_open_writer(d, &p, &v) != ODS_OK)
		_exit(2);
	for (seq = ods_vec_seq(v) + 1; ; seq++) {
		add_batch(v, seq);
		if (ods_vec_commit(v) != ODS_OK)
			_exit(3);
		if (seq % 17 == 0 && ods_vec_compact(v) != ODS_OK)
			_exit(4);
	}
}

START_TEST(test_kill9_of_writer_leaves_old_or_new_generation)
{
	struct ods_vec_stats	 st;
	struct ods_vec		*r;
	uint64_t		 rng = 99, last = 0;
	pid_t			 pid;
	int			 i, status, j;

	for (i = 0; i < 25; i++) {
		pid = fork();
		ck_assert_int_ne(pid, -1);
		if (pid == 0)
			endless_writer(dir);
		(void)usleep((useconds_t)(5000 + tu_rand(&rng) % 40000));
		ck_assert_int_eq(kill(pid, SIGKILL), 0);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert(WIFSIGNALED(status));
		ck_assert_int_eq(ods_vec_open_reader(dir, &r), ODS_OK);
		ods_vec_stats(r, &st);
		ck_assert_uint_ge(st.seq_committed, last);
		last = st.seq_committed;
		for (j = 0; j < 5; j++)
			ck_assert_int_eq(reader_check(r, &rng), 0);
		ods_vec_close(r);
	}
	ck_assert_uint_gt(last, 0);
}
END_TEST

/* Limits. */

START_TEST(test_search_of_empty_collection_finds_nothing)
{
	float			 q[3] = { 1, 2, 3 };
	struct ods_vec		*v = writer(3, ODS_VEC_L2, 0);
	struct ods_vec_hit	 h[1];

	ck_assert_uint_eq(search_ids(v, q, 1, NULL, 0, 0, h), 0);
	ck_assert_int_eq(ods_vec_seal(v), ODS_OK);
	ck_assert_uint_eq(search_ids(v, q, 1, NULL, 0, 0, h), 0);
	ods_vec_close(v);
}
END_TEST

START_TEST(test_k_and_ef_caps_are_enforced)
{
	float			 q[2] = { 1, 0 };
	struct ods_vec		*v = writer(2, ODS_VEC_COSINE, 0);
	struct ods_vec_query	 qq;
	struct ods_vec_hit	*h = calloc(ODS_VEC_MAX_K + 1, sizeof(*h));
	struct ods_vec_filter	 f;
	size_t			 nh;

	memset(&qq, 0, sizeof(qq));
	qq.vec = q;
	qq.k = ODS_VEC_MAX_K;
	ck_assert_int_eq(ods_vec_search(v, &qq, h, &nh), ODS_OK);
	qq.k = ODS_VEC_MAX_K + 1;
	ck_assert_int_eq(ods_vec_search(v, &qq, h, &nh), ODS_ETOOBIG);
	qq.k = 0;
	ck_assert_int_eq(ods_vec_search(v, &qq, h, &nh), ODS_EINVAL);
	qq.k = 1;
	qq.ef = ODS_VEC_MAX_EF + 1;
	ck_assert_int_eq(ods_vec_search(v, &qq, h, &nh), ODS_ETOOBIG);
	qq.ef = 0;
	memset(&f, 0, sizeof(f));
	f.doc_ids = (const int64_t *)h;
	f.ndoc_ids = 65537;
	qq.filter = &f;
	ck_assert_int_eq(ods_vec_search(v, &qq, h, &nh), ODS_ETOOBIG);
	ck_assert_int_eq(ods_vec_add(v, 1, NULL, ODS_VEC_MAX_BATCH + 1),
	    ODS_ETOOBIG);
	ods_vec_close(v);
	free(h);
}
END_TEST

START_TEST(test_odd_dimensions_and_a_single_item_work)
{
	static const uint32_t	 dims[] = { 1, 7, 17, 100, 129, 1000 };
	struct ods_vec		*v;
	struct ods_vec_hit	 h[2];
	float			*x;
	size_t			 i, n = 50;

	for (i = 0; i < ODS_NELEM(dims); i++) {
		x = tu_clustered(n, dims[i], 5, 1.0, i, i + 100);
		v = writer(dims[i], ODS_VEC_IP, 0);
		add_rows(v, 1, 0, x, 1, dims[i]);
		ck_assert_int_eq(ods_vec_seal(v), ODS_OK);
		add_rows(v, 2, 1, x + dims[i], n - 1, dims[i]);
		ck_assert_int_eq(ods_vec_seal(v), ODS_OK);
		ck_assert_uint_eq(search_ids(v, x + 30 * dims[i], 2, NULL, 0, 0,
		    h), 2);
		if (dims[i] > 1)
			ck_assert_int_eq(h[0].id, 30);
		ods_vec_close(v);
		tu_rmdir(dir);
		ck_assert_int_eq(mkdir(dir, 0700), 0);
		free(x);
	}
}
END_TEST

START_TEST(test_bad_params_are_refused)
{
	struct ods_vec_params	 p;
	struct ods_vec		*v;

	ods_vec_params_init(&p, 0, ODS_VEC_COSINE);
	ck_assert_int_eq(ods_vec_open_writer(dir, &p, &v), ODS_EINVAL);
	ods_vec_params_init(&p, ODS_VEC_MAX_DIM + 1, ODS_VEC_COSINE);
	ck_assert_int_eq(ods_vec_open_writer(dir, &p, &v), ODS_EINVAL);
	ods_vec_params_init(&p, 8, (enum ods_vec_metric)9);
	ck_assert_int_eq(ods_vec_open_writer(dir, &p, &v), ODS_EINVAL);
	ods_vec_params_init(&p, 8, ODS_VEC_COSINE);
	p.m = 1;
	ck_assert_int_eq(ods_vec_open_writer(dir, &p, &v), ODS_EINVAL);
	ck_assert_ptr_null(v);
}
END_TEST

/* Errors. */

START_TEST(test_second_writer_fails_with_conflict)
{
	struct ods_vec	*v = writer(4, ODS_VEC_COSINE, 0), *w;
	struct ods_vec_params p;
	pid_t		 pid;
	int		 st;

	ck_assert_int_eq(ods_vec_open_writer(dir, NULL, &w), ODS_ECONFLICT);
	pid = fork();
	if (pid == 0)
		_exit(ods_vec_open_writer(dir, NULL, &w) == ODS_ECONFLICT ?
		    0 : 1);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	ods_vec_close(v);
	ods_vec_params_init(&p, 5, ODS_VEC_COSINE);
	ck_assert_int_eq(ods_vec_open_writer(dir, &p, &w), ODS_ECONFLICT);
	ck_assert_int_eq(ods_vec_open_writer(dir, NULL, &w), ODS_OK);
	ods_vec_close(w);
}
END_TEST

START_TEST(test_bad_items_and_queries_are_refused)
{
	float			 z[4] = { 0, 0, 0, 0 }, nanv[4] = { 1, NAN, 0, 0 };
	float			 ok[4] = { 1, 0, 0, 0 };
	struct ods_vec		*v = writer(4, ODS_VEC_COSINE, 0), *r;
	struct ods_vec_item	 it = { 1, 1, 1, z };
	struct ods_vec_query	 qq;
	struct ods_vec_hit	 h[1];
	struct ods_vec_filter	 f;
	size_t			 nh;

	ck_assert_int_eq(ods_vec_add(v, 1, &it, 1), ODS_EINVAL);
	it.vec = nanv;
	ck_assert_int_eq(ods_vec_add(v, 1, &it, 1), ODS_EINVAL);
	it.vec = NULL;
	ck_assert_int_eq(ods_vec_add(v, 1, &it, 1), ODS_EINVAL);
	it.vec = ok;
	ck_assert_int_eq(ods_vec_add(v, 5, &it, 1), ODS_OK);
	ck_assert_int_eq(ods_vec_add(v, 5, &it, 1), ODS_EINVAL);
	ck_assert_int_eq(ods_vec_add(v, 4, &it, 1), ODS_EINVAL);
	memset(&qq, 0, sizeof(qq));
	qq.k = 1;
	qq.vec = z;
	ck_assert_int_eq(ods_vec_search(v, &qq, h, &nh), ODS_EINVAL);
	qq.vec = nanv;
	ck_assert_int_eq(ods_vec_search(v, &qq, h, &nh), ODS_EINVAL);
	qq.vec = NULL;
	ck_assert_int_eq(ods_vec_search(v, &qq, h, &nh), ODS_EINVAL);
	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(ods_vec_delete_where(v, 9, &f, NULL), ODS_EINVAL);
	ck_assert_int_eq(ods_vec_commit(v), ODS_OK);
	ck_assert_int_eq(ods_vec_open_reader(dir, &r), ODS_OK);
	ck_assert_int_eq(ods_vec_add(r, 10, &it, 1), ODS_EINVAL);
	ck_assert_int_eq(ods_vec_delete(r, 10, 1, NULL), ODS_EINVAL);
	ck_assert_int_eq(ods_vec_commit(r), ODS_EINVAL);
	ods_vec_close(r);
	ods_vec_close(v);
}
END_TEST

START_TEST(test_missing_collection_is_not_found)
{
	struct ods_vec	*v;
	char		 path[4200];

	snprintf(path, sizeof(path), "%s/nope", dir);
	ck_assert_int_eq(ods_vec_open_reader(path, &v), ODS_ENOTFOUND);
	ck_assert_int_eq(ods_vec_open_writer(path, NULL, &v), ODS_ENOTFOUND);
	ck_assert_int_eq(ods_vec_open_reader(dir, &v), ODS_ENOTFOUND);
}
END_TEST

/* The newest (or oldest) file of a kind ("seg-", "MANIFEST-") in dir. */
static void
pick_file(const char *prefix, int oldest, char *out, size_t len)
{
	struct dirent	*e;
	DIR		*d = opendir(dir);
	char		 best[256] = "";
	int		 c;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, prefix, strlen(prefix)) != 0 ||
		    strstr(e->d_name, ".tmp") != NULL)
			continue;
		c = strcmp(e->d_name, best);
		if (best[0] == '\0' || (oldest ? c < 0 : c > 0))
			snprintf(best, sizeof(best), "%s", e->d_name);
	}
	closedir(d);
	ck_assert(best[0] != '\0');
	snprintf(out, len, "%s/%s", dir, best);
}

static void
newest_file(const char *prefix, char *out, size_t len)
{
	pick_file(prefix, 0, out, len);
}

static void
flip_byte(const char *path, off_t off)
{
	unsigned char	c;
	int		fd = open(path, O_RDWR);

	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(pread(fd, &c, 1, off), 1);
	c ^= 0x40;
	ck_assert_int_eq(pwrite(fd, &c, 1, off), 1);
	close(fd);
}

static off_t
file_size(const char *path)
{
	struct stat	st;

	ck_assert_int_eq(stat(path, &st), 0);
	return st.st_size;
}

/* Two generations: gen A holds ids 0..99, gen B adds 100..199. */
static struct ods_vec *
two_generations(float **xp)
{
	float		*x = tu_clustered(200, 8, 4, 1.0, 21, 22);
	struct ods_vec	*v = writer(8, ODS_VEC_COSINE, 0);

	add_rows(v, 1, 0, x, 100, 8);
	ck_assert_int_eq(ods_vec_seal(v), ODS_OK);
	add_rows(v, 2, 100, x + 100 * 8, 100, 8);
	ck_assert_int_eq(ods_vec_seal(v), ODS_OK);
	*xp = x;
	return v;
}

START_TEST(test_corrupt_segment_is_refused_and_old_generation_used)
{
	struct ods_vec		*v, *r, *r2;
	struct ods_vec_stats	 st;
	struct ods_vec_hit	 h[5];
	char			 seg[4400];
	float			*x;
	int			 changed;

	x = tu_clustered(200, 8, 4, 1.0, 21, 22);
	v = writer(8, ODS_VEC_COSINE, 0);
	add_rows(v, 1, 0, x, 100, 8);
	ck_assert_int_eq(ods_vec_seal(v), ODS_OK);
	ck_assert_int_eq(ods_vec_open_reader(dir, &r), ODS_OK);
	add_rows(v, 2, 100, x + 100 * 8, 100, 8);
	ck_assert_int_eq(ods_vec_seal(v), ODS_OK);
	newest_file("seg-", seg, sizeof(seg));
	flip_byte(seg, file_size(seg) / 2);
	/* A running reader keeps its generation and reports the damage. */
	ck_assert_int_eq(ods_vec_refresh(r, &changed), ODS_ECORRUPT);
	ck_assert_int_eq(changed, 0);
	ck_assert_uint_eq(search_ids(r, x, 5, NULL, 0, 0, h), 5);
	ods_vec_stats(r, &st);
	ck_assert_uint_eq(st.live, 100);
	/* A new reader falls back to the previous generation. */
	ck_assert_int_eq(ods_vec_open_reader(dir, &r2), ODS_OK);
	ods_vec_stats(r2, &st);
	ck_assert_uint_eq(st.live, 100);
	ods_vec_close(r2);
	ods_vec_close(r);
	ods_vec_close(v);
	free(x);
}
END_TEST

START_TEST(test_truncated_files_are_refused)
{
	struct ods_vec		*v, *r;
	struct ods_vec_stats	 st;
	char			 seg[4400], man[4400];
	float			*x;

	v = two_generations(&x);
	ods_vec_close(v);
	newest_file("MANIFEST-", man, sizeof(man));
	ck_assert_int_eq(truncate(man, file_size(man) - 3), 0);
	ck_assert_int_eq(ods_vec_open_reader(dir, &r), ODS_OK);
	ods_vec_stats(r, &st);
	ck_assert_uint_eq(st.live, 100);	/* previous generation */
	ods_vec_close(r);
	newest_file("seg-", seg, sizeof(seg));
	ck_assert_int_eq(truncate(seg, 100), 0);	/* inside the header */
	ck_assert_int_eq(ods_vec_open_reader(dir, &r), ODS_OK);
	ods_vec_close(r);
	/* The older segment truncated too: no valid generation is left. */
	ck_assert_int_eq(unlink(man), 0);
	pick_file("seg-", 1, seg, sizeof(seg));
	ck_assert_int_eq(truncate(seg, file_size(seg) - 64), 0);
	ck_assert_int_eq(ods_vec_open_reader(dir, &r), ODS_ECORRUPT);
	ck_assert_int_eq(ods_vec_open_writer(dir, NULL, &v), ODS_ECORRUPT);
	free(x);
}
END_TEST

START_TEST(test_corrupt_manifest_falls_back_and_writer_moves_past_it)
{
	struct ods_vec		*v, *r;
	struct ods_vec_stats	 st;
	char			 man[4400];
	float			*x;

	v = two_generations(&x);
	ods_vec_close(v);
	newest_file("MANIFEST-", man, sizeof(man));
	flip_byte(man, 20);
	ck_assert_int_eq(ods_vec_open_writer(dir, NULL, &v), ODS_OK);
	ods_vec_stats(v, &st);
	ck_assert_uint_eq(st.live, 100);
	ck_assert_uint_eq(ods_vec_seq(v), 1);
	add_rows(v, 2, 100, x + 100 * 8, 100, 8);	/* replay */
	ck_assert_int_eq(ods_vec_commit(v), ODS_OK);
	ck_assert_int_eq(ods_vec_open_reader(dir, &r), ODS_OK);
	ods_vec_stats(r, &st);
	ck_assert_uint_eq(st.live, 200);
	ods_vec_close(r);
	ods_vec_close(v);
	free(x);
}
END_TEST

START_TEST(test_disk_full_is_an_error_and_keeps_old_generation)
{
	struct ods_vec		*v, *r;
	struct ods_vec_stats	 st;
	long long		 budget;
	float			*x;
	enum ods_err		 er;

	v = two_generations(&x);
	add_rows(v, 3, 200, x, 50, 8);
	/* Fail at every point of the commit: short writes, then ENOSPC. */
	for (budget = 0; budget < 400000; budget += 997) {
		odsi_vfile_test_budget = budget;
		er = ods_vec_seal(v);
		odsi_vfile_test_budget = -1;
		if (er == ODS_OK)
			break;
		ck_assert_int_eq(er, ODS_ENOSPC);
		ck_assert_int_eq(ods_vec_open_reader(dir, &r), ODS_OK);
		ods_vec_stats(r, &st);
		ck_assert_uint_eq(st.live, 200);
		ck_assert_uint_eq(st.seq_committed, 2);
		ods_vec_close(r);
	}
	ck_assert_int_eq(er, ODS_OK);
	ck_assert_int_gt(budget, 0);
	ck_assert_int_eq(ods_vec_open_reader(dir, &r), ODS_OK);
	ods_vec_stats(r, &st);
	ck_assert_uint_eq(st.live, 250);
	ods_vec_close(r);
	ods_vec_close(v);
	free(x);
}
END_TEST

START_TEST(test_file_size_limit_reports_enospc)
{
	struct ods_vec	*v;
	struct rlimit	 rl = { 4096, 4096 };
	float		*x;
	pid_t		 pid;
	int		 st;

	v = two_generations(&x);
	add_rows(v, 3, 200, x, 100, 8);
	pid = fork();
	if (pid == 0) {
		signal(SIGXFSZ, SIG_IGN);
		setrlimit(RLIMIT_FSIZE, &rl);
		_exit(ods_vec_seal(v) == ODS_ENOSPC ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	ods_vec_close(v);
	free(x);
}
END_TEST

static Suite *
vec_suite(void)
{
	Suite	*s = suite_create("ods_vec");
	TCase	*core = tcase_create("core");
	TCase	*limits = tcase_create("limits");
	TCase	*errors = tcase_create("errors");

	tcase_add_checked_fixture(core, setup, teardown);
	tcase_add_checked_fixture(limits, setup, teardown);
	tcase_add_checked_fixture(errors, setup, teardown);
	tcase_set_timeout(core, 60);
	tcase_add_test(core, test_exact_search_equals_brute_force);
	tcase_add_test(core, test_hnsw_recall_at_10_is_at_least_095_at_defaults);
	tcase_add_test(core,
	    test_hnsw_recall_stays_at_least_095_with_many_exact_duplicates);
	tcase_add_test(core, test_hnsw_graph_reaches_every_exact_duplicate);
	tcase_add_test(core, test_filters_keep_only_matching_items);
	tcase_add_test(core, test_merge_beside_changes_keeps_every_change);
	tcase_add_test(core, test_cancelled_merge_publishes_nothing);
	tcase_add_test(core, test_score_threshold_keeps_scores_at_or_above_it);
	tcase_add_test(core, test_deleted_items_are_never_returned);
	tcase_add_test(core, test_add_with_existing_id_replaces_the_item);
	tcase_add_test(core, test_high_water_seq_persists_across_reopen);
	tcase_add_test(core, test_reader_switches_to_new_generation_on_refresh);
	tcase_add_test(core, test_reader_threads_never_see_torn_generations);
	tcase_add_test(core, test_forked_readers_never_see_torn_generations);
	tcase_add_test(core, test_kill9_of_writer_leaves_old_or_new_generation);
	tcase_add_test(limits, test_search_of_empty_collection_finds_nothing);
	tcase_add_test(limits, test_k_and_ef_caps_are_enforced);
	tcase_add_test(limits, test_odd_dimensions_and_a_single_item_work);
	tcase_add_test(limits, test_bad_params_are_refused);
	tcase_add_test(errors, test_second_writer_fails_with_conflict);
	tcase_add_test(errors, test_bad_items_and_queries_are_refused);
	tcase_add_test(errors, test_missing_collection_is_not_found);
	tcase_add_test(errors,
	    test_corrupt_segment_is_refused_and_old_generation_used);
	tcase_add_test(errors, test_truncated_files_are_refused);
	tcase_add_test(errors,
	    test_corrupt_manifest_falls_back_and_writer_moves_past_it);
	tcase_add_test(errors, test_disk_full_is_an_error_and_keeps_old_generation);
	tcase_add_test(errors, test_file_size_limit_reports_enospc);
	suite_add_tcase(s, core);
	suite_add_tcase(s, limits);
	suite_add_tcase(s, errors);
	return s;
}

const struct ods_check ods_check_program = { .suite = vec_suite };
