/*
 * svc/data/sql_lex.h — the gate in front of POST /query/execute: one read
 * statement of MySQL/MariaDB or PostgreSQL, or a reason to refuse it.
 *
 * The text is untrusted. A small lexer walks it the way the server would:
 * quoted strings ('..', "..", with backslash escapes for MySQL and E'..'
 * for PostgreSQL), quoted identifiers (`..` for MySQL, ".." for
 * PostgreSQL, checked like bare words; MySQL's ".." too, a name under
 * ANSI_QUOTES), comments (-- with MySQL's rule
 * that a space must follow, # for MySQL, nested C-style
 * comments for PostgreSQL),
 * and PostgreSQL's dollar quoting ($$..$$, $tag$..$tag$). Outside of
 * those it refuses:
 *   - a second statement: anything but blanks and comments after a ';';
 *   - a statement kind that is not read (SELECT, WITH, EXPLAIN, SHOW,
 *     DESCRIBE/DESC, VALUES, TABLE, or a parenthesised SELECT) or a DML
 *     write (INSERT, UPDATE, DELETE, REPLACE, MERGE), which pass on to be
 *     refused by the read-only session; everything else (DDL, SET, LOAD
 *     DATA, COPY, CALL, DO, GRANT, transactions, ...) is refused here,
 *     since DDL is not held by a read-only transaction on MySQL;
 *   - words that reach the server's files or other sessions: INTO
 *     OUTFILE / DUMPFILE, LOAD_FILE, pg_read_file and its kin,
 *     lo_import / lo_export, dblink, set_config, query_to_xml, ...;
 *   - MySQL's user variables (@x, @`x`; @@x system variables pass): their
 *     values outlive the statement on a pooled connection;
 *   - MySQL's executable comments (a C-style comment opened by
 *     "/" "*!" or "/" "*M!"), which the server runs;
 *   - PostgreSQL names spelt in Unicode escapes (U&"..."), whose words
 *     cannot be checked;
 *   - a NUL byte, an unterminated quote or comment, an empty text.
 * It is the first guard, not the only one: the driver sends one statement
 * only (multi-statement mode off; libpq's extended protocol), in a
 * read-only session with a statement timeout.
 */
#ifndef SVC_SQL_LEX_H
#define SVC_SQL_LEX_H

#include <stddef.h>

#include "core/ods_err.h"

enum ods_sql_dialect {
	ODS_SQL_MYSQL = 0,
	ODS_SQL_PG
};

struct ods_sql_verdict {
	char	 kind[16];	/* the first keyword, lower case: "select" */
	size_t	 len;		/* the statement's bytes, its ';' left out */
	char	 why[160];	/* when refused: for people */
	char	 slug[32];	/* when refused: multiple_statements, ... */
};

/*
 * Check sql (len bytes) for the dialect. ODS_OK: one statement of an
 * allowed kind, its first v->len bytes to be sent as they are. ODS_EINVAL:
 * refused, v->slug and v->why say why. Never reads past len.
 */
enum ods_err	 ods_sql_check(const char *sql, size_t len,
		    enum ods_sql_dialect, struct ods_sql_verdict *v)
		    ODS_MUSTCHECK;

/*
 * The same walk, for readers of a statement's structure (lineage.c): every
 * token the server would see, in order, comments and blanks left out.
 * Words are not refused and no kind is required; a text the server
 * could not read (an unterminated quote or comment, a NUL, an executable
 * comment, U&"..." names, a second statement) still is.
 */
enum ods_sql_tok_kind {
	ODS_SQL_TOK_WORD = 0,	/* a bare word: SELECT, t1, a$b */
	ODS_SQL_TOK_NAME,	/* a quoted identifier: p/len its text without
				   the quotes, doubled quotes as written */
	ODS_SQL_TOK_STRING,	/* a string literal, p/len with its quotes */
	ODS_SQL_TOK_NUMBER,	/* 1, 1e5, 0x1f (the word's bytes) */
	ODS_SQL_TOK_PUNCT	/* one other byte: ( ) , . * ; = ... */
};

struct ods_sql_tok {
	enum ods_sql_tok_kind	 kind;
	const char		*p;	/* into the text, not terminated */
	size_t			 len;
	size_t			 off;	/* its first byte (a quote included) */
	size_t			 end;	/* past its last byte */
};

/*
 * Call fn for every token of sql (len bytes) in order; fn returning
 * non-zero stops the walk with ODS_ENOMEM (its only use: an allocation
 * failed). ODS_OK, or ODS_EINVAL with v->slug and v->why (v may be NULL).
 */
enum ods_err	 ods_sql_tokens(const char *sql, size_t len,
		    enum ods_sql_dialect,
		    int (*fn)(void *, const struct ods_sql_tok *), void *arg,
		    struct ods_sql_verdict *v) ODS_MUSTCHECK;

#endif /* SVC_SQL_LEX_H */
