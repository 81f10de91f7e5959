/*
 * tests/check_wf.c — the workflow engine without a server: validation of
 * definitions (svc/agent/wf_def.c), every rule with its message, the
 * order of the graph and the built-in RAG definition.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_err.h"
#include "core/ods_json.h"
#include "core/ods_mem.h"
#include "../svc/agent/wf.h"
#include "ods_check.h"

static struct ods_buf	errs;

/* Validate s; ODS_EINVAL expected, and a message containing want. */
static void
refused(const char *s, const char *want)
{
	enum ods_err	er;

	ods_buf_init(&errs, 1 << 20);
	er = ods_wf_validate(s, strlen(s), &errs);
	ck_assert_msg(er == ODS_EINVAL, "accepted: %.600s", s);
	ck_assert_ptr_nonnull(errs.data);
	ck_assert_msg(strstr(errs.data, want) != NULL,
	    "'%s' not in %.600s", want, errs.data);
	ods_buf_free(&errs);
}

static void
valid(const char *s)
{
	enum ods_err	er;

	ods_buf_init(&errs, 1 << 20);
	er = ods_wf_validate(s, strlen(s), &errs);
	ck_assert_msg(er == ODS_OK, "refused %.300s: %.600s", s,
	    errs.data ? errs.data : "");
	ods_buf_free(&errs);
}

#define IN	"{\"id\":\"src\",\"type\":\"input\"}"
#define DEF(nodes, edges) \
	"{\"version\":\"1.0\",\"nodes\":[" IN nodes "],\"edges\":[" edges "]}"
#define E(a, b)	"{\"source\":\"" a "\",\"target\":\"" b "\"}"

START_TEST(test_wf_builtin_rag_is_valid)
{
	struct ods_wf_def	*d = NULL;
	const char		*s = ods_wf_builtin_rag();

	ck_assert_int_eq(ods_wf_def_parse(s, strlen(s), &d, NULL), ODS_OK);
	ck_assert_uint_eq(d->nnodes, 4);
	ck_assert_uint_eq(d->nedges, 3);
	ck_assert_str_eq(d->nodes[d->order[0]].id, "input");
	ck_assert_str_eq(d->nodes[d->order[1]].id, "retriever");
	ck_assert_str_eq(d->nodes[d->order[2]].id, "llm");
	ck_assert_str_eq(d->nodes[d->order[3]].id, "output");
	ck_assert_int_eq(d->nodes[1].type, ODS_WF_RETRIEVER);
	ck_assert_int_eq(d->nodes[1].timeout_ms, ODS_WF_TIMEOUT_MS);
	ck_assert_int_eq(ods_wf_def_find(d, "llm", 3), 2);
	ck_assert_int_eq(ods_wf_def_find(d, "llmx", 3), 2);
	ck_assert_int_eq(ods_wf_def_find(d, "ll", 2), -1);
	ck_assert_int_eq(ods_wf_def_find(d, "zzz", 3), -1);
	ods_wf_def_free(d);
}
END_TEST

START_TEST(test_wf_refuses_bad_documents)
{
	refused("", "definition: ");
	refused("[1]", "must be a JSON object");
	refused("{\"version\":\"2.0\",\"nodes\":[" IN "]}",
	    "version must be \\\"1.0\\\"");
	refused("{\"nodes\":[" IN "]}", "version must be");
	refused("{\"version\":\"1.0\",\"nodes\":[]}",
	    "nodes must be a non-empty array");
	refused("{\"version\":\"1.0\"}", "nodes must be a non-empty array");
	refused("{\"version\":\"1.0\",\"nodes\":[" IN "],\"edges\":{}}",
	    "edges must be an array");
	refused("{\"version\":\"1.0\",\"nodes\":[{\"id\":\"t\",\"type\":"
	    "\"transform\",\"config\":{\"template\":\"x\"}}]}",
	    "at least one node of type input is required");
}
END_TEST

START_TEST(test_wf_refuses_bad_nodes)
{
	refused(DEF(",1", ""), "nodes[1] must be an object");
	refused(DEF(",{\"id\":\"a b\",\"type\":\"merge\"}", E("src", "a b")),
	    "nodes[1]: id must be 1..64 characters of [A-Za-z0-9_-]");
	refused(DEF(",{\"type\":\"merge\"}", ""),
	    "nodes[1]: id must be");
	refused(DEF(",{\"id\":\"src\",\"type\":\"merge\"}", ""),
	    "node id 'src' is used more than once");
	refused(DEF(",{\"id\":\"x\",\"type\":\"think\"}", E("src", "x")),
	    "node 'x': unknown type 'think'");
	refused(DEF(",{\"id\":\"x\",\"type\":\"merge\",\"config\":[]}",
	    E("src", "x")), "node 'x': config must be an object");
	refused(DEF(",{\"id\":\"x\",\"type\":\"merge\",\"name\":5}",
	    E("src", "x")), "node 'x': name must be a string");
	refused(DEF(",{\"id\":\"x\",\"type\":\"merge\"}", ""),
	    "node 'x' is not connected to any edge");
}
END_TEST

