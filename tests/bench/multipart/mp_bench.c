/*
 * tests/bench/multipart/mp_bench.c — the multipart parser on a generated
 * stream (default 1 GiB per row), side by side with the cheapest scan any
 * parser must make (memchr for CR over the same chunks), and the whole
 * ods_multipart_read path (request reader, parser, sink) on the same
 * stream. Prints MB/s, the ratio to the scan, and the peak RSS of the
 * process, which stays flat: nothing holds a part.
 *
 *	multipart-bench [MiB]
 *
 * Rows: binary (random bytes: a CR every 256 bytes), csv (text lines
 * ending in CRLF), adversarial (the data is the delimiter over and over,
 * each missing its last byte: every byte goes through the slow path).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "ods.h"

#define BLOCK	(1u << 20)
#define CHUNK	(65536 - 7)	/* odd: delimiters fall anywhere */
#define BOUNDARY "----OdsBenchBoundary7MA4YWxkTrZu0gW"

static const char	 ct[] = "multipart/form-data; boundary=" BOUNDARY;
static const char	 head[] = "--" BOUNDARY "\r\nContent-Disposition: "
    "form-data; name=\"title\"\r\n\r\nbench\r\n--" BOUNDARY "\r\n"
    "Content-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n"
    "Content-Type: application/octet-stream\r\n\r\n";
static const char	 tail[] = "\r\n--" BOUNDARY "--\r\n";

/* The stream: head, nblocks x block, tail, handed out in pieces. */
struct gen {
	const char	*block;
	size_t		 nblocks;
	size_t		 off;		/* in the whole stream */
	size_t		 total;
};

static void
gen_init(struct gen *g, const char *block, size_t nblocks)
{
	g->block = block;
	g->nblocks = nblocks;
	g->off = 0;
	g->total = strlen(head) + nblocks * BLOCK + strlen(tail);
}

