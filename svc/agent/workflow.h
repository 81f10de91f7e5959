/*
 * svc/agent/workflow.h — the storage side of the workflow engine (issue
 * 18, reference-api §4.3 G2–G11, G24): workflows and their versions,
 * executions, their logs, and workflow schedules. The engine (wf.h,
 * fcgi/worker's job workflow_run) runs what is stored here.
 *
 * Workflows ("wf-<8 hex>") belong to their creator: every lookup takes
 * the caller's user id as owner (NULL: an admin, or the engine) and
 * another user's private workflow is ODS_ENOTFOUND. visibility "public"
 * lets others read it (and list it) but never change, run or delete it:
 * ods_wf_get with writable set answers ODS_EFORBIDDEN for those.
 *
 * Every saved definition is a row of workflow_versions: version 1 at
 * create (definition NULL when none was given: the built-in RAG graph
 * runs), version + 1 at each update that carries a definition, and a
 * rollback saves an old version's definition as a new version.
 *
 * An execution ("exec-<12 hex>") is a row of workflow_executions that
 * holds the definition and version it runs, its job (job_id) and its
 * schedule (schedule_id, NULL for a start by hand). status: pending ->
 * running -> completed | failed | stopped; ods_wf_exec_stop is the one
 * write of this side to a run, and it is conditional on pending/running,
 * as every write of the engine is, so a stopped run stays stopped.
 *
 * A workflow schedule ("schedule-<8 hex>") is a row of workflow_schedules
 * that owns one platform schedule (lib/store/ods_sched.h, named
 * "workflow:<schedule_id>", sched_id): it enqueues job workflow_run
 * {workflow_id, schedule_id} when due, once across machines, and the job
 * makes the execution (ods_wf_exec_create, triggered_by "schedule"). The
 * platform schedule runs while the row is enabled and not paused;
 * next_run_at and last_run_at are read from it.
 *
 * Thread-safe: every function takes its database pool and holds no state.
 */
#ifndef SVC_WORKFLOW_H
#define SVC_WORKFLOW_H

#include <stddef.h>
#include <stdint.h>

#include "core/ods_err.h"
/* The engine: ods_wf_validate, ods_wf_builtin_rag. */
#include "wf.h"

struct json_object;
struct ods_db;
struct ods_jw;
struct ods_redis;
struct ods_why;

#define ODS_WF_NAME_MAX		255
#define ODS_WF_DESC_MAX		4000
#define ODS_WF_DEF_MAX		((size_t)4 << 20) /* a definition's JSON */
#define ODS_WF_INPUTS_MAX	(256 * 1024)	/* a run's inputs JSON */
#define ODS_WF_COMMENT_MAX	500
#define ODS_WF_LIST_MAX		1000
#define ODS_WF_JOB_TYPE		"workflow_run"
#define ODS_WF_JOB_ATTEMPTS	3
#define ODS_WF_EV_PREFIX	"ods:wf:ev:"	/* + execution_id: events */

/* ---- workflows ---- */

struct ods_wf {
	int64_t	 id;
	char	*workflow_id;
	char	*name;
	char	*description;
	char	*type;		/* rag | agent | text2sql | sql | custom */
	char	*status;	/* stopped | running | error */
	char	*definition;	/* JSON text; NULL: none (built-in RAG) */
	char	*visibility;	/* private | public */
	char	*created_by;
	char	*created_at;	/* ISO-8601 UTC */
	char	*updated_at;
	int64_t	 version;
};

/*
 * Fields of a create or an update, borrowed from the request's JSON
 * (definition: the text of the object given, in the request's arena or
 * o's); NULL leaves the field as it is.
 */
struct ods_wf_spec {
	const char	*name;
	const char	*description;
	const char	*type;
	const char	*status;
	const char	*visibility;
	const char	*definition;	/* JSON object text */
	const char	*comment;	/* of the version saved */
};

