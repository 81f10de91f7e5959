/*
 * svc/agent/tool_http.c — the http_request tool (tool.h): one GET or
 * POST to a host HTTP_TOOL_ALLOWED_DOMAINS names ("" names any), at an
 * address the outbound policy (net/ods_addr.h) lets through, pinned so
 * that libcurl connects to the address checked and not to a second
 * lookup's. No redirects (ods_http follows none), a deadline of the
 * tool's timeout, the response capped.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/ods_cidr.h"
#include "core/ods_conf.h"
#include "core/ods_err.h"
#include "core/ods_json.h"
#include "net/ods_addr.h"
#include "net/ods_http.h"
#include "agent_int.h"
#include "tool.h"

#define HTTP_KEEP	((size_t)1 << 20)	/* response bytes kept */
#define HTTP_SHOW	((size_t)64 * 1024)	/* bytes of it returned */
#define HOST_MAX	256

struct target {
	char	host[HOST_MAX];
	int	port;
	char	pin[HOST_MAX + 96];
};

/* host and port of an http(s) URL; -1 when it is not one we take. */
static int
parse_url(const char *url, struct target *t)
{
	const char	*p, *end;
	size_t		 n;
	long		 port;

	if (strncasecmp(url, "http://", 7) == 0) {
		p = url + 7;
		t->port = 80;
	} else if (strncasecmp(url, "https://", 8) == 0) {
		p = url + 8;
		t->port = 443;
	} else
		return -1;
	end = p + strcspn(p, "/?#");
	if (memchr(p, '@', (size_t)(end - p)) != NULL)
		return -1;	/* credentials in the URL: refused */
	if (*p == '[') {
		if ((n = strcspn(p + 1, "]")) == 0 || p + 1 + n >= end)
			return -1;
		memcpy(t->host, p + 1, n < HOST_MAX ? n : 0);
		t->host[n < HOST_MAX ? n : 0] = '\0';
		p += n + 2;
	} else {
		n = strcspn(p, ":/?#");
		if (n == 0 || n >= HOST_MAX)
			return -1;
		memcpy(t->host, p, n);
		t->host[n] = '\0';
		p += n;
	}
	if (*p == ':') {
		port = strtol(p + 1, (char **)&p, 10);
		if (port < 1 || port > 65535)
			return -1;
		t->port = (int)port;
	}
	return p == end && t->host[0] != '\0' ? 0 : -1;
}

/* Whether host is one of the comma-separated domains or under one. */
static int
domain_allowed(const char *list, const char *host)
{
	const char	*p = list, *e;
	size_t		 n, hl = strlen(host);

	if (list == NULL || *list == '\0')
		return 1;
	while (*p != '\0') {
		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		e = p + strcspn(p, ", \t");
		n = (size_t)(e - p);
		if (n > 0 && (hl == n || (hl > n && host[hl - n - 1] == '.'))
		    && strncasecmp(host + hl - n, p, n) == 0)
			return 1;
		p = e;
	}
	return 0;
}

/* The policy's address for t, written as libcurl's pin; or why not. */
static enum ods_err
check_target(const struct ods_conf *c, struct target *t, struct ods_why *why)
{
	struct ods_addr		 v[ODS_ADDR_MAX];
	struct ods_cidr		*allow = NULL;
	const char		*w = NULL, *r;
	size_t			 n, nallow = 0, i;

	if (!domain_allowed(c->http_tool_domains, t->host)) {
		ods_why_set(why, "url", "host '%.200s' is not in "
		    "HTTP_TOOL_ALLOWED_DOMAINS", t->host);
		return ODS_EFORBIDDEN;
	}
	if ((n = ods_addr_resolve(t->host, v, ODS_ADDR_MAX)) == 0) {
		ods_why_set(why, "url", "host '%.200s' does not resolve",
		    t->host);
		return ODS_EUNAVAIL;
	}
	/* Checked at start-up (--check-config): a bad list allows none. */
	if (ods_cidr_list_parse(c->http_tool_allow, &allow, &nallow, NULL) !=
	    ODS_OK)
		nallow = 0;
	for (i = 0; i < n; i++) {
		if ((r = ods_addr_refusal(&v[i], allow, nallow, NULL, 0)) ==
		    NULL)
			break;
		if (w == NULL)
			w = r;
	}
	free(allow);
	if (i == n) {
		ods_why_set(why, "url", "host '%.200s' resolves only to "
		    "refused addresses (%s)", t->host, w);
		return ODS_EFORBIDDEN;
	}
	ods_addr_pin(t->host, t->port, &v[i], t->pin, sizeof(t->pin));
	return ODS_OK;
}

