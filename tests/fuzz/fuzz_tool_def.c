/*
 * tests/fuzz/fuzz_tool_def.c — the body of POST/PUT /tools (a stored
 * HTTP tool: ods_tool_def_check and the JSON Schema check of its
 * parameters in svc/agent/tool_store.c, tool_check.c): any bytes as
 * JSON, then the definition; an accepted one's schema must then check
 * any arguments (the body's "arguments", when there) without failing
 * to say why.
 */
#include "config.h"

#include <assert.h>
#include <string.h>

#include "core/ods_conf.h"
#include "core/ods_err.h"
#include "core/ods_json.h"
#include "../../svc/agent/tool.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ods_conf	 c;
	static char		 domains[] = "example.org,127.0.0.2";
	struct json_object	*o = NULL, *params;
	struct ods_why		 why;
	static int		 once;
	const char		*name;
	enum ods_err		 er;

	if (!once) {
		fuzz_quiet();
		c.http_tool_domains = domains;
		once = 1;
	}
	if (ods_json_parse((const char *)data, size, 32, &o, &why) != ODS_OK)
		return 0;
	memset(&why, 0, sizeof(why));
	/* An update's rules (fields optional) admit what a create's do. */
	er = ods_tool_def_check(&c, o, 1, &why);
	if (er == ODS_OK) {
		name = ods_json_get_str(o, "name");
		assert(ods_tool_name_ok(name));
		assert(ods_tool_find(name) == NULL);
		memset(&why, 0, sizeof(why));
		assert(ods_tool_def_check(&c, o, 0, &why) == ODS_OK);
		params = ods_json_get(o, "parameters");
		memset(&why, 0, sizeof(why));
		if (ods_tool_check(params, ods_json_get(params, "default"),
		    &why) != ODS_OK)
			assert(why.msg[0] != '\0');
	} else
		assert(why.msg[0] != '\0');
	ods_json_put(o);
	return 0;
}
