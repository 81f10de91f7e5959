/*
 * lib/store/ods_obj_s3.c — the object store in an S3-compatible bucket
 * (MinIO, AWS S3, s3rver), over lib/net's HTTP client.
 *
 * Requests are signed by libcurl (CURLOPT_AWS_SIGV4). Paths and queries
 * are built already in SigV4's canonical form (every key byte but the
 * unreserved ones %XX-encoded, '/' kept; query parameters sorted, each
 * with '='), so what is sent is what is signed whatever libcurl's version
 * does with them. Presigned URLs (query-string SigV4) are signed here.
 *
 * A put reads one part (ODS_S3_PART_BYTES) into memory: a stream that
 * ends within it is one PUT; a longer one is a multipart upload, part by
 * part, aborted on any failure. The SHA-256 of a multipart object is known
 * only at the end: unless the caller gave it, the object is then copied
 * onto itself with its metadata replaced (x-amz-meta-sha256).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/ods_conf.h"
#include "core/ods_log.h"
#include "core/ods_util.h"
#include "net/ods_http.h"
#include "store/ods_store_int.h"

#define EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define ERRBODY_MAX	4096

struct s3 {
	char	*scheme;	/* "http" | "https" */
	char	*host;		/* "host:port" as the Host header says */
	char	*bucket;
	char	*region;
	char	*sigv4;		/* "aws:amz:REGION:s3" */
	char	*userpwd;	/* "ACCESS:SECRET" */
	char	*access;
	char	*secret;
	int	 path_style;
	size_t	 part;
	int	 timeout_ms;
};

/* The response headers the store reads. */
struct hdrs {
	char		 etag[80];
	char		 ctype[ODS_OBJ_CTYPE_MAX + 1];
	char		 sha256[65];
	uint64_t	 length;
	int		 has_length;
	uint64_t	 range_total;	/* from Content-Range */
	int		 has_range;
	int64_t		 mtime;
};

/* One call: what goes out and what comes back. */
struct call {
	const char			*method;
	const char			*key;		/* NULL: the bucket */
	const char			*query;		/* canonical, or "" */
	const char			*hdr[6];
	size_t				 nhdr;
	const char			*body;
	size_t				 len;
	int				 timeout_ms;	/* 0: the default */
	size_t				 keep_max;	/* 0: ERRBODY_MAX */
	const struct ods_obj_sink	*sink;		/* GET: the bytes */
	uint64_t			 off;
	struct hdrs			 h;
	struct ods_buf			 err;		/* an error's body */
	int				 status;
	int				 began;
	enum ods_err			 sink_err;
};

static void
copy_trim(char *dst, size_t len, const char *v, size_t n)
{
	while (n > 0 && (*v == ' ' || *v == '"')) {
		v++;
		n--;
	}
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '"'))
		n--;
	if (n >= len)
		n = len - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

static int
on_header(void *arg, const char *line, size_t len)
{
	struct call	*c = arg;
	const char	*colon = memchr(line, ':', len), *v, *sl;
	size_t		 nl, vl;
	char		 tmp[64];
	struct tm	 tm;

	nl = (size_t)(colon - line);
	v = colon + 1;
	vl = len - nl - 1;
	while (vl > 0 && *v == ' ')
		v++, vl--;
#define IS(name) (nl == sizeof(name) - 1 && strncasecmp(line, name, nl) == 0)
	if (IS("ETag"))
		copy_trim(c->h.etag, sizeof(c->h.etag), v, vl);
	else if (IS("Content-Type"))
		copy_trim(c->h.ctype, sizeof(c->h.ctype), v, vl);
	else if (IS("x-amz-meta-sha256"))
		copy_trim(c->h.sha256, sizeof(c->h.sha256), v, vl);
	else if (IS("Content-Length")) {
		copy_trim(tmp, sizeof(tmp), v, vl);
		c->h.length = strtoull(tmp, NULL, 10);
		c->h.has_length = 1;
	} else if (IS("Content-Range")) {
		copy_trim(tmp, sizeof(tmp), v, vl);
		if ((sl = strchr(tmp, '/')) != NULL && sl[1] != '*') {
			c->h.range_total = strtoull(sl + 1, NULL, 10);
			c->h.has_range = 1;
		}
	} else if (IS("Last-Modified")) {
		copy_trim(tmp, sizeof(tmp), v, vl);
		memset(&tm, 0, sizeof(tm));
		if (strptime(tmp, "%a, %d %b %Y %H:%M:%S", &tm) != NULL)
			c->h.mtime = (int64_t)timegm(&tm);
	}
#undef IS
	return 0;
}