/*
 * The body of POST or PUT /workflows into sp. definition may be an object
 * or a string holding one; null or absent leaves it unset. ODS_EINVAL
 * with why naming the field (a wrong type, an unknown type or status, a
 * definition that is not a JSON object or is over ODS_WF_DEF_MAX, a name
 * or description with markup).
 */
enum ods_err	 ods_wf_spec_parse(struct json_object *o, struct ods_wf_spec *sp,
		    struct ods_why *) ODS_MUSTCHECK;

/* Create (name required) with version 1; *out the row. */
enum ods_err	 ods_wf_create(struct ods_db *, const struct ods_wf_spec *,
		    const char *owner, struct ods_wf **out, struct ods_why *)
		    ODS_MUSTCHECK;
/*
 * By "wf-..." id or numeric id, as owner sees it (public ones too);
 * writable: owner's only (ODS_EFORBIDDEN for another's public one).
 */
enum ods_err	 ods_wf_get(struct ods_db *, const char *id, const char *owner,
		    int writable, struct ods_wf **out) ODS_MUSTCHECK;

struct ods_wf_filter {
	const char	*owner;		/* NULL: all; else its own + public */
	const char	*type;		/* NULL: any */
	const char	*status;
	const char	*search;	/* in the name */
};
/* Newest first; *total counts every match. */
enum ods_err	 ods_wf_list(struct ods_db *, const struct ods_wf_filter *,
		    size_t offset, size_t limit, struct ods_wf **out,
		    size_t *n, int64_t *total) ODS_MUSTCHECK;
/*
 * Apply sp (a definition bumps the version and saves a version row, in
 * one transaction); wf is updated in place.
 */
enum ods_err	 ods_wf_update(struct ods_db *, struct ods_wf *,
		    const struct ods_wf_spec *, const char *by,
		    struct ods_why *) ODS_MUSTCHECK;
/*
 * Delete the workflow, its versions and its schedules (their platform
 * schedules first). Its runs that are pending or running are stopped
 * (conditional update, their jobs cancelled); ended runs and their logs
 * stay, readable by an admin. *stopped (may be NULL) counts the runs
 * stopped.
 */
enum ods_err	 ods_wf_delete(struct ods_db *, const struct ods_wf *,
		    const char *by, size_t *stopped) ODS_MUSTCHECK;

void		 ods_wf_free(struct ods_wf *);
void		 ods_wf_list_free(struct ods_wf *, size_t n);
/* The Workflow object (id and workflow_id); definition{nodes,edges} when
 * with_def (null when none). */
void		 ods_wf_json(struct ods_jw *, const struct ods_wf *,
		    int with_def);

/* ---- versions ---- */

struct ods_wf_version {
	int64_t	 version;
	char	*name;
	char	*description;
	char	*definition;
	char	*comment;
	char	*created_by;
	char	*created_at;
};
/* Newest first (definitions left out: NULL). */
enum ods_err	 ods_wf_versions(struct ods_db *, const char *workflow_id,
		    struct ods_wf_version **out, size_t *n) ODS_MUSTCHECK;
enum ods_err	 ods_wf_version_get(struct ods_db *, const char *workflow_id,
		    int64_t version, struct ods_wf_version *out) ODS_MUSTCHECK;
/*
 * Save version's definition as the workflow's new current version
 * (comment "rollback to v<n>"); wf updated in place. ODS_ENOTFOUND for
 * an unknown version.
 */
enum ods_err	 ods_wf_rollback(struct ods_db *, struct ods_wf *,
		    int64_t version, const char *by) ODS_MUSTCHECK;
void		 ods_wf_version_fini(struct ods_wf_version *);
void		 ods_wf_versions_free(struct ods_wf_version *, size_t n);
void		 ods_wf_version_json(struct ods_jw *,
		    const struct ods_wf_version *, const char *workflow_id,
		    int with_def);

/* ---- executions ---- */

