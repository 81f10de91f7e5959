/*
 * tests/fuzz/fuzz_text.c — text extraction (lib/text) on hostile files of
 * every format: whatever the input, the answer is ODS_OK with valid
 * UTF-8 that has no NUL, fits the cap and chunks, or one of the errors
 * the contract names with a reason in words, and never a crash, a leak
 * or a hang.
 *
 * Input: byte 0 picks the format (1 + byte % 7: text, markdown, html,
 * pdf, docx, csv, json), byte 1 the cap (0: the default, else byte * 13
 * bytes); the rest is the file.
 */
#include "config.h"

#include <stdio.h>

#include "core/ods_err.h"
#include "text/ods_text.h"
#include "fuzz.h"

static int
valid_utf8(const unsigned char *p, size_t n)
{
	size_t	i = 0, k, j;

	while (i < n) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		k = p[i] >= 0xc2 && p[i] <= 0xdf ? 2 : p[i] >= 0xe0 &&
		    p[i] <= 0xef ? 3 : p[i] >= 0xf0 && p[i] <= 0xf4 ? 4 : 0;
		if (k == 0 || i + k > n)
			return 0;
		for (j = 1; j < k; j++)
			if ((p[i + j] & 0xc0) != 0x80)
				return 0;
		if ((p[i] == 0xe0 && p[i + 1] < 0xa0) ||
		    (p[i] == 0xed && p[i + 1] > 0x9f) ||
		    (p[i] == 0xf0 && p[i + 1] < 0x90) ||
		    (p[i] == 0xf4 && p[i + 1] > 0x8f))
			return 0;
		i += k;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int		 once;
	struct ods_text_result	 r;
	struct ods_text_chunk	*v;
	struct ods_why		 why;
	enum ods_text_format	 f;
	enum ods_err		 er;
	size_t			 max, n;

	if (!once) {
		fuzz_quiet();
		once = 1;
	}
	if (size < 2)
		return 0;
	f = (enum ods_text_format)(1 + data[0] % 7);
	max = (size_t)data[1] * 13;
	memset(&why, 0, sizeof(why));
	er = ods_text_extract_mem_why(data + 2, size - 2, f, max, &r, &why);
	if (er != ODS_OK) {
		if (r.text != NULL || why.msg[0] == '\0' ||
		    (er != ODS_EINVAL && er != ODS_EUNSUPPORTED &&
		    er != ODS_ETOOBIG)) {
			fprintf(stderr, "error %d, why '%s'\n", (int)er,
			    why.msg);
			abort();
		}
		return 0;
	}
	if (r.text == NULL || strlen(r.text) != r.len ||
	    (max != 0 && r.len > max) || r.charset[0] == '\0' ||
	    !valid_utf8((const unsigned char *)r.text, r.len))
		abort();
	if (ods_text_chunk(r.text, r.len, 1 + data[1] % 50, data[1] % 5 %
	    (1 + data[1] % 50), &v, &n) != ODS_OK)
		abort();
	free(v);
	ods_text_result_fini(&r);
	return 0;
}
