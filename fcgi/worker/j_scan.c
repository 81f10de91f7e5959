/*
 * fcgi/worker/j_scan.c — the metadata_scan job type (w_jobs.h): one data
 * source's catalog through svc/data/catalog.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ods.h"
#include "../../svc/data/catalog.h"
#include "w_jobs.h"

enum ods_err
j_metadata_scan(struct ods_job *j)
{
	const struct ods_req_env	*env = ods_job_env(j);
	const struct w_ctx		*wc = env->ctx;
	struct ods_cat_stats		 st;
	struct ods_why			 why;
	struct ods_buf			 b;
	struct ods_jw			 jw;
	const char			*src = NULL;
	char				*res;
	enum ods_err			 er;

	memset(&why, 0, sizeof(why));
	if (ods_json_str(ods_job_json(j), "source_id", 1, 64, &src, &why) !=
	    ODS_OK) {
		ods_job_set_error(j, "payload: %s", why.msg);
		return ODS_EINVAL;
	}
	(void)ods_job_progress(j, 5, "scanning %s", src);
	er = ods_cat_scan(env->db, wc->ds, src, w_stopping, j, &st);
	ods_buf_init(&b, 4096);
	ods_jw_init(&jw, &b);
	ods_jw_obj(&jw);
	ods_jw_kstr(&jw, "source_id", src);
	if (er == ODS_OK || er == ODS_EUNAVAIL || er == ODS_ENOTFOUND) {
		/* Done, or failed for good: the result says which. */
		ods_jw_kstr(&jw, "status", er == ODS_OK ? "completed" :
		    "failed");
		ods_jw_kint(&jw, "databases", st.databases);
		ods_jw_kint(&jw, "tables", st.tables);
		ods_jw_kint(&jw, "columns", st.columns);
		ods_jw_kint(&jw, "relations", st.relations);
		ods_jw_kint(&jw, "indexes", st.indexes);
		ods_jw_kint(&jw, "removed", st.removed);
		if (er != ODS_OK) {
			ods_jw_kstr(&jw, "error", er == ODS_ENOTFOUND ?
			    "not_found" : st.error);
			ods_jw_kstr(&jw, "message", er == ODS_ENOTFOUND ?
			    "the data source no longer exists" : st.message);
		}
		ods_jw_end(&jw);
		if (ods_jw_error(&jw) == ODS_OK &&
		    (res = ods_buf_take(&b, NULL)) != NULL) {
			ods_job_set_result(j, res);
			free(res);
		}
		ods_buf_free(&b);
		return ODS_OK;
	}
	ods_buf_free(&b);
	ods_job_set_error(j, "scan: %s", ods_err_slug(er));
	return er;
}
