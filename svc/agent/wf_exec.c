/*
 * svc/agent/wf_exec.c — executions of workflows and their logs
 * (workflow.h): the pending row a run starts from, its job, reads, and
 * the stop, the one write of the API side to a run.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_err.h"
#include "core/ods_json.h"
#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "store/ods_db.h"
#include "store/ods_jobs.h"
#include "workflow.h"
#include "agent_int.h"

/* The columns of struct ods_wf_exec, in row_to's order. */
#define ECOLS(nr) "e.id, e.execution_id, e.workflow_id, e.status, " \
	"e.inputs, e.outputs, " nr ", e.error, e.triggered_by, " \
	"e.schedule_id, e.created_by, " WFI_TS3("e.started_at") ", " \
	WFI_TS3("e.completed_at") ", " WFI_TS3("e.created_at") ", " \
	WFI_TS3("e.updated_at") ", e.duration_ms, e.job_id, e.version, " \
	"e.timeout_s, e.progress, e.attempt"

/* Who may see an execution: its workflow's owner or its creator. */
#define EOWNER "(? = 1 OR e.created_by = ? OR EXISTS (SELECT 1 FROM " \
	"workflows w WHERE w.workflow_id = e.workflow_id AND w.created_by = " \
	"?))"

int
ods_wf_exec_ended(const char *st)
{
	return st != NULL && (strcmp(st, "completed") == 0 ||
	    strcmp(st, "failed") == 0 || strcmp(st, "stopped") == 0);
}

enum ods_err
ods_wf_exec_create(struct ods_db *db, const char *workflow_id,
    const char *inputs_json, const char *triggered_by,
    const char *created_by, const char *schedule_id, int timeout_s,
    char exec_id[40], struct ods_why *why)
{
	struct ods_db_res	*res = NULL;
	struct json_object	*in = NULL;
	struct ods_db_arg	 a[10];
	const char		*def;
	enum ods_err		 er;

	exec_id[0] = '\0';
	if (inputs_json == NULL || *inputs_json == '\0')
		inputs_json = "{}";
	if (strlen(inputs_json) > ODS_WF_INPUTS_MAX) {
		ods_why_set(why, "inputs", "inputs are over %d bytes",
		    ODS_WF_INPUTS_MAX);
		return ODS_EINVAL;
	}
	if (ods_json_parse(inputs_json, strlen(inputs_json), 0, &in, NULL) !=
	    ODS_OK || !ods_json_is_obj(in)) {
		ods_json_put(in);
		ods_why_set(why, "inputs", "inputs must be a JSON object");
		return ODS_EINVAL;
	}
	ods_json_put(in);
	if (workflow_id == NULL || strlen(workflow_id) > 64)
		return ODS_ENOTFOUND;
	a[0] = ods_db_text(workflow_id);
	if ((er = ods_db_query_once(db, "SELECT definition, version FROM "
	    "workflows WHERE workflow_id = ?", a, 1, 1, &res)) != ODS_OK)
		return er;
	if (ods_db_res_nrows(res) == 0) {
		ods_db_res_free(res);
		ods_why_set(why, "workflow_id", "no workflow '%s'",
		    workflow_id);
		return ODS_ENOTFOUND;
	}
	/* The run follows this copy, never a later edit. */
	if ((def = ods_db_res_text(res, 0, 0, NULL)) == NULL)
		def = ods_wf_builtin_rag();
	wfi_new_id("exec", 6, exec_id, 40);
	a[0] = ods_db_text(exec_id);
	a[1] = ods_db_text(workflow_id);
	a[2] = ods_db_text(inputs_json);
	a[3] = ods_db_text(triggered_by != NULL ? triggered_by : "manual");
	a[4] = ods_db_text(created_by != NULL ? created_by : "");
	a[5] = ods_db_text(schedule_id);
	a[6] = timeout_s > 0 ? ods_db_int(timeout_s) : ods_db_null();
	a[7] = ods_db_int(ods_db_res_int0(res, 0, 1));
	a[8] = ods_db_text(def);
	er = ods_db_exec_once(db, "INSERT INTO workflow_executions "
	    "(execution_id, workflow_id, status, inputs, triggered_by, "
	    "created_by, schedule_id, timeout_s, version, definition, "
	    "updated_at) VALUES (?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, NOW(3))",
	    a, 9, NULL);
	ods_db_res_free(res);
	if (er != ODS_OK)
		exec_id[0] = '\0';
	return er;
}

