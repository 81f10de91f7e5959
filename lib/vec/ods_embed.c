/*
 * lib/vec/ods_embed.c — ods-hash-embed: hashed lexical features, signed,
 * sublinear, L2-normalised. See ods_embed.h for the model card.
 */
#include "config.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vec/ods_embed.h"
#include "vec/ods_vec_int.h"
#include "core/ods_mem.h"

#define W_WORD		1.0f
#define W_BIGRAM	0.5f
#define W_TRIGRAM	0.25f
#define W_CJK2		1.0f
#define W_CJK1		0.4f

#define SEED_WORD	0x243f6a8885a308d3ULL
#define SEED_BIGRAM	0x13198a2e03707344ULL
#define SEED_TRIGRAM	0xa4093822299f31d0ULL
#define SEED_CJK1	0x082efa98ec4e6c89ULL
#define SEED_CJK2	0x452821e638d01377ULL

#define WORD_MAX	64	/* code points kept per word for trigrams */
#define TABLE_MAX	16384	/* distinct features per counting window */

struct feat {
	uint64_t	h;
	float		w;
	uint32_t	cnt;	/* 0: empty */
};

struct emb {
	float		*out;
	uint32_t	 dim;
	struct feat	*t;
	uint64_t	*used;		/* bitmap of the slots taken */
	size_t		 cap, n;
	size_t		 ntok;
	uint64_t	 prev;		/* previous word's hash, 0: none */
	uint32_t	 word[WORD_MAX];
	size_t		 wlen;
	uint64_t	 wh;		/* FNV-1a over the word's code points */
	uint32_t	 prevcjk;	/* previous CJK character, 0: none */
};

/*
 * Each thread's counting table and its bitmap, TABLE_MAX slots, made on
 * first use and freed when the thread ends. A window uses its first cap
 * slots (the same slots, so the same sums, as a table of cap) and
 * flush() leaves every slot it used empty again: no zeroing of 64 KB a
 * chunk of 500 characters (a calloc, and the kernel's fresh pages).
 */
struct emb_tab {
	struct feat	t[TABLE_MAX];
	uint64_t	used[TABLE_MAX / 64];
};

static pthread_key_t	tab_key;
static pthread_once_t	tab_once = PTHREAD_ONCE_INIT;

static void
tab_init(void)
{
	if (pthread_key_create(&tab_key, free) != 0)
		abort();
}

static struct emb_tab *
tab_get(void)
{
	struct emb_tab	*x;

	(void)pthread_once(&tab_once, tab_init);
	if ((x = pthread_getspecific(tab_key)) != NULL)
		return x;
	x = ods_xcalloc(1, sizeof(*x));
	if (pthread_setspecific(tab_key, x) != 0)
		abort();
	return x;
}

static uint64_t
mix64(uint64_t x)
{
	x ^= x >> 32;
	x *= 0xd6e8feb86659fd93ULL;
	x ^= x >> 32;
	x *= 0xd6e8feb86659fd93ULL;
	x ^= x >> 32;
	return x;
}

/*
 * Add the window's features to the vector. Only the slots taken are
 * visited (a short text fills a few hundred of thousands), found by the
 * bitmap in slot order, so that the float sums are those of a scan of
 * the whole table.
 */
static void
flush(struct emb *e)
{
	size_t		w;
	uint32_t	i, idx;
	uint64_t	h, m;
	float		v;

	for (w = 0; w < e->cap / 64; w++) {
		for (m = e->used[w]; m != 0; m &= m - 1) {
			i = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(m));
			h = mix64(e->t[i].h ^ 0x9e3779b97f4a7c15ULL);
			idx = (uint32_t)(((h >> 32) * (uint64_t)e->dim) >> 32);
			/* logf(1) is 0: the same value without the call. */
			v = e->t[i].cnt == 1 ? e->t[i].w :
			    e->t[i].w * (1.0f + logf((float)e->t[i].cnt));
			e->out[idx] += (h & 1) ? v : -v;
			e->t[i].cnt = 0;
		}
		e->used[w] = 0;
	}
	e->n = 0;
}

static void
feature(struct emb *e, uint64_t h, float w)
{
	size_t	i = (size_t)h & (e->cap - 1);

	while (e->t[i].cnt != 0 && e->t[i].h != h)
		i = (i + 1) & (e->cap - 1);
	if (e->t[i].cnt == 0) {
		e->t[i].h = h;
		e->t[i].w = w;
		e->used[i / 64] |= 1ULL << (i % 64);
		e->n++;
	}
	e->t[i].cnt++;
	if (4 * e->n >= 3 * e->cap)
		flush(e);
}

