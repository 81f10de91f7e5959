/*
 * svc/agent/prompt.c — prompt template rows: create, read, list, update
 * with versions, delete, render (prompt.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_err.h"
#include "core/ods_json.h"
#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "store/ods_db.h"
#include "prompt.h"
#include "agent_int.h"

/* The columns of struct ods_prompt, in row_to's order. */
#define COLS "id, template_id, name, description, category, content, " \
	"variables, model, tags, version, is_public, usage_count, " \
	"created_by, " KBI_TS("created_at") ", " KBI_TS("updated_at")

/* Visible to ?1 (NULL: admin) for ?2 = 0 reads, ?2 = 1 writes. */
#define VISIBLE "(CAST(? AS CHAR) IS NULL OR created_by = ? OR " \
	"(is_public = 1 AND ? = 0))"

static void
row_to(const struct ods_db_res *res, size_t i, struct ods_prompt *p)
{
	memset(p, 0, sizeof(*p));
	p->id = ods_db_res_int0(res, i, 0);
	p->template_id = ods_db_res_strdup(res, i, 1);
	p->name = ods_db_res_strdup(res, i, 2);
	p->description = ods_db_res_strdup(res, i, 3);
	p->category = ods_db_res_strdup(res, i, 4);
	p->content = ods_db_res_strdup(res, i, 5);
	p->variables = ods_db_res_strdup(res, i, 6);
	p->model = ods_db_res_strdup(res, i, 7);
	p->tags = ods_db_res_strdup(res, i, 8);
	p->version = (int)ods_db_res_int0(res, i, 9);
	p->is_public = ods_db_res_int0(res, i, 10) != 0;
	p->usage_count = ods_db_res_int0(res, i, 11);
	p->created_by = ods_db_res_strdup(res, i, 12);
	p->created_at = ods_db_res_strdup(res, i, 13);
	p->updated_at = ods_db_res_strdup(res, i, 14);
	if (p->content == NULL)
		p->content = ods_xstrdup("");
}

static void
prompt_fini(struct ods_prompt *p)
{
	free(p->template_id);
	free(p->name);
	free(p->description);
	free(p->category);
	free(p->content);
	free(p->variables);
	free(p->model);
	free(p->tags);
	free(p->created_by);
	free(p->created_at);
	free(p->updated_at);
}

void
ods_prompt_free(struct ods_prompt *p)
{
	if (p == NULL)
		return;
	prompt_fini(p);
	free(p);
}

void
ods_prompt_list_free(struct ods_prompt *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		prompt_fini(&v[i]);
	free(v);
}

static void
rows_out(const struct ods_db_res *res, struct ods_prompt **out, size_t *n)
{
	size_t	i;

	*n = ods_db_res_nrows(res);
	*out = *n > 0 ? ods_xcalloc(*n, sizeof(**out)) : NULL;
	for (i = 0; i < *n; i++)
		row_to(res, i, &(*out)[i]);
}

void
ods_prompt_spec_init(struct ods_prompt_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->is_public = -1;
}

enum ods_err
ods_prompt_spec_of(struct json_object *o, struct ods_prompt_spec *sp,
    struct ods_why *why)
{
	enum ods_err	er;
	int		b;

	ods_prompt_spec_init(sp);
#define STR(f, dst, max)						\
	if ((er = ods_json_str(o, f, 0, max, &sp->dst, why)) != ODS_OK &&	\
	    er != ODS_ENOTFOUND)						\
		return er;
	STR("name", name, ODS_PROMPT_TNAME_MAX)
	STR("description", description, ODS_PROMPT_DESC_MAX)
	STR("category", category, ODS_PROMPT_CATEGORY_MAX)
	STR("content", content, ODS_PROMPT_CONTENT_MAX)
	if (sp->content == NULL) {
		STR("template", content, ODS_PROMPT_CONTENT_MAX)
	}
	STR("model", model, ODS_PROMPT_MODEL_MAX)
#undef STR
	if ((er = ods_json_arr(o, "variables", 0, &sp->variables, why)) !=
	    ODS_OK && er != ODS_ENOTFOUND)
		return er;
	if ((er = ods_json_arr(o, "tags", 0, &sp->tags, why)) != ODS_OK &&
	    er != ODS_ENOTFOUND)
		return er;
	if ((er = ods_json_bool(o, "is_public", 0, &b, why)) == ODS_OK)
		sp->is_public = b;
	else if (er != ODS_ENOTFOUND)
		return er;
	return ODS_OK;
}

