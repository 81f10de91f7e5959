/*
 * tests/check_ods_redis.c — the Redis pool against a real server.
 * Needs ODS_TEST_REDIS_URL=redis://127.0.0.1:PORT/0; exits 77 (skipped)
 * without it. Keys are prefixed with the test's pid.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/ods_conf.h"
#include "core/ods_err.h"
#include "core/ods_log.h"
#include "store/ods_redis.h"
#include "ods_check.h"
#include "ods_test_net.h"

static const char	*url;
static struct ods_conf	*conf;
static struct ods_redis	*rd;
static char		 key[64], key2[64];

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct ods_conf *
conf_with(const char *u, int timeout_ms)
{
	struct ods_conf	*c = ods_conf_new();
	struct ods_why		 why;

	ck_assert_int_eq(ods_conf_set(c, "REDIS_URL", u, &why),
	    ODS_OK);
	c->redis_timeout_ms = timeout_ms;
	return c;
}

static void
setup(void)
{
	conf = conf_with(url, 500);
	rd = ods_redis_new(conf, 4);
	ck_assert_ptr_nonnull(rd);
	snprintf(key, sizeof(key), "ods_test:%ld:k", (long)getpid());
	snprintf(key2, sizeof(key2), "ods_test:%ld:k2", (long)getpid());
}

static void
teardown(void)
{
	enum ods_err	er;

	if (rd != NULL) {
		er = ods_redis_del(rd, key, NULL);
		if (er == ODS_OK)
			er = ods_redis_del(rd, key2, NULL);
		ck_assert_int_eq(er, ODS_OK);
	}
	ods_redis_free(rd);
	rd = NULL;
	ods_conf_free(conf);
	conf = NULL;
}

static long long
client_id(struct ods_redis *r)
{
	const char		*argv[] = { "CLIENT", "ID" };
	struct ods_redis_reply	*x;
	long long		 id;

	ck_assert_int_eq(ods_redis_command(r, 2, argv, NULL, &x), ODS_OK);
	ck_assert_int_eq(x->type, ODS_REDIS_INTEGER);
	id = x->integer;
	ods_redis_reply_free(x);
	return id;
}

/* ---- core ---- */

START_TEST(test_redis_values_are_binary_safe)
{
	unsigned char	 v[300];
	char		*out;
	size_t		 i, len;

	for (i = 0; i < sizeof(v); i++)
		v[i] = (unsigned char)(255 - i);
	v[10] = 0;
	ck_assert_int_eq(ods_redis_set(rd, key, v, sizeof(v), 0, 0), ODS_OK);
	ck_assert_int_eq(ods_redis_get(rd, key, &out, &len), ODS_OK);
	ck_assert_uint_eq(len, sizeof(v));
	ck_assert(memcmp(out, v, sizeof(v)) == 0);
	ck_assert_int_eq(out[len], '\0');
	free(out);
	ck_assert_int_eq(ods_redis_set(rd, key, "", 0, 0, 0), ODS_OK);
	ck_assert_int_eq(ods_redis_get(rd, key, &out, &len), ODS_OK);
	ck_assert_uint_eq(len, 0);
	free(out);
}
END_TEST

START_TEST(test_redis_get_of_a_missing_key_is_not_found)
{
	char	*out = (char *)1;
	int	 deleted = 1;

	ck_assert_int_eq(ods_redis_del(rd, key, &deleted), ODS_OK);
	ck_assert_int_eq(deleted, 0);
	ck_assert_int_eq(ods_redis_get(rd, key, &out, NULL), ODS_ENOTFOUND);
	ck_assert_ptr_null(out);
}
END_TEST

