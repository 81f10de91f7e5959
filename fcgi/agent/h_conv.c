/*
 * fcgi/agent/h_conv.c — /conversations and their messages (h_chat.h).
 * Reads look up with h_owner() (an admin reads any conversation), writes
 * with h_user(): another user's conversation is a 404 either way.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ods.h"
#include "../../svc/agent/conv.h"
#include "../common/h_auth.h"
#include "h_agent.h"
#include "h_chat.h"

#define PAGE_DEFAULT	20
#define MESSAGES_MAX	ODS_CONV_LIST_MAX	/* on GET of one */

/* The path's conversation seen as owner; sends the 404/5xx (NULL). */
static struct ods_conv *
conv_of(struct ods_req *r, struct ods_resp *w, const char *owner,
    enum ods_status *hs)
{
	struct ods_conv	*c = NULL;
	enum ods_err	 er;

	er = ods_conv_get(ods_req_db(r), ods_req_param(r, "id"), owner, &c);
	if (er == ODS_ENOTFOUND)
		*hs = ods_resp_error_ex(w, er, ODS_C_ENTITY_NOT_FOUND,
		    "not_found", "no such conversation");
	else if (er != ODS_OK)
		*hs = ods_resp_error(w, er, "could not read the conversation");
	return c;
}

static enum ods_err
spec_of(struct ods_req *r, struct ods_conv_spec *s, struct ods_why *why)
{
	struct json_object	*o = NULL;
	enum ods_err		 er;

	memset(s, 0, sizeof(*s));
	if ((er = ods_req_json(r, &o, why)) != ODS_OK)
		return er;
#define STR(f, dst, max)						\
	if ((er = ods_json_str(o, f, 0, max, &s->dst, why)) != ODS_OK &&	\
	    er != ODS_ENOTFOUND)						\
		return er;
	STR("title", title, ODS_CONV_TITLE_MAX)
	STR("model", model, ODS_CONV_MODEL_MAX)
	STR("system_prompt", system_prompt, ODS_CONV_SYSTEM_MAX)
	STR("knowledge_base_id", knowledge_base_id, 64)
#undef STR
	if (s->title != NULL && *s->title == '\0') {
		ods_why_set(why, "title", "title cannot be empty");
		return ODS_EINVAL;
	}
	return ODS_OK;
}

static enum ods_status
send_conv(struct ods_resp *w, enum ods_status st, const struct ods_conv *c)
{
	struct ods_jw	*jw = ods_resp_envelope(w, st, NULL);

	ods_jw_obj(jw);
	ods_conv_json_fields(jw, c);
	ods_jw_end(jw);
	return ods_resp_send(w);
}

enum ods_status
h_conv_list(struct ods_req *r, struct ods_resp *w)
{
	struct ods_conv	*v = NULL;
	struct ods_page	 pg;
	struct ods_jw	*jw;
	const char	*user = h_user(r), *q;
	enum ods_err	 er;
	int64_t		 total = 0;
	size_t		 n = 0, i;

	if (ods_req_page(r, PAGE_DEFAULT, &pg) != ODS_OK)
		return ods_resp_bad_page(w);
	/* user_id names another user's list for an admin only. */
	q = ods_req_query(r, "user_id");
	if (h_owner(r) == NULL && q != NULL && *q != '\0')
		user = q;
	er = ods_conv_list(ods_req_db(r), user, (size_t)pg.offset,
	    (size_t)pg.page_size, &v, &n, &total);
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not list the "
		    "conversations");
	jw = ods_resp_list_begin(w, "conversations");
	for (i = 0; i < n; i++) {
		ods_jw_obj(jw);
		ods_conv_json_fields(jw, &v[i]);
		ods_jw_end(jw);
	}
	ods_jw_end(jw);
	ods_resp_list_end(jw, &pg, total);
	ods_conv_list_free(v, n);
	return ods_resp_send(w);
}

