/*
 * lib/store/ods_obj.h — the object store: a directory (the default) or an
 * S3-compatible bucket (MinIO, AWS, ...), behind one interface.
 *
 * Objects are named by keys of 1 to ODS_OBJ_KEY_MAX bytes: no NUL or
 * control character, no leading '/', no ".." segment that climbs above
 * the root ("a/../b" is a key like any other; "../b" and "a/../../b" are
 * refused). Spaces, '%', and UTF-8 round-trip exactly on both backends;
 * no key ever names a file outside the store's directory or an object
 * outside its bucket. Every object records its size, SHA-256 and content
 * type (S3: x-amz-meta-sha256 and Content-Type; directory: a header in
 * the object's file, written with it in one rename).
 *
 * Bodies stream: put pulls from a reader and get pushes to a sink, so a
 * large object never sits in memory (S3: a multipart upload in parts of
 * ODS_S3_PART_BYTES above that size, aborted on any failure; directory: a
 * temporary file in the target's directory, fsync, rename, fsync of the
 * directory). A reader or sink that fails stops the transfer, and the
 * object is then left as it was.
 *
 * One struct ods_obj per process (made by the worker for the pools that
 * serve objects, by odsctl); every call is thread-safe. Errors: ODS_EINVAL
 * (a bad key, range or argument), ODS_ENOTFOUND, ODS_ETOOBIG, ODS_EIO (a
 * reader or sink failed, or a local I/O error), ODS_ENOSPC (disk full),
 * ODS_ECORRUPT (the bytes stored do not match the given SHA-256),
 * ODS_EUNAVAIL / ODS_ETIMEOUT (S3 unreachable or slow), ODS_EUPSTREAM (S3
 * answered with an error), ODS_ENOMEM.
 */
#ifndef ODS_OBJ_H
#define ODS_OBJ_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/ods_err.h"

struct ods_conf;
struct ods_obj;

#define ODS_OBJ_KEY_MAX		1024
#define ODS_OBJ_CTYPE_MAX	255
#define ODS_OBJ_ALL		UINT64_MAX	/* a range to the end */
#define ODS_OBJ_LIST_MAX	1000		/* keys per list page */
#define ODS_OBJ_PRESIGN_MAX_S	604800		/* 7 days (SigV4's limit) */

/* What is known of an object. */
struct ods_obj_info {
	char		key[ODS_OBJ_KEY_MAX + 1];
	uint64_t	size;
	char		sha256[65];	/* hex; "" in S3 list pages */
	char		ctype[ODS_OBJ_CTYPE_MAX + 1]; /* "" in S3 lists */
	int64_t		mtime;		/* unix seconds */
	char		etag[80];	/* S3's, unquoted; "" for directory */
};

/* Up to n bytes into buf: the count, 0 at the end, -1 on failure. */
typedef long	(*ods_obj_reader)(void *arg, char *buf, size_t n);

/*
 * Where a get goes. begin (may be NULL) runs once before the first byte
 * with the object and the range actually sent ([off, off + len)); write
 * gets the bytes. Non-zero from either stops the transfer (ODS_EIO).
 */
struct ods_obj_sink {
	int	(*begin)(void *arg, const struct ods_obj_info *,
		    uint64_t off, uint64_t len);
	int	(*write)(void *arg, const char *, size_t);
	void	*arg;
};

/*
 * The store conf names: S3 when MINIO_ENDPOINT is set, else the directory
 * ODS_DATA_DIR/objects (created). NULL, logged, when it cannot be used.
 * Owner: caller (ods_obj_free; NULL is a no-op).
 */
struct ods_obj	*ods_obj_new(const struct ods_conf *);
void		 ods_obj_free(struct ods_obj *);
/* "directory" or "s3". */
const char	*ods_obj_backend(const struct ods_obj *);

/* ODS_OK when key is acceptable (above), else ODS_EINVAL. */
enum ods_err	 ods_obj_key_check(const char *key) ODS_MUSTCHECK;

/*
 * Store the reader's bytes as key, replacing any object of that name once
 * all arrived. ctype NULL or "" is application/octet-stream. sha256 (64
 * hex digits, may be NULL) is what the caller expects: a mismatch is
 * ODS_ECORRUPT and nothing is stored. max: the most bytes accepted
 * (ODS_ETOOBIG past it; 0: no limit). out (may be NULL) receives the
 * stored object's info.
 */
enum ods_err	 ods_obj_put(struct ods_obj *, const char *key,
		    const char *ctype, const char *sha256, uint64_t max,
		    ods_obj_reader, void *arg, struct ods_obj_info *out)
		    ODS_MUSTCHECK;
