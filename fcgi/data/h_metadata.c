/*
 * fcgi/data/h_metadata.c — /metadata: the catalog's reads, its search and
 * scans; /assets (h_metadata.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ods.h"
#include "../../svc/data/catalog.h"
#include "../../svc/data/datasource.h"
#include "../common/h_auth.h"
#include "h_metadata.h"

/* The filter of the query string into f; 400 sent when it is bad. */
static int
filter_of(struct ods_req *r, struct ods_resp *w, int64_t size,
    struct ods_cat_filter *f, struct ods_page *pg, enum ods_status *hs)
{
	int64_t		 rm = 0;
	const char	*src;

	memset(f, 0, sizeof(*f));
	if (ods_req_page(r, size, pg) != ODS_OK) {
		*hs = ods_resp_bad_page(w);
		return -1;
	}
	if (ods_req_query_int(r, "include_removed", 0, 0, 1, &rm) != ODS_OK) {
		*hs = ods_resp_error(w, ODS_EINVAL, "include_removed must be "
		    "0 or 1");
		return -1;
	}
	src = ods_req_query(r, "source_id");
	if (src != NULL && (*src == '\0' || strlen(src) > ODS_DS_ID_MAX)) {
		*hs = ods_resp_error(w, ODS_EINVAL, "source_id must be 1 to "
		    "64 bytes");
		return -1;
	}
	f->owner = h_owner(r);
	f->source_id = src;
	f->include_removed = (int)rm;
	f->offset = pg->offset;
	f->limit = pg->page_size;
	return 0;
}

/* Close the items of a list, add the page, send. */
static enum ods_status
list_send(struct ods_resp *w, struct ods_jw *jw, const struct ods_page *pg,
    int64_t total)
{
	ods_resp_list_end(jw, pg, total);
	return ods_resp_send(w);
}

static int
name_ok(const char *s)
{
	return s != NULL && *s != '\0' && strlen(s) <= ODS_CAT_NAME_MAX;
}

enum ods_status
h_metadata_databases(struct ods_req *r, struct ods_resp *w)
{
	struct ods_cat_filter	 f;
	struct ods_page		 pg;
	struct ods_jw		*jw;
	enum ods_status		 hs;
	enum ods_err		 er;
	int64_t			 total = 0;

	if (filter_of(r, w, 50, &f, &pg, &hs) != 0)
		return hs;
	jw = ods_resp_list_begin(w, "databases");
	if ((er = ods_cat_databases(ods_req_db(r), &f, jw, &total)) != ODS_OK)
		return ods_resp_error(w, er, "could not read the catalog");
	ods_jw_end(jw);
	return list_send(w, jw, &pg, total);
}

enum ods_status
h_metadata_tables(struct ods_req *r, struct ods_resp *w)
{
	struct ods_cat_filter	 f;
	struct ods_page		 pg;
	struct ods_jw		*jw;
	enum ods_status		 hs;
	enum ods_err		 er;
	int64_t			 total = 0;
	const char		*db = ods_req_param(r, "database");

	if (!name_ok(db))
		return ods_resp_error(w, ODS_EINVAL, "database must be 1 to "
		    "128 bytes");
	if (filter_of(r, w, 50, &f, &pg, &hs) != 0)
		return hs;
	jw = ods_resp_list_begin(w, "tables");
	if ((er = ods_cat_tables(ods_req_db(r), &f, db, jw, &total)) !=
	    ODS_OK)
		return ods_resp_error(w, er, "could not read the catalog");
	ods_jw_end(jw);
	ods_jw_kstr(jw, "database", db);
	return list_send(w, jw, &pg, total);
}

enum ods_status
h_metadata_table(struct ods_req *r, struct ods_resp *w)
{
	struct ods_cat_filter	 f;
	struct ods_page		 pg;
	struct ods_jw		*jw;
	enum ods_status		 hs;
	enum ods_err		 er;
	const char		*db = ods_req_param(r, "database");
	const char		*tbl = ods_req_param(r, "table");

	if (!name_ok(db) || !name_ok(tbl))
		return ods_resp_error(w, ODS_EINVAL, "database and table must "
		    "be 1 to 128 bytes");
	if (filter_of(r, w, 50, &f, &pg, &hs) != 0)
		return hs;
	jw = ods_resp_envelope(w, ODS_HTTP_200, NULL);
	er = ods_cat_table(ods_req_db(r), &f, db, tbl, jw);
	if (er == ODS_ENOTFOUND)
		return ods_resp_error_ex(w, er, ODS_C_TABLE_NOT_FOUND,
		    "not_found", "no such table in the catalog");
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not read the catalog");
	return ods_resp_send(w);
}

