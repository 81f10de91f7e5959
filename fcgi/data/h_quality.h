/*
 * fcgi/data/h_quality.h — data quality (reference-api §3.3 D22–D23,
 * issue 17): rules, tasks, runs as jobs, reports, trends, alerts. The
 * domain is svc/data/quality.h; runs are ods-worker's quality_run jobs.
 *
 * Permissions (§7.2): dataset:read for reads (viewers too),
 * dataset:create for new rules and tasks (data_engineer),
 * dataset:update for changes and the alerts' transitions,
 * datasource:execute to run (data_engineer, data_analyst: a run reads a
 * source's data with its credentials, as a query does), dataset:delete
 * to delete a rule (admin). A private rule of another user is a 404;
 * changing one is its creator's or an admin's (403).
 */
#ifndef H_QUALITY_H
#define H_QUALITY_H

#include "net/ods_req.h"
#include "server/ods_router.h"

#define H_QUALITY_BODY	(256u << 10)	/* a rule with its custom SQL */

#define H_QUALITY_ROUTES \
	{ ODS_GET, "/quality/rules", h_quality_rules_list, \
	    ODS_AUTH_REQUIRED, "dataset:read" }, \
	{ ODS_POST, "/quality/rules", h_quality_rules_create, \
	    ODS_AUTH_REQUIRED, "dataset:create", H_QUALITY_BODY }, \
	{ ODS_GET, "/quality/rules/{id}", h_quality_rules_get, \
	    ODS_AUTH_REQUIRED, "dataset:read" }, \
	{ ODS_PUT, "/quality/rules/{id}", h_quality_rules_update, \
	    ODS_AUTH_REQUIRED, "dataset:update", H_QUALITY_BODY }, \
	{ ODS_DELETE, "/quality/rules/{id}", h_quality_rules_delete, \
	    ODS_AUTH_REQUIRED, "dataset:delete" }, \
	{ ODS_POST, "/quality/rules/{id}/run", h_quality_rules_run, \
	    ODS_AUTH_REQUIRED, "datasource:execute", 4096 }, \
	{ ODS_GET, "/quality/tasks", h_quality_tasks_list, \
	    ODS_AUTH_REQUIRED, "dataset:read" }, \
	{ ODS_POST, "/quality/tasks", h_quality_tasks_create, \
	    ODS_AUTH_REQUIRED, "dataset:create", 65536 }, \
	{ ODS_GET, "/quality/tasks/{id}", h_quality_tasks_get, \
	    ODS_AUTH_REQUIRED, "dataset:read" }, \
	{ ODS_POST, "/quality/tasks/{id}/run", h_quality_tasks_run, \
	    ODS_AUTH_REQUIRED, "datasource:execute", 4096 }, \
	{ ODS_GET, "/quality/reports", h_quality_reports_list, \
	    ODS_AUTH_REQUIRED, "dataset:read" }, \
	{ ODS_GET, "/quality/reports/{id}", h_quality_reports_get, \
	    ODS_AUTH_REQUIRED, "dataset:read" }, \
	{ ODS_GET, "/quality/trends", h_quality_trends, \
	    ODS_AUTH_REQUIRED, "dataset:read" }, \
	{ ODS_GET, "/quality/alerts", h_quality_alerts_list, \
	    ODS_AUTH_REQUIRED, "dataset:read" }, \
	{ ODS_POST, "/quality/alerts/{id}/acknowledge", h_quality_alerts_ack, \
	    ODS_AUTH_REQUIRED, "dataset:update", 4096 }, \
	{ ODS_PUT, "/quality/alerts/{id}/acknowledge", h_quality_alerts_ack, \
	    ODS_AUTH_REQUIRED, "dataset:update", 4096 }, \
	{ ODS_POST, "/quality/alerts/{id}/resolve", h_quality_alerts_resolve, \
	    ODS_AUTH_REQUIRED, "dataset:update", 4096 }

/* ?status=&rule_type=&source_id=&severity=&page=&page_size=50. */
enum ods_status	h_quality_rules_list(struct ods_req *, struct ods_resp *);
/* 201 data:{rule_id, rule}; 400 naming the field. */
enum ods_status	h_quality_rules_create(struct ods_req *, struct ods_resp *);
enum ods_status	h_quality_rules_get(struct ods_req *, struct ods_resp *);
enum ods_status	h_quality_rules_update(struct ods_req *, struct ods_resp *);
enum ods_status	h_quality_rules_delete(struct ods_req *, struct ods_resp *);
/* 202 data:{job_id, execution_id, status:"queued"}. */
enum ods_status	h_quality_rules_run(struct ods_req *, struct ods_resp *);
enum ods_status	h_quality_tasks_list(struct ods_req *, struct ods_resp *);
enum ods_status	h_quality_tasks_create(struct ods_req *, struct ods_resp *);
enum ods_status	h_quality_tasks_get(struct ods_req *, struct ods_resp *);
enum ods_status	h_quality_tasks_run(struct ods_req *, struct ods_resp *);
/* ?status=&task_id=&rule_id=&page=&page_size=. */
enum ods_status	h_quality_reports_list(struct ods_req *, struct ods_resp *);
/* The report with rule_results (every rule's result and sample). */
enum ods_status	h_quality_reports_get(struct ods_req *, struct ods_resp *);
/* ?period=daily|weekly|monthly. */
enum ods_status	h_quality_trends(struct ods_req *, struct ods_resp *);
/*
 * ?status=open|acknowledged|resolved (the reference's active: open,
 * inactive: resolved)&severity=warning|critical&rule_id=&page=.
 */
enum ods_status	h_quality_alerts_list(struct ods_req *, struct ods_resp *);
/* 200 data: the alert; 409 code 40900 from another state. */
enum ods_status	h_quality_alerts_ack(struct ods_req *, struct ods_resp *);
enum ods_status	h_quality_alerts_resolve(struct ods_req *, struct ods_resp *);

/* The data pool's scrape hook: data_quality_score from the database. */
struct ods_req_env;
void		h_quality_scrape(const struct ods_req_env *, void *ctx);

#endif /* H_QUALITY_H */
