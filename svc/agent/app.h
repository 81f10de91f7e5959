/*
 * svc/agent/app.h — apps: a model, a prompt template, knowledge bases and
 * settings published under one id ("app-<12 hex>") and callable with API
 * keys created under it (reference-api §4.3 G23, issue 15).
 *
 * Columns of table apps hold what the App object of §4.3 names; the rest
 * (model, prompt_template_id, knowledge_base_ids, settings) is the config
 * JSON column. An app belongs to its creator: every lookup takes the
 * caller's user id as owner and somebody else's app is ODS_ENOTFOUND
 * (owner NULL: an admin, or the holder of one of the app's keys, whose
 * scope ods_auth_check has already proved). Deleting is soft (deleted_at)
 * and revokes the app's keys.
 *
 * status is "draft" or "published". Publishing sets published_at and the
 * endpoint "/api/v1/apps/{id}/chat"; an unpublished app keeps its keys
 * but the handlers of its app routes refuse them (403) until it is
 * published again.
 *
 * Statistics are computed from the api_usage rows whose app_id is the
 * app: calls, distinct callers (COALESCE(end_user, key_id, user_id)),
 * mean latency and the share of calls answered below 400.
 *
 * Thread-safe: every function takes its database pool and holds no state.
 */
#ifndef SVC_APP_H
#define SVC_APP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/ods_err.h"

struct json_object;
struct ods_apikey;
struct ods_db;
struct ods_jw;
struct ods_why;

#define ODS_APP_NAME_MAX	255
#define ODS_APP_DESC_MAX	4000
#define ODS_APP_FIELD_MAX	128	/* model, icon, ids, one tag */
#define ODS_APP_PROMPT_MAX	32000	/* settings.system_prompt */
#define ODS_APP_KB_MAX		8
#define ODS_APP_TAGS_MAX	32
#define ODS_APP_MAX_TOKENS	32000
#define ODS_APP_LIST_MAX	1000

struct ods_app_settings {
	double	 temperature;	/* 0..2; < 0: unset */
	int64_t	 max_tokens;	/* 1..32000; 0: unset */
	char	*system_prompt;	/* NULL: unset */
	int64_t	 rate_limit_rpm;	/* 0: unset */
	int64_t	 rate_limit_tpm;
};

struct ods_app {
	int64_t			 id;
	char			*app_id;
	char			*name;
	char			*description;
	char			*type;		/* "chat" by default */
	char			*status;	/* draft | published */
	char			*icon;
	char			*version;
	char			*workflow_id;	/* kept, not checked yet */
	char			*endpoint;	/* NULL unless published */
	char			*created_by;
	char			*created_at;	/* ISO-8601 UTC */
	char			*updated_at;
	char			*published_at;	/* NULL: never */
	char			*last_accessed;
	char			*model;
	char			*prompt_template_id;
	char			**tags;
	size_t			 ntags;
	char			**kb_ids;
	size_t			 nkbs;
	struct ods_app_settings	 settings;
	int64_t			 access_count;
	int64_t			 api_key_count;	/* keys not revoked */
};

/*
 * Fields of a create or an update, borrowed from the request's JSON:
 * NULL strings, ntags/nkbs -1 and the settings' unset values leave the
 * app as it is (has_settings 0: settings untouched).
 */
struct ods_app_spec {
	const char		*name;
	const char		*description;
	const char		*type;
	const char		*icon;
	const char		*version;
	const char		*model;
	const char		*prompt_template_id;
	const char		*workflow_id;
	const char		*tags[ODS_APP_TAGS_MAX];
	ssize_t			 ntags;
	const char		*kb_ids[ODS_APP_KB_MAX];
	ssize_t			 nkbs;
	int			 has_settings;
	double			 temperature;	/* < 0: unset */
	int64_t			 max_tokens;	/* -1: unset */
	const char		*system_prompt;
	int64_t			 rate_limit_rpm;	/* -1: unset */
	int64_t			 rate_limit_tpm;
};

/*
 * The body of POST or PUT /apps into sp (strings borrowed from o).
 * Returns ODS_OK or ODS_EINVAL with why naming the field (a wrong type,
 * a range, more than ODS_APP_KB_MAX knowledge bases...).
 */
