/*
 * svc/agent/app.c — app rows: create, read, list, update, delete,
 * publish, statistics (app.h). The request's fields are parsed into a
 * spec, merged into an app, checked as a whole and written with every
 * column, so a create and an update run the same checks.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/ods_auth.h"
#include "core/ods_err.h"
#include "core/ods_json.h"
#include "core/ods_mem.h"
#include "store/ods_db.h"
#include "app.h"
#include "kb.h"
#include "agent_int.h"

#define CONF_MAX	(256 * 1024)

/* The columns of struct ods_app, in row_to's order. */
#define COLS "a.id, a.app_id, a.name, a.description, a.type, a.status, " \
	"a.icon, a.version, a.workflow_id, a.endpoint, a.created_by, " \
	KBI_TS("a.created_at") ", " KBI_TS("a.updated_at") ", " \
	KBI_TS("a.published_at") ", " KBI_TS("a.last_accessed") ", " \
	"a.access_count, (SELECT COUNT(*) FROM api_keys k WHERE k.app_id = " \
	"a.app_id AND k.revoked = 0 AND (k.expires_at IS NULL OR " \
	"k.expires_at > NOW(3))), a.tags, a.config"

static const char *const types[] = {
	"chat", "agent", "workflow", "rag", "completion", NULL
};

/* ---- the request's fields ---- */

static void
spec_init(struct ods_app_spec *sp)
{
	memset(sp, 0, sizeof(*sp));
	sp->ntags = -1;
	sp->nkbs = -1;
	sp->temperature = -1;
	sp->max_tokens = -1;
	sp->rate_limit_rpm = -1;
	sp->rate_limit_tpm = -1;
}

/* An optional string field; ODS_OK also when it is absent. */
static enum ods_err
opt_str(struct json_object *o, const char *f, size_t max, const char **dst,
    struct ods_why *why)
{
	enum ods_err	er = ods_json_str(o, f, 0, max, dst, why);

	return er == ODS_ENOTFOUND ? ODS_OK : er;
}

/* An optional array of at most max strings of 1..ODS_APP_FIELD_MAX. */
static enum ods_err
opt_strv(struct json_object *o, const char *f, const char **v, size_t max,
    ssize_t *n, struct ods_why *why)
{
	struct json_object	*arr;
	enum ods_err		 er;
	size_t			 i, len;

	if ((er = ods_json_arr(o, f, 0, &arr, why)) != ODS_OK)
		return er == ODS_ENOTFOUND ? ODS_OK : er;
	if ((len = ods_json_arr_len(arr)) > max) {
		ods_why_set(why, f, "%s has at most %zu entries", f, max);
		return ODS_EINVAL;
	}
	for (i = 0; i < len; i++) {
		v[i] = ods_json_arr_str(arr, i);
		if (v[i] == NULL || *v[i] == '\0' ||
		    strlen(v[i]) > ODS_APP_FIELD_MAX) {
			ods_why_set(why, f, "%s[%zu] must be a string of 1 to "
			    "%d bytes", f, i, ODS_APP_FIELD_MAX);
			return ODS_EINVAL;
		}
	}
	*n = (ssize_t)len;
	return ODS_OK;
}

static enum ods_err
settings_parse(struct json_object *o, struct ods_app_spec *sp,
    struct ods_why *why)
{
	struct json_object	*s;
	enum ods_err		 er;
	size_t			 n;

