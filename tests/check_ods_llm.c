/* tests/check_ods_llm.c — SSE splitting, request preparation, breakers. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_conf.h"
#include "net/ods_http.h"
#include "core/ods_json.h"
#include "core/ods_util.h"
#include "llm/ods_llm.h"
#include "llm/ods_llm_int.h"
#include "llm/fake_upstream.h"
#include "ods_check.h"

struct collect {
	struct ods_buf	all;
	int		n;
};

static int
collect_cb(void *arg, const char *ev, size_t len)
{
	struct collect	*c = arg;

	c->n++;
	ck_assert_int_eq(ods_buf_add(&c->all, ev, len), ODS_OK);
	ck_assert_int_eq(ods_buf_add(&c->all, "|", 1), ODS_OK);
	return 0;
}

static const char three[] =
    "data: {\"a\":1}\n\n"
    "event: x\r\ndata: {\"b\":2}\r\n\r\n"
    "data: [DONE]\n\n";

START_TEST(test_sse_splits_events_at_every_cut)
{
	struct ods_sse	s;
	struct collect	c;
	size_t		cut, n = sizeof(three) - 1;

	for (cut = 0; cut <= n; cut++) {
		memset(&c, 0, sizeof(c));
		ods_buf_init(&c.all, 1 << 20);
		odsi_sse_init(&s, 1024);
		ck_assert_int_eq(odsi_sse_feed(&s, three, cut, collect_cb, &c),
		    ODS_OK);
		ck_assert_int_eq(odsi_sse_feed(&s, three + cut, n - cut,
		    collect_cb, &c), ODS_OK);
		ck_assert_int_eq(c.n, 3);
		ck_assert_uint_eq(odsi_sse_pending(&s), 0);
		ck_assert_str_eq(c.all.data, "data: {\"a\":1}\n\n|event: x\r\n"
		    "data: {\"b\":2}\r\n\r\n|data: [DONE]\n\n|");
		odsi_sse_fini(&s);
		ods_buf_free(&c.all);
	}
}
END_TEST

START_TEST(test_sse_feeds_one_byte_at_a_time)
{
	struct ods_sse	s;
	struct collect	c;
	size_t		i;

	memset(&c, 0, sizeof(c));
	ods_buf_init(&c.all, 1 << 20);
	odsi_sse_init(&s, 1024);
	for (i = 0; i < sizeof(three) - 1; i++)
		ck_assert_int_eq(odsi_sse_feed(&s, three + i, 1, collect_cb, &c),
		    ODS_OK);
	ck_assert_int_eq(c.n, 3);
	odsi_sse_fini(&s);
	ods_buf_free(&c.all);
}
END_TEST

START_TEST(test_sse_keeps_an_unfinished_event)
{
	struct ods_sse	s;
	struct collect	c;

	memset(&c, 0, sizeof(c));
	ods_buf_init(&c.all, 1 << 20);
	odsi_sse_init(&s, 1024);
	ck_assert_int_eq(odsi_sse_feed(&s, "data: 1\n\ndata: 2\n", 17,
	    collect_cb, &c), ODS_OK);
	ck_assert_int_eq(c.n, 1);
	ck_assert_uint_eq(odsi_sse_pending(&s), 8);
	odsi_sse_fini(&s);
	ods_buf_free(&c.all);
}
END_TEST

START_TEST(test_sse_refuses_an_event_over_the_cap)
{
	struct ods_sse	s;
	struct collect	c;
	char		big[2048];

	memset(&c, 0, sizeof(c));
	ods_buf_init(&c.all, 1 << 20);
	memset(big, 'x', sizeof(big));
	odsi_sse_init(&s, 1024);
	ck_assert_int_eq(odsi_sse_feed(&s, big, sizeof(big), collect_cb, &c),
	    ODS_ETOOBIG);
	odsi_sse_fini(&s);
	ods_buf_free(&c.all);
}
END_TEST

START_TEST(test_sse_data_joins_data_lines)
{
	char	out[64];
	const char ev[] = "id: 1\ndata: a\ndata:b\r\n\n";

	ck_assert_int_eq(odsi_sse_data(ev, sizeof(ev) - 1, out, sizeof(out)),
	    3);
	ck_assert_str_eq(out, "a\nb");
	ck_assert_int_eq(odsi_sse_data("event: x\n\n", 10, out, sizeof(out)),
	    -1);
	ck_assert_int_eq(odsi_sse_data(ev, sizeof(ev) - 1, out, 3), -1);
}
END_TEST

START_TEST(test_sse_inspect_finds_usage_only_chunks)
{
	struct ods_llm_usage	u;
	int			only;
	const char usage[] = "data: {\"id\":\"c\",\"choices\":[],\"usage\":"
	    "{\"prompt_tokens\":7,\"completion_tokens\":3,\"total_tokens\":10}}"
	    "\n\n";
	const char delta[] = "data: {\"id\":\"c\",\"choices\":[{\"delta\":"
	    "{\"content\":\"usage\"}}],\"usage\":null}\n\n";

	memset(&u, 0, sizeof(u));
	ck_assert_int_eq(odsi_sse_inspect(usage, sizeof(usage) - 1, &only, &u),
	    0);
	ck_assert_int_eq(only, 1);
	ck_assert_int_eq(u.known, 1);
	ck_assert_int_eq(u.prompt_tokens, 7);
	ck_assert_int_eq(u.completion_tokens, 3);
	memset(&u, 0, sizeof(u));
	ck_assert_int_eq(odsi_sse_inspect(delta, sizeof(delta) - 1, &only, &u),
	    0);
	ck_assert_int_eq(only, 0);
	ck_assert_int_eq(u.known, 0);
	ck_assert_int_eq(odsi_sse_inspect("data: [DONE]\n\n", 14, &only, &u),
	    1);
}
END_TEST

START_TEST(test_usage_scan_reads_spaced_and_nested_json)
{
	struct ods_llm_usage	u;
	int			only;
	const char ev[] = "data: {\"id\": \"x\", \"choices\": [ ],\n"
	    "data: \"usage\": {\"prompt_tokens_details\": {\"cached\": 1},"
	    " \"prompt_tokens\": 12, \"completion_tokens\" : 30}}\r\n\r\n";
	const char body[] = "{\"choices\":[{\"message\":{\"content\":"
	    "\"a \\\"usage\\\": {\\\"prompt_tokens\\\": 99}\"}}],"
	    "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}}";

	memset(&u, 0, sizeof(u));
	ck_assert_int_eq(odsi_sse_inspect(ev, sizeof(ev) - 1, &only, &u), 0);
	ck_assert_int_eq(only, 1);
	ck_assert_int_eq(u.prompt_tokens, 12);
	ck_assert_int_eq(u.completion_tokens, 30);
	memset(&u, 0, sizeof(u));
	odsi_llm_usage_of_body(body, sizeof(body) - 1, &u);
	ck_assert_int_eq(u.known, 1);
	ck_assert_int_eq(u.prompt_tokens, 3);
	ck_assert_int_eq(u.completion_tokens, 4);
	memset(&u, 0, sizeof(u));
	odsi_llm_usage_of_body("{\"usage\":{\"prompt_tokens\":5", 26, &u);
	ck_assert_int_eq(u.known, 0);
}
END_TEST

START_TEST(test_strip_null_usage_removes_only_that_key)
{
	char	ev[] = "data: {\"id\":\"c\",\"choices\":[],\"usage\":null}\n\n";
	size_t	n;

	n = odsi_llm_strip_null_usage(ev, strlen(ev));
	ev[n] = '\0';
	ck_assert_str_eq(ev, "data: {\"id\":\"c\",\"choices\":[]}\n\n");
}
END_TEST


/* ---- preparation ---- */

