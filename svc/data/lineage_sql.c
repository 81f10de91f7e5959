/*
 * svc/data/lineage_sql.c — what a SELECT reads (lineage.h): the tables
 * after FROM and JOIN at any depth, and for a plain one-level SELECT the
 * output columns and the input columns each comes from. The tokens are
 * svc/data/sql_lex.c's (ods_sql_tokens); this file only reads their
 * order. It is no SQL parser: what it cannot read plainly it reports as
 * table-level (column_level 0), never as wrong columns.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql_lex.h"
#include "lineage.h"

#define TOKS_MAX	200000	/* a 256 KiB statement has fewer */

struct toks {
	struct ods_sql_tok	*t;
	size_t			 n, cap;
	const char		*s;
};

/* One alias of the FROM list: alias -> table as written. */
struct alias {
	char	*alias;
	char	*table;		/* NULL: a derived table */
};

struct parse {
	struct toks		 k;
	struct ods_lineage_sql	*out;
	char			**ctes;
	size_t			 nctes;
	struct alias		*al;
	size_t			 nal;
	int			 nomem;
};

/* Words that are never a column or an alias. */
static const char *const keywords[] = {
	"all", "and", "any", "as", "asc", "between", "binary", "both", "by",
	"case", "cast", "char", "character", "collate", "cross", "current_date",
	"current_time", "current_timestamp", "date", "datetime", "day",
	"decimal", "default", "desc", "distinct", "distinctrow", "div",
	"double",
	"else", "end", "escape", "except", "exists", "false", "fetch", "filter",
	"first", "float", "following", "for", "force", "from", "full", "group",
	"having", "hour", "ignore", "ilike", "in", "index", "inner", "int",
	"integer", "intersect", "interval", "into", "is", "join", "key",
	"last", "lateral", "leading", "left", "like", "limit", "lock",
	"minute", "mod", "month", "natural", "not", "null", "nulls", "numeric",
	"offset", "on", "or", "order", "outer", "over", "partition",
	"preceding", "range", "real", "regexp", "right", "rlike", "row", "rows",
	"second", "select", "signed", "similar", "straight_join", "symmetric",
	"tablesample", "text", "then", "time", "timestamp", "to", "trailing",
	"true", "unbounded", "union", "unsigned", "use", "using", "varchar",
	"week", "when", "where", "window", "with", "within", "xor", "year",
	"zone"
};

static int
kw(const struct ods_sql_tok *t, const char *w)
{
	return t->kind == ODS_SQL_TOK_WORD && strlen(w) == t->len &&
	    strncasecmp(t->p, w, t->len) == 0;
}

static int
keyword(const struct ods_sql_tok *t)
{
	size_t	i;

	if (t->kind != ODS_SQL_TOK_WORD)
		return 0;
	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (kw(t, keywords[i]))
			return 1;
	return 0;
}

static int
punct(const struct ods_sql_tok *t, char c)
{
	return t->kind == ODS_SQL_TOK_PUNCT && t->p[0] == c;
}

/* A word or quoted name that may name a table, column or alias. */
static int
ident(const struct ods_sql_tok *t)
{
	return t->kind == ODS_SQL_TOK_NAME ||
	    (t->kind == ODS_SQL_TOK_WORD && !keyword(t));
}

static int
collect(void *arg, const struct ods_sql_tok *t)
{
	struct toks		*k = arg;
	struct ods_sql_tok	*nt;
	size_t			 cap;

	if (k->n == k->cap) {
		if (k->cap >= TOKS_MAX)
			return -1;
		cap = k->cap == 0 ? 64 : k->cap * 2;
		nt = reallocarray(k->t, cap, sizeof(*nt));
		if (nt == NULL)
			return -1;
		k->t = nt;
		k->cap = cap;
	}
	k->t[k->n++] = *t;
	return 0;
}

/* Append the text of name token t (doubled quotes undone) to b at *o. */
static void
name_text(const struct toks *k, const struct ods_sql_tok *t, char *b,
    size_t *o)
{
	char	q = k->s[t->off];
	size_t	i;

	for (i = 0; i < t->len; i++) {
		b[(*o)++] = t->p[i];
		if (t->kind == ODS_SQL_TOK_NAME && t->p[i] == q &&
		    i + 1 < t->len && t->p[i + 1] == q)
			i++;
	}
}

