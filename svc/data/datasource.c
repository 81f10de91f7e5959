/*
 * svc/data/datasource.c — data source rows, their credentials and their
 * connection tests (datasource.h). The address policy is ds_policy.c, the
 * drivers ds_conn.c.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/ods_cidr.h"
#include "core/ods_conf.h"
#include "core/ods_json.h"
#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "core/ods_secret.h"
#include "core/ods_util.h"
#include "net/ods_addr.h"
#include "store/ods_db.h"
#include "datasource.h"
#include "data_int.h"

#define TS(col)	"DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%sZ')"
/* The columns of struct ods_ds, in row_to's order. */
#define COLS "id, source_id, name, description, type, status, " \
	TS("last_connected") ", last_error, source_metadata, tags, " \
	"visibility, created_by, " TS("created_at") ", " TS("updated_at") \
	", connection_config, credential"
#define CONF_MAX	(64 * 1024)

static const struct {
	const char	*name;
	int		 kind;
} types[] = {
	{ "mysql", ODSI_DS_MYSQL }, { "mariadb", ODSI_DS_MYSQL },
	{ "postgresql", ODSI_DS_PG }, { "postgres", ODSI_DS_PG },
	{ "oracle", ODSI_DS_NONE }, { "sqlserver", ODSI_DS_NONE },
	{ "hive", ODSI_DS_NONE }, { "mongodb", ODSI_DS_NONE },
	{ "redis", ODSI_DS_NONE }, { "elasticsearch", ODSI_DS_NONE },
	{ "clickhouse", ODSI_DS_NONE }
};

int
odsi_ds_kind(const char *type)
{
	size_t	i;

	for (i = 0; type != NULL && i < ODS_NELEM(types); i++)
		if (strcasecmp(types[i].name, type) == 0)
			return types[i].kind;
	return -1;
}

int
odsi_ds_default_port(int kind)
{
	return kind == ODSI_DS_PG ? 5432 : 3306;
}

void
ods_ds_spec_init(struct ods_ds_spec *sp)
{
	memset(sp, 0, sizeof(*sp));
	sp->port = -1;
}

enum ods_err
ods_ds_ctx_new(const struct ods_conf *conf, struct ods_ds_ctx **out,
    struct ods_why *why)
{
	struct ods_ds_ctx	*c;
	enum ods_err		 er;

	*out = NULL;
	c = ods_xcalloc(1, sizeof(*c));
	if ((er = ods_secret_new(conf->secret_key, conf->secret_key_previous,
	    &c->secret, why)) != ODS_OK ||
	    (er = ods_cidr_list_parse(conf->datasource_allow, &c->allow,
	    &c->nallow, why)) != ODS_OK ||
	    (er = ods_cidr_list_parse(conf->datasource_deny, &c->deny,
	    &c->ndeny, why)) != ODS_OK) {
		ods_ds_ctx_free(c);
		return er;
	}
	c->secret_dir = ods_xstrdup(conf->datasource_secret_dir != NULL ?
	    conf->datasource_secret_dir : "");
	c->timeout_ms = conf->datasource_connect_timeout_ms > 0 ?
	    conf->datasource_connect_timeout_ms : 5000;
	c->sys_host = ods_xstrdup(conf->mysql_host);
	c->sys_port = conf->mysql_port;
	c->sys_db = ods_xstrdup(conf->mysql_database);
	c->sys_user = ods_xstrdup(conf->mysql_user);
	c->sys_socket = conf->mysql_socket != NULL &&
	    *conf->mysql_socket != '\0';
	/* Queries (query.c): pools per source, the timeout, the row cap. */
	c->pool = odsi_ds_pool_new((unsigned)conf->datasource_pool_size,
	    conf->datasource_idle_s);
	c->query_timeout_ms = conf->query_timeout_ms;
	c->query_max_rows = conf->query_max_rows;
	*out = c;
	return ODS_OK;
}

