/*
 * lib/vec/ods_vec_hnsw.c — HNSW graphs (Malkov & Yashunin): build over an
 * array of vectors, search a built or mapped graph, validate a mapped
 * one. Level 0 keeps 2*M links per node, upper levels M; neighbours are
 * chosen with the paper's heuristic (algorithm 4, no extension), made to
 * cope with exact duplicates (see select_heur).
 *
 * Search state (visited tags, heaps) lives in a per-thread context, so
 * any number of threads may search the same read-only graph at once.
 */
#include "config.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_mem.h"
#include "vec/ods_vec.h"
#include "vec/ods_vec_int.h"

struct vctx {
	uint16_t	*tags;
	size_t		 ntags;
	uint16_t	 epoch;
	struct vcand	*cand;		/* min-heap of nodes to expand */
	size_t		 ncand, capcand;
	struct vcand	*top;		/* max-heap of results */
	size_t		 captop;
	struct vcand	*tmp;
	size_t		 captmp;
};

static pthread_key_t	ctx_key;
static pthread_once_t	ctx_once = PTHREAD_ONCE_INIT;
static __thread struct vctx *tls_ctx;

static void
ctx_free(void *p)
{
	struct vctx	*c = p;

	if (c == NULL)
		return;
	free(c->tags);
	free(c->cand);
	free(c->top);
	free(c->tmp);
	free(c);
}

static void
ctx_key_init(void)
{
	(void)pthread_key_create(&ctx_key, ctx_free);
}

/* Grow *pp to hold want elements (exits on OOM, like ods_xrealloc). */
static void
grow(void *pp, size_t *cap, size_t want, size_t elem)
{
	void	**p = pp;
	size_t	 n = *cap ? *cap : 64;

	if (want <= *cap)
		return;
	while (n < want)
		n *= 2;
	*p = ods_xrealloc(*p, n * elem);
	*cap = n;
}

/* The calling thread's context, with n visited tags cleared (cheaply). */
static struct vctx *
ctx_get(size_t n, size_t ef)
{
	struct vctx	*c = tls_ctx;

	(void)pthread_once(&ctx_once, ctx_key_init);
	if (c == NULL) {
		c = ods_xcalloc(1, sizeof(*c));
		tls_ctx = c;
		(void)pthread_setspecific(ctx_key, c);
	}
	if (c->ntags < n) {
		free(c->tags);
		c->ntags = 0;
		c->tags = ods_xcalloc(n, sizeof(uint16_t));
		c->ntags = n;
		c->epoch = 0;
	}
	if (++c->epoch == 0) {
		memset(c->tags, 0, c->ntags * sizeof(uint16_t));
		c->epoch = 1;
	}
	grow(&c->top, &c->captop, ef + 1, sizeof(struct vcand));
	grow(&c->cand, &c->capcand, ef * 4 + 64, sizeof(struct vcand));
	c->ncand = 0;
	return c;
}

/* Min-heap of candidates to expand, growable. */
static inline void
cand_push(struct vctx *c, float dist, uint32_t slot)
{
	size_t	i, p;

	if (c->ncand == c->capcand)
		grow(&c->cand, &c->capcand, c->ncand + 1, sizeof(struct vcand));
	i = c->ncand++;
	while (i > 0 && c->cand[p = (i - 1) / 2].dist > dist) {
		c->cand[i] = c->cand[p];
		i = p;
	}
	c->cand[i].dist = dist;
	c->cand[i].slot = slot;
}

static inline void
cand_pop(struct vctx *c)
{
	struct vcand	*a = c->cand, t;
	size_t		 n = --c->ncand, i = 0, ch;

	if (n == 0)
		return;
	t = a[n];
	while ((ch = 2 * i + 1) < n) {
		if (ch + 1 < n && a[ch + 1].dist < a[ch].dist)
			ch++;
		if (a[ch].dist >= t.dist)
			break;
		a[i] = a[ch];
		i = ch;
	}
	a[i] = t;
}

/* Bounded max-heap of results (inline copy of odsi_vheap_push for speed). */
static inline void
top_push(struct vcand *a, size_t *n, size_t cap, float dist, uint32_t slot)
{
	struct vcand	t;
	size_t		i, c;

	if (*n == cap) {
		if (dist >= a[0].dist)
			return;
		t.dist = dist;
		t.slot = slot;
		for (i = 0; (c = 2 * i + 1) < *n; i = c) {
			if (c + 1 < *n && a[c + 1].dist > a[c].dist)
				c++;
			if (a[c].dist <= dist)
				break;
			a[i] = a[c];
		}
		a[i] = t;
		return;
	}
	for (i = (*n)++; i > 0 && a[(i - 1) / 2].dist < dist; i = (i - 1) / 2)
		a[i] = a[(i - 1) / 2];
	a[i].dist = dist;
	a[i].slot = slot;
}

