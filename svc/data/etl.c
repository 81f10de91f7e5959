/*
 * svc/data/etl.c — ETL tasks (etl.h): the bodies of both shapes, their
 * checks, the rows of etl_tasks with their schedules (lib/store/ods_sched),
 * and the runs' rows (etl_task_logs, etl_run_lines) with their jobs.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/ods_json.h"
#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "core/ods_util.h"
#include "store/ods_db.h"
#include "store/ods_jobs.h"
#include "store/ods_sched.h"
#include "datasource.h"
#include "data_int.h"
#include "sql_lex.h"

#define TS(col)	"DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%s.%fZ')"
#define COLS "t.id, t.task_id, t.name, t.description, t.task_type, " \
	"t.task_kind, t.source_id, t.source_query, t.source_config, " \
	"t.target_id, t.target_table, t.target_config, t.transform_rules, " \
	"t.schedule_type, t.schedule_cron, t.schedule_interval, " \
	"t.schedule_id, t.status, " TS("t.last_run_at") ", " \
	"t.last_run_status, t.total_runs, t.success_runs, t.failed_runs, " \
	"t.watermark, t.visibility, t.created_by, " TS("t.created_at") ", " \
	TS("t.updated_at")

static int64_t
icol(const struct ods_db_res *res, size_t i, size_t c)
{
	int64_t	v = 0;

	if (ods_db_res_int(res, i, c, &v) != ODS_OK)
		v = 0;
	return v;
}

static void
row_to(const struct ods_db_res *res, size_t i, struct ods_etl_task *t)
{
	t->id = icol(res, i, 0);
	t->task_id = ods_db_res_strdup(res, i, 1);
	t->name = ods_db_res_strdup(res, i, 2);
	t->description = ods_db_res_strdup(res, i, 3);
	t->task_type = ods_db_res_strdup(res, i, 4);
	t->kind = ods_etl_kind_parse(ods_db_res_text(res, i, 5, NULL));
	t->source_id = ods_db_res_strdup(res, i, 6);
	t->source_query = ods_db_res_strdup(res, i, 7);
	t->source_config = ods_db_res_strdup(res, i, 8);
	t->target_id = ods_db_res_strdup(res, i, 9);
	t->target_table = ods_db_res_strdup(res, i, 10);
	t->target_config = ods_db_res_strdup(res, i, 11);
	t->transform = ods_db_res_strdup(res, i, 12);
	t->schedule_type = ods_db_res_strdup(res, i, 13);
	t->schedule_cron = ods_db_res_strdup(res, i, 14);
	t->schedule_interval = icol(res, i, 15);
	t->schedule_id = icol(res, i, 16);
	t->status = ods_db_res_strdup(res, i, 17);
	t->last_run_at = ods_db_res_strdup(res, i, 18);
	t->last_run_status = ods_db_res_strdup(res, i, 19);
	t->total_runs = icol(res, i, 20);
	t->success_runs = icol(res, i, 21);
	t->failed_runs = icol(res, i, 22);
	t->watermark = ods_db_res_strdup(res, i, 23);
	t->visibility = ods_db_res_strdup(res, i, 24);
	t->created_by = ods_db_res_strdup(res, i, 25);
	t->created_at = ods_db_res_strdup(res, i, 26);
	t->updated_at = ods_db_res_strdup(res, i, 27);
}

static void
task_fini(struct ods_etl_task *t)
{
	free(t->task_id); free(t->name); free(t->description);
	free(t->task_type); free(t->source_id); free(t->source_query);
	free(t->source_config); free(t->target_id); free(t->target_table);
	free(t->target_config); free(t->transform); free(t->schedule_type);
	free(t->schedule_cron); free(t->status); free(t->last_run_at);
	free(t->last_run_status); free(t->watermark); free(t->visibility);
	free(t->created_by); free(t->created_at); free(t->updated_at);
}

void
ods_etl_free(struct ods_etl_task *t)
{
	if (t == NULL)
		return;
	task_fini(t);
	free(t);
}

void
ods_etl_list_free(struct ods_etl_task *v, size_t n)
{
	size_t	i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		task_fini(&v[i]);
	free(v);
}

/* ---- bodies ---- */

static enum ods_err
optstr(struct json_object *o, const char *f, size_t max, const char **dst,
    struct ods_why *why)
{
	enum ods_err	er;

	if (o == NULL || *dst != NULL)
		return ODS_OK;
	er = ods_json_str(o, f, 0, max, dst, why);
	return er == ODS_ENOTFOUND ? ODS_OK : er;
}

static enum ods_err
optobj(struct json_object *o, const char *f, const char **dst,
    struct ods_why *why)
{
	struct json_object	*v = NULL;
	enum ods_err		 er;

	if (o == NULL || *dst != NULL)
		return ODS_OK;
	er = ods_json_obj(o, f, 0, &v, why);
	if (er == ODS_OK)
		*dst = ods_json_text(v);
	return er == ODS_ENOTFOUND ? ODS_OK : er;
}

/* Any JSON value but null, as text (transform rules: object or array). */
static void
optany(struct json_object *o, const char *f, const char **dst)
{
	struct json_object	*v;

	if (o == NULL || *dst != NULL)
		return;
	if ((v = ods_json_get(o, f)) != NULL &&
	    ods_json_kind(v) != ODS_JSON_NULL)
		*dst = ods_json_text(v);
}

static enum ods_err
optint(struct json_object *o, const char *f, int64_t max, int64_t *dst,
    struct ods_why *why)
{
	enum ods_err	er;

	if (o == NULL || *dst >= 0)
		return ODS_OK;
	er = ods_json_int(o, f, 0, 1, max, dst, why);
	return er == ODS_ENOTFOUND ? ODS_OK : er;
}

