/* lib/server/ods_health.h — the built-in routes: readiness, liveness, metrics. */
#ifndef ODS_HEALTH_H
#define ODS_HEALTH_H

#include "net/ods_req.h"

/*
 * Readiness (GET /api/v1/health): pings MariaDB and Redis and reports
 * their latencies in "checks". 200 when the database answers; 503 when it
 * does not or when the pool is draining. Redis down is reported, not
 * fatal: callers degrade. Body: reference-api §6/§11.5, inside the
 * envelope and at its top level.
 */
enum ods_status	 ods_health_ready(struct ods_req *, struct ods_resp *);

/*
 * Readiness of a service that can work without the database (the proxy's
 * GET /health): the same report, 503 only while draining.
 */
enum ods_status	 ods_health_report(struct ods_req *, struct ods_resp *);

/* Liveness (GET /api/v1/healthz): 200 while the process serves. */
enum ods_status	 ods_health_live(struct ods_req *, struct ods_resp *);

/*
 * GET /metrics: the pool's Prometheus exposition (text format 0.0.4),
 * summed over every worker. nginx limits who may ask.
 */
enum ods_status	 ods_health_metrics(struct ods_req *, struct ods_resp *);

#endif /* ODS_HEALTH_H */
