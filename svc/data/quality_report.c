/*
 * svc/data/quality_report.c — reports of quality runs (quality.h): stored
 * once per run with every rule's result, read back, listed, and summed
 * into trends per day, week or month.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_json.h"
#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "core/ods_util.h"
#include "store/ods_db.h"
#include "quality.h"
#include "data_int.h"

static void
result_json(struct ods_jw *jw, const struct odsi_qr_item *it)
{
	const struct odsi_qr_result	*r = it->r;

	ods_jw_obj(jw);
	ods_jw_kstr(jw, "rule_id", it->rule_id);
	ods_jw_kstr(jw, "rule_name", it->name);
	ods_jw_kstr(jw, "rule_type", it->def->type >= 0 ?
	    ods_qr_type_name(it->def->type) : NULL);
	ods_jw_kstr(jw, "target", it->label);
	ods_jw_kstr(jw, "status", ods_qr_status_name(r->status));
	ods_jw_kint(jw, "rows_checked", r->rows);
	ods_jw_kint(jw, "violations", r->violations);
	ods_jw_knum(jw, "violation_ratio", r->rows > 0 ?
	    (double)r->violations / (double)r->rows : 0);
	if (r->table_rows > 0 || (it->def->type == ODS_QR_ROW_COUNT ||
	    it->def->type == ODS_QR_FRESHNESS))
		ods_jw_kint(jw, "table_rows", r->table_rows);
	ods_jw_knum(jw, "score", r->score);
	if (r->partial)
		ods_jw_kbool(jw, "partial", 1);
	ods_jw_key(jw, "sample");
	if (r->sample != NULL)
		ods_jw_raw(jw, r->sample, strlen(r->sample));
	else {
		ods_jw_arr(jw);
		ods_jw_end(jw);
	}
	ods_jw_kstr(jw, "error", r->errored ? r->error : NULL);
	ods_jw_end(jw);
}

static char *
results_text(const struct odsi_qr_run *run)
{
	struct ods_buf	b;
	struct ods_jw	jw;
	size_t		i;

	ods_buf_init(&b, 16u << 20);
	ods_jw_init(&jw, &b);
	ods_jw_arr(&jw);
	for (i = 0; i < run->n; i++)
		result_json(&jw, &run->results[i]);
	ods_jw_end(&jw);
	if (ods_jw_error(&jw) != ODS_OK) {
		ods_buf_free(&b);
		return NULL;
	}
	return ods_buf_take(&b, NULL);
}

static void
rule_counters(struct ods_db *db, const struct odsi_qr_item *it,
    const char *report)
{
	struct ods_db_arg	a[4];
	enum ods_err		er;

	a[0] = ods_db_int(it->r->violations);
	a[1] = ods_db_text(ods_qr_status_name(it->r->status));
	a[2] = ods_db_text(report);
	a[3] = ods_db_text(it->rule_id);
	er = ods_db_exec_once(db, "UPDATE quality_rules SET check_count = "
	    "check_count + 1, violation_count = ?, last_status = ?, "
	    "last_report_id = ?, last_checked_at = CURRENT_TIMESTAMP(3) "
	    "WHERE rule_id = ?", a, 4, NULL);
	if (er != ODS_OK)
		ods_log(ODS_LOG_WARN, "quality_rule_counters err=%s",
		    ods_strerror(er));
}

enum ods_err
odsi_qr_report_store(const struct ods_quality_env *e,
    const struct odsi_qr_run *run, char *id)
{
	struct ods_db_arg	 a[14];
	unsigned char		 rnd[8];
	int64_t			 c[4] = { 0, 0, 0, 0 }, rows = 0;
	enum ods_err		 er;
	char			*res;
	size_t			 i;

	for (i = 0; i < run->n; i++) {
		c[run->results[i].r->status]++;
		c[3] += run->results[i].r->errored;
		rows += run->results[i].r->rows;
	}
	if ((res = results_text(run)) == NULL)
		return ODS_ETOOBIG;
	ods_random(rnd, sizeof(rnd));
	memcpy(id, "qrep_", 5);
	ods_hex(rnd, sizeof(rnd), id + 5);
	a[0] = ods_db_text(id);
	a[1] = ods_db_text(run->task_id);
	a[2] = ods_db_text(run->rule_id);
	a[3] = ods_db_text(run->name);
	a[4] = ods_db_double(run->score);
	a[5] = ods_db_int((int64_t)run->n);
	a[6] = ods_db_int(c[ODS_QR_PASSED]);
	a[7] = ods_db_int(c[ODS_QR_FAILED]);
	a[8] = ods_db_int(c[ODS_QR_WARNING]);
	a[9] = ods_db_int(c[3]);
	a[10] = ods_db_int(rows);
	a[11] = ods_db_text(res);
	a[12] = ods_db_text(run->user);
	a[13] = e->job_id > 0 ? ods_db_int(e->job_id) : ods_db_null();
	er = ods_db_exec_once(e->db, "INSERT INTO quality_reports (report_id, "
	    "task_id, rule_id, name, status, quality_score, total_checks, "
	    "passed_checks, failed_checks, warning_checks, error_checks, "
	    "rows_checked, rule_results, created_by, job_id, started_at, "
	    "finished_at) VALUES (?, ?, ?, ?, 'completed', ?, ?, ?, ?, ?, ?, "
	    "?, ?, ?, ?, CURRENT_TIMESTAMP(3), CURRENT_TIMESTAMP(3))", a, 14,
	    NULL);
	free(res);
	if (er != ODS_OK)
		return er;
	for (i = 0; i < run->n; i++)
		if (run->results[i].rule_id != NULL &&
		    run->results[i].def->type >= 0)
			rule_counters(e->db, &run->results[i], id);
	if (run->task_id != NULL) {
		a[0] = ods_db_text(id);
		a[1] = ods_db_text(run->task_id);
		if (ods_db_exec_once(e->db, "UPDATE quality_tasks SET "
		    "last_run_at = CURRENT_TIMESTAMP(3), last_report_id = ? "
		    "WHERE task_id = ?", a, 2, NULL) != ODS_OK)
			ods_log(ODS_LOG_WARN, "quality_task_update task=%s",
			    run->task_id);
	}
	return ODS_OK;
}

/* ---- reads ---- */

