/*
 * svc/agent/wf.h — the workflow engine (issue 18, reference-api §4.5):
 * definitions (wf_def.c) and their runs (wf_run.c, the node types in
 * wf_node*.c).
 *
 * A definition is {"version":"1.0", "nodes":[{id, type, name?,
 * config?}], "edges":[{source, target, condition? | branch?}]}. It is
 * validated as a whole and every problem is named (the API answers 400
 * with the list), so a user fixes a definition in one round trip.
 *
 * A run follows the definition copied into its execution row: a node is
 * ready when every predecessor is done; the ready nodes run in parallel
 * on at most ODS_WF_PARALLEL threads. Each node's outcome is written to
 * workflow_node_runs and execution_logs (in batches), so a run resumed on
 * another worker after a crash skips what was recorded.
 *
 * Thread-safe: a definition is read-only once parsed; a run holds its
 * own state.
 */
#ifndef SVC_WF_H
#define SVC_WF_H

#include <stddef.h>
#include <stdint.h>

#include "core/ods_err.h"

struct json_object;
struct ods_buf;
struct ods_conf;
struct ods_db;
struct ods_ds_ctx;
struct ods_llm;
struct ods_rag;
struct ods_redis;

#define ODS_WF_MAX_NODES	2000
#define ODS_WF_MAX_EDGES	10000
#define ODS_WF_MAX_DEF		((size_t)4 << 20)	/* bytes of JSON */
#define ODS_WF_ID_MAX		64
#define ODS_WF_MAX_ERRORS	100	/* messages of one validation */
#define ODS_WF_MAX_ITER		1000	/* a loop's items */
#define ODS_WF_TIMEOUT_MS	60000	/* a node's default timeout */
#define ODS_WF_TIMEOUT_MAX	3600000
#define ODS_WF_RETRIES_MAX	5
#define ODS_WF_DELAY_MAX	60000	/* config.delay_ms */

enum ods_wf_type {
	ODS_WF_INPUT = 0,
	ODS_WF_OUTPUT,
	ODS_WF_LLM,
	ODS_WF_RETRIEVER,
	ODS_WF_CONDITION,
	ODS_WF_SWITCH,
	ODS_WF_LOOP,
	ODS_WF_MERGE,
	ODS_WF_TRANSFORM,
	ODS_WF_HTTP,
	ODS_WF_DATABASE,
	ODS_WF_TOOL_CALL,
	ODS_WF_AGENT,
	ODS_WF__NTYPES
};

/* "input" ...; -1 for another name. */
int		 ods_wf_type_parse(const char *);
const char	*ods_wf_type_name(enum ods_wf_type);

/*
 * A node. config is borrowed from the definition's document (NULL when
 * absent). in[]/out[] are indexes into the definition's edges.
 * Common config: timeout_ms (default ODS_WF_TIMEOUT_MS, 1..
 * ODS_WF_TIMEOUT_MAX), retries (0..5), retry_delay_ms (0..600000),
 * continue_on_error (a failed node's dependents still run and see its
 * error), delay_ms (0..60000: slept, cancellably, before the node runs;
 * for tests and pacing).
 */
struct ods_wf_node {
	char			 id[ODS_WF_ID_MAX + 1];
	enum ods_wf_type	 type;
	struct json_object	*config;
	int			 timeout_ms;
	int			 retries;
	int			 retry_delay_ms;
	int			 delay_ms;
	int			 continue_on_error;
	size_t			*in, nin;
	size_t			*out, nout;
};

/*
 * An edge. cond: -1 none, 0 "false", 1 "true" (from a condition node:
 * taken when its result equals it); branch: a switch's case (borrowed),
 * or NULL.
 */
struct ods_wf_edge {
	size_t		 src, dst;
	int		 cond;
	const char	*branch;
};

struct ods_wf_def {
	struct json_object	*root;
	struct ods_wf_node	*nodes;
	size_t			 nnodes;
	struct ods_wf_edge	*edges;
	size_t			 nedges;
	size_t			*order;		/* topological */
	size_t			*byid;		/* node indexes sorted by id */
};

