/*
 * fcgi/agent/h_apps.h — /apps (h_apps.c): apps, their publication and
 * the API keys scoped to them (svc/agent/app.h).
 *
 * Permissions (the RBAC matrix of sql/0001_init.sql): reading is
 * agent:read; creating, changing, publishing, deleting an app and
 * managing its keys is agent:create, since apps are owner-scoped (a
 * user's own app is the only one it can see) and the matrix gives
 * agent:update and agent:delete to admin alone. GET /apps/{id}/info is
 * ODS_AUTH_APP: a JWT with agent:read, or a key of that app; the app's
 * chat routes (added beside it) follow it with agent:execute.
 */
#ifndef H_APPS_H
#define H_APPS_H

#include "net/ods_req.h"
#include "server/ods_router.h"

struct ods_app;

/* Body caps: an app (its system prompt is the largest field), a key. */
#define H_APP_BODY	(64 * 1024)
#define H_APP_KEY_BODY	4096
#define H_APP_CALL_BODY	(2 * 1024 * 1024)	/* OpenAI-shaped history */

#define H_APP_ROUTES \
	{ ODS_GET, "/apps", h_apps_list, ODS_AUTH_REQUIRED, "agent:read", \
	    H_APP_KEY_BODY }, \
	{ ODS_POST, "/apps", h_apps_create, ODS_AUTH_REQUIRED, \
	    "agent:create", H_APP_BODY }, \
	{ ODS_GET, "/apps/{id}", h_apps_get, ODS_AUTH_REQUIRED, \
	    "agent:read", H_APP_KEY_BODY }, \
	{ ODS_PUT, "/apps/{id}", h_apps_update, ODS_AUTH_REQUIRED, \
	    "agent:create", H_APP_BODY }, \
	{ ODS_DELETE, "/apps/{id}", h_apps_delete, ODS_AUTH_REQUIRED, \
	    "agent:create", H_APP_KEY_BODY }, \
	{ ODS_POST, "/apps/{id}/publish", h_apps_publish, ODS_AUTH_REQUIRED, \
	    "agent:create", H_APP_KEY_BODY }, \
	{ ODS_POST, "/apps/{id}/unpublish", h_apps_unpublish, \
	    ODS_AUTH_REQUIRED, "agent:create", H_APP_KEY_BODY }, \
	{ ODS_POST, "/apps/{id}/keys", h_apps_key_create, ODS_AUTH_REQUIRED, \
	    "agent:create", H_APP_KEY_BODY }, \
	{ ODS_GET, "/apps/{id}/keys", h_apps_key_list, ODS_AUTH_REQUIRED, \
	    "agent:create", H_APP_KEY_BODY }, \
	{ ODS_DELETE, "/apps/{id}/keys/{key_id}", h_apps_key_revoke, \
	    ODS_AUTH_REQUIRED, "agent:create", H_APP_KEY_BODY }, \
	{ ODS_GET, "/apps/{id}/info", h_apps_info, ODS_AUTH_APP, \
	    "agent:read", H_APP_KEY_BODY }, \
	{ ODS_POST, "/apps/{id}/chat", h_apps_chat, ODS_AUTH_APP, \
	    "agent:execute", 256 * 1024 }, \
	{ ODS_POST, "/apps/{id}/v1/chat/completions", h_apps_completions, \
	    ODS_AUTH_APP, "agent:execute", H_APP_CALL_BODY }

/*
 * The app of an ODS_AUTH_APP route's {id}, for the handler to use (free
 * with ods_app_free). A key of the app (ods_auth_check has proved it is
 * this app's) gets it whoever owns it, but only while it is published
 * (403 "app_not_published" otherwise); a JWT caller gets its own app
 * (admin: any), draft or not, so owners can try a draft. Each success is
 * one access (access_count, last_accessed). Sends the 403/404/5xx itself
 * and returns NULL.
 */
struct ods_app	*h_app_callable(struct ods_req *, struct ods_resp *,
		    enum ods_status *);

/*
 * h_app_chat.c. {message, conversation_id?, inputs?, user?, stream?,
 * temperature?, max_tokens?}: /chat's answer (web shape, SSE when
 * stream) with the app's model, template (filled from inputs), knowledge
 * bases and settings, in the app's conversations of that caller ("user",
 * else the key, else the signed-in user).
 */
enum ods_status	h_apps_chat(struct ods_req *, struct ods_resp *);
/*
 * The same in OpenAI's shape: {messages, model (ignored: the app's
 * answers), stream?, temperature?, max_tokens?, user?, inputs?} gets a
 * chat.completion or chat.completion.chunk frames; no conversation kept.
 */
enum ods_status	h_apps_completions(struct ods_req *, struct ods_resp *);

/* ?page&page_size&type&status: data:{apps, total, page, page_size}. */
enum ods_status	h_apps_list(struct ods_req *, struct ods_resp *);
/*
 * {name, description?, type?, icon?, tags?, model?, prompt_template_id?,
 * knowledge_base_ids? (<= 8, each the caller's), settings? {temperature,
 * max_tokens, system_prompt, rate_limit_rpm, rate_limit_tpm},
 * workflow_id?, version?}: 201 App.
 */
enum ods_status	h_apps_create(struct ods_req *, struct ods_resp *);
/* The App with config and statistics. */
enum ods_status	h_apps_get(struct ods_req *, struct ods_resp *);
/* The fields of a create, each optional: 200 App. */
enum ods_status	h_apps_update(struct ods_req *, struct ods_resp *);
/* Soft delete; the app's keys are revoked: 200 {app_id, deleted}. */
enum ods_status	h_apps_delete(struct ods_req *, struct ods_resp *);
enum ods_status	h_apps_publish(struct ods_req *, struct ods_resp *);
enum ods_status	h_apps_unpublish(struct ods_req *, struct ods_resp *);
/*
 * {name, expires_at? (epoch s), expires_in_days?, rpm?, tpm?}: 201
 * {api_key, key}; the secret is shown this once. rpm/tpm default to the
 * app's settings.rate_limit_rpm/tpm.
 */
enum ods_status	h_apps_key_create(struct ods_req *, struct ods_resp *);
/* data:{keys:[...], total}; never a secret. */
enum ods_status	h_apps_key_list(struct ods_req *, struct ods_resp *);
/* 200 {key_id, revoked:true}; another app's key is a 404. */
enum ods_status	h_apps_key_revoke(struct ods_req *, struct ods_resp *);
/* ODS_AUTH_APP: {app_id, name, description, type, model, status}. */
enum ods_status	h_apps_info(struct ods_req *, struct ods_resp *);

#endif /* H_APPS_H */