/* tags: an array of at most 32 short strings, as JSON text (malloc'ed). */
static enum ods_err
tags_text(struct json_object *tags, char **out, struct ods_why *why)
{
	size_t	i, n = ods_json_arr_len(tags);
	const char *t;

	*out = NULL;
	if (tags == NULL)
		return ODS_OK;
	for (i = 0; i < n; i++) {
		t = ods_json_arr_str(tags, i);
		if (t == NULL || strlen(t) > 64 || n > 32) {
			ods_why_set(why, "tags", "tags must be at most 32 "
			    "strings of at most 64 bytes");
			return ODS_EINVAL;
		}
	}
	*out = ods_xstrdup(ods_json_text(tags));
	return ODS_OK;
}

static enum ods_err
name_check(const char *name, struct ods_why *why)
{
	if (name != NULL && *name == '\0') {
		ods_why_set(why, "name", "name must not be empty");
		return ODS_EINVAL;
	}
	return ODS_OK;
}

enum ods_err
ods_prompt_create(struct ods_db *db, const struct ods_prompt_spec *sp,
    const char *owner, struct ods_prompt **out, struct ods_why *why)
{
	struct ods_db_arg	 a[10];
	char			 id[24], *vars = NULL, *tags = NULL;
	enum ods_err		 er;

	*out = NULL;
	if (sp->name == NULL) {
		ods_why_set(why, "name", "name is required");
		return ODS_EINVAL;
	}
	if (sp->content == NULL) {
		ods_why_set(why, "content", "content is required");
		return ODS_EINVAL;
	}
	if ((er = name_check(sp->name, why)) != ODS_OK ||
	    (er = ods_prompt_declare(sp->variables, sp->content, &vars,
	    why)) != ODS_OK || (er = tags_text(sp->tags, &tags, why)) != ODS_OK)
		goto out;
	kbi_new_id("tpl", id, sizeof(id));
	a[0] = ods_db_text(id);
	a[1] = ods_db_text(sp->name);
	a[2] = sp->description != NULL ? ods_db_text(sp->description) :
	    ods_db_null();
	a[3] = sp->category != NULL ? ods_db_text(sp->category) :
	    ods_db_null();
	a[4] = ods_db_text(sp->content);
	a[5] = ods_db_text(vars);
	a[6] = sp->model != NULL ? ods_db_text(sp->model) : ods_db_null();
	a[7] = tags != NULL ? ods_db_text(tags) : ods_db_null();
	a[8] = ods_db_int(sp->is_public > 0);
	a[9] = ods_db_text(owner != NULL ? owner : "");
	er = ods_db_exec_once(db, "INSERT INTO prompt_templates (template_id, "
	    "name, description, category, content, variables, model, tags, "
	    "is_public, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", a,
	    10, NULL);
	if (er == ODS_ECONFLICT)
		ods_why_set(why, "name", "a template named '%s' exists",
		    sp->name);
	if (er == ODS_OK)
		er = ods_prompt_get(db, id, NULL, 0, out);
out:
	free(vars);
	free(tags);
	return er;
}

