/*
 * lib/vec/ods_vec.c — collection handles: open (writer or reader), load and
 * switch generations, search and stats. Changes are in ods_vec_write.c,
 * the file formats in ods_vec_file.c, HNSW in ods_vec_hnsw.c and the
 * kernels in ods_vec_kern.c.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "vec/ods_vec.h"
#include "vec/ods_vec_int.h"

#define LOAD_RETRIES	64	/* a writer may unlink what we are opening */

void
ods_vec_params_init(struct ods_vec_params *p, uint32_t dim,
    enum ods_vec_metric metric)
{
	memset(p, 0, sizeof(*p));
	p->dim = dim;
	p->metric = metric;
	p->m = 16;
	p->ef_construction = 200;
	p->ef_search = 64;
	p->seal_threshold = 8192;
}

static int
params_ok(const struct ods_vec_params *p)
{
	return p->dim >= 1 && p->dim <= ODS_VEC_MAX_DIM &&
	    (p->metric == ODS_VEC_COSINE || p->metric == ODS_VEC_IP ||
	    p->metric == ODS_VEC_L2) && p->m >= 2 && p->m <= 256 &&
	    p->ef_construction >= 1 && p->ef_construction <= ODS_VEC_MAX_EF &&
	    p->ef_search >= 1 && p->ef_search <= ODS_VEC_MAX_EF &&
	    p->seal_threshold >= 1;
}

void
odsi_vgen_free(struct vgen *g)
{
	size_t	i;

	for (i = 0; i < g->n; i++) {
		odsi_vseg_unref(g->s[i].seg);
		free(g->s[i].dead);
	}
	free(g->s);
	memset(g, 0, sizeof(*g));
}

static size_t
popcount(const uint64_t *b, size_t words)
{
	size_t	i, n = 0;

	for (i = 0; i < words; i++)
		n += (size_t)__builtin_popcountll(b[i]);
	return n;
}

/* A mapped segment of the current generation, for reuse by file number. */
static struct vseg *
cur_seg(struct ods_vec *v, uint64_t file_no)
{
	size_t	i;

	for (i = 0; i < v->cur.n; i++)
		if (v->cur.s[i].seg->file_no == file_no) {
			odsi_vseg_ref(v->cur.s[i].seg);
			return v->cur.s[i].seg;
		}
	return NULL;
}

/* Map every segment of manifest m into g; takes m's dead bitmaps. */
static enum ods_err
gen_from_man(struct ods_vec *v, struct vman *m, struct vgen *g)
{
	struct vseg	*s;
	enum ods_err	 er;
	uint32_t	 i;

	memset(g, 0, sizeof(*g));
	g->gen = m->gen;
	g->seq = m->seq;
	g->next_file = m->next_file;
	g->s = ods_xcalloc(m->nsegs + 1, sizeof(*g->s));
	for (i = 0; i < m->nsegs; i++) {
		if ((s = cur_seg(v, m->segs[i].file_no)) == NULL &&
		    (er = odsi_vfile_map_seg(v->dirfd, m->segs[i].file_no, m->dim,
		    m->metric, &s)) != ODS_OK) {
			odsi_vgen_free(g);
			return er;
		}
		g->s[g->n].seg = s;
		g->s[g->n].dead = m->segs[i].dead;
		m->segs[i].dead = NULL;
		g->n++;
		if (s->n != m->segs[i].n || s->kind != m->segs[i].kind) {
			odsi_vgen_free(g);
			return ODS_ECORRUPT;
		}
		g->s[g->n - 1].ndead = popcount(g->s[g->n - 1].dead,
		    VBITS_WORDS(s->n));
	}
	return ODS_OK;
}

static void
params_from_man(struct ods_vec_params *p, const struct vman *m)
{
	p->dim = m->dim;
	p->metric = (enum ods_vec_metric)m->metric;
	p->m = m->m;
	p->ef_construction = m->efc;
	p->ef_search = m->ef;
	p->seal_threshold = m->seal;
}

/*
 * Load generation gen into g. ODS_ENOTFOUND means a file vanished (the
 * writer moved on): the caller lists the directory again.
 */
