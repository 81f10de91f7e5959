/*
 * tests/check_tool.c — the agents' tools without a server: the
 * calculator's arithmetic (svc/agent/calc.c), the argument check of the
 * tool schemas (svc/agent/tool_check.c), datetime, and the refusals of
 * http_request that happen before any connection.
 */
#include "config.h"

#include <check.h>
#include <math.h>
#include <string.h>

#include "core/ods_conf.h"
#include "core/ods_err.h"
#include "core/ods_json.h"
#include "core/ods_mem.h"
#include "../svc/agent/agent.h"
#include "../svc/agent/calc.h"
#include "../svc/agent/tool.h"
#include "ods_check.h"

static double
calc(const char *s)
{
	struct ods_why	why;
	double		v = NAN;

	memset(&why, 0, sizeof(why));
	ck_assert_msg(ods_calc_eval(s, strlen(s), &v, &why) == ODS_OK,
	    "%s: %s", s, why.msg);
	return v;
}

static enum ods_err
calc_err(const char *s, struct ods_why *why)
{
	double	v;

	memset(why, 0, sizeof(*why));
	return ods_calc_eval(s, strlen(s), &v, why);
}

START_TEST(test_calc_follows_precedence_and_associativity)
{
	ck_assert_double_eq(calc("2+3*4"), 14);
	ck_assert_double_eq(calc("(2+3)*4"), 20);
	ck_assert_double_eq(calc("2^3^2"), 512);
	ck_assert_double_eq(calc("2**10"), 1024);
	ck_assert_double_eq(calc("-2^2"), -4);
	ck_assert_double_eq(calc("--3"), 3);
	ck_assert_double_eq(calc("10 - 4 - 3"), 3);
	ck_assert_double_eq(calc("100 / 10 / 5"), 2);
	ck_assert_double_eq(calc("17 % 5"), 2);
	ck_assert_double_eq(calc(" 1.5e2 + .5 "), 150.5);
}
END_TEST

START_TEST(test_calc_knows_its_functions_and_constants)
{
	ck_assert_double_eq(calc("sqrt(16)"), 4);
	ck_assert_double_eq(calc("abs(-3)"), 3);
	ck_assert_double_eq(calc("round(2.567, 2)"), 2.57);
	ck_assert_double_eq(calc("round(2.5)"), 3);
	ck_assert_double_eq(calc("min(4, 2, 8)"), 2);
	ck_assert_double_eq(calc("max(4, 2, 8)"), 8);
	ck_assert_double_eq_tol(calc("log(e)"), 1, 1e-12);
	ck_assert_double_eq_tol(calc("log(8, 2)"), 3, 1e-12);
	ck_assert_double_eq_tol(calc("exp(0) + pi"), 1 + M_PI, 1e-12);
	ck_assert_double_eq(calc("SQRT(9)"), 3);
}
END_TEST

START_TEST(test_calc_refuses_bad_input_with_an_offset)
{
	struct ods_why	why;

	ck_assert_int_eq(calc_err("1/0", &why), ODS_EINVAL);
	ck_assert_ptr_nonnull(strstr(why.msg, "division by zero"));
	ck_assert_int_eq(calc_err("5 % 0", &why), ODS_EINVAL);
	ck_assert_int_eq(calc_err("2 +", &why), ODS_EINVAL);
	ck_assert_ptr_nonnull(strstr(why.msg, "offset 3"));
	ck_assert_int_eq(calc_err("(1+2", &why), ODS_EINVAL);
	ck_assert_int_eq(calc_err("1 2", &why), ODS_EINVAL);
	ck_assert_int_eq(calc_err("system(1)", &why), ODS_EINVAL);
	ck_assert_ptr_nonnull(strstr(why.msg, "unknown function"));
	ck_assert_int_eq(calc_err("__import__", &why), ODS_EINVAL);
	ck_assert_int_eq(calc_err("sqrt(-1)", &why), ODS_EINVAL);
	ck_assert_int_eq(calc_err("10^400", &why), ODS_EINVAL);
	ck_assert_int_eq(calc_err("", &why), ODS_EINVAL);
	ck_assert_str_eq(why.field, "expression");
}
END_TEST

