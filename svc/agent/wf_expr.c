/*
 * svc/agent/wf_expr.c — the workflow expression language of wf_expr.h:
 * a recursive descent parser that evaluates as it parses (no AST), one
 * function per precedence level:
 *
 *   expr    = or [ "?" expr ":" expr ]
 *   or      = and { ("||" | "or") and }
 *   and     = not { ("&&" | "and") not }
 *   not     = "not" not | cmp
 *   cmp     = add [ ("==" | "!=" | "<" | "<=" | ">" | ">=" | "in"
 *                   | "not" "in") add ]
 *   add     = mul { ("+" | "-") mul }
 *   mul     = unary { ("*" | "/" | "%") unary }
 *   unary   = ("-" | "!") unary | postfix
 *   postfix = primary { "." name | "[" "*" "]" | "[" expr "]" }
 *   primary = number | string | "true" | "false" | "null"
 *           | "[" [ expr { "," expr } ] "]" | "(" expr ")"
 *           | name "(" args ")" | name
 *
 * Every function returns a new reference (NULL is JSON null) and leaves
 * c->er set on the first error, after which the callers only unwind.
 * The branch not taken (a short-circuit, the other side of "?:") is
 * parsed with c->run clear, so it is checked for syntax and costs no
 * evaluation: the work is one pass over the source. Recursion always
 * goes through odsi_wf_expr() or unary()/not(), which count the depth.
 */
#include "config.h"

#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_err.h"
#include "core/ods_json.h"
#include "core/ods_mem.h"
#include "agent_int.h"
#include "wf_expr.h"

void
odsi_wf_init(struct wf_ev *c, const char *s, size_t n,
    const struct ods_wf_scope *sc, int run, struct ods_why *why)
{
	memset(c, 0, sizeof(*c));
	c->s = s;
	c->n = n;
	c->sc = sc;
	c->run = run;
	c->depth = -1;	/* the first odsi_wf_expr() is level 0 */
	c->miss_er = ODS_EINVAL;
	c->why = why;
}

/* After a part parsed with run forced: back to orun, unless gone soft. */
static void
restore(struct wf_ev *c, int orun)
{
	c->run = orun && !c->missing;
}

void
odsi_wf_skip(struct wf_ev *c)
{
	while (c->i < c->n && (c->s[c->i] == ' ' || c->s[c->i] == '\t' ||
	    c->s[c->i] == '\n' || c->s[c->i] == '\r'))
		c->i++;
}

static int
peek(struct wf_ev *c)
{
	odsi_wf_skip(c);
	return c->i < c->n ? (unsigned char)c->s[c->i] : 0;
}

static int
is_alpha(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    ch == '_';
}

static int
is_digit(int ch)
{
	return ch >= '0' && ch <= '9';
}

/* The operator op (one or two bytes) next; consumed. */
static int
op(struct wf_ev *c, const char *o)
{
	size_t	l = strlen(o);

	odsi_wf_skip(c);
	if (c->n - c->i < l || memcmp(c->s + c->i, o, l) != 0)
		return 0;
	c->i += l;
	return 1;
}

/* The keyword w next, as a whole word; consumed. */
static int
word(struct wf_ev *c, const char *w)
{
	size_t	l = strlen(w);

	odsi_wf_skip(c);
	if (c->n - c->i < l || memcmp(c->s + c->i, w, l) != 0 ||
	    (c->i + l < c->n && (is_alpha((unsigned char)c->s[c->i + l]) ||
	    is_digit((unsigned char)c->s[c->i + l]))))
		return 0;
	c->i += l;
	return 1;
}

/* The length of the name at s[i] (0: none). */
static size_t
name_len(struct wf_ev *c)
{
	size_t	j = c->i;

	if (j >= c->n || !is_alpha((unsigned char)c->s[j]))
		return 0;
	while (j < c->n && (is_alpha((unsigned char)c->s[j]) ||
	    is_digit((unsigned char)c->s[j])))
		j++;
	return j - c->i;
}