static inline const uint32_t *
seg_links(const struct vseg *g, uint32_t i, uint32_t lev)
{
	if (lev == 0)
		return g->l0 + (size_t)i * (1 + g->m0);
	return g->up + g->upoff[i] + (size_t)(lev - 1) * (1 + g->m);
}

static inline float
dist(const struct vseg *g, const float *q, uint32_t i)
{
	const float	*v = g->vecs + (size_t)i * g->dim;

	return g->metric == ODS_VEC_L2 ? odsi_vk_l2(q, v, g->dim) :
	    -odsi_vk_dot(q, v, g->dim);
}

/* Greedy descent from ep through levels top..stop+1; returns the node. */
static uint32_t
greedy(const struct vseg *g, const float *q, uint32_t ep, float *epd,
    uint32_t top, uint32_t stop)
{
	const uint32_t	*l;
	uint32_t	 lev, j, nb;
	float		 d;
	int		 changed;

	for (lev = top; lev > stop; lev--) {
		do {
			changed = 0;
			l = seg_links(g, ep, lev);
			for (j = 1; j <= l[0]; j++) {
				nb = l[j];
				d = dist(g, q, nb);
				if (d < *epd) {
					*epd = d;
					ep = nb;
					changed = 1;
				}
			}
		} while (changed);
	}
	return ep;
}

/*
 * Beam search of one level from ep with width ef. Results that pass sel
 * (NULL: all) end in c->top as a max-heap of *ntop entries. Prefetches
 * follow hnswlib: the next neighbour's vector and tag while this one is
 * measured, and the next candidate's links.
 */
static void
search_layer(const struct vseg *g, struct vctx *c, const float *q,
    uint32_t ep, float epd, size_t ef, uint32_t lev, const struct vsel *sel,
    size_t *ntop)
{
	struct vcand	*top = c->top;
	const uint32_t	*l;
	uint16_t	*tags = c->tags, epoch = c->epoch;
	float		 bound = INFINITY, d;
	uint32_t	 cur, nb, j, cnt;
	size_t		 nt = 0;

	tags[ep] = epoch;
	if (sel == NULL || odsi_vsel_ok(sel, g, ep)) {
		top_push(top, &nt, ef, epd, ep);
		bound = epd;
	}
	cand_push(c, epd, ep);
	while (c->ncand > 0) {
		if (c->cand[0].dist > bound && nt == ef)
			break;
		cur = c->cand[0].slot;
		cand_pop(c);
		l = seg_links(g, cur, lev);
		cnt = l[0];
		if (cnt > 0) {
			__builtin_prefetch(g->vecs + (size_t)l[1] * g->dim);
			__builtin_prefetch(&tags[l[1]]);
		}
		for (j = 1; j <= cnt; j++) {
			if (j < cnt) {
				__builtin_prefetch(g->vecs +
				    (size_t)l[j + 1] * g->dim);
				__builtin_prefetch(&tags[l[j + 1]]);
			}
			nb = l[j];
			if (tags[nb] == epoch)
				continue;
			tags[nb] = epoch;
			d = dist(g, q, nb);
			if (nt < ef || d < bound) {
				cand_push(c, d, nb);
				__builtin_prefetch(seg_links(g, c->cand[0].slot,
				    lev));
				if (sel == NULL || odsi_vsel_ok(sel, g, nb))
					top_push(top, &nt, ef, d, nb);
				if (nt > 0)
					bound = top[0].dist;
			}
		}
	}
	c->ncand = 0;
	*ntop = nt;
}

size_t
odsi_vhnsw_search(const struct vseg *g, const struct vsel *sel, const float *q,
    size_t k, size_t ef, struct vcand *out)
{
	struct vctx	*c;
	struct vheap	 h;
	size_t		 ntop, i;
	uint32_t	 ep;
	float		 epd;

	if (g->n == 0 || k == 0)
		return 0;
	if (ef < k)
		ef = k;
	c = ctx_get(g->n, ef);
	epd = dist(g, q, g->entry);
	ep = greedy(g, q, g->entry, &epd, g->maxlevel, 0);
	if (sel != NULL && sel->dead == NULL && sel->filter == NULL)
		sel = NULL;
	search_layer(g, c, q, ep, epd, ef, 0, sel, &ntop);
	h.a = c->top;
	h.n = ntop;
	h.cap = ef;
	while (h.n > k)
		odsi_vheap_pop(&h);
	odsi_vheap_sort(&h);
	for (i = 0; i < h.n; i++)
		out[i] = h.a[i];
	return h.n;
}

