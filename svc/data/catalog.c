/*
 * svc/data/catalog.c — scans of data sources into the metadata catalog,
 * and its reads (catalog.h). The SQL that reads a source is ours and
 * fixed; the driver (ds_conn.c) runs it with the scope as its one
 * parameter. Rows come sorted by schema, table (and index or constraint),
 * so what belongs to one table (its primary key, relations, indexes, the
 * asset's columns) is gathered and written when the table changes.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_json.h"
#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "store/ods_db.h"
#include "store/ods_jobs.h"
#include "datasource.h"
#include "data_int.h"
#include "catalog.h"

#define JSON_MAX	(4u << 20)	/* one table's gathered JSON */
#define TS(col)	"DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%s.%fZ')"

/* ---- what a scan reads: the same columns from either kind. */

#define MY_SCOPE(col) " (@ods_p = '' OR " col " = @ods_p) AND " col \
	" NOT IN ('mysql', 'information_schema', 'performance_schema', " \
	"'sys') "
#define PG_SCOPE " ($1 = '' OR n.nspname = $1) AND n.nspname NOT IN " \
	"('pg_catalog', 'information_schema') AND n.nspname NOT LIKE " \
	"'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%' "

enum { Q_SCHEMAS, Q_TABLES, Q_COLUMNS, Q_FKEYS, Q_INDEXES, Q__N };

/* schema, comment, owner */
static const char *const my_q[Q__N] = {
	"SELECT SCHEMA_NAME, NULL, NULL FROM information_schema.SCHEMATA "
	"WHERE" MY_SCOPE("SCHEMA_NAME") "ORDER BY 1",
	/* schema, table, type, comment, rows, bytes */
	"SELECT TABLE_SCHEMA, TABLE_NAME, IF(TABLE_TYPE = 'VIEW', 'view', "
	"'table'), IF(TABLE_TYPE = 'VIEW', '', TABLE_COMMENT), "
	"IFNULL(TABLE_ROWS, 0), IFNULL(DATA_LENGTH, 0) + "
	"IFNULL(INDEX_LENGTH, 0) FROM information_schema.TABLES WHERE"
	MY_SCOPE("TABLE_SCHEMA") "ORDER BY 1, 2",
	/* schema, table, column, position, type, nullable, default, comment,
	 * primary */
	"SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, "
	"COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, COLUMN_COMMENT, "
	"IF(COLUMN_KEY = 'PRI', '1', '0') FROM information_schema.COLUMNS "
	"WHERE" MY_SCOPE("TABLE_SCHEMA") "ORDER BY 1, 2, 4",
	/* schema, table, constraint, column, to schema, to table, to column */
	"SELECT TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME, "
	"REFERENCED_TABLE_SCHEMA, REFERENCED_TABLE_NAME, "
	"REFERENCED_COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE "
	"WHERE REFERENCED_TABLE_NAME IS NOT NULL AND" MY_SCOPE("TABLE_SCHEMA")
	"ORDER BY 1, 2, 3, ORDINAL_POSITION",
	/* schema, table, index, non-unique, column, primary */
	"SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, NON_UNIQUE, "
	"COLUMN_NAME, IF(INDEX_NAME = 'PRIMARY', '1', '0') FROM "
	"information_schema.STATISTICS WHERE" MY_SCOPE("TABLE_SCHEMA")
	"ORDER BY 1, 2, 3, SEQ_IN_INDEX"
};

static const char *const pg_q[Q__N] = {
	"SELECT n.nspname, obj_description(n.oid, 'pg_namespace'), "
	"pg_get_userbyid(n.nspowner) FROM pg_namespace n WHERE" PG_SCOPE
	"ORDER BY 1",
	"SELECT n.nspname, c.relname, CASE WHEN c.relkind IN ('v', 'm') "
	"THEN 'view' ELSE 'table' END, obj_description(c.oid, 'pg_class'), "
	"GREATEST(c.reltuples, 0)::bigint, CASE WHEN c.relkind IN ('r', 'p', "
	"'m') THEN pg_total_relation_size(c.oid) ELSE 0 END FROM pg_class c "
	"JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN "
	"('r', 'p', 'v', 'm', 'f') AND" PG_SCOPE "ORDER BY 1, 2",
	"SELECT n.nspname, c.relname, a.attname, a.attnum, "
	"format_type(a.atttypid, a.atttypmod), CASE WHEN a.attnotnull THEN "
	"'NO' ELSE 'YES' END, pg_get_expr(d.adbin, d.adrelid), "
	"col_description(c.oid, a.attnum), CASE WHEN EXISTS (SELECT 1 FROM "
	"pg_index i WHERE i.indrelid = c.oid AND i.indisprimary AND "
	"a.attnum = ANY (i.indkey::int2[])) THEN '1' ELSE '0' END "
	"FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
	"JOIN pg_namespace n ON n.oid = c.relnamespace "
	"LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum "
	"WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', "
	"'p', 'v', 'm', 'f') AND" PG_SCOPE "ORDER BY 1, 2, 4",
	"SELECT n.nspname, c.relname, con.conname, a.attname, fn.nspname, "
	"fc.relname, fa.attname FROM pg_constraint con "
	"JOIN pg_class c ON c.oid = con.conrelid "
	"JOIN pg_namespace n ON n.oid = c.relnamespace "
	"JOIN pg_class fc ON fc.oid = con.confrelid "
	"JOIN pg_namespace fn ON fn.oid = fc.relnamespace "
	"CROSS JOIN LATERAL unnest(con.conkey, con.confkey) WITH ORDINALITY "
	"AS k(col, fcol, ord) "
	"JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.col "
	"JOIN pg_attribute fa ON fa.attrelid = con.confrelid AND "
	"fa.attnum = k.fcol WHERE con.contype = 'f' AND" PG_SCOPE
	"ORDER BY 1, 2, 3, k.ord",
	"SELECT n.nspname, c.relname, ic.relname, CASE WHEN i.indisunique "
	"THEN '0' ELSE '1' END, a.attname, CASE WHEN i.indisprimary THEN '1' "
	"ELSE '0' END FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
	"JOIN pg_class ic ON ic.oid = i.indexrelid "
	"JOIN pg_namespace n ON n.oid = c.relnamespace "
	"CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS "
	"k(col, ord) LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND "
	"a.attnum = k.col WHERE" PG_SCOPE "ORDER BY 1, 2, 3, k.ord"
};

