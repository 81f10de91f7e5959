/*
 * tests/check_ods_prompt.c — the {{variable}} language of prompt
 * templates (svc/agent/prompt_fill.c): names, escapes, declarations,
 * filling with types and defaults, and hostile content (unterminated and
 * nested braces, empty names, UTF-8, huge inputs). The stored templates
 * are tested through nginx (tests/integration/prompts.sh).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_err.h"
#include "core/ods_json.h"
#include "core/ods_log.h"
#include "core/ods_util.h"
#include "../svc/agent/prompt.h"
#include "ods_check.h"

static struct json_object *
js(const char *s)
{
	struct json_object	*o = NULL;

	ck_assert_int_eq(ods_json_parse(s, strlen(s), 0, &o, NULL), ODS_OK);
	return o;
}

/* Fill s with the declaration decl and vars (JSON text, NULL: none). */
static enum ods_err
fill(const char *s, const char *decl, const char *vars, char **out,
    struct ods_why *why)
{
	struct json_object	*v = vars != NULL ? js(vars) : NULL;
	struct ods_prompt_text	 t;
	enum ods_err		 er;

	memset(why, 0, sizeof(*why));
	er = ods_prompt_fill(s, strlen(s), decl, v, ODS_PROMPT_RENDER_MAX, &t,
	    why);
	ods_json_put(v);
	*out = er == ODS_OK ? strdup(t.content) : NULL;
	ods_prompt_text_fini(&t);
	return er;
}

static void
expect(const char *s, const char *decl, const char *vars, const char *want)
{
	struct ods_why	 why;
	char		*out = NULL;

	ck_assert_msg(fill(s, decl, vars, &out, &why) == ODS_OK,
	    "%s: %s", s, why.msg);
	ck_assert_str_eq(out, want);
	free(out);
}

static void
expect_error(const char *s, const char *decl, const char *vars,
    enum ods_err want, const char *msg_part)
{
	struct ods_why	 why;
	char		*out = NULL;

	ck_assert_int_eq(fill(s, decl, vars, &out, &why), want);
	ck_assert_msg(strstr(why.msg, msg_part) != NULL, "'%s' lacks '%s'",
	    why.msg, msg_part);
}

START_TEST(test_names_are_listed_once_in_order)
{
	const char	*s = "{{b}} and {{ a }} then {{\tb\n}} {{c.d-e_1}}";
	char		**v = NULL;
	size_t		 n = 0;

	ck_assert_int_eq(ods_prompt_names(s, strlen(s), &v, &n, NULL),
	    ODS_OK);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(v[0], "b");
	ck_assert_str_eq(v[1], "a");
	ck_assert_str_eq(v[2], "c.d-e_1");
	ods_strv_free(v, n);
}
END_TEST

START_TEST(test_values_replace_names_and_text_stays)
{
	expect("Hello {{ name }}, {{name}}!", NULL, "{\"name\":\"Ann\"}",
	    "Hello Ann, Ann!");
	expect("no variables at all { } }} {", NULL, NULL,
	    "no variables at all { } }} {");
	expect("", NULL, NULL, "");
}
END_TEST

START_TEST(test_backslash_escapes_braces)
{
	expect("literal \\{{name}} and {{name}}", NULL, "{\"name\":\"x\"}",
	    "literal {{name}} and x");
	expect("a \\ b \\{ c", NULL, NULL, "a \\ b \\{ c");
	expect("\\{{", NULL, NULL, "{{");
}
END_TEST

START_TEST(test_typed_values_and_defaults)
{
	const char	*decl = "[{\"name\":\"n\",\"type\":\"number\"},"
	    "{\"name\":\"b\",\"type\":\"boolean\",\"default\":false},"
	    "{\"name\":\"j\",\"type\":\"json\",\"default\":{\"k\":[1,2]}},"
	    "{\"name\":\"s\",\"type\":\"string\",\"required\":false}]";

	expect("{{n}}|{{b}}|{{j}}|{{s}}", decl, "{\"n\":42.5}",
	    "42.5|false|{\"k\":[1,2]}|");
	expect("{{n}}|{{b}}|{{s}}", decl,
	    "{\"n\":1,\"b\":true,\"s\":\"x\",\"unused\":3}", "1|true|x");
}
END_TEST

START_TEST(test_utf8_values_and_text_pass_through)
{
	expect("你好，{{name}}！東京 🚀", NULL, "{\"name\":\"世界\"}",
	    "你好，世界！東京 🚀");
}
END_TEST

