/*
 * svc/data/etl_type.c — the pure pieces of ETL (etl.h): identifier checks
 * and quoting, and column types mapped between MariaDB and PostgreSQL
 * through a neutral type.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "etl.h"
#include "data_int.h"

static const char *const kinds[] = {
	NULL, "sql_transform", "table_copy", "file_import", "export"
};

const char *
ods_etl_kind_name(enum ods_etl_kind k)
{
	if ((int)k < 1 || (size_t)k >= sizeof(kinds) / sizeof(kinds[0]))
		return "unknown";
	return kinds[k];
}

enum ods_etl_kind
ods_etl_kind_parse(const char *s)
{
	size_t	i;

	if (s == NULL)
		return 0;
	for (i = 1; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(s, kinds[i]) == 0)
			return (enum ods_etl_kind)i;
	return 0;
}

/* One part: a letter or '_' first, then letters, digits, '_', '$'. */
static size_t
part_len(const char *s)
{
	size_t	n = 0;

	if (!(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return 0;
	while (isalnum((unsigned char)s[n]) || s[n] == '_' || s[n] == '$')
		n++;
	return n;
}

int
ods_etl_ident_ok(const char *s, int maxparts)
{
	size_t	n;
	int	parts = 0;

	if (s == NULL)
		return 0;
	for (;;) {
		n = part_len(s);
		if (n == 0 || n > ODS_ETL_IDENT_MAX || ++parts > maxparts)
			return 0;
		s += n;
		if (*s == '\0')
			return 1;
		if (*s++ != '.')
			return 0;
	}
}

int
ods_etl_quote_ident(const char *s, int pg, char *buf, size_t len)
{
	char		 q = pg ? '"' : '`';
	size_t		 o = 0;

	if (!ods_etl_ident_ok(s, 3))
		return -1;
	/* Checked: no quote character can be inside; quoted all the same. */
	if (o < len)
		buf[o++] = q;
	for (; *s != '\0' && o + 4 < len; s++) {
		if (*s == '.') {
			buf[o++] = q;
			buf[o++] = '.';
			buf[o++] = q;
		} else
			buf[o++] = *s;
	}
	if (*s != '\0' || o + 2 > len)
		return -1;
	buf[o++] = q;
	buf[o] = '\0';
	return 0;
}

struct tname {
	const char		*name;
	enum ods_etl_ctype	 t;
};

/* Names of both dialects, without their parenthesised arguments. */
static const struct tname names[] = {
	{ "bool", ODS_ETL_T_BOOL }, { "boolean", ODS_ETL_T_BOOL },
	{ "bit", ODS_ETL_T_BOOL },
	{ "tinyint", ODS_ETL_T_INT16 }, { "smallint", ODS_ETL_T_INT16 },
	{ "int2", ODS_ETL_T_INT16 }, { "year", ODS_ETL_T_INT16 },
	{ "mediumint", ODS_ETL_T_INT32 }, { "int", ODS_ETL_T_INT32 },
	{ "integer", ODS_ETL_T_INT32 }, { "int4", ODS_ETL_T_INT32 },
	{ "serial", ODS_ETL_T_INT32 },
	{ "bigint", ODS_ETL_T_INT64 }, { "int8", ODS_ETL_T_INT64 },
	{ "bigserial", ODS_ETL_T_INT64 },
	{ "float", ODS_ETL_T_FLOAT32 }, { "real", ODS_ETL_T_FLOAT32 },
	{ "float4", ODS_ETL_T_FLOAT32 },
	{ "double", ODS_ETL_T_FLOAT64 }, { "float8", ODS_ETL_T_FLOAT64 },
	{ "double precision", ODS_ETL_T_FLOAT64 },
	{ "decimal", ODS_ETL_T_DECIMAL }, { "numeric", ODS_ETL_T_DECIMAL },
	{ "date", ODS_ETL_T_DATE }, { "time", ODS_ETL_T_TIME },
	{ "datetime", ODS_ETL_T_DATETIME }, { "timestamp", ODS_ETL_T_DATETIME },
	{ "timestamp without time zone", ODS_ETL_T_DATETIME },
	{ "timestamptz", ODS_ETL_T_TIMESTAMPTZ },
	{ "timestamp with time zone", ODS_ETL_T_TIMESTAMPTZ },
	{ "varchar", ODS_ETL_T_VARCHAR }, { "char", ODS_ETL_T_VARCHAR },
	{ "character varying", ODS_ETL_T_VARCHAR },
	{ "character", ODS_ETL_T_VARCHAR },
	{ "text", ODS_ETL_T_TEXT }, { "tinytext", ODS_ETL_T_TEXT },
	{ "mediumtext", ODS_ETL_T_TEXT }, { "longtext", ODS_ETL_T_TEXT },
	{ "enum", ODS_ETL_T_TEXT }, { "set", ODS_ETL_T_TEXT },
	{ "json", ODS_ETL_T_JSON }, { "jsonb", ODS_ETL_T_JSON },
	{ "blob", ODS_ETL_T_BYTES }, { "tinyblob", ODS_ETL_T_BYTES },
	{ "mediumblob", ODS_ETL_T_BYTES }, { "longblob", ODS_ETL_T_BYTES },
	{ "binary", ODS_ETL_T_BYTES }, { "varbinary", ODS_ETL_T_BYTES },
	{ "bytea", ODS_ETL_T_BYTES },
	{ "uuid", ODS_ETL_T_UUID },
	{ "string", ODS_ETL_T_TEXT }, { "float64", ODS_ETL_T_FLOAT64 },
	{ "int64", ODS_ETL_T_INT64 },
};

void
ods_etl_type_parse(const char *s, struct ods_etl_coltype *ct)
{
	char		 base[40];
	const char	*p;
	size_t		 i, n;
	int		 a = 0, b = 0;

	memset(ct, 0, sizeof(*ct));
	ct->t = ODS_ETL_T_TEXT;
	if (s == NULL)
		return;
	while (isspace((unsigned char)*s))
		s++;
	n = strcspn(s, "(");
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n == 0 || n >= sizeof(base))
		return;
	for (i = 0; i < n; i++)
		base[i] = (char)tolower((unsigned char)s[i]);
	base[n] = '\0';
	/* MariaDB's "int unsigned" (no length): the attribute is no type. */
	if (n > 9 && strcmp(base + n - 9, " unsigned") == 0)
		base[n - 9] = '\0';
	if ((p = strchr(s, '(')) != NULL)
		(void)sscanf(p, "(%d,%d", &a, &b);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(base, names[i].name) == 0) {
			ct->t = names[i].t;
			break;
		}
	if (strstr(s, "unsigned") != NULL || strstr(s, "UNSIGNED") != NULL) {
		if (ct->t == ODS_ETL_T_INT64)
			ct->t = ODS_ETL_T_UINT64;
		else if (ct->t == ODS_ETL_T_INT32)
			ct->t = ODS_ETL_T_INT64;
		else if (ct->t == ODS_ETL_T_INT16)
			ct->t = ODS_ETL_T_INT32;
	}
	if (ct->t == ODS_ETL_T_VARCHAR)
		ct->len = a > 0 ? a : 255;
	if (ct->t == ODS_ETL_T_DATETIME || ct->t == ODS_ETL_T_TIME ||
	    ct->t == ODS_ETL_T_TIMESTAMPTZ)
		ct->scale = p != NULL ? a : strcmp(base, "datetime") == 0 ||
		    strcmp(base, "time") == 0 ? 0 : 6;
	if (ct->t == ODS_ETL_T_DECIMAL) {
		ct->prec = a > 0 ? a : 38;
		ct->scale = a > 0 ? b : 10;
	}
	/* MariaDB's BIT(1) and TINYINT(1) as booleans; BIT(n) as a number. */
	if (strcmp(base, "bit") == 0 && a > 1)
		ct->t = ODS_ETL_T_INT64;
}

