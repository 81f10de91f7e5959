/*
 * svc/agent/wf_expr_int.h — what the four files of the workflow
 * expression language share (wf_expr.c: the parser and its operators,
 * wf_val.c: values, literals and path steps, wf_fn.c: the functions,
 * wf_tmpl.c: picks, references and templates).
 * Included only by them.
 */
#ifndef SVC_WF_EXPR_INT_H
#define SVC_WF_EXPR_INT_H

#include <stddef.h>

#include "core/ods_err.h"

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

#endif /* SVC_WF_EXPR_INT_H */
