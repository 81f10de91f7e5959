/*
 * tests/check_wf_expr.c — the workflow nodes' expression and template
 * language (svc/agent/wf_expr.c and its neighbours) without a server:
 * precedence, comparisons across types, "in", the ternary and the
 * short-circuits, the functions, picks with [*], references through a
 * scope, templates (a typed single placeholder against an embedded one),
 * errors with their offsets, and the bounds.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_err.h"
#include "core/ods_json.h"
#include "core/ods_mem.h"
#include "../svc/agent/wf_expr.h"
#include "ods_check.h"

/* What the nodes of a run have produced so far, and its inputs. */
static const char ctx_json[] =
    "{\"inputs\":{\"query\":\"Hello World\",\"n\":3,\"tags\":[\"a\",\"b\"],"
    "\"empty\":\"\",\"obj\":{\"k\":1,\"with.dot\":\"wd\"},\"nul\":null,"
    "\"pi\":3.25,\"csv\":\"x,y,,z\"},"
    "\"search\":{\"documents\":[{\"content\":\"d1\",\"score\":0.5},"
    "{\"content\":\"d2\",\"score\":0.9},{\"title\":\"t3\"}],\"count\":2},"
    "\"llm\":{\"output\":\"The answer\",\"tokens\":42},"
    "\"my-node\":{\"output\":\"hy\"}}";

static struct json_object	*ctx;
static int			 lookups;

static struct json_object *
lookup(void *arg, const char *name, size_t len)
{
	char	buf[64];

	lookups++;
	if (len >= sizeof(buf))
		return NULL;
	memcpy(buf, name, len);
	buf[len] = '\0';
	return ods_json_get(arg, buf);
}

static struct ods_wf_scope	scope;

static void
setup(void)
{
	ck_assert_int_eq(ods_json_parse(ctx_json, strlen(ctx_json), 0, &ctx,
	    NULL), ODS_OK);
	scope.lookup = lookup;
	scope.arg = ctx;
	lookups = 0;
}

static void
teardown(void)
{
	ods_json_put(ctx);
	ctx = NULL;
}

/* The value of src as JSON text ("null" for null); src must evaluate. */
static const char *
ev(const char *src)
{
	static char		 buf[4096];
	struct json_object	*v = NULL;
	struct ods_why		 why;

	memset(&why, 0, sizeof(why));
	ck_assert_msg(ods_wf_expr_eval(src, &scope, &v, &why) == ODS_OK,
	    "%s: %s", src, why.msg);
	ck_assert_msg(ods_wf_expr_check(src, &why) == ODS_OK, "check %s: %s",
	    src, why.msg);
	snprintf(buf, sizeof(buf), "%s", v != NULL ? ods_json_text(v) :
	    "null");
	ods_json_put(v);
	return buf;
}

/* The error of src, its message in why. */
static enum ods_err
ev_err(const char *src, struct ods_why *why)
{
	struct json_object	*v = NULL;
	enum ods_err		 er;

	memset(why, 0, sizeof(*why));
	er = ods_wf_expr_eval(src, &scope, &v, why);
	ck_assert_ptr_null(v);
	return er;
}

#define EV(src, want)	ck_assert_str_eq(ev(src), want)

START_TEST(test_expr_follows_precedence)
{
	EV("1 + 2 * 3", "7");
	EV("(1 + 2) * 3", "9");
	EV("10 - 4 - 3", "3");
	EV("2 * 3 % 4", "2");
	EV("-2 * 3", "-6");
	EV("7 / 2", "3.5");
	EV("8 / 2", "4");
	EV("7 % 3", "1");
	EV("0.1 + 0.2", "0.30000000000000004");
	EV("1.5e2 + .5", "150.5");
	EV("9223372036854775807 + 1", "9.223372036854776e+18");
	EV("1 + 2 == 3 && 2 > 1", "true");
	EV("false || true && false", "false");
	EV("true || false && false", "true");
	EV("not 1 == 2", "true");
	EV("!1 == false", "true");
	EV("not not 'x'", "true");
	EV("!!0", "false");
	EV("'a' + 'b' + 'c'", "\"abc\"");
	EV("1 < 2 ? 'yes' : 'no'", "\"yes\"");
	EV("false ? 1 : true ? 2 : 3", "2");
	EV("[1, 'two', [3], null]", "[1,\"two\",[3],null]");
	EV("[]", "[]");
	EV("\"q\\\"\\n\\u00e9\\ud83d\\ude00\"", "\"q\\\"\\né😀\"");
}
END_TEST

