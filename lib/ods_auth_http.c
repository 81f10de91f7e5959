/*
 * lib/ods_auth_http.c — the two HTTP calls of ods_auth (JWKS, Keycloak
 * token endpoint): TLS verified, no redirects, http(s) only, size capped,
 * timed out. Nothing named inside a token is ever fetched.
 */
#include "config.h"

#include <string.h>

#include <curl/curl.h>

#include "ods_auth_int.h"
#include "ods_log.h"
#include "ods_mem.h"

static size_t
on_data(char *p, size_t size, size_t n, void *arg)
{
	struct ods_buf	*b = arg;

	/* Returning short makes curl stop with CURLE_WRITE_ERROR. */
	if (ods_buf_add(b, p, size * n) != ODS_OK)
		return 0;
	return size * n;
}

static enum ods_err
curl_err(CURLcode cc)
{
	switch (cc) {
	case CURLE_OK:
		return ODS_OK;
	case CURLE_OPERATION_TIMEDOUT:
		return ODS_ETIMEOUT;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
		return ODS_EUNAVAIL;
	case CURLE_WRITE_ERROR:
	case CURLE_FILESIZE_EXCEEDED:
		return ODS_ETOOBIG;
	case CURLE_OUT_OF_MEMORY:
		return ODS_ENOMEM;
	default:
		return ODS_EUPSTREAM;
	}
}

static void
set_common(CURL *c, const char *url, int timeout_ms, size_t max,
    struct ods_buf *body)
{
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "one-data-studio/" VERSION);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
}

enum ods_err
auth_http(const char *url, const char *form, int timeout_ms, size_t max,
    struct ods_buf *body, long *status)
{
	struct curl_slist	*hdrs = NULL;
	CURL			*c;
	CURLcode		 cc;

	*status = 0;
	ods_buf_init(body, max);
	if ((c = curl_easy_init()) == NULL)
		return ODS_ENOMEM;
	set_common(c, url, timeout_ms, max, body);
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	if (form != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(form));
	}
	cc = curl_easy_perform(c);
	if (cc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	else
		ods_log(ODS_LOG_WARN, "auth_http_failed error=%s",
		    curl_easy_strerror(cc));
	curl_easy_cleanup(c);
	curl_slist_free_all(hdrs);
	return curl_err(cc);
}

void
auth_http_init(void)
{
	/* Once per process, before the worker's threads start. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		ods_log(ODS_LOG_ERR, "curl_global_init_failed");
}

enum ods_err
auth_form_add(struct ods_buf *b, const char *key, const char *value)
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