enum ods_err
odsi_qr_page(struct ods_db *db, const char *count_sql, const char *rows_sql,
    struct ods_db_arg *a, size_t n, int64_t offset, int64_t limit,
    void (*row)(struct ods_jw *, const struct ods_db_res *, size_t),
    struct ods_jw *jw, int64_t *total)
{
	struct ods_db_res	*res = NULL;
	enum ods_err		 er;
	size_t			 i, rows;

	er = ods_db_query_once_const(db, count_sql, a, n, 1, &res);
	if (er != ODS_OK)
		return er;
	if (ods_db_res_int(res, 0, 0, total) != ODS_OK)
		*total = 0;
	ods_db_res_free(res);
	a[n] = ods_db_int(limit);
	a[n + 1] = ods_db_int(offset);
	er = ods_db_query_once_const(db, rows_sql, a, n + 2, (size_t)limit,
	    &res);
	if (er != ODS_OK)
		return er;
	rows = ods_db_res_nrows(res);
	for (i = 0; i < rows; i++)
		row(jw, res, i);
	ods_db_res_free(res);
	return ODS_OK;
}

#define REP_COLS "report_id, task_id, rule_id, name, description, " \
	"source_id, status, quality_score, total_checks, passed_checks, " \
	"failed_checks, warning_checks, error_checks, rows_checked, " \
	"rule_results, created_by, " \
	"DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%s.%fZ')"
/* The reports of the rules and tasks owner sees: 2 parameters. */
#define REP_VIS "(? = 1 OR created_by = ? OR EXISTS (SELECT 1 FROM " \
	"quality_rules q WHERE q.visibility = 'public' AND (q.rule_id = " \
	"quality_reports.rule_id)) OR EXISTS (SELECT 1 FROM quality_tasks t " \
	"WHERE t.visibility = 'public' AND t.task_id = " \
	"quality_reports.task_id))"

static void
rep_json(struct ods_jw *jw, const struct ods_db_res *r, size_t i, int full)
{
	static const char *const ints[] = { "total_checks", "passed_checks",
	    "failed_checks", "warning_checks", "error_checks",
	    "rows_checked" };
	const char	*rr;
	double		 sc;
	int64_t		 v;
	size_t		 k;

	ods_jw_obj(jw);
	ods_jw_kstr(jw, "report_id", ods_db_res_text(r, i, 0, NULL));
	ods_jw_kstr(jw, "task_id", ods_db_res_text(r, i, 1, NULL));
	ods_jw_kstr(jw, "rule_id", ods_db_res_text(r, i, 2, NULL));
	ods_jw_kstr(jw, "name", ods_db_res_text(r, i, 3, NULL));
	ods_jw_kstr(jw, "description", ods_db_res_text(r, i, 4, NULL));
	ods_jw_kstr(jw, "source_id", ods_db_res_text(r, i, 5, NULL));
	ods_jw_kstr(jw, "status", ods_db_res_text(r, i, 6, NULL));
	if (ods_db_res_double(r, i, 7, &sc) != ODS_OK)
		sc = 0;
	ods_jw_knum(jw, "quality_score", sc);
	for (k = 0; k < 6; k++)
		ods_jw_kint(jw, ints[k], ods_db_res_int(r, i, 8 + k, &v) ==
		    ODS_OK ? v : 0);
	if (full) {
		rr = ods_db_res_text(r, i, 14, NULL);
		ods_jw_key(jw, "rule_results");
		if (rr != NULL)
			ods_jw_raw(jw, rr, strlen(rr));
		else {
			ods_jw_arr(jw);
			ods_jw_end(jw);
		}
	}
	ods_jw_kstr(jw, "created_by", ods_db_res_text(r, i, 15, NULL));
	ods_jw_kstr(jw, "created_at", ods_db_res_text(r, i, 16, NULL));
	ods_jw_end(jw);
}