	if ((er = ods_json_obj(o, "settings", 0, &s, why)) != ODS_OK)
		return er == ODS_ENOTFOUND ? ODS_OK : er;
	sp->has_settings = 1;
#define OPT(call)	if ((er = (call)) != ODS_OK && er != ODS_ENOTFOUND) \
				goto bad
	OPT(ods_json_num(s, "temperature", 0, 0, 2, &sp->temperature, why));
	OPT(ods_json_int(s, "max_tokens", 0, 1, ODS_APP_MAX_TOKENS,
	    &sp->max_tokens, why));
	OPT(ods_json_str(s, "system_prompt", 0, ODS_APP_PROMPT_MAX,
	    &sp->system_prompt, why));
	OPT(ods_json_int(s, "rate_limit_rpm", 0, 1, 1000000,
	    &sp->rate_limit_rpm, why));
	OPT(ods_json_int(s, "rate_limit_tpm", 0, 1, 1000000000,
	    &sp->rate_limit_tpm, why));
#undef OPT
	return ODS_OK;
bad:
	/* Name the member as the client wrote it: settings.<field>. */
	if (why != NULL && why->field[0] != '\0' &&
	    (n = strlen(why->field)) + 9 < sizeof(why->field)) {
		memmove(why->field + 9, why->field, n + 1);
		memcpy(why->field, "settings.", 9);
	}
	return er;
}

enum ods_err
ods_app_spec_parse(struct json_object *o, struct ods_app_spec *sp,
    struct ods_why *why)
{
	enum ods_err	er;

	spec_init(sp);
	if (!ods_json_is_obj(o)) {
		ods_why_set(why, NULL, "the body must be a JSON object");
		return ODS_EINVAL;
	}
	if ((er = opt_str(o, "name", ODS_APP_NAME_MAX, &sp->name, why)) ||
	    (er = opt_str(o, "description", ODS_APP_DESC_MAX,
	    &sp->description, why)) ||
	    (er = opt_str(o, "type", 32, &sp->type, why)) ||
	    (er = opt_str(o, "icon", 255, &sp->icon, why)) ||
	    (er = opt_str(o, "version", 32, &sp->version, why)) ||
	    (er = opt_str(o, "model", ODS_APP_FIELD_MAX, &sp->model, why)) ||
	    (er = opt_str(o, "prompt_template_id", 64,
	    &sp->prompt_template_id, why)) ||
	    (er = opt_str(o, "workflow_id", 64, &sp->workflow_id, why)) ||
	    (er = opt_strv(o, "tags", sp->tags, ODS_APP_TAGS_MAX, &sp->ntags,
	    why)) ||
	    (er = opt_strv(o, "knowledge_base_ids", sp->kb_ids, ODS_APP_KB_MAX,
	    &sp->nkbs, why)))
		return er;
	return settings_parse(o, sp, why);
}

/* ---- merging and checking ---- */

static void
set_str(char **dst, const char *v)
{
	if (v == NULL)
		return;
	free(*dst);
	*dst = *v != '\0' ? ods_xstrdup(v) : NULL;
}

