/*
 * svc/agent/wf_int.h — what the files of the workflow engine share
 * (wf_def.c, wf_run.c, wf_node*.c); not for callers outside it.
 */
#ifndef SVC_WF_INT_H
#define SVC_WF_INT_H

#include <stddef.h>

#include "core/ods_err.h"

struct ods_why;

/*
 * The checks of the expression language (wf_expr.h) as validation uses
 * them: an expression (condition, switch, loop) and a template ("{{ a.b
 * }}" in strings). ODS_OK or ODS_EINVAL with why.
 */
enum ods_err	odsi_wf_expr_check(const char *, size_t, struct ods_why *);
enum ods_err	odsi_wf_template_check(const char *, size_t,
		    struct ods_why *);

#endif /* SVC_WF_INT_H */
