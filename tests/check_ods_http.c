/* tests/check_ods_http.c — the libcurl client against a scripted server. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net/ods_http.h"
#include "llm/fake_upstream.h"
#include "ods_check.h"

static struct fake_upstream	srv;
static char			url[128];

static void
setup(void)
{
	fake_start(&srv);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/x", srv.port);
}

static void
teardown(void)
{
	ods_http_thread_reset();
	fake_stop(&srv);
}

static void
req_init(struct ods_http_req *req, const char *u)
{
	memset(req, 0, sizeof(*req));
	req->method = "POST";
	req->url = u;
	req->body = "{\"a\":1}";
	req->body_len = 7;
	req->headers[req->nheaders++] = "Content-Type: application/json";
	req->limits.connect_ms = 500;
	req->limits.total_ms = 5000;
}

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

START_TEST(test_http_returns_status_type_and_body)
{
	struct fake_script	s = { 201, "application/json", { "{\"ok\":",
	    "true}" }, 2, 0, 0, 0, 0 };
	struct ods_http_req	req;
	struct ods_http_resp	resp;

	fake_set(&srv, &s);
	req_init(&req, url);
	ck_assert_int_eq(ods_http_do(&req, &resp), ODS_OK);
	ck_assert_int_eq(resp.status, 201);
	ck_assert_str_eq(resp.ctype, "application/json");
	ck_assert_str_eq(resp.body.data, "{\"ok\":true}");
	ck_assert_str_eq(srv.last_body, "{\"a\":1}");
	ods_http_resp_fini(&resp);
}
END_TEST

START_TEST(test_http_pin_reaches_the_address)
{
	struct fake_script	s = { 200, "text/plain", { "pinned" }, 1, 0, 0,
	    0, 0 };
	struct ods_http_req	req;
	struct ods_http_resp	resp;
	char			u[128], to[128];

	/* A name that never resolves: only the pinned address is reached. */
	fake_set(&srv, &s);
	snprintf(u, sizeof(u), "http://hook.invalid:%d/x", srv.port);
	snprintf(to, sizeof(to), "hook.invalid:%d:127.0.0.1", srv.port);
	req_init(&req, u);
	ck_assert_int_ne(ods_http_do(&req, &resp), ODS_OK);
	ods_http_resp_fini(&resp);
	req.pin = to;
	ck_assert_int_eq(ods_http_do(&req, &resp), ODS_OK);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_str_eq(resp.body.data, "pinned");
	ods_http_resp_fini(&resp);
}
END_TEST

START_TEST(test_http_reuses_the_thread_connection)
{
	struct ods_http_req	req;
	struct ods_http_resp	resp;
	struct fake_script	s = { 200, "text/plain", { "x" }, 1, 0, 0, 0,
	    0 };
	int			i;

	fake_set(&srv, &s);
	req_init(&req, url);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(ods_http_do(&req, &resp), ODS_OK);
		ods_http_resp_fini(&resp);
	}
	ck_assert_int_eq(srv.requests, 3);
	ck_assert_int_eq(srv.connections, 1);
}
END_TEST

START_TEST(test_http_first_byte_timeout_fires_on_time)
{
	struct fake_script	s = { 200, "text/plain", { "late" }, 1, 0,
	    600, 0, 0 };
	struct ods_http_req	req;
	struct ods_http_resp	resp;
	double			t0;

	fake_set(&srv, &s);
	req_init(&req, url);
	req.limits.first_byte_ms = 150;
	t0 = now();
	ck_assert_int_eq(ods_http_do(&req, &resp), ODS_ETIMEOUT);
	ck_assert_double_lt(now() - t0, 0.4);
	ck_assert_int_eq(resp.status, 0);
	ods_http_resp_fini(&resp);
}
END_TEST

START_TEST(test_http_idle_timeout_stops_a_silent_stream)
{
	struct fake_script	s = { 200, "text/event-stream", { "data: 1\n\n",
	    "data: 2\n\n" }, 2, 1, 0, 800, 0 };
	struct ods_http_req	req;
	struct ods_http_resp	resp;

	fake_set(&srv, &s);
	req_init(&req, url);
	req.limits.idle_ms = 200;
	ck_assert_int_eq(ods_http_do(&req, &resp), ODS_ETIMEOUT);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_str_eq(resp.body.data, "data: 1\n\n");
	ods_http_resp_fini(&resp);
}
END_TEST

