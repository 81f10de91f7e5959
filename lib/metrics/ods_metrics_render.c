/*
 * lib/metrics/ods_metrics_render.c — the exposition (text format 0.0.4) of a
 * pool: every slot and the retired slot summed, family by family.
 *
 * Each family is first copied out of the mapping into private memory
 * (a snapshot), inside a seqlock window against ods_metrics_retire():
 * a fold that moves a dead worker's counts into the retired slot while
 * we sum would make us count them twice or not at all, and the next
 * scrape would see a counter go backwards. The window is only the
 * summing; formatting happens afterwards.
 */
#include "config.h"

#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/ods_mem.h"
#include "metrics/ods_metrics.h"
#include "metrics/ods_metrics_int.h"

#define SNAP_TRIES	1000	/* snapshots spoiled by a retire */
#define SEQ_WAITS	100000	/* x 20 us: about 2 s for one retire */
#define LABELS_BUF	2048

struct snap {
	uint32_t	*ids;		/* series rendered, in table order */
	size_t		 nids;
	size_t		 idcap;
	uint64_t	*vals;		/* ncells per id */
	size_t		 valcap;
};

struct out {
	struct ods_buf	*b;
	enum ods_err	 er;
	size_t		 n;
	char		 chunk[16384];
};

/* ---- output ---- */

static void
flush(struct out *o)
{
	if (o->er == ODS_OK && o->n > 0)
		o->er = ods_buf_add(o->b, o->chunk, o->n);
	o->n = 0;
}

static void
put(struct out *o, const char *s, size_t len)
{
	if (o->n + len > sizeof(o->chunk))
		flush(o);
	if (len > sizeof(o->chunk)) {
		if (o->er == ODS_OK)
			o->er = ods_buf_add(o->b, s, len);
		return;
	}
	memcpy(o->chunk + o->n, s, len);
	o->n += len;
}

static void
puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static size_t
fmt_u64(char *dst, uint64_t v)
{
	char	tmp[24];
	size_t	n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (i = 0; i < n; i++)
		dst[i] = tmp[n - 1 - i];
	return n;
}

/*
 * Go's ParseFloat reads all of these; integers print without a point.
 * Other values print with 17 digits, which always read back exactly: a
 * shorter form would need a trial strtod() per value, and the render
 * time would then depend on how round the sums happen to be.
 */
static size_t
fmt_double(char *dst, size_t sz, double v)
{
	if (isnan(v))
		return (size_t)snprintf(dst, sz, "NaN");
	if (isinf(v))
		return (size_t)snprintf(dst, sz, v > 0 ? "+Inf" : "-Inf");
	if (v == floor(v) && fabs(v) < 1e15) {
		if (v < 0) {
			dst[0] = '-';
			return 1 + fmt_u64(dst + 1, (uint64_t)-v);
		}
		return fmt_u64(dst, (uint64_t)v);
	}
	return (size_t)snprintf(dst, sz, "%.17g", v);
}

/* Label values: backslash, double quote and newline escaped. */
static size_t
escape_value(char *dst, const char *s, size_t len)
{
	size_t	i, n = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '\\' || s[i] == '"') {
			dst[n++] = '\\';
			dst[n++] = s[i];
		} else if (s[i] == '\n') {
			dst[n++] = '\\';
			dst[n++] = 'n';
		} else
			dst[n++] = s[i];
	}
	return n;
}

/* HELP text: backslash and newline escaped. */
static void
put_help(struct out *o, const struct ods_m_fam *f)
{
	const char	*types[] = { "counter", "gauge", "histogram" };
	const char	*p;

	puts_(o, "# HELP ");
	puts_(o, f->name);
	put(o, " ", 1);
	for (p = f->help; *p != '\0'; p++) {
		if (*p == '\\')
			put(o, "\\\\", 2);
		else if (*p == '\n')
			put(o, "\\n", 2);
		else
			put(o, p, 1);
	}
	puts_(o, "\n# TYPE ");
	puts_(o, f->name);
	put(o, " ", 1);
	puts_(o, types[f->type]);
	put(o, "\n", 1);
}

