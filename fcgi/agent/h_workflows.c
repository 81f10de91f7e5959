/*
 * fcgi/agent/h_workflows.c — /workflows and /executions (h_workflows.h):
 * workflows, versions, rollback, start, stop, status, executions and
 * their logs. Lookups take h_owner(): another user's workflow or run is
 * a 404.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ods.h"
#include "../../svc/agent/workflow.h"
#include "../common/h_auth.h"
#include "h_workflows.h"

#define LOGS_DEFAULT	200
#define STATUS_LAST	10

static const char *const exec_statuses[] = {
	"pending", "running", "completed", "failed", "stopped", NULL
};

static int
known_status(const char *s)
{
	size_t	i;

	for (i = 0; exec_statuses[i] != NULL; i++)
		if (strcmp(s, exec_statuses[i]) == 0)
			return 1;
	return 0;
}

static void
json_release(void *o)
{
	ods_json_put(o);
}

enum ods_err
h_wf_body(struct ods_req *r, struct json_object **o, struct ods_why *why)
{
	const char	*data;
	size_t		 len, i;
	enum ods_err	 er;

	if ((er = ods_req_body(r, &data, &len)) != ODS_OK) {
		if (er == ODS_ETOOBIG)
			ods_why_set(why, NULL, "request body is larger than "
			    "the route allows");
		else
			ods_why_set(why, NULL, "%s", ods_strerror(er));
		return er;
	}
	for (i = 0; i < len; i++)
		if (data[i] != ' ' && data[i] != '\t' && data[i] != '\r' &&
		    data[i] != '\n')
			break;
	if (i == len) {
		/* Nothing sent: the routes that take no body accept it. */
		if ((er = ods_json_parse("{}", 2, 0, o, why)) != ODS_OK)
			return er;
		if (ods_req_defer(r, json_release, *o) != ODS_OK) {
			ods_json_put(*o);
			return ODS_ENOMEM;
		}
		return ODS_OK;
	}
	if ((er = ods_req_json(r, o, why)) != ODS_OK)
		return er;
	if (!ods_json_is_obj(*o)) {
		ods_why_set(why, NULL, "the body must be a JSON object");
		return ODS_EINVAL;
	}
	return ODS_OK;
}

struct ods_wf *
h_wf_of(struct ods_req *r, struct ods_resp *w, int writable,
    enum ods_status *hs)
{
	struct ods_wf	*wf = NULL;
	enum ods_err	 er;

	er = ods_wf_get(ods_req_db(r), ods_req_param(r, "id"), h_owner(r),
	    writable, &wf);
	if (er == ODS_ENOTFOUND)
		*hs = ods_resp_error_ex(w, er, ODS_C_ENTITY_NOT_FOUND,
		    "not_found", "Workflow not found");
	else if (er == ODS_EFORBIDDEN)
		*hs = h_not_owner(w, "a workflow");
	else if (er != ODS_OK)
		*hs = ods_resp_error(w, er, "could not read the workflow");
	return wf;
}

/* The 400 40002 of a definition that does not validate. */
static void
errors_extra(struct ods_jw *jw, const void *arg)
{
	const struct ods_buf	*b = arg;

	ods_jw_key(jw, "errors");
	if (b->len > 0)
		ods_jw_raw(jw, b->data, b->len);
	else {
		ods_jw_arr(jw);
		ods_jw_end(jw);
	}
}

/*
 * Validate def (NULL: the built-in RAG); on a failure the 400 (or 413)
 * is sent and 1 returned.
 */
static int
invalid_def(struct ods_resp *w, const char *def, enum ods_status *hs)
{
	struct ods_error	e;
	struct ods_buf		b;
	enum ods_err		er;

	if (def == NULL)
		def = ods_wf_builtin_rag();
	ods_buf_init(&b, 1u << 20);
	er = ods_wf_validate(def, strlen(def), &b);
	if (er == ODS_OK) {
		ods_buf_free(&b);
		return 0;
	}
	memset(&e, 0, sizeof(e));
	e.err = er == ODS_ETOOBIG ? ODS_ETOOBIG : ODS_EINVAL;
	e.code = e.err == ODS_EINVAL ? ODS_C_INVALID_STATE : ODS_C_TOO_LARGE;
	e.slug = "invalid_definition";
	e.msg = "Invalid workflow definition";
	snprintf(e.field, sizeof(e.field), "definition");
	e.extra = errors_extra;
	e.extra_arg = &b;
	*hs = ods_resp_fail(w, &e);
	ods_buf_free(&b);
	return 1;
}