START_TEST(test_redis_ttl_and_expire_are_applied)
{
	const char		*argv[] = { "PTTL", key };
	struct ods_redis_reply	*x;
	int			 set = 0;

	ck_assert_int_eq(ods_redis_set(rd, key, "v", 1, 5000, 0), ODS_OK);
	ck_assert_int_eq(ods_redis_command(rd, 2, argv, NULL, &x), ODS_OK);
	ck_assert(x->integer > 4000 && x->integer <= 5000);
	ods_redis_reply_free(x);
	ck_assert_int_eq(ods_redis_expire(rd, key, 100000, &set), ODS_OK);
	ck_assert_int_eq(set, 1);
	ck_assert_int_eq(ods_redis_command(rd, 2, argv, NULL, &x), ODS_OK);
	ck_assert(x->integer > 99000);
	ods_redis_reply_free(x);
	ck_assert_int_eq(ods_redis_expire(rd, key2, 1000, &set), ODS_OK);
	ck_assert_int_eq(set, 0);
}
END_TEST

START_TEST(test_redis_nx_and_xx_report_conflicts)
{
	ck_assert_int_eq(ods_redis_set(rd, key, "a", 1, 0, ODS_REDIS_XX),
	    ODS_ECONFLICT);
	ck_assert_int_eq(ods_redis_set(rd, key, "a", 1, 0, ODS_REDIS_NX),
	    ODS_OK);
	ck_assert_int_eq(ods_redis_set(rd, key, "b", 1, 0, ODS_REDIS_NX),
	    ODS_ECONFLICT);
	ck_assert_int_eq(ods_redis_set(rd, key, "c", 1, 1000, ODS_REDIS_XX),
	    ODS_OK);
}
END_TEST

START_TEST(test_redis_incr_counts_and_del_removes)
{
	long long	v = 0;
	int		deleted = 0;

	ck_assert_int_eq(ods_redis_incr(rd, key, 1, &v), ODS_OK);
	ck_assert_int_eq(v, 1);
	ck_assert_int_eq(ods_redis_incr(rd, key, 41, &v), ODS_OK);
	ck_assert_int_eq(v, 42);
	ck_assert_int_eq(ods_redis_incr(rd, key, -50, &v), ODS_OK);
	ck_assert_int_eq(v, -8);
	ck_assert_int_eq(ods_redis_del(rd, key, &deleted), ODS_OK);
	ck_assert_int_eq(deleted, 1);
}
END_TEST

START_TEST(test_redis_command_returns_an_owned_reply_tree)
{
	const char		*push[] = { "RPUSH", key, "a", "b\0c", "" };
	size_t			 plen[] = { 5, strlen(key), 1, 3, 0 };
	const char		*range[] = { "LRANGE", key, "0", "-1" };
	struct ods_redis_reply	*x;

	ck_assert_int_eq(ods_redis_command(rd, 5, push, plen, &x), ODS_OK);
	ck_assert_int_eq(x->type, ODS_REDIS_INTEGER);
	ck_assert_int_eq(x->integer, 3);
	ods_redis_reply_free(x);
	ck_assert_int_eq(ods_redis_command(rd, 4, range, NULL, &x), ODS_OK);
	ck_assert_int_eq(x->type, ODS_REDIS_ARRAY);
	ck_assert_uint_eq(x->nelem, 3);
	ck_assert_int_eq(x->elem[0].type, ODS_REDIS_STRING);
	ck_assert_str_eq(x->elem[0].str, "a");
	ck_assert_uint_eq(x->elem[1].len, 3);
	ck_assert(memcmp(x->elem[1].str, "b\0c", 3) == 0);
	ck_assert_uint_eq(x->elem[2].len, 0);
	ods_redis_reply_free(x);
	ods_redis_reply_free(NULL);
}
END_TEST

