/*
 * tests/fuzz/fuzz_env.c — the env file reader (--env-file, re-read at
 * every SIGHUP): the input is the file. Whatever it holds, every line
 * taken has a non-empty name without '=', CR or LF, and a value without
 * CR or LF.
 */
#include "config.h"

#include <stdio.h>

#include "core/ods_conf.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ods_env_line	*lines;
	FILE			*fp, *report;
	char			*copy;
	size_t			 n, i;

	if (size == 0)
		return 0;
	copy = fuzz_bytes(data, size);
	if ((fp = fmemopen(copy, size, "r")) == NULL ||
	    (report = fopen("/dev/null", "w")) == NULL)
		abort();
	(void)ods_env_file_read(fp, "fuzz.env", report, &lines, &n);
	for (i = 0; i < n; i++) {
		if (lines[i].key[0] == '\0' ||
		    lines[i].key[strcspn(lines[i].key, "=\r\n")] != '\0' ||
		    lines[i].val[strcspn(lines[i].val, "\r\n")] != '\0')
			abort();
	}
	ods_env_lines_free(lines, n);
	fclose(report);
	fclose(fp);
	free(copy);
	return 0;
}
