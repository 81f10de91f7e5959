/*
 * tests/check_h_sse.c — the SSE frames of the Agent API's model answers
 * (fcgi/agent/h_sse.c) on in-memory responses: the web shape ({"content"}
 * with the upstream chunk's members, or a chunk made here), the OpenAI
 * shape (the upstream chunk as it is, or a full chat.completion.chunk),
 * the closing frame and [DONE], the error frame, and the client-gone poll.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ods.h"
#include "ods_test.h"
#include "../fcgi/agent/h_sse.h"
#include "ods_check.h"

static struct fake_req	 fr;
static struct ods_resp	*w;
static int		 gone;

static int
fake_gone(void *ctx)
{
	(void)ctx;
	return gone;
}

static void
setup(void)
{
	static char	*params[] = { "REQUEST_METHOD=POST",
	    "DOCUMENT_URI=/api/v1/chat", NULL };

	ck_assert_ptr_nonnull(fake_req_open(&fr, NULL, "agent-api", NULL,
	    params, "", 0));
	fr.io.gone = fake_gone;
	gone = 0;
	w = ods_resp_new(fr.r);
	ck_assert_ptr_nonnull(w);
}

static void
teardown(void)
{
	fake_req_close(&fr);
}

static const char chunk[] = "{\"id\":\"chatcmpl-up\",\"object\":"
    "\"chat.completion.chunk\",\n\"choices\":[{\"index\":0,\"delta\":"
    "{\"content\":\"Hi\"}}]}";

START_TEST(test_sse_web_frames_carry_content_and_the_chunk)
{
	struct h_sse	 s;
	struct ods_jw	*jw;
	const char	*b;

	h_sse_init(&s, fr.r, w, H_SSE_WEB, "m");
	ck_assert_int_eq(h_sse_delta(&s, "Hi", 2, chunk, strlen(chunk)), 0);
	ck_assert_int_eq(h_sse_delta(&s, "yo", 2, NULL, 0), 0);
	jw = h_sse_open(&s);
	ods_jw_kstr(jw, "message_id", "msg-1");
	ck_assert_int_eq(h_sse_close(&s), 0);
	h_sse_fini(&s);
	b = fake_body(&fr.fio);
	ck_assert_ptr_nonnull(strstr(b, "data: {\"content\":\"Hi\",\"id\":"
	    "\"chatcmpl-up\",\"object\":\"chat.completion.chunk\", \"choices\""));
	ck_assert_ptr_nonnull(strstr(b, "data: {\"content\":\"yo\",\"object\":"
	    "\"chat.completion.chunk\",\"model\":\"m\",\"choices\":[{\"index\":"
	    "0,\"delta\":{\"content\":\"yo\"},\"finish_reason\":null}]}\n\n"));
	ck_assert_ptr_nonnull(strstr(b, "data: {\"message_id\":\"msg-1\"}\n\n"
	    "data: [DONE]\n\n"));
	ck_assert_int_ge(fr.fio.flushes, 3);
}
END_TEST

START_TEST(test_sse_openai_frames_are_pure_chunks)
{
	struct h_sse	 s;
	const char	*b, *p;

	h_sse_init(&s, fr.r, w, H_SSE_OPENAI, "m");
	ck_assert_int_eq(h_sse_delta(&s, "Hi", 2, chunk, strlen(chunk)), 0);
	ck_assert_int_eq(h_sse_delta(&s, "yo", 2, NULL, 0), 0);
	h_sse_error(&s, ODS_EUPSTREAM);
	h_sse_fini(&s);
	b = fake_body(&fr.fio);
	/* The upstream's chunk as it came (a line break made a space). */
	ck_assert_ptr_nonnull(strstr(b, "data: {\"id\":\"chatcmpl-up\","
	    "\"object\":\"chat.completion.chunk\", \"choices\""));
	ck_assert_ptr_null(strstr(b, "\"content\":\"Hi\",\"id\""));
	p = strstr(b, "data: {\"id\":\"chatcmpl-");
	ck_assert_ptr_nonnull(p = strstr(p + 1, "data: {\"id\":\"chatcmpl-"));
	ck_assert_ptr_nonnull(strstr(p, "\"object\":\"chat.completion.chunk\","
	    "\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":"
	    "\"yo\"},\"finish_reason\":null}]}\n\n"));
	ck_assert_ptr_nonnull(strstr(b, "data: {\"error\":{\"message\":"));
	ck_assert_ptr_nonnull(strstr(b, "\"code\":\"upstream_error\"}}\n\n"
	    "data: [DONE]\n\n"));
}
END_TEST

START_TEST(test_sse_reports_a_client_gone)
{
	struct h_sse	s;

	h_sse_init(&s, fr.r, w, H_SSE_WEB, "m");
	ck_assert_int_eq(h_sse_gone(&s), 0);
	gone = 1;
	ck_assert_int_eq(h_sse_gone(&s), 1);
	h_sse_fini(&s);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("h_sse");
	TCase	*tc;

	tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_sse_web_frames_carry_content_and_the_chunk);
	tcase_add_test(tc, test_sse_openai_frames_are_pure_chunks);
	tcase_add_test(tc, test_sse_reports_a_client_gone);
	suite_add_tcase(s, tc);
	return s;
}

const struct ods_check ods_check_program = { .suite = suite };
