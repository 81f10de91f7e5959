/*
 * svc/data/quality.h — data quality (reference-api §3.3 D22–D23, issue
 * 17): rules on a data source's table or a dataset, tasks (sets of rules,
 * on demand or on a schedule), runs as jobs of type ODS_QUALITY_JOB,
 * reports with a score, trends, alerts and their webhook.
 *
 * A rule's definition is one JSON object (rule_config, stored as given
 * once checked): {rule_type, source_id | dataset_id, database, table,
 * column, min, max, pattern, values, max_age_seconds, ref_database,
 * ref_table, ref_column, sql, threshold_warning, threshold_critical,
 * threshold_type, webhook_url}. The same parser reads a request and a
 * stored definition, so what runs is what was checked.
 *
 * Checks on a data source are pushed down to SQL built here: identifiers
 * checked (1..128 bytes, no control bytes) and quoted for the source's
 * dialect, values as hex literals or numbers we print, never pasted;
 * they run, like custom_sql, through ods_query_execute (the statement
 * gate, a read-only session, the statement timeout, the history).
 * Dataset rules (not_null, unique, range, regex as POSIX ERE,
 * allowed_values, row_count) read the head of the latest version
 * (ods_dset_preview: at most ODS_TAB_ROWS_MAX rows, bounded memory; the
 * result says "partial" when rows were left); row_count uses the
 * version's exact row count.
 *
 * Violations: row rules (not_null, unique, range, regex, allowed_values,
 * referential) count violating rows out of the rows checked (unique:
 * the rows whose non-null value another row shares; NULLs pass range,
 * regex, allowed_values and referential); row_count and freshness give 0
 * or 1; custom_sql gives its first column (its second, when present, is
 * the rows it checked).
 *
 * Thresholds: threshold_type "count" (the default: violations) or
 * "ratio" (violations / rows checked, 0..1). Above threshold_critical the
 * rule failed, above threshold_warning it warns, else it passed; with
 * neither given any violation fails (critical 0).
 *
 * Score: the mean over the run's rules of 1 - min(1, violations / rows
 * checked) (rows checked 0: 1 when nothing is violated); row_count and
 * freshness count 1 row, custom_sql without a second column too; a rule
 * that errored counts 0.
 */
#ifndef SVC_QUALITY_H
#define SVC_QUALITY_H

#include <stddef.h>
#include <stdint.h>

#include "core/ods_err.h"

struct json_object;
struct ods_db;
struct ods_ds_ctx;
struct ods_jw;
struct ods_obj;
struct ods_redis;
struct ods_why;

#define ODS_QUALITY_JOB		"quality_run"
#define ODS_QR_IDENT_MAX	128
#define ODS_QR_VALUES_MAX	256
#define ODS_QR_PATTERN_MAX	1024
#define ODS_QR_SQL_MAX		(64u * 1024)
#define ODS_QR_URL_MAX		2048
#define ODS_QR_SAMPLE		10	/* violating rows kept per rule */
#define ODS_QR_TASK_RULES	100	/* rules of one task */
#define ODS_QR_LABELS_MAX	200	/* data_quality_score series */
#define ODS_QR_LABEL_OTHER	"__other__"

enum ods_qr_type {
	ODS_QR_NOT_NULL = 0, ODS_QR_UNIQUE, ODS_QR_RANGE, ODS_QR_REGEX,
	ODS_QR_ALLOWED, ODS_QR_ROW_COUNT, ODS_QR_FRESHNESS,
	ODS_QR_REFERENTIAL, ODS_QR_CUSTOM_SQL, ODS_QR__N
};

/* A checked definition; strings borrowed from the JSON it came from. */
struct ods_qr_def {
	int		 type;		/* enum ods_qr_type; -1 unset */
	const char	*source_id, *dataset_id;
	const char	*database, *table, *column;
	double		 min, max;
	int		 has_min, has_max;
	const char	*pattern;
	const char	*values[ODS_QR_VALUES_MAX];
	size_t		 nvalues;
	int		 has_values;
	int64_t		 max_age_s;	/* 0: unset */
	const char	*ref_database, *ref_table, *ref_column;
	const char	*sql;
	double		 warn, crit;
	int		 has_warn, has_crit;
	int		 ratio;		/* threshold_type ratio */
	const char	*webhook_url;
};

