/*
 * lib/metrics/ods_metrics.c — the shared registry: families, the mapping, series
 * interning, updates, bind and retire. Rendering is ods_metrics_render.c;
 * the standard families and the convenience calls are ods_metrics_std.c.
 *
 * Series interning is an open-addressing table per family in the shared
 * mapping. A process claims an empty entry with a CAS (EMPTY -> BUSY,
 * with its slot as owner), writes the label values, then publishes the
 * entry (READY, with 32 bits of the hash) with a release store. Readers
 * never pass a BUSY entry without knowing its key, so two processes can
 * never publish the same label set twice. An entry whose claimer died
 * while BUSY is marked DEAD by ods_metrics_retire() and skipped.
 */
#include "config.h"

#include <sys/mman.h>

#include <errno.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "metrics/ods_metrics.h"
#include "metrics/ods_metrics_int.h"
#include "core/ods_time.h"

#define MAGIC		0x316d6574736f64ULL	/* "odstem1" */
#define EXTRA_MAX	64
#define SERIES_MAX	65536u
#define MAP_MAX		((size_t)1 << 38)
#define WAIT_SPINS	200
#define WAIT_SLEEPS	2000			/* x 50 us: 100 ms */

struct ods_metrics	*ods_m_cur;
unsigned		 ods_m_slot;

static struct ods_metrics_def	extra[EXTRA_MAX];
static double			extra_bounds[EXTRA_MAX][ODS_METRICS_BUCKETS_MAX];
static unsigned			nextra;

/* ---- small atomic helpers ---- */

double
odsi_m_dload(const uint64_t *p)
{
	uint64_t	u = __atomic_load_n(p, __ATOMIC_RELAXED);
	double		d;

	memcpy(&d, &u, sizeof(d));
	return d;
}

void
odsi_m_dstore(uint64_t *p, double d)
{
	uint64_t	u;

	memcpy(&u, &d, sizeof(u));
	__atomic_store_n(p, u, __ATOMIC_RELAXED);
}

void
odsi_m_dadd(uint64_t *p, double v)
{
	uint64_t	old, nw;
	double		d;

	old = __atomic_load_n(p, __ATOMIC_RELAXED);
	do {
		memcpy(&d, &old, sizeof(d));
		d += v;
		memcpy(&nw, &d, sizeof(nw));
	} while (!__atomic_compare_exchange_n(p, &old, nw, 1,
	    __ATOMIC_RELAXED, __ATOMIC_RELAXED));
}

/* ---- family definitions ---- */

static int
valid_name(const char *s, int colon)
{
	size_t	i;

	if (s == NULL || s[0] == '\0' || strlen(s) > 120)
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || s[i] == '_' || (colon && s[i] == ':'))
			continue;
		if (i > 0 && s[i] >= '0' && s[i] <= '9')
			continue;
		return 0;
	}
	return 1;
}

static unsigned
count_labels(const struct ods_metrics_def *d)
{
	unsigned	n;

	for (n = 0; n < ODS_METRICS_LABELS_MAX && d->labels[n] != NULL; n++)
		;
	return n;
}

static int
valid_labels(const struct ods_metrics_def *d)
{
	unsigned	i, j, n = count_labels(d);

	for (i = 0; i < n; i++) {
		if (!valid_name(d->labels[i], 0) ||
		    strncmp(d->labels[i], "__", 2) == 0)
			return 0;
		if (d->type == ODS_METRICS_HISTOGRAM &&
		    strcmp(d->labels[i], "le") == 0)
			return 0;
		for (j = 0; j < i; j++)
			if (strcmp(d->labels[i], d->labels[j]) == 0)
				return 0;
	}
	return 1;
}

static int
valid_buckets(const struct ods_metrics_def *d)
{
	size_t	i;

	if (d->type != ODS_METRICS_HISTOGRAM)
		return 1;
	if (d->buckets == NULL || d->nbuckets == 0 ||
	    d->nbuckets > ODS_METRICS_BUCKETS_MAX)
		return 0;
	for (i = 0; i < d->nbuckets; i++) {
		if (!isfinite(d->buckets[i]))
			return 0;
		if (i > 0 && d->buckets[i] <= d->buckets[i - 1])
			return 0;
	}
	return 1;
}