static int
expect(struct wf_ev *c, const char *o)
{
	if (c->er != ODS_OK)
		return 0;
	if (op(c, o))
		return 1;
	if (c->i >= c->n)
		odsi_wf_fail(c, ODS_EINVAL, c->i, "expected '%s' at the end",
		    o);
	else
		odsi_wf_fail(c, ODS_EINVAL, c->i, "expected '%s', not '%c'",
		    o, c->s[c->i]);
	return 0;
}

int
odsi_wf_op(struct wf_ev *c, const char *o)
{
	return op(c, o);
}

int
odsi_wf_expect(struct wf_ev *c, const char *o)
{
	return expect(c, o);
}

/* "[" a, b, ... "]" after its "[". */
static struct json_object *
array(struct wf_ev *c, size_t at)
{
	struct json_object	*a = NULL, *v;

	if (c->run && (a = odsi_wf_arr(c)) == NULL)
		return NULL;
	if (!op(c, "]")) {
		do {
			v = odsi_wf_expr(c);
			if (c->er != ODS_OK)
				break;
			if (c->run && !odsi_wf_push(c, a, v, at))
				break;
		} while (op(c, ","));
		expect(c, "]");
	}
	if (c->er != ODS_OK || !c->run) {
		ods_json_put(a);
		return NULL;
	}
	return a;
}

/* --- references ----------------------------------------------------- */

/* The index of "[ expr ]" as a step: a number or a key. */
static int
index_seg(struct wf_ev *c, struct json_object *x, struct wf_seg *sg,
    size_t at)
{
	double	d;

	memset(sg, 0, sizeof(*sg));
	if (json_object_is_type(x, json_type_string)) {
		sg->k = json_object_get_string(x);
		sg->kl = (size_t)json_object_get_string_len(x);
		return 1;
	}
	if (odsi_wf_isnum(x)) {
		d = odsi_wf_num(x);
		if (d == floor(d) && fabs(d) < 1e15) {
			sg->is_idx = 1;
			sg->idx = json_object_is_type(x, json_type_int) ?
			    json_object_get_int64(x) : (long long)d;
			return 1;
		}
	}
	odsi_wf_fail(c, ODS_EINVAL, at, "an index is an integer or a "
	    "string, not %s", odsi_wf_type(x));
	return 0;
}

/* The steps after a primary (v consumed) that started at 'from'. */
static struct json_object *
postfix(struct wf_ev *c, struct json_object *v, size_t from)
{
	struct json_object	*x;
	struct wf_seg		 sg;
	size_t			 at, l, end;
	int			 spread = 0, star;

	for (;;) {
		end = c->i;
		at = (odsi_wf_skip(c), c->i);
		star = 0;
		memset(&sg, 0, sizeof(sg));
		if (op(c, ".")) {
			odsi_wf_skip(c);
			if ((l = name_len(c)) == 0)
				return ods_json_put(v), odsi_wf_fail(c,
				    ODS_EINVAL, c->i, "expected a name "
				    "after '.'");
			sg.k = c->s + c->i;
			sg.kl = l;
			c->i += l;
			x = NULL;
		} else if (op(c, "[")) {
			if (op(c, "*")) {
				star = 1;
				x = NULL;
			} else {
				x = odsi_wf_expr(c);
				if (c->er == ODS_OK && c->run &&
				    !index_seg(c, x, &sg, at)) {
					ods_json_put(x);
					x = NULL;
				}
			}
			if (!expect(c, "]")) {
				ods_json_put(x);
				return ods_json_put(v), NULL;
			}
		} else {
			c->i = end;
			return v;
		}
		if (c->run)
			v = odsi_wf_step(c, v, &sg, star, spread, at,
			    c->s + from, end - from);
		ods_json_put(x);	/* after the step: sg.k may be in it */
		if (c->er != ODS_OK)
			return NULL;
		spread |= star;
	}
}

