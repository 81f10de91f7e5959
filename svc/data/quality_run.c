/*
 * svc/data/quality_run.c — one run of a task or a rule (quality.h): each
 * rule checked (SQL pushed down to its source through ods_query_execute,
 * or the head of a dataset's latest version), the report, the rules'
 * counters, alerts and their webhook, the scores of the gauge.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_json.h"
#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "core/ods_util.h"
#include "metrics/ods_metrics.h"
#include "store/ods_db.h"
#include "text/ods_tab.h"
#include "datasource.h"
#include "dataset.h"
#include "query.h"
#include "quality.h"
#include "data_int.h"

#define SAMPLE_MAX	(64u << 10)	/* bytes of one rule's sample */

struct rule {
	char			*rule_id, *name, *severity, *cfg;
	struct json_object	*obj;	/* cfg parsed: d borrows from it */
	struct ods_qr_def	 d;
	struct odsi_qr_result	 r;
};

/* ---- a source rule ---- */

/* The first row's first cells, for a count. */
struct first {
	char	*cells[3];
	int	 seen;
};

static int
first_cols(void *arg, size_t n, const char *const *names,
    const char *const *types, const int *numeric)
{
	(void)arg; (void)n; (void)names; (void)types; (void)numeric;
	return 0;
}

static int
first_row(void *arg, size_t n, const char *const *cells, const size_t *lens)
{
	struct first	*f = arg;
	size_t		 i;

	(void)lens;
	if (f->seen++)
		return 1;
	for (i = 0; i < n && i < 3; i++)
		f->cells[i] = cells[i] != NULL ? ods_xstrdup(cells[i]) : NULL;
	return 0;
}

/* Violating rows as objects {column: text}. */
struct sample {
	struct ods_jw	*jw;
	char		**names;
	size_t		 n;
};

static int
sample_cols(void *arg, size_t n, const char *const *names,
    const char *const *types, const int *numeric)
{
	struct sample	*s = arg;
	size_t		 i;

	(void)types; (void)numeric;
	s->names = ods_xcalloc(n + 1, sizeof(*s->names));
	for (i = 0; i < n; i++)
		s->names[i] = ods_xstrdup(names[i]);
	s->n = n;
	return 0;
}

static int
sample_row(void *arg, size_t n, const char *const *cells, const size_t *lens)
{
	struct sample	*s = arg;
	size_t		 i;

	ods_jw_obj(s->jw);
	for (i = 0; i < n && i < s->n; i++) {
		ods_jw_key(s->jw, s->names[i]);
		if (cells[i] == NULL)
			ods_jw_null(s->jw);
		else
			ods_jw_strn(s->jw, cells[i], lens[i]);
	}
	ods_jw_end(s->jw);
	return 0;
}

static int
run_sql(const struct ods_quality_env *e, const struct rule *ru,
    const char *sql, const struct ods_query_sink *k, int64_t limit,
    struct odsi_qr_result *r)
{
	struct ods_query_spec	sp;
	struct ods_query_result	q;
	enum ods_err		er;

	memset(&sp, 0, sizeof(sp));
	sp.source_id = ru->d.source_id;
	sp.sql = sql;
	sp.sql_len = strlen(sql);
	sp.limit = limit;
	sp.format = "json";
	/*
	 * As an admin (owner NULL): who may see the source was checked when
	 * the rule was made. The statements are kept in query_history under
	 * the user "quality".
	 */
	er = ods_query_execute(e->db, e->ds, &sp, NULL, "quality", k, &q);
	if (er == ODS_OK)
		return 0;
	if (er == ODS_ENOTFOUND)
		snprintf(r->error, sizeof(r->error), "not_found: the data "
		    "source no longer exists");
	else
		snprintf(r->error, sizeof(r->error), "%.40s: %.400s",
		    q.slug[0] != '\0' ? q.slug : ods_err_slug(er), q.message);
	return -1;
}

