/*
 * lib/text/ods_tab.c — CSV/TSV, JSON and JSON Lines tables (ods_tab.h):
 * dialect and header detection, typed columns, record counting.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/ods_json.h"
#include "core/ods_mem.h"
#include "text/ods_tab.h"
#include "text/ods_text.h"
#include "text/ods_text_int.h"

#define SNIFF_RECORDS	20
#define CELL_MAX	(1u << 20)	/* bytes of one field */

static const struct {
	const char		*name;
	enum ods_tab_format	 fmt;
} formats[] = {
	{ "csv", ODS_TAB_CSV }, { "tsv", ODS_TAB_TSV }, { "tab", ODS_TAB_TSV },
	{ "json", ODS_TAB_JSON }, { "jsonl", ODS_TAB_JSONL },
	{ "ndjson", ODS_TAB_JSONL }, { "jsonlines", ODS_TAB_JSONL },
	{ "txt", ODS_TAB_CSV }
};

enum ods_tab_format
ods_tab_format_of(const char *name)
{
	size_t	i;

	for (i = 0; name != NULL && i < ODS_NELEM(formats); i++)
		if (strcasecmp(formats[i].name, name) == 0 &&
		    strcmp(formats[i].name, "txt") != 0)
			return formats[i].fmt;
	return ODS_TAB_UNKNOWN;
}

enum ods_tab_format
ods_tab_format_of_file(const char *file_name)
{
	const char	*dot;
	size_t		 i;

	if (file_name == NULL || (dot = strrchr(file_name, '.')) == NULL)
		return ODS_TAB_UNKNOWN;
	for (i = 0; i < ODS_NELEM(formats); i++)
		if (strcasecmp(formats[i].name, dot + 1) == 0)
			return formats[i].fmt;
	return ODS_TAB_UNKNOWN;
}

const char *
ods_tab_format_name(enum ods_tab_format f)
{
	switch (f) {
	case ODS_TAB_CSV:	return "csv";
	case ODS_TAB_TSV:	return "tsv";
	case ODS_TAB_JSON:	return "json";
	case ODS_TAB_JSONL:	return "jsonl";
	default:		return "unknown";
	}
}

const char *
ods_tab_type_name(enum ods_tab_type t)
{
	switch (t) {
	case ODS_TAB_T_BOOL:		return "boolean";
	case ODS_TAB_T_INT:		return "integer";
	case ODS_TAB_T_NUMBER:		return "number";
	case ODS_TAB_T_DATE:		return "date";
	case ODS_TAB_T_DATETIME:	return "datetime";
	case ODS_TAB_T_JSON:		return "json";
	default:			return "string";
	}
}

/* ---- types ---- */

static int
digits(const char **pp, int min, int max)
{
	const char	*p = *pp;
	int		 n = 0;

	while (n < max && *p >= '0' && *p <= '9') {
		p++;
		n++;
	}
	*pp = p;
	return n >= min;
}

/* JSON's number grammar: 1 integer, 2 number, 0 neither. */
static int
number_kind(const char *s)
{
	const char	*p = s;
	int		 kind = 1, nd;

	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9') {
		nd = 0;
		while (*p >= '0' && *p <= '9') {
			p++;
			nd++;
		}
		if (nd > 18)
			kind = 2;
	} else
		return 0;
	if (*p == '.') {
		p++;
		if (!(*p >= '0' && *p <= '9'))
			return 0;
		while (*p >= '0' && *p <= '9')
			p++;
		kind = 2;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return 0;
		while (*p >= '0' && *p <= '9')
			p++;
		kind = 2;
	}
	return *p == '\0' ? kind : 0;
}