static int
valid_def(const struct ods_metrics_def *d)
{
	size_t	n;

	if (!valid_name(d->name, 1) || d->help == NULL ||
	    d->max_series == 0 || d->max_series > SERIES_MAX)
		return 0;
	if (d->type != ODS_METRICS_COUNTER && d->type != ODS_METRICS_GAUGE &&
	    d->type != ODS_METRICS_HISTOGRAM)
		return 0;
	if (d->mode != ODS_METRICS_LIVESUM && d->mode != ODS_METRICS_MOSTRECENT)
		return 0;
	n = strlen(d->name);
	/* promtool's lint: counters end in _total, nothing else does. */
	if ((d->type == ODS_METRICS_COUNTER) !=
	    (n > 6 && strcmp(d->name + n - 6, "_total") == 0))
		return 0;
	return valid_labels(d) && valid_buckets(d);
}

static int
name_taken(const char *name)
{
	unsigned	i;

	for (i = 0; i < ODS_M__STD; i++)
		if (strcmp(ods_m_std[i].name, name) == 0)
			return 1;
	for (i = 0; i < nextra; i++)
		if (strcmp(extra[i].name, name) == 0)
			return 1;
	return 0;
}

enum ods_err
ods_metrics_register(const struct ods_metrics_def *d, unsigned *id)
{
	struct ods_metrics_def	*x;
	unsigned		 i;

	if (d == NULL || id == NULL || !valid_def(d))
		return ODS_EINVAL;
	if (name_taken(d->name))
		return ODS_ECONFLICT;
	if (nextra == EXTRA_MAX)
		return ODS_ETOOBIG;
	x = &extra[nextra];
	*x = *d;
	x->name = ods_xstrdup(d->name);
	x->help = ods_xstrdup(d->help);
	for (i = 0; i < count_labels(d); i++)
		x->labels[i] = ods_xstrdup(d->labels[i]);
	if (d->type == ODS_METRICS_HISTOGRAM) {
		memcpy(extra_bounds[nextra], d->buckets,
		    d->nbuckets * sizeof(double));
		x->buckets = extra_bounds[nextra];
	} else {
		x->buckets = NULL;
		x->nbuckets = 0;
	}
	*id = ODS_M__STD + nextra++;
	return ODS_OK;
}

/* ---- layout ---- */

static size_t
align(size_t n)
{
	return (n + ODS_M_LINE - 1) & ~(size_t)(ODS_M_LINE - 1);
}

/* Shortest text that reads back as the same double ("0.005", "10"). */
static void
format_le(char *dst, size_t sz, double v)
{
	int	prec;

	if (v == floor(v) && fabs(v) < 1e15) {
		snprintf(dst, sz, "%.0f", v);
		return;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(dst, sz, "%.*g", prec, v);
		if (strtod(dst, NULL) == v)
			return;
	}
}

static void
fam_init(struct ods_m_fam *f, const struct ods_metrics_def *d)
{
	unsigned	i, cap;

	memset(f, 0, sizeof(*f));
	f->name = ods_xstrdup(d->name);
	f->help = ods_xstrdup(d->help);
	f->type = d->type;
	f->mode = d->type == ODS_METRICS_GAUGE ? d->mode : ODS_METRICS_LIVESUM;
	f->nlabels = count_labels(d);
	for (i = 0; i < f->nlabels; i++)
		f->labels[i] = ods_xstrdup(d->labels[i]);
	f->nbuckets = d->type == ODS_METRICS_HISTOGRAM ? d->nbuckets : 0;
	for (i = 0; i < f->nbuckets; i++) {
		f->bounds[i] = d->buckets[i];
		format_le(f->le[i], sizeof(f->le[i]), d->buckets[i]);
	}
	/* Load factor at most 3/4 keeps probe chains short. */
	f->limit = d->max_series;
	for (cap = 8; cap < f->limit + f->limit / 3 + 1; cap *= 2)
		;
	f->cap = cap;
	if (f->type == ODS_METRICS_HISTOGRAM)
		f->ncells = f->nbuckets + 2;
	else if (f->type == ODS_METRICS_GAUGE && f->mode != ODS_METRICS_LIVESUM)
		f->ncells = 2;		/* value, stamp of the last set */
	else
		f->ncells = 1;
}