static int
source_kind(const struct ods_quality_env *e, const char *id)
{
	struct ods_ds	*d = NULL;
	int		 pg = 0;

	if (ods_ds_get(e->db, id, NULL, &d) == ODS_OK)
		pg = strcmp(d->type, "postgresql") == 0 ||
		    strcmp(d->type, "postgres") == 0;
	ods_ds_free(d);
	return pg;
}

static int
parse_count(const char *s, int64_t *v)
{
	char	*end;
	double	 d;

	if (s == NULL)
		return -1;
	d = strtod(s, &end);
	if (end == s || d < 0 || d > 9e18)
		return -1;
	*v = (int64_t)d;
	return 0;
}

/* Up to ODS_QR_SAMPLE violating rows of the rule into r->sample. */
static void
fetch_sample(const struct ods_quality_env *e, const struct rule *ru,
    const char *sql, struct odsi_qr_result *r)
{
	struct sample		 s;
	struct ods_query_sink	 k = { sample_cols, sample_row, NULL };
	struct ods_buf		 b;
	struct ods_jw		 jw;
	char			 keep[sizeof(r->error)];
	size_t			 i;

	memset(&s, 0, sizeof(s));
	ods_buf_init(&b, SAMPLE_MAX);
	ods_jw_init(&jw, &b);
	ods_jw_arr(&jw);
	s.jw = &jw;
	k.arg = &s;
	/* A sample that cannot be read leaves the counts standing. */
	memcpy(keep, r->error, sizeof(keep));
	if (run_sql(e, ru, sql, &k, ODS_QR_SAMPLE, r) == 0) {
		ods_jw_end(&jw);
		if (ods_jw_error(&jw) == ODS_OK)
			r->sample = ods_buf_take(&b, NULL);
	}
	memcpy(r->error, keep, sizeof(keep));
	ods_buf_free(&b);
	for (i = 0; s.names != NULL && i < s.n; i++)
		free(s.names[i]);
	free(s.names);
}

/*
 * The count's row into r: (rows checked, violations) of the built
 * checks, (violations[, rows checked]) of custom_sql. 0, or -1 with
 * r->error set.
 */
static int
counts(const struct rule *ru, const struct first *f, struct odsi_qr_result *r)
{
	if (ru->d.type == ODS_QR_CUSTOM_SQL) {
		if (parse_count(f->cells[0], &r->violations) != 0) {
			snprintf(r->error, sizeof(r->error), "custom_sql: the "
			    "first column of its first row is no count");
			return -1;
		}
		if (parse_count(f->cells[1], &r->rows) != 0)
			r->rows = 1;
		return 0;
	}
	if (parse_count(f->cells[0], &r->rows) != 0 ||
	    parse_count(f->cells[1], &r->violations) != 0) {
		snprintf(r->error, sizeof(r->error), "the check did not "
		    "return a count");
		return -1;
	}
	if (ru->d.type == ODS_QR_ROW_COUNT || ru->d.type == ODS_QR_FRESHNESS) {
		/* One verdict on the table: 0 or 1 of 1. */
		r->table_rows = r->rows;
		r->rows = 1;
	}
	return 0;
}

static void
check_source(const struct ods_quality_env *e, struct rule *ru)
{
	struct odsi_qr_result	*r = &ru->r;
	struct first		 f;
	struct ods_query_sink	 k = { first_cols, first_row, NULL };
	char			*count = NULL, *smp = NULL;
	size_t			 i;

	memset(&f, 0, sizeof(f));
	k.arg = &f;
	if (ods_qr_sql(&ru->d, source_kind(e, ru->d.source_id), &count,
	    &smp) != ODS_OK) {
		snprintf(r->error, sizeof(r->error), "the rule's SQL could not "
		    "be built");
		return;
	}
	if (run_sql(e, ru, count, &k, 1, r) == 0 && counts(ru, &f, r) == 0 &&
	    *smp != '\0' && r->violations > 0)
		fetch_sample(e, ru, smp, r);
	for (i = 0; i < 3; i++)
		free(f.cells[i]);
	free(count);
	free(smp);
}