/* YYYY-MM-DD: 1; with a time after 'T' or ' ': 2; else 0. */
static int
date_kind(const char *s)
{
	const char	*p = s;

	if (!digits(&p, 4, 4) || *p++ != '-' || !digits(&p, 2, 2) ||
	    *p++ != '-' || !digits(&p, 2, 2))
		return 0;
	if (*p == '\0')
		return 1;
	if (*p != 'T' && *p != ' ')
		return 0;
	p++;
	if (!digits(&p, 2, 2) || *p++ != ':' || !digits(&p, 2, 2))
		return 0;
	if (*p == ':') {
		p++;
		if (!digits(&p, 2, 2))
			return 0;
		if (*p == '.') {
			p++;
			if (!digits(&p, 1, 9))
				return 0;
		}
	}
	if (*p == 'Z')
		p++;
	else if (*p == '+' || *p == '-') {
		p++;
		if (!digits(&p, 2, 2))
			return 0;
		if (*p == ':')
			p++;
		if (!digits(&p, 2, 2))
			return 0;
	}
	return *p == '\0' ? 2 : 0;
}

/* The type of a text cell; text_only: a JSON string (no numbers). */
static enum ods_tab_type
infer(const char *s, int text_only)
{
	int	k;

	if (s == NULL || (*s == '\0' && !text_only))
		return ODS_TAB_T_NULL;
	if (!text_only) {
		if (strcasecmp(s, "true") == 0 || strcasecmp(s, "false") == 0)
			return ODS_TAB_T_BOOL;
		if ((k = number_kind(s)) != 0)
			return k == 1 ? ODS_TAB_T_INT : ODS_TAB_T_NUMBER;
	}
	if ((k = date_kind(s)) != 0)
		return k == 1 ? ODS_TAB_T_DATE : ODS_TAB_T_DATETIME;
	return ODS_TAB_T_STRING;
}

static enum ods_tab_type
merge(enum ods_tab_type a, enum ods_tab_type b)
{
	if (a == ODS_TAB_T_NULL)
		return b;
	if (b == ODS_TAB_T_NULL || a == b)
		return a;
	if ((a == ODS_TAB_T_INT && b == ODS_TAB_T_NUMBER) ||
	    (a == ODS_TAB_T_NUMBER && b == ODS_TAB_T_INT))
		return ODS_TAB_T_NUMBER;
	if ((a == ODS_TAB_T_DATE && b == ODS_TAB_T_DATETIME) ||
	    (a == ODS_TAB_T_DATETIME && b == ODS_TAB_T_DATE))
		return ODS_TAB_T_DATETIME;
	return ODS_TAB_T_STRING;
}

/* ---- the table being built ---- */

struct build {
	struct ods_tab	*t;
	char		**cells;	/* rows of ncols */
	size_t		 nrows, alloc;
};

