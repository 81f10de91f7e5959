/*
 * svc/data/sql_lex.c — one read statement or a refusal (sql_lex.h). A
 * single pass over the bytes: quotes and comments are skipped the way the
 * dialect's server reads them, every bare or quoted word is looked up in
 * the refused words, the first word is the statement's kind, and a ';'
 * ends the statement: past it only blanks and comments may follow.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sql_lex.h"

struct lex {
	const char		*s;
	size_t			 n;
	size_t			 i;
	enum ods_sql_dialect	 d;
	struct ods_sql_verdict	*v;
	size_t			 end;	/* the ';' seen, or 0 */
	int			 words;	/* bare words seen */
	/* ods_sql_tokens: words pass, every token goes to fn. */
	int			(*fn)(void *, const struct ods_sql_tok *);
	void			*arg;
};

/* Statement kinds sent on; writes are refused by the read-only session. */
static const char *const kinds[] = {
	"select", "with", "explain", "show", "describe", "desc", "values",
	"table", "insert", "update", "delete", "replace", "merge"
};

/* Words that reach files, programs or other sessions, and why. */
static const struct {
	const char	*word;
	int		 pg;	/* 0 MySQL, 1 PostgreSQL, 2 both */
	const char	*why;
} refused[] = {
	{ "outfile", 0, "INTO OUTFILE writes a file on the server" },
	{ "dumpfile", 0, "INTO DUMPFILE writes a file on the server" },
	{ "load_file", 0, "LOAD_FILE reads a file on the server" },
	{ "sys_exec", 0, "sys_exec runs a program on the server" },
	{ "sys_eval", 0, "sys_eval runs a program on the server" },
	{ "get_lock", 0, "GET_LOCK holds a lock past the query" },
	{ "pg_advisory_lock", 1, "pg_advisory_lock holds a lock past the "
	    "query" },
	{ "pg_advisory_lock_shared", 1, "pg_advisory_lock_shared holds a "
	    "lock past the query" },
	{ "pg_read_file", 1, "pg_read_file reads a file on the server" },
	{ "pg_read_binary_file", 1, "pg_read_binary_file reads a file on "
	    "the server" },
	{ "pg_ls_dir", 1, "pg_ls_dir lists the server's directories" },
	{ "pg_stat_file", 1, "pg_stat_file reads the server's files" },
	{ "pg_ls_logdir", 1, "pg_ls_logdir lists the server's files" },
	{ "pg_ls_waldir", 1, "pg_ls_waldir lists the server's files" },
	{ "pg_ls_tmpdir", 1, "pg_ls_tmpdir lists the server's files" },
	{ "pg_file_write", 1, "pg_file_write writes a file on the server" },
	{ "lo_import", 1, "lo_import reads a file on the server" },
	{ "lo_export", 1, "lo_export writes a file on the server" },
	{ "dblink", 1, "dblink reaches other servers" },
	{ "dblink_exec", 1, "dblink reaches other servers" },
	{ "dblink_connect", 1, "dblink reaches other servers" },
	{ "set_config", 1, "set_config changes the session's settings" },
	{ "query_to_xml", 1, "query_to_xml runs a statement given as text" },
	{ "query_to_xmlschema", 1, "query_to_xmlschema runs a statement "
	    "given as text" },
	{ "query_to_xml_and_xmlschema", 1, "query_to_xml_and_xmlschema runs "
	    "a statement given as text" },
	{ "pg_terminate_backend", 1, "pg_terminate_backend ends other "
	    "sessions" },
	{ "pg_cancel_backend", 1, "pg_cancel_backend stops other sessions' "
	    "statements" },
	{ "pg_reload_conf", 1, "pg_reload_conf reloads the server" },
	{ "pg_rotate_logfile", 1, "pg_rotate_logfile acts on the server" },
};

