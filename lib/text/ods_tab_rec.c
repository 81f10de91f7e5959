/*
 * lib/text/ods_tab_rec.c — records of a whole delimited file as its bytes
 * stream by (ods_tab.h: ods_tab_rec_*), and CSV fields written out: the
 * streaming halves of what ods_tab.c does on a file's head.
 *
 * RFC 4180: a field that starts with '"' is quoted, "" inside it is one
 * quote, and delimiters and line breaks inside it are data; CRLF, LF and
 * a lone CR end a record; blank lines are skipped; a UTF-8 BOM at the
 * start is dropped. A character after a closing quote is kept (the
 * lenient reading of most readers) but the record is flagged malformed.
 * In lines mode (JSON Lines) each non-blank line is one field.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core/ods_mem.h"
#include "text/ods_tab.h"

enum { F_START, F_PLAIN, F_QUOTED, F_QUOTE_SEEN, F_CR };

void
ods_tab_rec_init(struct ods_tab_rec *r, char delim, size_t max_record,
    ods_tab_rec_fn fn, void *arg)
{
	memset(r, 0, sizeof(*r));
	r->delim = delim;
	r->max = max_record > 0 ? max_record : (16u << 20);
	r->fn = fn;
	r->arg = arg;
	r->bom = 0;
}

static int
field_end(struct ods_tab_rec *r)
{
	size_t	*no;

	if (r->nf == r->capf) {
		r->capf = r->capf ? r->capf * 2 : 16;
		if (r->capf > ODS_TAB_COLS_MAX * 2) {
			r->capf /= 2;
			r->toobig = 1;
			return 0;
		}
		no = realloc(r->off, r->capf * sizeof(*no));
		if (no == NULL)
			return -1;
		r->off = no;
	}
	r->off[r->nf++] = r->len;
	return 0;
}

static int
put(struct ods_tab_rec *r, char c)
{
	char	*nb;
	size_t	 ncap;

	if (r->len + 1 >= r->max) {
		r->toobig = 1;
		return 0;
	}
	if (r->len + 1 >= r->cap) {
		ncap = r->cap ? r->cap * 2 : 4096;
		if ((nb = realloc(r->buf, ncap)) == NULL)
			return -1;
		r->buf = nb;
		r->cap = ncap;
	}
	r->buf[r->len++] = c;
	return 0;
}

/* The record so far to fn: the fields end at off[] in buf. */
static int
emit(struct ods_tab_rec *r)
{
	const char	**f = NULL;
	size_t		 *l = NULL, i, start = 0;
	int		  rc = 0, blank;

	if (field_end(r) != 0)
		return -1;
	blank = r->nf == 1 && r->len == 0 && !r->quoted_seen;
	if (!blank) {
		f = ods_xcalloc(r->nf, sizeof(*f));
		l = ods_xcalloc(r->nf, sizeof(*l));
		for (i = 0; i < r->nf; i++) {
			f[i] = r->buf != NULL ? r->buf + start : "";
			l[i] = r->off[i] - start;
			start = r->off[i];
		}
		r->records++;
		rc = r->fn(r->arg, f, l, r->nf, r->malformed || r->toobig ?
		    (r->toobig ? "the record is too long" :
		    "a character follows a closing quote") : NULL);
		free(f);
		free(l);
	}
	r->nf = 0;
	r->len = 0;
	r->malformed = r->toobig = r->quoted_seen = 0;
	return rc;
}

int
ods_tab_rec_feed(struct ods_tab_rec *r, const char *p, size_t n)
{
	size_t	i;
	char	c;
	int	rc;

	for (i = 0; i < n; i++) {
		c = p[i];
		if (r->bom >= 0 && r->bom < 3 && (unsigned char)c ==
		    (unsigned char)"\xef\xbb\xbf"[r->bom]) {
			if (++r->bom == 3)
				r->bom = -1;
			continue;
		}
		if (r->bom > 0) {
			/* Not a BOM after all: its bytes are data. */
			int k, b = r->bom;

			r->bom = -1;
			for (k = 0; k < b; k++)
				if (put(r, "\xef\xbb\xbf"[k]) != 0)
					return -1;
			r->st = F_PLAIN;
		}
		r->bom = -1;
		if (r->st == F_CR) {
			r->st = F_START;
			if (c == '\n')
				continue;
		}
		switch (r->st) {
		case F_QUOTED:
			if (c == '"')
				r->st = F_QUOTE_SEEN;
			else if (put(r, c) != 0)
				return -1;
			continue;
		case F_QUOTE_SEEN:
			if (c == '"') {
				r->st = F_QUOTED;
				if (put(r, '"') != 0)
					return -1;
				continue;
			}
			r->st = F_PLAIN;
			if (c != r->delim && c != '\n' && c != '\r')
				r->malformed = 1;
			break;
		case F_START:
			if (c == '"' && r->delim != '\0') {
				r->st = F_QUOTED;
				r->quoted_seen = 1;
				continue;
			}
			break;
		default:
			break;
		}
		if (c == '\n' || c == '\r') {
			if ((rc = emit(r)) != 0)
				return rc;
			r->st = c == '\r' ? F_CR : F_START;
		} else if (c == r->delim && r->delim != '\0') {
			if (field_end(r) != 0)
				return -1;
			r->st = F_START;
		} else {
			if (put(r, c) != 0)
				return -1;
			r->st = F_PLAIN;
		}
	}
	return 0;
}

int
ods_tab_rec_end(struct ods_tab_rec *r)
{
	int	rc = 0;

	if (r->st == F_QUOTED)
		r->malformed = 1;	/* an unterminated quote */
	if (r->len > 0 || r->nf > 0 || r->quoted_seen)
		rc = emit(r);
	free(r->buf);
	free(r->off);
	r->buf = NULL;
	r->off = NULL;
	return rc;
}

enum ods_err
ods_tab_csv_field(struct ods_buf *b, const char *s, size_t n, char delim)
{
	enum ods_err	er;
	size_t		i, start;
	char		set[5] = { ',', '"', '\r', '\n', '\0' };

	set[0] = delim;
	for (i = 0; i < n && strchr(set, s[i]) == NULL; i++)
		;
	if (i >= n)
		return ods_buf_add(b, s, n);
	if ((er = ods_buf_add(b, "\"", 1)) != ODS_OK)
		return er;
	for (i = start = 0; i < n; i++)
		if (s[i] == '"') {
			if ((er = ods_buf_add(b, s + start, i - start + 1)) !=
			    ODS_OK)
				return er;
			start = i;
		}
	if ((er = ods_buf_add(b, s + start, n - start)) != ODS_OK)
		return er;
	return ods_buf_add(b, "\"", 1);
}