START_TEST(test_redis_eval_loads_a_script_once_then_uses_its_sha)
{
	static const char	 src[] =
	    "local n = redis.call('INCRBY', KEYS[1], ARGV[1])\n"
	    "redis.call('PEXPIRE', KEYS[1], ARGV[2])\n"
	    "return n";
	struct ods_redis_script	 s;
	struct ods_redis_reply	*x;
	const char		*argv[] = { key, "5", "60000" };
	const char		*flush[] = { "SCRIPT", "FLUSH" };
	const char		*exists[] = { "SCRIPT", "EXISTS", NULL };

	ods_redis_script_init(&s, src);
	ck_assert_uint_eq(strlen(s.sha), 40);
	exists[2] = s.sha;
	ck_assert_int_eq(ods_redis_command(rd, 2, flush, NULL, &x), ODS_OK);
	ods_redis_reply_free(x);
	ck_assert_int_eq(ods_redis_eval(rd, &s, 1, 3, argv, NULL, &x), ODS_OK);
	ck_assert_int_eq(x->type, ODS_REDIS_INTEGER);
	ck_assert_int_eq(x->integer, 5);
	ods_redis_reply_free(x);
	ck_assert_int_eq(ods_redis_command(rd, 3, exists, NULL, &x), ODS_OK);
	ck_assert_int_eq(x->elem[0].integer, 1);	/* our SHA-1 matches */
	ods_redis_reply_free(x);
	ck_assert_int_eq(ods_redis_eval(rd, &s, 1, 3, argv, NULL, &x), ODS_OK);
	ck_assert_int_eq(x->integer, 10);
	ods_redis_reply_free(x);
}
END_TEST

START_TEST(test_redis_ping_reports_latency)
{
	double	ms = -1;

	ck_assert_int_eq(ods_redis_ping(rd, &ms), ODS_OK);
	ck_assert(ms >= 0 && ms < 500);
}
END_TEST

START_TEST(test_redis_url_forms_are_accepted)
{
	static const char *const good[] = {
		"redis://127.0.0.1:6379/0", "redis://localhost", "redis://h/",
		"redis://:p%40ss@h:1/15", "redis://user:pw@h:6380",
		"redis://[::1]:6379/2", "redis://h:6379?db=3",
		"unix:///run/redis.sock", "unix:///tmp/r.sock?db=2&password=x",
		"unix://ods:p%40w@/tmp/r.sock?db=1", "unix://ods@/r.sock",
		"REDIS://H:1",
	};
	struct ods_why	why;
	size_t	i;

	for (i = 0; i < ODS_NELEM(good); i++)
		ck_assert_msg(ods_redis_url_check(good[i], &why) ==
		    ODS_OK, "%s: %s", good[i], why.msg);
}
END_TEST

START_TEST(test_redis_selects_the_database_of_the_url)
{
	struct ods_conf		*c;
	struct ods_redis	*r3;
	char			 u[256], *out, *slash;

	snprintf(u, sizeof(u), "%s", url);
	slash = strrchr(u, '/');
	ck_assert(slash != NULL && slash > u + 8);
	snprintf(slash, sizeof(u) - (size_t)(slash - u), "/3");
	c = conf_with(u, 500);
	r3 = ods_redis_new(c, 1);
	ck_assert_ptr_nonnull(r3);
	ck_assert_int_eq(ods_redis_set(r3, key, "in3", 3, 10000, 0), ODS_OK);
	ck_assert_int_eq(ods_redis_get(r3, key, &out, NULL), ODS_OK);
	ck_assert_str_eq(out, "in3");
	free(out);
	if (strcmp(url, u) != 0)
		ck_assert_int_eq(ods_redis_get(rd, key, &out, NULL),
		    ODS_ENOTFOUND);
	ck_assert_int_eq(ods_redis_del(r3, key, NULL), ODS_OK);
	ods_redis_free(r3);
	ods_conf_free(c);
}
END_TEST

/* ---- limits ---- */

START_TEST(test_redis_refuses_bad_argument_counts)
{
	const char		*argv[] = { "PING" };
	struct ods_redis_reply	*x = (void *)1;
	struct ods_redis_script	 s;

	ck_assert_int_eq(ods_redis_command(rd, 0, argv, NULL, &x), ODS_EINVAL);
	ck_assert_ptr_null(x);
	ck_assert_int_eq(ods_redis_command(rd, ODS_REDIS_MAX_ARGS + 1, argv,
	    NULL, &x), ODS_EINVAL);
	ods_redis_script_init(&s, "return 1");
	ck_assert_int_eq(ods_redis_eval(rd, &s, 2, 1, argv, NULL, &x),
	    ODS_EINVAL);
	ck_assert_int_eq(ods_redis_set(rd, key, "v", 1, 0,
	    ODS_REDIS_NX | ODS_REDIS_XX), ODS_EINVAL);
	ck_assert_int_eq(ods_redis_expire(rd, key, 0, NULL), ODS_EINVAL);
}
END_TEST

