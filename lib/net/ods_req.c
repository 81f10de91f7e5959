/* lib/net/ods_req.c — request parsing (params, query, cookies, body) and responses. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "core/ods_conf.h"
#include "core/ods_json.h"
#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "core/ods_util.h"
#include "net/ods_req.h"

#define MAX_PATH_PARAMS	8
#define MAX_RESP_BYTES	(256u << 20)	/* a buffered body past this is a bug */
#define REQID_MAX	64
#define FIXED_500	"{\"code\":50000,\"message\":\"internal error\"," \
			"\"error\":\"internal_error\"}"
#define STREAM_HDRS	"Cache-Control: no-cache\r\nX-Accel-Buffering: no\r\n"

struct kv {
	const char	*k;
	const char	*v;
};

struct kvlist {
	struct kv	*items;
	size_t		 n;
	int		 parsed;
};

struct ods_req {
	struct ods_arena		*arena;
	const struct ods_req_io		*io;
	const struct ods_req_env	*env;
	char				**params;
	enum ods_method			 method;
	const char			*method_name;
	const char			*path;
	const char			*raw_path;
	const char			*query_string;
	const char			*id;
	int64_t				 content_length;	/* -1: none */
	struct kvlist			 query;
	struct kvlist			 cookies;
	struct kv			 pparams[MAX_PATH_PARAMS];
	size_t				 npparams;
	int				 body_done;
	int				 body_streamed;	/* ods_req_read */
	uint64_t			 body_read;
	enum ods_err			 body_err;
	struct ods_buf			 body;
	struct json_object		*json;
	const struct ods_principal	*principal;
};

struct ods_resp {
	struct ods_req	*r;
	int		 status;
	int		 committed;
	int		 envelope;
	size_t		 bytes;
	const char	*ctype;
	struct ods_buf	 hdrs;
	struct ods_buf	 body;
	struct ods_jw	 jw;
};

static const char *const method_names[] = {
	"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "OTHER"
};

static const char *
param(char **params, const char *name)
{
	size_t	n = strlen(name);

	for (; params != NULL && *params != NULL; params++)
		if (strncmp(*params, name, n) == 0 && (*params)[n] == '=')
			return *params + n + 1;
	return NULL;
}

/* Percent-decode [s, s+n) into the arena; '+' is a space when plus. */
static char *
decode(struct ods_arena *a, const char *s, size_t n, int plus)
{
	char	*out, *o;
	size_t	 i;
	int	 hi, lo;

	if ((out = ods_arena_alloc(a, n + 1)) == NULL)
		return NULL;
	for (i = 0, o = out; i < n; i++) {
		if (s[i] == '%' && i + 2 < n &&
		    (hi = ods_hexval((unsigned char)s[i + 1])) >= 0 &&
		    (lo = ods_hexval((unsigned char)s[i + 2])) >= 0) {
			*o++ = (char)(hi << 4 | lo);
			i += 2;
		} else if (plus && s[i] == '+')
			*o++ = ' ';
		else
			*o++ = s[i];
	}
	*o = '\0';
	return out;
}

static enum ods_method
method_parse(const char *m)
{
	size_t	i;

	for (i = 0; i < ODS_METHOD_OTHER; i++)
		if (m != NULL && strcmp(m, method_names[i]) == 0)
			return (enum ods_method)i;
	return ODS_METHOD_OTHER;
}

static int
reqid_ok(const char *s)
{
	size_t	n;

	if (s == NULL || *s == '\0')
		return 0;
	for (n = 0; s[n] != '\0'; n++)
		if (n >= REQID_MAX || !(isalnum((unsigned char)s[n]) ||
		    strchr("-_.:", s[n]) != NULL))
			return 0;
	return 1;
}

static const char *
reqid_new(struct ods_arena *a)
{
	static _Thread_local uint64_t	 state;
	uint64_t			 x;

	if (state == 0 && getrandom(&state, sizeof(state), 0) !=
	    (ssize_t)sizeof(state))
		state = (uint64_t)(uintptr_t)&x ^ 0x9e3779b97f4a7c15ULL;
	/* xorshift64*: unique enough for correlation, not for secrets. */
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	x = state * 0x2545f4914f6cdd1dULL;
	return ods_arena_printf(a, "%016llx", (unsigned long long)x);
}

