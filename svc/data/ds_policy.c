/*
 * svc/data/ds_policy.c — where a data source may connect (the address
 * policy of datasource.h): one lookup, every address checked, the first
 * one allowed handed to the driver.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/ods_cidr.h"
#include "core/ods_err.h"
#include "datasource.h"
#include "data_int.h"

#define MAX_ADDRS	16

/* Never reachable: link-local, cloud metadata, unspecified, multicast. */
static const char *const never[] = {
	"169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128", "0.0.0.0/8",
	"::/128", "224.0.0.0/4", "ff00::/8", "255.255.255.255/32"
};
/* Reachable only when ODS_DATASOURCE_ALLOW lists them. */
static const char *const inside[] = {
	"127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12",
	"192.168.0.0/16", "100.64.0.0/10", "fc00::/7"
};
static const char *const loopback[] = { "127.0.0.0/8", "::1/128" };

static int
in_table(const char *const *t, size_t n, const struct odsi_ds_addr *a)
{
	struct ods_cidr	c;
	size_t		i;

	for (i = 0; i < n; i++)
		if (ods_cidr_parse(t[i], strlen(t[i]), &c) == ODS_OK &&
		    ods_cidr_match(&c, 1, a->family, a->a))
			return 1;
	return 0;
}

void
odsi_ds_fail(struct ods_ds_result *res, const char *slug, const char *fmt, ...)
{
	va_list	ap;

	res->success = 0;
	snprintf(res->error, sizeof(res->error), "%s", slug);
	va_start(ap, fmt);
	vsnprintf(res->message, sizeof(res->message), fmt, ap);
	va_end(ap);
}

/* Why a is refused, or NULL. */
static const char *
refusal(const struct ods_ds_ctx *ctx, const struct odsi_ds_addr *a)
{
	if (in_table(never, sizeof(never) / sizeof(never[0]), a))
		return "a link-local, metadata or unspecified address";
	if (ods_cidr_match(ctx->deny, ctx->ndeny, a->family, a->a))
		return "an address ODS_DATASOURCE_DENY lists";
	if (in_table(inside, sizeof(inside) / sizeof(inside[0]), a) &&
	    !ods_cidr_match(ctx->allow, ctx->nallow, a->family, a->a))
		return "a loopback or private address ODS_DATASOURCE_ALLOW "
		    "does not list";
	return NULL;
}

static size_t
resolve(const char *host, struct odsi_ds_addr *v, size_t max)
{
	struct addrinfo	 hints, *ai = NULL, *p;
	size_t		 n = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, NULL, &hints, &ai) != 0)
		return 0;
	for (p = ai; p != NULL && n < max; p = p->ai_next) {
		memset(&v[n], 0, sizeof(v[n]));
		if (p->ai_family == AF_INET) {
			v[n].family = 4;
			memcpy(v[n].a, &((struct sockaddr_in *)(void *)
			    p->ai_addr)->sin_addr, 4);
			inet_ntop(AF_INET, v[n].a, v[n].text,
			    sizeof(v[n].text));
		} else if (p->ai_family == AF_INET6) {
			v[n].family = 6;
			memcpy(v[n].a, &((struct sockaddr_in6 *)(void *)
			    p->ai_addr)->sin6_addr, 16);
			inet_ntop(AF_INET6, v[n].a, v[n].text,
			    sizeof(v[n].text));
		} else
			continue;
		n++;
	}
	freeaddrinfo(ai);
	return n;
}

/* Whether a:port is the system database's server. */
static int
is_system_server(const struct ods_ds_ctx *ctx, const struct odsi_ds_addr *a,
    int port)
{
	struct odsi_ds_addr	sys[MAX_ADDRS];
	size_t		n, i;

	if (port != ctx->sys_port)
		return 0;
	/* Over a socket, or on loopback: any loopback address is it. */
	if (in_table(loopback, 2, a) && (ctx->sys_socket ||
	    ctx->sys_host == NULL || *ctx->sys_host == '\0' ||
	    strcasecmp(ctx->sys_host, "localhost") == 0))
		return 1;
	n = resolve(ctx->sys_host, sys, MAX_ADDRS);
	for (i = 0; i < n; i++) {
		if (in_table(loopback, 2, &sys[i]) && in_table(loopback, 2, a))
			return 1;
		if (sys[i].family == a->family && memcmp(sys[i].a, a->a,
		    a->family == 4 ? 4 : 16) == 0)
			return 1;
	}
	return 0;
}

/*
 * On the system database's own server: the system schema (or none) and
 * the system user are refused. 1 (res set) or 0.
 */
static int
system_refused(const struct ods_ds_ctx *ctx, const struct odsi_ds_addr *a,
    int port, const char *database, const char *user,
    struct ods_ds_result *res)
{
	if (!is_system_server(ctx, a, port))
		return 0;
	if (database == NULL || *database == '\0' ||
	    strcasecmp(database, ctx->sys_db) == 0) {
		odsi_ds_fail(res, "system_database", "this is the system "
		    "database's server: name another schema than the "
		    "system's");
		return 1;
	}
	if (user != NULL && ctx->sys_user != NULL &&
	    strcmp(user, ctx->sys_user) == 0) {
		odsi_ds_fail(res, "system_database", "this is the system "
		    "database's server: connect with the data source's own "
		    "user");
		return 1;
	}
	return 0;
}

int
odsi_ds_policy(const struct ods_ds_ctx *ctx, const char *host, int port,
    int kind, const char *database, const char *user, struct odsi_ds_addr *out,
    struct ods_ds_result *res)
{
	struct odsi_ds_addr	 v[MAX_ADDRS];
	const char		*why = NULL, *w;
	size_t			 n, i;

	n = resolve(host, v, MAX_ADDRS);
	if (n == 0) {
		odsi_ds_fail(res, "resolve_failed", "the host name does not "
		    "resolve");
		return -1;
	}
	for (i = 0; i < n; i++) {
		if ((w = refusal(ctx, &v[i])) != NULL) {
			if (why == NULL)
				why = w;
			continue;
		}
		if (kind == ODSI_DS_MYSQL &&
		    system_refused(ctx, &v[i], port, database, user, res))
			return -1;
		*out = v[i];
		return 0;
	}
	odsi_ds_fail(res, "address_refused", "%s resolves only to refused "
	    "addresses (%s)", n == 1 ? "the host" : "every address of the "
	    "host", why);
	return -1;
}
