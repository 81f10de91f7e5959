/* tests/check_ods_fuse.c — reciprocal-rank fusion and MMR. */
#include "config.h"

#include <check.h>
#include <math.h>
#include <string.h>

#include "vec/ods_fuse.h"
#include "vec/ods_kw.h"
#include "vec/ods_vec.h"
#include "ods_check.h"

#define A	101
#define B	102
#define C	103
#define D	104

/* vector: A B C; keyword: B D A */
static const struct ods_fuse_hit vlist[] = {
	{ .id = A, .doc_id = 1, .kb_id = 9, .score = 0.9f },
	{ .id = B, .doc_id = 1, .kb_id = 9, .score = 0.8f },
	{ .id = C, .doc_id = 2, .kb_id = 9, .score = 0.7f },
};
static const struct ods_fuse_hit klist[] = {
	{ .id = B, .doc_id = 1, .kb_id = 9, .score = 0.6f },
	{ .id = D, .doc_id = 3, .kb_id = 9, .score = 0.5f },
	{ .id = A, .doc_id = 1, .kb_id = 9, .score = 0.4f },
};

static void
lists(struct ods_fuse_list *l, float wv, float wk)
{
	l[0].hits = vlist;
	l[0].n = ODS_NELEM(vlist);
	l[0].weight = wv;
	l[1].hits = klist;
	l[1].n = ODS_NELEM(klist);
	l[1].weight = wk;
}

static double
rrf(double w, int rank)
{
	return w / (60.0 + rank);
}

START_TEST(test_known_rankings_fuse_to_known_order_and_scores)
{
	struct ods_fuse_list	l[2];
	struct ods_fuse_result	r[8];
	double			best = rrf(0.7, 1) + rrf(0.3, 1);
	size_t			n;

	lists(l, ODS_FUSE_W_VEC, ODS_FUSE_W_KW);
	ck_assert_int_eq(ods_fuse_rrf(l, 2, NULL, r, 8, &n), ODS_OK);
	ck_assert_uint_eq(n, 4);
	ck_assert_int_eq(r[0].id, A);
	ck_assert_int_eq(r[1].id, B);
	ck_assert_int_eq(r[2].id, C);
	ck_assert_int_eq(r[3].id, D);
	ck_assert_double_eq_tol(r[0].score, (rrf(.7, 1) + rrf(.3, 3)) / best,
	    1e-6);
	ck_assert_double_eq_tol(r[1].score, (rrf(.7, 2) + rrf(.3, 1)) / best,
	    1e-6);
	ck_assert_double_eq_tol(r[2].score, rrf(.7, 3) / best, 1e-6);
	ck_assert_double_eq_tol(r[3].score, rrf(.3, 2) / best, 1e-6);
	ck_assert_uint_eq(r[0].rank[0], 1);
	ck_assert_uint_eq(r[0].rank[1], 3);
	ck_assert_uint_eq(r[2].rank[1], 0);
	ck_assert_float_eq(r[1].src_score[1], 0.6f);
	ck_assert_int_eq(r[3].doc_id, 3);
}
END_TEST

START_TEST(test_first_in_both_lists_scores_exactly_one)
{
	struct ods_fuse_list	l[2];
	struct ods_fuse_result	r[8];
	size_t			n;

	lists(l, 0.7f, 0.3f);
	l[1].hits = vlist;	/* the same order in both */
	ck_assert_int_eq(ods_fuse_rrf(l, 2, NULL, r, 8, &n), ODS_OK);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(r[0].id, A);
	ck_assert(r[0].score == 1.0f);
	/* An empty keyword list still counts in the normalisation. */
	l[1].n = 0;
	ck_assert_int_eq(ods_fuse_rrf(l, 2, NULL, r, 8, &n), ODS_OK);
	ck_assert_double_eq_tol(r[0].score, 0.7, 1e-6);
}
END_TEST

START_TEST(test_weights_decide_which_list_leads)
{
	struct ods_fuse_list	l[2];
	struct ods_fuse_result	r[8];
	size_t			n;

	lists(l, 0.3f, 0.7f);
	ck_assert_int_eq(ods_fuse_rrf(l, 2, NULL, r, 8, &n), ODS_OK);
	ck_assert_int_eq(r[0].id, B);
	ck_assert_int_eq(r[1].id, A);
	ck_assert_int_eq(r[2].id, D);
	ck_assert_int_eq(r[3].id, C);
	/* Weight 0: the list is ignored, and so is its normalisation. */
	lists(l, 1.0f, 0.0f);
	ck_assert_int_eq(ods_fuse_rrf(l, 2, NULL, r, 8, &n), ODS_OK);
	ck_assert_uint_eq(n, 3);
	ck_assert(r[0].score == 1.0f);
	ck_assert_int_eq(r[0].id, A);
	ck_assert_uint_eq(r[0].rank[1], 0);
}
END_TEST