/* ---- a scan in progress. */

struct scan {
	struct ods_db		*db;
	struct ods_db_conn	*conn;		/* the open batch, or NULL */
	size_t			 nwr;		/* statements in it */
	const struct ods_ds	*ds;
	const char		*skip;		/* a schema never catalogued */
	char			 t0[32];	/* the scan's stamp */
	struct ods_cat_stats	*st;
	int			(*stopping)(void *);
	void			*arg;
	enum ods_err		 er;
	/* What is being gathered for the current table. */
	char			 db_name[ODS_CAT_NAME_MAX + 1];
	char			 tbl[ODS_CAT_NAME_MAX + 1];
	char			 grp[ODS_CAT_NAME_MAX + 1];	/* index, fk */
	int			 open;
	struct ods_buf		 b1, b2;
	struct ods_jw		 j1, j2;
};

/*
 * Writes go in transactions of WR_BATCH statements on one connection
 * (one log flush each, not one per row); the connection is given back
 * between batches. A failed write rolls its batch back: the scan fails,
 * and what earlier batches wrote is true of the source anyway.
 */
#define WR_BATCH	200

static void
wr_drop(struct scan *s)
{
	ods_db_release(s->conn);	/* rolls back what is open */
	s->conn = NULL;
	s->nwr = 0;
}

static enum ods_err
wr_commit(struct scan *s)
{
	enum ods_err	er;

	if (s->conn == NULL)
		return ODS_OK;
	er = ods_db_commit(s->conn);
	wr_drop(s);
	return er;
}

static enum ods_err
wr(struct scan *s, const char *sql, const struct ods_db_arg *a, size_t n,
    uint64_t *affected)
{
	enum ods_err	er;

	if (s->conn == NULL) {
		if ((er = ods_db_acquire(s->db, &s->conn)) != ODS_OK)
			return er;
		if ((er = ods_db_begin(s->conn)) != ODS_OK) {
			wr_drop(s);
			return er;
		}
	}
	er = ods_db_exec_const(s->conn, sql, a, n, affected);
	if (er == ODS_OK && ++s->nwr >= WR_BATCH)
		er = wr_commit(s);
	if (er != ODS_OK)
		wr_drop(s);
	return er;
}

static int
too_long(const char *const *v, size_t n)
{
	size_t	i;

	/* Names past the catalog's columns: the row is left out. */
	for (i = 0; i < n && i < 3; i++)
		if (v[i] != NULL && strlen(v[i]) > ODS_CAT_NAME_MAX)
			return 1;
	return 0;
}

static int
skip_row(struct scan *s, const char *const *v, size_t n, size_t want)
{
	if (n < want || v[0] == NULL || v[1] == NULL || too_long(v, n))
		return 1;
	return s->skip != NULL && strcmp(v[0], s->skip) == 0;
}

static int
step(struct scan *s, enum ods_err er)
{
	if (er != ODS_OK && s->er == ODS_OK)
		s->er = er;
	if (s->er == ODS_OK && s->stopping != NULL && s->stopping(s->arg))
		s->er = ODS_ETIMEOUT;
	return s->er != ODS_OK;
}

static int
row_schema(void *arg, const char *const *v, size_t n)
{
	struct scan		*s = arg;
	struct ods_db_arg	 a[5];

	if (n < 3 || v[0] == NULL || strlen(v[0]) > ODS_CAT_NAME_MAX ||
	    (s->skip != NULL && strcmp(v[0], s->skip) == 0))
		return 0;
	a[0] = ods_db_text(s->ds->source_id);
	a[1] = ods_db_text(v[0]);
	a[2] = ods_db_text(v[1]);
	a[3] = ods_db_text(v[2]);
	a[4] = ods_db_text(s->t0);
	s->st->databases++;
	return step(s, wr(s, "INSERT INTO "
	    "metadata_databases (source_id, database_name, description, "
	    "owner, scanned_at) VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE "
	    "description = VALUES(description), owner = VALUES(owner), "
	    "scanned_at = VALUES(scanned_at), removed_at = NULL", a, 5, NULL));
}

static int
row_table(void *arg, const char *const *v, size_t n)
{
	struct scan		*s = arg;
	struct ods_db_arg	 a[8], b[17];
	const char		*comment;
	enum ods_err		 er;

	if (skip_row(s, v, n, 6))
		return 0;
	comment = v[3] != NULL && *v[3] != '\0' ? v[3] : NULL;
	a[0] = ods_db_text(s->ds->source_id);
	a[1] = ods_db_text(v[0]);
	a[2] = ods_db_text(v[1]);
	a[3] = ods_db_text(v[2]);
	a[4] = ods_db_text(comment);
	a[5] = ods_db_int(strtoll(v[4] != NULL ? v[4] : "0", NULL, 10));
	a[6] = ods_db_int(strtoll(v[5] != NULL ? v[5] : "0", NULL, 10));
	a[7] = ods_db_text(s->t0);
	s->st->tables++;
	/* Relations, keys and indexes start empty: later reads fill them. */
	er = wr(s, "INSERT INTO metadata_tables "
	    "(source_id, database_name, table_name, table_type, description, "
	    "row_count, size_bytes, scanned_at, primary_key, relations, "
	    "indexes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '[]', '[]', '[]') "
	    "ON DUPLICATE KEY UPDATE table_type = VALUES(table_type), "
	    "description = VALUES(description), row_count = VALUES(row_count), "
	    "size_bytes = VALUES(size_bytes), scanned_at = VALUES(scanned_at), "
	    "primary_key = '[]', relations = '[]', indexes = '[]', "
	    "removed_at = NULL", a, 8, NULL);
	if (step(s, er))
		return 1;
	/* The asset: its id from source/database/table, its path the same. */
	b[0] = b[3] = b[11] = ods_db_text(s->ds->source_id);
	b[1] = b[4] = b[5] = b[12] = ods_db_text(v[0]);
	b[2] = b[6] = b[7] = b[13] = ods_db_text(v[1]);
	b[8] = ods_db_text(comment);
	b[9] = ods_db_text(s->ds->type);
	b[10] = ods_db_text(s->ds->name);
	b[14] = a[5];
	b[15] = a[6];
	b[16] = ods_db_text(s->ds->created_by);
	er = wr(s, "INSERT INTO data_assets (asset_id, "
	    "source_id, database_name, schema_name, table_name, name, "
	    "description, source_type, source_name, path, row_count, "
	    "size_bytes, owner, asset_type, status, last_sync_at) VALUES "
	    "(CONCAT('tbl-', LEFT(SHA2(CONCAT_WS('/', ?, ?, ?), 256), 24)), "
	    "?, ?, ?, ?, ?, ?, ?, ?, CONCAT_WS('/', ?, ?, ?), ?, ?, ?, "
	    "'table', 'active', CURRENT_TIMESTAMP(3)) ON DUPLICATE KEY UPDATE "
	    "description = VALUES(description), source_name = "
	    "VALUES(source_name), row_count = VALUES(row_count), size_bytes = "
	    "VALUES(size_bytes), last_sync_at = VALUES(last_sync_at), "
	    "status = 'active', removed_at = NULL", b, 17, NULL);
	return step(s, er);
}

