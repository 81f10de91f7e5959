/* lib/net/ods_req.h — one HTTP request and its response, as handlers see them. */
#ifndef ODS_REQ_H
#define ODS_REQ_H

#include <stddef.h>
#include <stdint.h>

#include "core/ods_err.h"

struct json_object;
struct ods_arena;
struct ods_auth;
struct ods_metrics;
struct ods_obj;
struct ods_principal;
struct ods_conf;
struct ods_jw;
struct ods_why;

enum ods_method {
	ODS_GET = 0, ODS_HEAD, ODS_POST, ODS_PUT, ODS_PATCH, ODS_DELETE,
	ODS_OPTIONS, ODS_METHOD_OTHER
};

/* A handler returns the HTTP status it answered with. */
enum ods_status {
	ODS_HTTP_200 = 200, ODS_HTTP_201 = 201, ODS_HTTP_202 = 202,
	ODS_HTTP_204 = 204, ODS_HTTP_206 = 206, ODS_HTTP_400 = 400, ODS_HTTP_401 = 401,
	ODS_HTTP_403 = 403, ODS_HTTP_404 = 404, ODS_HTTP_405 = 405,
	ODS_HTTP_409 = 409, ODS_HTTP_413 = 413, ODS_HTTP_429 = 429,
	ODS_HTTP_500 = 500, ODS_HTTP_502 = 502, ODS_HTTP_503 = 503,
	ODS_HTTP_504 = 504
};

struct ods_req;
struct ods_resp;

/* Where a request comes from: FastCGI in production, memory in tests. */
struct ods_req_io {
	/* Read up to n body bytes; 0 at the end, -1 on error. */
	long	(*read)(void *ctx, char *buf, size_t n);
	/* Write n bytes of the response (headers included); -1 on error. */
	int	(*write)(void *ctx, const char *buf, size_t n);
	/* Push what was written to the client now; -1 on error. */
	int	(*flush)(void *ctx);
	void	*ctx;
	/*
	 * 1 when the client is known to be gone (its connection closed),
	 * without blocking; NULL: never known before a write fails.
	 */
	int	(*gone)(void *ctx);
};

/*
 * A path alias: a raw path that is from, or begins with from then '/',
 * is served as to followed by the rest, and no prefix is stripped. It
 * lets a path under a service's longest prefix reach a route that the
 * prefix would hide (the agent pool strips /api/v1/agent, so the
 * reference's /api/v1/agent/templates would land on /templates): list
 * them in a table ending with a NULL from.
 */
struct ods_path_alias {
	const char	*from;		/* "/api/v1/agent/templates" */
	const char	*to;		/* "/agent/templates" */
};

/* The first alias of v matching path on a segment boundary, or NULL. */
const struct ods_path_alias *ods_path_alias_find(const struct ods_path_alias *v,
		    const char *path);

/* Services a handler may use, owned by the worker (any may be NULL). */
struct ods_req_env {
	const struct ods_conf	*conf;
	struct ods_db		*db;
	struct ods_redis	*redis;
	struct ods_obj		*obj;		/* object store, or NULL */
	struct ods_auth		*auth;		/* NULL: routes are open */
	struct ods_metrics	*metrics;	/* the pool's registry */
	const char		*service;	/* "data-api" */
	const char		*version;
	const char *const	*prefixes;	/* stripped from the path */
	const struct ods_path_alias *aliases;	/* before prefixes, or NULL */
	volatile int		*draining;	/* non-zero: readiness is 503 */
	int			 openai_errors;	/* /v1/ errors in OpenAI shape */
	void			*ctx;		/* the service's (init hook) */
	/*
	 * Called before /metrics renders (may be NULL): a service sets the
	 * gauges whose truth is in the database (data_quality_score).
	 */
	void			(*scrape)(const struct ods_req_env *,
				    void *ctx);
};

/*
 * Build a request from CGI-style "NAME=value" parameters (FCGX envp), with
 * every allocation in arena. Returns NULL only when out of memory.
 */
