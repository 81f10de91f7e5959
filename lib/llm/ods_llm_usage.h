/*
 * lib/llm/ods_llm_usage.h — what LLM calls cost: per-key and per-user
 * limits (Redis counters a call holds its estimate in before the upstream
 * is asked, settled with the real usage after), and usage rows in
 * api_usage written off the request path (a bounded per-process queue
 * drained in batches by one background thread on its own database
 * connection).
 */
#ifndef ODS_LLM_USAGE_H
#define ODS_LLM_USAGE_H

#include <stddef.h>
#include <stdint.h>

#include "core/ods_err.h"

struct ods_conf;
struct ods_db;
struct ods_jw;
struct ods_principal;
struct ods_redis;

struct ods_llm_usage_rec {
	char	request_id[65];
	char	key_id[33];		/* "" for a token user */
	char	user_id[129];
	char	endpoint[65];		/* "/v1/chat/completions" */
	char	model[129];		/* as the client named it */
	char	backend[17];		/* "" when none answered */
	char	service[33];		/* "" is "openai-proxy" */
	char	app_id[65];		/* the app called; "" for none */
	char	end_user[129];		/* the app's caller ("user"); "" */
	int	stream;
	int64_t	prompt_tokens;
	int64_t	completion_tokens;
	int	latency_ms;
	int	status;			/* HTTP status sent */
};

/*
 * The usage writer of one process: a bounded queue (ODS_LLM_USAGE_QUEUE
 * rows) drained by one thread on its own database connection, one
 * multi-row INSERT per batch. A service makes it in its init hook (after
 * the fork) and frees it in fini, which writes what is queued (bounded).
 * NULL when the writer cannot start (logged); every call takes NULL.
 */
struct ods_llm_usage_q;
struct ods_llm_usage_q *ods_llm_usage_new(const struct ods_conf *);
void		 ods_llm_usage_free(struct ods_llm_usage_q *);
/*
 * Queue one row (copied). Never blocks on the database: when the queue
 * is full the row is dropped, counted (also in
 * ods_write_behind_dropped_total{queue="usage"}) and logged.
 */
void		 ods_llm_usage_record(struct ods_llm_usage_q *,
		    const struct ods_llm_usage_rec *);
/*
 * Wait until the rows queued before the call were written, 40 s at most
 * (a database outage must not hold a drain forever). For drains, tests.
 */
void		 ods_llm_usage_flush(struct ods_llm_usage_q *);
/* Rows dropped because the queue was full, and rows written. */
uint64_t	 ods_llm_usage_dropped(struct ods_llm_usage_q *);
uint64_t	 ods_llm_usage_written(struct ods_llm_usage_q *);

/*
 * What a call holds in the counters between reserve and settle: the
 * tokens it reserved and the counters (tpm, budget) holding them.
 */
struct ods_llm_hold {
	char	keys[2][200];
	size_t	nkeys;		/* 0: nothing held */
	int64_t	tokens;
};

/*
 * Before a call by p for model, estimated at estimate tokens: the key's
 * allowed models (ODS_EFORBIDDEN), then in one atomic step (a Redis
 * script) its requests per minute (a JWT user's only: an API key's rpm
 * is the auth module's), tokens per minute and token budget for the day
 * or month: ODS_ELIMIT (*retry_after seconds, or *quota set for the
 * budget) when one of them is used up, else each counter holds the
 * estimate until ods_llm_limits_settle. Parallel calls see each other's
 * holds: a limit is overrun by one call's estimate at most. An API key
 * has the limits of its row; a JWT user (ODS_PRINCIPAL_TOKEN) those of
 * ODS_LLM_USER_* in c (c NULL: none), counted per sub; AUTH_MODE=false's
 * dev user none. Redis or the database being down lets the call through
 * (logged). why holds a message for the client. p NULL (open route)
 * passes. h is always initialised (nothing held unless ODS_OK).
 */
enum ods_err	 ods_llm_limits_reserve(struct ods_redis *, struct ods_db *,
		    const struct ods_conf *c, const struct ods_principal *p,
		    const char *model, int64_t estimate,
		    struct ods_llm_hold *h, int *retry_after, int *quota,
		    struct ods_why *why) ODS_MUSTCHECK;
/*
 * After the call: replace the hold by what it really cost (tokens; see
 * ods_llm_billed). Once per hold; later calls and an empty hold are
 * no-ops.
 */
void		 ods_llm_limits_settle(struct ods_redis *,
		    struct ods_llm_hold *h, int64_t tokens);

/*
 * Usage per key, model and day between from and to ("YYYY-MM-DD",
 * inclusive; NULL: the last 30 days), one key or all (key_id NULL), as a
 * JSON array of {day,key_id,user_id,model,requests,prompt_tokens,
 * completion_tokens,total_tokens,errors,avg_latency_ms}: limit rows from
 * offset, and the count of all in *total (may be NULL). Returns ODS_OK,
 * ODS_EINVAL (bad date, offset or limit) or the database's errors.
 */
enum ods_err	 ods_llm_usage_report(struct ods_db *, const char *key_id,
		    const char *from, const char *to, int64_t offset,
		    int64_t limit, struct ods_jw *, int64_t *total)
		    ODS_MUSTCHECK;

#endif /* ODS_LLM_USAGE_H */
