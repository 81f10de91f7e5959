/*
 * svc/data/quality_rule.c — quality rules and tasks in MariaDB
 * (quality.h): create, read, update, delete, lists, and the queueing of
 * runs. A rule is seen by its creator, admins, and every reader when
 * public (the default, as the reference's rules were shared); changed by
 * its creator or an admin.
 */
#include "config.h"

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
#include "dataset.h"
#include "quality.h"
#include "data_int.h"

static void
new_id(const char *prefix, char *id)
{
	unsigned char	rnd[8];
	size_t		n = strlen(prefix);

	ods_random(rnd, sizeof(rnd));
	memcpy(id, prefix, n);
	ods_hex(rnd, sizeof(rnd), id + n);
}

static enum ods_err
one_of(const char *v, const char *const *ok, const char *field,
    struct ods_why *why)
{
	size_t	i;

	for (i = 0; ok[i] != NULL; i++)
		if (strcmp(v, ok[i]) == 0)
			return ODS_OK;
	ods_why_set(why, field, "%s is not a valid %s", v, field);
	return ODS_EINVAL;
}

enum ods_err
ods_qr_meta_parse(struct json_object *o, int create, struct ods_qr_meta *m,
    struct ods_why *why)
{
	static const char *const sev[] = { "low", "medium", "high",
	    "critical", "warning", "info", NULL };
	static const char *const st[] = { "active", "inactive", NULL };
	static const char *const vis[] = { "public", "private", NULL };
	enum ods_err	er;

	memset(m, 0, sizeof(*m));
	if ((er = ods_json_str(o, "name", create, 255, &m->name, why)) !=
	    ODS_OK && er != ODS_ENOTFOUND)
		return er;
	if (m->name != NULL && *m->name == '\0') {
		ods_why_set(why, "name", "name is empty");
		return ODS_EINVAL;
	}
#define OPT(f, max) do {						\
	if ((er = ods_json_str(o, #f, 0, max, &m->f, why)) != ODS_OK &&	\
	    er != ODS_ENOTFOUND)					\
		return er;						\
} while (0)
	OPT(description, 4000);
	OPT(severity, 16);
	OPT(status, 16);
	OPT(visibility, 16);
#undef OPT
	if ((m->severity != NULL &&
	    one_of(m->severity, sev, "severity", why) != ODS_OK) ||
	    (m->status != NULL && one_of(m->status, st, "status", why) !=
	    ODS_OK) || (m->visibility != NULL &&
	    one_of(m->visibility, vis, "visibility", why) != ODS_OK))
		return ODS_EINVAL;
	return ODS_OK;
}

/*
 * Whether the scanned catalog of source has table (in database, any when
 * NULL) and column (NULL: not asked): 1 yes, 0 no, -1 when the source
 * was never scanned (nothing to check against: the run's SQL will say).
 */
static int
in_catalog(struct ods_db *db, const char *source, const char *database,
    const char *table, const char *column)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[7];
	int64_t			 scanned = 0, t = 0;

	a[0] = ods_db_text(source);
	a[1] = ods_db_text(source);
	a[2] = ods_db_text(table);
	a[3] = ods_db_int(database == NULL);
	a[4] = ods_db_text(database != NULL ? database : "");
	a[5] = ods_db_int(column == NULL);
	a[6] = ods_db_text(column != NULL ? column : "");
	if (ods_db_query_once(db, "SELECT (SELECT COUNT(*) FROM "
	    "metadata_tables WHERE source_id = ? AND removed_at IS NULL), "
	    "(SELECT COUNT(*) FROM metadata_tables m WHERE m.source_id = ? "
	    "AND m.table_name = ? AND (? = 1 OR m.database_name = ?) AND "
	    "m.removed_at IS NULL AND (? = 1 OR EXISTS (SELECT 1 FROM "
	    "metadata_columns k WHERE k.source_id = m.source_id AND "
	    "k.database_name = m.database_name AND k.table_name = "
	    "m.table_name AND k.column_name = ? AND k.removed_at IS NULL)))",
	    a, 7, 1, &res) != ODS_OK)
		return -1;
	if (ods_db_res_int(res, 0, 0, &scanned) != ODS_OK ||
	    ods_db_res_int(res, 0, 1, &t) != ODS_OK)
		scanned = 0;
	ods_db_res_free(res);
	if (scanned == 0)
		return -1;
	return t > 0;
}

