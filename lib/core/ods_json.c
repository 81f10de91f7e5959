/* lib/core/ods_json.c — json-c behind limits, and a writer that builds no tree. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "core/ods_json.h"
#include "core/ods_log.h"
#include "core/ods_mem.h"

static enum ods_err fail(struct ods_why *, const char *, const char *,
    ...) __attribute__((format(printf, 3, 4)));

/* Record what was wrong; field may be NULL (the document itself). */
static enum ods_err
fail(struct ods_why *e, const char *field, const char *fmt, ...)
{
	va_list	ap;

	if (e != NULL) {
		snprintf(e->field, sizeof(e->field), "%s", field ? field : "");
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
	}
	return ODS_EINVAL;
}

/*
 * json-c 0.16 accepts 'single-quoted' strings even in strict mode; JSON
 * (RFC 8259) does not. Returns the offset of the first quote outside a
 * string, or -1.
 */
static long
single_quote_at(const char *s, size_t len)
{
	size_t	i;
	int	in = 0;

	for (i = 0; i < len; i++) {
		if (in && s[i] == '\\')
			i++;
		else if (s[i] == '"')
			in = !in;
		else if (!in && s[i] == '\'')
			return (long)i;
	}
	return -1;
}

/*
 * An upper bound of the values in a document, counted on the bytes before
 * json-c builds anything: each value but the first follows a ',' or
 * opens a container, outside strings.
 */
static size_t
values_bound(const char *s, size_t len)
{
	size_t	i, n = 1;
	int	in_str = 0;

	for (i = 0; i < len; i++) {
		if (in_str) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				in_str = 0;
			continue;
		}
		switch (s[i]) {
		case '"':
			in_str = 1;
			break;
		case ',':
		case '[':
		case '{':
			n++;
			break;
		}
	}
	return n;
}

enum ods_err
ods_json_parse(const char *s, size_t len, int max_depth,
    struct json_object **out, struct ods_why *e)
{
	struct json_tokener	*tok;
	struct json_object	*obj;
	enum json_tokener_error	 jerr;
	size_t			 off;
	long			 q;

	*out = NULL;
	if (len == 0)
		return fail(e, NULL, "request body is empty");
	if (len > INT32_MAX)
		return ODS_ETOOBIG;
	if (values_bound(s, len) > ODS_JSON_MAX_VALUES) {
		ods_why_set(e, NULL, "the JSON document has more than %d "
		    "values", ODS_JSON_MAX_VALUES);
		return ODS_ETOOBIG;
	}
	if ((tok = json_tokener_new_ex(max_depth > 0 ? max_depth :
	    ODS_JSON_MAX_DEPTH)) == NULL)
		return ODS_ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, s, (int)len);
	jerr = json_tokener_get_error(tok);
	off = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (jerr == json_tokener_continue)
		return fail(e, NULL, "invalid JSON: unexpected end of "
		    "input");
	if (jerr != json_tokener_success) {
		json_object_put(obj);
		return fail(e, NULL, "invalid JSON: %s at byte %zu",
		    json_tokener_error_desc(jerr), off);
	}
	while (off < len && strchr(" \t\r\n", s[off]) != NULL)
		off++;
	if (off != len) {
		json_object_put(obj);
		return fail(e, NULL, "invalid JSON: trailing data at byte %zu",
		    off);
	}
	if ((q = single_quote_at(s, len)) >= 0) {
		json_object_put(obj);
		return fail(e, NULL, "invalid JSON: single quote at byte %ld",
		    q);
	}
	*out = obj;
	return ODS_OK;
}

void
ods_json_put(struct json_object *obj)
{
	json_object_put(obj);
}

/* Find field; sets *v to NULL for missing or null. */
static enum ods_err
member(struct json_object *obj, const char *field, int required,
    struct json_object **v, struct ods_why *e)
{
	*v = NULL;
	if (obj == NULL || !json_object_is_type(obj, json_type_object))
		return fail(e, NULL, "request body must be a JSON "
		    "object");
	if (!json_object_object_get_ex(obj, field, v) || *v == NULL) {
		*v = NULL;
		if (!required)
			return ODS_ENOTFOUND;
		return fail(e, field, "field '%s' is required", field);
	}
	return ODS_OK;
}