static void
strv_free(char **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
set_strv(char ***dst, size_t *dn, const char *const *v, ssize_t n)
{
	ssize_t	i;

	if (n < 0)
		return;
	strv_free(*dst, *dn);
	*dst = ods_xcalloc((size_t)n + 1, sizeof(char *));
	for (i = 0; i < n; i++)
		(*dst)[i] = ods_xstrdup(v[i]);
	*dn = (size_t)n;
}

static void
merge(struct ods_app *a, const struct ods_app_spec *sp)
{
	struct ods_app_settings	*s = &a->settings;

	if (sp->name != NULL) {
		free(a->name);
		a->name = ods_xstrdup(sp->name);
	}
	set_str(&a->description, sp->description);
	if (sp->type != NULL && *sp->type != '\0') {
		free(a->type);
		a->type = ods_xstrdup(sp->type);
	}
	set_str(&a->icon, sp->icon);
	if (sp->version != NULL && *sp->version != '\0') {
		free(a->version);
		a->version = ods_xstrdup(sp->version);
	}
	set_str(&a->model, sp->model);
	set_str(&a->prompt_template_id, sp->prompt_template_id);
	set_str(&a->workflow_id, sp->workflow_id);
	set_strv(&a->tags, &a->ntags, sp->tags, sp->ntags);
	set_strv(&a->kb_ids, &a->nkbs, sp->kb_ids, sp->nkbs);
	if (!sp->has_settings)
		return;
	if (sp->temperature >= 0)
		s->temperature = sp->temperature;
	if (sp->max_tokens > 0)
		s->max_tokens = sp->max_tokens;
	set_str(&s->system_prompt, sp->system_prompt);
	if (sp->rate_limit_rpm > 0)
		s->rate_limit_rpm = sp->rate_limit_rpm;
	if (sp->rate_limit_tpm > 0)
		s->rate_limit_tpm = sp->rate_limit_tpm;
}

static int
known_type(const char *t)
{
	size_t	i;

	for (i = 0; types[i] != NULL; i++)
		if (strcmp(t, types[i]) == 0)
			return 1;
	return 0;
}

/* Every knowledge base named exists, is the owner's, and is named once. */
static enum ods_err
check_kbs(struct ods_db *db, const struct ods_app *a, const char *owner,
    struct ods_why *why)
{
	struct ods_kb	*kb = NULL;
	enum ods_err	 er;
	size_t		 i, j;

	for (i = 0; i < a->nkbs; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(a->kb_ids[i], a->kb_ids[j]) == 0) {
				ods_why_set(why, "knowledge_base_ids", "the "
				    "knowledge base '%s' is named twice",
				    a->kb_ids[i]);
				return ODS_EINVAL;
			}
		er = ods_kb_get(db, a->kb_ids[i], owner, &kb);
		ods_kb_free(kb);
		kb = NULL;
		if (er == ODS_ENOTFOUND) {
			ods_why_set(why, "knowledge_base_ids", "no knowledge "
			    "base '%s'", a->kb_ids[i]);
			return ODS_EINVAL;
		}
		if (er != ODS_OK)
			return er;
	}
	return ODS_OK;
}

/* The template is live and the owner's or public (any for owner NULL). */
static enum ods_err
check_template(struct ods_db *db, const char *id, const char *owner,
    struct ods_why *why)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[3];
	enum ods_err		 er;

	if (id == NULL)
		return ODS_OK;
	a[0] = ods_db_text(id);
	a[1] = ods_db_int(owner == NULL);
	a[2] = ods_db_text(owner != NULL ? owner : "");
	er = ods_db_query_once(db, "SELECT 1 FROM prompt_templates WHERE "
	    "template_id = ? AND deleted_at IS NULL AND (? = 1 OR is_public = "
	    "1 OR created_by = ?)", a, 3, 1, &res);
	if (er == ODS_OK && ods_db_res_nrows(res) == 0) {
		ods_why_set(why, "prompt_template_id", "no prompt template "
		    "'%s'", id);
		er = ODS_EINVAL;
	}
	ods_db_res_free(res);
	return er;
}

static enum ods_err
check(struct ods_db *db, const struct ods_app *a, const char *owner,
    struct ods_why *why)
{
	enum ods_err	er;

	if (a->name == NULL || *a->name == '\0') {
		ods_why_set(why, "name", "name is required");
		return ODS_EINVAL;
	}
	if (!known_type(a->type)) {
		ods_why_set(why, "type", "type must be chat, agent, workflow, "
		    "rag or completion");
		return ODS_EINVAL;
	}
	if ((er = check_kbs(db, a, owner, why)) != ODS_OK)
		return er;
	return check_template(db, a->prompt_template_id, owner, why);
}

/* ---- JSON columns ---- */

static void
strv_json(struct ods_jw *jw, char *const *v, size_t n)
{
	size_t	i;

	ods_jw_arr(jw);
	for (i = 0; i < n; i++)
		ods_jw_str(jw, v[i]);
	ods_jw_end(jw);
}

