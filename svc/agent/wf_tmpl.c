/*
 * svc/agent/wf_tmpl.c — picks, references and templates of the workflow
 * expression language (wf_expr.h). A pick walks a literal path with the
 * same steps as an expression's postfix (odsi_wf_step); a template is
 * literal text and "{{ expr }}" placeholders, each parsed by the
 * expression parser over a window of at most ODS_WF_EXPR_MAX bytes, so
 * that a placeholder may hold "}}" in a string literal and rendering
 * stays one pass over the template.
 */
#include "config.h"

#include <json-c/json.h>
#include <string.h>

#include "core/ods_err.h"
#include "core/ods_json.h"
#include "core/ods_mem.h"
#include "agent_int.h"
#include "wf_expr.h"

/* An integer index of a path: [-]digits, at most 15 of them. */
static int
path_index(struct wf_ev *c, struct wf_seg *sg)
{
	size_t		 b;
	int		 neg = 0;

	if (c->i < c->n && c->s[c->i] == '-') {
		neg = 1;
		c->i++;
	}
	for (b = c->i; c->i < c->n && c->s[c->i] >= '0' && c->s[c->i] <= '9' &&
	    c->i - b < 16; c->i++)
		sg->idx = sg->idx * 10 + (c->s[c->i] - '0');
	if (c->i == b || c->i - b > 15) {
		odsi_wf_fail(c, ODS_EINVAL, b, "an index is an integer, '*' or "
		    "a quoted key");
		return 0;
	}
	sg->is_idx = 1;
	if (neg)
		sg->idx = -sg->idx;
	return 1;
}

/*
 * The steps of the path at s[i..n) from cur (consumed). bare: the path
 * may start with a name without its '.'.
 */
static struct json_object *
walk(struct wf_ev *c, struct json_object *cur, int bare)
{
	struct json_object	*key;
	struct wf_seg		 sg;
	size_t			 at, b;
	int			 spread = 0, star;

	while (c->er == ODS_OK && c->i < c->n) {
		at = c->i;
		memset(&sg, 0, sizeof(sg));
		key = NULL;
		star = 0;
		if (c->s[c->i] == '.' || (bare && c->s[c->i] != '[')) {
			if (c->s[c->i] == '.')
				c->i++;
			for (b = c->i; c->i < c->n && c->s[c->i] != '.' &&
			    c->s[c->i] != '['; c->i++)
				;
			if (c->i == b)
				return ods_json_put(cur), odsi_wf_fail(c,
				    ODS_EINVAL, at, "an empty name");
			sg.k = c->s + b;
			sg.kl = c->i - b;
		} else if (c->s[c->i] == '[') {
			c->i++;
			odsi_wf_skip(c);
			if (odsi_wf_op(c, "*"))
				star = 1;
			else if (c->i < c->n && (c->s[c->i] == '\'' ||
			    c->s[c->i] == '"')) {
				if ((key = odsi_wf_string(c)) != NULL) {
					sg.k = json_object_get_string(key);
					sg.kl = (size_t)
					    json_object_get_string_len(key);
				}
			} else
				(void)path_index(c, &sg);
			if (!odsi_wf_expect(c, "]")) {
				ods_json_put(key);
				return ods_json_put(cur), NULL;
			}
		} else {
			return ods_json_put(cur), odsi_wf_fail(c, ODS_EINVAL,
			    at, "expected '.' or '['");
		}
		bare = 0;
		cur = odsi_wf_step(c, cur, &sg, star, spread, at, c->s, at);
		ods_json_put(key);
		spread |= star;
	}
	if (c->er != ODS_OK)
		return ods_json_put(cur), NULL;
	return cur;
}

enum ods_err
ods_wf_pick(struct json_object *root, const char *path,
    struct json_object **out, struct ods_why *why)
{
	struct wf_ev	 c;
	size_t		 n;

