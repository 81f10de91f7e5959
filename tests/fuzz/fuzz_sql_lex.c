/*
 * tests/fuzz/fuzz_sql_lex.c — the statement gate of POST /query/execute
 * (svc/data/sql_lex.c) in both dialects. The input is SQL text; the
 * verdict is ODS_OK or ODS_EINVAL, a passed statement has a kind and a
 * length within the input, and checking the passed bytes again (its ';'
 * and what follows left out) passes with the same kind.
 */
#include "config.h"

#include <string.h>

#include "core/ods_err.h"
#include "../../svc/data/sql_lex.h"
#include "fuzz.h"

static void
one(const uint8_t *data, size_t size, enum ods_sql_dialect d)
{
	struct ods_sql_verdict	v, again;
	enum ods_err		er;

	er = ods_sql_check((const char *)data, size, d, &v);
	if (er != ODS_OK) {
		if (er != ODS_EINVAL || v.slug[0] == '\0' || v.why[0] == '\0')
			abort();
		return;
	}
	if (v.kind[0] == '\0' || v.len > size)
		abort();
	if (ods_sql_check((const char *)data, v.len, d, &again) != ODS_OK ||
	    strcmp(again.kind, v.kind) != 0 || again.len != v.len)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_quiet();
	one(data, size, ODS_SQL_MYSQL);
	one(data, size, ODS_SQL_PG);
	return 0;
}
