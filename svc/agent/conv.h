/*
 * svc/agent/conv.h — conversations and their messages (reference-api
 * §4.3 Conversation, Message; issue 15).
 *
 * A conversation ("conv-<12 hex>") belongs to its creator: every lookup
 * takes an owner, and another user's conversation is ODS_ENOTFOUND
 * (owner NULL: an admin's read, which sees all). Its title is the first
 * message, trimmed, until it is renamed (title_custom). Adding a message
 * keeps message_count, total_tokens and updated_at right in the same
 * statement that counts it.
 *
 * A message ("msg-<12 hex>") has a role, its content, the tokens it cost
 * and a status: "complete", "partial" (the client left or the model broke
 * during the answer: content is what was produced) or "error".
 *
 * Thread-safe: every function takes its database pool, no state of its own.
 */
#ifndef SVC_CONV_H
#define SVC_CONV_H

#include <stddef.h>
#include <stdint.h>

#include "core/ods_err.h"

struct ods_db;
struct ods_jw;

#define ODS_CONV_TITLE_MAX	255	/* bytes of a title given */
#define ODS_CONV_TITLE_AUTO	50	/* characters of a first-message title */
#define ODS_CONV_SYSTEM_MAX	16000	/* bytes of a system prompt */
#define ODS_CONV_MODEL_MAX	128
#define ODS_CONV_MSG_MAX	(1u << 20)	/* bytes of a stored message */
#define ODS_CONV_LIST_MAX	1000
#define ODS_CONV_HISTORY_ROWS	200	/* messages looked at for a call */

struct ods_conv {
	int64_t	 id;
	char	*conversation_id;
	char	*user_id;
	char	*title;
	char	*model;
	char	*system_prompt;
	char	*knowledge_base_id;
	char	*app_id;
	char	*created_at;		/* ISO-8601 UTC */
	char	*updated_at;
	int64_t	 message_count;
	int64_t	 total_tokens;
	int	 title_custom;
};

/* Fields of a create or an update: NULL leaves them as they are. */
struct ods_conv_spec {
	const char	*title;		/* given: title_custom */
	const char	*model;
	const char	*system_prompt;
	const char	*knowledge_base_id;
	const char	*app_id;
	const char	*id;		/* create: this id (ods_conv_new_id); */
					/* NULL: a new one */
};

/* A new conversation id ("conv-<12 hex>") into out[32]. */
void		 ods_conv_new_id(char out[32]);

/*
 * A new conversation of owner (required), with its first message when
 * first is not NULL (message_id gets its id), in one transaction.
 */
struct ods_msg_spec;
enum ods_err	 ods_conv_create(struct ods_db *, const struct ods_conv_spec *,
		    const char *owner, const struct ods_msg_spec *first,
		    char message_id[64], struct ods_conv **out) ODS_MUSTCHECK;
/* By "conv-..." id, seen as owner (NULL: any). ODS_ENOTFOUND. */
enum ods_err	 ods_conv_get(struct ods_db *, const char *id,
		    const char *owner, struct ods_conv **out) ODS_MUSTCHECK;
/* user's conversations (NULL: everybody's), newest updated first. */
enum ods_err	 ods_conv_list(struct ods_db *, const char *user,
		    size_t offset, size_t limit, struct ods_conv **out,
		    size_t *n, int64_t *total) ODS_MUSTCHECK;
/* Apply spec to c's row (and to c). */
enum ods_err	 ods_conv_update(struct ods_db *, struct ods_conv *,
		    const struct ods_conv_spec *) ODS_MUSTCHECK;
/* The conversation and its messages. */
enum ods_err	 ods_conv_delete(struct ods_db *, const struct ods_conv *)
		    ODS_MUSTCHECK;
void		 ods_conv_free(struct ods_conv *);
void		 ods_conv_list_free(struct ods_conv *, size_t n);
/* The Conversation object's members, into the object the caller has open. */
void		 ods_conv_json_fields(struct ods_jw *, const struct ods_conv *);

/*
 * A title from a first message: runs of blanks and control characters
 * made one space, trimmed,
 * cut to ODS_CONV_TITLE_AUTO characters on a UTF-8 boundary with "…"
 * when cut. out holds cap bytes (at least 4 * ODS_CONV_TITLE_AUTO + 4).
 */
void		 ods_conv_title(const char *text, size_t len, char *out,
		    size_t cap);

struct ods_msg {
	int64_t	 id;
	char	*message_id;
	char	*conversation_id;
	char	*role;
	char	*content;
	char	*model;
	char	*status;
	char	*sources;		/* JSON array text, or NULL */
	char	*created_at;
	int64_t	 prompt_tokens;
	int64_t	 completion_tokens;
	int64_t	 latency_ms;		/* -1: not recorded */
};

struct ods_msg_spec {
	const char	*role;		/* user assistant system tool */
	const char	*content;
	size_t		 len;
	const char	*model;		/* NULL: none */
	const char	*status;	/* NULL: "complete" */
	const char	*sources;	/* JSON array text or NULL */
	int64_t		 prompt_tokens;
	int64_t		 completion_tokens;
	int64_t		 latency_ms;	/* < 0: none */
};

/* 1 when role is one a message may have. */
int		 ods_msg_role_ok(const char *role);
/*
 * Store a message of c and count it (message_count, total_tokens,
 * updated_at; the title from a first user message unless renamed), in
 * one transaction.
 * message_id gets the new id. ODS_EINVAL for a bad role or status.
 */
enum ods_err	 ods_msg_add(struct ods_db *, const struct ods_conv *,
		    const struct ods_msg_spec *, char message_id[64])
		    ODS_MUSTCHECK;
/* Messages of a conversation, oldest first. */
enum ods_err	 ods_msg_list(struct ods_db *, const char *conversation_id,
		    size_t offset, size_t limit, struct ods_msg **out,
		    size_t *n, int64_t *total) ODS_MUSTCHECK;
void		 ods_msg_list_free(struct ods_msg *, size_t n);
void		 ods_msg_json(struct ods_jw *, const struct ods_msg *);

/* Token totals of a conversation's messages. */
struct ods_conv_usage {
	int64_t	prompt_tokens;
	int64_t	completion_tokens;
	int64_t	messages;
};
enum ods_err	 ods_conv_usage(struct ods_db *, const char *conversation_id,
		    struct ods_conv_usage *) ODS_MUSTCHECK;

/*
 * The prompt of the next call in c: system (may be NULL or "") first and
 * always, then the newest messages that fit in budget tokens (estimated
 * as bytes / 4 + 1; the newest one always), in the order they were said,
 * as a JSON array of {role, content} (malloc'ed into *json). Messages
 * with status error are left out. *count (may be NULL) counts those kept.
 */
enum ods_err	 ods_conv_history(struct ods_db *, const char *conversation_id,
		    const char *system, int64_t budget, char **json,
		    size_t *count) ODS_MUSTCHECK;
/*
 * The same for a message not stored yet: next (the user's, may be NULL)
 * ends the prompt and is counted first; conv NULL (a conversation being
 * made) reads nothing: system and next only.
 */
enum ods_err	 ods_conv_prompt(struct ods_db *, const char *conversation_id,
		    const char *system, const char *next, int64_t budget,
		    char **json, size_t *count) ODS_MUSTCHECK;

#endif /* SVC_CONV_H */