/* A name at s[i]: a keyword, a call, or a reference through the scope. */
static struct json_object *
name(struct wf_ev *c)
{
	struct json_object	*v = NULL;
	const char		*p = c->s + c->i;
	size_t			 at = c->i, l = name_len(c);

	if (word(c, "true"))
		return c->run ? odsi_wf_bool(c, 1) : NULL;
	if (word(c, "false"))
		return c->run ? odsi_wf_bool(c, 0) : NULL;
	if (word(c, "null"))
		return NULL;
	if (word(c, "and") || word(c, "or") || word(c, "not") ||
	    word(c, "in"))
		return odsi_wf_fail(c, ODS_EINVAL, at, "unexpected '%.*s'",
		    (int)l, p);
	c->i += l;
	if (op(c, "("))
		return odsi_wf_call(c, p, l, at);
	if (!c->run)
		return NULL;
	if (c->sc != NULL && c->sc->lookup != NULL)
		v = c->sc->lookup(c->sc->arg, p, l);
	if (v == NULL)
		return odsi_wf_missing(c, at, "unknown name '%.*s'",
		    (int)(l > 60 ? 60 : l), p);
	return json_object_get(v);
}

static struct json_object *
primary(struct wf_ev *c)
{
	struct json_object	*v;
	size_t			 at;
	int			 ch = peek(c);

	at = c->i;
	if (ch == '(') {
		c->i++;
		v = odsi_wf_expr(c);
		if (!expect(c, ")"))
			return ods_json_put(v), NULL;
	} else if (ch == '[') {
		c->i++;
		v = array(c, at);
	} else if (ch == '\'' || ch == '"') {
		v = odsi_wf_string(c);
	} else if (is_digit(ch) || (ch == '.' && c->i + 1 < c->n &&
	    is_digit((unsigned char)c->s[c->i + 1]))) {
		v = odsi_wf_number(c);
	} else if (is_alpha(ch)) {
		v = name(c);
	} else if (ch == 0) {
		return odsi_wf_fail(c, ODS_EINVAL, at, "unexpected end");
	} else {
		return odsi_wf_fail(c, ODS_EINVAL, at, "unexpected '%c'",
		    ch);
	}
	if (c->er != ODS_OK)
		return ods_json_put(v), NULL;
	return postfix(c, v, at);
}

/* --- operators ------------------------------------------------------ */

static int
deeper(struct wf_ev *c, size_t at)
{
	if (++c->depth > ODS_WF_EXPR_DEPTH) {
		odsi_wf_fail(c, ODS_EINVAL, at, "nested deeper than %d "
		    "levels", ODS_WF_EXPR_DEPTH);
		return 0;
	}
	return 1;
}

static struct json_object *
unary(struct wf_ev *c)
{
	struct json_object	*v, *r = NULL;
	size_t			 at;
	int			 neg;

	at = (odsi_wf_skip(c), c->i);
	if (c->i + 1 < c->n && c->s[c->i] == '!' && c->s[c->i + 1] == '=')
		return primary(c);	/* let primary name the '!' */
	if (!op(c, "-") && !op(c, "!"))
		return primary(c);
	neg = c->s[at] == '-';
	if (!deeper(c, at))
		return NULL;
	v = unary(c);
	c->depth--;
	if (c->er != ODS_OK || !c->run)
		return ods_json_put(v), NULL;
	if (!neg)
		r = odsi_wf_bool(c, !ods_wf_truthy(v));
	else if (json_object_is_type(v, json_type_int) &&
	    json_object_get_int64(v) != INT64_MIN)
		r = odsi_wf_int(c, -json_object_get_int64(v));
	else if (odsi_wf_isnum(v))
		r = odsi_wf_dbl(c, -odsi_wf_num(v), at);
	else
		odsi_wf_fail(c, ODS_EINVAL, at, "cannot negate %s",
		    odsi_wf_type(v));
	ods_json_put(v);
	return r;
}

