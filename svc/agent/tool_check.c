/*
 * svc/agent/tool_check.c — the JSON Schema subset tools' arguments are
 * checked against (tool.h). Small on purpose: the schemas are ours, so
 * only the keywords they use are understood; others are ignored.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_err.h"
#include "core/ods_json.h"
#include "tool.h"

#define PATH_MAX_LEN	128

static enum ods_err	check(struct json_object *, struct json_object *,
			    const char *, int, struct ods_why *);

/* "argument 'path' <what><a>" */
static enum ods_err
bad(struct ods_why *why, const char *path, const char *what, const char *a)
{
	ods_why_set(why, path, "argument '%s' %s%s", path, what, a);
	return ODS_EINVAL;
}

static int
type_ok(const char *type, struct json_object *v)
{
	enum ods_json_kind	k = ods_json_kind(v);
	double			d;

	if (strcmp(type, "object") == 0)
		return k == ODS_JSON_OBJECT;
	if (strcmp(type, "array") == 0)
		return k == ODS_JSON_ARRAY;
	if (strcmp(type, "string") == 0)
		return k == ODS_JSON_STRING;
	if (strcmp(type, "boolean") == 0)
		return k == ODS_JSON_BOOL;
	if (strcmp(type, "number") == 0)
		return k == ODS_JSON_NUMBER;
	if (strcmp(type, "integer") == 0) {
		if (k != ODS_JSON_NUMBER)
			return 0;
		d = strtod(ods_json_text(v), NULL);
		return d == floor(d) && fabs(d) < 9007199254740992.0;
	}
	return 1;	/* a type we do not know: not ours to refuse */
}

static enum ods_err
check_enum(struct json_object *en, struct json_object *v, const char *path,
    struct ods_why *why)
{
	size_t	i, n = ods_json_arr_len(en);

	for (i = 0; i < n; i++)
		if (strcmp(ods_json_text(ods_json_arr_get(en, i)),
		    ods_json_text(v)) == 0)
			return ODS_OK;
	return bad(why, path, "must be one of ", ods_json_text(en));
}

static enum ods_err
check_number(struct json_object *s, struct json_object *v, const char *path,
    struct ods_why *why)
{
	struct json_object	*lim;
	double			 d = strtod(ods_json_text(v), NULL);

	if ((lim = ods_json_get(s, "minimum")) != NULL &&
	    d < strtod(ods_json_text(lim), NULL))
		return bad(why, path, "must be at least ",
		    ods_json_text(lim));
	if ((lim = ods_json_get(s, "maximum")) != NULL &&
	    d > strtod(ods_json_text(lim), NULL))
		return bad(why, path, "must be at most ",
		    ods_json_text(lim));
	return ODS_OK;
}

static enum ods_err
check_string(struct json_object *s, struct json_object *v, const char *path,
    struct ods_why *why)
{
	struct json_object	*lim;
	size_t			 len = strlen(ods_json_string(v));

	if ((lim = ods_json_get(s, "maxLength")) != NULL &&
	    (double)len > strtod(ods_json_text(lim), NULL))
		return bad(why, path, "is longer than (bytes) ",
		    ods_json_text(lim));
	if ((lim = ods_json_get(s, "minLength")) != NULL &&
	    (double)len < strtod(ods_json_text(lim), NULL))
		return bad(why, path, "is shorter than (bytes) ",
		    ods_json_text(lim));
	return ODS_OK;
}

static enum ods_err
check_array(struct json_object *s, struct json_object *v, const char *path,
    int depth, struct ods_why *why)
{
	struct json_object	*lim, *items;
	char			 sub[PATH_MAX_LEN];
	size_t			 i, n = ods_json_arr_len(v);
	enum ods_err		 er;

	if ((lim = ods_json_get(s, "maxItems")) != NULL &&
	    (double)n > strtod(ods_json_text(lim), NULL))
		return bad(why, path, "has more items than ",
		    ods_json_text(lim));
	if ((items = ods_json_get(s, "items")) == NULL)
		return ODS_OK;
	for (i = 0; i < n; i++) {
		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		if ((er = check(items, ods_json_arr_get(v, i), sub, depth + 1,
		    why)) != ODS_OK)
			return er;
	}
	return ODS_OK;
}

struct walk {
	struct json_object	*v;
	const char		*path;
	int			 depth;
	struct ods_why		*why;
	enum ods_err		 er;
};

