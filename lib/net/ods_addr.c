/*
 * lib/net/ods_addr.c — the outbound address policy (ods_addr.h), moved
 * here from svc/data/ds_policy.c so that data sources and the agents'
 * HTTP tool refuse the same addresses.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <stdio.h>
#include <string.h>

#include "core/ods_cidr.h"
#include "core/ods_err.h"
#include "net/ods_addr.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* Never reachable: link-local, cloud metadata, unspecified, multicast. */
static const char *const never[] = {
	"169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128", "0.0.0.0/8",
	"::/128", "224.0.0.0/4", "ff00::/8", "255.255.255.255/32"
};
/* Reachable only when the allow list names them. */
static const char *const inside[] = {
	"127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12",
	"192.168.0.0/16", "100.64.0.0/10", "fc00::/7"
};
static const char *const loopback[] = { "127.0.0.0/8", "::1/128" };

static int
in_table(const char *const *t, size_t n, const struct ods_addr *a)
{
	struct ods_cidr	c;
	size_t		i;

	for (i = 0; i < n; i++)
		if (ods_cidr_parse(t[i], strlen(t[i]), &c) == ODS_OK &&
		    ods_cidr_match(&c, 1, a->family, a->a))
			return 1;
	return 0;
}

int
ods_addr_is_loopback(const struct ods_addr *a)
{
	return in_table(loopback, NELEM(loopback), a);
}

const char *
ods_addr_refusal(const struct ods_addr *a, const struct ods_cidr *allow,
    size_t nallow, const struct ods_cidr *deny, size_t ndeny)
{
	if (in_table(never, NELEM(never), a))
		return "a link-local, metadata or unspecified address";
	if (deny != NULL && ods_cidr_match(deny, ndeny, a->family, a->a))
		return "an address the deny list names";
	if (in_table(inside, NELEM(inside), a) && (allow == NULL ||
	    !ods_cidr_match(allow, nallow, a->family, a->a)))
		return "a loopback or private address the allow list does "
		    "not name";
	return NULL;
}

size_t
ods_addr_resolve(const char *host, struct ods_addr *v, size_t max)
{
	struct addrinfo	 hints, *ai = NULL, *p;
	size_t		 n = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (host == NULL || getaddrinfo(host, NULL, &hints, &ai) != 0)
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

void
ods_addr_pin(const char *host, int port, const struct ods_addr *a, char *out,
    size_t len)
{
	int	v6host = strchr(host, ':') != NULL && host[0] != '[';

	snprintf(out, len, "%s%s%s:%d:%s%s%s", v6host ? "[" : "", host,
	    v6host ? "]" : "", port, a->family == 6 ? "[" : "", a->text,
	    a->family == 6 ? "]" : "");
}