START_TEST(test_expr_integers_stay_exact_until_they_overflow)
{
	EV("-9223372036854775807 - 1", "-9223372036854775808");
	EV("9007199254740993 + 0", "9007199254740993");
	EV("9223372036854775807 * 2", "1.8446744073709552e+19");
	EV("-(-9223372036854775807 - 1)", "9.223372036854776e+18");
	EV("abs(-9223372036854775807 - 1)", "9.223372036854776e+18");
	EV("(-9223372036854775807 - 1) / -1", "9.223372036854776e+18");
	EV("(-9223372036854775807 - 1) % -1", "0");
	EV("-7 % 3", "-1");		/* C's sign, not Python's */
	EV("7.5 % 2", "1.5");
	EV("1 / 3 * 3", "1");
	EV("'lo' not in 'hello'", "false");
}
END_TEST

START_TEST(test_expr_compares_across_types)
{
	EV("1 == 1.0", "true");
	EV("1 == '1'", "false");
	EV("1 != '1'", "true");
	EV("null == null", "true");
	EV("inputs.nul == null", "true");
	EV("[1, [2, 'x']] == [1.0, [2, 'x']]", "true");
	EV("[1, 2] == [1, 2, 3]", "false");
	EV("inputs.obj == inputs.obj", "true");
	EV("inputs.tags == ['a', 'b']", "true");
	EV("inputs.tags == ['b', 'a']", "false");
	EV("'abc' < 'abd'", "true");
	EV("'ab' < 'abc'", "true");
	EV("'B' < 'a'", "true");
	EV("2 < 10", "true");
	EV("'2' < '10'", "false");
	EV("2.5 >= 2", "true");
	EV("-1 <= -1", "true");
}
END_TEST

START_TEST(test_expr_refuses_to_order_mixed_types)
{
	struct ods_why	why;

	ck_assert_int_eq(ev_err("1 < '2'", &why), ODS_EINVAL);
	ck_assert_str_eq(why.msg, "at 2: cannot compare number and string");
	ck_assert_int_eq(ev_err("null > 0", &why), ODS_EINVAL);
	ck_assert_int_eq(ev_err("[1] < [2]", &why), ODS_EINVAL);
	ck_assert_int_eq(ev_err("true + 1", &why), ODS_EINVAL);
	ck_assert_ptr_nonnull(strstr(why.msg, "cannot apply '+' to boolean "
	    "and number"));
	ck_assert_int_eq(ev_err("'a' * 2", &why), ODS_EINVAL);
	ck_assert_int_eq(ev_err("-'a'", &why), ODS_EINVAL);
}
END_TEST

START_TEST(test_expr_in_looks_in_arrays_strings_and_objects)
{
	EV("'a' in inputs.tags", "true");
	EV("'c' in inputs.tags", "false");
	EV("'c' not in inputs.tags", "true");
	EV("[3] in [[1], [3.0]]", "true");
	EV("'World' in inputs.query", "true");
	EV("'world' in inputs.query", "false");
	EV("'' in 'x'", "true");
	EV("'k' in inputs.obj", "true");
	EV("'z' in inputs.obj", "false");
	EV("not 'z' in inputs.obj", "true");
	EV("contains(inputs.tags, 'b')", "true");
	EV("contains(inputs.query, 'lo W')", "true");
}
END_TEST

START_TEST(test_expr_short_circuits_and_the_ternary_run_one_side)
{
	struct ods_why	why;

	/* The side not taken is parsed, not evaluated: no error in it. */
	EV("true || 1 / 0", "true");
	EV("false && nosuch.field", "false");
	EV("inputs.n > 1 ? 'many' : 1 / 0", "\"many\"");
	EV("inputs.n > 5 ? nosuch : 'few'", "\"few\"");
	/* and/or give a side's value, as in Python and JavaScript. */
	EV("inputs.empty || 'fallback'", "\"fallback\"");
	EV("inputs.query && inputs.n", "3");
	lookups = 0;
	EV("false && inputs.n", "false");
	ck_assert_int_eq(lookups, 0);
	/* Still parsed: a syntax error in the untaken side is one. */
	ck_assert_int_eq(ev_err("true || (1 +", &why), ODS_EINVAL);
	ck_assert_int_eq(ev_err("true || eval(1)", &why), ODS_EINVAL);
	ck_assert_str_eq(why.msg, "at 8: unknown function 'eval'");
}
END_TEST