/* The web's source{}, target{}, schedule{} over the flat keys. */
static enum ods_err
nested(struct json_object *o, struct ods_etl_spec *sp, struct ods_why *why)
{
	struct json_object	*s = ods_json_get(o, "source");
	struct json_object	*t = ods_json_get(o, "target");
	struct json_object	*c = ods_json_get(o, "schedule");
	enum ods_err		 er;

	if (!ods_json_is_obj(s))
		s = NULL;
	if (!ods_json_is_obj(t))
		t = NULL;
	if (!ods_json_is_obj(c))
		c = NULL;
	if ((er = optstr(s, "source_id", ODS_ETL_ID_MAX, &sp->source_id,
	    why)) != ODS_OK ||
	    (er = optstr(s, "datasource_id", ODS_ETL_ID_MAX, &sp->source_id,
	    why)) != ODS_OK ||
	    (er = optstr(s, "query", ODS_ETL_SQL_MAX, &sp->source_query,
	    why)) != ODS_OK ||
	    (er = optobj(s, "config", &sp->source_config, why)) != ODS_OK ||
	    (er = optstr(t, "target_id", ODS_ETL_ID_MAX, &sp->target_id,
	    why)) != ODS_OK ||
	    (er = optstr(t, "datasource_id", ODS_ETL_ID_MAX, &sp->target_id,
	    why)) != ODS_OK ||
	    (er = optstr(t, "table", 200, &sp->target_table, why)) != ODS_OK ||
	    (er = optobj(t, "config", &sp->target_config, why)) != ODS_OK ||
	    (er = optstr(c, "type", 16, &sp->schedule_type, why)) != ODS_OK ||
	    (er = optstr(c, "cron", 256, &sp->schedule_cron, why)) != ODS_OK ||
	    (er = optint(c, "interval", ODS_SCHED_INTERVAL_MAX,
	    &sp->schedule_interval, why)) != ODS_OK)
		return er;
	return ODS_OK;
}

enum ods_err
ods_etl_spec_parse(struct json_object *o, struct ods_etl_spec *sp,
    struct ods_why *why)
{
	enum ods_err	er;

	memset(sp, 0, sizeof(*sp));
	sp->schedule_interval = -1;
	if (o == NULL)
		return ODS_OK;
	if ((er = optstr(o, "name", ODS_ETL_NAME_MAX, &sp->name, why)) !=
	    ODS_OK ||
	    (er = optstr(o, "description", ODS_ETL_DESC_MAX,
	    &sp->description, why)) != ODS_OK ||
	    (er = optstr(o, "task_type", 32, &sp->task_type, why)) != ODS_OK ||
	    (er = optstr(o, "kind", 32, &sp->task_type, why)) != ODS_OK ||
	    (er = optstr(o, "source_id", ODS_ETL_ID_MAX, &sp->source_id,
	    why)) != ODS_OK ||
	    (er = optstr(o, "source_query", ODS_ETL_SQL_MAX,
	    &sp->source_query, why)) != ODS_OK ||
	    (er = optstr(o, "sql_script", ODS_ETL_SQL_MAX, &sp->source_query,
	    why)) != ODS_OK ||
	    (er = optobj(o, "source_config", &sp->source_config, why)) !=
	    ODS_OK ||
	    (er = optstr(o, "target_id", ODS_ETL_ID_MAX, &sp->target_id,
	    why)) != ODS_OK ||
	    (er = optstr(o, "target_table", 200, &sp->target_table, why)) !=
	    ODS_OK ||
	    (er = optobj(o, "target_config", &sp->target_config, why)) !=
	    ODS_OK ||
	    (er = optstr(o, "schedule_type", 16, &sp->schedule_type, why)) !=
	    ODS_OK ||
	    (er = optstr(o, "schedule_cron", 256, &sp->schedule_cron, why)) !=
	    ODS_OK ||
	    (er = optint(o, "schedule_interval", ODS_SCHED_INTERVAL_MAX,
	    &sp->schedule_interval, why)) != ODS_OK ||
	    (er = optstr(o, "visibility", 16, &sp->visibility, why)) !=
	    ODS_OK)
		return er;
	optany(o, "transform_rules", &sp->transform);
	optany(o, "transform_config", &sp->transform);
	optany(o, "transformations", &sp->transform);
	if ((er = nested(o, sp, why)) != ODS_OK)
		return er;
	/* schedule_config{cron, interval} (the reference's). */
	{
		struct json_object *c = ods_json_get(o, "schedule_config");

		if (ods_json_is_obj(c) && ((er = optstr(c, "cron", 256,
		    &sp->schedule_cron, why)) != ODS_OK || (er = optint(c,
		    "interval", ODS_SCHED_INTERVAL_MAX,
		    &sp->schedule_interval, why)) != ODS_OK))
			return er;
	}
	return ODS_OK;
}

/* ---- checks ---- */

/* A member of a JSON config text (borrowed from *doc, which the caller
 * releases). */
static const char *
cfg_str(const char *json, const char *key, struct json_object **doc)
{
	struct ods_why	why;

	if (*doc == NULL && json != NULL &&
	    ods_json_parse(json, strlen(json), 8, doc, &why) != ODS_OK)
		*doc = NULL;
	return *doc != NULL ? ods_json_get_str(*doc, key) : NULL;
}

static enum ods_err
bad(struct ods_why *why, const char *field, const char *msg)
{
	ods_why_set(why, field, "%s", msg);
	return ODS_EINVAL;
}

/* A source visible to owner, of a type that can connect: its kind. */
static enum ods_err
check_ds(struct ods_db *db, const char *id, const char *owner,
    const char *field, int *kind, struct ods_why *why)
{
	struct ods_ds	*d = NULL;
	enum ods_err	 er;

	if (id == NULL || *id == '\0')
		return bad(why, field, "a data source id is required");
	er = ods_ds_get(db, id, owner, &d);
	if (er == ODS_ENOTFOUND)
		return bad(why, field, "no such data source");
	if (er != ODS_OK)
		return er;
	*kind = odsi_ds_kind(d->type);
	ods_ds_free(d);
	if (*kind <= ODSI_DS_NONE)
		return bad(why, field, "only mysql, mariadb and postgresql "
		    "sources can run ETL");
	return ODS_OK;
}

