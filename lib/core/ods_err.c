/* lib/core/ods_err.c — error text, slugs and the single map to HTTP. */
#include "config.h"

#include <errno.h>

#include "core/ods_err.h"

static const struct {
	const char	*text;
	const char	*slug;
	int		 http;
	int		 code;
} errs[ODS_ERR__MAX] = {
	[ODS_OK] =		{ "success", "ok", 200, 0 },
	[ODS_ENOMEM] =		{ "out of memory", "internal_error", 500, 50000 },
	[ODS_EINVAL] =		{ "invalid request", "bad_request", 400, 40000 },
	[ODS_EAUTH] =		{ "not authenticated", "unauthorized", 401, 40100 },
	[ODS_EFORBIDDEN] =	{ "forbidden", "forbidden", 403, 40300 },
	[ODS_ENOTFOUND] =	{ "not found", "not_found", 404, 40400 },
	[ODS_EMETHOD] =		{ "method not allowed", "method_not_allowed",
				  405, 40500 },
	[ODS_ECONFLICT] =	{ "conflict", "conflict", 409, 40900 },
	[ODS_ETOOBIG] =		{ "request entity too large",
				  "payload_too_large", 413, 41300 },
	[ODS_ELIMIT] =		{ "rate limit exceeded", "rate_limited",
				  429, 42900 },
	[ODS_EUPSTREAM] =	{ "upstream error", "bad_gateway", 502, 50200 },
	[ODS_EUNAVAIL] =	{ "service unavailable", "unavailable",
				  503, 50003 },
	[ODS_ETIMEOUT] =	{ "upstream timeout", "gateway_timeout",
				  504, 50400 },
	[ODS_EIO] =		{ "i/o error", "internal_error", 500, 50000 },
	[ODS_ENOSPC] =		{ "no space left on device",
				  "insufficient_storage", 507, 50700 },
	[ODS_ECORRUPT] =	{ "stored data is corrupt", "internal_error",
				  500, 50000 },
	[ODS_EINTERNAL] =	{ "internal error", "internal_error",
				  500, 50000 },
};

static int
valid(enum ods_err e)
{
	return (int)e >= 0 && e < ODS_ERR__MAX;
}

const char *
ods_strerror(enum ods_err e)
{
	return valid(e) ? errs[e].text : errs[ODS_EINTERNAL].text;
}

const char *
ods_err_slug(enum ods_err e)
{
	return valid(e) ? errs[e].slug : errs[ODS_EINTERNAL].slug;
}

int
ods_err_http(enum ods_err e)
{
	return valid(e) ? errs[e].http : 500;
}

int
ods_err_code(enum ods_err e)
{
	return valid(e) ? errs[e].code : 50000;
}

enum ods_err
ods_err_from_errno(int e)
{
	switch (e) {
	case 0:
		return ODS_OK;
	case ENOMEM:
		return ODS_ENOMEM;
	case EINVAL:
		return ODS_EINVAL;
	case ENOENT:
		return ODS_ENOTFOUND;
	case EEXIST:
		return ODS_ECONFLICT;
	case EACCES:
	case EPERM:
		return ODS_EFORBIDDEN;
	case ENOSPC:
	case EDQUOT:
		return ODS_ENOSPC;
	case ETIMEDOUT:
		return ODS_ETIMEOUT;
	case ECONNREFUSED:
	case ECONNRESET:
	case EHOSTUNREACH:
	case ENETUNREACH:
		return ODS_EUNAVAIL;
	case EFBIG:
	case E2BIG:
		return ODS_ETOOBIG;
	default:
		return ODS_EIO;
	}
}
