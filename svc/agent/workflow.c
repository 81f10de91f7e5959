/*
 * svc/agent/workflow.c — workflow rows and their versions (workflow.h).
 * Executions and their logs are in wf_exec.c, schedules in wf_sched.c.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_err.h"
#include "core/ods_json.h"
#include "core/ods_mem.h"
#include "core/ods_util.h"
#include "store/ods_db.h"
#include "workflow.h"
#include "agent_int.h"

/* The columns of struct ods_wf, in row_to's order. */
#define COLS "w.id, w.workflow_id, w.name, w.description, w.type, " \
	"w.status, w.definition, w.visibility, w.created_by, " \
	KBI_TS("w.created_at") ", " KBI_TS("w.updated_at") ", w.version"

static const char *const types[] = {
	"rag", "agent", "text2sql", "sql", "custom", NULL
};
static const char *const statuses[] = {
	"stopped", "running", "error", "draft", "active", NULL
};

int
wfi_one_of(const char *v, const char *const *set)
{
	size_t	i;

	for (i = 0; set[i] != NULL; i++)
		if (strcmp(v, set[i]) == 0)
			return 1;
	return 0;
}

void
wfi_new_id(const char *prefix, size_t nbytes, char *out, size_t len)
{
	unsigned char	b[16];
	char		hex[33];
	int		n;

	if (nbytes > sizeof(b))
		nbytes = sizeof(b);
	ods_random(b, nbytes);
	ods_hex(b, nbytes, hex);
	hex[nbytes * 2] = '\0';
	n = snprintf(out, len, "%s-%s", prefix, hex);
	if (n < 0 || (size_t)n >= len)
		out[0] = '\0';	/* the callers' buffers hold their ids */
}

/*
 * Markup a browser would run, refused in names and descriptions (the
 * reference's XSS patterns: script, javascript:, on...= handlers,
 * iframe, embed, object).
 */
static int
has_markup(const char *s)
{
	static const char *const bad[] = {
		"<script", "javascript:", "<iframe", "<embed", "<object",
		NULL
	};
	const char	*p;
	size_t		 i, n;

	for (i = 0; bad[i] != NULL; i++) {
		n = strlen(bad[i]);
		for (p = s; *p != '\0'; p++)
			if (strncasecmp(p, bad[i], n) == 0)
				return 1;
	}
	/* on<letters>= inside a tag */
	for (p = strchr(s, '<'); p != NULL; p = strchr(p + 1, '<')) {
		const char *q = p + 1;

		while (*q != '\0' && *q != '>') {
			if ((q[0] == 'o' || q[0] == 'O') && (q[1] == 'n' ||
			    q[1] == 'N') && isspace((unsigned char)q[-1])) {
				const char *e = q + 2;

				while (isalpha((unsigned char)*e))
					e++;
				while (isspace((unsigned char)*e))
					e++;
				if (e > q + 2 && *e == '=')
					return 1;
			}
			q++;
		}
	}
	return 0;
}

static enum ods_err
opt_str(struct json_object *o, const char *f, size_t max, const char **dst,
    struct ods_why *why)
{
	enum ods_err	er = ods_json_str(o, f, 0, max, dst, why);

	return er == ODS_ENOTFOUND ? ODS_OK : er;
}

static enum ods_err
opt_in(struct json_object *o, const char *f, const char *const *set,
    const char *what, const char **dst, struct ods_why *why)
{
	enum ods_err	er;

	if ((er = opt_str(o, f, 32, dst, why)) != ODS_OK)
		return er;
	if (*dst != NULL && !wfi_one_of(*dst, set)) {
		ods_why_set(why, f, "%s must be %s", f, what);
		return ODS_EINVAL;
	}
	return ODS_OK;
}

