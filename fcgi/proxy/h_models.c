/*
 * fcgi/proxy/h_models.c — GET /v1/models (the backends' lists, cached,
 * plus aliases and the built-in embedding model), GET /v1/models/{id},
 * GET /health (the backend report) and GET /api/v1/usage (admin).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "h_proxy.h"

enum ods_status
h_models(struct ods_req *r, struct ods_resp *w)
{
	struct ods_jw	*jw;

	jw = ods_resp_json(w, ODS_HTTP_200);
	ods_llm_models_json(ods_llm_process(ods_req_conf(r)), jw);
	return ods_resp_send(w);
}

enum ods_status
h_model_get(struct ods_req *r, struct ods_resp *w)
{
	const char	*id = ods_req_param(r, "id");
	struct ods_jw	*jw;
	char		 msg[400];

	if (id == NULL || strlen(id) >= ODS_LLM_MODEL_MAX ||
	    !ods_llm_model_known(ods_llm_process(ods_req_conf(r)), id)) {
		snprintf(msg, sizeof(msg), "The model '%.256s' does not exist",
		    id != NULL ? id : "");
		return ods_resp_openai_error(w, 404, "invalid_request_error",
		    "model_not_found", "model", msg);
	}
	jw = ods_resp_json(w, ODS_HTTP_200);
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "id", id);
	ods_jw_kstr(jw, "object", "model");
	ods_jw_kint(jw, "created", 0);
	ods_jw_kstr(jw, "owned_by", "one-data-studio");
	ods_jw_end(jw);
	return ods_resp_send(w);
}

/* Always 200: the report says which backends answer (reference §5). */
enum ods_status
h_health(struct ods_req *r, struct ods_resp *w)
{
	const struct ods_req_env	*env = ods_req_env(r);
	struct ods_jw			*jw;

	jw = ods_resp_json(w, ODS_HTTP_200);
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "service", env->service);
	ods_jw_kstr(jw, "version", env->version);
	ods_jw_kstr(jw, "request_id", ods_req_id(r));
	ods_llm_health_json(ods_llm_process(ods_req_conf(r)), jw);
	ods_jw_kint(jw, "usage_rows_written",
	    (int64_t)ods_llm_usage_written());
	ods_jw_kint(jw, "usage_rows_dropped",
	    (int64_t)ods_llm_usage_dropped());
	ods_jw_end(jw);
	return ods_resp_send(w);
}

enum ods_status
h_usage(struct ods_req *r, struct ods_resp *w)
{
	struct ods_jw	*jw;
	struct ods_buf	 b;
	enum ods_err	 er;

	if (ods_req_db(r) == NULL)
		return ods_resp_error(w, ODS_EUNAVAIL, "no database");
	/* Built aside: a database error must not leave half an envelope. */
	ods_buf_init(&b, 16u << 20);
	jw = ods_req_alloc(r, sizeof(*jw));
	if (jw == NULL)
		return ods_resp_error(w, ODS_ENOMEM, NULL);
	ods_jw_init(jw, &b);
	er = ods_llm_usage_report(ods_req_db(r), ods_req_query(r, "key_id"),
	    ods_req_query(r, "from"), ods_req_query(r, "to"), jw);
	if (er == ODS_OK && (er = ods_jw_error(jw)) == ODS_OK) {
		jw = ods_resp_envelope(w, ODS_HTTP_200, NULL);
		ods_jw_raw(jw, b.data, b.len);
	}
	ods_buf_free(&b);
	if (er == ODS_EINVAL)
		return ods_resp_error(w, er, "from and to must be YYYY-MM-DD");
	if (er != ODS_OK)
		return ods_resp_error(w, er, NULL);
	return ods_resp_send(w);
}
