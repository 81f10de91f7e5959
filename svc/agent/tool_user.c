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

	if (ctx.db == NULL || name == NULL)
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