static enum ods_err
load_gen(struct ods_vec *v, uint64_t gen, struct vgen *g, int first)
{
	struct ods_vec_params	p;
	struct vman		m;
	enum ods_err		er;

	if ((er = odsi_vfile_read_man(v->dirfd, gen, &m)) != ODS_OK)
		return er;
	params_from_man(&p, &m);
	if (!params_ok(&p) || (!first && (p.dim != v->p.dim ||
	    p.metric != v->p.metric))) {
		odsi_vman_fini(&m);
		ods_log(ODS_LOG_ERR, "vec_corrupt dir=%s why=params", v->dir);
		return ODS_ECORRUPT;
	}
	if (first)
		v->p = p;
	er = gen_from_man(v, &m, g);
	odsi_vman_fini(&m);
	return er;
}

/*
 * Find the newest generation newer than the current one that loads;
 * corrupt ones are skipped (and reported when nothing newer loads).
 */
static enum ods_err
newest(struct ods_vec *v, struct vgen *g, int *found, uint64_t *maxgen)
{
	uint64_t	*gens = NULL;
	size_t		 n, i, tries;
	enum ods_err	 er = ODS_OK, bad = ODS_OK;

	*found = 0;
	for (tries = 0; tries < LOAD_RETRIES; tries++) {
		if ((er = odsi_vfile_list_gens(v->dirfd, &gens, &n)) != ODS_OK)
			return er;
		*maxgen = n > 0 ? gens[0] : 0;
		bad = ODS_OK;
		for (i = 0; i < n && gens[i] > v->cur.gen; i++) {
			er = load_gen(v, gens[i], g, v->cur.gen == 0);
			if (er == ODS_OK) {
				*found = 1;
				break;
			}
			if (er == ODS_ENOTFOUND)
				break;
			bad = er;
		}
		free(gens);
		if (*found || er != ODS_ENOTFOUND)
			break;
		(void)usleep(1000);
	}
	if (*found && bad != ODS_OK)
		ods_log(ODS_LOG_WARN, "vec_fallback dir=%s gen=%llu", v->dir,
		    (unsigned long long)g->gen);
	if (!*found && (bad != ODS_OK || er == ODS_ENOTFOUND))
		return bad != ODS_OK ? bad : ODS_EUNAVAIL;
	return ODS_OK;
}

static struct ods_vec *
handle_new(const char *dir)
{
	struct ods_vec	*v = ods_xcalloc(1, sizeof(*v));

	v->dir = ods_xstrdup(dir);
	v->dirfd = v->lockfd = -1;
	(void)pthread_rwlock_init(&v->lock, NULL);
	(void)pthread_mutex_init(&v->wmu, NULL);
	odsi_vk_init();
	return v;
}

void
ods_vec_close(struct ods_vec *v)
{
	if (v == NULL)
		return;
	odsi_vw_fini(v);
	odsi_vgen_free(&v->cur);
	if (v->lockfd != -1)
		(void)close(v->lockfd);	/* releases the flock */
	if (v->dirfd != -1)
		(void)close(v->dirfd);
	(void)pthread_rwlock_destroy(&v->lock);
	(void)pthread_mutex_destroy(&v->wmu);
	free(v->dir);
	free(v);
}

enum ods_err
ods_vec_open_reader(const char *dir, struct ods_vec **out)
{
	struct ods_vec	*v;
	enum ods_err	 er;
	uint64_t	 maxgen;
	int		 found;

	*out = NULL;
	if (dir == NULL || *dir == '\0')
		return ODS_EINVAL;
	v = handle_new(dir);
	v->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (v->dirfd == -1) {
		er = odsi_vfile_errno("open_dir", dir);
		ods_vec_close(v);
		return er;
	}
	if ((er = newest(v, &v->cur, &found, &maxgen)) == ODS_OK && !found)
		er = ODS_ENOTFOUND;
	if (er != ODS_OK) {
		ods_vec_close(v);
		return er;
	}
	v->seq = v->cur.seq;
	*out = v;
	return ODS_OK;
}