/* ---- per-table gathering: two JSON arrays written when it changes. */

static void
gather_begin(struct scan *s, const char *db, const char *tbl)
{
	snprintf(s->db_name, sizeof(s->db_name), "%s", db);
	snprintf(s->tbl, sizeof(s->tbl), "%s", tbl);
	s->grp[0] = '\0';
	ods_buf_init(&s->b1, JSON_MAX);
	ods_buf_init(&s->b2, JSON_MAX);
	ods_jw_init(&s->j1, &s->b1);
	ods_jw_init(&s->j2, &s->b2);
	ods_jw_arr(&s->j1);
	ods_jw_arr(&s->j2);
	s->open = 1;
}

static void
gather_drop(struct scan *s)
{
	if (!s->open)
		return;
	ods_buf_free(&s->b1);
	ods_buf_free(&s->b2);
	s->open = 0;
}

/*
 * Write what was gathered with sql, whose parameters are the two arrays'
 * texts then source, database, table.
 */
static int
gather_flush(struct scan *s, const char *sql, int with2)
{
	struct ods_db_arg	 a[5];
	char			*t1 = NULL, *t2 = NULL;
	enum ods_err		 er;
	size_t			 n = 0;

	if (!s->open)
		return 0;
	if (s->grp[0] != '\0') {
		/* An open index: its columns array and its object. */
		ods_jw_end(&s->j1);
		ods_jw_end(&s->j1);
	}
	ods_jw_end(&s->j1);
	ods_jw_end(&s->j2);
	if ((er = ods_jw_error(&s->j1)) == ODS_OK)
		er = ods_jw_error(&s->j2);
	if (er == ODS_OK) {
		t1 = ods_buf_take(&s->b1, NULL);
		t2 = ods_buf_take(&s->b2, NULL);
		a[n++] = ods_db_text(t1);
		if (with2)
			a[n++] = ods_db_text(t2);
		a[n++] = ods_db_text(s->ds->source_id);
		a[n++] = ods_db_text(s->db_name);
		a[n++] = ods_db_text(s->tbl);
		er = wr(s, sql, a, n, NULL);
	}
	free(t1);
	free(t2);
	gather_drop(s);
	return step(s, er);
}

/* Whether row v belongs to another table than the one gathered. */
static int
table_changed(const struct scan *s, const char *const *v)
{
	return !s->open || strcmp(s->db_name, v[0]) != 0 ||
	    strcmp(s->tbl, v[1]) != 0;
}

#define COLS_FLUSH "UPDATE metadata_tables t LEFT JOIN data_assets a ON " \
	"a.source_id = t.source_id AND a.database_name = t.database_name AND " \
	"a.table_name = t.table_name AND a.asset_type = 'table' SET " \
	"t.primary_key = ?, a.`columns` = ? WHERE t.source_id = ? AND " \
	"t.database_name = ? AND t.table_name = ?"

static int
row_column(void *arg, const char *const *v, size_t n)
{
	struct scan		*s = arg;
	struct ods_db_arg	 a[11];
	const char		*comment;
	int			 pk, nullable;
	char			 type[256];

	if (skip_row(s, v, n, 9) || v[2] == NULL)
		return 0;
	if (table_changed(s, v)) {
		if (gather_flush(s, COLS_FLUSH, 1))
			return 1;
		gather_begin(s, v[0], v[1]);
	}
	pk = v[8] != NULL && strcmp(v[8], "1") == 0;
	nullable = v[5] != NULL && strcmp(v[5], "YES") == 0;
	comment = v[7] != NULL && *v[7] != '\0' ? v[7] : NULL;
	snprintf(type, sizeof(type), "%s", v[4] != NULL ? v[4] : "");
	if (pk)
		ods_jw_str(&s->j1, v[2]);
	ods_jw_obj(&s->j2);
	ods_jw_kstr(&s->j2, "name", v[2]);
	ods_jw_kstr(&s->j2, "type", type);
	ods_jw_kbool(&s->j2, "nullable", nullable);
	ods_jw_kstr(&s->j2, "description", comment);
	ods_jw_end(&s->j2);
	a[0] = ods_db_text(s->ds->source_id);
	a[1] = ods_db_text(v[0]);
	a[2] = ods_db_text(v[1]);
	a[3] = ods_db_text(v[2]);
	a[4] = ods_db_text(type);
	a[5] = ods_db_int(nullable);
	a[6] = ods_db_text(comment);
	a[7] = ods_db_int(strtoll(v[3] != NULL ? v[3] : "0", NULL, 10));
	a[8] = ods_db_text(v[6]);
	a[9] = ods_db_int(pk);
	a[10] = ods_db_text(s->t0);
	s->st->columns++;
	return step(s, wr(s, "INSERT INTO metadata_columns "
	    "(source_id, database_name, table_name, column_name, column_type, "
	    "is_nullable, description, position, default_value, "
	    "is_primary_key, scanned_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
	    "?) ON DUPLICATE KEY UPDATE column_type = VALUES(column_type), "
	    "is_nullable = VALUES(is_nullable), description = "
	    "VALUES(description), position = VALUES(position), default_value "
	    "= VALUES(default_value), is_primary_key = VALUES(is_primary_key), "
	    "scanned_at = VALUES(scanned_at), removed_at = NULL", a, 11, NULL));
}