static size_t
layout(struct ods_metrics *m)
{
	struct ods_m_fam	*f;
	size_t			 off, voff;
	unsigned		 i;

	off = align(sizeof(struct shm_head));
	m->slots_off = off;
	off += align((size_t)(m->nslots + 1) * sizeof(struct shm_slot));
	voff = 0;
	for (i = 0; i < m->nfam; i++) {
		f = &m->fam[i];
		f->head_off = off;
		off += align(sizeof(struct shm_famhead));
		f->words_off = off;
		off += align((size_t)f->cap * sizeof(uint64_t));
		f->ents_off = off;
		off += align((size_t)f->cap * sizeof(struct shm_entry));
		f->val_off = voff;
		voff += align((size_t)(f->cap + 1) * f->ncells *
		    sizeof(uint64_t));
	}
	m->vals_off = (off + 4095) & ~(size_t)4095;
	m->slot_stride = (voff + 4095) & ~(size_t)4095;
	if (m->slot_stride > MAP_MAX / (m->nslots + 1))
		return 0;
	return m->vals_off + m->slot_stride * (m->nslots + 1);
}

static void
fams_free(struct ods_metrics *m)
{
	unsigned	i, j;

	for (i = 0; i < m->nfam; i++) {
		free(m->fam[i].name);
		free(m->fam[i].help);
		for (j = 0; j < m->fam[i].nlabels; j++)
			free(m->fam[i].labels[j]);
	}
	free(m->fam);
}

/* Series of label-less families exist from the start, at 0. */
static void
seed(struct ods_metrics *m)
{
	const char	*info[2];
	struct ods_m_key k;
	uint32_t	 sid;
	unsigned	 i;

	for (i = 0; i < m->nfam; i++) {
		if (m->fam[i].nlabels != 0)
			continue;
		if (odsi_m_key_make(&k, 0, NULL) == ODS_OK)
			(void)odsi_m_lookup(m, i, &k, &sid);
	}
	info[0] = m->service;
	info[1] = PACKAGE_VERSION;
	(void)odsi_m_update(m, m->nslots, ODS_M_BUILD_INFO, ODS_M_SET, info, 1);
}

struct ods_metrics *
ods_metrics_new(const char *service, unsigned nslots)
{
	struct ods_metrics	*m;
	struct shm_head		*h;
	unsigned		 i;
	void			*p;

	if (service == NULL || nslots == 0 || nslots > ODS_METRICS_SLOTS_MAX) {
		ods_log(ODS_LOG_ERR, "metrics_new bad_args nslots=%u", nslots);
		return NULL;
	}
	m = ods_xcalloc(1, sizeof(*m));
	m->service = ods_xstrdup(service);
	m->nslots = nslots;
	m->listen_fd = -1;
	m->nfam = ODS_M__STD + nextra;
	m->fam = ods_xcalloc(m->nfam, sizeof(*m->fam));
	for (i = 0; i < m->nfam; i++)
		fam_init(&m->fam[i], i < ODS_M__STD ? &ods_m_std[i] :
		    &extra[i - ODS_M__STD]);
	m->size = layout(m);
	p = m->size == 0 ? MAP_FAILED : mmap(NULL, m->size,
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		ods_log(ODS_LOG_ERR | ODS_LOG_ERRNO, "metrics_mmap bytes=%zu",
		    m->size);
		fams_free(m);
		free(m->service);
		free(m);
		return NULL;
	}
	m->base = p;
	h = p;
	h->magic = MAGIC;
	h->nslots = nslots;
	h->nfam = m->nfam;
	ods_m_cur = m;
	ods_m_slot = nslots;
	seed(m);
	return m;
}

void
ods_metrics_free(struct ods_metrics *m)
{
	if (m == NULL)
		return;
	if (ods_m_cur == m)
		ods_m_cur = NULL;
	munmap(m->base, m->size);
	fams_free(m);
	free(m->service);
	free(m);
}