static int
stop_at_first(void *arg, const char *p, size_t n)
{
	(void)p;
	(void)n;
	(*(int *)arg)++;
	return 1;
}

START_TEST(test_http_callback_abort_closes_the_transfer)
{
	struct fake_script	s = { 200, "text/event-stream", { "data: 1\n\n",
	    "data: 2\n\n", "data: 3\n\n" }, 3, 1, 0, 100, 0 };
	struct ods_http_req	req;
	struct ods_http_resp	resp;
	int			calls = 0, i;

	fake_set(&srv, &s);
	req_init(&req, url);
	req.on_data = stop_at_first;
	req.arg = &calls;
	ck_assert_int_eq(ods_http_do(&req, &resp), ODS_EIO);
	ck_assert_int_eq(resp.aborted, 1);
	ck_assert_int_eq(calls, 1);
	/* The server sees the connection gone at its next write. */
	for (i = 0; i < 40 && !srv.peer_closed; i++)
		fake_sleep_ms(25);
	ck_assert_int_eq(srv.peer_closed, 1);
	ods_http_resp_fini(&resp);
}
END_TEST

START_TEST(test_http_caps_the_kept_body)
{
	struct fake_script	s = { 200, "text/plain", { "0123456789",
	    "0123456789" }, 2, 0, 0, 0, 0 };
	struct ods_http_req	req;
	struct ods_http_resp	resp;

	fake_set(&srv, &s);
	req_init(&req, url);
	req.limits.max_body = 12;
	ck_assert_int_eq(ods_http_do(&req, &resp), ODS_ETOOBIG);
	ods_http_resp_fini(&resp);
}
END_TEST

START_TEST(test_http_refused_connection_is_unavailable)
{
	struct ods_http_req	req;
	struct ods_http_resp	resp;
	char			dead[64];

	/* Port 1 on loopback: nothing listens there. */
	snprintf(dead, sizeof(dead), "http://127.0.0.1:1/v1/x");
	req_init(&req, dead);
	ck_assert_int_eq(ods_http_do(&req, &resp), ODS_EUNAVAIL);
	ods_http_resp_fini(&resp);
}
END_TEST

START_TEST(test_http_rejects_other_schemes)
{
	struct ods_http_req	req;
	struct ods_http_resp	resp;

	req_init(&req, "file:///etc/passwd");
	ck_assert_int_eq(ods_http_do(&req, &resp), ODS_EINVAL);
	ods_http_resp_fini(&resp);
	req_init(&req, "gopher://127.0.0.1/");
	ck_assert_int_eq(ods_http_do(&req, &resp), ODS_EINVAL);
	ods_http_resp_fini(&resp);
}
END_TEST

START_TEST(test_http_reset_mid_body_is_an_upstream_error)
{
	struct fake_script	s = { 200, "text/plain", { "abc", "def" }, 2,
	    0, 0, 20, 1 };
	struct ods_http_req	req;
	struct ods_http_resp	resp;

	fake_set(&srv, &s);
	req_init(&req, url);
	ck_assert_int_eq(ods_http_do(&req, &resp), ODS_EUPSTREAM);
	ods_http_resp_fini(&resp);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("ods_http");
	TCase	*tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_http_returns_status_type_and_body);
	tcase_add_test(tc, test_http_pin_reaches_the_address);
	tcase_add_test(tc, test_http_reuses_the_thread_connection);
	suite_add_tcase(s, tc);
	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_http_first_byte_timeout_fires_on_time);
	tcase_add_test(tc, test_http_idle_timeout_stops_a_silent_stream);
	tcase_add_test(tc, test_http_caps_the_kept_body);
	tcase_add_test(tc, test_http_callback_abort_closes_the_transfer);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_http_refused_connection_is_unavailable);
	tcase_add_test(tc, test_http_rejects_other_schemes);
	tcase_add_test(tc, test_http_reset_mid_body_is_an_upstream_error);
	suite_add_tcase(s, tc);
	return s;
}

const struct ods_check ods_check_program = { .suite = suite };