static void
settings_json(struct ods_jw *jw, const struct ods_app_settings *s)
{
	ods_jw_obj(jw);
	if (s->temperature >= 0)
		ods_jw_knum(jw, "temperature", s->temperature);
	if (s->max_tokens > 0)
		ods_jw_kint(jw, "max_tokens", s->max_tokens);
	if (s->system_prompt != NULL)
		ods_jw_kstr(jw, "system_prompt", s->system_prompt);
	if (s->rate_limit_rpm > 0)
		ods_jw_kint(jw, "rate_limit_rpm", s->rate_limit_rpm);
	if (s->rate_limit_tpm > 0)
		ods_jw_kint(jw, "rate_limit_tpm", s->rate_limit_tpm);
	ods_jw_end(jw);
}

/* The config object (also the "config" of the App JSON). */
static void
config_json(struct ods_jw *jw, const struct ods_app *a)
{
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "model", a->model);
	ods_jw_kstr(jw, "prompt_template_id", a->prompt_template_id);
	ods_jw_key(jw, "knowledge_base_ids");
	strv_json(jw, a->kb_ids, a->nkbs);
	ods_jw_key(jw, "settings");
	settings_json(jw, &a->settings);
	ods_jw_kstr(jw, "workflow_id", a->workflow_id);
	ods_jw_end(jw);
}

static enum ods_err
columns_json(const struct ods_app *a, struct ods_buf *conf,
    struct ods_buf *tags)
{
	struct ods_jw	jw;
	enum ods_err	er;

	ods_jw_init(&jw, conf);
	config_json(&jw, a);
	if ((er = ods_jw_error(&jw)) != ODS_OK)
		return er;
	ods_jw_init(&jw, tags);
	strv_json(&jw, a->tags, a->ntags);
	return ods_jw_error(&jw);
}

static void
strv_parse(struct json_object *arr, char ***v, size_t *n)
{
	size_t		 i, len = ods_json_arr_len(arr);
	const char	*s;

	*v = ods_xcalloc(len + 1, sizeof(char *));
	*n = 0;
	for (i = 0; i < len; i++)
		if ((s = ods_json_arr_str(arr, i)) != NULL)
			(*v)[(*n)++] = ods_xstrdup(s);
}

/* The stored config back into a (what it cannot read stays unset). */
static void
config_parse(const char *txt, size_t len, struct ods_app *a)
{
	struct json_object	*o = NULL, *v;
	struct ods_app_settings	*s = &a->settings;
	const char		*p;

	if (txt == NULL || ods_json_parse(txt, len, 8, &o, NULL) != ODS_OK)
		return;
	if ((p = ods_json_get_str(o, "model")) != NULL)
		a->model = ods_xstrdup(p);
	if ((p = ods_json_get_str(o, "prompt_template_id")) != NULL)
		a->prompt_template_id = ods_xstrdup(p);
	if (ods_json_arr(o, "knowledge_base_ids", 0, &v, NULL) == ODS_OK)
		strv_parse(v, &a->kb_ids, &a->nkbs);
	if (ods_json_obj(o, "settings", 0, &v, NULL) == ODS_OK) {
		(void)ods_json_num(v, "temperature", 0, 0, 2, &s->temperature,
		    NULL);
		(void)ods_json_int(v, "max_tokens", 0, 1, ODS_APP_MAX_TOKENS,
		    &s->max_tokens, NULL);
		if ((p = ods_json_get_str(v, "system_prompt")) != NULL)
			s->system_prompt = ods_xstrdup(p);
		(void)ods_json_int(v, "rate_limit_rpm", 0, 1, 1000000,
		    &s->rate_limit_rpm, NULL);
		(void)ods_json_int(v, "rate_limit_tpm", 0, 1, 1000000000,
		    &s->rate_limit_tpm, NULL);
	}
	ods_json_put(o);
}

/* ---- rows ---- */

