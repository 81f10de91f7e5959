/*
 * svc/agent/tool.c — the registry of built-in tools (tool.h): their
 * descriptors and schemas, the argument check before every run, the
 * calculator and vector_search. datetime is in tool_time.c, http_request
 * in tool_http.c.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "core/ods_conf.h"
#include "core/ods_err.h"
#include "core/ods_json.h"
#include "agent_int.h"
#include "calc.h"
#include "kb.h"
#include "rag.h"
#include "tool.h"

typedef enum ods_err (*tool_fn)(const struct ods_tool_ctx *,
    struct json_object *, struct ods_jw *, struct ods_why *);

struct ods_tool {
	const char	*name;
	const char	*display;
	const char	*category;
	const char	*description;
	const char	*params;	/* JSON Schema */
	tool_fn		 run;
};

static enum ods_err	run_calc(const struct ods_tool_ctx *,
			    struct json_object *, struct ods_jw *,
			    struct ods_why *);
static enum ods_err	run_search(const struct ods_tool_ctx *,
			    struct json_object *, struct ods_jw *,
			    struct ods_why *);

static const struct ods_tool tools[] = {
	{ "calculator", "Calculator", "utility",
	    "Evaluate an arithmetic expression: + - * / % ^, parentheses, "
	    "sqrt, abs, round, min, max, log, exp, pi, e.",
	    "{\"type\":\"object\",\"properties\":{\"expression\":{\"type\":"
	    "\"string\",\"description\":\"for example (2+3)*4\","
	    "\"maxLength\":4096}},\"required\":[\"expression\"]}",
	    run_calc },
	{ "datetime", "Date and time", "utility",
	    "The current date and time in a time zone, date arithmetic "
	    "(add days, hours, minutes), the difference between two dates, "
	    "formatting.",
	    "{\"type\":\"object\",\"properties\":{\"operation\":{\"type\":"
	    "\"string\",\"enum\":[\"now\",\"add\",\"diff\",\"format\"]},"
	    "\"timezone\":{\"type\":\"string\",\"maxLength\":64},"
	    "\"date\":{\"type\":\"string\",\"maxLength\":40,\"description\":"
	    "\"YYYY-MM-DD[THH:MM[:SS]][Z]\"},\"date2\":{\"type\":\"string\","
	    "\"maxLength\":40},\"days\":{\"type\":\"integer\",\"minimum\":"
	    "-1000000,\"maximum\":1000000},\"hours\":{\"type\":\"integer\","
	    "\"minimum\":-10000000,\"maximum\":10000000},\"minutes\":{\"type\":"
	    "\"integer\",\"minimum\":-100000000,\"maximum\":100000000},"
	    "\"format\":{\"type\":\"string\",\"maxLength\":64}},"
	    "\"required\":[\"operation\"]}",
	    odsi_tool_datetime },
	{ "http_request", "HTTP request", "integration",
	    "GET or POST a URL on an allowed host; returns status, content "
	    "type and body (text, truncated).",
	    "{\"type\":\"object\",\"properties\":{\"url\":{\"type\":"
	    "\"string\",\"maxLength\":2048},\"method\":{\"type\":\"string\","
	    "\"enum\":[\"GET\",\"POST\"]},\"body\":{\"type\":\"string\","
	    "\"maxLength\":65536},\"headers\":{\"type\":\"object\"}},"
	    "\"required\":[\"url\"]}",
	    odsi_tool_http },
	{ "vector_search", "Knowledge base search", "knowledge",
	    "Search a knowledge base the caller can read for passages "
	    "relevant to a query.",
	    "{\"type\":\"object\",\"properties\":{\"query\":{\"type\":"
	    "\"string\",\"maxLength\":2000},\"knowledge_base_id\":{\"type\":"
	    "\"string\",\"maxLength\":64},\"collection\":{\"type\":\"string\","
	    "\"maxLength\":128},\"top_k\":{\"type\":\"integer\",\"minimum\":1,"
	    "\"maximum\":50}},\"required\":[\"query\"]}",
	    run_search },
	{ "sql_query", "SQL query", "data",
	    "Run one read-only SQL statement (SELECT, WITH, EXPLAIN, SHOW) on "
	    "a data source the caller can read; returns columns and rows "
	    "(at most limit).",
	    "{\"type\":\"object\",\"properties\":{\"source_id\":{\"type\":"
	    "\"string\",\"maxLength\":64},\"sql\":{\"type\":\"string\","
	    "\"maxLength\":65536},\"limit\":{\"type\":\"integer\","
	    "\"minimum\":1,\"maximum\":100}},\"required\":[\"source_id\","
	    "\"sql\"]}",
	    odsi_tool_sql },
	{ "text_to_sql", "Text to SQL", "data",
	    "Write a read-only SQL query answering a question about a data "
	    "source (its scanned catalog as context), checked and validated; "
	    "with execute, its rows.",
	    "{\"type\":\"object\",\"properties\":{\"question\":{\"type\":"
	    "\"string\",\"maxLength\":1000},\"source_id\":{\"type\":"
	    "\"string\",\"maxLength\":64},\"execute\":{\"type\":"
	    "\"boolean\"}},\"required\":[\"question\",\"source_id\"]}",
	    odsi_tool_t2s },
};

#define NTOOLS	(sizeof(tools) / sizeof(tools[0]))

const struct ods_tool *
ods_tool_find(const char *name)
{
	size_t	i;

	for (i = 0; name != NULL && i < NTOOLS; i++)
		if (strcmp(tools[i].name, name) == 0)
			return &tools[i];
	return NULL;
}

const char *
ods_tool_name(const struct ods_tool *t)
{
	return t->name;
}