enum ods_err
ods_wf_exec_set_job(struct ods_db *db, const char *exec_id, int64_t job_id)
{
	struct ods_db_arg	a[2];

	a[0] = ods_db_int(job_id);
	a[1] = ods_db_text(exec_id);
	return ods_db_exec_once(db, "UPDATE workflow_executions SET job_id = "
	    "?, updated_at = NOW(3) WHERE execution_id = ?", a, 2, NULL);
}

/* A run that never got its job: failed, so nobody waits for it. */
static void
fail_unqueued(struct ods_db *db, const char *exec_id, enum ods_err er)
{
	struct ods_db_arg	a[2];
	char			msg[128];

	snprintf(msg, sizeof(msg), "the run could not be queued: %s",
	    ods_strerror(er));
	a[0] = ods_db_text(msg);
	a[1] = ods_db_text(exec_id);
	if (ods_db_exec_once(db, "UPDATE workflow_executions SET status = "
	    "'failed', error = ?, completed_at = NOW(3), updated_at = NOW(3) "
	    "WHERE execution_id = ? AND status = 'pending'", a, 2, NULL) !=
	    ODS_OK)
		ods_log(ODS_LOG_WARN, "wf_exec_fail_unqueued exec=%s", exec_id);
}

void
ods_wf_status_sync(struct ods_db *db, const char *exec_id)
{
	struct ods_db_arg	a[1];

	a[0] = ods_db_text(exec_id);
	/* updated_at kept: a run is not an edit of the workflow. */
	if (ods_db_exec_once(db, "UPDATE workflows w JOIN workflow_executions "
	    "x ON x.workflow_id = w.workflow_id AND x.execution_id = ? SET "
	    "w.status = CASE WHEN EXISTS (SELECT 1 FROM workflow_executions e "
	    "WHERE e.workflow_id = w.workflow_id AND e.status IN ('pending', "
	    "'running')) THEN 'running' WHEN x.status = 'failed' THEN 'error' "
	    "ELSE 'stopped' END, w.updated_at = w.updated_at WHERE "
	    "w.status IN ('stopped', 'running', 'error')", a, 1, NULL) != ODS_OK)
		ods_log(ODS_LOG_WARN, "wf_status_sync_failed exec=%s", exec_id);
}

enum ods_err
ods_wf_exec_start(struct ods_db *db, struct ods_redis *redis,
    const char *workflow_id, const char *inputs_json,
    const char *triggered_by, const char *created_by,
    const char *schedule_id, int timeout_s, int64_t delay_ms,
    char exec_id[40], struct ods_why *why)
{
	struct ods_jobs_spec	js;
	char			payload[96];
	int64_t			job = 0;
	int			existed = 0;
	enum ods_err		er;

	if ((er = ods_wf_exec_create(db, workflow_id, inputs_json,
	    triggered_by, created_by, schedule_id, timeout_s, exec_id, why)) !=
	    ODS_OK)
		return er;
	snprintf(payload, sizeof(payload), "{\"execution_id\":\"%s\"}",
	    exec_id);
	memset(&js, 0, sizeof(js));
	js.type = ODS_WF_JOB_TYPE;
	js.payload = payload;
	js.created_by = created_by;
	js.idempotency_key = exec_id;
	js.max_attempts = ODS_WF_JOB_ATTEMPTS;
	js.delay_ms = delay_ms;
	if ((er = ods_jobs_enqueue(db, redis, &js, &job, &existed)) != ODS_OK ||
	    (er = ods_wf_exec_set_job(db, exec_id, job)) != ODS_OK) {
		/* A job queued but not recorded still runs the row. */
		if (job == 0)
			fail_unqueued(db, exec_id, er);
		return er;
	}
	ods_wf_status_sync(db, exec_id);
	return ODS_OK;
}