enum ods_err
odsi_qr_one(struct ods_db *db, const char *sql, const char *id,
    const char *owner,
    void (*row)(struct ods_jw *, const struct ods_db_res *, size_t),
    struct ods_jw *jw)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[3];
	enum ods_err		 er;

	a[0] = ods_db_text(id);
	a[1] = ods_db_int(owner == NULL);
	a[2] = ods_db_text(owner != NULL ? owner : "");
	if ((er = ods_db_query_once_const(db, sql, a, 3, 1, &res)) != ODS_OK)
		return er;
	if (ods_db_res_nrows(res) == 0)
		er = ODS_ENOTFOUND;
	else if (jw != NULL)
		row(jw, res, 0);
	ods_db_res_free(res);
	return er;
}

/* A report of a list: without its rule_results. */
static void
rep_row(struct ods_jw *jw, const struct ods_db_res *r, size_t i)
{
	rep_json(jw, r, i, 0);
}

enum ods_err
ods_qrep_list(struct ods_db *db, const struct ods_qrep_filter *f,
    struct ods_jw *jw, int64_t *total)
{
	struct ods_db_arg	 a[10];

	a[0] = ods_db_int(f->owner == NULL);
	a[1] = ods_db_text(f->owner != NULL ? f->owner : "");
#define FILT(k, v) a[k] = ods_db_int((v) == NULL); \
	a[(k) + 1] = ods_db_text((v) != NULL ? (v) : "")
	FILT(2, f->status);
	FILT(4, f->task_id);
	FILT(6, f->rule_id);
#undef FILT
#define WHERE " FROM quality_reports WHERE " REP_VIS " AND (? = 1 OR " \
	"status = ?) AND (? = 1 OR task_id = ?) AND (? = 1 OR rule_id = ?)"
	return odsi_qr_page(db, ODS_DB_SQL("SELECT COUNT(*)" WHERE),
	    ODS_DB_SQL("SELECT " REP_COLS WHERE " ORDER BY id DESC LIMIT ? "
	    "OFFSET ?"), a, 8, f->offset, f->limit, rep_row, jw, total);
#undef WHERE
}

/* A report alone: with its rule_results. */
static void
rep_full(struct ods_jw *jw, const struct ods_db_res *r, size_t i)
{
	rep_json(jw, r, i, 1);
}

enum ods_err
ods_qrep_get_json(struct ods_db *db, const char *id, const char *owner,
    struct ods_jw *jw)
{
	return odsi_qr_one(db, ODS_DB_SQL("SELECT " REP_COLS " FROM "
	    "quality_reports WHERE report_id = ? AND " REP_VIS), id, owner,
	    rep_full, jw);
}

enum ods_err
ods_qrep_trends(struct ods_db *db, const char *owner, const char *period,
    struct ods_jw *jw)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[4];
	enum ods_err		 er;
	size_t			 i, n, k;
	const char		*fmt;
	int64_t			 days;
	double			 v;

	if (strcmp(period, "daily") == 0) {
		fmt = "%Y-%m-%d";
		days = 30;
	} else if (strcmp(period, "weekly") == 0) {
		fmt = "%x-W%v";
		days = 7 * 12;
	} else if (strcmp(period, "monthly") == 0) {
		fmt = "%Y-%m";
		days = 366;
	} else
		return ODS_EINVAL;
	a[0] = ods_db_text(fmt);
	a[1] = ods_db_int(owner == NULL);
	a[2] = ods_db_text(owner != NULL ? owner : "");
	a[3] = ods_db_int(days);
	er = ods_db_query_once(db, "SELECT b, AVG(quality_score), "
	    "SUM(total_checks), SUM(failed_checks + warning_checks) FROM "
	    "(SELECT DATE_FORMAT(created_at, ?) AS b, quality_score, "
	    "total_checks, failed_checks, warning_checks FROM quality_reports "
	    "WHERE " REP_VIS " AND created_at >= CURRENT_TIMESTAMP(3) - "
	    "INTERVAL ? DAY) AS r GROUP BY b ORDER BY b", a, 4, 400, &res);
	if (er != ODS_OK)
		return er;
	n = ods_db_res_nrows(res);
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "period", period);
	ods_jw_key(jw, "dates");
	ods_jw_arr(jw);
	for (i = 0; i < n; i++)
		ods_jw_str(jw, ods_db_res_text(res, i, 0, NULL));
	ods_jw_end(jw);
	for (k = 1; k <= 3; k++) {
		ods_jw_key(jw, k == 1 ? "quality_scores" : k == 2 ?
		    "validation_counts" : "issue_counts");
		ods_jw_arr(jw);
		for (i = 0; i < n; i++) {
			if (ods_db_res_double(res, i, k, &v) != ODS_OK)
				v = 0;
			if (k == 1)
				ods_jw_num(jw, v);
			else
				ods_jw_int(jw, (int64_t)v);
		}
		ods_jw_end(jw);
	}
	ods_jw_end(jw);
	ods_db_res_free(res);
	return ODS_OK;
}
