/*
 * fcgi/data/h_quality.c — the /quality routes (h_quality.h): parse,
 * call svc/data/quality.h, answer.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ods.h"
#include "../../svc/data/quality.h"
#include "../common/h_auth.h"
#include "h_quality.h"

static enum ods_status
failed(struct ods_resp *w, enum ods_err er, const char *what)
{
	char	msg[96];

	if (er == ODS_ENOTFOUND) {
		snprintf(msg, sizeof(msg), "no such %s", what);
		return ods_resp_error_ex(w, er, ODS_C_ENTITY_NOT_FOUND,
		    "not_found", msg);
	}
	if (er == ODS_EFORBIDDEN)
		return ods_resp_error(w, er, "only its creator or an admin "
		    "may change it");
	return ods_resp_error(w, er, NULL);
}

/* One object from fn as data; 404 as what. */
static enum ods_status
send_one(struct ods_req *r, struct ods_resp *w, enum ods_status st,
    enum ods_err (*fn)(struct ods_db *, const char *, const char *,
    struct ods_jw *), const char *id, const char *what)
{
	struct ods_buf	b;
	struct ods_jw	jw, *out;
	enum ods_err	er;

	ods_buf_init(&b, 32u << 20);
	ods_jw_init(&jw, &b);
	if ((er = fn(ods_req_db(r), id, h_owner(r), &jw)) != ODS_OK ||
	    (er = ods_jw_error(&jw)) != ODS_OK) {
		ods_buf_free(&b);
		return failed(w, er, what);
	}
	out = ods_resp_envelope(w, st, NULL);
	ods_jw_raw(out, b.data, b.len);
	ods_buf_free(&b);
	return ods_resp_send(w);
}

/* The end of a list answer: its items are written (or er says why not). */
static enum ods_status
list_end(struct ods_resp *w, struct ods_jw *jw, const struct ods_page *pg,
    enum ods_err er, int64_t total)
{
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not read the list");
	ods_jw_end(jw);
	ods_resp_list_end(jw, pg, total);
	return ods_resp_send(w);
}

enum ods_status
h_quality_rules_list(struct ods_req *r, struct ods_resp *w)
{
	struct ods_qr_filter	 f;
	struct ods_page		 pg;
	struct ods_jw		*jw;
	int64_t			 total = 0;
	enum ods_err		 er;

	if (ods_req_page(r, 50, &pg) != ODS_OK)
		return ods_resp_bad_page(w);
	memset(&f, 0, sizeof(f));
	f.owner = h_owner(r);
	f.status = ods_req_query(r, "status");
	f.rule_type = ods_req_query(r, "rule_type");
	f.source_id = ods_req_query(r, "source_id");
	f.severity = ods_req_query(r, "severity");
	f.offset = pg.offset;
	f.limit = pg.page_size;
	jw = ods_resp_list_begin(w, "rules");
	er = ods_qr_list(ods_req_db(r), &f, jw, &total);
	return list_end(w, jw, &pg, er, total);
}

enum ods_status
h_quality_rules_create(struct ods_req *r, struct ods_resp *w)
{
	struct json_object	*b = NULL;
	struct ods_qr_def	 d;
	struct ods_qr_meta	 m;
	struct ods_why		 why;
	enum ods_err		 er;
	char			 id[40];

	memset(&why, 0, sizeof(why));
	if ((er = ods_req_json(r, &b, &why)) != ODS_OK ||
	    (er = ods_qr_meta_parse(b, 1, &m, &why)) != ODS_OK ||
	    (er = ods_qr_parse(b, 0, &d, &why)) != ODS_OK)
		return ods_resp_input_error(w, er, &why);
	er = ods_qr_create(ods_req_db(r), &d, &m, h_owner(r), h_user(r), id,
	    &why);
	if (er == ODS_EINVAL)
		return ods_resp_input_error(w, er, &why);
	if (er != ODS_OK)
		return failed(w, er, "rule");
	return send_one(r, w, ODS_HTTP_201, ods_qr_get_json, id, "rule");
}

enum ods_status
h_quality_rules_get(struct ods_req *r, struct ods_resp *w)
{
	return send_one(r, w, ODS_HTTP_200, ods_qr_get_json,
	    ods_req_param(r, "id"), "rule");
}

