/* tests/fuzz/fuzz.h — what the libFuzzer targets share. */
#ifndef ODS_FUZZ_H
#define ODS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * Rejected input is logged at warn or error level; millions of such
 * lines would only slow the fuzzer down. ODS_FUZZ_LOG=1 keeps them.
 */
static inline void
fuzz_quiet(void)
{
	if (getenv("ODS_FUZZ_LOG") == NULL)
		ods_log_min = ODS_LOG_ERR + 1;
}

/* The input as a NUL-terminated string (cut at its first NUL). */
static inline char *
fuzz_str(const uint8_t *data, size_t size)
{
	char	*s;

	if ((s = malloc(size + 1)) == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* A copy of the input (fmemopen wants a writable buffer). */
static inline char *
fuzz_bytes(const uint8_t *data, size_t size)
{
	char	*s;

	if ((s = malloc(size)) == NULL)
		abort();
	memcpy(s, data, size);
	return s;
}

#endif /* ODS_FUZZ_H */