START_TEST(test_expr_refs_walk_the_scope)
{
	struct ods_why	why;

	EV("llm.output", "\"The answer\"");
	EV("search.documents[1].content", "\"d2\"");
	EV("search.documents[-1].title", "\"t3\"");
	EV("search.documents[0]['score']", "0.5");
	EV("inputs.obj['with.dot']", "\"wd\"");
	EV("inputs['query']", "\"Hello World\"");
	EV("search.documents[*].content", "[\"d1\",\"d2\"]");
	EV("len(search.documents[*].content)", "2");
	EV("inputs.tags[inputs.n - 2]", "\"b\"");
	EV("split(inputs.csv, ',')[1]", "\"y\"");
	EV("ref('my-node.output')", "\"hy\"");
	ck_assert_int_eq(ev_err("nosuch.x", &why), ODS_EINVAL);
	ck_assert_str_eq(why.msg, "at 0: unknown name 'nosuch'");
	ck_assert_int_eq(ev_err("llm.nothing", &why), ODS_EINVAL);
	ck_assert_str_eq(why.msg, "at 3: 'llm' has no field 'nothing'");
	ck_assert_int_eq(ev_err("inputs.tags[5]", &why), ODS_EINVAL);
	ck_assert_str_eq(why.msg, "at 11: 'inputs.tags' has no element 5");
	ck_assert_int_eq(ev_err("inputs.tags[true]", &why), ODS_EINVAL);
	ck_assert_int_eq(ev_err("ref('nope.x')", &why), ODS_EINVAL);
	ck_assert_str_eq(why.msg, "at 0: unknown node or input 'nope'");
}
END_TEST

START_TEST(test_expr_functions)
{
	EV("len(inputs.query)", "11");
	EV("len('é😀')", "2");
	EV("len(inputs.tags) + len(inputs.obj)", "4");
	EV("lower(inputs.query)", "\"hello world\"");
	EV("upper('abc-é')", "\"ABC-é\"");
	EV("trim('  a b \\n')", "\"a b\"");
	EV("startswith(llm.output, 'The')", "true");
	EV("endswith(llm.output, 'The')", "false");
	EV("int('42')", "42");
	EV("int(' -7 ')", "-7");
	EV("int(3.9)", "3");
	EV("int(-3.9)", "-3");
	EV("int('2.5e1')", "25");
	EV("int(true)", "1");
	EV("float('1.5')", "1.5");
	EV("number('12')", "12");
	EV("number('1e-1')", "0.1");
	EV("str(42) + str(inputs.pi) + str(null) + str(true)",
	    "\"423.25true\"");
	EV("str(inputs.tags)", "\"[\\\"a\\\",\\\"b\\\"]\"");
	EV("round(2.567, 2)", "2.57");
	EV("round(2.5)", "3");
	EV("round(7)", "7");
	EV("abs(-3)", "3");
	EV("abs(-2.5)", "2.5");
	EV("min(4, 2, 8)", "2");
	EV("max([4, 2.5, 8.5])", "8.5");
	EV("max('pear', 'apple')", "\"pear\"");
	EV("join(inputs.tags, ', ')", "\"a, b\"");
	EV("join([1, null, 'x', true])", "\"1xtrue\"");
	EV("split(inputs.csv, ',')", "[\"x\",\"y\",\"\",\"z\"]");
	EV("split('abc', ',')", "[\"abc\"]");
	EV("keys(inputs.obj)", "[\"k\",\"with.dot\"]");
	EV("type(inputs.n) + type(null) + type([])", "\"numbernullarray\"");
	EV("exists(inputs.query)", "true");
	EV("exists(inputs.nul)", "true");
	EV("exists(inputs.missing)", "false");
	EV("exists(nosuch.deep[3].x)", "false");
	EV("exists(inputs.query.x)", "false");
	EV("exists(ref('my-node.nope'))", "false");
	EV("default(inputs.missing, 'd')", "\"d\"");
	EV("default(inputs.nul, 5)", "5");
	EV("default(inputs.n, 1 / 0)", "3");
	EV("default(nosuch.x + 1, 0)", "0");
	EV("default(inputs.missing, default(nope, 'inner'))", "\"inner\"");
}
END_TEST