void
ods_ds_ctx_free(struct ods_ds_ctx *c)
{
	if (c == NULL)
		return;
	odsi_ds_pool_free(c->pool);
	ods_secret_free(c->secret);
	free(c->allow);
	free(c->deny);
	free(c->secret_dir);
	free(c->sys_host);
	free(c->sys_db);
	free(c->sys_user);
	free(c);
}

static char *
xdup(const char *s)
{
	return s != NULL ? ods_xstrdup(s) : NULL;
}

/* connection_config's members into d. */
static void
conf_to(const char *text, struct ods_ds *d)
{
	struct json_object	*o = NULL, *p = NULL;
	int64_t			 port = 0;

	d->port = 0;
	if (text == NULL || ods_json_parse(text, strlen(text), 4, &o, NULL) !=
	    ODS_OK)
		return;
	d->host = xdup(ods_json_get_str(o, "host"));
	d->username = xdup(ods_json_get_str(o, "username"));
	d->database = xdup(ods_json_get_str(o, "database"));
	d->schema = xdup(ods_json_get_str(o, "schema"));
	if (ods_json_int(o, "port", 0, 0, 65535, &port, NULL) == ODS_OK)
		d->port = (int)port;
	if (ods_json_obj(o, "params", 0, &p, NULL) == ODS_OK)
		d->params = xdup(ods_json_text(p));
	ods_json_put(o);
}

static void
row_to(const struct ods_db_res *res, size_t i, struct ods_ds *d)
{
	int64_t	id = 0;

	if (ods_db_res_int(res, i, 0, &id) != ODS_OK)
		id = 0;
	d->id = id;
	d->source_id = ods_db_res_strdup(res, i, 1);
	d->name = ods_db_res_strdup(res, i, 2);
	d->description = ods_db_res_strdup(res, i, 3);
	d->type = ods_db_res_strdup(res, i, 4);
	d->status = ods_db_res_strdup(res, i, 5);
	d->last_connected = ods_db_res_strdup(res, i, 6);
	d->last_error = ods_db_res_strdup(res, i, 7);
	d->metadata = ods_db_res_strdup(res, i, 8);
	d->tags = ods_db_res_strdup(res, i, 9);
	d->visibility = ods_db_res_strdup(res, i, 10);
	d->created_by = ods_db_res_strdup(res, i, 11);
	d->created_at = ods_db_res_strdup(res, i, 12);
	d->updated_at = ods_db_res_strdup(res, i, 13);
	conf_to(ods_db_res_text(res, i, 14, NULL), d);
	d->credential = ods_db_res_strdup(res, i, 15);
}

static void
ds_fini(struct ods_ds *d)
{
	free(d->source_id);
	free(d->name);
	free(d->description);
	free(d->type);
	free(d->status);
	free(d->last_connected);
	free(d->last_error);
	free(d->metadata);
	free(d->tags);
	free(d->visibility);
	free(d->created_by);
	free(d->created_at);
	free(d->updated_at);
	free(d->host);
	free(d->username);
	free(d->database);
	free(d->schema);
	free(d->params);
	ods_secret_clear(d->credential);
}

void
ods_ds_free(struct ods_ds *d)
{
	if (d == NULL)
		return;
	ds_fini(d);
	free(d);
}

void
ods_ds_list_free(struct ods_ds *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		ds_fini(&v[i]);
	free(v);
}

static int
is_ref(const char *pw)
{
	return strncmp(pw, "env:", 4) == 0 || strncmp(pw, "file:", 5) == 0;
}

/*
 * Whether a reference may be used: it makes the worker send what it
 * names to the source's server, so it may name only what the operator
 * set aside for data sources, never the worker's own secrets:
 * env:ODS_DS_* and files directly in ODS_DATASOURCE_SECRET_DIR.
 */
static int
ref_allowed(const struct ods_ds_ctx *ctx, const char *ref,
    struct ods_why *why)
{
	const char	*f;
	size_t		 n;

