/*
 * svc/agent/agent_tpl.c — agent templates (agent_tpl.h): a body checked
 * (the tools looked up as a run would: built-ins and stored tools), the
 * rows of agent_templates with their owner in created_by, and a
 * template's settings loaded for a run.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_err.h"
#include "core/ods_json.h"
#include "core/ods_mem.h"
#include "core/ods_util.h"
#include "llm/ods_llm.h"
#include "store/ods_db.h"
#include "agent_int.h"
#include "agent_tpl.h"
#include "tool.h"

#define COLS	"template_id, name, description, agent_type, model, " \
	"system_prompt, tools, max_iterations, max_tokens, visibility, " \
	"created_by, tenant_id, " KBI_TS("created_at") ", " \
	KBI_TS("updated_at")
/* Readable by ?1 (NULL: an admin): theirs and the public ones. */
#define VISIBLE	"(CAST(? AS CHAR) IS NULL OR created_by = ? OR " \
	"visibility = 'public')"
#define LIST_MAX	100

struct bcheck {
	struct ods_why	*why;
	enum ods_err	 er;
};

static int
body_key(void *arg, const char *k, struct json_object *v)
{
	static const char *const known[] = { "name", "description",
	    "agent_type", "model", "system_prompt", "tools",
	    "max_iterations", "max_tokens", "visibility" };
	struct bcheck	*b = arg;
	size_t		 i;

	(void)v;
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(k, known[i]) == 0)
			return 0;
	ods_why_set(b->why, k, "field '%.64s' is not known", k);
	b->er = ODS_EINVAL;
	return 1;
}

/* An optional field: absent is fine, present must be right. */
#define OPT(e)	do { if ((er = (e)) != ODS_OK && er != ODS_ENOTFOUND) \
	return er; } while (0)

/* Every tool named exists now (built in, or stored and enabled). */
static enum ods_err
tools_check(struct ods_db *db, struct json_object *o, struct ods_why *why)
{
	const char		*names[ODS_AGENT_TOOLS_MAX];
	struct ods_toolset	*set = NULL;
	size_t			 n;
	enum ods_err		 er;

	er = ods_json_strs(o, "tools", ODS_AGENT_TOOLS_MAX, ODS_TOOL_NAME_MAX,
	    names, &n, why);
	if (er == ODS_ENOTFOUND)
		return ODS_OK;
	if (er != ODS_OK) {
		ods_why_set(why, "tools", "'tools' must be an array of at most "
		    "%d tool names", ODS_AGENT_TOOLS_MAX);
		return ODS_EINVAL;
	}
	if (n == 0)
		return ODS_OK;
	er = ods_toolset_load(db, names, n, &set, why);
	ods_toolset_free(set);
	if (er == ODS_ENOTFOUND) {
		if (why->msg[0] == '\0')
			ods_why_set(why, "tools", "a tool named in 'tools' is "
			    "neither built in nor stored");
		snprintf(why->field, sizeof(why->field), "tools");
		return ODS_EINVAL;
	}
	return er;
}

enum ods_err
ods_agent_tpl_check(struct ods_db *db, struct ods_llm *llm,
    struct json_object *o, int create, struct ods_why *why)
{
	struct bcheck	 b;
	const char	*s = NULL;
	int64_t		 i;
	enum ods_err	 er;

	if (!ods_json_is_obj(o)) {
		ods_why_set(why, NULL, "the body must be a JSON object");
		return ODS_EINVAL;
	}
	memset(&b, 0, sizeof(b));
	b.why = why;
	(void)ods_json_obj_each(o, body_key, &b);
	if (b.er != ODS_OK)
		return b.er;
	er = ods_json_str(o, "name", create, ODS_ATPL_NAME_MAX, &s, why);
	if (er == ODS_OK && *s == '\0') {
		ods_why_set(why, "name", "field 'name' must not be empty");
		return ODS_EINVAL;
	}
	if (er != ODS_OK && er != ODS_ENOTFOUND)
		return er;
	OPT(ods_json_str(o, "description", 0, ODS_ATPL_DESC_MAX, &s, why));
	OPT(ods_json_str(o, "system_prompt", 0, ODS_ATPL_SYSTEM_MAX, &s,
	    why));
	er = ods_json_str(o, "agent_type", 0, 32, &s, why);
	if ((er != ODS_OK && er != ODS_ENOTFOUND) || (er == ODS_OK &&
	    ods_agent_type_parse(s) < 0)) {
		ods_why_set(why, "agent_type", "'agent_type' must be "
		    "function_calling, react or plan_execute");
		return ODS_EINVAL;
	}
	er = ods_json_str(o, "visibility", 0, 16, &s, why);
	if ((er != ODS_OK && er != ODS_ENOTFOUND) || (er == ODS_OK &&
	    strcmp(s, "private") != 0 && strcmp(s, "public") != 0)) {
		ods_why_set(why, "visibility", "'visibility' must be private "
		    "or public");
		return ODS_EINVAL;
	}
	OPT(ods_json_int(o, "max_iterations", 0, 1, ODS_AGENT_ITER_MAX, &i,
	    why));
	/* The server's cap applies at run time: it may change meanwhile. */
	OPT(ods_json_int(o, "max_tokens", 0, 1, INT64_C(1000000000), &i,
	    why));
	er = ods_json_str(o, "model", 0, ODS_ATPL_MODEL_MAX, &s, why);
	if (er != ODS_OK && er != ODS_ENOTFOUND)
		return er;
	/* "" is the run's default model; another must be served. */
	if (er == ODS_OK && *s != '\0' && llm != NULL &&
	    !ods_llm_model_known(llm, s)) {
		ods_why_set(why, "model", "no backend serves that model");
		return ODS_EINVAL;
	}
	return tools_check(db, o, why);
}

