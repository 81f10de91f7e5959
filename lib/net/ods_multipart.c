/*
 * lib/net/ods_multipart.c — the multipart/form-data push parser.
 *
 * The body is scanned for the delimiter "\r\n--boundary" with a count of
 * the delimiter bytes matched so far (m->match). The held bytes are
 * always a prefix of the delimiter, so they need no buffer of their own:
 * when they turn out to be data they are emitted from m->delim. The
 * delimiter holds a CR only at its first byte, so after a mismatch the
 * only place a new match can start is at a CR: the scan jumps from CR to
 * CR with memchr and data goes out as spans of the caller's chunk.
 * Headers are the one thing buffered, up to max_header_bytes.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/ods_util.h"
#include "net/ods_multipart.h"

enum state {
	S_PREAMBLE,	/* before the first delimiter: ignored */
	S_TAIL,		/* after "--boundary": "--", or padding and CRLF */
	S_HEADERS,
	S_DATA,
	S_EPILOGUE,	/* after the closing delimiter: ignored */
	S_ERROR
};

enum tail { T_START, T_DASH, T_PAD, T_CR };

struct ods_multipart {
	struct ods_multipart_cb		 cb;
	struct ods_multipart_limits	 lim;
	char				 delim[4 + ODS_MULTIPART_BOUNDARY_MAX + 1];
	size_t				 dlen;
	size_t				 match;		/* delim bytes held */
	enum state			 st;
	enum tail			 tail;
	int				 in_part;	/* S_TAIL after data */
	size_t				 nparts;
	char				*hbuf;		/* the raw headers */
	size_t				 hlen, hlines, linelen;
	int				 hcr;		/* last byte was CR */
	char				*scratch;	/* the part's strings */
	size_t				 scap, sused;
	struct ods_multipart_part	 part;
	enum ods_err			 err;
	struct ods_why			 why;
};

/* One "; name=value" of a header value, as found (value still quoted). */
struct param {
	const char	*name, *val;
	size_t		 nlen, vlen;
	int		 quoted;
};

static enum ods_err
fail(struct ods_multipart *m, enum ods_err er, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum ods_err
fail(struct ods_multipart *m, enum ods_err er, const char *fmt, ...)
{
	va_list	ap;
	int	n = 0;

	if (m->st == S_ERROR)
		return m->err;
	if (m->nparts > 0 && m->st != S_PREAMBLE)
		n = snprintf(m->why.msg, sizeof(m->why.msg), "multipart part %zu"
		    "%s%.40s%s: ", m->nparts, m->part.name ? " '" : "",
		    m->part.name ? m->part.name : "", m->part.name ? "'" : "");
	else
		n = snprintf(m->why.msg, sizeof(m->why.msg), "multipart body: ");
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < sizeof(m->why.msg))
		vsnprintf(m->why.msg + n, sizeof(m->why.msg) - (size_t)n, fmt,
		    ap);
	va_end(ap);
	m->err = er;
	m->st = S_ERROR;
	return er;
}

/* A callback failed: keep its message, or name the part. */
static enum ods_err
cb_fail(struct ods_multipart *m, enum ods_err er, const struct ods_why *w)
{
	if (w->msg[0] == '\0')
		return fail(m, er, "%s", ods_strerror(er));
	m->why = *w;
	m->err = er;
	m->st = S_ERROR;
	return er;
}

static int
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static int
is_tchar(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("()<>@,;:\\\"/[]?={}", c) == NULL;
}

/*
 * The next parameter after *pp (up to end): 1 with p filled, 0 at the
 * end, -1 when malformed.
 */
