/*
 * svc/agent/calc.c — recursive descent over the grammar of calc.h. Every
 * error stops at the first one (the why names the offset); the depth of
 * the recursion is counted so that "((((..." cannot exhaust the stack.
 */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_err.h"
#include "calc.h"

struct calc {
	const char	*s;
	size_t		 n;
	size_t		 i;
	int		 depth;
	enum ods_err	 er;
	struct ods_why	*why;
};

static double	expr(struct calc *);

static double
fail(struct calc *c, enum ods_err er, const char *msg)
{
	if (c->er == ODS_OK) {
		c->er = er;
		ods_why_set(c->why, "expression", "%s at offset %zu", msg,
		    c->i);
	}
	return 0;
}

static void
skip(struct calc *c)
{
	while (c->i < c->n && isspace((unsigned char)c->s[c->i]))
		c->i++;
}

/* The next byte after white space, or 0 at the end. */
static int
peek(struct calc *c)
{
	skip(c);
	return c->i < c->n ? (unsigned char)c->s[c->i] : 0;
}

static int
accept(struct calc *c, int ch)
{
	if (peek(c) != ch)
		return 0;
	c->i++;
	return 1;
}

static double
number(struct calc *c)
{
	char	 buf[64], *end;
	size_t	 j = c->i, k = 0;
	double	 v;

	while (j < c->n && (isdigit((unsigned char)c->s[j]) ||
	    c->s[j] == '.' || ((c->s[j] == 'e' || c->s[j] == 'E') &&
	    j + 1 < c->n && (isdigit((unsigned char)c->s[j + 1]) ||
	    ((c->s[j + 1] == '-' || c->s[j + 1] == '+') && j + 2 < c->n &&
	    isdigit((unsigned char)c->s[j + 2]))))))
		j += (c->s[j] == 'e' || c->s[j] == 'E') ? 2 : 1;
	if (j - c->i >= sizeof(buf))
		return fail(c, ODS_EINVAL, "number too long");
	for (k = 0; c->i + k < j; k++)
		buf[k] = c->s[c->i + k];
	buf[k] = '\0';
	v = strtod(buf, &end);
	if (k == 0 || *end != '\0')
		return fail(c, ODS_EINVAL, "bad number");
	c->i = j;
	return v;
}

/* The arguments of a call after its "(": up to ODS_CALC_ARGS. */
static size_t
args(struct calc *c, double *v)
{
	size_t	n = 0;

	if (accept(c, ')'))
		return 0;
	do {
		if (n == ODS_CALC_ARGS) {
			fail(c, ODS_ETOOBIG, "too many arguments");
			return n;
		}
		v[n++] = expr(c);
	} while (c->er == ODS_OK && accept(c, ','));
	if (c->er == ODS_OK && !accept(c, ')'))
		fail(c, ODS_EINVAL, "expected ')'");
	return n;
}

static double
minmax(struct calc *c, const double *v, size_t n, int max)
{
	double	r;
	size_t	i;

	if (n == 0)
		return fail(c, ODS_EINVAL, "min/max need an argument");
	r = v[0];
	for (i = 1; i < n; i++)
		if (max ? v[i] > r : v[i] < r)
			r = v[i];
	return r;
}

static double
roundto(struct calc *c, const double *v, size_t n)
{
	double	p;

	if (n == 1)
		return round(v[0]);
	if (n != 2 || v[1] < 0 || v[1] > 15 || v[1] != floor(v[1]))
		return fail(c, ODS_EINVAL, "round(x[, digits 0..15])");
	p = pow(10, v[1]);
	return round(v[0] * p) / p;
}

static double
logof(struct calc *c, const double *v, size_t n)
{
	if (n < 1 || n > 2 || v[0] <= 0 || (n == 2 && (v[1] <= 0 ||
	    v[1] == 1)))
		return fail(c, ODS_EINVAL, "log needs x > 0 (and a base > 0, "
		    "not 1)");
	return n == 1 ? log(v[0]) : log(v[0]) / log(v[1]);
}

/* A one-argument function by name; 1 when name is one. */
static int
unary_fn(const char *name, double x, double *out)
{
	static const struct {
		const char	*name;
		double		(*fn)(double);
	} fns[] = {
		{ "abs", fabs }, { "floor", floor }, { "ceil", ceil },
		{ "exp", exp }, { "sin", sin }, { "cos", cos }, { "tan", tan },
	};
	size_t	i;

	for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
		if (strcmp(name, fns[i].name) == 0) {
			*out = fns[i].fn(x);
			return 1;
		}
	return 0;
}

