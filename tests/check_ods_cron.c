/*
 * tests/check_ods_cron.c — cron expressions and time zones (lib/core/
 * ods_cron, ods_tz): a table of expressions, zones, "now" and the next
 * due time, across daylight saving in Europe/Berlin, America/New_York
 * and Australia/Sydney (also past the zone files' transition tables,
 * where the POSIX rule takes over); a table of bad expressions and the
 * message each gets; zone names that must not open a file.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/ods_cron.h"
#include "core/ods_err.h"
#include "core/ods_tz.h"
#include "ods_check.h"

/* "2024-03-31T01:00" (UTC, minutes) to epoch seconds. */
static int64_t
iso(const char *s)
{
	int	y, mo, d, h, mi;

	ck_assert_int_eq(sscanf(s, "%d-%d-%dT%d:%d", &y, &mo, &d, &h, &mi), 5);
	return ods_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	    h * 3600 + mi * 60;
}

static void
fmt(int64_t t, char *buf, size_t n)
{
	int64_t		y, days = t / 86400;
	unsigned	m, d;

	ods_civil_from_days(days, &y, &m, &d);
	snprintf(buf, n, "%04lld-%02u-%02uT%02d:%02d", (long long)y, m, d,
	    (int)(t % 86400 / 3600), (int)(t % 3600 / 60));
}