static void
info_from(struct ods_obj_info *in, const char *key, const struct hdrs *h,
    uint64_t size)
{
	memset(in, 0, sizeof(*in));
	snprintf(in->key, sizeof(in->key), "%s", key);
	in->size = size;
	snprintf(in->sha256, sizeof(in->sha256), "%s", h->sha256);
	snprintf(in->ctype, sizeof(in->ctype), "%s", h->ctype);
	snprintf(in->etag, sizeof(in->etag), "%s", h->etag);
	in->mtime = h->mtime;
}

static int
on_data(void *arg, const char *p, size_t n)
{
	struct call		*c = arg;
	struct ods_obj_info	 in;
	uint64_t		 total;

	if (c->status < 200 || c->status >= 300 || c->sink == NULL) {
		/* Kept up to its cap; the rest is not needed. */
		if (ods_buf_add(&c->err, p, n) != ODS_OK)
			return 0;
		return 0;
	}
	if (!c->began) {
		c->began = 1;
		total = c->h.has_range ? c->h.range_total : c->h.length;
		info_from(&in, c->key, &c->h, total);
		if (c->sink->begin != NULL && c->sink->begin(c->sink->arg,
		    &in, c->off, c->h.length) != 0) {
			c->sink_err = ODS_EIO;
			return 1;
		}
	}
	if (c->sink->write(c->sink->arg, p, n) != 0) {
		c->sink_err = ODS_EIO;
		return 1;
	}
	return 0;
}

static int
on_head(void *arg, int status, const char *ctype)
{
	struct call	*c = arg;

	(void)ctype;
	c->status = status;
	return 0;
}

/* scheme://host/bucket/key or scheme://bucket.host/key, then ?query. */
static enum ods_err
url_of(const struct s3 *s, const char *key, const char *query,
    struct ods_buf *b)
{
	enum ods_err	er;

	if (s->path_style)
		er = ods_buf_addf(b, "%s://%s/%s/", s->scheme, s->host,
		    s->bucket);
	else
		er = ods_buf_addf(b, "%s://%s.%s/", s->scheme, s->bucket,
		    s->host);
	if (er == ODS_OK && key != NULL)
		er = odsi_obj_pct(b, key, 1);
	if (er == ODS_OK && query != NULL && *query != '\0')
		er = ods_buf_addf(b, "?%s", query);
	return er;
}

static enum ods_err
status_err(struct call *c)
{
	if (c->status >= 200 && c->status < 300)
		return ODS_OK;
	if (c->status == 404)
		return ODS_ENOTFOUND;
	if (c->status == 416)
		return ODS_EINVAL;
	ods_log(ODS_LOG_WARN, "s3_error method=%s status=%d body=%.200s",
	    c->method, c->status, c->err.data != NULL ? c->err.data : "");
	return c->status >= 500 ? ODS_EUNAVAIL : ODS_EUPSTREAM;
}

static enum ods_err
s3_do(const struct s3 *s, struct call *c)
{
	struct ods_http_req	 req;
	struct ods_http_resp	 resp;
	struct ods_buf		 url;
	char			 sha[65], shah[100];
	enum ods_err		 er;
	size_t			 i;

	ods_buf_init(&url, 16384);
	/* A body that goes to no sink is kept (errors, XML answers). */
	ods_buf_init(&c->err, c->keep_max > 0 ? c->keep_max : ERRBODY_MAX);
	c->status = 0;
	if ((er = url_of(s, c->key, c->query, &url)) != ODS_OK)
		goto out;
	memset(&req, 0, sizeof(req));
	req.method = c->method;
	req.url = url.data;
	if (c->body != NULL)
		ods_sha256_hex(c->body, c->len, sha);
	else
		snprintf(sha, sizeof(sha), "%s", EMPTY_SHA256);
	snprintf(shah, sizeof(shah), "x-amz-content-sha256: %s", sha);
	req.headers[req.nheaders++] = shah;
	for (i = 0; i < c->nhdr; i++)
		req.headers[req.nheaders++] = c->hdr[i];
	/* A PUT or POST always says its length, even when it is 0. */
	if (c->body == NULL && (strcmp(c->method, "PUT") == 0 ||
	    strcmp(c->method, "POST") == 0))
		c->body = "";
	req.body = c->body;
	req.body_len = c->len;
	req.limits.connect_ms = c->timeout_ms > 0 && c->timeout_ms < 3000 ?
	    c->timeout_ms : 3000;
	req.limits.first_byte_ms = c->timeout_ms > 0 ? c->timeout_ms :
	    s->timeout_ms;
	req.limits.idle_ms = req.limits.first_byte_ms;
	if (c->timeout_ms > 0)
		req.limits.total_ms = c->timeout_ms;
	req.limits.max_body = ERRBODY_MAX;
	req.on_head = on_head;
	req.on_data = on_data;
	req.on_header = on_header;
	req.arg = c;
	req.aws_sigv4 = s->sigv4;
	req.userpwd = s->userpwd;
	req.path_as_is = 1;
	er = ods_http_do(&req, &resp);
	if (er == ODS_OK) {
		c->status = resp.status;
		er = status_err(c);
	} else if (c->sink_err != ODS_OK)
		er = c->sink_err;
	else
		ods_log(ODS_LOG_WARN, "s3_unreachable method=%s host=%s err=%s",
		    c->method, s->host, ods_strerror(er));
	ods_http_resp_fini(&resp);
out:
	ods_buf_free(&url);
	return er;
}

