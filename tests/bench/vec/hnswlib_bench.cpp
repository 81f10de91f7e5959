// tests/bench/vec/hnswlib_bench.cpp — the hnswlib side of the benchmark:
// same files, same M/efConstruction/ef, one thread, one query per call.
//   hnswlib_bench build base.f32 index.bin M EFC    time, memory; saves
//   hnswlib_bench search index.bin query.f32 gt.i32 EF...
// As vec_bench: built once, searched by later runs that run.sh interleaves
// with ours; per ef a pass that counts recall and warms, then the best of
// 3 timed passes of at least 0.2 s each (the queries repeated).
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

static int
build(char **argv)
{
	uint32_t n, d;
	std::vector<float> x = load<float>(argv[0], &n, &d);
	size_t m = std::atol(argv[2]), efc = std::atol(argv[3]);
	long r0 = rss_kb();
	double t = now();
	hnswlib::InnerProductSpace space(d);
	auto *index = new hnswlib::HierarchicalNSW<float>(&space, n, m, efc, 100);

	for (uint32_t i = 0; i < n; i++)
		index->addPoint(x.data() + (size_t)i * d, i);
	std::printf("build_s %.3f mem_mb %.1f\n", now() - t,
	    (rss_kb() - r0) / 1024.0);
	index->saveIndex(argv[1]);
	delete index;
	return 0;
}

static int
search(int argc, char **argv)
{
	uint32_t nq, d, gq, gk;
	std::vector<float> q = load<float>(argv[1], &nq, &d);
	std::vector<int32_t> gt = load<int32_t>(argv[2], &gq, &gk);
	// After the ids: the k-th true score per query; a hit counts when it
	// reaches it (ties and duplicates are not misses), as vec_bench.
	std::vector<float> kth(gq);
	{
		FILE *f = std::fopen(argv[2], "rb");
		if (f == nullptr || std::fseek(f, 8 + 4L * gq * gk, SEEK_SET) != 0 ||
		    std::fread(kth.data(), 4, gq, f) != gq) {
			std::perror(argv[2]);
			return 1;
		}
		std::fclose(f);
	}
	hnswlib::InnerProductSpace space(d);
	auto *index = new hnswlib::HierarchicalNSW<float>(&space, argv[0]);

	for (int a = 3; a < argc; a++) {
		size_t ef = std::atol(argv[a]), hit = 0;

		index->setEf(ef);
		for (uint32_t i = 0; i < nq; i++) {
			auto r = index->searchKnn(q.data() + (size_t)i * d, 10);
			while (!r.empty()) {
				// InnerProductSpace distance is 1 - dot.
				hit += 1.0f - r.top().first >= kth[i] - 1e-5f;
				r.pop();
			}
		}
		double best = 0;
		for (int rep = 0; rep < 3; rep++) {	// as vec_bench
			size_t done = 0;
			double t = now();
			do {
				for (uint32_t i = 0; i < nq; i++) {
					auto r = index->searchKnn(q.data() +
					    (size_t)i * d, 10);
					if (r.empty())
						std::abort();
				}
				done += nq;
			} while (now() - t < 0.2);
			t = now() - t;
			if (done / t > best)
				best = done / t;
		}
		std::printf("ef %zu recall %.4f qps %.1f\n", ef,
		    hit / (nq * 10.0), best);
	}
	delete index;
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 6 && std::strcmp(argv[1], "build") == 0)
		return build(argv + 2);
	if (argc >= 6 && std::strcmp(argv[1], "search") == 0)
		return search(argc - 2, argv + 2);
	std::fprintf(stderr, "usage: hnswlib_bench build base index M EFC\n"
	    "       hnswlib_bench search index query gt EF...\n");
	return 2;
}