/* ---- rows ---- */

static struct ods_db_arg
opt_text(struct json_object *o, const char *f)
{
	return ods_db_text(ods_json_get_str(o, f));
}

static struct ods_db_arg
opt_int(struct json_object *o, const char *f)
{
	int64_t	i;

	if (ods_json_int(o, f, 1, INT64_MIN, INT64_MAX, &i, NULL) != ODS_OK)
		return ods_db_null();
	return ods_db_int(i);
}

static struct ods_db_arg
opt_json(struct json_object *o, const char *f)
{
	struct json_object	*v = ods_json_get(o, f);

	return ods_db_text(v != NULL ? ods_json_text(v) : NULL);
}

static const char *
cell(const struct ods_db_res *res, size_t i, size_t col, const char *def)
{
	const char	*s = ods_db_res_text(res, i, col, NULL);

	return s != NULL ? s : def;
}

static void
row_json(struct ods_jw *jw, const struct ods_db_res *res, size_t i)
{
	const char	*t = cell(res, i, 6, "[]");

	ods_jw_obj(jw);
	ods_jw_kstr(jw, "template_id", cell(res, i, 0, ""));
	ods_jw_kstr(jw, "name", cell(res, i, 1, ""));
	ods_jw_kstr(jw, "description", cell(res, i, 2, ""));
	ods_jw_kstr(jw, "agent_type", cell(res, i, 3, "react"));
	ods_jw_kstr(jw, "model", ods_db_res_text(res, i, 4, NULL));
	ods_jw_kstr(jw, "system_prompt", ods_db_res_text(res, i, 5, NULL));
	ods_jw_key(jw, "tools");
	ods_jw_raw(jw, t, strlen(t));	/* written by us: a JSON array */
	ods_jw_kint(jw, "max_iterations", ods_db_res_int0(res, i, 7));
	ods_jw_key(jw, "max_tokens");
	if (ods_db_res_isnull(res, i, 8))
		ods_jw_null(jw);
	else
		ods_jw_int(jw, ods_db_res_int0(res, i, 8));
	ods_jw_kstr(jw, "visibility", cell(res, i, 9, "private"));
	ods_jw_kbool(jw, "is_public", strcmp(cell(res, i, 9, ""), "public") ==
	    0);
	ods_jw_kstr(jw, "created_by", ods_db_res_text(res, i, 10, NULL));
	ods_jw_kstr(jw, "tenant_id", ods_db_res_text(res, i, 11, NULL));
	ods_jw_kstr(jw, "created_at", cell(res, i, 12, ""));
	ods_jw_kstr(jw, "updated_at", cell(res, i, 13, ""));
	ods_jw_end(jw);
}

/* The row owner may read, or ODS_ENOTFOUND. */
static enum ods_err
row_of(struct ods_db *db, const char *id, const char *owner,
    struct ods_db_res **res)
{
	struct ods_db_arg	a[3];
	enum ods_err		er;

	*res = NULL;
	if (id == NULL || strlen(id) > ODS_ATPL_ID_MAX)
		return ODS_ENOTFOUND;
	a[0] = ods_db_text(id);
	a[1] = ods_db_text(owner);
	a[2] = a[1];
	er = ods_db_query_once(db, "SELECT " COLS " FROM agent_templates "
	    "WHERE template_id = ? AND " VISIBLE, a, 3, 1, res);
	if (er == ODS_OK && ods_db_res_nrows(*res) == 0) {
		ods_db_res_free(*res);
		*res = NULL;
		er = ODS_ENOTFOUND;
	}
	return er;
}