/*
 * Make a pending execution of workflow_id: the workflow's current
 * definition (or ods_wf_builtin_rag() when it has none) and version are
 * copied into the row, with inputs (a JSON object's text; NULL: {}),
 * triggered_by ("manual", "schedule", "api"...), created_by, schedule_id
 * (or NULL) and timeout_s (0: none). exec_id gets "exec-<12 hex>".
 * The workflow is looked up by its id alone (the caller checked who may
 * run it). Returns ODS_OK, ODS_ENOTFOUND (no such workflow), ODS_EINVAL
 * (inputs not a JSON object or too big; why says so), or a DB error.
 */
enum ods_err	 ods_wf_exec_create(struct ods_db *, const char *workflow_id,
		    const char *inputs_json, const char *triggered_by,
		    const char *created_by, const char *schedule_id,
		    int timeout_s, char exec_id[40], struct ods_why *)
		    ODS_MUSTCHECK;
/*
 * The workflow's status from its runs, after one of them (exec_id)
 * started or ended: "running" while any run is pending or running, else
 * "error" when that run failed and "stopped" when it completed or was
 * stopped (reference §4.3's Workflow.status). A status set by hand to
 * another value (draft, active) is left alone. Best effort: logged.
 */
void		 ods_wf_status_sync(struct ods_db *, const char *exec_id);
/* Record the job that runs it. */
enum ods_err	 ods_wf_exec_set_job(struct ods_db *, const char *exec_id,
		    int64_t job_id) ODS_MUSTCHECK;
/*
 * ods_wf_exec_create, then job workflow_run {execution_id} (idempotency
 * key the execution id, ODS_WF_JOB_ATTEMPTS attempts, delay_ms) and its
 * id stored on the row: what the start route and a schedule's trigger do.
 * redis (may be NULL) only wakes a worker.
 */
enum ods_err	 ods_wf_exec_start(struct ods_db *, struct ods_redis *,
		    const char *workflow_id, const char *inputs_json,
		    const char *triggered_by, const char *created_by,
		    const char *schedule_id, int timeout_s, int64_t delay_ms,
		    char exec_id[40], struct ods_why *) ODS_MUSTCHECK;

struct ods_wf_exec {
	int64_t	 id;
	char	*execution_id;
	char	*workflow_id;
	char	*status;
	char	*inputs;	/* JSON text or NULL */
	char	*outputs;
	char	*node_results;
	char	*error;
	char	*triggered_by;
	char	*schedule_id;
	char	*created_by;
	char	*started_at;
	char	*completed_at;
	char	*created_at;
	char	*updated_at;
	int64_t	 duration_ms;	/* -1: null */
	int64_t	 job_id;	/* 0: none */
	int64_t	 version;
	int64_t	 timeout_s;
	int64_t	 progress;
	int64_t	 attempt;
};

/*
 * One execution as owner sees it (the owner of its workflow, or its
 * creator; NULL: any). ODS_ENOTFOUND.
 */
enum ods_err	 ods_wf_exec_get(struct ods_db *, const char *exec_id,
		    const char *owner, struct ods_wf_exec **out) ODS_MUSTCHECK;

struct ods_wf_exec_filter {
	const char	*owner;		/* NULL: all */
	const char	*workflow_id;	/* NULL: any */
	const char	*status;
	const char	*schedule_id;
};
/* Newest first, without inputs/outputs/node_results unless full. */
enum ods_err	 ods_wf_exec_list(struct ods_db *,
		    const struct ods_wf_exec_filter *, size_t offset,
		    size_t limit, struct ods_wf_exec **out, size_t *n,
		    int64_t *total) ODS_MUSTCHECK;
/*
 * Stop a pending or running execution: status stopped, completed_at,
 * error "stopped by <by>", a log row, and its job cancelled (the worker
 * sees the cancel within a heartbeat and aborts). ODS_OK, ODS_ENOTFOUND,
 * ODS_ECONFLICT (it had ended: *status, if not NULL, says how; a
 * strdup'ed string), or a DB error.
 */