START_TEST(test_depth_threshold_and_cap_limit_the_results)
{
	struct ods_fuse_list	l[2];
	struct ods_fuse_result	r[8];
	struct ods_fuse_params	p;
	size_t			n;
	float			sc;

	lists(l, 0.7f, 0.3f);
	ods_fuse_params_init(&p);
	ck_assert_uint_eq(p.k, 60);
	p.depth = 1;
	ck_assert_int_eq(ods_fuse_rrf(l, 2, &p, r, 8, &n), ODS_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(r[0].id, A);
	ck_assert_int_eq(r[1].id, B);
	p.depth = 50;
	ck_assert_int_eq(ods_fuse_rrf(l, 2, &p, r, 8, &n), ODS_OK);
	sc = r[2].score;
	p.threshold = sc;
	ck_assert_int_eq(ods_fuse_rrf(l, 2, &p, r, 8, &n), ODS_OK);
	ck_assert_uint_eq(n, 3);
	p.threshold = nextafterf(sc, 2);
	ck_assert_int_eq(ods_fuse_rrf(l, 2, &p, r, 8, &n), ODS_OK);
	ck_assert_uint_eq(n, 2);
	p.threshold = 0;
	ck_assert_int_eq(ods_fuse_rrf(l, 2, &p, r, 1, &n), ODS_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(r[0].id, A);
}
END_TEST

START_TEST(test_repeated_id_in_a_list_counts_once_at_its_best_rank)
{
	static const struct ods_fuse_hit dup[] = {
		{ .id = C }, { .id = A }, { .id = C }, { .id = C },
	};
	struct ods_fuse_list	l[1] = { { dup, ODS_NELEM(dup), 1.0f } };
	struct ods_fuse_result	r[8];
	size_t			n;

	ck_assert_int_eq(ods_fuse_rrf(l, 1, NULL, r, 8, &n), ODS_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(r[0].id, C);
	ck_assert(r[0].score == 1.0f);
	ck_assert_uint_eq(r[0].rank[0], 1);
}
END_TEST

START_TEST(test_hybrid_takes_vector_and_keyword_hits)
{
	struct ods_vec_hit	vh[3];
	struct ods_kw_hit	kh[3];
	struct ods_fuse_list	l[2];
	struct ods_fuse_result	r[8], g[8];
	size_t			i, n, ng;

	memset(vh, 0, sizeof(vh));
	memset(kh, 0, sizeof(kh));
	for (i = 0; i < 3; i++) {
		vh[i].id = vlist[i].id;
		vh[i].doc_id = vlist[i].doc_id;
		vh[i].kb_id = vlist[i].kb_id;
		vh[i].score = vlist[i].score;
		kh[i].id = klist[i].id;
		kh[i].doc_id = klist[i].doc_id;
		kh[i].kb_id = klist[i].kb_id;
		kh[i].score = klist[i].score;
	}
	ck_assert_int_eq(ods_fuse_hybrid(vh, 3, ODS_FUSE_W_VEC, kh, 3,
	    ODS_FUSE_W_KW, NULL, r, 8, &n), ODS_OK);
	lists(l, ODS_FUSE_W_VEC, ODS_FUSE_W_KW);
	ck_assert_int_eq(ods_fuse_rrf(l, 2, NULL, g, 8, &ng), ODS_OK);
	ck_assert_uint_eq(n, ng);
	ck_assert_mem_eq(r, g, n * sizeof(*r));
	ck_assert_int_eq(ods_fuse_hybrid(NULL, 0, 0.7f, NULL, 0, 0.3f, NULL, r,
	    8, &n), ODS_OK);
	ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(test_mmr_moves_near_duplicates_down)
{
	static const float ea[] = { 1, 0, 0 }, eb[] = { 0.99f, 0.1f, 0 },
	    ec[] = { 0, 1, 0 };
	const float		*v[3] = { ea, eb, ec };
	struct ods_fuse_result	r[3], orig[3];

	memset(orig, 0, sizeof(orig));
	orig[0].id = A;
	orig[0].score = 1.0f;
	orig[1].id = B;
	orig[1].score = 0.95f;
	orig[2].id = C;
	orig[2].score = 0.9f;
	memcpy(r, orig, sizeof(r));
	ck_assert_int_eq(ods_fuse_mmr(r, 3, v, 3, ODS_FUSE_LAMBDA, 3), ODS_OK);
	ck_assert_int_eq(r[0].id, A);
	ck_assert_int_eq(r[1].id, C);
	ck_assert_int_eq(r[2].id, B);
	ck_assert_float_eq(r[2].score, 0.95f);
	/* lambda 1: relevance only, the fused order stays. */
	memcpy(r, orig, sizeof(r));
	ck_assert_int_eq(ods_fuse_mmr(r, 3, v, 3, 1.0f, 3), ODS_OK);
	ck_assert_int_eq(r[1].id, B);
	/* Without vectors nothing is similar: the order stays too. */
	memcpy(r, orig, sizeof(r));
	v[1] = NULL;
	ck_assert_int_eq(ods_fuse_mmr(r, 3, v, 3, 0.5f, 3), ODS_OK);
	ck_assert_int_eq(r[1].id, B);
	/* k = 1: one pick, the rest in their former order. */
	memcpy(r, orig, sizeof(r));
	ck_assert_int_eq(ods_fuse_mmr(r, 3, v, 3, 0.5f, 1), ODS_OK);
	ck_assert_int_eq(r[0].id, A);
	ck_assert_int_eq(r[1].id, B);
	ck_assert_int_eq(ods_fuse_mmr(r, 3, v, 3, 1.5f, 3), ODS_EINVAL);
	ck_assert_int_eq(ods_fuse_mmr(r, 3, v, 0, 0.5f, 3), ODS_EINVAL);
	ck_assert_int_eq(ods_fuse_mmr(r, 3, NULL, 3, 0.5f, 3), ODS_EINVAL);
	ck_assert_int_eq(ods_fuse_mmr(r, 0, NULL, 0, 0.5f, 3), ODS_OK);
}
END_TEST

START_TEST(test_bad_lists_and_params_are_refused)
{
	struct ods_fuse_list	l[ODS_FUSE_MAX_SRC + 1];
	struct ods_fuse_result	r[8];
	struct ods_fuse_params	p;
	size_t			n;

	memset(l, 0, sizeof(l));
	lists(l, 0.7f, 0.3f);
	ck_assert_int_eq(ods_fuse_rrf(l, 0, NULL, r, 8, &n), ODS_EINVAL);
	ck_assert_int_eq(ods_fuse_rrf(l, ODS_FUSE_MAX_SRC + 1, NULL, r, 8,
	    &n), ODS_EINVAL);
	l[0].weight = -1;
	ck_assert_int_eq(ods_fuse_rrf(l, 2, NULL, r, 8, &n), ODS_EINVAL);
	l[0].weight = INFINITY;
	ck_assert_int_eq(ods_fuse_rrf(l, 2, NULL, r, 8, &n), ODS_EINVAL);
	l[0].weight = 0;
	l[1].weight = 0;
	ck_assert_int_eq(ods_fuse_rrf(l, 2, NULL, r, 8, &n), ODS_EINVAL);
	lists(l, 0.7f, 0.3f);
	l[1].hits = NULL;
	ck_assert_int_eq(ods_fuse_rrf(l, 2, NULL, r, 8, &n), ODS_EINVAL);
	lists(l, 0.7f, 0.3f);
	ods_fuse_params_init(&p);
	p.k = 0;
	ck_assert_int_eq(ods_fuse_rrf(l, 2, &p, r, 8, &n), ODS_EINVAL);
	ods_fuse_params_init(&p);
	p.depth = ODS_FUSE_MAX_DEPTH + 1;
	ck_assert_int_eq(ods_fuse_rrf(l, 2, &p, r, 8, &n), ODS_EINVAL);
	ods_fuse_params_init(&p);
	p.threshold = nanf("");
	ck_assert_int_eq(ods_fuse_rrf(l, 2, &p, r, 8, &n), ODS_EINVAL);
	ck_assert_uint_eq(n, 0);
}
END_TEST

static Suite *
fuse_suite(void)
{
	Suite	*s = suite_create("ods_fuse");
	TCase	*core = tcase_create("core");
	TCase	*limits = tcase_create("limits");
	TCase	*errors = tcase_create("errors");

	tcase_add_test(core,
	    test_known_rankings_fuse_to_known_order_and_scores);
	tcase_add_test(core, test_first_in_both_lists_scores_exactly_one);
	tcase_add_test(core, test_weights_decide_which_list_leads);
	tcase_add_test(core, test_hybrid_takes_vector_and_keyword_hits);
	tcase_add_test(core, test_mmr_moves_near_duplicates_down);
	tcase_add_test(limits, test_depth_threshold_and_cap_limit_the_results);
	tcase_add_test(limits,
	    test_repeated_id_in_a_list_counts_once_at_its_best_rank);
	tcase_add_test(errors, test_bad_lists_and_params_are_refused);
	suite_add_tcase(s, core);
	suite_add_tcase(s, limits);
	suite_add_tcase(s, errors);
	return s;
}

const struct ods_check ods_check_program = { .suite = fuse_suite };
