/*
 * fcgi/agent/h_app_chat.c — a published app answering (issue 15): POST
 * /apps/{id}/chat in the web's shape, in conversations of the app, and
 * POST /apps/{id}/v1/chat/completions in OpenAI's, where the caller sends
 * the history itself (so OpenAI's SDKs can call an app). Both run
 * h_chat_call with the app's model, its prompt template rendered with the
 * caller's inputs (else its system prompt), its knowledge bases and its
 * settings; the caller chooses none of these.
 *
 * The caller is a key of the app (ods_auth_check proved it: only while
 * the app is published) or a signed-in user with agent:execute calling
 * their own app, draft or not (h_app_callable).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ods.h"
#include "../../svc/agent/app.h"
#include "../../svc/agent/prompt.h"
#include "../common/h_auth.h"
#include "h_agent.h"
#include "h_apps.h"
#include "h_chat.h"

#define USER_MAX	128		/* bytes of a caller's "user" */
#define MESSAGES_MAX	256		/* of an OpenAI-shaped request */
#define PROMPT_MAX	(256u * 1024)	/* bytes of a rendered template */
#define CALL_BODY	H_APP_CALL_BODY

/* What both routes hold while they answer. */
struct app_call {
	struct ods_app		*app;
	struct ods_prompt_text	 sys;	/* the rendered template */
	const char		*system;
	const char		*end_user;
	char			*owner;	/* of the app's conversations */
	int			 openai;
};

static enum ods_status
bad(struct ods_resp *w, int openai, const char *field, const char *msg)
{
	if (openai)
		return ods_resp_openai_error(w, 400, "invalid_request_error",
		    "invalid_request", field, msg);
	return ods_resp_error_ex(w, ODS_EINVAL, ODS_C_INVALID_FIELD,
	    "invalid_field", msg);
}

/*
 * Who the call is for (api_usage.end_user): the body's "user" (OpenAI's
 * field for the app's own end user), else the key, else the signed-in
 * user. The app's conversations are kept per such caller.
 */
static enum ods_status
caller(struct ods_req *r, struct ods_resp *w, struct app_call *ac)
{
	const struct ods_principal	*p = ods_req_principal(r);
	struct json_object		*o;
	struct ods_why			 why;
	const char			*u = NULL;
	enum ods_err			 er;

	memset(&why, 0, sizeof(why));
	if ((er = ods_req_json(r, &o, &why)) != ODS_OK)
		return ac->openai ? bad(w, 1, NULL, why.msg) :
		    ods_resp_input_error(w, er, &why);
	if ((er = ods_json_str(o, "user", 0, USER_MAX, &u, &why)) != ODS_OK &&
	    er != ODS_ENOTFOUND)
		return bad(w, ac->openai, "user", why.msg);
	if (u == NULL || *u == '\0')
		u = p != NULL && p->key_id != NULL ? p->key_id : h_user(r);
	ac->end_user = u;
	if (asprintf(&ac->owner, "app:%s:%s", ac->app->app_id, u) < 0) {
		ac->owner = NULL;
		return ods_resp_error(w, ODS_ENOMEM, NULL);
	}
	return 0;
}

/*
 * The system prompt: the app's template filled with the body's "inputs"
 * (400 naming what is missing or of the wrong type), else its settings'
 * system prompt, else none.
 */