	if (!ods_secret_ref_valid(ref)) {
		ods_why_set(why, "password", "a reference is env:NAME or "
		    "file:/absolute/path");
		return 0;
	}
	if (strncmp(ref, "env:", 4) == 0) {
		if (strncmp(ref + 4, "ODS_DS_", 7) == 0 && ref[11] != '\0')
			return 1;
		ods_why_set(why, "password", "an env: reference names a "
		    "variable ODS_DS_*");
		return 0;
	}
	f = ref + 5;
	n = strlen(ctx->secret_dir);
	while (n > 1 && ctx->secret_dir[n - 1] == '/')
		n--;
	if (n > 0 && strncmp(f, ctx->secret_dir, n) == 0 && f[n] == '/' &&
	    f[n + 1] != '\0' && strchr(f + n + 1, '/') == NULL &&
	    strcmp(f + n + 1, "..") != 0 && strcmp(f + n + 1, ".") != 0)
		return 1;
	ods_why_set(why, "password", "a file: reference names a file in "
	    "ODS_DATASOURCE_SECRET_DIR%s", n == 0 ? ", which is not set" : "");
	return 0;
}

/* The stored form of a password: a reference as given, else sealed. */
static enum ods_err
cred_of(const struct ods_ds_ctx *ctx, const char *pw, char **out,
    struct ods_why *why)
{
	*out = NULL;
	if (is_ref(pw)) {
		if (!ref_allowed(ctx, pw, why))
			return ODS_EINVAL;
		*out = ods_xstrdup(pw);
		return ODS_OK;
	}
	if (!ods_secret_has_key(ctx->secret)) {
		ods_why_set(why, "password", "passwords are stored encrypted "
		    "and ODS_SECRET_KEY is not set: give the password as a "
		    "reference (env:NAME or file:/path) or set the key");
		return ODS_EINVAL;
	}
	if (ods_secret_seal(ctx->secret, pw, strlen(pw), out) != ODS_OK) {
		ods_why_set(why, "password", "the password could not be "
		    "encrypted");
		return ODS_EINTERNAL;
	}
	return ODS_OK;
}

/*
 * The password of a stored credential (NULL: none, ""). *stale: sealed
 * under a previous key. Never logs the value.
 */
static enum ods_err
cred_open(const struct ods_ds_ctx *ctx, const char *cred, char **pw,
    int *stale)
{
	*stale = 0;
	if (cred == NULL || *cred == '\0') {
		*pw = ods_xstrdup("");
		return ODS_OK;
	}
	if (ods_secret_is_sealed(cred))
		return ods_secret_open(ctx->secret, cred, pw, stale);
	/* Checked again: the settings may have narrowed since. */
	if (!ref_allowed(ctx, cred, NULL))
		return ODS_EFORBIDDEN;
	return ods_secret_ref_read(cred, pw);
}

enum ods_err
odsi_ds_password(const struct ods_ds_ctx *ctx, const struct ods_ds *d,
    char **pw)
{
	int	stale;

	*pw = NULL;
	return cred_open(ctx, d->credential, pw, &stale);
}

/* Merge sp over d's fields (d holds the current values or defaults). */
static enum ods_err
merge(struct ods_ds *d, const struct ods_ds_spec *sp, struct ods_why *why)
{
	int	kind;

#define SET(f) if (sp->f != NULL) { free(d->f); d->f = ods_xstrdup(sp->f); }
	SET(name) SET(description) SET(type) SET(visibility) SET(tags)
	SET(host) SET(username) SET(database) SET(schema) SET(params)
#undef SET
	if (d->name == NULL || *d->name == '\0') {
		ods_why_set(why, "name", "field 'name' is required");
		return ODS_EINVAL;
	}
	if ((kind = odsi_ds_kind(d->type)) < 0) {
		ods_why_set(why, "type", "type must be mysql, mariadb, "
		    "postgresql, oracle, sqlserver, hive, mongodb, redis, "
		    "elasticsearch or clickhouse");
		return ODS_EINVAL;
	}
	if (d->host == NULL || *d->host == '\0') {
		ods_why_set(why, "host", "field 'connection.host' is "
		    "required");
		return ODS_EINVAL;
	}
	if (strcmp(d->visibility, "private") != 0 &&
	    strcmp(d->visibility, "public") != 0) {
		ods_why_set(why, "visibility", "visibility must be private or "
		    "public");
		return ODS_EINVAL;
	}
	if (sp->port >= 0)
		d->port = (int)sp->port;
	if (d->port <= 0)
		d->port = odsi_ds_default_port(kind);
	return ODS_OK;
}

