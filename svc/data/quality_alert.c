/*
 * svc/data/quality_alert.c — what follows a quality report (quality.h):
 * an alert per rule over its threshold (opened, or triggered again while
 * open or acknowledged), its webhook (a JSON POST through the outbound
 * client, to an address the data sources' policy lets through, pinned so
 * that no second lookup moves it), the scores behind data_quality_score;
 * and the alerts' reads and transitions.
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
#include "net/ods_addr.h"
#include "net/ods_http.h"
#include "store/ods_db.h"
#include "datasource.h"
#include "data_int.h"
#include "quality.h"

#define HOOK_TIMEOUT_MS	5000

/* ---- the webhook ---- */

/*
 * Host and port of an http(s) URL into host (a bracketed IPv6 address
 * without its brackets). 0, or -1 for a URL we do not take.
 */
static int
url_host(const char *url, char *host, size_t len, int *port, int *v6)
{
	const char	*p, *end;
	size_t		 n;

	*v6 = 0;
	if (strncmp(url, "http://", 7) == 0) {
		p = url + 7;
		*port = 80;
	} else if (strncmp(url, "https://", 8) == 0) {
		p = url + 8;
		*port = 443;
	} else
		return -1;
	if (strcspn(p, "@/") < strcspn(p, "/") || *p == '\0')
		return -1;	/* no user info: it hides the host */
	if (*p == '[') {
		if ((end = strchr(p, ']')) == NULL)
			return -1;
		p++;
		*v6 = 1;
	} else
		end = p + strcspn(p, ":/?#");
	n = (size_t)(end - p);
	if (n == 0 || n >= len)
		return -1;
	memcpy(host, p, n);
	host[n] = '\0';
	if (*v6)
		end++;
	if (*end == ':') {
		*port = atoi(end + 1);
		if (*port <= 0 || *port > 65535)
			return -1;
	}
	return 0;
}

/*
 * POST body to url through the address policy. The outcome ("delivered
 * 200", "refused: ...", "failed: ...") into st.
 */
static void
deliver(const struct ods_quality_env *e, const char *url, const char *body,
    char *st, size_t stlen)
{
	struct ods_addr		 addr;
	struct ods_ds_result	 res;
	struct ods_http_req	 req;
	struct ods_http_resp	 resp;
	char			 host[256], to[400];
	enum ods_err		 er;
	int			 port, v6;

	memset(&res, 0, sizeof(res));
	if (url_host(url, host, sizeof(host), &port, &v6) != 0) {
		snprintf(st, stlen, "refused: not a URL we post to");
		return;
	}
	if (odsi_ds_policy(e->ds, host, port, ODSI_DS_NONE, NULL, NULL, &addr,
	    &res) != 0) {
		snprintf(st, stlen, "refused: %.200s", res.message);
		return;
	}
	ods_addr_pin(host, port, &addr, to, sizeof(to));
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = url;
	req.headers[0] = "Content-Type: application/json";
	req.nheaders = 1;
	req.body = body;
	req.body_len = strlen(body);
	req.limits.connect_ms = 2000;
	req.limits.total_ms = HOOK_TIMEOUT_MS;
	req.limits.max_body = 64u << 10;
	req.pin = to;
	er = ods_http_do(&req, &resp);
	if (er != ODS_OK)
		snprintf(st, stlen, "failed: %s", ods_strerror(er));
	else if (resp.status < 200 || resp.status > 299)
		snprintf(st, stlen, "failed: HTTP %d", resp.status);
	else
		snprintf(st, stlen, "delivered: HTTP %d", resp.status);
	ods_http_resp_fini(&resp);
}