START_TEST(test_declare_from_content_makes_required_strings)
{
	struct ods_why	 why;
	char		*d = NULL;

	memset(&why, 0, sizeof(why));
	ck_assert_int_eq(ods_prompt_declare(NULL, "{{a}} {{b}}", &d, &why),
	    ODS_OK);
	ck_assert_str_eq(d, "[{\"name\":\"a\",\"type\":\"string\","
	    "\"required\":true},{\"name\":\"b\",\"type\":\"string\","
	    "\"required\":true}]");
	free(d);
}
END_TEST

START_TEST(test_declare_names_every_undeclared_variable)
{
	struct json_object	*decl = js("[{\"name\":\"a\"}]");
	struct ods_why		 why;
	char			*d = NULL;

	memset(&why, 0, sizeof(why));
	ck_assert_int_eq(ods_prompt_declare(decl, "{{a}} {{x}} {{y}} {{x}}",
	    &d, &why), ODS_EINVAL);
	ck_assert_ptr_null(d);
	ck_assert_str_eq(why.field, "variables");
	ck_assert_ptr_nonnull(strstr(why.msg, "x, y"));
	ods_json_put(decl);
}
END_TEST

START_TEST(test_missing_variables_are_all_named)
{
	expect_error("{{a}} {{b}} {{c}}", NULL, "{\"b\":\"1\"}", ODS_EINVAL,
	    "missing required variables: a, c");
	expect_error("{{a}}", NULL, "{\"a\":null}", ODS_EINVAL, "a");
}
END_TEST

START_TEST(test_wrong_types_are_refused)
{
	const char	*decl = "[{\"name\":\"n\",\"type\":\"number\"}]";

	expect_error("{{n}}", decl, "{\"n\":\"seven\"}", ODS_EINVAL,
	    "'n' must be a number");
	expect_error("{{a}}", NULL, "{\"a\":7}", ODS_EINVAL,
	    "'a' must be a string");
	expect_error("{{a}}", NULL, "[1]", ODS_EINVAL, "must be an object");
}
END_TEST

START_TEST(test_bad_declarations_are_refused)
{
	static const char *const bad[] = {
		"{\"name\":\"a\"}",
		"[1]",
		"[{\"type\":\"string\"}]",
		"[{\"name\":\"a b\"}]",
		"[{\"name\":\"a\",\"type\":\"date\"}]",
		"[{\"name\":\"a\",\"type\":\"number\",\"default\":\"x\"}]",
		"[{\"name\":\"a\"},{\"name\":\"a\"}]",
		"[{\"name\":\"a\",\"required\":\"yes\"}]",
	};
	struct json_object	*d;
	struct ods_why		 why;
	char			*out;
	size_t			 i;

	for (i = 0; i < ODS_NELEM(bad); i++) {
		d = js(bad[i]);
		out = NULL;
		memset(&why, 0, sizeof(why));
		ck_assert_msg(ods_prompt_declare(d, "{{a}}", &out, &why) ==
		    ODS_EINVAL, "%s accepted", bad[i]);
		ck_assert_str_eq(why.field, "variables");
		ck_assert_ptr_null(out);
		ods_json_put(d);
	}
}
END_TEST

START_TEST(test_unterminated_nested_and_empty_are_errors)
{
	static const struct {
		const char	*s;
		const char	*msg;
	} bad[] = {
		{ "abc {{name", "unterminated {{ at byte 4" },
		{ "abc {{name }", "unterminated" },
		{ "{{", "unterminated {{ at byte 0" },
		{ "{{}}", "empty variable name at byte 0" },
		{ "x {{   }}", "empty variable name at byte 2" },
		{ "{{ {{a}} }}", "bad character" },
		{ "{{{a}}}", "bad character" },
		{ "{{a b}}", "bad character" },
		{ "{{1a}}", "bad character" },
		{ "{{名}}", "bad character" },
		{ "{{a}", "unterminated" },
	};
	struct ods_why	 why;
	char		**v;
	size_t		 i, n;

	for (i = 0; i < ODS_NELEM(bad); i++) {
		memset(&why, 0, sizeof(why));
		v = NULL;
		ck_assert_msg(ods_prompt_names(bad[i].s, strlen(bad[i].s), &v,
		    &n, &why) == ODS_EINVAL, "%s accepted", bad[i].s);
		ck_assert_ptr_null(v);
		ck_assert_str_eq(why.field, "content");
		ck_assert_msg(strstr(why.msg, bad[i].msg) != NULL,
		    "%s: '%s' lacks '%s'", bad[i].s, why.msg, bad[i].msg);
	}
}
END_TEST

