/*
 * svc/agent/text2sql.c — text to SQL (text2sql.h): the source, the
 * schema context from its catalog, one model call on the caller's
 * behalf, the gate, EXPLAIN, and the optional run.
 */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/ods_conf.h"
#include "core/ods_err.h"
#include "core/ods_json.h"
#include "core/ods_mem.h"
#include "svc/data/catalog.h"
#include "svc/data/datasource.h"
#include "svc/data/query.h"
#include "svc/data/sql_lex.h"
#include "agent.h"
#include "agent_int.h"
#include "text2sql.h"
#include "tool.h"

#define CAT_MAX		((size_t)4 << 20)	/* a catalog read, bytes */
#define TABLES_SCAN	500			/* table names looked at */
#define WORDS_MAX	32

struct t2s_table {
	char	*database;
	char	*name;
	char	*desc;
	double	 score;			/* BM25 of the question */
	int	 tf[WORDS_MAX];		/* each question word's count */
	int	 dl;			/* the document's length, words */
};

struct t2s {
	const struct ods_tool_ctx	*tc;
	const struct ods_t2s_spec	*spec;
	struct ods_t2s_result		*res;
	struct ods_ds			*ds;
	enum ods_sql_dialect		 dialect;
	struct t2s_table		*t;
	size_t				 nt;	/* in the context */
	size_t				 nall;	/* read (to free) */
	char				*words[WORDS_MAX];
	size_t				 nwords;
};

/* ---- the source ---- */

static enum ods_err
find_source(struct t2s *x, struct ods_why *why)
{
	struct ods_ds	*list = NULL;
	const char	*id = x->spec->source_id;
	char		 found[80] = "";
	size_t		 n = 0, i;
	int64_t		 total;
	enum ods_err	 er;

	if (id == NULL) {
		er = ods_ds_list(x->tc->db, x->tc->owner, NULL, NULL, 0, 1000,
		    &list, &n, &total);
		if (er != ODS_OK)
			return er;
		for (i = 0; i < n && found[0] == '\0'; i++)
			if (strcmp(list[i].name, x->spec->database) == 0 ||
			    (list[i].database != NULL && strcmp(
			    list[i].database, x->spec->database) == 0))
				snprintf(found, sizeof(found), "%s",
				    list[i].source_id);
		ods_ds_list_free(list, n);
		id = found;
	}
	er = id[0] == '\0' ? ODS_ENOTFOUND : ods_ds_get(x->tc->db, id,
	    x->tc->owner, &x->ds);
	if (er == ODS_ENOTFOUND)
		ods_why_set(why, x->spec->source_id != NULL ? "source_id" :
		    "database", "no such data source");
	if (er != ODS_OK)
		return er;
	snprintf(x->res->source_id, sizeof(x->res->source_id), "%s",
	    x->ds->source_id);
	x->dialect = strcmp(x->ds->type, "postgresql") == 0 ? ODS_SQL_PG :
	    ODS_SQL_MYSQL;
	snprintf(x->res->dialect, sizeof(x->res->dialect), "%s",
	    x->dialect == ODS_SQL_PG ? "postgresql" : "mysql");
	return ODS_OK;
}

/* ---- the catalog ---- */

/*
 * A catalog read, parsed (a new reference, or NULL): what 0 the
 * databases, 1 a database's tables, 2 one table, 3 the column words of a
 * database's tables.
 */