/* The row owner may change: ODS_ENOTFOUND, or ODS_EFORBIDDEN (public). */
static enum ods_err
writable(struct ods_db *db, const char *id, const char *owner)
{
	struct ods_db_res	*res = NULL;
	const char		*by;
	enum ods_err		 er;

	if ((er = row_of(db, id, owner, &res)) != ODS_OK)
		return er;
	by = ods_db_res_text(res, 0, 10, NULL);
	if (owner != NULL && (by == NULL || strcmp(by, owner) != 0))
		er = ODS_EFORBIDDEN;
	ods_db_res_free(res);
	return er;
}

enum ods_err
ods_agent_tpl_get(struct ods_db *db, const char *id, const char *owner,
    struct ods_jw *jw)
{
	struct ods_db_res	*res = NULL;
	enum ods_err		 er;

	if ((er = row_of(db, id, owner, &res)) != ODS_OK)
		return er;
	row_json(jw, res, 0);
	ods_db_res_free(res);
	return ODS_OK;
}

/* "atpl-<8 hex>". */
static void
new_id(char *out, size_t len)
{
	unsigned char	b[4];
	char		hex[9];

	ods_random(b, sizeof(b));
	ods_hex(b, sizeof(b), hex);
	hex[8] = '\0';
	snprintf(out, len, "atpl-%s", hex);
}

enum ods_err
ods_agent_tpl_create(struct ods_db *db, struct json_object *o,
    const char *user, struct ods_jw *jw, struct ods_why *why)
{
	struct ods_db_arg	 a[11];
	const char		*type = ods_json_get_str(o, "agent_type");
	const char		*vis = ods_json_get_str(o, "visibility");
	char			 id[ODS_ATPL_ID_MAX];
	int			 tries;
	enum ods_err		 er = ODS_ECONFLICT;

	a[1] = opt_text(o, "name");
	a[2] = opt_text(o, "description");
	a[3] = ods_db_text(type != NULL ? type : "react");
	a[4] = opt_text(o, "model");
	a[5] = opt_text(o, "system_prompt");
	a[6] = opt_json(o, "tools");
	a[7] = opt_int(o, "max_iterations");
	if (a[7].type == ODS_DB_NULL)
		a[7] = ods_db_int(10);
	a[8] = opt_int(o, "max_tokens");
	a[9] = ods_db_text(vis != NULL ? vis : "private");
	a[10] = ods_db_text(user);
	/* 32 random bits: a clash is rare, and retried. */
	for (tries = 0; tries < 4 && er == ODS_ECONFLICT; tries++) {
		new_id(id, sizeof(id));
		a[0] = ods_db_text(id);
		er = ods_db_exec_once(db, "INSERT INTO agent_templates "
		    "(template_id, name, description, agent_type, model, "
		    "system_prompt, tools, max_iterations, max_tokens, "
		    "visibility, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
		    "?, ?, ?)", a, 11, NULL);
	}
	if (er == ODS_ECONFLICT)
		ods_why_set(why, NULL, "no free template id, try again");
	if (er != ODS_OK)
		return er;
	return ods_agent_tpl_get(db, id, NULL, jw);
}

enum ods_err
ods_agent_tpl_list(struct ods_db *db, const char *owner, size_t offset,
    size_t limit, struct ods_jw *jw, int64_t *total)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_res	*res = NULL, *cnt = NULL;
	struct ods_db_arg	 a[4];
	size_t			 i;
	enum ods_err		 er;

	*total = 0;
	if (limit == 0 || limit > LIST_MAX)
		limit = LIST_MAX;
	a[0] = ods_db_text(owner);
	a[1] = a[0];
	a[2] = ods_db_int((int64_t)limit);
	a[3] = ods_db_int((int64_t)offset);
	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	er = ods_db_query(c, "SELECT " COLS " FROM agent_templates WHERE "
	    VISIBLE " ORDER BY id DESC LIMIT ? OFFSET ?", a, 4, limit, &res);
	if (er == ODS_OK)
		er = ods_db_query(c, "SELECT COUNT(*) FROM agent_templates "
		    "WHERE " VISIBLE, a, 2, 1, &cnt);
	ods_db_release(c);
	if (er == ODS_OK)
		er = ods_db_res_int(cnt, 0, 0, total);
	if (er == ODS_OK)
		for (i = 0; i < ods_db_res_nrows(res); i++)
			row_json(jw, res, i);
	ods_db_res_free(res);
	ods_db_res_free(cnt);
	return er;
}

