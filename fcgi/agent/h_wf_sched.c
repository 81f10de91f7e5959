/*
 * fcgi/agent/h_wf_sched.c — workflow schedules (h_workflows.h, reference-
 * api §4.3 G24): /workflows/{id}/schedules and /schedules/... on
 * svc/agent/workflow.h. A schedule is seen by its workflow's owner and
 * its creator (h_owner); anyone else gets a 404.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ods.h"
#include "../../svc/agent/workflow.h"
#include "../common/h_auth.h"
#include "h_workflows.h"

static struct ods_wf_sched *
sched_of(struct ods_req *r, struct ods_resp *w, enum ods_status *hs)
{
	struct ods_wf_sched	*s = NULL;
	enum ods_err		 er;

	er = ods_wf_sched_get(ods_req_db(r), ods_req_param(r, "id"),
	    h_owner(r), &s);
	if (er == ODS_ENOTFOUND)
		*hs = ods_resp_error_ex(w, er, ODS_C_ENTITY_NOT_FOUND,
		    "not_found", "Schedule not found");
	else if (er != ODS_OK)
		*hs = ods_resp_error(w, er, "could not read the schedule");
	return s;
}

static enum ods_status
send_sched(struct ods_resp *w, enum ods_status st,
    const struct ods_wf_sched *s, const char *msg)
{
	ods_wf_sched_json(ods_resp_envelope(w, st, msg), s);
	return ods_resp_send(w);
}

enum ods_status
h_wf_sched_create(struct ods_req *r, struct ods_resp *w)
{
	struct json_object		*o = NULL;
	struct ods_wf_sched_spec	 sp;
	struct ods_wf_sched		*s = NULL;
	struct ods_wf			*wf;
	struct ods_why			 why;
	enum ods_status			 hs;
	enum ods_err			 er;

	memset(&why, 0, sizeof(why));
	if ((er = ods_req_json(r, &o, &why)) != ODS_OK ||
	    (er = ods_wf_sched_parse(o, &sp, &why)) != ODS_OK)
		return ods_resp_input_error(w, er, &why);
	if ((wf = h_wf_of(r, w, 1, &hs)) == NULL)
		return hs;
	er = ods_wf_sched_create(ods_req_db(r), wf, &sp,
	    ods_req_conf(r)->schedule_tz, h_user(r), &s, &why);
	ods_wf_free(wf);
	if (er == ODS_EINVAL)
		return ods_resp_input_error(w, er, &why);
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not create the schedule");
	hs = send_sched(w, ODS_HTTP_201, s, "Schedule created");
	ods_wf_sched_free(s);
	return hs;
}

static enum ods_status
send_list(struct ods_req *r, struct ods_resp *w,
    const struct ods_wf_sched_filter *f, const struct ods_page *pg)
{
	struct ods_wf_sched	*v = NULL;
	struct ods_jw		*jw;
	enum ods_status		 hs;
	enum ods_err		 er;
	int64_t			 total = 0;
	size_t			 n = 0, i;

	er = ods_wf_sched_list(ods_req_db(r), f, (size_t)pg->offset,
	    (size_t)pg->page_size, &v, &n, &total);
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not list the schedules");
	jw = ods_resp_list_begin(w, "schedules");
	for (i = 0; i < n; i++)
		ods_wf_sched_json(jw, &v[i]);
	ods_jw_end(jw);
	ods_resp_list_end(jw, pg, total);
	hs = ods_resp_send(w);
	ods_wf_sched_list_free(v, n);
	return hs;
}

enum ods_status
h_wf_sched_of(struct ods_req *r, struct ods_resp *w)
{
	struct ods_wf_sched_filter	 f;
	struct ods_page			 pg;
	struct ods_wf			*wf;
	enum ods_status			 hs;

	if (ods_req_page(r, 50, &pg) != ODS_OK)
		return ods_resp_bad_page(w);
	if ((wf = h_wf_of(r, w, 0, &hs)) == NULL)
		return hs;
	memset(&f, 0, sizeof(f));
	f.owner = h_owner(r);
	f.workflow_id = wf->workflow_id;
	f.enabled = -1;
	hs = send_list(r, w, &f, &pg);
	ods_wf_free(wf);
	return hs;
}

enum ods_status
h_sched_list(struct ods_req *r, struct ods_resp *w)
{
	struct ods_wf_sched_filter	 f;
	struct ods_page			 pg;
	const char			*en;

	if (ods_req_page(r, 50, &pg) != ODS_OK)
		return ods_resp_bad_page(w);
	memset(&f, 0, sizeof(f));
	f.owner = h_owner(r);
	f.workflow_id = ods_req_query(r, "workflow_id");
	f.enabled = -1;
	if ((en = ods_req_query(r, "enabled")) != NULL) {
		if (strcmp(en, "true") == 0 || strcmp(en, "1") == 0)
			f.enabled = 1;
		else if (strcmp(en, "false") == 0 || strcmp(en, "0") == 0)
			f.enabled = 0;
		else
			return ods_resp_error_ex(w, ODS_EINVAL,
			    ODS_C_INVALID_FIELD, "invalid_field", "enabled "
			    "must be true or false");
	}
	return send_list(r, w, &f, &pg);
}

enum ods_status
h_sched_get(struct ods_req *r, struct ods_resp *w)
{
	struct ods_wf_sched	*s;
	enum ods_status		 hs;

	if ((s = sched_of(r, w, &hs)) == NULL)
		return hs;
	hs = send_sched(w, ODS_HTTP_200, s, NULL);
	ods_wf_sched_free(s);
	return hs;
}

/* The platform schedule first: no run fires once this answers. */
enum ods_status
h_sched_delete(struct ods_req *r, struct ods_resp *w)
{
	struct ods_wf_sched	*s;
	struct ods_jw		*jw;
	enum ods_status		 hs;
	enum ods_err		 er;

	if ((s = sched_of(r, w, &hs)) == NULL)
		return hs;
	if ((er = ods_wf_sched_delete(ods_req_db(r), s)) != ODS_OK)
		hs = ods_resp_error(w, er, "could not delete the schedule");
	else {
		jw = ods_resp_envelope(w, ODS_HTTP_200, "success");
		ods_jw_obj(jw);
		ods_jw_kstr(jw, "schedule_id", s->schedule_id);
		ods_jw_kbool(jw, "deleted", 1);
		ods_jw_end(jw);
		hs = ods_resp_send(w);
	}
	ods_wf_sched_free(s);
	return hs;
}

