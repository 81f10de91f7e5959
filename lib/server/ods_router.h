/*
 * lib/server/ods_router.h — matching a request against the route table
 * (struct ods_route, in net/ods_req.h, is the table's row).
 */
#ifndef ODS_ROUTER_H
#define ODS_ROUTER_H

#include <stddef.h>

#include "core/ods_err.h"
#include "net/ods_req.h"

struct ods_router;

/*
 * Compile the table (kept by pointer; it must outlive the router).
 * Returns NULL and logs when a pattern is malformed: a programming error
 * found at start-up, never at request time.
 */
struct ods_router	*ods_router_new(const struct ods_route *, size_t n);
void			 ods_router_free(struct ods_router *);

/*
 * Find the route for the request's method and path and store the path
 * parameters in the request. Literal segments win over {params}; HEAD
 * matches GET routes. Returns ODS_OK, ODS_ENOTFOUND, or ODS_EMETHOD with
 * the allowed methods ("GET, POST") in allow.
 */
enum ods_err		 ods_router_match(const struct ods_router *,
			    struct ods_req *, const struct ods_route **,
			    char *allow, size_t allowlen);

/* The route's pattern, the bounded "endpoint" label of metrics. */
const char		*ods_route_template(const struct ods_route *);

#endif /* ODS_ROUTER_H */