const char	*ods_qr_type_name(int);
int		 ods_qr_type_of(const char *);	/* -1: none */

/*
 * Read the definition fields of o (top level, or under "rule_config")
 * into d: with partial, only the fields o has (an update over a stored
 * definition), else d is reset first. Then ods_qr_check. ODS_EINVAL with
 * why naming the field.
 */
enum ods_err	 ods_qr_parse(struct json_object *, int partial,
		    struct ods_qr_def *, struct ods_why *) ODS_MUSTCHECK;
/* The fields each type needs, and only sane values. ODS_EINVAL, why. */
enum ods_err	 ods_qr_check(const struct ods_qr_def *, struct ods_why *)
		    ODS_MUSTCHECK;
/* d as the stored definition object. */
void		 ods_qr_def_json(struct ods_jw *, const struct ods_qr_def *);

/* passed | warning | failed for violations out of rows. */
enum ods_qr_status {
	ODS_QR_PASSED = 0, ODS_QR_WARNING, ODS_QR_FAILED
};
const char	*ods_qr_status_name(enum ods_qr_status);
enum ods_qr_status ods_qr_judge(const struct ods_qr_def *, int64_t violations,
		    int64_t rows);
/* The rule's share of the score (errored: 0). */
double		 ods_qr_rule_score(int type, int64_t violations, int64_t rows,
		    int errored);

/*
 * Build the SQL of a source rule: count (one row: rows checked,
 * violations[, age]) and sample (violating rows, at most ODS_QR_SAMPLE;
 * "" when the type has none), for pg (1) or MySQL/MariaDB (0). The texts
 * are malloc'ed (free). ODS_EINVAL for a definition without a table.
 */
enum ods_err	 ods_qr_sql(const struct ods_qr_def *, int pg, char **count,
		    char **sample) ODS_MUSTCHECK;

/* ---- rules, tasks (quality_rule.c) ---- */

/* The request's other fields of a rule. NULL: keep / default. */
struct ods_qr_meta {
	const char	*name;
	const char	*description;
	const char	*severity;	/* low | medium | high | critical */
	const char	*status;	/* active | inactive */
	const char	*visibility;	/* public | private */
};
enum ods_err	 ods_qr_meta_parse(struct json_object *, int create,
		    struct ods_qr_meta *, struct ods_why *) ODS_MUSTCHECK;

/*
 * Create a rule owned by user; owner (NULL: admin) must see its source
 * or dataset (ODS_EINVAL naming source_id / dataset_id otherwise), and a
 * scanned source's catalog must know its table and columns (ODS_EINVAL
 * naming table, column or ref_table; an unscanned source is not checked:
 * its run says). rule_id "qr_<16 hex>" into id (40 bytes).
 */
enum ods_err	 ods_qr_create(struct ods_db *, const struct ods_qr_def *,
		    const struct ods_qr_meta *, const char *owner,
		    const char *user, char *id, struct ods_why *)
		    ODS_MUSTCHECK;
/* The rule as QualityRule JSON; ODS_ENOTFOUND for one owner cannot see. */
enum ods_err	 ods_qr_get_json(struct ods_db *, const char *id,
		    const char *owner, struct ods_jw *) ODS_MUSTCHECK;
/*
 * Update: body over the stored definition (ods_qr_parse partial).
 * ODS_ENOTFOUND, ODS_EFORBIDDEN (another's public rule), ODS_EINVAL.
 */
enum ods_err	 ods_qr_update(struct ods_db *, const char *id,
		    struct json_object *body, const char *owner,
		    struct ods_why *) ODS_MUSTCHECK;
enum ods_err	 ods_qr_delete(struct ods_db *, const char *id,
		    const char *owner) ODS_MUSTCHECK;
struct ods_qr_filter {
	const char	*owner;
	const char	*status, *rule_type, *source_id, *severity;
	int64_t		 offset, limit;
};
enum ods_err	 ods_qr_list(struct ods_db *, const struct ods_qr_filter *,
		    struct ods_jw *, int64_t *total) ODS_MUSTCHECK;