START_TEST(test_calc_bounds_nesting_and_length)
{
	struct ods_why	why;
	char		buf[ODS_CALC_MAX + 2];

	memset(buf, '(', 200);
	buf[200] = '1';
	memset(buf + 201, ')', 200);
	buf[401] = '\0';
	ck_assert_int_eq(calc_err(buf, &why), ODS_ETOOBIG);
	memset(buf, '-', 300);
	strcpy(buf + 300, "1");
	ck_assert_int_eq(calc_err(buf, &why), ODS_ETOOBIG);
	memset(buf, '1', ODS_CALC_MAX + 1);
	buf[ODS_CALC_MAX + 1] = '\0';
	ck_assert_int_eq(calc_err(buf, &why), ODS_ETOOBIG);
}
END_TEST

/* check(schema, args) with the argument named in field. */
static enum ods_err
check(const char *schema, const char *args, char *field, size_t n)
{
	struct json_object	*s = NULL, *a = NULL;
	struct ods_why		 why;
	enum ods_err		 er;

	memset(&why, 0, sizeof(why));
	ck_assert_int_eq(ods_json_parse(schema, strlen(schema), 0, &s, &why),
	    ODS_OK);
	if (args != NULL)
		ck_assert_int_eq(ods_json_parse(args, strlen(args), 0, &a,
		    &why), ODS_OK);
	er = ods_tool_check(s, a, &why);
	snprintf(field, n, "%s", why.field);
	ods_json_put(s);
	ods_json_put(a);
	return er;
}

#define SCHEMA	"{\"type\":\"object\",\"required\":[\"q\"],\"properties\":{" \
	"\"q\":{\"type\":\"string\",\"maxLength\":5},\"k\":{\"type\":" \
	"\"integer\",\"minimum\":1,\"maximum\":10},\"m\":{\"type\":\"string\"," \
	"\"enum\":[\"a\",\"b\"]},\"o\":{\"type\":\"object\",\"required\":" \
	"[\"x\"],\"properties\":{\"x\":{\"type\":\"boolean\"}}},\"l\":{" \
	"\"type\":\"array\",\"maxItems\":2,\"items\":{\"type\":\"number\"}}}}"

START_TEST(test_check_names_the_bad_argument)
{
	char	f[64];

	ck_assert_int_eq(check(SCHEMA, "{\"q\":\"abc\",\"k\":3,\"m\":\"a\","
	    "\"o\":{\"x\":true},\"l\":[1,2.5]}", f, sizeof(f)), ODS_OK);
	ck_assert_int_eq(check(SCHEMA, "{}", f, sizeof(f)), ODS_EINVAL);
	ck_assert_str_eq(f, "q");
	ck_assert_int_eq(check(SCHEMA, NULL, f, sizeof(f)), ODS_EINVAL);
	ck_assert_str_eq(f, "q");
	ck_assert_int_eq(check(SCHEMA, "{\"q\":5}", f, sizeof(f)),
	    ODS_EINVAL);
	ck_assert_str_eq(f, "q");
	ck_assert_int_eq(check(SCHEMA, "{\"q\":\"abcdef\"}", f, sizeof(f)),
	    ODS_EINVAL);
	ck_assert_int_eq(check(SCHEMA, "{\"q\":\"a\",\"k\":11}", f,
	    sizeof(f)), ODS_EINVAL);
	ck_assert_str_eq(f, "k");
	ck_assert_int_eq(check(SCHEMA, "{\"q\":\"a\",\"k\":1.5}", f,
	    sizeof(f)), ODS_EINVAL);
	ck_assert_int_eq(check(SCHEMA, "{\"q\":\"a\",\"m\":\"c\"}", f,
	    sizeof(f)), ODS_EINVAL);
	ck_assert_str_eq(f, "m");
	ck_assert_int_eq(check(SCHEMA, "{\"q\":\"a\",\"o\":{}}", f,
	    sizeof(f)), ODS_EINVAL);
	ck_assert_str_eq(f, "o.x");
	ck_assert_int_eq(check(SCHEMA, "{\"q\":\"a\",\"l\":[1,\"x\"]}", f,
	    sizeof(f)), ODS_EINVAL);
	ck_assert_str_eq(f, "l[1]");
	ck_assert_int_eq(check(SCHEMA, "{\"q\":\"a\",\"l\":[1,2,3]}", f,
	    sizeof(f)), ODS_EINVAL);
	ck_assert_int_eq(check(SCHEMA, "[1]", f, sizeof(f)), ODS_EINVAL);
}
END_TEST

