/*
 * fcgi/data/h_datasources.c — /datasources: list, create, read, update,
 * delete and the two connection tests. Lookups go through h_owner():
 * another user's private source is a 404.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ods.h"
#include "../../svc/data/datasource.h"
#include "../common/h_auth.h"
#include "h_datasources.h"

enum ods_err
h_data_init(const struct ods_req_env *env, void **ctx)
{
	struct ods_ds_ctx	*c = NULL;
	struct ods_why		 why;
	enum ods_err		 er;

	memset(&why, 0, sizeof(why));
	if ((er = ods_ds_ctx_new(env->conf, &c, &why)) != ODS_OK) {
		ods_log(ODS_LOG_ERR, "datasources_init field=%s why=%s",
		    why.field, why.msg);
		return er;
	}
	*ctx = c;
	return ODS_OK;
}

void
h_data_fini(void *ctx)
{
	ods_ds_ctx_free(ctx);
}

static const struct ods_ds_ctx *
ctx_of(struct ods_req *r)
{
	return ods_req_ctx(r);
}

static enum ods_status
not_found(struct ods_resp *w)
{
	return ods_resp_error_ex(w, ODS_ENOTFOUND, ODS_C_NOT_FOUND,
	    "not_found", "no such data source");
}

enum ods_err
h_optstr(struct json_object *o, const char *f, size_t max,
    const char **dst, struct ods_why *why)
{
	enum ods_err	er;

	if (o == NULL)
		return ODS_OK;
	er = ods_json_str(o, f, 0, max, dst, why);
	return er == ODS_ENOTFOUND ? ODS_OK : er;
}

/* tags: an array of at most ODS_DS_TAGS_MAX short strings, as JSON text. */
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
		if ((s = ods_json_arr_str(a, i)) == NULL || strlen(s) > 64 ||
		    n > ODS_DS_TAGS_MAX) {
			ods_why_set(why, "tags", "tags must be at most %d "
			    "strings of at most 64 bytes", ODS_DS_TAGS_MAX);
			return ODS_EINVAL;
		}
	*dst = ods_json_text(a);
	return ODS_OK;
}

/* The connection's keys, from connection:{} or flat on the body. */
static enum ods_err
conn_of(struct json_object *o, struct ods_ds_spec *sp, struct ods_why *why)
{
	struct json_object	*c = NULL, *p = NULL;
	const char		*keys[ODS_DS_PARAMS_MAX];
	const char		*vals[ODS_DS_PARAMS_MAX];
	enum ods_err		 er;
	size_t			 n;

	if ((er = ods_json_obj(o, "connection", 0, &c, why)) == ODS_ENOTFOUND)
		c = o;
	else if (er != ODS_OK)
		return er;
	if ((er = h_optstr(c, "host", ODS_DS_HOST_MAX, &sp->host, why)) !=
	    ODS_OK ||
	    (er = h_optstr(c, "username", ODS_DS_FIELD_MAX, &sp->username,
	    why)) != ODS_OK ||
	    (sp->username == NULL && (er = h_optstr(c, "user",
	    ODS_DS_FIELD_MAX, &sp->username, why)) != ODS_OK) ||
	    (er = h_optstr(c, "password", ODS_DS_PASSWORD_MAX, &sp->password,
	    why)) != ODS_OK ||
	    (er = h_optstr(c, "database", ODS_DS_FIELD_MAX, &sp->database,
	    why)) != ODS_OK ||
	    (sp->database == NULL && (er = h_optstr(c, "database_name",
	    ODS_DS_FIELD_MAX, &sp->database, why)) != ODS_OK) ||
	    (er = h_optstr(c, "schema", ODS_DS_FIELD_MAX, &sp->schema, why)) !=
	    ODS_OK)
		return er;
	if ((er = ods_json_int(c, "port", 0, 1, 65535, &sp->port, why)) !=
	    ODS_OK && er != ODS_ENOTFOUND)
		return er;
	if ((er = ods_json_obj(c, "params", 0, &p, why)) == ODS_OK) {
		if (ods_json_obj_scalars(p, ODS_DS_PARAMS_MAX, keys, vals,
		    &n) != ODS_OK) {
			ods_why_set(why, "params", "params is an object of at "
			    "most %d strings, numbers or booleans",
			    ODS_DS_PARAMS_MAX);
			return ODS_EINVAL;
		}
		sp->params = ods_json_text(p);
	} else if (er != ODS_ENOTFOUND)
		return er;
	return ODS_OK;
}

