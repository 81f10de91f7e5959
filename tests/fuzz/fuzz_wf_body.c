/*
 * tests/fuzz/fuzz_wf_body.c — the bodies of the workflow and schedule
 * routes (svc/agent/workflow.h): any JSON gives ODS_OK with fields
 * within their bounds, or ODS_EINVAL naming a field; never a crash.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core/ods_err.h"
#include "core/ods_json.h"
#include "../../svc/agent/workflow.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ods_wf_spec		 sp;
	struct ods_wf_sched_spec	 ss;
	struct ods_wf_retry_spec	 rs;
	struct json_object		*o = NULL;
	struct ods_why			 why;
	enum ods_err			 er;

	fuzz_quiet();
	if (ods_json_parse((const char *)data, size, 0, &o, NULL) != ODS_OK)
		return 0;
	memset(&why, 0, sizeof(why));
	er = ods_wf_spec_parse(o, &sp, &why);
	if (er == ODS_OK) {
		if ((sp.name != NULL && strlen(sp.name) > ODS_WF_NAME_MAX) ||
		    (sp.definition != NULL && (strlen(sp.definition) >
		    ODS_WF_DEF_MAX || sp.definition[0] != '{')))
			abort();
	} else if (er != ODS_EINVAL)
		abort();
	er = ods_wf_sched_parse(o, &ss, &why);
	if (er == ODS_OK) {
		if (strcmp(ss.schedule_type, "cron") != 0 &&
		    strcmp(ss.schedule_type, "interval") != 0)
			abort();
		if ((strcmp(ss.schedule_type, "cron") == 0 &&
		    ss.cron_expression == NULL) ||
		    (strcmp(ss.schedule_type, "interval") == 0 &&
		    ss.interval_seconds <= 0) || ss.max_retries < 0 ||
		    ss.max_retries > 10 || ss.retry_backoff_base < 1)
			abort();
	} else if (er != ODS_EINVAL)
		abort();
	er = ods_wf_retry_parse(o, &rs, &why);
	if (er != ODS_OK && er != ODS_EINVAL)
		abort();
	if (er == ODS_OK && ods_wf_retry_delay_ms(rs.retry_delay_seconds,
	    rs.retry_backoff_base, rs.max_retries) > 86400000)
		abort();
	ods_json_put(o);
	return 0;
}