/*
 * The dotted name of tokens [a, a + 2 * parts - 1), parts of it from
 * part 'from' on, as one string (malloc).
 */
static char *
dotted(struct parse *ps, size_t a, size_t from, size_t parts)
{
	size_t	 i, len = 0, o = 0;
	char	*b;

	for (i = from; i < parts; i++)
		len += ps->k.t[a + 2 * i].len + 1;
	if ((b = malloc(len + 1)) == NULL) {
		ps->nomem = 1;
		return NULL;
	}
	for (i = from; i < parts; i++) {
		if (i > from)
			b[o++] = '.';
		name_text(&ps->k, &ps->k.t[a + 2 * i], b, &o);
	}
	b[o] = '\0';
	return b;
}

/* How many parts the dotted name at a has (0: none). */
static size_t
name_parts(const struct parse *ps, size_t a)
{
	size_t	parts = 0;

	while (a < ps->k.n && ident(&ps->k.t[a])) {
		parts++;
		if (a + 2 < ps->k.n && punct(&ps->k.t[a + 1], '.') &&
		    (ps->k.t[a + 2].kind == ODS_SQL_TOK_NAME ||
		    ps->k.t[a + 2].kind == ODS_SQL_TOK_WORD))
			a += 2;
		else
			break;
	}
	return parts;
}

/* The index past the ')' matching the '(' at i (or the end). */
static size_t
skip_parens(const struct parse *ps, size_t i)
{
	int	depth = 0;

	for (; i < ps->k.n; i++) {
		if (punct(&ps->k.t[i], '('))
			depth++;
		else if (punct(&ps->k.t[i], ')') && --depth == 0)
			return i + 1;
	}
	return i;
}

static int
strv_has(char *const *v, size_t n, const char *s)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

/* Add s (taken) to *v once. */
static void
strv_add(struct parse *ps, char ***v, size_t *n, char *s)
{
	char	**nv;

	if (s == NULL)
		return;
	if (strv_has(*v, *n, s)) {
		free(s);
		return;
	}
	if ((nv = reallocarray(*v, *n + 1, sizeof(*nv))) == NULL) {
		free(s);
		ps->nomem = 1;
		return;
	}
	*v = nv;
	nv[(*n)++] = s;
}

static void
alias_add(struct parse *ps, size_t at, const char *table)
{
	struct alias	*na;
	char		*a, *t = NULL;

	if ((a = dotted(ps, at, 0, 1)) == NULL)
		return;
	if (table != NULL && (t = strdup(table)) == NULL) {
		free(a);
		ps->nomem = 1;
		return;
	}
	if ((na = reallocarray(ps->al, ps->nal + 1, sizeof(*na))) == NULL) {
		free(a);
		free(t);
		ps->nomem = 1;
		return;
	}
	ps->al = na;
	na[ps->nal].alias = a;
	na[ps->nal++].table = t;
}

/* WITH [RECURSIVE] name [(cols)] AS [[NOT] MATERIALIZED] (...), ... */
static void
ctes(struct parse *ps)
{
	size_t	i = 1;

	if (i < ps->k.n && kw(&ps->k.t[i], "recursive"))
		i++;
	while (i < ps->k.n && ident(&ps->k.t[i])) {
		strv_add(ps, &ps->ctes, &ps->nctes, dotted(ps, i, 0, 1));
		i++;
		if (i < ps->k.n && punct(&ps->k.t[i], '('))
			i = skip_parens(ps, i);
		if (i >= ps->k.n || !kw(&ps->k.t[i], "as"))
			return;
		i++;
		while (i < ps->k.n && (kw(&ps->k.t[i], "not") ||
		    kw(&ps->k.t[i], "materialized")))
			i++;
		if (i >= ps->k.n || !punct(&ps->k.t[i], '('))
			return;
		i = skip_parens(ps, i);
		if (i >= ps->k.n || !punct(&ps->k.t[i], ','))
			return;
		i++;
	}
}

/* An alias after a table or derived table at *i, if there is one. */
static void
table_alias(struct parse *ps, size_t *i, const char *table)
{
	if (*i < ps->k.n && kw(&ps->k.t[*i], "as"))
		(*i)++;
	if (*i < ps->k.n && ident(&ps->k.t[*i])) {
		alias_add(ps, *i, table);
		(*i)++;
	}
}