size_t
ods_tool_count(void)
{
	return NTOOLS;
}

const struct ods_tool *
ods_tool_at(size_t i)
{
	return i < NTOOLS ? &tools[i] : NULL;
}

const char *
ods_tool_description(const struct ods_tool *t)
{
	return t->description;
}

const char *
ods_tool_params(const struct ods_tool *t)
{
	return t->params;
}

void
ods_tool_json(struct ods_jw *jw, const struct ods_tool *t)
{
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "tool_id", t->name);
	ods_jw_kstr(jw, "name", t->name);
	ods_jw_kstr(jw, "display_name", t->display);
	ods_jw_kstr(jw, "description", t->description);
	ods_jw_kstr(jw, "category", t->category);
	ods_jw_kstr(jw, "tool_type", "builtin");
	ods_jw_key(jw, "parameters");
	ods_jw_raw(jw, t->params, strlen(t->params));
	ods_jw_kbool(jw, "enabled", 1);
	ods_jw_end(jw);
}

size_t
ods_tool_list_json(struct ods_jw *jw, const char *category)
{
	size_t	i, n = 0;

	for (i = 0; i < NTOOLS; i++) {
		if (category != NULL && *category != '\0' &&
		    strcmp(category, tools[i].category) != 0)
			continue;
		ods_tool_json(jw, &tools[i]);
		n++;
	}
	return n;
}

enum ods_err
ods_tool_run(const struct ods_tool_ctx *ctx, const struct ods_tool *t,
    struct json_object *args, struct ods_jw *jw, struct ods_why *why)
{
	struct json_object	*schema = NULL;
	struct ods_tool_ctx	 c = *ctx;
	enum ods_err		 er;

	if (c.timeout_ms <= 0)
		c.timeout_ms = c.conf != NULL ? c.conf->tool_timeout_ms : 10000;
	er = ods_json_parse(t->params, strlen(t->params), 0, &schema, why);
	if (er != ODS_OK)
		return ODS_EINTERNAL;
	er = ods_tool_check(schema, args, why);
	ods_json_put(schema);
	if (er != ODS_OK)
		return er;
	return t->run(&c, args, jw, why);
}

enum ods_err
ods_tool_run_text(const struct ods_tool_ctx *ctx, const char *name,
    const char *args, size_t len, struct ods_jw *jw, struct ods_why *why)
{
	const struct ods_tool	*t;
	struct json_object	*o = NULL;
	enum ods_err		 er;

	if (len > 0 && (er = ods_json_parse(args, len, 0, &o, why)) != ODS_OK)
		return er;
	if ((t = ods_tool_find(name)) != NULL)
		er = ods_tool_run(ctx, t, o, jw, why);
	else if ((er = ods_tool_user_run(ctx, name, o, jw, why)) ==
	    ODS_ENOTFOUND && why != NULL && why->msg[0] == '\0')
		ods_why_set(why, "name", "no tool named '%.64s'", name);
	ods_json_put(o);
	return er;
}

/* ---- calculator ---- */

static enum ods_err
run_calc(const struct ods_tool_ctx *ctx, struct json_object *args,
    struct ods_jw *jw, struct ods_why *why)
{
	const char	*e = ods_json_get_str(args, "expression");
	double		 v;
	enum ods_err	 er;

	(void)ctx;
	if ((er = ods_calc_eval(e, strlen(e), &v, why)) != ODS_OK)
		return er;
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "expression", e);
	ods_jw_knum(jw, "result", v);
	ods_jw_end(jw);
	return ODS_OK;
}

/* ---- vector_search ---- */

static enum ods_err
kb_of(const struct ods_tool_ctx *ctx, struct json_object *args,
    struct ods_kb **kb, struct ods_why *why)
{
	const char	*id = ods_json_get_str(args, "knowledge_base_id");
	const char	*coll = ods_json_get_str(args, "collection");
	enum ods_err	 er;

	if (id != NULL)
		er = ods_kb_get(ctx->db, id, ctx->owner, kb);
	else
		er = ods_kb_by_collection(ctx->db, ctx->llm, coll != NULL ?
		    coll : "default", ctx->owner, NULL, kb);
	if (er == ODS_ENOTFOUND)
		ods_why_set(why, id != NULL ? "knowledge_base_id" :
		    "collection", "no such knowledge base");
	return er;
}

static enum ods_err
run_search(const struct ods_tool_ctx *ctx, struct json_object *args,
    struct ods_jw *jw, struct ods_why *why)
{
	struct ods_kb		*kb = NULL;
	struct ods_rag_query	 q;
	struct ods_rag_hit	*hits = NULL;
	int64_t			 k = 5;
	size_t			 n = 0, i;
	enum ods_err		 er;

	if (ctx->rag == NULL)
		return ODS_EUNAVAIL;
	if ((er = kb_of(ctx, args, &kb, why)) != ODS_OK)
		return er;
	(void)ods_json_int(args, "top_k", 0, 1, 50, &k, NULL);
	ods_rag_query_init(&q);
	q.text = ods_json_get_str(args, "query");
	q.top_k = (size_t)k;
	er = ods_rag_retrieve(ctx->rag, kb, &q, &hits, &n, why);
	if (er == ODS_OK) {
		ods_jw_obj(jw);
		ods_jw_key(jw, "results");
		ods_jw_arr(jw);
		for (i = 0; i < n; i++)
			ods_rag_hit_json(jw, &hits[i], NULL);
		ods_jw_end(jw);
		ods_jw_kint(jw, "total", (int64_t)n);
		ods_jw_end(jw);
	}
	ods_rag_hits_free(hits, n);
	ods_kb_free(kb);
	return er;
}