START_TEST(test_expr_functions_refuse_bad_arguments)
{
	struct ods_why	why;

	ck_assert_int_eq(ev_err("len(3)", &why), ODS_EINVAL);
	ck_assert_str_eq(why.msg, "at 0: len() wants a string, an array or "
	    "an object, not number");
	ck_assert_int_eq(ev_err("int('0x10')", &why), ODS_EINVAL);
	ck_assert_int_eq(ev_err("float('nan')", &why), ODS_EINVAL);
	ck_assert_int_eq(ev_err("int(1e300)", &why), ODS_EINVAL);
	ck_assert_int_eq(ev_err("split('a', '')", &why), ODS_EINVAL);
	ck_assert_int_eq(ev_err("min([])", &why), ODS_EINVAL);
	ck_assert_int_eq(ev_err("min(1, 'a')", &why), ODS_EINVAL);
	ck_assert_int_eq(ev_err("round(1.5, 16)", &why), ODS_EINVAL);
	ck_assert_int_eq(ev_err("keys([])", &why), ODS_EINVAL);
	ck_assert_int_eq(ev_err("exists(1 / 0)", &why), ODS_EINVAL);
	ck_assert_str_eq(why.msg, "at 9: division by zero");
	ck_assert_int_eq(ev_err("len()", &why), ODS_EINVAL);
	ck_assert_str_eq(why.msg, "at 0: len() takes at least 1 argument");
	ck_assert_int_eq(ev_err("len(1, 2)", &why), ODS_EINVAL);
	ck_assert_str_eq(why.msg, "at 0: len() takes at most 1 argument");
	ck_assert_int_eq(ev_err("exists(a, b)", &why), ODS_EINVAL);
	ck_assert_int_eq(ev_err("system('ls')", &why), ODS_EINVAL);
	ck_assert_str_eq(why.msg, "at 0: unknown function 'system'");
}
END_TEST

START_TEST(test_expr_errors_name_the_offset)
{
	struct ods_why	why;

	ck_assert_int_eq(ev_err("1 / 0", &why), ODS_EINVAL);
	ck_assert_str_eq(why.msg, "at 2: division by zero");
	ck_assert_int_eq(ev_err("inputs.n % 0", &why), ODS_EINVAL);
	ck_assert_int_eq(ev_err("1 +", &why), ODS_EINVAL);
	ck_assert_str_eq(why.msg, "at 3: unexpected end");
	ck_assert_int_eq(ev_err("(1 + 2", &why), ODS_EINVAL);
	ck_assert_str_eq(why.msg, "at 6: expected ')' at the end");
	ck_assert_int_eq(ev_err("1 2", &why), ODS_EINVAL);
	ck_assert_str_eq(why.msg, "at 2: unexpected '2'");
	ck_assert_int_eq(ev_err("a = 1", &why), ODS_EINVAL);
	ck_assert_int_eq(ev_err("'open", &why), ODS_EINVAL);
	ck_assert_str_eq(why.msg, "at 0: unterminated string");
	ck_assert_int_eq(ev_err("'\\x'", &why), ODS_EINVAL);
	ck_assert_int_eq(ev_err("'\\ud800'", &why), ODS_EINVAL);
	ck_assert_int_eq(ev_err("1e999", &why), ODS_EINVAL);
	ck_assert_int_eq(ev_err("12abc", &why), ODS_EINVAL);
	ck_assert_int_eq(ev_err("llm.", &why), ODS_EINVAL);
	ck_assert_int_eq(ev_err("1 ? 2", &why), ODS_EINVAL);
	ck_assert_int_eq(ev_err("", &why), ODS_EINVAL);
	ck_assert_int_eq(ev_err("and", &why), ODS_EINVAL);
	ck_assert_int_eq(ev_err("__import__('os')", &why), ODS_EINVAL);
	ck_assert_int_eq(ods_wf_expr_check("inputs.x + (", &why), ODS_EINVAL);
	/* check is syntax only: names and types wait for the run. */
	ck_assert_int_eq(ods_wf_expr_check("nosuch.x / 0 + 'a'", &why),
	    ODS_OK);
	ck_assert_int_eq(ods_wf_expr_check("eval(1)", &why), ODS_EINVAL);
}
END_TEST

