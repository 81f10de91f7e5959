/*
 * svc/agent/wf_shim.c — stand-ins for the engine's ods_wf_validate and
 * ods_wf_builtin_rag (svc/agent/wf.h, branch wf-engine) until it is
 * merged; removed by that merge.
 */
#include "config.h"

#include <string.h>

#include "core/ods_err.h"
#include "core/ods_json.h"
#include "core/ods_mem.h"
#include "workflow.h"

enum ods_err
ods_wf_validate(const char *def, size_t len, struct ods_buf *errors)
{
	struct json_object	*o = NULL;
	enum ods_err		 er = ODS_OK;

	if (ods_json_parse(def, len, 0, &o, NULL) != ODS_OK ||
	    !ods_json_is_obj(o) || ods_json_kind(ods_json_get(o, "nodes")) !=
	    ODS_JSON_ARRAY) {
		if (errors != NULL)
			(void)ods_buf_addf(errors, "[\"the definition needs "
			    "a nodes array\"]");
		er = ODS_EINVAL;
	}
	ods_json_put(o);
	return er;
}

const char *
ods_wf_builtin_rag(void)
{
	return "{\"version\":\"1.0\",\"nodes\":["
	    "{\"id\":\"input\",\"type\":\"input\",\"config\":{\"key\":\"query\"}},"
	    "{\"id\":\"retriever\",\"type\":\"retriever\",\"config\":{\"top_k\":5,"
	    "\"query_from\":\"input\"}},"
	    "{\"id\":\"llm\",\"type\":\"llm\",\"config\":{\"input_from\":"
	    "\"retriever.documents\"}},"
	    "{\"id\":\"output\",\"type\":\"output\",\"config\":{\"input_from\":"
	    "\"llm\"}}],\"edges\":["
	    "{\"source\":\"input\",\"target\":\"retriever\"},"
	    "{\"source\":\"retriever\",\"target\":\"llm\"},"
	    "{\"source\":\"llm\",\"target\":\"output\"}]}";
}