enum ods_status
h_conv_create(struct ods_req *r, struct ods_resp *w)
{
	struct ods_conv_spec	 s;
	struct ods_conv		*c = NULL;
	struct ods_why		 why;
	enum ods_status		 hs;
	enum ods_err		 er;

	memset(&why, 0, sizeof(why));
	if ((er = spec_of(r, &s, &why)) != ODS_OK)
		return ods_resp_input_error(w, er, &why);
	if ((er = ods_conv_create(ods_req_db(r), &s, h_user(r), NULL, NULL,
	    &c)) !=
	    ODS_OK)
		return ods_resp_error(w, er, "could not create the "
		    "conversation");
	hs = send_conv(w, ODS_HTTP_201, c);
	ods_conv_free(c);
	return hs;
}

static void
messages_json(struct ods_jw *jw, const struct ods_msg *m, size_t n)
{
	size_t	i;

	ods_jw_key(jw, "messages");
	ods_jw_arr(jw);
	for (i = 0; i < n; i++)
		ods_msg_json(jw, &m[i]);
	ods_jw_end(jw);
}

enum ods_status
h_conv_get(struct ods_req *r, struct ods_resp *w)
{
	struct ods_conv	*c;
	struct ods_msg	*m = NULL;
	struct ods_jw	*jw;
	enum ods_status	 hs;
	enum ods_err	 er;
	int64_t		 total;
	size_t		 n = 0;

	if ((c = conv_of(r, w, h_owner(r), &hs)) == NULL)
		return hs;
	er = ods_msg_list(ods_req_db(r), c->conversation_id, 0, MESSAGES_MAX,
	    &m, &n, &total);
	if (er != ODS_OK) {
		hs = ods_resp_error(w, er, "could not read the messages");
		goto out;
	}
	jw = ods_resp_envelope(w, ODS_HTTP_200, NULL);
	ods_jw_obj(jw);
	ods_conv_json_fields(jw, c);
	messages_json(jw, m, n);
	ods_jw_end(jw);
	hs = ods_resp_send(w);
out:
	ods_msg_list_free(m, n);
	ods_conv_free(c);
	return hs;
}

enum ods_status
h_conv_update(struct ods_req *r, struct ods_resp *w)
{
	struct ods_conv_spec	 s;
	struct ods_conv		*c;
	struct ods_why		 why;
	enum ods_status		 hs;
	enum ods_err		 er;

	memset(&why, 0, sizeof(why));
	if ((er = spec_of(r, &s, &why)) != ODS_OK)
		return ods_resp_input_error(w, er, &why);
	if ((c = conv_of(r, w, h_user(r), &hs)) == NULL)
		return hs;
	if ((er = ods_conv_update(ods_req_db(r), c, &s)) != ODS_OK)
		hs = ods_resp_error(w, er, "could not update the "
		    "conversation");
	else
		hs = send_conv(w, ODS_HTTP_200, c);
	ods_conv_free(c);
	return hs;
}

enum ods_status
h_conv_delete(struct ods_req *r, struct ods_resp *w)
{
	struct ods_conv	*c;
	struct ods_jw	*jw;
	enum ods_status	 hs;
	enum ods_err	 er;

	if ((c = conv_of(r, w, h_user(r), &hs)) == NULL)
		return hs;
	if ((er = ods_conv_delete(ods_req_db(r), c)) != ODS_OK)
		hs = ods_resp_error(w, er, "could not delete the "
		    "conversation");
	else {
		jw = ods_resp_envelope(w, ODS_HTTP_200, NULL);
		ods_jw_obj(jw);
		ods_jw_kstr(jw, "conversation_id", c->conversation_id);
		ods_jw_kbool(jw, "deleted", 1);
		ods_jw_end(jw);
		hs = ods_resp_send(w);
	}
	ods_conv_free(c);
	return hs;
}

enum ods_status
h_conv_messages(struct ods_req *r, struct ods_resp *w)
{
	struct ods_conv	*c;
	struct ods_msg	*m = NULL;
	struct ods_page	 pg;
	struct ods_jw	*jw;
	enum ods_status	 hs;
	enum ods_err	 er;
	int64_t		 total = 0;
	size_t		 n = 0, i;

	if (ods_req_page(r, 100, &pg) != ODS_OK)
		return ods_resp_bad_page(w);
	if ((c = conv_of(r, w, h_owner(r), &hs)) == NULL)
		return hs;
	er = ods_msg_list(ods_req_db(r), c->conversation_id,
	    (size_t)pg.offset, (size_t)pg.page_size, &m, &n, &total);
	ods_conv_free(c);
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not read the messages");
	jw = ods_resp_list_begin(w, "messages");
	for (i = 0; i < n; i++)
		ods_msg_json(jw, &m[i]);
	ods_jw_end(jw);
	ods_resp_list_end(jw, &pg, total);
	ods_msg_list_free(m, n);
	return ods_resp_send(w);
}