static int
param_next(const char **pp, const char *end, struct param *p)
{
	const char	*s = *pp;

	while (s < end && is_ows(*s))
		s++;
	if (s == end)
		return 0;
	if (*s++ != ';')
		return -1;
	while (s < end && is_ows(*s))
		s++;
	if (s == end)		/* a trailing ';' */
		return *pp = s, 0;
	for (p->name = s; s < end && is_tchar((unsigned char)*s); s++)
		;
	if ((p->nlen = (size_t)(s - p->name)) == 0)
		return -1;
	while (s < end && is_ows(*s))
		s++;
	if (s == end || *s++ != '=')
		return -1;
	while (s < end && is_ows(*s))
		s++;
	if ((p->quoted = s < end && *s == '"')) {
		for (p->val = ++s; s < end && *s != '"'; s++)
			if (*s == '\\' && s + 1 < end)
				s++;
		if (s == end)
			return -1;
		p->vlen = (size_t)(s++ - p->val);
	} else {
		for (p->val = s; s < end && *s != ';'; s++)
			;
		for (p->vlen = (size_t)(s - p->val); p->vlen > 0 &&
		    is_ows(p->val[p->vlen - 1]); p->vlen--)
			;
	}
	*pp = s;
	return 1;
}

/*
 * A parameter's value into dst (at least vlen + 1 bytes): quoted-string
 * escapes \" and \\ undone; any other backslash is kept, as old browsers
 * send Windows paths unescaped. Returns the length.
 */
static size_t
unquote(const struct param *p, char *dst)
{
	size_t	i, o = 0;

	for (i = 0; i < p->vlen; i++) {
		if (p->quoted && p->val[i] == '\\' && i + 1 < p->vlen &&
		    (p->val[i + 1] == '"' || p->val[i + 1] == '\\'))
			i++;
		dst[o++] = p->val[i];
	}
	dst[o] = '\0';
	return o;
}

static int
pname_is(const struct param *p, const char *name)
{
	return p->nlen == strlen(name) && strncasecmp(p->name, name,
	    p->nlen) == 0;
}

/* The media type of a header value: its length, OWS trimmed. */
static size_t
media_type(const char *v, const char **start)
{
	size_t	n;

	while (is_ows(*v))
		v++;
	*start = v;
	for (n = 0; v[n] != '\0' && v[n] != ';'; n++)
		;
	while (n > 0 && is_ows(v[n - 1]))
		n--;
	return n;
}

enum ods_err
ods_multipart_boundary(const char *ctype, char *out, struct ods_why *why)
{
	static const char	 want[] = "multipart/form-data";
	struct param		 p;
	const char		*s, *end, *mt;
	size_t			 n, i;
	int			 rc, seen = 0;
	char			 b[ODS_MULTIPART_BOUNDARY_MAX * 2 + 1];

	if (ctype == NULL || *ctype == '\0') {
		ods_why_set(why, NULL, "no Content-Type: expected %s", want);
		return ODS_EINVAL;
	}
	n = media_type(ctype, &mt);
	if (n != sizeof(want) - 1 || strncasecmp(mt, want, n) != 0) {
		ods_why_set(why, NULL, "Content-Type is '%.*s', expected %s",
		    (int)(n > 60 ? 60 : n), mt, want);
		return ODS_EINVAL;
	}
	s = mt + n;
	end = s + strlen(s);
	while ((rc = param_next(&s, end, &p)) == 1) {
		if (!pname_is(&p, "boundary"))
			continue;
		if (seen++ || p.vlen > sizeof(b) - 1) {
			ods_why_set(why, NULL, seen > 1 ? "Content-Type has two "
			    "boundaries" : "the multipart boundary is longer "
			    "than %d characters", ODS_MULTIPART_BOUNDARY_MAX);
			return ODS_EINVAL;
		}
		n = unquote(&p, b);
	}
	if (rc < 0) {
		ods_why_set(why, NULL, "Content-Type has a malformed parameter");
		return ODS_EINVAL;
	}
	if (!seen) {
		ods_why_set(why, NULL, "Content-Type has no multipart boundary");
		return ODS_EINVAL;
	}
	if (n == 0 || n > ODS_MULTIPART_BOUNDARY_MAX) {
		ods_why_set(why, NULL, "the multipart boundary must have 1 to "
		    "%d characters", ODS_MULTIPART_BOUNDARY_MAX);
		return ODS_EINVAL;
	}
	for (i = 0; i < n; i++)
		if (!(b[i] >= '0' && b[i] <= '9') && !(b[i] >= 'a' &&
		    b[i] <= 'z') && !(b[i] >= 'A' && b[i] <= 'Z') &&
		    strchr("'()+_,-./:=? ", b[i]) == NULL) {
			ods_why_set(why, NULL, "the multipart boundary has a "
			    "character RFC 2046 does not allow (0x%02x)",
			    (unsigned char)b[i]);
			return ODS_EINVAL;
		}
	if (b[n - 1] == ' ') {
		ods_why_set(why, NULL, "the multipart boundary ends in a space");
		return ODS_EINVAL;
	}
	memcpy(out, b, n + 1);
	return ODS_OK;
}

