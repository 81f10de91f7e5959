/* tests/check_ods_json.c — parsing limits, typed access, the writer. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ods.h"
#include "ods_check.h"

static struct json_object *
parse_ok(const char *s)
{
	struct json_object	*o = NULL;
	struct ods_why	 e;

	ck_assert_int_eq(ods_json_parse(s, strlen(s), 0, &o, &e), ODS_OK);
	return o;
}

START_TEST(test_json_parses_an_object)
{
	struct json_object	*o = parse_ok("{\"name\":\"x\",\"n\":3} \n");
	const char		*name;
	int64_t			 n;

	ck_assert_int_eq(ods_json_str(o, "name", 1, 0, &name, NULL), ODS_OK);
	ck_assert_str_eq(name, "x");
	ck_assert_int_eq(ods_json_int(o, "n", 1, 0, 10, &n, NULL), ODS_OK);
	ck_assert_int_eq(n, 3);
	ods_json_put(o);
}
END_TEST

START_TEST(test_json_refuses_too_many_values_before_parsing)
{
	struct json_object	*o = NULL;
	struct ods_why		 e;
	size_t			 i, n = 3 * ODS_JSON_MAX_VALUES + 4;
	char			*s = malloc(n + 1), *q;

	ck_assert_ptr_nonnull(s);
	/* "[{},{},...]": one more value than allowed. */
	q = s;
	*q++ = '[';
	for (i = 0; i <= ODS_JSON_MAX_VALUES; i++) {
		if (i > 0)
			*q++ = ',';
		*q++ = '{';
		*q++ = '}';
	}
	*q++ = ']';
	*q = '\0';
	ck_assert_int_eq(ods_json_parse(s, strlen(s), 0, &o, &e), ODS_ETOOBIG);
	ck_assert_ptr_null(o);
	ck_assert_ptr_nonnull(strstr(e.msg, "values"));
	/* Commas and brackets inside strings are not values. */
	memset(s, 'a', n);
	s[0] = '[';
	s[1] = '"';
	for (i = 2; i < n - 2; i += 2)
		s[i] = ',';
	s[n - 2] = '"';
	s[n - 1] = ']';
	s[n] = '\0';
	ck_assert_int_eq(ods_json_parse(s, n, 0, &o, &e), ODS_OK);
	ods_json_put(o);
	free(s);
}
END_TEST

START_TEST(test_json_rejects_trailing_garbage)
{
	struct json_object	*o = NULL;
	struct ods_why	 e;

	ck_assert_int_eq(ods_json_parse("{} x", 4, 0, &o, &e), ODS_EINVAL);
	ck_assert_ptr_null(o);
	ck_assert_ptr_nonnull(strstr(e.msg, "invalid JSON"));
	ck_assert_ptr_nonnull(strstr(e.msg, "byte 3"));
	ck_assert_int_eq(ods_json_parse("{}  \n", 5, 0, &o, &e), ODS_OK);
	ods_json_put(o);
}
END_TEST

START_TEST(test_json_rejects_truncated_and_empty)
{
	struct json_object	*o = NULL;
	struct ods_why	 e;

	ck_assert_int_eq(ods_json_parse("{\"a\":", 5, 0, &o, &e), ODS_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "invalid JSON"));
	ck_assert_int_eq(ods_json_parse("", 0, 0, &o, &e), ODS_EINVAL);
	ck_assert_int_eq(ods_json_parse("{'a':1}", 7, 0, &o, &e), ODS_EINVAL);
}
END_TEST

START_TEST(test_json_rejects_invalid_utf8)
{
	struct json_object	*o = NULL;
	struct ods_why	 e;
	const char		 bad[] = "{\"a\":\"\xff\xfe\"}";

	ck_assert_int_eq(ods_json_parse(bad, sizeof(bad) - 1, 0, &o, &e),
	    ODS_EINVAL);
}
END_TEST

START_TEST(test_json_depth_limit_is_enforced)
{
	struct json_object	*o = NULL;
	struct ods_why	 e;
	char			 deep[200];
	int			 i;

	for (i = 0; i < 40; i++)
		deep[i] = '[';
	for (i = 0; i < 40; i++)
		deep[40 + i] = ']';
	deep[80] = '\0';
	ck_assert_int_eq(ods_json_parse(deep, 80, 0, &o, &e), ODS_EINVAL);
	ck_assert_int_eq(ods_json_parse(deep, 80, 64, &o, &e), ODS_OK);
	ods_json_put(o);
}
END_TEST

