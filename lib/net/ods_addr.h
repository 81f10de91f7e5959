/*
 * lib/net/ods_addr.h — where an outbound connection may go: one name
 * lookup, every address checked against one policy, the address that
 * passed handed to the connector (never the name again: DNS rebinding
 * cannot move it). Used by data sources (svc/data/ds_policy.c) and by
 * the agents' http_request tool (svc/agent/tool_http.c).
 *
 * The policy: link-local, cloud metadata, unspecified, multicast and
 * broadcast addresses are never reachable; the deny list refuses;
 * loopback and private ranges (RFC 1918, 100.64.0.0/10, fc00::/7) pass
 * only when the allow list names them.
 */
#ifndef ODS_ADDR_H
#define ODS_ADDR_H

#include <stddef.h>

struct ods_cidr;

#define ODS_ADDR_MAX	16	/* addresses of one lookup looked at */

struct ods_addr {
	int		 family;	/* 4 or 6 */
	unsigned char	 a[16];
	char		 text[64];	/* numeric form */
};

/* Resolve host into at most max addresses; the number found (0: none). */
size_t		 ods_addr_resolve(const char *host, struct ods_addr *,
		    size_t max);
/*
 * Why a is refused (a static phrase naming the list), or NULL when it
 * may be reached. allow and deny may be NULL (n 0).
 */
const char	*ods_addr_refusal(const struct ods_addr *,
		    const struct ods_cidr *allow, size_t nallow,
		    const struct ods_cidr *deny, size_t ndeny);
/*
 * libcurl's pin for a (CURLOPT_RESOLVE, ods_http_req.pin): "HOST:PORT:ADDR"
 * with IPv6 in brackets, so that the connection goes to the address the
 * policy passed and the URL's name still names the host for Host and TLS.
 */
void		 ods_addr_pin(const char *host, int port,
		    const struct ods_addr *, char *out, size_t len);
/* 1 when a is a loopback address (127/8, ::1). */
int		 ods_addr_is_loopback(const struct ods_addr *);

#endif /* ODS_ADDR_H */
