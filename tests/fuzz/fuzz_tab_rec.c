/*
 * tests/fuzz/fuzz_tab_rec.c — the streaming record reader of ETL imports
 * (lib/text/ods_tab_rec.c). Byte 0 picks the delimiter (bits 0-1: ',',
 * TAB, ';' or lines) and the size of the pieces the bytes are fed in
 * (bits 2-7); the rest is the file. Promises: no crash or leak, fields
 * stay inside the record, and feeding in pieces gives the records that
 * feeding at once gives.
 */
#include "config.h"

#include <assert.h>

#include "fuzz.h"
#include "text/ods_tab.h"

struct tally {
	uint64_t	records, bytes;
};

static int
rec(void *arg, const char **f, const size_t *l, size_t n, const char *bad)
{
	struct tally	*t = arg;
	size_t		 i;

	(void)bad;
	assert(n >= 1);
	t->records++;
	for (i = 0; i < n; i++) {
		assert(f[i] != NULL);
		t->bytes += l[i];
	}
	return 0;
}

static void
run(char delim, const char *p, size_t n, size_t piece, struct tally *t)
{
	struct ods_tab_rec	r;
	size_t			off, k;

	memset(t, 0, sizeof(*t));
	ods_tab_rec_init(&r, delim, 1u << 16, rec, t);
	for (off = 0; off < n; off += k) {
		k = n - off < piece ? n - off : piece;
		(void)ods_tab_rec_feed(&r, p + off, k);
	}
	(void)ods_tab_rec_end(&r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char	delims[4] = { ',', '\t', ';', '\0' };
	struct tally		whole, pieces;
	const char		*p;
	size_t			n;

	fuzz_quiet();
	if (size < 1)
		return 0;
	p = (const char *)data + 1;
	n = size - 1;
	run(delims[data[0] & 3], p, n, n > 0 ? n : 1, &whole);
	run(delims[data[0] & 3], p, n, 1 + (data[0] >> 2), &pieces);
	assert(whole.records == pieces.records);
	assert(whole.bytes == pieces.bytes);
	return 0;
}