static enum ods_status
system_prompt(struct ods_req *r, struct ods_resp *w, struct app_call *ac)
{
	struct json_object	*o, *inputs = NULL;
	struct ods_why		 why;
	enum ods_err		 er;

	ac->system = ac->app->settings.system_prompt;
	if (ac->app->prompt_template_id == NULL ||
	    *ac->app->prompt_template_id == '\0')
		return 0;
	memset(&why, 0, sizeof(why));
	if (ods_req_json(r, &o, &why) != ODS_OK ||
	    ((er = ods_json_obj(o, "inputs", 0, &inputs, &why)) != ODS_OK &&
	    er != ODS_ENOTFOUND))
		return bad(w, ac->openai, "inputs", "inputs must be an object "
		    "of the template's variables");
	/* Checked when the app was saved: rendered whoever owns it. */
	er = ods_prompt_render(ods_req_db(r), ac->app->prompt_template_id,
	    NULL, 0, inputs, &ac->sys, &why);
	if (er == ODS_EINVAL)
		return bad(w, ac->openai, "inputs", why.msg);
	if (er == ODS_ETOOBIG)
		return ac->openai ? ods_resp_openai_error(w, 413,
		    "invalid_request_error", "request_too_large", "inputs",
		    why.msg) : ods_resp_error(w, er, why.msg);
	if (er == ODS_ENOTFOUND)
		return ods_resp_error_ex(w, ODS_ECONFLICT, ODS_C_CONFLICT,
		    "conflict", "the app's prompt template no longer exists; "
		    "its owner must choose another");
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not render the app's "
		    "prompt template");
	if (ac->sys.len > PROMPT_MAX)
		return bad(w, ac->openai, "inputs", "the rendered prompt is "
		    "too long");
	ac->system = ac->sys.content;
	return 0;
}

/* The app of the path, its caller and its system prompt; 0 when ready. */
static enum ods_status
app_begin(struct ods_req *r, struct ods_resp *w, struct app_call *ac,
    int openai)
{
	enum ods_status	hs;

	memset(ac, 0, sizeof(*ac));
	ac->openai = openai;
	if ((ac->app = h_app_callable(r, w, &hs)) == NULL)
		return hs;
	if ((hs = caller(r, w, ac)) != 0)
		return hs;
	return system_prompt(r, w, ac);
}

static void
app_end(struct app_call *ac)
{
	ods_prompt_text_fini(&ac->sys);
	ods_app_free(ac->app);
	free(ac->owner);
}

enum ods_status
h_apps_chat(struct ods_req *r, struct ods_resp *w)
{
	struct app_call		ac;
	struct h_chat_app	ha;
	enum ods_status		hs;

	if ((hs = app_begin(r, w, &ac, 0)) == 0) {
		memset(&ha, 0, sizeof(ha));
		ha.app_id = ac.app->app_id;
		ha.owner = ac.owner;
		ha.end_user = ac.end_user;
		ha.model = ac.app->model;
		ha.system_prompt = ac.system;
		ha.temperature = ac.app->settings.temperature;
		ha.max_tokens = (int)ac.app->settings.max_tokens;
		ha.kb_ids = (const char *const *)ac.app->kb_ids;
		ha.nkbs = ac.app->nkbs;
		hs = h_chat_conv(r, w, &ha);
	}
	app_end(&ac);
	return hs;
}

/* ---- OpenAI's shape ---- */

/*
 * The prompt: the app's system message, then the caller's messages
 * ({role, content} with a string content; other members dropped). *query:
 * the last user message, what the knowledge bases are searched for.
 */
static enum ods_status
messages(struct ods_resp *w, struct json_object *o, const char *system,
    struct ods_buf *b, const char **query)
{
	struct json_object	*arr = NULL, *m;
	struct ods_why		 why;
	struct ods_jw		 jw;
	const char		*role, *content;
	size_t			 i, n;