#define FK_FLUSH "UPDATE metadata_tables SET relations = ? WHERE " \
	"source_id = ? AND database_name = ? AND table_name = ?"

/* relations: one item per column pair, {from_table, from_column, ...}. */
static int
row_fkey(void *arg, const char *const *v, size_t n)
{
	struct scan	*s = arg;

	if (skip_row(s, v, n, 7) || v[3] == NULL || v[5] == NULL ||
	    v[6] == NULL)
		return 0;
	if (table_changed(s, v)) {
		if (gather_flush(s, FK_FLUSH, 0))
			return 1;
		gather_begin(s, v[0], v[1]);
	}
	ods_jw_obj(&s->j1);
	ods_jw_kstr(&s->j1, "name", v[2]);
	ods_jw_kstr(&s->j1, "from_table", v[1]);
	ods_jw_kstr(&s->j1, "from_column", v[3]);
	ods_jw_kstr(&s->j1, "to_database", v[4]);
	ods_jw_kstr(&s->j1, "to_table", v[5]);
	ods_jw_kstr(&s->j1, "to_column", v[6]);
	ods_jw_end(&s->j1);
	s->st->relations++;
	return 0;
}

#define IDX_FLUSH "UPDATE metadata_tables SET indexes = ? WHERE " \
	"source_id = ? AND database_name = ? AND table_name = ?"

/* indexes: {name, unique, primary, columns: [...]} per index. */
static int
row_index(void *arg, const char *const *v, size_t n)
{
	struct scan	*s = arg;

	if (skip_row(s, v, n, 6) || v[2] == NULL ||
	    strlen(v[2]) > ODS_CAT_NAME_MAX)
		return 0;
	if (table_changed(s, v)) {
		if (gather_flush(s, IDX_FLUSH, 0))
			return 1;
		gather_begin(s, v[0], v[1]);
	}
	if (strcmp(s->grp, v[2]) != 0) {
		if (s->grp[0] != '\0') {
			ods_jw_end(&s->j1);
			ods_jw_end(&s->j1);
		}
		snprintf(s->grp, sizeof(s->grp), "%s", v[2]);
		ods_jw_obj(&s->j1);
		ods_jw_kstr(&s->j1, "name", v[2]);
		ods_jw_kbool(&s->j1, "unique", v[3] != NULL &&
		    strcmp(v[3], "0") == 0);
		ods_jw_kbool(&s->j1, "primary", v[5] != NULL &&
		    strcmp(v[5], "1") == 0);
		ods_jw_key(&s->j1, "columns");
		ods_jw_arr(&s->j1);
		s->st->indexes++;
	}
	/* An expression's part has no column name. */
	ods_jw_str(&s->j1, v[4] != NULL ? v[4] : "(expression)");
	return 0;
}

/* ---- the scan. */

static int
read_one(struct scan *s, struct odsi_ds_conn *c, int q, odsi_ds_row_fn fn,
    const char *scope)
{
	const char	*sql;
	char		 err[384];
	int		 rc;

	sql = odsi_ds_conn_kind(c) == ODSI_DS_PG ? pg_q[q] : my_q[q];
	rc = odsi_ds_select(c, sql, scope, fn, s, err, sizeof(err));
	if (rc < 0) {
		snprintf(s->st->error, sizeof(s->st->error), "read_failed");
		snprintf(s->st->message, sizeof(s->st->message), "%s", err);
		s->er = ODS_EUNAVAIL;
		return -1;
	}
	return s->er != ODS_OK ? -1 : 0;
}

/* Stamp removed_at on what this scan did not see. */
static enum ods_err
mark_removed(struct scan *s)
{
	static const char *const sql[] = {
		"UPDATE metadata_databases SET removed_at = CURRENT_TIMESTAMP(3) "
		"WHERE source_id = ? AND removed_at IS NULL AND (scanned_at IS "
		"NULL OR scanned_at <> ?)",
		"UPDATE metadata_tables SET removed_at = CURRENT_TIMESTAMP(3) "
		"WHERE source_id = ? AND removed_at IS NULL AND (scanned_at IS "
		"NULL OR scanned_at <> ?)",
		"UPDATE metadata_columns SET removed_at = CURRENT_TIMESTAMP(3) "
		"WHERE source_id = ? AND removed_at IS NULL AND (scanned_at IS "
		"NULL OR scanned_at <> ?)",
		"UPDATE data_assets a LEFT JOIN metadata_tables t ON "
		"t.source_id = a.source_id AND t.database_name = "
		"a.database_name AND t.table_name = a.table_name SET "
		"a.removed_at = CURRENT_TIMESTAMP(3), a.status = 'removed' "
		"WHERE a.source_id = ? AND a.asset_type = 'table' AND "
		"a.removed_at IS NULL AND (t.id IS NULL OR t.removed_at IS NOT "
		"NULL) AND ? IS NOT NULL"
	};
	struct ods_db_arg	 a[2];
	enum ods_err		 er;
	uint64_t		 n;
	size_t			 i;

	a[0] = ods_db_text(s->ds->source_id);
	a[1] = ods_db_text(s->t0);
	for (i = 0; i < ODS_NELEM(sql); i++) {
		n = 0;
		if ((er = wr(s, sql[i], a, 2, &n)) !=
		    ODS_OK)
			return er;
		if (i < 3)
			s->st->removed += (int64_t)n;
	}
	return ODS_OK;
}

static enum ods_err
stamp(struct ods_db *db, char *out, size_t len)
{
	struct ods_db_res	*res = NULL;
	enum ods_err		 er;
	const char		*p;

	er = ods_db_query_once(db, "SELECT DATE_FORMAT(CURRENT_TIMESTAMP(3), "
	    "'%Y-%m-%d %H:%i:%s.%f')", NULL, 0, 1, &res);
	if (er == ODS_OK && (p = ods_db_res_text(res, 0, 0, NULL)) != NULL)
		snprintf(out, len, "%s", p);
	else if (er == ODS_OK)
		er = ODS_EINTERNAL;
	ods_db_res_free(res);
	return er;
}