enum ods_err
ods_prompt_get(struct ods_db *db, const char *id, const char *owner,
    int write, struct ods_prompt **out)
{
	struct ods_db_arg	 a[6];
	struct ods_db_res	*res = NULL;
	enum ods_err		 er;

	*out = NULL;
	a[0] = ods_db_text(id);
	a[1] = ods_db_text(id);
	a[2] = owner != NULL ? ods_db_text(owner) : ods_db_null();
	a[3] = ods_db_text(owner != NULL ? owner : "");
	a[4] = ods_db_int(write != 0);
	a[5] = ods_db_text(id);
	er = ods_db_query_once(db, "SELECT " COLS " FROM prompt_templates "
	    "WHERE (template_id = ? OR name = ?) AND live = 1 AND " VISIBLE
	    " ORDER BY template_id = ? DESC LIMIT 1", a, 6, 1, &res);
	if (er == ODS_OK && ods_db_res_nrows(res) == 0)
		er = ODS_ENOTFOUND;
	if (er == ODS_OK) {
		*out = ods_xcalloc(1, sizeof(**out));
		row_to(res, 0, *out);
	}
	ods_db_res_free(res);
	return er;
}

enum ods_err
ods_prompt_list(struct ods_db *db, const struct ods_prompt_filter *f,
    size_t offset, size_t limit, struct ods_prompt **out, size_t *n,
    int64_t *total)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_res	*res = NULL, *cnt = NULL;
	struct ods_db_arg	 a[10];
	enum ods_err		 er;

	*out = NULL;
	*n = 0;
	*total = 0;
	if (limit > ODS_PROMPT_LIST_MAX)
		limit = ODS_PROMPT_LIST_MAX;
	a[0] = f->owner != NULL ? ods_db_text(f->owner) : ods_db_null();
	a[1] = ods_db_text(f->owner != NULL ? f->owner : "");
	a[2] = ods_db_int(0);
	a[3] = f->category != NULL ? ods_db_text(f->category) : ods_db_null();
	a[4] = ods_db_text(f->category != NULL ? f->category : "");
	a[5] = f->search != NULL ? ods_db_text(f->search) : ods_db_null();
	a[6] = ods_db_text(f->search != NULL ? f->search : "");
	a[7] = ods_db_text(f->search != NULL ? f->search : "");
	a[8] = ods_db_int((int64_t)limit);
	a[9] = ods_db_int((int64_t)offset);
#define WHERE " FROM prompt_templates WHERE live = 1 AND " VISIBLE \
	" AND (CAST(? AS CHAR) IS NULL OR category = ?) AND (CAST(? AS CHAR) " \
	"IS NULL OR INSTR(name, ?) > 0 OR INSTR(description, ?) > 0)"
	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	er = ods_db_query(c, "SELECT " COLS WHERE " ORDER BY updated_at DESC, "
	    "id DESC LIMIT ? OFFSET ?", a, 10, limit, &res);
	if (er == ODS_OK)
		er = ods_db_query(c, "SELECT COUNT(*)" WHERE, a, 8, 1, &cnt);
#undef WHERE
	ods_db_release(c);
	if (er == ODS_OK)
		er = ods_db_res_int(cnt, 0, 0, total);
	if (er == ODS_OK)
		rows_out(res, out, n);
	ods_db_res_free(res);
	ods_db_res_free(cnt);
	return er;
}

static int
differs(const char *new, const char *cur)
{
	if (new == NULL)
		return 0;
	return cur == NULL || strcmp(new, cur) != 0;
}

/* In c's transaction: lock p's row; ODS_ENOTFOUND when it is deleted. */
static enum ods_err
lock_row(struct ods_db_conn *c, const struct ods_prompt *p)
{
	struct ods_db_arg	 a[1] = { ods_db_int(p->id) };
	struct ods_db_res	*res = NULL;
	enum ods_err		 er;

	er = ods_db_query(c, "SELECT id FROM prompt_templates WHERE id = ? "
	    "AND live = 1 FOR UPDATE", a, 1, 1, &res);
	if (er == ODS_OK && ods_db_res_nrows(res) == 0)
		er = ODS_ENOTFOUND;
	ods_db_res_free(res);
	return er;
}

/* In c's transaction: keep p's row as a version, bump its version. */
static enum ods_err
keep_version(struct ods_db_conn *c, const struct ods_prompt *p)
{
	struct ods_db_arg	a[1] = { ods_db_int(p->id) };

	return ods_db_exec(c, "INSERT INTO prompt_template_versions "
	    "(template_id, version, content, variables, description, model, "
	    "created_by, created_at) SELECT template_id, version, content, "
	    "variables, description, model, created_by, updated_at FROM "
	    "prompt_templates WHERE id = ?", a, 1, NULL);
}