START_TEST(test_names_longer_than_the_limit_are_refused)
{
	char	s[ODS_PROMPT_NAME_MAX + 8];
	char	**v = NULL;
	size_t	n;

	memset(s, 'a', sizeof(s));
	memcpy(s, "{{", 2);
	memcpy(s + ODS_PROMPT_NAME_MAX + 3, "}}", 3);	/* 65 a's */
	ck_assert_int_eq(ods_prompt_names(s, strlen(s), &v, &n, NULL),
	    ODS_EINVAL);
	s[ODS_PROMPT_NAME_MAX + 2] = '}';		/* 64 a's: fine */
	s[ODS_PROMPT_NAME_MAX + 3] = '}';
	s[ODS_PROMPT_NAME_MAX + 4] = '\0';
	ck_assert_int_eq(ods_prompt_names(s, strlen(s), &v, &n, NULL),
	    ODS_OK);
	ck_assert_uint_eq(n, 1);
	ods_strv_free(v, n);
}
END_TEST

START_TEST(test_output_past_the_cap_is_too_big)
{
	struct json_object	*vars;
	struct ods_prompt_text	 t;
	struct ods_why		 why;
	char			*big, *doc;
	size_t			 n = 300 * 1024;

	/* A 300 KiB value used four times: 1.2 MiB out. */
	big = malloc(n + 1);
	memset(big, 'x', n);
	big[n] = '\0';
	doc = malloc(n + 16);
	snprintf(doc, n + 16, "{\"v\":\"%s\"}", big);
	vars = js(doc);
	memset(&why, 0, sizeof(why));
	ck_assert_int_eq(ods_prompt_fill("{{v}}{{v}}{{v}}{{v}}", 20, NULL,
	    vars, ODS_PROMPT_RENDER_MAX, &t, &why), ODS_ETOOBIG);
	ck_assert_ptr_null(t.content);
	ck_assert_int_eq(ods_prompt_fill("{{v}}{{v}}{{v}}", 15, NULL,
	    vars, ODS_PROMPT_RENDER_MAX, &t, &why), ODS_OK);
	ck_assert_uint_eq(t.len, 3 * n);
	ods_prompt_text_fini(&t);
	ods_json_put(vars);
	free(doc);
	free(big);
}
END_TEST

START_TEST(test_huge_content_and_many_names)
{
	struct ods_why	 why;
	char		*s, **v = NULL;
	size_t		 n = 4u << 20, i, len = 0, k;

	/* 4 MiB of text and braces scans in one pass. */
	s = malloc(n + 1);
	for (i = 0; i < n; i++)
		s[i] = "a{}\\ "[i % 5];
	s[n] = '\0';
	ck_assert_int_eq(ods_prompt_names(s, n, &v, &k, &why), ODS_OK);
	ck_assert_uint_eq(k, 0);
	/* More distinct names than a template may declare. */
	for (i = 0; i <= ODS_PROMPT_VARS_MAX; i++)
		len += (size_t)snprintf(s + len, n - len, "{{v%zu}}", i);
	ck_assert_int_eq(ods_prompt_names(s, len, &v, &k, &why),
	    ODS_ETOOBIG);
	ck_assert_ptr_null(v);
	free(s);
}
END_TEST

static Suite *
prompt_suite(void)
{
	Suite	*s = suite_create("ods_prompt");
	TCase	*core = tcase_create("core");
	TCase	*limits = tcase_create("limits");
	TCase	*errors = tcase_create("errors");

	ods_log_min = ODS_LOG_ERR + 1;
	tcase_add_test(core, test_names_are_listed_once_in_order);
	tcase_add_test(core, test_values_replace_names_and_text_stays);
	tcase_add_test(core, test_backslash_escapes_braces);
	tcase_add_test(core, test_typed_values_and_defaults);
	tcase_add_test(core, test_utf8_values_and_text_pass_through);
	tcase_add_test(core, test_declare_from_content_makes_required_strings);
	tcase_add_test(limits, test_names_longer_than_the_limit_are_refused);
	tcase_add_test(limits, test_output_past_the_cap_is_too_big);
	tcase_add_test(limits, test_huge_content_and_many_names);
	tcase_add_test(errors, test_declare_names_every_undeclared_variable);
	tcase_add_test(errors, test_missing_variables_are_all_named);
	tcase_add_test(errors, test_wrong_types_are_refused);
	tcase_add_test(errors, test_bad_declarations_are_refused);
	tcase_add_test(errors, test_unterminated_nested_and_empty_are_errors);
	suite_add_tcase(s, core);
	suite_add_tcase(s, limits);
	suite_add_tcase(s, errors);
	return s;
}

const struct ods_check ods_check_program = { .suite = prompt_suite };