void
ods_etl_type_decl(const struct ods_etl_coltype *ct, int pg, char *buf,
    size_t len)
{
	int	vl = ct->len > 0 ? ct->len : 255;
	int	p = ct->prec > 0 ? ct->prec : 38, s = ct->scale;
	/* Fractional seconds of times: the source's, at most 6. */
	int	fsp = ct->scale < 0 ? 0 : ct->scale > 6 ? 6 : ct->scale;

	if (p > 65)
		p = 65;
	if (s > 30)
		s = 30;
	if (s > p)
		s = p;
	switch (ct->t) {
	case ODS_ETL_T_BOOL:
		snprintf(buf, len, "%s", pg ? "BOOLEAN" : "TINYINT(1)");
		break;
	case ODS_ETL_T_INT16:
		snprintf(buf, len, "SMALLINT");
		break;
	case ODS_ETL_T_INT32:
		snprintf(buf, len, "INTEGER");
		break;
	case ODS_ETL_T_INT64:
		snprintf(buf, len, "BIGINT");
		break;
	case ODS_ETL_T_UINT64:
		/* PostgreSQL has no unsigned 64-bit integer. */
		snprintf(buf, len, "%s", pg ? "NUMERIC(20,0)" :
		    "BIGINT UNSIGNED");
		break;
	case ODS_ETL_T_FLOAT32:
		snprintf(buf, len, "%s", pg ? "REAL" : "FLOAT");
		break;
	case ODS_ETL_T_FLOAT64:
		snprintf(buf, len, "%s", pg ? "DOUBLE PRECISION" : "DOUBLE");
		break;
	case ODS_ETL_T_DECIMAL:
		snprintf(buf, len, "%s(%d,%d)", pg ? "NUMERIC" : "DECIMAL", p,
		    s);
		break;
	case ODS_ETL_T_DATE:
		snprintf(buf, len, "DATE");
		break;
	case ODS_ETL_T_TIME:
		snprintf(buf, len, "%s(%d)", pg ? "TIME" : "TIME", fsp);
		break;
	case ODS_ETL_T_DATETIME:
		snprintf(
		    buf, len, "%s(%d)", pg ? "TIMESTAMP" : "DATETIME", fsp);
		break;
	case ODS_ETL_T_TIMESTAMPTZ:
		snprintf(buf, len, "%s(%d)", pg ? "TIMESTAMPTZ" : "DATETIME",
		    fsp);
		break;
	case ODS_ETL_T_VARCHAR:
		/* Past MariaDB's row size a long VARCHAR becomes TEXT. */
		if (!pg && vl > 16383)
			snprintf(buf, len, "LONGTEXT");
		else
			snprintf(buf, len, "VARCHAR(%d)", vl);
		break;
	case ODS_ETL_T_JSON:
		snprintf(buf, len, "%s", pg ? "JSONB" : "LONGTEXT");
		break;
	case ODS_ETL_T_BYTES:
		snprintf(buf, len, "%s", pg ? "BYTEA" : "LONGBLOB");
		break;
	case ODS_ETL_T_UUID:
		snprintf(buf, len, "%s", pg ? "UUID" : "CHAR(36)");
		break;
	default:
		snprintf(buf, len, "%s", pg ? "TEXT" : "LONGTEXT");
		break;
	}
}