START_TEST(test_redis_round_trips_a_large_value)
{
	size_t	 n = 4u << 20, len;
	char	*v = malloc(n), *out;
	size_t	 i;

	ck_assert_ptr_nonnull(v);
	for (i = 0; i < n; i++)
		v[i] = (char)(i * 31);
	ck_assert_int_eq(ods_redis_set(rd, key, v, n, 10000, 0), ODS_OK);
	ck_assert_int_eq(ods_redis_get(rd, key, &out, &len), ODS_OK);
	ck_assert_uint_eq(len, n);
	ck_assert(memcmp(out, v, n) == 0);
	free(out);
	free(v);
}
END_TEST

static void *
hammer(void *arg)
{
	long long	v;
	int		i, ok = 0;

	for (i = 0; i < 500; i++)
		if (ods_redis_incr(rd, key, 1, &v) == ODS_OK)
			ok++;
	return (void *)(intptr_t)ok;
}

START_TEST(test_redis_threads_share_a_smaller_pool)
{
	pthread_t	 th[8];
	void		*ret;
	char		*out;
	size_t		 i;

	for (i = 0; i < ODS_NELEM(th); i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, hammer, NULL), 0);
	for (i = 0; i < ODS_NELEM(th); i++) {
		pthread_join(th[i], &ret);
		ck_assert_int_eq((int)(intptr_t)ret, 500);
	}
	ck_assert_int_eq(ods_redis_get(rd, key, &out, NULL), ODS_OK);
	ck_assert_str_eq(out, "4000");
	free(out);
}
END_TEST

START_TEST(test_redis_slow_command_times_out_then_holds_off)
{
	struct ods_conf		*c = conf_with(url, 200);
	struct ods_redis	*r = ods_redis_new(c, 1);
	const char		*argv[] = { "BLPOP", key2, "2" };
	struct ods_redis_reply	*x;
	double			 t0, el;

	t0 = now();
	ck_assert_int_eq(ods_redis_command(r, 3, argv, NULL, &x),
	    ODS_ETIMEOUT);
	el = now() - t0;
	ck_assert_msg(el >= 0.19 && el < 0.6, "timed out after %.3f s", el);
	t0 = now();
	ck_assert_int_eq(ods_redis_ping(r, NULL), ODS_EUNAVAIL);
	ck_assert(now() - t0 < 0.01);
	usleep((ODS_REDIS_HOLD_MS + 50) * 1000);
	ck_assert_int_eq(ods_redis_ping(r, NULL), ODS_OK);
	ods_redis_free(r);
	ods_conf_free(c);
}
END_TEST

/* ---- errors ---- */

START_TEST(test_redis_down_is_unavailable_quickly)
{
	struct ods_conf		*c;
	struct ods_redis	*r;
	char			 u[64], *out;
	double			 t0, el, ms;

	snprintf(u, sizeof(u), "redis://127.0.0.1:%d/0", closed_port());
	c = conf_with(u, 500);
	r = ods_redis_new(c, 2);
	ck_assert_ptr_nonnull(r);
	t0 = now();
	ck_assert_int_eq(ods_redis_get(r, "k", &out, NULL), ODS_EUNAVAIL);
	el = now() - t0;
	ck_assert_msg(el < 0.3, "first failure took %.3f s", el);
	t0 = now();
	ck_assert_int_eq(ods_redis_ping(r, &ms), ODS_EUNAVAIL);
	ck_assert_int_eq(ods_redis_set(r, "k", "v", 1, 0, 0), ODS_EUNAVAIL);
	el = now() - t0;
	ck_assert_msg(el < 0.005, "held failures took %.4f s", el);
	ods_redis_free(r);
	ods_conf_free(c);
}
END_TEST

