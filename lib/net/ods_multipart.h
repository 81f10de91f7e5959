/* lib/net/ods_multipart.h — streaming multipart/form-data (RFC 7578, RFC 2046). */
#ifndef ODS_MULTIPART_H
#define ODS_MULTIPART_H

#include <stddef.h>
#include <stdint.h>

#include "core/ods_err.h"

/*
 * A push parser: the body is fed in chunks of any size (a delimiter may be
 * split at any byte) and parts come out as callbacks: begin (the part's
 * headers, parsed), data (the part's bytes as they arrive, never a whole
 * part held), end. Memory is fixed at creation (about three times
 * max_header_bytes), whatever the body's size.
 *
 * What it accepts: the boundary of the Content-Type (quoted or not, 1..70
 * characters of RFC 2046's bchars, not ending in a space); a preamble and
 * an epilogue, ignored; delimiter lines "--boundary" with optional
 * trailing spaces or tabs; every part with a "Content-Disposition:
 * form-data; name=..." header. CRLF line ends are required: a bare LF in
 * a part's headers is an error (it never occurs in what browsers, curl or
 * the HTTP libraries send, and guessing makes delimiters ambiguous).
 * Nested multipart/mixed parts are passed through as data with their
 * content type. Every violation is ODS_EINVAL (400) with a message naming
 * the part and the problem; a body that ends before its closing delimiter
 * is ODS_EINVAL too.
 */

#define ODS_MULTIPART_BOUNDARY_MAX	70

struct ods_multipart;
struct ods_req;

#define ODS_MULTIPART_MAX_PARTS		1000
#define ODS_MULTIPART_MAX_HEADER_BYTES	8192
#define ODS_MULTIPART_MAX_HEADER_LINES	32
#define ODS_MULTIPART_MAX_FIELD_BYTES	65536
#define ODS_MULTIPART_MAX_FIELDS	128
#define ODS_MULTIPART_MAX_FIELDS_TOTAL	(1u << 20)

/* Limits; a zero field takes the default, ODS_MULTIPART_<NAME>. */
struct ods_multipart_limits {
	size_t	max_parts;
	size_t	max_header_bytes;	/* per part, CRLFs included */
	size_t	max_header_lines;	/* per part */
	/* ods_multipart_read only: the non-file fields it collects. */
	size_t	max_field_bytes;	/* each */
	size_t	max_fields;
	size_t	max_fields_total;	/* all the values together */
};

/*
 * One part, valid from its begin callback to the return of its end
 * callback (copy what you keep). Strings are NUL-terminated.
 */
struct ods_multipart_part {
	size_t		 index;		/* 0-based */
	const char	*name;		/* the form field */
	/*
	 * The client's file name, for display (NULL: not a file; "" a file
	 * input left empty). filename*= (RFC 5987, UTF-8 or ISO-8859-1,
	 * converted to UTF-8) wins over filename=. Never used as a path:
	 * see ods_multipart_safe_name.
	 */
	const char	*filename;
	const char	*content_type;	/* "text/plain" when absent */
	const char	*headers;	/* the raw header lines, CRLF ended */
	size_t		 headers_len;
};

/*
 * The callbacks; any may be NULL. A callback that fails stops the parser
 * with its error (and why's message, or one naming the part); after an
 * error no callback is made again.
 */
struct ods_multipart_cb {
	enum ods_err	(*begin)(void *arg, const struct ods_multipart_part *,
			    struct ods_why *);
	enum ods_err	(*data)(void *arg, const struct ods_multipart_part *,
			    const char *, size_t, struct ods_why *);
	enum ods_err	(*end)(void *arg, const struct ods_multipart_part *,
			    struct ods_why *);
	void		*arg;
};

/*
 * The boundary of a "multipart/form-data; boundary=..." Content-Type into
 * out (ODS_MULTIPART_BOUNDARY_MAX + 1 bytes). ODS_EINVAL, with the reason
 * in why, for another media type or a missing or invalid boundary.
 */
enum ods_err	 ods_multipart_boundary(const char *content_type, char *out,
		    struct ods_why *) ODS_MUSTCHECK;

/*
 * A parser for a body of the given Content-Type; limits NULL: defaults.
 * cb is copied. NULL with the reason in why (ODS_EINVAL) when the content
 * type has no valid boundary, or out of memory. Free with
 * ods_multipart_free (NULL is a no-op).
 */
struct ods_multipart *ods_multipart_new(const char *content_type,
		    const struct ods_multipart_limits *,
		    const struct ods_multipart_cb *, struct ods_why *);
void		 ods_multipart_free(struct ods_multipart *);

/*
 * Feed the next n bytes of the body. ODS_OK, ODS_EINVAL (malformed; why
 * names the problem), or a callback's error. Once failed, every later
 * call returns the same error and makes no callback.
 */
enum ods_err	 ods_multipart_feed(struct ods_multipart *, const char *,
		    size_t, struct ods_why *) ODS_MUSTCHECK;
/* The body ended: ODS_EINVAL unless the closing delimiter was seen. */
enum ods_err	 ods_multipart_finish(struct ods_multipart *,
		    struct ods_why *) ODS_MUSTCHECK;