/* ---- the rules of a run ---- */

static void
rule_free(struct rule *ru)
{
	free(ru->rule_id);
	free(ru->name);
	free(ru->severity);
	free(ru->cfg);
	ods_json_put(ru->obj);
	free(ru->r.sample);
}

static enum ods_err
load_rule(struct ods_db *db, const char *id, struct rule *ru)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[1];
	enum ods_err		 er;

	memset(ru, 0, sizeof(*ru));
	a[0] = ods_db_text(id);
	er = ods_db_query_once(db, "SELECT rule_id, name, severity, "
	    "rule_config FROM quality_rules WHERE rule_id = ?", a, 1, 1, &res);
	if (er != ODS_OK)
		return er;
	if (ods_db_res_nrows(res) == 0) {
		ods_db_res_free(res);
		return ODS_ENOTFOUND;
	}
	ru->rule_id = ods_db_res_strdup(res, 0, 0);
	ru->name = ods_db_res_strdup(res, 0, 1);
	ru->severity = ods_db_res_strdup(res, 0, 2);
	ru->cfg = ods_db_res_strdup(res, 0, 3);
	ods_db_res_free(res);
	ru->d.type = -1;
	if (ru->cfg == NULL || ods_json_parse(ru->cfg, strlen(ru->cfg), 16,
	    &ru->obj, NULL) != ODS_OK || ods_qr_parse(ru->obj, 0, &ru->d,
	    NULL) != ODS_OK)
		snprintf(ru->r.error, sizeof(ru->r.error), "the stored "
		    "definition does not parse");
	return ODS_OK;
}

/* The rule ids of task_id (a JSON array text) and its webhook. */
static enum ods_err
load_task(struct ods_db *db, const char *task_id, char **ids, char **hook,
    char **name)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[1];
	enum ods_err		 er;

	a[0] = ods_db_text(task_id);
	er = ods_db_query_once(db, "SELECT rule_ids, webhook_url, name FROM "
	    "quality_tasks WHERE task_id = ?", a, 1, 1, &res);
	if (er != ODS_OK)
		return er;
	if (ods_db_res_nrows(res) == 0)
		er = ODS_ENOTFOUND;
	else {
		*ids = ods_db_res_strdup(res, 0, 0);
		*hook = ods_db_res_strdup(res, 0, 1);
		*name = ods_db_res_strdup(res, 0, 2);
	}
	ods_db_res_free(res);
	return er;
}

static void
check(const struct ods_quality_env *e, struct rule *ru)
{
	struct odsi_qr_result	*r = &ru->r;

	if (r->error[0] == '\0') {
		if (ru->d.dataset_id != NULL)
			odsi_qr_check_dataset(e, &ru->d, r);
		else
			check_source(e, ru);
	}
	r->errored = r->error[0] != '\0';
	r->status = r->errored ? ODS_QR_FAILED :
	    ods_qr_judge(&ru->d, r->violations, r->rows);
	r->score = ods_qr_rule_score(ru->d.type, r->violations, r->rows,
	    r->errored);
	ods_log(ODS_LOG_INFO, "quality_rule rule_id=%s rows=%lld "
	    "violations=%lld status=%s error=%s", ru->rule_id,
	    (long long)r->rows, (long long)r->violations,
	    ods_qr_status_name(r->status), r->error);
}

/* label of the gauge: the dataset, or source.db.table. */
static void
label_of(const struct ods_qr_def *d, char *buf, size_t len)
{
	if (d->dataset_id != NULL)
		snprintf(buf, len, "%s", d->dataset_id);
	else
		snprintf(buf, len, "%s.%s.%s", d->source_id != NULL ?
		    d->source_id : "", d->database != NULL ? d->database : "",
		    d->table != NULL ? d->table : "sql");
}

