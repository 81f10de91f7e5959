/*
 * fcgi/common/h_stats.h — GET /stats/overview, served by the data and
 * agent pools (h_stats.c).
 */
#ifndef H_STATS_H
#define H_STATS_H

#include "net/ods_req.h"

/*
 * Any signed-in caller: an admin gets the platform's counts (scope
 * "all"), anyone else the counts of what they own (scope "user").
 */
#define H_STATS_ROUTES \
	{ ODS_GET, "/stats/overview", h_stats_overview, ODS_AUTH_REQUIRED, \
	    NULL }

/*
 * data:{scope, users{total,active}, datasets{total,recent},
 * models{total,deployed}, workflows{total,running}, knowledge_bases
 * {total}, documents{total,indexed}, conversations{total}, apps{total,
 * published}, api_calls{today,total}, storage{used_bytes,used_gb,
 * total_gb}, experiments, compute} (null where nothing records it).
 */
enum ods_status	h_stats_overview(struct ods_req *, struct ods_resp *);

#endif /* H_STATS_H */
