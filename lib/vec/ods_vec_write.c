/*
 * lib/vec/ods_vec_write.c — the writer side of a collection: the growing
 * segment, the id map, tombstones, and publishing generations (commit,
 * seal, compact). Every entry point holds wmu for its whole run and the
 * rwlock only while it changes what searches read, except ods_vec_merge,
 * which builds without either and holds wmu only to start and to swap.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "vec/ods_vec.h"
#include "vec/ods_vec_int.h"

/* The id map: open addressing, linear probing, backward-shift delete. */
static size_t
idslot(const struct vidmap *m, int64_t id)
{
	uint64_t	x = (uint64_t)id * 0x9e3779b97f4a7c15ULL;

	return (size_t)(x ^ (x >> 29)) & (m->cap - 1);
}

static struct vident *
idmap_get(struct vidmap *m, int64_t id)
{
	size_t	i;

	if (m->cap == 0)
		return NULL;
	for (i = idslot(m, id); m->t[i].ref != 0; i = (i + 1) & (m->cap - 1))
		if (m->t[i].id == id)
			return &m->t[i];
	return NULL;
}

static void	idmap_put(struct vidmap *, int64_t, uint32_t, uint32_t);

static void
idmap_grow(struct vidmap *m)
{
	struct vident	*old = m->t;
	size_t		 oldcap = m->cap, i;

	m->cap = oldcap ? oldcap * 2 : 1024;
	m->t = ods_xcalloc(m->cap, sizeof(*m->t));
	m->n = 0;
	for (i = 0; i < oldcap; i++)
		if (old[i].ref != 0)
			idmap_put(m, old[i].id, old[i].ref, old[i].slot);
	free(old);
}

static void
idmap_put(struct vidmap *m, int64_t id, uint32_t ref, uint32_t slot)
{
	size_t	i;

	if (2 * (m->n + 1) > m->cap)
		idmap_grow(m);
	for (i = idslot(m, id); m->t[i].ref != 0; i = (i + 1) & (m->cap - 1))
		if (m->t[i].id == id)
			break;
	if (m->t[i].ref == 0)
		m->n++;
	m->t[i].id = id;
	m->t[i].ref = ref;
	m->t[i].slot = slot;
}

static void
idmap_del(struct vidmap *m, int64_t id)
{
	struct vident	*e = idmap_get(m, id);
	size_t		 i, j, h;

	if (e == NULL)
		return;
	i = (size_t)(e - m->t);
	m->t[i].ref = 0;
	m->n--;
	for (j = (i + 1) & (m->cap - 1); m->t[j].ref != 0;
	    j = (j + 1) & (m->cap - 1)) {
		h = idslot(m, m->t[j].id);
		/* Move j back into the hole unless its home lies in (i, j]. */
		if ((j > i && (h <= i || h > j)) || (j < i && h <= i && h > j)) {
			m->t[i] = m->t[j];
			m->t[j].ref = 0;
			i = j;
		}
	}
}

static void
map_segment(struct ods_vec *v, const struct gseg *s)
{
	uint32_t	i;

	for (i = 0; i < s->seg->n; i++)
		if (!VBIT_GET(s->dead, i))
			idmap_put(&v->map, s->seg->ids[i],
			    (uint32_t)s->seg->file_no, i);
}

/* A manifest describing segs (dead bitmaps borrowed); free m->segs only. */
static void
man_view(const struct ods_vec *v, const struct gseg *segs, size_t n,
    uint64_t gen, struct vman *m)
{
	size_t	i;

	memset(m, 0, sizeof(*m));
	m->gen = gen;
	m->seq = v->seq;
	m->next_file = v->next_file;
	m->dim = v->p.dim, m->metric = v->p.metric, m->m = v->p.m;
	m->efc = v->p.ef_construction, m->ef = v->p.ef_search;
	m->seal = v->p.seal_threshold;
	m->segs = ods_xcalloc(n + 1, sizeof(*m->segs));
	m->nsegs = (uint32_t)n;
	for (i = 0; i < n; i++) {
		m->segs[i].file_no = segs[i].seg->file_no;
		m->segs[i].kind = segs[i].seg->kind;
		m->segs[i].n = segs[i].seg->n;
		m->segs[i].dead = segs[i].dead;
	}
}

