/*
 * tests/fuzz/fuzz_jsonl.c — the JSON Lines and JSON-array readers of
 * dataset previews (lib/text/ods_tab.c). Byte 0 picks JSON Lines or a
 * JSON array (bit 0), a head or the whole file (bit 1) and the row limit
 * (bits 2-7, 1..64); the rest is the file. Promises in
 * fuzz_tab_common.h, the streaming counter included (on valid UTF-8).
 */
#include "config.h"

#include "fuzz_tab_common.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum ods_tab_format	 fmt;
	char			*s;
	size_t			 n;

	fuzz_quiet();
	if (size < 1)
		return 0;
	fmt = (data[0] & 1) ? ODS_TAB_JSON : ODS_TAB_JSONL;
	n = size - 1;
	s = malloc(n + 1);
	memcpy(s, data + 1, n);
	s[n] = '\0';
	fz_tab(fmt, s, n, (data[0] & 2) == 0, 1 + ((data[0] >> 2) & 63),
	    strlen(s) == n && fz_utf8(s));
	free(s);
	return 0;
}
