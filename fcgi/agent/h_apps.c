/*
 * fcgi/agent/h_apps.c — /apps: list, create, read, update, delete,
 * publish and unpublish, the app's keys, and /apps/{id}/info for key
 * holders. Lookups take h_owner(): another user's app is a 404.
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include "ods.h"
#include "auth/ods_auth.h"
#include "../../svc/agent/app.h"
#include "../common/h_auth.h"
#include "h_apps.h"

/* The path's app, the caller's (admin: any); sends the 404/5xx itself. */
static struct ods_app *
app_of(struct ods_req *r, struct ods_resp *w, const char *owner,
    enum ods_status *hs)
{
	struct ods_app	*a = NULL;
	enum ods_err	 er;

	er = ods_app_get(ods_req_db(r), ods_req_param(r, "id"), owner, &a);
	if (er == ODS_ENOTFOUND)
		*hs = ods_resp_error_ex(w, er, ODS_C_ENTITY_NOT_FOUND,
		    "not_found", "no such app");
	else if (er != ODS_OK)
		*hs = ods_resp_error(w, er, "could not read the app");
	return a;
}

static enum ods_status
send_app(struct ods_resp *w, enum ods_status st, const struct ods_app *a,
    const struct ods_app_stats *stats, const char *msg)
{
	ods_app_json(ods_resp_envelope(w, st, msg), a, stats);
	return ods_resp_send(w);
}

/* The body of a create or an update into sp. */
static enum ods_err
spec_of(struct ods_req *r, struct ods_app_spec *sp, struct ods_why *why)
{
	struct json_object	*o = NULL;
	enum ods_err		 er;

	memset(why, 0, sizeof(*why));
	if ((er = ods_req_json(r, &o, why)) != ODS_OK)
		return er;
	return ods_app_spec_parse(o, sp, why);
}

struct ods_app *
h_app_callable(struct ods_req *r, struct ods_resp *w, enum ods_status *hs)
{
	const struct ods_principal	*p = ods_req_principal(r);
	struct ods_app			*a;
	int				 keyed = p != NULL && p->app_id != NULL;

	if ((a = app_of(r, w, keyed ? NULL : h_owner(r), hs)) == NULL)
		return NULL;
	if (keyed && strcmp(a->status, "published") != 0) {
		*hs = ods_resp_error_ex(w, ODS_EFORBIDDEN, ODS_C_FORBIDDEN,
		    "app_not_published", "the app is not published: its "
		    "keys work again once it is");
		ods_app_free(a);
		return NULL;
	}
	if (ods_app_touch(ods_req_db(r), a->app_id) != ODS_OK)
		ods_log(ODS_LOG_WARN, "app_touch_failed");
	return a;
}

enum ods_status
h_apps_list(struct ods_req *r, struct ods_resp *w)
{
	struct ods_app_filter	 f;
	struct ods_app		*v = NULL;
	struct ods_page		 pg;
	struct ods_jw		*jw;
	enum ods_status		 hs;
	enum ods_err		 er;
	int64_t			 total = 0;
	size_t			 n = 0, i;

	if (ods_req_page(r, 20, &pg) != ODS_OK)
		return ods_resp_bad_page(w);
	f.owner = h_owner(r);
	f.type = ods_req_query(r, "type");
	f.status = ods_req_query(r, "status");
	if (f.status != NULL && strcmp(f.status, "draft") != 0 &&
	    strcmp(f.status, "published") != 0)
		return ods_resp_error_ex(w, ODS_EINVAL, ODS_C_INVALID_FIELD,
		    "invalid_field", "status must be draft or published");
	er = ods_app_list(ods_req_db(r), &f, (size_t)pg.offset,
	    (size_t)pg.page_size, &v, &n, &total);
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not list the apps");
	jw = ods_resp_list_begin(w, "apps");
	for (i = 0; i < n; i++)
		ods_app_json(jw, &v[i], NULL);
	ods_jw_end(jw);
	ods_resp_list_end(jw, &pg, total);
	hs = ods_resp_send(w);
	ods_app_list_free(v, n);
	return hs;
}

