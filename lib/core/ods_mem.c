/* lib/core/ods_mem.c — allocators that never return NULL, capped buffers, arenas. */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/ods_log.h"
#include "core/ods_mem.h"

static void __attribute__((noreturn))
oom(size_t n)
{
	ods_log(ODS_LOG_ERR, "out_of_memory bytes=%zu", n);
	_exit(1);
}

void *
ods_xmalloc(size_t n)
{
	void	*p = malloc(n == 0 ? 1 : n);

	if (p == NULL)
		oom(n);
	return p;
}

void *
ods_xcalloc(size_t nmemb, size_t size)
{
	void	*p = calloc(nmemb == 0 ? 1 : nmemb, size == 0 ? 1 : size);

	if (p == NULL)
		oom(nmemb * size);
	return p;
}

void *
ods_xrealloc(void *old, size_t n)
{
	void	*p = realloc(old, n == 0 ? 1 : n);

	if (p == NULL)
		oom(n);
	return p;
}

char *
ods_xstrdup(const char *s)
{
	return ods_xstrndup(s, strlen(s));
}

char *
ods_xstrndup(const char *s, size_t n)
{
	char	*p = ods_xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

int
ods_xasprintf(char **out, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vasprintf(out, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom(0);
	return n;
}

void
ods_buf_init(struct ods_buf *b, size_t max)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->max = max;
}

static enum ods_err
grow(struct ods_buf *b, size_t need)
{
	size_t	cap;
	char	*p;

	if (need <= b->cap)
		return ODS_OK;
	cap = b->cap < 256 ? 256 : b->cap;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if (cap > b->max + 1)
		cap = b->max + 1;
	if ((p = realloc(b->data, cap)) == NULL)
		return ODS_ENOMEM;
	b->data = p;
	b->cap = cap;
	return ODS_OK;
}

enum ods_err
ods_buf_add(struct ods_buf *b, const void *p, size_t n)
{
	enum ods_err	er;

	if (n > b->max || b->len > b->max - n)
		return ODS_ETOOBIG;
	if ((er = grow(b, b->len + n + 1)) != ODS_OK)
		return er;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return ODS_OK;
}

enum ods_err
ods_buf_addf(struct ods_buf *b, const char *fmt, ...)
{
	va_list		ap;
	char		small[256], *big = NULL;
	enum ods_err	er;
	int		n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return ODS_EINVAL;
	if ((size_t)n < sizeof(small))
		return ods_buf_add(b, small, (size_t)n);
	va_start(ap, fmt);
	n = vasprintf(&big, fmt, ap);
	va_end(ap);
	if (n < 0)
		return ODS_ENOMEM;
	er = ods_buf_add(b, big, (size_t)n);
	free(big);
	return er;
}

void
ods_buf_reset(struct ods_buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

char *
ods_buf_take(struct ods_buf *b, size_t *len)
{
	char	*p = b->data;

	if (len != NULL)
		*len = b->len;
	if (p == NULL)
		p = ods_xstrdup("");
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

void
ods_buf_free(struct ods_buf *b)
{
	if (b == NULL)
		return;
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

/* ---- arena ---- */

struct block {
	struct block	*next;
	size_t		 size;
	size_t		 used;
	/* data follows, 16-byte aligned */
};

struct defer {
	struct defer	*next;
	void		(*fn)(void *);
	void		*arg;
};

struct ods_arena {
	struct block	*head;		/* block being filled */
	struct block	*spare;		/* blocks kept after a reset */
	struct defer	*defers;
	size_t		 block_size;
	size_t		 used;
};

#define ALIGN16(n)	(((n) + 15) & ~(size_t)15)
#define BLOCK_HDR	ALIGN16(sizeof(struct block))

struct ods_arena *
ods_arena_new(size_t block_size)
{
	struct ods_arena	*a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->block_size = block_size < 1024 ? 1024 : block_size;
	return a;
}

static struct block *
block_new(struct ods_arena *a, size_t need)
{
	struct block	*b, **pp;
	size_t		 size = need > a->block_size ? need : a->block_size;

	/* Reuse a spare block that is big enough. */
	for (pp = &a->spare; (b = *pp) != NULL; pp = &b->next) {
		if (b->size >= need) {
			*pp = b->next;
			b->used = 0;
			return b;
		}
	}
	if ((b = malloc(BLOCK_HDR + size)) == NULL)
		return NULL;
	b->size = size;
	b->used = 0;
	return b;
}

void *
ods_arena_alloc(struct ods_arena *a, size_t n)
{
	struct block	*b = a->head;
	void		*p;

	n = ALIGN16(n == 0 ? 1 : n);
	if (b == NULL || b->size - b->used < n) {
		if ((b = block_new(a, n)) == NULL)
			return NULL;
		b->next = a->head;
		a->head = b;
	}
	p = (char *)b + BLOCK_HDR + b->used;
	b->used += n;
	a->used += n;
	memset(p, 0, n);
	return p;
}

char *
ods_arena_strndup(struct ods_arena *a, const char *s, size_t n)
{
	char	*p;

	if ((p = ods_arena_alloc(a, n + 1)) == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
ods_arena_strdup(struct ods_arena *a, const char *s)
{
	return ods_arena_strndup(a, s, strlen(s));
}

char *
ods_arena_printf(struct ods_arena *a, const char *fmt, ...)
{
	va_list	 ap;
	char	*p;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (p = ods_arena_alloc(a, (size_t)n + 1)) == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

enum ods_err
ods_arena_defer(struct ods_arena *a, void (*fn)(void *), void *arg)
{
	struct defer	*d;

	if ((d = ods_arena_alloc(a, sizeof(*d))) == NULL)
		return ODS_ENOMEM;
	d->fn = fn;
	d->arg = arg;
	d->next = a->defers;
	a->defers = d;
	return ODS_OK;
}

static void
run_defers(struct ods_arena *a)
{
	struct defer	*d;

	/* The defer records live in the arena: unlink before calling. */
	while ((d = a->defers) != NULL) {
		a->defers = d->next;
		d->fn(d->arg);
	}
}

void
ods_arena_reset(struct ods_arena *a)
{
	struct block	*b, *next;

	run_defers(a);
	for (b = a->head; b != NULL; b = next) {
		next = b->next;
		/* Keep normal-sized blocks; give oversized ones back. */
		if (b->size > a->block_size) {
			free(b);
			continue;
		}
		b->next = a->spare;
		a->spare = b;
	}
	a->head = NULL;
	a->used = 0;
}

void
ods_arena_free(struct ods_arena *a)
{
	struct block	*b, *next;

	if (a == NULL)
		return;
	ods_arena_reset(a);
	for (b = a->spare; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	free(a);
}

size_t
ods_arena_used(const struct ods_arena *a)
{
	return a->used;
}
