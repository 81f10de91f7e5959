/*
 * lib/auth/ods_auth_apikey.c — sk-ods- API keys in table api_keys.
 *
 * The secret is 32 random bytes (base64url) after "sk-ods-". It is shown
 * once; the table keeps its SHA-256 (hex) under a unique index, the
 * public id "ak_<16 hex>" and the first characters for listings. A key
 * is looked up by the hash of what the client presents, so the stored
 * value is useless to whoever reads the table.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "auth/ods_auth.h"
#include "auth/ods_auth_int.h"
#include "store/ods_db.h"
#include "core/ods_json.h"
#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "core/ods_time.h"
#include "core/ods_util.h"

#define SECRET_BYTES	32
#define SECRET_LEN	(sizeof(ODS_APIKEY_PREFIX) - 1 + 43)
#define PREFIX_LEN	15
#define MAX_MODELS	64
#define MODEL_MAX	128

#define KEY_COLS "key_id, key_prefix, owner, name, allowed_models, rpm, tpm, " \
	"CAST(UNIX_TIMESTAMP(expires_at) AS SIGNED), " \
	"CAST(UNIX_TIMESTAMP(created_at) AS SIGNED), " \
	"CAST(UNIX_TIMESTAMP(last_used_at) AS SIGNED), revoked, app_id"
#define NCOLS	12

static int
secret_shape_ok(const char *s)
{
	size_t	i, p = sizeof(ODS_APIKEY_PREFIX) - 1;

	if (strncmp(s, ODS_APIKEY_PREFIX, p) != 0 || strlen(s) != SECRET_LEN)
		return 0;
	for (i = p; s[i] != '\0'; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
			return 0;
	return 1;
}

static int
spec_ok(const struct ods_apikey_spec *s)
{
	size_t	i, n;

	if (s->owner == NULL || *s->owner == '\0' || strlen(s->owner) > 128 ||
	    s->name == NULL || *s->name == '\0' || strlen(s->name) > 255 ||
	    s->rpm < 0 || s->tpm < 0 || s->expires_at < 0 ||
	    (s->expires_at > 0 && s->expires_at <= time(NULL)) ||
	    s->nmodels > MAX_MODELS || (s->models == NULL && s->nmodels > 0) ||
	    (s->app_id != NULL && (*s->app_id == '\0' ||
	    strlen(s->app_id) > 64)))
		return 0;
	for (i = 0; i < s->nmodels; i++) {
		n = s->models[i] != NULL ? strlen(s->models[i]) : 0;
		if (n == 0 || n > MODEL_MAX)
			return 0;
	}
	return 1;
}

static void
fmt_time(int64_t t, char *buf, size_t len)
{
	time_t		tt = (time_t)t;
	struct tm	tm;

	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

/* The allowed models as a JSON array in b (NULL when any model). */
static const char *
models_json(const struct ods_apikey_spec *s, struct ods_buf *b)
{
	struct ods_jw	jw;
	size_t		i;

	if (s->models == NULL)
		return NULL;
	ods_jw_init(&jw, b);
	ods_jw_arr(&jw);
	for (i = 0; i < s->nmodels; i++)
		ods_jw_str(&jw, s->models[i]);
	ods_jw_end(&jw);
	return ods_jw_error(&jw) == ODS_OK ? b->data : NULL;
}

static char *
new_secret(char id[33], char hash[65])
{
	unsigned char	 raw[SECRET_BYTES], idb[8];
	char		*b64, *s;
	size_t		 i;

	ods_random(raw, sizeof(raw));
	ods_random(idb, sizeof(idb));
	b64 = ods_b64url_encode(raw, sizeof(raw));
	ods_xasprintf(&s, "%s%s", ODS_APIKEY_PREFIX, b64);
	free(b64);
	memcpy(id, "ak_", 3);
	for (i = 0; i < sizeof(idb); i++)
		snprintf(id + 3 + 2 * i, 3, "%02x", idb[i]);
	ods_sha256_hex(s, strlen(s), hash);
	return s;
}

