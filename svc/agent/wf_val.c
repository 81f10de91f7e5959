/*
 * svc/agent/wf_val.c — the values of the workflow expression language
 * (wf_expr.h): errors, constructors that notice a failed allocation,
 * truthiness, deep equality, the literals (numbers, quoted strings), and
 * the steps of a path (a field, an index, a spread), which expressions,
 * picks and references share.
 */
#include "config.h"

#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_err.h"
#include "core/ods_json.h"
#include "core/ods_mem.h"
#include "agent_int.h"
#include "wf_expr.h"

#define EQ_DEPTH	128	/* deep equality gives up past this */

struct json_object *
odsi_wf_fail(struct wf_ev *c, enum ods_err er, size_t at, const char *fmt,
    ...)
{
	char	msg[200];
	va_list	ap;

	if (c->er != ODS_OK)
		return NULL;
	c->er = er;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ods_why_set(c->why, NULL, "at %zu: %s", at, msg);
	return NULL;
}

struct json_object *
odsi_wf_missing(struct wf_ev *c, size_t at, const char *fmt, ...)
{
	char	msg[200];
	va_list	ap;

	if (c->soft) {
		c->missing = 1;
		c->run = 0;
		return NULL;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return odsi_wf_fail(c, c->miss_er, at, "%s", msg);
}

/* --- values --------------------------------------------------------- */

struct json_object *
odsi_wf_oom(struct wf_ev *c)
{
	if (c->er == ODS_OK) {
		c->er = ODS_ENOMEM;
		ods_why_set(c->why, NULL, "out of memory");
	}
	return NULL;
}

struct json_object *
odsi_wf_bool(struct wf_ev *c, int b)
{
	struct json_object	*v = json_object_new_boolean(b != 0);

	return v != NULL ? v : odsi_wf_oom(c);
}

struct json_object *
odsi_wf_int(struct wf_ev *c, long long x)
{
	struct json_object	*v = json_object_new_int64(x);

	return v != NULL ? v : odsi_wf_oom(c);
}

/*
 * A double written with the fewest digits that read back the same, so
 * that 0.1 + 0.2 shows as 0.30000000000000004 but 0.5 as 0.5.
 */
static void
fmt_dbl(double d, char *buf, size_t sz)
{
	int	p;

	for (p = 15; p < 17; p++) {
		snprintf(buf, sz, "%.*g", p, d);
		if (strtod(buf, NULL) == d)
			return;
	}
	snprintf(buf, sz, "%.17g", d);
}

struct json_object *
odsi_wf_dbl(struct wf_ev *c, double d, size_t at)
{
	struct json_object	*v;
	char			 buf[40];

	if (!isfinite(d))
		return odsi_wf_fail(c, ODS_EINVAL, at,
		    "the result is not a finite number");
	fmt_dbl(d, buf, sizeof(buf));
	v = json_object_new_double_s(d, buf);
	return v != NULL ? v : odsi_wf_oom(c);
}

struct json_object *
odsi_wf_str(struct wf_ev *c, const char *s, size_t n, size_t at)
{
	struct json_object	*v;

	if (n > ODS_WF_STR_MAX)
		return odsi_wf_fail(c, ODS_ETOOBIG, at, "a string longer "
		    "than %d bytes", ODS_WF_STR_MAX);
	v = json_object_new_string_len(s, (int)n);
	return v != NULL ? v : odsi_wf_oom(c);
}

struct json_object *
odsi_wf_arr(struct wf_ev *c)
{
	struct json_object	*v = json_object_new_array();

	return v != NULL ? v : odsi_wf_oom(c);
}

int
odsi_wf_push(struct wf_ev *c, struct json_object *a, struct json_object *v,
    size_t at)
{
	if (json_object_array_length(a) >= ODS_WF_ARR_MAX) {
		ods_json_put(v);
		odsi_wf_fail(c, ODS_ETOOBIG, at, "an array of more than %d "
		    "elements", ODS_WF_ARR_MAX);
		return 0;
	}
	if (json_object_array_add(a, v) != 0) {
		ods_json_put(v);
		odsi_wf_oom(c);
		return 0;
	}
	return 1;
}

int
odsi_wf_isnum(struct json_object *v)
{
	return json_object_is_type(v, json_type_int) ||
	    json_object_is_type(v, json_type_double);
}

double
odsi_wf_num(struct json_object *v)
{
	return json_object_is_type(v, json_type_int) ?
	    (double)json_object_get_int64(v) : json_object_get_double(v);
}

const char *
odsi_wf_type(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_boolean:
		return "boolean";
	case json_type_int:
	case json_type_double:
		return "number";
	case json_type_string:
		return "string";
	case json_type_array:
		return "array";
	case json_type_object:
		return "object";
	default:
		return "null";
	}
}