enum ods_err
wfi_json_field(struct json_object *o, const char *f, size_t max,
    const char **out, struct ods_why *why)
{
	struct json_object	*v = ods_json_get(o, f), *p = NULL;
	const char		*t;

	*out = NULL;
	switch (ods_json_kind(v)) {
	case ODS_JSON_NULL:
		return ODS_OK;
	case ODS_JSON_OBJECT:
		t = ods_json_text(v);
		break;
	case ODS_JSON_STRING:
		/* A definition sent as a string holding the JSON. */
		t = ods_json_string(v);
		if (strlen(t) > max)
			break;
		if (ods_json_parse(t, strlen(t), 0, &p, NULL) != ODS_OK ||
		    !ods_json_is_obj(p)) {
			ods_json_put(p);
			ods_why_set(why, f, "%s must be a JSON object", f);
			return ODS_EINVAL;
		}
		ods_json_put(p);
		break;
	default:
		ods_why_set(why, f, "%s must be a JSON object", f);
		return ODS_EINVAL;
	}
	if (t == NULL || strlen(t) > max) {
		ods_why_set(why, f, "%s is over %zu bytes", f, max);
		return ODS_EINVAL;
	}
	*out = t;
	return ODS_OK;
}

enum ods_err
ods_wf_spec_parse(struct json_object *o, struct ods_wf_spec *sp,
    struct ods_why *why)
{
	enum ods_err	er;

	memset(sp, 0, sizeof(*sp));
	if (!ods_json_is_obj(o)) {
		ods_why_set(why, NULL, "the body must be a JSON object");
		return ODS_EINVAL;
	}
	if ((er = opt_str(o, "name", ODS_WF_NAME_MAX, &sp->name, why)) ||
	    (er = opt_str(o, "description", ODS_WF_DESC_MAX,
	    &sp->description, why)) ||
	    (er = opt_in(o, "type", types, "rag, agent, text2sql, sql or "
	    "custom", &sp->type, why)) ||
	    (er = opt_in(o, "status", statuses, "stopped, running, error, "
	    "draft or active", &sp->status, why)) ||
	    (er = opt_str(o, "comment", ODS_WF_COMMENT_MAX, &sp->comment,
	    why)) ||
	    (er = wfi_json_field(o, "definition", ODS_WF_DEF_MAX,
	    &sp->definition, why)))
		return er;
	if ((er = opt_str(o, "visibility", 16, &sp->visibility, why)) !=
	    ODS_OK)
		return er;
	if (sp->visibility != NULL && strcmp(sp->visibility, "private") != 0 &&
	    strcmp(sp->visibility, "public") != 0) {
		ods_why_set(why, "visibility", "visibility must be private or "
		    "public");
		return ODS_EINVAL;
	}
	if (sp->name != NULL && has_markup(sp->name)) {
		ods_why_set(why, "name", "name must not hold markup");
		return ODS_EINVAL;
	}
	if (sp->description != NULL && has_markup(sp->description)) {
		ods_why_set(why, "description", "description must not hold "
		    "markup");
		return ODS_EINVAL;
	}
	return ODS_OK;
}

/* ---- rows ---- */

static void
row_to(const struct ods_db_res *res, size_t i, struct ods_wf *w)
{
	memset(w, 0, sizeof(*w));
	w->id = ods_db_res_int0(res, i, 0);
	w->workflow_id = ods_db_res_strdup(res, i, 1);
	w->name = ods_db_res_strdup(res, i, 2);
	w->description = ods_db_res_strdup(res, i, 3);
	w->type = ods_db_res_strdup(res, i, 4);
	w->status = ods_db_res_strdup(res, i, 5);
	w->definition = ods_db_res_strdup(res, i, 6);
	w->visibility = ods_db_res_strdup(res, i, 7);
	w->created_by = ods_db_res_strdup(res, i, 8);
	w->created_at = ods_db_res_strdup(res, i, 9);
	w->updated_at = ods_db_res_strdup(res, i, 10);
	w->version = ods_db_res_int0(res, i, 11);
}

static void
wf_fini(struct ods_wf *w)
{
	free(w->workflow_id);
	free(w->name);
	free(w->description);
	free(w->type);
	free(w->status);
	free(w->definition);
	free(w->visibility);
	free(w->created_by);
	free(w->created_at);
	free(w->updated_at);
	memset(w, 0, sizeof(*w));
}

void
ods_wf_free(struct ods_wf *w)
{
	if (w == NULL)
		return;
	wf_fini(w);
	free(w);
}

void
ods_wf_list_free(struct ods_wf *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		wf_fini(&v[i]);
	free(v);
}