static void
call_fini(struct call *c)
{
	ods_buf_free(&c->err);
}

/* A 200 whose body is an <Error> (CopyObject, CompleteMultipartUpload). */
static enum ods_err
body_error(struct call *c)
{
	if (c->err.data != NULL && strstr(c->err.data, "<Error>") != NULL) {
		ods_log(ODS_LOG_WARN, "s3_error_in_200 body=%.200s",
		    c->err.data);
		return ODS_EUPSTREAM;
	}
	return ODS_OK;
}

/* Fill buf with up to n bytes; *eof when the reader ended. */
static enum ods_err
read_part(ods_obj_reader rd, void *arg, char *buf, size_t n, size_t *got,
    int *eof)
{
	long	k;

	*got = 0;
	*eof = 0;
	while (*got < n) {
		if ((k = rd(arg, buf + *got, n - *got)) < 0)
			return ODS_EIO;
		if (k == 0) {
			*eof = 1;
			break;
		}
		*got += (size_t)k;
	}
	return ODS_OK;
}

/* ---- XML: the few elements S3 answers with ---- */

/* The text of <tag> after *pos (entities decoded) into out; -1: none. */
static int
xml_text(const char *doc, const char *end, const char *tag, char *out,
    size_t len)
{
	char		 open[64], close[64];
	const char	*a, *b, *p;
	size_t		 o = 0;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	if ((a = strstr(doc, open)) == NULL || a >= end)
		return -1;
	a += strlen(open);
	if ((b = strstr(a, close)) == NULL || b > end)
		return -1;
	for (p = a; p < b && o + 1 < len; p++) {
		if (*p != '&') {
			out[o++] = *p;
			continue;
		}
		if (strncmp(p, "&amp;", 5) == 0)
			out[o++] = '&', p += 4;
		else if (strncmp(p, "&lt;", 4) == 0)
			out[o++] = '<', p += 3;
		else if (strncmp(p, "&gt;", 4) == 0)
			out[o++] = '>', p += 3;
		else if (strncmp(p, "&quot;", 6) == 0)
			out[o++] = '"', p += 5;
		else if (strncmp(p, "&apos;", 6) == 0)
			out[o++] = '\'', p += 5;
		else if (p[1] == '#') {
			char		*e;
			unsigned long	 cp = p[2] == 'x' ?
			    strtoul(p + 3, &e, 16) : strtoul(p + 2, &e, 10);

			if (*e != ';' || cp == 0 || cp > 0x7f)
				return -1;	/* keys are checked: ASCII */
			out[o++] = (char)cp;
			p = e;
		} else
			out[o++] = *p;
	}
	out[o] = '\0';
	return 0;
}

/* ---- operations ---- */

static enum ods_err
put_single(struct s3 *s, const char *key, const char *ctype,
    const char *sha, const char *buf, size_t n, struct ods_obj_info *out)
{
	struct call	c;
	char		cth[ODS_OBJ_CTYPE_MAX + 20], shh[100];
	enum ods_err	er;

	memset(&c, 0, sizeof(c));
	snprintf(cth, sizeof(cth), "Content-Type: %s", ctype);
	snprintf(shh, sizeof(shh), "x-amz-meta-sha256: %s", sha);
	c.method = "PUT";
	c.key = key;
	c.hdr[c.nhdr++] = cth;
	c.hdr[c.nhdr++] = shh;
	c.body = buf;
	c.len = n;
	er = s3_do(s, &c);
	if (er == ODS_OK && out != NULL) {
		info_from(out, key, &c.h, n);
		snprintf(out->sha256, sizeof(out->sha256), "%s", sha);
		snprintf(out->ctype, sizeof(out->ctype), "%s", ctype);
		out->mtime = (int64_t)time(NULL);
	}
	call_fini(&c);
	return er;
}