static struct json_object *
read_cat(struct t2s *x, const char *database, const char *table, int what)
{
	struct ods_cat_filter	 f;
	struct json_object	*o = NULL;
	struct ods_buf		 b;
	struct ods_jw		 jw;
	int64_t			 total = 0;
	enum ods_err		 er;

	memset(&f, 0, sizeof(f));
	f.owner = x->tc->owner;
	f.source_id = x->res->source_id;
	f.limit = TABLES_SCAN;
	ods_buf_init(&b, CAT_MAX);
	ods_jw_init(&jw, &b);
	if (what < 2)
		ods_jw_arr(&jw);
	er = what == 0 ? ods_cat_databases(x->tc->db, &f, &jw, &total) :
	    what == 1 ? ods_cat_tables(x->tc->db, &f, database, &jw, &total) :
	    what == 2 ? ods_cat_table(x->tc->db, &f, database, table, &jw) :
	    ods_cat_table_words(x->tc->db, &f, database, &jw);
	if (what < 2)
		ods_jw_end(&jw);
	if (er == ODS_OK && ods_jw_error(&jw) == ODS_OK &&
	    ods_json_parse(b.data, b.len, 0, &o, NULL) != ODS_OK)
		o = NULL;
	ods_buf_free(&b);
	return o;
}

/* The question's words (lower case, 3 bytes or more, a plural's 's' cut). */
static void
words_of(struct t2s *x)
{
	const char	*p = x->spec->question;
	size_t		 n;
	char		*w;

	while (*p != '\0' && x->nwords < WORDS_MAX) {
		while (*p != '\0' && !isalnum((unsigned char)*p))
			p++;
		for (n = 0; isalnum((unsigned char)p[n]) || p[n] == '_'; n++)
			;
		if (n >= 3) {
			w = ods_xstrndup(p, n);
			for (size_t i = 0; i < n; i++)
				w[i] = (char)tolower((unsigned char)w[i]);
			if (n > 3 && w[n - 1] == 's')
				w[n - 1] = '\0';
			x->words[x->nwords++] = w;
		}
		p += n;
	}
}

/*
 * Count each question word in text (case-folded words of letters and
 * digits, '_' a separator so customer_id is customer and id; a plural's
 * 's' cut as in words_of) into t->tf, weight times; the words go to
 * t->dl.
 */
static void
count_words(const struct t2s *x, struct t2s_table *t, const char *text,
    int weight)
{
	char	w[64];
	size_t	n, i, k;

	while (text != NULL && *text != '\0') {
		while (*text != '\0' && !isalnum((unsigned char)*text))
			text++;
		for (n = 0; isalnum((unsigned char)text[n]); n++)
			;
		if (n == 0)
			break;
		if (n < sizeof(w)) {
			for (i = 0; i < n; i++)
				w[i] = (char)tolower((unsigned char)text[i]);
			w[n] = '\0';
			if (n > 3 && w[n - 1] == 's')
				w[n - 1] = '\0';
			t->dl += weight;
			for (k = 0; k < x->nwords; k++)
				if (strcmp(w, x->words[k]) == 0)
					t->tf[k] += weight;
		}
		text += n;
	}
}

/*
 * The relevant tables by retrieval: BM25 (k1 1.2, b 0.75, the IDF of the
 * RAG keyword index) of the question over one document per table, its
 * name (twice: a name is what a question most often says), its comment
 * and its columns' names and comments.
 */
static void
rank_tables(struct t2s *x)
{
	double	avgdl = 0, idf, tf, norm;
	size_t	i, k, df;

	for (i = 0; i < x->nt; i++)
		avgdl += x->t[i].dl;
	avgdl = x->nt > 0 && avgdl > 0 ? avgdl / (double)x->nt : 1;
	for (k = 0; k < x->nwords; k++) {
		for (df = 0, i = 0; i < x->nt; i++)
			df += x->t[i].tf[k] > 0;
		if (df == 0)
			continue;
		idf = log(((double)x->nt - (double)df + 0.5) /
		    ((double)df + 0.5) + 1);
		for (i = 0; i < x->nt; i++) {
			if ((tf = x->t[i].tf[k]) == 0)
				continue;
			norm = 1.2 * (0.25 + 0.75 * x->t[i].dl / avgdl);
			x->t[i].score += idf * tf * 2.2 / (tf + norm);
		}
	}
}