static int
refuse(struct lex *l, const char *slug, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
refuse(struct lex *l, const char *slug, const char *fmt, ...)
{
	va_list	ap;

	snprintf(l->v->slug, sizeof(l->v->slug), "%s", slug);
	va_start(ap, fmt);
	vsnprintf(l->v->why, sizeof(l->v->why), fmt, ap);
	va_end(ap);
	return -1;
}

/* Hand a token [off, end) to the reader of ods_sql_tokens, if any. */
static int
emit(struct lex *l, enum ods_sql_tok_kind kind, size_t off, size_t end,
    size_t p, size_t len)
{
	struct ods_sql_tok	t;

	if (l->fn == NULL)
		return 0;
	t.kind = kind;
	t.p = l->s + p;
	t.len = len;
	t.off = off;
	t.end = end;
	if (l->fn(l->arg, &t) != 0)
		return refuse(l, "nomem", "out of memory");
	return 0;
}

static int
word_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

/* A word (bare, or a quoted identifier's text), len bytes. */
static int
word(struct lex *l, const char *w, size_t len, int bare)
{
	char	buf[32];
	size_t	i;

	if (l->fn != NULL || len == 0 || len >= sizeof(buf))
		return 0;
	for (i = 0; i < len; i++)
		buf[i] = (char)tolower((unsigned char)w[i]);
	buf[len] = '\0';
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (strcmp(buf, refused[i].word) == 0 &&
		    (refused[i].pg == 2 || refused[i].pg == (int)l->d))
			return refuse(l, "forbidden_function", "%s",
			    refused[i].why);
	if (!bare || l->words++ > 0)
		return 0;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(buf, kinds[i]) == 0) {
			snprintf(l->v->kind, sizeof(l->v->kind), "%.15s",
			    buf);
			return 0;
		}
	if (strcmp(buf, "load") == 0)
		return refuse(l, "forbidden_statement", "LOAD DATA reads "
		    "files: only read statements are allowed");
	if (strcmp(buf, "copy") == 0)
		return refuse(l, "forbidden_statement", "COPY reads and "
		    "writes files and programs: only read statements are "
		    "allowed");
	return refuse(l, "forbidden_statement", "%s statements are not "
	    "allowed: only SELECT, WITH, EXPLAIN, SHOW, DESCRIBE, VALUES "
	    "and TABLE", buf);
}

/* A quoted run from l->i (at the quote) to its closing quote. */
static int
quoted(struct lex *l, char q, int backslash, int ident)
{
	size_t	start = ++l->i;
	char	c;

	while (l->i < l->n) {
		c = l->s[l->i];
		if (backslash && c == '\\') {
			l->i += 2;
			continue;
		}
		if (c == q) {
			if (l->i + 1 < l->n && l->s[l->i + 1] == q) {
				l->i += 2;	/* a doubled quote */
				continue;
			}
			l->i++;
			if (emit(l, ident ? ODS_SQL_TOK_NAME :
			    ODS_SQL_TOK_STRING, start - 1, l->i, ident ?
			    start : start - 1, ident ? l->i - 1 - start :
			    l->i - start + 1) != 0)
				return -1;
			return ident ? word(l, l->s + start,
			    l->i - 1 - start, 0) : 0;
		}
		l->i++;
	}
	return refuse(l, "syntax", "unterminated quoted %s",
	    ident ? "identifier" : "string");
}

static int
block_comment(struct lex *l)
{
	int	depth = 1;

	if (l->d == ODS_SQL_MYSQL && l->i + 2 < l->n &&
	    (l->s[l->i + 2] == '!' || (l->s[l->i + 2] == 'M' &&
	    l->i + 3 < l->n && l->s[l->i + 3] == '!')))
		return refuse(l, "executable_comment", "executable comments "
		    "(/*! ... */) are not allowed");
	l->i += 2;
	while (l->i < l->n) {
		if (l->s[l->i] == '*' && l->i + 1 < l->n &&
		    l->s[l->i + 1] == '/') {
			l->i += 2;
			if (--depth == 0 || l->d == ODS_SQL_MYSQL)
				return 0;
			continue;
		}
		if (l->d == ODS_SQL_PG && l->s[l->i] == '/' &&
		    l->i + 1 < l->n && l->s[l->i + 1] == '*') {
			depth++;
			l->i += 2;
			continue;
		}
		l->i++;
	}
	return refuse(l, "syntax", "unterminated comment");
}