/* Build: a mutable view of the graph being built. */
static inline uint32_t *
blinks(struct odsi_vhnsw_build *b, uint32_t i, uint32_t lev)
{
	if (lev == 0)
		return b->l0 + (size_t)i * (1 + b->m0);
	return b->up + b->upoff[i] + (size_t)(lev - 1) * (1 + b->m);
}

static void
build_view(const struct odsi_vhnsw_build *b, struct vseg *g)
{
	memset(g, 0, sizeof(*g));
	g->kind = VSEG_HNSW;
	g->dim = b->dim;
	g->metric = b->metric;
	g->n = b->n;
	g->vecs = b->vecs;
	g->m = b->m;
	g->m0 = b->m0;
	g->l0 = b->l0;
	g->levels = b->levels;
	g->upoff = b->upoff;
	g->up = b->up;
	g->uplen = b->uplen;
}

/*
 * Ties. Exact duplicates are common in real corpora (boilerplate text
 * embeds to one vector): a group of copies puts many candidates at one
 * distance. The order among equal distances decides which copies a list
 * keeps; by slot, every list would keep the same oldest copies and drop
 * each newer one, which then has no in-link left and cannot be found.
 * So ties go by a hash of (list owner, slot): each list keeps its own
 * pseudo-random share of a group, and every copy stays reachable.
 */
static __thread uint32_t tie_owner;

static inline uint32_t
tie_key(uint32_t slot)
{
	uint64_t	z = ((uint64_t)tie_owner << 32 | slot) *
			    0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 29)) * 0xbf58476d1ce4e5b9ULL;
	return (uint32_t)(z >> 32);
}

static int
tie_cmp(const void *a, const void *b)
{
	const struct vcand	*x = a, *y = b;
	uint32_t		 kx, ky;

	if (x->dist != y->dist)
		return x->dist < y->dist ? -1 : 1;
	kx = tie_key(x->slot);
	ky = tie_key(y->slot);
	if (kx != ky)
		return kx < ky ? -1 : 1;
	return x->slot < y->slot ? -1 : x->slot > y->slot;
}

static inline int
same_vec(const struct vseg *g, uint32_t a, uint32_t b)
{
	return memcmp(g->vecs + (size_t)a * g->dim, g->vecs + (size_t)b *
	    g->dim, g->dim * sizeof(float)) == 0;
}

/*
 * How candidate c stands against the kept list out[0..nout): 0 when a
 * kept neighbour is strictly closer to it than the owner is (drop), 2
 * when it is an exact copy of a kept neighbour at the same distance (the
 * owner is a copy too), 1 otherwise (keep).
 */
static int
judge(const struct vseg *g, const struct vcand *c, const uint32_t *out,
    size_t nout)
{
	const float	*v = g->vecs + (size_t)c->slot * g->dim;
	size_t		 j;
	float		 d;
	int		 verdict = 1;

	for (j = 0; j < nout; j++) {
		d = dist(g, v, out[j]);
		if (d < c->dist)
			return 0;
		if (d == c->dist && verdict == 1 && same_vec(g, c->slot,
		    out[j]))
			verdict = 2;
	}
	return verdict;
}

/*
 * The heuristic for owner's list: walk candidates nearest first and keep
 * one only if no kept neighbour is strictly closer to it than the owner
 * (hnswlib's rule too). Within a group of copies that rule keeps every
 * copy (all distances tie), so a copy's list would fill up with copies
 * and lose every link out of the group, trapping searches in it. Copies
 * of a kept neighbour are therefore set aside at the tail of out[] and
 * only fill the slots the others leave free. c is sorted in place
 * (nearest first); out has room for m.
 */
