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

#endif /* ODS_TEST_H */