void
ods_tab_free(struct ods_tab *t)
{
	size_t	i;

	if (t == NULL)
		return;
	for (i = 0; i < t->ncols; i++)
		free(t->cols[i].name);
	free(t->cols);
	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

const char *
ods_tab_cell(const struct ods_tab *t, size_t row, size_t col)
{
	if (t == NULL || row >= t->nrows || col >= t->ncols)
		return NULL;
	return t->cells[row * t->ncols + col];
}

/* Make room for one more row of ncols cells (all NULL). */
static char **
row_add(struct build *b, size_t ncols)
{
	size_t	n;

	if (b->nrows == b->alloc) {
		b->alloc = b->alloc == 0 ? 16 : b->alloc * 2;
		b->cells = ods_xrealloc(b->cells, b->alloc * ncols *
		    sizeof(*b->cells));
	}
	n = b->nrows++ * ncols;
	memset(&b->cells[n], 0, ncols * sizeof(*b->cells));
	return &b->cells[n];
}

/* Column names: empty ones "column_N", repeats "name_2", ... */
static char *
col_name(struct ods_tab *t, size_t i, const char *want)
{
	char	 base[ODS_TAB_NAME_MAX + 1], name[ODS_TAB_NAME_MAX + 24];
	size_t	 j, n, k = 1;

	if (want == NULL || *want == '\0')
		snprintf(base, sizeof(base), "column_%zu", i + 1);
	else {
		/* Cut at a character boundary. */
		n = strlen(want);
		if (n > ODS_TAB_NAME_MAX) {
			n = ODS_TAB_NAME_MAX;
			while (n > 0 && ((unsigned char)want[n] & 0xc0) == 0x80)
				n--;
		}
		memcpy(base, want, n);
		base[n] = '\0';
	}
	snprintf(name, sizeof(name), "%s", base);
	for (;;) {
		for (j = 0; j < i; j++)
			if (strcmp(t->cols[j].name, name) == 0)
				break;
		if (j == i)
			break;
		snprintf(name, sizeof(name), "%s_%zu", base, ++k);
	}
	return ods_xstrdup(name);
}

/* Types and nullability of every column, from the cells. */
static void
finish_types(struct ods_tab *t, const enum ods_tab_type *jkind)
{
	size_t			 r, c;
	enum ods_tab_type	 ty;
	const char		*s;

	for (c = 0; c < t->ncols; c++) {
		ty = ODS_TAB_T_NULL;
		for (r = 0; r < t->nrows; r++) {
			s = t->cells[r * t->ncols + c];
			if (s == NULL) {
				t->cols[c].nullable = 1;
				continue;
			}
			if (jkind != NULL)
				ty = merge(ty, jkind[r * t->ncols + c]);
			else
				ty = merge(ty, infer(s, 0));
			if (*s == '\0')
				t->cols[c].nullable = 1;
		}
		t->cols[c].type = ty == ODS_TAB_T_NULL ? ODS_TAB_T_STRING : ty;
		if (t->nrows == 0)
			t->cols[c].nullable = 1;
	}
}

/* ---- CSV ---- */

struct csv {
	const char	*p, *end;
	int		 eof;
	char		 delim;
	size_t		 line;
	/* the fields of the record read: bytes and offsets */
	char		*buf;
	size_t		 len, alloc;
	size_t		*off;	/* start of field i in buf; NUL-separated */
	size_t		 nf, falloc;
	size_t		 rec_line;
	int		 quoted_any;
};

static void
csv_put(struct csv *c, const char *p, size_t n)
{
	if (c->len + n + 1 > c->alloc) {
		while (c->len + n + 1 > c->alloc)
			c->alloc = c->alloc == 0 ? 256 : c->alloc * 2;
		c->buf = ods_xrealloc(c->buf, c->alloc);
	}
	memcpy(c->buf + c->len, p, n);
	c->len += n;
}

static int
csv_field_begin(struct csv *c)
{
	if (c->nf == ODS_TAB_COLS_MAX)
		return -1;
	if (c->nf == c->falloc) {
		c->falloc = c->falloc == 0 ? 16 : c->falloc * 2;
		c->off = ods_xrealloc(c->off, c->falloc * sizeof(*c->off));
	}
	c->off[c->nf++] = c->len;
	return 0;
}

static void
csv_field_end(struct csv *c)
{
	csv_put(c, "", 1);	/* the NUL between fields */
}

static const char *
csv_field(const struct csv *c, size_t i)
{
	return c->buf + c->off[i];
}

/*
 * One record into c's fields: 1, 0 at the end (or a record cut by the
 * end of a head), -1 malformed (why set).
 */
static int
csv_record(struct csv *c, struct ods_why *why)
{
	const char	*p = c->p, *q;
	size_t		 line = c->line;

	/* Blank lines. */
	while (p < c->end && (*p == '\n' || *p == '\r')) {
		if (*p == '\n')
			line++;
		p++;
	}
	c->line = line;
	if (p == c->end)
		return 0;
	c->rec_line = line;
	c->len = 0;
	c->nf = 0;
	for (;;) {
		if (csv_field_begin(c) != 0) {
			ods_why_set(why, "file", "line %zu: more than %d "
			    "fields", c->rec_line, ODS_TAB_COLS_MAX);
			return -1;
		}
		if (p < c->end && *p == '"') {
			c->quoted_any = 1;
			p++;
			for (;;) {
				if (p == c->end) {
					if (!c->eof)
						return 0;
					ods_why_set(why, "file", "line %zu: "
					    "a quoted field is not closed "
					    "before the end of the file",
					    c->rec_line);
					c->line = c->rec_line;
					return -1;
				}
				if (*p == '"') {
					if (p + 1 < c->end && p[1] == '"') {
						csv_put(c, "\"", 1);
						p += 2;
						continue;
					}
					if (p + 1 == c->end && !c->eof)
						return 0;
					p++;
					break;
				}
				for (q = p; q < c->end && *q != '"'; q++)
					if (*q == '\n')
						line++;
				if (c->len + (size_t)(q - p) > CELL_MAX) {
					ods_why_set(why, "file", "line %zu: a "
					    "field is longer than %u bytes",
					    c->rec_line, CELL_MAX);
					return -1;
				}
				csv_put(c, p, (size_t)(q - p));
				p = q;
			}
			if (p < c->end && *p != c->delim && *p != '\n' &&
			    *p != '\r') {
				ods_why_set(why, "file", "line %zu: '%c' after "
				    "the closing quote of field %zu",
				    line, *p == '\0' ? '?' : *p, c->nf);
				c->line = line;
				return -1;
			}
		} else {
			for (q = p; q < c->end && *q != c->delim &&
			    *q != '\n' && *q != '\r'; q++)
				;
			if (q == c->end && !c->eof)
				return 0;
			if ((size_t)(q - p) > CELL_MAX) {
				ods_why_set(why, "file", "line %zu: a field is "
				    "longer than %u bytes", c->rec_line,
				    CELL_MAX);
				return -1;
			}
			csv_put(c, p, (size_t)(q - p));
			p = q;
		}
		csv_field_end(c);
		if (p < c->end && *p == c->delim) {
			p++;
			continue;
		}
		/* End of the record. */
		if (p < c->end && *p == '\r')
			p++;
		if (p < c->end && *p == '\n') {
			p++;
			line++;
		} else if (p == c->end && !c->eof)
			return 0;
		break;
	}
	c->p = p;
	c->line = line;
	return 1;
}

static void
csv_fini(struct csv *c)
{
	free(c->buf);
	free(c->off);
}

/* Fields per record for delimiter d over the first records; 0: no use. */
static size_t
sniff_score(const char *text, size_t len, int eof, char d)
{
	struct csv	c;
	size_t		n = 0, k = 0, first = 0;
	int		rc;

	memset(&c, 0, sizeof(c));
	c.p = text;
	c.end = text + len;
	c.eof = eof;
	c.delim = d;
	c.line = 1;
	while (n < SNIFF_RECORDS && (rc = csv_record(&c, NULL)) == 1) {
		if (n == 0)
			first = c.nf;
		else if (c.nf != first) {
			k = 0;
			break;
		}
		n++;
		k = first;
	}
	if (n > 0 && rc == -1)
		k = 0;
	csv_fini(&c);
	return k > 1 ? k : 0;
}

static char
sniff_delim(const char *text, size_t len, int eof)
{
	static const char	 cands[] = { ',', '\t', ';', '|' };
	size_t			 i, s, best = 0;
	char			 d = ',';

	for (i = 0; i < sizeof(cands); i++)
		if ((s = sniff_score(text, len, eof, cands[i])) > best) {
			best = s;
			d = cands[i];
		}
	return d;
}

/*
 * Whether the first record names the columns: every field non-empty,
 * not a number, boolean or date, and distinct.
 */
static int
is_header(const struct csv *c)
{
	size_t	i, j;

	for (i = 0; i < c->nf; i++) {
		if (*csv_field(c, i) == '\0' ||
		    infer(csv_field(c, i), 0) != ODS_TAB_T_STRING)
			return 0;
		for (j = 0; j < i; j++)
			if (strcmp(csv_field(c, i), csv_field(c, j)) == 0)
				return 0;
	}
	return 1;
}

static enum ods_err
read_csv(struct ods_tab *t, const char *text, size_t len, int eof,
    size_t limit, int tsv, size_t *line, struct ods_why *why)
{
	struct csv	 c;
	struct build	 b;
	char		**row;
	size_t		 i;
	int		 rc, first = 1;
	enum ods_err	 er = ODS_OK;

	memset(&c, 0, sizeof(c));
	memset(&b, 0, sizeof(b));
	c.p = text;
	c.end = text + len;
	c.eof = eof;
	c.line = 1;
	c.delim = tsv ? '\t' : sniff_delim(text, len, eof);
	t->delim = c.delim;
	while ((rc = csv_record(&c, why)) == 1) {
		if (first) {
			first = 0;
			t->ncols = c.nf;
			t->cols = ods_xcalloc(c.nf, sizeof(*t->cols));
			t->header = is_header(&c);
			for (i = 0; i < c.nf; i++)
				t->cols[i].name = col_name(t, i, t->header ?
				    csv_field(&c, i) : NULL);
			if (t->header)
				continue;
		}
		if (c.nf != t->ncols) {
			ods_why_set(why, "file", "line %zu: %zu fields where "
			    "the first record has %zu", c.rec_line, c.nf,
			    t->ncols);
			*line = c.rec_line;
			er = ODS_EMALFORMED;
			goto out;
		}
		if (b.nrows == limit) {
			t->more = 1;
			break;
		}
		row = row_add(&b, t->ncols);
		for (i = 0; i < c.nf; i++)
			row[i] = *csv_field(&c, i) == '\0' ? NULL :
			    ods_xstrdup(csv_field(&c, i));
	}
	if (rc == -1) {
		*line = c.line;
		er = ODS_EMALFORMED;
		goto out;
	}
	if (rc == 0 && !eof)
		t->more = 1;
	if (first) {
		ods_why_set(why, "file", "the file has no records");
		*line = 1;
		er = ODS_EMALFORMED;
	}
out:
	t->cells = b.cells;
	t->nrows = b.nrows;
	if (er == ODS_OK)
		finish_types(t, NULL);
	csv_fini(&c);
	return er;
}

/* ---- JSON and JSON Lines ---- */

struct jrows {
	struct ods_tab		*t;
	struct json_object	**objs;
	size_t			 n, alloc;
	size_t			 limit;
	char			**keys;		/* the members seen, in order */
	size_t			 nkeys;
};

static int
add_key(void *arg, const char *key, struct json_object *v)
{
	struct jrows	*j = arg;
	size_t		 i;

	(void)v;
	for (i = 0; i < j->nkeys; i++)
		if (strcmp(j->keys[i], key) == 0)
			return 0;
	if (j->nkeys == ODS_TAB_COLS_MAX)
		return 1;
	j->keys = ods_xrealloc(j->keys, (j->nkeys + 1) * sizeof(*j->keys));
	j->keys[j->nkeys++] = ods_xstrdup(key);
	return 0;
}

/* One element: an object, its keys added to the columns. */
static enum ods_err
jrow_add(struct jrows *j, const char *p, size_t n, size_t line,
    const char *what, struct ods_why *why)
{
	struct json_object	*o = NULL;
	struct ods_why		 jw;

	memset(&jw, 0, sizeof(jw));
	while (n > 0 && (*p == ' ' || *p == '\t'))
		p++, n--;
	if (n == 0 || *p != '{') {
		ods_why_set(why, "file", "line %zu: %s is not a JSON object",
		    line, what);
		return ODS_EMALFORMED;
	}
	if (ods_json_parse(p, n, 32, &o, &jw) != ODS_OK) {
		ods_why_set(why, "file", "line %zu: %s is not valid JSON: %s",
		    line, what, jw.msg);
		return ODS_EMALFORMED;
	}
	if (!ods_json_is_obj(o)) {
		ods_json_put(o);
		ods_why_set(why, "file", "line %zu: %s is not a JSON object",
		    line, what);
		return ODS_EMALFORMED;
	}
	if (ods_json_obj_each(o, add_key, j) != 0) {
		ods_json_put(o);
		ods_why_set(why, "file", "line %zu: more than %d columns",
		    line, ODS_TAB_COLS_MAX);
		return ODS_EMALFORMED;
	}
	if (j->n == j->alloc) {
		j->alloc = j->alloc == 0 ? 16 : j->alloc * 2;
		j->objs = ods_xrealloc(j->objs, j->alloc * sizeof(*j->objs));
	}
	j->objs[j->n++] = o;
	return ODS_OK;
}

/* The rows' cells and types from the objects read. */
static void
jrows_finish(struct jrows *j)
{
	struct ods_tab		*t = j->t;
	struct json_object	*v;
	enum ods_tab_type	*kind;
	const char		*s;
	size_t			 r, c, k;

	/* Names fit for columns: empty and long keys renamed, distinct. */
	t->ncols = j->nkeys;
	t->cols = ods_xcalloc(j->nkeys + 1, sizeof(*t->cols));
	for (c = 0; c < j->nkeys; c++)
		t->cols[c].name = col_name(t, c, j->keys[c]);
	t->nrows = j->n;
	t->cells = ods_xcalloc(j->n * t->ncols + 1, sizeof(*t->cells));
	kind = ods_xcalloc(j->n * t->ncols + 1, sizeof(*kind));
	for (r = 0; r < j->n; r++)
		for (c = 0; c < t->ncols; c++) {
			k = r * t->ncols + c;
			v = ods_json_get(j->objs[r], j->keys[c]);
			switch (ods_json_kind(v)) {
			case ODS_JSON_NULL:
				continue;
			case ODS_JSON_BOOL:
				kind[k] = ODS_TAB_T_BOOL;
				s = ods_json_text(v);
				break;
			case ODS_JSON_NUMBER:
				s = ods_json_text(v);
				kind[k] = number_kind(s) == 1 ?
				    ODS_TAB_T_INT : ODS_TAB_T_NUMBER;
				break;
			case ODS_JSON_STRING:
				s = ods_json_string(v);
				kind[k] = infer(s, 1);
				break;
			default:
				s = ods_json_text(v);
				kind[k] = ODS_TAB_T_JSON;
				break;
			}
			t->cells[k] = ods_xstrdup(s);
		}
	finish_types(t, kind);
	free(kind);
}

static void
jrows_fini(struct jrows *j)
{
	size_t	i;

	for (i = 0; i < j->n; i++)
		ods_json_put(j->objs[i]);
	free(j->objs);
	for (i = 0; i < j->nkeys; i++)
		free(j->keys[i]);
	free(j->keys);
}

static int
blank(const char *p, const char *e)
{
	for (; p < e; p++)
		if (*p != ' ' && *p != '\t' && *p != '\r')
			return 0;
	return 1;
}

static enum ods_err
read_jsonl(struct jrows *j, const char *text, size_t len, int eof,
    size_t *line, struct ods_why *why)
{
	const char	*p = text, *end = text + len, *nl;
	size_t		 ln = 1;
	enum ods_err	 er;

	for (; p < end; p = nl + 1, ln++) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
			if (!eof) {
				j->t->more = 1;
				break;
			}
			nl = end;
		}
		if (blank(p, nl))
			continue;
		if (j->n == j->limit) {
			j->t->more = 1;
			break;
		}
		if ((er = jrow_add(j, p, (size_t)(nl - p), ln, "the line",
		    why)) != ODS_OK) {
			*line = ln;
			return er;
		}
		if (nl == end)
			break;
	}
	return ODS_OK;
}