static struct ods_conf *
conf_with(const char *name, const char *value)
{
	struct ods_conf	*c = ods_conf_new();

	if (name != NULL)
		ck_assert_int_eq(ods_conf_set(c, name, value, NULL),
		    ODS_OK);
	return c;
}

static struct json_object *
parse(const char *s)
{
	struct json_object	*o = NULL;
	struct ods_why	 e;

	ck_assert_int_eq(ods_json_parse(s, strlen(s), 0, &o, &e), ODS_OK);
	return o;
}

START_TEST(test_base_url_adds_v1_once)
{
	char	*u;

	u = odsi_llm_base_url("http://h:8000");
	ck_assert_str_eq(u, "http://h:8000/v1");
	free(u);
	u = odsi_llm_base_url("http://h:8000/v1/");
	ck_assert_str_eq(u, "http://h:8000/v1");
	free(u);
	u = odsi_llm_base_url("https://api.example.com/v1");
	ck_assert_str_eq(u, "https://api.example.com/v1");
	free(u);
}
END_TEST

START_TEST(test_url_redact_drops_credentials_and_query)
{
	static const char	*cases[][2] = {
		{ "http://user:pass@h:8000/v1", "http://h:8000/v1" },
		{ "https://u:p%40ss@api.example.com/v1?key=s#f",
		    "https://api.example.com/v1" },
		{ "http://u:pa?ss#w@h/v1", "http://h/v1" },
		{ "http://h:8000/v1", "http://h:8000/v1" },
		{ "http://h/v1?api_key=secret", "http://h/v1" },
		{ "u:p@h/v1", "h/v1" },
	};
	char			*u;
	size_t			 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		u = ods_url_redact(cases[i][0]);
		ck_assert_str_eq(u, cases[i][1]);
		free(u);
	}
}
END_TEST

START_TEST(test_redact_keys_replaces_key_shaped_words)
{
	static const char	*cases[][2] = {
		{ "Incorrect API key provided: sk-abc123*****xyz9. You can",
		    "Incorrect API key provided: [redacted]. You can" },
		{ "{\"m\":\"sk-proj-A.b_c-9\"}", "{\"m\":\"[redacted]\"}" },
		{ "task-list sk- ask-me", "task-list sk- ask-me" },
		{ "sk-1", "[redacted]" },
		{ "", "" },
	};
	char			*out;
	size_t			 i, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		out = ods_llm_redact_keys(cases[i][0], strlen(cases[i][0]),
		    &n);
		ck_assert_str_eq(out, cases[i][1]);
		ck_assert_uint_eq(n, strlen(cases[i][1]));
		free(out);
	}
}
END_TEST

START_TEST(test_health_shows_backend_urls_without_credentials)
{
	struct ods_conf	*c = ods_conf_new();
	struct ods_llm	*l;

	ck_assert_int_eq(ods_conf_set(c, "VLLM_CHAT_URL",
	    "http://admin:hunter2@127.0.0.1:9/v1?token=t0p", NULL), ODS_OK);
	l = ods_llm_new(c);
	ck_assert_uint_eq(l->nb, 1);
	ck_assert_str_eq(l->b[0].shown, "http://127.0.0.1:9/v1");
	ck_assert_ptr_null(strstr(l->b[0].shown, "hunter2"));
	ods_llm_free(l);
	ods_conf_free(c);
}
END_TEST

START_TEST(test_prepare_keeps_the_client_bytes_when_nothing_changes)
{
	struct ods_conf		*c = conf_with(NULL, NULL);
	struct ods_llm		*l = ods_llm_new(c);
	const char		 body[] = "{ \"model\": \"m\", \"messages\": [],"
	    " \"top_p\": 0.5 }";
	struct json_object	*o = parse(body);
	struct ods_llm_prep	 p;
	struct ods_why			 why;

	ck_assert_int_eq(ods_llm_prepare(l, ODS_LLM_CHAT, o, body,
	    strlen(body), &p, &why), ODS_OK);
	ck_assert_ptr_eq(p.body, body);
	ck_assert_int_eq(p.stream, 0);
	ck_assert_str_eq(p.upstream_model, "m");
	ods_llm_prep_fini(&p);
	ods_json_put(o);
	ods_llm_free(l);
	ods_conf_free(c);
}
END_TEST

START_TEST(test_prepare_rewrites_an_alias_and_asks_streams_for_usage)
{
	struct ods_conf		*c = conf_with("ODS_MODEL_ALIASES",
	    "gpt-4o-mini=qwen2.5:7b, bad,, x=y ");
	struct ods_llm		*l = ods_llm_new(c);
	const char		 body[] = "{\"model\":\"gpt-4o-mini\","
	    "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
	    "\"stream\":true,\"seed\":3}";
	struct json_object	*o = parse(body), *b, *so = NULL;
	struct ods_llm_prep	 p;
	struct ods_why	 e;
	struct ods_why			 why;
	int			 iu = 0;

	ck_assert_str_eq(ods_llm_alias(l, "x"), "y");
	ck_assert_int_eq(ods_llm_prepare(l, ODS_LLM_CHAT, o, body,
	    strlen(body), &p, &why), ODS_OK);
	ck_assert_str_eq(p.model, "gpt-4o-mini");
	ck_assert_str_eq(p.upstream_model, "qwen2.5:7b");
	ck_assert_int_eq(p.stream, 1);
	ck_assert_int_eq(p.usage_injected, 1);
	ck_assert_ptr_nonnull(strstr(p.body, "\"model\":\"qwen2.5:7b\""));
	ck_assert_ptr_nonnull(strstr(p.body,
	    "\"stream_options\":{\"include_usage\":true}"));
	b = parse(p.body);
	ck_assert_int_eq(ods_json_obj(b, "stream_options", 1, &so, &e),
	    ODS_OK);
	ck_assert_int_eq(ods_json_bool(so, "include_usage", 1, &iu, &e),
	    ODS_OK);
	ck_assert_int_eq(iu, 1);
	ods_json_put(b);
	ods_json_put(o);
	ods_llm_prep_fini(&p);
	ods_llm_free(l);
	ods_conf_free(c);
}
END_TEST

