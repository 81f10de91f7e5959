/*
 * tests/fuzz/fuzz_req.c — query string, cookie and header parsing of a
 * request built in memory. The input is split at LF into the request URI
 * (with its query), QUERY_STRING, HTTP_COOKIE, X-Request-ID and the body;
 * then the accessors a handler uses.
 */
#include "config.h"

#include <stdio.h>

#include "ods.h"
#include "../ods_test.h"
#include "fuzz.h"

#define NPARTS	5

static const char *const keys[] = { "REQUEST_URI=", "QUERY_STRING=",
	"HTTP_COOKIE=", "HTTP_X_REQUEST_ID=", NULL };
static const char *const names[] = { "a", "page", "page_size", "limit",
	"access_token", "q", "", "session", "x y", NULL };
static const char *const prefixes[] = { "/api/v1", NULL };

static struct ods_conf	*conf;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object	*o;
	struct fake_req		 f;
	struct ods_page		 pg;
	struct ods_why		 why;
	struct ods_req		*r;
	const char		*part[NPARTS], *body;
	char			*in, *params[NPARTS + 3], cl[48], *p;
	size_t			 i, n, len, blen;
	enum ods_err		 er;
	int64_t			 v;

	if (conf == NULL) {
		fuzz_quiet();
		conf = ods_conf_new();
		conf->max_body_bytes = 4096;
	}
	in = fuzz_str(data, size);
	for (i = 0; i < NPARTS; i++)
		part[i] = "";
	for (i = 0, p = in; i < NPARTS && p != NULL; i++) {
		part[i] = p;
		if (i < NPARTS - 1 && (p = strchr(p, '\n')) != NULL)
			*p++ = '\0';
	}
	for (i = 0, n = 0; keys[i] != NULL; i++) {
		len = strlen(keys[i]) + strlen(part[i]) + 1;
		params[n] = ods_xmalloc(len);
		(void)snprintf(params[n++], len, "%s%s", keys[i], part[i]);
	}
	blen = strlen(part[NPARTS - 1]);
	(void)snprintf(cl, sizeof(cl), "CONTENT_LENGTH=%zu", blen);
	params[n++] = cl;
	params[n++] = "REQUEST_METHOD=POST";
	params[n] = NULL;

	if ((r = fake_req_open(&f, conf, "fuzz", prefixes, params,
	    part[NPARTS - 1], blen)) != NULL) {
		for (i = 0; names[i] != NULL; i++) {
			(void)ods_req_query(r, names[i]);
			(void)ods_req_cookie(r, names[i]);
			er = ods_req_query_int(r, names[i], 7, -3, 100, &v);
		}
		(void)ods_req_header(r, "Cookie");
		(void)ods_req_header(r, "X-Request-ID");
		(void)ods_req_id(r);
		(void)ods_req_path(r);
		er = ods_req_page(r, 20, &pg);
		if (size > 0 && (data[0] & 1)) {
			if (ods_req_json(r, &o, &why) == ODS_OK)
				(void)ods_json_get_str(o, "a");
		} else
			er = ods_req_body(r, &body, &blen);
		(void)er;
	}
	fake_req_close(&f);
	for (i = 0; i < 4; i++)
		free(params[i]);
	free(in);
	return 0;
}
