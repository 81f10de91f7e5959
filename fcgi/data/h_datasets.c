/*
 * fcgi/data/h_datasets.c — /datasets: CRUD, uploads, versions, access
 * and previews. Lookups go through dset_of(): another user's private
 * dataset is a 404.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ods.h"
#include "text/ods_tab.h"
#include "../../svc/data/dataset.h"
#include "../common/h_auth.h"
#include "h_datasources.h"
#include "h_datasets.h"

#define EXPIRES_MAX	86400
#define PREVIEW_ROWS	100

static enum ods_status
not_found(struct ods_resp *w, const char *what)
{
	return ods_resp_error_ex(w, ODS_ENOTFOUND, ODS_C_ENTITY_NOT_FOUND,
	    "not_found", what);
}

static enum ods_status
no_store(struct ods_resp *w)
{
	return ods_resp_error(w, ODS_EUNAVAIL, "no object store");
}

/* The dataset of {id} as the caller sees it, or the answer sent. */
static struct ods_dset *
dset_of(struct ods_req *r, struct ods_resp *w, enum ods_status *hs)
{
	struct ods_dset	*d = NULL;
	enum ods_err	 er;
	char		 msg[160];

	er = ods_dset_get(ods_req_db(r), ods_req_param(r, "id"), h_owner(r),
	    &d);
	if (er == ODS_ENOTFOUND) {
		snprintf(msg, sizeof(msg), "Dataset %.100s not found",
		    ods_req_param(r, "id"));
		*hs = not_found(w, msg);
	} else if (er != ODS_OK)
		*hs = ods_resp_error(w, er, "could not read the dataset");
	return d;
}

/* The dataset of {id} when the caller may change it (and it is live). */
static struct ods_dset *
dset_writable(struct ods_req *r, struct ods_resp *w, enum ods_status *hs)
{
	struct ods_dset	*d;

	if ((d = dset_of(r, w, hs)) == NULL)
		return NULL;
	if (!ods_dset_may_change(d, h_owner(r))) {
		*hs = h_not_owner(w, "a dataset");
	} else if (strcmp(d->status, "deleted") == 0) {
		*hs = ods_resp_error_ex(w, ODS_ECONFLICT, ODS_C_CONFLICT,
		    "conflict", "the dataset is deleted");
	} else
		return d;
	ods_dset_free(d);
	return NULL;
}

static enum ods_err
opt_int(struct json_object *o, const char *f, int64_t *dst,
    struct ods_why *why)
{
	enum ods_err	er;

	er = ods_json_int(o, f, 0, 0, INT64_MAX / 2, dst, why);
	return er == ODS_ENOTFOUND ? ODS_OK : er;
}

/* tags: at most 20 strings of at most 50 bytes, as JSON text. */
static enum ods_err
tags_of(struct json_object *o, const char **dst, struct ods_why *why)
{
	struct json_object	*a = NULL;
	enum ods_err		 er;
	size_t			 i, n;
	const char		*s;

	if ((er = ods_json_arr(o, "tags", 0, &a, why)) != ODS_OK)
		return er == ODS_ENOTFOUND ? ODS_OK : er;
	n = ods_json_arr_len(a);
	for (i = 0; i < n; i++)
		if ((s = ods_json_arr_str(a, i)) == NULL || *s == '\0' ||
		    strlen(s) > ODS_DSET_TAG_MAX || n > ODS_DSET_TAGS_MAX) {
			ods_why_set(why, "tags", "tags are at most %d strings "
			    "of 1 to %d bytes", ODS_DSET_TAGS_MAX,
			    ODS_DSET_TAG_MAX);
			return ODS_EINVAL;
		}
	*dst = ods_json_text(a);
	return ODS_OK;
}

/* schema:{columns:[...]} (or columns:[...]) into the spec. */
static enum ods_err
cols_of(struct ods_req *r, struct json_object *o, struct ods_dset_spec *sp,
    struct ods_why *why)
{
	struct json_object	*s = NULL, *a = NULL, *c;
	struct ods_dset_col	*cols;
	enum ods_err		 er;
	const char		*v;
	int			 b;
	size_t			 i, n;

	if ((er = ods_json_obj(o, "schema", 0, &s, why)) == ODS_OK)
		er = ods_json_arr(s, "columns", 0, &a, why);
	else if (er == ODS_ENOTFOUND)
		er = ods_json_arr(o, "columns", 0, &a, why);
	if (er == ODS_ENOTFOUND)
		return ODS_OK;
	if (er != ODS_OK)
		return er;
	n = ods_json_arr_len(a);
	if (n > ODS_DSET_COLS_MAX) {
		ods_why_set(why, "schema.columns", "at most %d columns",
		    ODS_DSET_COLS_MAX);
		return ODS_EINVAL;
	}
	cols = ods_req_alloc(r, (n + 1) * sizeof(*cols));
	for (i = 0; i < n; i++) {
		c = ods_json_arr_get(a, i);
		if (!ods_json_is_obj(c) || (v = ods_json_get_str(c,
		    "name")) == NULL) {
			ods_why_set(why, "schema.columns", "column %zu is an "
			    "object with a name", i);
			return ODS_EINVAL;
		}
		cols[i].name = (char *)v;
		cols[i].type = (char *)ods_json_get_str(c, "type");
		cols[i].description = (char *)ods_json_get_str(c,
		    "description");
		b = 1;
		if (ods_json_bool(c, "nullable", 0, &b, NULL) == ODS_EINVAL) {
			ods_why_set(why, "schema.columns", "column %zu: "
			    "nullable is a boolean", i);
			return ODS_EINVAL;
		}
		cols[i].nullable = b;
	}
	sp->set_cols = 1;
	sp->cols = cols;
	sp->ncols = n;
	return ODS_OK;
}

