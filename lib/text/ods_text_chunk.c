/*
 * lib/text/ods_text_chunk.c — the chunker of the RAG pipeline
 * (reference-api §4.4), in code points, in one pass per window.
 *
 * A window is chunk_size code points from pos. One forward scan over it
 * finds its end and, for each separator, the end of its last occurrence
 * that lies wholly inside; the cut is the first separator's of the
 * priority list. So a window costs its own bytes, never a rescan of the
 * text, and windows advance by chunk_size - overlap characters or more
 * (at least one), which keeps the whole linear for sane overlaps.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core/ods_err.h"
#include "text/ods_text.h"
#include "text/ods_text_int.h"

#define CHUNK_MAX	100000

/* The separators, by priority: "\n\n" "\n" 。 ！ ？ . ! ? " " */
enum { S_PARA, S_NL, S_CJK_STOP, S_CJK_BANG, S_CJK_QUEST, S_DOT, S_BANG,
	S_QUEST, S_SPACE, S__N };

/* Bytes that may start a separator; 0xe3 (。) and 0xef (！？). */
static const unsigned char interesting[256] = {
	['\n'] = 1, ['.'] = 1, ['!'] = 1, ['?'] = 1, [' '] = 1,
	[0xe3] = 1, [0xef] = 1,
};

/* Is the code point at p (valid UTF-8, n bytes left) white space, as
 * Python's str.isspace()? Returns its length, 0 when not. */
static size_t
space_len(const unsigned char *p, size_t n)
{
	unsigned int	c;

	if (p[0] < 0x80)
		return (p[0] >= '\t' && p[0] <= '\r') || p[0] == ' ' ||
		    (p[0] >= 0x1c && p[0] <= 0x1f) ? 1 : 0;
	if (n >= 2 && p[0] == 0xc2)
		return p[1] == 0x85 || p[1] == 0xa0 ? 2 : 0;
	if (n < 3 || p[0] < 0xe1 || p[0] > 0xe3)
		return 0;
	c = ((unsigned)(p[0] & 0x0f) << 12) | ((unsigned)(p[1] & 0x3f) << 6) |
	    (p[2] & 0x3f);
	if (c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 ||
	    c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000)
		return 3;
	return 0;
}

/* Trim [*a, *b) of white space at both ends. */
static void
trim(const unsigned char *t, size_t *a, size_t *b)
{
	size_t	k, q;

	while (*a < *b && (k = space_len(t + *a, *b - *a)) > 0)
		*a += k;
	while (*a < *b) {
		/* The last code point's start. */
		q = *b - 1;
		while (q > *a && (t[q] & 0xc0) == 0x80)
			q--;
		if (space_len(t + q, *b - q) == 0)
			break;
		*b = q;
	}
}

/*
 * Scan the window from pos in one pass: *end gets the window's end
 * (before the code point that would be the (size+1)th, or len), last[]
 * the end of each separator's last occurrence inside it (0: none); a
 * separator is whole code points, so one that starts inside a window
 * that ends on a code point edge is inside it. Returns 1 when the window
 * reaches the end of the text.
 */
static int
scan(const unsigned char *t, size_t len, size_t pos, size_t size,
    size_t *end, size_t last[S__N])
{
	size_t	i, cp = 0;

	memset(last, 0, S__N * sizeof(last[0]));
	for (i = pos; i < len; i++) {
		if ((t[i] & 0xc0) != 0x80 && ++cp > size)
			break;
		if (!interesting[t[i]])
			continue;
		switch (t[i]) {
		case '\n':
			last[S_NL] = i + 1;
			if (i > pos && t[i - 1] == '\n')
				last[S_PARA] = i + 1;
			break;
		case '.':
			last[S_DOT] = i + 1;
			break;
		case '!':
			last[S_BANG] = i + 1;
			break;
		case '?':
			last[S_QUEST] = i + 1;
			break;
		case ' ':
			last[S_SPACE] = i + 1;
			break;
		case 0xe3:	/* 。 U+3002 */
			if (t[i + 1] == 0x80 && t[i + 2] == 0x82)
				last[S_CJK_STOP] = i + 3;
			break;
		case 0xef:	/* ！ U+FF01, ？ U+FF1F */
			if (t[i + 1] == 0xbc && t[i + 2] == 0x81)
				last[S_CJK_BANG] = i + 3;
			else if (t[i + 1] == 0xbc && t[i + 2] == 0x9f)
				last[S_CJK_QUEST] = i + 3;
			break;
		}
	}
	*end = i;
	return i == len;
}

/* overlap code points back from cut, or cut when that is not past pos. */
static size_t
next_pos(const unsigned char *t, size_t pos, size_t cut, size_t overlap)
{
	size_t	q = cut, k;

	for (k = 0; k < overlap && q > pos; k++) {
		q--;
		while (q > pos && (t[q] & 0xc0) == 0x80)
			q--;
	}
	return q > pos ? q : cut;
}

static enum ods_err
add(struct ods_text_chunk **v, size_t *n, size_t *alloc, size_t off,
    size_t len)
{
	struct ods_text_chunk	*nv;
	size_t			 na;

	if (*n == *alloc) {
		na = *alloc == 0 ? 16 : *alloc * 2;
		if ((nv = reallocarray(*v, na, sizeof(**v))) == NULL)
			return ODS_ENOMEM;
		*v = nv;
		*alloc = na;
	}
	(*v)[*n].off = off;
	(*v)[*n].len = len;
	(*n)++;
	return ODS_OK;
}

enum ods_err
ods_text_chunk(const char *text, size_t len, size_t chunk_size,
    size_t overlap, struct ods_text_chunk **out, size_t *n)
{
	const unsigned char	*t = (const unsigned char *)text;
	struct ods_text_chunk	*v = NULL;
	size_t			 nv = 0, alloc = 0, pos = 0, cut, a, b, i;
	size_t			 last[S__N];
	int			 final;

	*out = NULL;
	*n = 0;
	if (chunk_size < 1 || chunk_size > CHUNK_MAX ||
	    overlap >= chunk_size || (text == NULL && len > 0) ||
	    !odsi_utf8_valid(text, len))
		return ODS_EINVAL;
	while (pos < len) {
		final = scan(t, len, pos, chunk_size, &cut, last);
		if (!final) {
			for (i = 0; i < S__N && last[i] == 0; i++)
				;
			if (i < S__N)
				cut = last[i];
		}
		a = pos;
		b = cut;
		trim(t, &a, &b);
		if (a < b && add(&v, &nv, &alloc, a, b - a) != ODS_OK) {
			free(v);
			return ODS_ENOMEM;
		}
		if (final)
			break;
		pos = next_pos(t, pos, cut, overlap);
	}
	*out = v;
	*n = nv;
	return ODS_OK;
}
