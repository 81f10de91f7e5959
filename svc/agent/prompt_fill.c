/*
 * svc/agent/prompt_fill.c — the {{variable}} language of prompt templates
 * (prompt.h): scanning content, checking a declaration, filling it. No
 * database here: the fuzz target and the unit test drive it alone.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_err.h"
#include "core/ods_json.h"
#include "core/ods_mem.h"
#include "core/ods_util.h"
#include "prompt.h"

/* A piece of content: literal text, or a variable's name. */
typedef enum ods_err (*scan_fn)(void *arg, int var, const char *p, size_t n);

static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
name_char(int c, int first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
		return 1;
	return !first && ((c >= '0' && c <= '9') || c == '-' || c == '.');
}

/*
 * The "{{ name }}" at s[i] (which starts with "{{"): the name's span and
 * the offset after "}}" in *end. ODS_EINVAL with why otherwise.
 */
static enum ods_err
scan_ref(const char *s, size_t len, size_t i, size_t *nb, size_t *nl,
    size_t *end, struct ods_why *why)
{
	size_t	j = i + 2, b;

	while (j < len && is_space((unsigned char)s[j]))
		j++;
	b = j;
	while (j < len && name_char((unsigned char)s[j], j == b))
		j++;
	if (j == len) {
		ods_why_set(why, "content", "unterminated {{ at byte %zu", i);
		return ODS_EINVAL;
	}
	if (j == b) {
		if (s[j] == '}' || is_space((unsigned char)s[j]))
			ods_why_set(why, "content", "empty variable name at "
			    "byte %zu", i);
		else
			ods_why_set(why, "content", "bad character in the "
			    "variable name at byte %zu (a name is letters, "
			    "digits, '_', '-' and '.'; write \\{{ for a "
			    "literal {{)", j);
		return ODS_EINVAL;
	}
	if (j - b > ODS_PROMPT_NAME_MAX) {
		ods_why_set(why, "content", "variable name at byte %zu is "
		    "longer than %d bytes", i, ODS_PROMPT_NAME_MAX);
		return ODS_EINVAL;
	}
	*nb = b;
	*nl = j - b;
	while (j < len && is_space((unsigned char)s[j]))
		j++;
	if (j + 1 >= len || s[j] != '}' || s[j + 1] != '}') {
		if (j + 1 >= len)
			ods_why_set(why, "content", "unterminated {{ at byte "
			    "%zu", i);
		else
			ods_why_set(why, "content", "bad character in the "
			    "variable name at byte %zu", j);
		return ODS_EINVAL;
	}
	*end = j + 2;
	return ODS_OK;
}

/* Walk content: fn gets each literal piece and each name, in order. */
static enum ods_err
scan(const char *s, size_t len, scan_fn fn, void *arg, struct ods_why *why)
{
	enum ods_err	er;
	size_t		i = 0, lit = 0, nb, nl, end;

	while (i + 1 < len) {
		if (s[i] == '\\' && i + 2 < len && s[i + 1] == '{' &&
		    s[i + 2] == '{') {
			if ((er = fn(arg, 0, s + lit, i - lit)) != ODS_OK)
				return er;
			lit = i + 1;	/* the "{{" stays, as text */
			i += 3;
			continue;
		}
		if (s[i] != '{' || s[i + 1] != '{') {
			i++;
			continue;
		}
		if ((er = scan_ref(s, len, i, &nb, &nl, &end, why)) != ODS_OK)
			return er;
		if ((er = fn(arg, 0, s + lit, i - lit)) != ODS_OK ||
		    (er = fn(arg, 1, s + nb, nl)) != ODS_OK)
			return er;
		i = lit = end;
	}
	return fn(arg, 0, s + lit, len - lit);
}

struct names {
	char	**v;
	size_t	  n;
	struct ods_why *why;
};

static enum ods_err
names_add(void *arg, int var, const char *p, size_t n)
{
	struct names	*nm = arg;
	size_t		 i;

	if (!var)
		return ODS_OK;
	for (i = 0; i < nm->n; i++)
		if (strlen(nm->v[i]) == n && memcmp(nm->v[i], p, n) == 0)
			return ODS_OK;
	if (nm->n >= ODS_PROMPT_VARS_MAX) {
		ods_why_set(nm->why, "content", "content uses more than %d "
		    "variables", ODS_PROMPT_VARS_MAX);
		return ODS_ETOOBIG;
	}
	if (nm->v == NULL)
		nm->v = ods_xcalloc(ODS_PROMPT_VARS_MAX, sizeof(*nm->v));
	nm->v[nm->n] = ods_xmalloc(n + 1);
	memcpy(nm->v[nm->n], p, n);
	nm->v[nm->n++][n] = '\0';
	return ODS_OK;
}

