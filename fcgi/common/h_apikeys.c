/*
 * fcgi/common/h_apikeys.c — the admin API-key routes: POST/GET /api-keys,
 * DELETE /api-keys/{id}. The gate (ods_auth_check) has run before any of
 * them: the principal is set and the route's perm (system:manage) passed.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ods.h"
#include "auth/ods_auth.h"
#include "h_auth.h"

#define MAX_MODELS	64

static enum ods_err
models_of(struct ods_req *r, struct json_object *body,
    struct ods_apikey_spec *s, struct ods_why *e)
{
	struct json_object	*arr;
	const char		*txt;
	const char		**v;
	size_t			 i, n, len;
	enum ods_err		 er;

	er = ods_json_arr(body, "allowed_models", 0, &arr, e);
	if (er == ODS_ENOTFOUND)
		return ODS_OK;
	if (er != ODS_OK)
		return er;
	snprintf(e->field, sizeof(e->field), "allowed_models");
	if ((n = ods_json_arr_len(arr)) > MAX_MODELS) {
		snprintf(e->msg, sizeof(e->msg), "at most %d models",
		    MAX_MODELS);
		return ODS_EINVAL;
	}
	if ((v = ods_req_alloc(r, (n + 1) * sizeof(*v))) == NULL)
		return ODS_ENOMEM;
	for (i = 0; i < n; i++) {
		txt = ods_json_text(ods_json_arr_get(arr, i));
		len = strlen(txt);
		if (len < 3 || len > 130 || txt[0] != '"' ||
		    txt[len - 1] != '"' || strchr(txt, '\\') != NULL) {
			snprintf(e->msg, sizeof(e->msg), "each model must be "
			    "a name of 1 to 128 plain characters");
			return ODS_EINVAL;
		}
		v[i] = ods_arena_strndup(ods_req_arena(r), txt + 1, len - 2);
	}
	s->models = v;
	s->nmodels = n;
	return ODS_OK;
}

static enum ods_err
spec_of(struct ods_req *r, struct json_object *b, struct ods_apikey_spec *s,
    struct ods_why *e)
{
	const struct ods_principal	*p = ods_req_principal(r);
	int64_t				 rpm = 0, tpm = 0, days = 0;
	enum ods_err			 er;

	memset(s, 0, sizeof(*s));
	s->owner = p != NULL ? p->user_id : NULL;
	s->created_by = p != NULL ? p->username : NULL;
	if ((er = ods_json_str(b, "name", 1, 255, &s->name, e)) != ODS_OK)
		return er;
	if ((er = ods_json_str(b, "owner", 0, 128, &s->owner, e)) != ODS_OK &&
	    er != ODS_ENOTFOUND)
		return er;
	if (((er = ods_json_int(b, "rpm", 0, 1, 1000000, &rpm, e)) !=
	    ODS_OK && er != ODS_ENOTFOUND) ||
	    ((er = ods_json_int(b, "tpm", 0, 1, 1000000000, &tpm, e)) !=
	    ODS_OK && er != ODS_ENOTFOUND) ||
	    ((er = ods_json_int(b, "expires_in_days", 0, 1, 3650, &days, e)) !=
	    ODS_OK && er != ODS_ENOTFOUND))
		return er;
	s->rpm = (int)rpm;
	s->tpm = (int)tpm;
	s->expires_at = days > 0 ? (int64_t)time(NULL) + days * 86400 : 0;
	return models_of(r, b, s, e);
}

enum ods_status
h_apikeys_create(struct ods_req *r, struct ods_resp *w)
{
	struct ods_apikey_spec	 s;
	struct ods_apikey	 k;
	struct json_object	*body;
	struct ods_why	 e;
	enum ods_err		 er;
	char			*secret = NULL;

	if ((er = ods_req_json(r, &body, &e)) != ODS_OK ||
	    (er = spec_of(r, body, &s, &e)) != ODS_OK)
		return ods_resp_input_error(w, er, &e);
	er = ods_apikey_create(ods_req_db(r), &s, &secret, &k);
	if (er != ODS_OK)
		return ods_resp_error(w, er, er == ODS_EINVAL ?
		    "owner must be 1 to 128 bytes" : "could not create the key");
	return h_apikey_created(w, "API key created; the key is shown only "
	    "this once", secret, &k);
}

enum ods_status
h_apikey_created(struct ods_resp *w, const char *msg, char *secret,
    struct ods_apikey *k)
{
	struct ods_jw	*jw;
	enum ods_status	 st;

	jw = ods_resp_envelope(w, ODS_HTTP_201, msg);
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "api_key", secret);
	ods_jw_key(jw, "key");
	ods_apikey_json(jw, k);
	ods_jw_end(jw);
	st = ods_resp_send(w);
	explicit_bzero(secret, strlen(secret));
	free(secret);
	ods_apikey_fini(k);
	return st;
}

enum ods_status
h_apikeys_list(struct ods_req *r, struct ods_resp *w)
{
	struct ods_apikey	*keys = NULL;
	struct ods_page		 pg;
	struct ods_jw		*jw;
	enum ods_err		 er;
	int64_t			 total = 0;
	size_t			 i, n = 0;

	if (ods_req_page(r, 50, &pg) != ODS_OK)
		return ods_resp_bad_page(w);
	er = ods_apikey_page(ods_req_db(r), ods_req_query(r, "owner"),
	    pg.offset, pg.page_size, &keys, &n, &total);
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not list the keys");
	/* items, total and the page numbers (reference-api §11.3). */
	jw = ods_resp_list_begin(w, "items");
	for (i = 0; i < n; i++)
		ods_apikey_json(jw, &keys[i]);
	ods_jw_end(jw);
	ods_resp_list_end(jw, &pg, total);
	ods_apikey_list_free(keys, n);
	return ods_resp_send(w);
}

enum ods_status
h_apikeys_send(struct ods_resp *w, const char *key, struct ods_apikey *keys,
    size_t n)
{
	struct ods_jw	*jw;
	enum ods_status	 st;
	size_t		 i;

	jw = ods_resp_envelope(w, ODS_HTTP_200, NULL);
	ods_jw_obj(jw);
	ods_jw_key(jw, key);
	ods_jw_arr(jw);
	for (i = 0; i < n; i++)
		ods_apikey_json(jw, &keys[i]);
	ods_jw_end(jw);
	ods_jw_kint(jw, "total", (int64_t)n);
	ods_jw_end(jw);
	st = ods_resp_send(w);
	ods_apikey_list_free(keys, n);
	return st;
}

enum ods_status
h_apikeys_revoke(struct ods_req *r, struct ods_resp *w)
{
	const struct ods_principal	*p = ods_req_principal(r);
	const char			*id = ods_req_param(r, "id");
	struct ods_jw			*jw;
	enum ods_err			 er;

	er = ods_apikey_revoke(ods_req_db(r), id, p != NULL ? p->username :
	    NULL);
	if (er == ODS_ENOTFOUND)
		return ods_resp_error(w, er, "no such API key");
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not revoke the key");
	jw = ods_resp_envelope(w, ODS_HTTP_200, "API key revoked");
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "key_id", id);
	ods_jw_kbool(jw, "revoked", 1);
	ods_jw_end(jw);
	return ods_resp_send(w);
}