static enum ods_err
msg_of(struct ods_req *r, struct ods_msg_spec *m, struct ods_why *why)
{
	struct json_object	*o = NULL, *u = NULL;
	enum ods_err		 er;

	memset(m, 0, sizeof(*m));
	m->latency_ms = -1;
	if ((er = ods_req_json(r, &o, why)) != ODS_OK)
		return er;
	if ((er = ods_json_str(o, "role", 1, 16, &m->role, why)) != ODS_OK ||
	    (er = ods_json_str(o, "content", 1, ODS_CONV_MSG_MAX, &m->content,
	    why)) != ODS_OK)
		return er;
#define OPT(e) if ((er = (e)) != ODS_OK && er != ODS_ENOTFOUND) return er
	OPT(ods_json_str(o, "model", 0, ODS_CONV_MODEL_MAX, &m->model, why));
	OPT(ods_json_obj(o, "usage", 0, &u, why));
	if (u != NULL) {
		OPT(ods_json_int(u, "prompt_tokens", 0, 0, INT32_MAX,
		    &m->prompt_tokens, why));
		OPT(ods_json_int(u, "completion_tokens", 0, 0, INT32_MAX,
		    &m->completion_tokens, why));
	}
#undef OPT
	if (!ods_msg_role_ok(m->role)) {
		ods_why_set(why, "role", "role is user, assistant, system or "
		    "tool");
		return ODS_EINVAL;
	}
	m->len = strlen(m->content);
	return ODS_OK;
}

enum ods_status
h_conv_add_message(struct ods_req *r, struct ods_resp *w)
{
	struct ods_msg_spec	 m;
	struct ods_conv		*c;
	struct ods_why		 why;
	struct ods_jw		*jw;
	char			 id[64];
	enum ods_status		 hs;
	enum ods_err		 er;

	memset(&why, 0, sizeof(why));
	if ((er = msg_of(r, &m, &why)) != ODS_OK)
		return ods_resp_input_error(w, er, &why);
	if ((c = conv_of(r, w, h_user(r), &hs)) == NULL)
		return hs;
	if ((er = ods_msg_add(ods_req_db(r), c, &m, id)) != ODS_OK)
		hs = ods_resp_error(w, er, "could not store the message");
	else {
		jw = ods_resp_envelope(w, ODS_HTTP_201, NULL);
		ods_jw_obj(jw);
		ods_jw_kstr(jw, "message_id", id);
		ods_jw_kstr(jw, "conversation_id", c->conversation_id);
		ods_jw_end(jw);
		hs = ods_resp_send(w);
	}
	ods_conv_free(c);
	return hs;
}

enum ods_status
h_conv_usage(struct ods_req *r, struct ods_resp *w)
{
	struct ods_conv_usage	 u;
	struct ods_conv		*c;
	struct ods_jw		*jw;
	enum ods_status		 hs;
	enum ods_err		 er;

	if ((c = conv_of(r, w, h_owner(r), &hs)) == NULL)
		return hs;
	if ((er = ods_conv_usage(ods_req_db(r), c->conversation_id, &u)) !=
	    ODS_OK)
		hs = ods_resp_error(w, er, "could not read the usage");
	else {
		jw = ods_resp_envelope(w, ODS_HTTP_200, NULL);
		ods_jw_obj(jw);
		ods_jw_kstr(jw, "conversation_id", c->conversation_id);
		ods_jw_kint(jw, "total_prompt_tokens", u.prompt_tokens);
		ods_jw_kint(jw, "total_completion_tokens",
		    u.completion_tokens);
		ods_jw_kint(jw, "total_tokens", u.prompt_tokens +
		    u.completion_tokens);
		ods_jw_kint(jw, "message_count", u.messages);
		ods_jw_end(jw);
		hs = ods_resp_send(w);
	}
	ods_conv_free(c);
	return hs;
}
