/*
 * tests/fuzz/fuzz_chat.c — what /chat does with a client's bytes before
 * any model sees them. The first byte picks: even, the title a first
 * message gives a conversation (ods_conv_title: at most
 * ODS_CONV_TITLE_AUTO characters plus "…", no control character, no run
 * of blanks, none at either end; it fits the caller's buffer); odd, the grounding of a
 * message list (ods_rag_ground: a JSON array text in, the passages'
 * system message then its elements out, anything else refused).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core/ods_err.h"
#include "../../svc/agent/conv.h"
#include "../../svc/agent/rag.h"
#include "fuzz.h"

static int
blank(unsigned char c)
{
	return c <= ' ' || c == 0x7f;
}

static void
title(const char *in, size_t len)
{
	char	out[4 * ODS_CONV_TITLE_AUTO + 8];
	size_t	n, i, chars = 0;

	ods_conv_title(in, len, out, sizeof(out));
	n = strlen(out);
	if (n > 0 && (blank((unsigned char)out[0]) ||
	    blank((unsigned char)out[n - 1])))
		abort();
	for (i = 0; i < n; i++) {
		if ((out[i] == ' ' && out[i + 1] == ' ') ||
		    (blank((unsigned char)out[i]) && out[i] != ' '))
			abort();
		if (((unsigned char)out[i] & 0xC0) != 0x80)
			chars++;
	}
	if (chars > ODS_CONV_TITLE_AUTO + 1)
		abort();
}

static void
ground(const char *msgs)
{
	struct ods_rag_hit	h;
	char			*out = NULL;

	memset(&h, 0, sizeof(h));
	h.content = (char *)"a passage";
	h.title = (char *)"t";
	if (ods_rag_ground(msgs, &h, 1, &out) == ODS_OK) {
		if (strncmp(out, "[{\"role\":\"system\"", 17) != 0)
			abort();
		free(out);
	} else if (out != NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s;

	if (size == 0)
		return 0;
	fuzz_quiet();
	s = fuzz_str(data + 1, size - 1);
	if ((data[0] & 1) == 0)
		title(s, size - 1);
	else
		ground(s);
	free(s);
	return 0;
}