START_TEST(test_redis_reconnects_transparently_after_client_kill)
{
	struct ods_conf		*c = conf_with(url, 500);
	struct ods_redis	*a = ods_redis_new(c, 1), *b = ods_redis_new(c, 1);
	struct ods_redis_reply	*x;
	char			 id[32];
	const char		*argv[] = { "CLIENT", "KILL", "ID", id };
	long long		 before;

	before = client_id(a);
	snprintf(id, sizeof(id), "%lld", before);
	ck_assert_int_eq(ods_redis_command(b, 4, argv, NULL, &x), ODS_OK);
	ck_assert_int_eq(x->integer, 1);
	ods_redis_reply_free(x);
	usleep(20 * 1000);
	ck_assert_int_eq(ods_redis_ping(a, NULL), ODS_OK);
	ck_assert(client_id(a) != before);
	ods_redis_free(a);
	ods_redis_free(b);
	ods_conf_free(c);
}
END_TEST

START_TEST(test_redis_error_replies_are_mapped)
{
	const char		*bogus[] = { "NOSUCHCOMMAND", "x" };
	const char		*lpush[] = { "LPUSH", key2, "x" };
	struct ods_redis_reply	*x;
	long long		 v;
	char			*out;

	ck_assert_int_eq(ods_redis_set(rd, key, "abc", 3, 0, 0), ODS_OK);
	ck_assert_int_eq(ods_redis_incr(rd, key, 1, &v), ODS_EINVAL);
	ck_assert_int_eq(ods_redis_command(rd, 2, bogus, NULL, &x),
	    ODS_EINTERNAL);
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(x->type, ODS_REDIS_ERROR);
	ck_assert(strstr(x->str, "unknown command") != NULL);
	ods_redis_reply_free(x);
	ck_assert_int_eq(ods_redis_command(rd, 3, lpush, NULL, &x), ODS_OK);
	ods_redis_reply_free(x);
	ck_assert_int_eq(ods_redis_get(rd, key2, &out, NULL), ODS_EINTERNAL);
	/* The connection survives error replies. */
	ck_assert_int_eq(ods_redis_ping(rd, NULL), ODS_OK);
}
END_TEST

START_TEST(test_redis_bad_urls_are_refused_without_leaking_secrets)
{
	static const char *const bad[] = {
		"", "http://h", "rediss://h:6379", "redis://", "redis://:pw@",
		"redis://h:0", "redis://h:65536", "redis://h:12ab",
		"redis://h/x", "redis://h/1?db=", "redis://h?foo=1",
		"redis://[::1", "redis://:p%zzsecret@h", "unix://rel/path",
		"unix://", "unix:///s.sock?db=x", "redis://h:6379/0?password=x",
	};
	struct ods_conf	*c;
	struct ods_why		 why;
	size_t		 i;

	for (i = 0; i < ODS_NELEM(bad); i++) {
		ck_assert_msg(ods_redis_url_check(bad[i], &why) ==
		    ODS_EINVAL, "accepted %s", bad[i]);
		ck_assert(why.msg[0] != '\0');
		ck_assert(strstr(why.msg, "secret") == NULL);
	}
	c = conf_with("redis://h:0", 500);
	ck_assert_ptr_null(ods_redis_new(c, 1));
	ods_conf_free(c);
}
END_TEST

START_TEST(test_redis_refused_password_is_unavailable)
{
	struct ods_conf		*c;
	struct ods_redis	*r;
	char			 u[256];
	const char		*hostpart = url + 8;

	/* Whatever the test server wants, this password is wrong. */
	if (strchr(hostpart, '@') != NULL)
		hostpart = strchr(hostpart, '@') + 1;
	snprintf(u, sizeof(u), "redis://:wrong@%s", hostpart);
	c = conf_with(u, 500);
	r = ods_redis_new(c, 1);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(ods_redis_ping(r, NULL), ODS_EUNAVAIL);
	ods_redis_free(r);
	ods_conf_free(c);
}
END_TEST

