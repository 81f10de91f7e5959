/*
 * tests/check_etl.c — the pure pieces of ETL (svc/data/etl_type.c): which
 * table and column names pass and how they are quoted for each dialect,
 * and column types mapped MariaDB <-> PostgreSQL through the neutral type.
 */
#include "config.h"

#include <string.h>

#include "ods.h"
#include "../svc/data/etl.h"
#include "ods_check.h"

START_TEST(test_etl_ident_accepts_plain_names)
{
	ck_assert(ods_etl_ident_ok("orders", 1));
	ck_assert(ods_etl_ident_ok("_t1$x", 1));
	ck_assert(ods_etl_ident_ok("sales.orders", 2));
	ck_assert(ods_etl_ident_ok("db.schema.t", 3));
}
END_TEST

START_TEST(test_etl_ident_refuses_anything_else)
{
	char	long_name[80];

	ck_assert(!ods_etl_ident_ok(NULL, 1));
	ck_assert(!ods_etl_ident_ok("", 1));
	ck_assert(!ods_etl_ident_ok("1abc", 1));
	ck_assert(!ods_etl_ident_ok("a b", 1));
	ck_assert(!ods_etl_ident_ok("t; DROP TABLE x", 1));
	ck_assert(!ods_etl_ident_ok("t`x", 1));
	ck_assert(!ods_etl_ident_ok("t\"x", 1));
	ck_assert(!ods_etl_ident_ok("a.b", 1));
	ck_assert(!ods_etl_ident_ok("a..b", 2));
	ck_assert(!ods_etl_ident_ok("a.", 2));
	ck_assert(!ods_etl_ident_ok(".a", 2));
	ck_assert(!ods_etl_ident_ok("a.b.c", 2));
	ck_assert(!ods_etl_ident_ok("caf\xc3\xa9", 1));
	memset(long_name, 'a', 65);
	long_name[65] = '\0';
	ck_assert(!ods_etl_ident_ok(long_name, 1));
	long_name[64] = '\0';
	ck_assert(ods_etl_ident_ok(long_name, 1));
}
END_TEST

START_TEST(test_etl_quote_per_dialect)
{
	char	b[200];

	ck_assert_int_eq(ods_etl_quote_ident("db.t", 0, b, sizeof(b)), 0);
	ck_assert_str_eq(b, "`db`.`t`");
	ck_assert_int_eq(ods_etl_quote_ident("s.t", 1, b, sizeof(b)), 0);
	ck_assert_str_eq(b, "\"s\".\"t\"");
	ck_assert_int_eq(ods_etl_quote_ident("x", 1, b, sizeof(b)), 0);
	ck_assert_str_eq(b, "\"x\"");
	ck_assert_int_eq(ods_etl_quote_ident("t`; x", 0, b, sizeof(b)), -1);
	ck_assert_int_eq(ods_etl_quote_ident("abcdef", 0, b, 5), -1);
}
END_TEST

static const char *
decl(const char *type, int pg)
{
	static char		b[64];
	struct ods_etl_coltype	ct;

	ods_etl_type_parse(type, &ct);
	ods_etl_type_decl(&ct, pg, b, sizeof(b));
	return b;
}

START_TEST(test_etl_types_mariadb_to_postgresql)
{
	ck_assert_str_eq(decl("int(11)", 1), "INTEGER");
	ck_assert_str_eq(decl("int unsigned", 1), "BIGINT");
	ck_assert_str_eq(decl("bigint(20) unsigned", 1), "NUMERIC(20,0)");
	ck_assert_str_eq(decl("tinyint(1)", 1), "SMALLINT");
	ck_assert_str_eq(decl("decimal(12,2)", 1), "NUMERIC(12,2)");
	ck_assert_str_eq(decl("varchar(40)", 1), "VARCHAR(40)");
	ck_assert_str_eq(decl("datetime", 1), "TIMESTAMP(0)");
	ck_assert_str_eq(decl("datetime(3)", 1), "TIMESTAMP(3)");
	ck_assert_str_eq(decl("time", 1), "TIME(0)");
	ck_assert_str_eq(decl("double", 1), "DOUBLE PRECISION");
	ck_assert_str_eq(decl("longtext", 1), "TEXT");
	ck_assert_str_eq(decl("longblob", 1), "BYTEA");
	ck_assert_str_eq(decl("json", 1), "JSONB");
	ck_assert_str_eq(decl("bit(1)", 1), "BOOLEAN");
	ck_assert_str_eq(decl("bit(8)", 1), "BIGINT");
}
END_TEST

START_TEST(test_etl_types_postgresql_to_mariadb)
{
	ck_assert_str_eq(decl("integer", 0), "INTEGER");
	ck_assert_str_eq(decl("int8", 0), "BIGINT");
	ck_assert_str_eq(decl("boolean", 0), "TINYINT(1)");
	ck_assert_str_eq(decl("numeric(10,3)", 0), "DECIMAL(10,3)");
	ck_assert_str_eq(decl("numeric", 0), "DECIMAL(38,10)");
	ck_assert_str_eq(decl("character varying(20)", 0), "VARCHAR(20)");
	ck_assert_str_eq(decl("character varying(70000)", 0), "LONGTEXT");
	ck_assert_str_eq(decl("timestamp with time zone", 0), "DATETIME(6)");
	ck_assert_str_eq(decl("timestamp(2)", 0), "DATETIME(2)");
	ck_assert_str_eq(decl("text", 0), "LONGTEXT");
	ck_assert_str_eq(decl("bytea", 0), "LONGBLOB");
	ck_assert_str_eq(decl("uuid", 0), "CHAR(36)");
	ck_assert_str_eq(decl("jsonb", 0), "LONGTEXT");
	ck_assert_str_eq(decl("real", 0), "FLOAT");
}
END_TEST

START_TEST(test_etl_types_unknown_are_text)
{
	ck_assert_str_eq(decl("geometry", 1), "TEXT");
	ck_assert_str_eq(decl(NULL, 0), "LONGTEXT");
	ck_assert_str_eq(decl("", 1), "TEXT");
	ck_assert_str_eq(decl("(((", 1), "TEXT");
	ck_assert_str_eq(decl("decimal(99,80)", 0), "DECIMAL(65,30)");
}
END_TEST

START_TEST(test_etl_kinds_round_trip)
{
	ck_assert_int_eq(ods_etl_kind_parse("table_copy"), ODS_ETL_TABLE_COPY);
	ck_assert_str_eq(ods_etl_kind_name(ODS_ETL_EXPORT), "export");
	ck_assert_int_eq(ods_etl_kind_parse("batch"), 0);
	ck_assert_int_eq(ods_etl_kind_parse(NULL), 0);
	ck_assert_str_eq(ods_etl_kind_name(0), "unknown");
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("etl");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_etl_ident_accepts_plain_names);
	tcase_add_test(tc, test_etl_quote_per_dialect);
	tcase_add_test(tc, test_etl_types_mariadb_to_postgresql);
	tcase_add_test(tc, test_etl_types_postgresql_to_mariadb);
	tcase_add_test(tc, test_etl_kinds_round_trip);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_add_test(tc, test_etl_ident_refuses_anything_else);
	tcase_add_test(tc, test_etl_types_unknown_are_text);
	suite_add_tcase(s, tc);
	return s;
}

const struct ods_check ods_check_program = { .suite = suite };