static size_t
select_heur(const struct vseg *g, uint32_t owner, struct vcand *c, size_t nc,
    size_t m, uint32_t *out)
{
	size_t		 i, nout = 0, nset = 0;
	uint32_t	 t;
	int		 v;

	tie_owner = owner;
	qsort(c, nc, sizeof(*c), tie_cmp);
	if (nc <= m) {
		for (i = 0; i < nc; i++)
			out[i] = c[i].slot;
		return nc;
	}
	for (i = 0; i < nc && nout < m; i++) {
		v = judge(g, &c[i], out, nout);
		if (v == 1) {
			if (nout + nset == m)	/* drop the last copy */
				nset--;
			out[nout++] = c[i].slot;
		} else if (v == 2 && nout + nset < m)
			out[m - ++nset] = c[i].slot;
	}
	/* The tail holds the set-aside copies farthest first: reverse it. */
	for (i = 0; i < nset / 2; i++) {
		t = out[m - nset + i];
		out[m - nset + i] = out[m - 1 - i];
		out[m - 1 - i] = t;
	}
	memmove(out + nout, out + m - nset, nset * sizeof(*out));
	return nout + nset;
}

/* Add i to s's list at lev, pruning with the heuristic when full. */
static void
link_back(struct odsi_vhnsw_build *b, const struct vseg *g, struct vctx *c,
    uint32_t s, uint32_t i, uint32_t lev)
{
	uint32_t	*l = blinks(b, s, lev), j, maxc;
	const float	*sv = b->vecs + (size_t)s * b->dim;

	maxc = lev == 0 ? b->m0 : b->m;
	if (l[0] < maxc) {
		l[++l[0]] = i;
		return;
	}
	grow(&c->tmp, &c->captmp, maxc + 1, sizeof(struct vcand));
	for (j = 0; j < l[0]; j++) {
		c->tmp[j].slot = l[j + 1];
		c->tmp[j].dist = dist(g, sv, l[j + 1]);
	}
	c->tmp[j].slot = i;
	c->tmp[j].dist = dist(g, sv, i);
	l[0] = (uint32_t)select_heur(g, s, c->tmp, maxc + 1, maxc, l + 1);
}

static void
insert(struct odsi_vhnsw_build *b, const struct vseg *g, uint32_t i)
{
	const float	*q = b->vecs + (size_t)i * b->dim;
	struct vctx	*c;
	uint32_t	 lev = b->levels[i], l, ep, *li, j;
	size_t		 ntop;
	float		 epd;

	ep = b->entry;
	epd = dist(g, q, ep);
	if (b->maxlevel > lev)
		ep = greedy(g, q, ep, &epd, b->maxlevel, lev);
	for (l = lev < b->maxlevel ? lev : b->maxlevel; ; l--) {
		c = ctx_get(b->n, b->efc);
		search_layer(g, c, q, ep, epd, b->efc, l, NULL, &ntop);
		li = blinks(b, i, l);
		li[0] = (uint32_t)select_heur(g, i, c->top, ntop, b->m, li + 1);
		ep = c->top[0].slot;
		epd = c->top[0].dist;
		for (j = 1; j <= li[0]; j++)
			link_back(b, g, c, li[j], i, l);
		if (l == 0)
			break;
	}
	if (lev > b->maxlevel) {
		b->maxlevel = lev;
		b->entry = i;
	}
}

/*
 * Give orphan i (no level-0 list links to it) an in-link from one of its
 * own neighbours: into a free slot, else in place of that neighbour's
 * farthest link whose target keeps another in-link.
 */
static void
adopt(struct odsi_vhnsw_build *b, const struct vseg *g, uint32_t *in, uint32_t i)
{
	const uint32_t	*li = blinks(b, i, 0);
	const float	*sv;
	uint32_t	*l, j, k, w;
	float		 d, dw;

	for (j = 1; j <= li[0]; j++) {
		l = blinks(b, li[j], 0);
		if (l[0] < b->m0) {
			l[++l[0]] = i;
			in[i]++;
			return;
		}
	}
	for (j = 1; j <= li[0]; j++) {
		l = blinks(b, li[j], 0);
		sv = b->vecs + (size_t)li[j] * b->dim;
		for (k = 1, w = 0, dw = -INFINITY; k <= l[0]; k++)
			if (in[l[k]] > 1 && (d = dist(g, sv, l[k])) > dw) {
				dw = d;
				w = k;
			}
		if (w != 0) {
			in[l[w]]--;
			l[w] = i;
			in[i]++;
			return;
		}
	}
}

/*
 * A node that no level-0 list links to can never be found, by filtered
 * searches either. Pruning leaves a few such orphans (a copy that loses
 * every tie in a large group of copies, a point whose neighbours all
 * found closer ones); link each back in. Returns -1 on OOM.
 */
