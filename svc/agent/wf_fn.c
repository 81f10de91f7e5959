/*
 * svc/agent/wf_fn.c — the functions of the workflow expression language
 * (wf_expr.h). A call is checked against the table (name, arity) while it
 * is parsed, so that ods_wf_expr_check() refuses "eval(x)" or "len()"
 * on save; exists() and default() parse their first argument softly (an
 * unresolved reference there is an answer, not an error).
 */
#include "config.h"

#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_err.h"
#include "core/ods_json.h"
#include "core/ods_mem.h"
#include "agent_int.h"
#include "wf_expr.h"

#define MAX_ARGS	16

typedef struct json_object *(*fn_t)(struct wf_ev *, struct json_object **,
    int, size_t);

static int
is_str(struct json_object *v)
{
	return json_object_is_type(v, json_type_string);
}

static const char *
sp(struct json_object *v)
{
	return json_object_get_string(v);
}

static size_t
sl(struct json_object *v)
{
	return (size_t)json_object_get_string_len(v);
}

/* An argument of the wrong type: the error naming the function. */
static struct json_object *
want(struct wf_ev *c, size_t at, const char *fn, const char *what,
    struct json_object *v)
{
	return odsi_wf_fail(c, ODS_EINVAL, at, "%s() wants %s, not %s", fn,
	    what, odsi_wf_type(v));
}

static struct json_object *
f_len(struct wf_ev *c, struct json_object **a, int n, size_t at)
{
	size_t	i, k = 0;

	(void)n;
	if (json_object_is_type(a[0], json_type_array))
		return odsi_wf_int(c, (long long)json_object_array_length(a[0]));
	if (json_object_is_type(a[0], json_type_object))
		return odsi_wf_int(c, json_object_object_length(a[0]));
	if (!is_str(a[0]))
		return want(c, at, "len", "a string, an array or an object",
		    a[0]);
	/* Characters: the bytes that do not continue a UTF-8 sequence. */
	for (i = 0; i < sl(a[0]); i++)
		k += ((unsigned char)sp(a[0])[i] & 0xc0) != 0x80;
	return odsi_wf_int(c, (long long)k);
}

/* lower, upper, trim: ASCII only, the other bytes as they are. */
static struct json_object *
recase(struct wf_ev *c, struct json_object *v, int up, size_t at)
{
	struct json_object	*r;
	size_t			 i, l = sl(v);
	char			*p;

	if ((p = malloc(l + 1)) == NULL)
		return odsi_wf_oom(c);
	for (i = 0; i < l; i++) {
		p[i] = sp(v)[i];
		if (up && p[i] >= 'a' && p[i] <= 'z')
			p[i] -= 'a' - 'A';
		else if (!up && p[i] >= 'A' && p[i] <= 'Z')
			p[i] += 'a' - 'A';
	}
	r = odsi_wf_str(c, p, l, at);
	free(p);
	return r;
}

static struct json_object *
f_lower(struct wf_ev *c, struct json_object **a, int n, size_t at)
{
	(void)n;
	return is_str(a[0]) ? recase(c, a[0], 0, at) :
	    want(c, at, "lower", "a string", a[0]);
}

static struct json_object *
f_upper(struct wf_ev *c, struct json_object **a, int n, size_t at)
{
	(void)n;
	return is_str(a[0]) ? recase(c, a[0], 1, at) :
	    want(c, at, "upper", "a string", a[0]);
}

static int
space(int ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' ||
	    ch == '\f' || ch == '\v';
}

/* The span of p[0..*l) without the white space around it. */
static const char *
trimmed(const char *p, size_t *l)
{
	while (*l > 0 && space((unsigned char)p[0])) {
		p++;
		(*l)--;
	}
	while (*l > 0 && space((unsigned char)p[*l - 1]))
		(*l)--;
	return p;
}

static struct json_object *
f_trim(struct wf_ev *c, struct json_object **a, int n, size_t at)
{
	const char	*p;
	size_t		 l;

	(void)n;
	if (!is_str(a[0]))
		return want(c, at, "trim", "a string", a[0]);
	l = sl(a[0]);
	p = trimmed(sp(a[0]), &l);
	return odsi_wf_str(c, p, l, at);
}

