/*
 * tests/check_ods_llm_limits.c — limits of the proxy in Redis: allowed
 * models, tokens per minute held before a call and settled with its real
 * usage, JWT users' defaults (rpm, tpm, budget per sub), and the
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

/* Reserve estimate for p; the hold is settled by the caller. */
static enum ods_err
take(const struct ods_principal *p, const char *model, int64_t estimate,
    struct ods_llm_hold *h, int *ra, int *quota, struct ods_why *why)
{
	return ods_llm_limits_reserve(redis, NULL, conf, p, model, estimate,
	    h, ra, quota, why);
}

START_TEST(test_limits_refuse_a_model_outside_the_key)
{
	static const char *const	m[] = { "mock-chat" };
	struct ods_principal		p = key(m, 1, 0);
	struct ods_llm_hold		h;
	struct ods_why			why;
	int				ra, quota;

	ck_assert_int_eq(take(&p, "mock-chat", 10, &h, &ra, &quota, &why),
	    ODS_OK);
	ck_assert_int_eq(take(&p, "gpt-4o", 10, &h, &ra, &quota, &why),
	    ODS_EFORBIDDEN);
	ck_assert_ptr_nonnull(strstr(why.msg, "gpt-4o"));
}
END_TEST

START_TEST(test_limits_count_tokens_per_minute)
{
	struct ods_principal	p = key(NULL, 0, 100);
	struct ods_llm_hold	h;
	struct ods_why		why;
	int			ra, quota;

	ck_assert_int_eq(take(&p, "m", 500, &h, &ra, &quota, &why), ODS_OK);
	ods_llm_limits_settle(redis, &h, 60);
	ck_assert_int_eq(take(&p, "m", 500, &h, &ra, &quota, &why), ODS_OK);
	ods_llm_limits_settle(redis, &h, 40);
	ck_assert_int_eq(take(&p, "m", 1, &h, &ra, &quota, &why),
	    ODS_ELIMIT);
	ck_assert_int_eq(quota, 0);
	ck_assert_int_ge(ra, 1);
	ck_assert_int_le(ra, 60);
	ck_assert_ptr_nonnull(strstr(why.msg, "100 tokens per minute"));
}
END_TEST

/*
 * The bug of issue 12: checked before, counted after, so calls made
 * together all passed. Holds taken before the calls see each other.
 */
START_TEST(test_limits_hold_the_estimate_before_the_call)
{
	struct ods_principal	p = key(NULL, 0, 100);
	struct ods_llm_hold	h[8];
	struct ods_why		why;
	int			ra, quota, i, ok = 0;

	for (i = 0; i < 8; i++)
		if (take(&p, "m", 50, &h[i], &ra, &quota, &why) == ODS_OK)
			ok++;
	ck_assert_int_eq(ok, 2);
}
END_TEST

START_TEST(test_limits_settle_corrects_the_hold)
{
	struct ods_principal	p = key(NULL, 0, 100);
	struct ods_llm_hold	h, h2;
	struct ods_why		why;
	int			ra, quota;

	ck_assert_int_eq(take(&p, "m", 100, &h, &ra, &quota, &why), ODS_OK);
	ck_assert_int_eq(take(&p, "m", 1, &h2, &ra, &quota, &why),
	    ODS_ELIMIT);
	ods_llm_limits_settle(redis, &h, 10);
	ods_llm_limits_settle(redis, &h, 0);	/* once only */
	/* 10 used: the 90 held beyond it came back. */
	ck_assert_int_eq(take(&p, "m", 90, &h2, &ra, &quota, &why), ODS_OK);
	ck_assert_int_eq(take(&p, "m", 1, &h2, &ra, &quota, &why),
	    ODS_ELIMIT);
}
END_TEST

static struct ods_principal
user(const char *sub)
{
	struct ods_principal	p;

	memset(&p, 0, sizeof(p));
	p.kind = ODS_PRINCIPAL_TOKEN;
	p.user_id = sub;
	return p;
}

START_TEST(test_limits_give_jwt_users_their_defaults)
{
	struct ods_principal	p, q;
	struct ods_llm_hold	h;
	struct ods_why		why;
	char			sub[96], other[96];
	int			ra, quota;

	ck_assert_int_eq(ods_conf_set(conf, "ODS_LLM_USER_TPM", "100", NULL),
	    ODS_OK);
	/* A sub with characters a key name should not carry. */
	snprintf(sub, sizeof(sub), "user %s:\n*", who);
	snprintf(other, sizeof(other), "user-%s", who);
	p = user(sub);
	q = user(other);
	ck_assert_int_eq(take(&p, "m", 60, &h, &ra, &quota, &why), ODS_OK);
	ck_assert_int_eq(take(&p, "m", 60, &h, &ra, &quota, &why), ODS_OK);
	ck_assert_int_eq(take(&p, "m", 60, &h, &ra, &quota, &why),
	    ODS_ELIMIT);
	ck_assert_ptr_nonnull(strstr(why.msg, "100 tokens per minute"));
	/* Per user: another sub has its own minute. */
	ck_assert_int_eq(take(&q, "m", 60, &h, &ra, &quota, &why), ODS_OK);
}
END_TEST

