/*
 * fcgi/agent/h_tools.h — tools (svc/agent/tool.h) and agents
 * (svc/agent/agent.h) of the Agent API (reference-api §4.3 G20–G21):
 * listing and schemas for readers, execution and agent runs for
 * chat:execute. A tool runs as its caller (their knowledge bases, their
 * data sources); an agent's model calls count against the caller's rate
 * and token limits like /chat's.
 */
#ifndef H_TOOLS_H
#define H_TOOLS_H

#include "net/ods_req.h"
#include "server/ods_router.h"

#include <stdint.h>

/*
 * Stored tools are agent configuration: defining one needs
 * "agent:create" (user and ai_developer have it, a viewer not; the
 * "agent" resource has no update or delete, so the same permission
 * covers changing one's own), reading one "chat:read" as the list.
 */
#define H_TOOL_BODY	(64 * 1024)
#define H_TOOLS_ROUTES \
	{ ODS_GET, "/tools", h_tools_list, ODS_AUTH_REQUIRED, "chat:read" }, \
	{ ODS_GET, "/tools/schemas", h_tools_schemas, ODS_AUTH_REQUIRED, \
	    "chat:read" }, \
	{ ODS_POST, "/tools/{name}/execute", h_tools_execute, \
	    ODS_AUTH_REQUIRED, "chat:execute", 256 * 1024 }, \
	{ ODS_POST, "/tools", h_tools_create, ODS_AUTH_REQUIRED, \
	    "agent:create", H_TOOL_BODY }, \
	{ ODS_GET, "/tools/{name}", h_tools_get, ODS_AUTH_REQUIRED, \
	    "chat:read" }, \
	{ ODS_PUT, "/tools/{name}", h_tools_update, ODS_AUTH_REQUIRED, \
	    "agent:create", H_TOOL_BODY }, \
	{ ODS_DELETE, "/tools/{name}", h_tools_delete, ODS_AUTH_REQUIRED, \
	    "agent:create" }, \
	{ ODS_POST, "/run", h_agent_run, ODS_AUTH_REQUIRED, "chat:execute", \
	    64 * 1024 }, \
	{ ODS_POST, "/run-stream", h_agent_run_stream, ODS_AUTH_REQUIRED, \
	    "chat:execute", 64 * 1024 }, \
	{ ODS_POST, "/agent/run", h_agent_run, ODS_AUTH_REQUIRED, \
	    "chat:execute", 64 * 1024 }, \
	{ ODS_POST, "/agent/run-stream", h_agent_run_stream, \
	    ODS_AUTH_REQUIRED, "chat:execute", 64 * 1024 }, \
	H_AGENT_TPL_ROUTES, \
	{ ODS_POST, "/text2sql", h_text2sql, ODS_AUTH_REQUIRED, \
	    "chat:execute", 64 * 1024 }, \
	{ ODS_POST, "/sql/generate", h_text2sql, ODS_AUTH_REQUIRED, \
	    "chat:execute", 64 * 1024 }

/*
 * Agent templates (h_agent_tpl.c) are agent configuration as stored
 * tools are: reading needs "agent:read", saving, changing and deleting
 * one's own "agent:create" (the resource has no update or delete). The
 * pool's alias sends /api/v1/agent/templates here (main.c).
 */
#define H_AGENT_TPL_BODY	(64 * 1024)
#define H_AGENT_TPL_ROUTES \
	{ ODS_GET, "/agent/templates", h_agent_tpl_list, ODS_AUTH_REQUIRED, \
	    "agent:read" }, \
	{ ODS_POST, "/agent/templates", h_agent_tpl_create, \
	    ODS_AUTH_REQUIRED, "agent:create", H_AGENT_TPL_BODY }, \
	{ ODS_GET, "/agent/templates/{template_id}", h_agent_tpl_get, \
	    ODS_AUTH_REQUIRED, "agent:read" }, \
	{ ODS_PUT, "/agent/templates/{template_id}", h_agent_tpl_update, \
	    ODS_AUTH_REQUIRED, "agent:create", H_AGENT_TPL_BODY }, \
	{ ODS_DELETE, "/agent/templates/{template_id}", h_agent_tpl_delete, \
	    ODS_AUTH_REQUIRED, "agent:create" }

struct ods_agent_io;
struct ods_tool_ctx;
struct ods_why;

/*
 * The caller's limits (reserved and settled around each model call) and
 * accounting (ai_* metrics, an api_usage row with src->endpoint): io
 * set up with src (set src->endpoint; io->arg is src: a caller that
 * needs its own arg puts a struct h_tool_src first in it).
 */