static enum ods_err
scan_run(struct scan *s, struct odsi_ds_conn *c)
{
	const char	*scope;
	int		 pg = odsi_ds_conn_kind(c) == ODSI_DS_PG;

	scope = pg ? s->ds->schema : s->ds->database;
	if (scope == NULL)
		scope = "";
	if (read_one(s, c, Q_SCHEMAS, row_schema, scope) != 0 ||
	    read_one(s, c, Q_TABLES, row_table, scope) != 0)
		return s->er;
	if (read_one(s, c, Q_COLUMNS, row_column, scope) != 0 ||
	    gather_flush(s, COLS_FLUSH, 1) != 0)
		return s->er;
	if (read_one(s, c, Q_FKEYS, row_fkey, scope) != 0 ||
	    gather_flush(s, FK_FLUSH, 0) != 0)
		return s->er;
	if (read_one(s, c, Q_INDEXES, row_index, scope) != 0 ||
	    gather_flush(s, IDX_FLUSH, 0) != 0)
		return s->er;
	if ((s->er = mark_removed(s)) != ODS_OK)
		return s->er;
	return wr_commit(s);
}

enum ods_err
ods_cat_scan(struct ods_db *db, const struct ods_ds_ctx *ctx,
    const char *source_id, int (*stopping)(void *), void *arg,
    struct ods_cat_stats *st)
{
	struct ods_ds_result	 res;
	struct odsi_ds_conn	*c = NULL;
	struct ods_ds		*d = NULL;
	struct scan		 s;
	enum ods_err		 er;

	memset(st, 0, sizeof(*st));
	memset(&s, 0, sizeof(s));
	if ((er = ods_ds_get(db, source_id, NULL, &d)) != ODS_OK)
		return er;
	if ((er = stamp(db, s.t0, sizeof(s.t0))) != ODS_OK)
		goto out;
	if (odsi_ds_connect_saved(ctx, d, &c, &res) != 0) {
		snprintf(st->error, sizeof(st->error), "%s", res.error);
		snprintf(st->message, sizeof(st->message), "%s", res.message);
		er = ODS_EUNAVAIL;
		goto out;
	}
	s.db = db;
	s.ds = d;
	s.st = st;
	s.stopping = stopping;
	s.arg = arg;
	/* The system database is never catalogued, wherever it is seen. */
	s.skip = odsi_ds_kind(d->type) == ODSI_DS_MYSQL ? ctx->sys_db : NULL;
	er = scan_run(&s, c);
	gather_drop(&s);
	wr_drop(&s);
out:
	odsi_ds_close(c);
	ods_ds_free(d);
	return er;
}

enum ods_err
ods_cat_scan_enqueue(struct ods_db *db, struct ods_redis *redis,
    const struct ods_ds *d, const char *user, int64_t *job)
{
	struct ods_jobs_spec	 sp;
	struct ods_buf		 b;
	struct ods_jw		 jw;
	char			*payload;
	enum ods_err		 er;
	int			 existed = 0;

	*job = 0;
	if (odsi_ds_kind(d->type) <= ODSI_DS_NONE)
		return ODS_EINVAL;
	ods_buf_init(&b, 1024);
	ods_jw_init(&jw, &b);
	ods_jw_obj(&jw);
	ods_jw_kstr(&jw, "source_id", d->source_id);
	ods_jw_end(&jw);
	if ((er = ods_jw_error(&jw)) != ODS_OK) {
		ods_buf_free(&b);
		return er;
	}
	payload = ods_buf_take(&b, NULL);
	memset(&sp, 0, sizeof(sp));
	sp.type = ODS_CAT_JOB;
	sp.payload = payload;
	sp.created_by = user;
	sp.max_attempts = 2;
	er = ods_jobs_enqueue(db, redis, &sp, job, &existed);
	free(payload);
	return er;
}

/* ---- reads. */

/*
 * The sources the caller may read, the source asked for, removed or not:
 * five parameters (filter_args).
 */
#define VIS(t) " JOIN datasources s ON s.source_id = " t ".source_id AND " \
	"(? = 1 OR s.created_by = ? OR s.visibility = 'public') WHERE " \
	"(? = '' OR " t ".source_id = ?) AND (? = 1 OR " t ".removed_at IS " \
	"NULL) "
#define NVIS	5

static size_t
filter_args(const struct ods_cat_filter *f, struct ods_db_arg *a)
{
	const char	*src = f->source_id != NULL ? f->source_id : "";

	a[0] = ods_db_int(f->owner == NULL);
	a[1] = ods_db_text(f->owner != NULL ? f->owner : "");
	a[2] = ods_db_text(src);
	a[3] = ods_db_text(src);
	a[4] = ods_db_int(f->include_removed != 0);
	return NVIS;
}

static void
page_args(const struct ods_cat_filter *f, struct ods_db_arg *a)
{
	a[0] = ods_db_int(f->limit > 0 ? f->limit : 50);
	a[1] = ods_db_int(f->offset > 0 ? f->offset : 0);
}

static const char *
col(const struct ods_db_res *res, size_t i, size_t j)
{
	return ods_db_res_text(res, i, j, NULL);
}

/* A JSON column as it is, or fallback ("[]", "null"). */
static void
raw_json(struct ods_jw *jw, const char *key, const char *v,
    const char *fallback)
{
	ods_jw_key(jw, key);
	if (v == NULL || (*v != '[' && *v != '{'))
		v = fallback;
	ods_jw_raw(jw, v, strlen(v));
}

static enum ods_err
count_of(struct ods_db *db, const char *sql, const struct ods_db_arg *a,
    size_t n, int64_t *total)
{
	struct ods_db_res	*res = NULL;
	enum ods_err		 er;

	er = ods_db_query_once_const(db, sql, a, n, 1, &res);
	*total = er == ODS_OK ? ods_db_res_int0(res, 0, 0) : 0;
	ods_db_res_free(res);
	return er;
}

