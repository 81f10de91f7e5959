/*
 * svc/agent/wf_int.h — what workflow.c, wf_exec.c and wf_sched.c share
 * and nobody else.
 */
#ifndef SVC_WF_INT_H
#define SVC_WF_INT_H

#include <stddef.h>
#include <stdint.h>

#include "core/ods_err.h"

struct json_object;
struct ods_db;
struct ods_jw;
struct ods_why;

/* 1 when v is one of the NULL-ended set. */
int		 wfi_one_of(const char *v, const char *const *set);
/* "<prefix>-<2 * nbytes hex>" from the kernel's random bytes. */
void		 wfi_new_id(const char *prefix, size_t nbytes, char *out,
		    size_t len);
/* The number "123" is, or -1. */
int64_t		 wfi_numeric(const char *);
/*
 * Member f of o as JSON object text (borrowed from o): an object, or a
 * string holding one; *out NULL when absent or null. ODS_EINVAL naming f
 * otherwise or past max bytes.
 */
enum ods_err	 wfi_json_field(struct json_object *o, const char *f,
		    size_t max, const char **out, struct ods_why *)
		    ODS_MUSTCHECK;
/* Stored JSON text as a value of jw (null when absent or unreadable). */
void		 wfi_raw_json(struct ods_jw *, const char *txt);
/* Every schedule of a workflow, platform schedules first (wf_sched.c). */
enum ods_err	 wfi_sched_delete_all(struct ods_db *, const char *workflow_id)
		    ODS_MUSTCHECK;

/* ISO-8601 UTC with milliseconds of a DATETIME(3) column. */
#define WFI_TS3(col)	"DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%s.%fZ')"

#endif /* SVC_WF_INT_H */