START_TEST(test_wf_refuses_bad_edges)
{
	refused(DEF(",{\"id\":\"x\",\"type\":\"merge\"}", E("src", "y")),
	    "edges[0]: target 'y' is not a node");
	refused(DEF(",{\"id\":\"x\",\"type\":\"merge\"}",
	    "{\"target\":\"x\"}"), "edges[0]: source is required");
	refused(DEF(",{\"id\":\"x\",\"type\":\"merge\"}", "3"),
	    "edges[0] must be an object");
	refused(DEF(",{\"id\":\"x\",\"type\":\"merge\"}", E("x", "src")),
	    "edges[0]: target 'src' is an input node");
	refused(DEF(",{\"id\":\"x\",\"type\":\"merge\"}",
	    "{\"source\":\"src\",\"target\":\"x\",\"condition\":\"true\"}"),
	    "edges[0]: a condition on an edge from 'src', which is not a "
	    "condition node");
	refused(DEF(",{\"id\":\"c\",\"type\":\"condition\",\"config\":"
	    "{\"expression\":\"1\"}},{\"id\":\"x\",\"type\":\"merge\"}",
	    E("src", "c") ",{\"source\":\"c\",\"target\":\"x\",\"condition\":"
	    "\"maybe\"}"), "edges[1]: condition must be \\\"true\\\" or");
	refused(DEF(",{\"id\":\"x\",\"type\":\"merge\"}",
	    "{\"source\":\"src\",\"target\":\"x\",\"branch\":\"a\"}"),
	    "edges[0]: a branch on an edge from 'src', which is not a switch");
	refused(DEF(",{\"id\":\"s\",\"type\":\"switch\",\"config\":"
	    "{\"expression\":\"1\",\"cases\":[\"a\"]}},{\"id\":\"x\","
	    "\"type\":\"merge\"}", E("src", "s") ",{\"source\":\"s\","
	    "\"target\":\"x\",\"branch\":\"b\"}"),
	    "edges[1]: branch 'b' is not one of the cases of 's'");
}
END_TEST

START_TEST(test_wf_names_the_cycle)
{
	refused(DEF(",{\"id\":\"a\",\"type\":\"merge\"},{\"id\":\"b\","
	    "\"type\":\"merge\"},{\"id\":\"c\",\"type\":\"merge\"}",
	    E("src", "a") "," E("a", "b") "," E("b", "c") "," E("c", "a")),
	    "cycle: ");
	refused(DEF(",{\"id\":\"a\",\"type\":\"merge\"}",
	    E("src", "a") "," E("a", "a")), "cycle: a <- a");
	/* Two disjoint cycles, two messages; the downstream node is not one. */
	ods_buf_init(&errs, 1 << 20);
	{
		const char *s = DEF(",{\"id\":\"a\",\"type\":\"merge\"},"
		    "{\"id\":\"b\",\"type\":\"merge\"},{\"id\":\"c\",\"type\":"
		    "\"merge\"},{\"id\":\"d\",\"type\":\"merge\"},{\"id\":"
		    "\"z\",\"type\":\"merge\"}",
		    E("src", "a") "," E("a", "b") "," E("b", "a") ","
		    E("src", "c") "," E("c", "d") "," E("d", "c") ","
		    E("d", "z"));

		ck_assert_int_eq(ods_wf_validate(s, strlen(s), &errs),
		    ODS_EINVAL);
		ck_assert_ptr_nonnull(strstr(errs.data, "cycle: a <- b <- a"));
		ck_assert_ptr_nonnull(strstr(errs.data, "cycle: c <- d <- c"));
		ck_assert_ptr_null(strstr(errs.data, "z <-"));
	}
	ods_buf_free(&errs);
}
END_TEST