static char *
hook_body(const struct odsi_qr_item *it, const char *alert_id,
    const char *severity, const char *report, int64_t count)
{
	struct ods_buf	b;
	struct ods_jw	jw;

	ods_buf_init(&b, 1u << 20);
	ods_jw_init(&jw, &b);
	ods_jw_obj(&jw);
	ods_jw_kstr(&jw, "event", "quality_alert");
	ods_jw_kstr(&jw, "alert_id", alert_id);
	ods_jw_kstr(&jw, "rule_id", it->rule_id);
	ods_jw_kstr(&jw, "rule_name", it->name);
	ods_jw_kstr(&jw, "severity", severity);
	ods_jw_kstr(&jw, "status", ods_qr_status_name(it->r->status));
	ods_jw_kstr(&jw, "target", it->label);
	ods_jw_kint(&jw, "violations", it->r->violations);
	ods_jw_kint(&jw, "rows_checked", it->r->rows);
	ods_jw_kint(&jw, "triggered_count", count);
	ods_jw_kstr(&jw, "report_id", report);
	ods_jw_kstr(&jw, "error", it->r->errored ? it->r->error : NULL);
	ods_jw_end(&jw);
	return ods_jw_error(&jw) == ODS_OK ? ods_buf_take(&b, NULL) : NULL;
}

/* ---- alerts ---- */

/*
 * The rule's alert that is not resolved, triggered again; else a new
 * one. alert_id (40 bytes) and its triggered_count.
 */
static enum ods_err
alert_upsert(struct ods_db *db, const struct odsi_qr_item *it,
    const char *severity, const char *report, const char *msg,
    char *alert_id, int64_t *count)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[9];
	unsigned char		 rnd[8];
	enum ods_err		 er;
	double			 ratio = it->r->rows > 0 ?
				    (double)it->r->violations /
				    (double)it->r->rows : 0;

	a[0] = ods_db_text(it->rule_id);
	er = ods_db_query_once(db, "SELECT alert_id, triggered_count FROM "
	    "quality_alerts WHERE rule_id = ? AND status <> 'resolved' ORDER "
	    "BY id DESC LIMIT 1", a, 1, 1, &res);
	if (er != ODS_OK)
		return er;
	a[0] = ods_db_text(severity);
	a[1] = ods_db_text(msg);
	a[2] = ods_db_text(report);
	a[3] = ods_db_int(it->r->violations);
	a[4] = ods_db_double(ratio);
	if (ods_db_res_nrows(res) > 0) {
		snprintf(alert_id, 40, "%s", ods_db_res_text(res, 0, 0, NULL));
		if (ods_db_res_int(res, 0, 1, count) != ODS_OK)
			*count = 0;
		(*count)++;
		ods_db_res_free(res);
		a[5] = ods_db_text(alert_id);
		return ods_db_exec_once(db, "UPDATE quality_alerts SET "
		    "severity = ?, message = ?, report_id = ?, violations = ?, "
		    "ratio = ?, triggered_count = triggered_count + 1, "
		    "last_triggered_at = CURRENT_TIMESTAMP(3) WHERE "
		    "alert_id = ?", a, 6, NULL);
	}
	ods_db_res_free(res);
	ods_random(rnd, sizeof(rnd));
	memcpy(alert_id, "qa_", 3);
	ods_hex(rnd, sizeof(rnd), alert_id + 3);
	*count = 1;
	a[5] = ods_db_text(alert_id);
	a[6] = ods_db_text(it->rule_id);
	a[7] = ods_db_text(it->name);
	a[8] = ods_db_text(it->label);
	return ods_db_exec_once(db, "INSERT INTO quality_alerts (severity, "
	    "message, report_id, violations, ratio, alert_id, rule_id, "
	    "rule_name, title, alert_type, status, triggered_count, "
	    "last_triggered_at, notification_channels) VALUES (?, ?, ?, ?, ?, "
	    "?, ?, ?, ?, 'threshold', 'open', 1, CURRENT_TIMESTAMP(3), "
	    "'[\"webhook\"]')", a, 9, NULL);
}

