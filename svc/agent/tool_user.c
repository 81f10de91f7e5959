/*
 * svc/agent/tool_user.c — user-defined HTTP tools (tool.h): rows of the
 * tools table (sql/0001_init.sql) with tool_type "http", a JSON Schema in
 * parameters and {url, method: GET|POST, headers?} in config. A call is
 * the http_request tool's (its host list, address policy and caps) on
 * the row's URL, the checked arguments as the JSON body of a POST.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core/ods_conf.h"
#include "core/ods_err.h"
#include "core/ods_json.h"
#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "store/ods_db.h"
#include "agent_int.h"
#include "tool.h"

#define USER_MAX	200	/* rows listed */
#define COLS	"tool_id, name, display_name, description, category, " \
	"tool_type, parameters, enabled"

static void
raw_or(struct ods_jw *jw, const char *key, const char *json, const char *def)
{
	ods_jw_key(jw, key);
	if (json != NULL && *json != '\0')
		ods_jw_raw(jw, json, strlen(json));
	else
		ods_jw_raw(jw, def, strlen(def));
}

enum ods_err
ods_tool_user_list(struct ods_db *db, const char *category,
    struct ods_jw *jw, size_t *n)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[2];
	size_t			 i;
	enum ods_err		 er;

	*n = 0;
	a[0] = ods_db_textn(category, category != NULL ? strlen(category) : 0);
	a[1] = a[0];
	er = ods_db_query_once(db, "SELECT " COLS " FROM tools WHERE "
	    "enabled = 1 AND tool_type = 'http' AND (? IS NULL OR category = "
	    "?) ORDER BY name", a, 2, USER_MAX, &res);
	if (er != ODS_OK)
		return er;
	for (i = 0; i < ods_db_res_nrows(res); i++) {
		if (ods_tool_find(ods_db_res_text(res, i, 1, NULL)) != NULL)
			continue;	/* a built-in's name: the built-in */
		ods_jw_obj(jw);
		ods_jw_kstr(jw, "tool_id", ods_db_res_text(res, i, 0, NULL));
		ods_jw_kstr(jw, "name", ods_db_res_text(res, i, 1, NULL));
		ods_jw_kstr(jw, "display_name", ods_db_res_text(res, i, 2,
		    NULL) != NULL ? ods_db_res_text(res, i, 2, NULL) :
		    ods_db_res_text(res, i, 1, NULL));
		ods_jw_kstr(jw, "description", ods_db_res_text(res, i, 3,
		    NULL) ? ods_db_res_text(res, i, 3, NULL) : "");
		ods_jw_kstr(jw, "category", ods_db_res_text(res, i, 4, NULL) ?
		    ods_db_res_text(res, i, 4, NULL) : "custom");
		ods_jw_kstr(jw, "tool_type", "http");
		raw_or(jw, "parameters", ods_db_res_text(res, i, 6, NULL),
		    "{\"type\":\"object\"}");
		ods_jw_kbool(jw, "enabled", 1);
		ods_jw_end(jw);
		(*n)++;
	}
	ods_db_res_free(res);
	return ODS_OK;
}

/* The http_request arguments of a call: the row's URL, args as body. */
static char *
http_args(struct json_object *cfg, struct json_object *args)
{
	struct ods_buf	 b;
	struct ods_jw	 jw;
	const char	*m = ods_json_get_str(cfg, "method");
	size_t		 len;
	int		 post = m == NULL || strcmp(m, "GET") != 0;

	ods_buf_init(&b, ODS_TOOL_RESULT_MAX);
	ods_jw_init(&jw, &b);
	ods_jw_obj(&jw);
	ods_jw_kstr(&jw, "url", ods_json_get_str(cfg, "url"));
	ods_jw_kstr(&jw, "method", post ? "POST" : "GET");
	if (post) {
		ods_jw_kstr(&jw, "body", args != NULL ? ods_json_text(args) :
		    "{}");
	}
	ods_jw_key(&jw, "headers");
	if (ods_json_is_obj(ods_json_get(cfg, "headers")))
		ods_jw_raw(&jw, ods_json_text(ods_json_get(cfg, "headers")),
		    strlen(ods_json_text(ods_json_get(cfg, "headers"))));
	else
		ods_jw_raw(&jw, "{}", 2);
	ods_jw_end(&jw);
	return ods_buf_take(&b, &len);
}