static void
row_to(const struct ods_db_res *res, size_t i, struct ods_wf_exec *e)
{
	memset(e, 0, sizeof(*e));
	e->id = ods_db_res_int0(res, i, 0);
	e->execution_id = ods_db_res_strdup(res, i, 1);
	e->workflow_id = ods_db_res_strdup(res, i, 2);
	e->status = ods_db_res_strdup(res, i, 3);
	e->inputs = ods_db_res_strdup(res, i, 4);
	e->outputs = ods_db_res_strdup(res, i, 5);
	e->node_results = ods_db_res_strdup(res, i, 6);
	e->error = ods_db_res_strdup(res, i, 7);
	e->triggered_by = ods_db_res_strdup(res, i, 8);
	e->schedule_id = ods_db_res_strdup(res, i, 9);
	e->created_by = ods_db_res_strdup(res, i, 10);
	e->started_at = ods_db_res_strdup(res, i, 11);
	e->completed_at = ods_db_res_strdup(res, i, 12);
	e->created_at = ods_db_res_strdup(res, i, 13);
	e->updated_at = ods_db_res_strdup(res, i, 14);
	e->duration_ms = ods_db_res_isnull(res, i, 15) ? -1 :
	    ods_db_res_int0(res, i, 15);
	e->job_id = ods_db_res_int0(res, i, 16);
	e->version = ods_db_res_int0(res, i, 17);
	e->timeout_s = ods_db_res_int0(res, i, 18);
	e->progress = ods_db_res_int0(res, i, 19);
	e->attempt = ods_db_res_int0(res, i, 20);
}

static void
exec_fini(struct ods_wf_exec *e)
{
	free(e->execution_id);
	free(e->workflow_id);
	free(e->status);
	free(e->inputs);
	free(e->outputs);
	free(e->node_results);
	free(e->error);
	free(e->triggered_by);
	free(e->schedule_id);
	free(e->created_by);
	free(e->started_at);
	free(e->completed_at);
	free(e->created_at);
	free(e->updated_at);
	memset(e, 0, sizeof(*e));
}

void
ods_wf_exec_free(struct ods_wf_exec *e)
{
	if (e == NULL)
		return;
	exec_fini(e);
	free(e);
}

void
ods_wf_exec_list_free(struct ods_wf_exec *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		exec_fini(&v[i]);
	free(v);
}

/*
 * node_results of a run whose engine has not written them whole yet:
 * {<node_id>: {status, result | error, attempts, duration_ms}} from the
 * nodes recorded so far.
 */
static enum ods_err
node_results(struct ods_db *db, struct ods_wf_exec *e)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[1];
	struct ods_buf		 b;
	struct ods_jw		 jw;
	enum ods_err		 er;
	const char		*out;
	size_t			 i, n;

	a[0] = ods_db_text(e->execution_id);
	if ((er = ods_db_query_once(db, "SELECT node_id, node_type, status, "
	    "attempts, output, error, duration_ms FROM workflow_node_runs "
	    "WHERE execution_id = ? ORDER BY id", a, 1, 0, &res)) != ODS_OK)
		return er;
	if ((n = ods_db_res_nrows(res)) == 0) {
		ods_db_res_free(res);
		return ODS_OK;
	}
	ods_buf_init(&b, 48u << 20);
	ods_jw_init(&jw, &b);
	ods_jw_obj(&jw);
	for (i = 0; i < n; i++) {
		ods_jw_key(&jw, ods_db_res_text(res, i, 0, NULL));
		ods_jw_obj(&jw);
		ods_jw_kstr(&jw, "node_type", ods_db_res_text(res, i, 1, NULL));
		ods_jw_kstr(&jw, "status", ods_db_res_text(res, i, 2, NULL));
		ods_jw_kint(&jw, "attempts", ods_db_res_int0(res, i, 3));
		if ((out = ods_db_res_text(res, i, 4, NULL)) != NULL) {
			ods_jw_key(&jw, "result");
			wfi_raw_json(&jw, out);
		}
		if (!ods_db_res_isnull(res, i, 5))
			ods_jw_kstr(&jw, "error", ods_db_res_text(res, i, 5,
			    NULL));
		if (!ods_db_res_isnull(res, i, 6))
			ods_jw_kint(&jw, "duration_ms",
			    ods_db_res_int0(res, i, 6));
		ods_jw_end(&jw);
	}
	ods_jw_end(&jw);
	ods_db_res_free(res);
	if ((er = ods_jw_error(&jw)) == ODS_OK)
		e->node_results = ods_buf_take(&b, NULL);
	ods_buf_free(&b);
	return er == ODS_ETOOBIG ? ODS_OK : er;
}

