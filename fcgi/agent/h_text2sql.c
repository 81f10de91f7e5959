/*
 * fcgi/agent/h_text2sql.c — POST /text2sql and /sql/generate (h_tools.h)
 * over svc/agent/text2sql.h, the caller's sources and limits.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ods.h"
#include "../../svc/agent/agent.h"
#include "../../svc/agent/text2sql.h"
#include "../../svc/agent/tool.h"
#include "h_agent.h"
#include "h_tools.h"

#define OPT(e)	do { if ((er = (e)) != ODS_OK && er != ODS_ENOTFOUND) \
	return er; } while (0)

struct t2s_call {
	struct ods_t2s_spec	 spec;
	const char		*names[ODS_T2S_SELECTED_MAX];
};

static enum ods_err
selected_of(struct json_object *o, struct t2s_call *c, struct ods_why *why)
{
	size_t		n;
	enum ods_err	er;

	er = ods_json_strs(o, "selected_tables", ODS_T2S_SELECTED_MAX, 128,
	    c->names, &n, why);
	if (er == ODS_OK && n > 0) {
		c->spec.tables = c->names;
		c->spec.ntables = n;
	}
	return er == ODS_ENOTFOUND ? ODS_OK : er;
}

static enum ods_err
spec_of(struct ods_req *r, struct t2s_call *c, struct ods_why *why)
{
	struct json_object	*o = NULL;
	const char		*key = "natural_language";
	int64_t			 limit = 100;
	enum ods_err		 er;

	if ((er = ods_req_json(r, &o, why)) != ODS_OK)
		return er;
	if (ods_json_get(o, key) == NULL && ods_json_get(o, "question"))
		key = "question";
	if ((er = ods_json_str(o, key, 1, ODS_T2S_QUESTION_MAX,
	    &c->spec.question, why)) != ODS_OK)
		return er;
	OPT(ods_json_str(o, "source_id", 0, 64, &c->spec.source_id, why));
	OPT(ods_json_str(o, "database", 0, 128, &c->spec.database, why));
	c->spec.model = ods_req_conf(r)->default_chat_model;
	OPT(ods_json_str(o, "model", 0, 256, &c->spec.model, why));
	OPT(ods_json_bool(o, "execute", 0, &c->spec.execute, why));
	OPT(ods_json_int(o, "limit", 0, 1, 10000, &limit, why));
	c->spec.limit = limit;
	if (c->spec.source_id == NULL && c->spec.database == NULL) {
		ods_why_set(why, "source_id", "field 'source_id' (or "
		    "'database') is required");
		return ODS_EINVAL;
	}
	if (c->spec.model == NULL || *c->spec.model == '\0' ||
	    !ods_llm_model_known(h_agent(r)->llm, c->spec.model)) {
		ods_why_set(why, "model", "no backend serves that model (or "
		    "DEFAULT_CHAT_MODEL)");
		return ODS_EINVAL;
	}
	return selected_of(o, c, why);
}

static void
result_json(struct ods_jw *jw, const struct ods_t2s_result *res,
    const struct ods_t2s_spec *spec, struct ods_req *r)
{
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "sql", res->sql);
	ods_jw_knum(jw, "confidence", res->confidence);
	ods_jw_kbool(jw, "validated", res->validated);
	if (!res->validated)
		ods_jw_kstr(jw, "validation_error", res->validation_error);
	ods_jw_key(jw, "tables_used");
	ods_jw_raw(jw, res->tables.data, res->tables.len);
	ods_jw_kstr(jw, "source_id", res->source_id);
	ods_jw_kstr(jw, "database", res->database);
	ods_jw_kstr(jw, "dialect", res->dialect);
	ods_jw_kstr(jw, "model", spec->model);
	ods_jw_kstr(jw, "user", ods_req_principal(r) != NULL ?
	    ods_req_principal(r)->username : NULL);
	if (res->rows.len > 0) {
		ods_jw_key(jw, "result");
		ods_jw_raw(jw, res->rows.data, res->rows.len);
	}
	ods_jw_end(jw);
}

enum ods_status
h_text2sql(struct ods_req *r, struct ods_resp *w)
{
	struct t2s_call		 c;
	struct ods_agent_io	 io;
	struct h_tool_src	 src;
	struct ods_t2s_result	 res;
	struct ods_tool_ctx	 tc;
	struct ods_why		 why;
	enum ods_status		 hs;
	enum ods_err		 er;
	char			 ra[16];

	memset(&c, 0, sizeof(c));
	memset(&why, 0, sizeof(why));
	if ((er = spec_of(r, &c, &why)) != ODS_OK)
		return ods_resp_input_error(w, er, &why);
	h_tool_ctx(r, &tc);
	src.endpoint = "/text2sql";
	h_tool_io(r, &src, &io);
	er = ods_t2s_run(&tc, &io, &c.spec, &res, &why);
	if (er == ODS_ELIMIT && res.retry_after > 0) {
		snprintf(ra, sizeof(ra), "%d", res.retry_after);
		(void)ods_resp_header(w, "Retry-After", ra);
	}
	if (er == ODS_ELIMIT)
		hs = ods_resp_error_ex(w, er, ODS_C_RATE_LIMITED,
		    "rate_limit_exceeded", why.msg);
	else if (er == ODS_EINVAL && strcmp(why.field, "sql") == 0)
		hs = ods_resp_error_ex(w, er, ODS_C_SQL_REJECTED,
		    "sql_rejected", why.msg);
	else if (er != ODS_OK)
		hs = h_tool_fail(w, er, &why);
	else {
		result_json(ods_resp_envelope(w, ODS_HTTP_200, NULL), &res,
		    &c.spec, r);
		hs = ods_resp_send(w);
	}
	ods_t2s_result_fini(&res);
	return hs;
}