/* One declared property: checked when the arguments hold it. */
static int
check_prop(void *arg, const char *key, struct json_object *ps)
{
	struct walk		*w = arg;
	struct json_object	*pv;
	char			 sub[PATH_MAX_LEN];

	if ((pv = ods_json_get(w->v, key)) == NULL)
		return 0;
	snprintf(sub, sizeof(sub), "%s%s%s", w->path, *w->path ? "." : "",
	    key);
	w->er = check(ps, pv, sub, w->depth + 1, w->why);
	return w->er != ODS_OK;
}

static enum ods_err
check_object(struct json_object *s, struct json_object *v, const char *path,
    int depth, struct ods_why *why)
{
	struct json_object	*req;
	struct walk		 w;
	char			 sub[PATH_MAX_LEN];
	const char		*k;
	size_t			 i;

	req = ods_json_get(s, "required");
	for (i = 0; i < ods_json_arr_len(req); i++) {
		k = ods_json_arr_str(req, i);
		if (k != NULL && ods_json_get(v, k) == NULL) {
			snprintf(sub, sizeof(sub), "%s%s%s", path,
			    *path ? "." : "", k);
			return bad(why, sub, "is required", "");
		}
	}
	memset(&w, 0, sizeof(w));
	w.v = v;
	w.path = path;
	w.depth = depth;
	w.why = why;
	(void)ods_json_obj_each(ods_json_get(s, "properties"), check_prop,
	    &w);
	return w.er;
}

static enum ods_err
check(struct json_object *s, struct json_object *v, const char *path,
    int depth, struct ods_why *why)
{
	struct json_object	*t, *en;
	enum ods_json_kind	 k = ods_json_kind(v);

	if (depth > 16)
		return bad(why, path, "is nested too deep", "");
	t = ods_json_get(s, "type");
	if (t != NULL && ods_json_string(t) != NULL &&
	    !type_ok(ods_json_string(t), v))
		return bad(why, path, "must be of type ",
		    ods_json_string(t));
	if ((en = ods_json_get(s, "enum")) != NULL &&
	    check_enum(en, v, path, why) != ODS_OK)
		return ODS_EINVAL;
	if (k == ODS_JSON_NUMBER)
		return check_number(s, v, path, why);
	if (k == ODS_JSON_STRING)
		return check_string(s, v, path, why);
	if (k == ODS_JSON_ARRAY)
		return check_array(s, v, path, depth, why);
	if (k == ODS_JSON_OBJECT)
		return check_object(s, v, path, depth, why);
	return ODS_OK;
}

enum ods_err
ods_tool_check(struct json_object *schema, struct json_object *args,
    struct ods_why *why)
{
	if (args == NULL)
		return check_object(schema, NULL, "", 0, why);
	if (ods_json_kind(args) != ODS_JSON_OBJECT) {
		ods_why_set(why, "arguments", "arguments must be an object");
		return ODS_EINVAL;
	}
	return check(schema, args, "", 0, why);
}

/* ---- the schemas themselves (stored tools: tool_store.c) ---- */

#define SCHEMA_DEPTH	8
#define SCHEMA_PROPS	64
#define SCHEMA_ENUM	256

static enum ods_err	schema_valid(struct json_object *, const char *, int,
			    struct ods_why *);

static enum ods_err
schema_bad(struct ods_why *why, const char *path, const char *what)
{
	ods_why_set(why, path, "'%s' %s", path, what);
	return ODS_EINVAL;
}

static int
is_count(struct json_object *v)
{
	double	d;

	if (ods_json_kind(v) != ODS_JSON_NUMBER)
		return 0;
	d = strtod(ods_json_text(v), NULL);
	return d >= 0 && d == floor(d) && d < 1e12;
}

struct swalk {
	const char	*path;
	int		 depth;
	size_t		 n;
	struct ods_why	*why;
	enum ods_err	 er;
};