static void
line_comment(struct lex *l)
{
	while (l->i < l->n && l->s[l->i] != '\n')
		l->i++;
}

/* PostgreSQL: $tag$ ... $tag$ at l->i; 1 when it was one, -1 refused. */
static int
dollar(struct lex *l)
{
	size_t	 t = l->i + 1, tlen, j;

	if (l->i > 0 && word_char((unsigned char)l->s[l->i - 1]))
		return 0;	/* inside a word: a$b */
	while (t < l->n && l->s[t] != '$') {
		if (!(isalpha((unsigned char)l->s[t]) || l->s[t] == '_' ||
		    (unsigned char)l->s[t] >= 0x80 ||
		    (t > l->i + 1 && isdigit((unsigned char)l->s[t]))))
			return 0;	/* $1, or not a tag */
		t++;
	}
	if (t >= l->n)
		return 0;
	tlen = t - l->i + 1;	/* "$tag$" */
	for (j = t + 1; j + tlen <= l->n; j++)
		if (l->s[j] == '$' && memcmp(l->s + j, l->s + l->i, tlen) ==
		    0) {
			if (emit(l, ODS_SQL_TOK_STRING, l->i, j + tlen, l->i,
			    j + tlen - l->i) != 0)
				return -1;
			l->i = j + tlen;
			return 1;
		}
	return refuse(l, "syntax", "unterminated dollar-quoted string");
}

/* MySQL reads "--" as a comment only before a blank or control byte. */
static int
dash_comment(const struct lex *l)
{
	unsigned char	c;

	if (l->s[l->i] != '-' || l->i + 1 >= l->n || l->s[l->i + 1] != '-')
		return 0;
	if (l->d == ODS_SQL_PG || l->i + 2 >= l->n)
		return 1;
	c = (unsigned char)l->s[l->i + 2];
	return c <= ' ';
}

/*
 * MySQL: '@' at l->i opens a user variable (@x, @`x`, @'x', @"x"), whose
 * value stays with the session: on a pooled connection the next caller
 * would read it. @@x (a system variable) is not one.
 */
static int
user_variable(const struct lex *l)
{
	unsigned char	n;

	if (l->i > 0 && l->s[l->i - 1] == '@')
		return 0;
	if (l->i + 1 >= l->n)
		return 0;
	n = (unsigned char)l->s[l->i + 1];
	return n != '@' && (word_char(n) || n == '`' || n == '\'' ||
	    n == '"');
}

