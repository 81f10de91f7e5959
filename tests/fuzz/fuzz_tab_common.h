/*
 * tests/fuzz/fuzz_tab_common.h — what the table reader's fuzz targets
 * check of a table read (fuzz_csv.c, fuzz_jsonl.c): every cell and name
 * valid UTF-8 without NUL, names distinct, number cells JSON numbers;
 * and, when the whole input was read, the streaming counter agrees.
 */
#ifndef FUZZ_TAB_COMMON_H
#define FUZZ_TAB_COMMON_H

#include <stdio.h>

#include "core/ods_json.h"
#include "text/ods_tab.h"
#include "fuzz.h"

static int
fz_utf8(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 k, i;

	while (*p != '\0') {
		if (*p < 0x80)
			k = 0;
		else if ((*p & 0xe0) == 0xc0)
			k = 1;
		else if ((*p & 0xf0) == 0xe0)
			k = 2;
		else if ((*p & 0xf8) == 0xf0)
			k = 3;
		else
			return 0;
		for (i = 1; i <= k; i++)
			if ((p[i] & 0xc0) != 0x80)
				return 0;
		p += k + 1;
	}
	return 1;
}

/* Read data as fmt; abort() on a broken promise. */
static void
fz_tab(enum ods_tab_format fmt, const char *data, size_t size, int eof,
    size_t limit, int check_count)
{
	struct ods_tab		*t = NULL;
	struct ods_tab_count	 c;
	struct json_object	*o;
	struct ods_why		 why;
	const char		*s;
	char			*w;
	size_t			 r, k, j, line = 0;
	enum ods_err		 er;

	memset(&why, 0, sizeof(why));
	er = ods_tab_read(fmt, data, size, eof, limit, NULL, &t, &line, &why);
	if (er != ODS_OK) {
		if (t != NULL || (er != ODS_EMALFORMED &&
		    er != ODS_EUNSUPPORTED && er != ODS_EINVAL))
			abort();
		if (er == ODS_EMALFORMED && (line == 0 || why.msg[0] == '\0'))
			abort();
		return;
	}
	for (k = 0; k < t->ncols; k++) {
		if (!fz_utf8(t->cols[k].name) || t->cols[k].name[0] == '\0')
			abort();
		for (j = 0; j < k; j++)
			if (strcmp(t->cols[j].name, t->cols[k].name) == 0)
				abort();
	}
	if (t->nrows > limit)
		abort();
	for (r = 0; r < t->nrows; r++)
		for (k = 0; k < t->ncols; k++) {
			if ((s = ods_tab_cell(t, r, k)) == NULL)
				continue;
			if (!fz_utf8(s))
				abort();
			if (t->cols[k].type == ODS_TAB_T_INT ||
			    t->cols[k].type == ODS_TAB_T_NUMBER ||
			    t->cols[k].type == ODS_TAB_T_JSON) {
				/* In brackets: json-c wants a number ended. */
				o = NULL;
				w = malloc(strlen(s) + 3);
				sprintf(w, "[%s]", s);
				if (ods_json_parse(w, strlen(w), 64, &o,
				    NULL) != ODS_OK)
					abort();
				ods_json_put(o);
				free(w);
			}
		}
	if (check_count && eof && !t->more) {
		ods_tab_count_init(&c, fmt);
		ods_tab_count_feed(&c, data, size);
		if (ods_tab_count_end(&c, t->header) != t->nrows) {
			fprintf(stderr, "count %llu rows %zu\n",
			    (unsigned long long)c.records, t->nrows);
			abort();
		}
	}
	ods_tab_free(t);
}

#endif /* FUZZ_TAB_COMMON_H */
