/*
 * tests/check_ods_tab.c — the table reader of dataset previews
 * (lib/text/ods_tab.h): CSV dialects (comma, semicolon, tab, pipe),
 * header detection, quoted fields with "" and line breaks, CRLF, GBK
 * text, typed columns (JSON's number grammar, dates, booleans, nulls),
 * JSON arrays and JSON Lines with their columns in first-seen order, a
 * head cut in a record, and malformed files refused with their line; the
 * record counter fed byte by byte agrees with the reader.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_err.h"
#include "text/ods_tab.h"
#include "ods_check.h"

static struct ods_tab *
rd(enum ods_tab_format f, const char *s, int eof, size_t limit)
{
	struct ods_tab	*t = NULL;
	struct ods_why	 why;
	enum ods_err	 er;

	memset(&why, 0, sizeof(why));
	er = ods_tab_read(f, s, strlen(s), eof, limit, NULL, &t, NULL, &why);
	ck_assert_msg(er == ODS_OK, "read: %d %s", er, why.msg);
	return t;
}

static const char *
type_of(const struct ods_tab *t, size_t c)
{
	return ods_tab_type_name(t->cols[c].type);
}

START_TEST(test_csv_comma_header_types)
{
	struct ods_tab	*t;

	t = rd(ODS_TAB_CSV, "id,name,price,ok,day,at\n"
	    "1,apple,1.5,true,2024-01-02,2024-01-02T10:00:00Z\n"
	    "2,pear,2,false,2024-02-03,2024-02-03 11:30\n"
	    "3,,-0.25e3,TRUE,2024-03-04,2024-03-04\n", 1, 100);
	ck_assert_int_eq(t->delim, ',');
	ck_assert_int_eq(t->header, 1);
	ck_assert_uint_eq(t->ncols, 6);
	ck_assert_uint_eq(t->nrows, 3);
	ck_assert_str_eq(t->cols[1].name, "name");
	ck_assert_str_eq(type_of(t, 0), "integer");
	ck_assert_str_eq(type_of(t, 1), "string");
	ck_assert_int_eq(t->cols[1].nullable, 1);
	ck_assert_int_eq(t->cols[0].nullable, 0);
	ck_assert_str_eq(type_of(t, 2), "number");
	ck_assert_str_eq(type_of(t, 3), "boolean");
	ck_assert_str_eq(type_of(t, 4), "date");
	ck_assert_str_eq(type_of(t, 5), "datetime");
	ck_assert_ptr_null(ods_tab_cell(t, 2, 1));
	ck_assert_str_eq(ods_tab_cell(t, 1, 1), "pear");
	ck_assert_str_eq(t->charset, "UTF-8");
	ods_tab_free(t);
}
END_TEST

START_TEST(test_csv_dialects_semicolon_tab_pipe)
{
	static const char *const in[] = {
		"a;b;c\n1;2;3\n4;5;6\n",
		"a\tb\tc\n1\t2\t3\n4\t5\t6\n",
		"a|b|c\n1|2|3\n4|5|6\n",
	};
	static const char	 d[] = { ';', '\t', '|' };
	struct ods_tab		*t;
	size_t			 i;

	for (i = 0; i < 3; i++) {
		t = rd(ODS_TAB_CSV, in[i], 1, 10);
		ck_assert_int_eq(t->delim, d[i]);
		ck_assert_uint_eq(t->ncols, 3);
		ck_assert_uint_eq(t->nrows, 2);
		ck_assert_str_eq(ods_tab_cell(t, 1, 2), "6");
		ods_tab_free(t);
	}
	t = rd(ODS_TAB_TSV, "x,y\tz\n1,2\t3\n", 1, 10);
	ck_assert_int_eq(t->delim, '\t');
	ck_assert_uint_eq(t->ncols, 2);
	ck_assert_str_eq(ods_tab_cell(t, 0, 0), "1,2");
	ods_tab_free(t);
}
END_TEST

START_TEST(test_csv_no_header_when_the_first_row_is_data)
{
	struct ods_tab	*t;

	t = rd(ODS_TAB_CSV, "1,alice,3.5\n2,bob,4\n", 1, 10);
	ck_assert_int_eq(t->header, 0);
	ck_assert_uint_eq(t->nrows, 2);
	ck_assert_str_eq(t->cols[0].name, "column_1");
	ck_assert_str_eq(t->cols[2].name, "column_3");
	ods_tab_free(t);
	/* Repeated names are not a header either. */
	t = rd(ODS_TAB_CSV, "a,a\nb,c\n", 1, 10);
	ck_assert_int_eq(t->header, 0);
	ods_tab_free(t);
}
END_TEST