static const struct {
	const char	*expr, *tz, *now, *next;
} cases[] = {
	/* UTC: fields, lists, ranges, steps, names, macros */
	{ "* * * * *", "UTC", "2024-01-01T00:00", "2024-01-01T00:01" },
	{ "*/15 * * * *", "UTC", "2024-01-01T00:14", "2024-01-01T00:15" },
	{ "*/15 * * * *", "UTC", "2024-01-01T00:15", "2024-01-01T00:30" },
	{ "*/15 * * * *", "UTC", "2024-01-01T23:50", "2024-01-02T00:00" },
	{ "1-5/2 * * * *", "UTC", "2024-01-01T00:00", "2024-01-01T00:01" },
	{ "1-5/2 * * * *", "UTC", "2024-01-01T00:01", "2024-01-01T00:03" },
	{ "1-5/2 * * * *", "UTC", "2024-01-01T00:05", "2024-01-01T01:01" },
	{ "5/20 * * * *", "UTC", "2024-01-01T00:30", "2024-01-01T00:45" },
	{ "30 4 1,15 * *", "UTC", "2024-01-01T05:00", "2024-01-15T04:30" },
	{ "0 0 1 jan-mar/2 *", "UTC", "2024-01-02T00:00", "2024-03-01T00:00" },
	{ "0 0 31 * *", "UTC", "2024-04-01T00:00", "2024-05-31T00:00" },
	{ "59 23 31 12 *", "UTC", "2024-12-31T23:59", "2025-12-31T23:59" },
	{ "0 0 29 2 *", "UTC", "2023-01-01T00:00", "2024-02-29T00:00" },
	{ "0 0 29 2 *", "UTC", "2024-03-01T00:00", "2028-02-29T00:00" },
	{ "0 0 29 2 *", "UTC", "2096-03-01T00:00", "2104-02-29T00:00" },
	/* 29 February on a Sunday, Wednesday or Saturday: 2032, then 2040 */
	{ "0 0 29 2 */3", "UTC", "2032-03-01T00:00", "2040-02-29T00:00" },
	{ "0 12 * * 7", "UTC", "2024-01-01T00:00", "2024-01-07T12:00" },
	{ "0 12 * * 0", "UTC", "2024-01-01T00:00", "2024-01-07T12:00" },
	{ "0 12 * * sun", "UTC", "2024-01-01T00:00", "2024-01-07T12:00" },
	{ "0 0 * * 5-7", "UTC", "2024-01-01T00:00", "2024-01-05T00:00" },
	{ "0 9 * * MON-FRI", "UTC", "2024-01-05T09:00", "2024-01-08T09:00" },
	{ "0 0 ? * MON", "UTC", "2024-01-01T00:00", "2024-01-08T00:00" },
	/* both day fields restricted: either; one starting with '*': both */
	{ "0 0 13 * FRI", "UTC", "2024-01-01T00:00", "2024-01-05T00:00" },
	{ "0 0 13 * FRI", "UTC", "2024-01-05T00:00", "2024-01-12T00:00" },
	{ "0 0 13 * FRI", "UTC", "2024-01-12T00:00", "2024-01-13T00:00" },
	{ "0 0 */10 * FRI", "UTC", "2024-01-01T00:00", "2024-03-01T00:00" },
	{ "@hourly", "UTC", "2024-01-01T00:30", "2024-01-01T01:00" },
	{ "@daily", "UTC", "2024-01-01T00:30", "2024-01-02T00:00" },
	{ "@midnight", "UTC", "2024-01-01T00:00", "2024-01-02T00:00" },
	{ "@weekly", "UTC", "2024-01-01T00:00", "2024-01-07T00:00" },
	{ "@monthly", "UTC", "2024-01-01T00:00", "2024-02-01T00:00" },
	{ "@yearly", "UTC", "2024-01-01T00:00", "2025-01-01T00:00" },
	{ "@ANNUALLY", "UTC", "2024-06-01T00:00", "2025-01-01T00:00" },
	{ "  0\t12  * *\t* ", "UTC", "2024-01-01T00:00", "2024-01-01T12:00" },
	/* Europe/Berlin: CET +1, CEST +2 from 2024-03-31T01:00Z to
	 * 2024-10-27T01:00Z */
	{ "0 0 * * *", "Europe/Berlin", "2024-01-01T00:00", "2024-01-01T23:00" },
	{ "0 0 * * *", "Europe/Berlin", "2024-07-01T00:00", "2024-07-01T22:00" },
	/* 02:30 does not exist on 31 March: at 03:00 CEST, once */
	{ "30 2 * * *", "Europe/Berlin", "2024-03-30T12:00", "2024-03-31T01:00" },
	{ "30 2 * * *", "Europe/Berlin", "2024-03-31T01:00", "2024-04-01T00:30" },
	{ "0 * * * *", "Europe/Berlin", "2024-03-31T00:30", "2024-03-31T01:00" },
	{ "0 * * * *", "Europe/Berlin", "2024-03-31T01:00", "2024-03-31T02:00" },
	{ "*/20 * * * *", "Europe/Berlin", "2024-03-31T00:50",
	    "2024-03-31T01:00" },
	{ "*/20 * * * *", "Europe/Berlin", "2024-03-31T01:00",
	    "2024-03-31T01:20" },
	/* 02:30 happens twice on 27 October: the first time only */
	{ "30 2 * * *", "Europe/Berlin", "2024-10-26T12:00", "2024-10-27T00:30" },
	{ "30 2 * * *", "Europe/Berlin", "2024-10-27T00:30", "2024-10-28T01:30" },
	{ "30 2 * * *", "Europe/Berlin", "2024-10-27T01:10", "2024-10-28T01:30" },
	/* past the file's table (2037): the POSIX rule */
	{ "0 12 1 7 *", "Europe/Berlin", "2040-01-01T00:00", "2040-07-01T10:00" },
	{ "0 12 1 1 *", "Europe/Berlin", "2049-12-01T00:00", "2050-01-01T11:00" },
	{ "30 2 * * *", "Europe/Berlin", "2060-03-27T12:00", "2060-03-28T01:00" },
	/* America/New_York: EDT from 2024-03-10T07:00Z to 2024-11-03T06:00Z */
	{ "30 2 * * *", "America/New_York", "2024-03-09T12:00",
	    "2024-03-10T07:00" },
	{ "30 1 * * *", "America/New_York", "2024-11-02T12:00",
	    "2024-11-03T05:30" },
	{ "30 1 * * *", "America/New_York", "2024-11-03T05:30",
	    "2024-11-04T06:30" },
	{ "*/30 * * * *", "America/New_York", "2024-11-03T05:45",
	    "2024-11-03T07:00" },
	{ "0 9 * * MON-FRI", "America/New_York", "2024-11-01T13:00",
	    "2024-11-04T14:00" },
	/* Australia/Sydney: daylight time across the new year */
	{ "0 12 1 1 *", "Australia/Sydney", "2040-06-01T00:00",
	    "2041-01-01T01:00" },
	{ "0 12 1 7 *", "Australia/Sydney", "2040-01-01T00:00",
	    "2040-07-01T02:00" },
	{ "0 12 1 1 *", "Australia/Sydney", "2024-06-01T00:00",
	    "2025-01-01T01:00" },
};

