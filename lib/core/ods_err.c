/* lib/core/ods_err.c — error text, slugs and the single map to HTTP. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "core/ods_err.h"

static const struct {
	const char	*text;
	const char	*slug;
	int		 http;
	enum ods_code	 code;
} errs[ODS_ERR__MAX] = {
	[ODS_OK] =		{ "success", "ok", 200, ODS_C_DEFAULT },
	[ODS_ENOMEM] =		{ "out of memory", "internal_error", 500, ODS_C_INTERNAL },
	[ODS_EINVAL] =		{ "invalid request", "bad_request", 400, ODS_C_BAD_REQUEST },
	[ODS_EAUTH] =		{ "not authenticated", "unauthorized", 401, ODS_C_TOKEN_MISSING },
	[ODS_EFORBIDDEN] =	{ "forbidden", "forbidden", 403, ODS_C_FORBIDDEN },
	[ODS_ENOTFOUND] =	{ "not found", "not_found", 404, ODS_C_NOT_FOUND },
	[ODS_EMETHOD] =		{ "method not allowed", "method_not_allowed",
				  405, ODS_C_METHOD },
	[ODS_ECONFLICT] =	{ "conflict", "conflict", 409, ODS_C_CONFLICT },
	[ODS_ETOOBIG] =		{ "request entity too large",
				  "payload_too_large", 413, ODS_C_TOO_LARGE },
	[ODS_ELIMIT] =		{ "rate limit exceeded", "rate_limited",
				  429, ODS_C_RATE_LIMITED },
	[ODS_EUPSTREAM] =	{ "upstream error", "bad_gateway", 502, ODS_C_BAD_GATEWAY },
	[ODS_EUNAVAIL] =	{ "service unavailable", "unavailable",
				  503, ODS_C_UNAVAILABLE },
	[ODS_ETIMEOUT] =	{ "upstream timeout", "gateway_timeout",
				  504, ODS_C_GATEWAY_TIMEOUT },
	[ODS_EIO] =		{ "i/o error", "internal_error", 500, ODS_C_INTERNAL },
	[ODS_ENOSPC] =		{ "no space left on device",
				  "insufficient_storage", 507, ODS_C_NO_SPACE },
	[ODS_ECORRUPT] =	{ "stored data is corrupt", "internal_error",
				  500, ODS_C_INTERNAL },
	[ODS_EINTERNAL] =	{ "internal error", "internal_error",
				  500, ODS_C_INTERNAL },
	[ODS_EUNSUPPORTED] =	{ "unsupported media type",
				  "unsupported_media_type", 415,
				  ODS_C_UNSUPPORTED_MEDIA },
	[ODS_EMALFORMED] =	{ "the file could not be parsed",
				  "unprocessable_entity", 422,
				  ODS_C_UNPROCESSABLE },
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

enum ods_code
ods_err_code(enum ods_err e)
{
	return valid(e) ? errs[e].code : ODS_C_INTERNAL;
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

void
ods_why_set(struct ods_why *why, const char *field, const char *fmt, ...)
{
	va_list	ap;

	if (why == NULL)
		return;
	snprintf(why->field, sizeof(why->field), "%s",
	    field != NULL ? field : "");
	va_start(ap, fmt);
	vsnprintf(why->msg, sizeof(why->msg), fmt, ap);
	va_end(ap);
}