static void
alert_one(const struct ods_quality_env *e, const struct odsi_qr_item *it,
    const char *report, const char *hook)
{
	struct ods_db_arg	 a[2];
	const char		*sev, *url;
	char			 msg[768], id[40], st[300];
	char			*body;
	int64_t			 count = 0;
	enum ods_err		 er;

	sev = it->r->status == ODS_QR_FAILED ? "critical" : "warning";
	if (it->r->errored)
		snprintf(msg, sizeof(msg), "rule %s could not run: %s",
		    it->name != NULL ? it->name : it->rule_id, it->r->error);
	else
		snprintf(msg, sizeof(msg), "rule %s on %s: %lld violations in "
		    "%lld rows", it->name != NULL ? it->name : it->rule_id,
		    it->label, (long long)it->r->violations,
		    (long long)it->r->rows);
	if ((er = alert_upsert(e->db, it, sev, report, msg, id, &count)) !=
	    ODS_OK) {
		ods_log(ODS_LOG_WARN, "quality_alert_failed rule=%s err=%s",
		    it->rule_id, ods_strerror(er));
		return;
	}
	url = it->def->webhook_url != NULL && *it->def->webhook_url != '\0' ?
	    it->def->webhook_url : hook != NULL && *hook != '\0' ? hook :
	    e->webhook_default;
	if (url == NULL || *url == '\0')
		return;
	if ((body = hook_body(it, id, sev, report, count)) == NULL)
		return;
	deliver(e, url, body, st, sizeof(st));
	free(body);
	ods_log(ODS_LOG_INFO, "quality_webhook alert=%s outcome=%s", id, st);
	a[0] = ods_db_text(st);
	a[1] = ods_db_text(id);
	if (ods_db_exec_once(e->db, "UPDATE quality_alerts SET "
	    "webhook_status = ? WHERE alert_id = ?", a, 2, NULL) != ODS_OK)
		ods_log(ODS_LOG_WARN, "quality_webhook_record alert=%s", id);
}

/* ---- scores ---- */

/*
 * The label's latest score: a new label past ODS_QR_LABELS_MAX is folded
 * into ODS_QR_LABEL_OTHER, so the gauge's series stay bounded.
 */
static void
score_store(struct ods_db *db, const char *label, double score,
    const char *report)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[3];
	const char		*lv[1];
	int64_t			 n = 0, known = 0;

	a[0] = ods_db_text(label);
	if (ods_db_query_once(db, "SELECT (SELECT COUNT(*) FROM "
	    "quality_scores), (SELECT COUNT(*) FROM quality_scores WHERE "
	    "label = ?)", a, 1, 1, &res) == ODS_OK) {
		if (ods_db_res_int(res, 0, 0, &n) != ODS_OK ||
		    ods_db_res_int(res, 0, 1, &known) != ODS_OK)
			n = known = 0;
	}
	ods_db_res_free(res);
	if (!known && n >= ODS_QR_LABELS_MAX - 1)
		label = ODS_QR_LABEL_OTHER;
	a[0] = ods_db_text(label);
	a[1] = ods_db_double(score);
	a[2] = ods_db_text(report);
	if (ods_db_exec_once(db, "INSERT INTO quality_scores (label, score, "
	    "report_id) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE score = "
	    "VALUES(score), report_id = VALUES(report_id)", a, 3, NULL) !=
	    ODS_OK)
		ods_log(ODS_LOG_WARN, "quality_score_store label=%s", label);
	lv[0] = label;
	(void)ods_metrics_gauge_set(ODS_M_DATA_QUALITY, lv, score);
}

/* The mean score of each label of the run (rules on one table). */
static void
scores(const struct ods_quality_env *e, const struct odsi_qr_run *run,
    const char *report)
{
	size_t	i, j, k;
	double	sum;

	for (i = 0; i < run->n; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(run->results[j].label,
			    run->results[i].label) == 0)
				break;
		if (j < i || run->results[i].def->type < 0)
			continue;
		sum = 0;
		k = 0;
		for (j = i; j < run->n; j++)
			if (strcmp(run->results[j].label,
			    run->results[i].label) == 0) {
				sum += run->results[j].r->score;
				k++;
			}
		score_store(e->db, run->results[i].label, sum / (double)k,
		    report);
	}
}

void
odsi_qr_after(const struct ods_quality_env *e, const struct odsi_qr_run *run,
    const char *report, const char *hook)
{
	size_t	i;

	/* A rule deleted since the task was made has nobody to alert. */
	for (i = 0; i < run->n; i++)
		if (run->results[i].r->status != ODS_QR_PASSED &&
		    run->results[i].rule_id != NULL &&
		    run->results[i].def->type >= 0)
			alert_one(e, &run->results[i], report, hook);
	scores(e, run, report);
}