START_TEST(test_prepare_leaves_usage_alone_when_the_client_asked)
{
	struct ods_conf		*c = conf_with(NULL, NULL);
	struct ods_llm		*l = ods_llm_new(c);
	const char		 body[] = "{\"model\":\"m\",\"prompt\":\"x\","
	    "\"stream\":true,\"stream_options\":{\"include_usage\":true}}";
	struct json_object	*o = parse(body);
	struct ods_llm_prep	 p;
	struct ods_why			 why;

	ck_assert_int_eq(ods_llm_prepare(l, ODS_LLM_COMPLETIONS, o, body,
	    strlen(body), &p, &why), ODS_OK);
	ck_assert_int_eq(p.usage_injected, 0);
	ck_assert_ptr_eq(p.body, body);
	ods_llm_prep_fini(&p);
	ods_json_put(o);
	ods_llm_free(l);
	ods_conf_free(c);
}
END_TEST

START_TEST(test_prepare_refuses_bad_requests)
{
	static const char *const bad[][2] = {
		{ "[1]", "JSON object" },
		{ "{\"messages\":[]}", "model" },
		{ "{\"model\":7,\"messages\":[]}", "model" },
		{ "{\"model\":\"\",\"messages\":[]}", "model" },
		{ "{\"model\":\"m\"}", "messages" },
		{ "{\"model\":\"m\",\"messages\":{}}", "messages" },
		{ "{\"model\":\"m\",\"messages\":[],\"stream\":1}", "stream" },
		{ "{\"model\":\"m\",\"messages\":[],\"stream\":true,"
		    "\"stream_options\":3}", "stream_options" },
	};
	struct ods_conf		*c = conf_with(NULL, NULL);
	struct ods_llm		*l = ods_llm_new(c);
	struct json_object	*o;
	struct ods_llm_prep	 p;
	struct ods_why			 why;
	size_t			 i;

	for (i = 0; i < ODS_NELEM(bad); i++) {
		o = parse(bad[i][0]);
		ck_assert_int_eq(ods_llm_prepare(l, ODS_LLM_CHAT, o, bad[i][0],
		    strlen(bad[i][0]), &p, &why), ODS_EINVAL);
		ck_assert_msg(strstr(why.msg, bad[i][1]) != NULL, "%s: %s",
		    bad[i][0], why.msg);
		ods_json_put(o);
	}
	ods_llm_free(l);
	ods_conf_free(c);
}
END_TEST

START_TEST(test_prepare_refuses_a_nul_inside_model)
{
	/* Cut at the NUL, "mock-chat\u0000x" would be another model. */
	const char		 body[] = "{\"model\":\"mock-chat\\u0000x\","
	    "\"messages\":[]}";
	struct ods_conf		*c = conf_with(NULL, NULL);
	struct ods_llm		*l = ods_llm_new(c);
	struct json_object	*o = parse(body);
	struct ods_llm_prep	 p;
	struct ods_why		 why;

	ck_assert_int_eq(ods_llm_prepare(l, ODS_LLM_CHAT, o, body,
	    strlen(body), &p, &why), ODS_EINVAL);
	ck_assert_str_eq(why.field, "model");
	ck_assert_ptr_nonnull(strstr(why.msg, "NUL"));
	ods_json_put(o);
	ods_llm_free(l);
	ods_conf_free(c);
}
END_TEST

START_TEST(test_prepare_bounds_max_tokens_and_n)
{
	static const char *const bad[][2] = {
		{ "\"max_tokens\":1000000000", "<= 32768" },
		{ "\"max_tokens\":0", ">= 1" },
		{ "\"max_tokens\":-5", ">= 1" },
		{ "\"max_tokens\":\"10\"", "integer" },
		{ "\"max_tokens\":1.5", "integer" },
		{ "\"max_tokens\":99999999999999999999999", "<= 32768" },
		{ "\"max_completion_tokens\":32769", "<= 32768" },
		{ "\"n\":9", "<= 8" },
		{ "\"n\":0", ">= 1" },
		{ "\"best_of\":100", "<= 8" },
	};
	static const char *const good[] = {
		"\"max_tokens\":null", "\"max_tokens\":32768", "\"n\":8",
		"\"max_completion_tokens\":1,\"n\":1",
	};
	struct ods_conf		*c = conf_with(NULL, NULL);
	struct ods_llm		*l = ods_llm_new(c);
	struct json_object	*o;
	struct ods_llm_prep	 p;
	struct ods_why		 why;
	char			 body[256];
	size_t			 i;

	for (i = 0; i < ODS_NELEM(bad); i++) {
		snprintf(body, sizeof(body), "{\"model\":\"m\",\"prompt\":"
		    "\"x\",%s}", bad[i][0]);
		o = parse(body);
		ck_assert_int_eq(ods_llm_prepare(l, ODS_LLM_COMPLETIONS, o,
		    body, strlen(body), &p, &why), ODS_EINVAL);
		ck_assert_msg(strstr(why.msg, bad[i][1]) != NULL, "%s: %s",
		    body, why.msg);
		ck_assert_msg(strncmp(bad[i][0] + 1, why.field,
		    strlen(why.field)) == 0 && *why.field != '\0', "%s: %s",
		    body, why.field);
		ods_json_put(o);
	}
	for (i = 0; i < ODS_NELEM(good); i++) {
		snprintf(body, sizeof(body), "{\"model\":\"m\",\"messages\":"
		    "[],%s}", good[i]);
		o = parse(body);
		ck_assert_msg(ods_llm_prepare(l, ODS_LLM_CHAT, o, body,
		    strlen(body), &p, &why) == ODS_OK, "%s: %s", body,
		    why.msg);
		ods_llm_prep_fini(&p);
		ods_json_put(o);
	}
	ods_llm_free(l);
	ods_conf_free(c);
}
END_TEST

