/*
 * lib/llm/ods_llm_sse.c — server-sent events: split a byte stream into
 * events exactly as the upstream wrote them, and look inside the ones
 * that carry token usage.
 *
 * TCP hands events over in arbitrary pieces (half an event, three and a
 * half events, a CRLF split between two reads); the splitter keeps only
 * the unfinished tail and never rewrites a byte, so what the client
 * receives is what the upstream sent.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "llm/ods_llm_int.h"

void
odsi_sse_init(struct ods_sse *s, size_t max)
{
	memset(s, 0, sizeof(*s));
	/* Room for one maximal event plus one read past it. */
	ods_buf_init(&s->buf, max + 65536);
}

void
odsi_sse_fini(struct ods_sse *s)
{
	ods_buf_free(&s->buf);
}

size_t
odsi_sse_pending(const struct ods_sse *s)
{
	return s->buf.len;
}

/* Is [line, nl) empty, allowing one CR? */
static int
blank_line(const char *d, size_t line, size_t nl)
{
	return nl == line || (nl == line + 1 && d[line] == '\r');
}

enum ods_err
odsi_sse_feed(struct ods_sse *s, const char *p, size_t n,
    int (*cb)(void *, const char *, size_t), void *arg)
{
	size_t		 start = 0, i, line, len;
	char		*d;
	enum ods_err	 er;

	if ((er = ods_buf_add(&s->buf, p, n)) != ODS_OK)
		return er;
	d = s->buf.data;
	len = s->buf.len;
	line = s->line;
	for (i = s->scan; i < len; i++) {
		if (d[i] != '\n')
			continue;
		if (blank_line(d, line, i)) {
			if (cb(arg, d + start, i + 1 - start) != 0)
				return ODS_EIO;
			start = i + 1;
		}
		line = i + 1;
	}
	if (start > 0) {
		memmove(d, d + start, len - start);
		s->buf.len = len - start;
		d[s->buf.len] = '\0';
	}
	s->scan = s->buf.len;
	s->line = line - start;
	if (s->buf.len + 65536 > s->buf.max)
		return ODS_ETOOBIG;
	return ODS_OK;
}

long
odsi_sse_data(const char *ev, size_t len, char *out, size_t cap)
{
	const char	*p = ev, *end = ev + len, *nl, *v;
	size_t		 o = 0, vl;
	int		 found = 0;

	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		vl = (size_t)(nl - p);
		if (vl > 0 && p[vl - 1] == '\r')
			vl--;
		if (vl >= 5 && memcmp(p, "data:", 5) == 0) {
			v = p + 5;
			vl -= 5;
			if (vl > 0 && *v == ' ') {
				v++;
				vl--;
			}
			if (o + vl + (found ? 1 : 0) + 1 > cap)
				return -1;
			if (found)
				out[o++] = '\n';
			memcpy(out + o, v, vl);
			o += vl;
			found = 1;
		}
		if (nl == end)
			break;
	}
	if (!found || cap == 0)
		return -1;
	out[o] = '\0';
	return (long)o;
}

/*
 * Token usage is read by scanning the text, not by parsing it: json-c
 * takes a process-wide locale lock per parse, which serialises the
 * threads of a busy proxy. A quote inside a JSON string is escaped, so
 * "usage" followed by ':' can only be a key.
 */
static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' ||
	    *p == '\r'))
		p++;
	return p;
}

/* The value after "key": (p at the opening quote of key), or NULL. */
static const char *
value_of(const char *p, const char *end, size_t keylen)
{
	p = skip_ws(p + keylen, end);
	if (p >= end || *p != ':')
		return NULL;
	return skip_ws(p + 1, end);
}

/* End of the object starting at p ('{'), strings skipped; NULL if cut. */
static const char *
object_end(const char *p, const char *end)
{
	int	depth = 0, in_str = 0;

	for (; p < end; p++) {
		if (in_str) {
			if (*p == '\\')
				p++;
			else if (*p == '"')
				in_str = 0;
		} else if (*p == '"')
			in_str = 1;
		else if (*p == '{' || *p == '[')
			depth++;
		else if ((*p == '}' || *p == ']') && --depth == 0)
			return p + 1;
	}
	return NULL;
}

static int64_t
number_in(const char *obj, const char *end, const char *key)
{
	size_t		 kl = strlen(key);
	const char	*p = obj, *v;
	int64_t		 n = 0;

	while ((p = memmem(p, (size_t)(end - p), key, kl)) != NULL) {
		if ((v = value_of(p, end, kl)) != NULL) {
			for (; v < end && *v >= '0' && *v <= '9'; v++)
				if (n < INT64_MAX / 10)
					n = n * 10 + (*v - '0');
			return n;
		}
		p += kl;
	}
	return 0;
}

/* Fill u from the first "usage":{...} of d; 0 when there is none. */
static int
scan_usage(const char *d, size_t n, struct ods_llm_usage *u)
{
	const char	*p = d, *end = d + n, *v, *oe;
	static const char key[] = "\"usage\"";

	while ((p = memmem(p, (size_t)(end - p), key, sizeof(key) - 1)) !=
	    NULL) {
		v = value_of(p, end, sizeof(key) - 1);
		p += sizeof(key) - 1;
		if (v == NULL || *v != '{' || (oe = object_end(v, end)) == NULL)
			continue;
		u->known = 1;
		u->prompt_tokens = number_in(v, oe, "\"prompt_tokens\"");
		u->completion_tokens = number_in(v, oe,
		    "\"completion_tokens\"");
		return 1;
	}
	return 0;
}

/* "choices" is an empty array. */
static int
choices_empty(const char *d, size_t n)
{
	static const char	 key[] = "\"choices\"";
	const char		*p, *v, *end = d + n;

	if ((p = memmem(d, n, key, sizeof(key) - 1)) == NULL ||
	    (v = value_of(p, end, sizeof(key) - 1)) == NULL || *v != '[')
		return 0;
	v = skip_ws(v + 1, end);
	return v < end && *v == ']';
}

int
odsi_sse_inspect(const char *ev, size_t len, int *usage_only,
    struct ods_llm_usage *usage)
{
	char	*d, buf[4096];
	long	 dl;
	int	 done = 0;

	*usage_only = 0;
	d = len < sizeof(buf) ? buf : malloc(len + 1);
	if (d == NULL || (dl = odsi_sse_data(ev, len, d, len + 1)) < 0)
		goto out;
	if (dl == 6 && memcmp(d, "[DONE]", 6) == 0)
		done = 1;
	else if (scan_usage(d, (size_t)dl, usage) &&
	    choices_empty(d, (size_t)dl))
		*usage_only = 1;
out:
	if (d != buf)
		free(d);
	return done;
}

/*
 * Usage of a whole (non-stream) response body; nothing when it is not
 * JSON or has no usage object.
 */
void
odsi_llm_usage_of_body(const char *body, size_t len, struct ods_llm_usage *u)
{
	(void)scan_usage(body, len, u);
}
