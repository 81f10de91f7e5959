/*
 * tests/check_quality.c — the pure pieces of data quality
 * (svc/data/quality_def.c): a rule's definition checked field by field,
 * the thresholds (count and ratio), the score against a hand
 * computation, and the SQL: identifiers quoted for each dialect, values
 * as hex, nothing of the user's text pasted.
 */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_err.h"
#include "core/ods_json.h"
#include "core/ods_mem.h"
#include "../svc/data/quality.h"
#include "ods_check.h"

/* Parse text as a definition; the error, and why's field. */
static enum ods_err
parse(const char *text, struct ods_qr_def *d, struct json_object **o,
    char *field)
{
	struct ods_why	why;
	enum ods_err	er;

	memset(&why, 0, sizeof(why));
	ck_assert_int_eq(ods_json_parse(text, strlen(text), 16, o, &why),
	    ODS_OK);
	er = ods_qr_parse(*o, 0, d, &why);
	strcpy(field, why.field);
	return er;
}

#define BAD(text, want) do {						\
	ck_assert_int_eq(parse(text, &d, &o, f), ODS_EINVAL);		\
	ck_assert_str_eq(f, want);					\
	ods_json_put(o);						\
} while (0)

START_TEST(test_definition_errors_name_the_field)
{
	struct ods_qr_def	 d;
	struct json_object	*o;
	char			 f[64];

	BAD("{}", "rule_type");
	BAD("{\"rule_type\":\"nope\"}", "rule_type");
	BAD("{\"rule_type\":\"not_null\",\"table\":\"t\",\"column\":\"c\"}",
	    "source_id");
	BAD("{\"rule_type\":\"not_null\",\"source_id\":\"s\","
	    "\"dataset_id\":\"d\",\"column\":\"c\"}", "source_id");
	BAD("{\"rule_type\":\"not_null\",\"source_id\":\"s\","
	    "\"column\":\"c\"}", "table");
	BAD("{\"rule_type\":\"unique\",\"source_id\":\"s\",\"table\":\"t\"}",
	    "column");
	BAD("{\"rule_type\":\"range\",\"source_id\":\"s\",\"table\":\"t\","
	    "\"column\":\"c\"}", "min");
	BAD("{\"rule_type\":\"range\",\"source_id\":\"s\",\"table\":\"t\","
	    "\"column\":\"c\",\"min\":3,\"max\":2}", "max");
	BAD("{\"rule_type\":\"allowed_values\",\"source_id\":\"s\","
	    "\"table\":\"t\",\"column\":\"c\",\"allowed_values\":[]}",
	    "allowed_values");
	BAD("{\"rule_type\":\"allowed_values\",\"source_id\":\"s\","
	    "\"table\":\"t\",\"column\":\"c\",\"values\":[{}]}", "values");
	BAD("{\"rule_type\":\"referential\",\"source_id\":\"s\","
	    "\"table\":\"t\",\"column\":\"c\",\"ref_column\":\"x\"}",
	    "ref_table");
	BAD("{\"rule_type\":\"custom_sql\",\"source_id\":\"s\"}", "sql");
	BAD("{\"rule_type\":\"regex\",\"dataset_id\":\"d\","
	    "\"column\":\"c\",\"pattern\":\"(\"}", "pattern");
	BAD("{\"rule_type\":\"referential\",\"dataset_id\":\"d\","
	    "\"column\":\"c\",\"ref_table\":\"t\",\"ref_column\":\"c\"}",
	    "rule_type");
	BAD("{\"rule_type\":\"not_null\",\"source_id\":\"s\","
	    "\"table\":\"a\\u0001\",\"column\":\"c\"}", "table");
	BAD("{\"rule_type\":\"not_null\",\"source_id\":\"s\",\"table\":\"t\","
	    "\"column\":\"c\",\"threshold_warning\":5,"
	    "\"threshold_critical\":1}", "threshold_warning");
	BAD("{\"rule_type\":\"not_null\",\"source_id\":\"s\",\"table\":\"t\","
	    "\"column\":\"c\",\"threshold_type\":\"pct\"}", "threshold_type");
}
END_TEST