struct upload {
	struct s3	*s;
	const char	*key;
	char		 id[512];
	char		 idq[1600];	/* uploadId=..., encoded */
	struct ods_buf	 done;		/* CompleteMultipartUpload body */
	int		 parts;
};

static enum ods_err
mp_create(struct upload *u, const char *ctype, const char *sha)
{
	struct call	c;
	char		cth[ODS_OBJ_CTYPE_MAX + 20], shh[100];
	struct ods_buf	q;
	enum ods_err	er;

	memset(&c, 0, sizeof(c));
	snprintf(cth, sizeof(cth), "Content-Type: %s", ctype);
	c.method = "POST";
	c.key = u->key;
	c.query = "uploads=";
	c.hdr[c.nhdr++] = cth;
	if (sha != NULL) {
		snprintf(shh, sizeof(shh), "x-amz-meta-sha256: %s", sha);
		c.hdr[c.nhdr++] = shh;
	}
	if ((er = s3_do(u->s, &c)) == ODS_OK &&
	    xml_text(c.err.data != NULL ? c.err.data : "",
	    c.err.data != NULL ? c.err.data + c.err.len : "", "UploadId",
	    u->id, sizeof(u->id)) < 0)
		er = ODS_EUPSTREAM;
	call_fini(&c);
	if (er != ODS_OK)
		return er;
	ods_buf_init(&q, sizeof(u->idq));
	if (odsi_obj_pct(&q, u->id, 0) != ODS_OK || q.len >= sizeof(u->idq)) {
		ods_buf_free(&q);
		return ODS_EUPSTREAM;
	}
	snprintf(u->idq, sizeof(u->idq), "uploadId=%s", q.data);
	ods_buf_free(&q);
	ods_buf_init(&u->done, 1u << 20);
	return ods_buf_addf(&u->done, "<CompleteMultipartUpload>");
}

static enum ods_err
mp_part(struct upload *u, const char *buf, size_t n)
{
	struct call	c;
	char		q[1700];
	enum ods_err	er;

	memset(&c, 0, sizeof(c));
	u->parts++;
	snprintf(q, sizeof(q), "partNumber=%d&%s", u->parts, u->idq);
	c.method = "PUT";
	c.key = u->key;
	c.query = q;
	c.body = buf;
	c.len = n;
	er = s3_do(u->s, &c);
	if (er == ODS_OK && c.h.etag[0] == '\0')
		er = ODS_EUPSTREAM;
	if (er == ODS_OK)
		er = ods_buf_addf(&u->done, "<Part><PartNumber>%d</PartNumber>"
		    "<ETag>\"%s\"</ETag></Part>", u->parts, c.h.etag);
	call_fini(&c);
	return er;
}

static enum ods_err
mp_complete(struct upload *u)
{
	struct call	c;
	enum ods_err	er;

	if ((er = ods_buf_addf(&u->done, "</CompleteMultipartUpload>")) !=
	    ODS_OK)
		return er;
	memset(&c, 0, sizeof(c));
	c.method = "POST";
	c.key = u->key;
	c.query = u->idq;
	c.hdr[c.nhdr++] = "Content-Type: application/xml";
	c.body = u->done.data;
	c.len = u->done.len;
	if ((er = s3_do(u->s, &c)) == ODS_OK)
		er = body_error(&c);
	call_fini(&c);
	return er;
}

static void
mp_abort(struct upload *u)
{
	struct call	c;

	if (u->id[0] == '\0')
		return;
	memset(&c, 0, sizeof(c));
	c.method = "DELETE";
	c.key = u->key;
	c.query = u->idq;
	if (s3_do(u->s, &c) != ODS_OK)
		ods_log(ODS_LOG_WARN, "s3_abort_failed upload_id=%s", u->id);
	call_fini(&c);
}