enum ods_err
ods_prompt_names(const char *content, size_t len, char ***names, size_t *n,
    struct ods_why *why)
{
	struct names	nm = { NULL, 0, why };
	enum ods_err	er;

	er = scan(content, len, names_add, &nm, why);
	if (er != ODS_OK) {
		ods_strv_free(nm.v, nm.n);
		nm.v = NULL;
		nm.n = 0;
	}
	*names = nm.v;
	*n = nm.n;
	return er;
}

static const char *const types[] = { "string", "number", "boolean", "json" };

static int
type_ok(const char *type, struct json_object *v)
{
	enum ods_json_kind	k = ods_json_kind(v);

	if (strcmp(type, "string") == 0)
		return k == ODS_JSON_STRING;
	if (strcmp(type, "number") == 0)
		return k == ODS_JSON_NUMBER;
	if (strcmp(type, "boolean") == 0)
		return k == ODS_JSON_BOOL;
	return 1;
}

static int
name_ok(const char *s)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++)
		if (!name_char((unsigned char)s[i], i == 0))
			return 0;
	return i > 0 && i <= ODS_PROMPT_NAME_MAX;
}

/* One element of a declaration, checked and written to jw. */
static enum ods_err
declare_one(struct json_object *e, size_t i, char **seen, struct ods_jw *jw,
    struct ods_why *why)
{
	struct json_object	*def;
	const char		*name = NULL, *type = "string", *desc = NULL;
	enum ods_err		 er;
	size_t			 k;
	int			 req;

	if (!ods_json_is_obj(e)) {
		ods_why_set(why, "variables", "variables[%zu] must be an "
		    "object {name, type, default?, required?, description?}", i);
		return ODS_EINVAL;
	}
	if ((er = ods_json_str(e, "name", 1, 0, &name, why)) != ODS_OK)
		goto field;
	if (!name_ok(name)) {
		ods_why_set(why, "variables", "variables[%zu].name is not a "
		    "variable name (letters, digits, '_', '-', '.')", i);
		return ODS_EINVAL;
	}
	for (k = 0; k < i; k++)
		if (strcmp(seen[k], name) == 0) {
			ods_why_set(why, "variables", "variable '%s' is "
			    "declared twice", name);
			return ODS_EINVAL;
		}
	seen[i] = (char *)name;
	if ((er = ods_json_str(e, "type", 0, 16, &type, why)) != ODS_OK &&
	    er != ODS_ENOTFOUND)
		goto field;
	for (k = 0; k < ODS_NELEM(types) && strcmp(type, types[k]) != 0; k++)
		;
	if (k == ODS_NELEM(types)) {
		ods_why_set(why, "variables", "variable '%s': type must be "
		    "string, number, boolean or json", name);
		return ODS_EINVAL;
	}
	def = ods_json_get(e, "default");
	if (def != NULL && ods_json_kind(def) != ODS_JSON_NULL &&
	    !type_ok(type, def)) {
		ods_why_set(why, "variables", "variable '%s': the default is "
		    "not a %s", name, type);
		return ODS_EINVAL;
	}
	if (ods_json_kind(def) == ODS_JSON_NULL)
		def = NULL;
	req = def == NULL;
	if ((er = ods_json_bool(e, "required", 0, &req, why)) != ODS_OK &&
	    er != ODS_ENOTFOUND)
		goto field;
	if ((er = ods_json_str(e, "description", 0, ODS_PROMPT_DESC_MAX, &desc,
	    why)) != ODS_OK && er != ODS_ENOTFOUND)
		goto field;
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "name", name);
	ods_jw_kstr(jw, "type", type);
	ods_jw_kbool(jw, "required", req);
	if (def != NULL) {
		ods_jw_key(jw, "default");
		ods_jw_raw(jw, ods_json_text(def), strlen(ods_json_text(def)));
	}
	if (desc != NULL)
		ods_jw_kstr(jw, "description", desc);
	ods_jw_end(jw);
	return ODS_OK;
field:
	/* "field 'type' ..." of one element: say which variable. */
	ods_why_set(why, "variables", "variables[%zu]: %s", i,
	    er == ODS_EINVAL ? "name must be a string, type a string, "
	    "required a boolean and description a string" : "bad element");
	return ODS_EINVAL;
}

/* Names content uses that decl (normalised text) does not declare. */
static enum ods_err
undeclared(char **names, size_t n, struct json_object *decl,
    struct ods_why *why)
{
	struct ods_buf	b;
	size_t		i, j, nd = ods_json_arr_len(decl);
	enum ods_err	er = ODS_OK;
	const char	*d;