static enum ods_err
spec_of(struct ods_req *r, struct json_object *o, struct ods_dset_spec *sp,
    struct ods_why *why)
{
	enum ods_err	er;

	ods_dset_spec_init(sp);
	if ((er = h_optstr(o, "name", 400, &sp->name, why)) != ODS_OK ||
	    (er = h_optstr(o, "dataset_id", ODS_DSET_ID_MAX, &sp->dataset_id,
	    why)) != ODS_OK ||
	    (er = h_optstr(o, "description", 2000, &sp->description, why)) !=
	    ODS_OK ||
	    (er = h_optstr(o, "storage_type", 16, &sp->storage_type, why)) !=
	    ODS_OK ||
	    (er = h_optstr(o, "storage_path", ODS_DSET_PATH_MAX,
	    &sp->storage_path, why)) != ODS_OK ||
	    (er = h_optstr(o, "format", 16, &sp->format, why)) != ODS_OK ||
	    (er = h_optstr(o, "status", 16, &sp->status, why)) != ODS_OK ||
	    (er = h_optstr(o, "visibility", 16, &sp->visibility, why)) !=
	    ODS_OK ||
	    (er = opt_int(o, "row_count", &sp->row_count, why)) != ODS_OK ||
	    (er = opt_int(o, "size_bytes", &sp->size_bytes, why)) != ODS_OK ||
	    (er = tags_of(o, &sp->tags, why)) != ODS_OK)
		return er;
	return cols_of(r, o, sp, why);
}

static enum ods_status
send_dset(struct ods_resp *w, enum ods_status st, const struct ods_dset *d,
    const char *msg)
{
	ods_dset_json(ods_resp_envelope(w, st, msg), d);
	return ods_resp_send(w);
}

enum ods_status
h_datasets_list(struct ods_req *r, struct ods_resp *w)
{
	struct ods_dset_filter	 f;
	struct ods_dset		*v = NULL;
	struct ods_page		 pg;
	struct ods_jw		*jw;
	enum ods_status		 hs;
	enum ods_err		 er;
	int64_t			 total = 0;
	size_t			 n = 0, i;

	if (ods_req_page(r, 50, &pg) != ODS_OK)
		return ods_resp_bad_page(w);
	memset(&f, 0, sizeof(f));
	f.status = ods_req_query(r, "status");
	f.format = ods_req_query(r, "format");
	f.tag = ods_req_query(r, "tags");
	if (f.tag == NULL)
		f.tag = ods_req_query(r, "tag");
	if ((f.q = ods_req_query(r, "q")) == NULL &&
	    (f.q = ods_req_query(r, "search")) == NULL)
		f.q = ods_req_query(r, "keyword");
	if ((f.status != NULL && *f.status == '\0') ||
	    (f.format != NULL && *f.format == '\0'))
		f.status = f.format = NULL;
	if (f.tag != NULL && (*f.tag == '\0' || strlen(f.tag) > 64))
		f.tag = NULL;
	if (f.q != NULL && (*f.q == '\0' || strlen(f.q) > 255))
		f.q = NULL;
	er = ods_dset_list(ods_req_db(r), h_owner(r), &f, (size_t)pg.offset,
	    (size_t)pg.page_size, &v, &n, &total);
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not list the datasets");
	jw = ods_resp_list_begin(w, "datasets");
	for (i = 0; i < n; i++)
		ods_dset_json(jw, &v[i]);
	ods_jw_end(jw);
	ods_resp_list_end(jw, &pg, total);
	hs = ods_resp_send(w);
	ods_dset_list_free(v, n);
	return hs;
}

enum ods_status
h_datasets_create(struct ods_req *r, struct ods_resp *w)
{
	struct json_object	*o = NULL;
	struct ods_dset_spec	 sp;
	struct ods_dset		*d = NULL;
	struct ods_why		 why;
	enum ods_status		 hs;
	enum ods_err		 er;

	memset(&why, 0, sizeof(why));
	if ((er = ods_req_json(r, &o, &why)) != ODS_OK ||
	    (er = spec_of(r, o, &sp, &why)) != ODS_OK)
		return ods_resp_input_error(w, er, &why);
	if (sp.storage_type == NULL && ods_req_obj(r) != NULL)
		sp.storage_type = strcmp(ods_obj_backend(ods_req_obj(r)),
		    "s3") == 0 ? "s3" : "local";
	er = ods_dset_create(ods_req_db(r), &sp, h_user(r), &d, &why);
	if (er == ODS_ECONFLICT)
		return ods_resp_error_ex(w, er, ODS_C_DATASET_EXISTS,
		    "conflict", "a dataset with this dataset_id exists");
	if (er == ODS_EINVAL)
		return ods_resp_input_error(w, er, &why);
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not create the dataset");
	hs = send_dset(w, ODS_HTTP_201, d, "Dataset created successfully");
	ods_dset_free(d);
	return hs;
}

enum ods_status
h_datasets_get(struct ods_req *r, struct ods_resp *w)
{
	struct ods_dset	*d;
	enum ods_status	 hs;

	if ((d = dset_of(r, w, &hs)) == NULL)
		return hs;
	hs = send_dset(w, ODS_HTTP_200, d, NULL);
	ods_dset_free(d);
	return hs;
}

