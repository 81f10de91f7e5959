/*
 * lib/vec/ods_vec_kern.c — distance kernels with runtime dispatch (AVX-512,
 * AVX2/FMA, portable C), CRC32C (SSE4.2 or a table), the candidate heap
 * and the exact scan of one segment.
 */
#include "config.h"

#include <immintrin.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "vec/ods_vec.h"
#include "vec/ods_vec_int.h"

float	(*odsi_vk_dot)(const float *, const float *, size_t);
float	(*odsi_vk_l2)(const float *, const float *, size_t);
static void	(*dot_rows)(const float *, const float *, size_t, size_t,
		    float *);
static void	(*l2_rows)(const float *, const float *, size_t, size_t,
		    float *);
static uint32_t	(*crc_fn)(uint32_t, const unsigned char *, size_t);
static const char	*isa = "generic";
static uint32_t		 crc_table[256];
static pthread_once_t	 vk_once = PTHREAD_ONCE_INIT;

/* Portable kernels: four partial sums so the compiler can vectorise. */
static inline float
dot_c(const float *a, const float *b, size_t n)
{
	float	s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	size_t	i = 0;

	for (; i + 4 <= n; i += 4) {
		s0 += a[i] * b[i];
		s1 += a[i + 1] * b[i + 1];
		s2 += a[i + 2] * b[i + 2];
		s3 += a[i + 3] * b[i + 3];
	}
	for (; i < n; i++)
		s0 += a[i] * b[i];
	return (s0 + s1) + (s2 + s3);
}

static inline float
l2_c(const float *a, const float *b, size_t n)
{
	float	s0 = 0, s1 = 0, d0, d1;
	size_t	i = 0;

	for (; i + 2 <= n; i += 2) {
		d0 = a[i] - b[i];
		d1 = a[i + 1] - b[i + 1];
		s0 += d0 * d0;
		s1 += d1 * d1;
	}
	for (; i < n; i++) {
		d0 = a[i] - b[i];
		s0 += d0 * d0;
	}
	return s0 + s1;
}

static float
dot_generic(const float *a, const float *b, size_t n)
{
	return dot_c(a, b, n);
}

static float
l2_generic(const float *a, const float *b, size_t n)
{
	return l2_c(a, b, n);
}

static void
dot_rows_generic(const float *q, const float *r, size_t nr, size_t d,
    float *out)
{
	size_t	i;

	for (i = 0; i < nr; i++)
		out[i] = dot_c(q, r + i * d, d);
}

static void
l2_rows_generic(const float *q, const float *r, size_t nr, size_t d,
    float *out)
{
	size_t	i;

	for (i = 0; i < nr; i++)
		out[i] = l2_c(q, r + i * d, d);
}

/* AVX2 + FMA: 32 floats per step in four accumulators. */
__attribute__((target("avx2,fma"))) static inline float
hsum256(__m256 v)
{
	__m128	lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);

	lo = _mm_add_ps(lo, hi);
	lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
	lo = _mm_add_ss(lo, _mm_shuffle_ps(lo, lo, 1));
	return _mm_cvtss_f32(lo);
}

__attribute__((target("avx2,fma"))) static inline float
dot_avx2_in(const float *a, const float *b, size_t n)
{
	__m256	s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
	__m256	s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
	size_t	i = 0;
	float	s;

	for (; i + 32 <= n; i += 32) {
		s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i),
		    _mm256_loadu_ps(b + i), s0);
		s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8),
		    _mm256_loadu_ps(b + i + 8), s1);
		s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16),
		    _mm256_loadu_ps(b + i + 16), s2);
		s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24),
		    _mm256_loadu_ps(b + i + 24), s3);
	}
	for (; i + 8 <= n; i += 8)
		s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i),
		    _mm256_loadu_ps(b + i), s0);
	s = hsum256(_mm256_add_ps(_mm256_add_ps(s0, s1),
	    _mm256_add_ps(s2, s3)));
	for (; i < n; i++)
		s += a[i] * b[i];
	return s;
}