int
ods_wf_truthy(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_boolean:
		return json_object_get_boolean(v);
	case json_type_int:
		return json_object_get_int64(v) != 0;
	case json_type_double:
		return json_object_get_double(v) != 0;
	case json_type_string:
		return json_object_get_string_len(v) > 0;
	case json_type_array:
		return json_object_array_length(v) > 0;
	case json_type_object:
		return json_object_object_length(v) > 0;
	default:
		return 0;
	}
}

static int
obj_equal(struct json_object *a, struct json_object *b, int depth)
{
	struct json_object	*w;
	int			 r;

	if (json_object_object_length(a) != json_object_object_length(b))
		return 0;
	json_object_object_foreach(a, k, v) {
		if (!json_object_object_get_ex(b, k, &w))
			return 0;
		if ((r = odsi_wf_equal(v, w, depth + 1)) != 1)
			return r;
	}
	return 1;
}

int
odsi_wf_equal(struct json_object *a, struct json_object *b, int depth)
{
	size_t	i, n;
	int	r;

	if (depth > EQ_DEPTH)
		return -1;
	if (odsi_wf_isnum(a) && odsi_wf_isnum(b)) {
		if (json_object_is_type(a, json_type_int) &&
		    json_object_is_type(b, json_type_int))
			return json_object_get_int64(a) ==
			    json_object_get_int64(b);
		return odsi_wf_num(a) == odsi_wf_num(b);
	}
	if (json_object_get_type(a) != json_object_get_type(b))
		return 0;
	switch (json_object_get_type(a)) {
	case json_type_boolean:
		return json_object_get_boolean(a) ==
		    json_object_get_boolean(b);
	case json_type_string:
		return json_object_get_string_len(a) ==
		    json_object_get_string_len(b) &&
		    memcmp(json_object_get_string(a),
		    json_object_get_string(b),
		    (size_t)json_object_get_string_len(a)) == 0;
	case json_type_array:
		n = json_object_array_length(a);
		if (n != json_object_array_length(b))
			return 0;
		for (i = 0; i < n; i++)
			if ((r = odsi_wf_equal(
			    json_object_array_get_idx(a, i),
			    json_object_array_get_idx(b, i), depth + 1)) != 1)
				return r;
		return 1;
	case json_type_object:
		return obj_equal(a, b, depth);
	default:
		return 1;	/* both null */
	}
}

/* --- literals ------------------------------------------------------- */

static int
is_digit(int ch)
{
	return ch >= '0' && ch <= '9';
}

static int
is_alpha(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    ch == '_';
}

struct json_object *
odsi_wf_number(struct wf_ev *c)
{
	char		 buf[64];
	size_t		 j = c->i, at = c->i;
	long long	 x;
	double		 d;
	int		 real = 0;

	while (j < c->n && is_digit((unsigned char)c->s[j]))
		j++;
	if (j + 1 < c->n && c->s[j] == '.' &&
	    is_digit((unsigned char)c->s[j + 1])) {
		real = 1;
		for (j++; j < c->n && is_digit((unsigned char)c->s[j]); j++)
			;
	}
	if (j < c->n && (c->s[j] == 'e' || c->s[j] == 'E')) {
		real = 1;
		j++;
		if (j < c->n && (c->s[j] == '+' || c->s[j] == '-'))
			j++;
		if (j >= c->n || !is_digit((unsigned char)c->s[j]))
			return odsi_wf_fail(c, ODS_EINVAL, at, "bad number");
		while (j < c->n && is_digit((unsigned char)c->s[j]))
			j++;
	}
	if (j - at >= sizeof(buf))
		return odsi_wf_fail(c, ODS_EINVAL, at, "number too long");
	memcpy(buf, c->s + at, j - at);
	buf[j - at] = '\0';
	c->i = j;
	if (is_alpha(c->i < c->n ? (unsigned char)c->s[c->i] : 0))
		return odsi_wf_fail(c, ODS_EINVAL, c->i, "bad number");
	if (!c->run)
		return NULL;
	if (!real) {
		errno = 0;
		x = strtoll(buf, NULL, 10);
		if (errno == 0)
			return odsi_wf_int(c, x);
	}
	d = strtod(buf, NULL);
	return odsi_wf_dbl(c, d, at);
}