static enum ods_err
conf_text(const struct ods_ds *d, char **out)
{
	struct ods_buf	b;
	struct ods_jw	jw;
	enum ods_err	er;

	ods_buf_init(&b, CONF_MAX);
	ods_jw_init(&jw, &b);
	ods_jw_obj(&jw);
	ods_jw_kstr(&jw, "host", d->host);
	ods_jw_kint(&jw, "port", d->port);
	ods_jw_kstr(&jw, "username", d->username != NULL ? d->username : "");
	ods_jw_kstr(&jw, "database", d->database != NULL ? d->database : "");
	ods_jw_kstr(&jw, "schema", d->schema != NULL ? d->schema : "");
	ods_jw_key(&jw, "params");
	if (d->params != NULL)
		ods_jw_raw(&jw, d->params, strlen(d->params));
	else {
		ods_jw_obj(&jw);
		ods_jw_end(&jw);
	}
	ods_jw_end(&jw);
	if ((er = ods_jw_error(&jw)) != ODS_OK) {
		ods_buf_free(&b);
		return er;
	}
	*out = ods_buf_take(&b, NULL);
	return ODS_OK;
}

static enum ods_err
one_out(enum ods_err er, struct ods_db_res *res, struct ods_ds **out)
{
	*out = NULL;
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
ods_ds_get(struct ods_db *db, const char *id, const char *owner,
    struct ods_ds **out)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[3];
	enum ods_err		 er;

	*out = NULL;
	if (id == NULL || *id == '\0' || strlen(id) > ODS_DS_ID_MAX)
		return ODS_ENOTFOUND;
	a[0] = ods_db_text(id);
	a[1] = ods_db_int(owner == NULL);
	a[2] = ods_db_text(owner != NULL ? owner : "");
	er = ods_db_query_once(db, "SELECT " COLS " FROM datasources WHERE "
	    "source_id = ? AND (? = 1 OR created_by = ? OR visibility = "
	    "'public')", a, 3, 1, &res);
	return one_out(er, res, out);
}

static void
new_id(char *out, size_t len)
{
	unsigned char	b[6];
	char		hex[13];

	ods_random(b, sizeof(b));
	ods_hex(b, sizeof(b), hex);
	hex[12] = '\0';
	snprintf(out, len, "ds-%s", hex);
}

static int
id_valid(const char *s)
{
	size_t	i;

	if (*s == '\0' || strlen(s) > ODS_DS_ID_MAX)
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '-' || s[i] == '_' || s[i] == '.'))
			return 0;
	return 1;
}

enum ods_err
ods_ds_create(struct ods_db *db, const struct ods_ds_ctx *ctx,
    const struct ods_ds_spec *sp, const char *owner, struct ods_ds **out,
    struct ods_why *why)
{
	struct ods_ds		 d;
	struct ods_db_arg	 a[11];
	char			 id[ODS_DS_ID_MAX + 1], *conf = NULL;
	char			*cred = NULL;
	enum ods_err		 er;