START_TEST(test_expr_bounds_depth_length_and_sizes)
{
	struct ods_why	 why;
	char		*s;
	size_t		 i;
	int		 d;

	s = malloc(ODS_WF_EXPR_MAX + 2);
	ck_assert_ptr_nonnull(s);
	for (d = 64; d <= 65; d++) {
		for (i = 0; i < (size_t)d; i++)
			s[i] = '(';
		s[i++] = '1';
		memset(s + i, ')', (size_t)d);
		s[i + (size_t)d] = '\0';
		if (d == 64) {
			ck_assert_str_eq(ev(s), "1");
			continue;
		}
		ck_assert_int_eq(ev_err(s, &why), ODS_EINVAL);
		ck_assert_str_eq(why.msg, "at 65: nested deeper than 64 levels");
	}
	memset(s, '-', 100);
	strcpy(s + 100, "1");
	ck_assert_int_eq(ev_err(s, &why), ODS_EINVAL);
	memset(s, '[', 200);
	s[200] = '\0';
	ck_assert_int_eq(ods_wf_expr_check(s, &why), ODS_EINVAL);
	/* A long flat sum is fine; a byte more than the cap is not. */
	for (i = 0; i + 2 <= ODS_WF_EXPR_MAX; i += 2)
		memcpy(s + i, "1+", 2);
	s[i - 1] = '\0';
	ck_assert_str_eq(ev(s), "2048");
	memset(s, ' ', ODS_WF_EXPR_MAX + 1);
	s[0] = '1';
	s[ODS_WF_EXPR_MAX + 1] = '\0';
	ck_assert_int_eq(ev_err(s, &why), ODS_EINVAL);
	ck_assert_str_eq(why.msg, "an expression longer than 4096 bytes");
	free(s);
}
END_TEST

START_TEST(test_truthy)
{
	struct json_object	*v;

	ck_assert_int_eq(ods_wf_truthy(NULL), 0);
	ck_assert_int_eq(ods_wf_truthy(ods_json_get(ctx, "nosuch")), 0);
	v = ods_json_get(ods_json_get(ctx, "inputs"), "empty");
	ck_assert_int_eq(ods_wf_truthy(v), 0);
	v = ods_json_get(ods_json_get(ctx, "inputs"), "tags");
	ck_assert_int_eq(ods_wf_truthy(v), 1);
	EV("!![] || !!inputs.empty || !!0.0 || !!null", "false");
	EV("!!inputs.obj && !!' ' && !!-1", "true");
}
END_TEST

/* The pick of path from the context, as JSON text. */
static const char *
pick(const char *path, enum ods_err want)
{
	static char		 buf[1024];
	struct json_object	*v = NULL;
	struct ods_why		 why;
	enum ods_err		 er;

	memset(&why, 0, sizeof(why));
	er = ods_wf_pick(ctx, path, &v, &why);
	ck_assert_msg(er == want, "%s: %d %s", path, er, why.msg);
	snprintf(buf, sizeof(buf), "%s", er != ODS_OK ? why.msg : v != NULL ?
	    ods_json_text(v) : "null");
	ods_json_put(v);
	return buf;
}

START_TEST(test_pick_walks_paths)
{
	ck_assert_str_eq(pick("llm.tokens", ODS_OK), "42");
	ck_assert_str_eq(pick("search.documents[0].content", ODS_OK),
	    "\"d1\"");
	ck_assert_str_eq(pick("search.documents[*].content", ODS_OK),
	    "[\"d1\",\"d2\"]");
	ck_assert_str_eq(pick("search.documents[*]['score']", ODS_OK),
	    "[0.5,0.9]");
	ck_assert_str_eq(pick("inputs.obj['with.dot']", ODS_OK), "\"wd\"");
	ck_assert_str_eq(pick("['my-node'].output", ODS_OK), "\"hy\"");
	ck_assert_str_eq(pick("my-node.output", ODS_OK), "\"hy\"");
	ck_assert_str_eq(pick("$.inputs.tags[-1]", ODS_OK), "\"b\"");
	ck_assert_str_eq(pick("inputs.nul", ODS_OK), "null");
	ck_assert_str_eq(pick("search.documents[*].nothing", ODS_OK), "[]");
	ck_assert_str_eq(pick("", ODS_OK), ods_json_text(ctx));
	ck_assert_str_eq(pick("inputs.nothing", ODS_ENOTFOUND),
	    "at 6: 'inputs' has no field 'nothing'");
	ck_assert_str_eq(pick("nothing", ODS_ENOTFOUND),
	    "at 0: no field 'nothing'");
	ck_assert_str_eq(pick("inputs.tags[2]", ODS_ENOTFOUND),
	    "at 11: 'inputs.tags' has no element 2");
	ck_assert_str_eq(pick("inputs.query[*]", ODS_ENOTFOUND),
	    "at 12: 'inputs.query' is not an array");
	ck_assert_str_eq(pick("inputs..x", ODS_EINVAL),
	    "at 6: an empty name");
	ck_assert_str_eq(pick("inputs[x]", ODS_EINVAL),
	    "at 7: an index is an integer, '*' or a quoted key");
	ck_assert_str_eq(pick("inputs['x'", ODS_EINVAL),
	    "at 10: expected ']' at the end");
}
END_TEST