static enum ods_err
insert(struct ods_db *db, const struct ods_apikey_spec *s, const char *id,
    const char *secret, const char *hash)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_arg	 a[11];
	struct ods_buf		 mb;
	char			 exp[32], prefix[PREFIX_LEN + 1];
	const char		*mj;
	enum ods_err		 er;

	ods_buf_init(&mb, 64 * 1024);
	mj = models_json(s, &mb);
	if (s->models != NULL && mj == NULL) {
		ods_buf_free(&mb);
		return ODS_EINVAL;
	}
	fmt_time(s->expires_at, exp, sizeof(exp));
	snprintf(prefix, sizeof(prefix), "%.*s", PREFIX_LEN, secret);
	a[0] = ods_db_text(id);
	a[1] = ods_db_text(prefix);
	a[2] = ods_db_text(hash);
	a[3] = ods_db_text(s->owner);
	a[4] = ods_db_text(s->name);
	a[5] = ods_db_text(mj);
	a[6] = s->rpm > 0 ? ods_db_int(s->rpm) : ods_db_null();
	a[7] = s->tpm > 0 ? ods_db_int(s->tpm) : ods_db_null();
	a[8] = s->expires_at > 0 ? ods_db_text(exp) : ods_db_null();
	a[9] = ods_db_text(s->created_by);
	a[10] = ods_db_text(s->app_id);
	if ((er = ods_db_acquire(db, &c)) == ODS_OK)
		er = ods_db_exec(c, "INSERT INTO api_keys (key_id, key_prefix, "
		    "key_hash, owner, name, allowed_models, rpm, tpm, "
		    "expires_at, created_by, app_id) VALUES (?, ?, ?, ?, ?, ?, ?, "
		    "?, ?, ?, ?)", a, 11, NULL);
	ods_db_release(c);
	ods_buf_free(&mb);
	return er;
}

enum ods_err
ods_apikey_create(struct ods_db *db, const struct ods_apikey_spec *s,
    char **secret, struct ods_apikey *out)
{
	char		 id[33], hash[65], *sec;
	enum ods_err	 er;
	size_t		 i;

	*secret = NULL;
	if (db == NULL)
		return ODS_EUNAVAIL;
	if (!spec_ok(s))
		return ODS_EINVAL;
	sec = new_secret(id, hash);
	if ((er = insert(db, s, id, sec, hash)) != ODS_OK) {
		explicit_bzero(sec, strlen(sec));
		free(sec);
		return er;
	}
	if (out != NULL) {
		memset(out, 0, sizeof(*out));
		snprintf(out->key_id, sizeof(out->key_id), "%s", id);
		snprintf(out->prefix, sizeof(out->prefix), "%.*s", PREFIX_LEN,
		    sec);
		out->owner = ods_xstrdup(s->owner);
		out->name = ods_xstrdup(s->name);
		if (s->models != NULL) {
			out->models = ods_xcalloc(s->nmodels + 1,
			    sizeof(char *));
			for (i = 0; i < s->nmodels; i++)
				out->models[i] = ods_xstrdup(s->models[i]);
			out->nmodels = s->nmodels;
		}
		out->rpm = s->rpm;
		out->tpm = s->tpm;
		out->expires_at = s->expires_at;
		out->created_at = time(NULL);
		if (s->app_id != NULL)
			out->app_id = ods_xstrdup(s->app_id);
	}
	*secret = sec;
	return ODS_OK;
}

/* ---- reading rows ---- */

static void
models_parse(const char *txt, size_t len, struct ods_apikey *k)
{
	struct json_object	*o = NULL, *e;
	struct ods_why	 je;
	size_t			 i, n;

	if (txt == NULL || ods_json_parse(txt, len, 4, &o, &je) != ODS_OK)
		return;
	n = json_object_is_type(o, json_type_array) ?
	    json_object_array_length(o) : 0;
	k->models = ods_xcalloc(n + 1, sizeof(char *));
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(o, i);
		if (json_object_is_type(e, json_type_string))
			k->models[k->nmodels++] =
			    ods_xstrdup(json_object_get_string(e));
	}
	ods_json_put(o);
}

