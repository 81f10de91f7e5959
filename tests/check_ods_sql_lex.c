/*
 * tests/check_ods_sql_lex.c — the statement gate of POST /query/execute
 * (svc/data/sql_lex.c): one read statement passes, with its kind and its
 * length without the ';'; a second statement, the words that reach files
 * or programs, executable comments and the statements that are not reads
 * are refused, each naming why; quotes, comments and dollar quoting hide
 * what they hold.
 */
#include "config.h"

#include <string.h>

#include "ods.h"
#include "../svc/data/sql_lex.h"
#include "ods_check.h"

static struct ods_sql_verdict	v;

static enum ods_err
chk(const char *s, enum ods_sql_dialect d)
{
	return ods_sql_check(s, strlen(s), d, &v);
}

static void
ok(const char *s, enum ods_sql_dialect d, const char *kind)
{
	ck_assert_msg(chk(s, d) == ODS_OK, "refused: %s (%s)", s, v.why);
	ck_assert_str_eq(v.kind, kind);
}

static void
no(const char *s, enum ods_sql_dialect d, const char *slug)
{
	ck_assert_msg(chk(s, d) == ODS_EINVAL, "passed: %s", s);
	ck_assert_msg(strcmp(v.slug, slug) == 0, "%s: slug %s, not %s", s,
	    v.slug, slug);
	ck_assert(v.why[0] != '\0');
}

START_TEST(test_sql_lex_passes_one_read_statement)
{
	ok("SELECT 1", ODS_SQL_MYSQL, "select");
	ok("  select * from t where a = 'x;y' ;  -- done\n", ODS_SQL_MYSQL,
	    "select");
	ck_assert_uint_eq(v.len, strlen("  select * from t where a = 'x;y' "));
	ok("WITH a AS (SELECT 1) SELECT * FROM a", ODS_SQL_PG, "with");
	ok("EXPLAIN SELECT 1", ODS_SQL_PG, "explain");
	ok("(SELECT 1) UNION (SELECT 2)", ODS_SQL_MYSQL, "select");
	ok("/* c; */ SHOW TABLES # x; y\n", ODS_SQL_MYSQL, "show");
	ok("DESCRIBE t", ODS_SQL_MYSQL, "describe");
	ok("SELECT `a;b` FROM t", ODS_SQL_MYSQL, "select");
	ok("SELECT 'it''s; fine', \"q\\\";\" FROM t", ODS_SQL_MYSQL,
	    "select");
	ok("SELECT 'a\\'; b'", ODS_SQL_MYSQL, "select");
	ok("SELECT $$a; b$$, $tag$ x $$ ; $tag$", ODS_SQL_PG, "select");
	ok("SELECT $1, a$b FROM t", ODS_SQL_PG, "select");
	ok("SELECT E'a\\'; b'", ODS_SQL_PG, "select");
	ok("SELECT /* a /* nested; */ still; */ 1", ODS_SQL_PG, "select");
	ok("VALUES (1), (2)", ODS_SQL_PG, "values");
	/* A write goes on, to be refused by the read-only session. */
	ok("DELETE FROM t", ODS_SQL_MYSQL, "delete");
	ok("SELECT 1--1", ODS_SQL_MYSQL, "select");
}
END_TEST

START_TEST(test_sql_lex_refuses_a_second_statement)
{
	no("SELECT 1; SELECT 2", ODS_SQL_MYSQL, "multiple_statements");
	no("SELECT 1; DROP TABLE t", ODS_SQL_PG, "multiple_statements");
	no("SELECT 1;;", ODS_SQL_MYSQL, "multiple_statements");
	no("SELECT 'a';'b'", ODS_SQL_MYSQL, "multiple_statements");
	/* PostgreSQL: a backslash does not escape in a standard string. */
	no("SELECT 'a\\'; DELETE FROM t; --'", ODS_SQL_PG,
	    "multiple_statements");
	/* MySQL: "--" before a non-blank is no comment. */
	no("SELECT 1 --x\n; SELECT 2", ODS_SQL_MYSQL, "multiple_statements");
	/* PostgreSQL: "#" is no comment. */
	no("SELECT 1 # ; SELECT 2", ODS_SQL_PG, "multiple_statements");
	/* MySQL: block comments do not nest. */
	no("SELECT /* /* */ 1; */ SELECT 2", ODS_SQL_MYSQL,
	    "multiple_statements");
}
END_TEST

