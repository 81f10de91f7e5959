/*
 * tests/bench/vec/vec_bench.c — ods_vec / ods_embed side of the vector
 * benchmark (run by tests/bench/vec/run.sh; not part of make check).
 *
 *   vec_bench gen N DIM NQ SIGMA SEED base.f32 query.f32
 *   vec_bench bw                         single-thread read GB/s
 *   vec_bench exact base query K gt.i32  exact QPS, writes ground truth
 *   vec_bench hnsw-build base dir M EFC  build, seal into dir: time, memory
 *   vec_bench hnsw-search dir query gt EF...  recall, QPS per ef
 *   vec_bench embed chunks.txt base.f32 query.f32 [QEVERY]
 *
 * Vector files: u32 n, u32 dim, n*dim float32. Ground truth: u32 nq,
 * u32 k, nq*k int32. One query per call, one thread, like ann-benchmarks.
 * The index is built once and searched by later runs, so that run.sh can
 * interleave ours and hnswlib's per ef setting.
 */
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vec/ods_embed.h"
#include "core/ods_log.h"
#include "vec/ods_vec.h"
#include "../../vec/vec_testutil.h"

#define REPEAT	3	/* timed passes; the best QPS counts (busy box) */
#define PASS_S	0.2	/* a timed HNSW pass repeats the queries this long */
#define EXACT_TIMED	300	/* queries timed per exact pass */

static double
now(void)
{
	struct timespec	t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static long
rss_kb(void)
{
	char	 line[256];
	long	 kb = -1;
	FILE	*f = fopen("/proc/self/status", "r");

	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0)
			kb = atol(line + 6);
	if (f != NULL)
		fclose(f);
	return kb;
}

static void
die(const char *m)
{
	fprintf(stderr, "vec_bench: %s\n", m);
	exit(1);
}

static void
save(const char *path, const float *x, uint32_t n, uint32_t dim)
{
	FILE	*f = fopen(path, "wb");

	if (f == NULL || fwrite(&n, 4, 1, f) != 1 || fwrite(&dim, 4, 1, f) != 1 ||
	    fwrite(x, sizeof(float) * dim, n, f) != n || fclose(f) != 0)
		die("write failed");
}

static float *
load(const char *path, uint32_t *n, uint32_t *dim)
{
	FILE	*f = fopen(path, "rb");
	float	*x;

	if (f == NULL || fread(n, 4, 1, f) != 1 || fread(dim, 4, 1, f) != 1)
		die("read failed");
	x = malloc((size_t)*n * *dim * sizeof(float));
	if (x == NULL || fread(x, sizeof(float) * *dim, *n, f) != *n)
		die("read failed");
	fclose(f);
	return x;
}

static int
cmd_gen(char **av)
{
	uint32_t	 n = (uint32_t)atol(av[0]), d = (uint32_t)atol(av[1]);
	uint32_t	 nq = (uint32_t)atol(av[2]);
	double		 sigma = atof(av[3]);
	uint64_t	 seed = (uint64_t)atoll(av[4]);
	float		*x = tu_clustered(n, d, n / 100, sigma, seed, seed + 1);
	float		*q = tu_clustered(nq, d, n / 100, sigma, seed, seed + 2);

	save(av[5], x, n, d);
	save(av[6], q, nq, d);
	return 0;
}

/* Read bandwidth: sum a 1 GiB buffer with AVX2 loads, best of 5. */
__attribute__((target("avx2"))) static double
bw_once(const float *buf, size_t n)
{
	__m256	s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
	size_t	i;
	double	t = now();
	float	out[8];

	for (i = 0; i < n; i += 32) {
		s0 = _mm256_add_ps(s0, _mm256_load_ps(buf + i));
		s1 = _mm256_add_ps(s1, _mm256_load_ps(buf + i + 8));
		s2 = _mm256_add_ps(s2, _mm256_load_ps(buf + i + 16));
		s3 = _mm256_add_ps(s3, _mm256_load_ps(buf + i + 24));
	}
	t = now() - t;
	_mm256_storeu_ps(out, _mm256_add_ps(_mm256_add_ps(s0, s1),
	    _mm256_add_ps(s2, s3)));
	if (out[0] == 12345.0f)
		printf(" ");
	return (double)n * 4 / t / 1e9;
}

static int
cmd_bw(void)
{
	size_t	 n = (size_t)1 << 28, i;
	float	*buf = aligned_alloc(64, n * sizeof(float));
	double	 best = 0, g;

	if (buf == NULL)
		die("no memory");
	for (i = 0; i < n; i++)
		buf[i] = (float)(i & 7);
	for (i = 0; i < 5; i++)
		if ((g = bw_once(buf, n)) > best)
			best = g;
	printf("bandwidth_gbs %.2f\n", best);
	free(buf);
	return 0;
}