static int64_t
cell_int(const struct ods_db_res *res, size_t row, size_t col)
{
	int64_t	v;

	return ods_db_res_int(res, row, col, &v) == ODS_OK ? v : 0;
}

static void
row_key(const struct ods_db_res *res, size_t r, struct ods_apikey *k)
{
	const char	*t;
	size_t		 len;

	memset(k, 0, sizeof(*k));
	t = ods_db_res_text(res, r, 0, NULL);
	snprintf(k->key_id, sizeof(k->key_id), "%s", t != NULL ? t : "");
	t = ods_db_res_text(res, r, 1, NULL);
	snprintf(k->prefix, sizeof(k->prefix), "%s", t != NULL ? t : "");
	t = ods_db_res_text(res, r, 2, NULL);
	k->owner = ods_xstrdup(t != NULL ? t : "");
	t = ods_db_res_text(res, r, 3, NULL);
	k->name = ods_xstrdup(t != NULL ? t : "");
	t = ods_db_res_text(res, r, 4, &len);
	models_parse(t, len, k);
	k->rpm = (int)cell_int(res, r, 5);
	k->tpm = (int)cell_int(res, r, 6);
	k->expires_at = cell_int(res, r, 7);
	k->created_at = cell_int(res, r, 8);
	k->last_used_at = cell_int(res, r, 9);
	k->revoked = cell_int(res, r, 10) != 0;
	if ((t = ods_db_res_text(res, r, 11, NULL)) != NULL)
		k->app_id = ods_xstrdup(t);
}

void
ods_apikey_fini(struct ods_apikey *k)
{
	size_t	i;

	if (k == NULL)
		return;
	free(k->owner);
	free(k->name);
	free(k->app_id);
	for (i = 0; i < k->nmodels; i++)
		free(k->models[i]);
	free(k->models);
	memset(k, 0, sizeof(*k));
}

void
ods_apikey_list_free(struct ods_apikey *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		ods_apikey_fini(&v[i]);
	free(v);
}

/*
 * Keys of owner v (NULL: all), or with by_app those of app v, newest
 * first: limit of them from offset, and with total (may be NULL) how
 * many there are in all.
 */
static enum ods_err
list_by(struct ods_db *db, int by_app, const char *v, int64_t offset,
    int64_t limit, struct ods_apikey **keys, size_t *n, int64_t *total)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_res	*res = NULL, *cnt = NULL;
	struct ods_db_arg	 a[4];
	enum ods_err		 er;
	size_t			 i;

	*keys = NULL;
	*n = 0;
	if (db == NULL)
		return ODS_EUNAVAIL;
	a[0] = ods_db_text(v);
	a[1] = ods_db_text(v);
	a[2] = ods_db_int(limit);
	a[3] = ods_db_int(offset);
	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	if (by_app)
		er = ods_db_query(c, "SELECT " KEY_COLS " FROM api_keys WHERE "
		    "app_id = ? ORDER BY id DESC LIMIT ? OFFSET ?", a + 1, 3,
		    (size_t)limit, &res);
	else
		er = ods_db_query(c, "SELECT " KEY_COLS " FROM api_keys WHERE "
		    "(? IS NULL OR owner = ?) ORDER BY id DESC LIMIT ? "
		    "OFFSET ?", a, 4, (size_t)limit, &res);
	if (er == ODS_OK && total != NULL) {
		if (by_app)
			er = ods_db_query(c, "SELECT COUNT(*) FROM api_keys "
			    "WHERE app_id = ?", a + 1, 1, 1, &cnt);
		else
			er = ods_db_query(c, "SELECT COUNT(*) FROM api_keys "
			    "WHERE (? IS NULL OR owner = ?)", a, 2, 1, &cnt);
		if (er == ODS_OK)
			*total = ods_db_res_int0(cnt, 0, 0);
		ods_db_res_free(cnt);
	}
	ods_db_release(c);
	if (er != ODS_OK) {
		ods_db_res_free(res);
		return er;
	}
	*n = ods_db_res_nrows(res);
	*keys = ods_xcalloc(*n + 1, sizeof(**keys));
	for (i = 0; i < *n; i++)
		row_key(res, i, &(*keys)[i]);
	ods_db_res_free(res);
	return ODS_OK;
}

