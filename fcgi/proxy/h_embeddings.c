/*
 * fcgi/proxy/h_embeddings.c — POST /v1/embeddings: forwarded to an
 * embedding backend, or computed here by the built-in ods-hash-embed
 * model (no embedding server configured, or that model asked for by
 * name), with encoding_format float or base64 (what the official SDKs ask
 * for by default).
 */
#include "config.h"

#include <string.h>

#include "h_proxy.h"

static enum ods_status
local(struct ods_resp *w, struct json_object *o, const char *model,
    struct h_call *c)
{
	struct ods_jw	*jw;
	struct ods_why		 why;
	enum ods_err	 er;

	jw = ods_resp_json(w, ODS_HTTP_200);
	er = ods_llm_embed_answer(o, model, jw, &c->prompt_tokens, &why);
	c->backend = "builtin";
	if (er == ODS_OK)
		c->status = (int)ods_resp_send(w);
	else if (er == ODS_EINVAL || er == ODS_ETOOBIG)
		c->status = (int)ods_resp_openai_error(w, 400,
		    "invalid_request_error", "invalid_request", "input", why.msg);
	else
		c->status = (int)h_openai_llm_error(w, er, model);
	return (enum ods_status)c->status;
}

enum ods_status
h_embeddings_create(struct ods_req *r, struct ods_resp *w)
{
	struct ods_llm		*llm = h_llm(r);
	struct json_object	*o = NULL;
	struct ods_llm_prep	 p;
	struct ods_llm_result	 res;
	struct ods_llm_usage	 cost;
	struct ods_llm_hold	 hold;
	struct h_call		 c;
	enum ods_status		 st;
	enum ods_err		 er;
	int			 ok;

	st = h_begin(r, w, ODS_LLM_EMBEDDINGS, &o, &p, &hold, &ok);
	if (!ok)
		return st;
	memset(&c, 0, sizeof(c));
	c.endpoint = "/v1/embeddings";
	c.model = p.model;
	c.hold = &hold;
	if (ods_llm_embed_local(llm, p.upstream_model)) {
		st = local(w, o, p.model, &c);
		c.outcome = c.status == 200 ? "success" : "error";
	} else {
		er = ods_llm_forward(llm, &p, NULL, &res);
		ods_llm_billed(&p, er, &res, &cost);
		c.backend = res.backend;
		c.prompt_tokens = cost.prompt_tokens;
		c.seconds = res.total_s;
		c.status = er == ODS_OK ? res.status : ods_err_http(er);
		c.outcome = c.status < 400 ? "success" : er == ODS_ETIMEOUT ?
		    "timeout" : "error";
		st = er == ODS_OK ? ods_resp_raw(w, (enum ods_status)res.status,
		    *res.ctype != '\0' ? res.ctype : "application/json",
		    res.body.data != NULL ? res.body.data : "", res.body.len) :
		    h_openai_forward_error(w, er, &res, p.model);
		ods_llm_result_fini(&res);
	}
	h_account(r, &c);
	ods_llm_prep_fini(&p);
	return st;
}