/* The next piece (at most n bytes), pointing into static memory. */
static size_t
gen_next(struct gen *g, const char **p, size_t n)
{
	size_t	h = strlen(head), d = g->nblocks * BLOCK, o = g->off, k;

	if (o < h) {
		*p = head + o;
		k = h - o;
	} else if (o < h + d) {
		*p = g->block + (o - h) % BLOCK;
		k = BLOCK - (o - h) % BLOCK;
		if (k > h + d - o)
			k = h + d - o;
	} else {
		*p = tail + (o - h - d);
		k = g->total - o;
	}
	if (k > n)
		k = n;
	g->off += k;
	return k;
}

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static long
maxrss_kb(void)
{
	struct rusage	ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

struct count {
	uint64_t	bytes;
	unsigned	sum;
};

static enum ods_err
on_data(void *arg, const struct ods_multipart_part *p, const char *b,
    size_t n, struct ods_why *e)
{
	struct count	*c = arg;

	(void)e;
	if (p->filename != NULL) {
		c->bytes += n;
		c->sum += (unsigned char)b[0] + (unsigned char)b[n - 1];
	}
	return ODS_OK;
}

static double
run_scan(const char *block, size_t nblocks, uint64_t *crs)
{
	struct gen	 g;
	const char	*p, *q;
	size_t		 n;
	double		 t0 = now();

	*crs = 0;
	gen_init(&g, block, nblocks);
	while ((n = gen_next(&g, &p, CHUNK)) > 0)
		for (q = p; (q = memchr(q, '\r', n - (size_t)(q - p))) != NULL;
		    q++)
			(*crs)++;
	return now() - t0;
}

static double
run_parser(const char *block, size_t nblocks, struct count *c)
{
	struct ods_multipart_cb	 cb = { NULL, on_data, NULL, c };
	struct ods_multipart	*m;
	struct ods_why		 why;
	struct gen		 g;
	const char		*p;
	size_t			 n;
	double			 t0 = now();

	memset(c, 0, sizeof(*c));
	gen_init(&g, block, nblocks);
	if ((m = ods_multipart_new(ct, NULL, &cb, &why)) == NULL)
		abort();
	while ((n = gen_next(&g, &p, CHUNK)) > 0)
		if (ods_multipart_feed(m, p, n, &why) != ODS_OK) {
			fprintf(stderr, "feed: %s\n", why.msg);
			exit(1);
		}
	if (ods_multipart_finish(m, &why) != ODS_OK) {
		fprintf(stderr, "finish: %s\n", why.msg);
		exit(1);
	}
	ods_multipart_free(m);
	return now() - t0;
}

/* ---- the request path: ods_req_read -> parser -> sink ---- */

static long
io_read(void *ctx, char *buf, size_t n)
{
	const char	*p;
	size_t		 k = gen_next(ctx, &p, n);

	memcpy(buf, p, k);	/* as FCGX_GetStr copies */
	return (long)k;
}

static int
io_write(void *ctx, const char *buf, size_t n)
{
	(void)ctx;
	(void)buf;
	(void)n;
	return 0;
}

static int
io_flush(void *ctx)
{
	(void)ctx;
	return 0;
}

static enum ods_err
s_open(void *arg, const struct ods_multipart_part *p, void **file,
    struct ods_why *e)
{
	(void)p;
	(void)e;
	*file = arg;
	return ODS_OK;
}

static enum ods_err
s_write(void *arg, void *file, const char *b, size_t n, struct ods_why *e)
{
	struct count	*c = file;

	(void)arg;
	(void)e;
	c->bytes += n;
	c->sum += (unsigned char)b[0] + (unsigned char)b[n - 1];
	return ODS_OK;
}

static double
run_read(const char *block, size_t nblocks, struct count *c,
    size_t *nfields)
{
	struct ods_multipart_sink	 sink = { s_open, s_write, NULL, NULL,
	    c };
	struct ods_multipart_form	 form;
	struct ods_req_env		 env;
	struct ods_req_io		 io;
	struct ods_conf			*conf = ods_conf_new();
	struct ods_arena		*a = ods_arena_new(1 << 16);
	struct ods_req			*r;
	struct ods_why			 why;
	struct gen			 g;
	char				 ctp[sizeof(ct) + 16];
	char				*params[] = { "REQUEST_METHOD=POST",
	    "DOCUMENT_URI=/upload", ctp, NULL };
	double				 t0;

	memset(c, 0, sizeof(*c));
	memset(&env, 0, sizeof(env));
	env.conf = conf;
	env.service = "bench";
	gen_init(&g, block, nblocks);
	io = (struct ods_req_io){ io_read, io_write, io_flush, &g };
	snprintf(ctp, sizeof(ctp), "CONTENT_TYPE=%s", ct);
	if (conf == NULL || a == NULL ||
	    (r = ods_req_new(a, params, &io, &env)) == NULL)
		abort();
	ods_req_set_body_max(r, conf->max_upload_bytes > g.total ?
	    conf->max_upload_bytes : g.total);
	t0 = now();
	if (ods_multipart_read(r, &sink, NULL, &form, &why) != ODS_OK) {
		fprintf(stderr, "read: %s\n", why.msg);
		exit(1);
	}
	t0 = now() - t0;
	*nfields = form.nfields;
	ods_arena_free(a);
	ods_conf_free(conf);
	return t0;
}

static void
fill(char *b, int kind)
{
	static const char	 near[] = "\r\n--" BOUNDARY;
	uint64_t		 x = 88172645463325252ull;
	size_t			 i, n = sizeof(near) - 2;	/* no last byte */

	for (i = 0; i < BLOCK; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		if (kind == 0)
			b[i] = (char)(x >> 24);
		else if (kind == 1)
			b[i] = i % 64 == 62 ? '\r' : i % 64 == 63 ? '\n' :
			    "0123456789,.;abcdefghij"[(x >> 24) % 23];
		else
			b[i] = near[i % n];
	}
}

int
main(int argc, char *argv[])
{
	static const char *const names[] = { "binary", "csv", "adversarial" };
	struct count	 c;
	uint64_t	 crs;
	size_t		 mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 1024;
	size_t		 nf;
	double		 ts, tp, tr, mb;
	char		*block;
	int		 k;

	if (mib == 0)
		mib = 1;
	if ((block = malloc(BLOCK)) == NULL)
		return 1;
	mb = (double)mib * BLOCK / 1e6;
	printf("%-12s %10s %10s %10s %7s %10s\n", "data", "scan MB/s",
	    "parse MB/s", "read MB/s", "p/scan", "maxrss KB");
	for (k = 0; k < 3; k++) {
		fill(block, k);
		ts = run_scan(block, mib, &crs);
		tp = run_parser(block, mib, &c);
		if (c.bytes != (uint64_t)mib * BLOCK) {
			fprintf(stderr, "%s: %llu bytes, want %llu\n", names[k],
			    (unsigned long long)c.bytes,
			    (unsigned long long)mib * BLOCK);
			return 1;
		}
		tr = run_read(block, mib, &c, &nf);
		if (c.bytes != (uint64_t)mib * BLOCK || nf != 1)
			return 1;
		printf("%-12s %10.0f %10.0f %10.0f %7.2f %10ld\n", names[k],
		    mb / ts, mb / tp, mb / tr, ts / tp, maxrss_kb());
	}
	printf("stream %zu MiB per row (+ headers), chunks of %d bytes; CRs in "
	    "the last: %llu\n", mib, CHUNK, (unsigned long long)crs);
	free(block);
	return 0;
}
