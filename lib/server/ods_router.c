/* lib/server/ods_router.c — segment matching over a compiled route table. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/ods_auth.h"
#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "server/ods_router.h"

#define MAX_SEGS	16
#define SEG_MAX		512

struct seg {
	char	*text;		/* literal, or the parameter name */
	int	 param;
};

struct compiled {
	const struct ods_route	*route;
	struct seg		 segs[MAX_SEGS];
	size_t			 nsegs;
	size_t			 nliteral;
};

struct ods_router {
	struct compiled	*routes;
	size_t		 n;
};

static int
compile(struct compiled *c, const struct ods_route *rt)
{
	const char	*p = rt->pattern, *end;
	size_t		 len;

	c->route = rt;
	if (p == NULL || *p != '/' || rt->handler == NULL)
		return -1;
	while (*p == '/' && p[1] != '\0') {
		p++;
		end = p + strcspn(p, "/");
		len = (size_t)(end - p);
		if (len == 0 || c->nsegs == MAX_SEGS)
			return -1;
		if (*p == '{') {
			if (len < 3 || p[len - 1] != '}')
				return -1;
			c->segs[c->nsegs].param = 1;
			c->segs[c->nsegs].text = ods_xstrndup(p + 1, len - 2);
		} else {
			if (memchr(p, '{', len) != NULL)
				return -1;
			c->segs[c->nsegs].text = ods_xstrndup(p, len);
			c->nliteral++;
		}
		c->nsegs++;
		p = end;
	}
	return *p == '\0' || (*p == '/' && p[1] == '\0') ? 0 : -1;
}

struct ods_router *
ods_router_new(const struct ods_route *routes, size_t n)
{
	struct ods_router	*rt = ods_xcalloc(1, sizeof(*rt));
	size_t			 i;

	rt->routes = ods_xcalloc(n, sizeof(*rt->routes));
	rt->n = n;
	for (i = 0; i < n; i++) {
		if (compile(&rt->routes[i], &routes[i]) < 0) {
			ods_log(ODS_LOG_ERR, "route_invalid pattern=%s",
			    routes[i].pattern ? routes[i].pattern : "(null)");
			ods_router_free(rt);
			return NULL;
		}
		if (!ods_auth_perm_valid(routes[i].perm)) {
			ods_log(ODS_LOG_ERR, "route_permission_unknown "
			    "method=%s pattern=%s perm=%s",
			    ods_method_name(routes[i].method),
			    routes[i].pattern, routes[i].perm);
			ods_router_free(rt);
			return NULL;
		}
	}
	return rt;
}

void
ods_router_free(struct ods_router *rt)
{
	size_t	i, j;

	if (rt == NULL)
		return;
	for (i = 0; i < rt->n; i++)
		for (j = 0; j < rt->routes[i].nsegs; j++)
			free(rt->routes[i].segs[j].text);
	free(rt->routes);
	free(rt);
}

/* Split "/a/b/" into segments, in place; -1 when there are too many. */
static int
split(char *copy, char **segs, size_t *n)
{
	size_t	 len = strlen(copy);
	char	*p = copy + 1;

	*n = 0;
	if (copy[0] != '/')
		return -1;
	if (len > 1 && copy[len - 1] == '/')
		copy[len - 1] = '\0';
	if (*p == '\0')
		return 0;
	for (;;) {
		if (*n == MAX_SEGS)
			return -1;
		segs[(*n)++] = p;
		if ((p = strchr(p, '/')) == NULL)
			return 0;
		*p++ = '\0';
	}
}

static int
path_matches(const struct compiled *c, char **segs, size_t n)
{
	size_t	i;

	if (c->nsegs != n)
		return 0;
	for (i = 0; i < n; i++) {
		if (segs[i][0] == '\0')
			return 0;
		if (!c->segs[i].param && strcmp(c->segs[i].text, segs[i]) != 0)
			return 0;
	}
	return 1;
}

static int
method_ok(const struct ods_route *rt, enum ods_method m)
{
	return rt->method == m || (m == ODS_HEAD && rt->method == ODS_GET);
}

static void
allow_add(char *allow, size_t len, enum ods_method m)
{
	const char	*name = ods_method_name(m);

	if (len == 0 || strstr(allow, name) != NULL)
		return;
	snprintf(allow + strlen(allow), len - strlen(allow), "%s%s",
	    allow[0] != '\0' ? ", " : "", name);
}

enum ods_err
ods_router_match(const struct ods_router *rt, struct ods_req *r,
    const struct ods_route **out, char *allow, size_t allowlen)
{
	const struct compiled	*best = NULL, *c;
	char			 copy[SEG_MAX * 2], *segs[MAX_SEGS];
	const char		*path = ods_req_path(r);
	size_t			 n, i;
	int			 path_found = 0;

	if (allowlen > 0)
		allow[0] = '\0';
	if (strlen(path) >= sizeof(copy))
		return ODS_ENOTFOUND;
	memcpy(copy, path, strlen(path) + 1);
	if (split(copy, segs, &n) < 0)
		return ODS_ENOTFOUND;
	for (i = 0; i < rt->n; i++) {
		c = &rt->routes[i];
		if (!path_matches(c, segs, n))
			continue;
		path_found = 1;
		if (!method_ok(c->route, ods_req_method(r))) {
			allow_add(allow, allowlen, c->route->method);
			if (c->route->method == ODS_GET)
				allow_add(allow, allowlen, ODS_HEAD);
			continue;
		}
		if (best == NULL || c->nliteral > best->nliteral)
			best = c;
	}
	if (best == NULL)
		return path_found ? ODS_EMETHOD : ODS_ENOTFOUND;
	for (i = 0; i < best->nsegs; i++)
		if (best->segs[i].param &&
		    ods_req_param_set(r, best->segs[i].text,
		    ods_req_strdup(r, segs[i])) != ODS_OK)
			return ODS_ENOTFOUND;
	*out = best->route;
	return ODS_OK;
}

const char *
ods_route_template(const struct ods_route *rt)
{
	return rt->pattern;
}