/* The table references after FROM or JOIN at i: t [AS] a, (..) x, ... */
static void
table_list(struct parse *ps, size_t i)
{
	size_t	 parts;
	char	*t;

	for (;;) {
		if (i < ps->k.n && kw(&ps->k.t[i], "lateral"))
			i++;
		if (i >= ps->k.n)
			return;
		if (punct(&ps->k.t[i], '(')) {
			/* A derived table: its own FROM is read on its own. */
			i = skip_parens(ps, i);
			table_alias(ps, &i, NULL);
		} else if ((parts = name_parts(ps, i)) > 0) {
			if (i + 2 * parts - 1 < ps->k.n &&
			    punct(&ps->k.t[i + 2 * parts - 1], '('))
				return;		/* a table function */
			if ((t = dotted(ps, i, 0, parts)) == NULL)
				return;
			i += 2 * parts - 1;
			if (parts == 1 && strv_has(ps->ctes, ps->nctes, t)) {
				table_alias(ps, &i, NULL);
				free(t);
			} else {
				table_alias(ps, &i, t);
				strv_add(ps, &ps->out->tables,
				    &ps->out->ntables, t);
			}
		} else
			return;
		if (i >= ps->k.n || !punct(&ps->k.t[i], ','))
			return;
		i++;
	}
}

/*
 * Every FROM and JOIN of a query level (the statement, or a parenthesis
 * that opens with SELECT or WITH): not the FROM of EXTRACT(x FROM d) or
 * of IS DISTINCT FROM.
 */
static void
tables(struct parse *ps)
{
	unsigned char	stack[256];
	size_t		i, sp = 0;
	int		query;

	for (i = 0; i < ps->k.n; i++) {
		const struct ods_sql_tok *t = &ps->k.t[i];

		if (punct(t, '(')) {
			query = i + 1 < ps->k.n &&
			    (kw(&ps->k.t[i + 1], "select") ||
			    kw(&ps->k.t[i + 1], "with") ||
			    punct(&ps->k.t[i + 1], '('));
			if (sp < sizeof(stack))
				stack[sp] = (unsigned char)query;
			sp++;
			continue;
		}
		if (punct(t, ')')) {
			if (sp > 0)
				sp--;
			continue;
		}
		if (sp > 0 && (sp > sizeof(stack) || !stack[sp - 1]))
			continue;
		if (kw(t, "join") || kw(t, "straight_join") || (kw(t, "from") &&
		    !(i > 0 && kw(&ps->k.t[i - 1], "distinct"))))
			table_list(ps, i + 1);
	}
}

/* The table a qualifier names: an alias's table, or itself. */
static char *
resolve(struct parse *ps, size_t at, size_t parts)
{
	char	*q, *r;
	size_t	 i, tl, ql;

	if ((q = dotted(ps, at, 0, parts)) == NULL)
		return NULL;
	for (i = 0; parts == 1 && i < ps->nal; i++)
		if (strcmp(ps->al[i].alias, q) == 0) {
			free(q);
			if (ps->al[i].table == NULL)
				return NULL;
			r = strdup(ps->al[i].table);
			if (r == NULL)
				ps->nomem = 1;
			return r;
		}
	/* "t" names "db.t" when the query reads db.t. */
	ql = strlen(q);
	for (i = 0; parts == 1 && i < ps->out->ntables; i++) {
		tl = strlen(ps->out->tables[i]);
		if (tl > ql && ps->out->tables[i][tl - ql - 1] == '.' &&
		    strcmp(ps->out->tables[i] + tl - ql, q) == 0) {
			free(q);
			if ((r = strdup(ps->out->tables[i])) == NULL)
				ps->nomem = 1;
			return r;
		}
	}
	return q;
}

static char *
slice(struct parse *ps, size_t a, size_t b)
{
	const struct ods_sql_tok	*first = &ps->k.t[a];
	const struct ods_sql_tok	*last = &ps->k.t[b - 1];
	char				*s;

	s = strndup(ps->k.s + first->off, last->end - first->off);
	if (s == NULL)
		ps->nomem = 1;
	return s;
}