static void
word_end(struct emb *e)
{
	uint32_t	a, b, c;
	size_t		i, n = e->wlen < WORD_MAX ? e->wlen : WORD_MAX;
	uint64_t	wh;

	if (e->wlen == 0)
		return;
	wh = mix64(e->wh ^ SEED_WORD);
	feature(e, wh, W_WORD);
	if (e->prev != 0)
		feature(e, mix64(e->prev * 0x9e3779b97f4a7c15ULL + wh +
		    SEED_BIGRAM), W_BIGRAM);
	for (i = 0; n > 1 && i < n; i++) {
		/* "^ab", "abc", ..., "yz$": 0 marks the word boundary. */
		a = i == 0 ? 0 : e->word[i - 1];
		b = e->word[i];
		c = i + 1 < n ? e->word[i + 1] : 0;
		feature(e, mix64(((uint64_t)a << 42 | (uint64_t)b << 21 | c) ^
		    SEED_TRIGRAM), W_TRIGRAM);
	}
	e->prev = wh;
	e->ntok++;
	e->wlen = 0;
	e->wh = 0xcbf29ce484222325ULL;
}

static void
cjk_char(struct emb *e, uint32_t c)
{
	feature(e, mix64((uint64_t)c ^ SEED_CJK1), W_CJK1);
	if (e->prevcjk != 0)
		feature(e, mix64(((uint64_t)e->prevcjk << 21 | c) ^ SEED_CJK2),
		    W_CJK2);
	e->prevcjk = c;
	e->ntok++;
}

static void
scan(struct emb *e, const unsigned char *s, size_t len)
{
	enum odsi_vt_class k;
	uint32_t	c;
	size_t		i = 0, adv;

	while (i < len) {
		c = odsi_vt_next(s + i, len - i, &adv);
		i += adv;
		k = odsi_vt_classify(c);
		if (k != ODSI_VT_WORD)
			word_end(e);
		if (k != ODSI_VT_CJK)
			e->prevcjk = 0;
		if (k == ODSI_VT_CJK) {
			e->prev = 0;
			cjk_char(e, c);
		} else if (k == ODSI_VT_WORD) {
			c = odsi_vt_fold(c);
			if (e->wlen < WORD_MAX)
				e->word[e->wlen] = c;
			e->wlen++;
			e->wh = (e->wh ^ c) * 0x100000001b3ULL;
		}
	}
	word_end(e);
}

enum ods_err
ods_embed(const char *text, size_t len, uint32_t dim, float *out,
    size_t *ntokens)
{
	struct emb	 e;
	struct emb_tab	*tab;
	double		 s = 0, norm;
	uint32_t	 i;

	if (ntokens != NULL)
		*ntokens = 0;
	if (dim < ODS_EMBED_DIM_MIN || dim > ODS_EMBED_DIM_MAX || out == NULL ||
	    (text == NULL && len > 0))
		return ODS_EINVAL;
	if (len > ODS_EMBED_MAX_TEXT)
		return ODS_ETOOBIG;
	memset(&e, 0, sizeof(e));
	memset(out, 0, dim * sizeof(float));
	e.out = out;
	e.dim = dim;
	for (e.cap = 64; e.cap < TABLE_MAX && e.cap < 8 * len; e.cap *= 2)
		;
	tab = tab_get();
	e.t = tab->t;
	e.used = tab->used;
	e.wh = 0xcbf29ce484222325ULL;
	scan(&e, (const unsigned char *)text, len);
	flush(&e);
	for (i = 0; i < dim; i++)
		s += (double)out[i] * out[i];
	if (s > 0) {
		norm = sqrt(s);
		for (i = 0; i < dim; i++)
			out[i] = (float)(out[i] / norm);
	}
	if (ntokens != NULL)
		*ntokens = e.ntok;
	return ODS_OK;
}

enum ods_err
ods_embed_model_name(uint32_t dim, char *buf, size_t len)
{
	int	n;

	if (dim < ODS_EMBED_DIM_MIN || dim > ODS_EMBED_DIM_MAX)
		return ODS_EINVAL;
	n = snprintf(buf, len, "%s-%u", ODS_EMBED_FAMILY, dim);
	return n < 0 || (size_t)n >= len ? ODS_ETOOBIG : ODS_OK;
}

enum ods_err
ods_embed_parse_model(const char *name, uint32_t *dim)
{
	size_t		n = strlen(ODS_EMBED_FAMILY), i;
	uint32_t	d = 0;

	if (name == NULL || strncmp(name, ODS_EMBED_FAMILY, n) != 0)
		return ODS_EINVAL;
	if (name[n] == '\0') {
		*dim = ODS_EMBED_DIM_DEFAULT;
		return ODS_OK;
	}
	if (name[n] != '-' || name[n + 1] == '\0' || name[n + 1] == '0')
		return ODS_EINVAL;
	for (i = n + 1; name[i] != '\0'; i++) {
		if (name[i] < '0' || name[i] > '9' || d > ODS_EMBED_DIM_MAX)
			return ODS_EINVAL;
		d = d * 10 + (uint32_t)(name[i] - '0');
	}
	if (d < ODS_EMBED_DIM_MIN || d > ODS_EMBED_DIM_MAX)
		return ODS_EINVAL;
	*dim = d;
	return ODS_OK;
}
