/*
 * tests/check_lineage.c — lineage (svc/data/lineage.h). What a SELECT
 * reads: the tables of FROM and JOIN, aliases resolved, the output columns
 * of a plain SELECT list with their source columns and expressions, and
 * column_level 0 for what is not plain (subqueries, '*', WITH, UNION).
 * Recording (on a scratch database "<db>_l<pid>" when ODS_TEST_DB_DSN is
 * set): a COMPLETE run stores its event and its table and column edges,
 * and recording it again, or a rerun, adds no second copy.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_conf.h"
#include "core/ods_err.h"
#include "core/ods_json.h"
#include "core/ods_mem.h"
#include "core/ods_time.h"
#include "store/ods_db.h"
#include "../svc/data/lineage.h"
#include "ods_check.h"
#include "ods_test_db.h"

static const char		*dsn;
static char			 scratch[128];
static struct ods_conf		*conf;
static struct ods_db		*db;
static struct ods_lineage_sql	 ls;

static void
parse(const char *sql)
{
	ods_lineage_sql_fini(&ls);
	ck_assert_msg(ods_lineage_parse_sql(sql, strlen(sql), &ls) == ODS_OK,
	    "refused: %s", sql);
}

static void
sql_teardown(void)
{
	ods_lineage_sql_fini(&ls);
}

static int
has_table(const char *t)
{
	size_t	i;

	for (i = 0; i < ls.ntables; i++)
		if (strcmp(ls.tables[i], t) == 0)
			return 1;
	return 0;
}

/* The column entry dst <- table.col (table NULL: ambiguous), its expr. */
static void
has_col(const char *dst, const char *table, const char *col,
    const char *expr)
{
	const struct ods_lineage_sqlcol	*c;
	size_t				 i;

	for (i = 0; i < ls.ncols; i++) {
		c = &ls.cols[i];
		if (strcmp(c->dst, dst) != 0 || strcmp(c->src_col, col) != 0)
			continue;
		if ((table == NULL) != (c->src_table == NULL) ||
		    (table != NULL && strcmp(table, c->src_table) != 0))
			continue;
		if (expr == NULL)
			ck_assert_msg(c->expr == NULL, "%s: expr %s", dst,
			    c->expr);
		else
			ck_assert_msg(c->expr != NULL &&
			    strcmp(c->expr, expr) == 0, "%s: expr %s", dst,
			    c->expr == NULL ? "NULL" : c->expr);
		return;
	}
	ck_abort_msg("no column %s <- %s.%s", dst, table ? table : "?", col);
}

START_TEST(test_select_list_and_aliases)
{
	parse("SELECT id, name AS customer_name, t.amount amt FROM "
	    "shop.orders t WHERE t.amount > 10");
	ck_assert_int_eq(ls.column_level, 1);
	ck_assert_uint_eq(ls.ntables, 1);
	ck_assert(has_table("shop.orders"));
	ck_assert_uint_eq(ls.ncols, 3);
	has_col("id", "shop.orders", "id", NULL);
	has_col("customer_name", "shop.orders", "name", NULL);
	has_col("amt", "shop.orders", "amount", NULL);

	parse("select `a`.`x` as \"y\" from `db`.`a`;");
	ck_assert_int_eq(ls.column_level, 1);
	ck_assert(has_table("db.a"));
	has_col("y", "db.a", "x", NULL);
}
END_TEST

START_TEST(test_joins_with_table_aliases)
{
	parse("SELECT o.id AS order_id, c.name, o.qty * o.price AS total, "
	    "UPPER(c.city) city, region FROM orders o JOIN customers AS c "
	    "ON c.id = o.customer_id LEFT JOIN db2.regions r USING (rid)");
	ck_assert_int_eq(ls.column_level, 1);
	ck_assert_uint_eq(ls.ntables, 3);
	ck_assert(has_table("orders"));
	ck_assert(has_table("customers"));
	ck_assert(has_table("db2.regions"));
	has_col("order_id", "orders", "id", NULL);
	has_col("name", "customers", "name", NULL);
	has_col("total", "orders", "qty", "o.qty * o.price");
	has_col("total", "orders", "price", "o.qty * o.price");
	has_col("city", "customers", "city", "UPPER(c.city)");
	/* Unqualified with three tables: which one is not known. */
	has_col("region", NULL, "region", NULL);
	ck_assert_uint_eq(ls.ncols, 6);

	/* Comma joins; a table named by its last part. */
	parse("SELECT a.k, b.v FROM s.a, s.b WHERE a.k = b.k");
	has_col("k", "s.a", "k", NULL);
	has_col("v", "s.b", "v", NULL);
}
END_TEST