enum ods_err	 ods_wf_exec_stop(struct ods_db *, const char *exec_id,
		    const char *by, char **status) ODS_MUSTCHECK;
/* 1 when status is completed, failed or stopped. */
int		 ods_wf_exec_ended(const char *status);
void		 ods_wf_exec_free(struct ods_wf_exec *);
void		 ods_wf_exec_list_free(struct ods_wf_exec *, size_t n);
/*
 * The Execution object (id = execution_id); full: inputs, outputs,
 * node_results (the stored JSON, as JSON).
 */
void		 ods_wf_exec_json(struct ods_jw *, const struct ods_wf_exec *,
		    int full);

struct ods_wf_log {
	int64_t	 id;
	char	*node_id;
	char	*level;
	char	*message;
	char	*event;
	char	*timestamp;
	int64_t	 attempt;	/* -1: null, as the two below */
	int64_t	 duration_ms;
	int64_t	 output_bytes;
};
/* Rows of exec_id with id > after_id, oldest first, at most limit. */
enum ods_err	 ods_wf_logs(struct ods_db *, const char *exec_id,
		    int64_t after_id, size_t limit, struct ods_wf_log **out,
		    size_t *n) ODS_MUSTCHECK;
void		 ods_wf_logs_free(struct ods_wf_log *, size_t n);
void		 ods_wf_log_json(struct ods_jw *, const struct ods_wf_log *,
		    const char *exec_id);

/* ---- schedules ---- */

struct ods_wf_sched {
	int64_t	 id;
	char	*schedule_id;
	char	*workflow_id;
	char	*schedule_type;		/* cron | interval */
	char	*cron_expression;
	char	*time_zone;
	char	*inputs;		/* JSON text or NULL */
	char	*description;
	char	*created_by;
	char	*created_at;
	char	*updated_at;
	char	*last_retry_at;
	int64_t	 interval_seconds;	/* 0: none */
	int	 enabled;
	int	 paused;
	int64_t	 max_retries;
	int64_t	 retry_count;
	int64_t	 retry_delay_seconds;
	double	 retry_backoff_base;
	int64_t	 timeout_seconds;
	int64_t	 sched_id;		/* the platform schedule; 0: none */
	int64_t	 next_run_at;		/* epoch s, from it; 0: none */
	int64_t	 last_run_at;
};

/* The body of POST /workflows/{id}/schedules (strings borrowed). */
struct ods_wf_sched_spec {
	const char	*schedule_type;
	const char	*cron_expression;
	int64_t		 interval_seconds;
	const char	*time_zone;	/* NULL: the platform's default */
	const char	*inputs;	/* JSON object text or NULL */
	const char	*description;
	int		 enabled;	/* default 1 */
	int		 paused;
	int64_t		 max_retries;		/* 0..10, default 0 */
	int64_t		 retry_delay_seconds;	/* 1..86400, default 60 */
	double		 retry_backoff_base;	/* 1..10, default 2 */
	int64_t		 timeout_seconds;	/* 1..86400, default 3600 */
};
/* Retry settings only (PUT /schedules/{id}/retry-config): -1 unset. */
struct ods_wf_retry_spec {
	int64_t	 max_retries;
	int64_t	 retry_delay_seconds;
	double	 retry_backoff_base;	/* < 0: unset */
	int64_t	 timeout_seconds;
};

/*
 * Parse a schedule's body (type event: ODS_EINVAL "unsupported").
 * ods_wf_retry_parse: the retry settings of o into rs, each optional.
 */
enum ods_err	 ods_wf_sched_parse(struct json_object *o,
		    struct ods_wf_sched_spec *, struct ods_why *) ODS_MUSTCHECK;
enum ods_err	 ods_wf_retry_parse(struct json_object *o,
		    struct ods_wf_retry_spec *, struct ods_why *) ODS_MUSTCHECK;

