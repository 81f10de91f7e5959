/*
 * svc/data/lineage_events.c — the stored events (lineage.h): the list with
 * its counts, and the export as OpenLineage RunEvents (the payloads,
 * written as OpenLineage 1.x JSON when recorded).
 */
#include "config.h"

#include <string.h>

#include "core/ods_err.h"
#include "core/ods_json.h"
#include "store/ods_db.h"
#include "lineage.h"

/* The reference's names of event types, and OpenLineage's. */
static const char *
type_filter(const char *t)
{
	static const struct {
		const char	*in, *out;
	} map[] = {
		{ "JOB_STARTED", "START" }, { "JOB_COMPLETED", "COMPLETE" },
		{ "JOB_FAILED", "FAIL" }, { "JOB_ABORTED", "ABORT" },
		{ "START", "START" }, { "RUNNING", "RUNNING" },
		{ "COMPLETE", "COMPLETE" }, { "FAIL", "FAIL" },
		{ "ABORT", "ABORT" }, { "OTHER", "OTHER" },
	};
	size_t	i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(t, map[i].in) == 0)
			return map[i].out;
	return NULL;
}

/* A JSON column's text as a value (NULL: null; stored by us: valid). */
static void
raw(struct ods_jw *jw, const char *key, const char *text)
{
	ods_jw_key(jw, key);
	if (text == NULL)
		ods_jw_null(jw);
	else
		ods_jw_raw(jw, text, strlen(text));
}

static enum ods_err
stats(struct ods_db *db, struct ods_jw *jw)
{
	struct ods_db_res	*res = NULL;
	enum ods_err		 er;
	size_t			 i, n;
	int64_t			 v;

	er = ods_db_query_once(db, "SELECT event_type, COUNT(*) FROM "
	    "lineage_events GROUP BY event_type UNION ALL SELECT '.jobs', "
	    "COUNT(DISTINCT job_name) FROM lineage_events UNION ALL SELECT "
	    "'.edges', COUNT(*) FROM lineage_edges", NULL, 0, 64, &res);
	if (er != ODS_OK)
		return er;
	n = ods_db_res_nrows(res);
	ods_jw_key(jw, "stats");
	ods_jw_obj(jw);
	ods_jw_key(jw, "by_type");
	ods_jw_obj(jw);
	for (i = 0; i < n; i++)
		if (ods_db_res_text(res, i, 0, NULL)[0] != '.' &&
		    ods_db_res_int(res, i, 1, &v) == ODS_OK)
			ods_jw_kint(jw, ods_db_res_text(res, i, 0, NULL), v);
	ods_jw_end(jw);
	for (i = 0; i < n; i++)
		if (ods_db_res_text(res, i, 0, NULL)[0] == '.' &&
		    ods_db_res_int(res, i, 1, &v) == ODS_OK)
			ods_jw_kint(jw, ods_db_res_text(res, i, 0, NULL) + 1,
			    v);
	ods_jw_end(jw);
	ods_db_res_free(res);
	return ODS_OK;
}

enum ods_err
ods_lineage_events(struct ods_db *db, size_t limit, const char *event_type,
    const char *job_name, struct ods_jw *jw)
{
	struct ods_db_arg	 a[5];
	struct ods_db_res	*res = NULL;
	const char		*t = NULL;
	enum ods_err		 er;
	int64_t			 total = 0;
	size_t			 i, n;

	if (event_type != NULL && (t = type_filter(event_type)) == NULL)
		return ODS_EINVAL;
	a[0] = ods_db_text(t != NULL ? t : "");
	a[1] = a[0];
	a[2] = ods_db_text(job_name != NULL ? job_name : "");
	a[3] = a[2];
	a[4] = ods_db_int((int64_t)limit);
	er = ods_db_query_once(db, "SELECT COUNT(*) FROM lineage_events WHERE "
	    "(? = '' OR event_type = ?) AND (? = '' OR job_name = ?)", a, 4, 1,
	    &res);
	if (er != ODS_OK)
		return er;
	if (ods_db_res_int(res, 0, 0, &total) != ODS_OK)
		total = 0;
	ods_db_res_free(res);
	res = NULL;
	er = ods_db_query_once(db, "SELECT event_id, event_type, "
	    "job_namespace, job_name, run_id, DATE_FORMAT(event_time, "
	    "'%Y-%m-%dT%H:%i:%s.%fZ'), source_tables, target_tables, "
	    "transformation FROM lineage_events WHERE (? = '' OR event_type = "
	    "?) AND (? = '' OR job_name = ?) ORDER BY event_time DESC, id DESC "
	    "LIMIT ?", a, 5, limit, &res);
	if (er != ODS_OK)
		return er;
	n = ods_db_res_nrows(res);
	ods_jw_obj(jw);
	ods_jw_key(jw, "events");
	ods_jw_arr(jw);
	for (i = 0; i < n; i++) {
		ods_jw_obj(jw);
		ods_jw_kstr(jw, "event_id", ods_db_res_text(res, i, 0, NULL));
		ods_jw_kstr(jw, "event_type", ods_db_res_text(res, i, 1, NULL));
		ods_jw_kstr(jw, "job_namespace", ods_db_res_text(res, i, 2,
		    NULL));
		ods_jw_kstr(jw, "job_name", ods_db_res_text(res, i, 3, NULL));
		ods_jw_kstr(jw, "run_id", ods_db_res_text(res, i, 4, NULL));
		ods_jw_kstr(jw, "event_time", ods_db_res_text(res, i, 5, NULL));
		raw(jw, "inputs", ods_db_res_text(res, i, 6, NULL));
		raw(jw, "outputs", ods_db_res_text(res, i, 7, NULL));
		ods_jw_kstr(jw, "transformation", ods_db_res_text(res, i, 8,
		    NULL));
		ods_jw_end(jw);
	}
	ods_jw_end(jw);
	ods_db_res_free(res);
	ods_jw_kint(jw, "total", total);
	if ((er = stats(db, jw)) != ODS_OK)
		return er;
	ods_jw_end(jw);
	return ods_jw_error(jw);
}

enum ods_err
ods_lineage_export(struct ods_db *db, size_t limit, struct ods_jw *jw)
{
	struct ods_db_arg	 a[1];
	struct ods_db_res	*res = NULL;
	enum ods_err		 er;
	size_t			 i, n;

	a[0] = ods_db_int((int64_t)limit);
	er = ods_db_query_once(db, "SELECT payload FROM (SELECT id, "
	    "event_time, payload FROM lineage_events WHERE payload IS NOT "
	    "NULL ORDER BY event_time DESC, id DESC LIMIT ?) x ORDER BY "
	    "event_time, id", a, 1, limit, &res);
	if (er != ODS_OK)
		return er;
	n = ods_db_res_nrows(res);
	ods_jw_obj(jw);
	ods_jw_key(jw, "events");
	ods_jw_arr(jw);
	for (i = 0; i < n; i++)
		ods_jw_raw(jw, ods_db_res_text(res, i, 0, NULL),
		    strlen(ods_db_res_text(res, i, 0, NULL)));
	ods_jw_end(jw);
	ods_jw_kint(jw, "total", (int64_t)n);
	ods_jw_kstr(jw, "format", "openlineage");
	ods_jw_end(jw);
	ods_db_res_free(res);
	return ods_jw_error(jw);
}