static enum ods_err
check_query(const char *q, int kind, struct ods_why *why)
{
	struct ods_sql_verdict	v;

	if (q == NULL || *q == '\0')
		return bad(why, "source_query", "a query is required");
	if (ods_sql_check(q, strlen(q), kind == ODSI_DS_PG ? ODS_SQL_PG :
	    ODS_SQL_MYSQL, &v) != ODS_OK) {
		ods_why_set(why, "source_query", "%s", v.why);
		return ODS_EINVAL;
	}
	if (strcmp(v.kind, "select") != 0 && strcmp(v.kind, "with") != 0 &&
	    strcmp(v.kind, "values") != 0 && strcmp(v.kind, "table") != 0 &&
	    strcmp(v.kind, "(") != 0)
		return bad(why, "source_query", "the query must be a SELECT");
	return ODS_OK;
}

static enum ods_err
check_kind(struct ods_db *db, const struct ods_etl_spec *sp,
    const char *owner, struct ods_why *why)
{
	struct json_object	*sd = NULL, *td = NULL;
	enum ods_etl_kind	 k = ods_etl_kind_parse(sp->task_type);
	enum ods_err		 er = ODS_OK;
	const char		*s;
	int			 sk = 0, tk = 0;

	if (k == ODS_ETL_SQL_TRANSFORM || k == ODS_ETL_TABLE_COPY ||
	    k == ODS_ETL_EXPORT)
		er = check_ds(db, sp->source_id, owner, "source_id", &sk, why);
	if (er == ODS_OK && k != ODS_ETL_EXPORT)
		er = check_ds(db, sp->target_id, owner, "target_id", &tk, why);
	if (er == ODS_OK && k != ODS_ETL_EXPORT &&
	    !ods_etl_ident_ok(sp->target_table, 2))
		er = bad(why, "target_table", "target_table must be a table "
		    "name ([A-Za-z_][A-Za-z0-9_$]*, or schema.table)");
	if (er == ODS_OK && (k == ODS_ETL_SQL_TRANSFORM || k == ODS_ETL_EXPORT))
		er = check_query(sp->source_query, sk, why);
	if (er == ODS_OK && k == ODS_ETL_TABLE_COPY &&
	    !ods_etl_ident_ok(cfg_str(sp->source_config, "table", &sd), 2))
		er = bad(why, "source_config.table", "the table to copy "
		    "must be a table name");
	if (er == ODS_OK && k == ODS_ETL_TABLE_COPY &&
	    (s = cfg_str(sp->source_config, "incremental_key", &sd)) != NULL &&
	    !ods_etl_ident_ok(s, 1))
		er = bad(why, "source_config.incremental_key", "the "
		    "incremental key must be a column name");
	if (er == ODS_OK && k == ODS_ETL_FILE_IMPORT &&
	    cfg_str(sp->source_config, "dataset_id", &sd) == NULL)
		er = bad(why, "source_config.dataset_id", "the dataset to "
		    "import is required");
	if (er == ODS_OK && k == ODS_ETL_EXPORT &&
	    cfg_str(sp->target_config, "dataset_id", &td) == NULL)
		er = bad(why, "target_config.dataset_id", "the dataset to "
		    "export to is required");
	ods_json_put(sd);
	ods_json_put(td);
	return er;
}

static enum ods_err
check_spec(struct ods_db *db, const struct ods_etl_spec *sp,
    const char *owner, struct ods_why *why)
{
	const char	*st = sp->schedule_type;

	if (sp->name == NULL || *sp->name == '\0')
		return bad(why, "name", "name is required");
	if (ods_etl_kind_parse(sp->task_type) == 0)
		return bad(why, "task_type", "task_type must be sql_transform, "
		    "table_copy, file_import or export");
	if (sp->visibility != NULL && strcmp(sp->visibility, "private") != 0 &&
	    strcmp(sp->visibility, "public") != 0)
		return bad(why, "visibility", "visibility must be private or "
		    "public");
	if (st != NULL && strcmp(st, "manual") != 0 &&
	    strcmp(st, "cron") != 0 && strcmp(st, "interval") != 0)
		return bad(why, "schedule_type", "schedule_type must be "
		    "manual, cron or interval");
	if (st != NULL && strcmp(st, "cron") == 0 &&
	    (sp->schedule_cron == NULL || *sp->schedule_cron == '\0'))
		return bad(why, "schedule_cron", "a cron schedule needs "
		    "schedule_cron");
	if (st != NULL && strcmp(st, "interval") == 0 &&
	    sp->schedule_interval <= 0)
		return bad(why, "schedule_interval", "an interval schedule "
		    "needs schedule_interval (seconds)");
	return check_kind(db, sp, owner, why);
}

/* ---- schedules ---- */

/* The task's schedule made, changed or removed to match t. */
static enum ods_err
sync_schedule(struct ods_db *db, struct ods_etl_task *t, const char *tz,
    struct ods_why *why)
{
	struct ods_sched_spec	 ss;
	char			 name[ODS_SCHED_NAME_MAX + 1], payload[160];
	int			 on;
	enum ods_err		 er;
	int64_t			 id = t->schedule_id;
	struct ods_db_arg	 a[2];

