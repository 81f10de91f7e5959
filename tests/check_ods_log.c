/* tests/check_ods_log.c — JSON lines, escaping, redaction; ods_mem buffers. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ods.h"
#include "ods_check.h"

/* Run fn with stderr captured; returns what it wrote (caller frees). */
static char *
capture(void (*fn)(void))
{
	char	*out;
	int	 fds[2], saved;
	ssize_t	 n;

	ck_assert_int_eq(pipe(fds), 0);
	saved = dup(STDERR_FILENO);
	dup2(fds[1], STDERR_FILENO);
	fn();
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fds[1]);
	out = calloc(1, 65536);
	n = read(fds[0], out, 65535);
	ck_assert_int_gt(n, 0);
	close(fds[0]);
	return out;
}

static void
log_fields(void)
{
	ods_log_init("test-svc", ODS_LOG_INFO);
	ods_log_set_request_id("rid-1");
	ods_log(ODS_LOG_WARN, "db_acquire timeout_ms=%d host=%s", 5,
	    "evil\"\n\x01host");
	ods_log_set_request_id(NULL);
}

START_TEST(test_log_writes_one_json_object_per_line)
{
	char			*out = capture(log_fields);
	struct json_object	*o;
	struct json_object	*fields;
	struct ods_why	 e;
	const char		*s;

	ck_assert_int_eq(strchr(out, '\n') - out + 1, (long)strlen(out));
	ck_assert_int_eq(ods_json_parse(out, strlen(out), 0, &o, &e), ODS_OK);
	ck_assert_int_eq(ods_json_str(o, "level", 1, 0, &s, &e), ODS_OK);
	ck_assert_str_eq(s, "warn");
	ck_assert_int_eq(ods_json_str(o, "service", 1, 0, &s, &e), ODS_OK);
	ck_assert_str_eq(s, "test-svc");
	ck_assert_int_eq(ods_json_str(o, "request_id", 1, 0, &s, &e), ODS_OK);
	ck_assert_str_eq(s, "rid-1");
	ck_assert_int_eq(ods_json_str(o, "msg", 1, 0, &s, &e), ODS_OK);
	ck_assert_str_eq(s, "db_acquire");
	ck_assert_int_eq(ods_json_obj(o, "fields", 1, &fields, &e), ODS_OK);
	ck_assert_int_eq(ods_json_str(fields, "timeout_ms", 1, 0, &s, &e),
	    ODS_OK);
	ck_assert_str_eq(s, "5");
	ck_assert_int_eq(ods_json_str(fields, "host", 1, 0, &s, &e), ODS_OK);
	ck_assert_str_eq(s, "evil\"\n\x01host");
	ods_json_put(o);
	free(out);
}
END_TEST

static void
log_secrets(void)
{
	ods_log(ODS_LOG_ERR, "auth_failed authorization=Bearer abc.def.ghi "
	    "db_password=hunter2 access_token=tok123 user=bob");
}

START_TEST(test_log_never_writes_secrets)
{
	char	*out = capture(log_secrets);

	ck_assert_ptr_null(strstr(out, "abc.def"));
	ck_assert_ptr_null(strstr(out, "hunter2"));
	ck_assert_ptr_null(strstr(out, "tok123"));
	ck_assert_ptr_nonnull(strstr(out, "\"user\":\"bob\""));
	ck_assert_ptr_nonnull(strstr(out, "[redacted]"));
	free(out);
}
END_TEST

static void
log_below_level(void)
{
	ods_log_init("test-svc", ODS_LOG_WARN);
	ods_log(ODS_LOG_INFO, "hidden");
	ods_log(ODS_LOG_ERR, "shown");
}

START_TEST(test_log_skips_levels_below_the_minimum)
{
	char	*out = capture(log_below_level);

	ck_assert_ptr_null(strstr(out, "hidden"));
	ck_assert_ptr_nonnull(strstr(out, "shown"));
	free(out);
}
END_TEST

