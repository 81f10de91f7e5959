/*
 * svc/data/dataset.c — dataset rows, their schema and their versions
 * (dataset.h). Uploads are dataset_up.c, files dataset_file.c.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_json.h"
#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "core/ods_util.h"
#include "store/ods_db.h"
#include "text/ods_tab.h"
#include "dataset.h"
#include "data_int.h"

#define TS(col)	"DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%sZ')"
/* The columns of struct ods_dset, in row_to's order. */
#define COLS "d.id, d.dataset_id, d.name, d.description, d.storage_type, " \
	"d.storage_path, d.format, d.status, d.row_count, d.size_bytes, " \
	"d.tags, d.visibility, d.created_by, " TS("d.created_at") ", " \
	TS("d.updated_at") ", d.latest_version"
#define NCOLS	16	/* how many COLS are */
#define VCOLS "version_id, dataset_id, version_number, storage_path, " \
	"description, row_count, size_bytes, checksum, file_name, " \
	"content_type, format, has_header, charset, upload_id, created_by, " \
	TS("created_at")
#define ADD_TRIES	5

static const char *const storage_types[] = { "s3", "hdfs", "local", NULL };
static const char *const formats[] = { "csv", "tsv", "json", "jsonl",
	"parquet", "excel", NULL };
static const char *const statuses[] = { "active", "archived", "deleted",
	NULL };
static const char *const visibilities[] = { "public", "private", NULL };

static int
one_of(const char *s, const char *const *set)
{
	for (; *set != NULL; set++)
		if (strcmp(s, *set) == 0)
			return 1;
	return 0;
}

void
ods_dset_spec_init(struct ods_dset_spec *sp)
{
	memset(sp, 0, sizeof(*sp));
	sp->row_count = -1;
	sp->size_bytes = -1;
}

/* The next code point of s (valid UTF-8, checked by the JSON reader). */
static unsigned
next_cp(const unsigned char **pp)
{
	const unsigned char	*p = *pp;
	unsigned		 c = *p++;

	if (c >= 0xf0 && p[0] && p[1] && p[2]) {
		c = ((c & 0x07) << 18) | ((p[0] & 0x3f) << 12) |
		    ((p[1] & 0x3f) << 6) | (p[2] & 0x3f);
		p += 3;
	} else if (c >= 0xe0 && p[0] && p[1]) {
		c = ((c & 0x0f) << 12) | ((p[0] & 0x3f) << 6) | (p[1] & 0x3f);
		p += 2;
	} else if (c >= 0xc0 && p[0]) {
		c = ((c & 0x1f) << 6) | (p[0] & 0x3f);
		p += 1;
	}
	*pp = p;
	return c;
}

static size_t
chars(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 n = 0;

	while (*p != '\0') {
		(void)next_cp(&p);
		n++;
	}
	return n;
}

/* D3: letters, digits, CJK, '_', '-' and spaces. */
static int
name_ok(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	unsigned		 c;
	size_t			 n = 0;

	while (*p != '\0') {
		c = next_cp(&p);
		n++;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		    c == ' ' || (c >= 0x4e00 && c <= 0x9fff) ||
		    (c >= 0x3400 && c <= 0x4dbf) ||
		    (c >= 0xf900 && c <= 0xfaff)))
			return 0;
	}
	return n >= 1 && n <= ODS_DSET_NAME_MAX && s[0] != ' ';
}

static int
id_ok(const char *s)
{
	size_t	i;

	if (*s == '\0' || strlen(s) > ODS_DSET_ID_MAX)
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '-' || s[i] == '_' || s[i] == '.'))
			return 0;
	return 1;
}

enum ods_err
ods_dset_spec_check(const struct ods_dset_spec *sp, int create,
    struct ods_why *why)
{
	size_t	i, j;