const struct ods_path_alias *
ods_path_alias_find(const struct ods_path_alias *v, const char *path)
{
	size_t	n;

	for (; v != NULL && v->from != NULL; v++) {
		n = strlen(v->from);
		/* On a segment boundary: /templatesX is not /templates. */
		if (strncmp(path, v->from, n) == 0 && (path[n] == '/' ||
		    path[n] == '\0'))
			return v;
	}
	return NULL;
}

/*
 * The path inside the service: decoded, query removed, an alias applied
 * or else a prefix stripped.
 */
static const char *
inner_path(struct ods_req *r)
{
	const struct ods_path_alias	*al;
	const char			*p, *q, *info;
	const char *const		*pre;
	size_t				 n;

	if ((p = param(r->params, "DOCUMENT_URI")) != NULL && *p == '/')
		p = ods_arena_strdup(r->arena, p);
	else if ((q = param(r->params, "REQUEST_URI")) != NULL && *q == '/')
		p = decode(r->arena, q, strcspn(q, "?#"), 0);
	else if ((q = param(r->params, "SCRIPT_NAME")) != NULL) {
		info = param(r->params, "PATH_INFO");
		p = ods_arena_printf(r->arena, "%s%s", q, info ? info : "");
	}
	else
		p = "/";
	if (p == NULL)
		return NULL;
	r->raw_path = p;
	if ((al = ods_path_alias_find(r->env->aliases, p)) != NULL)
		return ods_arena_printf(r->arena, "%s%s", al->to,
		    p + strlen(al->from));
	for (pre = r->env->prefixes; pre != NULL && *pre != NULL; pre++) {
		n = strlen(*pre);
		if (strncmp(p, *pre, n) == 0 && (p[n] == '/' || p[n] == '\0'))
			return p[n] == '\0' ? "/" : p + n;
	}
	return p;
}

struct ods_req *
ods_req_new(struct ods_arena *a, char **params, const struct ods_req_io *io,
    const struct ods_req_env *env)
{
	struct ods_req	*r;
	const char	*cl, *id;
	char		*end;

	if ((r = ods_arena_alloc(a, sizeof(*r))) == NULL)
		return NULL;
	r->arena = a;
	r->params = params;
	r->io = io;
	r->env = env;
	r->method_name = param(params, "REQUEST_METHOD");
	r->method = method_parse(r->method_name);
	if (r->method_name == NULL)
		r->method_name = "GET", r->method = ODS_GET;
	r->query_string = param(params, "QUERY_STRING");
	if (r->query_string == NULL)
		r->query_string = "";
	if ((r->path = inner_path(r)) == NULL)
		return NULL;
	r->content_length = -1;
	if ((cl = param(params, "CONTENT_LENGTH")) != NULL && *cl != '\0') {
		errno = 0;
		r->content_length = strtoll(cl, &end, 10);
		if (errno != 0 || *end != '\0' || r->content_length < 0)
			r->content_length = INT64_MAX;	/* refused as too big */
	}
	if (reqid_ok(id = param(params, "HTTP_X_REQUEST_ID")) ||
	    reqid_ok(id = param(params, "REQUEST_ID")))
		r->id = id;
	else if ((r->id = reqid_new(a)) == NULL)
		return NULL;
	ods_buf_init(&r->body, env->conf != NULL ?
	    env->conf->max_body_bytes : (32u << 20));
	return r;
}

enum ods_method
ods_req_method(const struct ods_req *r)
{
	return r->method;
}

const char *
ods_req_method_name(const struct ods_req *r)
{
	return r->method_name;
}

const char *
ods_method_name(enum ods_method m)
{
	return m <= ODS_METHOD_OTHER ? method_names[m] : "OTHER";
}

const char *
ods_req_path(const struct ods_req *r)
{
	return r->path;
}

const char *
ods_req_raw_path(const struct ods_req *r)
{
	return r->raw_path;
}

const char *
ods_req_id(const struct ods_req *r)
{
	return r->id;
}

const char *
ods_req_remote_addr(const struct ods_req *r)
{
	const char	*a = param(r->params, "REMOTE_ADDR");

	return a != NULL ? a : "";
}

int
ods_req_client_gone(const struct ods_req *r)
{
	return r->io != NULL && r->io->gone != NULL &&
	    r->io->gone(r->io->ctx);
}

const struct ods_req_env *
ods_req_env(const struct ods_req *r)
{
	return r->env;
}