static enum ods_err
spec_of(struct json_object *o, struct ods_ds_spec *sp, struct ods_why *why)
{
	enum ods_err	er;

	ods_ds_spec_init(sp);
	if ((er = h_optstr(o, "name", ODS_DS_NAME_MAX, &sp->name, why)) !=
	    ODS_OK ||
	    (er = h_optstr(o, "description", ODS_DS_DESC_MAX,
	    &sp->description, why)) != ODS_OK ||
	    (er = h_optstr(o, "type", 32, &sp->type, why)) != ODS_OK ||
	    (er = h_optstr(o, "source_id", ODS_DS_ID_MAX, &sp->source_id,
	    why)) != ODS_OK ||
	    (er = h_optstr(o, "visibility", 16, &sp->visibility, why)) !=
	    ODS_OK ||
	    (er = tags_of(o, &sp->tags, why)) != ODS_OK)
		return er;
	return conn_of(o, sp, why);
}

static enum ods_status
send_ds(struct ods_resp *w, enum ods_status st, const struct ods_ds *d,
    const char *msg)
{
	struct ods_jw	*jw = ods_resp_envelope(w, st, msg);

	ods_ds_json(jw, d);
	return ods_resp_send(w);
}

static enum ods_status
send_result(struct ods_resp *w, const struct ods_ds_result *res)
{
	struct ods_jw	*jw;

	jw = ods_resp_envelope(w, ODS_HTTP_200, res->success ?
	    "Connection test successful" : "Connection test failed");
	ods_jw_obj(jw);
	ods_jw_kbool(jw, "success", res->success);
	if (res->success) {
		ods_jw_kstr(jw, "version", res->version);
		ods_jw_knum(jw, "latency_ms", res->latency_ms);
		ods_jw_kstr(jw, "message", "Connection test successful");
	} else {
		ods_jw_kstr(jw, "error", res->error);
		ods_jw_kstr(jw, "message", res->message);
		ods_jw_knum(jw, "latency_ms", res->latency_ms);
	}
	ods_jw_end(jw);
	return ods_resp_send(w);
}

enum ods_status
h_datasources_list(struct ods_req *r, struct ods_resp *w)
{
	struct ods_ds	*v = NULL;
	struct ods_page	 pg;
	struct ods_jw	*jw;
	enum ods_status	 hs;
	enum ods_err	 er;
	int64_t		 total = 0;
	size_t		 n = 0, i;

	if (ods_req_page(r, 50, &pg) != ODS_OK)
		return ods_resp_bad_page(w);
	er = ods_ds_list(ods_req_db(r), h_owner(r), ods_req_query(r, "type"),
	    ods_req_query(r, "status"), (size_t)pg.offset,
	    (size_t)pg.page_size, &v, &n, &total);
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not list the data sources");
	jw = ods_resp_list_begin(w, "sources");
	for (i = 0; i < n; i++)
		ods_ds_json(jw, &v[i]);
	ods_jw_end(jw);
	ods_resp_list_end(jw, &pg, total);
	hs = ods_resp_send(w);
	ods_ds_list_free(v, n);
	return hs;
}

enum ods_status
h_datasources_create(struct ods_req *r, struct ods_resp *w)
{
	struct json_object	*o = NULL;
	struct ods_ds_spec	 sp;
	struct ods_ds		*d = NULL;
	struct ods_why		 why;
	enum ods_status		 hs;
	enum ods_err		 er;

	memset(&why, 0, sizeof(why));
	if ((er = ods_req_json(r, &o, &why)) != ODS_OK ||
	    (er = spec_of(o, &sp, &why)) != ODS_OK)
		return ods_resp_input_error(w, er, &why);
	er = ods_ds_create(ods_req_db(r), ctx_of(r), &sp, h_user(r), &d, &why);
	if (er == ODS_ECONFLICT)
		return ods_resp_error_ex(w, er, ODS_C_CONFLICT, "conflict",
		    "a data source with this source_id exists");
	if (er == ODS_EINVAL)
		return ods_resp_input_error(w, er, &why);
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not create the data "
		    "source");
	hs = send_ds(w, ODS_HTTP_201, d, "DataSource created successfully");
	ods_ds_free(d);
	return hs;
}

/* The source of {id} as the caller sees it, or the answer sent. */
static struct ods_ds *
ds_of(struct ods_req *r, struct ods_resp *w, enum ods_status *hs)
{
	struct ods_ds	*d = NULL;
	enum ods_err	 er;

	er = ods_ds_get(ods_req_db(r), ods_req_param(r, "id"), h_owner(r), &d);
	if (er == ODS_ENOTFOUND)
		*hs = not_found(w);
	else if (er != ODS_OK)
		*hs = ods_resp_error(w, er, "could not read the data source");
	return d;
}