/*
 * The row and its platform schedule (tz: the platform's default zone
 * when the spec has none). ODS_EINVAL naming the field (a bad cron
 * expression or zone).
 */
enum ods_err	 ods_wf_sched_create(struct ods_db *, const struct ods_wf *,
		    const struct ods_wf_sched_spec *, const char *tz,
		    const char *owner, struct ods_wf_sched **out,
		    struct ods_why *) ODS_MUSTCHECK;
/*
 * By "schedule-..." id as owner sees it (the owner of its workflow or
 * its creator; NULL: any); next/last run from the platform schedule.
 */
enum ods_err	 ods_wf_sched_get(struct ods_db *, const char *schedule_id,
		    const char *owner, struct ods_wf_sched **out) ODS_MUSTCHECK;

struct ods_wf_sched_filter {
	const char	*owner;
	const char	*workflow_id;
	int		 enabled;	/* -1: any */
};
enum ods_err	 ods_wf_sched_list(struct ods_db *,
		    const struct ods_wf_sched_filter *, size_t offset,
		    size_t limit, struct ods_wf_sched **out, size_t *n,
		    int64_t *total) ODS_MUSTCHECK;
/* The platform schedule, then the row. */
enum ods_err	 ods_wf_sched_delete(struct ods_db *,
		    const struct ods_wf_sched *) ODS_MUSTCHECK;
/* paused 1: no regular runs until resumed; 0: again from now. */
enum ods_err	 ods_wf_sched_pause(struct ods_db *, struct ods_wf_sched *,
		    int paused) ODS_MUSTCHECK;
enum ods_err	 ods_wf_sched_retry_set(struct ods_db *, struct ods_wf_sched *,
		    const struct ods_wf_retry_spec *) ODS_MUSTCHECK;

struct ods_wf_sched_stats {
	int64_t	 total, pending, running, completed, failed, stopped;
	double	 avg_duration_ms;	/* of the completed ones */
	char	 last_run_at[32];	/* "" when none */
	char	 last_status[16];
};
enum ods_err	 ods_wf_sched_stats(struct ods_db *, const char *schedule_id,
		    struct ods_wf_sched_stats *) ODS_MUSTCHECK;

/*
 * After a scheduled run ended (the engine calls this with the ended
 * execution): a completed run resets the schedule's retry_count; a failed
 * one is retried while retry_count < max_retries: retry_count + 1,
 * last_retry_at, and a job workflow_run {workflow_id, schedule_id,
 * retry_of} enqueued with delay_ms = retry_delay_seconds * 1000 *
 * retry_backoff_base ^ (retry_count before it), at most 1 day, with
 * idempotency key "wf-retry:<exec_id>" (so a second call for the same run
 * enqueues nothing). *retried (may be NULL): 1 when a retry was queued;
 * *delay_ms (may be NULL) its delay. Runs without a schedule, stopped
 * ones and a deleted schedule: ODS_OK, nothing done.
 */
enum ods_err	 ods_wf_sched_after_run(struct ods_db *, struct ods_redis *,
		    const char *exec_id, int *retried, int64_t *delay_ms)
		    ODS_MUSTCHECK;
/*
 * The delay of retry n (0 for the first) of s: retry_delay_seconds *
 * 1000 * backoff ^ n, clamped to [0, 86400000] ms.
 */
int64_t		 ods_wf_retry_delay_ms(int64_t delay_s, double backoff,
		    int64_t n);

void		 ods_wf_sched_free(struct ods_wf_sched *);
void		 ods_wf_sched_list_free(struct ods_wf_sched *, size_t n);
/* The Schedule object of §4.3 (id = schedule_id), times ISO-8601 UTC. */
void		 ods_wf_sched_json(struct ods_jw *, const struct ods_wf_sched *);

#endif /* SVC_WORKFLOW_H */