static struct json_object *
f_contains(struct wf_ev *c, struct json_object **a, int n, size_t at)
{
	int	t;

	(void)n;
	if ((t = odsi_wf_member(c, a[1], a[0], at)) < 0)
		return NULL;
	return odsi_wf_bool(c, t);
}

static struct json_object *
affix(struct wf_ev *c, struct json_object **a, int end, size_t at)
{
	size_t	l, k;

	if (!is_str(a[0]) || !is_str(a[1]))
		return odsi_wf_fail(c, ODS_EINVAL, at, "%s() wants two "
		    "strings", end ? "endswith" : "startswith");
	l = sl(a[0]);
	k = sl(a[1]);
	return odsi_wf_bool(c, k <= l && memcmp(sp(a[0]) + (end ? l - k : 0),
	    sp(a[1]), k) == 0);
}

static struct json_object *
f_startswith(struct wf_ev *c, struct json_object **a, int n, size_t at)
{
	(void)n;
	return affix(c, a, 0, at);
}

static struct json_object *
f_endswith(struct wf_ev *c, struct json_object **a, int n, size_t at)
{
	(void)n;
	return affix(c, a, 1, at);
}

/*
 * The number a string holds: JSON's syntax (a sign, digits, a fraction,
 * an exponent; white space around), so that "0x10", "inf" and "nan",
 * which strtod(3) would take, are refused. 1 when it is one.
 */
static int
parse_num(struct json_object *v, long long *x, double *d, int *is_int)
{
	const char	*p;
	char		 buf[64], *end;
	size_t		 l = sl(v), i = 0, digits = 0;

	p = trimmed(sp(v), &l);
	if (l == 0 || l >= sizeof(buf))
		return 0;
	memcpy(buf, p, l);
	buf[l] = '\0';
	if (buf[i] == '-' || buf[i] == '+')
		i++;
	for (; buf[i] >= '0' && buf[i] <= '9'; i++)
		digits++;
	*is_int = buf[i] == '\0';
	if (buf[i] == '.')
		for (i++; buf[i] >= '0' && buf[i] <= '9'; i++)
			digits++;
	if (digits == 0)
		return 0;
	if (buf[i] == 'e' || buf[i] == 'E') {
		i++;
		if (buf[i] == '-' || buf[i] == '+')
			i++;
		if (buf[i] < '0' || buf[i] > '9')
			return 0;
		while (buf[i] >= '0' && buf[i] <= '9')
			i++;
	}
	if (buf[i] != '\0')
		return 0;
	errno = 0;
	if (*is_int) {
		*x = strtoll(buf, &end, 10);
		if (errno == 0)
			return 1;
		*is_int = 0;
	}
	*d = strtod(buf, &end);
	return isfinite(*d);
}

/* int(), float(), number(): kind 'i', 'f' or 'n'. */
static struct json_object *
convert(struct wf_ev *c, struct json_object *v, int kind, size_t at)
{
	static const char *const names[] = { "int", "float", "number" };
	const char	*fn = names[kind == 'i' ? 0 : kind == 'f' ? 1 : 2];
	long long	 x = 0;
	double		 d = 0;
	int		 is_int;

	if (json_object_is_type(v, json_type_boolean)) {
		is_int = 1;
		x = json_object_get_boolean(v);
	} else if (json_object_is_type(v, json_type_int)) {
		is_int = 1;
		x = json_object_get_int64(v);
	} else if (json_object_is_type(v, json_type_double)) {
		is_int = 0;
		d = json_object_get_double(v);
	} else if (!is_str(v)) {
		return want(c, at, fn, "a number or a string", v);
	} else if (!parse_num(v, &x, &d, &is_int)) {
		return odsi_wf_fail(c, ODS_EINVAL, at, "%s(): '%.40s' is not "
		    "a number", fn, sp(v));
	}
	if (kind == 'f' || (kind == 'n' && !is_int))
		return odsi_wf_dbl(c, is_int ? (double)x : d, at);
	if (is_int)
		return odsi_wf_int(c, x);
	d = trunc(d);
	if (!(d > -9.2e18 && d < 9.2e18))
		return odsi_wf_fail(c, ODS_EINVAL, at, "int(): out of range");
	return odsi_wf_int(c, (long long)d);
}