static double
call(struct calc *c, const char *name)
{
	double	v[ODS_CALC_ARGS], r;
	size_t	n;

	n = args(c, v);
	if (c->er != ODS_OK)
		return 0;
	if (strcmp(name, "min") == 0 || strcmp(name, "max") == 0)
		return minmax(c, v, n, name[1] == 'a');
	if (strcmp(name, "round") == 0)
		return roundto(c, v, n);
	if (strcmp(name, "log") == 0 || strcmp(name, "ln") == 0)
		return logof(c, v, n);
	if (n != 1)
		return fail(c, ODS_EINVAL, "this function takes one argument");
	if (strcmp(name, "sqrt") == 0)
		return v[0] < 0 ? fail(c, ODS_EINVAL, "sqrt of a negative "
		    "number") : sqrt(v[0]);
	if (strcmp(name, "log10") == 0)
		return v[0] <= 0 ? fail(c, ODS_EINVAL, "log10 needs x > 0") :
		    log10(v[0]);
	if (unary_fn(name, v[0], &r))
		return r;
	return fail(c, ODS_EINVAL, "unknown function");
}

static double
name(struct calc *c)
{
	char	buf[16];
	size_t	k = 0;

	while (c->i < c->n && (isalnum((unsigned char)c->s[c->i]) ||
	    c->s[c->i] == '_')) {
		if (k + 1 >= sizeof(buf))
			return fail(c, ODS_EINVAL, "unknown name");
		buf[k++] = (char)tolower((unsigned char)c->s[c->i++]);
	}
	buf[k] = '\0';
	if (accept(c, '('))
		return call(c, buf);
	if (strcmp(buf, "pi") == 0)
		return M_PI;
	if (strcmp(buf, "e") == 0)
		return M_E;
	return fail(c, ODS_EINVAL, "unknown name");
}

static double
primary(struct calc *c)
{
	int	ch = peek(c);
	double	v;

	if (ch == '(') {
		c->i++;
		v = expr(c);
		if (c->er == ODS_OK && !accept(c, ')'))
			return fail(c, ODS_EINVAL, "expected ')'");
		return v;
	}
	if (isdigit(ch) || ch == '.')
		return number(c);
	if (isalpha(ch))
		return name(c);
	return fail(c, ODS_EINVAL, ch == 0 ? "unexpected end" :
	    "unexpected character");
}

static double	unary(struct calc *);

static double
power(struct calc *c)
{
	double	b, x;

	b = primary(c);
	if (c->er != ODS_OK)
		return 0;
	if (accept(c, '^') || (peek(c) == '*' && c->i + 1 < c->n &&
	    c->s[c->i + 1] == '*' && (c->i += 2) > 0)) {
		x = unary(c);
		return pow(b, x);
	}
	return b;
}

static double
unary(struct calc *c)
{
	double	v;

	if (++c->depth > ODS_CALC_DEPTH)
		return fail(c, ODS_ETOOBIG, "nested too deep");
	if (accept(c, '-'))
		v = -unary(c);
	else if (accept(c, '+'))
		v = unary(c);
	else
		v = power(c);
	c->depth--;
	return v;
}

static double
term(struct calc *c)
{
	double	v, r;
	int	op;

	v = unary(c);
	while (c->er == ODS_OK && ((op = peek(c)) == '*' || op == '/' ||
	    op == '%')) {
		if (op == '*' && c->i + 1 < c->n && c->s[c->i + 1] == '*')
			break;	/* "**" is power's */
		c->i++;
		r = unary(c);
		if (c->er != ODS_OK)
			break;
		if (op != '*' && r == 0)
			return fail(c, ODS_EINVAL, "division by zero");
		v = op == '*' ? v * r : op == '/' ? v / r : fmod(v, r);
	}
	return v;
}

static double
expr(struct calc *c)
{
	double	v, r;
	int	op;

	if (++c->depth > ODS_CALC_DEPTH)
		return fail(c, ODS_ETOOBIG, "nested too deep");
	v = term(c);
	while (c->er == ODS_OK && ((op = peek(c)) == '+' || op == '-')) {
		c->i++;
		r = term(c);
		v = op == '+' ? v + r : v - r;
	}
	c->depth--;
	return v;
}

enum ods_err
ods_calc_eval(const char *s, size_t n, double *out, struct ods_why *why)
{
	struct calc	c;
	double		v;

	memset(&c, 0, sizeof(c));
	c.s = s;
	c.n = n;
	c.why = why;
	*out = 0;
	if (n > ODS_CALC_MAX) {
		ods_why_set(why, "expression", "expression longer than %d "
		    "bytes", ODS_CALC_MAX);
		return ODS_ETOOBIG;
	}
	if (memchr(s, '\0', n) != NULL)
		return fail(&c, ODS_EINVAL, "NUL byte"), c.er;
	v = expr(&c);
	if (c.er == ODS_OK && peek(&c) != 0)
		fail(&c, ODS_EINVAL, "unexpected character");
	if (c.er == ODS_OK && !isfinite(v))
		fail(&c, ODS_EINVAL, "result is not a finite number");
	if (c.er == ODS_OK)
		*out = v;
	return c.er;
}
