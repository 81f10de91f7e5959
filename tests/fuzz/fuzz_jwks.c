/* tests/fuzz/fuzz_jwks.c — a JWKS document to RSA keys (SPKI PEM). */
#include "config.h"

#include "auth/ods_auth_int.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jwks_set	*set;
	static int	 once;

	if (!once) {
		fuzz_quiet();
		once = 1;
	}
	set = odsi_jwks_parse((const char *)data, size);
	odsi_jwks_set_free(set);
	return 0;
}
