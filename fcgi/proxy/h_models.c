/*
 * fcgi/proxy/h_models.c — GET /v1/models (the backends' lists, cached,
 * plus aliases and the built-in embedding model), GET /v1/models/{id}.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "h_proxy.h"

enum ods_status
h_models_list(struct ods_req *r, struct ods_resp *w)
{
	struct ods_jw	*jw;

	jw = ods_resp_json(w, ODS_HTTP_200);
	ods_llm_models_json(h_llm(r), jw);
	return ods_resp_send(w);
}

enum ods_status
h_models_get(struct ods_req *r, struct ods_resp *w)
{
	const char	*id = ods_req_param(r, "id");
	struct ods_jw	*jw;
	char		 msg[400];

	if (id == NULL || strlen(id) >= ODS_LLM_MODEL_MAX ||
	    !ods_llm_model_known(h_llm(r), id)) {
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
