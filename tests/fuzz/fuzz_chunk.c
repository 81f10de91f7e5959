/*
 * tests/fuzz/fuzz_chunk.c — the chunker (lib/text ods_text_chunk) against
 * a plain reading of reference-api §4.4 written the slow way (each
 * separator searched backwards from the window's end, in priority order):
 * both must give the same chunks. Invalid UTF-8 must be refused, every
 * chunk must be non-empty, trimmed, on code point edges and at most
 * chunk_size code points.
 *
 * Input: bytes 0-1 pick chunk_size (1..64) and overlap (< chunk_size);
 * the rest is the text.
 */
#include "config.h"

#include <stdio.h>

#include "core/ods_err.h"
#include "text/ods_text.h"
#include "fuzz.h"

static const char *const seps[] = { "\n\n", "\n", "\xe3\x80\x82",
	"\xef\xbc\x81", "\xef\xbc\x9f", ".", "!", "?", " " };

/* White space as Python's str.isspace(), at p: its length or 0. */
static size_t
ws(const unsigned char *p, size_t n)
{
	static const char *const u[] = { "\xc2\x85", "\xc2\xa0",
		"\xe1\x9a\x80", "\xe2\x80\xa8", "\xe2\x80\xa9", "\xe2\x80\xaf",
		"\xe2\x81\x9f", "\xe3\x80\x80" };
	size_t	i;

	if (p[0] == ' ' || (p[0] >= '\t' && p[0] <= '\r') ||
	    (p[0] >= 0x1c && p[0] <= 0x1f))
		return 1;
	if (n >= 3 && p[0] == 0xe2 && p[1] == 0x80 && p[2] >= 0x80 &&
	    p[2] <= 0x8a)
		return 3;
	for (i = 0; i < sizeof(u) / sizeof(u[0]); i++)
		if (n >= strlen(u[i]) && memcmp(p, u[i], strlen(u[i])) == 0)
			return strlen(u[i]);
	return 0;
}

/* The naive chunker: same contract, byte offsets of code points in cp. */
static size_t
naive(const unsigned char *t, size_t len, const size_t *cp, size_t ncp,
    size_t size, size_t ov, struct ods_text_chunk *out)
{
	size_t	p = 0, e, n = 0, a, b, k, s, q, best;

	while (p < ncp) {
		e = p + size >= ncp ? ncp : p + size;
		if (p + size < ncp) {
			best = 0;
			for (s = 0; s < 9 && best == 0; s++) {
				k = strlen(seps[s]);
				for (q = cp[e]; q >= cp[p] + k; q--)
					if (memcmp(t + q - k, seps[s], k) == 0) {
						best = q;
						break;
					}
			}
			if (best != 0)
				for (e = p; cp[e] != best; e++)
					;
		}
		a = cp[p];
		b = cp[e];
		while (a < b && (k = ws(t + a, b - a)) > 0)
			a += k;
		while (a < b) {
			q = b - 1;
			while (q > a && (t[q] & 0xc0) == 0x80)
				q--;
			if (ws(t + q, b - q) == 0)
				break;
			b = q;
		}
		if (a < b) {
			out[n].off = a;
			out[n].len = b - a;
			n++;
		}
		if (p + size >= ncp)
			break;
		p = e > p + ov ? e - ov : e;
	}
	(void)len;
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ods_text_chunk	*v = NULL, *w;
	const unsigned char	*t;
	size_t			 n, len, csz, ov, i, ncp = 0, *cp, nw;
	enum ods_err		 er;
	int			 valid = 1;

	if (size < 2)
		return 0;
	csz = 1 + data[0] % 64;
	ov = data[1] % csz;
	t = data + 2;
	len = size - 2;
	cp = malloc((len + 1) * sizeof(*cp));
	w = malloc((len + 1) * sizeof(*w));
	if (cp == NULL || w == NULL)
		abort();
	/* Code points, by the same rules as the library's validator. */
	for (i = 0; i < len;) {
		size_t	k = 0;

		if (t[i] < 0x80)
			k = 1;
		else if (t[i] >= 0xc2 && t[i] <= 0xdf)
			k = 2;
		else if (t[i] >= 0xe0 && t[i] <= 0xef)
			k = 3;
		else if (t[i] >= 0xf0 && t[i] <= 0xf4)
			k = 4;
		if (k == 0 || i + k > len) {
			valid = 0;
			break;
		}
		for (n = 1; n < k; n++)
			if ((t[i + n] & 0xc0) != 0x80)
				valid = 0;
		if ((t[i] == 0xe0 && t[i + 1] < 0xa0) ||
		    (t[i] == 0xed && t[i + 1] > 0x9f) ||
		    (t[i] == 0xf0 && t[i + 1] < 0x90) ||
		    (t[i] == 0xf4 && t[i + 1] > 0x8f))
			valid = 0;
		if (!valid)
			break;
		cp[ncp++] = i;
		i += k;
	}
	cp[ncp] = len;
	er = ods_text_chunk((const char *)t, len, csz, ov, &v, &n);
	if (!valid) {
		if (er != ODS_EINVAL || v != NULL || n != 0)
			abort();
		goto out;
	}
	if (er != ODS_OK)
		abort();
	nw = naive(t, len, cp, ncp, csz, ov, w);
	if (nw != n) {
		fprintf(stderr, "chunks: %zu, naive %zu\n", n, nw);
		abort();
	}
	for (i = 0; i < n; i++) {
		size_t	k, c = 0;

		if (v[i].off != w[i].off || v[i].len != w[i].len) {
			fprintf(stderr, "chunk %zu: %zu+%zu, naive %zu+%zu\n",
			    i, v[i].off, v[i].len, w[i].off, w[i].len);
			abort();
		}
		if (v[i].len == 0 || v[i].off + v[i].len > len ||
		    (t[v[i].off] & 0xc0) == 0x80 ||
		    (v[i].off + v[i].len < len &&
		    (t[v[i].off + v[i].len] & 0xc0) == 0x80))
			abort();
		for (k = 0; k < v[i].len; k++)
			if ((t[v[i].off + k] & 0xc0) != 0x80)
				c++;
		if (c > csz)
			abort();
	}
out:
	free(v);
	free(w);
	free(cp);
	return 0;
}