	on = t->schedule_type != NULL &&
	    strcmp(t->schedule_type, "manual") != 0;
	if (!on) {
		if (id > 0 && (er = ods_sched_delete(db, id)) != ODS_OK &&
		    er != ODS_ENOTFOUND)
			return er;
		id = 0;
	} else {
		memset(&ss, 0, sizeof(ss));
		snprintf(name, sizeof(name), "etl:%s", t->task_id);
		snprintf(payload, sizeof(payload), "{\"task_id\":\"%s\","
		    "\"trigger\":\"schedule\"}", t->task_id);
		ss.name = name;
		ss.kind = strcmp(t->schedule_type, "cron") == 0 ?
		    ODS_SCHED_CRON : ODS_SCHED_INTERVAL;
		ss.cron = t->schedule_cron;
		ss.interval_s = t->schedule_interval;
		ss.tz = tz;
		ss.job_type = ODS_ETL_JOB_TYPE;
		ss.payload = payload;
		ss.created_by = t->created_by;
		er = id > 0 ? ods_sched_update(db, id, &ss, (int64_t)time(NULL),
		    why) : ods_sched_create(db, &ss, (int64_t)time(NULL), &id,
		    why);
		if (er == ODS_EINVAL && strcmp(why->field, "cron_expr") == 0)
			snprintf(why->field, sizeof(why->field),
			    "schedule_cron");
		if (er == ODS_EINVAL && strcmp(why->field, "interval_seconds")
		    == 0)
			snprintf(why->field, sizeof(why->field),
			    "schedule_interval");
		if (er != ODS_OK)
			return er;
	}
	t->schedule_id = id;
	a[0] = id > 0 ? ods_db_int(id) : ods_db_null();
	a[1] = ods_db_text(t->task_id);
	return ods_db_exec_once(db, "UPDATE etl_tasks SET schedule_id = ? "
	    "WHERE task_id = ?", a, 2, NULL);
}

/* ---- CRUD ---- */

static void
new_task_id(char out[40])
{
	unsigned char	r[8];
	char		hex[17];

	ods_random(r, sizeof(r));
	ods_hex(r, sizeof(r), hex);
	hex[16] = '\0';
	snprintf(out, 40, "etl_%s", hex);
}

static enum ods_err
store(struct ods_db *db, const struct ods_etl_spec *sp, const char *id,
    const char *owner, int create)
{
	struct ods_db_arg	a[18];
	const char		*st = sp->schedule_type != NULL ?
	    sp->schedule_type : "manual";

	a[0] = ods_db_text(sp->name);
	a[1] = ods_db_text(sp->description);
	a[2] = ods_db_text(sp->task_type);
	a[3] = ods_db_text(sp->task_type);
	a[4] = ods_db_text(sp->source_id);
	a[5] = ods_db_text(sp->source_query);
	a[6] = ods_db_text(sp->source_config);
	a[7] = ods_db_text(sp->target_id);
	a[8] = ods_db_text(sp->target_table);
	a[9] = ods_db_text(sp->target_config);
	a[10] = ods_db_text(sp->transform);
	a[11] = ods_db_text(st);
	a[12] = ods_db_text(sp->schedule_cron);
	a[13] = sp->schedule_interval > 0 ?
	    ods_db_int(sp->schedule_interval) : ods_db_null();
	a[14] = ods_db_text(sp->visibility != NULL ? sp->visibility :
	    "private");
	a[15] = ods_db_text(id);
	a[16] = ods_db_text(owner != NULL ? owner : "");
	if (!create)
		return ods_db_exec_once(db,
		    "UPDATE etl_tasks SET name = ?, "
		    "description = ?, task_type = ?, task_kind = ?, "
		    "source_id = ?, source_query = ?, source_config = ?, "
		    "target_id = ?, target_table = ?, target_config = ?, "
		    "transform_rules = ?, schedule_type = ?, schedule_cron = "
		    "?, "
		    "schedule_interval = ?, visibility = ? WHERE task_id = ?",
		    a, 16, NULL);
	return ods_db_exec_once(db, "INSERT INTO etl_tasks (name, description, "
	    "task_type, task_kind, source_id, source_query, source_config, "
	    "target_id, target_table, target_config, transform_rules, "
	    "schedule_type, schedule_cron, schedule_interval, visibility, "
	    "task_id, created_by, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
	    "?, ?, ?, ?, ?, ?, ?, ?, 'pending')", a, 17, NULL);
}

enum ods_err
ods_etl_create(struct ods_db *db, const struct ods_etl_spec *sp,
    const char *owner, const char *tz, struct ods_etl_task **out,
    struct ods_why *why)
{
	char		id[40];
	enum ods_err	er;

	*out = NULL;
	if ((er = check_spec(db, sp, owner, why)) != ODS_OK)
		return er;
	new_task_id(id);
	if ((er = store(db, sp, id, owner, 1)) != ODS_OK)
		return er;
	if ((er = ods_etl_get(db, id, NULL, out)) != ODS_OK)
		return er;
	if ((er = sync_schedule(db, *out, tz, why)) != ODS_OK) {
		/* A schedule refused: no task half made. */
		odsi_etl_ignore(ods_etl_delete(db, *out, NULL));
		ods_etl_free(*out);
		*out = NULL;
	}
	return er;
}

enum ods_err
ods_etl_get(struct ods_db *db, const char *id, const char *owner,
    struct ods_etl_task **out)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[3];
	enum ods_err		 er;

	*out = NULL;
	if (id == NULL || strlen(id) > ODS_ETL_ID_MAX)
		return ODS_ENOTFOUND;
	a[0] = ods_db_text(id);
	a[1] = ods_db_int(owner == NULL);
	a[2] = ods_db_text(owner != NULL ? owner : "");
	er = ods_db_query_once(db, "SELECT " COLS " FROM etl_tasks t WHERE "
	    "t.task_id = ? AND (? = 1 OR t.created_by = ? OR "
	    "t.visibility = 'public')", a, 3, 1, &res);
	if (er != ODS_OK)
		return er;
	if (ods_db_res_nrows(res) == 0) {
		ods_db_res_free(res);
		return ODS_ENOTFOUND;
	}
	*out = ods_xcalloc(1, sizeof(**out));
	row_to(res, 0, *out);
	ods_db_res_free(res);
	return ODS_OK;
}

