/*
 * tests/fuzz/fuzz_sse.c — the SSE event splitter, fed in pieces whose
 * sizes come from the first byte, and each event's data and usage.
 */
#include "config.h"

#include "core/ods_err.h"
#include "core/ods_mem.h"
#include "llm/ods_llm.h"
#include "llm/ods_llm_int.h"
#include "fuzz.h"

static int
on_event(void *arg, const char *ev, size_t len)
{
	struct ods_llm_usage	 u;
	char			 out[512];
	int			 usage_only;

	(void)arg;
	(void)odsi_sse_data(ev, len, out, sizeof(out));
	(void)odsi_sse_data(ev, len, out, 1);
	memset(&u, 0, sizeof(u));
	(void)odsi_sse_inspect(ev, len, &usage_only, &u);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ods_sse	 s;
	size_t		 off, step, n;
	static int	 once;

	if (!once) {
		fuzz_quiet();
		once = 1;
	}
	if (size < 1)
		return 0;
	step = (size_t)(data[0] & 0x3f) + 1;
	odsi_sse_init(&s, data[0] & 0x40 ? 64 : 8192);
	for (off = 1; off < size; off += n) {
		n = size - off < step ? size - off : step;
		if (odsi_sse_feed(&s, (const char *)data + off, n, on_event,
		    NULL) != ODS_OK)
			break;
	}
	(void)odsi_sse_pending(&s);
	odsi_sse_fini(&s);
	return 0;
}
