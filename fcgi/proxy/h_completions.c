/* fcgi/proxy/h_completions.c — POST /v1/completions (the legacy API). */
#include "config.h"

#include "h_proxy.h"

enum ods_status
h_completions_create(struct ods_req *r, struct ods_resp *w)
{
	return h_forward(r, w, ODS_LLM_COMPLETIONS, "/v1/completions");
}