/*
 * name="value",... for series id into dst (LABELS_BUF bytes: values are
 * at most ODS_METRICS_VALUES_MAX bytes, doubled by escaping, and names
 * at most 120 bytes each). Returns the length.
 */
static size_t
labels(const struct ods_metrics *m, const struct ods_m_fam *f, uint32_t id,
    char *dst)
{
	const struct shm_entry	*e = NULL;
	const char		*v = ODS_METRICS_OVERFLOW;
	size_t			 n = 0, l, off = 0;
	unsigned		 i;

	if (id < f->cap)
		e = &odsi_m_ents(m, f)[id];
	for (i = 0; i < f->nlabels; i++) {
		if (e != NULL)
			v = e->vals + off;
		l = strlen(v);
		off += l + 1;
		if (i > 0)
			dst[n++] = ',';
		memcpy(dst + n, f->labels[i], strlen(f->labels[i]));
		n += strlen(f->labels[i]);
		memcpy(dst + n, "=\"", 2);
		n += 2;
		n += escape_value(dst + n, v, l);
		dst[n++] = '"';
	}
	return n;
}

/* ---- snapshot ---- */

static enum ods_err
snap_reserve(struct snap *sn, size_t ids, size_t vals)
{
	void	*p;

	if (ids > sn->idcap) {
		if ((p = realloc(sn->ids, ids * sizeof(*sn->ids))) == NULL)
			return ODS_ENOMEM;
		sn->ids = p;
		sn->idcap = ids;
	}
	if (vals > sn->valcap) {
		if ((p = realloc(sn->vals, vals * sizeof(*sn->vals))) == NULL)
			return ODS_ENOMEM;
		sn->vals = p;
		sn->valcap = vals;
	}
	return ODS_OK;
}

/* MOSTRECENT gauges: the value with the newest stamp of any slot. */
static void
sum_pick(const struct ods_metrics *m, const struct ods_m_fam *f, uint32_t id,
    uint64_t *dst)
{
	const uint64_t	*c;
	uint64_t	 stamp;
	unsigned	 s;

	dst[0] = dst[1] = 0;
	for (s = 0; s <= m->nslots; s++) {
		c = odsi_m_cells(m, f, s, id);
		stamp = __atomic_load_n(&c[1], __ATOMIC_ACQUIRE);
		if (stamp == 0)
			continue;
		if (stamp > dst[1]) {
			dst[0] = __atomic_load_n(&c[0], __ATOMIC_RELAXED);
			dst[1] = stamp;
		}
	}
}

/* Sum series id over every slot into dst (f->ncells cells). */
static void
sum(const struct ods_metrics *m, const struct ods_m_fam *f, uint32_t id,
    uint64_t *dst)
{
	const uint64_t	*c;
	double		 d, hs;
	unsigned	 s, i;

	if (f->type == ODS_METRICS_GAUGE && f->mode != ODS_METRICS_LIVESUM) {
		sum_pick(m, f, id, dst);
		return;
	}
	memset(dst, 0, f->ncells * sizeof(*dst));
	d = hs = 0;
	for (s = 0; s <= m->nslots; s++) {
		c = odsi_m_cells(m, f, s, id);
		if (f->type != ODS_METRICS_HISTOGRAM) {
			d += odsi_m_dload(c);
			continue;
		}
		for (i = 0; i <= f->nbuckets; i++)
			dst[i] += __atomic_load_n(&c[i], __ATOMIC_RELAXED);
		hs += odsi_m_dload(&c[f->nbuckets + 1]);
	}
	if (f->type == ODS_METRICS_HISTOGRAM)
		odsi_m_dstore(&dst[f->nbuckets + 1], hs);
	else
		odsi_m_dstore(dst, d);
}

