/*
 * tests/fuzz/fuzz_react.c — the ReAct parser (svc/agent/react.c) on a
 * model's text: every part it finds lies within the input, in order
 * (thought, action, input before a final answer), whatever the bytes.
 */
#include "config.h"

#include <stdlib.h>

#include "core/ods_err.h"
#include "../../svc/agent/agent.h"
#include "fuzz.h"

static void
within(size_t off, size_t len, size_t size)
{
	if (off > size || len > size - off)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ods_react	r;

	fuzz_quiet();
	ods_react_parse((const char *)data, size, &r);
	within(r.thought, r.thought_len, size);
	within(r.action, r.action_len, size);
	within(r.input, r.input_len, size);
	within(r.final, r.final_len, size);
	if (r.has_final && r.has_action && r.action > r.final)
		abort();
	return 0;
}