enum ods_status
h_metadata_search(struct ods_req *r, struct ods_resp *w)
{
	struct ods_cat_filter	 f;
	struct ods_page		 pg;
	struct ods_why		 why;
	struct ods_jw		*jw;
	enum ods_status		 hs;
	enum ods_err		 er;
	int64_t			 total = 0;
	const char		*q = ods_req_query(r, "q");
	const char		*type = ods_req_query(r, "type");

	memset(&why, 0, sizeof(why));
	if (q == NULL)
		q = ods_req_query(r, "query");
	if (q == NULL || *q == '\0' || strlen(q) > ODS_CAT_QUERY_MAX) {
		ods_why_set(&why, "q", "q is 1 to %d bytes", ODS_CAT_QUERY_MAX);
		return ods_resp_input_error(w, ODS_EINVAL, &why);
	}
	if (type != NULL && strcmp(type, "database") != 0 &&
	    strcmp(type, "table") != 0 && strcmp(type, "column") != 0) {
		ods_why_set(&why, "type", "type is database, table or column");
		return ods_resp_input_error(w, ODS_EINVAL, &why);
	}
	if (filter_of(r, w, 50, &f, &pg, &hs) != 0)
		return hs;
	jw = ods_resp_list_begin(w, "results");
	if ((er = ods_cat_search(ods_req_db(r), &f, q, type, jw, &total)) !=
	    ODS_OK)
		return ods_resp_error(w, er, "could not search the catalog");
	ods_jw_end(jw);
	ods_jw_kstr(jw, "query", q);
	return list_send(w, jw, &pg, total);
}

enum ods_status
h_metadata_scan(struct ods_req *r, struct ods_resp *w)
{
	struct json_object	*o = NULL;
	struct ods_ds		*d = NULL;
	struct ods_why		 why;
	struct ods_jw		*jw;
	const char		*src = NULL;
	enum ods_err		 er;
	int64_t			 job = 0;
	char			 id[32];

	memset(&why, 0, sizeof(why));
	if ((er = ods_req_json(r, &o, &why)) != ODS_OK)
		return ods_resp_input_error(w, er, &why);
	/* The web's name too. */
	er = ods_json_str(o, "source_id", 0, ODS_DS_ID_MAX, &src, &why);
	if (er == ODS_ENOTFOUND)
		er = ods_json_str(o, "datasource_id", 0, ODS_DS_ID_MAX, &src,
		    &why);
	if (er != ODS_OK && er != ODS_ENOTFOUND)
		return ods_resp_input_error(w, er, &why);
	if (src == NULL || *src == '\0') {
		ods_why_set(&why, "source_id", "field 'source_id' is required");
		return ods_resp_input_error(w, ODS_EINVAL, &why);
	}
	er = ods_ds_get(ods_req_db(r), src, h_owner(r), &d);
	if (er == ODS_ENOTFOUND)
		return ods_resp_error_ex(w, er, ODS_C_NOT_FOUND, "not_found",
		    "no such data source");
	if (er == ODS_OK)
		er = ods_cat_scan_enqueue(ods_req_db(r), ods_req_redis(r), d,
		    h_user(r), &job);
	ods_ds_free(d);
	if (er == ODS_EINVAL) {
		ods_why_set(&why, "source_id", "this data source's type cannot "
		    "be scanned (unsupported_type)");
		return ods_resp_input_error(w, er, &why);
	}
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not queue the scan");
	snprintf(id, sizeof(id), "%lld", (long long)job);
	jw = ods_resp_envelope(w, ODS_HTTP_202, "Scan queued");
	ods_jw_obj(jw);
	ods_jw_kint(jw, "job_id", job);
	ods_jw_kstr(jw, "task_id", id);
	ods_jw_kstr(jw, "source_id", src);
	ods_jw_kstr(jw, "status", "queued");
	ods_jw_end(jw);
	return ods_resp_send(w);
}

