/*
 * tests/check_ods_llm_limits.c — per-key limits of the proxy in Redis:
 * allowed models, tokens per minute counted from real usage, and the
 * fail-open rule when Redis is down. Needs ODS_TEST_REDIS_URL (exit 77
 * without). Token budgets need the api_keys table: they are covered by
 * tests/integration/proxy-keys-limits.sh.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/ods_auth.h"
#include "core/ods_conf.h"
#include "llm/ods_llm_usage.h"
#include "store/ods_redis.h"
#include "ods_check.h"

static const char	*redis_url;
static struct ods_conf	*conf;
static struct ods_redis	*redis;
static char		 who[64];

static void
setup(void)
{
	conf = ods_conf_new();
	ck_assert_int_eq(ods_conf_set(conf, "REDIS_URL", redis_url, NULL),
	    ODS_OK);
	redis = ods_redis_new(conf, 2);
	ck_assert_ptr_nonnull(redis);
	snprintf(who, sizeof(who), "ak_t%ld_%d", (long)getpid(), rand());
}

static void
teardown(void)
{
	ods_redis_free(redis);
	ods_conf_free(conf);
}

static struct ods_principal
key(const char *const *models, size_t n, int tpm)
{
	struct ods_principal	p;

	memset(&p, 0, sizeof(p));
	p.kind = ODS_PRINCIPAL_APIKEY;
	p.user_id = "owner";
	p.key_id = who;
	p.models = models;
	p.nmodels = n;
	p.tpm = tpm;
	return p;
}

START_TEST(test_limits_refuse_a_model_outside_the_key)
{
	static const char *const	m[] = { "mock-chat" };
	struct ods_principal		p = key(m, 1, 0);
	struct ods_why				why;
	int				ra, quota;

	ck_assert_int_eq(ods_llm_limits_check(redis, NULL, &p, "mock-chat",
	    &ra, &quota, &why), ODS_OK);
	ck_assert_int_eq(ods_llm_limits_check(redis, NULL, &p, "gpt-4o",
	    &ra, &quota, &why), ODS_EFORBIDDEN);
	ck_assert_ptr_nonnull(strstr(why.msg, "gpt-4o"));
}
END_TEST

START_TEST(test_limits_count_tokens_per_minute)
{
	struct ods_principal	p = key(NULL, 0, 100);
	struct ods_why			why;
	int			ra, quota;

	ck_assert_int_eq(ods_llm_limits_check(redis, NULL, &p, "m", &ra,
	    &quota, &why), ODS_OK);
	ods_llm_limits_account(redis, NULL, &p, 60);
	ck_assert_int_eq(ods_llm_limits_check(redis, NULL, &p, "m", &ra,
	    &quota, &why), ODS_OK);
	ods_llm_limits_account(redis, NULL, &p, 40);
	ck_assert_int_eq(ods_llm_limits_check(redis, NULL, &p, "m", &ra,
	    &quota, &why), ODS_ELIMIT);
	ck_assert_int_eq(quota, 0);
	ck_assert_int_ge(ra, 1);
	ck_assert_int_le(ra, 60);
	ck_assert_ptr_nonnull(strstr(why.msg, "100 tokens per minute"));
}
END_TEST

START_TEST(test_limits_let_calls_through_when_redis_is_down)
{
	struct ods_conf		*c = ods_conf_new();
	struct ods_redis	*dead;
	struct ods_principal	 p = key(NULL, 0, 1);
	struct ods_why			 why;
	int			 ra, quota;

	ck_assert_int_eq(ods_conf_set(c, "REDIS_URL",
	    "redis://127.0.0.1:1/0", NULL), ODS_OK);
	dead = ods_redis_new(c, 1);
	ods_llm_limits_account(dead, NULL, &p, 50);
	ck_assert_int_eq(ods_llm_limits_check(dead, NULL, &p, "m", &ra,
	    &quota, &why), ODS_OK);
	ods_redis_free(dead);
	ods_conf_free(c);
}
END_TEST

START_TEST(test_limits_pass_an_open_route)
{
	struct ods_why	why;
	int	ra, quota;

	ck_assert_int_eq(ods_llm_limits_check(redis, NULL, NULL, "m", &ra,
	    &quota, &why), ODS_OK);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("ods_llm_limits");
	TCase	*tc;

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_limits_refuse_a_model_outside_the_key);
	tcase_add_test(tc, test_limits_count_tokens_per_minute);
	tcase_add_test(tc, test_limits_pass_an_open_route);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_limits_let_calls_through_when_redis_is_down);
	suite_add_tcase(s, tc);
	return s;
}

static int
start(void)
{
	if ((redis_url = ods_check_env("ODS_TEST_REDIS_URL")) == NULL)
		return ODS_CHECK_SKIP;
	return 0;
}

const struct ods_check ods_check_program = {
	.suite = suite, .setup = start,
};