enum ods_status
h_apps_create(struct ods_req *r, struct ods_resp *w)
{
	struct ods_app_spec	 sp;
	struct ods_app		*a = NULL;
	struct ods_why		 why;
	enum ods_status		 hs;
	enum ods_err		 er;

	if ((er = spec_of(r, &sp, &why)) != ODS_OK)
		return ods_resp_input_error(w, er, &why);
	er = ods_app_create(ods_req_db(r), &sp, h_user(r), &a, &why);
	if (er == ODS_EINVAL)
		return ods_resp_input_error(w, er, &why);
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not create the app");
	hs = send_app(w, ODS_HTTP_201, a, NULL, "app created");
	ods_app_free(a);
	return hs;
}

enum ods_status
h_apps_get(struct ods_req *r, struct ods_resp *w)
{
	struct ods_app_stats	 st;
	struct ods_app		*a;
	enum ods_status		 hs;
	enum ods_err		 er;

	if ((a = app_of(r, w, h_owner(r), &hs)) == NULL)
		return hs;
	if ((er = ods_app_stats(ods_req_db(r), a->app_id, &st)) != ODS_OK)
		hs = ods_resp_error(w, er, "could not compute the app's "
		    "statistics");
	else
		hs = send_app(w, ODS_HTTP_200, a, &st, NULL);
	ods_app_free(a);
	return hs;
}

enum ods_status
h_apps_update(struct ods_req *r, struct ods_resp *w)
{
	struct ods_app_spec	 sp;
	struct ods_app		*a;
	struct ods_why		 why;
	enum ods_status		 hs;
	enum ods_err		 er;

	if ((er = spec_of(r, &sp, &why)) != ODS_OK)
		return ods_resp_input_error(w, er, &why);
	if (sp.name != NULL && *sp.name == '\0') {
		ods_why_set(&why, "name", "name cannot be empty");
		return ods_resp_input_error(w, ODS_EINVAL, &why);
	}
	if ((a = app_of(r, w, h_owner(r), &hs)) == NULL)
		return hs;
	er = ods_app_update(ods_req_db(r), a, &sp, h_owner(r), &why);
	if (er == ODS_EINVAL)
		hs = ods_resp_input_error(w, er, &why);
	else if (er != ODS_OK)
		hs = ods_resp_error(w, er, "could not update the app");
	else
		hs = send_app(w, ODS_HTTP_200, a, NULL, "app updated");
	ods_app_free(a);
	return hs;
}

enum ods_status
h_apps_delete(struct ods_req *r, struct ods_resp *w)
{
	struct ods_app	*a;
	struct ods_jw	*jw;
	enum ods_status	 hs;
	enum ods_err	 er;

	if ((a = app_of(r, w, h_owner(r), &hs)) == NULL)
		return hs;
	if ((er = ods_app_delete(ods_req_db(r), a, h_user(r))) != ODS_OK)
		hs = ods_resp_error(w, er, "could not delete the app");
	else {
		jw = ods_resp_envelope(w, ODS_HTTP_200, "app deleted");
		ods_jw_obj(jw);
		ods_jw_kstr(jw, "app_id", a->app_id);
		ods_jw_kbool(jw, "deleted", 1);
		ods_jw_end(jw);
		hs = ods_resp_send(w);
	}
	ods_app_free(a);
	return hs;
}

static enum ods_status
publish(struct ods_req *r, struct ods_resp *w, int on)
{
	struct ods_app	*a;
	enum ods_status	 hs;
	enum ods_err	 er;

	if ((a = app_of(r, w, h_owner(r), &hs)) == NULL)
		return hs;
	if ((er = ods_app_publish(ods_req_db(r), a, on)) != ODS_OK)
		hs = ods_resp_error(w, er, "could not change the app's status");
	else
		hs = send_app(w, ODS_HTTP_200, a, NULL, on ? "app published" :
		    "app unpublished");
	ods_app_free(a);
	return hs;
}

enum ods_status
h_apps_publish(struct ods_req *r, struct ods_resp *w)
{
	return publish(r, w, 1);
}

enum ods_status
h_apps_unpublish(struct ods_req *r, struct ods_resp *w)
{
	return publish(r, w, 0);
}

