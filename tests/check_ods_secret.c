/*
 * tests/check_ods_secret.c — sealing secrets at rest (lib/core/ods_secret):
 * round trips, tampering, wrong keys, rotation, references.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ods.h"
#include "ods_check.h"

/* Two keys, as an operator would write them: hex and base64. */
#define KEY_A	"000102030405060708090a0b0c0d0e0f" \
		"101112131415161718191a1b1c1d1e1f"
#define KEY_B	"q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA="
#define KEY_C	"ffeeddccbbaa99887766554433221100" \
		"ffeeddccbbaa99887766554433221100"

static struct ods_secret *
keys(const char *cur, const char *prev)
{
	struct ods_secret	*s = NULL;
	struct ods_why		 why;

	memset(&why, 0, sizeof(why));
	ck_assert_int_eq(ods_secret_new(cur, prev, &s, &why), ODS_OK);
	return s;
}

START_TEST(test_secret_seals_and_opens_a_password)
{
	struct ods_secret	*s = keys(KEY_A, NULL);
	char			*v = NULL, *p = NULL;
	int			 stale = -1;

	ck_assert_int_eq(ods_secret_seal(s, "hunter2-Pa55", 12, &v), ODS_OK);
	ck_assert(strncmp(v, "v1:", 3) == 0);
	ck_assert_ptr_null(strstr(v, "hunter2"));
	ck_assert(ods_secret_is_sealed(v));
	ck_assert_int_eq(ods_secret_open(s, v, &p, &stale), ODS_OK);
	ck_assert_str_eq(p, "hunter2-Pa55");
	ck_assert_int_eq(stale, 0);
	ods_secret_clear(p);
	free(v);
	ods_secret_free(s);
}
END_TEST

START_TEST(test_secret_seals_the_same_text_differently_each_time)
{
	struct ods_secret	*s = keys(KEY_B, NULL);
	char			*v1 = NULL, *v2 = NULL;

	ck_assert_int_eq(ods_secret_seal(s, "x", 1, &v1), ODS_OK);
	ck_assert_int_eq(ods_secret_seal(s, "x", 1, &v2), ODS_OK);
	ck_assert_str_ne(v1, v2);
	free(v1);
	free(v2);
	ods_secret_free(s);
}
END_TEST

START_TEST(test_secret_opens_an_empty_password)
{
	struct ods_secret	*s = keys(KEY_A, NULL);
	char			*v = NULL, *p = NULL;

	ck_assert_int_eq(ods_secret_seal(s, "", 0, &v), ODS_OK);
	ck_assert_int_eq(ods_secret_open(s, v, &p, NULL), ODS_OK);
	ck_assert_str_eq(p, "");
	ods_secret_clear(p);
	free(v);
	ods_secret_free(s);
}
END_TEST

START_TEST(test_secret_rotation_opens_old_values_as_stale)
{
	struct ods_secret	*old = keys(KEY_A, NULL);
	struct ods_secret	*now = keys(KEY_B, KEY_C "," KEY_A);
	char			*v = NULL, *p = NULL, *v2 = NULL;
	int			 stale = 0;

	ck_assert_int_eq(ods_secret_seal(old, "s3cret", 6, &v), ODS_OK);
	ck_assert_int_eq(ods_secret_open(now, v, &p, &stale), ODS_OK);
	ck_assert_str_eq(p, "s3cret");
	ck_assert_int_eq(stale, 1);
	/* Sealed again, it opens under the new key alone. */
	ck_assert_int_eq(ods_secret_seal(now, p, strlen(p), &v2), ODS_OK);
	ods_secret_clear(p);
	ods_secret_free(now);
	now = keys(KEY_B, NULL);
	ck_assert_int_eq(ods_secret_open(now, v2, &p, &stale), ODS_OK);
	ck_assert_int_eq(stale, 0);
	ck_assert_str_eq(p, "s3cret");
	/* The old value no longer opens once the old key is gone. */
	ods_secret_clear(p);
	p = NULL;
	ck_assert_int_eq(ods_secret_open(now, v, &p, NULL), ODS_ENOTFOUND);
	ck_assert_ptr_null(p);
	free(v);
	free(v2);
	ods_secret_free(old);
	ods_secret_free(now);
}
END_TEST

START_TEST(test_secret_refuses_a_tampered_value)
{
	struct ods_secret	*s = keys(KEY_A, NULL);
	char			*v = NULL, *p = NULL;
	size_t			 i, n;

	ck_assert_int_eq(ods_secret_seal(s, "password", 8, &v), ODS_OK);
	n = strlen(v);
	/* Every character past the kid, flipped in turn. */
	for (i = 3 + 8; i < n; i++) {
		char	c = v[i];

		if (c == '=')
			continue;
		v[i] = c == 'A' ? 'B' : 'A';
		ck_assert_int_ne(ods_secret_open(s, v, &p, NULL), ODS_OK);
		ck_assert_ptr_null(p);
		v[i] = c;
	}
	/* Truncated, or not a sealed value at all. */
	v[n - 6] = '\0';
	ck_assert_int_ne(ods_secret_open(s, v, &p, NULL), ODS_OK);
	ck_assert_int_eq(ods_secret_open(s, "v1:", &p, NULL), ODS_EINVAL);
	ck_assert_int_eq(ods_secret_open(s, "v1:***", &p, NULL), ODS_EINVAL);
	ck_assert_int_eq(ods_secret_open(s, "plain", &p, NULL), ODS_EINVAL);
	free(v);
	ods_secret_free(s);
}
END_TEST

