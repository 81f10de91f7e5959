/*
 * svc/agent/wf_glue.c — the engine's view of the expression language
 * (wf_int.h): validation's checks of expressions and templates.
 */
#include "config.h"

#include <string.h>

#include "core/ods_err.h"
#include "wf_int.h"

enum ods_err
odsi_wf_expr_check(const char *s, size_t len, struct ods_why *why)
{
	if (len == 0 || len > 4096) {
		ods_why_set(why, NULL, "an expression of 1..4096 bytes");
		return ODS_EINVAL;
	}
	(void)s;
	return ODS_OK;
}

enum ods_err
odsi_wf_template_check(const char *s, size_t len, struct ods_why *why)
{
	const char	*p = s, *e = s + len, *o, *c;

	while ((o = memmem(p, (size_t)(e - p), "{{", 2)) != NULL) {
		c = memmem(o + 2, (size_t)(e - o - 2), "}}", 2);
		if (c == NULL) {
			ods_why_set(why, NULL, "'{{' at byte %zu is not "
			    "closed", (size_t)(o - s));
			return ODS_EINVAL;
		}
		p = c + 2;
	}
	return ODS_OK;
}
