/*
 * tests/bench/metrics/bench_metrics.c — cost of ods_metrics updates and of
 * rendering a pool, before and after many worker restarts.
 *
 *   bench_metrics [-w workers] [-s series] [-r restarts] [-n updates]
 *   bench_metrics -d		print one exposition of the bench pool
 *
 * Workers are real forked processes bound to their slots; restarts are
 * real too: a child binds the slot, serves the same routes, exits; the
 * master reaps it and retires the slot.
 */
#include "config.h"

#include <sys/wait.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "metrics/ods_metrics.h"

static unsigned	nworkers = 16, nseries = 500, nrestarts = 1000;
static unsigned long nupdates = 10000000;

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* ---- update cost ---- */

static const char *const lv3[] = { "GET", "/datasets/{id}", "200" };
static const char *const lv2[] = { "GET", "/datasets/{id}" };

static double
time_updates(int kind, unsigned long n)
{
	uint32_t	sc, sh;
	unsigned long	i;
	double		t0;

	(void)ods_metrics_series(ODS_M_HTTP_REQUESTS, lv3, &sc);
	(void)ods_metrics_series(ODS_M_HTTP_DURATION, lv2, &sh);
	t0 = now();
	for (i = 0; i < n; i++) {
		switch (kind) {
		case 0:
			(void)ods_metrics_counter_add(ODS_M_HTTP_REQUESTS,
			    lv3, 1);
			break;
		case 1:
			ods_metrics_counter_add_id(ODS_M_HTTP_REQUESTS, sc, 1);
			break;
		case 2:
			(void)ods_metrics_observe(ODS_M_HTTP_DURATION, lv2,
			    (double)(i & 1023) / 1000);
			break;
		case 3:
			ods_metrics_observe_id(ODS_M_HTTP_DURATION, sh,
			    (double)(i & 1023) / 1000);
			break;
		default:
			ods_metrics_http_begin("GET", "/datasets/{id}");
			ods_metrics_http_end("GET", "/datasets/{id}", 200,
			    (double)(i & 1023) / 1000, 1234);
			break;
		}
	}
	return (now() - t0) / (double)n * 1e9;
}

static void *
thread_updates(void *arg)
{
	(void)arg;
	(void)time_updates(0, nupdates / 4);
	return NULL;
}

static void
bench_updates(struct ods_metrics *m)
{
	static const char *const names[] = {
	    "counter_add (3 labels, interned lookup)",
	    "counter_add_id (pre-resolved series)",
	    "observe (2 labels, 14 buckets)",
	    "observe_id (pre-resolved series)",
	    "http_begin + http_end (5 updates)" };
	pthread_t	th[4];
	double		t0;
	int		k;

	if (ods_metrics_bind(m, 0) != ODS_OK)
		exit(1);
	for (k = 0; k < 4; k++)
		printf("update      %-44s %7.1f ns\n", names[k],
		    time_updates(k, nupdates));
	printf("request     %-44s %7.1f ns\n", names[4],
	    time_updates(4, nupdates / 5));
	t0 = now();
	for (k = 0; k < 4; k++)
		pthread_create(&th[k], NULL, thread_updates, NULL);
	for (k = 0; k < 4; k++)
		pthread_join(th[k], NULL);
	printf("contended   %-44s %7.1f ns (wall / updates, %ld CPUs)\n",
	    "counter_add, 4 threads, one slot, one series",
	    (now() - t0) / (double)(nupdates / 4 * 4) * 1e9,
	    sysconf(_SC_NPROCESSORS_ONLN));
}

/* ---- render ---- */

static void
serve_routes(void)
{
	char		ep[32];
	unsigned	i;

	for (i = 0; i < nseries; i++) {
		snprintf(ep, sizeof(ep), "/route/%u/{id}", i);
		ods_metrics_http_begin(i & 1 ? "POST" : "GET", ep);
		ods_metrics_http_end(i & 1 ? "POST" : "GET", ep,
		    i % 7 == 0 ? 500 : 200, (double)(i % 97) / 100, 100 * i);
	}
	ods_metrics_pool_accepted();
}

static void
run_worker(struct ods_metrics *m, unsigned slot)
{
	pid_t	pid;
	int	st;

	if ((pid = fork()) == -1) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		if (ods_metrics_bind(m, slot) != ODS_OK)
			_exit(1);
		serve_routes();
		_exit(0);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0) {
		fprintf(stderr, "worker failed\n");
		exit(1);
	}
}