START_TEST(test_json_missing_required_field_is_named)
{
	struct json_object	*o = parse_ok("{\"a\":null}");
	struct ods_why	 e;
	const char		*s = "untouched";

	ck_assert_int_eq(ods_json_str(o, "name", 1, 0, &s, &e), ODS_EINVAL);
	ck_assert_str_eq(e.field, "name");
	ck_assert_str_eq(e.msg, "field 'name' is required");
	ck_assert_int_eq(ods_json_str(o, "a", 0, 0, &s, &e), ODS_ENOTFOUND);
	ck_assert_str_eq(s, "untouched");
	ods_json_put(o);
}
END_TEST

START_TEST(test_json_wrong_types_are_named)
{
	struct json_object	*o;
	struct ods_why	 e;
	const char		*s;
	int64_t			 n;
	double			 d;
	int			 b;

	o = parse_ok("{\"s\":1,\"n\":\"3\",\"f\":2.5,\"b\":\"yes\",\"big\":"
	    "99999999999999999999,\"o\":[]}");
	ck_assert_int_eq(ods_json_str(o, "s", 1, 0, &s, &e), ODS_EINVAL);
	ck_assert_str_eq(e.msg, "field 's' must be a string");
	ck_assert_int_eq(ods_json_int(o, "n", 1, 0, 9, &n, &e), ODS_EINVAL);
	ck_assert_str_eq(e.field, "n");
	ck_assert_int_eq(ods_json_int(o, "f", 1, 0, 9, &n, &e), ODS_EINVAL);
	ck_assert_int_eq(ods_json_num(o, "f", 1, 0, 2, &d, &e), ODS_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "out of range"));
	ck_assert_int_eq(ods_json_bool(o, "b", 1, &b, &e), ODS_EINVAL);
	ck_assert_int_eq(ods_json_int(o, "big", 1, INT64_MIN, INT64_MAX, &n,
	    &e), ODS_EINVAL);
	ck_assert_int_eq(ods_json_obj(o, "o", 1, NULL, &e), ODS_EINVAL);
	ck_assert_str_eq(e.msg, "field 'o' must be an object");
	ods_json_put(o);
}
END_TEST

START_TEST(test_json_get_str_is_null_unless_a_string)
{
	struct json_object	*o = parse_ok("{\"kid\":\"k1\",\"n\":1,"
				    "\"z\":null,\"a\":[\"x\"]}");

	ck_assert_str_eq(ods_json_get_str(o, "kid"), "k1");
	ck_assert_ptr_null(ods_json_get_str(o, "n"));
	ck_assert_ptr_null(ods_json_get_str(o, "z"));
	ck_assert_ptr_null(ods_json_get_str(o, "a"));
	ck_assert_ptr_null(ods_json_get_str(o, "missing"));
	ods_json_put(o);
}
END_TEST

START_TEST(test_json_string_length_cap)
{
	struct json_object	*o = parse_ok("{\"s\":\"abcdef\"}");
	struct ods_why	 e;
	const char		*s;

	ck_assert_int_eq(ods_json_str(o, "s", 1, 5, &s, &e), ODS_EINVAL);
	ck_assert_int_eq(ods_json_str(o, "s", 1, 6, &s, &e), ODS_OK);
	ods_json_put(o);
}
END_TEST

START_TEST(test_json_body_that_is_not_an_object)
{
	struct json_object	*o = parse_ok("[1,2]");
	struct ods_why	 e;
	const char		*s;

	ck_assert_int_eq(ods_json_str(o, "a", 1, 0, &s, &e), ODS_EINVAL);
	ck_assert_str_eq(e.field, "");
	ck_assert_ptr_nonnull(strstr(e.msg, "must be a JSON object"));
	ods_json_put(o);
}
END_TEST