/* Check args against the row's schema, then call its URL. */
static enum ods_err
run_row(const struct ods_tool_ctx *ctx, const char *params, const char *config,
    struct json_object *args, struct ods_jw *jw, struct ods_why *why)
{
	struct json_object	*schema = NULL, *cfg = NULL, *ha = NULL;
	char			*text = NULL;
	enum ods_err		 er;

	if (ods_json_parse(params != NULL ? params : "{}", params != NULL ?
	    strlen(params) : 2, 0, &schema, NULL) != ODS_OK ||
	    config == NULL || ods_json_parse(config, strlen(config), 0, &cfg,
	    NULL) != ODS_OK || ods_json_get_str(cfg, "url") == NULL) {
		ods_why_set(why, NULL, "the tool's stored definition is "
		    "broken (parameters, config.url)");
		er = ODS_EUNAVAIL;
		goto out;
	}
	if ((er = ods_tool_check(schema, args, why)) != ODS_OK)
		goto out;
	text = http_args(cfg, args);
	if ((er = ods_json_parse(text, strlen(text), 0, &ha, why)) == ODS_OK)
		er = odsi_tool_http(ctx, ha, jw, why);
out:
	free(text);
	ods_json_put(ha);
	ods_json_put(cfg);
	ods_json_put(schema);
	return er;
}

enum ods_err
ods_tool_user_run(const struct ods_tool_ctx *c, const char *name,
    struct json_object *args, struct ods_jw *jw, struct ods_why *why)
{
	struct ods_tool_ctx	 ctx = *c;
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[1];
	enum ods_err		 er;

	if (ctx.db == NULL || !ods_tool_name_ok(name))
		return ODS_ENOTFOUND;
	if (ctx.timeout_ms <= 0)
		ctx.timeout_ms = ctx.conf != NULL ? ctx.conf->tool_timeout_ms :
		    10000;
	a[0] = ods_db_textn(name, strlen(name));
	er = ods_db_query_once(ctx.db, "SELECT parameters, config FROM tools "
	    "WHERE name = ? AND enabled = 1 AND tool_type = 'http'", a, 1, 1,
	    &res);
	if (er == ODS_OK && ods_db_res_nrows(res) == 0)
		er = ODS_ENOTFOUND;
	if (er == ODS_OK)
		er = run_row(&ctx, ods_db_res_text(res, 0, 0, NULL),
		    ods_db_res_text(res, 0, 1, NULL), args, jw, why);
	ods_db_res_free(res);
	return er;
}

/* ---- the tools offered (agents, /tools/schemas) ---- */

struct tset_ent {
	char			*name;
	char			*description;
	char			*params;	/* JSON Schema text */
};

struct ods_toolset {
	struct tset_ent	*v;
	size_t		 n, cap;
};

static void
tset_add(struct ods_toolset *s, const char *name, const char *desc,
    const char *params)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->v = ods_xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n].name = ods_xstrdup(name);
	s->v[s->n].description = ods_xstrdup(desc != NULL ? desc : "");
	s->v[s->n].params = ods_xstrdup(params != NULL && *params != '\0' ?
	    params : "{\"type\":\"object\"}");
	s->n++;
}

static void
tset_builtin(struct ods_toolset *s, const struct ods_tool *t)
{
	tset_add(s, ods_tool_name(t), ods_tool_description(t),
	    ods_tool_params(t));
}