/* Run a tool by name with args; the result's JSON text in out. */
static enum ods_err
run(const char *name, const char *args, char *out, size_t n,
    struct ods_why *why)
{
	static struct ods_conf	 conf;
	static char		 domains[] = "example.com", none[] = "";
	struct ods_tool_ctx	 c;
	struct ods_buf		 b;
	struct ods_jw		 jw;
	enum ods_err		 er;

	memset(&c, 0, sizeof(c));
	conf.http_tool_domains = domains;
	conf.http_tool_allow = none;
	conf.tool_timeout_ms = 1000;
	c.conf = &conf;
	memset(why, 0, sizeof(*why));
	ods_buf_init(&b, 65536);
	ods_jw_init(&jw, &b);
	er = ods_tool_run_text(&c, name, args, strlen(args), &jw, why);
	snprintf(out, n, "%.*s", (int)b.len, b.data != NULL ? b.data : "");
	ods_buf_free(&b);
	return er;
}

START_TEST(test_tools_run_and_refuse)
{
	struct ods_why	why;
	char		out[4096];

	ck_assert_int_eq(run("calculator", "{\"expression\":\"(2+3)*4\"}",
	    out, sizeof(out), &why), ODS_OK);
	ck_assert_ptr_nonnull(strstr(out, "\"result\":20"));
	ck_assert_int_eq(run("datetime", "{\"operation\":\"add\",\"date\":"
	    "\"2024-02-28\",\"days\":2}", out, sizeof(out), &why), ODS_OK);
	ck_assert_ptr_nonnull(strstr(out, "\"date\":\"2024-03-01\""));
	ck_assert_int_eq(run("datetime", "{\"operation\":\"diff\",\"date\":"
	    "\"2024-01-01\",\"date2\":\"2024-12-31\"}", out, sizeof(out),
	    &why), ODS_OK);
	ck_assert_ptr_nonnull(strstr(out, "\"days\":365"));
	ck_assert_int_eq(run("datetime", "{\"operation\":\"now\","
	    "\"timezone\":\"Nowhere/Else\"}", out, sizeof(out), &why),
	    ODS_EINVAL);
	ck_assert_str_eq(why.field, "timezone");
	ck_assert_int_eq(run("datetime", "{\"operation\":\"later\"}", out,
	    sizeof(out), &why), ODS_EINVAL);
	ck_assert_str_eq(why.field, "operation");
	ck_assert_int_eq(run("http_request", "{\"url\":\"http://evil.test/\"}",
	    out, sizeof(out), &why), ODS_EFORBIDDEN);
	ck_assert_int_eq(run("http_request", "{\"url\":\"file:///etc/passwd\"}",
	    out, sizeof(out), &why), ODS_EINVAL);
	ck_assert_int_eq(run("http_request",
	    "{\"url\":\"http://u:p@example.com/\"}", out, sizeof(out), &why),
	    ODS_EINVAL);
	ck_assert_int_eq(run("nope", "{}", out, sizeof(out), &why),
	    ODS_ENOTFOUND);
}
END_TEST

/* Check a stored tool's definition; why's field in f. */
static enum ods_err
def(const char *json, int create, char *f, size_t n)
{
	static struct ods_conf	 conf;
	static char		 domains[] = "example.com,127.0.0.2";
	struct json_object	*o = NULL;
	struct ods_why		 why;
	enum ods_err		 er;

	conf.http_tool_domains = domains;
	memset(&why, 0, sizeof(why));
	ck_assert_int_eq(ods_json_parse(json, strlen(json), 0, &o, &why),
	    ODS_OK);
	er = ods_tool_def_check(&conf, o, create, &why);
	ck_assert(er == ODS_OK || why.msg[0] != '\0');
	snprintf(f, n, "%s", why.field);
	ods_json_put(o);
	return er;
}

#define P_OK	"\"parameters\":{\"type\":\"object\",\"properties\":{\"q\":" \
	"{\"type\":\"string\",\"maxLength\":5,\"description\":\"d\"},\"l\":" \
	"{\"type\":\"array\",\"maxItems\":3,\"items\":{\"type\":\"integer\"," \
	"\"minimum\":0}}},\"required\":[\"q\"]}"
#define C_OK	"\"config\":{\"url\":\"https://api.example.com/x\"," \
	"\"method\":\"POST\",\"headers\":{\"X-Key\":\"k\"}}"