enum ods_err
ods_quality_gauge_load(struct ods_db *db)
{
	struct ods_db_res	*res = NULL;
	const char		*lv[1];
	enum ods_err		 er;
	size_t			 i, n;
	double			 v;

	er = ods_db_query_once(db, "SELECT label, score FROM quality_scores "
	    "ORDER BY updated_at DESC LIMIT 200", NULL, 0, ODS_QR_LABELS_MAX,
	    &res);
	if (er != ODS_OK)
		return er;
	n = ods_db_res_nrows(res);
	for (i = 0; i < n; i++) {
		lv[0] = ods_db_res_text(res, i, 0, NULL);
		if (lv[0] != NULL && ods_db_res_double(res, i, 1, &v) == ODS_OK)
			(void)ods_metrics_gauge_set(ODS_M_DATA_QUALITY, lv, v);
	}
	ods_db_res_free(res);
	return ODS_OK;
}

/* ---- reads and transitions ---- */

#define ALERT_COLS "a.alert_id, a.rule_id, a.rule_name, a.alert_type, " \
	"a.severity, a.title, a.message, a.status, a.is_enabled, " \
	"a.triggered_count, " \
	"DATE_FORMAT(a.last_triggered_at, '%Y-%m-%dT%H:%i:%s.%fZ'), " \
	"a.acknowledged_by, " \
	"DATE_FORMAT(a.acknowledged_at, '%Y-%m-%dT%H:%i:%s.%fZ'), " \
	"a.resolved_by, DATE_FORMAT(a.resolved_at, '%Y-%m-%dT%H:%i:%s.%fZ'), " \
	"a.report_id, a.violations, a.ratio, a.webhook_status, " \
	"DATE_FORMAT(a.created_at, '%Y-%m-%dT%H:%i:%s.%fZ'), " \
	"DATE_FORMAT(a.updated_at, '%Y-%m-%dT%H:%i:%s.%fZ')"
/* The alerts of the rules owner sees: 2 parameters. */
#define ALERT_FROM " FROM quality_alerts a LEFT JOIN quality_rules q ON " \
	"q.rule_id = a.rule_id WHERE (? = 1 OR q.created_by = ? OR " \
	"q.visibility = 'public')"

static void
alert_json(struct ods_jw *jw, const struct ods_db_res *r, size_t i)
{
	static const char *const strs[] = { "alert_id", "rule_id",
	    "rule_name", "alert_type", "severity", "title", "message",
	    "status" };
	static const char *const tail[] = { "last_triggered_at",
	    "acknowledged_by", "acknowledged_at", "resolved_by",
	    "resolved_at", "report_id" };
	int64_t	 v;
	double	 d;
	size_t	 k;

	ods_jw_obj(jw);
	for (k = 0; k < 8; k++)
		ods_jw_kstr(jw, strs[k], ods_db_res_text(r, i, k, NULL));
	ods_jw_kstr(jw, "id", ods_db_res_text(r, i, 0, NULL));
	ods_jw_kbool(jw, "is_enabled", ods_db_res_int(r, i, 8, &v) ==
	    ODS_OK && v != 0);
	ods_jw_kint(jw, "triggered_count", ods_db_res_int(r, i, 9, &v) ==
	    ODS_OK ? v : 0);
	for (k = 0; k < 6; k++)
		ods_jw_kstr(jw, tail[k], ods_db_res_text(r, i, 10 + k, NULL));
	ods_jw_kint(jw, "violations", ods_db_res_int(r, i, 16, &v) ==
	    ODS_OK ? v : 0);
	ods_jw_knum(jw, "ratio", ods_db_res_double(r, i, 17, &d) == ODS_OK ?
	    d : 0);
	ods_jw_kstr(jw, "webhook_status", ods_db_res_text(r, i, 18, NULL));
	ods_jw_key(jw, "notification_channels");
	ods_jw_arr(jw);
	ods_jw_str(jw, "webhook");
	ods_jw_end(jw);
	ods_jw_kstr(jw, "created_at", ods_db_res_text(r, i, 19, NULL));
	ods_jw_kstr(jw, "updated_at", ods_db_res_text(r, i, 20, NULL));
	ods_jw_end(jw);
}