struct ods_multipart *
ods_multipart_new(const char *ctype, const struct ods_multipart_limits *lim,
    const struct ods_multipart_cb *cb, struct ods_why *why)
{
	struct ods_multipart	*m;
	char			 b[ODS_MULTIPART_BOUNDARY_MAX + 1];

	if (ods_multipart_boundary(ctype, b, why) != ODS_OK)
		return NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		goto oom;
	if (lim != NULL)
		m->lim = *lim;
	if (m->lim.max_parts == 0)
		m->lim.max_parts = ODS_MULTIPART_MAX_PARTS;
	if (m->lim.max_header_bytes == 0)
		m->lim.max_header_bytes = ODS_MULTIPART_MAX_HEADER_BYTES;
	if (m->lim.max_header_lines == 0)
		m->lim.max_header_lines = ODS_MULTIPART_MAX_HEADER_LINES;
	if (cb != NULL)
		m->cb = *cb;
	m->dlen = (size_t)snprintf(m->delim, sizeof(m->delim), "\r\n--%s", b);
	/* The first delimiter may open the body: as if after a CRLF. */
	m->match = 2;
	m->st = S_PREAMBLE;
	/*
	 * The unfolded headers, and the strings cut from them (a Latin-1
	 * filename* doubles in UTF-8).
	 */
	m->scap = 3 * m->lim.max_header_bytes + 64;
	m->hbuf = malloc(m->lim.max_header_bytes + 1);
	m->scratch = malloc(m->scap);
	if (m->hbuf == NULL || m->scratch == NULL)
		goto oom;
	return m;
oom:
	ods_multipart_free(m);
	ods_why_set(why, NULL, "out of memory");
	return NULL;
}

void
ods_multipart_free(struct ods_multipart *m)
{
	if (m == NULL)
		return;
	free(m->hbuf);
	free(m->scratch);
	free(m);
}

int
ods_multipart_done(const struct ods_multipart *m)
{
	return m->st == S_EPILOGUE;
}

/* Part data (nothing in the preamble) to the data callback. */
static enum ods_err
emit(struct ods_multipart *m, const char *p, size_t n)
{
	struct ods_why	w = { "", "" };
	enum ods_err	er;

	if (m->st != S_DATA || n == 0 || m->cb.data == NULL)
		return ODS_OK;
	er = m->cb.data(m->cb.arg, &m->part, p, n, &w);
	return er == ODS_OK ? ODS_OK : cb_fail(m, er, &w);
}

/*
 * Preamble or part data up to the end of p or of the next delimiter;
 * returns the bytes used. carry is how many of the held bytes came from
 * earlier chunks (the rest are the last bytes of p seen so far).
 */
static size_t
scan(struct ods_multipart *m, const char *p, size_t len)
{
	const char	*cr;
	size_t		 i = 0, carry = m->match;

	while (i < len) {
		if (m->match == 0) {
			if ((cr = memchr(p + i, '\r', len - i)) == NULL) {
				i = len;
				break;
			}
			i = (size_t)(cr - p) + 1;
			m->match = 1;
			continue;
		}
		if (p[i] == m->delim[m->match]) {
			i++;
			if (++m->match < m->dlen)
				continue;
			/* A delimiter: the bytes before it are data. */
			m->match = 0;
			if (carry == 0 && emit(m, p, i - m->dlen) != ODS_OK)
				return len;
			m->in_part = m->st == S_DATA;
			m->st = S_TAIL;
			m->tail = T_START;
			return i;
		}
		/* Not a delimiter after all: what was held is data. */
		if (carry > 0 && emit(m, m->delim, carry) != ODS_OK)
			return len;
		carry = 0;
		m->match = 0;
	}
	/* All but the bytes of p that may still begin a delimiter. */
	(void)emit(m, p, len - (m->match - carry));
	return i;
}