/* Copy src to dst; meta non-NULL replaces the metadata with ctype+sha. */
static enum ods_err
copy_obj(struct s3 *s, const char *src, const char *dst, const char *ctype,
    const char *sha)
{
	struct call	c;
	struct ods_buf	b;
	char		cth[ODS_OBJ_CTYPE_MAX + 20], shh[100];
	enum ods_err	er;

	ods_buf_init(&b, 8192);
	if ((er = ods_buf_addf(&b, "x-amz-copy-source: /%s/", s->bucket)) !=
	    ODS_OK || (er = odsi_obj_pct(&b, src, 1)) != ODS_OK) {
		ods_buf_free(&b);
		return er;
	}
	memset(&c, 0, sizeof(c));
	c.method = "PUT";
	c.key = dst;
	c.hdr[c.nhdr++] = b.data;
	if (sha != NULL) {
		snprintf(cth, sizeof(cth), "Content-Type: %s", ctype);
		snprintf(shh, sizeof(shh), "x-amz-meta-sha256: %s", sha);
		c.hdr[c.nhdr++] = "x-amz-metadata-directive: REPLACE";
		c.hdr[c.nhdr++] = cth;
		c.hdr[c.nhdr++] = shh;
	} else
		c.hdr[c.nhdr++] = "x-amz-metadata-directive: COPY";
	if ((er = s3_do(s, &c)) == ODS_OK)
		er = body_error(&c);
	call_fini(&c);
	ods_buf_free(&b);
	return er;
}

/* The rest of a stream whose first part (buf, n) is already read. */
static enum ods_err
put_multi(struct s3 *s, struct upload *u, const char *ctype,
    const char *want, uint64_t max, ods_obj_reader rd, void *arg,
    char *buf, size_t n, struct ods_sha256 *h, struct ods_obj_info *out)
{
	uint64_t	total = n;
	enum ods_err	er;
	char		sha[65];
	int		eof = 0;

	if ((er = mp_create(u, ctype, want)) != ODS_OK)
		return er;
	while (er == ODS_OK) {
		if ((er = mp_part(u, buf, n)) != ODS_OK || eof)
			break;
		if ((er = read_part(rd, arg, buf, s->part, &n, &eof)) != ODS_OK)
			break;
		total += n;
		if (max > 0 && total > max)
			er = ODS_ETOOBIG;
		else if (n == 0)
			break;		/* ended on a part boundary */
		else
			ods_sha256_update(h, buf, n);
	}
	if (er != ODS_OK)
		return er;
	ods_sha256_final(h, sha);
	if (want != NULL && strcmp(want, sha) != 0)
		return ODS_ECORRUPT;
	if ((er = mp_complete(u)) != ODS_OK)
		return er;
	u->id[0] = '\0';	/* completed: nothing to abort */
	if (want == NULL &&
	    (er = copy_obj(s, u->key, u->key, ctype, sha)) != ODS_OK) {
		/* Never leave an object without its checksum. */
		struct call	c = { .method = "DELETE", .key = u->key };

		(void)s3_do(s, &c);
		call_fini(&c);
		return er;
	}
	if (out != NULL) {
		memset(out, 0, sizeof(*out));
		snprintf(out->key, sizeof(out->key), "%s", u->key);
		out->size = total;
		memcpy(out->sha256, sha, 65);
		snprintf(out->ctype, sizeof(out->ctype), "%s", ctype);
		out->mtime = (int64_t)time(NULL);
	}
	return ODS_OK;
}

static enum ods_err
s3_put(void *be, const char *key, const char *ctype, const char *want,
    uint64_t max, ods_obj_reader rd, void *arg, struct ods_obj_info *out)
{
	struct s3		*s = be;
	struct ods_sha256	*h = NULL;
	struct upload		 u;
	char			*buf, sha[65];
	enum ods_err		 er;
	size_t			 n;
	int			 eof;

	memset(&u, 0, sizeof(u));
	u.s = s;
	u.key = key;
	buf = malloc(s->part);
	h = ods_sha256_new();
	if (buf == NULL || h == NULL) {
		er = ODS_ENOMEM;
		goto out;
	}
	if ((er = read_part(rd, arg, buf, s->part, &n, &eof)) != ODS_OK)
		goto out;
	if (max > 0 && n > max) {
		er = ODS_ETOOBIG;
		goto out;
	}
	ods_sha256_update(h, buf, n);
	if (eof) {
		ods_sha256_final(h, sha);
		if (want != NULL && strcmp(want, sha) != 0)
			er = ODS_ECORRUPT;
		else
			er = put_single(s, key, ctype, sha, buf, n, out);
		goto out;
	}
	er = put_multi(s, &u, ctype, want, max, rd, arg, buf, n, h, out);
	if (er != ODS_OK)
		mp_abort(&u);
out:
	if (u.done.data != NULL)
		ods_buf_free(&u.done);
	ods_sha256_free(h);
	free(buf);
	return er;
}