	*out = NULL;
	memset(&d, 0, sizeof(d));
	d.type = ods_xstrdup("mysql");
	d.visibility = ods_xstrdup("private");
	if ((er = merge(&d, sp, why)) != ODS_OK)
		goto out;
	if (sp->source_id != NULL) {
		if (!id_valid(sp->source_id)) {
			ods_why_set(why, "source_id", "source_id is 1 to 64 "
			    "letters, digits, '-', '_' or '.'");
			er = ODS_EINVAL;
			goto out;
		}
		snprintf(id, sizeof(id), "%s", sp->source_id);
	} else
		new_id(id, sizeof(id));
	if (sp->password != NULL && !sp->password_clear &&
	    (er = cred_of(ctx, sp->password, &cred, why)) != ODS_OK)
		goto out;
	if ((er = conf_text(&d, &conf)) != ODS_OK)
		goto out;
	a[0] = ods_db_text(id);
	a[1] = ods_db_text(d.name);
	a[2] = ods_db_text(d.description);
	a[3] = ods_db_text(d.type);
	a[4] = ods_db_text(conf);
	a[5] = ods_db_text(d.tags != NULL ? d.tags : "[]");
	a[6] = ods_db_text(owner != NULL ? owner : "");
	a[7] = ods_db_text(cred);
	a[8] = ods_db_text(d.visibility);
	er = ods_db_exec_once(db, "INSERT INTO datasources (source_id, name, "
	    "description, type, connection_config, tags, created_by, "
	    "credential, visibility, status, source_metadata) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?, ?, ?, 'disconnected', '{}')", a, 9, NULL);
	if (er == ODS_ECONFLICT)
		ods_why_set(why, "source_id", "a data source with this "
		    "source_id exists");
	if (er == ODS_OK)
		er = ods_ds_get(db, id, NULL, out);
out:
	ds_fini(&d);
	free(conf);
	ods_secret_clear(cred);
	return er;
}

enum ods_err
ods_ds_list(struct ods_db *db, const char *owner, const char *type,
    const char *status, size_t offset, size_t limit, struct ods_ds **out,
    size_t *n, int64_t *total)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[9];
	enum ods_err		 er;
	size_t			 i;

	*out = NULL;
	*n = 0;
	*total = 0;
	if (limit > ODS_DS_LIST_MAX)
		limit = ODS_DS_LIST_MAX;
	a[0] = ods_db_int(owner == NULL);
	a[1] = ods_db_text(owner != NULL ? owner : "");
	a[2] = ods_db_int(type == NULL);
	a[3] = ods_db_text(type != NULL ? type : "");
	a[4] = ods_db_int(status == NULL);
	a[5] = ods_db_text(status != NULL ? status : "");
	a[6] = ods_db_int((int64_t)limit);
	a[7] = ods_db_int((int64_t)offset);
#define WHERE " FROM datasources WHERE (? = 1 OR created_by = ? OR " \
	"visibility = 'public') AND (? = 1 OR type = ?) AND (? = 1 OR " \
	"status = ?)"
	er = ods_db_query_once(db, "SELECT " COLS WHERE " ORDER BY id DESC "
	    "LIMIT ? OFFSET ?", a, 8, limit, &res);
	if (er != ODS_OK)
		return er;
	*n = ods_db_res_nrows(res);
	if (*n > 0) {
		*out = ods_xcalloc(*n, sizeof(**out));
		for (i = 0; i < *n; i++)
			row_to(res, i, &(*out)[i]);
	}
	ods_db_res_free(res);
	er = ods_db_query_once(db, "SELECT COUNT(*)" WHERE, a, 6, 1, &res);
#undef WHERE
	if (er == ODS_OK && ods_db_res_int(res, 0, 0, total) != ODS_OK)
		*total = (int64_t)*n;
	ods_db_res_free(res);
	if (er != ODS_OK) {
		ods_ds_list_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return er;
}

static int
may_change(const struct ods_ds *d, const char *owner)
{
	return owner == NULL || (d->created_by != NULL &&
	    strcmp(d->created_by, owner) == 0);
}

enum ods_err
ods_ds_update(struct ods_db *db, const struct ods_ds_ctx *ctx,
    struct ods_ds *d, const struct ods_ds_spec *sp, const char *owner,
    struct ods_why *why)
{
	struct ods_db_arg	 a[9];
	char			*conf = NULL, *cred = NULL, *pw = NULL;
	enum ods_err		 er;
	int			 stale;