static void
log_huge(void)
{
	char	big[10000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ods_log(ODS_LOG_ERR, "huge value=%s", big);
}

START_TEST(test_log_long_lines_stay_valid_json)
{
	char			*out = capture(log_huge);
	struct json_object	*o;
	struct ods_why	 e;

	ck_assert_uint_le(strlen(out), 4096);
	ck_assert_int_eq(ods_json_parse(out, strlen(out), 0, &o, &e), ODS_OK);
	ods_json_put(o);
	free(out);
}
END_TEST

START_TEST(test_escape_replaces_invalid_utf8)
{
	char	out[64];

	ods_log_escape(out, sizeof(out), "a\xc3\x28" "b\xed\xa0\x80", 7);
	ck_assert_str_eq(out, "a\\ufffd(b\\ufffd\\ufffd\\ufffd");
	ods_log_escape(out, sizeof(out), "é中😀", strlen("é中😀"));
	ck_assert_str_eq(out, "é中😀");
	/* Never splits an escape at the end of the buffer. */
	ck_assert_uint_eq(ods_log_escape(out, 5, "\n\n\n", 3), 4);
	ck_assert_str_eq(out, "\\n\\n");
}
END_TEST

START_TEST(test_buf_refuses_past_its_cap)
{
	struct ods_buf	b;

	ods_buf_init(&b, 8);
	ck_assert_int_eq(ods_buf_add(&b, "12345", 5), ODS_OK);
	ck_assert_int_eq(ods_buf_add(&b, "6789", 4), ODS_ETOOBIG);
	ck_assert_str_eq(b.data, "12345");
	ck_assert_int_eq(ods_buf_addf(&b, "%d", 678), ODS_OK);
	ck_assert_str_eq(b.data, "12345678");
	ck_assert_int_eq(ods_buf_add(&b, "9", (size_t)-1), ODS_ETOOBIG);
	ods_buf_free(&b);
}
END_TEST

static int	deferred;

static void
count(void *arg)
{
	deferred += *(int *)arg;
}

START_TEST(test_arena_reuses_blocks_and_runs_defers)
{
	struct ods_arena	*a = ods_arena_new(1024);
	static int		 one = 1, ten = 10;
	char			*p;
	int			 i;

	for (i = 0; i < 100; i++) {
		p = ods_arena_alloc(a, 100);
		ck_assert_ptr_nonnull(p);
		ck_assert_int_eq(((uintptr_t)p) % 16, 0);
	}
	ck_assert_ptr_nonnull(ods_arena_alloc(a, 100000));
	ck_assert_int_eq(ods_arena_defer(a, count, &one), ODS_OK);
	ck_assert_int_eq(ods_arena_defer(a, count, &ten), ODS_OK);
	ods_arena_reset(a);
	ck_assert_int_eq(deferred, 11);
	ck_assert_uint_eq(ods_arena_used(a), 0);
	ck_assert_str_eq(ods_arena_printf(a, "%s-%d", "x", 7), "x-7");
	ods_arena_free(a);
	ck_assert_int_eq(deferred, 11);
}
END_TEST

START_TEST(test_err_map_is_total)
{
	int	e;

	/* HTTP x 100 + n, except 50003 (503) kept from the reference. */
	for (e = 1; e < ODS_ERR__MAX; e++) {
		if (e == ODS_EUNAVAIL)
			continue;
		ck_assert_int_eq(ods_err_code((enum ods_err)e) / 100,
		    ods_err_http((enum ods_err)e));
	}
	ck_assert_int_eq(ods_err_http(ODS_EUNAVAIL), 503);
	ck_assert_int_eq(ods_err_code(ODS_EUNAVAIL), 50003);
	ck_assert_int_eq(ods_err_http((enum ods_err)999), 500);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("ods_log");
	TCase	*core = tcase_create("core");
	TCase	*limits = tcase_create("limits");
	TCase	*errors = tcase_create("errors");

	tcase_add_test(core, test_log_writes_one_json_object_per_line);
	tcase_add_test(core, test_log_skips_levels_below_the_minimum);
	tcase_add_test(core, test_arena_reuses_blocks_and_runs_defers);
	tcase_add_test(core, test_err_map_is_total);
	tcase_add_test(limits, test_log_long_lines_stay_valid_json);
	tcase_add_test(limits, test_buf_refuses_past_its_cap);
	tcase_add_test(errors, test_log_never_writes_secrets);
	tcase_add_test(errors, test_escape_replaces_invalid_utf8);
	suite_add_tcase(s, core);
	suite_add_tcase(s, limits);
	suite_add_tcase(s, errors);
	return s;
}

const struct ods_check ods_check_program = { .suite = suite };
