/*
 * svc/agent/wf_node.h — the node interface of the workflow engine: what
 * a node type (wf_node.c, wf_node_io.c) gets from the run (wf_run.c) and
 * the expression language (wf_glue.c). Only the engine's files include
 * it (svc/agent's one private header is agent_int.h; callers use wf.h).
 */
#ifndef SVC_WF_NODE_H
#define SVC_WF_NODE_H

#include <stddef.h>
#include <stdint.h>

#include "core/ods_err.h"
#include "wf.h"
#include "wf_expr.h"

struct json_object;
struct ods_buf;
struct ods_jw;
struct ods_tool_ctx;
struct ods_why;
struct ods_wf_def;
struct ods_wf_env;
struct ods_wf_node;
struct wf_run;

/*
 * The checks of the expression language (wf_expr.h) as validation uses
 * them: an expression (condition, switch, loop) and a template ("{{ a.b
 * }}" in strings). ODS_OK or ODS_EINVAL with why.
 */
enum ods_err	odsi_wf_expr_check(const char *, size_t, struct ods_why *);
enum ods_err	odsi_wf_template_check(const char *, size_t,
		    struct ods_why *);

/* A value a node's scope parsed once, by name (task-local). */
struct wf_val {
	char			 name[ODS_WF_ID_MAX + 1];
	struct json_object	*v;
};
#define WF_VALS		16

/*
 * One attempt of one node, on one thread of the run's pool. Its scope
 * resolves "inputs", node ids (their outputs, parsed from the recorded
 * text into objects of this task alone: json-c's reference counts are
 * not atomic, so no two threads share an object) and, inside a loop,
 * "item" and "index".
 */
struct wf_task {
	struct wf_run			*run;
	const struct ods_wf_def		*def;
	const struct ods_wf_node	*node;
	size_t				 idx;
	int				 attempt;
	int64_t				 deadline;	/* ods_now_ms() */
	struct ods_wf_scope		 scope;
	struct wf_val			 vals[WF_VALS];
	size_t				 nvals;
	struct json_object		*item;		/* a loop's */
	struct json_object		*index;
	/* What the node chose: condition 0/1 (-1 none), switch branch. */
	int				 cond;
	char				*branch;
	char				 error[512];
};

/* Non-zero when the task must give up: the run stops or its deadline. */
int		odsi_wf_task_stopping(struct wf_task *);
int		odsi_wf_task_stop_cb(void *task);
/* The run's environment, execution id and creator (owner of things). */
const struct ods_wf_env *odsi_wf_env(const struct wf_task *);
const char	*odsi_wf_exec_id(const struct wf_task *);
const char	*odsi_wf_owner(const struct wf_task *);
/* Milliseconds left before the task's deadline (at least 1). */
int		odsi_wf_left_ms(const struct wf_task *);
/* The error message of node idx when it ended in error, else NULL. */
const char	*odsi_wf_node_error(struct wf_task *, const char *ref);
/* An event of the run (JSON object text): best effort. */
void		odsi_wf_event(struct wf_run *, const char *json, size_t len);
/* A tool context as the run's creator, bounded by the task's deadline. */
void		odsi_wf_tool_ctx(struct wf_task *, struct ods_tool_ctx *);

/* ods_wf_ref / render / render_json / expr_eval with the task's scope. */
enum ods_err	odsi_wf_ref(struct wf_task *, const char *ref,
		    struct json_object **out);
enum ods_err	odsi_wf_render(struct wf_task *, const char *tmpl,
		    struct ods_buf *out);
/* A value as text: a string raw, null "", anything else its JSON. */
const char	*odsi_wf_value_text(struct json_object *);
/* Set t->error (printf) and return er. */
enum ods_err	odsi_wf_tfail(struct wf_task *, enum ods_err er,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * The node types: write the node's output object into jw (opened and
 * closed by the function). On failure t->error says why.
 */
typedef enum ods_err (*wf_node_fn)(struct wf_task *, struct ods_jw *);
wf_node_fn	odsi_wf_node_fn(int type);

enum ods_err	odsi_wf_n_input(struct wf_task *, struct ods_jw *);
enum ods_err	odsi_wf_n_output(struct wf_task *, struct ods_jw *);
enum ods_err	odsi_wf_n_condition(struct wf_task *, struct ods_jw *);
enum ods_err	odsi_wf_n_switch(struct wf_task *, struct ods_jw *);
enum ods_err	odsi_wf_n_loop(struct wf_task *, struct ods_jw *);
enum ods_err	odsi_wf_n_merge(struct wf_task *, struct ods_jw *);
enum ods_err	odsi_wf_n_transform(struct wf_task *, struct ods_jw *);
enum ods_err	odsi_wf_n_llm(struct wf_task *, struct ods_jw *);
enum ods_err	odsi_wf_n_retriever(struct wf_task *, struct ods_jw *);
enum ods_err	odsi_wf_n_http(struct wf_task *, struct ods_jw *);
enum ods_err	odsi_wf_n_database(struct wf_task *, struct ods_jw *);
enum ods_err	odsi_wf_n_tool_call(struct wf_task *, struct ods_jw *);
enum ods_err	odsi_wf_n_agent(struct wf_task *, struct ods_jw *);

#endif /* SVC_WF_NODE_H */