	memset(&why, 0, sizeof(why));
	if (ods_json_arr(o, "messages", 1, &arr, &why) != ODS_OK)
		return bad(w, 1, "messages", why.msg);
	if ((n = ods_json_arr_len(arr)) == 0 || n > MESSAGES_MAX)
		return bad(w, 1, "messages", "messages holds 1 to 256 "
		    "messages");
	ods_jw_init(&jw, b);
	ods_jw_arr(&jw);
	if (system != NULL && *system != '\0') {
		ods_jw_obj(&jw);
		ods_jw_kstr(&jw, "role", "system");
		ods_jw_kstr(&jw, "content", system);
		ods_jw_end(&jw);
	}
	*query = NULL;
	for (i = 0; i < n; i++) {
		m = ods_json_arr_get(arr, i);
		role = ods_json_get_str(m, "role");
		content = ods_json_get_str(m, "content");
		if (role == NULL || !(strcmp(role, "system") == 0 ||
		    strcmp(role, "user") == 0 || strcmp(role, "assistant") ==
		    0) || content == NULL)
			return bad(w, 1, "messages", "each message needs a role "
			    "(system, user or assistant) and a string content");
		if (strcmp(role, "user") == 0)
			*query = content;
		ods_jw_obj(&jw);
		ods_jw_kstr(&jw, "role", role);
		ods_jw_kstr(&jw, "content", content);
		ods_jw_end(&jw);
	}
	ods_jw_end(&jw);
	if (ods_jw_error(&jw) != ODS_OK || ods_buf_add(b, "", 1) != ODS_OK)
		return ods_resp_openai_error(w, 413, "invalid_request_error",
		    "request_too_large", "messages", "The messages are too "
		    "long.");
	return 0;
}

/* OpenAI's optional numbers; the app's settings where it has them. */
static enum ods_status
numbers(struct ods_resp *w, struct json_object *o, const struct ods_app *a,
    struct h_chat_call *c)
{
	struct ods_why	why;
	double		t = -1;
	int64_t		mt = 0;
	int		stream = 0;
	enum ods_err	er;

	memset(&why, 0, sizeof(why));
#define OPT(e, f) if ((er = (e)) != ODS_OK && er != ODS_ENOTFOUND) \
		return bad(w, 1, f, why.msg)
	OPT(ods_json_num(o, "temperature", 0, 0, 2, &t, &why), "temperature");
	OPT(ods_json_int(o, "max_tokens", 0, 1, ODS_APP_MAX_TOKENS, &mt, &why),
	    "max_tokens");
	if (mt == 0)
		OPT(ods_json_int(o, "max_completion_tokens", 0, 1,
		    ODS_APP_MAX_TOKENS, &mt, &why), "max_completion_tokens");
	OPT(ods_json_bool(o, "stream", 0, &stream, &why), "stream");
#undef OPT
	c->temperature = a->settings.temperature >= 0 ?
	    a->settings.temperature : t;
	if (a->settings.max_tokens > 0 && (mt == 0 ||
	    mt > a->settings.max_tokens))
		mt = a->settings.max_tokens;
	c->max_tokens = (int)mt;
	c->stream = stream;
	return 0;
}

enum ods_status
h_apps_completions(struct ods_req *r, struct ods_resp *w)
{
	struct app_call		 ac;
	struct h_chat_call	 c;
	struct json_object	*o;
	struct ods_why		 why;
	struct ods_buf		 b;
	enum ods_status		 hs;

	ods_buf_init(&b, CALL_BODY + PROMPT_MAX + 4096);
	if ((hs = app_begin(r, w, &ac, 1)) != 0)
		goto out;
	memset(&c, 0, sizeof(c));
	memset(&why, 0, sizeof(why));
	if (ods_req_json(r, &o, &why) != ODS_OK) {	/* read by app_begin */
		hs = bad(w, 1, NULL, why.msg);
		goto out;
	}
	if ((hs = messages(w, o, ac.system, &b, &c.query)) != 0 ||
	    (hs = numbers(w, o, ac.app, &c)) != 0)
		goto out;
	/* The app's model answers whatever the SDK names (it must name one). */
	c.shape = H_CHAT_OPENAI;
	c.model = ac.app->model != NULL ? ac.app->model :
	    ods_req_conf(r)->default_chat_model;
	c.messages_json = b.data;
	c.kb_ids = (const char *const *)ac.app->kb_ids;
	c.nkbs = ac.app->nkbs;
	c.app_id = ac.app->app_id;
	c.end_user = ac.end_user;
	hs = h_chat_call(r, w, &c);
out:
	ods_buf_free(&b);
	app_end(&ac);
	return hs;
}