static enum ods_err
run_rules(const struct ods_quality_env *e, struct rule *rs, size_t n,
    const char *task_id, const char *rule_id, const char *name,
    const char *hook, const char *user, char *report, double *score)
{
	struct odsi_qr_run	run;
	size_t			i;
	double			sum = 0;
	enum ods_err		er;

	for (i = 0; i < n; i++) {
		if (e->stopping != NULL && e->stopping(e->arg))
			return ODS_ETIMEOUT;
		check(e, &rs[i]);
		sum += rs[i].r.score;
	}
	*score = n > 0 ? sum / (double)n : 1;
	memset(&run, 0, sizeof(run));
	run.task_id = task_id;
	run.rule_id = rule_id;
	run.name = name;
	run.user = user;
	run.score = *score;
	run.n = n;
	run.results = ods_xcalloc(n + 1, sizeof(*run.results));
	for (i = 0; i < n; i++) {
		run.results[i].rule_id = rs[i].rule_id;
		run.results[i].name = rs[i].name;
		run.results[i].severity = rs[i].severity;
		run.results[i].def = &rs[i].d;
		run.results[i].r = &rs[i].r;
		label_of(&rs[i].d, run.results[i].label,
		    sizeof(run.results[i].label));
	}
	er = odsi_qr_report_store(e, &run, report);
	if (er == ODS_OK)
		odsi_qr_after(e, &run, report, hook);
	free(run.results);
	return er;
}

/* The report job_id already stored (a retried job), into report. */
static int
stored(const struct ods_quality_env *e, char *report, double *score)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[1];
	int			 found = 0;

	if (e->job_id <= 0)
		return 0;
	a[0] = ods_db_int(e->job_id);
	if (ods_db_query_once(e->db, "SELECT report_id, quality_score FROM "
	    "quality_reports WHERE job_id = ? LIMIT 1", a, 1, 1, &res) ==
	    ODS_OK && ods_db_res_nrows(res) > 0) {
		snprintf(report, 48, "%s", ods_db_res_text(res, 0, 0, NULL));
		if (ods_db_res_double(res, 0, 1, score) != ODS_OK)
			*score = 0;
		found = 1;
	}
	ods_db_res_free(res);
	return found;
}

enum ods_err
ods_quality_run(const struct ods_quality_env *e, const char *task_id,
    const char *rule_id, const char *user, char *report, double *score)
{
	struct json_object	*ids = NULL;
	struct rule		*rs = NULL;
	char			*idtext = NULL, *hook = NULL, *name = NULL;
	enum ods_err		 er;
	size_t			 i, n = 0;

	report[0] = '\0';
	*score = 0;
	if (stored(e, report, score))
		return ODS_OK;
	if (task_id != NULL) {
		if ((er = load_task(e->db, task_id, &idtext, &hook, &name)) !=
		    ODS_OK)
			return er;
		if (idtext == NULL || ods_json_parse(idtext, strlen(idtext), 4,
		    &ids, NULL) != ODS_OK) {
			er = ODS_EINTERNAL;
			goto out;
		}
		n = ods_json_arr_len(ids);
	} else
		n = 1;
	rs = ods_xcalloc(n + 1, sizeof(*rs));
	for (i = 0; i < n; i++) {
		er = load_rule(e->db, task_id != NULL ?
		    ods_json_arr_str(ids, i) : rule_id, &rs[i]);
		if (er == ODS_ENOTFOUND && task_id != NULL) {
			/* A rule deleted since: an errored rule. */
			rs[i].rule_id = ods_xstrdup(ods_json_arr_str(ids, i) ?
			    ods_json_arr_str(ids, i) : "");
			rs[i].d.type = -1;
			snprintf(rs[i].r.error, sizeof(rs[i].r.error),
			    "the rule no longer exists");
		} else if (er != ODS_OK)
			goto out;
	}
	er = run_rules(e, rs, n, task_id, rule_id, name != NULL ? name :
	    (rs[0].name != NULL ? rs[0].name : "quality run"), hook, user,
	    report, score);
out:
	for (i = 0; rs != NULL && i < n; i++)
		rule_free(&rs[i]);
	free(rs);
	free(idtext);
	free(hook);
	free(name);
	ods_json_put(ids);
	return er;
}
