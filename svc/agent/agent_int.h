/*
 * svc/agent/agent_int.h — what the files of svc/agent share and nobody
 * else: cell readers, the KB lock, the per-process index entries of
 * rag_index.c and rag_search.c, the parts of the workflow expression
 * language.
 */
#ifndef SVC_AGENT_INT_H
#define SVC_AGENT_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ods_err.h"

struct ods_db_conn;
struct ods_db_res;

/* "<prefix>-<12 hex>" from the kernel's random bytes into out[len]. */
void		 kbi_new_id(const char *prefix, char *out, size_t len);
/*
 * In an open transaction: lock the KB's row (the order of its chunk
 * seqs, kb.h). ODS_ENOTFOUND when the KB is gone or deleted.
 */
enum ods_err	 kbi_lock(struct ods_db_conn *, int64_t kb) ODS_MUSTCHECK;
/*
 * In the caller's transaction, after kbi_lock: every live chunk of the KB
 * marked deleted with a new seq (what the indexes follow).
 */
enum ods_err	 kbi_chunks_drop(struct ods_db_conn *, int64_t kb)
		    ODS_MUSTCHECK;
/* Recount a KB's documents and chunks (in the caller's transaction). */
enum ods_err	 kbi_recount(struct ods_db_conn *, int64_t kb) ODS_MUSTCHECK;

/* ISO-8601 UTC of a DATETIME(3) column, for SELECT lists. */
#define KBI_TS(col)	"DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%sZ')"

struct ods_db;
struct ods_kb;
struct ods_kw;
struct ods_llm;
struct ods_vec;

/*
 * The indexes of one KB (and model) in this process. mu serialises
 * opening and applying changes; rw guards the handles: searches hold it
 * shared, replacing a handle holds it exclusively.
 */
struct rag_ent {
	int64_t		 kb;
	uint32_t	 dim;
	uint32_t	 model_hash;
	int		 derived;	/* ods_kb_vectors_derived */
	pthread_mutex_t	 mu;
	pthread_rwlock_t rw;
	struct ods_vec	*vec;
	struct ods_kw	*kw;
	int		 writer;
	int64_t		 refreshed_ms;
	int64_t		 changed_ms;	/* the writer last applied a change */
	uint64_t	 kw_changes;	/* since the keyword index's optimize */
	struct rag_ent	*next;
};

struct ods_rag {
	char		*root;
	struct ods_db	*db;
	struct ods_llm	*llm;
	pthread_mutex_t	 mu;		/* the list, and the merge thread's */
	struct rag_ent	*ents;
	/* The merge thread ("ods-merge"), made on the first merge. */
	pthread_t	 mth;
	pthread_cond_t	 mcv;
	int		 mrunning;	/* 1, 0 not yet, -1 could not be */
	int		 mbusy;		/* a merge asked for or running */
	int		 mstop;
	struct rag_ent	*mnext;		/* to merge, NULL: none */
	int		 mall;
};

/* The entry of kb (made on first use; lives as long as rg). */
struct rag_ent	*rag_ent(struct ods_rag *, const struct ods_kb *);
enum ods_err	 rag_ent_sync(struct ods_rag *, struct rag_ent *, int wait_ms)
		    ODS_MUSTCHECK;
/*
 * The same with the database's last seq of the KB already known (want,
 * read with the KB's row: struct ods_kb's last_seq), which spares a query.
 */
enum ods_err	 rag_ent_sync_to(struct ods_rag *, struct rag_ent *,
		    int wait_ms, uint64_t want) ODS_MUSTCHECK;

/* Built-in tools in their own files (tool.h): the run functions. */
struct json_object;
struct ods_jw;
struct ods_tool_ctx;
struct ods_why;
enum ods_err	 odsi_tool_datetime(const struct ods_tool_ctx *,
		    struct json_object *, struct ods_jw *, struct ods_why *);
enum ods_err	 odsi_tool_http(const struct ods_tool_ctx *,
		    struct json_object *, struct ods_jw *, struct ods_why *);
/*
 * url an http(s) URL without credentials (ODS_EINVAL) on a host
 * HTTP_TOOL_ALLOWED_DOMAINS names (ODS_EFORBIDDEN); why names field.
 * No lookup: the address policy is the run's.
 */
struct ods_conf;
enum ods_err	 odsi_tool_url_check(const struct ods_conf *, const char *url,
		    const char *field, struct ods_why *);
enum ods_err	 odsi_tool_sql(const struct ods_tool_ctx *,
		    struct json_object *, struct ods_jw *, struct ods_why *);