static void
vw_fini_grow(struct vgrow *g)
{
	free(g->ids);
	free(g->docs);
	free(g->kbs);
	free(g->vecs);
	free(g->dead);
	memset(g, 0, sizeof(*g));
}

void
odsi_vw_fini(struct ods_vec *v)
{
	vw_fini_grow(&v->g);
	free(v->map.t);
	memset(&v->map, 0, sizeof(v->map));
}

/*
 * Publish segs as generation next_gen, then drop files that neither it
 * nor the generation being replaced references.
 */
static enum ods_err
publish_gen(struct ods_vec *v, const struct gseg *segs, size_t n)
{
	struct vman		 nm, om, mm;
	struct vman_seg		 ms;
	const struct vman	*keep[3];
	enum ods_err		 er;
	size_t			 nkeep;

	man_view(v, segs, n, v->next_gen, &nm);
	if ((er = odsi_vfile_write_man(v->dirfd, &nm)) == ODS_OK) {
		man_view(v, v->cur.s, v->cur.n, v->cur.gen, &om);
		keep[0] = &nm;
		keep[1] = &om;
		nkeep = v->cur.gen ? 2 : 1;
		if (v->merging) {
			/* The segment ods_vec_merge is writing. */
			memset(&mm, 0, sizeof(mm));
			memset(&ms, 0, sizeof(ms));
			ms.file_no = v->merge_fno;
			mm.segs = &ms;
			mm.nsegs = 1;
			keep[nkeep++] = &mm;
		}
		odsi_vfile_gc(v->dirfd, keep, nkeep);
		free(om.segs);
		v->next_gen++;
	}
	free(nm.segs);
	return er;
}

enum ods_err
odsi_vw_start(struct ods_vec *v)
{
	uint64_t	maxseg = odsi_vfile_max_seg(v->dirfd);
	struct vman	m;
	size_t		i;

	v->next_file = v->cur.next_file > maxseg ? v->cur.next_file :
	    maxseg + 1;
	if (v->next_file == 0)
		v->next_file = 1;
	v->seq = v->cur.seq;
	for (i = 0; i < v->cur.n; i++)
		map_segment(v, &v->cur.s[i]);
	if (v->cur.gen == 0) {
		/* A new collection: publish an empty generation at once. */
		v->cur.gen = v->next_gen;
		return publish_gen(v, NULL, 0);
	}
	man_view(v, v->cur.s, v->cur.n, v->cur.gen, &m);
	odsi_vfile_gc(v->dirfd, (const struct vman *const[]){ &m }, 1);
	free(m.segs);
	return ODS_OK;
}

static void
mark_dead(struct ods_vec *v, uint32_t ref, uint32_t slot)
{
	size_t	i;

	if (ref == VGROW_REF) {
		if (!VBIT_GET(v->g.dead, slot)) {
			VBIT_SET(v->g.dead, slot);
			v->g.ndead++;
		}
		return;
	}
	for (i = 0; i < v->cur.n; i++)
		if ((uint32_t)v->cur.s[i].seg->file_no == ref &&
		    !VBIT_GET(v->cur.s[i].dead, slot)) {
			VBIT_SET(v->cur.s[i].dead, slot);
			v->cur.s[i].ndead++;
		}
}

static int
grow_reserve(struct vgrow *g, size_t dim, size_t more)
{
	size_t	cap = g->cap ? g->cap : 256, words;

	if (g->n + more <= g->cap)
		return 0;
	if (g->n + more > UINT32_MAX - 1)
		return -1;
	while (cap < g->n + more)
		cap *= 2;
	words = VBITS_WORDS(cap);
	g->ids = ods_xrealloc(g->ids, cap * sizeof(int64_t));
	g->docs = ods_xrealloc(g->docs, cap * sizeof(int64_t));
	g->kbs = ods_xrealloc(g->kbs, cap * sizeof(int64_t));
	g->vecs = ods_xrealloc(g->vecs, cap * dim * sizeof(float));
	g->dead = ods_xrealloc(g->dead, words * sizeof(uint64_t));
	memset(g->dead + VBITS_WORDS(g->cap), 0,
	    (words - VBITS_WORDS(g->cap)) * sizeof(uint64_t));
	g->cap = (uint32_t)cap;
	return 0;
}

