/*
 * tests/check_wf_run.c — workflow runs (svc/agent/wf_run.c, wf_node.c)
 * against a scratch database "<db>_w<pid>" (needs ODS_TEST_DB_DSN; exits
 * 77 without it): retries, continue_on_error, switch branches and skips,
 * loops and merges, resume from recorded outcomes, a stop (cancel) and a
 * shutdown, a row already stopped, a definition that cannot run.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ods.h"
#include "../svc/agent/wf.h"
#include "ods_check.h"
#include "ods_test_db.h"

static const char	*dsn;
static char		 scratch[128];
static struct ods_conf	*conf;
static struct ods_db	*db;
static int64_t		 stop_at;	/* ods_now_ms() to stop at; 0 never */
static int		 is_cancel;

static void
setup(void)
{
	conf = ods_test_conf(dsn, scratch);
	db = ods_db_new(conf, 4);
	stop_at = 0;
	is_cancel = 1;
}

static void
teardown(void)
{
	ods_db_free(db);
	ods_conf_free(conf);
}

static int
stopping(void *arg)
{
	(void)arg;
	return stop_at > 0 && ods_now_ms() >= stop_at;
}

static int
cancelled(void *arg)
{
	(void)arg;
	return is_cancel;
}

/* A pending execution of def (inputs {"query":"b","items":[1,2,3]}). */
static void
mkexec(const char *id, const char *def)
{
	struct ods_db_arg	a[2];

	a[0] = ods_db_text(id);
	a[1] = ods_db_text(def);
	ck_assert_int_eq(ods_db_exec_once(db, "INSERT INTO "
	    "workflow_executions (execution_id, workflow_id, status, inputs, "
	    "definition, created_by) VALUES (?, 'wf-t', 'pending', "
	    "'{\"query\":\"b\",\"items\":[1,2,3]}', ?, 'alice')", a, 2, NULL),
	    ODS_OK);
}

static enum ods_err
run(const char *id, struct ods_wf_outcome *o)
{
	struct ods_wf_env	env;

	memset(&env, 0, sizeof(env));
	env.db = db;
	env.conf = conf;
	env.parallel = 3;
	env.attempt = 1;
	env.stopping = stopping;
	env.cancelled = cancelled;
	return ods_wf_run(&env, id, o);
}

/* One text cell of a query with one argument ("" for NULL). */
static char *
cell(const char *sql, const char *arg)
{
	static char		 v[4096];
	struct ods_db_arg	 a = ods_db_text(arg);
	struct ods_db_res	*res = NULL;
	enum ods_err		 er;
	const char		*s;

	er = ods_db_query_once_const(db, sql, &a, 1, 1, &res);
	ck_assert_int_eq(er, ODS_OK);
	s = ods_db_res_nrows(res) ? ods_db_res_text(res, 0, 0, NULL) : NULL;
	snprintf(v, sizeof(v), "%s", s ? s : "");
	ods_db_res_free(res);
	return v;
}

#define STATUS(id)	cell("SELECT status FROM workflow_executions " \
	"WHERE execution_id = ?", id)
#define NODES(id)	cell("SELECT GROUP_CONCAT(node_id, ':', status, ':', " \
	"attempts ORDER BY node_id) FROM workflow_node_runs WHERE " \
	"execution_id = ?", id)

START_TEST(test_wf_run_retries_and_continues_on_error)
{
	struct ods_wf_outcome	o;

	mkexec("exec-r1", "{\"version\":\"1.0\",\"nodes\":["
	    "{\"id\":\"src\",\"type\":\"input\"},"
	    "{\"id\":\"bad\",\"type\":\"transform\",\"config\":{\"template\":"
	    "\"{{ src.value.nope }}\",\"retries\":2,\"retry_delay_ms\":10,"
	    "\"continue_on_error\":true}},"
	    "{\"id\":\"after\",\"type\":\"transform\",\"config\":{\"mapping\":"
	    "{\"saw\":\"{{ bad.status }}\"}}}],"
	    "\"edges\":[{\"source\":\"src\",\"target\":\"bad\"},"
	    "{\"source\":\"bad\",\"target\":\"after\"}]}");
	ck_assert_int_eq(run("exec-r1", &o), ODS_OK);
	ck_assert_str_eq(o.status, "completed");
	ck_assert_int_eq(o.written, 1);
	ck_assert_str_eq(NODES("exec-r1"),
	    "after:success:1,bad:error:3,src:success:1");
	ck_assert_str_eq(cell("SELECT JSON_VALUE(output, '$.result.saw') FROM "
	    "workflow_node_runs WHERE execution_id = ? AND node_id = 'after'",
	    "exec-r1"), "error");
	ck_assert_str_eq(cell("SELECT COUNT(*) FROM execution_logs WHERE "
	    "execution_id = ? AND event = 'retry'", "exec-r1"), "2");
	/* Without continue_on_error the run fails, naming the node. */
	mkexec("exec-r2", "{\"version\":\"1.0\",\"nodes\":["
	    "{\"id\":\"src\",\"type\":\"input\"},"
	    "{\"id\":\"bad\",\"type\":\"transform\",\"config\":{\"template\":"
	    "\"{{ src.value.nope }}\"}},"
	    "{\"id\":\"after\",\"type\":\"transform\",\"config\":{\"template\":"
	    "\"x\"}}],\"edges\":[{\"source\":\"src\",\"target\":\"bad\"},"
	    "{\"source\":\"bad\",\"target\":\"after\"}]}");
	ck_assert_int_eq(run("exec-r2", &o), ODS_OK);
	ck_assert_str_eq(o.status, "failed");
	ck_assert_ptr_nonnull(strstr(o.error, "node 'bad' failed: "));
	ck_assert_str_eq(STATUS("exec-r2"), "failed");
	ck_assert_str_eq(NODES("exec-r2"), "bad:error:1,src:success:1");
}
END_TEST