static int
selected(const struct t2s *x, const char *name)
{
	size_t	i;

	for (i = 0; i < x->spec->ntables; i++)
		if (strcasecmp(x->spec->tables[i], name) == 0)
			return 1;
	return 0;
}

static void
add_tables(struct t2s *x, const char *database, struct json_object *arr,
    struct json_object *words)
{
	struct t2s_table	*t;
	struct json_object	*it;
	const char		*name;
	size_t			 i;

	for (i = 0; i < ods_json_arr_len(arr); i++) {
		it = ods_json_arr_get(arr, i);
		if ((name = ods_json_get_str(it, "name")) == NULL ||
		    (x->spec->tables != NULL && !selected(x, name)))
			continue;
		x->t = ods_xrealloc(x->t, (x->nt + 1) * sizeof(*x->t));
		t = &x->t[x->nt++];
		memset(t, 0, sizeof(*t));
		t->database = ods_xstrdup(database);
		t->name = ods_xstrdup(name);
		t->desc = ods_json_get_str(it, "description") ?
		    ods_xstrdup(ods_json_get_str(it, "description")) : NULL;
		count_words(x, t, name, 2);
		count_words(x, t, t->desc, 1);
		count_words(x, t, ods_json_get_str(words, name), 1);
		x->nall = x->nt;
	}
}

static int
by_score(const void *a, const void *b)
{
	const struct t2s_table	*ta = a, *tb = b;

	if (ta->score != tb->score)
		return ta->score < tb->score ? 1 : -1;
	return strcmp(ta->name, tb->name);
}

static enum ods_err
pick_tables(struct t2s *x, struct ods_why *why)
{
	struct json_object	*dbs, *tabs, *words;
	const char		*d;
	size_t			 i;

	if ((dbs = read_cat(x, NULL, NULL, 0)) == NULL)
		return ODS_EUNAVAIL;
	for (i = 0; i < ods_json_arr_len(dbs) && i < 16; i++) {
		d = ods_json_get_str(ods_json_arr_get(dbs, i), "name");
		if (d == NULL || (tabs = read_cat(x, d, NULL, 1)) == NULL)
			continue;
		words = read_cat(x, d, NULL, 3);
		add_tables(x, d, tabs, words);
		ods_json_put(words);
		ods_json_put(tabs);
	}
	ods_json_put(dbs);
	if (x->nt == 0) {
		ods_why_set(why, x->spec->tables != NULL ? "selected_tables" :
		    "source_id", "no table of this source is in the metadata "
		    "catalog%s", x->spec->tables != NULL ? " by those names" :
		    ": scan it first (POST /metadata/scan)");
		return x->spec->tables != NULL ? ODS_EINVAL : ODS_ENOTFOUND;
	}
	rank_tables(x);
	qsort(x->t, x->nt, sizeof(*x->t), by_score);
	if (x->nt > ODS_T2S_TABLES)
		x->nt = ODS_T2S_TABLES;	/* the rest freed with x */
	return ODS_OK;
}

/* "Table: db.t -- comment" and its columns, into b; the table in used. */
static void
describe(struct t2s *x, const struct t2s_table *t, struct ods_buf *b,
    struct ods_jw *used)
{
	struct json_object	*o, *cols, *c;
	const char		*cd;
	size_t			 i;

	agent_addf(b, "Table: %s.%s%s%s\n", t->database, t->name,
	    t->desc != NULL && *t->desc ? " -- " : "", t->desc != NULL ?
	    t->desc : "");
	ods_jw_str(used, t->name);
	if ((o = read_cat(x, t->database, t->name, 2)) == NULL)
		return;
	cols = ods_json_get(o, "columns");
	for (i = 0; i < ods_json_arr_len(cols); i++) {
		c = ods_json_arr_get(cols, i);
		cd = ods_json_get_str(c, "description");
		agent_addf(b, "  %s %s%s%s%s\n", ods_json_get_str(c, "name") ?
		    ods_json_get_str(c, "name") : "?",
		    ods_json_get_str(c, "type") ? ods_json_get_str(c, "type") :
		    "", strcmp(ods_json_text(ods_json_get(c, "primary_key")),
		    "true") == 0 ? " PRIMARY KEY" : "", cd && *cd ? " -- " : "",
		    cd && *cd ? cd : "");
	}
	ods_json_put(o);
}