static enum ods_err
item_check(const struct ods_vec *v, const struct ods_vec_item *it)
{
	double	s = 0;
	size_t	i;

	if (it->vec == NULL)
		return ODS_EINVAL;
	for (i = 0; i < v->p.dim; i++) {
		if (!isfinite(it->vec[i]))
			return ODS_EINVAL;
		s += (double)it->vec[i] * it->vec[i];
	}
	if (!isfinite(s) || (v->p.metric == ODS_VEC_COSINE && s == 0))
		return ODS_EINVAL;
	return ODS_OK;
}

static void
grow_append(struct ods_vec *v, const struct ods_vec_item *it)
{
	struct vgrow	*g = &v->g;
	struct vident	*e;
	float		*dst = g->vecs + (size_t)g->n * v->p.dim;
	double		 s = 0;
	size_t		 i;

	if ((e = idmap_get(&v->map, it->id)) != NULL)
		mark_dead(v, e->ref, e->slot);
	memcpy(dst, it->vec, v->p.dim * sizeof(float));
	if (v->p.metric == ODS_VEC_COSINE) {
		for (i = 0; i < v->p.dim; i++)
			s += (double)dst[i] * dst[i];
		for (i = 0; i < v->p.dim; i++)
			dst[i] = (float)(dst[i] / sqrt(s));
	}
	g->ids[g->n] = it->id;
	g->docs[g->n] = it->doc_id;
	g->kbs[g->n] = it->kb_id;
	idmap_put(&v->map, it->id, VGROW_REF, g->n);
	g->n++;
}

static enum ods_err
change_check(const struct ods_vec *v, uint64_t seq)
{
	if (!v->writer)
		return ODS_EINVAL;
	if (seq <= v->seq) {
		ods_log(ODS_LOG_WARN, "vec_stale_seq dir=%s seq=%llu hwm=%llu",
		    v->dir, (unsigned long long)seq,
		    (unsigned long long)v->seq);
		return ODS_EINVAL;
	}
	return ODS_OK;
}

enum ods_err
ods_vec_add(struct ods_vec *v, uint64_t seq, const struct ods_vec_item *it,
    size_t n)
{
	enum ods_err	er = ODS_OK;
	size_t		i;

	if (n > ODS_VEC_MAX_BATCH)
		return ODS_ETOOBIG;
	if (it == NULL && n > 0)
		return ODS_EINVAL;
	for (i = 0; i < n; i++)
		if ((er = item_check(v, &it[i])) != ODS_OK)
			return er;
	(void)pthread_mutex_lock(&v->wmu);
	if ((er = change_check(v, seq)) == ODS_OK) {
		(void)pthread_rwlock_wrlock(&v->lock);
		if (grow_reserve(&v->g, v->p.dim, n) == -1)
			er = ODS_ETOOBIG;
		for (i = 0; er == ODS_OK && i < n; i++)
			grow_append(v, &it[i]);
		if (er == ODS_OK) {
			v->seq = seq;
			v->dirty = 1;
		}
		(void)pthread_rwlock_unlock(&v->lock);
	}
	(void)pthread_mutex_unlock(&v->wmu);
	return er;
}

enum ods_err
ods_vec_delete(struct ods_vec *v, uint64_t seq, int64_t id, size_t *ndel)
{
	struct vident	*e;
	enum ods_err	 er;

	if (ndel != NULL)
		*ndel = 0;
	(void)pthread_mutex_lock(&v->wmu);
	if ((er = change_check(v, seq)) == ODS_OK) {
		(void)pthread_rwlock_wrlock(&v->lock);
		if ((e = idmap_get(&v->map, id)) != NULL) {
			mark_dead(v, e->ref, e->slot);
			idmap_del(&v->map, id);
			if (ndel != NULL)
				*ndel = 1;
		}
		v->seq = seq;
		v->dirty = 1;
		(void)pthread_rwlock_unlock(&v->lock);
	}
	(void)pthread_mutex_unlock(&v->wmu);
	return er;
}