enum ods_err
ods_json_str(struct json_object *obj, const char *field, int required,
    size_t maxlen, const char **out, struct ods_why *e)
{
	struct json_object	*v;
	enum ods_err		 er;
	char			 lim[32];

	if ((er = member(obj, field, required, &v, e)) != ODS_OK)
		return er;
	if (!json_object_is_type(v, json_type_string))
		return fail(e, field, "field '%s' must be a string", field);
	if (maxlen > 0 && (size_t)json_object_get_string_len(v) > maxlen) {
		snprintf(lim, sizeof(lim), "%zu", maxlen);
		return fail(e, field, "field '%s' is longer than %s bytes",
		    field, lim);
	}
	*out = json_object_get_string(v);
	return ODS_OK;
}

enum ods_err
ods_json_int(struct json_object *obj, const char *field, int required,
    int64_t min, int64_t max, int64_t *out, struct ods_why *e)
{
	struct json_object	*v;
	enum ods_err		 er;
	int64_t			 n;
	double			 d;
	char			 range[64];

	if ((er = member(obj, field, required, &v, e)) != ODS_OK)
		return er;
	if (json_object_is_type(v, json_type_double)) {
		/* 10.0 is an integer; 10.5 and 1e300 are not. */
		d = json_object_get_double(v);
		if (d != floor(d) || d < -9.2e18 || d > 9.2e18)
			return fail(e, field, "field '%s' must be an "
			    "integer", field);
		n = (int64_t)d;
	} else if (json_object_is_type(v, json_type_int)) {
		/* json-c saturates: past INT64_MAX it holds a uint64. */
		n = json_object_get_int64(v);
		if (n == INT64_MAX && json_object_get_uint64(v) >
		    (uint64_t)INT64_MAX)
			return fail(e, field, "field '%s' is out of range", field);
	} else
		return fail(e, field, "field '%s' must be an integer", field);
	if (n < min || n > max) {
		snprintf(range, sizeof(range), " (%lld..%lld)",
		    (long long)min, (long long)max);
		return fail(e, field, "field '%s' is out of range%s", field,
		    range);
	}
	*out = n;
	return ODS_OK;
}

enum ods_err
ods_json_num(struct json_object *obj, const char *field, int required,
    double min, double max, double *out, struct ods_why *e)
{
	struct json_object	*v;
	enum ods_err		 er;
	double			 d;
	char			 range[80];

	if ((er = member(obj, field, required, &v, e)) != ODS_OK)
		return er;
	if (!json_object_is_type(v, json_type_double) &&
	    !json_object_is_type(v, json_type_int))
		return fail(e, field, "field '%s' must be a number", field);
	d = json_object_get_double(v);
	if (!isfinite(d) || d < min || d > max) {
		snprintf(range, sizeof(range), " (%g..%g)", min, max);
		return fail(e, field, "field '%s' is out of range%s", field,
		    range);
	}
	*out = d;
	return ODS_OK;
}

enum ods_err
ods_json_bool(struct json_object *obj, const char *field, int required,
    int *out, struct ods_why *e)
{
	struct json_object	*v;
	enum ods_err		 er;

	if ((er = member(obj, field, required, &v, e)) != ODS_OK)
		return er;
	if (!json_object_is_type(v, json_type_boolean))
		return fail(e, field, "field '%s' must be true or false", field);
	*out = json_object_get_boolean(v);
	return ODS_OK;
}

static enum ods_err
typed(struct json_object *obj, const char *field, int required,
    json_type t, struct json_object **out, struct ods_why *e)
{
	struct json_object	*v;
	enum ods_err		 er;

	if ((er = member(obj, field, required, &v, e)) != ODS_OK)
		return er;
	if (!json_object_is_type(v, t))
		return fail(e, field, "field '%s' must be an %s", field,
		    t == json_type_object ? "object" : "array");
	*out = v;
	return ODS_OK;
}

enum ods_err
ods_json_obj(struct json_object *obj, const char *field, int required,
    struct json_object **out, struct ods_why *e)
{
	return typed(obj, field, required, json_type_object, out, e);
}

enum ods_err
ods_json_arr(struct json_object *obj, const char *field, int required,
    struct json_object **out, struct ods_why *e)
{
	return typed(obj, field, required, json_type_array, out, e);
}

