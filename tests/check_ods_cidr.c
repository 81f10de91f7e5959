/*
 * tests/check_ods_cidr.c — CIDR ranges and lists (lib/core/ods_cidr).
 */
#include "config.h"

#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include "ods.h"
#include "ods_check.h"

static int
in(const struct ods_cidr *v, size_t n, const char *addr)
{
	unsigned char	a[16];

	if (inet_pton(AF_INET, addr, a) == 1)
		return ods_cidr_match(v, n, 4, a);
	ck_assert_int_eq(inet_pton(AF_INET6, addr, a), 1);
	return ods_cidr_match(v, n, 6, a);
}

START_TEST(test_cidr_list_matches_what_it_names)
{
	struct ods_cidr	*v = NULL;
	struct ods_why	 why;
	size_t		 n = 0;

	ck_assert_int_eq(ods_cidr_list_parse(" 10.0.0.0/8, 127.0.0.1\t"
	    "192.168.1.77/24,fd00::/8 ::1 169.254.0.0/16,,", &v, &n, &why),
	    ODS_OK);
	ck_assert_uint_eq(n, 6);
	ck_assert(in(v, n, "10.255.1.2"));
	ck_assert(!in(v, n, "11.0.0.1"));
	ck_assert(in(v, n, "127.0.0.1"));
	ck_assert(!in(v, n, "127.0.0.2"));
	ck_assert(in(v, n, "192.168.1.1"));
	ck_assert(!in(v, n, "192.168.2.1"));
	ck_assert(in(v, n, "fd12:3456::1"));
	ck_assert(!in(v, n, "fe80::1"));
	ck_assert(in(v, n, "::1"));
	ck_assert(in(v, n, "169.254.169.254"));
	/* An IPv4-mapped IPv6 address is its IPv4 address. */
	ck_assert(in(v, n, "::ffff:10.1.1.1"));
	ck_assert(!in(v, n, "::ffff:11.1.1.1"));
	free(v);
}
END_TEST

START_TEST(test_cidr_prefixes_off_byte_boundaries)
{
	struct ods_cidr	c;

	ck_assert_int_eq(ods_cidr_parse("fe80::/10", 9, &c), ODS_OK);
	ck_assert(in(&c, 1, "fe80::1"));
	ck_assert(in(&c, 1, "febf:ffff::1"));
	ck_assert(!in(&c, 1, "fec0::1"));
	ck_assert_int_eq(ods_cidr_parse("172.16.0.0/12", 13, &c), ODS_OK);
	ck_assert(in(&c, 1, "172.31.255.255"));
	ck_assert(!in(&c, 1, "172.32.0.0"));
	ck_assert_int_eq(ods_cidr_parse("0.0.0.0/0", 9, &c), ODS_OK);
	ck_assert(in(&c, 1, "8.8.8.8"));
	ck_assert(!in(&c, 1, "::1"));
	ck_assert_int_eq(ods_cidr_parse("::ffff:10.0.0.0/104", 19, &c),
	    ODS_OK);
	ck_assert_int_eq(c.family, 4);
	ck_assert_uint_eq(c.bits, 8);
}
END_TEST

START_TEST(test_cidr_empty_list_is_empty)
{
	struct ods_cidr	*v = (void *)1;
	size_t		 n = 9;

	ck_assert_int_eq(ods_cidr_list_parse("", &v, &n, NULL), ODS_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(ods_cidr_list_parse(NULL, &v, &n, NULL), ODS_OK);
	ck_assert_int_eq(ods_cidr_list_parse(" , ", &v, &n, NULL), ODS_OK);
	ck_assert_uint_eq(n, 0);
}
END_TEST

static const char *const bad[] = {
	"10.0.0.0/33", "::/129", "10.0.0.0/", "/8", "10.0.0/8", "10.0.0.0/08",
	"10.0.0.0/-1", "host.example", "10.0.0.0/8/8", "1.2.3.4.5",
	"10.0.0.0/1a", "fe80::1%eth0", "::g", "0x0a000000",
};

START_TEST(test_cidr_refuses_what_is_not_a_range)
{
	struct ods_cidr	*v = NULL;
	struct ods_why	 why;
	size_t		 n = 0;

	memset(&why, 0, sizeof(why));
	ck_assert_int_eq(ods_cidr_list_parse(bad[_i], &v, &n, &why),
	    ODS_EINVAL);
	ck_assert_ptr_null(v);
	ck_assert_ptr_nonnull(strstr(why.msg, "not an address"));
}
END_TEST

START_TEST(test_cidr_list_is_capped)
{
	struct ods_cidr	*v = NULL;
	struct ods_why	 why;
	char		*s;
	size_t		 n = 0, i;

	s = calloc(ODS_CIDR_LIST_MAX + 2, 9);	/* and the NUL */
	for (i = 0; i <= ODS_CIDR_LIST_MAX; i++)
		strcat(s, "10.0.0.1,");
	ck_assert_int_eq(ods_cidr_list_parse(s, &v, &n, &why), ODS_ETOOBIG);
	ck_assert_ptr_null(v);
	free(s);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("ods_cidr");
	TCase	*core = tcase_create("core");
	TCase	*limits = tcase_create("limits");
	TCase	*errors = tcase_create("errors");

	tcase_add_test(core, test_cidr_list_matches_what_it_names);
	tcase_add_test(core, test_cidr_prefixes_off_byte_boundaries);
	tcase_add_test(core, test_cidr_empty_list_is_empty);
	tcase_add_test(limits, test_cidr_list_is_capped);
	tcase_add_loop_test(errors, test_cidr_refuses_what_is_not_a_range, 0,
	    (int)ODS_NELEM(bad));
	suite_add_tcase(s, core);
	suite_add_tcase(s, limits);
	suite_add_tcase(s, errors);
	return s;
}

const struct ods_check ods_check_program = {
	.suite = suite,
};
