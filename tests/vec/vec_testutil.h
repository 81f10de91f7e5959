/*
 * tests/vec/vec_testutil.h — seeded data and scratch directories shared by
 * the ods_vec tests and benchmarks.
 */
#ifndef VEC_TESTUTIL_H
#define VEC_TESTUTIL_H

#include <sys/stat.h>

#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static inline uint64_t
tu_rand(uint64_t *s)
{
	uint64_t	z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline double
tu_unif(uint64_t *s)
{
	return ((double)(tu_rand(s) >> 11) + 0.5) / 9007199254740992.0;
}

static inline double
tu_gauss(uint64_t *s)
{
	double	u = tu_unif(s), v = tu_unif(s);

	return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

static inline void
tu_normalize(float *v, size_t dim)
{
	double	s = 0;
	size_t	i;

	for (i = 0; i < dim; i++)
		s += (double)v[i] * v[i];
	s = sqrt(s);
	for (i = 0; i < dim; i++)
		v[i] = (float)(v[i] / s);
}

/*
 * n unit vectors around nclus Gaussian centres: centre + sigma/sqrt(dim)
 * per coordinate noise. sigma ~1 makes neighbours overlap across
 * clusters (a non-trivial set for HNSW), ~0.5 is easy, ~2 near-random.
 */
static inline float *
tu_clustered(size_t n, size_t dim, size_t nclus, double sigma,
    uint64_t seed, uint64_t qseed)
{
	float		*c = malloc(nclus * dim * sizeof(float));
	float		*x = malloc(n * dim * sizeof(float));
	uint64_t	 s = seed, q = qseed;
	size_t		 i, j, k;

	for (i = 0; i < nclus * dim; i++)
		c[i] = (float)tu_gauss(&s);
	for (i = 0; i < nclus; i++)
		tu_normalize(c + i * dim, dim);
	for (i = 0; i < n; i++) {
		k = tu_rand(&q) % nclus;
		for (j = 0; j < dim; j++)
			x[i * dim + j] = c[k * dim + j] +
			    (float)(sigma * tu_gauss(&q) / sqrt((double)dim));
		tu_normalize(x + i * dim, dim);
	}
	free(c);
	return x;
}

/* A deterministic unit vector for an item id. */
static inline void
tu_vec_for(int64_t id, float *v, size_t dim)
{
	uint64_t	s = (uint64_t)id * 7919 + 17;
	size_t		i;

	for (i = 0; i < dim; i++)
		v[i] = (float)tu_gauss(&s);
	tu_normalize(v, dim);
}

static inline char *
tu_tmpdir(void)
{
	char	tmpl[] = "/tmp/ods-vec-test-XXXXXX";
	char	*d = mkdtemp(tmpl);

	return d == NULL ? NULL : strdup(d);
}

/* Remove a flat directory and its files. */
static inline void
tu_rmdir(const char *dir)
{
	struct dirent	*e;
	char		 p[4096];
	DIR		*d = opendir(dir);

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

#endif /* VEC_TESTUTIL_H */