	if (create && sp->name == NULL) {
		ods_why_set(why, "name", "name is required");
		return ODS_EINVAL;
	}
	if (sp->name != NULL && !name_ok(sp->name)) {
		ods_why_set(why, "name", "name is 1 to %d letters, digits, CJK "
		    "characters, '_', '-' or spaces", ODS_DSET_NAME_MAX);
		return ODS_EINVAL;
	}
	if (sp->dataset_id != NULL && !id_ok(sp->dataset_id)) {
		ods_why_set(why, "dataset_id", "dataset_id is 1 to %d "
		    "letters, digits, '-', '_' or '.'", ODS_DSET_ID_MAX);
		return ODS_EINVAL;
	}
	if (sp->description != NULL &&
	    chars(sp->description) > ODS_DSET_DESC_MAX) {
		ods_why_set(why, "description", "description is at most %d "
		    "characters", ODS_DSET_DESC_MAX);
		return ODS_EINVAL;
	}
	if (sp->storage_type != NULL && !one_of(sp->storage_type,
	    storage_types)) {
		ods_why_set(why, "storage_type", "storage_type is s3, hdfs or "
		    "local");
		return ODS_EINVAL;
	}
	if (sp->storage_path != NULL &&
	    strlen(sp->storage_path) > ODS_DSET_PATH_MAX) {
		ods_why_set(why, "storage_path", "storage_path is at most %d "
		    "bytes", ODS_DSET_PATH_MAX);
		return ODS_EINVAL;
	}
	if (sp->format != NULL && !one_of(sp->format, formats)) {
		ods_why_set(why, "format", "format is csv, tsv, json, jsonl, "
		    "parquet or excel");
		return ODS_EINVAL;
	}
	if (sp->status != NULL && !one_of(sp->status, statuses)) {
		ods_why_set(why, "status", "status is active, archived or "
		    "deleted");
		return ODS_EINVAL;
	}
	if (sp->visibility != NULL && !one_of(sp->visibility, visibilities)) {
		ods_why_set(why, "visibility", "visibility is public or "
		    "private");
		return ODS_EINVAL;
	}
	if (sp->set_cols && sp->ncols > ODS_DSET_COLS_MAX) {
		ods_why_set(why, "schema.columns", "at most %d columns",
		    ODS_DSET_COLS_MAX);
		return ODS_EINVAL;
	}
	for (i = 0; sp->set_cols && i < sp->ncols; i++) {
		if (sp->cols[i].name == NULL || *sp->cols[i].name == '\0' ||
		    strlen(sp->cols[i].name) > 128 ||
		    (sp->cols[i].type != NULL &&
		    strlen(sp->cols[i].type) > 64)) {
			ods_why_set(why, "schema.columns", "column %zu needs a "
			    "name of 1 to 128 bytes and a type of at most 64",
			    i);
			return ODS_EINVAL;
		}
		for (j = 0; j < i; j++)
			if (strcmp(sp->cols[i].name, sp->cols[j].name) == 0) {
				ods_why_set(why, "schema.columns", "column "
				    "'%s' appears twice", sp->cols[i].name);
				return ODS_EINVAL;
			}
	}
	return ODS_OK;
}

static void
row_to(const struct ods_db_res *res, size_t i, struct ods_dset *d)
{
	d->id = ods_db_res_int0(res, i, 0);
	d->dataset_id = ods_db_res_strdup(res, i, 1);
	d->name = ods_db_res_strdup(res, i, 2);
	d->description = ods_db_res_strdup(res, i, 3);
	d->storage_type = ods_db_res_strdup(res, i, 4);
	d->storage_path = ods_db_res_strdup(res, i, 5);
	d->format = ods_db_res_strdup(res, i, 6);
	d->status = ods_db_res_strdup(res, i, 7);
	d->row_count = ods_db_res_int0(res, i, 8);
	d->size_bytes = ods_db_res_int0(res, i, 9);
	d->tags = ods_db_res_strdup(res, i, 10);
	d->visibility = ods_db_res_strdup(res, i, 11);
	d->created_by = ods_db_res_strdup(res, i, 12);
	d->created_at = ods_db_res_strdup(res, i, 13);
	d->updated_at = ods_db_res_strdup(res, i, 14);
	d->version = ods_db_res_int0(res, i, 15);
}

static void
cols_free(struct ods_dset_col *c, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(c[i].name);
		free(c[i].type);
		free(c[i].description);
	}
	free(c);
}

static void
dset_fini(struct ods_dset *d)
{
	free(d->dataset_id);
	free(d->name);
	free(d->description);
	free(d->storage_type);
	free(d->storage_path);
	free(d->format);
	free(d->status);
	free(d->tags);
	free(d->visibility);
	free(d->created_by);
	free(d->created_at);
	free(d->updated_at);
	cols_free(d->cols, d->ncols);
	memset(d, 0, sizeof(*d));
}

void
ods_dset_free(struct ods_dset *d)
{
	if (d == NULL)
		return;
	dset_fini(d);
	free(d);
}

void
ods_dset_list_free(struct ods_dset *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		dset_fini(&v[i]);
	free(v);
}

struct col_order {
	int64_t	pos, id;
	size_t	row;
};