enum ods_status
h_quality_rules_update(struct ods_req *r, struct ods_resp *w)
{
	struct json_object	*b = NULL;
	struct ods_why		 why;
	enum ods_err		 er;

	memset(&why, 0, sizeof(why));
	if ((er = ods_req_json(r, &b, &why)) != ODS_OK)
		return ods_resp_input_error(w, er, &why);
	er = ods_qr_update(ods_req_db(r), ods_req_param(r, "id"), b,
	    h_owner(r), &why);
	if (er == ODS_EINVAL)
		return ods_resp_input_error(w, er, &why);
	if (er != ODS_OK)
		return failed(w, er, "rule");
	return send_one(r, w, ODS_HTTP_200, ods_qr_get_json,
	    ods_req_param(r, "id"), "rule");
}

enum ods_status
h_quality_rules_delete(struct ods_req *r, struct ods_resp *w)
{
	struct ods_jw	*jw;
	enum ods_err	 er;

	er = ods_qr_delete(ods_req_db(r), ods_req_param(r, "id"), h_owner(r));
	if (er != ODS_OK)
		return failed(w, er, "rule");
	jw = ods_resp_envelope(w, ODS_HTTP_200, "Rule deleted");
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "rule_id", ods_req_param(r, "id"));
	ods_jw_kbool(jw, "deleted", 1);
	ods_jw_end(jw);
	return ods_resp_send(w);
}

static enum ods_status
run(struct ods_req *r, struct ods_resp *w, const char *kind)
{
	struct ods_jw	*jw;
	enum ods_err	 er;
	int64_t		 job = 0;
	char		 exec[32];

	er = ods_quality_enqueue(ods_req_db(r), ods_req_redis(r), kind,
	    ods_req_param(r, "id"), h_owner(r), h_user(r), &job);
	if (er != ODS_OK)
		return failed(w, er, kind);
	snprintf(exec, sizeof(exec), "%lld", (long long)job);
	jw = ods_resp_envelope(w, ODS_HTTP_202, "Quality run queued");
	ods_jw_obj(jw);
	ods_jw_kint(jw, "job_id", job);
	ods_jw_kstr(jw, "execution_id", exec);
	ods_jw_kstr(jw, strcmp(kind, "rule") == 0 ? "rule_id" : "task_id",
	    ods_req_param(r, "id"));
	ods_jw_kstr(jw, "status", "queued");
	ods_jw_end(jw);
	return ods_resp_send(w);
}

enum ods_status
h_quality_rules_run(struct ods_req *r, struct ods_resp *w)
{
	return run(r, w, "rule");
}

enum ods_status
h_quality_tasks_run(struct ods_req *r, struct ods_resp *w)
{
	return run(r, w, "task");
}

enum ods_status
h_quality_tasks_list(struct ods_req *r, struct ods_resp *w)
{
	struct ods_page	 pg;
	struct ods_jw	*jw;
	int64_t		 total = 0;
	enum ods_err	 er;

	if (ods_req_page(r, 50, &pg) != ODS_OK)
		return ods_resp_bad_page(w);
	jw = ods_resp_list_begin(w, "tasks");
	er = ods_qt_list(ods_req_db(r), h_owner(r), pg.offset, pg.page_size,
	    jw, &total);
	return list_end(w, jw, &pg, er, total);
}

enum ods_status
h_quality_tasks_create(struct ods_req *r, struct ods_resp *w)
{
	struct json_object		*b = NULL;
	const struct ods_req_env	*env = ods_req_env(r);
	struct ods_why			 why;
	enum ods_err			 er;
	char				 id[40];

	memset(&why, 0, sizeof(why));
	if ((er = ods_req_json(r, &b, &why)) != ODS_OK)
		return ods_resp_input_error(w, er, &why);
	er = ods_qt_create(ods_req_db(r), b, h_owner(r), h_user(r),
	    env->conf->schedule_tz, id, &why);
	if (er == ODS_EINVAL)
		return ods_resp_input_error(w, er, &why);
	if (er != ODS_OK)
		return failed(w, er, "task");
	return send_one(r, w, ODS_HTTP_201, ods_qt_get_json, id, "task");
}

enum ods_status
h_quality_tasks_get(struct ods_req *r, struct ods_resp *w)
{
	return send_one(r, w, ODS_HTTP_200, ods_qt_get_json,
	    ods_req_param(r, "id"), "task");
}

