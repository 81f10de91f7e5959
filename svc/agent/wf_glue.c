/*
 * svc/agent/wf_glue.c — the engine's view of the expression language
 * (wf_expr.h): validation's checks, and the scope of a node's task.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/ods_err.h"
#include "core/ods_json.h"
#include "core/ods_mem.h"
#include "wf_node.h"

enum ods_err
odsi_wf_expr_check(const char *s, size_t len, struct ods_why *why)
{
	(void)len;
	return ods_wf_expr_check(s, why);
}

enum ods_err
odsi_wf_template_check(const char *s, size_t len, struct ods_why *why)
{
	(void)len;
	return ods_wf_render_check(s, why);
}

const char *
odsi_wf_value_text(struct json_object *v)
{
	if (v == NULL)
		return "";
	if (ods_json_kind(v) == ODS_JSON_STRING)
		return ods_json_string(v);
	return ods_json_text(v);
}

enum ods_err
odsi_wf_tfail(struct wf_task *t, enum ods_err er, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(t->error, sizeof(t->error), fmt, ap);
	va_end(ap);
	return er;
}

enum ods_err
odsi_wf_ref(struct wf_task *t, const char *ref, struct json_object **out)
{
	struct ods_why	why;
	enum ods_err	er;

	memset(&why, 0, sizeof(why));
	er = ods_wf_ref(&t->scope, ref, out, &why);
	if (er != ODS_OK)
		(void)odsi_wf_tfail(t, er, "%s: %s", ref, why.msg[0] ?
		    why.msg : ods_strerror(er));
	return er;
}

enum ods_err
odsi_wf_render(struct wf_task *t, const char *tmpl, struct ods_buf *out)
{
	struct ods_why	why;
	enum ods_err	er;

	memset(&why, 0, sizeof(why));
	er = ods_wf_render(tmpl, &t->scope, out, &why);
	if (er != ODS_OK)
		(void)odsi_wf_tfail(t, er, "template: %s", why.msg[0] ?
		    why.msg : ods_strerror(er));
	return er;
}