/*
 * A source rule's names against the source's catalog when it was
 * scanned: a name the catalog does not know is a 400 now rather than an
 * errored rule at every run.
 */
static enum ods_err
names_known(struct ods_db *db, const struct ods_qr_def *d,
    struct ods_why *why)
{
	int	k;

	if (d->source_id == NULL || d->table == NULL)
		return ODS_OK;
	if ((k = in_catalog(db, d->source_id, d->database, d->table,
	    NULL)) < 0)
		return ODS_OK;
	if (k == 0) {
		ods_why_set(why, "table", "the source's catalog (its last "
		    "scan) has no table %s", d->table);
		return ODS_EINVAL;
	}
	if (d->column != NULL && in_catalog(db, d->source_id, d->database,
	    d->table, d->column) == 0) {
		ods_why_set(why, "column", "table %s has no column %s in the "
		    "source's catalog", d->table, d->column);
		return ODS_EINVAL;
	}
	if (d->ref_table != NULL && in_catalog(db, d->source_id,
	    d->ref_database, d->ref_table, d->ref_column) == 0) {
		ods_why_set(why, "ref_table", "the source's catalog has no "
		    "column %s.%s", d->ref_table, d->ref_column);
		return ODS_EINVAL;
	}
	return ODS_OK;
}

/* Whether owner may see the rule's target; ODS_EINVAL naming it. */
static enum ods_err
target_visible(struct ods_db *db, const struct ods_qr_def *d,
    const char *owner, struct ods_why *why)
{
	struct ods_ds	*s = NULL;
	struct ods_dset	*t = NULL;
	enum ods_err	 er;

	if (d->source_id != NULL) {
		er = ods_ds_get(db, d->source_id, owner, &s);
		ods_ds_free(s);
	} else {
		er = ods_dset_get(db, d->dataset_id, owner, &t);
		ods_dset_free(t);
	}
	if (er == ODS_ENOTFOUND) {
		ods_why_set(why, d->source_id != NULL ? "source_id" :
		    "dataset_id", "no such %s", d->source_id != NULL ?
		    "data source" : "dataset");
		return ODS_EINVAL;
	}
	if (er != ODS_OK)
		return er;
	return names_known(db, d, why);
}

static char *
def_text(const struct ods_qr_def *d)
{
	struct ods_buf	b;
	struct ods_jw	jw;

	ods_buf_init(&b, 1u << 20);
	ods_jw_init(&jw, &b);
	ods_qr_def_json(&jw, d);
	if (ods_jw_error(&jw) != ODS_OK) {
		ods_buf_free(&b);
		return NULL;
	}
	return ods_buf_take(&b, NULL);
}

enum ods_err
ods_qr_create(struct ods_db *db, const struct ods_qr_def *d,
    const struct ods_qr_meta *m, const char *owner, const char *user,
    char *id, struct ods_why *why)
{
	struct ods_db_arg	 a[14];
	enum ods_err		 er;
	char			*cfg;

	if ((er = target_visible(db, d, owner, why)) != ODS_OK)
		return er;
	if ((cfg = def_text(d)) == NULL)
		return ODS_ETOOBIG;
	new_id("qr_", id);
	a[0] = ods_db_text(id);
	a[1] = ods_db_text(m->name);
	a[2] = ods_db_text(m->description);
	a[3] = ods_db_text(d->source_id);
	a[4] = ods_db_text(d->dataset_id);
	a[5] = ods_db_text(d->table);
	a[6] = ods_db_text(d->database);
	a[7] = ods_db_text(d->column);
	a[8] = ods_db_text(ods_qr_type_name(d->type));
	a[9] = ods_db_text(cfg);
	a[10] = ods_db_text(m->severity != NULL ? m->severity : "medium");
	a[11] = ods_db_text(m->status != NULL ? m->status : "active");
	a[12] = ods_db_text(m->visibility != NULL ? m->visibility : "public");
	a[13] = ods_db_text(user);
	er = ods_db_exec_once(db, "INSERT INTO quality_rules (rule_id, name, "
	    "description, source_id, dataset_id, table_name, target_database, "
	    "target_table, target_column, rule_type, rule_config, severity, "
	    "status, visibility, created_by, tags) VALUES (?, ?, ?, ?, ?, ?, "
	    "?, NULL, ?, ?, ?, ?, ?, ?, ?, '[]')", a, 14, NULL);
	free(cfg);
	return er;
}