enum ods_err	 odsi_tool_t2s(const struct ods_tool_ctx *,
		    struct json_object *, struct ods_jw *, struct ods_why *);
/*
 * Run the read-only sql on source_id as the caller (svc/data/query.h),
 * at most limit rows, written to jw as {columns, rows, row_count,
 * truncated, query_id}. The errors of ods_query_execute (why: the
 * database's words).
 */
enum ods_err	 odsi_sql_rows(const struct ods_tool_ctx *,
		    const char *source_id, const char *sql, int64_t limit,
		    struct ods_jw *, struct ods_why *);

/* ---- one agent run (agent.c, agent_react.c) ---- */

#include "core/ods_mem.h"

struct ods_agent_io;
struct ods_agent_result;
struct ods_agent_spec;

#define AGENT_SYSTEM	"You are a helpful assistant. Use the tools when " \
	"they help; answer the user's question directly when you know the " \
	"answer."

struct ods_toolset;

/*
 * One run. The tool calls of one answer run in parallel threads: they
 * share only the events (emit_mu serialises them and guards gone) and
 * read the rest.
 */
struct agent_run {
	const struct ods_tool_ctx	*tc;
	const struct ods_agent_spec	*spec;
	const struct ods_agent_io	*io;
	struct ods_agent_result		*res;
	struct ods_toolset		*set;	/* the tools offered */
	pthread_mutex_t			 emit_mu;
	char				 reqid[72];	/* for the threads' logs */
	struct ods_buf			 msgs;	/* "[" and messages, no "]" */
	int				 msgs_full;
	int				 calls;	/* model calls made */
	int				 done;
	int				 gone;	/* nobody listens */
};