static const char *
skip_ws(const char *p, const char *e, size_t *ln)
{
	for (; p < e && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n');
	    p++)
		if (*p == '\n')
			(*ln)++;
	return p;
}

/* The end of the JSON value at p (just past it), or NULL if cut off. */
static const char *
value_end(const char *p, const char *e, size_t *ln)
{
	int	depth = 0, instr = 0, esc = 0;

	for (; p < e; p++) {
		if (*p == '\n')
			(*ln)++;
		if (instr) {
			if (esc)
				esc = 0;
			else if (*p == '\\')
				esc = 1;
			else if (*p == '"')
				instr = 0;
			if (!instr && depth == 0)
				return p + 1;
			continue;
		}
		switch (*p) {
		case '"':
			instr = 1;
			break;
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			if (depth == 0)
				return p;
			if (--depth == 0)
				return p + 1;
			break;
		case ',':
			if (depth == 0)
				return p;
			break;
		default:
			break;
		}
	}
	return NULL;
}

static enum ods_err
read_json(struct jrows *j, const char *text, size_t len, int eof,
    size_t *line, struct ods_why *why)
{
	const char	*p = text, *end = text + len, *ve;
	size_t		 ln = 1, start;
	enum ods_err	 er;

	p = skip_ws(p, end, &ln);
	if (p == end || *p != '[') {
		ods_why_set(why, "file", "line %zu: a JSON file must be an "
		    "array of objects", ln);
		*line = ln;
		return ODS_EMALFORMED;
	}
	p++;
	for (;;) {
		p = skip_ws(p, end, &ln);
		if (p == end)
			goto cut;
		if (*p == ']' && j->n == 0) {
			p++;
			break;
		}
		if (j->n == j->limit) {
			j->t->more = 1;
			return ODS_OK;
		}
		start = ln;
		if ((ve = value_end(p, end, &ln)) == NULL)
			goto cut;
		if ((er = jrow_add(j, p, (size_t)(ve - p), start,
		    "the element", why)) != ODS_OK) {
			*line = start;
			return er;
		}
		p = skip_ws(ve, end, &ln);
		if (p == end)
			goto cut;
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p == ']') {
			p++;
			break;
		}
		ods_why_set(why, "file", "line %zu: ',' or ']' expected after "
		    "element %zu", ln, j->n);
		*line = ln;
		return ODS_EMALFORMED;
	}
	p = skip_ws(p, end, &ln);
	if (p != end) {
		ods_why_set(why, "file", "line %zu: bytes after the array",
		    ln);
		*line = ln;
		return ODS_EMALFORMED;
	}
	return ODS_OK;