struct ods_req	*ods_req_new(struct ods_arena *, char **params,
		    const struct ods_req_io *, const struct ods_req_env *);

enum ods_method	 ods_req_method(const struct ods_req *);
const char	*ods_req_method_name(const struct ods_req *);
const char	*ods_method_name(enum ods_method);
/* Path inside the service (prefix stripped, no query), e.g. "/health". */
const char	*ods_req_path(const struct ods_req *);
/* The path as nginx sent it, before any prefix was stripped. */
const char	*ods_req_raw_path(const struct ods_req *);
/* Request id: X-Request-ID if sane, else nginx $request_id, else new. */
const char	*ods_req_id(const struct ods_req *);
const char	*ods_req_remote_addr(const struct ods_req *);
const struct ods_req_env *ods_req_env(const struct ods_req *);
/*
 * The most body bytes ods_req_body will read (the route's cap, set by the
 * worker before the handler runs); more is ODS_ETOOBIG.
 */
void		 ods_req_set_body_max(struct ods_req *, size_t);
size_t		 ods_req_body_max(const struct ods_req *);
/* The service's context, made by its init hook (NULL without one). */
void		*ods_req_ctx(const struct ods_req *);

/*
 * 1 when the client went away (nginx closed the connection), asked
 * without blocking: for long calls that write nothing for a while (an
 * upstream's silence) and should stop at once.
 */
int		 ods_req_client_gone(const struct ods_req *);

/* Header by name, case-insensitive ("Authorization"); NULL if absent. */
const char	*ods_req_header(const struct ods_req *, const char *name);
const char	*ods_req_cookie(struct ods_req *, const char *name);
/* Decoded query parameter, or NULL. */
const char	*ods_req_query(struct ods_req *, const char *name);
/* Path parameter captured by the route ("{id}"), or NULL. */
const char	*ods_req_param(const struct ods_req *, const char *name);
enum ods_err	 ods_req_param_set(struct ods_req *, const char *name,
		    const char *value) ODS_MUSTCHECK;

/*
 * Integer query parameter: absent gives def; present but not an integer
 * in [min, max] gives ODS_EINVAL.
 */
enum ods_err	 ods_req_query_int(struct ods_req *, const char *name,
		    int64_t def, int64_t min, int64_t max, int64_t *out)
		    ODS_MUSTCHECK;

/* Pagination (reference-api §11.3): page/page_size, or limit. */
struct ods_page {
	int64_t	page;		/* 1-based */
	int64_t	page_size;	/* clamped to 1..1000 */
	int64_t	offset;
};
enum ods_err	 ods_req_page(struct ods_req *, int64_t default_size,
		    struct ods_page *) ODS_MUSTCHECK;
/* The 400 for paging that ods_req_page refused. */
enum ods_status	 ods_resp_bad_page(struct ods_resp *);

/*
 * The whole body, read once and capped at the configured maximum:
 * ODS_ETOOBIG past it (or when Content-Length already says so), ODS_EIO
 * when the client went away. *data is NUL-terminated and lives in the
 * request arena.
 */
enum ods_err	 ods_req_body(struct ods_req *, const char **data,
		    size_t *len) ODS_MUSTCHECK;
/*
 * The body in pieces, for handlers that stream an upload rather than hold
 * it: up to n bytes into buf, *got 0 at the end. The route's cap holds as
 * for ods_req_body (ODS_ETOOBIG once more than that was sent, or when
 * Content-Length already says so); ODS_EIO when the client went away.
 * A request's body is read one way: after ods_req_body, or after an
 * error, this returns that result again.
 */
enum ods_err	 ods_req_read(struct ods_req *, char *buf, size_t n,
		    size_t *got) ODS_MUSTCHECK;
/* The body's announced length (Content-Length), -1 when absent. */
int64_t		 ods_req_content_length(const struct ods_req *);
/*
 * The body as a JSON object (new reference, released with the request).
 * ODS_EINVAL with the reason in e, ODS_ETOOBIG, or ODS_EIO.
 */
enum ods_err	 ods_req_json(struct ods_req *, struct json_object **,
		    struct ods_why *e) ODS_MUSTCHECK;