/* Whether the closing delimiter was seen (the rest is the epilogue). */
int		 ods_multipart_done(const struct ods_multipart *);

/*
 * A file name fit for an object key or a path component, into out (size
 * n, at least 2): the last component of name (after any '/' or '\'),
 * without control characters, DEL, NUL, leading dots or spaces and
 * trailing dots or spaces, cut at a UTF-8 character boundary to n - 1
 * bytes; "." and ".." and what ends up empty become "file". Always
 * NUL-terminates; returns out.
 */
char		*ods_multipart_safe_name(const char *name, char *out,
		    size_t n);

/* ---- reading a request's body (ods_multipart_read.c) ---- */

/*
 * Where file parts go (the object store's put-from-stream plugs in here):
 * open when a part with a filename begins (*file is the sink's handle),
 * write for each chunk, close when the part ended well. abort discards
 * an opened file when anything fails after open (a later chunk, the
 * parser, the client); it cannot fail. NULL open: a file part is refused
 * (ODS_EINVAL, "unexpected file").
 */
struct ods_multipart_sink {
	enum ods_err	(*open)(void *arg, const struct ods_multipart_part *,
			    void **file, struct ods_why *);
	enum ods_err	(*write)(void *arg, void *file, const char *, size_t,
			    struct ods_why *);
	enum ods_err	(*close)(void *arg, void *file, struct ods_why *);
	void		(*abort)(void *arg, void *file);
	void		*arg;
};

/* A non-file field, collected in the request arena. */
struct ods_multipart_field {
	const char	*name;
	const char	*value;		/* NUL-terminated; may hold NULs */
	size_t		 len;
	const char	*content_type;
};

struct ods_multipart_form {
	struct ods_multipart_field	*fields;	/* in body order */
	size_t				 nfields;
	size_t				 nfiles;	/* parts given to the sink */
};

/*
 * In a handler of an upload route (max_body ODS_BODY_UPLOAD):
 *
 *	er = ods_multipart_read(r, &sink, NULL, &form, &why);
 *	if (er != ODS_OK)
 *		return ods_resp_input_error(w, er, &why);
 *	f = ods_multipart_field(&form, "title");
 *
 * Read the request's multipart/form-data body incrementally (at most the
 * route's cap, ODS_MAX_UPLOAD_BYTES on an upload route), hand file parts
 * to sink and collect the other fields into *form (request arena).
 * Returns ODS_OK, ODS_EINVAL (not multipart, malformed, truncated: why
 * names the problem; answer with ods_resp_input_error), ODS_ETOOBIG
 * (the body or a field over its cap), ODS_EIO (the client went away), or
 * the sink's error. On any failure an open file was aborted.
 */
enum ods_err	 ods_multipart_read(struct ods_req *,
		    const struct ods_multipart_sink *,
		    const struct ods_multipart_limits *,
		    struct ods_multipart_form *, struct ods_why *)
		    ODS_MUSTCHECK;

/* The first field of that name, or NULL. */
const struct ods_multipart_field *ods_multipart_field(
		    const struct ods_multipart_form *, const char *name);

/* ---- one file part spooled to a temporary file (ods_multipart_spool.c) */

#define ODS_SPOOL_HEAD	512	/* first bytes kept (format sniffing) */

/*
 * A sink taking one file part, in the field "file", into a temporary
 * file (another file part is a 400 naming its field): its safe file name
 * (default_name when the part has none), content type, size, first
 * ODS_SPOOL_HEAD bytes and, when hash was asked, its SHA-256 (sum, hex,
 * once the part ended); tap, when set, sees every piece as well (a row
 * counter...). Upload handlers read the body into it, then store the
 * file (ods_multipart_spool_rewind and ods_multipart_spool_read as the
 * object store's reader) and drop it.
 */
struct ods_sha256;
struct ods_multipart_spool {
	char		 path[4096];
	int		 fd;		/* -1 until a file part opened */
	int		 nfiles;
	char		 name[256];
	char		 ctype[128];
	uint64_t	 size;
	char		 head[ODS_SPOOL_HEAD];
	size_t		 headlen;
	char		 sum[65];
	int		 hash;
	struct ods_sha256 *sha;
	const char	*default_name;
	void		(*tap)(void *arg, const char *, size_t);
	void		*tap_arg;
};

/*
 * Ready s for a file made in dir (created 0700 when missing) as
 * "<prefix>-XXXXXX". Nothing is created before a file part arrives.
 */
void		 ods_multipart_spool_init(struct ods_multipart_spool *,
		    const char *dir, const char *prefix,
		    const char *default_name, int hash);
/* The sink that writes into s. */
struct ods_multipart_sink ods_multipart_spool_sink(
		    struct ods_multipart_spool *);
/* Back to the file's start for reading: ODS_OK or ODS_EIO. */
enum ods_err	 ods_multipart_spool_rewind(struct ods_multipart_spool *)
		    ODS_MUSTCHECK;
/* A reader of the spooled file (arg: the spool): bytes, 0 at its end, -1. */
long		 ods_multipart_spool_read(void *arg, char *buf, size_t n);
/* Close and remove the file; the spool can be dropped twice. */
void		 ods_multipart_spool_drop(struct ods_multipart_spool *);

#endif /* ODS_MULTIPART_H */