/*
 * Parse and validate len bytes of definition JSON. On ODS_OK *out is a
 * new definition (ods_wf_def_free). On ODS_EINVAL (or ODS_ETOOBIG past
 * ODS_WF_MAX_DEF) errors (may be NULL) holds a JSON array of messages,
 * one per problem, at most ODS_WF_MAX_ERRORS. ODS_ENOMEM otherwise.
 */
enum ods_err	 ods_wf_def_parse(const char *, size_t len,
		    struct ods_wf_def **out, struct ods_buf *errors)
		    ODS_MUSTCHECK;
void		 ods_wf_def_free(struct ods_wf_def *);	/* NULL: no-op */
/* The index of the node named id (len bytes), or -1. */
long		 ods_wf_def_find(const struct ods_wf_def *, const char *id,
		    size_t len);

/*
 * Validation only (the API's save and start): ODS_OK when valid, else
 * ODS_EINVAL (ODS_ETOOBIG for a definition past ODS_WF_MAX_DEF) with
 * errors holding the JSON array of messages.
 */
enum ods_err	 ods_wf_validate(const char *def_json, size_t len,
		    struct ods_buf *errors) ODS_MUSTCHECK;

/*
 * What validation alone cannot know: every tool_call node of d names a
 * built-in tool or an enabled user tool of the tools table. Messages are
 * appended to errors (a JSON array as ods_wf_validate writes it; NULL or
 * empty: a new one). ODS_OK, ODS_EINVAL (a tool unknown), or a database
 * error.
 */
enum ods_err	 ods_wf_check_tools(struct ods_db *, const char *def_json,
		    size_t len, struct ods_buf *errors) ODS_MUSTCHECK;

/*
 * The built-in RAG definition (static text): input (key "query") ->
 * retriever (top_k 5, the knowledge base of the inputs'
 * "knowledge_base_id", "collection" else) -> llm -> output; the
 * definition of a workflow that has none.
 */
const char	*ods_wf_builtin_rag(void);

/* ---- runs (wf_run.c) ---- */

#define ODS_WF_OUTPUT_MAX	((size_t)4 << 20)	/* a node's output */
#define ODS_WF_FLUSH_MS		50	/* outcome rows written at least */
#define ODS_WF_FLUSH_ROWS	500	/* ... or every this many rows */

/* What a run needs: the worker's pools and its job. */
struct ods_wf_env {
	struct ods_db		*db;
	struct ods_redis	*redis;		/* events, limits (or NULL) */
	const struct ods_conf	*conf;
	struct ods_llm		*llm;
	struct ods_rag		*rag;		/* retriever nodes (or NULL) */
	const struct ods_ds_ctx	*ds;		/* database nodes (or NULL) */
	int			 parallel;	/* 0: conf->wf_parallel */
	int			 attempt;	/* the job's attempt, 1 first */
	/* Non-zero when the run must stop (its job cancelled, shut down). */
	int			(*stopping)(void *arg);
	/* Non-zero when that stop is a cancel (NULL: every stop is). */
	int			(*cancelled)(void *arg);
	void			*arg;
};

struct ods_wf_outcome {
	char	 status[16];	/* completed | failed | stopped */
	char	 error[512];
	int64_t	 duration_ms;
	size_t	 nodes;		/* run by this call (not the resumed ones) */
	size_t	 resumed;	/* outcomes found recorded at the start */
	int	 written;	/* our final UPDATE matched the row */
};

/*
 * Run the execution exec_id (a row of workflow_executions, pending or
 * running) to its end: its definition snapshot (the built-in RAG graph
 * when NULL) on its inputs, as its creator (created_by) for ownership
 * checks, resuming after the nodes recorded in workflow_node_runs. The
 * run's end is written with a conditional UPDATE (a stopped row stays
 * stopped) and told in o. Returns ODS_OK when the run ended (whatever
 * its status: o says; also for a row already ended), ODS_ENOTFOUND (no
 * such row), or a database error before the run could start (the job
 * retries it). A cancel (env->cancelled) ends the run stopped; another
 * stop (the worker shutting down, its lease lost) leaves it running for
 * the next attempt of the job to resume, and returns ODS_ETIMEOUT.
 */
enum ods_err	 ods_wf_run(const struct ods_wf_env *, const char *exec_id,
		    struct ods_wf_outcome *o) ODS_MUSTCHECK;

#endif /* SVC_WF_H */
