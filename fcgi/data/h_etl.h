/*
 * fcgi/data/h_etl.h — /etl/tasks (reference-api §3.3 D19–D21): tasks
 * (list, create, read, update, delete), their runs (start or execute,
 * stop, executions, logs). The domain is svc/data/etl.h; runs are
 * etl_run jobs of ods-worker.
 *
 * Permissions (sql/0011_etl.sql): etl:read (viewer, analyst, engineer),
 * etl:create, etl:update, etl:execute (start, stop: data_engineer),
 * etl:delete (admin). Another user's private task is a 404 (admin sees
 * all); a public one is changed only by its creator or an admin (403).
 */
#ifndef H_ETL_H
#define H_ETL_H

#include "net/ods_req.h"
#include "server/ods_router.h"

#define H_ETL_BODY_MAX	(512u << 10)	/* a task: its query is <= 256 KiB */

#define H_ETL_ROUTES \
	{ ODS_GET, "/etl/tasks", h_etl_list, ODS_AUTH_REQUIRED, \
	    "etl:read" }, \
	{ ODS_POST, "/etl/tasks", h_etl_create, ODS_AUTH_REQUIRED, \
	    "etl:create", H_ETL_BODY_MAX }, \
	{ ODS_GET, "/etl/tasks/{id}", h_etl_get, ODS_AUTH_REQUIRED, \
	    "etl:read" }, \
	{ ODS_PUT, "/etl/tasks/{id}", h_etl_update, ODS_AUTH_REQUIRED, \
	    "etl:update", H_ETL_BODY_MAX }, \
	{ ODS_DELETE, "/etl/tasks/{id}", h_etl_delete, ODS_AUTH_REQUIRED, \
	    "etl:delete" }, \
	{ ODS_POST, "/etl/tasks/{id}/start", h_etl_start, \
	    ODS_AUTH_REQUIRED, "etl:execute", 4096 }, \
	{ ODS_POST, "/etl/tasks/{id}/execute", h_etl_start, \
	    ODS_AUTH_REQUIRED, "etl:execute", 4096 }, \
	{ ODS_POST, "/etl/tasks/{id}/stop", h_etl_stop, ODS_AUTH_REQUIRED, \
	    "etl:execute", 4096 }, \
	{ ODS_GET, "/etl/tasks/{id}/executions", h_etl_executions, \
	    ODS_AUTH_REQUIRED, "etl:read" }, \
	{ ODS_GET, "/etl/tasks/{id}/logs", h_etl_logs, ODS_AUTH_REQUIRED, \
	    "etl:read" }

/*
 * ?status=&task_type=&keyword=&page=&page_size=: data:{tasks:[...],
 * total, page, page_size} and the numbers at the top level (§11.3).
 */
enum ods_status	h_etl_list(struct ods_req *, struct ods_resp *);
/*
 * The reference's flat body {name, description, task_type, source_id,
 * source_query, source_config, target_id, target_table, target_config,
 * transform_rules|transform_config|transformations, schedule_type,
 * schedule_cron, schedule_interval, schedule_config} or the web's nested
 * source{}, target{}, schedule{}: 201 data: the task (both shapes). 400
 * naming the field.
 */
enum ods_status	h_etl_create(struct ods_req *, struct ods_resp *);
enum ods_status	h_etl_get(struct ods_req *, struct ods_resp *);
enum ods_status	h_etl_update(struct ods_req *, struct ods_resp *);
enum ods_status	h_etl_delete(struct ods_req *, struct ods_resp *);
/*
 * No body: 202 data:{execution_id, log_id, task_id, status:"pending",
 * job_id}: the run is a job (202 as §11.2's other asynchronous start);
 * 400 code 40002 when a run of the task is pending or running.
 */
enum ods_status	h_etl_start(struct ods_req *, struct ods_resp *);
/* 200 data:{execution_id, task_id, status:"stopped"}; 404 when idle. */
enum ods_status	h_etl_stop(struct ods_req *, struct ods_resp *);
/* ?page=&page_size=: data:{executions:[...], total, ...}. */
enum ods_status	h_etl_executions(struct ods_req *, struct ods_resp *);
/* ?execution_id=&page=&page_size=: data:{logs:[...], total, ...}. */
enum ods_status	h_etl_logs(struct ods_req *, struct ods_resp *);

#endif /* H_ETL_H */
