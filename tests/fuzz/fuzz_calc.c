/*
 * tests/fuzz/fuzz_calc.c — the calculator tool's parser
 * (svc/agent/calc.c): any bytes give ODS_OK with a finite number, or
 * ODS_EINVAL/ODS_ETOOBIG with a reason; never a crash, never a deep
 * recursion.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>

#include "core/ods_err.h"
#include "../../svc/agent/calc.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ods_why	why;
	double		v;
	enum ods_err	er;

	fuzz_quiet();
	why.msg[0] = '\0';
	er = ods_calc_eval((const char *)data, size, &v, &why);
	if (er == ODS_OK && !isfinite(v))
		abort();
	if (er != ODS_OK && ((er != ODS_EINVAL && er != ODS_ETOOBIG) ||
	    why.msg[0] == '\0'))
		abort();
	return 0;
}