cut:
	if (!eof) {
		j->t->more = 1;
		return ODS_OK;
	}
	ods_why_set(why, "file", "line %zu: the array is not closed before "
	    "the end of the file", ln);
	*line = ln;
	return ODS_EMALFORMED;
}

/* ---- the entry points ---- */

/*
 * buf as UTF-8: as it is when it already is (a BOM dropped), else
 * converted. A head cut in a character is cut back to its last line.
 */
static enum ods_err
to_utf8(const char *buf, size_t len, int eof, const char *hint,
    char charset[32], char **out, size_t *outlen, struct ods_why *why)
{
	struct odsi_text_out	 o;
	struct ods_text_result	 res;
	const char		*nl;
	enum ods_err		 er;

	if (!eof && (nl = memrchr(buf, '\n', len)) != NULL)
		len = (size_t)(nl - buf) + 1;
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
		buf += 3;
		len -= 3;
	}
	if (odsi_utf8_valid(buf, len) && memchr(buf, '\0', len) == NULL) {
		snprintf(charset, 32, "UTF-8");
		*out = ods_xmalloc(len + 1);
		memcpy(*out, buf, len);
		(*out)[len] = '\0';
		*outlen = len;
		return ODS_OK;
	}
	odsi_text_out_init(&o, len * 4 + 64);
	er = odsi_text_decode(&o, buf, len, hint, charset, why);
	if (er == ODS_OK) {
		memset(&res, 0, sizeof(res));
		if ((er = odsi_text_out_take(&o, &res)) == ODS_OK) {
			*out = res.text;
			*outlen = res.len;
		}
	}
	odsi_text_out_fini(&o);
	return er;
}

