/*
 * tests/check_h_metadata.c — the catalog handlers (fcgi/data/h_metadata.c)
 * on requests built in memory, against a scratch database "<db>_m<pid>"
 * (needs ODS_TEST_DB_DSN; exits 77 without it) holding catalog rows of
 * two sources, one private: D15–D17 and search see only the caller's and
 * public sources, removed objects only when asked, search pages and takes
 * % literally; assets likewise; a scan is a queued job (202), of another user's private
 * source a 404, of a type that cannot connect a 400; bad input is a 400
 * naming the field. tests/integration/catalog.sh scans real servers.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ods.h"
#include "auth/ods_auth.h"
#include "ods_test.h"
#include "../fcgi/data/h_metadata.h"
#include "ods_check.h"
#include "ods_test_h.h"
#include "ods_test_db.h"

static const char		*dsn;
static char			 scratch[128];
static struct ods_test_h	 th;

/* Two sources (pub public, priv erin's) and what scans found in them. */
static const char *const fixture[] = {
	"DELETE FROM datasources",
	"DELETE FROM metadata_columns",
	"DELETE FROM metadata_tables",
	"DELETE FROM metadata_databases",
	"DELETE FROM jobs",
	"DELETE FROM data_assets",
	"INSERT INTO datasources (source_id, name, type, connection_config, "
	"created_by, visibility) VALUES "
	"('pub', 'pub', 'mysql', '{\"host\":\"h\"}', 'erin', 'public'), "
	"('priv', 'priv', 'postgresql', '{\"host\":\"h\"}', 'erin', 'private'), "
	"('ora', 'ora', 'oracle', '{\"host\":\"h\"}', 'erin', 'public')",
	"INSERT INTO metadata_databases (source_id, database_name, "
	"description) VALUES ('pub', 'shop', 'the shop'), "
	"('priv', 'secret', NULL)",
	"INSERT INTO metadata_tables (source_id, database_name, table_name, "
	"description, row_count, removed_at) VALUES "
	"('pub', 'shop', 'orders', 'purchase orders', 10, NULL), "
	"('pub', 'shop', 'old', NULL, 0, CURRENT_TIMESTAMP(3)), "
	"('priv', 'secret', 'salaries', 'pay 100%', 3, NULL)",
	"INSERT INTO metadata_columns (source_id, database_name, table_name, "
	"column_name, column_type, is_nullable, description, position, "
	"is_primary_key) VALUES "
	"('pub', 'shop', 'orders', 'id', 'bigint', 0, NULL, 1, 1), "
	"('pub', 'shop', 'orders', 'total', 'decimal(10,2)', 1, 'gross', 2, 0), "
	"('pub', 'shop', 'orders', 'order_date', 'date', 1, NULL, 3, 0)",
	"INSERT INTO data_assets (asset_id, name, source_id, table_name, "
	"description, status) VALUES "
	"('tbl-pub', 'orders', 'pub', 'orders', 'purchase orders', 'active'), "
	"('tbl-priv', 'salaries', 'priv', 'salaries', NULL, 'active'), "
	"('hand', 'a report', NULL, NULL, 'made by hand', 'active')",
};

static void
setup(void)
{
	size_t	i;

	ods_test_h_init(&th, dsn, scratch, "data-api", "/api/v1/metadata");
	for (i = 0; i < ODS_NELEM(fixture); i++)
		ck_assert_int_eq(ods_test_sql(dsn, scratch, fixture[i]), 0);
}

static void
teardown(void)
{
	ods_test_h_fini(&th);
}

/*
 * A request as p with a query string, a JSON body and path parameters
 * "name=value" (any may be NULL).
 */
static struct ods_req *
mkreq(const char *method, const struct ods_principal *p, const char *qs,
    const char *json, const char *p1, const char *p2)
{
	const char	*pp[3] = { NULL, NULL, NULL };
	size_t		 n = 0;

	if (p1 != NULL)
		pp[n++] = p1;
	if (p2 != NULL)
		pp[n++] = p2;
	return ods_test_h_request(&th, method, p, qs, json, pp);
}

#define run	ods_test_h_run

static const char *
body(void)
{
	return ods_test_h_body(&th);
}

#define HAS(s)	ck_assert_ptr_nonnull(strstr(body(), (s)))
#define HASNT(s) ck_assert_ptr_null(strstr(body(), (s)))

