/*
 * fcgi/common/h_jobs.c — GET /jobs, GET /jobs/{id}, POST /jobs/{id}/cancel.
 * The gate has run: the principal is set and job:read / job:update
 * passed. Ownership is checked here: another user's job is a 404, so
 * ids reveal nothing; admin sees every job.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ods.h"
#include "auth/ods_auth.h"
#include "h_auth.h"
#include "h_jobs.h"

static enum ods_err
id_of(struct ods_req *r, int64_t *id)
{
	const char	*s = ods_req_param(r, "id");
	char		*end;
	long long	 v;

	if (s == NULL || *s < '0' || *s > '9')
		return ODS_EINVAL;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || v < 1)
		return ODS_EINVAL;
	*id = v;
	return ODS_OK;
}

static enum ods_status
not_found(struct ods_resp *w)
{
	return ods_resp_error_ex(w, ODS_ENOTFOUND, ODS_C_ENTITY_NOT_FOUND,
	    "not_found", "no such job");
}

enum ods_status
h_jobs_list(struct ods_req *r, struct ods_resp *w)
{
	struct ods_jobs_filter	 f;
	struct ods_jobs_row	*rows = NULL;
	struct ods_page		 pg;
	struct ods_jw		*jw;
	enum ods_jobs_status	 st;
	enum ods_status		 hs;
	enum ods_err		 er;
	int64_t			 total = 0;
	size_t			 n = 0, i;

	if (ods_req_page(r, 20, &pg) != ODS_OK)
		return ods_resp_bad_page(w);
	memset(&f, 0, sizeof(f));
	f.created_by = h_owner(r);
	if (f.created_by == NULL)
		f.created_by = ods_req_query(r, "created_by");
	f.type = ods_req_query(r, "type");
	f.status = ods_req_query(r, "status");
	if (f.status != NULL && ods_jobs_status_parse(f.status, &st) < 0)
		return ods_resp_error_ex(w, ODS_EINVAL, ODS_C_INVALID_FIELD,
		    "invalid_field", "status must be queued, running, "
		    "succeeded, failed or cancelled");
	er = ods_jobs_list(ods_req_db(r), &f, pg.page_size, pg.offset, &rows,
	    &n, &total);
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not list the jobs");
	jw = ods_resp_list_begin(w, "jobs");
	for (i = 0; i < n; i++)
		ods_jobs_row_json(jw, &rows[i]);
	ods_jw_end(jw);
	ods_resp_list_end(jw, &pg, total);
	hs = ods_resp_send(w);
	ods_jobs_rows_free(rows, n);
	return hs;
}

static enum ods_status
send_job(struct ods_req *r, struct ods_resp *w, int64_t id, const char *msg)
{
	struct ods_jobs_row	 row;
	struct ods_jw		*jw;
	enum ods_status		 hs;
	enum ods_err		 er;

	er = ods_jobs_get(ods_req_db(r), id, h_owner(r), &row);
	if (er == ODS_ENOTFOUND)
		return not_found(w);
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not read the job");
	jw = ods_resp_envelope(w, ODS_HTTP_200, msg);
	ods_jobs_row_json(jw, &row);
	hs = ods_resp_send(w);
	ods_jobs_row_fini(&row);
	return hs;
}

enum ods_status
h_jobs_get(struct ods_req *r, struct ods_resp *w)
{
	int64_t	id;

	if (id_of(r, &id) != ODS_OK)
		return not_found(w);
	return send_job(r, w, id, NULL);
}

enum ods_status
h_jobs_cancel(struct ods_req *r, struct ods_resp *w)
{
	enum ods_jobs_status	st;
	enum ods_err		er;
	int64_t			id;

	if (id_of(r, &id) != ODS_OK)
		return not_found(w);
	er = ods_jobs_cancel(ods_req_db(r), id, h_owner(r), &st);
	if (er == ODS_ENOTFOUND)
		return not_found(w);
	if (er == ODS_ECONFLICT)
		return ods_resp_error_ex(w, ODS_ECONFLICT, ODS_C_CONFLICT,
		    "conflict", "the job has already ended");
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not cancel the job");
	return send_job(r, w, id, st == ODS_JOBS_CANCELLED ? "job cancelled" :
	    "cancel requested; the job stops at its next step");
}