static enum ods_status
send_wf(struct ods_resp *w, enum ods_status st, const struct ods_wf *wf,
    const char *msg)
{
	ods_wf_json(ods_resp_envelope(w, st, msg), wf, 1);
	return ods_resp_send(w);
}

/* ---- workflows ---- */

enum ods_status
h_wf_list(struct ods_req *r, struct ods_resp *w)
{
	struct ods_wf_filter	 f;
	struct ods_wf		*v = NULL;
	struct ods_page		 pg;
	struct ods_jw		*jw;
	enum ods_status		 hs;
	enum ods_err		 er;
	int64_t			 total = 0;
	size_t			 n = 0, i;

	if (ods_req_page(r, 20, &pg) != ODS_OK)
		return ods_resp_bad_page(w);
	memset(&f, 0, sizeof(f));
	f.owner = h_owner(r);
	f.type = ods_req_query(r, "type");
	f.status = ods_req_query(r, "status");
	f.search = ods_req_query(r, "search");
	if (f.search != NULL && strlen(f.search) > 255)
		return ods_resp_error_ex(w, ODS_EINVAL, ODS_C_INVALID_FIELD,
		    "invalid_field", "search is over 255 bytes");
	er = ods_wf_list(ods_req_db(r), &f, (size_t)pg.offset,
	    (size_t)pg.page_size, &v, &n, &total);
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not list the workflows");
	jw = ods_resp_list_begin(w, "workflows");
	for (i = 0; i < n; i++)
		ods_wf_json(jw, &v[i], 0);
	ods_jw_end(jw);
	ods_resp_list_end(jw, &pg, total);
	hs = ods_resp_send(w);
	ods_wf_list_free(v, n);
	return hs;
}

enum ods_status
h_wf_create(struct ods_req *r, struct ods_resp *w)
{
	struct json_object	*o = NULL;
	struct ods_wf_spec	 sp;
	struct ods_wf		*wf = NULL;
	struct ods_why		 why;
	enum ods_status		 hs;
	enum ods_err		 er;

	memset(&why, 0, sizeof(why));
	if ((er = ods_req_json(r, &o, &why)) != ODS_OK ||
	    (er = ods_wf_spec_parse(o, &sp, &why)) != ODS_OK)
		return ods_resp_input_error(w, er, &why);
	if (sp.name == NULL || *sp.name == '\0') {
		ods_why_set(&why, "name", "name is required");
		return ods_resp_input_error(w, ODS_EINVAL, &why);
	}
	if (sp.definition != NULL && invalid_def(w, sp.definition, &hs))
		return hs;
	er = ods_wf_create(ods_req_db(r), &sp, h_user(r), &wf, &why);
	if (er == ODS_EINVAL)
		return ods_resp_input_error(w, er, &why);
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not create the workflow");
	hs = send_wf(w, ODS_HTTP_201, wf, "Workflow created");
	ods_wf_free(wf);
	return hs;
}

enum ods_status
h_wf_get(struct ods_req *r, struct ods_resp *w)
{
	struct ods_wf	*wf;
	enum ods_status	 hs;

	if ((wf = h_wf_of(r, w, 0, &hs)) == NULL)
		return hs;
	hs = send_wf(w, ODS_HTTP_200, wf, NULL);
	ods_wf_free(wf);
	return hs;
}

enum ods_status
h_wf_update(struct ods_req *r, struct ods_resp *w)
{
	struct json_object	*o = NULL;
	struct ods_wf_spec	 sp;
	struct ods_wf		*wf;
	struct ods_why		 why;
	enum ods_status		 hs;
	enum ods_err		 er;

	memset(&why, 0, sizeof(why));
	if ((er = ods_req_json(r, &o, &why)) != ODS_OK ||
	    (er = ods_wf_spec_parse(o, &sp, &why)) != ODS_OK)
		return ods_resp_input_error(w, er, &why);
	if (sp.name == NULL && sp.description == NULL && sp.type == NULL &&
	    sp.status == NULL && sp.visibility == NULL &&
	    sp.definition == NULL) {
		ods_why_set(&why, NULL, "nothing to update");
		return ods_resp_input_error(w, ODS_EINVAL, &why);
	}
	if (sp.definition != NULL && invalid_def(w, sp.definition, &hs))
		return hs;
	if ((wf = h_wf_of(r, w, 1, &hs)) == NULL)
		return hs;
	er = ods_wf_update(ods_req_db(r), wf, &sp, h_user(r), &why);
	if (er == ODS_EINVAL)
		hs = ods_resp_input_error(w, er, &why);
	else if (er != ODS_OK)
		hs = ods_resp_error(w, er, "could not update the workflow");
	else
		hs = send_wf(w, ODS_HTTP_200, wf, "Workflow updated");
	ods_wf_free(wf);
	return hs;
}