/* The numeric id of "123", or -1. */
int64_t
wfi_numeric(const char *s)
{
	int64_t	v = 0;

	if (s == NULL || *s == '\0' || strlen(s) > 18)
		return -1;
	for (; *s != '\0'; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

enum ods_err
ods_wf_get(struct ods_db *db, const char *id, const char *owner,
    int writable, struct ods_wf **out)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[4];
	enum ods_err		 er;

	*out = NULL;
	if (id == NULL || *id == '\0' || strlen(id) > 64)
		return ODS_ENOTFOUND;
	a[0] = ods_db_text(id);
	a[1] = ods_db_int(wfi_numeric(id));
	a[2] = ods_db_int(owner == NULL);
	a[3] = ods_db_text(owner != NULL ? owner : "");
	er = ods_db_query_once(db, "SELECT " COLS " FROM workflows w WHERE "
	    "(w.workflow_id = ? OR w.id = ?) AND (? = 1 OR w.created_by = ? "
	    "OR w.visibility = 'public') LIMIT 1", a, 4, 1, &res);
	if (er == ODS_OK && ods_db_res_nrows(res) == 0)
		er = ODS_ENOTFOUND;
	if (er == ODS_OK) {
		*out = ods_xcalloc(1, sizeof(**out));
		row_to(res, 0, *out);
		if (writable && owner != NULL && ((*out)->created_by == NULL ||
		    strcmp((*out)->created_by, owner) != 0)) {
			ods_wf_free(*out);
			*out = NULL;
			er = ODS_EFORBIDDEN;
		}
	}
	ods_db_res_free(res);
	return er;
}

/* In c's transaction: the version row of w as it now is. */
static enum ods_err
version_insert(struct ods_db_conn *c, const struct ods_wf *w,
    const char *comment, const char *by)
{
	struct ods_db_arg	a[7];

	a[0] = ods_db_text(w->workflow_id);
	a[1] = ods_db_int(w->version);
	a[2] = ods_db_text(w->name);
	a[3] = ods_db_text(w->description);
	a[4] = ods_db_text(w->definition);
	a[5] = ods_db_text(comment);
	a[6] = ods_db_text(by != NULL ? by : "");
	return ods_db_exec(c, "INSERT INTO workflow_versions (workflow_id, "
	    "version, name, description, definition, comment, created_by) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?)", a, 7, NULL);
}

static void
set_str(char **dst, const char *v)
{
	if (v == NULL)
		return;
	free(*dst);
	*dst = ods_xstrdup(v);
}

enum ods_err
ods_wf_create(struct ods_db *db, const struct ods_wf_spec *sp,
    const char *owner, struct ods_wf **out, struct ods_why *why)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_arg	 a[8];
	struct ods_wf		 w;
	char			 id[32];
	enum ods_err		 er;

	*out = NULL;
	if (sp->name == NULL || *sp->name == '\0') {
		ods_why_set(why, "name", "name is required");
		return ODS_EINVAL;
	}
	memset(&w, 0, sizeof(w));
	wfi_new_id("wf", 4, id, sizeof(id));
	w.workflow_id = ods_xstrdup(id);
	w.name = ods_xstrdup(sp->name);
	w.description = ods_xstrdup(sp->description != NULL ?
	    sp->description : "");
	w.type = ods_xstrdup(sp->type != NULL ? sp->type : "rag");
	w.status = ods_xstrdup(sp->status != NULL ? sp->status : "stopped");
	w.visibility = ods_xstrdup(sp->visibility != NULL ? sp->visibility :
	    "private");
	set_str(&w.definition, sp->definition);
	w.version = 1;
	a[0] = ods_db_text(w.workflow_id);
	a[1] = ods_db_text(w.name);
	a[2] = ods_db_text(w.description);
	a[3] = ods_db_text(w.type);
	a[4] = ods_db_text(w.status);
	a[5] = ods_db_text(w.definition);
	a[6] = ods_db_text(owner != NULL ? owner : "");
	a[7] = ods_db_text(w.visibility);
	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		goto out;
	if ((er = ods_db_begin(c)) == ODS_OK &&
	    (er = ods_db_exec(c, "INSERT INTO workflows (workflow_id, name, "
	    "description, type, status, definition, version, created_by, "
	    "visibility) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)", a, 8, NULL)) ==
	    ODS_OK && (er = version_insert(c, &w, sp->comment != NULL ?
	    sp->comment : "created", owner)) == ODS_OK)
		er = ods_db_commit(c);
	if (er != ODS_OK)
		(void)ods_db_rollback(c);
	ods_db_release(c);
	if (er == ODS_OK)
		er = ods_wf_get(db, id, NULL, 0, out);
out:
	wf_fini(&w);
	return er;
}