enum ods_err
ods_tab_read(enum ods_tab_format fmt, const char *buf, size_t len, int eof,
    size_t limit, const char *charset_hint, struct ods_tab **out,
    size_t *line, struct ods_why *why)
{
	struct ods_tab	*t;
	struct jrows	 j;
	char		*text = NULL;
	size_t		 tlen = 0, ln = 0;
	enum ods_err	 er;

	*out = NULL;
	if (line == NULL)
		line = &ln;
	*line = 0;
	if (fmt == ODS_TAB_UNKNOWN || (buf == NULL && len > 0) ||
	    limit == 0 || limit > ODS_TAB_ROWS_MAX) {
		ods_why_set(why, "format", "bad arguments");
		return ODS_EINVAL;
	}
	t = ods_xcalloc(1, sizeof(*t));
	if ((er = to_utf8(buf != NULL ? buf : "", len, eof, charset_hint,
	    t->charset, &text, &tlen, why)) != ODS_OK) {
		if (er == ODS_EINVAL) {
			/* Bytes of no charset we can tell: not a table. */
			er = ODS_EMALFORMED;
			*line = 1;
		}
		ods_tab_free(t);
		return er;
	}
	if (fmt == ODS_TAB_CSV || fmt == ODS_TAB_TSV)
		er = read_csv(t, text, tlen, eof, limit, fmt == ODS_TAB_TSV,
		    line, why);
	else {
		memset(&j, 0, sizeof(j));
		j.t = t;
		j.limit = limit;
		er = fmt == ODS_TAB_JSONL ? read_jsonl(&j, text, tlen, eof,
		    line, why) : read_json(&j, text, tlen, eof, line, why);
		if (er == ODS_OK)
			jrows_finish(&j);
		jrows_fini(&j);
	}
	free(text);
	if (er != ODS_OK) {
		ods_tab_free(t);
		return er;
	}
	*out = t;
	return ODS_OK;
}