/*
 * Tasks: {name, description, rule_ids[], schedule_type manual|cron|
 * interval, schedule_cron|cron_expression, schedule_interval (seconds),
 * webhook_url}; a schedule (lib/store/ods_sched) enqueues ODS_QUALITY_JOB
 * {task_id}. id "qt_<16 hex>".
 */
enum ods_err	 ods_qt_create(struct ods_db *, struct json_object *body,
		    const char *owner, const char *user, const char *tz,
		    char *id, struct ods_why *) ODS_MUSTCHECK;
enum ods_err	 ods_qt_get_json(struct ods_db *, const char *id,
		    const char *owner, struct ods_jw *) ODS_MUSTCHECK;
enum ods_err	 ods_qt_list(struct ods_db *, const char *owner,
		    int64_t offset, int64_t limit, struct ods_jw *,
		    int64_t *total) ODS_MUSTCHECK;

/*
 * Queue a run of a rule (kind "rule") or a task ("task") that owner can
 * see: job ODS_QUALITY_JOB {rule_id | task_id}. ODS_ENOTFOUND.
 */
enum ods_err	 ods_quality_enqueue(struct ods_db *, struct ods_redis *,
		    const char *kind, const char *id, const char *owner,
		    const char *user, int64_t *job) ODS_MUSTCHECK;

/* ---- runs (quality_run.c) ---- */

struct ods_quality_env {
	struct ods_db			*db;
	const struct ods_ds_ctx		*ds;
	struct ods_obj			*obj;
	const char			*webhook_default; /* env, or NULL */
	int				(*stopping)(void *);
	void				*arg;
	int64_t				 job_id;	/* 0: none */
};

/*
 * Run the rules of task_id or rule_id (one of them): a report stored
 * (report_id "qrep_<16 hex>" into report, 48 bytes), rule counters,
 * alerts, the webhook, the scores behind data_quality_score (*score).
 * A rule that cannot run is an errored rule of the report, never the
 * run's failure. A job that already stored its report (a retry after a
 * crash) gives that report again, nothing run twice. ODS_ENOTFOUND;
 * errors of ods_db.
 */
enum ods_err	 ods_quality_run(const struct ods_quality_env *,
		    const char *task_id, const char *rule_id, const char *user,
		    char *report, double *score) ODS_MUSTCHECK;

/* ---- reports, trends, alerts, scores (quality_report.c) ---- */

struct ods_qrep_filter {
	const char	*owner;
	const char	*status, *task_id, *rule_id;
	int64_t		 offset, limit;
};
enum ods_err	 ods_qrep_list(struct ods_db *, const struct ods_qrep_filter *,
		    struct ods_jw *, int64_t *total) ODS_MUSTCHECK;
enum ods_err	 ods_qrep_get_json(struct ods_db *, const char *id,
		    const char *owner, struct ods_jw *) ODS_MUSTCHECK;
/* period daily | weekly | monthly: {period, dates, quality_scores, ...}. */
enum ods_err	 ods_qrep_trends(struct ods_db *, const char *owner,
		    const char *period, struct ods_jw *) ODS_MUSTCHECK;

struct ods_qa_filter {
	const char	*owner;
	const char	*status, *severity, *rule_id;
	int64_t		 offset, limit;
};
enum ods_err	 ods_qa_list(struct ods_db *, const struct ods_qa_filter *,
		    struct ods_jw *, int64_t *total) ODS_MUSTCHECK;
/*
 * to "acknowledged" (from open) or "resolved" (from open or
 * acknowledged): ODS_ENOTFOUND, ODS_ECONFLICT (another state) with the
 * current one in state (16 bytes).
 */
enum ods_err	 ods_qa_transition(struct ods_db *, const char *id,
		    const char *to, const char *owner, const char *user,
		    char *state, struct ods_jw *) ODS_MUSTCHECK;

/*
 * The latest scores (at most ODS_QR_LABELS_MAX labels) into the
 * data_quality_score gauge of the calling process.
 */
enum ods_err	 ods_quality_gauge_load(struct ods_db *) ODS_MUSTCHECK;

#endif /* SVC_QUALITY_H */