START_TEST(test_wf_requires_each_types_config)
{
#define ONE(type, cfg) DEF(",{\"id\":\"x\",\"type\":\"" type "\"," \
	"\"config\":" cfg "}", E("src", "x"))
	refused(ONE("llm", "{}"),
	    "node 'x' (llm): config.prompt or config.input_from is required");
	refused(ONE("llm", "{\"input_from\":\"nope.output\"}"),
	    "node 'x' (llm): config.input_from refers to 'nope', which is not "
	    "a node");
	refused(ONE("llm", "{\"prompt\":\"{{ src.value\"}"),
	    "node 'x' (llm): config.prompt: ");
	refused(ONE("llm", "{\"prompt\":\"a\",\"temperature\":3}"),
	    "config.temperature must be a number in 0..2");
	refused(ONE("retriever", "{}"), "node 'x' (retriever): "
	    "config.knowledge_base_id or config.collection is required");
	refused(ONE("retriever", "{\"collection\":\"c\",\"top_k\":0}"),
	    "config.top_k must be an integer in 1..50");
	refused(ONE("condition", "{}"),
	    "node 'x' (condition): config.expression is required");
	refused(ONE("condition", "{\"expression\":\"1 +\"}"),
	    "node 'x' (condition): config.expression: at ");
	refused(ONE("transform", "{\"template\":\"{{ eval(1) }}\"}"),
	    "node 'x' (transform): config.template: ");
	refused(ONE("switch", "{\"expression\":\"1\"}"),
	    "node 'x' (switch): config.cases must be an array");
	refused(ONE("switch", "{\"cases\":[\"a\"]}"),
	    "node 'x' (switch): config.expression is required");
	refused(ONE("switch", "{\"expression\":\"1\",\"cases\":[1]}"),
	    "config.cases must hold strings");
	refused(ONE("loop", "{\"template\":\"x\"}"),
	    "node 'x' (loop): config.over (a reference to a list) is "
	    "required");
	refused(ONE("loop", "{\"over\":\"src.value\"}"),
	    "config.template or config.expression is required");
	refused(ONE("loop", "{\"over\":\"src.value\",\"template\":\"a\","
	    "\"max_iterations\":1001}"),
	    "config.max_iterations must be an integer in 1..1000");
	refused(ONE("merge", "{\"mode\":\"set\"}"),
	    "config.mode must be \\\"object\\\" or \\\"list\\\"");
	refused(ONE("transform", "{}"), "node 'x' (transform): "
	    "config.template, config.mapping or config.pick is required");
	refused(ONE("transform", "{\"mapping\":3}"),
	    "config.mapping must be an object");
	refused(ONE("http", "{}"), "node 'x' (http): config.url is required");
	refused(ONE("http", "{\"url\":\"http://a\",\"method\":\"PUT\"}"),
	    "config.method must be GET or POST");
	refused(ONE("database", "{}"),
	    "node 'x' (database): config.source_id is required");
	refused(ONE("database", "{\"source_id\":\"s\"}"),
	    "node 'x' (database): config.sql is required");
	refused(ONE("tool_call", "{}"),
	    "node 'x' (tool_call): config.tool (a tool's name) is required");
	refused(ONE("tool_call", "{\"tool\":\"no such\"}"),
	    "config.tool is not a tool's name");
	refused(ONE("tool_call", "{\"tool\":\"calculator\",\"args\":1}"),
	    "config.args must be an object");
	refused(ONE("agent", "{}"),
	    "node 'x' (agent): config.query or config.input_from is required");
	refused(ONE("agent", "{\"query\":\"q\",\"agent_type\":\"x\"}"),
	    "config.agent_type must be function_calling, react or");
	refused(ONE("input", "{\"key\":5}"),
	    "config.key must be a string");
	refused(ONE("output", "{\"input_from\":\"zz\"}"),
	    "config.input_from refers to 'zz'");
	/* The common config. */
	refused(ONE("merge", "{\"timeout_ms\":0}"),
	    "config.timeout_ms must be an integer in 1..3600000");
	refused(ONE("merge", "{\"retries\":6}"),
	    "config.retries must be an integer in 0..5");
	refused(ONE("merge", "{\"delay_ms\":60001}"),
	    "config.delay_ms must be an integer in 0..60000");
	refused(ONE("merge", "{\"continue_on_error\":\"yes\"}"),
	    "config.continue_on_error must be a boolean");
	valid(ONE("tool_call", "{\"tool\":\"calculator\",\"args\":"
	    "{\"expression\":\"1+1\"}}"));
	valid(ONE("tool_call", "{\"tool\":\"my_user_tool\"}"));
	valid(ONE("http", "{\"url\":\"http://x/{{ src.value }}\","
	    "\"method\":\"POST\",\"retries\":2,\"timeout_ms\":5000}"));
	valid(ONE("transform", "{\"mapping\":{\"a\":\"{{ src.value }}\"},"
	    "\"delay_ms\":10,\"continue_on_error\":true}"));
	valid(ONE("loop", "{\"over\":\"inputs.items\",\"template\":"
	    "\"{{ item }}\"}"));