static struct json_object *
f_int(struct wf_ev *c, struct json_object **a, int n, size_t at)
{
	(void)n;
	return convert(c, a[0], 'i', at);
}

static struct json_object *
f_float(struct wf_ev *c, struct json_object **a, int n, size_t at)
{
	(void)n;
	return convert(c, a[0], 'f', at);
}

static struct json_object *
f_number(struct wf_ev *c, struct json_object **a, int n, size_t at)
{
	(void)n;
	return convert(c, a[0], 'n', at);
}

/* The text of b (an ods_buf's result) as a string value. */
static struct json_object *
buf_str(struct wf_ev *c, struct ods_buf *b, enum ods_err er, size_t at)
{
	struct json_object	*v = NULL;

	if (er == ODS_ETOOBIG)
		odsi_wf_fail(c, ODS_ETOOBIG, at, "a string longer than %d "
		    "bytes", ODS_WF_STR_MAX);
	else if (er != ODS_OK)
		odsi_wf_oom(c);
	else
		v = odsi_wf_str(c, b->data != NULL ? b->data : "", b->len, at);
	ods_buf_free(b);
	return v;
}

static struct json_object *
f_str(struct wf_ev *c, struct json_object **a, int n, size_t at)
{
	struct ods_buf	b;

	(void)n;
	if (is_str(a[0]))
		return json_object_get(a[0]);
	ods_buf_init(&b, ODS_WF_STR_MAX);
	return buf_str(c, &b, odsi_wf_text(a[0], &b), at);
}

static struct json_object *
f_round(struct wf_ev *c, struct json_object **a, int n, size_t at)
{
	double	d, p, k = 0;

	if (!odsi_wf_isnum(a[0]) || (n == 2 && !odsi_wf_isnum(a[1])))
		return want(c, at, "round", "numbers", n == 2 &&
		    odsi_wf_isnum(a[0]) ? a[1] : a[0]);
	if (n == 2 && ((k = odsi_wf_num(a[1])) < 0 || k > 15 ||
	    k != floor(k)))
		return odsi_wf_fail(c, ODS_EINVAL, at, "round(x, digits): "
		    "digits is 0 to 15");
	if (json_object_is_type(a[0], json_type_int))
		return json_object_get(a[0]);
	d = odsi_wf_num(a[0]);
	if (k == 0) {
		d = round(d);
		if (d > -9.2e18 && d < 9.2e18)
			return odsi_wf_int(c, (long long)d);
		return odsi_wf_dbl(c, d, at);
	}
	p = pow(10, k);
	return odsi_wf_dbl(c, round(d * p) / p, at);
}

static struct json_object *
f_abs(struct wf_ev *c, struct json_object **a, int n, size_t at)
{
	long long	x;

	(void)n;
	if (json_object_is_type(a[0], json_type_int) &&
	    (x = json_object_get_int64(a[0])) != INT64_MIN)
		return odsi_wf_int(c, x < 0 ? -x : x);
	if (!odsi_wf_isnum(a[0]))
		return want(c, at, "abs", "a number", a[0]);
	return odsi_wf_dbl(c, fabs(odsi_wf_num(a[0])), at);
}

/* min(a, b, ...) or min(list); max likewise. */
static struct json_object *
extreme(struct wf_ev *c, struct json_object **a, int n, int max, size_t at)
{
	struct json_object	*best = NULL, *v;
	size_t			 i, k = (size_t)n;
	int			 o, list;

	list = n == 1 && json_object_is_type(a[0], json_type_array);
	if (list)
		k = json_object_array_length(a[0]);
	if (k == 0)
		return odsi_wf_fail(c, ODS_EINVAL, at, "%s() of nothing",
		    max ? "max" : "min");
	for (i = 0; i < k; i++) {
		v = list ? json_object_array_get_idx(a[0], i) : a[i];
		if (i == 0) {
			best = v;
			if (odsi_wf_order(v, v) == 2)
				break;
			continue;
		}
		if ((o = odsi_wf_order(v, best)) == 2)
			break;
		if (max ? o > 0 : o < 0)
			best = v;
	}
	if (i < k)
		return odsi_wf_fail(c, ODS_EINVAL, at, "%s() compares numbers "
		    "or strings, not %s", max ? "max" : "min",
		    odsi_wf_type(v));
	return json_object_get(best);
}