enum ods_status
h_quality_reports_list(struct ods_req *r, struct ods_resp *w)
{
	struct ods_qrep_filter	 f;
	struct ods_page		 pg;
	struct ods_jw		*jw;
	int64_t			 total = 0;
	enum ods_err		 er;

	if (ods_req_page(r, 50, &pg) != ODS_OK)
		return ods_resp_bad_page(w);
	memset(&f, 0, sizeof(f));
	f.owner = h_owner(r);
	f.status = ods_req_query(r, "status");
	f.task_id = ods_req_query(r, "task_id");
	f.rule_id = ods_req_query(r, "rule_id");
	f.offset = pg.offset;
	f.limit = pg.page_size;
	jw = ods_resp_list_begin(w, "reports");
	er = ods_qrep_list(ods_req_db(r), &f, jw, &total);
	return list_end(w, jw, &pg, er, total);
}

enum ods_status
h_quality_reports_get(struct ods_req *r, struct ods_resp *w)
{
	return send_one(r, w, ODS_HTTP_200, ods_qrep_get_json,
	    ods_req_param(r, "id"), "report");
}

enum ods_status
h_quality_trends(struct ods_req *r, struct ods_resp *w)
{
	const char	*p = ods_req_query(r, "period");
	struct ods_buf	 b;
	struct ods_jw	 jw, *out;
	enum ods_err	 er;

	if (p == NULL)
		p = "daily";
	ods_buf_init(&b, 1u << 20);
	ods_jw_init(&jw, &b);
	er = ods_qrep_trends(ods_req_db(r), h_owner(r), p, &jw);
	if (er == ODS_EINVAL) {
		ods_buf_free(&b);
		return ods_resp_error_ex(w, er, ODS_C_INVALID_FIELD,
		    "invalid_field", "period is daily, weekly or monthly");
	}
	if (er != ODS_OK) {
		ods_buf_free(&b);
		return ods_resp_error(w, er, "could not read the trends");
	}
	out = ods_resp_envelope(w, ODS_HTTP_200, NULL);
	ods_jw_raw(out, b.data, b.len);
	ods_buf_free(&b);
	return ods_resp_send(w);
}

enum ods_status
h_quality_alerts_list(struct ods_req *r, struct ods_resp *w)
{
	struct ods_qa_filter	 f;
	struct ods_page		 pg;
	struct ods_jw		*jw;
	int64_t			 total = 0;
	enum ods_err		 er;

	if (ods_req_page(r, 50, &pg) != ODS_OK)
		return ods_resp_bad_page(w);
	memset(&f, 0, sizeof(f));
	f.owner = h_owner(r);
	f.status = ods_req_query(r, "status");
	f.severity = ods_req_query(r, "severity");
	f.rule_id = ods_req_query(r, "rule_id");
	f.offset = pg.offset;
	f.limit = pg.page_size;
	jw = ods_resp_list_begin(w, "alerts");
	er = ods_qa_list(ods_req_db(r), &f, jw, &total);
	return list_end(w, jw, &pg, er, total);
}

static enum ods_status
transition(struct ods_req *r, struct ods_resp *w, const char *to)
{
	struct ods_buf	b;
	struct ods_jw	jw, *out;
	enum ods_err	er;
	char		state[16], msg[128];

	ods_buf_init(&b, 1u << 20);
	ods_jw_init(&jw, &b);
	state[0] = '\0';
	er = ods_qa_transition(ods_req_db(r), ods_req_param(r, "id"), to,
	    h_owner(r), h_user(r), state, &jw);
	if (er != ODS_OK) {
		ods_buf_free(&b);
		if (er != ODS_ECONFLICT)
			return failed(w, er, "alert");
		snprintf(msg, sizeof(msg), "the alert is %s: it cannot "
		    "become %s", state, to);
		return ods_resp_error_ex(w, er, ODS_C_CONFLICT,
		    "invalid_transition", msg);
	}
	out = ods_resp_envelope(w, ODS_HTTP_200, NULL);
	ods_jw_raw(out, b.data, b.len);
	ods_buf_free(&b);
	return ods_resp_send(w);
}

enum ods_status
h_quality_alerts_ack(struct ods_req *r, struct ods_resp *w)
{
	return transition(r, w, "acknowledged");
}

enum ods_status
h_quality_alerts_resolve(struct ods_req *r, struct ods_resp *w)
{
	return transition(r, w, "resolved");
}

void
h_quality_scrape(const struct ods_req_env *env, void *ctx)
{
	static int64_t	next;
	int64_t		now = ods_now_ms();

	(void)ctx;
	/* At most once a second per process: a scrape storm stays cheap. */
	if (now < __atomic_load_n(&next, __ATOMIC_RELAXED))
		return;
	__atomic_store_n(&next, now + 1000, __ATOMIC_RELAXED);
	if (ods_quality_gauge_load(env->db) != ODS_OK)
		ods_log(ODS_LOG_WARN, "quality_gauge_load_failed");
}
