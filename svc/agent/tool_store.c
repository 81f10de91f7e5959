/*
 * svc/agent/tool_store.c — stored HTTP tools by route (tool.h): a
 * definition checked (name, the JSON Schema of its parameters, the URL's
 * host against HTTP_TOOL_ALLOWED_DOMAINS), then a row of the tools table
 * (sql/0001_init.sql) with its owner in created_by. Running one and
 * listing them is tool_user.c's.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/ods_conf.h"
#include "core/ods_err.h"
#include "core/ods_json.h"
#include "core/ods_mem.h"
#include "net/ods_http.h"
#include "store/ods_db.h"
#include "agent_int.h"
#include "tool.h"

#define HEADERS_MAX	(ODS_HTTP_MAX_HEADERS - 2)	/* as http_request */
#define HEADER_VAL_MAX	400
#define COLS	"tool_id, name, display_name, description, category, " \
	"parameters, config, enabled, created_by, " KBI_TS("created_at") \
	", " KBI_TS("updated_at")

int
ods_tool_name_ok(const char *s)
{
	size_t	i;

	if (s == NULL || s[0] < 'a' || s[0] > 'z')
		return 0;
	for (i = 1; s[i] != '\0'; i++)
		if (i >= ODS_TOOL_NAME_MAX || !((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

struct hcheck {
	size_t		 n;
	struct ods_why	*why;
	enum ods_err	 er;
};

/* One header: a token name (not Host), a short single-line value. */
static int
header_ok(void *arg, const char *k, struct json_object *v)
{
	struct hcheck	*h = arg;
	const char	*s = ods_json_string(v);
	size_t		 i;

	for (i = 0; k[i] != '\0'; i++)
		if (strchr("!#$%&'*+-.^_`|~", k[i]) == NULL &&
		    !((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= 'A' &&
		    k[i] <= 'Z') || (k[i] >= '0' && k[i] <= '9')))
			break;
	if (++h->n > HEADERS_MAX || i == 0 || k[i] != '\0' || i > 64 ||
	    strcasecmp(k, "Host") == 0 || s == NULL ||
	    strlen(s) > HEADER_VAL_MAX || strpbrk(s, "\r\n") != NULL) {
		ods_why_set(h->why, "config.headers", "'config.headers' must "
		    "map at most %d header names (not Host) to single-line "
		    "strings of at most %d bytes", HEADERS_MAX, HEADER_VAL_MAX);
		h->er = ODS_EINVAL;
		return 1;
	}
	return 0;
}

static int
config_key(void *arg, const char *k, struct json_object *v)
{
	struct hcheck	*h = arg;

	(void)v;
	if (strcmp(k, "url") == 0 || strcmp(k, "method") == 0 ||
	    strcmp(k, "headers") == 0)
		return 0;
	ods_why_set(h->why, "config", "'config.%.64s' is not known (url, "
	    "method, headers)", k);
	h->er = ODS_EINVAL;
	return 1;
}

static enum ods_err
config_check(const struct ods_conf *c, struct json_object *cfg,
    struct ods_why *why)
{
	struct json_object	*hd = NULL;
	struct hcheck		 h;
	const char		*url = NULL, *m = NULL;
	enum ods_err		 er;

	memset(&h, 0, sizeof(h));
	h.why = why;
	(void)ods_json_obj_each(cfg, config_key, &h);
	if (h.er != ODS_OK)
		return h.er;
	if ((er = ods_json_str(cfg, "url", 1, 2048, &url, why)) != ODS_OK) {
		ods_why_set(why, "config.url", "'config.url' is required (an "
		    "http(s) URL of at most 2048 bytes)");
		return ODS_EINVAL;
	}
	/* A host outside the list is refused at once, not at the first run. */
	if (odsi_tool_url_check(c, url, "config.url", why) != ODS_OK)
		return ODS_EINVAL;
	er = ods_json_str(cfg, "method", 0, 8, &m, why);
	if ((er != ODS_OK && er != ODS_ENOTFOUND) || (er == ODS_OK &&
	    strcmp(m, "GET") != 0 && strcmp(m, "POST") != 0)) {
		ods_why_set(why, "config.method", "'config.method' must be GET "
		    "or POST");
		return ODS_EINVAL;
	}
	er = ods_json_obj(cfg, "headers", 0, &hd, why);
	if (er != ODS_OK && er != ODS_ENOTFOUND) {
		ods_why_set(why, "config.headers", "'config.headers' must be "
		    "an object");
		return ODS_EINVAL;
	}
	(void)ods_json_obj_each(hd, header_ok, &h);
	return h.er;
}

/* An optional string field: absent is fine, else typed and bounded. */
static enum ods_err
opt_str(struct json_object *o, const char *f, size_t max, struct ods_why *why)
{
	const char	*s;
	enum ods_err	 er = ods_json_str(o, f, 0, max, &s, why);

	return er == ODS_ENOTFOUND ? ODS_OK : er;
}

static int
body_key(void *arg, const char *k, struct json_object *v)
{
	static const char *const known[] = { "name", "display_name",
	    "description", "category", "parameters", "config", "enabled",
	    "tool_type" };
	struct hcheck	*h = arg;
	size_t		 i;

	(void)v;
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(k, known[i]) == 0)
			return 0;
	ods_why_set(h->why, k, "field '%.64s' is not known", k);
	h->er = ODS_EINVAL;
	return 1;
}

enum ods_err
ods_tool_def_check(const struct ods_conf *c, struct json_object *o,
    int create, struct ods_why *why)
{
	struct json_object	*v = NULL;
	struct hcheck		 h;
	const char		*name = NULL, *type = NULL;
	int			 b;
	enum ods_err		 er;

	if (!ods_json_is_obj(o)) {
		ods_why_set(why, NULL, "the body must be a JSON object");
		return ODS_EINVAL;
	}
	memset(&h, 0, sizeof(h));
	h.why = why;
	(void)ods_json_obj_each(o, body_key, &h);
	if (h.er != ODS_OK)
		return h.er;
	er = ods_json_str(o, "name", create, ODS_TOOL_NAME_MAX, &name, why);
	if (er == ODS_OK && (!ods_tool_name_ok(name) ||
	    ods_tool_find(name) != NULL || strcmp(name, "schemas") == 0)) {
		ods_why_set(why, "name", "'name' must match "
		    "[a-z][a-z0-9_]{0,63} and not be a built-in tool's (or "
		    "'schemas')");
		return ODS_EINVAL;
	}
	if (er != ODS_OK && er != ODS_ENOTFOUND)
		return er;
	er = ods_json_str(o, "tool_type", 0, 16, &type, why);
	if ((er != ODS_OK && er != ODS_ENOTFOUND) || (er == ODS_OK &&
	    strcmp(type, "http") != 0)) {
		ods_why_set(why, "tool_type", "'tool_type' can only be http");
		return ODS_EINVAL;
	}
	if ((er = opt_str(o, "display_name", 255, why)) != ODS_OK ||
	    (er = opt_str(o, "description", 4096, why)) != ODS_OK ||
	    (er = opt_str(o, "category", 64, why)) != ODS_OK)
		return er;
	er = ods_json_bool(o, "enabled", 0, &b, why);
	if (er != ODS_OK && er != ODS_ENOTFOUND)
		return er;
	if ((v = ods_json_get(o, "parameters")) != NULL || create) {
		if (v == NULL) {
			ods_why_set(why, "parameters", "field 'parameters' is "
			    "required (a JSON Schema object)");
			return ODS_EINVAL;
		}
		if ((er = ods_tool_schema_valid(v, "parameters", why)) !=
		    ODS_OK)
			return er;
	}
	if ((v = ods_json_get(o, "config")) != NULL || create) {
		if (!ods_json_is_obj(v)) {
			ods_why_set(why, "config", "field 'config' is required "
			    "(an object {url, method, headers})");
			return ODS_EINVAL;
		}
		if ((er = config_check(c, v, why)) != ODS_OK)
			return er;
	}
	return ODS_OK;
}

/* ---- rows ---- */

static struct ods_db_arg
opt_text(struct json_object *o, const char *f)
{
	const char	*s = ods_json_get_str(o, f);

	return ods_db_textn(s, s != NULL ? strlen(s) : 0);
}

/* A JSON member as its text (NULL: absent). */
static struct ods_db_arg
opt_json(struct json_object *o, const char *f)
{
	struct json_object	*v = ods_json_get(o, f);
	const char		*s = v != NULL ? ods_json_text(v) : NULL;

	return ods_db_textn(s, s != NULL ? strlen(s) : 0);
}

static struct ods_db_arg
opt_bool(struct json_object *o)
{
	int	b;

	if (ods_json_bool(o, "enabled", 0, &b, NULL) != ODS_OK)
		return ods_db_null();
	return ods_db_int(b);
}

struct redact {
	struct ods_jw	*jw;
};

static int
redacted(void *arg, const char *k, struct json_object *v)
{
	struct redact	*r = arg;

	(void)v;
	ods_jw_kstr(r->jw, k, "***");
	return 0;
}

/* config as stored, or with the header values hidden from non-owners. */
static void
config_json(struct ods_jw *jw, const char *cfg, int mine)
{
	struct json_object	*o = NULL;
	struct redact		 r;

	ods_jw_key(jw, "config");
	if (cfg == NULL || ods_json_parse(cfg, strlen(cfg), 0, &o, NULL) !=
	    ODS_OK) {
		ods_jw_null(jw);
		return;
	}
	if (mine)
		ods_jw_raw(jw, cfg, strlen(cfg));
	else {
		ods_jw_obj(jw);
		ods_jw_kstr(jw, "url", ods_json_get_str(o, "url"));
		ods_jw_kstr(jw, "method", ods_json_get_str(o, "method") !=
		    NULL ? ods_json_get_str(o, "method") : "POST");
		ods_jw_key(jw, "headers");
		ods_jw_obj(jw);
		r.jw = jw;
		(void)ods_json_obj_each(ods_json_get(o, "headers"), redacted,
		    &r);
		ods_jw_end(jw);
		ods_jw_end(jw);
	}
	ods_json_put(o);
}

static const char *
cell(const struct ods_db_res *res, size_t col, const char *def)
{
	const char	*s = ods_db_res_text(res, 0, col, NULL);

	return s != NULL ? s : def;
}

static void
row_json(struct ods_jw *jw, const struct ods_db_res *res, int mine)
{
	const char	*p = cell(res, 5, "{\"type\":\"object\"}");

	ods_jw_obj(jw);
	ods_jw_kstr(jw, "tool_id", cell(res, 0, ""));
	ods_jw_kstr(jw, "name", cell(res, 1, ""));
	ods_jw_kstr(jw, "display_name", cell(res, 2, cell(res, 1, "")));
	ods_jw_kstr(jw, "description", cell(res, 3, ""));
	ods_jw_kstr(jw, "category", cell(res, 4, "custom"));
	ods_jw_kstr(jw, "tool_type", "http");
	ods_jw_key(jw, "parameters");
	ods_jw_raw(jw, p, strlen(p));
	config_json(jw, ods_db_res_text(res, 0, 6, NULL), mine);
	ods_jw_kbool(jw, "enabled", ods_db_res_int0(res, 0, 7) != 0);
	ods_jw_kstr(jw, "created_by", ods_db_res_text(res, 0, 8, NULL));
	ods_jw_kstr(jw, "created_at", cell(res, 9, ""));
	ods_jw_kstr(jw, "updated_at", cell(res, 10, ""));
	ods_jw_end(jw);
}

/* The stored tool called name (any state), or ODS_ENOTFOUND. */
static enum ods_err
row_of(struct ods_db *db, const char *name, struct ods_db_res **res)
{
	struct ods_db_arg	a[1];
	enum ods_err		er;

	*res = NULL;
	if (!ods_tool_name_ok(name))
		return ODS_ENOTFOUND;
	a[0] = ods_db_text(name);
	er = ods_db_query_once(db, "SELECT " COLS " FROM tools WHERE name = ? "
	    "AND tool_type = 'http'", a, 1, 1, res);
	if (er == ODS_OK && ods_db_res_nrows(*res) == 0) {
		ods_db_res_free(*res);
		*res = NULL;
		er = ODS_ENOTFOUND;
	}
	return er;
}

/* Whether user (NULL: an admin) may change the row: its owner. */
static int
owns(const struct ods_db_res *res, const char *owner)
{
	const char	*by = ods_db_res_text(res, 0, 8, NULL);

	return owner == NULL || (by != NULL && strcmp(by, owner) == 0);
}

enum ods_err
ods_tool_user_get(struct ods_db *db, const char *name, const char *user,
    int admin, struct ods_jw *jw)
{
	struct ods_db_res	*res = NULL;
	int			 mine;
	enum ods_err		 er;

	if ((er = row_of(db, name, &res)) != ODS_OK)
		return er;
	mine = owns(res, admin ? NULL : user != NULL ? user : "");
	if (!mine && ods_db_res_int0(res, 0, 7) == 0)
		er = ODS_ENOTFOUND;	/* disabled: its owner's business */
	else
		row_json(jw, res, mine);
	ods_db_res_free(res);
	return er;
}

enum ods_err
ods_tool_user_create(struct ods_db *db, struct json_object *o,
    const char *user, struct ods_jw *jw, struct ods_why *why)
{
	struct ods_db_arg	a[9];
	const char		*cat = ods_json_get_str(o, "category");
	char			 id[64];
	enum ods_err		 er;

	kbi_new_id("tool", id, sizeof(id));
	a[0] = ods_db_text(id);
	a[1] = opt_text(o, "name");
	a[2] = opt_text(o, "display_name");
	a[3] = opt_text(o, "description");
	a[4] = ods_db_text(cat != NULL ? cat : "custom");
	a[5] = opt_json(o, "parameters");
	a[6] = opt_json(o, "config");
	a[7] = opt_bool(o);
	if (a[7].type == ODS_DB_NULL)
		a[7] = ods_db_int(1);
	a[8] = ods_db_textn(user, user != NULL ? strlen(user) : 0);
	er = ods_db_exec_once(db, "INSERT INTO tools (tool_id, name, "
	    "display_name, description, category, tool_type, parameters, "
	    "config, enabled, created_by) VALUES (?, ?, ?, ?, ?, 'http', ?, "
	    "?, ?, ?)", a, 9, NULL);
	if (er == ODS_ECONFLICT) {
		ods_why_set(why, "name", "a tool named '%.64s' exists",
		    ods_json_get_str(o, "name"));
		return er;
	}
	if (er != ODS_OK)
		return er;
	return ods_tool_user_get(db, ods_json_get_str(o, "name"), user, 1,
	    jw);
}

enum ods_err
ods_tool_user_update(struct ods_db *db, const char *name,
    struct json_object *o, const char *owner, struct ods_jw *jw,
    struct ods_why *why)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[7];
	const char		*bn = ods_json_get_str(o, "name");
	enum ods_err		 er;

	if ((er = row_of(db, name, &res)) != ODS_OK)
		return er;
	er = owns(res, owner) ? ODS_OK : ODS_EFORBIDDEN;
	ods_db_res_free(res);
	if (er != ODS_OK)
		return er;
	if (bn != NULL && strcmp(bn, name) != 0) {
		ods_why_set(why, "name", "a tool cannot be renamed (delete "
		    "it and create another)");
		return ODS_EINVAL;
	}
	a[0] = opt_text(o, "display_name");
	a[1] = opt_text(o, "description");
	a[2] = opt_text(o, "category");
	a[3] = opt_json(o, "parameters");
	a[4] = opt_json(o, "config");
	a[5] = opt_bool(o);
	a[6] = ods_db_text(name);
	er = ods_db_exec_once(db, "UPDATE tools SET display_name = "
	    "COALESCE(?, display_name), description = COALESCE(?, "
	    "description), category = COALESCE(?, category), parameters = "
	    "COALESCE(?, parameters), config = COALESCE(?, config), enabled = "
	    "COALESCE(?, enabled) WHERE name = ? AND tool_type = 'http'", a, 7,
	    NULL);
	if (er != ODS_OK)
		return er;
	return ods_tool_user_get(db, name, NULL, 1, jw);
}

enum ods_err
ods_tool_user_delete(struct ods_db *db, const char *name, const char *owner)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[1];
	enum ods_err		 er;

	if ((er = row_of(db, name, &res)) != ODS_OK)
		return er;
	er = owns(res, owner) ? ODS_OK : ODS_EFORBIDDEN;
	ods_db_res_free(res);
	if (er != ODS_OK)
		return er;
	a[0] = ods_db_text(name);
	return ods_db_exec_once(db, "DELETE FROM tools WHERE name = ? AND "
	    "tool_type = 'http'", a, 1, NULL);
}
