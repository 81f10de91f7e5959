/*
 * fcgi/proxy/h_health.c — GET /health: the proxy's report of its
 * backends (breakers, models) and of its usage rows.
 */
#include "config.h"

#include "h_proxy.h"

/* Always 200: the report says which backends answer (reference §5). */
enum ods_status
h_health_get(struct ods_req *r, struct ods_resp *w)
{
	const struct ods_req_env	*env = ods_req_env(r);
	struct ods_jw			*jw;

	jw = ods_resp_json(w, ODS_HTTP_200);
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "service", env->service);
	ods_jw_kstr(jw, "version", env->version);
	ods_jw_kstr(jw, "request_id", ods_req_id(r));
	ods_llm_health_json(h_llm(r), jw);
	ods_jw_kint(jw, "usage_rows_written",
	    (int64_t)ods_llm_usage_written(h_proxy(r)->usage));
	ods_jw_kint(jw, "usage_rows_dropped",
	    (int64_t)ods_llm_usage_dropped(h_proxy(r)->usage));
	ods_jw_end(jw);
	return ods_resp_send(w);
}

