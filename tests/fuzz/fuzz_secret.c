/*
 * tests/fuzz/fuzz_secret.c — sealed values as they come back from the
 * database ("v1:" + base64): opening any bytes never crashes, and opens
 * only what was sealed (a forgery passing GCM's tag would abort). The
 * input sealed and opened again round-trips.
 */
#include "config.h"

#include "core/ods_err.h"
#include "core/ods_secret.h"
#include "fuzz.h"

#define KEY	"000102030405060708090a0b0c0d0e0f" \
		"101112131415161718191a1b1c1d1e1f"
#define OLD	"q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA="

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ods_secret	*sec;
	char				*s, *p = NULL, *v = NULL;
	int				 stale;

	if (sec == NULL) {
		fuzz_quiet();
		if (ods_secret_new(KEY, OLD, &sec, NULL) != ODS_OK)
			abort();
	}
	s = fuzz_str(data, size);
	if (ods_secret_open(sec, s, &p, &stale) == ODS_OK) {
		/* Only a value sealed here opens; the fuzzer cannot forge. */
		abort();
	}
	if (p != NULL)
		abort();
	if (size <= ODS_SECRET_PLAIN_MAX) {
		if (ods_secret_seal(sec, data, size, &v) != ODS_OK ||
		    ods_secret_open(sec, v, &p, &stale) != ODS_OK ||
		    stale || strlen(p) != strlen(s) || memcmp(p, s,
		    strlen(s)) != 0)
			abort();
		ods_secret_clear(p);
		free(v);
	}
	free(s);
	return 0;
}