/* Copy n bytes into the part's scratch space, NUL-terminated. */
static char *
sdup(struct ods_multipart *m, const char *s, size_t n)
{
	char	*d;

	if (n + 1 > m->scap - m->sused)
		return NULL;
	d = m->scratch + m->sused;
	memcpy(d, s, n);
	d[n] = '\0';
	m->sused += n + 1;
	return d;
}

/*
 * filename*=charset'lang'pct-encoded (RFC 5987/8187) into scratch as
 * UTF-8. ODS_OK, ODS_ENOTFOUND for a charset other than UTF-8 or
 * ISO-8859-1 (the plain filename is used then), or a failure.
 */
static enum ods_err
ext_value(struct ods_multipart *m, const struct param *p, const char **out)
{
	const char	*v = p->val, *end = p->val + p->vlen, *q1, *q2;
	char		*d;
	size_t		 o = 0, k;
	int		 latin1, hi, lo;
	unsigned char	 c;

	if (p->quoted || (q1 = memchr(v, '\'', p->vlen)) == NULL ||
	    (q2 = memchr(q1 + 1, '\'', (size_t)(end - q1 - 1))) == NULL)
		return fail(m, ODS_EINVAL, "filename* is not "
		    "charset'language'value (RFC 5987)");
	if ((size_t)(q1 - v) == 5 && strncasecmp(v, "UTF-8", 5) == 0)
		latin1 = 0;
	else if ((size_t)(q1 - v) == 10 && strncasecmp(v, "ISO-8859-1", 10)
	    == 0)
		latin1 = 1;
	else
		return ODS_ENOTFOUND;
	d = m->scratch + m->sused;
	if (2 * (size_t)(end - q2) + 1 > m->scap - m->sused)
		return fail(m, ODS_EINVAL, "filename* is too long");
	for (v = q2 + 1; v < end; v++) {
		c = (unsigned char)*v;
		if (c == '%') {
			if (end - v < 3 || (hi = ods_hexval(v[1])) < 0 ||
			    (lo = ods_hexval(v[2])) < 0)
				return fail(m, ODS_EINVAL, "filename* has a bad "
				    "percent-encoding");
			c = (unsigned char)(hi << 4 | lo);
			v += 2;
		}
		if (c == '\0')
			return fail(m, ODS_EINVAL, "filename* holds a NUL");
		if (latin1 && c >= 0x80) {
			d[o++] = (char)(0xc0 | c >> 6);
			c = 0x80 | (c & 0x3f);
		}
		d[o++] = (char)c;
	}
	d[o] = '\0';
	for (k = 0; k < o; k += ods_utf8_len((unsigned char *)d + k, o - k))
		if (ods_utf8_len((unsigned char *)d + k, o - k) == 0)
			return fail(m, ODS_EINVAL, "filename* is not valid "
			    "UTF-8");
	m->sused += o + 1;
	*out = d;
	return ODS_OK;
}

/* A parameter's unquoted value into scratch. */
static const char *
pvalue(struct ods_multipart *m, const struct param *p)
{
	char	*d;
	size_t	 n;

	if (p->vlen + 1 > m->scap - m->sused)
		return NULL;
	d = m->scratch + m->sused;
	n = unquote(p, d);
	m->sused += n + 1;
	return d;
}