static enum ods_err
lock_dir(struct ods_vec *v)
{
	v->lockfd = openat(v->dirfd, "LOCK", O_RDWR | O_CREAT | O_CLOEXEC,
	    0644);
	if (v->lockfd == -1)
		return odsi_vfile_errno("open", "LOCK");
	if (flock(v->lockfd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK) {
			/* Expected where processes race to be the writer. */
			ods_log(ODS_LOG_DEBUG, "vec_writer_busy dir=%s", v->dir);
			return ODS_ECONFLICT;
		}
		return odsi_vfile_errno("flock", "LOCK");
	}
	v->writer = 1;
	return ODS_OK;
}

static enum ods_err
writer_load(struct ods_vec *v, const struct ods_vec_params *create)
{
	enum ods_err	er;
	uint64_t	maxgen;
	int		found;

	if ((er = newest(v, &v->cur, &found, &maxgen)) != ODS_OK)
		return er;
	v->next_gen = maxgen + 1;
	if (!found && create == NULL)
		return maxgen > 0 ? ODS_ECORRUPT : ODS_ENOTFOUND;
	if (!found) {
		v->p = *create;
		return ODS_OK;
	}
	if (create != NULL) {
		if (create->dim != v->p.dim || create->metric != v->p.metric) {
			ods_log(ODS_LOG_WARN, "vec_params_differ dir=%s",
			    v->dir);
			return ODS_ECONFLICT;
		}
		v->p = *create;
	}
	return ODS_OK;
}

enum ods_err
ods_vec_open_writer(const char *dir, const struct ods_vec_params *create,
    struct ods_vec **out)
{
	struct ods_vec	*v;
	enum ods_err	 er;

	*out = NULL;
	if (dir == NULL || *dir == '\0' || (create != NULL &&
	    !params_ok(create)))
		return ODS_EINVAL;
	if (create != NULL && mkdir(dir, 0755) == -1 && errno != EEXIST)
		return odsi_vfile_errno("mkdir", dir);
	v = handle_new(dir);
	v->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (v->dirfd == -1)
		er = odsi_vfile_errno("open_dir", dir);
	else if ((er = lock_dir(v)) == ODS_OK &&
	    (er = writer_load(v, create)) == ODS_OK)
		er = odsi_vw_start(v);
	if (er != ODS_OK) {
		ods_vec_close(v);
		return er;
	}
	*out = v;
	return ODS_OK;
}

enum ods_err
ods_vec_refresh(struct ods_vec *v, int *changed)
{
	struct vgen	g, old;
	enum ods_err	er;
	uint64_t	maxgen;
	int		found = 0;

	if (changed != NULL)
		*changed = 0;
	if (v->writer)
		return ODS_OK;
	(void)pthread_mutex_lock(&v->wmu);
	er = newest(v, &g, &found, &maxgen);
	if (er == ODS_OK && found) {
		(void)pthread_rwlock_wrlock(&v->lock);
		old = v->cur;
		v->cur = g;
		v->seq = g.seq;
		(void)pthread_rwlock_unlock(&v->lock);
		odsi_vgen_free(&old);
		if (changed != NULL)
			*changed = 1;
	}
	(void)pthread_mutex_unlock(&v->wmu);
	return er;
}

uint64_t
ods_vec_seq(struct ods_vec *v)
{
	uint64_t	s;

	(void)pthread_rwlock_rdlock(&v->lock);
	s = v->seq;
	(void)pthread_rwlock_unlock(&v->lock);
	return s;
}

void
ods_vec_stats(struct ods_vec *v, struct ods_vec_stats *st)
{
	size_t	i;

	memset(st, 0, sizeof(*st));
	(void)pthread_rwlock_rdlock(&v->lock);
	st->params = v->p;
	st->generation = v->cur.gen;
	st->seq = v->seq;
	st->seq_committed = v->cur.seq;
	for (i = 0; i < v->cur.n; i++) {
		st->live += v->cur.s[i].seg->n - v->cur.s[i].ndead;
		st->dead += v->cur.s[i].ndead;
		if (v->cur.s[i].seg->kind == VSEG_HNSW)
			st->segments_hnsw++;
		else {
			st->segments_flat++;
			st->live_flat += v->cur.s[i].seg->n -
			    v->cur.s[i].ndead;
		}
	}
	st->growing = v->g.n - v->g.ndead;
	st->live += st->growing;
	st->live_flat += st->growing;
	st->dead += v->g.ndead;
	(void)pthread_rwlock_unlock(&v->lock);
	st->isa = odsi_vk_isa();
}

