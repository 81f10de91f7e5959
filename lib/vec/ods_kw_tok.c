/*
 * lib/vec/ods_kw_tok.c — the keyword index's tokens and its MATCH
 * expressions (see ods_kw.h). Any bytes in; no FTS5 syntax out but
 * quoted strings, OR and the prefix star of a lone CJK character.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "vec/ods_kw.h"
#include "vec/ods_vec_int.h"

#define WORD_BYTES	64	/* bytes kept of a word */
#define HASH_SLOTS	256	/* > 2 * ODS_KW_MAX_QTERMS */


static size_t
put_utf8(char *o, uint32_t c)
{
	if (c < 0x80) {
		o[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (char)(0xc0 | c >> 6);
		o[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (char)(0xe0 | c >> 12);
		o[1] = (char)(0x80 | (c >> 6 & 0x3f));
		o[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | c >> 18);
	o[1] = (char)(0x80 | (c >> 12 & 0x3f));
	o[2] = (char)(0x80 | (c >> 6 & 0x3f));
	o[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/* Called per token: bytes, length, whether a lone CJK character. */
struct scan {
	int		(*emit)(void *, const char *, size_t, int);
	void		*arg;
	char		 word[WORD_BYTES];
	size_t		 wlen;
	uint32_t	 prev;		/* previous CJK character, 0: none */
	size_t		 run;		/* CJK characters in this run */
};

static int
word_end(struct scan *t)
{
	int	stop = 0;

	if (t->wlen > 0)
		stop = t->emit(t->arg, t->word, t->wlen, 0);
	t->wlen = 0;
	return stop;
}

static int
run_end(struct scan *t)
{
	char	buf[4];
	int	stop = 0;

	if (t->run == 1)
		stop = t->emit(t->arg, buf, put_utf8(buf, t->prev), 1);
	t->run = 0;
	t->prev = 0;
	return stop;
}

static int
cjk(struct scan *t, uint32_t c)
{
	char	buf[8];
	size_t	n;
	int	stop = 0;

	if (t->prev != 0) {
		n = put_utf8(buf, t->prev);
		n += put_utf8(buf + n, c);
		stop = t->emit(t->arg, buf, n, 0);
	}
	t->prev = c;
	t->run++;
	return stop;
}

static void
word_char(struct scan *t, uint32_t c)
{
	char	buf[4];
	size_t	n;

	n = put_utf8(buf, odsi_vt_fold(c));
	if (t->wlen + n <= WORD_BYTES) {
		memcpy(t->word + t->wlen, buf, n);
		t->wlen += n;
	}
}

/* Calls emit for every token until it returns nonzero. */
static void
scan(const unsigned char *s, size_t len,
    int (*emit)(void *, const char *, size_t, int), void *arg)
{
	struct scan		t;
	enum odsi_vt_class	k;
	uint32_t		c;
	size_t			i = 0, adv;

	memset(&t, 0, sizeof(t));
	t.emit = emit;
	t.arg = arg;
	while (i < len) {
		c = odsi_vt_next(s + i, len - i, &adv);
		i += adv;
		k = odsi_vt_classify(c);
		if (k != ODSI_VT_WORD && word_end(&t))
			return;
		if (k != ODSI_VT_CJK && t.run > 0 && run_end(&t))
			return;
		if (k == ODSI_VT_CJK) {
			if (cjk(&t, c))
				return;
		} else if (k == ODSI_VT_WORD)
			word_char(&t, c);
	}
	if (!word_end(&t) && t.run > 0)
		(void)run_end(&t);
}

struct tokbuf {
	char	*out;
	size_t	 outlen;
	size_t	 need;		/* the whole string's length */
	int	 full;		/* stopped writing at a token boundary */
};

static int
tok_put(void *arg, const char *tok, size_t n, int lone)
{
	struct tokbuf	*b = arg;
	size_t		 sep = b->need > 0;

	(void)lone;
	if (!b->full && b->need + sep + n < b->outlen) {
		if (sep)
			b->out[b->need] = ' ';
		memcpy(b->out + b->need + sep, tok, n);
		b->out[b->need + sep + n] = '\0';
	} else
		b->full = 1;
	b->need += sep + n;
	return 0;
}

size_t
ods_kw_tokenize(const char *text, size_t len, char *out, size_t outlen)
{
	struct tokbuf	b;

	memset(&b, 0, sizeof(b));
	b.out = out;
	b.outlen = outlen;
	if (outlen > 0)
		out[0] = '\0';
	if (text != NULL)
		scan((const unsigned char *)text, len, tok_put, &b);
	return b.need;
}

struct match {
	char		*out;
	size_t		 len;
	size_t		 nterms;
	struct {
		size_t	 off, n;	/* the token inside the quotes */
	}		 slot[HASH_SLOTS];
	int		 used[HASH_SLOTS];
};

static uint32_t
hash(const char *s, size_t n)
{
	uint32_t	h = 2166136261u;

	while (n-- > 0)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* Adds a distinct token as a quoted term; stops at ODS_KW_MAX_QTERMS. */
static int
match_put(void *arg, const char *tok, size_t n, int lone)
{
	struct match	*m = arg;
	uint32_t	 h = hash(tok, n) & (HASH_SLOTS - 1);
	size_t		 i;

	while (m->used[h]) {
		if (m->slot[h].n == n &&
		    memcmp(m->out + m->slot[h].off, tok, n) == 0)
			return 0;
		h = (h + 1) & (HASH_SLOTS - 1);
	}
	if (m->nterms > 0) {
		memcpy(m->out + m->len, " OR ", 4);
		m->len += 4;
	}
	m->out[m->len++] = '"';
	m->used[h] = 1;
	m->slot[h].off = m->len;
	m->slot[h].n = n;
	/* Tokens hold no '"' (a separator); doubled all the same. */
	for (i = 0; i < n; i++) {
		m->out[m->len++] = tok[i];
		if (tok[i] == '"')
			m->out[m->len++] = '"';
	}
	m->out[m->len++] = '"';
	if (lone) {
		memcpy(m->out + m->len, " *", 2);
		m->len += 2;
	}
	m->out[m->len] = '\0';
	return ++m->nterms >= ODS_KW_MAX_QTERMS;
}

enum ods_err
ods_kw_match(const char *query, size_t len, char **out)
{
	struct match	*m;

	*out = NULL;
	if (query == NULL && len > 0)
		return ODS_EINVAL;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return ODS_ENOMEM;
	/* Doubled quotes can at most double a token. */
	m->out = malloc(ODS_KW_MAX_QTERMS * (2 * WORD_BYTES + 8) + 1);
	if (m->out == NULL) {
		free(m);
		return ODS_ENOMEM;
	}
	m->out[0] = '\0';
	if (len > 0)
		scan((const unsigned char *)query, len, match_put, m);
	*out = m->out;
	free(m);
	return ODS_OK;
}