void
ods_req_set_body_max(struct ods_req *r, size_t max)
{
	r->body.max = max;
}

size_t
ods_req_body_max(const struct ods_req *r)
{
	return r->body.max;
}

void *
ods_req_ctx(const struct ods_req *r)
{
	return r->env != NULL ? r->env->ctx : NULL;
}

const char *
ods_req_header(const struct ods_req *r, const char *name)
{
	char	key[128];
	size_t	i, o;

	if (strcasecmp(name, "Content-Type") == 0)
		return param(r->params, "CONTENT_TYPE");
	if (strcasecmp(name, "Content-Length") == 0)
		return param(r->params, "CONTENT_LENGTH");
	o = (size_t)snprintf(key, sizeof(key), "HTTP_");
	for (i = 0; name[i] != '\0' && o < sizeof(key) - 1; i++)
		key[o++] = name[i] == '-' ? '_' :
		    (char)toupper((unsigned char)name[i]);
	key[o] = '\0';
	return param(r->params, key);
}

/* Split "a=1&b=2" (sep '&') or "a=1; b=2" (sep ';') into the arena. */
static void
kv_parse(struct ods_req *r, struct kvlist *l, const char *s, char sep,
    int is_query)
{
	const char	*p, *eq, *end;
	size_t		 cap = 1;

	l->parsed = 1;
	for (p = s; *p != '\0'; p++)
		cap += *p == sep;
	if ((l->items = ods_arena_alloc(r->arena, cap * sizeof(*l->items)))
	    == NULL)
		return;
	for (p = s; *p != '\0' && l->n < cap; p = *end ? end + 1 : end) {
		while (!is_query && *p == ' ')
			p++;
		end = p + strcspn(p, sep == '&' ? "&" : ";");
		eq = memchr(p, '=', (size_t)(end - p));
		if (end == p || eq == NULL || eq == p)
			continue;
		l->items[l->n].k = decode(r->arena, p, (size_t)(eq - p),
		    is_query);
		l->items[l->n].v = is_query ?
		    decode(r->arena, eq + 1, (size_t)(end - eq - 1), 1) :
		    ods_arena_strndup(r->arena, eq + 1, (size_t)(end - eq - 1));
		if (l->items[l->n].k != NULL && l->items[l->n].v != NULL)
			l->n++;
	}
}

static const char *
kv_get(const struct kvlist *l, const char *name)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->items[i].k, name) == 0)
			return l->items[i].v;
	return NULL;
}

const char *
ods_req_query(struct ods_req *r, const char *name)
{
	if (!r->query.parsed)
		kv_parse(r, &r->query, r->query_string, '&', 1);
	return kv_get(&r->query, name);
}

const char *
ods_req_cookie(struct ods_req *r, const char *name)
{
	const char	*c;

	if (!r->cookies.parsed) {
		c = param(r->params, "HTTP_COOKIE");
		kv_parse(r, &r->cookies, c != NULL ? c : "", ';', 0);
	}
	return kv_get(&r->cookies, name);
}

const char *
ods_req_param(const struct ods_req *r, const char *name)
{
	size_t	i;

	for (i = 0; i < r->npparams; i++)
		if (strcmp(r->pparams[i].k, name) == 0)
			return r->pparams[i].v;
	return NULL;
}

enum ods_err
ods_req_param_set(struct ods_req *r, const char *name, const char *value)
{
	if (r->npparams >= MAX_PATH_PARAMS)
		return ODS_ETOOBIG;
	r->pparams[r->npparams].k = name;
	r->pparams[r->npparams].v = value;
	r->npparams++;
	return ODS_OK;
}