/* l op r on two numbers; ints stay ints while they fit. */
static struct json_object *
arith(struct wf_ev *c, int o, struct json_object *l, struct json_object *r,
    size_t at)
{
	long long	a, b, x;
	double		d, e;

	if (!odsi_wf_isnum(l) || !odsi_wf_isnum(r))
		return odsi_wf_fail(c, ODS_EINVAL, at, "cannot apply '%c' to "
		    "%s and %s", o, odsi_wf_type(l), odsi_wf_type(r));
	d = odsi_wf_num(l);
	e = odsi_wf_num(r);
	if ((o == '/' || o == '%') && e == 0)
		return odsi_wf_fail(c, ODS_EINVAL, at, "division by zero");
	if (json_object_is_type(l, json_type_int) &&
	    json_object_is_type(r, json_type_int)) {
		a = json_object_get_int64(l);
		b = json_object_get_int64(r);
		if ((o == '+' && !__builtin_add_overflow(a, b, &x)) ||
		    (o == '-' && !__builtin_sub_overflow(a, b, &x)) ||
		    (o == '*' && !__builtin_mul_overflow(a, b, &x)))
			return odsi_wf_int(c, x);
		if (o == '%')
			return odsi_wf_int(c, b == -1 ? 0 : a % b);
		if (o == '/' && b != -1 && a % b == 0)
			return odsi_wf_int(c, a / b);
	}
	switch (o) {
	case '+':
		return odsi_wf_dbl(c, d + e, at);
	case '-':
		return odsi_wf_dbl(c, d - e, at);
	case '*':
		return odsi_wf_dbl(c, d * e, at);
	case '/':
		return odsi_wf_dbl(c, d / e, at);
	default:
		return odsi_wf_dbl(c, fmod(d, e), at);
	}
}

static struct json_object *
concat(struct wf_ev *c, struct json_object *l, struct json_object *r,
    size_t at)
{
	struct json_object	*v;
	size_t			 a, b;
	char			*p;

	a = (size_t)json_object_get_string_len(l);
	b = (size_t)json_object_get_string_len(r);
	if (a + b > ODS_WF_STR_MAX)
		return odsi_wf_str(c, "", a + b, at);	/* the error */
	if ((p = malloc(a + b + 1)) == NULL)
		return odsi_wf_oom(c);
	memcpy(p, json_object_get_string(l), a);
	memcpy(p + a, json_object_get_string(r), b);
	v = odsi_wf_str(c, p, a + b, at);
	free(p);
	return v;
}

/* One binary level: next parses an operand, ops its operators. */
static struct json_object *
binary(struct wf_ev *c, struct json_object *(*next)(struct wf_ev *),
    const char *ops)
{
	struct json_object	*l, *r, *v;
	size_t			 at;
	int			 o;

	l = next(c);
	while (c->er == ODS_OK && (o = peek(c)) != 0 &&
	    strchr(ops, o) != NULL) {
		at = c->i++;
		r = next(c);
		v = NULL;
		if (c->er == ODS_OK && c->run) {
			if (o == '+' && json_object_is_type(l,
			    json_type_string) && json_object_is_type(r,
			    json_type_string))
				v = concat(c, l, r, at);
			else
				v = arith(c, o, l, r, at);
		}
		ods_json_put(l);
		ods_json_put(r);
		l = v;
	}
	if (c->er != ODS_OK)
		return ods_json_put(l), NULL;
	return l;
}

static struct json_object *
mul(struct wf_ev *c)
{
	return binary(c, unary, "*/%");
}

static struct json_object *
add(struct wf_ev *c)
{
	return binary(c, mul, "+-");
}

