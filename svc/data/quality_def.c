/*
 * svc/data/quality_def.c — a rule's definition (quality.h): parsed from a
 * request or a stored rule_config, checked, judged, scored and turned into
 * SQL for its source's dialect. No I/O: the unit tests and the fuzz
 * target take it as it is.
 */
#include "config.h"

#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_json.h"
#include "core/ods_mem.h"
#include "core/ods_util.h"
#include "quality.h"

static const char *const types[ODS_QR__N] = {
	"not_null", "unique", "range", "regex", "allowed_values",
	"row_count", "freshness", "referential", "custom_sql"
};

const char *
ods_qr_type_name(int t)
{
	return t >= 0 && t < ODS_QR__N ? types[t] : "unknown";
}

int
ods_qr_type_of(const char *s)
{
	int	i;

	if (s == NULL)
		return -1;
	for (i = 0; i < ODS_QR__N; i++)
		if (strcmp(s, types[i]) == 0)
			return i;
	/* The reference's and the web's other words for two of them. */
	if (strcmp(s, "enum") == 0 || strcmp(s, "allowed") == 0)
		return ODS_QR_ALLOWED;
	if (strcmp(s, "sql") == 0 || strcmp(s, "custom") == 0)
		return ODS_QR_CUSTOM_SQL;
	return -1;
}

/* Field f of cfg (rule_config) or else of o; NULL when neither has it. */
static struct json_object *
member(struct json_object *o, struct json_object *cfg, const char *f,
    struct json_object **where)
{
	struct json_object	*v;

	if (cfg != NULL && (v = ods_json_get(cfg, f)) != NULL &&
	    ods_json_kind(v) != ODS_JSON_NULL) {
		*where = cfg;
		return v;
	}
	if ((v = ods_json_get(o, f)) != NULL &&
	    ods_json_kind(v) != ODS_JSON_NULL) {
		*where = o;
		return v;
	}
	return NULL;
}

/*
 * A string under the first of names found: ODS_OK with *out, ODS_ENOTFOUND,
 * or ODS_EINVAL naming it.
 */
static enum ods_err
str_of(struct json_object *o, struct json_object *cfg,
    const char *const *names, size_t max, const char **out,
    struct ods_why *why)
{
	struct json_object	*where;
	size_t			 i;

	for (i = 0; names[i] != NULL; i++)
		if (member(o, cfg, names[i], &where) != NULL)
			return ods_json_str(where, names[i], 1, max, out, why);
	return ODS_ENOTFOUND;
}

static enum ods_err
num_of(struct json_object *o, struct json_object *cfg, const char *name,
    double *out, int *has, struct ods_why *why)
{
	struct json_object	*where;
	enum ods_err		 er;

	if (member(o, cfg, name, &where) == NULL)
		return ODS_OK;
	er = ods_json_num(where, name, 1, -1e300, 1e300, out, why);
	if (er == ODS_OK)
		*has = 1;
	return er;
}

/* An identifier: 1..128 bytes, no control byte (it is quoted anyway). */
static int
ident_ok(const char *s)
{
	size_t	n;

	if (s == NULL)
		return 1;
	n = strlen(s);
	if (n == 0 || n > ODS_QR_IDENT_MAX)
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

#define NAMES(...)	((const char *const[]){ __VA_ARGS__, NULL })

static enum ods_err
parse_where(struct json_object *o, struct json_object *c,
    struct ods_qr_def *d, struct ods_why *why)
{
	enum ods_err	er;

#define S(field, max, ...) do {						\
	er = str_of(o, c, NAMES(__VA_ARGS__), (max), &d->field, why);	\
	if (er != ODS_OK && er != ODS_ENOTFOUND)			\
		return er;						\
} while (0)
	S(source_id, 64, "source_id", "datasource_id");
	S(dataset_id, 128, "dataset_id");
	S(database, ODS_QR_IDENT_MAX, "database", "target_database",
	    "schema");
	S(table, ODS_QR_IDENT_MAX, "table", "table_name", "target_table");
	S(column, ODS_QR_IDENT_MAX, "column", "column_name",
	    "target_column");
	S(pattern, ODS_QR_PATTERN_MAX, "pattern", "regex");
	S(ref_database, ODS_QR_IDENT_MAX, "ref_database");
	S(ref_table, ODS_QR_IDENT_MAX, "ref_table", "reference_table");
	S(ref_column, ODS_QR_IDENT_MAX, "ref_column", "reference_column");
	S(sql, ODS_QR_SQL_MAX, "sql", "custom_sql");
	S(webhook_url, ODS_QR_URL_MAX, "webhook_url");
#undef S
	return ODS_OK;
}