enum ods_err
ods_req_query_int(struct ods_req *r, const char *name, int64_t def,
    int64_t min, int64_t max, int64_t *out)
{
	const char	*s = ods_req_query(r, name);
	char		*end;
	long long	 v;

	if (s == NULL || *s == '\0') {
		*out = def;
		return ODS_OK;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return ODS_EINVAL;
	*out = v;
	return ODS_OK;
}

enum ods_err
ods_req_page(struct ods_req *r, int64_t def, struct ods_page *pg)
{
	int64_t	page, size, limit;

	/* Non-numbers are refused; numbers out of range are clamped. */
	if (ods_req_query_int(r, "page", 1, INT32_MIN, INT32_MAX, &page) ||
	    ods_req_query_int(r, "page_size", 0, INT32_MIN, INT32_MAX,
	    &size) ||
	    ods_req_query_int(r, "limit", 0, INT32_MIN, INT32_MAX, &limit))
		return ODS_EINVAL;
	if (size == 0)
		size = limit != 0 ? limit : def;
	pg->page = page < 1 ? 1 : page;
	pg->page_size = size < 1 ? 1 : size > 1000 ? 1000 : size;
	pg->offset = (pg->page - 1) * pg->page_size;
	return ODS_OK;
}

static void
buf_release(void *arg)
{
	ods_buf_free(arg);
}

enum ods_err
ods_req_body(struct ods_req *r, const char **data, size_t *len)
{
	char	chunk[16384];
	long	n;

	if (r->body_streamed)
		return ODS_EINVAL;	/* ods_req_read took it */
	if (!r->body_done) {
		r->body_done = 1;
		/* A buffered body never exceeds ODS_MAX_BODY_BYTES. */
		if (r->env->conf != NULL &&
		    r->body.max > r->env->conf->max_body_bytes)
			r->body.max = r->env->conf->max_body_bytes;
		r->body_err = ods_req_defer(r, buf_release, &r->body);
		if (r->body_err == ODS_OK && r->content_length >= 0 &&
		    (uint64_t)r->content_length > r->body.max)
			r->body_err = ODS_ETOOBIG;
		while (r->body_err == ODS_OK && r->io != NULL &&
		    (n = r->io->read(r->io->ctx, chunk, sizeof(chunk))) != 0) {
			if (n < 0)
				r->body_err = ODS_EIO;
			else
				r->body_err = ods_buf_add(&r->body, chunk,
				    (size_t)n);
		}
		if (r->body_err == ODS_OK && r->body.data == NULL)
			r->body_err = ods_buf_add(&r->body, "", 0);
	}
	if (r->body_err != ODS_OK)
		return r->body_err;
	*data = r->body.data;
	*len = r->body.len;
	return ODS_OK;
}

enum ods_err
ods_req_read(struct ods_req *r, char *buf, size_t n, size_t *got)
{
	long	k;

	*got = 0;
	if (r->body_done && !r->body_streamed)
		return r->body_err != ODS_OK ? r->body_err : ODS_EINVAL;
	if (!r->body_done) {
		r->body_done = r->body_streamed = 1;
		if (r->content_length >= 0 &&
		    (uint64_t)r->content_length > r->body.max)
			r->body_err = ODS_ETOOBIG;
	}
	if (r->body_err != ODS_OK || r->io == NULL || n == 0)
		return r->body_err;
	if ((k = r->io->read(r->io->ctx, buf, n)) < 0)
		return r->body_err = ODS_EIO;
	r->body_read += (uint64_t)k;
	if (r->body_read > r->body.max)
		return r->body_err = ODS_ETOOBIG;
	*got = (size_t)k;
	return ODS_OK;
}

int64_t
ods_req_content_length(const struct ods_req *r)
{
	return r->content_length;
}

static void
json_release(void *arg)
{
	ods_json_put(arg);
}

enum ods_err
ods_req_json(struct ods_req *r, struct json_object **out,
    struct ods_why *e)
{
	const char	*data;
	size_t		 len;
	enum ods_err	 er;

	if (r->json == NULL) {
		if ((er = ods_req_body(r, &data, &len)) != ODS_OK) {
			if (er == ODS_ETOOBIG)
				ods_why_set(e, NULL, "request body is larger "
				    "than %zu bytes", r->body.max);
			else
				ods_why_set(e, NULL, "%s", ods_strerror(er));
			return er;
		}
		if ((er = ods_json_parse(data, len, 0, &r->json, e)) != ODS_OK)
			return er;
		if ((er = ods_req_defer(r, json_release, r->json)) != ODS_OK) {
			ods_json_put(r->json);
			r->json = NULL;
			return er;
		}
	}
	*out = r->json;
	return ODS_OK;
}

void *
ods_req_alloc(struct ods_req *r, size_t n)
{
	return ods_arena_alloc(r->arena, n);
}

char *
ods_req_strdup(struct ods_req *r, const char *s)
{
	return ods_arena_strdup(r->arena, s);
}

struct ods_arena *
ods_req_arena(struct ods_req *r)
{
	return r->arena;
}

enum ods_err
ods_req_defer(struct ods_req *r, void (*fn)(void *), void *arg)
{
	return ods_arena_defer(r->arena, fn, arg);
}

const struct ods_principal *
ods_req_principal(const struct ods_req *r)
{
	return r->principal;
}

void
ods_req_set_principal(struct ods_req *r, const struct ods_principal *p)
{
	r->principal = p;
}

struct ods_obj *
ods_req_obj(const struct ods_req *r)
{
	return r->env != NULL ? r->env->obj : NULL;
}

struct ods_db *
ods_req_db(const struct ods_req *r)
{
	return r->env->db;
}

struct ods_redis *
ods_req_redis(const struct ods_req *r)
{
	return r->env->redis;
}

const struct ods_conf *
ods_req_conf(const struct ods_req *r)
{
	return r->env->conf;
}

/* ---- response ---- */

static void
resp_release(void *arg)
{
	struct ods_resp	*w = arg;

	ods_buf_free(&w->hdrs);
	ods_buf_free(&w->body);
}

struct ods_resp *
ods_resp_new(struct ods_req *r)
{
	struct ods_resp	*w;

	if ((w = ods_arena_alloc(r->arena, sizeof(*w))) == NULL)
		return NULL;
	w->r = r;
	ods_buf_init(&w->hdrs, 64 * 1024);
	ods_buf_init(&w->body, MAX_RESP_BYTES);
	if (ods_req_defer(r, resp_release, w) != ODS_OK)
		return NULL;
	return w;
}

int
ods_resp_status(const struct ods_resp *w)
{
	return w->status;
}

size_t
ods_resp_bytes(const struct ods_resp *w)
{
	return w->bytes;
}

int
ods_resp_committed(const struct ods_resp *w)
{
	return w->committed;
}

static int
token_ok(const char *s, int value)
{
	for (; *s != '\0'; s++) {
		if (*s == '\r' || *s == '\n')
			return 0;
		if (!value && (*s == ':' || *s == ' '))
			return 0;
	}
	return 1;
}

enum ods_err
ods_resp_header(struct ods_resp *w, const char *name, const char *value)
{
	if (w->committed)
		return ODS_EINTERNAL;
	if (*name == '\0' || !token_ok(name, 0) || !token_ok(value, 1))
		return ODS_EINVAL;
	return ods_buf_addf(&w->hdrs, "%s: %s\r\n", name, value);
}

static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 507: return "Insufficient Storage";
	default: return status < 500 ? "Error" : "Internal Server Error";
	}
}