START_TEST(test_csv_quotes_escapes_line_breaks_crlf)
{
	struct ods_tab	*t;

	t = rd(ODS_TAB_CSV, "name,note\r\n\"Smith, J\",\"said \"\"hi\"\"\"\r\n"
	    "x,\"two\nlines\"\r\n\r\n\"\",007\r\n", 1, 10);
	ck_assert_uint_eq(t->nrows, 3);
	ck_assert_str_eq(ods_tab_cell(t, 0, 0), "Smith, J");
	ck_assert_str_eq(ods_tab_cell(t, 0, 1), "said \"hi\"");
	ck_assert_str_eq(ods_tab_cell(t, 1, 1), "two\nlines");
	ck_assert_ptr_null(ods_tab_cell(t, 2, 0));
	/* "007" is no JSON number: the column stays a string. */
	ck_assert_str_eq(ods_tab_cell(t, 2, 1), "007");
	ck_assert_str_eq(type_of(t, 1), "string");
	ods_tab_free(t);
}
END_TEST

START_TEST(test_csv_gbk_is_converted)
{
	/* "城市,人口\n北京,2154\n上海,2428\n" in GBK. */
	static const char	gbk[] = "\xb3\xc7\xca\xd0,\xc8\xcb\xbf\xda\n"
	    "\xb1\xb1\xbe\xa9,2154\n\xc9\xcf\xba\xa3,2428\n";
	struct ods_tab		*t = NULL;
	struct ods_why		 why;

	memset(&why, 0, sizeof(why));
	ck_assert_int_eq(ods_tab_read(ODS_TAB_CSV, gbk, strlen(gbk), 1, 10,
	    "GBK", &t, NULL, &why), ODS_OK);
	ck_assert_int_eq(t->header, 1);
	ck_assert_str_eq(t->cols[0].name, "城市");
	ck_assert_str_eq(ods_tab_cell(t, 1, 0), "上海");
	ck_assert_str_eq(type_of(t, 1), "integer");
	ck_assert_msg(strstr(t->charset, "GB") != NULL, "charset %s",
	    t->charset);
	ods_tab_free(t);
}
END_TEST

START_TEST(test_head_cut_in_a_record_is_left_out)
{
	struct ods_tab	*t;

	/* The head ends inside a quoted field: that record is dropped. */
	t = rd(ODS_TAB_CSV, "a,b\n1,x\n2,\"y\nstill", 0, 10);
	ck_assert_uint_eq(t->nrows, 1);
	ck_assert_int_eq(t->more, 1);
	ods_tab_free(t);
	t = rd(ODS_TAB_CSV, "a,b\n1,x\n2,y\n3,z\n", 1, 2);
	ck_assert_uint_eq(t->nrows, 2);
	ck_assert_int_eq(t->more, 1);
	ods_tab_free(t);
	t = rd(ODS_TAB_JSONL, "{\"a\":1}\n{\"a\":2}\n{\"a\":", 0, 10);
	ck_assert_uint_eq(t->nrows, 2);
	ods_tab_free(t);
	t = rd(ODS_TAB_JSON, "[{\"a\":1},{\"a\":2},{\"a\"", 0, 10);
	ck_assert_uint_eq(t->nrows, 2);
	ck_assert_int_eq(t->more, 1);
	ods_tab_free(t);
}
END_TEST