/*
 * scripts/test's Redis has an ACL user (redis://ods:PASSWORD@...): the
 * URL's user and password log in (AUTH user pass); the same user with
 * another password, or no credentials, do not.
 */
START_TEST(test_redis_url_user_and_password_log_in)
{
	struct ods_conf		*c;
	struct ods_redis	*r;
	char			 u[512];
	const char		*at = strchr(url + 8, '@'), *colon;

	if (at == NULL)
		return;		/* a server without a password */
	c = conf_with(url, 500);
	r = ods_redis_new(c, 1);
	ck_assert_int_eq(ods_redis_ping(r, NULL), ODS_OK);
	ods_redis_free(r);
	ods_conf_free(c);
	colon = memchr(url + 8, ':', (size_t)(at - (url + 8)));
	ck_assert_ptr_nonnull(colon);
	snprintf(u, sizeof(u), "%.*s:not-the-password%s",
	    (int)(colon - url), url, at);
	c = conf_with(u, 500);
	r = ods_redis_new(c, 1);
	ck_assert_int_eq(ods_redis_ping(r, NULL), ODS_EUNAVAIL);
	ods_redis_free(r);
	ods_conf_free(c);
	snprintf(u, sizeof(u), "redis://%s", at + 1);
	c = conf_with(u, 500);
	r = ods_redis_new(c, 1);
	ck_assert_int_eq(ods_redis_ping(r, NULL), ODS_EUNAVAIL);
	ods_redis_free(r);
	ods_conf_free(c);
}
END_TEST

static Suite *
redis_suite(void)
{
	Suite	*s = suite_create("ods_redis");
	TCase	*tc;

	tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_redis_values_are_binary_safe);
	tcase_add_test(tc, test_redis_get_of_a_missing_key_is_not_found);
	tcase_add_test(tc, test_redis_ttl_and_expire_are_applied);
	tcase_add_test(tc, test_redis_nx_and_xx_report_conflicts);
	tcase_add_test(tc, test_redis_incr_counts_and_del_removes);
	tcase_add_test(tc, test_redis_command_returns_an_owned_reply_tree);
	tcase_add_test(tc,
	    test_redis_eval_loads_a_script_once_then_uses_its_sha);
	tcase_add_test(tc, test_redis_ping_reports_latency);
	tcase_add_test(tc, test_redis_url_forms_are_accepted);
	tcase_add_test(tc, test_redis_selects_the_database_of_the_url);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_redis_refuses_bad_argument_counts);
	tcase_add_test(tc, test_redis_round_trips_a_large_value);
	tcase_add_test(tc, test_redis_threads_share_a_smaller_pool);
	tcase_add_test(tc, test_redis_slow_command_times_out_then_holds_off);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_redis_down_is_unavailable_quickly);
	tcase_add_test(tc,
	    test_redis_reconnects_transparently_after_client_kill);
	tcase_add_test(tc, test_redis_error_replies_are_mapped);
	tcase_add_test(tc,
	    test_redis_bad_urls_are_refused_without_leaking_secrets);
	tcase_add_test(tc, test_redis_refused_password_is_unavailable);
	tcase_add_test(tc, test_redis_url_user_and_password_log_in);
	suite_add_tcase(s, tc);
	return s;
}

static int
start(void)
{
	if ((url = ods_check_env("ODS_TEST_REDIS_URL")) == NULL)
		return ODS_CHECK_SKIP;
	if (strncmp(url, "redis://", 8) != 0) {
		fprintf(stderr, "ODS_TEST_REDIS_URL must be redis://\n");
		return 1;
	}
	ods_check_log("check_ods_redis");
	return 0;
}

const struct ods_check ods_check_program = {
	.suite = redis_suite, .setup = start,
};