enum ods_err	 ods_app_spec_parse(struct json_object *o,
		    struct ods_app_spec *sp, struct ods_why *) ODS_MUSTCHECK;

/*
 * Create an app owned by owner (name required). Each knowledge base must
 * exist and be the owner's (or any for owner NULL) and the prompt
 * template must exist, be live and be the owner's or public: ODS_EINVAL
 * naming the bad one otherwise.
 */
enum ods_err	 ods_app_create(struct ods_db *, const struct ods_app_spec *,
		    const char *owner, struct ods_app **out, struct ods_why *)
		    ODS_MUSTCHECK;
/* By "app-..." id; deleted ones and other owners' are ODS_ENOTFOUND. */
enum ods_err	 ods_app_get(struct ods_db *, const char *app_id,
		    const char *owner, struct ods_app **out) ODS_MUSTCHECK;

struct ods_app_filter {
	const char	*owner;		/* NULL: every owner */
	const char	*type;		/* NULL: any */
	const char	*status;	/* NULL: any */
};
/* Newest first; *total counts every match. */
enum ods_err	 ods_app_list(struct ods_db *, const struct ods_app_filter *,
		    size_t offset, size_t limit, struct ods_app **out,
		    size_t *n, int64_t *total) ODS_MUSTCHECK;
/*
 * Apply sp to app (checked as a create is, by the app's owner rules for
 * owner) and store it; app is updated in place on ODS_OK.
 */
enum ods_err	 ods_app_update(struct ods_db *, struct ods_app *,
		    const struct ods_app_spec *, const char *owner,
		    struct ods_why *) ODS_MUSTCHECK;
/* Soft delete; its keys are revoked (by names who). */
enum ods_err	 ods_app_delete(struct ods_db *, const struct ods_app *,
		    const char *by) ODS_MUSTCHECK;
/* publish 1: status published, published_at now, the endpoint; 0: draft. */
enum ods_err	 ods_app_publish(struct ods_db *, struct ods_app *,
		    int publish) ODS_MUSTCHECK;
/* One more call of the app: access_count and last_accessed. */
enum ods_err	 ods_app_touch(struct ods_db *, const char *app_id)
		    ODS_MUSTCHECK;

struct ods_app_stats {
	int64_t	total_calls;
	int64_t	total_users;
	double	avg_response_time_ms;	/* 0 without calls */
	double	success_rate;		/* 0..1; 0 without calls */
};
enum ods_err	 ods_app_stats(struct ods_db *, const char *app_id,
		    struct ods_app_stats *) ODS_MUSTCHECK;

/* A key of the app: POST /apps/{id}/keys. */
struct ods_app_key_spec {
	const char	*name;		/* required */
	int64_t		 expires_at;	/* epoch s; 0: never */
	int64_t		 rpm, tpm;	/* 0: the app's rate_limit_rpm/tpm */
};
/*
 * Create an sk-ods- key scoped to app, owned by owner; *secret as
 * ods_apikey_create. api_key_count is recounted.
 */
enum ods_err	 ods_app_key_create(struct ods_db *, const struct ods_app *,
		    const struct ods_app_key_spec *, const char *owner,
		    char **secret, struct ods_apikey *out) ODS_MUSTCHECK;
/* Revoke one key of the app (another app's is ODS_ENOTFOUND). */
enum ods_err	 ods_app_key_revoke(struct ods_db *, const struct ods_app *,
		    const char *key_id, const char *by) ODS_MUSTCHECK;

void		 ods_app_free(struct ods_app *);
void		 ods_app_list_free(struct ods_app *, size_t n);
/*
 * The App object of reference-api §4.3 plus config {model,
 * prompt_template_id, knowledge_base_ids, settings, workflow_id}, and
 * statistics when st is not NULL.
 */
void		 ods_app_json(struct ods_jw *, const struct ods_app *,
		    const struct ods_app_stats *st);
/* What a key holder may see: {app_id, name, description, type, model,
 * status}. */
void		 ods_app_info_json(struct ods_jw *, const struct ods_app *);

#endif /* SVC_APP_H */