static enum ods_err s3_head(void *, const char *, struct ods_obj_info *);

static enum ods_err
s3_get(void *be, const char *key, uint64_t off, uint64_t len,
    const struct ods_obj_sink *sink)
{
	struct call		 c;
	struct ods_obj_info	 in;
	char			 range[80];
	enum ods_err		 er;

	memset(&c, 0, sizeof(c));
	c.method = "GET";
	c.key = key;
	c.sink = sink;
	c.off = off;
	if (off > 0 || len != ODS_OBJ_ALL) {
		if (len == ODS_OBJ_ALL || len > UINT64_MAX - off)
			snprintf(range, sizeof(range), "Range: bytes=%" PRIu64
			    "-", off);
		else if (len == 0)
			snprintf(range, sizeof(range), "Range: bytes=%" PRIu64
			    "-%" PRIu64, off, off);	/* trimmed below */
		else
			snprintf(range, sizeof(range), "Range: bytes=%" PRIu64
			    "-%" PRIu64, off, off + len - 1);
		c.hdr[c.nhdr++] = range;
	}
	er = s3_do(be, &c);
	/* S3 refuses any range of an empty object; an empty range is ours. */
	if ((er == ODS_EINVAL && off == 0) || (er == ODS_OK && len == 0)) {
		call_fini(&c);
		if ((er = s3_head(be, key, &in)) != ODS_OK)
			return er;
		if (in.size > 0 && len != 0)
			return ODS_EINVAL;
		if (off > 0 && off >= in.size)
			return ODS_EINVAL;
		if (sink->begin != NULL && sink->begin(sink->arg, &in, off, 0))
			return ODS_EIO;
		return ODS_OK;
	}
	/* An empty body never called on_data: begin still runs. */
	if (er == ODS_OK && !c.began && sink->begin != NULL) {
		info_from(&in, key, &c.h, c.h.has_range ? c.h.range_total :
		    c.h.length);
		if (sink->begin(sink->arg, &in, off, 0) != 0)
			er = ODS_EIO;
	}
	call_fini(&c);
	return er;
}

static enum ods_err
s3_head(void *be, const char *key, struct ods_obj_info *in)
{
	struct call	c;
	enum ods_err	er;

	memset(&c, 0, sizeof(c));
	c.method = "HEAD";
	c.key = key;
	if ((er = s3_do(be, &c)) == ODS_OK)
		info_from(in, key, &c.h, c.h.length);
	call_fini(&c);
	return er;
}

static enum ods_err
s3_del(void *be, const char *key)
{
	struct call	c;
	enum ods_err	er;

	memset(&c, 0, sizeof(c));
	c.method = "DELETE";
	c.key = key;
	er = s3_do(be, &c);
	call_fini(&c);
	return er == ODS_ENOTFOUND ? ODS_OK : er;
}

static enum ods_err
s3_copy(void *be, const char *src, const char *dst)
{
	struct ods_obj_info	in;
	enum ods_err		er;

	/* A missing source is 404, as for get. */
	if ((er = s3_head(be, src, &in)) != ODS_OK)
		return er;
	return copy_obj(be, src, dst, NULL, NULL);
}