/* The estimate held against tpm and budgets before a call. */
static int64_t
estimate_of(struct ods_llm *l, enum ods_llm_op op, const char *body)
{
	struct json_object	*o = parse(body);
	struct ods_llm_prep	 p;
	struct ods_why		 why;

	ck_assert_int_eq(ods_llm_prepare(l, op, o, body, strlen(body), &p,
	    &why), ODS_OK);
	ck_assert_int_eq(p.prompt_estimate, (int64_t)strlen(body) / 4 + 1);
	ods_llm_prep_fini(&p);
	ods_json_put(o);
	return p.completion_estimate;
}

START_TEST(test_prepare_estimates_what_a_call_may_cost)
{
	struct ods_conf	*c = conf_with("ODS_LLM_ESTIMATE_TOKENS", "500");
	struct ods_llm	*l = ods_llm_new(c);

	ck_assert_int_eq(estimate_of(l, ODS_LLM_CHAT, "{\"model\":\"m\","
	    "\"messages\":[]}"), 500);
	ck_assert_int_eq(estimate_of(l, ODS_LLM_CHAT, "{\"model\":\"m\","
	    "\"messages\":[],\"max_tokens\":100,\"n\":3}"), 300);
	ck_assert_int_eq(estimate_of(l, ODS_LLM_CHAT, "{\"model\":\"m\","
	    "\"messages\":[],\"max_tokens\":10,"
	    "\"max_completion_tokens\":40}"), 40);
	ck_assert_int_eq(estimate_of(l, ODS_LLM_COMPLETIONS, "{\"model\":"
	    "\"m\",\"prompt\":\"x\",\"n\":2,\"best_of\":4}"), 2000);
	ck_assert_int_eq(estimate_of(l, ODS_LLM_EMBEDDINGS, "{\"model\":"
	    "\"m\",\"input\":\"some words\"}"), 0);
	ods_llm_free(l);
	ods_conf_free(c);
}
END_TEST

START_TEST(test_billed_is_the_usage_else_nothing_made_else_the_estimate)
{
	struct ods_llm_prep	p;
	struct ods_llm_result	res;
	struct ods_llm_usage	u;

	memset(&p, 0, sizeof(p));
	p.prompt_estimate = 30;
	p.completion_estimate = 1024;
	memset(&res, 0, sizeof(res));
	res.usage.known = 1;
	res.usage.prompt_tokens = 7;
	res.usage.completion_tokens = 3;
	ods_llm_billed(&p, ODS_OK, &res, &u);
	ck_assert_int_eq(u.prompt_tokens + u.completion_tokens, 10);
	/* Nothing made: no backend, or one refused the call. */
	memset(&res, 0, sizeof(res));
	ods_llm_billed(&p, ODS_EUNAVAIL, &res, &u);
	ck_assert_int_eq(u.prompt_tokens + u.completion_tokens, 0);
	ods_llm_billed(&p, ODS_ENOTFOUND, &res, &u);
	ck_assert_int_eq(u.prompt_tokens + u.completion_tokens, 0);
	res.status = 400;
	ods_llm_billed(&p, ODS_OK, &res, &u);
	ck_assert_int_eq(u.prompt_tokens + u.completion_tokens, 0);
	/* Made, never told: a cut stream, a timeout, a 200 without usage. */
	res.status = 200;
	res.started = 1;
	res.err = ODS_EIO;
	ods_llm_billed(&p, ODS_OK, &res, &u);
	ck_assert_int_eq(u.prompt_tokens, 30);
	ck_assert_int_eq(u.completion_tokens, 1024);
	res.started = 0;
	ods_llm_billed(&p, ODS_OK, &res, &u);
	ck_assert_int_eq(u.prompt_tokens + u.completion_tokens, 1054);
	ods_llm_billed(&p, ODS_ETIMEOUT, &res, &u);
	ck_assert_int_eq(u.prompt_tokens + u.completion_tokens, 1054);
}
END_TEST

START_TEST(test_embeddings_default_to_the_builtin_model)
{
	struct ods_conf		*c = conf_with(NULL, NULL);
	struct ods_llm		*l = ods_llm_new(c);
	const char		*texts[2] = { "data governance", "lineage" };
	float			*v = NULL;
	uint32_t		 dim;
	struct ods_llm_usage	 u;

	memset(&u, 0, sizeof(u));
	ck_assert_int_eq(ods_llm_embed_local(l, "anything"), 1);
	ck_assert_int_eq(ods_llm_embed(l, "ods-hash-embed-64", texts, 2, &v,
	    &dim, &u), ODS_OK);
	ck_assert_uint_eq(dim, 64);
	ck_assert_int_eq(u.prompt_tokens, 3);
	free(v);
	ods_llm_free(l);
	ods_conf_free(c);
}
END_TEST

/* ---- forwarding against scripted upstreams ---- */

static struct fake_upstream	up_a, up_b;
static struct ods_conf		*fconf;
static struct ods_llm		*fl;

static const char models_body[] =
    "{\"object\":\"list\",\"data\":[{\"id\":\"m\",\"object\":\"model\"}]}";

static void
fwd_setup(void)
{
	char	u[64];

	fake_start(&up_a);
	fake_start(&up_b);
	fconf = ods_conf_new();
	snprintf(u, sizeof(u), "http://127.0.0.1:%d", up_a.port);
	ck_assert_int_eq(ods_conf_set(fconf, "VLLM_CHAT_URL", u, NULL),
	    ODS_OK);
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/v1", up_b.port);
	ck_assert_int_eq(ods_conf_set(fconf, "OLLAMA_URL", u, NULL),
	    ODS_OK);
	ck_assert_int_eq(ods_conf_set(fconf, "ODS_LLM_BREAKER_FAILURES", "2",
	    NULL), ODS_OK);
	ck_assert_int_eq(ods_conf_set(fconf, "ODS_LLM_BREAKER_COOLDOWN_MS",
	    "300", NULL), ODS_OK);
	ck_assert_int_eq(ods_conf_set(fconf, "ODS_LLM_RETRIES", "0", NULL),
	    ODS_OK);
	fl = ods_llm_new(fconf);
}