/*
 * Wait until no retire is in progress; returns the even sequence number,
 * or 1 after about two seconds (a master that died mid-fold).
 */
static uint64_t
stable_seq(const struct shm_head *h)
{
	struct timespec	ts = { 0, 20000 };
	uint64_t	s;
	unsigned	i;

	for (i = 0; i < SEQ_WAITS; i++) {
		s = __atomic_load_n(&h->seq, __ATOMIC_ACQUIRE);
		if ((s & 1) == 0)
			return s;
		if (i < 100)
			sched_yield();
		else
			nanosleep(&ts, NULL);
	}
	return 1;
}

static enum ods_err
snapshot(const struct ods_metrics *m, const struct ods_m_fam *f,
    struct snap *sn)
{
	const struct shm_head	*h = (const void *)m->base;
	const uint64_t		*words = odsi_m_words(m, f);
	uint64_t		 s1;
	unsigned		 t, i;
	size_t			 j;

	if (snap_reserve(sn, f->cap + 1, (size_t)(f->cap + 1) * f->ncells)
	    != ODS_OK)
		return ODS_ENOMEM;
	for (t = 0; t < SNAP_TRIES; t++) {
		if ((s1 = stable_seq(h)) & 1)
			break;
		sn->nids = 0;
		for (i = 0; i < f->cap; i++)
			if (ODS_M_STATE(__atomic_load_n(&words[i],
			    __ATOMIC_ACQUIRE)) == ODS_M_READY)
				sn->ids[sn->nids++] = i;
		if (__atomic_load_n(&odsi_m_fhead(m, f)->overflowed,
		    __ATOMIC_RELAXED))
			sn->ids[sn->nids++] = f->cap;
		for (j = 0; j < sn->nids; j++)
			sum(m, f, sn->ids[j], sn->vals + j * f->ncells);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&h->seq, __ATOMIC_RELAXED) == s1)
			return ODS_OK;
	}
	return ODS_EUNAVAIL;
}

/* ---- families ---- */

/*
 * One sample line: head (name{labels or name_bucket{labels,le=" ...),
 * tail (the rest of the selector: "} ", "\"} " or " "), the number.
 * Written in one piece: the chunk is far larger than any line.
 */
static void
line(struct out *o, const char *head, size_t hl, const char *mid,
    const char *tail, const char *num, size_t nl)
{
	size_t	ml = mid == NULL ? 0 : strlen(mid), tl = strlen(tail);
	char	*p;

	if (o->n + hl + ml + tl + nl + 1 > sizeof(o->chunk))
		flush(o);
	p = o->chunk + o->n;
	memcpy(p, head, hl);
	if (ml > 0)
		memcpy(p + hl, mid, ml);
	memcpy(p + hl + ml, tail, tl);
	memcpy(p + hl + ml + tl, num, nl);
	p[hl + ml + tl + nl] = '\n';
	o->n += hl + ml + tl + nl + 1;
}

/* name + suffix, then {labels when there are any, into dst. */
static size_t
head(char *dst, const struct ods_m_fam *f, const char *suffix,
    const char *lbl, size_t ln, int le)
{
	size_t	n = strlen(f->name), sl = strlen(suffix);

	memcpy(dst, f->name, n);
	memcpy(dst + n, suffix, sl);
	n += sl;
	if (ln > 0 || le)
		dst[n++] = '{';
	if (ln > 0)
		memcpy(dst + n, lbl, ln);
	n += ln;
	if (le) {
		if (ln > 0)
			dst[n++] = ',';
		memcpy(dst + n, "le=\"", 4);
		n += 4;
	}
	return n;
}