enum ods_status
h_wf_delete(struct ods_req *r, struct ods_resp *w)
{
	struct ods_wf	*wf;
	struct ods_jw	*jw;
	enum ods_status	 hs;
	enum ods_err	 er;
	size_t		 stopped = 0;

	if ((wf = h_wf_of(r, w, 1, &hs)) == NULL)
		return hs;
	er = ods_wf_delete(ods_req_db(r), wf, h_user(r), &stopped);
	if (er != ODS_OK)
		hs = ods_resp_error(w, er, "could not delete the workflow");
	else {
		jw = ods_resp_envelope(w, ODS_HTTP_200, "success");
		ods_jw_obj(jw);
		ods_jw_kstr(jw, "workflow_id", wf->workflow_id);
		ods_jw_kbool(jw, "deleted", 1);
		ods_jw_kint(jw, "stopped_executions", (int64_t)stopped);
		ods_jw_end(jw);
		hs = ods_resp_send(w);
	}
	ods_wf_free(wf);
	return hs;
}

/* ---- versions ---- */

enum ods_status
h_wf_versions(struct ods_req *r, struct ods_resp *w)
{
	struct ods_wf_version	*v = NULL;
	struct ods_wf		*wf;
	struct ods_jw		*jw;
	enum ods_status		 hs;
	enum ods_err		 er;
	size_t			 n = 0, i;

	if ((wf = h_wf_of(r, w, 0, &hs)) == NULL)
		return hs;
	if ((er = ods_wf_versions(ods_req_db(r), wf->workflow_id, &v, &n)) !=
	    ODS_OK) {
		ods_wf_free(wf);
		return ods_resp_error(w, er, "could not list the versions");
	}
	jw = ods_resp_envelope(w, ODS_HTTP_200, NULL);
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "workflow_id", wf->workflow_id);
	ods_jw_kint(jw, "current_version", wf->version);
	ods_jw_key(jw, "versions");
	ods_jw_arr(jw);
	for (i = 0; i < n; i++)
		ods_wf_version_json(jw, &v[i], wf->workflow_id, 0);
	ods_jw_end(jw);
	ods_jw_kint(jw, "total", (int64_t)n);
	ods_jw_end(jw);
	hs = ods_resp_send(w);
	ods_wf_versions_free(v, n);
	ods_wf_free(wf);
	return hs;
}

/* The path's {version}, 1..; -1 (and the 404 sent) otherwise. */
static int64_t
version_of(struct ods_req *r, struct ods_resp *w, enum ods_status *hs)
{
	const char	*s = ods_req_param(r, "version");
	char		*end;
	long long	 v;

	/* "v3" as well as "3". */
	if (s != NULL && (*s == 'v' || *s == 'V'))
		s++;
	v = s != NULL && *s != '\0' ? strtoll(s, &end, 10) : -1;
	if (s == NULL || *s == '\0' || *end != '\0' || v < 1) {
		*hs = ods_resp_error_ex(w, ODS_ENOTFOUND,
		    ODS_C_ENTITY_NOT_FOUND, "not_found", "no such version");
		return -1;
	}
	return v;
}

enum ods_status
h_wf_version(struct ods_req *r, struct ods_resp *w)
{
	struct ods_wf_version	 v;
	struct ods_wf		*wf;
	enum ods_status		 hs;
	enum ods_err		 er;
	int64_t			 n;

	if ((n = version_of(r, w, &hs)) < 0)
		return hs;
	if ((wf = h_wf_of(r, w, 0, &hs)) == NULL)
		return hs;
	er = ods_wf_version_get(ods_req_db(r), wf->workflow_id, n, &v);
	if (er == ODS_ENOTFOUND)
		hs = ods_resp_error_ex(w, er, ODS_C_ENTITY_NOT_FOUND,
		    "not_found", "no such version");
	else if (er != ODS_OK)
		hs = ods_resp_error(w, er, "could not read the version");
	else {
		ods_wf_version_json(ods_resp_envelope(w, ODS_HTTP_200, NULL),
		    &v, wf->workflow_id, 1);
		hs = ods_resp_send(w);
		ods_wf_version_fini(&v);
	}
	ods_wf_free(wf);
	return hs;
}