/* "form-data; name=...; filename=...; filename*=..." */
static enum ods_err
disposition(struct ods_multipart *m, const char *v, size_t n)
{
	struct param	 p, fn = { 0 }, fnx = { 0 };
	const char	*s = v, *end = v + n, *mt;
	size_t		 tn;
	int		 rc, seen_fn = 0, seen_fnx = 0, seen_name = 0;
	enum ods_err	 er;

	for (mt = s; s < end && *s != ';'; s++)
		;
	for (tn = (size_t)(s - mt); tn > 0 && is_ows(mt[tn - 1]); tn--)
		;
	if (tn != 9 || strncasecmp(mt, "form-data", 9) != 0)
		return fail(m, ODS_EINVAL, "Content-Disposition is '%.*s', "
		    "not form-data", (int)(tn > 40 ? 40 : tn), mt);
	while ((rc = param_next(&s, end, &p)) == 1) {
		if (pname_is(&p, "name")) {
			if (seen_name++)
				return fail(m, ODS_EINVAL, "Content-Disposition "
				    "has two names");
			if ((m->part.name = pvalue(m, &p)) == NULL)
				return fail(m, ODS_EINTERNAL, "no room for name");
		} else if (pname_is(&p, "filename")) {
			if (seen_fn++)
				return fail(m, ODS_EINVAL, "Content-Disposition "
				    "has two filename parameters");
			fn = p;
		} else if (pname_is(&p, "filename*")) {
			if (seen_fnx++)
				return fail(m, ODS_EINVAL, "Content-Disposition "
				    "has two filename* parameters");
			fnx = p;
		}
	}
	if (rc < 0)
		return fail(m, ODS_EINVAL, "Content-Disposition has a malformed "
		    "parameter");
	if (!seen_name)
		return fail(m, ODS_EINVAL, "Content-Disposition has no name");
	er = ODS_ENOTFOUND;
	if (seen_fnx && (er = ext_value(m, &fnx, &m->part.filename)) !=
	    ODS_OK && er != ODS_ENOTFOUND)
		return er;
	if (er == ODS_ENOTFOUND && seen_fn &&
	    (m->part.filename = pvalue(m, &fn)) == NULL)
		return fail(m, ODS_EINTERNAL, "no room for filename");
	if (er == ODS_ENOTFOUND && !seen_fn && seen_fnx)
		return fail(m, ODS_EINVAL, "filename* has a charset other than "
		    "UTF-8 or ISO-8859-1");
	return ODS_OK;
}

/* One unfolded header line "Name: value" (no CRLF). */
static enum ods_err
header_line(struct ods_multipart *m, const char *l, size_t n, int *seen_cd,
    int *seen_ct)
{
	const char	*colon, *v;
	size_t		 i, nn, vn;

	if ((colon = memchr(l, ':', n)) == NULL)
		return fail(m, ODS_EINVAL, "a header line has no ':'");
	nn = (size_t)(colon - l);
	for (i = 0; i < nn; i++)
		if (!is_tchar((unsigned char)l[i]))
			break;
	if (nn == 0 || i < nn)
		return fail(m, ODS_EINVAL, "a header has an invalid name");
	for (v = colon + 1, vn = n - nn - 1; vn > 0 && is_ows(*v); v++, vn--)
		;
	while (vn > 0 && is_ows(v[vn - 1]))
		vn--;
	if (nn == 19 && strncasecmp(l, "Content-Disposition", nn) == 0) {
		if ((*seen_cd)++)
			return fail(m, ODS_EINVAL, "two Content-Disposition "
			    "headers");
		return disposition(m, v, vn);
	}
	if (nn == 12 && strncasecmp(l, "Content-Type", nn) == 0) {
		if ((*seen_ct)++)
			return fail(m, ODS_EINVAL, "two Content-Type headers");
		if (vn == 0)
			return fail(m, ODS_EINVAL, "an empty Content-Type");
		if ((m->part.content_type = sdup(m, v, vn)) == NULL)
			return fail(m, ODS_EINTERNAL, "no room for headers");
	}
	return ODS_OK;
}

/*
 * The header block is complete (hbuf: lines ending in CRLF, then the
 * empty line's CRLF): unfold it into scratch, parse, begin the part.
 */