static void
put_histogram(struct out *o, const struct ods_m_fam *f, const char *lbl,
    size_t ln, const uint64_t *v)
{
	char		h[LABELS_BUF + 256], num[40];
	const char	*tail = ln > 0 ? "} " : " ";
	uint64_t	cum = 0;
	size_t		hl;
	unsigned	i;

	hl = head(h, f, "_bucket", lbl, ln, 1);
	for (i = 0; i <= f->nbuckets; i++) {
		cum += v[i];
		line(o, h, hl, i < f->nbuckets ? f->le[i] : "+Inf", "\"} ",
		    num, fmt_u64(num, cum));
	}
	hl = head(h, f, "_sum", lbl, ln, 0);
	line(o, h, hl, NULL, tail, num, fmt_double(num, sizeof(num),
	    odsi_m_dload(&v[f->nbuckets + 1])));
	hl = head(h, f, "_count", lbl, ln, 0);
	line(o, h, hl, NULL, tail, num, fmt_u64(num, cum));
}

static void
put_series(struct out *o, const struct ods_metrics *m,
    const struct ods_m_fam *f, uint32_t id, const uint64_t *v)
{
	char	lbl[LABELS_BUF] = "", h[LABELS_BUF + 256], num[40];
	size_t	ln, hl;

	if (f->type == ODS_METRICS_GAUGE && f->mode != ODS_METRICS_LIVESUM &&
	    v[1] == 0)
		return;			/* never set */
	ln = labels(m, f, id, lbl);
	if (f->type == ODS_METRICS_HISTOGRAM) {
		put_histogram(o, f, lbl, ln, v);
		return;
	}
	hl = head(h, f, "", lbl, ln, 0);
	line(o, h, hl, NULL, ln > 0 ? "} " : " ", num,
	    fmt_double(num, sizeof(num), odsi_m_dload(v)));
}

/* ods_fcgi_workers{state}: bound slots, busy while a request runs. */
static void
put_workers(struct out *o, const struct ods_metrics *m,
    const struct ods_m_fam *f)
{
	const struct shm_slot	*s;
	uint64_t		 idle = 0, busy = 0;
	char			 num[24];
	unsigned		 i;

	for (i = 0; i < m->nslots; i++) {
		s = odsi_m_slotp(m, i);
		if (!__atomic_load_n(&s->live, __ATOMIC_ACQUIRE))
			continue;
		if (__atomic_load_n(&s->active, __ATOMIC_RELAXED) > 0)
			busy++;
		else
			idle++;
	}
	put_help(o, f);
	line(o, f->name, strlen(f->name), "{state=\"idle\"", "} ", num,
	    fmt_u64(num, idle));
	line(o, f->name, strlen(f->name), "{state=\"busy\"", "} ", num,
	    fmt_u64(num, busy));
}

static enum ods_err
put_family(struct out *o, const struct ods_metrics *m, unsigned fi,
    struct snap *sn)
{
	const struct ods_m_fam	*f = &m->fam[fi];
	enum ods_err		 er;
	size_t			 j;

	if (fi == ODS_M_FCGI_WORKERS) {
		put_workers(o, m, f);
		return ODS_OK;
	}
	if ((er = snapshot(m, f, sn)) != ODS_OK)
		return er;
	put_help(o, f);
	for (j = 0; j < sn->nids && o->er == ODS_OK; j++)
		put_series(o, m, f, sn->ids[j], sn->vals + j * f->ncells);
	return ODS_OK;
}

enum ods_err
ods_metrics_render(struct ods_metrics *m, struct ods_buf *b)
{
	struct snap	 sn;
	struct out	*o;
	enum ods_err	 er = ODS_OK;
	unsigned	 i;

	if (m == NULL || b == NULL)
		return ODS_EINVAL;
	if ((o = malloc(sizeof(*o))) == NULL)
		return ODS_ENOMEM;
	o->b = b;
	o->er = ODS_OK;
	o->n = 0;
	memset(&sn, 0, sizeof(sn));
	odsi_m_listen_measure(m);
	for (i = 0; i < m->nfam && er == ODS_OK && o->er == ODS_OK; i++)
		er = put_family(o, m, i, &sn);
	flush(o);
	if (er == ODS_OK)
		er = o->er;
	free(sn.ids);
	free(sn.vals);
	free(o);
	return er;
}