START_TEST(test_simple_expressions)
{
	parse("SELECT CAST(amount AS DECIMAL(10,2)) AS amount, "
	    "COALESCE(a, b) ab, CASE WHEN x > 0 THEN 'p' ELSE 'n' END AS sign,"
	    " COUNT(*) AS n, 1 AS one, EXTRACT(YEAR FROM d) AS y, "
	    "a + a AS twice FROM t GROUP BY 1");
	ck_assert_int_eq(ls.column_level, 1);
	ck_assert_uint_eq(ls.ntables, 1);
	ck_assert(has_table("t"));
	has_col("amount", "t", "amount", "CAST(amount AS DECIMAL(10,2))");
	has_col("ab", "t", "a", "COALESCE(a, b)");
	has_col("ab", "t", "b", "COALESCE(a, b)");
	has_col("sign", "t", "x", "CASE WHEN x > 0 THEN 'p' ELSE 'n' END");
	has_col("y", "t", "d", "EXTRACT(YEAR FROM d)");
	has_col("twice", "t", "a", "a + a");
	/* n and one read no column; a + a is one entry. */
	ck_assert_uint_eq(ls.ncols, 6);

	/* PostgreSQL quoting and casts. */
	parse("SELECT \"Id\"::text AS id, s.\"Name\" FROM \"Sales\".\"S\" s");
	ck_assert_int_eq(ls.column_level, 1);
	ck_assert(has_table("Sales.S"));
	has_col("id", "Sales.S", "Id", "\"Id\"::text");
	has_col("Name", "Sales.S", "Name", NULL);
}
END_TEST

START_TEST(test_complex_queries_are_table_level)
{
	parse("SELECT * FROM a JOIN b ON a.id = b.id");
	ck_assert_int_eq(ls.column_level, 0);
	ck_assert_uint_eq(ls.ncols, 0);
	ck_assert(has_table("a") && has_table("b"));

	parse("SELECT a.*, b.x FROM a, b");
	ck_assert_int_eq(ls.column_level, 0);

	parse("SELECT x FROM (SELECT x FROM inner_t JOIN j ON 1=1) s, "
	    "other o WHERE x IN (SELECT y FROM filt)");
	ck_assert_int_eq(ls.column_level, 0);
	ck_assert_uint_eq(ls.ntables, 4);
	ck_assert(has_table("inner_t") && has_table("j") &&
	    has_table("other") && has_table("filt"));

	parse("WITH recent AS (SELECT id FROM db.orders WHERE d > 1), r2 AS "
	    "(SELECT 1) SELECT id FROM recent JOIN db.users u ON u.id = id");
	ck_assert_int_eq(ls.column_level, 0);
	ck_assert_uint_eq(ls.ntables, 2);
	ck_assert(has_table("db.orders") && has_table("db.users"));

	parse("SELECT a FROM t1 UNION ALL SELECT a FROM t2");
	ck_assert_int_eq(ls.column_level, 0);
	ck_assert(has_table("t1") && has_table("t2"));

	parse("SELECT 1");
	ck_assert_int_eq(ls.column_level, 0);
	ck_assert_uint_eq(ls.ntables, 0);

	/* A table read twice is listed once. */
	parse("SELECT a.x FROM t a JOIN t b ON a.id = b.pid");
	ck_assert_uint_eq(ls.ntables, 1);
	has_col("x", "t", "x", NULL);
}
END_TEST