enum ods_err
ods_etl_list(struct ods_db *db, const char *owner,
    const struct ods_etl_filter *f, size_t offset, size_t limit,
    struct ods_etl_task **out, size_t *n, int64_t *total)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[12];
	enum ods_err		 er;
	size_t			 i;

	*out = NULL;
	*n = 0;
	*total = 0;
	if (limit > ODS_ETL_LIST_MAX)
		limit = ODS_ETL_LIST_MAX;
	a[0] = ods_db_int(owner == NULL);
	a[1] = ods_db_text(owner != NULL ? owner : "");
	a[2] = ods_db_int(f->status == NULL);
	a[3] = ods_db_text(f->status != NULL ? f->status : "");
	a[4] = ods_db_int(f->task_type == NULL);
	a[5] = ods_db_text(f->task_type != NULL ? f->task_type : "");
	a[6] = ods_db_text(f->task_type != NULL ? f->task_type : "");
	a[7] = ods_db_int(f->keyword == NULL);
	a[8] = ods_db_text(f->keyword != NULL ? f->keyword : "");
	a[9] = ods_db_int((int64_t)limit);
	a[10] = ods_db_int((int64_t)offset);
#define WHERE                                                                  \
	" FROM etl_tasks t WHERE (? = 1 OR t.created_by = ? OR "               \
	"t.visibility = 'public') AND (? = 1 OR t.status = ?) AND (? = 1 OR "  \
	"t.task_kind = ? OR t.task_type = ?) AND (? = 1 OR INSTR(t.name, ?) "  \
	"> 0)"
	er = ods_db_query_once(db, "SELECT " COLS WHERE " ORDER BY "
	    "t.created_at DESC, t.id DESC LIMIT ? OFFSET ?", a, 11, limit,
	    &res);
	if (er != ODS_OK)
		return er;
	*n = ods_db_res_nrows(res);
	if (*n > 0) {
		*out = ods_xcalloc(*n, sizeof(**out));
		for (i = 0; i < *n; i++)
			row_to(res, i, &(*out)[i]);
	}
	ods_db_res_free(res);
	er = ods_db_query_once(db, "SELECT COUNT(*)" WHERE, a, 9, 1, &res);
#undef WHERE
	if (er == ODS_OK)
		*total = icol(res, 0, 0);
	ods_db_res_free(res);
	return er;
}

static int
may_change(const struct ods_etl_task *t, const char *owner)
{
	return owner == NULL || (t->created_by != NULL &&
	    strcmp(t->created_by, owner) == 0);
}

/* The stored task as a spec, for merging an update over it. */
static void
spec_of_task(const struct ods_etl_task *t, struct ods_etl_spec *sp)
{
	memset(sp, 0, sizeof(*sp));
	sp->name = t->name;
	sp->description = t->description;
	sp->task_type = ods_etl_kind_name(t->kind);
	sp->source_id = t->source_id;
	sp->source_query = t->source_query;
	sp->source_config = t->source_config;
	sp->target_id = t->target_id;
	sp->target_table = t->target_table;
	sp->target_config = t->target_config;
	sp->transform = t->transform;
	sp->schedule_type = t->schedule_type;
	sp->schedule_cron = t->schedule_cron;
	sp->schedule_interval = t->schedule_interval;
	sp->visibility = t->visibility;
}

#define MERGE(f)	if (in->f != NULL) m.f = in->f

enum ods_err
ods_etl_update(struct ods_db *db, struct ods_etl_task *t,
    const struct ods_etl_spec *in, const char *owner, const char *tz,
    struct ods_why *why)
{
	struct ods_etl_task	*nt = NULL;
	struct ods_etl_spec	 m;
	enum ods_err		 er;

	if (!may_change(t, owner))
		return ODS_EFORBIDDEN;
	spec_of_task(t, &m);
	MERGE(name); MERGE(description); MERGE(task_type); MERGE(source_id);
	MERGE(source_query); MERGE(source_config); MERGE(target_id);
	MERGE(target_table); MERGE(target_config); MERGE(transform);
	MERGE(schedule_type); MERGE(schedule_cron); MERGE(visibility);
	if (in->schedule_interval > 0)
		m.schedule_interval = in->schedule_interval;
	if ((er = check_spec(db, &m, owner, why)) != ODS_OK)
		return er;
	if ((er = store(db, &m, t->task_id, owner, 0)) != ODS_OK)
		return er;
	if ((er = ods_etl_get(db, t->task_id, NULL, &nt)) != ODS_OK)
		return er;
	er = sync_schedule(db, nt, tz, why);
	task_fini(t);
	*t = *nt;
	free(nt);
	return er;
}
#undef MERGE

/* Cancel the jobs of task_id's pending and running executions. */
static enum ods_err
cancel_runs(struct ods_db *db, const char *task_id)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[1];
	enum ods_err		 er;
	int64_t			 job;
	size_t			 i;

	a[0] = ods_db_text(task_id);
	er = ods_db_query_once(db, "SELECT job_id FROM etl_task_logs WHERE "
	    "task_id = ? AND status IN ('pending', 'running') AND job_id > 0",
	    a, 1, 1000, &res);
	for (i = 0; er == ODS_OK && i < ods_db_res_nrows(res); i++) {
		job = ods_db_res_int0(res, i, 0);
		er = ods_jobs_cancel(db, job, NULL, NULL);
		if (er == ODS_ECONFLICT || er == ODS_ENOTFOUND)
			er = ODS_OK;	/* it ended meanwhile */
	}
	ods_db_res_free(res);
	return er;
}

enum ods_err
ods_etl_delete(struct ods_db *db, const struct ods_etl_task *t,
    const char *owner)
{
	struct ods_db_arg	a[1];
	enum ods_err		er;

	if (!may_change(t, owner))
		return ODS_EFORBIDDEN;
	if (t->schedule_id > 0 && (er = ods_sched_delete(db, t->schedule_id)) !=
	    ODS_OK && er != ODS_ENOTFOUND)
		return er;
	/* Its runs stop with it (the worker drops their staging tables). */
	if ((er = cancel_runs(db, t->task_id)) != ODS_OK)
		return er;
	a[0] = ods_db_text(t->task_id);
	if ((er = ods_db_exec_once(db, "DELETE FROM etl_run_lines WHERE "
	    "task_id = ?", a, 1, NULL)) != ODS_OK)
		return er;
	return ods_db_exec_once(db, "DELETE FROM etl_tasks WHERE task_id = ?",
	    a, 1, NULL);
}