static int
i64_cmp(const void *a, const void *b)
{
	int64_t	x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Tombstone every live item of segment s matching sel. */
static size_t
delete_in(struct ods_vec *v, const struct vseg *s, const struct vsel *sel,
    uint32_t ref)
{
	size_t		n = 0;
	uint32_t	i;

	for (i = 0; i < s->n; i++)
		if (odsi_vsel_ok(sel, s, i)) {
			mark_dead(v, ref, i);
			idmap_del(&v->map, s->ids[i]);
			n++;
		}
	return n;
}

static size_t
delete_all(struct ods_vec *v, struct vsel *sel)
{
	struct vseg	gv;
	size_t		i, n = 0;

	for (i = 0; i < v->cur.n; i++) {
		sel->dead = v->cur.s[i].dead;
		n += delete_in(v, v->cur.s[i].seg, sel,
		    (uint32_t)v->cur.s[i].seg->file_no);
	}
	memset(&gv, 0, sizeof(gv));
	gv.n = v->g.n, gv.ids = v->g.ids, gv.docs = v->g.docs;
	gv.kbs = v->g.kbs;
	sel->dead = v->g.dead;
	return n + delete_in(v, &gv, sel, VGROW_REF);
}

enum ods_err
ods_vec_delete_where(struct ods_vec *v, uint64_t seq,
    const struct ods_vec_filter *f, size_t *ndel)
{
	struct vsel	 sel = { NULL, f, NULL, 0 };
	int64_t		*docs = NULL;
	enum ods_err	 er;
	size_t		 n = 0;

	if (ndel != NULL)
		*ndel = 0;
	if (f == NULL || (!f->has_kb && f->ndoc_ids == 0) ||
	    (f->ndoc_ids > 0 && f->doc_ids == NULL))
		return ODS_EINVAL;
	if (f->ndoc_ids > 65536)
		return ODS_ETOOBIG;
	if (f->ndoc_ids > 0) {
		docs = ods_xmalloc(f->ndoc_ids * sizeof(*docs));
		memcpy(docs, f->doc_ids, f->ndoc_ids * sizeof(*docs));
		qsort(docs, f->ndoc_ids, sizeof(*docs), i64_cmp);
		sel.docs_sorted = docs;
		sel.ndocs = f->ndoc_ids;
	}
	(void)pthread_mutex_lock(&v->wmu);
	if ((er = change_check(v, seq)) == ODS_OK) {
		(void)pthread_rwlock_wrlock(&v->lock);
		n = delete_all(v, &sel);
		v->seq = seq;
		v->dirty = 1;
		(void)pthread_rwlock_unlock(&v->lock);
	}
	(void)pthread_mutex_unlock(&v->wmu);
	free(docs);
	if (ndel != NULL)
		*ndel = n;
	return er;
}

/* Live items gathered from several segments into one set of arrays. */
struct gather {
	int64_t		*ids, *docs, *kbs;
	float		*vecs;
	uint32_t	 n;
	int		 borrowed;	/* the arrays are the growing segment's */
};

static void
gather_fini(struct gather *a)
{
	if (a->borrowed)
		return;
	free(a->ids);
	free(a->docs);
	free(a->kbs);
	free(a->vecs);
}

/* Append item j of s. */
static void
gather_seg_one(struct gather *a, const struct vseg *s, uint32_t j)
{
	a->ids[a->n] = s->ids[j];
	a->docs[a->n] = s->docs[j];
	a->kbs[a->n] = s->kbs[j];
	memcpy(a->vecs + (size_t)a->n * s->dim, s->vecs + (size_t)j * s->dim,
	    s->dim * sizeof(float));
	a->n++;
}

static void
gather_seg(struct gather *a, const struct vseg *s, const uint64_t *dead)
{
	uint32_t	i;

	for (i = 0; i < s->n; i++)
		if (!VBIT_GET(dead, i))
			gather_seg_one(a, s, i);
}

/* Gather the growing segment and the segments with take[i] set. */
static enum ods_err
gather(struct ods_vec *v, const char *take, struct gather *a)
{
	struct vseg	gv;
	size_t		i, n = v->g.n - v->g.ndead;

	memset(a, 0, sizeof(*a));
	for (i = 0; i < v->cur.n; i++)
		if (take[i])
			n += v->cur.s[i].seg->n - v->cur.s[i].ndead;
	if (n >= UINT32_MAX)
		return ODS_ETOOBIG;
	a->ids = malloc((n + 1) * sizeof(int64_t));
	a->docs = malloc((n + 1) * sizeof(int64_t));
	a->kbs = malloc((n + 1) * sizeof(int64_t));
	a->vecs = malloc((n + 1) * v->p.dim * sizeof(float));
	if (a->ids == NULL || a->docs == NULL || a->kbs == NULL ||
	    a->vecs == NULL) {
		gather_fini(a);
		return ODS_ENOMEM;
	}
	for (i = 0; i < v->cur.n; i++)
		if (take[i])
			gather_seg(a, v->cur.s[i].seg, v->cur.s[i].dead);
	memset(&gv, 0, sizeof(gv));
	gv.dim = v->p.dim, gv.n = v->g.n, gv.ids = v->g.ids;
	gv.docs = v->g.docs, gv.kbs = v->g.kbs, gv.vecs = v->g.vecs;
	gather_seg(a, &gv, v->g.dead);
	return ODS_OK;
}

/*
 * Only the growing segment, and none of its items dead (a commit during
 * an ingestion): its own arrays serve as the gathered ones, borrowed,
 * not copied (a copy of 25 MB for a catch-up's page of 16 384 vectors,
 * into memory the kernel must first fault in and zero). 1 when so.
 */
static int
gather_borrow(const struct ods_vec *v, const char *take, struct gather *a)
{
	size_t	i;

	if (v->g.ndead != 0)
		return 0;
	for (i = 0; i < v->cur.n; i++)
		if (take[i])
			return 0;
	memset(a, 0, sizeof(*a));
	a->ids = v->g.ids, a->docs = v->g.docs, a->kbs = v->g.kbs;
	a->vecs = v->g.vecs;
	a->n = v->g.n;
	a->borrowed = 1;
	return 1;
}

/* Write the gathered items as a new segment (with a graph when hnsw). */
static enum ods_err
write_gathered(struct ods_vec *v, const struct gather *a, int hnsw,
    struct vseg **out)
{
	struct odsi_vhnsw_build	 b;
	struct vseg_src		 src;
	enum ods_err		 er;
	uint64_t		 fno = v->next_file;

	*out = NULL;
	if (fno >= VGROW_REF)
		return ODS_ETOOBIG;
	memset(&b, 0, sizeof(b));
	src.kind = hnsw ? VSEG_HNSW : VSEG_FLAT;
	src.dim = v->p.dim, src.metric = v->p.metric, src.n = a->n;
	src.ids = a->ids, src.docs = a->docs, src.kbs = a->kbs;
	src.vecs = a->vecs;
	src.g = NULL;
	if (hnsw) {
		b.n = a->n, b.dim = v->p.dim, b.metric = v->p.metric;
		b.m = v->p.m, b.efc = v->p.ef_construction, b.vecs = a->vecs;
		if ((er = odsi_vhnsw_build(&b, fno)) != ODS_OK)
			return er;
		src.g = &b;
	}
	v->next_file++;
	er = odsi_vfile_write_seg(v->dirfd, fno, &src);
	odsi_vhnsw_build_free(&b);
	if (er == ODS_OK)
		er = odsi_vfile_map_seg(v->dirfd, fno, v->p.dim, v->p.metric, out);
	return er;
}

/*
 * Replace the segments with take[i] set and the growing segment by one
 * new segment (FLAT or HNSW) and publish the generation.
 */
static enum ods_err
replace(struct ods_vec *v, const char *take, int hnsw)
{
	struct gather	 a;
	struct gseg	*ns;
	struct vseg	*seg = NULL;
	enum ods_err	 er;
	size_t		 i, n = 0;
	uint32_t	 j;

	if (!gather_borrow(v, take, &a) &&
	    (er = gather(v, take, &a)) != ODS_OK)
		return er;
	if (a.n > 0 && (er = write_gathered(v, &a, hnsw, &seg)) != ODS_OK) {
		gather_fini(&a);
		return er;
	}
	ns = ods_xcalloc(v->cur.n + 2, sizeof(*ns));
	for (i = 0; i < v->cur.n; i++)
		if (!take[i])
			ns[n++] = v->cur.s[i];
	if (seg != NULL) {
		ns[n].seg = seg;
		ns[n++].dead = ods_xcalloc(VBITS_WORDS(seg->n) + 1, 8);
	}
	if ((er = publish_gen(v, ns, n)) != ODS_OK) {
		if (seg != NULL) {
			free(ns[n - 1].dead);
			odsi_vfile_drop_seg(v->dirfd, seg->file_no);
		}
		odsi_vseg_unref(seg);
		free(ns);
		gather_fini(&a);
		return er;
	}
	(void)pthread_rwlock_wrlock(&v->lock);
	for (i = 0; i < v->cur.n; i++)
		if (take[i]) {
			odsi_vseg_unref(v->cur.s[i].seg);
			free(v->cur.s[i].dead);
		}
	free(v->cur.s);
	v->cur.s = ns;
	v->cur.n = n;
	v->cur.gen = v->next_gen - 1;
	v->cur.seq = v->seq;
	/* Before the growing segment goes: a borrowed a reads it. */
	for (j = 0; seg != NULL && j < a.n; j++)
		idmap_put(&v->map, a.ids[j], (uint32_t)seg->file_no, j);
	v->g.n = v->g.ndead = 0;
	if (v->g.cap > 4096)	/* do not keep a big buffer for a seal */
		vw_fini_grow(&v->g);
	else if (v->g.dead != NULL)
		memset(v->g.dead, 0, VBITS_WORDS(v->g.cap) * sizeof(uint64_t));
	v->dirty = 0;
	(void)pthread_rwlock_unlock(&v->lock);
	gather_fini(&a);
	return ODS_OK;
}

enum	{ MODE_COMMIT, MODE_SEAL, MODE_COMPACT };

static enum ods_err
publish(struct ods_vec *v, int mode)
{
	enum ods_err	 er;
	char		*take;
	size_t		 i, flat = v->g.n - v->g.ndead;

	if (!v->writer)
		return ODS_EINVAL;
	(void)pthread_mutex_lock(&v->wmu);
	take = ods_xcalloc(v->cur.n + 1, 1);
	for (i = 0; i < v->cur.n; i++)
		if (v->cur.s[i].seg->kind == VSEG_FLAT)
			flat += v->cur.s[i].seg->n - v->cur.s[i].ndead;
	if (mode == MODE_COMMIT && flat >= v->p.seal_threshold)
		mode = MODE_SEAL;
	/* ods_vec_merge owns the published segments until it swaps. */
	if (v->merging)
		mode = MODE_COMMIT;
	for (i = 0; i < v->cur.n; i++)
		take[i] = mode == MODE_COMPACT || (mode == MODE_SEAL &&
		    v->cur.s[i].seg->kind == VSEG_FLAT);
	if (mode == MODE_COMMIT && !v->dirty)
		er = ODS_OK;
	else
		er = replace(v, take, mode != MODE_COMMIT);
	free(take);
	(void)pthread_mutex_unlock(&v->wmu);
	return er;
}

enum ods_err
ods_vec_commit(struct ods_vec *v)
{
	return publish(v, MODE_COMMIT);
}

enum ods_err
ods_vec_seal(struct ods_vec *v)
{
	return publish(v, MODE_SEAL);
}

enum ods_err
ods_vec_compact(struct ods_vec *v)
{
	return publish(v, MODE_COMPACT);
}


/*
 * ods_vec_merge: what it took (a snapshot of segments and their
 * tombstones) and, per item of the new segment, where it came from.
 */
struct merge {
	struct vseg	**segs;		/* taken, one reference each */
	uint64_t	**dead;		/* their tombstones when taken */
	size_t		  nsegs;
	uint32_t	 *from_seg;	/* per new item: index into segs */
	uint32_t	 *from_slot;	/* and slot there */
	struct gather	  a;
	uint64_t	  fno;
};

static void
merge_fini(struct merge *mg)
{
	size_t	i;

	for (i = 0; i < mg->nsegs; i++) {
		odsi_vseg_unref(mg->segs[i]);
		free(mg->dead[i]);
	}
	free(mg->segs);
	free(mg->dead);
	free(mg->from_seg);
	free(mg->from_slot);
	gather_fini(&mg->a);
}

/* wmu held: take the published segments (all, or the flat ones). */
static int
merge_take(struct ods_vec *v, int all, struct merge *mg)
{
	size_t	i, words, n = 0, flat = 0, dead = 0;

	for (i = 0; i < v->cur.n; i++) {
		if (!all && v->cur.s[i].seg->kind != VSEG_FLAT)
			continue;
		n++;
		flat += v->cur.s[i].seg->kind == VSEG_FLAT;
		dead += v->cur.s[i].ndead;
	}
	/* One graph without tombstones is merged already. */
	if (n == 0 || (n == 1 && flat == 0 && dead == 0))
		return 0;
	mg->segs = ods_xcalloc(n, sizeof(*mg->segs));
	mg->dead = ods_xcalloc(n, sizeof(*mg->dead));
	for (i = 0; i < v->cur.n; i++) {
		if (!all && v->cur.s[i].seg->kind != VSEG_FLAT)
			continue;
		odsi_vseg_ref(v->cur.s[i].seg);
		mg->segs[mg->nsegs] = v->cur.s[i].seg;
		words = VBITS_WORDS(v->cur.s[i].seg->n) + 1;
		mg->dead[mg->nsegs] = ods_xmalloc(words * sizeof(uint64_t));
		memcpy(mg->dead[mg->nsegs], v->cur.s[i].dead,
		    words * sizeof(uint64_t));
		mg->nsegs++;
	}
	mg->fno = v->next_file++;
	v->merging = 1;
	v->merge_fno = mg->fno;
	return 1;
}

/* No lock: the live items of the snapshot into one set of arrays. */
static enum ods_err
merge_gather(const struct ods_vec *v, struct merge *mg)
{
	const struct vseg	*s;
	size_t			 i, n = 0;
	uint32_t		 j;

	for (i = 0; i < mg->nsegs; i++)
		for (j = 0; j < mg->segs[i]->n; j++)
			n += !VBIT_GET(mg->dead[i], j);
	if (n >= UINT32_MAX)
		return ODS_ETOOBIG;
	mg->a.ids = malloc((n + 1) * sizeof(int64_t));
	mg->a.docs = malloc((n + 1) * sizeof(int64_t));
	mg->a.kbs = malloc((n + 1) * sizeof(int64_t));
	mg->a.vecs = malloc((n + 1) * v->p.dim * sizeof(float));
	mg->from_seg = malloc((n + 1) * sizeof(uint32_t));
	mg->from_slot = malloc((n + 1) * sizeof(uint32_t));
	if (mg->a.ids == NULL || mg->a.docs == NULL || mg->a.kbs == NULL ||
	    mg->a.vecs == NULL || mg->from_seg == NULL ||
	    mg->from_slot == NULL)
		return ODS_ENOMEM;
	for (i = 0; i < mg->nsegs; i++) {
		s = mg->segs[i];
		for (j = 0; j < s->n; j++) {
			if (VBIT_GET(mg->dead[i], j))
				continue;
			mg->from_seg[mg->a.n] = (uint32_t)i;
			mg->from_slot[mg->a.n] = j;
			gather_seg_one(&mg->a, s, j);
		}
	}
	return ODS_OK;
}

/*
 * wmu held: put the new segment seg in place of the taken ones, with the
 * tombstones set since they were taken, and publish. Items added since
 * are in the growing segment or newer segments, which stay.
 */
static enum ods_err
merge_swap(struct ods_vec *v, struct merge *mg, struct vseg *seg)
{
	struct gseg	*ns, *old;
	struct vident	*e;
	char		*take;
	size_t		 i, k, n = 0, nold = v->cur.n;
	enum ods_err	 er;
	uint32_t	 j;

	/* The growing segment and new tombstones first: a plain commit. */
	if (v->dirty) {
		take = ods_xcalloc(v->cur.n + 1, 1);
		er = replace(v, take, 0);
		free(take);
		if (er != ODS_OK)
			return er;
		nold = v->cur.n;
	}
	old = v->cur.s;
	ns = ods_xcalloc(nold + 2, sizeof(*ns));
	for (j = 0; seg != NULL && j < seg->n; j++) {
		if (j == 0)
			ns[n].dead = ods_xcalloc(VBITS_WORDS(seg->n) + 1, 8);
		ns[n].seg = seg;
		for (k = 0; k < nold; k++)
			if (old[k].seg == mg->segs[mg->from_seg[j]])
				break;
		/* Gone or tombstoned since it was taken: dead here too. */
		if (k == nold || VBIT_GET(old[k].dead, mg->from_slot[j])) {
			VBIT_SET(ns[n].dead, j);
			ns[n].ndead++;
		}
	}
	n += seg != NULL;
	for (i = 0; i < nold; i++) {
		for (k = 0; k < mg->nsegs; k++)
			if (old[i].seg == mg->segs[k])
				break;
		if (k == mg->nsegs)
			ns[n++] = old[i];
	}
	if ((er = publish_gen(v, ns, n)) != ODS_OK) {
		if (seg != NULL)
			free(ns[0].dead);
		free(ns);
		return er;
	}
	(void)pthread_rwlock_wrlock(&v->lock);
	for (i = 0; i < nold; i++) {
		for (k = 0; k < mg->nsegs; k++)
			if (old[i].seg == mg->segs[k])
				break;
		if (k < mg->nsegs) {
			odsi_vseg_unref(old[i].seg);
			free(old[i].dead);
		}
	}
	free(old);
	v->cur.s = ns;
	v->cur.n = n;
	v->cur.gen = v->next_gen - 1;
	v->cur.seq = v->seq;
	for (j = 0; seg != NULL && j < seg->n; j++) {
		if (VBIT_GET(ns[0].dead, j))
			continue;
		e = idmap_get(&v->map, seg->ids[j]);
		if (e != NULL && e->ref ==
		    (uint32_t)mg->segs[mg->from_seg[j]]->file_no &&
		    e->slot == mg->from_slot[j]) {
			e->ref = (uint32_t)seg->file_no;
			e->slot = j;
		}
	}
	(void)pthread_rwlock_unlock(&v->lock);
	return ODS_OK;
}

enum ods_err
ods_vec_merge(struct ods_vec *v, int all, int *merged)
{
	struct merge		 mg;
	struct odsi_vhnsw_build	 b;
	struct vseg_src		 src;
	struct vseg		*seg = NULL;
	enum ods_err		 er;
	int			 took, written = 0;

	if (merged != NULL)
		*merged = 0;
	if (!v->writer)
		return ODS_EINVAL;
	if (__atomic_load_n(&v->merge_stop, __ATOMIC_RELAXED))
		return ODS_EUNAVAIL;
	memset(&mg, 0, sizeof(mg));
	(void)pthread_mutex_lock(&v->wmu);
	took = !v->merging && v->next_file < VGROW_REF &&
	    merge_take(v, all, &mg);
	(void)pthread_mutex_unlock(&v->wmu);
	if (!took)
		return ODS_OK;
	memset(&b, 0, sizeof(b));
	er = merge_gather(v, &mg);
	if (er == ODS_OK && mg.a.n > 0) {
		b.n = mg.a.n, b.dim = v->p.dim, b.metric = v->p.metric;
		b.m = v->p.m, b.efc = v->p.ef_construction;
		b.vecs = mg.a.vecs;
		b.cancel = &v->merge_stop;
		er = odsi_vhnsw_build(&b, mg.fno);
	}
	if (er == ODS_OK && mg.a.n > 0) {
		memset(&src, 0, sizeof(src));
		src.kind = VSEG_HNSW;
		src.dim = v->p.dim, src.metric = v->p.metric, src.n = mg.a.n;
		src.ids = mg.a.ids, src.docs = mg.a.docs, src.kbs = mg.a.kbs;
		src.vecs = mg.a.vecs;
		src.g = &b;
		er = odsi_vfile_write_seg(v->dirfd, mg.fno, &src);
		written = er == ODS_OK;
	}
	odsi_vhnsw_build_free(&b);
	if (er == ODS_OK && mg.a.n > 0)
		er = odsi_vfile_map_seg(v->dirfd, mg.fno, v->p.dim, v->p.metric,
		    &seg);
	(void)pthread_mutex_lock(&v->wmu);
	/* Nothing live was taken: the segments just go (seg stays NULL). */
	if (er == ODS_OK)
		er = merge_swap(v, &mg, seg);
	v->merging = 0;
	v->merge_fno = 0;
	(void)pthread_mutex_unlock(&v->wmu);
	if (er != ODS_OK) {
		/* The taken segments stay; the new file goes. */
		odsi_vseg_unref(seg);
		if (written)
			odsi_vfile_drop_seg(v->dirfd, mg.fno);
		if (er != ODS_EUNAVAIL)
			ods_log(ODS_LOG_WARN, "vec_merge_failed dir=%s err=%s",
			    v->dir, ods_err_slug(er));
	} else if (merged != NULL)
		*merged = 1;
	merge_fini(&mg);
	return er;
}

void
ods_vec_merge_cancel(struct ods_vec *v)
{
	__atomic_store_n(&v->merge_stop, 1, __ATOMIC_RELAXED);
}
