/* tests/check_ods_req.c — requests built in memory, responses as written. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ods.h"
#include "ods_test.h"
#include "ods_check.h"

static const char *const prefixes[] = { "/api/v1/data", "/api/v1", NULL };

static struct ods_arena	*arena;
static struct ods_conf	*conf;
static struct fake_io	 fio;
static struct ods_req_io io = { fake_read, fake_write, fake_flush, &fio };
static struct ods_req_env env;

static void
setup(void)
{
	arena = ods_arena_new(4096);
	conf = ods_conf_new();
	conf->max_body_bytes = 1024;
	memset(&fio, 0, sizeof(fio));
	ods_buf_init(&fio.out, 1 << 20);
	memset(&env, 0, sizeof(env));
	env.conf = conf;
	env.service = "data-api";
	env.version = "test";
	env.prefixes = prefixes;
}

static void
teardown(void)
{
	ods_arena_free(arena);	/* runs the request's deferred frees */
	ods_conf_free(conf);
	ods_buf_free(&fio.out);
}

#define ck_assert_prefix(s, p)	ck_assert_msg(strncmp((s), (p), \
	strlen(p)) == 0, "'%s' does not start with '%s'", (s), (p))

static struct ods_req *
req(char **params, const char *body)
{
	struct ods_req	*r;

	fio.in = body;
	fio.inlen = body ? strlen(body) : 0;
	fio.inoff = 0;
	r = ods_req_new(arena, params, &io, &env);
	ck_assert_ptr_nonnull(r);
	return r;
}

START_TEST(test_req_strips_the_service_prefixes)
{
	char	*p1[] = { "REQUEST_METHOD=GET",
	    "DOCUMENT_URI=/api/v1/data/datasets/ds-1", NULL };
	char	*p2[] = { "REQUEST_URI=/api/v1/datasets/a%20b?x=1", NULL };
	char	*p3[] = { "DOCUMENT_URI=/api/v1", NULL };
	char	*p4[] = { "DOCUMENT_URI=/api/v1x/y", NULL };

	ck_assert_str_eq(ods_req_path(req(p1, NULL)), "/datasets/ds-1");
	ck_assert_str_eq(ods_req_path(req(p2, NULL)), "/datasets/a b");
	ck_assert_str_eq(ods_req_path(req(p3, NULL)), "/");
	ck_assert_str_eq(ods_req_path(req(p4, NULL)), "/api/v1x/y");
}
END_TEST

/* An alias is tried before the prefixes, on segment boundaries only. */
START_TEST(test_req_path_aliases)
{
	static const char *const pre[] = { "/api/v1/agent", "/api/v1",
	    "/api", NULL };
	static const struct ods_path_alias al[] = {
		{ "/api/v1/agent/templates", "/agent/templates" },
		{ NULL, NULL }
	};
	char	*p1[] = { "DOCUMENT_URI=/api/v1/agent/templates", NULL };
	char	*p2[] = { "DOCUMENT_URI=/api/v1/agent/templates/atpl-1", NULL };
	char	*p3[] = { "DOCUMENT_URI=/api/v1/agent/templatesX", NULL };
	char	*p4[] = { "DOCUMENT_URI=/api/v1/templates", NULL };
	char	*p5[] = { "DOCUMENT_URI=/api/v1/agent/run", NULL };
	char	*p6[] = { "REQUEST_URI=/api/v1/agent/templates?page=2", NULL };
	struct ods_req	*r;

	env.prefixes = pre;
	env.aliases = al;
	r = req(p1, NULL);
	ck_assert_str_eq(ods_req_path(r), "/agent/templates");
	ck_assert_str_eq(ods_req_raw_path(r), "/api/v1/agent/templates");
	ck_assert_str_eq(ods_req_path(req(p2, NULL)),
	    "/agent/templates/atpl-1");
	ck_assert_str_eq(ods_req_path(req(p3, NULL)), "/templatesX");
	ck_assert_str_eq(ods_req_path(req(p4, NULL)), "/templates");
	ck_assert_str_eq(ods_req_path(req(p5, NULL)), "/run");
	ck_assert_str_eq(ods_req_path(req(p6, NULL)), "/agent/templates");
	ck_assert_ptr_eq(ods_path_alias_find(al, "/api/v1/agent/templates/"),
	    &al[0]);
	ck_assert_ptr_null(ods_path_alias_find(al, "/api/v1/agent/template"));
	ck_assert_ptr_null(ods_path_alias_find(al, "/api/v1/agent/templatesX"));
	ck_assert_ptr_null(ods_path_alias_find(NULL, "/api/v1/agent/templates"));
	env.aliases = NULL;
	env.prefixes = prefixes;
}
END_TEST