#define RULE_COLS "rule_id, name, description, source_id, dataset_id, " \
	"table_name, target_database, target_column, rule_type, " \
	"rule_config, severity, status, check_count, violation_count, " \
	"DATE_FORMAT(last_checked_at, '%Y-%m-%dT%H:%i:%s.%fZ'), " \
	"last_status, last_report_id, visibility, created_by, " \
	"DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%s.%fZ'), " \
	"DATE_FORMAT(updated_at, '%Y-%m-%dT%H:%i:%s.%fZ'), " \
	"JSON_VALUE(rule_config, '$.threshold_warning'), " \
	"JSON_VALUE(rule_config, '$.threshold_critical')"
/* owner NULL (admin), or the creator, or a public rule: 2 parameters. */
#define RULE_VIS "(? = 1 OR created_by = ? OR visibility = 'public')"

static void
num_or_null(struct ods_jw *jw, const char *k, const char *v)
{
	ods_jw_key(jw, k);
	if (v == NULL)
		ods_jw_null(jw);
	else
		ods_jw_num(jw, strtod(v, NULL));
}

static void
rule_json(struct ods_jw *jw, const struct ods_db_res *r, size_t i)
{
	const char	*cfg = ods_db_res_text(r, i, 9, NULL);
	int64_t		 v;

	ods_jw_obj(jw);
	ods_jw_kstr(jw, "rule_id", ods_db_res_text(r, i, 0, NULL));
	ods_jw_kstr(jw, "id", ods_db_res_text(r, i, 0, NULL));
	ods_jw_kstr(jw, "name", ods_db_res_text(r, i, 1, NULL));
	ods_jw_kstr(jw, "description", ods_db_res_text(r, i, 2, NULL));
	ods_jw_kstr(jw, "source_id", ods_db_res_text(r, i, 3, NULL));
	ods_jw_kstr(jw, "dataset_id", ods_db_res_text(r, i, 4, NULL));
	ods_jw_kstr(jw, "table_name", ods_db_res_text(r, i, 5, NULL));
	ods_jw_kstr(jw, "target_database", ods_db_res_text(r, i, 6, NULL));
	ods_jw_kstr(jw, "target_column", ods_db_res_text(r, i, 7, NULL));
	ods_jw_kstr(jw, "rule_type", ods_db_res_text(r, i, 8, NULL));
	ods_jw_key(jw, "rule_config");
	if (cfg != NULL)
		ods_jw_raw(jw, cfg, strlen(cfg));
	else
		ods_jw_null(jw);
	num_or_null(jw, "threshold_warning", ods_db_res_text(r, i, 21, NULL));
	num_or_null(jw, "threshold_critical", ods_db_res_text(r, i, 22,
	    NULL));
	ods_jw_kstr(jw, "severity", ods_db_res_text(r, i, 10, NULL));
	ods_jw_kstr(jw, "status", ods_db_res_text(r, i, 11, NULL));
	ods_jw_kint(jw, "check_count", ods_db_res_int(r, i, 12, &v) ==
	    ODS_OK ? v : 0);
	ods_jw_kint(jw, "violation_count", ods_db_res_int(r, i, 13, &v) ==
	    ODS_OK ? v : 0);
	ods_jw_kstr(jw, "last_checked_at", ods_db_res_text(r, i, 14, NULL));
	ods_jw_kstr(jw, "last_status", ods_db_res_text(r, i, 15, NULL));
	ods_jw_kstr(jw, "last_report_id", ods_db_res_text(r, i, 16, NULL));
	ods_jw_kstr(jw, "visibility", ods_db_res_text(r, i, 17, NULL));
	ods_jw_key(jw, "tags");
	ods_jw_arr(jw);
	ods_jw_end(jw);
	ods_jw_kstr(jw, "created_by", ods_db_res_text(r, i, 18, NULL));
	ods_jw_kstr(jw, "created_at", ods_db_res_text(r, i, 19, NULL));
	ods_jw_kstr(jw, "updated_at", ods_db_res_text(r, i, 20, NULL));
	ods_jw_end(jw);
}

static enum ods_err
rule_row(struct ods_db *db, const char *id, const char *owner,
    struct ods_db_res **res)
{
	struct ods_db_arg	a[3];
	enum ods_err		er;