static enum ods_status
pause(struct ods_req *r, struct ods_resp *w, int on)
{
	struct ods_wf_sched	*s;
	enum ods_status		 hs;
	enum ods_err		 er;

	if ((s = sched_of(r, w, &hs)) == NULL)
		return hs;
	if ((er = ods_wf_sched_pause(ods_req_db(r), s, on)) != ODS_OK)
		hs = ods_resp_error(w, er, "could not change the schedule");
	else
		hs = send_sched(w, ODS_HTTP_200, s, on ? "Schedule paused" :
		    "Schedule resumed");
	ods_wf_sched_free(s);
	return hs;
}

enum ods_status
h_sched_pause(struct ods_req *r, struct ods_resp *w)
{
	return pause(r, w, 1);
}

enum ods_status
h_sched_resume(struct ods_req *r, struct ods_resp *w)
{
	return pause(r, w, 0);
}

/*
 * A run now, whatever the schedule's state: an execution of the
 * schedule (its inputs and timeout, triggered_by "trigger") and its job,
 * as a start's; a failure of it is retried as the schedule's are.
 */
enum ods_status
h_sched_trigger(struct ods_req *r, struct ods_resp *w)
{
	struct ods_wf_sched	*s;
	struct ods_wf		*wf = NULL;
	struct ods_why		 why;
	struct ods_jw		*jw;
	enum ods_status		 hs;
	enum ods_err		 er;
	char			 id[40];

	memset(&why, 0, sizeof(why));
	if ((s = sched_of(r, w, &hs)) == NULL)
		return hs;
	/* Running it is the workflow's owner's right, as a start is. */
	er = ods_wf_get(ods_req_db(r), s->workflow_id, h_owner(r), 1, &wf);
	if (er == ODS_ENOTFOUND)
		hs = ods_resp_error_ex(w, er, ODS_C_ENTITY_NOT_FOUND,
		    "not_found", "Workflow not found");
	else if (er == ODS_EFORBIDDEN)
		hs = h_not_owner(w, "a workflow");
	else if (er != ODS_OK)
		hs = ods_resp_error(w, er, "could not read the workflow");
	else if ((er = ods_wf_exec_start(ods_req_db(r), ods_req_redis(r),
	    s->workflow_id, s->inputs, "trigger", h_user(r), s->schedule_id,
	    (int)s->timeout_seconds, 0, id, &why)) == ODS_EINVAL)
		hs = ods_resp_input_error(w, er, &why);
	else if (er != ODS_OK)
		hs = ods_resp_error(w, er, "could not trigger the schedule");
	else {
		jw = ods_resp_envelope(w, ODS_HTTP_202, "Schedule triggered");
		ods_jw_obj(jw);
		ods_jw_kstr(jw, "schedule_id", s->schedule_id);
		ods_jw_kstr(jw, "workflow_id", s->workflow_id);
		ods_jw_kstr(jw, "execution_id", id);
		ods_jw_kstr(jw, "status", "pending");
		ods_jw_end(jw);
		hs = ods_resp_send(w);
	}
	ods_wf_free(wf);
	ods_wf_sched_free(s);
	return hs;
}