unsigned
ods_metrics_nslots(const struct ods_metrics *m)
{
	return m->nslots;
}

enum ods_err
ods_metrics_bind(struct ods_metrics *m, unsigned slot)
{
	struct shm_slot	*s;
	pid_t		 old;

	if (m == NULL || slot >= m->nslots)
		return ODS_EINVAL;
	s = odsi_m_slotp(m, slot);
	old = __atomic_load_n(&s->pid, __ATOMIC_RELAXED);
	if (old != 0 && old != getpid() && kill(old, 0) == 0)
		ods_log(ODS_LOG_WARN, "metrics_bind_slot_in_use slot=%u pid=%d",
		    slot, (int)old);
	ods_m_cur = m;
	ods_m_slot = slot;
	__atomic_store_n(&s->active, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->pid, (int32_t)getpid(), __ATOMIC_RELAXED);
	__atomic_store_n(&s->live, 1, __ATOMIC_RELEASE);
	return ODS_OK;
}

/* ---- label sets ---- */

enum ods_err
odsi_m_key_make(struct ods_m_key *k, unsigned n, const char *const *vals)
{
	uint64_t	h = 0xcbf29ce484222325ULL;	/* FNV-1a */
	size_t		len = 0, l;
	unsigned	i;

	for (i = 0; i < n; i++) {
		if (vals == NULL || vals[i] == NULL)
			return ODS_EINVAL;
		l = strlen(vals[i]) + 1;
		if (l > sizeof(k->buf) - len)
			return ODS_ETOOBIG;
		memcpy(k->buf + len, vals[i], l);
		len += l;
	}
	for (l = 0; l < len; l++)
		h = (h ^ (unsigned char)k->buf[l]) * 0x100000001b3ULL;
	k->hash = h ^ (h >> 29);
	k->len = len;
	return ODS_OK;
}

static int
valid_utf8(const unsigned char *s, size_t n)
{
	size_t		i = 0, k, need;
	uint32_t	c;

	while (i < n) {
		c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			need = 1, c &= 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			need = 2, c &= 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			need = 3, c &= 0x07;
		else
			return 0;
		if (n - i <= need)
			return 0;
		for (k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			c = (c << 6) | (s[i + k] & 0x3f);
		}
		if ((need == 2 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff)))
		    || (need == 3 && (c < 0x10000 || c > 0x10ffff)))
			return 0;
		i += need + 1;
	}
	return 1;
}

/* Wait for a claimed entry to be published; bounded, never a hang. */
static enum ods_err
wait_ready(const uint64_t *w)
{
	struct timespec	ts = { 0, 50000 };
	unsigned	i;

	for (i = 0; i < WAIT_SPINS + WAIT_SLEEPS; i++) {
		if (ODS_M_STATE(__atomic_load_n(w, __ATOMIC_ACQUIRE)) !=
		    ODS_M_BUSY)
			return ODS_OK;
		if (i < WAIT_SPINS)
			sched_yield();
		else
			nanosleep(&ts, NULL);
	}
	return ODS_ETIMEOUT;
}

/* ODS_OK: claimed and published; ODS_ECONFLICT: lost the race. */
static enum ods_err
claim(struct ods_metrics *m, struct ods_m_fam *f, unsigned i,
    const struct ods_m_key *k)
{
	struct shm_famhead	*fh = odsi_m_fhead(m, f);
	struct shm_entry	*e = &odsi_m_ents(m, f)[i];
	uint64_t		*w = &odsi_m_words(m, f)[i], exp = 0, des;

	if (!valid_utf8((const unsigned char *)k->buf, k->len))
		return ODS_EINVAL;
	if (__atomic_add_fetch(&fh->nused, 1, __ATOMIC_RELAXED) > f->limit) {
		__atomic_sub_fetch(&fh->nused, 1, __ATOMIC_RELAXED);
		return ODS_ENOSPC;
	}
	des = ODS_M_BUSY | ((uint64_t)(ods_m_slot + 1) << 8);
	if (!__atomic_compare_exchange_n(w, &exp, des, 0, __ATOMIC_ACQUIRE,
	    __ATOMIC_ACQUIRE)) {
		__atomic_sub_fetch(&fh->nused, 1, __ATOMIC_RELAXED);
		return ODS_ECONFLICT;
	}
	e->len = (uint16_t)k->len;
	memcpy(e->vals, k->buf, k->len);
	__atomic_store_n(w, (k->hash >> 32 << 32) | ODS_M_READY,
	    __ATOMIC_RELEASE);
	return ODS_OK;
}