START_TEST(test_refused_text)
{
	static const char *const bad[] = {
		"", "UPDATE t SET a = 1", "SELECT 'open", "SELECT 1; DROP t",
		"SELECT /* open"
	};
	size_t	i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(ods_lineage_parse_sql(bad[i], strlen(bad[i]),
		    &ls) == ODS_EINVAL, "passed: %s", bad[i]);
		ck_assert_uint_eq(ls.ntables, 0);
		ods_lineage_sql_fini(&ls);
	}
	ck_assert_int_eq(ods_lineage_parse_sql(NULL, 0, &ls), ODS_EINVAL);
}
END_TEST

/* ---- recording ---- */

static void
setup(void)
{
	conf = ods_test_conf(dsn, scratch);
	db = ods_db_new(conf, 2);
}

static void
teardown(void)
{
	ods_db_free(db);
	ods_conf_free(conf);
}

static int64_t
count(const char *sql, const char *arg)
{
	return ods_test_scalar(db, sql, arg);
}

START_TEST(test_record_is_idempotent)
{
	static const struct ods_lineage_ref in[] = {
		{ "ds_a", "shop.orders", "table" },
		{ "ds_a", "shop.customers", NULL },
	};
	static const struct ods_lineage_ref out[] = {
		{ "ds_b", "dw.facts", "table" },
	};
	static const struct ods_lineage_col cols[] = {
		{ "ds_a", "shop.orders", "id", "order_id", NULL },
		{ "ds_a", "shop.orders", "qty", "total", "qty * price" },
		{ "ds_a", "shop.orders", "price", "total", "qty * price" },
	};
	struct ods_lineage_run	run = {
		.job_name = "etl_1", .run_id = "exec_1",
		.event_type = "START", .transformation = "SELECT ...",
		.inputs = in, .ninputs = 2, .outputs = out, .noutputs = 1,
		.cols = cols, .ncols = 3,
	};

	ck_assert_int_eq(ods_lineage_record(db, &run), ODS_OK);
	ck_assert_int_eq(count("SELECT COUNT(*) FROM lineage_edges WHERE "
	    "job_name = ?", "etl_1"), 0);	/* START: no edges yet */
	run.event_type = "COMPLETE";
	ck_assert_int_eq(ods_lineage_record(db, &run), ODS_OK);
	ck_assert_int_eq(ods_lineage_record(db, &run), ODS_OK);
	run.run_id = "exec_2";	/* a rerun */
	ck_assert_int_eq(ods_lineage_record(db, &run), ODS_OK);
	ck_assert_int_eq(count("SELECT COUNT(*) FROM lineage_edges WHERE "
	    "job_name = ? AND edge_type = 'data_flow'", "etl_1"), 2);
	ck_assert_int_eq(count("SELECT COUNT(*) FROM lineage_edges WHERE "
	    "job_name = ? AND edge_type = 'column_flow'", "etl_1"), 3);
	ck_assert_int_eq(count("SELECT COUNT(*) FROM lineage_edges WHERE "
	    "run_id = ?", "exec_2"), 5);
	ck_assert_int_eq(count("SELECT COUNT(*) FROM lineage_edges WHERE "
	    "target_name = ? AND transformation = 'qty * price'",
	    "dw.facts.total"), 2);
	ck_assert_int_eq(count("SELECT COUNT(*) FROM lineage_edges WHERE "
	    "target_base = ?", "facts"), 2);
	/* START and COMPLETE of exec_1, COMPLETE of exec_2. */
	ck_assert_int_eq(count("SELECT COUNT(*) FROM lineage_events WHERE "
	    "job_name = ?", "etl_1"), 3);
	ck_assert_int_eq(count("SELECT COUNT(*) FROM lineage_events WHERE "
	    "JSON_VALUE(payload, '$.outputs[0].facets.columnLineage.fields."
	    "total.inputFields[1].field') = ?", "price"), 3);
	ck_assert_int_eq(count("SELECT COUNT(*) FROM lineage_events WHERE "
	    "JSON_VALUE(payload, '$.run.runId') RLIKE "
	    "'^[0-9a-f]{8}-[0-9a-f]{4}-5' AND run_id = ?", "exec_1"), 2);

	/* Another job writing the same tables has edges of its own. */
	run.job_name = "etl_2";
	run.ncols = 0;
	ck_assert_int_eq(ods_lineage_record(db, &run), ODS_OK);
	ck_assert_int_eq(count("SELECT COUNT(*) FROM lineage_edges WHERE "
	    "target_name = ?", "dw.facts"), 4);
}
END_TEST

