/*
 * tests/check_h_quality.c — the data quality handlers
 * (fcgi/data/h_quality.c) on requests built in memory, against a scratch
 * database "<db>_q<pid>" (needs ODS_TEST_DB_DSN; exits 77 without it):
 * bodies named field by field, a rule on a source the caller cannot see
 * refused, owners (another user's private rule is a 404, a public one
 * cannot be changed by them), runs queued as jobs, the alert transitions
 * and their 409s, a bad trend period. tests/integration/quality.sh runs
 * the rules on real servers.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ods.h"
#include "auth/ods_auth.h"
#include "ods_test.h"
#include "../fcgi/data/h_datasources.h"
#include "../fcgi/data/h_quality.h"
#include "../svc/data/quality.h"
#include "ods_check.h"
#include "ods_test_h.h"
#include "ods_test_db.h"

static const char		*dsn;
static char			 scratch[128];
static struct ods_test_h	 th;

static void
setup(void)
{
	ods_test_h_init(&th, dsn, scratch, "data-api", "/api/v1/quality");
	ck_assert_int_eq(h_data_init(&th.env, &th.env.ctx), ODS_OK);
	ck_assert_int_eq(ods_test_sql(dsn, scratch, "DELETE FROM "
	    "quality_rules"), 0);
	ck_assert_int_eq(ods_test_sql(dsn, scratch, "DELETE FROM "
	    "quality_alerts"), 0);
	ck_assert_int_eq(ods_test_sql(dsn, scratch, "DELETE FROM "
	    "datasources"), 0);
}

static void
teardown(void)
{
	h_data_fini(th.env.ctx);
	ods_test_h_fini(&th);
}

static struct ods_req *
mkreq(const char *method, const struct ods_principal *p, const char *json,
    const char *id)
{
	return ods_test_h_req(&th, method, p, id, json);
}

#define run	ods_test_h_run

static const char *
field(void)
{
	static char	f[64];

	return ods_test_h_field(&th, "field", f, sizeof(f));
}

/* A source of erin's, private or public. */
static void
source(const char *id, const char *vis)
{
	ck_assert_int_eq(run(h_datasources_create, mkreq("POST",
	    &ods_test_erin, ods_arena_printf(th.arena, "{\"name\":\"%s\","
	    "\"source_id\":\"%s\",\"type\":\"mysql\",\"visibility\":\"%s\","
	    "\"connection\":{\"host\":\"db.example\",\"username\":\"u\","
	    "\"password\":\"env:ODS_DS_NONE\",\"database\":\"d\"}}", id, id,
	    vis), NULL)), 201);
}

/* A rule of erin's on src: its id into id (40 bytes). */
static void
rule(const char *src, const char *vis, char *id)
{
	ck_assert_int_eq(run(h_quality_rules_create, mkreq("POST",
	    &ods_test_erin, ods_arena_printf(th.arena, "{\"name\":\"r\","
	    "\"visibility\":\"%s\",\"rule_type\":\"not_null\",\"source_id\":"
	    "\"%s\",\"table\":\"t\",\"column\":\"c\"}", vis, src), NULL)),
	    201);
	ck_assert_ptr_nonnull(ods_test_h_field(&th, "rule_id", id, 40));
}

#define BAD(json, want) do {						\
	ck_assert_int_eq(run(h_quality_rules_create, mkreq("POST",	\
	    &ods_test_erin, json, NULL)), 400);				\
	ck_assert_ptr_nonnull(field());					\
	ck_assert_str_eq(field(), want);				\
} while (0)

START_TEST(test_create_names_the_bad_field)
{
	source("s1", "private");
	BAD("{\"rule_type\":\"not_null\"}", "name");
	BAD("{\"name\":\"x\",\"severity\":\"dire\"}", "severity");
	BAD("{\"name\":\"x\",\"rule_type\":\"not_null\",\"source_id\":\"s1\","
	    "\"table\":\"t\"}", "column");
	BAD("{\"name\":\"x\",\"rule_type\":\"custom_sql\",\"source_id\":"
	    "\"s1\"}", "sql");
	/* eddy cannot see erin's private source: as if it did not exist. */
	ck_assert_int_eq(run(h_quality_rules_create, mkreq("POST",
	    &ods_test_eddy, "{\"name\":\"x\",\"rule_type\":\"not_null\","
	    "\"source_id\":\"s1\",\"table\":\"t\",\"column\":\"c\"}", NULL)),
	    400);
	ck_assert_str_eq(field(), "source_id");
}
END_TEST