	ods_buf_init(&b, sizeof(why->msg));
	for (i = 0; i < n; i++) {
		for (j = 0; j < nd; j++) {
			d = ods_json_get_str(ods_json_arr_get(decl, j), "name");
			if (d != NULL && strcmp(d, names[i]) == 0)
				break;
		}
		if (j < nd)
			continue;
		if (ods_buf_addf(&b, "%s%s", er == ODS_OK ? "" : ", ",
		    names[i]) != ODS_OK)
			break;
		er = ODS_EINVAL;
	}
	if (er != ODS_OK)
		ods_why_set(why, "variables", "content uses undeclared "
		    "variables: %s", b.data);
	ods_buf_free(&b);
	return er;
}

enum ods_err
ods_prompt_declare(struct json_object *decl, const char *content, char **out,
    struct ods_why *why)
{
	struct json_object	*norm = NULL;
	struct ods_buf		 b;
	struct ods_jw		 jw;
	char			**names = NULL, *seen[ODS_PROMPT_VARS_MAX];
	size_t			 n = 0, i, nd;
	enum ods_err		 er;

	*out = NULL;
	er = ods_prompt_names(content, strlen(content), &names, &n, why);
	if (er != ODS_OK)
		return er == ODS_ETOOBIG ? ODS_EINVAL : er;
	if (decl != NULL && ods_json_kind(decl) != ODS_JSON_ARRAY) {
		ods_why_set(why, "variables", "variables must be an array");
		er = ODS_EINVAL;
		goto out;
	}
	nd = decl != NULL ? ods_json_arr_len(decl) : n;
	if (nd > ODS_PROMPT_VARS_MAX) {
		ods_why_set(why, "variables", "at most %d variables",
		    ODS_PROMPT_VARS_MAX);
		er = ODS_EINVAL;
		goto out;
	}
	ods_buf_init(&b, 1u << 20);
	ods_jw_init(&jw, &b);
	ods_jw_arr(&jw);
	for (i = 0; i < nd && er == ODS_OK; i++) {
		if (decl != NULL)
			er = declare_one(ods_json_arr_get(decl, i), i, seen,
			    &jw, why);
		else {
			ods_jw_obj(&jw);
			ods_jw_kstr(&jw, "name", names[i]);
			ods_jw_kstr(&jw, "type", "string");
			ods_jw_kbool(&jw, "required", 1);
			ods_jw_end(&jw);
		}
	}
	ods_jw_end(&jw);
	if (er == ODS_OK && (er = ods_jw_error(&jw)) == ODS_OK &&
	    (er = ods_json_parse(b.data, b.len, 0, &norm, why)) == ODS_OK &&
	    (er = undeclared(names, n, norm, why)) == ODS_OK)
		*out = ods_buf_take(&b, NULL);
	ods_json_put(norm);
	ods_buf_free(&b);
out:
	ods_strv_free(names, n);
	return er;
}

/* A name's value while filling: its text, or missing. */
struct val {
	const char		*name;
	struct json_object	*v;	/* NULL: empty text */
	int			 str;	/* put the string in, not JSON */
};

struct fill {
	struct ods_buf	 b;
	struct val	*vals;
	size_t		 n;
};

static enum ods_err
fill_add(void *arg, int var, const char *p, size_t n)
{
	struct fill	*f = arg;
	const char	*t;
	size_t		 i;

	if (!var)
		return n > 0 ? ods_buf_add(&f->b, p, n) : ODS_OK;
	for (i = 0; i < f->n; i++)
		if (strlen(f->vals[i].name) == n &&
		    memcmp(f->vals[i].name, p, n) == 0)
			break;
	if (i == f->n || f->vals[i].v == NULL)
		return ODS_OK;
	t = f->vals[i].str ? ods_json_string(f->vals[i].v) :
	    ods_json_text(f->vals[i].v);
	return ods_buf_add(&f->b, t, strlen(t));
}

/* The declaration of name in decl (an array), or NULL. */
static struct json_object *
decl_of(struct json_object *decl, const char *name)
{
	struct json_object	*e;
	const char		*d;
	size_t			 i, n = ods_json_arr_len(decl);

	for (i = 0; i < n; i++) {
		e = ods_json_arr_get(decl, i);
		d = ods_json_get_str(e, "name");
		if (d != NULL && strcmp(d, name) == 0)
			return e;
	}
	return NULL;
}

/*
 * The value of each name: the caller's, else the default, else missing
 * (every missing name in one message) or empty when not required.
 */