START_TEST(test_wf_run_switch_loop_merge)
{
	struct ods_wf_outcome	o;

	mkexec("exec-s1", "{\"version\":\"1.0\",\"nodes\":["
	    "{\"id\":\"src\",\"type\":\"input\",\"config\":{\"key\":"
	    "\"query\"}},"
	    "{\"id\":\"sw\",\"type\":\"switch\",\"config\":{\"expression\":"
	    "\"src.value\",\"cases\":[\"a\",\"b\"]}},"
	    "{\"id\":\"ta\",\"type\":\"transform\",\"config\":{\"template\":"
	    "\"A\"}},"
	    "{\"id\":\"tb\",\"type\":\"transform\",\"config\":{\"template\":"
	    "\"B\"}},"
	    "{\"id\":\"td\",\"type\":\"transform\",\"config\":{\"template\":"
	    "\"D\"}},"
	    "{\"id\":\"lp\",\"type\":\"loop\",\"config\":{\"over\":"
	    "\"inputs.items\",\"template\":\"{{ item * 2 }}@{{ index }}\"}},"
	    "{\"id\":\"m\",\"type\":\"merge\",\"config\":{\"mode\":\"list\"}},"
	    "{\"id\":\"out\",\"type\":\"output\"}],"
	    "\"edges\":[{\"source\":\"src\",\"target\":\"sw\"},"
	    "{\"source\":\"sw\",\"target\":\"ta\",\"branch\":\"a\"},"
	    "{\"source\":\"sw\",\"target\":\"tb\",\"branch\":\"b\"},"
	    "{\"source\":\"sw\",\"target\":\"td\",\"branch\":\"default\"},"
	    "{\"source\":\"tb\",\"target\":\"lp\"},"
	    "{\"source\":\"ta\",\"target\":\"m\"},"
	    "{\"source\":\"lp\",\"target\":\"m\"},"
	    "{\"source\":\"td\",\"target\":\"m\"},"
	    "{\"source\":\"m\",\"target\":\"out\"}]}");
	ck_assert_int_eq(run("exec-s1", &o), ODS_OK);
	ck_assert_msg(strcmp(o.status, "completed") == 0, "%s: %s", o.status,
	    o.error);
	ck_assert_str_eq(NODES("exec-s1"), "lp:success:1,m:success:1,"
	    "out:success:1,src:success:1,sw:success:1,ta:skipped:0,"
	    "tb:success:1,td:skipped:0");
	ck_assert_str_eq(cell("SELECT output FROM workflow_node_runs WHERE "
	    "execution_id = ? AND node_id = 'lp'", "exec-s1"),
	    "{\"items\":[\"2@0\",\"4@1\",\"6@2\"],\"count\":3}");
	ck_assert_str_eq(cell("SELECT JSON_EXTRACT(outputs, '$.out.output') "
	    "FROM workflow_executions WHERE execution_id = ?", "exec-s1"),
	    "{\"merged\": [{\"items\": [\"2@0\", \"4@1\", \"6@2\"], "
	    "\"count\": 3}]}");
	ck_assert_str_eq(cell("SELECT JSON_VALUE(node_results, "
	    "'$.ta.status') FROM workflow_executions WHERE execution_id = ?",
	    "exec-s1"), "skipped");
	/* A list longer than max_iterations is the loop's error. */
	mkexec("exec-s2", "{\"version\":\"1.0\",\"nodes\":["
	    "{\"id\":\"src\",\"type\":\"input\"},"
	    "{\"id\":\"lp\",\"type\":\"loop\",\"config\":{\"over\":"
	    "\"inputs.items\",\"expression\":\"item\",\"max_iterations\":2}}],"
	    "\"edges\":[{\"source\":\"src\",\"target\":\"lp\"}]}");
	ck_assert_int_eq(run("exec-s2", &o), ODS_OK);
	ck_assert_str_eq(o.status, "failed");
	ck_assert_ptr_nonnull(strstr(o.error, "3 items, more than "
	    "max_iterations (2)"));
}
END_TEST