static int
adopt_orphans(struct odsi_vhnsw_build *b, const struct vseg *g)
{
	uint32_t	*in, i, j;
	const uint32_t	*l;

	if ((in = calloc((size_t)b->n + 1, sizeof(*in))) == NULL)
		return -1;
	for (i = 0; i < b->n; i++) {
		l = blinks(b, i, 0);
		for (j = 1; j <= l[0]; j++)
			in[l[j]]++;
	}
	for (i = 0; i < b->n; i++)
		if (in[i] == 0 && i != b->entry)
			adopt(b, g, in, i);
	free(in);
	return 0;
}

static uint64_t
splitmix(uint64_t *s)
{
	uint64_t	z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Draw levels (exponential, scale 1/ln M) and lay out the upper lists. */
static int
assign_levels(struct odsi_vhnsw_build *b, uint64_t seed)
{
	double		 ml = 1.0 / log((double)b->m), r;
	uint32_t	 i, lev;

	for (i = 0; i < b->n; i++) {
		r = ((double)(splitmix(&seed) >> 11) + 1.0) / 9007199254740993.0;
		lev = (uint32_t)(-log(r) * ml);
		if (lev > VHNSW_MAXLEVEL)
			lev = VHNSW_MAXLEVEL;
		b->levels[i] = (uint8_t)lev;
		b->upoff[i] = (uint32_t)b->uplen;
		b->uplen += (size_t)lev * (1 + b->m);
		if (b->uplen > UINT32_MAX)
			return -1;
	}
	return 0;
}

enum ods_err
odsi_vhnsw_build(struct odsi_vhnsw_build *b, uint64_t seed)
{
	struct vseg	 g;
	uint32_t	 i;

	odsi_vk_init();
	b->m0 = 2 * b->m;
	b->l0 = calloc((size_t)b->n * (1 + b->m0) + 1, sizeof(uint32_t));
	b->levels = calloc((size_t)b->n + 1, 1);
	b->upoff = calloc((size_t)b->n + 1, sizeof(uint32_t));
	b->uplen = 0;
	if (b->l0 == NULL || b->levels == NULL || b->upoff == NULL)
		goto nomem;
	if (assign_levels(b, seed) == -1) {
		odsi_vhnsw_build_free(b);
		return ODS_ETOOBIG;	/* upper lists past 2^32 words */
	}
	if ((b->up = calloc(b->uplen + 1, sizeof(uint32_t))) == NULL)
		goto nomem;
	build_view(b, &g);
	b->entry = 0;
	b->maxlevel = b->n > 0 ? b->levels[0] : 0;
	for (i = 1; i < b->n; i++) {
		if ((i & 1023) == 0 && b->cancel != NULL &&
		    __atomic_load_n(b->cancel, __ATOMIC_RELAXED)) {
			odsi_vhnsw_build_free(b);
			return ODS_EUNAVAIL;
		}
		insert(b, &g, i);
	}
	if (adopt_orphans(b, &g) == -1)
		goto nomem;
	return ODS_OK;
nomem:
	odsi_vhnsw_build_free(b);
	return ODS_ENOMEM;
}

void
odsi_vhnsw_build_free(struct odsi_vhnsw_build *b)
{
	free(b->l0);
	free(b->levels);
	free(b->upoff);
	free(b->up);
	b->l0 = b->up = b->upoff = NULL;
	b->levels = NULL;
}

static int
check_list(const struct vseg *g, const uint32_t *l, uint32_t maxc,
    uint32_t lev)
{
	uint32_t	j;

	if (l[0] > maxc)
		return -1;
	for (j = 1; j <= l[0]; j++)
		if (l[j] >= g->n || g->levels[l[j]] < lev)
			return -1;
	return 0;
}

int
odsi_vhnsw_validate(const struct vseg *g)
{
	uint32_t	i, lev;

	if (g->n == 0)
		return 0;
	if (g->m < 2 || g->m0 != 2 * g->m || g->entry >= g->n ||
	    g->maxlevel > VHNSW_MAXLEVEL || g->levels[g->entry] != g->maxlevel)
		return -1;
	for (i = 0; i < g->n; i++) {
		if (g->levels[i] > g->maxlevel)
			return -1;
		if ((size_t)g->upoff[i] + (size_t)g->levels[i] * (1 + g->m) >
		    g->uplen)
			return -1;
		for (lev = 0; lev <= g->levels[i]; lev++)
			if (check_list(g, seg_links(g, i, lev),
			    lev == 0 ? g->m0 : g->m, lev) == -1)
				return -1;
	}
	return 0;
}