enum ods_err
ods_json_strs(struct json_object *obj, const char *field, size_t max,
    size_t maxlen, const char **out, size_t *n, struct ods_why *e)
{
	struct json_object	*a = NULL;
	const char		*s;
	size_t			 i, len;
	enum ods_err		 er;

	*n = 0;
	if ((er = ods_json_arr(obj, field, 0, &a, e)) != ODS_OK)
		return er;
	if ((len = ods_json_arr_len(a)) > max) {
		ods_why_set(e, field, "field '%s' holds at most %zu names",
		    field, max);
		return ODS_EINVAL;
	}
	for (i = 0; i < len; i++) {
		s = ods_json_arr_str(a, i);
		if (s == NULL || (maxlen > 0 && strlen(s) > maxlen)) {
			ods_why_set(e, field, "field '%s' must hold strings "
			    "(at most %zu bytes)", field, maxlen);
			return ODS_EINVAL;
		}
		out[i] = s;
	}
	*n = len;
	return ODS_OK;
}

size_t
ods_json_arr_len(struct json_object *a)
{
	return json_object_is_type(a, json_type_array) ?
	    json_object_array_length(a) : 0;
}

struct json_object *
ods_json_arr_get(struct json_object *a, size_t i)
{
	return json_object_is_type(a, json_type_array) ?
	    json_object_array_get_idx(a, i) : NULL;
}

int
ods_json_is_obj(struct json_object *o)
{
	return o != NULL && json_object_is_type(o, json_type_object);
}

enum ods_err
ods_json_obj_scalars(struct json_object *obj, size_t max, const char **keys,
    const char **vals, size_t *n)
{
	*n = 0;
	if (!json_object_is_type(obj, json_type_object))
		return ODS_EINVAL;
	json_object_object_foreach(obj, k, v) {
		if (!json_object_is_type(v, json_type_string) &&
		    !json_object_is_type(v, json_type_int) &&
		    !json_object_is_type(v, json_type_double) &&
		    !json_object_is_type(v, json_type_boolean))
			return ODS_EINVAL;
		if (*n >= max)
			return ODS_ETOOBIG;
		keys[*n] = k;
		vals[*n] = json_object_get_string(v);
		(*n)++;
	}
	return ODS_OK;
}

const char *
ods_json_arr_str(struct json_object *a, size_t i)
{
	struct json_object	*v = ods_json_arr_get(a, i);

	return v != NULL && json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : NULL;
}

const char *
ods_json_get_str(struct json_object *obj, const char *field)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(obj, field, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

enum ods_json_kind
ods_json_kind(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_boolean:
		return ODS_JSON_BOOL;
	case json_type_int:
	case json_type_double:
		return ODS_JSON_NUMBER;
	case json_type_string:
		return ODS_JSON_STRING;
	case json_type_array:
		return ODS_JSON_ARRAY;
	case json_type_object:
		return ODS_JSON_OBJECT;
	default:
		return ODS_JSON_NULL;
	}
}

const char *
ods_json_string(struct json_object *v)
{
	return json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : NULL;
}

struct json_object *
ods_json_get(struct json_object *obj, const char *field)
{
	struct json_object	*v;

	if (!json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, field, &v))
		return NULL;
	return v;
}

const char *
ods_json_text(struct json_object *v)
{
	return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
}

int
ods_json_obj_each(struct json_object *obj,
    int (*fn)(void *, const char *, struct json_object *), void *arg)
{
	int	rc;

	if (!json_object_is_type(obj, json_type_object))
		return 0;
	json_object_object_foreach(obj, k, v) {
		if ((rc = fn(arg, k, v)) != 0)
			return rc;
	}
	return 0;
}

/* ---- writer ---- */

void
ods_jw_init(struct ods_jw *w, struct ods_buf *b)
{
	memset(w, 0, sizeof(*w));
	w->buf = b;
}

enum ods_err
ods_jw_error(const struct ods_jw *w)
{
	return w->err;
}

static void
put(struct ods_jw *w, const char *s, size_t n)
{
	if (w->err == ODS_OK)
		w->err = ods_buf_add(w->buf, s, n);
}

#define ST_FIRST	0x01	/* no member written yet */
#define ST_ARRAY	0x02	/* closes with ] */