START_TEST(test_reads_see_the_callers_and_public_sources)
{
	ck_assert_int_eq(run(h_metadata_databases, mkreq("GET", &ods_test_eddy, NULL,
	    NULL, NULL, NULL)), 200);
	HAS("\"name\":\"shop\"");
	HASNT("secret");
	HAS("\"table_count\":1");
	ck_assert_int_eq(run(h_metadata_databases, mkreq("GET", &ods_test_erin, NULL,
	    NULL, NULL, NULL)), 200);
	HAS("\"name\":\"secret\"");
	HAS("\"total\":2");
	ck_assert_int_eq(run(h_metadata_tables, mkreq("GET", &ods_test_eddy, NULL,
	    NULL, "database=secret", NULL)), 200);
	HAS("\"tables\":[]");
	ck_assert_int_eq(run(h_metadata_table, mkreq("GET", &ods_test_eddy, NULL,
	    NULL, "database=secret", "table=salaries")), 404);
	HAS("\"code\":40402");
	ck_assert_int_eq(run(h_metadata_table, mkreq("GET", &ods_test_erin, NULL,
	    NULL, "database=secret", "table=salaries")), 200);
}
END_TEST

START_TEST(test_one_table_has_its_columns_by_position)
{
	const char	*a, *b, *c;

	ck_assert_int_eq(run(h_metadata_table, mkreq("GET", &ods_test_eddy, NULL,
	    NULL, "database=shop", "table=orders")), 200);
	HAS("\"table_name\":\"orders\"");
	HAS("\"sample_data\":[]");
	HAS("\"primary_key\":true");
	a = strstr(body(), "\"name\":\"id\"");
	b = strstr(body(), "\"name\":\"total\"");
	c = strstr(body(), "\"name\":\"order_date\"");
	ck_assert(a != NULL && b != NULL && c != NULL && a < b && b < c);
}
END_TEST

START_TEST(test_removed_tables_only_when_asked)
{
	ck_assert_int_eq(run(h_metadata_tables, mkreq("GET", &ods_test_eddy, NULL,
	    NULL, "database=shop", NULL)), 200);
	HASNT("\"old\"");
	ck_assert_int_eq(run(h_metadata_tables, mkreq("GET", &ods_test_eddy,
	    "include_removed=1", NULL, "database=shop", NULL)), 200);
	HAS("\"name\":\"old\"");
	HAS("\"removed\":true");
	ck_assert_int_eq(run(h_metadata_table, mkreq("GET", &ods_test_eddy, NULL,
	    NULL, "database=shop", "table=old")), 404);
}
END_TEST

START_TEST(test_search_finds_names_and_comments_and_pages)
{
	ck_assert_int_eq(run(h_metadata_search, mkreq("GET", &ods_test_eddy,
	    "q=ORDER", NULL, NULL, NULL)), 200);
	HAS("\"total\":2");		/* orders, order_date */
	HAS("\"matched\":\"name\"");
	ck_assert_int_eq(run(h_metadata_search, mkreq("GET", &ods_test_eddy,
	    "q=gross", NULL, NULL, NULL)), 200);
	HAS("\"matched\":\"description\"");
	HAS("\"column\":\"total\"");
	ck_assert_int_eq(run(h_metadata_search, mkreq("GET", &ods_test_eddy,
	    "q=o&page=2&page_size=1", NULL, NULL, NULL)), 200);
	HAS("\"page\":2");
	HAS("\"page_size\":1");
	/* % is a character, and erin's private source stays hers. */
	ck_assert_int_eq(run(h_metadata_search, mkreq("GET", &ods_test_erin,
	    "q=100%25", NULL, NULL, NULL)), 200);
	HAS("\"total\":1");
	ck_assert_int_eq(run(h_metadata_search, mkreq("GET", &ods_test_eddy,
	    "q=100%25", NULL, NULL, NULL)), 200);
	HAS("\"total\":0");
	ck_assert_int_eq(run(h_metadata_search, mkreq("GET", &ods_test_eddy,
	    "q=0%25", NULL, NULL, NULL)), 200);
	HAS("\"total\":0");
}
END_TEST