START_TEST(test_sql_lex_refuses_files_and_programs)
{
	no("SELECT * FROM t INTO OUTFILE '/tmp/x'", ODS_SQL_MYSQL,
	    "forbidden_function");
	no("SELECT a INTO DUMPFILE '/tmp/x' FROM t", ODS_SQL_MYSQL,
	    "forbidden_function");
	no("SELECT LOAD_FILE('/etc/passwd')", ODS_SQL_MYSQL,
	    "forbidden_function");
	no("select load_file ('/etc/passwd')", ODS_SQL_MYSQL,
	    "forbidden_function");
	no("SELECT `load_file`('/etc/passwd')", ODS_SQL_MYSQL,
	    "forbidden_function");
	no("LOAD DATA INFILE '/etc/passwd' INTO TABLE t", ODS_SQL_MYSQL,
	    "forbidden_statement");
	no("COPY t TO PROGRAM 'id'", ODS_SQL_PG, "forbidden_statement");
	ck_assert(strstr(v.why, "COPY") != NULL);
	/* COPY is refused as a statement: "program" stays a plain name. */
	ok("SELECT program FROM t", ODS_SQL_PG, "select");
	no("COPY t TO STDOUT", ODS_SQL_PG, "forbidden_statement");
	no("SELECT pg_read_file('/etc/passwd')", ODS_SQL_PG,
	    "forbidden_function");
	no("SELECT pg_catalog.\"pg_read_file\"('x')", ODS_SQL_PG,
	    "forbidden_function");
	no("SELECT set_config('default_transaction_read_only','off',false)",
	    ODS_SQL_PG, "forbidden_function");
	no("SELECT GET_LOCK('x', 10)", ODS_SQL_MYSQL, "forbidden_function");
	no("SELECT lo_import('/etc/passwd')", ODS_SQL_PG,
	    "forbidden_function");
	no("SELECT \"load_file\"('/etc/passwd')", ODS_SQL_MYSQL,
	    "forbidden_function");	/* a name under ANSI_QUOTES */
	no("SELECT U&\"pg\\0072ead_file\"('x')", ODS_SQL_PG,
	    "unicode_escape");
	no("SELECT /*! LOAD_FILE('x') */ 1", ODS_SQL_MYSQL,
	    "executable_comment");
	no("SELECT /*M!100000 1 */", ODS_SQL_MYSQL, "executable_comment");
	/*
	 * User variables outlive the statement on a pooled connection: one
	 * caller's SELECT @x := secret would be the next caller's SELECT @x.
	 * System variables (@@x) are the server's and read-only here; '@' is
	 * an operator of PostgreSQL.
	 */
	no("SELECT @x := name FROM t", ODS_SQL_MYSQL, "user_variable");
	no("SELECT @x", ODS_SQL_MYSQL, "user_variable");
	no("SELECT @`x`, 1", ODS_SQL_MYSQL, "user_variable");
	no("SELECT @'x'", ODS_SQL_MYSQL, "user_variable");
	no("SELECT 1 INTO @x", ODS_SQL_MYSQL, "user_variable");
	ok("SELECT @@version, @@session.time_zone", ODS_SQL_MYSQL, "select");
	ok("SELECT 'a@b.c' AS mail", ODS_SQL_MYSQL, "select");
	ok("SELECT @ -5, a @> b FROM t", ODS_SQL_PG, "select");
	/* Inside a string these words are only text. */
	ok("SELECT 'INTO OUTFILE', 'pg_read_file'", ODS_SQL_MYSQL, "select");
	ok("SELECT $$pg_read_file$$", ODS_SQL_PG, "select");
}
END_TEST

START_TEST(test_sql_lex_refuses_what_is_no_read)
{
	no("DROP TABLE t", ODS_SQL_MYSQL, "forbidden_statement");
	no("SET SESSION TRANSACTION READ WRITE", ODS_SQL_MYSQL,
	    "forbidden_statement");
	no("create table x (a int)", ODS_SQL_PG, "forbidden_statement");
	no("DO $$ BEGIN END $$", ODS_SQL_PG, "forbidden_statement");
	no("CALL p()", ODS_SQL_MYSQL, "forbidden_statement");
	no("BEGIN", ODS_SQL_PG, "forbidden_statement");
}
END_TEST

START_TEST(test_sql_lex_refuses_broken_text)
{
	no("", ODS_SQL_MYSQL, "empty");
	no("  -- nothing\n", ODS_SQL_PG, "empty");
	no(";", ODS_SQL_PG, "empty");
	no("SELECT 'open", ODS_SQL_MYSQL, "syntax");
	no("SELECT \"open", ODS_SQL_PG, "syntax");
	no("SELECT /* open", ODS_SQL_PG, "syntax");
	no("SELECT $a$ open", ODS_SQL_PG, "syntax");
	no("SELECT 'a\\", ODS_SQL_MYSQL, "syntax");
	ck_assert_int_eq(ods_sql_check("SELECT 1\0; DROP TABLE t", 23,
	    ODS_SQL_MYSQL, &v), ODS_EINVAL);
	ck_assert_str_eq(v.slug, "syntax");
	ck_assert_int_eq(ods_sql_check(NULL, 0, ODS_SQL_PG, &v), ODS_EINVAL);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("ods_sql_lex");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_sql_lex_passes_one_read_statement);
	tcase_add_test(tc, test_sql_lex_refuses_a_second_statement);
	tcase_add_test(tc, test_sql_lex_refuses_files_and_programs);
	tcase_add_test(tc, test_sql_lex_refuses_what_is_no_read);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_add_test(tc, test_sql_lex_refuses_broken_text);
	suite_add_tcase(s, tc);
	return s;
}

const struct ods_check ods_check_program = { .suite = suite };