enum ods_status
h_wf_rollback(struct ods_req *r, struct ods_resp *w)
{
	struct ods_wf	*wf;
	enum ods_status	 hs;
	enum ods_err	 er;
	int64_t		 n;

	if ((n = version_of(r, w, &hs)) < 0)
		return hs;
	if ((wf = h_wf_of(r, w, 1, &hs)) == NULL)
		return hs;
	er = ods_wf_rollback(ods_req_db(r), wf, n, h_user(r));
	if (er == ODS_ENOTFOUND)
		hs = ods_resp_error_ex(w, er, ODS_C_ENTITY_NOT_FOUND,
		    "not_found", "no such version");
	else if (er != ODS_OK)
		hs = ods_resp_error(w, er, "could not roll the workflow back");
	else
		hs = send_wf(w, ODS_HTTP_200, wf, "Workflow rolled back");
	ods_wf_free(wf);
	return hs;
}

/* ---- runs ---- */

enum ods_status
h_wf_start(struct ods_req *r, struct ods_resp *w)
{
	struct json_object	*o = NULL, *in;
	struct ods_wf		*wf;
	struct ods_why		 why;
	struct ods_jw		*jw;
	enum ods_status		 hs;
	enum ods_err		 er;
	const char		*inputs = "{}";
	char			 id[40];

	memset(&why, 0, sizeof(why));
	if ((er = h_wf_body(r, &o, &why)) != ODS_OK)
		return ods_resp_input_error(w, er, &why);
	in = ods_json_get(o, "inputs");
	if (in != NULL && ods_json_kind(in) != ODS_JSON_NULL) {
		if (!ods_json_is_obj(in)) {
			ods_why_set(&why, "inputs", "inputs must be a JSON "
			    "object");
			return ods_resp_input_error(w, ODS_EINVAL, &why);
		}
		inputs = ods_json_text(in);
	}
	if ((wf = h_wf_of(r, w, 1, &hs)) == NULL)
		return hs;
	if (invalid_def(w, wf->definition, &hs)) {
		ods_wf_free(wf);
		return hs;
	}
	er = ods_wf_exec_start(ods_req_db(r), ods_req_redis(r),
	    wf->workflow_id, inputs, "manual", h_user(r), NULL, 0, 0, id, &why);
	if (er == ODS_EINVAL)
		hs = ods_resp_input_error(w, er, &why);
	else if (er == ODS_ENOTFOUND)
		hs = ods_resp_error_ex(w, er, ODS_C_ENTITY_NOT_FOUND,
		    "not_found", "Workflow not found");
	else if (er != ODS_OK)
		hs = ods_resp_error(w, er, "could not start the workflow");
	else {
		jw = ods_resp_envelope(w, ODS_HTTP_202, "Workflow started");
		ods_jw_obj(jw);
		ods_jw_kstr(jw, "execution_id", id);
		ods_jw_kstr(jw, "workflow_id", wf->workflow_id);
		ods_jw_kstr(jw, "status", "pending");
		ods_jw_end(jw);
		hs = ods_resp_send(w);
	}
	ods_wf_free(wf);
	return hs;
}

static enum ods_status
exec_not_found(struct ods_resp *w)
{
	return ods_resp_error_ex(w, ODS_ENOTFOUND, ODS_C_TABLE_NOT_FOUND,
	    "not_found", "Execution not found");
}