int
odsi_wf_order(struct json_object *l, struct json_object *r)
{
	size_t	a, b;
	int	k;

	if (odsi_wf_isnum(l) && odsi_wf_isnum(r)) {
		if (json_object_is_type(l, json_type_int) &&
		    json_object_is_type(r, json_type_int))
			return (json_object_get_int64(l) >
			    json_object_get_int64(r)) -
			    (json_object_get_int64(l) <
			    json_object_get_int64(r));
		return (odsi_wf_num(l) > odsi_wf_num(r)) -
		    (odsi_wf_num(l) < odsi_wf_num(r));
	}
	if (!json_object_is_type(l, json_type_string) ||
	    !json_object_is_type(r, json_type_string))
		return 2;
	a = (size_t)json_object_get_string_len(l);
	b = (size_t)json_object_get_string_len(r);
	k = memcmp(json_object_get_string(l), json_object_get_string(r),
	    a < b ? a : b);
	return k != 0 ? (k > 0) - (k < 0) : (a > b) - (a < b);
}

int
odsi_wf_member(struct wf_ev *c, struct json_object *l, struct json_object *r,
    size_t at)
{
	size_t	i;
	int	e;

	if (json_object_is_type(r, json_type_array)) {
		for (i = 0; i < json_object_array_length(r); i++)
			if ((e = odsi_wf_equal(l,
			    json_object_array_get_idx(r, i), 0)) != 0)
				goto eq;
		return 0;
	}
	if (json_object_is_type(r, json_type_string) &&
	    json_object_is_type(l, json_type_string))
		return memmem(json_object_get_string(r),
		    (size_t)json_object_get_string_len(r),
		    json_object_get_string(l),
		    (size_t)json_object_get_string_len(l)) != NULL ||
		    json_object_get_string_len(l) == 0;
	if (json_object_is_type(r, json_type_object) &&
	    json_object_is_type(l, json_type_string))
		return json_object_object_get_ex(r,
		    json_object_get_string(l), NULL);
	odsi_wf_fail(c, ODS_EINVAL, at, "cannot look for %s in %s",
	    odsi_wf_type(l), odsi_wf_type(r));
	return -1;
eq:
	if (e < 0)
		odsi_wf_fail(c, ODS_EINVAL, at, "values nested too deep to "
		    "compare");
	return e;
}

static const char *const cmp_ops[] = {
	"==", "!=", "<=", ">=", "<", ">", "in", "not"
};

static struct json_object *
cmp(struct wf_ev *c)
{
	struct json_object	*l, *r, *v = NULL;
	size_t			 at, k;
	int			 o, t = 0;

	l = add(c);
	if (c->er != ODS_OK)
		return NULL;
	at = (odsi_wf_skip(c), c->i);
	for (k = 0; k < ODS_NELEM(cmp_ops); k++)
		if (k >= 6 ? word(c, cmp_ops[k]) : op(c, cmp_ops[k]))
			break;
	if (k == 7 && !word(c, "in")) {	/* "not" without "in" */
		c->i = at;
		k = ODS_NELEM(cmp_ops);
	}
	if (k == ODS_NELEM(cmp_ops))
		return l;
	r = add(c);
	if (c->er == ODS_OK && c->run) {
		if (k <= 1) {
			t = odsi_wf_equal(l, r, 0);
			if (t < 0)
				odsi_wf_fail(c, ODS_EINVAL, at, "values nested "
				    "too deep to compare");
			t = k == 0 ? t : !t;
		} else if (k <= 5) {
			if ((o = odsi_wf_order(l, r)) == 2)
				odsi_wf_fail(c, ODS_EINVAL, at, "cannot compare "
				    "%s and %s", odsi_wf_type(l),
				    odsi_wf_type(r));
			t = k == 2 ? o <= 0 : k == 3 ? o >= 0 : k == 4 ?
			    o < 0 : o > 0;
		} else if ((t = odsi_wf_member(c, l, r, at)) >= 0)
			t = k == 6 ? t : !t;
		if (c->er == ODS_OK)
			v = odsi_wf_bool(c, t);
	}
	ods_json_put(l);
	ods_json_put(r);
	return v;
}