/* One member of a schema: a keyword the checker knows, well typed. */
static int
schema_kw(void *arg, const char *key, struct json_object *v)
{
	static const char *const counts[] = { "maxLength", "minLength",
	    "maxItems" };
	static const char *const types[] = { "object", "array", "string",
	    "integer", "number", "boolean" };
	struct swalk	*w = arg;
	char		 sub[PATH_MAX_LEN];
	size_t		 i;
	int		 ok = 0;

	snprintf(sub, sizeof(sub), "%s.%s", w->path, key);
	if (strcmp(key, "type") == 0) {
		for (i = 0; ods_json_string(v) != NULL && i < 6; i++)
			ok |= strcmp(ods_json_string(v), types[i]) == 0;
		if (!ok)
			w->er = schema_bad(w->why, sub, "must be one of object, "
			    "array, string, integer, number, boolean");
	} else if (strcmp(key, "properties") == 0)
		w->er = ODS_OK;		/* walked by schema_valid */
	else if (strcmp(key, "items") == 0)
		w->er = schema_valid(v, sub, w->depth + 1, w->why);
	else if (strcmp(key, "required") == 0) {
		if (ods_json_kind(v) != ODS_JSON_ARRAY)
			w->er = schema_bad(w->why, sub, "must be an array of "
			    "names");
		for (i = 0; w->er == ODS_OK && i < ods_json_arr_len(v); i++)
			if (ods_json_arr_str(v, i) == NULL)
				w->er = schema_bad(w->why, sub, "must be an "
				    "array of names");
	} else if (strcmp(key, "enum") == 0) {
		if (ods_json_kind(v) != ODS_JSON_ARRAY ||
		    ods_json_arr_len(v) == 0 ||
		    ods_json_arr_len(v) > SCHEMA_ENUM)
			w->er = schema_bad(w->why, sub, "must be an array of 1 "
			    "to 256 values");
	} else if (strcmp(key, "minimum") == 0 ||
	    strcmp(key, "maximum") == 0) {
		if (ods_json_kind(v) != ODS_JSON_NUMBER)
			w->er = schema_bad(w->why, sub, "must be a number");
	} else if (strcmp(key, "description") == 0 ||
	    strcmp(key, "title") == 0) {
		if (ods_json_string(v) == NULL)
			w->er = schema_bad(w->why, sub, "must be a string");
	} else if (strcmp(key, "default") == 0)
		w->er = ODS_OK;
	else {
		for (i = 0; i < 3; i++)
			if (strcmp(key, counts[i]) == 0)
				break;
		if (i == 3)
			w->er = schema_bad(w->why, sub, "is not a keyword "
			    "the tools understand (type, properties, "
			    "required, enum, minimum, maximum, maxLength, "
			    "minLength, maxItems, items, description, title, "
			    "default)");
		else if (!is_count(v))
			w->er = schema_bad(w->why, sub, "must be a "
			    "non-negative integer");
	}
	return w->er != ODS_OK;
}

/* One property's schema, named under path.properties. */
static int
schema_prop(void *arg, const char *key, struct json_object *v)
{
	struct swalk	*w = arg;
	char		 sub[PATH_MAX_LEN];

	if (++w->n > SCHEMA_PROPS) {
		w->er = schema_bad(w->why, w->path, "has more than 64 "
		    "properties");
		return 1;
	}
	snprintf(sub, sizeof(sub), "%s.%s", w->path, key);
	w->er = schema_valid(v, sub, w->depth + 1, w->why);
	return w->er != ODS_OK;
}

static enum ods_err
schema_valid(struct json_object *s, const char *path, int depth,
    struct ods_why *why)
{
	struct json_object	*props;
	struct swalk		 w;
	char			 sub[PATH_MAX_LEN];

	if (depth > SCHEMA_DEPTH)
		return schema_bad(why, path, "is nested too deep (8 levels)");
	if (ods_json_kind(s) != ODS_JSON_OBJECT)
		return schema_bad(why, path, "must be a schema (an object)");
	memset(&w, 0, sizeof(w));
	w.path = path;
	w.depth = depth;
	w.why = why;
	(void)ods_json_obj_each(s, schema_kw, &w);
	if (w.er != ODS_OK)
		return w.er;
	if ((props = ods_json_get(s, "properties")) == NULL)
		return ODS_OK;
	snprintf(sub, sizeof(sub), "%s.properties", path);
	if (ods_json_kind(props) != ODS_JSON_OBJECT)
		return schema_bad(why, sub, "must be an object of schemas");
	w.path = sub;
	(void)ods_json_obj_each(props, schema_prop, &w);
	return w.er;
}

enum ods_err
ods_tool_schema_valid(struct json_object *schema, const char *path,
    struct ods_why *why)
{
	const char	*t = ods_json_get_str(schema, "type");

	if (ods_json_kind(schema) != ODS_JSON_OBJECT || t == NULL ||
	    strcmp(t, "object") != 0)
		return schema_bad(why, path, "must be a JSON Schema with "
		    "\"type\": \"object\"");
	return schema_valid(schema, path, 0, why);
}