static void
overflowed(struct ods_metrics *m, unsigned fi, enum ods_err why)
{
	struct ods_m_fam	*f = &m->fam[fi];
	const char		*lv[1];

	__atomic_store_n(&odsi_m_fhead(m, f)->overflowed, 1, __ATOMIC_RELAXED);
	if (!__atomic_exchange_n(&f->logged, 1, __ATOMIC_RELAXED))
		ods_log(ODS_LOG_WARN, "metrics_series_overflow family=%s "
		    "max_series=%u reason=%s", f->name, f->limit,
		    ods_err_slug(why));
	if (fi == ODS_M_SERIES_OVERFLOW)
		return;
	lv[0] = f->name;
	(void)odsi_m_update(m, ods_m_slot, ODS_M_SERIES_OVERFLOW, ODS_M_ADD,
	    lv, 1);
}

static int
same(const struct shm_entry *e, const struct ods_m_key *k)
{
	return e->len == k->len && memcmp(e->vals, k->buf, k->len) == 0;
}

enum ods_err
odsi_m_lookup(struct ods_metrics *m, unsigned fi, const struct ods_m_key *k,
    uint32_t *sid)
{
	struct ods_m_fam	*f = &m->fam[fi];
	uint64_t		*words = odsi_m_words(m, f), w;
	uint32_t		 h32 = (uint32_t)(k->hash >> 32);
	unsigned		 mask = f->cap - 1, i, n;
	enum ods_err		 er = ODS_ENOSPC;

	i = (unsigned)k->hash & mask;
	for (n = 0; n < f->cap; ) {
		w = __atomic_load_n(&words[i], __ATOMIC_ACQUIRE);
		switch (ODS_M_STATE(w)) {
		case ODS_M_READY:
			if ((uint32_t)(w >> 32) == h32 &&
			    same(&odsi_m_ents(m, f)[i], k)) {
				*sid = i;
				return ODS_OK;
			}
			break;
		case ODS_M_EMPTY:
			er = claim(m, f, i, k);
			if (er == ODS_OK) {
				*sid = i;
				return ODS_OK;
			}
			if (er == ODS_ECONFLICT)
				continue;	/* look at entry i again */
			goto full;
		case ODS_M_BUSY:
			if ((er = wait_ready(&words[i])) != ODS_OK)
				goto full;
			continue;
		default:
			break;
		}
		n++;
		i = (i + 1) & mask;
	}
full:
	overflowed(m, fi, er);
	*sid = f->cap;
	return er == ODS_EINVAL ? ODS_EINVAL : ODS_ENOSPC;
}

/* ---- updates ---- */

uint32_t
odsi_m_sid(struct ods_metrics *m, unsigned fi, const struct ods_m_key *k,
    enum ods_err ker, enum ods_err *er)
{
	uint32_t	sid;

	if (ker != ODS_OK) {
		overflowed(m, fi, ker);
		*er = ODS_EINVAL;
		return m->fam[fi].cap;
	}
	*er = odsi_m_lookup(m, fi, k, &sid);
	return sid;
}

/* One update of series sid, written to slot; v already checked. */
void
odsi_m_apply(struct ods_metrics *m, unsigned slot, unsigned fi,
    enum ods_m_op op, uint32_t sid, double v)
{
	struct ods_m_fam	*f = &m->fam[fi];
	uint64_t		*c = odsi_m_cells(m, f, slot, sid);
	unsigned		 b;

