/*
 * lib/vec/ods_fuse.c — weighted reciprocal-rank fusion and MMR (see
 * ods_fuse.h). Sums are kept in double and added list by list in the
 * same order as the best possible score, so an id first everywhere
 * scores exactly 1.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vec/ods_fuse.h"
#include "vec/ods_kw.h"
#include "vec/ods_vec.h"

/* One (list, rank) occurrence of an id. */
struct occ {
	int64_t		 id;
	int64_t		 doc_id;
	int64_t		 kb_id;
	uint32_t	 src;
	uint32_t	 rank;		/* 1-based */
	float		 score;
};

void
ods_fuse_params_init(struct ods_fuse_params *p)
{
	memset(p, 0, sizeof(*p));
	p->k = ODS_FUSE_K;
	p->depth = ODS_FUSE_DEPTH;
	p->threshold = 0;
}

static int
occ_cmp(const void *a, const void *b)
{
	const struct occ	*x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	if (x->src != y->src)
		return x->src < y->src ? -1 : 1;
	return x->rank < y->rank ? -1 : x->rank > y->rank;
}

static uint32_t
best_rank(const struct ods_fuse_result *r)
{
	uint32_t	b = UINT32_MAX;
	size_t		i;

	for (i = 0; i < ODS_FUSE_MAX_SRC; i++)
		if (r->rank[i] != 0 && r->rank[i] < b)
			b = r->rank[i];
	return b;
}