enum ods_err
ods_wf_exec_get(struct ods_db *db, const char *exec_id, const char *owner,
    struct ods_wf_exec **out)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[4];
	enum ods_err		 er;

	*out = NULL;
	if (exec_id == NULL || *exec_id == '\0' || strlen(exec_id) > 64)
		return ODS_ENOTFOUND;
	a[0] = ods_db_text(exec_id);
	a[1] = ods_db_int(owner == NULL);
	a[2] = ods_db_text(owner != NULL ? owner : "");
	a[3] = ods_db_text(owner != NULL ? owner : "");
	er = ods_db_query_once(db, "SELECT " ECOLS("e.node_results") " FROM "
	    "workflow_executions e WHERE e.execution_id = ? AND " EOWNER, a, 4,
	    1, &res);
	if (er == ODS_OK && ods_db_res_nrows(res) == 0)
		er = ODS_ENOTFOUND;
	if (er == ODS_OK) {
		*out = ods_xcalloc(1, sizeof(**out));
		row_to(res, 0, *out);
		if ((*out)->node_results == NULL)
			er = node_results(db, *out);
		if (er != ODS_OK) {
			ods_wf_exec_free(*out);
			*out = NULL;
		}
	}
	ods_db_res_free(res);
	return er;
}

enum ods_err
ods_wf_exec_list(struct ods_db *db, const struct ods_wf_exec_filter *f,
    size_t offset, size_t limit, struct ods_wf_exec **out, size_t *n,
    int64_t *total)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_res	*res = NULL, *cnt = NULL;
	struct ods_db_arg	 a[12];
	enum ods_err		 er;
	size_t			 i;

	*out = NULL;
	*n = 0;
	*total = 0;
	if (limit == 0 || limit > ODS_WF_LIST_MAX)
		limit = ODS_WF_LIST_MAX;
	a[0] = ods_db_int(f->owner == NULL);
	a[1] = ods_db_text(f->owner != NULL ? f->owner : "");
	a[2] = ods_db_text(f->owner != NULL ? f->owner : "");
	a[3] = ods_db_text(f->workflow_id);
	a[4] = ods_db_text(f->workflow_id);
	a[5] = ods_db_text(f->status);
	a[6] = ods_db_text(f->status);
	a[7] = ods_db_text(f->schedule_id);
	a[8] = ods_db_text(f->schedule_id);
	a[9] = ods_db_int((int64_t)limit);
	a[10] = ods_db_int((int64_t)offset);
#define WHERE " FROM workflow_executions e WHERE " EOWNER " AND (? IS NULL " \
	"OR e.workflow_id = ?) AND (? IS NULL OR e.status = ?) AND (? IS " \
	"NULL OR e.schedule_id = ?)"
	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	/* Lists leave node_results out: GET one has them. */
	er = ods_db_query(c, "SELECT " ECOLS("NULL") WHERE " ORDER BY e.id "
	    "DESC LIMIT ? OFFSET ?", a, 11, limit, &res);
	if (er == ODS_OK)
		er = ods_db_query(c, "SELECT COUNT(*)" WHERE, a, 9, 1, &cnt);
#undef WHERE
	ods_db_release(c);
	if (er == ODS_OK)
		er = ods_db_res_int(cnt, 0, 0, total);
	if (er == ODS_OK && (*n = ods_db_res_nrows(res)) > 0) {
		*out = ods_xcalloc(*n, sizeof(**out));
		for (i = 0; i < *n; i++)
			row_to(res, i, &(*out)[i]);
	}
	ods_db_res_free(res);
	ods_db_res_free(cnt);
	return er;
}