static void
kraw(struct ods_jw *jw, const char *k, const char *json, const char *dflt)
{
	ods_jw_key(jw, k);
	if (json != NULL)
		ods_jw_raw(jw, json, strlen(json));
	else if (dflt != NULL)
		ods_jw_raw(jw, dflt, strlen(dflt));
	else
		ods_jw_null(jw);
}

void
ods_etl_json(struct ods_jw *jw, const struct ods_etl_task *t)
{
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "task_id", t->task_id);
	ods_jw_kstr(jw, "id", t->task_id);
	ods_jw_kstr(jw, "name", t->name);
	ods_jw_kstr(jw, "description", t->description);
	ods_jw_kstr(jw, "task_type", ods_etl_kind_name(t->kind));
	ods_jw_kstr(jw, "type", ods_etl_kind_name(t->kind));
	ods_jw_kstr(jw, "source_type", t->kind == ODS_ETL_FILE_IMPORT ?
	    "dataset" : "datasource");
	ods_jw_kstr(jw, "source_id", t->source_id);
	ods_jw_kstr(jw, "source_query", t->source_query);
	kraw(jw, "source_config", t->source_config, "{}");
	ods_jw_kstr(jw, "target_type", t->kind == ODS_ETL_EXPORT ?
	    "dataset" : "datasource");
	ods_jw_kstr(jw, "target_id", t->target_id);
	ods_jw_kstr(jw, "target_table", t->target_table);
	kraw(jw, "target_config", t->target_config, "{}");
	kraw(jw, "transform_rules", t->transform, NULL);
	ods_jw_kstr(jw, "sql_script", t->source_query);
	ods_jw_kstr(jw, "schedule_type", t->schedule_type);
	ods_jw_kstr(jw, "schedule_cron", t->schedule_cron);
	if (t->schedule_interval > 0)
		ods_jw_kint(jw, "schedule_interval", t->schedule_interval);
	else {
		ods_jw_key(jw, "schedule_interval");
		ods_jw_null(jw);
	}
	ods_jw_kstr(jw, "status", t->status);
	ods_jw_kstr(jw, "last_run_at", t->last_run_at);
	ods_jw_kstr(jw, "last_run_status", t->last_run_status);
	ods_jw_kint(jw, "total_runs", t->total_runs);
	ods_jw_kint(jw, "success_runs", t->success_runs);
	ods_jw_kint(jw, "failed_runs", t->failed_runs);
	ods_jw_kstr(jw, "watermark", t->watermark);
	ods_jw_kstr(jw, "visibility", t->visibility);
	ods_jw_key(jw, "tags");
	ods_jw_raw(jw, "[]", 2);
	ods_jw_kstr(jw, "created_by", t->created_by);
	ods_jw_kstr(jw, "created_at", t->created_at);
	ods_jw_kstr(jw, "updated_at", t->updated_at);
	/* The web's nesting of the same values. */
	ods_jw_key(jw, "source");
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "type", t->kind == ODS_ETL_FILE_IMPORT ? "dataset" :
	    "datasource");
	ods_jw_kstr(jw, "source_id", t->source_id);
	ods_jw_kstr(jw, "query", t->source_query);
	kraw(jw, "config", t->source_config, "{}");
	ods_jw_end(jw);
	ods_jw_key(jw, "target");
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "type", t->kind == ODS_ETL_EXPORT ? "dataset" :
	    "datasource");
	ods_jw_kstr(jw, "target_id", t->target_id);
	ods_jw_kstr(jw, "table", t->target_table);
	kraw(jw, "config", t->target_config, "{}");
	ods_jw_end(jw);
	ods_jw_key(jw, "schedule");
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "type", t->schedule_type);
	ods_jw_kstr(jw, "cron", t->schedule_cron);
	ods_jw_kint(jw, "interval", t->schedule_interval);
	ods_jw_kint(jw, "schedule_id", t->schedule_id);
	ods_jw_end(jw);
	ods_jw_key(jw, "statistics");
	ods_jw_obj(jw);
	ods_jw_kint(jw, "total_runs", t->total_runs);
	ods_jw_kint(jw, "success_runs", t->success_runs);
	ods_jw_kint(jw, "failed_runs", t->failed_runs);
	ods_jw_kstr(jw, "last_run_at", t->last_run_at);
	ods_jw_kstr(jw, "last_run_status", t->last_run_status);
	ods_jw_end(jw);
	ods_jw_end(jw);
}

/* ---- runs ---- */