START_TEST(test_req_query_cookie_and_headers)
{
	char		*p[] = { "REQUEST_METHOD=POST", "DOCUMENT_URI=/x",
	    "QUERY_STRING=a=1&b=x%2By+z&empty=&=bad&c", "HTTP_COOKIE="
	    "access_token=tok; theme=dark", "HTTP_X_CUSTOM_THING=v",
	    "CONTENT_TYPE=application/json", NULL };
	struct ods_req	*r = req(p, NULL);

	ck_assert_int_eq(ods_req_method(r), ODS_POST);
	ck_assert_str_eq(ods_req_query(r, "a"), "1");
	ck_assert_str_eq(ods_req_query(r, "b"), "x+y z");
	ck_assert_str_eq(ods_req_query(r, "empty"), "");
	ck_assert_ptr_null(ods_req_query(r, "c"));
	ck_assert_str_eq(ods_req_cookie(r, "theme"), "dark");
	ck_assert_str_eq(ods_req_cookie(r, "access_token"), "tok");
	ck_assert_str_eq(ods_req_header(r, "x-custom-thing"), "v");
	ck_assert_str_eq(ods_req_header(r, "Content-Type"),
	    "application/json");
	ck_assert_ptr_null(ods_req_header(r, "Authorization"));
}
END_TEST

START_TEST(test_req_id_comes_from_header_then_nginx_then_new)
{
	char	*p1[] = { "HTTP_X_REQUEST_ID=req-1-abc", "REQUEST_ID=n1", NULL };
	char	*p2[] = { "HTTP_X_REQUEST_ID=bad id\"<>", "REQUEST_ID=n1",
	    NULL };
	char	*p3[] = { "DOCUMENT_URI=/", NULL };
	const char *id;

	ck_assert_str_eq(ods_req_id(req(p1, NULL)), "req-1-abc");
	ck_assert_str_eq(ods_req_id(req(p2, NULL)), "n1");
	id = ods_req_id(req(p3, NULL));
	ck_assert_uint_eq(strlen(id), 16);
	ck_assert_str_ne(id, ods_req_id(req(p3, NULL)));
}
END_TEST

START_TEST(test_req_page_defaults_and_clamps)
{
	char		*p1[] = { "QUERY_STRING=", NULL };
	char		*p2[] = { "QUERY_STRING=page=0&page_size=5000", NULL };
	char		*p3[] = { "QUERY_STRING=limit=7&page=3", NULL };
	char		*p4[] = { "QUERY_STRING=page=abc", NULL };
	struct ods_page	 pg;

	ck_assert_int_eq(ods_req_page(req(p1, NULL), 20, &pg), ODS_OK);
	ck_assert_int_eq(pg.page, 1);
	ck_assert_int_eq(pg.page_size, 20);
	ck_assert_int_eq(ods_req_page(req(p2, NULL), 20, &pg), ODS_OK);
	ck_assert_int_eq(pg.page, 1);
	ck_assert_int_eq(pg.page_size, 1000);
	ck_assert_int_eq(ods_req_page(req(p3, NULL), 20, &pg), ODS_OK);
	ck_assert_int_eq(pg.page_size, 7);
	ck_assert_int_eq(pg.offset, 14);
	ck_assert_int_eq(ods_req_page(req(p4, NULL), 20, &pg), ODS_EINVAL);
}
END_TEST

