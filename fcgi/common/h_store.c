/*
 * fcgi/common/h_store.c — GET and PUT /store/presigned: an object by a
 * signed URL (ods_obj_route_check), streamed both ways.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ods.h"
#include "h_store.h"

#define CHUNK	(64u * 1024)

/* 503 without a store, 400/403 for a bad signature; ODS_OK to go on. */
static enum ods_status
gate(struct ods_req *r, struct ods_resp *w, const char *method,
    const char **key)
{
	enum ods_err	er;

	if (ods_req_obj(r) == NULL)
		return ods_resp_error(w, ODS_EUNAVAIL, "no object store");
	*key = ods_req_query(r, "key");
	er = ods_obj_route_check(ods_req_obj(r), method, *key,
	    ods_req_query(r, "expires"), ods_req_query(r, "sig"), time(NULL));
	if (er == ODS_EFORBIDDEN)
		return ods_resp_error_ex(w, er, ODS_C_FORBIDDEN,
		    "invalid_signature",
		    "The URL's signature is invalid or has expired");
	if (er != ODS_OK)
		return ods_resp_error_ex(w, ODS_EINVAL, ODS_C_BAD_REQUEST,
		    "bad_request", "key, expires and sig are required");
	return 0;
}

/* "bytes=A-B" or "bytes=A-": 1 with the range, 0 for none, -1 bad. */
static int
range_parse(const char *h, uint64_t *off, uint64_t *len)
{
	unsigned long long	a, b;
	char			c;

	if (h == NULL)
		return 0;
	if (sscanf(h, "bytes=%llu-%llu%c", &a, &b, &c) == 2) {
		if (b < a)
			return -1;
		*off = a;
		*len = b - a + 1;
		return 1;
	}
	if (sscanf(h, "bytes=%llu-%c", &a, &c) == 1 &&
	    h[strlen(h) - 1] == '-') {
		*off = a;
		*len = ODS_OBJ_ALL;
		return 1;
	}
	return 0;	/* suffix and multiple ranges: the whole object */
}

struct get_state {
	struct ods_resp	*w;
	int		 ranged;
};

static int
get_begin(void *arg, const struct ods_obj_info *in, uint64_t off,
    uint64_t len)
{
	struct get_state	*g = arg;
	char			 v[128];

	snprintf(v, sizeof(v), "\"%s\"", in->sha256);
	(void)ods_resp_header(g->w, "ETag", v);
	(void)ods_resp_header(g->w, "X-Content-SHA256", in->sha256);
	(void)ods_resp_header(g->w, "Accept-Ranges", "bytes");
	/* Stored bytes are never run as a page of this origin. */
	(void)ods_resp_header(g->w, "X-Content-Type-Options", "nosniff");
	(void)ods_resp_header(g->w, "Content-Security-Policy",
	    "default-src 'none'; sandbox");
	if (g->ranged) {
		snprintf(v, sizeof(v), "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64,
		    off, len > 0 ? off + len - 1 : off, in->size);
		(void)ods_resp_header(g->w, "Content-Range", v);
	}
	return ods_resp_begin(g->w, g->ranged ? ODS_HTTP_206 : ODS_HTTP_200,
	    in->ctype[0] != '\0' ? in->ctype : "application/octet-stream",
	    len) != ODS_OK;
}

static int
get_write(void *arg, const char *p, size_t n)
{
	struct get_state	*g = arg;

	return ods_resp_write(g->w, p, n) != ODS_OK;
}

enum ods_status
h_store_get(struct ods_req *r, struct ods_resp *w)
{
	struct get_state	 g = { w, 0 };
	struct ods_obj_sink	 sink = { get_begin, get_write, &g };
	const char		*key = NULL;
	enum ods_status		 st;
	enum ods_err		 er;
	uint64_t		 off = 0, len = ODS_OBJ_ALL;

	if ((st = gate(r, w, "GET", &key)) != 0)
		return st;
	if ((g.ranged = range_parse(ods_req_header(r, "Range"), &off,
	    &len)) < 0)
		return ods_resp_error(w, ODS_EINVAL, "bad Range header");
	er = ods_obj_get(ods_req_obj(r), key, off, len, &sink);
	if (ods_resp_committed(w))
		return (enum ods_status)ods_resp_status(w);
	if (er == ODS_EINVAL)
		return ods_resp_error(w, er, "the range is past the object's "
		    "end");
	return ods_resp_error(w, er, er == ODS_ENOTFOUND ? "no such object" :
	    NULL);
}

/* The request body as an object store reader. */
struct body_reader {
	struct ods_req	*r;
	enum ods_err	 er;
};

static long
body_read(void *arg, char *buf, size_t n)
{
	struct body_reader	*b = arg;
	size_t			 got;

	if ((b->er = ods_req_read(b->r, buf, n, &got)) != ODS_OK)
		return -1;
	return (long)got;
}

static enum ods_status
put_done(struct ods_resp *w, const struct ods_obj_info *in)
{
	struct ods_jw	*jw;

	jw = ods_resp_envelope(w, ODS_HTTP_201, NULL);
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "key", in->key);
	ods_jw_kint(jw, "size", (int64_t)in->size);
	ods_jw_kstr(jw, "sha256", in->sha256);
	ods_jw_kstr(jw, "content_type", in->ctype);
	ods_jw_end(jw);
	return ods_resp_send(w);
}

enum ods_status
h_store_put(struct ods_req *r, struct ods_resp *w)
{
	struct body_reader	 b = { r, ODS_OK };
	struct ods_obj_info	 in;
	const char		*key = NULL, *ctype, *sha;
	enum ods_status		 st;
	enum ods_err		 er;

	if ((st = gate(r, w, "PUT", &key)) != 0)
		return st;
	ctype = ods_req_header(r, "Content-Type");
	sha = ods_req_header(r, "X-Content-SHA256");
	er = ods_obj_put(ods_req_obj(r), key, ctype, sha != NULL &&
	    *sha != '\0' ? sha : NULL, ods_req_body_max(r), body_read, &b,
	    &in);
	if (er == ODS_OK)
		return put_done(w, &in);
	if (b.er != ODS_OK)
		er = b.er;	/* the client's side: 413 or gone */
	if (er == ODS_ECORRUPT)
		return ods_resp_error_ex(w, ODS_EINVAL, ODS_C_INVALID_FIELD,
		    "checksum_mismatch", "the body does not match "
		    "X-Content-SHA256");
	if (er == ODS_EINVAL)
		return ods_resp_error(w, er, "bad Content-Type or "
		    "X-Content-SHA256");
	return ods_resp_error(w, er, NULL);
}
