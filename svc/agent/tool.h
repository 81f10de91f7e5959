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
const char	*ods_tool_description(const struct ods_tool *);
/* The i-th built-in (registry order), NULL past the last. */
const struct ods_tool *ods_tool_at(size_t i);

/*
 * The tools of category (NULL: all) as Tool objects {tool_id, name,
 * display_name, description, category, tool_type, parameters, enabled}
 * in an array the caller opened; returns how many were written.
 */
size_t		 ods_tool_list_json(struct ods_jw *, const char *category);
/* One built-in's Tool object. */
void		 ods_tool_json(struct ods_jw *, const struct ods_tool *);
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

/*
 * The same by name, args as JSON text (agents' tool calls): a built-in,
 * else an enabled stored tool (ods_tool_user_run).
 */
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

/*
 * Stored tools by route (tool_store.c). A definition is {name,
 * display_name?, description?, category? ("custom"), parameters, config,
 * enabled? (true)}: name [a-z][a-z0-9_]{0,63}, not a built-in's nor
 * "schemas" (GET /tools/schemas); parameters a JSON Schema object of the
 * subset ods_tool_check understands (ods_tool_schema_valid); config
 * {url: http(s) on a host HTTP_TOOL_ALLOWED_DOMAINS names, method:
 * GET|POST (POST), headers?: {name: single-line string}}. The address
 * policy applies when the tool runs (an address may change).
 *
 * Tools are shared (as GET /tools always listed every stored tool):
 * every reader lists, reads and runs them; only their owner (created_by)
 * or an admin (owner NULL) changes or deletes one: another's is
 * ODS_EFORBIDDEN (the 403 of h_not_owner for shared objects), a missing
 * one ODS_ENOTFOUND. A reader who is not the owner sees the header names
 * of config, not their values (they may hold the owner's credentials).
 */
#define ODS_TOOL_NAME_MAX	64
/*
 * Check body (create: every required field; else the fields present).
 * ODS_EINVAL naming the field ("config.url", "parameters.properties.q").
 */
enum ods_err	 ods_tool_def_check(const struct ods_conf *,
		    struct json_object *body, int create, struct ods_why *)
		    ODS_MUSTCHECK;
/* Whether name is one a stored tool may take. */
int		 ods_tool_name_ok(const char *name);
/*
 * JSON Schema of a tool's parameters: an object schema whose keywords
 * are those ods_tool_check understands (and description, title,
 * default). ODS_EINVAL naming the place (path "parameters...").
 */
enum ods_err	 ods_tool_schema_valid(struct json_object *schema,
		    const char *path, struct ods_why *) ODS_MUSTCHECK;
/*
 * A checked create body stored as user's (ODS_ECONFLICT: the name is
 * taken); the tool is written to jw (as ods_tool_user_get).
 */
enum ods_err	 ods_tool_user_create(struct ods_db *,
		    struct json_object *body, const char *user,
		    struct ods_jw *, struct ods_why *) ODS_MUSTCHECK;
/* The fields of a checked body replace the stored ones; jw as get. */
enum ods_err	 ods_tool_user_update(struct ods_db *, const char *name,
		    struct json_object *body, const char *owner,
		    struct ods_jw *, struct ods_why *) ODS_MUSTCHECK;
enum ods_err	 ods_tool_user_delete(struct ods_db *, const char *name,
		    const char *owner) ODS_MUSTCHECK;
/*
 * {tool_id, name, display_name, description, category, tool_type,
 * parameters, config, enabled, created_by, created_at, updated_at}: an
 * enabled tool for anyone, a disabled one for its owner (user) or an
 * admin (admin non-zero). ODS_ENOTFOUND.
 */
enum ods_err	 ods_tool_user_get(struct ods_db *, const char *name,
		    const char *user, int admin, struct ods_jw *)
		    ODS_MUSTCHECK;

/*
 * The tools an agent or a schema list offers: the named ones (n of
 * them), or, names NULL, every built-in then every enabled stored tool
 * (the database down: the built-ins, logged). ODS_ENOTFOUND naming the
 * first unknown name (field "tools"); the database's errors when a name
 * needs it and it fails.
 */
struct ods_toolset;
enum ods_err	 ods_toolset_load(struct ods_db *, const char *const *names,
		    size_t n, struct ods_toolset **, struct ods_why *)
		    ODS_MUSTCHECK;
void		 ods_toolset_free(struct ods_toolset *);
size_t		 ods_toolset_count(const struct ods_toolset *);
int		 ods_toolset_has(const struct ods_toolset *, const char *);
const char	*ods_toolset_name(const struct ods_toolset *, size_t);
const char	*ods_toolset_params(const struct ods_toolset *, size_t);
/* Their OpenAI function schemas into an array the caller opened. */
void		 ods_toolset_schemas_json(const struct ods_toolset *,
		    struct ods_jw *);

#endif /* SVC_TOOL_H */
