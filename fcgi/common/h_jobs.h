/*
 * fcgi/common/h_jobs.h — the background-job routes, shared by the data
 * and agent pools (h_jobs.c). Jobs run in ods-worker; these routes read
 * them and ask for cancellation.
 */
#ifndef H_JOBS_H
#define H_JOBS_H

#include "net/ods_req.h"
#include "server/ods_router.h"

/* Rows for a pool's route table (inner paths). */
#define H_JOBS_ROUTES \
	{ ODS_GET, "/jobs", h_jobs_list, ODS_AUTH_REQUIRED, "job:read" }, \
	{ ODS_GET, "/jobs/{id}", h_jobs_get, ODS_AUTH_REQUIRED, "job:read" }, \
	{ ODS_POST, "/jobs/{id}/cancel", h_jobs_cancel, ODS_AUTH_REQUIRED, \
	    "job:update" }

/*
 * ?type=&status=&page=&page_size= (limit): the caller's jobs, newest
 * first; every job for admin (who may filter by ?created_by=).
 * data:{jobs:[...], total, page, page_size} and the three numbers at the
 * top level too (reference-api §11.3). 400 for an unknown status.
 */
enum ods_status	h_jobs_list(struct ods_req *, struct ods_resp *);
/* data: the job (status, progress, result, error, timings); 404 for a
 * job of someone else, unless admin. */
enum ods_status	h_jobs_get(struct ods_req *, struct ods_resp *);
/*
 * A queued job is cancelled at once, a running one is asked to stop
 * (cancelled within about 2 s when its handler checks between steps):
 * 200 data: the job. 404 as above; 409 when it has already ended.
 */
enum ods_status	h_jobs_cancel(struct ods_req *, struct ods_resp *);

#endif /* H_JOBS_H */