START_TEST(test_jw_writes_integers_at_the_edges)
{
	struct ods_buf	 b;
	struct ods_jw	 jw;

	ods_buf_init(&b, 4096);
	ods_jw_init(&jw, &b);
	ods_jw_arr(&jw);
	ods_jw_int(&jw, 0);
	ods_jw_int(&jw, 7);
	ods_jw_int(&jw, -1);
	ods_jw_int(&jw, 1000000007);
	ods_jw_int(&jw, INT64_MAX);
	ods_jw_int(&jw, INT64_MIN);
	ods_jw_end(&jw);
	ck_assert_int_eq(ods_jw_error(&jw), ODS_OK);
	ck_assert_str_eq(b.data, "[0,7,-1,1000000007,9223372036854775807,"
	    "-9223372036854775808]");
	ods_buf_free(&b);
}
END_TEST

START_TEST(test_jw_writes_valid_escaped_json)
{
	struct ods_buf		 b;
	struct ods_jw		 jw;
	struct json_object	*o;
	const char		*s;

	ods_buf_init(&b, 4096);
	ods_jw_init(&jw, &b);
	ods_jw_obj(&jw);
	ods_jw_kstr(&jw, "q", "a\"b\\c\n\x01\xff" "中");
	ods_jw_kint(&jw, "n", -42);
	ods_jw_knum(&jw, "f", 0.1);
	ods_jw_knum(&jw, "nan", 0.0 / 0.0);
	ods_jw_key(&jw, "arr");
	ods_jw_arr(&jw);
	ods_jw_bool(&jw, 1);
	ods_jw_null(&jw);
	ods_jw_str(&jw, NULL);
	ods_jw_end(&jw);
	ods_jw_end(&jw);
	ck_assert_int_eq(ods_jw_error(&jw), ODS_OK);
	ck_assert_str_eq(b.data, "{\"q\":\"a\\\"b\\\\c\\n\\u0001\\ufffd中\","
	    "\"n\":-42,\"f\":0.1,\"nan\":null,\"arr\":[true,null,null]}");
	o = parse_ok(b.data);
	ck_assert_int_eq(ods_json_str(o, "q", 1, 0, &s, NULL), ODS_OK);
	ods_json_put(o);
	ods_buf_free(&b);
}
END_TEST

START_TEST(test_jw_reports_buffer_cap)
{
	struct ods_buf	b;
	struct ods_jw	jw;
	int		i;

	ods_buf_init(&b, 64);
	ods_jw_init(&jw, &b);
	ods_jw_arr(&jw);
	for (i = 0; i < 100; i++)
		ods_jw_str(&jw, "0123456789");
	ods_jw_end(&jw);
	ck_assert_int_eq(ods_jw_error(&jw), ODS_ETOOBIG);
	ck_assert_uint_le(b.len, 64);
	ods_buf_free(&b);
}
END_TEST

START_TEST(test_jw_refuses_unbalanced_end)
{
	struct ods_buf	b;
	struct ods_jw	jw;

	ods_buf_init(&b, 64);
	ods_jw_init(&jw, &b);
	ods_jw_end(&jw);
	ck_assert_int_eq(ods_jw_error(&jw), ODS_EINTERNAL);
	ods_buf_free(&b);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("ods_json");
	TCase	*core = tcase_create("core");
	TCase	*limits = tcase_create("limits");
	TCase	*errors = tcase_create("errors");

	tcase_add_test(core, test_json_parses_an_object);
	tcase_add_test(core, test_jw_writes_valid_escaped_json);
	tcase_add_test(core, test_jw_writes_integers_at_the_edges);
	tcase_add_test(limits, test_json_depth_limit_is_enforced);
	tcase_add_test(limits, test_json_refuses_too_many_values_before_parsing);
	tcase_add_test(limits, test_json_string_length_cap);
	tcase_add_test(limits, test_json_get_str_is_null_unless_a_string);
	tcase_add_test(limits, test_jw_reports_buffer_cap);
	tcase_add_test(errors, test_json_rejects_trailing_garbage);
	tcase_add_test(errors, test_json_rejects_truncated_and_empty);
	tcase_add_test(errors, test_json_rejects_invalid_utf8);
	tcase_add_test(errors, test_json_missing_required_field_is_named);
	tcase_add_test(errors, test_json_wrong_types_are_named);
	tcase_add_test(errors, test_json_body_that_is_not_an_object);
	tcase_add_test(errors, test_jw_refuses_unbalanced_end);
	suite_add_tcase(s, core);
	suite_add_tcase(s, limits);
	suite_add_tcase(s, errors);
	return s;
}

const struct ods_check ods_check_program = { .suite = suite };