static struct json_object *
not(struct wf_ev *c)
{
	struct json_object	*v, *r = NULL;
	size_t			 at;

	at = (odsi_wf_skip(c), c->i);
	if (!word(c, "not"))
		return cmp(c);
	if (!deeper(c, at))
		return NULL;
	v = not(c);
	c->depth--;
	if (c->er == ODS_OK && c->run)
		r = odsi_wf_bool(c, !ods_wf_truthy(v));
	ods_json_put(v);
	return r;
}

/* and/or: the value of the left side when it decides, else the right. */
static struct json_object *
logic(struct wf_ev *c, int is_or)
{
	struct json_object	*l, *r;
	int			 orun;

	l = is_or ? logic(c, 0) : not(c);
	while (c->er == ODS_OK && (is_or ? op(c, "||") || word(c, "or") :
	    op(c, "&&") || word(c, "and"))) {
		orun = c->run;
		if (c->run && ods_wf_truthy(l) == is_or)
			c->run = 0;
		r = is_or ? logic(c, 0) : not(c);
		if (c->run) {
			ods_json_put(l);
			l = r;
		} else
			ods_json_put(r);
		restore(c, orun);
	}
	if (c->er != ODS_OK)
		return ods_json_put(l), NULL;
	return l;
}

static struct json_object *
ternary(struct wf_ev *c)
{
	struct json_object	*v, *a, *b;
	int			 orun, t;

	v = logic(c, 1);
	if (c->er != ODS_OK || !op(c, "?"))
		return v;
	orun = c->run;
	t = ods_wf_truthy(v);
	ods_json_put(v);
	c->run = orun && t;
	a = odsi_wf_expr(c);
	restore(c, orun);
	if (!expect(c, ":"))
		return ods_json_put(a), NULL;
	c->run = orun && !t;
	b = odsi_wf_expr(c);
	restore(c, orun);
	if (c->er != ODS_OK || !c->run) {
		ods_json_put(a);
		ods_json_put(b);
		return NULL;
	}
	ods_json_put(t ? b : a);
	return t ? a : b;
}

struct json_object *
odsi_wf_expr(struct wf_ev *c)
{
	struct json_object	*v;

	if (!deeper(c, (odsi_wf_skip(c), c->i)))
		return NULL;
	v = ternary(c);
	c->depth--;
	return v;
}

/* --- entry points --------------------------------------------------- */

static enum ods_err
whole(const char *src, const struct ods_wf_scope *sc, int run,
    struct json_object **out, struct ods_why *why)
{
	struct json_object	*v;
	struct wf_ev		 c;
	size_t			 n;

	if (out != NULL)
		*out = NULL;
	if (src == NULL) {
		ods_why_set(why, NULL, "no expression");
		return ODS_EINVAL;
	}
	if ((n = strlen(src)) > ODS_WF_EXPR_MAX) {
		ods_why_set(why, NULL, "an expression longer than %d bytes",
		    ODS_WF_EXPR_MAX);
		return ODS_EINVAL;
	}
	odsi_wf_init(&c, src, n, sc, run, why);
	v = odsi_wf_expr(&c);
	if (c.er == ODS_OK && peek(&c) != 0)
		odsi_wf_fail(&c, ODS_EINVAL, c.i, "unexpected '%c'",
		    c.s[c.i]);
	if (c.er != ODS_OK) {
		ods_json_put(v);
		return c.er;
	}
	if (out != NULL)
		*out = v;
	else
		ods_json_put(v);
	return ODS_OK;
}

enum ods_err
ods_wf_expr_check(const char *src, struct ods_why *why)
{
	return whole(src, NULL, 0, NULL, why);
}

enum ods_err
ods_wf_expr_eval(const char *src, const struct ods_wf_scope *sc,
    struct json_object **out, struct ods_why *why)
{
	return whole(src, sc, 1, out, why);
}
