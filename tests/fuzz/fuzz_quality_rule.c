/*
 * tests/fuzz/fuzz_quality_rule.c — a quality rule's definition (the body
 * of POST/PUT /quality/rules and the stored rule_config: ods_qr_parse in
 * svc/data/quality_def.c): any bytes as JSON, then the definition; an
 * accepted one must keep the limits the SQL builder relies on and build
 * SQL for both dialects.
 */
#include "config.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_err.h"
#include "core/ods_json.h"
#include "../../svc/data/quality.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object	*o = NULL;
	struct ods_qr_def	 d;
	struct ods_why		 why;
	static int		 once;
	char			*c, *s;
	int			 pg;

	if (!once) {
		fuzz_quiet();
		once = 1;
	}
	if (ods_json_parse((const char *)data, size, 16, &o, &why) != ODS_OK)
		return 0;
	if (ods_qr_parse(o, 0, &d, &why) == ODS_OK) {
		assert(d.type >= 0 && d.type < ODS_QR__N);
		assert((d.source_id == NULL) != (d.dataset_id == NULL));
		assert(d.nvalues <= ODS_QR_VALUES_MAX);
		assert(d.table == NULL || strlen(d.table) <= ODS_QR_IDENT_MAX);
		for (pg = 0; pg < 2 && d.source_id != NULL; pg++) {
			if (ods_qr_sql(&d, pg, &c, &s) != ODS_OK)
				continue;
			assert(c != NULL && s != NULL);
			free(c);
			free(s);
		}
		(void)ods_qr_judge(&d, 3, 10);
	}
	ods_json_put(o);
	return 0;
}