enum ods_err
ods_wf_exec_stop(struct ods_db *db, const char *exec_id, const char *by,
    char **status)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[3];
	char			 msg[200];
	uint64_t		 n = 0;
	int64_t			 job;
	enum ods_err		 er;

	if (status != NULL)
		*status = NULL;
	snprintf(msg, sizeof(msg), "stopped by %s", by != NULL && *by != '\0' ?
	    by : "the system");
	a[0] = ods_db_text(msg);
	a[1] = ods_db_text(exec_id);
	/*
	 * Conditional, as every write of a run: whoever ends the run first
	 * wins, and the engine's later writes (WHERE status IN pending,
	 * running) find nothing to change.
	 */
	if ((er = ods_db_exec_once(db, "UPDATE workflow_executions SET status "
	    "= 'stopped', error = ?, completed_at = NOW(3), updated_at = "
	    "NOW(3), duration_ms = TIMESTAMPDIFF(MICROSECOND, "
	    "COALESCE(started_at, created_at), NOW(3)) DIV 1000 WHERE "
	    "execution_id = ? AND status IN ('pending', 'running')", a, 2,
	    &n)) != ODS_OK)
		return er;
	if ((er = ods_db_query_once(db, "SELECT status, job_id FROM "
	    "workflow_executions WHERE execution_id = ?", a + 1, 1, 1, &res)) !=
	    ODS_OK)
		return er;
	if (ods_db_res_nrows(res) == 0) {
		ods_db_res_free(res);
		return ODS_ENOTFOUND;
	}
	if (n == 0) {
		if (status != NULL)
			*status = ods_db_res_strdup(res, 0, 0);
		ods_db_res_free(res);
		return ODS_ECONFLICT;
	}
	job = ods_db_res_int0(res, 0, 1);
	ods_db_res_free(res);
	a[0] = ods_db_text(exec_id);
	a[1] = ods_db_text(msg);
	if (ods_db_exec_once(db, "INSERT INTO execution_logs (execution_id, "
	    "node_id, level, message, event) VALUES (?, NULL, 'warning', ?, "
	    "'stop')", a, 2, NULL) != ODS_OK)
		ods_log(ODS_LOG_WARN, "wf_stop_log_failed exec=%s", exec_id);
	/*
	 * The job: a queued one is cancelled at once, a running one is told
	 * to stop and its worker aborts within a heartbeat. Ended already
	 * (ECONFLICT) or gone: nothing to do.
	 */
	if (job > 0 && (er = ods_jobs_cancel(db, job, NULL, NULL)) != ODS_OK &&
	    er != ODS_ECONFLICT && er != ODS_ENOTFOUND)
		return er;
	ods_wf_status_sync(db, exec_id);
	if (status != NULL)
		*status = ods_xstrdup("stopped");
	return ODS_OK;
}

void
ods_wf_exec_json(struct ods_jw *jw, const struct ods_wf_exec *e, int full)
{
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "id", e->execution_id);
	ods_jw_kstr(jw, "execution_id", e->execution_id);
	ods_jw_kstr(jw, "workflow_id", e->workflow_id);
	ods_jw_kstr(jw, "status", e->status);
	ods_jw_key(jw, "inputs");
	wfi_raw_json(jw, e->inputs);
	ods_jw_key(jw, "outputs");
	wfi_raw_json(jw, e->outputs);
	if (full) {
		ods_jw_key(jw, "node_results");
		wfi_raw_json(jw, e->node_results);
	}
	ods_jw_kstr(jw, "error", e->error);
	ods_jw_kstr(jw, "triggered_by", e->triggered_by);
	ods_jw_kstr(jw, "schedule_id", e->schedule_id);
	ods_jw_kstr(jw, "created_by", e->created_by);
	ods_jw_kint(jw, "version", e->version);
	ods_jw_kint(jw, "progress", e->progress);
	ods_jw_kint(jw, "attempt", e->attempt);
	if (e->job_id > 0)
		ods_jw_kint(jw, "job_id", e->job_id);
	else {
		ods_jw_key(jw, "job_id");
		ods_jw_null(jw);
	}
	if (e->timeout_s > 0)
		ods_jw_kint(jw, "timeout_s", e->timeout_s);
	ods_jw_kstr(jw, "started_at", e->started_at);
	ods_jw_kstr(jw, "completed_at", e->completed_at);
	if (e->duration_ms >= 0)
		ods_jw_kint(jw, "duration_ms", e->duration_ms);
	else {
		ods_jw_key(jw, "duration_ms");
		ods_jw_null(jw);
	}
	ods_jw_kstr(jw, "created_at", e->created_at);
	ods_jw_kstr(jw, "updated_at", e->updated_at);
	ods_jw_end(jw);
}