enum ods_err
ods_wf_list(struct ods_db *db, const struct ods_wf_filter *f, size_t offset,
    size_t limit, struct ods_wf **out, size_t *n, int64_t *total)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_res	*res = NULL, *cnt = NULL;
	struct ods_db_arg	 a[10];
	char			*like = NULL;
	enum ods_err		 er;
	size_t			 i;

	*out = NULL;
	*n = 0;
	*total = 0;
	if (limit == 0 || limit > ODS_WF_LIST_MAX)
		limit = ODS_WF_LIST_MAX;
	if (f->search != NULL && *f->search != '\0')
		(void)ods_xasprintf(&like, "%%%s%%", f->search);
	a[0] = ods_db_int(f->owner == NULL);
	a[1] = ods_db_text(f->owner != NULL ? f->owner : "");
	a[2] = ods_db_text(f->type);
	a[3] = ods_db_text(f->type);
	a[4] = ods_db_text(f->status);
	a[5] = ods_db_text(f->status);
	a[6] = ods_db_text(like);
	a[7] = ods_db_text(like);
	a[8] = ods_db_int((int64_t)limit);
	a[9] = ods_db_int((int64_t)offset);
	if ((er = ods_db_acquire(db, &c)) != ODS_OK) {
		free(like);
		return er;
	}
#define WHERE " FROM workflows w WHERE (? = 1 OR w.created_by = ? OR " \
	"w.visibility = 'public') AND (? IS NULL OR w.type = ?) AND (? IS " \
	"NULL OR w.status = ?) AND (? IS NULL OR w.name LIKE ?)"
	/* Lists leave the definitions out: GET one has them. */
	er = ods_db_query(c, "SELECT w.id, w.workflow_id, w.name, "
	    "w.description, w.type, w.status, NULL, w.visibility, "
	    "w.created_by, " KBI_TS("w.created_at") ", "
	    KBI_TS("w.updated_at") ", w.version" WHERE " ORDER BY w.id DESC "
	    "LIMIT ? OFFSET ?", a, 10, limit, &res);
	if (er == ODS_OK)
		er = ods_db_query(c, "SELECT COUNT(*)" WHERE, a, 8, 1, &cnt);
#undef WHERE
	ods_db_release(c);
	free(like);
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

/*
 * Write w's fields (a new version row first when newver: w->definition
 * is then the version's, NULL allowed) in one transaction; w reread.
 */
static enum ods_err
store(struct ods_db *db, struct ods_wf *w, int newver, const char *comment,
    const char *by)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[9];
	struct ods_wf		*now = NULL;
	enum ods_err		 er;

	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	if ((er = ods_db_begin(c)) != ODS_OK)
		goto out;
	/* The row locked, so two saves make two versions, not one twice. */
	a[0] = ods_db_int(w->id);
	if ((er = ods_db_query(c, "SELECT version FROM workflows WHERE id = ? "
	    "FOR UPDATE", a, 1, 1, &res)) != ODS_OK)
		goto out;
	if (ods_db_res_nrows(res) == 0) {
		er = ODS_ENOTFOUND;
		goto out;
	}
	w->version = ods_db_res_int0(res, 0, 0) + (newver ? 1 : 0);
	a[0] = ods_db_text(w->name);
	a[1] = ods_db_text(w->description);
	a[2] = ods_db_text(w->type);
	a[3] = ods_db_text(w->status);
	a[4] = ods_db_text(w->visibility);
	a[5] = ods_db_int(newver);
	a[6] = ods_db_text(w->definition);
	a[7] = ods_db_int(w->version);
	a[8] = ods_db_int(w->id);
	if ((er = ods_db_exec(c, "UPDATE workflows SET name = ?, description "
	    "= ?, type = ?, status = ?, visibility = ?, definition = IF(? = 1, "
	    "?, definition), version = ?, updated_at = NOW(3) WHERE id = ?",
	    a, 9, NULL)) != ODS_OK)
		goto out;
	if (newver && (er = version_insert(c, w, comment, by)) != ODS_OK)
		goto out;
	er = ods_db_commit(c);