START_TEST(test_definition_round_trips_through_its_json)
{
	struct ods_qr_def	 d, e;
	struct json_object	*o, *p = NULL;
	struct ods_buf		 b;
	struct ods_jw		 jw;
	char			 f[64];

	ck_assert_int_eq(parse("{\"rule_type\":\"enum\",\"source_id\":\"s\","
	    "\"rule_config\":{\"table_name\":\"t\",\"column\":\"c\","
	    "\"values\":[\"a\",2]},\"threshold_critical\":0.5,"
	    "\"threshold_type\":\"ratio\"}", &d, &o, f), ODS_OK);
	ck_assert_int_eq(d.type, ODS_QR_ALLOWED);
	ck_assert_uint_eq(d.nvalues, 2);
	ck_assert_str_eq(d.values[1], "2");
	ods_buf_init(&b, 1 << 16);
	ods_jw_init(&jw, &b);
	ods_qr_def_json(&jw, &d);
	ck_assert_int_eq(ods_json_parse(b.data, b.len, 16, &p, NULL), ODS_OK);
	ck_assert_int_eq(ods_qr_parse(p, 0, &e, NULL), ODS_OK);
	ck_assert_int_eq(e.type, d.type);
	ck_assert_str_eq(e.table, "t");
	ck_assert_int_eq(e.ratio, 1);
	ck_assert(e.has_crit && e.crit == 0.5);
	ods_json_put(p);
	ods_json_put(o);
	ods_buf_free(&b);
}
END_TEST

START_TEST(test_thresholds_count_and_ratio)
{
	struct ods_qr_def	d;

	memset(&d, 0, sizeof(d));
	/* Neither given: any violation fails. */
	ck_assert_int_eq(ods_qr_judge(&d, 0, 10), ODS_QR_PASSED);
	ck_assert_int_eq(ods_qr_judge(&d, 1, 10), ODS_QR_FAILED);
	/* Warning alone: never fails. */
	d.has_warn = 1;
	d.warn = 5;
	ck_assert_int_eq(ods_qr_judge(&d, 5, 10), ODS_QR_PASSED);
	ck_assert_int_eq(ods_qr_judge(&d, 6, 10), ODS_QR_WARNING);
	ck_assert_int_eq(ods_qr_judge(&d, 1000, 10), ODS_QR_WARNING);
	/* Ratio: 2 of 10 is 0.2. */
	d.ratio = 1;
	d.warn = 0.1;
	d.has_crit = 1;
	d.crit = 0.5;
	ck_assert_int_eq(ods_qr_judge(&d, 1, 10), ODS_QR_PASSED);
	ck_assert_int_eq(ods_qr_judge(&d, 2, 10), ODS_QR_WARNING);
	ck_assert_int_eq(ods_qr_judge(&d, 6, 10), ODS_QR_FAILED);
	ck_assert_int_eq(ods_qr_judge(&d, 1, 0), ODS_QR_FAILED);
}
END_TEST

START_TEST(test_score_matches_a_hand_computation)
{
	double	s[9], sum = 0;
	int	i;

	s[0] = ods_qr_rule_score(ODS_QR_NOT_NULL, 2, 10, 0);
	s[1] = ods_qr_rule_score(ODS_QR_UNIQUE, 5, 10, 0);
	s[2] = ods_qr_rule_score(ODS_QR_RANGE, 3, 10, 0);
	s[3] = ods_qr_rule_score(ODS_QR_ROW_COUNT, 1, 1, 0);
	s[4] = ods_qr_rule_score(ODS_QR_REFERENTIAL, 2, 6, 0);
	s[5] = ods_qr_rule_score(ODS_QR_CUSTOM_SQL, 0, 0, 0);
	s[6] = ods_qr_rule_score(ODS_QR_RANGE, 0, 10, 1);	/* errored */
	s[7] = ods_qr_rule_score(ODS_QR_RANGE, 20, 10, 0);	/* clamped */
	s[8] = ods_qr_rule_score(ODS_QR_RANGE, 3, 0, 0);
	for (i = 0; i < 9; i++)
		sum += s[i];
	ck_assert(fabs(s[4] - 2.0 / 3) < 1e-12);
	ck_assert(s[5] == 1 && s[6] == 0 && s[7] == 0 && s[8] == 0);
	/* (0.8 + 0.5 + 0.7 + 0 + 2/3 + 1) / 9 */
	ck_assert(fabs(sum / 9 - (0.8 + 0.5 + 0.7 + 2.0 / 3 + 1) / 9) < 1e-12);
}
END_TEST