/* Write the fields of p's row (values already merged). */
static enum ods_err
write_row(struct ods_db_conn *c, const struct ods_prompt *p, int bump)
{
	struct ods_db_arg	a[10];
	uint64_t		hit = 0;
	enum ods_err		er;

	a[0] = ods_db_text(p->name);
	a[1] = p->description != NULL ? ods_db_text(p->description) :
	    ods_db_null();
	a[2] = p->category != NULL ? ods_db_text(p->category) : ods_db_null();
	a[3] = ods_db_text(p->content);
	a[4] = ods_db_text(p->variables);
	a[5] = p->model != NULL ? ods_db_text(p->model) : ods_db_null();
	a[6] = p->tags != NULL ? ods_db_text(p->tags) : ods_db_null();
	a[7] = ods_db_int(p->is_public);
	a[8] = ods_db_int(bump);
	a[9] = ods_db_int(p->id);
	er = ods_db_exec(c, "UPDATE prompt_templates SET name = ?, "
	    "description = ?, category = ?, content = ?, variables = ?, "
	    "model = ?, tags = ?, is_public = ?, version = version + ? WHERE "
	    "id = ? AND live = 1", a, 10, &hit);
	if (er == ODS_OK && hit == 0)
		er = ODS_ENOTFOUND;
	return er;
}

/* Replace *dst with a copy of src when src is set. */
static void
take(char **dst, const char *src)
{
	if (src == NULL)
		return;
	free(*dst);
	*dst = ods_xstrdup(src);
}

enum ods_err
ods_prompt_update(struct ods_db *db, struct ods_prompt *p,
    const struct ods_prompt_spec *sp, struct ods_why *why)
{
	struct ods_db_conn	*c = NULL;
	struct ods_prompt	*now = NULL;
	struct json_object	*decl, *old = NULL;
	char			*vars = NULL, *tags = NULL;
	enum ods_err		 er;
	int			 bump;

	if ((er = name_check(sp->name, why)) != ODS_OK ||
	    (er = tags_text(sp->tags, &tags, why)) != ODS_OK)
		return er;
	/*
	 * New content without variables keeps the stored declaration, which
	 * must cover it (a row without one declares from the content).
	 */
	if (sp->content != NULL || sp->variables != NULL) {
		decl = sp->variables;
		if (decl == NULL && p->variables != NULL && (er =
		    ods_json_parse(p->variables, strlen(p->variables), 0, &old,
		    why)) != ODS_OK)
			goto out;
		if ((er = ods_prompt_declare(decl != NULL ? decl : old,
		    sp->content != NULL ? sp->content : p->content, &vars,
		    why)) != ODS_OK)
			goto out;
	}
	bump = differs(sp->content, p->content) ||
	    differs(vars, p->variables) ||
	    differs(sp->description, p->description) ||
	    differs(sp->model, p->model);
	take(&p->name, sp->name);
	take(&p->description, sp->description);
	take(&p->category, sp->category);
	take(&p->content, sp->content);
	take(&p->variables, vars);
	take(&p->model, sp->model);
	take(&p->tags, tags);
	if (sp->is_public >= 0)
		p->is_public = sp->is_public;
	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		goto out;
	if ((er = ods_db_begin(c)) != ODS_OK)
		goto out;
	/* Updates of one template one after the other: versions in order. */
	if ((er = lock_row(c, p)) == ODS_OK &&
	    (!bump || (er = keep_version(c, p)) == ODS_OK) &&
	    (er = write_row(c, p, bump)) == ODS_OK)
		er = ods_db_commit(c);
	if (er != ODS_OK)
		(void)ods_db_rollback(c);
	if (er == ODS_ECONFLICT && sp->name != NULL)
		ods_why_set(why, "name", "a template named '%s' exists",
		    p->name);
	else if (er == ODS_ECONFLICT)
		ods_why_set(why, NULL, "the template changed meanwhile; try "
		    "again");
out:
	ods_db_release(c);
	if (er == ODS_OK && (er = ods_prompt_get(db, p->template_id, NULL, 0,
	    &now)) == ODS_OK) {
		prompt_fini(p);
		*p = *now;
		free(now);
	}
	ods_json_put(old);
	free(vars);
	free(tags);
	return er;
}