static enum ods_err
parse_values(struct json_object *o, struct json_object *c,
    struct ods_qr_def *d, struct ods_why *why)
{
	struct json_object	*a, *where;
	const char		*f = "allowed_values";
	size_t			 i, n;

	if ((a = member(o, c, f, &where)) == NULL &&
	    (a = member(o, c, (f = "values"), &where)) == NULL)
		return ODS_OK;
	if (ods_json_kind(a) != ODS_JSON_ARRAY) {
		ods_why_set(why, f, "%s is an array of strings", f);
		return ODS_EINVAL;
	}
	n = ods_json_arr_len(a);
	if (n > ODS_QR_VALUES_MAX) {
		ods_why_set(why, f, "%s has more than %d values", f,
		    ODS_QR_VALUES_MAX);
		return ODS_EINVAL;
	}
	for (i = 0; i < n; i++) {
		/* Numbers are compared as their text, like the column's. */
		d->values[i] = ods_json_text(ods_json_arr_get(a, i));
		if (ods_json_kind(ods_json_arr_get(a, i)) == ODS_JSON_STRING)
			d->values[i] = ods_json_arr_str(a, i);
		if (ods_json_kind(ods_json_arr_get(a, i)) == ODS_JSON_ARRAY ||
		    ods_json_kind(ods_json_arr_get(a, i)) == ODS_JSON_OBJECT ||
		    ods_json_kind(ods_json_arr_get(a, i)) == ODS_JSON_NULL ||
		    strlen(d->values[i]) > 1024) {
			ods_why_set(why, f, "%s[%zu] is not a string or a "
			    "number of at most 1024 bytes", f, i);
			return ODS_EINVAL;
		}
	}
	d->nvalues = n;
	d->has_values = 1;
	return ODS_OK;
}

static enum ods_err
parse_limits(struct json_object *o, struct json_object *c,
    struct ods_qr_def *d, struct ods_why *why)
{
	struct json_object	*where;
	const char		*tt = NULL;
	enum ods_err		 er;
	double			 age = 0;
	int			 has = 0;

	if ((er = num_of(o, c, "min", &d->min, &d->has_min, why)) != ODS_OK ||
	    (er = num_of(o, c, "max", &d->max, &d->has_max, why)) != ODS_OK ||
	    (er = num_of(o, c, "threshold_warning", &d->warn, &d->has_warn,
	    why)) != ODS_OK ||
	    (er = num_of(o, c, "threshold_critical", &d->crit, &d->has_crit,
	    why)) != ODS_OK)
		return er;
	if ((er = num_of(o, c, "max_age_seconds", &age, &has, why)) != ODS_OK)
		return er;
	if (has) {
		if (age < 1 || age > 3650.0 * 86400) {
			ods_why_set(why, "max_age_seconds", "max_age_seconds "
			    "is 1 .. 315360000");
			return ODS_EINVAL;
		}
		d->max_age_s = (int64_t)age;
	}
	if (member(o, c, "threshold_type", &where) != NULL) {
		if ((er = ods_json_str(where, "threshold_type", 1, 16, &tt,
		    why)) != ODS_OK)
			return er;
		if (strcmp(tt, "ratio") != 0 && strcmp(tt, "count") != 0) {
			ods_why_set(why, "threshold_type", "threshold_type is "
			    "count or ratio");
			return ODS_EINVAL;
		}
		d->ratio = strcmp(tt, "ratio") == 0;
	}
	return ODS_OK;
}

enum ods_err
ods_qr_parse(struct json_object *o, int partial, struct ods_qr_def *d,
    struct ods_why *why)
{
	struct json_object	*c = NULL, *where;
	const char		*t = NULL;
	enum ods_err		 er;