START_TEST(test_sql_quotes_identifiers_and_hexes_values)
{
	struct ods_qr_def	 d;
	struct json_object	*o;
	char			*c, *s, f[64];

	ck_assert_int_eq(parse("{\"rule_type\":\"allowed_values\","
	    "\"source_id\":\"s\",\"database\":\"d`b\",\"table\":\"t\\\"x\","
	    "\"column\":\"c'; DROP\",\"allowed_values\":[\"a'b\"]}", &d, &o,
	    f), ODS_OK);
	ck_assert_int_eq(ods_qr_sql(&d, 0, &c, &s), ODS_OK);
	ck_assert_str_eq(c, "SELECT COUNT(*), COALESCE(SUM(CASE WHEN "
	    "`c'; DROP` IS NOT NULL AND CAST(`c'; DROP` AS CHAR) NOT IN "
	    "(CONVERT(X'612762' USING utf8mb4)) THEN 1 ELSE 0 END), 0) FROM "
	    "`d``b`.`t\"x`");
	ck_assert_str_eq(s, "SELECT * FROM `d``b`.`t\"x` WHERE `c'; DROP` IS "
	    "NOT NULL AND CAST(`c'; DROP` AS CHAR) NOT IN (CONVERT(X'612762' "
	    "USING utf8mb4)) LIMIT 10");
	free(c);
	free(s);
	ck_assert_int_eq(ods_qr_sql(&d, 1, &c, &s), ODS_OK);
	ck_assert_ptr_nonnull(strstr(c, "FROM \"d`b\".\"t\"\"x\""));
	ck_assert_ptr_nonnull(strstr(c, "convert_from(decode('612762', "
	    "'hex'), 'UTF8')"));
	ck_assert_ptr_null(strstr(c, "a'b"));
	free(c);
	free(s);
	ods_json_put(o);
}
END_TEST

START_TEST(test_sql_of_each_type)
{
	struct ods_qr_def	 d;
	struct json_object	*o;
	char			*c, *s, f[64];

	ck_assert_int_eq(parse("{\"rule_type\":\"referential\","
	    "\"source_id\":\"s\",\"table\":\"o\",\"column\":\"cid\","
	    "\"ref_table\":\"c\",\"ref_column\":\"id\"}", &d, &o, f), ODS_OK);
	ck_assert_int_eq(ods_qr_sql(&d, 1, &c, &s), ODS_OK);
	ck_assert_str_eq(c, "SELECT (SELECT COUNT(*) FROM \"o\"), (SELECT "
	    "COUNT(*) FROM \"o\" AS t LEFT JOIN \"c\" AS r ON t.\"cid\" = "
	    "r.\"id\" WHERE t.\"cid\" IS NOT NULL AND r.\"id\" IS NULL)");
	free(c);
	free(s);
	ods_json_put(o);
	ck_assert_int_eq(parse("{\"rule_type\":\"freshness\","
	    "\"source_id\":\"s\",\"table\":\"t\",\"column\":\"ts\","
	    "\"max_age_seconds\":60}", &d, &o, f), ODS_OK);
	ck_assert_int_eq(ods_qr_sql(&d, 0, &c, &s), ODS_OK);
	ck_assert_str_eq(c, "SELECT COUNT(*), CASE WHEN MAX(`ts`) IS NULL "
	    "THEN 1 WHEN TIMESTAMPDIFF(SECOND, MAX(`ts`), NOW()) > 60 THEN 1 "
	    "ELSE 0 END FROM `t`");
	ck_assert_str_eq(s, "");
	free(c);
	free(s);
	ods_json_put(o);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("quality");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_definition_errors_name_the_field);
	tcase_add_test(tc, test_definition_round_trips_through_its_json);
	tcase_add_test(tc, test_thresholds_count_and_ratio);
	tcase_add_test(tc, test_score_matches_a_hand_computation);
	tcase_add_test(tc, test_sql_quotes_identifiers_and_hexes_values);
	tcase_add_test(tc, test_sql_of_each_type);
	suite_add_tcase(s, tc);
	return s;
}

const struct ods_check ods_check_program = { .suite = suite };