static int
col_order_cmp(const void *a, const void *b)
{
	const struct col_order	*x = a, *y = b;

	if (x->pos != y->pos)
		return x->pos < y->pos ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * One statement for the row and its schema (the dataset LEFT JOIN its
 * columns: one row per column, or one with NULL columns): a GET is the
 * most frequent call of the Data API and each statement is a round trip
 * and a parse on the server (tests/bench/data/get.sh). The columns are
 * put in order here: an ORDER BY on the joined table costs the server a
 * temporary table and a filesort per call, several times the read.
 */
enum ods_err
ods_dset_get(struct ods_db *db, const char *id, const char *owner,
    struct ods_dset **out)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[3];
	struct ods_dset		*d;
	struct ods_dset_col	*c;
	struct col_order	*ord;
	enum ods_err		 er;
	size_t			 i, n, m = 0;

	*out = NULL;
	if (id == NULL || !id_ok(id))
		return ODS_ENOTFOUND;
	a[0] = ods_db_text(id);
	a[1] = ods_db_int(owner == NULL);
	a[2] = ods_db_text(owner != NULL ? owner : "");
	er = ods_db_query_once(db, "SELECT " COLS ", c.column_name, "
	    "c.column_type, c.is_nullable, c.description, c.position, c.id "
	    "FROM datasets d LEFT JOIN dataset_columns c ON c.dataset_id = "
	    "d.dataset_id WHERE d.dataset_id = ? AND (? = 1 OR "
	    "d.created_by = ? OR d.visibility = 'public')", a, 3,
	    ODS_DSET_COLS_MAX, &res);
	if (er == ODS_OK && ods_db_res_nrows(res) == 0)
		er = ODS_ENOTFOUND;
	if (er != ODS_OK) {
		ods_db_res_free(res);
		return er;
	}
	d = ods_xcalloc(1, sizeof(*d));
	row_to(res, 0, d);
	n = ods_db_res_nrows(res);
	ord = ods_xcalloc(n, sizeof(*ord));
	for (i = 0; i < n; i++) {
		if (ods_db_res_isnull(res, i, NCOLS))
			continue;
		ord[m].pos = ods_db_res_int0(res, i, NCOLS + 4);
		ord[m].id = ods_db_res_int0(res, i, NCOLS + 5);
		ord[m++].row = i;
	}
	qsort(ord, m, sizeof(*ord), col_order_cmp);
	d->cols = ods_xcalloc(n, sizeof(*d->cols));
	for (i = 0; i < m; i++) {
		c = &d->cols[d->ncols++];
		c->name = ods_db_res_strdup(res, ord[i].row, NCOLS);
		c->type = ods_db_res_strdup(res, ord[i].row, NCOLS + 1);
		c->nullable = ods_db_res_int0(res, ord[i].row, NCOLS + 2) != 0;
		c->description = ods_db_res_strdup(res, ord[i].row, NCOLS + 3);
	}
	free(ord);
	ods_db_res_free(res);
	*out = d;
	return ODS_OK;
}

/* Replace the schema of dataset_id with cols, on c (in a transaction). */
static enum ods_err
put_cols(struct ods_db_conn *c, const char *dataset_id,
    const struct ods_dset_col *cols, size_t n)
{
	struct ods_db_arg	*a;
	enum ods_err		 er;
	size_t			 i;

	a = ods_xcalloc(1, sizeof(*a));
	a[0] = ods_db_text(dataset_id);
	er = ods_db_exec(c, "DELETE FROM dataset_columns WHERE dataset_id = ?",
	    a, 1, NULL);
	free(a);
	if (er != ODS_OK || n == 0)
		return er;
	a = ods_xcalloc(n * 6, sizeof(*a));
	for (i = 0; i < n; i++) {
		a[i * 6] = ods_db_text(dataset_id);
		a[i * 6 + 1] = ods_db_text(cols[i].name);
		a[i * 6 + 2] = ods_db_text(cols[i].type != NULL ?
		    cols[i].type : "string");
		a[i * 6 + 3] = ods_db_int(cols[i].nullable);
		a[i * 6 + 4] = ods_db_text(cols[i].description);
		a[i * 6 + 5] = ods_db_int((int64_t)i);
	}
	er = ods_db_insert_rows(c, "INSERT INTO dataset_columns (dataset_id, "
	    "column_name, column_type, is_nullable, description, position)",
	    6, a, n, NULL);
	free(a);
	return er;
}