	if (!may_change(d, owner))
		return ODS_EFORBIDDEN;
	if ((er = merge(d, sp, why)) != ODS_OK)
		return er;
	if (sp->password_clear)
		cred = NULL;
	else if (sp->password != NULL) {
		if ((er = cred_of(ctx, sp->password, &cred, why)) != ODS_OK)
			return er;
	} else if (d->credential != NULL &&
	    ods_secret_is_sealed(d->credential) &&
	    ods_secret_has_key(ctx->secret) &&
	    cred_open(ctx, d->credential, &pw, &stale) == ODS_OK) {
		/* Rotation: what a previous key sealed moves to the current. */
		if (!stale || ods_secret_seal(ctx->secret, pw, strlen(pw),
		    &cred) != ODS_OK)
			cred = ods_xstrdup(d->credential);
		ods_secret_clear(pw);
	} else
		cred = xdup(d->credential);
	if ((er = conf_text(d, &conf)) != ODS_OK)
		goto out;
	a[0] = ods_db_text(d->name);
	a[1] = ods_db_text(d->description);
	a[2] = ods_db_text(d->type);
	a[3] = ods_db_text(conf);
	a[4] = ods_db_text(d->tags != NULL ? d->tags : "[]");
	a[5] = ods_db_text(cred);
	a[6] = ods_db_text(d->visibility);
	a[7] = ods_db_int(d->id);
	er = ods_db_exec_once(db, "UPDATE datasources SET name = ?, "
	    "description = ?, type = ?, connection_config = ?, tags = ?, "
	    "credential = ?, visibility = ? WHERE id = ?", a, 8, NULL);
	if (er == ODS_OK) {
		ods_secret_clear(d->credential);
		d->credential = cred;
		cred = NULL;
	}
out:
	free(conf);
	ods_secret_clear(cred);
	return er;
}

enum ods_err
ods_ds_delete(struct ods_db *db, const struct ods_ds *d, const char *owner)
{
	struct ods_db_arg	 a[1];
	struct ods_db_conn	*c = NULL;
	enum ods_err		 er;

	if (!may_change(d, owner))
		return ODS_EFORBIDDEN;
	/*
	 * Its catalog goes with it, in the same transaction: marked removed
	 * (as a scan marks what it no longer sees), not left as a source's
	 * tables that nothing can reach any more.
	 */
	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	if ((er = ods_db_begin(c)) != ODS_OK)
		goto out;
	a[0] = ods_db_text(d->source_id);
	if ((er = ods_db_exec(c, "UPDATE metadata_databases SET removed_at = "
	    "CURRENT_TIMESTAMP(3) WHERE source_id = ? AND removed_at IS NULL",
	    a, 1, NULL)) != ODS_OK ||
	    (er = ods_db_exec(c, "UPDATE metadata_tables SET removed_at = "
	    "CURRENT_TIMESTAMP(3) WHERE source_id = ? AND removed_at IS NULL",
	    a, 1, NULL)) != ODS_OK ||
	    (er = ods_db_exec(c, "UPDATE metadata_columns SET removed_at = "
	    "CURRENT_TIMESTAMP(3) WHERE source_id = ? AND removed_at IS NULL",
	    a, 1, NULL)) != ODS_OK ||
	    (er = ods_db_exec(c, "UPDATE data_assets SET removed_at = "
	    "CURRENT_TIMESTAMP(3), status = 'removed' WHERE source_id = ? AND "
	    "removed_at IS NULL", a, 1, NULL)) != ODS_OK)
		goto fail;
	a[0] = ods_db_int(d->id);
	if ((er = ods_db_exec(c, "DELETE FROM datasources WHERE id = ?", a, 1,
	    NULL)) != ODS_OK)
		goto fail;
	er = ods_db_commit(c);
	goto out;
fail:
	(void)ods_db_rollback(c);
out:
	ods_db_release(c);
	return er;
}

