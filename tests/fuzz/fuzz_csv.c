/*
 * tests/fuzz/fuzz_csv.c — the CSV/TSV reader of dataset previews
 * (lib/text/ods_tab.c): dialect and header detection, quotes, charsets.
 * Byte 0 picks CSV or TSV (bit 0), a head or the whole file (bit 1) and
 * the row limit (bits 2-7, 1..64); the rest is the file. Promises in
 * fuzz_tab_common.h; the counter must agree on ASCII input without
 * quotes out of place (it cannot know the delimiter).
 */
#include "config.h"

#include "fuzz_tab_common.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum ods_tab_format	 fmt;
	const char		*p;
	size_t			 i, n;
	int			 ascii = 1;

	fuzz_quiet();
	if (size < 1)
		return 0;
	fmt = (data[0] & 1) ? ODS_TAB_TSV : ODS_TAB_CSV;
	p = (const char *)data + 1;
	n = size - 1;
	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] >= 0x80 || p[i] == '\0' || p[i] == '"')
			ascii = 0;
	fz_tab(fmt, p, n, (data[0] & 2) == 0, 1 + ((data[0] >> 2) & 63),
	    ascii);
	return 0;
}