static void
new_id(char *out, size_t len)
{
	unsigned char	b[6];
	char		hex[13];

	ods_random(b, sizeof(b));
	ods_hex(b, sizeof(b), hex);
	hex[12] = '\0';
	snprintf(out, len, "dataset-%s", hex);
}

enum ods_err
ods_dset_create(struct ods_db *db, const struct ods_dset_spec *sp,
    const char *owner, struct ods_dset **out, struct ods_why *why)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_arg	 a[12];
	char			 id[ODS_DSET_ID_MAX + 1];
	enum ods_err		 er;

	*out = NULL;
	if ((er = ods_dset_spec_check(sp, 1, why)) != ODS_OK)
		return er;
	if (sp->dataset_id != NULL)
		snprintf(id, sizeof(id), "%s", sp->dataset_id);
	else
		new_id(id, sizeof(id));
	a[0] = ods_db_text(id);
	a[1] = ods_db_text(sp->name);
	a[2] = ods_db_text(sp->description);
	a[3] = ods_db_text(sp->storage_type != NULL ? sp->storage_type : "s3");
	a[4] = ods_db_text(sp->storage_path != NULL ? sp->storage_path : "");
	a[5] = ods_db_text(sp->format != NULL ? sp->format : "csv");
	a[6] = ods_db_text(sp->status != NULL ? sp->status : "active");
	a[7] = ods_db_int(sp->row_count > 0 ? sp->row_count : 0);
	a[8] = ods_db_int(sp->size_bytes > 0 ? sp->size_bytes : 0);
	a[9] = ods_db_text(sp->tags != NULL ? sp->tags : "[]");
	a[10] = ods_db_text(owner != NULL ? owner : "");
	a[11] = ods_db_text(sp->visibility != NULL ? sp->visibility :
	    "public");
	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	if ((er = ods_db_begin(c)) != ODS_OK)
		goto out;
	er = ods_db_exec(c, "INSERT INTO datasets (dataset_id, name, "
	    "description, storage_type, storage_path, format, status, "
	    "row_count, size_bytes, tags, created_by, visibility) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", a, 12, NULL);
	if (er == ODS_ECONFLICT)
		ods_why_set(why, "dataset_id", "a dataset with this "
		    "dataset_id exists");
	if (er == ODS_OK && sp->set_cols)
		er = put_cols(c, id, sp->cols, sp->ncols);
	if (er == ODS_OK)
		er = ods_db_commit(c);
out:
	ods_db_release(c);
	if (er == ODS_OK)
		er = ods_dset_get(db, id, NULL, out);
	return er;
}

enum ods_err
ods_dset_list(struct ods_db *db, const char *owner,
    const struct ods_dset_filter *f, size_t offset, size_t limit,
    struct ods_dset **out, size_t *n, int64_t *total)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[14];
	enum ods_err		 er;
	size_t			 i;

	*out = NULL;
	*n = 0;
	*total = 0;
	if (limit > ODS_DSET_LIST_MAX)
		limit = ODS_DSET_LIST_MAX;
	a[0] = ods_db_int(owner == NULL);
	a[1] = ods_db_text(owner != NULL ? owner : "");
	a[2] = ods_db_int(f->status == NULL);
	a[3] = ods_db_text(f->status != NULL ? f->status : "");
	a[4] = ods_db_int(f->format == NULL);
	a[5] = ods_db_text(f->format != NULL ? f->format : "");
	a[6] = ods_db_int(f->tag == NULL);
	a[7] = ods_db_text(f->tag != NULL ? f->tag : "");
	a[8] = ods_db_int(f->q == NULL);
	a[9] = ods_db_text(f->q != NULL ? f->q : "");
	a[10] = ods_db_text(f->q != NULL ? f->q : "");
	a[11] = ods_db_int((int64_t)limit);
	a[12] = ods_db_int((int64_t)offset);
#define WHERE " FROM datasets d WHERE (? = 1 OR d.created_by = ? OR " \
	"d.visibility = 'public') AND ((? = 1 AND d.status <> 'deleted') OR " \
	"d.status = ?) AND (? = 1 OR d.format = ?) AND (? = 1 OR " \
	"JSON_CONTAINS(COALESCE(d.tags, '[]'), JSON_QUOTE(?))) AND (? = 1 OR " \
	"INSTR(d.name, ?) > 0 OR INSTR(COALESCE(d.description, ''), ?) > 0)"
	er = ods_db_query_once(db, "SELECT " COLS WHERE " ORDER BY "
	    "d.created_at DESC, d.id DESC LIMIT ? OFFSET ?", a, 13, limit,
	    &res);
	if (er != ODS_OK)
		return er;
	*n = ods_db_res_nrows(res);
	if (*n > 0) {
		*out = ods_xcalloc(*n, sizeof(**out));
		for (i = 0; i < *n; i++)
			row_to(res, i, &(*out)[i]);
	}
	ods_db_res_free(res);
	er = ods_db_query_once(db, "SELECT COUNT(*)" WHERE, a, 11, 1, &res);