	if (!partial) {
		memset(d, 0, sizeof(*d));
		d->type = -1;
	}
	if (!ods_json_is_obj(o)) {
		ods_why_set(why, NULL, "the body is a JSON object");
		return ODS_EINVAL;
	}
	if ((er = ods_json_obj(o, "rule_config", 0, &c, why)) != ODS_OK &&
	    er != ODS_ENOTFOUND)
		return er;
	if (member(o, c, "rule_type", &where) != NULL) {
		if ((er = ods_json_str(where, "rule_type", 1, 32, &t, why)) !=
		    ODS_OK)
			return er;
		if ((d->type = ods_qr_type_of(t)) < 0) {
			ods_why_set(why, "rule_type", "rule_type is one of "
			    "not_null, unique, range, regex, allowed_values, "
			    "row_count, freshness, referential, custom_sql");
			return ODS_EINVAL;
		}
	}
	if ((er = parse_where(o, c, d, why)) != ODS_OK ||
	    (er = parse_values(o, c, d, why)) != ODS_OK ||
	    (er = parse_limits(o, c, d, why)) != ODS_OK)
		return er;
	return ods_qr_check(d, why);
}

static enum ods_err
bad(struct ods_why *why, const char *field, const char *msg)
{
	ods_why_set(why, field, "%s", msg);
	return ODS_EINVAL;
}

/* Whether p compiles as POSIX ERE (the dataset checks' dialect). */
static int
ere_ok(const char *p)
{
	regex_t	re;

	if (regcomp(&re, p, REG_EXTENDED | REG_NOSUB) != 0)
		return 0;
	regfree(&re);
	return 1;
}

/* What each type needs beyond a target. */
static enum ods_err
check_type(const struct ods_qr_def *d, struct ods_why *why)
{
	int	col;

	col = d->type != ODS_QR_ROW_COUNT && d->type != ODS_QR_CUSTOM_SQL;
	if (col && d->column == NULL)
		return bad(why, "column", "column is required for this "
		    "rule_type");
	switch (d->type) {
	case ODS_QR_RANGE:
	case ODS_QR_ROW_COUNT:
		if (!d->has_min && !d->has_max)
			return bad(why, "min", "min or max is required");
		if (d->has_min && d->has_max && d->min > d->max)
			return bad(why, "max", "max is below min");
		break;
	case ODS_QR_REGEX:
		if (d->pattern == NULL || *d->pattern == '\0')
			return bad(why, "pattern", "pattern is required");
		if (d->dataset_id != NULL && !ere_ok(d->pattern))
			return bad(why, "pattern", "on a dataset the pattern is "
			    "a POSIX extended regular expression");
		break;
	case ODS_QR_ALLOWED:
		if (!d->has_values || d->nvalues == 0)
			return bad(why, "allowed_values", "allowed_values is "
			    "a non-empty array");
		break;
	case ODS_QR_FRESHNESS:
		if (d->max_age_s <= 0)
			return bad(why, "max_age_seconds", "max_age_seconds "
			    "is required");
		break;
	case ODS_QR_REFERENTIAL:
		if (d->ref_table == NULL || d->ref_column == NULL)
			return bad(why, d->ref_table == NULL ? "ref_table" :
			    "ref_column", "ref_table and ref_column are "
			    "required");
		break;
	case ODS_QR_CUSTOM_SQL:
		if (d->sql == NULL || *d->sql == '\0')
			return bad(why, "sql", "sql is required");
		break;
	}
	if (d->dataset_id != NULL && (d->type == ODS_QR_REFERENTIAL ||
	    d->type == ODS_QR_CUSTOM_SQL || d->type == ODS_QR_FRESHNESS))
		return bad(why, "rule_type", "this rule_type runs on data "
		    "source tables");
	return ODS_OK;
}