START_TEST(test_owners_and_runs)
{
	char	pub[40], priv[40];

	source("s2", "public");
	rule("s2", "public", pub);
	rule("s2", "private", priv);
	ck_assert_int_eq(run(h_quality_rules_get, mkreq("GET", &ods_test_eddy,
	    NULL, pub)), 200);
	ck_assert_int_eq(run(h_quality_rules_get, mkreq("GET", &ods_test_eddy,
	    NULL, priv)), 404);
	ck_assert_int_eq(run(h_quality_rules_update, mkreq("PUT",
	    &ods_test_eddy, "{\"name\":\"mine\"}", pub)), 403);
	ck_assert_int_eq(run(h_quality_rules_update, mkreq("PUT",
	    &ods_test_erin, "{\"min\":\"a\"}", pub)), 400);
	ck_assert_int_eq(run(h_quality_rules_update, mkreq("PUT",
	    &ods_test_erin, "{\"rule_type\":\"range\",\"max\":9}", pub)), 200);
	ck_assert_ptr_nonnull(strstr(ods_test_h_body(&th),
	    "\"rule_type\":\"range\""));
	ck_assert_int_eq(run(h_quality_rules_run, mkreq("POST", &ods_test_eddy,
	    NULL, priv)), 404);
	ck_assert_int_eq(run(h_quality_rules_run, mkreq("POST", &ods_test_erin,
	    NULL, pub)), 202);
	ck_assert_int_eq(ods_test_scalar(th.db, "SELECT COUNT(*) FROM jobs "
	    "WHERE type = 'quality_run' AND INSTR(payload, ?) > 0", pub), 1);
	ck_assert_int_eq(run(h_quality_rules_delete, mkreq("DELETE",
	    &ods_test_eddy, NULL, pub)), 403);
	ck_assert_int_eq(run(h_quality_rules_delete, mkreq("DELETE",
	    &ods_test_root, NULL, pub)), 200);
	ck_assert_int_eq(run(h_quality_rules_get, mkreq("GET", &ods_test_erin,
	    NULL, pub)), 404);
}
END_TEST

START_TEST(test_alert_transitions_and_conflicts)
{
	char	id[40];

	source("s3", "public");
	rule("s3", "public", id);
	ck_assert_int_eq(ods_test_sql(dsn, scratch, ods_arena_printf(th.arena,
	    "INSERT INTO quality_alerts (alert_id, rule_id, status) VALUES "
	    "('qa_1', '%s', 'open')", id)), 0);
	ck_assert_int_eq(run(h_quality_alerts_resolve, mkreq("POST",
	    &ods_test_erin, NULL, "qa_2")), 404);
	ck_assert_int_eq(run(h_quality_alerts_ack, mkreq("POST",
	    &ods_test_erin, NULL, "qa_1")), 200);
	ck_assert_ptr_nonnull(strstr(ods_test_h_body(&th),
	    "\"status\":\"acknowledged\""));
	ck_assert_int_eq(run(h_quality_alerts_ack, mkreq("PUT",
	    &ods_test_erin, NULL, "qa_1")), 409);
	ck_assert_int_eq(run(h_quality_alerts_resolve, mkreq("POST",
	    &ods_test_erin, NULL, "qa_1")), 200);
	ck_assert_int_eq(run(h_quality_alerts_resolve, mkreq("POST",
	    &ods_test_erin, NULL, "qa_1")), 409);
	ck_assert_int_eq(run(h_quality_alerts_ack, mkreq("POST",
	    &ods_test_erin, NULL, "qa_1")), 409);
	ck_assert_ptr_nonnull(strstr(ods_test_h_body(&th),
	    "\"error\":\"invalid_transition\""));
}
END_TEST

START_TEST(test_trends_refuse_an_unknown_period)
{
	ck_assert_int_eq(run(h_quality_trends, ods_test_h_request(&th, "GET",
	    &ods_test_erin, "period=hourly", NULL, NULL)), 400);
	ck_assert_int_eq(run(h_quality_trends, ods_test_h_request(&th, "GET",
	    &ods_test_erin, "period=monthly", NULL, NULL)), 200);
	ck_assert_ptr_nonnull(strstr(ods_test_h_body(&th),
	    "\"dates\":[]"));
}
END_TEST

START_TEST(test_a_retried_job_finds_its_report)
{
	struct ods_quality_env	e;
	char			rep[48];
	double			score;

	ck_assert_int_eq(ods_test_sql(dsn, scratch, "INSERT INTO "
	    "quality_reports (report_id, name, quality_score, job_id) VALUES "
	    "('qrep_done', 'r', 0.25, 77)"), 0);
	memset(&e, 0, sizeof(e));
	e.db = th.db;
	e.ds = th.env.ctx;
	e.job_id = 77;
	/* The rule is gone: only the stored report can answer. */
	ck_assert_int_eq(ods_quality_run(&e, NULL, "qr_gone", "erin", rep,
	    &score), ODS_OK);
	ck_assert_str_eq(rep, "qrep_done");
	ck_assert(score == 0.25);
	e.job_id = 78;
	ck_assert_int_eq(ods_quality_run(&e, NULL, "qr_gone", "erin", rep,
	    &score), ODS_ENOTFOUND);
	ck_assert_int_eq(ods_test_scalar(th.db, "SELECT COUNT(*) FROM "
	    "quality_reports WHERE report_id <> ?", "qrep_done"), 0);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("h_quality");
	TCase	*tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_create_names_the_bad_field);
	tcase_add_test(tc, test_owners_and_runs);
	tcase_add_test(tc, test_alert_transitions_and_conflicts);
	tcase_add_test(tc, test_trends_refuse_an_unknown_period);
	tcase_add_test(tc, test_a_retried_job_finds_its_report);
	suite_add_tcase(s, tc);
	return s;
}

static int
stop(void)
{
	return ods_test_scratch_drop(dsn, scratch) < 0;
}

static int
start(void)
{
	if ((dsn = ods_check_env("ODS_TEST_DB_DSN")) == NULL)
		return ODS_CHECK_SKIP;
	ods_check_log("check_h_quality");
	if (ods_test_scratch_create(dsn, 'q', scratch, sizeof(scratch)) < 0) {
		fprintf(stderr, "check_h_quality: no scratch database\n");
		return 1;
	}
	return 0;
}

const struct ods_check ods_check_program = {
	.suite = suite, .setup = start, .teardown = stop,
};