static void
fwd_teardown(void)
{
	ods_http_thread_reset();
	fake_stop(&up_a);
	fake_stop(&up_b);
	ods_llm_free(fl);
	ods_conf_free(fconf);
}

static void
serve(struct fake_upstream *f, int status, const char *ctype,
    const char *body)
{
	struct fake_script	s = { status, ctype, { body }, 1, 0, 0, 0, 0 };

	fake_set(f, &s);
}

/* Both upstreams list model "m"; afterwards each answers as scripted. */
static void
learn_models(void)
{
	struct llm_backend	*c[ODS_LLM_MAX_BACKENDS];

	serve(&up_a, 200, "application/json", models_body);
	serve(&up_b, 200, "application/json", models_body);
	ck_assert_uint_eq(odsi_llm_candidates(fl, ODS_LLM_CHAT, "m", c,
	    ODS_LLM_MAX_BACKENDS), 2);
	ck_assert_uint_eq(odsi_llm_candidates(fl, ODS_LLM_CHAT, "other", c,
	    ODS_LLM_MAX_BACKENDS), 0);
}

static void
prep_of(struct ods_llm_prep *p, const char *body, int stream)
{
	memset(p, 0, sizeof(*p));
	p->op = ODS_LLM_CHAT;
	p->model = p->upstream_model = "m";
	p->body = body;
	p->body_len = strlen(body);
	p->stream = stream;
	p->usage_injected = stream;
}

START_TEST(test_forward_falls_back_on_5xx_before_the_first_byte)
{
	struct ods_llm_prep	p;
	struct ods_llm_result	res;

	learn_models();
	serve(&up_a, 503, "application/json", "{\"error\":{}}");
	serve(&up_b, 200, "application/json", "{\"id\":\"b\",\"usage\":"
	    "{\"prompt_tokens\":5,\"completion_tokens\":2}}");
	prep_of(&p, "{\"model\":\"m\",\"messages\":[]}", 0);
	ck_assert_int_eq(ods_llm_forward(fl, &p, NULL, &res), ODS_OK);
	ck_assert_int_eq(res.status, 200);
	ck_assert_str_eq(res.backend, "ollama");
	ck_assert_int_eq(res.attempts, 2);
	ck_assert_int_eq(res.usage.prompt_tokens, 5);
	ck_assert_int_eq(res.usage.completion_tokens, 2);
	ck_assert_str_eq(up_b.last_body, "{\"model\":\"m\",\"messages\":[]}");
	ods_llm_result_fini(&res);
}
END_TEST

START_TEST(test_forward_passes_a_4xx_through_without_fallback)
{
	struct ods_llm_prep	p;
	struct ods_llm_result	res;

	learn_models();
	serve(&up_a, 400, "application/json", "{\"error\":\"bad\"}");
	prep_of(&p, "{}", 0);
	ck_assert_int_eq(ods_llm_forward(fl, &p, NULL, &res), ODS_OK);
	ck_assert_int_eq(res.status, 400);
	ck_assert_str_eq(res.body.data, "{\"error\":\"bad\"}");
	ck_assert_int_eq(res.attempts, 1);
	ods_llm_result_fini(&res);
}
END_TEST

static const char key_401[] = "{\"error\":{\"message\":\"Incorrect API "
    "key provided: sk-abc123***xyz9.\",\"code\":\"invalid_api_key\"}}";

START_TEST(test_forward_hides_a_refused_key_and_moves_on)
{
	struct ods_llm_prep	p;
	struct ods_llm_result	res;

	learn_models();
	serve(&up_a, 401, "application/json", key_401);
	serve(&up_b, 200, "application/json", "{\"id\":\"b\"}");
	prep_of(&p, "{}", 0);
	ck_assert_int_eq(ods_llm_forward(fl, &p, NULL, &res), ODS_OK);
	ck_assert_int_eq(res.status, 200);
	ck_assert_str_eq(res.backend, "ollama");
	ck_assert_int_eq(res.auth_refused, 1);
	ods_llm_result_fini(&res);

	serve(&up_b, 403, "application/json", key_401);
	ck_assert_int_eq(ods_llm_forward(fl, &p, NULL, &res), ODS_EUPSTREAM);
	ck_assert_int_eq(res.auth_refused, 1);
	ck_assert_uint_eq(res.body.len, 0);
	ods_llm_result_fini(&res);
}
END_TEST

START_TEST(test_forward_redacts_keys_in_a_passed_on_4xx)
{
	struct ods_llm_prep	p;
	struct ods_llm_result	res;

	learn_models();
	serve(&up_a, 400, "application/json",
	    "{\"error\":\"bad key sk-proj-LEAK0123 here\"}");
	prep_of(&p, "{}", 0);
	ck_assert_int_eq(ods_llm_forward(fl, &p, NULL, &res), ODS_OK);
	ck_assert_int_eq(res.status, 400);
	ck_assert_str_eq(res.body.data,
	    "{\"error\":\"bad key [redacted] here\"}");
	ck_assert_int_eq(res.auth_refused, 0);
	ods_llm_result_fini(&res);
}
END_TEST

START_TEST(test_metric_label_of_a_made_up_model_is_other)
{
	char	name[32];
	int	i;

	learn_models();
	ck_assert_str_eq(ods_llm_metric_model(fl, "m"), "m");
	for (i = 0; i < 50; i++) {
		snprintf(name, sizeof(name), "made-up-%d", i);
		ck_assert_str_eq(ods_llm_metric_model(fl, name), "other");
	}
	ck_assert_str_eq(ods_llm_metric_model(fl, ""), "other");
	ck_assert_str_eq(ods_llm_metric_model(fl, NULL), "other");
	ck_assert_str_eq(ods_llm_metric_model(fl, "ods-hash-embed-384"),
	    "ods-hash-embed-384");
	ck_assert_str_eq(ods_llm_metric_model(fl, "ods-hash-embed-768"),
	    "ods-hash-embed");
}
END_TEST

struct sink_log {
	struct ods_buf	out;
	int		starts;
	int		leave_after;	/* >0: the client leaves */
	int		events;
};

static int
s_start(void *arg, int status, const char *ctype)
{
	struct sink_log	*s = arg;

	ck_assert_int_eq(status, 200);
	ck_assert_str_eq(ctype, "text/event-stream");
	s->starts++;
	return 0;
}

static int
s_event(void *arg, const char *ev, size_t len)
{
	struct sink_log	*s = arg;

	ck_assert_int_eq(ods_buf_add(&s->out, ev, len), ODS_OK);
	return s->leave_after > 0 && ++s->events >= s->leave_after;
}

