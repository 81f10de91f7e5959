/*
 * fcgi/agent/h_workflows.h — workflows, their versions and runs
 * (h_workflows.c), an execution's live events (h_wf_events.c) and
 * workflow schedules (h_wf_sched.c): reference-api §4.3 G2–G11, G24, on
 * svc/agent/workflow.h (storage) and svc/agent/wf.h (the engine).
 *
 * Permissions (the RBAC matrix of lib/auth/ods_auth_rbac.c): reading a
 * workflow is workflow:read; creating workflow:create; changing it and
 * its versions workflow:update; deleting it workflow:create, as the
 * reference's route does (the matrix gives workflow:delete to admin
 * alone, and a workflow is its owner's: the apps' rule); starting and
 * stopping runs workflow:execute; reading runs, their logs and events
 * execution:read. Schedules: reading schedule:read; making, changing,
 * pausing and deleting one workflow:update (it changes when the owner's
 * workflow runs; the matrix gives schedule:create to admin alone);
 * triggering one workflow:execute.
 *
 * Every lookup is limited to the caller (h_owner): another user's
 * private workflow, run or schedule is a 404; a public workflow can be
 * read by others, but changing or running it is a 403.
 */
#ifndef H_WORKFLOWS_H
#define H_WORKFLOWS_H

#include "net/ods_req.h"
#include "server/ods_router.h"

/* A workflow with its definition; a run's inputs; small bodies. */
#define H_WF_BODY	(((size_t)4 << 20) + 65536)
#define H_WF_RUN_BODY	(256 * 1024 + 4096)
#define H_WF_SMALL_BODY	16384

#define H_WORKFLOW_ROUTES \
	{ ODS_GET, "/workflows", h_wf_list, ODS_AUTH_REQUIRED, \
	    "workflow:read", H_WF_SMALL_BODY }, \
	{ ODS_POST, "/workflows", h_wf_create, ODS_AUTH_REQUIRED, \
	    "workflow:create", H_WF_BODY }, \
	{ ODS_GET, "/workflows/{id}", h_wf_get, ODS_AUTH_REQUIRED, \
	    "workflow:read", H_WF_SMALL_BODY }, \
	{ ODS_PUT, "/workflows/{id}", h_wf_update, ODS_AUTH_REQUIRED, \
	    "workflow:update", H_WF_BODY }, \
	{ ODS_DELETE, "/workflows/{id}", h_wf_delete, ODS_AUTH_REQUIRED, \
	    "workflow:create", H_WF_SMALL_BODY }, \
	{ ODS_GET, "/workflows/{id}/versions", h_wf_versions, \
	    ODS_AUTH_REQUIRED, "workflow:read", H_WF_SMALL_BODY }, \
	{ ODS_GET, "/workflows/{id}/versions/{version}", h_wf_version, \
	    ODS_AUTH_REQUIRED, "workflow:read", H_WF_SMALL_BODY }, \
	{ ODS_POST, "/workflows/{id}/versions/{version}/rollback", \
	    h_wf_rollback, ODS_AUTH_REQUIRED, "workflow:update", \
	    H_WF_SMALL_BODY }, \
	{ ODS_POST, "/workflows/{id}/start", h_wf_start, ODS_AUTH_REQUIRED, \
	    "workflow:execute", H_WF_RUN_BODY }, \
	{ ODS_POST, "/workflows/{id}/stop", h_wf_stop, ODS_AUTH_REQUIRED, \
	    "workflow:execute", H_WF_SMALL_BODY }, \
	{ ODS_GET, "/workflows/{id}/status", h_wf_status, ODS_AUTH_REQUIRED, \
	    "execution:read", H_WF_SMALL_BODY }, \
	{ ODS_GET, "/workflows/{id}/executions", h_wf_executions, \
	    ODS_AUTH_REQUIRED, "execution:read", H_WF_SMALL_BODY }, \
	{ ODS_GET, "/executions", h_exec_list, ODS_AUTH_REQUIRED, \
	    "execution:read", H_WF_SMALL_BODY }, \
	{ ODS_GET, "/executions/{id}", h_exec_get, ODS_AUTH_REQUIRED, \
	    "execution:read", H_WF_SMALL_BODY }, \
	{ ODS_GET, "/executions/{id}/logs", h_exec_logs, ODS_AUTH_REQUIRED, \
	    "execution:read", H_WF_SMALL_BODY }, \
	{ ODS_GET, "/executions/{id}/events", h_exec_events, \
	    ODS_AUTH_REQUIRED, "execution:read", H_WF_SMALL_BODY }, \
	{ ODS_POST, "/workflows/{id}/schedules", h_wf_sched_create, \
	    ODS_AUTH_REQUIRED, "workflow:update", H_WF_RUN_BODY }, \
	{ ODS_GET, "/workflows/{id}/schedules", h_wf_sched_of, \
	    ODS_AUTH_REQUIRED, "schedule:read", H_WF_SMALL_BODY }, \
	{ ODS_GET, "/schedules", h_sched_list, ODS_AUTH_REQUIRED, \
	    "schedule:read", H_WF_SMALL_BODY }, \
	{ ODS_GET, "/schedules/{id}", h_sched_get, ODS_AUTH_REQUIRED, \
	    "schedule:read", H_WF_SMALL_BODY }, \
	{ ODS_DELETE, "/schedules/{id}", h_sched_delete, ODS_AUTH_REQUIRED, \
	    "workflow:update", H_WF_SMALL_BODY }, \
	{ ODS_POST, "/schedules/{id}/pause", h_sched_pause, \
	    ODS_AUTH_REQUIRED, "workflow:update", H_WF_SMALL_BODY }, \
	{ ODS_POST, "/schedules/{id}/resume", h_sched_resume, \
	    ODS_AUTH_REQUIRED, "workflow:update", H_WF_SMALL_BODY }, \
	{ ODS_POST, "/schedules/{id}/trigger", h_sched_trigger, \
	    ODS_AUTH_REQUIRED, "workflow:execute", H_WF_SMALL_BODY }, \
	{ ODS_PUT, "/schedules/{id}/retry-config", h_sched_retry, \
	    ODS_AUTH_REQUIRED, "workflow:update", H_WF_SMALL_BODY }, \
	{ ODS_GET, "/schedules/{id}/statistics", h_sched_stats, \
	    ODS_AUTH_REQUIRED, "schedule:read", H_WF_SMALL_BODY }