START_TEST(test_record_refuses_bad_runs)
{
	static const struct ods_lineage_ref in[] = { { NULL, "", NULL } };
	struct ods_lineage_run	run = {
		.job_name = "j", .event_type = "COMPLETE",
	};

	run.event_type = "DONE";
	ck_assert_int_eq(ods_lineage_record(db, &run), ODS_EINVAL);
	run.event_type = "COMPLETE";
	run.job_name = "";
	ck_assert_int_eq(ods_lineage_record(db, &run), ODS_EINVAL);
	run.job_name = "j";
	run.inputs = in;
	run.ninputs = 1;
	ck_assert_int_eq(ods_lineage_record(db, &run), ODS_EINVAL);
	run.ninputs = 0;
	run.event_time = "yesterday";
	ck_assert_int_eq(ods_lineage_record(db, &run), ODS_EINVAL);
	run.event_time = "2024-05-01T10:00:00.5+02:00";
	ck_assert_int_eq(ods_lineage_record(db, &run), ODS_OK);
	ck_assert_int_eq(count("SELECT COUNT(*) FROM lineage_events WHERE "
	    "event_time = '2024-05-01 08:00:00.500' AND job_name = ?", "j"),
	    1);
}
END_TEST

/* A table edge src -> dst of job (COMPLETE) in namespace "w". */
static void
edge(const char *job, const char *src, const char *dst)
{
	struct ods_lineage_ref	in = { "w", src, NULL };
	struct ods_lineage_ref	out = { "w", dst, NULL };
	struct ods_lineage_run	run = {
		.job_name = job, .run_id = "r", .event_type = "COMPLETE",
		.inputs = &in, .ninputs = 1, .outputs = &out, .noutputs = 1,
	};

	ck_assert_int_eq(ods_lineage_record(db, &run), ODS_OK);
}

/* The JSON one walk writes, parsed (released by the caller). */
static struct json_object *
walked(int kind, const char *name, int depth)
{
	struct ods_lineage_query	 q = { "w", name, NULL, depth, 0 };
	struct ods_lineage_query	 t = { "w", "wc", NULL, depth, 0 };
	struct json_object		*o = NULL;
	struct ods_buf			 b;
	struct ods_jw			 jw;
	enum ods_err			 er;

	ods_buf_init(&b, 16u << 20);
	ods_jw_init(&jw, &b);
	if (kind == 0)
		er = ods_lineage_impact(db, &q, &jw);
	else if (kind == 2)
		er = ods_lineage_path(db, &q, &t, &jw);
	else
		er = ods_lineage_list(db, &q, kind, &jw);
	ck_assert_int_eq(er, ODS_OK);
	ck_assert_int_eq(ods_jw_error(&jw), ODS_OK);
	ck_assert_int_eq(ods_json_parse(b.data, b.len, 64, &o, NULL), ODS_OK);
	ods_buf_free(&b);
	return o;
}

static int64_t
jint(struct json_object *o, const char *f)
{
	int64_t	v = -1;

	ck_assert_int_eq(ods_json_int(o, f, 1, -1, INT64_MAX, &v, NULL),
	    ODS_OK);
	return v;
}

