/* tests/ods_test.h — an in-memory request for handler and module tests. */
#ifndef ODS_TEST_H
#define ODS_TEST_H

#include <stdlib.h>
#include <string.h>

#include "ods.h"

struct fake_io {
	const char	*in;		/* request body */
	size_t		 inlen, inoff;
	struct ods_buf	 out;		/* everything the response wrote */
	int		 flushes;
};

static inline long
fake_read(void *ctx, char *buf, size_t n)
{
	struct fake_io	*f = ctx;
	size_t		 left = f->inlen - f->inoff;

	if (n > left)
		n = left;
	memcpy(buf, f->in + f->inoff, n);
	f->inoff += n;
	return (long)n;
}

static inline int
fake_write(void *ctx, const char *buf, size_t n)
{
	struct fake_io	*f = ctx;

	return ods_buf_add(&f->out, buf, n) == ODS_OK ? 0 : -1;
}

static inline int
fake_flush(void *ctx)
{
	struct fake_io	*f = ctx;

	f->flushes++;
	return 0;
}

/* The body of what was written (after the blank line), or "". */
static inline const char *
fake_body(const struct fake_io *f)
{
	const char	*p = f->out.data ? strstr(f->out.data, "\r\n\r\n") : NULL;

	return p ? p + 4 : "";
}

/* The value of a response header (copied into buf), or NULL. */
static inline const char *
fake_header(const struct fake_io *f, const char *name, char *buf,
    size_t len)
{
	const char	*p = f->out.data, *end;
	size_t		 n = strlen(name);

	while (p != NULL && *p != '\0' && strncmp(p, "\r\n", 2) != 0) {
		end = strstr(p, "\r\n");
		if (end == NULL)
			return NULL;
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			p += n + 1;
			while (*p == ' ')
				p++;
			snprintf(buf, len, "%.*s", (int)(end - p), p);
			return buf;
		}
		p = end + 2;
	}
	return NULL;
}

/* A request over a fake_io with its arena: fake_req_open builds one. */
struct fake_req {
	struct fake_io		 fio;
	struct ods_req_io	 io;
	struct ods_req_env	 env;
	struct ods_arena	*arena;
	struct ods_req		*r;
};

/*
 * The request the FastCGI params describe (NULL-terminated "NAME=value"),
 * with body as its input, for a pool named service whose nginx prefixes
 * are prefixes; f->r is NULL when ods_req_new refused it. f must stay put
 * until fake_req_close.
 */
static inline struct ods_req *
fake_req_open(struct fake_req *f, struct ods_conf *conf, const char *service,
    const char *const *prefixes, char **params, const char *body,
    size_t bodylen)
{
	memset(f, 0, sizeof(*f));
	f->fio.in = body;
	f->fio.inlen = bodylen;
	ods_buf_init(&f->fio.out, 1 << 16);
	f->io = (struct ods_req_io){ fake_read, fake_write, fake_flush,
	    &f->fio };
	f->env.conf = conf;
	f->env.service = service;
	f->env.version = "test";
	f->env.prefixes = prefixes;
	f->arena = ods_arena_new(4096);
	f->r = ods_req_new(f->arena, params, &f->io, &f->env);
	return f->r;
}

static inline void
fake_req_close(struct fake_req *f)
{
	ods_arena_free(f->arena);
	ods_buf_free(&f->fio.out);
}

#endif /* ODS_TEST_H */
