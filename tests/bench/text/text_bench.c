/*
 * tests/bench/text/text_bench.c — plain-text extraction and chunking
 * throughput on one core, beside memcpy of the same bytes (the floor):
 *
 *	text-bench [MiB]	(default 64)
 *
 * The text is English and Chinese sentences in lines and paragraphs,
 * valid UTF-8 (extraction checks and copies it) and again in GB18030
 * (uchardet + iconv). Chunking at the reference's 500/50 characters.
 * Prints MB/s (1e6 bytes) of input for each step, best of 3.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <iconv.h>

#include "core/ods_err.h"
#include "text/ods_text.h"

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *const lines[] = {
	"The knowledge base splits every document into chunks. ",
	"Each chunk gets a vector, and the closest ones answer the question! ",
	"知识库把上传的文档切成小块，再为每一块计算向量。",
	"检索时先找到最相近的段落，然后交给模型回答问题？",
	"Short line.\n",
	"\n",
};

static char *
make_text(size_t len)
{
	char	*t;
	size_t	 n = 0, k, i = 0;

	if ((t = malloc(len + 64)) == NULL)
		abort();
	while (n < len) {
		k = strlen(lines[i % 6]);
		memcpy(t + n, lines[i % 6], k);
		n += k;
		i = i * 7 + 3;
		i %= 1000003;
	}
	return t;
}

/* Run fn 3 times, the best MB/s over len bytes. */
#define BEST(len, stmt) ({						\
	double	_b = 0, _t;						\
	for (int _r = 0; _r < 3; _r++) {				\
		_t = now();						\
		stmt;							\
		_t = now() - _t;					\
		if ((double)(len) / _t / 1e6 > _b)			\
			_b = (double)(len) / _t / 1e6;			\
	}								\
	_b; })

int
main(int argc, char *argv[])
{
	struct ods_text_result	 r;
	struct ods_text_chunk	*v;
	size_t			 mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 64;
	size_t			 len = mib << 20, n = 0, glen, il, ol;
	char			*t, *g, *dst, *ip, *op;
	double			 cp, ex, ch, both, gb;
	iconv_t			 cd;

	t = make_text(len);
	/* Cut on a code point. */
	while (len > 0 && ((unsigned char)t[len] & 0xc0) == 0x80)
		len--;
	if ((dst = malloc(len + 1)) == NULL || (g = malloc(len)) == NULL)
		abort();
	if ((cd = iconv_open("GB18030", "UTF-8")) == (iconv_t)-1)
		abort();
	ip = t;
	il = len;
	op = g;
	ol = len;
	iconv(cd, &ip, &il, &op, &ol);
	iconv_close(cd);
	glen = len - ol;

	cp = BEST(len, memcpy(dst, t, len));
	ex = BEST(len, {
		if (ods_text_extract_mem(t, len, ODS_TEXT_PLAIN, 0, &r) !=
		    ODS_OK)
			abort();
		ods_text_result_fini(&r);
	});
	ch = BEST(len, {
		if (ods_text_chunk(t, len, 500, 50, &v, &n) != ODS_OK)
			abort();
		free(v);
	});
	both = BEST(len, {
		if (ods_text_extract_mem(t, len, ODS_TEXT_PLAIN, 0, &r) !=
		    ODS_OK || ods_text_chunk(r.text, r.len, 500, 50, &v,
		    &n) != ODS_OK)
			abort();
		free(v);
		ods_text_result_fini(&r);
	});
	gb = BEST(glen, {
		if (ods_text_extract_mem(g, glen, ODS_TEXT_PLAIN, 0, &r) !=
		    ODS_OK)
			abort();
		ods_text_result_fini(&r);
	});
	printf("input %zu bytes UTF-8 (%zu chunks of 500/50), %zu bytes "
	    "GB18030\n", len, n, glen);
	printf("%-34s %9s %8s\n", "step (one core)", "MB/s", "vs memcpy");
	printf("%-34s %9.0f %8.3f\n", "memcpy", cp, 1.0);
	printf("%-34s %9.0f %8.3f\n", "extract plain UTF-8", ex, ex / cp);
	printf("%-34s %9.0f %8.3f\n", "chunk 500/50", ch, ch / cp);
	printf("%-34s %9.0f %8.3f\n", "extract + chunk", both, both / cp);
	printf("%-34s %9.0f %8.3f\n", "extract GB18030 (uchardet+iconv)", gb,
	    gb / cp);
	free(t);
	free(g);
	free(dst);
	return 0;
}