START_TEST(test_ref_resolves_through_the_scope)
{
	struct json_object	*v = NULL;
	struct ods_why		 why;

	memset(&why, 0, sizeof(why));
	ck_assert_int_eq(ods_wf_ref(&scope, "llm.output", &v, &why), ODS_OK);
	ck_assert_str_eq(ods_json_string(v), "The answer");
	ods_json_put(v);
	ck_assert_int_eq(ods_wf_ref(&scope, "my-node", &v, &why), ODS_OK);
	ck_assert_str_eq(ods_json_text(v), "{\"output\":\"hy\"}");
	ods_json_put(v);
	ck_assert_int_eq(ods_wf_ref(&scope, " search.documents[*].content ",
	    &v, &why), ODS_OK);
	ck_assert_str_eq(ods_json_text(v), "[\"d1\",\"d2\"]");
	ods_json_put(v);
	ck_assert_int_eq(ods_wf_ref(&scope, "retriever.documents", &v, &why),
	    ODS_ENOTFOUND);
	ck_assert_ptr_null(v);
	ck_assert_str_eq(why.msg, "unknown node or input 'retriever'");
	ck_assert_int_eq(ods_wf_ref(&scope, "llm.text", &v, &why),
	    ODS_ENOTFOUND);
	ck_assert_str_eq(why.msg, "at 3: 'llm' has no field 'text'");
	ck_assert_int_eq(ods_wf_ref(&scope, "", &v, &why), ODS_EINVAL);
	ck_assert_int_eq(ods_wf_ref(&scope, ".x", &v, &why), ODS_EINVAL);
	ck_assert_int_eq(ods_wf_ref(NULL, "llm", &v, &why), ODS_ENOTFOUND);
}
END_TEST

/* The template rendered, or its error message. */
static const char *
render(const char *t, enum ods_err want)
{
	static char	buf[4096];
	struct ods_buf	b;
	struct ods_why	why;
	enum ods_err	er;

	memset(&why, 0, sizeof(why));
	ods_buf_init(&b, 1 << 20);
	er = ods_wf_render(t, &scope, &b, &why);
	ck_assert_msg(er == want, "%s: %d %s", t, er, why.msg);
	if (er == ODS_OK)
		ck_assert_int_eq(ods_wf_render_check(t, &why), ODS_OK);
	snprintf(buf, sizeof(buf), "%s", er != ODS_OK ? why.msg :
	    b.data != NULL ? b.data : "");
	ods_buf_free(&b);
	return buf;
}

START_TEST(test_render_fills_placeholders)
{
	ck_assert_str_eq(render("Q: {{ inputs.query }}!", ODS_OK),
	    "Q: Hello World!");
	ck_assert_str_eq(render("{{inputs.n}} docs, {{ search.count * 2 }}",
	    ODS_OK), "3 docs, 4");
	ck_assert_str_eq(render("tags={{ inputs.tags }} nul=[{{ inputs.nul }}]"
	    " pi={{ inputs.pi }} ok={{ 1 < 2 }}", ODS_OK),
	    "tags=[\"a\",\"b\"] nul=[] pi=3.25 ok=true");
	ck_assert_str_eq(render("{{ '}}' }} and {{ \"{{\" }}", ODS_OK),
	    "}} and {{");
	ck_assert_str_eq(render("no placeholders } { }}", ODS_OK),
	    "no placeholders } { }}");
	ck_assert_str_eq(render("", ODS_OK), "");
	ck_assert_str_eq(render("{{ default(inputs.lang, 'en') }}", ODS_OK),
	    "en");
	ck_assert_str_eq(render("{{ join(search.documents[*].content, '\\n')"
	    " }}", ODS_OK), "d1\nd2");
	ck_assert_str_eq(render("a {{ inputs.query", ODS_EINVAL),
	    "at 2: unterminated '{{'");
	ck_assert_str_eq(render("a {{ }}", ODS_EINVAL),
	    "at 2: an empty placeholder");
	ck_assert_str_eq(render("x{{ inputs.nope }}", ODS_EINVAL),
	    "at 10: 'inputs' has no field 'nope'");
	ck_assert_str_eq(render("{{ 1 2 }}", ODS_EINVAL),
	    "at 5: expected '}}', not '2'");
	ck_assert_int_eq(ods_wf_render_check("{{ nosuch.x }} {{ len(x) }}",
	    NULL), ODS_OK);
	ck_assert_int_eq(ods_wf_render_check("ok {{ eval(x) }}", NULL),
	    ODS_EINVAL);
}
END_TEST