__attribute__((target("avx2,fma"))) static inline float
l2_avx2_in(const float *a, const float *b, size_t n)
{
	__m256	s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), d0, d1;
	size_t	i = 0;
	float	s, d;

	for (; i + 16 <= n; i += 16) {
		d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i),
		    _mm256_loadu_ps(b + i));
		d1 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 8),
		    _mm256_loadu_ps(b + i + 8));
		s0 = _mm256_fmadd_ps(d0, d0, s0);
		s1 = _mm256_fmadd_ps(d1, d1, s1);
	}
	for (; i + 8 <= n; i += 8) {
		d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i),
		    _mm256_loadu_ps(b + i));
		s0 = _mm256_fmadd_ps(d0, d0, s0);
	}
	s = hsum256(_mm256_add_ps(s0, s1));
	for (; i < n; i++) {
		d = a[i] - b[i];
		s += d * d;
	}
	return s;
}

__attribute__((target("avx2,fma"))) static float
dot_avx2(const float *a, const float *b, size_t n)
{
	return dot_avx2_in(a, b, n);
}

__attribute__((target("avx2,fma"))) static float
l2_avx2(const float *a, const float *b, size_t n)
{
	return l2_avx2_in(a, b, n);
}

__attribute__((target("avx2,fma"))) static void
dot_rows_avx2(const float *q, const float *r, size_t nr, size_t d,
    float *out)
{
	size_t	i;

	for (i = 0; i < nr; i++)
		out[i] = dot_avx2_in(q, r + i * d, d);
}

__attribute__((target("avx2,fma"))) static void
l2_rows_avx2(const float *q, const float *r, size_t nr, size_t d,
    float *out)
{
	size_t	i;

	for (i = 0; i < nr; i++)
		out[i] = l2_avx2_in(q, r + i * d, d);
}

/* AVX-512: 64 floats per step, masked tail (no scalar loop). */
__attribute__((target("avx512f"))) static inline float
dot_avx512_in(const float *a, const float *b, size_t n)
{
	__m512		s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
	__m512		s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
	__mmask16	m;
	size_t		i = 0;

	for (; i + 64 <= n; i += 64) {
		s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i),
		    _mm512_loadu_ps(b + i), s0);
		s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16),
		    _mm512_loadu_ps(b + i + 16), s1);
		s2 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 32),
		    _mm512_loadu_ps(b + i + 32), s2);
		s3 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 48),
		    _mm512_loadu_ps(b + i + 48), s3);
	}
	for (; i + 16 <= n; i += 16)
		s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i),
		    _mm512_loadu_ps(b + i), s0);
	if (i < n) {
		m = (__mmask16)((1u << (n - i)) - 1);
		s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i),
		    _mm512_maskz_loadu_ps(m, b + i), s1);
	}
	return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1),
	    _mm512_add_ps(s2, s3)));
}

__attribute__((target("avx512f"))) static inline float
l2_avx512_in(const float *a, const float *b, size_t n)
{
	__m512		s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps(), d;
	__mmask16	m;
	size_t		i = 0;

	for (; i + 32 <= n; i += 32) {
		d = _mm512_sub_ps(_mm512_loadu_ps(a + i),
		    _mm512_loadu_ps(b + i));
		s0 = _mm512_fmadd_ps(d, d, s0);
		d = _mm512_sub_ps(_mm512_loadu_ps(a + i + 16),
		    _mm512_loadu_ps(b + i + 16));
		s1 = _mm512_fmadd_ps(d, d, s1);
	}
	for (; i + 16 <= n; i += 16) {
		d = _mm512_sub_ps(_mm512_loadu_ps(a + i),
		    _mm512_loadu_ps(b + i));
		s0 = _mm512_fmadd_ps(d, d, s0);
	}
	if (i < n) {
		m = (__mmask16)((1u << (n - i)) - 1);
		d = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, a + i),
		    _mm512_maskz_loadu_ps(m, b + i));
		s1 = _mm512_fmadd_ps(d, d, s1);
	}
	return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