/* Search. */

struct mcand {
	float		 dist;
	uint32_t	 seg;		/* index in cur.s; cur.n: growing */
	uint32_t	 slot;
};

static int
mcand_cmp(const void *a, const void *b)
{
	const struct mcand	*x = a, *y = b;

	if (x->dist != y->dist)
		return x->dist < y->dist ? -1 : 1;
	if (x->seg != y->seg)
		return x->seg < y->seg ? -1 : 1;
	return x->slot < y->slot ? -1 : x->slot > y->slot;
}

static int
i64_cmp(const void *a, const void *b)
{
	int64_t	x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int
vec_finite(const float *x, size_t n, double *norm2)
{
	double	s = 0;
	size_t	i;

	for (i = 0; i < n; i++) {
		if (!isfinite(x[i]))
			return 0;
		s += (double)x[i] * x[i];
	}
	*norm2 = s;
	return isfinite(s);
}

static enum ods_err
query_check(const struct ods_vec *v, const struct ods_vec_query *q)
{
	const struct ods_vec_filter	*f = q->filter;
	double				 n2;

	if (q->vec == NULL || q->k == 0)
		return ODS_EINVAL;
	if (q->k > ODS_VEC_MAX_K || q->ef > ODS_VEC_MAX_EF)
		return ODS_ETOOBIG;
	if (f != NULL && f->ndoc_ids > 65536)
		return ODS_ETOOBIG;
	if (f != NULL && f->ndoc_ids > 0 && f->doc_ids == NULL)
		return ODS_EINVAL;
	if (!vec_finite(q->vec, v->p.dim, &n2) || ((q->flags &
	    ODS_VEC_THRESHOLD) && !isfinite(q->score_threshold)))
		return ODS_EINVAL;
	if (v->p.metric == ODS_VEC_COSINE && n2 == 0)
		return ODS_EINVAL;
	return ODS_OK;
}

/* Worst distance that still passes score >= t; INFINITY: no limit. */
static float
dist_limit(enum ods_vec_metric m, const struct ods_vec_query *q)
{
	float	t = q->score_threshold;

	if (!(q->flags & ODS_VEC_THRESHOLD))
		return INFINITY;
	if (m == ODS_VEC_L2)
		return t <= 0 ? INFINITY : 1.0f / t - 1.0f;
	if (m == ODS_VEC_COSINE && t <= 0)
		return INFINITY;
	return -t;
}

static void
to_hit(enum ods_vec_metric m, const struct vseg *s, uint32_t slot,
    float dist, struct ods_vec_hit *h)
{
	h->id = s->ids[slot];
	h->doc_id = s->docs[slot];
	h->kb_id = s->kbs[slot];
	if (m == ODS_VEC_L2) {
		h->raw = dist;
		h->score = 1.0f / (1.0f + dist);
	} else {
		h->raw = -dist;
		h->score = m == ODS_VEC_COSINE ? (h->raw < 0 ? 0 :
		    h->raw > 1 ? 1 : h->raw) : h->raw;
	}
}

/* A filter on a big HNSW segment that keeps few items: scan those. */
static int
prefer_exact(const struct vseg *g, const struct vsel *sel, size_t k)
{
	size_t		i, match = 0;

	if (sel->filter == NULL)
		return 0;
	for (i = 0; i < g->n; i++)
		match += (size_t)odsi_vsel_ok(sel, g, (uint32_t)i);
	return match <= g->n / 10 || match <= 4 * k;
}

static size_t
seg_search(struct ods_vec *v, const struct vseg *g, const struct vsel *sel,
    const float *q, const struct ods_vec_query *qq, struct vcand *out)
{
	size_t	ef = qq->ef ? qq->ef : v->p.ef_search;

	if (g->kind == VSEG_HNSW && !(qq->flags & ODS_VEC_EXACT) &&
	    !prefer_exact(g, sel, qq->k))
		return odsi_vhnsw_search(g, sel, q, qq->k, ef, out);
	return odsi_vseg_exact(g, sel, q, qq->k, out);
}

static void
grow_view(const struct ods_vec *v, struct vseg *s)
{
	memset(s, 0, sizeof(*s));
	s->kind = VSEG_FLAT;
	s->dim = v->p.dim;
	s->metric = v->p.metric;
	s->n = v->g.n;
	s->ids = v->g.ids;
	s->docs = v->g.docs;
	s->kbs = v->g.kbs;
	s->vecs = v->g.vecs;
}

/* Searches every segment into all[]; returns the count. Read-locked. */
static size_t
search_all(struct ods_vec *v, const float *q, const struct ods_vec_query *qq,
    struct vsel *sel, struct vcand *tmp, struct mcand *all,
    struct vseg *gv)
{
	size_t		 i, j, n, na = 0;
	struct vseg	*s;

	for (i = 0; i <= v->cur.n; i++) {
		if (i < v->cur.n) {
			s = v->cur.s[i].seg;
			sel->dead = v->cur.s[i].ndead ? v->cur.s[i].dead : NULL;
		} else {
			s = gv;
			sel->dead = v->g.ndead ? v->g.dead : NULL;
		}
		n = s->n > 0 ? seg_search(v, s, sel, q, qq, tmp) : 0;
		for (j = 0; j < n; j++, na++) {
			all[na].dist = tmp[j].dist;
			all[na].seg = (uint32_t)i;
			all[na].slot = tmp[j].slot;
		}
	}
	return na;
}

enum ods_err
ods_vec_search(struct ods_vec *v, const struct ods_vec_query *qq,
    struct ods_vec_hit *hits, size_t *nhits)
{
	float		 qbuf[ODS_VEC_MAX_DIM], lim;
	int64_t		*docs = NULL;
	struct vsel	 sel = { NULL, NULL, NULL, 0 };
	struct vcand	*tmp;
	struct mcand	*all;
	struct vseg	 gv;
	enum ods_err	 er;
	size_t		 na, i;
	double		 n2 = 0;

	*nhits = 0;
	if ((er = query_check(v, qq)) != ODS_OK)
		return er;
	memcpy(qbuf, qq->vec, v->p.dim * sizeof(float));
	if (v->p.metric == ODS_VEC_COSINE) {
		(void)vec_finite(qbuf, v->p.dim, &n2);
		for (i = 0; i < v->p.dim; i++)
			qbuf[i] = (float)(qbuf[i] / sqrt(n2));
	}
	if (qq->filter != NULL && qq->filter->ndoc_ids > 0) {
		docs = ods_xmalloc(qq->filter->ndoc_ids * sizeof(*docs));
		memcpy(docs, qq->filter->doc_ids,
		    qq->filter->ndoc_ids * sizeof(*docs));
		qsort(docs, qq->filter->ndoc_ids, sizeof(*docs), i64_cmp);
		sel.docs_sorted = docs;
		sel.ndocs = qq->filter->ndoc_ids;
	}
	sel.filter = qq->filter;
	lim = dist_limit(v->p.metric, qq);
	tmp = ods_xmalloc(qq->k * sizeof(*tmp));
	(void)pthread_rwlock_rdlock(&v->lock);
	all = ods_xmalloc((v->cur.n + 1) * qq->k * sizeof(*all));
	grow_view(v, &gv);
	na = search_all(v, qbuf, qq, &sel, tmp, all, &gv);
	qsort(all, na, sizeof(*all), mcand_cmp);
	for (i = 0; i < na && *nhits < qq->k && all[i].dist <= lim; i++)
		to_hit(v->p.metric, all[i].seg < v->cur.n ?
		    v->cur.s[all[i].seg].seg : &gv, all[i].slot, all[i].dist,
		    &hits[(*nhits)++]);
	(void)pthread_rwlock_unlock(&v->lock);
	free(all);
	free(tmp);
	free(docs);
	return ODS_OK;
}