START_TEST(test_wf_run_resumes_from_recorded_outcomes)
{
	struct ods_wf_outcome	o;

	mkexec("exec-m1", "{\"version\":\"1.0\",\"nodes\":["
	    "{\"id\":\"src\",\"type\":\"input\"},"
	    "{\"id\":\"n1\",\"type\":\"transform\",\"config\":{\"template\":"
	    "\"fresh\"}},"
	    "{\"id\":\"n2\",\"type\":\"transform\",\"config\":{\"template\":"
	    "\"{{ n1.result }}+n2\"}}],"
	    "\"edges\":[{\"source\":\"src\",\"target\":\"n1\"},"
	    "{\"source\":\"n1\",\"target\":\"n2\"}]}");
	ck_assert_int_eq(ods_test_sql(dsn, scratch, "INSERT INTO "
	    "workflow_node_runs (execution_id, node_id, node_type, status, "
	    "attempts, output) VALUES ('exec-m1', 'src', 'input', 'success', "
	    "1, '{\"value\":\"b\"}'), ('exec-m1', 'n1', 'transform', "
	    "'success', 1, '{\"result\":\"recorded\"}')"), 0);
	ck_assert_int_eq(ods_test_sql(dsn, scratch, "UPDATE "
	    "workflow_executions SET status = 'running', started_at = "
	    "NOW(3) WHERE execution_id = 'exec-m1'"), 0);
	ck_assert_int_eq(run("exec-m1", &o), ODS_OK);
	ck_assert_str_eq(o.status, "completed");
	ck_assert_uint_eq(o.resumed, 2);
	ck_assert_uint_eq(o.nodes, 1);
	ck_assert_str_eq(cell("SELECT JSON_VALUE(output, '$.result') FROM "
	    "workflow_node_runs WHERE execution_id = ? AND node_id = 'n2'",
	    "exec-m1"), "recorded+n2");
	ck_assert_str_eq(cell("SELECT COUNT(*) FROM execution_logs WHERE "
	    "execution_id = ? AND node_id = 'n1'", "exec-m1"), "0");
}
END_TEST

START_TEST(test_wf_run_stops_and_gives_back)
{
	struct ods_wf_outcome	o;
	const char		*def = "{\"version\":\"1.0\",\"nodes\":["
	    "{\"id\":\"src\",\"type\":\"input\"},"
	    "{\"id\":\"slow\",\"type\":\"transform\",\"config\":{\"template\":"
	    "\"x\",\"delay_ms\":20000}}],"
	    "\"edges\":[{\"source\":\"src\",\"target\":\"slow\"}]}";
	int64_t			 t0;

	/* A cancel: stopped, within a step of the scheduler. */
	mkexec("exec-c1", def);
	t0 = ods_now_ms();
	stop_at = t0 + 300;
	ck_assert_int_eq(run("exec-c1", &o), ODS_OK);
	ck_assert_int_lt(ods_now_ms() - t0, 1500);
	ck_assert_str_eq(o.status, "stopped");
	ck_assert_str_eq(STATUS("exec-c1"), "stopped");
	ck_assert_str_eq(NODES("exec-c1"), "src:success:1");
	/* A shutdown: the row stays running for the next attempt. */
	mkexec("exec-c2", def);
	is_cancel = 0;
	stop_at = ods_now_ms() + 300;
	ck_assert_int_eq(run("exec-c2", &o), ODS_ETIMEOUT);
	ck_assert_str_eq(STATUS("exec-c2"), "running");
	ck_assert_str_eq(NODES("exec-c2"), "src:success:1");
	/* A row stopped before the job ran: nothing runs. */
	mkexec("exec-c3", def);
	ck_assert_int_eq(ods_test_sql(dsn, scratch, "UPDATE "
	    "workflow_executions SET status = 'stopped' WHERE execution_id "
	    "= 'exec-c3'"), 0);
	stop_at = 0;
	ck_assert_int_eq(run("exec-c3", &o), ODS_OK);
	ck_assert_str_eq(o.status, "stopped");
	ck_assert_str_eq(NODES("exec-c3"), "");
	ck_assert_int_eq(run("exec-none", &o), ODS_ENOTFOUND);
}
END_TEST

