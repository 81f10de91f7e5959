/*
 * fcgi/data/h_etl.c — /etl/tasks: tasks and their runs (h_etl.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ods.h"
#include "../../svc/data/etl.h"
#include "../common/h_auth.h"
#include "h_etl.h"

static enum ods_status
not_found(struct ods_resp *w)
{
	return ods_resp_error_ex(w, ODS_ENOTFOUND, ODS_C_ENTITY_NOT_FOUND,
	    "not_found", "no such ETL task");
}

static enum ods_status
forbidden(struct ods_resp *w)
{
	return ods_resp_error_ex(w, ODS_EFORBIDDEN, ODS_C_FORBIDDEN,
	    "forbidden", "only its creator or an admin may change an ETL "
	    "task");
}

static const char *
tz(struct ods_req *r)
{
	return ods_req_conf(r)->schedule_tz;
}

static enum ods_status
send_task(struct ods_resp *w, enum ods_status st, const struct ods_etl_task *t,
    const char *msg)
{
	ods_etl_json(ods_resp_envelope(w, st, msg), t);
	return ods_resp_send(w);
}

/* The task of {id} as the caller sees it, or the answer sent. */
static struct ods_etl_task *
task_of(struct ods_req *r, struct ods_resp *w, enum ods_status *hs)
{
	struct ods_etl_task	*t = NULL;
	enum ods_err		 er;

	er = ods_etl_get(ods_req_db(r), ods_req_param(r, "id"), h_owner(r),
	    &t);
	if (er == ODS_ENOTFOUND)
		*hs = not_found(w);
	else if (er != ODS_OK)
		*hs = ods_resp_error(w, er, "could not read the ETL task");
	return t;
}

enum ods_status
h_etl_list(struct ods_req *r, struct ods_resp *w)
{
	struct ods_etl_filter	 f;
	struct ods_etl_task	*v = NULL;
	struct ods_page		 pg;
	struct ods_jw		*jw;
	enum ods_status		 hs;
	enum ods_err		 er;
	int64_t			 total = 0;
	size_t			 n = 0, i;

	if (ods_req_page(r, 50, &pg) != ODS_OK)
		return ods_resp_error(w, ODS_EINVAL, "page, page_size and "
		    "limit must be integers");
	memset(&f, 0, sizeof(f));
	f.status = ods_req_query(r, "status");
	f.task_type = ods_req_query(r, "task_type");
	f.keyword = ods_req_query(r, "keyword");
	er = ods_etl_list(ods_req_db(r), h_owner(r), &f, (size_t)pg.offset,
	    (size_t)pg.page_size, &v, &n, &total);
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not list the ETL tasks");
	jw = ods_resp_list_begin(w, "tasks");
	for (i = 0; i < n; i++)
		ods_etl_json(jw, &v[i]);
	ods_jw_end(jw);
	ods_resp_list_end(jw, &pg, total);
	hs = ods_resp_send(w);
	ods_etl_list_free(v, n);
	return hs;
}

enum ods_status
h_etl_create(struct ods_req *r, struct ods_resp *w)
{
	struct json_object	*o = NULL;
	struct ods_etl_spec	 sp;
	struct ods_etl_task	*t = NULL;
	struct ods_why		 why;
	enum ods_status		 hs;
	enum ods_err		 er;

	memset(&why, 0, sizeof(why));
	if ((er = ods_req_json(r, &o, &why)) != ODS_OK ||
	    (er = ods_etl_spec_parse(o, &sp, &why)) != ODS_OK)
		return ods_resp_input_error(w, er, &why);
	er = ods_etl_create(ods_req_db(r), &sp, h_user(r), tz(r), &t, &why);
	if (er == ODS_EINVAL)
		return ods_resp_input_error(w, er, &why);
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not create the ETL task");
	hs = send_task(w, ODS_HTTP_201, t, "ETL task created successfully");
	ods_etl_free(t);
	return hs;
}

enum ods_status
h_etl_get(struct ods_req *r, struct ods_resp *w)
{
	struct ods_etl_task	*t;
	enum ods_status		 hs;

	if ((t = task_of(r, w, &hs)) == NULL)
		return hs;
	hs = send_task(w, ODS_HTTP_200, t, NULL);
	ods_etl_free(t);
	return hs;
}

enum ods_status
h_etl_update(struct ods_req *r, struct ods_resp *w)
{
	struct json_object	*o = NULL;
	struct ods_etl_spec	 sp;
	struct ods_etl_task	*t;
	struct ods_why		 why;
	enum ods_status		 hs;
	enum ods_err		 er;

	memset(&why, 0, sizeof(why));
	if ((er = ods_req_json(r, &o, &why)) != ODS_OK ||
	    (er = ods_etl_spec_parse(o, &sp, &why)) != ODS_OK)
		return ods_resp_input_error(w, er, &why);
	if ((t = task_of(r, w, &hs)) == NULL)
		return hs;
	er = ods_etl_update(ods_req_db(r), t, &sp, h_owner(r), tz(r), &why);
	if (er == ODS_EFORBIDDEN)
		hs = forbidden(w);
	else if (er == ODS_EINVAL)
		hs = ods_resp_input_error(w, er, &why);
	else if (er != ODS_OK)
		hs = ods_resp_error(w, er, "could not update the ETL task");
	else
		hs = send_task(w, ODS_HTTP_200, t, "ETL task updated "
		    "successfully");
	ods_etl_free(t);
	return hs;
}