static struct ods_vec *
build(const char *dir, const float *x, uint32_t n, uint32_t d, uint32_t m,
    uint32_t efc, int hnsw, double *secs, long *kb)
{
	struct ods_vec_params	 p;
	struct ods_vec_item	*it = calloc(n, sizeof(*it));
	struct ods_vec		*v;
	uint32_t		 i;
	long			 r0 = rss_kb();
	double			 t = now();

	ods_vec_params_init(&p, d, ODS_VEC_IP);
	p.m = m;
	p.ef_construction = efc;
	p.seal_threshold = n + 1;
	if (ods_vec_open_writer(dir, &p, &v) != ODS_OK)
		die("open_writer");
	for (i = 0; i < n; i++) {
		it[i].id = i;
		it[i].vec = x + (size_t)i * d;
	}
	if (ods_vec_add(v, 1, it, n) != ODS_OK ||
	    (hnsw ? ods_vec_seal(v) : ods_vec_commit(v)) != ODS_OK)
		die("add/seal");
	*secs = now() - t;
	free(it);
	*kb = rss_kb() - r0;
	return v;
}

static int
cmd_exact(char **av)
{
	uint32_t		 n, d, nq, qd, k = (uint32_t)atol(av[2]), i, j;
	uint32_t		 ntime;
	float			*x = load(av[0], &n, &d), *q = load(av[1], &nq, &qd);
	char			*dir = tu_tmpdir();
	struct ods_vec		*v;
	struct ods_vec_query	 qq;
	struct ods_vec_hit	*h = calloc(k, sizeof(*h));
	int32_t			*gt = calloc((size_t)nq * k, sizeof(*gt));
	float			*kth = calloc(nq, sizeof(*kth));
	double			 secs, t, best;
	long			 kb;
	size_t			 nh;
	int			 rep;
	FILE			*f;

	v = build(dir, x, n, d, 16, 8, 0, &secs, &kb);	/* flat */
	memset(&qq, 0, sizeof(qq));
	qq.k = k;
	qq.flags = ODS_VEC_EXACT;
	for (i = 0; i < nq; i++) {	/* ground truth for every query */
		qq.vec = q + (size_t)i * d;
		if (ods_vec_search(v, &qq, h, &nh) != ODS_OK || nh != k)
			die("search");
		for (j = 0; j < k; j++)
			gt[(size_t)i * k + j] = (int32_t)h[j].id;
		kth[i] = h[k - 1].raw;
	}
	ntime = nq < EXACT_TIMED ? nq : EXACT_TIMED;
	for (rep = 0, best = 0; rep < REPEAT; rep++) {
		t = now();
		for (i = 0; i < ntime; i++) {
			qq.vec = q + (size_t)i * d;
			if (ods_vec_search(v, &qq, h, &nh) != ODS_OK)
				die("search");
		}
		t = now() - t;
		if (ntime / t > best)
			best = ntime / t;
	}
	printf("exact_qps %.2f n %u dim %u nq %u\n", best, n, d, ntime);
	f = fopen(av[3], "wb");
	if (f == NULL || fwrite(&nq, 4, 1, f) != 1 || fwrite(&k, 4, 1, f) != 1 ||
	    fwrite(gt, 4 * k, nq, f) != nq || fwrite(kth, 4, nq, f) != nq ||
	    fclose(f) != 0)
		die("gt write");
	ods_vec_close(v);
	tu_rmdir(dir);
	return 0;
}

/*
 * Ground truth: ids, then the k-th best score per query. Recall counts a
 * hit whose score reaches the k-th true score (ann-benchmarks style), so
 * exact duplicates (common in man pages) do not count as misses.
 */
static int32_t *
load_gt(const char *path, uint32_t *nq, uint32_t *k, float **kth)
{
	FILE	*f = fopen(path, "rb");
	int32_t	*gt;

	if (f == NULL || fread(nq, 4, 1, f) != 1 || fread(k, 4, 1, f) != 1)
		die("gt read");
	gt = malloc((size_t)*nq * *k * 4);
	*kth = malloc((size_t)*nq * 4);
	if (gt == NULL || *kth == NULL || fread(gt, 4 * *k, *nq, f) != *nq ||
	    fread(*kth, 4, *nq, f) != *nq)
		die("gt read");
	fclose(f);
	return gt;
}

static int
cmd_hnsw_build(char **av)
{
	uint32_t	 n, d, m, efc;
	float		*x = load(av[0], &n, &d);
	struct ods_vec	*v;
	double		 secs;
	long		 kb;

	m = (uint32_t)atol(av[2]);
	efc = (uint32_t)atol(av[3]);
	v = build(av[1], x, n, d, m, efc, 1, &secs, &kb);
	printf("build_s %.3f mem_mb %.1f\n", secs, kb / 1024.0);
	ods_vec_close(v);
	free(x);
	return 0;
}