	a[0] = ods_db_text(id);
	a[1] = ods_db_int(owner == NULL);
	a[2] = ods_db_text(owner != NULL ? owner : "");
	er = ods_db_query_once(db, "SELECT " RULE_COLS " FROM quality_rules "
	    "WHERE rule_id = ? AND " RULE_VIS, a, 3, 1, res);
	if (er == ODS_OK && ods_db_res_nrows(*res) == 0) {
		ods_db_res_free(*res);
		*res = NULL;
		return ODS_ENOTFOUND;
	}
	return er;
}

enum ods_err
ods_qr_get_json(struct ods_db *db, const char *id, const char *owner,
    struct ods_jw *jw)
{
	return odsi_qr_one(db, ODS_DB_SQL("SELECT " RULE_COLS " FROM "
	    "quality_rules WHERE rule_id = ? AND " RULE_VIS), id, owner,
	    rule_json, jw);
}

/* Whether owner may change the rule of row 0 (creator or admin). */
static enum ods_err
may_change(const struct ods_db_res *res, size_t col, const char *owner)
{
	const char	*by = ods_db_res_text(res, 0, col, NULL);

	if (owner == NULL || (by != NULL && strcmp(by, owner) == 0))
		return ODS_OK;
	return ODS_EFORBIDDEN;
}

enum ods_err
ods_qr_update(struct ods_db *db, const char *id, struct json_object *body,
    const char *owner, struct ods_why *why)
{
	struct ods_db_res	*res = NULL;
	struct json_object	*stored = NULL;
	struct ods_db_arg	 a[12];
	struct ods_qr_meta	 m;
	struct ods_qr_def	 d;
	const char		*cfg;
	char			*text = NULL;
	enum ods_err		 er;

	if ((er = rule_row(db, id, owner, &res)) != ODS_OK)
		return er;
	if ((er = may_change(res, 18, owner)) != ODS_OK)
		goto out;
	cfg = ods_db_res_text(res, 0, 9, NULL);
	if ((er = ods_qr_meta_parse(body, 0, &m, why)) != ODS_OK)
		goto out;
	/* The stored definition, then the body's fields over it. */
	if (cfg == NULL || ods_json_parse(cfg, strlen(cfg), 16, &stored,
	    NULL) != ODS_OK || ods_qr_parse(stored, 0, &d, NULL) != ODS_OK) {
		er = ODS_EINTERNAL;
		goto out;
	}
	if ((er = ods_qr_parse(body, 1, &d, why)) != ODS_OK ||
	    (er = target_visible(db, &d, owner, why)) != ODS_OK)
		goto out;
	if ((text = def_text(&d)) == NULL) {
		er = ODS_ETOOBIG;
		goto out;
	}
	a[0] = ods_db_text(m.name);
	a[1] = ods_db_text(m.description);
	a[2] = ods_db_text(m.severity);
	a[3] = ods_db_text(m.status);
	a[4] = ods_db_text(m.visibility);
	a[5] = ods_db_text(text);
	a[6] = ods_db_text(ods_qr_type_name(d.type));
	a[7] = ods_db_text(d.source_id);
	a[8] = ods_db_text(d.dataset_id);
	a[9] = ods_db_text(d.table);
	a[10] = ods_db_text(d.column);
	a[11] = ods_db_text(id);
	er = ods_db_exec_once(db, "UPDATE quality_rules SET name = "
	    "COALESCE(?, name), description = COALESCE(?, description), "
	    "severity = COALESCE(?, severity), status = COALESCE(?, status), "
	    "visibility = COALESCE(?, visibility), rule_config = ?, "
	    "rule_type = ?, source_id = ?, dataset_id = ?, table_name = ?, "
	    "target_column = ? WHERE rule_id = ?", a, 12, NULL);
out:
	free(text);
	ods_json_put(stored);
	ods_db_res_free(res);
	return er;
}

enum ods_err
ods_qr_delete(struct ods_db *db, const char *id, const char *owner)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[1];
	enum ods_err		 er;

	if ((er = rule_row(db, id, owner, &res)) != ODS_OK)
		return er;
	er = may_change(res, 18, owner);
	ods_db_res_free(res);
	if (er != ODS_OK)
		return er;
	a[0] = ods_db_text(id);
	return ods_db_exec_once(db, "DELETE FROM quality_rules WHERE "
	    "rule_id = ?", a, 1, NULL);
}

enum ods_err
ods_qr_list(struct ods_db *db, const struct ods_qr_filter *f,
    struct ods_jw *jw, int64_t *total)
{
	struct ods_db_arg	 a[12];

