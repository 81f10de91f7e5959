/*
 * tests/check_wf_store.c — the storage side of the workflow engine
 * without a database (svc/agent/workflow.h): the bodies of the workflow
 * and schedule routes, the retry delays of a scheduled run.
 */
#include "config.h"

#include <check.h>
#include <string.h>

#include "core/ods_err.h"
#include "core/ods_json.h"
#include "../svc/agent/workflow.h"
#include "ods_check.h"

static struct json_object *
doc(const char *s)
{
	struct json_object	*o = NULL;

	ck_assert_int_eq(ods_json_parse(s, strlen(s), 0, &o, NULL), ODS_OK);
	return o;
}

/* The spec of body s: its error, why's field in field. */
static enum ods_err
spec(const char *s, struct ods_wf_spec *sp, char *field)
{
	struct json_object	*o = doc(s);
	struct ods_why		 why;
	enum ods_err		 er;

	memset(&why, 0, sizeof(why));
	er = ods_wf_spec_parse(o, sp, &why);
	strcpy(field, why.field);
	/* sp borrows from o: the caller looks at it before the next doc. */
	ods_json_put(o);
	return er;
}

START_TEST(test_wf_spec_fields)
{
	struct ods_wf_spec	 sp;
	struct json_object	*o;
	struct ods_why		 why;
	char			 f[64];

	o = doc("{\"name\":\"n\",\"type\":\"sql\",\"visibility\":\"public\","
	    "\"definition\":{\"nodes\":[]},\"comment\":\"c\"}");
	ck_assert_int_eq(ods_wf_spec_parse(o, &sp, &why), ODS_OK);
	ck_assert_str_eq(sp.name, "n");
	ck_assert_str_eq(sp.type, "sql");
	ck_assert_str_eq(sp.visibility, "public");
	ck_assert_str_eq(sp.comment, "c");
	ck_assert_ptr_nonnull(strstr(sp.definition, "nodes"));
	ods_json_put(o);
	/* A definition sent as the text of an object. */
	o = doc("{\"definition\":\"{\\\"nodes\\\":[]}\"}");
	ck_assert_int_eq(ods_wf_spec_parse(o, &sp, &why), ODS_OK);
	ck_assert_str_eq(sp.definition, "{\"nodes\":[]}");
	ck_assert_ptr_null(sp.name);
	ods_json_put(o);
	o = doc("{\"definition\":null}");
	ck_assert_int_eq(ods_wf_spec_parse(o, &sp, &why), ODS_OK);
	ck_assert_ptr_null(sp.definition);
	ods_json_put(o);

	ck_assert_int_eq(spec("{\"type\":\"blender\"}", &sp, f), ODS_EINVAL);
	ck_assert_str_eq(f, "type");
	ck_assert_int_eq(spec("{\"visibility\":\"all\"}", &sp, f), ODS_EINVAL);
	ck_assert_str_eq(f, "visibility");
	ck_assert_int_eq(spec("{\"definition\":[1]}", &sp, f), ODS_EINVAL);
	ck_assert_str_eq(f, "definition");
	ck_assert_int_eq(spec("{\"definition\":\"[1]\"}", &sp, f), ODS_EINVAL);
	ck_assert_int_eq(spec("{\"definition\":\"{\"}", &sp, f), ODS_EINVAL);
	ck_assert_int_eq(spec("{\"name\":7}", &sp, f), ODS_EINVAL);
	ck_assert_str_eq(f, "name");
	ck_assert_int_eq(spec("[]", &sp, f), ODS_EINVAL);
}
END_TEST

START_TEST(test_wf_spec_refuses_markup)
{
	struct ods_wf_spec	sp;
	char			f[64];

	ck_assert_int_eq(spec("{\"name\":\"<script>x</script>\"}", &sp, f),
	    ODS_EINVAL);
	ck_assert_str_eq(f, "name");
	ck_assert_int_eq(spec("{\"name\":\"<SCRIPT src=x>\"}", &sp, f),
	    ODS_EINVAL);
	ck_assert_int_eq(spec("{\"description\":\"a javascript:b\"}", &sp,
	    f), ODS_EINVAL);
	ck_assert_str_eq(f, "description");
	ck_assert_int_eq(spec("{\"description\":\"<img src=x onerror="
	    "alert(1)>\"}", &sp, f), ODS_EINVAL);
	ck_assert_int_eq(spec("{\"description\":\"<iframe>\"}", &sp, f),
	    ODS_EINVAL);
	/* Text that only looks alike passes. */
	ck_assert_int_eq(spec("{\"name\":\"a < b, c > d\",\"description\":"
	    "\"one=1, money on=2\"}", &sp, f), ODS_OK);
	ck_assert_int_eq(spec("{\"description\":\"<b class=x>bold</b>\"}",
	    &sp, f), ODS_OK);
}
END_TEST

static enum ods_err
sched(const char *s, struct ods_wf_sched_spec *sp, char *field)
{
	struct json_object	*o = doc(s);
	struct ods_why		 why;
	enum ods_err		 er;

	memset(&why, 0, sizeof(why));
	er = ods_wf_sched_parse(o, sp, &why);
	strcpy(field, why.field);
	ods_json_put(o);
	return er;
}