enum ods_status
h_metadata_scan_result(struct ods_req *r, struct ods_resp *w)
{
	struct ods_jobs_row	 row;
	enum ods_status		 hs;
	enum ods_err		 er;
	const char		*p = ods_req_param(r, "task_id");
	char			*end = NULL;
	long long		 id;

	id = p != NULL ? strtoll(p, &end, 10) : 0;
	if (p == NULL || *p == '\0' || *end != '\0' || id <= 0)
		return ods_resp_error(w, ODS_EINVAL, "task_id is a job id");
	memset(&row, 0, sizeof(row));
	er = ods_jobs_get(ods_req_db(r), id, h_owner(r), &row);
	if (er == ODS_OK && strcmp(row.type, ODS_CAT_JOB) != 0)
		er = ODS_ENOTFOUND;
	if (er == ODS_ENOTFOUND)
		hs = ods_resp_error_ex(w, er, ODS_C_NOT_FOUND, "not_found",
		    "no such scan");
	else if (er != ODS_OK)
		hs = ods_resp_error(w, er, "could not read the scan");
	else {
		ods_jobs_row_json(ods_resp_envelope(w, ODS_HTTP_200, NULL),
		    &row);
		hs = ods_resp_send(w);
	}
	ods_jobs_row_fini(&row);
	return hs;
}

/* An optional query parameter of at most max bytes into *v; -1: 400 sent. */
static int
query_of(struct ods_req *r, struct ods_resp *w, const char *name,
    size_t max, const char **v, enum ods_status *hs)
{
	struct ods_why	why;

	*v = ods_req_query(r, name);
	if (*v == NULL || strlen(*v) <= max)
		return 0;
	memset(&why, 0, sizeof(why));
	ods_why_set(&why, name, "%s is at most %zu bytes", name, max);
	*hs = ods_resp_input_error(w, ODS_EINVAL, &why);
	return -1;
}

enum ods_status
h_assets_list(struct ods_req *r, struct ods_resp *w)
{
	struct ods_cat_filter	 f;
	struct ods_page		 pg;
	struct ods_jw		*jw;
	enum ods_status		 hs;
	enum ods_err		 er;
	int64_t			 total = 0;
	const char		*q, *cat, *type;

	if (query_of(r, w, "q", ODS_CAT_QUERY_MAX, &q, &hs) != 0 ||
	    query_of(r, w, "category", 64, &cat, &hs) != 0 ||
	    query_of(r, w, "asset_type", 32, &type, &hs) != 0 ||
	    filter_of(r, w, 20, &f, &pg, &hs) != 0)
		return hs;
	if (q == NULL)
		q = ods_req_query(r, "keyword");
	if (q != NULL && strlen(q) > ODS_CAT_QUERY_MAX)
		return ods_resp_error(w, ODS_EINVAL, "keyword is too long");
	jw = ods_resp_list_begin(w, "assets");
	if ((er = ods_cat_assets(ods_req_db(r), &f, q, cat, type, jw,
	    &total)) != ODS_OK)
		return ods_resp_error(w, er, "could not read the assets");
	ods_jw_end(jw);
	return list_send(w, jw, &pg, total);
}

enum ods_status
h_assets_get(struct ods_req *r, struct ods_resp *w)
{
	struct ods_cat_filter	 f;
	struct ods_jw		*jw;
	enum ods_err		 er;
	const char		*id = ods_req_param(r, "asset_id");

	if (id == NULL || *id == '\0' || strlen(id) > 64)
		return ods_resp_error_ex(w, ODS_ENOTFOUND, ODS_C_NOT_FOUND,
		    "not_found", "no such asset");
	memset(&f, 0, sizeof(f));
	f.owner = h_owner(r);
	jw = ods_resp_envelope(w, ODS_HTTP_200, NULL);
	er = ods_cat_asset(ods_req_db(r), &f, id, jw);
	if (er == ODS_ENOTFOUND)
		return ods_resp_error_ex(w, er, ODS_C_NOT_FOUND, "not_found",
		    "no such asset");
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not read the asset");
	return ods_resp_send(w);
}