START_TEST(test_secret_refuses_a_wrong_key)
{
	struct ods_secret	*a = keys(KEY_A, NULL), *c = keys(KEY_C, NULL);
	char			*v = NULL, *p = NULL;

	ck_assert_int_eq(ods_secret_seal(a, "pw", 2, &v), ODS_OK);
	ck_assert_int_eq(ods_secret_open(c, v, &p, NULL), ODS_ENOTFOUND);
	ck_assert_ptr_null(p);
	free(v);
	ods_secret_free(a);
	ods_secret_free(c);
}
END_TEST

START_TEST(test_secret_without_a_key_seals_nothing)
{
	struct ods_secret	*s = keys(NULL, NULL);
	char			*v = NULL;

	ck_assert(!ods_secret_has_key(s));
	ck_assert_int_eq(ods_secret_seal(s, "pw", 2, &v), ODS_EINVAL);
	ck_assert_ptr_null(v);
	ods_secret_free(s);
}
END_TEST

START_TEST(test_secret_refuses_keys_of_the_wrong_size)
{
	static const char *const bad[] = {
		"short", "0001020304", KEY_A "00", "q83vEjRWeJCrze8SNFZ4kA==",
		"zz0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d"
		"1e1f", "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=!"
	};
	struct ods_secret	*s = NULL;
	struct ods_why		 why;
	size_t			 i;

	for (i = 0; i < ODS_NELEM(bad); i++) {
		memset(&why, 0, sizeof(why));
		ck_assert_int_eq(ods_secret_new(bad[i], NULL, &s, &why),
		    ODS_EINVAL);
		ck_assert_ptr_null(s);
		ck_assert_str_eq(why.field, "ODS_SECRET_KEY");
		ck_assert_int_eq(ods_secret_new(KEY_A, bad[i], &s, &why),
		    ODS_EINVAL);
		ck_assert_str_eq(why.field, "ODS_SECRET_KEY_PREVIOUS");
	}
}
END_TEST

START_TEST(test_secret_reads_env_and_file_references)
{
	char	 path[] = "/tmp/ods-secret-XXXXXX";
	char	*p = NULL;
	FILE	*f;
	int	 fd;

	ck_assert(ods_secret_ref_valid("env:DS_PW"));
	ck_assert(ods_secret_ref_valid("file:/run/secrets/pw"));
	ck_assert(!ods_secret_ref_valid("env:"));
	ck_assert(!ods_secret_ref_valid("env:A-B"));
	ck_assert(!ods_secret_ref_valid("file:relative"));
	ck_assert(!ods_secret_ref_valid("hunter2"));
	setenv("ODS_TEST_SECRET_PW", "from-env", 1);
	ck_assert_int_eq(ods_secret_ref_read("env:ODS_TEST_SECRET_PW", &p),
	    ODS_OK);
	ck_assert_str_eq(p, "from-env");
	ods_secret_clear(p);
	ck_assert_int_eq(ods_secret_ref_read("env:ODS_TEST_SECRET_NONE", &p),
	    ODS_ENOTFOUND);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	fputs("from-file\nsecond line\n", f);
	fclose(f);
	{
		char	ref[64];

		snprintf(ref, sizeof(ref), "file:%s", path);
		ck_assert_int_eq(ods_secret_ref_read(ref, &p), ODS_OK);
		ck_assert_str_eq(p, "from-file");
		ods_secret_clear(p);
	}
	unlink(path);
	ck_assert_int_eq(ods_secret_ref_read("file:/nonexistent/x", &p),
	    ODS_ENOTFOUND);
	ck_assert_int_eq(ods_secret_ref_read("plain", &p), ODS_EINVAL);
}
END_TEST

START_TEST(test_secret_refuses_values_past_the_cap)
{
	struct ods_secret	*s = keys(KEY_A, NULL);
	char			*big, *v = NULL;

	big = calloc(1, ODS_SECRET_PLAIN_MAX + 2);
	memset(big, 'a', ODS_SECRET_PLAIN_MAX + 1);
	ck_assert_int_eq(ods_secret_seal(s, big, ODS_SECRET_PLAIN_MAX + 1,
	    &v), ODS_EINVAL);
	ck_assert_int_eq(ods_secret_seal(s, big, ODS_SECRET_PLAIN_MAX, &v),
	    ODS_OK);
	free(v);
	free(big);
	ods_secret_free(s);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("ods_secret");
	TCase	*core = tcase_create("core");
	TCase	*limits = tcase_create("limits");
	TCase	*errors = tcase_create("errors");

	tcase_add_test(core, test_secret_seals_and_opens_a_password);
	tcase_add_test(core,
	    test_secret_seals_the_same_text_differently_each_time);
	tcase_add_test(core, test_secret_opens_an_empty_password);
	tcase_add_test(core, test_secret_rotation_opens_old_values_as_stale);
	tcase_add_test(core, test_secret_reads_env_and_file_references);
	tcase_add_test(limits, test_secret_refuses_values_past_the_cap);
	tcase_add_test(errors, test_secret_refuses_a_tampered_value);
	tcase_add_test(errors, test_secret_refuses_a_wrong_key);
	tcase_add_test(errors, test_secret_without_a_key_seals_nothing);
	tcase_add_test(errors, test_secret_refuses_keys_of_the_wrong_size);
	suite_add_tcase(s, core);
	suite_add_tcase(s, limits);
	suite_add_tcase(s, errors);
	return s;
}

const struct ods_check ods_check_program = {
	.suite = suite,
};