/* n digits of s, all of them. */
static int
digits(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return n > 0;
}

static int
is_int(const char *v, size_t n)
{
	if (n > 0 && (v[0] == '-' || v[0] == '+'))
		return n > 1 && n <= 20 && digits(v + 1, n - 1);
	return n <= 20 && digits(v, n);
}

static int
is_num(const char *v, size_t n, char *buf, size_t len)
{
	char	*end;

	if (n == 0 || n >= len)
		return 0;
	memcpy(buf, v, n);
	buf[n] = '\0';
	/* strtod takes "inf", "nan" and hex: a number of the databases' does
	 * not. */
	if (strpbrk(buf, "xXiInN") != NULL)
		return 0;
	(void)strtod(buf, &end);
	return *end == '\0';
}

/* YYYY-MM-DD with a month and a day in range. */
static int
is_date(const char *v, size_t n)
{
	int	m, d;

	if (n != 10 || !digits(v, 4) || v[4] != '-' || !digits(v + 5, 2) ||
	    v[7] != '-' || !digits(v + 8, 2))
		return 0;
	m = (v[5] - '0') * 10 + (v[6] - '0');
	d = (v[8] - '0') * 10 + (v[9] - '0');
	return m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

/*
 * YYYY-MM-DD[T ]hh:mm[:ss[.ffffff]][Z]: normalised to "YYYY-MM-DD
 * hh:mm:ss[.f]" into buf (both dialects read it).
 */
static int
is_datetime(const char *v, size_t n, char *buf, size_t len)
{
	size_t	k;

	if (n > 0 && v[n - 1] == 'Z')
		n--;
	if (n == 10 && is_date(v, n)) {
		snprintf(buf, len, "%.10s 00:00:00", v);
		return 1;
	}
	if (n < 16 || n >= len || !is_date(v, 10) || (v[10] != 'T' &&
	    v[10] != ' ') || !digits(v + 11, 2) || v[13] != ':' ||
	    !digits(v + 14, 2))
		return 0;
	k = 16;
	if (n > k && (v[k] != ':' || n < k + 3 || !digits(v + k + 1, 2)))
		return 0;
	if (n > k)
		k += 3;
	if (n > k && (v[k] != '.' || !digits(v + k + 1, n - k - 1)))
		return 0;
	memcpy(buf, v, n);
	buf[10] = ' ';
	buf[n] = '\0';
	return 1;
}

static const char *
is_bool(const char *v, size_t n)
{
	static const char *const t[] = { "1", "true", "t", "yes", "y" };
	static const char *const f[] = { "0", "false", "f", "no", "n" };
	size_t	i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (strlen(t[i]) == n && strncasecmp(v, t[i], n) == 0)
			return "1";
		if (strlen(f[i]) == n && strncasecmp(v, f[i], n) == 0)
			return "0";
	}
	return NULL;
}

const char *
odsi_etl_cast(enum ods_etl_ctype t, const char *v, size_t n, char *buf,
    size_t len, const char **out, size_t *outn)
{
	const char	*b;

	*out = v;
	*outn = n;
	switch (t) {
	case ODS_ETL_T_INT16: case ODS_ETL_T_INT32: case ODS_ETL_T_INT64:
	case ODS_ETL_T_UINT64:
		return is_int(v, n) ? NULL : "is not an integer";
	case ODS_ETL_T_FLOAT32: case ODS_ETL_T_FLOAT64: case ODS_ETL_T_DECIMAL:
		return is_num(v, n, buf, len) ? NULL : "is not a number";
	case ODS_ETL_T_DATE:
		return is_date(v, n) ? NULL : "is not a date (YYYY-MM-DD)";
	case ODS_ETL_T_DATETIME: case ODS_ETL_T_TIMESTAMPTZ:
		if (!is_datetime(v, n, buf, len))
			return "is not a date and time (ISO-8601)";
		*out = buf;
		*outn = strlen(buf);
		return NULL;
	case ODS_ETL_T_BOOL:
		if ((b = is_bool(v, n)) == NULL)
			return "is not a boolean";
		*out = b;
		*outn = 1;
		return NULL;
	default:
		return NULL;
	}
}