static enum ods_err
key_spec_of(struct json_object *o, struct ods_app_key_spec *ks,
    struct ods_why *why)
{
	int64_t		days = 0;
	enum ods_err	er;

	memset(ks, 0, sizeof(*ks));
	if ((er = ods_json_str(o, "name", 1, 255, &ks->name, why)) != ODS_OK)
		return er;
#define OPT(call)	if ((er = (call)) != ODS_OK && er != ODS_ENOTFOUND) \
				return er
	OPT(ods_json_int(o, "rpm", 0, 1, 1000000, &ks->rpm, why));
	OPT(ods_json_int(o, "tpm", 0, 1, 1000000000, &ks->tpm, why));
	OPT(ods_json_int(o, "expires_in_days", 0, 1, 3650, &days, why));
	OPT(ods_json_int(o, "expires_at", 0, (int64_t)time(NULL) + 1,
	    (int64_t)time(NULL) + 3650 * 86400LL, &ks->expires_at, why));
#undef OPT
	if (ks->expires_at == 0 && days > 0)
		ks->expires_at = (int64_t)time(NULL) + days * 86400;
	return ODS_OK;
}

enum ods_status
h_apps_key_create(struct ods_req *r, struct ods_resp *w)
{
	struct json_object	*o = NULL;
	struct ods_app_key_spec	 ks;
	struct ods_apikey	 k;
	struct ods_app		*a;
	struct ods_why		 why;
	enum ods_status		 hs;
	enum ods_err		 er;
	char			*secret = NULL;

	memset(&why, 0, sizeof(why));
	if ((er = ods_req_json(r, &o, &why)) != ODS_OK ||
	    (er = key_spec_of(o, &ks, &why)) != ODS_OK)
		return ods_resp_input_error(w, er, &why);
	if ((a = app_of(r, w, h_owner(r), &hs)) == NULL)
		return hs;
	er = ods_app_key_create(ods_req_db(r), a, &ks, h_user(r), &secret,
	    &k);
	ods_app_free(a);
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not create the key");
	return h_apikey_created(w, "app key created; the key is shown only "
	    "this once", secret, &k);
}

enum ods_status
h_apps_key_list(struct ods_req *r, struct ods_resp *w)
{
	struct ods_apikey	*keys = NULL;
	struct ods_app		*a;
	enum ods_status		 hs;
	enum ods_err		 er;
	size_t			 n = 0;

	if ((a = app_of(r, w, h_owner(r), &hs)) == NULL)
		return hs;
	er = ods_apikey_list_app(ods_req_db(r), a->app_id, &keys, &n);
	ods_app_free(a);
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not list the keys");
	return h_apikeys_send(w, "keys", keys, n);
}

enum ods_status
h_apps_key_revoke(struct ods_req *r, struct ods_resp *w)
{
	const char	*kid = ods_req_param(r, "key_id");
	struct ods_app	*a;
	struct ods_jw	*jw;
	enum ods_status	 hs;
	enum ods_err	 er;

	if ((a = app_of(r, w, h_owner(r), &hs)) == NULL)
		return hs;
	er = ods_app_key_revoke(ods_req_db(r), a, kid, h_user(r));
	ods_app_free(a);
	if (er == ODS_ENOTFOUND)
		return ods_resp_error_ex(w, er, ODS_C_ENTITY_NOT_FOUND,
		    "not_found", "no such key on this app");
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not revoke the key");
	jw = ods_resp_envelope(w, ODS_HTTP_200, "key revoked");
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "key_id", kid);
	ods_jw_kbool(jw, "revoked", 1);
	ods_jw_end(jw);
	return ods_resp_send(w);
}

enum ods_status
h_apps_info(struct ods_req *r, struct ods_resp *w)
{
	struct ods_app	*a;
	enum ods_status	 hs;

	if ((a = h_app_callable(r, w, &hs)) == NULL)
		return hs;
	ods_app_info_json(ods_resp_envelope(w, ODS_HTTP_200, NULL), a);
	hs = ods_resp_send(w);
	ods_app_free(a);
	return hs;
}