/* The UTF-8 bytes of code point u into b (at least 4 bytes); the count. */
static size_t
utf8(unsigned long u, char *b)
{
	if (u < 0x80) {
		b[0] = (char)u;
		return 1;
	}
	if (u < 0x800) {
		b[0] = (char)(0xc0 | (u >> 6));
		b[1] = (char)(0x80 | (u & 0x3f));
		return 2;
	}
	if (u < 0x10000) {
		b[0] = (char)(0xe0 | (u >> 12));
		b[1] = (char)(0x80 | ((u >> 6) & 0x3f));
		b[2] = (char)(0x80 | (u & 0x3f));
		return 3;
	}
	b[0] = (char)(0xf0 | (u >> 18));
	b[1] = (char)(0x80 | ((u >> 12) & 0x3f));
	b[2] = (char)(0x80 | ((u >> 6) & 0x3f));
	b[3] = (char)(0x80 | (u & 0x3f));
	return 4;
}

/* Four hex digits at s[i]; -1 when they are not. */
static long
hex4(struct wf_ev *c)
{
	long	u = 0;
	int	k, ch;

	if (c->n - c->i < 4)
		return -1;
	for (k = 0; k < 4; k++) {
		ch = (unsigned char)c->s[c->i + k];
		u <<= 4;
		if (is_digit(ch))
			u |= ch - '0';
		else if ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f')
			u |= (ch | 0x20) - 'a' + 10;
		else
			return -1;
	}
	c->i += 4;
	return u;
}

/* The escape after a backslash at s[i - 1] into b; its byte count. */
static size_t
escape(struct wf_ev *c, char *b)
{
	static const char	 from[] = "\\'\"/nrtbf", to[] = "\\'\"/\n\r\t\b\f";
	const char		*p;
	size_t			 at = c->i - 1;
	long			 u, lo;

	if (c->i >= c->n)
		return odsi_wf_fail(c, ODS_EINVAL, at, "unterminated string"),
		    0;
	if ((p = strchr(from, c->s[c->i])) != NULL && c->s[c->i] != '\0') {
		c->i++;
		b[0] = to[p - from];
		return 1;
	}
	if (c->s[c->i++] != 'u' || (u = hex4(c)) < 0)
		return odsi_wf_fail(c, ODS_EINVAL, at, "bad escape"), 0;
	if (u >= 0xdc00 && u <= 0xdfff)
		return odsi_wf_fail(c, ODS_EINVAL, at, "lone surrogate"), 0;
	if (u >= 0xd800 && u <= 0xdbff) {
		if (c->n - c->i < 2 || c->s[c->i] != '\\' ||
		    c->s[c->i + 1] != 'u')
			return odsi_wf_fail(c, ODS_EINVAL, at,
			    "lone surrogate"), 0;
		c->i += 2;
		if ((lo = hex4(c)) < 0xdc00 || lo > 0xdfff)
			return odsi_wf_fail(c, ODS_EINVAL, at,
			    "lone surrogate"), 0;
		u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
	}
	return utf8((unsigned long)u, b);
}

struct json_object *
odsi_wf_string(struct wf_ev *c)
{
	struct json_object	*v = NULL;
	struct ods_buf		 b;
	char			 e[4];
	size_t			 at = c->i, from, k;
	char			 q = c->s[c->i++];

	/* A literal is never longer than the source that holds it. */
	ods_buf_init(&b, c->n - at + 8);
	for (;;) {
		from = c->i;
		while (c->i < c->n && c->s[c->i] != q && c->s[c->i] != '\\')
			c->i++;
		if (c->run && ods_buf_add(&b, c->s + from, c->i - from) !=
		    ODS_OK) {
			odsi_wf_oom(c);
			break;
		}
		if (c->i >= c->n) {
			odsi_wf_fail(c, ODS_EINVAL, at, "unterminated string");
			break;
		}
		if (c->s[c->i++] == q)
			break;
		k = escape(c, e);
		if (c->er != ODS_OK)
			break;
		if (c->run && ods_buf_add(&b, e, k) != ODS_OK) {
			odsi_wf_oom(c);
			break;
		}
	}
	if (c->er == ODS_OK && c->run)
		v = odsi_wf_str(c, b.data != NULL ? b.data : "", b.len, at);
	ods_buf_free(&b);
	return v;
}

/* --- path steps ----------------------------------------------------- */