void		*ods_req_alloc(struct ods_req *, size_t);	/* zeroed */
char		*ods_req_strdup(struct ods_req *, const char *);
struct ods_arena *ods_req_arena(struct ods_req *);
enum ods_err	 ods_req_defer(struct ods_req *, void (*)(void *), void *)
		    ODS_MUSTCHECK;

/* Who is calling, once authentication ran; NULL for anonymous. */
const struct ods_principal *ods_req_principal(const struct ods_req *);
void		 ods_req_set_principal(struct ods_req *,
		    const struct ods_principal *);

struct ods_db	*ods_req_db(const struct ods_req *);
/* The pool's object store; NULL in a pool without one. */
struct ods_obj	*ods_req_obj(const struct ods_req *);
struct ods_redis *ods_req_redis(const struct ods_req *);
const struct ods_conf *ods_req_conf(const struct ods_req *);

/* ---- response ---- */

struct ods_resp	*ods_resp_new(struct ods_req *);
/* Status written (0 before anything was sent) and body bytes. */
int		 ods_resp_status(const struct ods_resp *);
size_t		 ods_resp_bytes(const struct ods_resp *);
int		 ods_resp_committed(const struct ods_resp *);

/* Add a header; names and values with CR, LF or NUL are refused. */
enum ods_err	 ods_resp_header(struct ods_resp *, const char *name,
		    const char *value);

/*
 * Success envelope: writes {"code":0,"message":msg,"request_id":..,
 * "data": and returns the writer expecting the data value. After that
 * value the writer is at the top level: more keys may follow. Finish
 * with ods_resp_send(). msg NULL means "success".
 */
struct ods_jw	*ods_resp_envelope(struct ods_resp *, enum ods_status,
		    const char *msg);
/* A JSON body written freely (OpenAI shapes); finish with send. */
struct ods_jw	*ods_resp_json(struct ods_resp *, enum ods_status);
/* Send what the writer holds; returns the status sent. */
enum ods_status	 ods_resp_send(struct ods_resp *);

/*
 * An error answer, the one thing both error shapes are built from. On
 * /api/v1 routes: the envelope {"code":code,"message":msg,"error":slug,
 * "field":..,<extra>,"request_id":..}; on /v1 routes of a service with
 * openai_errors: {"error":{"message","type","param","code"}} where type
 * follows the status and code is openai_code (or slug). The status is
 * ods_err_http(err), the one map. Defaults: code ods_err_code(err), slug
 * ods_err_slug(err), msg ods_strerror(err); field "" leaves it out; extra
 * (may be NULL) adds members to the envelope (required, roles, details).
 */
struct ods_error {
	enum ods_err	 err;
	enum ods_code	 code;
	const char	*slug;
	const char	*msg;
	char		 field[64];
	const char	*openai_code;
	void		(*extra)(struct ods_jw *, const void *arg);
	const void	*extra_arg;
};

/* Send e; returns the status sent (nothing when already committed). */
enum ods_status	 ods_resp_fail(struct ods_resp *, const struct ods_error *);
/* Shorthands: the error's defaults, or a named code and slug. */
enum ods_status	 ods_resp_error(struct ods_resp *, enum ods_err,
		    const char *msg);
enum ods_status	 ods_resp_error_ex(struct ods_resp *, enum ods_err,
		    enum ods_code, const char *slug, const char *msg);
/*
 * The answer to a failed ods_req_json or field check: 400 naming the
 * field for ODS_EINVAL, otherwise the error's own status (413 for a body
 * over the route's cap) with why's message.
 */
enum ods_status	 ods_resp_input_error(struct ods_resp *, enum ods_err,
		    const struct ods_why *);
/* 400/ODS_C_INVALID_FIELD naming the field of a JSON validation error. */
enum ods_status	 ods_resp_json_error(struct ods_resp *,
		    const struct ods_why *);
/*
 * The OpenAI error body, written only here: {"error":{"message","type",
 * "param","code"}} with the given status; type NULL follows the status
 * (authentication_error, permission_error, ..., api_error).
 */