enum ods_err
ods_etl_start(struct ods_db *db, struct ods_redis *redis,
    const struct ods_etl_task *t, const char *user, const char *trigger,
    char exec_id[40])
{
	struct ods_jobs_spec	 js;
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[4];
	unsigned char		 r[8];
	char			 hex[17], payload[200];
	int64_t			 job = 0;
	int			 existed = 0;
	enum ods_err		 er;

	a[0] = ods_db_text(t->task_id);
	er = ods_db_query_once(db, "SELECT log_id FROM etl_task_logs WHERE "
	    "task_id = ? AND status IN ('pending', 'running') LIMIT 1", a, 1,
	    1, &res);
	if (er != ODS_OK)
		return er;
	if (ods_db_res_nrows(res) > 0) {
		snprintf(exec_id, 40, "%s", ods_db_res_text(res, 0, 0, NULL));
		ods_db_res_free(res);
		return ODS_ECONFLICT;
	}
	ods_db_res_free(res);
	ods_random(r, sizeof(r));
	ods_hex(r, sizeof(r), hex);
	hex[16] = '\0';
	snprintf(exec_id, 40, "exec_%s", hex);
	a[0] = ods_db_text(exec_id);
	a[1] = ods_db_text(t->task_id);
	a[2] = ods_db_text(trigger);
	a[3] = ods_db_text(user != NULL ? user : "");
	if ((er = ods_db_exec_once(db, "INSERT INTO etl_task_logs (log_id, "
	    "task_id, status, trigger_type, triggered_by) VALUES (?, ?, "
	    "'pending', ?, ?)", a, 4, NULL)) != ODS_OK)
		return er;
	snprintf(payload, sizeof(payload), "{\"task_id\":\"%s\","
	    "\"execution_id\":\"%s\"}", t->task_id, exec_id);
	memset(&js, 0, sizeof(js));
	js.type = ODS_ETL_JOB_TYPE;
	js.payload = payload;
	js.created_by = user;
	js.idempotency_key = exec_id;
	js.max_attempts = 3;
	if ((er = ods_jobs_enqueue(db, redis, &js, &job, &existed)) != ODS_OK)
		return er;
	a[0] = ods_db_int(job);
	a[1] = ods_db_text(exec_id);
	odsi_etl_ignore(ods_db_exec_once(db,
	    "UPDATE etl_task_logs SET job_id = ? "
	    "WHERE log_id = ?",
	    a, 2, NULL));
	a[0] = ods_db_text(t->task_id);
	odsi_etl_ignore(ods_db_exec_once(db,
	    "UPDATE etl_tasks SET status = 'pending' "
	    "WHERE task_id = ?",
	    a, 1, NULL));
	return ODS_OK;
}

enum ods_err
ods_etl_exec_ensure(struct ods_db *db, const char *task_id,
    const char *exec_id, int64_t job_id, const char *trigger)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[4];
	uint64_t		 added = 0;
	enum ods_err		 er;
	size_t			 i;

	a[0] = ods_db_text(task_id);
	er = ods_db_query_once(db, "SELECT log_id FROM etl_task_logs WHERE "
	    "task_id = ? AND status IN ('pending', 'running')", a, 1, 8, &res);
	if (er != ODS_OK)
		return er;
	for (i = 0; i < ods_db_res_nrows(res); i++)
		if (strcmp(ods_db_res_text(res, i, 0, NULL), exec_id) != 0) {
			ods_db_res_free(res);
			return ODS_ECONFLICT;
		}
	ods_db_res_free(res);
	a[0] = ods_db_text(exec_id);
	a[1] = ods_db_text(trigger);
	a[2] = ods_db_int(job_id);
	a[3] = ods_db_text(task_id);
	er = ods_db_exec_once(db, "INSERT IGNORE INTO etl_task_logs (log_id, "
	    "task_id, status, trigger_type, job_id) SELECT ?, task_id, "
	    "'pending', ?, ? FROM etl_tasks WHERE task_id = ?", a, 4, &added);
	if (er != ODS_OK)
		return er;
	a[0] = ods_db_text(exec_id);
	er = ods_db_query_once(db, "SELECT 1 FROM etl_task_logs WHERE log_id = "
	    "?", a, 1, 1, &res);
	if (er == ODS_OK && ods_db_res_nrows(res) == 0)
		er = ODS_ENOTFOUND;
	ods_db_res_free(res);
	return er;
}

enum ods_err
ods_etl_stop(struct ods_db *db, const struct ods_etl_task *t,
    char exec_id[40])
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[2];
	int64_t			 job = 0;
	enum ods_err		 er;

	a[0] = ods_db_text(t->task_id);
	er = ods_db_query_once(db, "SELECT log_id, job_id FROM etl_task_logs "
	    "WHERE task_id = ? AND status IN ('pending', 'running') ORDER BY "
	    "id DESC LIMIT 1", a, 1, 1, &res);
	if (er != ODS_OK)
		return er;
	if (ods_db_res_nrows(res) == 0) {
		ods_db_res_free(res);
		return ODS_ENOTFOUND;
	}
	snprintf(exec_id, 40, "%s", ods_db_res_text(res, 0, 0, NULL));
	job = icol(res, 0, 1);
	ods_db_res_free(res);
	if (job > 0 && (er = ods_jobs_cancel(db, job, NULL, NULL)) != ODS_OK &&
	    er != ODS_ECONFLICT && er != ODS_ENOTFOUND)
		return er;
	a[0] = ods_db_text(exec_id);
	if ((er = ods_db_exec_once(db, "UPDATE etl_task_logs SET status = "
	    "'stopped', finished_at = COALESCE(finished_at, NOW(3)), "
	    "updated_at = NOW(3) WHERE log_id = ? AND status IN ('pending', "
	    "'running')", a, 1, NULL)) != ODS_OK)
		return er;
	a[0] = ods_db_text(t->task_id);
	odsi_etl_ignore(ods_db_exec_once(db,
	    "UPDATE etl_tasks SET status = 'stopped', "
	    "last_run_status = 'stopped' WHERE task_id = ?",
	    a, 1, NULL));
	odsi_etl_line(db, t->task_id, exec_id, 0, "info", "stop",
	    "stop requested");
	return ODS_OK;
}

#define EXEC_COLS "l.log_id, l.task_id, l.status, l.trigger_type, " \
	"l.triggered_by, " TS("l.started_at") ", " TS("l.finished_at") ", " \
	"l.duration_seconds, l.rows_read, l.rows_written, l.rows_rejected, " \
	"l.bytes_read, l.bytes_written, l.error_message, l.progress, " \
	"l.job_id, l.attempt, l.reject_sample, " TS("l.created_at")