static void
row_to(const struct ods_db_res *res, size_t i, struct ods_app *a)
{
	struct json_object	*o = NULL;
	const char		*t;
	size_t			 len;

	memset(a, 0, sizeof(*a));
	a->settings.temperature = -1;
	a->id = ods_db_res_int0(res, i, 0);
	a->app_id = ods_db_res_strdup(res, i, 1);
	a->name = ods_db_res_strdup(res, i, 2);
	a->description = ods_db_res_strdup(res, i, 3);
	a->type = ods_db_res_strdup(res, i, 4);
	a->status = ods_db_res_strdup(res, i, 5);
	a->icon = ods_db_res_strdup(res, i, 6);
	a->version = ods_db_res_strdup(res, i, 7);
	a->workflow_id = ods_db_res_strdup(res, i, 8);
	a->endpoint = ods_db_res_strdup(res, i, 9);
	a->created_by = ods_db_res_strdup(res, i, 10);
	a->created_at = ods_db_res_strdup(res, i, 11);
	a->updated_at = ods_db_res_strdup(res, i, 12);
	a->published_at = ods_db_res_strdup(res, i, 13);
	a->last_accessed = ods_db_res_strdup(res, i, 14);
	a->access_count = ods_db_res_int0(res, i, 15);
	a->api_key_count = ods_db_res_int0(res, i, 16);
	t = ods_db_res_text(res, i, 17, &len);
	if (t != NULL && ods_json_parse(t, len, 4, &o, NULL) == ODS_OK &&
	    ods_json_arr_len(o) > 0)
		strv_parse(o, &a->tags, &a->ntags);
	ods_json_put(o);
	t = ods_db_res_text(res, i, 18, &len);
	config_parse(t, len, a);
}

static void
app_fini(struct ods_app *a)
{
	free(a->app_id);
	free(a->name);
	free(a->description);
	free(a->type);
	free(a->status);
	free(a->icon);
	free(a->version);
	free(a->workflow_id);
	free(a->endpoint);
	free(a->created_by);
	free(a->created_at);
	free(a->updated_at);
	free(a->published_at);
	free(a->last_accessed);
	free(a->model);
	free(a->prompt_template_id);
	strv_free(a->tags, a->ntags);
	strv_free(a->kb_ids, a->nkbs);
	free(a->settings.system_prompt);
	memset(a, 0, sizeof(*a));
}

void
ods_app_free(struct ods_app *a)
{
	if (a == NULL)
		return;
	app_fini(a);
	free(a);
}

void
ods_app_list_free(struct ods_app *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		app_fini(&v[i]);
	free(v);
}

/* One app by "app-..." id (seen as owner); ODS_ENOTFOUND. */
enum ods_err
ods_app_get(struct ods_db *db, const char *app_id, const char *owner,
    struct ods_app **out)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[3];
	enum ods_err		 er;

	*out = NULL;
	if (app_id == NULL || strlen(app_id) > 64)
		return ODS_ENOTFOUND;
	a[0] = ods_db_text(app_id);
	a[1] = ods_db_int(owner == NULL);
	a[2] = ods_db_text(owner != NULL ? owner : "");
	er = ods_db_query_once(db, "SELECT " COLS " FROM apps a WHERE "
	    "a.app_id = ? AND a.deleted_at IS NULL AND (? = 1 OR "
	    "a.created_by = ?)", a, 3, 1, &res);
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
ods_app_create(struct ods_db *db, const struct ods_app_spec *sp,
    const char *owner, struct ods_app **out, struct ods_why *why)
{
	struct ods_app		 a;
	struct ods_db_arg	 arg[10];
	struct ods_buf		 conf, tags;
	char			 id[32];
	enum ods_err		 er;

	*out = NULL;
	memset(&a, 0, sizeof(a));
	a.settings.temperature = -1;
	a.type = ods_xstrdup("chat");
	a.version = ods_xstrdup("1.0.0");
	merge(&a, sp);
	ods_buf_init(&conf, CONF_MAX);
	ods_buf_init(&tags, CONF_MAX);
	if ((er = check(db, &a, owner, why)) != ODS_OK ||
	    (er = columns_json(&a, &conf, &tags)) != ODS_OK)
		goto out;
	kbi_new_id("app", id, sizeof(id));
	arg[0] = ods_db_text(id);
	arg[1] = ods_db_text(a.name);
	arg[2] = ods_db_text(a.description);
	arg[3] = ods_db_text(a.type);
	arg[4] = ods_db_text(a.workflow_id);
	arg[5] = ods_db_text(a.icon);
	arg[6] = ods_db_text(a.version);
	arg[7] = ods_db_textn(conf.data, conf.len);
	arg[8] = ods_db_textn(tags.data, tags.len);
	arg[9] = ods_db_text(owner != NULL ? owner : "");
	er = ods_db_exec_once(db, "INSERT INTO apps (app_id, name, "
	    "description, type, workflow_id, icon, version, config, tags, "
	    "created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", arg, 10, NULL);
	if (er == ODS_OK)
		er = ods_app_get(db, id, NULL, out);
out:
	ods_buf_free(&conf);
	ods_buf_free(&tags);
	app_fini(&a);
	return er;
}