enum ods_status	 ods_resp_openai_error(struct ods_resp *, int status,
		    const char *type, const char *code, const char *param,
		    const char *msg);
/* Any bytes with a content type (metrics text, passthrough bodies). */
enum ods_status	 ods_resp_raw(struct ods_resp *, enum ods_status,
		    const char *content_type, const char *, size_t);

/*
 * Streaming (SSE): send the headers now with Cache-Control no-cache and
 * X-Accel-Buffering no, then each ods_resp_stream_write() is flushed to
 * the client at once. ODS_EIO means the client went away.
 */
enum ods_err	 ods_resp_stream_begin(struct ods_resp *, enum ods_status,
		    const char *content_type) ODS_MUSTCHECK;
enum ods_err	 ods_resp_stream_write(struct ods_resp *, const char *,
		    size_t) ODS_MUSTCHECK;

/*
 * A body of known length sent in pieces (an object download): the headers
 * (with Content-Length: length) now, then ods_resp_write for the bytes,
 * which must add up to length. Headers added before stay. On HEAD nothing
 * but the headers is sent. ODS_EIO means the client went away.
 */
enum ods_err	 ods_resp_begin(struct ods_resp *, enum ods_status,
		    const char *content_type, uint64_t length) ODS_MUSTCHECK;
enum ods_err	 ods_resp_write(struct ods_resp *, const char *, size_t)
		    ODS_MUSTCHECK;

/* Pagination numbers as keys of the current object. */
void		 ods_jw_page(struct ods_jw *, const struct ods_page *,
		    int64_t total);
/*
 * One page of a list in the union shape of reference-api §11.3:
 * ods_resp_list_begin opens the envelope (200), its data object and the
 * items array under key; the caller writes the items, closes the array
 * (ods_jw_end) and may add keys to data; ods_resp_list_end writes the page
 * numbers in data, closes it and writes them again at the top level.
 * Then ods_resp_send.
 */
struct ods_jw	*ods_resp_list_begin(struct ods_resp *, const char *key);
void		 ods_resp_list_end(struct ods_jw *, const struct ods_page *,
		    int64_t total);

/*
 * A route: one row of a service's table (nginx ngx_command_t). Defined
 * here, beside the request, because the auth layer reads it (mode,
 * permission, template) below the router that matches it.
 */
/* Who may call a route; checked before the handler runs. */
enum ods_auth_mode {
	ODS_AUTH_OPEN = 0,	/* no token looked at */
	ODS_AUTH_OPTIONAL,	/* a valid token gives a principal */
	ODS_AUTH_REQUIRED,	/* 401 without a valid token */
	/*
	 * A valid JWT (held to the route's perm), or an API key scoped to
	 * the app named by the {id} path parameter (no perm: the app is its
	 * scope). A key of another app or a key of no app: 403. Everywhere
	 * else an app's key is refused (403).
	 */
	ODS_AUTH_APP
};

typedef enum ods_status (*ods_handler)(struct ods_req *, struct ods_resp *);

struct ods_route {
	enum ods_method		 method;
	const char		*pattern;	/* "/datasets/{id}" */
	ods_handler		 handler;
	enum ods_auth_mode	 auth;
	const char		*perm;		/* "dataset:read" or NULL */
	/*
	 * The largest body this route reads; 0: ODS_MAX_JSON_BYTES (a JSON
	 * route). Others name theirs, never above ODS_MAX_BODY_BYTES, or
	 * ODS_BODY_UPLOAD: ODS_MAX_UPLOAD_BYTES, for a route that streams its
	 * body (ods_req_read, ods_multipart_read) rather than holding it (a
	 * buffered body still stops at ODS_MAX_BODY_BYTES). nginx's
	 * client_max_body_size of the location must match
	 * (nginx/ods-servers.conf.template, upload locations).
	 */
	size_t			 max_body;
};

/* max_body of an upload route. */
#define ODS_BODY_UPLOAD	((size_t)-1)

#endif /* ODS_REQ_H */
