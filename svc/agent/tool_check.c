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

#define PATH_MAX_LEN	64

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