#undef WHERE
	if (er == ODS_OK && ods_db_res_int(res, 0, 0, total) != ODS_OK)
		*total = (int64_t)*n;
	ods_db_res_free(res);
	if (er != ODS_OK) {
		ods_dset_list_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return er;
}

int
ods_dset_may_change(const struct ods_dset *d, const char *owner)
{
	return owner == NULL || (d->created_by != NULL &&
	    strcmp(d->created_by, owner) == 0);
}

enum ods_err
ods_dset_update(struct ods_db *db, struct ods_dset *d,
    const struct ods_dset_spec *sp, const char *owner, struct ods_why *why)
{
	struct ods_db_conn	*c = NULL;
	struct ods_db_arg	 a[11];
	struct ods_dset		*nd = NULL;
	enum ods_err		 er;

	if (!ods_dset_may_change(d, owner))
		return ODS_EFORBIDDEN;
	if ((er = ods_dset_spec_check(sp, 0, why)) != ODS_OK)
		return er;
	a[0] = ods_db_text(sp->name != NULL ? sp->name : d->name);
	a[1] = ods_db_text(sp->description != NULL ? sp->description :
	    d->description);
	a[2] = ods_db_text(sp->storage_type != NULL ? sp->storage_type :
	    d->storage_type);
	a[3] = ods_db_text(sp->storage_path != NULL ? sp->storage_path :
	    d->storage_path);
	a[4] = ods_db_text(sp->format != NULL ? sp->format : d->format);
	a[5] = ods_db_text(sp->status != NULL ? sp->status : d->status);
	a[6] = ods_db_int(sp->row_count >= 0 ? sp->row_count : d->row_count);
	a[7] = ods_db_int(sp->size_bytes >= 0 ? sp->size_bytes :
	    d->size_bytes);
	a[8] = ods_db_text(sp->tags != NULL ? sp->tags : d->tags);
	a[9] = ods_db_text(sp->visibility != NULL ? sp->visibility :
	    d->visibility);
	a[10] = ods_db_int(d->id);
	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	if ((er = ods_db_begin(c)) != ODS_OK)
		goto out;
	er = ods_db_exec(c, "UPDATE datasets SET name = ?, description = ?, "
	    "storage_type = ?, storage_path = ?, format = ?, status = ?, "
	    "row_count = ?, size_bytes = ?, tags = ?, visibility = ? WHERE "
	    "id = ?", a, 11, NULL);
	if (er == ODS_OK && sp->set_cols)
		er = put_cols(c, d->dataset_id, sp->cols, sp->ncols);
	if (er == ODS_OK)
		er = ods_db_commit(c);
out:
	ods_db_release(c);
	if (er == ODS_OK && (er = ods_dset_get(db, d->dataset_id, NULL,
	    &nd)) == ODS_OK) {
		dset_fini(d);
		*d = *nd;
		free(nd);
	}
	return er;
}

enum ods_err
ods_dset_delete(struct ods_db *db, struct ods_dset *d, const char *owner)
{
	struct ods_db_arg	a[1];

	if (!ods_dset_may_change(d, owner))
		return ODS_EFORBIDDEN;
	a[0] = ods_db_int(d->id);
	return ods_db_exec_once(db, "UPDATE datasets SET status = 'deleted' "
	    "WHERE id = ?", a, 1, NULL);
}

static void
raw_or(struct ods_jw *jw, const char *key, const char *text, char open)
{
	ods_jw_key(jw, key);
	if (text != NULL && *text == open)
		ods_jw_raw(jw, text, strlen(text));
	else {
		if (open == '[')
			ods_jw_arr(jw);
		else
			ods_jw_obj(jw);
		ods_jw_end(jw);
	}
}