static enum ods_err
headers_done(struct ods_multipart *m)
{
	struct ods_why	 w = { "", "" };
	char		*u;
	size_t		 i, o = 0, n = m->hlen - 2, start;
	int		 seen_cd = 0, seen_ct = 0;
	enum ods_err	 er;

	m->part.headers = m->hbuf;
	m->part.headers_len = n;
	m->hbuf[n] = '\0';
	if (n > 0 && is_ows(m->hbuf[0]))
		return fail(m, ODS_EINVAL, "the headers begin with a folded "
		    "line");
	if ((u = sdup(m, m->hbuf, n)) == NULL)
		return fail(m, ODS_EINTERNAL, "no room for headers");
	/* obs-fold: CRLF before a space or tab joins the lines. */
	for (i = 0; i < n; i++) {
		if (m->hbuf[i] == '\r') {
			i++;
			u[o++] = i + 1 < n && is_ows(m->hbuf[i + 1]) ? ' ' :
			    '\n';
		} else
			u[o++] = m->hbuf[i];
	}
	for (start = 0, i = 0; i < o; i++) {
		if (u[i] != '\n')
			continue;
		if ((er = header_line(m, u + start, i - start, &seen_cd,
		    &seen_ct)) != ODS_OK)
			return er;
		start = i + 1;
	}
	if (!seen_cd)
		return fail(m, ODS_EINVAL, "no Content-Disposition header");
	if (m->part.content_type == NULL)
		m->part.content_type = "text/plain";
	m->st = S_DATA;
	m->match = 0;
	if (m->cb.begin != NULL &&
	    (er = m->cb.begin(m->cb.arg, &m->part, &w)) != ODS_OK)
		return cb_fail(m, er, &w);
	return ODS_OK;
}

static enum ods_err
hadd(struct ods_multipart *m, char c)
{
	if (m->hlen >= m->lim.max_header_bytes)
		return fail(m, ODS_EINVAL, "the headers are longer than %zu "
		    "bytes", m->lim.max_header_bytes);
	m->hbuf[m->hlen++] = c;
	return ODS_OK;
}

/* A part's header bytes; returns the bytes used. */
static size_t
headers(struct ods_multipart *m, const char *p, size_t len)
{
	size_t	i;
	char	c;

	for (i = 0; i < len; i++) {
		c = p[i];
		if (m->hcr) {
			if (c != '\n') {
				(void)fail(m, ODS_EINVAL, "a header line has a "
				    "CR without LF");
				return len;
			}
			m->hcr = 0;
			if (hadd(m, c) != ODS_OK)
				return len;
			if (m->linelen == 0) {
				(void)headers_done(m);
				return i + 1;
			}
			if (++m->hlines > m->lim.max_header_lines) {
				(void)fail(m, ODS_EINVAL, "more than %zu header "
				    "lines", m->lim.max_header_lines);
				return len;
			}
			m->linelen = 0;
			continue;
		}
		if (c == '\n' || c == '\0') {
			(void)fail(m, ODS_EINVAL, c == '\n' ? "a header line "
			    "ends in a bare LF (CRLF is required)" :
			    "a header holds a NUL");
			return len;
		}
		if (c == '\r')
			m->hcr = 1;
		else
			m->linelen++;
		if (hadd(m, c) != ODS_OK)
			return len;
	}
	return len;
}

/* A new part's headers follow. */
static void
part_begin(struct ods_multipart *m)
{
	if (m->nparts >= m->lim.max_parts) {
		(void)fail(m, ODS_EINVAL, "more than %zu parts",
		    m->lim.max_parts);
		return;
	}
	memset(&m->part, 0, sizeof(m->part));
	m->part.index = m->nparts++;
	m->st = S_HEADERS;
	m->hlen = m->hlines = m->linelen = 0;
	m->hcr = 0;
	m->sused = 0;
}

/* The previous part (if any) ended well: its end callback. */
static enum ods_err
part_end(struct ods_multipart *m)
{
	struct ods_why	w = { "", "" };
	enum ods_err	er;

	if (!m->in_part || m->cb.end == NULL)
		return ODS_OK;
	if ((er = m->cb.end(m->cb.arg, &m->part, &w)) != ODS_OK)
		return cb_fail(m, er, &w);
	return ODS_OK;
}