START_TEST(test_walks_end_on_cycles)
{
	struct json_object	*o;
	struct json_object	*path = NULL;

	edge("ja", "wa", "wb");
	edge("jb", "wb", "wc");
	edge("jc", "wc", "wa");	/* the cycle */
	o = walked(0, "wa", 10);
	ck_assert_int_eq(jint(o, "total_downstream"), 2);
	ods_json_put(o);
	o = walked(-1, "wa", 10);
	ck_assert_int_eq(jint(o, "total"), 2);	/* wc, then wb */
	ods_json_put(o);
	o = walked(1, "wb", 1);
	ck_assert_int_eq(jint(o, "total"), 1);	/* depth 1: wc only */
	ods_json_put(o);
	o = walked(2, "wa", 5);
	ck_assert_int_eq(ods_json_arr(o, "path", 1, &path, NULL), ODS_OK);
	ck_assert_uint_eq(ods_json_arr_len(path), 3);	/* wa wb wc */
	ck_assert_int_eq(jint(o, "path_length"), 2);
	ods_json_put(o);
}
END_TEST

/*
 * 600 tables downstream of one: the walk stops at the node cap and says
 * so. The figure: how long the walk takes (one query for the level).
 */
START_TEST(test_walks_stop_at_the_node_cap)
{
	static struct ods_lineage_ref	out[200];
	static char			names[200][16];
	struct ods_lineage_ref		in = { "w", "hub", NULL };
	struct ods_lineage_run		run = {
		.job_name = "fan", .event_type = "COMPLETE", .inputs = &in,
		.ninputs = 1, .outputs = out, .noutputs = 200,
	};
	struct json_object		*o, *all = NULL;
	struct json_object		*tr;
	char				 job[8];
	int64_t				 t0;
	int				 k, i;

	for (k = 0; k < 3; k++) {
		for (i = 0; i < 200; i++) {
			snprintf(names[i], sizeof(names[i]), "f%d_%d", k, i);
			out[i].ns = "w";
			out[i].name = names[i];
		}
		snprintf(job, sizeof(job), "fan%d", k);
		run.job_name = job;
		ck_assert_int_eq(ods_lineage_record(db, &run), ODS_OK);
	}
	t0 = ods_now_ms();
	o = walked(0, "hub", 3);
	fprintf(stderr, "check_lineage: impact over 600 edges in %lld ms\n",
	    (long long)(ods_now_ms() - t0));
	ck_assert_int_eq(ods_json_arr(o, "all_downstream", 1, &all, NULL),
	    ODS_OK);
	ck_assert_uint_eq(ods_json_arr_len(all), ODS_LINEAGE_NODES_MAX - 1);
	tr = ods_json_get(o, "truncated");
	ck_assert_str_eq(ods_json_text(tr), "true");
	ods_json_put(o);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("lineage");
	TCase	*tc = tcase_create("sql");

	tcase_add_checked_fixture(tc, NULL, sql_teardown);
	tcase_add_test(tc, test_select_list_and_aliases);
	tcase_add_test(tc, test_joins_with_table_aliases);
	tcase_add_test(tc, test_simple_expressions);
	tcase_add_test(tc, test_complex_queries_are_table_level);
	tcase_add_test(tc, test_refused_text);
	suite_add_tcase(s, tc);
	if (dsn == NULL)
		return s;
	tc = tcase_create("db");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_record_is_idempotent);
	tcase_add_test(tc, test_record_refuses_bad_runs);
	tcase_add_test(tc, test_walks_end_on_cycles);
	tcase_add_test(tc, test_walks_stop_at_the_node_cap);
	suite_add_tcase(s, tc);
	return s;
}

static int
start(void)
{
	const char	*d = getenv("ODS_TEST_DB_DSN");

	ods_check_log("check_lineage");
	if (d == NULL || d[0] == '\0')
		return 0;	/* the parser's tests run alone */
	if (ods_test_scratch_create(d, 'l', scratch, sizeof(scratch)) < 0) {
		fprintf(stderr, "check_lineage: no scratch database\n");
		return 1;
	}
	dsn = d;
	return 0;
}

static int
stop(void)
{
	return dsn != NULL && ods_test_scratch_drop(dsn, scratch) < 0;
}

const struct ods_check ods_check_program = {
	.suite = suite, .setup = start, .teardown = stop,
};
