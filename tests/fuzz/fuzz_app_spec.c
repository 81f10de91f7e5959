/*
 * tests/fuzz/fuzz_app_spec.c — the body of POST/PUT /apps
 * (ods_app_spec_parse in svc/agent/app.c): any bytes as JSON, then the
 * spec; an accepted spec must keep the limits the handlers rely on.
 */
#include "config.h"

#include <assert.h>

#include "core/ods_err.h"
#include "core/ods_json.h"
#include "../../svc/agent/app.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object	*o = NULL;
	struct ods_app_spec	 sp;
	struct ods_why		 why;
	static int		 once;
	ssize_t			 i;

	if (!once) {
		fuzz_quiet();
		once = 1;
	}
	if (ods_json_parse((const char *)data, size, 16, &o, &why) != ODS_OK)
		return 0;
	if (ods_app_spec_parse(o, &sp, &why) == ODS_OK) {
		assert(sp.nkbs >= -1 && sp.nkbs <= ODS_APP_KB_MAX);
		assert(sp.ntags >= -1 && sp.ntags <= ODS_APP_TAGS_MAX);
		for (i = 0; i < sp.nkbs; i++)
			assert(sp.kb_ids[i] != NULL && *sp.kb_ids[i] != '\0');
		for (i = 0; i < sp.ntags; i++)
			assert(sp.tags[i] != NULL);
		assert(sp.temperature == -1 ||
		    (sp.temperature >= 0 && sp.temperature <= 2));
		assert(sp.max_tokens == -1 || (sp.max_tokens >= 1 &&
		    sp.max_tokens <= ODS_APP_MAX_TOKENS));
		assert(sp.name == NULL ||
		    strlen(sp.name) <= ODS_APP_NAME_MAX);
	} else
		assert(why.msg[0] != '\0');
	ods_json_put(o);
	return 0;
}
