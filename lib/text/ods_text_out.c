/*
 * lib/text/ods_text_out.c — the output sink of the extractors: valid
 * UTF-8 only, no NUL, capped, with the little layout the structured
 * formats need (collapsed white space, owed line breaks and separators).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_err.h"
#include "text/ods_text.h"
#include "text/ods_text_int.h"

#define FFFD	"\xef\xbf\xbd"

void
odsi_text_out_init(struct odsi_text_out *o, size_t max)
{
	memset(o, 0, sizeof(*o));
	o->max = max;
}

void
odsi_text_out_fini(struct odsi_text_out *o)
{
	free(o->buf);
	o->buf = NULL;
	o->len = o->alloc = 0;
}

size_t
odsi_utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char	c = p[0], lo = 0x80, hi = 0xbf;
	size_t		need, i;

	if (c < 0x80)
		return 1;
	if (c < 0xc2 || c > 0xf4)
		return 0;
	need = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n < need || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < need; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return need;
}

/*
 * The bytes that one U+FFFD replaces: a lead byte and the continuation
 * bytes that could still have completed it (Unicode's "maximal subpart").
 * Only called where odsi_utf8_seq() said no.
 */
size_t
odsi_utf8_bad(const unsigned char *p, size_t n)
{
	unsigned char	c = p[0], lo = 0x80, hi = 0xbf;
	size_t		need, i;

	if (c < 0xc2 || c > 0xf4 || n < 2)
		return 1;
	need = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 1;
	for (i = 2; i < need && i < n && (p[i] & 0xc0) == 0x80; i++)
		;
	return i;
}

int
odsi_utf8_valid(const char *s, size_t n)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, k;

	while (i < n) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((k = odsi_utf8_seq(p + i, n - i)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

static enum ods_err
grow(struct odsi_text_out *o, size_t n)
{
	size_t	 want;
	char	*nb;

	if (o->alloc - o->len > n)
		return ODS_OK;
	want = o->alloc == 0 ? 4096 : o->alloc;
	while (want - o->len <= n) {
		if (want > ((size_t)-1) / 2)
			return ODS_ENOMEM;
		want *= 2;
	}
	if ((nb = realloc(o->buf, want)) == NULL)
		return ODS_ENOMEM;
	o->buf = nb;
	o->alloc = want;
	return ODS_OK;
}

/* Append p[0..n), valid UTF-8 with no NUL, as much as the cap allows. */
static enum ods_err
raw(struct odsi_text_out *o, const char *p, size_t n)
{
	size_t	room;

	if (o->full)
		return ODS_OK;
	room = o->max - o->len;
	if (n > room) {
		n = room;
		while (n > 0 && ((unsigned char)p[n] & 0xc0) == 0x80)
			n--;
		o->full = 1;
	}
	if (n == 0)
		return ODS_OK;
	if (grow(o, n) != ODS_OK)
		return ODS_ENOMEM;
	memcpy(o->buf + o->len, p, n);
	o->len += n;
	return ODS_OK;
}

/* Past the ASCII bytes other than NUL from i, eight at a time. */
static size_t
ascii_run(const unsigned char *p, size_t i, size_t n)
{
	const uint64_t	hi = 0x8080808080808080ull, lo = 0x0101010101010101ull;
	uint64_t	v;

	while (n - i >= 8) {
		memcpy(&v, p + i, 8);
		/* A byte >= 0x80, or a zero byte (v - lo borrows). */
		if ((v & hi) != 0 || ((v - lo) & ~v & hi) != 0)
			break;
		i += 8;
	}
	return i;
}

enum ods_err
odsi_text_put(struct odsi_text_out *o, const char *s, size_t n)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, run, k;
	enum ods_err		 er;

	while (i < n && !o->full) {
		run = i;
		for (;;) {
			run = ascii_run(p, run, n);
			while (run < n && p[run] != 0 && p[run] < 0x80)
				run++;
			if (run < n && p[run] >= 0x80 &&
			    (k = odsi_utf8_seq(p + run, n - run)) != 0) {
				run += k;
				continue;
			}
			break;
		}
		if ((er = raw(o, s + i, run - i)) != ODS_OK)
			return er;
		if (run == n)
			break;
		if (p[run] == 0)
			i = run + 1;
		else {
			if ((er = raw(o, FFFD, 3)) != ODS_OK)
				return er;
			i = run + odsi_utf8_bad(p + run, n - run);
		}
	}
	return ODS_OK;
}

enum ods_err
odsi_text_put_valid(struct odsi_text_out *o, const char *s, size_t n)
{
	const char	*z;
	enum ods_err	 er;

	while (n > 0 && !o->full) {
		if ((z = memchr(s, '\0', n)) == NULL)
			return raw(o, s, n);
		if ((er = raw(o, s, (size_t)(z - s))) != ODS_OK)
			return er;
		n -= (size_t)(z - s) + 1;
		s = z + 1;
	}
	return ODS_OK;
}

/*
 * Pay what is owed before text: line breaks (less those the text already
 * ends with), else a separator; nothing at the start of the text.
 */
static enum ods_err
owed(struct odsi_text_out *o)
{
	enum ods_err	er = ODS_OK;
	int		t = 0;

	if (o->len > 0 && o->nl > 0) {
		while (t < 2 && (size_t)t < o->len &&
		    o->buf[o->len - 1 - (size_t)t] == '\n')
			t++;
		if (o->nl > t)
			er = raw(o, "\n\n", (size_t)(o->nl - t));
	} else if (o->len > 0 && o->sep != 0 && o->buf[o->len - 1] != '\n')
		er = raw(o, &o->sep, 1);
	o->nl = 0;
	o->sep = 0;
	return er;
}

static int
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	    c == '\v';
}

enum ods_err
odsi_text_flow(struct odsi_text_out *o, const char *s, size_t n)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, j;
	enum ods_err		 er;

	while (i < n && !o->full) {
		if (is_space(p[i])) {
			odsi_text_sep(o, ' ');
			while (i < n && is_space(p[i]))
				i++;
			continue;
		}
		j = i;
		while (j < n && !is_space(p[j]))
			j++;
		if ((er = owed(o)) != ODS_OK ||
		    (er = odsi_text_put(o, s + i, j - i)) != ODS_OK)
			return er;
		i = j;
	}
	return ODS_OK;
}

enum ods_err
odsi_text_hard(struct odsi_text_out *o, const char *s, size_t n)
{
	enum ods_err	er;

	if (n == 0)
		return ODS_OK;
	if ((er = owed(o)) != ODS_OK)
		return er;
	return odsi_text_put(o, s, n);
}

void
odsi_text_brk(struct odsi_text_out *o, int k)
{
	if (k > 2)
		k = 2;
	if (o->nl < k)
		o->nl = k;
	o->sep = 0;
}

void
odsi_text_sep(struct odsi_text_out *o, char c)
{
	if (o->nl == 0 && o->sep != '\t')
		o->sep = c;
}

enum ods_err
odsi_text_out_take(struct odsi_text_out *o, struct ods_text_result *res)
{
	if (grow(o, 1) != ODS_OK)
		return ODS_ENOMEM;
	o->buf[o->len] = '\0';
	res->text = o->buf;
	res->len = o->len;
	res->truncated = o->full;
	o->buf = NULL;
	o->len = o->alloc = 0;
	return ODS_OK;
}