	switch (op) {
	case ODS_M_ADD:
		odsi_m_dadd(c, v);
		break;
	case ODS_M_SET:
		odsi_m_dstore(c, v);
		if (f->mode != ODS_METRICS_LIVESUM)
			__atomic_store_n(&c[1], ods_now_ns() + 1, __ATOMIC_RELEASE);
		break;
	case ODS_M_OBSERVE:
		for (b = 0; b < f->nbuckets && v > f->bounds[b]; b++)
			;
		__atomic_fetch_add(&c[b], 1, __ATOMIC_RELAXED);
		odsi_m_dadd(&c[f->nbuckets + 1], v);
		break;
	}
}

/* Is op with value v allowed on family fi? */
int
odsi_m_allowed(const struct ods_metrics *m, unsigned fi, enum ods_m_op op,
    double v)
{
	const struct ods_m_fam	*f;

	if (m == NULL || fi >= m->nfam || isnan(v))
		return 0;
	f = &m->fam[fi];
	switch (op) {
	case ODS_M_ADD:
		if (f->type == ODS_METRICS_COUNTER)
			return v >= 0 && !isinf(v);
		return f->type == ODS_METRICS_GAUGE &&
		    f->mode == ODS_METRICS_LIVESUM && !isinf(v);
	case ODS_M_SET:
		return f->type == ODS_METRICS_GAUGE;
	case ODS_M_OBSERVE:
		return f->type == ODS_METRICS_HISTOGRAM;
	}
	return 0;
}

enum ods_err
odsi_m_update(struct ods_metrics *m, unsigned slot, unsigned fi,
    enum ods_m_op op, const char *const *lv, double v)
{
	struct ods_m_key	 k;
	enum ods_err		 ker, er;
	uint32_t		 sid;

	if (m == NULL)
		return ODS_OK;
	if (!odsi_m_allowed(m, fi, op, v))
		return ODS_EINVAL;
	ker = odsi_m_key_make(&k, m->fam[fi].nlabels, lv);
	sid = odsi_m_sid(m, fi, &k, ker, &er);
	odsi_m_apply(m, slot, fi, op, sid, v);
	return er;
}

enum ods_err
ods_metrics_series(unsigned fi, const char *const *lv, uint32_t *sid)
{
	struct ods_metrics	*m = ods_m_cur;
	struct ods_m_key	 k;
	enum ods_err		 ker, er;

	if (m == NULL || fi >= m->nfam || sid == NULL)
		return ODS_EINVAL;
	ker = odsi_m_key_make(&k, m->fam[fi].nlabels, lv);
	*sid = odsi_m_sid(m, fi, &k, ker, &er);
	return er;
}

static void
apply_id(unsigned fi, uint32_t sid, enum ods_m_op op, double v)
{
	struct ods_metrics	*m = ods_m_cur;

	if (!odsi_m_allowed(m, fi, op, v) || sid > m->fam[fi].cap)
		return;
	odsi_m_apply(m, ods_m_slot, fi, op, sid, v);
}

void
ods_metrics_counter_add_id(unsigned fi, uint32_t sid, double v)
{
	if (ods_m_cur != NULL && fi < ods_m_cur->nfam &&
	    ods_m_cur->fam[fi].type == ODS_METRICS_COUNTER)
		apply_id(fi, sid, ODS_M_ADD, v);
}

void
ods_metrics_gauge_set_id(unsigned fi, uint32_t sid, double v)
{
	apply_id(fi, sid, ODS_M_SET, v);
}

void
ods_metrics_gauge_add_id(unsigned fi, uint32_t sid, double v)
{
	if (ods_m_cur != NULL && fi < ods_m_cur->nfam &&
	    ods_m_cur->fam[fi].type == ODS_METRICS_GAUGE)
		apply_id(fi, sid, ODS_M_ADD, v);
}

void
ods_metrics_observe_id(unsigned fi, uint32_t sid, double v)
{
	apply_id(fi, sid, ODS_M_OBSERVE, v);
}

enum ods_err
ods_metrics_counter_add(unsigned fi, const char *const *lv, double v)
{
	if (ods_m_cur != NULL && fi < ods_m_cur->nfam &&
	    ods_m_cur->fam[fi].type != ODS_METRICS_COUNTER)
		return ODS_EINVAL;
	return odsi_m_update(ods_m_cur, ods_m_slot, fi, ODS_M_ADD, lv, v);
}