void
ods_dset_json(struct ods_jw *jw, const struct ods_dset *d)
{
	size_t	i;

	ods_jw_obj(jw);
	ods_jw_kstr(jw, "dataset_id", d->dataset_id);
	ods_jw_kstr(jw, "id", d->dataset_id);
	ods_jw_kstr(jw, "name", d->name);
	ods_jw_kstr(jw, "description", d->description);
	ods_jw_kstr(jw, "storage_type", d->storage_type);
	ods_jw_kstr(jw, "storage_path", d->storage_path);
	ods_jw_kstr(jw, "format", d->format);
	ods_jw_kstr(jw, "status", d->status);
	ods_jw_kint(jw, "row_count", d->row_count);
	ods_jw_kint(jw, "size_bytes", d->size_bytes);
	raw_or(jw, "tags", d->tags, '[');
	ods_jw_key(jw, "schema");
	ods_jw_obj(jw);
	if (d->ncols > 0) {
		ods_jw_key(jw, "columns");
		ods_jw_arr(jw);
		for (i = 0; i < d->ncols; i++) {
			ods_jw_obj(jw);
			ods_jw_kstr(jw, "name", d->cols[i].name);
			ods_jw_kstr(jw, "type", d->cols[i].type);
			ods_jw_kbool(jw, "nullable", d->cols[i].nullable);
			ods_jw_kstr(jw, "description", d->cols[i].description);
			ods_jw_end(jw);
		}
		ods_jw_end(jw);
	}
	ods_jw_end(jw);
	ods_jw_key(jw, "statistics");
	ods_jw_obj(jw);
	ods_jw_kint(jw, "row_count", d->row_count);
	ods_jw_kint(jw, "size_bytes", d->size_bytes);
	ods_jw_end(jw);
	ods_jw_kint(jw, "version", d->version);
	ods_jw_kint(jw, "latest_version", d->version);
	ods_jw_kstr(jw, "visibility", d->visibility);
	ods_jw_kstr(jw, "created_by", d->created_by);
	ods_jw_kstr(jw, "owner", d->created_by);
	ods_jw_kstr(jw, "created_at", d->created_at);
	ods_jw_kstr(jw, "updated_at", d->updated_at);
	ods_jw_end(jw);
}

/* ---- versions ---- */

static void
vrow_to(const struct ods_db_res *res, size_t i, struct ods_dsver *v)
{
	v->version_id = ods_db_res_strdup(res, i, 0);
	v->dataset_id = ods_db_res_strdup(res, i, 1);
	v->number = ods_db_res_int0(res, i, 2);
	v->storage_path = ods_db_res_strdup(res, i, 3);
	v->description = ods_db_res_strdup(res, i, 4);
	v->row_count = ods_db_res_int0(res, i, 5);
	v->size_bytes = ods_db_res_int0(res, i, 6);
	v->checksum = ods_db_res_strdup(res, i, 7);
	v->file_name = ods_db_res_strdup(res, i, 8);
	v->content_type = ods_db_res_strdup(res, i, 9);
	v->format = ods_db_res_strdup(res, i, 10);
	v->has_header = ods_db_res_int0(res, i, 11) != 0;
	v->charset = ods_db_res_strdup(res, i, 12);
	v->upload_id = ods_db_res_strdup(res, i, 13);
	v->created_by = ods_db_res_strdup(res, i, 14);
	v->created_at = ods_db_res_strdup(res, i, 15);
}

static void
dsver_fini(struct ods_dsver *v)
{
	free(v->version_id);
	free(v->dataset_id);
	free(v->storage_path);
	free(v->description);
	free(v->checksum);
	free(v->file_name);
	free(v->content_type);
	free(v->format);
	free(v->charset);
	free(v->upload_id);
	free(v->created_by);
	free(v->created_at);
}

void
ods_dsver_free(struct ods_dsver *v)
{
	if (v == NULL)
		return;
	dsver_fini(v);
	free(v);
}

void
ods_dsver_list_free(struct ods_dsver *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		dsver_fini(&v[i]);
	free(v);
}

/* The schema a file's head gave, as columns. */
static struct ods_dset_col *
tab_cols(const struct ods_tab *t)
{
	struct ods_dset_col	*c;
	size_t			 i;

	c = ods_xcalloc(t->ncols + 1, sizeof(*c));
	for (i = 0; i < t->ncols; i++) {
		c[i].name = ods_xstrdup(t->cols[i].name);
		c[i].type = ods_xstrdup(ods_tab_type_name(t->cols[i].type));
		c[i].nullable = t->cols[i].nullable;
	}
	return c;
}