out:
	if (er != ODS_OK && c != NULL)
		(void)ods_db_rollback(c);
	ods_db_res_free(res);
	ods_db_release(c);
	if (er == ODS_OK && (er = ods_wf_get(db, w->workflow_id, NULL, 0,
	    &now)) == ODS_OK) {
		wf_fini(w);
		*w = *now;
		free(now);
	}
	return er;
}

enum ods_err
ods_wf_update(struct ods_db *db, struct ods_wf *w,
    const struct ods_wf_spec *sp, const char *by, struct ods_why *why)
{
	if (sp->name != NULL && *sp->name == '\0') {
		ods_why_set(why, "name", "name cannot be empty");
		return ODS_EINVAL;
	}
	set_str(&w->name, sp->name);
	set_str(&w->description, sp->description);
	set_str(&w->type, sp->type);
	set_str(&w->status, sp->status);
	set_str(&w->visibility, sp->visibility);
	set_str(&w->definition, sp->definition);
	return store(db, w, sp->definition != NULL, sp->comment != NULL ?
	    sp->comment : "updated", by);
}

enum ods_err
ods_wf_delete(struct ods_db *db, const struct ods_wf *w, const char *by,
    size_t *stopped)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[1];
	enum ods_err		 er;
	size_t			 i, n;

	if (stopped != NULL)
		*stopped = 0;
	/* Its schedules first, so none fires a run of a workflow gone. */
	if ((er = wfi_sched_delete_all(db, w->workflow_id)) != ODS_OK)
		return er;
	a[0] = ods_db_text(w->workflow_id);
	if ((er = ods_db_query_once(db, "SELECT execution_id FROM "
	    "workflow_executions WHERE workflow_id = ? AND status IN "
	    "('pending', 'running')", a, 1, 0, &res)) != ODS_OK)
		return er;
	n = ods_db_res_nrows(res);
	for (i = 0; i < n; i++) {
		er = ods_wf_exec_stop(db, ods_db_res_text(res, i, 0, NULL), by,
		    NULL);
		if (er == ODS_OK && stopped != NULL)
			(*stopped)++;
		else if (er != ODS_OK && er != ODS_ECONFLICT &&
		    er != ODS_ENOTFOUND) {
			ods_db_res_free(res);
			return er;
		}
	}
	ods_db_res_free(res);
	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	if ((er = ods_db_begin(c)) == ODS_OK &&
	    (er = ods_db_exec(c, "DELETE FROM workflow_versions WHERE "
	    "workflow_id = ?", a, 1, NULL)) == ODS_OK &&
	    (er = ods_db_exec(c, "DELETE FROM workflows WHERE workflow_id = ?",
	    a, 1, NULL)) == ODS_OK)
		er = ods_db_commit(c);
	if (er != ODS_OK)
		(void)ods_db_rollback(c);
	ods_db_release(c);
	return er;
}

/* The stored JSON text as a value (null when absent or unreadable). */
void
wfi_raw_json(struct ods_jw *jw, const char *txt)
{
	struct json_object	*o = NULL;

	/*
	 * The text was written by us from a parsed document, but a row
	 * edited by hand must not break the answer: parse it again.
	 */
	if (txt == NULL || ods_json_parse(txt, strlen(txt), 0, &o, NULL) !=
	    ODS_OK) {
		ods_jw_null(jw);
		return;
	}
	ods_json_put(o);
	ods_jw_raw(jw, txt, strlen(txt));
}

void
ods_wf_json(struct ods_jw *jw, const struct ods_wf *w, int with_def)
{
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "id", w->workflow_id);
	ods_jw_kstr(jw, "workflow_id", w->workflow_id);
	ods_jw_kint(jw, "row_id", w->id);
	ods_jw_kstr(jw, "name", w->name);
	ods_jw_kstr(jw, "description", w->description != NULL ?
	    w->description : "");
	ods_jw_kstr(jw, "type", w->type);
	ods_jw_kstr(jw, "status", w->status);
	ods_jw_kint(jw, "version", w->version);
	ods_jw_kstr(jw, "visibility", w->visibility);
	ods_jw_kbool(jw, "has_definition", w->definition != NULL);
	ods_jw_kstr(jw, "created_by", w->created_by);
	ods_jw_kstr(jw, "created_at", w->created_at);
	ods_jw_kstr(jw, "updated_at", w->updated_at);
	if (with_def) {
		ods_jw_key(jw, "definition");
		wfi_raw_json(jw, w->definition);
	}
	ods_jw_end(jw);
}