/* The run's system prompt: the spec's (a template's), or AGENT_SYSTEM. */
const char	*agent_system(const struct agent_run *);
void		 agent_add(struct ods_buf *, const char *, size_t);
void		 agent_addf(struct ods_buf *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
/* Send the event in b (freed); 1 when the listener is gone. */
int		 agent_emit(struct agent_run *, struct ods_buf *b);
int		 agent_event(struct agent_run *, const char *type,
		    const char *key, const char *val);
int		 agent_step(struct agent_run *, const char *type,
		    const char *content, size_t len, const char *output,
		    size_t olen);
void		 agent_msg(struct agent_run *, const char *role,
		    const char *content, size_t len, const char *tool_call_id);
void		 agent_msg_raw(struct agent_run *, const char *json,
		    size_t len);
enum ods_err	 agent_llm(struct agent_run *, const char *tools_json,
		    char **out);
int		 agent_tool_allowed(const struct agent_run *, const char *);
/*
 * Run one tool (any thread): tool_start, the result (or {"error":...})
 * in out, tool_end; id (may be NULL) is the call's, in both events.
 */
void		 agent_tool(struct agent_run *, const char *name,
		    const char *args, size_t len, const char *id,
		    struct ods_buf *out);
void		 agent_final(struct agent_run *, const char *answer);
void		 agent_fail(struct agent_run *, const char *msg);
int		 agent_next(struct agent_run *);
/*
 * Model calls until answer() says the run is over (1) or agent_next
 * stops it: answer gets each call's output (message JSON with
 * tools_json, else text). The error of a failed call, or ODS_OK.
 */
enum ods_err	 agent_loop(struct agent_run *, const char *tools_json,
		    int (*answer)(struct agent_run *, const char *));
/* ReAct, and plan_execute (agent_react.c). */
enum ods_err	 agent_react(struct agent_run *);

/* ---- workflows (workflow.c, wf_exec.c, wf_sched.c) ---- */

/* 1 when v is one of the NULL-ended set. */
int		 wfi_one_of(const char *v, const char *const *set);
/* "<prefix>-<2 * nbytes hex>" from the kernel's random bytes. */
void		 wfi_new_id(const char *prefix, size_t nbytes, char *out,
		    size_t len);
/* The number "123" is, or -1. */
int64_t		 wfi_numeric(const char *);
/*
 * Member f of o as JSON object text (borrowed from o): an object, or a
 * string holding one; *out NULL when absent or null. ODS_EINVAL naming f
 * otherwise or past max bytes.
 */
enum ods_err	 wfi_json_field(struct json_object *o, const char *f,
		    size_t max, const char **out, struct ods_why *)
		    ODS_MUSTCHECK;
/* Stored JSON text as a value of jw (null when absent or unreadable). */
void		 wfi_raw_json(struct ods_jw *, const char *txt);
/* Every schedule of a workflow, platform schedules first (wf_sched.c). */
enum ods_err	 wfi_sched_delete_all(struct ods_db *, const char *workflow_id)
		    ODS_MUSTCHECK;

/* ISO-8601 UTC with milliseconds of a DATETIME(3) column. */
#define WFI_TS3(col)	"DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%s.%fZ')"

/*
 * The workflow expression language (wf_expr.h) in four files: wf_expr.c
 * the parser and its operators, wf_val.c values, literals and path steps,
 * wf_fn.c the functions, wf_tmpl.c picks, references and templates.
 */
struct json_object;
struct ods_buf;
struct ods_why;
struct ods_wf_scope;

/*
 * One parse of one source: s[i..n) is what is left. Values are computed
 * only while run is set; with it clear the same functions only parse
 * (the branch not taken, ods_wf_expr_check). soft is set inside the
 * argument of exists() and default(): an unresolved reference there sets
 * missing and clears run for the rest of the argument instead of failing.
 */
struct wf_ev {
	const char			*s;
	size_t				 n;
	size_t				 i;
	int				 depth;
	int				 run;
	int				 soft;
	int				 missing;
	enum ods_err			 miss_er;	/* unresolved: EINVAL, ENOTFOUND */
	const struct ods_wf_scope	*sc;
	enum ods_err			 er;
	struct ods_why			*why;
};

/* One step of a path: a key (k, kl bytes) or an index. */
struct wf_seg {
	const char	*k;
	size_t		 kl;
	long long	 idx;
	int		 is_idx;
};

void		 odsi_wf_init(struct wf_ev *, const char *s, size_t n,
		    const struct ods_wf_scope *, int run, struct ods_why *);
/* Record the first error (er, "at <at>: <msg>"); returns NULL. */
struct json_object *odsi_wf_fail(struct wf_ev *, enum ods_err, size_t at,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* An unresolved reference: the soft rule, or the error c->miss_er. */
struct json_object *odsi_wf_missing(struct wf_ev *, size_t at,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void		 odsi_wf_skip(struct wf_ev *);
/* One expression at s[i] (the lowest level); a new reference. */
struct json_object *odsi_wf_expr(struct wf_ev *);
/* The number at s[i]; a new reference (NULL on error or !run). */
struct json_object *odsi_wf_number(struct wf_ev *);
/* A quoted string at s[i]; a new reference (NULL on error or !run). */
struct json_object *odsi_wf_string(struct wf_ev *);
/*
 * v (consumed) one step further; spread: v is an array and the step
 * applies to each element (a '*' step flattens one level). what: the
 * text of the path so far, for messages.
 */
struct json_object *odsi_wf_step(struct wf_ev *, struct json_object *v,
		    const struct wf_seg *, int star, int spread, size_t at,
		    const char *what, size_t wl);
/* The operator o next (consumed); o expected (c->er set when not). */
int		 odsi_wf_op(struct wf_ev *, const char *o);
int		 odsi_wf_expect(struct wf_ev *, const char *o);
/* Order two numbers or two strings: <0, 0, >0; 2 for anything else. */
int		 odsi_wf_order(struct json_object *, struct json_object *);
/* "l in r": 1, 0, or -1 (c->er set). */
int		 odsi_wf_member(struct wf_ev *, struct json_object *l,
		    struct json_object *r, size_t at);
/* The call of function name (nl bytes) after its '('. */
struct json_object *odsi_wf_call(struct wf_ev *, const char *name,
		    size_t nl, size_t at);

/* Constructors that turn an allocation failure into c->er. */
struct json_object *odsi_wf_oom(struct wf_ev *);
struct json_object *odsi_wf_bool(struct wf_ev *, int);
struct json_object *odsi_wf_int(struct wf_ev *, long long);
struct json_object *odsi_wf_dbl(struct wf_ev *, double, size_t at);
struct json_object *odsi_wf_str(struct wf_ev *, const char *, size_t,
		    size_t at);
struct json_object *odsi_wf_arr(struct wf_ev *);
/* Append v to the array a (consumed); 0 when it failed (c->er set). */
int		 odsi_wf_push(struct wf_ev *, struct json_object *a,
		    struct json_object *v, size_t at);

/* Deep equality (1 == 1.0); -1 when nested too deep to tell. */
int		 odsi_wf_equal(struct json_object *, struct json_object *,
		    int depth);
/* "null", "boolean", "number", "string", "array", "object". */
const char	*odsi_wf_type(struct json_object *);
int		 odsi_wf_isnum(struct json_object *);
double		 odsi_wf_num(struct json_object *);
/* Append v as a template shows it (strings raw, null as ""). */
enum ods_err	 odsi_wf_text(struct json_object *, struct ods_buf *);

#endif /* SVC_AGENT_INT_H */
