/*
 * lib/core/ods_cidr.h — IPv4/IPv6 address ranges in CIDR notation and the
 * lists operators write them in (ODS_DATASOURCE_ALLOW/_DENY).
 *
 * A range is "addr/bits" or a bare address (a /32 or /128). A list
 * separates ranges with commas and/or white space. Host bits beyond the
 * prefix are ignored ("10.1.2.3/8" is 10.0.0.0/8). An IPv4-mapped IPv6
 * address (::ffff:a.b.c.d) is matched as the IPv4 address it carries.
 */
#ifndef ODS_CIDR_H
#define ODS_CIDR_H

#include <stddef.h>

#include "core/ods_err.h"

struct ods_why;

#define ODS_CIDR_LIST_MAX	256	/* ranges in one list */

struct ods_cidr {
	int		 family;	/* 4 or 6 */
	unsigned	 bits;		/* prefix length */
	unsigned char	 addr[16];	/* 4 bytes used for IPv4 */
};

/* One range from n bytes (no NUL needed). ODS_EINVAL when it is not. */
enum ods_err	 ods_cidr_parse(const char *, size_t n, struct ods_cidr *)
		    ODS_MUSTCHECK;
/*
 * A list: *out is a new array of *n ranges (free(3); NULL when n is 0).
 * ODS_EINVAL names the first bad entry in why (as text, at most 64
 * bytes of it), ODS_ETOOBIG past ODS_CIDR_LIST_MAX.
 */
enum ods_err	 ods_cidr_list_parse(const char *, struct ods_cidr **out,
		    size_t *n, struct ods_why *) ODS_MUSTCHECK;
/*
 * Whether the address (family 4: 4 bytes, 6: 16 bytes, network order)
 * lies in one of the n ranges.
 */
int		 ods_cidr_match(const struct ods_cidr *, size_t n, int family,
		    const void *addr);

#endif /* ODS_CIDR_H */