enum ods_err
ods_metrics_gauge_set(unsigned fi, const char *const *lv, double v)
{
	return odsi_m_update(ods_m_cur, ods_m_slot, fi, ODS_M_SET, lv, v);
}

enum ods_err
ods_metrics_gauge_add(unsigned fi, const char *const *lv, double v)
{
	if (ods_m_cur != NULL && fi < ods_m_cur->nfam &&
	    ods_m_cur->fam[fi].type != ODS_METRICS_GAUGE)
		return ODS_EINVAL;
	return odsi_m_update(ods_m_cur, ods_m_slot, fi, ODS_M_ADD, lv, v);
}

enum ods_err
ods_metrics_observe(unsigned fi, const char *const *lv, double v)
{
	return odsi_m_update(ods_m_cur, ods_m_slot, fi, ODS_M_OBSERVE, lv, v);
}

/* ---- retire ---- */

/* MOSTRECENT: keep the dead worker's value if it is the newer one. */
static void
fold_gauge(uint64_t *dst, uint64_t *src)
{
	if (src[1] > __atomic_load_n(&dst[1], __ATOMIC_ACQUIRE)) {
		__atomic_store_n(&dst[0], src[0], __ATOMIC_RELAXED);
		__atomic_store_n(&dst[1], src[1], __ATOMIC_RELEASE);
	}
}

static void
fold(const struct ods_m_fam *f, uint64_t *dst, uint64_t *src)
{
	unsigned	c;

	switch (f->type) {
	case ODS_METRICS_COUNTER:
		odsi_m_dadd(dst, odsi_m_dload(src));
		break;
	case ODS_METRICS_HISTOGRAM:
		for (c = 0; c <= f->nbuckets; c++)
			__atomic_fetch_add(&dst[c], src[c], __ATOMIC_RELAXED);
		odsi_m_dadd(&dst[f->nbuckets + 1],
		    odsi_m_dload(&src[f->nbuckets + 1]));
		break;
	case ODS_METRICS_GAUGE:
		if (f->mode == ODS_METRICS_MOSTRECENT)
			fold_gauge(dst, src);
		break;
	}
	for (c = 0; c < f->ncells; c++)
		__atomic_store_n(&src[c], 0, __ATOMIC_RELAXED);
}

static void
retire_family(struct ods_metrics *m, struct ods_m_fam *f, unsigned slot)
{
	uint64_t	*words = odsi_m_words(m, f), w;
	unsigned	 i;

	for (i = 0; i < f->cap; i++) {
		w = __atomic_load_n(&words[i], __ATOMIC_ACQUIRE);
		if (ODS_M_STATE(w) == ODS_M_READY)
			fold(f, odsi_m_cells(m, f, m->nslots, i),
			    odsi_m_cells(m, f, slot, i));
		else if (ODS_M_STATE(w) == ODS_M_BUSY &&
		    ODS_M_OWNER(w) == slot + 1)
			(void)__atomic_compare_exchange_n(&words[i], &w,
			    ODS_M_DEAD, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED);
	}
	fold(f, odsi_m_cells(m, f, m->nslots, f->cap),
	    odsi_m_cells(m, f, slot, f->cap));
}

enum ods_err
ods_metrics_retire(struct ods_metrics *m, unsigned slot)
{
	struct shm_head	*h;
	struct shm_slot	*s;
	uint64_t	 seq;
	unsigned	 i;

	if (m == NULL || slot >= m->nslots)
		return ODS_EINVAL;
	h = (struct shm_head *)(void *)m->base;
	s = odsi_m_slotp(m, slot);
	seq = __atomic_load_n(&h->seq, __ATOMIC_RELAXED);
	__atomic_store_n(&h->seq, seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&s->live, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->active, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->pid, 0, __ATOMIC_RELAXED);
	for (i = 0; i < m->nfam; i++)
		retire_family(m, &m->fam[i], slot);
	__atomic_store_n(&h->seq, seq + 2, __ATOMIC_RELEASE);
	return ODS_OK;
}
