/*
 * lib/vec/ods_kw_tok.c — the keyword index's tokens and its MATCH
 * expressions (see ods_kw.h). Any bytes in; no FTS5 syntax out but
 * quoted strings, OR and the prefix star of a lone CJK character.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <libstemmer.h>

#include "core/ods_mem.h"
#include "vec/ods_kw.h"
#include "vec/ods_vec_int.h"

#define WORD_BYTES	ODSI_KW_WORD
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
	int		 stem;		/* words of ASCII letters stemmed */
};

/*
 * Snowball's English stemmer (libstemmer) for words of ASCII letters:
 * "compression", "compressed" and "compresses" all become "compress".
 * A stemmer is not safe to share, so each thread has its own, made on
 * first use and freed when the thread ends, with a cache of the stems
 * of the words it saw last, 190 KB (words repeat: on 23 MB of Debian's
 * package descriptions stems cost 0.12 s more than none with it, 0.38 s
 * without).
 */
#define STEM_SLOTS	4096		/* a power of two */
/*
 * The last letters of the English stemmer's suffixes (s d g y i r m l e c
 * t n: "-ness", "-ed", "-ing", "-ly", "-li", "-er", "-ism", "-al", "-e",
 * "-ic", "-ment", "-ion" ...), a bit per letter from 'a': a word ending in
 * another (a, b, f, h, j, k, o, p, q, u, v, w, x, z) is its own stem.
 * Checked against libstemmer on the 87 000 distinct words of Debian's
 * descriptions and the kb bench's corpus, and on every three-letter word.
 */
#define STEM_LAST	(1u << ('s' - 'a') | 1u << ('d' - 'a') | \
			 1u << ('g' - 'a') | 1u << ('y' - 'a') | \
			 1u << ('i' - 'a') | 1u << ('r' - 'a') | \
			 1u << ('m' - 'a') | 1u << ('l' - 'a') | \
			 1u << ('e' - 'a') | 1u << ('c' - 'a') | \
			 1u << ('t' - 'a') | 1u << ('n' - 'a'))
#define STEM_WORD	22		/* longer words are not cached */

struct stem_ent {
	uint8_t		 len;		/* 0: free */
	uint8_t		 slen;
	char		 w[STEM_WORD];
	char		 s[STEM_WORD];
};

struct stem_ctx {
	struct sb_stemmer	*st;
	struct stem_ent		 ent[STEM_SLOTS];
};

static pthread_key_t	stem_key;
static pthread_once_t	stem_once = PTHREAD_ONCE_INIT;

static void
stem_free(void *p)
{
	struct stem_ctx	*x = p;

	sb_stemmer_delete(x->st);
	free(x);
}

static void
stem_init(void)
{
	if (pthread_key_create(&stem_key, stem_free) != 0)
		abort();
}

/*
 * The thread's stemmer. Out of memory it stops the process as
 * ods_xmalloc does: a word indexed without its stem would never be
 * found again by a query that has it.
 */
static struct stem_ctx *
stem_ctx(void)
{
	struct stem_ctx	*x;

	(void)pthread_once(&stem_once, stem_init);
	if ((x = pthread_getspecific(stem_key)) != NULL)
		return x;
	x = ods_xcalloc(1, sizeof(*x));
	if ((x->st = sb_stemmer_new("english", "UTF_8")) == NULL ||
	    pthread_setspecific(stem_key, x) != 0)
		abort();
	return x;
}

/*
 * The word's stem in place, when it is ASCII letters only and three or
 * more of them (shorter ones are their own stems).
 */
static void
stem(struct scan *t)
{
	struct stem_ctx		*x;
	struct stem_ent		*e = NULL;
	const sb_symbol		*w;
	size_t			 i;
	int			 n;

	if (t->wlen < 3)
		return;
	for (i = 0; i < t->wlen; i++)
		if (t->word[i] < 'a' || t->word[i] > 'z')
			return;
	if ((STEM_LAST >> (t->word[t->wlen - 1] - 'a') & 1) == 0)
		return;
	x = stem_ctx();
	if (t->wlen <= STEM_WORD) {
		e = &x->ent[odsi_kw_hash(t->word, t->wlen) &
		    (STEM_SLOTS - 1)];
		if (e->len == t->wlen && memcmp(e->w, t->word, t->wlen) == 0) {
			memcpy(t->word, e->s, e->slen);
			t->wlen = e->slen;
			return;
		}
	}
	if ((w = sb_stemmer_stem(x->st, (const sb_symbol *)t->word,
	    (int)t->wlen)) == NULL)
		abort();		/* its only failure: no memory */
	n = sb_stemmer_length(x->st);
	if (n <= 0 || (size_t)n > t->wlen)
		return;			/* never seen: a stem is no longer */
	if (e != NULL) {
		e->len = (uint8_t)t->wlen;
		memcpy(e->w, t->word, t->wlen);
		e->slen = (uint8_t)n;
		memcpy(e->s, w, (size_t)n);
	}
	memcpy(t->word, w, (size_t)n);
	t->wlen = (size_t)n;
}