enum ods_status
h_sched_retry(struct ods_req *r, struct ods_resp *w)
{
	struct json_object		*o = NULL;
	struct ods_wf_retry_spec	 rs;
	struct ods_wf_sched		*s;
	struct ods_why			 why;
	enum ods_status			 hs;
	enum ods_err			 er;

	memset(&why, 0, sizeof(why));
	if ((er = ods_req_json(r, &o, &why)) != ODS_OK ||
	    (er = ods_wf_retry_parse(o, &rs, &why)) != ODS_OK)
		return ods_resp_input_error(w, er, &why);
	if (rs.max_retries < 0 && rs.retry_delay_seconds < 0 &&
	    rs.retry_backoff_base < 0 && rs.timeout_seconds < 0) {
		ods_why_set(&why, NULL, "give max_retries, "
		    "retry_delay_seconds, retry_backoff_base or "
		    "timeout_seconds");
		return ods_resp_input_error(w, ODS_EINVAL, &why);
	}
	if ((s = sched_of(r, w, &hs)) == NULL)
		return hs;
	if ((er = ods_wf_sched_retry_set(ods_req_db(r), s, &rs)) != ODS_OK)
		hs = ods_resp_error(w, er, "could not change the schedule");
	else
		hs = send_sched(w, ODS_HTTP_200, s, "Retry settings updated");
	ods_wf_sched_free(s);
	return hs;
}

enum ods_status
h_sched_stats(struct ods_req *r, struct ods_resp *w)
{
	struct ods_wf_sched_stats	 st;
	struct ods_wf_sched		*s;
	struct ods_jw			*jw;
	enum ods_status			 hs;
	enum ods_err			 er;
	int64_t				 ended;

	if ((s = sched_of(r, w, &hs)) == NULL)
		return hs;
	if ((er = ods_wf_sched_stats(ods_req_db(r), s->schedule_id, &st)) !=
	    ODS_OK) {
		ods_wf_sched_free(s);
		return ods_resp_error(w, er, "could not count the runs");
	}
	ended = st.completed + st.failed + st.stopped;
	jw = ods_resp_envelope(w, ODS_HTTP_200, NULL);
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "schedule_id", s->schedule_id);
	ods_jw_kstr(jw, "workflow_id", s->workflow_id);
	ods_jw_kint(jw, "total_runs", st.total);
	ods_jw_kint(jw, "total_executions", st.total);
	ods_jw_kint(jw, "pending", st.pending);
	ods_jw_kint(jw, "running", st.running);
	ods_jw_kint(jw, "completed", st.completed);
	ods_jw_kint(jw, "successful_executions", st.completed);
	ods_jw_kint(jw, "failed", st.failed);
	ods_jw_kint(jw, "failed_executions", st.failed);
	ods_jw_kint(jw, "stopped", st.stopped);
	ods_jw_knum(jw, "success_rate", ended > 0 ? (double)st.completed /
	    (double)ended : 0);
	ods_jw_knum(jw, "avg_duration_ms", st.avg_duration_ms);
	ods_jw_kint(jw, "retry_count", s->retry_count);
	ods_jw_kstr(jw, "last_run_at", st.last_run_at[0] != '\0' ?
	    st.last_run_at : NULL);
	ods_jw_kstr(jw, "last_status", st.last_status[0] != '\0' ?
	    st.last_status : NULL);
	ods_jw_key(jw, "by_status");
	ods_jw_obj(jw);
	ods_jw_kint(jw, "pending", st.pending);
	ods_jw_kint(jw, "running", st.running);
	ods_jw_kint(jw, "completed", st.completed);
	ods_jw_kint(jw, "failed", st.failed);
	ods_jw_kint(jw, "stopped", st.stopped);
	ods_jw_end(jw);
	ods_jw_end(jw);
	hs = ods_resp_send(w);
	ods_wf_sched_free(s);
	return hs;
}