/* One try of ods_dsver_add: the number under the row lock. */
static enum ods_err
add_once(struct ods_db_conn *c, const struct ods_dset *d,
    const struct ods_dsver_spec *sp, const char *owner, char *vid,
    size_t vidlen, int64_t *nump)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[16];
	struct ods_dset_col	*cols;
	const char		*status;
	enum ods_err		 er;
	int64_t			 num = 0;

	if ((er = ods_db_begin(c)) != ODS_OK)
		return er;
	a[0] = ods_db_text(d->dataset_id);
	er = ods_db_query(c, "SELECT status, (SELECT COALESCE(MAX("
	    "version_number), 0) + 1 FROM dataset_versions WHERE dataset_id "
	    "= d.dataset_id) FROM datasets d WHERE d.dataset_id = ? FOR "
	    "UPDATE", a, 1, 1, &res);
	if (er != ODS_OK)
		goto fail;
	if (ods_db_res_nrows(res) == 0) {
		er = ODS_ENOTFOUND;
		goto fail;
	}
	status = ods_db_res_text(res, 0, 0, NULL);
	if (status != NULL && strcmp(status, "deleted") == 0) {
		er = ODS_ECONFLICT;
		goto fail;
	}
	num = ods_db_res_int0(res, 0, 1);
	*nump = num;
	ods_db_res_free(res);
	res = NULL;
	snprintf(vid, vidlen, "ver-%s-%lld", d->dataset_id, (long long)num);
	a[0] = ods_db_text(vid);
	a[1] = ods_db_text(d->dataset_id);
	a[2] = ods_db_int(num);
	a[3] = ods_db_text(sp->storage_path != NULL ? sp->storage_path : "");
	a[4] = ods_db_text(sp->description);
	a[5] = ods_db_int(sp->row_count > 0 ? sp->row_count : 0);
	a[6] = ods_db_int(sp->size_bytes > 0 ? sp->size_bytes : 0);
	a[7] = ods_db_text(sp->checksum);
	a[8] = ods_db_text(sp->file_name);
	a[9] = ods_db_text(sp->content_type);
	a[10] = ods_db_text(sp->format);
	a[11] = ods_db_int(sp->has_header);
	a[12] = ods_db_text(sp->charset);
	a[13] = ods_db_text(sp->upload_id);
	a[14] = ods_db_text(owner);
	if ((er = ods_db_exec(c, "INSERT INTO dataset_versions (version_id, "
	    "dataset_id, version_number, storage_path, description, "
	    "row_count, size_bytes, checksum, file_name, content_type, "
	    "format, has_header, charset, upload_id, created_by) VALUES (?, "
	    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", a, 15, NULL)) !=
	    ODS_OK)
		goto fail;
	a[0] = ods_db_text(sp->storage_path != NULL ? sp->storage_path : "");
	a[1] = ods_db_int(sp->row_count > 0 ? sp->row_count : 0);
	a[2] = ods_db_int(sp->size_bytes > 0 ? sp->size_bytes : 0);
	a[3] = ods_db_int(sp->format == NULL);
	a[4] = ods_db_text(sp->format != NULL ? sp->format : "");
	a[5] = ods_db_int(num);
	a[6] = ods_db_text(d->dataset_id);
	if ((er = ods_db_exec(c, "UPDATE datasets SET storage_path = ?, "
	    "row_count = ?, size_bytes = ?, format = IF(? = 1, format, ?), "
	    "latest_version = ? WHERE dataset_id = ?", a, 7, NULL)) != ODS_OK)
		goto fail;
	if (sp->tab != NULL) {
		cols = tab_cols(sp->tab);
		er = put_cols(c, d->dataset_id, cols, sp->tab->ncols);
		cols_free(cols, sp->tab->ncols);
		if (er != ODS_OK)
			goto fail;
	}
	return ods_db_commit(c);
fail:
	ods_db_res_free(res);
	(void)ods_db_rollback(c);
	return er;
}

enum ods_err
ods_dsver_add(struct ods_db *db, const struct ods_dset *d,
    const struct ods_dsver_spec *sp, const char *owner,
    struct ods_dsver **out)
{
	struct ods_db_conn	*c = NULL;
	char			 vid[ODS_DSET_ID_MAX + 32];
	enum ods_err		 er = ODS_OK;
	int64_t			 num = 0;
	int			 i;

	*out = NULL;
	if (!ods_dset_may_change(d, owner))
		return ODS_EFORBIDDEN;
	if (strcmp(d->status, "deleted") == 0)
		return ODS_ECONFLICT;
	for (i = 0; i < ADD_TRIES; i++) {
		if ((er = ods_db_acquire(db, &c)) != ODS_OK)
			return er;
		er = add_once(c, d, sp, owner, vid, sizeof(vid), &num);
		ods_db_release(c);
		/*
		 * A deadlock (or a duplicate number, which the lock makes
		 * impossible) is tried again; "deleted" is a conflict too,
		 * but a lasting one, caught above or below.
		 */
		if (er != ODS_ECONFLICT)
			break;
	}
	if (er != ODS_OK)
		return er;
	/* This version (by its number: others may be newer already). */
	return ods_dsver_get(db, d->dataset_id, num, out) == ODS_OK ? ODS_OK :
	    ODS_EINTERNAL;
}

enum ods_err
ods_dsver_list(struct ods_db *db, const char *dataset_id, size_t offset,
    size_t limit, struct ods_dsver **out, size_t *n, int64_t *total)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[3];
	enum ods_err		 er;
	size_t			 i;

	*out = NULL;
	*n = 0;
	*total = 0;
	if (limit > ODS_DSET_LIST_MAX)
		limit = ODS_DSET_LIST_MAX;
	a[0] = ods_db_text(dataset_id);
	a[1] = ods_db_int((int64_t)limit);
	a[2] = ods_db_int((int64_t)offset);
	er = ods_db_query_once(db, "SELECT " VCOLS " FROM dataset_versions "
	    "WHERE dataset_id = ? ORDER BY version_number DESC LIMIT ? OFFSET "
	    "?", a, 3, limit, &res);
	if (er != ODS_OK)
		return er;
	*n = ods_db_res_nrows(res);
	if (*n > 0) {
		*out = ods_xcalloc(*n, sizeof(**out));
		for (i = 0; i < *n; i++)
			vrow_to(res, i, &(*out)[i]);
	}
	ods_db_res_free(res);
	er = ods_db_query_once(db, "SELECT COUNT(*) FROM dataset_versions "
	    "WHERE dataset_id = ?", a, 1, 1, &res);
	if (er == ODS_OK && ods_db_res_int(res, 0, 0, total) != ODS_OK)
		*total = (int64_t)*n;
	ods_db_res_free(res);
	if (er != ODS_OK) {
		ods_dsver_list_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return er;
}

enum ods_err
ods_dsver_get(struct ods_db *db, const char *dataset_id, int64_t number,
    struct ods_dsver **out)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[3];
	enum ods_err		 er;

	*out = NULL;
	a[0] = ods_db_text(dataset_id);
	a[1] = ods_db_int(number <= 0);
	a[2] = ods_db_int(number);
	er = ods_db_query_once(db, "SELECT " VCOLS " FROM dataset_versions "
	    "WHERE dataset_id = ? AND (? = 1 OR version_number = ?) ORDER BY "
	    "version_number DESC LIMIT 1", a, 3, 1, &res);
	if (er == ODS_OK && ods_db_res_nrows(res) == 0)
		er = ODS_ENOTFOUND;
	if (er == ODS_OK) {
		*out = ods_xcalloc(1, sizeof(**out));
		vrow_to(res, 0, *out);
	}
	ods_db_res_free(res);
	return er;
}