START_TEST(test_cron_next_matches_the_table)
{
	struct ods_cron	 c;
	struct ods_tz	*tz = NULL;
	struct ods_why	 why = { .msg = "" };
	int64_t		 next = 0;
	char		 got[32];

	ck_assert_msg(ods_cron_parse(cases[_i].expr, &c, &why) == ODS_OK,
	    "%s: %s", cases[_i].expr, why.msg);
	ck_assert_int_eq(ods_tz_load(cases[_i].tz, &tz, &why), ODS_OK);
	ck_assert_int_eq(ods_cron_next(&c, tz, iso(cases[_i].now), &next),
	    ODS_OK);
	fmt(next, got, sizeof(got));
	ck_assert_msg(strcmp(got, cases[_i].next) == 0,
	    "'%s' in %s after %s: got %s, want %s", cases[_i].expr,
	    cases[_i].tz, cases[_i].now, got, cases[_i].next);
	ods_tz_free(tz);
}
END_TEST

START_TEST(test_cron_next_is_after_now_at_second_precision)
{
	struct ods_cron	 c;
	struct ods_tz	*tz = NULL;
	int64_t		 now = iso("2024-01-01T00:00") + 59, next;

	ck_assert_int_eq(ods_cron_parse("* * * * *", &c, NULL), ODS_OK);
	ck_assert_int_eq(ods_tz_load("UTC", &tz, NULL), ODS_OK);
	ck_assert_int_eq(ods_cron_next(&c, tz, now, &next), ODS_OK);
	ck_assert_int_eq(next, iso("2024-01-01T00:01"));
	ck_assert_int_eq(ods_cron_next(&c, tz, next, &next), ODS_OK);
	ck_assert_int_eq(next, iso("2024-01-01T00:02"));
	ods_tz_free(tz);
}
END_TEST

START_TEST(test_cron_walks_a_year_of_hours_across_dst_once_each)
{
	struct ods_cron	 c;
	struct ods_tz	*tz = NULL;
	int64_t		 t = iso("2024-01-01T00:00"), end, next;
	int		 n = 0;

	/* Every hour of 2024 in Berlin: the 8783 whole UTC hours after
	 * the start (local 02:00 on 31 March does not exist and runs at
	 * 03:00, the same instant as 03:00), less the second 02:00 of 27
	 * October. */
	ck_assert_int_eq(ods_cron_parse("@hourly", &c, NULL), ODS_OK);
	ck_assert_int_eq(ods_tz_load("Europe/Berlin", &tz, NULL), ODS_OK);
	end = iso("2024-12-31T23:00");
	while (ods_cron_next(&c, tz, t, &next) == ODS_OK && next <= end) {
		ck_assert_int_gt(next, t);
		ck_assert_int_le(next - t, 2 * 3600);
		t = next;
		n++;
	}
	ck_assert_int_eq(n, 8784 - 1 - 1);
	ods_tz_free(tz);
}
END_TEST