enum ods_err
ods_prompt_delete(struct ods_db *db, const struct ods_prompt *p)
{
	struct ods_db_arg	a[1] = { ods_db_int(p->id) };
	uint64_t		hit = 0;
	enum ods_err		er;

	er = ods_db_exec_once(db, "UPDATE prompt_templates SET deleted_at = "
	    "NOW(3), live = NULL WHERE id = ? AND live = 1", a, 1, &hit);
	if (er == ODS_OK && hit == 0)
		er = ODS_ENOTFOUND;
	return er;
}

/* The columns of a version, as row_to reads them (NULL: not kept). */
#define VCOLS "NULL, template_id, NULL, description, NULL, content, " \
	"variables, model, NULL, version, 0, 0, created_by, " \
	KBI_TS("created_at") ", NULL"

/* p's current version as the first of a version list. */
static void
current_version(const struct ods_prompt *p, struct ods_prompt *v)
{
	v->template_id = ods_xstrdup(p->template_id);
	v->version = p->version;
	v->content = ods_xstrdup(p->content);
	take(&v->variables, p->variables);
	take(&v->description, p->description);
	take(&v->model, p->model);
	take(&v->created_by, p->created_by);
	take(&v->created_at, p->updated_at);
}

enum ods_err
ods_prompt_versions(struct ods_db *db, const struct ods_prompt *p,
    size_t offset, size_t limit, struct ods_prompt **out, size_t *n,
    int64_t *total)
{
	struct ods_db_arg	 a[3];
	struct ods_db_res	*res = NULL, *cnt = NULL;
	struct ods_prompt	*v;
	enum ods_err		 er;
	size_t			 i, cur, rows;

	*out = NULL;
	*n = 0;
	*total = 0;
	if (limit > ODS_PROMPT_LIST_MAX)
		limit = ODS_PROMPT_LIST_MAX;
	if (limit == 0)
		return ODS_OK;
	/* The current version is number 0 of the list, the rows follow. */
	cur = offset == 0;
	a[0] = ods_db_text(p->template_id);
	a[1] = ods_db_int((int64_t)(limit - cur));
	a[2] = ods_db_int((int64_t)(offset > 0 ? offset - 1 : 0));
	er = ods_db_query_once(db, "SELECT " VCOLS " FROM "
	    "prompt_template_versions WHERE template_id = ? ORDER BY version "
	    "DESC LIMIT ? OFFSET ?", a, 3, limit, &res);
	if (er == ODS_OK)
		er = ods_db_query_once(db, "SELECT COUNT(*) FROM "
		    "prompt_template_versions WHERE template_id = ?", a, 1, 1,
		    &cnt);
	if (er == ODS_OK)
		er = ods_db_res_int(cnt, 0, 0, total);
	if (er == ODS_OK) {
		(*total)++;
		rows = ods_db_res_nrows(res);
		*n = rows + cur;
		v = ods_xcalloc(*n + 1, sizeof(*v));
		if (cur)
			current_version(p, &v[0]);
		for (i = 0; i < rows; i++)
			row_to(res, i, &v[i + cur]);
		*out = v;
	}
	ods_db_res_free(res);
	ods_db_res_free(cnt);
	return er;
}

/* Content and declaration of p's version ver (0: current) into *v. */
static enum ods_err
version_of(struct ods_db *db, const struct ods_prompt *p, int ver,
    struct ods_prompt *v, struct ods_why *why)
{
	struct ods_db_arg	 a[2];
	struct ods_db_res	*res = NULL;
	enum ods_err		 er;

