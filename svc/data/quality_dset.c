/*
 * svc/data/quality_dset.c — rules on a dataset (quality.h): the head of
 * its latest version read with lib/text's table reader (at most
 * ODS_TAB_ROWS_MAX rows within ODS_DSET_HEAD_BYTES: bounded memory), the
 * rule's column checked row by row (regex: POSIX extended, the whole
 * cell searched as MySQL's REGEXP and PostgreSQL's ~ search); row_count
 * takes the version's exact count.
 */
#include "config.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_json.h"
#include "core/ods_mem.h"
#include "text/ods_tab.h"
#include "dataset.h"
#include "quality.h"
#include "data_int.h"

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Rows whose non-null value another row shares. */
static int64_t
duplicates(const struct ods_tab *t, size_t col, char ***dups, size_t *ndups)
{
	const char	**v = ods_xcalloc(t->nrows + 1, sizeof(*v));
	size_t		  i, j, n = 0;
	int64_t		  c = 0;

	for (i = 0; i < t->nrows; i++)
		if ((v[n] = ods_tab_cell(t, i, col)) != NULL)
			n++;
	qsort(v, n, sizeof(*v), cmp_str);
	*dups = ods_xcalloc(n + 1, sizeof(**dups));
	*ndups = 0;
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && strcmp(v[i], v[j]) == 0; j++)
			;
		if (j - i > 1) {
			c += (int64_t)(j - i);
			(*dups)[(*ndups)++] = (char *)v[i];
		}
	}
	free(v);
	return c;
}

static int
is_dup(char **dups, size_t n, const char *s)
{
	return s != NULL && bsearch(&s, dups, n, sizeof(*dups), cmp_str) !=
	    NULL;
}

static int
violates(const struct ods_qr_def *d, const regex_t *re, const char *s)
{
	char	*end;
	double	 v;
	size_t	 i;

	switch (d->type) {
	case ODS_QR_NOT_NULL:
		return s == NULL;
	case ODS_QR_RANGE:
		if (s == NULL)
			return 0;
		v = strtod(s, &end);
		/* A value that is no number is out of any range. */
		if (end == s || *end != '\0')
			return 1;
		return (d->has_min && v < d->min) || (d->has_max && v > d->max);
	case ODS_QR_REGEX:
		return s != NULL && regexec(re, s, 0, NULL, 0) != 0;
	case ODS_QR_ALLOWED:
		if (s == NULL)
			return 0;
		for (i = 0; i < d->nvalues; i++)
			if (strcmp(s, d->values[i]) == 0)
				return 0;
		return 1;
	}
	return 0;
}

static void
sample_row(struct ods_jw *jw, const struct ods_tab *t, size_t row)
{
	size_t	c;

	ods_jw_obj(jw);
	for (c = 0; c < t->ncols; c++)
		ods_jw_kstr(jw, t->cols[c].name, ods_tab_cell(t, row, c));
	ods_jw_end(jw);
}

static void
check_rows(const struct ods_qr_def *d, const struct ods_tab *t, size_t col,
    struct odsi_qr_result *r)
{
	struct ods_buf	 b;
	struct ods_jw	 jw;
	regex_t		 re;
	char		**dups = NULL;
	size_t		 i, ndups = 0, kept = 0;
	int		 bad;

	/* Checked when the rule was made; a stored one could still fail. */
	if (d->type == ODS_QR_REGEX &&
	    regcomp(&re, d->pattern, REG_EXTENDED | REG_NOSUB) != 0) {
		snprintf(r->error, sizeof(r->error), "pattern: not a POSIX "
		    "extended regular expression");
		return;
	}
	r->rows = (int64_t)t->nrows;
	r->partial = t->more;
	if (d->type == ODS_QR_UNIQUE)
		r->violations = duplicates(t, col, &dups, &ndups);
	ods_buf_init(&b, 1u << 20);
	ods_jw_init(&jw, &b);
	ods_jw_arr(&jw);
	for (i = 0; i < t->nrows; i++) {
		bad = d->type == ODS_QR_UNIQUE ?
		    is_dup(dups, ndups, ods_tab_cell(t, i, col)) :
		    violates(d, &re, ods_tab_cell(t, i, col));
		if (!bad)
			continue;
		if (d->type != ODS_QR_UNIQUE)
			r->violations++;
		if (kept++ < ODS_QR_SAMPLE)
			sample_row(&jw, t, i);
	}
	ods_jw_end(&jw);
	if (ods_jw_error(&jw) == ODS_OK)
		r->sample = ods_buf_take(&b, NULL);
	ods_buf_free(&b);
	free(dups);
	if (d->type == ODS_QR_REGEX)
		regfree(&re);
}

void
odsi_qr_check_dataset(const struct ods_quality_env *e,
    const struct ods_qr_def *d, struct odsi_qr_result *r)
{
	struct ods_dset		*ds = NULL;
	struct ods_dsver	*v = NULL;
	struct ods_tab		*t = NULL;
	struct ods_why		 why;
	size_t			 col, line = 0;
	enum ods_err		 er;

	memset(&why, 0, sizeof(why));
	if (ods_dset_get(e->db, d->dataset_id, NULL, &ds) != ODS_OK ||
	    ods_dsver_get(e->db, d->dataset_id, 0, &v) != ODS_OK) {
		snprintf(r->error, sizeof(r->error), "not_found: the dataset "
		    "or its latest version does not exist");
		goto out;
	}
	if (d->type == ODS_QR_ROW_COUNT) {
		r->table_rows = v->row_count;
		r->rows = 1;
		r->violations = (d->has_min && (double)v->row_count < d->min) ||
		    (d->has_max && (double)v->row_count > d->max);
		goto out;
	}
	if (e->obj == NULL) {
		snprintf(r->error, sizeof(r->error), "unavailable: no object "
		    "store");
		goto out;
	}
	er = ods_dset_preview(e->obj, v->storage_path,
	    ods_dset_tab_format(ds, v), ODS_TAB_ROWS_MAX, v->charset, &t,
	    &line, &why);
	if (er != ODS_OK) {
		snprintf(r->error, sizeof(r->error), "%s: %s",
		    ods_err_slug(er), why.msg[0] != '\0' ? why.msg :
		    ods_strerror(er));
		goto out;
	}
	for (col = 0; col < t->ncols; col++)
		if (strcmp(t->cols[col].name, d->column) == 0)
			break;
	if (col == t->ncols)
		snprintf(r->error, sizeof(r->error), "unknown_column: the "
		    "dataset has no column %s", d->column);
	else
		check_rows(d, t, col, r);
out:
	ods_tab_free(t);
	ods_dsver_free(v);
	ods_dset_free(ds);
}