START_TEST(test_tool_def_names_the_bad_field)
{
	char	f[128];

	ck_assert_int_eq(def("{\"name\":\"echo_1\"," P_OK "," C_OK "}", 1, f,
	    sizeof(f)), ODS_OK);
	ck_assert_int_eq(def("{\"description\":\"only this\"}", 0, f,
	    sizeof(f)), ODS_OK);
	ck_assert_int_eq(def("{\"description\":\"only this\"}", 1, f,
	    sizeof(f)), ODS_EINVAL);
	ck_assert_str_eq(f, "name");
	ck_assert_int_eq(def("{\"name\":\"Echo\"," P_OK "," C_OK "}", 1, f,
	    sizeof(f)), ODS_EINVAL);
	ck_assert_str_eq(f, "name");
	ck_assert_int_eq(def("{\"name\":\"calculator\"," P_OK "," C_OK "}", 1,
	    f, sizeof(f)), ODS_EINVAL);
	ck_assert_str_eq(f, "name");
	ck_assert_int_eq(def("{\"name\":\"schemas\"," P_OK "," C_OK "}", 1,
	    f, sizeof(f)), ODS_EINVAL);
	ck_assert_int_eq(def("{\"name\":\"a\"," C_OK "}", 1, f, sizeof(f)),
	    ODS_EINVAL);
	ck_assert_str_eq(f, "parameters");
	ck_assert_int_eq(def("{\"name\":\"a\",\"parameters\":{\"type\":"
	    "\"string\"}," C_OK "}", 1, f, sizeof(f)), ODS_EINVAL);
	ck_assert_str_eq(f, "parameters");
	ck_assert_int_eq(def("{\"parameters\":{\"type\":\"object\","
	    "\"properties\":{\"a\":{\"type\":\"strnig\"}}}}", 0, f, sizeof(f)),
	    ODS_EINVAL);
	ck_assert_str_eq(f, "parameters.properties.a.type");
	ck_assert_int_eq(def("{\"parameters\":{\"type\":\"object\","
	    "\"properties\":{\"a\":{\"pattern\":\"x\"}}}}", 0, f, sizeof(f)),
	    ODS_EINVAL);
	ck_assert_str_eq(f, "parameters.properties.a.pattern");
	ck_assert_int_eq(def("{\"parameters\":{\"type\":\"object\","
	    "\"properties\":{\"a\":{\"maxLength\":-1}}}}", 0, f, sizeof(f)),
	    ODS_EINVAL);
	ck_assert_int_eq(def("{\"parameters\":{\"type\":\"object\","
	    "\"required\":[1]}}", 0, f, sizeof(f)), ODS_EINVAL);
	ck_assert_str_eq(f, "parameters.required");
	ck_assert_int_eq(def("{\"config\":{\"url\":\"ftp://example.com/\"}}",
	    0, f, sizeof(f)), ODS_EINVAL);
	ck_assert_str_eq(f, "config.url");
	ck_assert_int_eq(def("{\"config\":{\"url\":\"http://evil.test/\"}}",
	    0, f, sizeof(f)), ODS_EINVAL);
	ck_assert_str_eq(f, "config.url");
	ck_assert_int_eq(def("{\"config\":{\"url\":\"http://127.0.0.2:81/\","
	    "\"method\":\"DELETE\"}}", 0, f, sizeof(f)), ODS_EINVAL);
	ck_assert_str_eq(f, "config.method");
	ck_assert_int_eq(def("{\"config\":{\"url\":\"http://example.com/\","
	    "\"headers\":{\"X\":\"a\\r\\nEvil: 1\"}}}", 0, f, sizeof(f)),
	    ODS_EINVAL);
	ck_assert_str_eq(f, "config.headers");
	ck_assert_int_eq(def("{\"config\":{\"url\":\"http://example.com/\","
	    "\"headers\":{\"Host\":\"a\"}}}", 0, f, sizeof(f)), ODS_EINVAL);
	ck_assert_int_eq(def("{\"config\":{\"url\":\"http://example.com/\","
	    "\"body\":\"x\"}}", 0, f, sizeof(f)), ODS_EINVAL);
	ck_assert_str_eq(f, "config");
	ck_assert_int_eq(def("{\"owner\":\"me\"}", 0, f, sizeof(f)),
	    ODS_EINVAL);
	ck_assert_str_eq(f, "owner");
	ck_assert_int_eq(def("{\"enabled\":\"yes\"}", 0, f, sizeof(f)),
	    ODS_EINVAL);
	ck_assert_str_eq(f, "enabled");
	ck_assert_int_eq(def("[]", 0, f, sizeof(f)), ODS_EINVAL);
}
END_TEST

