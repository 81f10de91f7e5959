/* lib/core/ods_json.h — JSON in (json-c, with limits) and JSON out (a writer). */
#ifndef ODS_JSON_H
#define ODS_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "core/ods_err.h"

struct json_object;	/* json-c; only ods_json.c includes its header */
struct ods_buf;

#define ODS_JSON_MAX_DEPTH	32	/* default nesting limit of bodies */
/*
 * Values per document at most: json-c spends up to ~260 bytes of memory
 * per byte of "[{},{},...]", so the body cap alone does not bound a
 * parse's memory. 100 000 values cost 26 MB at worst.
 */
#define ODS_JSON_MAX_VALUES	100000

/*
 * Parse exactly one JSON document of len bytes with at most max_depth
 * levels of nesting (0 = ODS_JSON_MAX_DEPTH). Trailing bytes other than
 * white space are an error. On success *out is a new reference: release it
 * with ods_json_put(). Returns ODS_OK or ODS_EINVAL (reason in e).
 */
enum ods_err	 ods_json_parse(const char *, size_t len, int max_depth,
		    struct json_object **out, struct ods_why *e)
		    ODS_MUSTCHECK;
void		 ods_json_put(struct json_object *);	/* NULL is a no-op */

/*
 * Typed access to a field of an object. A missing field or a JSON null
 * gives ODS_ENOTFOUND when optional (output untouched) and ODS_EINVAL
 * ("field 'x' is required") when required; a value of the wrong type or
 * out of range gives ODS_EINVAL naming the field. Strings are borrowed
 * from obj and must be valid UTF-8 no longer than maxlen bytes (0 = no
 * limit).
 */
enum ods_err	 ods_json_str(struct json_object *, const char *field,
		    int required, size_t maxlen, const char **out,
		    struct ods_why *);
enum ods_err	 ods_json_int(struct json_object *, const char *field,
		    int required, int64_t min, int64_t max, int64_t *out,
		    struct ods_why *);
enum ods_err	 ods_json_num(struct json_object *, const char *field,
		    int required, double min, double max, double *out,
		    struct ods_why *);
enum ods_err	 ods_json_bool(struct json_object *, const char *field,
		    int required, int *out, struct ods_why *);
/* Borrowed object/array member (type checked). */
enum ods_err	 ods_json_obj(struct json_object *, const char *field,
		    int required, struct json_object **out,
		    struct ods_why *);
enum ods_err	 ods_json_arr(struct json_object *, const char *field,
		    int required, struct json_object **out,
		    struct ods_why *);
/*
 * An optional array of at most max strings of at most maxlen bytes (0:
 * any) into out[] (borrowed from obj), *n of them. ODS_ENOTFOUND when
 * absent or null (*n 0); ODS_EINVAL naming the field otherwise.
 */
enum ods_err	 ods_json_strs(struct json_object *, const char *field,
		    size_t max, size_t maxlen, const char **out, size_t *n,
		    struct ods_why *);
size_t		 ods_json_arr_len(struct json_object *);
struct json_object *ods_json_arr_get(struct json_object *, size_t);
/*
 * The members of an object whose values are strings, numbers or booleans
 * (as text), at most max of them: keys[i] and vals[i] borrowed from obj.
 * ODS_ETOOBIG past max, ODS_EINVAL for another kind of value or obj not
 * an object.
 */
enum ods_err	 ods_json_obj_scalars(struct json_object *, size_t max,
		    const char **keys, const char **vals, size_t *n)
		    ODS_MUSTCHECK;
/* Whether the value is a JSON object. */
int		 ods_json_is_obj(struct json_object *);
/* Element i of an array when it is a string (borrowed), else NULL. */
const char	*ods_json_arr_str(struct json_object *, size_t);
/*
 * The string value of field (borrowed), NULL when it is absent or not a
 * string: for documents we read but do not validate field by field.
 */
const char	*ods_json_get_str(struct json_object *, const char *field);
/* The kinds of JSON value; a NULL pointer is ODS_JSON_NULL. */
enum ods_json_kind {
	ODS_JSON_NULL = 0,
	ODS_JSON_BOOL,
	ODS_JSON_NUMBER,
	ODS_JSON_STRING,
	ODS_JSON_ARRAY,
	ODS_JSON_OBJECT
};
enum ods_json_kind ods_json_kind(struct json_object *);
/* The text of a string value (borrowed); NULL for another kind. */
const char	*ods_json_string(struct json_object *);
/* Member field of an object (borrowed); NULL when absent or not an object. */
struct json_object *ods_json_get(struct json_object *, const char *field);
/* The text of any value (borrowed, valid until obj is released). */
const char	*ods_json_text(struct json_object *);
/*
 * Call fn for each member of an object in order, key and value borrowed;
 * a non-zero return stops the walk and is returned. 0 for a non-object.
 */
int		 ods_json_obj_each(struct json_object *,
		    int (*fn)(void *arg, const char *key, struct json_object *),
		    void *arg);

/*
 * A streaming writer into an ods_buf: no tree is built. Commas and
 * nesting are tracked; strings are escaped (invalid UTF-8 replaced).
 * Errors (ODS_ETOOBIG from the buffer cap, ODS_ENOMEM, nesting past
 * ODS_JW_MAX_DEPTH) stick: once set, writes do nothing and
 * ods_jw_error() reports the first.
 */
#define ODS_JW_MAX_DEPTH	64

struct ods_jw {
	struct ods_buf	*buf;
	enum ods_err	 err;
	int		 depth;
	unsigned char	 st[ODS_JW_MAX_DEPTH];	/* per level: first? array? */
	unsigned char	 after_key;		   /* a value is due */
};

void		 ods_jw_init(struct ods_jw *, struct ods_buf *);
enum ods_err	 ods_jw_error(const struct ods_jw *);
void		 ods_jw_obj(struct ods_jw *);
void		 ods_jw_arr(struct ods_jw *);
void		 ods_jw_end(struct ods_jw *);	/* closes obj or arr */
void		 ods_jw_key(struct ods_jw *, const char *);
void		 ods_jw_str(struct ods_jw *, const char *);	/* NULL: null */
void		 ods_jw_strn(struct ods_jw *, const char *, size_t);
void		 ods_jw_int(struct ods_jw *, int64_t);
void		 ods_jw_num(struct ods_jw *, double);	/* NaN/inf: null */
void		 ods_jw_bool(struct ods_jw *, int);
void		 ods_jw_null(struct ods_jw *);
/* Already-serialised JSON (trusted, e.g. from ods_json_text). */
void		 ods_jw_raw(struct ods_jw *, const char *, size_t);
/* Key-value shorthands. */
void		 ods_jw_kstr(struct ods_jw *, const char *, const char *);
void		 ods_jw_kint(struct ods_jw *, const char *, int64_t);
void		 ods_jw_knum(struct ods_jw *, const char *, double);
void		 ods_jw_kbool(struct ods_jw *, const char *, int);

#endif /* ODS_JSON_H */