/*
 * After "\r\n--boundary": "--" closes the body, optional spaces or tabs
 * and CRLF begin a part. Anything else is an error after a part; in the
 * preamble it was only text that looked like a delimiter.
 */
static size_t
tail(struct ods_multipart *m, const char *p, size_t len)
{
	size_t	i;
	char	c;

	for (i = 0; i < len; i++) {
		c = p[i];
		switch (m->tail) {
		case T_START:
			if (c == '-') {
				m->tail = T_DASH;
				continue;
			}
			/* FALLTHROUGH */
		case T_PAD:
			if (is_ows(c)) {
				m->tail = T_PAD;
				continue;
			}
			if (c == '\r') {
				m->tail = T_CR;
				continue;
			}
			break;
		case T_DASH:
			if (c != '-')
				break;
			if (part_end(m) == ODS_OK)
				m->st = S_EPILOGUE;
			return i + 1;
		case T_CR:
			if (c != '\n')
				break;
			if (part_end(m) == ODS_OK)
				part_begin(m);
			return i + 1;
		}
		if (!m->in_part) {
			m->st = S_PREAMBLE;
			return i;	/* c again, as preamble */
		}
		(void)fail(m, ODS_EINVAL, "the delimiter '--%s' is followed by "
		    "other text on its line", m->delim + 4);
		return len;
	}
	return len;
}

static enum ods_err
result(struct ods_multipart *m, struct ods_why *why)
{
	if (m->err != ODS_OK && why != NULL)
		*why = m->why;
	return m->err;
}

enum ods_err
ods_multipart_feed(struct ods_multipart *m, const char *buf, size_t len,
    struct ods_why *why)
{
	size_t	i = 0;

	while (m->err == ODS_OK && i < len) {
		switch (m->st) {
		case S_PREAMBLE:
		case S_DATA:
			i += scan(m, buf + i, len - i);
			break;
		case S_TAIL:
			i += tail(m, buf + i, len - i);
			break;
		case S_HEADERS:
			i += headers(m, buf + i, len - i);
			break;
		case S_EPILOGUE:
		case S_ERROR:
			i = len;
			break;
		}
	}
	return result(m, why);
}

enum ods_err
ods_multipart_finish(struct ods_multipart *m, struct ods_why *why)
{
	switch (m->st) {
	case S_EPILOGUE:
	case S_ERROR:
		break;
	case S_HEADERS:
		(void)fail(m, ODS_EINVAL, "the body ends inside the headers");
		break;
	case S_TAIL:
	case S_DATA:
		if (m->st == S_DATA || m->in_part) {
			(void)fail(m, ODS_EINVAL, "the body ends before the "
			    "closing delimiter '--%s--'", m->delim + 4);
			break;
		}
		/* FALLTHROUGH */
	case S_PREAMBLE:
		(void)fail(m, ODS_EINVAL, "no delimiter line '--%s' in the "
		    "body", m->delim + 4);
		break;
	}
	return result(m, why);
}

char *
ods_multipart_safe_name(const char *name, char *out, size_t n)
{
	const unsigned char	*s;
	const char		*base;
	size_t			 o = 0, k, left;

	for (base = name; *name != '\0'; name++)
		if (*name == '/' || *name == '\\')
			base = name + 1;
	s = (const unsigned char *)base;
	for (left = strlen(base); left > 0 && o + 1 < n; s += k, left -= k) {
		k = 1;
		/* Leading dots and spaces of what is kept ("\x01..x"). */
		if (*s < 0x20 || *s == 0x7f || (o == 0 && (*s == '.' ||
		    *s == ' ')))
			continue;
		if ((k = ods_utf8_len(s, left)) == 0) {
			out[o++] = '_';	/* not UTF-8: a placeholder */
			k = 1;
			continue;
		}
		if (o + k + 1 > n)
			break;		/* never half a character */
		memcpy(out + o, s, k);
		o += k;
	}
	while (o > 0 && (out[o - 1] == '.' || out[o - 1] == ' '))
		o--;
	if (o == 0)
		o = (size_t)snprintf(out, n, "file") < n ? 4 : n - 1;
	out[o] = '\0';
	return out;
}