	*out = NULL;
	if (path == NULL)
		path = "";
	if ((n = strlen(path)) > ODS_WF_EXPR_MAX) {
		ods_why_set(why, NULL, "a path longer than %d bytes",
		    ODS_WF_EXPR_MAX);
		return ODS_EINVAL;
	}
	odsi_wf_init(&c, path, n, NULL, 1, why);
	c.miss_er = ODS_ENOTFOUND;
	/* "$", "$.a", "$[0]": JSONPath's root. */
	if (n > 0 && path[0] == '$' && (n == 1 || path[1] == '.' ||
	    path[1] == '['))
		c.i = 1;
	*out = walk(&c, json_object_get(root), c.i == 0);
	return c.er;
}

enum ods_err
ods_wf_ref(const struct ods_wf_scope *sc, const char *ref,
    struct json_object **out, struct ods_why *why)
{
	struct json_object	*v = NULL;
	struct wf_ev		 c;
	size_t			 b = 0, n, i;

	*out = NULL;
	n = ref != NULL ? strlen(ref) : 0;
	if (n > ODS_WF_EXPR_MAX) {
		ods_why_set(why, NULL, "a reference longer than %d bytes",
		    ODS_WF_EXPR_MAX);
		return ODS_EINVAL;
	}
	while (b < n && (ref[b] == ' ' || ref[b] == '\t'))
		b++;
	while (n > b && (ref[n - 1] == ' ' || ref[n - 1] == '\t'))
		n--;
	for (i = b; i < n && ref[i] != '.' && ref[i] != '['; i++)
		;
	if (i == b) {
		ods_why_set(why, NULL, "a reference starts with a node id or "
		    "'inputs'");
		return ODS_EINVAL;
	}
	if (sc != NULL && sc->lookup != NULL)
		v = sc->lookup(sc->arg, ref + b, i - b);
	if (v == NULL) {
		ods_why_set(why, NULL, "unknown node or input '%.*s'",
		    (int)(i - b > 60 ? 60 : i - b), ref + b);
		return ODS_ENOTFOUND;
	}
	odsi_wf_init(&c, ref, n, sc, 1, why);
	c.miss_er = ODS_ENOTFOUND;
	c.i = i;
	*out = walk(&c, json_object_get(v), 0);
	return c.er;
}

/*
 * The placeholder at t[p] (which starts with "{{"): its value (NULL when
 * !c->run) and the offset after its "}}" in *end.
 */
static struct json_object *
placeholder(struct wf_ev *c, const char *t, size_t tlen, size_t p,
    size_t *end)
{
	struct json_object	*v;
	const char		*q;
	size_t			 lim;

	lim = tlen - p > ODS_WF_EXPR_MAX + 4 ? p + ODS_WF_EXPR_MAX + 4 : tlen;
	c->s = t;
	c->n = lim;
	c->i = p + 2;
	c->depth = -1;
	/* Its end is at the first "}}" or past it (in a string literal). */
	if ((q = memmem(t + p + 2, tlen - p - 2, "}}", 2)) == NULL)
		return odsi_wf_fail(c, ODS_EINVAL, p, "unterminated '{{'");
	if ((size_t)(q - (t + p + 2)) > ODS_WF_EXPR_MAX)
		return odsi_wf_fail(c, ODS_EINVAL, p, "a placeholder longer "
		    "than %d bytes", ODS_WF_EXPR_MAX);
	odsi_wf_skip(c);
	if (c->n - c->i >= 2 && memcmp(t + c->i, "}}", 2) == 0)
		return odsi_wf_fail(c, ODS_EINVAL, p, "an empty placeholder");
	v = odsi_wf_expr(c);
	if (c->er != ODS_OK)
		return ods_json_put(v), NULL;
	odsi_wf_skip(c);
	if (c->n - c->i >= 2 && memcmp(t + c->i, "}}", 2) == 0) {
		*end = c->i + 2;
		return v;
	}
	ods_json_put(v);
	if (c->i >= c->n && lim < tlen)
		return odsi_wf_fail(c, ODS_EINVAL, p, "a placeholder longer "
		    "than %d bytes", ODS_WF_EXPR_MAX);
	if (c->i >= c->n)
		return odsi_wf_fail(c, ODS_EINVAL, c->i, "expected '}}' at "
		    "the end");
	return odsi_wf_fail(c, ODS_EINVAL, c->i, "expected '}}', not '%c'",
	    t[c->i]);
}