static int
word_end(struct scan *t)
{
	int	stop = 0;

	if (t->wlen > 0) {
		if (t->stem)
			stem(t);
		stop = t->emit(t->arg, t->word, t->wlen, 0);
	}
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
scan(const unsigned char *s, size_t len, int stem,
    int (*emit)(void *, const char *, size_t, int), void *arg)
{
	struct scan		t;
	enum odsi_vt_class	k;
	uint32_t		c;
	size_t			i = 0, adv;

	memset(&t, 0, sizeof(t));
	t.emit = emit;
	t.arg = arg;
	t.stem = stem;
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
	return odsi_kw_tokenize(text, len, 1, out, outlen);
}

size_t
odsi_kw_tokenize(const char *text, size_t len, int stem, char *out,
    size_t outlen)
{
	struct tokbuf	b;

	memset(&b, 0, sizeof(b));
	b.out = out;
	b.outlen = outlen;
	if (outlen > 0)
		out[0] = '\0';
	if (text != NULL)
		scan((const unsigned char *)text, len, stem, tok_put, &b);
	return b.need;
}

uint32_t
odsi_kw_hash(const char *s, size_t n)
{
	uint32_t	h = 2166136261u;

	while (n-- > 0)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

struct termset {
	struct odsi_kw_terms	*t;
	size_t			 used;		/* bytes of t->buf */
	int			 slot[HASH_SLOTS];	/* term + 1, 0: free */
};

/* Keeps a distinct token; stops at ODS_KW_MAX_QTERMS. */
static int
term_put(void *arg, const char *tok, size_t n, int lone)
{
	struct termset		*ts = arg;
	struct odsi_kw_terms	*t = ts->t;
	uint32_t		 h = odsi_kw_hash(tok, n) & (HASH_SLOTS - 1);
	int			 i;

	while ((i = ts->slot[h]) != 0) {
		if (t->len[i - 1] == n && memcmp(t->term[i - 1], tok, n) == 0)
			return 0;
		h = (h + 1) & (HASH_SLOTS - 1);
	}
	t->term[t->n] = t->buf + ts->used;
	memcpy(t->buf + ts->used, tok, n);
	t->buf[ts->used + n] = '\0';
	ts->used += n + 1;
	t->len[t->n] = n;
	t->lone[t->n] = (char)lone;
	ts->slot[h] = (int)++t->n;
	return t->n >= ODS_KW_MAX_QTERMS;
}

void
odsi_kw_terms(const char *query, size_t len, int stem,
    struct odsi_kw_terms *t)
{
	struct termset	ts;

	memset(&ts, 0, sizeof(ts));
	t->n = 0;
	ts.t = t;
	if (query != NULL)
		scan((const unsigned char *)query, len, stem, term_put, &ts);
}

enum ods_err
odsi_kw_expr(const struct odsi_kw_terms *t, const char *drop, char **out)
{
	size_t	 i, j, n = 0;
	char	*o;

	/* Doubled quotes can at most double a token. */
	if ((o = malloc(t->n * (2 * WORD_BYTES + 8) + 1)) == NULL)
		return ODS_ENOMEM;
	for (i = 0; i < t->n; i++) {
		if (drop != NULL && drop[i])
			continue;
		if (n > 0) {
			memcpy(o + n, " OR ", 4);
			n += 4;
		}
		o[n++] = '"';
		/* Tokens hold no '"' (a separator); doubled all the same. */
		for (j = 0; j < t->len[i]; j++) {
			o[n++] = t->term[i][j];
			if (t->term[i][j] == '"')
				o[n++] = '"';
		}
		o[n++] = '"';
		if (t->lone[i]) {
			memcpy(o + n, " *", 2);
			n += 2;
		}
	}
	o[n] = '\0';
	*out = o;
	return ODS_OK;
}

enum ods_err
ods_kw_match(const char *query, size_t len, char **out)
{
	struct odsi_kw_terms	*t;
	enum ods_err		 er;

	*out = NULL;
	if (query == NULL && len > 0)
		return ODS_EINVAL;
	if ((t = malloc(sizeof(*t))) == NULL)
		return ODS_ENOMEM;
	odsi_kw_terms(query, len, 1, t);
	er = odsi_kw_expr(t, NULL, out);
	free(t);
	return er;
}
