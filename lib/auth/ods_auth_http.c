/*
 * lib/auth/ods_auth_http.c — the two HTTP calls of ods_auth (JWKS, Keycloak
 * token endpoint) over ods_http: TLS verified, no redirects, http(s) only,
 * size capped, timed out. Nothing named inside a token is ever fetched.
 */
#include "config.h"

#include <string.h>

#include <curl/curl.h>

#include "auth/ods_auth_int.h"
#include "net/ods_http.h"
#include "core/ods_log.h"
#include "core/ods_mem.h"

enum ods_err
odsi_auth_http(const char *url, const char *form, int timeout_ms, size_t max,
    struct ods_buf *body, long *status)
{
	struct ods_http_req	req;
	struct ods_http_resp	resp;
	enum ods_err		er;

	*status = 0;
	ods_buf_init(body, max);
	memset(&req, 0, sizeof(req));
	req.method = form != NULL ? "POST" : "GET";
	req.url = url;
	req.headers[req.nheaders++] = "Accept: application/json";
	if (form != NULL) {
		req.headers[req.nheaders++] =
		    "Content-Type: application/x-www-form-urlencoded";
		req.body = form;
		req.body_len = strlen(form);
	}
	req.limits.connect_ms = timeout_ms;
	req.limits.total_ms = timeout_ms;
	req.limits.max_body = max;
	if ((er = ods_http_do(&req, &resp)) == ODS_OK) {
		*status = resp.status;
		/* Hand the body over; resp keeps an empty one to free. */
		*body = resp.body;
		ods_buf_init(&resp.body, max);
	} else
		ods_log(ODS_LOG_WARN, "auth_http_failed error=%s",
		    ods_strerror(er));
	ods_http_resp_fini(&resp);
	return er;
}

enum ods_err
odsi_auth_form_add(struct ods_buf *b, const char *key, const char *value)
{
	char		*esc;
	enum ods_err	 er;

	if ((esc = curl_easy_escape(NULL, value, 0)) == NULL)
		return ODS_ENOMEM;
	er = ods_buf_addf(b, "%s%s=%s", b->len > 0 ? "&" : "", key, esc);
	explicit_bzero(esc, strlen(esc));
	curl_free(esc);
	return er;
}
