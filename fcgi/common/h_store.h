/*
 * fcgi/common/h_store.h — the object store's presigned route, shared by
 * the data and agent pools (h_store.c).
 */
#ifndef H_STORE_H
#define H_STORE_H

#include "net/ods_req.h"

/*
 * GET and PUT of one object by a URL that ods_obj_presign made (the
 * directory backend's presigned URLs; they work on S3 too). Open: the
 * signature in the query (key, expires, sig) is the credential. The PUT
 * streams its body into the store (ODS_MAX_UPLOAD_BYTES at most).
 */
#define H_STORE_ROUTES \
	{ ODS_GET, "/store/presigned", h_store_get, ODS_AUTH_OPEN, NULL }, \
	{ ODS_PUT, "/store/presigned", h_store_put, ODS_AUTH_OPEN, NULL, \
	    ODS_BODY_UPLOAD }

/*
 * The object's bytes with its Content-Type, Content-Length, ETag (its
 * SHA-256) and X-Content-SHA256; "Range: bytes=A-B" or "bytes=A-" gives
 * 206 with Content-Range. 403 when the signature is wrong or expired,
 * 400 when the query is malformed or the range unsatisfiable, 404.
 */
enum ods_status	h_store_get(struct ods_req *, struct ods_resp *);
/*
 * Store the body under the signed key with the request's Content-Type;
 * X-Content-SHA256 (optional) is checked (400 on mismatch, nothing
 * stored). 201 data:{key,size,sha256,content_type}; 403, 400, 413.
 */
enum ods_status	h_store_put(struct ods_req *, struct ods_resp *);

#endif /* H_STORE_H */