START_TEST(test_forward_stream_drops_the_injected_usage_event)
{
	struct fake_script	st = { 200, "text/event-stream", {
	    "data: {\"choices\":[{\"delta\":{}}]}\n",
	    "\ndata: {\"choices\":[],\"usage\":{\"prompt_tokens\":4,",
	    "\"completion_tokens\":9}}\n\n", "data: [DONE]\n\n" }, 4, 1, 0,
	    10, 0 };
	struct sink_log		sl;
	struct ods_llm_sink	sink = { s_start, s_event, NULL, &sl };
	struct ods_llm_prep	p;
	struct ods_llm_result	res;

	learn_models();
	fake_set(&up_a, &st);
	memset(&sl, 0, sizeof(sl));
	ods_buf_init(&sl.out, 1 << 16);
	prep_of(&p, "{}", 1);
	ck_assert_int_eq(ods_llm_forward(fl, &p, &sink, &res), ODS_OK);
	ck_assert_int_eq(res.started, 1);
	ck_assert_int_eq(res.err, ODS_OK);
	ck_assert_int_eq(sl.starts, 1);
	ck_assert_str_eq(sl.out.data, "data: {\"choices\":[{\"delta\":{}}]}\n"
	    "\ndata: [DONE]\n\n");
	ck_assert_int_eq(res.usage.prompt_tokens, 4);
	ck_assert_int_eq(res.usage.completion_tokens, 9);
	ods_buf_free(&sl.out);
	ods_llm_result_fini(&res);
}
END_TEST

START_TEST(test_forward_stream_broken_after_the_first_event_is_reported)
{
	struct fake_script	st = { 200, "text/event-stream", {
	    "data: 1\n\n", "data: 2\n\n", "data: 3\n\n" }, 3, 1, 0, 10, 2 };
	struct sink_log		sl;
	struct ods_llm_sink	sink = { s_start, s_event, NULL, &sl };
	struct ods_llm_prep	p;
	struct ods_llm_result	res;

	learn_models();
	fake_set(&up_a, &st);
	memset(&sl, 0, sizeof(sl));
	ods_buf_init(&sl.out, 1 << 16);
	prep_of(&p, "{}", 1);
	ck_assert_int_eq(ods_llm_forward(fl, &p, &sink, &res), ODS_OK);
	ck_assert_int_eq(res.started, 1);
	ck_assert_int_ne(res.err, ODS_OK);
	ck_assert_str_eq(sl.out.data, "data: 1\n\ndata: 2\n\n");
	ck_assert_str_eq(res.backend, "vllm");
	ods_buf_free(&sl.out);
	ods_llm_result_fini(&res);
}
END_TEST

START_TEST(test_forward_stops_the_upstream_when_the_client_leaves)
{
	struct fake_script	st = { 200, "text/event-stream", {
	    "data: 1\n\n", "data: 2\n\n", "data: 3\n\n", "data: 4\n\n" }, 4,
	    1, 0, 100, 0 };
	struct sink_log		sl;
	struct ods_llm_sink	sink = { s_start, s_event, NULL, &sl };
	struct ods_llm_prep	p;
	struct ods_llm_result	res;
	struct ods_llm_usage	u;
	int			i;

	learn_models();
	fake_set(&up_a, &st);
	memset(&sl, 0, sizeof(sl));
	ods_buf_init(&sl.out, 1 << 16);
	sl.leave_after = 1;
	prep_of(&p, "{}", 1);
	ck_assert_int_eq(ods_llm_forward(fl, &p, &sink, &res), ODS_OK);
	ck_assert_int_eq(res.err, ODS_EIO);
	/* Cut before usage came: the call is billed its estimate. */
	p.prompt_estimate = 5;
	p.completion_estimate = 100;
	ods_llm_billed(&p, ODS_OK, &res, &u);
	ck_assert_int_eq(u.known, 0);
	ck_assert_int_eq(u.prompt_tokens + u.completion_tokens, 105);
	for (i = 0; i < 40 && !up_a.peer_closed; i++)
		fake_sleep_ms(25);
	ck_assert_int_eq(up_a.peer_closed, 1);
	ods_buf_free(&sl.out);
	ods_llm_result_fini(&res);
}
END_TEST

START_TEST(test_breaker_opens_then_half_opens_then_closes)
{
	struct ods_llm_prep	p;
	struct ods_llm_result	res;
	int			i;

	learn_models();
	serve(&up_a, 500, "application/json", "{}");
	serve(&up_b, 500, "application/json", "{}");
	prep_of(&p, "{}", 0);
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(ods_llm_forward(fl, &p, NULL, &res),
		    ODS_EUPSTREAM);
		ods_llm_result_fini(&res);
	}
	ck_assert_int_eq(ods_llm_breaker_state(fl, "vllm"), ODS_LLM_OPEN);
	ck_assert_int_eq(ods_llm_breaker_state(fl, "ollama"), ODS_LLM_OPEN);
	/* Open everywhere: nothing is tried. */
	ck_assert_int_eq(ods_llm_forward(fl, &p, NULL, &res), ODS_EUNAVAIL);
	ck_assert_int_eq(res.attempts, 0);
	ods_llm_result_fini(&res);
	fake_sleep_ms(350);
	ck_assert_int_eq(ods_llm_breaker_state(fl, "vllm"),
	    ODS_LLM_HALF_OPEN);
	serve(&up_a, 200, "application/json", "{}");
	ck_assert_int_eq(ods_llm_forward(fl, &p, NULL, &res), ODS_OK);
	ck_assert_str_eq(res.backend, "vllm");
	ods_llm_result_fini(&res);
	ck_assert_int_eq(ods_llm_breaker_state(fl, "vllm"), ODS_LLM_CLOSED);
}
END_TEST

START_TEST(test_forward_times_out_a_silent_backend_and_moves_on)
{
	struct fake_script	slow = { 200, "application/json", { "{}" }, 1,
	    0, 1500, 0, 0 };
	struct ods_llm_prep	p;
	struct ods_llm_result	res;

	ods_llm_free(fl);
	ck_assert_int_eq(ods_conf_set(fconf, "ODS_LLM_FIRST_BYTE_TIMEOUT_MS",
	    "200", NULL), ODS_OK);
	fl = ods_llm_new(fconf);
	learn_models();
	fake_set(&up_a, &slow);
	serve(&up_b, 200, "application/json", "{\"b\":1}");
	prep_of(&p, "{}", 0);
	ck_assert_int_eq(ods_llm_forward(fl, &p, NULL, &res), ODS_OK);
	ck_assert_str_eq(res.body.data, "{\"b\":1}");
	ck_assert_double_lt(res.total_s, 1.0);
	ods_llm_result_fini(&res);
}
END_TEST