/* Series in the exposition (a histogram counts once, by its _count). */
static unsigned
series_count(struct ods_metrics *m)
{
	struct ods_buf	 b;
	const char	*p, *e;
	size_t		 l;
	unsigned	 n = 0;

	ods_buf_init(&b, 256u << 20);
	if (ods_metrics_render(m, &b) != ODS_OK)
		exit(1);
	for (p = b.data; *p != '\0'; p = strchr(p, '\n') + 1) {
		if (*p == '#')
			continue;
		for (e = p; *e != '{' && *e != ' '; e++)
			;
		l = (size_t)(e - p);
		if ((l > 7 && memcmp(e - 7, "_bucket", 7) == 0) ||
		    (l > 4 && memcmp(e - 4, "_sum", 4) == 0))
			continue;
		n++;
	}
	ods_buf_free(&b);
	return n;
}

/*
 * Median render time in ms over n renders, *best the fastest (the
 * figure least disturbed by other processes on the machine), *bytes the
 * size of the text.
 */
static double
time_render(struct ods_metrics *m, int n, double *best, size_t *bytes)
{
	struct ods_buf	b;
	double		t[201], t0;
	int		i;

	if (n > 201)
		n = 201;
	ods_buf_init(&b, 256u << 20);
	for (i = 0; i < n; i++) {
		ods_buf_reset(&b);
		t0 = now();
		if (ods_metrics_render(m, &b) != ODS_OK) {
			fprintf(stderr, "render failed\n");
			exit(1);
		}
		t[i] = (now() - t0) * 1e3;
	}
	*bytes = b.len;
	ods_buf_free(&b);
	qsort(t, (size_t)n, sizeof(t[0]), cmp);
	*best = t[0];
	return t[n / 2];
}

static void
bench_render(struct ods_metrics *m)
{
	size_t		bytes;
	unsigned	i;
	double		before, after, bbest, abest, t0;

	for (i = 0; i < nworkers; i++)
		run_worker(m, i);
	before = time_render(m, 201, &bbest, &bytes);
	printf("render      %u workers x %u routes (%u series, %zu bytes): "
	    "%.3f ms median, %.3f ms best\n", nworkers, nseries,
	    series_count(m), bytes, before, bbest);
	t0 = now();
	for (i = 0; i < nrestarts; i++) {
		if (ods_metrics_retire(m, i % nworkers) != ODS_OK)
			exit(1);
		ods_metrics_pool_restart(m, "max_requests");
		run_worker(m, i % nworkers);
	}
	printf("restarts    %u (fork, serve, exit, reap, retire) in %.1f s\n",
	    nrestarts, now() - t0);
	after = time_render(m, 201, &abest, &bytes);
	printf("render      after %u restarts (%zu bytes): %.3f ms median, "
	    "%.3f ms best\n", nrestarts, bytes, after, abest);
	printf("ratio       render after / before restarts: median %.2f, "
	    "best %.2f\n", after / before, abest / bbest);
}

static void
dump(struct ods_metrics *m)
{
	struct ods_buf	b;
	unsigned	i;

	for (i = 0; i < nworkers; i++)
		run_worker(m, i);
	ods_buf_init(&b, 256u << 20);
	if (ods_metrics_render(m, &b) != ODS_OK)
		exit(1);
	fwrite(b.data, 1, b.len, stdout);
	ods_buf_free(&b);
}

int
main(int argc, char *argv[])
{
	struct ods_metrics	*m;
	int			 c, dumping = 0;

	while ((c = getopt(argc, argv, "dn:r:s:w:")) != -1) {
		switch (c) {
		case 'd':
			dumping = 1;
			break;
		case 'n':
			nupdates = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			nrestarts = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 's':
			nseries = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'w':
			nworkers = (unsigned)strtoul(optarg, NULL, 10);
			break;
		default:
			fprintf(stderr, "usage: bench_metrics [-d] [-n updates]"
			    " [-r restarts] [-s series] [-w workers]\n");
			return 2;
		}
	}
	ods_log_init("bench", ODS_LOG_WARN);
	if (nworkers == 0 || nupdates < 10 ||
	    (m = ods_metrics_new("bench", nworkers)) == NULL)
		return 1;
	if (dumping) {
		dump(m);
		return 0;
	}
	bench_render(m);
	bench_updates(m);
	ods_metrics_free(m);
	return 0;
}