/* ---- logs ---- */

enum ods_err
ods_wf_logs(struct ods_db *db, const char *exec_id, int64_t after_id,
    size_t limit, struct ods_wf_log **out, size_t *n)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[3];
	struct ods_wf_log	*l;
	enum ods_err		 er;
	size_t			 i;

	*out = NULL;
	*n = 0;
	if (limit == 0 || limit > ODS_WF_LIST_MAX)
		limit = ODS_WF_LIST_MAX;
	a[0] = ods_db_text(exec_id);
	a[1] = ods_db_int(after_id);
	a[2] = ods_db_int((int64_t)limit);
	er = ods_db_query_once(db, "SELECT id, node_id, level, message, event, "
	    WFI_TS3("`timestamp`") ", attempt, duration_ms, output_bytes FROM "
	    "execution_logs WHERE execution_id = ? AND id > ? ORDER BY id "
	    "LIMIT ?", a, 3, limit, &res);
	if (er == ODS_OK && (*n = ods_db_res_nrows(res)) > 0) {
		*out = ods_xcalloc(*n, sizeof(**out));
		for (i = 0; i < *n; i++) {
			l = &(*out)[i];
			l->id = ods_db_res_int0(res, i, 0);
			l->node_id = ods_db_res_strdup(res, i, 1);
			l->level = ods_db_res_strdup(res, i, 2);
			l->message = ods_db_res_strdup(res, i, 3);
			l->event = ods_db_res_strdup(res, i, 4);
			l->timestamp = ods_db_res_strdup(res, i, 5);
			l->attempt = ods_db_res_isnull(res, i, 6) ? -1 :
			    ods_db_res_int0(res, i, 6);
			l->duration_ms = ods_db_res_isnull(res, i, 7) ? -1 :
			    ods_db_res_int0(res, i, 7);
			l->output_bytes = ods_db_res_isnull(res, i, 8) ? -1 :
			    ods_db_res_int0(res, i, 8);
		}
	}
	ods_db_res_free(res);
	return er;
}

void
ods_wf_logs_free(struct ods_wf_log *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(v[i].node_id);
		free(v[i].level);
		free(v[i].message);
		free(v[i].event);
		free(v[i].timestamp);
	}
	free(v);
}

static void
kint_or_null(struct ods_jw *jw, const char *k, int64_t v)
{
	ods_jw_key(jw, k);
	if (v >= 0)
		ods_jw_int(jw, v);
	else
		ods_jw_null(jw);
}

void
ods_wf_log_json(struct ods_jw *jw, const struct ods_wf_log *l,
    const char *exec_id)
{
	ods_jw_obj(jw);
	ods_jw_kint(jw, "id", l->id);
	ods_jw_kstr(jw, "execution_id", exec_id);
	ods_jw_kstr(jw, "node_id", l->node_id);
	ods_jw_kstr(jw, "level", l->level);
	ods_jw_kstr(jw, "message", l->message);
	ods_jw_kstr(jw, "event", l->event);
	kint_or_null(jw, "attempt", l->attempt);
	kint_or_null(jw, "duration_ms", l->duration_ms);
	kint_or_null(jw, "output_bytes", l->output_bytes);
	ods_jw_kstr(jw, "timestamp", l->timestamp);
	ods_jw_end(jw);
}