enum ods_status
h_datasets_update(struct ods_req *r, struct ods_resp *w)
{
	struct json_object	*o = NULL;
	struct ods_dset_spec	 sp;
	struct ods_dset		*d;
	struct ods_why		 why;
	enum ods_status		 hs;
	enum ods_err		 er;

	memset(&why, 0, sizeof(why));
	if ((er = ods_req_json(r, &o, &why)) != ODS_OK ||
	    (er = spec_of(r, o, &sp, &why)) != ODS_OK)
		return ods_resp_input_error(w, er, &why);
	if (sp.dataset_id != NULL && strcmp(sp.dataset_id,
	    ods_req_param(r, "id")) != 0) {
		ods_why_set(&why, "dataset_id", "dataset_id cannot change");
		return ods_resp_input_error(w, ODS_EINVAL, &why);
	}
	sp.dataset_id = NULL;
	if ((d = dset_of(r, w, &hs)) == NULL)
		return hs;
	er = ods_dset_update(ods_req_db(r), d, &sp, h_owner(r), &why);
	if (er == ODS_EFORBIDDEN)
		hs = h_not_owner(w, "a dataset");
	else if (er == ODS_EINVAL)
		hs = ods_resp_input_error(w, er, &why);
	else if (er != ODS_OK)
		hs = ods_resp_error(w, er, "could not update the dataset");
	else
		hs = send_dset(w, ODS_HTTP_200, d, "Dataset updated "
		    "successfully");
	ods_dset_free(d);
	return hs;
}

enum ods_status
h_datasets_delete(struct ods_req *r, struct ods_resp *w)
{
	struct ods_dset	*d;
	enum ods_status	 hs;
	enum ods_err	 er;

	if ((d = dset_of(r, w, &hs)) == NULL)
		return hs;
	er = ods_dset_delete(ods_req_db(r), d, h_owner(r));
	ods_dset_free(d);
	if (er == ODS_EFORBIDDEN)
		return h_not_owner(w, "a dataset");
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not delete the dataset");
	ods_jw_null(ods_resp_envelope(w, ODS_HTTP_200, "success"));
	return ods_resp_send(w);
}

/* ---- versions ---- */

static enum ods_status
send_version(struct ods_resp *w, const struct ods_dsver *v,
    const struct ods_dset_scan *sc)
{
	struct ods_jw	*jw = ods_resp_envelope(w, ODS_HTTP_201,
	    "Version created successfully");
	size_t		 i;

	/* The version, with the columns its head gave. */
	ods_jw_obj(jw);
	ods_dsver_json_fields(jw, v);
	if (sc != NULL && sc->tab != NULL) {
		ods_jw_key(jw, "columns");
		ods_jw_arr(jw);
		for (i = 0; i < sc->tab->ncols; i++) {
			ods_jw_obj(jw);
			ods_jw_kstr(jw, "name", sc->tab->cols[i].name);
			ods_jw_kstr(jw, "type",
			    ods_tab_type_name(sc->tab->cols[i].type));
			ods_jw_kbool(jw, "nullable", sc->tab->cols[i].nullable);
			ods_jw_end(jw);
		}
		ods_jw_end(jw);
	} else if (sc != NULL && sc->why[0] != '\0')
		ods_jw_kstr(jw, "parse_error", sc->why);
	ods_jw_end(jw);
	return ods_resp_send(w);
}

/* The formats without a reader, by extension (NULL: not one of them). */
static const char *
other_format(const char *file_name)
{
	const char	*dot;

	if (file_name == NULL || (dot = strrchr(file_name, '.')) == NULL)
		return NULL;
	if (strcasecmp(dot, ".parquet") == 0)
		return "parquet";
	if (strcasecmp(dot, ".xlsx") == 0 || strcasecmp(dot, ".xls") == 0)
		return "excel";
	return NULL;
}

/* A version of d from a scanned object key. */
static enum ods_status
make_version(struct ods_req *r, struct ods_resp *w, const struct ods_dset *d,
    const char *key, const char *file_name, const char *ctype,
    const char *description, const char *upload_id,
    const struct ods_dset_scan *sc, struct ods_dsver **out)
{
	struct ods_dsver_spec	 vs;
	struct ods_dsver	*v = NULL;
	enum ods_tab_format	 f;
	enum ods_err		 er;
	enum ods_status		 hs;

	memset(&vs, 0, sizeof(vs));
	vs.storage_path = key;
	vs.description = description;
	vs.row_count = (int64_t)sc->rows;
	vs.size_bytes = (int64_t)sc->size;
	vs.checksum = sc->sha256;
	vs.file_name = file_name;
	vs.content_type = ctype;
	f = ods_tab_format_of_file(file_name);
	vs.format = f != ODS_TAB_UNKNOWN ? ods_tab_format_name(f) :
	    other_format(file_name);
	vs.has_header = sc->header;
	vs.charset = sc->charset[0] != '\0' ? sc->charset : NULL;
	vs.upload_id = upload_id;
	vs.tab = sc->tab;
	er = ods_dsver_add(ods_req_db(r), d, &vs, h_user(r), &v);
	if (er == ODS_EFORBIDDEN)
		return h_not_owner(w, "a dataset");
	if (er == ODS_ECONFLICT)
		return ods_resp_error_ex(w, er, ODS_C_CONFLICT, "conflict",
		    "the dataset is deleted");
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not record the version");
	if (out != NULL) {
		*out = v;
		return 0;
	}
	hs = send_version(w, v, sc);
	ods_dsver_free(v);
	return hs;
}

