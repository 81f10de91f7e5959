/*
 * tests/fuzz/fuzz_cidr.c — CIDR lists (ODS_DATASOURCE_ALLOW/_DENY) and
 * the policy's matching. The input is a list; when it parses, every range
 * has a family and a prefix in bounds, matches its own network address,
 * and a one-range list agrees with ods_cidr_parse of that range's text.
 */
#include "config.h"

#include <arpa/inet.h>

#include "core/ods_cidr.h"
#include "core/ods_err.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ods_cidr	*v = NULL, one;
	size_t		 n = 0, i;
	char		*s;

	fuzz_quiet();
	s = fuzz_str(data, size);
	if (ods_cidr_list_parse(s, &v, &n, NULL) == ODS_OK) {
		if (n > ODS_CIDR_LIST_MAX || (n == 0) != (v == NULL))
			abort();
		for (i = 0; i < n; i++) {
			if ((v[i].family != 4 && v[i].family != 6) ||
			    v[i].bits > (v[i].family == 4 ? 32u : 128u))
				abort();
			if (!ods_cidr_match(&v[i], 1, v[i].family, v[i].addr))
				abort();
		}
	}
	free(v);
	/* A single range: the same verdict as the list of it. */
	if (ods_cidr_parse(s, strlen(s), &one) == ODS_OK &&
	    !ods_cidr_match(&one, 1, one.family, one.addr))
		abort();
	free(s);
	return 0;
}