/* One token at l->i; 0 goes on, -1 refused. */
static int
step(struct lex *l)
{
	unsigned char	c = (unsigned char)l->s[l->i];
	size_t		start;
	int		r;

	if (c == '\0')
		return refuse(l, "syntax", "the text holds a NUL byte");
	if (isspace(c)) {
		l->i++;
		return 0;
	}
	if (dash_comment(l) || (c == '#' && l->d == ODS_SQL_MYSQL)) {
		line_comment(l);
		return 0;
	}
	if (c == '/' && l->i + 1 < l->n && l->s[l->i + 1] == '*')
		return block_comment(l);
	if (l->end != 0)
		return refuse(l, "multiple_statements", "only one statement "
		    "is allowed: text follows the ';' at byte %zu", l->end);
	if (c == ';') {
		l->end = l->i + 1;
		l->v->len = l->i;
		l->i++;
		return 0;	/* the statement's end, no token */
	}
	if (c == '\'') {
		/* E'..' (PostgreSQL) escapes with backslashes. */
		r = l->d == ODS_SQL_MYSQL || (l->i > 0 &&
		    (l->s[l->i - 1] == 'e' || l->s[l->i - 1] == 'E') &&
		    (l->i < 2 || !word_char((unsigned char)l->s[l->i - 2])));
		return quoted(l, '\'', r, 0);
	}
	/*
	 * PostgreSQL: U&"..." spells a name in escapes (U&"pg\0072ead_file"):
	 * refused, the words could not be checked. MySQL: under ANSI_QUOTES
	 * "..." is a name, so its text is checked like one either way.
	 */
	if (c == '"' && l->d == ODS_SQL_PG && l->i >= 2 &&
	    l->s[l->i - 1] == '&' && (l->s[l->i - 2] == 'U' ||
	    l->s[l->i - 2] == 'u'))
		return refuse(l, "unicode_escape", "names written with "
		    "Unicode escapes (U&\"...\") are not allowed");
	if (c == '"')
		return quoted(l, '"', l->d == ODS_SQL_MYSQL, 1);
	if (c == '`' && l->d == ODS_SQL_MYSQL)
		return quoted(l, '`', 0, 1);
	if (c == '$' && l->d == ODS_SQL_PG && (r = dollar(l)) != 0)
		return r < 0 ? -1 : 0;
	if (word_char(c)) {
		start = l->i;
		while (l->i < l->n && word_char((unsigned char)l->s[l->i]))
			l->i++;
		/* A number is no word (1e5, 0x1f). */
		if (isdigit((unsigned char)l->s[start]))
			return emit(l, ODS_SQL_TOK_NUMBER, start, l->i, start,
			    l->i - start);
		if (emit(l, ODS_SQL_TOK_WORD, start, l->i, start,
		    l->i - start) != 0)
			return -1;
		return word(l, l->s + start, l->i - start, 1);
	}
	if (c == '@' && l->d == ODS_SQL_MYSQL && l->fn == NULL &&
	    user_variable(l))
		return refuse(l, "user_variable", "user variables (@name) are "
		    "not allowed: they outlive the statement on a shared "
		    "connection");
	l->i++;
	return emit(l, ODS_SQL_TOK_PUNCT, l->i - 1, l->i, l->i - 1, 1);
}

/* Walk the whole text; 0, or -1 refused (v says why). */
static int
run(struct lex *l, const char *sql, size_t len, enum ods_sql_dialect d,
    struct ods_sql_verdict *v)
{
	memset(v, 0, sizeof(*v));
	l->s = sql;
	l->n = sql == NULL ? 0 : len;
	l->d = d;
	l->v = v;
	v->len = l->n;
	while (l->i < l->n)
		if (step(l) != 0)
			return -1;
	return 0;
}

enum ods_err
ods_sql_check(const char *sql, size_t len, enum ods_sql_dialect d,
    struct ods_sql_verdict *v)
{
	struct lex	l;

	memset(&l, 0, sizeof(l));
	if (run(&l, sql, len, d, v) != 0)
		return ODS_EINVAL;
	if (l.words == 0) {
		refuse(&l, "empty", "the text holds no statement");
		return ODS_EINVAL;
	}
	if (v->kind[0] == '\0') {
		refuse(&l, "forbidden_statement", "only SELECT, WITH, "
		    "EXPLAIN, SHOW, DESCRIBE, VALUES and TABLE are allowed");
		return ODS_EINVAL;
	}
	return ODS_OK;
}

enum ods_err
ods_sql_tokens(const char *sql, size_t len, enum ods_sql_dialect d,
    int (*fn)(void *, const struct ods_sql_tok *), void *arg,
    struct ods_sql_verdict *v)
{
	struct ods_sql_verdict	own;
	struct lex		l;

	memset(&l, 0, sizeof(l));
	l.fn = fn;
	l.arg = arg;
	if (run(&l, sql, len, d, v != NULL ? v : &own) == 0)
		return ODS_OK;
	return strcmp(l.v->slug, "nomem") == 0 ? ODS_ENOMEM : ODS_EINVAL;
}