	a[0] = ods_db_int(f->owner == NULL);
	a[1] = ods_db_text(f->owner != NULL ? f->owner : "");
#define FILT(k, v) a[k] = ods_db_int((v) == NULL); \
	a[(k) + 1] = ods_db_text((v) != NULL ? (v) : "")
	FILT(2, f->status);
	FILT(4, f->rule_type);
	FILT(6, f->source_id);
	FILT(8, f->severity);
#undef FILT
#define WHERE " FROM quality_rules WHERE " RULE_VIS " AND (? = 1 OR " \
	"status = ?) AND (? = 1 OR rule_type = ?) AND (? = 1 OR " \
	"source_id = ?) AND (? = 1 OR severity = ?)"
	return odsi_qr_page(db, ODS_DB_SQL("SELECT COUNT(*)" WHERE),
	    ODS_DB_SQL("SELECT " RULE_COLS WHERE " ORDER BY id DESC LIMIT ? "
	    "OFFSET ?"), a, 10, f->offset, f->limit, rule_json, jw, total);
#undef WHERE
}

/* ---- tasks ---- */

struct task_in {
	const char	*name, *description, *type, *cron, *webhook;
	int64_t		 interval;
	struct json_object *rules;
	size_t		 nrules;
};

static enum ods_err
task_parse(struct json_object *o, struct task_in *t, struct ods_why *why)
{
	enum ods_err	er;
	size_t		i;

	memset(t, 0, sizeof(*t));
	t->type = "manual";
	if ((er = ods_json_str(o, "name", 1, 255, &t->name, why)) != ODS_OK)
		return er;
#define OPT(call) do { if ((er = (call)) != ODS_OK && \
	er != ODS_ENOTFOUND) return er; } while (0)
	OPT(ods_json_str(o, "description", 0, 4000, &t->description, why));
	OPT(ods_json_str(o, "schedule_type", 0, 16, &t->type, why));
	OPT(ods_json_str(o, "schedule_cron", 0, 256, &t->cron, why));
	OPT(ods_json_str(o, "cron_expression", 0, 256, &t->cron, why));
	OPT(ods_json_int(o, "schedule_interval", 0, 1,
	    ODS_SCHED_INTERVAL_MAX, &t->interval, why));
	OPT(ods_json_str(o, "webhook_url", 0, ODS_QR_URL_MAX, &t->webhook,
	    why));
#undef OPT
	if ((er = ods_json_arr(o, "rule_ids", 1, &t->rules, why)) != ODS_OK)
		return er;
	t->nrules = ods_json_arr_len(t->rules);
	if (t->nrules == 0 || t->nrules > ODS_QR_TASK_RULES) {
		ods_why_set(why, "rule_ids", "rule_ids holds 1..%d rule ids",
		    ODS_QR_TASK_RULES);
		return ODS_EINVAL;
	}
	for (i = 0; i < t->nrules; i++)
		if (ods_json_arr_str(t->rules, i) == NULL) {
			ods_why_set(why, "rule_ids", "rule_ids[%zu] is not a "
			    "string", i);
			return ODS_EINVAL;
		}
	if (strcmp(t->type, "manual") != 0 && strcmp(t->type, "cron") != 0 &&
	    strcmp(t->type, "interval") != 0) {
		ods_why_set(why, "schedule_type", "schedule_type is manual, "
		    "cron or interval");
		return ODS_EINVAL;
	}
	if (t->webhook != NULL && strncmp(t->webhook, "http://", 7) != 0 &&
	    strncmp(t->webhook, "https://", 8) != 0) {
		ods_why_set(why, "webhook_url", "webhook_url is an http or "
		    "https URL");
		return ODS_EINVAL;
	}
	return ODS_OK;
}

/* Every rule of t exists for owner: ODS_EINVAL naming rule_ids. */
static enum ods_err
task_rules_visible(struct ods_db *db, const struct task_in *t,
    const char *owner, struct ods_why *why)
{
	struct ods_db_res	*res = NULL;
	enum ods_err		 er;
	size_t			 i;

	for (i = 0; i < t->nrules; i++) {
		er = rule_row(db, ods_json_arr_str(t->rules, i), owner, &res);
		ods_db_res_free(res);
		res = NULL;
		if (er == ODS_ENOTFOUND) {
			ods_why_set(why, "rule_ids", "no such rule: %s",
			    ods_json_arr_str(t->rules, i));
			return ODS_EINVAL;
		}
		if (er != ODS_OK)
			return er;
	}
	return ODS_OK;
}