/* ---- the model ---- */

static char *
messages(struct t2s *x)
{
	struct ods_buf	 sys, m;
	struct ods_jw	 jw, used;
	size_t		 i, len;

	ods_buf_init(&sys, CAT_MAX);
	agent_addf(&sys, "You translate questions into one read-only SQL "
	    "query for %s. Use only these tables and columns; answer with "
	    "the SQL only, no explanation.\n\n", x->dialect == ODS_SQL_PG ?
	    "PostgreSQL" : "MySQL/MariaDB");
	ods_jw_init(&used, &x->res->tables);
	ods_jw_arr(&used);
	for (i = 0; i < x->nt; i++)
		describe(x, &x->t[i], &sys, &used);
	ods_jw_end(&used);
	ods_buf_init(&m, CAT_MAX + 8192);
	ods_jw_init(&jw, &m);
	ods_jw_arr(&jw);
	ods_jw_obj(&jw);
	ods_jw_kstr(&jw, "role", "system");
	ods_jw_key(&jw, "content");
	ods_jw_strn(&jw, sys.data, sys.len);
	ods_jw_end(&jw);
	ods_jw_obj(&jw);
	ods_jw_kstr(&jw, "role", "user");
	ods_jw_kstr(&jw, "content", x->spec->question);
	ods_jw_end(&jw);
	ods_jw_end(&jw);
	ods_buf_free(&sys);
	return ods_buf_take(&m, &len);
}

/* The statement in a model's answer: code fences and ';' removed. */
static char *
clean_sql(const char *s)
{
	const char	*a = s, *f, *b;

	if ((f = strstr(s, "```")) != NULL) {
		a = f + 3;
		while (isalpha((unsigned char)*a))
			a++;	/* ```sql */
		if ((b = strstr(a, "```")) == NULL)
			b = a + strlen(a);
	} else
		b = s + strlen(s);
	while (a < b && isspace((unsigned char)*a))
		a++;
	while (b > a && (isspace((unsigned char)b[-1]) || b[-1] == ';'))
		b--;
	return ods_xstrndup(a, (size_t)(b - a));
}

/* ---- checking and running ---- */

static enum ods_err
gate(struct t2s *x, const char *sql, struct ods_why *why)
{
	struct ods_sql_verdict	v;

	memset(&v, 0, sizeof(v));
	if (ods_sql_check(sql, strlen(sql), x->dialect, &v) != ODS_OK) {
		ods_why_set(why, "sql", "the model's SQL was refused: %s",
		    v.why);
		return ODS_EINVAL;
	}
	if (strcmp(v.kind, "select") != 0 && strcmp(v.kind, "with") != 0) {
		ods_why_set(why, "sql", "the model's SQL is a %s, not a "
		    "SELECT", v.kind);
		return ODS_EINVAL;
	}
	return ODS_OK;
}

static int
no_columns(void *arg, size_t n, const char *const *names,
    const char *const *types, const int *numeric)
{
	(void)arg, (void)n, (void)names, (void)types, (void)numeric;
	return 0;
}

static int
no_row(void *arg, size_t n, const char *const *cells, const size_t *lens)
{
	(void)arg, (void)n, (void)cells, (void)lens;
	return 0;
}