/* The enabled stored tools: name = ? (name NULL: all of them). */
static enum ods_err
tset_stored(struct ods_db *db, struct ods_toolset *s, const char *name,
    size_t *found)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[2];
	size_t			 i;
	enum ods_err		 er;

	*found = 0;
	if (db == NULL)
		return ODS_OK;		/* no database: no stored tools */
	a[0] = ods_db_textn(name, name != NULL ? strlen(name) : 0);
	a[1] = a[0];
	er = ods_db_query_once(db, "SELECT name, description, parameters "
	    "FROM tools WHERE enabled = 1 AND tool_type = 'http' AND (? IS "
	    "NULL OR name = ?) ORDER BY name", a, 2, USER_MAX, &res);
	if (er != ODS_OK)
		return er;
	for (i = 0; i < ods_db_res_nrows(res); i++) {
		if (ods_tool_find(ods_db_res_text(res, i, 0, NULL)) != NULL)
			continue;	/* a built-in's name: the built-in */
		tset_add(s, ods_db_res_text(res, i, 0, NULL),
		    ods_db_res_text(res, i, 1, NULL),
		    ods_db_res_text(res, i, 2, NULL));
		(*found)++;
	}
	ods_db_res_free(res);
	return ODS_OK;
}

enum ods_err
ods_toolset_load(struct ods_db *db, const char *const *names, size_t n,
    struct ods_toolset **out, struct ods_why *why)
{
	struct ods_toolset	*s = ods_xcalloc(1, sizeof(*s));
	const struct ods_tool	*t;
	size_t			 i, k, found;
	enum ods_err		 er = ODS_OK;

	*out = NULL;
	if (names == NULL) {
		for (i = 0; i < ods_tool_count(); i++)
			tset_builtin(s, ods_tool_at(i));
		if ((er = tset_stored(db, s, NULL, &found)) != ODS_OK)
			ods_log(ODS_LOG_WARN, "tools_stored_unread err=%s",
			    ods_strerror(er));
		*out = s;
		return ODS_OK;
	}
	for (i = 0; i < n && er == ODS_OK; i++) {
		for (k = 0; k < i; k++)
			if (strcmp(names[k], names[i]) == 0)
				break;
		if (k < i)
			continue;	/* offered once */
		if ((t = ods_tool_find(names[i])) != NULL) {
			tset_builtin(s, t);
			continue;
		}
		found = 0;
		if (ods_tool_name_ok(names[i]) &&
		    (er = tset_stored(db, s, names[i], &found)) != ODS_OK)
			break;
		if (found == 0) {
			ods_why_set(why, "tools", "no tool named '%.64s'",
			    names[i]);
			er = ODS_ENOTFOUND;
		}
	}
	if (er != ODS_OK) {
		ods_toolset_free(s);
		return er;
	}
	*out = s;
	return ODS_OK;
}

void
ods_toolset_free(struct ods_toolset *s)
{
	size_t	i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++) {
		free(s->v[i].name);
		free(s->v[i].description);
		free(s->v[i].params);
	}
	free(s->v);
	free(s);
}

size_t
ods_toolset_count(const struct ods_toolset *s)
{
	return s != NULL ? s->n : 0;
}

int
ods_toolset_has(const struct ods_toolset *s, const char *name)
{
	size_t	i;

	for (i = 0; s != NULL && name != NULL && i < s->n; i++)
		if (strcmp(s->v[i].name, name) == 0)
			return 1;
	return 0;
}

const char *
ods_toolset_name(const struct ods_toolset *s, size_t i)
{
	return s->v[i].name;
}

const char *
ods_toolset_params(const struct ods_toolset *s, size_t i)
{
	return s->v[i].params;
}

void
ods_toolset_schemas_json(const struct ods_toolset *s, struct ods_jw *jw)
{
	size_t	i;

	for (i = 0; s != NULL && i < s->n; i++) {
		ods_jw_obj(jw);
		ods_jw_kstr(jw, "type", "function");
		ods_jw_key(jw, "function");
		ods_jw_obj(jw);
		ods_jw_kstr(jw, "name", s->v[i].name);
		ods_jw_kstr(jw, "description", s->v[i].description);
		ods_jw_key(jw, "parameters");
		ods_jw_raw(jw, s->v[i].params, strlen(s->v[i].params));
		ods_jw_end(jw);
		ods_jw_end(jw);
	}
}
