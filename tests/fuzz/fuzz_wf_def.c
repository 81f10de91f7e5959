/*
 * tests/fuzz/fuzz_wf_def.c — workflow definitions (svc/agent/wf_def.c):
 * any bytes give ODS_OK with a graph whose order holds every node once,
 * or ODS_EINVAL/ODS_ETOOBIG with a JSON array of messages; never a
 * crash, never a walk that does not end.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core/ods_err.h"
#include "core/ods_mem.h"
#include "../../svc/agent/wf.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ods_wf_def	*d = NULL;
	struct ods_buf		 errs;
	enum ods_err		 er;
	unsigned char		*seen;
	size_t			 i;

	fuzz_quiet();
	ods_buf_init(&errs, 1 << 20);
	er = ods_wf_def_parse((const char *)data, size, &d, &errs);
	if (er == ODS_OK) {
		seen = calloc(d->nnodes + 1, 1);
		for (i = 0; i < d->nnodes; i++)
			if (d->order[i] >= d->nnodes || seen[d->order[i]]++)
				abort();
		free(seen);
		if (errs.data == NULL || strcmp(errs.data, "[]") != 0)
			abort();
	} else if ((er != ODS_EINVAL && er != ODS_ETOOBIG) ||
	    errs.data == NULL || errs.len < 4 || errs.data[0] != '[')
		abort();
	ods_wf_def_free(d);
	ods_buf_free(&errs);
	return 0;
}