#undef ONE
}
END_TEST

START_TEST(test_wf_collects_every_problem)
{
	const char	*s = "{\"version\":\"0\",\"nodes\":[{\"id\":\"a\","
	    "\"type\":\"llm\"},{\"id\":\"b\",\"type\":\"nope\"}],\"edges\":"
	    "[{\"source\":\"a\",\"target\":\"c\"}]}";
	struct json_object	*arr = NULL;
	struct ods_why		 why;

	ods_buf_init(&errs, 1 << 20);
	ck_assert_int_eq(ods_wf_validate(s, strlen(s), &errs), ODS_EINVAL);
	ck_assert_int_eq(ods_json_parse(errs.data, errs.len, 0, &arr, &why),
	    ODS_OK);
	/* version, b's type, the edge, a unconnected, no input, a's config. */
	ck_assert_uint_eq(ods_json_arr_len(arr), 6);
	ods_json_put(arr);
	ods_buf_free(&errs);
}
END_TEST

#define ADDF(b, ...) \
	ck_assert_int_eq(ods_buf_addf((b), __VA_ARGS__), ODS_OK)

START_TEST(test_wf_bounds_size_nodes_and_messages)
{
	struct ods_buf	b;
	char		*big;
	size_t		i;

	ods_buf_init(&b, 16 << 20);
	ADDF(&b, "{\"version\":\"1.0\",\"nodes\":[" IN);
	for (i = 0; i < ODS_WF_MAX_NODES; i++)
		ADDF(&b, ",{\"id\":\"n%zu\",\"type\":\"merge\"}",
		    i);
	ADDF(&b, "]}");
	refused(b.data, "at most 2000 nodes (2001 given)");
	ods_buf_reset(&b);
	/* 150 bad nodes: 100 messages and a count of the rest. */
	ADDF(&b, "{\"version\":\"1.0\",\"nodes\":[" IN);
	for (i = 0; i < 150; i++)
		ADDF(&b, ",{\"id\":\"n%zu\",\"type\":\"x\"}", i);
	ADDF(&b, "]}");
	refused(b.data, "... and 50 more problems");
	ods_buf_reset(&b);
	big = malloc(ODS_WF_MAX_DEF + 3);
	memset(big, 'a', ODS_WF_MAX_DEF + 2);
	big[0] = big[ODS_WF_MAX_DEF + 1] = '"';
	big[ODS_WF_MAX_DEF + 2] = '\0';
	ods_buf_init(&errs, 4096);
	ck_assert_int_eq(ods_wf_validate(big, ODS_WF_MAX_DEF + 2, &errs),
	    ODS_ETOOBIG);
	free(big);
	ck_assert_ptr_nonnull(strstr(errs.data, "larger than"));
	ods_buf_free(&errs);
	ods_buf_free(&b);
}
END_TEST

START_TEST(test_wf_orders_a_diamond)
{
	const char	*s = DEF(",{\"id\":\"a\",\"type\":\"merge\"},"
	    "{\"id\":\"b\",\"type\":\"merge\"},{\"id\":\"c\",\"type\":"
	    "\"merge\"}", E("src", "a") "," E("src", "b") "," E("a", "c") ","
	    E("b", "c"));
	struct ods_wf_def	*d = NULL;
	size_t			 pos[4], i;

	ck_assert_int_eq(ods_wf_def_parse(s, strlen(s), &d, NULL), ODS_OK);
	for (i = 0; i < d->nnodes; i++)
		pos[d->order[i]] = i;
	ck_assert_uint_lt(pos[0], pos[1]);
	ck_assert_uint_lt(pos[1], pos[3]);
	ck_assert_uint_lt(pos[2], pos[3]);
	ck_assert_uint_eq(d->nodes[3].nin, 2);
	ck_assert_uint_eq(d->nodes[0].nout, 2);
	ods_wf_def_free(d);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("wf");
	TCase	*tc = tcase_create("def");

	tcase_add_test(tc, test_wf_builtin_rag_is_valid);
	tcase_add_test(tc, test_wf_refuses_bad_documents);
	tcase_add_test(tc, test_wf_refuses_bad_nodes);
	tcase_add_test(tc, test_wf_refuses_bad_edges);
	tcase_add_test(tc, test_wf_names_the_cycle);
	tcase_add_test(tc, test_wf_requires_each_types_config);
	tcase_add_test(tc, test_wf_collects_every_problem);
	tcase_add_test(tc, test_wf_bounds_size_nodes_and_messages);
	tcase_add_test(tc, test_wf_orders_a_diamond);
	suite_add_tcase(s, tc);
	return s;
}

const struct ods_check ods_check_program = { .suite = suite };