enum ods_err
ods_apikey_page(struct ods_db *db, const char *owner, int64_t offset,
    int64_t limit, struct ods_apikey **keys, size_t *n, int64_t *total)
{
	if (limit < 1 || limit > 1000 || offset < 0) {
		*keys = NULL;
		*n = 0;
		return ODS_EINVAL;
	}
	return list_by(db, 0, owner, offset, limit, keys, n, total);
}

enum ods_err
ods_apikey_list(struct ods_db *db, const char *owner,
    struct ods_apikey **keys, size_t *n)
{
	return list_by(db, 0, owner, 0, 1000, keys, n, NULL);
}

enum ods_err
ods_apikey_list_app(struct ods_db *db, const char *app_id,
    struct ods_apikey **keys, size_t *n)
{
	if (app_id == NULL) {
		*keys = NULL;
		*n = 0;
		return ODS_EINVAL;
	}
	return list_by(db, 1, app_id, 0, 1000, keys, n, NULL);
}

/* Note the use at most once a minute per key: no write per request. */
static void
touch(struct ods_db_conn *c, int64_t id)
{
	struct ods_db_arg	a[1];

	a[0] = ods_db_int(id);
	if (ods_db_exec(c, "UPDATE api_keys SET last_used_at = NOW(3) WHERE "
	    "id = ?", a, 1, NULL) != ODS_OK)
		ods_log(ODS_LOG_WARN, "apikey_touch_failed");
}

enum ods_err
ods_apikey_verify(struct ods_db *db, const char *secret,
    struct ods_apikey *out)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[1];
	char			 hash[65];
	enum ods_err		 er;

	memset(out, 0, sizeof(*out));
	if (secret == NULL || !secret_shape_ok(secret))
		return ODS_EAUTH;
	if (db == NULL)
		return ODS_EUNAVAIL;
	ods_sha256_hex(secret, strlen(secret), hash);
	a[0] = ods_db_text(hash);
	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	er = ods_db_query(c, "SELECT " KEY_COLS ", id, expires_at IS NOT NULL "
	    "AND expires_at <= NOW(3), last_used_at IS NULL OR last_used_at "
	    "< NOW(3) - INTERVAL 60 SECOND FROM api_keys WHERE key_hash = ?",
	    a, 1, 1, &res);
	if (er == ODS_OK && ods_db_res_nrows(res) != 1)
		er = ODS_EAUTH;
	if (er == ODS_OK) {
		row_key(res, 0, out);
		if (out->revoked || cell_int(res, 0, NCOLS + 1) != 0) {
			ods_apikey_fini(out);
			er = ODS_EAUTH;
		} else if (cell_int(res, 0, NCOLS + 2) != 0)
			touch(c, cell_int(res, 0, NCOLS));
	}
	ods_db_res_free(res);
	ods_db_release(c);
	return er;
}

/* Revoke key_id, only if it is app_id's when app_id is not NULL. */
static enum ods_err
revoke(struct ods_db *db, const char *app_id, const char *key_id,
    const char *by)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[4];
	uint64_t		 n = 0;
	enum ods_err		 er;

	if (db == NULL)
		return ODS_EUNAVAIL;
	if (key_id == NULL || *key_id == '\0' || strlen(key_id) > 32)
		return ODS_ENOTFOUND;
	a[0] = ods_db_text(by);
	a[1] = ods_db_text(key_id);
	a[2] = ods_db_text(app_id);
	a[3] = ods_db_text(app_id);
	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	er = ods_db_exec(c, "UPDATE api_keys SET revoked = 1, revoked_at = "
	    "NOW(3), revoked_by = ? WHERE key_id = ? AND (? IS NULL OR "
	    "app_id = ?) AND revoked = 0", a, 4, &n);
	if (er == ODS_OK && n == 0) {
		er = ods_db_query(c, "SELECT 1 FROM api_keys WHERE key_id = ? "
		    "AND (? IS NULL OR app_id = ?)", a + 1, 3, 1, &res);
		if (er == ODS_OK && ods_db_res_nrows(res) == 0)
			er = ODS_ENOTFOUND;
		ods_db_res_free(res);
	}
	ods_db_release(c);
	return er;
}