static void
col_add(struct parse *ps, const char *dst, char *table, char *col,
    const char *expr)
{
	struct ods_lineage_sql		*o = ps->out;
	struct ods_lineage_sqlcol	*nc, *c;
	size_t				 i;

	for (i = 0; i < o->ncols; i++) {
		c = &o->cols[i];
		if (strcmp(c->dst, dst) == 0 && strcmp(c->src_col, col) == 0 &&
		    ((c->src_table == NULL && table == NULL) ||
		    (c->src_table != NULL && table != NULL &&
		    strcmp(c->src_table, table) == 0)))
			goto out;	/* a + a */
	}
	if ((nc = reallocarray(o->cols, o->ncols + 1, sizeof(*nc))) == NULL)
		goto nomem;
	o->cols = nc;
	c = &nc[o->ncols];
	memset(c, 0, sizeof(*c));
	if ((c->dst = strdup(dst)) == NULL ||
	    (expr != NULL && (c->expr = strdup(expr)) == NULL)) {
		free(c->dst);
		goto nomem;
	}
	c->src_table = table;
	c->src_col = col;
	o->ncols++;
	return;
nomem:
	ps->nomem = 1;
out:
	free(table);
	free(col);
}

static void
cols_clear(struct ods_lineage_sql *o)
{
	size_t	i;

	for (i = 0; i < o->ncols; i++) {
		free(o->cols[i].dst);
		free(o->cols[i].src_table);
		free(o->cols[i].src_col);
		free(o->cols[i].expr);
	}
	free(o->cols);
	o->cols = NULL;
	o->ncols = 0;
}

/* The column references of one select item [a, b), aliased dst or not. */
static void
item(struct parse *ps, size_t a, size_t b, size_t alias)
{
	size_t	 i, parts, plain;
	char	*dst = NULL, *expr = NULL, *tab, *col;

	plain = name_parts(ps, a);
	plain = plain > 0 && a + 2 * plain - 1 == b;
	if (!plain && (expr = slice(ps, a, b)) == NULL)
		return;
	if (alias != 0)
		dst = dotted(ps, alias, 0, 1);
	else if (plain)
		dst = dotted(ps, a + 2 * (name_parts(ps, a) - 1), 0, 1);
	else
		dst = strdup(expr);
	if (dst == NULL) {
		ps->nomem = 1;
		goto out;
	}
	for (i = a; i < b; i += parts > 0 ? 2 * parts - 1 : 1) {
		parts = 0;
		if (!ident(&ps->k.t[i]) || (i > a &&
		    (punct(&ps->k.t[i - 1], '.') ||
		    punct(&ps->k.t[i - 1], ':') ||
		    kw(&ps->k.t[i - 1], "as"))))
			continue;
		parts = name_parts(ps, i);
		if (i + 2 * parts - 1 < b &&
		    punct(&ps->k.t[i + 2 * parts - 1], '('))
			continue;	/* a function's name */
		tab = NULL;
		if (parts == 1 && ps->out->ntables == 1 &&
		    (tab = strdup(ps->out->tables[0])) == NULL)
			ps->nomem = 1;
		if (parts > 1)
			tab = resolve(ps, i, parts - 1);
		col = dotted(ps, i, parts - 1, parts);
		if (col == NULL) {
			free(tab);
			continue;
		}
		col_add(ps, dst, tab, col, expr);
	}
out:
	free(dst);
	free(expr);
}

/* The end of the select list: FROM at this level (or the end). */
static size_t
list_end(const struct parse *ps, size_t i)
{
	int	depth = 0;

	for (; i < ps->k.n; i++) {
		if (punct(&ps->k.t[i], '('))
			depth++;
		else if (punct(&ps->k.t[i], ')'))
			depth--;
		else if (depth == 0 && kw(&ps->k.t[i], "from"))
			return i;
	}
	return i;
}

/* Whether an item [a, b) ends in an alias: "expr AS x" or "expr x". */
static size_t
item_alias(const struct parse *ps, size_t a, size_t *b)
{
	const struct ods_sql_tok	*t = ps->k.t;

	if (*b - a >= 3 && kw(&t[*b - 2], "as") && ident(&t[*b - 1])) {
		*b -= 2;
		return *b + 1;
	}
	if (*b - a >= 2 && ident(&t[*b - 1]) &&
	    (t[*b - 2].kind != ODS_SQL_TOK_PUNCT || punct(&t[*b - 2], ')')) &&
	    !keyword(&t[*b - 2])) {
		*b -= 1;
		return *b;
	}
	if (*b - a >= 2 && ident(&t[*b - 1]) && kw(&t[*b - 2], "end")) {
		*b -= 1;
		return *b;	/* CASE ... END x */
	}
	return 0;
}

