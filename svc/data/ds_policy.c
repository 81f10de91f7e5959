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
#include "net/ods_addr.h"
#include "datasource.h"
#include "data_int.h"

/* Why a is refused, or NULL: the one outbound policy, with our lists. */
static const char *
refusal(const struct ods_ds_ctx *ctx, const struct ods_addr *a)
{
	return ods_addr_refusal(a, ctx->allow, ctx->nallow, ctx->deny,
	    ctx->ndeny);
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

/* Whether a:port is the system database's server. */
static int
is_system_server(const struct ods_ds_ctx *ctx, const struct ods_addr *a,
    int port)
{
	struct ods_addr	sys[ODS_ADDR_MAX];
	size_t		n, i;

	if (port != ctx->sys_port)
		return 0;
	/* Over a socket, or on loopback: any loopback address is it. */
	if (ods_addr_is_loopback(a) && (ctx->sys_socket ||
	    ctx->sys_host == NULL || *ctx->sys_host == '\0' ||
	    strcasecmp(ctx->sys_host, "localhost") == 0))
		return 1;
	n = ods_addr_resolve(ctx->sys_host, sys, ODS_ADDR_MAX);
	for (i = 0; i < n; i++) {
		if (ods_addr_is_loopback(&sys[i]) && ods_addr_is_loopback(a))
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
system_refused(const struct ods_ds_ctx *ctx, const struct ods_addr *a,
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
    int kind, const char *database, const char *user, struct ods_addr *out,
    struct ods_ds_result *res)
{
	struct ods_addr	 v[ODS_ADDR_MAX];
	const char		*why = NULL, *w;
	size_t			 n, i;

	n = ods_addr_resolve(host, v, ODS_ADDR_MAX);
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