enum ods_err
ods_apikey_revoke(struct ods_db *db, const char *key_id, const char *by)
{
	return revoke(db, NULL, key_id, by);
}

enum ods_err
ods_apikey_revoke_app(struct ods_db *db, const char *app_id,
    const char *key_id, const char *by)
{
	if (app_id == NULL)
		return ODS_ENOTFOUND;
	return revoke(db, app_id, key_id, by);
}

/* ---- output ---- */

static void
ktime(struct ods_jw *jw, const char *k, int64_t t)
{
	time_t		tt = (time_t)t;
	struct tm	tm;
	char		buf[32];

	if (t <= 0) {
		ods_jw_key(jw, k);
		ods_jw_null(jw);
		return;
	}
	gmtime_r(&tt, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	ods_jw_kstr(jw, k, buf);
}

void
ods_apikey_json(struct ods_jw *jw, const struct ods_apikey *k)
{
	size_t	i;

	ods_jw_obj(jw);
	ods_jw_kstr(jw, "key_id", k->key_id);
	ods_jw_kstr(jw, "prefix", k->prefix);
	ods_jw_kstr(jw, "owner", k->owner);
	ods_jw_kstr(jw, "name", k->name);
	ods_jw_key(jw, "allowed_models");
	if (k->models == NULL)
		ods_jw_null(jw);
	else {
		ods_jw_arr(jw);
		for (i = 0; i < k->nmodels; i++)
			ods_jw_str(jw, k->models[i]);
		ods_jw_end(jw);
	}
	ods_jw_key(jw, "rpm");
	k->rpm > 0 ? ods_jw_int(jw, k->rpm) : ods_jw_null(jw);
	ods_jw_key(jw, "tpm");
	k->tpm > 0 ? ods_jw_int(jw, k->tpm) : ods_jw_null(jw);
	ktime(jw, "expires_at", k->expires_at);
	ktime(jw, "created_at", k->created_at);
	ktime(jw, "last_used_at", k->last_used_at);
	ods_jw_kbool(jw, "revoked", k->revoked);
	if (k->app_id != NULL)
		ods_jw_kstr(jw, "app_id", k->app_id);
	ods_jw_end(jw);
}

/* ---- the principal of a key ---- */

struct ods_principal *
odsi_apikey_principal(struct ods_arena *ar, const struct ods_apikey *k)
{
	struct ods_principal	*p = ods_arena_alloc(ar, sizeof(*p));
	const char		**models = NULL;
	size_t			 i;

	if (p == NULL)
		return NULL;
	if (k->models != NULL) {
		models = ods_arena_alloc(ar, (k->nmodels + 1) *
		    sizeof(*models));
		if (models == NULL)
			return NULL;
		for (i = 0; i < k->nmodels; i++)
			if ((models[i] = ods_arena_strdup(ar, k->models[i])) ==
			    NULL)
				return NULL;
	}
	p->kind = ODS_PRINCIPAL_APIKEY;
	p->user_id = ods_arena_strdup(ar, k->owner);
	p->username = p->user_id;
	p->email = "";
	p->name = ods_arena_strdup(ar, k->name);
	p->roles = NULL;	/* no role: only model:use (ods_auth_allows) */
	p->nroles = 0;
	p->key_id = ods_arena_strdup(ar, k->key_id);
	p->models = models;
	p->nmodels = k->nmodels;
	p->rpm = k->rpm;
	p->tpm = k->tpm;
	p->expires_at = k->expires_at;
	p->app_id = NULL;
	if (k->app_id != NULL &&
	    (p->app_id = ods_arena_strdup(ar, k->app_id)) == NULL)
		return NULL;
	if (p->user_id == NULL || p->name == NULL || p->key_id == NULL)
		return NULL;
	return p;
}