static struct json_object *
big_lookup(void *arg, const char *name, size_t len)
{
	return len == 3 && memcmp(name, "big", 3) == 0 ? arg : NULL;
}

/* {"s": 600 KiB of x, "csv": 100 000 commas} */
static struct json_object *
big_doc(void)
{
	struct json_object	*v = NULL;
	size_t			 n = 600 * 1024;
	char			*t, *p;

	t = malloc(n + 100000 + 64);
	ck_assert_ptr_nonnull(t);
	p = stpcpy(t, "{\"s\":\"");
	memset(p, 'x', n);
	p = stpcpy(p + n, "\",\"csv\":\"");
	memset(p, ',', 100000);
	strcpy(p + 100000, "\"}");
	ck_assert_int_eq(ods_json_parse(t, strlen(t), 0, &v, NULL), ODS_OK);
	free(t);
	return v;
}

static enum ods_err
big_eval(const struct ods_wf_scope *sc, const char *src, char *val,
    struct ods_why *why)
{
	struct json_object	*v = NULL;
	enum ods_err		 er;

	memset(why, 0, sizeof(*why));
	er = ods_wf_expr_eval(src, sc, &v, why);
	snprintf(val, 64, "%s", v != NULL ? ods_json_text(v) : "null");
	ods_json_put(v);
	return er;
}

START_TEST(test_values_and_renders_are_capped)
{
	struct json_object	*big = big_doc(), *t = NULL, *v = NULL;
	struct ods_wf_scope	 sc = { big_lookup, big };
	struct ods_why		 why;
	struct ods_buf		 b;
	char			 val[64];
	const char		*tj;

	ck_assert_int_eq(big_eval(&sc, "len(big.s)", val, &why), ODS_OK);
	ck_assert_str_eq(val, "614400");
	ck_assert_int_eq(big_eval(&sc, "big.s + big.s", val, &why),
	    ODS_ETOOBIG);
	ck_assert_str_eq(why.msg, "at 6: a string longer than 1048576 bytes");
	ck_assert_int_eq(big_eval(&sc, "len(join([big.s, big.s]))", val,
	    &why), ODS_ETOOBIG);
	ck_assert_int_eq(big_eval(&sc, "len(split(big.csv, ','))", val, &why),
	    ODS_ETOOBIG);
	ck_assert_str_eq(why.msg, "at 4: an array of more than 100000 "
	    "elements");
	ck_assert_int_eq(big_eval(&sc, "len(split(big.csv + 'x', 'x'))", val,
	    &why), ODS_OK);
	ck_assert_str_eq(val, "2");

	/* A render passing 256 KiB, or the caller's own cap. */
	ods_buf_init(&b, 16);
	ck_assert_int_eq(ods_wf_render("{{ big.s }}", &sc, &b, &why),
	    ODS_ETOOBIG);
	ck_assert_str_eq(why.msg, "the rendered text passes 262144 bytes");
	ck_assert_int_eq(ods_wf_render("{{ 'abcdefghijklmnopq' }}", &sc, &b,
	    &why), ODS_ETOOBIG);
	ck_assert_int_eq(ods_wf_render("{{ 'abcdefghijklmnop' }}", &sc, &b,
	    &why), ODS_OK);
	ods_buf_free(&b);
	ck_assert_int_eq(ods_wf_render_check("{{ 1 }} {{ 'x' + '}}' }}",
	    &why), ODS_OK);

	/* render_json: a typed placeholder costs nothing, texts add up. */
	tj = "{\"a\":\"{{ big.s }}\",\"b\":\"x{{ big.s }}\"}";
	ck_assert_int_eq(ods_json_parse(tj, strlen(tj), 0, &t, NULL), ODS_OK);
	ck_assert_int_eq(ods_wf_render_json(t, &sc, &v, &why), ODS_OK);
	ck_assert_uint_eq(strlen(ods_json_get_str(v, "b")), 614401);
	ods_json_put(v);
	ods_json_put(t);
	tj = "[\"x{{ big.s }}\",\"y{{ big.s }}\"]";
	ck_assert_int_eq(ods_json_parse(tj, strlen(tj), 0, &t, NULL), ODS_OK);
	ck_assert_int_eq(ods_wf_render_json(t, &sc, &v, &why), ODS_ETOOBIG);
	ck_assert_ptr_null(v);
	ods_json_put(t);
	ods_json_put(big);
}
END_TEST