enum ods_status
h_datasources_get(struct ods_req *r, struct ods_resp *w)
{
	struct ods_ds	*d;
	enum ods_status	 hs;

	if ((d = ds_of(r, w, &hs)) == NULL)
		return hs;
	hs = send_ds(w, ODS_HTTP_200, d, NULL);
	ods_ds_free(d);
	return hs;
}

enum ods_status
h_datasources_update(struct ods_req *r, struct ods_resp *w)
{
	struct json_object	*o = NULL;
	struct ods_ds_spec	 sp;
	struct ods_ds		*d;
	struct ods_why		 why;
	enum ods_status		 hs;
	enum ods_err		 er;

	memset(&why, 0, sizeof(why));
	if ((er = ods_req_json(r, &o, &why)) != ODS_OK ||
	    (er = spec_of(o, &sp, &why)) != ODS_OK)
		return ods_resp_input_error(w, er, &why);
	if (sp.source_id != NULL) {
		ods_why_set(&why, "source_id", "source_id cannot change");
		return ods_resp_input_error(w, ODS_EINVAL, &why);
	}
	if ((d = ds_of(r, w, &hs)) == NULL)
		return hs;
	er = ods_ds_update(ods_req_db(r), ctx_of(r), d, &sp, h_owner(r), &why);
	if (er == ODS_OK) {
		/* Read back: updated_at is the server's. */
		ods_ds_free(d);
		d = NULL;
		er = ods_ds_get(ods_req_db(r), ods_req_param(r, "id"), NULL,
		    &d);
	}
	if (er == ODS_EFORBIDDEN)
		hs = h_not_owner(w, "a data source");
	else if (er == ODS_EINVAL)
		hs = ods_resp_input_error(w, er, &why);
	else if (er != ODS_OK)
		hs = ods_resp_error(w, er, "could not update the data source");
	else
		hs = send_ds(w, ODS_HTTP_200, d, "DataSource updated "
		    "successfully");
	ods_ds_free(d);
	return hs;
}

enum ods_status
h_datasources_delete(struct ods_req *r, struct ods_resp *w)
{
	struct ods_ds	*d;
	enum ods_status	 hs;
	enum ods_err	 er;

	if ((d = ds_of(r, w, &hs)) == NULL)
		return hs;
	er = ods_ds_delete(ods_req_db(r), d, h_owner(r));
	ods_ds_free(d);
	if (er == ODS_EFORBIDDEN)
		return h_not_owner(w, "a data source");
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not delete the data "
		    "source");
	ods_jw_null(ods_resp_envelope(w, ODS_HTTP_200,
	    "DataSource deleted successfully"));
	return ods_resp_send(w);
}

enum ods_status
h_datasources_test(struct ods_req *r, struct ods_resp *w)
{
	struct json_object	*o = NULL;
	struct ods_ds_spec	 sp;
	struct ods_ds_result	 res;
	struct ods_why		 why;
	enum ods_err		 er;

	memset(&why, 0, sizeof(why));
	if ((er = ods_req_json(r, &o, &why)) != ODS_OK ||
	    (er = spec_of(o, &sp, &why)) != ODS_OK ||
	    (er = ods_ds_test_spec(ctx_of(r), &sp, &res, &why)) != ODS_OK)
		return ods_resp_input_error(w, er, &why);
	return send_result(w, &res);
}

enum ods_status
h_datasources_test_saved(struct ods_req *r, struct ods_resp *w)
{
	struct json_object	*o = NULL;
	struct ods_ds_result	 res;
	struct ods_ds		*d;
	struct ods_why		 why;
	const char		*pw = NULL;
	enum ods_status		 hs;
	enum ods_err		 er;

	memset(&why, 0, sizeof(why));
	/* The body is optional: {} or nothing tests the stored password. */
	if (ods_req_content_length(r) > 0 &&
	    ((er = ods_req_json(r, &o, &why)) != ODS_OK ||
	    (er = h_optstr(o, "password", ODS_DS_PASSWORD_MAX, &pw, &why)) !=
	    ODS_OK))
		return ods_resp_input_error(w, er, &why);
	if ((d = ds_of(r, w, &hs)) == NULL)
		return hs;
	er = ods_ds_test_saved(ods_req_db(r), ctx_of(r), d, pw, &res);
	ods_ds_free(d);
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not record the test");
	return send_result(w, &res);
}
