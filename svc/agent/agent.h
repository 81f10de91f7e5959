/*
 * svc/agent/agent.h — agents that answer a query with the tools of
 * tool.h (reference-api §4.3 G21): function_calling (OpenAI's
 * tools/tool_calls protocol: every call of one answer runs in that step),
 * react (Thought / Action / Action Input / Final Answer in plain text,
 * for models without tools) and plan_execute (a numbered plan, then
 * ReAct with the plan in view).
 *
 * Bounded: max_iterations model calls (plus the plan), max_tokens over
 * the run (ODS_AGENT_MAX_TOKENS), each tool by the tool timeout. Every
 * model call is made on the caller's behalf: their rate and token limits
 * are reserved before it and settled after (llm/ods_llm_usage.h), so an
 * agent cannot spend more than its caller may.
 *
 * Events, the moment they happen, go to ev (may be NULL) as JSON objects
 * {type, ...}: start, iteration, step, tool_start, tool_end, status,
 * error, end (the shapes of reference §4.3 G21). A non-zero return from
 * ev means nobody listens any more: the run stops.
 *
 * Thread-safe: a run holds its own state; the workflow engine's agent
 * node can call ods_agent_run with its own context.
 */
#ifndef SVC_AGENT_H
#define SVC_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "core/ods_err.h"
#include "core/ods_mem.h"

struct ods_principal;
struct ods_redis;
struct ods_tool_ctx;
struct ods_why;

#define ODS_AGENT_ITER_MAX	20
#define ODS_AGENT_QUERY_MAX	(32u * 1024)
#define ODS_AGENT_TOOLS_MAX	16

enum ods_agent_type {
	ODS_AGENT_FUNCTION_CALLING = 0,
	ODS_AGENT_REACT,
	ODS_AGENT_PLAN_EXECUTE
};

/* "function_calling" ...; -1 for another name. */
int		 ods_agent_type_parse(const char *);
const char	*ods_agent_type_name(enum ods_agent_type);

struct ods_agent_spec {
	const char		*query;
	enum ods_agent_type	 type;
	const char		*model;
	int			 max_iterations;	/* 1..ODS_AGENT_ITER_MAX */
	const char *const	*tools;		/* NULL: every tool */
	size_t			 ntools;
	int64_t			 max_tokens;	/* 0: no cap */
};

/* Where events go; and the caller's accounting of each model call. */
struct ods_agent_io {
	int	(*event)(void *arg, const char *json, size_t len);
	/* After each model call (may be NULL): metrics, usage rows. */
	void	(*llm_done)(void *arg, const char *model, enum ods_err,
		    int64_t prompt_tokens, int64_t completion_tokens,
		    double seconds);
	void	*arg;
	/* The caller's limits (redis NULL: none). */
	struct ods_redis		*redis;
	const struct ods_principal	*principal;
};

struct ods_agent_result {
	int		 success;
	char		*answer;	/* malloc'ed, or NULL */
	char		 error[256];	/* when !success */
	int		 iterations;
	int64_t		 tokens;	/* prompt + completion, all calls */
	struct ods_buf	 steps;		/* JSON array of the steps */
	/*
	 * The first model call failing (nothing happened yet): its error,
	 * for a 429/502/503/504 rather than a 200 with success false.
	 */
	enum ods_err	 first_err;
	int		 retry_after;	/* seconds, with ODS_ELIMIT */
};

/*
 * Run spec with the tools of tc (the caller's context). Always fills
 * res (release with ods_agent_result_fini). ODS_OK when the run ended
 * (success or not: res says), ODS_EINVAL (spec: why names the field),
 * ODS_EIO (ev stopped it), or res->first_err.
 */
enum ods_err	 ods_agent_run(const struct ods_tool_ctx *,
		    const struct ods_agent_spec *, const struct ods_agent_io *,
		    struct ods_agent_result *, struct ods_why *) ODS_MUSTCHECK;
void		 ods_agent_result_fini(struct ods_agent_result *);

/* What one model call cost and, failing, why (ods_agent_llm). */
struct ods_agent_call {
	int64_t	 tokens;		/* prompt + completion, added to */
	int	 retry_after;		/* seconds, with ODS_ELIMIT */
	char	 error[256];		/* on failure: for people */
};

/*
 * One model call on the caller's behalf (agents, text to SQL, a
 * workflow's llm node): their limits reserved before and settled after
 * (io->redis NULL: none), io->llm_done told. messages_json is the chat's
 * messages array; with tools_json *out is the answer's message JSON
 * (ods_llm_chat_message), else its text (malloc'ed). Returns ODS_OK,
 * ODS_ELIMIT / ODS_EFORBIDDEN (the limits: c->error, c->retry_after) or
 * the errors of ods_llm_chat.
 */
enum ods_err	 ods_agent_llm(const struct ods_tool_ctx *,
		    const struct ods_agent_io *, const char *model,
		    const char *messages_json, const char *tools_json,
		    struct ods_agent_call *c, char **out) ODS_MUSTCHECK;

/*
 * The same call streamed (ods_llm_chat_stream) to sink: the limits
 * reserved and settled as ods_agent_llm does; opts may be NULL (the
 * defaults), its user is tc's. Errors as ods_agent_llm.
 */
struct ods_llm_chat_sink;
struct ods_llm_opts;
enum ods_err	 ods_agent_llm_stream(const struct ods_tool_ctx *,
		    const struct ods_agent_io *, const char *model,
		    const char *messages_json, const struct ods_llm_opts *,
		    const struct ods_llm_chat_sink *, struct ods_agent_call *c)
		    ODS_MUSTCHECK;

/*
 * One ReAct answer. Offsets into the text: the thought (before Action or
 * Final Answer, "Thought:" dropped), the action's name, its input (the
 * rest of the line after "Action Input:", or a JSON object spanning
 * lines), and the final answer (to the end). A part absent has len 0.
 */
struct ods_react {
	size_t	thought, thought_len;
	size_t	action, action_len;
	size_t	input, input_len;
	size_t	final, final_len;
	int	has_final;
	int	has_action;
};
/*
 * Parse the n bytes of text (no NUL needed); never fails: a text with
 * neither part is all thought. An action is looked for before a final
 * answer only: with both, the caller runs the action (the model must
 * see the real observation, not the one it imagined).
 */
void		 ods_react_parse(const char *text, size_t n, struct ods_react *);

#endif /* SVC_AGENT_H */