enum ods_err
ods_app_list(struct ods_db *db, const struct ods_app_filter *f,
    size_t offset, size_t limit, struct ods_app **out, size_t *n,
    int64_t *total)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_res	*res = NULL, *cnt = NULL;
	struct ods_db_arg	 a[8];
	enum ods_err		 er;
	size_t			 i;

	*out = NULL;
	*n = 0;
	if (limit == 0 || limit > ODS_APP_LIST_MAX)
		limit = ODS_APP_LIST_MAX;
	a[0] = ods_db_int(f->owner == NULL);
	a[1] = ods_db_text(f->owner != NULL ? f->owner : "");
	a[2] = ods_db_text(f->type);
	a[3] = ods_db_text(f->type);
	a[4] = ods_db_text(f->status);
	a[5] = ods_db_text(f->status);
	a[6] = ods_db_int((int64_t)limit);
	a[7] = ods_db_int((int64_t)offset);
	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
#define WHERE " FROM apps a WHERE a.deleted_at IS NULL AND (? = 1 OR " \
	"a.created_by = ?) AND (? IS NULL OR a.type = ?) AND (? IS NULL OR " \
	"a.status = ?)"
	er = ods_db_query(c, "SELECT " COLS WHERE " ORDER BY a.id DESC LIMIT "
	    "? OFFSET ?", a, 8, limit, &res);
	if (er == ODS_OK)
		er = ods_db_query(c, "SELECT COUNT(*)" WHERE, a, 6, 1, &cnt);
#undef WHERE
	ods_db_release(c);
	if (er == ODS_OK)
		er = ods_db_res_int(cnt, 0, 0, total);
	if (er == ODS_OK && (*n = ods_db_res_nrows(res)) > 0) {
		*out = ods_xcalloc(*n, sizeof(**out));
		for (i = 0; i < *n; i++)
			row_to(res, i, &(*out)[i]);
	}
	ods_db_res_free(res);
	ods_db_res_free(cnt);
	return er;
}

enum ods_err
ods_app_update(struct ods_db *db, struct ods_app *app,
    const struct ods_app_spec *sp, const char *owner, struct ods_why *why)
{
	struct ods_app		*now = NULL;
	struct ods_db_arg	 arg[9];
	struct ods_buf		 conf, tags;
	enum ods_err		 er;

	merge(app, sp);
	ods_buf_init(&conf, CONF_MAX);
	ods_buf_init(&tags, CONF_MAX);
	if ((er = check(db, app, owner, why)) != ODS_OK ||
	    (er = columns_json(app, &conf, &tags)) != ODS_OK)
		goto out;
	arg[0] = ods_db_text(app->name);
	arg[1] = ods_db_text(app->description);
	arg[2] = ods_db_text(app->type);
	arg[3] = ods_db_text(app->workflow_id);
	arg[4] = ods_db_text(app->icon);
	arg[5] = ods_db_text(app->version);
	arg[6] = ods_db_textn(conf.data, conf.len);
	arg[7] = ods_db_textn(tags.data, tags.len);
	arg[8] = ods_db_int(app->id);
	er = ods_db_exec_once(db, "UPDATE apps SET name = ?, description = ?, "
	    "type = ?, workflow_id = ?, icon = ?, version = ?, config = ?, "
	    "tags = ?, updated_at = NOW(3) WHERE id = ? AND deleted_at IS "
	    "NULL", arg, 9, NULL);
	if (er == ODS_OK)
		er = ods_app_get(db, app->app_id, NULL, &now);
	if (er == ODS_OK) {
		app_fini(app);
		*app = *now;
		free(now);
	}
out:
	ods_buf_free(&conf);
	ods_buf_free(&tags);
	return er;
}