/* Whether the statement is one plain SELECT level. */
static int
plain_select(const struct parse *ps, size_t *from)
{
	size_t	i;
	int	depth = 0;

	if (ps->k.n == 0 || !kw(&ps->k.t[0], "select"))
		return 0;
	for (i = 0; i < ps->k.n; i++) {
		const struct ods_sql_tok *t = &ps->k.t[i];

		if (punct(t, '(')) {
			depth++;
			if (i + 1 < ps->k.n && (kw(&t[1], "select") ||
			    kw(&t[1], "with")))
				return 0;	/* a subquery */
		} else if (punct(t, ')'))
			depth--;
		else if (depth == 0 && (kw(t, "union") ||
		    kw(t, "intersect") || kw(t, "except")))
			return 0;
	}
	*from = list_end(ps, 1);
	return *from < ps->k.n;
}

static void
select_list(struct parse *ps)
{
	size_t	i = 1, a, b, from, alias;
	int	depth = 0;

	if (!plain_select(ps, &from))
		return;
	while (i < from && (kw(&ps->k.t[i], "distinct") ||
	    kw(&ps->k.t[i], "all") || kw(&ps->k.t[i], "distinctrow")))
		i++;
	if (i < from && kw(&ps->k.t[i], "on"))
		return;		/* PostgreSQL's DISTINCT ON (...) */
	/* A '*' item (or t.*): the columns are not in the text. */
	for (a = i; a < from; a++)
		if (punct(&ps->k.t[a], '*') && (a == i ||
		    punct(&ps->k.t[a - 1], ',') || punct(&ps->k.t[a - 1], '.')))
			return;
	for (a = i, b = i; b <= from; b++) {
		if (b < from && punct(&ps->k.t[b], '('))
			depth++;
		else if (b < from && punct(&ps->k.t[b], ')'))
			depth--;
		if (b < from && (depth != 0 || !punct(&ps->k.t[b], ',')))
			continue;
		if (b == a) {
			cols_clear(ps->out);	/* an empty item */
			return;
		}
		{
			size_t	e = b;

			alias = item_alias(ps, a, &e);
			item(ps, a, e, alias);
		}
		a = b + 1;
	}
	ps->out->column_level = !ps->nomem;
	if (!ps->out->column_level)
		cols_clear(ps->out);
}

static void
parse_free(struct parse *ps)
{
	size_t	i;

	for (i = 0; i < ps->nctes; i++)
		free(ps->ctes[i]);
	free(ps->ctes);
	for (i = 0; i < ps->nal; i++) {
		free(ps->al[i].alias);
		free(ps->al[i].table);
	}
	free(ps->al);
	free(ps->k.t);
}

static int
has_select(const struct parse *ps)
{
	size_t	i;

	for (i = 0; i < ps->k.n; i++)
		if (kw(&ps->k.t[i], "select"))
			return 1;
	return 0;
}

enum ods_err
ods_lineage_parse_sql(const char *sql, size_t len,
    struct ods_lineage_sql *out)
{
	struct parse	ps;
	enum ods_err	er;

	memset(out, 0, sizeof(*out));
	memset(&ps, 0, sizeof(ps));
	ps.out = out;
	ps.k.s = sql;
	/* MySQL's quoting first; text only PostgreSQL reads ($$) next. */
	er = ods_sql_tokens(sql, len, ODS_SQL_MYSQL, collect, &ps.k, NULL);
	if (er == ODS_EINVAL) {
		ps.k.n = 0;
		er = ods_sql_tokens(sql, len, ODS_SQL_PG, collect, &ps.k,
		    NULL);
	}
	if (er != ODS_OK)
		goto out;
	er = ODS_EINVAL;
	if (!has_select(&ps))
		goto out;
	if (kw(&ps.k.t[0], "with"))
		ctes(&ps);
	tables(&ps);
	if (!ps.nomem)
		select_list(&ps);
	er = ps.nomem ? ODS_ENOMEM : ODS_OK;
out:
	parse_free(&ps);
	if (er != ODS_OK)
		ods_lineage_sql_fini(out);
	return er;
}

void
ods_lineage_sql_fini(struct ods_lineage_sql *s)
{
	size_t	i;

	if (s == NULL)
		return;
	for (i = 0; i < s->ntables; i++)
		free(s->tables[i]);
	free(s->tables);
	cols_clear(s);
	memset(s, 0, sizeof(*s));
}