static int64_t
iso_time(const char *s)
{
	struct tm	tm;

	memset(&tm, 0, sizeof(tm));
	if (strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
		return 0;
	return (int64_t)timegm(&tm);
}

static enum ods_err
parse_list(const char *doc, size_t max, struct ods_obj_list *out)
{
	const char		*p = doc, *end;
	struct ods_obj_info	*it;
	char			 tmp[ODS_OBJ_KEY_MAX * 2];

	while ((p = strstr(p, "<Contents>")) != NULL) {
		if ((end = strstr(p, "</Contents>")) == NULL)
			return ODS_EUPSTREAM;
		if ((it = odsi_obj_list_add(out, max)) == NULL)
			return ODS_EUPSTREAM;
		if (xml_text(p, end, "Key", it->key, sizeof(it->key)) < 0)
			return ODS_EUPSTREAM;
		if (xml_text(p, end, "Size", tmp, sizeof(tmp)) == 0)
			it->size = strtoull(tmp, NULL, 10);
		if (xml_text(p, end, "LastModified", tmp, sizeof(tmp)) == 0)
			it->mtime = iso_time(tmp);
		if (xml_text(p, end, "ETag", tmp, sizeof(tmp)) == 0)
			copy_trim(it->etag, sizeof(it->etag), tmp,
			    strlen(tmp));
		p = end;
	}
	end = doc + strlen(doc);
	if (xml_text(doc, end, "IsTruncated", tmp, sizeof(tmp)) == 0 &&
	    strcmp(tmp, "true") == 0 &&
	    xml_text(doc, end, "NextContinuationToken", tmp, sizeof(tmp)) ==
	    0 && tmp[0] != '\0')
		out->next = ods_xstrdup(tmp);
	return ODS_OK;
}

static enum ods_err
s3_list(void *be, const char *prefix, const char *token, size_t max,
    struct ods_obj_list *out)
{
	struct call	c;
	struct ods_buf	q;
	enum ods_err	er;

	ods_buf_init(&q, 16384);
	er = ODS_OK;
	if (token != NULL) {
		er = ods_buf_addf(&q, "continuation-token=");
		if (er == ODS_OK)
			er = odsi_obj_pct(&q, token, 0);
		if (er == ODS_OK)
			er = ods_buf_addf(&q, "&");
	}
	if (er == ODS_OK)
		er = ods_buf_addf(&q, "list-type=2&max-keys=%zu&prefix=", max);
	if (er == ODS_OK)
		er = odsi_obj_pct(&q, prefix, 0);
	if (er != ODS_OK) {
		ods_buf_free(&q);
		return er;
	}
	memset(&c, 0, sizeof(c));
	c.method = "GET";
	c.query = q.data;
	c.keep_max = 16u << 20;	/* 1000 keys of 1 KiB, escaped */
	er = s3_do(be, &c);
	if (er == ODS_OK)
		er = parse_list(c.err.data != NULL ? c.err.data : "", max,
		    out);
	call_fini(&c);
	ods_buf_free(&q);
	return er;
}

static enum ods_err
s3_check(void *be, int timeout_ms)
{
	struct call	c;
	enum ods_err	er;

	memset(&c, 0, sizeof(c));
	c.method = "GET";
	c.query = "list-type=2&max-keys=1";
	c.timeout_ms = timeout_ms;
	er = s3_do(be, &c);
	call_fini(&c);
	return er;
}

/* ---- presigned URLs (query-string SigV4) ---- */

static void
hmac(const unsigned char *k, size_t kl, const char *msg, unsigned char out[32])
{
	ods_hmac_sha256(k, kl, msg, strlen(msg), out);
}

static enum ods_err
s3_presign(void *be, const char *method, const char *key, int expires_s,
    time_t now, char **url)
{
	struct s3	*s = be;
	struct ods_buf	 uri, q, canon, sts;
	struct tm	 tm;
	char		 date[20], day[9], hash[65], sig[65], *ks;
	unsigned char	 k1[32], k2[32], k3[32], k4[32], mac[32];
	enum ods_err	 er;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y%m%dT%H%M%SZ", &tm);
	memcpy(day, date, 8);
	day[8] = '\0';
	ods_buf_init(&uri, 16384);
	ods_buf_init(&q, 16384);
	ods_buf_init(&canon, 32768);
	ods_buf_init(&sts, 1024);
	er = s->path_style ? ods_buf_addf(&uri, "/%s/", s->bucket) :
	    ods_buf_addf(&uri, "/");
	if (er == ODS_OK)
		er = odsi_obj_pct(&uri, key, 1);
	if (er == ODS_OK)
		er = ods_buf_addf(&q, "X-Amz-Algorithm=AWS4-HMAC-SHA256"
		    "&X-Amz-Credential=");
	if (er == ODS_OK) {
		struct ods_buf	cred;

		ods_buf_init(&cred, 1024);
		er = ods_buf_addf(&cred, "%s/%s/%s/s3/aws4_request",
		    s->access, day, s->region);
		if (er == ODS_OK)
			er = odsi_obj_pct(&q, cred.data, 0);
		ods_buf_free(&cred);
	}
	if (er == ODS_OK)
		er = ods_buf_addf(&q, "&X-Amz-Date=%s&X-Amz-Expires=%d"
		    "&X-Amz-SignedHeaders=host", date, expires_s);
	if (er == ODS_OK)
		er = ods_buf_addf(&canon, "%s\n%s\n%s\nhost:%s%s%s\n\nhost\n"
		    "UNSIGNED-PAYLOAD", method, uri.data, q.data,
		    s->path_style ? "" : s->bucket, s->path_style ? "" : ".",
		    s->host);
	if (er != ODS_OK)
		goto out;
	ods_sha256_hex(canon.data, canon.len, hash);
	er = ods_buf_addf(&sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/s3/aws4_request\n"
	    "%s", date, day, s->region, hash);
	if (er != ODS_OK)
		goto out;
	ks = ods_xmalloc(strlen(s->secret) + 5);
	sprintf(ks, "AWS4%s", s->secret);
	hmac((unsigned char *)ks, strlen(ks), day, k1);
	free(ks);
	hmac(k1, 32, s->region, k2);
	hmac(k2, 32, "s3", k3);
	hmac(k3, 32, "aws4_request", k4);
	ods_hmac_sha256(k4, 32, sts.data, sts.len, mac);
	ods_hex(mac, 32, sig);
	ods_buf_reset(&canon);
	er = s->path_style ? ods_buf_addf(&canon, "%s://%s%s?%s"
	    "&X-Amz-Signature=%s", s->scheme, s->host, uri.data, q.data, sig) :
	    ods_buf_addf(&canon, "%s://%s.%s%s?%s&X-Amz-Signature=%s",
	    s->scheme, s->bucket, s->host, uri.data, q.data, sig);
	if (er == ODS_OK)
		*url = ods_buf_take(&canon, NULL);
out:
	ods_buf_free(&uri);
	ods_buf_free(&q);
	ods_buf_free(&canon);
	ods_buf_free(&sts);
	return er;
}

static void
s3_free(void *be)
{
	struct s3	*s = be;

	if (s == NULL)
		return;
	free(s->scheme);
	free(s->host);
	free(s->bucket);
	free(s->region);
	free(s->sigv4);
	if (s->userpwd != NULL)
		explicit_bzero(s->userpwd, strlen(s->userpwd));
	free(s->userpwd);
	free(s->access);
	if (s->secret != NULL)
		explicit_bzero(s->secret, strlen(s->secret));
	free(s->secret);
	free(s);
}

void *
odsi_obj_s3_new(const struct ods_conf *c)
{
	struct s3	*s;
	const char	*ep = c->minio_endpoint, *bucket;
	char		 buf[1024];
	size_t		 n;

	s = ods_xcalloc(1, sizeof(*s));
	if (strncasecmp(ep, "https://", 8) == 0) {
		s->scheme = ods_xstrdup("https");
		ep += 8;
	} else if (strncasecmp(ep, "http://", 7) == 0) {
		s->scheme = ods_xstrdup("http");
		ep += 7;
	} else
		s->scheme = ods_xstrdup(c->minio_use_ssl ? "https" : "http");
	n = strcspn(ep, "/");
	/* The Host header leaves a default port out. */
	if (n > 3 && strcmp(s->scheme, "http") == 0 &&
	    strncmp(ep + n - 3, ":80", 3) == 0)
		n -= 3;
	else if (n > 4 && strcmp(s->scheme, "https") == 0 &&
	    strncmp(ep + n - 4, ":443", 4) == 0)
		n -= 4;
	s->host = ods_xstrndup(ep, n);
	bucket = *c->minio_bucket != '\0' ? c->minio_bucket :
	    c->minio_default_bucket;
	s->bucket = ods_xstrdup(bucket);
	s->region = ods_xstrdup(c->s3_region);
	snprintf(buf, sizeof(buf), "aws:amz:%s:s3", c->s3_region);
	s->sigv4 = ods_xstrdup(buf);
	s->access = ods_xstrdup(c->minio_access_key);
	s->secret = ods_xstrdup(c->minio_secret_key);
	s->userpwd = ods_xmalloc(strlen(s->access) + strlen(s->secret) + 2);
	sprintf(s->userpwd, "%s:%s", s->access, s->secret);
	s->path_style = c->s3_path_style;
	s->part = c->s3_part_bytes;
	s->timeout_ms = c->s3_timeout_ms;
	if (*s->host == '\0' || *s->bucket == '\0' || strchr(s->bucket, '/')) {
		ods_log(ODS_LOG_ERR, "s3_config_invalid host=%s bucket=%s",
		    s->host, s->bucket);
		s3_free(s);
		return NULL;
	}
	return s;
}

const struct odsi_obj_ops odsi_obj_s3_ops = {
	.name = "s3",
	.put = s3_put,
	.get = s3_get,
	.head = s3_head,
	.del = s3_del,
	.copy = s3_copy,
	.list = s3_list,
	.presign = s3_presign,
	.check = s3_check,
	.free = s3_free,
};