START_TEST(test_wf_sched_bodies)
{
	struct ods_wf_sched_spec	sp;
	char				f[64];

	ck_assert_int_eq(sched("{\"type\":\"interval\",\"interval_seconds\":"
	    "5}", &sp, f), ODS_OK);
	ck_assert_int_eq(sp.interval_seconds, 5);
	ck_assert_int_eq(sp.enabled, 1);
	ck_assert_int_eq(sp.paused, 0);
	ck_assert_int_eq(sp.max_retries, 0);
	ck_assert_int_eq(sp.retry_delay_seconds, 60);
	ck_assert(sp.retry_backoff_base == 2);
	ck_assert_int_eq(sp.timeout_seconds, 3600);
	ck_assert_int_eq(sched("{\"schedule_type\":\"cron\",\"cron_expression"
	    "\":\"*/5 * * * *\",\"enabled\":false,\"max_retries\":3,"
	    "\"retry_backoff_base\":1.5,\"inputs\":{\"q\":1}}", &sp, f),
	    ODS_OK);
	ck_assert_int_eq(sp.enabled, 0);
	ck_assert_int_eq(sp.max_retries, 3);
	ck_assert(sp.retry_backoff_base == 1.5);

	ck_assert_int_eq(sched("{\"type\":\"event\"}", &sp, f), ODS_EINVAL);
	ck_assert_str_eq(f, "schedule_type");
	ck_assert_int_eq(sched("{}", &sp, f), ODS_EINVAL);
	ck_assert_str_eq(f, "schedule_type");
	ck_assert_int_eq(sched("{\"type\":\"hourly\"}", &sp, f), ODS_EINVAL);
	ck_assert_int_eq(sched("{\"type\":\"cron\"}", &sp, f), ODS_EINVAL);
	ck_assert_str_eq(f, "cron_expression");
	ck_assert_int_eq(sched("{\"type\":\"interval\"}", &sp, f),
	    ODS_EINVAL);
	ck_assert_str_eq(f, "interval_seconds");
	ck_assert_int_eq(sched("{\"type\":\"interval\",\"interval_seconds\":"
	    "0}", &sp, f), ODS_EINVAL);
	ck_assert_int_eq(sched("{\"type\":\"interval\",\"interval_seconds\":"
	    "1,\"max_retries\":11}", &sp, f), ODS_EINVAL);
	ck_assert_str_eq(f, "max_retries");
	ck_assert_int_eq(sched("{\"type\":\"interval\",\"interval_seconds\":"
	    "1,\"retry_backoff_base\":0.5}", &sp, f), ODS_EINVAL);
	ck_assert_int_eq(sched("{\"type\":\"interval\",\"interval_seconds\":"
	    "1,\"inputs\":[1]}", &sp, f), ODS_EINVAL);
	ck_assert_str_eq(f, "inputs");
}
END_TEST

START_TEST(test_wf_retry_settings)
{
	struct ods_wf_retry_spec	 rs;
	struct ods_why			 why;
	struct json_object		*o;

	o = doc("{\"max_retries\":2}");
	ck_assert_int_eq(ods_wf_retry_parse(o, &rs, &why), ODS_OK);
	ck_assert_int_eq(rs.max_retries, 2);
	ck_assert_int_eq(rs.retry_delay_seconds, -1);
	ck_assert(rs.retry_backoff_base < 0);
	ck_assert_int_eq(rs.timeout_seconds, -1);
	ods_json_put(o);
	o = doc("{\"timeout_seconds\":0}");
	ck_assert_int_eq(ods_wf_retry_parse(o, &rs, &why), ODS_EINVAL);
	ods_json_put(o);
}
END_TEST

START_TEST(test_wf_retry_delays)
{
	/* retry_delay_seconds * backoff ^ n, in ms, capped at a day. */
	ck_assert_int_eq(ods_wf_retry_delay_ms(5, 2, 0), 5000);
	ck_assert_int_eq(ods_wf_retry_delay_ms(5, 2, 1), 10000);
	ck_assert_int_eq(ods_wf_retry_delay_ms(5, 2, 3), 40000);
	ck_assert_int_eq(ods_wf_retry_delay_ms(60, 1, 9), 60000);
	ck_assert_int_eq(ods_wf_retry_delay_ms(10, 1.5, 2), 22500);
	ck_assert_int_eq(ods_wf_retry_delay_ms(0, 2, 4), 0);
	ck_assert_int_eq(ods_wf_retry_delay_ms(3600, 10, 5), 86400000);
	ck_assert_int_eq(ods_wf_retry_delay_ms(1, 2, 1000000), 86400000);
	ck_assert_int_eq(ods_wf_retry_delay_ms(5, 0.1, 2), 5000);
}
END_TEST

START_TEST(test_wf_exec_ended)
{
	ck_assert(ods_wf_exec_ended("completed"));
	ck_assert(ods_wf_exec_ended("failed"));
	ck_assert(ods_wf_exec_ended("stopped"));
	ck_assert(!ods_wf_exec_ended("pending"));
	ck_assert(!ods_wf_exec_ended("running"));
	ck_assert(!ods_wf_exec_ended(NULL));
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("wf_store");
	TCase	*tc = tcase_create("bodies");

	tcase_add_test(tc, test_wf_spec_fields);
	tcase_add_test(tc, test_wf_spec_refuses_markup);
	tcase_add_test(tc, test_wf_sched_bodies);
	tcase_add_test(tc, test_wf_retry_settings);
	tcase_add_test(tc, test_wf_retry_delays);
	tcase_add_test(tc, test_wf_exec_ended);
	suite_add_tcase(s, tc);
	return s;
}

const struct ods_check ods_check_program = { .suite = suite };