enum ods_err
ods_cat_databases(struct ods_db *db, const struct ods_cat_filter *f,
    struct ods_jw *jw, int64_t *total)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[NVIS + 2];
	enum ods_err		 er;
	size_t			 i, n;

	n = filter_args(f, a);
	if ((er = count_of(db, "SELECT COUNT(*) FROM metadata_databases m"
	    VIS("m"), a, n, total)) != ODS_OK)
		return er;
	page_args(f, a + n);
	er = ods_db_query_once(db, "SELECT m.source_id, m.database_name, "
	    "m.description, m.owner, " TS("m.scanned_at") ", "
	    TS("m.removed_at") ", (SELECT COUNT(*) FROM metadata_tables t "
	    "WHERE t.source_id = m.source_id AND t.database_name = "
	    "m.database_name AND t.removed_at IS NULL), s.name, s.type, "
	    TS("m.updated_at") " FROM metadata_databases m" VIS("m")
	    "ORDER BY m.database_name, m.source_id LIMIT ? OFFSET ?", a,
	    n + 2, 0, &res);
	for (i = 0; er == ODS_OK && i < ods_db_res_nrows(res); i++) {
		ods_jw_obj(jw);
		ods_jw_kstr(jw, "name", col(res, i, 1));
		ods_jw_kstr(jw, "database_name", col(res, i, 1));
		ods_jw_kstr(jw, "description", col(res, i, 2));
		ods_jw_kstr(jw, "owner", col(res, i, 3));
		ods_jw_kint(jw, "table_count", ods_db_res_int0(res, i, 6));
		ods_jw_kstr(jw, "source_id", col(res, i, 0));
		ods_jw_kstr(jw, "source_name", col(res, i, 7));
		ods_jw_kstr(jw, "source_type", col(res, i, 8));
		ods_jw_kstr(jw, "scanned_at", col(res, i, 4));
		ods_jw_kstr(jw, "updated_at", col(res, i, 9));
		ods_jw_kstr(jw, "removed_at", col(res, i, 5));
		ods_jw_kbool(jw, "removed", col(res, i, 5) != NULL);
		ods_jw_end(jw);
	}
	ods_db_res_free(res);
	return er;
}

enum ods_err
ods_cat_tables(struct ods_db *db, const struct ods_cat_filter *f,
    const char *database, struct ods_jw *jw, int64_t *total)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[NVIS + 3];
	enum ods_err		 er;
	size_t			 i, n;

	n = filter_args(f, a);
	a[n++] = ods_db_text(database);
	if ((er = count_of(db, "SELECT COUNT(*) FROM metadata_tables m"
	    VIS("m") "AND m.database_name = ?", a, n, total)) != ODS_OK)
		return er;
	page_args(f, a + n);
	er = ods_db_query_once(db, "SELECT m.source_id, m.database_name, "
	    "m.table_name, m.description, m.row_count, m.size_bytes, "
	    "m.table_type, " TS("m.updated_at") ", " TS("m.scanned_at") ", "
	    TS("m.removed_at") " FROM metadata_tables m" VIS("m")
	    "AND m.database_name = ? ORDER BY m.table_name, m.source_id "
	    "LIMIT ? OFFSET ?", a, n + 2, 0, &res);
	for (i = 0; er == ODS_OK && i < ods_db_res_nrows(res); i++) {
		ods_jw_obj(jw);
		ods_jw_kstr(jw, "name", col(res, i, 2));
		ods_jw_kstr(jw, "table_name", col(res, i, 2));
		ods_jw_kstr(jw, "description", col(res, i, 3));
		ods_jw_kint(jw, "row_count", ods_db_res_int0(res, i, 4));
		ods_jw_kint(jw, "size_bytes", ods_db_res_int0(res, i, 5));
		ods_jw_kstr(jw, "table_type", col(res, i, 6));
		ods_jw_kstr(jw, "database", col(res, i, 1));
		ods_jw_kstr(jw, "source_id", col(res, i, 0));
		ods_jw_kstr(jw, "updated_at", col(res, i, 7));
		ods_jw_kstr(jw, "scanned_at", col(res, i, 8));
		ods_jw_kstr(jw, "removed_at", col(res, i, 9));
		ods_jw_kbool(jw, "removed", col(res, i, 9) != NULL);
		ods_jw_end(jw);
	}
	ods_db_res_free(res);
	return er;
}

enum ods_err
ods_cat_table_words(struct ods_db *db, const struct ods_cat_filter *f,
    const char *database, struct ods_jw *jw)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[NVIS + 1];
	enum ods_err		 er;
	size_t			 i, n;

	n = filter_args(f, a);
	a[n++] = ods_db_text(database);
	/*
	 * One statement for the database: what a retrieval over its tables
	 * needs of their columns, not the columns one by one.
	 */
	er = ods_db_query_once(db, "SELECT m.table_name, GROUP_CONCAT("
	    "CONCAT_WS(' ', c.column_name, c.description) ORDER BY "
	    "c.position SEPARATOR ' ') FROM metadata_tables m JOIN "
	    "metadata_columns c ON c.source_id = m.source_id AND "
	    "c.database_name = m.database_name AND c.table_name = "
	    "m.table_name AND c.removed_at IS NULL" VIS("m") "AND "
	    "m.database_name = ? GROUP BY m.source_id, m.table_name "
	    "ORDER BY m.table_name", a, n, 0, &res);
	if (er == ODS_OK)
		ods_jw_obj(jw);
	for (i = 0; er == ODS_OK && i < ods_db_res_nrows(res); i++)
		if (col(res, i, 0) != NULL)
			ods_jw_kstr(jw, col(res, i, 0), col(res, i, 1));
	if (er == ODS_OK)
		ods_jw_end(jw);
	ods_db_res_free(res);
	return er;
}

static enum ods_err
table_columns(struct ods_db *db, const struct ods_cat_filter *f,
    const char *source_id, const char *database, const char *table,
    struct ods_jw *jw)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[4];
	enum ods_err		 er;
	size_t			 i;

	a[0] = ods_db_text(source_id);
	a[1] = ods_db_text(database);
	a[2] = ods_db_text(table);
	a[3] = ods_db_int(f->include_removed != 0);
	er = ods_db_query_once(db, "SELECT column_name, column_type, "
	    "is_nullable, description, default_value, is_primary_key, "
	    "position, " TS("removed_at") " FROM metadata_columns WHERE "
	    "source_id = ? AND database_name = ? AND table_name = ? AND "
	    "(? = 1 OR removed_at IS NULL) ORDER BY position, column_name",
	    a, 4, 0, &res);
	ods_jw_key(jw, "columns");
	ods_jw_arr(jw);
	for (i = 0; er == ODS_OK && i < ods_db_res_nrows(res); i++) {
		ods_jw_obj(jw);
		ods_jw_kstr(jw, "name", col(res, i, 0));
		ods_jw_kstr(jw, "type", col(res, i, 1));
		ods_jw_kbool(jw, "nullable", ods_db_res_int0(res, i, 2) != 0);
		ods_jw_kstr(jw, "description", col(res, i, 3));
		ods_jw_kstr(jw, "default", col(res, i, 4));
		ods_jw_kbool(jw, "primary_key", ods_db_res_int0(res, i, 5) != 0);
		ods_jw_kint(jw, "position", ods_db_res_int0(res, i, 6));
		ods_jw_kstr(jw, "removed_at", col(res, i, 7));
		ods_jw_end(jw);
	}
	ods_jw_end(jw);
	ods_db_res_free(res);
	return er;
}