enum ods_status
h_wf_stop(struct ods_req *r, struct ods_resp *w)
{
	struct json_object	*o = NULL;
	struct ods_wf_exec	*e = NULL;
	struct ods_wf		*wf;
	struct ods_why		 why;
	struct ods_jw		*jw;
	const char		*xid = NULL;
	char			*st = NULL;
	enum ods_status		 hs;
	enum ods_err		 er;

	memset(&why, 0, sizeof(why));
	if ((er = h_wf_body(r, &o, &why)) != ODS_OK ||
	    (er = ods_json_str(o, "execution_id", 1, 64, &xid, &why)) !=
	    ODS_OK)
		return ods_resp_input_error(w, er, &why);
	if ((wf = h_wf_of(r, w, 0, &hs)) == NULL)
		return hs;
	er = ods_wf_exec_get(ods_req_db(r), xid, h_owner(r), &e);
	if (er == ODS_OK && strcmp(e->workflow_id, wf->workflow_id) != 0)
		er = ODS_ENOTFOUND;
	ods_wf_free(wf);
	if (er == ODS_ENOTFOUND) {
		ods_wf_exec_free(e);
		return exec_not_found(w);
	}
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not read the execution");
	er = ods_wf_exec_stop(ods_req_db(r), e->execution_id, h_user(r), &st);
	if (er == ODS_ECONFLICT) {
		char msg[96];

		snprintf(msg, sizeof(msg), "the execution has already ended "
		    "(%s)", st != NULL ? st : "?");
		hs = ods_resp_error_ex(w, er, ODS_C_CONFLICT, "already_ended",
		    msg);
	} else if (er == ODS_ENOTFOUND)
		hs = exec_not_found(w);
	else if (er != ODS_OK)
		hs = ods_resp_error(w, er, "could not stop the execution");
	else {
		jw = ods_resp_envelope(w, ODS_HTTP_200, "Workflow stopped");
		ods_jw_obj(jw);
		ods_jw_kstr(jw, "execution_id", e->execution_id);
		ods_jw_kstr(jw, "workflow_id", e->workflow_id);
		ods_jw_kstr(jw, "status", "stopped");
		ods_jw_end(jw);
		hs = ods_resp_send(w);
	}
	free(st);
	ods_wf_exec_free(e);
	return hs;
}

/* One page of executions matching f: data:{executions, total, ...}. */
static enum ods_status
send_execs(struct ods_req *r, struct ods_resp *w,
    const struct ods_wf_exec_filter *f, const struct ods_page *pg)
{
	struct ods_wf_exec	*v = NULL;
	struct ods_jw		*jw;
	enum ods_status		 hs;
	enum ods_err		 er;
	int64_t			 total = 0;
	size_t			 n = 0, i;

	er = ods_wf_exec_list(ods_req_db(r), f, (size_t)pg->offset,
	    (size_t)pg->page_size, &v, &n, &total);
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not list the executions");
	jw = ods_resp_list_begin(w, "executions");
	for (i = 0; i < n; i++)
		ods_wf_exec_json(jw, &v[i], 0);
	ods_jw_end(jw);
	ods_resp_list_end(jw, pg, total);
	hs = ods_resp_send(w);
	ods_wf_exec_list_free(v, n);
	return hs;
}

/* ?status, checked: 1 and the 400 sent when it is not a status. */
static int
bad_status(struct ods_req *r, struct ods_resp *w, const char **st,
    enum ods_status *hs)
{
	*st = ods_req_query(r, "status");
	if (*st == NULL || known_status(*st))
		return 0;
	*hs = ods_resp_error_ex(w, ODS_EINVAL, ODS_C_INVALID_FIELD,
	    "invalid_field", "status must be pending, running, completed, "
	    "failed or stopped");
	return 1;
}

enum ods_status
h_wf_status(struct ods_req *r, struct ods_resp *w)
{
	struct ods_wf_exec_filter	 f;
	struct ods_wf_exec		*e = NULL;
	struct ods_wf			*wf;
	struct ods_page			 pg;
	const char			*xid = ods_req_query(r, "execution_id");
	enum ods_status			 hs;
	enum ods_err			 er;

	if ((wf = h_wf_of(r, w, 0, &hs)) == NULL)
		return hs;
	if (xid == NULL) {
		memset(&f, 0, sizeof(f));
		f.owner = h_owner(r);
		f.workflow_id = wf->workflow_id;
		memset(&pg, 0, sizeof(pg));
		pg.page = 1;
		pg.page_size = STATUS_LAST;
		hs = send_execs(r, w, &f, &pg);
		ods_wf_free(wf);
		return hs;
	}
	er = ods_wf_exec_get(ods_req_db(r), xid, h_owner(r), &e);
	if (er == ODS_OK && strcmp(e->workflow_id, wf->workflow_id) != 0)
		er = ODS_ENOTFOUND;
	ods_wf_free(wf);
	if (er == ODS_ENOTFOUND)
		hs = exec_not_found(w);
	else if (er != ODS_OK)
		hs = ods_resp_error(w, er, "could not read the execution");
	else {
		ods_wf_exec_json(ods_resp_envelope(w, ODS_HTTP_200, NULL), e,
		    1);
		hs = ods_resp_send(w);
	}
	ods_wf_exec_free(e);
	return hs;
}