static enum ods_err
task_schedule(struct ods_db *db, const struct task_in *t, const char *id,
    const char *user, const char *tz, int64_t *sid, struct ods_why *why)
{
	struct ods_sched_spec	sp;
	char			payload[96], name[96];

	*sid = 0;
	if (strcmp(t->type, "manual") == 0)
		return ODS_OK;
	snprintf(payload, sizeof(payload), "{\"task_id\":\"%s\"}", id);
	snprintf(name, sizeof(name), "quality:%s", id);
	memset(&sp, 0, sizeof(sp));
	sp.name = name;
	sp.kind = strcmp(t->type, "cron") == 0 ? ODS_SCHED_CRON :
	    ODS_SCHED_INTERVAL;
	sp.cron = t->cron;
	sp.interval_s = t->interval;
	sp.tz = tz;
	sp.job_type = ODS_QUALITY_JOB;
	sp.payload = payload;
	sp.created_by = user;
	if (sp.kind == ODS_SCHED_CRON && t->cron == NULL) {
		ods_why_set(why, "schedule_cron", "schedule_cron is required "
		    "for a cron schedule");
		return ODS_EINVAL;
	}
	if (sp.kind == ODS_SCHED_INTERVAL && t->interval <= 0) {
		ods_why_set(why, "schedule_interval", "schedule_interval "
		    "(seconds) is required for an interval schedule");
		return ODS_EINVAL;
	}
	return ods_sched_create(db, &sp, (int64_t)time(NULL), sid, why);
}

static char *
rules_text(const struct task_in *t)
{
	struct ods_buf	b;
	struct ods_jw	jw;
	size_t		i;

	ods_buf_init(&b, 1u << 20);
	ods_jw_init(&jw, &b);
	ods_jw_arr(&jw);
	for (i = 0; i < t->nrules; i++)
		ods_jw_str(&jw, ods_json_arr_str(t->rules, i));
	ods_jw_end(&jw);
	return ods_jw_error(&jw) == ODS_OK ? ods_buf_take(&b, NULL) : NULL;
}

enum ods_err
ods_qt_create(struct ods_db *db, struct json_object *body, const char *owner,
    const char *user, const char *tz, char *id, struct ods_why *why)
{
	struct ods_db_arg	 a[10];
	struct task_in		 t;
	enum ods_err		 er;
	int64_t			 sid;
	char			*rules;

	if ((er = task_parse(body, &t, why)) != ODS_OK ||
	    (er = task_rules_visible(db, &t, owner, why)) != ODS_OK)
		return er;
	new_id("qt_", id);
	if ((er = task_schedule(db, &t, id, user, tz, &sid, why)) != ODS_OK)
		return er;
	if ((rules = rules_text(&t)) == NULL)
		return ODS_ETOOBIG;
	a[0] = ods_db_text(id);
	a[1] = ods_db_text(t.name);
	a[2] = ods_db_text(t.description);
	a[3] = ods_db_text(rules);
	a[4] = ods_db_text(t.type);
	a[5] = ods_db_text(t.cron);
	a[6] = t.interval > 0 ? ods_db_int(t.interval) : ods_db_null();
	a[7] = sid > 0 ? ods_db_int(sid) : ods_db_null();
	a[8] = ods_db_text(t.webhook);
	a[9] = ods_db_text(user);
	er = ods_db_exec_once(db, "INSERT INTO quality_tasks (task_id, name, "
	    "description, rule_ids, schedule_type, schedule_cron, "
	    "schedule_interval, schedule_id, webhook_url, created_by, status) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active')", a, 10, NULL);
	free(rules);
	/* No schedule left behind that would run a task that is not there. */
	if (er != ODS_OK && sid > 0 && ods_sched_delete(db, sid) != ODS_OK)
		ods_log(ODS_LOG_WARN, "quality_task_schedule_orphan id=%lld",
		    (long long)sid);
	return er;
}

#define TASK_COLS "task_id, name, description, rule_ids, schedule_type, " \
	"schedule_cron, schedule_interval, status, " \
	"DATE_FORMAT(last_run_at, '%Y-%m-%dT%H:%i:%s.%fZ'), " \
	"last_report_id, webhook_url, created_by, " \
	"DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%s.%fZ'), " \
	"(SELECT DATE_FORMAT(s.next_due_at, '%Y-%m-%dT%H:%i:%s.%fZ') FROM " \
	"schedules s WHERE s.id = quality_tasks.schedule_id)"