enum ods_status
h_datasets_versions(struct ods_req *r, struct ods_resp *w)
{
	struct ods_dsver	*v = NULL;
	struct ods_dset		*d;
	struct ods_page		 pg;
	struct ods_jw		*jw;
	enum ods_status		 hs;
	enum ods_err		 er;
	int64_t			 total = 0;
	size_t			 n = 0, i;

	if (ods_req_page(r, 50, &pg) != ODS_OK)
		return ods_resp_bad_page(w);
	if ((d = dset_of(r, w, &hs)) == NULL)
		return hs;
	er = ods_dsver_list(ods_req_db(r), d->dataset_id, (size_t)pg.offset,
	    (size_t)pg.page_size, &v, &n, &total);
	ods_dset_free(d);
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not list the versions");
	jw = ods_resp_list_begin(w, "versions");
	for (i = 0; i < n; i++)
		ods_dsver_json(jw, &v[i]);
	ods_jw_end(jw);
	ods_resp_list_end(jw, &pg, total);
	hs = ods_resp_send(w);
	ods_dsver_list_free(v, n);
	return hs;
}

static int
sha_ok(const char *s)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'f') || (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	return i == 64;
}

/* Complete upload upload_id of d: read the object, make the version. */
static enum ods_status
complete(struct ods_req *r, struct ods_resp *w, struct ods_dset *d,
    const char *upload_id, const char *want_sha, const char *description)
{
	struct ods_dset_scan	 sc;
	struct ods_obj_info	 info;
	struct ods_dsup		*u = NULL;
	struct ods_dsver	*v = NULL;
	enum ods_status		 hs;
	enum ods_err		 er;
	int			 fmt;

	memset(&sc, 0, sizeof(sc));
	er = ods_dsup_get(ods_req_db(r), d->dataset_id, upload_id, &u);
	if (er == ODS_ENOTFOUND)
		return not_found(w, "no such upload");
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not read the upload");
	if (strcmp(u->status, "pending") != 0) {
		hs = ods_resp_error_ex(w, ODS_ECONFLICT, ODS_C_CONFLICT,
		    "conflict", "the upload was completed already");
		goto out;
	}
	er = ods_obj_head(ods_req_obj(r), u->storage_path, &info);
	if (er == ODS_ENOTFOUND) {
		hs = ods_resp_error_ex(w, ODS_ECONFLICT, ODS_C_CONFLICT,
		    "conflict", "nothing was uploaded to the URL yet");
		goto out;
	}
	if (er != ODS_OK) {
		hs = ods_resp_error(w, er, "could not read the upload");
		goto out;
	}
	if ((er = ods_dsup_claim(ods_req_db(r), u)) != ODS_OK) {
		hs = er == ODS_ECONFLICT ? ods_resp_error_ex(w, er,
		    ODS_C_CONFLICT, "conflict", "the upload was completed "
		    "already") : ods_resp_error(w, er, "could not complete "
		    "the upload");
		goto out;
	}
	if ((fmt = ods_tab_format_of_file(u->file_name)) == ODS_TAB_UNKNOWN)
		fmt = ods_dset_tab_format(d, NULL);
	er = ods_dset_scan_obj(ods_req_obj(r), u->storage_path, fmt, &sc);
	if (er != ODS_OK) {
		ods_dsup_reopen(ods_req_db(r), u);
		hs = ods_resp_error(w, er, "could not read the upload");
		goto out;
	}
	if (want_sha != NULL && strcasecmp(want_sha, sc.sha256) != 0) {
		ods_dsup_reopen(ods_req_db(r), u);
		hs = ods_resp_error_ex(w, ODS_EINVAL, ODS_C_INVALID_FIELD,
		    "checksum_mismatch", "sha256 differs from the SHA-256 of "
		    "the bytes uploaded");
		goto out;
	}
	hs = make_version(r, w, d, u->storage_path, u->file_name,
	    u->content_type, description, u->upload_id, &sc, &v);
	if (v == NULL) {
		ods_dsup_reopen(ods_req_db(r), u);
		goto out;
	}
	if (ods_dsup_complete(ods_req_db(r), u, (int64_t)sc.size, sc.sha256,
	    v->version_id) != ODS_OK)
		ods_log(ODS_LOG_WARN, "dataset_upload_record_failed upload=%s",
		    u->upload_id);
	hs = send_version(w, v, &sc);
out:
	ods_dsver_free(v);
	ods_dsup_free(u);
	ods_dset_scan_fini(&sc);
	return hs;
}

enum ods_status
h_datasets_upload_complete(struct ods_req *r, struct ods_resp *w)
{
	struct json_object	*o = NULL;
	struct ods_dset		*d;
	struct ods_why		 why;
	const char		*sha = NULL, *desc = NULL;
	enum ods_status		 hs;
	enum ods_err		 er;

	memset(&why, 0, sizeof(why));
	if (ods_req_obj(r) == NULL)
		return no_store(w);
	if (ods_req_content_length(r) > 0 &&
	    ((er = ods_req_json(r, &o, &why)) != ODS_OK ||
	    (er = h_optstr(o, "sha256", 64, &sha, &why)) != ODS_OK ||
	    (er = h_optstr(o, "description", 2000, &desc, &why)) != ODS_OK))
		return ods_resp_input_error(w, er, &why);
	if (sha != NULL && !sha_ok(sha)) {
		ods_why_set(&why, "sha256", "sha256 is 64 hex digits");
		return ods_resp_input_error(w, ODS_EINVAL, &why);
	}
	if ((d = dset_writable(r, w, &hs)) == NULL)
		return hs;
	hs = complete(r, w, d, ods_req_param(r, "upload_id"), sha, desc);
	ods_dset_free(d);
	return hs;
}

