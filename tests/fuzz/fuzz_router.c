/*
 * tests/fuzz/fuzz_router.c — the path matcher: the first byte is the
 * method, the rest the request URI (prefix stripping, percent-decoding,
 * then ods_router_match over a fixed table with literal and {param}
 * segments).
 */
#include "config.h"

#include <stdio.h>

#include "ods.h"
#include "../ods_test.h"
#include "fuzz.h"

static enum ods_status
h_none(struct ods_req *r, struct ods_resp *w)
{
	(void)r;
	(void)w;
	return ODS_HTTP_200;
}

static const struct ods_route routes[] = {
	{ ODS_GET,	"/",				h_none, ODS_AUTH_OPEN, NULL },
	{ ODS_GET,	"/health",			h_none, ODS_AUTH_OPEN, NULL },
	{ ODS_GET,	"/datasets",			h_none, ODS_AUTH_OPEN, NULL },
	{ ODS_POST,	"/datasets",			h_none, ODS_AUTH_OPEN, NULL },
	{ ODS_GET,	"/datasets/search",		h_none, ODS_AUTH_OPEN, NULL },
	{ ODS_GET,	"/datasets/{id}",		h_none, ODS_AUTH_OPEN, NULL },
	{ ODS_PUT,	"/datasets/{id}",		h_none, ODS_AUTH_OPEN, NULL },
	{ ODS_DELETE,	"/datasets/{id}/versions/{v}",	h_none, ODS_AUTH_OPEN, NULL },
	{ ODS_PATCH,	"/kbs/{kb}/docs/{doc}/chunks",	h_none, ODS_AUTH_OPEN, NULL },
	{ ODS_POST,	"/v1/chat/completions",		h_none, ODS_AUTH_OPEN, NULL },
	{ ODS_POST,	"/v1/completions",		h_none, ODS_AUTH_OPEN, NULL },
	{ ODS_GET,	"/v1/models",			h_none, ODS_AUTH_OPEN, NULL },
	{ ODS_GET,	"/v1/models/{model}",		h_none, ODS_AUTH_OPEN, NULL },
	{ ODS_OPTIONS,	"/{a}/{b}/{c}/{d}/{e}",		h_none, ODS_AUTH_OPEN, NULL },
};

static const char *const names[] = { "id", "v", "kb", "doc", "model", "a",
	"e", "x", NULL };
static const char *const prefixes[] = { "/api/v1/data", "/api/v1", NULL };
static const char *const methods[] = { "GET", "HEAD", "POST", "PUT",
	"PATCH", "DELETE", "OPTIONS", "TRACE" };

static struct ods_router	*rt;
static struct ods_conf		*conf;

static void
init(void)
{
	fuzz_quiet();
	conf = ods_conf_new();
	if ((rt = ods_router_new(routes, ODS_NELEM(routes))) == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct ods_route	*route;
	struct fake_req		 f;
	struct ods_req		*r;
	char			*params[4], allow[128], *uri, m[32];
	size_t			 i;

	if (rt == NULL)
		init();
	if (size < 1)
		return 0;
	uri = fuzz_str(data + 1, size - 1);
	(void)snprintf(m, sizeof(m), "REQUEST_METHOD=%s",
	    methods[data[0] % 8]);
	params[0] = m;
	if ((params[1] = malloc(strlen(uri) + 16)) == NULL)
		abort();
	/* Bit 3: nginx's REQUEST_URI (with the query) or DOCUMENT_URI. */
	(void)snprintf(params[1], strlen(uri) + 16, "%s=%s",
	    data[0] & 8 ? "REQUEST_URI" : "DOCUMENT_URI", uri);
	params[2] = NULL;

	r = fake_req_open(&f, conf, "fuzz", prefixes, params, "", 0);
	if (r != NULL) {
		allow[0] = '\0';
		if (ods_router_match(rt, r, &route, allow, sizeof(allow)) ==
		    ODS_OK)
			(void)ods_route_template(route);
		for (i = 0; names[i] != NULL; i++)
			(void)ods_req_param(r, names[i]);
		(void)ods_req_path(r);
		(void)ods_req_raw_path(r);
	}
	fake_req_close(&f);
	free(params[1]);
	free(uri);
	return 0;
}
