/*
 * svc/agent/wf_expr.h — the small expression and template language of
 * workflow nodes (issue 18): conditions and switches, transforms
 * (templates, JSONPath-like picks), node outputs passed by reference
 * ("<node>.<field>"). Pure computation on json-c values: no eval of code,
 * no I/O, nothing read outside the scope the caller gives.
 *
 * Expressions (white space between tokens ignored), lowest precedence
 * first:
 *   a ? b : c                  right-associative; only one branch runs
 *   a || b, a or b             short-circuit; the value of a or of b
 *   a && b, a and b            short-circuit; the value of a or of b
 *   not a                      (Python's: not a == b is not (a == b))
 *   == != < <= > >= in, not in one per level (no chains)
 *   + -                        numbers; + also joins two strings
 *   * / %                      numbers; a zero divisor is an error
 *   -a, !a                     (C's: !a == b is (!a) == b)
 *   a.b  a[i]  a['k']  a[*]    fields, indexes (negative: from the end),
 *                              a[*] spreads: a[*].b is the b of each
 * Literals: 12, -3, 1.5, 2e-3, 'single' and "double" quoted strings with
 * \\ \' \" \n \t \r \/ \uXXXX escapes, true, false, null, [a, b].
 * A name (letters, digits, _; not a keyword) is the first segment of a
 * reference: the scope resolves it (a node id, "inputs"). Node ids with
 * other characters are reached with ref('my-node.output').
 * == is deep equality on any JSON (1 == 1.0; 1 != "1"); < <= > >= order
 * two numbers or two strings (bytewise), anything else is an error.
 * "x in y": an element of an array (deep equality), a substring of a
 * string, a key of an object.
 * Functions: len (UTF-8 characters of a string, elements, keys), lower,
 * upper, trim (ASCII), contains(a, b) (b in a), startswith, endswith,
 * int, float, number (parse a string), str (as a template renders it),
 * round(x[, digits]), abs, min, max (arguments or one array), join(list[,
 * sep]), split(str, sep), keys, type ("null", "boolean", "number",
 * "string", "array", "object"), ref(text) (ods_wf_ref), exists(ref)
 * (true when the reference resolves; never a not-found error),
 * default(a, b) (a, or b when a does not resolve or is null).
 *
 * Bounded: ODS_WF_EXPR_MAX bytes of source, ODS_WF_EXPR_DEPTH levels of
 * nesting, ODS_WF_STR_MAX bytes of a string result, ODS_WF_ARR_MAX
 * elements of an array result; no loops, so the work is linear in the
 * source and the size of the values it touches.
 *
 * Errors: ODS_EINVAL with why->msg naming the byte offset and the problem
 * ("at 7: unknown function 'eval'"): bad syntax, a source too long or
 * nested too deep, a type error, a division by zero, an unresolved
 * reference ("at 0: unknown name 'x'"; ods_wf_pick and ods_wf_ref say
 * ODS_ENOTFOUND instead). ODS_ETOOBIG: a value past ODS_WF_STR_MAX or
 * ODS_WF_ARR_MAX, a rendered template past its cap. ODS_ENOMEM.
 *
 * Values out are new references (release with ods_json_put()); JSON null
 * is the NULL pointer. They may share members with the scope's objects
 * (json-c reference counts): treat them as read-only.
 */
#ifndef SVC_WF_EXPR_H
#define SVC_WF_EXPR_H

#include <stddef.h>

#include "core/ods_err.h"

struct json_object;
struct ods_buf;		/* core/ods_mem.h */
struct ods_why;

#define ODS_WF_EXPR_MAX		4096		/* bytes of an expression */
#define ODS_WF_TMPL_MAX		(256 * 1024)	/* bytes of a rendered template */
#define ODS_WF_EXPR_DEPTH	64		/* nesting levels */
#define ODS_WF_STR_MAX		(1024 * 1024)	/* bytes of a string value */
#define ODS_WF_ARR_MAX		100000		/* elements of an array value */

/*
 * Names resolve through the scope: lookup(arg, name, len) returns the
 * borrowed object of the first path segment ("inputs", a node id), or NULL
 * (an unknown name is an error naming it). A NULL scope or lookup knows
 * no name.
 */
struct ods_wf_scope {
	struct json_object *(*lookup)(void *arg, const char *name, size_t len);
	void *arg;
};

/* Syntax only (no name resolved, nothing evaluated): validation on save. */
enum ods_err	 ods_wf_expr_check(const char *src, struct ods_why *)
		    ODS_MUSTCHECK;
/* Evaluate src; *out is a new reference (NULL: JSON null, or an error). */
enum ods_err	 ods_wf_expr_eval(const char *src, const struct ods_wf_scope *,
		    struct json_object **out, struct ods_why *) ODS_MUSTCHECK;
/* null, false, 0, "", [] and {} are false; anything else is true. */
int		 ods_wf_truthy(struct json_object *);

/*
 * JSONPath-like pick from root: "a.b[0].c", "items[*].name" (an array of
 * the picks that exist), "['key with.dot']", "" (root itself). A name
 * segment is any bytes but '.' and '['; an index is an integer (negative:
 * from the end), '*' or a quoted key. *out is a new reference.
 * ODS_ENOTFOUND when a segment is absent, ODS_EINVAL for a bad path
 * (why names it).
 */
enum ods_err	 ods_wf_pick(struct json_object *root, const char *path,
		    struct json_object **out, struct ods_why *) ODS_MUSTCHECK;
/*
 * A reference "node.field.sub[0]", "inputs.x" or just "node": its first
 * segment (any bytes but '.' and '[') through the scope, the rest as
 * ods_wf_pick. ODS_ENOTFOUND when the node or field is absent (why names
 * it), ODS_EINVAL for a bad reference.
 */
enum ods_err	 ods_wf_ref(const struct ods_wf_scope *, const char *ref,
		    struct json_object **out, struct ods_why *) ODS_MUSTCHECK;

/*
 * Template: each "{{ expr }}" placeholder is replaced by the value of the
 * expression (strings raw, null as "", others as JSON text), the rest is
 * copied; the text is appended to out. A literal "{{" is {{ '{{' }}.
 * ODS_ETOOBIG when the template or what it adds passes ODS_WF_TMPL_MAX
 * bytes (or out's own cap), ODS_EINVAL for a bad placeholder (offsets
 * in why are the template's).
 */
enum ods_err	 ods_wf_render(const char *tmpl, const struct ods_wf_scope *,
		    struct ods_buf *out, struct ods_why *) ODS_MUSTCHECK;
/*
 * Deep render of a JSON value (*out a new reference): every string is
 * rendered; a string that is exactly one "{{ expr }}" (white space
 * around it allowed) becomes the expression's typed value. Objects and
 * arrays are copied, other values shared. The embedded renders add up to
 * ODS_WF_STR_MAX bytes at most (ODS_ETOOBIG).
 */
enum ods_err	 ods_wf_render_json(struct json_object *tmpl,
		    const struct ods_wf_scope *, struct json_object **out,
		    struct ods_why *) ODS_MUSTCHECK;
/* Check that every placeholder of a template parses: validation on save. */
enum ods_err	 ods_wf_render_check(const char *tmpl, struct ods_why *)
		    ODS_MUSTCHECK;

#endif /* SVC_WF_EXPR_H */