START_TEST(test_wf_run_refuses_a_bad_snapshot)
{
	struct ods_wf_outcome	o;

	mkexec("exec-b1", "{\"version\":\"2\"}");
	ck_assert_int_eq(run("exec-b1", &o), ODS_OK);
	ck_assert_str_eq(o.status, "failed");
	ck_assert_str_eq(STATUS("exec-b1"), "failed");
	ck_assert_ptr_nonnull(strstr(cell("SELECT error FROM "
	    "workflow_executions WHERE execution_id = ?", "exec-b1"),
	    "invalid definition: [\"version must be"));
	/* No definition: the built-in RAG graph; no index here. */
	ck_assert_int_eq(ods_test_sql(dsn, scratch, "INSERT INTO "
	    "workflow_executions (execution_id, workflow_id, status, inputs) "
	    "VALUES ('exec-b2', 'wf-t', 'pending', '{\"query\":\"q\"}')"), 0);
	ck_assert_int_eq(run("exec-b2", &o), ODS_OK);
	ck_assert_str_eq(o.status, "failed");
	ck_assert_ptr_nonnull(strstr(o.error, "node 'retriever' failed: "
	    "retrieval is not available"));
}
END_TEST

START_TEST(test_wf_run_calls_tools)
{
	struct ods_wf_outcome	o;

	mkexec("exec-t1", "{\"version\":\"1.0\",\"nodes\":["
	    "{\"id\":\"src\",\"type\":\"input\"},"
	    "{\"id\":\"calc\",\"type\":\"tool_call\",\"config\":{\"tool\":"
	    "\"calculator\",\"args\":{\"expression\":"
	    "\"{{ len(inputs.items) }} * 14\"}}},"
	    "{\"id\":\"nope\",\"type\":\"tool_call\",\"config\":{\"tool\":"
	    "\"no_such_tool\",\"continue_on_error\":true}}],"
	    "\"edges\":[{\"source\":\"src\",\"target\":\"calc\"},"
	    "{\"source\":\"src\",\"target\":\"nope\"}]}");
	ck_assert_int_eq(run("exec-t1", &o), ODS_OK);
	ck_assert_str_eq(o.status, "completed");
	ck_assert_str_eq(cell("SELECT JSON_VALUE(output, '$.result.result') "
	    "FROM workflow_node_runs WHERE execution_id = ? AND node_id = "
	    "'calc'", "exec-t1"), "42");
	ck_assert_ptr_nonnull(strstr(cell("SELECT error FROM "
	    "workflow_node_runs WHERE execution_id = ? AND node_id = 'nope'",
	    "exec-t1"), "no_such_tool: "));
}
END_TEST

START_TEST(test_wf_check_tools_knows_user_tools)
{
	struct ods_buf	errs;
	const char	*def = "{\"version\":\"1.0\",\"nodes\":["
	    "{\"id\":\"src\",\"type\":\"input\"},"
	    "{\"id\":\"a\",\"type\":\"tool_call\",\"config\":{\"tool\":"
	    "\"calculator\"}},"
	    "{\"id\":\"b\",\"type\":\"tool_call\",\"config\":{\"tool\":"
	    "\"weather\"}}],\"edges\":[{\"source\":\"src\",\"target\":"
	    "\"a\"},{\"source\":\"src\",\"target\":\"b\"}]}";

	ods_buf_init(&errs, 65536);
	ck_assert_int_eq(ods_wf_check_tools(db, def, strlen(def), &errs),
	    ODS_EINVAL);
	ck_assert_str_eq(errs.data, "[\"node 'b' (tool_call): config.tool "
	    "names no built-in or enabled user tool\"]");
	ck_assert_int_eq(ods_test_sql(dsn, scratch, "INSERT INTO tools "
	    "(tool_id, name, tool_type, enabled, parameters, config) VALUES "
	    "('tool-w', 'weather', 'http', 1, '{}', '{}')"), 0);
	ck_assert_int_eq(ods_wf_check_tools(db, def, strlen(def), &errs),
	    ODS_OK);
	ck_assert_str_eq(errs.data, "[]");
	ods_buf_free(&errs);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("wf_run");
	TCase	*tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_wf_run_retries_and_continues_on_error);
	tcase_add_test(tc, test_wf_run_switch_loop_merge);
	tcase_add_test(tc, test_wf_run_resumes_from_recorded_outcomes);
	tcase_add_test(tc, test_wf_run_stops_and_gives_back);
	tcase_add_test(tc, test_wf_run_refuses_a_bad_snapshot);
	tcase_add_test(tc, test_wf_run_calls_tools);
	tcase_add_test(tc, test_wf_check_tools_knows_user_tools);
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
	ods_check_log("check_wf_run");
	if (ods_test_scratch_create(dsn, 'w', scratch, sizeof(scratch)) < 0) {
		fprintf(stderr, "check_wf_run: no scratch database\n");
		return 1;
	}
	return 0;
}

const struct ods_check ods_check_program = {
	.suite = suite, .setup = start, .teardown = stop,
};