/* ---- versions ---- */

void
ods_wf_version_fini(struct ods_wf_version *v)
{
	free(v->name);
	free(v->description);
	free(v->definition);
	free(v->comment);
	free(v->created_by);
	free(v->created_at);
	memset(v, 0, sizeof(*v));
}

void
ods_wf_versions_free(struct ods_wf_version *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		ods_wf_version_fini(&v[i]);
	free(v);
}

static void
vrow_to(const struct ods_db_res *res, size_t i, struct ods_wf_version *v)
{
	memset(v, 0, sizeof(*v));
	v->version = ods_db_res_int0(res, i, 0);
	v->name = ods_db_res_strdup(res, i, 1);
	v->description = ods_db_res_strdup(res, i, 2);
	v->definition = ods_db_res_strdup(res, i, 3);
	v->comment = ods_db_res_strdup(res, i, 4);
	v->created_by = ods_db_res_strdup(res, i, 5);
	v->created_at = ods_db_res_strdup(res, i, 6);
}

enum ods_err
ods_wf_versions(struct ods_db *db, const char *workflow_id,
    struct ods_wf_version **out, size_t *n)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[1];
	enum ods_err		 er;
	size_t			 i;

	*out = NULL;
	*n = 0;
	a[0] = ods_db_text(workflow_id);
	er = ods_db_query_once(db, "SELECT version, name, description, NULL, "
	    "comment, created_by, " KBI_TS("created_at") " FROM "
	    "workflow_versions WHERE workflow_id = ? ORDER BY version DESC",
	    a, 1, ODS_WF_LIST_MAX, &res);
	if (er == ODS_OK && (*n = ods_db_res_nrows(res)) > 0) {
		*out = ods_xcalloc(*n, sizeof(**out));
		for (i = 0; i < *n; i++)
			vrow_to(res, i, &(*out)[i]);
	}
	ods_db_res_free(res);
	return er;
}

enum ods_err
ods_wf_version_get(struct ods_db *db, const char *workflow_id,
    int64_t version, struct ods_wf_version *out)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[2];
	enum ods_err		 er;

	memset(out, 0, sizeof(*out));
	a[0] = ods_db_text(workflow_id);
	a[1] = ods_db_int(version);
	er = ods_db_query_once(db, "SELECT version, name, description, "
	    "definition, comment, created_by, " KBI_TS("created_at") " FROM "
	    "workflow_versions WHERE workflow_id = ? AND version = ?", a, 2, 1,
	    &res);
	if (er == ODS_OK && ods_db_res_nrows(res) == 0)
		er = ODS_ENOTFOUND;
	if (er == ODS_OK)
		vrow_to(res, 0, out);
	ods_db_res_free(res);
	return er;
}

enum ods_err
ods_wf_rollback(struct ods_db *db, struct ods_wf *w, int64_t version,
    const char *by)
{
	struct ods_wf_version	v;
	char			comment[64];
	enum ods_err		er;

	if ((er = ods_wf_version_get(db, w->workflow_id, version, &v)) !=
	    ODS_OK)
		return er;
	free(w->definition);
	w->definition = v.definition;
	v.definition = NULL;
	ods_wf_version_fini(&v);
	snprintf(comment, sizeof(comment), "rollback to v%lld",
	    (long long)version);
	return store(db, w, 1, comment, by);
}

void
ods_wf_version_json(struct ods_jw *jw, const struct ods_wf_version *v,
    const char *workflow_id, int with_def)
{
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "workflow_id", workflow_id);
	ods_jw_kint(jw, "version", v->version);
	ods_jw_kint(jw, "version_id", v->version);
	ods_jw_kstr(jw, "name", v->name);
	ods_jw_kstr(jw, "description", v->description);
	ods_jw_kstr(jw, "comment", v->comment);
	ods_jw_kstr(jw, "created_by", v->created_by);
	ods_jw_kstr(jw, "created_at", v->created_at);
	if (with_def) {
		ods_jw_key(jw, "definition");
		wfi_raw_json(jw, v->definition);
	}
	ods_jw_end(jw);
}