/* POST /versions {storage_path}: an object under datasets/<id>/. */
static enum ods_status
register_object(struct ods_req *r, struct ods_resp *w, struct ods_dset *d,
    const char *key, const char *checksum, const char *description)
{
	struct ods_dset_scan	 sc;
	struct ods_why		 why;
	const char		*name;
	char			 prefix[ODS_DSET_ID_MAX + 16];
	enum ods_status		 hs;
	enum ods_err		 er;
	int			 fmt;

	memset(&why, 0, sizeof(why));
	snprintf(prefix, sizeof(prefix), ODS_DSET_OBJ_PREFIX "/%s/",
	    d->dataset_id);
	if (strncmp(key, prefix, strlen(prefix)) != 0 ||
	    ods_obj_key_check(key) != ODS_OK || strstr(key, "..") != NULL) {
		ods_why_set(&why, "storage_path", "storage_path is the key of "
		    "an object under %s", prefix);
		return ods_resp_input_error(w, ODS_EINVAL, &why);
	}
	name = strrchr(key, '/') + 1;
	if ((fmt = ods_tab_format_of_file(name)) == ODS_TAB_UNKNOWN)
		fmt = ods_dset_tab_format(d, NULL);
	er = ods_dset_scan_obj(ods_req_obj(r), key, fmt, &sc);
	if (er == ODS_ENOTFOUND) {
		ods_why_set(&why, "storage_path", "no object %s", key);
		return ods_resp_input_error(w, ODS_EINVAL, &why);
	}
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not read the object");
	if (checksum != NULL && strcasecmp(checksum, sc.sha256) != 0) {
		ods_dset_scan_fini(&sc);
		return ods_resp_error_ex(w, ODS_EINVAL, ODS_C_INVALID_FIELD,
		    "checksum_mismatch", "checksum differs from the SHA-256 "
		    "of the object");
	}
	hs = make_version(r, w, d, key, name, NULL,
	    description, NULL, &sc, NULL);
	ods_dset_scan_fini(&sc);
	return hs;
}

enum ods_status
h_datasets_version_add(struct ods_req *r, struct ods_resp *w)
{
	struct json_object	*o = NULL;
	struct ods_dset		*d;
	struct ods_why		 why;
	const char		*up = NULL, *path = NULL, *sum = NULL;
	const char		*desc = NULL;
	enum ods_status		 hs;
	enum ods_err		 er;

	memset(&why, 0, sizeof(why));
	if ((er = ods_req_json(r, &o, &why)) != ODS_OK ||
	    (er = h_optstr(o, "upload_id", 64, &up, &why)) != ODS_OK ||
	    (er = h_optstr(o, "storage_path", ODS_DSET_PATH_MAX, &path,
	    &why)) != ODS_OK ||
	    (er = h_optstr(o, "checksum", 64, &sum, &why)) != ODS_OK ||
	    (sum == NULL && (er = h_optstr(o, "sha256", 64, &sum, &why)) !=
	    ODS_OK) ||
	    (er = h_optstr(o, "description", 2000, &desc, &why)) != ODS_OK)
		return ods_resp_input_error(w, er, &why);
	if (up == NULL && path == NULL) {
		ods_why_set(&why, "storage_path", "storage_path (an object of "
		    "the dataset) or upload_id is required");
		return ods_resp_input_error(w, ODS_EINVAL, &why);
	}
	if (sum != NULL && !sha_ok(sum)) {
		ods_why_set(&why, "checksum", "checksum is a SHA-256: 64 hex "
		    "digits");
		return ods_resp_input_error(w, ODS_EINVAL, &why);
	}
	if (ods_req_obj(r) == NULL)
		return no_store(w);
	if ((d = dset_writable(r, w, &hs)) == NULL)
		return hs;
	if (up != NULL)
		hs = complete(r, w, d, up, sum, desc);
	else
		hs = register_object(r, w, d, path, sum, desc);
	ods_dset_free(d);
	return hs;
}

/* ---- multipart upload ---- */

/*
 * The rows of an upload are counted as it is spooled: the scanner of the
 * dataset's format (else the file name's) sees every piece.
 */
struct upload_tap {
	struct ods_multipart_spool	*sp;
	int				 fmt;
	struct ods_dset_scanner		*scan;
	int				 failed;	/* no scanner */
};

static void
tap_piece(void *arg, const char *p, size_t n)
{
	struct upload_tap	*t = arg;
	enum ods_tab_format	 f;

	if (t->failed)
		return;
	if (t->scan == NULL) {	/* the first piece: the name is known */
		if ((f = ods_tab_format_of_file(t->sp->name)) !=
		    ODS_TAB_UNKNOWN)
			t->fmt = (int)f;
		if ((t->scan = ods_dset_scanner_new(t->fmt)) == NULL) {
			t->failed = 1;
			return;
		}
	}
	ods_dset_scanner_feed(t->scan, p, n);
}