void
ods_dsver_json(struct ods_jw *jw, const struct ods_dsver *v)
{
	ods_jw_obj(jw);
	ods_dsver_json_fields(jw, v);
	ods_jw_end(jw);
}

void
ods_dsver_json_fields(struct ods_jw *jw, const struct ods_dsver *v)
{
	ods_jw_kstr(jw, "version_id", v->version_id);
	ods_jw_kstr(jw, "dataset_id", v->dataset_id);
	ods_jw_kint(jw, "version_number", v->number);
	ods_jw_kint(jw, "version", v->number);
	ods_jw_kstr(jw, "storage_path", v->storage_path);
	ods_jw_kstr(jw, "description", v->description);
	ods_jw_kint(jw, "row_count", v->row_count);
	ods_jw_kint(jw, "size_bytes", v->size_bytes);
	ods_jw_kint(jw, "file_size", v->size_bytes);
	ods_jw_kstr(jw, "checksum", v->checksum);
	ods_jw_kstr(jw, "sha256", v->checksum);
	ods_jw_kstr(jw, "file_name", v->file_name);
	ods_jw_kstr(jw, "content_type", v->content_type);
	ods_jw_kstr(jw, "format", v->format);
	ods_jw_kbool(jw, "has_header", v->has_header);
	ods_jw_kstr(jw, "charset", v->charset);
	ods_jw_kstr(jw, "upload_id", v->upload_id);
	ods_jw_kstr(jw, "created_by", v->created_by);
	ods_jw_kstr(jw, "created_at", v->created_at);
}