/* Write the header block; body_len < 0 means streaming (no length). */
static enum ods_err
write_head(struct ods_resp *w, long long body_len)
{
	struct ods_buf	 h;
	enum ods_err	 er;

	ods_buf_init(&h, 128 * 1024);
	er = ods_buf_addf(&h, "Status: %d %s\r\nContent-Type: %s\r\n"
	    "X-Request-ID: %s\r\n", w->status, reason(w->status),
	    w->ctype != NULL ? w->ctype : "application/json",
	    w->r->id);
	if (er == ODS_OK && body_len >= 0)
		er = ods_buf_addf(&h, "Content-Length: %lld\r\n", body_len);
	if (er == ODS_OK && w->hdrs.len > 0)
		er = ods_buf_add(&h, w->hdrs.data, w->hdrs.len);
	if (er == ODS_OK)
		er = ods_buf_add(&h, "\r\n", 2);
	if (er == ODS_OK && w->r->io->write(w->r->io->ctx, h.data, h.len) < 0)
		er = ODS_EIO;
	ods_buf_free(&h);
	w->committed = 1;
	return er;
}

static enum ods_status
flush_body(struct ods_resp *w)
{
	const struct ods_req_io	*io = w->r->io;
	int			 head = w->r->method == ODS_HEAD;

	if (write_head(w, (long long)w->body.len) == ODS_OK && !head &&
	    w->body.len > 0 &&
	    io->write(io->ctx, w->body.data, w->body.len) >= 0)
		w->bytes = w->body.len;
	return (enum ods_status)w->status;
}

static void
begin_body(struct ods_resp *w, int status, const char *ctype)
{
	ods_buf_reset(&w->body);
	ods_jw_init(&w->jw, &w->body);
	w->status = status;
	w->ctype = ctype;
	w->envelope = 0;
}