static void
task_json(struct ods_jw *jw, const struct ods_db_res *r, size_t i)
{
	const char	*rules = ods_db_res_text(r, i, 3, NULL);
	int64_t		 v;

	ods_jw_obj(jw);
	ods_jw_kstr(jw, "task_id", ods_db_res_text(r, i, 0, NULL));
	ods_jw_kstr(jw, "name", ods_db_res_text(r, i, 1, NULL));
	ods_jw_kstr(jw, "description", ods_db_res_text(r, i, 2, NULL));
	ods_jw_key(jw, "rule_ids");
	if (rules != NULL)
		ods_jw_raw(jw, rules, strlen(rules));
	else {
		ods_jw_arr(jw);
		ods_jw_end(jw);
	}
	ods_jw_kstr(jw, "schedule_type", ods_db_res_text(r, i, 4, NULL));
	ods_jw_kstr(jw, "schedule", ods_db_res_text(r, i, 4, NULL));
	ods_jw_kstr(jw, "schedule_cron", ods_db_res_text(r, i, 5, NULL));
	ods_jw_key(jw, "schedule_interval");
	if (ods_db_res_int(r, i, 6, &v) == ODS_OK)
		ods_jw_int(jw, v);
	else
		ods_jw_null(jw);
	ods_jw_kstr(jw, "status", ods_db_res_text(r, i, 7, NULL));
	ods_jw_kstr(jw, "last_run_at", ods_db_res_text(r, i, 8, NULL));
	ods_jw_kstr(jw, "last_report_id", ods_db_res_text(r, i, 9, NULL));
	ods_jw_kstr(jw, "webhook_url", ods_db_res_text(r, i, 10, NULL));
	ods_jw_kstr(jw, "created_by", ods_db_res_text(r, i, 11, NULL));
	ods_jw_kstr(jw, "created_at", ods_db_res_text(r, i, 12, NULL));
	ods_jw_kstr(jw, "next_run_at", ods_db_res_text(r, i, 13, NULL));
	ods_jw_end(jw);
}

enum ods_err
ods_qt_get_json(struct ods_db *db, const char *id, const char *owner,
    struct ods_jw *jw)
{
	return odsi_qr_one(db, ODS_DB_SQL("SELECT " TASK_COLS " FROM "
	    "quality_tasks WHERE task_id = ? AND " RULE_VIS), id, owner,
	    task_json, jw);
}

enum ods_err
ods_qt_list(struct ods_db *db, const char *owner, int64_t offset,
    int64_t limit, struct ods_jw *jw, int64_t *total)
{
	struct ods_db_arg	a[4];

	a[0] = ods_db_int(owner == NULL);
	a[1] = ods_db_text(owner != NULL ? owner : "");
	return odsi_qr_page(db, ODS_DB_SQL("SELECT COUNT(*) FROM "
	    "quality_tasks WHERE " RULE_VIS), ODS_DB_SQL("SELECT " TASK_COLS
	    " FROM quality_tasks WHERE " RULE_VIS " ORDER BY id DESC LIMIT ? "
	    "OFFSET ?"), a, 2, offset, limit, task_json, jw, total);
}

enum ods_err
ods_quality_enqueue(struct ods_db *db, struct ods_redis *redis,
    const char *kind, const char *id, const char *owner, const char *user,
    int64_t *job)
{
	struct ods_db_res	*res = NULL;
	struct ods_jobs_spec	 sp;
	enum ods_err		 er;
	char			 payload[128];
	int			 existed = 0;

	if (strcmp(kind, "rule") == 0) {
		er = rule_row(db, id, owner, &res);
		ods_db_res_free(res);
	} else
		er = ods_qt_get_json(db, id, owner, NULL);
	if (er != ODS_OK)
		return er;
	if (strlen(id) > 64)
		return ODS_ENOTFOUND;
	snprintf(payload, sizeof(payload), "{\"%s_id\":\"%s\"}", kind, id);
	memset(&sp, 0, sizeof(sp));
	sp.type = ODS_QUALITY_JOB;
	sp.payload = payload;
	sp.created_by = user;
	sp.max_attempts = 2;
	return ods_jobs_enqueue(db, redis, &sp, job, &existed);
}