enum ods_err
ods_qr_check(const struct ods_qr_def *d, struct ods_why *why)
{
	if (d->type < 0 || d->type >= ODS_QR__N)
		return bad(why, "rule_type", "rule_type is required");
	if ((d->source_id == NULL) == (d->dataset_id == NULL))
		return bad(why, "source_id", "a rule names a source_id or a "
		    "dataset_id (one of them)");
	if (d->source_id != NULL && d->type != ODS_QR_CUSTOM_SQL &&
	    d->table == NULL)
		return bad(why, "table", "table is required on a data source");
	if (!ident_ok(d->database))
		return bad(why, "database", "database is 1..128 bytes without "
		    "control characters");
	if (!ident_ok(d->table))
		return bad(why, "table", "table is 1..128 bytes without "
		    "control characters");
	if (!ident_ok(d->column))
		return bad(why, "column", "column is 1..128 bytes without "
		    "control characters");
	if (!ident_ok(d->ref_database) || !ident_ok(d->ref_table) ||
	    !ident_ok(d->ref_column))
		return bad(why, "ref_table", "ref_database, ref_table and "
		    "ref_column are 1..128 bytes without control characters");
	if ((d->has_warn && (!isfinite(d->warn) || d->warn < 0)) ||
	    (d->has_crit && (!isfinite(d->crit) || d->crit < 0)))
		return bad(why, d->has_warn && d->warn < 0 ?
		    "threshold_warning" : "threshold_critical",
		    "thresholds are 0 or more");
	if (d->ratio && ((d->has_warn && d->warn > 1) ||
	    (d->has_crit && d->crit > 1)))
		return bad(why, "threshold_critical", "a ratio threshold is "
		    "0..1");
	if (d->has_warn && d->has_crit && d->warn > d->crit)
		return bad(why, "threshold_warning", "threshold_warning is "
		    "above threshold_critical");
	if (d->webhook_url != NULL && *d->webhook_url != '\0' &&
	    strncmp(d->webhook_url, "http://", 7) != 0 &&
	    strncmp(d->webhook_url, "https://", 8) != 0)
		return bad(why, "webhook_url", "webhook_url is an http or "
		    "https URL");
	return check_type(d, why);
}

void
ods_qr_def_json(struct ods_jw *jw, const struct ods_qr_def *d)
{
	size_t	i;

	ods_jw_obj(jw);
	ods_jw_kstr(jw, "rule_type", ods_qr_type_name(d->type));
#define K(name, v) do { if ((v) != NULL) ods_jw_kstr(jw, name, v); } while (0)
	K("source_id", d->source_id);
	K("dataset_id", d->dataset_id);
	K("database", d->database);
	K("table", d->table);
	K("column", d->column);
	K("pattern", d->pattern);
	K("ref_database", d->ref_database);
	K("ref_table", d->ref_table);
	K("ref_column", d->ref_column);
	K("sql", d->sql);
	K("webhook_url", d->webhook_url);
#undef K
	if (d->has_min)
		ods_jw_knum(jw, "min", d->min);
	if (d->has_max)
		ods_jw_knum(jw, "max", d->max);
	if (d->max_age_s > 0)
		ods_jw_kint(jw, "max_age_seconds", d->max_age_s);
	if (d->has_values) {
		ods_jw_key(jw, "allowed_values");
		ods_jw_arr(jw);
		for (i = 0; i < d->nvalues; i++)
			ods_jw_str(jw, d->values[i]);
		ods_jw_end(jw);
	}
	if (d->has_warn)
		ods_jw_knum(jw, "threshold_warning", d->warn);
	if (d->has_crit)
		ods_jw_knum(jw, "threshold_critical", d->crit);
	ods_jw_kstr(jw, "threshold_type", d->ratio ? "ratio" : "count");
	ods_jw_end(jw);
}

const char *
ods_qr_status_name(enum ods_qr_status s)
{
	return s == ODS_QR_FAILED ? "failed" : s == ODS_QR_WARNING ?
	    "warning" : "passed";
}

enum ods_qr_status
ods_qr_judge(const struct ods_qr_def *d, int64_t violations, int64_t rows)
{
	double	v = (double)violations;
	double	crit = d->has_crit ? d->crit : (d->has_warn ? INFINITY : 0);

	if (d->ratio)
		v = rows > 0 ? v / (double)rows : (violations > 0 ? 1 : 0);
	if (v > crit)
		return ODS_QR_FAILED;
	if (d->has_warn && v > d->warn)
		return ODS_QR_WARNING;
	return ODS_QR_PASSED;
}

double
ods_qr_rule_score(int type, int64_t violations, int64_t rows, int errored)
{
	double	r;

	(void)type;
	if (errored)
		return 0;
	if (violations <= 0)
		return 1;
	if (rows <= 0)
		return 0;
	r = (double)violations / (double)rows;
	return r >= 1 ? 0 : 1 - r;
}

/* ---- SQL ---- */

/* A text being built; the first error sticks (checked once at the end). */
struct sqlb {
	struct ods_buf	b;
	enum ods_err	err;
};

static void
putn(struct sqlb *b, const char *s, size_t n)
{
	enum ods_err	er;

	if (b->err == ODS_OK && (er = ods_buf_add(&b->b, s, n)) != ODS_OK)
		b->err = er;
}