START_TEST(test_jsonl_and_json_columns_and_types)
{
	struct ods_tab	*t;

	t = rd(ODS_TAB_JSONL, "{\"id\":1,\"name\":\"a\",\"tags\":[1]}\n\n"
	    "{\"id\":2.5,\"extra\":true,\"name\":null}\n", 1, 10);
	ck_assert_uint_eq(t->nrows, 2);
	ck_assert_uint_eq(t->ncols, 4);
	ck_assert_str_eq(t->cols[3].name, "extra");
	ck_assert_str_eq(type_of(t, 0), "number");
	ck_assert_str_eq(type_of(t, 1), "string");
	ck_assert_int_eq(t->cols[1].nullable, 1);
	ck_assert_str_eq(type_of(t, 2), "json");
	ck_assert_str_eq(ods_tab_cell(t, 0, 2), "[1]");
	ck_assert_ptr_null(ods_tab_cell(t, 0, 3));
	ods_tab_free(t);
	t = rd(ODS_TAB_JSON, " [ {\"d\":\"2024-01-01\",\"n\":\"12\"},\n"
	    "{\"d\":\"2024-01-02\",\"n\":\"x\"} ] ", 1, 10);
	ck_assert_uint_eq(t->nrows, 2);
	ck_assert_str_eq(type_of(t, 0), "date");
	/* A JSON string of digits is a string. */
	ck_assert_str_eq(type_of(t, 1), "string");
	ods_tab_free(t);
}
END_TEST

static void
bad(enum ods_tab_format f, const char *s, size_t want_line,
    const char *want_msg)
{
	struct ods_tab	*t = NULL;
	struct ods_why	 why;
	size_t		 line = 0;

	memset(&why, 0, sizeof(why));
	ck_assert_int_eq(ods_tab_read(f, s, strlen(s), 1, 10, NULL, &t, &line,
	    &why), ODS_EMALFORMED);
	ck_assert_ptr_null(t);
	ck_assert_uint_eq(line, want_line);
	ck_assert_msg(strstr(why.msg, want_msg) != NULL, "msg: %s", why.msg);
}

START_TEST(test_malformed_files_say_where)
{
	bad(ODS_TAB_CSV, "a,b\n1,2\n3,\"open\n", 3, "not closed");
	bad(ODS_TAB_CSV, "a,b\n1,2\n3,4,5\n", 3, "3 fields");
	bad(ODS_TAB_CSV, "a,b\n\"x\"y,2\n", 2, "after the closing quote");
	bad(ODS_TAB_CSV, "", 1, "no records");
	bad(ODS_TAB_JSONL, "{\"a\":1}\n[1]\n", 2, "not a JSON object");
	bad(ODS_TAB_JSONL, "{\"a\":1}\n\n{\"a\":\n", 3, "not valid JSON");
	bad(ODS_TAB_JSON, "{\"a\":1}", 1, "array of objects");
	bad(ODS_TAB_JSON, "[{\"a\":1},\n{\"a\":2}", 2, "not closed");
	bad(ODS_TAB_JSON, "[{\"a\":1} x]", 1, "',' or ']'");
	bad(ODS_TAB_JSON, "[1,2]", 1, "not a JSON object");
}
END_TEST

START_TEST(test_bad_arguments_and_binary)
{
	struct ods_tab	*t = NULL;
	struct ods_why	 why;

	memset(&why, 0, sizeof(why));
	ck_assert_int_eq(ods_tab_read(ODS_TAB_UNKNOWN, "a", 1, 1, 10, NULL,
	    &t, NULL, &why), ODS_EINVAL);
	ck_assert_int_eq(ods_tab_read(ODS_TAB_CSV, "a", 1, 1, 0, NULL, &t,
	    NULL, &why), ODS_EINVAL);
	ck_assert_int_eq(ods_tab_read(ODS_TAB_CSV, "a", 1, 1,
	    ODS_TAB_ROWS_MAX + 1, NULL, &t, NULL, &why), ODS_EINVAL);
	ck_assert_int_ne(ods_tab_read(ODS_TAB_CSV, "\x00\x01\x02\xff\xfe\x00"
	    "\x00\x89PNG", 12, 1, 10, NULL, &t, NULL, &why), ODS_OK);
	ck_assert_ptr_null(t);
}
END_TEST