START_TEST(test_req_body_is_capped)
{
	char		*p1[] = { "CONTENT_LENGTH=5000", NULL };
	char		*p2[] = { NULL };
	char		 big[2000];
	const char	*d;
	size_t		 n;

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	/* Content-Length says too big: refused before reading. */
	ck_assert_int_eq(ods_req_body(req(p1, "x"), &d, &n), ODS_ETOOBIG);
	/* No length given, but more bytes than the cap arrive. */
	ck_assert_int_eq(ods_req_body(req(p2, big), &d, &n), ODS_ETOOBIG);
	ck_assert_int_eq(ods_req_body(req(p2, "{}"), &d, &n), ODS_OK);
	ck_assert_str_eq(d, "{}");
	ck_assert_uint_eq(n, 2);
}
END_TEST

START_TEST(test_req_json_body_errors_name_the_field)
{
	char			*p[] = { "REQUEST_METHOD=POST", NULL };
	struct ods_req		*r = req(p, "{\"a\":1}");
	struct ods_resp		*w = ods_resp_new(r);
	struct json_object	*o;
	struct ods_why	 e;
	const char		*s;

	ck_assert_int_eq(ods_req_json(r, &o, &e), ODS_OK);
	ck_assert_int_eq(ods_json_str(o, "name", 1, 0, &s, &e), ODS_EINVAL);
	ck_assert_int_eq(ods_resp_json_error(w, &e), 400);
	ck_assert_ptr_nonnull(strstr(fio.out.data, "Status: 400"));
	ck_assert_prefix(fake_body(&fio), "{\"code\":40001,\"message\":"
	    "\"field 'name' is required\",\"error\":\"validation_error\","
	    "\"field\":\"name\",\"request_id\":\"");
}
END_TEST

START_TEST(test_resp_envelope_with_request_id)
{
	char		*p[] = { "HTTP_X_REQUEST_ID=abc", NULL };
	struct ods_req	*r = req(p, NULL);
	struct ods_resp	*w = ods_resp_new(r);
	struct ods_jw	*jw;
	struct ods_page	 pg = { 2, 10, 10 };
	char		 h[64];

	jw = ods_resp_envelope(w, ODS_HTTP_201, NULL);
	ods_jw_obj(jw);
	ods_jw_key(jw, "datasets");
	ods_jw_arr(jw);
	ods_jw_end(jw);
	ods_jw_page(jw, &pg, 11);
	ods_jw_end(jw);
	ods_jw_page(jw, &pg, 11);
	ck_assert_int_eq(ods_resp_send(w), 201);
	ck_assert_str_eq(fake_body(&fio), "{\"code\":0,\"message\":\"success\","
	    "\"request_id\":\"abc\",\"data\":{\"datasets\":[],\"total\":11,"
	    "\"page\":2,\"page_size\":10},\"total\":11,\"page\":2,"
	    "\"page_size\":10}");
	ck_assert_str_eq(fake_header(&fio, "Status", h, sizeof(h)),
	    "201 Created");
	ck_assert_str_eq(fake_header(&fio, "Content-Type", h, sizeof(h)),
	    "application/json");
	ck_assert_str_eq(fake_header(&fio, "X-Request-ID", h, sizeof(h)),
	    "abc");
	ck_assert_int_eq(atoi(fake_header(&fio, "Content-Length", h,
	    sizeof(h))), (int)strlen(fake_body(&fio)));
}
END_TEST

