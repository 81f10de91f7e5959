/*
 * fcgi/agent/h_chat.h — conversations (h_conv.c) and chat (h_chat.c) of
 * the Agent API (issue 15), and the one model call both /chat and the
 * apps' chat endpoints run (h_chat_call).
 *
 * Permissions (sql/0001_init.sql): reads are chat:read; creating,
 * renaming, deleting one's own conversations and adding messages are
 * chat:create (the user role holds no chat:update or chat:delete, and a
 * user must be able to tidy their own conversations); /chat is
 * chat:execute. A conversation is its creator's: anyone else gets 404;
 * an admin may read any (GET), never write to it.
 */
#ifndef H_CHAT_H
#define H_CHAT_H

#include "net/ods_req.h"
#include "server/ods_router.h"

struct ods_llm_usage;

enum h_chat_shape { H_CHAT_WEB, H_CHAT_OPENAI };

#define H_CHAT_KB_MAX	8	/* knowledge bases one call is grounded in */

struct h_chat_call {
	enum h_chat_shape shape;
	const char	*model;		/* required */
	const char	*messages_json;	/* the whole prompt, JSON array */
	double		 temperature;	/* < 0: not sent */
	int		 max_tokens;	/* 0: not sent */
	int		 stream;
	const char	*kb_id;		/* ground in this KB (the caller's) */
	/*
	 * Or, kb_id NULL, in these (an app's, checked when it was saved:
	 * read whoever owns them; one deleted since is left out).
	 */
	const char *const *kb_ids;
	size_t		 nkbs;		/* <= H_CHAT_KB_MAX */
	const char	*query;		/* retrieval query (last user msg) */
	const char	*app_id;	/* api_usage.app_id, or NULL */
	const char	*end_user;	/* api_usage.end_user, or NULL */
	const char	*conversation_id; /* web shape: echoed; or NULL */
	/*
	 * The answer to keep (may be NULL): content, status "complete" |
	 * "partial" | "error", usage, sources JSON or NULL; writes the
	 * stored message id into message_id[64].
	 */
	enum ods_err	(*store)(void *arg, const char *content, size_t len,
			    const char *status, const struct ods_llm_usage *u,
			    const char *sources_json, char message_id[64]);
	void		*store_arg;
	/*
	 * Called once before anything of the answer reaches the client (its
	 * first frame, the whole answer, an error after the model was asked)
	 * and at the latest when the call ends (may be NULL): what must be
	 * durable by then, such as the user's message stored while the model
	 * starts. An error is answered instead (503...), the model's call
	 * abandoned and nothing stored.
	 */
	enum ods_err	(*ready)(void *arg);
	void		*ready_arg;
};

/*
 * Run a prepared call and answer it. H_CHAT_WEB: the envelope {reply,
 * content, model, conversation_id, message_id, usage, sources?}, or SSE
 * frames {"content": .., <chunk fields>}, a final {message_id, usage,
 * conversation_id, sources?} and [DONE]. H_CHAT_OPENAI: a
 * chat.completion object, or chat.completion.chunk frames, a usage chunk
 * with empty choices and [DONE]; errors in OpenAI's shape. Either way:
 * limits reserved before and settled after (429), the KB's passages put
 * before the messages, a client gone mid-stream ends the upstream call
 * and the partial answer is stored, ai_* and business metrics and an
 * api_usage row.
 */
enum ods_status	 h_chat_call(struct ods_req *, struct ods_resp *,
		    const struct h_chat_call *);

/* What an app puts around a chat in a conversation (h_app_chat.c). */
struct h_chat_app {
	const char	*app_id;
	const char	*owner;		/* of the app's conversations */
	const char	*end_user;	/* api_usage.end_user, or NULL */
	const char	*model;		/* NULL: DEFAULT_CHAT_MODEL */
	const char	*system_prompt;	/* NULL: none */
	double		 temperature;	/* < 0: the request's */
	int		 max_tokens;	/* 0: the request's (else at most) */
	const char *const *kb_ids;
	size_t		 nkbs;
};

/*
 * The work of POST /chat (body {message, conversation_id?, ...}) with an
 * app's settings in place of the request's model, system prompt and
 * knowledge bases (app NULL: /chat itself). An app's conversations are
 * owned by app->owner and carry its app_id: another app's, or one of
 * /chat, is a 404 there (and an app's is a 404 on /chat).
 */
enum ods_status	 h_chat_conv(struct ods_req *, struct ods_resp *,
		    const struct h_chat_app *);

#define H_CHAT_ROUTES \
	{ ODS_GET, "/conversations", h_conv_list, ODS_AUTH_REQUIRED, \
	    "chat:read" }, \
	{ ODS_POST, "/conversations", h_conv_create, ODS_AUTH_REQUIRED, \
	    "chat:create", 64 * 1024 }, \
	{ ODS_GET, "/conversations/{id}", h_conv_get, ODS_AUTH_REQUIRED, \
	    "chat:read" }, \
	{ ODS_PUT, "/conversations/{id}", h_conv_update, ODS_AUTH_REQUIRED, \
	    "chat:create", 64 * 1024 }, \
	{ ODS_DELETE, "/conversations/{id}", h_conv_delete, \
	    ODS_AUTH_REQUIRED, "chat:create" }, \
	{ ODS_GET, "/conversations/{id}/messages", h_conv_messages, \
	    ODS_AUTH_REQUIRED, "chat:read" }, \
	{ ODS_POST, "/conversations/{id}/messages", h_conv_add_message, \
	    ODS_AUTH_REQUIRED, "chat:create", 2 * 1024 * 1024 }, \
	{ ODS_GET, "/conversations/{id}/usage", h_conv_usage, \
	    ODS_AUTH_REQUIRED, "chat:read" }, \
	{ ODS_POST, "/chat", h_chat, ODS_AUTH_REQUIRED, "chat:execute", \
	    256 * 1024 }

/* ?page&page_size|limit (&user_id for admins): newest updated first. */
enum ods_status	h_conv_list(struct ods_req *, struct ods_resp *);
/* {title?, model?, system_prompt?, knowledge_base_id?}: 201. */
enum ods_status	h_conv_create(struct ods_req *, struct ods_resp *);
/* The Conversation with messages[]. */
enum ods_status	h_conv_get(struct ods_req *, struct ods_resp *);
/* {title?, model?, system_prompt?, knowledge_base_id?}. */
enum ods_status	h_conv_update(struct ods_req *, struct ods_resp *);
enum ods_status	h_conv_delete(struct ods_req *, struct ods_resp *);
enum ods_status	h_conv_messages(struct ods_req *, struct ods_resp *);
/* {role, content, model?, usage?{prompt_tokens, completion_tokens}}. */
enum ods_status	h_conv_add_message(struct ods_req *, struct ods_resp *);
enum ods_status	h_conv_usage(struct ods_req *, struct ods_resp *);
/*
 * {message, conversation_id?, model?, temperature?, max_tokens?,
 * system_prompt?, knowledge_base_id?, stream?}.
 */
enum ods_status	h_chat(struct ods_req *, struct ods_resp *);

#endif /* H_CHAT_H */