void
ods_ds_json(struct ods_jw *jw, const struct ods_ds *d)
{
	const char	*cred = d->credential;

	ods_jw_obj(jw);
	ods_jw_kstr(jw, "source_id", d->source_id);
	ods_jw_kstr(jw, "id", d->source_id);
	ods_jw_kstr(jw, "name", d->name);
	ods_jw_kstr(jw, "description", d->description);
	ods_jw_kstr(jw, "type", d->type);
	ods_jw_kstr(jw, "status", d->status);
	ods_jw_kstr(jw, "last_connected", d->last_connected);
	ods_jw_kstr(jw, "last_error", d->last_error);
	ods_jw_key(jw, "metadata");
	if (d->metadata != NULL && *d->metadata == '{')
		ods_jw_raw(jw, d->metadata, strlen(d->metadata));
	else {
		ods_jw_obj(jw);
		ods_jw_end(jw);
	}
	ods_jw_key(jw, "tags");
	if (d->tags != NULL && *d->tags == '[')
		ods_jw_raw(jw, d->tags, strlen(d->tags));
	else {
		ods_jw_arr(jw);
		ods_jw_end(jw);
	}
	ods_jw_kstr(jw, "visibility", d->visibility);
	ods_jw_kstr(jw, "created_by", d->created_by);
	ods_jw_kstr(jw, "created_at", d->created_at);
	ods_jw_kstr(jw, "updated_at", d->updated_at);
	/* Whether a password is kept, and how; a reference is no secret. */
	ods_jw_kbool(jw, "has_password", cred != NULL);
	ods_jw_kstr(jw, "password_storage", cred == NULL ? NULL :
	    ods_secret_is_sealed(cred) ? "encrypted" :
	    strncmp(cred, "env:", 4) == 0 ? "env" : "file");
	ods_jw_kstr(jw, "password_ref", cred != NULL &&
	    !ods_secret_is_sealed(cred) ? cred : NULL);
	ods_jw_key(jw, "connection");
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "host", d->host);
	ods_jw_kint(jw, "port", d->port);
	ods_jw_kstr(jw, "username", d->username);
	ods_jw_kstr(jw, "database", d->database);
	ods_jw_kstr(jw, "schema", d->schema);
	ods_jw_key(jw, "params");
	if (d->params != NULL && *d->params == '{')
		ods_jw_raw(jw, d->params, strlen(d->params));
	else {
		ods_jw_obj(jw);
		ods_jw_end(jw);
	}
	ods_jw_end(jw);
	/* The web's flat names. */
	ods_jw_kstr(jw, "host", d->host);
	ods_jw_kint(jw, "port", d->port);
	ods_jw_kstr(jw, "username", d->username);
	ods_jw_kstr(jw, "database", d->database);
	ods_jw_end(jw);
}

/* Policy, then the driver. */
static void
run_test(const struct ods_ds_ctx *ctx, const char *type, const char *host,
    int port, const char *user, const char *pw, const char *database,
    struct ods_ds_result *res)
{
	struct ods_addr	addr;
	int		kind = odsi_ds_kind(type);

	memset(res, 0, sizeof(*res));
	if (kind <= ODSI_DS_NONE) {
		odsi_ds_fail(res, "unsupported_type", "connection tests "
		    "support mysql, mariadb and postgresql");
		return;
	}
	if (port <= 0)
		port = odsi_ds_default_port(kind);
	if (odsi_ds_policy(ctx, host, port, kind, database, user, &addr,
	    res) != 0)
		return;
	odsi_ds_probe(kind, &addr, port, user, pw, database, ctx->timeout_ms,
	    res);
}

enum ods_err
ods_ds_test_spec(const struct ods_ds_ctx *ctx, const struct ods_ds_spec *sp,
    struct ods_ds_result *res, struct ods_why *why)
{
	char		*pw = NULL;
	enum ods_err	 er;

	memset(res, 0, sizeof(*res));
	if (sp->host == NULL || *sp->host == '\0') {
		ods_why_set(why, "host", "field 'connection.host' is "
		    "required");
		return ODS_EINVAL;
	}
	if (sp->password == NULL)
		pw = ods_xstrdup("");
	else if (is_ref(sp->password)) {
		if (!ref_allowed(ctx, sp->password, why))
			return ODS_EINVAL;
		if ((er = ods_secret_ref_read(sp->password, &pw)) != ODS_OK) {
			odsi_ds_fail(res, "credential_unavailable", "the "
			    "password reference cannot be read (%s)",
			    ods_strerror(er));
			return ODS_OK;
		}
	} else
		pw = ods_xstrdup(sp->password);
	run_test(ctx, sp->type != NULL ? sp->type : "mysql", sp->host,
	    (int)sp->port, sp->username, pw, sp->database, res);
	ods_secret_clear(pw);
	return ODS_OK;
}