void
ods_tab_count_init(struct ods_tab_count *c, enum ods_tab_format fmt)
{
	memset(c, 0, sizeof(*c));
	c->fmt = fmt;
	c->at_field = 1;
}

static void
count_json(struct ods_tab_count *c, const char *p, size_t n)
{
	size_t	i;
	char	ch;

	for (i = 0; i < n; i++) {
		ch = p[i];
		if (c->instr) {
			if (c->esc)
				c->esc = 0;
			else if (ch == '\\')
				c->esc = 1;
			else if (ch == '"')
				c->instr = 0;
			continue;
		}
		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n')
			continue;
		if (c->depth == 1 && c->expect && ch != ']') {
			c->records++;
			c->expect = 0;
		}
		switch (ch) {
		case '"':
			c->instr = 1;
			break;
		case '[':
		case '{':
			if (++c->depth == 1)
				c->expect = 1;
			break;
		case ']':
		case '}':
			if (c->depth > 0)
				c->depth--;
			break;
		case ',':
			if (c->depth == 1)
				c->expect = 1;
			break;
		default:
			break;
		}
	}
}

void
ods_tab_count_feed(struct ods_tab_count *c, const char *p, size_t n)
{
	const char	*e = p + n;
	int		 quotes = c->fmt != ODS_TAB_JSONL;

	/* A UTF-8 BOM at the start is no content (the reader drops it). */
	while (c->bom >= 0 && p < e) {
		if (*p != "\xef\xbb\xbf"[c->bom]) {
			if (c->bom > 0)
				c->content = 1;
			c->bom = -1;
			break;
		}
		p++;
		if (++c->bom == 3)
			c->bom = -1;
	}
	n = (size_t)(e - p);
	if (c->fmt == ODS_TAB_JSON) {
		count_json(c, p, n);
		return;
	}
	for (; p < e; p++) {
		if (c->inq) {
			if (*p == '"')
				c->inq = 0;
			continue;
		}
		/*
		 * A quote opens a quoted field only at a field's start (after
		 * a line break or a delimiter), as the reader sees it.
		 */
		if (*p == '"' && quotes && c->at_field) {
			c->inq = 1;
			c->content = 1;
			c->at_field = 0;
			continue;
		}
		c->at_field = *p == ',' || *p == ';' || *p == '|' ||
		    *p == '\t' || *p == '\n' || *p == '\r';
		switch (*p) {
		case '\n':
			if (c->content)
				c->records++;
			c->content = 0;
			break;
		case '\r':
			/* A bare CR ends a record too (the reader's rule). */
			if (quotes) {
				if (c->content)
					c->records++;
				c->content = 0;
				c->at_field = 1;
			}
			break;
		case ' ':
		case '\t':
			if (c->fmt != ODS_TAB_JSONL)
				c->content = 1;
			break;
		default:
			c->content = 1;
			break;
		}
	}
}

uint64_t
ods_tab_count_end(struct ods_tab_count *c, int header)
{
	uint64_t	n;

	if (c->fmt != ODS_TAB_JSON && c->content) {
		c->records++;
		c->content = 0;
	}
	n = c->records;
	if (header && n > 0 && c->fmt != ODS_TAB_JSON &&
	    c->fmt != ODS_TAB_JSONL)
		n--;
	return n;
}