START_TEST(test_tz_offsets_and_wall_times)
{
	struct ods_tz	*tz = NULL;
	int64_t		 w;

	ck_assert_int_eq(ods_tz_load("Europe/Berlin", &tz, NULL), ODS_OK);
	ck_assert_str_eq(ods_tz_name(tz), "Europe/Berlin");
	ck_assert_int_eq(ods_tz_offset(tz, iso("2024-01-15T00:00")), 3600);
	ck_assert_int_eq(ods_tz_offset(tz, iso("2024-07-15T00:00")), 7200);
	ck_assert_int_eq(ods_tz_offset(tz, iso("2024-03-31T00:59")), 3600);
	ck_assert_int_eq(ods_tz_offset(tz, iso("2024-03-31T01:00")), 7200);
	ck_assert_int_eq(ods_tz_offset(tz, iso("2090-07-15T00:00")), 7200);
	ck_assert_int_eq(ods_tz_offset(tz, iso("2090-12-15T00:00")), 3600);
	/* The wall clock never goes back through ods_tz_from_wall. */
	for (w = iso("2024-10-26T23:00"); w < iso("2024-10-27T05:00");
	    w += 60)
		ck_assert_int_le(ods_tz_from_wall(tz, w),
		    ods_tz_from_wall(tz, w + 60));
	ck_assert_int_eq(ods_tz_from_wall(tz, iso("2024-03-31T02:30")),
	    iso("2024-03-31T01:00"));
	ods_tz_free(tz);
	ck_assert_int_eq(ods_tz_load("America/New_York", &tz, NULL), ODS_OK);
	ck_assert_int_eq(ods_tz_offset(tz, iso("2060-07-01T00:00")), -14400);
	ck_assert_int_eq(ods_tz_offset(tz, iso("2060-01-01T00:00")), -18000);
	ods_tz_free(tz);
	ck_assert_int_eq(ods_tz_load("Etc/UTC", &tz, NULL), ODS_OK);
	ck_assert_int_eq(ods_tz_offset(tz, iso("2024-07-15T00:00")), 0);
	ods_tz_free(tz);
}
END_TEST

START_TEST(test_cron_match_says_which_wall_times_are_due)
{
	struct ods_cron	c;

	ck_assert_int_eq(ods_cron_parse("*/15 9-17 * * MON-FRI", &c, NULL),
	    ODS_OK);
	ck_assert(ods_cron_match(&c, iso("2024-01-01T09:15")));
	ck_assert(!ods_cron_match(&c, iso("2024-01-01T09:16")));
	ck_assert(!ods_cron_match(&c, iso("2024-01-01T18:00")));
	ck_assert(!ods_cron_match(&c, iso("2024-01-06T09:15")));
}
END_TEST

static const struct {
	const char	*expr, *msg;
} bad[] = {
	{ "", "1 to 256 bytes" },
	{ "* * * *", "expected 5 fields (minute hour day-of-month month "
	    "day-of-week) or a macro, got 4" },
	{ "* * * * * *", "got more than 5" },
	{ "60 * * * *", "minute field: 60 is out of range 0-59" },
	{ "* 24 * * *", "hour field: 24 is out of range 0-23" },
	{ "* * 0 * *", "day-of-month field: 0 is out of range 1-31" },
	{ "* * * 13 *", "month field: 13 is out of range 1-12" },
	{ "* * * * 8", "day-of-week field: 8 is out of range 0-7" },
	{ "5-2 * * * *", "minute field: range 5-2 goes backwards" },
	{ "*/0 * * * *", "minute field: a step is a number from 1 to 60" },
	{ "*/ * * * *", "minute field: a step is a number from 1 to 60" },
	{ "* */25 * * *", "hour field: a step is a number from 1 to 24" },
	{ "? * * * *", "minute field: '?' is only allowed in the day fields" },
	{ "* * * FOO *", "month field: expected a number or a name at 'FOO'" },
	{ "x * * * *", "minute field: expected a number at 'x'" },
	{ "1,,2 * * * *", "minute field: empty list item" },
	{ "1, * * * *", "minute field: empty list item" },
	{ "1-5x * * * *", "minute field: unexpected 'x'" },
	{ "* * * * MONDAY", "day-of-week field: unexpected 'DAY'" },
	{ "00001 * * * *", "minute field: number too long" },
	{ "0 0 30 2 *", "never matches" },
	{ "0 0 31 4,6,9,11 *", "never matches" },
	{ "@reboot", "unknown macro '@reboot'" },
	{ "@daily 5", "unknown macro" },
};

START_TEST(test_cron_refuses_bad_expressions_naming_the_field)
{
	struct ods_cron	c;
	struct ods_why	why = { .msg = "" };

	ck_assert_int_eq(ods_cron_parse(bad[_i].expr, &c, &why), ODS_EINVAL);
	ck_assert_msg(strstr(why.msg, bad[_i].msg) != NULL,
	    "'%s': got '%s', want '%s'", bad[_i].expr, why.msg, bad[_i].msg);
	ck_assert_str_eq(why.field, "");
}
END_TEST