enum ods_status
h_datasets_upload(struct ods_req *r, struct ods_resp *w)
{
	struct ods_multipart_spool	 sp;
	struct upload_tap		 tap;
	struct ods_multipart_sink	 sink;
	struct ods_multipart_form	 form;
	const struct ods_multipart_field *fd;
	struct ods_dset_scan		 sc;
	struct ods_obj_info		 info;
	struct ods_dset			*d;
	struct ods_why			 why;
	char				 dir[3000], key[ODS_DSET_PATH_MAX + 1];
	char				 upid[24];
	enum ods_status			 hs;
	enum ods_err			 er;

	if (ods_req_obj(r) == NULL)
		return no_store(w);
	/* Who may write is known before a byte of the body is read. */
	if ((d = dset_writable(r, w, &hs)) == NULL)
		return hs;
	memset(&sc, 0, sizeof(sc));
	memset(&why, 0, sizeof(why));
	snprintf(dir, sizeof(dir), "%s/tmp", ods_req_conf(r)->data_dir);
	/* The scanner hashes the bytes: the spool need not. */
	ods_multipart_spool_init(&sp, dir, "dataset", "data", 0);
	memset(&tap, 0, sizeof(tap));
	tap.sp = &sp;
	tap.fmt = ods_dset_tab_format(d, NULL);
	sp.tap = tap_piece;
	sp.tap_arg = &tap;
	sink = ods_multipart_spool_sink(&sp);
	er = ods_multipart_read(r, &sink, NULL, &form, &why);
	if (er == ODS_OK && (sp.nfiles == 0 || sp.fd < 0)) {
		ods_why_set(&why, "file", "the field 'file' is required");
		er = ODS_EINVAL;
	}
	if (er == ODS_OK && (tap.failed || (tap.scan == NULL &&	/* empty */
	    (tap.scan = ods_dset_scanner_new(tap.fmt)) == NULL)))
		er = ODS_ENOMEM;
	if (er != ODS_OK) {
		hs = ods_resp_input_error(w, er, &why);
		goto out;
	}
	ods_dset_scanner_end(tap.scan, &sc);
	tap.scan = NULL;
	ods_dsup_new_id(upid);
	ods_dset_obj_key(d->dataset_id, upid, sp.name, key, sizeof(key));
	if (ods_multipart_spool_rewind(&sp) != ODS_OK) {
		hs = ods_resp_error(w, ODS_EIO, "could not read the upload "
		    "back");
		goto out;
	}
	er = ods_obj_put(ods_req_obj(r), key, sp.ctype, sc.sha256, 0,
	    ods_multipart_spool_read, &sp, &info);
	if (er != ODS_OK) {
		hs = ods_resp_error(w, er, "could not store the file");
		goto out;
	}
	ods_multipart_spool_drop(&sp);
	fd = ods_multipart_field(&form, "description");
	hs = make_version(r, w, d, key, sp.name, sp.ctype, fd != NULL &&
	    strlen(fd->value) == fd->len ? fd->value : NULL, upid, &sc, NULL);
	if (hs != ODS_HTTP_201 && ods_obj_delete(ods_req_obj(r), key) !=
	    ODS_OK)
		ods_log(ODS_LOG_WARN, "dataset_object_orphan key=%s", key);
out:
	ods_multipart_spool_drop(&sp);
	if (tap.scan != NULL) {
		struct ods_dset_scan	left;

		ods_dset_scanner_end(tap.scan, &left);
		ods_dset_scan_fini(&left);
	}
	ods_dset_scan_fini(&sc);
	ods_dset_free(d);
	return hs;
}

/* ---- presigned URLs ---- */