struct hdrs {
	char	lines[ODS_HTTP_MAX_HEADERS - 2][512];
	size_t	n;
	int	bad;
};

static int
add_header(void *arg, const char *k, struct json_object *v)
{
	struct hdrs	*h = arg;
	const char	*s = ods_json_string(v);

	if (s == NULL || h->n == ODS_HTTP_MAX_HEADERS - 2 ||
	    strpbrk(k, "\r\n:") != NULL || strpbrk(s, "\r\n") != NULL ||
	    strcasecmp(k, "Host") == 0 || (size_t)snprintf(h->lines[h->n],
	    sizeof(h->lines[0]), "%s: %s", k, s) >= sizeof(h->lines[0])) {
		h->bad = 1;
		return 1;
	}
	h->n++;
	return 0;
}

static void
answer(struct ods_jw *jw, const struct ods_http_resp *rs, const char *url)
{
	size_t	n = rs->body.len < HTTP_SHOW ? rs->body.len : HTTP_SHOW;

	ods_jw_obj(jw);
	ods_jw_kstr(jw, "url", url);
	ods_jw_kint(jw, "status", rs->status);
	ods_jw_kstr(jw, "content_type", rs->ctype);
	ods_jw_key(jw, "body");
	ods_jw_strn(jw, rs->body.data != NULL ? rs->body.data : "", n);
	ods_jw_kbool(jw, "truncated", n < rs->body.len);
	ods_jw_knum(jw, "elapsed_ms", rs->total_s * 1000.0);
	ods_jw_end(jw);
}

enum ods_err
odsi_tool_http(const struct ods_tool_ctx *ctx, struct json_object *args,
    struct ods_jw *jw, struct ods_why *why)
{
	struct ods_http_req	 rq;
	struct ods_http_resp	 rs;
	struct target		 t;
	struct hdrs		 h;
	const char		*url = ods_json_get_str(args, "url");
	const char		*m = ods_json_get_str(args, "method");
	size_t			 i;
	enum ods_err		 er;

	memset(&t, 0, sizeof(t));
	memset(&h, 0, sizeof(h));
	if (parse_url(url, &t) != 0) {
		ods_why_set(why, "url", "argument 'url' must be an http(s) "
		    "URL without credentials");
		return ODS_EINVAL;
	}
	(void)ods_json_obj_each(ods_json_get(args, "headers"), add_header, &h);
	if (h.bad) {
		ods_why_set(why, "headers", "argument 'headers' must map at "
		    "most %d names to single-line strings",
		    ODS_HTTP_MAX_HEADERS - 2);
		return ODS_EINVAL;
	}
	if ((er = check_target(ctx->conf, &t, why)) != ODS_OK)
		return er;
	memset(&rq, 0, sizeof(rq));
	rq.method = m != NULL ? m : "GET";
	rq.url = url;
	rq.pin = t.pin;
	rq.body = ods_json_get_str(args, "body");
	rq.body_len = rq.body != NULL ? strlen(rq.body) : 0;
	for (i = 0; i < h.n; i++)
		rq.headers[rq.nheaders++] = h.lines[i];
	rq.limits.connect_ms = ctx->timeout_ms < 3000 ? ctx->timeout_ms : 3000;
	rq.limits.total_ms = ctx->timeout_ms;
	rq.limits.max_body = HTTP_KEEP;
	rq.should_stop = ctx->should_stop;
	rq.arg = ctx->stop_arg;
	er = ods_http_do(&rq, &rs);
	if (er == ODS_OK)
		answer(jw, &rs, url);
	else
		ods_why_set(why, "url", "%s", er == ODS_ETIMEOUT ?
		    "the request timed out" : er == ODS_ETOOBIG ?
		    "the response is larger than 1 MiB" :
		    "the request failed");
	ods_http_resp_fini(&rs);
	return er;
}