static struct json_object *
f_min(struct wf_ev *c, struct json_object **a, int n, size_t at)
{
	return extreme(c, a, n, 0, at);
}

static struct json_object *
f_max(struct wf_ev *c, struct json_object **a, int n, size_t at)
{
	return extreme(c, a, n, 1, at);
}

static struct json_object *
f_join(struct wf_ev *c, struct json_object **a, int n, size_t at)
{
	struct ods_buf	b;
	enum ods_err	er = ODS_OK;
	size_t		i;

	if (!json_object_is_type(a[0], json_type_array))
		return want(c, at, "join", "an array", a[0]);
	if (n == 2 && !is_str(a[1]))
		return want(c, at, "join", "a string separator", a[1]);
	ods_buf_init(&b, ODS_WF_STR_MAX);
	for (i = 0; er == ODS_OK && i < json_object_array_length(a[0]); i++) {
		if (i > 0 && n == 2)
			er = ods_buf_add(&b, sp(a[1]), sl(a[1]));
		if (er == ODS_OK)
			er = odsi_wf_text(json_object_array_get_idx(a[0], i),
			    &b);
	}
	return buf_str(c, &b, er, at);
}

static struct json_object *
f_split(struct wf_ev *c, struct json_object **a, int n, size_t at)
{
	struct json_object	*r;
	const char		*p, *end, *q;

	(void)n;
	if (!is_str(a[0]) || !is_str(a[1]))
		return odsi_wf_fail(c, ODS_EINVAL, at, "split() wants two "
		    "strings");
	if (sl(a[1]) == 0)
		return odsi_wf_fail(c, ODS_EINVAL, at, "split() with an empty "
		    "separator");
	if ((r = odsi_wf_arr(c)) == NULL)
		return NULL;
	p = sp(a[0]);
	end = p + sl(a[0]);
	for (;;) {
		q = memmem(p, (size_t)(end - p), sp(a[1]), sl(a[1]));
		if (!odsi_wf_push(c, r, odsi_wf_str(c, p, (size_t)((q != NULL ?
		    q : end) - p), at), at) || c->er != ODS_OK)
			return ods_json_put(r), NULL;
		if (q == NULL)
			return r;
		p = q + sl(a[1]);
	}
}

static struct json_object *
f_keys(struct wf_ev *c, struct json_object **a, int n, size_t at)
{
	struct json_object	*r;

	(void)n;
	if (!json_object_is_type(a[0], json_type_object))
		return want(c, at, "keys", "an object", a[0]);
	if ((r = odsi_wf_arr(c)) == NULL)
		return NULL;
	json_object_object_foreach(a[0], k, v) {
		(void)v;
		if (!odsi_wf_push(c, r, odsi_wf_str(c, k, strlen(k), at), at) ||
		    c->er != ODS_OK)
			return ods_json_put(r), NULL;
	}
	return r;
}

static struct json_object *
f_type(struct wf_ev *c, struct json_object **a, int n, size_t at)
{
	const char	*t = odsi_wf_type(a[0]);

	(void)n;
	return odsi_wf_str(c, t, strlen(t), at);
}

/* ref('my-node.output'): ods_wf_ref through the expression's scope. */
static struct json_object *
f_ref(struct wf_ev *c, struct json_object **a, int n, size_t at)
{
	struct json_object	*v = NULL;
	struct ods_why		 why;
	enum ods_err		 er;

	(void)n;
	if (!is_str(a[0]))
		return want(c, at, "ref", "a string", a[0]);
	why.msg[0] = '\0';
	er = ods_wf_ref(c->sc, sp(a[0]), &v, &why);
	if (er == ODS_ENOTFOUND)
		return odsi_wf_missing(c, at, "%s", why.msg);
	if (er != ODS_OK)
		return odsi_wf_fail(c, er, at, "%s", why.msg);
	return v;
}