enum ods_status
h_etl_delete(struct ods_req *r, struct ods_resp *w)
{
	struct ods_etl_task	*t;
	enum ods_status		 hs;
	enum ods_err		 er;

	if ((t = task_of(r, w, &hs)) == NULL)
		return hs;
	er = ods_etl_delete(ods_req_db(r), t, h_owner(r));
	ods_etl_free(t);
	if (er == ODS_EFORBIDDEN)
		return forbidden(w);
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not delete the ETL task");
	ods_jw_null(ods_resp_envelope(w, ODS_HTTP_200,
	    "ETL task deleted successfully"));
	return ods_resp_send(w);
}

static enum ods_status
send_run(struct ods_resp *w, enum ods_status st, const char *task,
    const char *exec, const char *status, const char *msg)
{
	struct ods_jw	*jw = ods_resp_envelope(w, st, msg);

	ods_jw_obj(jw);
	ods_jw_kstr(jw, "execution_id", exec);
	ods_jw_kstr(jw, "log_id", exec);
	ods_jw_kstr(jw, "task_id", task);
	ods_jw_kstr(jw, "status", status);
	ods_jw_end(jw);
	return ods_resp_send(w);
}

enum ods_status
h_etl_start(struct ods_req *r, struct ods_resp *w)
{
	struct ods_etl_task	*t;
	enum ods_status		 hs;
	enum ods_err		 er;
	char			 exec[40];

	if ((t = task_of(r, w, &hs)) == NULL)
		return hs;
	er = ods_etl_start(ods_req_db(r), ods_req_redis(r), t, h_user(r),
	    "manual", exec);
	if (er == ODS_ECONFLICT)
		hs = ods_resp_error_ex(w, ODS_EINVAL, ODS_C_INVALID_STATE,
		    "already_running", "a run of this task is pending or "
		    "running");
	else if (er != ODS_OK)
		hs = ods_resp_error(w, er, "could not start the ETL task");
	else
		hs = send_run(w, ODS_HTTP_202, t->task_id, exec, "pending",
		    "ETL run started");
	ods_etl_free(t);
	return hs;
}

enum ods_status
h_etl_stop(struct ods_req *r, struct ods_resp *w)
{
	struct ods_etl_task	*t;
	enum ods_status		 hs;
	enum ods_err		 er;
	char			 exec[40];

	if ((t = task_of(r, w, &hs)) == NULL)
		return hs;
	er = ods_etl_stop(ods_req_db(r), t, exec);
	if (er == ODS_ENOTFOUND)
		hs = ods_resp_error_ex(w, ODS_ENOTFOUND, ODS_C_TABLE_NOT_FOUND,
		    "not_running", "no run of this task is pending or "
		    "running");
	else if (er != ODS_OK)
		hs = ods_resp_error(w, er, "could not stop the ETL task");
	else
		hs = send_run(w, ODS_HTTP_200, t->task_id, exec, "stopped",
		    "ETL run stopped");
	ods_etl_free(t);
	return hs;
}

/* The lists of a task: executions or log lines. */
static enum ods_status
task_list(struct ods_req *r, struct ods_resp *w, int logs)
{
	struct ods_etl_task	*t;
	struct ods_page		 pg;
	struct ods_jw		*jw;
	enum ods_status		 hs;
	enum ods_err		 er;
	int64_t			 total = 0;

	if (ods_req_page(r, logs ? 200 : 50, &pg) != ODS_OK)
		return ods_resp_error(w, ODS_EINVAL, "page, page_size and "
		    "limit must be integers");
	if ((t = task_of(r, w, &hs)) == NULL)
		return hs;
	jw = ods_resp_list_begin(w, logs ? "logs" : "executions");
	er = logs ? ods_etl_logs(ods_req_db(r), t->task_id,
	    ods_req_query(r, "execution_id"), (size_t)pg.offset,
	    (size_t)pg.page_size, jw, &total) :
	    ods_etl_executions(ods_req_db(r), t->task_id, (size_t)pg.offset,
	    (size_t)pg.page_size, jw, &total);
	ods_etl_free(t);
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not read the runs");
	ods_jw_end(jw);
	ods_resp_list_end(jw, &pg, total);
	return ods_resp_send(w);
}

enum ods_status
h_etl_executions(struct ods_req *r, struct ods_resp *w)
{
	return task_list(r, w, 0);
}

enum ods_status
h_etl_logs(struct ods_req *r, struct ods_resp *w)
{
	return task_list(r, w, 1);
}