/* Comma before a value or key when it is not the first. */
static void
sep(struct ods_jw *w)
{
	if (w->after_key) {
		w->after_key = 0;
		return;
	}
	if (w->depth > 0) {
		if (!(w->st[w->depth - 1] & ST_FIRST))
			put(w, ",", 1);
		w->st[w->depth - 1] &= ~ST_FIRST;
	}
}

static void
open_(struct ods_jw *w, int array)
{
	sep(w);
	if (w->depth >= ODS_JW_MAX_DEPTH) {
		if (w->err == ODS_OK)
			w->err = ODS_EINVAL;
		return;
	}
	put(w, array ? "[" : "{", 1);
	w->st[w->depth++] = ST_FIRST | (array ? ST_ARRAY : 0);
}

void
ods_jw_obj(struct ods_jw *w)
{
	open_(w, 0);
}

void
ods_jw_arr(struct ods_jw *w)
{
	open_(w, 1);
}

void
ods_jw_end(struct ods_jw *w)
{
	if (w->depth == 0) {
		if (w->err == ODS_OK)
			w->err = ODS_EINTERNAL;
		return;
	}
	w->depth--;
	put(w, (w->st[w->depth] & ST_ARRAY) ? "]" : "}", 1);
}

void
ods_jw_key(struct ods_jw *w, const char *k)
{
	ods_jw_strn(w, k, strlen(k));
	put(w, ":", 1);
	w->after_key = 1;
}

void
ods_jw_strn(struct ods_jw *w, const char *s, size_t n)
{
	char	 chunk[1024];
	size_t	 used, in, step;

	sep(w);
	put(w, "\"", 1);
	/* Escape in slices so any length fits a fixed stack buffer. */
	for (in = 0; in < n && w->err == ODS_OK; in += step) {
		step = n - in < 160 ? n - in : 160;
		/* Do not cut a UTF-8 sequence in two. */
		while (step < n - in && step > 0 &&
		    ((unsigned char)s[in + step] & 0xc0) == 0x80)
			step--;
		if (step == 0)
			step = n - in < 160 ? n - in : 160;
		used = ods_log_escape(chunk, sizeof(chunk), s + in, step);
		put(w, chunk, used);
	}
	put(w, "\"", 1);
}

void
ods_jw_str(struct ods_jw *w, const char *s)
{
	if (s == NULL)
		ods_jw_null(w);
	else
		ods_jw_strn(w, s, strlen(s));
}

void
ods_jw_int(struct ods_jw *w, int64_t v)
{
	char		 num[24], *p = num + sizeof(num);
	uint64_t	 u;

	/* Digits by hand: every envelope writes integers, printf is slow. */
	u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	sep(w);
	put(w, p, (size_t)(num + sizeof(num) - p));
}

void
ods_jw_num(struct ods_jw *w, double v)
{
	char	num[32];
	int	n, prec;

	if (!isfinite(v)) {
		ods_jw_null(w);
		return;
	}
	sep(w);
	/* The shortest form that reads back as the same double. */
	for (prec = 6; prec < 17; prec++) {
		n = snprintf(num, sizeof(num), "%.*g", prec, v);
		if (strtod(num, NULL) == v)
			break;
	}
	if (prec == 17)
		n = snprintf(num, sizeof(num), "%.17g", v);
	put(w, num, (size_t)n);
}

void
ods_jw_bool(struct ods_jw *w, int v)
{
	sep(w);
	put(w, v ? "true" : "false", v ? 4 : 5);
}

void
ods_jw_null(struct ods_jw *w)
{
	sep(w);
	put(w, "null", 4);
}

void
ods_jw_raw(struct ods_jw *w, const char *s, size_t n)
{
	sep(w);
	put(w, s, n);
}

void
ods_jw_kstr(struct ods_jw *w, const char *k, const char *v)
{
	ods_jw_key(w, k);
	ods_jw_str(w, v);
}

void
ods_jw_kint(struct ods_jw *w, const char *k, int64_t v)
{
	ods_jw_key(w, k);
	ods_jw_int(w, v);
}

void
ods_jw_knum(struct ods_jw *w, const char *k, double v)
{
	ods_jw_key(w, k);
	ods_jw_num(w, v);
}

void
ods_jw_kbool(struct ods_jw *w, const char *k, int v)
{
	ods_jw_key(w, k);
	ods_jw_bool(w, v);
}