enum ods_err
ods_app_delete(struct ods_db *db, const struct ods_app *app, const char *by)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_arg	 a[2];
	enum ods_err		 er;

	a[0] = ods_db_text(by);
	a[1] = ods_db_text(app->app_id);
	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	if ((er = ods_db_begin(c)) == ODS_OK &&
	    (er = ods_db_exec(c, "UPDATE apps SET deleted_at = NOW(3), status "
	    "= 'draft', endpoint = NULL WHERE app_id = ? AND deleted_at IS "
	    "NULL", a + 1, 1, NULL)) == ODS_OK &&
	    (er = ods_db_exec(c, "UPDATE api_keys SET revoked = 1, revoked_at "
	    "= NOW(3), revoked_by = ? WHERE app_id = ? AND revoked = 0", a, 2,
	    NULL)) == ODS_OK)
		er = ods_db_commit(c);
	if (er != ODS_OK)
		(void)ods_db_rollback(c);
	ods_db_release(c);
	return er;
}

enum ods_err
ods_app_publish(struct ods_db *db, struct ods_app *app, int publish)
{
	struct ods_app		*now = NULL;
	struct ods_db_arg	 a[2];
	char			 ep[128];
	enum ods_err		 er;

	snprintf(ep, sizeof(ep), "/api/v1/apps/%s/chat", app->app_id);
	a[0] = ods_db_text(ep);
	a[1] = ods_db_int(app->id);
	if (publish)
		er = ods_db_exec_once(db, "UPDATE apps SET status = "
		    "'published', published_at = NOW(3), endpoint = ?, "
		    "updated_at = NOW(3) WHERE id = ?", a, 2, NULL);
	else
		er = ods_db_exec_once(db, "UPDATE apps SET status = 'draft', "
		    "endpoint = NULL, updated_at = NOW(3) WHERE id = ?", a + 1,
		    1, NULL);
	if (er == ODS_OK)
		er = ods_app_get(db, app->app_id, NULL, &now);
	if (er == ODS_OK) {
		app_fini(app);
		*app = *now;
		free(now);
	}
	return er;
}

enum ods_err
ods_app_touch(struct ods_db *db, const char *app_id)
{
	struct ods_db_arg	a[1];

	a[0] = ods_db_text(app_id);
	return ods_db_exec_once(db, "UPDATE apps SET access_count = "
	    "access_count + 1, last_accessed = NOW(3) WHERE app_id = ?", a, 1,
	    NULL);
}

enum ods_err
ods_app_stats(struct ods_db *db, const char *app_id, struct ods_app_stats *st)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[1];
	enum ods_err		 er;
	int64_t			 ok = 0;

	memset(st, 0, sizeof(*st));
	a[0] = ods_db_text(app_id);
	er = ods_db_query_once(db, "SELECT COUNT(*), COUNT(DISTINCT "
	    "COALESCE(end_user, key_id, user_id)), COALESCE(AVG(latency_ms), "
	    "0), COALESCE(SUM(status < 400), 0) FROM api_usage WHERE app_id = "
	    "?", a, 1, 1, &res);
	if (er == ODS_OK && ods_db_res_nrows(res) == 1) {
		st->total_calls = ods_db_res_int0(res, 0, 0);
		st->total_users = ods_db_res_int0(res, 0, 1);
		if (ods_db_res_double(res, 0, 2, &st->avg_response_time_ms) !=
		    ODS_OK)
			st->avg_response_time_ms = 0;
		ok = ods_db_res_int0(res, 0, 3);
		if (st->total_calls > 0)
			st->success_rate = (double)ok /
			    (double)st->total_calls;
	}
	ods_db_res_free(res);
	return er;
}