static enum ods_err
resolve(struct fill *f, char **names, struct json_object *decl,
    struct json_object *vars, struct ods_why *why)
{
	struct json_object	*e, *v;
	struct ods_buf		 miss;
	const char		*type;
	enum ods_err		 er = ODS_OK;
	size_t			 i;
	int			 req;

	ods_buf_init(&miss, sizeof(why->msg));
	for (i = 0; i < f->n; i++) {
		e = decl_of(decl, names[i]);
		type = e != NULL ? ods_json_get_str(e, "type") : NULL;
		if (type == NULL)
			type = "string";
		req = 1;
		if (e != NULL)
			(void)ods_json_bool(e, "required", 0, &req, NULL);
		v = ods_json_get(vars, names[i]);
		if (ods_json_kind(v) == ODS_JSON_NULL)
			v = ods_json_get(e, "default");
		if (ods_json_kind(v) == ODS_JSON_NULL) {
			v = NULL;
			if (req && ods_buf_addf(&miss, "%s%s", miss.len > 0 ?
			    ", " : "", names[i]) == ODS_OK)
				er = ODS_EINVAL;
		} else if (!type_ok(type, v) && er == ODS_OK) {
			ods_why_set(why, "variables", "variable '%s' must be "
			    "a %s", names[i], type);
			ods_buf_free(&miss);
			return ODS_EINVAL;
		}
		f->vals[i].name = names[i];
		f->vals[i].v = v;
		f->vals[i].str = strcmp(type, "string") == 0;
	}
	if (miss.len > 0)
		ods_why_set(why, "variables", "missing required variables: %s",
		    miss.data);
	ods_buf_free(&miss);
	return er;
}

/* {name: value} of the values used, as JSON text (malloc'ed). */
static char *
used_json(const struct fill *f)
{
	struct ods_buf	 b;
	struct ods_jw	 jw;
	const char	*t;
	size_t		 i;
	char		*s;

	ods_buf_init(&b, 2u * ODS_PROMPT_RENDER_MAX);
	ods_jw_init(&jw, &b);
	ods_jw_obj(&jw);
	for (i = 0; i < f->n; i++) {
		ods_jw_key(&jw, f->vals[i].name);
		if (f->vals[i].v == NULL) {
			ods_jw_null(&jw);
			continue;
		}
		t = ods_json_text(f->vals[i].v);
		ods_jw_raw(&jw, t, strlen(t));
	}
	ods_jw_end(&jw);
	s = ods_jw_error(&jw) == ODS_OK ? ods_buf_take(&b, NULL) : NULL;
	ods_buf_free(&b);
	return s != NULL ? s : ods_xstrdup("{}");
}

enum ods_err
ods_prompt_fill(const char *content, size_t len, const char *decl_text,
    struct json_object *vars, size_t max, struct ods_prompt_text *out,
    struct ods_why *why)
{
	struct json_object	*decl = NULL;
	struct fill		 f;
	char			**names = NULL;
	enum ods_err		 er;

	memset(out, 0, sizeof(*out));
	memset(&f, 0, sizeof(f));
	ods_buf_init(&f.b, max);
	if (vars != NULL && !ods_json_is_obj(vars)) {
		ods_why_set(why, "variables", "variables must be an object");
		return ODS_EINVAL;
	}
	if ((er = ods_prompt_names(content, len, &names, &f.n, why)) != ODS_OK)
		return er;
	if (decl_text != NULL && (er = ods_json_parse(decl_text,
	    strlen(decl_text), 0, &decl, why)) != ODS_OK)
		goto out;
	f.vals = ods_xcalloc(f.n + 1, sizeof(*f.vals));
	if ((er = resolve(&f, names, decl, vars, why)) != ODS_OK)
		goto out;
	if ((er = scan(content, len, fill_add, &f, why)) == ODS_ETOOBIG) {
		ods_why_set(why, "variables", "the rendered prompt is larger "
		    "than %zu bytes", max);
		goto out;
	}
	if (er != ODS_OK)
		goto out;
	out->content = ods_buf_take(&f.b, &out->len);
	if (out->content == NULL)
		out->content = ods_xstrdup("");
	out->used = used_json(&f);
out:
	ods_buf_free(&f.b);
	free(f.vals);
	ods_strv_free(names, f.n);
	ods_json_put(decl);
	return er;
}

void
ods_prompt_text_fini(struct ods_prompt_text *t)
{
	if (t == NULL)
		return;
	free(t->content);
	free(t->used);
	free(t->template_id);
	memset(t, 0, sizeof(*t));
}