/* The bytes added to b (capped by its max) or the error, said in why. */
static enum ods_err
added(enum ods_err er, const struct ods_buf *b, struct ods_why *why)
{
	if (er == ODS_ETOOBIG)
		ods_why_set(why, NULL, "the rendered text passes %zu bytes",
		    b->max);
	else if (er != ODS_OK)
		ods_why_set(why, NULL, "out of memory");
	return er;
}

/* Render t[0..tlen) into b (run) or only check it (!run, b NULL). */
static enum ods_err
fill(const char *t, size_t tlen, const struct ods_wf_scope *sc, int run,
    struct ods_buf *b, struct ods_why *why)
{
	struct json_object	*v;
	struct wf_ev		 c;
	const char		*q;
	size_t			 pos = 0, lit, end = 0;
	enum ods_err		 er;

	while (pos < tlen) {
		q = memmem(t + pos, tlen - pos, "{{", 2);
		lit = q != NULL ? (size_t)(q - t) : tlen;
		if (run && lit > pos &&
		    (er = ods_buf_add(b, t + pos, lit - pos)) != ODS_OK)
			return added(er, b, why);
		if (q == NULL)
			break;
		odsi_wf_init(&c, t, tlen, sc, run, why);
		v = placeholder(&c, t, tlen, lit, &end);
		if (c.er != ODS_OK)
			return c.er;
		er = run ? odsi_wf_text(v, b) : ODS_OK;
		ods_json_put(v);
		if (er != ODS_OK)
			return added(er, b, why);
		pos = end;
	}
	return ODS_OK;
}

enum ods_err
ods_wf_render(const char *tmpl, const struct ods_wf_scope *sc,
    struct ods_buf *out, struct ods_why *why)
{
	struct ods_buf	b;
	enum ods_err	er;
	size_t		n = tmpl != NULL ? strlen(tmpl) : 0;

	if (n > ODS_WF_TMPL_MAX) {
		ods_why_set(why, NULL, "a template longer than %d bytes",
		    ODS_WF_TMPL_MAX);
		return ODS_ETOOBIG;
	}
	ods_buf_init(&b, ODS_WF_TMPL_MAX);
	er = fill(tmpl, n, sc, 1, &b, why);
	if (er == ODS_OK && b.len > 0)
		er = added(ods_buf_add(out, b.data, b.len), out, why);
	ods_buf_free(&b);
	return er;
}

enum ods_err
ods_wf_render_check(const char *tmpl, struct ods_why *why)
{
	size_t	n = tmpl != NULL ? strlen(tmpl) : 0;

	if (n > ODS_WF_TMPL_MAX) {
		ods_why_set(why, NULL, "a template longer than %d bytes",
		    ODS_WF_TMPL_MAX);
		return ODS_ETOOBIG;
	}
	return fill(tmpl, n, NULL, 0, NULL, why);
}

/* One deep render: the scope, what embedded renders may still add. */
struct rj {
	const struct ods_wf_scope	*sc;
	size_t				 budget;
	struct ods_why			*why;
};