enum ods_err
ods_agent_tpl_update(struct ods_db *db, const char *id,
    struct json_object *o, const char *owner, struct ods_jw *jw,
    struct ods_why *why)
{
	struct ods_db_arg	 a[10];
	enum ods_err		 er;

	(void)why;
	if ((er = writable(db, id, owner)) != ODS_OK)
		return er;
	a[0] = opt_text(o, "name");
	a[1] = opt_text(o, "description");
	a[2] = opt_text(o, "agent_type");
	a[3] = opt_text(o, "model");
	a[4] = opt_text(o, "system_prompt");
	a[5] = opt_json(o, "tools");
	a[6] = opt_int(o, "max_iterations");
	a[7] = opt_int(o, "max_tokens");
	a[8] = opt_text(o, "visibility");
	a[9] = ods_db_text(id);
	er = ods_db_exec_once(db, "UPDATE agent_templates SET name = "
	    "COALESCE(?, name), description = COALESCE(?, description), "
	    "agent_type = COALESCE(?, agent_type), model = COALESCE(?, "
	    "model), system_prompt = COALESCE(?, system_prompt), tools = "
	    "COALESCE(?, tools), max_iterations = COALESCE(?, "
	    "max_iterations), max_tokens = COALESCE(?, max_tokens), "
	    "visibility = COALESCE(?, visibility) WHERE template_id = ?", a,
	    10, NULL);
	if (er != ODS_OK)
		return er;
	return ods_agent_tpl_get(db, id, NULL, jw);
}

enum ods_err
ods_agent_tpl_delete(struct ods_db *db, const char *id, const char *owner)
{
	struct ods_db_arg	a[1];
	enum ods_err		er;

	if ((er = writable(db, id, owner)) != ODS_OK)
		return er;
	a[0] = ods_db_text(id);
	return ods_db_exec_once(db, "DELETE FROM agent_templates WHERE "
	    "template_id = ?", a, 1, NULL);
}

/* ---- for a run ---- */

static char *
nonempty(const struct ods_db_res *res, size_t col)
{
	const char	*s = ods_db_res_text(res, 0, col, NULL);

	return s != NULL && *s != '\0' ? ods_xstrdup(s) : NULL;
}

/* The stored tools array into t (a bad row: every tool, as NULL). */
static void
tools_load(const char *s, struct ods_agent_tpl *t)
{
	struct json_object	*v = NULL;
	const char		*n;
	size_t			 i, len;

	if (s == NULL || ods_json_parse(s, strlen(s), 0, &v, NULL) != ODS_OK)
		return;
	len = ods_json_arr_len(v);
	if (len > ODS_AGENT_TOOLS_MAX)
		len = ODS_AGENT_TOOLS_MAX;
	t->tools = ods_xcalloc(len + 1, sizeof(*t->tools));
	for (i = 0; i < len; i++)
		if ((n = ods_json_string(ods_json_arr_get(v, i))) != NULL)
			t->tools[t->ntools++] = ods_xstrdup(n);
	ods_json_put(v);
}

enum ods_err
ods_agent_tpl_load(struct ods_db *db, const char *id, const char *owner,
    struct ods_agent_tpl *t)
{
	struct ods_db_res	*res = NULL;
	int			 type;
	enum ods_err		 er;

	memset(t, 0, sizeof(*t));
	if ((er = row_of(db, id, owner, &res)) != ODS_OK)
		return er;
	t->template_id = ods_xstrdup(cell(res, 0, 0, ""));
	type = ods_agent_type_parse(cell(res, 0, 3, "react"));
	t->type = type < 0 ? ODS_AGENT_REACT : (enum ods_agent_type)type;
	t->model = nonempty(res, 4);
	t->system_prompt = nonempty(res, 5);
	tools_load(ods_db_res_text(res, 0, 6, NULL), t);
	t->max_iterations = (int)ods_db_res_int0(res, 0, 7);
	if (t->max_iterations < 1 || t->max_iterations > ODS_AGENT_ITER_MAX)
		t->max_iterations = 10;
	t->max_tokens = ods_db_res_int0(res, 0, 8);
	ods_db_res_free(res);
	return ODS_OK;
}

void
ods_agent_tpl_fini(struct ods_agent_tpl *t)
{
	size_t	i;

	free(t->template_id);
	free(t->model);
	free(t->system_prompt);
	for (i = 0; i < t->ntools; i++)
		free(t->tools[i]);
	free(t->tools);
	memset(t, 0, sizeof(*t));
}