START_TEST(test_scan_queues_a_job_for_sources_the_caller_sees)
{
	ck_assert_int_eq(run(h_metadata_scan, mkreq("POST", &ods_test_eddy, NULL,
	    "{\"source_id\":\"pub\"}", NULL, NULL)), 202);
	HAS("\"status\":\"queued\"");
	ck_assert_int_eq(ods_test_scalar(th.db, "SELECT COUNT(*) FROM jobs WHERE "
	    "type = 'metadata_scan' AND JSON_VALUE(payload, '$.source_id') = "
	    "? AND created_by = 'eddy'", "pub"), 1);
	ck_assert_int_eq(run(h_metadata_scan, mkreq("POST", &ods_test_eddy, NULL,
	    "{\"source_id\":\"priv\"}", NULL, NULL)), 404);
	ck_assert_int_eq(run(h_metadata_scan, mkreq("POST", &ods_test_erin, NULL,
	    "{\"datasource_id\":\"priv\"}", NULL, NULL)), 202);
	ck_assert_int_eq(run(h_metadata_scan, mkreq("POST", &ods_test_erin, NULL,
	    "{\"source_id\":\"ora\"}", NULL, NULL)), 400);
	HAS("unsupported_type");
}
END_TEST

START_TEST(test_assets_of_the_sources_the_caller_sees)
{
	ck_assert_int_eq(run(h_assets_list, mkreq("GET", &ods_test_eddy, NULL, NULL,
	    NULL, NULL)), 200);
	HAS("\"total\":2");
	HAS("\"id\":\"tbl-pub\"");
	HAS("\"id\":\"hand\"");
	HAS("\"page_size\":20");
	HASNT("salaries");
	ck_assert_int_eq(run(h_assets_list, mkreq("GET", &ods_test_eddy, "q=hand",
	    NULL, NULL, NULL)), 200);
	HAS("\"total\":1");
	ck_assert_int_eq(run(h_assets_get, mkreq("GET", &ods_test_eddy, NULL, NULL,
	    "asset_id=tbl-priv", NULL)), 404);
	ck_assert_int_eq(run(h_assets_get, mkreq("GET", &ods_test_erin, NULL, NULL,
	    "asset_id=tbl-priv", NULL)), 200);
	HAS("\"table_name\":\"salaries\"");
	HAS("\"columns\":[]");
}
END_TEST

/* Handler, query string, body, a path parameter. */
static const struct {
	enum ods_status	(*h)(struct ods_req *, struct ods_resp *);
	const char	*qs, *json, *p1, *field;
} bad[] = {
	{ h_metadata_search, NULL, NULL, NULL, "\"field\":\"q\"" },
	{ h_metadata_search, "q=", NULL, NULL, "\"field\":\"q\"" },
	{ h_metadata_search, "q=a&type=view", NULL, NULL,
	    "\"field\":\"type\"" },
	{ h_metadata_databases, "page=x", NULL, NULL, "\"code\":400" },
	{ h_metadata_databases, "include_removed=2", NULL, NULL,
	    "\"code\":400" },
	{ h_metadata_databases, "source_id=", NULL, NULL, "\"code\":400" },
	{ h_metadata_scan, NULL, "{}", NULL, "\"field\":\"source_id\"" },
	{ h_metadata_scan, NULL, "{\"source_id\":1}", NULL, "\"code\":400" },
	{ h_metadata_scan, NULL, "[]", NULL, "\"code\":400" },
	{ h_metadata_scan, NULL, "{", NULL, "\"code\":400" },
	{ h_metadata_scan_result, NULL, NULL, "task_id=x", "\"code\":400" },
	{ h_metadata_scan_result, NULL, NULL, "task_id=-1", "\"code\":400" },
	{ h_assets_list, "page=x", NULL, NULL, "\"code\":400" },
};

START_TEST(test_bad_input_is_400)
{
	ck_assert_int_eq(run(bad[_i].h, mkreq(bad[_i].json != NULL ? "POST" :
	    "GET", &ods_test_erin, bad[_i].qs, bad[_i].json, bad[_i].p1, NULL)), 400);
	HAS(bad[_i].field);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("h_metadata");
	TCase	*tc;

	tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_reads_see_the_callers_and_public_sources);
	tcase_add_test(tc, test_one_table_has_its_columns_by_position);
	tcase_add_test(tc, test_removed_tables_only_when_asked);
	tcase_add_test(tc, test_search_finds_names_and_comments_and_pages);
	tcase_add_test(tc, test_scan_queues_a_job_for_sources_the_caller_sees);
	tcase_add_test(tc, test_assets_of_the_sources_the_caller_sees);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_bad_input_is_400, 0, (int)ODS_NELEM(bad));
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
	ods_check_log("check_h_metadata");
	if (ods_test_scratch_create(dsn, 'm', scratch, sizeof(scratch)) < 0) {
		fprintf(stderr, "check_h_metadata: no scratch database\n");
		return 1;
	}
	return 0;
}

const struct ods_check ods_check_program = {
	.suite = suite, .setup = start, .teardown = stop,
};