START_TEST(test_cron_refuses_an_overlong_expression)
{
	char		buf[ODS_CRON_EXPR_MAX + 2];
	struct ods_cron	c;

	memset(buf, ' ', sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = '\0';
	memcpy(buf + sizeof(buf) - 10, "* * * * *", 9);
	ck_assert_int_eq(ods_cron_parse(buf, &c, NULL), ODS_EINVAL);
	ck_assert_int_eq(ods_cron_parse(buf + 2, &c, NULL), ODS_OK);
}
END_TEST

START_TEST(test_cron_next_refuses_times_out_of_range)
{
	struct ods_cron	 c;
	struct ods_tz	*tz = NULL;
	int64_t		 next;

	ck_assert_int_eq(ods_cron_parse("* * * * *", &c, NULL), ODS_OK);
	ck_assert_int_eq(ods_tz_load("UTC", &tz, NULL), ODS_OK);
	ck_assert_int_eq(ods_cron_next(&c, tz, -1, &next), ODS_ENOTFOUND);
	ck_assert_int_eq(ods_cron_next(&c, tz, INT64_MAX, &next),
	    ODS_ENOTFOUND);
	ods_tz_free(tz);
}
END_TEST

START_TEST(test_tz_refuses_names_that_are_not_zones)
{
	static const char *const names[] = { "", "../etc/passwd",
	    "/etc/passwd", "Europe/../../etc/passwd", "Europe//Berlin",
	    "Europe/", "a b", ".hidden", "Europe/.x" };
	struct ods_tz	*tz = NULL;
	struct ods_why	 why = { .msg = "" };
	size_t		 i;

	for (i = 0; i < ODS_NELEM(names); i++) {
		ck_assert_msg(ods_tz_load(names[i], &tz, &why) == ODS_EINVAL,
		    "%s", names[i]);
		ck_assert_ptr_null(tz);
	}
	ck_assert_int_eq(ods_tz_load("Nowhere/City", &tz, &why),
	    ODS_ENOTFOUND);
	ck_assert_str_eq(why.msg, "unknown time zone 'Nowhere/City'");
	ck_assert_int_eq(ods_tz_load("Europe", &tz, &why), ODS_ENOTFOUND);
	ck_assert_ptr_null(tz);
}
END_TEST

START_TEST(test_tz_refuses_a_file_that_is_not_tzif)
{
	char		 dir[] = "/tmp/ods_tz_XXXXXX", path[64];
	struct ods_tz	*tz = NULL;
	FILE		*fp;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/Bogus", dir);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fputs("TZif2 but not really\n", fp);
	fclose(fp);
	setenv("TZDIR", dir, 1);
	ck_assert_int_eq(ods_tz_load("Bogus", &tz, NULL), ODS_ECORRUPT);
	unsetenv("TZDIR");
	ck_assert_ptr_null(tz);
	unlink(path);
	rmdir(dir);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("ods_cron");
	TCase	*core = tcase_create("core");
	TCase	*limits = tcase_create("limits");
	TCase	*errors = tcase_create("errors");

	tcase_add_loop_test(core, test_cron_next_matches_the_table, 0,
	    (int)ODS_NELEM(cases));
	tcase_add_test(core, test_cron_next_is_after_now_at_second_precision);
	tcase_add_test(core,
	    test_cron_walks_a_year_of_hours_across_dst_once_each);
	tcase_add_test(core, test_tz_offsets_and_wall_times);
	tcase_add_test(core, test_cron_match_says_which_wall_times_are_due);
	tcase_add_test(limits, test_cron_refuses_an_overlong_expression);
	tcase_add_test(limits, test_cron_next_refuses_times_out_of_range);
	tcase_add_loop_test(errors,
	    test_cron_refuses_bad_expressions_naming_the_field, 0,
	    (int)ODS_NELEM(bad));
	tcase_add_test(errors, test_tz_refuses_names_that_are_not_zones);
	tcase_add_test(errors, test_tz_refuses_a_file_that_is_not_tzif);
	suite_add_tcase(s, core);
	suite_add_tcase(s, limits);
	suite_add_tcase(s, errors);
	return s;
}

const struct ods_check ods_check_program = {
	.suite = suite,
};
