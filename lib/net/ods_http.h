/*
 * lib/net/ods_http.h — an HTTP client for upstream services (libcurl inside).
 *
 * One reusable transfer handle per thread: keep-alive connections to an
 * upstream survive between requests of the same thread (no handshake per
 * call), and a transfer aborted half way closes its connection so it is
 * never reused in an unknown state. Every call has a connect timeout, a
 * first-byte timeout (time until the response headers), an idle timeout
 * (no byte for that long once the body flows) and a total deadline; the
 * body kept in memory is capped. TLS peers are verified, redirects are not
 * followed, only http and https URLs are accepted.
 */
#ifndef ODS_HTTP_H
#define ODS_HTTP_H

#include <stddef.h>

#include "core/ods_err.h"
#include "core/ods_mem.h"

#define ODS_HTTP_MAX_HEADERS	12

/* Timeouts in milliseconds; 0 means "none" except for connect (3000). */
struct ods_http_limits {
	int	connect_ms;
	int	first_byte_ms;	/* request sent -> response headers */
	int	idle_ms;	/* longest silence once the body flows */
	int	total_ms;	/* whole transfer */
	size_t	max_body;	/* kept body (no on_data); 0: 64 MiB */
	int	insecure;	/* 1: do not verify TLS (tests only) */
};

/*
 * One request. body may be NULL (GET). headers are "Name: value" lines.
 * With on_data set the body is handed over as it arrives instead of being
 * kept: on_head runs once before the first piece with the status and
 * content type; returning non-zero from either aborts the transfer (the
 * result is then ODS_EIO and aborted is set). should_stop (may be NULL)
 * is polled while waiting; non-zero aborts the same way. on_header (may
 * be NULL) sees each header line of the final response ("Name: value",
 * without CR LF); non-zero aborts.
 *
 * aws_sigv4 ("aws:amz:REGION:s3") with userpwd ("ACCESS:SECRET") signs the
 * request with libcurl's AWS Signature V4; the caller sends the payload
 * hash itself (x-amz-content-sha256) and a path already encoded the way
 * the canonical request wants it: path_as_is keeps "/../" and "/./" as
 * they are (an S3 key may hold them). Method "HEAD" asks for no body.
 *
 * pin ("HOST:PORT:ADDRESS", may be NULL) connects to that address for
 * HOST:PORT instead of looking the name up: an address checked by the
 * caller's policy (net/ods_addr.h) is the one reached.
 */
struct ods_http_req {
	const char	*method;		/* "GET", "POST" */
	const char	*url;
	const char	*headers[ODS_HTTP_MAX_HEADERS];
	size_t		 nheaders;
	const char	*body;
	size_t		 body_len;
	struct ods_http_limits limits;
	int		(*on_head)(void *arg, int status, const char *ctype);
	int		(*on_data)(void *arg, const char *, size_t);
	int		(*should_stop)(void *arg);
	int		(*on_header)(void *arg, const char *, size_t);
	void		*arg;
	const char	*aws_sigv4;
	const char	*userpwd;		/* a secret: never logged */
	int		 path_as_is;
	/*
	 * "HOST:PORT:ADDR" (ods_addr_pin; may be NULL): connect to ADDR
	 * instead of resolving the URL's host again, which keeps its name
	 * for Host and TLS. For callers that checked the address against
	 * a policy: a second lookup could give another one (DNS rebinding).
	 */
	const char	*pin;
};

struct ods_http_resp {
	int		 status;		/* 0: no response */
	char		 ctype[128];		/* "" when absent */
	struct ods_buf	 body;			/* without on_data */
	double		 first_byte_s;		/* headers received */
	double		 total_s;
	int		 aborted;		/* on_* or should_stop said so */
	int		 got_body;		/* any body byte arrived */
};

/*
 * Global libcurl set-up; call once in the process before threads start
 * (ods_http_do also does it, once, under a lock).
 */
void		 ods_http_global_init(void);

/*
 * Perform req on the calling thread's handle. resp is initialised here;
 * release it with ods_http_resp_fini. Returns ODS_OK whenever an HTTP
 * response arrived (any status: look at resp->status), ODS_EUNAVAIL (could
 * not resolve or connect), ODS_ETIMEOUT (a timeout fired), ODS_ETOOBIG
 * (kept body over max_body), ODS_EIO (aborted by a callback), ODS_EINVAL
 * (bad URL or method), ODS_EUPSTREAM (connection reset, bad HTTP, TLS
 * failure), ODS_ENOMEM.
 */
enum ods_err	 ods_http_do(const struct ods_http_req *,
		    struct ods_http_resp *) ODS_MUSTCHECK;
void		 ods_http_resp_fini(struct ods_http_resp *);

/* Drop the calling thread's handle and its connections (tests). */
void		 ods_http_thread_reset(void);

#endif /* ODS_HTTP_H */