/* ---- keys ---- */

enum ods_err
ods_app_key_create(struct ods_db *db, const struct ods_app *app,
    const struct ods_app_key_spec *ks, const char *owner, char **secret,
    struct ods_apikey *out)
{
	struct ods_apikey_spec	s;

	memset(&s, 0, sizeof(s));
	s.owner = owner != NULL && *owner != '\0' ? owner : app->created_by;
	s.name = ks->name;
	s.rpm = (int)(ks->rpm > 0 ? ks->rpm : app->settings.rate_limit_rpm);
	s.tpm = (int)(ks->tpm > 0 ? ks->tpm : app->settings.rate_limit_tpm);
	s.expires_at = ks->expires_at;
	s.created_by = owner;
	s.app_id = app->app_id;
	return ods_apikey_create(db, &s, secret, out);
}

enum ods_err
ods_app_key_revoke(struct ods_db *db, const struct ods_app *app,
    const char *key_id, const char *by)
{
	return ods_apikey_revoke_app(db, app->app_id, key_id, by);
}

/* ---- output ---- */

void
ods_app_json(struct ods_jw *jw, const struct ods_app *a,
    const struct ods_app_stats *st)
{
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "app_id", a->app_id);
	ods_jw_kstr(jw, "id", a->app_id);
	ods_jw_kstr(jw, "name", a->name);
	ods_jw_kstr(jw, "description", a->description != NULL ?
	    a->description : "");
	ods_jw_kstr(jw, "type", a->type);
	ods_jw_kstr(jw, "workflow_id", a->workflow_id);
	ods_jw_kstr(jw, "status", a->status);
	ods_jw_kstr(jw, "icon", a->icon);
	ods_jw_kstr(jw, "version", a->version);
	ods_jw_kstr(jw, "model", a->model);
	ods_jw_kstr(jw, "created_by", a->created_by);
	ods_jw_kstr(jw, "created_at", a->created_at);
	ods_jw_kstr(jw, "updated_at", a->updated_at);
	ods_jw_kstr(jw, "published_at", a->published_at);
	ods_jw_kstr(jw, "endpoint", a->endpoint);
	ods_jw_kint(jw, "access_count", a->access_count);
	ods_jw_kint(jw, "api_key_count", a->api_key_count);
	ods_jw_kstr(jw, "last_accessed", a->last_accessed);
	ods_jw_key(jw, "tags");
	strv_json(jw, a->tags, a->ntags);
	ods_jw_key(jw, "config");
	config_json(jw, a);
	if (st != NULL) {
		ods_jw_key(jw, "statistics");
		ods_jw_obj(jw);
		ods_jw_kint(jw, "total_calls", st->total_calls);
		ods_jw_kint(jw, "total_users", st->total_users);
		ods_jw_knum(jw, "avg_response_time_ms",
		    st->avg_response_time_ms);
		ods_jw_knum(jw, "success_rate", st->success_rate);
		ods_jw_end(jw);
	}
	ods_jw_end(jw);
}

void
ods_app_info_json(struct ods_jw *jw, const struct ods_app *a)
{
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "app_id", a->app_id);
	ods_jw_kstr(jw, "name", a->name);
	ods_jw_kstr(jw, "description", a->description != NULL ?
	    a->description : "");
	ods_jw_kstr(jw, "type", a->type);
	ods_jw_kstr(jw, "model", a->model);
	ods_jw_kstr(jw, "status", a->status);
	ods_jw_end(jw);
}