__attribute__((target("avx512f"))) static float
dot_avx512(const float *a, const float *b, size_t n)
{
	return dot_avx512_in(a, b, n);
}

__attribute__((target("avx512f"))) static float
l2_avx512(const float *a, const float *b, size_t n)
{
	return l2_avx512_in(a, b, n);
}

__attribute__((target("avx512f"))) static void
dot_rows_avx512(const float *q, const float *r, size_t nr, size_t d,
    float *out)
{
	size_t	i;

	for (i = 0; i < nr; i++)
		out[i] = dot_avx512_in(q, r + i * d, d);
}

__attribute__((target("avx512f"))) static void
l2_rows_avx512(const float *q, const float *r, size_t nr, size_t d,
    float *out)
{
	size_t	i;

	for (i = 0; i < nr; i++)
		out[i] = l2_avx512_in(q, r + i * d, d);
}

/* CRC32C (Castagnoli, reflected 0x82F63B78). */
static uint32_t
crc_generic(uint32_t crc, const unsigned char *p, size_t n)
{
	while (n-- > 0)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

__attribute__((target("sse4.2"))) static uint32_t
crc_sse42(uint32_t crc, const unsigned char *p, size_t n)
{
	uint64_t	c = crc, w;

	for (; n >= 8; n -= 8, p += 8) {
		memcpy(&w, p, 8);
		c = _mm_crc32_u64(c, w);
	}
	crc = (uint32_t)c;
	for (; n > 0; n--)
		crc = _mm_crc32_u8(crc, *p++);
	return crc;
}

uint32_t
odsi_vk_crc32c(uint32_t crc, const void *p, size_t n)
{
	return ~crc_fn(~crc, p, n);
}

static void
set_isa(const char *want)
{
	int	avx512, avx2;

	__builtin_cpu_init();
	avx512 = __builtin_cpu_supports("avx512f");
	avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
	if (want != NULL && strcmp(want, "avx2") == 0)
		avx512 = 0;
	if (want != NULL && strcmp(want, "generic") == 0)
		avx512 = avx2 = 0;
	odsi_vk_dot = dot_generic, odsi_vk_l2 = l2_generic;
	dot_rows = dot_rows_generic, l2_rows = l2_rows_generic;
	isa = "generic";
	if (avx512) {
		odsi_vk_dot = dot_avx512, odsi_vk_l2 = l2_avx512;
		dot_rows = dot_rows_avx512, l2_rows = l2_rows_avx512;
		isa = "avx512";
	} else if (avx2) {
		odsi_vk_dot = dot_avx2, odsi_vk_l2 = l2_avx2;
		dot_rows = dot_rows_avx2, l2_rows = l2_rows_avx2;
		isa = "avx2";
	}
}

static void
init_once(void)
{
	uint32_t	c;
	int		i, j;

	for (i = 0; i < 256; i++) {
		c = (uint32_t)i;
		for (j = 0; j < 8; j++)
			c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
		crc_table[i] = c;
	}
	__builtin_cpu_init();
	crc_fn = __builtin_cpu_supports("sse4.2") ? crc_sse42 : crc_generic;
	set_isa(NULL);
}

void
odsi_vk_init(void)
{
	(void)pthread_once(&vk_once, init_once);
}

void
odsi_vk_force_isa(const char *want)
{
	odsi_vk_init();
	set_isa(want);
}

const char *
odsi_vk_isa(void)
{
	odsi_vk_init();
	return isa;
}

void
odsi_vk_dot_rows(const float *q, const float *rows, size_t nr, size_t dim,
    float *out)
{
	dot_rows(q, rows, nr, dim, out);
}

void
odsi_vk_l2_rows(const float *q, const float *rows, size_t nr, size_t dim,
    float *out)
{
	l2_rows(q, rows, nr, dim, out);
}

float
odsi_vdist(uint32_t metric, const float *a, const float *b, size_t n)
{
	return metric == ODS_VEC_L2 ? odsi_vk_l2(a, b, n) : -odsi_vk_dot(a, b, n);
}

/* The heap keeps the worst candidate at a[0]. */
static void
sift_down(struct vcand *a, size_t n, size_t i)
{
	struct vcand	t = a[i];
	size_t		c;

	while ((c = 2 * i + 1) < n) {
		if (c + 1 < n && a[c + 1].dist > a[c].dist)
			c++;
		if (a[c].dist <= t.dist)
			break;
		a[i] = a[c];
		i = c;
	}
	a[i] = t;
}

void
odsi_vheap_push(struct vheap *h, float dist, uint32_t slot)
{
	size_t	i, p;

	if (h->n == h->cap) {
		if (h->cap == 0 || dist >= h->a[0].dist)
			return;
		h->a[0].dist = dist;
		h->a[0].slot = slot;
		sift_down(h->a, h->n, 0);
		return;
	}
	i = h->n++;
	while (i > 0 && h->a[p = (i - 1) / 2].dist < dist) {
		h->a[i] = h->a[p];
		i = p;
	}
	h->a[i].dist = dist;
	h->a[i].slot = slot;
}

void
odsi_vheap_pop(struct vheap *h)
{
	if (h->n == 0)
		return;
	h->a[0] = h->a[--h->n];
	sift_down(h->a, h->n, 0);
}

int
odsi_vcand_cmp(const void *a, const void *b)
{
	const struct vcand	*x = a, *y = b;

	if (x->dist != y->dist)
		return x->dist < y->dist ? -1 : 1;
	return x->slot < y->slot ? -1 : x->slot > y->slot;
}

void
odsi_vheap_sort(struct vheap *h)
{
	qsort(h->a, h->n, sizeof(*h->a), odsi_vcand_cmp);
}

static int
i64_cmp(const void *a, const void *b)
{
	int64_t	x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

int
odsi_vsel_ok(const struct vsel *s, const struct vseg *g, uint32_t slot)
{
	const struct ods_vec_filter	*f = s->filter;

	if (s->dead != NULL && VBIT_GET(s->dead, slot))
		return 0;
	if (f == NULL)
		return 1;
	if (f->has_kb && g->kbs[slot] != f->kb_id)
		return 0;
	if (s->ndocs > 0 && bsearch(&g->docs[slot], s->docs_sorted, s->ndocs,
	    sizeof(int64_t), i64_cmp) == NULL)
		return 0;
	return 1;
}

#define SCAN_BLOCK	256

size_t
odsi_vseg_exact(const struct vseg *g, const struct vsel *s, const float *q,
    size_t k, struct vcand *out)
{
	struct vheap	h = { out, 0, k };
	float		buf[SCAN_BLOCK], d;
	size_t		base, cnt, i;
	int		l2 = g->metric == ODS_VEC_L2;

	for (base = 0; base < g->n; base += cnt) {
		cnt = g->n - base < SCAN_BLOCK ? g->n - base : SCAN_BLOCK;
		if (s->filter != NULL) {
			/* Selective filters: compute only matching rows. */
			for (i = 0; i < cnt; i++)
				if (odsi_vsel_ok(s, g, (uint32_t)(base + i)))
					odsi_vheap_push(&h, odsi_vdist(g->metric, q,
					    g->vecs + (base + i) * g->dim,
					    g->dim), (uint32_t)(base + i));
			continue;
		}
		if (l2)
			l2_rows(q, g->vecs + base * g->dim, cnt, g->dim, buf);
		else
			dot_rows(q, g->vecs + base * g->dim, cnt, g->dim, buf);
		for (i = 0; i < cnt; i++) {
			d = l2 ? buf[i] : -buf[i];
			if (h.n == k && d >= h.a[0].dist)
				continue;
			if (s->dead != NULL && VBIT_GET(s->dead, base + i))
				continue;
			odsi_vheap_push(&h, d, (uint32_t)(base + i));
		}
	}
	odsi_vheap_sort(&h);
	return h.n;
}