START_TEST(test_limits_count_jwt_users_requests_per_minute)
{
	struct ods_principal	p;
	struct ods_llm_hold	h;
	struct ods_why		why;
	char			sub[96];
	int			ra, quota, i;

	ck_assert_int_eq(ods_conf_set(conf, "ODS_LLM_USER_RPM", "3", NULL),
	    ODS_OK);
	snprintf(sub, sizeof(sub), "rpm-%s", who);
	p = user(sub);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(take(&p, "m", 1, &h, &ra, &quota, &why),
		    ODS_OK);
		ods_llm_limits_settle(redis, &h, 0);
	}
	ck_assert_int_eq(take(&p, "m", 1, &h, &ra, &quota, &why),
	    ODS_ELIMIT);
	ck_assert_ptr_nonnull(strstr(why.msg, "3 requests per minute"));
	ck_assert_int_ge(ra, 1);
}
END_TEST

START_TEST(test_limits_give_jwt_users_a_budget)
{
	struct ods_principal	p;
	struct ods_llm_hold	h;
	struct ods_why		why;
	char			sub[96];
	int			ra, quota;

	ck_assert_int_eq(ods_conf_set(conf, "ODS_LLM_USER_BUDGET", "50",
	    NULL), ODS_OK);
	ck_assert_int_eq(ods_conf_set(conf, "ODS_LLM_USER_BUDGET_PERIOD",
	    "month", NULL), ODS_OK);
	snprintf(sub, sizeof(sub), "budget-%s", who);
	p = user(sub);
	ck_assert_int_eq(take(&p, "m", 40, &h, &ra, &quota, &why), ODS_OK);
	ods_llm_limits_settle(redis, &h, 50);
	ck_assert_int_eq(take(&p, "m", 1, &h, &ra, &quota, &why),
	    ODS_ELIMIT);
	ck_assert_int_eq(quota, 1);
	ck_assert_ptr_nonnull(strstr(why.msg, "50 tokens per month"));
}
END_TEST

START_TEST(test_limits_leave_the_dev_user_alone)
{
	struct ods_principal	p = user("dev_user_001");
	struct ods_llm_hold	h;
	struct ods_why		why;
	int			ra, quota, i;

	p.kind = ODS_PRINCIPAL_DEV;
	ck_assert_int_eq(ods_conf_set(conf, "ODS_LLM_USER_TPM", "1", NULL),
	    ODS_OK);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(take(&p, "m", 100, &h, &ra, &quota, &why),
		    ODS_OK);
}
END_TEST

START_TEST(test_limits_let_calls_through_when_redis_is_down)
{
	struct ods_conf		*c = ods_conf_new();
	struct ods_redis	*dead;
	struct ods_principal	 p = key(NULL, 0, 1);
	struct ods_llm_hold	 h;
	struct ods_why		 why;
	int			 ra, quota;

	ck_assert_int_eq(ods_conf_set(c, "REDIS_URL",
	    "redis://127.0.0.1:1/0", NULL), ODS_OK);
	dead = ods_redis_new(c, 1);
	ck_assert_int_eq(ods_llm_limits_reserve(dead, NULL, c, &p, "m", 50,
	    &h, &ra, &quota, &why), ODS_OK);
	ck_assert_int_eq(ods_llm_limits_reserve(dead, NULL, c, &p, "m", 50,
	    &h, &ra, &quota, &why), ODS_OK);
	ods_llm_limits_settle(dead, &h, 50);
	ods_redis_free(dead);
	ods_conf_free(c);
}
END_TEST

START_TEST(test_limits_pass_an_open_route)
{
	struct ods_llm_hold	h;
	struct ods_why		why;
	int			ra, quota;

	ck_assert_int_eq(take(NULL, "m", 10, &h, &ra, &quota, &why), ODS_OK);
	ck_assert_uint_eq(h.nkeys, 0);
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
	tcase_add_test(tc, test_limits_hold_the_estimate_before_the_call);
	tcase_add_test(tc, test_limits_settle_corrects_the_hold);
	tcase_add_test(tc, test_limits_give_jwt_users_their_defaults);
	tcase_add_test(tc, test_limits_count_jwt_users_requests_per_minute);
	tcase_add_test(tc, test_limits_give_jwt_users_a_budget);
	tcase_add_test(tc, test_limits_leave_the_dev_user_alone);
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