static void
iso_in(int seconds, char *out, size_t len)
{
	time_t		t = time(NULL) + seconds;
	struct tm	tm;

	gmtime_r(&t, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *
bucket_of(struct ods_req *r)
{
	const struct ods_conf	*c = ods_req_conf(r);

	if (strcmp(ods_obj_backend(ods_req_obj(r)), "s3") != 0)
		return "";
	if (c->minio_bucket != NULL && *c->minio_bucket != '\0')
		return c->minio_bucket;
	return c->minio_default_bucket != NULL ? c->minio_default_bucket : "";
}

static enum ods_status
upload_url(struct ods_req *r, struct ods_resp *w, struct ods_dset *d,
    const char *file_name, const char *ctype, int64_t expires,
    int access_shape)
{
	struct ods_dsup	*u = NULL;
	struct ods_jw	*jw;
	char		*url = NULL, at[32], done[256];
	enum ods_status	 hs;
	enum ods_err	 er;

	er = ods_dsup_create(ods_req_db(r), d, file_name, ctype, (int)expires,
	    h_user(r), &u);
	if (er == ODS_EFORBIDDEN)
		return h_not_owner(w, "a dataset");
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not record the upload");
	er = ods_obj_presign(ods_req_obj(r), "PUT", u->storage_path,
	    (int)expires, time(NULL), &url);
	if (er != ODS_OK) {
		ods_dsup_free(u);
		return ods_resp_error(w, er, "could not sign the URL");
	}
	iso_in((int)expires, at, sizeof(at));
	snprintf(done, sizeof(done), "/api/v1/datasets/%s/uploads/%s/complete",
	    d->dataset_id, u->upload_id);
	jw = ods_resp_envelope(w, ODS_HTTP_200, NULL);
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "upload_id", u->upload_id);
	ods_jw_kstr(jw, "file_id", u->upload_id);
	ods_jw_kstr(jw, "upload_url", url);
	ods_jw_kstr(jw, "url", url);
	if (access_shape)
		ods_jw_kstr(jw, "presigned_url", url);
	ods_jw_kstr(jw, "method", "PUT");
	ods_jw_kint(jw, "expires_in", expires);
	ods_jw_kstr(jw, "expires_at", at);
	ods_jw_kstr(jw, "bucket", bucket_of(r));
	ods_jw_kstr(jw, "object_path", u->storage_path);
	ods_jw_kstr(jw, "complete_url", done);
	if (access_shape)
		ods_jw_kstr(jw, "operation", "upload");
	ods_jw_end(jw);
	hs = ods_resp_send(w);
	free(url);
	ods_dsup_free(u);
	return hs;
}

/* {file_name, content_type, expires} of an upload request. */
static enum ods_err
upload_args(struct json_object *o, const char **name, const char **ctype,
    int64_t *expires, struct ods_why *why)
{
	enum ods_err	er;

	if ((er = ods_json_str(o, "file_name", 1, ODS_DSET_FILE_MAX, name,
	    why)) != ODS_OK)
		return er;
	if (**name == '\0') {
		ods_why_set(why, "file_name", "file_name is required");
		return ODS_EINVAL;
	}
	if ((er = h_optstr(o, "content_type", 127, ctype, why)) != ODS_OK)
		return er;
	if ((er = ods_json_int(o, "expires", 0, 1, EXPIRES_MAX, expires,
	    why)) != ODS_OK && er != ODS_ENOTFOUND)
		return er;
	if (er == ODS_ENOTFOUND && (er = ods_json_int(o, "expires_in", 0, 1,
	    EXPIRES_MAX, expires, why)) != ODS_OK && er != ODS_ENOTFOUND)
		return er;
	return ODS_OK;
}

enum ods_status
h_datasets_upload_url(struct ods_req *r, struct ods_resp *w)
{
	struct json_object	*o = NULL;
	struct ods_dset		*d;
	struct ods_why		 why;
	const char		*name = NULL, *ctype = NULL;
	int64_t			 expires = 3600;
	enum ods_status		 hs;
	enum ods_err		 er;

	memset(&why, 0, sizeof(why));
	if ((er = ods_req_json(r, &o, &why)) != ODS_OK ||
	    (er = upload_args(o, &name, &ctype, &expires, &why)) != ODS_OK)
		return ods_resp_input_error(w, er, &why);
	if (ods_req_obj(r) == NULL)
		return no_store(w);
	if ((d = dset_writable(r, w, &hs)) == NULL)
		return hs;
	hs = upload_url(r, w, d, name, ctype, expires, 0);
	ods_dset_free(d);
	return hs;
}

enum ods_status
h_datasets_access(struct ods_req *r, struct ods_resp *w)
{
	struct json_object	*o = NULL;
	struct ods_dsver	*v = NULL;
	struct ods_dset		*d;
	struct ods_why		 why;
	struct ods_jw		*jw;
	const char		*op = "download", *name = NULL, *ctype = NULL;
	char			*url = NULL, at[32];
	int64_t			 expires = 3600, ver = 0;
	enum ods_status		 hs;
	enum ods_err		 er;

	memset(&why, 0, sizeof(why));
	if (ods_req_content_length(r) > 0 &&
	    ((er = ods_req_json(r, &o, &why)) != ODS_OK ||
	    (er = h_optstr(o, "operation", 16, &op, &why)) != ODS_OK))
		return ods_resp_input_error(w, er, &why);
	if (strcmp(op, "download") != 0 && strcmp(op, "upload") != 0) {
		ods_why_set(&why, "operation", "operation is download or "
		    "upload");
		return ods_resp_input_error(w, ODS_EINVAL, &why);
	}
	if (strcmp(op, "upload") == 0) {
		if ((er = upload_args(o, &name, &ctype, &expires, &why)) !=
		    ODS_OK)
			return ods_resp_input_error(w, er, &why);
	} else if (o != NULL &&
	    (((er = ods_json_int(o, "expires", 0, 1, EXPIRES_MAX, &expires,
	    &why)) != ODS_OK && er != ODS_ENOTFOUND) ||
	    ((er = ods_json_int(o, "version", 0, 1, INT32_MAX, &ver,
	    &why)) != ODS_OK && er != ODS_ENOTFOUND)))
		return ods_resp_input_error(w, er, &why);
	if (ods_req_obj(r) == NULL)
		return no_store(w);
	if (strcmp(op, "upload") == 0) {
		if ((d = dset_writable(r, w, &hs)) == NULL)
			return hs;
		hs = upload_url(r, w, d, name, ctype, expires, 1);
		ods_dset_free(d);
		return hs;
	}
	if ((d = dset_of(r, w, &hs)) == NULL)
		return hs;
	er = ods_dsver_get(ods_req_db(r), d->dataset_id, ver, &v);
	ods_dset_free(d);
	if (er == ODS_ENOTFOUND)
		return not_found(w, ver > 0 ? "no such version" :
		    "the dataset has no file yet");
	if (er == ODS_OK)
		er = ods_obj_presign(ods_req_obj(r), "GET", v->storage_path,
		    (int)expires, time(NULL), &url);
	if (er != ODS_OK) {
		ods_dsver_free(v);
		return ods_resp_error(w, er, "could not sign the URL");
	}
	iso_in((int)expires, at, sizeof(at));
	jw = ods_resp_envelope(w, ODS_HTTP_200, NULL);
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "presigned_url", url);
	ods_jw_kstr(jw, "url", url);
	ods_jw_kstr(jw, "method", "GET");
	ods_jw_kstr(jw, "bucket", bucket_of(r));
	ods_jw_kstr(jw, "object_path", v->storage_path);
	ods_jw_kint(jw, "expires_in", expires);
	ods_jw_kstr(jw, "expires_at", at);
	ods_jw_kstr(jw, "operation", "download");
	ods_jw_kint(jw, "version_number", v->number);
	ods_jw_kstr(jw, "sha256", v->checksum);
	ods_jw_kint(jw, "size_bytes", v->size_bytes);
	ods_jw_end(jw);
	hs = ods_resp_send(w);
	free(url);
	ods_dsver_free(v);
	return hs;
}

/* ---- preview ---- */

struct where {
	size_t	line;
};

static void
where_extra(struct ods_jw *jw, const void *arg)
{
	const struct where	*wh = arg;

	ods_jw_kint(jw, "line", (int64_t)wh->line);
}

/* A cell as its column's type says. */
static void
cell_json(struct ods_jw *jw, const char *s, enum ods_tab_type t)
{
	if (s == NULL) {
		ods_jw_null(jw);
		return;
	}
	switch (t) {
	case ODS_TAB_T_INT:
	case ODS_TAB_T_NUMBER:
		/* The reader checked JSON's number grammar. */
		ods_jw_raw(jw, s, strlen(s));
		break;
	case ODS_TAB_T_BOOL:
		ods_jw_bool(jw, strcasecmp(s, "true") == 0);
		break;
	case ODS_TAB_T_JSON:
		ods_jw_raw(jw, s, strlen(s));
		break;
	default:
		ods_jw_str(jw, s);
		break;
	}
}