enum ods_status
h_wf_executions(struct ods_req *r, struct ods_resp *w)
{
	struct ods_wf_exec_filter	 f;
	struct ods_wf			*wf;
	struct ods_page			 pg;
	enum ods_status			 hs;

	if (ods_req_page(r, 20, &pg) != ODS_OK)
		return ods_resp_bad_page(w);
	memset(&f, 0, sizeof(f));
	if (bad_status(r, w, &f.status, &hs))
		return hs;
	if ((wf = h_wf_of(r, w, 0, &hs)) == NULL)
		return hs;
	f.owner = h_owner(r);
	f.workflow_id = wf->workflow_id;
	hs = send_execs(r, w, &f, &pg);
	ods_wf_free(wf);
	return hs;
}

enum ods_status
h_exec_list(struct ods_req *r, struct ods_resp *w)
{
	struct ods_wf_exec_filter	 f;
	struct ods_page			 pg;
	enum ods_status			 hs;

	if (ods_req_page(r, 50, &pg) != ODS_OK)
		return ods_resp_bad_page(w);
	memset(&f, 0, sizeof(f));
	if (bad_status(r, w, &f.status, &hs))
		return hs;
	f.owner = h_owner(r);
	f.workflow_id = ods_req_query(r, "workflow_id");
	f.schedule_id = ods_req_query(r, "schedule_id");
	return send_execs(r, w, &f, &pg);
}

enum ods_status
h_exec_get(struct ods_req *r, struct ods_resp *w)
{
	struct ods_wf_exec	*e = NULL;
	enum ods_status		 hs;
	enum ods_err		 er;

	er = ods_wf_exec_get(ods_req_db(r), ods_req_param(r, "id"),
	    h_owner(r), &e);
	if (er == ODS_ENOTFOUND)
		return exec_not_found(w);
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not read the execution");
	ods_wf_exec_json(ods_resp_envelope(w, ODS_HTTP_200, NULL), e, 1);
	hs = ods_resp_send(w);
	ods_wf_exec_free(e);
	return hs;
}

enum ods_status
h_exec_logs(struct ods_req *r, struct ods_resp *w)
{
	struct ods_wf_exec	*e = NULL;
	struct ods_wf_log	*v = NULL;
	struct ods_jw		*jw;
	enum ods_status		 hs;
	enum ods_err		 er;
	int64_t			 after, limit;
	size_t			 n = 0, i;

	if (ods_req_query_int(r, "after_id", 0, 0, INT64_MAX, &after) !=
	    ODS_OK || ods_req_query_int(r, "limit", LOGS_DEFAULT, 1,
	    ODS_WF_LIST_MAX, &limit) != ODS_OK)
		return ods_resp_error_ex(w, ODS_EINVAL, ODS_C_INVALID_FIELD,
		    "invalid_field", "after_id must be >= 0 and limit 1 to "
		    "1000");
	er = ods_wf_exec_get(ods_req_db(r), ods_req_param(r, "id"),
	    h_owner(r), &e);
	if (er == ODS_ENOTFOUND)
		return exec_not_found(w);
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not read the execution");
	/* One more than asked, to tell whether more follow. */
	er = ods_wf_logs(ods_req_db(r), e->execution_id, after,
	    (size_t)limit + 1, &v, &n);
	if (er != ODS_OK) {
		ods_wf_exec_free(e);
		return ods_resp_error(w, er, "could not read the logs");
	}
	jw = ods_resp_envelope(w, ODS_HTTP_200, NULL);
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "execution_id", e->execution_id);
	ods_jw_kstr(jw, "status", e->status);
	ods_jw_key(jw, "logs");
	ods_jw_arr(jw);
	for (i = 0; i < n && i < (size_t)limit; i++)
		ods_wf_log_json(jw, &v[i], e->execution_id);
	ods_jw_end(jw);
	ods_jw_kint(jw, "total", (int64_t)i);
	ods_jw_kbool(jw, "has_more", n > (size_t)limit);
	ods_jw_kint(jw, "next_after_id", i > 0 ? v[i - 1].id : after);
	ods_jw_end(jw);
	hs = ods_resp_send(w);
	ods_wf_logs_free(v, n);
	ods_wf_exec_free(e);
	return hs;
}