static void
validate(struct t2s *x, const char *sql)
{
	struct ods_query_spec	 qs;
	struct ods_query_sink	 sink = { no_columns, no_row, NULL };
	struct ods_query_result	 qr;
	char			*explain;
	enum ods_err		 er;

	ods_xasprintf(&explain, "EXPLAIN %s", sql);
	memset(&qs, 0, sizeof(qs));
	qs.source_id = x->res->source_id;
	qs.sql = explain;
	qs.sql_len = strlen(explain);
	qs.limit = 1;
	qs.timeout_ms = x->tc->timeout_ms > 0 ? x->tc->timeout_ms : 10000;
	qs.format = "json";
	qs.no_history = 1;	/* our check, not a query they ran */
	memset(&qr, 0, sizeof(qr));
	er = ods_query_execute(x->tc->db, x->tc->ds, &qs, x->tc->owner,
	    x->tc->user, &sink, &qr);
	free(explain);
	x->res->validated = er == ODS_OK && strcmp(qr.status, "success") == 0;
	x->res->confidence = x->res->validated ? 0.9 :
	    strcmp(qr.slug, "database_error") == 0 ? 0.2 : 0.5;
	if (!x->res->validated)
		snprintf(x->res->validation_error,
		    sizeof(x->res->validation_error), "%s", qr.message[0] ?
		    qr.message : ods_strerror(er));
}

static enum ods_err
execute(struct t2s *x, const char *sql, struct ods_why *why)
{
	struct ods_jw	jw;

	ods_jw_init(&jw, &x->res->rows);
	return odsi_sql_rows(x->tc, x->res->source_id, sql, x->spec->limit,
	    &jw, why);
}

/* ---- the whole ---- */

static enum ods_err
generate(struct t2s *x, const struct ods_agent_io *io, struct ods_why *why)
{
	struct ods_agent_call	 c;
	char			*msgs, *text = NULL;
	enum ods_err		 er;

	msgs = messages(x);
	memset(&c, 0, sizeof(c));
	er = ods_agent_llm(x->tc, io, x->spec->model, msgs, NULL, &c, &text);
	free(msgs);
	x->res->tokens = c.tokens;
	x->res->retry_after = c.retry_after;
	if (er != ODS_OK) {
		ods_why_set(why, NULL, "%s", c.error);
		return er;
	}
	x->res->sql = clean_sql(text);
	free(text);
	if ((er = gate(x, x->res->sql, why)) != ODS_OK) {
		free(x->res->sql);
		x->res->sql = NULL;
	}
	return er;
}

enum ods_err
ods_t2s_run(const struct ods_tool_ctx *tc, const struct ods_agent_io *io,
    const struct ods_t2s_spec *spec, struct ods_t2s_result *res,
    struct ods_why *why)
{
	struct t2s	x;
	size_t		i;
	enum ods_err	er;

	memset(res, 0, sizeof(*res));
	ods_buf_init(&res->tables, 64 * 1024);
	ods_buf_init(&res->rows, (size_t)32 << 20);
	memset(&x, 0, sizeof(x));
	x.tc = tc;
	x.spec = spec;
	x.res = res;
	if (tc->ds == NULL)
		return ODS_EUNAVAIL;
	words_of(&x);
	if ((er = find_source(&x, why)) == ODS_OK &&
	    (er = pick_tables(&x, why)) == ODS_OK &&
	    (er = generate(&x, io, why)) == ODS_OK) {
		snprintf(res->database, sizeof(res->database), "%s",
		    x.t[0].database);
		validate(&x, res->sql);
		if (spec->execute && res->validated)
			er = execute(&x, res->sql, why);
	}
	for (i = 0; i < x.nwords; i++)
		free(x.words[i]);
	for (i = 0; x.t != NULL && i < x.nall; i++) {
		free(x.t[i].database);
		free(x.t[i].name);
		free(x.t[i].desc);
	}
	free(x.t);
	ods_ds_free(x.ds);
	return er;
}

void
ods_t2s_result_fini(struct ods_t2s_result *r)
{
	if (r == NULL)
		return;
	free(r->sql);
	r->sql = NULL;
	ods_buf_free(&r->tables);
	ods_buf_free(&r->rows);
}