static enum ods_status
send_preview(struct ods_resp *w, const struct ods_dset *d,
    const struct ods_dsver *v, int fmt, const struct ods_tab *t)
{
	struct ods_jw	*jw;
	char		 delim[2] = { t->delim, '\0' };
	size_t		 i, j;

	jw = ods_resp_envelope(w, ODS_HTTP_200, NULL);
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "dataset_id", d->dataset_id);
	ods_jw_kint(jw, "version", v->number);
	ods_jw_kstr(jw, "format", ods_tab_format_name(fmt));
	ods_jw_kstr(jw, "charset", t->charset);
	if (fmt == ODS_TAB_CSV || fmt == ODS_TAB_TSV) {
		ods_jw_kstr(jw, "delimiter", delim);
		ods_jw_kbool(jw, "has_header", t->header);
	}
	ods_jw_key(jw, "columns");
	ods_jw_arr(jw);
	for (j = 0; j < t->ncols; j++) {
		ods_jw_obj(jw);
		ods_jw_kstr(jw, "name", t->cols[j].name);
		ods_jw_kstr(jw, "type", ods_tab_type_name(t->cols[j].type));
		ods_jw_kbool(jw, "nullable", t->cols[j].nullable);
		ods_jw_end(jw);
	}
	ods_jw_end(jw);
	ods_jw_key(jw, "rows");
	ods_jw_arr(jw);
	for (i = 0; i < t->nrows; i++) {
		ods_jw_obj(jw);
		for (j = 0; j < t->ncols; j++) {
			ods_jw_key(jw, t->cols[j].name);
			cell_json(jw, ods_tab_cell(t, i, j), t->cols[j].type);
		}
		ods_jw_end(jw);
	}
	ods_jw_end(jw);
	ods_jw_kint(jw, "total_rows", v->row_count);
	ods_jw_kint(jw, "row_count", v->row_count);
	ods_jw_kint(jw, "preview_rows", (int64_t)t->nrows);
	ods_jw_kbool(jw, "truncated", t->more);
	ods_jw_end(jw);
	return ods_resp_send(w);
}

enum ods_status
h_datasets_preview(struct ods_req *r, struct ods_resp *w)
{
	struct ods_dsver	*v = NULL;
	struct ods_dset		*d;
	struct ods_tab		*t = NULL;
	struct ods_why		 why;
	struct ods_error	 e;
	struct where		 wh;
	const char		*hint;
	int64_t			 limit, ver;
	enum ods_status		 hs;
	enum ods_err		 er;
	int			 fmt;

	memset(&why, 0, sizeof(why));
	if (ods_req_query_int(r, "limit", PREVIEW_ROWS, 1, ODS_TAB_ROWS_MAX,
	    &limit) != ODS_OK) {
		ods_why_set(&why, "limit", "limit is an integer from 1 to %d",
		    ODS_TAB_ROWS_MAX);
		return ods_resp_input_error(w, ODS_EINVAL, &why);
	}
	if (ods_req_query_int(r, "version", 0, 0, INT32_MAX, &ver) !=
	    ODS_OK) {
		ods_why_set(&why, "version", "version is a version number");
		return ods_resp_input_error(w, ODS_EINVAL, &why);
	}
	if ((hint = ods_req_query(r, "encoding")) == NULL)
		hint = ods_req_query(r, "charset");
	if (hint != NULL && (*hint == '\0' || strlen(hint) > 31))
		hint = NULL;
	if (ods_req_obj(r) == NULL)
		return no_store(w);
	if ((d = dset_of(r, w, &hs)) == NULL)
		return hs;
	er = ods_dsver_get(ods_req_db(r), d->dataset_id, ver, &v);
	if (er != ODS_OK) {
		hs = er == ODS_ENOTFOUND ? not_found(w, ver > 0 ?
		    "no such version" : "the dataset has no file yet") :
		    ods_resp_error(w, er, "could not read the versions");
		goto out;
	}
	if ((fmt = ods_dset_tab_format(d, v)) == ODS_TAB_UNKNOWN) {
		hs = ods_resp_error_ex(w, ODS_EUNSUPPORTED,
		    ODS_C_UNSUPPORTED_MEDIA, "unsupported_format", "previews "
		    "read csv, tsv, json and jsonl files");
		goto out;
	}
	memset(&wh, 0, sizeof(wh));
	er = ods_dset_preview(ods_req_obj(r), v->storage_path, fmt,
	    (size_t)limit, hint, &t, &wh.line, &why);
	if (er == ODS_EMALFORMED || er == ODS_EUNSUPPORTED) {
		memset(&e, 0, sizeof(e));
		e.err = ODS_EMALFORMED;
		e.code = ODS_C_UNPROCESSABLE;
		e.slug = "malformed_file";
		e.msg = why.msg[0] != '\0' ? why.msg : "the file is not text";
		e.extra = where_extra;
		e.extra_arg = &wh;
		hs = ods_resp_fail(w, &e);
		goto out;
	}
	if (er == ODS_ENOTFOUND) {
		hs = not_found(w, "the version's file is missing from the "
		    "store");
		goto out;
	}
	if (er != ODS_OK) {
		hs = ods_resp_error(w, er, "could not read the file");
		goto out;
	}
	hs = send_preview(w, d, v, fmt, t);
out:
	ods_tab_free(t);
	ods_dsver_free(v);
	ods_dset_free(d);
	return hs;
}
