/*
 * lib/llm/ods_llm_usage.h — what LLM calls cost: per-key tokens-per-minute
 * and token budgets (Redis counters), and usage rows in api_usage written
 * off the request path (a bounded per-process queue drained in batches by
 * one background thread on its own database connection).
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
 * Before a call by p for model: the key's allowed models (ODS_EFORBIDDEN),
 * its tokens-per-minute (ODS_ELIMIT, *retry_after seconds) and its token
 * budget for the day or month (ODS_ELIMIT with *quota set). Redis or the
 * database being down lets the call through (logged). why holds a
 * message for the client. p NULL (open route) passes.
 */
enum ods_err	 ods_llm_limits_check(struct ods_redis *, struct ods_db *,
		    const struct ods_principal *, const char *model,
		    int *retry_after, int *quota, struct ods_why *why)
		    ODS_MUSTCHECK;
/* After a call: add its tokens to the minute and budget counters. */
void		 ods_llm_limits_account(struct ods_redis *, struct ods_db *,
		    const struct ods_principal *, int64_t tokens);

/*
 * Usage per key, model and day between from and to ("YYYY-MM-DD",
 * inclusive; NULL: the last 30 days), one key or all (key_id NULL), as a
 * JSON array of {day,key_id,user_id,model,requests,prompt_tokens,
 * completion_tokens,total_tokens,errors,avg_latency_ms}. Returns ODS_OK,
 * ODS_EINVAL (bad date) or the database's errors.
 */
enum ods_err	 ods_llm_usage_report(struct ods_db *, const char *key_id,
		    const char *from, const char *to, struct ods_jw *)
		    ODS_MUSTCHECK;

#endif /* ODS_LLM_USAGE_H */
