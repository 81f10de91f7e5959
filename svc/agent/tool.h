/*
 * svc/agent/tool.h — the tools agents call (reference-api §4.3 G20): a
 * registry of built-in tools, each with an OpenAI function schema, a
 * validator for its arguments and a run function. The Agent API's
 * /tools routes, its agents (agent.h) and, later, a workflow's
 * tool_call and agent nodes all go through here.
 *
 * Built-ins: calculator (calc.h), datetime (now in a time zone, date
 * arithmetic, formatting), http_request (GET/POST through net/ods_http
 * to a host HTTP_TOOL_ALLOWED_DOMAINS names, "" any, at an address the
 * outbound policy of net/ods_addr.h lets through; ODS_HTTP_TOOL_ALLOW
 * opens private ranges), vector_search (the caller's knowledge bases
 * through rag.h), sql_query (read-only, on a data source the caller can
 * read, through svc/data/query.h), text_to_sql (text2sql.h).
 *
 * Every run is bounded by ctx->timeout_ms (ODS_TOOL_TIMEOUT_MS): it is
 * the deadline of the tool's outbound calls; the pure tools are bounded
 * by the size of their input.
 *
 * Thread-safe: the registry is constant.
 */
#ifndef SVC_TOOL_H
#define SVC_TOOL_H

#include <stddef.h>
#include <stdint.h>

#include "core/ods_err.h"

struct json_object;
struct ods_agent_io;
struct ods_conf;
struct ods_db;
struct ods_ds_ctx;
struct ods_jw;
struct ods_llm;
struct ods_rag;
struct ods_why;

#define ODS_TOOL_RESULT_MAX	((size_t)256 * 1024)	/* JSON of a result */

/* Who calls, with what: the caller's principal and the service's pools. */
struct ods_tool_ctx {
	struct ods_db		*db;
	const struct ods_conf	*conf;
	struct ods_llm		*llm;
	struct ods_rag		*rag;
	const struct ods_ds_ctx	*ds;		/* data sources (NULL: none) */
	const char		*user;		/* the caller's user id */
	const char		*owner;		/* NULL: an admin (sees all) */
	int			 timeout_ms;	/* 0: conf->tool_timeout_ms */
	/* The caller's limits for a tool's model calls (text_to_sql). */
	const struct ods_agent_io *io;
	/*
	 * Polled while an outbound HTTP call waits (may be NULL): non-zero
	 * aborts it (a workflow run stopped by its user).
	 */
	int			(*should_stop)(void *arg);
	void			*stop_arg;
};

struct ods_tool;

/* The built-in tool called name, or NULL. */
const struct ods_tool	*ods_tool_find(const char *name);
const char	*ods_tool_name(const struct ods_tool *);
/* How many built-in tools there are. */
size_t		 ods_tool_count(void);
/* Its parameters: a JSON Schema object text (static). */
const char	*ods_tool_params(const struct ods_tool *);

/*
 * The tools of category (NULL: all) as Tool objects {tool_id, name,
 * display_name, description, category, tool_type, parameters, enabled}
 * in an array the caller opened; returns how many were written.
 */
size_t		 ods_tool_list_json(struct ods_jw *, const char *category);
/*
 * OpenAI function schemas {type:"function", function:{name,
 * description, parameters}} of the named tools (names NULL: all), into
 * an array the caller opened. ODS_ENOTFOUND naming the first unknown
 * name in why.
 */
enum ods_err	 ods_tool_schemas_json(struct ods_jw *,
		    const char *const *names, size_t n, struct ods_why *)
		    ODS_MUSTCHECK;

/*
 * Check args (an object; NULL counts as {}) against schema (a JSON
 * Schema object) for the subset the tools use: type (object, string,
 * integer, number, boolean, array), required, properties, enum, minimum,
 * maximum, maxLength, minLength, maxItems, items. ODS_EINVAL with the
 * argument named in why->field (a path: "a.b", "list[2]").
 */
enum ods_err	 ods_tool_check(struct json_object *schema,
		    struct json_object *args, struct ods_why *) ODS_MUSTCHECK;

/*
 * Validate args against t's schema, then run t: its result (any JSON
 * value) is written to jw. ODS_EINVAL (bad argument, or the tool refused
 * its input: why says which), ODS_EFORBIDDEN (an http_request host or
 * address the policy refuses), ODS_ENOTFOUND (e.g. a knowledge base the
 * caller cannot see), ODS_ETIMEOUT, ODS_EUNAVAIL, ODS_EUPSTREAM.
 */
enum ods_err	 ods_tool_run(const struct ods_tool_ctx *,
		    const struct ods_tool *, struct json_object *args,
		    struct ods_jw *jw, struct ods_why *) ODS_MUSTCHECK;

/* The same by name, args as JSON text (agents' tool calls). */
enum ods_err	 ods_tool_run_text(const struct ods_tool_ctx *,
		    const char *name, const char *args, size_t len,
		    struct ods_jw *jw, struct ods_why *) ODS_MUSTCHECK;

/*
 * User-defined HTTP tools (tool_user.c): enabled rows of the tools table
 * with tool_type "http", parameters a JSON Schema and config {url,
 * method: GET|POST (POST), headers?}. ods_tool_user_list writes their
 * Tool objects (a built-in's name left out: the built-in wins) into an
 * open array, *n of them. ods_tool_user_run checks args against the
 * row's schema and calls its URL as http_request would (same host list,
 * address policy and caps; a POST carries the arguments as JSON).
 * ODS_ENOTFOUND for no such enabled tool; else as ods_tool_run.
 */
enum ods_err	 ods_tool_user_list(struct ods_db *, const char *category,
		    struct ods_jw *, size_t *n) ODS_MUSTCHECK;
enum ods_err	 ods_tool_user_run(const struct ods_tool_ctx *,
		    const char *name, struct json_object *args,
		    struct ods_jw *, struct ods_why *) ODS_MUSTCHECK;

#endif /* SVC_TOOL_H */