START_TEST(test_embed_sends_batches_and_chat_returns_the_content)
{
	static char		 body[64 * 48 + 128];
	const char		*texts[128];
	struct ods_llm_usage	 u;
	float			*v = NULL;
	uint32_t		 dim;
	char			*content = NULL;
	size_t			 i, o;

	learn_models();
	o = (size_t)snprintf(body, sizeof(body), "{\"data\":[");
	for (i = 0; i < 64; i++)
		o += (size_t)snprintf(body + o, sizeof(body) - o, "%s{\"index\":"
		    "%zu,\"embedding\":[0.5,-%zu]}", i ? "," : "", i, i);
	snprintf(body + o, sizeof(body) - o, "],\"usage\":{\"prompt_tokens\":"
	    "64}}");
	for (i = 0; i < 128; i++)
		texts[i] = "t";
	/* Only an embeddings-capable backend (ollama, B) is asked. */
	serve(&up_b, 200, "application/json", body);
	memset(&u, 0, sizeof(u));
	ck_assert_int_eq(ods_llm_embed(fl, "m", texts, 128, &v, &dim, &u),
	    ODS_OK);
	ck_assert_uint_eq(dim, 2);
	ck_assert_int_eq(up_b.requests, 3);	/* models + 2 batches */
	ck_assert_int_eq(u.prompt_tokens, 128);
	ck_assert(v[0] == 0.5f && v[127 * 2 + 1] == -63.0f);
	free(v);
	serve(&up_a, 200, "application/json", "{\"choices\":[{\"message\":"
	    "{\"role\":\"assistant\",\"content\":\"hi there\"}}],"
	    "\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":2}}");
	ck_assert_int_eq(ods_llm_chat(fl, "m", "[{\"role\":\"user\","
	    "\"content\":\"x\"}]", NULL, &content, &u), ODS_OK);
	ck_assert_str_eq(content, "hi there");
	ck_assert_ptr_nonnull(strstr(up_a.last_body, "\"stream\":false"));
	ck_assert_ptr_null(strstr(up_a.last_body, "\"temperature\""));
	ck_assert_ptr_null(strstr(up_a.last_body, "\"max_tokens\""));
	free(content);
}
END_TEST

/* What ods_llm_chat_stream delivered. */
struct delta_log {
	struct ods_buf	text;
	int		calls;
	int		chunks;		/* calls with the chunk's JSON */
	int		leave_after;	/* >0: the client leaves */
};

static int
d_delta(void *arg, const char *content, size_t len, const char *chunk,
    size_t clen)
{
	struct delta_log	*d = arg;

	ck_assert_int_eq(ods_buf_add(&d->text, content, len), ODS_OK);
	if (chunk != NULL) {
		ck_assert(clen > 0 && chunk[0] == '{');
		d->chunks++;
	}
	return d->leave_after > 0 && ++d->calls >= d->leave_after;
}

/* Both upstreams know "m"; A answers st (when not NULL). */
static void
delta_begin(struct delta_log *d, const struct fake_script *st)
{
	learn_models();
	if (st != NULL)
		fake_set(&up_a, st);
	memset(d, 0, sizeof(*d));
	ods_buf_init(&d->text, 1 << 16);
}

START_TEST(test_chat_stream_delivers_each_chunk_and_the_usage)
{
	struct fake_script	st = { 200, "text/event-stream", {
	    ": keep-alive\n\n",
	    "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\n\n",
	    "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n",
	    "data: {\"choices\":[{\"delta\":{\"content\":\"lo [1]\"}}],"
	    "\"usage\":null}\n\n",
	    "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":7,"
	    "\"completion_tokens\":3}}\n\n", "data: [DONE]\n\n" }, 6, 1, 0,
	    10, 0 };
	struct delta_log		d;
	struct ods_llm_chat_sink	cs = { d_delta, &d, NULL };
	struct ods_llm_opts		opts;
	struct ods_llm_usage		u;
	int				started;

	delta_begin(&d, &st);
	ods_llm_opts_init(&opts);
	opts.temperature = 0.25;
	opts.max_tokens = 77;
	opts.user = "end-user-1";
	ck_assert_int_eq(ods_llm_chat_stream(fl, "m", "[{\"role\":\"user\","
	    "\"content\":\"x\"}]", &opts, &cs, &started, &u), ODS_OK);
	ck_assert_int_eq(started, 1);
	ck_assert_int_eq(d.chunks, 3);	/* not the usage-only one */
	ck_assert_uint_eq(d.text.len, 9);
	ck_assert(memcmp(d.text.data, "Hello [1]", 9) == 0);
	ck_assert_int_eq(u.known, 1);
	ck_assert_int_eq(u.prompt_tokens, 7);
	ck_assert_int_eq(u.completion_tokens, 3);
	ck_assert_ptr_nonnull(strstr(up_a.last_body, "\"stream\":true"));
	ck_assert_ptr_nonnull(strstr(up_a.last_body,
	    "\"stream_options\":{\"include_usage\":true}"));
	/* The options reach the upstream; without them none is sent. */
	ck_assert_ptr_nonnull(strstr(up_a.last_body, "\"temperature\":0.25"));
	ck_assert_ptr_nonnull(strstr(up_a.last_body, "\"max_tokens\":77"));
	ck_assert_ptr_nonnull(strstr(up_a.last_body, "\"user\":\"end-user-1\""));
	ods_buf_free(&d.text);
}
END_TEST

START_TEST(test_chat_stream_error_event_is_the_upstreams_failure)
{
	struct fake_script	st = { 200, "text/event-stream", {
	    "data: {\"error\":{\"message\":\"overloaded\"}}\n\n",
	    "data: [DONE]\n\n" }, 2, 1, 0, 0, 0 };
	struct fake_script	mid = { 200, "text/event-stream", {
	    "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n",
	    "data: {\"id\":\"broken\",\n\n" }, 2, 1, 0, 0, 0 };
	struct delta_log		d;
	struct ods_llm_chat_sink	cs = { d_delta, &d, NULL };
	struct ods_llm_usage		u;
	int				started;

	delta_begin(&d, &st);
	/* Before anything was delivered: the caller can still answer 502. */
	ck_assert_int_eq(ods_llm_chat_stream(fl, "m", "[]", NULL, &cs, &started,
	    &u), ODS_EUPSTREAM);
	ck_assert_int_eq(started, 0);
	/* After a chunk: a malformed one ends the stream. */
	fake_set(&up_a, &mid);
	ck_assert_int_eq(ods_llm_chat_stream(fl, "m", "[]", NULL, &cs, &started,
	    &u), ODS_EUPSTREAM);
	ck_assert_int_eq(started, 1);
	ck_assert_uint_eq(d.text.len, 1);
	ods_buf_free(&d.text);
}
END_TEST