static const struct fn {
	const char	*name;
	int		 min, max;
	fn_t		 fn;
} fns[] = {
	{ "abs", 1, 1, f_abs },
	{ "contains", 2, 2, f_contains },
	{ "endswith", 2, 2, f_endswith },
	{ "float", 1, 1, f_float },
	{ "int", 1, 1, f_int },
	{ "join", 1, 2, f_join },
	{ "keys", 1, 1, f_keys },
	{ "len", 1, 1, f_len },
	{ "lower", 1, 1, f_lower },
	{ "max", 1, MAX_ARGS, f_max },
	{ "min", 1, MAX_ARGS, f_min },
	{ "number", 1, 1, f_number },
	{ "ref", 1, 1, f_ref },
	{ "round", 1, 2, f_round },
	{ "split", 2, 2, f_split },
	{ "startswith", 2, 2, f_startswith },
	{ "str", 1, 1, f_str },
	{ "trim", 1, 1, f_trim },
	{ "type", 1, 1, f_type },
	{ "upper", 1, 1, f_upper },
};

/*
 * The first argument of exists() or default(): an unresolved reference
 * in it sets *miss instead of failing.
 */
static struct json_object *
soft_arg(struct wf_ev *c, int *miss)
{
	struct json_object	*v;
	int			 orun = c->run, osoft = c->soft;
	int			 omiss = c->missing;

	c->soft = 1;
	c->missing = 0;
	v = odsi_wf_expr(c);
	*miss = c->missing;
	c->soft = osoft;
	c->missing = omiss;
	c->run = orun;
	return v;
}

/* exists(ref) and default(value, fallback). */
static struct json_object *
soft_call(struct wf_ev *c, int is_default)
{
	struct json_object	*v, *f = NULL;
	int			 miss, orun = c->run, use;

	v = soft_arg(c, &miss);
	if (c->er != ODS_OK)
		return ods_json_put(v), NULL;
	use = miss || v == NULL;
	if (is_default && odsi_wf_expect(c, ",")) {
		c->run = orun && use;
		f = odsi_wf_expr(c);
		c->run = orun;
	}
	if (!odsi_wf_expect(c, ")") || !c->run) {
		ods_json_put(v);
		ods_json_put(f);
		return NULL;
	}
	if (!is_default) {
		ods_json_put(v);
		return odsi_wf_bool(c, !miss);
	}
	if (use) {
		ods_json_put(v);
		return f;
	}
	ods_json_put(f);
	return v;
}

struct json_object *
odsi_wf_call(struct wf_ev *c, const char *name, size_t nl, size_t at)
{
	const struct fn		*f = NULL;
	struct json_object	*a[MAX_ARGS], *v = NULL;
	size_t			 i;
	int			 n = 0;

	if (nl == 6 && memcmp(name, "exists", 6) == 0)
		return soft_call(c, 0);
	if (nl == 7 && memcmp(name, "default", 7) == 0)
		return soft_call(c, 1);
	for (i = 0; i < ODS_NELEM(fns) && f == NULL; i++)
		if (strlen(fns[i].name) == nl &&
		    memcmp(fns[i].name, name, nl) == 0)
			f = &fns[i];
	if (f == NULL)
		return odsi_wf_fail(c, ODS_EINVAL, at, "unknown function "
		    "'%.*s'", (int)(nl > 40 ? 40 : nl), name);
	if (!odsi_wf_op(c, ")")) {
		do {
			if (n == f->max) {
				odsi_wf_fail(c, ODS_EINVAL, at, "%s() takes at "
				    "most %d argument%s", f->name, f->max,
				    f->max > 1 ? "s" : "");
				break;
			}
			a[n++] = odsi_wf_expr(c);
		} while (c->er == ODS_OK && odsi_wf_op(c, ","));
		odsi_wf_expect(c, ")");
	}
	if (c->er == ODS_OK && n < f->min)
		odsi_wf_fail(c, ODS_EINVAL, at, "%s() takes at least %d "
		    "argument%s", f->name, f->min, f->min > 1 ? "s" : "");
	if (c->er == ODS_OK && c->run)
		v = f->fn(c, a, n, at);
	while (n > 0)
		ods_json_put(a[--n]);
	if (c->er != ODS_OK)
		return ods_json_put(v), NULL;
	return v;
}