/* A string: its typed value when it is one placeholder, else its text. */
static enum ods_err
rj_str(struct rj *r, struct json_object *v, struct json_object **out)
{
	struct wf_ev	 c;
	struct ods_buf	 b;
	const char	*t = json_object_get_string(v);
	size_t		 n = (size_t)json_object_get_string_len(v), p = 0, end;
	enum ods_err	 er;

	if (memmem(t, n, "{{", 2) == NULL) {
		*out = json_object_get(v);
		return ODS_OK;
	}
	while (p < n && (t[p] == ' ' || t[p] == '\t' || t[p] == '\n' ||
	    t[p] == '\r'))
		p++;
	if (n - p >= 2 && memcmp(t + p, "{{", 2) == 0) {
		odsi_wf_init(&c, t, n, r->sc, 1, r->why);
		*out = placeholder(&c, t, n, p, &end);
		if (c.er != ODS_OK)
			return c.er;
		c.i = end;
		c.n = n;
		odsi_wf_skip(&c);
		if (c.i == n)
			return ODS_OK;
		ods_json_put(*out);
		*out = NULL;
	}
	ods_buf_init(&b, r->budget);
	if ((er = fill(t, n, r->sc, 1, &b, r->why)) == ODS_OK) {
		r->budget -= b.len;
		*out = json_object_new_string_len(b.data != NULL ? b.data : "",
		    (int)b.len);
		if (*out == NULL)
			er = added(ODS_ENOMEM, &b, r->why);
	}
	ods_buf_free(&b);
	return er;
}

static enum ods_err	rj(struct rj *, struct json_object *, int,
			    struct json_object **);

static enum ods_err
rj_arr(struct rj *r, struct json_object *v, int depth,
    struct json_object **out)
{
	struct json_object	*e;
	size_t			 i;
	enum ods_err		 er;

	if ((*out = json_object_new_array()) == NULL)
		return added(ODS_ENOMEM, NULL, r->why);
	for (i = 0; i < json_object_array_length(v); i++) {
		er = rj(r, json_object_array_get_idx(v, i), depth + 1, &e);
		if (er == ODS_OK && json_object_array_add(*out, e) != 0) {
			ods_json_put(e);
			er = added(ODS_ENOMEM, NULL, r->why);
		}
		if (er != ODS_OK)
			return er;
	}
	return ODS_OK;
}

static enum ods_err
rj_obj(struct rj *r, struct json_object *v, int depth,
    struct json_object **out)
{
	struct json_object	*e;
	enum ods_err		 er;

	if ((*out = json_object_new_object()) == NULL)
		return added(ODS_ENOMEM, NULL, r->why);
	json_object_object_foreach(v, k, m) {
		er = rj(r, m, depth + 1, &e);
		if (er == ODS_OK && json_object_object_add(*out, k, e) != 0) {
			ods_json_put(e);
			er = added(ODS_ENOMEM, NULL, r->why);
		}
		if (er != ODS_OK)
			return er;
	}
	return ODS_OK;
}

static enum ods_err
rj(struct rj *r, struct json_object *v, int depth, struct json_object **out)
{
	enum ods_err	er;

	*out = NULL;
	if (depth > ODS_WF_EXPR_DEPTH) {
		ods_why_set(r->why, NULL, "a template nested deeper than %d "
		    "levels", ODS_WF_EXPR_DEPTH);
		return ODS_EINVAL;
	}
	switch (json_object_get_type(v)) {
	case json_type_string:
		return rj_str(r, v, out);
	case json_type_array:
		er = rj_arr(r, v, depth, out);
		break;
	case json_type_object:
		er = rj_obj(r, v, depth, out);
		break;
	default:
		*out = json_object_get(v);
		return ODS_OK;
	}
	if (er != ODS_OK) {
		ods_json_put(*out);
		*out = NULL;
	}
	return er;
}

enum ods_err
ods_wf_render_json(struct json_object *tmpl, const struct ods_wf_scope *sc,
    struct json_object **out, struct ods_why *why)
{
	struct rj	r;

	r.sc = sc;
	r.budget = ODS_WF_STR_MAX;
	r.why = why;
	return rj(&r, tmpl, 0, out);
}