/* The child of v at sg: borrowed, *found 0 when there is none. */
static struct json_object *
child(struct json_object *v, const struct wf_seg *sg, int *found)
{
	struct json_object	*w = NULL;
	char			 key[256], *k = key;
	long long		 n, i;

	*found = 0;
	if (sg->is_idx) {
		if (!json_object_is_type(v, json_type_array))
			return NULL;
		n = (long long)json_object_array_length(v);
		i = sg->idx < 0 ? n + sg->idx : sg->idx;
		if (i < 0 || i >= n)
			return NULL;
		*found = 1;
		return json_object_array_get_idx(v, (size_t)i);
	}
	/* json-c keys are C strings: one with a NUL in it is never there. */
	if (!json_object_is_type(v, json_type_object) ||
	    memchr(sg->k, '\0', sg->kl) != NULL)
		return NULL;
	if (sg->kl >= sizeof(key) && (k = malloc(sg->kl + 1)) == NULL)
		return NULL;
	memcpy(k, sg->k, sg->kl);
	k[sg->kl] = '\0';
	*found = json_object_object_get_ex(v, k, &w);
	if (k != key)
		free(k);
	return w;
}

/* Spread: the sg child of each element that has one (star: flattened). */
static struct json_object *
spread_step(struct wf_ev *c, struct json_object *v, const struct wf_seg *sg,
    int star, size_t at)
{
	struct json_object	*a, *e, *w;
	size_t			 i, j;
	int			 found;

	if ((a = odsi_wf_arr(c)) == NULL)
		return NULL;
	for (i = 0; i < json_object_array_length(v); i++) {
		e = json_object_array_get_idx(v, i);
		if (star) {
			if (!json_object_is_type(e, json_type_array))
				continue;
			for (j = 0; j < json_object_array_length(e); j++)
				if (!odsi_wf_push(c, a, json_object_get(
				    json_object_array_get_idx(e, j)), at))
					goto fail;
			continue;
		}
		w = child(e, sg, &found);
		if (found && !odsi_wf_push(c, a, json_object_get(w), at))
			goto fail;
	}
	return a;
fail:
	ods_json_put(a);
	return NULL;
}

/* The error (or the soft miss) of a step that found nothing. */
static struct json_object *
absent(struct wf_ev *c, const struct wf_seg *sg, size_t at, const char *what,
    size_t wl)
{
	char	pre[80];

	pre[0] = '\0';
	if (wl > 0)
		snprintf(pre, sizeof(pre), "'%.*s' has ", (int)(wl > 60 ? 60 :
		    wl), what);
	if (sg->is_idx)
		return odsi_wf_missing(c, at, "%sno element %lld", pre,
		    sg->idx);
	return odsi_wf_missing(c, at, "%sno field '%.*s'", pre,
	    (int)(sg->kl > 60 ? 60 : sg->kl), sg->k);
}

struct json_object *
odsi_wf_step(struct wf_ev *c, struct json_object *v, const struct wf_seg *sg,
    int star, int spread, size_t at, const char *what, size_t wl)
{
	struct json_object	*w;
	int			 found;

	if (spread)
		w = spread_step(c, v, sg, star, at);
	else if (star) {
		if (json_object_is_type(v, json_type_array))
			return v;
		ods_json_put(v);
		return odsi_wf_missing(c, at, "%s%.*s%snot an array",
		    wl > 0 ? "'" : "", (int)(wl > 60 ? 60 : wl), what,
		    wl > 0 ? "' is " : "");
	} else {
		w = child(v, sg, &found);
		if (!found) {
			ods_json_put(v);
			return absent(c, sg, at, what, wl);
		}
		w = json_object_get(w);
	}
	ods_json_put(v);
	return w;
}


enum ods_err
odsi_wf_text(struct json_object *v, struct ods_buf *b)
{
	const char	*t;
	char		 num[40];
	size_t		 l;

	switch (json_object_get_type(v)) {
	case json_type_null:
		return ODS_OK;
	case json_type_string:
		return ods_buf_add(b, json_object_get_string(v),
		    (size_t)json_object_get_string_len(v));
	case json_type_boolean:
		return ods_buf_addf(b, "%s", json_object_get_boolean(v) ?
		    "true" : "false");
	case json_type_int:
		return ods_buf_addf(b, "%lld",
		    (long long)json_object_get_int64(v));
	case json_type_double:
		fmt_dbl(json_object_get_double(v), num, sizeof(num));
		return ods_buf_add(b, num, strlen(num));
	default:
		t = json_object_to_json_string_length(v, JSON_C_TO_STRING_PLAIN |
		    JSON_C_TO_STRING_NOSLASHESCAPE, &l);
		if (t == NULL)
			return ODS_ENOMEM;
		return ods_buf_add(b, t, l);
	}
}
