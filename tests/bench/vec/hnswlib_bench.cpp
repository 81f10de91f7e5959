// tests/bench/vec/hnswlib_bench.cpp — the hnswlib side of the benchmark:
// same files, same M/efConstruction/ef, one thread, one query per call.
//   hnswlib_bench base.f32 query.f32 gt.i32 M EFC EF...
#include <hnswlib/hnswlib.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

static double
now()
{
	return std::chrono::duration<double>(
	    std::chrono::steady_clock::now().time_since_epoch()).count();
}

static long
rss_kb()
{
	char line[256];
	long kb = -1;
	FILE *f = std::fopen("/proc/self/status", "r");

	while (f != nullptr && std::fgets(line, sizeof(line), f) != nullptr)
		if (std::strncmp(line, "VmRSS:", 6) == 0)
			kb = std::atol(line + 6);
	if (f != nullptr)
		std::fclose(f);
	return kb;
}

template <typename T> static std::vector<T>
load(const char *path, uint32_t *n, uint32_t *dim)
{
	FILE *f = std::fopen(path, "rb");

	if (f == nullptr || std::fread(n, 4, 1, f) != 1 ||
	    std::fread(dim, 4, 1, f) != 1) {
		std::perror(path);
		std::exit(1);
	}
	std::vector<T> v((size_t)*n * *dim);
	if (std::fread(v.data(), sizeof(T) * *dim, *n, f) != *n) {
		std::perror(path);
		std::exit(1);
	}
	std::fclose(f);
	return v;
}

int
main(int argc, char **argv)
{
	uint32_t n, d, nq, qd, gq, gk;

	if (argc < 7) {
		std::fprintf(stderr, "usage: hnswlib_bench base query gt M EFC EF...\n");
		return 2;
	}
	std::vector<float> x = load<float>(argv[1], &n, &d);
	std::vector<float> q = load<float>(argv[2], &nq, &qd);
	std::vector<int32_t> gt = load<int32_t>(argv[3], &gq, &gk);
	// After the ids: the k-th true score per query; a hit counts when it
	// reaches it (ties and duplicates are not misses), as vec_bench.
	std::vector<float> kth(gq);
	{
		FILE *f = std::fopen(argv[3], "rb");
		if (f == nullptr || std::fseek(f, 8 + 4L * gq * gk, SEEK_SET) != 0 ||
		    std::fread(kth.data(), 4, gq, f) != gq) {
			std::perror(argv[3]);
			return 1;
		}
		std::fclose(f);
	}
	size_t m = std::atol(argv[4]), efc = std::atol(argv[5]);
	long r0 = rss_kb();
	double t = now();
	hnswlib::InnerProductSpace space(d);
	auto *index = new hnswlib::HierarchicalNSW<float>(&space, n, m, efc, 100);

	for (uint32_t i = 0; i < n; i++)
		index->addPoint(x.data() + (size_t)i * d, i);
	std::printf("build_s %.3f mem_mb %.1f\n", now() - t,
	    (rss_kb() - r0) / 1024.0);
	for (int a = 6; a < argc; a++) {
		size_t ef = std::atol(argv[a]), hit = 0;
		double best = 0;

		index->setEf(ef);
		for (int rep = 0; rep < 3; rep++) {	// best of 3, as ours
			hit = 0;
			t = now();
			for (uint32_t i = 0; i < nq; i++) {
				auto r = index->searchKnn(q.data() +
				    (size_t)i * d, 10);
				while (!r.empty()) {
					// InnerProductSpace distance is 1 - dot.
					hit += 1.0f - r.top().first >=
					    kth[i] - 1e-5f;
					r.pop();
				}
			}
			t = now() - t;
			if (nq / t > best)
				best = nq / t;
		}
		std::printf("ef %zu recall %.4f qps %.1f\n", ef,
		    hit / (nq * 10.0), best);
	}
	delete index;
	return 0;
}
