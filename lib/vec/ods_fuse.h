/*
 * lib/vec/ods_fuse.h — hybrid retrieval: weighted reciprocal-rank fusion
 * of ranked lists (vector and keyword hits) and an optional MMR re-rank
 * for diversity. Pure functions over arrays; no I/O, no global state,
 * thread-safe.
 *
 * RRF: each list is best first; a hit at 1-based rank r of list s adds
 * w_s / (k + r) to its document (same id; the first occurrence in a list
 * counts, later ones are ignored), k = 60, each list contributing its
 * first `depth` hits. The fused score is normalised by the best possible,
 * sum of w_s / (k + 1) over the lists with w_s > 0 (found hits or not),
 * so an id ranked first in every list scores 1.0, first in the vector
 * list only 0.7 with the default weights (vector 0.7, keyword 0.3).
 * Scores lie in (0,1], higher is better; threshold keeps score >= t.
 * Order: score, then the best single rank, then id (deterministic).
 *
 * MMR: picks, one at a time, the candidate maximising
 *	lambda * score - (1 - lambda) * max cos(candidate, picked)
 * using the caller's vectors (cosine; any scale), lambda 0.5 by default:
 * 1 is the RRF order, lower trades relevance for diversity.
 */
#ifndef ODS_FUSE_H
#define ODS_FUSE_H

#include <stddef.h>
#include <stdint.h>

#include "core/ods_err.h"

struct ods_vec_hit;		/* vec/ods_vec.h */
struct ods_kw_hit;		/* vec/ods_kw.h */

#define ODS_FUSE_K		60
#define ODS_FUSE_W_VEC		0.7f
#define ODS_FUSE_W_KW		0.3f
/*
 * With the built-in embedder (ods-hash-embed: lexical, not semantic) the
 * vector list is a weaker copy of BM25's evidence, and the defaults above
 * lose to keyword search alone (tests/bench/rag: 1500 English queries,
 * R@1 0.41 against 0.63; 29 Chinese ones, 0.52 against 0.72). These were
 * the best of a grid there; they keep keyword search's ranking and let the
 * vectors break its ties. The defaults stay for semantic embedders.
 */
#define ODS_FUSE_LEX_K		10
#define ODS_FUSE_LEX_W_VEC	0.1f
#define ODS_FUSE_LEX_W_KW	0.9f
#define ODS_FUSE_DEPTH		50	/* candidates per list by default */
#define ODS_FUSE_LAMBDA		0.5f
#define ODS_FUSE_MAX_SRC	4	/* lists per fusion */
#define ODS_FUSE_MAX_DEPTH	4096	/* candidates per list */

/* One ranked hit; score is the list's own (kept, not used by RRF). */
struct ods_fuse_hit {
	int64_t		 id;
	int64_t		 doc_id;
	int64_t		 kb_id;
	float		 score;
};

/* A ranked list, best first, and its weight (>= 0). Borrowed. */
struct ods_fuse_list {
	const struct ods_fuse_hit	*hits;
	size_t				 n;
	float				 weight;
};

struct ods_fuse_params {
	uint32_t	 k;		/* RRF constant, >= 1 (60) */
	size_t		 depth;		/* hits taken per list (50) */
	float		 threshold;	/* keep score >= threshold (0) */
};

/* The fused result: one per id, best first. */
struct ods_fuse_result {
	int64_t		 id;
	int64_t		 doc_id;
	int64_t		 kb_id;
	float		 score;		/* normalised RRF, (0,1] */
	uint32_t	 rank[ODS_FUSE_MAX_SRC];	/* 1-based, 0: absent */
	float		 src_score[ODS_FUSE_MAX_SRC];	/* list's own score */
};

/* Fills in the defaults (k 60, depth 50, threshold 0). */
void		 ods_fuse_params_init(struct ods_fuse_params *);

/*
 * Fuse nlists lists into out (room for cap results); *nout gets how many,
 * the best cap when there are more. p NULL: defaults. Returns ODS_OK,
 * ODS_EINVAL (no list or more than ODS_FUSE_MAX_SRC, a weight negative
 * or not finite, all weights 0, k = 0, depth 0 or over
 * ODS_FUSE_MAX_DEPTH, threshold NaN, hits NULL with n > 0), ODS_ENOMEM.
 */
enum ods_err	 ods_fuse_rrf(const struct ods_fuse_list *lists,
		    size_t nlists, const struct ods_fuse_params *p,
		    struct ods_fuse_result *out, size_t cap, size_t *nout)
		    ODS_MUSTCHECK;

/*
 * The hybrid case: vector hits (list 0, weight w_vec) and keyword hits
 * (list 1, weight w_kw) as ods_vec_search and ods_kw_search return them.
 * Errors as ods_fuse_rrf.
 */
enum ods_err	 ods_fuse_hybrid(const struct ods_vec_hit *vh, size_t nv,
		    float w_vec, const struct ods_kw_hit *kh, size_t nk,
		    float w_kw, const struct ods_fuse_params *p,
		    struct ods_fuse_result *out, size_t cap, size_t *nout)
		    ODS_MUSTCHECK;

/*
 * MMR: reorder r[0..n) in place so that its first min(k, n) entries are
 * the MMR picks, in pick order (the rest follow in their former order).
 * vecs[i] is the vector (dim floats) of r[i] as passed in, or NULL
 * (similarity 0 to everything). Scores are left as they were. Returns ODS_OK, ODS_EINVAL
 * (lambda outside [0,1] or NaN, dim 0 with vectors, vecs NULL with
 * n > 0), ODS_ENOMEM.
 */
enum ods_err	 ods_fuse_mmr(struct ods_fuse_result *r, size_t n,
		    const float *const *vecs, uint32_t dim, float lambda,
		    size_t k) ODS_MUSTCHECK;

#endif /* ODS_FUSE_H */