/* The outcome on the row: status, last_connected, last_error, metadata. */
static enum ods_err
record(struct ods_db *db, const struct ods_ds *d,
    const struct ods_ds_result *res)
{
	struct ods_db_arg	a[8];

	a[0] = ods_db_text(res->success ? "connected" : "error");
	a[1] = ods_db_int(res->success);
	a[2] = ods_db_text(res->success ? NULL : res->message);
	a[3] = ods_db_int(res->success);
	a[4] = ods_db_text(res->version);
	a[5] = ods_db_double(res->latency_ms);
	a[6] = ods_db_int(d->id);
	return ods_db_exec_once(db, "UPDATE datasources SET status = ?, "
	    "last_connected = IF(? = 1, CURRENT_TIMESTAMP(3), "
	    "last_connected), last_error = ?, source_metadata = IF(? = 1, "
	    "JSON_OBJECT('version', ?, 'latency_ms', ?), source_metadata) "
	    "WHERE id = ?", a, 7, NULL);
}

enum ods_err
ods_ds_test_saved(struct ods_db *db, const struct ods_ds_ctx *ctx,
    struct ods_ds *d, const char *password, struct ods_ds_result *res)
{
	char		*pw = NULL;
	enum ods_err	 er;
	int		 stale = 0;

	memset(res, 0, sizeof(*res));
	if (password != NULL)
		pw = ods_xstrdup(password);
	else if ((er = cred_open(ctx, d->credential, &pw, &stale)) !=
	    ODS_OK) {
		odsi_ds_fail(res, "credential_unavailable", "the stored "
		    "password cannot be read (%s)", er == ODS_ENOTFOUND &&
		    ods_secret_is_sealed(d->credential) ? "sealed under a key "
		    "this worker does not have" : ods_strerror(er));
		pw = NULL;
	}
	if (pw != NULL)
		run_test(ctx, d->type, d->host, d->port, d->username, pw,
		    d->database, res);
	ods_secret_clear(pw);
	return record(db, d, res);
}

int
odsi_ds_connect_saved(const struct ods_ds_ctx *ctx, const struct ods_ds *d,
    struct odsi_ds_conn **out, struct ods_ds_result *res)
{
	return odsi_ds_connect_saved_rw(ctx, d, 0, out, res);
}

int
odsi_ds_connect_saved_rw(const struct ods_ds_ctx *ctx, const struct ods_ds *d,
    int rw, struct odsi_ds_conn **out, struct ods_ds_result *res)
{
	struct ods_addr		 addr;
	char			*pw = NULL;
	enum ods_err		 er;
	int			 kind = odsi_ds_kind(d->type), port, stale, rc;

	*out = NULL;
	memset(res, 0, sizeof(*res));
	if (kind <= ODSI_DS_NONE) {
		odsi_ds_fail(res, "unsupported_type", "only mysql, mariadb "
		    "and postgresql sources can connect");
		return -1;
	}
	if ((er = cred_open(ctx, d->credential, &pw, &stale)) != ODS_OK) {
		odsi_ds_fail(res, "credential_unavailable", "the stored "
		    "password cannot be read (%s)", ods_strerror(er));
		return -1;
	}
	port = d->port > 0 ? d->port : odsi_ds_default_port(kind);
	rc = odsi_ds_policy(ctx, d->host, port, kind, d->database,
	    d->username, &addr, res);
	if (rc == 0)
		/* A catalog read of a large server takes longer than a
		 * connect: five minutes a statement. */
		rc = odsi_ds_open_mode(kind, &addr, port, d->username, pw,
		    d->database, ctx->timeout_ms, 300000, rw, out, res);
	ods_secret_clear(pw);
	return rc;
}