START_TEST(test_formats_by_name_and_file)
{
	ck_assert_int_eq(ods_tab_format_of("CSV"), ODS_TAB_CSV);
	ck_assert_int_eq(ods_tab_format_of("ndjson"), ODS_TAB_JSONL);
	ck_assert_int_eq(ods_tab_format_of("parquet"), ODS_TAB_UNKNOWN);
	ck_assert_int_eq(ods_tab_format_of_file("a.b.TSV"), ODS_TAB_TSV);
	ck_assert_int_eq(ods_tab_format_of_file("x.jsonl"), ODS_TAB_JSONL);
	ck_assert_int_eq(ods_tab_format_of_file("noext"), ODS_TAB_UNKNOWN);
	ck_assert_str_eq(ods_tab_format_name(ODS_TAB_JSON), "json");
}
END_TEST

/* The counter, fed one byte at a time, and all at once. */
static uint64_t
count(enum ods_tab_format f, const char *s, int header, int bytewise)
{
	struct ods_tab_count	c;
	size_t			i, n = strlen(s);

	ods_tab_count_init(&c, f);
	if (bytewise)
		for (i = 0; i < n; i++)
			ods_tab_count_feed(&c, s + i, 1);
	else
		ods_tab_count_feed(&c, s, n);
	return ods_tab_count_end(&c, header);
}

START_TEST(test_counter_follows_quotes_and_blank_lines)
{
	static const struct {
		enum ods_tab_format	 f;
		const char		*s;
		int			 header;
		uint64_t		 rows;
	} cases[] = {
		{ ODS_TAB_CSV, "a,b\n1,2\n3,4\n", 1, 2 },
		{ ODS_TAB_CSV, "a,b\n1,\"x\ny\"\n\n3,4", 1, 2 },
		{ ODS_TAB_CSV, "a,b\r\n1,2\r\n", 1, 1 },
		{ ODS_TAB_CSV, "1,2\n3,4\n", 0, 2 },
		{ ODS_TAB_CSV, "", 1, 0 },
		{ ODS_TAB_JSONL, "{}\n \n{\"a\":\"\\n\"}\n{}", 0, 3 },
		{ ODS_TAB_JSON, "[{\"a\":\"],[\"},{\"b\":[1,2]} , {}]", 0, 3 },
		{ ODS_TAB_JSON, "[]", 0, 0 },
	};
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_uint_eq(count(cases[i].f, cases[i].s,
		    cases[i].header, 0), cases[i].rows);
		ck_assert_uint_eq(count(cases[i].f, cases[i].s,
		    cases[i].header, 1), cases[i].rows);
	}
}
END_TEST

START_TEST(test_many_columns_and_long_names)
{
	char		*s, *p;
	struct ods_tab	*t;
	size_t		 i;

	s = malloc(64 * 1024);
	p = s;
	for (i = 0; i < 300; i++)
		p += sprintf(p, "%scol%zu", i ? "," : "", i);
	p += sprintf(p, "\n");
	for (i = 0; i < 300; i++)
		p += sprintf(p, "%s%zu", i ? "," : "", i);
	sprintf(p, "\n");
	t = rd(ODS_TAB_CSV, s, 1, 10);
	ck_assert_uint_eq(t->ncols, 300);
	ck_assert_str_eq(t->cols[299].name, "col299");
	ods_tab_free(t);
	free(s);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("ods_tab");
	TCase	*core = tcase_create("core");
	TCase	*errors = tcase_create("errors");

	tcase_add_test(core, test_csv_comma_header_types);
	tcase_add_test(core, test_csv_dialects_semicolon_tab_pipe);
	tcase_add_test(core, test_csv_no_header_when_the_first_row_is_data);
	tcase_add_test(core, test_csv_quotes_escapes_line_breaks_crlf);
	tcase_add_test(core, test_csv_gbk_is_converted);
	tcase_add_test(core, test_head_cut_in_a_record_is_left_out);
	tcase_add_test(core, test_jsonl_and_json_columns_and_types);
	tcase_add_test(core, test_formats_by_name_and_file);
	tcase_add_test(core, test_counter_follows_quotes_and_blank_lines);
	tcase_add_test(core, test_many_columns_and_long_names);
	tcase_add_test(errors, test_malformed_files_say_where);
	tcase_add_test(errors, test_bad_arguments_and_binary);
	suite_add_tcase(s, core);
	suite_add_tcase(s, errors);
	return s;
}

const struct ods_check ods_check_program = {
	.suite = suite,
};
