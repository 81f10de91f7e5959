/*
 * tests/fuzz/fuzz_lineage_sql.c — what a SELECT reads, for lineage
 * (svc/data/lineage_sql.c). The input is SQL text; the answer is ODS_OK
 * or ODS_EINVAL; on ODS_OK every table and column is a NUL-terminated
 * string no longer than the input, a column's expression is a piece of
 * the input, and column-level answers hold only plain SELECTs.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core/ods_err.h"
#include "../../svc/data/lineage.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ods_lineage_sql	 ls;
	const char		*s = (const char *)data;
	size_t			 i;
	enum ods_err		 er;

	fuzz_quiet();
	er = ods_lineage_parse_sql(s, size, &ls);
	if (er != ODS_OK) {
		if (er != ODS_EINVAL || ls.ntables != 0 || ls.ncols != 0)
			abort();
		return 0;
	}
	for (i = 0; i < ls.ntables; i++)
		if (strlen(ls.tables[i]) > size)
			abort();
	if (!ls.column_level && ls.ncols != 0)
		abort();
	for (i = 0; i < ls.ncols; i++) {
		if (strlen(ls.cols[i].dst) > size ||
		    strlen(ls.cols[i].src_col) > size ||
		    (ls.cols[i].src_table != NULL &&
		    strlen(ls.cols[i].src_table) > size))
			abort();
		if (ls.cols[i].expr != NULL &&
		    memmem(data, size, ls.cols[i].expr,
		    strlen(ls.cols[i].expr)) == NULL)
			abort();
	}
	ods_lineage_sql_fini(&ls);
	return 0;
}