START_TEST(test_resp_error_shapes)
{
	char		*p[] = { "HTTP_X_REQUEST_ID=r1", "DOCUMENT_URI=/x", NULL };
	char		*v1[] = { "DOCUMENT_URI=/v1/models", NULL };
	struct ods_resp	*w;

	w = ods_resp_new(req(p, NULL));
	ck_assert_int_eq(ods_resp_error(w, ODS_EUNAVAIL, "database down"),
	    503);
	ck_assert_str_eq(fake_body(&fio), "{\"code\":50003,\"message\":"
	    "\"database down\",\"error\":\"unavailable\",\"request_id\":"
	    "\"r1\"}");
	ods_buf_reset(&fio.out);
	env.openai_errors = 1;
	w = ods_resp_new(req(v1, NULL));
	ck_assert_int_eq(ods_resp_error(w, ODS_EAUTH, "bad key"), 401);
	ck_assert_str_eq(fake_body(&fio), "{\"error\":{\"message\":\"bad "
	    "key\",\"type\":\"authentication_error\",\"param\":null,\"code\":"
	    "\"unauthorized\"}}");
}
END_TEST

START_TEST(test_resp_refuses_header_injection)
{
	char		*p[] = { NULL };
	struct ods_resp	*w = ods_resp_new(req(p, NULL));

	ck_assert_int_eq(ods_resp_header(w, "X-A", "a\r\nSet-Cookie: x"),
	    ODS_EINVAL);
	ck_assert_int_eq(ods_resp_header(w, "X A", "b"), ODS_EINVAL);
	ck_assert_int_eq(ods_resp_header(w, "X-B", "ok"), ODS_OK);
}
END_TEST

START_TEST(test_resp_head_sends_no_body)
{
	char		*p[] = { "REQUEST_METHOD=HEAD", NULL };
	struct ods_resp	*w = ods_resp_new(req(p, NULL));

	ods_resp_raw(w, ODS_HTTP_200, "text/plain", "hello", 5);
	ck_assert_str_eq(fake_body(&fio), "");
	ck_assert_ptr_nonnull(strstr(fio.out.data, "Content-Length: 5"));
}
END_TEST

START_TEST(test_resp_stream_flushes_each_write)
{
	char		*p[] = { NULL };
	struct ods_resp	*w = ods_resp_new(req(p, NULL));

	ck_assert_int_eq(ods_resp_stream_begin(w, ODS_HTTP_200,
	    "text/event-stream"), ODS_OK);
	ck_assert_int_eq(ods_resp_stream_write(w, "data: 1\n\n", 9), ODS_OK);
	ck_assert_int_eq(ods_resp_stream_write(w, "data: 2\n\n", 9), ODS_OK);
	ck_assert_int_eq(fio.flushes, 3);
	ck_assert_ptr_nonnull(strstr(fio.out.data, "X-Accel-Buffering: no"));
	ck_assert_ptr_null(strstr(fio.out.data, "Content-Length"));
	ck_assert_str_eq(fake_body(&fio), "data: 1\n\ndata: 2\n\n");
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("ods_req");
	TCase	*core = tcase_create("core");
	TCase	*limits = tcase_create("limits");
	TCase	*errors = tcase_create("errors");

	tcase_add_checked_fixture(core, setup, teardown);
	tcase_add_checked_fixture(limits, setup, teardown);
	tcase_add_checked_fixture(errors, setup, teardown);
	tcase_add_test(core, test_req_strips_the_service_prefixes);
	tcase_add_test(core, test_req_path_aliases);
	tcase_add_test(core, test_req_query_cookie_and_headers);
	tcase_add_test(core, test_req_id_comes_from_header_then_nginx_then_new);
	tcase_add_test(core, test_resp_envelope_with_request_id);
	tcase_add_test(core, test_resp_head_sends_no_body);
	tcase_add_test(core, test_resp_stream_flushes_each_write);
	tcase_add_test(limits, test_req_page_defaults_and_clamps);
	tcase_add_test(limits, test_req_body_is_capped);
	tcase_add_test(errors, test_req_json_body_errors_name_the_field);
	tcase_add_test(errors, test_resp_error_shapes);
	tcase_add_test(errors, test_resp_refuses_header_injection);
	suite_add_tcase(s, core);
	suite_add_tcase(s, limits);
	suite_add_tcase(s, errors);
	return s;
}

const struct ods_check ods_check_program = { .suite = suite };