START_TEST(test_chat_stream_takes_a_json_answer_and_a_4xx)
{
	struct delta_log		d;
	struct ods_llm_chat_sink	cs = { d_delta, &d, NULL };
	struct ods_llm_usage		u;
	int				started;

	delta_begin(&d, NULL);
	serve(&up_a, 200, "application/json", "{\"choices\":[{\"message\":"
	    "{\"content\":\"whole\"}}],\"usage\":{\"prompt_tokens\":2,"
	    "\"completion_tokens\":1}}");
	ck_assert_int_eq(ods_llm_chat_stream(fl, "m", "[]", NULL, &cs, &started,
	    &u), ODS_OK);
	ck_assert_int_eq(started, 1);
	ck_assert_int_eq(d.chunks, 0);
	ck_assert_uint_eq(d.text.len, 5);
	ck_assert_int_eq(u.completion_tokens, 1);
	serve(&up_a, 400, "application/json", "{\"error\":{}}");
	ck_assert_int_eq(ods_llm_chat_stream(fl, "m", "[]", NULL, &cs, &started,
	    &u), ODS_EINVAL);
	ck_assert_int_eq(started, 0);
	ods_buf_free(&d.text);
}
END_TEST

START_TEST(test_chat_stream_stops_the_upstream_when_delta_refuses)
{
	struct fake_script	st = { 200, "text/event-stream", {
	    "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n",
	    "data: {\"choices\":[{\"delta\":{\"content\":\"b\"}}]}\n\n",
	    "data: {\"choices\":[{\"delta\":{\"content\":\"c\"}}]}\n\n",
	    "data: [DONE]\n\n" }, 4, 1, 0, 100, 0 };
	struct delta_log		d;
	struct ods_llm_chat_sink	cs = { d_delta, &d, NULL };
	struct ods_llm_usage		u;
	int				started, i;

	delta_begin(&d, &st);
	d.leave_after = 1;
	ck_assert_int_eq(ods_llm_chat_stream(fl, "m", "[]", NULL, &cs, &started,
	    &u), ODS_EIO);
	ck_assert_int_eq(started, 1);
	/* No usage came: the estimate is billed, not zero. */
	ck_assert_int_eq(u.known, 0);
	ck_assert(u.prompt_tokens > 0 && u.completion_tokens > 0);
	for (i = 0; i < 40 && !up_a.peer_closed; i++)
		fake_sleep_ms(25);
	ck_assert_int_eq(up_a.peer_closed, 1);
	ods_buf_free(&d.text);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("ods_llm");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_sse_splits_events_at_every_cut);
	tcase_add_test(tc, test_sse_feeds_one_byte_at_a_time);
	tcase_add_test(tc, test_sse_keeps_an_unfinished_event);
	tcase_add_test(tc, test_sse_data_joins_data_lines);
	tcase_add_test(tc, test_sse_inspect_finds_usage_only_chunks);
	tcase_add_test(tc, test_strip_null_usage_removes_only_that_key);
	tcase_add_test(tc, test_usage_scan_reads_spaced_and_nested_json);
	tcase_add_test(tc, test_base_url_adds_v1_once);
	tcase_add_test(tc, test_url_redact_drops_credentials_and_query);
	tcase_add_test(tc, test_redact_keys_replaces_key_shaped_words);
	tcase_add_test(tc, test_health_shows_backend_urls_without_credentials);
	tcase_add_test(tc, test_prepare_keeps_the_client_bytes_when_nothing_changes);
	tcase_add_test(tc, test_prepare_rewrites_an_alias_and_asks_streams_for_usage);
	tcase_add_test(tc, test_prepare_leaves_usage_alone_when_the_client_asked);
	tcase_add_test(tc, test_embeddings_default_to_the_builtin_model);
	tcase_add_test(tc, test_prepare_estimates_what_a_call_may_cost);
	tcase_add_test(tc, test_billed_is_the_usage_else_nothing_made_else_the_estimate);
	suite_add_tcase(s, tc);
	tc = tcase_create("forward");
	tcase_add_checked_fixture(tc, fwd_setup, fwd_teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_forward_falls_back_on_5xx_before_the_first_byte);
	tcase_add_test(tc, test_forward_passes_a_4xx_through_without_fallback);
	tcase_add_test(tc, test_forward_hides_a_refused_key_and_moves_on);
	tcase_add_test(tc, test_forward_redacts_keys_in_a_passed_on_4xx);
	tcase_add_test(tc, test_metric_label_of_a_made_up_model_is_other);
	tcase_add_test(tc, test_forward_stream_drops_the_injected_usage_event);
	tcase_add_test(tc, test_forward_stream_broken_after_the_first_event_is_reported);
	tcase_add_test(tc, test_forward_stops_the_upstream_when_the_client_leaves);
	tcase_add_test(tc, test_breaker_opens_then_half_opens_then_closes);
	tcase_add_test(tc, test_forward_times_out_a_silent_backend_and_moves_on);
	tcase_add_test(tc, test_embed_sends_batches_and_chat_returns_the_content);
	tcase_add_test(tc, test_chat_stream_delivers_each_chunk_and_the_usage);
	tcase_add_test(tc, test_chat_stream_error_event_is_the_upstreams_failure);
	tcase_add_test(tc, test_chat_stream_takes_a_json_answer_and_a_4xx);
	tcase_add_test(tc, test_chat_stream_stops_the_upstream_when_delta_refuses);
	suite_add_tcase(s, tc);
	tc = tcase_create("limits");
	tcase_add_test(tc, test_sse_refuses_an_event_over_the_cap);
	tcase_add_test(tc, test_prepare_refuses_bad_requests);
	tcase_add_test(tc, test_prepare_refuses_a_nul_inside_model);
	tcase_add_test(tc, test_prepare_bounds_max_tokens_and_n);
	suite_add_tcase(s, tc);
	return s;
}

const struct ods_check ods_check_program = { .suite = suite };