START_TEST(test_render_refuses_a_huge_placeholder)
{
	struct ods_why	 why;
	char		*t;

	t = malloc(ODS_WF_EXPR_MAX + 64);
	ck_assert_ptr_nonnull(t);
	memcpy(t, "ab{{", 4);
	memset(t + 4, ' ', ODS_WF_EXPR_MAX);
	strcpy(t + 4 + ODS_WF_EXPR_MAX, "1 }}");
	ck_assert_int_eq(ods_wf_render_check(t, &why), ODS_EINVAL);
	ck_assert_str_eq(why.msg, "at 2: a placeholder longer than 4096 "
	    "bytes");
	free(t);
}
END_TEST

/* Deep render of the JSON text tmpl, as JSON text. */
static const char *
render_json(const char *tmpl, enum ods_err want)
{
	static char		 buf[4096];
	struct json_object	*t = NULL, *v = NULL;
	struct ods_why		 why;
	enum ods_err		 er;

	memset(&why, 0, sizeof(why));
	ck_assert_int_eq(ods_json_parse(tmpl, strlen(tmpl), 0, &t, NULL),
	    ODS_OK);
	er = ods_wf_render_json(t, &scope, &v, &why);
	ck_assert_msg(er == want, "%s: %d %s", tmpl, er, why.msg);
	snprintf(buf, sizeof(buf), "%s", er != ODS_OK ? why.msg : v != NULL ?
	    ods_json_text(v) : "null");
	ods_json_put(v);
	ods_json_put(t);
	return buf;
}

START_TEST(test_render_json_keeps_types_of_single_placeholders)
{
	ck_assert_str_eq(render_json("{\"docs\":\"{{ search.documents[*]"
	    ".content }}\",\"n\":\" {{ inputs.n + 1 }} \",\"text\":"
	    "\"n={{ inputs.n }}\",\"keep\":[1,true,null,\"plain\"],"
	    "\"deep\":{\"q\":\"{{ upper(inputs.query) }}\"}}", ODS_OK),
	    "{\"docs\":[\"d1\",\"d2\"],\"n\":4,\"text\":\"n=3\","
	    "\"keep\":[1,true,null,\"plain\"],\"deep\":{\"q\":"
	    "\"HELLO WORLD\"}}");
	ck_assert_str_eq(render_json("[\"{{ inputs.nul }}\",\"{{ inputs.obj"
	    " }}\",\"{{ 1 }}{{ 2 }}\"]", ODS_OK),
	    "[null,{\"k\":1,\"with.dot\":\"wd\"},\"12\"]");
	ck_assert_str_eq(render_json("{\"a\":[\"{{ nope }}\"]}", ODS_EINVAL),
	    "at 3: unknown name 'nope'");
	ck_assert_str_eq(render_json("[7,2.5,false]", ODS_OK), "[7,2.5,false]");
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("wf_expr");
	TCase	*tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_expr_follows_precedence);
	tcase_add_test(tc, test_expr_integers_stay_exact_until_they_overflow);
	tcase_add_test(tc, test_expr_compares_across_types);
	tcase_add_test(tc, test_expr_in_looks_in_arrays_strings_and_objects);
	tcase_add_test(tc,
	    test_expr_short_circuits_and_the_ternary_run_one_side);
	tcase_add_test(tc, test_expr_refs_walk_the_scope);
	tcase_add_test(tc, test_expr_functions);
	tcase_add_test(tc, test_truthy);
	tcase_add_test(tc, test_pick_walks_paths);
	tcase_add_test(tc, test_ref_resolves_through_the_scope);
	tcase_add_test(tc, test_render_fills_placeholders);
	tcase_add_test(tc, test_render_json_keeps_types_of_single_placeholders);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_expr_refuses_to_order_mixed_types);
	tcase_add_test(tc, test_expr_functions_refuse_bad_arguments);
	tcase_add_test(tc, test_expr_errors_name_the_offset);
	suite_add_tcase(s, tc);
	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_expr_bounds_depth_length_and_sizes);
	tcase_add_test(tc, test_values_and_renders_are_capped);
	tcase_add_test(tc, test_render_refuses_a_huge_placeholder);
	suite_add_tcase(s, tc);
	return s;
}

const struct ods_check ods_check_program = { .suite = suite };