static void
exec_json(struct ods_jw *jw, const struct ods_db_res *res, size_t i)
{
	const char	*s;
	double		 d = 0;

	ods_jw_obj(jw);
	ods_jw_kstr(jw, "execution_id", ods_db_res_text(res, i, 0, NULL));
	ods_jw_kstr(jw, "log_id", ods_db_res_text(res, i, 0, NULL));
	ods_jw_kstr(jw, "task_id", ods_db_res_text(res, i, 1, NULL));
	ods_jw_kstr(jw, "status", ods_db_res_text(res, i, 2, NULL));
	ods_jw_kstr(jw, "trigger_type", ods_db_res_text(res, i, 3, NULL));
	ods_jw_kstr(jw, "triggered_by", ods_db_res_text(res, i, 4, NULL));
	ods_jw_kstr(jw, "started_at", ods_db_res_text(res, i, 5, NULL));
	ods_jw_kstr(jw, "finished_at", ods_db_res_text(res, i, 6, NULL));
	if (ods_db_res_double(res, i, 7, &d) != ODS_OK)
		d = 0;
	ods_jw_knum(jw, "duration_seconds", d);
	ods_jw_kint(jw, "rows_read", icol(res, i, 8));
	ods_jw_kint(jw, "rows_written", icol(res, i, 9));
	ods_jw_kint(jw, "rows_rejected", icol(res, i, 10));
	ods_jw_kint(jw, "bytes_read", icol(res, i, 11));
	ods_jw_kint(jw, "bytes_written", icol(res, i, 12));
	ods_jw_kstr(jw, "error", ods_db_res_text(res, i, 13, NULL));
	ods_jw_kstr(jw, "error_message", ods_db_res_text(res, i, 13, NULL));
	ods_jw_kint(jw, "progress", icol(res, i, 14));
	ods_jw_kint(jw, "job_id", icol(res, i, 15));
	ods_jw_kint(jw, "attempt", icol(res, i, 16));
	s = ods_db_res_text(res, i, 17, NULL);
	kraw(jw, "reject_sample", s, "[]");
	ods_jw_kstr(jw, "created_at", ods_db_res_text(res, i, 18, NULL));
	ods_jw_end(jw);
}

enum ods_err
ods_etl_executions(struct ods_db *db, const char *task_id, size_t offset,
    size_t limit, struct ods_jw *jw, int64_t *total)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[3];
	enum ods_err		 er;
	size_t			 i;

	*total = 0;
	a[0] = ods_db_text(task_id);
	a[1] = ods_db_int((int64_t)limit);
	a[2] = ods_db_int((int64_t)offset);
	er = ods_db_query_once(db, "SELECT " EXEC_COLS " FROM etl_task_logs l "
	    "WHERE l.task_id = ? ORDER BY l.id DESC LIMIT ? OFFSET ?", a, 3,
	    limit, &res);
	if (er != ODS_OK)
		return er;
	for (i = 0; i < ods_db_res_nrows(res); i++)
		exec_json(jw, res, i);
	ods_db_res_free(res);
	er = ods_db_query_once(db, "SELECT COUNT(*) FROM etl_task_logs WHERE "
	    "task_id = ?", a, 1, 1, &res);
	if (er == ODS_OK)
		*total = icol(res, 0, 0);
	ods_db_res_free(res);
	return er;
}

enum ods_err
ods_etl_logs(struct ods_db *db, const char *task_id, const char *exec_id,
    size_t offset, size_t limit, struct ods_jw *jw, int64_t *total)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[5];
	enum ods_err		 er;
	size_t			 i;

	*total = 0;
	a[0] = ods_db_text(task_id);
	a[1] = ods_db_int(exec_id == NULL);
	a[2] = ods_db_text(exec_id != NULL ? exec_id : "");
	a[3] = ods_db_int((int64_t)limit);
	a[4] = ods_db_int((int64_t)offset);
	er = ods_db_query_once(db,
	    "SELECT log_id, attempt, level, step, "
	    "message, " TS(
		"created_at") " FROM etl_run_lines WHERE task_id = ? "
			      "AND (? = 1 OR log_id = ?) ORDER BY id LIMIT ? "
			      "OFFSET ?",
	    a, 5, limit, &res);
	if (er != ODS_OK)
		return er;
	for (i = 0; i < ods_db_res_nrows(res); i++) {
		ods_jw_obj(jw);
		ods_jw_kstr(jw, "execution_id", ods_db_res_text(res, i, 0,
		    NULL));
		ods_jw_kint(jw, "attempt", icol(res, i, 1));
		ods_jw_kstr(jw, "level", ods_db_res_text(res, i, 2, NULL));
		ods_jw_kstr(jw, "step", ods_db_res_text(res, i, 3, NULL));
		ods_jw_kstr(jw, "message", ods_db_res_text(res, i, 4, NULL));
		ods_jw_kstr(jw, "timestamp", ods_db_res_text(res, i, 5, NULL));
		ods_jw_end(jw);
	}
	ods_db_res_free(res);
	er = ods_db_query_once(db, "SELECT COUNT(*) FROM etl_run_lines WHERE "
	    "task_id = ? AND (? = 1 OR log_id = ?)", a, 3, 1, &res);
	if (er == ODS_OK)
		*total = icol(res, 0, 0);
	ods_db_res_free(res);
	return er;
}

void
odsi_etl_line(struct ods_db *db, const char *task_id, const char *exec_id,
    int attempt, const char *level, const char *step, const char *fmt, ...)
{
	struct ods_db_arg	a[6];
	char			msg[2048];
	va_list			ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	a[0] = ods_db_text(exec_id);
	a[1] = ods_db_text(task_id);
	a[2] = ods_db_int(attempt);
	a[3] = ods_db_text(level);
	a[4] = ods_db_text(step);
	a[5] = ods_db_text(msg);
	if (ods_db_exec_once(db, "INSERT INTO etl_run_lines (log_id, task_id, "
	    "attempt, level, step, message) VALUES (?, ?, ?, ?, ?, ?)", a, 6,
	    NULL) != ODS_OK)
		ods_log(ODS_LOG_WARN, "etl_line_lost task=%s exec=%s step=%s",
		    task_id, exec_id, step);
}