static int
res_cmp(const void *a, const void *b)
{
	const struct ods_fuse_result	*x = a, *y = b;
	uint32_t			 rx, ry;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	rx = best_rank(x);
	ry = best_rank(y);
	if (rx != ry)
		return rx < ry ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int
lists_ok(const struct ods_fuse_list *l, size_t nl,
    const struct ods_fuse_params *p)
{
	float	wsum = 0;
	size_t	i;

	if (l == NULL || nl == 0 || nl > ODS_FUSE_MAX_SRC || p->k == 0 ||
	    p->depth == 0 || p->depth > ODS_FUSE_MAX_DEPTH ||
	    isnan(p->threshold))
		return 0;
	for (i = 0; i < nl; i++) {
		if (!isfinite(l[i].weight) || l[i].weight < 0 ||
		    (l[i].hits == NULL && l[i].n > 0))
			return 0;
		wsum += l[i].weight;
	}
	return wsum > 0;
}

/* Collects the first depth hits of every weighted list, sorted by id. */
static struct occ *
gather(const struct ods_fuse_list *l, size_t nl, size_t depth, size_t *nocc)
{
	struct occ	*o;
	size_t		 i, j, n = 0, total = 0;

	for (i = 0; i < nl; i++)
		total += l[i].n < depth ? l[i].n : depth;
	if ((o = calloc(total ? total : 1, sizeof(*o))) == NULL)
		return NULL;
	for (i = 0; i < nl; i++) {
		if (l[i].weight == 0)
			continue;
		for (j = 0; j < l[i].n && j < depth; j++, n++) {
			o[n].id = l[i].hits[j].id;
			o[n].doc_id = l[i].hits[j].doc_id;
			o[n].kb_id = l[i].hits[j].kb_id;
			o[n].score = l[i].hits[j].score;
			o[n].src = (uint32_t)i;
			o[n].rank = (uint32_t)j + 1;
		}
	}
	qsort(o, n, sizeof(*o), occ_cmp);
	*nocc = n;
	return o;
}

enum ods_err
ods_fuse_rrf(const struct ods_fuse_list *l, size_t nl,
    const struct ods_fuse_params *p, struct ods_fuse_result *out, size_t cap,
    size_t *nout)
{
	struct ods_fuse_params	 def;
	struct ods_fuse_result	*r = NULL, *cur;
	struct occ		*o;
	double			 best = 0, sum;
	size_t			 i, j, no, nr = 0;

	*nout = 0;
	if (p == NULL) {
		ods_fuse_params_init(&def);
		p = &def;
	}
	if (!lists_ok(l, nl, p) || (out == NULL && cap > 0))
		return ODS_EINVAL;
	for (i = 0; i < nl; i++)
		if (l[i].weight > 0)
			best += (double)l[i].weight / (p->k + 1.0);
	if ((o = gather(l, nl, p->depth, &no)) == NULL ||
	    (r = calloc(no ? no : 1, sizeof(*r))) == NULL) {
		free(o);
		return ODS_ENOMEM;
	}
	for (i = 0; i < no; i = j) {
		cur = &r[nr];
		cur->id = o[i].id;
		cur->doc_id = o[i].doc_id;
		cur->kb_id = o[i].kb_id;
		sum = 0;
		for (j = i; j < no && o[j].id == o[i].id; j++) {
			/* The first (best) rank of an id in a list counts. */
			if (cur->rank[o[j].src] != 0)
				continue;
			cur->rank[o[j].src] = o[j].rank;
			cur->src_score[o[j].src] = o[j].score;
			sum += (double)l[o[j].src].weight / (p->k + o[j].rank);
		}
		cur->score = (float)(sum / best);
		if (cur->score >= p->threshold)
			nr++;
		else
			memset(cur, 0, sizeof(*cur));
	}
	qsort(r, nr, sizeof(*r), res_cmp);
	*nout = nr < cap ? nr : cap;
	if (*nout > 0)
		memcpy(out, r, *nout * sizeof(*r));
	free(r);
	free(o);
	return ODS_OK;
}

enum ods_err
ods_fuse_hybrid(const struct ods_vec_hit *vh, size_t nv, float w_vec,
    const struct ods_kw_hit *kh, size_t nk, float w_kw,
    const struct ods_fuse_params *p, struct ods_fuse_result *out, size_t cap,
    size_t *nout)
{
	struct ods_fuse_list	 l[2];
	struct ods_fuse_hit	*h;
	enum ods_err		 er;
	size_t			 i;

	*nout = 0;
	if ((vh == NULL && nv > 0) || (kh == NULL && nk > 0))
		return ODS_EINVAL;
	if ((h = calloc(nv + nk ? nv + nk : 1, sizeof(*h))) == NULL)
		return ODS_ENOMEM;
	for (i = 0; i < nv; i++) {
		h[i].id = vh[i].id;
		h[i].doc_id = vh[i].doc_id;
		h[i].kb_id = vh[i].kb_id;
		h[i].score = vh[i].score;
	}
	for (i = 0; i < nk; i++) {
		h[nv + i].id = kh[i].id;
		h[nv + i].doc_id = kh[i].doc_id;
		h[nv + i].kb_id = kh[i].kb_id;
		h[nv + i].score = kh[i].score;
	}
	l[0].hits = h;
	l[0].n = nv;
	l[0].weight = w_vec;
	l[1].hits = h + nv;
	l[1].n = nk;
	l[1].weight = w_kw;
	er = ods_fuse_rrf(l, 2, p, out, cap, nout);
	free(h);
	return er;
}

static double
cosine(const float *a, const float *b, uint32_t dim)
{
	double		dot = 0, na = 0, nb = 0;
	uint32_t	i;

	if (a == NULL || b == NULL)
		return 0;
	for (i = 0; i < dim; i++) {
		dot += (double)a[i] * b[i];
		na += (double)a[i] * a[i];
		nb += (double)b[i] * b[i];
	}
	if (na == 0 || nb == 0 || !isfinite(dot))
		return 0;
	return dot / sqrt(na * nb);
}

/* The unpicked candidate with the best MMR value (lowest index on ties). */
static size_t
mmr_pick(const struct ods_fuse_result *r, size_t n, const char *picked,
    const double *maxsim, float lambda)
{
	double	v, bv = 0;
	size_t	i, b = n;

	for (i = 0; i < n; i++) {
		if (picked[i])
			continue;
		v = lambda * (double)r[i].score - (1.0 - lambda) * maxsim[i];
		if (b == n || v > bv) {
			b = i;
			bv = v;
		}
	}
	return b;
}

enum ods_err
ods_fuse_mmr(struct ods_fuse_result *r, size_t n, const float *const *vecs,
    uint32_t dim, float lambda, size_t k)
{
	struct ods_fuse_result	*orig;
	double			*maxsim, s;
	char			*picked;
	size_t			 i, j, b, nout = 0;

	if (isnan(lambda) || lambda < 0 || lambda > 1 ||
	    (n > 0 && (vecs == NULL || r == NULL || dim == 0)))
		return ODS_EINVAL;
	if (n == 0)
		return ODS_OK;
	orig = malloc(n * sizeof(*orig));
	maxsim = calloc(n, sizeof(*maxsim));
	picked = calloc(n, 1);
	if (orig == NULL || maxsim == NULL || picked == NULL) {
		free(orig);
		free(maxsim);
		free(picked);
		return ODS_ENOMEM;
	}
	memcpy(orig, r, n * sizeof(*orig));
	for (i = 0; i < n && i < k; i++) {
		b = mmr_pick(orig, n, picked, maxsim, lambda);
		picked[b] = 1;
		r[nout++] = orig[b];
		for (j = 0; j < n; j++) {
			if (picked[j])
				continue;
			s = cosine(vecs[j], vecs[b], dim);
			if (i == 0 || s > maxsim[j])
				maxsim[j] = s;
		}
	}
	for (i = 0; i < n; i++)
		if (!picked[i])
			r[nout++] = orig[i];
	free(orig);
	free(maxsim);
	free(picked);
	return ODS_OK;
}