struct ods_jw *
ods_resp_envelope(struct ods_resp *w, enum ods_status st, const char *msg)
{
	begin_body(w, (int)st, "application/json");
	w->envelope = 1;
	ods_jw_obj(&w->jw);
	ods_jw_kint(&w->jw, "code", 0);
	ods_jw_kstr(&w->jw, "message", msg != NULL ? msg : "success");
	ods_jw_kstr(&w->jw, "request_id", w->r->id);
	ods_jw_key(&w->jw, "data");
	return &w->jw;
}

struct ods_jw *
ods_resp_json(struct ods_resp *w, enum ods_status st)
{
	begin_body(w, (int)st, "application/json");
	return &w->jw;
}

enum ods_status
ods_resp_send(struct ods_resp *w)
{
	enum ods_err	er;

	if (w->committed)
		return (enum ods_status)w->status;
	if (w->envelope)
		while (w->jw.depth > 0)
			ods_jw_end(&w->jw);
	if ((er = ods_jw_error(&w->jw)) != ODS_OK) {
		ods_log(ODS_LOG_ERR, "response_build_failed err=%s",
		    ods_strerror(er));
		return ods_resp_error(w, ODS_EINTERNAL, NULL);
	}
	return flush_body(w);
}

/* Send the JSON built; only a huge message fails: send a fixed 500. */
static enum ods_status
fixed_or_flush(struct ods_resp *w)
{
	if (ods_jw_error(&w->jw) != ODS_OK) {
		begin_body(w, 500, "application/json");
		ods_jw_raw(&w->jw, FIXED_500, sizeof(FIXED_500) - 1);
	}
	return flush_body(w);
}

static const char *
openai_type(int status)
{
	switch (status) {
	case 401:
		return "authentication_error";
	case 403:
		return "permission_error";
	case 404:
		return "not_found_error";
	case 429:
		return "rate_limit_error";
	default:
		return status < 500 ? "invalid_request_error" : "api_error";
	}
}

enum ods_status
ods_resp_openai_error(struct ods_resp *w, int status, const char *type,
    const char *code, const char *param, const char *msg)
{
	struct ods_jw	*jw;

	if (w->committed)
		return (enum ods_status)w->status;
	jw = ods_resp_json(w, (enum ods_status)status);
	ods_jw_obj(jw);
	ods_jw_key(jw, "error");
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "message", msg);
	ods_jw_kstr(jw, "type", type != NULL ? type : openai_type(status));
	ods_jw_kstr(jw, "param", param);
	ods_jw_kstr(jw, "code", code);
	ods_jw_end(jw);
	ods_jw_end(jw);
	return fixed_or_flush(w);
}

enum ods_status
ods_resp_fail(struct ods_resp *w, const struct ods_error *e)
{
	struct ods_jw	*jw;
	const char	*msg, *slug;
	int		 status = ods_err_http(e->err);

	if (w->committed)
		return (enum ods_status)w->status;
	msg = e->msg != NULL ? e->msg : ods_strerror(e->err);
	slug = e->slug != NULL ? e->slug : ods_err_slug(e->err);
	if (w->r->env->openai_errors && strncmp(w->r->path, "/v1/", 4) == 0)
		return ods_resp_openai_error(w, status, NULL,
		    e->openai_code != NULL ? e->openai_code : slug, e->field[0] != '\0' ?
		    e->field : NULL, msg);
	jw = ods_resp_json(w, (enum ods_status)status);
	ods_jw_obj(jw);
	ods_jw_kint(jw, "code", e->code != ODS_C_DEFAULT ? (int)e->code :
	    (int)ods_err_code(e->err));
	ods_jw_kstr(jw, "message", msg);
	ods_jw_kstr(jw, "error", slug);
	if (e->field[0] != '\0')
		ods_jw_kstr(jw, "field", e->field);
	if (e->extra != NULL)
		e->extra(jw, e->extra_arg);
	ods_jw_kstr(jw, "request_id", w->r->id);
	ods_jw_end(jw);
	return fixed_or_flush(w);
}

enum ods_status
ods_resp_error_ex(struct ods_resp *w, enum ods_err er, enum ods_code code,
    const char *slug, const char *msg)
{
	struct ods_error	e = { .err = er, .code = code, .slug = slug,
				    .msg = msg };

	return ods_resp_fail(w, &e);
}