enum ods_err
ods_cat_table(struct ods_db *db, const struct ods_cat_filter *f,
    const char *database, const char *table, struct ods_jw *jw)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[NVIS + 2];
	enum ods_err		 er;
	size_t			 n;

	n = filter_args(f, a);
	a[n++] = ods_db_text(database);
	a[n++] = ods_db_text(table);
	er = ods_db_query_once(db, "SELECT m.source_id, m.database_name, "
	    "m.table_name, m.description, m.row_count, m.size_bytes, "
	    "m.table_type, m.primary_key, m.relations, m.indexes, "
	    TS("m.updated_at") ", " TS("m.scanned_at") ", " TS("m.removed_at")
	    " FROM metadata_tables m" VIS("m") "AND m.database_name = ? AND "
	    "m.table_name = ? ORDER BY m.removed_at IS NULL DESC, "
	    "m.scanned_at DESC LIMIT 1", a, n, 1, &res);
	if (er == ODS_OK && ods_db_res_nrows(res) == 0)
		er = ODS_ENOTFOUND;
	if (er != ODS_OK) {
		ods_db_res_free(res);
		return er;
	}
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "table_name", col(res, 0, 2));
	ods_jw_kstr(jw, "name", col(res, 0, 2));
	ods_jw_kstr(jw, "database", col(res, 0, 1));
	ods_jw_kstr(jw, "description", col(res, 0, 3));
	ods_jw_kint(jw, "row_count", ods_db_res_int0(res, 0, 4));
	ods_jw_kint(jw, "size_bytes", ods_db_res_int0(res, 0, 5));
	ods_jw_kstr(jw, "table_type", col(res, 0, 6));
	ods_jw_kstr(jw, "source_id", col(res, 0, 0));
	er = table_columns(db, f, col(res, 0, 0), col(res, 0, 1),
	    col(res, 0, 2), jw);
	raw_json(jw, "primary_key", col(res, 0, 7), "[]");
	raw_json(jw, "relations", col(res, 0, 8), "[]");
	raw_json(jw, "indexes", col(res, 0, 9), "[]");
	ods_jw_key(jw, "sample_data");
	ods_jw_arr(jw);
	ods_jw_end(jw);
	ods_jw_kstr(jw, "updated_at", col(res, 0, 10));
	ods_jw_kstr(jw, "scanned_at", col(res, 0, 11));
	ods_jw_kstr(jw, "removed_at", col(res, 0, 12));
	ods_jw_kbool(jw, "removed", col(res, 0, 12) != NULL);
	ods_jw_end(jw);
	ods_db_res_free(res);
	return er;
}

/* q as a LIKE pattern: %q%, its own % _ and \ taken literally. */
static char *
like_of(const char *q)
{
	char	*p, *o;

	o = p = ods_xmalloc(2 * strlen(q) + 3);
	*o++ = '%';
	for (; *q != '\0'; q++) {
		if (*q == '%' || *q == '_' || *q == '\\')
			*o++ = '\\';
		*o++ = *q;
	}
	*o++ = '%';
	*o = '\0';
	return p;
}

/* One part of the search: 10 parameters (part_args). */
#define PART(kind, t, name, db, tbl, column) \
	"SELECT '" kind "' AS kind, " name " AS name, " db " AS db, " tbl \
	" AS tbl, " column " AS col, m.description AS descr, m.source_id AS " \
	"src, IF(" name " LIKE ?, 'name', 'description') AS matched, " \
	TS("m.removed_at") " AS removed FROM " t " m" VIS("m") "AND (" name \
	" LIKE ? OR m.description LIKE ?) AND (? = '' OR ? = '" kind "')"
#define PARTS \
	PART("database", "metadata_databases", "m.database_name", \
	    "m.database_name", "NULL", "NULL") " UNION ALL " \
	PART("table", "metadata_tables", "m.table_name", "m.database_name", \
	    "m.table_name", "NULL") " UNION ALL " \
	PART("column", "metadata_columns", "m.column_name", \
	    "m.database_name", "m.table_name", "m.column_name")

static size_t
part_args(const struct ods_cat_filter *f, const char *pat, const char *type,
    struct ods_db_arg *a)
{
	size_t	n = 0;

	a[n++] = ods_db_text(pat);
	n += filter_args(f, a + n);
	a[n++] = ods_db_text(pat);
	a[n++] = ods_db_text(pat);
	a[n++] = ods_db_text(type != NULL ? type : "");
	a[n++] = ods_db_text(type != NULL ? type : "");
	return n;
}

enum ods_err
ods_cat_search(struct ods_db *db, const struct ods_cat_filter *f,
    const char *q, const char *type, struct ods_jw *jw, int64_t *total)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[3 * 10 + 2];
	enum ods_err		 er;
	char			*pat;
	size_t			 i, n = 0;

	pat = like_of(q);
	for (i = 0; i < 3; i++)
		n += part_args(f, pat, type, a + n);
	if ((er = count_of(db, "SELECT COUNT(*) FROM (" PARTS ") x", a, n,
	    total)) != ODS_OK)
		goto out;
	page_args(f, a + n);
	er = ods_db_query_once(db, "SELECT kind, name, db, tbl, col, descr, "
	    "src, matched, removed FROM (" PARTS ") x ORDER BY matched = "
	    "'name' DESC, FIELD(kind, 'database', 'table', 'column'), name, "
	    "db, tbl, src LIMIT ? OFFSET ?", a, n + 2, 0, &res);
	for (i = 0; er == ODS_OK && i < ods_db_res_nrows(res); i++) {
		ods_jw_obj(jw);
		ods_jw_kstr(jw, "type", col(res, i, 0));
		ods_jw_kstr(jw, "name", col(res, i, 1));
		ods_jw_kstr(jw, "database", col(res, i, 2));
		ods_jw_kstr(jw, "table", col(res, i, 3));
		ods_jw_kstr(jw, "column", col(res, i, 4));
		ods_jw_kstr(jw, "description", col(res, i, 5));
		ods_jw_kstr(jw, "source_id", col(res, i, 6));
		ods_jw_kstr(jw, "matched", col(res, i, 7));
		ods_jw_kstr(jw, "removed_at", col(res, i, 8));
		ods_jw_end(jw);
	}