struct h_tool_src {
	struct ods_req	*r;
	const char	*endpoint;
};
void		h_tool_io(struct ods_req *, struct h_tool_src *,
		    struct ods_agent_io *);
/* io->llm_done of h_tool_io (arg: a struct h_tool_src). */
void		h_tool_llm_done(void *arg, const char *model, enum ods_err,
		    int64_t prompt_tokens, int64_t completion_tokens,
		    double seconds);
/* The caller's tool context: their principal, the pool's services. */
void		h_tool_ctx(struct ods_req *, struct ods_tool_ctx *);
/* A tool's failure: the status of its error, the argument named. */
/*
 * An object written aside in b (so that a database failure could still
 * be a clean error), sent in the envelope with status and msg; b freed.
 * For the stored tools and the agent templates.
 */
enum ods_status	h_send_aside(struct ods_resp *, enum ods_status,
		    struct ods_buf *b, const char *msg);
enum ods_status	h_tool_fail(struct ods_resp *, enum ods_err,
		    const struct ods_why *);

/* ?category: data:{tools:[Tool], total}. */
enum ods_status	h_tools_list(struct ods_req *, struct ods_resp *);
/* ?names=a,b: data:{schemas:[{type:"function",function}], total}. */
enum ods_status	h_tools_schemas(struct ods_req *, struct ods_resp *);
/*
 * The body is the arguments (or {arguments:{...}}): data:{tool, result,
 * duration_ms}; 400 naming the argument, 403 for a refused host, 404 for
 * an unknown tool, 502/503/504 when what the tool calls fails.
 */
enum ods_status	h_tools_execute(struct ods_req *, struct ods_resp *);

/*
 * Stored HTTP tools (svc/agent/tool.h): POST {name, parameters, config,
 * display_name?, description?, category?, enabled?} → 201 data:Tool with
 * config; GET /tools/{name} (a built-in's descriptor too; the header
 * values of another's tool hidden); PUT the fields to change (not the
 * name); DELETE. 400 naming the field, 403 for another user's tool, 404,
 * 409 for a name taken.
 */
enum ods_status	h_tools_create(struct ods_req *, struct ods_resp *);
enum ods_status	h_tools_get(struct ods_req *, struct ods_resp *);
enum ods_status	h_tools_update(struct ods_req *, struct ods_resp *);
enum ods_status	h_tools_delete(struct ods_req *, struct ods_resp *);

/*
 * Agent templates: ?page&page_size → data:{templates:[AgentTemplate],
 * total, page, page_size} (the caller's and the public ones, newest
 * first); POST {name, description?, agent_type?, model?, system_prompt?,
 * tools?, max_iterations?, max_tokens?, visibility?} → 201; GET, PUT
 * (the fields to change), DELETE /agent/templates/{template_id}. 400
 * naming the field (an unknown tool too), 403 for another user's public
 * template, 404 for another's private one.
 */
enum ods_status	h_agent_tpl_list(struct ods_req *, struct ods_resp *);
enum ods_status	h_agent_tpl_create(struct ods_req *, struct ods_resp *);
enum ods_status	h_agent_tpl_get(struct ods_req *, struct ods_resp *);
enum ods_status	h_agent_tpl_update(struct ods_req *, struct ods_resp *);
enum ods_status	h_agent_tpl_delete(struct ods_req *, struct ods_resp *);

/*
 * {query, agent_type: function_calling|react|plan_execute (react),
 * model (DEFAULT_CHAT_MODEL), max_iterations (10, 1..20), max_tokens
 * (ODS_AGENT_MAX_TOKENS, at most that), tools? (built-in or stored),
 * template_id? (an agent template's settings as the defaults of the
 * others, its system prompt the model's; 404 for one the caller cannot
 * see)}:
 * data:{success, answer|error, iterations, steps, agent_type, model,
 * total_tokens}. "/run" is the reference's /api/v1/agent/run under the
 * pool's /api/v1/agent prefix; "/agent/run" the same under /api.
 */
enum ods_status	h_agent_run(struct ods_req *, struct ods_resp *);
/* The same body; text/event-stream, each event flushed as it happens. */
enum ods_status	h_agent_run_stream(struct ods_req *, struct ods_resp *);

/*
 * {natural_language|question, source_id|database, selected_tables?,
 * execute?, limit?, model?} (h_text2sql.c): data:{sql, confidence,
 * validated, validation_error?, tables_used, source_id, database,
 * dialect, model, user, result?}; 400 naming the field, 404 for a source
 * the caller cannot read or one never scanned, 400 40003 sql_rejected
 * when the model's SQL is not a read-only SELECT.
 */
enum ods_status	h_text2sql(struct ods_req *, struct ods_resp *);

#endif /* H_TOOLS_H */