	memset(v, 0, sizeof(*v));
	if (ver == 0 || ver == p->version) {
		v->content = ods_xstrdup(p->content);
		take(&v->variables, p->variables);
		v->version = p->version;
		return ODS_OK;
	}
	a[0] = ods_db_text(p->template_id);
	a[1] = ods_db_int(ver);
	er = ods_db_query_once(db, "SELECT " VCOLS " FROM "
	    "prompt_template_versions WHERE template_id = ? AND version = ?",
	    a, 2, 1, &res);
	if (er == ODS_OK && ods_db_res_nrows(res) == 0) {
		ods_why_set(why, "version", "the template has no version %d",
		    ver);
		er = ODS_ENOTFOUND;
	}
	if (er == ODS_OK)
		row_to(res, 0, v);
	ods_db_res_free(res);
	return er;
}

enum ods_err
ods_prompt_render(struct ods_db *db, const char *id, const char *owner,
    int ver, struct json_object *vars, struct ods_prompt_text *out,
    struct ods_why *why)
{
	struct ods_prompt	*p = NULL, v;
	struct ods_db_arg	 a[1];
	enum ods_err		 er;

	memset(out, 0, sizeof(*out));
	memset(&v, 0, sizeof(v));
	if ((er = ods_prompt_get(db, id, owner, 0, &p)) != ODS_OK ||
	    (er = version_of(db, p, ver, &v, why)) != ODS_OK)
		goto out;
	er = ods_prompt_fill(v.content, strlen(v.content), v.variables, vars,
	    ODS_PROMPT_RENDER_MAX, out, why);
	if (er != ODS_OK)
		goto out;
	out->version = v.version;
	out->template_id = ods_xstrdup(p->template_id);
	/* Counting is best effort: a rendering is not undone for it. */
	a[0] = ods_db_int(p->id);
	if (ods_db_exec_once(db, "UPDATE prompt_templates SET usage_count = "
	    "usage_count + 1, updated_at = updated_at WHERE id = ?", a, 1,
	    NULL) != ODS_OK)
		ods_log(ODS_LOG_WARN, "prompt_usage_count template=%s",
		    p->template_id);
out:
	prompt_fini(&v);
	ods_prompt_free(p);
	return er;
}

/* A JSON text column as a value (null when absent). */
static void
raw_or_null(struct ods_jw *jw, const char *key, const char *json)
{
	ods_jw_key(jw, key);
	if (json != NULL)
		ods_jw_raw(jw, json, strlen(json));
	else
		ods_jw_null(jw);
}

void
ods_prompt_json(struct ods_jw *jw, const struct ods_prompt *p)
{
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "id", p->template_id);
	ods_jw_kstr(jw, "template_id", p->template_id);
	ods_jw_kstr(jw, "name", p->name);
	ods_jw_kstr(jw, "description", p->description);
	ods_jw_kstr(jw, "category", p->category);
	ods_jw_kstr(jw, "content", p->content);
	raw_or_null(jw, "variables", p->variables);
	ods_jw_kstr(jw, "model", p->model);
	raw_or_null(jw, "tags", p->tags);
	ods_jw_kint(jw, "version", p->version);
	ods_jw_kbool(jw, "is_public", p->is_public);
	ods_jw_kint(jw, "usage_count", p->usage_count);
	ods_jw_kstr(jw, "created_by", p->created_by);
	ods_jw_kstr(jw, "created_at", p->created_at);
	ods_jw_kstr(jw, "updated_at", p->updated_at);
	ods_jw_end(jw);
}

void
ods_prompt_version_json(struct ods_jw *jw, const struct ods_prompt *p)
{
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "template_id", p->template_id);
	ods_jw_kint(jw, "version", p->version);
	ods_jw_kstr(jw, "content", p->content);
	raw_or_null(jw, "variables", p->variables);
	ods_jw_kstr(jw, "description", p->description);
	ods_jw_kstr(jw, "model", p->model);
	ods_jw_kstr(jw, "created_by", p->created_by);
	ods_jw_kstr(jw, "created_at", p->created_at);
	ods_jw_end(jw);
}