out:
	ods_db_res_free(res);
	free(pat);
	return er;
}

/* ---- data assets (D25): what scans registered, and rows made by hand. */

/* Visible: a source the caller may read, or no source at all. */
#define AVIS " LEFT JOIN datasources s ON s.source_id = m.source_id " \
	"WHERE (m.source_id IS NULL OR (s.id IS NOT NULL AND (? = 1 OR " \
	"s.created_by = ? OR s.visibility = 'public'))) AND (? = '' OR " \
	"m.source_id = ?) AND (? = 1 OR m.removed_at IS NULL) "
#define ACOLS "m.asset_id, m.name, m.description, m.asset_type, " \
	"m.category_id, m.category_name, m.source_type, m.source_id, " \
	"m.source_name, m.path, m.database_name, m.schema_name, " \
	"m.table_name, m.`columns`, m.row_count, m.size_bytes, m.tags, " \
	"m.owner, m.owner_name, m.data_level, m.quality_score, " \
	"m.view_count, m.collect_count, m.usage_count, m.status, " \
	TS("m.created_at") ", " TS("m.updated_at") ", " \
	TS("m.last_sync_at") ", " TS("m.removed_at")

static void
asset_json(struct ods_jw *jw, const struct ods_db_res *res, size_t i)
{
	static const char *const str[] = {
		"name", "description", "asset_type", "category_id",
		"category_name", "source_type", "source_id", "source_name",
		"path", "database_name", "schema_name", "table_name"
	};
	double	q;
	size_t	k;

	ods_jw_obj(jw);
	ods_jw_kstr(jw, "id", col(res, i, 0));
	ods_jw_kstr(jw, "asset_id", col(res, i, 0));
	for (k = 0; k < ODS_NELEM(str); k++)
		ods_jw_kstr(jw, str[k], col(res, i, 1 + k));
	raw_json(jw, "columns", col(res, i, 13), "[]");
	ods_jw_kint(jw, "row_count", ods_db_res_int0(res, i, 14));
	ods_jw_kint(jw, "size_bytes", ods_db_res_int0(res, i, 15));
	raw_json(jw, "tags", col(res, i, 16), "[]");
	ods_jw_kstr(jw, "owner", col(res, i, 17));
	ods_jw_kstr(jw, "owner_name", col(res, i, 18));
	ods_jw_kstr(jw, "data_level", col(res, i, 19));
	ods_jw_key(jw, "quality_score");
	if (ods_db_res_double(res, i, 20, &q) == ODS_OK &&
	    !ods_db_res_isnull(res, i, 20))
		ods_jw_num(jw, q);
	else
		ods_jw_null(jw);
	ods_jw_kint(jw, "view_count", ods_db_res_int0(res, i, 21));
	ods_jw_kint(jw, "collect_count", ods_db_res_int0(res, i, 22));
	ods_jw_kint(jw, "usage_count", ods_db_res_int0(res, i, 23));
	ods_jw_kstr(jw, "status", col(res, i, 24));
	ods_jw_kstr(jw, "created_at", col(res, i, 25));
	ods_jw_kstr(jw, "updated_at", col(res, i, 26));
	ods_jw_kstr(jw, "last_sync_at", col(res, i, 27));
	ods_jw_kstr(jw, "removed_at", col(res, i, 28));
	ods_jw_end(jw);
}

enum ods_err
ods_cat_assets(struct ods_db *db, const struct ods_cat_filter *f,
    const char *q, const char *category, const char *type,
    struct ods_jw *jw, int64_t *total)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[NVIS + 8];
	enum ods_err		 er;
	char			*pat;
	size_t			 i, n;

	pat = like_of(q != NULL ? q : "");
	n = filter_args(f, a);
	a[n++] = ods_db_text(pat);
	a[n++] = ods_db_text(pat);
	a[n++] = ods_db_text(category != NULL ? category : "");
	a[n++] = ods_db_text(category != NULL ? category : "");
	a[n++] = ods_db_text(type != NULL ? type : "");
	a[n++] = ods_db_text(type != NULL ? type : "");
#define AWHERE "AND (m.name LIKE ? OR m.description LIKE ?) AND (? = '' OR " \
	"m.category_id = ?) AND (? = '' OR m.asset_type = ?) "
	if ((er = count_of(db, "SELECT COUNT(*) FROM data_assets m" AVIS
	    AWHERE, a, n, total)) != ODS_OK)
		goto out;
	page_args(f, a + n);
	er = ods_db_query_once(db, "SELECT " ACOLS " FROM data_assets m" AVIS
	    AWHERE "ORDER BY m.name, m.database_name, m.id LIMIT ? OFFSET ?",
	    a, n + 2, 0, &res);
#undef AWHERE
	for (i = 0; er == ODS_OK && i < ods_db_res_nrows(res); i++)
		asset_json(jw, res, i);
out:
	ods_db_res_free(res);
	free(pat);
	return er;
}

enum ods_err
ods_cat_asset(struct ods_db *db, const struct ods_cat_filter *f,
    const char *asset_id, struct ods_jw *jw)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[NVIS + 1];
	struct ods_cat_filter	 any = *f;
	enum ods_err		 er;
	size_t			 n;

	any.include_removed = 1;	/* named by id: shown, with removed_at */
	n = filter_args(&any, a);
	a[n++] = ods_db_text(asset_id);
	er = ods_db_query_once(db, "SELECT " ACOLS " FROM data_assets m" AVIS
	    "AND m.asset_id = ?", a, n, 1, &res);
	if (er == ODS_OK && ods_db_res_nrows(res) == 0)
		er = ODS_ENOTFOUND;
	if (er == ODS_OK)
		asset_json(jw, res, 0);
	ods_db_res_free(res);
	return er;
}