/* Without a database the set is the built-ins; a stored name is unknown. */
START_TEST(test_toolset_of_builtins)
{
	struct ods_toolset	*s = NULL;
	struct ods_why		 why;
	const char		*names[] = { "datetime", "calculator",
	    "datetime" };
	const char		*unknown[] = { "calculator", "my_tool" };

	memset(&why, 0, sizeof(why));
	ck_assert_int_eq(ods_toolset_load(NULL, NULL, 0, &s, &why), ODS_OK);
	ck_assert_uint_eq(ods_toolset_count(s), ods_tool_count());
	ck_assert_str_eq(ods_toolset_name(s, 0), "calculator");
	ods_toolset_free(s);
	ck_assert_int_eq(ods_toolset_load(NULL, names, 3, &s, &why), ODS_OK);
	ck_assert_uint_eq(ods_toolset_count(s), 2);	/* offered once */
	ck_assert(ods_toolset_has(s, "calculator"));
	ck_assert(!ods_toolset_has(s, "http_request"));
	ods_toolset_free(s);
	ck_assert_int_eq(ods_toolset_load(NULL, unknown, 2, &s, &why),
	    ODS_ENOTFOUND);
	ck_assert_str_eq(why.field, "tools");
	ck_assert_ptr_null(s);
}
END_TEST

/* The part at off/len of text as a string. */
static char *
part(const char *text, size_t off, size_t len)
{
	static char	buf[256];

	snprintf(buf, sizeof(buf), "%.*s", (int)len, text + off);
	return buf;
}

START_TEST(test_react_parses_action_and_final)
{
	struct ods_react	 r;
	const char		*t;

	t = "Thought: I need to compute.\nAction: calculator\n"
	    "Action Input: {\"expression\":\n \"6*7\"}\nObservation: 42";
	ods_react_parse(t, strlen(t), &r);
	ck_assert_int_eq(r.has_action, 1);
	ck_assert_int_eq(r.has_final, 0);
	ck_assert_str_eq(part(t, r.thought, r.thought_len),
	    "I need to compute.");
	ck_assert_str_eq(part(t, r.action, r.action_len), "calculator");
	ck_assert_str_eq(part(t, r.input, r.input_len),
	    "{\"expression\":\n \"6*7\"}");
	t = "**Thought:** done\n**Final Answer:** It is 42.\n";
	ods_react_parse(t, strlen(t), &r);
	ck_assert_int_eq(r.has_action, 0);
	ck_assert_int_eq(r.has_final, 1);
	ck_assert_str_eq(part(t, r.final, r.final_len), "It is 42.");
	t = "action: datetime\naction input: ```json\n{\"operation\":"
	    "\"now\"}\n```";
	ods_react_parse(t, strlen(t), &r);
	ck_assert_str_eq(part(t, r.action, r.action_len), "datetime");
	ck_assert_str_eq(part(t, r.input, r.input_len),
	    "{\"operation\":\"now\"}");
	t = "just an answer";
	ods_react_parse(t, strlen(t), &r);
	ck_assert_int_eq(r.has_action + r.has_final, 0);
	ck_assert_str_eq(part(t, r.thought, r.thought_len), t);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("tool");
	TCase	*tc = tcase_create("calc");

	tcase_add_test(tc, test_calc_follows_precedence_and_associativity);
	tcase_add_test(tc, test_calc_knows_its_functions_and_constants);
	tcase_add_test(tc, test_calc_refuses_bad_input_with_an_offset);
	tcase_add_test(tc, test_calc_bounds_nesting_and_length);
	suite_add_tcase(s, tc);
	tc = tcase_create("schema");
	tcase_add_test(tc, test_check_names_the_bad_argument);
	tcase_add_test(tc, test_tools_run_and_refuse);
	tcase_add_test(tc, test_tool_def_names_the_bad_field);
	tcase_add_test(tc, test_toolset_of_builtins);
	suite_add_tcase(s, tc);
	tc = tcase_create("react");
	tcase_add_test(tc, test_react_parses_action_and_final);
	suite_add_tcase(s, tc);
	return s;
}

const struct ods_check ods_check_program = { .suite = suite };
