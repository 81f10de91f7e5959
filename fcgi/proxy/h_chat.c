/* fcgi/proxy/h_chat.c — POST /v1/chat/completions. */
#include "config.h"

#include "h_proxy.h"

enum ods_status
h_chat_create(struct ods_req *r, struct ods_resp *w)
{
	return h_forward(r, w, ODS_LLM_CHAT, "/v1/chat/completions");
}