enum ods_err
ods_qa_list(struct ods_db *db, const struct ods_qa_filter *f,
    struct ods_jw *jw, int64_t *total)
{
	struct ods_db_arg	 a[10];
	const char		*st = f->status;

	/* The reference's active/inactive: open, or done with. */
	if (st != NULL && strcmp(st, "active") == 0)
		st = "open";
	else if (st != NULL && strcmp(st, "inactive") == 0)
		st = "resolved";
	a[0] = ods_db_int(f->owner == NULL);
	a[1] = ods_db_text(f->owner != NULL ? f->owner : "");
	a[2] = ods_db_int(st == NULL);
	a[3] = ods_db_text(st != NULL ? st : "");
	a[4] = ods_db_int(f->severity == NULL);
	a[5] = ods_db_text(f->severity != NULL ? f->severity : "");
	a[6] = ods_db_int(f->rule_id == NULL);
	a[7] = ods_db_text(f->rule_id != NULL ? f->rule_id : "");
#define WHERE ALERT_FROM " AND (? = 1 OR a.status = ?) AND (? = 1 OR " \
	"a.severity = ?) AND (? = 1 OR a.rule_id = ?)"
	return odsi_qr_page(db, ODS_DB_SQL("SELECT COUNT(*)" WHERE),
	    ODS_DB_SQL("SELECT " ALERT_COLS WHERE " ORDER BY a.id DESC LIMIT ? "
	    "OFFSET ?"), a, 8, f->offset, f->limit, alert_json, jw, total);
#undef WHERE
}

static enum ods_err
alert_row(struct ods_db *db, const char *id, const char *owner,
    struct ods_db_res **res)
{
	struct ods_db_arg	a[3];
	enum ods_err		er;

	a[0] = ods_db_int(owner == NULL);
	a[1] = ods_db_text(owner != NULL ? owner : "");
	a[2] = ods_db_text(id);
	er = ods_db_query_once(db, "SELECT " ALERT_COLS ALERT_FROM " AND "
	    "a.alert_id = ?", a, 3, 1, res);
	if (er == ODS_OK && ods_db_res_nrows(*res) == 0) {
		ods_db_res_free(*res);
		*res = NULL;
		return ODS_ENOTFOUND;
	}
	return er;
}

enum ods_err
ods_qa_transition(struct ods_db *db, const char *id, const char *to,
    const char *owner, const char *user, char *state, struct ods_jw *jw)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[3];
	enum ods_err		 er;
	uint64_t		 changed = 0;
	int			 ack = strcmp(to, "acknowledged") == 0;

	if ((er = alert_row(db, id, owner, &res)) != ODS_OK)
		return er;
	ods_db_res_free(res);
	res = NULL;
	a[0] = ods_db_text(user);
	a[1] = ods_db_text(id);
	/* One UPDATE that checks the state: two callers cannot both win. */
	if (ack)
		er = ods_db_exec_once(db, "UPDATE quality_alerts SET status = "
		    "'acknowledged', acknowledged_by = ?, acknowledged_at = "
		    "CURRENT_TIMESTAMP(3) WHERE alert_id = ? AND status = "
		    "'open'", a, 2, &changed);
	else
		er = ods_db_exec_once(db, "UPDATE quality_alerts SET status = "
		    "'resolved', resolved_by = ?, resolved_at = "
		    "CURRENT_TIMESTAMP(3), is_enabled = 0 WHERE alert_id = ? "
		    "AND status IN ('open', 'acknowledged')", a, 2, &changed);
	if (er != ODS_OK)
		return er;
	if ((er = alert_row(db, id, owner, &res)) != ODS_OK)
		return er;
	snprintf(state, 16, "%s", ods_db_res_text(res, 0, 7, NULL) != NULL ?
	    ods_db_res_text(res, 0, 7, NULL) : "");
	if (changed == 0)
		er = ODS_ECONFLICT;
	else
		alert_json(jw, res, 0);
	ods_db_res_free(res);
	return er;
}
