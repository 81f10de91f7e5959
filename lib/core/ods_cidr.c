/*
 * lib/core/ods_cidr.c — CIDR ranges and lists (ods_cidr.h).
 */
#include "config.h"

#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include "core/ods_cidr.h"
#include "core/ods_err.h"
#include "core/ods_mem.h"

static const unsigned char v4mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

static int
parse_bits(const char *s, size_t n, unsigned max, unsigned *out)
{
	unsigned	v = 0;
	size_t		i;

	if (n == 0 || n > 3)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max || (n > 1 && s[0] == '0'))
		return -1;
	*out = v;
	return 0;
}

static void
mask(struct ods_cidr *c)
{
	unsigned	len = c->family == 4 ? 4 : 16, i, b;

	for (i = 0; i < len; i++) {
		b = i * 8;
		if (b >= c->bits)
			c->addr[i] = 0;
		else if (c->bits - b < 8)
			c->addr[i] &= (unsigned char)(0xff << (8 - (c->bits -
			    b)));
	}
}

enum ods_err
ods_cidr_parse(const char *s, size_t n, struct ods_cidr *c)
{
	char		 buf[64];
	const char	*slash;
	size_t		 alen;

	memset(c, 0, sizeof(*c));
	slash = memchr(s, '/', n);
	alen = slash == NULL ? n : (size_t)(slash - s);
	if (alen == 0 || alen >= sizeof(buf) || memchr(s, '\0', n) != NULL)
		return ODS_EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET, buf, c->addr) == 1) {
		c->family = 4;
		c->bits = 32;
	} else if (inet_pton(AF_INET6, buf, c->addr) == 1) {
		c->family = 6;
		c->bits = 128;
	} else
		return ODS_EINVAL;
	if (slash != NULL && parse_bits(slash + 1, n - alen - 1, c->bits,
	    &c->bits) != 0)
		return ODS_EINVAL;
	/* ::ffff:a.b.c.d/n (n >= 96) is the IPv4 range it carries. */
	if (c->family == 6 && c->bits >= 96 &&
	    memcmp(c->addr, v4mapped, 12) == 0) {
		memmove(c->addr, c->addr + 12, 4);
		memset(c->addr + 4, 0, 12);
		c->family = 4;
		c->bits -= 96;
	}
	mask(c);
	return ODS_OK;
}

static int
is_sep(char c)
{
	return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

enum ods_err
ods_cidr_list_parse(const char *s, struct ods_cidr **out, size_t *n,
    struct ods_why *why)
{
	struct ods_cidr	*v = NULL;
	size_t		 len, cap = 0;

	*out = NULL;
	*n = 0;
	while (s != NULL && *s != '\0') {
		while (is_sep(*s))
			s++;
		if (*s == '\0')
			break;
		for (len = 0; s[len] != '\0' && !is_sep(s[len]); len++)
			;
		if (*n == ODS_CIDR_LIST_MAX) {
			ods_why_set(why, NULL, "more than %d ranges",
			    ODS_CIDR_LIST_MAX);
			free(v);
			return ODS_ETOOBIG;
		}
		if (*n == cap) {
			cap = cap == 0 ? 8 : cap * 2;
			v = ods_xrealloc(v, cap * sizeof(*v));
		}
		if (ods_cidr_parse(s, len, &v[*n]) != ODS_OK) {
			ods_why_set(why, NULL, "not an address or CIDR range: "
			    "'%.*s'", (int)(len > 64 ? 64 : len), s);
			free(v);
			*n = 0;
			return ODS_EINVAL;
		}
		(*n)++;
		s += len;
	}
	*out = v;
	return ODS_OK;
}

static int
match_one(const struct ods_cidr *c, const unsigned char *a)
{
	unsigned	full = c->bits / 8, rest = c->bits % 8;

	if (memcmp(c->addr, a, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((a[full] ^ c->addr[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

int
ods_cidr_match(const struct ods_cidr *v, size_t n, int family,
    const void *addr)
{
	const unsigned char	*a = addr;
	size_t			 i;

	if (family == 6 && memcmp(a, v4mapped, 12) == 0) {
		family = 4;
		a += 12;
	}
	for (i = 0; i < n; i++)
		if (v[i].family == family && match_one(&v[i], a))
			return 1;
	return 0;
}