static void
put(struct sqlb *b, const char *s)
{
	putn(b, s, strlen(s));
}

static void
putf(struct sqlb *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void
putf(struct sqlb *b, const char *fmt, ...)
{
	char	t[256];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(t, sizeof(t), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(t))
		b->err = ODS_EINVAL;
	else
		putn(b, t, (size_t)n);
}

static void
ident(struct sqlb *b, int pg, const char *s)
{
	char	q = pg ? '"' : '`';

	putn(b, &q, 1);
	for (; *s != '\0'; s++) {
		if (*s == q)
			putn(b, &q, 1);
		putn(b, s, 1);
	}
	putn(b, &q, 1);
}

static void
table(struct sqlb *b, int pg, const char *db, const char *t)
{
	if (db != NULL) {
		ident(b, pg, db);
		putn(b, ".", 1);
	}
	ident(b, pg, t);
}

/* A text value as hex: nothing of it is ever read as SQL. */
static void
text(struct sqlb *b, int pg, const char *s)
{
	size_t	n = strlen(s);
	char	*h = ods_xmalloc(2 * n + 1);

	ods_hex((const unsigned char *)s, n, h);
	put(b, pg ? "convert_from(decode('" : "CONVERT(X'");
	put(b, h);
	put(b, pg ? "', 'hex'), 'UTF8')" : "' USING utf8mb4)");
	free(h);
}

/* The column as text, for regex and allowed values. */
static void
as_text(struct sqlb *b, int pg, const char *col)
{
	putn(b, "CAST(", 5);
	ident(b, pg, col);
	putf(b, " AS %s)", pg ? "TEXT" : "CHAR");
}

/* The predicate of a violating row (row rules). */
static void
violating(struct sqlb *b, const struct ods_qr_def *d, int pg)
{
	size_t	i;

	if (d->type == ODS_QR_NOT_NULL) {
		ident(b, pg, d->column);
		put(b, " IS NULL");
		return;
	}
	ident(b, pg, d->column);
	put(b, " IS NOT NULL AND ");
	switch (d->type) {
	case ODS_QR_RANGE:
		put(b, "(");
		if (d->has_min) {
			ident(b, pg, d->column);
			putf(b, " < %.17g", d->min);
		}
		if (d->has_min && d->has_max)
			put(b, " OR ");
		if (d->has_max) {
			ident(b, pg, d->column);
			putf(b, " > %.17g", d->max);
		}
		put(b, ")");
		break;
	case ODS_QR_REGEX:
		put(b, "NOT (");
		as_text(b, pg, d->column);
		put(b, pg ? " ~ " : " REGEXP ");
		text(b, pg, d->pattern);
		put(b, ")");
		break;
	case ODS_QR_ALLOWED:
		as_text(b, pg, d->column);
		put(b, " NOT IN (");
		for (i = 0; i < d->nvalues; i++) {
			if (i > 0)
				put(b, ", ");
			text(b, pg, d->values[i]);
		}
		put(b, ")");
		break;
	}
}

static void
from(struct sqlb *b, const struct ods_qr_def *d, int pg)
{
	put(b, " FROM ");
	table(b, pg, d->database, d->table);
}

/* LEFT JOIN of the referenced table, for counts and samples. */
static void
ref_join(struct sqlb *b, const struct ods_qr_def *d, int pg)
{
	from(b, d, pg);
	put(b, " AS t LEFT JOIN ");
	table(b, pg, d->ref_database, d->ref_table);
	put(b, " AS r ON t.");
	ident(b, pg, d->column);
	put(b, " = r.");
	ident(b, pg, d->ref_column);
	put(b, " WHERE t.");
	ident(b, pg, d->column);
	put(b, " IS NOT NULL AND r.");
	ident(b, pg, d->ref_column);
	put(b, " IS NULL");
}

static void
count_sql(struct sqlb *b, const struct ods_qr_def *d, int pg)
{
	switch (d->type) {
	case ODS_QR_UNIQUE:
		put(b, "SELECT (SELECT COUNT(*)");
		from(b, d, pg);
		put(b, "), (SELECT COALESCE(SUM(n), 0) FROM "
		    "(SELECT COUNT(*) AS n");
		from(b, d, pg);
		put(b, " WHERE ");
		ident(b, pg, d->column);
		put(b, " IS NOT NULL GROUP BY ");
		ident(b, pg, d->column);
		put(b, " HAVING COUNT(*) > 1) AS d)");
		break;
	case ODS_QR_ROW_COUNT:
		put(b, "SELECT COUNT(*), CASE WHEN ");
		if (d->has_min)
			putf(b, "COUNT(*) < %.17g%s", d->min,
			    d->has_max ? " OR " : "");
		if (d->has_max)
			putf(b, "COUNT(*) > %.17g", d->max);
		put(b, " THEN 1 ELSE 0 END");
		from(b, d, pg);
		break;
	case ODS_QR_FRESHNESS:
		put(b, "SELECT COUNT(*), CASE WHEN MAX(");
		ident(b, pg, d->column);
		put(b, ") IS NULL THEN 1 WHEN ");
		if (pg) {
			put(b, "EXTRACT(EPOCH FROM "
			    "(CURRENT_TIMESTAMP - CAST(MAX(");
			ident(b, pg, d->column);
			putf(b, ") AS TIMESTAMPTZ))) > %lld THEN 1 "
			    "ELSE 0 END", (long long)d->max_age_s);
		} else {
			put(b, "TIMESTAMPDIFF(SECOND, MAX(");
			ident(b, pg, d->column);
			putf(b, "), NOW()) > %lld THEN 1 ELSE 0 END",
			    (long long)d->max_age_s);
		}
		from(b, d, pg);
		break;
	case ODS_QR_REFERENTIAL:
		put(b, "SELECT (SELECT COUNT(*)");
		from(b, d, pg);
		put(b, "), (SELECT COUNT(*)");
		ref_join(b, d, pg);
		put(b, ")");
		break;
	default:
		put(b, "SELECT COUNT(*), COALESCE(SUM(CASE WHEN ");
		violating(b, d, pg);
		put(b, " THEN 1 ELSE 0 END), 0)");
		from(b, d, pg);
		break;
	}
}

static void
sample_sql(struct sqlb *b, const struct ods_qr_def *d, int pg)
{
	switch (d->type) {
	case ODS_QR_ROW_COUNT:
	case ODS_QR_FRESHNESS:
		return;
	case ODS_QR_UNIQUE:
		put(b, "SELECT ");
		ident(b, pg, d->column);
		put(b, ", COUNT(*) AS occurrences");
		from(b, d, pg);
		put(b, " WHERE ");
		ident(b, pg, d->column);
		put(b, " IS NOT NULL GROUP BY ");
		ident(b, pg, d->column);
		put(b, " HAVING COUNT(*) > 1");
		break;
	case ODS_QR_REFERENTIAL:
		put(b, "SELECT t.*");
		ref_join(b, d, pg);
		break;
	default:
		put(b, "SELECT *");
		from(b, d, pg);
		put(b, " WHERE ");
		violating(b, d, pg);
		break;
	}
	putf(b, " LIMIT %d", ODS_QR_SAMPLE);
}

/* One text of d by fn into *out; ODS_OK or the builder's error. */
static enum ods_err
build(void (*fn)(struct sqlb *, const struct ods_qr_def *, int),
    const struct ods_qr_def *d, int pg, char **out)
{
	struct sqlb	b;

	ods_buf_init(&b.b, 1u << 20);
	b.err = ODS_OK;
	fn(&b, d, pg);
	put(&b, "");
	if (b.err != ODS_OK) {
		ods_buf_free(&b.b);
		return b.err;
	}
	*out = b.b.data != NULL ? ods_buf_take(&b.b, NULL) : ods_xstrdup("");
	return ODS_OK;
}

enum ods_err
ods_qr_sql(const struct ods_qr_def *d, int pg, char **count, char **sample)
{
	enum ods_err	er;

	*count = *sample = NULL;
	if (d->type == ODS_QR_CUSTOM_SQL) {
		*count = ods_xstrdup(d->sql);
		*sample = ods_xstrdup("");
		return ODS_OK;
	}
	if (d->table == NULL || d->type < 0 || d->type >= ODS_QR__N)
		return ODS_EINVAL;
	if ((er = build(count_sql, d, pg, count)) != ODS_OK)
		return er;
	if ((er = build(sample_sql, d, pg, sample)) != ODS_OK) {
		free(*count);
		*count = NULL;
	}
	return er;
}