/* The same from memory. */
enum ods_err	 ods_obj_put_mem(struct ods_obj *, const char *key,
		    const char *ctype, const void *, size_t,
		    struct ods_obj_info *out) ODS_MUSTCHECK;

/*
 * Send [off, off + len) of key to the sink; len ODS_OBJ_ALL (or past the
 * end) means to the end. An offset at or past the end of a non-empty
 * object is ODS_EINVAL (HTTP's 416).
 */
enum ods_err	 ods_obj_get(struct ods_obj *, const char *key, uint64_t off,
		    uint64_t len, const struct ods_obj_sink *) ODS_MUSTCHECK;

/*
 * All of key to the sink, its bytes checked against the SHA-256 recorded
 * with it as they go (hashed on a thread of its own, beside the transfer):
 * ODS_ECORRUPT once the last byte was sent when they differ, so the sink
 * must hold what it got until ODS_OK (a temporary file, renamed at the
 * end). An object without a recorded SHA-256 (an S3 object another client
 * wrote) is sent unchecked. out (may be NULL) receives the object's info.
 */
enum ods_err	 ods_obj_get_checked(struct ods_obj *, const char *key,
		    const struct ods_obj_sink *, struct ods_obj_info *out)
		    ODS_MUSTCHECK;

/* The object's info, or ODS_ENOTFOUND. */
enum ods_err	 ods_obj_head(struct ods_obj *, const char *key,
		    struct ods_obj_info *) ODS_MUSTCHECK;

/* Remove key; ODS_OK also when there was none (as S3 does). */
enum ods_err	 ods_obj_delete(struct ods_obj *, const char *key)
		    ODS_MUSTCHECK;

/* Copy src to dst, content type and SHA-256 included. */
enum ods_err	 ods_obj_copy(struct ods_obj *, const char *src,
		    const char *dst) ODS_MUSTCHECK;

/*
 * One page of the keys starting with prefix ("" for all), in byte order,
 * at most max_keys (1..ODS_OBJ_LIST_MAX; 0 means the maximum). token is
 * NULL for the first page, then the previous page's next. Release with
 * ods_obj_list_fini.
 */
struct ods_obj_list {
	struct ods_obj_info	*items;
	size_t			 n;
	char			*next;		/* NULL on the last page */
};
enum ods_err	 ods_obj_list(struct ods_obj *, const char *prefix,
		    const char *token, size_t max_keys, struct ods_obj_list *)
		    ODS_MUSTCHECK;
void		 ods_obj_list_fini(struct ods_obj_list *);

/*
 * A URL that lets its holder GET or PUT (method) key without any other
 * credential until now + expires_s (1..ODS_OBJ_PRESIGN_MAX_S). S3: a
 * query-string SigV4 URL of the bucket. Directory: our own route
 * ODS_OBJ_ROUTE on ODS_STORE_PUBLIC_URL (a relative URL without it),
 * carrying an HMAC-SHA256 and the expiry (ods_obj_route_check). *url is
 * malloc'ed (caller frees). An object stored through an S3 presigned PUT
 * has no recorded SHA-256 (S3 computes none, and the client adds no
 * x-amz-meta-sha256): head and list give sha256 "", and
 * ods_obj_get_checked sends it unchecked.
 */
enum ods_err	 ods_obj_presign(struct ods_obj *, const char *method,
		    const char *key, int expires_s, time_t now, char **url)
		    ODS_MUSTCHECK;

/* The route the directory backend's URLs name (both API pools serve it). */
#define ODS_OBJ_ROUTE		"/api/v1/store/presigned"

/*
 * The presigned route's check of its query (key, expires, sig) for method
 * ("GET" for GET and HEAD, "PUT"): ODS_OK, ODS_EFORBIDDEN when the
 * signature is wrong or the time is past expires, ODS_EINVAL when a
 * parameter is missing or malformed. Works on either backend.
 */
enum ods_err	 ods_obj_route_check(struct ods_obj *, const char *method,
		    const char *key, const char *expires, const char *sig,
		    time_t now) ODS_MUSTCHECK;
/* The route URL for method and key (what presign gives on a directory). */
enum ods_err	 ods_obj_route_url(struct ods_obj *, const char *method,
		    const char *key, int expires_s, time_t now, char **url)
		    ODS_MUSTCHECK;

/*
 * Readiness: is the store usable (directory writable, bucket answers
 * within timeout_ms)? *ms is how long the check took.
 */
enum ods_err	 ods_obj_check(struct ods_obj *, int timeout_ms, double *ms)
		    ODS_MUSTCHECK;

#endif /* ODS_OBJ_H */