/* ?page&page_size&type&status&search: data:{workflows, total, page,
 * page_size}, newest first, the caller's and public ones. */
enum ods_status	h_wf_list(struct ods_req *, struct ods_resp *);
/*
 * {name, description?, type? (rag), definition?, visibility?}: 201
 * data:Workflow (+workflow_id); a definition is validated: 400
 * {code:40002, message:"Invalid workflow definition", errors:[...]}.
 */
enum ods_status	h_wf_create(struct ods_req *, struct ods_resp *);
/* data:Workflow with definition{nodes,edges} (null: the built-in RAG). */
enum ods_status	h_wf_get(struct ods_req *, struct ods_resp *);
/* The fields of a create, each optional; a definition is validated and
 * saved as a new version. 200 data:Workflow. */
enum ods_status	h_wf_update(struct ods_req *, struct ods_resp *);
/*
 * Deletes the workflow, its versions and schedules; its pending and
 * running runs are stopped (their jobs cancelled), not refused: data:
 * {workflow_id, deleted, stopped_executions}.
 */
enum ods_status	h_wf_delete(struct ods_req *, struct ods_resp *);
/* data:{versions:[...], total} newest first. */
enum ods_status	h_wf_versions(struct ods_req *, struct ods_resp *);
/* One version with its definition. */
enum ods_status	h_wf_version(struct ods_req *, struct ods_resp *);
/* The version's definition saved as a new version: 200 data:Workflow. */
enum ods_status	h_wf_rollback(struct ods_req *, struct ods_resp *);
/*
 * {inputs?}: the definition (or the built-in RAG) validated, a pending
 * execution and its workflow_run job: 202 data:{execution_id,
 * workflow_id, status}.
 */
enum ods_status	h_wf_start(struct ods_req *, struct ods_resp *);
/*
 * {execution_id}: 200 data:{execution_id, status:"stopped"}; 400 40001
 * without it; 404 40402 for a run not of this workflow; 409 when it had
 * ended.
 */
enum ods_status	h_wf_stop(struct ods_req *, struct ods_resp *);
/* ?execution_id: data:Execution; else data:{executions:[last 10]}. */
enum ods_status	h_wf_status(struct ods_req *, struct ods_resp *);
/* ?limit|page&page_size&status: data:{executions, total, ...}. */
enum ods_status	h_wf_executions(struct ods_req *, struct ods_resp *);
/* ?workflow_id&status&schedule_id&page&page_size|limit. */
enum ods_status	h_exec_list(struct ods_req *, struct ods_resp *);
/* data:Execution with node_results. */
enum ods_status	h_exec_get(struct ods_req *, struct ods_resp *);
/* ?after_id&limit: data:{logs, total, next_after_id, has_more}. */
enum ods_status	h_exec_logs(struct ods_req *, struct ods_resp *);
/*
 * text/event-stream of the run's events (h_wf_events.c): what happened
 * so far, then live, each "id: ...", "event: <type>", "data: <json>";
 * Last-Event-ID (or ?last_event_id) resumes after that event; ends after
 * the "end" event.
 */
enum ods_status	h_exec_events(struct ods_req *, struct ods_resp *);

/* h_wf_sched.c */
/* 201 data:Schedule (+schedule_id). */
enum ods_status	h_wf_sched_create(struct ods_req *, struct ods_resp *);
enum ods_status	h_wf_sched_of(struct ods_req *, struct ods_resp *);
/* ?workflow_id&enabled&page&page_size: data:{schedules, total, ...}. */
enum ods_status	h_sched_list(struct ods_req *, struct ods_resp *);
enum ods_status	h_sched_get(struct ods_req *, struct ods_resp *);
enum ods_status	h_sched_delete(struct ods_req *, struct ods_resp *);
enum ods_status	h_sched_pause(struct ods_req *, struct ods_resp *);
enum ods_status	h_sched_resume(struct ods_req *, struct ods_resp *);
/* A run now (paused or not): 202 data:{execution_id, schedule_id, ...}. */
enum ods_status	h_sched_trigger(struct ods_req *, struct ods_resp *);
enum ods_status	h_sched_retry(struct ods_req *, struct ods_resp *);
/* data:{schedule_id, total_runs, completed, failed, ..., success_rate}. */
enum ods_status	h_sched_stats(struct ods_req *, struct ods_resp *);

/* Shared by the three files. */
struct json_object;
struct ods_wf;
/*
 * The path's workflow as the caller sees it (writable: a change or a
 * run); sends the 404/403/5xx itself and returns NULL.
 */
struct ods_wf	*h_wf_of(struct ods_req *, struct ods_resp *, int writable,
		    enum ods_status *);
/* The body as JSON, an empty one as {} (routes that take none). */
enum ods_err	 h_wf_body(struct ods_req *, struct json_object **,
		    struct ods_why *);

#endif /* H_WORKFLOWS_H */