enum ods_status
ods_resp_error(struct ods_resp *w, enum ods_err er, const char *msg)
{
	struct ods_error	e = { .err = er, .msg = msg };

	return ods_resp_fail(w, &e);
}

enum ods_status
ods_resp_bad_page(struct ods_resp *w)
{
	return ods_resp_error(w, ODS_EINVAL, "page, page_size and limit must "
	    "be integers");
}

enum ods_status
ods_resp_input_error(struct ods_resp *w, enum ods_err er,
    const struct ods_why *why)
{
	if (er == ODS_EINVAL)
		return ods_resp_json_error(w, why);
	return ods_resp_error(w, er, why != NULL && why->msg[0] != '\0' ?
	    why->msg : NULL);
}

enum ods_status
ods_resp_json_error(struct ods_resp *w, const struct ods_why *je)
{
	struct ods_error	e = { .err = ODS_EINVAL,
				    .code = ODS_C_INVALID_FIELD,
				    .slug = "validation_error",
				    .openai_code = "invalid_request_error",
				    .msg = je->msg };

	/* The OpenAI shape names no param, as before. */
	if (!(w->r->env->openai_errors && strncmp(w->r->path, "/v1/", 4) == 0))
		snprintf(e.field, sizeof(e.field), "%s", je->field);
	return ods_resp_fail(w, &e);
}

enum ods_status
ods_resp_raw(struct ods_resp *w, enum ods_status st, const char *ctype,
    const char *data, size_t len)
{
	if (w->committed)
		return (enum ods_status)w->status;
	begin_body(w, (int)st, ctype);
	if (ods_buf_add(&w->body, data, len) != ODS_OK)
		return ods_resp_error(w, ODS_EINTERNAL, NULL);
	return flush_body(w);
}

enum ods_err
ods_resp_stream_begin(struct ods_resp *w, enum ods_status st,
    const char *ctype)
{
	enum ods_err	er;

	if (w->committed)
		return ODS_EINTERNAL;
	w->status = (int)st;
	w->ctype = ctype;
	if ((er = ods_buf_add(&w->hdrs, STREAM_HDRS, sizeof(STREAM_HDRS) - 1))
	    != ODS_OK)
		return er;
	if ((er = write_head(w, -1)) != ODS_OK)
		return er;
	return w->r->io->flush(w->r->io->ctx) < 0 ? ODS_EIO : ODS_OK;
}

enum ods_err
ods_resp_stream_write(struct ods_resp *w, const char *data, size_t len)
{
	const struct ods_req_io	*io = w->r->io;

	if (!w->committed)
		return ODS_EINTERNAL;
	if (io->write(io->ctx, data, len) < 0 || io->flush(io->ctx) < 0)
		return ODS_EIO;
	w->bytes += len;
	return ODS_OK;
}

enum ods_err
ods_resp_begin(struct ods_resp *w, enum ods_status st, const char *ctype,
    uint64_t length)
{
	if (w->committed)
		return ODS_EINTERNAL;
	w->status = (int)st;
	w->ctype = ctype;
	return write_head(w, (long long)length);
}

enum ods_err
ods_resp_write(struct ods_resp *w, const char *data, size_t len)
{
	const struct ods_req_io	*io = w->r->io;

	if (!w->committed)
		return ODS_EINTERNAL;
	if (w->r->method == ODS_HEAD || len == 0)
		return ODS_OK;
	if (io->write(io->ctx, data, len) < 0)
		return ODS_EIO;
	w->bytes += len;
	return ODS_OK;
}

void
ods_jw_page(struct ods_jw *jw, const struct ods_page *pg, int64_t total)
{
	ods_jw_kint(jw, "total", total);
	ods_jw_kint(jw, "page", pg->page);
	ods_jw_kint(jw, "page_size", pg->page_size);
}

struct ods_jw *
ods_resp_list_begin(struct ods_resp *w, const char *key)
{
	struct ods_jw	*jw = ods_resp_envelope(w, ODS_HTTP_200, NULL);

	ods_jw_obj(jw);
	ods_jw_key(jw, key);
	ods_jw_arr(jw);
	return jw;
}

void
ods_resp_list_end(struct ods_jw *jw, const struct ods_page *pg, int64_t total)
{
	ods_jw_page(jw, pg, total);
	ods_jw_end(jw);
	ods_jw_page(jw, pg, total);
}