/*
 * Per ef: one pass over the queries that counts recall and warms the
 * caches of a freshly opened index, then the best of REPEAT timed passes
 * of at least PASS_S each.  Repetitions are separate runs, interleaved
 * with hnswlib's by run.sh.
 */
static int
cmd_hnsw_search(int ac, char **av)
{
	uint32_t		 nq, d, gq, gk, i, j;
	float			*q = load(av[1], &nq, &d), *kth;
	int32_t			*gt = load_gt(av[2], &gq, &gk, &kth);
	struct ods_vec		*v;
	struct ods_vec_query	 qq;
	struct ods_vec_hit	 h[10];
	double			 t, best;
	size_t			 nh, hit, done;
	int			 a, rep;

	if (ods_vec_open_reader(av[0], &v) != ODS_OK)
		die("open_reader");
	memset(&qq, 0, sizeof(qq));
	qq.k = 10;
	for (a = 3; a < ac; a++) {
		qq.ef = (uint32_t)atol(av[a]);
		hit = 0;
		for (i = 0; i < nq; i++) {
			qq.vec = q + (size_t)i * d;
			if (ods_vec_search(v, &qq, h, &nh) != ODS_OK)
				die("search");
			for (j = 0; j < nh; j++)
				hit += h[j].raw >= kth[i] - 1e-5f;
		}
		for (rep = 0, best = 0; rep < REPEAT; rep++) {
			done = 0;
			t = now();
			do {
				for (i = 0; i < nq; i++) {
					qq.vec = q + (size_t)i * d;
					if (ods_vec_search(v, &qq, h, &nh) !=
					    ODS_OK)
						die("search");
				}
				done += nq;
			} while (now() - t < PASS_S);
			t = now() - t;
			if (done / t > best)
				best = done / t;
		}
		printf("ef %u recall %.4f qps %.1f\n", qq.ef,
		    (double)hit / (nq * 10.0), best);
	}
	ods_vec_close(v);
	free(q);
	free(gt);
	free(kth);
	return 0;
}

static float *
push(float *a, size_t *n, size_t *cap, const float *v)
{
	if (*n == *cap)
		a = realloc(a, (*cap = *cap * 2 + 64) * 384 * sizeof(float));
	if (a == NULL)
		die("no memory");
	memcpy(a + *n * 384, v, 384 * sizeof(float));
	(*n)++;
	return a;
}

/* One chunk per line; every QEVERY-th chunk is held out as a query. */
static int
cmd_embed(char **av, int ac)
{
	FILE		*f = fopen(av[0], "r");
	char		*line = NULL;
	size_t		 cap = 0, nc = 0, nb = 0, nq = 0, every;
	size_t		 bcap = 0, qcap = 0, bytes = 0, ntok;
	ssize_t		 len;
	float		*base = NULL, *qs = NULL, v[384];
	double		 t, el = 0;

	every = ac > 3 ? (size_t)atol(av[3]) : 50;
	if (f == NULL)
		die("chunks");
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		t = now();
		if (ods_embed(line, (size_t)len, 384, v, &ntok) != ODS_OK)
			die("embed");
		el += now() - t;
		bytes += (size_t)len;
		if (ntok == 0)	/* nothing lexical: not a usable row */
			continue;
		if (++nc % every == 0)
			qs = push(qs, &nq, &qcap, v);
		else
			base = push(base, &nb, &bcap, v);
	}
	printf("embed_chunks %zu bytes %zu secs %.3f chunks_per_s %.0f "
	    "mb_per_s %.1f\n", nc, bytes, el, nc / el, bytes / el / 1e6);
	save(av[1], base, (uint32_t)nb, 384);
	save(av[2], qs, (uint32_t)nq, 384);
	free(line);
	fclose(f);
	return 0;
}

int
main(int ac, char **av)
{
	ods_log_init("vec_bench", ODS_LOG_WARN);
	if (ac >= 9 && strcmp(av[1], "gen") == 0)
		return cmd_gen(av + 2);
	if (ac >= 2 && strcmp(av[1], "bw") == 0)
		return cmd_bw();
	if (ac >= 6 && strcmp(av[1], "exact") == 0)
		return cmd_exact(av + 2);
	if (ac >= 6 && strcmp(av[1], "hnsw-build") == 0)
		return cmd_hnsw_build(av + 2);
	if (ac >= 6 && strcmp(av[1], "hnsw-search") == 0)
		return cmd_hnsw_search(ac - 2, av + 2);
	if (ac >= 5 && strcmp(av[1], "embed") == 0)
		return cmd_embed(av + 2, ac - 2);
	fprintf(stderr, "usage: see the comment at the top of vec_bench.c\n");
	return 2;
}
